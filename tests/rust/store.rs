//! The `Store` contract, checked the same way on SQLite and on PostgreSQL (a fresh database
//! per test), and the real server running on PostgreSQL.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use folio_server::access::Role;
use folio_server::config::Durability;
use folio_server::ids::{ProjectId, SessionId, UserId};
use folio_server::store::{PgStore, Project, ProjectPatch, Store, StoreError, User};
use folio_tests::book::{add_page, doc_json, page_ids};
use folio_tests::cluster::{missing_service, redis_url, Cluster};
use folio_tests::{eventually, test_both_dbs, Api, PgDatabase, TestServer, YClient};

const WAIT: Duration = Duration::from_secs(15);

/// Now, to the microsecond: PostgreSQL keeps no finer, so values compare equal after a round trip.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

async fn user(store: &dyn Store, name: &str) -> User {
    store
        .create_user(&folio_tests::unique_email(name), name, "hash", now())
        .await
        .expect("create user")
}

fn new_project(owner: UserId, title: &str, at: DateTime<Utc>) -> Project {
    Project {
        id: ProjectId::new(),
        title: title.into(),
        owner_id: owner,
        product: "square-8x8".into(),
        theme: "everyday".into(),
        created_at: at,
        updated_at: at,
        origin: None,
    }
}

async fn project(store: &dyn Store, owner: UserId) -> ProjectId {
    let p = new_project(owner, "Trip", now());
    store
        .create_project(&p, b"first")
        .await
        .expect("create project");
    p.id
}

fn assert_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::NotFound)),
        "expected NotFound, got {r:?}"
    );
}

test_both_dbs!(users_have_unique_emails, async |store| {
    let email = folio_tests::unique_email("Ada");
    let ada = store
        .create_user(&email, "Ada", "hash-1", now())
        .await
        .unwrap();
    assert_eq!(
        (ada.email.as_str(), ada.name.as_str()),
        (email.as_str(), "Ada")
    );
    assert_eq!(store.user(ada.id).await.unwrap(), ada);

    let creds = store.user_credentials(&email).await.unwrap();
    assert_eq!(
        (creds.user, creds.password_hash.as_str()),
        (ada.clone(), "hash-1")
    );
    // Emails match regardless of case, for logging in and for uniqueness.
    assert_eq!(
        store
            .user_credentials(&email.to_uppercase())
            .await
            .unwrap()
            .user
            .id,
        ada.id
    );
    for taken in [email.clone(), email.to_uppercase()] {
        let r = store.create_user(&taken, "Impostor", "hash-2", now()).await;
        assert!(
            matches!(r, Err(StoreError::Conflict("email already registered"))),
            "{r:?}"
        );
    }

    assert_not_found(store.user_credentials("nobody@example.test").await);
    assert_not_found(store.user(UserId::new()).await);
});

test_both_dbs!(sessions_expire_and_are_deleted, async |store| {
    let ada = user(&*store, "Ada").await;
    let t0 = now();
    let expires = t0 + chrono::Duration::hours(1);
    let id = store
        .create_session(ada.id, b"token-hash-1", t0, expires)
        .await
        .unwrap();
    let s = store.session(b"token-hash-1", t0).await.unwrap();
    assert_eq!((s.id, &s.user, s.expires_at), (id, &ada, expires));

    assert_not_found(store.session(b"token-hash-1", expires).await);
    assert_not_found(store.session(b"no-such-hash", t0).await);

    let other = store
        .create_session(ada.id, b"token-hash-2", t0, expires)
        .await
        .unwrap();
    store.delete_session(id).await.unwrap();
    assert_not_found(store.session(b"token-hash-1", t0).await);
    assert_eq!(
        store.session(b"token-hash-2", t0).await.unwrap().id,
        other,
        "only the one session ends"
    );
    // Deleting a session that is already gone is not an error (logging out twice).
    store.delete_session(id).await.unwrap();
    store.delete_session(SessionId::new()).await.unwrap();
});

