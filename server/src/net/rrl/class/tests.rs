use super::*;

/// A response header with `flags` (octets 2 and 3) and counts, then the question
/// `www.example.` type MX.
fn response(flags: [u8; 2], an: u16, ns: u16) -> Vec<u8> {
    let mut r = vec![0x12, 0x34, flags[0], flags[1], 0, 1];
    r.extend_from_slice(&an.to_be_bytes());
    r.extend_from_slice(&ns.to_be_bytes());
    r.extend_from_slice(&[0, 0]);
    r.extend_from_slice(b"\x03WwW\x07example\x00\x00\x0f\x00\x01");
    r
}

const ZONE: &[u8] = b"\x07example\x00";
const WILD: &[u8] = b"\x01*\x07example\x00";

#[test]
fn positive_answers_are_accounted_per_name_and_type() {
    let r = response([0x84, 0x00], 1, 0);
    let key = classify(&r, Some(ZONE), None);
    assert_eq!(key.class, Class::Positive);
    assert_eq!(key.name, b"\x03WwW\x07example\x00");
    assert_eq!(key.qtype, 15);
}

#[test]
fn wildcard_answers_are_accounted_per_wildcard() {
    let r = response([0x84, 0x00], 1, 0);
    let key = classify(&r, Some(ZONE), Some(WILD));
    assert_eq!((key.class, key.name, key.qtype), (Class::Wildcard, WILD, 0));
}

#[test]
fn negative_answers_and_referrals_are_accounted_per_zone() {
    let nx = response([0x84, 0x03], 0, 1);
    assert_eq!(classify(&nx, Some(ZONE), None).class, Class::Nxdomain);
    assert_eq!(classify(&nx, Some(ZONE), None).name, ZONE);
    let nodata = response([0x84, 0x00], 0, 1);
    assert_eq!(classify(&nodata, Some(ZONE), None).class, Class::Nodata);
    // A wildcard NODATA is still NODATA of the zone.
    assert_eq!(classify(&nodata, Some(ZONE), Some(WILD)).name, ZONE);
    let referral = response([0x80, 0x00], 0, 2);
    let key = classify(&referral, Some(ZONE), None);
    assert_eq!((key.class, key.name), (Class::Referral, ZONE));
}

#[test]
fn errors_share_one_account_whatever_the_name() {
    for rcode in [1, 2, 4, 5, 9] {
        let r = response([0x80, rcode], 0, 0);
        let key = classify(&r, None, None);
        assert_eq!((key.class, key.name, key.qtype), (Class::Error, &[][..], 0));
    }
    assert_eq!(classify(&[0x12], None, None).class, Class::Error);
}
