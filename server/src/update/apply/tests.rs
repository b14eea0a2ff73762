//! RFC 2136 section 3.4: every update form, the grants, what is never updatable, the limits.

use super::*;
use crate::update::grant::NamePattern;
use crate::update::test_util::{rr, zone};

fn grants() -> Vec<UpdateGrant> {
    vec![UpdateGrant {
        key: "acme".into(),
        names: vec![
            NamePattern::new(&Name::from_ascii("_acme-challenge.*.example.com.").unwrap()),
            NamePattern::new(&Name::from_ascii("multi.example.com.").unwrap()),
            NamePattern::new(&Name::from_ascii("alias.example.com.").unwrap()),
            NamePattern::new(&Name::from_ascii("example.com.").unwrap()),
            NamePattern::new(&Name::from_ascii("_25._tcp.mx1.example.com.").unwrap()),
        ],
        types: vec![Rtype::TXT, Rtype::A, Rtype::CNAME, Rtype::NS, Rtype::TLSA],
    }]
}

fn run(updates: &[UpdateRr], key: &str) -> Result<Records, Refusal> {
    let z = zone();
    let managed = [Name::from_ascii("_25._tcp.mx1.example.com.").unwrap()];
    let g = grants();
    apply(
        &z,
        &Request {
            zclass: 1,
            updates,
            key,
        },
        &Rules {
            grants: &g,
            managed: &managed,
        },
    )
}

fn texts(records: &[Record]) -> Vec<String> {
    records.iter().map(zones::present::record_to_text).collect()
}

#[test]
fn an_add_inside_the_grant_adds_the_record() {
    let r = run(&[rr("_acme-challenge.mx1", "TXT", 1, "\"token\"")], "acme").unwrap();
    assert!(r.removed.is_empty());
    assert_eq!(
        texts(&r.added),
        ["_acme-challenge.mx1.example.com. 300 IN TXT \"token\""]
    );
}

#[test]
fn deleting_an_rrset_removes_every_record_of_it() {
    let r = run(&[rr("multi", "A", CLASS_ANY, "")], "acme").unwrap();
    assert_eq!(r.removed.len(), 2);
    assert!(r.added.is_empty());
}

#[test]
fn deleting_one_record_leaves_the_others() {
    let r = run(&[rr("multi", "A", CLASS_NONE, "192.0.2.2")], "acme").unwrap();
    assert_eq!(texts(&r.removed), ["multi.example.com. 300 IN A 192.0.2.2"]);
}

#[test]
fn deleting_a_name_removes_its_rrsets_but_never_the_apex_soa_and_ns() {
    let r = run(&[rr("_acme-challenge.mx1", "ANY", CLASS_ANY, "")], "acme").unwrap();
    assert_eq!(r.removed.len(), 1);
    // The apex holds SOA and NS only (both kept) besides nothing granted: nothing to do.
    let r = run(
        &[rr("", "ANY", CLASS_ANY, "").with_owner("example.com.")],
        "acme",
    )
    .unwrap();
    assert!(r.removed.is_empty());
}

#[test]
fn add_then_delete_in_one_message_is_applied_in_order() {
    let r = run(
        &[
            rr("_acme-challenge.mx2", "TXT", 1, "\"a\""),
            rr("_acme-challenge.mx2", "TXT", CLASS_NONE, "\"a\""),
        ],
        "acme",
    )
    .unwrap();
    assert_eq!(r, Records::default());
}

#[test]
fn a_cname_beside_data_and_data_beside_a_cname_are_ignored() {
    let r = run(&[rr("multi", "CNAME", 1, "mx1")], "acme").unwrap();
    assert_eq!(r, Records::default());
    let r = run(&[rr("alias", "A", 1, "192.0.2.7")], "acme").unwrap();
    assert_eq!(r, Records::default());
}

