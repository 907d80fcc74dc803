//! Unit tests of the room core: decoded messages in, effects out. No sockets, no store,
//! no clock: time is whatever the test says it is.

use std::time::{Duration, Instant};

use bytes::Bytes;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::{
    Array, Doc, Map, MapPrelim, ReadTxn, StateVector, Transact, TransactionMut, Update, WriteTxn,
};

use super::{CommitRetry, Effect, Fold, PeerInfo, RoomCore, RoomRules};
use crate::access::Role;
use crate::ids::{ProjectId, SessionId, UserId};
use crate::store::StoredDoc;
use crate::sync::protocol::{self, Incoming, Limits};
use crate::sync::{close_code, Close, SyncError};

mod durability;

const INTERVAL: Duration = Duration::from_secs(300);
const IDLE: Duration = Duration::from_secs(30);

fn rules() -> RoomRules {
    RoomRules {
        node_id: uuid::Uuid::nil(),
        compact_after: 1000,
        version_interval: Some(INTERVAL),
        idle_unload: IDLE,
        commit_retry: CommitRetry::STANDARD,
    }
}

fn book() -> Vec<u8> {
    crdt_schema::new_book(1, "Trip", "square-8x8", "classic")
}

/// A room holding a fresh book, as loaded from the store at `now`.
fn room(now: Instant) -> RoomCore {
    let stored = StoredDoc {
        snapshot: Some(book()),
        snapshot_seq: 0,
        updates: Vec::new(),
    };
    RoomCore::load(ProjectId::new(), rules(), 7, &stored, now).expect("loads")
}

/// A client of the room: its connection and its own copy of the book.
struct Client {
    info: PeerInfo,
    doc: Doc,
}

impl Client {
    fn new(conn: u64, role: Role) -> Client {
        let user = UserId::new();
        let doc = Doc::with_client_id(1000 + conn);
        doc.transact_mut()
            .apply_update(Update::decode_v1(&book()).unwrap())
            .unwrap();
        Client {
            info: PeerInfo {
                conn_id: conn,
                user,
                user_str: user.to_string().into(),
                session: SessionId::new(),
                role,
            },
            doc,
        }
    }

    fn join(&self, room: &mut RoomCore) -> Vec<Bytes> {
        room.join(self.info.clone()).expect("joins")
    }

    /// A local edit, as the messages the room receives for it.
    fn edit(&self, f: impl FnOnce(&mut TransactionMut)) -> (Bytes, Vec<Incoming>) {
        let update = {
            let mut txn = self.doc.transact_mut();
            f(&mut txn);
            txn.encode_update_v1()
        };
        let frame = protocol::sync_update(&update);
        (Bytes::from(update), decode(&frame))
    }

    /// Takes in what another client sent.
    fn apply(&self, update: &[u8]) {
        self.doc
            .transact_mut()
            .apply_update(Update::decode_v1(update).unwrap())
            .unwrap();
    }
}

fn decode(frame: &[u8]) -> Vec<Incoming> {
    protocol::decode_frame(
        frame,
        &Limits {
            max_awareness_bytes: 10_000,
        },
    )
    .expect("decodes")
}

fn add_page(txn: &mut TransactionMut, id: &str, by: &str) {
    let pages = txn.get_or_insert_array("pages");
    let page = pages.push_back(txn, MapPrelim::default());
    page.insert(txn, "id", id);
    page.insert(txn, "kind", "page");
    page.insert(txn, "createdBy", by);
    page.insert(txn, "auto", false);
    page.insert(txn, "items", MapPrelim::default());
}

fn server_message(frame: &[u8]) -> Message {
    Message::decode_v1(frame).expect("the server's frames decode")
}

/// The frames sent to `conn` alone.
fn sent_to(effects: &[Effect], conn: u64) -> Vec<Message> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { to, frame } if *to == conn => Some(server_message(frame)),
            _ => None,
        })
        .collect()
}

fn broadcasts(effects: &[Effect]) -> Vec<(Option<u64>, Message)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Broadcast { except, frame } => Some((*except, server_message(frame))),
            _ => None,
        })
        .collect()
}

fn appends(effects: &[Effect]) -> Vec<(Vec<Bytes>, Duration)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Append { updates, delay } => Some((updates.clone(), *delay)),
            _ => None,
        })
        .collect()
}

fn closes(effects: &[Effect]) -> Vec<(u64, Close)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Close { conn, close } => Some((*conn, close.clone())),
            _ => None,
        })
        .collect()
}

fn denials(effects: &[Effect], conn: u64) -> Vec<String> {
    sent_to(effects, conn)
        .into_iter()
        .filter_map(|m| match m {
            Message::Auth(Some(reason)) => Some(reason),
            _ => None,
        })
        .collect()
}

fn unload(effects: &[Effect]) -> Option<&Option<Fold>> {
    effects.iter().find_map(|e| match e {
        Effect::Unload { fold } => Some(fold),
        _ => None,
    })
}

fn page_count(doc: &Doc) -> u32 {
    let txn = doc.transact();
    txn.get_array("pages").map_or(0, |p| p.len(&txn))
}

