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

impl Env<'_> {
    /// Every server process measured: `server_pid`, then the target's other nodes.
    fn pids(&self) -> Vec<u32> {
        self.server_pid
            .into_iter()
            .chain(self.target.peer_pids.iter().copied())
            .collect()
    }

    /// CPU seconds used so far by the server (all its nodes).
    pub fn cpu_seconds(&self) -> Option<f64> {
        let pids = self.pids();
        if pids.is_empty() {
            return None;
        }
        pids.into_iter().map(proc_stats::cpu_seconds).sum()
    }

    /// Resident memory of the server (all its nodes).
    pub fn rss_bytes(&self) -> Option<u64> {
        let pids = self.pids();
        if pids.is_empty() {
            return None;
        }
        pids.into_iter().map(proc_stats::rss_bytes).sum()
    }
}

fn bar(len: u64, what: &str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {elapsed}")
            .expect("template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_owned());
    pb
}

/// Runs the rooms scenario and returns its report.
pub async fn rooms(env: &Env<'_>, cfg: &Rooms) -> anyhow::Result<Report> {
    let stats = Arc::new(Stats::new(Clock::new()));
    let (stop_tx, stop_rx) = watch::channel(false);
    let rss_before = env.rss_bytes();

    let setup = bar(
        (cfg.rooms * (cfg.editors + 1)) as u64,
        "connecting",
        env.progress,
    );
    let mut tasks = Vec::new();
    let mut keepers = Vec::new();
    for r in 0..cfg.rooms {
        // With several nodes, room r is created and seeded through node r, and its editors
        // take turns: editor e of room r connects to node r + e (so the two timing editors
        // of every room sit on different nodes, and each node gets its share of rooms).
        let addr = env
            .target
            .room_via(&format!("room-{r}-{}", uuid::Uuid::new_v4().simple()), r)
            .await?;
        let relay = env.target.kind == crate::target::Kind::Relay;
        if !relay {
            keepers.push(seed_room(&addr, cfg.items).await?);
        }
        setup.inc(1);
        for e in 0..cfg.editors {
            let mut session = Session::open(&addr.on(r + e), Duration::from_secs(30)).await?;
            if relay {
                session.seed_locally(cfg.items);
            } else {
                session
                    .wait_items(cfg.items, Duration::from_secs(30))
                    .await?;
            }
            // Two editors per room time what they receive; all of them count.
            let timer = e < 2;
            tasks.push(tokio::spawn(run_editor(
                session,
                e,
                cfg.mix,
                timer,
                stats.clone(),
                stop_rx.clone(),
            )));
            setup.inc(1);
        }
    }
    setup.finish_and_clear();
    let rss_loaded = env.rss_bytes();

    tokio::time::sleep(cfg.warmup).await;
    stats.reset();
    let cpu0 = env.cpu_seconds();
    let started = Instant::now();
    let run = bar(cfg.duration.as_secs().max(1), "measuring", env.progress);
    while started.elapsed() < cfg.duration {
        tokio::time::sleep(Duration::from_millis(250).min(cfg.duration)).await;
        run.set_position(started.elapsed().as_secs());
    }
    run.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let cpu1 = env.cpu_seconds();
    let counts = stats.snapshot();
    let rss_end = env.rss_bytes();
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    for k in keepers {
        k.close().await;
    }

    let delivered = counts.delivered();
    let cpu = cpu0.zip(cpu1).map(|(a, b)| b - a);
    let mut extra = serde_json::Map::new();
    if let (Some(before), Some(loaded)) = (rss_before, rss_loaded) {
        let per_room = (loaded.saturating_sub(before)) as f64 / cfg.rooms.max(1) as f64 / 1024.0;
        extra.insert(
            "rss_kb_per_loaded_room".into(),
            serde_json::json!((per_room * 10.0).round() / 10.0),
        );
    }
    extra.insert("mix".into(), serde_json::to_value(cfg.mix)?);
    if env.target.nodes.len() > 1 {
        extra.insert("nodes".into(), serde_json::json!(env.target.nodes));
    }
    Ok(Report {
        scenario: "rooms".into(),
        target: format!("{:?}", env.target.kind).to_lowercase(),
        rooms: cfg.rooms,
        clients: cfg.rooms * cfg.editors,
        seconds,
        delivered_per_s: delivered as f64 / seconds,
        cpu_us_per_delivered: cpu
            .filter(|_| delivered > 0)
            .map(|c| c * 1e6 / delivered as f64),
        server_cpu_s: cpu,
        server_rss_mb: rss_end.map(|b| b as f64 / 1_048_576.0),
        counts,
        extra,
    })
}

/// Raises the move rate step by step until the p99 of item moves passes `p99_limit_ms`;
/// returns every step, the last one under the limit being the saturation point.
#[derive(Debug, Clone)]
pub struct Saturate {
    pub base: Rooms,
    pub start_moves_per_s: f64,
    pub factor: f64,
    pub max_steps: usize,
    pub p99_limit_ms: f64,
}

pub async fn saturate(env: &Env<'_>, cfg: &Saturate) -> anyhow::Result<Vec<Report>> {
    let mut reports = Vec::new();
    let mut rate = cfg.start_moves_per_s;
    for _ in 0..cfg.max_steps {
        let mut step = cfg.base.clone();
        step.mix.moves_per_s = rate;
        let mut r = rooms(env, &step).await?;
        r.scenario = "saturate".into();
        r.extra
            .insert("moves_per_editor_per_s".into(), serde_json::json!(rate));
        let over = r.counts.p99_ms.is_none_or(|p| p > cfg.p99_limit_ms)
            || r.counts.errors + r.counts.drops > 0;
        r.extra
            .insert("under_limit".into(), serde_json::json!(!over));
        reports.push(r);
        if over {
            break;
        }
        rate *= cfg.factor;
    }
    Ok(reports)
}

/// The time to first full sync of a large book: pages × items, then `moves` item moves.
#[derive(Debug, Clone)]
pub struct Cold {
    pub pages: usize,
    pub items: usize,
    pub moves: usize,
    pub samples: usize,
}

pub async fn cold(env: &Env<'_>, cfg: &Cold) -> anyhow::Result<Report> {
    use yrs::{Array, Map};
    let rss_before = env.rss_bytes();
    let addr = env
        .target
        .room(&format!("cold-{}", uuid::Uuid::new_v4().simple()))
        .await?;
    let mut s = Session::open(&addr, Duration::from_secs(60)).await?;
    let user = addr.user.clone();
    let build = bar(
        (cfg.pages + cfg.moves / 100) as u64,
        "building",
        env.progress,
    );
    for p in 0..cfg.pages {
        s.edit(|txn| crate::editor::add_page(txn, &user, &format!("page-{p}"), cfg.items))
            .await?;
        build.inc(1);
    }
    // Moves in transactions of 100, so per-connection rate limits do not cut the build short.
    let items = {
        use yrs::{Out, ReadTxn, Transact};
        let txn = s.doc.transact();
        let pages = txn.get_array("pages").expect("pages");
        let mut all = Vec::new();
        for p in pages.iter(&txn) {
            if let Out::YMap(page) = p {
                if let Some(Out::YMap(items)) = page.get(&txn, "items") {
                    all.extend(items.iter(&txn).filter_map(|(_, v)| {
                        if let Out::YMap(m) = v {
                            Some(m)
                        } else {
                            None
                        }
                    }));
                }
            }
        }
        all
    };
    let mut done = 0;
    while done < cfg.moves {
        let n = (cfg.moves - done).min(100);
        s.edit(|txn| {
            for k in 0..n {
                let m = &items[(done + k) % items.len()];
                m.insert(
                    txn,
                    "box",
                    vec![((done + k) % 1000) as f64 / 1000.0, 0.0, 0.2, 0.2, 0.0],
                );
            }
        })
        .await?;
        done += n;
        build.inc(1);
    }
    build.finish_and_clear();
    let rss_built = env.rss_bytes();
    // Make sure the server has everything before timing: a fresh client must see the last move.
    let expected_pages = cfg.pages;
    let mut times = Vec::new();
    for _ in 0..cfg.samples.max(1) {
        let t0 = Instant::now();
        let c = Session::open(&addr, Duration::from_secs(120)).await?;
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        let pages = {
            use yrs::{Array, ReadTxn, Transact};
            let txn = c.doc.transact();
            txn.get_array("pages")
                .map(|a| a.len(&txn) as usize)
                .unwrap_or(0)
        };
        c.close().await;
        if pages < expected_pages {
            anyhow::bail!("a fresh client saw {pages} pages, expected {expected_pages}");
        }
        times.push(ms);
    }
    s.close().await;
    times.sort_by(|a, b| a.total_cmp(b));
    let mut extra = serde_json::Map::new();
    extra.insert(
        "first_sync_ms_median".into(),
        serde_json::json!(times[times.len() / 2]),
    );
    extra.insert("first_sync_ms_all".into(), serde_json::json!(times));
    extra.insert(
        "book".into(),
        serde_json::json!({"pages": cfg.pages, "items_per_page": cfg.items, "moves": cfg.moves}),
    );
    if let (Some(a), Some(b)) = (rss_before, rss_built) {
        // The server's growth while the book was built and held open: one loaded book.
        extra.insert(
            "rss_kb_loaded_book".into(),
            serde_json::json!((b.saturating_sub(a)) as f64 / 1024.0),
        );
    }
    let stats = Stats::new(Clock::new());
    Ok(Report {
        scenario: "cold".into(),
        target: format!("{:?}", env.target.kind).to_lowercase(),
        rooms: 1,
        clients: 1,
        seconds: times.iter().sum::<f64>() / 1000.0,
        counts: stats.snapshot(),
        delivered_per_s: 0.0,
        server_cpu_s: None,
        cpu_us_per_delivered: None,
        server_rss_mb: env.rss_bytes().map(|b| b as f64 / 1_048_576.0),
        extra,
    })
}

/// A reconnect storm: `clients` connect to one room at once; then all drop and reconnect.
#[derive(Debug, Clone)]
pub struct Churn {
    pub clients: usize,
    pub items: usize,
}

async fn storm(addr: &crate::target::RoomAddr, n: usize) -> (Vec<f64>, u64, Vec<Session>) {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let addr = addr.clone();
        set.spawn(async move {
            let t0 = Instant::now();
            let s = Session::open(&addr, Duration::from_secs(60)).await;
            (t0.elapsed().as_secs_f64() * 1000.0, s)
        });
    }
    let mut times = Vec::new();
    let mut errors = 0;
    let mut sessions = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok((ms, Ok(s))) => {
                times.push(ms);
                sessions.push(s);
            }
            _ => errors += 1,
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    (times, errors, sessions)
}

