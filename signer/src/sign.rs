//! Zone signing: DNSKEY, CDS/CDNSKEY, NSEC3PARAM, the denial chain and an RRSIG for every
//! authoritative RRset (RFC 4035 section 2).
//!
//! [`sign_zone`] produces a complete signed zone from an unsigned one. [`resign_zone`] does the
//! same but keeps the still-valid signatures of the previous signed version for RRsets that did
//! not change, which is the incremental path after a diff or a clock tick
//! ([`next_resign_time`] says when that tick is due). [`sign_rrsets`] signs a chosen subset of
//! RRsets of a prepared zone ([`prepare_zone`]) and [`apply_signatures`] puts the result in
//! place. Signatures are made in parallel with rayon.

use rayon::prelude::*;
use zones::{Name, Rdata, Rrset, Rtype, Ttl, Zone, zone::RrsetKey};

use crate::ds::{DigestType, cdnskey_rdata, cds_rdata};
use crate::key::{KeyRole, SigningKey};
use crate::names::{NameKind, classify};
use crate::nsec::generate_nsec_chain;
use crate::nsec3::{Nsec3Error, Nsec3Params, generate_nsec3_chain};
use crate::rrsig::{RrsigError, RrsigFields, ValidityWindow, sign_rrset};
use crate::time::Timestamp;
use crate::wire::u32_at;

/// Type codes the signer owns: they are removed from the input and regenerated.
pub(crate) const DNSSEC_GENERATED: [u16; 6] = [46, 47, 50, 51, 59, 60];
/// DNSKEY, CDS and CDNSKEY: signed by the key signing keys (RFC 7344 section 4.1 for CDS).
pub(crate) const KEY_TYPES: [u16; 3] = [48, 59, 60];

//------------ SigningParams -------------------------------------------------

/// Which authenticated denial of existence to use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denial {
    /// NSEC (RFC 4034 section 4).
    Nsec,
    /// NSEC3 with these parameters (RFC 5155).
    Nsec3(Nsec3Params),
}

/// How to sign a zone. The server builds it from its policy configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningParams {
    /// NSEC or NSEC3.
    pub denial: Denial,
    /// TTL of the DNSKEY, CDS and CDNSKEY RRsets.
    pub dnskey_ttl: Ttl,
    /// How far inception is put before `now`, for validators with slow clocks.
    pub inception_backdate_secs: u64,
    /// How long after `now` signatures expire.
    pub validity_secs: u64,
    /// Up to this much earlier, by a fixed amount per RRset: signatures made together then
    /// come due apart, and refresh runs stay small and spread out.
    pub validity_jitter_secs: u64,
    /// Digests published as CDS for the CDS-flagged keys (RFC 7344); empty means no CDS
    /// and no CDNSKEY.
    pub cds_digests: Vec<DigestType>,
}

impl Default for SigningParams {
    /// NSEC3 with RFC 9276 parameters, DNSKEY TTL one hour, one hour backdating, 14 days
    /// validity, CDS with SHA-256.
    fn default() -> Self {
        Self {
            denial: Denial::Nsec3(Nsec3Params::default()),
            dnskey_ttl: Ttl(3600),
            inception_backdate_secs: 3600,
            validity_secs: 14 * 86400,
            validity_jitter_secs: 0,
            cds_digests: vec![DigestType::Sha256],
        }
    }
}

//------------ SigningKeyEntry -----------------------------------------------

/// One key with what the signer should do with it in this run; the rollover state machine
/// decides these flags from the key's phase.
#[derive(Clone, Copy)]
pub struct SigningKeyEntry<'a> {
    /// The key.
    pub key: &'a dyn SigningKey,
    /// Its role, which fixes its DNSKEY flags and what it signs.
    pub role: KeyRole,
    /// Put its DNSKEY in the zone.
    pub publish: bool,
    /// Make signatures with it.
    pub sign: bool,
    /// Put it in CDS/CDNSKEY (only for KSK and CSK).
    pub cds: bool,
}

impl<'a> SigningKeyEntry<'a> {
    /// A key that is published and signs; KSKs and CSKs also go into CDS/CDNSKEY.
    pub fn active(key: &'a dyn SigningKey, role: KeyRole) -> Self {
        Self {
            key,
            role,
            publish: true,
            sign: true,
            cds: role.signs_keys(),
        }
    }
}

