//! Incremental signing proved by equivalence: random changes applied with `sign_change` give
//! exactly the zone a full `sign_zone` of the changed unsigned zone gives (RRsets compared
//! with RRSIGs stripped; every RRSIG set present in both, from the same keys, over the same
//! RRset), for NSEC and NSEC3 (with and without Opt-Out), and the result validates with
//! `ldns-verify-zone`. A missing tool fails the test; it never skips.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use signer::incremental::{Change, refresh, sign_change};
use signer::key::{Algorithm, KeyRole, RingSigningKey, SigningKey};
use signer::nsec3::Nsec3Params;
use signer::rrsig::{RrsigFields, verify_rrsig};
use signer::{Denial, SignError, SignatureSchedule, SigningKeyEntry, SigningParams, Timestamp};
use signer::{sign_zone, signable_rrsets};
use zones::diff::Diff;
use zones::serial::Serial;
use zones::zone::RrsetKey;
use zones::{Class, Name, Rdata, Record, Rtype, Ttl, Zone};

//------------ random numbers -------------------------------------------------

/// xorshift64*: a small seeded generator, so a failing run can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

//------------ zone building --------------------------------------------------

const ORIGIN: &str = "example.";

/// Wire form of a presentation name.
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

/// An absolute name from one relative to the origin ("@" is the origin).
fn abs(rel: &str) -> String {
    if rel == "@" {
        ORIGIN.to_string()
    } else {
        format!("{rel}.{ORIGIN}")
    }
}

fn rec(owner: &str, rtype: Rtype, ttl: u32, rdata: Vec<u8>) -> Record {
    Record {
        owner: Name::from_ascii(abs(owner)).unwrap(),
        rtype,
        class: Class::IN,
        ttl: Ttl(ttl),
        rdata: Rdata::from(rdata),
    }
}

fn soa_rdata(serial: u32) -> Vec<u8> {
    let mut r = wire("ns1.example.");
    r.extend(wire("hostmaster.example."));
    for v in [serial, 7200, 3600, 1_209_600, 300] {
        r.extend_from_slice(&v.to_be_bytes());
    }
    r
}

/// A record of `rtype` at `owner` with one of a few rdata values (few, so that adds and
/// removes meet existing records).
fn random_record(rng: &mut Rng, owner: &str, rtype: Rtype) -> Record {
    let v = rng.below(3) as u8;
    let rdata = match rtype {
        Rtype::A => vec![192, 0, 2, v + 1],
        Rtype::AAAA => [vec![0x20, 1, 0xd, 0xb8], vec![0; 11], vec![v + 1]].concat(),
        Rtype::TXT => vec![2, b'v', b'0' + v],
        Rtype::MX => [vec![0, 10 * (v + 1)], wire(&abs(&format!("mx{v}")))].concat(),
        Rtype::NS => wire(&abs(&format!("ns{v}.{owner}"))),
        Rtype::DS => [vec![0x12, v, 13, 2], vec![0xab + v; 32]].concat(),
        Rtype::DNAME => wire(&format!("target{v}.example.net.")),
        Rtype::TLSA => [vec![3, 1, 1], vec![0xc0 + v; 32]].concat(),
        _ => unreachable!(),
    };
    let ttl = if rng.below(8) == 0 { 300 } else { 3600 };
    rec(owner, rtype, ttl, rdata)
}

