//! Facts about a name of a zone that the incremental signer asks: what it holds, what kind
//! of name it is (RFC 4035 section 2.2: authoritative, delegation, occluded), and whether
//! anything below it still needs a denial record.

use std::collections::BTreeSet;

use zones::{Name, Rdata, Zone};

use crate::names::NameKind;
use crate::nsec3::nsec3_types;

/// NS type code.
pub(super) const NS: u16 = 2;
/// SOA type code.
pub(super) const SOA: u16 = 6;
/// DNAME type code.
pub(super) const DNAME: u16 = 39;
/// DS type code.
pub(super) const DS: u16 = 43;
/// RRSIG type code.
pub(super) const RRSIG: u16 = 46;
/// NSEC type code.
pub(super) const NSEC: u16 = 47;
/// DNSKEY type code.
pub(super) const DNSKEY: u16 = 48;
/// NSEC3 type code.
pub(super) const NSEC3: u16 = 50;
/// NSEC3PARAM type code.
pub(super) const NSEC3PARAM: u16 = 51;

//------------ Name facts ----------------------------------------------------

/// True when `zone` has an RRset of type `rtype` at `name` (lowercased).
pub(super) fn has(zone: &Zone, name: &Name, rtype: u16) -> bool {
    zone.rrsets.contains_key(&(name.clone(), rtype, 0))
}

/// The types at `name` that are zone data: everything but RRSIG, NSEC and NSEC3.
pub(super) fn data_types(zone: &Zone, name: &Name) -> BTreeSet<u16> {
    zone.rrsets
        .range((name.clone(), 0, 0)..=(name.clone(), u16::MAX, u16::MAX))
        .map(|((_, t, _), _)| *t)
        .filter(|t| *t != RRSIG && *t != NSEC && *t != NSEC3)
        .collect()
}

/// The role of `name` (RFC 4035 section 2.2, RFC 1034 section 4.2.1): occluded when a zone
/// cut (NS below the apex) or a DNAME sits at a proper ancestor inside the zone, a delegation
/// when it holds NS itself, else authoritative. The same rule `names::classify` applies to a
/// whole zone, asked of one name.
pub(super) fn kind_of(zone: &Zone, origin: &Name, name: &Name) -> NameKind {
    if name == origin {
        return NameKind::Apex;
    }
    let mut parent = name.base_name();
    while origin.zone_of(&parent) {
        if has(zone, &parent, DNAME) || (&parent != origin && has(zone, &parent, NS)) {
            return NameKind::Occluded;
        }
        if &parent == origin {
            break;
        }
        parent = parent.base_name();
    }
    if has(zone, name, NS) {
        NameKind::Delegation
    } else {
        NameKind::Authoritative
    }
}

/// True when the RRset of type `rtype` at a name of `kind` gets RRSIGs (RFC 4035 section 2.2:
/// all authoritative data, at a delegation only DS; NSEC is the chain's concern).
pub(super) fn signed_here(kind: NameKind, rtype: u16) -> bool {
    match kind {
        NameKind::Apex | NameKind::Authoritative => true,
        NameKind::Delegation => rtype == DS,
        NameKind::Occluded => false,
    }
}

/// True when some name below `name` gets an NSEC3 of its own, which makes an empty `name` an
/// empty non-terminal (RFC 5155 section 7.1 step 4). Stops at the first such name; passes
/// over occluded names and, with Opt-Out, unsigned delegations.
pub(super) fn has_chained_descendant(zone: &Zone, name: &Name, opt_out: bool) -> bool {
    let mut cut: Option<Name> = None;
    let mut current: Option<(Name, BTreeSet<u16>)> = None;
    let chained = |cut: &mut Option<Name>, (d, types): (Name, BTreeSet<u16>)| -> bool {
        if cut.as_ref().is_some_and(|c| c.zone_of(&d)) || types.is_empty() {
            return false;
        }
        let kind = if types.contains(&NS) {
            NameKind::Delegation
        } else {
            NameKind::Authoritative
        };
        if nsec3_types(kind, types, opt_out).is_some() {
            return true;
        }
        // Only an unsigned delegation under Opt-Out gets here; what is below it is glue.
        *cut = Some(d);
        false
    };
    let after = (name.clone(), u16::MAX, u16::MAX);
    for ((d, t, _), _) in zone.rrsets.range(after..) {
        if !name.zone_of(d) {
            break;
        }
        match &mut current {
            Some((c, types)) if c == d => {
                if *t != RRSIG && *t != NSEC && *t != NSEC3 {
                    types.insert(*t);
                }
                continue;
            }
            _ => {}
        }
        if current.take().is_some_and(|done| chained(&mut cut, done)) {
            return true;
        }
        let mut types = BTreeSet::new();
        if *t != RRSIG && *t != NSEC && *t != NSEC3 {
            types.insert(*t);
        }
        current = Some((d.clone(), types));
    }
    current.is_some_and(|done| chained(&mut cut, done))
}

/// The next-owner and bitmap parts of an NSEC rdata.
pub(super) fn split_nsec(rdata: &Rdata) -> (&[u8], &[u8]) {
    let b = rdata.as_bytes();
    let at = zones::rdata::name_len_at(b, 0)
        .unwrap_or(b.len())
        .min(b.len());
    b.split_at(at)
}
