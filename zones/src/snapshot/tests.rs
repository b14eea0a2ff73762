//! Unit tests of the snapshot, and the check that `apply` gives what a full build gives.

use super::*;
use crate::diff::Diff;
use crate::record::{Class, Name, Rdata, Record, Rtype, Ttl};
use crate::zone::Rrset;
use crate::zone::Zone;
use core::str::FromStr;
use std::collections::BTreeSet;
use std::sync::Arc;

fn rec(owner: &str, rtype: Rtype, rdata: &[u8]) -> Record {
    Record {
        owner: Name::from_str(owner).unwrap(),
        rtype,
        class: Class::IN,
        ttl: Ttl(3600),
        rdata: Rdata(rdata.into()),
    }
}

fn soa_rdata(minimum: u32) -> Vec<u8> {
    let mut v = b"\x02ns\x07example\x00\x04host\x07example\x00".to_vec();
    for x in [7u32, 3600, 600, 86400, minimum] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v
}

fn test_zone() -> Zone {
    let mut z = Zone::new(Name::from_str("Example.").unwrap(), Class::IN);
    z.insert(rec("example.", Rtype::SOA, &soa_rdata(300)));
    z.insert(rec("example.", Rtype::NS, b"\x02ns\x07example\x00"));
    z.insert(rec("example.", Rtype::MX, b"\x00\x0a\x02MX\x07example\x00"));
    z.insert(rec("mx.example.", Rtype::A, &[192, 0, 2, 1]));
    z.insert(rec("a.b.c.example.", Rtype::A, &[192, 0, 2, 2]));
    z.insert(rec(
        "sub.example.",
        Rtype::NS,
        b"\x02ns\x03sub\x07example\x00",
    ));
    z.insert(rec("ns.sub.example.", Rtype::A, &[192, 0, 2, 3]));
    z
}

#[test]
fn empty_non_terminals_become_nodes_without_data() {
    let s = ZoneSnapshot::build(&test_zone());
    let id = s
        .lookup(b"\x01c\x07example\x00")
        .expect("c.example is an ENT");
    assert!(s.node(id).rrsets.is_empty());
    assert!(s.lookup(b"\x01b\x01c\x07example\x00").is_some());
}

#[test]
fn glue_below_a_delegation_points_at_its_cut() {
    let s = ZoneSnapshot::build(&test_zone());
    let cut = s.lookup(b"\x03sub\x07example\x00").unwrap();
    assert!(s.node(cut).delegation);
    let glue = s.lookup(b"\x02ns\x03sub\x07example\x00").unwrap();
    assert_eq!(s.node(glue).cut(), Some(cut));
    let ns = s.node(cut).rrset(u16::from(Rtype::NS)).unwrap();
    assert_eq!(ns.additional().collect::<Vec<_>>(), [(glue, true)]);
}

#[test]
fn mx_target_case_does_not_hide_its_address() {
    let s = ZoneSnapshot::build(&test_zone());
    let mx = s.apex().rrset(u16::from(Rtype::MX)).unwrap();
    assert_eq!(mx.additional().len(), 1);
}

#[test]
fn negative_soa_ttl_is_the_minimum_of_ttl_and_minimum_field() {
    let s = ZoneSnapshot::build(&test_zone());
    let (soa, ttl) = s.negative_soa().unwrap();
    assert_eq!(soa.ttl, 3600);
    assert_eq!(ttl, 300);
    assert_eq!(s.serial, 7);
}

#[test]
fn catalog_finds_the_longest_suffix_and_skips_the_exact_zone_for_ds() {
    let parent = Arc::new(test_zone());
    let mut child = Zone::new(Name::from_str("sub.example.").unwrap(), Class::IN);
    child.insert(rec("sub.example.", Rtype::SOA, &soa_rdata(60)));
    let cat = Catalog::new(vec![parent, Arc::new(child)]);
    let name = b"\x01x\x03sub\x07example\x00";
    assert_eq!(cat.find(name, &[0, 2, 6], false), Some(1));
    let sub = b"\x03sub\x07example\x00";
    assert_eq!(cat.find(sub, &[0, 4], false), Some(1));
    assert_eq!(cat.find(sub, &[0, 4], true), Some(0));
    assert_eq!(cat.find(b"\x03org\x00", &[0], false), None);
}

//------------ apply: equivalence with a full build --------------------------