/// The starting zone: apex data, a secure delegation with glue, an insecure one, a
/// wildcard, an empty non-terminal, a DNAME with occluded data below it and TLSA.
fn base_zone() -> Zone {
    let mut z = Zone::new(Name::from_ascii(ORIGIN).unwrap(), Class::IN);
    let records = [
        rec("@", Rtype::SOA, 3600, soa_rdata(1)),
        rec("@", Rtype::NS, 3600, wire("ns1.example.")),
        rec(
            "@",
            Rtype::MX,
            3600,
            [vec![0, 10], wire("mail.example.")].concat(),
        ),
        rec("ns1", Rtype::A, 3600, vec![192, 0, 2, 53]),
        rec("www", Rtype::A, 3600, vec![192, 0, 2, 80]),
        rec("mail", Rtype::A, 3600, vec![192, 0, 2, 25]),
        rec(
            "_25._tcp.mail",
            Rtype::TLSA,
            3600,
            [vec![3, 1, 1], vec![0xee; 32]].concat(),
        ),
        rec("sub", Rtype::NS, 3600, wire("ns.sub.example.")),
        rec(
            "sub",
            Rtype::DS,
            3600,
            [vec![0x12, 0x34, 13, 2], vec![0xaa; 32]].concat(),
        ),
        rec("ns.sub", Rtype::A, 3600, vec![192, 0, 2, 54]),
        rec("insecure", Rtype::NS, 3600, wire("ns.insecure.example.")),
        rec("ns.insecure", Rtype::A, 3600, vec![192, 0, 2, 55]),
        rec(
            "*.w",
            Rtype::MX,
            3600,
            [vec![0, 10], wire("mail.example.")].concat(),
        ),
        rec("x.y.w", Rtype::A, 3600, vec![192, 0, 2, 56]),
        rec("d", Rtype::DNAME, 3600, wire("example.net.")),
        rec("x.d", Rtype::A, 3600, vec![192, 0, 2, 57]),
    ];
    for r in records {
        z.insert(r);
    }
    z
}

/// Owners the random changes use: existing and new names, deep names that create and
/// remove empty non-terminals, wildcards, names at and below delegations and the DNAME.
const OWNERS: &[&str] = &[
    "@",
    "www",
    "mail",
    "_25._tcp.mail",
    "new",
    "b.c.new",
    "a.b.c.new",
    "*.new",
    "*.w",
    "x.y.w",
    "z.y.w",
    "w",
    "sub",
    "ns.sub",
    "deep.ns.sub",
    "insecure",
    "ns.insecure",
    "d",
    "x.d",
    "q.r.s.t",
    "t",
    "ns1",
    "zz",
    "host1",
];

/// Types the random changes use, NS and DS more often so that delegations come and go.
const TYPES: &[Rtype] = &[
    Rtype::A,
    Rtype::A,
    Rtype::AAAA,
    Rtype::TXT,
    Rtype::MX,
    Rtype::TLSA,
    Rtype::NS,
    Rtype::NS,
    Rtype::DS,
    Rtype::DS,
    Rtype::DNAME,
];

/// A random change of one to four records against the unsigned zone `zone`.
fn random_change(rng: &mut Rng, zone: &Zone) -> Change {
    let mut change = Change::default();
    for _ in 0..1 + rng.below(4) {
        let existing: Vec<Record> = zone.records().filter(|r| r.rtype != Rtype::SOA).collect();
        if rng.below(100) < 45 && !existing.is_empty() {
            change.removed.push(rng.pick(&existing).clone());
        } else {
            let owner = *rng.pick(OWNERS);
            let rtype = *rng.pick(TYPES);
            // NS and DNAME at the apex would make the whole zone a cut or occluded.
            if owner == "@" && rtype == Rtype::DNAME {
                continue;
            }
            change.added.push(random_record(rng, owner, rtype));
        }
    }
    change
}

/// Applies a change to an unsigned zone the way `Change` documents: removals, then adds.
fn apply_unsigned(zone: &mut Zone, change: &Change, serial: u32) {
    for r in &change.removed {
        let key = (r.owner.to_lowercase(), u16::from(r.rtype), 0);
        if let Some(set) = zone.rrsets.get_mut(&key) {
            set.rdatas.retain(|x| x != &r.rdata);
            if set.rdatas.is_empty() {
                zone.rrsets.remove(&key);
            }
        }
    }
    for r in &change.added {
        zone.insert(r.clone());
    }
    let soa_key = (Name::from_ascii(ORIGIN).unwrap(), u16::from(Rtype::SOA), 0);
    let soa = zone.rrsets.get_mut(&soa_key).unwrap();
    soa.rdatas = vec![Rdata::from(soa_rdata(serial))];
}

