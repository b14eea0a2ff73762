//! Criterion benches of "the cost of one change" on a 100k-name NSEC3 zone shaped like
//! `../shared/bench/mkzone.py example.com 100000 DIR`: a full signing, the old incremental
//! path (`resign_zone` with the previous version), `sign_change` of one TLSA record, a zone
//! clone, and `Diff::between` of two versions that share structure.
//!
//! Run: `cargo bench --bench signing` (release). Set `DANED_BENCH_NAMES` for another size.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use signer::incremental::{Change, sign_change};
use signer::key::{Algorithm, KeyRole, RingSigningKey};
use signer::{SigningKeyEntry, SigningParams, Timestamp, resign_zone, sign_zone};
use zones::diff::Diff;
use zones::serial::Serial;
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
        owner: Name::from_ascii(owner).expect("name"),
        rtype,
        class: Class::IN,
        ttl: Ttl(3600),
        rdata: Rdata::from(rdata),
    }
}

/// The mkzone.py zone: apex SOA/NS/MX/TXT, mail policy TXTs, two MX hosts with TLSA, and
/// `n` hosts h0..h(n-1) with A (and AAAA for every fourth).
fn mail_zone(n: u32) -> Zone {
    let o = "example.com.";
    let mut z = Zone::new(Name::from_ascii(o).expect("origin"), Class::IN);
    let mut soa = wire("ns1.example.com.");
    soa.extend(wire("hostmaster.example.com."));
    for x in [2026112201u32, 7200, 3600, 1209600, 300] {
        soa.extend_from_slice(&x.to_be_bytes());
    }
    z.insert(rec(o, Rtype::SOA, soa));
    for ns in ["ns1", "ns2"] {
        z.insert(rec(o, Rtype::NS, wire(&format!("{ns}.{o}"))));
    }
    for (i, txt) in [
        ("@", "v=spf1 mx -all"),
        ("_dmarc", "v=DMARC1; p=reject"),
        ("_mta-sts", "v=STSv1; id=20261122T000000"),
        ("_smtp._tls", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"),
        (
            "selector1._domainkey",
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        ),
    ] {
        let owner = if i == "@" {
            o.to_string()
        } else {
            format!("{i}.{o}")
        };
        let mut rd = vec![txt.len() as u8];
        rd.extend_from_slice(txt.as_bytes());
        z.insert(rec(&owner, Rtype::TXT, rd));
    }
    for (pref, host) in [(10u16, "mx1"), (20, "mx2")] {
        let mut mx = pref.to_be_bytes().to_vec();
        mx.extend(wire(&format!("{host}.{o}")));
        z.insert(rec(o, Rtype::MX, mx));
        z.insert(rec(
            &format!("{host}.{o}"),
            Rtype::A,
            vec![192, 0, 2, pref as u8],
        ));
        z.insert(rec(&format!("{host}.{o}"), Rtype::AAAA, vec![0x20; 16]));
        let mut tlsa = vec![3, 1, 1];
        tlsa.extend_from_slice(&[0xab; 32]);
        z.insert(rec(&format!("_25._tcp.{host}.{o}"), Rtype::TLSA, tlsa));
    }
    z.insert(rec(&format!("ns1.{o}"), Rtype::A, vec![127, 0, 0, 1]));
    z.insert(rec(&format!("ns2.{o}"), Rtype::A, vec![127, 0, 0, 2]));
    for i in 0..n {
        let owner = format!("h{i}.{o}");
        z.insert(rec(
            &owner,
            Rtype::A,
            vec![198, 51, (i >> 8) as u8, i as u8],
        ));
        if i % 4 == 0 {
            let mut aaaa = vec![0x20, 0x01, 0x0d, 0xb8];
            aaaa.extend_from_slice(&[0; 8]);
            aaaa.extend_from_slice(&i.to_be_bytes());
            z.insert(rec(&owner, Rtype::AAAA, aaaa));
        }
    }
    z
}

/// The certificate change: the TLSA RRset of mx1 replaced by one for a new key.
fn tlsa_change() -> Change {
    let owner = "_25._tcp.mx1.example.com.";
    let mut old = vec![3, 1, 1];
    old.extend_from_slice(&[0xab; 32]);
    let mut new = vec![3, 1, 1];
    new.extend_from_slice(&[0xcd; 32]);
    Change {
        removed: vec![rec(owner, Rtype::TLSA, old)],
        added: vec![rec(owner, Rtype::TLSA, new)],
    }
}

fn bench_signing(c: &mut Criterion) {
    // `cargo test --all-targets` runs each bench once as a smoke test, in a debug build: a
    // small zone there, the real size under `cargo bench` (which passes --bench).
    let full = std::env::args().any(|a| a == "--bench");
    let n = std::env::var("DANED_BENCH_NAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 100_000 } else { 2_000 });
    let ksk = RingSigningKey::generate(Algorithm::ECDSAP256SHA256).expect("ksk");
    let zsk = RingSigningKey::generate(Algorithm::ECDSAP256SHA256).expect("zsk");
    let keys = [
        SigningKeyEntry::active(&ksk, KeyRole::Ksk),
        SigningKeyEntry::active(&zsk, KeyRole::Zsk),
    ];
    let params = SigningParams::default(); // NSEC3, RFC 9276 parameters
    let now = Timestamp(1_780_000_000);
    let unsigned = mail_zone(n);
    let signed = sign_zone(&unsigned, &keys, &params, now).expect("sign");
    let change = tlsa_change();
    let later = now.add_secs(60);

    let mut g = c.benchmark_group(format!("signing_{n}_names_nsec3"));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("zone_clone", |b| b.iter(|| black_box(signed.clone())));
    g.bench_function("sign_change_one_tlsa", |b| {
        b.iter(|| {
            sign_change(&signed, &change, Serial(2026112202), &keys, &params, later)
                .expect("sign_change")
        })
    });
    let (next, _) =
        sign_change(&signed, &change, Serial(2026112202), &keys, &params, later).expect("next");
    g.bench_function("diff_between_derived_versions", |b| {
        b.iter(|| Diff::between(&signed, &next).expect("diff"))
    });
    let mut changed = unsigned.clone();
    change.removed.iter().for_each(|r| {
        let key = (r.owner.to_lowercase(), u16::from(r.rtype), 0);
        changed.rrsets.remove(&key);
    });
    change.added.iter().for_each(|r| {
        changed.insert(r.clone());
    });
    g.bench_function("resign_zone_one_tlsa", |b| {
        b.iter(|| resign_zone(&changed, Some(&signed), &keys, &params, later, 0).expect("resign"))
    });
    g.bench_function("sign_zone_full", |b| {
        b.iter(|| sign_zone(&unsigned, &keys, &params, now).expect("sign"))
    });
    g.finish();
}

criterion_group!(benches, bench_signing);
criterion_main!(benches);
