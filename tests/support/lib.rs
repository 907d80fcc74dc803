//! Test support for Folio's end-to-end suites: real servers (in-process on port 0, or the
//! real binary), an HTTP client, and a yrs client that speaks y-websocket over a real socket.

pub mod book;
pub mod cluster;
pub mod db;
pub mod http;
pub mod pdf;
pub mod pictures;
pub mod s3;
pub mod samples;
pub mod server;
pub mod sse;
pub mod wire;
pub mod worker;
pub mod yclient;

pub use db::{PgDatabase, TestDb};
pub use http::Api;
pub use server::{BinServer, TestServer};
pub use yclient::{RawSocket, YClient};

use std::time::{Duration, Instant};

/// Polls `cond` every 20 ms until it holds or `timeout` passes; returns whether it held.
pub async fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if cond() {
            return true;
        }
        if start.elapsed() > timeout {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A unique email for one test user.
pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.test", uuid::Uuid::new_v4().simple())
}