//------------ comparison -----------------------------------------------------

/// The zone without RRSIGs.
fn stripped(zone: &Zone) -> Vec<(RrsetKey, zones::Rrset)> {
    zone.rrsets
        .iter()
        .filter(|((_, t, _), _)| *t != 46)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Per RRSIG set: its TTL and, per signature, every field but the validity times and the
/// signature itself (type covered, algorithm, labels, original TTL, key tag, signer).
fn signature_shapes(zone: &Zone) -> BTreeMap<RrsetKey, (Ttl, BTreeSet<Vec<u8>>)> {
    zone.rrsets
        .iter()
        .filter(|((_, t, _), _)| *t == 46)
        .map(|(k, set)| {
            let shapes = set
                .rdatas
                .iter()
                .map(|r| {
                    let (f, _) = RrsigFields::from_wire(r.as_bytes()).unwrap();
                    let mut shape = f.type_covered.to_be_bytes().to_vec();
                    shape.extend([f.algorithm, f.labels]);
                    shape.extend(f.original_ttl.to_be_bytes());
                    shape.extend(f.key_tag.to_be_bytes());
                    shape.extend(f.signer.to_ascii().bytes());
                    shape
                })
                .collect();
            (k.clone(), (set.ttl, shapes))
        })
        .collect()
}

/// Panics with the first difference between the incremental and the full result.
fn assert_equivalent(incremental: &Zone, full: &Zone, context: &str) {
    let (a, b) = (stripped(incremental), stripped(full));
    if a != b {
        let (sa, sb): (BTreeSet<_>, BTreeSet<_>) = (
            a.iter().map(|x| format!("{:?}", x.1)).collect(),
            b.iter().map(|x| format!("{:?}", x.1)).collect(),
        );
        panic!(
            "{context}: RRsets differ\nonly incremental: {:#?}\nonly full: {:#?}",
            sa.difference(&sb).collect::<Vec<_>>(),
            sb.difference(&sa).collect::<Vec<_>>()
        );
    }
    let (a, b) = (signature_shapes(incremental), signature_shapes(full));
    if a != b {
        let ka: BTreeSet<_> = a.iter().map(|(k, v)| format!("{k:?} {v:?}")).collect();
        let kb: BTreeSet<_> = b.iter().map(|(k, v)| format!("{k:?} {v:?}")).collect();
        panic!(
            "{context}: RRSIGs differ\nonly incremental: {:#?}\nonly full: {:#?}",
            ka.difference(&kb).collect::<Vec<_>>(),
            kb.difference(&ka).collect::<Vec<_>>()
        );
    }
    // Every RRSIG set covers an RRset that must be signed, and every such RRset has one.
    let signable: BTreeSet<RrsetKey> = signable_rrsets(incremental)
        .into_iter()
        .map(|(o, t, _)| (o, 46, t))
        .collect();
    let signed: BTreeSet<RrsetKey> = a.keys().cloned().collect();
    assert_eq!(signable, signed, "{context}: signed RRsets");
}

/// Every RRSIG the diff adds verifies against the key it names, and is valid at `now`.
fn assert_new_signatures_verify(
    zone: &Zone,
    diff: &Diff,
    keys: &[&RingSigningKey],
    now: Timestamp,
) {
    for r in diff.added.iter().filter(|r| r.rtype == Rtype::RRSIG) {
        let (f, _) = RrsigFields::from_wire(r.rdata.as_bytes()).unwrap();
        let set = zone
            .rrsets
            .get(&(r.owner.to_lowercase(), f.type_covered, 0))
            .unwrap_or_else(|| panic!("RRSIG over a missing RRset at {}", r.owner));
        let key = keys
            .iter()
            .flat_map(|k| [k.dnskey(256), k.dnskey(257)])
            .find(|d| d.key_tag() == f.key_tag)
            .expect("signing key");
        verify_rrsig(set, r.rdata.as_bytes(), &key).unwrap();
        assert!(Timestamp::from_rrsig_field(f.inception, now) <= now);
        assert!(Timestamp::from_rrsig_field(f.expiration, now) > now);
    }
}

//------------ the equivalence runs -------------------------------------------

/// Signs the base zone, then applies `steps` random changes from `seed`, one after the
/// other, each checked against a full signing of the changed unsigned zone.
fn run_equivalence(seed: u64, steps: usize, denial: Denial, split: bool) {
    let ksk = RingSigningKey::generate(Algorithm::ED25519).unwrap();
    let zsk = RingSigningKey::generate(Algorithm::ED25519).unwrap();
    let keys: Vec<SigningKeyEntry<'_>> = if split {
        vec![
            SigningKeyEntry::active(&ksk, KeyRole::Ksk),
            SigningKeyEntry::active(&zsk, KeyRole::Zsk),
        ]
    } else {
        vec![SigningKeyEntry::active(&ksk, KeyRole::Csk)]
    };
    let params = SigningParams {
        denial,
        validity_jitter_secs: 3600,
        ..Default::default()
    };
    let mut rng = Rng(seed);
    let mut now = Timestamp(1_750_000_000);
    let mut unsigned = base_zone();
    let mut signed = sign_zone(&unsigned, &keys, &params, now).unwrap();
    for step in 0..steps {
        let change = random_change(&mut rng, &unsigned);
        let serial = 2 + step as u32;
        now = now.add_secs(60);
        apply_unsigned(&mut unsigned, &change, serial);
        let full = sign_zone(&unsigned, &keys, &params, now).unwrap();
        let (next, diff) =
            sign_change(&signed, &change, Serial(serial), &keys, &params, now).unwrap();
        let context = format!("seed {seed} step {step} change {change:#?}");
        assert_equivalent(&next, &full, &context);
        // The diff is exactly the difference, and leads from the previous version to this one.
        assert_eq!(diff.serial_to(), Serial(serial));
        assert_eq!(
            Some(&diff),
            Diff::between(&signed, &next).as_ref(),
            "{context}"
        );
        let mut replayed = signed.clone();
        diff.apply(&mut replayed);
        assert!(replayed == next, "{context}: diff does not replay");
        assert_new_signatures_verify(&next, &diff, &[&ksk, &zsk], now);
        signed = next;
    }
}

