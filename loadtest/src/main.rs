//! `loadtest`: drive a Yjs server with a photo-book editing mix and report what it delivers.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use loadtest::editor::Mix;
use loadtest::report::Report;
use loadtest::scenario::{self, Churn, Cold, Crowd, Env, Rooms, Saturate};
use loadtest::target::{Kind, Target};

#[derive(Parser)]
#[command(
    name = "loadtest",
    about = "Load generator for Folio and other Yjs servers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct RoomArgs {
    #[arg(long, default_value_t = 10)]
    rooms: usize,
    #[arg(long, default_value_t = 5)]
    editors: usize,
    /// Seeded items per room (one page).
    #[arg(long, default_value_t = 25)]
    items: usize,
    /// Item moves per editor per second.
    #[arg(long, default_value_t = 2.0)]
    moves: f64,
    /// Caption characters typed per editor per second.
    #[arg(long, default_value_t = 2.0)]
    chars: f64,
    /// Cursor (awareness) updates per editor per second.
    #[arg(long, default_value_t = 10.0)]
    cursor_hz: f64,
    #[arg(long, default_value_t = 2.0)]
    warmup_s: f64,
    #[arg(long, default_value_t = 10.0)]
    duration_s: f64,
}

impl RoomArgs {
    fn rooms(&self) -> Rooms {
        Rooms {
            rooms: self.rooms,
            editors: self.editors,
            items: self.items,
            mix: Mix {
                moves_per_s: self.moves,
                chars_per_s: self.chars,
                cursor_hz: self.cursor_hz,
            },
            warmup: Duration::from_secs_f64(self.warmup_s),
            duration: Duration::from_secs_f64(self.duration_s),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Many rooms × N editors at a fixed rate.
    Rooms {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        load: RoomArgs,
    },
    /// Raise the move rate until the p99 of moves passes a limit.
    Saturate {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        load: RoomArgs,
        /// Multiply the move rate by this each step.
        #[arg(long, default_value_t = 1.5)]
        factor: f64,
        #[arg(long, default_value_t = 12)]
        max_steps: usize,
        #[arg(long, default_value_t = 10.0)]
        p99_limit_ms: f64,
    },
    /// Time to first full sync of a large book.
    Cold {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 40)]
        pages: usize,
        #[arg(long, default_value_t = 25)]
        items: usize,
        #[arg(long, default_value_t = 100_000)]
        moves: usize,
        #[arg(long, default_value_t = 5)]
        samples: usize,
    },
    /// A reconnect storm: many clients connect at once, drop, and reconnect at once.
    Churn {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        #[arg(long, default_value_t = 25)]
        items: usize,
    },
    /// 1,500 clients set the same key at once (crdt-benchmarks B3.1).
    Crowd {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 1500)]
        clients: usize,
        #[arg(long, default_value_t = 120.0)]
        deadline_s: f64,
    },
    /// Photo ingest: upload generated 12-megapixel JPEGs to Folio's `POST /api/photos` in
    /// requests of N files; report photos/s, MB/s and the server's peak RSS.
    Ingest(loadtest::ingest::IngestArgs),
    /// Serve the bare relay (the floor of the comparison).
    Relay {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
    },
}

#[derive(clap::Args, Clone)]
struct Common {
    /// Which server protocol and setup to use.
    #[arg(long, value_enum, default_value = "folio")]
    target: Kind,
    /// The server's HTTP base URL. Give it once per node to spread every room's clients
    /// over several Folio nodes that share one database and Redis (scale-out mode): the
    /// `rooms` and `saturate` scenarios then also time same-node and cross-node deliveries
    /// apart. The other scenarios use the first node.
    #[arg(long = "url", default_value = "http://127.0.0.1:8080")]
    urls: Vec<String>,
    /// The server's pid, for CPU and RSS from /proc; once per node (summed).
    #[arg(long = "server-pid")]
    server_pids: Vec<u32>,
    /// Write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Hide the progress bars.
    #[arg(long)]
    quiet: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = Cli::parse().command;
    let common = match &command {
        Command::Relay { listen } => {
            let listener = tokio::net::TcpListener::bind(listen).await?;
            println!("relay listening on http://{}", listener.local_addr()?);
            return loadtest::relay::serve(listener).await;
        }
        Command::Ingest(args) => {
            let reports = loadtest::ingest::run(args).await?;
            if !reports.is_empty() {
                loadtest::ingest::print(&reports);
            }
            let failed: usize = reports
                .iter()
                .map(|r| r.file_errors + r.failed_requests)
                .sum();
            anyhow::ensure!(
                failed == 0,
                "the server refused or failed some uploads (see first error above)"
            );
            return Ok(());
        }
        Command::Rooms { common, .. }
        | Command::Saturate { common, .. }
        | Command::Cold { common, .. }
        | Command::Churn { common, .. }
        | Command::Crowd { common, .. } => common.clone(),
    };
    let mut target = Target::with_nodes(common.target, &common.urls).await?;
    target.peer_pids = common.server_pids.iter().skip(1).copied().collect();
    let env = Env {
        target: &target,
        server_pid: common.server_pids.first().copied(),
        progress: !common.quiet,
    };
    let reports = match command {
        Command::Rooms { load, .. } => vec![scenario::rooms(&env, &load.rooms()).await?],
        Command::Saturate {
            load,
            factor,
            max_steps,
            p99_limit_ms,
            ..
        } => {
            let base = load.rooms();
            let cfg = Saturate {
                start_moves_per_s: base.mix.moves_per_s,
                base,
                factor,
                max_steps,
                p99_limit_ms,
            };
            scenario::saturate(&env, &cfg).await?
        }
        Command::Cold {
            pages,
            items,
            moves,
            samples,
            ..
        } => vec![
            scenario::cold(
                &env,
                &Cold {
                    pages,
                    items,
                    moves,
                    samples,
                },
            )
            .await?,
        ],
        Command::Churn { clients, items, .. } => {
            vec![scenario::churn(&env, &Churn { clients, items }).await?]
        }
        Command::Crowd {
            clients,
            deadline_s,
            ..
        } => {
            vec![
                scenario::crowd(
                    &env,
                    &Crowd {
                        clients,
                        deadline: Duration::from_secs_f64(deadline_s),
                    },
                )
                .await?,
            ]
        }
        Command::Relay { .. } | Command::Ingest(_) => unreachable!("handled above"),
    };
    finish(&reports, common.json)
}

fn finish(reports: &[Report], json: Option<PathBuf>) -> anyhow::Result<()> {
    Report::print_table(reports);
    if let Some(path) = json {
        std::fs::write(&path, serde_json::to_string_pretty(reports)?)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
