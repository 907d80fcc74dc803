//! Folio server library: `run` starts a node on a listener; `main.rs` only parses config.

pub mod auth;
pub mod http;
pub mod jobs;
pub mod limits;
mod observe;
pub mod passwords;
pub mod photos;
pub mod presence;
pub mod print;
pub mod sync;

// The shared vocabulary moved to its own crate; re-exported so `crate::ids` and friends keep
// naming the same things across the server while the rest of the house moves out.
pub use folio_automix as automix;
pub use folio_blob as blob;
pub use folio_domain::{access, config, events, ids};
pub use folio_fanout as fanout;
pub use folio_layouts::{self as layouts, artwork as assets};
pub use folio_store as store;
pub use jobs::{automix as automix_job, proactive, versions};

use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use blob::{BlobStore, LocalBlobStore, S3BlobStore, S3Settings};
use config::Config;
use fanout::{Fanout, LocalFanout, RedisFanout};
use store::{PgStore, SqliteStore, Store};
use sync::SyncService;

/// Everything a request handler may reach.
#[derive(Clone)]
pub struct AppState {
    pub cfg: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn BlobStore>,
    pub fanout: Arc<dyn Fanout>,
    pub sync: SyncService,
    pub jobs: jobs::Queue,
    pub photos: photos::Library,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Login, sign-up and connection limits (SPEC §15).
    pub limits: Arc<limits::Limits>,
    /// Password hashing, bounded in how many run at once.
    pub passwords: passwords::Passwords,
    /// Where handlers raise domain events; the subscribers are registered in `build_state`.
    pub events: events::Events,
}

async fn open_store(cfg: &Config) -> anyhow::Result<Arc<dyn Store>> {
    match cfg.database_url.as_deref() {
        None => {
            tokio::fs::create_dir_all(&cfg.data_dir)
                .await
                .with_context(|| format!("creating data folder {}", cfg.data_dir.display()))?;
            let store = SqliteStore::open(&cfg.sqlite_path(), cfg.durability)
                .await
                .with_context(|| format!("opening {}", cfg.sqlite_path().display()))?;
            Ok(Arc::new(store))
        }
        Some(url) if url.starts_with("sqlite:") => {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            Ok(Arc::new(
                SqliteStore::open(path.as_ref(), cfg.durability)
                    .await
                    .with_context(|| format!("opening {url}"))?,
            ))
        }
        Some(url) if url.starts_with("postgres:") || url.starts_with("postgresql:") => {
            let store = PgStore::open(url, cfg.durability)
                .await
                .with_context(|| format!("opening PostgreSQL at {}", redact(url)))?;
            Ok(Arc::new(store))
        }
        Some(_) => anyhow::bail!("DATABASE_URL must start with sqlite: or postgres:"),
    }
}

