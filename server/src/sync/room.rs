//! One loaded project: its doc and awareness, its connections, and the group-commit pipeline.
//!
//! A room is an actor: one task owns the doc, so nothing locks it. Accepted updates are
//! applied at once (later updates validate against them), collected into a batch, and
//! committed in one transaction while the next batch collects. Everything that could carry
//! an uncommitted update (relays, SyncStep2 replies, edit acknowledgements) waits for the
//! commit that covers it.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::sync::Awareness;
use yrs::updates::decoder::Decode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, Update};

use crdt_schema::schema;
use crdt_schema::validate::{
    parse_update, Actor, BlockBody, ClientClaim, Level, ParsedUpdate, Validator, CAUSALITY,
};

use super::protocol::{self, AwarenessEntry, Incoming};
use super::{close_code, Close, Peer, SyncError, SyncService, SystemEdit};
use crate::access::Role;
use crate::fanout::Event;
use crate::ids::ProjectId;
use crate::store::{StoreResult, StoredDoc};

/// Awareness client ids one connection may own; a real client uses one.
const MAX_OWNED_CLIENTS: usize = 16;

pub(crate) enum RoomMsg {
    Join {
        peer: Peer,
        reply: oneshot::Sender<Result<(), SyncError>>,
    },
    Leave {
        conn: u64,
    },
    Frame {
        conn: u64,
        msgs: Vec<Incoming>,
    },
    SystemEdit {
        edit: SystemEdit,
        reply: oneshot::Sender<Result<(), SyncError>>,
    },
    Event(Event),
    Shutdown,
}

/// Something to send once the updates applied before it are durable.
enum Out {
    To(u64, Bytes),
    AllExcept(Option<u64>, Bytes),
    Ack(oneshot::Sender<Result<(), SyncError>>),
}

enum Wake {
    Msg(Option<RoomMsg>),
    Committed(Result<StoreResult<i64>, tokio::task::JoinError>),
    Compacted(Result<StoreResult<()>, tokio::task::JoinError>),
    CaughtUp(Result<StoreResult<StoredDoc>, tokio::task::JoinError>),
    Tick,
    Idle,
}

struct PeerState {
    peer: Peer,
    owned: HashSet<u64>,
    /// Updates that build on content this connection has not sent yet (see `hold`).
    held: VecDeque<Held>,
    held_bytes: usize,
}

/// An update held back until the content it builds on arrives.
struct Held {
    raw: Bytes,
    parsed: ParsedUpdate,
    since: Instant,
}

/// How many updates, and bytes, a connection may have held, and for how long.
const MAX_HELD: usize = 256;
const MAX_HELD_BYTES: usize = 4 * 1024 * 1024;
const HOLD_FOR: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Batch {
    updates: Vec<Bytes>,
    outbound: Vec<Out>,
}

struct InFlight {
    batch: Batch,
    started: Instant,
    attempt: u32,
    handle: JoinHandle<StoreResult<i64>>,
}

struct Compaction {
    log_len_at_start: i64,
    handle: JoinHandle<StoreResult<()>>,
}

pub(crate) struct Room {
    project: ProjectId,
    generation: u64,
    svc: SyncService,
    rx: mpsc::Receiver<RoomMsg>,
    awareness: Awareness,
    /// Knows the document's structure, to check updates before they are applied.
    validator: Validator,
    peers: HashMap<u64, PeerState>,
    /// Yjs client id -> the connection that owns it (claimed in its awareness, or written
    /// under first). Another connection may neither write under it nor set its awareness.
    owners: HashMap<u64, u64>,
    /// Yjs client id -> the user who wrote under it, for as long as the room is loaded, so
    /// that a client id stays its user's across reconnects.
    client_users: HashMap<u64, Arc<str>>,
    collecting: Batch,
    in_flight: Option<InFlight>,
    compaction: Option<Compaction>,
    /// Every log entry up to this one is in the doc. With several nodes, entries from
    /// other nodes arrive by fan-out or, after a gap, from the store.
    last_seq: i64,
    /// Entries from other nodes that arrived ahead of a gap, applied once it is filled.
    pending: BTreeMap<i64, Bytes>,
    /// A read of the log after `last_seq`, to fill a gap.
    catch_up: Option<JoinHandle<StoreResult<StoredDoc>>>,
    /// Another gap was seen while catching up: read again when this one is done.
    catch_up_again: bool,
    /// Log entries after the stored snapshot.
    log_len: i64,
    idle_since: Option<Instant>,
    /// Until then a periodic version job is already queued for this book.
    version_queued_until: Option<Instant>,
    shutting_down: bool,
}

