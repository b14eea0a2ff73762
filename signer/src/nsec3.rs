//! NSEC3 hashed denial of existence (RFC 5155, parameters per RFC 9276).
//!
//! Parameter policy (RFC 9276 section 3.1): daned's default is zero extra iterations and an
//! empty salt. Other values are accepted for operators who must match an existing
//! deployment, but [`Nsec3Params::warnings`] reports them; iterations above 100 are refused
//! because RFC 9276 section 3.2 lets validators treat such zones as insecure or bogus.

use std::collections::{BTreeMap, BTreeSet};

use data_encoding::BASE32_DNSSEC;
use rayon::prelude::*;
use ring::digest::{Context, SHA1_FOR_LEGACY_USE_ONLY};
use zones::{Name, Rdata, Rrset, Ttl, Zone};

use crate::names::{NameKind, classify};
use crate::wire::name_to_wire;

/// The SHA-1 hash algorithm number (RFC 5155 section 11), the only one defined.
pub const HASH_SHA1: u8 = 1;
/// The highest iteration count daned accepts (RFC 9276 section 3.2).
pub const MAX_ITERATIONS: u16 = 100;

/// NS, DS, RRSIG type codes.
const NS: u16 = 2;
/// DS type code.
const DS: u16 = 43;
/// RRSIG type code.
const RRSIG: u16 = 46;
/// NSEC3 type code.
const NSEC3: u16 = 50;

//------------ Nsec3Params ---------------------------------------------------

/// The NSEC3 chain parameters (RFC 5155 section 3.1 and 4.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nsec3Params {
    /// Extra hash iterations; 0 per RFC 9276.
    pub iterations: u16,
    /// Salt; empty per RFC 9276.
    pub salt: Vec<u8>,
    /// Opt-Out (RFC 5155 section 6): unsigned delegations get no NSEC3 record.
    pub opt_out: bool,
}

/// An accepted but discouraged parameter choice (RFC 9276 section 3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Nsec3Warning {
    /// Iterations other than 0 add cost for everyone and no protection.
    NonZeroIterations(u16),
    /// A salt adds nothing when the whole zone is re-signed to change it.
    NonEmptySalt,
    /// Opt-Out is only useful for very large delegation-centric zones.
    OptOut,
}

/// Why an NSEC3 chain cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Nsec3Error {
    /// Iterations above [`MAX_ITERATIONS`] (RFC 9276 section 3.2).
    #[error("NSEC3 iterations {0} exceed the limit of {MAX_ITERATIONS} (RFC 9276 section 3.2)")]
    TooManyIterations(u16),
    /// Salt longer than 255 octets (RFC 5155 section 3.1.5).
    #[error("NSEC3 salt is longer than 255 octets (RFC 5155 section 3.1.5)")]
    SaltTooLong,
    /// Two names hash to the same value; pick another salt (RFC 5155 section 7.1 step 8).
    #[error("NSEC3 hash collision between {0} and {1} (RFC 5155 section 7.1): change the salt")]
    HashCollision(Box<Name>, Box<Name>),
    /// The origin leaves no room for a 32-octet hash label (RFC 1035 section 2.3.4: names
    /// are at most 255 octets).
    #[error("origin {0} is too long to hold NSEC3 owner names")]
    OriginTooLong(Box<Name>),
}

impl Nsec3Params {
    /// Checks the limits; returns the discouraged choices.
    pub fn validate(&self) -> Result<Vec<Nsec3Warning>, Nsec3Error> {
        if self.iterations > MAX_ITERATIONS {
            return Err(Nsec3Error::TooManyIterations(self.iterations));
        }
        if self.salt.len() > 255 {
            return Err(Nsec3Error::SaltTooLong);
        }
        Ok(self.warnings())
    }

    /// The RFC 9276 section 3.1 deviations of these parameters.
    pub fn warnings(&self) -> Vec<Nsec3Warning> {
        let mut w = Vec::new();
        if self.iterations != 0 {
            w.push(Nsec3Warning::NonZeroIterations(self.iterations));
        }
        if !self.salt.is_empty() {
            w.push(Nsec3Warning::NonEmptySalt);
        }
        if self.opt_out {
            w.push(Nsec3Warning::OptOut);
        }
        w
    }

