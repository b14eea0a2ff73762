//! The doctor's mail-record checks, beside the DANE ones: DKIM keys at the selectors given
//! with `--dkim-selector` (RFC 6376 section 3.6.1, RFC 8463, RFC 8301; CNAME-delegated
//! selectors such as Exchange Online's followed and validated), the MTA-STS record and policy
//! (RFC 8461: the TXT, the policy fetched over HTTPS, its `mx` patterns against the MX RRset and
//! the hosts DANE covers), the TLS-RPT record (RFC 8460), and whether SPF and DMARC are
//! published. Every lookup is validated like the rest of the doctor's.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Serialize;
use zones::{Name, Rtype};

use super::report::HostReport;
use super::validate::{Secure, Validator};
use crate::mailrec::dkim::record::{DkimKey, RSA_MIN_BITS, txt_text};
use crate::mailrec::mta_sts::fetch::StsEndpoint;
use crate::mailrec::mta_sts::policy::{Mode, StsPolicy};
use crate::mailrec::tls_rpt;

/// What the mail checks need beyond the DANE ones.
#[derive(Clone, Debug, Default)]
pub struct MailOptions {
    /// The DKIM selectors to check.
    pub dkim_selectors: Vec<String>,
    /// The port the MTA-STS policy host is asked on (443 in real life).
    pub mta_sts_port: u16,
    /// A CA file the policy host's certificate must chain to (the system's roots when `None`).
    pub mta_sts_ca: Option<PathBuf>,
}

/// The findings, in `--json` as `mail`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MailReport {
    /// What was checked and found right.
    pub passed: Vec<String>,
    /// What breaks mail (a key that cannot verify, a policy senders refuse).
    pub errors: Vec<String>,
    /// What is about to break or is missing.
    pub warnings: Vec<String>,
}

/// Runs the mail checks of `domain` whose MX hosts are `hosts` (with their DANE reports).
pub fn check(
    validator: &mut Validator<'_>,
    runtime: &tokio::runtime::Runtime,
    domain: &Name,
    hosts: &[HostReport],
    options: &MailOptions,
) -> MailReport {
    let mut report = MailReport::default();
    for selector in &options.dkim_selectors {
        check_dkim(validator, domain, selector, &mut report);
    }
    check_mta_sts(validator, runtime, domain, hosts, options, &mut report);
    check_tls_rpt(validator, domain, &mut report);
    check_presence(validator, domain, &mut report);
    report
}

/// The joined text of every TXT record at `name` (validated), `Ok(vec![])` when there is none.
fn txt(validator: &mut Validator<'_>, name: &Name) -> Result<Vec<String>, String> {
    match validator.lookup(name, Rtype::TXT) {
        Ok(Secure::Data(set)) => Ok(set
            .rdatas
            .iter()
            .filter_map(|r| txt_text(r.as_bytes()))
            .collect()),
        Ok(_) => Ok(Vec::new()),
        Err(bogus) => Err(format!("{name} TXT: {bogus}")),
    }
}

/// `label.domain`.
fn child(domain: &Name, label: &str) -> Option<Name> {
    let mut name = Name::from_ascii(format!("{label}.{domain}")).ok()?;
    name.set_fqdn(true);
    Some(name)
}

//------------ DKIM ------------------------------------------------------------

