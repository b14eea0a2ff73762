//! DNSSEC validation for the doctor (RFC 4035 section 5): every RRset the doctor relies on
//! is checked against a chain of trust that starts at a configured anchor (a DS or DNSKEY
//! RRset, `--trust-anchor`) or the root's, walking DS -> DNSKEY -> RRSIG zone by zone with
//! the signer crate's verification (the same code daned signs with, checked there against
//! RFC vectors and BIND's keys).
//!
//! What it checks: signature validity times against `now`, the signatures themselves, that a
//! zone's DNSKEY RRset is signed by a key its parent's DS (or the anchor) names, and that the
//! signer of an RRset is the owner's zone or above, and that a negative answer's validly
//! signed NSEC/NSEC3 records actually prove the denial for the name and type asked
//! ([`super::denial`], RFC 4035 section 5.4, RFC 5155 section 8), so a denial replayed from
//! another name is caught as well as a stripped or forged one.

use std::collections::HashMap;

use signer::ds::{DigestType, ds_rdata};
use signer::rrsig::{RrsigFields, verify_rrsig};
use signer::{Dnskey, Timestamp};
use zones::{Name, Rrset, Rtype};

pub use super::anchor::{AnchorError, TrustAnchor, parse_anchor, root_anchor};
use super::denial::{self, Claim, Denial};
use super::dns::{Answer, Client, DnsError};
use super::limits::{Exhausted, MAX_KEY_COLLISIONS, MAX_SIGNATURES_PER_RRSET, Work};

/// Chains of trust are at most this many zones deep (a guard, not a limit real names meet).
const MAX_DEPTH: usize = 16;

/// Signatures expiring sooner than this are warned about.
pub const EXPIRY_WARNING_SECS: u64 = 3 * 86_400;

//------------ Bogus ---------------------------------------------------------

/// Why data failed validation: what a DANE sender reports as 5.7.324.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Bogus {
    /// The RRset came without an RRSIG (RFC 4035 section 5.3).
    #[error("{owner} {rtype}: no RRSIG (unsigned, or signatures stripped)")]
    NoSignature {
        /// Owner.
        owner: String,
        /// Type.
        rtype: String,
    },
    /// Every signature that could apply fails to verify.
    #[error("{owner} {rtype}: the RRSIG by key {tag} does not verify (bad signature)")]
    BadSignature {
        /// Owner.
        owner: String,
        /// Type.
        rtype: String,
        /// Key tag.
        tag: u16,
    },
    /// The signatures expired (RFC 4035 section 5.3.1).
    #[error("{owner} {rtype}: RRSIG expired at {expired}")]
    Expired {
        /// Owner.
        owner: String,
        /// Type.
        rtype: String,
        /// When (UTC).
        expired: String,
    },
    /// The signatures are not valid yet.
    #[error("{owner} {rtype}: RRSIG not valid before {inception}")]
    NotYetValid {
        /// Owner.
        owner: String,
        /// Type.
        rtype: String,
        /// Inception (UTC).
        inception: String,
    },
    /// No DNSKEY with the signature's key tag and algorithm.
    #[error("{owner} {rtype}: signed by key {tag} which {zone} does not publish")]
    UnknownKey {
        /// Owner.
        owner: String,
        /// Type.
        rtype: String,
        /// Key tag.
        tag: u16,
        /// Zone.
        zone: String,
    },
    /// No DS (at the parent) or anchor record matches any of the zone's DNSKEYs.
    #[error("{zone}: no DNSKEY matches the DS records at the parent (or the trust anchor)")]
    DsMismatch {
        /// Zone.
        zone: String,
    },
    /// The zone has no secure DS at its parent: the chain of trust stops above it.
    #[error("{zone}: no DS at the parent; the chain of trust is broken (insecure delegation)")]
    NoDs {
        /// Zone.
        zone: String,
    },
    /// The zone's DNSKEY RRset is missing.
    #[error("{zone}: no DNSKEY RRset")]
    NoDnskey {
        /// Zone.
        zone: String,
    },
    /// The data's zone is not under the trust anchor.
    #[error("{zone} is not under the trust anchor {anchor}")]
    OutsideAnchor {
        /// Zone.
        zone: String,
        /// Anchor owner.
        anchor: String,
    },
    /// The resolver answered SERVFAIL even with CD set.
    #[error("{owner} {rtype}: the resolver answered SERVFAIL")]
    ServFail {
        /// Owner.
        owner: String,
        /// Type.
        rtype: String,
    },
    /// A denial of existence without validly signed NSEC/NSEC3 records.
    #[error("{owner} {rtype}: the negative answer carries no validly signed NSEC/NSEC3 ({detail})")]
    UnsignedDenial {
        /// Owner.
        owner: String,
        /// Type.
        rtype: String,
        /// Why.
        detail: String,
    },
    /// Validly signed NSEC/NSEC3 records that do not prove the denial (RFC 4035 section
    /// 5.4, RFC 5155 section 8).
    #[error("{owner} {rtype}: the negative answer does not prove the denial: {detail}")]
    DenialNotProven {
        /// Owner.
        owner: String,
        /// Type.
        rtype: String,
        /// What is missing.
        detail: String,
    },
    /// The question got no answer at all.
    #[error("{owner} {rtype}: {error}")]
    Lookup {
        /// Owner.
        owner: String,
        /// Type.
        rtype: String,
        /// The error.
        error: String,
    },
    /// The chain is deeper than [`MAX_DEPTH`] zones.
    #[error("chain of trust too deep")]
    TooDeep,
    /// Checking the answer would cost more than [`super::limits`] allow: the doctor could
    /// not check it (a resolver gives up the same way).
    #[error("{owner} {rtype}: not checked: {why}")]
    TooMuchWork {
        /// Owner.
        owner: String,
        /// Type.
        rtype: String,
        /// Which limit.
        why: Exhausted,
    },
}

