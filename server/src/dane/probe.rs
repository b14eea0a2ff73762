//! Asking the MTA which certificate it really presents (RFC 7672 section 3.1): one STARTTLS
//! probe through [`crate::dane::smtp`], turned into the TLSA records the presented chain matches.
//!
//! The daemon runs it on its timer, never on the query path, with a bounded time, and keeps
//! the outcome: the old key's record is removed only once the MTA presents the new key, and a
//! key no published record matches is what senders see as 5.7.323.

use std::time::Duration;

use crate::dane::smtp;

/// The last probe of one MTA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeSeen {
    /// When (seconds since the epoch, daemon clock).
    pub at: u64,
    /// What the MTA presented, or why the probe failed.
    pub outcome: Result<Presented, String>,
}

/// What TLSA records the chain an MTA presented would match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presented {
    /// `3 1 1` rdata of the leaf's key.
    pub leaf: Vec<u8>,
    /// `2 1 1` rdata of each other certificate of the chain.
    pub issuers: Vec<Vec<u8>>,
}

impl Presented {
    /// The records a presented chain (DER, leaf first) would match.
    pub fn of_chain(chain: &[Vec<u8>]) -> Result<Self, super::derive::DeriveError> {
        use super::derive::{DeriveError, TlsaParams, tlsa_rdata};
        let leaf = chain.first().ok_or(DeriveError::NoCertificate)?;
        Ok(Self {
            leaf: tlsa_rdata(leaf, TlsaParams::DANE_EE_SPKI_SHA256)?,
            issuers: chain[1..]
                .iter()
                .map(|c| tlsa_rdata(c, TlsaParams::DANE_TA_SPKI_SHA256))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Whether a DANE sender finds a match for this chain among `published` (RFC 7672
    /// section 3.1): the leaf's key by `3 1 1`, or an issuer the chain holds by `2 1 1`.
    pub fn matched_by(&self, published: &[Vec<u8>]) -> bool {
        published.contains(&self.leaf) || self.issuers.iter().any(|i| published.contains(i))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_presented_chain_matches_its_leaf_key_or_an_issuer_it_holds() {
        let leaf = rcgen::generate_simple_self_signed(vec!["mx.test".to_owned()]).unwrap();
        let other = rcgen::generate_simple_self_signed(vec!["ca.test".to_owned()]).unwrap();
        let chain = vec![leaf.cert.der().to_vec(), other.cert.der().to_vec()];
        let p = Presented::of_chain(&chain).unwrap();
        assert_eq!(&p.leaf[..3], [3, 1, 1]);
        assert_eq!(&p.issuers[0][..3], [2, 1, 1]);
        assert!(p.matched_by(std::slice::from_ref(&p.leaf)));
        assert!(p.matched_by(std::slice::from_ref(&p.issuers[0])));
        assert!(!p.matched_by(&[]));
        assert!(Presented::of_chain(&[]).is_err());
        assert!(Presented::of_chain(&[b"garbage".to_vec()]).is_err());
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
