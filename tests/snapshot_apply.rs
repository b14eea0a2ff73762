//! `ZoneSnapshot::apply` answers every query exactly as a snapshot built from scratch: random
//! changes (new and existing names, deep names, delegations with glue, MX and SRV targets and
//! their address records, wildcards, DNAME) to a zone signed with NSEC3, with NSEC and not at
//! all; after each change the signed diff is applied to the previous snapshot and a fixed query
//! list (existing names, NXDOMAIN, NODATA, wildcard, referral, DS at a cut, MX with additional
//! data) is answered from both, over UDP and TCP, with and without DO, byte for byte.

use std::str::FromStr;
use std::sync::Arc;

use daned::answer::{Outcome, Transport, respond};
use signer::{Algorithm, KeyRole, RingSigningKey, SigningKeyEntry, SigningParams, Timestamp};
use zones::diff::Diff;
use zones::snapshot::{Catalog, ZoneSnapshot, name_key};
use zones::{Class, Name, Rdata, Record, Rtype, Ttl, Zone};

/// Wire form of a dotted name.
fn wire(name: &str) -> Vec<u8> {
    name_key(&Name::from_str(name).unwrap()).into_vec()
}

fn rec(owner: &str, rtype: Rtype, rdata: Vec<u8>) -> Record {
    Record {
        owner: Name::from_str(owner).unwrap(),
        rtype,
        class: Class::IN,
        ttl: Ttl(3600),
        rdata: Rdata(rdata.into()),
    }
}

/// Names the changes and the questions use.
const NAMES: &[&str] = &[
    "example.com.",
    "www.example.com.",
    "a.b.c.example.com.",
    "b.c.example.com.",
    "mx1.example.com.",
    "mx2.example.com.",
    "ns1.example.com.",
    "sub.example.com.",
    "ns.sub.example.com.",
    "x.sub.example.com.",
    "*.wild.example.com.",
    "x.wild.example.com.",
    "dn.example.com.",
    "x.dn.example.com.",
    "_sip._tcp.example.com.",
    "alias.example.com.",
];

/// The starting zone.
fn start() -> Zone {
    let mut z = Zone::new(Name::from_str("example.com.").unwrap(), Class::IN);
    let mut soa = wire("ns1.example.com.");
    soa.extend(wire("hostmaster.example.com."));
    for x in [1u32, 7200, 3600, 1209600, 300] {
        soa.extend_from_slice(&x.to_be_bytes());
    }
    z.insert(rec("example.com.", Rtype::SOA, soa));
    z.insert(rec("example.com.", Rtype::NS, wire("ns1.example.com.")));
    z.insert(rec("ns1.example.com.", Rtype::A, vec![192, 0, 2, 53]));
    let mut mx = vec![0, 10];
    mx.extend(wire("mx1.example.com."));
    z.insert(rec("example.com.", Rtype::MX, mx));
    z.insert(rec("mx1.example.com.", Rtype::A, vec![192, 0, 2, 25]));
    z.insert(rec(
        "sub.example.com.",
        Rtype::NS,
        wire("ns.sub.example.com."),
    ));
    z.insert(rec("ns.sub.example.com.", Rtype::A, vec![192, 0, 2, 3]));
    z.insert(rec("*.wild.example.com.", Rtype::TXT, vec![1, b'w']));
    z.insert(rec(
        "alias.example.com.",
        Rtype::CNAME,
        wire("www.example.com."),
    ));
    z
}

/// A tiny deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// One random change to the unsigned zone.
fn change(z: &mut Zone, rng: &mut Rng) {
    let owner = NAMES[rng.below(NAMES.len())];
    let target = wire(NAMES[rng.below(NAMES.len())]);
    let n = rng.below(3) as u8;
    let with = |prefix: &[u8]| [prefix, &target].concat();
    let r = match rng.below(10) {
        0 | 1 => rec(owner, Rtype::A, vec![192, 0, 2, n]),
        2 => rec(owner, Rtype::AAAA, [0x20, 1, 0xd, n].repeat(4)),
        3 => rec(owner, Rtype::MX, with(&[0, n])),
        4 => rec(owner, Rtype::NS, with(&[])),
        5 => rec(owner, Rtype::SRV, with(&[0, 1, 0, 2, 0, 25])),
        6 => rec(owner, Rtype::TXT, vec![1, b'a' + n]),
        7 if owner == "dn.example.com." => rec(owner, Rtype::DNAME, with(&[])),
        9 => {
            // The address records of a name go away (an NS or MX target loses its glue).
            let name = Name::from_str(owner).unwrap();
            z.remove(&name, Rtype::A, 0);
            z.remove(&name, Rtype::AAAA, 0);
            return;
        }
        _ => {
            let records: Vec<Record> = z.records().filter(|r| r.rtype != Rtype::SOA).collect();
            if let Some(r) = records.get(rng.below(records.len().max(1))) {
                let key = (r.owner.to_lowercase(), u16::from(r.rtype), 0);
                if let Some(set) = z.rrsets.get_mut(&key) {
                    set.rdatas.retain(|x| x != &r.rdata);
                    if set.rdatas.is_empty() {
                        z.rrsets.remove(&key);
                    }
                }
            }
            return;
        }
    };
    z.insert(r);
}

