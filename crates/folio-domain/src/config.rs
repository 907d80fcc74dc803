//! The one typed configuration of a Folio node, built from flags and environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Command line of the `folio` binary.
#[derive(Debug, Parser)]
#[command(
    name = "folio",
    version,
    about = "Folio: a real-time collaborative photo-book server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Used when no subcommand is given: plain `folio` means `folio serve`.
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API and WebSocket sync (the default). Also runs `--workers` job
    /// workers in-process.
    Serve(Config),
    /// Run job workers only (automix, print, versions), sharing the store's job queue with
    /// every other node. Needs the same DATABASE_URL and blob settings as the servers.
    Worker(Config),
}

/// How hard an accepted update is pushed to disk before it is relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Durability {
    /// Survives a crash of the folio process (SQLite WAL with synchronous=NORMAL).
    Process,
    /// Survives power loss as well (SQLite synchronous=FULL, Postgres synchronous_commit=on).
    Power,
}

/// Every setting of a node. Each has a documented default; nothing else reads the environment.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Take a version of a book at most this often while it is being edited, in seconds
    /// (SPEC §7). 0 turns periodic versions off.
    #[arg(long, env = "FOLIO_VERSION_INTERVAL_S", default_value_t = 300)]
    pub version_interval_s: u64,

    /// Jobs this process runs at once. `folio serve` runs them in-process (0: none, leave
    /// them to `folio worker` processes); `folio worker` needs at least 1.
    #[arg(long, env = "FOLIO_WORKERS", default_value_t = 2)]
    pub workers: usize,

    /// How long a worker's claim on a job lasts without renewal, in seconds. A job whose
    /// worker died is taken over by another worker after this.
    #[arg(long, env = "FOLIO_JOB_LEASE_S", default_value_t = 30)]
    pub job_lease_s: u64,

    /// How often an idle worker looks for work, in milliseconds.
    #[arg(long, env = "FOLIO_JOB_POLL_MS", default_value_t = 500)]
    pub job_poll_ms: u64,

    /// Fault-injection aid for tests: a worker waits this long, holding the lease, before
    /// running each job it claims, in milliseconds. Leave at 0.
    #[arg(long, env = "FOLIO_JOB_HOLD_MS", default_value_t = 0)]
    pub job_hold_ms: u64,

    /// Address to listen on. Port 0 picks a free port.
    #[arg(long, env = "FOLIO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Folder for the embedded SQLite database and the local blob store.
    #[arg(long, env = "FOLIO_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Relational store. Unset: SQLite at DATA_DIR/folio.db. `postgres://…` switches to PostgreSQL.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Redis for fan-out between nodes. Unset: in-process fan-out (one node).
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Folder of the built web client served at `/`. Unset: client-web/dist if it exists.
    #[arg(long, env = "FOLIO_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,

    /// `process` survives kill -9; `power` also survives power loss, at a throughput cost.
    #[arg(long, env = "FOLIO_DURABILITY", value_enum, default_value = "process")]
    pub durability: Durability,

    /// Lifetime of a login token, in seconds.
    #[arg(long, env = "FOLIO_TOKEN_TTL_S", default_value_t = 30 * 24 * 3600)]
    pub token_ttl_s: u64,

    /// Largest WebSocket message a client may send, in bytes (close 4413 beyond it).
    #[arg(long, env = "FOLIO_MAX_FRAME_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_frame_bytes: usize,

    /// Largest awareness state of one client, in bytes of JSON (close 4413 beyond it).
    #[arg(long, env = "FOLIO_MAX_AWARENESS_BYTES", default_value_t = 64 * 1024)]
    pub max_awareness_bytes: usize,

    /// Sustained messages per second one connection may send (close 4429 beyond it).
    #[arg(long, env = "FOLIO_RATE_PER_S", default_value_t = 500)]
    pub rate_per_s: u32,

    /// Burst of messages allowed above the sustained rate.
    #[arg(long, env = "FOLIO_RATE_BURST", default_value_t = 2000)]
    pub rate_burst: u32,

    /// Sustained document updates per second one connection may send, however many a frame
    /// carries (close 4429 beyond it). FOLIO_RATE_PER_S counts frames, and one frame may pack
    /// many updates; this bounds the updates the room validates and applies.
    #[arg(long, env = "FOLIO_UPDATES_PER_S", default_value_t = 500)]
    pub updates_per_s: u32,

    /// Burst of updates allowed above the sustained update rate.
    #[arg(long, env = "FOLIO_UPDATES_BURST", default_value_t = 2000)]
    pub updates_burst: u32,

    /// Live WebSocket connections one user may hold on this node; past it the upgrade is
    /// answered 429 with Retry-After.
    #[arg(long, env = "FOLIO_MAX_CONNECTIONS_PER_USER", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_user: u32,

    /// Live WebSocket connections on this node, all users together; past it the upgrade is
    /// answered 429 with Retry-After.
    #[arg(long, env = "FOLIO_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Books loaded on this node at once. While this many are loaded, a socket to another
    /// book is answered 429 (or closed 1013 if the book unloaded meanwhile); loaded books
    /// keep working, and server edits (automix, restore) still load theirs.
    #[arg(long, env = "FOLIO_MAX_ROOMS", default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_rooms: u32,

    /// Login attempts per account (email) within FOLIO_LOGIN_WINDOW_S: that many at once,
    /// then refilled evenly over the window; past it, 429 with Retry-After. 0: no limit.
    #[arg(long, env = "FOLIO_LOGIN_PER_ACCOUNT", default_value_t = 10)]
    pub login_per_account: u32,

    /// Login attempts per client address (IPv6: per /64) within FOLIO_LOGIN_WINDOW_S, for
    /// every account together. 0: no limit.
    #[arg(long, env = "FOLIO_LOGIN_PER_ADDRESS", default_value_t = 50)]
    pub login_per_address: u32,

    /// The window of the login limits, in seconds.
    #[arg(long, env = "FOLIO_LOGIN_WINDOW_S", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub login_window_s: u64,

    /// Sign-ups per client address (IPv6: per /64) within FOLIO_SIGNUP_WINDOW_S; past it,
    /// 429 with Retry-After. 0: no limit.
    #[arg(long, env = "FOLIO_SIGNUPS_PER_ADDRESS", default_value_t = 20)]
    pub signups_per_address: u32,

    /// The window of the sign-up limit, in seconds.
    #[arg(long, env = "FOLIO_SIGNUP_WINDOW_S", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub signup_window_s: u64,

    /// Password hashes (argon2id, 19 MiB of memory each) computed at once on this node
    /// (0: one per CPU). Logins and sign-ups beyond it wait their turn.
    #[arg(long, env = "FOLIO_MAX_PASSWORD_HASHES", default_value_t = 0)]
    pub max_password_hashes: usize,

    /// How long a login or sign-up waits for a hashing slot before it is answered 429 with
    /// Retry-After, in milliseconds.
    #[arg(long, env = "FOLIO_PASSWORD_HASH_WAIT_MS", default_value_t = 2000)]
    pub password_hash_wait_ms: u64,

    /// Messages queued for one slow connection before it is dropped with 4500. Sized so 1,500
    /// people editing one book at once (the crowd scenario) do not overflow it.
    #[arg(long, env = "FOLIO_OUTBOUND_QUEUE", default_value_t = 4096)]
    pub outbound_queue: usize,

    /// Seconds between server pings; a peer silent for three intervals is dropped.
    #[arg(long, env = "FOLIO_PING_INTERVAL_S", default_value_t = 15)]
    pub ping_interval_s: u64,

    /// Seconds a document stays loaded with no connection before it is flushed and unloaded.
    #[arg(long, env = "FOLIO_IDLE_UNLOAD_S", default_value_t = 60)]
    pub idle_unload_s: u64,

    /// Seconds a node waits, after SIGTERM or SIGINT and the flush of every document, for
    /// its remaining HTTP connections (downloads, event streams) to end before it exits.
    #[arg(long, env = "FOLIO_SHUTDOWN_GRACE_S", default_value_t = 10)]
    pub shutdown_grace_s: u64,

    /// Update-log entries after which a document's log is folded into its snapshot.
    #[arg(long, env = "FOLIO_COMPACT_AFTER", default_value_t = 1000)]
    pub compact_after: u64,

    /// Largest JSON request body, in bytes.
    #[arg(long, env = "FOLIO_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest single file in a photo upload, in bytes.
    #[arg(long, env = "FOLIO_PHOTO_MAX_FILE_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub photo_max_file_bytes: u64,

    /// Largest photo upload request (all files together), in bytes.
    #[arg(long, env = "FOLIO_PHOTO_MAX_REQUEST_BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub photo_max_request_bytes: u64,

    /// Most pixels (width × height, from the header) a photo may declare; the
    /// decompression-bomb guard, checked before any decoding.
    #[arg(long, env = "FOLIO_PHOTO_MAX_PIXELS", default_value_t = 100_000_000)]
    pub photo_max_pixels: u64,

    /// Photos decoded and resized at once on this node (0: one per CPU). Bounds the memory
    /// that uploads take, whatever the number of files or requests.
    #[arg(long, env = "FOLIO_PHOTO_DECODERS", default_value_t = 0)]
    pub photo_decoders: usize,

    /// A group of photos (upload, album, tag, share) whose size enters this range gets a
    /// book designed by itself (SPEC §10.8). 0 turns proactive books off.
    #[arg(long, env = "FOLIO_PROACTIVE_MIN", default_value_t = 20)]
    pub proactive_min: i64,

    /// The same lower bound for a print selection.
    #[arg(long, env = "FOLIO_PROACTIVE_MIN_PRINT", default_value_t = 15)]
    pub proactive_min_print: i64,

    /// Groups larger than this get no proactive book.
    #[arg(long, env = "FOLIO_PROACTIVE_MAX", default_value_t = 2000)]
    pub proactive_max: i64,

    /// How long after a group changes its proactive book is (re)designed, in milliseconds;
    /// changes within this time are designed once.
    #[arg(long, env = "FOLIO_PROACTIVE_DELAY_MS", default_value_t = 3000)]
    pub proactive_delay_ms: u64,

    /// Log filter, in tracing-subscriber's EnvFilter syntax.
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log: String,

    /// S3 bucket for blobs (photos, snapshots, PDFs). Unset: the local folder DATA_DIR/blobs.
    #[arg(long, env = "S3_BUCKET")]
    pub s3_bucket: Option<String>,

    /// S3 endpoint URL, for S3-compatible servers (MinIO, s3s-fs, R2…). Unset: AWS for the region.
    #[arg(long, env = "S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// S3 region.
    #[arg(long, env = "S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    /// Address buckets as ENDPOINT/BUCKET rather than BUCKET.ENDPOINT (most S3-compatible servers need it).
    #[arg(long, env = "S3_FORCE_PATH_STYLE")]
    pub s3_force_path_style: bool,

    /// S3 access key id. Unset: the standard AWS credential chain (profile, web identity, ECS, IMDS).
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub s3_access_key_id: Option<String>,

    /// S3 secret access key, used together with the access key id.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<Secret>,

    /// S3 session token, for temporary credentials given with the access key id.
    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    pub s3_session_token: Option<Secret>,
}

