//! Criterion benches of the snapshot versions the query path reads: a full build of a
//! 100k-name NSEC3-signed zone against `ZoneSnapshot::apply` of one change to it (one RRset
//! replaced; one name added, with its NSEC3 record and the changed predecessor in the chain).
//!
//! The zone has the shape of `../shared/bench/mkzone.py example.com 100000` (apex data, two MX
//! hosts with TLSA, hosts h0..h99999), built in memory and signed once with an Ed25519 CSK
//! and NSEC3 (RFC 9276 parameters). The changes carry stand-in signatures: the snapshot
//! copies RRSIG bytes, it never checks them.
//!
//! Run: `cargo bench --bench snapshot`.

use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use signer::{Algorithm, KeyRole, RingSigningKey, SigningKeyEntry, SigningParams, Timestamp};
use zones::diff::Diff;
use zones::snapshot::ZoneSnapshot;
use zones::{Name, Rdata, Record, Rtype, Ttl, Zone};

#[path = "support/mail_zone.rs"]
mod mail_zone;
use mail_zone::{mail_zone, rec, wire};

/// A stand-in RRSIG covering `covered`, made from any RRSIG of the zone.
fn fake_rrsig(zone: &Zone, owner: &str, covered: Rtype, tweak: u8) -> Record {
    let any = zone.soa().expect("SOA").owner.clone();
    let sig = zone.get_rrsig(&any, Rtype::SOA).expect("signed SOA");
    let mut rd = sig.rdatas[0].as_bytes().to_vec();
    rd[..2].copy_from_slice(&u16::from(covered).to_be_bytes());
    if let Some(last) = rd.last_mut() {
        *last ^= tweak;
    }
    let mut r = rec(owner, Rtype::RRSIG, rd);
    r.ttl = zone
        .get(&Name::from_str(owner).expect("name"), covered)
        .map_or(Ttl(3600), |s| s.ttl);
    r
}

/// The one record of an RRset.
fn only(zone: &Zone, owner: &str, rtype: Rtype) -> Record {
    let name = Name::from_str(owner).expect("name");
    let set = match rtype {
        Rtype::RRSIG => zone.get_rrsig(&name, Rtype::SOA),
        _ => zone.get(&name, rtype),
    };
    set.expect("RRset").records().next().expect("record")
}

/// The SOA change every diff carries: serial + 1, with a new signature.
fn bump_soa(zone: &Zone, diff: &mut Diff) {
    let mut soa_to = diff.soa_from.clone();
    let rd = &mut soa_to.rdata.0;
    let at = rd.len() - 20;
    let serial = u32::from_be_bytes([rd[at], rd[at + 1], rd[at + 2], rd[at + 3]]) + 1;
    rd[at..at + 4].copy_from_slice(&serial.to_be_bytes());
    diff.soa_to = soa_to;
    diff.removed.push(only(zone, "example.com.", Rtype::RRSIG));
    diff.added
        .push(fake_rrsig(zone, "example.com.", Rtype::SOA, 1));
}

/// One RRset replaced: the TLSA record of mx1 (a certificate change), with its signature.
fn tlsa_change(zone: &Zone) -> Diff {
    let owner = "_25._tcp.mx1.example.com.";
    let old = only(zone, owner, Rtype::TLSA);
    let mut new = old.clone();
    new.rdata.0[3] ^= 0xff;
    let old_sig = zone
        .get_rrsig(&Name::from_str(owner).expect("name"), Rtype::TLSA)
        .expect("signed TLSA")
        .records()
        .next()
        .expect("RRSIG");
    let mut diff = Diff {
        soa_from: only(zone, "example.com.", Rtype::SOA),
        soa_to: only(zone, "example.com.", Rtype::SOA),
        removed: vec![old, old_sig],
        added: vec![new, fake_rrsig(zone, owner, Rtype::TLSA, 2)],
    };
    bump_soa(zone, &mut diff);
    diff
}

