//! `daned dkim status|ready`: where the configured `[[zone.dkim]]` selectors stand, worked
//! out by each zone's mail manager (`mailrec::manager`, the source the daemon uses too).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use zones::Name;

use crate::config::Config;
use crate::daemon;
use crate::mailrec::dkim::Role;
use crate::mailrec::manager::MailManager;
use crate::mailrec::status::{SelectorStatus, StsStatus};

/// The arguments of `daned dkim`.
#[derive(clap::Args)]
pub struct DkimArgs {
    /// What to show.
    #[command(subcommand)]
    action: DkimAction,
}

/// `daned dkim` actions.
#[derive(Subcommand)]
pub enum DkimAction {
    /// Each selector's role (current, next, retiring, revoked), when its record was first
    /// published and when it is ready (2 x TTL + propagation delay later); the MTA-STS id and
    /// why a new one waits.
    Status {
        /// Configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Exit 0 only once SELECTOR's record (the key its file holds now) has been published for
    /// 2 x TTL + propagation delay: a mail signer's switch waits on it.
    Ready {
        /// Configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// The zone.
        zone: String,
        /// The selector.
        selector: String,
    },
}

/// Runs `daned dkim`.
pub fn execute(args: DkimArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        DkimAction::Status { config } => {
            let config = Config::load(&config)?;
            let now = crate::clock::now().0;
            let all = status(&config, None, now);
            let sts = sts_status(&config);
            if all.is_empty() && sts.is_empty() {
                anyhow::bail!(
                    "no [[zone.dkim]] selector is configured or retiring, and no [zone.mta_sts]"
                );
            }
            for s in &all {
                print_status(s, now);
            }
            for s in &sts {
                print_sts(s);
            }
            Ok(ExitCode::SUCCESS)
        }
        DkimAction::Ready {
            config,
            zone,
            selector,
        } => {
            let config = Config::load(&config)?;
            let mut zone =
                Name::from_ascii(&zone).with_context(|| format!("{zone}: not a domain name"))?;
            zone.set_fqdn(true);
            let now = crate::clock::now().0;
            let selector = selector.to_ascii_lowercase();
            let Some(s) = status(&config, Some(&zone), now)
                .into_iter()
                .find(|s| s.selector == selector)
            else {
                anyhow::bail!("{zone}: no [[zone.dkim]] selector {selector:?}");
            };
            Ok(ready(&s, now))
        }
    }
}

/// Every selector of every zone (or of `only`) of `config`, against the saved versions.
fn status(config: &Config, only: Option<&Name>, now: u64) -> Vec<SelectorStatus> {
    let state_dir = &config.server.state_dir;
    config
        .zones
        .iter()
        .filter(|z| only.is_none_or(|o| *o == z.name))
        .flat_map(|zone| {
            let saved = daemon::pipeline::Versions::open(state_dir, &zone.name)
                .ok()
                .and_then(|v| v.load_saved(&zone.name));
            MailManager::load(zone, Some(state_dir)).status(saved.as_ref(), now)
        })
        .collect()
}

/// The MTA-STS status of every zone with `[zone.mta_sts]`, against the saved versions.
fn sts_status(config: &Config) -> Vec<StsStatus> {
    let state_dir = &config.server.state_dir;
    config
        .zones
        .iter()
        .filter_map(|zone| {
            let saved = daemon::pipeline::Versions::open(state_dir, &zone.name)
                .ok()
                .and_then(|v| v.load_saved(&zone.name));
            MailManager::load(zone, Some(state_dir)).sts_status(saved.as_ref())
        })
        .collect()
}

/// Prints where a zone's MTA-STS id stands, and why a new one waits.
fn print_sts(s: &StsStatus) {
    let published = s.published.as_deref().unwrap_or("none");
    println!("_mta-sts.{} id {published}", s.zone);
    match &s.file {
        Err(e) => println!("  policy file unusable, the id above is kept: {e}"),
        Ok(id) if Some(id.as_str()) == s.published.as_deref() => {
            println!("  follows the policy file")
        }
        Ok(id) if !s.probed => {
            println!("  the policy file gives id {id}: published at the daemon's next look")
        }
        Ok(id) => {
            let why = match &s.probe {
                None => "the policy endpoint has not been fetched yet".to_string(),
                Some((at, Ok(served))) if served == id => format!(
                    "the endpoint serves it since {}: published at the daemon's next look",
                    utc(*at)
                ),
                Some((at, Ok(served))) => format!(
                    "the endpoint served the policy with id {served} at {}",
                    utc(*at)
                ),
                Some((at, Err(e))) => format!("the fetch at {} failed: {e}", utc(*at)),
            };
            println!("  the policy file gives id {id}, which waits: {why}");
        }
    }
}

/// `daned dkim ready` for one selector.
fn ready(s: &SelectorStatus, now: u64) -> ExitCode {
    let what = format!("{}._domainkey.{}", s.selector, s.zone);
    if let Some(e) = &s.error {
        println!("{what}: key file unusable: {e}");
        return ExitCode::FAILURE;
    }
    if !matches!(s.role, Role::Current | Role::Next) {
        println!("{what}: {} — not a key to sign with", s.role.word());
        return ExitCode::FAILURE;
    }
    match s.times {
        Some((_, ready)) if s.up_to_date && now >= ready => {
            println!("{what}: ready since {}", utc(ready));
            ExitCode::SUCCESS
        }
        Some((_, ready)) if s.up_to_date => {
            println!("{what}: ready at {} (in {} s)", utc(ready), ready - now);
            ExitCode::FAILURE
        }
        _ => {
            println!("{what}: the key file's record is not published yet");
            ExitCode::FAILURE
        }
    }
}

/// `daned dkim status` for one selector.
fn print_status(s: &SelectorStatus, now: u64) {
    let role = match s.role {
        Role::Retiring { until } => format!("retiring, revoked or removed from {}", utc(until)),
        Role::Revoked { until } => format!("revoked, removed from {}", utc(until)),
        other => other.word().to_string(),
    };
    println!("{}._domainkey.{} {role}", s.selector, s.zone);
    match (&s.published, s.times) {
        (Some(text), Some((first, ready))) => {
            let state = if now >= ready {
                "ready since"
            } else {
                "ready at"
            };
            println!("  published {}, {state} {}", utc(first), utc(ready));
            println!("  {text}");
        }
        (Some(text), None) => println!("  published (time unknown): {text}"),
        (None, _) => println!("  not published"),
    }
    if s.published.is_some() && !s.up_to_date && matches!(s.role, Role::Current | Role::Next) {
        println!("  the key file holds another key: published at the daemon's next look");
    }
    if let Some(e) = &s.error {
        println!("  key file unusable, the record above is kept: {e}");
    }
    if let Some(w) = &s.warning {
        println!("  warning: {w}");
    }
}

/// A Unix time as "YYYY-MM-DD hh:mm:ss UTC".
fn utc(secs: u64) -> String {
    format!("{} UTC", zones::time::UtcDateTime::from_unix_u64(secs))
}
