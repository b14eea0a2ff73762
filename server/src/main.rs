//! The `daned` command: `serve`, `check`, `reload`, and with no arguments a demo.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use daned::acl::Acl;
use daned::config::{Config, ServerConfig, ZoneConfig};
use daned::daemon::{self, ServeOptions, ZoneSlot};
use daned::demo;

/// Authoritative DNS server for mail domains.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// What to do; without a command, serve a demo zone (example.test).
    #[command(subcommand)]
    command: Option<Command>,
    /// Demo only: addresses to listen on (default 127.0.0.1:5300 and [::1]:5300).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Vec<SocketAddr>,
}

/// The verbs.
#[derive(Subcommand)]
enum Command {
    /// Serve the configured zones in the foreground.
    Serve {
        /// Configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Load the configuration and every zone, report errors and warnings.
    Check {
        /// Configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Ask the running daemon to reload changed zone files (SIGHUP).
    Reload {
        /// Configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("daned: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Dispatches the verbs.
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Serve { config }) => {
            let config = Config::load(&config)?;
            daemon::run(&config)?;
        }
        Some(Command::Check { config }) => {
            let config = Config::load(&config)?;
            let errors = daemon::check(&config, &mut std::io::stdout().lock())?;
            if errors > 0 {
                eprintln!("daned: {errors} zone(s) failed");
                return Ok(ExitCode::FAILURE);
            }
        }
        Some(Command::Reload { config }) => {
            let config = Config::load(&config)?;
            let pid = daemon::signal_reload(&config.server.state_dir)
                .context("is daned running with this configuration?")?;
            println!("sent SIGHUP to daned (pid {pid})");
        }
        None => run_demo(cli.listen)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Serves the in-memory demo zone; writes nothing to disk.
fn run_demo(listen: Vec<SocketAddr>) -> anyhow::Result<()> {
    let listen = if listen.is_empty() {
        vec![
            SocketAddr::from(([127, 0, 0, 1], 5300)),
            "[::1]:5300".parse()?,
        ]
    } else {
        listen
    };
    let server = ServerConfig {
        listen: listen.clone(),
        state_dir: std::env::temp_dir(),
        udp_workers: 0,
        tcp_idle_timeout: std::time::Duration::from_secs(10),
        tcp_max_connections: 256,
    };
    let zone = ZoneConfig {
        name: demo::DEMO_ORIGIN.parse()?,
        file: PathBuf::from("(in memory)"),
        allow_transfer: Acl::parse(&["127.0.0.0/8", "::1"])?,
        sign: false,
        policy: None,
    };
    println!("daned demo: serving {} from memory", demo::DEMO_ORIGIN);
    println!("try (Ctrl-C to stop):");
    let first = listen[0];
    let host = match first {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => a.ip().to_string(),
    };
    for cmd in demo::try_commands(&host, first.port()) {
        println!("  {cmd}");
    }
    daemon::serve(
        &server,
        vec![ZoneSlot::in_memory(zone, demo::demo_zone())],
        ServeOptions {
            pid_file: false,
            tolerate_bind_failures: true,
        },
    )?;
    Ok(())
}

/// Structured logs to stderr, filtered by RUST_LOG (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
