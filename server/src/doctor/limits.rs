//! How much work one answer may cost the doctor. The zones it checks are anyone's, so their
//! signatures and denials are attacker-controlled input: without limits a zone can make a
//! validator burn seconds of CPU per answer (CVE-2023-50387 "KeyTrap": many keys sharing a
//! key tag times many signatures; CVE-2023-50868: NSEC3 hashes at 65,535 iterations for
//! every label of the name and every record). The limits follow the fixes validating
//! resolvers shipped:
//!
//! - NSEC3 iterations above [`MAX_NSEC3_ITERATIONS`] make a denial insecure, not bogus, as
//!   RFC 9276 section 3.2 lets validators do and as BIND (9.18.16 and later) and Knot
//!   Resolver (5.7.1 and later) do at 50. The records' signatures are still checked first, so
//!   the iteration count is the zone's own (RFC 9276 section 3.2).
//! - NSEC3 hashes are cached per (name, salt, iterations) and at most [`MAX_NSEC3_HASHES`]
//!   distinct ones are computed per answer (unbound 1.19.1 suspends after a few per message).
//! - Each RRSIG is tried against at most [`MAX_KEY_COLLISIONS`] keys of its tag and
//!   algorithm, at most [`MAX_SIGNATURES_PER_RRSET`] RRSIGs are tried per RRset, and at most
//!   [`MAX_VERIFICATIONS`] signature checks are made per lookup including its chain of trust
//!   (BIND's `max-validations-per-fetch`, unbound's key-tag collision limit).
//!
//! Hitting a work limit is not a verdict on the zone: the doctor reports that it could not
//! check, as a resolver that gives up answers SERVFAIL.

use std::collections::HashMap;

use zones::Name;

/// NSEC3 iterations above this make a denial insecure (RFC 9276 section 3.2).
pub const MAX_NSEC3_ITERATIONS: u16 = 50;
/// Distinct NSEC3 hashes computed per answer.
pub const MAX_NSEC3_HASHES: usize = 128;
/// Keys of one tag and algorithm tried per signature.
pub const MAX_KEY_COLLISIONS: usize = 4;
/// Signatures tried per RRset.
pub const MAX_SIGNATURES_PER_RRSET: usize = 8;
/// Signature checks per lookup, its chain of trust included.
pub const MAX_VERIFICATIONS: usize = 128;

/// Why the doctor stopped working on an answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Exhausted {
    /// Too many signature checks for one lookup.
    #[error(
        "more than {MAX_VERIFICATIONS} signature checks for one answer (a KeyTrap-style zone?)"
    )]
    Verifications,
    /// Too many NSEC3 hashes for one answer.
    #[error("more than {MAX_NSEC3_HASHES} distinct NSEC3 hashes for one answer")]
    Hashes,
}

/// The work done for one lookup, and the NSEC3 hashes already computed.
#[derive(Debug, Default)]
pub struct Work {
    /// Signature checks made.
    pub verifications: usize,
    /// NSEC3 hashes computed (cache misses).
    pub hashes: usize,
    /// NSEC3 hashes by (lowercase name text, salt, iterations).
    cache: HashMap<(Vec<u8>, Vec<u8>, u16), [u8; 20]>,
}

impl Work {
    /// Counts one signature check; an error once the budget is spent.
    pub fn verify(&mut self) -> Result<(), Exhausted> {
        if self.verifications >= MAX_VERIFICATIONS {
            return Err(Exhausted::Verifications);
        }
        self.verifications += 1;
        Ok(())
    }

    /// The NSEC3 hash of `name` (RFC 5155 section 5), from the cache or computed within the
    /// budget.
    pub fn nsec3_hash(
        &mut self,
        name: &Name,
        salt: &[u8],
        iterations: u16,
    ) -> Result<[u8; 20], Exhausted> {
        let wire = name.to_lowercase().to_string().into_bytes();
        let key = (wire, salt.to_vec(), iterations);
        if let Some(h) = self.cache.get(&key) {
            return Ok(*h);
        }
        if self.hashes >= MAX_NSEC3_HASHES {
            return Err(Exhausted::Hashes);
        }
        self.hashes += 1;
        let h = signer::nsec3::nsec3_hash(name, salt, iterations);
        self.cache.insert(key, h);
        Ok(h)
    }

    /// Starts the count for a new lookup (the cache stays: hashes do not change).
    pub fn reset(&mut self) {
        self.verifications = 0;
        self.hashes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_hash_costs_nothing_and_the_budget_ends_in_an_error() {
        let mut w = Work::default();
        let n = Name::from_ascii("example.").unwrap();
        // RFC 5155 Appendix A: H(example) with salt aabbccdd, 12 iterations.
        let h = w.nsec3_hash(&n, &[0xaa, 0xbb, 0xcc, 0xdd], 12).unwrap();
        assert_eq!(
            signer::nsec3::hash_label(&h),
            "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"
        );
        let upper = Name::from_ascii("EXAMPLE.").unwrap();
        assert_eq!(w.nsec3_hash(&upper, &[0xaa, 0xbb, 0xcc, 0xdd], 12), Ok(h));
        assert_eq!(w.hashes, 1);
        for i in 1..MAX_NSEC3_HASHES {
            w.nsec3_hash(&n, &(i as u32).to_be_bytes(), 0).unwrap();
        }
        assert_eq!(w.nsec3_hash(&n, b"one more", 0), Err(Exhausted::Hashes));
        for _ in 0..MAX_VERIFICATIONS {
            w.verify().unwrap();
        }
        assert_eq!(w.verify(), Err(Exhausted::Verifications));
        w.reset();
        assert!(w.verify().is_ok());
    }
}
