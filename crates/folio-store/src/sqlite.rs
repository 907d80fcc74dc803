//! The embedded store: one SQLite file in WAL mode.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};

use super::invites::{role_rank, role_rank_sql};
use super::*;
use folio_domain::config::Durability;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// Reads go through a pool of sqlx connections. Every write goes to one thread that owns
/// the only writing connection:
/// - SQLite allows one writer at a time, and a second writer would wait in SQLite's busy
///   handler, which sleeps in growing steps (up to 100 ms); queueing in-process instead
///   keeps commit latency flat;
/// - document appends from every room that are waiting when the thread wakes are written in
///   one transaction: group commit across documents, not just within one;
/// - the thread runs each transaction start to end with no hop between statements. Through
///   sqlx every statement (and every returned row) is a round trip to sqlx's own worker
///   thread, and under load those thread switches cost more than SQLite itself.
///
/// Checkpoints copy the WAL back into the database file. Under `--durability power` they run
/// on a second thread, so no commit waits for one: measured with the saturate scenario, a
/// checkpoint inside a commit cut that mode's saturation point about eightfold. In the
/// default mode the writer's own checkpoints measured better: a checkpoint on another thread
/// fsyncs the files the writer is appending to and stalls it for longer.
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    writes: std::sync::mpsc::Sender<WriteJob>,
    /// Dropped with the store, which stops the checkpointer.
    _checkpointer: std::sync::mpsc::Sender<()>,
}

/// How often the background checkpointer runs, and the WAL size in pages at which the writer
/// checkpoints by itself anyway, should the checkpointer fall behind.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
const WRITER_CHECKPOINT_PAGES: i64 = 4_000;

/// Copies committed WAL frames into the database file without blocking the writer
/// (`PASSIVE`), until the store is dropped.
fn checkpointer_thread(conn: rusqlite::Connection, stop: std::sync::mpsc::Receiver<()>) {
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY)
    {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed; the writer will checkpoint by itself");
        }
    }
}

enum WriteJob {
    Append(AppendRequest),
    /// Any other write: a closure run on the writer thread, which answers on its own channel.
    Other(Box<dyn FnOnce(&mut rusqlite::Connection) + Send>),
}

struct AppendRequest {
    project: ProjectId,
    updates: Vec<Vec<u8>>,
    now: DateTime<Utc>,
    reply: tokio::sync::oneshot::Sender<StoreResult<i64>>,
}

/// Timestamps are stored as RFC 3339 text, as sqlx writes them, so both sides read them back.
pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

pub(super) fn sqlite_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

pub(super) fn sqlite_foreign_key_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}

/// Appends one project's updates numbered after its newest sequence number.
fn insert_updates(
    tx: &rusqlite::Transaction,
    project: ProjectId,
    updates: &[Vec<u8>],
    now: &str,
) -> rusqlite::Result<i64> {
    let base: i64 = tx
        .prepare_cached(
            "SELECT MAX(COALESCE((SELECT MAX(seq) FROM doc_updates WHERE project_id = ?1), 0), \
                        COALESCE((SELECT seq FROM doc_snapshots WHERE project_id = ?1), 0))",
        )?
        .query_row([project.0], |r| r.get(0))?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO doc_updates (project_id, seq, data, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut seq = base;
    for data in updates {
        seq += 1;
        insert.execute(rusqlite::params![project.0, seq, data, now])?;
    }
    Ok(seq)
}

fn append_alone(conn: &mut rusqlite::Connection, r: &AppendRequest) -> rusqlite::Result<i64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let seq = insert_updates(&tx, r.project, &r.updates, &ts(r.now))?;
    tx.commit()?;
    Ok(seq)
}

/// Writes every waiting append in one transaction; if that fails, each alone, so one bad
/// request (say, for a project deleted meanwhile) cannot fail the others.
fn commit_appends(conn: &mut rusqlite::Connection, batch: Vec<AppendRequest>) {
    let together = (|| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut seqs = Vec::with_capacity(batch.len());
        for r in &batch {
            seqs.push(insert_updates(&tx, r.project, &r.updates, &ts(r.now))?);
        }
        tx.commit()?;
        Ok::<_, rusqlite::Error>(seqs)
    })();
    match together {
        Ok(seqs) => {
            for (r, seq) in batch.into_iter().zip(seqs) {
                let _ = r.reply.send(Ok(seq));
            }
        }
        Err(_) if batch.len() > 1 => {
            for r in batch {
                let result = append_alone(conn, &r).map_err(Into::into);
                let _ = r.reply.send(result);
            }
        }
        Err(e) => {
            if let Some(r) = batch.into_iter().next() {
                let _ = r.reply.send(Err(e.into()));
            }
        }
    }
}

