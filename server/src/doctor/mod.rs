//! `daned doctor DOMAIN`: does what a DANE sender (RFC 7672) does and says where it would
//! stop, with the 5.7.32x code Exchange Online-style senders report and what to fix.
//!
//! Steps, as a sender takes them: the MX RRset, then per MX host its A/AAAA and TLSA RRsets,
//! all validated by the doctor itself ([`validate`], from `--trust-anchor` or the root's
//! anchor, through [`dns`] with CD set so that bogus data is seen, not hidden); then SMTP,
//! EHLO, STARTTLS with [`crate::dane::smtp::client`], and the presented chain matched against the
//! TLSA records ([`tlsa_match`]). [`report`] prints the outcome.

pub mod anchor;
pub mod denial;
pub mod dns;
#[cfg(test)]
mod hostile_peers;
pub mod limits;
pub mod mail;
pub mod report;
#[cfg(test)]
pub(crate) mod test_server;
pub mod tlsa_match;
pub mod validate;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use signer::Timestamp;
use zones::{Name, Rtype};

use report::{Code, Failure, HostReport, Pass, Report};
use validate::{Bogus, Secure, Validator};

/// The name the doctor gives in EHLO.
const HELO: &str = "daned-doctor.invalid";

/// `daned doctor`'s settings.
#[derive(Clone, Debug)]
pub struct DoctorOptions {
    /// The mail domain (fully qualified).
    pub domain: Name,
    /// A trust anchor file (DS or DNSKEY records); the root's anchor when `None`.
    pub trust_anchor: Option<PathBuf>,
    /// The resolver; the system's when `None`.
    pub resolver: Option<SocketAddr>,
    /// The SMTP port (25 for real MX hosts).
    pub port: u16,
    /// How long each network step may take (one DNS query, one STARTTLS probe), as a whole.
    pub timeout: Duration,
    /// How long the whole check may take; what is left when it passes is reported as not
    /// checked.
    pub deadline: Duration,
    /// The DKIM, MTA-STS and TLS-RPT checks' settings.
    pub mail: mail::MailOptions,
}

/// MX hosts checked, in preference order; the rest are reported as not checked.
pub const MAX_MX_HOSTS: usize = 10;
/// Addresses of one MX host tried for SMTP; the rest are reported as not checked.
pub const MAX_ADDRESSES: usize = 4;

