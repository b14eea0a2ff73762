use super::*;

fn n(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

fn grant() -> UpdateGrant {
    UpdateGrant {
        key: "acme".into(),
        names: vec![
            NamePattern::new(&n("_acme-challenge.mx1.example.com.")),
            NamePattern::new(&n("_acme-challenge.*.example.com.")),
        ],
        types: vec![Rtype::TXT],
    }
}

#[test]
fn a_grant_allows_only_its_key_names_and_types() {
    let g = grant();
    let name = n("_acme-challenge.mx1.example.com.");
    assert!(g.allows("acme", &name, Rtype::TXT));
    assert!(g.allows("ACME.", &name, Rtype::TXT));
    assert!(!g.allows("other", &name, Rtype::TXT));
    assert!(!g.allows("acme", &name, Rtype::A));
    assert!(!g.allows("acme", &n("mx1.example.com."), Rtype::TXT));
}

#[test]
fn a_star_label_matches_exactly_one_label() {
    let g = grant();
    assert!(g.allows("acme", &n("_ACME-challenge.mx2.example.com."), Rtype::TXT));
    assert!(!g.allows("acme", &n("_acme-challenge.a.b.example.com."), Rtype::TXT));
    assert!(!g.allows("acme", &n("_acme-challenge.example.com."), Rtype::TXT));
}

#[test]
fn nothing_is_allowed_without_a_grant() {
    assert!(!allowed(&[], "acme", &n("x.example.com."), Rtype::TXT));
}

#[test]
fn signer_records_apex_soa_ns_and_managed_tlsa_names_are_protected() {
    let apex = n("example.com.");
    let managed = [n("_25._tcp.mx1.example.com.")];
    for t in [
        Rtype::DNSKEY,
        Rtype::RRSIG,
        Rtype::NSEC3,
        Rtype::CDS,
        Rtype::CDNSKEY,
    ] {
        assert_eq!(
            protected(&apex, &managed, &apex, t),
            Some(Protected::Signer)
        );
    }
    assert_eq!(
        protected(&apex, &managed, &apex, Rtype::SOA),
        Some(Protected::Apex)
    );
    assert_eq!(
        protected(&apex, &managed, &apex, Rtype::NS),
        Some(Protected::Apex)
    );
    assert_eq!(
        protected(&apex, &managed, &n("sub.example.com."), Rtype::NS),
        None
    );
    assert_eq!(
        protected(&apex, &managed, &managed[0], Rtype::TXT),
        Some(Protected::ManagedTlsa)
    );
    assert_eq!(protected(&apex, &managed, &apex, Rtype::TXT), None);
}
