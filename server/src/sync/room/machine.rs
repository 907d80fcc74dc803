//! The room core: its state, its inputs (joins, leaves, frames, system edits, events,
//! idle and shutdown), and the queue that holds outbound messages behind the commit that
//! covers them.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use yrs::sync::Awareness;
use yrs::updates::decoder::Decode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, Update};

use crdt_schema::validate::{parse_update, Validator};

use super::commit::{CommitRetry, InFlight};
use super::content::Held;
use super::{Effect, Fold, PeerInfo, Ticket};
use crate::fanout::{Event, NodeId};
use crate::ids::ProjectId;
use crate::store::StoredDoc;
use crate::sync::protocol::{self, Incoming};
use crate::sync::{close_code, Close, SyncError, SystemEdit};

/// What a room is told by the node's config.
#[derive(Debug, Clone)]
pub(crate) struct RoomRules {
    pub node_id: NodeId,
    /// Fold the log into a snapshot once it holds this many entries.
    pub compact_after: i64,
    /// How often a book being edited gets a periodic version; `None` for never.
    pub version_interval: Option<Duration>,
    /// How long a room with no connection stays loaded.
    pub idle_unload: Duration,
    pub commit_retry: CommitRetry,
}

pub(super) struct PeerState {
    pub(super) info: PeerInfo,
    pub(super) owned: HashSet<u64>,
    /// Updates that build on content this connection has not sent yet (see `hold`).
    pub(super) held: VecDeque<Held>,
    pub(super) held_bytes: usize,
}

/// Something to send once the updates applied before it are durable.
#[derive(Debug)]
pub(super) enum Out {
    To(u64, Bytes),
    AllExcept(Option<u64>, Bytes),
    Ack(Ticket),
}

#[derive(Default, Debug)]
pub(super) struct Batch {
    pub(super) updates: Vec<Bytes>,
    pub(super) outbound: Vec<Out>,
}

pub(crate) struct RoomCore {
    pub(super) project: ProjectId,
    pub(super) rules: RoomRules,
    pub(super) awareness: yrs::sync::Awareness,
    /// Knows the document's structure, to check updates before they are applied.
    pub(super) validator: Validator,
    pub(super) peers: HashMap<u64, PeerState>,
    /// Yjs client id -> the connection that owns it (claimed in its awareness, or written
    /// under first). Another connection may neither write under it nor set its awareness.
    pub(super) owners: HashMap<u64, u64>,
    /// Yjs client id -> the user who wrote under it, for as long as the room is loaded, so
    /// that a client id stays its user's across reconnects.
    pub(super) client_users: HashMap<u64, Arc<str>>,
    pub(super) collecting: Batch,
    pub(super) in_flight: Option<InFlight>,
    /// A compaction is running; the log length it started from.
    pub(super) compacting: Option<i64>,
    /// Every log entry up to this one is in the doc. With several nodes, entries from
    /// other nodes arrive by fan-out or, after a gap, from the store.
    pub(super) last_seq: i64,
    /// Entries from other nodes that arrived ahead of a gap, applied once it is filled.
    pub(super) pending: BTreeMap<i64, Bytes>,
    /// A read of the log after `last_seq` is running, to fill a gap.
    pub(super) catching_up: bool,
    /// Another gap was seen while catching up: read again when this one is done.
    pub(super) catch_up_again: bool,
    /// Log entries after the stored snapshot.
    pub(super) log_len: i64,
    pub(super) idle_since: Option<Instant>,
    /// Until then a periodic version is already due for this book.
    pub(super) version_due_until: Option<Instant>,
    pub(super) shutting_down: bool,
    /// Commits kept failing and the room gave up (see `give_up`).
    pub(super) commit_gave_up: bool,
    /// The Unload effect has been given; nothing more comes out.
    unloaded: bool,
    effects: Vec<Effect>,
}

