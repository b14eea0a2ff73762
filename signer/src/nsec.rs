//! NSEC chains (RFC 4034 section 4, RFC 4035 section 2.3).
//!
//! One NSEC per authoritative owner name and per delegation point, in canonical order, the
//! last pointing back at the apex. Glue and occluded names get none (RFC 4035 section 2.3).

use std::collections::BTreeSet;

use zones::{Name, Rdata, Rrset, Ttl, Zone};

use crate::names::{NameKind, classify};
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
        let types = nsec_types(info.kind, &info.types);
        let mut set = Rrset::new(info.name.clone(), zones::Rtype::NSEC, zone.class, ttl);
        set.insert(nsec_rdata(next, &types));
        out.push(set);
    }
    out
}

/// The types an NSEC at a name of `kind` holding `types` lists (RFC 4035 section 2.3): at a
/// delegation only NS, DS and the NSEC's own types; anywhere else every type present plus
/// NSEC and RRSIG.
pub(crate) fn nsec_types(kind: NameKind, types: &BTreeSet<u16>) -> BTreeSet<u16> {
    let mut types = types.clone();
    types.remove(&RRSIG);
    types.remove(&NSEC);
    if kind == NameKind::Delegation {
        types.retain(|t| *t == NS || *t == DS);
    }
    types.insert(RRSIG);
    types.insert(NSEC);
    types
}

/// NSEC rdata (RFC 4034 section 4.1): the next owner in canonical (lowercase) wire form, then
/// the type bitmap.
pub(crate) fn nsec_rdata(next: &Name, types: &BTreeSet<u16>) -> Rdata {
    let mut rdata = name_to_wire(next, true);
    rdata.extend_from_slice(&zones::bitmap::encode(types.iter().copied()));
    Rdata::from(rdata)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zones::bitmap::decode as parse_type_bitmap;
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

    /// Wire form of a presentation name.
    fn wire(name: &str) -> Vec<u8> {
        name_to_wire(&Name::from_ascii(name).unwrap(), false)
    }

    #[test]
    fn rfc_4035_appendix_a_chain_has_the_published_next_names_and_bitmaps() {
        // RFC 4035 appendix A: the example zone's owners and types (rdata contents do not
        // matter for the chain). a.example is a secure and b.example an insecure delegation;
        // their ns1/ns2 children are glue.
        let mut z = Zone::new(Name::from_ascii("example.").unwrap(), Class::IN);
        let mut soa = wire("ns1.example.");
        soa.extend(wire("bugs.x.w.example."));
        soa.extend([0u8; 20]);
        add(&mut z, "example.", Rtype::SOA, &soa);
        add(&mut z, "example.", Rtype::NS, &wire("ns1.example."));
        add(&mut z, "example.", Rtype::NS, &wire("ns2.example."));
        add(
            &mut z,
            "example.",
            Rtype::MX,
            &[vec![0, 1], wire("xx.example.")].concat(),
        );
        add(&mut z, "example.", Rtype::DNSKEY, &[1, 0, 3, 5, 1]);
        add(&mut z, "a.example.", Rtype::NS, &wire("ns1.a.example."));
        add(&mut z, "a.example.", Rtype::DS, &[0xe4, 0x66, 5, 1, 0]);
        add(&mut z, "ns1.a.example.", Rtype::A, &[192, 0, 2, 5]);
        add(&mut z, "ns2.a.example.", Rtype::A, &[192, 0, 2, 6]);
        add(&mut z, "ai.example.", Rtype::A, &[192, 0, 2, 9]);
        add(&mut z, "ai.example.", Rtype::HINFO, b"\x06KLH-10\x03ITS");
        add(
            &mut z,
            "ai.example.",
            Rtype::AAAA,
            &[
                0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xf, 0, 0xba, 0xa9,
            ],
        );
        add(&mut z, "b.example.", Rtype::NS, &wire("ns1.b.example."));
        add(&mut z, "ns1.b.example.", Rtype::A, &[192, 0, 2, 7]);
        add(&mut z, "ns2.b.example.", Rtype::A, &[192, 0, 2, 8]);
        add(&mut z, "ns1.example.", Rtype::A, &[192, 0, 2, 1]);
        add(&mut z, "ns2.example.", Rtype::A, &[192, 0, 2, 2]);
        add(
            &mut z,
            "*.w.example.",
            Rtype::MX,
            &[vec![0, 1], wire("ai.example.")].concat(),
        );
        add(
            &mut z,
            "x.w.example.",
            Rtype::MX,
            &[vec![0, 1], wire("xx.example.")].concat(),
        );
        add(
            &mut z,
            "x.y.w.example.",
            Rtype::MX,
            &[vec![0, 1], wire("xx.example.")].concat(),
        );
        add(&mut z, "xx.example.", Rtype::A, &[192, 0, 2, 10]);
        add(
            &mut z,
            "xx.example.",
            Rtype::HINFO,
            b"\x06KLH-10\x07TOPS-20",
        );
        add(
            &mut z,
            "xx.example.",
            Rtype::AAAA,
            &[
                0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xf, 0, 0xba, 0xaa,
            ],
        );
        let expected: &[(&str, &str, &[u16])] = &[
            ("example.", "a.example.", &[2, 6, 15, 46, 47, 48]),
            ("a.example.", "ai.example.", &[2, 43, 46, 47]),
            ("ai.example.", "b.example.", &[1, 13, 28, 46, 47]),
            ("b.example.", "ns1.example.", &[2, 46, 47]),
            ("ns1.example.", "ns2.example.", &[1, 46, 47]),
            ("ns2.example.", "*.w.example.", &[1, 46, 47]),
            ("*.w.example.", "x.w.example.", &[15, 46, 47]),
            ("x.w.example.", "x.y.w.example.", &[15, 46, 47]),
            ("x.y.w.example.", "xx.example.", &[15, 46, 47]),
            ("xx.example.", "example.", &[1, 13, 28, 46, 47]),
        ];
        let chain = generate_nsec_chain(&z, Ttl(3600));
        assert_eq!(chain.len(), expected.len());
        for (set, (owner, next, types)) in chain.iter().zip(expected) {
            assert_eq!(set.owner.to_string(), *owner);
            let r = set.rdatas[0].as_bytes();
            let n = zones::rdata::name_len_at(r, 0).unwrap();
            assert_eq!(&r[..n], wire(next).as_slice(), "{owner}");
            let bitmap = parse_type_bitmap(&r[n..]).unwrap();
            assert_eq!(bitmap, types.iter().copied().collect(), "{owner}");
        }
    }
}
