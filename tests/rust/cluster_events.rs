//! Control events across nodes (SPEC §8): a role change, a removal, a logout or a deleted
//! project decided on one node applies at once to sockets on another.

use std::time::Duration;

use folio_tests::book::add_page;
use folio_tests::cluster::{missing_service, redis_url, Cluster};
use folio_tests::{eventually, Api, YClient};
use reqwest::{Method, StatusCode};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_role_change_on_one_node_applies_to_sockets_on_another() {
    let redis = redis_url();
    if missing_service("Redis", redis.trim_start_matches("redis://")).await {
        return;
    }
    let Some(cluster) = Cluster::start(2, &redis).await else {
        return;
    };
    let (on_a, on_b) = (
        Api::new(&cluster.nodes[0].url),
        Api::new(&cluster.nodes[1].url),
    );
    let owner = on_a.signup("Owner").await;
    let ed = on_a.signup("Ed").await;
    let other = on_a.signup("Other").await;
    let project = on_a.create_project(&owner, "Across").await;
    on_a.set_role(&owner, &project, &ed, "editor").await;
    on_a.set_role(&owner, &project, &other, "editor").await;

    // Ed edits through node B.
    let ed_b = YClient::connect(&cluster.nodes[1].ws_url(), &project, &ed.token).await;
    ed_b.wait_synced().await;
    ed_b.edit(|txn| add_page(txn, &ed.id, "p1"));
    let watcher = YClient::connect(&cluster.nodes[0].ws_url(), &project, &owner.token).await;
    assert!(
        eventually(WAIT, || folio_tests::book::page_ids(&watcher.doc) == ["p1"]).await,
        "B's edit reached A"
    );
    assert!(ed_b.seen.lock().unwrap().denied.is_empty());

    // Demoted on node A: Ed's next write on node B is refused on the same socket.
    let (status, body) = on_a.set_role(&owner, &project, &ed, "viewer").await;
    assert!(status.is_success(), "{body}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    ed_b.edit(|txn| add_page(txn, &ed.id, "p2"));
    assert!(
        eventually(WAIT, || !ed_b.seen.lock().unwrap().denied.is_empty()).await,
        "node B accepted a demoted user's write"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        folio_tests::book::page_ids(&watcher.doc),
        ["p1"],
        "the refused page never reached node A"
    );

    // Removed on node A: Ed's socket on node B closes with 4403.
    let (status, _) = on_a
        .call(
            Method::DELETE,
            &format!("/api/projects/{project}/members/{}", ed.id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        eventually(WAIT, || ed_b.closed().is_some()).await,
        "a removed user stayed connected to node B"
    );
    assert_eq!(ed_b.closed().unwrap().0, 4403);

    // Logging out through node B closes that token's socket on node A with 4401.
    let other_a = YClient::connect(&cluster.nodes[0].ws_url(), &project, &other.token).await;
    other_a.wait_synced().await;
    let (status, _) = on_b
        .call(Method::POST, "/api/auth/logout", Some(&other.token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        eventually(WAIT, || other_a.closed().is_some()).await,
        "a logged-out socket stayed open on node A"
    );
    assert_eq!(other_a.closed().unwrap().0, 4401);

    // Deleting the project on node B disconnects its sockets on node A.
    let (status, _) = on_b
        .call(
            Method::DELETE,
            &format!("/api/projects/{project}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        eventually(WAIT, || watcher.closed().is_some()).await,
        "a deleted project's socket stayed open on node A"
    );
}
