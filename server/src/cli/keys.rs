//! `daned keys`: a zone's keys and rollover (the listing), and what an operator tells daned
//! about them: `import` BIND keys, `roll` a key now, the parent's DS `submitted` or
//! `withdrawn`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use signer::KeyRole;
use signer::SigningKey;

use crate::cli::zone_arg::{zone_name, zone_signing};
use crate::config::Config;
use crate::control::client::{self, ClientError};
use crate::control::protocol::Request;
use crate::daemon::{self, lifecycle, signing};

/// The arguments of `daned keys`.
#[derive(clap::Args)]
pub struct KeysArgs {
    /// Configuration file (before or after `import`; required).
    #[arg(short, long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// The zone (for listing).
    zone: Option<String>,
    /// `import`: take over existing BIND keys.
    #[command(subcommand)]
    action: Option<KeysAction>,
}

/// `daned keys` actions.
#[derive(Subcommand)]
pub enum KeysAction {
    /// Import a BIND key pair (K<zone>.+<alg>+<tag>.key and .private) so the parent's DS stays
    /// valid; the key becomes active.
    Import {
        /// The zone.
        zone: String,
        /// The `.key` file.
        key: PathBuf,
        /// The `.private` file.
        private: PathBuf,
        /// Role of the key: csk, ksk or zsk (default: ksk when the SEP flag is set, else zsk).
        #[arg(long)]
        role: Option<String>,
    },
    /// Start a rollover of the zone's zsk, ksk or csk now (also the way to replace a key
    /// that must go: the waits that keep validation working are not skipped).
    Roll {
        /// The zone.
        zone: String,
        /// zsk, ksk or csk.
        role: String,
    },
    /// Tell daned that the parent now publishes the DS of key TAG (all its nameservers).
    Submitted {
        /// The zone.
        zone: String,
        /// The new key's tag.
        tag: u16,
    },
    /// Tell daned that the parent no longer publishes the DS of the retired key TAG.
    Withdrawn {
        /// The zone.
        zone: String,
        /// The old key's tag.
        tag: u16,
    },
}

/// Lists a zone's keys or carries out an action.
pub fn execute(args: KeysArgs) -> anyhow::Result<ExitCode> {
    let config = args.config.context("daned keys needs -c FILE")?;
    let config = Config::load(&config)?;
    match (args.action, args.zone) {
        (
            Some(KeysAction::Import {
                zone,
                key,
                private,
                role,
            }),
            _,
        ) => import(&config, &zone, &key, &private, role.as_deref())?,
        (Some(KeysAction::Roll { zone, role }), _) => roll(&config, &zone, &role)?,
        (Some(KeysAction::Submitted { zone, tag }), _) => confirm_ds(&config, &zone, tag, true)?,
        (Some(KeysAction::Withdrawn { zone, tag }), _) => confirm_ds(&config, &zone, tag, false)?,
        (None, Some(zone)) => list(&config, &zone)?,
        (None, None) => anyhow::bail!("name a zone: daned keys -c FILE ZONE"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `daned keys -c FILE ZONE`: the keys, the rollover in progress and the next steps.
fn list(config: &Config, zone: &str) -> anyhow::Result<()> {
    let name = zone_name(config, zone)?;
    let how = zone_signing(config, &name)?;
    let zone_cfg = config.zones.iter().find(|z| z.name == name);
    // The largest TTL comes from the zone as served (saved), else the file.
    let max_ttl = daemon::pipeline::Versions::open(&config.server.state_dir, &name)
        .ok()
        .and_then(|v| v.load_saved(&name))
        .or_else(|| {
            zone_cfg.and_then(|z| {
                zones::master::load_zone_file(&z.file, &name)
                    .ok()
                    .map(|l| l.zone)
            })
        })
        .map_or(0, |z| lifecycle::max_zone_ttl(&z));
    let secondaries = zone_cfg.is_some_and(|z| !z.notify.is_empty());
    print!(
        "{}",
        lifecycle::report(how, &name, max_ttl, crate::clock::now(), secondaries)?
    );
    Ok(())
}

/// `daned keys import`: takes over a BIND key pair as the zone's active key.
fn import(
    config: &Config,
    zone: &str,
    key: &std::path::Path,
    private: &std::path::Path,
    role: Option<&str>,
) -> anyhow::Result<()> {
    let name = zone_name(config, zone)?;
    let role = match role {
        Some(r) => Some(
            KeyRole::from_str_opt(r).with_context(|| format!("--role {r}: use csk, ksk or zsk"))?,
        ),
        None => None,
    };
    let store = signing::open_store(&config.server.state_dir, &name)?;
    let mut k = store.import_bind(key, private, role, crate::clock::now())?;
    signing::make_initial(&mut k, crate::clock::now());
    store.save_metadata(&k)?;
    println!(
        "imported {} key {} ({}) for {name}",
        k.meta.role.as_str(),
        k.tag,
        k.key.algorithm().mnemonic()
    );
    Ok(())
}

/// `daned keys roll`: requests a rollover of the zone's key of `role`.
fn roll(config: &Config, zone: &str, role: &str) -> anyhow::Result<()> {
    let name = zone_name(config, zone)?;
    let role =
        KeyRole::from_str_opt(role).with_context(|| format!("{role}: use zsk, ksk or csk"))?;
    let how = zone_signing(config, &name)?;
    if !how.policy.keys.roles().contains(&role) {
        anyhow::bail!(
            "zone {name} has no {} under policy {}",
            role.as_str(),
            how.policy_name
        );
    }
    // A running daemon records the request and starts the rollover at once.
    let socket = config.server.state_dir.join(crate::control::SOCKET_FILE);
    let request = Request::KeysRoll {
        zone: name.to_string(),
        role: role.as_str().to_string(),
    };
    match client::ask(&socket, &request, Duration::from_secs(300)) {
        Ok(reply) => {
            crate::cli::reload::done(reply)?;
            return Ok(());
        }
        Err(ClientError::NotRunning { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    lifecycle::request_roll(&config.server.state_dir, &name, role)?;
    println!("{} rollover of {name} requested", role.as_str());
    poke_daemon(config);
    Ok(())
}

/// `daned keys submitted|withdrawn`: records a DS change the operator saw at the parent.
fn confirm_ds(config: &Config, zone: &str, tag: u16, seen: bool) -> anyhow::Result<()> {
    let name = zone_name(config, zone)?;
    lifecycle::confirm_ds(
        &config.server.state_dir,
        &name,
        tag,
        seen,
        crate::clock::now(),
    )?;
    println!(
        "recorded: the DS of key {tag} is {} the parent of {name}",
        if seen { "published at" } else { "removed from" }
    );
    poke_daemon(config);
    Ok(())
}

/// Asks a running daemon to act on a request now rather than at its next check.
fn poke_daemon(config: &Config) {
    match daemon::signal_reload(&config.server.state_dir) {
        Ok(pid) => println!("daned (pid {pid}) notified"),
        Err(_) => println!("daned is not running: it acts on this when it starts"),
    }
}
