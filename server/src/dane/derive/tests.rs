//! Derivation checked against OpenSSL, the tool operators use for the same job:
//! `openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum` (3 1 1) and
//! `openssl x509 -outform DER | sha256sum` (3 0 1). A missing openssl fails the test.

use std::io::Write;
use std::process::{Command, Stdio};

use super::*;

/// Runs a shell pipeline with `input` on stdin and returns its stdout.
fn pipe(script: &str, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("sh")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh runs (openssl comes from the 'openssl' package)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "`{script}` failed: is openssl installed?"
    );
    out.stdout
}

/// The lowercase hex digest that `sha256sum`/`sha512sum` print first.
fn openssl_digest(script: &str, input: &[u8]) -> String {
    let out = String::from_utf8(pipe(script, input)).expect("utf8");
    out.split_whitespace().next().expect("a digest").to_string()
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// A self-signed certificate for mx1.example.com with a key of `alg`, as PEM.
fn certificate(alg: &'static rcgen::SignatureAlgorithm) -> (String, rcgen::KeyPair) {
    let key = rcgen::KeyPair::generate_for(alg).expect("key");
    let params =
        rcgen::CertificateParams::new(vec!["mx1.example.com".to_string()]).expect("params");
    let cert = params.self_signed(&key).expect("self-signed");
    (cert.pem(), key)
}

/// An RSA certificate made by openssl (rcgen's ring backend cannot generate RSA keys).
fn rsa_certificate() -> String {
    let dir = std::env::temp_dir().join(format!("daned-tlsa-rsa-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=mx1.example.com",
        ])
        .args(["-days", "30", "-keyout"])
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success());
    let pem = std::fs::read_to_string(dir.join("cert.pem")).expect("cert");
    let _ = std::fs::remove_dir_all(&dir);
    pem
}

const SPKI_SHA256: &str =
    "openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum";

#[test]
fn dane_ee_spki_sha256_matches_openssl_for_ecdsa_ed25519_and_rsa() {
    let pems = [
        certificate(&rcgen::PKCS_ECDSA_P256_SHA256).0,
        certificate(&rcgen::PKCS_ED25519).0,
        rsa_certificate(),
    ];
    for pem in pems {
        let certs = certificates(pem.as_bytes()).expect("certificate");
        let rdata = tlsa_rdata(&certs[0], TlsaParams::DANE_EE_SPKI_SHA256).expect("derive");
        assert_eq!(&rdata[..3], &[3, 1, 1]);
        assert_eq!(
            hex(&rdata[3..]),
            openssl_digest(SPKI_SHA256, pem.as_bytes())
        );
    }
}

#[test]
fn full_certificate_and_sha512_match_openssl() {
    let (pem, _) = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);
    let der = &certificates(pem.as_bytes()).unwrap()[0];
    let params = TlsaParams {
        usage: Usage::DANE_EE,
        selector: Selector::CERT,
        matching: Matching::SHA256,
    };
    let rdata = tlsa_rdata(der, params).unwrap();
    assert_eq!(
        hex(&rdata[3..]),
        openssl_digest("openssl x509 -outform DER | sha256sum", pem.as_bytes())
    );
    let params = TlsaParams {
        usage: Usage::DANE_EE,
        selector: Selector::SPKI,
        matching: Matching::SHA512,
    };
    let rdata = tlsa_rdata(der, params).unwrap();
    let script = "openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha512sum";
    assert_eq!(hex(&rdata[3..]), openssl_digest(script, pem.as_bytes()));
    let params = TlsaParams {
        usage: Usage::DANE_EE,
        selector: Selector::CERT,
        matching: Matching::FULL,
    };
    assert_eq!(&tlsa_rdata(der, params).unwrap()[3..], der.as_slice());
}

#[test]
fn der_input_gives_the_same_record_as_pem() {
    let (pem, _) = certificate(&rcgen::PKCS_ED25519);
    let der = pipe("openssl x509 -outform DER", pem.as_bytes());
    assert_eq!(
        certificates(&der).unwrap()[0],
        certificates(pem.as_bytes()).unwrap()[0]
    );
}

#[test]
fn a_private_key_a_public_key_a_csr_and_the_certificate_give_the_same_spki() {
    let (pem, key) = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);
    let from_cert = public_key_info(pem.as_bytes()).unwrap();
    let from_private = public_key_info(key.serialize_pem().as_bytes()).unwrap();
    let public_pem = pipe("openssl pkey -pubout", key.serialize_pem().as_bytes());
    let from_public = public_key_info(&public_pem).unwrap();
    let params = rcgen::CertificateParams::new(vec!["mx1.example.com".to_string()]).unwrap();
    let csr = params.serialize_request(&key).unwrap().pem().unwrap();
    let from_csr = public_key_info(csr.as_bytes()).unwrap();
    assert_eq!(from_cert, from_private);
    assert_eq!(from_cert, from_public);
    assert_eq!(from_cert, from_csr);
    let rdata = tlsa_rdata_for_spki(&from_private, Usage::DANE_EE, Matching::SHA256).unwrap();
    assert_eq!(
        hex(&rdata[3..]),
        openssl_digest(SPKI_SHA256, pem.as_bytes())
    );
}

#[test]
fn a_chain_file_lists_the_leaf_first() {
    let (leaf, _) = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);
    let (ca, _) = certificate(&rcgen::PKCS_ED25519);
    let chain = format!("{leaf}{ca}");
    let certs = certificates(chain.as_bytes()).unwrap();
    assert_eq!(certs.len(), 2);
    assert_eq!(certs[0], certificates(leaf.as_bytes()).unwrap()[0]);
}

#[test]
fn half_written_empty_and_garbage_files_are_errors() {
    let (pem, _) = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);
    let half = &pem.as_bytes()[..pem.len() / 2];
    assert!(
        certificates(half).is_err(),
        "a cut PEM is not a certificate"
    );
    let no_end = pem.replace("-----END CERTIFICATE-----", "");
    assert!(certificates(no_end.as_bytes()).is_err());
    assert_eq!(certificates(b""), Err(DeriveError::NoCertificate));
    assert_eq!(certificates(b"  \n"), Err(DeriveError::NoCertificate));
    assert!(certificates(b"\x30\x82\x01\x00garbage").is_err());
    let der = certificates(pem.as_bytes()).unwrap().remove(0);
    assert!(
        certificates(&der[..der.len() - 10]).is_err(),
        "truncated DER"
    );
}

#[test]
fn unknown_selectors_and_matching_types_are_refused() {
    let (pem, _) = certificate(&rcgen::PKCS_ED25519);
    let der = &certificates(pem.as_bytes()).unwrap()[0];
    let params = TlsaParams {
        usage: Usage::DANE_EE,
        selector: Selector(7),
        matching: Matching::SHA256,
    };
    assert!(matches!(
        tlsa_rdata(der, params),
        Err(DeriveError::UnsupportedParameter { .. })
    ));
}

#[test]
fn presentation_is_usage_selector_matching_and_upper_hex() {
    assert_eq!(rdata_to_text(&[3, 1, 1, 0xab, 0x01]), "3 1 1 AB01");
}
