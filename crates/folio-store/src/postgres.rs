//! The scale-out store: PostgreSQL through a sqlx pool, shared by every node.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Row};
use tokio::sync::{mpsc, oneshot};

use super::invites::{role_rank, role_rank_sql};
use super::*;
use folio_domain::config::Durability;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Connections per node. Appends use one at a time (the committer); the rest serve reads
/// and account or project writes.
const MAX_CONNECTIONS: u32 = 16;
/// Appends written in one transaction at most.
const MAX_BATCH: usize = 256;
/// Attempts of one append transaction that hits a serialization failure, a deadlock or a
/// duplicate sequence number before its error is returned.
const APPEND_ATTEMPTS: u32 = 5;

/// Reads and most writes go straight to the pool. Document appends go to one committer
/// task per node, which writes every append waiting when it wakes in one transaction: group
/// commit across documents, as the SQLite writer does, so a busy node pays one commit (one
/// WAL flush) for many rooms.
///
/// Several nodes append to the same project, so sequence numbers are assigned under the
/// project's row lock (`SELECT … FOR UPDATE`), taken in id order so two batches cannot
/// deadlock on each other; the newest number is read in a later statement, whose snapshot
/// (READ COMMITTED) sees whatever the previous holder of the lock committed.
pub struct PgStore {
    pub(super) pool: PgPool,
    appends: mpsc::UnboundedSender<AppendRequest>,
}

struct AppendRequest {
    project: ProjectId,
    updates: Vec<Vec<u8>>,
    now: DateTime<Utc>,
    reply: oneshot::Sender<StoreResult<i64>>,
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_foreign_key_violation())
}

/// Failures that a fresh attempt of the same transaction can get past: serialization
/// failure, deadlock, and a sequence number taken meanwhile (a unique violation on the log).
fn is_transient(e: &StoreError) -> bool {
    match e {
        StoreError::Db(sqlx::Error::Database(d)) => {
            matches!(d.code().as_deref(), Some("40001" | "40P01" | "23505"))
        }
        _ => false,
    }
}

