//! A person edits while automix runs, and the edit survives the run.

use super::*;

/// SPEC §10: concurrent edits merge by the CRDT. The editor edits page 2 as soon as the run
/// has written it, while later pages are still being written; the edit survives the run.
#[tokio::test]
async fn an_edit_made_while_automix_runs_survives() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Busy").await;
    let (album, _photos) = album_with_photos(&api, &owner, "Busy", 3 * PHOTOS).await;
    let live = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    live.wait_synced().await;

    let job = start_automix(&api, &owner, &project, json!({ "album_id": album })).await;
    // Page 2 (after the cover and page 1) as soon as it exists.
    assert!(
        eventually(WAIT, || read(&live).is_some_and(|b| b.pages.len() >= 3)).await,
        "page 2 never arrived: {:?}",
        read(&live)
    );
    let page = book_of(&live).pages[2].clone();
    let note_id = uuid::Uuid::new_v4().to_string();
    live.edit(|txn| {
        model::set_page_auto(txn, &page.id, false).expect("set auto");
        let note = model::NewItem {
            id: note_id.clone(),
            kind: ItemKind::Text,
            bbox: [0.0, 0.4, 0.6, 0.1, 0.0],
            z: 50.0,
            created_by: owner.id.clone(),
            photo: None,
            text: Some("Written during the run".into()),
            style: Default::default(),
            slot: None,
        };
        model::add_item(txn, &page.id, note).expect("add note");
    });
    let result = done_job(&api, &owner, &job).await;
    let pages = result["pages"].as_u64().expect("pages") as usize;
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 1))
        .await,
        "{:?}",
        read(&live)
    );

    // The edit is in the book every client gets, next to the run's pages.
    let fresh = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    fresh.wait_synced().await;
    let survived = eventually(WAIT, || {
        read(&fresh).is_some_and(|b| {
            b.pages.iter().any(|p| {
                p.id == page.id
                    && !p.auto
                    && p.items.iter().any(|i| {
                        i.id == note_id && i.text.as_deref() == Some("Written during the run")
                    })
            })
        })
    })
    .await;
    assert!(
        survived,
        "the edit made during the run is lost: {:?}",
        read(&fresh)
    );
    assert!(
        live.seen.lock().unwrap().denied.is_empty(),
        "{:?}",
        live.seen.lock().unwrap().denied
    );
}
