//! Several Folio nodes sharing one database and one Redis, and a private Redis server that
//! tests may kill and restart.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::db::PgDatabase;
use crate::server::TestServer;

/// The shared Redis for multi-node tests: `FOLIO_TEST_REDIS`, else the local default.
pub fn redis_url() -> String {
    std::env::var("FOLIO_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Whether a TCP port answers (to tell a missing service from a broken one).
pub async fn reachable(host_port: &str) -> bool {
    matches!(
        tokio::time::timeout(
            Duration::from_secs(2),
            tokio::net::TcpStream::connect(host_port)
        )
        .await,
        Ok(Ok(_))
    )
}

/// Skips (returns `true`) when a service the test needs is not running, except under
/// `CI=true`, where a missing service fails the run.
pub async fn missing_service(name: &str, host_port: &str) -> bool {
    if reachable(host_port).await {
        return false;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{name} is not reachable at {host_port}; scripts/test starts it (CI=true makes this fatal)");
    }
    eprintln!("skipping: {name} is not reachable at {host_port} (scripts/test starts it)");
    true
}

/// Nodes of one cluster: each has its own data folder and port; they share a fresh
/// PostgreSQL database and Redis. Nodes are dropped before the database.
pub struct Cluster {
    pub nodes: Vec<TestServer>,
    pub database_url: String,
    pub redis_url: String,
    _dir: tempfile::TempDir,
    _db: PgDatabase,
}

impl Cluster {
    /// `n` in-process nodes on a fresh PostgreSQL database and the given Redis, or `None`
    /// (after a notice; a failure under `CI=true`) when PostgreSQL is not running.
    pub async fn start(n: usize, redis_url: &str) -> Option<Cluster> {
        let db = PgDatabase::create().await?;
        let dir = tempfile::tempdir().expect("temp dir");
        let mut nodes = Vec::new();
        for i in 0..n {
            let node_dir = dir.path().join(format!("node{i}"));
            nodes.push(Self::node(&node_dir, &db.url, redis_url).await);
        }
        Some(Cluster {
            nodes,
            database_url: db.url.clone(),
            redis_url: redis_url.into(),
            _dir: dir,
            _db: db,
        })
    }

    async fn node(dir: &std::path::Path, database_url: &str, redis_url: &str) -> TestServer {
        let mut cfg = folio_server::config::Config::test(dir);
        cfg.database_url = Some(database_url.into());
        cfg.redis_url = Some(redis_url.into());
        TestServer::start_config(cfg).await
    }
}

/// A private `redis-server` on its own port, so a test can kill and restart it without
/// disturbing anything else.
pub struct PrivateRedis {
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

fn redis_server_bin() -> PathBuf {
    std::env::var("FOLIO_REDIS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("redis-server"))
}

impl PrivateRedis {
    /// Starts one, or returns `None` (after a notice, or a panic under `CI=true`) when the
    /// `redis-server` program is not installed.
    pub async fn start() -> Option<PrivateRedis> {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let mut r = PrivateRedis {
            port,
            child: None,
            dir,
        };
        if !r.spawn().await {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("redis-server could not be started (CI=true makes this fatal)");
            }
            eprintln!("skipping: redis-server is not installed");
            return None;
        }
        Some(r)
    }

    async fn spawn(&mut self) -> bool {
        let child = Command::new(redis_server_bin())
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let Ok(child) = child else { return false };
        self.child = Some(child);
        for _ in 0..250 {
            if reachable(&format!("127.0.0.1:{}", self.port)).await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server outright; every connection drops.
    pub async fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.start_kill();
            let _ = c.wait().await;
        }
    }

    /// Starts it again on the same port.
    pub async fn restart(&mut self) {
        assert!(self.spawn().await, "redis-server did not come back");
    }

    /// Runs a command against it with `redis-cli`-free plain RESP, through the redis crate.
    pub async fn command(&self, args: &[&str]) -> redis::RedisResult<redis::Value> {
        let client = redis::Client::open(self.url())?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        let mut cmd = redis::cmd(args[0]);
        for a in &args[1..] {
            cmd.arg(*a);
        }
        cmd.query_async(&mut conn).await
    }
}