    /// NSEC3PARAM rdata (RFC 5155 section 4.2): flags are always 0 here, Opt-Out is a
    /// property of the NSEC3 records only.
    pub fn nsec3param_rdata(&self) -> Rdata {
        let mut out = vec![HASH_SHA1, 0];
        out.extend_from_slice(&self.iterations.to_be_bytes());
        out.push(self.salt.len() as u8);
        out.extend_from_slice(&self.salt);
        Rdata::from(out)
    }
}

//------------ nsec3_hash ----------------------------------------------------

/// The NSEC3 hash of `name` (RFC 5155 section 5): IH(salt, x, 0) = H(x || salt),
/// IH(salt, x, k) = H(IH(salt, x, k-1) || salt), x the canonical wire name.
pub fn nsec3_hash(name: &Name, salt: &[u8], iterations: u16) -> [u8; 20] {
    nsec3_hash_wire(&name_to_wire(name, true), salt, iterations)
}

/// [`nsec3_hash`] of a name already in lowercase uncompressed wire form, without allocating:
/// the query path hashes next closer and wildcard names with it (it fits
/// `zones::snapshot::Nsec3Hasher`).
pub fn nsec3_hash_wire(wire: &[u8], salt: &[u8], iterations: u16) -> [u8; 20] {
    let mut ctx = Context::new(&SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(wire);
    ctx.update(salt);
    let mut out = [0; 20];
    out.copy_from_slice(ctx.finish().as_ref());
    for _ in 0..iterations {
        let mut ctx = Context::new(&SHA1_FOR_LEGACY_USE_ONLY);
        ctx.update(&out);
        ctx.update(salt);
        out.copy_from_slice(ctx.finish().as_ref());
    }
    out
}

/// The NSEC3 owner label for a hash: lowercase base32hex without padding (RFC 5155
/// section 3.3).
pub fn hash_label(hash: &[u8]) -> String {
    BASE32_DNSSEC.encode(hash)
}

//------------ generate_nsec3_chain ------------------------------------------

/// Builds the NSEC3 RRsets for `zone` (RFC 5155 section 7.1). The zone must already hold
/// every RRset the signed zone will have except RRSIG and NSEC3 (in particular DNSKEY and
/// NSEC3PARAM at the apex), so that the bitmaps are complete.
pub fn generate_nsec3_chain(
    zone: &Zone,
    params: &Nsec3Params,
    ttl: Ttl,
) -> Result<Vec<Rrset>, Nsec3Error> {
    // Step 1: the hash algorithm (SHA-1), iterations and salt are `params`, checked here.
    params.validate()?;
    let origin = zone.origin.to_lowercase();
    // Original owner name -> type bitmap set.
    let mut owners: BTreeMap<Name, BTreeSet<u16>> = BTreeMap::new();
    for info in classify(zone) {
        let had_nsec3 = info.types.contains(&NSEC3);
        let kind = info.kind;
        let mut types = info.types;
        types.remove(&RRSIG);
        types.remove(&NSEC3);
        // An owner holding only NSEC3 (and its RRSIG) is a hashed owner of an old chain, not
        // a name of the zone.
        if had_nsec3 && types.is_empty() {
            continue;
        }
        let Some(types) = nsec3_types(kind, types, params.opt_out) else {
            continue;
        };
        // Step 4: every empty non-terminal between this name and the apex gets an NSEC3
        // record with an empty bitmap.
        // Raw label counts: `num_labels` would not count a leading `*` label.
        let origin_labels = origin.iter().count();
        let mut parent = info.name.base_name();
        while parent.iter().count() > origin_labels && origin.zone_of(&parent) {
            owners.entry(parent.clone()).or_default();
            parent = parent.base_name();
        }
        owners.entry(info.name).or_default().extend(types);
    }

    // Step 6: hash every original owner name, on every core (a SHA-1 per name).
    let owners: Vec<(Name, BTreeSet<u16>)> = owners.into_iter().collect();
    let mut hashed: Vec<([u8; 20], usize)> = owners
        .par_iter()
        .enumerate()
        .map(|(i, (name, _))| (nsec3_hash(name, &params.salt, params.iterations), i))
        .collect();
    // Step 7: sort by hash; equal hashes stay in canonical name order, for the error.
    hashed.par_sort_unstable();
    // Step 8: a collision means the chain cannot be built with this salt.
    if let Some(w) = hashed.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Nsec3Error::HashCollision(
            Box::new(owners[w[0].1].0.clone()),
            Box::new(owners[w[1].1].0.clone()),
        ));
    }
    // Link each record to the next, the last to the first.
    let n = hashed.len();
    hashed
        .par_iter()
        .enumerate()
        .map(|(i, (h, idx))| {
            let next = &hashed[(i + 1) % n].0;
            let owner = nsec3_owner(h, &origin)?;
            let mut set = Rrset::new(owner, zones::Rtype::NSEC3, zone.class, ttl);
            set.insert(nsec3_rdata(params, next, &owners[*idx].1));
            Ok(set)
        })
        .collect()
}

