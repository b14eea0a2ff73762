//! Tests of `tsig`.

use super::*;

fn key() -> TsigKey {
    TsigKey::new(
        "sec1",
        TsigAlgorithm::HmacSha256,
        b"0123456789abcdef0123456789abcdef",
    )
    .unwrap()
}

fn query() -> Vec<u8> {
    let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    q.extend_from_slice(b"\x07example\x03com\x00\x00\xfc\x00\x01");
    q
}

#[test]
fn a_request_signed_with_the_key_verifies_and_tampering_is_badsig() {
    let k = key();
    let mut q = query();
    ResponseSigner::for_request(&k, 0x1234, 1_800_000_000).sign(&mut q);
    let keys = [k.clone()];
    assert!(matches!(
        verify_request(&q, &keys, 1_800_000_010),
        Verified::Signed { .. }
    ));
    let mut bad = q.clone();
    bad[15] ^= 1;
    assert!(matches!(
        verify_request(&bad, &keys, 1_800_000_010),
        Verified::Failed {
            error: TsigError::BadSig,
            ..
        }
    ));
    assert!(matches!(
        verify_request(&q, &keys, 1_800_001_000),
        Verified::Failed {
            error: TsigError::BadTime,
            ..
        }
    ));
    let other = [TsigKey::new("sec2", TsigAlgorithm::HmacSha256, b"x").unwrap()];
    assert!(matches!(
        verify_request(&q, &other, 1_800_000_010),
        Verified::Failed {
            error: TsigError::BadKey,
            ..
        }
    ));
    assert!(matches!(
        verify_request(&query(), &keys, 0),
        Verified::Unsigned
    ));
}

#[test]
fn a_tsig_that_is_not_last_is_malformed() {
    let k = key();
    let mut q = query();
    ResponseSigner::for_request(&k, 0x1234, 1).sign(&mut q);
    // Add an OPT after the TSIG.
    q.extend_from_slice(&[0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]);
    q[11] += 1;
    assert!(matches!(verify_request(&q, &[k], 1), Verified::Malformed));
}

#[test]
fn a_response_signed_with_the_request_mac_verifies_and_nothing_else_does() {
    let k = key();
    let mut q = query();
    let mut request_signer = ResponseSigner::for_request(&k, 0x1234, 1_800_000_000);
    request_signer.sign(&mut q);
    let request_mac = request_signer.mac().to_vec();
    assert_eq!(request_mac.len(), 32);
    let mut reply = query();
    reply[2] |= 0x80;
    ResponseSigner::new(&k, request_mac.clone(), 0x1234, 1_800_000_005).sign(&mut reply);
    assert_eq!(
        verify_response(&reply, &k, &request_mac, 1_800_000_010),
        Ok(())
    );
    // The MAC chains to the request: another request MAC does not verify.
    assert_eq!(
        verify_response(&reply, &k, &[0; 32], 1_800_000_010),
        Err(ResponseTsigError::BadSig)
    );
    let mut bad = reply.clone();
    bad[13] ^= 1;
    assert_eq!(
        verify_response(&bad, &k, &request_mac, 1_800_000_010),
        Err(ResponseTsigError::BadSig)
    );
    assert!(matches!(
        verify_response(&reply, &k, &request_mac, 1_800_001_000),
        Err(ResponseTsigError::BadTime { .. })
    ));
    let other = TsigKey::new("sec2", TsigAlgorithm::HmacSha256, b"x").unwrap();
    assert_eq!(
        verify_response(&reply, &other, &request_mac, 1_800_000_010),
        Err(ResponseTsigError::WrongKey)
    );
    let mut unsigned = query();
    unsigned[2] |= 0x80;
    assert_eq!(
        verify_response(&unsigned, &k, &request_mac, 1_800_000_010),
        Err(ResponseTsigError::Unsigned)
    );
}

#[test]
fn an_unsigned_badkey_error_is_the_peer_rejecting_the_request() {
    let k = key();
    let mut q = query();
    ResponseSigner::for_request(&k, 0x1234, 1_800_000_000).sign(&mut q);
    let Ok(Some(record)) = find_tsig(&q) else {
        panic!("the signed request has a TSIG record");
    };
    let mut reply = query();
    reply[2] |= 0x80;
    append_unsigned_error(&mut reply, &record, TsigError::BadKey);
    assert_eq!(
        verify_response(&reply, &k, &record.mac, 1_800_000_000),
        Err(ResponseTsigError::Rejected(17))
    );
    assert!(
        ResponseTsigError::Rejected(17)
            .to_string()
            .contains("BADKEY")
    );
}
