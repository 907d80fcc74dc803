//! Scenarios: how many rooms and clients, doing what, for how long.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;

use crate::editor::{run_editor, seed_room, Mix, Session};
use crate::proc_stats;
use crate::report::Report;
use crate::stats::{Clock, Stats};
use crate::target::Target;

/// Many rooms × N editors at a fixed rate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rooms {
    pub rooms: usize,
    pub editors: usize,
    pub items: usize,
    pub mix: Mix,
    pub warmup: Duration,
    pub duration: Duration,
}

pub struct Env<'a> {
    pub target: &'a Target,
    pub server_pid: Option<u32>,
    pub progress: bool,
}

fn bar(len: u64, what: &str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {elapsed}").expect("template").progress_chars("=> "));
    pb.set_message(what.to_owned());
    pb
}

/// Runs the rooms scenario and returns its report.
pub async fn rooms(env: &Env<'_>, cfg: &Rooms) -> anyhow::Result<Report> {
    let stats = Arc::new(Stats::new(Clock::new()));
    let (stop_tx, stop_rx) = watch::channel(false);
    let rss_before = env.server_pid.and_then(proc_stats::rss_bytes);

    let setup = bar((cfg.rooms * (cfg.editors + 1)) as u64, "connecting", env.progress);
    let mut tasks = Vec::new();
    for r in 0..cfg.rooms {
        let addr = env.target.room(&format!("room-{r}-{}", uuid::Uuid::new_v4().simple())).await?;
        let relay = env.target.kind == crate::target::Kind::Relay;
        if !relay {
            seed_room(&addr, cfg.items).await?;
        }
        setup.inc(1);
        for e in 0..cfg.editors {
            let session = Session::open(&addr, Duration::from_secs(30)).await?;
            if relay {
                session.seed_locally(cfg.items);
            }
            tasks.push(tokio::spawn(run_editor(session, e, cfg.mix, stats.clone(), stop_rx.clone())));
            setup.inc(1);
        }
    }
    setup.finish_and_clear();
    let rss_loaded = env.server_pid.and_then(proc_stats::rss_bytes);

    tokio::time::sleep(cfg.warmup).await;
    stats.reset();
    let cpu0 = env.server_pid.and_then(proc_stats::cpu_seconds);
    let started = Instant::now();
    let run = bar(cfg.duration.as_secs().max(1), "measuring", env.progress);
    while started.elapsed() < cfg.duration {
        tokio::time::sleep(Duration::from_millis(250).min(cfg.duration)).await;
        run.set_position(started.elapsed().as_secs());
    }
    run.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let cpu1 = env.server_pid.and_then(proc_stats::cpu_seconds);
    let counts = stats.snapshot();
    let rss_end = env.server_pid.and_then(proc_stats::rss_bytes);
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }

    let delivered = counts.delivered();
    let cpu = cpu0.zip(cpu1).map(|(a, b)| b - a);
    let mut extra = serde_json::Map::new();
    if let (Some(before), Some(loaded)) = (rss_before, rss_loaded) {
        let per_room = (loaded.saturating_sub(before)) as f64 / cfg.rooms.max(1) as f64 / 1024.0;
        extra.insert("rss_kb_per_loaded_room".into(), serde_json::json!((per_room * 10.0).round() / 10.0));
    }
    extra.insert("mix".into(), serde_json::to_value(cfg.mix)?);
    Ok(Report {
        scenario: "rooms".into(),
        target: format!("{:?}", env.target.kind).to_lowercase(),
        rooms: cfg.rooms,
        clients: cfg.rooms * cfg.editors,
        seconds,
        delivered_per_s: delivered as f64 / seconds,
        cpu_us_per_delivered: cpu.filter(|_| delivered > 0).map(|c| c * 1e6 / delivered as f64),
        server_cpu_s: cpu,
        server_rss_mb: rss_end.map(|b| b as f64 / 1_048_576.0),
        counts,
        extra,
    })
}
