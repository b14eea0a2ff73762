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

/// A query for `example.com. AXFR` signed by hickory-proto's TSIG primitives (an independent
/// implementation of RFC 8945 section 4.3) with `other` as Other Data.
fn hickory_signed_query(secret: &[u8], time: u64, other: Vec<u8>) -> Vec<u8> {
    use hickory_proto::op::{Message, MessageType, OpCode, Query};
    use hickory_proto::rr::rdata::tsig::{
        TSIG, TsigAlgorithm as HAlg, make_tsig_record, message_tbs,
    };
    use hickory_proto::rr::{Name, RecordType};

    let mut msg = Message::new(0x1234, MessageType::Query, OpCode::Query);
    msg.add_query(Query::query(
        Name::from_ascii("example.com.").unwrap(),
        RecordType::AXFR,
    ));
    let key_name = Name::from_ascii("sec1.").unwrap();
    let pre = TSIG::new(HAlg::HmacSha256, time, 300, Vec::new(), 0x1234, None, other);
    let tbs = message_tbs(&msg, &pre, &key_name).unwrap();
    let mac = HAlg::HmacSha256.mac_data(secret, &tbs).unwrap();
    msg.set_signature(Box::new(make_tsig_record(key_name, pre.set_mac(mac))));
    msg.to_vec().unwrap()
}

#[test]
fn a_request_with_other_data_verifies_because_the_mac_covers_it() {
    // RFC 8945 section 4.3.3 lists Other Len and Other Data among the TSIG variables.
    let k = key();
    let keys = [k.clone()];
    let now = 1_800_000_000;
    let q = hickory_signed_query(
        b"0123456789abcdef0123456789abcdef",
        now,
        vec![0, 0, 0x6b, 0x49, 0xd2, 0],
    );
    let Ok(Some(record)) = find_tsig(&q) else {
        panic!("hickory's query has a TSIG record");
    };
    assert_eq!(record.other, [0, 0, 0x6b, 0x49, 0xd2, 0]);
    let Verified::Signed { mac, .. } = verify_request(&q, &keys, now + 5) else {
        panic!("a correctly signed request with Other Data must verify");
    };
    // Changing one octet of Other Data breaks the MAC.
    let mut bad = q.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(matches!(
        verify_request(&bad, &keys, now + 5),
        Verified::Failed {
            error: TsigError::BadSig,
            ..
        }
    ));
    // Our response to it verifies with hickory's reading of RFC 8945 section 4.3.2.
    let mut reply = q[..record.start].to_vec();
    reply[2] |= 0x80;
    reply[11] -= 1;
    ResponseSigner::new(&k, mac.clone(), record.original_id, now + 5).sign(&mut reply);
    let (tbs, rr) =
        hickory_proto::rr::rdata::tsig::signed_bitmessage_to_buf(&reply, Some(&mac), true).unwrap();
    assert!(
        rr.data
            .algorithm
            .verify_mac(b"0123456789abcdef0123456789abcdef", &tbs, &rr.data.mac)
            .is_ok()
    );
}

#[test]
fn a_response_with_other_data_verifies_and_its_other_data_is_covered() {
    // A signed BADTIME response carries our time as Other Data (RFC 8945 section 5.2.3).
    let k = key();
    let mut q = query();
    let mut request_signer = ResponseSigner::for_request(&k, 0x1234, 1_800_000_000);
    request_signer.sign(&mut q);
    let request_mac = request_signer.mac().to_vec();
    let mut reply = query();
    reply[2] |= 0x80;
    ResponseSigner::new(&k, request_mac.clone(), 0x1234, 1_800_000_005)
        .with_error(TsigError::BadTime)
        .sign(&mut reply);
    assert_eq!(
        verify_response(&reply, &k, &request_mac, 1_800_000_010),
        Err(ResponseTsigError::Rejected(18))
    );
    let last = reply.len() - 1;
    reply[last] ^= 1;
    assert_eq!(
        verify_response(&reply, &k, &request_mac, 1_800_000_010),
        Err(ResponseTsigError::BadSig)
    );
}

#[test]
fn a_replay_inside_the_fudge_is_accepted_and_outside_it_is_badtime() {
    // No replay cache (module doc): the time check of RFC 8945 section 5.2.3 is the bound,
    // as in BIND, Knot and NSD.
    let k = key();
    let keys = [k.clone()];
    let mut q = query();
    ResponseSigner::for_request(&k, 0x1234, 1_800_000_000).sign(&mut q);
    for _ in 0..2 {
        assert!(matches!(
            verify_request(&q, &keys, 1_800_000_300),
            Verified::Signed { .. }
        ));
    }
    assert!(matches!(
        verify_request(&q, &keys, 1_800_000_301),
        Verified::Failed {
            error: TsigError::BadTime,
            ..
        }
    ));
}

/// Found by the `query` fuzz target: a TSIG algorithm name, spelled with compression
/// pointers, whose labels came to 255 octets before the root label, so 256 in all. It was
/// taken, and echoed into the BADKEY response, which then did not parse.
#[test]
fn a_tsig_name_of_256_octets_is_malformed() {
    // Labels of 63 + 63 + 63 + 61 octets: 4 + 250 = 254 octets, 255 with the root label.
    let name = |last: usize| {
        let mut n = Vec::new();
        for len in [63, 63, 63, last] {
            n.push(len as u8);
            n.extend(std::iter::repeat_n(b'a', len));
        }
        n.push(0);
        n
    };
    let record = |key_name: &[u8]| {
        let mut q = query();
        q[11] = 1; // ARCOUNT
        q.extend_from_slice(key_name);
        q.extend_from_slice(&[0, 250, 0, 255, 0, 0, 0, 0]);
        let mut rdata = b"\x0bhmac-sha256\x00".to_vec();
        rdata.extend_from_slice(&[
            0, 0, 0x6b, 0x49, 0xd2, 0x00, 1, 44, 0, 0, 0x12, 0x34, 0, 0, 0, 0,
        ]);
        q.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        q.extend_from_slice(&rdata);
        q
    };
    assert_eq!(name(61).len(), 255);
    assert!(matches!(find_tsig(&record(&name(61))), Ok(Some(_))));
    assert_eq!(name(62).len(), 256);
    assert_eq!(find_tsig(&record(&name(62))), Err(MalformedTsig));
}
