//! Asking the MTA which certificate it really presents (RFC 7672 section 3.1): one STARTTLS
//! probe through [`crate::dane::smtp`], keeping the presented chain so that
//! [`crate::dane::matcher`] can say whether the published TLSA records match it.
//!
//! The daemon runs it on its timer, never on the query path, with a bounded time, and keeps
//! the outcome: the old key's record is removed only once the MTA presents the new key, and a
//! key no published record matches is what senders see as 5.7.323.

use std::time::Duration;

use crate::dane::derive::{self, DeriveError, TlsaParams};
use crate::dane::{matcher, smtp};

/// The last probe of one MTA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeSeen {
    /// When (seconds since the epoch, daemon clock).
    pub at: u64,
    /// What the MTA presented, or why the probe failed.
    pub outcome: Result<Presented, String>,
}

/// The certificate chain an MTA presented: every certificate parses, the leaf is first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presented {
    /// DER, leaf first; never empty.
    chain: Vec<Vec<u8>>,
}

impl Presented {
    /// A presented chain (DER, leaf first), once every certificate has been checked to parse.
    pub fn of_chain(chain: Vec<Vec<u8>>) -> Result<Self, DeriveError> {
        if chain.is_empty() {
            return Err(DeriveError::NoCertificate);
        }
        for der in &chain {
            derive::parse_certificate(der)?;
        }
        Ok(Self { chain })
    }

    /// The chain, DER, leaf first.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The `3 1 1` rdata of the leaf's key: what the MTA presents, in the form logs and
    /// `daned tlsa status` show it.
    pub fn leaf_key(&self) -> Vec<u8> {
        derive::tlsa_rdata(&self.chain[0], TlsaParams::DANE_EE_SPKI_SHA256).unwrap_or_default()
    }

    /// What a DANE sender concludes from `published` (the TLSA RRset at `tlsa_owner`, whose
    /// base domain is the MX host name) about this chain at `now` (RFC 7672 section 3).
    pub fn verify(&self, published: &[Vec<u8>], tlsa_owner: &str, now: u64) -> matcher::Verdict {
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        matcher::verify(
            published,
            &self.chain,
            matcher::base_domain(tlsa_owner),
            now,
        )
    }
}

/// How long one probe may take, connection to QUIT.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many addresses of the probed host are tried, so a name with many silent
/// addresses costs at most this many [`TIMEOUT`]s.
pub const MAX_ADDRESSES: usize = 4;

/// Probes `probe` (`host:port`): resolves the host, tries its first [`MAX_ADDRESSES`]
/// addresses in turn, and returns what the first one that completes STARTTLS presents, or the
/// last error as text.
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
    for addr in addrs.into_iter().take(MAX_ADDRESSES) {
        match smtp::starttls(addr, host, helo, TIMEOUT).await {
            Ok(session) => {
                return Presented::of_chain(session.chain)
                    .map_err(|e| format!("{addr}: unusable certificate: {e}"));
            }
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_presented_chain_is_judged_by_the_matcher_with_the_owners_base_domain() {
        let dir = tempfile::tempdir().unwrap();
        let now = 1_800_000_000;
        let c = crate::fixture::certs::make("mx.example.test", now, dir.path()).unwrap();
        let p = Presented::of_chain(c.current.certs.clone()).unwrap();
        assert_eq!(p.leaf_key(), c.tlsa_current);
        let owner = "_25._tcp.mx.example.test.";
        assert!(
            p.verify(std::slice::from_ref(&c.tlsa_current), owner, now)
                .is_match()
        );
        assert!(
            p.verify(std::slice::from_ref(&c.tlsa_ca), owner, now)
                .is_match()
        );
        // A `2 1 1` of the CA under another MX host: the leaf does not name it.
        let other = "_25._tcp.mx2.example.test.";
        assert!(
            !p.verify(std::slice::from_ref(&c.tlsa_ca), other, now)
                .is_match()
        );
        assert!(
            !p.verify(std::slice::from_ref(&c.tlsa_unrelated), owner, now)
                .is_match()
        );
        assert!(!p.verify(&[], owner, now).is_match());
        // Without the CA in the chain, its `2 1 1` anchors nothing.
        let alone = Presented::of_chain(c.current.certs[..1].to_vec()).unwrap();
        assert!(
            !alone
                .verify(std::slice::from_ref(&c.tlsa_ca), owner, now)
                .is_match()
        );
        assert!(Presented::of_chain(vec![]).is_err());
        assert!(Presented::of_chain(vec![b"garbage".to_vec()]).is_err());
    }

    #[tokio::test]
    async fn a_probe_of_a_closed_port_fails_with_the_address() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = probe(&format!("127.0.0.1:{port}"), "probe.test")
            .await
            .unwrap_err();
        assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
        assert!(err.contains("cannot connect"), "{err}");
    }
}