#[test]
fn a_joining_peer_is_asked_for_its_state_and_answered_with_the_book() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let alice = Client::new(1, Role::Editor);
    let greeting = alice.join(&mut room);
    // The server's SyncStep1 first; no awareness yet, so nothing else.
    assert_eq!(greeting.len(), 1);
    assert!(matches!(
        server_message(&greeting[0]),
        Message::Sync(SyncMessage::SyncStep1(_))
    ));
    assert!(room.take_effects().is_empty());

    // A fresh client's SyncStep1 is answered at once with the whole book.
    let empty = Doc::new();
    let step1 = protocol::sync_step1(&empty.transact().state_vector());
    room.receive(t0, 1, decode(&step1));
    let effects = room.take_effects();
    let [Message::Sync(SyncMessage::SyncStep2(state))] = &sent_to(&effects, 1)[..] else {
        panic!("expected one SyncStep2, got {effects:?}");
    };
    empty
        .transact_mut()
        .apply_update(Update::decode_v1(state).unwrap())
        .unwrap();
    assert_eq!(
        crdt_schema::meta_title(&empty.transact()).as_deref(),
        Some("Trip")
    );
}

#[test]
fn an_update_is_relayed_only_after_its_commit() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let (alice, bob) = (Client::new(1, Role::Editor), Client::new(2, Role::Editor));
    alice.join(&mut room);
    bob.join(&mut room);

    let (raw, msgs) = alice.edit(|txn| add_page(txn, "p1", &alice.info.user_str));
    room.receive(t0, 1, msgs);
    // Bob asks for the state meanwhile: his answer would carry the page, so it waits too.
    room.receive(
        t0,
        2,
        decode(&protocol::sync_step1(&bob.doc.transact().state_vector())),
    );
    let effects = room.take_effects();
    assert_eq!(appends(&effects), vec![(vec![raw.clone()], Duration::ZERO)]);
    assert!(broadcasts(&effects).is_empty(), "{effects:?}");
    assert!(sent_to(&effects, 2).is_empty(), "{effects:?}");

    room.commit_done(t0, Ok(1));
    let effects = room.take_effects();
    // Published to other nodes with its log sequence number, relayed to everyone but its
    // sender (one encode), and Bob's SyncStep2 goes out behind it.
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Publish(crate::fanout::Event::DocUpdate { seq: 1, update, .. }) if *update == raw
    )));
    let relays = broadcasts(&effects);
    assert_eq!(relays.len(), 1);
    let (except, Message::Sync(SyncMessage::Update(relayed))) = &relays[0] else {
        panic!("expected an update relay: {relays:?}");
    };
    assert_eq!((*except, relayed.as_slice()), (Some(1), raw.as_ref()));
    let [Message::Sync(SyncMessage::SyncStep2(diff))] = &sent_to(&effects, 2)[..] else {
        panic!("expected Bob's SyncStep2: {effects:?}");
    };
    bob.apply(diff);
    assert_eq!(page_count(&bob.doc), 1);
    // Its first commit makes the book due a periodic version.
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::VersionDue { after } if *after == INTERVAL)));
}

#[test]
fn updates_arriving_during_a_commit_go_in_the_next_batch_together() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let alice = Client::new(1, Role::Editor);
    let bob = Client::new(2, Role::Editor);
    alice.join(&mut room);
    bob.join(&mut room);
    let user = alice.info.user_str.clone();

    let (u1, m1) = alice.edit(|txn| add_page(txn, "p1", &user));
    room.receive(t0, 1, m1);
    assert_eq!(
        appends(&room.take_effects()),
        vec![(vec![u1], Duration::ZERO)]
    );
    let (u2, m2) = alice.edit(|txn| add_page(txn, "p2", &user));
    let (u3, m3) = alice.edit(|txn| add_page(txn, "p3", &user));
    room.receive(t0, 1, m2);
    room.receive(t0, 1, m3);
    assert!(room.take_effects().is_empty(), "one commit at a time");

    room.commit_done(t0, Ok(1));
    let effects = room.take_effects();
    assert_eq!(appends(&effects), vec![(vec![u2, u3], Duration::ZERO)]);
    assert_eq!(broadcasts(&effects).len(), 1, "only the committed update");

    room.commit_done(t0, Ok(3));
    let effects = room.take_effects();
    assert_eq!(broadcasts(&effects).len(), 2);
    assert!(appends(&effects).is_empty());
    // One version is due per interval, however many commits.
    assert!(!effects
        .iter()
        .any(|e| matches!(e, Effect::VersionDue { .. })));
    assert!(room.is_flushed());
}

#[test]
fn a_viewer_is_told_no_and_stays_connected() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let viewer = Client::new(1, Role::Viewer);
    viewer.join(&mut room);
    let (_, msgs) = viewer.edit(|txn| add_page(txn, "p1", "someone"));
    room.receive(t0, 1, msgs);
    let effects = room.take_effects();
    assert_eq!(
        denials(&effects, 1),
        vec!["permission denied: a viewer can view this book but not edit it".to_string()]
    );
    assert!(appends(&effects).is_empty() && broadcasts(&effects).is_empty());
    assert!(closes(&effects).is_empty(), "a refusal is not a close");

    // Repeating what the book already holds (a SyncStep2 on connect) is not a write.
    let known = protocol::sync_step2(&book());
    room.receive(t0, 1, decode(&known));
    assert!(room.take_effects().is_empty());
}

