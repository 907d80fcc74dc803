//! Issue 18, end to end over real sockets: a person's work survives every machine step
//! (automix again, a proactive redesign, a restore), and crafted updates that a stock client
//! never sends (an overwritten item key with the delete set stripped, a page deleted with
//! someone else's item in it, a GC block over another client's clocks or the room's own)
//! are refused while the room stays up and the other clients' state is unchanged.

use std::time::{Duration, Instant};

use crdt_schema::model::{self, Book, ItemKind, NewItem, Page, PageKind, Style};
use folio_tests::book::{add_page, add_text_item, doc_json, page_at};
use folio_tests::http::Account;
use folio_tests::wire::gc_block_update;
use folio_tests::{eventually, Api, TestServer, YClient};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yrs::updates::encoder::Encode;
use yrs::{Map, MapPrelim, ReadTxn, Transact, TransactionMut, WriteTxn};

/// A hang guard for jobs and live documents, never a performance bound.
const WAIT: Duration = Duration::from_secs(60);

fn picture(i: usize) -> Vec<u8> {
    folio_tests::pictures::numbered_jpeg(i, [(64, 48), (48, 64), (56, 56)])
}

/// Uploads pictures `from..to` of `who`'s in one request; their ids.
async fn upload(api: &Api, who: &Account, from: usize, to: usize) -> Vec<String> {
    let files: Vec<(String, Vec<u8>)> = (from..to)
        .map(|i| (format!("pic-{i:03}.jpg"), picture(i)))
        .collect();
    let parts: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
        .collect();
    let (status, body) = api.upload(&who.token, &parts, None).await;
    assert_eq!(status, StatusCode::OK, "upload: {body}");
    body["photos"]
        .as_array()
        .expect("photos")
        .iter()
        .map(|p| p["id"].as_str().expect("photo id").to_owned())
        .collect()
}

async fn call_ok(
    api: &Api,
    who: &Account,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let (status, res) = api.call(method, path, Some(&who.token), body).await;
    assert!(status.is_success(), "{path}: {status} {res}");
    res
}

async fn run_automix(api: &Api, who: &Account, project: &str, photos: &[String]) {
    let res = call_ok(
        api,
        who,
        Method::POST,
        &format!("/api/projects/{project}/automix"),
        Some(json!({ "photo_ids": photos })),
    )
    .await;
    let job = res["job"]["id"].as_str().expect("job id").to_owned();
    let done = api.finished_job(&who.token, &job, WAIT).await;
    assert_eq!(done["state"], "done", "{done}");
}

fn book_of(c: &YClient) -> Book {
    model::read_book(&c.doc.transact()).expect("the live book reads")
}

/// Every item a person made, by id, as the client sees the book now.
fn persons_items(c: &YClient) -> Vec<model::Item> {
    let mut items: Vec<model::Item> = book_of(c)
        .pages
        .into_iter()
        .flat_map(|p| p.items)
        .filter(|i| i.made_by_person())
        .collect();
    items.sort_by(|a, b| a.id.cmp(&b.id));
    items
}

fn sticker(id: &str, by: &str) -> NewItem {
    NewItem {
        id: id.into(),
        kind: ItemKind::Sticker,
        bbox: [0.3, -0.3, 0.1, 0.1, 12.0],
        z: 90.0,
        created_by: by.into(),
        photo: None,
        text: Some("★".into()),
        style: Style::default(),
        slot: None,
    }
}

