//! The book wall's comments (SPEC §12), with `WallStore` on both databases. Each operation
//! is one statement, so neither database needs a transaction here; one level of replies is
//! enforced by the insert itself (a parent must be a top-level comment of the same project).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::postgres::PgStore;
use super::sqlite::{ts, SqliteStore};
use super::{StoreError, StoreResult};
use folio_domain::ids::{CommentId, ProjectId, UserId};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comment {
    pub id: CommentId,
    pub project_id: ProjectId,
    pub author_id: UserId,
    /// Filled in on reads.
    pub author_name: String,
    pub parent_id: Option<CommentId>,
    pub page_id: Option<String>,
    pub item_id: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip)]
    pub seq: i64,
}

#[async_trait]
pub trait WallStore: Send + Sync {
    /// Posts a comment; `NotFound` when `parent_id` is not a top-level comment of the project.
    async fn insert_comment(&self, c: &Comment) -> StoreResult<Comment>;
    async fn comment(&self, id: CommentId) -> StoreResult<Comment>;
    /// Top-level comments newest first, older than the comment `before` when given, at most
    /// `limit`; and every reply to them, oldest first.
    async fn wall(
        &self,
        project: ProjectId,
        before: Option<CommentId>,
        limit: i64,
    ) -> StoreResult<(Vec<Comment>, Vec<Comment>)>;
    async fn update_comment(
        &self,
        id: CommentId,
        body: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Comment>;
    /// Deletes a comment and its replies.
    async fn delete_comment(&self, id: CommentId) -> StoreResult<()>;
}

const COLS: &str = "c.seq, c.id, c.project_id, c.author_id, u.name AS author_name, c.parent_id, c.page_id, c.item_id, c.body, c.created_at, c.updated_at";

macro_rules! comment_from {
    ($row:expr) => {{
        let row = $row;
        Comment {
            seq: row.try_get("seq")?,
            id: CommentId(row.try_get("id")?),
            project_id: ProjectId(row.try_get("project_id")?),
            author_id: UserId(row.try_get("author_id")?),
            author_name: row.try_get("author_name")?,
            parent_id: row
                .try_get::<Option<uuid::Uuid>, _>("parent_id")?
                .map(CommentId),
            page_id: row.try_get("page_id")?,
            item_id: row.try_get("item_id")?,
            body: row.try_get("body")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }
    }};
}

fn sqlite_comment(row: &sqlx::sqlite::SqliteRow) -> sqlx::Result<Comment> {
    Ok(comment_from!(row))
}

fn pg_comment(row: &sqlx::postgres::PgRow) -> sqlx::Result<Comment> {
    Ok(comment_from!(row))
}

#[async_trait]
impl WallStore for SqliteStore {
    async fn insert_comment(&self, c: &Comment) -> StoreResult<Comment> {
        let c2 = c.clone();
        let inserted = self
            .write(move |conn| {
                Ok(conn.execute(
                    "INSERT INTO comments (id, project_id, author_id, parent_id, page_id, item_id, body, created_at, updated_at) \
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8 \
                     WHERE ?4 IS NULL OR EXISTS (SELECT 1 FROM comments p WHERE p.id = ?4 AND p.project_id = ?2 AND p.parent_id IS NULL)",
                    rusqlite::params![c2.id.0, c2.project_id.0, c2.author_id.0, c2.parent_id.map(|p| p.0), c2.page_id, c2.item_id, c2.body, ts(c2.created_at)],
                )?)
            })
            .await?;
        if inserted == 0 {
            return Err(StoreError::NotFound);
        }
        self.comment(c.id).await
    }

