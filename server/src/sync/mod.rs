//! Live sync: one room per loaded project (doc, awareness, connections), WebSocket
//! connections speaking the y-websocket protocol, and group-committed durability.
//!
//! Invariant: an accepted update is committed to the store before any other connection,
//! or any SyncStep2 reply, can carry it.

mod conn;
pub mod protocol;
mod room;
mod socket;
mod writer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use yrs::TransactionMut;

use crate::config::Config;
use crate::fanout::{Event, Fanout};
use crate::ids::{ProjectId, SessionId};
use crate::store::Store;

pub use conn::{serve_socket, Who};
use room::{Peer, RoomMsg};
pub use socket::{Frame, SocketError};

/// A WebSocket close: code and reason (SPEC §5 close codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: String,
}

impl Close {
    pub fn new(code: u16, reason: impl Into<String>) -> Close {
        Close {
            code,
            reason: reason.into(),
        }
    }
}

pub mod close_code {
    pub const RESTART: u16 = 1012;
    /// The node is at a limit (e.g. books open); reconnect later, perhaps to another node.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    pub const MALFORMED: u16 = 1008;
    pub const GOING_AWAY: u16 = 1001;
    pub const TOKEN: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const TOO_LARGE: u16 = 4413;
    pub const RATE: u16 = 4429;
    pub const TOO_SLOW: u16 = 4500;
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the document could not be loaded: {0}")]
    Load(String),
    #[error("the server is shutting down")]
    ShuttingDown,
    /// The room was unloading as the message arrived; the caller tries a fresh room.
    #[error("the document was reloading; try again")]
    Retry,
    /// The node already holds FOLIO_MAX_ROOMS books and this one is not among them.
    #[error("this server already has its maximum of {max} books open; try again later")]
    TooManyRooms { max: usize },
}

impl SyncError {
    /// The close code of a socket that could not join its room because of this.
    pub fn close_code(&self) -> u16 {
        match self {
            SyncError::TooManyRooms { .. } => close_code::TRY_AGAIN_LATER,
            SyncError::Load(_) | SyncError::ShuttingDown | SyncError::Retry => close_code::RESTART,
        }
    }
}

/// Who is loading a room: a socket is refused past FOLIO_MAX_ROOMS; the server's own
/// edits (jobs, restore, renames) are not, since refusing them would fail work already
/// accepted, and their rooms unload once idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opening {
    Socket,
    System,
}

/// A system edit run inside a room's transaction, e.g. renaming the book.
pub type SystemEdit = Box<dyn FnOnce(&mut TransactionMut) + Send>;

/// Where rooms report that a book they committed edits to is due a periodic version. The
/// server wires it to the job queue; sync itself knows nothing of jobs.
pub trait VersionDue: Send + Sync {
    /// A version of `project` should be taken `after` from now (once, however often this
    /// is called before then).
    fn version_due(&self, project: ProjectId, after: Duration);
}

#[derive(Clone)]
struct RoomHandle {
    tx: mpsc::Sender<RoomMsg>,
    generation: u64,
}

struct Shared {
    cfg: Arc<Config>,
    store: Arc<dyn Store>,
    fanout: Arc<dyn Fanout>,
    versions: Arc<dyn VersionDue>,
    presence: crate::presence::Presence,
    rooms: Mutex<HashMap<ProjectId, RoomHandle>>,
    tasks: Mutex<JoinSet<()>>,
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
    node_id: crate::fanout::NodeId,
    generation: AtomicU64,
    next_conn: AtomicU64,
    shutting_down: std::sync::atomic::AtomicBool,
}

/// The entry point to live sync: finds or loads rooms, and applies membership events.
#[derive(Clone)]
pub struct SyncService {
    shared: Arc<Shared>,
}

impl SyncService {
    pub fn new(
        cfg: Arc<Config>,
        store: Arc<dyn Store>,
        fanout: Arc<dyn Fanout>,
        node_id: crate::fanout::NodeId,
        versions: Arc<dyn VersionDue>,
        presence: crate::presence::Presence,
    ) -> SyncService {
        let svc = SyncService {
            shared: Arc::new(Shared {
                cfg,
                store,
                fanout,
                versions,
                presence,
                rooms: Mutex::new(HashMap::new()),
                tasks: Mutex::new(JoinSet::new()),
                listener: Mutex::new(None),
                node_id,
                generation: AtomicU64::new(1),
                next_conn: AtomicU64::new(1),
                shutting_down: Default::default(),
            }),
        };
        svc.spawn_event_listener();
        svc
    }

