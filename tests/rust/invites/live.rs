//! Joining by invite takes effect on live connections.

use super::*;

#[tokio::test]
async fn joining_by_invite_takes_effect_on_live_connections() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Road trip").await;
    let watcher = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    watcher.wait_synced().await;

    let guest = api.signup("Guest").await;
    // Before accepting, the socket is refused.
    assert_eq!(
        connect_ws(&server.ws_url(), &project, &guest.token)
            .await
            .err(),
        Some(403),
        "a non-member opened the project"
    );

    let token = token_of(&new_link(&api, &owner, &project, json!({"role": "contributor"})).await);
    let (status, body) = accept(&api, Some(&guest), &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["joined"], true, "{body}");

    // At once a member: the socket opens and syncs, and a contributor's page is accepted.
    let c = YClient::connect(&server.ws_url(), &project, &guest.token).await;
    c.wait_synced().await;
    c.edit(|txn| add_page(txn, &guest.id, "guest-page"));
    let has_page = |y: &YClient| page_ids(&y.doc).contains(&"guest-page".to_string());
    assert!(
        eventually(WAIT, || has_page(&watcher)).await,
        "the contributor's page never reached the owner"
    );
    assert!(
        c.seen.lock().unwrap().denied.is_empty(),
        "the contributor's write was refused: {:?}",
        c.seen.lock().unwrap().denied
    );
    let fresh = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    fresh.wait_synced().await;
    assert!(
        eventually(WAIT, || has_page(&fresh)).await,
        "the contributor's page was not kept"
    );

    // Contrast: a viewer link's user can open the book but not write to it.
    let peek = token_of(&new_link(&api, &owner, &project, json!({"role": "viewer"})).await);
    let reader = api.signup("Reader").await;
    let (status, body) = accept(&api, Some(&reader), &peek).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let r = YClient::connect(&server.ws_url(), &project, &reader.token).await;
    r.wait_synced().await;
    r.edit(|txn| add_page(txn, &reader.id, "reader-page"));
    assert!(
        eventually(WAIT, || !r.seen.lock().unwrap().denied.is_empty()).await,
        "a viewer's write was not refused"
    );
}
