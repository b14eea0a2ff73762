//! The `[[zone.tlsa]]` tables: TLSA records daned derives from certificate files (RFC 7671,
//! RFC 7672).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use zones::{Name, Ttl};

use crate::config::Invalid;
use crate::config::duration::parse_duration;
use crate::daemon::tlsa::publish::TlsaBinding;

//------------ RawTlsa --------------------------------------------------------

/// `[[zone.tlsa]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTlsa {
    /// Owner names sharing the certificate(s).
    names: Vec<String>,
    /// One certificate (chain) file, or several.
    cert: OneOrMany,
    /// The private key of each certificate (same order as `cert`), checked against it.
    key: Option<OneOrMany>,
    /// The next key (private/public key, CSR or certificate).
    next_key: Option<PathBuf>,
    /// Where the MTA serves the certificate (STARTTLS probe).
    probe: Option<String>,
    /// Also publish 2 1 1 for the issuer in the chain.
    #[serde(default)]
    issuer: bool,
    /// TLSA TTL (default 1h).
    ttl: Option<String>,
    /// Warn this long before a certificate expires (default 14d).
    cert_expiry_warning: Option<String>,
}

/// A path or a list of paths.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    /// One.
    One(PathBuf),
    /// Several.
    Many(Vec<PathBuf>),
}

impl OneOrMany {
    /// The paths, resolved against `base`.
    fn resolve(&self, base: &Path) -> Vec<PathBuf> {
        match self {
            Self::One(p) => vec![base.join(p)],
            Self::Many(v) => v.iter().map(|p| base.join(p)).collect(),
        }
    }
}

/// The TLSA TTL when `ttl` is left out.
const DEFAULT_TTL: Ttl = Ttl(3600);

/// The certificate expiry warning when `cert_expiry_warning` is left out: 14 days.
const DEFAULT_EXPIRY_WARNING_SECS: u64 = 14 * 86_400;

//------------ parse_tlsa -----------------------------------------------------

/// Checks one `[[zone.tlsa]]` of zone `zone`; `what` names the zone for messages and `base`
/// is the configuration file's folder.
pub(super) fn parse_tlsa(
    raw: &RawTlsa,
    zone: &Name,
    what: &str,
    base: &Path,
) -> Result<TlsaBinding, Invalid> {
    let what = format!("{what}: tlsa");
    if let Some(probe) = &raw.probe {
        check_probe(probe).map_err(|m| Invalid::new(&format!("{what}: probe"), m))?;
    }
    let mut names = Vec::new();
    for n in &raw.names {
        let mut owner =
            Name::from_ascii(n).map_err(|e| Invalid::new(&what, format!("name {n:?}: {e}")))?;
        owner.set_fqdn(true);
        if !zone.zone_of(&owner) {
            return Err(Invalid::new(&what, format!("{n:?} is not in zone {zone}")));
        }
        names.push(owner);
    }
    if names.is_empty() {
        return Err(Invalid::new(&what, "names is empty"));
    }
    let certs = raw.cert.resolve(base);
    let keys = raw.key.as_ref().map_or_else(Vec::new, |k| k.resolve(base));
    if !keys.is_empty() && keys.len() != certs.len() {
        return Err(Invalid::new(
            &format!("{what}: key"),
            format!(
                "{} key files for {} certificate files; give one per certificate, in the same order",
                keys.len(),
                certs.len()
            ),
        ));
    }
    let ttl = match &raw.ttl {
        Some(v) => ttl(v).map_err(|m| Invalid::new(&format!("{what}: ttl"), m))?,
        None => DEFAULT_TTL,
    };
    let expiry_warning = match &raw.cert_expiry_warning {
        Some(v) => parse_duration(v)
            .map_err(|e| Invalid::new(&format!("{what}: cert_expiry_warning"), e))?
            .as_secs(),
        None => DEFAULT_EXPIRY_WARNING_SECS,
    };
    Ok(TlsaBinding {
        expiry_warning,
        names,
        certs,
        keys,
        next_key: raw.next_key.as_ref().map(|p| base.join(p)),
        probe: raw.probe.clone(),
        issuer: raw.issuer,
        ttl,
    })
}

/// A TTL written as a duration, at most [`Ttl::MAX`] (RFC 2181 section 8).
pub(super) fn ttl(text: &str) -> Result<Ttl, String> {
    let secs = parse_duration(text).map_err(|e| e.to_string())?.as_secs();
    u32::try_from(secs)
        .ok()
        .filter(|&s| s <= Ttl::MAX.0)
        .map(Ttl)
        .ok_or_else(|| {
            format!(
                "{text:?} is {secs} s, longer than the largest TTL ({} s, RFC 2181 section 8)",
                Ttl::MAX.0
            )
        })
}

/// Checks a `probe` value: `host:port` (`[v6]:port` for an IPv6 address), port not 0.
fn check_probe(text: &str) -> Result<(), String> {
    let (host, port) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("{text:?}: host:port expected (e.g. \"mx1.example.com:25\")"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("{text:?}: the port must be a number from 1 to 65535"))?;
    if port == 0 {
        return Err(format!(
            "{text:?}: the port must be a number from 1 to 65535"
        ));
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("{text:?}: no host name"));
    }
    Ok(())
}

//------------ Tests ----------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ttl_up_to_the_rfc_2181_limit_is_taken_and_beyond_it_refused() {
        assert_eq!(ttl("5m"), Ok(Ttl(300)));
        assert_eq!(ttl("2147483647"), Ok(Ttl(2_147_483_647)));
        let err = ttl("2147483648").unwrap_err();
        assert!(err.contains("largest TTL"), "{err}");
        // 2^32 + 60 s: a plain cast to u32 would have made this a one-minute TTL.
        let err = ttl("4294967356").unwrap_err();
        assert!(err.contains("4294967356 s"), "{err}");
    }
}
