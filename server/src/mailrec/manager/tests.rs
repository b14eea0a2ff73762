//! The DKIM source through the zone driver, on a hand-driven clock.

use std::path::{Path, PathBuf};

use signer::Timestamp;
use zones::{Rtype, Ttl};

use crate::config::ZoneConfig;
use crate::config::policy::Policy;
use crate::daemon::driver::{Event, ZoneDriver};
use crate::daemon::error::ZoneError;
use crate::daemon::signing::ZoneSigning;
use crate::mailrec::dkim::DkimBinding;
use crate::mailrec::dkim::record::txt_text;

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n\
                    @ NS ns\nns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";
const T0: u64 = 1_900_000_000;
const DAY: u64 = 86_400;

/// An Ed25519 PKCS#8 PEM key whose seed is `byte` repeated.
fn ed25519_pem(byte: u8) -> String {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&[byte; 32]);
    pem::encode(&pem::Pem::new("PRIVATE KEY", der))
}

/// A zone whose `[[zone.dkim]]` publishes `selector` (file `SELECTOR.key`) and optionally
/// `next`, retire_after one day.
fn config(dir: &Path, selector: &str, next: Option<&str>) -> ZoneConfig {
    let file = dir.join("example.com.zone");
    if !file.exists() {
        std::fs::write(&file, ZONE).unwrap();
    }
    ZoneConfig {
        sign: true,
        signing: Some(std::sync::Arc::new(ZoneSigning {
            policy_name: "test".into(),
            policy: Policy::builtin(),
            state_dir: dir.join("state"),
        })),
        dkim: vec![DkimBinding {
            selector: selector.into(),
            key: dir.join(format!("{selector}.key")),
            next: next.map(|n| (n.to_string(), dir.join(format!("{n}.key")))),
            retire_after: DAY,
            revoke: true,
            ttl: Ttl(600),
        }],
        ..ZoneConfig::new("example.com.".parse().unwrap(), file)
    }
}

/// The text of the DKIM record at `selector`, if any.
fn record(d: &ZoneDriver, selector: &str) -> Option<String> {
    let name = d.mail().expect("bindings").owner(selector).unwrap();
    let zone = d.served().zone();
    let set = zone.get(&name, Rtype::TXT)?;
    assert_eq!(set.rdatas.len(), 1);
    txt_text(set.rdatas[0].as_bytes())
}

fn write_keys(dir: &Path, keys: &[(&str, u8)]) {
    for (selector, seed) in keys {
        std::fs::write(dir.join(format!("{selector}.key")), ed25519_pem(*seed)).unwrap();
    }
}

fn state(dir: &Path) -> PathBuf {
    dir.join("state")
}

/// The zone loaded at `T0` with selector `s1` current and `s2` next (keys of seeds 1 and 2).
fn current_and_next(dir: &Path) -> ZoneDriver {
    write_keys(dir, &[("s1", 1), ("s2", 2)]);
    ZoneDriver::load(config(dir, "s1", Some("s2")), &state(dir), Timestamp(T0)).unwrap()
}

#[test]
fn keys_are_published_a_broken_file_keeps_the_record_and_a_new_key_replaces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut d = current_and_next(dir);
    let s1 = record(&d, "s1").unwrap();
    assert!(s1.starts_with("v=DKIM1; k=ed25519; p="), "{s1}");
    let s2 = record(&d, "s2").unwrap();
    assert_ne!(s1, s2);
    let serial = d.served().serial();
    // A half-written key file: nothing changes.
    std::fs::write(dir.join("s2.key"), "-----BEGIN PRIVATE KEY-----\nMC4CAQAw").unwrap();
    assert!(d.step(Timestamp(T0 + 10), Event::MailFiles).is_empty());
    assert_eq!(record(&d, "s2").unwrap(), s2);
    // A new next key: published with the next serial.
    write_keys(dir, &[("s2", 3)]);
    assert_eq!(d.step(Timestamp(T0 + 20), Event::MailFiles).len(), 1);
    assert_ne!(record(&d, "s2").unwrap(), s2);
    assert!(d.served().serial() > serial);
    assert!(
        d.step(Timestamp(T0 + 30), Event::MailFiles).is_empty(),
        "nothing more"
    );
}

#[test]
fn a_zone_file_record_at_a_managed_selector_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_keys(dir, &[("s1", 1)]);
    std::fs::write(
        dir.join("example.com.zone"),
        format!("{ZONE}s1._domainkey TXT \"v=DKIM1; p=\"\n"),
    )
    .unwrap();
    let err = ZoneDriver::load(config(dir, "s1", None), &state(dir), Timestamp(T0))
        .err()
        .unwrap();
    assert!(matches!(err, ZoneError::MailManaged(_)), "{err}");
    assert!(
        err.to_string().contains("s1._domainkey.example.com"),
        "{err}"
    );
}

#[test]
fn a_rotation_keeps_the_old_selector_then_revokes_then_removes_it_across_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let d = current_and_next(dir);
    let old = record(&d, "s1").unwrap();
    drop(d);
    // The signer switched to s2; the configuration now names s2 only (a reload loads the
    // zone afresh; the state file carries what was published).
    let t = T0 + 3600;
    let mut d = ZoneDriver::load(config(dir, "s2", None), &state(dir), Timestamp(t)).unwrap();
    assert_eq!(
        record(&d, "s1").unwrap(),
        old,
        "retiring: the old key stays"
    );
    assert_eq!(d.mail().and_then(|m| m.next_change()), Some(t + DAY));
    d.step(Timestamp(t + DAY - 1), Event::Tick);
    assert_eq!(record(&d, "s1").unwrap(), old, "still retiring");
    d.step(Timestamp(t + DAY), Event::Tick);
    assert_eq!(record(&d, "s1").unwrap(), "v=DKIM1; k=ed25519; p=");
    // A restart while revoked keeps it revoked.
    drop(d);
    let mut d =
        ZoneDriver::load(config(dir, "s2", None), &state(dir), Timestamp(t + DAY + 5)).unwrap();
    assert_eq!(record(&d, "s1").unwrap(), "v=DKIM1; k=ed25519; p=");
    d.step(Timestamp(t + 2 * DAY), Event::Tick);
    assert_eq!(record(&d, "s1"), None, "removed");
    assert!(record(&d, "s2").is_some());
}

#[test]
fn a_zone_at_rest_keeps_only_its_snapshot_and_still_follows_its_key_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut d = current_and_next(dir);
    let s2 = record(&d, "s2").unwrap();
    // Whatever the first tick does, the second (past the hold) lets the editable zone go.
    d.step(Timestamp(T0 + 60), Event::Tick);
    d.step(Timestamp(T0 + 600), Event::Tick);
    assert_eq!(
        d.served().release_at(),
        None,
        "the editable zone was let go"
    );
    // The DKIM source reads its names out of the snapshot: nothing is taken for missing,
    // and nothing is rebuilt.
    assert!(d.step(Timestamp(T0 + 660), Event::MailFiles).is_empty());
    assert!(d.step(Timestamp(T0 + 720), Event::Tick).is_empty());
    assert_eq!(
        d.served().release_at(),
        None,
        "a look at the key files rebuilt nothing"
    );
    // A new next key is published from the snapshot's view, and then nothing more.
    write_keys(dir, &[("s2", 3)]);
    assert_eq!(d.step(Timestamp(T0 + 780), Event::MailFiles).len(), 1);
    assert_ne!(record(&d, "s2").unwrap(), s2);
    assert!(d.step(Timestamp(T0 + 840), Event::MailFiles).is_empty());
}
