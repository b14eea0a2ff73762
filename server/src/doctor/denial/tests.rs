//! The proofs against chains the signer crate builds for a small mail zone: each check passes
//! with the records a server would send and fails with one taken away, one that does not
//! cover the name, or a bitmap that has the type.

use std::str::FromStr;

use signer::nsec::generate_nsec_chain;
use signer::nsec3::{Nsec3Params, generate_nsec3_chain};
use zones::{Class, Rdata, Record, Ttl, Zone};

use super::*;

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

fn name(s: &str) -> Name {
    Name::from_str(s).unwrap()
}

/// example.: apex, an MX host with its TLSA RRset, and a wildcard below w (so that w is an
/// empty non-terminal).
fn zone() -> Zone {
    let mut z = Zone::new(name("example."), Class::IN);
    let mut add = |owner: &str, rtype: Rtype, rdata: Vec<u8>| {
        z.insert(Record {
            owner: name(owner),
            rtype,
            class: Class::IN,
            ttl: Ttl(3600),
            rdata: Rdata::from(rdata),
        });
    };
    let mut soa = wire("ns1.example.");
    soa.extend(wire("hostmaster.example."));
    soa.extend([0u8; 20]);
    add("example.", Rtype::SOA, soa);
    add("example.", Rtype::NS, wire("ns1.example."));
    add(
        "example.",
        Rtype::MX,
        [vec![0, 10], wire("mx.example.")].concat(),
    );
    add("example.", Rtype::DNSKEY, vec![1, 1, 3, 13, 1]);
    add("ns1.example.", Rtype::A, vec![192, 0, 2, 53]);
    add("mx.example.", Rtype::A, vec![192, 0, 2, 25]);
    add("_25._tcp.mx.example.", Rtype::TLSA, vec![3, 1, 1, 0xab]);
    add("*.w.example.", Rtype::TXT, b"\x04wild".to_vec());
    z
}

fn nsec_chain() -> Vec<Rrset> {
    generate_nsec_chain(&zone(), Ttl(300))
}

fn nsec3_chain() -> Vec<Rrset> {
    nsec3_chain_of(zone(), false)
}

fn nsec3_chain_of(mut z: Zone, opt_out: bool) -> Vec<Rrset> {
    let params = Nsec3Params {
        iterations: 3,
        salt: vec![0xaa, 0xbb],
        opt_out,
    };
    z.insert(Record {
        owner: name("example."),
        rtype: Rtype::NSEC3PARAM,
        class: Class::IN,
        ttl: Ttl(0),
        rdata: params.nsec3param_rdata(),
    });
    generate_nsec3_chain(&z, &params, Ttl(300)).unwrap()
}

fn check_all(q: &str, t: Rtype, claim: Claim, chain: &[Rrset]) -> Result<(), String> {
    check(&name(q), t, claim, &chain.iter().collect::<Vec<_>>())
}

/// The chain without the records `drop` selects.
fn without(chain: &[Rrset], drop: impl Fn(&Rrset) -> bool) -> Vec<Rrset> {
    chain.iter().filter(|s| !drop(s)).cloned().collect()
}

fn nsec_covers(set: &Rrset, n: &str) -> bool {
    Nsec::parse(&set.owner, set.rdatas[0].as_bytes())
        .unwrap()
        .covers(&name(n))
}

fn nsec3_covers(set: &Rrset, n: &str) -> bool {
    Nsec3::parse(&set.owner, set.rdatas[0].as_bytes())
        .unwrap()
        .covers(&name(n), &mut Work::default())
        .unwrap()
}

fn nsec3_matches(set: &Rrset, n: &str) -> bool {
    Nsec3::parse(&set.owner, set.rdatas[0].as_bytes())
        .unwrap()
        .matches(&name(n), &mut Work::default())
        .unwrap()
}