/// A database URL without its user and password, for messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    match authority.rfind('@') {
        Some(at) => format!("{scheme}://…@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// The S3 bucket when S3_BUCKET is set, checked reachable now; else the local blob folder.
async fn open_blobs(cfg: &Config) -> anyhow::Result<Arc<dyn BlobStore>> {
    let Some(settings) = S3Settings::from_config(cfg)? else {
        let dir = cfg.blob_dir();
        let local = LocalBlobStore::open(dir.clone())
            .await
            .with_context(|| format!("creating blob folder {}", dir.display()))?;
        return Ok(Arc::new(local));
    };
    let s3 = S3BlobStore::new(settings).await;
    s3.check_bucket()
        .await
        .context("S3 blob storage (S3_BUCKET) is not usable")?;
    Ok(Arc::new(s3))
}

/// Builds every part of a node from its config.
pub async fn build_state(cfg: Config) -> anyhow::Result<AppState> {
    let cfg = Arc::new(cfg);
    // The embedded layout library is checked once, before serving anything.
    layouts::Library::get();
    let node_id = uuid::Uuid::new_v4();
    let store = open_store(&cfg).await?;
    let blobs = open_blobs(&cfg).await?;
    let fanout: Arc<dyn Fanout> = match cfg.redis_url.as_deref() {
        None => Arc::new(LocalFanout::new()),
        Some(url) => Arc::new(RedisFanout::connect(url, node_id).await?),
    };
    let presence = match cfg.redis_url.as_deref() {
        None => presence::Presence::local(),
        Some(url) => presence::Presence::with_redis(url, node_id)
            .await
            .map_err(anyhow::Error::msg)?,
    };
    let jobs = jobs::Queue::new(store.clone());
    let sync = SyncService::new(
        cfg.clone(),
        store.clone(),
        fanout.clone(),
        node_id,
        Arc::new(VersionJobs(jobs.clone())),
        presence,
    );
    let photos = photos::Library::new(
        store.clone(),
        blobs.clone(),
        cfg.photo_max_pixels,
        cfg.photo_decoders,
    );
    // What follows a change, in order: live clients hear of it, then proactive books are
    // queued. Each subscriber is done before the handler that raised the event answers.
    let events = events::Events::new(vec![
        Arc::new(http::subscribers::LiveClients::new(fanout.clone())),
        Arc::new(http::subscribers::ProactiveBooks::new(
            cfg.clone(),
            jobs.clone(),
        )),
    ]);
    let limits = Arc::new(limits::Limits::new(&cfg));
    let passwords = passwords::Passwords::new(
        cfg.password_hashes(),
        std::time::Duration::from_millis(cfg.password_hash_wait_ms),
    )
    .context("starting the password hashing threads")?;
    Ok(AppState {
        cfg,
        store,
        blobs,
        fanout,
        sync,
        jobs,
        photos,
        metrics: observe::metrics_handle(),
        limits,
        passwords,
        events,
    })
}

/// Rooms ask for periodic versions through this: the job queue keeps one due per book
/// across nodes (its dedupe key), and a worker takes it.
struct VersionJobs(jobs::Queue);

impl sync::VersionDue for VersionJobs {
    fn version_due(&self, project: ids::ProjectId, after: Duration) {
        let job = jobs::Queue::version_job(
            project,
            jobs::VersionJob {
                reason: store::VersionReason::Auto,
                unless_unchanged: true,
            },
            None,
            after,
        );
        let queue = self.0.clone();
        tokio::spawn(async move {
            if let Err(e) = queue.enqueue(job).await {
                tracing::warn!(%project, error = %e, "queueing a periodic version failed");
            }
        });
    }
}

impl AppState {
    pub fn worker_deps(&self) -> jobs::WorkerDeps {
        jobs::WorkerDeps {
            cfg: self.cfg.clone(),
            store: self.store.clone(),
            blobs: self.blobs.clone(),
            fanout: self.fanout.clone(),
            docs: Arc::new(self.sync.clone()),
        }
    }
}

/// Runs job workers only (`folio worker`) until `shutdown` resolves. A job running then is
/// left to its lease: another worker takes it over.
pub async fn run_worker(cfg: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    anyhow::ensure!(
        cfg.workers >= 1,
        "folio worker needs --workers (FOLIO_WORKERS) of at least 1"
    );
    let cfg = Arc::new(cfg);
    let store = open_store(&cfg).await?;
    let blobs = open_blobs(&cfg).await?;
    let queue = jobs::Queue::new(store.clone());
    // Job events reach the serving nodes' SSE streams through Redis.
    let fanout: Arc<dyn Fanout> = match cfg.redis_url.as_deref() {
        None => Arc::new(LocalFanout::new()),
        Some(url) => Arc::new(RedisFanout::connect(url, uuid::Uuid::new_v4()).await?),
    };
    let deps = jobs::WorkerDeps {
        cfg: cfg.clone(),
        docs: Arc::new(jobs::LogWriter::new(store.clone(), fanout.clone())),
        store,
        blobs,
        fanout,
    };
    let mut workers = jobs::spawn_workers(deps, jobs::registry(), &queue, cfg.workers);
    println!("folio worker running {} job(s) at a time", cfg.workers);
    tracing::info!(workers = cfg.workers, "worker started");
    shutdown.await;
    tracing::info!("worker stopping");
    workers.abort_all();
    while workers.join_next().await.is_some() {}
    Ok(())
}

/// Serves a node on `listener` until `shutdown` resolves, then flushes every document and
/// closes every socket with 1012 before returning.
pub async fn run(
    listener: TcpListener,
    cfg: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = build_state(cfg).await?;
    let grace = Duration::from_secs(state.cfg.shutdown_grace_s);
    let mut workers = jobs::spawn_workers(
        state.worker_deps(),
        jobs::registry(),
        &state.jobs,
        state.cfg.workers,
    );
    let sync = state.sync.clone();
    let app = http::router(state);
    let (flushed_tx, flushed_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: flushing documents");
        sync.shutdown().await;
        let _ = flushed_tx.send(());
    };
    // Sync messages are small and latency-bound: without TCP_NODELAY, Nagle's algorithm
    // meets the peer's delayed ACK and holds frames for about 40 ms.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    // The peer address is what the per-address login and sign-up limits count.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let serve = axum::serve(listener, app)
        .with_graceful_shutdown(signal)
        .into_future();
    // Every document is flushed before the grace period starts; after it, connections that
    // are still open (a long download, an event stream) are cut so the node exits.
    let grace_over = async move {
        if flushed_rx.await.is_err() {
            return std::future::pending().await;
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        res = serve => res.context("serving HTTP")?,
        _ = grace_over => tracing::warn!(grace_s = grace.as_secs(), "shutdown grace period over; closing the connections still open"),
    }
    // A job cut off here is taken over by a worker elsewhere once its lease lapses.
    workers.abort_all();
    Ok(())
}

pub use observe::init_logging;
