//! Durability: restarts, compaction, idle unload, SIGTERM, and kill -9 during a write burst.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use folio_server::ids::ProjectId;
use folio_tests::book::{add_page, doc_json, page_ids};
use folio_tests::{eventually, Api, BinServer, TestServer, YClient};
use yrs::WriteTxn;

const WAIT: Duration = Duration::from_secs(15);

/// The update-log length, read from whichever database the server runs on.
async fn log_len(server: &TestServer, project: &str) -> i64 {
    server
        .store()
        .await
        .log_len(project.parse::<ProjectId>().unwrap())
        .await
        .expect("log_len")
}

#[tokio::test]
async fn content_survives_a_restart() {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Trip").await;
    let a = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    let b = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    a.wait_synced().await;
    b.wait_synced().await;
    for i in 0..20 {
        a.edit(|txn| add_page(txn, &owner.id, &format!("p{i}")));
    }
    assert!(eventually(WAIT, || page_ids(&b.doc).len() == 20).await);
    let before = doc_json(&a.doc);
    a.close().await;
    b.close().await;

    let server = server.restart().await;
    let c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    assert!(
        eventually(WAIT, || doc_json(&c.doc) == before).await,
        "content changed across restart"
    );
}

#[tokio::test]
async fn compaction_keeps_the_content_identical() {
    // Test config folds the log after 50 entries.
    let server = TestServer::start_with(|c| c.idle_unload_s = 3600).await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Trip").await;
    let a = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    let b = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    a.wait_synced().await;
    for i in 0..180 {
        a.edit(|txn| add_page(txn, &owner.id, &format!("p{i}")));
        if i % 3 == 0 {
            a.edit(|txn| {
                use yrs::Array;
                let pages = txn.get_or_insert_array("pages");
                pages.remove(txn, 0);
            });
        }
    }
    let converged = eventually(WAIT, || doc_json(&b.doc) == doc_json(&a.doc)).await;
    assert!(
        converged,
        "b did not converge:\n{}\n{}",
        doc_json(&a.doc)
            .to_string()
            .chars()
            .take(600)
            .collect::<String>(),
        doc_json(&b.doc)
            .to_string()
            .chars()
            .take(600)
            .collect::<String>()
    );
    let live = doc_json(&a.doc);
    // The log was folded while the doc was live: far fewer than the 240 entries written remain.
    let mut remaining = i64::MAX;
    for _ in 0..100 {
        remaining = log_len(&server, &project).await;
        if remaining < 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        remaining < 100,
        "log was never compacted: {remaining} entries"
    );
    a.close().await;
    b.close().await;

    // A fresh load reads snapshot + tail and must give exactly the same document.
    let server = server.restart().await;
    let c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    assert!(
        eventually(WAIT, || doc_json(&c.doc) == live).await,
        "compacted document differs"
    );
}

