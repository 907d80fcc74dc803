//! Live sync: convergence, read-only roles, awareness, auth before upgrade, live role changes.

use std::time::Duration;

use folio_tests::book::{add_page, add_text_item, caption};
use folio_tests::{eventually, Api, TestServer, YClient};
use serde_json::json;
use yrs::{Array, GetString, Map, ReadTxn, Text, Transact, WriteTxn};

const WAIT: Duration = Duration::from_secs(10);

fn pages_json(c: &YClient) -> serde_json::Value {
    use yrs::types::ToJson;
    let txn = c.doc.transact();
    let pages = txn.get_array("pages").map(|a| a.to_json(&txn));
    serde_json::to_value(pages).unwrap()
}

#[tokio::test]
async fn five_concurrent_editors_converge() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Trip").await;
    let mut clients = Vec::new();
    let mut users = Vec::new();
    for i in 0..5 {
        let user = api.signup(&format!("Editor{i}")).await;
        api.set_role(&owner, &project, &user, "editor").await;
        let c = YClient::connect(&server.ws_url(), &project, &user.token).await;
        c.wait_synced().await;
        clients.push(c);
        users.push(user);
    }
    // A first page with one caption everyone types into.
    clients[0].edit(|txn| {
        add_page(txn, &users[0].id, "shared");
        add_text_item(txn, 0, &users[0].id, "cap", "");
    });
    for c in &clients {
        assert!(eventually(WAIT, || caption(&c.doc.transact(), 0, "cap").is_some()).await);
    }
    // Everyone edits at once: new pages, and typing into the shared caption.
    for round in 0..10 {
        for (i, c) in clients.iter().enumerate() {
            c.edit(|txn| {
                add_page(txn, &users[i].id, &format!("p-{i}-{round}"));
                let cap = caption(txn, 0, "cap").unwrap();
                cap.insert(txn, 0, &format!("{i}"));
            });
        }
    }
    let expected = 51;
    for c in &clients {
        let ok = eventually(WAIT, || {
            c.doc
                .transact()
                .get_array("pages")
                .map(|a| a.len(&c.doc.transact()))
                .unwrap_or(0)
                == expected
        })
        .await;
        assert!(ok, "a client did not receive all 50 pages");
    }
    let first = pages_json(&clients[0]);
    for c in &clients[1..] {
        assert_eq!(pages_json(c), first, "documents diverged");
    }
    // A late joiner sees the same document.
    let late = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    late.wait_synced().await;
    assert!(eventually(WAIT, || pages_json(&late) == first).await);
}

#[tokio::test]
async fn viewer_updates_are_refused_and_never_relayed() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let viewer = api.signup("Viewer").await;
    let project = api.create_project(&owner, "Trip").await;
    api.set_role(&owner, &project, &viewer, "viewer").await;

    let editor = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    let watcher = YClient::connect(&server.ws_url(), &project, &viewer.token).await;
    editor.wait_synced().await;
    watcher.wait_synced().await;

    watcher.edit(|txn| {
        txn.get_or_insert_map("meta").insert(txn, "title", "hacked");
    });
    assert!(
        eventually(WAIT, || !watcher.seen.lock().unwrap().denied.is_empty()).await,
        "viewer got no PermissionDenied"
    );
    assert!(
        watcher.seen.lock().unwrap().denied[0].contains("viewer"),
        "reason names the role"
    );

    // The connection stays open and keeps receiving the editor's changes.
    editor.edit(|txn| add_page(txn, &owner.id, "by-the-sea"));
    let has_page =
        |c: &YClient| folio_tests::book::page_ids(&c.doc).contains(&"by-the-sea".to_string());
    assert!(
        eventually(WAIT, || has_page(&watcher)).await,
        "viewer stopped receiving"
    );
    assert!(watcher.closed().is_none());

    // Nobody, now or later, sees the viewer's write.
    let title = |c: &YClient| {
        let txn = c.doc.transact();
        txn.get_map("meta")
            .and_then(|m| m.get(&txn, "title"))
            .map(|v| v.to_string(&txn))
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(title(&editor).as_deref(), Some("Trip"));
    let fresh = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    fresh.wait_synced().await;
    assert_eq!(title(&fresh).as_deref(), Some("Trip"));
}

