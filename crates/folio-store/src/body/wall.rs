//! `WallStore`, written once for both databases. Each operation is one statement.

use async_trait::async_trait;

use super::reads::found;
use chrono::{DateTime, Utc};

use crate::rows::Rows;
use crate::wall::{Comment, WallStore};
use crate::{PgStore, SqliteStore, StoreResult};
use folio_domain::ids::{CommentId, ProjectId};

const COMMENTS: &str = "SELECT c.seq, c.id, c.project_id, c.author_id, u.name AS author_name, c.parent_id, \
     c.page_id, c.item_id, c.body, c.created_at, c.updated_at FROM comments c JOIN users u ON u.id = c.author_id";

macro_rules! wall_body {
    ($store:ty) => {
        #[async_trait]
        impl WallStore for $store {
            async fn insert_comment(&self, c: &Comment) -> StoreResult<Comment> {
                found(sqlx::query(
                    "INSERT INTO comments (id, project_id, author_id, parent_id, page_id, item_id, body, created_at, updated_at) \
                     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $8 \
                     WHERE $4 IS NULL OR EXISTS (SELECT 1 FROM comments p WHERE p.id = $4 AND p.project_id = $2 AND p.parent_id IS NULL)",
                )
                .bind(c.id.0)
                .bind(c.project_id.0)
                .bind(c.author_id.0)
                .bind(c.parent_id.map(|p| p.0))
                .bind(&c.page_id)
                .bind(&c.item_id)
                .bind(&c.body)
                .bind(c.created_at)
                .execute(&mut *self.writer().await?)
                .await?.rows_affected())?;
                self.comment(c.id).await
            }

            async fn comment(&self, id: CommentId) -> StoreResult<Comment> {
                self.one(&format!("{COMMENTS} WHERE c.id = $1"), id.0, Rows::comment).await
            }

            async fn wall(
                &self,
                project: ProjectId,
                before: Option<CommentId>,
                limit: i64,
            ) -> StoreResult<(Vec<Comment>, Vec<Comment>)> {
                let top = sqlx::query(&format!(
                    "{COMMENTS} WHERE c.project_id = $1 AND c.parent_id IS NULL \
                     AND ($2 IS NULL OR c.seq < (SELECT seq FROM comments WHERE id = $2)) ORDER BY c.seq DESC LIMIT $3"
                ))
                .bind(project.0)
                .bind(before.map(|b| b.0))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| r.comment())
                .collect::<sqlx::Result<Vec<_>>>()?;
                let (Some(newest), Some(oldest)) = (top.first(), top.last()) else {
                    return Ok((top, Vec::new()));
                };
                let replies = sqlx::query(&format!(
                    "{COMMENTS} JOIN comments p ON p.id = c.parent_id \
                     WHERE c.project_id = $1 AND p.seq BETWEEN $2 AND $3 ORDER BY c.seq"
                ))
                .bind(project.0)
                .bind(oldest.seq)
                .bind(newest.seq)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| r.comment())
                .collect::<sqlx::Result<Vec<_>>>()?;
                Ok((top, replies))
            }

            async fn update_comment(
                &self,
                id: CommentId,
                body: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<Comment> {
                found(sqlx::query("UPDATE comments SET body = $1, updated_at = $2 WHERE id = $3")
                    .bind(body)
                    .bind(now)
                    .bind(id.0)
                    .execute(&mut *self.writer().await?)
                    .await?.rows_affected())?;
                self.comment(id).await
            }

            async fn delete_comment(&self, id: CommentId) -> StoreResult<()> {
                found(sqlx::query("DELETE FROM comments WHERE id = $1")
                    .bind(id.0)
                    .execute(&mut *self.writer().await?)
                    .await?.rows_affected())?;
                Ok(())
            }
        }
    };
}

wall_body!(SqliteStore);
wall_body!(PgStore);