/// One name added: its A record, its NSEC3 record, and its predecessor's NSEC3 pointing at
/// it (RFC 5155 section 7.1), all with signatures.
fn new_name(zone: &Zone, snapshot: &ZoneSnapshot) -> Diff {
    let name = "new-host.example.com.";
    let hash = signer::nsec3::nsec3_hash_wire(&wire(name), &[], 0);
    let prev = snapshot
        .nsec3_covering(&wire(name))
        .and_then(|id| snapshot.nsec3_entry(id))
        .expect("covering NSEC3");
    let prev_owner = name_from_wire(prev.owner(&snapshot.origin, &mut [0; 255]));
    let prev_rec = zone
        .get(&prev_owner, Rtype::NSEC3)
        .expect("NSEC3")
        .records()
        .next()
        .expect("record");
    let prev_sig = zone
        .get_rrsig(&prev_owner, Rtype::NSEC3)
        .expect("signed NSEC3")
        .records()
        .next()
        .expect("RRSIG");
    // hash alg, flags, iterations (2), salt length 0, hash length, next hash, bitmap.
    let next_at = 6;
    let mut ours = prev_rec.rdata.0.to_vec();
    let mut theirs = ours.clone();
    theirs[next_at..next_at + 20].copy_from_slice(&hash);
    ours.truncate(next_at + 20);
    ours.extend_from_slice(&[0, 6, 0x40, 0, 0, 0, 0, 0x02]); // A RRSIG
    let label = data_encoding::BASE32HEX_NOPAD
        .encode(&hash)
        .to_ascii_lowercase();
    let owner = format!("{label}.example.com.");
    let prev_name = prev_owner.to_string();
    let mut nsec3 = rec(&owner, Rtype::NSEC3, ours);
    nsec3.ttl = prev_rec.ttl;
    let mut changed = prev_rec.clone();
    changed.rdata = Rdata(theirs.into());
    let mut diff = Diff {
        soa_from: only(zone, "example.com.", Rtype::SOA),
        soa_to: only(zone, "example.com.", Rtype::SOA),
        removed: vec![prev_rec, prev_sig],
        added: vec![
            rec(name, Rtype::A, vec![192, 0, 2, 99]),
            fake_rrsig(zone, name, Rtype::A, 3),
            nsec3,
            fake_rrsig(zone, &owner, Rtype::NSEC3, 4),
            changed,
            fake_rrsig(zone, &prev_name, Rtype::NSEC3, 5),
        ],
    };
    bump_soa(zone, &mut diff);
    diff
}

/// Parses an uncompressed wire name.
fn name_from_wire(wire: &[u8]) -> Name {
    use hickory_proto::serialize::binary::BinDecodable;
    Name::from_bytes(wire).expect("wire name")
}

fn bench_versions(c: &mut Criterion) {
    let key = RingSigningKey::generate(Algorithm::ED25519).expect("key");
    let keys = [SigningKeyEntry::active(&key, KeyRole::Csk)];
    let params = SigningParams::default();
    // `cargo test --all-targets` runs each bench once as a smoke test, in a debug build: a
    // small zone there, the real size under `cargo bench` (which passes --bench).
    let names = if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        2_000
    };
    let signed = signer::sign_zone(&mail_zone(names), &keys, &params, Timestamp(1_800_000_000))
        .expect("signed");
    let signed = Arc::new(signed);
    let hasher = Some(signer::nsec3::nsec3_hash_wire as zones::snapshot::Nsec3Hasher);
    let base = ZoneSnapshot::build_with(&signed, hasher);
    eprintln!(
        "zone: {} records, {} nodes",
        signed.len(),
        base.node_count()
    );

    let mut group = c.benchmark_group("snapshot_100k_nsec3");
    group.sample_size(10);
    group.bench_function("build", |b| {
        b.iter(|| ZoneSnapshot::build_with(black_box(&*signed), hasher))
    });
    for (label, diff) in [
        ("apply_one_rrset", tlsa_change(&signed)),
        ("apply_new_name", new_name(&signed, &base)),
    ] {
        let mut next = (*signed).clone();
        diff.apply(&mut next);
        let next = Arc::new(next);
        let check = ZoneSnapshot::build_with(&next, hasher);
        let applied = base.apply(&next, &diff);
        assert_eq!(applied.node_count(), check.node_count(), "{label}");
        assert_eq!(applied.serial, check.serial, "{label}");
        group.sample_size(100);
        group.bench_function(label, |b| {
            b.iter(|| base.apply(black_box(&*next), black_box(&diff)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_versions);
criterion_main!(benches);