/// A stand-in for the NSEC3 hash (RFC 5155 section 5): deterministic, 20 octets, no crypto.
fn fake_hash(name: &[u8], salt: &[u8], iterations: u16) -> [u8; 20] {
    let mut out = [0u8; 20];
    for (i, chunk) in out.chunks_mut(4).enumerate() {
        let mut h = crc32fast::Hasher::new();
        h.update(&[i as u8]);
        h.update(name);
        h.update(salt);
        h.update(&iterations.to_be_bytes());
        chunk.copy_from_slice(&h.finalize().to_be_bytes());
    }
    out
}

/// How the test zone is "signed".
#[derive(Clone, Copy, Debug)]
enum Mode {
    Unsigned,
    Nsec,
    Nsec3,
}

/// The wire form of a dotted name.
fn wire(name: &str) -> Vec<u8> {
    name_key(&Name::from_str(name).unwrap()).into_vec()
}

/// `zone` with a fake RRSIG over every RRset, and NSEC or NSEC3 records as `mode` says: the
/// shape a signer gives, with rdata that changes when what it covers changes.
fn fake_sign(zone: &Zone, mode: Mode) -> Zone {
    let mut out = zone.clone();
    if let Mode::Unsigned = mode {
        return out;
    }
    let origin = name_key(&zone.origin);
    let names: BTreeSet<Box<[u8]>> = zone.rrsets.keys().map(|(o, _, _)| name_key(o)).collect();
    let delegations: Vec<&Box<[u8]>> = names
        .iter()
        .filter(|n| **n != origin && zone.get(&name_of(n), Rtype::NS).is_some())
        .collect();
    let occluded = |n: &[u8]| {
        delegations
            .iter()
            .any(|d| n.len() > d.len() && n.ends_with(d))
    };
    let mut sorted: Vec<&Box<[u8]>> = names.iter().filter(|n| !occluded(n)).collect();
    sorted.sort_by(|a, b| canonical_cmp(a, b));
    match mode {
        Mode::Nsec => {
            for (i, n) in sorted.iter().enumerate() {
                let next = sorted[(i + 1) % sorted.len()];
                let mut rd = next.to_vec();
                rd.extend_from_slice(&[0, 1, 0x40]);
                out.insert(record(&name_of(n), Rtype::NSEC, 3600, rd));
            }
        }
        Mode::Nsec3 => {
            let mut param = vec![1, 0, 0, 5, 2, 0xab, 0xcd];
            out.insert(record(&zone.origin, Rtype::NSEC3PARAM, 0, param.clone()));
            let mut all: BTreeSet<Box<[u8]>> = BTreeSet::new();
            for n in &sorted {
                all.insert((*n).clone());
                for a in wire::ancestors(n, &origin) {
                    all.insert(a.into());
                }
            }
            let mut hashes: Vec<[u8; 20]> =
                all.iter().map(|n| fake_hash(n, &[0xab, 0xcd], 5)).collect();
            hashes.sort();
            param[1] = 0;
            for (i, h) in hashes.iter().enumerate() {
                let next = hashes[(i + 1) % hashes.len()];
                let mut rd = param.clone();
                rd.push(20);
                rd.extend_from_slice(&next);
                rd.extend_from_slice(&[0, 1, 0x02]);
                let label = data_encoding::BASE32HEX_NOPAD
                    .encode(h)
                    .to_ascii_lowercase();
                let owner = Name::from_str(&format!("{label}.{}", zone.origin)).unwrap();
                out.insert(record(&owner, Rtype::NSEC3, 300, rd));
            }
        }
        Mode::Unsigned => {}
    }
    let sets: Vec<Rrset> = out.rrsets.values().cloned().collect();
    for set in sets {
        let mut h = crc32fast::Hasher::new();
        for rd in &set.rdatas {
            h.update(rd.as_bytes());
        }
        // RFC 4034 section 3.1: type covered, algorithm, labels, original TTL, expiration,
        // inception, key tag, signer, signature. TXT sets get an original TTL that is not
        // theirs, so that both forms the snapshot keeps signatures in are exercised.
        let original_ttl = set.ttl.0 + u32::from(set.rtype == Rtype::TXT);
        let mut rd = u16::from(set.rtype).to_be_bytes().to_vec();
        rd.extend_from_slice(&[13, 2]);
        rd.extend_from_slice(&original_ttl.to_be_bytes());
        rd.extend_from_slice(&[0x70, 0, 0, 0, 0x60, 0, 0, 0, 0x12, 0x34]);
        rd.extend_from_slice(&origin);
        rd.extend_from_slice(&h.finalize().to_be_bytes());
        out.insert(record(&set.owner, Rtype::RRSIG, set.ttl.0, rd));
    }
    out
}

