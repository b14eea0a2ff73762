//! `daned check`: the configuration and every zone, loaded as the daemon would, with errors
//! (`file:line: message`) and warnings, without serving anything.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use zones::master::load_zone_file;

use crate::config::Config;
use crate::daemon::lifecycle;
use crate::daemon::tlsa::manager::TlsaManager;
use crate::daemon::tlsa::publish;

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
    let errors = check(&config, &mut std::io::stdout().lock())?;
    if errors > 0 {
        eprintln!("daned: {errors} zone(s) failed");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `daned check`: loads every zone of `config`, printing warnings and errors (`file:line:
/// message`) and one summary line per good zone to `w`. Returns the number of errors.
pub fn check(config: &Config, w: &mut impl Write) -> std::io::Result<usize> {
    let mut errors = 0;
    for warning in &config.warnings {
        writeln!(w, "warning: {warning}")?;
    }
    for zone in &config.zones {
        for binding in &zone.tlsa {
            if let Some(path) = publish::not_issued_yet(binding) {
                writeln!(
                    w,
                    "warning: zone {}: tlsa: {} does not exist yet (not issued): no TLSA record at {} until it appears",
                    zone.name,
                    path.display(),
                    binding
                        .names
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )?;
            } else if let Err(e) = publish::derive_records(binding) {
                errors += 1;
                writeln!(w, "error: zone {}: tlsa: {e}", zone.name)?;
            }
        }
        match load_zone_file(&zone.file, &zone.name) {
            Ok(loaded) => {
                // A zone with TLSA at a managed name, or whose largest TTL makes the policy's
                // key lifetimes shorter than their rollovers, is refused.
                let refused = TlsaManager::load(zone, None)
                    .check_conflict(&zone.file, &loaded.zone)
                    .err()
                    .map(|e| format!("zone {}: {e}", zone.name))
                    .or_else(|| {
                        let how = zone.signing.as_ref()?;
                        let ttl = lifecycle::max_zone_ttl(&loaded.zone);
                        let e = how.policy.check_lifetimes(&how.policy_name, ttl).err()?;
                        Some(format!("zone {}: {e}", zone.name))
                    });
                if let Some(e) = refused {
                    errors += 1;
                    writeln!(w, "error: {e}")?;
                    continue;
                }
                let mut refused = false;
                for finding in crate::mailrec::check::check(zone, &loaded.zone) {
                    match finding {
                        crate::mailrec::check::Finding::Error(e) => {
                            errors += 1;
                            refused = true;
                            writeln!(w, "error: zone {}: {e}", zone.name)?;
                        }
                        crate::mailrec::check::Finding::Warning(m) => {
                            writeln!(w, "warning: zone {}: {m}", zone.name)?;
                        }
                    }
                }
                if refused {
                    continue;
                }
                for warning in &loaded.warnings {
                    writeln!(w, "warning: {warning}")?;
                }
                writeln!(
                    w,
                    "ok: {} serial {} ({} records, {} warnings)",
                    zone.name,
                    loaded.zone.serial().map_or(0, |s| s.0),
                    loaded.zone.len(),
                    loaded.warnings.len()
                )?;
            }
            Err(e) => {
                errors += 1;
                writeln!(w, "error: {e}")?;
            }
        }
    }
    Ok(errors)
}
