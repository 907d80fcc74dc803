//! One simulated editor: connects, syncs, then moves items, types into a caption and moves
//! its cursor at the configured rates, while counting and timing what arrives.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::Message;
use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::{
    Any, Array, Doc, Map, MapPrelim, MapRef, Out, ReadTxn, Text, TextPrelim, Transact, Update,
    WriteTxn,
};

use crate::stats::{box_to_stamp, stamp_to_box, Stats};
use crate::target::RoomAddr;
use crate::wire::{decode, Received};

/// What one editor does per second.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Mix {
    pub moves_per_s: f64,
    pub chars_per_s: f64,
    pub cursor_hz: f64,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A connected client with the room's document, after the first sync.
pub struct Session {
    pub doc: Doc,
    ws: Socket,
    addr: RoomAddr,
}

impl Session {
    /// Connects and completes the first sync (the server's SyncStep2).
    pub async fn open(addr: &RoomAddr, timeout: Duration) -> anyhow::Result<Session> {
        // TCP_NODELAY, as browsers set it: small frames must not wait for Nagle.
        let connect = tokio_tungstenite::connect_async_with_config(addr.url.as_str(), None, true);
        let (mut ws, _) = tokio::time::timeout(timeout, connect).await??;
        if let Some(token) = &addr.auth {
            ws.send(Message::Binary(addr.framing.hocuspocus_auth(token).into()))
                .await?;
        }
        let doc = Doc::new();
        ws.send(Message::Binary(
            addr.framing
                .sync_step1(&doc.transact().state_vector())
                .into(),
        ))
        .await?;
        let synced = async {
            while let Some(frame) = ws.next().await {
                let Message::Binary(data) = frame? else {
                    continue;
                };
                let Some(body) = addr.framing.body(&data) else {
                    continue;
                };
                match decode(body) {
                    Some(Received::SyncStep2(u)) => {
                        doc.transact_mut().apply_update(Update::decode_v1(u)?)?;
                        return Ok(());
                    }
                    Some(Received::SyncStep1(sv)) => {
                        let diff = doc.transact().encode_diff_v1(&sv);
                        ws.send(Message::Binary(addr.framing.sync_step2(&diff).into()))
                            .await?;
                    }
                    _ => {}
                }
            }
            anyhow::bail!("the server closed before the first sync")
        };
        tokio::time::timeout(timeout, synced).await??;
        Ok(Session {
            doc,
            ws,
            addr: addr.clone(),
        })
    }

    /// Sends a local edit as an Update message.
    pub async fn edit(&mut self, f: impl FnOnce(&mut yrs::TransactionMut)) -> anyhow::Result<()> {
        let update = {
            let mut txn = self.doc.transact_mut();
            f(&mut txn);
            txn.encode_update_v1()
        };
        self.ws
            .send(Message::Binary(self.addr.framing.update(&update).into()))
            .await?;
        Ok(())
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }

    /// The room's item maps (page 0), once seeded.
    pub fn items(&self) -> Vec<MapRef> {
        let txn = self.doc.transact();
        let Some(pages) = txn.get_array("pages") else {
            return Vec::new();
        };
        let Some(Out::YMap(page)) = pages.get(&txn, 0) else {
            return Vec::new();
        };
        let Some(Out::YMap(items)) = page.get(&txn, "items") else {
            return Vec::new();
        };
        let mut list: Vec<(String, MapRef)> = items
            .iter(&txn)
            .filter_map(|(k, v)| match v {
                Out::YMap(m) => Some((k.to_owned(), m)),
                _ => None,
            })
            .collect();
        list.sort_by(|a, b| a.0.cmp(&b.0));
        list.into_iter().map(|(_, m)| m).collect()
    }
}

/// Appends a page `page_id` with `items` text items (each with a caption), all created by
/// `user`, in the shape Folio's validator accepts.
pub fn add_page(txn: &mut yrs::TransactionMut, user: &str, page_id: &str, items: usize) {
    let pages = txn.get_or_insert_array("pages");
    let page = pages.push_back(txn, MapPrelim::default());
    page.insert(txn, "id", page_id);
    page.insert(txn, "kind", "page");
    page.insert(txn, "createdBy", user);
    page.insert(txn, "auto", false);
    let map = page.insert(txn, "items", MapPrelim::default());
    for i in 0..items {
        let id = format!("{page_id}-item-{i:04}");
        let item = map.insert(txn, id.as_str(), MapPrelim::default());
        item.insert(txn, "id", id.as_str());
        item.insert(txn, "kind", "text");
        item.insert(txn, "box", vec![0.0, 0.0, 0.2, 0.2, 0.0]);
        item.insert(txn, "z", i as f64);
        item.insert(txn, "createdBy", user);
        item.insert(txn, "text", TextPrelim::new(""));
    }
}

fn seed(txn: &mut yrs::TransactionMut, user: &str, items: usize) {
    add_page(txn, user, "load-page", items);
}

impl Session {
    /// Builds the seed in this client's own document without sending it (for the bare
    /// relay, which keeps no document to sync from).
    pub fn seed_locally(&self, items: usize) {
        let mut txn = self.doc.transact_mut();
        seed(&mut txn, &self.addr.user, items);
    }
}

