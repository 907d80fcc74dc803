//! A document append on its way to a group commit: both stores hand it to one writer (the
//! SQLite writer thread, the PostgreSQL committer task) and wait for its sequence number.

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use crate::{ProjectId, StoreError, StoreResult};

pub(crate) struct AppendRequest {
    pub project: ProjectId,
    pub updates: Vec<Vec<u8>>,
    pub now: DateTime<Utc>,
    pub reply: oneshot::Sender<StoreResult<i64>>,
}

/// Where the sequence number of the request's last update arrives.
pub(crate) struct Appended(oneshot::Receiver<StoreResult<i64>>);

impl AppendRequest {
    pub(crate) fn new(
        project: ProjectId,
        updates: &[&[u8]],
        now: DateTime<Utc>,
    ) -> (AppendRequest, Appended) {
        let (reply, answer) = oneshot::channel();
        let updates = updates.iter().map(|u| u.to_vec()).collect();
        let request = AppendRequest {
            project,
            updates,
            now,
            reply,
        };
        (request, Appended(answer))
    }
}

impl Appended {
    /// The sequence number, or `WriterGone` if the writer stopped first.
    pub(crate) async fn seq(self) -> StoreResult<i64> {
        self.0.await.map_err(|_| StoreError::WriterGone)?
    }
}
