//! What the doctor says about a presented chain and the TLSA records: the verdict of
//! [`crate::dane::matcher`] (RFC 7672 section 3, the one matcher the probe and the fixture
//! also use) read as a report, with the warnings an operator needs: unusable records, a CA
//! the server does not send, a certificate close to expiry, no next key published.
//!
//! When every record is unusable the sender still requires TLS but does not authenticate
//! the server (RFC 7672 section 2.2): [`Verdict::Unusable`], which delivers.

use crate::dane::derive::{self, Usage};
use crate::dane::matcher::{self, Why};

/// A leaf expiring sooner than this is warned about.
pub const CERT_EXPIRY_WARNING_SECS: i64 = 14 * 86_400;

/// The verdict on one presented chain, as the report gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A usable record matched: the sender authenticates the server.
    Match {
        /// The record (presentation form).
        record: String,
    },
    /// A `2 x x` record matched but a certificate up to it has expired or is not yet valid.
    Expired {
        /// What expired.
        detail: String,
    },
    /// Every TLSA record is unusable (RFC 7672 sections 2.2 and 3.1): the sender uses TLS,
    /// mandatorily, without authenticating the server, and delivers.
    Unusable {
        /// What the records are and what to publish instead.
        detail: String,
    },
    /// At least one usable record, and none matched the chain.
    NoMatch {
        /// Why.
        detail: String,
    },
}

/// The verdict and the warnings met on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchReport {
    /// The verdict.
    pub verdict: Verdict,
    /// Warnings (unusable records, unsent CAs, expiring certificate, no next key).
    pub warnings: Vec<String>,
}

/// Matches `records` (TLSA rdata) against `chain` (DER, leaf first) presented by `host` (no
/// final dot), at `now` (seconds since the epoch).
pub fn check(records: &[Vec<u8>], chain: &[Vec<u8>], host: &str, now: i64) -> MatchReport {
    let matched = matcher::verify(records, chain, host, now);
    let mut warnings = Vec::new();
    for miss in &matched.misses {
        let text = derive::rdata_to_text(&miss.record);
        if miss.why == Why::Truncated {
            warnings.push(miss.why.to_string());
        } else if miss.why.is_unusable() {
            warnings.push(format!(
                "TLSA {text}: {}; DANE senders ignore it: publish 3 1 1",
                miss.why
            ));
        } else if miss.why == Why::NotInChain {
            warnings.push(format!("TLSA {text}: {}", miss.why));
        }
    }
    let Some(leaf) = chain.first() else {
        return MatchReport {
            verdict: Verdict::NoMatch {
                detail: Why::NoCertificate.to_string(),
            },
            warnings,
        };
    };
    if let Ok(not_after) = derive::not_after(leaf) {
        if not_after < now {
            if matched.is_match() {
                warnings.push(format!(
                    "the certificate expired at {}: DANE-EE (3 x x) senders ignore that (RFC 7672 section 3.1.1), others report 5.7.322; renew it",
                    super::validate::utc(not_after.max(0) as u64)
                ));
            }
        } else if not_after - now < CERT_EXPIRY_WARNING_SECS {
            warnings.push(format!(
                "the certificate expires soon ({}): renew it, with the next key's TLSA published ahead",
                super::validate::utc(not_after as u64)
            ));
        }
    }
    let unusable = |i: usize| {
        matched
            .misses
            .iter()
            .any(|m| m.index == i && m.why.is_unusable())
    };
    let ee_records = records
        .iter()
        .enumerate()
        .filter(|(i, r)| r.first() == Some(&Usage::DANE_EE.0) && !unusable(*i))
        .count();
    if ee_records == 1 && matched.is_match() {
        warnings.push(
            "no next key published: only one 3 x x record, so the next certificate renewal with a new key breaks delivery until the new record is cached everywhere; publish the next key's 3 1 1 at least 2 x TTL ahead (RFC 7671 section 8.1; daned: next_key)"
                .into(),
        );
    }
    MatchReport {
        verdict: verdict(&matched, leaf),
        warnings,
    }
}