impl Session {
    /// Reads and applies updates until the room's seeded items are here. Servers that load
    /// a document lazily may answer the first sync before the stored state is in.
    pub async fn wait_items(&mut self, n: usize, timeout: Duration) -> anyhow::Result<()> {
        let framing = self.addr.framing.clone();
        let wait = async {
            while self.items().len() < n {
                let Some(frame) = self.ws.next().await else {
                    anyhow::bail!("the server closed during the first sync")
                };
                let Message::Binary(data) = frame? else {
                    continue;
                };
                let Some(body) = framing.body(&data) else {
                    continue;
                };
                match decode(body) {
                    Some(Received::SyncStep2(u)) | Some(Received::Update(u)) => {
                        self.doc
                            .transact_mut()
                            .apply_update(Update::decode_v1(u)?)?;
                    }
                    Some(Received::SyncStep1(sv)) => {
                        let diff = self.doc.transact().encode_diff_v1(&sv);
                        self.ws
                            .send(Message::Binary(framing.sync_step2(&diff).into()))
                            .await?;
                    }
                    _ => {}
                }
            }
            Ok(())
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| anyhow::anyhow!("the room's items never arrived"))?
    }
}

/// Adds the page and items every editor of a room works on (schema-valid for Folio), and
/// returns the seeding connection: holding it keeps the room loaded on servers that drop
/// a document when its last client leaves.
pub async fn seed_room(addr: &RoomAddr, items: usize) -> anyhow::Result<Session> {
    let mut s = Session::open(addr, Duration::from_secs(20)).await?;
    let user = addr.user.clone();
    s.edit(|txn| seed(txn, &user, items)).await?;
    // Wait until a fresh client sees the seed.
    let mut check = Session::open(addr, Duration::from_secs(20)).await?;
    check.wait_items(items, Duration::from_secs(20)).await?;
    check.close().await;
    Ok(s)
}

/// The send time a relayed item move carries.
fn stamp_of(update: &[u8]) -> Option<u64> {
    stamp_in(&crdt_schema::validate::parse_update(update).ok()?)
}

fn stamp_in(parsed: &crdt_schema::validate::ParsedUpdate) -> Option<u64> {
    parsed.blocks.iter().find_map(|b| match &b.body {
        crdt_schema::validate::BlockBody::Item(it) => match &it.content {
            crdt_schema::validate::Content::Any(v) => match v.as_slice() {
                [Any::Array(xs)] if xs.len() == 5 => {
                    let n = |i: usize| match &xs[i] {
                        Any::Number(n) => n.as_f64(),
                        _ => None,
                    };
                    box_to_stamp(n(0)?, n(1)?)
                }
                _ => None,
            },
            _ => None,
        },
        _ => None,
    })
}

fn awareness_stamp(json: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v.get("t")?.as_u64()
}

fn every(rate_per_s: f64) -> Option<tokio::time::Interval> {
    if rate_per_s <= 0.0 {
        return None;
    }
    let period = Duration::from_secs_f64(1.0 / rate_per_s);
    // A random phase, so a thousand editors do not tick in lockstep.
    let phase = period.mul_f64(rand::random::<f64>());
    let mut i = tokio::time::interval_at(tokio::time::Instant::now() + phase, period);
    i.set_missed_tick_behavior(MissedTickBehavior::Delay);
    Some(i)
}

