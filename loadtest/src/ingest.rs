//! The ingest benchmark: upload 12-megapixel JPEGs to Folio's `POST /api/photos` in
//! requests of N files each, one request at a time, and report photos per second, megabytes
//! per second and the server's memory.
//!
//! Memory is read from `/proc/<pid>/status` of the server:
//! - `VmHWM`, the process's peak resident set since it started. It is exact (no sampling can
//!   miss a spike) but covers the whole process lifetime, so it is one setting's own peak only
//!   when the setting runs against a freshly started server (as `bench-ingest.sh` does: one
//!   fresh server per setting, one setting per run of this command);
//! - `VmRSS`, sampled every `--sample-ms` during the uploads; its maximum is a setting's own
//!   peak even when several settings share a server, give or take what falls between samples.
//!
//! The photos are generated before anything is timed (or loaded from `--cache-dir`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Serialize;
use serde_json::{json, Value};

use crate::photo_gen::{self, Photo, Spec};
use crate::proc_stats;

#[derive(clap::Args, Clone, Debug)]
pub struct IngestArgs {
    /// The server's HTTP base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The server's pid, for CPU and memory from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Files per request; each setting uploads `--photos` photos in requests of this many
    /// files. Comma-separated for several settings in one run (they then share the server,
    /// so only the first setting's VmHWM is its own; the sampled peak is per setting).
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    pub files_per_request: Vec<usize>,
    /// Photos uploaded per setting.
    #[arg(long, default_value_t = 48)]
    pub photos: usize,
    #[arg(long, default_value_t = 4000)]
    pub width: u32,
    #[arg(long, default_value_t = 3000)]
    pub height: u32,
    #[arg(long, default_value_t = 92)]
    pub quality: u8,
    #[arg(long, default_value_t = 0x00f0_1105)]
    pub seed: u64,
    /// Keep the generated JPEGs here and reuse them in later runs (generation of 48
    /// 12-megapixel photos takes a minute or so).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Only generate (or check) the photos, print their sizes, and stop.
    #[arg(long)]
    pub generate_only: bool,
    /// How often to sample the server's VmRSS during the uploads, in milliseconds.
    #[arg(long, default_value_t = 20)]
    pub sample_ms: u64,
    /// Append each setting's result as a JSON line to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// A free-form label written into the JSON (e.g. the server build).
    #[arg(long)]
    pub label: Option<String>,
}

/// One setting's results.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub bench: &'static str,
    pub label: Option<String>,
    pub files_per_request: usize,
    pub photos: usize,
    pub requests: usize,
    pub width: u32,
    pub height: u32,
    /// Sum of the uploaded files' sizes.
    pub bytes: u64,
    pub mean_file_mb: f64,
    pub wall_s: f64,
    pub photos_per_s: f64,
    /// Megabytes (10^6 bytes) of JPEG per second.
    pub mb_per_s: f64,
    pub request_ms_min: f64,
    pub request_ms_median: f64,
    pub request_ms_max: f64,
    pub server_cpu_s: Option<f64>,
    pub server_cpu_s_per_photo: Option<f64>,
    /// Server VmRSS just before the first upload of this setting.
    pub rss_before_mb: Option<f64>,
    /// Highest VmRSS sampled during this setting's uploads.
    pub rss_peak_sampled_mb: Option<f64>,
    pub rss_samples: u64,
    /// Server VmHWM (lifetime peak) just before and just after this setting's uploads.
    pub hwm_before_mb: Option<f64>,
    pub hwm_after_mb: Option<f64>,
    /// Whether VmHWM after the setting is this setting's own peak: true for the first
    /// setting of a run (the server is assumed fresh; bench-ingest.sh makes sure it is).
    pub hwm_is_own: bool,
    pub rss_after_mb: Option<f64>,
    /// Files the server refused or failed (must be 0), and requests that were not 200.
    pub file_errors: usize,
    pub failed_requests: usize,
    pub first_error: Option<String>,
}

fn mb(b: Option<u64>) -> Option<f64> {
    b.map(|b| b as f64 / (1024.0 * 1024.0))
}

