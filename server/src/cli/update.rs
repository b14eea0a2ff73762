//! `daned update list|clear -c FILE ZONE`: the records DNS UPDATE added to and deleted from a
//! zone (its layer in `state_dir/update/`), and dropping them.
//!
//! `clear` removes the layer file. A stopped daemon starts from the zone file alone; a running
//! one drops the layer's records at its next reload (`daned reload`), which re-reads the layer.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::zone_arg::zone_name;
use crate::config::Config;
use crate::update::layer::Layer;

/// The arguments of `daned update`.
#[derive(clap::Args)]
pub struct UpdateArgs {
    /// What to do.
    #[command(subcommand)]
    action: UpdateAction,
}

/// The `daned update` verbs.
#[derive(clap::Subcommand)]
enum UpdateAction {
    /// Print the records UPDATE added (`add`) and deleted (`del`), one per line.
    List(ZoneArgs),
    /// Drop the layer: the zone file alone again (a running daemon: at its next reload).
    Clear(ZoneArgs),
}

/// Configuration and zone.
#[derive(clap::Args)]
struct ZoneArgs {
    /// Configuration file.
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
    /// The zone.
    zone: String,
}

/// Runs `daned update list` or `daned update clear`.
pub fn execute(args: UpdateArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        UpdateAction::List(z) => {
            let config = Config::load(&z.config)?;
            let zone = zone_name(&config, &z.zone)?;
            let layer = Layer::load(&config.server.state_dir, &zone)?;
            for line in layer.to_text().lines().filter(|l| !l.starts_with(';')) {
                println!("{line}");
            }
        }
        UpdateAction::Clear(z) => {
            let config = Config::load(&z.config)?;
            let zone = zone_name(&config, &z.zone)?;
            let layer = Layer::load(&config.server.state_dir, &zone)?;
            Layer::default().save(&config.server.state_dir, &zone)?;
            println!(
                "{zone}: {} added and {} deleted records dropped; a running daemon drops them at its next reload",
                layer.added.len(),
                layer.deleted.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