#[test]
fn a_contributor_may_not_delete_an_editors_page() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let editor = Client::new(1, Role::Editor);
    let contributor = Client::new(2, Role::Contributor);
    editor.join(&mut room);
    contributor.join(&mut room);
    let (raw, msgs) = editor.edit(|txn| add_page(txn, "p1", &editor.info.user_str));
    room.receive(t0, 1, msgs);
    room.commit_done(t0, Ok(1));
    room.take_effects();
    contributor.apply(&raw);

    let (_, msgs) = contributor.edit(|txn| txn.get_or_insert_array("pages").remove(txn, 0));
    room.receive(t0, 2, msgs);
    let effects = room.take_effects();
    let refused = denials(&effects, 2);
    assert_eq!(refused.len(), 1, "{effects:?}");
    assert!(refused[0].contains("rule 4 (ownership)"), "{}", refused[0]);
    assert!(appends(&effects).is_empty() && broadcasts(&effects).is_empty());

    // Not applied: a newcomer still gets the page.
    let newcomer = Doc::new();
    room.receive(
        t0,
        1,
        decode(&protocol::sync_step1(&newcomer.transact().state_vector())),
    );
    let effects = room.take_effects();
    let [Message::Sync(SyncMessage::SyncStep2(state))] = &sent_to(&effects, 1)[..] else {
        panic!("expected a SyncStep2");
    };
    newcomer
        .transact_mut()
        .apply_update(Update::decode_v1(state).unwrap())
        .unwrap();
    assert_eq!(page_count(&newcomer), 1);
}

#[test]
fn no_one_writes_under_another_connections_client_id() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let alice = Client::new(1, Role::Editor);
    let mallory = Client::new(2, Role::Editor);
    alice.join(&mut room);
    mallory.join(&mut room);
    let (raw, msgs) = alice.edit(|txn| add_page(txn, "p1", &alice.info.user_str));
    room.receive(t0, 1, msgs);
    room.commit_done(t0, Ok(1));
    room.take_effects();

    // Mallory's doc under Alice's client id.
    let forged = Doc::with_client_id(alice.doc.client_id().get());
    forged
        .transact_mut()
        .apply_update(Update::decode_v1(&book()).unwrap())
        .unwrap();
    forged
        .transact_mut()
        .apply_update(Update::decode_v1(&raw).unwrap())
        .unwrap();
    let update = {
        let mut txn = forged.transact_mut();
        add_page(&mut txn, "p2", &mallory.info.user_str);
        txn.encode_update_v1()
    };
    room.receive(t0, 2, decode(&protocol::sync_update(&update)));
    let effects = room.take_effects();
    assert_eq!(denials(&effects, 2).len(), 1, "{effects:?}");
    assert!(appends(&effects).is_empty());
}

/// An awareness frame for one client.
fn awareness(client: u64, clock: u32, json: &str) -> Vec<Incoming> {
    decode(&protocol::awareness([(client, clock, json)].into_iter()))
}

#[test]
fn awareness_is_relayed_kept_for_newcomers_and_removed_when_its_owner_leaves() {
    let t0 = Instant::now();
    let mut room = room(t0);
    let alice = Client::new(1, Role::Viewer);
    let bob = Client::new(2, Role::Editor);
    alice.join(&mut room);
    bob.join(&mut room);
    let id = alice.doc.client_id().get();
    room.receive(t0, 1, awareness(id, 1, r#"{"cursor":1}"#));
    let effects = room.take_effects();
    let relays = broadcasts(&effects);
    assert!(
        matches!(&relays[..], [(Some(1), Message::Awareness(u))] if u.clients.contains_key(&yrs::ClientID::new(id))),
        "{relays:?}"
    );
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Publish(crate::fanout::Event::Awareness { .. }))));

    // Bob may not speak for Alice's client id.
    room.receive(t0, 2, awareness(id, 2, r#"{"cursor":99}"#));
    assert!(room.take_effects().is_empty());

    // A newcomer is greeted with the states there are.
    let carol = Client::new(3, Role::Viewer);
    let greeting = carol.join(&mut room);
    assert_eq!(greeting.len(), 2);
    let Message::Awareness(update) = server_message(&greeting[1]) else {
        panic!("expected awareness");
    };
    assert_eq!(
        update.clients[&yrs::ClientID::new(id)].json.as_ref(),
        r#"{"cursor":1}"#
    );

    // Alice leaves: her state is removed for everyone.
    room.leave(t0, 1);
    let effects = room.take_effects();
    let relays = broadcasts(&effects);
    let [(None, Message::Awareness(update))] = &relays[..] else {
        panic!("expected a removal: {relays:?}");
    };
    assert_eq!(
        update.clients[&yrs::ClientID::new(id)].json.as_ref(),
        "null"
    );
}
