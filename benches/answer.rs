//! Criterion benches of the query path: lookup plus response encoding for the query mix of
//! `../shared/bench/mkzone.py` (existing names, NXDOMAIN, NODATA, MX with additional data),
//! over a zone of the same shape built in memory, and the snapshot build itself.
//!
//! Run: `cargo bench --bench answer`. Compare against NSD and Knot with `benches/peers.sh`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use daned::answer::{Transport, respond};
use zones::Rtype;
use zones::snapshot::{Catalog, ZoneSnapshot};

#[path = "support/mail_zone.rs"]
mod mail_zone;
use mail_zone::{mail_zone, wire};

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
    group.bench_function("build_10k", |b| b.iter(|| ZoneSnapshot::build(&zone)));
    group.finish();
}

criterion_group!(benches, bench_answers, bench_snapshot);
criterion_main!(benches);