#[test]
fn random_changes_signed_incrementally_equal_a_full_signing_with_nsec() {
    for seed in 1..=4 {
        run_equivalence(seed, 60, Denial::Nsec, seed % 2 == 0);
    }
}

#[test]
fn random_changes_signed_incrementally_equal_a_full_signing_with_nsec3() {
    for seed in 11..=14 {
        run_equivalence(
            seed,
            60,
            Denial::Nsec3(Nsec3Params::default()),
            seed % 2 == 0,
        );
    }
}

#[test]
fn random_changes_signed_incrementally_equal_a_full_signing_with_nsec3_opt_out_and_salt() {
    let params = Nsec3Params {
        iterations: 2,
        salt: vec![0xaa, 0xbb],
        opt_out: true,
    };
    for seed in 21..=24 {
        run_equivalence(seed, 60, Denial::Nsec3(params.clone()), seed % 2 == 1);
    }
}

#[test]
fn a_change_of_one_record_touches_only_its_rrset_the_soa_and_the_denial_records_around_it() {
    let csk = RingSigningKey::generate(Algorithm::ED25519).unwrap();
    let keys = [SigningKeyEntry::active(&csk, KeyRole::Csk)];
    let params = SigningParams::default();
    let now = Timestamp(1_750_000_000);
    let signed = sign_zone(&base_zone(), &keys, &params, now).unwrap();
    // A new TLSA at an existing name: its RRset and RRSIG, the SOA RRSIG and the name's
    // NSEC3 (bitmap gains TLSA) with its RRSIG change; nothing else.
    let change = Change {
        removed: vec![],
        added: vec![rec("mail", Rtype::TLSA, 3600, vec![3, 1, 1, 0xaa])],
    };
    let (_, diff) = sign_change(&signed, &change, Serial(2), &keys, &params, now).unwrap();
    let types: BTreeSet<(u16, bool)> = diff
        .removed
        .iter()
        .map(|r| (u16::from(r.rtype), false))
        .chain(diff.added.iter().map(|r| (u16::from(r.rtype), true)))
        .collect();
    assert_eq!(
        types,
        BTreeSet::from([(52, true), (46, false), (46, true), (50, false), (50, true)])
    );
    assert_eq!(
        diff.added
            .iter()
            .filter(|r| r.rtype == Rtype::RRSIG)
            .count(),
        3
    );
}

