//! One loaded project: its doc and awareness, its connections, and the group-commit pipeline.
//!
//! Split in two. [`RoomCore`] is a state machine with no IO of its own: no tokio, no
//! channels, no clock (the time comes in as an argument). Decoded inputs go in (a peer
//! joined or left, its messages, a commit finished, a log read, a tick), and [`Effect`]s
//! come out (send this frame, append these updates, close that peer, unload). The shell
//! (`shell.rs`) is the tokio actor that owns one core, feeds it its mailbox and timers, and
//! carries out its effects against the sockets, the store and the fan-out.
//!
//! Accepted updates are applied at once (later updates validate against them), collected
//! into a batch, and committed in one transaction while the next batch collects. Everything
//! that could carry an uncommitted update (relays, SyncStep2 replies, edit acknowledgements)
//! waits for the commit that covers it.

mod awareness;
mod commit;
mod content;
mod machine;
mod shell;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::{Close, SyncError};
use crate::access::Role;
use crate::fanout::Event;
use crate::ids::{SessionId, UserId};

pub(crate) use commit::CommitRetry;
pub(crate) use machine::{RoomCore, RoomRules};
pub(crate) use shell::{run, Peer, RoomMsg};

/// A connection as the room core sees it: who it is and what it may do.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    pub conn_id: u64,
    pub user: UserId,
    /// The user id as the document's `createdBy` holds it.
    pub user_str: Arc<str>,
    pub session: SessionId,
    pub role: Role,
}

/// Names a caller waiting for an answer (a system edit waits for its commit).
pub(crate) type Ticket = u64;

/// What the core asks its shell to do, in order.
#[derive(Debug)]
pub(crate) enum Effect {
    /// One frame to one connection.
    Send { to: u64, frame: Bytes },
    /// One frame, encoded once, to every connection but `except`.
    Broadcast { except: Option<u64>, frame: Bytes },
    /// Close a connection with a code and reason; the core has already let it go.
    Close { conn: u64, close: Close },
    /// Answer a waiting caller.
    Reply {
        ticket: Ticket,
        result: Result<(), SyncError>,
    },
    /// Append these updates to the log in one transaction, after waiting `delay` (the
    /// back-off of a retry); answer with [`RoomCore::commit_done`]. One at a time.
    Append {
        updates: Vec<Bytes>,
        delay: Duration,
    },
    /// Read the log after entry `after`; answer with [`RoomCore::caught_up`].
    ReadLog { after: i64 },
    /// Fold the log up to entry `upto` into `snapshot`; answer with
    /// [`RoomCore::compacted`].
    Compact { snapshot: Vec<u8>, upto: i64 },
    /// Tell the other nodes (fan-out).
    Publish(Event),
    /// Edits were committed and a periodic version of the book is due `after` from now.
    VersionDue { after: Duration },
    /// The room is done: leave the registry, fold the log into `fold` when given, and
    /// stop. Always the last effect.
    Unload { fold: Option<Fold> },
}

/// The log folded into a snapshot: the whole doc, covering every entry up to `upto`.
#[derive(Debug)]
pub(crate) struct Fold {
    pub snapshot: Vec<u8>,
    pub upto: i64,
}