impl Bogus {
    /// Whether this says the doctor could not check (no usable answer, or an answer too
    /// costly to check) rather than that the data is wrong.
    pub fn could_not_check(&self) -> bool {
        matches!(self, Self::Lookup { .. } | Self::TooMuchWork { .. })
    }
}

//------------ Lookup --------------------------------------------------------

/// A validated lookup result.
#[derive(Clone, Debug)]
pub enum Secure {
    /// The RRset, validated.
    Data(Rrset),
    /// Validated: the name has no data of the type (NODATA).
    NoData,
    /// Validated: the name does not exist (NXDOMAIN).
    NxDomain,
    /// The signatures validate but the denial uses more NSEC3 iterations than validators
    /// accept: they treat it as insecure (RFC 9276 section 3.2). Why, for the report.
    Insecure(String),
}

//------------ Validator -----------------------------------------------------

/// Validates answers from one resolver against one trust anchor at one time.
pub struct Validator<'a> {
    /// The resolver.
    client: &'a Client<'a>,
    /// The anchor.
    anchor: TrustAnchor,
    /// Validation time.
    now: Timestamp,
    /// Trusted zone keys, by zone (lowercase text).
    keys: HashMap<String, Result<Vec<Dnskey>, Bogus>>,
    /// Warnings met on the way (DS matching no key, signatures expiring soon).
    pub warnings: Vec<String>,
    /// The work done for the current lookup, against [`super::limits`].
    pub work: Work,
}

/// An RR type's mnemonic.
fn type_name(rtype: Rtype) -> String {
    rtype.to_string()
}

/// A time as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn utc(secs: u64) -> String {
    format!("{} UTC", zones::time::UtcDateTime::from_unix_u64(secs))
}

impl<'a> Validator<'a> {
    /// A validator asking `client`, trusting `anchor`, at `now`.
    pub fn new(client: &'a Client<'a>, anchor: TrustAnchor, now: Timestamp) -> Self {
        Self {
            client,
            anchor,
            now,
            keys: HashMap::new(),
            warnings: Vec::new(),
            work: Work::default(),
        }
    }

