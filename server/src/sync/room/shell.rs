//! The room's tokio shell: one task per loaded book that owns its [`RoomCore`], feeds it
//! the mailbox, store results and timers, and carries out its effects: frames onto the
//! connections' queues, appends and reads on the store, fan-out, and unloading.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinError, JoinHandle};

use super::{CommitRetry, Effect, Fold, PeerInfo, RoomCore, RoomRules, Ticket};
use crate::fanout::Event;
use crate::ids::ProjectId;
use crate::store::{StoreResult, StoredDoc};
use crate::sync::protocol::Incoming;
use crate::sync::{Close, SyncError, SyncService, SystemEdit};

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

/// A connection joining a room: who it is, its bounded outbound queue, and the signal that
/// closes it.
#[derive(Clone)]
pub(crate) struct Peer {
    pub info: PeerInfo,
    pub out: mpsc::Sender<Bytes>,
    pub close: Arc<watch::Sender<Option<Close>>>,
}

/// A joined connection's ends, as the shell keeps them.
struct PeerIo {
    out: mpsc::Sender<Bytes>,
    close: Arc<watch::Sender<Option<Close>>>,
}

enum Wake {
    Msg(Option<RoomMsg>),
    Committed(Result<StoreResult<i64>, JoinError>),
    Compacted(Result<StoreResult<()>, JoinError>),
    CaughtUp(Result<StoreResult<StoredDoc>, JoinError>),
    Tick,
    Idle,
}

struct Shell {
    project: ProjectId,
    generation: u64,
    svc: SyncService,
    rx: mpsc::Receiver<RoomMsg>,
    core: RoomCore,
    peers: HashMap<u64, PeerIo>,
    /// System edits waiting for their commit.
    waiting: HashMap<Ticket, oneshot::Sender<Result<(), SyncError>>>,
    next_ticket: Ticket,
    commit: Option<JoinHandle<StoreResult<i64>>>,
    compaction: Option<JoinHandle<StoreResult<()>>>,
    catch_up: Option<JoinHandle<StoreResult<StoredDoc>>>,
}

/// Loads a project's book and runs its room until it unloads.
pub(crate) async fn run(
    project: ProjectId,
    generation: u64,
    svc: SyncService,
    mut rx: mpsc::Receiver<RoomMsg>,
) {
    // Subscribe before reading the store, so nothing committed elsewhere in between is
    // missed; what arrives early is ignored by sequence number.
    svc.shared.fanout.join(project);
    let loaded = match svc.shared.store.load_doc(project).await {
        Ok(stored) => {
            let cfg = svc.config();
            let rules = RoomRules {
                node_id: svc.node_id(),
                compact_after: cfg.compact_after as i64,
                version_interval: cfg.version_interval(),
                idle_unload: cfg.idle_unload(),
                commit_retry: CommitRetry::STANDARD,
            };
            let client_id = rand::random::<u64>() & ((1 << 53) - 1) | 1;
            RoomCore::load(project, rules, client_id, &stored, Instant::now())
        }
        Err(e) => {
            tracing::error!(%project, error = %e, "loading document failed");
            Err(SyncError::Load(
                "the book could not be read from the store".into(),
            ))
        }
    };
    let core = match loaded {
        Ok(core) => core,
        Err(e) => {
            svc.shared.fanout.leave(project);
            svc.forget_room(project, generation);
            rx.close();
            while let Some(msg) = rx.recv().await {
                match msg {
                    RoomMsg::Join { reply, .. } | RoomMsg::SystemEdit { reply, .. } => {
                        let _ = reply.send(Err(SyncError::Load(e.to_string())));
                    }
                    _ => {}
                }
            }
            return;
        }
    };
    Shell {
        project,
        generation,
        svc,
        rx,
        core,
        peers: HashMap::new(),
        waiting: HashMap::new(),
        next_ticket: 1,
        commit: None,
        compaction: None,
        catch_up: None,
    }
    .run()
    .await
}

/// Waits for a task when there is one, forever when there is none.
async fn finish<T>(task: &mut Option<JoinHandle<T>>) -> Result<T, JoinError> {
    match task.as_mut() {
        Some(t) => t.await,
        None => std::future::pending().await,
    }
}

/// A store call's result, with a failed task counted as a failed call.
fn outcome<T>(res: Result<StoreResult<T>, JoinError>) -> Result<T, String> {
    match res {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(format!("the store task failed: {e}")),
    }
}

