//! TLSA matching as a DANE SMTP sender does it (RFC 7672 section 3, RFC 6698 section 2.1):
//! `3 x x` (DANE-EE) against the leaf, with neither names nor expiry checked; `2 x x`
//! (DANE-TA) against a certificate of the presented chain, then the chain from the leaf up to
//! that trust anchor checked as a CA chain would be (signatures, validity) with the MX host
//! name in the leaf (RFC 7672 section 3.2.2); `0 x x` and `1 x x` are unusable for SMTP
//! (RFC 7672 section 3.1.3), and so is a record with a selector or matching type the sender
//! does not support or a digest of the wrong length (RFC 6698 section 2.1). When every record
//! is unusable the sender still requires TLS but does not authenticate the server (RFC 7672
//! section 2.2): [`Verdict::Unusable`], which delivers.
//!
//! The digests come from [`crate::dane::derive`], the same code that publishes daned's
//! records.

use x509_parser::extensions::GeneralName;

use crate::dane::derive::{self, Matching, Selector};

/// A leaf expiring sooner than this is warned about.
pub const CERT_EXPIRY_WARNING_SECS: i64 = 14 * 86_400;

/// The verdict on one presented chain.
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
    let mut warnings = Vec::new();
    let Some(leaf) = chain.first() else {
        return MatchReport {
            verdict: Verdict::NoMatch {
                detail: "the server presented no certificate".into(),
            },
            warnings,
        };
    };
    let mut verdict: Option<Verdict> = None;
    let mut usable = 0;
    let mut ee_records = 0;
    let mut ta_error: Option<Verdict> = None;
    for record in records {
        let text = derive::rdata_to_text(record);
        let Some((&[usage, selector, matching], data)) = record.split_first_chunk::<3>() else {
            warnings.push("a TLSA record shorter than 3 octets".into());
            continue;
        };
        if let Err(why) = usable_params(usage, selector, matching, data) {
            warnings.push(format!(
                "TLSA {text}: {why}; DANE senders ignore it: publish 3 1 1"
            ));
            continue;
        }
        let (selector, matching) = (Selector(selector), Matching(matching));
        let matches = |cert: &[u8]| {
            derive::association_data(cert, selector, matching).is_ok_and(|d| d == data)
        };
        match usage {
            3 => {
                usable += 1;
                ee_records += 1;
                if verdict.is_none() && matches(leaf) {
                    verdict = Some(Verdict::Match { record: text });
                }
            }
            2 => {
                usable += 1;
                let anchor = chain.iter().skip(1).position(|c| matches(c)).map(|i| i + 1);
                match anchor {
                    None => warnings.push(format!(
                        "TLSA {text}: the server does not send this CA in its chain; send the full chain (RFC 7672 section 3.2.2)"
                    )),
                    Some(ta) if verdict.is_none() => match check_chain(chain, ta, host, now) {
                        Ok(()) => verdict = Some(Verdict::Match { record: text }),
                        Err(e) => ta_error = Some(e),
                    },
                    Some(_) => {}
                }
            }
            _ => {}
        }
    }
    if let Ok(not_after) = derive::not_after(leaf) {
        if not_after < now {
            if matches!(verdict, Some(Verdict::Match { .. })) {
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
    if ee_records == 1 && matches!(verdict, Some(Verdict::Match { .. })) {
        warnings.push(
            "no next key published: only one 3 x x record, so the next certificate renewal with a new key breaks delivery until the new record is cached everywhere; publish the next key's 3 1 1 at least 2 x TTL ahead (RFC 7671 section 8.1; daned: next_key)"
                .into(),
        );
    }
    let verdict = verdict.or(ta_error).unwrap_or_else(|| {
        let presented = derive::tlsa_rdata(leaf, derive::TlsaParams::DANE_EE_SPKI_SHA256)
            .map(|r| derive::rdata_to_text(&r))
            .unwrap_or_default();
        if usable == 0 {
            Verdict::Unusable {
                detail: format!(
                    "every TLSA record is unusable for SMTP (RFC 7672 sections 2.2 and 3.1: only usages 2 and 3, selectors 0 and 1, matching types 0, 1 and 2 count), so DANE senders require TLS but do not authenticate the server; publish a 3 1 1 record for the server's key ({presented}) to have it authenticated"
                ),
            }
        } else {
            Verdict::NoMatch {
                detail: format!(
                    "no TLSA record matches the presented certificate (its key: {presented})"
                ),
            }
        }
    });
    MatchReport { verdict, warnings }
}

/// Why a record is unusable for a DANE SMTP sender (RFC 7672 section 3.1, RFC 6698 section
/// 2.1), or `Ok` when it is usable.
fn usable_params(usage: u8, selector: u8, matching: u8, data: &[u8]) -> Result<(), String> {
    match usage {
        2 | 3 => {}
        0 | 1 => {
            return Err(format!(
                "usage {usage} (PKIX) is unusable for SMTP (RFC 7672 section 3.1.3)"
            ));
        }
        _ => return Err(format!("unknown usage {usage}")),
    }
    if selector > 1 {
        return Err(format!("unknown selector {selector}"));
    }
    let want = match matching {
        0 => None,
        1 => Some(32),
        2 => Some(64),
        _ => return Err(format!("unknown matching type {matching}")),
    };
    match want {
        Some(n) if data.len() != n => Err(format!(
            "a matching type {matching} digest of {} octets instead of {n}",
            data.len()
        )),
        None if data.is_empty() => Err("no certificate data".into()),
        _ => Ok(()),
    }
}

/// Checks the chain from the leaf to the trust anchor at `ta`: each certificate signed by the
/// next, each valid at `now`, and the leaf naming `host`.
fn check_chain(chain: &[Vec<u8>], ta: usize, host: &str, now: i64) -> Result<(), Verdict> {
    let parsed: Vec<_> = chain[..=ta]
        .iter()
        .map(|c| derive::parse_certificate(c))
        .collect::<Result<_, _>>()
        .map_err(|e| Verdict::NoMatch {
            detail: format!("unparsable certificate in the chain: {e}"),
        })?;
    for (i, cert) in parsed.iter().enumerate() {
        let validity = cert.validity();
        let (from, until) = (
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        );
        if now > until || now < from {
            let which = if i == 0 {
                "the server's certificate".to_string()
            } else {
                format!("chain certificate {i} ({})", cert.subject())
            };
            let detail = if now > until {
                format!(
                    "{which} expired at {}",
                    super::validate::utc(until.max(0) as u64)
                )
            } else {
                format!(
                    "{which} is not valid before {}",
                    super::validate::utc(from.max(0) as u64)
                )
            };
            return Err(Verdict::Expired { detail });
        }
    }
    for i in 0..ta {
        if parsed[i]
            .verify_signature(Some(parsed[i + 1].public_key()))
            .is_err()
        {
            return Err(Verdict::NoMatch {
                detail: format!(
                    "chain certificate {i} is not signed by certificate {}",
                    i + 1
                ),
            });
        }
    }
    if !names_host(&parsed[0], host) {
        return Err(Verdict::NoMatch {
            detail: format!(
                "the certificate does not name {host} (DANE-TA needs the MX host name, RFC 7672 section 3.2.2)"
            ),
        });
    }
    Ok(())
}

/// Whether the certificate's DNS names (or, without any, its common name) match `host`,
/// with a `*.` wildcard for one leftmost label.
fn names_host(cert: &x509_parser::certificate::X509Certificate<'_>, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let mut names: Vec<String> = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            if let GeneralName::DNSName(d) = n {
                names.push(d.to_ascii_lowercase());
            }
        }
    }
    if names.is_empty() {
        names.extend(
            cert.subject()
                .iter_common_name()
                .filter_map(|cn| cn.as_str().ok())
                .map(str::to_ascii_lowercase),
        );
    }
    names.iter().any(|n| {
        let n = n.trim_end_matches('.');
        n == host
            || n.strip_prefix("*.").is_some_and(|rest| {
                host.split_once('.')
                    .is_some_and(|(first, tail)| !first.is_empty() && tail == rest)
            })
    })
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