    /// Looks `name` `rtype` up and validates the answer.
    pub fn lookup(&mut self, name: &Name, rtype: Rtype) -> Result<Secure, Bogus> {
        self.work.reset();
        self.lookup_at(name, rtype, 0)
    }

    /// [`lookup`](Self::lookup) at a recursion depth.
    fn lookup_at(&mut self, name: &Name, rtype: Rtype, depth: usize) -> Result<Secure, Bogus> {
        let answer = self.ask(name, rtype)?;
        if answer.rcode == 2 {
            return Err(Bogus::ServFail {
                owner: name.to_string(),
                rtype: type_name(rtype),
            });
        }
        if let Some(set) = answer.rrset(name, rtype) {
            let sigs = Answer::rrsigs(&answer.answer, name, rtype);
            self.validate_at(set, &sigs, depth)?;
            return Ok(Secure::Data(set.clone()));
        }
        // An alias (RFC 1034 section 3.6.2): the CNAME itself must validate, then its target
        // is looked up (again, so that the target's own proof is checked).
        if rtype != Rtype::CNAME {
            if let Some(cname) = answer.rrset(name, Rtype::CNAME) {
                if depth > MAX_DEPTH {
                    return Err(Bogus::TooDeep);
                }
                let sigs = Answer::rrsigs(&answer.answer, name, Rtype::CNAME);
                self.validate_at(cname, &sigs, depth)?;
                if let Some(target) = cname
                    .rdatas
                    .first()
                    .and_then(|r| super::name_from_wire(r.as_bytes()))
                {
                    return self.lookup_at(&target, rtype, depth + 1);
                }
            }
        }
        if let Some(why) = self.validate_denial(name, rtype, &answer, depth)? {
            return Ok(Secure::Insecure(why));
        }
        Ok(if answer.rcode == 3 {
            Secure::NxDomain
        } else {
            Secure::NoData
        })
    }

    /// Asks the resolver.
    fn ask(&self, name: &Name, rtype: Rtype) -> Result<Answer, Bogus> {
        self.client
            .query(name, rtype)
            .map_err(|e: DnsError| Bogus::Lookup {
                owner: name.to_string(),
                rtype: type_name(rtype),
                error: e.to_string(),
            })
    }

    /// A negative answer is accepted when it carries NSEC or NSEC3 records validly signed by
    /// the zone that prove the denial ([`super::denial::check_with`]); `Some(why)` when the
    /// denial is insecure (NSEC3 iterations above the cap).
    fn validate_denial(
        &mut self,
        name: &Name,
        rtype: Rtype,
        answer: &Answer,
        depth: usize,
    ) -> Result<Option<String>, Bogus> {
        let denial = |detail: &str| Bogus::UnsignedDenial {
            owner: name.to_string(),
            rtype: type_name(rtype),
            detail: detail.to_string(),
        };
        let proofs: Vec<&Rrset> = answer
            .authority
            .iter()
            .filter(|s| s.rtype == Rtype::NSEC || s.rtype == Rtype::NSEC3)
            .collect();
        if proofs.is_empty() {
            return Err(denial("no NSEC/NSEC3 records"));
        }
        for set in &proofs {
            let sigs = Answer::rrsigs(&answer.authority, &set.owner, set.rtype);
            self.validate_at(set, &sigs, depth)?;
        }
        let claim = if answer.rcode == 3 {
            Claim::NxDomain
        } else {
            Claim::NoData
        };
        match denial::check_with(name, rtype, claim, &proofs, &mut self.work) {
            Ok(()) => Ok(None),
            Err(Denial::Insecure(why)) => Ok(Some(why)),
            Err(Denial::NotProven(detail)) => Err(Bogus::DenialNotProven {
                owner: name.to_string(),
                rtype: type_name(rtype),
                detail,
            }),
            Err(Denial::Exhausted(why)) => Err(Bogus::TooMuchWork {
                owner: name.to_string(),
                rtype: type_name(rtype),
                why,
            }),
        }
    }

