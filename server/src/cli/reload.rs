//! `daned reload -c FILE`: SIGHUP to the daemon running with that configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::config::Config;
use crate::daemon;

/// The arguments of `daned reload`.
#[derive(clap::Args)]
pub struct ReloadArgs {
    /// Configuration file.
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
}

/// Signals the daemon whose pid file is in the configuration's state folder.
pub fn execute(args: ReloadArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let pid = daemon::signal_reload(&config.server.state_dir)
        .context("is daned running with this configuration?")?;
    println!("sent SIGHUP to daned (pid {pid})");
    Ok(ExitCode::SUCCESS)
}
