//! The `[zone.mta_sts]` and `[zone.tls_rpt]` tables: the MTA-STS id daned publishes from the
//! policy file (RFC 8461) and the TLS-RPT record (RFC 8460).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use zones::Ttl;

use crate::config::Invalid;
use crate::config::tlsa::ttl;
use crate::mailrec::mta_sts::fetch::StsEndpoint;
use crate::mailrec::mta_sts::source::MtaStsConfig;
use crate::mailrec::tls_rpt;

/// The records' TTL when `ttl` is left out.
const DEFAULT_TTL: Ttl = Ttl(3600);

/// `[zone.mta_sts]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMtaSts {
    /// The policy file.
    policy: PathBuf,
    /// `https://mta-sts.ZONE[:PORT]`: a new id waits until this serves the file.
    probe: Option<String>,
    /// Connect here instead of resolving the probe's host.
    probe_addr: Option<String>,
    /// Trust only this CA file's certificates for the probe.
    probe_ca: Option<PathBuf>,
    /// TXT TTL (default 1h).
    ttl: Option<String>,
}

/// `[zone.tls_rpt]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTlsRpt {
    /// Report URIs.
    rua: Vec<String>,
    /// TXT TTL (default 1h).
    ttl: Option<String>,
}

/// `[zone.tls_rpt]`, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsRptConfig {
    /// Report URIs (mailto:, https:).
    pub rua: Vec<String>,
    /// TXT TTL.
    pub ttl: Ttl,
}

/// Checks `[zone.mta_sts]`; `what` names the zone, `base` is the configuration's folder.
pub(super) fn parse_mta_sts(
    raw: &RawMtaSts,
    what: &str,
    base: &Path,
) -> Result<MtaStsConfig, Invalid> {
    let what = format!("{what}: mta_sts");
    let probe = match &raw.probe {
        Some(url) => {
            let endpoint = StsEndpoint {
                url: url.trim_end_matches('/').to_string(),
                addr: raw.probe_addr.clone(),
                ca: raw.probe_ca.as_ref().map(|p| base.join(p)),
            };
            endpoint
                .host_port()
                .map_err(|e| Invalid::new(&format!("{what}: probe"), e))?;
            Some(endpoint)
        }
        None if raw.probe_addr.is_some() || raw.probe_ca.is_some() => {
            return Err(Invalid::new(&what, "probe_addr and probe_ca need probe"));
        }
        None => None,
    };
    let ttl = match &raw.ttl {
        Some(v) => ttl(v).map_err(|m| Invalid::new(&format!("{what}: ttl"), m))?,
        None => DEFAULT_TTL,
    };
    Ok(MtaStsConfig {
        policy: base.join(&raw.policy),
        probe,
        ttl,
    })
}

/// Checks `[zone.tls_rpt]`.
pub(super) fn parse_tls_rpt(raw: &RawTlsRpt, what: &str) -> Result<TlsRptConfig, Invalid> {
    let what = format!("{what}: tls_rpt");
    tls_rpt::check_rua(&raw.rua).map_err(|e| Invalid::new(&format!("{what}: rua"), e))?;
    let ttl = match &raw.ttl {
        Some(v) => ttl(v).map_err(|m| Invalid::new(&format!("{what}: ttl"), m))?,
        None => DEFAULT_TTL,
    };
    Ok(TlsRptConfig {
        rua: raw.rua.clone(),
        ttl,
    })
}
