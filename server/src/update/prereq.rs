//! Prerequisites (RFC 2136 section 3.2): the five forms, checked against the zone as served
//! before anything is changed.
//!
//! | class | type | rdata | means | fails with |
//! |---|---|---|---|---|
//! | ANY | ANY | empty | name is in use | NXDOMAIN |
//! | ANY | T | empty | an RRset of T exists | NXRRSET |
//! | NONE | ANY | empty | name is not in use | YXDOMAIN |
//! | NONE | T | empty | no RRset of T exists | YXRRSET |
//! | zone | T | data | the RRset of T is exactly these records | NXRRSET |

use std::collections::BTreeMap;

use zones::{Name, Rtype, Zone};

use super::Rcode;
use super::message::{CLASS_ANY, CLASS_NONE, UpdateRr};

/// Records the signer makes at names of their own (NSEC3) or beside data (RRSIG, NSEC): they
/// do not make a name "in use" for a prerequisite.
fn denial_only(rtype: u16) -> bool {
    rtype == u16::from(Rtype::RRSIG)
        || rtype == u16::from(Rtype::NSEC)
        || rtype == u16::from(Rtype::NSEC3)
}

/// Whether `name` owns any record of `zone` other than the signer's denial records.
pub fn name_in_use(zone: &Zone, name: &Name) -> bool {
    zone.rrsets_at(name)
        .any(|set| !denial_only(u16::from(set.rtype)))
}

/// Checks every prerequisite of `prereqs` against `zone` (apex `zone.origin`, class
/// `zclass`). `Ok(())` when all hold; else the RFC's RCODE for the first that fails
/// (FORMERR for a malformed one, NOTZONE for a name outside the zone).
pub fn check(zone: &Zone, zclass: u16, prereqs: &[UpdateRr]) -> Result<(), Rcode> {
    // RFC 2136 section 3.2.3: the value-dependent ones are compared as whole RRsets.
    let mut exact: BTreeMap<(Name, u16), Vec<&[u8]>> = BTreeMap::new();
    for p in prereqs {
        if p.ttl != 0 {
            return Err(Rcode::FormErr);
        }
        if !zone.origin.zone_of(&p.owner) {
            return Err(Rcode::NotZone);
        }
        let any = p.rtype == Rtype::ANY;
        match p.class {
            CLASS_ANY | CLASS_NONE if !p.rdata.is_empty() => return Err(Rcode::FormErr),
            CLASS_ANY if any => {
                if !name_in_use(zone, &p.owner) {
                    return Err(Rcode::NxDomain);
                }
            }
            CLASS_ANY => {
                if zone.get(&p.owner, p.rtype).is_none() {
                    return Err(Rcode::NxRrset);
                }
            }
            CLASS_NONE if any => {
                if name_in_use(zone, &p.owner) {
                    return Err(Rcode::YxDomain);
                }
            }
            CLASS_NONE => {
                if zone.get(&p.owner, p.rtype).is_some() {
                    return Err(Rcode::YxRrset);
                }
            }
            c if c == zclass && !any && !is_meta(p.rtype) => {
                exact
                    .entry((p.owner.to_lowercase(), u16::from(p.rtype)))
                    .or_default()
                    .push(&p.rdata);
            }
            _ => return Err(Rcode::FormErr),
        }
    }
    for ((owner, rtype), mut want) in exact {
        want.sort_unstable();
        want.dedup();
        let have = zone.get(&owner, Rtype::from(rtype));
        let same = have.is_some_and(|set| {
            set.rdatas.len() == want.len()
                && set
                    .rdatas
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| a.as_bytes() == *b)
        });
        if !same {
            return Err(Rcode::NxRrset);
        }
    }
    Ok(())
}

/// Meta and query types, which no record has (RFC 2136 section 3.4.1.2).
pub fn is_meta(rtype: Rtype) -> bool {
    matches!(
        rtype,
        Rtype::ANY | Rtype::AXFR | Rtype::IXFR | Rtype::OPT | Rtype::TSIG
    ) || matches!(u16::from(rtype), 253 | 254)
}

#[cfg(test)]
mod tests;
