//! Reading rows back into the store's types, once for both databases: `rows_for!` expands
//! the same decoders for SQLite's and PostgreSQL's row type. JSON columns arrive as text
//! (selected through `Dialect::JSON_TEXT`).

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::dialect::{decode_err, json, Dialect};
use crate::invites::{Invite, Notification, OutboxMail};
use crate::photos::{Group, GroupEvent, GroupEventKind, GroupSource, PhotoRecord};
use crate::renders::Render;
use crate::wall::Comment;
use crate::{Job, JobState, PgStore, Project, SqliteStore, User, Version, VersionReason};
use folio_domain::access::Role;
use folio_domain::ids::{
    CommentId, GroupId, InviteId, JobId, NotificationId, PhotoId, ProjectId, RenderId, UserId,
    VersionId,
};

pub(crate) trait Rows {
    fn user(&self) -> sqlx::Result<User>;
    fn project(&self) -> sqlx::Result<Project>;
    fn role(&self) -> sqlx::Result<Role>;
    fn version(&self) -> sqlx::Result<Version>;
    fn job(&self) -> sqlx::Result<Job>;
    fn comment(&self) -> sqlx::Result<Comment>;
    fn render(&self) -> sqlx::Result<Render>;
    fn photo(&self) -> sqlx::Result<PhotoRecord>;
    fn group(&self) -> sqlx::Result<Group>;
    fn group_event(&self) -> sqlx::Result<GroupEvent>;
    fn invite(&self) -> sqlx::Result<Invite>;
    fn notification(&self) -> sqlx::Result<Notification>;
    fn mail(&self) -> sqlx::Result<OutboxMail>;
}

pub(crate) fn role(s: &str) -> sqlx::Result<Role> {
    Role::parse(s).ok_or_else(|| decode_err(format!("unknown role {s:?}")))
}

fn json_column<R: Row>(row: &R, column: &str) -> sqlx::Result<Option<serde_json::Value>>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let text: Option<String> = row.try_get(column)?;
    text.as_deref().map(json).transpose()
}