/// Appends every request of `batch` in one transaction and returns the last sequence number
/// of each, in order. A request for a project that does not exist gets `NotFound` without
/// failing the others.
async fn append_batch(
    pool: &PgPool,
    batch: &[AppendRequest],
) -> StoreResult<Vec<StoreResult<i64>>> {
    let mut projects: Vec<uuid::Uuid> = batch.iter().map(|r| r.project.0).collect();
    projects.sort_unstable();
    projects.dedup();

    let mut tx = pool.begin().await?;
    // Lock in id order; the ORDER BY is applied before the locks are taken.
    let locked: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM projects WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(&projects)
            .fetch_all(&mut *tx)
            .await?;
    // A new statement, so a new snapshot: it sees the rows of whoever held the locks before.
    let newest: Vec<(uuid::Uuid, i64)> = sqlx::query_as(
        "SELECT p.id, GREATEST(COALESCE((SELECT MAX(u.seq) FROM doc_updates u WHERE u.project_id = p.id), 0), \
                               COALESCE((SELECT s.seq FROM doc_snapshots s WHERE s.project_id = p.id), 0)) \
         FROM unnest($1::uuid[]) AS p(id)",
    )
    .bind(&locked)
    .fetch_all(&mut *tx)
    .await?;
    let mut next: std::collections::HashMap<uuid::Uuid, i64> = newest.into_iter().collect();

    let rows: usize = batch
        .iter()
        .filter(|r| next.contains_key(&r.project.0))
        .map(|r| r.updates.len())
        .sum();
    let (mut ids, mut seqs, mut data, mut times) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    let mut results = Vec::with_capacity(batch.len());
    for r in batch {
        let Some(seq) = next.get_mut(&r.project.0) else {
            results.push(Err(StoreError::NotFound));
            continue;
        };
        for update in &r.updates {
            *seq += 1;
            ids.push(r.project.0);
            seqs.push(*seq);
            data.push(update.as_slice());
            times.push(r.now);
        }
        results.push(Ok(*seq));
    }
    if !ids.is_empty() {
        sqlx::query(
            "INSERT INTO doc_updates (project_id, seq, data, created_at) \
             SELECT * FROM unnest($1::uuid[], $2::int8[], $3::bytea[], $4::timestamptz[])",
        )
        .bind(&ids)
        .bind(&seqs)
        .bind(&data)
        .bind(&times)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(results)
}

/// `append_batch`, attempted again after a transient failure.
async fn append_with_retry(
    pool: &PgPool,
    batch: &[AppendRequest],
) -> StoreResult<Vec<StoreResult<i64>>> {
    let mut attempt = 1;
    loop {
        match append_batch(pool, batch).await {
            Err(e) if attempt < APPEND_ATTEMPTS && is_transient(&e) => {
                tracing::debug!(error = %e, attempt, "append transaction failed; retrying");
                tokio::time::sleep(Duration::from_millis(5 << attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Writes the batch in one transaction; if that fails, each request alone, so one bad
/// request cannot fail the others.
async fn commit_appends(pool: &PgPool, batch: Vec<AppendRequest>) {
    match append_with_retry(pool, &batch).await {
        Ok(results) => {
            for (r, result) in batch.into_iter().zip(results) {
                let _ = r.reply.send(result);
            }
        }
        Err(e) if batch.len() == 1 => {
            if let Some(r) = batch.into_iter().next() {
                let _ = r.reply.send(Err(e));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, requests = batch.len(), "joint append failed; appending each request alone");
            for r in batch {
                let result = match append_with_retry(pool, std::slice::from_ref(&r)).await {
                    Ok(mut results) => results.pop().unwrap_or(Err(StoreError::NotFound)),
                    Err(e) => Err(e),
                };
                let _ = r.reply.send(result);
            }
        }
    }
}

/// The committer: takes what is waiting and appends it in one transaction. It ends when the
/// store is dropped.
async fn committer(pool: PgPool, mut rx: mpsc::UnboundedReceiver<AppendRequest>) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commit_appends(&pool, std::mem::take(&mut batch)).await;
    }
}

impl PgStore {
    /// Connects and brings the schema up to date. Several nodes may start at once: sqlx holds
    /// an advisory lock while it migrates.
    ///
    /// `Durability::Power` sets `synchronous_commit = on` on every connection, whatever the
    /// server's default, so a commit returns only once its WAL is flushed. `Durability::Process`
    /// keeps the server's setting: SPEC §7 asks only for a committed transaction, which a
    /// crash of the folio process cannot undo. (PostgreSQL's default is `on` as well; a
    /// database configured with `off` trades the last few hundred milliseconds of commits on
    /// a PostgreSQL crash for throughput.)
    pub async fn open(url: &str, durability: Durability) -> StoreResult<PgStore> {
        let mut options = PgConnectOptions::from_str(url)?.application_name("folio");
        if durability == Durability::Power {
            options = options.options([("synchronous_commit", "on")]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        let (appends, rx) = mpsc::unbounded_channel();
        tokio::spawn(committer(pool.clone(), rx));
        Ok(PgStore { pool, appends })
    }

    /// The document as of one snapshot of the database (one statement): the snapshot row
    /// (its data only when it includes more than `after`) and the log after both.
    async fn read_doc(&self, project: ProjectId, after: i64) -> StoreResult<StoredDoc> {
        let rows = sqlx::query(
            "WITH snap AS (SELECT seq, data FROM doc_snapshots WHERE project_id = $1) \
             SELECT seq, CASE WHEN seq > $2 THEN data END AS data, true AS is_snapshot FROM snap \
             UNION ALL \
             SELECT u.seq, u.data, false FROM doc_updates u \
             WHERE u.project_id = $1 AND u.seq > GREATEST($2, COALESCE((SELECT seq FROM snap), 0)) \
             ORDER BY is_snapshot DESC, seq",
        )
        .bind(project.0)
        .bind(after)
        .fetch_all(&self.pool)
        .await?;
        let mut doc = StoredDoc::default();
        for row in &rows {
            let seq: i64 = row.try_get("seq")?;
            let data: Option<Vec<u8>> = row.try_get("data")?;
            if row.try_get("is_snapshot")? {
                doc.snapshot = data;
                doc.snapshot_seq = seq;
            } else if let Some(data) = data {
                doc.updates.push((seq, data));
            }
        }
        Ok(doc)
    }
}

fn user_from(row: &PgRow) -> sqlx::Result<User> {
    Ok(User {
        id: UserId(row.try_get("id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

fn project_from(row: &PgRow) -> sqlx::Result<Project> {
    let origin: Option<String> = row.try_get("origin")?;
    Ok(Project {
        id: ProjectId(row.try_get("id")?),
        title: row.try_get("title")?,
        owner_id: UserId(row.try_get("owner_id")?),
        product: row.try_get("product")?,
        theme: row.try_get("theme")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        origin: origin.and_then(|s| serde_json::from_str(&s).ok()),
    })
}

fn role_from(s: &str) -> sqlx::Result<Role> {
    Role::parse(s).ok_or_else(|| sqlx::Error::Decode(format!("unknown role {s:?}").into()))
}

// `origin` is JSONB; it crosses as text, since sqlx's `json` feature is not enabled.
const PROJECT_COLS: &str = "p.id, p.title, p.owner_id, p.product, p.theme, p.origin::text AS origin, p.created_at, p.updated_at";

fn version_from(row: &PgRow) -> sqlx::Result<Version> {
    let reason: String = row.try_get("reason")?;
    Ok(Version {
        id: VersionId(row.try_get("id")?),
        project_id: ProjectId(row.try_get("project_id")?),
        created_at: row.try_get("created_at")?,
        bytes: row.try_get("bytes")?,
        seq: row.try_get("seq")?,
        reason: VersionReason::parse(&reason).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown version reason {reason:?}").into())
        })?,
        created_by: row
            .try_get::<Option<uuid::Uuid>, _>("created_by")?
            .map(UserId),
    })
}

const VERSION_COLS: &str = "id, project_id, created_at, bytes, seq, reason, created_by";

fn json_column(row: &PgRow, column: &str) -> sqlx::Result<Option<serde_json::Value>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| sqlx::Error::Decode(Box::new(e))))
        .transpose()
}

fn job_from(row: &PgRow) -> sqlx::Result<Job> {
    let state: String = row.try_get("state")?;
    Ok(Job {
        id: JobId(row.try_get("id")?),
        kind: row.try_get("kind")?,
        project_id: row
            .try_get::<Option<uuid::Uuid>, _>("project_id")?
            .map(ProjectId),
        state: JobState::parse(&state)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown job state {state:?}").into()))?,
        progress: row.try_get("progress")?,
        result: json_column(row, "result")?,
        error: row.try_get("error")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        created_by: row
            .try_get::<Option<uuid::Uuid>, _>("created_by")?
            .map(UserId),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        payload: json_column(row, "payload")?.unwrap_or(serde_json::Value::Null),
    })
}

// JSONB columns cross as text, like `origin`.
const JOB_COLS: &str = "id, kind, project_id, payload::text AS payload, state, progress, result::text AS result, error, attempts, max_attempts, created_by, created_at, updated_at";

/// The one statement that records a version, on the pool or inside a job's completion.
fn insert_version_query(
    v: &Version,
) -> sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments> {
    sqlx::query("INSERT INTO versions (id, project_id, created_at, bytes, seq, reason, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(v.id.0)
        .bind(v.project_id.0)
        .bind(v.created_at)
        .bind(v.bytes)
        .bind(v.seq)
        .bind(v.reason.as_str())
        .bind(v.created_by.map(|u| u.0))
}

fn lease_end(now: DateTime<Utc>, lease_for: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(lease_for).unwrap_or(chrono::Duration::seconds(30))
}

#[async_trait]
impl Store for PgStore {
    async fn create_user(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<User> {
        let user = User {
            id: UserId::new(),
            email: email.to_owned(),
            name: name.to_owned(),
            created_at: now,
        };
        let res = sqlx::query("INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(user.id.0)
            .bind(email)
            .bind(name)
            .bind(password_hash)
            .bind(now)
            .execute(&self.pool)
            .await;
        match res {
            Ok(_) => Ok(user),
            Err(e) if is_unique_violation(&e) => {
                Err(StoreError::Conflict("email already registered"))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn user_credentials(&self, email: &str) -> StoreResult<UserCredentials> {
        // Emails are unique regardless of case (the users_email index), as in SQLite.
        let row = sqlx::query("SELECT id, email, name, created_at, password_hash FROM users WHERE lower(email) = lower($1)")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(UserCredentials {
            user: user_from(&row)?,
            password_hash: row.try_get("password_hash")?,
        })
    }

    async fn create_session(
        &self,
        user: UserId,
        token_hash: &[u8],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<SessionId> {
        let id = SessionId::new();
        sqlx::query("INSERT INTO sessions (id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.0)
            .bind(user.0)
            .bind(token_hash)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(id)
    }

    async fn session(&self, token_hash: &[u8], now: DateTime<Utc>) -> StoreResult<Session> {
        let row = sqlx::query(
            "SELECT s.id AS sid, s.expires_at, u.id, u.email, u.name, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let expires_at: DateTime<Utc> = row.try_get("expires_at")?;
        if expires_at <= now {
            return Err(StoreError::NotFound);
        }
        Ok(Session {
            id: SessionId(row.try_get("sid")?),
            user: user_from(&row)?,
            expires_at,
        })
    }

    async fn delete_session(&self, id: SessionId) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_project(&self, p: &Project, initial_doc: &[u8]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO projects (id, title, owner_id, product, theme, origin, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)",
        )
        .bind(p.id.0)
        .bind(&p.title)
        .bind(p.owner_id.0)
        .bind(&p.product)
        .bind(&p.theme)
        .bind(p.origin.as_ref().map(|o| o.to_string()))
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO members (project_id, user_id, role, created_at) VALUES ($1, $2, 'manager', $3)")
            .bind(p.id.0)
            .bind(p.owner_id.0)
            .bind(p.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO doc_updates (project_id, seq, data, created_at) VALUES ($1, 1, $2, $3)",
        )
        .bind(p.id.0)
        .bind(initial_doc)
        .bind(p.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn project(&self, id: ProjectId) -> StoreResult<Project> {
        let row = sqlx::query(&format!(
            "SELECT {PROJECT_COLS} FROM projects p WHERE p.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(project_from(&row)?)
    }

    async fn projects_of(&self, user: UserId) -> StoreResult<Vec<(Project, Role)>> {
        let rows = sqlx::query(&format!(
            "SELECT {PROJECT_COLS}, m.role FROM projects p JOIN members m ON m.project_id = p.id \
             WHERE m.user_id = $1 ORDER BY p.updated_at DESC, p.id"
        ))
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((project_from(r)?, role_from(r.try_get("role")?)?)))
            .collect::<sqlx::Result<_>>()
            .map_err(Into::into)
    }

    async fn update_project(
        &self,
        id: ProjectId,
        patch: &ProjectPatch,
        now: DateTime<Utc>,
    ) -> StoreResult<Project> {
        let row = sqlx::query(&format!(
            "UPDATE projects p SET title = COALESCE($1, title), product = COALESCE($2, product), \
             theme = COALESCE($3, theme), updated_at = $4 WHERE id = $5 RETURNING {PROJECT_COLS}"
        ))
        .bind(&patch.title)
        .bind(&patch.product)
        .bind(&patch.theme)
        .bind(now)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(project_from(&row)?)
    }

    async fn delete_project(&self, id: ProjectId) -> StoreResult<()> {
        let deleted = sqlx::query("DELETE FROM projects WHERE id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn role_of(&self, project: ProjectId, user: UserId) -> StoreResult<Option<Role>> {
        let row = sqlx::query("SELECT role FROM members WHERE project_id = $1 AND user_id = $2")
            .bind(project.0)
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| role_from(r.try_get("role")?))
            .transpose()
            .map_err(Into::into)
    }

    async fn members(&self, project: ProjectId) -> StoreResult<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT u.id, u.email, u.name, u.created_at, m.role FROM members m JOIN users u ON u.id = m.user_id \
             WHERE m.project_id = $1 ORDER BY m.created_at, u.id",
        )
        .bind(project.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    user: user_from(r)?,
                    role: role_from(r.try_get("role")?)?,
                })
            })
            .collect::<sqlx::Result<_>>()
            .map_err(Into::into)
    }

    async fn user(&self, id: UserId) -> StoreResult<User> {
        let row = sqlx::query("SELECT id, email, name, created_at FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(user_from(&row)?)
    }

    async fn set_member(
        &self,
        project: ProjectId,
        user: UserId,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        // Their invites act for them, so none grants more than their new role. Invites are
        // locked before the membership, in the order an accept takes them.
        sqlx::query(&format!("UPDATE invites SET role = $1 WHERE project_id = $2 AND created_by = $3 AND revoked_at IS NULL AND {} > $4", role_rank_sql("role")))
            .bind(role.as_str())
            .bind(project.0)
            .bind(user.0)
            .bind(role_rank(role))
            .execute(&mut *tx)
            .await?;
        // A guarded upsert: the owner's row never changes. A missing project or user fails
        // the foreign key.
        let res = sqlx::query(
            "INSERT INTO members (project_id, user_id, role, created_at) \
             SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM projects WHERE id = $1 AND owner_id = $2) \
             ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(project.0)
        .bind(user.0)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await;
        match res {
            Ok(r) if r.rows_affected() == 0 => {
                return Err(StoreError::Conflict("the owner's role cannot change"))
            }
            Ok(_) => {}
            Err(e) if is_foreign_key_violation(&e) => return Err(StoreError::NotFound),
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(())
    }

    async fn remove_member(
        &self,
        project: ProjectId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        // Their invites acted for them; they end with the membership (locked first, in the
        // order an accept takes them).
        sqlx::query("UPDATE invites SET revoked_at = $1 WHERE project_id = $2 AND created_by = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(project.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        let removed = sqlx::query(
            "DELETE FROM members WHERE project_id = $1 AND user_id = $2 \
             AND NOT EXISTS (SELECT 1 FROM projects WHERE id = $1 AND owner_id = $2)",
        )
        .bind(project.0)
        .bind(user.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if removed == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    async fn load_doc(&self, project: ProjectId) -> StoreResult<StoredDoc> {
        self.read_doc(project, i64::MIN).await
    }

    async fn doc_since(&self, project: ProjectId, after: i64) -> StoreResult<StoredDoc> {
        self.read_doc(project, after).await
    }

    async fn append_updates(
        &self,
        project: ProjectId,
        updates: &[&[u8]],
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let (reply, answer) = oneshot::channel();
        let request = AppendRequest {
            project,
            updates: updates.iter().map(|u| u.to_vec()).collect(),
            now,
            reply,
        };
        self.appends
            .send(request)
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }

    async fn compact(
        &self,
        project: ProjectId,
        snapshot: &[u8],
        upto_seq: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        // An older snapshot never replaces a newer one (two nodes may fold the same project);
        // deleting up to an older `upto_seq` then removes only what the newer one holds.
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO doc_snapshots (project_id, seq, data, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (project_id) DO UPDATE SET seq = excluded.seq, data = excluded.data, updated_at = excluded.updated_at \
             WHERE excluded.seq >= doc_snapshots.seq",
        )
        .bind(project.0)
        .bind(upto_seq)
        .bind(snapshot)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM doc_updates WHERE project_id = $1 AND seq <= $2")
            .bind(project.0)
            .bind(upto_seq)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn log_len(&self, project: ProjectId) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM doc_updates WHERE project_id = $1")
                .bind(project.0)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn insert_version(&self, v: &Version) -> StoreResult<()> {
        let res = insert_version_query(v).execute(&self.pool).await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    async fn versions(&self, project: ProjectId) -> StoreResult<Vec<Version>> {
        let rows = sqlx::query(&format!("SELECT {VERSION_COLS} FROM versions WHERE project_id = $1 ORDER BY created_at DESC, id"))
            .bind(project.0)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(version_from).collect::<sqlx::Result<_>>()?)
    }

    async fn version(&self, project: ProjectId, id: VersionId) -> StoreResult<Version> {
        let row = sqlx::query(&format!(
            "SELECT {VERSION_COLS} FROM versions WHERE project_id = $1 AND id = $2"
        ))
        .bind(project.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(version_from(&row)?)
    }

    async fn enqueue_job(&self, job: &NewJob, now: DateTime<Utc>) -> StoreResult<Job> {
        // The partial unique index on active dedupe keys decides races between nodes; the
        // loser reads the winner's job. Should that job finish in between, insert again.
        for _ in 0..3 {
            let inserted = sqlx::query(
                "INSERT INTO jobs (id, kind, project_id, payload, state, max_attempts, run_after, dedupe_key, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4::jsonb, 'queued', $5, $9, $7, $8, $6, $6) ON CONFLICT DO NOTHING",
            )
            .bind(job.id.0)
            .bind(&job.kind)
            .bind(job.project_id.map(|p| p.0))
            .bind(job.payload.to_string())
            .bind(job.max_attempts)
            .bind(now)
            .bind(&job.dedupe_key)
            .bind(job.created_by.map(|u| u.0))
            .bind(job.run_after.unwrap_or(now))
            .execute(&self.pool)
            .await;
            match inserted {
                Ok(r) if r.rows_affected() == 1 => return self.job(job.id).await,
                Ok(_) => {}
                Err(e) if is_foreign_key_violation(&e) => return Err(StoreError::NotFound),
                Err(e) => return Err(e.into()),
            }
            let existing = sqlx::query(&format!("SELECT {JOB_COLS} FROM jobs WHERE dedupe_key = $1 AND state IN ('queued','running')"))
                .bind(&job.dedupe_key)
                .fetch_optional(&self.pool)
                .await?;
            if let Some(row) = existing {
                return Ok(job_from(&row)?);
            }
        }
        Err(StoreError::Conflict(
            "the job kept being replaced; try again",
        ))
    }

    async fn claim_job(
        &self,
        worker: &str,
        kinds: &[&str],
        now: DateTime<Utc>,
        lease_for: Duration,
    ) -> StoreResult<Option<Lease>> {
        sqlx::query(
            "UPDATE jobs SET state = 'failed', lease_token = NULL, lease_until = NULL, updated_at = $1, \
             error = 'the job''s worker stopped before finishing, ' || attempts || ' times; giving up' \
             WHERE state = 'running' AND lease_until < $1 AND attempts >= max_attempts",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        // SKIP LOCKED: workers polling together each take a different row instead of queueing
        // on the first one's lock.
        let token = uuid::Uuid::new_v4();
        let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
        let row = sqlx::query(&format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_token = $1, lease_owner = $2, lease_until = $3, updated_at = $4 \
             WHERE id = (SELECT id FROM jobs WHERE kind = ANY($5) \
                         AND ((state = 'queued' AND run_after <= $4) OR (state = 'running' AND lease_until < $4)) \
                         ORDER BY run_after, created_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING {JOB_COLS}"
        ))
        .bind(token)
        .bind(worker)
        .bind(lease_end(now, lease_for))
        .bind(now)
        .bind(&kinds)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| job_from(&r))
            .transpose()?
            .map(|job| Lease { job, token }))
    }

    async fn renew_lease(
        &self,
        lease: &Lease,
        progress: Option<f64>,
        now: DateTime<Utc>,
        lease_for: Duration,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE jobs SET lease_until = $1, progress = COALESCE($2, progress), updated_at = $3 \
             WHERE id = $4 AND lease_token = $5 AND state = 'running'",
        )
        .bind(lease_end(now, lease_for))
        .bind(progress)
        .bind(now)
        .bind(lease.job.id.0)
        .bind(lease.token)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn finish_job(
        &self,
        lease: &Lease,
        outcome: &JobOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let set = match outcome {
            JobOutcome::Done { .. } => {
                "state = 'done', progress = 1, result = $3::jsonb, error = NULL"
            }
            JobOutcome::Retry { .. } => "state = 'queued', error = $3, run_after = $5",
            JobOutcome::Failed { .. } => "state = 'failed', error = $3",
        };
        let sql = format!(
            "UPDATE jobs SET {set}, lease_token = NULL, lease_until = NULL, updated_at = $4 WHERE id = $1 AND lease_token = $2 AND state = 'running'"
        );
        let query = sqlx::query(&sql).bind(lease.job.id.0).bind(lease.token);
        let query = match outcome {
            JobOutcome::Done { result, .. } => query.bind(result.to_string()).bind(now),
            JobOutcome::Retry { error, at } => query.bind(error).bind(now).bind(*at),
            JobOutcome::Failed { error } => query.bind(error).bind(now),
        };
        if query.execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        if let JobOutcome::Done {
            version: Some(v), ..
        } = outcome
        {
            insert_version_query(v).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn job(&self, id: JobId) -> StoreResult<Job> {
        let row = sqlx::query(&format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(job_from(&row)?)
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
