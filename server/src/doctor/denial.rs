//! Authenticated denial of existence, the proof logic: given the NSEC or NSEC3 records of a
//! negative answer (their signatures already checked by [`super::validate`]), do they prove
//! that `qname` does not exist (NXDOMAIN) or has no `qtype` (NODATA)?
//!
//! - NSEC (RFC 4035 sections 3.1.3 and 5.4, RFC 4592 section 4.4): NODATA is an NSEC at the
//!   qname whose bitmap lacks the type and CNAME; an empty non-terminal is proven by an NSEC
//!   covering the qname whose next name is below it; NXDOMAIN is an NSEC covering the qname
//!   (owner < qname < next in canonical order, RFC 4034 section 6.1, the last NSEC wrapping
//!   round to the apex) and one covering the wildcard at the closest encloser; wildcard NODATA
//!   is an NSEC covering the qname and an NSEC at the wildcard lacking the type.
//! - NSEC3 (RFC 5155 section 8): names are hashed with each record's own parameters through
//!   [`signer::nsec3::nsec3_hash`]; NODATA is an NSEC3 matching the qname without the type
//!   (8.5); NXDOMAIN is the closest encloser proof (8.3: a match for the closest encloser, a
//!   cover for the next closer name) plus a cover for the wildcard at the closest encloser
//!   (8.4); wildcard NODATA is the closest encloser proof plus a match for the wildcard without
//!   the type (8.7). Hashes compare as the base32hex-decoded octets of the owner's first label
//!   against the next hashed owner field, with the wrap-around at the end of the chain.
//!
//! Opt-Out (RFC 5155 section 8.6) is accepted only where it matters to the doctor: a DS
//! NODATA (the child is then an insecure delegation, which the doctor reports as a missing
//! DS) may be proven by the closest encloser proof with an Opt-Out NSEC3 covering the next
//! closer name, as under an Opt-Out TLD. A mail domain's MX, address and TLSA names are never
//! unsigned delegations, so no other Opt-Out case is needed. Positive answers synthesized
//! from a wildcard are not checked here.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use zones::{Name, Rrset, Rtype};

use super::limits::{Exhausted, MAX_NSEC3_ITERATIONS, Work};

/// CNAME type code.
const CNAME: u16 = 5;
/// NS type code.
const NS: u16 = 2;
/// SOA type code.
const SOA: u16 = 6;
/// DS type code.
const DS: u16 = 43;
/// DNAME type code.
const DNAME: u16 = 39;

/// What a negative answer claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The name exists but has no data of the type (NOERROR, empty answer).
    NoData,
    /// The name does not exist (NXDOMAIN).
    NxDomain,
}

/// Why a negative answer is not accepted as a proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denial {
    /// The records do not prove the denial; what is missing, in words for the report.
    NotProven(String),
    /// The NSEC3 records use more iterations than validators accept: they treat the answer
    /// as insecure (RFC 9276 section 3.2), whatever the records prove.
    Insecure(String),
    /// Checking would cost more than [`limits`](super::limits) allow.
    Exhausted(Exhausted),
}

impl From<Exhausted> for Denial {
    fn from(e: Exhausted) -> Self {
        Self::Exhausted(e)
    }
}

/// Checks that the NSEC or NSEC3 RRsets in `records` (other types are ignored) prove `claim`
/// for `qname` `qtype`. The error says what is missing, in words for the report.
pub fn check(qname: &Name, qtype: Rtype, claim: Claim, records: &[&Rrset]) -> Result<(), String> {
    check_with(qname, qtype, claim, records, &mut Work::default()).map_err(|e| match e {
        Denial::NotProven(s) | Denial::Insecure(s) => s,
        Denial::Exhausted(e) => e.to_string(),
    })
}

