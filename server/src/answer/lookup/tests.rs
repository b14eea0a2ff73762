//! Unit tests of the lookup, one per rule of RFC 1034 section 4.3.2 and its successors.
//! Responses are decoded with hickory-proto, an independent parser.

use std::str::FromStr;
use std::sync::Arc;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::Record as HRecord;
use zones::snapshot::Catalog;
use zones::{Class, Name, Rdata, Record, Rtype, Ttl, Zone};

use crate::answer::{Outcome, Transport, respond};

/// Wire form of a dotted name.
fn wire(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

fn rec(owner: &str, rtype: Rtype, ttl: u32, rdata: Vec<u8>) -> Record {
    Record {
        owner: Name::from_str(owner).unwrap(),
        rtype,
        class: Class::IN,
        ttl: Ttl(ttl),
        rdata: Rdata(rdata.into()),
    }
}

fn mx(pref: u16, target: &str) -> Vec<u8> {
    let mut v = pref.to_be_bytes().to_vec();
    v.extend(wire(target));
    v
}

fn txt(s: &str) -> Vec<u8> {
    let mut v = vec![s.len() as u8];
    v.extend_from_slice(s.as_bytes());
    v
}

fn soa() -> Vec<u8> {
    let mut v = wire("ns1.example.com.");
    v.extend(wire("hostmaster.example.com."));
    for x in [2026112301u32, 7200, 3600, 1209600, 300] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v
}

/// The test zone: every rule below has a name here.
fn example() -> Zone {
    let mut z = Zone::new(Name::from_str("example.com.").unwrap(), Class::IN);
    let a = |o: &str, ip: [u8; 4]| rec(o, Rtype::A, 3600, ip.to_vec());
    for r in [
        rec("example.com.", Rtype::SOA, 3600, soa()),
        rec("example.com.", Rtype::NS, 3600, wire("ns1.example.com.")),
        rec("example.com.", Rtype::NS, 3600, wire("ns.other.net.")),
        rec("example.com.", Rtype::MX, 3600, mx(10, "MX1.example.com.")),
        rec("example.com.", Rtype::TXT, 3600, txt("v=spf1 mx -all")),
        a("ns1.example.com.", [192, 0, 2, 53]),
        a("mx1.example.com.", [192, 0, 2, 25]),
        rec(
            "mx1.example.com.",
            Rtype::AAAA,
            3600,
            [0x20, 1, 0xd, 0xb8].repeat(4),
        ),
        a("www.example.com.", [192, 0, 2, 80]),
        rec(
            "alias.example.com.",
            Rtype::CNAME,
            300,
            wire("alias2.example.com."),
        ),
        rec(
            "alias2.example.com.",
            Rtype::CNAME,
            300,
            wire("www.example.com."),
        ),
        rec(
            "dangling.example.com.",
            Rtype::CNAME,
            300,
            wire("nowhere.example.com."),
        ),
        rec(
            "out.example.com.",
            Rtype::CNAME,
            300,
            wire("www.example.net."),
        ),
        rec(
            "loop1.example.com.",
            Rtype::CNAME,
            300,
            wire("loop2.example.com."),
        ),
        rec(
            "loop2.example.com.",
            Rtype::CNAME,
            300,
            wire("loop1.example.com."),
        ),
        a("a.b.c.example.com.", [192, 0, 2, 1]),
        rec("*.wild.example.com.", Rtype::TXT, 60, txt("wild")),
        a("host.wild.example.com.", [192, 0, 2, 9]),
        a("deep.sub2.wild.example.com.", [192, 0, 2, 10]),
        rec(
            "*.cw.example.com.",
            Rtype::CNAME,
            60,
            wire("www.example.com."),
        ),
        rec(
            "sub.example.com.",
            Rtype::NS,
            86400,
            wire("ns.sub.example.com."),
        ),
        rec(
            "sub.example.com.",
            Rtype::DS,
            86400,
            vec![0x12, 0x34, 13, 2, 0xab, 0xcd],
        ),
        a("ns.sub.example.com.", [192, 0, 2, 54]),
        rec("ext.example.com.", Rtype::NS, 86400, wire("ns.other.net.")),
        rec("d.example.com.", Rtype::DNAME, 600, wire("example.net.")),
        rec(
            "in.example.com.",
            Rtype::DNAME,
            600,
            wire("wild.example.com."),
        ),
        rec(
            "_25._tcp.mx1.example.com.",
            Rtype::TLSA,
            3600,
            vec![3, 1, 1, 0xaa, 0xbb],
        ),
    ] {
        z.insert(r);
    }
    for i in 0..40 {
        z.insert(rec(
            "big.example.com.",
            Rtype::TXT,
            60,
            txt(&format!("{i:02}-{}", "x".repeat(40))),
        ));
    }
    z
}

fn catalog() -> Catalog {
    Catalog::new(vec![Arc::new(example())])
}

fn query_bytes(name: &str, qtype: u16, edns: Option<u16>) -> Vec<u8> {
    let mut p = vec![
        0xbe,
        0xef,
        0x01,
        0x00,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        u8::from(edns.is_some()),
    ];
    p.extend(wire(name));
    p.extend_from_slice(&qtype.to_be_bytes());
    p.extend_from_slice(&1u16.to_be_bytes());
    if let Some(size) = edns {
        p.extend_from_slice(&[0, 0, 41]);
        p.extend_from_slice(&size.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    }
    p
}

fn ask_bytes(packet: &[u8], transport: Transport) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match respond(&catalog(), packet, transport, &mut out) {
        Outcome::Reply => Some(out),
        _ => None,
    }
}

fn ask(name: &str, qtype: Rtype) -> Message {
    let bytes = ask_bytes(
        &query_bytes(name, u16::from(qtype), Some(1232)),
        Transport::Udp,
    )
    .expect("a reply");
    Message::from_vec(&bytes).expect("hickory parses our response")
}

fn texts(records: &[HRecord]) -> Vec<String> {
    let mut v: Vec<String> = records
        .iter()
        .map(|r| r.to_string().to_lowercase())
        .collect();
    v.sort();
    v
}

fn types(records: &[HRecord]) -> Vec<Rtype> {
    records.iter().map(|r| r.record_type()).collect()
}

#[test]
fn a_positive_answer_is_authoritative_and_has_no_authority() {
    let m = ask("www.example.com.", Rtype::A);
    assert!(m.metadata.authoritative);
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert_eq!(texts(&m.answers), ["www.example.com. 3600 in a 192.0.2.80"]);
    assert!(m.authorities.is_empty());
}

#[test]
fn nxdomain_carries_the_soa_with_the_negative_ttl() {
    let m = ask("nope.example.com.", Rtype::A);
    assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    assert!(m.metadata.authoritative);
    assert!(m.answers.is_empty());
    assert_eq!(types(&m.authorities), [Rtype::SOA]);
    assert_eq!(m.authorities[0].ttl, 300);
}

#[test]
fn nodata_is_noerror_with_the_soa() {
    let m = ask("www.example.com.", Rtype::AAAA);
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.answers.is_empty());
    assert_eq!(types(&m.authorities), [Rtype::SOA]);
}

