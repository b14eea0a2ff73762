use super::*;
use std::process::Command;

/// Runs openssl with `args`, returning its standard output.
fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A fresh key of `algorithm` (openssl genpkey), PEM PKCS#8, in `dir`; returns its path.
fn genkey(dir: &std::path::Path, name: &str, opts: &[&str]) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut args = vec!["genpkey", "-out", path.to_str().unwrap()];
    args.extend_from_slice(opts);
    openssl(&args);
    path
}

/// The DER SubjectPublicKeyInfo openssl gives for a key file.
fn openssl_spki(path: &std::path::Path) -> Vec<u8> {
    openssl(&[
        "pkey",
        "-in",
        path.to_str().unwrap(),
        "-pubout",
        "-outform",
        "DER",
    ])
}

#[test]
fn rsa_keys_publish_the_spki_openssl_gives_from_pkcs8_pkcs1_public_and_der() {
    let dir = tempfile::tempdir().unwrap();
    let key = genkey(
        dir.path(),
        "k.pem",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let spki = openssl_spki(&key);
    let k = key.to_str().unwrap();
    let pkcs1 = openssl(&["pkey", "-in", k, "-traditional"]);
    assert!(String::from_utf8_lossy(&pkcs1).contains("RSA PRIVATE KEY"));
    let public = openssl(&["pkey", "-in", k, "-pubout"]);
    let der = openssl(&["pkey", "-in", k, "-outform", "DER"]);
    for input in [
        std::fs::read(&key).unwrap(),
        pkcs1,
        public,
        der,
        spki.clone(),
    ] {
        let dkim = DkimKey::from_file_bytes(&input).unwrap();
        assert_eq!(dkim.kind, KeyKind::Rsa);
        assert_eq!(dkim.bits, 2048);
        assert_eq!(dkim.public, spki);
        assert!(!dkim.is_weak());
    }
    let text = DkimKey::from_file_bytes(&spki).unwrap().record_text();
    assert!(text.starts_with("v=DKIM1; k=rsa; p=MIIBIjAN"), "{text}");
}

#[test]
fn rsa_below_1024_bits_is_refused_and_below_2048_is_weak() {
    let dir = tempfile::tempdir().unwrap();
    let small = genkey(
        dir.path(),
        "s.pem",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:768"],
    );
    let err = DkimKey::from_file_bytes(&std::fs::read(&small).unwrap()).unwrap_err();
    assert!(matches!(err, KeyError::TooSmall { bits: 768 }), "{err}");
    assert!(err.to_string().contains("RFC 8301"), "{err}");
    let weak = genkey(
        dir.path(),
        "w.pem",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    );
    let key = DkimKey::from_file_bytes(&std::fs::read(&weak).unwrap()).unwrap();
    assert_eq!(key.bits, 1024);
    assert!(key.is_weak());
}

#[test]
fn ed25519_publishes_the_raw_32_octets_of_rfc_8463_appendix_a() {
    // RFC 8463 appendix A.2: the private key (seed) and the published p= value.
    let seed = data_encoding::BASE64
        .decode(b"nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
        .unwrap();
    let mut pkcs8 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    pkcs8.extend_from_slice(&seed);
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.clone()));
    for input in [pem.into_bytes(), pkcs8] {
        let key = DkimKey::from_file_bytes(&input).unwrap();
        assert_eq!(key.kind, KeyKind::Ed25519);
        assert_eq!(
            key.record_text(),
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        );
    }
}

#[test]
fn an_ed25519_key_from_openssl_gives_the_last_32_octets_of_its_spki() {
    let dir = tempfile::tempdir().unwrap();
    let key = genkey(dir.path(), "e.pem", &["-algorithm", "ED25519"]);
    let spki = openssl_spki(&key);
    let dkim = DkimKey::from_file_bytes(&std::fs::read(&key).unwrap()).unwrap();
    assert_eq!(dkim.public, spki[spki.len() - 32..]);
    assert_eq!(DkimKey::from_file_bytes(&spki).unwrap(), dkim);
}

#[test]
fn an_ecdsa_key_a_certificate_and_garbage_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = genkey(
        dir.path(),
        "p.pem",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let err = DkimKey::from_file_bytes(&std::fs::read(&key).unwrap()).unwrap_err();
    assert!(matches!(err, KeyError::Algorithm(_)), "{err}");
    let cert = rcgen::generate_simple_self_signed(vec!["a.example".into()]).unwrap();
    let err = DkimKey::from_file_bytes(cert.cert.pem().as_bytes()).unwrap_err();
    assert!(matches!(err, KeyError::NotAKey(_)), "{err}");
    assert!(DkimKey::from_file_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA").is_err());
    assert!(DkimKey::from_file_bytes(&[0x30, 0x82, 0xff]).is_err());
}

#[test]
fn long_records_are_cut_into_255_octet_strings_and_joined_back() {
    let text = "x".repeat(600);
    let rdata = txt_rdata(&text);
    assert_eq!(rdata[0], 255);
    assert_eq!(rdata[256], 255);
    assert_eq!(rdata[512], 90);
    assert_eq!(rdata.len(), 603);
    assert_eq!(txt_text(&rdata).unwrap(), text);
    assert_eq!(
        txt_text(&DkimKey::revoked_rdata(KeyKind::Rsa)).unwrap(),
        "v=DKIM1; k=rsa; p="
    );
    assert_eq!(txt_text(&[5, b'a']), None);
}

#[test]
fn a_public_key_with_data_after_the_spki_is_malformed() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let mut der = rcgen::PublicKeyData::subject_public_key_info(&key);
    assert!(DkimKey::from_file_bytes(&der).is_ok());
    der.extend_from_slice(&[0x30, 0x00]);
    let pem = pem::encode(&pem::Pem::new("PUBLIC KEY", der.clone()));
    for input in [der.clone(), pem.into_bytes()] {
        let err = DkimKey::from_file_bytes(&input).unwrap_err();
        assert!(matches!(err, KeyError::Malformed(_)), "{err}");
    }
}