/// [`check`], within the budget of `work`, telling an insecure (high-iteration) denial and
/// an exhausted budget from one that is not proven.
pub fn check_with(
    qname: &Name,
    qtype: Rtype,
    claim: Claim,
    records: &[&Rrset],
    work: &mut Work,
) -> Result<(), Denial> {
    let qname = fq(qname);
    let nsec: Vec<Nsec> = records
        .iter()
        .filter(|s| s.rtype == Rtype::NSEC)
        .flat_map(|s| {
            s.rdatas
                .iter()
                .filter_map(|r| Nsec::parse(&s.owner, r.as_bytes()))
        })
        .collect();
    let nsec3: Vec<Nsec3> = records
        .iter()
        .filter(|s| s.rtype == Rtype::NSEC3)
        .flat_map(|s| {
            s.rdatas
                .iter()
                .filter_map(|r| Nsec3::parse(&s.owner, r.as_bytes()))
        })
        .collect();
    let qtype = u16::from(qtype);
    let nsec_result = (!nsec.is_empty()).then(|| check_nsec(&qname, qtype, claim, &nsec));
    if let Some(Ok(())) = nsec_result {
        return Ok(());
    }
    if let Some(most) = nsec3.iter().map(|r| r.iterations).max() {
        if most > MAX_NSEC3_ITERATIONS {
            return Err(Denial::Insecure(format!(
                "the NSEC3 records use {most} iterations, above the {MAX_NSEC3_ITERATIONS} validators accept (RFC 9276 section 3.2): resolvers treat this denial as insecure, so DANE senders do not rely on it; re-sign with 0 iterations and no salt"
            )));
        }
    }
    let nsec3_result = match nsec3.is_empty() {
        true => None,
        false => Some(check_nsec3(&qname, qtype, claim, &nsec3, work)?),
    };
    match (nsec_result, nsec3_result) {
        (_, Some(Ok(()))) => Ok(()),
        (_, Some(Err(e))) | (Some(Err(e)), None) => Err(Denial::NotProven(e)),
        (Some(Ok(())), None) => Ok(()),
        (None, None) => Err(Denial::NotProven("no NSEC or NSEC3 record".into())),
    }
}

/// `name` as a fully qualified, lowercase name (the form canonical order compares).
fn fq(name: &Name) -> Name {
    let mut n = name.to_lowercase();
    n.set_fqdn(true);
    n
}

/// `name` without the trailing dot, for messages.
fn show(name: &Name) -> String {
    let s = name.to_string();
    match s.trim_end_matches('.') {
        "" => ".".into(),
        t => t.into(),
    }
}

/// The mnemonic of a type code.
fn type_text(code: u16) -> String {
    Rtype::from(code).to_string()
}

/// The wildcard name `*.parent`.
fn wildcard(parent: &Name) -> Option<Name> {
    parent.prepend_label("*").ok().map(|n| fq(&n))
}

/// The ancestors of `name` from the name itself up to the root, longest first.
fn ancestors(name: &Name) -> Vec<Name> {
    (0..=name.num_labels())
        .rev()
        .map(|n| fq(&name.trim_to(usize::from(n))))
        .collect()
}

/// Whether `value` lies strictly between `owner` and `next` of a chain, where a `next` not
/// after `owner` is the last link wrapping round to the start (RFC 4034 section 4.1.1, RFC
/// 5155 section 3.1.7).
fn between<T: Ord + ?Sized>(owner: &T, next: &T, value: &T) -> bool {
    match owner.cmp(next) {
        Ordering::Less => owner < value && value < next,
        _ => value > owner || value < next,
    }
}

//------------ NSEC ----------------------------------------------------------

/// One NSEC record.
#[derive(Clone, Debug)]
struct Nsec {
    /// Owner.
    owner: Name,
    /// Next domain name.
    next: Name,
    /// Types at the owner.
    types: BTreeSet<u16>,
}

impl Nsec {
    /// Parses NSEC rdata.
    fn parse(owner: &Name, rdata: &[u8]) -> Option<Self> {
        let len = zones::rdata::name_len_at(rdata, 0)?;
        let next = super::name_from_wire(rdata.get(..len)?)?;
        Some(Self {
            owner: fq(owner),
            next: fq(&next),
            types: zones::bitmap::decode(&rdata[len..]).ok()?,
        })
    }

    /// Whether it proves `name` does not exist: it covers it.
    fn covers(&self, name: &Name) -> bool {
        between(&self.owner, &self.next, name)
    }