/// The name of a wire key.
fn name_of(key: &[u8]) -> Name {
    use hickory_proto::serialize::binary::BinDecodable;
    Name::from_bytes(key).unwrap()
}

fn record(owner: &Name, rtype: Rtype, ttl: u32, rdata: Vec<u8>) -> Record {
    Record {
        owner: owner.clone(),
        rtype,
        class: Class::IN,
        ttl: Ttl(ttl),
        rdata: Rdata(rdata.into()),
    }
}

/// Everything a query can see in a snapshot, with node and record ids replaced by names so
/// that two snapshots built differently compare equal when they answer alike. Also checks
/// that every node is found by its name.
fn dump(s: &ZoneSnapshot) -> Vec<String> {
    let name = |id: NodeId| String::from_utf8_lossy(&s.node(id).name).into_owned();
    let mut out = vec![format!(
        "origin={:?} serial={} nodes={} apex={:?}",
        s.origin,
        s.serial,
        s.node_count(),
        s.apex().name
    )];
    let wire = |r: &RrsetWire| {
        let additional: Vec<(String, bool)> = r.additional().map(|(id, o)| (name(id), o)).collect();
        format!(
            "{} ttl={} n={} {:?} sigs={:?} add={additional:?}",
            r.rtype,
            r.ttl,
            r.count,
            r.wire(),
            r.sig_wire(&s.origin, s.class)
        )
    };
    out.push(format!(
        "negative_soa {:?}",
        s.negative_soa().map(|(set, ttl)| (wire(set), ttl))
    ));
    let mut nodes: Vec<String> = Vec::new();
    for (id, node) in s.nodes.iter() {
        if node.name.is_empty() {
            continue;
        }
        assert_eq!(s.lookup(&node.name), Some(id), "index finds {}", name(id));
        let rrsets: Vec<String> = node.rrsets.iter().map(wire).collect();
        let nsec3 = node.nsec3().map(|i| {
            let e = s.nsec3_entry(i).expect("live NSEC3 entry");
            e.owner(&s.origin, &mut [0; 255]).to_vec()
        });
        nodes.push(format!(
            "node {} cut={:?} delegation={} nsec3={nsec3:?} {rrsets:?}",
            name(id),
            node.cut().map(name),
            node.delegation
        ));
    }
    nodes.sort();
    out.extend(nodes);
    match &s.denial {
        Denial::None => out.push("denial none".into()),
        Denial::Nsec { order } => out.push(format!(
            "nsec {:?}",
            order.iter().map(|&id| name(id)).collect::<Vec<_>>()
        )),
        Denial::Nsec3 {
            salt,
            iterations,
            chain,
        } => {
            out.push(format!("nsec3 {salt:?} {iterations}"));
            for e in chain.iter() {
                out.push(format!(
                    "nsec3 {:?} {:?} {}",
                    e.hash,
                    e.owner(&s.origin, &mut [0; 255]),
                    wire(&e.rrset)
                ));
            }
        }
    }
    let mut s = s.clone();
    if s.indexes.is_none() {
        s.rebuild_change_indexes();
    }
    let indexes = s.indexes.as_deref().expect("rebuilt");
    let mut referrers: Vec<_> = indexes
        .referrers
        .iter()
        .map(|(t, id)| (t.clone(), name(*id)))
        .collect();
    referrers.sort();
    out.push(format!("referrers {referrers:?}"));
    let mut hashes: Vec<_> = indexes
        .hashes
        .iter()
        .map(|(h, id)| (*h, name(*id)))
        .collect();
    hashes.sort();
    out.push(format!("hashes {hashes:?}"));
    out
}

/// A tiny deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
}

/// Names the random changes use: deep names, a delegation with glue below it, MX and NS
/// targets, wildcards, a DNAME with data below it.
const NAMES: &[&str] = &[
    "example.",
    "a.example.",
    "b.a.example.",
    "c.b.a.example.",
    "x.y.z.example.",
    "mx1.example.",
    "mx2.example.",
    "ns1.example.",
    "sub.example.",
    "ns.sub.example.",
    "deep.ns.sub.example.",
    "*.example.",
    "*.w.example.",
    "dn.example.",
    "x.dn.example.",
    "srv.example.",
];

