//! The `folio` binary: parse the config, start logging, serve until SIGTERM or Ctrl-C.

use clap::Parser;
use folio_server::config::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = match cli.command {
        Some(Command::Worker(config)) => {
            folio_server::init_logging(&config.log);
            return folio_server::run_worker(config, shutdown_signal()).await;
        }
        Some(Command::Serve(config)) => config,
        None => cli.config,
    };
    folio_server::init_logging(&config.log);
    let listener = listen(config.listen)?;
    let addr = listener.local_addr()?;
    println!("folio listening on http://{addr}");
    folio_server::run(listener, config, shutdown_signal()).await
}

/// Binds with a deep accept queue: a reconnect storm after a restart brings every client
/// back at once, and a short queue turns that into one-second SYN retries.
fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
