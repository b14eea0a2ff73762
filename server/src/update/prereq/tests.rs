//! RFC 2136 section 3.2: each prerequisite form and the RCODE it fails with.

use super::*;
use crate::update::test_util::zone;

/// A prerequisite record (TTL 0, as RFC 2136 section 2.4 wants).
fn rr(label: &str, rtype: &str, class: u16, rdata: &str) -> UpdateRr {
    let mut r = crate::update::test_util::rr(label, rtype, class, rdata);
    r.ttl = 0;
    r
}

#[test]
fn name_in_use_fails_with_nxdomain_when_the_name_is_absent() {
    let z = zone();
    assert_eq!(check(&z, 1, &[rr("mx1", "ANY", CLASS_ANY, "")]), Ok(()));
    assert_eq!(
        check(&z, 1, &[rr("nowhere", "ANY", CLASS_ANY, "")]),
        Err(Rcode::NxDomain)
    );
}

#[test]
fn rrset_exists_fails_with_nxrrset() {
    let z = zone();
    assert_eq!(check(&z, 1, &[rr("mx1", "A", CLASS_ANY, "")]), Ok(()));
    assert_eq!(
        check(&z, 1, &[rr("mx1", "TXT", CLASS_ANY, "")]),
        Err(Rcode::NxRrset)
    );
}

#[test]
fn name_not_in_use_fails_with_yxdomain() {
    let z = zone();
    assert_eq!(check(&z, 1, &[rr("free", "ANY", CLASS_NONE, "")]), Ok(()));
    assert_eq!(
        check(&z, 1, &[rr("mx1", "ANY", CLASS_NONE, "")]),
        Err(Rcode::YxDomain)
    );
}

#[test]
fn rrset_does_not_exist_fails_with_yxrrset() {
    let z = zone();
    assert_eq!(check(&z, 1, &[rr("mx1", "TXT", CLASS_NONE, "")]), Ok(()));
    assert_eq!(
        check(&z, 1, &[rr("mx1", "A", CLASS_NONE, "")]),
        Err(Rcode::YxRrset)
    );
}

#[test]
fn value_dependent_rrset_must_match_exactly() {
    let z = zone();
    assert_eq!(check(&z, 1, &[rr("mx1", "A", 1, "192.0.2.1")]), Ok(()));
    assert_eq!(
        check(&z, 1, &[rr("mx1", "A", 1, "192.0.2.9")]),
        Err(Rcode::NxRrset)
    );
    // A subset of the RRset is not the RRset.
    assert_eq!(
        check(&z, 1, &[rr("multi", "A", 1, "192.0.2.1")]),
        Err(Rcode::NxRrset)
    );
    assert_eq!(
        check(
            &z,
            1,
            &[
                rr("multi", "A", 1, "192.0.2.1"),
                rr("multi", "A", 1, "192.0.2.2")
            ]
        ),
        Ok(())
    );
}

#[test]
fn malformed_prerequisites_are_formerr_and_outside_names_notzone() {
    let z = zone();
    let mut ttl = rr("mx1", "A", CLASS_ANY, "");
    ttl.ttl = 5;
    assert_eq!(check(&z, 1, &[ttl.clone()]), Err(Rcode::FormErr));
    ttl = rr("mx1", "A", 1, "192.0.2.1");
    ttl.ttl = 5;
    assert_eq!(check(&z, 1, &[ttl]), Err(Rcode::FormErr));
    assert_eq!(
        check(&z, 1, &[rr("mx1", "A", CLASS_ANY, "192.0.2.1")]),
        Err(Rcode::FormErr)
    );
    assert_eq!(check(&z, 1, &[rr("mx1", "A", 3, "")]), Err(Rcode::FormErr));
    let mut out = rr("mx1", "A", CLASS_ANY, "");
    out.owner = Name::from_ascii("mx1.example.org.").unwrap();
    assert_eq!(check(&z, 1, &[out]), Err(Rcode::NotZone));
}