#[test]
fn a_new_ttl_applies_to_the_whole_rrset() {
    let mut add = rr("multi", "A", 1, "192.0.2.1");
    add.ttl = 60;
    let r = run(&[add], "acme").unwrap();
    assert_eq!(r.removed.len(), 2);
    assert_eq!(
        texts(&r.added),
        [
            "multi.example.com. 60 IN A 192.0.2.1",
            "multi.example.com. 60 IN A 192.0.2.2"
        ]
    );
}

#[test]
fn anything_outside_the_grant_is_refused_and_nothing_applied() {
    let ok = rr("_acme-challenge.mx1", "TXT", 1, "\"t\"");
    for (bad, key) in [
        (rr("_acme-challenge.mx1", "TXT", 1, "\"t\""), "other"),
        (rr("mx1", "TXT", 1, "\"t\""), "acme"),
        (rr("_acme-challenge.mx1", "MX", 1, "10 mx1"), "acme"),
    ] {
        let e = run(&[ok.clone(), bad], key).unwrap_err();
        assert_eq!(e.rcode, Rcode::Refused);
        assert_eq!(e.reason, Reason::NotGranted);
    }
}

#[test]
fn protected_records_are_refused_even_when_granted() {
    let e = run(
        &[rr("", "NS", 1, "ns2.example.com.").with_owner("example.com.")],
        "acme",
    )
    .unwrap_err();
    assert_eq!(e.reason, Reason::Protected(Protected::Apex));
    let e = run(
        &[rr("", "DNSKEY", 1, "257 3 13 AAAA").with_owner("example.com.")],
        "acme",
    )
    .unwrap_err();
    assert_eq!(e.reason, Reason::Protected(Protected::Signer));
    let e = run(&[rr("_25._tcp.mx1", "TLSA", CLASS_ANY, "")], "acme").unwrap_err();
    assert_eq!(e.reason, Reason::Protected(Protected::ManagedTlsa));
}

#[test]
fn malformed_update_records_are_formerr_and_outside_names_notzone() {
    let mut ttl = rr("multi", "A", CLASS_ANY, "");
    ttl.ttl = 1;
    assert_eq!(run(&[ttl], "acme").unwrap_err().rcode, Rcode::FormErr);
    let mut any = rr("multi", "A", 1, "192.0.2.1");
    any.rtype = Rtype::ANY;
    assert_eq!(run(&[any], "acme").unwrap_err().rcode, Rcode::FormErr);
    assert_eq!(
        run(&[rr("multi", "A", 3, "192.0.2.1")], "acme")
            .unwrap_err()
            .rcode,
        Rcode::FormErr
    );
    let out = rr("multi", "A", 1, "192.0.2.1").with_owner("a.example.org.");
    assert_eq!(run(&[out], "acme").unwrap_err().rcode, Rcode::NotZone);
}

#[test]
fn a_name_cannot_grow_past_the_record_limit() {
    let many: Vec<UpdateRr> = (0..=MAX_RECORDS_PER_NAME)
        .map(|i| rr("_acme-challenge.mx1", "TXT", 1, &format!("\"{i}\"")))
        .collect();
    let e = run(&many, "acme").unwrap_err();
    assert_eq!(
        (e.rcode, e.reason),
        (Rcode::Refused, Reason::TooManyRecords)
    );
}

#[test]
fn an_update_that_would_fail_the_zone_checks_is_refused() {
    // A delegation whose name server lies below it, without glue: the zone file would no
    // longer load (found by the `update` fuzz target, with a DNAME above existing data).
    let cut = rr("multi", "NS", 1, "ns.multi.example.com.");
    let e = run(&[cut], "acme").unwrap_err();
    assert_eq!((e.rcode, e.reason), (Rcode::Refused, Reason::BreaksZone));
    // Out of bailiwick, it is an ordinary delegation.
    let cut = rr("multi", "NS", 1, "ns.example.net.");
    assert_eq!(run(&[cut], "acme").unwrap().added.len(), 1);
}

trait WithOwner {
    fn with_owner(self, owner: &str) -> Self;
}

impl WithOwner for UpdateRr {
    fn with_owner(mut self, owner: &str) -> Self {
        self.owner = Name::from_ascii(owner).unwrap();
        self
    }
}
