//! The seeds reach what they are for: answers, verified signatures, a journal replayed over a
//! saved version, a chain that parses. Without this a target could run its seeds "without a
//! panic" only because every one of them is refused at the first check.

use zones::{Name, Rtype};

use super::testzones::catalog;
use super::{journal, query, tlsa, tsig};
use crate::answer::{Outcome, Settings, Transport, respond_with};
use crate::daemon::pipeline::Versions;
use crate::net::tsig::{ResponseSigner, Verified, verify_request};

#[test]
fn every_query_seed_gets_an_answer_over_udp() {
    let mut out = Vec::new();
    for seed in query::seeds() {
        let outcome = respond_with(
            catalog(),
            &seed,
            Transport::Udp,
            &Settings::default(),
            &mut out,
        );
        assert_eq!(outcome, Outcome::Reply, "{seed:02x?}");
    }
}

#[test]
fn an_intact_tsig_seed_verifies_and_a_damaged_one_does_not() {
    let seeds = tsig::seeds();
    // Seeds come in groups of six controls: intact (0, 1, 2), then three kinds of damage.
    let intact = &seeds[0];
    let keys = tsig::keys();
    let mut msg = intact[1..].to_vec();
    let id = u16::from_be_bytes([msg[0], msg[1]]);
    ResponseSigner::for_request(&keys[0], id, crate::answer::signed::unix_now()).sign(&mut msg);
    assert!(matches!(
        verify_request(&msg, keys, crate::answer::signed::unix_now()),
        Verified::Signed { .. }
    ));
    let last = msg.len() - 3;
    msg[last] ^= 0x5a;
    assert!(!matches!(
        verify_request(&msg, keys, crate::answer::signed::unix_now()),
        Verified::Signed { .. }
    ));
}

#[test]
fn the_journal_seed_replays_two_changes_over_the_saved_version() {
    let seed = &journal::seeds()[0];
    journal::write_state(seed).expect("state written");
    let origin = Name::from_ascii("example.com.").unwrap();
    let versions = Versions::open(journal::state_dir(), &origin).expect("open");
    let zone = versions.load_saved(&origin).expect("saved version");
    let soa = zone.records().find(|r| r.rtype == Rtype::SOA).expect("SOA");
    let serial = &soa.rdata.as_bytes()[soa.rdata.as_bytes().len() - 20..][..4];
    assert_eq!(u32::from_be_bytes(serial.try_into().unwrap()), 2026112303);
}

#[test]
fn the_chain_seeds_parse_as_chains_of_two() {
    let chains: Vec<_> = tlsa::seeds()
        .iter()
        .filter_map(|s| crate::dane::derive::certificates(s).ok())
        .filter(|c| c.len() == 2)
        .collect();
    assert_eq!(chains.len(), 2, "an ECDSA and an Ed25519 chain");
}