/// The writer thread: takes what is waiting, appends in one transaction, then the rest in
/// arrival order. It ends when the store is dropped.
fn writer_thread(mut conn: rusqlite::Connection, rx: std::sync::mpsc::Receiver<WriteJob>) {
    const MAX_BATCH: usize = 256;
    while let Ok(first) = rx.recv() {
        let mut appends = Vec::new();
        let mut others = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                WriteJob::Append(a) => appends.push(a),
                WriteJob::Other(f) => others.push(f),
            }
            if appends.len() + others.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !appends.is_empty() {
            commit_appends(&mut conn, appends);
        }
        for f in others {
            f(&mut conn);
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path, durability: Durability) -> StoreResult<SqliteStore> {
        let synchronous = match durability {
            Durability::Process => SqliteSynchronous::Normal,
            Durability::Power => SqliteSynchronous::Full,
        };
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        {
            let migrate = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await?;
            MIGRATOR.run(&migrate).await?;
            migrate.close().await;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;

        let sync_pragma = if durability == Durability::Power {
            "FULL"
        } else {
            "NORMAL"
        };
        let background_checkpoints = durability == Durability::Power;
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", sync_pragma)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        if background_checkpoints {
            conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)?;
        }
        conn.set_prepared_statement_cache_capacity(32);
        let (writes, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_thread(conn, rx))
            .map_err(|_| StoreError::WriterGone)?;

        let (stop, stopped) = std::sync::mpsc::channel();
        if background_checkpoints {
            let checkpoints = rusqlite::Connection::open(path)?;
            checkpoints.busy_timeout(Duration::from_secs(10))?;
            checkpoints.pragma_update(None, "synchronous", sync_pragma)?;
            std::thread::Builder::new()
                .name("sqlite-checkpoint".into())
                .spawn(move || checkpointer_thread(checkpoints, stopped))
                .map_err(|_| StoreError::WriterGone)?;
        }
        Ok(SqliteStore {
            pool,
            writes,
            _checkpointer: stop,
        })
    }

    /// Runs `f` on the writer thread and waits for its answer.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut rusqlite::Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = WriteJob::Other(Box::new(move |conn| {
            let _ = reply.send(f(conn));
        }));
        self.writes.send(job).map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }
}

