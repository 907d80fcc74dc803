//! Several nodes on one PostgreSQL database behind Redis fan-out: convergence, awareness
//! across nodes, healing from the durable log after lost Redis messages or a Redis outage,
//! and the loss of a whole node (`kill -9` of a real `folio` process) mid-burst (SPEC §7, §8).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use folio_server::config::Durability;
use folio_server::ids::ProjectId;
use folio_server::store::{PgStore, Store};
use folio_tests::book::{add_page, add_text_item, caption, doc_json, page_ids};
use folio_tests::cluster::{missing_service, redis_url, Cluster, PrivateRedis};
use folio_tests::http::Account;
use folio_tests::{eventually, Api, BinServer, PgDatabase, YClient};
use serde_json::json;
use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::{Any, Array, Doc, Map, ReadTxn, StateVector, Text, Transact, TransactionMut, Update};

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
    let Some(cluster) = Cluster::start(3, &redis_url()).await else {
        return;
    };
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
    assert!(
        all_converge(&refs, 60).await,
        "clients on three nodes did not converge"
    );

    // A newcomer on any node loads the same document from the shared store.
    let late = YClient::connect(&cluster.nodes[1].ws_url(), &project, &owner.token).await;
    late.wait_synced().await;
    assert!(eventually(WAIT, || page_ids(&late.doc).len() == 60).await);

    // A cursor set through node A is seen by a client of node C, stamped with the user.
    let a_id = clients[0].client_id();
    clients[0].set_awareness(&json!({"cursor": {"x": 0.5, "y": 0.25}}));
    assert!(
        eventually(WAIT, || clients[2]
            .seen
            .lock()
            .unwrap()
            .awareness
            .contains_key(&a_id))
        .await,
        "awareness from node A never reached node C"
    );
    let state = clients[2].seen.lock().unwrap().awareness[&a_id].clone();
    assert_eq!(state["cursor"]["x"], json!(0.5));
    assert_eq!(state["user"]["id"], json!(users[0].id));
    // And it goes away on node C when the client leaves node A.
    let first = clients.remove(0);
    first.close().await;
    assert!(
        eventually(WAIT, || !clients[1]
            .seen
            .lock()
            .unwrap()
            .awareness
            .contains_key(&a_id))
        .await,
        "a departed client's awareness stayed on node C"
    );
}

/// Writes on two nodes while Redis drops every subscriber connection, then checks the nodes
/// heal from the durable log.
#[tokio::test]
async fn dropped_redis_connections_heal_from_the_log() {
    let Some(redis) = PrivateRedis::start().await else {
        return;
    };
    let Some(cluster) = Cluster::start(2, &redis.url()).await else {
        return;
    };
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
            redis
                .command(&["CLIENT", "KILL", "TYPE", "pubsub"])
                .await
                .expect("CLIENT KILL");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    assert!(
        all_converge(&[&a, &b], 60).await,
        "nodes did not converge after Redis dropped their subscriptions"
    );
    eprintln!("converged {:?} after the last write", started.elapsed());
}

#[tokio::test]
async fn a_redis_outage_degrades_to_one_node_and_heals() {
    let Some(mut redis) = PrivateRedis::start().await else {
        return;
    };
    let Some(cluster) = Cluster::start(2, &redis.url()).await else {
        return;
    };
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
        eventually(WAIT, || page_ids(&a2.doc)
            .iter()
            .filter(|p| p.starts_with("a-"))
            .count()
            == 10)
        .await,
        "node A stopped serving its own clients without Redis"
    );

    redis.restart().await;
    let back = Instant::now();
    assert!(
        all_converge(&[&a1, &a2, &b], 20).await,
        "nodes did not converge after Redis came back"
    );
    eprintln!("converged {:?} after Redis came back", back.elapsed());
    // And live fan-out works again.
    b.edit(|txn| add_page(txn, &owner.id, "after"));
    assert!(
        eventually(WAIT, || page_ids(&a1.doc).len() == 21).await,
        "fan-out did not resume after the outage"
    );
}

// ---------------------------------------------------------------------------------------
// Node loss with real processes: three `folio serve` children on one PostgreSQL database and
// one Redis; one of them is killed with SIGKILL while every client is writing.

/// `host:port` of a `redis://` URL, to tell a missing Redis from a broken one.
fn redis_host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:6379")
    }
}

/// Index of the page with `id` in book order (pages of other clients may land before it).
fn page_index<T: ReadTxn>(txn: &T, id: &str) -> u32 {
    let pages = txn.get_array("pages").expect("pages root");
    let found = pages.iter(txn).position(|v| match v {
        yrs::Out::YMap(m) => matches!(m.get(txn, "id").map(|x| x.to_json(txn)), Some(Any::String(s)) if s.as_ref() == id),
        _ => false,
    });
    found.unwrap_or_else(|| panic!("own page {id} is not in the writer's doc")) as u32
}

