//! Versions (SPEC §7): taken on demand and every few minutes of activity, listed, fetched
//! whole, and restored as a new change that reaches every open editor.

use std::time::Duration;

use folio_tests::book::{add_page, add_text_item, caption, doc_json, page_ids};
use folio_tests::s3::S3Server;
use folio_tests::{eventually, Api, TestServer, YClient};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yrs::updates::decoder::Decode;
use yrs::{Array, GetString, Text, Transact, Update, WriteTxn};

const WAIT: Duration = Duration::from_secs(15);

fn caption_of(c: &YClient, page: u32, item: &str) -> Option<String> {
    let txn = c.doc.transact();
    caption(&txn, page, item).map(|t| t.get_string(&txn))
}

/// A version's bytes, read into a document of their own.
fn doc_from(bytes: &[u8]) -> yrs::Doc {
    let doc = yrs::Doc::new();
    doc.transact_mut()
        .apply_update(Update::decode_v1(bytes).expect("a version decodes as a Yjs update"))
        .expect("applies");
    doc
}

async fn versions(api: &Api, token: &str, project: &str) -> Vec<Value> {
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/versions"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "list versions: {body}");
    body.as_array().expect("a list").clone()
}

#[tokio::test]
async fn a_version_is_listed_fetched_and_restored_to_live_clients() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let editor = api.signup("Editor").await;
    let project = api.create_project(&owner, "Holiday").await;
    api.set_role(&owner, &project, &editor, "editor").await;

    let a = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    let b = YClient::connect(&server.ws_url(), &project, &editor.token).await;
    a.wait_synced().await;
    b.wait_synced().await;
    a.edit(|txn| {
        add_page(txn, &owner.id, "p1");
        add_page(txn, &owner.id, "p2");
        add_text_item(txn, 1, &owner.id, "cap", "Day one at the lake");
    });
    assert!(
        eventually(WAIT, || caption_of(&b, 1, "cap").as_deref()
            == Some("Day one at the lake"))
        .await
    );
    let saved = doc_json(&a.doc);

    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/projects/{project}/versions"),
            Some(&editor.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let version = body["version"].clone();
    let version_id = version["id"].as_str().expect("version id").to_owned();
    assert_eq!(version["reason"], "manual");
    assert!(version["bytes"].as_i64().unwrap() > 0, "{version}");

    // The book moves on: a page goes, the caption is rewritten, a page is added.
    b.edit(|txn| {
        let pages = txn.get_or_insert_array("pages");
        pages.remove(txn, 0);
    });
    b.edit(|txn| {
        let cap = caption(txn, 0, "cap").unwrap();
        let len = cap.len(txn);
        cap.remove_range(txn, 0, len);
        cap.insert(txn, 0, "Rainy day");
        add_page(txn, &editor.id, "p3");
    });
    assert!(
        eventually(WAIT, || page_ids(&a.doc) == ["p2", "p3"]
            && caption_of(&a, 0, "cap").as_deref() == Some("Rainy day"))
        .await
    );

    let listed = versions(&api, &owner.token, &project).await;
    assert!(
        listed.iter().any(|v| v["id"] == version["id"]),
        "{listed:?}"
    );
    for v in &listed {
        assert!(v["created_at"].is_string() && v["bytes"].is_i64(), "{v}");
    }

    // Fetch: the whole document as it was, as one Yjs update.
    let (status, content_type, bytes) = api
        .get_bytes(
            &format!("/api/projects/{project}/versions/{version_id}"),
            Some(&owner.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/octet-stream");
    assert_eq!(bytes.len() as i64, version["bytes"].as_i64().unwrap());
    assert_eq!(
        doc_json(&doc_from(&bytes)),
        saved,
        "the fetched version is the book as it was"
    );

    // Restore: both open editors see the old pages come back, as a normal update. The
    // caption the version has is restored; the page the editor made since is a person's
    // work, so it stays, after the page it followed, and the answer says so (SPEC §15).
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/projects/{project}/versions/{version_id}/restore"),
            Some(&editor.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"]["id"], version["id"]);
    assert_eq!(body["backup"]["reason"], "restore");
    assert_eq!(body["kept"]["pages"], json!(["p3"]), "{body}");
    for c in [&a, &b] {
        let back = eventually(WAIT, || {
            page_ids(&c.doc) == ["p1", "p2", "p3"]
                && caption_of(c, 1, "cap").as_deref() == Some("Day one at the lake")
        })
        .await;
        assert!(
            back,
            "a live client did not receive the restore: {:?}",
            doc_json(&c.doc)
        );
    }
    let restored = doc_json(&a.doc);
    assert!(
        a.closed().is_none() && b.closed().is_none(),
        "a restore never disconnects editors"
    );

    // A new change on top, not a rewrite: the version taken before the restore still holds
    // the state it replaced, and a client joining now gets the restored book.
    let backup_id = body["backup"]["id"].as_str().unwrap();
    let (_, _, backup) = api
        .get_bytes(
            &format!("/api/projects/{project}/versions/{backup_id}"),
            Some(&owner.token),
        )
        .await;
    assert_eq!(page_ids(&doc_from(&backup)), ["p2", "p3"]);
    let late = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    late.wait_synced().await;
    assert!(eventually(WAIT, || doc_json(&late.doc) == restored).await);
    assert_ne!(restored, saved);
    assert_eq!(versions(&api, &owner.token, &project).await.len(), 2);
}

#[tokio::test]
async fn versions_refuse_the_wrong_people_and_bad_ids() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let viewer = api.signup("Viewer").await;
    let commenter = api.signup("Commenter").await;
    let stranger = api.signup("Stranger").await;
    let project = api.create_project(&owner, "Album").await;
    let other = api.create_project(&owner, "Other").await;
    api.set_role(&owner, &project, &viewer, "viewer").await;
    api.set_role(&owner, &project, &commenter, "commenter")
        .await;

    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/projects/{project}/versions"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["version"]["id"].as_str().unwrap().to_owned();
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/projects/{other}/versions"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let other_id = body["version"]["id"].as_str().unwrap().to_owned();

    // Viewers may list and fetch; taking and restoring need an editor.
    assert_eq!(versions(&api, &viewer.token, &project).await.len(), 1);
    let (status, _, _) = api
        .get_bytes(
            &format!("/api/projects/{project}/versions/{id}"),
            Some(&viewer.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for user in [&viewer, &commenter] {
        let (status, body) = api
            .call(
                Method::POST,
                &format!("/api/projects/{project}/versions"),
                Some(&user.token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, body) = api
            .call(
                Method::POST,
                &format!("/api/projects/{project}/versions/{id}/restore"),
                Some(&user.token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    let (status, _) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/versions"),
            Some(&stranger.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/versions"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Another project's version is not reachable through this one.
    let (status, _, _) = api
        .get_bytes(
            &format!("/api/projects/{project}/versions/{other_id}"),
            Some(&owner.token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/projects/{project}/versions/{other_id}/restore"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let missing = uuid::Uuid::new_v4();
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/versions/{missing}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/projects/{project}/versions/not-a-uuid"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Nothing above made or changed a version.
    assert_eq!(versions(&api, &owner.token, &project).await.len(), 1);
}

#[tokio::test]
async fn editing_takes_a_version_every_interval_and_an_idle_book_none() {
    let server = TestServer::start_with(|cfg| {
        cfg.version_interval_s = 1;
        cfg.idle_unload_s = 30;
    })
    .await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Busy").await;
    let c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    c.edit(|txn| add_page(txn, &owner.id, "p1"));

    let auto = wait_auto_versions(&api, &owner.token, &project, 1).await;
    assert_eq!(auto.len(), 1, "one periodic version after the first edit");
    let id = auto[0]["id"].as_str().unwrap();
    let (_, _, bytes) = api
        .get_bytes(
            &format!("/api/projects/{project}/versions/{id}"),
            Some(&owner.token),
        )
        .await;
    assert_eq!(
        page_ids(&doc_from(&bytes)),
        ["p1"],
        "the periodic version holds the edit"
    );

    // Nothing changes for a few intervals: no new version.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let auto_now = versions(&api, &owner.token, &project)
        .await
        .into_iter()
        .filter(|v| v["reason"] == "auto")
        .count();
    assert_eq!(auto_now, 1, "an idle book gets no new versions");

    // Editing again brings another, holding the new edit.
    c.edit(|txn| add_page(txn, &owner.id, "p2"));
    let auto = wait_auto_versions(&api, &owner.token, &project, 2).await;
    assert_eq!(
        auto.len(),
        2,
        "a second periodic version after more editing"
    );
    let id = auto[0]["id"].as_str().unwrap();
    let (_, _, bytes) = api
        .get_bytes(
            &format!("/api/projects/{project}/versions/{id}"),
            Some(&owner.token),
        )
        .await;
    assert_eq!(
        page_ids(&doc_from(&bytes)),
        ["p1", "p2"],
        "the newest version comes first and holds both edits"
    );
}

/// Polls the version list until it holds `n` periodic versions (or 15 s pass); returns them.
async fn wait_auto_versions(api: &Api, token: &str, project: &str, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let auto: Vec<Value> = versions(api, token, project)
            .await
            .into_iter()
            .filter(|v| v["reason"] == "auto")
            .collect();
        if auto.len() >= n || tokio::time::Instant::now() >= deadline {
            return auto;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn versions_round_trip_through_s3() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let server = TestServer::start_with(|cfg| s3.configure(cfg)).await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Clouds").await;
    let c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    c.edit(|txn| add_page(txn, &owner.id, "p1"));
    assert!(eventually(WAIT, || page_ids(&c.doc) == ["p1"]).await);
    // The edit is durable once relayed; make sure it is committed before the version.
    let late = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    assert!(eventually(WAIT, || page_ids(&late.doc) == ["p1"]).await);

    let (status, body) = api
        .call(
            Method::POST,
            &format!("/api/projects/{project}/versions"),
            Some(&owner.token),
            Some(json!(null)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["version"]["id"].as_str().unwrap();
    let (status, _, bytes) = api
        .get_bytes(
            &format!("/api/projects/{project}/versions/{id}"),
            Some(&owner.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page_ids(&doc_from(&bytes)), ["p1"]);
    assert!(
        s3.object_exists(&format!("versions/{id}/doc")),
        "the version's bytes are in the bucket"
    );
}