    async fn comment(&self, id: CommentId) -> StoreResult<Comment> {
        let row = sqlx::query(&format!(
            "SELECT {COLS} FROM comments c JOIN users u ON u.id = c.author_id WHERE c.id = ?"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(sqlite_comment(&row)?)
    }

    async fn wall(
        &self,
        project: ProjectId,
        before: Option<CommentId>,
        limit: i64,
    ) -> StoreResult<(Vec<Comment>, Vec<Comment>)> {
        let top = sqlx::query(&format!(
            "SELECT {COLS} FROM comments c JOIN users u ON u.id = c.author_id WHERE c.project_id = ?1 AND c.parent_id IS NULL \
             AND (?2 IS NULL OR c.seq < (SELECT seq FROM comments WHERE id = ?2)) ORDER BY c.seq DESC LIMIT ?3"
        ))
        .bind(project.0)
        .bind(before.map(|b| b.0))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(sqlite_comment)
        .collect::<sqlx::Result<Vec<_>>>()?;
        let (Some(newest), Some(oldest)) = (top.first(), top.last()) else {
            return Ok((top, Vec::new()));
        };
        let replies = sqlx::query(&format!(
            "SELECT {COLS} FROM comments c JOIN users u ON u.id = c.author_id JOIN comments p ON p.id = c.parent_id \
             WHERE c.project_id = ? AND p.seq BETWEEN ? AND ? ORDER BY c.seq"
        ))
        .bind(project.0)
        .bind(oldest.seq)
        .bind(newest.seq)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(sqlite_comment)
        .collect::<sqlx::Result<Vec<_>>>()?;
        Ok((top, replies))
    }

    async fn update_comment(
        &self,
        id: CommentId,
        body: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Comment> {
        let body = body.to_owned();
        let n = self
            .write(move |c| {
                Ok(c.execute(
                    "UPDATE comments SET body = ?, updated_at = ? WHERE id = ?",
                    rusqlite::params![body, ts(now), id.0],
                )?)
            })
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.comment(id).await
    }

    async fn delete_comment(&self, id: CommentId) -> StoreResult<()> {
        let n = self
            .write(move |c| Ok(c.execute("DELETE FROM comments WHERE id = ?", [id.0])?))
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

#[async_trait]
impl WallStore for PgStore {
    async fn insert_comment(&self, c: &Comment) -> StoreResult<Comment> {
        let done = sqlx::query(
            "INSERT INTO comments (id, project_id, author_id, parent_id, page_id, item_id, body, created_at, updated_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $8 \
             WHERE $4::uuid IS NULL OR EXISTS (SELECT 1 FROM comments p WHERE p.id = $4 AND p.project_id = $2 AND p.parent_id IS NULL)",
        )
        .bind(c.id.0)
        .bind(c.project_id.0)
        .bind(c.author_id.0)
        .bind(c.parent_id.map(|p| p.0))
        .bind(&c.page_id)
        .bind(&c.item_id)
        .bind(&c.body)
        .bind(c.created_at)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.comment(c.id).await
    }

    async fn comment(&self, id: CommentId) -> StoreResult<Comment> {
        let row = sqlx::query(&format!(
            "SELECT {COLS} FROM comments c JOIN users u ON u.id = c.author_id WHERE c.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(pg_comment(&row)?)
    }

    async fn wall(
        &self,
        project: ProjectId,
        before: Option<CommentId>,
        limit: i64,
    ) -> StoreResult<(Vec<Comment>, Vec<Comment>)> {
        let top = sqlx::query(&format!(
            "SELECT {COLS} FROM comments c JOIN users u ON u.id = c.author_id WHERE c.project_id = $1 AND c.parent_id IS NULL \
             AND ($2::uuid IS NULL OR c.seq < (SELECT seq FROM comments WHERE id = $2)) ORDER BY c.seq DESC LIMIT $3"
        ))
        .bind(project.0)
        .bind(before.map(|b| b.0))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(pg_comment)
        .collect::<sqlx::Result<Vec<_>>>()?;
        let (Some(newest), Some(oldest)) = (top.first(), top.last()) else {
            return Ok((top, Vec::new()));
        };
        let replies = sqlx::query(&format!(
            "SELECT {COLS} FROM comments c JOIN users u ON u.id = c.author_id JOIN comments p ON p.id = c.parent_id \
             WHERE c.project_id = $1 AND p.seq BETWEEN $2 AND $3 ORDER BY c.seq"
        ))
        .bind(project.0)
        .bind(oldest.seq)
        .bind(newest.seq)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(pg_comment)
        .collect::<sqlx::Result<Vec<_>>>()?;
        Ok((top, replies))
    }

    async fn update_comment(
        &self,
        id: CommentId,
        body: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Comment> {
        let done = sqlx::query("UPDATE comments SET body = $1, updated_at = $2 WHERE id = $3")
            .bind(body)
            .bind(now)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.comment(id).await
    }

    async fn delete_comment(&self, id: CommentId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM comments WHERE id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