#[test]
fn empty_non_terminals_are_nodata_not_nxdomain() {
    for name in ["c.example.com.", "b.c.example.com."] {
        let m = ask(name, Rtype::A);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError, "{name}");
        assert_eq!(types(&m.authorities), [Rtype::SOA]);
    }
}

#[test]
fn cname_chains_are_followed_inside_the_zone() {
    let m = ask("alias.example.com.", Rtype::A);
    assert_eq!(types(&m.answers), [Rtype::CNAME, Rtype::CNAME, Rtype::A]);
    assert!(m.metadata.authoritative);
}

#[test]
fn a_cname_to_a_missing_name_gives_nxdomain_with_the_cname() {
    let m = ask("dangling.example.com.", Rtype::A);
    assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(types(&m.answers), [Rtype::CNAME]);
    assert_eq!(types(&m.authorities), [Rtype::SOA]);
}

#[test]
fn a_cname_leaving_the_zone_ends_the_answer() {
    let m = ask("out.example.com.", Rtype::A);
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert_eq!(types(&m.answers), [Rtype::CNAME]);
    assert!(m.authorities.is_empty());
}

#[test]
fn cname_loops_end() {
    let m = ask("loop1.example.com.", Rtype::A);
    assert!(m.answers.len() <= super::MAX_CHAIN);
    assert!(!m.answers.is_empty());
}