#[test]
fn canonical_order_and_wrap_around_decide_coverage() {
    let chain = nsec_chain();
    let owners: Vec<String> = chain.iter().map(|s| s.owner.to_string()).collect();
    assert_eq!(
        owners,
        [
            "example.",
            "mx.example.",
            "_25._tcp.mx.example.",
            "ns1.example.",
            "*.w.example."
        ]
    );
    // mx < a.mx < _25._tcp.mx: a label sorts before its longer siblings' subdomains only by
    // octets ('_' 0x5f < 'a' 0x61).
    assert!(nsec_covers(&chain[2], "a.mx.example."));
    assert!(!nsec_covers(&chain[1], "a.mx.example."));
    // The last NSEC wraps round to the apex: it covers names after *.w.example.
    assert!(nsec_covers(&chain[4], "zz.example."));
    assert!(nsec_covers(&chain[4], "a.w.example."));
    assert!(!nsec_covers(&chain[4], "b.example."));
    assert!(nsec_covers(&chain[0], "b.example."));
}

#[test]
fn nsec_nodata_passes_and_fails_when_the_bitmap_has_the_type() {
    let chain = nsec_chain();
    check_all("mx.example.", Rtype::AAAA, Claim::NoData, &chain).unwrap();
    check_all("_25._tcp.mx.example.", Rtype::AAAA, Claim::NoData, &chain).unwrap();
    let e = check_all("mx.example.", Rtype::A, Claim::NoData, &chain).unwrap_err();
    assert!(e.contains("the NSEC at mx.example lists A"), "{e}");
    let e = check_all("_25._tcp.mx.example.", Rtype::TLSA, Claim::NoData, &chain).unwrap_err();
    assert!(e.contains("lists TLSA"), "{e}");
    // Only the NSEC at the name proves NODATA; without it nothing does (the others cover
    // other spans).
    let e = check_all(
        "mx.example.",
        Rtype::AAAA,
        Claim::NoData,
        &without(&chain, |s| s.owner == name("mx.example.")),
    )
    .unwrap_err();
    assert!(e.contains("no NSEC at or covering mx.example"), "{e}");
}

#[test]
fn nsec_nodata_at_an_empty_non_terminal_and_through_a_wildcard() {
    let chain = nsec_chain();
    // w.example exists only as the parent of *.w.example.
    check_all("w.example.", Rtype::A, Claim::NoData, &chain).unwrap();
    // a.w.example is answered by the wildcard, which has TXT only.
    check_all("a.w.example.", Rtype::MX, Claim::NoData, &chain).unwrap();
    let e = check_all("a.w.example.", Rtype::TXT, Claim::NoData, &chain).unwrap_err();
    assert!(e.contains("the NSEC at *.w.example lists TXT"), "{e}");
}

#[test]
fn nsec_nxdomain_needs_the_cover_and_the_wildcard_proof() {
    let chain = nsec_chain();
    // mx2.example sorts after mx.example's subtree, so _25._tcp.mx2.example lies between
    // _25._tcp.mx.example and ns1.example; its closest encloser is the apex.
    let q = "_25._tcp.mx2.example.";
    check_all(q, Rtype::TLSA, Claim::NxDomain, &chain).unwrap();
    // The covering record removed.
    let e = check_all(
        q,
        Rtype::TLSA,
        Claim::NxDomain,
        &without(&chain, |s| nsec_covers(s, q)),
    )
    .unwrap_err();
    assert!(
        e.contains("no NSEC at or covering _25._tcp.mx2.example"),
        "{e}"
    );
    // Only the covering record: *.example is not proven absent (the apex NSEC covers it).
    assert!(nsec_covers(&chain[0], "*.example."));
    let e = check_all(
        q,
        Rtype::TLSA,
        Claim::NxDomain,
        &without(&chain, |s| !nsec_covers(s, q)),
    )
    .unwrap_err();
    assert!(
        e.contains("no NSEC proves that the wildcard *.example does not exist"),
        "{e}"
    );
    // A record that does not cover the name (nor anything near it).
    let e = check_all(
        q,
        Rtype::TLSA,
        Claim::NxDomain,
        &without(&chain, |s| s.owner != name("example.")),
    )
    .unwrap_err();
    assert!(e.contains("no NSEC at or covering"), "{e}");
    // A name the wildcard answers cannot be NXDOMAIN; nor can one with an NSEC.
    let e = check_all("a.w.example.", Rtype::A, Claim::NxDomain, &chain).unwrap_err();
    assert!(e.contains("proves a wildcard exists"), "{e}");
    let e = check_all("mx.example.", Rtype::A, Claim::NxDomain, &chain).unwrap_err();
    assert!(e.contains("proves the name exists"), "{e}");
    // NODATA for a name that is covered, with no wildcard at its closest encloser, fails.
    let e = check_all(q, Rtype::TLSA, Claim::NoData, &chain).unwrap_err();
    assert!(
        e.contains("does not exist, yet the answer is NODATA"),
        "{e}"
    );
}