async fn tick(i: &mut Option<tokio::time::Interval>) {
    match i {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// The client id of an update's first block: three varints in, without parsing the rest.
fn first_client(update: &[u8]) -> Option<u64> {
    use yrs::encoding::read::{Cursor, Read};
    let mut c = Cursor::new(update);
    let clients: u64 = c.read_var().ok()?;
    if clients == 0 {
        return None;
    }
    let _blocks: u64 = c.read_var().ok()?;
    c.read_var().ok()
}

/// Runs one editor until `stop` turns true. `item` picks which seeded item it moves.
/// Only a `timer` editor parses what arrives to time it; the others count it, so the
/// generator's own cost stays small next to the server's.
pub async fn run_editor(
    mut session: Session,
    item: usize,
    mix: Mix,
    timer: bool,
    stats: Arc<Stats>,
    mut stop: watch::Receiver<bool>,
) {
    let items = session.items();
    if items.is_empty() {
        stats.errors.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mine = items[item % items.len()].clone();
    let caption = {
        let txn = session.doc.transact();
        match mine.get(&txn, "text") {
            Some(Out::YText(t)) => Some(t),
            _ => None,
        }
    };
    let client_id = session.doc.client_id().get();
    // With several nodes, arrivals are also timed by route (same node or across nodes).
    let node = session.addr.node;
    stats.register(client_id, node);
    let (mut moves, mut chars, mut cursor) = (
        every(mix.moves_per_s),
        every(mix.chars_per_s),
        every(mix.cursor_hz),
    );
    let mut clock = 0u32;
    let mut typed = 0u32;
    stats.connected.fetch_add(1, Ordering::Relaxed);
    let framing = session.addr.framing.clone();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            frame = session.ws.next() => match frame {
                Some(Ok(Message::Binary(data))) => {
                    let Some(body) = framing.body(&data) else { continue };
                    match decode(body) {
                        Some(Received::Update(u)) => {
                            // Some servers echo an update to its sender; that is no delivery.
                            let from = first_client(u);
                            if from != Some(client_id) {
                                if timer {
                                    stats.update_arrived_via(stamp_of(u), from.and_then(|c| stats.hop(c, node)));
                                } else {
                                    stats.update_arrived(None);
                                }
                            }
                        }
                        Some(Received::Awareness(entries)) => {
                            for (client, _, json) in entries {
                                if client != client_id && json != "null" {
                                    if timer {
                                        stats.awareness_arrived_via(awareness_stamp(json), stats.hop(client, node));
                                    } else {
                                        stats.awareness_arrived(None);
                                    }
                                }
                            }
                        }
                        Some(Received::PermissionDenied(_)) => {
                            stats.denied.fetch_add(1, Ordering::Relaxed);
                        }
                        Some(Received::SyncStep1(sv)) => {
                            let diff = session.doc.transact().encode_diff_v1(&sv);
                            if session.ws.send(Message::Binary(framing.sync_step2(&diff).into())).await.is_err() {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    if !*stop.borrow() {
                        stats.drops.fetch_add(1, Ordering::Relaxed);
                    }
                    stats.connected.fetch_sub(1, Ordering::Relaxed);
                    return;
                }
                Some(Ok(_)) => {}
            },
            _ = tick(&mut moves) => {
                let [a, b] = stamp_to_box(stats.clock.now_us());
                let m = mine.clone();
                let r = session.edit(|txn| {
                    m.insert(txn, "box", vec![a, b, 0.2, 0.2, 0.0]);
                }).await;
                if r.is_err() { stats.errors.fetch_add(1, Ordering::Relaxed); break; }
                stats.sent_updates.fetch_add(1, Ordering::Relaxed);
            }
            _ = tick(&mut chars) => {
                let Some(t) = caption.clone() else { continue };
                // Captions stay short: type, and start over past 200 characters.
                let r = session.edit(|txn| {
                    if typed >= 200 {
                        t.remove_range(txn, 0, t.len(txn));
                        typed = 0;
                    }
                    t.insert(txn, t.len(txn), "a");
                    typed += 1;
                }).await;
                if r.is_err() { stats.errors.fetch_add(1, Ordering::Relaxed); break; }
                stats.sent_updates.fetch_add(1, Ordering::Relaxed);
            }
            _ = tick(&mut cursor) => {
                clock += 1;
                let json = format!("{{\"t\":{},\"cursor\":{{\"x\":{:.3},\"y\":{:.3}}}}}", stats.clock.now_us(), rand::random::<f64>() - 0.5, rand::random::<f64>() - 0.5);
                if session.ws.send(Message::Binary(framing.awareness(client_id, clock, &json).into())).await.is_err() {
                    stats.errors.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                stats.sent_awareness.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    stats.connected.fetch_sub(1, Ordering::Relaxed);
    session.close().await;
}

/// The JSON of a room's first page, for checks.
pub fn page_json(doc: &Doc) -> serde_json::Value {
    let txn = doc.transact();
    let pages = txn.get_array("pages").map(|a| a.to_json(&txn));
    serde_json::to_value(pages).unwrap_or_default()
}

impl Session {
    /// Crowd step: waits for `go`, sets the shared item's box once (stamped), then counts
    /// arriving updates until `expect` have come or `deadline` passes. Returns the time
    /// from `go` to the last expected arrival, if they all came.
    pub async fn crowd_once(
        mut self,
        mut go: watch::Receiver<bool>,
        expect: usize,
        stats: Arc<Stats>,
        deadline: Duration,
    ) -> Option<Duration> {
        let target = self.items().first().cloned()?;
        while !*go.borrow() {
            if go.changed().await.is_err() {
                return None;
            }
        }
        let started = std::time::Instant::now();
        let [a, b] = stamp_to_box(stats.clock.now_us());
        if self
            .edit(|txn| {
                target.insert(txn, "box", vec![a, b, 0.2, 0.2, 0.0]);
            })
            .await
            .is_err()
        {
            stats.errors.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        stats.sent_updates.fetch_add(1, Ordering::Relaxed);
        let framing = self.addr.framing.clone();
        let mut seen = 0;
        let collect = async {
            while seen < expect {
                match self.ws.next().await {
                    Some(Ok(Message::Binary(data))) => {
                        if let Some(Received::Update(u)) = framing.body(&data).and_then(decode) {
                            stats.update_arrived(stamp_of(u));
                            seen += 1;
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => {
                        stats.drops.fetch_add(1, Ordering::Relaxed);
                        return false;
                    }
                }
            }
            true
        };
        let complete = matches!(tokio::time::timeout(deadline, collect).await, Ok(true));
        let took = started.elapsed();
        self.close().await;
        complete.then_some(took)
    }
}
