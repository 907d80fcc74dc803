//! All SQL: one `Store` interface, with SQLite and PostgreSQL behind it (the `folio-store` crate).

mod append;
mod body;
mod dialect;
mod invites;
mod photos;
mod postgres;
mod renders;
mod rows;
mod sqlite;
mod wall;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use folio_domain::access::Role;
use folio_domain::ids::{JobId, ProjectId, SessionId, UserId, VersionId};

pub use invites::{AcceptOutcome, Invite, InviteRefusal, InviteStore, Notification, OutboxMail};
pub use photos::{
    Group, GroupEvent, GroupEventKind, GroupSource, NewGroup, PhotoFilter, PhotoRecord, PhotoStore,
};
pub use postgres::PgStore;
pub use renders::{Render, RenderStore};
pub use sqlite::SqliteStore;
pub use wall::{Comment, WallStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A user with the stored password hash, only for logging in.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

/// A live login: the user behind a token, and when it lapses.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub user: User,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Project {
    pub id: ProjectId,
    pub title: String,
    pub owner_id: UserId,
    pub product: String,
    pub theme: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `null`, or how the server designed this book by itself (SPEC §10.8).
    pub origin: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Member {
    pub user: User,
    pub role: Role,
}

/// What a project edit changes; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct ProjectPatch {
    pub title: Option<String>,
    pub product: Option<String>,
    pub theme: Option<String>,
}

/// The durable state of one book document: a snapshot plus the update log after it.
#[derive(Debug, Clone, Default)]
pub struct StoredDoc {
    pub snapshot: Option<Vec<u8>>,
    /// The sequence number the snapshot includes, 0 without one.
    pub snapshot_seq: i64,
    /// Log entries after the snapshot, in sequence order.
    pub updates: Vec<(i64, Vec<u8>)>,
}

impl StoredDoc {
    /// The sequence number of the newest durable update.
    pub fn last_seq(&self) -> i64 {
        self.updates
            .last()
            .map(|(s, _)| *s)
            .unwrap_or(self.snapshot_seq)
    }
}

/// Why a version was taken (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionReason {
    /// Every few minutes of activity.
    Auto,
    /// Asked for through the API.
    Manual,
    /// Just before a restore, so the restore can itself be undone.
    Restore,
    /// Just before automix rewrites pages.
    Automix,
}

impl VersionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionReason::Auto => "auto",
            VersionReason::Manual => "manual",
            VersionReason::Restore => "restore",
            VersionReason::Automix => "automix",
        }
    }

    pub fn parse(s: &str) -> Option<VersionReason> {
        [
            VersionReason::Auto,
            VersionReason::Manual,
            VersionReason::Restore,
            VersionReason::Automix,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// A saved state of a book. Its bytes (a Yjs update v1 of the whole document) live in blob
/// storage under a key made from its id; this row says what and when.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Version {
    pub id: VersionId,
    pub project_id: ProjectId,
    pub created_at: DateTime<Utc>,
    /// Size of the stored document in bytes.
    pub bytes: i64,
    /// The newest log sequence number the version includes.
    pub seq: i64,
    pub reason: VersionReason,
    /// Who asked for it; `None` for the server's own.
    pub created_by: Option<UserId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Failed,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// A job to put on the queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: JobId,
    pub kind: String,
    pub project_id: Option<ProjectId>,
    pub payload: serde_json::Value,
    pub created_by: Option<UserId>,
    /// While a job with this key is queued or running, enqueueing another with the same key
    /// returns that one instead.
    pub dedupe_key: Option<String>,
    /// Runs allowed, counting runs whose worker died, before the job fails for good.
    pub max_attempts: i32,
    /// Not before this time; `None` means now.
    pub run_after: Option<DateTime<Utc>>,
}

/// A job as the queue holds it (SPEC §4 `job`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub project_id: Option<ProjectId>,
    pub state: JobState,
    /// 0 to 1.
    pub progress: f64,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip)]
    pub payload: serde_json::Value,
}

/// A worker's hold on a running job. Every later write for the job carries the token, and
/// is refused once the lease has lapsed and another worker has taken the job over: so a
/// job's effect is committed at most once, by whoever holds it at the end.
#[derive(Debug, Clone)]
pub struct Lease {
    pub job: Job,
    pub token: uuid::Uuid,
}

/// How a run of a job ended.
#[derive(Debug, Clone)]
pub enum JobOutcome {
    /// Finished; `version` is written in the same transaction as the job's completion.
    Done {
        result: serde_json::Value,
        version: Option<Version>,
    },
    /// Failed in a way a later run may get past: queued again to run at `at`.
    Retry { error: String, at: DateTime<Utc> },
    /// Failed for good.
    Failed { error: String },
}