#[test]
fn nsec3_nodata_passes_and_fails_when_the_bitmap_has_the_type() {
    let chain = nsec3_chain();
    check_all("mx.example.", Rtype::AAAA, Claim::NoData, &chain).unwrap();
    check_all("_25._tcp.mx.example.", Rtype::AAAA, Claim::NoData, &chain).unwrap();
    // The empty non-terminals _tcp.mx and w have NSEC3 records of their own.
    check_all("_tcp.mx.example.", Rtype::TLSA, Claim::NoData, &chain).unwrap();
    check_all("w.example.", Rtype::A, Claim::NoData, &chain).unwrap();
    let e = check_all("_25._tcp.mx.example.", Rtype::TLSA, Claim::NoData, &chain).unwrap_err();
    assert!(
        e.contains("the NSEC3 of _25._tcp.mx.example lists TLSA"),
        "{e}"
    );
    // Without the matching NSEC3 the NODATA is not proven.
    let e = check_all(
        "mx.example.",
        Rtype::AAAA,
        Claim::NoData,
        &without(&chain, |s| nsec3_matches(s, "mx.example.")),
    )
    .unwrap_err();
    assert!(e.contains("no NSEC3 matches mx.example"), "{e}");
}

#[test]
fn nsec3_wildcard_nodata_needs_the_closest_encloser_proof_and_the_wildcard_match() {
    let chain = nsec3_chain();
    check_all("a.w.example.", Rtype::MX, Claim::NoData, &chain).unwrap();
    let e = check_all("a.w.example.", Rtype::TXT, Claim::NoData, &chain).unwrap_err();
    assert!(e.contains("the NSEC3 of *.w.example lists TXT"), "{e}");
    let e = check_all(
        "a.w.example.",
        Rtype::MX,
        Claim::NoData,
        &without(&chain, |s| nsec3_matches(s, "*.w.example.")),
    )
    .unwrap_err();
    // That record also covers a.w.example here, so the closest encloser proof is named.
    assert!(
        e.contains("nor the wildcard *.w.example")
            || e.contains("no NSEC3 covers the next closer name a.w.example"),
        "{e}"
    );
}

#[test]
fn nsec3_nxdomain_needs_encloser_next_closer_and_wildcard() {
    let chain = nsec3_chain();
    // Two levels below an existing name: closest encloser mx.example, next closer
    // x.mx.example, wildcard *.mx.example.
    let q = "_25._tcp.x.mx.example.";
    check_all(q, Rtype::TLSA, Claim::NxDomain, &chain).unwrap();
    // Each of the three parts removed in turn.
    let e = check_all(
        q,
        Rtype::TLSA,
        Claim::NxDomain,
        &without(&chain, |s| nsec3_covers(s, "x.mx.example.")),
    )
    .unwrap_err();
    assert!(
        e.contains("no NSEC3 covers the next closer name x.mx.example"),
        "{e}"
    );
    let e = check_all(
        q,
        Rtype::TLSA,
        Claim::NxDomain,
        &without(&chain, |s| nsec3_covers(s, "*.mx.example.")),
    )
    .unwrap_err();
    // (If the same record covers both, the next closer is named first.)
    assert!(
        e.contains("no NSEC3 covers the wildcard *.mx.example")
            || e.contains("no NSEC3 covers the next closer name"),
        "{e}"
    );
    let e = check_all(
        q,
        Rtype::TLSA,
        Claim::NxDomain,
        &without(&chain, |s| nsec3_matches(s, "mx.example.")),
    )
    .unwrap_err();
    // Without mx.example's NSEC3 the proof falls back to the apex as closest encloser,
    // whose next closer name mx.example is not covered (it exists).
    assert!(
        e.contains("no NSEC3 covers the next closer name mx.example"),
        "{e}"
    );
    // A record that covers neither.
    let only = without(&chain, |s| {
        nsec3_covers(s, "x.mx.example.") || nsec3_matches(s, "mx.example.")
    });
    assert!(check_all(q, Rtype::TLSA, Claim::NxDomain, &only).is_err());
    // A wildcard that exists makes NXDOMAIN impossible; a matching NSEC3 too.
    let e = check_all("a.w.example.", Rtype::A, Claim::NxDomain, &chain).unwrap_err();
    assert!(
        e.contains("the NSEC3 of the wildcard *.w.example proves it exists"),
        "{e}"
    );
    let e = check_all("mx.example.", Rtype::A, Claim::NxDomain, &chain).unwrap_err();
    assert!(e.contains("proves the name exists"), "{e}");
}