pub async fn churn(env: &Env<'_>, cfg: &Churn) -> anyhow::Result<Report> {
    let addr = env
        .target
        .room(&format!("churn-{}", uuid::Uuid::new_v4().simple()))
        .await?;
    let keeper = if env.target.kind != crate::target::Kind::Relay {
        Some(seed_room(&addr, cfg.items).await?)
    } else {
        None
    };
    let rss0 = env.rss_bytes();
    let cpu0 = env.cpu_seconds();
    let (first, errors1, sessions) = storm(&addr, cfg.clients).await;
    let rss_connected = env.rss_bytes();
    for s in sessions {
        s.close().await;
    }
    let (second, errors2, sessions) = storm(&addr, cfg.clients).await;
    let cpu1 = env.cpu_seconds();
    for s in sessions {
        s.close().await;
    }
    if let Some(k) = keeper {
        k.close().await;
    }
    let q = |v: &[f64], p: f64| {
        v.get(((v.len() as f64 - 1.0) * p).round() as usize)
            .copied()
    };
    let mut extra = serde_json::Map::new();
    extra.insert(
        "connect_sync_ms_p50".into(),
        serde_json::json!(q(&second, 0.5)),
    );
    extra.insert(
        "connect_sync_ms_p99".into(),
        serde_json::json!(q(&second, 0.99)),
    );
    extra.insert(
        "connect_sync_ms_max".into(),
        serde_json::json!(second.last()),
    );
    extra.insert(
        "first_storm_ms_p99".into(),
        serde_json::json!(q(&first, 0.99)),
    );
    if let (Some(a), Some(b)) = (rss0, rss_connected) {
        extra.insert(
            "rss_kb_per_connection".into(),
            serde_json::json!((b.saturating_sub(a)) as f64 / cfg.clients.max(1) as f64 / 1024.0),
        );
    }
    let stats = Stats::new(Clock::new());
    stats
        .errors
        .store(errors1 + errors2, std::sync::atomic::Ordering::Relaxed);
    Ok(Report {
        scenario: "churn".into(),
        target: format!("{:?}", env.target.kind).to_lowercase(),
        rooms: 1,
        clients: cfg.clients,
        seconds: 0.0,
        counts: stats.snapshot(),
        delivered_per_s: 0.0,
        server_cpu_s: cpu0.zip(cpu1).map(|(a, b)| b - a),
        cpu_us_per_delivered: None,
        server_rss_mb: env.rss_bytes().map(|b| b as f64 / 1_048_576.0),
        extra,
    })
}

