//! The port through which machine work writes to books.
//!
//! Jobs (automix, proactive redesigns, restores) change a book as the system user (SPEC §6.3
//! rule 5) without knowing how a book is kept live. In a serving node the sync crate
//! implements [`DocWriter`] with its rooms, so the edit is committed, relayed to every open
//! editor and published to the other nodes; a worker-only node writes to the durable log.

use async_trait::async_trait;

use crate::ids::ProjectId;

/// One machine edit of a book, run inside a single transaction.
pub type SystemEdit = Box<dyn FnOnce(&mut yrs::TransactionMut) + Send>;

/// Why a system edit was not made. Nothing of it was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocWriteError {
    /// The book cannot take edits here right now (the node is shutting down, or the book
    /// was reloading): the same edit may be tried again shortly.
    #[error("{0}")]
    Unavailable(String),
    /// The node already holds its maximum of open books.
    #[error("this server already has its maximum of {max} books open; try again later")]
    TooManyBooks { max: usize },
    /// The book could not be read or written.
    #[error("{0}")]
    Failed(String),
}

/// Writes machine edits into books.
#[async_trait]
pub trait DocWriter: Send + Sync {
    /// Applies `edit` to `project`'s book as the system user and makes it durable before
    /// returning.
    async fn edit_as_system(
        &self,
        project: ProjectId,
        edit: SystemEdit,
    ) -> Result<(), DocWriteError>;
}