test_both_dbs!(
    projects_are_created_listed_updated_and_deleted,
    async |store| {
        let ada = user(&*store, "Ada").await;
        let t0 = now();
        let mut older = new_project(ada.id, "Older", t0);
        older.origin =
            Some(serde_json::json!({"kind": "automix", "photos": 12, "nested": {"a": [1, 2]}}));
        store.create_project(&older, b"older").await.unwrap();
        let newer = new_project(ada.id, "Newer", t0 + chrono::Duration::seconds(1));
        store.create_project(&newer, b"newer").await.unwrap();

        assert_eq!(store.project(older.id).await.unwrap(), older);
        assert_eq!(
            store.role_of(older.id, ada.id).await.unwrap(),
            Some(Role::Manager)
        );
        let doc = store.load_doc(older.id).await.unwrap();
        assert_eq!(
            (doc.snapshot, doc.updates),
            (None, vec![(1, b"older".to_vec())])
        );

        // Most recently updated first.
        let listed = store.projects_of(ada.id).await.unwrap();
        assert_eq!(
            listed,
            vec![
                (newer.clone(), Role::Manager),
                (older.clone(), Role::Manager)
            ]
        );

        let t1 = t0 + chrono::Duration::seconds(5);
        let patch = ProjectPatch {
            title: Some("Renamed".into()),
            theme: Some("bold".into()),
            ..Default::default()
        };
        let updated = store.update_project(older.id, &patch, t1).await.unwrap();
        let expected = Project {
            title: "Renamed".into(),
            theme: "bold".into(),
            updated_at: t1,
            ..older.clone()
        };
        assert_eq!(updated, expected);
        assert_eq!(store.project(older.id).await.unwrap(), expected);
        let listed: Vec<ProjectId> = store
            .projects_of(ada.id)
            .await
            .unwrap()
            .into_iter()
            .map(|(p, _)| p.id)
            .collect();
        assert_eq!(listed, vec![older.id, newer.id]);
        assert_not_found(store.update_project(ProjectId::new(), &patch, t1).await);

        store.delete_project(older.id).await.unwrap();
        assert_not_found(store.project(older.id).await);
        assert_not_found(store.delete_project(older.id).await);
        assert_eq!(store.role_of(older.id, ada.id).await.unwrap(), None);
        assert!(
            store.load_doc(older.id).await.unwrap().updates.is_empty(),
            "the document goes with its project"
        );
        assert_eq!(store.projects_of(ada.id).await.unwrap().len(), 1);
    }
);

test_both_dbs!(members_follow_the_owner_rule, async |store| {
    let owner = user(&*store, "Owner").await;
    let bea = user(&*store, "Bea").await;
    let cy = user(&*store, "Cy").await;
    let p = project(&*store, owner.id).await;

    // Members are listed in the order they joined.
    store
        .set_member(
            p,
            bea.id,
            Role::Editor,
            now() + chrono::Duration::seconds(1),
        )
        .await
        .unwrap();
    store
        .set_member(p, cy.id, Role::Viewer, now() + chrono::Duration::seconds(2))
        .await
        .unwrap();
    assert_eq!(store.role_of(p, bea.id).await.unwrap(), Some(Role::Editor));
    // Changing a role keeps the member's place.
    store
        .set_member(
            p,
            bea.id,
            Role::Commenter,
            now() + chrono::Duration::seconds(3),
        )
        .await
        .unwrap();
    let members: Vec<(UserId, Role)> = store
        .members(p)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.user.id, m.role))
        .collect();
    assert_eq!(
        members,
        vec![
            (owner.id, Role::Manager),
            (bea.id, Role::Commenter),
            (cy.id, Role::Viewer)
        ]
    );
    assert_eq!(
        store.projects_of(bea.id).await.unwrap()[0].1,
        Role::Commenter
    );

    // The owner's row never changes, not even to the same role.
    for role in [Role::Viewer, Role::Manager] {
        let r = store.set_member(p, owner.id, role, now()).await;
        assert!(
            matches!(
                r,
                Err(StoreError::Conflict("the owner's role cannot change"))
            ),
            "{r:?}"
        );
    }
    assert_not_found(store.remove_member(p, owner.id, now()).await);
    assert_eq!(
        store.role_of(p, owner.id).await.unwrap(),
        Some(Role::Manager)
    );

    store.remove_member(p, cy.id, now()).await.unwrap();
    assert_eq!(store.role_of(p, cy.id).await.unwrap(), None);
    assert_not_found(store.remove_member(p, cy.id, now()).await);
    assert!(store.projects_of(cy.id).await.unwrap().is_empty());

    // Unknown users and projects.
    assert_not_found(
        store
            .set_member(p, UserId::new(), Role::Editor, now())
            .await,
    );
    assert_not_found(
        store
            .set_member(ProjectId::new(), bea.id, Role::Editor, now())
            .await,
    );
    assert_not_found(store.remove_member(ProjectId::new(), bea.id, now()).await);
    assert!(store.members(ProjectId::new()).await.unwrap().is_empty());
});

