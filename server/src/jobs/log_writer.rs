//! The [`DocWriter`] of a node without rooms (`folio worker`): a machine edit is applied to
//! the durable document, the difference is appended to the log and published. Serving nodes
//! apply it from the fan-out, or from the log within their heal interval if they missed it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use folio_domain::docs::{DocWriteError, DocWriter, SystemEdit};
use yrs::updates::decoder::Decode;
use yrs::{Transact, Update};

use crate::fanout::{Event, Fanout};
use crate::ids::ProjectId;
use crate::store::Store;

pub struct LogWriter {
    store: Arc<dyn Store>,
    fanout: Arc<dyn Fanout>,
}

impl LogWriter {
    pub fn new(store: Arc<dyn Store>, fanout: Arc<dyn Fanout>) -> LogWriter {
        LogWriter { store, fanout }
    }
}

#[async_trait]
impl DocWriter for LogWriter {
    async fn edit_as_system(
        &self,
        project: ProjectId,
        edit: SystemEdit,
    ) -> Result<(), DocWriteError> {
        let failed = |e: String| DocWriteError::Failed(e);
        let stored = self
            .store
            .load_doc(project)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let doc = yrs::Doc::new();
        {
            let mut txn = doc.transact_mut();
            for bytes in stored
                .snapshot
                .iter()
                .chain(stored.updates.iter().map(|(_, u)| u))
            {
                let u = Update::decode_v1(bytes)
                    .map_err(|e| failed(format!("the stored book does not decode: {e}")))?;
                txn.apply_update(u)
                    .map_err(|e| failed(format!("the stored book does not apply: {e}")))?;
            }
        }
        let update = {
            let mut txn = doc.transact_mut();
            edit(&mut txn);
            txn.encode_update_v1()
        };
        if update.as_slice() == Update::EMPTY_V1 {
            return Ok(());
        }
        let seq = self
            .store
            .append_updates(project, &[update.as_slice()], Utc::now())
            .await
            .map_err(|e| failed(e.to_string()))?;
        let event = Event::DocUpdate {
            origin: uuid::Uuid::new_v4(),
            project,
            seq,
            update: update.into(),
        };
        if let Err(e) = self.fanout.publish(event) {
            tracing::warn!(%project, error = %e, "could not publish a worker's edit; nodes pick it up from the log");
        }
        Ok(())
    }
}