#[test]
fn an_opt_out_span_proves_no_ds_at_an_unsigned_delegation_and_nothing_else() {
    let mut z = zone();
    z.insert(Record {
        owner: name("insecure.example."),
        rtype: Rtype::NS,
        class: Class::IN,
        ttl: Ttl(3600),
        rdata: Rdata::from(wire("ns.elsewhere.")),
    });
    let q = "insecure.example.";
    // Without Opt-Out the delegation has its own NSEC3 (NS, no DS).
    let plain = nsec3_chain_of(z.clone(), false);
    check_all(q, Rtype::DS, Claim::NoData, &plain).unwrap();
    let e = check_all(q, Rtype::A, Claim::NoData, &plain).unwrap_err();
    assert!(e.contains("the parent's record of a delegation"), "{e}");
    // With Opt-Out it has none; the span covering it carries the flag.
    let opt_out = nsec3_chain_of(z, true);
    assert!(!opt_out.iter().any(|s| nsec3_matches(s, q)));
    check_all(q, Rtype::DS, Claim::NoData, &opt_out).unwrap();
    let e = check_all(q, Rtype::A, Claim::NoData, &opt_out).unwrap_err();
    assert!(e.contains("no NSEC3 matches insecure.example"), "{e}");
    // The same records with the flag cleared prove nothing.
    let cleared: Vec<Rrset> = opt_out
        .iter()
        .map(|s| {
            let mut rdata = s.rdatas[0].as_bytes().to_vec();
            rdata[1] = 0;
            let mut set = Rrset::new(s.owner.clone(), s.rtype, s.class, s.ttl);
            set.insert(Rdata::from(rdata));
            set
        })
        .collect();
    let e = check_all(q, Rtype::DS, Claim::NoData, &cleared).unwrap_err();
    assert!(e.contains("no NSEC3 matches insecure.example"), "{e}");
}

#[test]
fn nsec3_hash_comparison_wraps_round_at_the_end_of_the_chain() {
    let chain = nsec3_chain();
    let last = chain.last().unwrap();
    let r = Nsec3::parse(&last.owner, last.rdatas[0].as_bytes()).unwrap();
    assert!(r.next < r.hash);
    assert!(between(&r.hash[..], &r.next[..], &[0xff; 20][..]));
    assert!(between(&r.hash[..], &r.next[..], &[0x00; 20][..]));
    assert!(!between(&r.hash[..], &r.next[..], &r.hash[..]));
}

//------------ daned's own answers -------------------------------------------

/// The proofs daned's answer path sends (signed snapshot, `crate::answer::respond`), parsed
/// by the doctor's own response parser, pass; a proof sent for another name does not.
mod answers {
    use std::sync::Arc;

    use signer::{Algorithm, KeyRole, RingSigningKey, SigningKeyEntry, SigningParams, Timestamp};
    use zones::snapshot::Catalog;