/// Runs the benchmark as the command line asks.
pub async fn run(args: &IngestArgs) -> anyhow::Result<Vec<IngestReport>> {
    if args.files_per_request.contains(&0) {
        bail!("--files-per-request must be at least 1");
    }
    let spec = Spec {
        width: args.width,
        height: args.height,
        quality: args.quality,
        seed: args.seed,
    };
    let (count, cache) = (args.photos, args.cache_dir.clone());
    let (photos, gen_s) =
        tokio::task::spawn_blocking(move || photo_gen::generate_all(spec, count, cache.as_deref()))
            .await??;
    let total: u64 = photos.iter().map(|p| p.jpeg.len() as u64).sum();
    let (min, max) = (
        photos.iter().map(|p| p.jpeg.len()).min().unwrap_or(0),
        photos.iter().map(|p| p.jpeg.len()).max().unwrap_or(0),
    );
    println!(
        "{} photos of {}×{} ({:.1} MP), JPEG quality {}: {:.1} MB in all, {:.2} to {:.2} MB each{}",
        photos.len(),
        spec.width,
        spec.height,
        spec.width as f64 * spec.height as f64 / 1e6,
        spec.quality,
        total as f64 / 1e6,
        min as f64 / 1e6,
        max as f64 / 1e6,
        if gen_s > 0.0 {
            format!(" (generated in {gen_s:.1} s, not timed)")
        } else {
            " (from the cache)".into()
        },
    );
    if args.generate_only {
        return Ok(Vec::new());
    }

    let base = args.url.trim_end_matches('/').to_owned();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(900))
        .build()?;
    let token = signup(&http, &base).await?;
    let mut reports = Vec::new();
    for (i, &n) in args.files_per_request.iter().enumerate() {
        let report = setting(&http, &base, &token, &photos, n, args, i == 0).await?;
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
    Ok(reports)
}

async fn signup(http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let email = format!("ingest-{}@loadtest.invalid", uuid::Uuid::new_v4().simple());
    let res = http
        .post(format!("{base}/api/auth/signup"))
        .json(&json!({"email": email, "name": "Ingest Bench", "password": "load-test-password"}))
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
    Ok(body["token"]
        .as_str()
        .context("signup returned no token")?
        .to_owned())
}

/// Samples a process's VmRSS on a thread of its own until dropped.
struct Sampler {
    stop: Arc<AtomicBool>,
    max: Arc<AtomicU64>,
    samples: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(pid: u32, every: Duration) -> Sampler {
        let (stop, max, samples) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        let thread = {
            let (stop, max, samples) = (stop.clone(), max.clone(), samples.clone());
            std::thread::spawn(move || loop {
                if let Some(rss) = proc_stats::rss_bytes(pid) {
                    max.fetch_max(rss, Ordering::Relaxed);
                    samples.fetch_add(1, Ordering::Relaxed);
                }
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(every);
            })
        };
        Sampler {
            stop,
            max,
            samples,
            thread: Some(thread),
        }
    }