impl Shell {
    async fn run(mut self) {
        let multi_node = self.svc.config().redis_url.is_some();
        let mut heal = tokio::time::interval(Duration::from_secs(1));
        heal.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let idle_deadline = self.core.idle_deadline();
            let idle_at = match idle_deadline {
                Some(t) => tokio::time::Instant::from_std(t),
                None => tokio::time::Instant::now() + Duration::from_secs(3600),
            };
            let wake = tokio::select! {
                msg = self.rx.recv() => Wake::Msg(msg),
                res = finish(&mut self.commit) => Wake::Committed(res),
                res = finish(&mut self.compaction) => Wake::Compacted(res),
                res = finish(&mut self.catch_up) => Wake::CaughtUp(res),
                _ = heal.tick(), if multi_node => Wake::Tick,
                _ = tokio::time::sleep_until(idle_at), if idle_deadline.is_some() => Wake::Idle,
            };
            let now = Instant::now();
            match wake {
                Wake::Msg(Some(msg)) => self.handle(now, msg),
                Wake::Msg(None) => self.core.orphaned(),
                Wake::Committed(res) => {
                    self.commit = None;
                    self.core.commit_done(now, outcome(res));
                }
                Wake::Compacted(res) => {
                    self.compaction = None;
                    self.core.compacted(outcome(res));
                }
                Wake::CaughtUp(res) => {
                    self.catch_up = None;
                    self.core.caught_up(outcome(res));
                }
                Wake::Tick => self.core.heal(),
                Wake::Idle => self.core.idle(now),
            }
            if let Some(fold) = self.carry_out(now) {
                self.unload(fold).await;
                return;
            }
        }
    }

    fn handle(&mut self, now: Instant, msg: RoomMsg) {
        match msg {
            RoomMsg::Join { peer, reply } => {
                let conn = peer.info.conn_id;
                match self.core.join(peer.info) {
                    Ok(greeting) => {
                        for frame in greeting {
                            let _ = peer.out.try_send(frame);
                        }
                        self.peers.insert(
                            conn,
                            PeerIo {
                                out: peer.out,
                                close: peer.close,
                            },
                        );
                        let _ = reply.send(Ok(()));
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            RoomMsg::Leave { conn } => {
                self.peers.remove(&conn);
                self.core.leave(now, conn);
            }
            RoomMsg::Frame { conn, msgs } => self.core.receive(now, conn, msgs),
            RoomMsg::SystemEdit { edit, reply } => {
                let ticket = self.next_ticket;
                self.next_ticket += 1;
                self.waiting.insert(ticket, reply);
                self.core.system_edit(now, edit, ticket);
            }
            RoomMsg::Event(event) => self.core.event(now, event),
            RoomMsg::Shutdown => self.core.shutdown(now),
        }
    }

    /// Carries out the core's effects until it has none left; `Some` with what to fold
    /// when the room is to unload.
    fn carry_out(&mut self, now: Instant) -> Option<Option<Fold>> {
        loop {
            let effects = self.core.take_effects();
            if effects.is_empty() {
                return None;
            }
            // Connections whose queue is full: reported to the core once the batch is out.
            let mut slow = Vec::new();
            for effect in effects {
                match effect {
                    Effect::Send { to, frame } => {
                        // Only a full queue means a slow client. A closed one is a
                        // connection already on its way out (its Leave is queued).
                        if let Some(p) = self.peers.get(&to) {
                            if let Err(mpsc::error::TrySendError::Full(_)) = p.out.try_send(frame) {
                                slow.push(to);
                            }
                        }
                    }
                    Effect::Broadcast { except, frame } => {
                        for (id, p) in &self.peers {
                            if Some(*id) != except && p.out.try_send(frame.clone()).is_err() {
                                slow.push(*id);
                            }
                        }
                    }
                    Effect::Close { conn, close } => {
                        if let Some(p) = self.peers.remove(&conn) {
                            p.close.send_replace(Some(close));
                        }
                    }
                    Effect::Reply { ticket, result } => {
                        if let Some(reply) = self.waiting.remove(&ticket) {
                            let _ = reply.send(result);
                        }
                    }
                    Effect::Append { updates, delay } => self.append(updates, delay),
                    Effect::ReadLog { after } => {
                        let store = self.svc.shared.store.clone();
                        let project = self.project;
                        self.catch_up = Some(tokio::spawn(async move {
                            store.doc_since(project, after).await
                        }));
                    }
                    Effect::Compact { snapshot, upto } => {
                        let store = self.svc.shared.store.clone();
                        let project = self.project;
                        self.compaction = Some(tokio::spawn(async move {
                            store.compact(project, &snapshot, upto, Utc::now()).await
                        }));
                    }
                    Effect::Publish(event) => self.publish(event),
                    Effect::VersionDue { after } => {
                        self.svc.shared.versions.version_due(self.project, after)
                    }
                    Effect::Unload { fold } => return Some(fold),
                }
            }
            slow.sort_unstable();
            slow.dedup();
            for conn in slow {
                self.core.too_slow(now, conn);
            }
        }
    }

    fn append(&mut self, updates: Vec<Bytes>, delay: Duration) {
        let store = self.svc.shared.store.clone();
        let project = self.project;
        self.commit = Some(tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let refs: Vec<&[u8]> = updates.iter().map(|b| b.as_ref()).collect();
            store.append_updates(project, &refs, Utc::now()).await
        }));
    }

    fn publish(&self, event: Event) {
        let update = matches!(event, Event::DocUpdate { .. });
        if let Err(e) = self.svc.shared.fanout.publish(event) {
            if update {
                tracing::warn!(project = %self.project, error = %e, "publishing an update failed");
            } else {
                tracing::debug!(project = %self.project, error = %e, "publishing awareness failed");
            }
        }
    }

    /// Leaves the registry, folds the log into a snapshot when told to, and drops the doc.
    async fn unload(mut self, fold: Option<Fold>) {
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
            let _ = c.await;
        }
        if let Some(Fold { snapshot, upto }) = fold {
            if let Err(e) = self
                .svc
                .shared
                .store
                .compact(self.project, &snapshot, upto, Utc::now())
                .await
            {
                tracing::warn!(project = %self.project, error = %e, "compaction on unload failed; the log stays");
            }
        }
        tracing::debug!(project = %self.project, "document unloaded");
    }
}