#[test]
fn records_of_the_signers_own_types_and_outside_the_zone_are_refused() {
    let csk = RingSigningKey::generate(Algorithm::ED25519).unwrap();
    let keys = [SigningKeyEntry::active(&csk, KeyRole::Csk)];
    let params = SigningParams::default();
    let now = Timestamp(1_750_000_000);
    let signed = sign_zone(&base_zone(), &keys, &params, now).unwrap();
    let own = Change {
        removed: vec![],
        added: vec![rec("www", Rtype::NSEC3PARAM, 3600, vec![1, 0, 0, 0, 0])],
    };
    assert!(matches!(
        sign_change(&signed, &own, Serial(2), &keys, &params, now),
        Err(SignError::SignerOwnedType { .. })
    ));
    let mut outside = rec("www", Rtype::A, 3600, vec![192, 0, 2, 1]);
    outside.owner = Name::from_ascii("www.example.net.").unwrap();
    let outside = Change {
        removed: vec![],
        added: vec![outside],
    };
    assert!(matches!(
        sign_change(&signed, &outside, Serial(2), &keys, &params, now),
        Err(SignError::OutOfZone { .. })
    ));
}

#[test]
fn a_change_signed_with_new_keys_falls_back_to_a_full_signing_that_equals_one() {
    let csk = RingSigningKey::generate(Algorithm::ED25519).unwrap();
    let zsk = RingSigningKey::generate(Algorithm::ED25519).unwrap();
    let one = [SigningKeyEntry::active(&csk, KeyRole::Csk)];
    let two = [
        SigningKeyEntry::active(&csk, KeyRole::Csk),
        SigningKeyEntry::active(&zsk, KeyRole::Zsk),
    ];
    let params = SigningParams::default();
    let now = Timestamp(1_750_000_000);
    let signed = sign_zone(&base_zone(), &one, &params, now).unwrap();
    let change = Change {
        removed: vec![],
        added: vec![rec("new", Rtype::A, 3600, vec![192, 0, 2, 9])],
    };
    let mut unsigned = base_zone();
    apply_unsigned(&mut unsigned, &change, 2);
    let full = sign_zone(&unsigned, &two, &params, now).unwrap();
    let (next, diff) = sign_change(&signed, &change, Serial(2), &two, &params, now).unwrap();
    assert_equivalent(&next, &full, "new ZSK");
    assert_eq!(Some(diff), Diff::between(&signed, &next));
}