#[test]
fn a_cname_query_returns_the_cname_itself() {
    let m = ask("alias.example.com.", Rtype::CNAME);
    assert_eq!(types(&m.answers), [Rtype::CNAME]);
}

#[test]
fn wildcards_synthesize_the_question_name() {
    let m = ask("anything.wild.example.com.", Rtype::TXT);
    assert_eq!(
        texts(&m.answers),
        ["anything.wild.example.com. 60 in txt wild"]
    );
    assert!(m.metadata.authoritative);
}

#[test]
fn wildcards_do_not_match_existing_names_or_their_empty_parents() {
    let m = ask("host.wild.example.com.", Rtype::TXT);
    assert!(m.answers.is_empty());
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    let m = ask("sub2.wild.example.com.", Rtype::TXT);
    assert!(m.answers.is_empty(), "sub2 is an empty non-terminal");
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    // Below an existing name the wildcard does not apply (RFC 4592 section 2.2.1).
    let m = ask("x.host.wild.example.com.", Rtype::TXT);
    assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
}

#[test]
fn wildcard_nodata_is_noerror() {
    let m = ask("other.wild.example.com.", Rtype::A);
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert_eq!(types(&m.authorities), [Rtype::SOA]);
}

#[test]
fn wildcard_cnames_are_followed() {
    let m = ask("x.cw.example.com.", Rtype::A);
    assert_eq!(
        texts(&m.answers),
        [
            "www.example.com. 3600 in a 192.0.2.80",
            "x.cw.example.com. 60 in cname www.example.com."
        ]
    );
}

#[test]
fn referrals_carry_ns_and_glue_without_aa() {
    for name in [
        "sub.example.com.",
        "deep.below.sub.example.com.",
        "ns.sub.example.com.",
    ] {
        let m = ask(name, Rtype::A);
        assert!(!m.metadata.authoritative, "{name}");
        assert!(m.answers.is_empty());
        assert_eq!(
            texts(&m.authorities),
            ["sub.example.com. 86400 in ns ns.sub.example.com."]
        );
        assert_eq!(
            texts(&m.additionals),
            ["ns.sub.example.com. 3600 in a 192.0.2.54"]
        );
    }
}

#[test]
fn out_of_bailiwick_referrals_have_no_glue() {
    let m = ask("www.ext.example.com.", Rtype::A);
    assert_eq!(types(&m.authorities), [Rtype::NS]);
    assert!(m.additionals.is_empty());
}

#[test]
fn ds_is_answered_from_the_parent_side_of_the_cut() {
    let m = ask("sub.example.com.", Rtype::DS);
    assert!(m.metadata.authoritative);
    assert_eq!(types(&m.answers), [Rtype::DS]);
    let m = ask("ext.example.com.", Rtype::DS);
    assert!(m.metadata.authoritative);
    assert!(m.answers.is_empty());
    assert_eq!(types(&m.authorities), [Rtype::SOA]);
}

#[test]
fn dname_substitutes_and_synthesizes_a_cname() {
    let m = ask("www.d.example.com.", Rtype::A);
    // hickory 0.26 has no DNAME rdata type: compare the DNAME's rdata as bytes.
    assert_eq!(types(&m.answers), [Rtype::DNAME, Rtype::CNAME]);
    let hickory_proto::rr::RData::Unknown { rdata, .. } = &m.answers[0].data else {
        panic!("hickory decodes DNAME as unknown rdata");
    };
    assert_eq!(rdata.anything, wire("example.net."));
    assert_eq!(
        texts(&m.answers[1..]),
        ["www.d.example.com. 600 in cname www.example.net."]
    );
    // The DNAME owner itself is answered normally.
    let m = ask("d.example.com.", Rtype::A);
    assert!(m.answers.is_empty());
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
}

