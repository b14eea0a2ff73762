//! The driver on a hand-driven clock: no process, no socket, time moved by the test.

use std::path::{Path, PathBuf};
use std::time::Duration;

use signer::Timestamp;
use signer::keystore::KeyPhase;
use zones::{Name, Rtype, Ttl};

use super::*;
use crate::config::policy::{KeyLayout, Policy};
use crate::daemon::signing::ZoneSigning;
use crate::daemon::tlsa::publish::TlsaBinding;

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n\
                    @ NS ns\nns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";

const DAY: u64 = 86_400;
const T0: u64 = 1_900_000_000;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("daned-driver-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(dir: &Path, policy: Policy) -> ZoneConfig {
    let file = dir.join("example.com.zone");
    if !file.exists() {
        std::fs::write(&file, ZONE).unwrap();
    }
    ZoneConfig {
        sign: true,
        signing: Some(Arc::new(ZoneSigning {
            policy_name: "test".into(),
            policy,
            state_dir: dir.join("state"),
        })),
        ..ZoneConfig::new("example.com.".parse().unwrap(), file)
    }
}

/// Every RRSIG expiration of the served zone.
fn expirations(d: &ZoneDriver) -> Vec<u32> {
    d.served()
        .zone()
        .rrsets
        .iter()
        .filter(|((_, t, _), _)| *t == 46)
        .flat_map(|(_, s)| s.rdatas.iter())
        .map(|r| u32::from_be_bytes(r.as_bytes()[8..12].try_into().unwrap()))
        .collect()
}

/// A driver signing `ZONE` with the built-in policy from `T0`, and that policy's
/// `rrsig_refresh` in seconds.
fn signed_driver(dir: &Path) -> (ZoneDriver, u64) {
    let policy = Policy::builtin();
    let refresh = policy.rrsig_refresh.as_secs();
    let d = ZoneDriver::load(config(dir, policy), &dir.join("state"), Timestamp(T0)).unwrap();
    (d, refresh)
}

/// A restart at `at` on `dir`'s state serves the serial `d` serves: its versions were
/// journalled.
fn assert_restart_serves_the_same(dir: &Path, at: Timestamp, d: &ZoneDriver) {
    let again = ZoneDriver::load(config(dir, Policy::builtin()), &dir.join("state"), at).unwrap();
    assert_eq!(again.served().serial(), d.served().serial());
}