/// Checks the key at `selector._domainkey.domain`.
fn check_dkim(
    validator: &mut Validator<'_>,
    domain: &Name,
    selector: &str,
    report: &mut MailReport,
) {
    let Some(name) = child(domain, &format!("{selector}._domainkey")) else {
        report
            .errors
            .push(format!("DKIM selector {selector:?}: not a domain name"));
        return;
    };
    let records = match txt(validator, &name) {
        Ok(r) => r,
        Err(e) => {
            report.errors.push(format!("DKIM {name}: {e}"));
            return;
        }
    };
    let keys: Vec<&String> = records
        .iter()
        .filter(|t| !t.trim_start().starts_with("v=") || t.trim_start().starts_with("v=DKIM1"))
        .collect();
    match keys.as_slice() {
        [] => report.errors.push(format!(
            "DKIM {name}: no key record; mail signed with selector {selector} fails verification"
        )),
        [one] => match dkim_key(one) {
            Ok(DkimVerdict::Key(key)) if key.is_weak() => report.warnings.push(format!(
                "DKIM {name}: RSA key of {} bits; use at least 2048 (RFC 8301 section 3.2)",
                key.bits
            )),
            Ok(DkimVerdict::Key(key)) => report.passed.push(format!(
                "DKIM {name}: {} key, {} bits (DNSSEC valid)",
                key.kind.tag(),
                key.bits
            )),
            Ok(DkimVerdict::Revoked) => report.errors.push(format!(
                "DKIM {name}: the key is revoked (empty p=); mail signed with selector {selector} fails verification"
            )),
            Err(e) => report.errors.push(format!("DKIM {name}: {e}")),
        },
        _ => report.errors.push(format!(
            "DKIM {name}: {} key records; verifiers may pick either (RFC 6376 section 3.6.2.2)",
            keys.len()
        )),
    }
}

/// What a DKIM key record holds.
#[derive(Debug, PartialEq, Eq)]
pub enum DkimVerdict {
    /// A usable key.
    Key(DkimKey),
    /// An empty `p=` (RFC 6376 section 3.6.1: revoked).
    Revoked,
}

