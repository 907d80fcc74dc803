//! `print_book`: the print-render benchmark (issue #8). Builds photo books of N pages × 3
//! camera-size photos (+ a caption) on a running Folio server, then renders each one in a
//! FRESH `folio worker` process, and reports the render's wall time, pages per second, the
//! worker's peak resident memory and the sizes of the PDFs.
//!
//! The server must run with `--workers 0` (no in-process workers), `--proactive-min 0` and
//! `--version-interval-s 0`, so the render is the only job and the worker started here is the
//! only process that runs it. Peak memory is the worker's `VmHWM` (the kernel's exact
//! lifetime peak of its resident set) read from `/proc/<pid>/status` after the job is done;
//! the worker is started just before the render, so nothing else is in that figure but the
//! worker's own start-up. `VmRSS` is also sampled as a cross-check.
//!
//! The photos (4000 × 3000 JPEG, quality 92, textured and noisy like camera files, 3-5 MB,
//! fixed seed) are generated before anything is timed, and cached in `--cache-dir`. They are
//! uploaded once; book N uses the first 3N of them, so every photo in a book is distinct.
//!
//! Wall time is from the render's POST to the job being seen done (polled every 50 ms),
//! which includes the idle worker's claim delay (`--job-poll-ms` of the worker, 100 ms here);
//! the job's own `created_at`→`updated_at` is reported alongside.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use crdt_schema::model::{self, Background, ItemKind, NewItem, NewPage, PageKind, PhotoRef, Style};
use loadtest::editor::Session;
use loadtest::photo_gen::{self, Photo, Spec};
use loadtest::proc_stats;
use loadtest::target::RoomAddr;
use loadtest::wire::Framing;
use serde_json::{json, Value};
use yrs::Transact;

#[derive(Parser, Debug)]
#[command(
    name = "print_book",
    about = "Render benchmark: N-page books of camera photos, each rendered in a fresh folio worker"
)]
struct Args {
    /// The server's HTTP base URL (started with --workers 0).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The folio binary, to start `folio worker` with.
    #[arg(long)]
    folio: Option<PathBuf>,
    /// Extra arguments for `folio worker` (its store and blob settings: the same as the
    /// server's), e.g. `--worker-arg=--data-dir --worker-arg=/tmp/x`.
    #[arg(long = "worker-arg", allow_hyphen_values = true)]
    worker_args: Vec<String>,
    /// Pin the worker to these CPUs (taskset list), e.g. 0-1.
    #[arg(long)]
    worker_cpus: Option<String>,
    /// Book sizes to render, in pages; comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "40")]
    pages: Vec<usize>,
    #[arg(long, default_value_t = 3)]
    photos_per_page: usize,
    #[arg(long, default_value = "square-12x12")]
    product: String,
    #[arg(long, default_value_t = 4000)]
    width: u32,
    #[arg(long, default_value_t = 3000)]
    height: u32,
    #[arg(long, default_value_t = 92)]
    quality: u8,
    #[arg(long, default_value_t = 0x00f0_1105)]
    seed: u64,
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Only generate (or check) the photos, and stop.
    #[arg(long)]
    generate_only: bool,
    /// Files per upload request.
    #[arg(long, default_value_t = 4)]
    files_per_request: usize,
    /// VmRSS sampling period of the worker, in milliseconds.
    #[arg(long, default_value_t = 20)]
    sample_ms: u64,
    /// Where the worker's log goes (one file per render: <dir>/worker-<pages>.log).
    #[arg(long)]
    log_dir: Option<PathBuf>,
    /// Append one JSON line per render here.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(serde::Serialize, Debug)]
struct RenderReport {
    pages: usize,
    photos: usize,
    photo_mb: f64,
    wall_s: f64,
    job_s: f64,
    pages_per_s: f64,
    peak_rss_mib: f64,
    sampled_peak_rss_mib: f64,
    worker_idle_rss_mib: f64,
    interior_mib: f64,
    cover_kib: f64,
    spine_in: f64,
    findings: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let most = args.pages.iter().copied().max().unwrap_or(0);
    let count = most * args.photos_per_page;
    let spec = Spec {
        width: args.width,
        height: args.height,
        quality: args.quality,
        seed: args.seed,
    };
    let (photos, gen_s) = photo_gen::generate_all(spec, count, args.cache_dir.as_deref())?;
    let total: usize = photos.iter().map(|p| p.jpeg.len()).sum();
    let (min, max) = (
        photos.iter().map(|p| p.jpeg.len()).min().unwrap_or(0),
        photos.iter().map(|p| p.jpeg.len()).max().unwrap_or(0),
    );
    println!(
        "{count} photos of {}×{}: {:.0} MB, {:.1} to {:.1} MB each{}",
        spec.width,
        spec.height,
        total as f64 / 1e6,
        min as f64 / 1e6,
        max as f64 / 1e6,
        if gen_s > 0.0 {
            format!(" (generated in {gen_s:.1} s, not timed)")
        } else {
            " (from the cache)".into()
        }
    );
    if args.generate_only {
        return Ok(());
    }
    let folio = args
        .folio
        .clone()
        .context("--folio is needed to start the worker")?;
    let base = args.url.trim_end_matches('/').to_owned();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(900))
        .build()?;
    let (token, user) = signup(&http, &base).await?;

