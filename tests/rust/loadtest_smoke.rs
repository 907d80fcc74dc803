//! Smoke test of the load generator against the real server: a few seconds of the rooms
//! scenario deliver messages, time them, and raise no errors or refusals. No timing is
//! asserted; the numbers belong to the benchmarks.

use std::time::Duration;

use folio_tests::TestServer;
use loadtest::editor::Mix;
use loadtest::scenario::{self, Env, Rooms};
use loadtest::target::{Kind, Target};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_scenario_delivers_and_counts() {
    let server = TestServer::start().await;
    let target = Target::new(Kind::Folio, &server.url).await.expect("target");
    let env = Env {
        target: &target,
        server_pid: Some(std::process::id()),
        progress: false,
    };
    let cfg = Rooms {
        rooms: 2,
        editors: 3,
        items: 5,
        mix: Mix {
            moves_per_s: 5.0,
            chars_per_s: 5.0,
            cursor_hz: 10.0,
        },
        warmup: Duration::from_millis(300),
        duration: Duration::from_secs(2),
    };
    let report = scenario::rooms(&env, &cfg).await.expect("rooms scenario");
    let c = &report.counts;
    assert!(
        c.sent_updates > 0 && c.sent_awareness > 0,
        "nothing was sent: {c:?}"
    );
    // Each edit reaches the two other editors of its room.
    assert!(
        c.delivered_updates >= c.sent_updates,
        "updates were not relayed: {c:?}"
    );
    assert!(
        c.delivered_awareness > 0,
        "awareness was not relayed: {c:?}"
    );
    assert!(
        c.latency_samples > 0 && c.p50_ms.is_some(),
        "no latency was measured: {c:?}"
    );
    assert_eq!(
        (c.errors, c.denied, c.drops),
        (0, 0, 0),
        "the load raised errors or refusals: {c:?}"
    );
    assert!(report.delivered_per_s > 0.0);
    assert!(report.server_cpu_s.is_some() && report.server_rss_mb.is_some());
}