    pub(crate) fn config(&self) -> &Config {
        &self.shared.cfg
    }

    pub(crate) fn node_id(&self) -> crate::fanout::NodeId {
        self.shared.node_id
    }

    fn next_conn_id(&self) -> u64 {
        self.shared.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// The live room for a project, loading it if needed (and if `opening` may).
    fn room(&self, project: ProjectId, opening: Opening) -> Result<RoomHandle, SyncError> {
        if self.shared.shutting_down.load(Ordering::Acquire) {
            return Err(SyncError::ShuttingDown);
        }
        let mut rooms = self.shared.rooms.lock().expect("rooms lock");
        if let Some(h) = rooms.get(&project) {
            if !h.tx.is_closed() {
                return Ok(h.clone());
            }
        }
        // Checked and inserted under one lock, so concurrent openings never overshoot. A
        // closed handle of this project is about to be replaced, so it does not count.
        let max = self.shared.cfg.max_rooms as usize;
        let others = rooms.len() - usize::from(rooms.contains_key(&project));
        if opening == Opening::Socket && others >= max {
            metrics::counter!("folio_limit_refusals_total", "limit" => "rooms").increment(1);
            return Err(SyncError::TooManyRooms { max });
        }
        let generation = self.shared.generation.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(1024);
        let handle = RoomHandle { tx, generation };
        rooms.insert(project, handle.clone());
        self.shared
            .tasks
            .lock()
            .expect("tasks lock")
            .spawn(room::run(project, generation, self.clone(), rx));
        metrics::gauge!("folio_docs_loaded").set(rooms.len() as f64);
        Ok(handle)
    }

    /// Called by a room that is unloading: forget it if it is still the registered one.
    fn forget_room(&self, project: ProjectId, generation: u64) {
        let mut rooms = self.shared.rooms.lock().expect("rooms lock");
        if rooms
            .get(&project)
            .is_some_and(|h| h.generation == generation)
        {
            rooms.remove(&project);
        }
        metrics::gauge!("folio_docs_loaded").set(rooms.len() as f64);
    }

    /// Sends a message to a project's room, loading it, and retrying once if the room
    /// unloaded between lookup and send.
    async fn send(&self, project: ProjectId, mut msg: RoomMsg) -> Result<(), SyncError> {
        for _ in 0..3 {
            let handle = self.room(project, Opening::System)?;
            match handle.tx.send(msg).await {
                Ok(()) => return Ok(()),
                Err(mpsc::error::SendError(back)) => {
                    self.forget_room(project, handle.generation);
                    msg = back;
                }
            }
        }
        Err(SyncError::Load(
            "the document kept unloading; try again".into(),
        ))
    }

    /// Loads a project's room for a socket about to connect, unless the node already holds
    /// FOLIO_MAX_ROOMS other books: checked before the WebSocket upgrade, so the refusal is
    /// a plain 429. A room loaded here and never joined unloads when idle.
    pub fn open_for_socket(&self, project: ProjectId) -> Result<(), SyncError> {
        self.room(project, Opening::Socket).map(|_| ())
    }

    /// Adds a connection to its project's room; returns the room's inbox for its frames.
    pub(crate) async fn join(
        &self,
        project: ProjectId,
        peer: Peer,
    ) -> Result<mpsc::Sender<RoomMsg>, SyncError> {
        for _ in 0..5 {
            let handle = self.room(project, Opening::Socket)?;
            let (reply, answer) = oneshot::channel();
            if handle
                .tx
                .send(RoomMsg::Join {
                    peer: peer.clone(),
                    reply,
                })
                .await
                .is_err()
            {
                self.forget_room(project, handle.generation);
                continue;
            }
            match answer.await {
                Ok(Ok(())) => return Ok(handle.tx),
                Ok(Err(SyncError::Retry)) | Err(_) => self.forget_room(project, handle.generation),
                Ok(Err(e)) => return Err(e),
            }
        }
        Err(SyncError::Retry)
    }

    /// Who is online, from live connections on every node.
    pub fn presence(&self) -> &crate::presence::Presence {
        &self.shared.presence
    }

    /// Runs an edit as the system user inside the project's document, durably: it returns
    /// once the edit is committed. `Retry` when the room gave up on a failing store.
    pub async fn edit_as_system(
        &self,
        project: ProjectId,
        edit: SystemEdit,
    ) -> Result<(), SyncError> {
        let (reply, done) = oneshot::channel();
        self.send(project, RoomMsg::SystemEdit { edit, reply })
            .await?;
        done.await.unwrap_or(Err(SyncError::Retry))
    }

    /// Listens to fan-out events and hands each to the rooms it concerns.
    fn spawn_event_listener(&self) {
        let mut rx = self.shared.fanout.subscribe();
        let weak = Arc::downgrade(&self.shared);
        *self.shared.listener.lock().expect("listener lock") = Some(tokio::spawn(async move {
            loop {
                let event = match rx.recv().await {
                    Ok(e) => e,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        // Whatever was missed is in the durable log: every room catches up.
                        tracing::warn!(
                            missed = n,
                            "fan-out listener lagged; rooms catch up from the store"
                        );
                        Event::Resync
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                let Some(shared) = weak.upgrade() else { return };
                let svc = SyncService { shared };
                svc.dispatch(event).await;
            }
        }));
    }

    async fn dispatch(&self, event: Event) {
        let targets: Vec<RoomHandle> = {
            let rooms = self.shared.rooms.lock().expect("rooms lock");
            match &event {
                Event::Member { project, .. } | Event::ProjectDeleted { project } => {
                    rooms.get(project).cloned().into_iter().collect()
                }
                Event::SessionRevoked { .. } | Event::Resync => rooms.values().cloned().collect(),
                // For SSE streams only.
                Event::Activity { .. } => Vec::new(),
                // From another node (a node never receives its own).
                Event::DocUpdate { project, .. } | Event::Awareness { project, .. } => {
                    rooms.get(project).cloned().into_iter().collect()
                }
            }
        };
        let relay = matches!(event, Event::DocUpdate { .. } | Event::Awareness { .. });
        for room in targets {
            if relay {
                // Never stall the listener behind one busy room: a late update is still
                // applied in order (rooms buffer ahead-of-sequence updates), and a dropped
                // awareness update is repeated by its client.
                if let Err(tokio::sync::mpsc::error::TrySendError::Full(msg)) =
                    room.tx.try_send(RoomMsg::Event(event.clone()))
                {
                    let tx = room.tx.clone();
                    tokio::spawn(async move {
                        let _ = tx.send(msg).await;
                    });
                }
            } else {
                let _ = room.tx.send(RoomMsg::Event(event.clone())).await;
            }
        }
    }

    /// Revokes a session everywhere: its sockets close with 4401.
    pub fn session_revoked(&self, session: SessionId) {
        if let Err(e) = self
            .shared
            .fanout
            .publish(Event::SessionRevoked { session })
        {
            tracing::warn!(error = %e, "could not publish session revocation");
        }
    }

    /// Stops accepting, flushes every room, and closes sockets with 1012.
    pub async fn shutdown(&self) {
        self.shared.shutting_down.store(true, Ordering::Release);
        let rooms: Vec<RoomHandle> = self
            .shared
            .rooms
            .lock()
            .expect("rooms lock")
            .values()
            .cloned()
            .collect();
        for room in rooms {
            let _ = room.tx.send(RoomMsg::Shutdown).await;
        }
        let mut tasks = std::mem::take(&mut *self.shared.tasks.lock().expect("tasks lock"));
        let drained = tokio::time::timeout(std::time::Duration::from_secs(20), async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("shutdown: some documents did not flush within 20 s");
            tasks.abort_all();
        }
        if let Some(listener) = self.shared.listener.lock().expect("listener lock").take() {
            listener.abort();
        }
    }
}