impl RoomCore {
    /// A room holding `stored`, the book as the store has it. `client_id` is the room's own
    /// Yjs client id, for the system's edits.
    pub(crate) fn load(
        project: ProjectId,
        rules: RoomRules,
        client_id: u64,
        stored: &StoredDoc,
        now: Instant,
    ) -> Result<RoomCore, SyncError> {
        let awareness = Awareness::new(Doc::with_client_id(client_id));
        let state = {
            let mut txn = awareness.doc().transact_mut();
            for bytes in stored
                .snapshot
                .iter()
                .chain(stored.updates.iter().map(|(_, u)| u))
            {
                match Update::decode_v1(bytes) {
                    Ok(u) => {
                        if let Err(e) = txn.apply_update(u) {
                            tracing::error!(%project, error = %e, "stored update does not apply");
                        }
                    }
                    Err(e) => {
                        tracing::error!(%project, error = %e, "stored update does not decode")
                    }
                }
            }
            txn.encode_state_as_update_v1(&StateVector::default())
        };
        let validator = Validator::from_state(&state).map_err(|e| {
            tracing::error!(%project, error = %e, "indexing document failed");
            SyncError::Load("the book could not be indexed".into())
        })?;
        Ok(RoomCore {
            project,
            rules,
            awareness,
            validator,
            peers: HashMap::new(),
            owners: HashMap::new(),
            client_users: HashMap::new(),
            collecting: Batch::default(),
            in_flight: None,
            compacting: None,
            last_seq: stored.last_seq(),
            pending: BTreeMap::new(),
            catching_up: false,
            catch_up_again: false,
            log_len: stored.updates.len() as i64,
            idle_since: Some(now),
            version_due_until: None,
            shutting_down: false,
            commit_gave_up: false,
            unloaded: false,
            effects: Vec::new(),
        })
    }

    pub(super) fn doc(&self) -> &Doc {
        self.awareness.doc()
    }

    /// The effects of everything since the last call, in order. Once the room is shutting
    /// down and nothing waits for a commit, the last is `Unload`.
    pub(crate) fn take_effects(&mut self) -> Vec<Effect> {
        if self.shutting_down && self.is_flushed() {
            self.unload();
        }
        std::mem::take(&mut self.effects)
    }

    pub(super) fn effect(&mut self, effect: Effect) {
        if !self.unloaded {
            self.effects.push(effect);
        }
    }

    /// Nothing waits for a commit.
    pub(crate) fn is_flushed(&self) -> bool {
        self.in_flight.is_none()
            && self.collecting.updates.is_empty()
            && self.collecting.outbound.is_empty()
    }

    /// Ends the room with an `Unload`, folding the log into a snapshot if it has entries
    /// (unless the store kept refusing commits: then the doc holds more than the log).
    pub(super) fn unload(&mut self) {
        if self.unloaded {
            return;
        }
        let fold = (self.log_len > 0 && !self.commit_gave_up).then(|| {
            let snapshot = self
                .doc()
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            Fold {
                snapshot,
                upto: self.last_seq,
            }
        });
        self.effect(Effect::Unload { fold });
        self.unloaded = true;
    }

    /// Adds a connection. The frames returned greet it: the server's SyncStep1, which pulls
    /// the client's offline edits, then the current awareness.
    pub(crate) fn join(&mut self, peer: PeerInfo) -> Result<Vec<Bytes>, SyncError> {
        if self.shutting_down {
            return Err(SyncError::ShuttingDown);
        }
        let sv = self.doc().transact().state_vector();
        let mut greeting = vec![protocol::sync_step1(&sv)];
        greeting.extend(self.awareness_state());
        self.peers.insert(
            peer.conn_id,
            PeerState {
                info: peer,
                owned: HashSet::new(),
                held: VecDeque::new(),
                held_bytes: 0,
            },
        );
        self.idle_since = None;
        Ok(greeting)
    }