#[tokio::test]
async fn idle_documents_are_flushed_and_unloaded() {
    let server = TestServer::start_with(|c| c.idle_unload_s = 1).await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Trip").await;
    let a = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    a.wait_synced().await;
    for i in 0..5 {
        a.edit(|txn| add_page(txn, &owner.id, &format!("p{i}")));
    }
    let b = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    assert!(eventually(WAIT, || page_ids(&b.doc).len() == 5).await);
    let expected = doc_json(&a.doc);
    assert!(log_len(&server, &project).await > 0);
    a.close().await;
    b.close().await;
    // Unloading folds the whole log into the snapshot.
    let mut folded = false;
    for _ in 0..100 {
        if log_len(&server, &project).await == 0 {
            folded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(folded, "idle document was not unloaded and compacted");
    // And reloads with the same content.
    let c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    assert!(eventually(WAIT, || doc_json(&c.doc) == expected).await);
}

#[tokio::test]
async fn sigterm_with_an_event_stream_open_exits_once_the_grace_period_is_over() {
    // An event stream never ends by itself; the node still exits 0, after flushing, within
    // FOLIO_SHUTDOWN_GRACE_S (SPEC §15).
    let dir = tempfile::tempdir().unwrap();
    let server = BinServer::start_env(dir.path(), &[("FOLIO_SHUTDOWN_GRACE_S", "1")]).await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Trip").await;
    let a = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    a.wait_synced().await;
    a.edit(|txn| add_page(txn, &owner.id, "kept"));
    let b = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    assert!(eventually(WAIT, || page_ids(&b.doc).len() == 1).await);
    let _events = folio_tests::sse::open_events(&server.url, &project, &owner.token)
        .await
        .expect("event stream");
    let status = tokio::time::timeout(WAIT, server.terminate())
        .await
        .expect("the node exited despite the open event stream");
    assert!(status.success(), "folio exited with {status}");
    assert_eq!(a.closed().map(|c| c.0), Some(1012));

    let server = BinServer::start(dir.path()).await;
    let c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    assert!(eventually(WAIT, || page_ids(&c.doc) == ["kept"]).await);
    server.kill9().await;
}

#[tokio::test]
async fn sigterm_closes_sockets_with_1012_and_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let server = BinServer::start(dir.path()).await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Trip").await;
    let a = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    a.wait_synced().await;
    for i in 0..10 {
        a.edit(|txn| add_page(txn, &owner.id, &format!("p{i}")));
    }
    let b = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    assert!(eventually(WAIT, || page_ids(&b.doc).len() == 10).await);
    let status = server.terminate().await;
    assert!(status.success(), "folio exited with {status}");
    assert_eq!(a.closed().map(|c| c.0), Some(1012));
    assert_eq!(b.closed().map(|c| c.0), Some(1012));

    let server = BinServer::start(dir.path()).await;
    let c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    assert!(eventually(WAIT, || page_ids(&c.doc).len() == 10).await);
    server.kill9().await;
}

#[tokio::test]
async fn kill_9_during_a_write_burst_loses_nothing_any_client_received() {
    let dir = tempfile::tempdir().unwrap();
    let server = BinServer::start(dir.path()).await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Trip").await;

    // An observer records every page id the server ever relayed to it.
    let observer = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    observer.wait_synced().await;
    let seen: Arc<Mutex<HashSet<String>>> = Arc::default();

    let mut writers = Vec::new();
    for w in 0..3 {
        let c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
        c.wait_synced().await;
        writers.push((w, c));
    }
    // Writers edit continuously; the observer's view is sampled as edits arrive.
    let burst = async {
        for n in 0.. {
            for (w, c) in &writers {
                c.edit(|txn| add_page(txn, &owner.id, &format!("w{w}-{n}")));
            }
            seen.lock().unwrap().extend(page_ids(&observer.doc));
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(1500), burst).await;
    // Whatever the observer holds now came from the server before the kill.
    seen.lock().unwrap().extend(page_ids(&observer.doc));
    server.kill9().await;
    let received = seen.lock().unwrap().clone();
    assert!(
        received.len() > 50,
        "too few updates before the crash to mean anything: {}",
        received.len()
    );

    let server = BinServer::start(dir.path()).await;
    let c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after: HashSet<String> = page_ids(&c.doc).into_iter().collect();
    let lost: Vec<&String> = received.difference(&after).collect();
    assert!(
        lost.is_empty(),
        "{} updates a client had received were lost: {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
    server.kill9().await;
}

/// Makes every append to the update log fail (or work again), in the database the server
/// runs on: a trigger that aborts inserts, as a store refusing writes would.
async fn refuse_appends(server: &TestServer, refuse: bool) {
    use sqlx::Connection;
    match server.database_url.as_deref() {
        Some(url) if url.starts_with("postgres") => {
            let mut db = sqlx::PgConnection::connect(url).await.expect("connect");
            let sql: &[&str] = if refuse {
                &[
                    "CREATE FUNCTION refuse_appends() RETURNS trigger AS $$ \
                     BEGIN RAISE EXCEPTION 'the disk is on fire'; END $$ LANGUAGE plpgsql",
                    "CREATE TRIGGER refuse_appends BEFORE INSERT ON doc_updates \
                     FOR EACH ROW EXECUTE FUNCTION refuse_appends()",
                ]
            } else {
                &[
                    "DROP TRIGGER refuse_appends ON doc_updates",
                    "DROP FUNCTION refuse_appends()",
                ]
            };
            for s in sql {
                sqlx::query(s).execute(&mut db).await.expect(s);
            }
        }
        _ => {
            let path = server.data_dir.join("folio.db");
            let url = format!("sqlite://{}", path.display());
            let mut db = sqlx::SqliteConnection::connect(&url)
                .await
                .expect("connect");
            let sql = if refuse {
                "CREATE TRIGGER refuse_appends BEFORE INSERT ON doc_updates \
                 BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END"
            } else {
                "DROP TRIGGER refuse_appends"
            };
            sqlx::query(sql).execute(&mut db).await.expect(sql);
        }
    }
}

#[tokio::test]
async fn a_store_that_keeps_refusing_commits_closes_sockets_with_1013_and_loses_nothing() {
    let server = TestServer::start_with(|c| c.idle_unload_s = 3600).await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Trip").await;
    let a = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    let b = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    a.wait_synced().await;
    b.wait_synced().await;
    let pages_before = page_ids(&b.doc).len();

    refuse_appends(&server, true).await;
    a.edit(|txn| add_page(txn, &owner.id, "made-while-the-store-was-down"));
    // The room retries with back-off for some seconds, then gives up: everyone is told to
    // reconnect, with a code stock clients reconnect on.
    assert!(
        eventually(Duration::from_secs(30), || a.closed().is_some()
            && b.closed().is_some())
        .await,
        "the room never gave up"
    );
    for c in [&a, &b] {
        let (code, reason) = c.closed().unwrap();
        assert_eq!(code, 1013, "{reason}");
        assert!(reason.contains("reconnect"), "{reason}");
    }
    // Nothing uncommitted was relayed.
    assert_eq!(page_ids(&b.doc).len(), pages_before);

    // The store heals; the author reconnects with what it holds, as y-websocket does, and
    // the page is saved and reaches everyone.
    refuse_appends(&server, false).await;
    let a = YClient::connect_doc(&server.ws_url(), &project, &owner.token, a.doc.clone()).await;
    a.wait_synced().await;
    let c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    assert!(
        eventually(WAIT, || page_ids(&c.doc)
            .contains(&"made-while-the-store-was-down".to_string()))
        .await,
        "the page made while the store was down was lost"
    );
    assert!(log_len(&server, &project).await > 0);
}
