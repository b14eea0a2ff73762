//! The `daned` command: parses the command line and hands each verb to its module in
//! `daned::cli`; without a verb, the demo.

use std::process::ExitCode;

use clap::Parser;
use daned::cli::args::{Cli, Command};
use daned::cli::{
    check, demo, dkim, doctor, ds, fixture, keys, reload, serve, simulate, status, timeline, tlsa,
    tsig_keygen, update,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = match &cli.command {
        Some(Command::Serve(args)) => args.log_format(),
        _ => daned::config::LogFormat::Text,
    };
    daned::logging::init(format);
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
        Some(Command::Dkim(args)) => dkim::execute(args),
        Some(Command::Update(args)) => update::execute(args),
        None => demo::execute(cli.listen),
    }
}
