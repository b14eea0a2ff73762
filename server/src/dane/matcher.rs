//! RFC 7672 section 3: whether a DANE SMTP sender authenticates a presented certificate chain
//! with a TLSA RRset. The one matcher of daned: the probe, the doctor and the fixture all ask
//! it, so that what the daemon calls "matched" is what real senders accept.
//!
//! What a sender does with each record (RFC 7672 section 3.1, RFC 6698 section 2.1):
//!
//! - `3 x x` (DANE-EE, section 3.1.1) matches the leaf's certificate or key. Names and expiry
//!   are not checked: the record, signed in DNSSEC, is the binding.
//! - `2 x x` (DANE-TA, section 3.1.2) matches a certificate of the presented chain that
//!   really issued the one below it (issuer name equal to its subject, signature verified), on
//!   the path up from the leaf; every certificate on that path must be valid now, and the
//!   leaf must name the MX host (section 3.2.2), with a `*` only as the whole leftmost label
//!   (section 3.2.3, RFC 6125 section 6.4.3). With matching type 0 the record holds the
//!   anchor itself, which the server then need not send.
//! - `0 x x` and `1 x x` (PKIX) are unusable for SMTP (section 3.1.3), and so is a record
//!   with an unknown usage, selector or matching type or a digest of the wrong length (RFC
//!   6698 section 2.1). When every record is unusable, the sender still insists on TLS but
//!   does not authenticate the server (RFC 7672 section 2.2).
//!
//! The digests come from [`crate::dane::derive`], the code that publishes daned's records.

use core::fmt;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::derive::{self, Matching, Selector, Usage};

//------------ verify --------------------------------------------------------

/// Matches the TLSA `records` (wire rdata) against `chain` (DER, leaf first) as a DANE SMTP
/// sender connecting to `host` (the TLSA base domain, RFC 7672 section 3.2.2; a final dot is
/// ignored) does at `now` (seconds since the epoch).
pub fn verify(records: &[Vec<u8>], chain: &[Vec<u8>], host: &str, now: i64) -> Verdict {
    let parsed: Vec<Option<X509Certificate<'_>>> = chain
        .iter()
        .map(|der| derive::parse_certificate(der).ok())
        .collect();
    let presented = Chain {
        der: chain,
        parsed: &parsed,
    };
    let mut verdict = Verdict {
        matched: None,
        misses: Vec::new(),
    };
    for (index, record) in records.iter().enumerate() {
        let outcome = if verdict.matched.is_some() {
            // A sender stops at the first match; later records are neither used nor faulted
            // for being unusable.
            match usable(record) {
                Ok(_) => continue,
                Err(why) => Err(why),
            }
        } else {
            usable(record).and_then(|params| presented.match_record(params, host, now))
        };
        match outcome {
            Ok(depth) => {
                verdict.matched = Some(Matched {
                    index,
                    record: record.clone(),
                    depth,
                });
            }
            Err(why) => verdict.misses.push(Miss {
                index,
                record: record.clone(),
                why,
            }),
        }
    }
    verdict
}

/// The TLSA base domain of a TLSA owner name: `_25._tcp.mx.example.com.` gives
/// `mx.example.com`, the reference identifier a DANE-TA leaf must name (RFC 7672 section
/// 3.2.2). A name without the `_port._proto` prefix is returned as it is, without final dot.
pub fn base_domain(tlsa_owner: &str) -> &str {
    let name = tlsa_owner.trim_end_matches('.');
    let mut labels = name.splitn(3, '.');
    match (labels.next(), labels.next(), labels.next()) {
        (Some(port), Some(proto), Some(rest))
            if port.starts_with('_') && proto.starts_with('_') =>
        {
            rest
        }
        _ => name,
    }
}

//------------ Verdict -------------------------------------------------------

