//! Which owner names of a zone are authoritative, delegations or glue (RFC 4035 section 2.2,
//! RFC 1034 section 4.2.1). The type bitmap field NSEC and NSEC3 share is
//! [`zones::bitmap`].

use std::collections::BTreeSet;

use zones::{Name, Zone};

//------------ NameKind ------------------------------------------------------

/// The role of an owner name in the zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameKind {
    /// The zone apex.
    Apex,
    /// Authoritative data inside the zone.
    Authoritative,
    /// A zone cut: NS (and maybe DS) below the apex. Only DS and NSEC are signed here.
    Delegation,
    /// Below a zone cut or a DNAME: glue or occluded data, never signed or chained.
    Occluded,
}

/// One owner name with its role and the types it holds.
#[derive(Clone, Debug)]
pub(crate) struct OwnerInfo {
    /// The owner, lowercased (as the zone keys it).
    pub name: Name,
    /// Its role.
    pub kind: NameKind,
    /// The type codes present.
    pub types: BTreeSet<u16>,
}

/// Every owner name of `zone` inside its origin, in canonical order, with its role. Names
/// outside the origin are dropped (they cannot be signed by this zone).
pub(crate) fn classify(zone: &Zone) -> Vec<OwnerInfo> {
    let origin = zone.origin.to_lowercase();
    let mut out: Vec<OwnerInfo> = Vec::new();
    // The closest enclosing cut or DNAME owner seen so far; canonical order puts every name
    // right after its ancestors, so one marker is enough.
    let mut cut: Option<Name> = None;
    for ((owner, rtype, _), _) in zone.rrsets.iter() {
        if !origin.zone_of(owner) {
            continue;
        }
        match out.last_mut() {
            Some(last) if &last.name == owner => {
                last.types.insert(*rtype);
                continue;
            }
            _ => {}
        }
        // First RRset at a new name: close the previous one (a cut is decided once all its
        // types are known, so the marker is set when the next name starts).
        if let Some(last) = out.last_mut() {
            let is_cut = last.kind != NameKind::Apex
                && last.kind != NameKind::Occluded
                && last.types.contains(&2);
            if is_cut {
                last.kind = NameKind::Delegation;
            }
            if last.kind != NameKind::Occluded && (is_cut || last.types.contains(&39)) {
                cut = Some(last.name.clone());
            }
        }
        let kind = if owner == &origin {
            NameKind::Apex
        } else if cut.as_ref().is_some_and(|c| c.zone_of(owner) && c != owner) {
            NameKind::Occluded
        } else {
            NameKind::Authoritative
        };
        out.push(OwnerInfo {
            name: owner.clone(),
            kind,
            types: BTreeSet::from([*rtype]),
        });
    }
    let last = out.last_mut();
    if let Some(last) = last.filter(|l| l.kind == NameKind::Authoritative && l.types.contains(&2)) {
        last.kind = NameKind::Delegation;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_below_a_dname_or_a_cut_are_occluded_but_the_dname_owner_is_not() {
        use zones::{Class, Rdata, Record, Rtype, Ttl};
        let mut z = Zone::new(Name::from_ascii("example.").unwrap(), Class::IN);
        for (owner, rtype) in [
            ("example.", Rtype::SOA),
            ("d.example.", Rtype::DNAME),
            ("x.d.example.", Rtype::A),
            ("sub.example.", Rtype::NS),
            ("deep.ns.sub.example.", Rtype::A),
            ("z.example.", Rtype::A),
        ] {
            z.insert(Record {
                owner: Name::from_ascii(owner).unwrap(),
                rtype,
                class: Class::IN,
                ttl: Ttl(60),
                rdata: Rdata::from(vec![0]),
            });
        }
        let kinds: Vec<(String, NameKind)> = classify(&z)
            .into_iter()
            .map(|i| (i.name.to_string(), i.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("example.".to_string(), NameKind::Apex),
                ("d.example.".to_string(), NameKind::Authoritative),
                ("x.d.example.".to_string(), NameKind::Occluded),
                ("sub.example.".to_string(), NameKind::Delegation),
                ("deep.ns.sub.example.".to_string(), NameKind::Occluded),
                ("z.example.".to_string(), NameKind::Authoritative),
            ]
        );
    }
}
