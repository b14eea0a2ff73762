//! The query path: a packet off the wire through parse, lookup and write, on UDP and TCP,
//! against the signed test zones.

use hickory_proto::op::Message;

use super::testzones::{QUESTIONS, catalog, query};
use crate::answer::{Outcome, Settings, Transport, respond_with};

/// Answers `data` as a UDP and a TCP query and checks the reply.
pub fn run(data: &[u8]) {
    let catalog = catalog();
    let mut out = Vec::with_capacity(4096);
    for transport in [Transport::Udp, Transport::Tcp] {
        let outcome = respond_with(catalog, data, transport, &Settings::default(), &mut out);
        check_reply(data, transport, &outcome, &out);
    }
}

/// The invariants of any answer: a response is never answered; a reply echoes the ID, has
/// QR set, fits the transport and parses as DNS.
pub(crate) fn check_reply(query: &[u8], transport: Transport, outcome: &Outcome, out: &[u8]) {
    if query.len() > 2 && query[2] & 0x80 != 0 {
        assert_eq!(*outcome, Outcome::Drop, "a response (QR=1) was answered");
    }
    if *outcome != Outcome::Reply {
        return;
    }
    assert!(out.len() >= 12, "reply shorter than a header");
    assert_eq!(out[..2], query[..2], "reply ID differs from the query's");
    assert!(out[2] & 0x80 != 0, "reply without QR");
    let limit = match transport {
        Transport::Udp => usize::from(crate::answer::EDNS_UDP_SIZE).max(512),
        Transport::Tcp => 65535,
    };
    assert!(
        out.len() <= limit,
        "reply of {} octets over {limit}",
        out.len()
    );
    if let Err(e) = Message::from_vec(out) {
        panic!("reply does not parse: {e}: {out:02x?}");
    }
}

/// Queries for every shape of answer in the test zones, with and without EDNS and DO.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for (i, (name, qtype)) in QUESTIONS.iter().enumerate() {
        for edns in [None, Some(false), Some(true)] {
            seeds.push(query(i as u16, name, *qtype, edns));
        }
    }
    seeds
}
