//! The matcher against chains made with rcgen: a root, an intermediate, leaves for
//! `mx.example.test`, an impostor CA with the real CA's name, and certificates out of their
//! validity period.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};

use super::*;
use crate::dane::derive::{TlsaParams, tlsa_rdata};

/// 2027-01-15 08:00:00 UTC: inside every "valid" period below.
const NOW: i64 = 1_800_000_000;
/// The MX host the leaves are made for.
const HOST: &str = "mx.example.test";

/// A CA certificate named `cn`, signed by `parent` (self-signed without one).
fn ca(
    cn: &str,
    parent: Option<&CertifiedIssuer<'static, KeyPair>>,
) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    params.not_before = date_time_ymd(2026, 1, 1);
    params.not_after = date_time_ymd(2036, 1, 1);
    let key = KeyPair::generate().unwrap();
    match parent {
        Some(p) => CertifiedIssuer::signed_by(params, key, p).unwrap(),
        None => CertifiedIssuer::self_signed(params, key).unwrap(),
    }
}

/// A leaf for `names`, valid between the two years, signed by `issuer`.
fn leaf(names: &[&str], years: (i32, i32), issuer: &CertifiedIssuer<'static, KeyPair>) -> Vec<u8> {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.not_before = date_time_ymd(years.0, 1, 1);
    params.not_after = date_time_ymd(years.1, 1, 1);
    let key = KeyPair::generate().unwrap();
    params.signed_by(&key, issuer).unwrap().der().to_vec()
}

/// `2 1 1` for a certificate.
fn ta(der: &[u8]) -> Vec<u8> {
    tlsa_rdata(der, TlsaParams::DANE_TA_SPKI_SHA256).unwrap()
}

/// `3 1 1` for a certificate.
fn ee(der: &[u8]) -> Vec<u8> {
    tlsa_rdata(der, TlsaParams::DANE_EE_SPKI_SHA256).unwrap()
}

/// The reason the single record given did not match.
fn why(records: &[Vec<u8>], chain: &[Vec<u8>], host: &str) -> Why {
    let v = verify(records, chain, host, NOW);
    assert!(!v.is_match(), "{v:?}");
    v.misses[0].why.clone()
}

#[test]
fn dane_ee_matches_the_leaf_key_ignoring_expiry_and_names() {
    let root = ca("Matcher CA", None);
    let expired = leaf(&["other.example"], (2020, 2021), &root);
    let chain = vec![expired.clone(), root.der().to_vec()];
    for params in [
        TlsaParams::DANE_EE_SPKI_SHA256,
        TlsaParams {
            selector: Selector::CERT,
            ..TlsaParams::DANE_EE_SPKI_SHA256
        },
        TlsaParams {
            matching: Matching::SHA512,
            ..TlsaParams::DANE_EE_SPKI_SHA256
        },
        TlsaParams {
            matching: Matching::FULL,
            ..TlsaParams::DANE_EE_SPKI_SHA256
        },
    ] {
        let record = tlsa_rdata(&expired, params).unwrap();
        let v = verify(std::slice::from_ref(&record), &chain, HOST, NOW);
        let m = v
            .matched
            .as_ref()
            .unwrap_or_else(|| panic!("{params}: {v:?}"));
        assert_eq!((m.index, m.depth), (0, Some(0)));
        assert_eq!(m.record, record);
    }
}

#[test]
fn dane_ee_with_another_key_does_not_match_and_is_a_refusal() {
    let root = ca("Matcher CA", None);
    let presented = leaf(&[HOST], (2026, 2028), &root);
    let other = leaf(&[HOST], (2026, 2028), &root);
    let v = verify(&[ee(&other)], &[presented], HOST, NOW);
    assert!(!v.is_match() && !v.all_unusable());
    assert_eq!(v.main_refusal().unwrap().why, Why::LeafDiffers);
}

#[test]
fn dane_ta_matches_the_issuer_the_server_sends_when_the_leaf_names_the_host() {
    let root = ca("Matcher CA", None);
    let chain = vec![leaf(&[HOST], (2026, 2028), &root), root.der().to_vec()];
    let v = verify(&[ta(root.der())], &chain, "MX.Example.Test.", NOW);
    assert_eq!(v.matched.unwrap().depth, Some(1));
}

