//! `daned serve -c FILE`: the daemon in the foreground.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{Config, LogFormat};
use crate::daemon;

/// The arguments of `daned serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Configuration file.
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
}

impl ServeArgs {
    /// The configuration's `log_format`, read before logging starts (text when the file does
    /// not load: `execute` then reports why).
    pub fn log_format(&self) -> LogFormat {
        Config::load(&self.config).map_or(LogFormat::Text, |c| c.server.log_format)
    }
}

/// Serves the configured zones until SIGTERM or SIGINT.
pub fn execute(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    daemon::run(config)?;
    Ok(ExitCode::SUCCESS)
}
