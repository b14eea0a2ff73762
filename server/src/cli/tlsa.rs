//! `daned tlsa`: TLSA record data for a certificate file (like hash-slinger's `tlsa`), and
//! `status` / `ready` of the configured `[[zone.tlsa]]` bindings.
//!
//! Where each managed name stands is worked out by the zone's TLSA manager
//! (`daemon::tlsa::manager`, the one source the daemon uses too); the two actions only print
//! it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use zones::Name;

use crate::config::Config;
use crate::daemon;
use crate::daemon::tlsa::manager::TlsaManager;
use crate::daemon::tlsa::status::{NameStatus, NextKeyStatus, ProbeStatus};
use crate::dane::derive;

//------------ Arguments ------------------------------------------------------

/// The arguments of `daned tlsa`.
#[derive(clap::Args)]
pub struct TlsaArgs {
    /// `status` or `ready` of the configured TLSA bindings.
    #[command(subcommand)]
    action: Option<TlsaAction>,
    /// Certificate file (the first certificate of a chain is used).
    cert: Option<PathBuf>,
    /// Certificate usage (RFC 6698: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE).
    #[arg(long, default_value_t = 3)]
    usage: u8,
    /// Selector (0 full certificate, 1 SubjectPublicKeyInfo).
    #[arg(long, default_value_t = 1)]
    selector: u8,
    /// Matching type (0 full, 1 SHA-256, 2 SHA-512).
    #[arg(long = "mtype", default_value_t = 1)]
    matching: u8,
    /// Owner name to print a full record for (e.g. _25._tcp.mx1.example.com).
    #[arg(long)]
    name: Option<String>,
}