/// Why the doctor could not run at all (a check that fails is a report, not an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DoctorError {
    /// The trust anchor file could not be read.
    #[error("{path}: {error}")]
    AnchorFile {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    /// The trust anchor file holds no usable anchor.
    #[error("{path}: {error}")]
    Anchor {
        /// The file.
        path: PathBuf,
        /// The error.
        error: validate::AnchorError,
    },
    /// No resolver.
    #[error(transparent)]
    Dns(#[from] dns::DnsError),
    /// The async runtime for the DNS questions and the SMTP probe could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}

/// Runs every check and returns the report.
pub fn run(options: &DoctorOptions) -> Result<Report, DoctorError> {
    let anchor = match &options.trust_anchor {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| DoctorError::AnchorFile {
                path: path.clone(),
                error,
            })?;
            validate::parse_anchor(&text).map_err(|error| DoctorError::Anchor {
                path: path.clone(),
                error,
            })?
        }
        None => validate::root_anchor(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(DoctorError::Runtime)?;
    let deadline = std::time::Instant::now() + options.deadline;
    let client =
        dns::Client::new(options.resolver, options.timeout, &runtime)?.with_deadline(deadline);
    let now = crate::clock::now();
    let mut report = Report {
        domain: options.domain.to_string().trim_end_matches('.').to_string(),
        trust_anchor: anchor.owner.to_string(),
        resolver: client.server.to_string(),
        port: options.port,
        ..Report::default()
    };
    let mut validator = Validator::new(&client, anchor, now);

    let mx = match validator.lookup(&options.domain, Rtype::MX) {
        Ok(Secure::Data(set)) => set,
        Ok(other) => {
            let reason = match other {
                Secure::Insecure(why) => {
                    format!(
                        "{} has no MX RRset, by an insecure denial: {why}",
                        report.domain
                    )
                }
                _ => format!("{} has no MX RRset (validated)", report.domain),
            };
            report.failure = Some(Failure {
                code: Code::NoMx,
                reason,
                fix: "publish MX records for the domain's mail hosts".into(),
            });
            report.warnings = validator.warnings;
            report.finish();
            return Ok(report);
        }
        Err(bogus) => {
            report.failure = Some(dnssec_failure(&bogus));
            report.warnings = validator.warnings;
            report.finish();
            return Ok(report);
        }
    };
    let mut hosts: Vec<(u16, Name)> = mx
        .rdatas
        .iter()
        .filter_map(|r| {
            let b = r.as_bytes();
            let pref = u16::from_be_bytes([*b.first()?, *b.get(1)?]);
            let name = name_from_wire(b.get(2..)?)?;
            Some((pref, name))
        })
        .collect();
    hosts.sort();
    report.passed.push(Pass {
        what: format!(
            "MX {}: {} (DNSSEC valid)",
            report.domain,
            hosts
                .iter()
                .map(|(p, n)| format!("{p} {}", n.to_string().trim_end_matches('.')))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    });
    if hosts.iter().any(|(_, n)| n.is_root()) {
        report.failure = Some(Failure {
            code: Code::NoMx,
            reason: "null MX (RFC 7505): the domain accepts no mail".into(),
            fix: "remove the null MX if the domain should receive mail".into(),
        });
    }
    let hosts: Vec<(u16, Name)> = hosts.into_iter().filter(|(_, n)| !n.is_root()).collect();
    let mut not_checked = Vec::new();
    if hosts.len() > MAX_MX_HOSTS {
        not_checked.push(format!(
            "{} MX hosts: only the first {MAX_MX_HOSTS} by preference are checked; not checked: {}",
            hosts.len(),
            names(hosts[MAX_MX_HOSTS..].iter().map(|(_, n)| n))
        ));
    }
    for (i, (pref, host)) in hosts.iter().take(MAX_MX_HOSTS).enumerate() {
        if std::time::Instant::now() >= deadline {
            not_checked.push(format!(
                "the doctor's deadline ({:?}) passed: not checked: {}",
                options.deadline,
                names(hosts[i..].iter().take(MAX_MX_HOSTS - i).map(|(_, n)| n))
            ));
            break;
        }
        let h = check_host(
            &mut validator,
            &runtime,
            host,
            *pref,
            options,
            now,
            deadline,
        );
        report.hosts.push(h);
    }
    if std::time::Instant::now() < deadline {
        report.mail = mail::check(
            &mut validator,
            &runtime,
            &options.domain,
            &report.hosts,
            &options.mail,
        );
    } else {
        not_checked.push(format!(
            "the doctor's deadline ({:?}) passed: the mail records (DKIM, MTA-STS, TLS-RPT) were not checked",
            options.deadline
        ));
    }
    report.warnings = validator.warnings;
    report.warnings.extend(not_checked);
    report.finish();
    Ok(report)
}

/// Host names for a message, without final dots.
fn names<'a>(hosts: impl Iterator<Item = &'a Name>) -> String {
    hosts
        .map(|n| n.to_string().trim_end_matches('.').to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The uncompressed wire name at the start of `wire` (trailing octets ignored), decoded by
/// hickory-proto; `None` when it is truncated, longer than 255 octets or holds a compression
/// pointer (record data here is always uncompressed, see [`dns`]).
pub(crate) fn name_from_wire(wire: &[u8]) -> Option<Name> {
    use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
    let len = zones::rdata::name_len_at(wire, 0)?;
    let mut name = Name::read(&mut BinDecoder::new(wire.get(..len)?)).ok()?;
    name.set_fqdn(true);
    Some(name)
}

/// The failure a sender reports for bogus DNS data, or "could not check" when the doctor got
/// no usable answer.
fn dnssec_failure(bogus: &Bogus) -> Failure {
    if bogus.could_not_check() {
        let fix = match bogus {
            Bogus::TooMuchWork { .. } => {
                "the zone's signatures or NSEC3 records cost more to check than validating resolvers allow (many keys sharing a tag, many signatures, many NSEC3 hashes): resolvers give up on it too; sign with fewer keys and NSEC3 without iterations"
            }
            _ => {
                "check again (with a larger --timeout or --deadline); if it persists, make the resolver and the zone's name servers answer promptly and correctly"
            }
        };
        return Failure {
            code: Code::CouldNotCheck,
            reason: bogus.to_string(),
            fix: fix.into(),
        };
    }
    let fix = match bogus {
        Bogus::Expired { .. } | Bogus::NotYetValid { .. } => {
            "re-sign the zone (is the signer running, is its clock right?) and make sure every secondary serves the new signatures"
        }
        Bogus::BadSignature { .. } | Bogus::UnknownKey { .. } => {
            "re-sign the zone with its published keys; check that every secondary serves the same version as the primary"
        }
        Bogus::DsMismatch { .. } => {
            "give the parent the DS of the key that signs the DNSKEY RRset (daned ds -c FILE ZONE), or restore that key"
        }
        Bogus::NoDs { .. } => {
            "publish the zone's DS at the parent (daned ds -c FILE ZONE): without a secure delegation senders cannot use DANE"
        }
        Bogus::DenialNotProven { .. } => {
            "re-sign the zone so that its NSEC/NSEC3 chain is complete and current, and make sure every name server sends the full proof (closest encloser, next closer and wildcard records) with negative answers"
        }
        Bogus::ServFail { .. } => {
            "make the zone's name servers answer (a resolver that fails cannot validate)"
        }
        _ => "sign the zone and keep its chain of trust from the parent intact",
    };
    Failure {
        code: Code::DnssecInvalid,
        reason: bogus.to_string(),
        fix: fix.into(),
    }
}

/// Checks one MX host: addresses, TLSA, STARTTLS, matching.
fn check_host(
    validator: &mut Validator<'_>,
    runtime: &tokio::runtime::Runtime,
    host: &Name,
    preference: u16,
    options: &DoctorOptions,
    now: Timestamp,
    deadline: std::time::Instant,
) -> HostReport {
    let host_text = host.to_string().trim_end_matches('.').to_string();
    let mut report = HostReport {
        host: host_text.clone(),
        preference,
        ..HostReport::default()
    };
    let mut addresses: Vec<IpAddr> = Vec::new();
    for rtype in [Rtype::A, Rtype::AAAA] {
        match validator.lookup(host, rtype) {
            Ok(Secure::Data(set)) => {
                let found: Vec<IpAddr> = set
                    .rdatas
                    .iter()
                    .filter_map(|r| match r.as_bytes() {
                        b if b.len() == 4 => Some(IpAddr::from(<[u8; 4]>::try_from(b).ok()?)),
                        b if b.len() == 16 => Some(IpAddr::from(<[u8; 16]>::try_from(b).ok()?)),
                        _ => None,
                    })
                    .collect();
                report.passed.push(Pass {
                    what: format!(
                        "{rtype} {} (DNSSEC valid)",
                        found
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                });
                addresses.extend(found);
            }
            Ok(Secure::Insecure(why)) => report.warnings.push(format!("{rtype}: {why}")),
            Ok(_) => report.passed.push(Pass {
                what: format!("{rtype}: none (signed denial)"),
            }),
            Err(bogus) => {
                report.failure = Some(dnssec_failure(&bogus));
                return report;
            }
        }
    }
    if addresses.is_empty() {
        report.failure = Some(Failure {
            code: Code::NoConnection,
            reason: format!("{host_text} has no address"),
            fix: "publish A/AAAA records for the MX host".into(),
        });
        return report;
    }
    let tlsa_name = format!("_{}._tcp.{}", options.port, host.to_lowercase());
    let tlsa_records: Vec<Vec<u8>> = match Name::from_ascii(&tlsa_name)
        .map_err(|e| Bogus::Lookup {
            owner: tlsa_name.clone(),
            rtype: "TLSA".into(),
            error: format!("not a domain name: {e}"),
        })
        .and_then(|n| validator.lookup(&n, Rtype::TLSA))
    {
        Ok(Secure::Data(set)) => {
            report.passed.push(Pass {
                what: format!(
                    "TLSA {}: {} (DNSSEC valid)",
                    tlsa_name.trim_end_matches('.'),
                    set.rdatas
                        .iter()
                        .map(|r| crate::dane::derive::rdata_to_text(r.as_bytes()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            set.rdatas.iter().map(|r| r.as_bytes().to_vec()).collect()
        }
        Ok(Secure::Insecure(why)) => {
            report.warnings.push(format!(
                "TLSA {}: {why}; DANE senders do not use DANE for this host",
                tlsa_name.trim_end_matches('.')
            ));
            Vec::new()
        }
        Ok(_) => {
            report.warnings.push(format!(
                "no TLSA records at {}: DANE senders use unauthenticated TLS (or none) for this host; publish 3 1 1 for its key",
                tlsa_name.trim_end_matches('.')
            ));
            Vec::new()
        }
        Err(bogus) => {
            report.failure = Some(dnssec_failure(&bogus));
            return report;
        }
    };
    report.dane = !tlsa_records.is_empty();

    // SMTP: the first address that answers.
    let mut last_error = None;
    let mut session = None;
    if addresses.len() > MAX_ADDRESSES {
        report.warnings.push(format!(
            "{} addresses: SMTP is tried at the first {MAX_ADDRESSES} only; not checked: {}",
            addresses.len(),
            addresses[MAX_ADDRESSES..]
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    for ip in addresses.iter().take(MAX_ADDRESSES) {
        let addr = SocketAddr::new(*ip, options.port);
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            report.warnings.push(format!(
                "the doctor's deadline passed before SMTP at {addr} was tried"
            ));
            break;
        }
        let probe = runtime.block_on(crate::dane::smtp::client::starttls(
            addr,
            &host_text,
            HELO,
            options.timeout.min(left),
        ));
        match probe {
            Ok(s) => {
                session = Some((addr, s));
                break;
            }
            Err(e) => last_error = Some((addr, e)),
        }
    }
    let Some((addr, session)) = session else {
        report.failure = Some(probe_failure(last_error, report.dane));
        return report;
    };
    report.passed.push(Pass {
        what: format!(
            "STARTTLS at {addr} ({:?}, {:?})",
            session.tls_version, session.cipher
        ),
    });
    if !report.dane {
        return report;
    }
    let matched = tlsa_match::check(&tlsa_records, &session.chain, &host_text, now.0 as i64);
    apply_match(&mut report, matched);
    report
}

/// Puts the TLSA matching outcome into a host's report (STARTTLS has succeeded).
fn apply_match(report: &mut HostReport, matched: tlsa_match::MatchReport) {
    report.warnings.extend(matched.warnings);
    match matched.verdict {
        tlsa_match::Verdict::Match { record } => report.passed.push(Pass {
            what: format!("TLSA {record} matches the presented certificate chain"),
        }),
        // RFC 7672 section 2.2: TLS is still mandatory (a host without STARTTLS has already
        // failed with 5.7.321), the server is not authenticated, the mail is delivered.
        tlsa_match::Verdict::Unusable { detail } => {
            report.passed.push(Pass {
                what: "TLS (required: the TLSA RRset is secure) without authentication: no usable TLSA record".into(),
            });
            report.warnings.push(detail);
        }
        tlsa_match::Verdict::Expired { detail } => {
            report.failure = Some(Failure {
                code: Code::CertificateExpired,
                reason: detail,
                fix: "install a renewed certificate (with its key's TLSA record published ahead)"
                    .into(),
            });
        }
        tlsa_match::Verdict::NoMatch { detail } => {
            report.failure = Some(Failure {
                code: Code::TlsaInvalid,
                reason: detail,
                fix: "publish the TLSA record of the key the server presents (daned tlsa CERTFILE), or deploy the certificate whose key is published; on renewal, publish the next key's record 2 x TTL ahead (daned: next_key, daned tlsa ready)".into(),
            });
        }
    }
}

/// The failure for a STARTTLS probe that did not complete.
fn probe_failure(
    error: Option<(SocketAddr, crate::dane::smtp::ProbeError)>,
    dane: bool,
) -> Failure {
    use crate::dane::smtp::ProbeError;
    let Some((addr, error)) = error else {
        return Failure {
            code: Code::NoConnection,
            reason: "no address to connect to".into(),
            fix: "publish A/AAAA records for the MX host".into(),
        };
    };
    match error {
        ProbeError::Connect { .. } | ProbeError::Timeout(_) => Failure {
            code: Code::NoConnection,
            reason: format!("{addr}: {error}"),
            fix: "make the MX host reachable on its SMTP port".into(),
        },
        ProbeError::NoStarttls { .. } => Failure {
            code: Code::StarttlsNotSupported,
            reason: format!("{addr}: {error}"),
            fix: if dane {
                "enable STARTTLS on the mail server (with the certificate the TLSA records name)"
            } else {
                "enable STARTTLS on the mail server"
            }
            .into(),
        },
        other => Failure {
            code: Code::StarttlsNotSupported,
            reason: format!("{addr}: {other}"),
            fix: "fix the server's TLS setup: the handshake must complete".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_with(verdict: tlsa_match::Verdict) -> Report {
        let mut host = HostReport {
            host: "mx.example.test".into(),
            dane: true,
            ..HostReport::default()
        };
        apply_match(
            &mut host,
            tlsa_match::MatchReport {
                verdict,
                warnings: Vec::new(),
            },
        );
        let mut report = Report {
            hosts: vec![host],
            ..Report::default()
        };
        report.finish();
        report
    }

    #[test]
    fn only_unusable_tlsa_records_deliver_with_a_warning_and_a_usable_mismatch_is_5_7_323() {
        let r = host_with(tlsa_match::Verdict::Unusable {
            detail: "every TLSA record is unusable; publish a 3 1 1 record".into(),
        });
        assert!(r.delivers(), "{}", r.to_text());
        assert!(r.codes().is_empty());
        assert!(r.hosts[0].warnings.iter().any(|w| w.contains("3 1 1")));
        assert!(r.to_text().contains("without authentication"));
        let r = host_with(tlsa_match::Verdict::NoMatch {
            detail: "no TLSA record matches".into(),
        });
        assert!(!r.delivers());
        assert_eq!(r.codes(), [Code::TlsaInvalid]);
    }

    #[test]
    fn wire_names_decode_as_before_and_compression_or_truncation_is_refused() {
        let n = name_from_wire(b"\x02mx\x07Example\x04test\x00\x00\x0a").unwrap();
        assert_eq!(n.to_string(), "mx.Example.test.");
        assert!(n.is_fqdn());
        assert!(name_from_wire(b"\x00").unwrap().is_root());
        assert_eq!(
            name_from_wire(b"\x04_tcp\x01*\x00").unwrap().to_string(),
            "_tcp.*."
        );
        assert_eq!(name_from_wire(b"\x02mx\xc0\x00"), None);
        assert_eq!(name_from_wire(b"\x02mx\x07exam"), None);
        assert_eq!(name_from_wire(b"\x02mx"), None);
        assert_eq!(name_from_wire(b""), None);
        let long: Vec<u8> = [[63u8].as_slice(), &[b'a'; 63]].concat().repeat(4);
        assert_eq!(name_from_wire(&[long.as_slice(), &[0]].concat()), None);
    }

    #[test]
    fn a_host_without_starttls_fails_5_7_321_whatever_its_tlsa_records() {
        let error = crate::dane::smtp::ProbeError::NoStarttls {
            ehlo: vec!["250 mx.example.test".into()],
        };
        let addr: SocketAddr = "192.0.2.25:25".parse().unwrap();
        let f = probe_failure(Some((addr, error)), true);
        assert_eq!(f.code, Code::StarttlsNotSupported);
    }
}