/// The relational store. Implementations keep every multi-row change in one transaction.
#[async_trait]
pub trait Store:
    PhotoStore + InviteStore + WallStore + RenderStore + Send + Sync + 'static
{
    // Accounts and sessions.
    async fn create_user(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;
    async fn user_credentials(&self, email: &str) -> StoreResult<UserCredentials>;
    async fn create_session(
        &self,
        user: UserId,
        token_hash: &[u8],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<SessionId>;
    /// The unexpired session behind a token hash.
    async fn session(&self, token_hash: &[u8], now: DateTime<Utc>) -> StoreResult<Session>;
    async fn delete_session(&self, id: SessionId) -> StoreResult<()>;

    // Projects and members.
    /// Creates the project with its owner as manager, and its first document update.
    async fn create_project(&self, project: &Project, initial_doc: &[u8]) -> StoreResult<()>;
    async fn project(&self, id: ProjectId) -> StoreResult<Project>;
    async fn projects_of(&self, user: UserId) -> StoreResult<Vec<(Project, Role)>>;
    async fn update_project(
        &self,
        id: ProjectId,
        patch: &ProjectPatch,
        now: DateTime<Utc>,
    ) -> StoreResult<Project>;
    async fn delete_project(&self, id: ProjectId) -> StoreResult<()>;
    async fn role_of(&self, project: ProjectId, user: UserId) -> StoreResult<Option<Role>>;
    async fn members(&self, project: ProjectId) -> StoreResult<Vec<Member>>;
    async fn user(&self, id: UserId) -> StoreResult<User>;
    /// Adds or changes a member. The owner's row is never changed here: callers check the
    /// owner rule first, and the store refuses as a last line (`Conflict`). In the same
    /// transaction the member's unrevoked invites are capped at the new role.
    async fn set_member(
        &self,
        project: ProjectId,
        user: UserId,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Removes a member (never the owner: `NotFound`) and, in the same transaction, revokes
    /// the invites they made in the project.
    async fn remove_member(
        &self,
        project: ProjectId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    // Documents.
    async fn load_doc(&self, project: ProjectId) -> StoreResult<StoredDoc>;
    /// What a node that holds the document up to `after` is missing: the log entries after
    /// it, or, when compaction has folded entries past `after`, the snapshot and its log.
    async fn doc_since(&self, project: ProjectId, after: i64) -> StoreResult<StoredDoc> {
        let mut doc = self.load_doc(project).await?;
        if doc.snapshot_seq <= after {
            doc.snapshot = None;
            doc.updates.retain(|(seq, _)| *seq > after);
        }
        Ok(doc)
    }
    /// Appends updates in one transaction (group commit); returns the sequence number of the last.
    async fn append_updates(
        &self,
        project: ProjectId,
        updates: &[&[u8]],
        now: DateTime<Utc>,
    ) -> StoreResult<i64>;
    /// Replaces the log up to `upto_seq` with `snapshot`, in one transaction.
    async fn compact(
        &self,
        project: ProjectId,
        snapshot: &[u8],
        upto_seq: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Number of log entries after the snapshot.
    async fn log_len(&self, project: ProjectId) -> StoreResult<i64>;

    // Versions.
    /// Records a version whose bytes are already in blob storage.
    async fn insert_version(&self, version: &Version) -> StoreResult<()>;
    /// A project's versions, newest first.
    async fn versions(&self, project: ProjectId) -> StoreResult<Vec<Version>>;
    /// One version of a project; `NotFound` for another project's version.
    async fn version(&self, project: ProjectId, id: VersionId) -> StoreResult<Version>;

    // The job queue.
    /// Queues a job, or returns the queued or running job with the same `dedupe_key`.
    async fn enqueue_job(&self, job: &NewJob, now: DateTime<Utc>) -> StoreResult<Job>;
    /// Takes the oldest job of one of `kinds` that is due, or whose worker's lease lapsed,
    /// for `lease_for`. A lapsed job that has used up its attempts fails instead.
    async fn claim_job(
        &self,
        worker: &str,
        kinds: &[&str],
        now: DateTime<Utc>,
        lease_for: std::time::Duration,
    ) -> StoreResult<Option<Lease>>;
    /// Extends the lease and records progress (0 to 1); false when the lease was lost.
    async fn renew_lease(
        &self,
        lease: &Lease,
        progress: Option<f64>,
        now: DateTime<Utc>,
        lease_for: std::time::Duration,
    ) -> StoreResult<bool>;
    /// Ends the run; false, with nothing written, when the lease was lost.
    async fn finish_job(
        &self,
        lease: &Lease,
        outcome: &JobOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn job(&self, id: JobId) -> StoreResult<Job>;

    /// Cheap liveness check for /readyz.
    async fn ping(&self) -> StoreResult<()>;
}
