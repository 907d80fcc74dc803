//! The rooms as the [`DocWriter`] of a serving node: a machine edit goes through the book's
//! live room, which commits it, relays it to every open editor and publishes it to the other
//! nodes.

use async_trait::async_trait;
use folio_domain::docs::{DocWriteError, DocWriter, SystemEdit};

use super::{SyncError, SyncService};
use crate::ids::ProjectId;

impl From<SyncError> for DocWriteError {
    fn from(e: SyncError) -> DocWriteError {
        match e {
            SyncError::ShuttingDown | SyncError::Retry => DocWriteError::Unavailable(e.to_string()),
            SyncError::TooManyRooms { max } => DocWriteError::TooManyBooks { max },
            SyncError::Load(_) => DocWriteError::Failed(e.to_string()),
        }
    }
}

#[async_trait]
impl DocWriter for SyncService {
    async fn edit_as_system(
        &self,
        project: ProjectId,
        edit: SystemEdit,
    ) -> Result<(), DocWriteError> {
        Ok(SyncService::edit_as_system(self, project, edit).await?)
    }
}
