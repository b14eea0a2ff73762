//! The update section (RFC 2136 section 3.4): checked as a whole first (3.4.1), then applied
//! in order to a copy of the zone (3.4.2), all or nothing. What comes out is the records
//! removed and added, which the zone driver publishes as one `Change::Records`.
//!
//! Pure: the zone, the request and the grants in, the records or a refusal out.

use std::collections::BTreeSet;

use zones::{Class, Name, Rdata, Record, Rtype, Ttl, Zone};

use super::Rcode;
use super::grant::{self, Protected, UpdateGrant};
use super::message::{CLASS_ANY, CLASS_NONE, UpdateRr};
use super::prereq::is_meta;

/// At most this many records at one name after an update (RRSIGs and NSEC records not
/// counted): a key allowed to add TXT records cannot grow a name without bound. More is
/// REFUSED.
pub const MAX_RECORDS_PER_NAME: usize = 64;

//------------ Outcome types -------------------------------------------------

/// What an accepted update changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Records {
    /// Records removed (as the zone held them).
    pub removed: Vec<Record>,
    /// Records added.
    pub added: Vec<Record>,
}

/// Why an update was not applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The RCODE sent.
    pub rcode: Rcode,
    /// The reason, for the log.
    pub reason: Reason,
    /// The record's owner, when one record is to blame.
    pub name: Option<Name>,
    /// Its type.
    pub rtype: Option<Rtype>,
}

/// Why, in words the log can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Malformed (bad class, TTL or type for its form).
    Malformed,
    /// A name outside the zone.
    OutsideZone,
    /// No grant of the key covers the record.
    NotGranted,
    /// The record is never updatable.
    Protected(Protected),
    /// The name would hold more than [`MAX_RECORDS_PER_NAME`] records.
    TooManyRecords,
    /// The zone would fail the checks every loaded zone passes (`zones::check`): data below a
    /// DNAME, a delegation without its glue, ... Served, it would be a zone that no longer
    /// loads at the next start, when the layer is put back over the zone file.
    BreaksZone,
}

impl Refusal {
    /// A refusal blamed on `rr`.
    fn of(rcode: Rcode, reason: Reason, rr: &UpdateRr) -> Self {
        Self {
            rcode,
            reason,
            name: Some(rr.owner.clone()),
            rtype: Some(rr.rtype),
        }
    }
}

//------------ apply ---------------------------------------------------------

/// What the update section asks of the zone.
pub struct Request<'a> {
    /// The zone class.
    pub zclass: u16,
    /// The update section.
    pub updates: &'a [UpdateRr],
    /// The TSIG key that signed the request.
    pub key: &'a str,
}

/// The zone's rules for updates.
pub struct Rules<'a> {
    /// `[[zone.update]]`.
    pub grants: &'a [UpdateGrant],
    /// Names whose TLSA records daned manages.
    pub managed: &'a [Name],
}

/// Checks the update section of `request` (RFC 2136 section 3.4.1 and the grants) and
/// applies it to `zone` (3.4.2). `zone` is the version served (signed or not).
pub fn apply(zone: &Zone, request: &Request<'_>, rules: &Rules<'_>) -> Result<Records, Refusal> {
    prescan(zone, request, rules)?;
    let mut next = zone.clone();
    let mut touched: BTreeSet<(Name, u16)> = BTreeSet::new();
    for rr in request.updates {
        let owner = rr.owner.to_lowercase();
        match rr.class {
            CLASS_ANY if rr.rtype == Rtype::ANY => {
                // RFC 2136 section 3.4.2.3: every RRset at the name, apex SOA and NS kept.
                let types: Vec<u16> = next
                    .rrsets_at(&owner)
                    .map(|s| u16::from(s.rtype))
                    .filter(|&t| deletable(zone, rules, &owner, Rtype::from(t)))
                    .collect();
                for t in types {
                    next.remove(&owner, Rtype::from(t), 0);
                    touched.insert((owner.clone(), t));
                }
            }
            CLASS_ANY => {
                next.remove(&owner, rr.rtype, 0);
                touched.insert((owner, u16::from(rr.rtype)));
            }
            CLASS_NONE => {
                let key = (owner.clone(), u16::from(rr.rtype), 0);
                if let Some(set) = next.rrsets.get_mut(&key) {
                    set.rdatas.retain(|r| r.as_bytes() != rr.rdata.as_slice());
                    if set.rdatas.is_empty() {
                        next.rrsets.remove(&key);
                    }
                }
                touched.insert((owner, u16::from(rr.rtype)));
            }
            _ => {
                if add(&mut next, rr) {
                    touched.insert((owner, u16::from(rr.rtype)));
                }
            }
        }
    }
    for rr in request.updates {
        let count = data_records(&next, &rr.owner);
        if count > MAX_RECORDS_PER_NAME && count > data_records(zone, &rr.owner) {
            return Err(Refusal::of(Rcode::Refused, Reason::TooManyRecords, rr));
        }
    }
    // Checked only when something changed, and blamed on the update only when the zone
    // served passed (a zone that fails already is not the update's doing).
    if !touched.is_empty()
        && zones::check::check(&next, None).is_err()
        && zones::check::check(zone, None).is_ok()
    {
        return Err(Refusal {
            rcode: Rcode::Refused,
            reason: Reason::BreaksZone,
            name: None,
            rtype: None,
        });
    }
    Ok(difference(zone, &next, &touched))
}

