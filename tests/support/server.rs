//! Starting real Folio servers for tests.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use folio_server::config::{Config, Durability};
use folio_server::store::{PgStore, SqliteStore, Store};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::db::{self, PgDatabase};

/// A server running inside the test process on port 0 (STYLE.md habit 1).
pub struct TestServer {
    pub url: String,
    pub data_dir: PathBuf,
    /// The database it runs on when not the SQLite file in `data_dir`; kept across restarts.
    pub database_url: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

impl TestServer {
    /// A fresh server with a fresh data folder and the test config: on SQLite, or on a fresh
    /// PostgreSQL database when `FOLIO_TEST_DB=postgres`.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        if db::postgres_requested() {
            return Self::start_pg_with(tweak)
                .await
                .expect("FOLIO_TEST_DB=postgres, but PostgreSQL is not reachable");
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cfg = Config::test(dir.path());
        tweak(&mut cfg);
        let mut s = Self::start_config(cfg).await;
        s._dir = Some(dir);
        s
    }

    /// A fresh server on a fresh PostgreSQL database (dropped with the server). `None`, after
    /// a notice, when PostgreSQL is not running outside CI.
    pub async fn start_pg() -> Option<TestServer> {
        Self::start_pg_with(|_| {}).await
    }

    pub async fn start_pg_with(tweak: impl FnOnce(&mut Config)) -> Option<TestServer> {
        let pg = PgDatabase::create().await?;
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cfg = Config::test(dir.path());
        cfg.database_url = Some(pg.url.clone());
        tweak(&mut cfg);
        let mut s = Self::start_config(cfg).await;
        s._dir = Some(dir);
        s._pg = Some(pg);
        Some(s)
    }

    pub async fn start_config(cfg: Config) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let data_dir = cfg.data_dir.clone();
        let database_url = cfg.database_url.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(folio_server::run(listener, cfg, async move {
            let _ = stopped.await;
        }));
        let url = format!("http://{addr}");
        wait_ready(&url).await;
        TestServer {
            url,
            data_dir,
            database_url,
            stop: Some(stop),
            task: Some(task),
            _dir: None,
            _pg: None,
        }
    }

    pub fn ws_url(&self) -> String {
        self.url.replacen("http", "ws", 1)
    }

    /// A second handle on the database this server runs on, to look at what it stored.
    pub async fn store(&self) -> Arc<dyn Store> {
        match self.database_url.as_deref() {
            Some(url) if url.starts_with("postgres") => Arc::new(
                PgStore::open(url, Durability::Process)
                    .await
                    .expect("open PostgreSQL"),
            ),
            Some(url) => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                Arc::new(
                    SqliteStore::open(Path::new(path), Durability::Process)
                        .await
                        .expect("open SQLite"),
                )
            }
            None => Arc::new(
                SqliteStore::open(&self.data_dir.join("folio.db"), Durability::Process)
                    .await
                    .expect("open SQLite"),
            ),
        }
    }

    /// Graceful stop (as SIGTERM does); keeps the data folder for a restart.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server run");
        }
    }

    /// Stops this server and starts a new one on the same data folder and database, with
    /// the test config and `tweak`.
    pub async fn restart_with(mut self, tweak: impl FnOnce(&mut Config)) -> TestServer {
        self.stop().await;
        let mut cfg = Config::test(&self.data_dir);
        cfg.database_url = self.database_url.clone();
        tweak(&mut cfg);
        let mut next = Self::start_config(cfg).await;
        next._dir = self._dir.take();
        next._pg = self._pg.take();
        next
    }

    pub async fn restart(self) -> TestServer {
        self.restart_with(|_| {}).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn wait_ready(url: &str) {
    let client = reqwest::Client::new();
    for _ in 0..500 {
        if let Ok(r) = client.get(format!("{url}/readyz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("server at {url} never became ready");
}

/// The real `folio` binary in a child process, for crash tests.
pub struct BinServer {
    pub url: String,
    child: Child,
}

/// Path of the built `folio` binary: `FOLIO_BIN`, else the workspace's target/debug/folio.
pub fn folio_bin() -> PathBuf {
    if let Ok(p) = std::env::var("FOLIO_BIN") {
        return PathBuf::from(p);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let bin = target.join("debug/folio");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build -p folio-server --bin folio` first (scripts/test does)",
        bin.display()
    );
    bin
}

impl BinServer {
    pub async fn start(data_dir: &Path) -> BinServer {
        Self::start_env(data_dir, &[]).await
    }

    /// Like `start`, with extra environment variables for the child (set after the
    /// defaults, so they may override `RUST_LOG`), e.g. `DATABASE_URL` and `REDIS_URL` to
    /// run several real nodes on one PostgreSQL database behind one Redis.
    pub async fn start_env(data_dir: &Path, env: &[(&str, &str)]) -> BinServer {
        let mut cmd = Command::new(folio_bin());
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("RUST_LOG", "warn");
        for (key, value) in env {
            cmd.env(key, value);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn folio");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(rest) = line.strip_prefix("folio listening on ") {
                    return rest.trim().to_owned();
                }
            }
            panic!("folio exited before listening");
        })
        .await
        .expect("folio did not start within 30 s");
        wait_ready(&url).await;
        BinServer { url, child }
    }

    pub fn ws_url(&self) -> String {
        self.url.replacen("http", "ws", 1)
    }

    /// The child's process id, e.g. to read its memory from /proc.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the folio child is running")
    }

    /// `kill -9`: no flush, no goodbye.
    pub async fn kill9(mut self) {
        self.child.start_kill().expect("kill");
        let _ = self.child.wait().await;
    }

    /// SIGTERM, then wait for a clean exit.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("pid") as i32;
        // SAFETY-free: plain kill(2) through the shell-less libc-free route.
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("exit within 30 s")
            .expect("wait")
    }
}
