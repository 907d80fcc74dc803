//! Pages a person changed (`auto: false`) survive a second run.

use super::*;

#[tokio::test]
async fn pages_a_person_changed_survive_a_second_run() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let editor = api.signup("Editor").await;
    let project = api.create_project(&owner, "Garden").await;
    member(&api, &owner, &project, &editor, "editor").await;
    let (album, _photos) = album_with_photos(&api, &owner, "Garden", PHOTOS).await;

    let live = YClient::connect(&server.ws_url(), &project, &editor.token).await;
    live.wait_synced().await;
    let first = done_job(
        &api,
        &owner,
        &start_automix(&api, &owner, &project, json!({ "album_id": album })).await,
    )
    .await;
    let pages = first["pages"].as_u64().expect("pages") as usize;
    assert!(
        pages >= 2,
        "the test needs more than one inside page: {first}"
    );
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 1))
        .await,
        "{:?}",
        read(&live)
    );
    let book = book_of(&live);

    // The editor takes over the last inside page: no longer auto, a photo moved, a note added.
    let target = book.pages.last().expect("a page").clone();
    assert_eq!(target.kind, PageKind::Page);
    let moved = target
        .items
        .iter()
        .find(|i| i.kind == ItemKind::Photo)
        .expect("a photo item")
        .id
        .clone();
    live.edit(|txn| {
        model::set_page_auto(txn, &target.id, false).expect("set auto");
        model::move_item(txn, &target.id, &moved, 0.1, -0.1).expect("move");
        let note = model::NewItem {
            id: uuid::Uuid::new_v4().to_string(),
            kind: ItemKind::Text,
            bbox: [0.0, 0.4, 0.6, 0.1, 0.0],
            z: 50.0,
            created_by: editor.id.clone(),
            photo: None,
            text: Some("Our roses".into()),
            style: Default::default(),
            slot: None,
        };
        model::add_item(txn, &target.id, note).expect("add note");
    });
    let changed = book_of(&live)
        .pages
        .into_iter()
        .find(|p| p.id == target.id)
        .expect("the page");
    assert!(
        !changed.auto && changed.items.len() == target.items.len() + 1,
        "{changed:?}"
    );
    let witness = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    let kept_by_server = eventually(WAIT, || {
        read(&witness).is_some_and(|b| b.pages.contains(&changed))
    })
    .await;
    assert!(kept_by_server, "the server never had the editor's change");
    assert!(
        live.seen.lock().unwrap().denied.is_empty(),
        "{:?}",
        live.seen.lock().unwrap()
    );

    // A second run: every other auto page is replaced; the changed page is untouched.
    let old_auto: HashSet<String> = book
        .pages
        .iter()
        .filter(|p| p.id != target.id)
        .map(|p| p.id.clone())
        .collect();
    let second = done_job(
        &api,
        &owner,
        &start_automix(
            &api,
            &owner,
            &project,
            json!({ "album_id": album, "seed": 7 }),
        )
        .await,
    )
    .await;
    let again = second["pages"].as_u64().expect("pages") as usize;
    let settled = eventually(WAIT, || {
        read(&live).is_some_and(|b| {
            b.pages.len() == again + 2 && b.pages.iter().all(|p| !old_auto.contains(&p.id))
        })
    })
    .await;
    assert!(
        settled,
        "the second run did not replace the auto pages: {:?}",
        read(&live)
    );
    let after = book_of(&live);
    let kept: Vec<&Page> = after.pages.iter().filter(|p| p.id == target.id).collect();
    assert_eq!(kept.len(), 1, "the changed page is still there: {after:?}");
    assert_eq!(
        *kept[0], changed,
        "the changed page keeps its items exactly"
    );
    assert_eq!(
        after.pages[0].kind,
        PageKind::FrontCover,
        "a new cover comes first: {after:?}"
    );
    assert_eq!(
        after.pages[1].id,
        target.id,
        "new pages go after the kept one: {:?}",
        page_ids(&live.doc)
    );
    let redone: Vec<&Page> = after.pages.iter().filter(|p| p.id != target.id).collect();
    assert_eq!(redone.len(), again + 1, "{after:?}");
    assert!(
        redone.iter().all(|p| p.auto && p.created_by == SYSTEM),
        "{after:?}"
    );
    assert_eq!(
        after
            .pages
            .iter()
            .filter(|p| p.kind == PageKind::FrontCover)
            .count(),
        1,
        "one front cover: {after:?}"
    );
    // The kept page's photos are not placed again: each photo is on one inside page.
    let inside: Vec<String> = after
        .pages
        .iter()
        .filter(|p| p.kind == PageKind::Page)
        .flat_map(page_photos)
        .collect();
    let distinct: std::collections::HashSet<&String> = inside.iter().collect();
    assert_eq!(
        distinct.len(),
        inside.len(),
        "a photo placed twice: {inside:?}"
    );
}
