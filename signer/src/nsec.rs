//! NSEC chains (RFC 4034 section 4, RFC 4035 section 2.3).
//!
//! One NSEC per authoritative owner name and per delegation point, in canonical order, the
//! last pointing back at the apex. Glue and occluded names get none (RFC 4035 section 2.3).

use zones::{Name, Rdata, Rrset, Ttl, Zone};

use crate::names::{NameKind, classify, type_bitmap};
use crate::wire::name_to_wire;

/// RRSIG type code.
const RRSIG: u16 = 46;
/// NSEC type code.
const NSEC: u16 = 47;
/// NS type code.
const NS: u16 = 2;
/// DS type code.
const DS: u16 = 43;

/// Builds the NSEC RRsets for `zone` with the given TTL (RFC 9077: the lower of the SOA TTL
/// and the SOA MINIMUM; the caller decides). The zone must already hold every RRset the
/// signed zone will have except RRSIG and NSEC, so that the bitmaps are complete.
pub fn generate_nsec_chain(zone: &Zone, ttl: Ttl) -> Vec<Rrset> {
    let names: Vec<_> = classify(zone)
        .into_iter()
        .filter(|n| n.kind != NameKind::Occluded)
        .collect();
    let mut out = Vec::with_capacity(names.len());
    for (i, info) in names.iter().enumerate() {
        let next: &Name = &names[(i + 1) % names.len()].name;
        // RFC 4035 section 2.3: at a delegation only NS, DS and the NSEC's own types are set;
        // anywhere else every type present plus NSEC and RRSIG.
        let mut types = info.types.clone();
        types.remove(&RRSIG);
        types.remove(&NSEC);
        if info.kind == NameKind::Delegation {
            types.retain(|t| *t == NS || *t == DS);
        }
        types.insert(RRSIG);
        types.insert(NSEC);
        let mut rdata = name_to_wire(next, true);
        rdata.extend_from_slice(&type_bitmap(&types));
        let mut set = Rrset::new(info.name.clone(), zones::Rtype::NSEC, zone.class, ttl);
        set.insert(Rdata::from(rdata));
        out.push(set);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::parse_type_bitmap;
    use std::collections::BTreeSet;
    use zones::{Class, Record, Rtype};

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

    #[test]
    fn delegation_nsec_lists_only_ns_ds_rrsig_nsec_and_glue_gets_none() {
        let mut z = Zone::new(Name::from_ascii("example.").unwrap(), Class::IN);
        add(&mut z, "example.", Rtype::NS, b"\x02ns\x07example\x00");
        add(
            &mut z,
            "sub.example.",
            Rtype::NS,
            b"\x02ns\x03sub\x07example\x00",
        );
        add(&mut z, "sub.example.", Rtype::DS, b"\x00\x01\x0d\x02\xaa");
        add(&mut z, "sub.example.", Rtype::A, &[192, 0, 2, 9]);
        add(&mut z, "ns.sub.example.", Rtype::A, &[192, 0, 2, 1]);
        add(&mut z, "www.example.", Rtype::A, &[192, 0, 2, 2]);
        let chain = generate_nsec_chain(&z, Ttl(300));
        let owners: Vec<String> = chain.iter().map(|s| s.owner.to_string()).collect();
        assert_eq!(owners, ["example.", "sub.example.", "www.example."]);
        let sub = chain[1].rdatas[0].as_bytes();
        let next_len = zones::rdata::name_len_at(sub, 0).unwrap();
        assert_eq!(&sub[..next_len], b"\x03www\x07example\x00");
        assert_eq!(
            parse_type_bitmap(&sub[next_len..]).unwrap(),
            BTreeSet::from([2, 43, 46, 47])
        );
        let last = chain[2].rdatas[0].as_bytes();
        assert!(last.starts_with(b"\x07example\x00"));
    }
}