    /// Why this NSEC at `qname` (or at the wildcard answering it) does not prove NODATA.
    fn nodata_error(&self, qtype: u16) -> Option<String> {
        let at = show(&self.owner);
        if self.types.contains(&qtype) {
            return Some(format!(
                "the NSEC at {at} lists {}: it proves the type exists",
                type_text(qtype)
            ));
        }
        if self.types.contains(&CNAME) {
            return Some(format!(
                "the NSEC at {at} lists CNAME: the name is an alias, not a denial"
            ));
        }
        if qtype != DS && self.types.contains(&NS) && !self.types.contains(&SOA) {
            return Some(format!(
                "the NSEC at {at} is the parent's record of a delegation: it proves nothing about the child's data"
            ));
        }
        None
    }
}

/// The closest encloser of `qname` a covering NSEC implies (RFC 4592 section 4.4): the longer
/// of the names it shares with the NSEC's owner and next name.
fn nsec_closest_encloser(qname: &Name, cover: &Nsec) -> Name {
    let common = |other: &Name| {
        ancestors(qname)
            .into_iter()
            .find(|a| a.zone_of(other))
            .unwrap_or_else(Name::root)
    };
    let a = common(&cover.owner);
    let b = common(&cover.next);
    if a.num_labels() >= b.num_labels() {
        a
    } else {
        b
    }
}