impl Room {
    pub(crate) fn new(
        project: ProjectId,
        generation: u64,
        svc: SyncService,
        rx: mpsc::Receiver<RoomMsg>,
    ) -> Room {
        let client_id = rand::random::<u64>() & ((1 << 53) - 1) | 1;
        Room {
            project,
            generation,
            svc,
            rx,
            awareness: Awareness::new(Doc::with_client_id(client_id)),
            validator: Validator::default(),
            peers: HashMap::new(),
            owners: HashMap::new(),
            client_users: HashMap::new(),
            collecting: Batch::default(),
            in_flight: None,
            compaction: None,
            last_seq: 0,
            pending: BTreeMap::new(),
            catch_up: None,
            catch_up_again: false,
            log_len: 0,
            idle_since: Some(Instant::now()),
            version_queued_until: None,
            shutting_down: false,
        }
    }

    fn doc(&self) -> &Doc {
        self.awareness.doc()
    }

    async fn load(&mut self) -> Result<(), SyncError> {
        let stored = self
            .svc
            .shared
            .store
            .load_doc(self.project)
            .await
            .map_err(|e| {
                tracing::error!(project = %self.project, error = %e, "loading document failed");
                SyncError::Load("the book could not be read from the store".into())
            })?;
        let mut txn = self.doc().transact_mut();
        for bytes in stored
            .snapshot
            .iter()
            .chain(stored.updates.iter().map(|(_, u)| u))
        {
            match Update::decode_v1(bytes) {
                Ok(u) => {
                    if let Err(e) = txn.apply_update(u) {
                        tracing::error!(project = %self.project, error = %e, "stored update does not apply");
                    }
                }
                Err(e) => {
                    tracing::error!(project = %self.project, error = %e, "stored update does not decode")
                }
            }
        }
        let state = txn.encode_state_as_update_v1(&StateVector::default());
        drop(txn);
        self.validator = Validator::from_state(&state).map_err(|e| {
            tracing::error!(project = %self.project, error = %e, "indexing document failed");
            SyncError::Load("the book could not be indexed".into())
        })?;
        self.last_seq = stored.last_seq();
        self.log_len = stored.updates.len() as i64;
        Ok(())
    }