    use super::*;
    use crate::answer::{Outcome, Transport, respond};
    use crate::doctor::dns::{Answer, build_query, parse_response};

    fn catalog(denial: signer::Denial) -> Catalog {
        let key = RingSigningKey::generate(Algorithm::ECDSAP256SHA256).unwrap();
        let keys = [SigningKeyEntry::active(&key, KeyRole::Csk)];
        let params = SigningParams {
            denial,
            ..SigningParams::default()
        };
        let signed = signer::sign_zone(&zone(), &keys, &params, Timestamp(1_800_000_000)).unwrap();
        Catalog::from_snapshots(vec![Arc::new(crate::daemon::signing::snapshot(&signed))])
    }

    fn ask(cat: &Catalog, q: &str, t: Rtype) -> Answer {
        let query = build_query(0x1234, &name(q), t).unwrap();
        let mut out = Vec::new();
        assert_eq!(
            respond(cat, &query, Transport::Tcp, &mut out),
            Outcome::Reply
        );
        parse_response(&out, &name(q), t).expect("the doctor parses daned's response")
    }

    /// The claim of a response and its proof checked for `q` `t`.
    fn proves(answer: &Answer, q: &str, t: Rtype) -> Result<(), String> {
        assert!(answer.rrset(&name(q), t).is_none(), "{q} {t} has data");
        let claim = if answer.rcode == 3 {
            Claim::NxDomain
        } else {
            Claim::NoData
        };
        check(
            &name(q),
            t,
            claim,
            &answer.authority.iter().collect::<Vec<_>>(),
        )
    }

    fn denials() -> [signer::Denial; 2] {
        [
            signer::Denial::Nsec,
            signer::Denial::Nsec3(Nsec3Params::default()),
        ]
    }

    #[test]
    fn every_kind_of_negative_answer_daned_sends_proves_itself() {
        for denial in denials() {
            let cat = catalog(denial.clone());
            for (q, t, nx) in [
                ("mx.example.", Rtype::AAAA, false),
                ("_25._tcp.mx.example.", Rtype::AAAA, false),
                ("_tcp.mx.example.", Rtype::TLSA, false),
                ("w.example.", Rtype::A, false),
                ("a.w.example.", Rtype::MX, false),
                ("_25._tcp.mx2.example.", Rtype::TLSA, true),
                ("_25._tcp.x.mx.example.", Rtype::TLSA, true),
                ("nope.example.", Rtype::MX, true),
            ] {
                let a = ask(&cat, q, t);
                assert_eq!(a.rcode == 3, nx, "{denial:?} {q} {t}");
                proves(&a, q, t).unwrap_or_else(|e| panic!("{denial:?} {q} {t}: {e}"));
            }
        }
    }

    #[test]
    fn a_proof_replayed_for_another_name_or_type_fails() {
        for denial in denials() {
            let cat = catalog(denial.clone());
            // The NODATA for mx AAAA does not prove that mx has no A, nor anything about
            // the TLSA name.
            let a = ask(&cat, "mx.example.", Rtype::AAAA);
            assert!(proves(&a, "mx.example.", Rtype::A).is_err(), "{denial:?}");
            assert!(
                proves(&a, "_25._tcp.mx.example.", Rtype::TLSA).is_err(),
                "{denial:?}"
            );
            // An NXDOMAIN proof for one name does not cover an existing one.
            let a = ask(&cat, "nope.example.", Rtype::MX);
            let e = check(
                &name("_25._tcp.mx.example."),
                Rtype::TLSA,
                Claim::NxDomain,
                &a.authority.iter().collect::<Vec<_>>(),
            )
            .unwrap_err();
            assert!(!e.is_empty());
        }
    }
}

//------------ RFC 5155 appendix B -------------------------------------------

/// The NSEC3 responses of RFC 5155 appendix B over the appendix A zone (Opt-Out, 12
/// iterations, salt aabbccdd), rebuilt from the chain the signer's tests reproduce.
mod rfc5155 {
    use super::*;