/// One random change to the unsigned zone.
fn random_change(z: &mut Zone, rng: &mut Rng) {
    let owner = NAMES[rng.next() as usize % NAMES.len()];
    let target = NAMES[rng.next() as usize % NAMES.len()];
    let (owner, target) = (
        Name::from_str(owner).unwrap(),
        Name::from_str(target).unwrap(),
    );
    let n = (rng.next() % 4) as u8;
    let named = |prefix: &[u8]| {
        let mut rd = prefix.to_vec();
        rd.extend(name_key(&target).iter());
        rd
    };
    let r = match rng.next() % 10 {
        0 | 1 => record(&owner, Rtype::A, 3600, vec![192, 0, 2, n]),
        2 => record(&owner, Rtype::AAAA, 3600, [0x20, 1, 0xd, n].repeat(4)),
        3 => record(&owner, Rtype::MX, 3600, named(&[0, n])),
        4 => record(&owner, Rtype::NS, 3600, named(&[])),
        5 => record(&owner, Rtype::SRV, 3600, named(&[0, 1, 0, 2, 0, 25])),
        6 => record(&owner, Rtype::DNAME, 3600, named(&[])),
        7 => record(
            &owner,
            Rtype::TXT,
            60 * (u32::from(n) + 1),
            vec![1, b'a' + n],
        ),
        _ => {
            // Remove a random record (never the SOA).
            let records: Vec<Record> = z.records().filter(|r| r.rtype != Rtype::SOA).collect();
            if records.is_empty() {
                return;
            }
            let r = rng.pick(&records).clone();
            let covered = crate::zone::covered_type(r.rtype, r.rdata.as_bytes());
            let key = (r.owner.to_lowercase(), u16::from(r.rtype), covered);
            if let Some(set) = z.rrsets.get_mut(&key) {
                set.rdatas.retain(|x| x != &r.rdata);
                if set.rdatas.is_empty() {
                    z.rrsets.remove(&key);
                }
            }
            return;
        }
    };
    z.insert(r);
}

/// The unsigned zone the random walk starts from.
fn start_zone(serial: u32) -> Zone {
    let mut z = Zone::new(Name::from_str("example.").unwrap(), Class::IN);
    for r in [
        rec("example.", Rtype::NS, b"\x03ns1\x07example\x00"),
        rec("example.", Rtype::MX, b"\x00\x0a\x03mx1\x07example\x00"),
        rec("mx1.example.", Rtype::A, &[192, 0, 2, 1]),
        rec("ns1.example.", Rtype::A, &[192, 0, 2, 53]),
        rec("sub.example.", Rtype::NS, b"\x02ns\x03sub\x07example\x00"),
        rec("ns.sub.example.", Rtype::A, &[192, 0, 2, 3]),
        rec("c.b.a.example.", Rtype::TXT, b"\x01x"),
    ] {
        z.insert(r);
    }
    set_serial(&mut z, serial);
    z
}

/// Replaces the SOA with one of serial `serial`.
fn set_serial(z: &mut Zone, serial: u32) {
    let mut rd = soa_rdata(300);
    let at = rd.len() - 20;
    rd[at..at + 4].copy_from_slice(&serial.to_be_bytes());
    z.remove(&z.origin.clone(), Rtype::SOA, 0);
    z.insert(rec("example.", Rtype::SOA, &rd));
}

thread_local! {
    /// Makes every snapshot built on this thread keep `referrers` and `hashes`, so that the
    /// small zones of these tests check how `apply` maintains them.
    pub(super) static ALWAYS_INDEX: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[test]
fn apply_gives_what_a_full_build_gives_under_random_diffs() {
    for always in [true, false] {
        ALWAYS_INDEX.with(|c| c.set(always));
        random_diffs();
    }
}

fn random_diffs() {
    for mode in [Mode::Unsigned, Mode::Nsec, Mode::Nsec3] {
        for seed in 1..=12u64 {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (seed * 0x1000_0001));
            let mut unsigned = start_zone(1);
            let mut signed = Arc::new(fake_sign(&unsigned, mode));
            let mut snap = ZoneSnapshot::build_with(&signed, Some(fake_hash));
            for step in 0..40u32 {
                for _ in 0..=(rng.next() % 4) {
                    random_change(&mut unsigned, &mut rng);
                }
                set_serial(&mut unsigned, step + 2);
                let next = Arc::new(fake_sign(&unsigned, mode));
                let diff = Diff::between(&signed, &next).unwrap();
                let before = dump(&snap);
                let applied = snap.apply(&next, &diff);
                let built = ZoneSnapshot::build_with(&next, Some(fake_hash));
                let (a, b) = (dump(&applied), dump(&built));
                if a != b {
                    let only_a: Vec<_> = a.iter().filter(|l| !b.contains(l)).collect();
                    let only_b: Vec<_> = b.iter().filter(|l| !a.contains(l)).collect();
                    panic!(
                        "{mode:?} seed {seed} step {step}:\napplied: {only_a:#?}\nbuilt: {only_b:#?}\n{diff:?}"
                    );
                }
                assert_eq!(dump(&snap), before, "the old version is left as it was");
                assert_eq!(
                    records_of(&applied.to_zone()),
                    records_of(&next),
                    "{mode:?} seed {seed} step {step}: the zone comes back out of the snapshot"
                );
                for probe in ["nope.example.", "q.a.example.", "x.ns.sub.example."] {
                    assert_eq!(
                        applied
                            .lookup(&wire(probe))
                            .map(|id| applied.node(id).name.clone()),
                        built
                            .lookup(&wire(probe))
                            .map(|id| built.node(id).name.clone()),
                    );
                }
                signed = next;
                snap = applied;
            }
        }
    }
}

