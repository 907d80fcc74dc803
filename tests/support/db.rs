//! Fresh databases for tests: a SQLite file in a temporary folder, or a new PostgreSQL
//! database per test, dropped at the end (STYLE.md habit 8, after zed's `TestDb`).

use std::sync::Arc;
use std::time::Duration;

use folio_server::config::Durability;
use folio_server::store::{PgStore, SqliteStore, Store};
use sqlx::{Connection, Executor, PgConnection};

use crate::cluster::reachable;

/// The PostgreSQL server tests create their databases on: `FOLIO_TEST_POSTGRES`, else a
/// `postgres://` `DATABASE_URL`, else the local default. Its own database is only used to
/// connect; each test gets a new one beside it.
pub fn postgres_admin_url() -> String {
    if let Ok(url) = std::env::var("FOLIO_TEST_POSTGRES") {
        return url;
    }
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres:") || url.starts_with("postgresql:") => url,
        _ => "postgres://postgres@127.0.0.1:5432/test".into(),
    }
}

/// Whether `FOLIO_TEST_DB=postgres` asks every `TestServer` to run on PostgreSQL.
pub fn postgres_requested() -> bool {
    std::env::var("FOLIO_TEST_DB").is_ok_and(|v| v.eq_ignore_ascii_case("postgres"))
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, format!("?{query}")),
        None => (rest, String::new()),
    };
    let host = rest.split_once('/').map_or(rest, |(host, _)| host);
    format!("{scheme}://{host}/{name}{query}")
}

fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    }
}

/// A PostgreSQL database of its own, dropped (`WITH (FORCE)`, so open pools do not hold it)
/// when this value is.
pub struct PgDatabase {
    /// Where the database is, for `DATABASE_URL`.
    pub url: String,
    name: String,
    admin_url: String,
}

impl PgDatabase {
    /// Creates `folio_t_<random>`. When PostgreSQL is not running, returns `None` after a
    /// notice, except under `CI=true`, where that fails the test; a server that answers but
    /// refuses always fails it.
    pub async fn create() -> Option<PgDatabase> {
        let admin_url = postgres_admin_url();
        let mut conn = match PgConnection::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(e) => {
                let addr = host_port(&admin_url);
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("PostgreSQL is not usable at {addr}: {e} (CI=true makes this fatal)");
                }
                if reachable(&addr).await {
                    panic!("PostgreSQL answers at {addr} but refused the test connection: {e}");
                }
                eprintln!("skipping: PostgreSQL is not reachable at {addr} (set FOLIO_TEST_POSTGRES, or start it)");
                return None;
            }
        };
        let name = format!("folio_t_{}", uuid::Uuid::new_v4().simple());
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("CREATE DATABASE");
        let _ = conn.close().await;
        Some(PgDatabase {
            url: with_database(&admin_url, &name),
            name,
            admin_url,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop may run inside the test's runtime (or while it unwinds from a panic), where
        // nothing can be awaited: drop the database from a thread with its own runtime.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let mut conn = PgConnection::connect(&admin_url).await?;
                conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await?;
                conn.close().await
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// A fresh store of either kind, and what must outlive it.
pub struct TestDb {
    // Fields drop in order: the store (and its pool) before its database.
    pub store: Arc<dyn Store>,
    _pg: Option<PgDatabase>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("folio.db"), Durability::Process)
            .await
            .expect("open SQLite");
        TestDb {
            store: Arc::new(store),
            _pg: None,
            _dir: Some(dir),
        }
    }

    /// `None` when PostgreSQL is not running and this is not CI (see `PgDatabase::create`).
    pub async fn postgres() -> Option<TestDb> {
        let db = PgDatabase::create().await?;
        let store = tokio::time::timeout(
            Duration::from_secs(30),
            PgStore::open(&db.url, Durability::Process),
        )
        .await
        .expect("PgStore::open within 30 s")
        .expect("open PostgreSQL");
        Some(TestDb {
            store: Arc::new(store),
            _pg: Some(db),
            _dir: None,
        })
    }
}

/// `test_both_dbs!(name, async |store| { … })` defines the module `name` with two tests,
/// `name::sqlite` and `name::postgres`, each running the body on a fresh store
/// (`store: Arc<dyn Store>`). The postgres one returns early, after a notice, when
/// PostgreSQL is not running outside CI.
#[macro_export]
macro_rules! test_both_dbs {
    ($name:ident, async |$store:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($store: ::std::sync::Arc<dyn ::folio_server::store::Store>) $body

            #[tokio::test]
            async fn sqlite() {
                let db = $crate::db::TestDb::sqlite().await;
                body(db.store.clone()).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(db) = $crate::db::TestDb::postgres().await else { return };
                body(db.store.clone()).await;
            }
        }
    };
}