    /// The appendix A chain in hash order: owner label and types.
    const CHAIN: [(&str, &[u16]); 12] = [
        ("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom", &[2, 6, 15, 46, 48, 51]),
        ("2t7b4g4vsa5smi47k61mv5bv1a22bojr", &[1, 46]),
        ("2vptu5timamqttgl4luu9kg21e0aor3s", &[15, 46]),
        ("35mthgpgcu1qg68fab165klnsnk3dpvl", &[2, 43, 46]),
        ("b4um86eghhds6nea196smvmlo4ors995", &[15, 46]),
        ("gjeqe526plbf1g8mklp59enfd789njgi", &[1, 13, 28, 46]),
        ("ji6neoaepv8b5o6k4ev33abha8ht9fgc", &[]),
        ("k8udemvp1j2f7eg6jebps17vp3n8i58h", &[]),
        ("kohar7mbb8dc2ce8a9qvl8hon4k53uhi", &[1, 46]),
        ("q04jkcevqvmu85r014c7dkba38o0ji5r", &[1, 46]),
        ("r53bq7cc2uvmubfu5ocmm6pers9tk9en", &[15, 46]),
        ("t644ebqk9bibcna874givr6joj62mlhv", &[1, 13, 28, 46]),
    ];

    /// The NSEC3 RRsets whose owner labels start with `prefixes`.
    fn records(prefixes: &[&str]) -> Vec<Rrset> {
        let mut out = Vec::new();
        for (i, (label, types)) in CHAIN.iter().enumerate() {
            if !prefixes.iter().any(|p| label.starts_with(p)) {
                continue;
            }
            let next = data_encoding::BASE32_DNSSEC
                .decode(CHAIN[(i + 1) % CHAIN.len()].0.as_bytes())
                .unwrap();
            let mut rdata = vec![1, 1, 0, 12, 4, 0xaa, 0xbb, 0xcc, 0xdd, 20];
            rdata.extend(next);
            rdata.extend(zones::bitmap::encode(types.iter().copied()));
            let mut set = Rrset::new(
                name(&format!("{label}.example.")),
                Rtype::NSEC3,
                Class::IN,
                Ttl(3600),
            );
            set.insert(Rdata::from(rdata));
            out.push(set);
        }
        assert_eq!(out.len(), prefixes.len());
        out
    }

    #[test]
    fn b_1_name_error() {
        // Closest encloser x.w.example (b4um86), next closer c.x.w.example covered by 0p9mha,
        // wildcard *.x.w.example covered by 35mthg.
        let proof = records(&["0p9m", "b4um", "35mt"]);
        check_all("a.c.x.w.example.", Rtype::A, Claim::NxDomain, &proof).unwrap();
        for drop in ["0p9m", "b4um", "35mt"] {
            let fewer = without(&proof, |s| s.owner.to_string().starts_with(drop));
            assert!(
                check_all("a.c.x.w.example.", Rtype::A, Claim::NxDomain, &fewer).is_err(),
                "without {drop}"
            );
        }
    }

    #[test]
    fn b_2_no_data_and_b_2_1_at_an_empty_non_terminal() {
        check_all(
            "ns1.example.",
            Rtype::MX,
            Claim::NoData,
            &records(&["2t7b"]),
        )
        .unwrap();
        let e =
            check_all("ns1.example.", Rtype::A, Claim::NoData, &records(&["2t7b"])).unwrap_err();
        assert!(e.contains("lists A"), "{e}");
        check_all("y.w.example.", Rtype::A, Claim::NoData, &records(&["ji6n"])).unwrap();
    }

    #[test]
    fn b_5_wildcard_no_data() {
        // Closest encloser w.example (k8udem), next closer z.w.example covered by q04jkc,
        // the wildcard *.w.example (r53bq7) without AAAA.
        let proof = records(&["k8ud", "q04j", "r53b"]);
        check_all("a.z.w.example.", Rtype::AAAA, Claim::NoData, &proof).unwrap();
        let e = check_all("a.z.w.example.", Rtype::MX, Claim::NoData, &proof).unwrap_err();
        assert!(e.contains("*.w.example lists MX"), "{e}");
    }
}