/// The NSEC proof (RFC 4035 section 5.4).
fn check_nsec(qname: &Name, qtype: u16, claim: Claim, records: &[Nsec]) -> Result<(), String> {
    let q = show(qname);
    if let Some(at) = records.iter().find(|r| r.owner == *qname) {
        return match claim {
            Claim::NxDomain => Err(format!(
                "the NSEC at {q} proves the name exists, yet the answer is NXDOMAIN"
            )),
            Claim::NoData => at.nodata_error(qtype).map_or(Ok(()), Err),
        };
    }
    let Some(cover) = records.iter().find(|r| r.covers(qname)) else {
        let spans: Vec<String> = records
            .iter()
            .map(|r| format!("{} -> {}", show(&r.owner), show(&r.next)))
            .collect();
        return Err(format!(
            "no NSEC at or covering {q} (the NSEC records span {}): nothing proves the denial",
            spans.join(", ")
        ));
    };
    // An empty non-terminal (RFC 4035 section 3.1.3.2): the name exists, with no data.
    if claim == Claim::NoData && qname.zone_of(&cover.next) {
        return Ok(());
    }
    let ce = nsec_closest_encloser(qname, cover);
    let Some(wild) = wildcard(&ce) else {
        return Err(format!("no wildcard name at the closest encloser of {q}"));
    };
    let w = show(&wild);
    match claim {
        Claim::NxDomain => {
            if let Some(at) = records.iter().find(|r| r.owner == wild) {
                return Err(format!(
                    "the NSEC at {w} proves a wildcard exists, so {q} is not NXDOMAIN (types {})",
                    at.types
                        .iter()
                        .map(|t| type_text(*t))
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            }
            if records.iter().any(|r| r.covers(&wild)) {
                Ok(())
            } else {
                Err(format!(
                    "no NSEC proves that the wildcard {w} does not exist (the NSEC covering {q} is {} -> {})",
                    show(&cover.owner),
                    show(&cover.next)
                ))
            }
        }
        // Wildcard NODATA (RFC 4035 section 3.1.3.4): the qname is covered and the wildcard
        // that would answer has no data of the type.
        Claim::NoData => match records.iter().find(|r| r.owner == wild) {
            Some(at) => at.nodata_error(qtype).map_or(Ok(()), Err),
            None => Err(format!(
                "the NSEC {} -> {} proves {q} does not exist, yet the answer is NODATA, and no NSEC at the wildcard {w} shows it without {}",
                show(&cover.owner),
                show(&cover.next),
                type_text(qtype)
            )),
        },
    }
}

//------------ NSEC3 ---------------------------------------------------------

/// One NSEC3 record.
#[derive(Clone, Debug)]
struct Nsec3 {
    /// The zone (the owner without its hash label).
    zone: Name,
    /// The owner hash (decoded).
    hash: Vec<u8>,
    /// The next hashed owner name.
    next: Vec<u8>,
    /// The Opt-Out flag (RFC 5155 section 3.1.2.1).
    opt_out: bool,
    /// Iterations.
    iterations: u16,
    /// Salt.
    salt: Vec<u8>,
    /// Types at the original owner.
    types: BTreeSet<u16>,
}

impl Nsec3 {
    /// Parses NSEC3 rdata (RFC 5155 section 3.2); unknown hash algorithms are dropped (RFC
    /// 5155 section 8.1).
    fn parse(owner: &Name, rdata: &[u8]) -> Option<Self> {
        let (&[alg, flags, i0, i1, salt_len], rest) = rdata.split_first_chunk::<5>()?;
        if alg != signer::nsec3::HASH_SHA1 {
            return None;
        }
        let salt = rest.get(..usize::from(salt_len))?.to_vec();
        let rest = &rest[usize::from(salt_len)..];
        let (&hash_len, rest) = rest.split_first()?;
        let next = rest.get(..usize::from(hash_len))?.to_vec();
        let types = zones::bitmap::decode(&rest[usize::from(hash_len)..]).ok()?;
        let owner = fq(owner);
        let label = owner.iter().next()?;
        let hash = data_encoding::BASE32_DNSSEC
            .decode(&label.to_ascii_lowercase())
            .ok()?;
        Some(Self {
            zone: owner.base_name(),
            hash,
            next,
            opt_out: flags & 1 != 0,
            iterations: u16::from_be_bytes([i0, i1]),
            salt,
            types,
        })
    }

    /// The hash of `name` with this record's parameters (cached in `work`).
    fn hash_of(&self, name: &Name, work: &mut Work) -> Result<[u8; 20], Exhausted> {
        work.nsec3_hash(name, &self.salt, self.iterations)
    }

    /// Whether it is the NSEC3 of `name`.
    fn matches(&self, name: &Name, work: &mut Work) -> Result<bool, Exhausted> {
        Ok(self.zone.zone_of(name) && self.hash_of(name, work)?[..] == self.hash[..])
    }

    /// Whether it proves that `name` has no NSEC3 (does not exist).
    fn covers(&self, name: &Name, work: &mut Work) -> Result<bool, Exhausted> {
        Ok(self.zone.zone_of(name)
            && between(
                &self.hash[..],
                &self.next[..],
                &self.hash_of(name, work)?[..],
            ))
    }

    /// Why this NSEC3 (matching the qname or its wildcard) does not prove NODATA.
    fn nodata_error(&self, at: &Name, qtype: u16) -> Option<String> {
        let at = show(at);
        if self.types.contains(&qtype) {
            return Some(format!(
                "the NSEC3 of {at} lists {}: it proves the type exists",
                type_text(qtype)
            ));
        }
        if self.types.contains(&CNAME) {
            return Some(format!(
                "the NSEC3 of {at} lists CNAME: the name is an alias, not a denial"
            ));
        }
        if qtype != DS && self.types.contains(&NS) && !self.types.contains(&SOA) {
            return Some(format!(
                "the NSEC3 of {at} is the parent's record of a delegation: it proves nothing about the child's data"
            ));
        }
        None
    }
}

/// The first record that is the NSEC3 of `name`.
fn find_match<'a>(
    records: &'a [Nsec3],
    name: &Name,
    work: &mut Work,
) -> Result<Option<&'a Nsec3>, Exhausted> {
    for r in records {
        if r.matches(name, work)? {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

/// The records that cover `name`.
fn find_covers<'a>(
    records: &'a [Nsec3],
    name: &Name,
    work: &mut Work,
) -> Result<Vec<&'a Nsec3>, Exhausted> {
    let mut out = Vec::new();
    for r in records {
        if r.covers(name, work)? {
            out.push(r);
        }
    }
    Ok(out)
}

/// The closest encloser proof (RFC 5155 section 8.3): the closest encloser, whose NSEC3 must
/// match, and the next closer name, whose hash an NSEC3 must cover. Returns the closest
/// encloser and whether a record covering the next closer name has Opt-Out set; the outer
/// error is an exhausted budget, the inner what is missing.
fn closest_encloser(
    qname: &Name,
    records: &[Nsec3],
    work: &mut Work,
) -> Result<Result<(Name, bool), String>, Exhausted> {
    let q = show(qname);
    let all = ancestors(qname);
    // The longest proper ancestor with a matching NSEC3.
    let mut found = None;
    for (i, a) in all.iter().enumerate().skip(1) {
        if let Some(r) = find_match(records, a, work)? {
            found = Some((i, a.clone(), r));
            break;
        }
    }
    let Some((i, ce, at)) = found else {
        return Ok(Err(format!(
            "no NSEC3 matches the closest encloser of {q} (no ancestor of it is proven to exist)"
        )));
    };
    if at.types.contains(&DNAME) || (at.types.contains(&NS) && !at.types.contains(&SOA)) {
        return Ok(Err(format!(
            "the closest encloser {} of {q} is a delegation or DNAME: the proof is not from the name's zone",
            show(&ce)
        )));
    }
    let next_closer = &all[i - 1];
    let covers = find_covers(records, next_closer, work)?;
    if covers.is_empty() {
        let hash = match records.first() {
            Some(r) => signer::nsec3::hash_label(&r.hash_of(next_closer, work)?),
            None => String::new(),
        };
        return Ok(Err(format!(
            "no NSEC3 covers the next closer name {} (hash {hash}) of {q}: nothing proves it does not exist",
            show(next_closer),
        )));
    }
    Ok(Ok((ce, covers.iter().any(|r| r.opt_out))))
}

/// The NSEC3 proof (RFC 5155 section 8); the outer error is an exhausted budget.
fn check_nsec3(
    qname: &Name,
    qtype: u16,
    claim: Claim,
    records: &[Nsec3],
    work: &mut Work,
) -> Result<Result<(), String>, Exhausted> {
    let q = show(qname);
    if let Some(at) = find_match(records, qname, work)? {
        return Ok(match claim {
            Claim::NxDomain => Err(format!(
                "the NSEC3 of {q} proves the name exists, yet the answer is NXDOMAIN"
            )),
            Claim::NoData => at.nodata_error(qname, qtype).map_or(Ok(()), Err),
        });
    }
    let (ce, opt_out) = match closest_encloser(qname, records, work)? {
        Ok(found) => found,
        Err(e) => {
            return Ok(Err(match claim {
                Claim::NoData => {
                    format!("no NSEC3 matches {q} (NODATA, RFC 5155 section 8.5), and {e}")
                }
                Claim::NxDomain => e,
            }));
        }
    };
    // RFC 5155 section 8.6: no DS at an unsigned delegation inside an Opt-Out span.
    if claim == Claim::NoData && qtype == DS && opt_out {
        return Ok(Ok(()));
    }
    let Some(wild) = wildcard(&ce) else {
        return Ok(Err(format!(
            "no wildcard name at the closest encloser of {q}"
        )));
    };
    let w = show(&wild);
    Ok(match claim {
        Claim::NxDomain => {
            if !find_covers(records, &wild, work)?.is_empty() {
                Ok(())
            } else if find_match(records, &wild, work)?.is_some() {
                Err(format!(
                    "the NSEC3 of the wildcard {w} proves it exists, so {q} is not NXDOMAIN"
                ))
            } else {
                Err(format!(
                    "no NSEC3 covers the wildcard {w} at the closest encloser of {q}: nothing proves no wildcard answers it"
                ))
            }
        }
        Claim::NoData => match find_match(records, &wild, work)? {
            Some(at) => at.nodata_error(&wild, qtype).map_or(Ok(()), Err),
            None => Err(format!(
                "no NSEC3 matches {q} (NODATA, RFC 5155 section 8.5) nor the wildcard {w} (section 8.7)"
            )),
        },
    })
}

#[cfg(test)]
mod tests;