/// A credential read from flags or environment. Its `Debug` never prints it, so a logged
/// `Config` leaks nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_owned())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Config {
    /// A configuration for tests: port 0, the given data folder, short timers.
    pub fn test(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            listen: "127.0.0.1:0".parse().expect("valid address"),
            data_dir: data_dir.into(),
            database_url: None,
            redis_url: None,
            static_dir: None,
            durability: Durability::Process,
            token_ttl_s: 3600,
            max_frame_bytes: 1024 * 1024,
            max_awareness_bytes: 16 * 1024,
            rate_per_s: 2000,
            rate_burst: 5000,
            updates_per_s: 2000,
            updates_burst: 5000,
            // Tests sign up, log in and connect many times from one address; the limits
            // suite lowers these.
            max_connections_per_user: 1000,
            max_connections: 10_000,
            max_rooms: 2000,
            login_per_account: 1000,
            login_per_address: 100_000,
            login_window_s: 300,
            signups_per_address: 100_000,
            signup_window_s: 3600,
            max_password_hashes: 2,
            password_hash_wait_ms: 10_000,
            outbound_queue: 1024,
            ping_interval_s: 15,
            idle_unload_s: 2,
            shutdown_grace_s: 10,
            compact_after: 50,
            max_body_bytes: 1024 * 1024,
            photo_max_file_bytes: 50 * 1024 * 1024,
            photo_max_request_bytes: 256 * 1024 * 1024,
            photo_max_pixels: 100_000_000,
            photo_decoders: 2,
            proactive_min: 20,
            proactive_min_print: 15,
            proactive_max: 2000,
            proactive_delay_ms: 200,
            log: "warn".into(),
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_force_path_style: false,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_session_token: None,
            version_interval_s: 300,
            workers: 1,
            job_lease_s: 5,
            job_poll_ms: 100,
            job_hold_ms: 0,
        }
    }

    pub fn job_lease(&self) -> Duration {
        Duration::from_secs(self.job_lease_s.max(1))
    }

    pub fn version_interval(&self) -> Option<Duration> {
        (self.version_interval_s > 0).then(|| Duration::from_secs(self.version_interval_s))
    }

    pub fn idle_unload(&self) -> Duration {
        Duration::from_secs(self.idle_unload_s)
    }

    /// Password hashes computed at once: the setting, or one per CPU.
    pub fn password_hashes(&self) -> usize {
        match self.max_password_hashes {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            n => n,
        }
    }

    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_interval_s.max(1))
    }

    /// The SQLite file used when no DATABASE_URL is given.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("folio.db")
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }
}