    pub(crate) async fn run(mut self) {
        // Subscribe before reading the store, so nothing committed elsewhere in between is
        // missed; what arrives early is ignored by sequence number.
        self.svc.shared.fanout.join(self.project);
        if let Err(e) = self.load().await {
            self.svc.shared.fanout.leave(self.project);
            self.svc.forget_room(self.project, self.generation);
            self.rx.close();
            while let Some(msg) = self.rx.recv().await {
                match msg {
                    RoomMsg::Join { reply, .. } | RoomMsg::SystemEdit { reply, .. } => {
                        let _ = reply.send(Err(SyncError::Load(e.to_string())));
                    }
                    _ => {}
                }
            }
            return;
        }
        let idle_after = self.svc.config().idle_unload();
        // With other nodes, a periodic look at the log bounds how long a missed fan-out
        // message can go unnoticed (SPEC §8: heal within 2 s).
        let multi_node = self.svc.config().redis_url.is_some();
        let mut heal = tokio::time::interval(Duration::from_secs(1));
        heal.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let idle_deadline = match self.idle_since {
                Some(t) if !self.shutting_down => tokio::time::Instant::from_std(t + idle_after),
                _ => tokio::time::Instant::now() + Duration::from_secs(3600),
            };
            let wake = {
                let (rx, in_flight, compaction, catch_up) = (
                    &mut self.rx,
                    &mut self.in_flight,
                    &mut self.compaction,
                    &mut self.catch_up,
                );
                let idle = self.peers.is_empty();
                tokio::select! {
                    msg = rx.recv() => Wake::Msg(msg),
                    res = async { match in_flight.as_mut() { Some(f) => (&mut f.handle).await, None => std::future::pending().await } } => Wake::Committed(res),
                    res = async { match compaction.as_mut() { Some(c) => (&mut c.handle).await, None => std::future::pending().await } } => Wake::Compacted(res),
                    res = async { match catch_up.as_mut() { Some(h) => h.await, None => std::future::pending().await } } => Wake::CaughtUp(res),
                    _ = heal.tick(), if multi_node => Wake::Tick,
                    _ = tokio::time::sleep_until(idle_deadline), if idle => Wake::Idle,
                }
            };
            match wake {
                Wake::Msg(Some(msg)) => self.handle(msg),
                Wake::Msg(None) => self.shutting_down = true,
                Wake::Committed(res) => self.commit_done(res),
                Wake::Compacted(res) => self.compaction_done(res),
                Wake::CaughtUp(res) => self.caught_up(res),
                Wake::Tick => self.start_catch_up(),
                Wake::Idle => {
                    if self.is_flushed() {
                        self.unload().await;
                        return;
                    }
                    self.idle_since = Some(Instant::now());
                }
            }
            if self.shutting_down && self.is_flushed() {
                self.unload().await;
                return;
            }
        }
    }

    fn is_flushed(&self) -> bool {
        self.in_flight.is_none()
            && self.collecting.updates.is_empty()
            && self.collecting.outbound.is_empty()
    }

    fn handle(&mut self, msg: RoomMsg) {
        match msg {
            RoomMsg::Join { peer, reply } => self.join(peer, reply),
            RoomMsg::Leave { conn } => self.leave(conn),
            RoomMsg::Frame { conn, msgs } => {
                for m in msgs {
                    if !self.peers.contains_key(&conn) {
                        break;
                    }
                    self.incoming(conn, m);
                }
            }
            RoomMsg::SystemEdit { edit, reply } => {
                if self.shutting_down {
                    let _ = reply.send(Err(SyncError::ShuttingDown));
                    return;
                }
                let update = {
                    let mut txn = self.doc().transact_mut();
                    edit(&mut txn);
                    txn.encode_update_v1()
                };
                if update.as_slice() != Update::EMPTY_V1 {
                    match parse_update(&update) {
                        Ok(parsed) => self.validator.observe(&parsed),
                        Err(e) => {
                            tracing::error!(project = %self.project, error = %e, "a system edit could not be indexed")
                        }
                    }
                    self.accept(None, Bytes::from(update));
                }
                self.emit(Out::Ack(reply));
            }
            RoomMsg::Event(event) => self.event(event),
            RoomMsg::Shutdown => {
                self.shutting_down = true;
                let all: Vec<u64> = self.peers.keys().copied().collect();
                for id in all {
                    self.kick(
                        id,
                        Close::new(close_code::RESTART, "server restarting; reconnect"),
                    );
                }
            }
        }
    }

    fn join(&mut self, peer: Peer, reply: oneshot::Sender<Result<(), SyncError>>) {
        if self.shutting_down {
            let _ = reply.send(Err(SyncError::ShuttingDown));
            return;
        }
        let conn = peer.conn_id;
        // The server's SyncStep1 pulls the client's offline edits; then the current awareness.
        let sv = self.doc().transact().state_vector();
        let _ = peer.out.try_send(protocol::sync_step1(&sv));
        if let Some(aw) = self.awareness_state() {
            let _ = peer.out.try_send(aw);
        }
        self.peers.insert(
            conn,
            PeerState {
                peer,
                owned: HashSet::new(),
                held: VecDeque::new(),
                held_bytes: 0,
            },
        );
        self.idle_since = None;
        let _ = reply.send(Ok(()));
    }

    fn leave(&mut self, conn: u64) {
        let Some(state) = self.peers.remove(&conn) else {
            return;
        };
        let mut gone = Vec::new();
        for client in state.owned {
            self.owners.remove(&client);
            let cid = ClientID::new(client);
            if self.awareness.meta(cid).is_some() {
                self.awareness.remove_state(cid);
                gone.push(cid);
            }
        }
        if !gone.is_empty() {
            if let Ok(update) = self.awareness.update_with_clients(gone) {
                let bytes = encode_awareness(&update);
                self.publish_awareness(bytes.clone());
                self.deliver(Out::AllExcept(None, bytes));
            }
        }
        if self.peers.is_empty() {
            self.idle_since = Some(Instant::now());
        }
    }

    fn kick(&mut self, conn: u64, close: Close) {
        if let Some(state) = self.peers.get(&conn) {
            state.peer.close.send_replace(Some(close));
        }
        self.leave(conn);
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Member { user, role, .. } => {
                let ids: Vec<u64> = self
                    .peers
                    .values()
                    .filter(|p| p.peer.user == user)
                    .map(|p| p.peer.conn_id)
                    .collect();
                for id in ids {
                    match role {
                        None => self.kick(
                            id,
                            Close::new(close_code::FORBIDDEN, "you were removed from this project"),
                        ),
                        Some(role) => {
                            if let Some(p) = self.peers.get_mut(&id) {
                                p.peer.role = role;
                            }
                        }
                    }
                }
            }
            Event::ProjectDeleted { .. } => {
                let ids: Vec<u64> = self.peers.keys().copied().collect();
                for id in ids {
                    self.kick(
                        id,
                        Close::new(close_code::FORBIDDEN, "this project was deleted"),
                    );
                }
            }
            Event::SessionRevoked { session } => {
                let ids: Vec<u64> = self
                    .peers
                    .values()
                    .filter(|p| p.peer.session == session)
                    .map(|p| p.peer.conn_id)
                    .collect();
                for id in ids {
                    self.kick(
                        id,
                        Close::new(close_code::TOKEN, "your login was revoked; log in again"),
                    );
                }
            }
            Event::DocUpdate { seq, update, .. } => self.remote_update(seq, update),
            Event::Awareness { update, .. } => self.remote_awareness(update),
            Event::Resync => self.start_catch_up(),
            Event::Activity { .. } => {}
        }
    }

    /// An update another node committed as log entry `seq`.
    fn remote_update(&mut self, seq: i64, update: Bytes) {
        if seq <= self.last_seq {
            return;
        }
        self.pending.insert(seq, update);
        if seq > self.last_seq + 1 {
            self.start_catch_up();
        }
        self.drain_pending();
    }

    /// Applies entries that were waiting for the gap before them to close.
    fn drain_pending(&mut self) {
        while let Some(entry) = self.pending.first_entry() {
            let seq = *entry.key();
            if seq > self.last_seq + 1 {
                break;
            }
            let update = entry.remove();
            if seq == self.last_seq + 1 {
                self.apply_durable(&update);
                self.last_seq = seq;
                self.log_len += 1;
            }
        }
    }

    /// Applies an update that is already durable (another node checked and committed it) and
    /// relays it to this node's clients at once.
    fn apply_durable(&mut self, bytes: &[u8]) {
        let update = match Update::decode_v1(bytes) {
            Ok(u) => u,
            Err(e) => {
                tracing::error!(project = %self.project, error = %e, "a committed update does not decode");
                return;
            }
        };
        let parsed = parse_update(bytes);
        if let Err(e) = &parsed {
            tracing::error!(project = %self.project, error = %e, "a committed update could not be indexed");
        }
        let (changed, deleted) = {
            let mut txn = self.doc().transact_mut();
            let inserts = crdt_schema::update_inserts_news(&txn.state_vector(), &update);
            match txn.apply_update(update) {
                Ok(()) => (
                    inserts || !txn.delete_set().is_empty(),
                    txn.delete_set().clone(),
                ),
                Err(e) => {
                    tracing::error!(project = %self.project, error = %e, "a committed update does not apply");
                    (false, txn.delete_set().clone())
                }
            }
        };
        if let Ok(parsed) = parsed {
            self.validator.observe_applied(&parsed, &deleted);
        }
        if changed {
            metrics::counter!("folio_remote_updates_applied_total").increment(1);
            self.deliver(Out::AllExcept(None, protocol::sync_update(bytes)));
        }
    }

    /// Awareness from a client of another node: kept, so this node's new clients see it,
    /// and relayed to this node's clients.
    fn remote_awareness(&mut self, frame: Bytes) {
        let limits = protocol::Limits {
            max_awareness_bytes: usize::MAX,
        };
        let Ok(msgs) = protocol::decode_frame(&frame, &limits) else {
            return;
        };
        for msg in msgs {
            if let Incoming::Awareness(entries) = msg {
                // Ids owned by a connection here belong to that connection: another node's
                // word on them is neither applied nor passed on.
                let total = entries.len();
                let clients = entries
                    .into_iter()
                    .filter(|e| !self.owners.contains_key(&e.client_id))
                    .map(|e| {
                        (
                            ClientID::new(e.client_id),
                            AwarenessUpdateEntry {
                                clock: e.clock,
                                json: Arc::from(e.json),
                            },
                        )
                    })
                    .collect::<HashMap<_, _>>();
                if clients.is_empty() {
                    continue;
                }
                let update = AwarenessUpdate { clients };
                let _ = self.awareness.apply_update(update.clone());
                let out = if update.clients.len() == total {
                    frame.clone()
                } else {
                    encode_awareness(&update)
                };
                self.deliver(Out::AllExcept(None, out));
            }
        }
    }

    /// Reads what the log holds after `last_seq` (unless a read is already running).
    fn start_catch_up(&mut self) {
        if self.catch_up.is_some() {
            self.catch_up_again = true;
            return;
        }
        let store = self.svc.shared.store.clone();
        let (project, after) = (self.project, self.last_seq);
        self.catch_up = Some(tokio::spawn(async move {
            store.doc_since(project, after).await
        }));
    }

    fn caught_up(&mut self, res: Result<StoreResult<StoredDoc>, tokio::task::JoinError>) {
        self.catch_up = None;
        match res {
            Ok(Ok(doc)) => {
                let last = doc.last_seq();
                if let Some(snapshot) = doc
                    .snapshot
                    .as_deref()
                    .filter(|_| doc.snapshot_seq > self.last_seq)
                {
                    self.apply_durable(snapshot);
                    self.log_len = 0;
                }
                for (seq, update) in &doc.updates {
                    if *seq > self.last_seq {
                        self.apply_durable(update);
                        self.log_len += 1;
                    }
                }
                if last > self.last_seq {
                    metrics::counter!("folio_gaps_healed_total").increment(1);
                    self.last_seq = last;
                }
                self.pending.retain(|seq, _| *seq > last);
                self.drain_pending();
            }
            Ok(Err(e)) => {
                tracing::warn!(project = %self.project, error = %e, "catching up from the store failed; will retry")
            }
            Err(e) => {
                tracing::warn!(project = %self.project, error = %e, "catch-up task failed; will retry")
            }
        }
        if std::mem::take(&mut self.catch_up_again) || !self.pending.is_empty() {
            self.start_catch_up();
        }
    }

    fn incoming(&mut self, conn: u64, msg: Incoming) {
        match msg {
            Incoming::SyncStep1(sv) => {
                let diff = self.doc().transact().encode_diff_v1(&sv);
                self.emit(Out::To(conn, protocol::sync_step2(&diff)));
            }
            Incoming::Content {
                update,
                parsed,
                raw,
            } => {
                if self.content(conn, update, parsed, raw, Instant::now()) {
                    self.retry_held(conn);
                }
            }
            Incoming::Awareness(entries) => self.awareness_update(conn, entries),
            Incoming::QueryAwareness => {
                if let Some(aw) = self.awareness_state() {
                    self.send_to(conn, aw);
                }
            }
            Incoming::Auth => {}
        }
    }

    /// Validates and applies one update from a connection; true when it was applied.
    /// `since` is when the update first arrived (it may have been held).
    fn content(
        &mut self,
        conn: u64,
        update: Update,
        parsed: ParsedUpdate,
        raw: Bytes,
        since: Instant,
    ) -> bool {
        let peer = &self.peers[&conn].peer;
        let role = peer.role;
        if !role.can_write_doc() {
            // A viewer's SyncStep2 on connect repeats known content; only real news is a write.
            if crdt_schema::update_carries_news(&self.doc().transact(), &update) {
                self.refuse(
                    conn,
                    "read_only",
                    &format!("a {role} can view this book but not edit it"),
                );
            }
            return false;
        }
        if raw.len() > schema::MAX_UPDATE_BYTES {
            self.refuse(
                conn,
                "too_large",
                &format!(
                    "rule 3 (sizes): an update may be at most {} bytes",
                    schema::MAX_UPDATE_BYTES
                ),
            );
            return false;
        }
        let actor = Actor {
            user: peer.user_str.clone(),
            level: if role >= Role::Editor {
                Level::Editor
            } else {
                Level::Contributor
            },
        };
        // Client ids and clocks first: no one writes under another's client id, or claims
        // its clocks with a garbage-collected range (SPEC §15).
        if let Err(rejection) = self
            .validator
            .check_clients(&parsed, |client| self.claim(conn, client))
        {
            self.refuse(conn, "invalid", &rejection.to_string());
            return false;
        }
        // The client ids this update writes new content under become this connection's.
        let mut writes_under: Vec<u64> = Vec::new();
        for b in &parsed.blocks {
            if matches!(b.body, BlockBody::Item(_))
                && b.id.clock + b.len > self.validator.index().known_clock(b.id.client)
                && !writes_under.contains(&b.id.client)
            {
                writes_under.push(b.id.client);
            }
        }
        // Checked against the document's structure before anything is applied (SPEC §6.3).
        let accepted = match self.validator.check(&parsed, &actor) {
            Ok(a) => a,
            Err(rejection) if rejection.rule == CAUSALITY => {
                drop(update);
                if !self.hold(conn, raw, parsed, since) {
                    self.refuse(conn, "invalid", &rejection.to_string());
                }
                return false;
            }
            Err(rejection) => {
                self.refuse(conn, "invalid", &rejection.to_string());
                return false;
            }
        };
        // One apply; the transaction itself says whether anything changed.
        let changed = {
            let mut txn = self.doc().transact_mut();
            let inserts = crdt_schema::update_inserts_news(&txn.state_vector(), &update);
            match txn.apply_update(update) {
                Ok(()) => Ok((
                    inserts || !txn.delete_set().is_empty(),
                    txn.delete_set().clone(),
                )),
                Err(e) => Err(e),
            }
        };
        match changed {
            Ok((changed, deleted)) => {
                // The index learns what yrs really deleted, overwritten map values included.
                self.validator.commit_applied(accepted, &deleted);
                for client in writes_under {
                    self.take_client(conn, client);
                }
                if changed {
                    self.accept(Some(conn), raw);
                }
                true
            }
            Err(e) => {
                tracing::warn!(project = %self.project, error = %e, "a validated update failed to apply");
                self.refuse(conn, "invalid", &format!("update refused: {e}"));
                false
            }
        }
    }

    /// Whose Yjs client id `client` is, from connection `conn`'s point of view.
    fn claim(&self, conn: u64, client: u64) -> ClientClaim {
        if client == self.doc().client_id().get() {
            return ClientClaim::Others;
        }
        if let Some(owner) = self.owners.get(&client) {
            return if *owner == conn {
                ClientClaim::Mine
            } else {
                ClientClaim::Others
            };
        }
        match (self.client_users.get(&client), self.peers.get(&conn)) {
            (Some(user), Some(state)) if *user == state.peer.user_str => ClientClaim::Mine,
            (Some(_), _) => ClientClaim::Others,
            (None, _) => ClientClaim::Free,
        }
    }

    /// Records that `conn` wrote under `client`: the id is its connection's while it stays,
    /// and its user's while the room is loaded.
    fn take_client(&mut self, conn: u64, client: u64) {
        let Some(state) = self.peers.get_mut(&conn) else {
            return;
        };
        self.client_users
            .entry(client)
            .or_insert_with(|| state.peer.user_str.clone());
        if self.owners.contains_key(&client) || state.owned.len() >= MAX_OWNED_CLIENTS {
            return;
        }
        state.owned.insert(client);
        self.owners.insert(client, conn);
    }

    /// Holds back an update that builds on content the server does not have yet, instead of
    /// refusing it. A stock client reconnecting after offline edits sends its next edits as
    /// soon as the socket opens, but the offline content they build on only in its SyncStep2
    /// a moment later; Yjs itself keeps such updates pending, and so does the room, until
    /// the connection's next applied update. Bounded per connection in count, bytes and
    /// time; past a bound the oldest is refused as before. False when the update cannot be
    /// held (it alone is over the byte bound).
    fn hold(&mut self, conn: u64, raw: Bytes, parsed: ParsedUpdate, since: Instant) -> bool {
        self.expire_held(conn);
        let state = self.peers.get_mut(&conn).expect("peer exists");
        if raw.len() > MAX_HELD_BYTES {
            return false;
        }
        state.held_bytes += raw.len();
        state.held.push_back(Held { raw, parsed, since });
        metrics::counter!("folio_updates_held_total").increment(1);
        let mut over = Vec::new();
        while state.held.len() > MAX_HELD || state.held_bytes > MAX_HELD_BYTES {
            let Some(oldest) = state.held.pop_front() else {
                break;
            };
            state.held_bytes -= oldest.raw.len();
            over.push(oldest);
        }
        for _ in over {
            self.refuse(conn, "invalid", "rule 0 (causality): the update builds on content the server does not have; reload the book and try again");
        }
        true
    }

    /// Refuses held updates that waited longer than `HOLD_FOR`.
    fn expire_held(&mut self, conn: u64) {
        let Some(state) = self.peers.get_mut(&conn) else {
            return;
        };
        let mut expired = 0;
        while state
            .held
            .front()
            .is_some_and(|h| h.since.elapsed() > HOLD_FOR)
        {
            let h = state.held.pop_front().expect("front exists");
            state.held_bytes -= h.raw.len();
            expired += 1;
        }
        for _ in 0..expired {
            self.refuse(conn, "invalid", "rule 0 (causality): the update builds on content the server does not have; reload the book and try again");
        }
    }

    /// Something from `conn` was applied: try its held updates again, in order, until no
    /// more of them apply.
    fn retry_held(&mut self, conn: u64) {
        loop {
            let Some(state) = self.peers.get_mut(&conn) else {
                return;
            };
            if state.held.is_empty() {
                return;
            }
            let held = std::mem::take(&mut state.held);
            state.held_bytes = 0;
            let mut progressed = false;
            for h in held {
                if !self.peers.contains_key(&conn) {
                    return;
                }
                match Update::decode_v1(&h.raw) {
                    Ok(update) => {
                        progressed |= self.content(conn, update, h.parsed, h.raw, h.since)
                    }
                    Err(_) => continue,
                }
            }
            if !progressed {
                return;
            }
        }
    }

    /// Answers a refused update with PermissionDenied; nothing of it was applied.
    fn refuse(&mut self, conn: u64, reason_label: &'static str, reason: &str) {
        metrics::counter!("folio_updates_rejected_total", "reason" => reason_label).increment(1);
        self.send_to(
            conn,
            protocol::permission_denied(&format!("permission denied: {reason}")),
        );
    }

    /// Records an applied update for the next commit and queues its relay behind it.
    fn accept(&mut self, from: Option<u64>, raw: Bytes) {
        metrics::counter!("folio_updates_applied_total").increment(1);
        let relay = protocol::sync_update(&raw);
        self.collecting.updates.push(raw);
        self.emit(Out::AllExcept(from, relay));
        self.start_commit();
    }

    fn awareness_update(&mut self, conn: u64, entries: Vec<AwarenessEntry>) {
        let mut accepted = HashMap::new();
        for e in entries {
            match self.owners.get(&e.client_id) {
                Some(owner) if *owner != conn => continue,
                Some(_) => {}
                None => {
                    // Stock y-websocket clients send back every awareness state they receive.
                    // A state for an id this room holds live (from another node: local ids
                    // have owners) at a clock it already has is such an echo, not a claim;
                    // letting it claim the id would stamp someone's cursor with the echoing
                    // user's name. A real owner arriving here (say, after its node died)
                    // claims the id with its next change, which has a newer clock.
                    let id = ClientID::new(e.client_id);
                    let live = self.awareness.state::<serde::de::IgnoredAny>(id).is_some();
                    if live
                        && self
                            .awareness
                            .meta(id)
                            .is_some_and(|(clock, _)| e.clock <= clock)
                    {
                        continue;
                    }
                    let state = self.peers.get_mut(&conn).expect("peer exists");
                    if state.owned.len() >= MAX_OWNED_CLIENTS {
                        continue;
                    }
                    // An id someone else has written under stays theirs.
                    if self
                        .client_users
                        .get(&e.client_id)
                        .is_some_and(|u| *u != state.peer.user_str)
                    {
                        continue;
                    }
                    state.owned.insert(e.client_id);
                    self.owners.insert(e.client_id, conn);
                }
            }
            accepted.insert(
                ClientID::new(e.client_id),
                AwarenessUpdateEntry {
                    clock: e.clock,
                    json: Arc::from(e.json),
                },
            );
        }
        if accepted.is_empty() {
            return;
        }
        let update = AwarenessUpdate { clients: accepted };
        let changed = match self.awareness.apply_update_summary(update.clone()) {
            Ok(Some(summary)) => summary.all_changes(),
            _ => return,
        };
        if changed.is_empty() {
            return;
        }
        if let Ok(relay) = self.awareness.update_with_clients(changed) {
            let bytes = encode_awareness(&relay);
            self.publish_awareness(bytes.clone());
            self.deliver(Out::AllExcept(Some(conn), bytes));
        }
    }

    fn publish_awareness(&self, frame: Bytes) {
        let event = Event::Awareness {
            origin: self.svc.node_id(),
            project: self.project,
            update: frame,
        };
        if let Err(e) = self.svc.shared.fanout.publish(event) {
            tracing::debug!(project = %self.project, error = %e, "publishing awareness failed");
        }
    }

    /// All current awareness states, or `None` when there are none.
    fn awareness_state(&self) -> Option<Bytes> {
        let update = self.awareness.update().ok()?;
        if update.clients.is_empty() {
            return None;
        }
        Some(encode_awareness(&update))
    }

    /// Queues `out` behind every update applied so far; sends it now if all are durable.
    fn emit(&mut self, out: Out) {
        if !self.collecting.updates.is_empty() {
            self.collecting.outbound.push(out);
        } else if let Some(f) = self.in_flight.as_mut() {
            f.batch.outbound.push(out);
        } else {
            self.deliver(out);
        }
    }

    fn deliver(&mut self, out: Out) {
        match out {
            Out::To(conn, bytes) => self.send_to(conn, bytes),
            Out::AllExcept(except, bytes) => {
                let mut slow = Vec::new();
                for (id, state) in &self.peers {
                    if Some(*id) != except && state.peer.out.try_send(bytes.clone()).is_err() {
                        slow.push(*id);
                    }
                }
                for id in slow {
                    self.drop_slow(id);
                }
            }
            Out::Ack(reply) => {
                let _ = reply.send(Ok(()));
            }
        }
    }

    fn send_to(&mut self, conn: u64, bytes: Bytes) {
        // Only a full queue means a slow client. A closed one is a connection already on
        // its way out (its Leave is queued behind this message): nothing to count or kick.
        let failed = match self.peers.get(&conn) {
            Some(state) => matches!(
                state.peer.out.try_send(bytes),
                Err(mpsc::error::TrySendError::Full(_))
            ),
            None => false,
        };
        if failed {
            self.drop_slow(conn);
        }
    }

    fn drop_slow(&mut self, conn: u64) {
        metrics::counter!("folio_outbound_drops_total").increment(1);
        self.kick(
            conn,
            Close::new(
                close_code::TOO_SLOW,
                "outbound queue overflow: reconnect and resync",
            ),
        );
    }

    fn start_commit(&mut self) {
        if self.in_flight.is_some() || self.collecting.updates.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.collecting);
        let handle = self.spawn_append(batch.updates.clone(), Duration::ZERO);
        self.in_flight = Some(InFlight {
            batch,
            started: Instant::now(),
            attempt: 0,
            handle,
        });
    }

    fn spawn_append(&self, updates: Vec<Bytes>, delay: Duration) -> JoinHandle<StoreResult<i64>> {
        let store = self.svc.shared.store.clone();
        let project = self.project;
        tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let refs: Vec<&[u8]> = updates.iter().map(|b| b.as_ref()).collect();
            store.append_updates(project, &refs, Utc::now()).await
        })
    }

    fn commit_done(&mut self, res: Result<StoreResult<i64>, tokio::task::JoinError>) {
        let mut flight = self.in_flight.take().expect("a commit was in flight");
        let error = match res {
            Ok(Ok(last_seq)) => {
                metrics::histogram!("folio_commit_seconds")
                    .record(flight.started.elapsed().as_secs_f64());
                let n = flight.batch.updates.len() as i64;
                let first = last_seq - n + 1;
                if first == self.last_seq + 1 {
                    self.last_seq = last_seq;
                    self.drain_pending();
                } else if first > self.last_seq + 1 {
                    // Another node committed entries in between that have not arrived yet.
                    self.start_catch_up();
                }
                for (i, update) in flight.batch.updates.drain(..).enumerate() {
                    let event = Event::DocUpdate {
                        origin: self.svc.node_id(),
                        project: self.project,
                        seq: first + i as i64,
                        update,
                    };
                    if let Err(e) = self.svc.shared.fanout.publish(event) {
                        tracing::warn!(project = %self.project, error = %e, "publishing an update failed");
                    }
                }
                self.log_len += n;
                for out in std::mem::take(&mut flight.batch.outbound) {
                    self.deliver(out);
                }
                self.start_commit();
                self.maybe_compact();
                self.maybe_queue_version();
                return;
            }
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        flight.attempt += 1;
        let delay = Duration::from_millis((50u64 << flight.attempt.min(5)).min(2000));
        metrics::counter!("folio_commit_failures_total").increment(1);
        tracing::error!(project = %self.project, attempt = flight.attempt, %error, "commit failed; retrying");
        flight.handle = self.spawn_append(flight.batch.updates.clone(), delay);
        self.in_flight = Some(flight);
    }

    /// Edits were committed: make sure a version job is queued to run one interval from
    /// now. It snapshots whatever is durable then, so a burst of editing gets one version
    /// at most every interval, and the last edits of a session are never left out. The
    /// queue keeps one such job per book across nodes (its dedupe key).
    fn maybe_queue_version(&mut self) {
        let Some(interval) = self.svc.config().version_interval() else {
            return;
        };
        let now = Instant::now();
        if self.version_queued_until.is_some_and(|t| now < t) {
            return;
        }
        self.version_queued_until = Some(now + interval);
        let queue = self.svc.shared.jobs.clone();
        let job = crate::jobs::Queue::version_job(
            self.project,
            crate::jobs::VersionJob {
                reason: crate::store::VersionReason::Auto,
                unless_unchanged: true,
            },
            None,
            interval,
        );
        let project = self.project;
        tokio::spawn(async move {
            if let Err(e) = queue.enqueue(job).await {
                tracing::warn!(%project, error = %e, "queueing a periodic version failed");
            }
        });
    }

    fn maybe_compact(&mut self) {
        let limit = self.svc.config().compact_after as i64;
        if self.compaction.is_some() || self.log_len < limit || !self.is_flushed() {
            return;
        }
        let snapshot = self
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let store = self.svc.shared.store.clone();
        let (project, upto) = (self.project, self.last_seq);
        let handle =
            tokio::spawn(async move { store.compact(project, &snapshot, upto, Utc::now()).await });
        self.compaction = Some(Compaction {
            log_len_at_start: self.log_len,
            handle,
        });
    }

    fn compaction_done(&mut self, res: Result<StoreResult<()>, tokio::task::JoinError>) {
        let c = self.compaction.take().expect("a compaction was running");
        match res {
            Ok(Ok(())) => {
                self.log_len -= c.log_len_at_start;
                metrics::counter!("folio_compactions_total").increment(1);
            }
            Ok(Err(e)) => {
                tracing::warn!(project = %self.project, error = %e, "compaction failed; the log stays")
            }
            Err(e) => tracing::warn!(project = %self.project, error = %e, "compaction task failed"),
        }
    }

    /// Leaves the registry, folds the log into a snapshot, and drops the doc.
    async fn unload(mut self) {
        self.svc.forget_room(self.project, self.generation);
        self.svc.shared.fanout.leave(self.project);
        self.rx.close();
        while let Ok(msg) = self.rx.try_recv() {
            match msg {
                // Sent in the instant before we left the registry: the sender retries on a fresh room.
                RoomMsg::Join { reply, .. } | RoomMsg::SystemEdit { reply, .. } => {
                    let _ = reply.send(Err(SyncError::Retry));
                }
                _ => {}
            }
        }
        if let Some(c) = self.compaction.take() {
            let _ = c.handle.await;
        }
        if self.log_len > 0 {
            let snapshot = self
                .doc()
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            if let Err(e) = self
                .svc
                .shared
                .store
                .compact(self.project, &snapshot, self.last_seq, Utc::now())
                .await
            {
                tracing::warn!(project = %self.project, error = %e, "compaction on unload failed; the log stays");
            }
        }
        tracing::debug!(project = %self.project, "document unloaded");
    }
}

fn encode_awareness(update: &AwarenessUpdate) -> Bytes {
    protocol::awareness(
        update
            .clients
            .iter()
            .map(|(c, e)| (c.get(), e.clock, e.json.as_ref()))
            .collect::<Vec<_>>()
            .into_iter(),
    )
}