#[tokio::test]
async fn viewer_resync_with_nothing_new_is_not_denied() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let viewer = api.signup("Viewer").await;
    let project = api.create_project(&owner, "Trip").await;
    api.set_role(&owner, &project, &viewer, "commenter").await;
    let editor = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    editor.wait_synced().await;
    editor.edit(|txn| {
        add_page(txn, &owner.id, "p1");
        add_text_item(txn, 0, &owner.id, "cap", "");
        let t = caption(txn, 0, "cap").unwrap();
        t.insert(txn, 0, "hello");
    });
    editor.edit(|txn| caption(txn, 0, "cap").unwrap().remove_range(txn, 0, 1));
    let v = YClient::connect(&server.ws_url(), &project, &viewer.token).await;
    v.wait_synced().await;
    let text = |c: &YClient| {
        let txn = c.doc.transact();
        let pages_len = txn.get_array("pages").map(|a| a.len(&txn)).unwrap_or(0);
        if pages_len == 0 {
            return None;
        }
        caption(&txn, 0, "cap").map(|t| t.get_string(&txn))
    };
    assert!(eventually(WAIT, || text(&v).as_deref() == Some("ello")).await);
    // Reconnecting with the same doc sends a SyncStep2 that carries only known content.
    let doc = v.doc.clone();
    v.close().await;
    let again = YClient::connect_doc(&server.ws_url(), &project, &viewer.token, doc).await;
    again.wait_synced().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        again.seen.lock().unwrap().denied.is_empty(),
        "a no-op SyncStep2 was treated as a write"
    );
}

#[tokio::test]
async fn awareness_appears_is_stamped_and_disappears() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let alice = api.signup("Alice").await;
    let bob = api.signup("Bob").await;
    let project = api.create_project(&alice, "Trip").await;
    api.set_role(&alice, &project, &bob, "viewer").await;

    let mut a = YClient::connect(&server.ws_url(), &project, &alice.token).await;
    let b = YClient::connect(&server.ws_url(), &project, &bob.token).await;
    a.wait_synced().await;
    b.wait_synced().await;
    let a_id = a.client_id();
    a.set_awareness(&json!({"user": {"id": bob.id, "name": "Bob (not really)"}, "cursor": {"x": 0.25, "y": -0.1}}));
    assert!(
        eventually(WAIT, || b
            .seen
            .lock()
            .unwrap()
            .awareness
            .contains_key(&a_id))
        .await,
        "awareness never arrived"
    );
    let state = b.seen.lock().unwrap().awareness[&a_id].clone();
    assert_eq!(
        state["user"]["id"],
        json!(alice.id),
        "spoofed user id was not overwritten"
    );
    assert_eq!(state["user"]["name"], json!("Alice"));
    assert!(state["user"]["color"]
        .as_str()
        .is_some_and(|c| c.starts_with('#')));
    assert_eq!(state["cursor"]["x"], json!(0.25));

    // A viewer may broadcast its own cursor too.
    let mut b = b;
    b.set_awareness(&json!({"cursor": {"x": 0.1}}));
    let b_id = b.client_id();
    assert!(
        eventually(WAIT, || a
            .seen
            .lock()
            .unwrap()
            .awareness
            .get(&b_id)
            .is_some_and(|s| s["user"]["name"] == "Bob"))
        .await
    );

    // Another connection cannot set Alice's client id.
    let forged = {
        let mut clients = std::collections::HashMap::new();
        clients.insert(
            yrs::ClientID::new(a_id),
            yrs::sync::awareness::AwarenessUpdateEntry {
                clock: 99,
                json: r#"{"cursor":{"x":9}}"#.into(),
            },
        );
        use yrs::updates::encoder::Encode;
        yrs::sync::Message::Awareness(yrs::sync::awareness::AwarenessUpdate { clients }).encode_v1()
    };
    b.send_raw(forged);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        b.seen.lock().unwrap().awareness[&a_id]["cursor"]["x"],
        json!(0.25),
        "forged state for another client was applied"
    );

    // A new arrival gets the current states on connect.
    let c = YClient::connect(&server.ws_url(), &project, &bob.token).await;
    assert!(
        eventually(WAIT, || c
            .seen
            .lock()
            .unwrap()
            .awareness
            .contains_key(&a_id))
        .await,
        "no awareness on connect"
    );

    a.close().await;
    assert!(
        eventually(WAIT, || !b
            .seen
            .lock()
            .unwrap()
            .awareness
            .contains_key(&a_id))
        .await,
        "state stayed after disconnect"
    );
    assert!(
        eventually(WAIT, || !c
            .seen
            .lock()
            .unwrap()
            .awareness
            .contains_key(&a_id))
        .await
    );
}

