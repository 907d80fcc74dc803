//! Print renders (SPEC §11), with `RenderStore` (body in `body/renders.rs`). A render's row is written
//! once its PDF is in blob storage; its id is the render job's, so a retried job writes the
//! same row again, which is kept as it was.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreResult;
use folio_domain::ids::{ProjectId, RenderId, UserId, VersionId};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Render {
    pub id: RenderId,
    pub project_id: ProjectId,
    /// The version rendered; `None` for the book as it durably was when the render ran.
    pub version_id: Option<VersionId>,
    pub product: String,
    pub pages: i64,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait RenderStore: Send + Sync {
    /// Records a render; recording the same id again changes nothing.
    async fn insert_render(&self, r: &Render) -> StoreResult<()>;
    async fn render(&self, id: RenderId) -> StoreResult<Render>;
}