    let start = Instant::now();
    let mut ids = Vec::with_capacity(photos.len());
    for chunk in photos.chunks(args.files_per_request.max(1)) {
        ids.extend(upload(&http, &base, &token, chunk).await?);
    }
    println!(
        "uploaded {} photos in {:.1} s (not timed)",
        ids.len(),
        start.elapsed().as_secs_f64()
    );

    // Every book first, then the renders: the server is quiet while a worker renders.
    let mut books = Vec::new();
    for &n in &args.pages {
        let project = write_book(
            &http,
            &base,
            &token,
            &user,
            &args.product,
            n,
            &ids[..n * args.photos_per_page],
            args.photos_per_page,
        )
        .await?;
        println!("book of {n} pages written: project {project}");
        let mb = photos[..n * args.photos_per_page]
            .iter()
            .map(|p| p.jpeg.len())
            .sum::<usize>() as f64
            / 1e6;
        books.push((n, project, mb));
    }

    let mut reports = Vec::new();
    for (n, project, mb) in books {
        let report = render(&http, &base, &token, &args, &folio, n, &project, mb).await?;
        println!(
            "{n} pages, {} photos: {:.1} s ({:.2} pages/s; job {:.1} s), peak RSS {:.0} MiB (sampled {:.0}, idle {:.0}), interior {:.1} MiB, cover {:.0} KiB",
            report.photos, report.wall_s, report.pages_per_s, report.job_s, report.peak_rss_mib, report.sampled_peak_rss_mib, report.worker_idle_rss_mib, report.interior_mib, report.cover_kib
        );
        if let Some(path) = &args.json {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))?;
            writeln!(f, "{}", serde_json::to_string(&report)?)?;
        }
        reports.push(report);
    }
    println!(
        "\n| pages | photos | wall s | pages/s | peak RSS MiB | interior PDF MiB | cover PDF KiB |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in &reports {
        println!(
            "| {} | {} | {:.1} | {:.2} | {:.0} | {:.1} | {:.0} |",
            r.pages, r.photos, r.wall_s, r.pages_per_s, r.peak_rss_mib, r.interior_mib, r.cover_kib
        );
    }
    Ok(())
}

async fn signup(http: &reqwest::Client, base: &str) -> anyhow::Result<(String, String)> {
    let email = format!("print-{}@loadtest.invalid", uuid::Uuid::new_v4().simple());
    let res = http
        .post(format!("{base}/api/auth/signup"))
        .json(&json!({"email": email, "name": "Print Bench", "password": "load-test-password"}))
        .send()
        .await
        .with_context(|| format!("signing up at {base}"))?;
    if !res.status().is_success() {
        bail!(
            "signup at {base} failed with {}: {}",
            res.status(),
            res.text().await.unwrap_or_default()
        );
    }
    let body: Value = res.json().await?;
    Ok((
        body["token"].as_str().context("no token")?.to_owned(),
        body["user"]["id"]
            .as_str()
            .context("no user id")?
            .to_owned(),
    ))
}

async fn upload(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    photos: &[Photo],
) -> anyhow::Result<Vec<String>> {
    let mut form = reqwest::multipart::Form::new();
    for p in photos {
        let part = reqwest::multipart::Part::stream_with_length(
            reqwest::Body::from(p.jpeg.clone()),
            p.jpeg.len() as u64,
        )
        .file_name(p.name.clone())
        .mime_str("image/jpeg")?;
        form = form.part("file", part);
    }
    let res = http
        .post(format!("{base}/api/photos"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() || body["errors"].as_array().is_some_and(|e| !e.is_empty()) {
        bail!("upload failed with {status}: {body}");
    }
    let ids: Vec<String> = body["photos"]
        .as_array()
        .context("no photos")?
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_owned))
        .collect();
    if ids.len() != photos.len() {
        bail!(
            "uploaded {} photos, got {} ids: {body}",
            photos.len(),
            ids.len()
        );
    }
    Ok(ids)
}

