//! The `daned` command: `serve`, `check`, `reload`, and with no arguments a demo.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use daned::cli::demo;
use daned::config::policy::Policy;
use daned::config::{Config, ServerConfig, ZoneConfig};
use daned::daemon::lifecycle;
use daned::daemon::signing;
use daned::daemon::{self, ServeOptions, ZoneSlot};
use daned::dane::derive;
use daned::doctor;
use daned::fixture;
use daned::net::acl::Acl;
use signer::ds::DigestType;
use signer::keystore::StoredKey;
use signer::{KeyRole, SigningKey};

/// Authoritative DNS server for mail domains.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// What to do; without a command, serve a demo zone (example.test).
    #[command(subcommand)]
    command: Option<Command>,
    /// Demo only: addresses to listen on (default 127.0.0.1:5300 and [::1]:5300).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Vec<SocketAddr>,
}

/// The verbs.
#[derive(Subcommand)]
enum Command {
    /// Serve the configured zones in the foreground.
    Serve {
        /// Configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Load the configuration and every zone, report errors and warnings.
    Check {
        /// Configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Ask the running daemon to reload changed zone files (SIGHUP).
    Reload {
        /// Configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Print the DS records to give the parent for a signed zone (its active KSK/CSK).
    Ds {
        /// Configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// The zone.
        zone: String,
        /// SHA-384 digests instead of SHA-256.
        #[arg(long)]
        sha384: bool,
    },
    /// List a zone's keys (algorithm, tag, role, state), or import BIND key files.
    Keys {
        /// Configuration file (before or after `import`; required).
        #[arg(short, long, value_name = "FILE", global = true)]
        config: Option<PathBuf>,
        /// The zone (for listing).
        zone: Option<String>,
        /// `import`: take over existing BIND keys.
        #[command(subcommand)]
        action: Option<KeysAction>,
    },
    /// Run the zone's signer, policy and key rollovers over virtual time and write, for each
    /// moment something changed, the signed zone (DIR/<YYYYMMDDhhmmss>.zone) and the parent's
    /// DS RRset (DIR/<same>.ds), the parent following CDS after --parent-delay.
    Simulate {
        /// Configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
        /// The zone.
        #[arg(long)]
        zone: String,
        /// How long to simulate ("800d").
        #[arg(long, default_value = "800d")]
        until: String,
        /// The time step ("1h").
        #[arg(long, default_value = "1h")]
        step: String,
        /// Output folder (keys go to DIR/state, never the zone's real ones).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// How long the parent takes to publish the DS set the CDS asks for ("1h").
        #[arg(long, default_value = "1h")]
        parent_delay: String,
        /// Start time, seconds since the epoch (default: now).
        #[arg(long)]
        start: Option<u64>,
        /// Start with keys of this algorithm (ed25519, ecdsap256sha256), so that the run
        /// begins with an algorithm rollover to the policy's.
        #[arg(long, value_name = "ALG")]
        from_algorithm: Option<String>,
    },
    /// Serve a DANE test fixture: a signed mail domain with MX, TLSA and a STARTTLS endpoint,
    /// its trust anchor and an unbound configuration, with faults on demand.
    #[command(args_conflicts_with_subcommands = true)]
    Fixture {
        /// `fault DIR NAME`: switch the running fixture's fault.
        #[command(subcommand)]
        action: Option<FixtureAction>,
        /// Folder for everything the fixture makes (created if missing).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The domain.
        #[arg(long, default_value = "example.test")]
        domain: String,
        /// DNS address (UDP and TCP); port 0 picks a free one.
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:5300")]
        dns: SocketAddr,
        /// SMTP address (the MX host's address and the TLSA port); port 0 picks a free one.
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:2525")]
        smtp: SocketAddr,
        /// Where the generated unbound.conf makes unbound listen.
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8053")]
        resolver: SocketAddr,
        /// The fault to start with (none, tlsa-mismatch, cert-expired, no-starttls,
        /// bad-signature, expired-signatures, ds-mismatch, renewal-unsafe, renewal-prepublished).
        #[arg(long, default_value = "none")]
        fault: String,
    },
    /// Check a mail domain the way a DANE sender sees it; exit 0 only when it would deliver.
    Doctor {
        /// The mail domain.
        domain: String,
        /// Trust anchor file (DS or DNSKEY records); the root's anchor when absent.
        #[arg(long, value_name = "FILE")]
        trust_anchor: Option<PathBuf>,
        /// Resolver to ask (ADDR:PORT); the system's (first nameserver in /etc/resolv.conf)
        /// when absent.
        #[arg(long, value_name = "ADDR:PORT")]
        resolver: Option<SocketAddr>,
        /// SMTP port (the TLSA records are looked up at _PORT._tcp).
        #[arg(long, default_value_t = 25)]
        port: u16,
        /// Seconds each network step may take.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make a new TSIG key and print it for daned, BIND and Knot.
    TsigKeygen {
        /// The key's name (the same on both sides of a transfer).
        name: String,
        /// hmac-sha256 (default), hmac-sha512 or hmac-sha1.
        #[arg(long, default_value = "hmac-sha256")]
        algorithm: String,
    },
    /// Print TLSA record data for a certificate (PEM or DER), like hash-slinger's `tlsa`.
    #[command(args_conflicts_with_subcommands = true)]
    Tlsa {
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
    },
}

/// `daned tlsa` actions on the configured bindings.
#[derive(Subcommand)]
enum TlsaAction {
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

/// `daned fixture` actions.
#[derive(Subcommand)]
enum FixtureAction {
    /// Switch the fault of the fixture running in DIR; returns once it is served.
    Fault {
        /// The fixture's folder.
        dir: PathBuf,
        /// The fault.
        name: String,
    },
}

/// `daned keys` actions.
#[derive(Subcommand)]
enum KeysAction {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("daned: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Dispatches the verbs.
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Serve { config }) => {
            let config = Config::load(&config)?;
            daned::net::tsig::install_keys(config.tsig_keys.clone());
            daemon::run(&config)?;
        }
        Some(Command::Check { config }) => {
            let config = Config::load(&config)?;
            let errors = daemon::check(&config, &mut std::io::stdout().lock())?;
            if errors > 0 {
                eprintln!("daned: {errors} zone(s) failed");
                return Ok(ExitCode::FAILURE);
            }
        }
        Some(Command::Reload { config }) => {
            let config = Config::load(&config)?;
            let pid = daemon::signal_reload(&config.server.state_dir)
                .context("is daned running with this configuration?")?;
            println!("sent SIGHUP to daned (pid {pid})");
        }
        Some(Command::Ds {
            config,
            zone,
            sha384,
        }) => {
            let config = Config::load(&config)?;
            let (zone, keys) = zone_keys(&config, &zone)?;
            let digest = if sha384 {
                DigestType::Sha384
            } else {
                DigestType::Sha256
            };
            let method =
                zone_signing(&config, &zone).map_or(Default::default(), |h| h.policy.ksk_method);
            let lines = signing::ds_lines(&zone, &keys, method, digest);
            if lines.is_empty() {
                anyhow::bail!(
                    "zone {zone} has no active key signing key (has it been served once?)"
                );
            }
            for line in lines {
                println!("{line}");
            }
        }
        Some(Command::Keys {
            config,
            zone,
            action,
        }) => {
            let config = config.context("daned keys needs -c FILE")?;
            let config = Config::load(&config)?;
            match (action, zone) {
                (
                    Some(KeysAction::Import {
                        zone,
                        key,
                        private,
                        role,
                    }),
                    _,
                ) => {
                    let name = zone_name(&config, &zone)?;
                    let role = match role {
                        Some(r) => Some(
                            KeyRole::from_str_opt(&r)
                                .with_context(|| format!("--role {r}: use csk, ksk or zsk"))?,
                        ),
                        None => None,
                    };
                    let store = signing::open_store(&config.server.state_dir, &name)?;
                    let mut k = store.import_bind(&key, &private, role, daned::clock::now())?;
                    signing::make_initial(&mut k, daned::clock::now());
                    store.save_metadata(&k)?;
                    println!(
                        "imported {} key {} ({}) for {name}",
                        k.meta.role.as_str(),
                        k.tag,
                        k.key.algorithm().mnemonic()
                    );
                }
                (Some(KeysAction::Roll { zone, role }), _) => {
                    let name = zone_name(&config, &zone)?;
                    let role = KeyRole::from_str_opt(&role)
                        .with_context(|| format!("{role}: use zsk, ksk or csk"))?;
                    let how = zone_signing(&config, &name)?;
                    if !how.policy.keys.roles().contains(&role) {
                        anyhow::bail!(
                            "zone {name} has no {} under policy {}",
                            role.as_str(),
                            how.policy_name
                        );
                    }
                    lifecycle::request_roll(&config.server.state_dir, &name, role)?;
                    println!("{} rollover of {name} requested", role.as_str());
                    poke_daemon(&config);
                }
                (Some(KeysAction::Submitted { zone, tag }), _) => {
                    confirm_ds(&config, &zone, tag, true)?;
                }
                (Some(KeysAction::Withdrawn { zone, tag }), _) => {
                    confirm_ds(&config, &zone, tag, false)?;
                }
                (None, Some(zone)) => {
                    let name = zone_name(&config, &zone)?;
                    let how = zone_signing(&config, &name)?;
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
                        lifecycle::report(how, &name, max_ttl, daned::clock::now(), secondaries)?
                    );
                }
                (None, None) => anyhow::bail!("name a zone: daned keys -c FILE ZONE"),
            }
        }
        Some(Command::Tlsa {
            action: Some(action),
            ..
        }) => return tlsa_action(action),
        Some(Command::Tlsa {
            action: None,
            cert,
            usage,
            selector,
            matching,
            name,
        }) => {
            let cert = cert.context("daned tlsa CERTFILE, or daned tlsa status|ready -c FILE")?;
            let bytes = std::fs::read(&cert).with_context(|| format!("{}", cert.display()))?;
            let certs =
                derive::certificates(&bytes).with_context(|| format!("{}", cert.display()))?;
            let params = derive::TlsaParams {
                usage: derive::Usage(usage),
                selector: derive::Selector(selector),
                matching: derive::Matching(matching),
            };
            let rdata = derive::tlsa_rdata(&certs[0], params)?;
            match name {
                Some(n) => println!(
                    "{}. IN TLSA {}",
                    n.trim_end_matches('.'),
                    derive::rdata_to_text(&rdata)
                ),
                None => println!("{}", derive::rdata_to_text(&rdata)),
            }
        }
        Some(Command::Simulate {
            config,
            zone,
            until,
            step,
            out,
            parent_delay,
            start,
            from_algorithm,
        }) => {
            let config = Config::load(&config)?;
            let duration = |what: &str, v: &str| {
                daned::config::parse_duration(v).map_err(|m| anyhow::anyhow!("--{what} {v}: {m}"))
            };
            let sim = daned::cli::simulate::Simulation {
                zone: zone_name(&config, &zone)?,
                until: duration("until", &until)?,
                step: duration("step", &step)?,
                out,
                parent_delay: duration("parent-delay", &parent_delay)?,
                from_algorithm: match from_algorithm {
                    Some(a) => Some(
                        daned::config::policy::parse_algorithm(&a)
                            .with_context(|| format!("--from-algorithm {a}: unknown"))?,
                    ),
                    None => None,
                },
            };
            let clock =
                signer::ManualClock::new(start.map_or_else(daned::clock::now, signer::Timestamp));
            let began = std::time::Instant::now();
            let s = daned::cli::simulate::run(&config, &sim, &clock)?;
            println!(
                "simulated {} steps in {:.1} s: {} moments written to {}, {} rollover steps, {} keys generated",
                s.steps,
                began.elapsed().as_secs_f64(),
                s.written,
                sim.out.display(),
                s.rollover_steps,
                s.keys_generated
            );
        }
        Some(Command::TsigKeygen { name, algorithm }) => {
            let alg =
                daned::net::tsig::TsigAlgorithm::from_name(&algorithm).with_context(|| {
                    format!("--algorithm {algorithm}: use hmac-sha256, hmac-sha512 or hmac-sha1")
                })?;
            let secret = data_encoding::BASE64.encode(&daned::net::tsig::generate_secret());
            let name = name.trim_end_matches('.');
            println!(
                "# daned (daned.toml)\n[[tsig_key]]\nname = \"{name}\"\nalgorithm = \"{alg}\"\nsecret = \"{secret}\"\n"
            );
            println!(
                "# BIND (named.conf)\nkey \"{name}\" {{\n    algorithm {alg};\n    secret \"{secret}\";\n}};\n"
            );
            println!(
                "# Knot DNS (knot.conf)\nkey:\n  - id: {name}\n    algorithm: {alg}\n    secret: {secret}"
            );
        }
        Some(Command::Fixture {
            action: Some(FixtureAction::Fault { dir, name }),
            ..
        }) => {
            let fault: fixture::Fault = name.parse()?;
            let serial = fixture::switch_fault(&dir, fault, std::time::Duration::from_secs(15))?;
            println!("fault {fault} served (serial {serial})");
        }
        Some(Command::Fixture {
            action: None,
            dir,
            domain,
            dns,
            smtp,
            resolver,
            fault,
        }) => {
            let dir = dir.context("daned fixture --dir DIR, or daned fixture fault DIR NAME")?;
            let mut domain = zones::Name::from_ascii(&domain)
                .with_context(|| format!("--domain {domain}: not a domain name"))?;
            domain.set_fqdn(true);
            fixture::run(fixture::FixtureOptions {
                dir,
                domain,
                dns,
                smtp,
                resolver,
                fault: fault.parse()?,
            })?;
        }
        Some(Command::Doctor {
            domain,
            trust_anchor,
            resolver,
            port,
            timeout,
            json,
        }) => {
            let mut name = zones::Name::from_ascii(&domain)
                .with_context(|| format!("{domain}: not a domain name"))?;
            name.set_fqdn(true);
            let report = doctor::run(&doctor::DoctorOptions {
                domain: name,
                trust_anchor,
                resolver,
                port,
                timeout: std::time::Duration::from_secs(timeout.max(1)),
            })?;
            if json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_text());
            }
            return Ok(if report.delivers() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        None => run_demo(cli.listen)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `daned tlsa status` and `daned tlsa ready`.
fn tlsa_action(action: TlsaAction) -> anyhow::Result<ExitCode> {
    use daned::daemon::tlsa::{publish, state};
    let (config, only) = match &action {
        TlsaAction::Status { config } => (config, None),
        TlsaAction::Ready { config, name } => (config, Some(name.clone())),
    };
    let config = Config::load(config)?;
    let now = daned::clock::now().0;
    let only = only.map(|n| {
        let mut name = zones::Name::from_ascii(&n).unwrap_or_default();
        name.set_fqdn(true);
        name
    });
    let mut found = false;
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
                if only.as_ref().is_some_and(|o| o != name) {
                    continue;
                }
                found = true;
                let published = saved
                    .as_ref()
                    .map(|z| publish::published(z, name))
                    .unwrap_or_default();
                let when = |rdata: &[u8]| {
                    first_seen
                        .get(&(name.to_lowercase().to_string(), state::hex(rdata)))
                        .copied()
                };
                if let TlsaAction::Ready { .. } = action {
                    let Some(next) = &derived_next else {
                        anyhow::bail!("{name}: no next_key configured (or it cannot be read)");
                    };
                    let Some(first) = published.contains(next).then(|| when(next)).flatten() else {
                        println!("{name}: the next key is not published yet");
                        return Ok(ExitCode::FAILURE);
                    };
                    let ready = state::ready_at(first, binding, propagation);
                    if now >= ready {
                        println!("{name}: next key ready since {}", utc(ready));
                        return Ok(ExitCode::SUCCESS);
                    }
                    println!(
                        "{name}: next key ready at {} (in {} s)",
                        utc(ready),
                        ready - now
                    );
                    return Ok(ExitCode::FAILURE);
                }
                println!("{name} (TTL {})", binding.ttl);
                let key = |rdata: &[u8]| (name.to_lowercase().to_string(), state::hex(rdata));
                for rdata in &published {
                    let is_next = derived_next.as_ref() == Some(rdata);
                    let role = match (current.contains(rdata), is_next) {
                        (true, true) => {
                            "current certificate, also next_key (stage the following next key)"
                        }
                        (true, false) => "current certificate",
                        (false, true) => "next key",
                        (false, false) if derived.contains(rdata) => "current certificate",
                        (false, false) if files_error.is_some() => {
                            "kept while the files are unusable"
                        }
                        (false, false) => "no longer in the files (retiring)",
                    };
                    let timing = match when(rdata) {
                        Some(first) => {
                            let ready = state::ready_at(first, binding, propagation);
                            let state = if now >= ready {
                                "ready since"
                            } else {
                                "ready at"
                            };
                            format!("published {}, {state} {}", utc(first), utc(ready))
                        }
                        None => "publication time unknown".to_string(),
                    };
                    println!("  {}  {role}; {timing}", derive::rdata_to_text(rdata));
                    if let Some(at) = tlsa_state.retiring.get(&key(rdata)) {
                        let probe = if binding.probe.is_some() {
                            ", once the probe sees the MTA present the new key"
                        } else {
                            ""
                        };
                        println!("    retiring: removed from {}{probe}", utc(*at));
                    }
                    if let Some(&until) = tlsa_state.unsafe_until.get(&key(rdata)) {
                        if until > now {
                            println!(
                                "    UNSAFE ROLLOVER: this key went into service before it was ready; DANE senders may defer mail with 5.7.323 until {} (in {} s)",
                                utc(until),
                                until - now
                            );
                        }
                    }
                }
                if let Some(e) = &files_error {
                    println!("  files unusable, the records above are kept: {e}");
                }
                if let Some(addr) = &binding.probe {
                    match tlsa_state.probes.get(addr) {
                        None => println!("  probe {addr}: not probed yet"),
                        Some(seen) => match &seen.outcome {
                            Ok(p) => {
                                let verdict = if p.matched_by(&published) {
                                    "matched by a published record"
                                } else {
                                    "MATCHED BY NO PUBLISHED RECORD: DANE senders defer mail with 5.7.323"
                                };
                                println!(
                                    "  probe {addr} at {}: presents {}; {verdict}",
                                    utc(seen.at),
                                    derive::rdata_to_text(&p.leaf)
                                );
                            }
                            Err(e) => {
                                println!("  probe {addr} at {}: failed: {e}", utc(seen.at));
                            }
                        },
                    }
                }
                if published.is_empty() {
                    println!("  nothing published yet (has daned served this zone?)");
                }
            }
        }
    }
    if !found {
        anyhow::bail!("no [[zone.tlsa]] binding matches");
    }
    Ok(ExitCode::SUCCESS)
}

/// A Unix time as "YYYY-MM-DD hh:mm:ss UTC".
fn utc(secs: u64) -> String {
    format!("{} UTC", zones::time::UtcDateTime::from_unix_u64(secs))
}

/// The configured zone called `zone`.
fn zone_name(config: &Config, zone: &str) -> anyhow::Result<zones::Name> {
    let mut name =
        zones::Name::from_ascii(zone).with_context(|| format!("bad zone name {zone:?}"))?;
    name.set_fqdn(true);
    if !config.zones.iter().any(|z| z.name == name) {
        anyhow::bail!("zone {name} is not in {}", config.path.display());
    }
    Ok(name)
}

/// The keys of a configured zone.
fn zone_keys(config: &Config, zone: &str) -> anyhow::Result<(zones::Name, Vec<StoredKey>)> {
    let name = zone_name(config, zone)?;
    let store = signing::open_store(&config.server.state_dir, &name)?;
    Ok((name.clone(), store.load_zone(&name)?))
}

/// `daned keys submitted|withdrawn`: records a DS change the operator saw at the parent.
fn confirm_ds(config: &Config, zone: &str, tag: u16, seen: bool) -> anyhow::Result<()> {
    let name = zone_name(config, zone)?;
    lifecycle::confirm_ds(
        &config.server.state_dir,
        &name,
        tag,
        seen,
        daned::clock::now(),
    )?;
    println!(
        "recorded: the DS of key {tag} is {} the parent of {name}",
        if seen { "published at" } else { "removed from" }
    );
    poke_daemon(config);
    Ok(())
}

/// How the configured zone `name` is signed (an error for an unsigned zone).
fn zone_signing<'a>(
    config: &'a Config,
    name: &zones::Name,
) -> anyhow::Result<&'a signing::ZoneSigning> {
    config
        .zones
        .iter()
        .find(|z| &z.name == name)
        .and_then(|z| z.signing.as_ref())
        .with_context(|| format!("zone {name} is not signed"))
}