macro_rules! rows_for {
    ($row:ty, $store:ty) => {
        impl Rows for $row {
            fn user(&self) -> sqlx::Result<User> {
                Ok(User {
                    id: UserId(self.try_get("id")?),
                    email: self.try_get("email")?,
                    name: self.try_get("name")?,
                    created_at: self.try_get("created_at")?,
                })
            }

            fn project(&self) -> sqlx::Result<Project> {
                let origin: Option<String> = self.try_get("origin")?;
                Ok(Project {
                    id: ProjectId(self.try_get("id")?),
                    title: self.try_get("title")?,
                    owner_id: UserId(self.try_get("owner_id")?),
                    product: self.try_get("product")?,
                    theme: self.try_get("theme")?,
                    created_at: self.try_get("created_at")?,
                    updated_at: self.try_get("updated_at")?,
                    origin: origin.and_then(|s| serde_json::from_str(&s).ok()),
                })
            }

            fn role(&self) -> sqlx::Result<Role> {
                role(self.try_get("role")?)
            }

            fn version(&self) -> sqlx::Result<Version> {
                let reason: String = self.try_get("reason")?;
                Ok(Version {
                    id: VersionId(self.try_get("id")?),
                    project_id: ProjectId(self.try_get("project_id")?),
                    created_at: self.try_get("created_at")?,
                    bytes: self.try_get("bytes")?,
                    seq: self.try_get("seq")?,
                    reason: VersionReason::parse(&reason)
                        .ok_or_else(|| decode_err(format!("unknown version reason {reason:?}")))?,
                    created_by: self
                        .try_get::<Option<uuid::Uuid>, _>("created_by")?
                        .map(UserId),
                })
            }

            fn job(&self) -> sqlx::Result<Job> {
                let state: String = self.try_get("state")?;
                Ok(Job {
                    id: JobId(self.try_get("id")?),
                    kind: self.try_get("kind")?,
                    project_id: self
                        .try_get::<Option<uuid::Uuid>, _>("project_id")?
                        .map(ProjectId),
                    state: JobState::parse(&state)
                        .ok_or_else(|| decode_err(format!("unknown job state {state:?}")))?,
                    progress: self.try_get("progress")?,
                    result: json_column(self, "result")?,
                    error: self.try_get("error")?,
                    attempts: self.try_get("attempts")?,
                    max_attempts: self.try_get("max_attempts")?,
                    created_by: self
                        .try_get::<Option<uuid::Uuid>, _>("created_by")?
                        .map(UserId),
                    created_at: self.try_get("created_at")?,
                    updated_at: self.try_get("updated_at")?,
                    payload: json_column(self, "payload")?.unwrap_or(serde_json::Value::Null),
                })
            }

            fn comment(&self) -> sqlx::Result<Comment> {
                Ok(Comment {
                    seq: self.try_get("seq")?,
                    id: CommentId(self.try_get("id")?),
                    project_id: ProjectId(self.try_get("project_id")?),
                    author_id: UserId(self.try_get("author_id")?),
                    author_name: self.try_get("author_name")?,
                    parent_id: self
                        .try_get::<Option<uuid::Uuid>, _>("parent_id")?
                        .map(CommentId),
                    page_id: self.try_get("page_id")?,
                    item_id: self.try_get("item_id")?,
                    body: self.try_get("body")?,
                    created_at: self.try_get("created_at")?,
                    updated_at: self.try_get("updated_at")?,
                })
            }

            fn render(&self) -> sqlx::Result<Render> {
                Ok(Render {
                    id: RenderId(self.try_get("id")?),
                    project_id: ProjectId(self.try_get("project_id")?),
                    version_id: self
                        .try_get::<Option<uuid::Uuid>, _>("version_id")?
                        .map(VersionId),
                    product: self.try_get("product")?,
                    pages: self.try_get("pages")?,
                    created_by: self
                        .try_get::<Option<uuid::Uuid>, _>("created_by")?
                        .map(UserId),
                    created_at: self.try_get("created_at")?,
                })
            }

            fn photo(&self) -> sqlx::Result<PhotoRecord> {
                let meta: String = self.try_get("meta")?;
                let tags: Option<String> = self.try_get("tags")?;
                Ok(PhotoRecord {
                    id: PhotoId(self.try_get("id")?),
                    owner_id: UserId(self.try_get("owner_id")?),
                    name: self.try_get("name")?,
                    remote: self.try_get("remote")?,
                    meta: json(&meta)?,
                    created_at: self.try_get("created_at")?,
                    tags: tags
                        .map(|t| t.split('\n').map(str::to_owned).collect())
                        .unwrap_or_default(),
                })
            }

            fn group(&self) -> sqlx::Result<Group> {
                let source: String = self.try_get("source")?;
                Ok(Group {
                    id: GroupId(self.try_get("id")?),
                    owner_id: UserId(self.try_get("owner_id")?),
                    source: GroupSource::parse(&source)
                        .ok_or_else(|| decode_err(format!("unknown group source {source:?}")))?,
                    name: self.try_get("name")?,
                    project_id: self
                        .try_get::<Option<uuid::Uuid>, _>("project_id")?
                        .map(ProjectId),
                    cover_photo_id: self
                        .try_get::<Option<uuid::Uuid>, _>("cover_photo_id")?
                        .map(PhotoId),
                    photo_count: self.try_get("photo_count")?,
                    created_at: self.try_get("created_at")?,
                    updated_at: self.try_get("updated_at")?,
                })
            }

            fn group_event(&self) -> sqlx::Result<GroupEvent> {
                let kind: String = self.try_get("kind")?;
                let ids: String = self.try_get("photo_ids")?;
                Ok(GroupEvent {
                    id: self.try_get("id")?,
                    group_id: GroupId(self.try_get("group_id")?),
                    kind: GroupEventKind::parse(&kind)
                        .ok_or_else(|| decode_err(format!("unknown group event {kind:?}")))?,
                    photo_ids: serde_json::from_value(json(&ids)?)
                        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                    detail: self.try_get("detail")?,
                    photo_count: self.try_get::<i32, _>("photo_count")?.into(),
                    created_at: self.try_get("created_at")?,
                })
            }

            fn invite(&self) -> sqlx::Result<Invite> {
                let expires_at: Option<<$store as Dialect>::Instant> =
                    self.try_get("expires_at")?;
                Ok(Invite {
                    id: InviteId(self.try_get("id")?),
                    project_id: ProjectId(self.try_get("project_id")?),
                    role: role(self.try_get("role")?)?,
                    created_by: UserId(self.try_get("created_by")?),
                    email: self.try_get("email")?,
                    created_at: self.try_get("created_at")?,
                    expires_at: expires_at.and_then(<$store as Dialect>::time_of),
                    max_uses: self.try_get("max_uses")?,
                    uses: self.try_get("uses")?,
                    revoked_at: self.try_get("revoked_at")?,
                })
            }

            fn notification(&self) -> sqlx::Result<Notification> {
                let data: String = self.try_get("data")?;
                Ok(Notification {
                    id: NotificationId(self.try_get("id")?),
                    user_id: UserId(self.try_get("user_id")?),
                    kind: self.try_get("kind")?,
                    data: json(&data)?,
                    created_at: self.try_get("created_at")?,
                    read_at: self.try_get("read_at")?,
                })
            }

            fn mail(&self) -> sqlx::Result<OutboxMail> {
                Ok(OutboxMail {
                    id: self.try_get("id")?,
                    to_email: self.try_get("to_email")?,
                    subject: self.try_get("subject")?,
                    body: self.try_get("body")?,
                    created_at: self.try_get("created_at")?,
                })
            }
        }
    };
}

rows_for!(SqliteRow, SqliteStore);
rows_for!(PgRow, PgStore);
