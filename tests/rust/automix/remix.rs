//! A remix gives one page another layout for the same photos.

use super::*;

#[tokio::test]
async fn remix_gives_a_page_another_layout_for_the_same_photos() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Remix").await;
    let photos = upload_photos(&api, &owner, PHOTOS, None).await;
    let library = layouts(&api).await;
    let group = group_of(&api, &owner, &project).await;

    let live = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    live.wait_synced().await;
    let result = done_job(
        &api,
        &owner,
        &start_automix(&api, &owner, &project, json!({ "photo_ids": photos })).await,
    )
    .await;
    let pages = result["pages"].as_u64().expect("pages") as usize;
    assert!(
        eventually(WAIT, || read(&live)
            .is_some_and(|b| b.pages.len() == pages + 1))
        .await,
        "{:?}",
        read(&live)
    );
    let before = book_of(&live);
    let page = inside(&before)
        .into_iter()
        .max_by_key(|p| page_photos(p).len())
        .expect("an inside page")
        .clone();
    let others: Vec<Page> = before
        .pages
        .iter()
        .filter(|p| p.id != page.id)
        .cloned()
        .collect();

    let mut layout = page.layout.clone().expect("a layout");
    for round in 0..2 {
        let job = start_automix(&api, &owner, &project, json!({ "page_id": page.id })).await;
        let res = done_job(&api, &owner, &job).await;
        assert_eq!(res["page_id"], page.id.as_str(), "{res}");
        assert_ne!(
            res["layout"],
            layout.as_str(),
            "round {round}: a remix picks another layout: {res}"
        );
        let changed = eventually(WAIT, || {
            read(&live).is_some_and(|b| {
                b.pages
                    .iter()
                    .any(|p| p.id == page.id && p.layout.as_deref() != Some(layout.as_str()))
            })
        })
        .await;
        assert!(
            changed,
            "round {round}: the live page never changed layout: {:?}",
            read(&live)
        );
        let after = book_of(&live);
        let remixed = after
            .pages
            .iter()
            .find(|p| p.id == page.id)
            .expect("the page is still there");
        let new_layout = remixed.layout.clone().expect("a layout");
        assert_ne!(new_layout, layout, "round {round}");
        assert_eq!(res["layout"], new_layout.as_str(), "{res}");
        let placed = check_designed_page(remixed, &library, &group);
        assert_eq!(
            sorted(placed),
            sorted(page_photos(&page)),
            "round {round}: the same photos, each once"
        );
        assert_eq!(
            library[&new_layout]["slots"].as_array().unwrap().len(),
            page_photos(&page).len(),
            "a slot per photo"
        );
        let rest: Vec<Page> = after
            .pages
            .iter()
            .filter(|p| p.id != page.id)
            .cloned()
            .collect();
        assert_eq!(rest, others, "round {round}: a remix touches only its page");
        assert_eq!(
            after.pages.iter().position(|p| p.id == page.id),
            before.pages.iter().position(|p| p.id == page.id),
            "the page keeps its place"
        );
        layout = new_layout;
    }

    // A page the book does not have: accepted, and the job fails saying so.
    let job = start_automix(&api, &owner, &project, json!({ "page_id": "no-such-page" })).await;
    let j = finished_job(&api, &owner, &job).await;
    assert_eq!(j["state"], "failed", "{j}");
    assert!(j["error"].as_str().is_some_and(|e| !e.is_empty()), "{j}");
}