/// What a DANE SMTP sender concludes about a presented chain: the record that authenticated
/// it, if any, and why each other record did not.
#[must_use = "a verdict says whether DANE senders deliver (5.7.323 when no usable record matches)"]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The first usable record that matched.
    pub matched: Option<Matched>,
    /// Every other record with the reason it did not match, in the order given (records
    /// after the match appear only when they are unusable).
    pub misses: Vec<Miss>,
}

impl Verdict {
    /// Whether the sender authenticates the server.
    pub fn is_match(&self) -> bool {
        self.matched.is_some()
    }

    /// Whether no record at all is usable: the sender then uses TLS without authentication
    /// and delivers (RFC 7672 section 2.2).
    pub fn all_unusable(&self) -> bool {
        self.matched.is_none() && self.misses.iter().all(|m| m.why.is_unusable())
    }

    /// The misses of usable records: why a sender refuses (5.7.323, or 5.7.322 for
    /// [`Why::Expired`]) when nothing matched.
    pub fn refusals(&self) -> impl Iterator<Item = &Miss> {
        self.misses.iter().filter(|m| !m.why.is_unusable())
    }

    /// The most telling refusal: one where a DANE-TA record found its certificate in the
    /// chain and a later check failed (issuer, validity, host name) before one that found
    /// nothing to compare.
    pub fn main_refusal(&self) -> Option<&Miss> {
        self.refusals()
            .find(|m| m.why.found_in_chain())
            .or_else(|| self.refusals().next())
    }
}

/// The record that authenticated the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matched {
    /// Its position in the records given.
    pub index: usize,
    /// The record (wire rdata).
    pub record: Vec<u8>,
    /// The position in the chain of the certificate it matched: 0 for DANE-EE, the trust
    /// anchor's for DANE-TA; `None` when the record holds the anchor itself (matching type
    /// 0) and the server does not send it.
    pub depth: Option<usize>,
}

/// A record that did not authenticate the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Miss {
    /// Its position in the records given.
    pub index: usize,
    /// The record (wire rdata).
    pub record: Vec<u8>,
    /// Why.
    pub why: Why,
}

/// Why a record did not authenticate a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Why {
    /// The rdata is shorter than its three parameter octets.
    Truncated,
    /// PKIX-TA(0) or PKIX-EE(1): unusable for SMTP (RFC 7672 section 3.1.3).
    PkixUsage(Usage),
    /// A usage RFC 6698 section 2.1.1 does not define.
    UnknownUsage(Usage),
    /// A selector RFC 6698 section 2.1.2 does not define.
    UnknownSelector(Selector),
    /// A matching type RFC 6698 section 2.1.3 does not define.
    UnknownMatching(Matching),
    /// A digest whose length is not its matching type's (RFC 6698 section 2.1.3).
    DigestLength {
        /// The matching type.
        matching: Matching,
        /// The octets the record holds.
        len: usize,
        /// The octets the digest has.
        want: usize,
    },
    /// Matching type 0 with no data.
    NoData,
    /// The server presented no certificate.
    NoCertificate,
    /// The leaf does not parse as X.509, so nothing can be compared with it.
    UnparsableLeaf,
    /// DANE-EE: the leaf's certificate or key is not the one the record names.
    LeafDiffers,
    /// DANE-TA: no certificate the server sends above the leaf is the record's, and the
    /// record does not hold the anchor itself: the server must send it (RFC 7672 section
    /// 3.1.2).
    NotInChain,
    /// DANE-TA: the certificate at this position is the record's, but it issued no
    /// certificate on the path up from the leaf (its subject is not the issuer name, or its
    /// key does not verify the signature): an impostor, or a chain out of order with a gap.
    NotIssuer {
        /// Its position in the chain.
        depth: usize,
    },
    /// DANE-TA: the certificate at this position, on the path to the anchor, has expired.
    Expired {
        /// Its position in the chain.
        depth: usize,
        /// Its notAfter (seconds since the epoch).
        not_after: i64,
    },
    /// DANE-TA: the certificate at this position, on the path to the anchor, is not valid
    /// yet.
    NotYetValid {
        /// Its position in the chain.
        depth: usize,
        /// Its notBefore (seconds since the epoch).
        not_before: i64,
    },
    /// DANE-TA: the leaf names neither the host nor a wildcard covering it (RFC 7672
    /// sections 3.2.2 and 3.2.3).
    HostName {
        /// The host name the leaf should name.
        host: String,
    },
}