#[test]
fn a_changed_address_of_an_mx_target_reaches_the_mx_rrset_both_ways() {
    let mut z = start_zone(1);
    z.remove(&Name::from_str("mx1.example.").unwrap(), Rtype::A, 0);
    let old = Arc::new(z.clone());
    let s1 = ZoneSnapshot::build(&old);
    let mx = u16::from(Rtype::MX);
    assert_eq!(s1.apex().rrset(mx).unwrap().additional().len(), 0);
    z.insert(rec("mx1.example.", Rtype::A, &[192, 0, 2, 9]));
    set_serial(&mut z, 2);
    let new = Arc::new(z.clone());
    let s2 = s1.apply(&new, &Diff::between(&old, &new).unwrap());
    let target = s2.lookup(&wire("mx1.example.")).unwrap();
    assert_eq!(
        s2.apex()
            .rrset(mx)
            .unwrap()
            .additional()
            .collect::<Vec<_>>(),
        [(target, false)]
    );
    z.remove(&Name::from_str("mx1.example.").unwrap(), Rtype::A, 0);
    set_serial(&mut z, 3);
    let newer = Arc::new(z);
    let s3 = s2.apply(&newer, &Diff::between(&new, &newer).unwrap());
    assert_eq!(s3.apex().rrset(mx).unwrap().additional().len(), 0);
    assert!(s3.lookup(&wire("mx1.example.")).is_none());
}

#[test]
fn many_new_names_fold_the_index_overlay_into_the_base() {
    let mut z = start_zone(1);
    let mut prev = Arc::new(z.clone());
    let mut s = ZoneSnapshot::build(&prev);
    let mut max_overlay = 0;
    for i in 0..3000u32 {
        let added = rec(&format!("h{i}.example."), Rtype::A, &[198, 51, 100, 1]);
        z.insert(added.clone());
        set_serial(&mut z, i + 2);
        let next = Arc::new(z.clone());
        let soa = |z: &Zone| z.soa().unwrap().records().next().unwrap();
        let diff = Diff {
            soa_from: soa(&prev),
            soa_to: soa(&next),
            removed: Vec::new(),
            added: vec![added],
        };
        s = s.apply(&next, &diff);
        max_overlay = max_overlay.max(s.index.overlay_len());
        prev = next;
    }
    assert!(
        max_overlay <= 1024 + 3000 / 8 + 1,
        "overlay stayed bounded: {max_overlay}"
    );
    assert!(s.index.overlay_len() < 3000);
    for i in 0..3000u32 {
        assert!(s.lookup(&wire(&format!("h{i}.example."))).is_some());
    }
}

/// Every record of `zone` as text, owners lowercase, sorted.
fn records_of(zone: &Zone) -> Vec<String> {
    let mut out: Vec<String> = zone
        .records()
        .map(|r| {
            format!(
                "{} {} {:?} {} {:?}",
                r.owner.to_lowercase(),
                r.ttl,
                r.class,
                r.rtype,
                r.rdata
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_zone_comes_back_out_of_a_snapshot() {
    let zone = test_zone();
    let snap = ZoneSnapshot::build(&zone);
    assert_eq!(records_of(&snap.to_zone()), records_of(&zone));
    assert_eq!(snap.to_zone().origin, zone.origin);
    let mx = snap
        .rrset(&Name::from_ascii("example.").unwrap(), Rtype::MX)
        .map(|s| s.rdatas.len());
    assert_eq!(
        mx,
        zone.get(&zone.origin, Rtype::MX).map(|s| s.rdatas.len())
    );
    for mode in [Mode::Nsec, Mode::Nsec3] {
        let signed = fake_sign(&start_zone(1), mode);
        let snap = ZoneSnapshot::build_with(&signed, Some(fake_hash));
        assert_eq!(records_of(&snap.to_zone()), records_of(&signed), "{mode:?}");
    }
}
