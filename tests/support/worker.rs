//! The real `folio worker` binary in a child process, for worker-fault tests.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::server::folio_bin;

pub struct BinWorker {
    child: Child,
}

impl BinWorker {
    /// Starts `folio worker` on `database_url`, with blobs under `data_dir`, and `env` on top
    /// (e.g. `FOLIO_JOB_LEASE_S`). Returns once it has opened the store and started its loops.
    pub async fn start(database_url: &str, data_dir: &Path, env: &[(&str, &str)]) -> BinWorker {
        let mut cmd = Command::new(folio_bin());
        cmd.args(["worker", "--data-dir"])
            .arg(data_dir)
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn folio worker");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if line.starts_with("folio worker running") {
                    return;
                }
            }
            panic!("folio worker exited before starting");
        })
        .await
        .expect("folio worker did not start within 30 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        BinWorker { child }
    }

    /// `kill -9`: the worker dies holding whatever lease it has.
    pub async fn kill9(mut self) {
        self.child.start_kill().expect("kill");
        let _ = self.child.wait().await;
    }
}
