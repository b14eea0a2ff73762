//! `daned check -c FILE`: the configuration and every zone file, checked without serving.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::daemon;

/// The arguments of `daned check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// Configuration file.
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
}

/// Prints each zone's errors, warnings and `ok:` line; fails when any zone failed.
pub fn execute(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let errors = daemon::check(&config, &mut std::io::stdout().lock())?;
    if errors > 0 {
        eprintln!("daned: {errors} zone(s) failed");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