/// `daned tlsa` actions on the configured bindings.
#[derive(Subcommand)]
pub enum TlsaAction {
    /// Per managed name: the published TLSA records, what each is, when it was first
    /// published and when it is ready (2 x TTL + propagation delay later).
    Status {
        /// Configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Exit 0 only when the next key's TLSA record at NAME is published and ready, so that a
    /// renewal hook can wait before deploying the new certificate.
    Ready {
        /// Configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// A managed name, e.g. _25._tcp.mx1.example.com.
        name: String,
    },
}

/// Prints a certificate's TLSA data, or the status or readiness of the configured bindings.
pub fn execute(args: TlsaArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        Some(TlsaAction::Status { config }) => {
            let config = Config::load(&config)?;
            let now = crate::clock::now().0;
            let names = status(&config);
            if names.is_empty() {
                anyhow::bail!("no [[zone.tlsa]] binding matches");
            }
            for name in &names {
                print_status(name, now);
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(TlsaAction::Ready { config, name }) => {
            let config = Config::load(&config)?;
            let mut only =
                Name::from_ascii(&name).with_context(|| format!("{name}: not a domain name"))?;
            only.set_fqdn(true);
            let now = crate::clock::now().0;
            let Some(name) = status(&config).into_iter().find(|s| s.name == only) else {
                anyhow::bail!("no [[zone.tlsa]] binding matches");
            };
            ready(&name, now)
        }
        None => {
            print_record(args)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `daned tlsa CERTFILE`: the record data for the first certificate of the file.
fn print_record(args: TlsaArgs) -> anyhow::Result<()> {
    let cert = args
        .cert
        .context("daned tlsa CERTFILE, or daned tlsa status|ready -c FILE")?;
    let bytes = std::fs::read(&cert).with_context(|| format!("{}", cert.display()))?;
    let certs = derive::certificates(&bytes).with_context(|| format!("{}", cert.display()))?;
    let params = derive::TlsaParams {
        usage: derive::Usage(args.usage),
        selector: derive::Selector(args.selector),
        matching: derive::Matching(args.matching),
    };
    let rdata = derive::tlsa_rdata(&certs[0], params)?;
    match args.name {
        Some(n) => println!(
            "{}. IN TLSA {}",
            n.trim_end_matches('.'),
            derive::rdata_to_text(&rdata)
        ),
        None => println!("{}", derive::rdata_to_text(&rdata)),
    }
    Ok(())
}

//------------ status ---------------------------------------------------------

/// Where every managed TLSA name of `config` stands, in configuration order: each zone's TLSA
/// manager, loaded from the state folder, against the version the daemon saved.
pub fn status(config: &Config) -> Vec<NameStatus> {
    let state_dir = &config.server.state_dir;
    config
        .zones
        .iter()
        .filter(|zone| !zone.tlsa.is_empty())
        .flat_map(|zone| {
            let saved = daemon::pipeline::Versions::open(state_dir, &zone.name)
                .ok()
                .and_then(|v| v.load_saved(&zone.name));
            TlsaManager::load(zone, Some(state_dir)).status(saved.as_ref())
        })
        .collect()
}

//------------ Printing -------------------------------------------------------

/// `daned tlsa ready`: success once the next key's record is published and ready.
fn ready(status: &NameStatus, now: u64) -> anyhow::Result<ExitCode> {
    let name = &status.name;
    match status.next_key {
        None => anyhow::bail!("{name}: no next_key configured (or it cannot be read)"),
        Some(NextKeyStatus::NotPublished) => {
            println!("{name}: the next key is not published yet");
            Ok(ExitCode::FAILURE)
        }
        Some(NextKeyStatus::Published { ready_at }) if now >= ready_at => {
            println!("{name}: next key ready since {}", utc(ready_at));
            Ok(ExitCode::SUCCESS)
        }
        Some(NextKeyStatus::Published { ready_at }) => {
            println!(
                "{name}: next key ready at {} (in {} s)",
                utc(ready_at),
                ready_at - now
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `daned tlsa status` for one name.
fn print_status(status: &NameStatus, now: u64) {
    println!("{} (TTL {})", status.name, status.ttl);
    for record in &status.records {
        let timing = match record.published {
            Some((first, ready)) => {
                let state = if now >= ready {
                    "ready since"
                } else {
                    "ready at"
                };
                format!("published {}, {state} {}", utc(first), utc(ready))
            }
            None => "publication time unknown".to_string(),
        };
        println!(
            "  {}  {}; {timing}",
            derive::rdata_to_text(&record.rdata),
            record.role.describe()
        );
        if let Some(at) = record.retiring_from {
            let probe = if status.probe.is_some() {
                ", once the probe sees the MTA present the new key"
            } else {
                ""
            };
            println!("    retiring: removed from {}{probe}", utc(at));
        }
        if let Some(until) = record.unsafe_until.filter(|&until| until > now) {
            println!(
                "    UNSAFE ROLLOVER: this key went into service before it was ready; DANE senders may defer mail with 5.7.323 until {} (in {} s)",
                utc(until),
                until - now
            );
        }
    }
    match &status.files_error {
        Some(e) if e.starts_with("not issued yet") => println!("  {e}"),
        Some(e) => println!("  files unusable, the records above are kept: {e}"),
        None => {}
    }
    if let Some((addr, seen)) = &status.probe {
        match seen {
            None => println!("  probe {addr}: not probed yet"),
            Some(ProbeStatus {
                at,
                outcome: Ok((leaf, matched)),
            }) => {
                let verdict = if *matched {
                    "matched by a published record"
                } else {
                    "MATCHED BY NO PUBLISHED RECORD: DANE senders defer mail with 5.7.323"
                };
                println!(
                    "  probe {addr} at {}: presents {}; {verdict}",
                    utc(*at),
                    derive::rdata_to_text(leaf)
                );
            }
            Some(ProbeStatus {
                at,
                outcome: Err(e),
            }) => {
                println!("  probe {addr} at {}: failed: {e}", utc(*at));
            }
        }
    }
    if status.records.is_empty() {
        println!("  nothing published yet (has daned served this zone?)");
    }
}

/// A Unix time as "YYYY-MM-DD hh:mm:ss UTC".
fn utc(secs: u64) -> String {
    format!("{} UTC", zones::time::UtcDateTime::from_unix_u64(secs))
}

//------------ Tests ----------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// A configuration with one TLSA binding whose certificate file does not exist, written to
    /// a fresh folder (nothing served, so no saved zone and no state).
    fn config_without_files() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daned.toml");
        std::fs::write(
            &path,
            "[[zone]]\nname = \"a.test\"\nfile = \"a.zone\"\n\
             [[zone.tlsa]]\nnames = [\"_25._tcp.mx.a.test\"]\ncert = \"missing.pem\"\n\
             next_key = \"missing-next.pem\"\nprobe = \"mx.a.test:25\"\nttl = \"5m\"\n",
        )
        .unwrap();
        (dir, path)
    }

    #[test]
    fn the_status_of_an_unserved_binding_has_no_records_and_names_the_file_error() {
        let (_dir, path) = config_without_files();
        let config = Config::load(&path).unwrap();
        let names = status(&config);
        assert_eq!(names.len(), 1);
        let s = &names[0];
        assert_eq!(s.name.to_string(), "_25._tcp.mx.a.test.");
        assert_eq!(s.ttl, zones::Ttl(300));
        assert!(s.records.is_empty());
        assert!(
            s.files_error
                .as_deref()
                .is_some_and(|e| e.contains("missing.pem")),
            "{:?}",
            s.files_error
        );
        assert!(
            s.next_key.is_none(),
            "an unreadable next_key is no next key"
        );
        assert!(matches!(&s.probe, Some((addr, None)) if addr == "mx.a.test:25"));
    }

    #[test]
    fn ready_refuses_a_name_that_does_not_parse_instead_of_asking_about_the_root() {
        let (_dir, path) = config_without_files();
        let args = TlsaArgs {
            action: Some(TlsaAction::Ready {
                config: path.clone(),
                name: "_25._tcp..mx.a.test".into(),
            }),
            cert: None,
            usage: 3,
            selector: 1,
            matching: 1,
            name: None,
        };
        let err = execute(args).unwrap_err().to_string();
        assert!(
            err.contains("_25._tcp..mx.a.test: not a domain name"),
            "{err}"
        );
        let args = TlsaArgs {
            action: Some(TlsaAction::Ready {
                config: path,
                name: "_25._tcp.mx.a.test".into(),
            }),
            cert: None,
            usage: 3,
            selector: 1,
            matching: 1,
            name: None,
        };
        let err = execute(args).unwrap_err().to_string();
        assert!(err.contains("no next_key configured"), "{err}");
    }
}