    /// Checks `set` against `sigs` (RRSIG rdata): one signature by a trusted key of the
    /// signer's zone, within its validity, must verify.
    pub fn validate(&mut self, set: &Rrset, sigs: &[&[u8]]) -> Result<(), Bogus> {
        self.work.reset();
        self.validate_at(set, sigs, 0)
    }

    /// [`validate`](Self::validate) at a recursion depth.
    fn validate_at(&mut self, set: &Rrset, sigs: &[&[u8]], depth: usize) -> Result<(), Bogus> {
        let owner = set.owner.to_string();
        let rtype = type_name(set.rtype);
        let mut error = Bogus::NoSignature {
            owner: owner.clone(),
            rtype: rtype.clone(),
        };
        // KeyTrap (CVE-2023-50387): only so many signatures per RRset are tried.
        for sig in sigs.iter().take(MAX_SIGNATURES_PER_RRSET) {
            let Ok((fields, _)) = RrsigFields::from_wire(sig) else {
                continue;
            };
            if !fields.signer.zone_of(&set.owner) {
                continue;
            }
            let keys = match self.zone_keys(&fields.signer, depth + 1) {
                Ok(k) => k,
                Err(e) => {
                    error = e;
                    continue;
                }
            };
            match self.check_one(set, sig, &fields, &keys) {
                Ok(()) => return Ok(()),
                Err(e @ Bogus::TooMuchWork { .. }) => return Err(e),
                Err(e) => error = e,
            }
        }
        Err(error)
    }