#[test]
fn a_dname_into_the_same_zone_is_followed() {
    let m = ask("x.in.example.com.", Rtype::TXT);
    assert_eq!(types(&m.answers), [Rtype::DNAME, Rtype::CNAME, Rtype::TXT]);
}

#[test]
fn mx_answers_carry_the_target_addresses() {
    let m = ask("example.com.", Rtype::MX);
    assert_eq!(types(&m.answers), [Rtype::MX]);
    let mut t = types(&m.additionals);
    t.sort_by_key(|t| u16::from(*t));
    assert_eq!(t, [Rtype::A, Rtype::AAAA]);
}

#[test]
fn ns_answers_carry_in_zone_addresses_only() {
    let m = ask("example.com.", Rtype::NS);
    assert_eq!(m.answers.len(), 2);
    assert_eq!(
        texts(&m.additionals),
        ["ns1.example.com. 3600 in a 192.0.2.53"]
    );
}

#[test]
fn names_outside_every_zone_are_refused() {
    let m = ask("www.example.org.", Rtype::A);
    assert_eq!(m.metadata.response_code, ResponseCode::Refused);
    assert!(!m.metadata.authoritative);
}

#[test]
fn the_question_keeps_the_clients_case() {
    let bytes =
        ask_bytes(&query_bytes("WwW.ExAmPle.CoM.", 1, None), Transport::Udp).expect("reply");
    let m = Message::from_vec(&bytes).unwrap();
    assert_eq!(m.queries[0].name().to_string(), "WwW.ExAmPle.CoM.");
    assert_eq!(m.answers[0].name.to_string(), "WwW.ExAmPle.CoM.");
}

#[test]
fn any_over_udp_is_minimal_and_over_tcp_complete() {
    let m = ask("example.com.", Rtype::ANY);
    let mut t = types(&m.answers);
    t.dedup();
    assert_eq!(t.len(), 1, "one RRset");
    let bytes = ask_bytes(&query_bytes("example.com.", 255, None), Transport::Tcp).unwrap();
    let m = Message::from_vec(&bytes).unwrap();
    assert!(m.answers.len() >= 5);
}

#[test]
fn large_answers_truncate_whole_rrsets_over_udp() {
    let bytes = ask_bytes(&query_bytes("big.example.com.", 16, None), Transport::Udp).unwrap();
    assert!(bytes.len() <= 512);
    let m = Message::from_vec(&bytes).unwrap();
    assert!(m.metadata.truncation);
    assert!(m.answers.is_empty(), "no partial RRset");
    let bytes = ask_bytes(
        &query_bytes("big.example.com.", 16, Some(4096)),
        Transport::Udp,
    )
    .unwrap();
    assert!(bytes.len() <= 1232);
    let bytes = ask_bytes(&query_bytes("big.example.com.", 16, None), Transport::Tcp).unwrap();
    let m = Message::from_vec(&bytes).unwrap();
    assert!(!m.metadata.truncation);
    assert_eq!(m.answers.len(), 40);
}

#[test]
fn edns_is_echoed_and_other_versions_get_badvers() {
    let m = ask("www.example.com.", Rtype::A);
    assert!(m.edns.is_some());
    let mut p = query_bytes("www.example.com.", 1, Some(1232));
    let n = p.len();
    p[n - 5] = 1; // version 1
    let m = Message::from_vec(&ask_bytes(&p, Transport::Udp).unwrap()).unwrap();
    // hickory names extended rcode 16 BADSIG (TSIG's meaning of the same number).
    assert_eq!(u16::from(m.metadata.response_code), 16);
    assert!(m.edns.is_some(), "BADVERS carries OPT");
}

