//! DKIM key files (the operator's, or a mail signer's): PEM or DER, PKCS#8, PKCS#1 or SPKI,
//! RSA or Ed25519, through `mailrec::dkim::record` (key file to TXT record data).
//!
//! What makes a result wrong, besides a panic: a record whose text is not
//! `v=DKIM1; k=rsa|ed25519; p=BASE64` of the key; TXT data that is not that text in
//! character-strings of at most 255 octets; a record that, parsed back as a verifier (the
//! doctor) parses it, gives another key; an RSA key under the 1024 bits RFC 8301 refuses;
//! an Ed25519 `p=` that is not the raw 32-octet key.

use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ED25519, PublicKeyData};
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::doctor::mail::{DkimVerdict, dkim_key};
use crate::mailrec::dkim::record::{DkimKey, KeyKind, RSA_MIN_BITS, txt_text};

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 section 4), before the
/// 32-octet key.
const ED25519_SPKI_PREFIX: &[u8] = &[
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Key files made with openssl (`genpkey`, `pkey -traditional`, `-pubout`, `-outform DER`):
/// test keys, never used for anything else.
const OPENSSL_FILES: &[&[u8]] = &[
    include_bytes!("../../../tests/data/dkim/rsa2048.pem"),
    include_bytes!("../../../tests/data/dkim/rsa2048-pkcs1.pem"),
    include_bytes!("../../../tests/data/dkim/rsa1024-public.pem"),
    include_bytes!("../../../tests/data/dkim/rsa1024.der"),
    include_bytes!("../../../tests/data/dkim/rsa768.pem"),
    include_bytes!("../../../tests/data/dkim/ed25519.pem"),
    include_bytes!("../../../tests/data/dkim/ed25519-public.der"),
];

/// Reads `data` as a DKIM key file and checks the record it gives.
pub fn run(data: &[u8]) {
    let Ok(key) = DkimKey::from_file_bytes(data) else {
        return;
    };
    check_key(&key);
    check_record(&key);
    check_reparsed(&key);
}

/// The key itself: RSA at least [`RSA_MIN_BITS`] and one whole SPKI, Ed25519 the raw 32
/// octets.
fn check_key(key: &DkimKey) {
    match key.kind {
        KeyKind::Rsa => {
            assert!(key.bits >= RSA_MIN_BITS, "RSA key of {} bits", key.bits);
            // p= is exactly one SubjectPublicKeyInfo: nothing a verifier's DER parser would
            // refuse as trailing data.
            let rest = SubjectPublicKeyInfo::from_der(&key.public).map(|(rest, _)| rest.len());
            assert_eq!(rest.ok(), Some(0), "p= is not exactly one SPKI");
        }
        KeyKind::Ed25519 => {
            assert_eq!(key.bits, 256);
            assert_eq!(key.public.len(), 32, "Ed25519 p= is not the raw key");
        }
    }
}

/// The text is `v=DKIM1; k=...; p=...` of the key, and the TXT data that text in strings of
/// at most 255 octets (all but the last full, so that joining them gives the text back).
fn check_record(key: &DkimKey) {
    let text = key.record_text();
    let prefix = format!("v=DKIM1; k={}; p=", key.kind.tag());
    let Some(p) = text.strip_prefix(&prefix) else {
        panic!("record text {text:?} does not start with {prefix:?}");
    };
    assert_eq!(
        data_encoding::BASE64.decode(p.as_bytes()).ok().as_deref(),
        Some(&key.public[..]),
        "p= is not the key"
    );
    let rdata = key.rdata();
    let mut rest = &rdata[..];
    let mut strings = Vec::new();
    while let Some((&len, tail)) = rest.split_first() {
        let Some(chunk) = tail.get(..usize::from(len)) else {
            panic!("TXT data cut short: {rdata:02x?}");
        };
        strings.push(chunk);
        rest = &tail[usize::from(len)..];
    }
    let (last, full) = strings.split_last().expect("at least one string");
    assert!(
        full.iter().all(|s| s.len() == 255),
        "a short string before the last"
    );
    assert!(!last.is_empty() && last.len() <= 255);
    assert_eq!(txt_text(&rdata).as_deref(), Some(text.as_str()));
}

/// The record parsed back as a verifier does gives the same key, and so does the key's SPKI
/// read as a `PUBLIC KEY` file; the revocation record parses as revoked.
fn check_reparsed(key: &DkimKey) {
    match dkim_key(&key.record_text()) {
        Ok(DkimVerdict::Key(again)) => assert_eq!(&again, key, "the record gives another key"),
        other => panic!("the record does not parse back: {other:?}"),
    }
    let spki = match key.kind {
        KeyKind::Rsa => key.public.clone(),
        KeyKind::Ed25519 => [ED25519_SPKI_PREFIX, &key.public].concat(),
    };
    let pem = pem::encode(&pem::Pem::new("PUBLIC KEY", spki));
    match DkimKey::from_file_bytes(pem.as_bytes()) {
        Ok(again) => assert_eq!(&again, key, "the key's SPKI gives another key"),
        Err(e) => panic!("the key's SPKI is unreadable: {e}"),
    }
    let revoked = DkimKey::revoked_rdata(key.kind);
    let text = txt_text(&revoked).unwrap_or_default();
    assert_eq!(dkim_key(&text), Ok(DkimVerdict::Revoked));
}

/// The openssl files, and keys made with rcgen (ring): Ed25519 as PKCS#8 PEM and DER and as
/// a public key, and an ECDSA key, which DKIM has no `k=` for.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = OPENSSL_FILES.iter().map(|f| f.to_vec()).collect();
    for alg in [&PKCS_ED25519, &PKCS_ECDSA_P256_SHA256] {
        let Ok(key) = KeyPair::generate_for(alg) else {
            continue;
        };
        seeds.push(key.serialize_pem().into_bytes());
        seeds.push(key.serialize_der());
        seeds.push(key.public_key_pem().into_bytes());
        seeds.push(key.subject_public_key_info());
    }
    seeds
}

#[cfg(test)]
mod tests;