impl Why {
    /// Whether the record is unusable (ignored by senders) rather than a usable record that
    /// did not match.
    pub fn is_unusable(&self) -> bool {
        matches!(
            self,
            Self::Truncated
                | Self::PkixUsage(_)
                | Self::UnknownUsage(_)
                | Self::UnknownSelector(_)
                | Self::UnknownMatching(_)
                | Self::DigestLength { .. }
                | Self::NoData
        )
    }

    /// Whether a DANE-TA record found its certificate in the chain and failed a later check.
    pub fn found_in_chain(&self) -> bool {
        matches!(
            self,
            Self::NotIssuer { .. }
                | Self::Expired { .. }
                | Self::NotYetValid { .. }
                | Self::HostName { .. }
        )
    }
}

//--- Display

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("a TLSA record shorter than 3 octets"),
            Self::PkixUsage(u) => write!(
                f,
                "usage {} (PKIX) is unusable for SMTP (RFC 7672 section 3.1.3)",
                u.0
            ),
            Self::UnknownUsage(u) => write!(f, "unknown usage {}", u.0),
            Self::UnknownSelector(s) => write!(f, "unknown selector {}", s.0),
            Self::UnknownMatching(m) => write!(f, "unknown matching type {}", m.0),
            Self::DigestLength {
                matching,
                len,
                want,
            } => write!(
                f,
                "a matching type {} digest of {len} octets instead of {want}",
                matching.0
            ),
            Self::NoData => f.write_str("no certificate data"),
            Self::NoCertificate => f.write_str("the server presented no certificate"),
            Self::UnparsableLeaf => f.write_str("the server's certificate does not parse"),
            Self::LeafDiffers => f.write_str("not the server's certificate or key"),
            Self::NotInChain => f.write_str(
                "the server does not send this CA in its chain; send the full chain (RFC 7672 section 3.1.2)",
            ),
            Self::NotIssuer { depth } => write!(
                f,
                "chain certificate {depth} is this CA's, but it issued no certificate on the path from the server's certificate (issuer name or signature does not match)"
            ),
            Self::Expired { depth, not_after } => {
                write!(f, "{} expired at {}", which(*depth), utc(*not_after))
            }
            Self::NotYetValid { depth, not_before } => write!(
                f,
                "{} is not valid before {}",
                which(*depth),
                utc(*not_before)
            ),
            Self::HostName { host } => write!(
                f,
                "the certificate does not name {host} (DANE-TA needs the MX host name, RFC 7672 section 3.2.2)"
            ),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = &self.matched {
            return write!(f, "matched by TLSA {}", derive::rdata_to_text(&m.record));
        }
        if self.all_unusable() {
            return f.write_str("no usable TLSA record (RFC 7672 section 2.2)");
        }
        match self.main_refusal() {
            Some(m) => write!(
                f,
                "no TLSA record matches; {}: {}",
                derive::rdata_to_text(&m.record),
                m.why
            ),
            None => f.write_str("no TLSA record matches"),
        }
    }
}

/// "the server's certificate" or "chain certificate N".
fn which(depth: usize) -> String {
    if depth == 0 {
        "the server's certificate".to_string()
    } else {
        format!("chain certificate {depth}")
    }
}

/// A Unix time as `YYYY-MM-DD hh:mm:ss UTC` (before 1970: the epoch).
fn utc(secs: i64) -> String {
    format!("{} UTC", zones::time::UtcDateTime::from_unix(secs.max(0)))
}

//------------ Record parameters ---------------------------------------------