#[test]
fn refresh_resigns_exactly_the_due_rrsets_and_the_schedule_follows() {
    let csk = RingSigningKey::generate(Algorithm::ED25519).unwrap();
    let keys = [SigningKeyEntry::active(&csk, KeyRole::Csk)];
    let params = SigningParams {
        validity_jitter_secs: 86400,
        ..Default::default()
    };
    let t0 = Timestamp(1_750_000_000);
    let signed = sign_zone(&base_zone(), &keys, &params, t0).unwrap();
    let mut schedule = SignatureSchedule::build(&signed, t0);
    let rrsigs: usize = signed
        .rrsets
        .iter()
        .filter(|((_, t, _), _)| *t == u16::from(Rtype::RRSIG))
        .map(|(_, s)| s.rdatas.len())
        .sum();
    assert_eq!(schedule.len(), rrsigs);
    let refresh_secs = 3 * 86400;
    let first_due = schedule.next_refresh(refresh_secs).unwrap();
    // The schedule counts by the hour: the refresh comes at most an hour early.
    let exact = signer::next_resign_time(&signed, t0, refresh_secs).unwrap();
    assert!(
        first_due <= exact && exact.0 - first_due.0 < 3600,
        "{first_due:?} {exact:?}"
    );
    // Half a day after the first one comes due, some RRsets are due and some are not.
    let now = first_due.add_secs(43_200);
    let due = SignatureSchedule::due(&signed, now, refresh_secs);
    assert!(
        !due.is_empty() && due.len() < signable_rrsets(&signed).len(),
        "{}",
        due.len()
    );
    let (next, diff) = refresh(&signed, &due, Serial(2), &keys, &params, now).unwrap();
    let resigned: BTreeSet<RrsetKey> = diff
        .added
        .iter()
        .filter(|r| r.rtype == Rtype::RRSIG)
        .map(|r| {
            let covered = zones::zone::covered_type(r.rtype, r.rdata.as_bytes());
            (r.owner.to_lowercase(), covered, 0)
        })
        .collect();
    let mut expected: BTreeSet<RrsetKey> = due.into_iter().collect();
    expected.insert((Name::from_ascii(ORIGIN).unwrap(), 6, 0));
    assert_eq!(resigned, expected);
    assert_new_signatures_verify(&next, &diff, &[&csk], now);
    schedule.update(&diff, now);
    assert_eq!(schedule, SignatureSchedule::build(&next, now));
    assert!(schedule.next_refresh(refresh_secs).unwrap() > now);
    assert!(SignatureSchedule::due(&next, now, refresh_secs).is_empty());
}

//------------ an independent validator ---------------------------------------

/// A fresh directory for one test's files.
fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("signer-incremental-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn incrementally_signed_zones_validate_with_ldns_verify_zone() {
    let now = Timestamp(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    );
    let ksk = RingSigningKey::generate(Algorithm::ECDSAP256SHA256).unwrap();
    let zsk = RingSigningKey::generate(Algorithm::ECDSAP256SHA256).unwrap();
    let keys = [
        SigningKeyEntry::active(&ksk, KeyRole::Ksk),
        SigningKeyEntry::active(&zsk, KeyRole::Zsk),
    ];
    let opt_out = Nsec3Params {
        opt_out: true,
        ..Default::default()
    };
    let denials = [
        Denial::Nsec,
        Denial::Nsec3(Nsec3Params::default()),
        Denial::Nsec3(opt_out),
    ];
    for (i, denial) in denials.into_iter().enumerate() {
        let params = SigningParams {
            denial,
            ..Default::default()
        };
        let mut rng = Rng(100 + i as u64);
        let mut unsigned = base_zone();
        let mut signed = sign_zone(&unsigned, &keys, &params, now).unwrap();
        for step in 0..25 {
            let change = random_change(&mut rng, &unsigned);
            apply_unsigned(&mut unsigned, &change, 2 + step);
            signed = sign_change(&signed, &change, Serial(2 + step), &keys, &params, now)
                .unwrap()
                .0;
        }
        let dir = temp_dir(&format!("v{i}"));
        let file = dir.join("example.zone");
        std::fs::write(&file, zones::present::write_zone(&signed)).unwrap();
        let out = Command::new("ldns-verify-zone")
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("ldns-verify-zone is required for this test: {e}"));
        assert!(
            out.status.success(),
            "ldns-verify-zone rejected {}:\n{}\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
