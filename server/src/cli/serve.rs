//! `daned serve -c FILE`: the daemon in the foreground.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::daemon;

/// The arguments of `daned serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Configuration file.
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
}

/// Serves the configured zones until SIGTERM or SIGINT.
pub fn execute(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    daemon::run(&config)?;
    Ok(ExitCode::SUCCESS)
}
