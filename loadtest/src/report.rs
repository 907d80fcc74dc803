//! One measurement's results: a table for people, JSON for tools.

use serde::Serialize;

use crate::stats::Snapshot;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: String,
    pub target: String,
    pub rooms: usize,
    pub clients: usize,
    pub seconds: f64,
    #[serde(flatten)]
    pub counts: Snapshot,
    pub delivered_per_s: f64,
    pub server_cpu_s: Option<f64>,
    /// Server CPU microseconds per delivered message.
    pub cpu_us_per_delivered: Option<f64>,
    pub server_rss_mb: Option<f64>,
    /// Anything scenario-specific (cold-load time, RSS per room, …).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "-".into())
}

impl Report {
    pub fn print_table(reports: &[Report]) {
        println!(
            "{:<10} {:<12} {:>6} {:>7} {:>11} {:>9} {:>9} {:>9} {:>9} {:>7} {:>9} {:>9}",
            "scenario",
            "target",
            "rooms",
            "clients",
            "deliv/s",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "aw p99",
            "errors",
            "cpu µs/m",
            "rss MB"
        );
        for r in reports {
            println!(
                "{:<10} {:<12} {:>6} {:>7} {:>11.0} {:>9} {:>9} {:>9} {:>9} {:>7} {:>9} {:>9}",
                r.scenario,
                r.target,
                r.rooms,
                r.clients,
                r.delivered_per_s,
                opt(r.counts.p50_ms, 2),
                opt(r.counts.p99_ms, 2),
                opt(r.counts.p999_ms, 2),
                opt(r.counts.awareness_p99_ms, 2),
                r.counts.errors + r.counts.drops + r.counts.denied,
                opt(r.cpu_us_per_delivered, 1),
                opt(r.server_rss_mb, 1),
            );
            for (label, route) in [
                ("same node", &r.counts.same_node),
                ("cross node", &r.counts.cross_node),
            ] {
                if let Some(h) = route {
                    println!(
                        "    {label:<10} moves p50/p99/p99.9 ms: {} / {} / {} ({} samples); cursors: {} / {} / {} ({} samples)",
                        opt(h.p50_ms, 2),
                        opt(h.p99_ms, 2),
                        opt(h.p999_ms, 2),
                        h.latency_samples,
                        opt(h.awareness_p50_ms, 2),
                        opt(h.awareness_p99_ms, 2),
                        opt(h.awareness_p999_ms, 2),
                        h.awareness_samples,
                    );
                }
            }
            for (k, v) in &r.extra {
                println!("    {k}: {v}");
            }
        }
    }
}