/// One person editing the book through one client. It edits only what it created (so a
/// contributor passes §6.3 rule 4 as an editor does) and only appends to its own captions,
/// so whatever anyone saw of a caption is a prefix of every later state of it.
struct Writer {
    /// The node it first connected to.
    node: usize,
    name: String,
    user: Account,
    client: YClient,
    steps: u32,
    pages: u32,
    items: u32,
    page: Option<String>,
    item: Option<String>,
}

impl Writer {
    /// One edit, as a user working on a book does: a new page now and then, a text item on
    /// it, and mostly typing its caption one character per update.
    fn step(&mut self) {
        let n = self.steps;
        self.steps += 1;
        let user = self.user.id.clone();
        if self.page.is_none() || n.is_multiple_of(15) {
            let page = format!("{}-p{}", self.name, self.pages);
            self.pages += 1;
            self.client.edit(|txn| add_page(txn, &user, &page));
            self.page = Some(page);
            self.item = None;
        } else if self.item.is_none() || n.is_multiple_of(5) {
            let page = self.page.clone().expect("a page");
            let item = format!("{}-i{}", self.name, self.items);
            self.items += 1;
            self.client.edit(|txn: &mut TransactionMut| {
                let at = page_index(&*txn, &page);
                add_text_item(txn, at, &user, &item, "");
            });
            self.item = Some(item);
        } else {
            let (page, item) = (
                self.page.clone().expect("a page"),
                self.item.clone().expect("an item"),
            );
            let ch = (b'a' + (n % 26) as u8) as char;
            self.client.edit(|txn: &mut TransactionMut| {
                let at = page_index(&*txn, &page);
                let text = caption(&*txn, at, &item).expect("own caption");
                let end = text.len(txn);
                text.insert(txn, end, &ch.to_string());
            });
        }
    }
}

