//! The embedded store: one SQLite file in WAL mode. Its SQL is the shared body's (`body/`);
//! this module opens the file, owns the writer thread and says how SQLite's SQL differs.

mod writer;

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use folio_domain::config::Durability;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::append::AppendRequest;
use crate::dialect::Dialect;
use crate::{ProjectId, StoreError, StoreResult};
use writer::{WriteJob, WriteTurn};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// Reads go through a pool of sqlx connections. Writes never overlap: one thread owns the
/// writing side (`writer.rs`):
/// - SQLite allows one writer at a time, and a second writer would wait in SQLite's busy
///   handler, which sleeps in growing steps (up to 100 ms); queueing in-process instead
///   keeps commit latency flat;
/// - document appends from every room that are waiting when the thread wakes are written in
///   one transaction: group commit across documents, not just within one;
/// - the appends run on a rusqlite connection, start to end with no hop between statements.
///   Through sqlx every statement (and every returned row) is a round trip to sqlx's own
///   worker thread, and under load those thread switches cost more than SQLite itself
///   (docs/benchmarks.md: saturation about 51k msgs/s through sqlx, 97k–146k on rusqlite).
///
/// Every other write is the shared body's sqlx code, run while the writer thread grants it
/// its turn (`WriteTurn`), so those writes too queue in-process and never meet a second
/// writer.
///
/// Checkpoints copy the WAL back into the database file. Under `--durability power` they run
/// on a second thread, so no commit waits for one: measured with the saturate scenario, a
/// checkpoint inside a commit cut that mode's saturation point about eightfold. In the
/// default mode the writer's own checkpoints measured better: a checkpoint on another thread
/// fsyncs the files the writer is appending to and stalls it for longer.
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    writes: std::sync::mpsc::Sender<WriteJob>,
    /// Dropped with the store, which stops the checkpointer.
    _checkpointer: std::sync::mpsc::Sender<()>,
}

/// A connection (or a transaction on it) held with the writer thread's turn. The inner
/// value drops first, so a transaction rolls back before the turn ends.
pub(crate) struct Turned<T> {
    inner: T,
    _turn: WriteTurn,
}

impl<T: DerefMut<Target = SqliteConnection>> Deref for Turned<T> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.inner
    }
}

impl<T: DerefMut<Target = SqliteConnection>> DerefMut for Turned<T> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.inner
    }
}

impl Turned<Transaction<'static, Sqlite>> {
    pub(crate) async fn commit(self) -> sqlx::Result<()> {
        let Turned { inner, _turn } = self;
        inner.commit().await
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
            conn.pragma_update(None, "wal_autocheckpoint", writer::WRITER_CHECKPOINT_PAGES)?;
        }
        conn.set_prepared_statement_cache_capacity(32);
        let (writes, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer::writer_thread(conn, rx))
            .map_err(|_| StoreError::WriterGone)?;

        let (stop, stopped) = std::sync::mpsc::channel();
        if background_checkpoints {
            let checkpoints = rusqlite::Connection::open(path)?;
            checkpoints.busy_timeout(Duration::from_secs(10))?;
            checkpoints.pragma_update(None, "synchronous", sync_pragma)?;
            std::thread::Builder::new()
                .name("sqlite-checkpoint".into())
                .spawn(move || writer::checkpointer_thread(checkpoints, stopped))
                .map_err(|_| StoreError::WriterGone)?;
        }
        Ok(SqliteStore {
            pool,
            writes,
            _checkpointer: stop,
        })
    }

    async fn turn(&self) -> StoreResult<WriteTurn> {
        WriteTurn::take(&self.writes)
            .await
            .ok_or(StoreError::WriterGone)
    }

    /// A connection for one writing statement, in the writer thread's turn.
    pub(crate) async fn writer(&self) -> StoreResult<Turned<PoolConnection<Sqlite>>> {
        let turn = self.turn().await?;
        let inner = self.pool.acquire().await?;
        Ok(Turned { inner, _turn: turn })
    }

    /// A write transaction in the writer thread's turn. `BEGIN IMMEDIATE` takes SQLite's
    /// write lock at once, so even another process's writer cannot slip in between a read
    /// and a write of the transaction.
    ///
    /// The turn comes first, here and in `writer`: a transaction that held SQLite's lock
    /// while it waited for its turn would stall the writer thread's appends in the busy
    /// handler, and a connection held while waiting could starve the turn's holder of one.
    pub(crate) async fn write_tx(&self) -> StoreResult<Turned<Transaction<'static, Sqlite>>> {
        let turn = self.turn().await?;
        let inner = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Turned { inner, _turn: turn })
    }

    /// Hands the updates to the writer thread, which group-commits them.
    pub(crate) async fn append(
        &self,
        project: ProjectId,
        updates: &[&[u8]],
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let (request, appended) = AppendRequest::new(project, updates, now);
        self.writes
            .send(WriteJob::Append(request))
            .map_err(|_| StoreError::WriterGone)?;
        appended.seq().await
    }
}

impl Dialect for SqliteStore {
    const FOR_UPDATE: &'static str = "";
    const SKIP_LOCKED: &'static str = "";
    const FOR_SHARE: &'static str = "";
    const EMAIL_IS: &'static str = "email = $1";
    const NEXT_PHOTO_SEQ: &'static str = "(SELECT COALESCE(MAX(seq), 0) + 1 FROM photos)";
    const JSON_TEXT: &'static str = "";
    const TEXT_JSON: &'static str = "";
    const GREATEST: &'static str = "MAX";
    const TAGS: &'static str =
        "(SELECT group_concat(tag, char(10)) FROM (SELECT tag FROM photo_tags t WHERE t.photo_id = p.id ORDER BY tag))";

    /// Job times that SQL compares are Unix milliseconds (migrations/sqlite/0002).
    type Instant = i64;
    fn instant(t: DateTime<Utc>) -> i64 {
        t.timestamp_millis()
    }
    fn time_of(ms: i64) -> Option<DateTime<Utc>> {
        chrono::TimeZone::timestamp_millis_opt(&Utc, ms).single()
    }

    type List = String;
    fn in_list(param: &str) -> String {
        format!("IN (SELECT value FROM json_each({param}))")
    }
    fn text_list(items: &[&str]) -> String {
        serde_json::to_string(items).expect("strings serialise")
    }

    type IdList = String;
    fn in_ids(param: &str) -> String {
        format!("IN (SELECT unhex(value) FROM json_each({param}))")
    }
    fn id_list(ids: &[uuid::Uuid]) -> String {
        let hex: Vec<String> = ids.iter().map(|id| id.simple().to_string()).collect();
        serde_json::to_string(&hex).expect("strings serialise")
    }
}