/// Sets the SOA serial.
fn set_serial(z: &mut Zone, serial: u32) {
    let origin = z.origin.clone();
    let mut soa = z.remove(&origin, Rtype::SOA, 0).unwrap();
    let rd = &mut soa.rdatas[0].0;
    let at = rd.len() - 20;
    rd[at..at + 4].copy_from_slice(&serial.to_be_bytes());
    z.insert(soa.records().next().unwrap());
}

/// A query for `name`/`qtype`, with an OPT record and DO when asked.
fn query(name: &str, qtype: Rtype, dnssec_ok: bool) -> Vec<u8> {
    let mut p = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
    p.extend(wire(name));
    p.extend_from_slice(&u16::from(qtype).to_be_bytes());
    p.extend_from_slice(&[0, 1, 0, 0, 41, 0x04, 0xd0, 0, 0]);
    p.extend_from_slice(&[if dnssec_ok { 0x80 } else { 0 }, 0, 0, 0]);
    p
}

/// The fixed query list: every name of the pool and a few that never exist, for the types
/// that exercise each rule.
fn queries() -> Vec<Vec<u8>> {
    let names = NAMES.iter().copied().chain([
        "nope.example.com.",
        "q.a.b.c.example.com.",
        "deep.x.dn.example.com.",
    ]);
    let mut out = Vec::new();
    for name in names {
        for qtype in [
            Rtype::A,
            Rtype::MX,
            Rtype::NS,
            Rtype::DS,
            Rtype::TXT,
            Rtype::SRV,
            Rtype::ANY,
        ] {
            for dnssec_ok in [false, true] {
                out.push(query(name, qtype, dnssec_ok));
            }
        }
    }
    out
}

/// Every answer of `catalog` to the query list, over UDP and TCP.
fn answers(catalog: &Catalog, queries: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    for q in queries {
        for transport in [Transport::Udp, Transport::Tcp] {
            let mut out = Vec::new();
            assert_eq!(respond(catalog, q, transport, &mut out), Outcome::Reply);
            all.push(out);
        }
    }
    all
}

#[test]
fn applied_snapshots_answer_exactly_as_built_ones() {
    let key = RingSigningKey::generate(Algorithm::ED25519).unwrap();
    let keys = [SigningKeyEntry::active(&key, KeyRole::Csk)];
    let hasher = Some(signer::nsec3::nsec3_hash_wire as zones::snapshot::Nsec3Hasher);
    let queries = queries();
    for denial in [
        Some(signer::Denial::Nsec),
        None,
        Some(signer::Denial::Nsec3(Default::default())),
    ] {
        let mut params = SigningParams::default();
        let sign = |z: &Zone, params: &SigningParams| match denial {
            None => z.clone(),
            Some(_) => signer::sign_zone(z, &keys, params, Timestamp(1_800_000_000)).unwrap(),
        };
        if let Some(d) = &denial {
            params.denial = d.clone();
        }
        for seed in 1..=3u64 {
            let mut rng = Rng(0x5eed_1234_abcd_0001 ^ (seed << 32));
            let mut unsigned = start();
            let mut signed = Arc::new(sign(&unsigned, &params));
            let mut snapshot = ZoneSnapshot::build_with(&signed, hasher);
            for step in 0..40u32 {
                for _ in 0..=rng.below(3) {
                    change(&mut unsigned, &mut rng);
                }
                set_serial(&mut unsigned, step + 2);
                let next = Arc::new(sign(&unsigned, &params));
                let diff = Diff::between(&signed, &next).unwrap();
                let applied = snapshot.apply(&next, &diff);
                let built = ZoneSnapshot::build_with(&next, hasher);
                let got = answers(
                    &Catalog::from_snapshots(vec![Arc::new(applied.clone())]),
                    &queries,
                );
                let want = answers(&Catalog::from_snapshots(vec![Arc::new(built)]), &queries);
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(g, w, "{denial:?} seed {seed} step {step}, query {}", i / 2);
                }
                signed = next;
                snapshot = applied;
            }
        }
    }
}