/// The NSEC3 bitmap types of an original owner of `kind` holding `types` (RRSIG and NSEC3
/// already left out), or `None` when the name gets no NSEC3 of its own.
pub(crate) fn nsec3_types(
    kind: NameKind,
    mut types: BTreeSet<u16>,
    opt_out: bool,
) -> Option<BTreeSet<u16>> {
    match kind {
        // Glue and occluded data are not part of the chain (RFC 5155 section 7.1 step 2:
        // only names with authoritative data or delegation points).
        NameKind::Occluded => None,
        NameKind::Delegation => {
            let signed = types.contains(&DS);
            // Step 3: with Opt-Out, unsigned delegations may be left out.
            if opt_out && !signed {
                return None;
            }
            // Step 5 (bitmap at a delegation): NS and DS only; RRSIG when DS is signed.
            types.retain(|t| *t == NS || *t == DS);
            if signed {
                types.insert(RRSIG);
            }
            Some(types)
        }
        // Step 5: every type at the original owner, plus RRSIG since all of it is signed.
        NameKind::Apex | NameKind::Authoritative => {
            if !types.is_empty() {
                types.insert(RRSIG);
            }
            Some(types)
        }
    }
}

/// NSEC3 rdata (RFC 5155 section 3.2): parameters, Opt-Out flag, the next hashed owner and
/// the type bitmap.
pub(crate) fn nsec3_rdata(params: &Nsec3Params, next: &[u8; 20], types: &BTreeSet<u16>) -> Rdata {
    let mut rdata = vec![HASH_SHA1, u8::from(params.opt_out)];
    rdata.extend_from_slice(&params.iterations.to_be_bytes());
    rdata.push(params.salt.len() as u8);
    rdata.extend_from_slice(&params.salt);
    rdata.push(20);
    rdata.extend_from_slice(next);
    rdata.extend_from_slice(&zones::bitmap::encode(types.iter().copied()));
    Rdata::from(rdata)
}

/// Where the next-hashed-owner field of an NSEC3 rdata made by [`nsec3_rdata`] starts.
pub(crate) fn nsec3_next_offset(params: &Nsec3Params) -> usize {
    6 + params.salt.len()
}

