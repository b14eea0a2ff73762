//! Certificate, key and CSR parsing for TLSA (RFC 6698, RFC 7671): a certificate or chain
//! file, a staged key (certificate, CSR, public key or PKCS#8), PEM or DER, through
//! [`crate::dane::derive`], the probe's key extraction and the doctor's TLSA matching.

use rcgen::{CertificateParams, DnType, IsCa, Issuer, KeyPair, PKCS_ED25519};

use crate::dane::derive::{self, Matching, Selector, TlsaParams, Usage};
use crate::dane::smtp::client::fuzzing::leaf_key;
use crate::doctor::tlsa_match;

/// Every TLSA parameter combination daned derives.
const PARAMS: &[TlsaParams] = &[
    TlsaParams::DANE_EE_SPKI_SHA256,
    TlsaParams::DANE_TA_SPKI_SHA256,
    TlsaParams {
        usage: Usage::DANE_EE,
        selector: Selector::CERT,
        matching: Matching::FULL,
    },
    TlsaParams {
        usage: Usage::DANE_TA,
        selector: Selector::CERT,
        matching: Matching::SHA512,
    },
];

/// Reads `data` as a chain file and as a staged key, and matches what it derives.
pub fn run(data: &[u8]) {
    let _ = derive::blocks(data);
    if let Ok(spki) = derive::public_key_info(data) {
        for matching in [Matching::SHA256, Matching::SHA512, Matching::FULL] {
            let _ = derive::tlsa_rdata_for_spki(&spki, Usage::DANE_EE, matching);
        }
    }
    let Ok(chain) = derive::certificates(data) else {
        return;
    };
    let mut records = Vec::new();
    for cert in &chain {
        let _ = derive::not_after(cert);
        let _ = derive::certificate_spki(cert);
        let _ = leaf_key(cert);
        for params in PARAMS {
            if let Ok(rdata) = derive::tlsa_rdata(cert, *params) {
                let _ = derive::rdata_to_text(&rdata);
                records.push(rdata);
            }
        }
    }
    let _ = derive::issuer_index(&chain);
    let report = tlsa_match::check(&records, &chain, "mx.example.com", 1_780_000_000);
    // A leaf's own `3 1 1` and `3 0 0` always match it.
    if let Some(leaf) = chain.first()
        && derive::tlsa_rdata(leaf, TlsaParams::DANE_EE_SPKI_SHA256).is_ok()
    {
        assert!(
            matches!(report.verdict, tlsa_match::Verdict::Match { .. }),
            "the leaf's own 3 1 1 record does not match it: {report:?}"
        );
    }
}

/// A CA and leaf chain (PEM and DER), the leaf alone, a CSR, a public key and PKCS#8 keys,
/// ECDSA and Ed25519, made with rcgen as the tests make theirs.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    let Ok(ca_key) = KeyPair::generate() else {
        return seeds;
    };
    let Ok(mut ca_params) = CertificateParams::new(Vec::<String>::new()) else {
        return seeds;
    };
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "fuzz CA");
    ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let Ok(ca) = ca_params.self_signed(&ca_key) else {
        return seeds;
    };
    let issuer = Issuer::new(ca_params, &ca_key);
    for key in [KeyPair::generate(), KeyPair::generate_for(&PKCS_ED25519)] {
        let Ok(key) = key else { continue };
        let Ok(params) = CertificateParams::new(vec!["mx.example.com".to_string()]) else {
            continue;
        };
        if let Ok(csr) = params.serialize_request(&key)
            && let Ok(pem) = csr.pem()
        {
            seeds.push(pem.into_bytes());
            seeds.push(csr.der().to_vec());
        }
        let Ok(leaf) = params.signed_by(&key, &issuer) else {
            continue;
        };
        seeds.push(format!("{}{}", leaf.pem(), ca.pem()).into_bytes());
        seeds.push(leaf.der().to_vec());
        seeds.push(key.public_key_pem().into_bytes());
        seeds.push(key.serialize_pem().into_bytes());
        seeds.push(key.serialize_der());
    }
    seeds.push(ca.pem().into_bytes());
    seeds
}
