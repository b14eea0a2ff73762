//! Asking the MTA which certificate it really presents (RFC 7672 section 3.1): one STARTTLS
//! probe through [`crate::smtp`], turned into the TLSA records the presented chain matches.
//!
//! The daemon runs it on its timer, never on the query path, with a bounded time, and keeps
//! the outcome: the old key's record is removed only once the MTA presents the new key, and a
//! key no published record matches is what senders see as 5.7.323.

use std::time::Duration;

use super::state::Presented;
use crate::smtp;

/// How long one probe may take, connection to QUIT.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Probes `probe` (`host:port`): resolves the host, tries its addresses in turn, and returns
/// what the first one that completes STARTTLS presents, or the last error as text.
pub async fn probe(probe: &str, helo: &str) -> Result<Presented, String> {
    let host = probe
        .rsplit_once(':')
        .map_or(probe, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']');
    let addrs: Vec<_> = tokio::time::timeout(TIMEOUT, tokio::net::lookup_host(probe))
        .await
        .map_err(|_| format!("{probe}: name resolution timed out"))?
        .map_err(|e| format!("{probe}: cannot resolve: {e}"))?
        .collect();
    let mut last = format!("{probe}: no address");
    for addr in addrs {
        match smtp::starttls(addr, host, helo, TIMEOUT).await {
            Ok(session) => {
                return Presented::of_chain(&session.chain)
                    .map_err(|e| format!("{addr}: unusable certificate: {e}"));
            }
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}
