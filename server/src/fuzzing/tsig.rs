//! TSIG-signed requests (RFC 8945): the fuzz input is a request that the target signs with
//! a configured key, then damages as its first octet says, so that the MAC check, the time
//! check, the signed answer and the error paths are all reached, not only the parse of a
//! record whose MAC is wrong by chance.

use std::sync::OnceLock;

use super::query::check_reply;
use super::testzones::{QUESTIONS, catalog, query};
use crate::answer::signed::unix_now;
use crate::answer::{Outcome, Settings, Transport, respond_with};
use crate::net::tsig::{self, ResponseSigner, TsigAlgorithm, TsigKey, Verified};

/// The keys the server knows, installed once.
pub(crate) fn keys() -> &'static [TsigKey] {
    static KEYS: OnceLock<Vec<TsigKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let keys = vec![
            TsigKey::new("sec1", TsigAlgorithm::HmacSha256, b"0123456789abcdef").expect("key"),
            TsigKey::new("legacy.key", TsigAlgorithm::HmacSha1, b"legacy").expect("key"),
            TsigKey::new("big", TsigAlgorithm::HmacSha512, &[7; 64]).expect("key"),
        ];
        tsig::install_keys(keys.clone());
        keys
    })
}

/// `data[0]` picks the key and the damage; the rest is the request before signing.
pub fn run(data: &[u8]) {
    let keys = keys();
    let Some((&control, request)) = data.split_first() else {
        return;
    };
    let mut msg = request.to_vec();
    if msg.len() >= 12 {
        let key = &keys[usize::from(control & 3) % keys.len()];
        let id = u16::from_be_bytes([msg[0], msg[1]]);
        ResponseSigner::for_request(key, id, unix_now()).sign(&mut msg);
        damage(&mut msg, control >> 2, request.len());
    }
    // The verification alone, then the whole answer path (which verifies again).
    let verified = tsig::verify_request(&msg, keys, unix_now());
    if let Verified::Signed { mac, .. } = &verified {
        assert!(!mac.is_empty(), "a signed request with an empty MAC");
    }
    let mut out = Vec::with_capacity(4096);
    for transport in [Transport::Udp, Transport::Tcp] {
        let outcome = respond_with(catalog(), &msg, transport, &Settings::default(), &mut out);
        if !matches!(outcome, Outcome::Transfer { .. }) {
            check_reply(&msg, transport, &outcome, &out);
        }
    }
}

/// Damages the signed message: 0 leaves it intact, others flip an octet in the TSIG record,
/// cut the message short, or flip an octet of the signed part.
fn damage(msg: &mut Vec<u8>, how: u8, signed_len: usize) {
    let tsig_len = msg.len() - signed_len;
    match how % 8 {
        0..=2 => {}
        3 => {
            let at = signed_len + usize::from(how) * 7 % tsig_len.max(1);
            if let Some(b) = msg.get_mut(at) {
                *b ^= 0x5a;
            }
        }
        4 => msg.truncate(msg.len() - 1 - usize::from(how) % tsig_len.max(1)),
        5 => {
            if let Some(b) = msg.get_mut(usize::from(how) % signed_len.max(1)) {
                *b ^= 0x01;
            }
        }
        6 => {
            // A second TSIG-sized tail: the record is no longer last.
            msg.extend_from_slice(&[0; 11]);
        }
        _ => {
            // ARCOUNT off by one.
            if let Some(b) = msg.get_mut(11) {
                *b = b.wrapping_add(1);
            }
        }
    }
}

/// Signed SOA, AXFR, IXFR and ordinary queries, intact and damaged.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for (i, (name, qtype)) in QUESTIONS.iter().enumerate() {
        for control in [0u8, 1, 2, 3 << 2, 4 << 2, 5 << 2] {
            let mut seed = vec![control];
            seed.extend(query(i as u16, name, *qtype, Some(i % 2 == 0)));
            seeds.push(seed);
        }
    }
    seeds
}