#[test]
fn dane_ta_with_a_wrong_host_name_is_refused() {
    let root = ca("Matcher CA", None);
    let chain = vec![leaf(&[HOST], (2026, 2028), &root), root.der().to_vec()];
    assert_eq!(
        why(&[ta(root.der())], &chain, "mx2.example.test"),
        Why::HostName {
            host: "mx2.example.test".into()
        }
    );
}

#[test]
fn an_impostor_ca_with_the_right_name_but_another_key_does_not_anchor_the_chain() {
    let real = ca("Matcher CA", None);
    let impostor = ca("Matcher CA", None);
    let signed_by_real = leaf(&[HOST], (2026, 2028), &real);
    // The server sends the impostor, whose name is the leaf's issuer name; the record pins
    // the impostor's key, which did not sign the leaf.
    let chain = vec![signed_by_real.clone(), impostor.der().to_vec()];
    assert_eq!(
        why(&[ta(impostor.der())], &chain, HOST),
        Why::NotIssuer { depth: 1 }
    );
    // The real CA's record, with only the impostor sent: the real CA is not in the chain.
    assert_eq!(why(&[ta(real.der())], &chain, HOST), Why::NotInChain);
    // The old `Presented::matched_by` accepted any `2 1 1` of a sent certificate: the
    // impostor case above is the one it got wrong.
}

#[test]
fn dane_ta_never_matches_the_leaf_itself() {
    let self_signed = ca(HOST, None);
    let mut params = CertificateParams::new(vec![HOST.to_string()]).unwrap();
    params.not_before = date_time_ymd(2026, 1, 1);
    params.not_after = date_time_ymd(2028, 1, 1);
    let key = KeyPair::generate().unwrap();
    let leaf = params.self_signed(&key).unwrap().der().to_vec();
    assert_eq!(
        why(&[ta(&leaf)], std::slice::from_ref(&leaf), HOST),
        Why::NotInChain
    );
    assert_eq!(
        why(&[ta(self_signed.der())], &[leaf], HOST),
        Why::NotInChain
    );
}

#[test]
fn dane_ta_checks_validity_along_the_path_to_the_anchor() {
    let root = ca("Matcher CA", None);
    let expired = vec![leaf(&[HOST], (2020, 2021), &root), root.der().to_vec()];
    let w = why(&[ta(root.der())], &expired, HOST);
    assert!(matches!(w, Why::Expired { depth: 0, .. }), "{w:?}");
    assert!(w.to_string().contains("expired at 2021-01-01"), "{w}");
    let future = vec![leaf(&[HOST], (2030, 2031), &root), root.der().to_vec()];
    assert!(matches!(
        why(&[ta(root.der())], &future, HOST),
        Why::NotYetValid { depth: 0, .. }
    ));
    // Expiry is what a DANE-TA refusal is about, even beside a DANE-EE miss.
    let other = leaf(&[HOST], (2026, 2028), &root);
    let v = verify(&[ee(&other), ta(root.der())], &expired, HOST, NOW);
    assert!(matches!(v.main_refusal().unwrap().why, Why::Expired { .. }));
}

#[test]
fn dane_ta_follows_the_issuers_through_an_intermediate_in_any_order() {
    let root = ca("Matcher Root", None);
    let inter = ca("Matcher Intermediate", Some(&root));
    let leaf = leaf(&[HOST], (2026, 2028), &inter);
    let (l, i, r) = (leaf, inter.der().to_vec(), root.der().to_vec());
    for chain in [
        vec![l.clone(), i.clone(), r.clone()],
        vec![l.clone(), r.clone(), i.clone()],
    ] {
        let v = verify(&[ta(&r)], &chain, HOST, NOW);
        let depth = chain.iter().position(|c| *c == r);
        assert_eq!(v.matched.map(|m| m.depth), Some(depth), "{chain:?}");
        let v = verify(&[ta(&i)], &chain, HOST, NOW);
        assert!(v.is_match());
    }
    // Without the intermediate, the root issued nothing the server sent.
    assert_eq!(
        why(&[ta(&r)], &[l.clone(), r.clone()], HOST),
        Why::NotIssuer { depth: 1 }
    );
}

