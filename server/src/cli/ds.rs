//! `daned ds -c FILE ZONE [--sha384]`: the DS records to give the parent.

use std::path::PathBuf;
use std::process::ExitCode;

use signer::ds::DigestType;

use crate::cli::zone_arg::{zone_keys, zone_signing};
use crate::config::Config;
use crate::daemon::signing;

/// The arguments of `daned ds`.
#[derive(clap::Args)]
pub struct DsArgs {
    /// Configuration file.
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
    /// The zone.
    zone: String,
    /// SHA-384 digests instead of SHA-256.
    #[arg(long)]
    sha384: bool,
}

/// Prints the DS records of the zone's active KSK/CSK (and of a new one once it is ready).
pub fn execute(args: DsArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let (zone, keys) = zone_keys(&config, &args.zone)?;
    let digest = if args.sha384 {
        DigestType::Sha384
    } else {
        DigestType::Sha256
    };
    let method = zone_signing(&config, &zone).map_or(Default::default(), |h| h.policy.ksk_method);
    let lines = signing::ds_lines(&zone, &keys, method, digest);
    if lines.is_empty() {
        anyhow::bail!("zone {zone} has no active key signing key (has it been served once?)");
    }
    for line in lines {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}
