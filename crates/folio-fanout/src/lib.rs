//! Fan-out of events between the nodes serving a project: a small trait, in-process by default.
//!
//! Every node, this one included, receives what is published, and applies control events
//! (role changes, removals, revoked sessions) from that one path. Document and awareness
//! relays carry the publishing node's id so a node skips its own.

mod local;
mod redis;

use bytes::Bytes;
use tokio::sync::broadcast;

use folio_domain::access::Role;
use folio_domain::ids::{ProjectId, SessionId, UserId};

pub use self::redis::RedisFanout;
pub use local::LocalFanout;

/// Identifies one running node, so it can recognise its own messages.
pub type NodeId = uuid::Uuid;

#[derive(Debug, Clone)]
pub enum Event {
    /// An accepted, durable document update with its log sequence number.
    DocUpdate {
        origin: NodeId,
        project: ProjectId,
        seq: i64,
        update: Bytes,
    },
    /// An awareness update, already stamped by the node that accepted it.
    Awareness {
        origin: NodeId,
        project: ProjectId,
        update: Bytes,
    },
    /// A member's role changed (`Some`) or they were removed (`None`).
    Member {
        project: ProjectId,
        user: UserId,
        role: Option<Role>,
    },
    /// A project was deleted: everyone is disconnected.
    ProjectDeleted { project: ProjectId },
    /// A login token was revoked: its sockets are closed.
    SessionRevoked { session: SessionId },
    /// Something live clients of a project (`project`) or of one user (`user`) are told over
    /// SSE: `kind` is `comment`, `job` or `notification`, `data` its JSON. Rooms ignore it.
    Activity {
        project: Option<ProjectId>,
        user: Option<UserId>,
        kind: ActivityKind,
        data: Bytes,
    },
    /// This node's link to the other nodes was (re)established: events may have been missed,
    /// so every loaded room catches up from the durable log. Never sent between nodes.
    Resync,
}

/// The SSE event names of `Event::Activity` (SPEC §4 events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Comment,
    Job,
    Notification,
}

impl ActivityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Comment => "comment",
            ActivityKind::Job => "job",
            ActivityKind::Notification => "notification",
        }
    }

    pub fn byte(self) -> u8 {
        match self {
            ActivityKind::Comment => 1,
            ActivityKind::Job => 2,
            ActivityKind::Notification => 3,
        }
    }

    pub fn from_byte(b: u8) -> Option<ActivityKind> {
        [
            ActivityKind::Comment,
            ActivityKind::Job,
            ActivityKind::Notification,
        ]
        .into_iter()
        .find(|k| k.byte() == b)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FanoutError {
    #[error("fan-out unavailable: {0}")]
    Unavailable(String),
}

pub trait Fanout: Send + Sync + 'static {
    /// Publishes one event to every node. Never one publish per recipient.
    fn publish(&self, event: Event) -> Result<(), FanoutError>;
    /// A stream of every event published by any node, this one included.
    fn subscribe(&self) -> broadcast::Receiver<Event>;
    /// This node has `project` loaded and wants its document and awareness traffic.
    fn join(&self, _project: ProjectId) {}
    /// This node no longer has `project` loaded.
    fn leave(&self, _project: ProjectId) {}
}