/// Every writer edits once per round, about every 10 ms, for `how_long`. Writers whose node
/// is gone keep editing offline (their sends go nowhere), as a real client does.
async fn burst(writers: &mut [Writer], how_long: Duration) {
    let end = Instant::now() + how_long;
    while Instant::now() < end {
        for w in writers.iter_mut() {
            w.step();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The book's content: page id → (creator, item id → (creator, caption)).
type Content = BTreeMap<String, (String, BTreeMap<String, (String, String)>)>;

fn content(doc: &Doc) -> Content {
    let json = doc_json(doc);
    let mut out = Content::new();
    for page in json["pages"].as_array().into_iter().flatten() {
        let mut items = BTreeMap::new();
        for (id, item) in page["items"].as_object().into_iter().flatten() {
            let by = item["createdBy"].as_str().unwrap_or_default().to_owned();
            items.insert(
                id.clone(),
                (by, item["text"].as_str().unwrap_or_default().to_owned()),
            );
        }
        let id = page["id"].as_str().unwrap_or_default().to_owned();
        out.insert(
            id,
            (
                page["createdBy"].as_str().unwrap_or_default().to_owned(),
                items,
            ),
        );
    }
    out
}

/// What one client had received from the servers at one moment. A writer's doc also holds
/// what it authored itself, which may never have reached a server (the killed node may have
/// died before committing it, or it was typed offline): its own client id and the pages and
/// items its user created are left out, so only what a server delivered is checked.
struct Received {
    who: String,
    sv: Vec<(u64, u32)>,
    content: Content,
}

fn received(who: &str, c: &YClient, author: Option<&Account>) -> Received {
    let own_client = author.map(|_| c.client_id());
    let sv = c.doc.transact().state_vector();
    let sv = sv
        .iter()
        .map(|(id, clock)| (id.get(), *clock))
        .filter(|(id, _)| Some(*id) != own_client)
        .collect();
    let mut content = content(&c.doc);
    if let Some(a) = author {
        content.retain(|_, (by, _)| *by != a.id);
        for (_, items) in content.values_mut() {
            items.retain(|_, (by, _)| *by != a.id);
        }
    }
    Received {
        who: who.to_owned(),
        sv,
        content,
    }
}

/// Everything in `seen` that `doc` lacks: state-vector entries it does not reach, and pages,
/// items and caption text it does not hold. Empty when `doc` contains all of `seen`.
fn lacking(doc: &Doc, seen: &Received) -> Vec<String> {
    let mut out = Vec::new();
    let sv = doc.transact().state_vector();
    for (client, clock) in &seen.sv {
        let has = sv.get(&yrs::ClientID::new(*client));
        if has < *clock {
            out.push(format!(
                "{}: client {client} up to clock {clock}, but only {has}",
                seen.who
            ));
        }
    }
    let have = content(doc);
    for (page, (_, items)) in &seen.content {
        let Some((_, have_items)) = have.get(page) else {
            out.push(format!("{}: page {page}", seen.who));
            continue;
        };
        for (item, (_, text)) in items {
            match have_items.get(item) {
                None => out.push(format!("{}: item {item} on page {page}", seen.who)),
                Some((_, t)) if !t.starts_with(text.as_str()) => out.push(format!(
                    "{}: caption of {item} {text:?}, but {t:?}",
                    seen.who
                )),
                Some(_) => {}
            }
        }
    }
    out
}

/// The document exactly as the durable store holds it (snapshot, then the log after it),
/// with the snapshot's sequence number and the log's length, to show what the test covered.
async fn durable_doc(store: &dyn Store, project: &str) -> (Doc, i64, usize) {
    let stored = store
        .load_doc(project.parse::<ProjectId>().expect("project id"))
        .await
        .expect("load_doc");
    let doc = Doc::new();
    {
        let mut txn = doc.transact_mut();
        for bytes in stored
            .snapshot
            .iter()
            .chain(stored.updates.iter().map(|(_, u)| u))
        {
            txn.apply_update(Update::decode_v1(bytes).expect("a stored update decodes"))
                .expect("a stored update applies");
        }
    }
    (doc, stored.snapshot_seq, stored.updates.len())
}

/// Which node was killed and which are left: clients of node `VICTIM` reconnect to the others.
const VICTIM: usize = 1;

#[tokio::test]
async fn kill_9_of_a_node_mid_burst_loses_nothing_any_client_saw() {
    let redis = redis_url();
    if missing_service("Redis", &redis_host_port(&redis)).await {
        return;
    }
    // Declared first so it is dropped last, after the nodes and the store handle.
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let dirs: Vec<tempfile::TempDir> = (0..3)
        .map(|_| tempfile::tempdir().expect("temp dir"))
        .collect();
    let mut nodes = Vec::new();
    for dir in &dirs {
        // A low compaction bound makes the nodes fold the shared log during the burst too.
        let env = [
            ("DATABASE_URL", db.url.as_str()),
            ("REDIS_URL", redis.as_str()),
            ("FOLIO_COMPACT_AFTER", "150"),
        ];
        nodes.push(BinServer::start_env(dir.path(), &env).await);
    }
    let ws: Vec<String> = nodes.iter().map(|n| n.ws_url()).collect();

    let api = Api::new(&nodes[0].url);
    let owner = api.signup("Owner").await;
    let project = api.create_project(&owner, "Node loss").await;
    // Per node: an editor and a contributor who write, and a viewer who only receives (so
    // everything in the viewer's doc came from a server).
    let mut writers: Vec<Writer> = Vec::new();
    let mut viewers = Vec::new();
    for (node, ws) in ws.iter().enumerate() {
        for role in ["editor", "contributor"] {
            let user = api.signup(&format!("W{node}{role}")).await;
            let (status, body) = api.set_role(&owner, &project, &user, role).await;
            assert!(status.is_success(), "set_role {role}: {status} {body}");
            let client = YClient::connect(ws, &project, &user.token).await;
            client.wait_synced().await;
            writers.push(Writer {
                node,
                name: format!("n{node}{}", &role[..3]),
                user,
                client,
                steps: 0,
                pages: 0,
                items: 0,
                page: None,
                item: None,
            });
        }
        let user = api.signup(&format!("V{node}")).await;
        let (status, body) = api.set_role(&owner, &project, &user, "viewer").await;
        assert!(status.is_success(), "set_role viewer: {status} {body}");
        let client = YClient::connect(ws, &project, &user.token).await;
        client.wait_synced().await;
        viewers.push((node, user, client));
    }
    let victim = nodes.remove(VICTIM);
    // Survivors, by index in `nodes` now; clients of the victim are spread over them.
    let survivor_ws = |i: usize| nodes[i % nodes.len()].ws_url();

    // The burst, with the victim killed after a second of it. Writes keep going for another
    // second on the surviving nodes (and offline on the victim's writers).
    tokio::join!(burst(&mut writers, Duration::from_secs(2)), async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        victim.kill9().await;
    });

    // The victim's clients lost their connection.
    for w in writers.iter().filter(|w| w.node == VICTIM) {
        assert!(
            eventually(WAIT, || w.client.closed().is_some()).await,
            "{} was not disconnected by the kill",
            w.name
        );
    }
    let (_, _, victim_viewer) = &viewers[VICTIM];
    assert!(
        eventually(WAIT, || victim_viewer.closed().is_some()).await,
        "the victim's viewer was not disconnected"
    );
    let victim_updates = victim_viewer.seen.lock().unwrap().updates;
    let victim_pages = page_ids(&victim_viewer.doc).len();
    assert!(victim_pages >= 10 && victim_updates >= 100, "too little reached the victim's viewer before the kill to mean anything: {victim_pages} pages, {victim_updates} updates");

    // What every client had received from a server, taken before any of the victim's clients
    // reconnects (a reconnecting client sends its whole state, which would hide a loss).
    let mut seen = Vec::new();
    for w in &writers {
        seen.push(received(
            &format!("writer {}", w.name),
            &w.client,
            Some(&w.user),
        ));
    }
    for (node, _, c) in &viewers {
        seen.push(received(&format!("viewer of node {node}"), c, None));
    }

    // SPEC §7: whatever anyone saw is in the durable store, right now (nothing can still be
    // in flight: a relay waits for the commit that covers it).
    let store = PgStore::open(&db.url, Durability::Process)
        .await
        .expect("open PostgreSQL");
    let (durable, snapshot_seq, log_len) = durable_doc(&store, &project).await;
    let lost: Vec<String> = seen.iter().flat_map(|r| lacking(&durable, r)).collect();
    assert!(
        lost.is_empty(),
        "{} things clients had received are not in PostgreSQL after the kill, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(20)]
    );
    eprintln!(
        "durable after the kill: {} pages (snapshot at seq {snapshot_seq}, {log_len} log entries after it); the victim's viewer had seen {victim_pages} pages in {victim_updates} updates",
        page_ids(&durable).len()
    );

    // And a newcomer on a surviving node, which sends nothing of its own, gets all of it
    // (within the heal bound: the victim may have died between its commit and its publish).
    let fresh = YClient::connect(&survivor_ws(0), &project, &owner.token).await;
    fresh.wait_synced().await;
    let healed = eventually(WAIT, || {
        seen.iter().all(|r| lacking(&fresh.doc, r).is_empty())
    })
    .await;
    let missing: Vec<String> = seen.iter().flat_map(|r| lacking(&fresh.doc, r)).collect();
    assert!(
        healed,
        "a fresh client on a surviving node lacks {} things clients had received, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(20)]
    );

    // The victim's clients reconnect to a surviving node with their docs (offline edits
    // included), as y-websocket does, and everyone keeps editing briefly.
    let mut spread = 0;
    for w in writers.iter_mut().filter(|w| w.node == VICTIM) {
        let denied = w.client.seen.lock().unwrap().denied.clone();
        assert!(
            denied.is_empty(),
            "{} was refused before the kill: {denied:?}",
            w.name
        );
        let doc = w.client.doc.clone();
        w.client = YClient::connect_doc(&survivor_ws(spread), &project, &w.user.token, doc).await;
        w.client.wait_synced().await;
        spread += 1;
    }
    {
        let (_, user, c) = &mut viewers[VICTIM];
        let doc = c.doc.clone();
        *c = YClient::connect_doc(&survivor_ws(spread), &project, &user.token, doc).await;
        c.wait_synced().await;
    }
    burst(&mut writers, Duration::from_millis(500)).await;

    // Everyone converges: same state vector and same book, and so does the durable store.
    let mut clients: Vec<(String, &YClient)> = writers
        .iter()
        .map(|w| (w.name.clone(), &w.client))
        .collect();
    clients.extend(
        viewers
            .iter()
            .map(|(node, _, c)| (format!("viewer of node {node}"), c)),
    );
    clients.push(("fresh".into(), &fresh));
    // (The read transaction must end before `doc_json`, which opens a write transaction.)
    let target = |c: &YClient| {
        let sv = c.doc.transact().state_vector();
        (sv, doc_json(&c.doc))
    };
    let converged = eventually(WAIT, || {
        let first = target(clients[0].1);
        clients.iter().all(|(_, c)| target(c) == first)
    })
    .await;
    if !converged {
        let first = target(clients[0].1).0;
        let differ: Vec<&String> = clients
            .iter()
            .filter(|(_, c)| target(c).0 != first)
            .map(|(n, _)| n)
            .collect();
        panic!("clients did not converge after the victim's clients reconnected; state vectors differing from {}: {differ:?}", clients[0].0);
    }
    let (sv, json): (StateVector, serde_json::Value) = target(clients[0].1);
    let (durable, _, _) = durable_doc(&store, &project).await;
    let durable_sv = durable.transact().state_vector();
    assert_eq!(durable_sv, sv, "the store lacks updates every client holds");
    assert_eq!(
        doc_json(&durable),
        json,
        "the stored book differs from the clients' book"
    );
    // Every writer's pages are there, the victim's included, and nothing was refused.
    for w in &writers {
        assert!(
            page_ids(&durable).contains(&format!("{}-p{}", w.name, w.pages - 1)),
            "{}'s last page is missing",
            w.name
        );
    }
    for (name, c) in &clients {
        let denied = c.seen.lock().unwrap().denied.clone();
        assert!(denied.is_empty(), "{name} was refused: {denied:?}");
    }
    eprintln!("converged on {} pages", page_ids(&durable).len());
}
