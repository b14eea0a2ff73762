//! `daned tlsa`: TLSA record data for a certificate file (like hash-slinger's `tlsa`), and
//! `status` / `ready` of the configured `[[zone.tlsa]]` bindings.
//!
//! [`status`] is the one place that works out where each managed name stands; the two
//! actions only print it. It reads the files and the daemon's saved zone and state, as the
//! daemon's own TLSA publication does.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use zones::{Name, Ttl};

use crate::config::Config;
use crate::daemon;
use crate::daemon::tlsa::{publish, state};
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

//------------ NameStatus -----------------------------------------------------

/// Where one managed TLSA name stands: what is published, what each record is and when it
/// is ready, what the probe saw.
#[derive(Clone, Debug)]
pub struct NameStatus {
    /// The owner name.
    pub name: Name,
    /// The binding's TLSA TTL.
    pub ttl: Ttl,
    /// The published records, in the order the saved zone holds them.
    pub records: Vec<RecordStatus>,
    /// Why the binding's files cannot be used (the published records are then kept).
    pub files_error: Option<String>,
    /// The next key's record: `None` when no `next_key` is configured or it cannot be read.
    pub next_key: Option<NextKeyStatus>,
    /// The binding's `probe` address and its last probe, if any.
    pub probe: Option<(String, Option<ProbeStatus>)>,
}

/// One published TLSA record.
#[derive(Clone, Debug)]
pub struct RecordStatus {
    /// Its rdata.
    pub rdata: Vec<u8>,
    /// What it is.
    pub role: RecordRole,
    /// When it was first published and when it is ready (seconds since the epoch), if known.
    pub published: Option<(u64, u64)>,
    /// When a retiring record may be removed from.
    pub retiring_from: Option<u64>,
    /// Until when senders may defer mail with 5.7.323 after an unsafe rollover to this key.
    pub unsafe_until: Option<u64>,
}

/// What a published record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordRole {
    /// The current certificate's, which is also the next key.
    CurrentAndNext,
    /// The current certificate's.
    Current,
    /// The next key's.
    Next,
    /// Not in the files, kept because the files cannot be used.
    KeptWhileFilesUnusable,
    /// No longer in the files.
    Retiring,
}

impl RecordRole {
    /// How `daned tlsa status` describes it.
    fn describe(self) -> &'static str {
        match self {
            Self::CurrentAndNext => {
                "current certificate, also next_key (stage the following next key)"
            }
            Self::Current => "current certificate",
            Self::Next => "next key",
            Self::KeptWhileFilesUnusable => "kept while the files are unusable",
            Self::Retiring => "no longer in the files (retiring)",
        }
    }
}

/// The next key's record.
#[derive(Clone, Debug)]
pub enum NextKeyStatus {
    /// Not published (or its first publication is not known).
    NotPublished,
    /// Published; ready at this time (seconds since the epoch).
    Published {
        /// When it is ready.
        ready_at: u64,
    },
}

/// The last probe of a binding's MTA.
#[derive(Clone, Debug)]
pub struct ProbeStatus {
    /// When (seconds since the epoch).
    pub at: u64,
    /// The `3 1 1` rdata of the key presented and whether a published record matches it, or
    /// why the probe failed.
    pub outcome: Result<(Vec<u8>, bool), String>,
}

//------------ status ---------------------------------------------------------

/// Where every managed TLSA name of `config` stands, in configuration order.
///
/// This is computed here from the files, the saved zone and the TLSA state file; the
/// daemon's TLSA manager is meant to become its only source.
pub fn status(config: &Config) -> Vec<NameStatus> {
    let mut out = Vec::new();
    for zone in &config.zones {
        let saved = daemon::pipeline::Versions::open(&config.server.state_dir, &zone.name)
            .ok()
            .and_then(|v| v.load_saved(&zone.name));
        let tlsa_state = state::TlsaState::load(&state::path(&config.server.state_dir, &zone.name));
        let first_seen = &tlsa_state.first_seen;
        let propagation = zone
            .signing
            .as_ref()
            .map_or(0, |s| s.policy.propagation_delay.as_secs());
        for binding in &zone.tlsa {
            let derived_next = binding
                .next_key
                .as_ref()
                .and_then(|p| std::fs::read(p).ok())
                .and_then(|b| derive::public_key_info(&b).ok())
                .and_then(|spki| {
                    derive::tlsa_rdata_for_spki(
                        &spki,
                        derive::Usage::DANE_EE,
                        derive::Matching::SHA256,
                    )
                    .ok()
                });
            let current = publish::derive_records(&publish::TlsaBinding {
                next_key: None,
                ..binding.clone()
            })
            .unwrap_or_default();
            let derived = publish::derive_records(binding);
            let files_error = derived.as_ref().err().map(ToString::to_string);
            let derived = derived.unwrap_or_default();
            for name in &binding.names {
                let published = saved
                    .as_ref()
                    .map(|z| publish::published(z, name))
                    .unwrap_or_default();
                let key = |rdata: &[u8]| (name.to_lowercase().to_string(), state::hex(rdata));
                let when = |rdata: &[u8]| first_seen.get(&key(rdata)).copied();
                let next_key = derived_next.as_ref().map(|next| {
                    match published.contains(next).then(|| when(next)).flatten() {
                        Some(first) => NextKeyStatus::Published {
                            ready_at: state::ready_at(first, binding, propagation),
                        },
                        None => NextKeyStatus::NotPublished,
                    }
                });
                let records = published
                    .iter()
                    .map(|rdata| {
                        let is_next = derived_next.as_ref() == Some(rdata);
                        let role = match (current.contains(rdata), is_next) {
                            (true, true) => RecordRole::CurrentAndNext,
                            (true, false) => RecordRole::Current,
                            (false, true) => RecordRole::Next,
                            (false, false) if derived.contains(rdata) => RecordRole::Current,
                            (false, false) if files_error.is_some() => {
                                RecordRole::KeptWhileFilesUnusable
                            }
                            (false, false) => RecordRole::Retiring,
                        };
                        RecordStatus {
                            rdata: rdata.clone(),
                            role,
                            published: when(rdata)
                                .map(|first| (first, state::ready_at(first, binding, propagation))),
                            retiring_from: tlsa_state.retiring.get(&key(rdata)).copied(),
                            unsafe_until: tlsa_state.unsafe_until.get(&key(rdata)).copied(),
                        }
                    })
                    .collect();
                let probe = binding.probe.as_ref().map(|addr| {
                    let seen = tlsa_state.probes.get(addr).map(|seen| ProbeStatus {
                        at: seen.at,
                        outcome: match &seen.outcome {
                            Ok(p) => Ok((p.leaf.clone(), p.matched_by(&published))),
                            Err(e) => Err(e.clone()),
                        },
                    });
                    (addr.clone(), seen)
                });
                out.push(NameStatus {
                    name: name.clone(),
                    ttl: binding.ttl,
                    records,
                    files_error: files_error.clone(),
                    next_key,
                    probe,
                });
            }
        }
    }
    out
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
    if let Some(e) = &status.files_error {
        println!("  files unusable, the records above are kept: {e}");
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
    let d = zones::serial::yyyymmdd(secs);
    let t = secs % 86_400;
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        d / 10_000,
        d / 100 % 100,
        d % 100,
        t / 3600,
        t / 60 % 60,
        t % 60
    )
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
        assert_eq!(s.ttl, Ttl(300));
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