fn item(user: &str, id: String, kind: ItemKind, bbox: [f64; 5], z: f64) -> NewItem {
    NewItem {
        id,
        kind,
        bbox,
        z,
        created_by: user.to_owned(),
        photo: None,
        text: None,
        style: Style::default(),
        slot: None,
    }
}

/// Slots of a page: one tall photo on the left, two on the right, a caption below; inside
/// the safe area of the square page.
const SLOTS: [[f64; 5]; 3] = [
    [-0.24, 0.0, 0.44, 0.8, 0.0],
    [0.24, -0.2, 0.44, 0.38, 0.0],
    [0.24, 0.2, 0.44, 0.38, 0.0],
];
const CAPTION: [f64; 5] = [0.0, 0.44, 0.6, 0.05, 0.0];

/// Creates a project on `product` and writes `pages` pages through a live client: each with
/// `per_page` of `photos` (in order) and a caption. Waits until a fresh client sees them all.
#[allow(clippy::too_many_arguments)]
async fn write_book(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    user: &str,
    product: &str,
    pages: usize,
    photos: &[String],
    per_page: usize,
) -> anyhow::Result<String> {
    let res = http
        .post(format!("{base}/api/projects"))
        .bearer_auth(token)
        .json(&json!({"title": format!("Print bench {pages}"), "product": product}))
        .send()
        .await?;
    if !res.status().is_success() {
        bail!(
            "creating a project failed with {}: {}",
            res.status(),
            res.text().await.unwrap_or_default()
        );
    }
    let body: Value = res.json().await?;
    let project = body["project"]["id"]
        .as_str()
        .context("no project id")?
        .to_owned();
    let url = format!(
        "{}/ws/projects/{project}?token={token}",
        base.replacen("http", "ws", 1)
    );
    let addr = RoomAddr {
        url: url.clone(),
        node: 0,
        urls: vec![url],
        framing: Framing::YWebsocket,
        auth: None,
        user: user.to_owned(),
    };
    let mut session = Session::open(&addr, Duration::from_secs(30)).await?;
    // A few pages per update, well under the frame limit.
    for first in (0..pages).step_by(10) {
        session
            .edit(|txn| {
                for p in first..(first + 10).min(pages) {
                    let page = NewPage {
                        id: format!("bench-page-{p:03}"),
                        kind: PageKind::Page,
                        layout: None,
                        background: Background::default(),
                        created_by: user.to_owned(),
                        auto: false,
                    };
                    let id = model::add_page(txn, p as u32, page).expect("add page");
                    for (s, slot) in SLOTS.iter().enumerate().take(per_page) {
                        let photo = &photos[p * per_page + s];
                        let it = NewItem {
                            photo: Some(PhotoRef {
                                id: photo.clone(),
                                pan: [0.0, 0.0],
                                zoom: 1.0,
                            }),
                            ..item(
                                user,
                                format!("bench-{p:03}-photo-{s}"),
                                ItemKind::Photo,
                                *slot,
                                1.0 + s as f64,
                            )
                        };
                        model::add_item(txn, &id, it).expect("add photo");
                    }
                    let caption = NewItem {
                        text: Some(format!(
                            "Page {} of the print benchmark: three photos and this caption.",
                            p + 1
                        )),
                        ..item(
                            user,
                            format!("bench-{p:03}-caption"),
                            ItemKind::Text,
                            CAPTION,
                            10.0,
                        )
                    };
                    model::add_item(txn, &id, caption).expect("add caption");
                }
            })
            .await?;
    }
    // The server relays (and serves) an update once it is durable: wait until a fresh
    // client's first sync holds every page.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let witness = Session::open(&addr, Duration::from_secs(30)).await?;
        let seen = model::read_book(&witness.doc.transact())
            .map(|b| b.pages.len())
            .unwrap_or(0);
        witness.close().await;
        if seen == pages {
            break;
        }
        if Instant::now() > deadline {
            bail!("only {seen} of {pages} pages arrived");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    session.close().await;
    Ok(project)
}

#[allow(clippy::too_many_arguments)]
async fn render(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    args: &Args,
    folio: &PathBuf,
    pages: usize,
    project: &str,
    photo_mb: f64,
) -> anyhow::Result<RenderReport> {
    let log = match &args.log_dir {
        Some(dir) => Stdio::from(std::fs::File::create(
            dir.join(format!("worker-{pages}.log")),
        )?),
        None => Stdio::null(),
    };
    let mut cmd = match &args.worker_cpus {
        Some(cpus) => {
            let mut c = tokio::process::Command::new("taskset");
            c.args(["-c", cpus]).arg(folio);
            c
        }
        None => tokio::process::Command::new(folio),
    };
    cmd.arg("worker").args([
        "--workers",
        "1",
        "--job-poll-ms",
        "100",
        "--proactive-min",
        "0",
        "--version-interval-s",
        "0",
        "--log",
        "warn",
    ]);
    cmd.args(&args.worker_args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true);
    let mut worker = cmd.spawn().context("starting folio worker")?;
    let pid = worker.id().context("worker pid")?;
    // Let it start and settle (taskset execs folio in the same process).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    if let Some(status) = worker.try_wait()? {
        bail!("the worker exited at once ({status}); see its log");
    }
    let idle = proc_stats::rss_bytes(pid).unwrap_or(0);

    let stop = Arc::new(AtomicBool::new(false));
    let sampled = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, sampled, every) = (
            stop.clone(),
            sampled.clone(),
            Duration::from_millis(args.sample_ms.max(1)),
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Some(rss) = proc_stats::rss_bytes(pid) {
                    sampled.fetch_max(rss, Ordering::Relaxed);
                }
                std::thread::sleep(every);
            }
        })
    };

    let start = Instant::now();
    let res = http
        .post(format!("{base}/api/projects/{project}/renders"))
        .bearer_auth(token)
        .json(&json!({"product": args.product, "force": true}))
        .send()
        .await?;
    if res.status().as_u16() != 202 {
        bail!(
            "render refused with {}: {}",
            res.status(),
            res.text().await.unwrap_or_default()
        );
    }
    let body: Value = res.json().await?;
    let job_id = body["job"]["id"].as_str().context("no job id")?.to_owned();
    let job = loop {
        let res = http
            .get(format!("{base}/api/jobs/{job_id}"))
            .bearer_auth(token)
            .send()
            .await?;
        let body: Value = res.json().await?;
        let state = body["job"]["state"].as_str().unwrap_or_default();
        if state == "done" || state == "failed" {
            break body["job"].clone();
        }
        if start.elapsed() > Duration::from_secs(900) {
            bail!("the render did not finish in 15 minutes: {body}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let wall = start.elapsed().as_secs_f64();
    let peak = proc_stats::peak_rss_bytes(pid).unwrap_or(0);
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let _ = worker.start_kill();
    let _ = worker.wait().await;
    if job["state"] != "done" {
        bail!("the render failed: {job}");
    }
    let result = &job["result"];
    if result["pages"].as_u64() != Some(pages as u64) {
        bail!("rendered {} pages, expected {pages}", result["pages"]);
    }
    let job_s = match (job["created_at"].as_str(), job["updated_at"].as_str()) {
        (Some(a), Some(b)) => parse_ms(b)
            .zip(parse_ms(a))
            .map(|(b, a)| (b - a) as f64 / 1000.0)
            .unwrap_or(f64::NAN),
        _ => f64::NAN,
    };
    let interior = download_len(
        http,
        base,
        token,
        result["interior_url"].as_str().context("no interior url")?,
    )
    .await?;
    let cover = download_len(
        http,
        base,
        token,
        result["cover"]["url"].as_str().context("no cover url")?,
    )
    .await?;
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    Ok(RenderReport {
        pages,
        photos: pages * args.photos_per_page,
        photo_mb,
        wall_s: wall,
        job_s,
        pages_per_s: pages as f64 / wall,
        peak_rss_mib: mib(peak),
        sampled_peak_rss_mib: mib(sampled.load(Ordering::Relaxed)),
        worker_idle_rss_mib: mib(idle),
        interior_mib: mib(interior),
        cover_kib: cover as f64 / 1024.0,
        spine_in: result["cover"]["spine_in"].as_f64().unwrap_or(f64::NAN),
        findings: result["findings"].as_array().map_or(0, Vec::len),
    })
}

/// Milliseconds since the epoch of an RFC 3339 time (UTC, as the server writes it).
fn parse_ms(t: &str) -> Option<i64> {
    // YYYY-MM-DDTHH:MM:SS(.fff…)Z or +00:00
    let (date, time) = t.split_once('T')?;
    let mut d = date.split('-').map(|v| v.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z');
    let time = time.split(['+']).next()?;
    let mut parts = time.split(':');
    let (h, mi) = (
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<i64>().ok()?,
    );
    let s: f64 = parts.next()?.parse().ok()?;
    // Days from civil (Howard Hinnant).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60) as f64 * 1000.0 + s * 1000.0).round() as i64)
}

async fn download_len(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
) -> anyhow::Result<u64> {
    use futures_util::StreamExt;
    let res = http
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("GET {path}: {}", res.status());
    }
    let mut len = 0u64;
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        len += chunk?.len() as u64;
    }
    Ok(len)
}