#[test]
fn signatures_are_refreshed_when_due_and_not_before() {
    let dir = temp_dir("refresh");
    let (mut d, refresh) = signed_driver(&dir);
    let serial = d.served().serial();
    assert!(
        d.step(Timestamp(T0 + DAY), Event::Tick).is_empty(),
        "nothing due after a day"
    );
    assert_eq!(d.served().serial(), serial);
    let due = d.next_wakeup().expect("a signed zone has a refresh time");
    assert!(due.as_secs() > T0 + DAY && due.as_secs() <= T0 + 14 * DAY - refresh);
    let later = Timestamp(due.as_secs() + 60);
    assert_eq!(d.step(later, Event::Tick).len(), 1, "refreshed once due");
    assert!(d.served().serial() > serial);
    let limit = (later.as_secs() + refresh) as u32;
    assert!(
        expirations(&d).iter().all(|&e| e > limit),
        "nothing left expiring within the refresh window"
    );
    // The new version was journalled: a restart at the same moment serves it unchanged.
    assert_restart_serves_the_same(&dir, later, &d);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_big_refresh_goes_out_in_parts_each_a_complete_journalled_version() {
    let dir = temp_dir("refresh-parts");
    let (mut d, refresh) = signed_driver(&dir);
    let served = d.served().serial();
    let sigs = expirations(&d).len();
    d.served.set_refresh_part(2);
    // Everything expires within the refresh window: every RRset is due, in parts of two.
    let later = Timestamp(T0 + 13 * DAY);
    assert_eq!(
        d.step(later, Event::Tick).len(),
        1,
        "one publication reported"
    );
    let versions = d.served().serial().wrapping_sub(served);
    assert!(
        versions as usize >= sigs / 2,
        "{sigs} RRSIGs in parts of 2 RRsets: {versions} versions"
    );
    let limit = (later.as_secs() + refresh) as u32;
    assert!(expirations(&d).iter().all(|&e| e > limit), "all refreshed");
    assert_eq!(expirations(&d).len(), sigs, "no signature lost or doubled");
    // Every part was journalled: IXFR from the first serial reaches the last one, and a
    // restart serves the last version.
    let last = zones::serial::Serial(d.served().serial());
    let history = &d.served().snapshot.history;
    let chain = history.chain(zones::serial::Serial(served), last);
    assert_eq!(
        chain.map(<[_]>::len),
        Some(versions as usize),
        "the journal holds each part, linked from {served}"
    );
    assert_restart_serves_the_same(&dir, later, &d);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_broken_zone_file_keeps_the_served_version_and_a_good_one_is_published() {
    let dir = temp_dir("reload");
    let cfg = config(&dir, Policy::builtin());
    let mut d = ZoneDriver::load(cfg.clone(), &dir.join("state"), Timestamp(T0)).unwrap();
    let serial = d.served().serial();
    std::fs::write(&cfg.file, "example.com. 3600 IN SOA broken\n").unwrap();
    assert!(d.step(Timestamp(T0 + 10), Event::Reload).is_empty());
    assert_eq!(d.served().serial(), serial, "old version keeps serving");
    std::fs::write(&cfg.file, format!("{ZONE}www A 192.0.2.80\n")).unwrap();
    assert_eq!(d.step(Timestamp(T0 + 20), Event::Reload).len(), 1);
    let www = Name::from_ascii("www.example.com.").unwrap();
    assert!(d.served().zone().get(&www, Rtype::A).is_some());
    assert!(
        d.served().zone().get_rrsig(&www, Rtype::A).is_some(),
        "signed"
    );
    // A file broken at start is an error naming the file and line.
    std::fs::write(&cfg.file, format!("{ZONE}ns2 A not-an-address\n")).unwrap();
    let err = ZoneDriver::load(cfg.clone(), &dir.join("state2"), Timestamp(T0))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains(&format!("{}:8", cfg.file.display())), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A self-signed certificate for mx1 with a fresh key, written to `cert` (key to `key`).
fn certificate(cert: &Path, key: &Path) {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = rcgen::CertificateParams::new(vec!["mx1.example.com".into()]).unwrap();
    std::fs::write(cert, params.self_signed(&pair).unwrap().pem()).unwrap();
    std::fs::write(key, pair.serialize_pem()).unwrap();
}

/// The `3 1 1` rdata of the key in `file` (a certificate or a private key).
fn rdata_311(file: &Path) -> Vec<u8> {
    let spki = crate::dane::derive::public_key_info(&std::fs::read(file).unwrap()).unwrap();
    crate::dane::derive::tlsa_rdata_for_spki(
        &spki,
        crate::dane::derive::Usage::DANE_EE,
        crate::dane::derive::Matching::SHA256,
    )
    .unwrap()
}

#[test]
fn a_certificate_renewal_goes_through_pre_publication_and_retirement() {
    let dir = temp_dir("tlsa");
    let (cert, key, next) = (
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("next.pem"),
    );
    certificate(&cert, &key);
    // The next certificate's key, made ahead (certbot --csr / --reuse-key style).
    let next_cert = dir.join("next-cert.pem");
    certificate(&next_cert, &next);
    let name = Name::from_ascii("_25._tcp.mx1.example.com.").unwrap();
    let ttl = 600;
    let mut cfg = config(&dir, Policy::builtin());
    cfg.tlsa = vec![TlsaBinding {
        names: vec![name.clone()],
        certs: vec![cert.clone()],
        keys: vec![key.clone()],
        next_key: Some(next.clone()),
        probe: None,
        issuer: false,
        ttl: Ttl(ttl),
        expiry_warning: 0,
    }];
    let propagation = Policy::builtin().propagation_delay.as_secs();
    let (old, new) = (rdata_311(&cert), rdata_311(&next));
    let mut d = ZoneDriver::load(cfg.clone(), &dir.join("state"), Timestamp(T0)).unwrap();
    let published =
        |d: &ZoneDriver| crate::daemon::tlsa::publish::published(&d.served().zone(), &name);
    assert_eq!(
        published(&d),
        sorted(vec![old.clone(), new.clone()]),
        "current and next published"
    );
    assert!(d.served().zone().get_rrsig(&name, Rtype::TLSA).is_some());
    let status = d.tlsa().expect("bindings").status(Some(&d.served().zone()));
    let ready = status[0]
        .records
        .iter()
        .find(|r| r.rdata == new)
        .unwrap()
        .published;
    assert_eq!(ready, Some((T0, T0 + 2 * u64::from(ttl) + propagation)));

    // The renewal: the new certificate (with the next key) replaces the old one.
    let t1 = T0 + 2 * u64::from(ttl) + propagation + 10;
    std::fs::copy(&next_cert, &cert).unwrap();
    std::fs::copy(&next, &key).unwrap();
    assert_eq!(
        d.step(Timestamp(t1), Event::Certificates).len(),
        0,
        "the old record stays: nothing to publish yet"
    );
    assert_eq!(published(&d), sorted(vec![old.clone(), new.clone()]));
    let status = d.tlsa().expect("bindings").status(Some(&d.served().zone()));
    let retiring = status[0].records.iter().find(|r| r.rdata == old).unwrap();
    let hold = 2 * u64::from(ttl) + propagation;
    assert_eq!(retiring.retiring_from, Some(t1 + hold));
    // Not before the deadline...
    assert!(d.step(Timestamp(t1 + hold - 1), Event::Tick).is_empty());
    assert!(published(&d).contains(&old));
    // ...and at it, the old record goes, signed in a new version.
    let serial = d.served().serial();
    assert_eq!(d.step(Timestamp(t1 + hold), Event::Tick).len(), 1);
    assert_eq!(published(&d), vec![new.clone()]);
    assert!(d.served().serial() > serial);
    assert!(d.served().zone().get_rrsig(&name, Rtype::TLSA).is_some());
    // A restart finds the same state and publishes nothing new.
    let again = ZoneDriver::load(cfg, &dir.join("state"), Timestamp(t1 + hold + 5)).unwrap();
    assert_eq!(again.served().serial(), d.served().serial());
    let _ = std::fs::remove_dir_all(&dir);
}

fn sorted(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    v.sort();
    v
}

/// The tags of the zone's DNSKEYs that are ZSKs (flags 256).
fn zsk_tags(d: &ZoneDriver) -> Vec<u16> {
    let zone = &d.served().zone();
    let set = zone.get(&zone.origin, Rtype::DNSKEY).unwrap();
    let mut tags: Vec<u16> = set
        .rdatas
        .iter()
        .filter(|r| r.as_bytes()[..2] == [1, 0])
        .map(|r| signer::key::key_tag(r.as_bytes()))
        .collect();
    tags.sort_unstable();
    tags
}

#[test]
fn a_zsk_rollover_runs_on_the_hand_driven_clock() {
    let dir = temp_dir("zsk");
    let policy = Policy {
        keys: KeyLayout::KskZsk,
        zsk_lifetime: Duration::from_secs(30 * DAY),
        ..Policy::builtin()
    };
    let mut d = ZoneDriver::load(config(&dir, policy), &dir.join("state"), Timestamp(T0)).unwrap();
    let first = zsk_tags(&d);
    assert_eq!(first.len(), 1);
    let mut seen_two = false;
    let mut t = T0;
    while t < T0 + 40 * DAY {
        t += 3600;
        d.step(Timestamp(t), Event::Tick);
        let tags = zsk_tags(&d);
        seen_two |= tags.len() == 2;
        // Every signature of the zone's data is made by a published ZSK.
        let zone = &d.served().zone();
        let mx = zone.get_rrsig(&zone.origin, Rtype::MX).unwrap();
        for r in &mx.rdatas {
            let tag = u16::from_be_bytes([r.as_bytes()[16], r.as_bytes()[17]]);
            assert!(
                tags.contains(&tag),
                "MX signed by {tag}, not a published ZSK at {t}"
            );
        }
    }
    let last = zsk_tags(&d);
    assert!(seen_two, "the new ZSK was pre-published beside the old one");
    assert_eq!(last.len(), 1);
    assert_ne!(last, first, "the old ZSK was replaced");
    let store = signing::open_store(&dir.join("state"), &"example.com.".parse().unwrap()).unwrap();
    let keys = store.load_zone(&"example.com.".parse().unwrap()).unwrap();
    assert!(
        keys.iter()
            .any(|k| k.meta.phase == KeyPhase::Removed || k.meta.phase == KeyPhase::Retired)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every RRSIG's (inception, expiration) in the served zone, read around `now`.
fn validity(d: &ZoneDriver, now: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    d.served()
        .zone()
        .rrsets
        .iter()
        .filter(|((_, t, _), _)| *t == 46)
        .flat_map(|(_, s)| s.rdatas.iter())
        .map(|r| {
            let (f, _) = signer::rrsig::RrsigFields::from_wire(r.as_bytes()).unwrap();
            (
                Timestamp::from_rrsig_field(f.inception, now),
                Timestamp::from_rrsig_field(f.expiration, now),
            )
        })
        .collect()
}

/// Asserts that at `now` every signature has started and none has expired.
fn all_valid_at(d: &ZoneDriver, now: Timestamp, what: &str) {
    let v = validity(d, now);
    assert!(!v.is_empty());
    for (inception, expiration) in v {
        assert!(
            inception <= now,
            "{what}: inception {inception:?} after {now:?}"
        );
        assert!(
            expiration > now,
            "{what}: expiration {expiration:?} not after {now:?}"
        );
    }
}

#[test]
fn the_clock_jumping_days_forward_and_back_resigns_once_and_leaves_no_future_inception() {
    let dir = temp_dir("clock-jumps");
    let policy = Policy::builtin();
    let backdate = policy.inception_backdate.as_secs();
    let mut d = ZoneDriver::load(config(&dir, policy), &dir.join("state"), Timestamp(T0)).unwrap();
    all_valid_at(&d, Timestamp(T0), "at start");

    // 30 days forward: every signature expired; one publish re-signs them all.
    let ahead = Timestamp(T0 + 30 * DAY);
    assert_eq!(
        d.step(ahead, Event::Tick).len(),
        1,
        "one re-sign after the jump"
    );
    all_valid_at(&d, ahead, "after the forward jump");
    // ... and no storm: the next ticks publish nothing.
    for s in 1..=10 {
        let t = Timestamp(ahead.0 + s * 60);
        assert!(
            d.step(t, Event::Tick).is_empty(),
            "a publish {s} minutes later"
        );
    }

    // Back by less than the backdate: the signatures are still valid; nothing to do.
    let slightly_back = Timestamp(ahead.0 + 600 - backdate / 2);
    assert!(d.step(slightly_back, Event::Tick).is_empty());
    all_valid_at(&d, slightly_back, "after a small step back");

    // 10 days back: the signatures made "in the future" start after now; one full re-sign
    // leaves none of them, then nothing more.
    let back = Timestamp(ahead.0 - 10 * DAY);
    let before = d.served().serial();
    assert_eq!(
        d.step(back, Event::Tick).len(),
        1,
        "one re-sign after the jump back"
    );
    assert_ne!(d.served().serial(), before);
    all_valid_at(&d, back, "after the backward jump");
    for s in 1..=10 {
        let t = Timestamp(back.0 + s * 60);
        assert!(
            d.step(t, Event::Tick).is_empty(),
            "a publish {s} minutes later"
        );
    }

    // A reload right after a jump back also leaves no future inception.
    let again = Timestamp(back.0 - 5 * DAY);
    d.step(again, Event::Reload);
    all_valid_at(&d, again, "after a reload following a jump back");
    // And the clock back to where it was: signatures made at `again` are all still valid
    // (validity is longer than 5 days), so nothing is re-signed.
    let now = Timestamp(back.0 + 3600);
    assert!(d.step(now, Event::Tick).is_empty());
    all_valid_at(&d, now, "back at the old time");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every record of `zone` as text, owners lowercase, sorted.
fn record_lines(zone: &Zone) -> Vec<String> {
    let mut out: Vec<String> = zone
        .records()
        .map(|r| {
            format!(
                "{} {} {} {:?}",
                r.owner.to_lowercase(),
                r.ttl,
                r.rtype,
                r.rdata
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_editable_zone_is_let_go_at_rest_and_a_change_rebuilds_it_from_the_snapshot() {
    use crate::daemon::editable::HOLD_SECS;
    let dir = temp_dir("editable");
    let cfg = config(&dir, Policy::builtin());
    let t0 = Timestamp(T0);
    let mut d = ZoneDriver::load(cfg.clone(), &dir.join("state"), t0).unwrap();
    let ns = Name::from_ascii("ns.example.com.").unwrap();
    let ns_sig = d.served().zone().get_rrsig(&ns, Rtype::A).cloned();
    d.step(t0, Event::Tick);
    assert_eq!(d.served().release_at(), None, "let go at the first tick");

    // A reload rebuilds the zone from the snapshot and signs only what changed.
    std::fs::write(&cfg.file, format!("{ZONE}www A 192.0.2.80\n")).unwrap();
    let t1 = t0.add_secs(10);
    assert_eq!(d.step(t1, Event::Reload).len(), 1);
    let held_until = t1.add_secs(HOLD_SECS);
    assert_eq!(
        d.served().release_at(),
        Some(held_until),
        "held while changes come"
    );
    let held = d.served().zone();
    let www = Name::from_ascii("www.example.com.").unwrap();
    assert!(
        held.get_rrsig(&www, Rtype::A).is_some(),
        "the new record is signed"
    );
    assert_eq!(
        held.get_rrsig(&ns, Rtype::A).cloned().map(|s| s.rdatas),
        ns_sig.map(|s| s.rdatas),
        "the signature of an unchanged RRset is kept"
    );

    // Still held just before the time is up, let go after; rebuilt, it is the same zone.
    d.step(held_until.sub_secs(1), Event::Tick);
    assert!(d.served().release_at().is_some());
    d.step(held_until, Event::Tick);
    assert_eq!(d.served().release_at(), None);
    assert_eq!(record_lines(&d.served().zone()), record_lines(&held));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_zone_file_change_is_signed_and_journalled_as_what_it_touches() {
    let dir = temp_dir("file-diff");
    let cfg = config(&dir, Policy::builtin());
    let t0 = Timestamp(T0);
    let mut d = ZoneDriver::load(cfg.clone(), &dir.join("state"), t0).unwrap();
    let before = d.served().zone();
    // One name added, one record's TTL changed; the MX and the apex NS stay.
    let changed = ZONE.replace("mx1 A 192.0.2.25", "mx1 600 A 192.0.2.25");
    std::fs::write(&cfg.file, format!("{changed}www A 192.0.2.80\n")).unwrap();
    assert_eq!(d.step(t0.add_secs(10), Event::Reload).len(), 1);
    let history = d.served().versions().unwrap().history();
    let diff = history.read(history.spans().last().unwrap()).unwrap();
    let owners = |rs: &[zones::Record]| {
        let mut v: Vec<String> = rs
            .iter()
            .filter(|r| r.rtype != Rtype::NSEC3 && r.rtype != Rtype::RRSIG)
            .map(|r| format!("{} {}", r.owner.to_lowercase(), r.rtype))
            .collect();
        v.sort();
        v
    };
    assert_eq!(owners(&diff.removed), ["mx1.example.com. A"]);
    assert_eq!(
        owners(&diff.added),
        ["mx1.example.com. A", "www.example.com. A"]
    );
    let mx = Name::from_ascii("example.com.").unwrap();
    assert!(
        !diff
            .added
            .iter()
            .chain(&diff.removed)
            .any(|r| r.rtype == Rtype::RRSIG
                && r.owner == mx
                && r.rdata.as_bytes()[..2] == u16::from(Rtype::MX).to_be_bytes()),
        "the MX signature is untouched"
    );
    let after = d.served().zone();
    assert_eq!(
        after.get_rrsig(&mx, Rtype::MX).map(|s| &s.rdatas),
        before.get_rrsig(&mx, Rtype::MX).map(|s| &s.rdatas)
    );
    let mx1 = Name::from_ascii("mx1.example.com.").unwrap();
    assert_eq!(after.get(&mx1, Rtype::A).unwrap().ttl, Ttl(600));
    assert_eq!(after.get_rrsig(&mx1, Rtype::A).unwrap().ttl, Ttl(600));

    // A change of the SOA's own fields (with a newer serial, or it is not a change) re-signs
    // the whole zone; the result is the zone a fresh load signs (signatures aside).
    let soa = format!("{changed}www A 192.0.2.80\n")
        .replace(" 1 3600 600 86400 60", " 100 3600 600 86400 120");
    std::fs::write(&cfg.file, &soa).unwrap();
    assert_eq!(d.step(t0.add_secs(20), Event::Reload).len(), 1);
    let unsigned = |z: &Zone| {
        record_lines(z)
            .into_iter()
            .filter(|l| !l.contains(" RRSIG ") && !l.contains(" SOA "))
            .collect::<Vec<_>>()
    };
    let fresh = ZoneDriver::load(cfg.clone(), &dir.join("state-fresh"), t0.add_secs(20)).unwrap();
    let no_nsec3 = |z: &Zone| {
        unsigned(z)
            .into_iter()
            .filter(|l| !l.contains(" NSEC3 ") && !l.contains(" DNSKEY ") && !l.contains(" CD"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        no_nsec3(&d.served().zone()),
        no_nsec3(&fresh.served().zone())
    );
    assert_eq!(
        unsigned(&d.served().zone()).len(),
        unsigned(&fresh.served().zone()).len()
    );

    // Another signer's DNSKEY added to the file (RFC 8901) is published and signed over.
    let other = "@ DNSKEY 256 3 13 kEoIr8HVkPbAE81j4LixribWtmWZopGfybC4rMxry3iqWXzDhFgACuHCh5iF19mdXkXfg/axaPpfdRXuiaC8Rg==\n";
    let multi = format!("{soa}{other}").replace(" 100 3600", " 101 3600");
    std::fs::write(&cfg.file, &multi).unwrap();
    assert_eq!(d.step(t0.add_secs(30), Event::Reload).len(), 1);
    let zone = d.served().zone();
    let dnskeys = zone.get(&mx, Rtype::DNSKEY).unwrap();
    assert_eq!(dnskeys.rdatas.len(), 2, "our key and the other signer's");
    let _ = std::fs::remove_dir_all(&dir);
}
