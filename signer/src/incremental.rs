//! Incremental signing (RFC 4035 section 2, RFC 5155 section 7.1 applied to a change): a
//! one-record change to a big signed zone costs what it touches, not the zone's size.
//!
//! [`sign_change`] applies an unsigned [`Change`] to the previous signed version and signs only
//! what moved: the changed RRsets, the SOA, RRsets whose signing status flips because a zone
//! cut or DNAME appeared or went above them, and the NSEC/NSEC3 records whose owner, next
//! owner or type bitmap changed (names added and removed, empty non-terminals included). The
//! new version shares every untouched node with the previous one ([`zones::Zone`] is a
//! persistent map), and the [`Diff`] between the two comes from the touched RRsets alone.
//! [`refresh`] is the same path for the clock: it re-signs the RRsets a
//! [`SignatureSchedule`](crate::schedule::SignatureSchedule) says are due.
//!
//! The result is the zone a full [`resign_zone`] of the changed unsigned zone would give, up
//! to signature bytes and validity times (the tests prove this on random changes). The cost is
//! O((c + d) log n) for c changed records, d names whose denial record or signing status
//! moves, and n RRsets, plus, with NSEC3, a walk from each added or removed hash back to the
//! previous hash in the chain, which passes only the names sorting between two neighbouring
//! hashes. When `previous` was signed with other keys or denial parameters, nothing can be
//! reused and the zone is signed in full instead.

use std::collections::BTreeSet;

use zones::diff::Diff;
use zones::serial::Serial;
use zones::zone::RrsetKey;
use zones::{Name, Rdata, Record, Rrset, Rtype, Ttl, Zone};

use crate::names::NameKind;

mod facts;
use crate::nsec::{nsec_rdata, nsec_types};
use crate::nsec3::{
    Nsec3Params, nsec3_hash, nsec3_next_offset, nsec3_owner, nsec3_rdata, nsec3_types,
};
use crate::rrsig::RrsigFields;
use crate::sign::{
    DNSSEC_GENERATED, Denial, SignError, SigningKeyEntry, SigningParams, apply_signatures,
    cds_rrsets, check_keys, denial_ttl, resign_zone, sign_rrsets, wanted_signers,
};
use crate::time::Timestamp;
use facts::*;

//------------ Change --------------------------------------------------------

/// An unsigned change: records removed and added (never SOA, RRSIG, NSEC, NSEC3, NSEC3PARAM,
/// DNSKEY, CDS, CDNSKEY — those are the signer's). Removals apply first; removing a record
/// that is not there and adding one that is are no-ops. An added record with a lower TTL
/// than its RRset lowers the RRset's TTL, as [`Zone::insert`] does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// Records to remove.
    pub removed: Vec<Record>,
    /// Records to add.
    pub added: Vec<Record>,
}

impl Change {
    /// True when the change holds no record.
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty()
    }
}

//------------ sign_change ---------------------------------------------------