/// The report's reading of the matcher's verdict.
fn verdict(matched: &matcher::Verdict, leaf: &[u8]) -> Verdict {
    if let Some(m) = &matched.matched {
        return Verdict::Match {
            record: derive::rdata_to_text(&m.record),
        };
    }
    let presented = derive::tlsa_rdata(leaf, derive::TlsaParams::DANE_EE_SPKI_SHA256)
        .map(|r| derive::rdata_to_text(&r))
        .unwrap_or_default();
    if matched.all_unusable() {
        return Verdict::Unusable {
            detail: format!(
                "every TLSA record is unusable for SMTP (RFC 7672 sections 2.2 and 3.1: only usages 2 and 3, selectors 0 and 1, matching types 0, 1 and 2 count), so DANE senders require TLS but do not authenticate the server; publish a 3 1 1 record for the server's key ({presented}) to have it authenticated"
            ),
        };
    }
    match matched.main_refusal() {
        Some(m) if matches!(m.why, Why::Expired { .. } | Why::NotYetValid { .. }) => {
            Verdict::Expired {
                detail: m.why.to_string(),
            }
        }
        Some(m) if m.why.found_in_chain() => Verdict::NoMatch {
            detail: format!("TLSA {}: {}", derive::rdata_to_text(&m.record), m.why),
        },
        _ => Verdict::NoMatch {
            detail: format!(
                "no TLSA record matches the presented certificate (its key: {presented})"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::certs;

    const NOW: i64 = 1_800_000_000;

    fn fixture() -> certs::FixtureCerts {
        let dir = tempfile::tempdir().unwrap();
        certs::make("mx.example.test", NOW as u64, dir.path()).unwrap()
    }

    #[test]
    fn dane_ee_matches_the_leaf_key_and_warns_without_a_next_key() {
        let c = fixture();
        let r = check(
            std::slice::from_ref(&c.tlsa_current),
            &c.current.certs,
            "mx.example.test",
            NOW,
        );
        assert!(matches!(r.verdict, Verdict::Match { .. }));
        assert!(r.warnings.iter().any(|w| w.contains("no next key")));
        let r = check(
            &[c.tlsa_current.clone(), c.tlsa_next.clone()],
            &c.current.certs,
            "mx.example.test",
            NOW,
        );
        assert!(matches!(r.verdict, Verdict::Match { .. }));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn an_unrelated_key_does_not_match() {
        let c = fixture();
        let r = check(
            std::slice::from_ref(&c.tlsa_unrelated),
            &c.current.certs,
            "mx.example.test",
            NOW,
        );
        assert!(matches!(r.verdict, Verdict::NoMatch { .. }));
    }

    #[test]
    fn dane_ta_checks_expiry_and_the_host_name() {
        let c = fixture();
        let ta = vec![c.tlsa_ca.clone()];
        let ok = check(&ta, &c.current.certs, "mx.example.test", NOW);
        assert!(matches!(ok.verdict, Verdict::Match { .. }), "{ok:?}");
        let expired = check(&ta, &c.expired.certs, "mx.example.test", NOW);
        assert!(
            matches!(expired.verdict, Verdict::Expired { .. }),
            "{expired:?}"
        );
        let other = check(&ta, &c.current.certs, "mx2.example.test", NOW);
        assert!(matches!(other.verdict, Verdict::NoMatch { .. }));
        // The leaf alone: the CA is not sent, which is warned about.
        let alone = check(&ta, &c.current.certs[..1], "mx.example.test", NOW);
        assert!(
            alone
                .warnings
                .iter()
                .any(|w| w.contains("does not send this CA"))
        );
    }

    #[test]
    fn a_ca_record_with_a_chain_the_ca_did_not_sign_is_tlsa_invalid_with_the_reason() {
        let c = fixture();
        // The renewed leaf sent as if it were the CA: the record's certificate is in the
        // chain, but it did not issue the leaf.
        let chain = vec![c.current.certs[0].clone(), c.renewed.certs[0].clone()];
        let mut record =
            derive::tlsa_rdata(&chain[1], derive::TlsaParams::DANE_TA_SPKI_SHA256).unwrap();
        let r = check(
            std::slice::from_ref(&record),
            &chain,
            "mx.example.test",
            NOW,
        );
        let Verdict::NoMatch { detail } = &r.verdict else {
            panic!("{r:?}");
        };
        assert!(detail.contains("issued no certificate"), "{detail}");
        // The same record as DANE-EE names another key than the leaf's.
        record[0] = 3;
        let r = check(&[record], &chain, "mx.example.test", NOW);
        assert!(matches!(r.verdict, Verdict::NoMatch { .. }), "{r:?}");
    }

    #[test]
    fn a_certificate_close_to_expiry_is_warned_about() {
        let c = fixture();
        let records = [c.tlsa_current.clone(), c.tlsa_next.clone()];
        let later = NOW + 86 * 86_400; // the fixture's certificate lasts 90 days
        let r = check(&records, &c.current.certs, "mx.example.test", later);
        assert!(matches!(r.verdict, Verdict::Match { .. }));
        assert!(
            r.warnings.iter().any(|w| w.contains("expires soon")),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn pkix_usages_alone_are_unusable_and_the_sender_delivers_unauthenticated() {
        let c = fixture();
        let mut pkix_ee = c.tlsa_current.clone();
        pkix_ee[0] = 1;
        let mut pkix_ta = c.tlsa_ca.clone();
        pkix_ta[0] = 0;
        let r = check(
            &[pkix_ee, pkix_ta],
            &c.current.certs,
            "mx.example.test",
            NOW,
        );
        let Verdict::Unusable { detail } = &r.verdict else {
            panic!("{r:?}");
        };
        // What to publish: 3 1 1 for the key the server presents.
        let want = derive::rdata_to_text(&c.tlsa_current);
        assert!(detail.contains(&want), "{detail}");
        assert!(
            detail.contains("require TLS but do not authenticate"),
            "{detail}"
        );
        assert_eq!(
            r.warnings
                .iter()
                .filter(|w| w.contains("unusable for SMTP"))
                .count(),
            2,
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn unsupported_selector_matching_type_or_digest_length_is_unusable() {
        let c = fixture();
        let with = |i: usize, v: u8| {
            let mut r = c.tlsa_current.clone();
            r[i] = v;
            r
        };
        let short = c.tlsa_current[..20].to_vec();
        for (record, why) in [
            (with(1, 2), "unknown selector 2"),
            (with(2, 3), "unknown matching type 3"),
            (with(2, 2), "digest of 32 octets instead of 64"),
            (short, "digest of 17 octets instead of 32"),
            (with(0, 4), "unknown usage 4"),
        ] {
            let r = check(&[record], &c.current.certs, "mx.example.test", NOW);
            assert!(
                matches!(r.verdict, Verdict::Unusable { .. }),
                "{why}: {r:?}"
            );
            assert!(
                r.warnings.iter().any(|w| w.contains(why)),
                "{why}: {:?}",
                r.warnings
            );
        }
    }

    #[test]
    fn one_usable_record_that_does_not_match_is_still_tlsa_invalid() {
        let c = fixture();
        let mut pkix = c.tlsa_current.clone();
        pkix[0] = 1;
        let r = check(
            &[pkix.clone(), c.tlsa_unrelated.clone()],
            &c.current.certs,
            "mx.example.test",
            NOW,
        );
        assert!(matches!(r.verdict, Verdict::NoMatch { .. }), "{r:?}");
        // And a usable one that matches beside an unusable one authenticates.
        let r = check(
            &[pkix, c.tlsa_current.clone()],
            &c.current.certs,
            "mx.example.test",
            NOW,
        );
        assert!(matches!(r.verdict, Verdict::Match { .. }), "{r:?}");
    }
}
