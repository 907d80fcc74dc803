//! `loadtest`: drive a Yjs server with a photo-book editing mix and report what it delivers.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use loadtest::editor::Mix;
use loadtest::report::Report;
use loadtest::scenario::{self, Env, Rooms};
use loadtest::target::{Kind, Target};

#[derive(Parser)]
#[command(name = "loadtest", about = "Load generator for Folio and other Yjs servers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Many rooms × N editors at a fixed rate.
    Rooms {
        #[command(flatten)]
        common: Common,
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
    },
    /// Serve the bare relay (the floor of the comparison).
    Relay {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
    },
}

#[derive(clap::Args)]
struct Common {
    /// Which server protocol and setup to use.
    #[arg(long, value_enum, default_value = "folio")]
    target: Kind,
    /// The server's HTTP base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The server's pid, for CPU and RSS from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Hide the progress bars.
    #[arg(long)]
    quiet: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Rooms { common, rooms, editors, items, moves, chars, cursor_hz, warmup_s, duration_s } => {
            let target = Target::new(common.target, &common.url).await?;
            let env = Env { target: &target, server_pid: common.server_pid, progress: !common.quiet };
            let cfg = Rooms {
                rooms,
                editors,
                items,
                mix: Mix { moves_per_s: moves, chars_per_s: chars, cursor_hz },
                warmup: Duration::from_secs_f64(warmup_s),
                duration: Duration::from_secs_f64(duration_s),
            };
            let report = scenario::rooms(&env, &cfg).await?;
            finish(&[report], common.json)
        }
        Command::Relay { listen } => {
            let listener = tokio::net::TcpListener::bind(&listen).await?;
            println!("relay listening on http://{}", listener.local_addr()?);
            loadtest::relay::serve(listener).await
        }
    }
}

fn finish(reports: &[Report], json: Option<PathBuf>) -> anyhow::Result<()> {
    Report::print_table(reports);
    if let Some(path) = json {
        std::fs::write(&path, serde_json::to_string_pretty(reports)?)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