/// Applies `change` to the signed zone `previous`, sets the SOA serial to `serial`, and signs
/// only what moved: the changed RRsets, the SOA, and the NSEC/NSEC3 records whose owner,
/// next-owner or type bitmap changed (names added/removed incl. empty non-terminals,
/// delegation and occlusion changes under the changed names). Returns the new signed zone
/// (sharing all untouched data with `previous`) and the signed Diff from `previous` to it.
pub fn sign_change(
    previous: &Zone,
    change: &Change,
    serial: Serial,
    keys: &[SigningKeyEntry<'_>],
    params: &SigningParams,
    now: Timestamp,
) -> Result<(Zone, Diff), SignError> {
    update(previous, change, &[], serial, keys, params, now)
}

/// Re-signs the RRsets named in `due` (RRset keys as [`SignatureSchedule::due`] gives them;
/// keys that no longer exist are skipped) and the SOA with serial `serial`, nothing else.
/// Returns the new version and the Diff to it.
///
/// [`SignatureSchedule::due`]: crate::schedule::SignatureSchedule::due
pub fn refresh(
    previous: &Zone,
    due: &[RrsetKey],
    serial: Serial,
    keys: &[SigningKeyEntry<'_>],
    params: &SigningParams,
    now: Timestamp,
) -> Result<(Zone, Diff), SignError> {
    update(previous, &Change::default(), due, serial, keys, params, now)
}

/// The common path of [`sign_change`] and [`refresh`]: apply, re-sign what moved plus
/// `forced`, and diff the touched RRsets.
fn update(
    previous: &Zone,
    change: &Change,
    forced: &[RrsetKey],
    serial: Serial,
    keys: &[SigningKeyEntry<'_>],
    params: &SigningParams,
    now: Timestamp,
) -> Result<(Zone, Diff), SignError> {
    check_keys(&previous.origin, keys)?;
    check_change(previous, change)?;
    let origin = previous.origin.to_lowercase();
    let soa = previous
        .soa()
        .ok_or_else(|| SignError::NoSoa(previous.origin.clone()))?;
    let ttl = denial_ttl(soa).ok_or_else(|| SignError::NoSoa(previous.origin.clone()))?;
    if !signed_alike(previous, &origin, keys, params, ttl) {
        return sign_in_full(previous, change, serial, keys, params, now);
    }

    let mut up = Update {
        zone: previous.clone(),
        origin,
        denial_ttl: ttl,
        touched: BTreeSet::new(),
        resign: BTreeSet::new(),
    };
    let mut dirty = BTreeSet::new();
    up.apply(change, &mut dirty);
    up.set_serial(serial)?;
    up.spread_dirt(previous, &mut dirty, &params.denial);
    let mut denial = Vec::with_capacity(dirty.len());
    for name in &dirty {
        let kind = up.fix_signing_status(name);
        denial.push((name, up.wanted_denial(name, kind, &params.denial)));
    }
    match &params.denial {
        Denial::Nsec => up.fix_nsec_chain(&denial),
        Denial::Nsec3(p) => up.fix_nsec3_chain(&denial, p)?,
    }
    for key in forced {
        if up.zone.rrsets.contains_key(key) {
            up.resign.insert(key.clone());
        }
    }

    let which: Vec<RrsetKey> = up
        .resign
        .iter()
        .filter(|k| up.zone.rrsets.contains_key(*k))
        .cloned()
        .collect();
    let sigs = sign_rrsets(&up.zone, keys, params, now, &which)?;
    for (owner, rtype, _) in &which {
        up.touched.insert((owner.clone(), RRSIG, *rtype));
    }
    apply_signatures(&mut up.zone, sigs);
    let diff = Diff::between_keys(previous, &up.zone, &up.touched)
        .ok_or_else(|| SignError::NoSoa(previous.origin.clone()))?;
    Ok((up.zone, diff))
}

/// Refuses records of the signer's own types and records outside the zone.
fn check_change(zone: &Zone, change: &Change) -> Result<(), SignError> {
    for r in change.removed.iter().chain(&change.added) {
        let code = u16::from(r.rtype);
        if code == SOA || code == DNSKEY || DNSSEC_GENERATED.contains(&code) {
            return Err(SignError::SignerOwnedType {
                owner: Box::new(r.owner.clone()),
                rtype: r.rtype,
            });
        }
        if !zone.origin.zone_of(&r.owner) {
            return Err(SignError::OutOfZone {
                owner: Box::new(r.owner.clone()),
                origin: Box::new(zone.origin.clone()),
            });
        }
    }
    Ok(())
}

/// True when `previous` was signed the way `keys` and `params` sign now: the same DNSKEY,
/// CDS and CDNSKEY RRsets, the same denial (NSEC, or NSEC3 with the same parameters and
/// Opt-Out) and signatures from exactly the keys that sign now. Only then can the untouched
/// rest of the zone stay as it is.
fn signed_alike(
    previous: &Zone,
    origin: &Name,
    keys: &[SigningKeyEntry<'_>],
    params: &SigningParams,
    ttl: Ttl,
) -> bool {
    let at_apex = |t: u16| previous.rrsets.get(&(origin.clone(), t, 0));
    // DNSKEY: each key in or out as it is published or not; foreign keys may stay.
    let Some(dnskeys) = at_apex(DNSKEY) else {
        return false;
    };
    if dnskeys.ttl != params.dnskey_ttl {
        return false;
    }
    for e in keys {
        let rdata = e.key.dnskey(e.role.flags()).to_rdata();
        if dnskeys.rdatas.binary_search(&rdata).is_ok() != e.publish {
            return false;
        }
    }
    for set in cds_rrsets(origin, previous.class, keys, params) {
        let same = match at_apex(u16::from(set.rtype)) {
            Some(old) => old == &set,
            None => set.rdatas.is_empty(),
        };
        if !same {
            return false;
        }
    }
    let denial_alike = match &params.denial {
        Denial::Nsec => at_apex(NSEC).is_some() && at_apex(NSEC3PARAM).is_none(),
        Denial::Nsec3(p) => {
            let param_ok = at_apex(NSEC3PARAM)
                .is_some_and(|s| s.ttl == ttl && s.rdatas == [p.nsec3param_rdata()]);
            let h = nsec3_hash(origin, &p.salt, p.iterations);
            let apex_ok = nsec3_owner(&h, origin).is_ok_and(|owner| {
                previous
                    .rrsets
                    .get(&(owner, NSEC3, 0))
                    .and_then(|s| s.rdatas.first())
                    .is_some_and(|r| r.as_bytes().get(1) == Some(&u8::from(p.opt_out)))
            });
            param_ok && apex_ok && at_apex(NSEC).is_none()
        }
    };
    denial_alike
        && signers(previous, origin, DNSKEY) == wanted_signers(keys, true)
        && signers(previous, origin, SOA) == wanted_signers(keys, false)
}

/// The sorted (algorithm, key tag) pairs of the RRSIGs over `owner`/`covered`.
fn signers(zone: &Zone, owner: &Name, covered: u16) -> Vec<(u8, u16)> {
    let mut out: Vec<(u8, u16)> = zone
        .rrsets
        .get(&(owner.clone(), RRSIG, covered))
        .into_iter()
        .flat_map(|s| s.rdatas.iter())
        .filter_map(|r| RrsigFields::from_wire(r.as_bytes()).ok())
        .map(|(f, _)| (f.algorithm, f.key_tag))
        .collect();
    out.sort_unstable();
    out
}

/// The fallback when `previous` cannot be reused: strip what the signer made, apply the
/// change, and sign the whole zone (still reusing the signatures that stay valid).
fn sign_in_full(
    previous: &Zone,
    change: &Change,
    serial: Serial,
    keys: &[SigningKeyEntry<'_>],
    params: &SigningParams,
    now: Timestamp,
) -> Result<(Zone, Diff), SignError> {
    let mut unsigned = previous.clone();
    unsigned.retain(|(_, t, _), _| !DNSSEC_GENERATED.contains(t));
    // The signer's own DNSKEYs come back from `keys`; foreign ones stay.
    let own: Vec<Rdata> = keys
        .iter()
        .map(|e| e.key.dnskey(e.role.flags()).to_rdata())
        .collect();
    let dnskey_key = (previous.origin.to_lowercase(), DNSKEY, 0);
    if let Some(set) = unsigned.rrsets.get_mut(&dnskey_key) {
        set.rdatas.retain(|r| !own.contains(r));
        if set.rdatas.is_empty() {
            unsigned.rrsets.remove(&dnskey_key);
        }
    }
    let mut up = Update {
        zone: unsigned,
        origin: previous.origin.to_lowercase(),
        denial_ttl: Ttl(0),
        touched: BTreeSet::new(),
        resign: BTreeSet::new(),
    };
    up.apply(change, &mut BTreeSet::new());
    up.set_serial(serial)?;
    let next = resign_zone(&up.zone, Some(previous), keys, params, now, 0)?;
    let diff =
        Diff::between(previous, &next).ok_or_else(|| SignError::NoSoa(previous.origin.clone()))?;
    Ok((next, diff))
}

//------------ Update --------------------------------------------------------

/// The version being built, with what has been touched so far.
struct Update {
    /// The new version: starts as a clone of the previous one.
    zone: Zone,
    /// The origin, lowercased as RRset keys are.
    origin: Name,
    /// TTL of NSEC and NSEC3 records (RFC 9077).
    denial_ttl: Ttl,
    /// Every RRset key whose content may differ from the previous version (the Diff looks
    /// at these and nothing else).
    touched: BTreeSet<RrsetKey>,
    /// RRsets to sign.
    resign: BTreeSet<RrsetKey>,
}

impl Update {
    /// Applies the change record by record; owners of RRsets that really changed go into
    /// `dirty`.
    fn apply(&mut self, change: &Change, dirty: &mut BTreeSet<Name>) {
        for r in &change.removed {
            let key = (r.owner.to_lowercase(), u16::from(r.rtype), 0);
            let Some(set) = self.zone.rrsets.get_mut(&key) else {
                continue;
            };
            let Ok(at) = set.rdatas.binary_search(&r.rdata) else {
                continue;
            };
            set.rdatas.remove(at);
            if set.rdatas.is_empty() {
                self.zone.rrsets.remove(&key);
            }
            dirty.insert(key.0.clone());
            self.touched.insert(key);
        }
        for r in &change.added {
            let key = (r.owner.to_lowercase(), u16::from(r.rtype), 0);
            let before = self.zone.rrsets.get(&key).cloned();
            self.zone.insert(r.clone());
            if self.zone.rrsets.get(&key) != before.as_ref() {
                dirty.insert(key.0.clone());
                self.touched.insert(key);
            }
        }
    }

    /// Writes `serial` into the apex SOA and queues the SOA for signing.
    fn set_serial(&mut self, serial: Serial) -> Result<(), SignError> {
        let key = (self.origin.clone(), SOA, 0);
        let no_soa = || SignError::NoSoa(self.origin.clone());
        let old = self.zone.rrsets.get(&key).ok_or_else(no_soa)?;
        let mut soa = Rrset::new(old.owner.clone(), old.rtype, old.class, old.ttl);
        for rdata in &old.rdatas {
            let mut b = rdata.as_bytes().to_vec();
            let at = b.len().checked_sub(20).ok_or_else(no_soa)?;
            b[at..at + 4].copy_from_slice(&serial.0.to_be_bytes());
            soa.insert(Rdata::from(b));
        }
        self.zone.rrsets.insert(key.clone(), soa);
        self.touched.insert(key.clone());
        self.resign.insert(key);
        Ok(())
    }

    /// Adds to `dirty` the names whose status can follow from the changed ones: everything
    /// below a name that became or stopped being a zone cut or DNAME owner (it flips between
    /// authoritative and occluded), and with NSEC3 every ancestor below the apex (it may
    /// become or stop being an empty non-terminal).
    fn spread_dirt(&self, previous: &Zone, dirty: &mut BTreeSet<Name>, denial: &Denial) {
        let cutlike =
            |zone: &Zone, n: &Name| (n != &self.origin && has(zone, n, NS)) || has(zone, n, DNAME);
        let flipped: Vec<Name> = dirty
            .iter()
            .filter(|n| cutlike(previous, n) != cutlike(&self.zone, n))
            .cloned()
            .collect();
        for top in flipped {
            let after = (top.clone(), u16::MAX, u16::MAX);
            for ((owner, _, _), _) in self.zone.rrsets.range(after..) {
                if !top.zone_of(owner) {
                    break;
                }
                dirty.insert(owner.clone());
            }
            // Names below `top` that only the previous version had are already dirty: they
            // were removed by the change.
        }
        if matches!(denial, Denial::Nsec3(_)) {
            let origin_labels = self.origin.iter().count();
            let names: Vec<Name> = dirty.iter().cloned().collect();
            for n in names {
                let mut parent = n.base_name();
                while parent.iter().count() > origin_labels && self.origin.zone_of(&parent) {
                    if !dirty.insert(parent.clone()) {
                        // Its ancestors were added with it.
                        break;
                    }
                    parent = parent.base_name();
                }
            }
        }
    }

    /// Puts the signatures at `name` in line with its role: RRsets that must be signed and
    /// were changed or have no RRSIG are queued, RRSIGs over RRsets that are gone or must not
    /// be signed (glue, occluded data, non-DS data at a delegation) are removed. NSEC and
    /// NSEC3 are left to the chain. Returns the name's role.
    fn fix_signing_status(&mut self, name: &Name) -> NameKind {
        let kind = kind_of(&self.zone, &self.origin, name);
        let keys: Vec<RrsetKey> = self
            .zone
            .rrsets
            .range((name.clone(), 0, 0)..=(name.clone(), u16::MAX, u16::MAX))
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys {
            let (_, rtype, covered) = key;
            if rtype == RRSIG {
                if covered == NSEC || covered == NSEC3 {
                    continue;
                }
                let data = (name.clone(), covered, 0);
                if !self.zone.rrsets.contains_key(&data) || !signed_here(kind, covered) {
                    self.zone.rrsets.remove(&key);
                    self.touched.insert(key);
                }
            } else if rtype != NSEC && rtype != NSEC3 && signed_here(kind, rtype) {
                let unsigned = !self.zone.rrsets.contains_key(&(name.clone(), RRSIG, rtype));
                if unsigned || self.touched.contains(&key) {
                    self.resign.insert(key);
                }
            }
        }
        kind
    }

    /// The types of the denial record `name` should have, or `None` when it should have none
    /// (RFC 4035 section 2.3 for NSEC; RFC 5155 section 7.1 steps 2 to 5 for NSEC3, where an
    /// empty non-terminal gets an empty bitmap).
    fn wanted_denial(&self, name: &Name, kind: NameKind, denial: &Denial) -> Option<BTreeSet<u16>> {
        let types = data_types(&self.zone, name);
        match denial {
            Denial::Nsec if types.is_empty() || kind == NameKind::Occluded => None,
            Denial::Nsec => Some(nsec_types(kind, &types)),
            Denial::Nsec3(p) if !types.is_empty() => nsec3_types(kind, types, p.opt_out),
            Denial::Nsec3(p) => {
                let ent = name != &self.origin
                    && kind != NameKind::Occluded
                    && has_chained_descendant(&self.zone, name, p.opt_out);
                ent.then(BTreeSet::new)
            }
        }
    }

    /// Brings the NSEC chain in line with `wanted` (per dirty name, in canonical order):
    /// names leaving the chain are unlinked, names joining are linked after their canonical
    /// predecessor, and changed bitmaps are rewritten. Every NSEC that changes is queued.
    fn fix_nsec_chain(&mut self, wanted: &[(&Name, Option<BTreeSet<u16>>)]) {
        for (name, types) in wanted {
            let key = ((*name).clone(), NSEC, 0);
            let current = self
                .zone
                .rrsets
                .get(&key)
                .and_then(|s| s.rdatas.first())
                .cloned();
            match (current, types) {
                (None, None) => {}
                (Some(old), None) => {
                    let (next, _) = split_nsec(&old);
                    if let Some(pred) = self.chain_before(&key, NSEC) {
                        let (_, bitmap) = self.nsec_parts(&pred);
                        self.put_denial(&pred, [next, bitmap.as_slice()].concat());
                    }
                    self.remove_denial(key);
                }
                (None, Some(types)) => {
                    let next = match self.chain_before(&key, NSEC) {
                        Some(pred) => {
                            let (next, bitmap) = self.nsec_parts(&pred);
                            let own = crate::wire::name_to_wire(name, true);
                            self.put_denial(&pred, [own, bitmap].concat());
                            next
                        }
                        None => crate::wire::name_to_wire(name, true),
                    };
                    let rdata = nsec_rdata(name, types);
                    let (_, bitmap) = split_nsec(&rdata);
                    let rdata = [&next[..], bitmap].concat();
                    self.put_denial_named(&key, (*name).clone(), rdata);
                }
                (Some(old), Some(types)) => {
                    let (next, _) = split_nsec(&old);
                    let rdata = nsec_rdata(name, types);
                    let (_, bitmap) = split_nsec(&rdata);
                    self.put_denial(&key, [next, bitmap].concat());
                }
            }
        }
    }

    /// The next-name and bitmap parts of the NSEC at `key`.
    fn nsec_parts(&self, key: &RrsetKey) -> (Vec<u8>, Vec<u8>) {
        let rdata = self.zone.rrsets.get(key).and_then(|s| s.rdatas.first());
        rdata.map_or_else(Default::default, |r| {
            let (next, bitmap) = split_nsec(r);
            (next.to_vec(), bitmap.to_vec())
        })
    }

    /// Brings the NSEC3 chain in line with `wanted`, the same way as
    /// [`Update::fix_nsec_chain`] but in hash order (RFC 5155 section 7.1 steps 6 and 7).
    fn fix_nsec3_chain(
        &mut self,
        wanted: &[(&Name, Option<BTreeSet<u16>>)],
        params: &Nsec3Params,
    ) -> Result<(), SignError> {
        let at = nsec3_next_offset(params);
        let next_of = |r: &[u8]| -> [u8; 20] {
            let mut h = [0; 20];
            if let Some(b) = r.get(at..at + 20) {
                h.copy_from_slice(b);
            }
            h
        };
        for (name, types) in wanted {
            let hash = nsec3_hash(name, &params.salt, params.iterations);
            let owner = nsec3_owner(&hash, &self.origin)?;
            let key = (owner.to_lowercase(), NSEC3, 0);
            let current = self
                .zone
                .rrsets
                .get(&key)
                .and_then(|s| s.rdatas.first())
                .cloned();
            match (current, types) {
                (None, None) => {}
                (Some(old), None) => {
                    let next = next_of(old.as_bytes());
                    if let Some(pred) = self.chain_before(&key, NSEC3) {
                        let mut r = self.denial_rdata(&pred);
                        if let Some(slot) = r.get_mut(at..at + 20) {
                            slot.copy_from_slice(&next);
                        }
                        self.put_denial(&pred, r);
                    }
                    self.remove_denial(key);
                }
                (None, Some(types)) => {
                    let next = match self.chain_before(&key, NSEC3) {
                        Some(pred) => {
                            let mut r = self.denial_rdata(&pred);
                            let next = next_of(&r);
                            if let Some(slot) = r.get_mut(at..at + 20) {
                                slot.copy_from_slice(&hash);
                            }
                            self.put_denial(&pred, r);
                            next
                        }
                        None => hash,
                    };
                    let rdata = nsec3_rdata(params, &next, types);
                    self.put_denial_named(&key, owner, rdata.as_bytes().to_vec());
                }
                (Some(old), Some(types)) => {
                    let rdata = nsec3_rdata(params, &next_of(old.as_bytes()), types);
                    self.put_denial(&key, rdata.as_bytes().to_vec());
                }
            }
        }
        Ok(())
    }

    /// The rdata of the denial record at `key` (empty when there is none).
    fn denial_rdata(&self, key: &RrsetKey) -> Vec<u8> {
        self.zone
            .rrsets
            .get(key)
            .and_then(|s| s.rdatas.first())
            .map(|r| r.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// The chain member before `key` (of type `rtype`, NSEC or NSEC3) in canonical order,
    /// wrapping around to the last one; `None` when the chain has no other member.
    ///
    /// NSEC3 owners are children of the apex, so the walk back skips every deeper subtree in
    /// one step; what it still passes are the apex's other children that sort between two
    /// neighbouring hashes.
    fn chain_before(&self, key: &RrsetKey, rtype: u16) -> Option<RrsetKey> {
        let child_depth = self.origin.iter().count() + 1;
        let mut upper = Some(key.clone());
        let mut wrapped = false;
        loop {
            let mut jump = None;
            let iter: Box<dyn DoubleEndedIterator<Item = (&RrsetKey, &Rrset)>> = match &upper {
                Some(u) => Box::new(self.zone.rrsets.range(..u.clone())),
                None => Box::new(self.zone.rrsets.iter()),
            };
            for (k, _) in iter.rev() {
                if k.1 == rtype && k != key {
                    return Some(k.clone());
                }
                if rtype == NSEC3 && k.0.iter().count() > child_depth {
                    let drop = k.0.iter().count() - child_depth;
                    let mut child = k.0.clone();
                    for _ in 0..drop {
                        child = child.base_name();
                    }
                    jump = Some((child, NSEC3 + 1, 0));
                    break;
                }
            }
            match jump {
                Some(j) => upper = Some(j),
                None if !wrapped => {
                    wrapped = true;
                    upper = None;
                }
                None => return None,
            }
        }
    }

    /// Replaces the rdata of the existing denial record at `key` and queues it for signing
    /// (nothing when the rdata is unchanged).
    fn put_denial(&mut self, key: &RrsetKey, rdata: Vec<u8>) {
        let Some(owner) = self.zone.rrsets.get(key).map(|s| s.owner.clone()) else {
            return;
        };
        self.put_denial_named(key, owner, rdata);
    }

    /// Sets the denial record at `key` (owner `owner`) to `rdata` and queues it for signing
    /// when it changed.
    fn put_denial_named(&mut self, key: &RrsetKey, owner: Name, rdata: Vec<u8>) {
        let rtype = Rtype::from(key.1);
        let mut set = Rrset::new(owner, rtype, self.zone.class, self.denial_ttl);
        set.insert(Rdata::from(rdata));
        if self.zone.rrsets.get(key) == Some(&set) {
            return;
        }
        self.zone.rrsets.insert(key.clone(), set);
        self.touched.insert(key.clone());
        self.resign.insert(key.clone());
    }

    /// Removes the denial record at `key` and its RRSIGs.
    fn remove_denial(&mut self, key: RrsetKey) {
        let sigs = (key.0.clone(), RRSIG, key.1);
        self.zone.rrsets.remove(&key);
        self.zone.rrsets.remove(&sigs);
        self.resign.remove(&key);
        self.touched.insert(key);
        self.touched.insert(sigs);
    }
}