/// Parses a DKIM key record (RFC 6376 section 3.6.1 tags).
pub fn dkim_key(text: &str) -> Result<DkimVerdict, String> {
    let mut tags = Vec::new();
    for (i, tag) in text.split(';').map(str::trim).enumerate() {
        if tag.is_empty() {
            continue;
        }
        let (k, v) = tag
            .split_once('=')
            .ok_or_else(|| format!("tag {tag:?} is not name=value"))?;
        let (k, v) = (k.trim(), v.split_whitespace().collect::<String>());
        if k == "v" && (i != 0 || v != "DKIM1") {
            return Err("v= must come first and be DKIM1".into());
        }
        tags.push((k.to_string(), v));
    }
    let get = |name: &str| {
        tags.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let p = get("p").ok_or("no p= tag")?;
    if p.is_empty() {
        return Ok(DkimVerdict::Revoked);
    }
    let raw = data_encoding::BASE64
        .decode(p.as_bytes())
        .map_err(|e| format!("p= is not base64: {e}"))?;
    match get("k").unwrap_or("rsa") {
        "rsa" => DkimKey::from_spki(&raw)
            .map(DkimVerdict::Key)
            .map_err(|e| match e {
                crate::mailrec::dkim::record::KeyError::TooSmall { bits } => format!(
                    "RSA key of {bits} bits; verifiers refuse keys below {RSA_MIN_BITS} bits (RFC 8301 section 3.2)"
                ),
                other => format!("p= is no RSA SubjectPublicKeyInfo: {other}"),
            }),
        "ed25519" if raw.len() == 32 => Ok(DkimVerdict::Key(DkimKey {
            kind: crate::mailrec::dkim::record::KeyKind::Ed25519,
            bits: 256,
            public: raw,
        })),
        "ed25519" => Err(format!(
            "k=ed25519 wants the raw 32-octet key in p= (RFC 8463 section 4.2), not {} octets",
            raw.len()
        )),
        other => Err(format!("unknown key type k={other}")),
    }
}

//------------ MTA-STS ---------------------------------------------------------

/// Checks `_mta-sts.domain`, fetches the policy and compares it with the MX hosts.
fn check_mta_sts(
    validator: &mut Validator<'_>,
    runtime: &tokio::runtime::Runtime,
    domain: &Name,
    hosts: &[HostReport],
    options: &MailOptions,
    report: &mut MailReport,
) {
    let (Some(name), Some(host)) = (child(domain, "_mta-sts"), child(domain, "mta-sts")) else {
        return;
    };
    let records: Vec<String> = match txt(validator, &name) {
        Ok(r) => r.into_iter().filter(|t| t.starts_with("v=STSv1")).collect(),
        Err(e) => {
            report.errors.push(format!("MTA-STS: {e}"));
            return;
        }
    };
    let id = match records.as_slice() {
        [] => {
            report.warnings.push(format!(
                "no MTA-STS record at {name}: senders without DANE may deliver without TLS"
            ));
            return;
        }
        [one] => match crate::mailrec::mta_sts::policy::id_of_record(one) {
            Some(id)
                if !id.is_empty()
                    && id.len() <= 32
                    && id.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                id
            }
            _ => {
                report.errors.push(format!(
                    "MTA-STS {name}: {one:?} has no valid id (1 to 32 letters and digits, RFC 8461 section 3.1)"
                ));
                return;
            }
        },
        _ => {
            report.errors.push(format!(
                "MTA-STS {name}: several STSv1 records; senders then use no policy (RFC 8461 section 3.1)"
            ));
            return;
        }
    };
    report
        .passed
        .push(format!("MTA-STS {name}: id {id} (DNSSEC valid)"));
    let address =
        [Rtype::A, Rtype::AAAA]
            .into_iter()
            .find_map(|t| match validator.lookup(&host, t) {
                Ok(Secure::Data(set)) => {
                    set.rdatas.first().and_then(|r| match r.as_bytes().len() {
                        4 => <[u8; 4]>::try_from(r.as_bytes())
                            .ok()
                            .map(std::net::IpAddr::from),
                        16 => <[u8; 16]>::try_from(r.as_bytes())
                            .ok()
                            .map(std::net::IpAddr::from),
                        _ => None,
                    })
                }
                _ => None,
            });
    let Some(address) = address else {
        report.errors.push(format!(
            "MTA-STS: {host} has no address: senders cannot fetch the policy the TXT announces"
        ));
        return;
    };
    let port = if options.mta_sts_port == 0 {
        443
    } else {
        options.mta_sts_port
    };
    let host_text = host.to_string().trim_end_matches('.').to_string();
    let endpoint = StsEndpoint {
        url: format!("https://{host_text}:{port}"),
        addr: Some(SocketAddr::new(address, port).to_string()),
        ca: options.mta_sts_ca.clone(),
    };
    let body = match runtime.block_on(endpoint.fetch()) {
        Ok(b) => b,
        Err(e) => {
            report
                .errors
                .push(format!("MTA-STS policy from {}: {e}", endpoint.url));
            return;
        }
    };
    let policy = match std::str::from_utf8(&body)
        .map_err(|_| "not UTF-8".to_string())
        .and_then(|t| StsPolicy::parse(t).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            report
                .errors
                .push(format!("MTA-STS policy from {}: {e}", endpoint.url));
            return;
        }
    };
    report.passed.push(format!(
        "MTA-STS policy fetched from {} (certificate verified): mode {:?}, max_age {}",
        endpoint.url, policy.mode, policy.max_age
    ));
    // daned derives the id from the policy's content; another derivation differs without
    // being wrong, so this is a warning, not an error.
    let derived = crate::mailrec::mta_sts::policy::policy_id(&body);
    if derived != id {
        report.warnings.push(format!(
            "MTA-STS id {id} is not the id of the policy served ({derived}, as daned derives it from the content): if the policy was edited without a new id, senders keep the policy they cached"
        ));
    }
    if policy.mode == Mode::None {
        return;
    }
    for h in hosts {
        if !policy.covers(&h.host) {
            report.errors.push(format!(
                "MTA-STS: MX host {} is covered by no mx pattern of the policy: senders enforcing it refuse to deliver there",
                h.host
            ));
        } else if h.dane {
            report.passed.push(format!(
                "MTA-STS and DANE agree on {}: covered by the policy and by TLSA records",
                h.host
            ));
        }
    }
    for pattern in &policy.mx {
        let matches_one = hosts.iter().any(|h| {
            StsPolicy {
                mx: vec![pattern.clone()],
                ..policy.clone()
            }
            .covers(&h.host)
        });
        if !matches_one {
            report
                .warnings
                .push(format!("MTA-STS: mx pattern {pattern} matches no MX host"));
        }
    }
}