#[test]
fn a_full_dane_ta_record_holds_the_anchor_the_server_need_not_send() {
    let root = ca("Matcher CA", None);
    let leaf = leaf(&[HOST], (2026, 2028), &root);
    let spki = derive::certificate_spki(root.der()).unwrap();
    let key_record = [&[2, 1, 0][..], &spki].concat();
    let cert_record = [&[2, 0, 0][..], root.der()].concat();
    for record in [key_record, cert_record] {
        let v = verify(&[record], std::slice::from_ref(&leaf), HOST, NOW);
        assert_eq!(v.matched.map(|m| m.depth), Some(None));
    }
    let other = ca("Matcher CA", None);
    let other_key = [
        &[2, 1, 0][..],
        &derive::certificate_spki(other.der()).unwrap(),
    ]
    .concat();
    assert_eq!(why(&[other_key], &[leaf], HOST), Why::NotInChain);
}

#[test]
fn wildcards_cover_one_leftmost_label_only() {
    let root = ca("Matcher CA", None);
    let chain = |names: &[&str]| vec![leaf(names, (2026, 2028), &root), root.der().to_vec()];
    let record = [ta(root.der())];
    let wildcard = chain(&["*.example.test"]);
    assert!(verify(&record, &wildcard, HOST, NOW).is_match());
    for host in ["a.mx.example.test", "example.test"] {
        assert!(!verify(&record, &wildcard, host, NOW).is_match(), "{host}");
    }
    for names in [&["m*.example.test"][..], &["mx.*.test"], &["*.test"]] {
        let v = verify(&record, &chain(names), "mx.test", NOW);
        assert!(!v.is_match(), "{names:?}");
        let v = verify(&record, &chain(names), HOST, NOW);
        assert!(!v.is_match(), "{names:?}");
    }
    // Several names: any one of them.
    let many = chain(&["mail.example.test", HOST]);
    assert!(verify(&record, &many, HOST, NOW).is_match());
}

#[test]
fn pkix_usages_and_unknown_parameters_are_unusable() {
    let root = ca("Matcher CA", None);
    let leaf_der = leaf(&[HOST], (2026, 2028), &root);
    let chain = vec![leaf_der.clone(), root.der().to_vec()];
    let good = ee(&leaf_der);
    let with = |i: usize, v: u8| {
        let mut r = good.clone();
        r[i] = v;
        r
    };
    let cases = [
        (with(0, 0), Why::PkixUsage(Usage::PKIX_TA)),
        (with(0, 1), Why::PkixUsage(Usage::PKIX_EE)),
        (with(0, 4), Why::UnknownUsage(Usage(4))),
        (with(1, 2), Why::UnknownSelector(Selector(2))),
        (with(2, 3), Why::UnknownMatching(Matching(3))),
        (
            with(2, 2),
            Why::DigestLength {
                matching: Matching::SHA512,
                len: 32,
                want: 64,
            },
        ),
        (vec![3, 1, 0], Why::NoData),
        (vec![3, 1], Why::Truncated),
    ];
    for (record, want) in cases {
        let v = verify(std::slice::from_ref(&record), &chain, HOST, NOW);
        assert!(v.all_unusable(), "{want:?}: {v:?}");
        assert_eq!(v.misses[0].why, want);
        assert!(want.is_unusable());
    }
    // An unusable record beside a usable matching one: matched, the unusable one reported.
    let v = verify(&[with(0, 1), good.clone()], &chain, HOST, NOW);
    assert_eq!(v.matched.as_ref().map(|m| m.index), Some(1));
    assert_eq!(v.misses.len(), 1);
    // And beside a usable one that does not match: a refusal, not "unusable".
    let v = verify(&[with(0, 1), ta(&leaf_der)], &chain, HOST, NOW);
    assert!(!v.is_match() && !v.all_unusable());
}

#[test]
fn no_certificate_or_an_unparsable_leaf_matches_nothing() {
    let root = ca("Matcher CA", None);
    let record = ta(root.der());
    assert_eq!(
        why(std::slice::from_ref(&record), &[], HOST),
        Why::NoCertificate
    );
    assert_eq!(
        why(&[record], &[b"garbage".to_vec()], HOST),
        Why::UnparsableLeaf
    );
}

#[test]
fn the_tlsa_base_domain_is_the_owner_without_port_and_protocol() {
    assert_eq!(base_domain("_25._tcp.mx.example.com."), "mx.example.com");
    assert_eq!(base_domain("_2525._tcp.MX.example.test"), "MX.example.test");
    assert_eq!(base_domain("mx.example.com."), "mx.example.com");
    assert_eq!(base_domain("_25.mx.example.com"), "_25.mx.example.com");
}
