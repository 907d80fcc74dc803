//! `RenderStore`, written once for both databases.

use async_trait::async_trait;

use crate::renders::{Render, RenderStore};
use crate::rows::Rows;
use crate::{PgStore, SqliteStore, StoreResult};
use folio_domain::ids::RenderId;

macro_rules! renders_body {
    ($store:ty) => {
        #[async_trait]
        impl RenderStore for $store {
            async fn insert_render(&self, r: &Render) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO renders (id, project_id, version_id, product, pages, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
                )
                .bind(r.id.0)
                .bind(r.project_id.0)
                .bind(r.version_id.map(|v| v.0))
                .bind(&r.product)
                .bind(r.pages)
                .bind(r.created_by.map(|u| u.0))
                .bind(r.created_at)
                .execute(&mut *self.writer().await?)
                .await?;
                Ok(())
            }

            async fn render(&self, id: RenderId) -> StoreResult<Render> {
                let sql = "SELECT id, project_id, version_id, product, pages, created_by, created_at \
                           FROM renders WHERE id = $1";
                self.one(sql, id.0, Rows::render).await
            }
        }
    };
}

renders_body!(SqliteStore);
renders_body!(PgStore);
