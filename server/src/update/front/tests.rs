//! The front's immediate replies.

use super::*;
use crate::net::tsig::TsigAlgorithm;

/// An UPDATE for example.com. with the QR bit as given, signed with a key no server knows.
fn signed_with_unknown_key(qr: bool) -> Vec<u8> {
    let mut packet = vec![
        0x12,
        0x34,
        if qr { 0xa8 } else { 0x28 },
        0,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
    ];
    packet.extend_from_slice(b"\x07example\x03com\x00\x00\x06\x00\x01");
    let key =
        TsigKey::new("unknown.front.test", TsigAlgorithm::HmacSha256, b"secret").expect("key");
    ResponseSigner::for_request(&key, 0x1234, unix_now()).sign(&mut packet);
    packet
}

#[test]
fn a_request_whose_tsig_fails_is_notauth_with_the_error() {
    let mut out = Vec::new();
    assert!(prepare(&signed_with_unknown_key(false), &mut out).is_none());
    assert_eq!(out[..2], [0x12, 0x34]);
    assert_eq!(out[3] & 0x0f, Rcode::NotAuth.code());
}

#[test]
fn a_response_whose_tsig_fails_gets_no_reply() {
    // Found by the `update` fuzz target: the TSIG error was appended to an empty reply and
    // that lone record sent back to a response.
    let mut out = Vec::new();
    assert!(prepare(&signed_with_unknown_key(true), &mut out).is_none());
    assert!(out.is_empty(), "{out:02x?}");
}