//------------ TLS-RPT, SPF, DMARC ---------------------------------------------

/// Checks `_smtp._tls.domain`.
fn check_tls_rpt(validator: &mut Validator<'_>, domain: &Name, report: &mut MailReport) {
    let Some(name) = child(domain, "_smtp._tls") else {
        return;
    };
    let records: Vec<String> = match txt(validator, &name) {
        Ok(r) => r
            .into_iter()
            .filter(|t| t.starts_with("v=TLSRPTv1"))
            .collect(),
        Err(e) => {
            report.errors.push(format!("TLS-RPT: {e}"));
            return;
        }
    };
    let [one] = records.as_slice() else {
        if records.is_empty() {
            report.warnings.push(format!(
                "no TLS-RPT record at {name}: nobody hears of TLS failures"
            ));
        } else {
            report.errors.push(format!(
                "TLS-RPT {name}: several records (RFC 8460 section 3)"
            ));
        }
        return;
    };
    let rua: Option<Vec<String>> = one.split(';').map(str::trim).find_map(|t| {
        t.strip_prefix("rua=")
            .map(|v| v.split(',').map(|u| u.trim().to_string()).collect())
    });
    match rua.map(|r| tls_rpt::check_rua(&r).map(|()| r)) {
        Some(Ok(r)) => report
            .passed
            .push(format!("TLS-RPT {name}: reports to {}", r.join(", "))),
        Some(Err(e)) => report.errors.push(format!("TLS-RPT {name}: {e}")),
        None => report
            .errors
            .push(format!("TLS-RPT {name}: no rua= (RFC 8460 section 3)")),
    }
}

/// Warns when SPF or DMARC is missing.
fn check_presence(validator: &mut Validator<'_>, domain: &Name, report: &mut MailReport) {
    match txt(validator, domain) {
        Ok(r) if r.iter().any(|t| t.starts_with("v=spf1")) => {
            report.passed.push(format!("SPF published at {domain}"));
        }
        Ok(_) => report.warnings.push(format!("no SPF record at {domain}")),
        Err(e) => report.warnings.push(format!("SPF: {e}")),
    }
    let Some(dmarc) = child(domain, "_dmarc") else {
        return;
    };
    match txt(validator, &dmarc) {
        Ok(r) if r.iter().any(|t| t.starts_with("v=DMARC1")) => {
            report.passed.push(format!("DMARC published at {dmarc}"));
        }
        Ok(_) => report.warnings.push(format!("no DMARC record at {dmarc}")),
        Err(e) => report.warnings.push(format!("DMARC: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dkim_records_are_read_as_verifiers_read_them() {
        // RFC 8463 appendix A.2's published key.
        let ed = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
        assert!(matches!(dkim_key(ed), Ok(DkimVerdict::Key(k)) if k.bits == 256));
        assert_eq!(dkim_key("v=DKIM1; k=rsa; p="), Ok(DkimVerdict::Revoked));
        assert_eq!(dkim_key("v=DKIM1; p= "), Ok(DkimVerdict::Revoked));
        assert!(
            dkim_key("k=rsa; v=DKIM1; p=AAAA")
                .unwrap_err()
                .contains("first")
        );
        assert!(dkim_key("v=DKIM1; k=rsa").unwrap_err().contains("no p="));
        assert!(
            dkim_key("v=DKIM1; k=ed25519; p=AAAA")
                .unwrap_err()
                .contains("32-octet")
        );
        assert!(
            dkim_key("v=DKIM1; k=dsa; p=AAAA")
                .unwrap_err()
                .contains("k=dsa")
        );
        assert!(dkim_key("v=DKIM1; p=!!").unwrap_err().contains("base64"));
    }
}