/// Waits until the server holds what `c` holds (a fresh client sees the same document).
async fn wait_durable(server: &TestServer, who: &Account, project: &str, c: &YClient) {
    let start = Instant::now();
    loop {
        let fresh = YClient::connect(&server.ws_url(), project, &who.token).await;
        fresh.wait_synced().await;
        let same = eventually(Duration::from_millis(500), || {
            doc_json(&fresh.doc) == doc_json(&c.doc)
        })
        .await;
        fresh.close().await;
        if same {
            return;
        }
        assert!(start.elapsed() < WAIT, "the edit never reached the server");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_contributors_sticker_survives_automix_again_a_proactive_redesign_and_a_restore() {
    let server = TestServer::start_with(|cfg| {
        cfg.proactive_min = 6;
        cfg.proactive_delay_ms = 100;
    })
    .await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let friend = api.signup("Friend").await;

    // Eight photos, uploaded in twos (no upload group reaches the proactive threshold),
    // then put in an album: the album enters its range and gets a book designed by itself.
    let mut photos = Vec::new();
    for i in (0..8).step_by(2) {
        photos.extend(upload(&api, &owner, i, i + 2).await);
    }
    let album = call_ok(
        &api,
        &owner,
        Method::POST,
        "/api/albums",
        Some(json!({ "name": "Summer vacation" })),
    )
    .await["album"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    call_ok(
        &api,
        &owner,
        Method::POST,
        &format!("/api/albums/{album}/photos"),
        Some(json!({ "photo_ids": photos })),
    )
    .await;
    let start = Instant::now();
    let project = loop {
        let list = call_ok(&api, &owner, Method::GET, "/api/projects", None).await;
        if let Some(p) = list
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["project"]["origin"]["group_id"] == json!(album))
        {
            break p["project"]["id"].as_str().unwrap().to_owned();
        }
        assert!(start.elapsed() < WAIT, "no proactive book: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (status, body) = api.set_role(&owner, &project, &friend, "contributor").await;
    assert!(status.is_success(), "{status} {body}");

    let owner_c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    let friend_c = YClient::connect(&server.ws_url(), &project, &friend.token).await;
    owner_c.wait_synced().await;
    friend_c.wait_synced().await;
    assert!(
        eventually(WAIT, || book_of(&friend_c)
            .pages
            .iter()
            .filter(|p| p.kind == PageKind::Page)
            .count()
            >= 2)
        .await,
        "the book has inside pages"
    );
    let versions_before = call_ok(
        &api,
        &owner,
        Method::GET,
        &format!("/api/projects/{project}/versions"),
        None,
    )
    .await;
    let oldest = versions_before
        .as_array()
        .unwrap()
        .iter()
        .min_by_key(|v| v["created_at"].as_str().unwrap().to_owned())
        .expect("a version")
        .clone();

    // The friend puts a sticker on an automix page; the page stays `auto`.
    let page: Page = book_of(&friend_c)
        .pages
        .into_iter()
        .find(|p| p.kind == PageKind::Page)
        .unwrap();
    assert!(page.auto && !page.touched());
    let (page_id, friend_id) = (page.id.clone(), friend.id.clone());
    friend_c.edit(move |txn| {
        model::add_item(txn, &page_id, sticker("friends-star", &friend_id)).expect("add sticker");
    });
    wait_durable(&server, &owner, &project, &friend_c).await;
    assert!(
        friend_c.seen.lock().unwrap().denied.is_empty(),
        "{:?}",
        friend_c.seen.lock().unwrap().denied
    );
    let made = persons_items(&friend_c);
    assert_eq!(made.len(), 1);
    let page_with_sticker = |c: &YClient| book_of(c).pages.into_iter().find(|p| p.id == page.id);

    // 1. The owner uploads six more and runs automix again over all fourteen.
    photos.extend(upload(&api, &owner, 8, 14).await);
    run_automix(&api, &owner, &project, &photos).await;
    wait_durable(&server, &owner, &project, &owner_c).await;
    assert_eq!(
        persons_items(&owner_c),
        made,
        "automix again kept the sticker as it was"
    );
    let kept = page_with_sticker(&owner_c).expect("the page with the sticker is still there");
    assert!(kept.items.iter().any(|i| i.id == "friends-star"));

    // 2. The album changes: the proactive book is redesigned.
    let more = upload(&api, &owner, 14, 16).await;
    call_ok(
        &api,
        &owner,
        Method::POST,
        &format!("/api/albums/{album}/photos"),
        Some(json!({ "photo_ids": more })),
    )
    .await;
    assert!(
        eventually(WAIT, || {
            let on_pages: Vec<String> = book_of(&owner_c)
                .pages
                .iter()
                .flat_map(|p| p.items.iter())
                .filter_map(|i| i.photo.as_ref().map(|r| r.id.clone()))
                .collect();
            more.iter().all(|m| on_pages.contains(m))
        })
        .await,
        "the redesign placed the album's new photos"
    );
    assert_eq!(
        persons_items(&owner_c),
        made,
        "the proactive redesign kept the sticker as it was"
    );
    assert!(page_with_sticker(&owner_c).is_some());

    // 3. A restore of the oldest version, from before the sticker.
    let id = oldest["id"].as_str().unwrap();
    let res = call_ok(
        &api,
        &owner,
        Method::POST,
        &format!("/api/projects/{project}/versions/{id}/restore"),
        None,
    )
    .await;
    assert!(
        res["kept"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["item_id"] == "friends-star"),
        "the answer says the sticker was kept: {res}"
    );
    wait_durable(&server, &owner, &project, &owner_c).await;
    assert_eq!(
        persons_items(&owner_c),
        made,
        "the restore kept the sticker as it was"
    );
    assert_eq!(persons_items(&friend_c), made);
    assert!(friend_c.closed().is_none() && owner_c.closed().is_none());
}

// ---- crafted updates -------------------------------------------------------------------

/// The bytes of an edit made on `c`'s doc (not sent), with the delete set stripped, as a
/// crafted client would send them.
fn crafted(c: &YClient, f: impl FnOnce(&mut TransactionMut)) -> Vec<u8> {
    let mut txn = c.doc.transact_mut();
    f(&mut txn);
    let ds = txn.delete_set().encode_v1();
    let update = txn.encode_update_v1();
    assert!(update.ends_with(&ds));
    let mut out = update[..update.len() - ds.len()].to_vec();
    out.push(0);
    out
}

/// A y-websocket Update message carrying `update`.
fn update_message(update: Vec<u8>) -> Vec<u8> {
    yrs::sync::Message::Sync(yrs::sync::SyncMessage::Update(update)).encode_v1()
}

struct Room {
    server: TestServer,
    api: Api,
    owner: Account,
    attacker: Account,
    project: String,
    owner_c: YClient,
    watcher: YClient,
    attacker_c: YClient,
}

/// A book with a page and a caption item of the owner's, the owner and a watcher (an editor)
/// connected, and a contributor who will attack.
async fn room() -> Room {
    let server = TestServer::start().await;
    let api = Api::new(&server.url);
    let owner = api.signup("Owner").await;
    let watcher_acct = api.signup("Watcher").await;
    let attacker = api.signup("Attacker").await;
    let project = api.create_project(&owner, "Target").await;
    for (who, role) in [(&watcher_acct, "editor"), (&attacker, "contributor")] {
        let (status, body) = api.set_role(&owner, &project, who, role).await;
        assert!(status.is_success(), "{status} {body}");
    }
    let owner_c = YClient::connect(&server.ws_url(), &project, &owner.token).await;
    owner_c.wait_synced().await;
    let owner_id = owner.id.clone();
    owner_c.edit(move |txn| {
        add_page(txn, &owner_id, "owners-page");
        add_text_item(txn, 0, &owner_id, "owners-item", "Our first day");
    });
    let watcher = YClient::connect(&server.ws_url(), &project, &watcher_acct.token).await;
    watcher.wait_synced().await;
    assert!(eventually(WAIT, || doc_json(&watcher.doc) == doc_json(&owner_c.doc)).await);
    let attacker_c = YClient::connect(&server.ws_url(), &project, &attacker.token).await;
    attacker_c.wait_synced().await;
    assert!(eventually(WAIT, || doc_json(&attacker_c.doc) == doc_json(&owner_c.doc)).await);
    Room {
        server,
        api,
        owner,
        attacker,
        project,
        owner_c,
        watcher,
        attacker_c,
    }
}

impl Room {
    fn denials(&self) -> usize {
        self.attacker_c.seen.lock().unwrap().denied.len()
    }

    /// The attack was refused, the room is up, and the others' documents are as before:
    /// an honest edit still reaches everyone.
    async fn assert_refused_and_room_up(&self, denials_before: usize, before: &Value) {
        assert!(
            eventually(WAIT, || self.denials() > denials_before).await,
            "the crafted update got no PermissionDenied"
        );
        assert_eq!(
            &doc_json(&self.watcher.doc),
            before,
            "the watcher's book changed"
        );
        assert_eq!(
            &doc_json(&self.owner_c.doc),
            before,
            "the owner's book changed"
        );
        assert!(
            self.owner_c.closed().is_none() && self.watcher.closed().is_none(),
            "the room dropped honest sockets"
        );
        let n = self.denials();
        let owner_id = self.owner.id.clone();
        let tag = format!("after-{n}");
        let page = tag.clone();
        self.owner_c
            .edit(move |txn| add_page(txn, &owner_id, &page));
        assert!(
            eventually(WAIT, || folio_tests::book::page_ids(&self.watcher.doc)
                .contains(&tag))
            .await,
            "the room no longer relays honest edits"
        );
        // A client joining now gets the book with nothing of the attack in it.
        let late = YClient::connect(&self.server.ws_url(), &self.project, &self.owner.token).await;
        late.wait_synced().await;
        assert!(eventually(WAIT, || doc_json(&late.doc) == doc_json(&self.owner_c.doc)).await);
    }
}

#[tokio::test]
async fn an_item_key_overwritten_with_the_delete_set_stripped_is_refused() {
    let r = room().await;
    let before = doc_json(&r.owner_c.doc);
    let attacker_id = r.attacker.id.clone();
    let update = crafted(&r.attacker_c, |txn| {
        let page = page_at(txn, 0);
        let Some(yrs::Out::YMap(items)) = page.get(txn, "items") else {
            panic!("no items map")
        };
        let it = items.insert(txn, "owners-item", MapPrelim::default());
        it.insert(txn, "id", "owners-item");
        it.insert(txn, "kind", "text");
        it.insert(txn, "box", vec![0.0, 0.0, 0.1, 0.1, 0.0]);
        it.insert(txn, "z", 1);
        it.insert(txn, "createdBy", attacker_id.as_str());
    });
    let n = r.denials();
    r.attacker_c.send_raw(update_message(update));
    r.assert_refused_and_room_up(n, &before).await;
    let denied = r
        .attacker_c
        .seen
        .lock()
        .unwrap()
        .denied
        .last()
        .cloned()
        .unwrap();
    assert!(denied.contains("rule 4"), "{denied}");
}

#[tokio::test]
async fn a_contributor_cannot_delete_their_page_with_someone_elses_item_on_it() {
    let r = room().await;
    // The attacker makes a page; the owner puts an item on it.
    let attacker_id = r.attacker.id.clone();
    r.attacker_c
        .edit(move |txn| add_page(txn, &attacker_id, "attackers-page"));
    assert!(
        eventually(WAIT, || folio_tests::book::page_ids(&r.owner_c.doc)
            .contains(&"attackers-page".to_owned()))
        .await
    );
    let owner_id = r.owner.id.clone();
    r.owner_c
        .edit(move |txn| add_text_item(txn, 1, &owner_id, "owners-note", "on your page"));
    assert!(
        eventually(WAIT, || doc_json(&r.attacker_c.doc)
            == doc_json(&r.owner_c.doc)
            && doc_json(&r.watcher.doc) == doc_json(&r.owner_c.doc))
        .await
    );
    let before = doc_json(&r.owner_c.doc);
    let n = r.denials();
    r.attacker_c.edit(|txn| {
        let pages = txn.get_or_insert_array("pages");
        yrs::Array::remove(&pages, txn, 1);
    });
    r.assert_refused_and_room_up(n, &before).await;
}

#[tokio::test]
async fn a_gc_block_over_another_clients_clocks_is_refused() {
    let r = room().await;
    let before = doc_json(&r.owner_c.doc);
    let owner_client = r.owner_c.client_id();
    let known = r
        .owner_c
        .doc
        .transact()
        .state_vector()
        .get(&yrs::ClientID::new(owner_client));
    let n = r.denials();
    r.attacker_c.send_raw(update_message(gc_block_update(
        owner_client,
        known,
        1_000_000,
    )));
    r.assert_refused_and_room_up(n, &before).await;
    // The owner's next edits are not dropped as "already known".
    let owner_id = r.owner.id.clone();
    r.owner_c
        .edit(move |txn| add_text_item(txn, 0, &owner_id, "later", "still mine"));
    assert!(
        eventually(WAIT, || doc_json(&r.watcher.doc)
            == doc_json(&r.owner_c.doc))
        .await,
        "the owner's edit after the attack was lost"
    );
}

#[tokio::test]
async fn a_gc_block_over_the_rooms_own_clock_near_2_pow_32_is_refused() {
    let r = room().await;
    // A system edit (a title change through the API) reveals the room's own client id.
    let sv_before = r.watcher.doc.transact().state_vector();
    call_ok(
        &r.api,
        &r.owner,
        Method::PATCH,
        &format!("/api/projects/{}", r.project),
        Some(json!({ "title": "Renamed" })),
    )
    .await;
    assert!(
        eventually(WAIT, || r.watcher.doc.transact().state_vector()
            != sv_before)
        .await
    );
    let sv = r.watcher.doc.transact().state_vector();
    let room_client = sv
        .iter()
        .find(|(c, clock)| sv_before.get(c) != **clock)
        .map(|(c, _)| c.get())
        .expect("the room wrote");
    let known = sv.get(&yrs::ClientID::new(room_client));
    assert!(
        eventually(WAIT, || doc_json(&r.owner_c.doc)
            == doc_json(&r.watcher.doc))
        .await
    );
    let before = doc_json(&r.owner_c.doc);
    let n = r.denials();
    r.attacker_c.send_raw(update_message(gc_block_update(
        room_client,
        known,
        u32::MAX - known - 1,
    )));
    r.assert_refused_and_room_up(n, &before).await;
    // The room still makes system edits.
    call_ok(
        &r.api,
        &r.owner,
        Method::PATCH,
        &format!("/api/projects/{}", r.project),
        Some(json!({ "title": "Renamed again" })),
    )
    .await;
    assert!(
        eventually(WAIT, || title_of(&r.watcher) == "Renamed again").await,
        "the room no longer makes system edits"
    );
}

fn title_of(c: &YClient) -> String {
    let txn = c.doc.transact();
    match txn.get_map("meta").and_then(|m| m.get(&txn, "title")) {
        Some(yrs::Out::Any(yrs::Any::String(s))) => s.to_string(),
        _ => String::new(),
    }
}