#[test]
fn format_errors_and_unknown_opcodes_are_answered() {
    let mut p = query_bytes("www.example.com.", 1, None);
    p[5] = 2; // QDCOUNT 2
    let m = Message::from_vec(&ask_bytes(&p, Transport::Udp).unwrap()).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::FormErr);
    let mut p = query_bytes("www.example.com.", 1, None);
    p[2] = 0x18; // opcode 3 (unassigned); UPDATE (5) is crate::update's
    let m = Message::from_vec(&ask_bytes(&p, Transport::Udp).unwrap()).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::NotImp);
    assert_eq!(m.metadata.id, 0xbeef);
    let mut p = query_bytes("example.com.", 6, None);
    p[2] = 0x28; // opcode 5 (UPDATE): handed to the UPDATE front, not answered here
    let mut out = Vec::new();
    assert_eq!(
        respond(&catalog(), &p, Transport::Udp, &mut out),
        Outcome::Update
    );
}

#[test]
fn responses_and_runts_are_dropped() {
    let mut p = query_bytes("www.example.com.", 1, None);
    p[2] |= 0x80;
    assert!(ask_bytes(&p, Transport::Udp).is_none());
    assert!(ask_bytes(&p[..11], Transport::Udp).is_none());
}

#[test]
fn axfr_is_a_transfer_over_tcp_and_refused_over_udp() {
    let mut out = Vec::new();
    let p = query_bytes("example.com.", 252, None);
    assert_eq!(
        respond(&catalog(), &p, Transport::Tcp, &mut out),
        Outcome::Transfer {
            zone: 0,
            ixfr_serial: None,
            auth: None
        }
    );
    let m = Message::from_vec(&ask_bytes(&p, Transport::Udp).unwrap()).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::FormErr);
    let p = query_bytes("www.example.com.", 252, None);
    let m = Message::from_vec(&ask_bytes(&p, Transport::Tcp).unwrap()).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::NotAuth);
}

#[test]
fn no_garbage_packet_panics() {
    // Deterministic pseudo-random mutations of a valid query.
    let base = query_bytes("www.example.com.", 1, Some(1232));
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..20_000 {
        let mut p = base.clone();
        for _ in 0..(seed % 6 + 1) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed as usize) % p.len();
            p[i] = (seed >> 32) as u8;
        }
        let cut = (seed >> 40) as usize % (p.len() + 1);
        let _ = ask_bytes(&p[..cut], Transport::Udp);
        let _ = ask_bytes(&p, Transport::Tcp);
    }
}

//------------ DNSSEC (RFC 4035 section 3.1, RFC 5155 section 7.2) ------------

mod dnssec {
    use super::*;
    use signer::{Algorithm, KeyRole, RingSigningKey, SigningKeyEntry, SigningParams, Timestamp};

    fn signed_catalog(nsec3: bool) -> Catalog {
        let key = RingSigningKey::generate(Algorithm::ECDSAP256SHA256).unwrap();
        let keys = [SigningKeyEntry::active(&key, KeyRole::Csk)];
        let mut params = SigningParams::default();
        if !nsec3 {
            params.denial = signer::Denial::Nsec;
        }
        let signed =
            signer::sign_zone(&example(), &keys, &params, Timestamp(1_800_000_000)).unwrap();
        Catalog::from_snapshots(vec![Arc::new(crate::daemon::signing::snapshot(&signed))])
    }

    fn ask_do(cat: &Catalog, name: &str, qtype: Rtype, dnssec_ok: bool) -> Message {
        let mut p = query_bytes(name, u16::from(qtype), Some(1232));
        let n = p.len();
        if dnssec_ok {
            p[n - 4] = 0x80;
        }
        let mut out = Vec::new();
        assert_eq!(respond(cat, &p, Transport::Tcp, &mut out), Outcome::Reply);
        Message::from_vec(&out).expect("hickory parses the response")
    }

    fn count(records: &[HRecord], t: Rtype) -> usize {
        records.iter().filter(|r| r.record_type() == t).count()
    }

