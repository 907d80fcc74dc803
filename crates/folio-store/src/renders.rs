//! Print renders (SPEC §11), with `RenderStore` on both databases. A render's row is written
//! once its PDF is in blob storage; its id is the render job's, so a retried job writes the
//! same row again, which is kept as it was.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::postgres::PgStore;
use super::sqlite::{ts, SqliteStore};
use super::{StoreError, StoreResult};
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

const COLS: &str = "id, project_id, version_id, product, pages, created_by, created_at";

macro_rules! render_from {
    ($row:expr) => {{
        let row = $row;
        Render {
            id: RenderId(row.try_get("id")?),
            project_id: ProjectId(row.try_get("project_id")?),
            version_id: row
                .try_get::<Option<uuid::Uuid>, _>("version_id")?
                .map(VersionId),
            product: row.try_get("product")?,
            pages: row.try_get("pages")?,
            created_by: row
                .try_get::<Option<uuid::Uuid>, _>("created_by")?
                .map(UserId),
            created_at: row.try_get("created_at")?,
        }
    }};
}

fn sqlite_render(row: &sqlx::sqlite::SqliteRow) -> sqlx::Result<Render> {
    Ok(render_from!(row))
}

fn pg_render(row: &sqlx::postgres::PgRow) -> sqlx::Result<Render> {
    Ok(render_from!(row))
}

#[async_trait]
impl RenderStore for SqliteStore {
    async fn insert_render(&self, r: &Render) -> StoreResult<()> {
        let r = r.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO renders (id, project_id, version_id, product, pages, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (id) DO NOTHING",
                rusqlite::params![r.id.0, r.project_id.0, r.version_id.map(|v| v.0), r.product, r.pages, r.created_by.map(|u| u.0), ts(r.created_at)],
            )?;
            Ok(())
        })
        .await
    }

    async fn render(&self, id: RenderId) -> StoreResult<Render> {
        let row = sqlx::query(&format!("SELECT {COLS} FROM renders WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(sqlite_render(&row)?)
    }
}

#[async_trait]
impl RenderStore for PgStore {
    async fn insert_render(&self, r: &Render) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO renders (id, project_id, version_id, product, pages, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(r.id.0)
        .bind(r.project_id.0)
        .bind(r.version_id.map(|v| v.0))
        .bind(&r.product)
        .bind(r.pages)
        .bind(r.created_by.map(|u| u.0))
        .bind(r.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn render(&self, id: RenderId) -> StoreResult<Render> {
        let row = sqlx::query(&format!("SELECT {COLS} FROM renders WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(pg_render(&row)?)
    }
}