//------------ SignError -----------------------------------------------------

/// Why a zone could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The zone has no SOA at its apex (RFC 1035 section 5.2), so no denial TTL exists.
    #[error("zone {0} has no SOA record")]
    NoSoa(Name),
    /// No active key signs the DNSKEY RRset (needs a KSK or CSK with `sign`).
    #[error("zone {0} has no active key signing key")]
    NoKeySigningKey(Name),
    /// No active key signs the zone data (needs a ZSK or CSK with `sign`).
    #[error("zone {0} has no active zone signing key")]
    NoZoneSigningKey(Name),
    /// No key that signs (the DNSKEY RRset, or the rest) is published in the DNSKEY RRset
    /// (RFC 4035 section 2.2).
    #[error("no signing key of zone {0} is published")]
    UnpublishedSigningKey(Name),
    /// The NSEC3 chain could not be built.
    #[error(transparent)]
    Nsec3(#[from] Nsec3Error),
    /// An RRset could not be signed.
    #[error(transparent)]
    Rrsig(#[from] RrsigError),
    /// A change holds a record of a type the signer makes itself (SOA, RRSIG, NSEC, NSEC3,
    /// NSEC3PARAM, DNSKEY, CDS, CDNSKEY): the incremental signer owns those.
    #[error("{owner} {rtype}: a change may not hold records of a type the signer makes")]
    SignerOwnedType {
        /// Owner of the refused record.
        owner: Box<Name>,
        /// Its type.
        rtype: Rtype,
    },
    /// A change holds a record outside the zone (RFC 1034 section 4.2: a zone holds only
    /// names at or below its apex).
    #[error("{owner} is outside zone {origin}")]
    OutOfZone {
        /// Owner of the refused record.
        owner: Box<Name>,
        /// The zone's origin.
        origin: Box<Name>,
    },
}

//------------ sign_zone -----------------------------------------------------

/// Signs `zone` with `keys` at time `now`, returning the signed zone. Any RRSIG, NSEC, NSEC3,
/// NSEC3PARAM, CDS and CDNSKEY in the input are replaced; DNSKEYs in the input are kept
/// next to the published keys (so a foreign key can be pre-published by hand).
pub fn sign_zone(
    zone: &Zone,
    keys: &[SigningKeyEntry<'_>],
    params: &SigningParams,
    now: Timestamp,
) -> Result<Zone, SignError> {
    resign_zone(zone, None, keys, params, now, 0)
}

/// Signs `zone` like [`sign_zone`], but reuses the signatures of `previous` (the last signed
/// version) for every RRset that did not change, whose signatures come from exactly the keys
/// that sign now, and that stay valid for more than `refresh_secs` after `now`. This is the
/// incremental path: after a small diff only the changed RRsets, the SOA and the denial
/// records whose chain moved are signed again.
pub fn resign_zone(
    zone: &Zone,
    previous: Option<&Zone>,
    keys: &[SigningKeyEntry<'_>],
    params: &SigningParams,
    now: Timestamp,
    refresh_secs: u64,
) -> Result<Zone, SignError> {
    let mut out = prepare_zone(zone, keys, params)?;
    let to_sign = signable_rrsets(&out);
    let signers = [wanted_signers(keys, true), wanted_signers(keys, false)];
    let origin = origin_of(&out);
    // Deciding reuse reads every old signature: in parallel, like the signing itself.
    let decided: Vec<Result<(RrsetKey, Rrset), RrsetKey>> = to_sign
        .into_par_iter()
        .map(|key| {
            let reuse = previous.and_then(|p| {
                let key_set = KEY_TYPES.contains(&key.1) && key.0 == origin;
                let wanted = &signers[usize::from(!key_set)];
                reusable_signatures(p, &out, &key, wanted, now, refresh_secs)
            });
            match reuse {
                Some(set) => Ok(((key.0, 46, key.1), set)),
                None => Err(key),
            }
        })
        .collect();
    let mut reused = Vec::new();
    let mut fresh = Vec::new();
    for d in decided {
        match d {
            Ok(sigs) => reused.push(sigs),
            Err(key) => fresh.push(key),
        }
    }
    let sigs = sign_rrsets(&out, keys, params, now, &fresh)?;
    apply_signatures(&mut out, reused);
    apply_signatures(&mut out, sigs);
    Ok(out)
}

/// The zone with everything DNSSEC adds except signatures: old RRSIG/NSEC/NSEC3/CDS data
/// removed, DNSKEY (with the published keys), CDS/CDNSKEY, NSEC3PARAM and the denial chain.
pub fn prepare_zone(
    zone: &Zone,
    keys: &[SigningKeyEntry<'_>],
    params: &SigningParams,
) -> Result<Zone, SignError> {
    check_keys(&zone.origin, keys)?;
    let mut out = zone.clone();
    out.retain(|(_, t, _), _| !DNSSEC_GENERATED.contains(t));
    let origin = zone.origin.to_lowercase();
    let soa = out
        .soa()
        .ok_or_else(|| SignError::NoSoa(zone.origin.clone()))?;
    let denial_ttl = denial_ttl(soa).ok_or_else(|| SignError::NoSoa(zone.origin.clone()))?;

    // DNSKEY, CDS, CDNSKEY at the apex.
    let dnskey_key = (origin.clone(), u16::from(Rtype::DNSKEY), 0);
    let mut dnskeys = out.rrsets.remove(&dnskey_key).unwrap_or_else(|| {
        Rrset::new(origin.clone(), Rtype::DNSKEY, zone.class, params.dnskey_ttl)
    });
    dnskeys.ttl = params.dnskey_ttl;
    for entry in keys.iter().filter(|e| e.publish) {
        dnskeys.insert(entry.key.dnskey(entry.role.flags()).to_rdata());
    }
    out.rrsets.insert(dnskey_key, dnskeys);
    for set in cds_rrsets(&origin, zone.class, keys, params) {
        if !set.rdatas.is_empty() {
            out.rrsets
                .insert((origin.clone(), u16::from(set.rtype), 0), set);
        }
    }

    // The denial chain, built last so that its bitmaps see every other type.
    let chain = match &params.denial {
        Denial::Nsec => generate_nsec_chain(&out, denial_ttl),
        Denial::Nsec3(p) => {
            let mut param = Rrset::new(origin.clone(), Rtype::NSEC3PARAM, zone.class, denial_ttl);
            param.insert(p.nsec3param_rdata());
            out.rrsets
                .insert((origin.clone(), u16::from(Rtype::NSEC3PARAM), 0), param);
            generate_nsec3_chain(&out, p, denial_ttl)?
        }
    };
    for set in chain {
        out.rrsets
            .insert((set.owner.to_lowercase(), u16::from(set.rtype), 0), set);
    }

    Ok(out)
}

/// The CDS and CDNSKEY RRsets for the published CDS-flagged key signing keys (RFC 7344
/// section 4), empty when there are none or `params` asks for no CDS.
pub(crate) fn cds_rrsets(
    origin: &Name,
    class: zones::Class,
    keys: &[SigningKeyEntry<'_>],
    params: &SigningParams,
) -> [Rrset; 2] {
    let mut cds = Rrset::new(origin.clone(), Rtype::CDS, class, params.dnskey_ttl);
    let mut cdnskey = Rrset::new(origin.clone(), Rtype::CDNSKEY, class, params.dnskey_ttl);
    for entry in keys.iter().filter(|e| e.publish) {
        if entry.cds && entry.role.signs_keys() && !params.cds_digests.is_empty() {
            let dnskey = entry.key.dnskey(entry.role.flags());
            for d in &params.cds_digests {
                cds.insert(cds_rdata(origin, &dnskey, *d));
            }
            cdnskey.insert(cdnskey_rdata(&dnskey));
        }
    }
    [cds, cdnskey]
}

/// The RRSIGs of `previous` for the RRset `key` of `next`, when they can be kept: same RRset,
/// one signature per key that signs it now and no other, none expiring within
/// `refresh_secs` of `now` nor starting after `now`.
fn reusable_signatures(
    previous: &Zone,
    next: &Zone,
    key: &RrsetKey,
    wanted: &[(u8, u16)],
    now: Timestamp,
    refresh_secs: u64,
) -> Option<Rrset> {
    let covered = next.rrsets.get(key)?;
    if previous.rrsets.get(key)? != covered {
        return None;
    }
    let sigs = previous.rrsets.get(&(key.0.clone(), 46, key.1))?;
    let mut have = Vec::new();
    let mut out = Vec::new();
    let now32 = now.to_rrsig_field();
    let refresh32 = now.add_secs(refresh_secs).to_rrsig_field();
    for r in &sigs.rdatas {
        let (f, _) = RrsigFields::from_wire(r.as_bytes()).ok()?;
        if f.type_covered != key.1 {
            continue;
        }
        let valid = Timestamp::rrsig_field_before(refresh32, f.expiration)
            && !Timestamp::rrsig_field_before(now32, f.inception);
        if !valid || f.original_ttl != covered.ttl.as_secs() {
            return None;
        }
        have.push((f.algorithm, f.key_tag));
        out.push(r.clone());
    }
    have.sort_unstable();
    (have == wanted).then(|| rrsig_set(covered, out))
}

/// The RRSIG RRset over `covered` holding `rdatas`: its owner, class and TTL (RFC 4035
/// section 2.2: an RRSIG's TTL is that of the RRset it covers).
fn rrsig_set(covered: &Rrset, rdatas: Vec<Rdata>) -> Rrset {
    let mut set = Rrset::new(
        covered.owner.clone(),
        Rtype::RRSIG,
        covered.class,
        covered.ttl,
    );
    for r in rdatas {
        set.insert(r);
    }
    set
}

/// The sorted (algorithm, key tag) pairs of the keys that sign the key RRsets (`key_set`)
/// or the other RRsets.
pub(crate) fn wanted_signers(keys: &[SigningKeyEntry<'_>], key_set: bool) -> Vec<(u8, u16)> {
    let mut wanted: Vec<(u8, u16)> = keys
        .iter()
        .filter(|e| e.sign && signs_type(e.role, key_set))
        .map(|e| (e.key.algorithm().0, e.key.dnskey(e.role.flags()).key_tag()))
        .collect();
    wanted.sort_unstable();
    wanted
}

/// The zone's origin, lowercased as RRset keys are.
fn origin_of(zone: &Zone) -> Name {
    zone.origin.to_lowercase()
}

/// True when a key of `role` signs the key RRsets (`key_set`) or the other RRsets.
pub(crate) fn signs_type(role: KeyRole, key_set: bool) -> bool {
    if key_set {
        role.signs_keys()
    } else {
        role.signs_zone()
    }
}

/// The earliest moment some signature of `zone` must be refreshed: the earliest RRSIG
/// expiration minus `refresh_secs`, read with serial arithmetic around `now`. The server
/// schedules its next signing run then (`None` for an unsigned zone).
pub fn next_resign_time(zone: &Zone, now: Timestamp, refresh_secs: u64) -> Option<Timestamp> {
    zone.rrsets
        .iter()
        .filter(|((_, t, _), _)| *t == 46)
        .flat_map(|(_, set)| set.rdatas.iter())
        .filter_map(|r| RrsigFields::from_wire(r.as_bytes()).ok())
        .map(|(f, _)| Timestamp::from_rrsig_field(f.expiration, now))
        .min()
        .map(|t| t.sub_secs(refresh_secs))
}

/// The keys of every RRset that gets an RRSIG (RFC 4035 section 2.2): all authoritative
/// RRsets, at delegations only DS and NSEC, never glue or occluded data or RRSIGs.
pub fn signable_rrsets(zone: &Zone) -> Vec<RrsetKey> {
    let mut out = Vec::with_capacity(zone.rrsets.len());
    let origin = zone.origin.to_lowercase();
    let kinds = classify(zone);
    let mut kinds = kinds.iter().peekable();
    for (owner, rtype, _) in zone.rrsets.keys() {
        if *rtype == 46 {
            continue;
        }
        while kinds.peek().is_some_and(|k| &k.name < owner) {
            kinds.next();
        }
        let kind = match kinds.peek() {
            Some(k) if &k.name == owner => k.kind,
            // Every owner inside the origin is classified; this arm is only a safe default.
            _ if origin.zone_of(owner) => NameKind::Authoritative,
            _ => continue,
        };
        let signed = match kind {
            NameKind::Apex | NameKind::Authoritative => true,
            NameKind::Delegation => *rtype == 43 || *rtype == 47,
            NameKind::Occluded => false,
        };
        if signed {
            out.push((owner.clone(), *rtype, 0));
        }
    }
    out
}

/// RRSIG RRsets to put in a zone, each under its key there: (owner, RRSIG, type covered).
pub type SignatureSet = Vec<(RrsetKey, Rrset)>;

/// Signs the RRsets named by `which` (which must exist in `zone`) with the active keys,
/// in parallel. Returns, per RRset, its new RRSIG RRset, built in the workers too so that
/// putting them in place is one map insertion each.
pub fn sign_rrsets(
    zone: &Zone,
    keys: &[SigningKeyEntry<'_>],
    params: &SigningParams,
    now: Timestamp,
    which: &[RrsetKey],
) -> Result<SignatureSet, SignError> {
    check_keys(&zone.origin, keys)?;
    let base = ValidityWindow::around(now, params.inception_backdate_secs, params.validity_secs);
    let origin = zone.origin.to_lowercase();
    which
        .par_iter()
        .filter_map(|k| zone.rrsets.get(k).map(|set| (k, set)))
        .map(|(k, set)| {
            let window = ValidityWindow {
                expiration: base
                    .expiration
                    .sub_secs(jitter(k, params.validity_jitter_secs)),
                ..base
            };
            let key_set = KEY_TYPES.contains(&k.1) && k.0 == origin;
            let mut sigs = Vec::new();
            for entry in keys.iter().filter(|e| e.sign) {
                if signs_type(entry.role, key_set) {
                    sigs.push(sign_rrset(
                        set,
                        &origin,
                        entry.key,
                        entry.role.flags(),
                        window,
                    )?);
                }
            }
            Ok(((k.0.clone(), 46, k.1), rrsig_set(set, sigs)))
        })
        .collect()
}

/// A fixed offset in `0..=max` for the RRset `key` (FNV-1a over its owner and type): the same
/// RRset always gets the same offset, so spread-out expirations stay spread out.
fn jitter(key: &RrsetKey, max: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    // The name's presentation form without building the string: labels, each followed by a
    // dot (the same bytes as `to_ascii` for names without characters to escape).
    let owner = key
        .0
        .iter()
        .flat_map(|label| label.iter().copied().chain([b'.']));
    for b in owner.chain(key.1.to_be_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h % (max + 1)
}

/// Puts each RRSIG RRset in place of the RRSIGs that covered its type at its owner (an empty
/// one removes them). RRSIGs are kept per covered type, each set with the TTL of the RRset
/// it covers (RFC 4035 section 2.2).
pub fn apply_signatures(zone: &mut Zone, sigs: SignatureSet) {
    for (key, set) in sigs {
        if set.rdatas.is_empty() {
            zone.rrsets.remove(&key);
        } else {
            zone.rrsets.insert(key, set);
        }
    }
}

/// The NSEC/NSEC3 TTL: the lower of the SOA's TTL and its MINIMUM field (RFC 9077 section 3).
pub(crate) fn denial_ttl(soa: &Rrset) -> Option<Ttl> {
    let rdata = soa.rdatas.first()?.as_bytes();
    let minimum = u32_at(rdata, rdata.len().checked_sub(4)?)?;
    Some(Ttl(minimum.min(soa.ttl.as_secs())))
}

/// Every signing run needs a key for the DNSKEY RRset and one for the rest, and every key
/// that signs must be published (RFC 4035 section 2.2).
pub(crate) fn check_keys(origin: &Name, keys: &[SigningKeyEntry<'_>]) -> Result<(), SignError> {
    if !keys.iter().any(|e| e.sign && e.role.signs_keys()) {
        return Err(SignError::NoKeySigningKey(origin.clone()));
    }
    if !keys.iter().any(|e| e.sign && e.role.signs_zone()) {
        return Err(SignError::NoZoneSigningKey(origin.clone()));
    }
    // Unpublished keys sign only beside published ones (an algorithm rollover); a zone
    // whose only signatures come from keys not in its DNSKEY RRset would not validate.
    for key_set in [true, false] {
        let signs = |e: &&SigningKeyEntry<'_>| e.sign && signs_type(e.role, key_set);
        if !keys.iter().filter(signs).any(|e| e.publish) {
            return Err(SignError::UnpublishedSigningKey(origin.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{Algorithm, RingSigningKey};
    use crate::rrsig::verify_rrsig;
    use zones::{Class, Record};

    /// Adds one record given as wire rdata.
    fn add(zone: &mut Zone, owner: &str, rtype: Rtype, rdata: &[u8]) {
        zone.insert(Record {
            owner: Name::from_ascii(owner).unwrap(),
            rtype,
            class: Class::IN,
            ttl: Ttl(3600),
            rdata: Rdata::from(rdata.to_vec()),
        });
    }

    /// A small zone with a delegation, glue and DS.
    fn small_zone() -> Zone {
        let mut z = Zone::new(Name::from_ascii("example.").unwrap(), Class::IN);
        let mut soa = b"\x02ns\x07example\x00\x05admin\x07example\x00".to_vec();
        for v in [1u32, 7200, 3600, 1209600, 300] {
            soa.extend_from_slice(&v.to_be_bytes());
        }
        add(&mut z, "example.", Rtype::SOA, &soa);
        add(&mut z, "example.", Rtype::NS, b"\x02ns\x07example\x00");
        add(&mut z, "ns.example.", Rtype::A, &[192, 0, 2, 1]);
        add(
            &mut z,
            "sub.example.",
            Rtype::NS,
            b"\x02ns\x03sub\x07example\x00",
        );
        add(&mut z, "sub.example.", Rtype::DS, b"\x00\x01\x0d\x02\xaa");
        add(&mut z, "ns.sub.example.", Rtype::A, &[192, 0, 2, 2]);
        z
    }

    #[test]
    fn glue_and_delegation_ns_are_unsigned_but_delegation_ds_is_signed() {
        let ksk = RingSigningKey::generate(Algorithm::ECDSAP256SHA256).unwrap();
        let zsk = RingSigningKey::generate(Algorithm::ECDSAP256SHA256).unwrap();
        let keys = [
            SigningKeyEntry::active(&ksk, KeyRole::Ksk),
            SigningKeyEntry::active(&zsk, KeyRole::Zsk),
        ];
        for denial in [Denial::Nsec, Denial::Nsec3(Nsec3Params::default())] {
            let params = SigningParams {
                denial,
                ..Default::default()
            };
            let signed =
                sign_zone(&small_zone(), &keys, &params, Timestamp(1_700_000_000)).unwrap();
            let covered = |owner: &str| -> Vec<u16> {
                let n = Name::from_ascii(owner).unwrap();
                signed
                    .rrsigs_at(&n)
                    .map(|r| RrsigFields::from_wire(r.as_bytes()).unwrap().0.type_covered)
                    .collect()
            };
            assert!(covered("ns.sub.example.").is_empty());
            assert!(!covered("sub.example.").contains(&2));
            assert!(covered("sub.example.").contains(&43));
            // DNSKEY is signed by the KSK only, A by the ZSK only.
            let apex = Name::from_ascii("example.").unwrap();
            let dnskeys = signed.get(&apex, Rtype::DNSKEY).unwrap();
            let dnskey_sigs: Vec<_> = signed
                .rrsigs_at(&apex)
                .filter(|r| RrsigFields::from_wire(r.as_bytes()).unwrap().0.type_covered == 48)
                .collect();
            assert_eq!(dnskey_sigs.len(), 1);
            verify_rrsig(dnskeys, dnskey_sigs[0].as_bytes(), &ksk.dnskey(257)).unwrap();
            assert!(signed.get(&apex, Rtype::CDS).is_some());
        }
    }

    #[test]
    fn a_zone_without_a_key_signing_key_is_refused() {
        let zsk = RingSigningKey::generate(Algorithm::ED25519).unwrap();
        let keys = [SigningKeyEntry::active(&zsk, KeyRole::Zsk)];
        assert!(matches!(
            sign_zone(
                &small_zone(),
                &keys,
                &SigningParams::default(),
                Timestamp(0)
            ),
            Err(SignError::NoKeySigningKey(_))
        ));
    }

    /// The RRSIG rdatas covering `rtype` at `owner`.
    fn sigs_for(zone: &Zone, owner: &str, rtype: u16) -> Vec<Rdata> {
        let n = Name::from_ascii(owner).unwrap();
        zone.rrsigs_at(&n)
            .filter(|r| RrsigFields::from_wire(r.as_bytes()).unwrap().0.type_covered == rtype)
            .cloned()
            .collect()
    }

    #[test]
    fn resigning_keeps_signatures_of_unchanged_rrsets_and_replaces_changed_ones() {
        let csk = RingSigningKey::generate(Algorithm::ECDSAP256SHA256).unwrap();
        let keys = [SigningKeyEntry::active(&csk, KeyRole::Csk)];
        let params = SigningParams::default();
        let t0 = Timestamp(1_700_000_000);
        let first = sign_zone(&small_zone(), &keys, &params, t0).unwrap();
        let mut changed = small_zone();
        add(&mut changed, "ns.example.", Rtype::A, &[192, 0, 2, 99]);
        let t1 = t0.add_secs(86400);
        let second = resign_zone(&changed, Some(&first), &keys, &params, t1, 3 * 86400).unwrap();
        // Unchanged RRsets keep their (randomised, so byte-identical only if reused) RRSIGs.
        assert_eq!(
            sigs_for(&first, "example.", 6),
            sigs_for(&second, "example.", 6)
        );
        assert_eq!(
            sigs_for(&first, "sub.example.", 43),
            sigs_for(&second, "sub.example.", 43)
        );
        // The changed RRset is signed again, and verifies.
        let new = sigs_for(&second, "ns.example.", 1);
        assert_eq!(new.len(), 1);
        assert_ne!(sigs_for(&first, "ns.example.", 1), new);
        let set = second
            .get(&Name::from_ascii("ns.example.").unwrap(), Rtype::A)
            .unwrap();
        verify_rrsig(set, new[0].as_bytes(), &csk.dnskey(257)).unwrap();
        // Close to expiry, everything is signed again.
        let late = t0.add_secs(params.validity_secs - 3600);
        let third = resign_zone(&changed, Some(&second), &keys, &params, late, 3 * 86400).unwrap();
        assert_ne!(
            sigs_for(&second, "example.", 6),
            sigs_for(&third, "example.", 6)
        );
    }

    #[test]
    fn a_new_signing_key_causes_every_rrset_to_be_signed_again() {
        let csk = RingSigningKey::generate(Algorithm::ED25519).unwrap();
        let zsk = RingSigningKey::generate(Algorithm::ED25519).unwrap();
        let params = SigningParams::default();
        let t0 = Timestamp(1_700_000_000);
        let one = [SigningKeyEntry::active(&csk, KeyRole::Csk)];
        let first = sign_zone(&small_zone(), &one, &params, t0).unwrap();
        let two = [
            SigningKeyEntry::active(&csk, KeyRole::Csk),
            SigningKeyEntry::active(&zsk, KeyRole::Zsk),
        ];
        let second = resign_zone(&small_zone(), Some(&first), &two, &params, t0, 0).unwrap();
        assert_eq!(sigs_for(&second, "ns.example.", 1).len(), 2);
        assert_eq!(sigs_for(&second, "example.", 48).len(), 1);
    }

    #[test]
    fn next_resign_time_is_the_earliest_expiration_minus_the_refresh_period() {
        let csk = RingSigningKey::generate(Algorithm::ED25519).unwrap();
        let keys = [SigningKeyEntry::active(&csk, KeyRole::Csk)];
        let params = SigningParams::default();
        let t0 = Timestamp(1_700_000_000);
        let signed = sign_zone(&small_zone(), &keys, &params, t0).unwrap();
        assert_eq!(
            next_resign_time(&signed, t0, 86400),
            Some(t0.add_secs(params.validity_secs - 86400))
        );
        assert_eq!(next_resign_time(&small_zone(), t0, 0), None);
    }
}
