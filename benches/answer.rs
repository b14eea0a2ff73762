//! Criterion benches of the query path: lookup plus response encoding for the query mix of
//! `../shared/bench/mkzone.py` (existing names, NXDOMAIN, NODATA, MX with additional data),
//! over a zone of the same shape built in memory, and the snapshot build itself.
//!
//! Run: `cargo bench --bench answer`. Compare against NSD and Knot with `benches/peers.sh`.

use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use daned::answer::{Transport, respond};
use zones::snapshot::{Catalog, ZoneSnapshot};
use zones::{Class, Name, Rdata, Record, Rtype, Ttl, Zone};

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

fn rec(owner: &str, rtype: Rtype, rdata: Vec<u8>) -> Record {
    Record {
        owner: Name::from_str(owner).expect("name"),
        rtype,
        class: Class::IN,
        ttl: Ttl(3600),
        rdata: Rdata(rdata.into()),
    }
}

/// A zone shaped like mkzone.py's: apex data, two MX hosts, `n` hosts h0..h(n-1).
fn mail_zone(n: u32) -> Zone {
    let mut z = Zone::new(Name::from_str("example.com.").expect("origin"), Class::IN);
    let mut soa = wire("ns1.example.com.");
    soa.extend(wire("hostmaster.example.com."));
    for x in [2026112201u32, 7200, 3600, 1209600, 300] {
        soa.extend_from_slice(&x.to_be_bytes());
    }
    z.insert(rec("example.com.", Rtype::SOA, soa));
    z.insert(rec("example.com.", Rtype::NS, wire("ns1.example.com.")));
    z.insert(rec("example.com.", Rtype::NS, wire("ns2.example.com.")));
    for (pref, host) in [(10u16, "mx1"), (20, "mx2")] {
        let mut mx = pref.to_be_bytes().to_vec();
        mx.extend(wire(&format!("{host}.example.com.")));
        z.insert(rec("example.com.", Rtype::MX, mx));
        z.insert(rec(
            &format!("{host}.example.com."),
            Rtype::A,
            vec![192, 0, 2, pref as u8],
        ));
        z.insert(rec(
            &format!("{host}.example.com."),
            Rtype::AAAA,
            vec![0x20; 16],
        ));
        let mut tlsa = vec![3, 1, 1];
        tlsa.extend_from_slice(&[0xab; 32]);
        z.insert(rec(
            &format!("_25._tcp.{host}.example.com."),
            Rtype::TLSA,
            tlsa,
        ));
    }
    z.insert(rec("ns1.example.com.", Rtype::A, vec![127, 0, 0, 1]));
    z.insert(rec("ns2.example.com.", Rtype::A, vec![127, 0, 0, 2]));
    for i in 0..n {
        let owner = format!("h{i}.example.com.");
        z.insert(rec(
            &owner,
            Rtype::A,
            vec![198, 51, (i >> 8) as u8, i as u8],
        ));
        if i % 4 == 0 {
            z.insert(rec(&owner, Rtype::AAAA, vec![0x20; 16]));
        }
    }
    z
}

fn query(name: &str, qtype: Rtype, dnssec_ok: bool) -> Vec<u8> {
    let mut p = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
    p.extend(wire(name));
    p.extend_from_slice(&u16::from(qtype).to_be_bytes());
    p.extend_from_slice(&[0, 1, 0, 0, 41, 0x04, 0xd0, 0, 0]);
    p.extend_from_slice(&[if dnssec_ok { 0x80 } else { 0 }, 0, 0, 0]);
    p
}

fn bench_answers(c: &mut Criterion) {
    let catalog = Catalog::new(vec![Arc::new(mail_zone(100_000))]);
    let cases = [
        ("existing_a", query("h4711.example.com.", Rtype::A, false)),
        (
            "nxdomain",
            query("nx1234abcd.example.com.", Rtype::A, false),
        ),
        ("nodata", query("h4711.example.com.", Rtype::TXT, false)),
        (
            "mx_with_additional",
            query("example.com.", Rtype::MX, false),
        ),
        (
            "tlsa",
            query("_25._tcp.mx1.example.com.", Rtype::TLSA, false),
        ),
    ];
    let mut group = c.benchmark_group("respond");
    let mut out = Vec::with_capacity(65535);
    for (label, packet) in &cases {
        group.bench_function(*label, |b| {
            b.iter(|| respond(&catalog, black_box(packet), Transport::Udp, &mut out))
        });
    }
    group.finish();
}

fn bench_snapshot(c: &mut Criterion) {
    let zone = Arc::new(mail_zone(10_000));
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(10);
    group.bench_function("build_10k", |b| {
        b.iter(|| ZoneSnapshot::build(zone.clone()))
    });
    group.finish();
}

criterion_group!(benches, bench_answers, bench_snapshot);
criterion_main!(benches);