    /// Stops sampling (after one last sample) and returns the highest VmRSS seen and the
    /// number of samples.
    fn finish(mut self) -> (Option<u64>, u64) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let max = self.max.load(Ordering::Relaxed);
        (
            (max > 0).then_some(max),
            self.samples.load(Ordering::Relaxed),
        )
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Uploads every photo in requests of `n` files, one request after the other.
async fn setting(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    photos: &[Photo],
    n: usize,
    args: &IngestArgs,
    first: bool,
) -> anyhow::Result<IngestReport> {
    let pid = args.server_pid;
    let cpu_before = pid.and_then(proc_stats::cpu_seconds);
    let rss_before = pid.and_then(proc_stats::rss_bytes);
    let hwm_before = pid.and_then(proc_stats::peak_rss_bytes);
    let sampler = pid.map(|p| Sampler::start(p, Duration::from_millis(args.sample_ms.max(1))));
    let file_errors = AtomicUsize::new(0);
    let mut failed_requests = 0;
    let mut first_error: Option<String> = None;
    let mut request_ms = Vec::new();
    let bytes: u64 = photos.iter().map(|p| p.jpeg.len() as u64).sum();

    let start = Instant::now();
    for chunk in photos.chunks(n) {
        let mut form = reqwest::multipart::Form::new();
        for p in chunk {
            let part = reqwest::multipart::Part::stream_with_length(
                reqwest::Body::from(p.jpeg.clone()),
                p.jpeg.len() as u64,
            )
            .file_name(p.name.clone())
            .mime_str("image/jpeg")?;
            form = form.part("file", part);
        }
        let t0 = Instant::now();
        let res = http
            .post(format!("{base}/api/photos"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await;
        let outcome = match res {
            Ok(res) => {
                let status = res.status();
                let text = res.text().await.unwrap_or_default();
                request_ms.push(t0.elapsed().as_secs_f64() * 1e3);
                check(status, &text, chunk.len(), &file_errors)
            }
            Err(e) => {
                request_ms.push(t0.elapsed().as_secs_f64() * 1e3);
                Err(format!("request failed: {e}"))
            }
        };
        if let Err(e) = outcome {
            failed_requests += 1;
            first_error.get_or_insert(e);
        }
    }
    let wall = start.elapsed().as_secs_f64();

    let (rss_peak, rss_samples) = sampler.map(Sampler::finish).unwrap_or((None, 0));
    let cpu = match (cpu_before, pid.and_then(proc_stats::cpu_seconds)) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    request_ms.sort_by(f64::total_cmp);
    let count = photos.len();
    Ok(IngestReport {
        bench: "ingest",
        label: args.label.clone(),
        files_per_request: n,
        photos: count,
        requests: count.div_ceil(n),
        width: args.width,
        height: args.height,
        bytes,
        mean_file_mb: bytes as f64 / count.max(1) as f64 / 1e6,
        wall_s: wall,
        photos_per_s: count as f64 / wall,
        mb_per_s: bytes as f64 / 1e6 / wall,
        request_ms_min: request_ms.first().copied().unwrap_or(0.0),
        request_ms_median: request_ms.get(request_ms.len() / 2).copied().unwrap_or(0.0),
        request_ms_max: request_ms.last().copied().unwrap_or(0.0),
        server_cpu_s: cpu,
        server_cpu_s_per_photo: cpu.map(|c| c / count.max(1) as f64),
        rss_before_mb: mb(rss_before),
        rss_peak_sampled_mb: mb(rss_peak),
        rss_samples,
        hwm_before_mb: mb(hwm_before),
        hwm_after_mb: mb(pid.and_then(proc_stats::peak_rss_bytes)),
        hwm_is_own: first,
        rss_after_mb: mb(pid.and_then(proc_stats::rss_bytes)),
        file_errors: file_errors.into_inner(),
        failed_requests,
        first_error,
    })
}

/// Checks one upload's answer: 200 with every file in `photos` and none in `errors`.
fn check(
    status: reqwest::StatusCode,
    body: &str,
    sent: usize,
    file_errors: &AtomicUsize,
) -> Result<(), String> {
    let short = |s: &str| s.chars().take(400).collect::<String>();
    if status != reqwest::StatusCode::OK {
        file_errors.fetch_add(sent, Ordering::Relaxed);
        return Err(format!("{status}: {}", short(body)));
    }
    let v: Value = serde_json::from_str(body)
        .map_err(|e| format!("200 with a body that is not JSON ({e}): {}", short(body)))?;
    let stored = v["photos"].as_array().map(Vec::len).unwrap_or(0);
    let errors = v["errors"].as_array().map(Vec::len).unwrap_or(0);
    if stored != sent || errors > 0 {
        file_errors.fetch_add(sent.saturating_sub(stored).max(errors), Ordering::Relaxed);
        return Err(format!(
            "sent {sent} files, {stored} stored, {errors} errors: {}",
            short(&v["errors"].to_string())
        ));
    }
    Ok(())
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "-".into())
}

/// A table for people, then one JSON line per setting.
pub fn print(reports: &[IngestReport]) {
    println!(
        "{:>9} {:>6} {:>5} {:>8} {:>7} {:>8} {:>6} {:>9} {:>9} {:>8} {:>9} {:>10} {:>9} {:>6}",
        "files/req",
        "photos",
        "reqs",
        "MB sent",
        "wall s",
        "photos/s",
        "MB/s",
        "req p50ms",
        "req maxms",
        "cpu s/ph",
        "RSS0 MiB",
        "peakRSS MiB",
        "HWM MiB",
        "errors"
    );
    for r in reports {
        println!(
            "{:>9} {:>6} {:>5} {:>8.1} {:>7.2} {:>8.2} {:>6.1} {:>9.0} {:>9.0} {:>8} {:>9} {:>10} {:>9} {:>6}",
            r.files_per_request,
            r.photos,
            r.requests,
            r.bytes as f64 / 1e6,
            r.wall_s,
            r.photos_per_s,
            r.mb_per_s,
            r.request_ms_median,
            r.request_ms_max,
            opt(r.server_cpu_s_per_photo, 3),
            opt(r.rss_before_mb, 1),
            opt(r.rss_peak_sampled_mb, 1),
            if r.hwm_is_own { opt(r.hwm_after_mb, 1) } else { format!("({})", opt(r.hwm_after_mb, 0)) },
            r.file_errors,
        );
        if let Some(e) = &r.first_error {
            println!("    first error: {e}");
        }
    }
    if reports.iter().any(|r| !r.hwm_is_own) {
        println!("    (HWM in parentheses: VmHWM is the server's lifetime peak, which includes the earlier settings of this run; use peakRSS, or one fresh server per setting)");
    }
    for r in reports {
        println!("{}", serde_json::to_string(r).expect("report serialises"));
    }
}
