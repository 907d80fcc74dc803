//! A real S3-compatible server for tests: s3s-fs in a child process on a free port, with a
//! temporary root folder, known credentials and one bucket; killed when dropped.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use folio_server::config::Config;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const ACCESS_KEY: &str = "folio-test-access";
pub const SECRET_KEY: &str = "folio-test-secret";
pub const BUCKET: &str = "folio-test";

pub struct S3Server {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    child: Child,
    _root: tempfile::TempDir,
}

/// The s3s-fs binary: `FOLIO_S3S_BIN`, else where `scripts/s3-server install` puts it.
pub fn s3s_bin() -> PathBuf {
    if let Ok(p) = std::env::var("FOLIO_S3S_BIN") {
        return PathBuf::from(p);
    }
    let cache = std::env::var("FOLIO_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/folio")
        });
    cache.join("s3s-fs/bin/s3s-fs")
}

impl S3Server {
    /// Starts s3s-fs. Without the binary this fails under `CI=true`; elsewhere it prints a
    /// skip notice and returns `None`, and the caller returns.
    pub async fn start() -> Option<S3Server> {
        let bin = s3s_bin();
        if !bin.is_file() {
            let msg = format!("s3s-fs is missing at {}: run `scripts/s3-server install` (scripts/test does) or set FOLIO_S3S_BIN", bin.display());
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{msg}");
            }
            eprintln!("SKIPPED (S3 tests): {msg}");
            return None;
        }
        let root = tempfile::tempdir().expect("temp dir");
        // s3s-fs serves each folder of its root as a bucket.
        std::fs::create_dir(root.path().join(BUCKET)).expect("create bucket folder");
        let mut child = Command::new(&bin)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--access-key",
                ACCESS_KEY,
                "--secret-key",
                SECRET_KEY,
            ])
            .arg(root.path())
            .env("RUST_LOG", "s3s_fs=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let endpoint = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read s3s-fs stdout") {
                if let Some((_, rest)) = line.split_once("server is running at ") {
                    return rest.trim().to_owned();
                }
            }
            panic!("s3s-fs exited before listening");
        })
        .await
        .expect("s3s-fs did not start within 30 s");
        // Keep reading its log so a full pipe never stalls it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Some(S3Server {
            endpoint,
            child,
            _root: root,
        })
    }

    /// Whether the bucket holds an object at `key`, looked up in s3s-fs's folder directly.
    pub fn object_exists(&self, key: &str) -> bool {
        self._root.path().join(BUCKET).join(key).is_file()
    }

    /// The keys of every object under `prefix` (a folder such as `photos/`), sorted.
    pub fn objects_under(&self, prefix: &str) -> Vec<String> {
        let bucket = self._root.path().join(BUCKET);
        let mut keys = Vec::new();
        let mut stack = vec![bucket.join(prefix)];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.expect("read s3s-fs folder").path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    keys.push(
                        path.strip_prefix(&bucket)
                            .expect("under the bucket")
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
        keys.sort();
        keys
    }

    /// Points `cfg` at this server's bucket with the right credentials.
    pub fn configure(&self, cfg: &mut Config) {
        cfg.s3_bucket = Some(BUCKET.into());
        cfg.s3_endpoint = Some(self.endpoint.clone());
        cfg.s3_region = "us-east-1".into();
        cfg.s3_force_path_style = true;
        cfg.s3_access_key_id = Some(ACCESS_KEY.into());
        cfg.s3_secret_access_key = Some(SECRET_KEY.into());
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