/// The owner name of the NSEC3 record for `hash`: its base32hex label under the origin
/// (RFC 5155 section 3).
pub(crate) fn nsec3_owner(hash: &[u8; 20], origin: &Name) -> Result<Name, Nsec3Error> {
    Name::from_ascii(hash_label(hash))
        .and_then(|label| label.append_domain(origin))
        .map_err(|_| Nsec3Error::OriginTooLong(Box::new(origin.clone())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5155 appendix A: owner names of the example zone and their hashes with salt
    /// AABBCCDD and 12 iterations. Reproduce with
    /// `ldns-nsec3-hash -t 12 -s aabbccdd <name>`.
    const APPENDIX_A: &str = include_str!("../tests/data/rfc/rfc5155-appendix-a.hashes");

    #[test]
    fn rfc_5155_appendix_a_hashes_are_reproduced() {
        let salt = [0xaa, 0xbb, 0xcc, 0xdd];
        let mut n = 0;
        for line in APPENDIX_A.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with(';') {
                continue;
            }
            let (name, expected) = line.split_once(char::is_whitespace).unwrap();
            let h = nsec3_hash(&Name::from_ascii(name).unwrap(), &salt, 12);
            assert_eq!(hash_label(&h), expected.trim(), "{name}");
            n += 1;
        }
        assert!(n >= 10);
    }

    #[test]
    fn iterations_above_100_are_refused_and_nonzero_ones_warned() {
        let p = Nsec3Params {
            iterations: 101,
            ..Default::default()
        };
        assert!(matches!(
            p.validate(),
            Err(Nsec3Error::TooManyIterations(101))
        ));
        let p = Nsec3Params {
            iterations: 1,
            salt: vec![1],
            opt_out: false,
        };
        assert_eq!(
            p.validate().unwrap(),
            [
                Nsec3Warning::NonZeroIterations(1),
                Nsec3Warning::NonEmptySalt
            ]
        );
        assert!(Nsec3Params::default().validate().unwrap().is_empty());
    }

    /// Adds one record given as wire rdata.
    fn add(zone: &mut Zone, owner: &str, rtype: zones::Rtype, rdata: Vec<u8>) {
        zone.insert(zones::Record {
            owner: Name::from_ascii(owner).unwrap(),
            rtype,
            class: zones::Class::IN,
            ttl: Ttl(3600),
            rdata: Rdata::from(rdata),
        });
    }

    /// Wire form of a presentation name.
    fn wire(name: &str) -> Vec<u8> {
        name_to_wire(&Name::from_ascii(name).unwrap(), false)
    }

    /// The owner names and types of the RFC 5155 appendix A zone (rdata contents do not
    /// matter for the chain, only which types exist where).
    fn appendix_a_zone() -> Zone {
        use zones::Rtype;
        let mut z = Zone::new(Name::from_ascii("example.").unwrap(), zones::Class::IN);
        let mut soa = wire("ns1.example.");
        soa.extend(wire("bugs.x.w.example."));
        soa.extend([0u8; 20]);
        add(&mut z, "example.", Rtype::SOA, soa);
        add(&mut z, "example.", Rtype::NS, wire("ns1.example."));
        add(&mut z, "example.", Rtype::NS, wire("ns2.example."));
        add(
            &mut z,
            "example.",
            Rtype::MX,
            [vec![0, 1], wire("xx.example.")].concat(),
        );
        add(&mut z, "example.", Rtype::DNSKEY, vec![1, 0, 3, 5, 1]);
        add(
            &mut z,
            "example.",
            Rtype::NSEC3PARAM,
            vec![1, 0, 0, 12, 4, 0xaa, 0xbb, 0xcc, 0xdd],
        );
        add(
            &mut z,
            "2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.",
            Rtype::A,
            vec![192, 0, 2, 127],
        );
        add(&mut z, "a.example.", Rtype::NS, wire("ns1.a.example."));
        add(&mut z, "a.example.", Rtype::NS, wire("ns2.a.example."));
        add(&mut z, "a.example.", Rtype::DS, vec![0xe4, 0x66, 5, 1, 0]);
        add(&mut z, "ns1.a.example.", Rtype::A, vec![192, 0, 2, 5]);
        add(&mut z, "ns2.a.example.", Rtype::A, vec![192, 0, 2, 6]);
        add(&mut z, "ai.example.", Rtype::A, vec![192, 0, 2, 9]);
        add(
            &mut z,
            "ai.example.",
            Rtype::HINFO,
            b"\x06KLH-10\x03ITS".to_vec(),
        );
        add(
            &mut z,
            "ai.example.",
            Rtype::AAAA,
            vec![
                0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xf, 0, 0xba, 0xa9,
            ],
        );
        add(&mut z, "c.example.", Rtype::NS, wire("ns1.c.example."));
        add(&mut z, "c.example.", Rtype::NS, wire("ns2.c.example."));
        add(&mut z, "ns1.c.example.", Rtype::A, vec![192, 0, 2, 7]);
        add(&mut z, "ns2.c.example.", Rtype::A, vec![192, 0, 2, 8]);
        add(&mut z, "ns1.example.", Rtype::A, vec![192, 0, 2, 1]);
        add(&mut z, "ns2.example.", Rtype::A, vec![192, 0, 2, 2]);
        add(
            &mut z,
            "*.w.example.",
            Rtype::MX,
            [vec![0, 1], wire("ai.example.")].concat(),
        );
        add(
            &mut z,
            "x.w.example.",
            Rtype::MX,
            [vec![0, 1], wire("xx.example.")].concat(),
        );
        add(
            &mut z,
            "x.y.w.example.",
            Rtype::MX,
            [vec![0, 1], wire("xx.example.")].concat(),
        );
        add(&mut z, "xx.example.", Rtype::A, vec![192, 0, 2, 10]);
        add(
            &mut z,
            "xx.example.",
            Rtype::HINFO,
            b"\x06KLH-10\x07TOPS-20".to_vec(),
        );
        add(
            &mut z,
            "xx.example.",
            Rtype::AAAA,
            vec![
                0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xf, 0, 0xba, 0xaa,
            ],
        );
        z
    }

    #[test]
    fn rfc_5155_appendix_a_chain_has_the_published_owners_and_bitmaps() {
        // RFC 5155 appendix A: Opt-Out, 12 iterations, salt aabbccdd. The insecure delegation
        // c.example and all glue have no NSEC3; the empty non-terminals w and y.w do.
        let params = Nsec3Params {
            iterations: 12,
            salt: vec![0xaa, 0xbb, 0xcc, 0xdd],
            opt_out: true,
        };
        let chain = generate_nsec3_chain(&appendix_a_zone(), &params, Ttl(3600)).unwrap();
        let expected: &[(&str, &[u16])] = &[
            ("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom", &[2, 6, 15, 46, 48, 51]),
            ("2t7b4g4vsa5smi47k61mv5bv1a22bojr", &[1, 46]),
            ("2vptu5timamqttgl4luu9kg21e0aor3s", &[15, 46]),
            ("35mthgpgcu1qg68fab165klnsnk3dpvl", &[2, 43, 46]),
            ("b4um86eghhds6nea196smvmlo4ors995", &[15, 46]),
            ("gjeqe526plbf1g8mklp59enfd789njgi", &[1, 13, 28, 46]),
            ("ji6neoaepv8b5o6k4ev33abha8ht9fgc", &[]),
            ("k8udemvp1j2f7eg6jebps17vp3n8i58h", &[]),
            ("kohar7mbb8dc2ce8a9qvl8hon4k53uhi", &[1, 46]),
            ("q04jkcevqvmu85r014c7dkba38o0ji5r", &[1, 46]),
            ("r53bq7cc2uvmubfu5ocmm6pers9tk9en", &[15, 46]),
            ("t644ebqk9bibcna874givr6joj62mlhv", &[1, 13, 28, 46]),
        ];
        assert_eq!(chain.len(), expected.len());
        for (i, (set, (label, types))) in chain.iter().zip(expected).enumerate() {
            assert_eq!(set.owner.to_string(), format!("{label}.example."));
            let r = set.rdatas[0].as_bytes();
            assert_eq!(&r[..9], &[1, 1, 0, 12, 4, 0xaa, 0xbb, 0xcc, 0xdd]);
            let next = hash_label(&r[10..30]);
            assert_eq!(next, expected[(i + 1) % expected.len()].0);
            let bitmap = zones::bitmap::decode(&r[30..]).unwrap();
            assert_eq!(bitmap, types.iter().copied().collect(), "{label}");
        }
    }
}