/// Runs `tasks` concurrent appenders of `per_task` calls each (1 to 3 updates per call) and
/// checks that every update got its own number, numbers run on from `first_seq` without a
/// gap, and each call's updates are consecutive and in order.
async fn check_concurrent_appends(
    stores: &[Arc<dyn Store>],
    p: ProjectId,
    first_seq: i64,
    tasks: usize,
    per_task: usize,
) {
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = stores[t % stores.len()].clone();
        handles.push(tokio::spawn(async move {
            let mut calls = Vec::new();
            for i in 0..per_task {
                let updates: Vec<Vec<u8>> = (0..1 + (t + i) % 3)
                    .map(|k| format!("{t}/{i}/{k}").into_bytes())
                    .collect();
                let refs: Vec<&[u8]> = updates.iter().map(|u| u.as_slice()).collect();
                let last = store.append_updates(p, &refs, now()).await.expect("append");
                calls.push((last, updates));
            }
            calls
        }));
    }
    let mut calls = Vec::new();
    for h in handles {
        calls.extend(h.await.unwrap());
    }
    let total: usize = calls.iter().map(|(_, u)| u.len()).sum();

    let doc = stores[0].load_doc(p).await.unwrap();
    let log: Vec<i64> = doc.updates.iter().map(|(s, _)| *s).collect();
    let tail: Vec<i64> = log.iter().copied().filter(|s| *s >= first_seq).collect();
    assert_eq!(
        tail,
        (first_seq..first_seq + total as i64).collect::<Vec<_>>(),
        "numbers are not contiguous"
    );
    let by_seq: std::collections::HashMap<i64, &Vec<u8>> =
        doc.updates.iter().map(|(s, d)| (*s, d)).collect();
    for (last, updates) in &calls {
        for (k, data) in updates.iter().enumerate() {
            let seq = last - (updates.len() - 1 - k) as i64;
            assert_eq!(
                by_seq.get(&seq),
                Some(&data),
                "update {k} of a call ending at {last} is not at {seq}"
            );
        }
    }
    let lasts: BTreeSet<i64> = calls.iter().map(|(l, _)| *l).collect();
    assert_eq!(
        lasts.len(),
        calls.len(),
        "two calls were given the same number"
    );
}

test_both_dbs!(
    concurrent_appends_get_distinct_contiguous_numbers,
    async |store| {
        let owner = user(&*store, "Owner").await;
        let p = project(&*store, owner.id).await;
        let q = project(&*store, owner.id).await;
        // Another project's appends, interleaved, number on their own.
        let other = {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..20u8 {
                    store
                        .append_updates(q, &[&[i]], now())
                        .await
                        .expect("append to q");
                }
            })
        };
        check_concurrent_appends(std::slice::from_ref(&store), p, 2, 24, 10).await;
        other.await.unwrap();
        assert_eq!(store.load_doc(q).await.unwrap().last_seq(), 21);
        assert_eq!(
            store.append_updates(q, &[], now()).await.unwrap(),
            21,
            "an empty append changes nothing"
        );
    }
);

test_both_dbs!(compaction_folds_the_log_into_a_snapshot, async |store| {
    let owner = user(&*store, "Owner").await;
    let p = project(&*store, owner.id).await;
    let batch: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_le_bytes().to_vec()).collect();
    let refs: Vec<&[u8]> = batch.iter().map(|b| b.as_slice()).collect();
    assert_eq!(store.append_updates(p, &refs, now()).await.unwrap(), 301);
    assert_eq!(store.log_len(p).await.unwrap(), 301);

    store.compact(p, b"snap-200", 200, now()).await.unwrap();
    assert_eq!(store.log_len(p).await.unwrap(), 101);
    let doc = store.load_doc(p).await.unwrap();
    assert_eq!(
        (doc.snapshot.as_deref(), doc.snapshot_seq),
        (Some(&b"snap-200"[..]), 200)
    );
    assert_eq!(doc.updates.first().map(|u| u.0), Some(201));
    assert_eq!(doc.updates.len(), 101);
    assert_eq!(doc.updates[100], (301, 299u32.to_le_bytes().to_vec()));

    // An older snapshot never replaces a newer one.
    store.compact(p, b"snap-150", 150, now()).await.unwrap();
    let doc = store.load_doc(p).await.unwrap();
    assert_eq!(
        (doc.snapshot.as_deref(), doc.snapshot_seq, doc.updates.len()),
        (Some(&b"snap-200"[..]), 200, 101)
    );

    // What a node holding the document up to some number is missing.
    let since = store.doc_since(p, 250).await.unwrap();
    assert_eq!((since.snapshot, since.snapshot_seq), (None, 200));
    assert_eq!(
        since.updates.iter().map(|u| u.0).collect::<Vec<_>>(),
        (251..=301).collect::<Vec<_>>()
    );
    let since = store.doc_since(p, 100).await.unwrap();
    assert_eq!(
        (since.snapshot.as_deref(), since.updates.len()),
        (Some(&b"snap-200"[..]), 101),
        "behind the snapshot: all of it"
    );

    // Folding everything, then appending: numbering continues after the snapshot.
    store.compact(p, b"snap-301", 301, now()).await.unwrap();
    assert_eq!(store.log_len(p).await.unwrap(), 0);
    assert_eq!(
        store
            .append_updates(p, &[b"next", b"after"], now())
            .await
            .unwrap(),
        303
    );
    let doc = store.load_doc(p).await.unwrap();
    assert_eq!(
        (doc.snapshot.as_deref(), doc.snapshot_seq),
        (Some(&b"snap-301"[..]), 301)
    );
    assert_eq!(
        doc.updates,
        vec![(302, b"next".to_vec()), (303, b"after".to_vec())]
    );
    assert_eq!(doc.last_seq(), 303);
    let since = store.doc_since(p, 303).await.unwrap();
    assert_eq!((since.snapshot, since.updates.len()), (None, 0));
});