/// The crdt-benchmarks B3.1 analogue: `clients` in one room set the same key at once;
/// reports how long until every client has every other client's write.
#[derive(Debug, Clone)]
pub struct Crowd {
    pub clients: usize,
    pub deadline: Duration,
}

pub async fn crowd(env: &Env<'_>, cfg: &Crowd) -> anyhow::Result<Report> {
    let addr = env
        .target
        .room(&format!("crowd-{}", uuid::Uuid::new_v4().simple()))
        .await?;
    let relay = env.target.kind == crate::target::Kind::Relay;
    let keeper = if !relay {
        Some(seed_room(&addr, 1).await?)
    } else {
        None
    };
    let (_, errors, sessions) = storm(&addr, cfg.clients).await;
    if relay {
        for s in &sessions {
            s.seed_locally(1);
        }
    }
    let stats = Arc::new(Stats::new(Clock::new()));
    stats
        .errors
        .store(errors, std::sync::atomic::Ordering::Relaxed);
    let (go_tx, go_rx) = watch::channel(false);
    let expect = sessions.len().saturating_sub(1);
    let mut set = tokio::task::JoinSet::new();
    for s in sessions {
        set.spawn(s.crowd_once(go_rx.clone(), expect, stats.clone(), cfg.deadline));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cpu0 = env.cpu_seconds();
    let started = Instant::now();
    let _ = go_tx.send(true);
    let mut times = Vec::new();
    let mut incomplete = 0;
    while let Some(r) = set.join_next().await {
        match r {
            Ok(Some(t)) => times.push(t.as_secs_f64() * 1000.0),
            _ => incomplete += 1,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu1 = env.cpu_seconds();
    if let Some(k) = keeper {
        k.close().await;
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let counts = stats.snapshot();
    let delivered = counts.delivered();
    let cpu = cpu0.zip(cpu1).map(|(a, b)| b - a);
    let mut extra = serde_json::Map::new();
    extra.insert("all_converged_ms".into(), serde_json::json!(times.last()));
    extra.insert(
        "median_client_converged_ms".into(),
        serde_json::json!(times.get(times.len() / 2)),
    );
    extra.insert("clients_incomplete".into(), serde_json::json!(incomplete));
    Ok(Report {
        scenario: "crowd".into(),
        target: format!("{:?}", env.target.kind).to_lowercase(),
        rooms: 1,
        clients: cfg.clients,
        seconds,
        delivered_per_s: delivered as f64 / seconds,
        cpu_us_per_delivered: cpu
            .filter(|_| delivered > 0)
            .map(|c| c * 1e6 / delivered as f64),
        server_cpu_s: cpu,
        server_rss_mb: env.rss_bytes().map(|b| b as f64 / 1_048_576.0),
        counts,
        extra,
    })
}