/// Asks a running daemon to act on a request now rather than at its next check.
fn poke_daemon(config: &Config) {
    match daemon::signal_reload(&config.server.state_dir) {
        Ok(pid) => println!("daned (pid {pid}) notified"),
        Err(_) => println!("daned is not running: it acts on this when it starts"),
    }
}

/// Serves the in-memory demo zone, signed with throw-away keys in a temporary folder.
fn run_demo(listen: Vec<SocketAddr>) -> anyhow::Result<()> {
    let state_dir = std::env::temp_dir().join(format!("daned-demo-{}", std::process::id()));
    let listen = if listen.is_empty() {
        vec![
            SocketAddr::from(([127, 0, 0, 1], 5300)),
            "[::1]:5300".parse()?,
        ]
    } else {
        listen
    };
    let server = ServerConfig {
        listen: listen.clone(),
        state_dir: state_dir.clone(),
        udp_workers: 0,
        tcp_idle_timeout: std::time::Duration::from_secs(10),
        tcp_max_connections: 256,
    };
    let zone = ZoneConfig {
        name: demo::DEMO_ORIGIN.parse()?,
        file: PathBuf::from("(in memory)"),
        allow_transfer: Acl::parse(&["127.0.0.0/8", "::1"])?,
        sign: true,
        policy: None,
        signing: Some(signing::ZoneSigning {
            policy_name: "default".into(),
            policy: Policy::builtin(),
            state_dir: state_dir.clone(),
        }),
        serial_policy: Default::default(),
        notify: Vec::new(),
        parent_servers: Vec::new(),
        ds_check_interval: std::time::Duration::from_secs(3600),
        tlsa: Vec::new(),
    };
    let origin = zone.name.clone();
    let slot = ZoneSlot::in_memory(zone, demo::demo_zone())?;
    let keys = signing::open_store(&state_dir, &origin)?.load_zone(&origin)?;
    println!("daned demo: serving {} from memory", demo::DEMO_ORIGIN);
    println!("try (Ctrl-C to stop):");
    let first = listen[0];
    let host = match first {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => a.ip().to_string(),
    };
    for cmd in demo::try_commands(&host, first.port()) {
        println!("  {cmd}");
    }
    println!("trust anchor (give it to a validating resolver, e.g. unbound's trust-anchor:):");
    for ds in signing::ds_lines(&origin, &keys, Default::default(), DigestType::Sha256) {
        println!("  {ds}");
    }
    daemon::serve(
        &server,
        vec![slot],
        ServeOptions {
            pid_file: false,
            tolerate_bind_failures: true,
        },
    )?;
    Ok(())
}

/// Structured logs to stderr, filtered by RUST_LOG (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
