//! The zones the query and TSIG targets answer from, built once per process: the test suite's
//! DNSSEC zone (every shape of answer: wildcard, empty non-terminal, delegations, CNAME)
//! signed with NSEC3, and its second zone signed with NSEC, so both denial paths are reached.

use std::sync::{Arc, OnceLock};

use signer::key::{Algorithm, KeyRole, RingSigningKey};
use signer::sign::Denial;
use signer::{SigningKeyEntry, SigningParams, Timestamp, sign_zone};
use zones::snapshot::Catalog;
use zones::{Name, Zone};

/// The test suite's zone with every kind of answer.
const DNSSEC_ZONE: &str = include_str!("../../../tests/data/dnssec/example.com.zone");
/// A small second zone.
const NET_ZONE: &str = include_str!("../../../tests/data/differential/example.net.zone");

/// Both zones, signed (the same versions the catalog serves, which the `update` target
/// changes).
pub(crate) fn signed_zones() -> &'static [Arc<Zone>] {
    static ZONES: OnceLock<Vec<Arc<Zone>>> = OnceLock::new();
    ZONES.get_or_init(|| {
        vec![
            Arc::new(signed(
                DNSSEC_ZONE,
                "example.com.",
                Denial::Nsec3(Default::default()),
            )),
            Arc::new(signed(NET_ZONE, "example.net.", Denial::Nsec)),
        ]
    })
}

/// The catalog of both signed zones.
pub(crate) fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::new(signed_zones().to_vec()))
}

/// `text` parsed at `origin` and signed with a fresh ECDSA KSK and ZSK. Panics only on the
/// fixed test zones, never on fuzz input.
fn signed(text: &str, origin: &str, denial: Denial) -> Zone {
    let origin = Name::from_ascii(origin).expect("origin");
    let zone = zones::master::parse_zone_str(text, &origin, "fuzz")
        .expect("test zone")
        .zone;
    let ksk = RingSigningKey::generate(Algorithm::ECDSAP256SHA256).expect("ksk");
    let zsk = RingSigningKey::generate(Algorithm::ECDSAP256SHA256).expect("zsk");
    let keys = [
        SigningKeyEntry::active(&ksk, KeyRole::Ksk),
        SigningKeyEntry::active(&zsk, KeyRole::Zsk),
    ];
    let params = SigningParams {
        denial,
        ..SigningParams::default()
    };
    sign_zone(&zone, &keys, &params, Timestamp(1_780_000_000)).expect("sign")
}

/// A query for `name` `qtype`, with EDNS (DO as given) or without.
pub(crate) fn query(id: u16, name: &str, qtype: u16, edns: Option<bool>) -> Vec<u8> {
    let mut p = id.to_be_bytes().to_vec();
    p.extend_from_slice(&[0x01, 0, 0, 1, 0, 0, 0, 0, 0, u8::from(edns.is_some())]);
    p.extend(wire(name));
    p.extend_from_slice(&qtype.to_be_bytes());
    p.extend_from_slice(&[0, 1]);
    if let Some(dnssec_ok) = edns {
        p.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0]);
        p.extend_from_slice(&[if dnssec_ok { 0x80 } else { 0 }, 0, 0, 0]);
    }
    p
}

/// Wire form of a dotted name.
pub(crate) fn wire(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// The questions the seeds ask: every shape of answer in the test zones.
pub(crate) const QUESTIONS: &[(&str, u16)] = &[
    ("example.com.", 6),
    ("example.com.", 15),
    ("example.com.", 48),
    ("example.com.", 2),
    ("_25._tcp.mx1.example.com.", 52),
    ("mx1.example.com.", 28),
    ("nx.example.com.", 1),
    ("www.example.com.", 16),
    ("alias.example.com.", 1),
    ("b.c.example.com.", 1),
    ("x.wild.example.com.", 16),
    ("x.wild.example.com.", 1),
    ("secure.example.com.", 43),
    ("host.secure.example.com.", 1),
    ("insecure.example.com.", 43),
    ("example.com.", 255),
    ("example.com.", 252),
    ("example.net.", 15),
    ("www.example.net.", 1),
    ("nx.example.net.", 1),
    ("example.org.", 1),
];