test_both_dbs!(one_large_append_numbers_in_order, async |store| {
    let owner = user(&*store, "Owner").await;
    let p = project(&*store, owner.id).await;
    let batch: Vec<Vec<u8>> = (0..1200u32).map(|i| i.to_le_bytes().to_vec()).collect();
    let refs: Vec<&[u8]> = batch.iter().map(|b| b.as_slice()).collect();
    assert_eq!(store.append_updates(p, &refs, now()).await.unwrap(), 1201);
    let doc = store.load_doc(p).await.unwrap();
    assert_eq!(doc.updates.len(), 1201);
    assert_eq!(doc.updates[0], (1, b"first".to_vec()));
    for (i, (seq, data)) in doc.updates[1..].iter().enumerate() {
        assert_eq!(*seq, i as i64 + 2);
        assert_eq!(data, &(i as u32).to_le_bytes().to_vec());
    }
});

// Appends and every other kind of write at once: on SQLite they share one writer (group
// commit on the writer thread, the rest in its turns), which must neither stall nor fail.
test_both_dbs!(appends_and_other_writes_interleave, async |store| {
    let owner = user(&*store, "Owner").await;
    let p = project(&*store, owner.id).await;
    let mut tasks = Vec::new();
    for t in 0..8u8 {
        let appender = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..20u8 {
                appender
                    .append_updates(p, &[&[t, i]], now())
                    .await
                    .expect("append");
            }
        }));
        let writer = store.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..5 {
                let u = user(&*writer, "Writer").await;
                let q = project(&*writer, u.id).await;
                writer
                    .set_member(q, owner.id, Role::Editor, now())
                    .await
                    .expect("member");
                writer.compact(q, b"snap", 1, now()).await.expect("compact");
            }
        }));
    }
    tokio::time::timeout(WAIT, async {
        for t in tasks {
            t.await.unwrap();
        }
    })
    .await
    .expect("every write finished in time");
    assert_eq!(store.load_doc(p).await.unwrap().last_seq(), 1 + 8 * 20);
});

test_both_dbs!(unknown_projects_have_no_document, async |store| {
    let unknown = ProjectId::new();
    let doc = store.load_doc(unknown).await.unwrap();
    assert_eq!(
        (doc.snapshot, doc.snapshot_seq, doc.updates.len()),
        (None, 0, 0)
    );
    assert_eq!(store.log_len(unknown).await.unwrap(), 0);
    assert!(
        store.append_updates(unknown, &[b"x"], now()).await.is_err(),
        "appending to no project must fail"
    );

    // A failing append does not take others down with it (they may share its batch).
    let owner = user(&*store, "Owner").await;
    let p = project(&*store, owner.id).await;
    let good = {
        let s = store.clone();
        tokio::spawn(async move { s.append_updates(p, &[b"ok"], now()).await })
    };
    let bad = {
        let s = store.clone();
        tokio::spawn(async move { s.append_updates(ProjectId::new(), &[b"no"], now()).await })
    };
    assert_eq!(good.await.unwrap().unwrap(), 2);
    assert!(bad.await.unwrap().is_err());
    store.ping().await.unwrap();
});