    #[test]
    fn positive_answers_carry_their_rrsig_only_with_do() {
        for nsec3 in [true, false] {
            let cat = signed_catalog(nsec3);
            let m = ask_do(&cat, "www.example.com.", Rtype::A, true);
            assert_eq!(types(&m.answers), [Rtype::A, Rtype::RRSIG]);
            let m = ask_do(&cat, "www.example.com.", Rtype::A, false);
            assert_eq!(types(&m.answers), [Rtype::A]);
        }
    }

    #[test]
    fn nxdomain_with_nsec3_proves_encloser_next_closer_and_wildcard() {
        let cat = signed_catalog(true);
        let m = ask_do(&cat, "a.nope.example.com.", Rtype::A, true);
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
        let nsec3 = count(&m.authorities, Rtype::NSEC3);
        assert!(
            (2..=3).contains(&nsec3),
            "closest encloser, next closer, wildcard: {nsec3}"
        );
        assert_eq!(
            count(&m.authorities, Rtype::RRSIG),
            nsec3 + 1,
            "each NSEC3 and the SOA signed"
        );
    }

    #[test]
    fn the_negative_soa_and_its_rrsig_take_the_negative_ttl_and_a_soa_query_the_full_one() {
        let cat = signed_catalog(true);
        let m = ask_do(&cat, "nope.example.com.", Rtype::A, true);
        // The SOA comes first, then the RRSIG covering it (the writer keeps a set's records
        // and signatures together).
        let soa_ttls: Vec<(Rtype, u32)> = m.authorities[..2]
            .iter()
            .map(|r| (r.record_type(), r.ttl))
            .collect();
        assert_eq!(soa_ttls, [(Rtype::SOA, 300), (Rtype::RRSIG, 300)]);
        let m = ask_do(&cat, "example.com.", Rtype::SOA, true);
        let ttls: Vec<(Rtype, u32)> = m.answers.iter().map(|r| (r.record_type(), r.ttl)).collect();
        assert_eq!(ttls, [(Rtype::SOA, 3600), (Rtype::RRSIG, 3600)]);
    }

    #[test]
    fn nxdomain_with_nsec_covers_the_name_and_the_wildcard() {
        let cat = signed_catalog(false);
        let m = ask_do(&cat, "nope.example.com.", Rtype::A, true);
        let nsec = count(&m.authorities, Rtype::NSEC);
        assert!((1..=2).contains(&nsec));
        assert_eq!(count(&m.authorities, Rtype::RRSIG), nsec + 1);
    }

    #[test]
    fn nodata_and_empty_non_terminals_carry_one_matching_record() {
        for (nsec3, t) in [(true, Rtype::NSEC3), (false, Rtype::NSEC)] {
            let cat = signed_catalog(nsec3);
            for name in ["www.example.com.", "c.example.com."] {
                let m = ask_do(&cat, name, Rtype::MX, true);
                assert_eq!(m.metadata.response_code, ResponseCode::NoError);
                assert_eq!(count(&m.authorities, t), 1, "{name} nsec3={nsec3}");
            }
        }
    }

    #[test]
    fn wildcard_answers_prove_that_no_closer_name_exists() {
        for (nsec3, t) in [(true, Rtype::NSEC3), (false, Rtype::NSEC)] {
            let cat = signed_catalog(nsec3);
            let m = ask_do(&cat, "x.wild.example.com.", Rtype::TXT, true);
            assert_eq!(types(&m.answers), [Rtype::TXT, Rtype::RRSIG]);
            assert_eq!(count(&m.authorities, t), 1);
        }
    }

    #[test]
    fn referrals_carry_signed_ds_or_the_proof_of_no_ds() {
        let cat = signed_catalog(true);
        let m = ask_do(&cat, "www.sub.example.com.", Rtype::A, true);
        assert_eq!(count(&m.authorities, Rtype::DS), 1);
        assert_eq!(count(&m.authorities, Rtype::RRSIG), 1, "DS signed, NS not");
        let m = ask_do(&cat, "www.ext.example.com.", Rtype::A, true);
        assert_eq!(count(&m.authorities, Rtype::DS), 0);
        assert_eq!(count(&m.authorities, Rtype::NSEC3), 1);
    }
}
