//! UPDATE through the driver on a hand-driven clock: published as one change with the next
//! serial and kept in the layer; refused or failed, nothing changes.

use std::path::PathBuf;

use zones::{Name, Rtype};

use super::*;
use crate::config::ZoneConfig;
use crate::config::policy::Policy;
use crate::daemon::signing::ZoneSigning;
use crate::update::grant::{NamePattern, UpdateGrant};
use crate::update::message::{CLASS_NONE, UpdateRr};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n\
                    @ NS ns\nns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";
const T0: u64 = 1_900_000_000;

fn setup(name: &str) -> (PathBuf, ZoneConfig) {
    let dir = std::env::temp_dir().join(format!("daned-update-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("example.com.zone");
    std::fs::write(&file, ZONE).unwrap();
    let config = ZoneConfig {
        sign: true,
        signing: Some(std::sync::Arc::new(ZoneSigning {
            policy_name: "default".into(),
            policy: Policy::builtin(),
            state_dir: dir.join("state"),
        })),
        update: vec![UpdateGrant {
            key: "acme".into(),
            names: vec![NamePattern::new(&name_of(
                "_acme-challenge.mx1.example.com.",
            ))],
            types: vec![Rtype::TXT],
        }],
        ..ZoneConfig::new("example.com.".parse().unwrap(), file)
    };
    (dir, config)
}

fn name_of(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

/// An UPDATE of example.com with `updates`.
fn message(updates: Vec<UpdateRr>) -> UpdateMessage {
    UpdateMessage {
        zone: name_of("example.com."),
        zclass: 1,
        prereqs: Vec::new(),
        updates,
    }
}

fn txt(class: u16, value: &str) -> UpdateRr {
    let mut rdata = vec![value.len() as u8];
    rdata.extend_from_slice(value.as_bytes());
    UpdateRr {
        owner: name_of("_acme-challenge.mx1.example.com."),
        rtype: Rtype::TXT,
        class,
        ttl: if class == 1 { 60 } else { 0 },
        rdata,
    }
}

fn has_signed_txt(d: &ZoneDriver) -> bool {
    let owner = name_of("_acme-challenge.mx1.example.com.");
    d.served().zone().get(&owner, Rtype::TXT).is_some()
        && d.served().zone().get_rrsig(&owner, Rtype::TXT).is_some()
}

#[test]
fn an_update_is_published_signed_with_the_next_serial_and_kept_over_a_restart() {
    let (dir, config) = setup("publish");
    let state = dir.join("state");
    let mut d = ZoneDriver::load(config.clone(), &state, Timestamp(T0)).unwrap();
    let serial = d.served().serial();
    let rcode = d.update(Timestamp(T0 + 1), &message(vec![txt(1, "token")]), "acme");
    assert_eq!(rcode, Rcode::NoError);
    assert_eq!(d.served().serial(), serial + 1);
    assert!(has_signed_txt(&d));
    assert_eq!(Layer::load(&state, &config.name).unwrap().added.len(), 1);
    // A restart (file unchanged) serves the layer's record.
    drop(d);
    let d = ZoneDriver::load(config, &state, Timestamp(T0 + 2)).unwrap();
    assert!(has_signed_txt(&d));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_refused_update_changes_nothing() {
    let (dir, config) = setup("refused");
    let state = dir.join("state");
    let mut d = ZoneDriver::load(config.clone(), &state, Timestamp(T0)).unwrap();
    let serial = d.served().serial();
    let rcode = d.update(Timestamp(T0 + 1), &message(vec![txt(1, "t")]), "other");
    assert_eq!(rcode, Rcode::Refused);
    let rcode = d.update(
        Timestamp(T0 + 1),
        &message(vec![txt(CLASS_NONE, "absent")]),
        "acme",
    );
    assert_eq!(
        rcode,
        Rcode::NoError,
        "deleting an absent record is no change"
    );
    assert_eq!(d.served().serial(), serial);
    assert!(Layer::load(&state, &config.name).unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn when_the_layer_cannot_be_written_the_answer_is_servfail_and_nothing_changed() {
    let (dir, config) = setup("servfail");
    let state = dir.join("state");
    let mut d = ZoneDriver::load(config.clone(), &state, Timestamp(T0)).unwrap();
    let serial = d.served().serial();
    // A file where the layer's folder should be: the layer cannot be written.
    std::fs::write(state.join("update"), "in the way").unwrap();
    let rcode = d.update(Timestamp(T0 + 1), &message(vec![txt(1, "token")]), "acme");
    assert_eq!(rcode, Rcode::ServFail);
    assert_eq!(d.served().serial(), serial);
    assert!(!has_signed_txt(&d));
    std::fs::remove_dir_all(&dir).unwrap();
}