/// A usable record's fields.
#[derive(Clone, Copy, Debug)]
struct Params<'a> {
    /// DANE-TA or DANE-EE.
    usage: Usage,
    /// Cert or SPKI.
    selector: Selector,
    /// Full, SHA2-256 or SHA2-512.
    matching: Matching,
    /// The certificate association data.
    data: &'a [u8],
}

/// The record's fields, or why a DANE SMTP sender ignores it (RFC 7672 section 3.1, RFC 6698
/// section 2.1).
fn usable(record: &[u8]) -> Result<Params<'_>, Why> {
    let Some((&[usage, selector, matching], data)) = record.split_first_chunk::<3>() else {
        return Err(Why::Truncated);
    };
    let (usage, selector, matching) = (Usage(usage), Selector(selector), Matching(matching));
    match usage {
        Usage::DANE_TA | Usage::DANE_EE => {}
        Usage::PKIX_TA | Usage::PKIX_EE => return Err(Why::PkixUsage(usage)),
        _ => return Err(Why::UnknownUsage(usage)),
    }
    if !matches!(selector, Selector::CERT | Selector::SPKI) {
        return Err(Why::UnknownSelector(selector));
    }
    let want = match matching {
        Matching::FULL => None,
        Matching::SHA256 => Some(32),
        Matching::SHA512 => Some(64),
        _ => return Err(Why::UnknownMatching(matching)),
    };
    match want {
        Some(want) if data.len() != want => Err(Why::DigestLength {
            matching,
            len: data.len(),
            want,
        }),
        None if data.is_empty() => Err(Why::NoData),
        _ => Ok(Params {
            usage,
            selector,
            matching,
            data,
        }),
    }
}

//------------ Chain ---------------------------------------------------------

/// A presented chain, in DER and parsed (`None` where a certificate does not parse).
struct Chain<'c, 'p> {
    /// DER, leaf first.
    der: &'c [Vec<u8>],
    /// Parsed, same positions.
    parsed: &'p [Option<X509Certificate<'c>>],
}

impl Chain<'_, '_> {
    /// Matches one usable record; the depth of what it matched.
    fn match_record(&self, p: Params<'_>, host: &str, now: i64) -> Result<Option<usize>, Why> {
        if self.der.is_empty() {
            return Err(Why::NoCertificate);
        }
        if self.parsed[0].is_none() {
            return Err(Why::UnparsableLeaf);
        }
        if p.usage == Usage::DANE_EE {
            return if self.selects(0, p) {
                Ok(Some(0))
            } else {
                Err(Why::LeafDiffers)
            };
        }
        self.match_trust_anchor(p, host, now)
    }

    /// Whether the certificate at `depth` is the one the record names.
    fn selects(&self, depth: usize, p: Params<'_>) -> bool {
        self.parsed[depth].is_some()
            && derive::association_data(&self.der[depth], p.selector, p.matching)
                .is_ok_and(|d| d == p.data)
    }

    /// DANE-TA (RFC 7672 section 3.1.2): walks up from the leaf, each step to a presented
    /// certificate that issued the current one, until one is the record's (or, for matching
    /// type 0, until the key the record holds issued the current one); then checks validity
    /// along the path and the host name in the leaf.
    fn match_trust_anchor(
        &self,
        p: Params<'_>,
        host: &str,
        now: i64,
    ) -> Result<Option<usize>, Why> {
        let bare = BareAnchor::of(p);
        let mut path = vec![0];
        let anchor = loop {
            let current = path[path.len() - 1];
            let Some(cert) = &self.parsed[current] else {
                break None;
            };
            let issuer = (1..self.der.len())
                .filter(|i| !path.contains(i))
                .find(|&i| self.parsed[i].as_ref().is_some_and(|c| issued(c, cert)));
            match issuer {
                Some(i) => {
                    path.push(i);
                    if self.selects(i, p) {
                        break Some(Some(i));
                    }
                }
                None if bare.as_ref().is_some_and(|b| b.issued(cert)) => break Some(None),
                None => break None,
            }
        };
        let Some(anchor) = anchor else {
            return Err(match (1..self.der.len()).find(|&i| self.selects(i, p)) {
                Some(depth) => Why::NotIssuer { depth },
                None => Why::NotInChain,
            });
        };
        for &depth in &path {
            let Some(cert) = &self.parsed[depth] else {
                continue;
            };
            let validity = cert.validity();
            let (from, until) = (
                validity.not_before.timestamp(),
                validity.not_after.timestamp(),
            );
            if now > until {
                return Err(Why::Expired {
                    depth,
                    not_after: until,
                });
            }
            if now < from {
                return Err(Why::NotYetValid {
                    depth,
                    not_before: from,
                });
            }
        }
        match &self.parsed[0] {
            Some(leaf) if names_host(leaf, host) => Ok(anchor),
            _ => Err(Why::HostName {
                host: host.trim_end_matches('.').to_string(),
            }),
        }
    }
}

