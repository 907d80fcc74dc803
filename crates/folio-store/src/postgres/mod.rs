//! The scale-out store: PostgreSQL through a sqlx pool, shared by every node. Its SQL is the
//! shared body's (`body/`); this module connects, runs the append committer and says how
//! PostgreSQL's SQL differs.

mod appends;

use std::str::FromStr;

use chrono::{DateTime, Utc};
use folio_domain::config::Durability;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use tokio::sync::mpsc;

use crate::append::AppendRequest;
use crate::dialect::Dialect;
use crate::{ProjectId, StoreError, StoreResult};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Connections per node. Appends use one at a time (the committer); the rest serve reads
/// and account or project writes.
const MAX_CONNECTIONS: u32 = 16;

/// Reads and most writes go straight to the pool. Document appends go to one committer
/// task per node (`appends.rs`), which writes every append waiting when it wakes in one
/// transaction: group commit across documents, as the SQLite writer does, so a busy node
/// pays one commit (one WAL flush) for many rooms.
///
/// Several nodes append to the same project, so sequence numbers are assigned under the
/// project's row lock (`SELECT … FOR UPDATE`), taken in id order so two batches cannot
/// deadlock on each other; the newest number is read in a later statement, whose snapshot
/// (READ COMMITTED) sees whatever the previous holder of the lock committed.
pub struct PgStore {
    pub(crate) pool: PgPool,
    appends: mpsc::UnboundedSender<AppendRequest>,
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
        tokio::spawn(appends::committer(pool.clone(), rx));
        Ok(PgStore { pool, appends })
    }

    /// A connection for one writing statement (the shared body's name for it; PostgreSQL
    /// takes concurrent writers).
    pub(crate) async fn writer(&self) -> StoreResult<PoolConnection<Postgres>> {
        Ok(self.pool.acquire().await?)
    }

    /// A write transaction (READ COMMITTED; rows are locked with `FOR UPDATE` as read).
    pub(crate) async fn write_tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// Hands the updates to the committer, which group-commits them.
    pub(crate) async fn append(
        &self,
        project: ProjectId,
        updates: &[&[u8]],
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let (request, appended) = AppendRequest::new(project, updates, now);
        self.appends
            .send(request)
            .map_err(|_| StoreError::WriterGone)?;
        appended.seq().await
    }
}

impl Dialect for PgStore {
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const FOR_SHARE: &'static str = " FOR SHARE";
    const EMAIL_IS: &'static str = "lower(email) = lower($1)";
    const NEXT_PHOTO_SEQ: &'static str = "nextval(pg_get_serial_sequence('photos', 'seq'))";
    const JSON_TEXT: &'static str = "::text";
    const TEXT_JSON: &'static str = "::jsonb";
    const GREATEST: &'static str = "GREATEST";
    const TAGS: &'static str =
        "(SELECT string_agg(tag, E'\\n' ORDER BY tag) FROM photo_tags t WHERE t.photo_id = p.id)";

    type Instant = DateTime<Utc>;
    fn instant(t: DateTime<Utc>) -> DateTime<Utc> {
        t
    }
    fn time_of(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Some(t)
    }

    type List = Vec<String>;
    fn in_list(param: &str) -> String {
        format!("= ANY({param})")
    }
    fn text_list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    type IdList = Vec<uuid::Uuid>;
    fn in_ids(param: &str) -> String {
        format!("= ANY({param})")
    }
    fn id_list(ids: &[uuid::Uuid]) -> Vec<uuid::Uuid> {
        ids.to_vec()
    }
}