/// Several nodes appending to one project at once: each has its own pool and committer, so
/// only the database orders them.
#[tokio::test]
async fn nodes_sharing_postgres_number_appends_without_gaps() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let mut stores: Vec<Arc<dyn Store>> = Vec::new();
    for durability in [Durability::Process, Durability::Power, Durability::Process] {
        stores.push(Arc::new(
            PgStore::open(&db.url, durability).await.expect("open"),
        ));
    }
    let owner = user(&*stores[0], "Owner").await;
    let p = project(&*stores[1], owner.id).await;
    check_concurrent_appends(&stores, p, 2, 30, 8).await;
    // A compaction on one node meanwhile does not disturb the numbering on the others.
    let last = stores[0].load_doc(p).await.unwrap().last_seq();
    stores[2].compact(p, b"snap", last, now()).await.unwrap();
    check_concurrent_appends(&stores, p, last + 1, 9, 4).await;
}

/// The real server on PostgreSQL: sign up, create a book, edit it live, restart, and find
/// the edits there (after a compaction, to read snapshot plus log back).
#[tokio::test]
async fn server_on_postgres_keeps_edits_across_a_restart() {
    let Some(server) = TestServer::start_pg_with(|c| c.idle_unload_s = 3600).await else {
        return;
    };
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Trip").await;
    let a = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    let b = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    a.wait_synced().await;
    b.wait_synced().await;
    // The test config folds the log after 50 entries.
    for i in 0..80 {
        a.edit(|txn| add_page(txn, &owner.id, &format!("p{i}")));
    }
    // b sees each edit only after it was committed.
    assert!(
        eventually(WAIT, || page_ids(&b.doc).len() == 80).await,
        "b did not receive the edits"
    );
    let before = doc_json(&a.doc);
    a.close().await;
    b.close().await;

    let store = server.store().await;
    let id: ProjectId = project.parse().unwrap();
    let mut compacted = false;
    for _ in 0..100 {
        if store.load_doc(id).await.unwrap().snapshot.is_some() {
            compacted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(compacted, "the log was never folded into a snapshot");
    drop(store);

    let mut server = server.restart().await;
    let api = Api::new(&server.url);
    let c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    assert!(
        eventually(WAIT, || doc_json(&c.doc) == before).await,
        "content changed across the restart"
    );
    // The account and the membership came back too.
    let (status, body) = api
        .call(
            reqwest::Method::GET,
            "/api/projects",
            Some(&owner.token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    assert!(
        body.to_string().contains(&project),
        "the project is not listed: {body}"
    );
    c.close().await;
    server.stop().await;
}

/// Two nodes on one PostgreSQL database and Redis, the scale-out setup of SPEC §2: edits on
/// either node reach both, and a node started afterwards loads all of them.
#[tokio::test]
async fn two_nodes_on_postgres_share_one_document() {
    if missing_service("Redis", "127.0.0.1:6379").await {
        return;
    }
    let Some(cluster) = Cluster::start(2, &redis_url()).await else {
        return;
    };
    let api = Api::new(&cluster.nodes[0].url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Shared").await;
    let a = YClient::connect(&cluster.nodes[0].ws_url(), &project, &owner.token).await;
    let b = YClient::connect(&cluster.nodes[1].ws_url(), &project, &owner.token).await;
    a.wait_synced().await;
    b.wait_synced().await;
    for i in 0..15 {
        a.edit(|txn| add_page(txn, &owner.id, &format!("a{i}")));
        b.edit(|txn| add_page(txn, &owner.id, &format!("b{i}")));
    }
    for c in [&a, &b] {
        assert!(
            eventually(WAIT, || page_ids(&c.doc).len() == 30).await,
            "a node's client did not converge"
        );
    }
    assert!(
        eventually(WAIT, || doc_json(&a.doc) == doc_json(&b.doc)).await,
        "the two clients diverged"
    );
    let expected = doc_json(&a.doc);

    let late_dir = tempfile::tempdir().unwrap();
    let mut cfg = folio_server::config::Config::test(late_dir.path());
    cfg.database_url = Some(cluster.database_url.clone());
    let mut late = TestServer::start_config(cfg).await;
    let c = YClient::connect(&late.ws_url(), &project, &owner.token).await;
    c.wait_synced().await;
    assert!(
        eventually(WAIT, || doc_json(&c.doc) == expected).await,
        "a third node loaded a different document"
    );
    c.close().await;
    late.stop().await;
    a.close().await;
    b.close().await;
    drop(cluster);
}