    /// A connection ended: its awareness states are removed for everyone.
    pub(crate) fn leave(&mut self, now: Instant, conn: u64) {
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
                let bytes = super::awareness::encode(&update);
                self.publish_awareness(bytes.clone());
                self.deliver(Out::AllExcept(None, bytes));
            }
        }
        if self.peers.is_empty() {
            self.idle_since = Some(now);
        }
    }

    /// Closes a connection with `close` and lets it go.
    pub(super) fn kick(&mut self, now: Instant, conn: u64, close: Close) {
        if self.peers.contains_key(&conn) {
            self.effect(Effect::Close { conn, close });
        }
        self.leave(now, conn);
    }

    /// The shell could not queue a frame for `conn`: its outbound queue is full.
    pub(crate) fn too_slow(&mut self, now: Instant, conn: u64) {
        if !self.peers.contains_key(&conn) {
            return;
        }
        metrics::counter!("folio_outbound_drops_total").increment(1);
        self.kick(
            now,
            conn,
            Close::new(
                close_code::TOO_SLOW,
                "outbound queue overflow: reconnect and resync",
            ),
        );
    }

    /// Messages from one frame of a connection, in order.
    pub(crate) fn receive(&mut self, now: Instant, conn: u64, msgs: Vec<Incoming>) {
        for m in msgs {
            if !self.peers.contains_key(&conn) {
                break;
            }
            self.incoming(now, conn, m);
        }
    }

    fn incoming(&mut self, now: Instant, conn: u64, msg: Incoming) {
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
                if self.content(now, conn, update, parsed, raw, now) {
                    self.retry_held(now, conn);
                }
            }
            Incoming::Awareness(entries) => self.awareness_update(conn, entries),
            Incoming::QueryAwareness => {
                if let Some(aw) = self.awareness_state() {
                    self.deliver(Out::To(conn, aw));
                }
            }
            Incoming::Auth => {}
        }
    }

    /// Runs an edit as the system user; `ticket` is answered once it is committed.
    pub(crate) fn system_edit(&mut self, now: Instant, edit: SystemEdit, ticket: Ticket) {
        if self.shutting_down {
            self.effect(Effect::Reply {
                ticket,
                result: Err(SyncError::ShuttingDown),
            });
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
            self.accept(now, None, Bytes::from(update));
        }
        self.emit(Out::Ack(ticket));
    }

    /// The node is shutting down: every connection closes with 1012, and the room unloads
    /// once what it accepted is committed.
    pub(crate) fn shutdown(&mut self, now: Instant) {
        self.shutting_down = true;
        let all: Vec<u64> = self.peers.keys().copied().collect();
        for id in all {
            self.kick(
                now,
                id,
                Close::new(close_code::RESTART, "server restarting; reconnect"),
            );
        }
    }

    /// Nobody can reach the room any more: it unloads once flushed.
    pub(crate) fn orphaned(&mut self) {
        self.shutting_down = true;
    }

    /// When the room unloads if nothing happens: with no connection, the idle time after
    /// the last one left.
    pub(crate) fn idle_deadline(&self) -> Option<Instant> {
        match self.idle_since {
            Some(t) if !self.shutting_down && self.peers.is_empty() => {
                Some(t + self.rules.idle_unload)
            }
            _ => None,
        }
    }

    /// The idle deadline passed: unload if nothing waits for a commit, else wait again.
    pub(crate) fn idle(&mut self, now: Instant) {
        if !self.peers.is_empty() {
            return;
        }
        if self.is_flushed() {
            self.unload();
        } else {
            self.idle_since = Some(now);
        }
    }

    /// Something happened elsewhere: membership, sessions, or another node's edits.
    pub(crate) fn event(&mut self, now: Instant, event: Event) {
        match event {
            Event::Member { user, role, .. } => {
                let ids: Vec<u64> = self
                    .peers
                    .values()
                    .filter(|p| p.info.user == user)
                    .map(|p| p.info.conn_id)
                    .collect();
                for id in ids {
                    match role {
                        None => self.kick(
                            now,
                            id,
                            Close::new(close_code::FORBIDDEN, "you were removed from this project"),
                        ),
                        Some(role) => {
                            if let Some(p) = self.peers.get_mut(&id) {
                                p.info.role = role;
                            }
                        }
                    }
                }
            }
            Event::ProjectDeleted { .. } => {
                let ids: Vec<u64> = self.peers.keys().copied().collect();
                for id in ids {
                    self.kick(
                        now,
                        id,
                        Close::new(close_code::FORBIDDEN, "this project was deleted"),
                    );
                }
            }
            Event::SessionRevoked { session } => {
                let ids: Vec<u64> = self
                    .peers
                    .values()
                    .filter(|p| p.info.session == session)
                    .map(|p| p.info.conn_id)
                    .collect();
                for id in ids {
                    self.kick(
                        now,
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

    /// Queues `out` behind every update applied so far; sends it now if all are durable.
    pub(super) fn emit(&mut self, out: Out) {
        if !self.collecting.updates.is_empty() {
            self.collecting.outbound.push(out);
        } else if let Some(f) = self.in_flight.as_mut() {
            f.batch.outbound.push(out);
        } else {
            self.deliver(out);
        }
    }

    /// Sends `out` now.
    pub(super) fn deliver(&mut self, out: Out) {
        let effect = match out {
            Out::To(to, frame) => Effect::Send { to, frame },
            Out::AllExcept(except, frame) => Effect::Broadcast { except, frame },
            Out::Ack(ticket) => Effect::Reply {
                ticket,
                result: Ok(()),
            },
        };
        self.effect(effect);
    }
}