/// The records at `owner` other than the signer's RRSIG and denial records.
fn data_records(zone: &Zone, owner: &Name) -> usize {
    zone.rrsets_at(owner)
        .filter(|s| !matches!(s.rtype, Rtype::RRSIG | Rtype::NSEC | Rtype::NSEC3))
        .map(|s| s.rdatas.len())
        .sum()
}

/// RFC 2136 section 3.4.1 (class, TTL, type and zone of every record) and the grants: every
/// record must be allowed before any is applied.
fn prescan(zone: &Zone, request: &Request<'_>, rules: &Rules<'_>) -> Result<(), Refusal> {
    let formerr = |rr| Err(Refusal::of(Rcode::FormErr, Reason::Malformed, rr));
    for rr in request.updates {
        if !zone.origin.zone_of(&rr.owner) {
            return Err(Refusal::of(Rcode::NotZone, Reason::OutsideZone, rr));
        }
        let meta = is_meta(rr.rtype);
        match rr.class {
            c if c == request.zclass => {
                if meta || rr.rdata.is_empty() {
                    return formerr(rr);
                }
            }
            CLASS_ANY => {
                if rr.ttl != 0 || !rr.rdata.is_empty() || (meta && rr.rtype != Rtype::ANY) {
                    return formerr(rr);
                }
            }
            CLASS_NONE => {
                if rr.ttl != 0 || meta || rr.rdata.is_empty() {
                    return formerr(rr);
                }
            }
            _ => return formerr(rr),
        }
        let apex = &zone.origin;
        let owner = rr.owner.to_lowercase();
        // What the record touches: its type, or every deletable RRset at the name.
        let types: Vec<Rtype> = if rr.rtype == Rtype::ANY {
            zone.rrsets_at(&owner)
                .map(|s| s.rtype)
                .filter(|&t| deletable(zone, rules, &owner, t))
                .collect()
        } else {
            vec![rr.rtype]
        };
        if let Some(p) = grant::protected(apex, rules.managed, &owner, rr.rtype) {
            return Err(Refusal::of(Rcode::Refused, Reason::Protected(p), rr));
        }
        let granted = |t: Rtype| grant::allowed(rules.grants, request.key, &owner, t);
        let ok = if rr.rtype == Rtype::ANY {
            // Deleting a whole name needs a grant of the name for every type it holds (and
            // some grant of the name when it holds nothing).
            types.iter().all(|&t| granted(t))
                && rules.grants.iter().any(|g| {
                    g.key.eq_ignore_ascii_case(request.key)
                        && g.names.iter().any(|p| p.matches(&owner))
                })
        } else {
            granted(rr.rtype)
        };
        if !ok {
            return Err(Refusal::of(Rcode::Refused, Reason::NotGranted, rr));
        }
    }
    Ok(())
}

/// Whether a delete of every RRset at `owner` removes the RRset of `rtype`: not the
/// signer's records, not the apex SOA and NS (RFC 2136 section 3.4.2.3).
fn deletable(zone: &Zone, rules: &Rules<'_>, owner: &Name, rtype: Rtype) -> bool {
    grant::protected(&zone.origin, rules.managed, owner, rtype)
        .is_none_or(|p| p == Protected::ManagedTlsa)
}

/// Adds `rr` to `zone` (RFC 2136 section 3.4.2.2): a CNAME beside other data, or data beside
/// a CNAME, is ignored; a record already there takes the new TTL, as does its whole RRset.
/// Returns whether anything was done.
fn add(zone: &mut Zone, rr: &UpdateRr) -> bool {
    let owner = rr.owner.to_lowercase();
    let other_data = |z: &Zone, cname: bool| {
        z.rrsets_at(&owner).any(|s| {
            let t = s.rtype;
            !grant::signer_owned(t)
                && !matches!(t, Rtype::NSEC | Rtype::RRSIG)
                && ((t == Rtype::CNAME) != cname)
        })
    };
    if rr.rtype == Rtype::CNAME && other_data(zone, true) {
        return false;
    }
    if rr.rtype != Rtype::CNAME && zone.get(&owner, Rtype::CNAME).is_some() {
        return false;
    }
    let ttl = Ttl(rr.ttl.min(Ttl::MAX.0));
    let key = (owner.clone(), u16::from(rr.rtype), 0);
    if rr.rtype == Rtype::CNAME {
        // One CNAME per name: the new one replaces it.
        zone.rrsets.remove(&key);
    }
    if let Some(set) = zone.rrsets.get_mut(&key) {
        set.ttl = ttl;
    }
    zone.insert(Record {
        owner: rr.owner.clone(),
        rtype: rr.rtype,
        class: Class::IN,
        ttl,
        rdata: Rdata::from(rr.rdata.clone()),
    });
    true
}

/// The records of the `touched` RRsets that differ between `old` and `new`.
fn difference(old: &Zone, new: &Zone, touched: &BTreeSet<(Name, u16)>) -> Records {
    let mut out = Records::default();
    for (owner, rtype) in touched {
        let rtype = Rtype::from(*rtype);
        let before = old.get(owner, rtype);
        let after = new.get(owner, rtype);
        if before == after {
            continue;
        }
        let same_ttl = before.zip(after).is_some_and(|(b, a)| b.ttl == a.ttl);
        if let Some(b) = before {
            out.removed.extend(
                b.records()
                    .filter(|r| !same_ttl || after.is_none_or(|a| !a.rdatas.contains(&r.rdata))),
            );
        }
        if let Some(a) = after {
            out.added.extend(
                a.records()
                    .filter(|r| !same_ttl || before.is_none_or(|b| !b.rdatas.contains(&r.rdata))),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests;