/// Whether `issuer` issued `cert`: its subject is `cert`'s issuer name and its key verifies
/// `cert`'s signature (RFC 5280 section 6.1.3).
fn issued(issuer: &X509Certificate<'_>, cert: &X509Certificate<'_>) -> bool {
    issuer.subject() == cert.issuer() && cert.verify_signature(Some(issuer.public_key())).is_ok()
}

/// The trust anchor a DANE-TA record with matching type 0 holds itself: a whole certificate
/// (selector 0) or a bare key (selector 1).
enum BareAnchor<'a> {
    /// `2 0 0`: the anchor's certificate.
    Cert(Box<X509Certificate<'a>>),
    /// `2 1 0`: the anchor's key, without a name.
    Key(SubjectPublicKeyInfo<'a>),
}

impl<'a> BareAnchor<'a> {
    /// The anchor of a `2 x 0` record, if its data parses.
    fn of(p: Params<'a>) -> Option<Self> {
        if p.matching != Matching::FULL {
            return None;
        }
        match p.selector {
            Selector::CERT => derive::parse_certificate(p.data)
                .ok()
                .map(|c| Self::Cert(Box::new(c))),
            Selector::SPKI => match SubjectPublicKeyInfo::from_der(p.data) {
                Ok(([], spki)) => Some(Self::Key(spki)),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether the anchor issued `cert` (for a bare key, by signature alone).
    fn issued(&self, cert: &X509Certificate<'_>) -> bool {
        match self {
            Self::Cert(anchor) => issued(anchor, cert),
            Self::Key(spki) => cert.verify_signature(Some(spki)).is_ok(),
        }
    }
}

//------------ Host names ----------------------------------------------------

/// Whether the certificate's DNS names (or, without any, its common names) match `host`
/// (RFC 7672 section 3.2.2, RFC 6125 section 6.4): equal ignoring case and a final dot, or a
/// `*` that is the whole leftmost label standing for exactly one label (RFC 7672 section
/// 3.2.3).
fn names_host(cert: &X509Certificate<'_>, host: &str) -> bool {
    let mut names: Vec<String> = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            if let GeneralName::DNSName(d) = n {
                names.push((*d).to_string());
            }
        }
    }
    if names.is_empty() {
        names.extend(
            cert.subject()
                .iter_common_name()
                .filter_map(|cn| cn.as_str().ok())
                .map(str::to_string),
        );
    }
    names.iter().any(|n| name_matches(n, host))
}

/// Whether one presented name matches the reference host name.
fn name_matches(presented: &str, host: &str) -> bool {
    let presented = presented.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || presented.is_empty() {
        return false;
    }
    match presented.strip_prefix("*.") {
        // The wildcard's parent needs two labels at least, so `*.com` covers nothing.
        Some(parent) if parent.contains('.') && !parent.contains('*') => host
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest == parent),
        Some(_) => false,
        None => !presented.contains('*') && presented == host,
    }
}

#[cfg(test)]
mod tests;
