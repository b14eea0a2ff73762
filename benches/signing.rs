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
use zones::Rtype;
use zones::diff::Diff;
use zones::serial::Serial;

#[path = "support/mail_zone.rs"]
mod mail_zone;
use mail_zone::{mail_zone, rec};

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
