//! The book wall's comments (SPEC §12): `WallStore` and its row type (body in `body/wall.rs`). Each operation
//! is one statement, so neither database needs a transaction here; one level of replies is
//! enforced by the insert itself (a parent must be a top-level comment of the same project).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreResult;
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
