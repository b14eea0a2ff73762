//! Which owner names of a zone are authoritative, delegations or glue (RFC 4035 section 2.2,
//! RFC 1034 section 4.2.1), and the type bitmap field shared by NSEC and NSEC3 (RFC 4034
//! section 4.1.2).

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

/// Encodes a type bitmap (RFC 4034 section 4.1.2): window blocks in increasing order, each
/// with the length of its last non-zero octet.
pub(crate) fn type_bitmap(types: &BTreeSet<u16>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut window: Option<(u8, [u8; 32], usize)> = None;
    for &t in types {
        let (w, bit) = ((t >> 8) as u8, (t & 0xff) as usize);
        if let Some((cw, bits, len)) = window.take_if(|(cw, _, _)| *cw != w) {
            out.push(cw);
            out.push(len as u8);
            out.extend_from_slice(&bits[..len]);
        }
        let entry = window.get_or_insert((w, [0; 32], 0));
        entry.1[bit / 8] |= 0x80 >> (bit % 8);
        entry.2 = entry.2.max(bit / 8 + 1);
    }
    if let Some((cw, bits, len)) = window {
        out.push(cw);
        out.push(len as u8);
        out.extend_from_slice(&bits[..len]);
    }
    out
}

/// The types a bitmap (as written by [`type_bitmap`]) lists, or `None` when it is malformed.
#[cfg(test)]
pub(crate) fn parse_type_bitmap(mut buf: &[u8]) -> Option<BTreeSet<u16>> {
    let mut out = BTreeSet::new();
    while !buf.is_empty() {
        let w = u16::from(*buf.first()?);
        let len = usize::from(*buf.get(1)?);
        let bits = buf.get(2..2 + len)?;
        for (i, b) in bits.iter().enumerate() {
            for j in 0..8 {
                if b & (0x80 >> j) != 0 {
                    out.insert((w << 8) | (i as u16 * 8 + j));
                }
            }
        }
        buf = &buf[2 + len..];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4034_section_4_3_bitmap_encodes_a_mx_rrsig_nsec_and_type_1234() {
        // RFC 4034 section 4.3: "A MX RRSIG NSEC TYPE1234".
        let types = BTreeSet::from([1, 15, 46, 47, 1234]);
        let expected = [
            0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20,
        ];
        assert_eq!(type_bitmap(&types), expected);
        assert_eq!(parse_type_bitmap(&expected).unwrap(), types);
    }

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
