//! The `daned` command: parses the command line and hands each verb to its module in
//! `daned::cli`; without a verb, the demo.

use std::process::ExitCode;

use clap::Parser;
use daned::cli::args::{Cli, Command};
use daned::cli::{
    check, demo, doctor, ds, fixture, keys, reload, serve, simulate, status, timeline, tlsa,
    tsig_keygen,
};

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
        Some(Command::Serve(args)) => serve::execute(args),
        Some(Command::Check(args)) => check::execute(args),
        Some(Command::Reload(args)) => reload::execute(args),
        Some(Command::Status(args)) => status::execute(args),
        Some(Command::Ds(args)) => ds::execute(args),
        Some(Command::Keys(args)) => keys::execute(args),
        Some(Command::Simulate(args)) => simulate::execute(args),
        Some(Command::Timeline(args)) => timeline::execute(args),
        Some(Command::Fixture(args)) => fixture::execute(args),
        Some(Command::Doctor(args)) => doctor::execute(args),
        Some(Command::TsigKeygen(args)) => tsig_keygen::execute(args),
        Some(Command::Tlsa(args)) => tlsa::execute(args),
        None => demo::execute(cli.listen),
    }
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