    /// Checks one signature with a set of trusted keys; records an expiry warning.
    fn check_one(
        &mut self,
        set: &Rrset,
        sig: &[u8],
        fields: &RrsigFields,
        keys: &[Dnskey],
    ) -> Result<(), Bogus> {
        let owner = set.owner.to_string();
        let rtype = type_name(set.rtype);
        let candidates: Vec<&Dnskey> = keys
            .iter()
            .filter(|k| k.key_tag() == fields.key_tag && k.algorithm.0 == fields.algorithm)
            .collect();
        if candidates.is_empty() {
            return Err(Bogus::UnknownKey {
                owner,
                rtype,
                tag: fields.key_tag,
                zone: fields.signer.to_string(),
            });
        }
        // KeyTrap: a signature is tried against only so many keys sharing its tag, and every
        // check counts against the lookup's budget.
        let mut verified = false;
        for k in candidates.iter().take(MAX_KEY_COLLISIONS) {
            self.work.verify().map_err(|why| Bogus::TooMuchWork {
                owner: owner.clone(),
                rtype: rtype.clone(),
                why,
            })?;
            if verify_rrsig(set, sig, k).is_ok() {
                verified = true;
                break;
            }
        }
        if !verified {
            return Err(Bogus::BadSignature {
                owner,
                rtype,
                tag: fields.key_tag,
            });
        }
        let expiration = Timestamp::from_rrsig_field(fields.expiration, self.now);
        let inception = Timestamp::from_rrsig_field(fields.inception, self.now);
        if expiration < self.now {
            return Err(Bogus::Expired {
                owner,
                rtype,
                expired: utc(expiration.0),
            });
        }
        if inception > self.now {
            return Err(Bogus::NotYetValid {
                owner,
                rtype,
                inception: utc(inception.0),
            });
        }
        if expiration.0 - self.now.0 < EXPIRY_WARNING_SECS {
            let w = format!(
                "the RRSIG over {owner} {rtype} expires soon ({}): make sure the signer refreshes it",
                utc(expiration.0)
            );
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
        Ok(())
    }

    /// The trusted zone keys of `zone`: its DNSKEY RRset, validated by a key that the
    /// anchor or a validated DS at the parent names.
    fn zone_keys(&mut self, zone: &Name, depth: usize) -> Result<Vec<Dnskey>, Bogus> {
        let id = zone.to_lowercase().to_string();
        if let Some(known) = self.keys.get(&id) {
            return known.clone();
        }
        let result = self.zone_keys_uncached(zone, depth);
        self.keys.insert(id, result.clone());
        result
    }

    /// [`zone_keys`](Self::zone_keys) without the cache.
    fn zone_keys_uncached(&mut self, zone: &Name, depth: usize) -> Result<Vec<Dnskey>, Bogus> {
        if depth > MAX_DEPTH {
            return Err(Bogus::TooDeep);
        }
        let zone_text = zone.to_string();
        if !self.anchor.owner.zone_of(zone) {
            return Err(Bogus::OutsideAnchor {
                zone: zone_text,
                anchor: self.anchor.owner.to_string(),
            });
        }
        // What the keys must match: the anchor at its owner, else the parent's DS RRset.
        let (ds, anchor_keys) = if self.anchor.owner == *zone {
            (self.anchor.ds.clone(), self.anchor.dnskeys.clone())
        } else {
            match self.lookup_at(zone, Rtype::DS, depth)? {
                Secure::Data(set) => (
                    set.rdatas.iter().map(|r| r.as_bytes().to_vec()).collect(),
                    Vec::new(),
                ),
                _ => return Err(Bogus::NoDs { zone: zone_text }),
            }
        };
        let answer = self.ask(zone, Rtype::DNSKEY)?;
        let Some(set) = answer.rrset(zone, Rtype::DNSKEY) else {
            return Err(Bogus::NoDnskey { zone: zone_text });
        };
        let all: Vec<Dnskey> = set
            .rdatas
            .iter()
            .filter_map(|r| Dnskey::from_wire(r.as_bytes()).ok())
            .collect();
        let owner = zone.to_lowercase();
        let mut secure_entry: Vec<Dnskey> = Vec::new();
        let mut unmatched_ds = 0;
        for d in &ds {
            let digest = match d.get(3) {
                Some(1) => DigestType::Sha1,
                Some(2) => DigestType::Sha256,
                Some(4) => DigestType::Sha384,
                _ => continue, // unknown digest types are ignored (RFC 4035 section 5.2)
            };
            // Only keys of the DS's tag and algorithm are digested, and only so many of them.
            let (tag, alg) = match d.as_slice() {
                [t0, t1, alg, ..] => (u16::from_be_bytes([*t0, *t1]), *alg),
                _ => continue,
            };
            let matching: Vec<&Dnskey> = all
                .iter()
                .filter(|k| k.algorithm.0 == alg && k.key_tag() == tag)
                .take(MAX_KEY_COLLISIONS)
                .filter(|k| ds_rdata(&owner, k, digest).as_bytes() == d.as_slice())
                .collect();
            if matching.is_empty() {
                unmatched_ds += 1;
            }
            secure_entry.extend(matching.into_iter().cloned());
        }
        for raw in &anchor_keys {
            if let Some(k) = all.iter().find(|k| k.to_wire() == *raw) {
                secure_entry.push(k.clone());
            }
        }
        if secure_entry.is_empty() {
            return Err(Bogus::DsMismatch { zone: zone_text });
        }
        if unmatched_ds > 0 {
            self.warnings.push(format!(
                "{unmatched_ds} DS record(s) for {zone_text} match no DNSKEY: remove them at the parent (or publish their key) before the matching one goes"
            ));
        }
        let sigs = Answer::rrsigs(&answer.answer, zone, Rtype::DNSKEY);
        let mut error = Bogus::NoSignature {
            owner: zone_text.clone(),
            rtype: "DNSKEY".into(),
        };
        for sig in sigs.iter().take(MAX_SIGNATURES_PER_RRSET) {
            let Ok((fields, _)) = RrsigFields::from_wire(sig) else {
                continue;
            };
            match self.check_one(set, sig, &fields, &secure_entry) {
                Ok(()) => {
                    return Ok(all.into_iter().filter(|k| k.flags & 0x0100 != 0).collect());
                }
                Err(e @ Bogus::TooMuchWork { .. }) => return Err(e),
                Err(e) => error = e,
            }
        }
        Err(error)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod hostile;
