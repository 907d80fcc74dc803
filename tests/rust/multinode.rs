//! Several nodes on one PostgreSQL database behind Redis fan-out: convergence, awareness
//! across nodes, and healing from the durable log after lost Redis messages or a Redis
//! outage (SPEC §8).

use std::time::{Duration, Instant};

use folio_tests::book::{add_page, page_ids};
use folio_tests::cluster::{missing_service, redis_url, Cluster, PrivateRedis};
use folio_tests::{eventually, Api, YClient};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(15);

fn state_of(c: &YClient) -> Vec<String> {
    let mut ids = page_ids(&c.doc);
    ids.sort();
    ids
}

/// Waits until every client holds exactly `expected` pages (sorted ids compared).
async fn all_converge(clients: &[&YClient], expected: usize) -> bool {
    for c in clients {
        if !eventually(WAIT, || page_ids(&c.doc).len() == expected).await {
            return false;
        }
    }
    let first = state_of(clients[0]);
    clients.iter().all(|c| state_of(c) == first)
}

#[tokio::test]
async fn three_nodes_converge_and_share_awareness() {
    if missing_service("Redis", "127.0.0.1:6379").await {
        return;
    }
    let Some(cluster) = Cluster::start(3, &redis_url()).await else { return };
    let api_a = Api::new(&cluster.nodes[0].url);
    let owner = api_a.signup("Owner").await;
    let project = api_a.create_project(&owner, "Three nodes").await;
    let mut users = Vec::new();
    for i in 0..3 {
        let u = api_a.signup(&format!("Editor{i}")).await;
        api_a.set_role(&owner, &project, &u, "editor").await;
        users.push(u);
    }
    let mut clients = Vec::new();
    for (i, u) in users.iter().enumerate() {
        let c = YClient::connect(&cluster.nodes[i].ws_url(), &project, &u.token).await;
        c.wait_synced().await;
        clients.push(c);
    }
    // Everyone edits at once, each on their own node.
    for round in 0..20 {
        for (i, c) in clients.iter().enumerate() {
            c.edit(|txn| add_page(txn, &users[i].id, &format!("p-{i}-{round}")));
        }
    }
    let refs: Vec<&YClient> = clients.iter().collect();
    assert!(all_converge(&refs, 60).await, "clients on three nodes did not converge");

    // A newcomer on any node loads the same document from the shared store.
    let late = YClient::connect(&cluster.nodes[1].ws_url(), &project, &owner.token).await;
    late.wait_synced().await;
    assert!(eventually(WAIT, || page_ids(&late.doc).len() == 60).await);

    // A cursor set through node A is seen by a client of node C, stamped with the user.
    let a_id = clients[0].client_id();
    clients[0].set_awareness(&json!({"cursor": {"x": 0.5, "y": 0.25}}));
    assert!(
        eventually(WAIT, || clients[2].seen.lock().unwrap().awareness.contains_key(&a_id)).await,
        "awareness from node A never reached node C"
    );
    let state = clients[2].seen.lock().unwrap().awareness[&a_id].clone();
    assert_eq!(state["cursor"]["x"], json!(0.5));
    assert_eq!(state["user"]["id"], json!(users[0].id));
    // And it goes away on node C when the client leaves node A.
    let first = clients.remove(0);
    first.close().await;
    assert!(
        eventually(WAIT, || !clients[1].seen.lock().unwrap().awareness.contains_key(&a_id)).await,
        "a departed client's awareness stayed on node C"
    );
}

/// Writes on two nodes while Redis drops every subscriber connection, then checks the nodes
/// heal from the durable log.
#[tokio::test]
async fn dropped_redis_connections_heal_from_the_log() {
    let Some(redis) = PrivateRedis::start().await else { return };
    let Some(cluster) = Cluster::start(2, &redis.url()).await else { return };
    let api = Api::new(&cluster.nodes[0].url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Faults").await;
    let a = YClient::connect(&cluster.nodes[0].ws_url(), &project, &owner.token).await;
    let b = YClient::connect(&cluster.nodes[1].ws_url(), &project, &owner.token).await;
    a.wait_synced().await;
    b.wait_synced().await;
    for round in 0..30 {
        a.edit(|txn| add_page(txn, &owner.id, &format!("a-{round}")));
        b.edit(|txn| add_page(txn, &owner.id, &format!("b-{round}")));
        if round == 10 || round == 20 {
            // Drops the pub/sub connections of both nodes mid-burst.
            redis.command(&["CLIENT", "KILL", "TYPE", "pubsub"]).await.expect("CLIENT KILL");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    assert!(all_converge(&[&a, &b], 60).await, "nodes did not converge after Redis dropped their subscriptions");
    eprintln!("converged {:?} after the last write", started.elapsed());
}

#[tokio::test]
async fn a_redis_outage_degrades_to_one_node_and_heals() {
    let Some(mut redis) = PrivateRedis::start().await else { return };
    let Some(cluster) = Cluster::start(2, &redis.url()).await else { return };
    let api = Api::new(&cluster.nodes[0].url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Outage").await;
    let a1 = YClient::connect(&cluster.nodes[0].ws_url(), &project, &owner.token).await;
    let a2 = YClient::connect(&cluster.nodes[0].ws_url(), &project, &owner.token).await;
    let b = YClient::connect(&cluster.nodes[1].ws_url(), &project, &owner.token).await;
    for c in [&a1, &a2, &b] {
        c.wait_synced().await;
    }

    redis.kill().await;
    // Each node keeps serving its own clients while Redis is away.
    for round in 0..10 {
        a1.edit(|txn| add_page(txn, &owner.id, &format!("a-{round}")));
        b.edit(|txn| add_page(txn, &owner.id, &format!("b-{round}")));
    }
    // (Node B's pages may reach A too: rooms also look at the shared log once a second.)
    assert!(
        eventually(WAIT, || page_ids(&a2.doc).iter().filter(|p| p.starts_with("a-")).count() == 10).await,
        "node A stopped serving its own clients without Redis"
    );

    redis.restart().await;
    let back = Instant::now();
    assert!(all_converge(&[&a1, &a2, &b], 20).await, "nodes did not converge after Redis came back");
    eprintln!("converged {:?} after Redis came back", back.elapsed());
    // And live fan-out works again.
    b.edit(|txn| add_page(txn, &owner.id, "after"));
    assert!(eventually(WAIT, || page_ids(&a1.doc).len() == 21).await, "fan-out did not resume after the outage");
}