#[tokio::test]
async fn bad_token_gets_401_and_non_member_403_before_upgrade() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let stranger = api.signup("Stranger").await;
    let project = api.create_project(&owner, "Trip").await;
    let ws = server.ws_url();
    assert_eq!(
        folio_tests::yclient::connect_ws(&ws, &project, "not-a-token")
            .await
            .err(),
        Some(401)
    );
    assert_eq!(
        folio_tests::yclient::connect_ws(&ws, &project, "")
            .await
            .err(),
        Some(401)
    );
    assert_eq!(
        folio_tests::yclient::connect_ws(&ws, &project, &stranger.token)
            .await
            .err(),
        Some(403)
    );
    let missing = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        folio_tests::yclient::connect_ws(&ws, &missing, &owner.token)
            .await
            .err(),
        Some(404)
    );
    assert!(
        folio_tests::yclient::connect_ws(&ws, &project, &owner.token)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn role_changes_apply_to_live_connections() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let ed = api.signup("Ed").await;
    let project = api.create_project(&owner, "Trip").await;
    api.set_role(&owner, &project, &ed, "editor").await;
    let c = YClient::connect(&server.ws_url(), &project, &ed.token).await;
    c.wait_synced().await;
    c.edit(|txn| add_page(txn, &ed.id, "p1"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        c.seen.lock().unwrap().denied.is_empty(),
        "{:?}",
        c.seen.lock().unwrap().denied
    );

    // Demoted: the next write is refused on the same socket.
    let (status, _) = api.set_role(&owner, &project, &ed, "viewer").await;
    assert!(status.is_success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.edit(|txn| add_page(txn, &ed.id, "p2"));
    assert!(
        eventually(WAIT, || !c.seen.lock().unwrap().denied.is_empty()).await,
        "demoted user's write was accepted"
    );

    // Removed: disconnected with 4403.
    let (status, _) = api
        .call(
            reqwest::Method::DELETE,
            &format!("/api/projects/{project}/members/{}", ed.id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 204);
    assert!(
        eventually(WAIT, || c.closed().is_some()).await,
        "removed user stayed connected"
    );
    assert_eq!(c.closed().unwrap().0, 4403);
}

#[tokio::test]
async fn logout_closes_that_tokens_sockets_with_4401() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Trip").await;
    let c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    let (status, _) = api
        .call(
            reqwest::Method::POST,
            "/api/auth/logout",
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 204);
    assert!(eventually(WAIT, || c.closed().is_some()).await);
    assert_eq!(c.closed().unwrap().0, 4401);
    let (status, _) = api
        .call(reqwest::Method::GET, "/api/me", Some(&owner.token), None)
        .await;
    assert_eq!(status.as_u16(), 401);
}

#[tokio::test]
async fn renaming_the_project_updates_the_live_document() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Trip").await;
    let c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    let (status, body) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/projects/{project}"),
            Some(&owner.token),
            Some(json!({"title": "Road trip"})),
        )
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert_eq!(body["project"]["title"], "Road trip");
    let title = || {
        let txn = c.doc.transact();
        txn.get_map("meta")
            .and_then(|m| m.get(&txn, "title"))
            .map(|v| v.to_string(&txn))
    };
    assert!(eventually(WAIT, || title().as_deref() == Some("Road trip")).await);
}

/// A stock client that reconnects after offline edits sends its next edit as soon as the
/// socket opens, and the offline content that edit builds on only a moment later, in its
/// SyncStep2. The room holds the early update until what it builds on arrives, instead of
/// answering PermissionDenied.
#[tokio::test]
async fn an_update_that_builds_on_content_not_yet_sent_waits_for_it() {
    use yrs::sync::{Message as YMessage, SyncMessage};
    use yrs::updates::encoder::Encode;

    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Offline").await;
    let writer = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    let observer = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    writer.wait_synced().await;
    observer.wait_synced().await;

    // Two edits made locally without sending: a page, then a caption on it.
    let local = |f: &dyn Fn(&mut yrs::TransactionMut)| {
        let mut txn = writer.doc.transact_mut();
        f(&mut txn);
        YMessage::Sync(SyncMessage::Update(txn.encode_update_v1())).encode_v1()
    };
    let first = local(&|txn| add_page(txn, &owner.id, "offline-page"));
    let second = local(&|txn| add_text_item(txn, 0, &owner.id, "cap", "written offline"));

    // The second arrives first: held, not refused, and not visible to anyone yet.
    writer.send_raw(second);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        writer.seen.lock().unwrap().denied.is_empty(),
        "{:?}",
        writer.seen.lock().unwrap().denied
    );
    assert!(folio_tests::book::page_ids(&observer.doc).is_empty());

    // What it builds on arrives: both apply, in order, and reach the observer.
    writer.send_raw(first);
    let ok = eventually(WAIT, || {
        caption(&observer.doc.transact(), 0, "cap")
            .map(|t| t.get_string(&observer.doc.transact()))
            .as_deref()
            == Some("written offline")
    })
    .await;
    assert!(
        ok,
        "the held update was not applied once its dependency arrived"
    );
    assert!(
        writer.seen.lock().unwrap().denied.is_empty(),
        "{:?}",
        writer.seen.lock().unwrap().denied
    );

    // A client joining later gets both from the store.
    let late = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    assert!(eventually(WAIT, || caption(&late.doc.transact(), 0, "cap").is_some()).await);
}