fn user_from(row: &SqliteRow) -> sqlx::Result<User> {
    Ok(User {
        id: UserId(row.try_get("id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

fn project_from(row: &SqliteRow) -> sqlx::Result<Project> {
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

const PROJECT_COLS: &str =
    "p.id, p.title, p.owner_id, p.product, p.theme, p.origin, p.created_at, p.updated_at";

fn version_from(row: &SqliteRow) -> sqlx::Result<Version> {
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

fn json_column(row: &SqliteRow, column: &str) -> sqlx::Result<Option<serde_json::Value>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| sqlx::Error::Decode(Box::new(e))))
        .transpose()
}

fn job_from(row: &SqliteRow) -> sqlx::Result<Job> {
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

const JOB_COLS: &str = "id, kind, project_id, payload, state, progress, result, error, attempts, max_attempts, created_by, created_at, updated_at";

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Records a version, alone or inside a job's completion.
fn insert_version_row(c: &rusqlite::Connection, v: &Version) -> rusqlite::Result<usize> {
    c.execute(
        "INSERT INTO versions (id, project_id, created_at, bytes, seq, reason, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rusqlite::params![v.id.0, v.project_id.0, ts(v.created_at), v.bytes, v.seq, v.reason.as_str(), v.created_by.map(|u| u.0)],
    )
}

#[async_trait]
impl Store for SqliteStore {
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
        let (id, email, name, hash) = (
            user.id,
            email.to_owned(),
            name.to_owned(),
            password_hash.to_owned(),
        );
        self.write(move |c| {
            match c.execute(
                "INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                rusqlite::params![id.0, email, name, hash, ts(now)],
            ) {
                Ok(_) => Ok(()),
                Err(e) if sqlite_unique_violation(&e) => Err(StoreError::Conflict("email already registered")),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
        Ok(user)
    }

    async fn user_credentials(&self, email: &str) -> StoreResult<UserCredentials> {
        let row = sqlx::query(
            "SELECT id, email, name, created_at, password_hash FROM users WHERE email = ?",
        )
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
        let hash = token_hash.to_vec();
        self.write(move |c| {
            c.execute(
                "INSERT INTO sessions (id, user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                rusqlite::params![id.0, user.0, hash, ts(now), ts(expires_at)],
            )?;
            Ok(())
        })
        .await?;
        Ok(id)
    }

    async fn session(&self, token_hash: &[u8], now: DateTime<Utc>) -> StoreResult<Session> {
        let row = sqlx::query(
            "SELECT s.id AS sid, s.expires_at, u.id, u.email, u.name, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
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
        self.write(move |c| {
            c.execute("DELETE FROM sessions WHERE id = ?", [id.0])?;
            Ok(())
        })
        .await
    }

    async fn create_project(&self, p: &Project, initial_doc: &[u8]) -> StoreResult<()> {
        let (p, doc) = (p.clone(), initial_doc.to_vec());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO projects (id, title, owner_id, product, theme, origin, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rusqlite::params![
                    p.id.0,
                    p.title,
                    p.owner_id.0,
                    p.product,
                    p.theme,
                    p.origin.as_ref().map(|o| o.to_string()),
                    ts(p.created_at),
                    ts(p.updated_at)
                ],
            )?;
            tx.execute(
                "INSERT INTO members (project_id, user_id, role, created_at) VALUES (?, ?, 'manager', ?)",
                rusqlite::params![p.id.0, p.owner_id.0, ts(p.created_at)],
            )?;
            tx.execute(
                "INSERT INTO doc_updates (project_id, seq, data, created_at) VALUES (?, 1, ?, ?)",
                rusqlite::params![p.id.0, doc, ts(p.created_at)],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn project(&self, id: ProjectId) -> StoreResult<Project> {
        let row = sqlx::query(&format!(
            "SELECT {PROJECT_COLS} FROM projects p WHERE p.id = ?"
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
             WHERE m.user_id = ? ORDER BY p.updated_at DESC, p.id"
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
        let patch = patch.clone();
        let changed = self
            .write(move |c| {
                Ok(c.execute(
                    "UPDATE projects SET title = COALESCE(?, title), product = COALESCE(?, product), \
                     theme = COALESCE(?, theme), updated_at = ? WHERE id = ?",
                    rusqlite::params![patch.title, patch.product, patch.theme, ts(now), id.0],
                )?)
            })
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.project(id).await
    }

    async fn delete_project(&self, id: ProjectId) -> StoreResult<()> {
        let deleted = self
            .write(move |c| Ok(c.execute("DELETE FROM projects WHERE id = ?", [id.0])?))
            .await?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn role_of(&self, project: ProjectId, user: UserId) -> StoreResult<Option<Role>> {
        let row = sqlx::query("SELECT role FROM members WHERE project_id = ? AND user_id = ?")
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
             WHERE m.project_id = ? ORDER BY m.created_at, u.id",
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
        let row = sqlx::query("SELECT id, email, name, created_at FROM users WHERE id = ?")
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
        self.write(move |c| {
            let tx = c.transaction()?;
            // A guarded upsert: the owner's row never changes.
            let res = tx.execute(
                "INSERT INTO members (project_id, user_id, role, created_at) \
                 SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM projects WHERE id = ?1 AND owner_id = ?2) \
                 ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
                rusqlite::params![project.0, user.0, role.as_str(), ts(now)],
            );
            match res {
                Ok(0) => return Err(StoreError::Conflict("the owner's role cannot change")),
                Ok(_) => {}
                Err(e) if sqlite_foreign_key_violation(&e) => return Err(StoreError::NotFound),
                Err(e) => return Err(e.into()),
            }
            // Their invites act for them, so none grants more than their new role.
            tx.execute(
                &format!("UPDATE invites SET role = ?1 WHERE project_id = ?2 AND created_by = ?3 AND revoked_at IS NULL AND {} > ?4", role_rank_sql("role")),
                rusqlite::params![role.as_str(), project.0, user.0, role_rank(role)],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn remove_member(
        &self,
        project: ProjectId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let removed = tx.execute(
                "DELETE FROM members WHERE project_id = ?1 AND user_id = ?2 \
                 AND NOT EXISTS (SELECT 1 FROM projects WHERE id = ?1 AND owner_id = ?2)",
                rusqlite::params![project.0, user.0],
            )?;
            if removed == 0 {
                return Err(StoreError::NotFound);
            }
            // Their invites acted for them; they end with the membership.
            tx.execute(
                "UPDATE invites SET revoked_at = ?1 WHERE project_id = ?2 AND created_by = ?3 AND revoked_at IS NULL",
                rusqlite::params![ts(now), project.0, user.0],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn load_doc(&self, project: ProjectId) -> StoreResult<StoredDoc> {
        // One read transaction so the snapshot and the log are seen at the same instant.
        let mut tx = self.pool.begin().await?;
        let snap = sqlx::query("SELECT seq, data FROM doc_snapshots WHERE project_id = ?")
            .bind(project.0)
            .fetch_optional(&mut *tx)
            .await?;
        let (snapshot, snapshot_seq) = match snap {
            Some(r) => (
                Some(r.try_get::<Vec<u8>, _>("data")?),
                r.try_get::<i64, _>("seq")?,
            ),
            None => (None, 0),
        };
        let updates = sqlx::query(
            "SELECT seq, data FROM doc_updates WHERE project_id = ? AND seq > ? ORDER BY seq",
        )
        .bind(project.0)
        .bind(snapshot_seq)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("seq")?, r.try_get("data")?)))
        .collect::<sqlx::Result<Vec<_>>>()?;
        tx.commit().await?;
        Ok(StoredDoc {
            snapshot,
            snapshot_seq,
            updates,
        })
    }

    async fn doc_since(&self, project: ProjectId, after: i64) -> StoreResult<StoredDoc> {
        let mut tx = self.pool.begin().await?;
        let snapshot_seq: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM doc_snapshots WHERE project_id = ?")
                .bind(project.0)
                .fetch_optional(&mut *tx)
                .await?;
        if snapshot_seq.unwrap_or(0) > after {
            drop(tx);
            return self.load_doc(project).await;
        }
        let updates = sqlx::query(
            "SELECT seq, data FROM doc_updates WHERE project_id = ? AND seq > ? ORDER BY seq",
        )
        .bind(project.0)
        .bind(after)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("seq")?, r.try_get("data")?)))
        .collect::<sqlx::Result<Vec<_>>>()?;
        Ok(StoredDoc {
            snapshot: None,
            snapshot_seq: snapshot_seq.unwrap_or(0),
            updates,
        })
    }

    async fn append_updates(
        &self,
        project: ProjectId,
        updates: &[&[u8]],
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let request = AppendRequest {
            project,
            updates: updates.iter().map(|u| u.to_vec()).collect(),
            now,
            reply,
        };
        self.writes
            .send(WriteJob::Append(request))
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
        let snapshot = snapshot.to_vec();
        self.write(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO doc_snapshots (project_id, seq, data, updated_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (project_id) DO UPDATE SET seq = excluded.seq, data = excluded.data, updated_at = excluded.updated_at \
                 WHERE excluded.seq >= doc_snapshots.seq",
                rusqlite::params![project.0, upto_seq, snapshot, ts(now)],
            )?;
            tx.execute("DELETE FROM doc_updates WHERE project_id = ? AND seq <= ?", rusqlite::params![project.0, upto_seq])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn log_len(&self, project: ProjectId) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM doc_updates WHERE project_id = ?")
                .bind(project.0)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn insert_version(&self, v: &Version) -> StoreResult<()> {
        let v = v.clone();
        self.write(move |c| match insert_version_row(c, &v) {
            Ok(_) => Ok(()),
            Err(e) if sqlite_foreign_key_violation(&e) => Err(StoreError::NotFound),
            Err(e) => Err(e.into()),
        })
        .await
    }

    async fn versions(&self, project: ProjectId) -> StoreResult<Vec<Version>> {
        let rows = sqlx::query(&format!(
            "SELECT {VERSION_COLS} FROM versions WHERE project_id = ? ORDER BY created_at DESC, id"
        ))
        .bind(project.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(version_from).collect::<sqlx::Result<_>>()?)
    }

    async fn version(&self, project: ProjectId, id: VersionId) -> StoreResult<Version> {
        let row = sqlx::query(&format!(
            "SELECT {VERSION_COLS} FROM versions WHERE project_id = ? AND id = ?"
        ))
        .bind(project.0)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(version_from(&row)?)
    }

    async fn enqueue_job(&self, job: &NewJob, now: DateTime<Utc>) -> StoreResult<Job> {
        let job = job.clone();
        let id = self
            .write(move |c| {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                if let Some(key) = &job.dedupe_key {
                    let existing: Option<uuid::Uuid> = tx
                        .query_row(
                            "SELECT id FROM jobs WHERE dedupe_key = ? AND state IN ('queued','running')",
                            [key],
                            |r| r.get(0),
                        )
                        .optional()?;
                    if let Some(id) = existing {
                        return Ok(JobId(id));
                    }
                }
                let res = tx.execute(
                    "INSERT INTO jobs (id, kind, project_id, payload, state, max_attempts, run_after, dedupe_key, created_by, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)",
                    rusqlite::params![
                        job.id.0,
                        job.kind,
                        job.project_id.map(|p| p.0),
                        job.payload.to_string(),
                        job.max_attempts,
                        millis(job.run_after.unwrap_or(now)),
                        job.dedupe_key,
                        job.created_by.map(|u| u.0),
                        ts(now),
                        ts(now)
                    ],
                );
                match res {
                    Ok(_) => {}
                    Err(e) if sqlite_foreign_key_violation(&e) => return Err(StoreError::NotFound),
                    Err(e) => return Err(e.into()),
                }
                tx.commit()?;
                Ok(job.id)
            })
            .await?;
        self.job(id).await
    }

    async fn claim_job(
        &self,
        worker: &str,
        kinds: &[&str],
        now: DateTime<Utc>,
        lease_for: Duration,
    ) -> StoreResult<Option<Lease>> {
        // Idle workers poll: look first with a plain read, so polling never queues behind
        // the document writes on the writer thread.
        let due: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE (state = 'queued' AND run_after <= ?1) OR (state = 'running' AND lease_until < ?1))",
        )
        .bind(millis(now))
        .fetch_one(&self.pool)
        .await?;
        if !due {
            return Ok(None);
        }
        let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
        let worker = worker.to_owned();
        let token = uuid::Uuid::new_v4();
        let until =
            now + chrono::Duration::from_std(lease_for).unwrap_or(chrono::Duration::seconds(30));
        let claimed = self
            .write(move |c| {
                // One IMMEDIATE transaction holds SQLite's write lock: no other worker, in this
                // process or another, can claim between the pick and the update.
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                tx.execute(
                    "UPDATE jobs SET state = 'failed', lease_token = NULL, lease_until = NULL, updated_at = ?1, \
                     error = 'the job''s worker stopped before finishing, ' || attempts || ' times; giving up' \
                     WHERE state = 'running' AND lease_until < ?2 AND attempts >= max_attempts",
                    rusqlite::params![ts(now), millis(now)],
                )?;
                let placeholders = vec!["?"; kinds.len()].join(", ");
                let pick = format!(
                    "SELECT id FROM jobs WHERE kind IN ({placeholders}) \
                     AND ((state = 'queued' AND run_after <= ?) OR (state = 'running' AND lease_until < ?)) \
                     ORDER BY run_after, created_at LIMIT 1"
                );
                let mut params: Vec<rusqlite::types::Value> = kinds.iter().map(|k| k.clone().into()).collect();
                params.push(millis(now).into());
                params.push(millis(now).into());
                let picked: Option<uuid::Uuid> = tx
                    .query_row(&pick, rusqlite::params_from_iter(params), |r| r.get(0))
                    .optional()?;
                if let Some(id) = picked {
                    tx.execute(
                        "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_token = ?, lease_owner = ?, lease_until = ?, updated_at = ? WHERE id = ?",
                        rusqlite::params![token, worker, millis(until), ts(now), id],
                    )?;
                }
                tx.commit()?;
                Ok(picked)
            })
            .await?;
        match claimed {
            Some(id) => Ok(Some(Lease {
                job: self.job(JobId(id)).await?,
                token,
            })),
            None => Ok(None),
        }
    }

    async fn renew_lease(
        &self,
        lease: &Lease,
        progress: Option<f64>,
        now: DateTime<Utc>,
        lease_for: Duration,
    ) -> StoreResult<bool> {
        let (id, token) = (lease.job.id, lease.token);
        let until =
            now + chrono::Duration::from_std(lease_for).unwrap_or(chrono::Duration::seconds(30));
        let changed = self
            .write(move |c| {
                Ok(c.execute(
                    "UPDATE jobs SET lease_until = ?, progress = COALESCE(?, progress), updated_at = ? \
                     WHERE id = ? AND lease_token = ? AND state = 'running'",
                    rusqlite::params![millis(until), progress, ts(now), id.0, token],
                )?)
            })
            .await?;
        Ok(changed == 1)
    }

    async fn finish_job(
        &self,
        lease: &Lease,
        outcome: &JobOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (id, token, outcome) = (lease.job.id, lease.token, outcome.clone());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let changed = match &outcome {
                JobOutcome::Done { result, .. } => tx.execute(
                    "UPDATE jobs SET state = 'done', progress = 1, result = ?, error = NULL, lease_token = NULL, lease_until = NULL, updated_at = ? \
                     WHERE id = ? AND lease_token = ? AND state = 'running'",
                    rusqlite::params![result.to_string(), ts(now), id.0, token],
                )?,
                JobOutcome::Retry { error, at } => tx.execute(
                    "UPDATE jobs SET state = 'queued', error = ?, run_after = ?, lease_token = NULL, lease_until = NULL, updated_at = ? \
                     WHERE id = ? AND lease_token = ? AND state = 'running'",
                    rusqlite::params![error, millis(*at), ts(now), id.0, token],
                )?,
                JobOutcome::Failed { error } => tx.execute(
                    "UPDATE jobs SET state = 'failed', error = ?, lease_token = NULL, lease_until = NULL, updated_at = ? \
                     WHERE id = ? AND lease_token = ? AND state = 'running'",
                    rusqlite::params![error, ts(now), id.0, token],
                )?,
            };
            if changed == 0 {
                return Ok(false);
            }
            if let JobOutcome::Done { version: Some(v), .. } = &outcome {
                insert_version_row(&tx, v)?;
            }
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn job(&self, id: JobId) -> StoreResult<Job> {
        let row = sqlx::query(&format!("SELECT {JOB_COLS} FROM jobs WHERE id = ?"))
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (SqliteStore, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("folio-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        (
            SqliteStore::open(&dir.join("t.db"), Durability::Process)
                .await
                .unwrap(),
            dir,
        )
    }

    async fn project(s: &SqliteStore) -> ProjectId {
        let now = Utc::now();
        let user = s
            .create_user(&format!("{}@x.test", uuid::Uuid::new_v4()), "U", "h", now)
            .await
            .unwrap();
        let p = Project {
            id: ProjectId::new(),
            title: "T".into(),
            owner_id: user.id,
            product: "square-8x8".into(),
            theme: "everyday".into(),
            created_at: now,
            updated_at: now,
            origin: None,
        };
        s.create_project(&p, b"first").await.unwrap();
        p.id
    }

    #[tokio::test]
    async fn group_appends_number_in_order_and_continue_after_compaction() {
        let (s, dir) = store().await;
        let p = project(&s).await;
        let batch: Vec<Vec<u8>> = (0..1200u32).map(|i| i.to_le_bytes().to_vec()).collect();
        let refs: Vec<&[u8]> = batch.iter().map(|b| b.as_slice()).collect();
        assert_eq!(s.append_updates(p, &refs, Utc::now()).await.unwrap(), 1201);
        let doc = s.load_doc(p).await.unwrap();
        assert_eq!(doc.updates.len(), 1201);
        assert_eq!(doc.updates[0], (1, b"first".to_vec()));
        for (i, (seq, data)) in doc.updates[1..].iter().enumerate() {
            assert_eq!(*seq, i as i64 + 2);
            assert_eq!(data, &(i as u32).to_le_bytes().to_vec());
        }
        s.compact(p, b"snap", 1201, Utc::now()).await.unwrap();
        assert_eq!(s.log_len(p).await.unwrap(), 0);
        assert_eq!(
            s.append_updates(p, &[b"next"], Utc::now()).await.unwrap(),
            1202
        );
        let doc = s.load_doc(p).await.unwrap();
        assert_eq!(
            (doc.snapshot.as_deref(), doc.snapshot_seq),
            (Some(&b"snap"[..]), 1201)
        );
        assert_eq!(doc.updates, vec![(1202, b"next".to_vec())]);
        let _ = std::fs::remove_dir_all(dir);
    }
}
