//! The view of a driver on a hand-driven clock, and its JSON round trip.

use std::path::PathBuf;

use signer::Timestamp;

use super::*;
use crate::config::ZoneConfig;
use crate::config::policy::Policy;
use crate::daemon::Event;
use crate::daemon::signing::ZoneSigning;

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n\
                    @ NS ns\nns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";
const T0: u64 = 1_900_000_000;

fn setup(name: &str, signed: bool) -> (PathBuf, ZoneConfig) {
    let dir = std::env::temp_dir().join(format!("daned-view-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("example.com.zone");
    std::fs::write(&file, ZONE).unwrap();
    let config = ZoneConfig {
        sign: signed,
        signing: signed.then(|| {
            std::sync::Arc::new(ZoneSigning {
                policy_name: "test".into(),
                policy: Policy::builtin(),
                state_dir: dir.join("state"),
            })
        }),
        ..ZoneConfig::new("example.com.".parse().unwrap(), file)
    };
    (dir, config)
}

#[test]
fn a_signed_zone_shows_its_serial_keys_and_next_key_event() {
    let (dir, config) = setup("signed", true);
    let mut d = ZoneDriver::load(config, &dir.join("state"), Timestamp(T0)).unwrap();
    // The rollover machine first runs at the first tick.
    d.step(Timestamp(T0), Event::Tick);
    let view = ZoneStateView::of(&d, Timestamp(T0));
    assert_eq!(view.zone, "example.com.");
    assert_eq!(view.serial, d.served().serial());
    assert_eq!(view.signing, Signing::Signed);
    assert!(!view.keys.is_empty());
    assert!(view.keys.iter().all(|k| k.phase == "active"), "{view:?}");
    let next = view
        .next_key_event
        .as_ref()
        .expect("a lifetime ends some day");
    assert_eq!(next.waits_for, "lifetime");
    assert!(next.at.is_some_and(|at| at > T0));
    let expire = view.signatures_expire.expect("signed");
    assert!(expire > T0 && view.next_refresh.unwrap() < expire);
    assert_eq!(view.parent_ds, ParentDs::Unknown);
    assert_eq!(view.last_reload, ReloadView::NotYet);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_reload_and_the_secondaries_seen_are_reported_and_survive_json() {
    let (dir, config) = setup("reload", false);
    let file = config.file.clone();
    let mut d = ZoneDriver::load(config, &dir.join("state"), Timestamp(T0)).unwrap();
    std::fs::write(&file, "this is not a zone\n").unwrap();
    d.step(Timestamp(T0 + 10), Event::Reload);
    let addr = "192.0.2.53:53".parse().unwrap();
    d.step(
        Timestamp(T0 + 20),
        Event::SecondarySerials(vec![(addr, Some(1))]),
    );
    let view = ZoneStateView::of(&d, Timestamp(T0 + 30));
    assert_eq!(view.signing, Signing::Unsigned);
    assert_eq!(view.parent_ds, ParentDs::NotSigned);
    assert!(view.keys.is_empty() && view.next_key_event.is_none());
    match &view.last_reload {
        ReloadView::Failed { at, error } => {
            assert_eq!(*at, T0 + 10);
            assert!(!error.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        view.secondaries,
        vec![SecondaryView {
            addr: "192.0.2.53:53".into(),
            serial: Some(1),
            at: T0 + 20
        }]
    );
    let json = serde_json::to_string(&view).unwrap();
    let back: ZoneStateView = serde_json::from_str(&json).unwrap();
    assert_eq!(back, view);
    let _ = std::fs::remove_dir_all(&dir);
}

fn wait(what: WaitFor) -> Wait {
    Wait {
        tag: 1,
        role: KeyRole::Ksk,
        what,
        next: KeyPhase::Active,
        at: None,
    }
}

#[test]
fn a_ds_change_outranks_the_secondaries_which_outrank_an_interval() {
    assert_eq!(RolloverPhase::of(&[]), RolloverPhase::Steady);
    assert_eq!(
        RolloverPhase::of(&[wait(WaitFor::Lifetime)]),
        RolloverPhase::Steady
    );
    assert_eq!(
        RolloverPhase::of(&[wait(WaitFor::Interval), wait(WaitFor::Secondaries)]),
        RolloverPhase::WaitingSecondaries
    );
    assert_eq!(
        RolloverPhase::of(&[wait(WaitFor::Secondaries), wait(WaitFor::DsWithdrawn)]),
        RolloverPhase::WaitingDsWithdrawn
    );
    assert_eq!(
        RolloverPhase::of(&[wait(WaitFor::DsWithdrawn), wait(WaitFor::DsPublished)]),
        RolloverPhase::WaitingDsPublished
    );
}
