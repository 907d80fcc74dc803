//! Logs and Prometheus metrics.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide metrics recorder; installed once, shared by every node in the process.
pub fn metrics_handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("folio_commit_seconds".into()),
                    &[
                        0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0,
                    ],
                )
                .expect("valid buckets")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may exist when embedded; then this handle simply stays empty.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_gauge!("folio_connections", "Open WebSocket sync connections");
    metrics::describe_gauge!("folio_docs_loaded", "Book documents loaded in memory");
    metrics::describe_counter!(
        "folio_updates_applied_total",
        "Document updates accepted and applied"
    );
    metrics::describe_counter!(
        "folio_updates_rejected_total",
        "Document updates refused, by reason"
    );
    metrics::describe_histogram!(
        "folio_commit_seconds",
        "Time to durably commit one group of updates"
    );
    metrics::describe_counter!(
        "folio_outbound_drops_total",
        "Connections dropped because their outbound queue overflowed"
    );
    metrics::describe_counter!(
        "folio_commit_failures_total",
        "Group commits that failed and were retried"
    );
    metrics::describe_counter!(
        "folio_compactions_total",
        "Update logs folded into snapshots"
    );
}

/// Starts logging to stderr with the given filter.
pub fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
