//! Key interchange with BIND: keys made by `dnssec-keygen` are imported and sign a zone that
//! `dnssec-verify` accepts, with DS digests equal to `dnssec-dsfromkey`'s; keys written by daned's key store are used by
//! `dnssec-signzone`, whose output `ldns-verify-zone` accepts. A missing tool fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use data_encoding::HEXUPPER;
use signer::ds::{DigestType, ds_rdata};
use signer::key::{Algorithm, KeyRole, SigningKey};
use signer::keystore::{KeyStore, KeyStoreError};
use signer::{Denial, SigningKeyEntry, SigningParams, Timestamp, sign_zone};
use zones::{Class, Name, Rdata, Record, Rtype, Ttl, Zone};

/// The current time (tests may read the clock; the library never does).
fn now() -> Timestamp {
    Timestamp(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
}

/// A fresh directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("signer-bind-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a tool, panicking with its output when it is missing or fails; returns stdout.
fn run(tool: &str, args: &[&str], cwd: &Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is required for this test and could not run: {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A minimal unsigned zone as a master file and as a `Zone`.
fn minimal_zone() -> (String, Zone) {
    let text = "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300\n\
                example.com. 3600 IN NS ns1.example.com.\n\
                ns1.example.com. 3600 IN A 192.0.2.1\n";
    let mut z = Zone::new(Name::from_ascii("example.com.").unwrap(), Class::IN);
    let mut soa = b"\x03ns1\x07example\x03com\x00\x0ahostmaster\x07example\x03com\x00".to_vec();
    for v in [1u32, 7200, 3600, 1_209_600, 300] {
        soa.extend_from_slice(&v.to_be_bytes());
    }
    for (owner, rtype, rdata) in [
        ("example.com.", Rtype::SOA, soa),
        (
            "example.com.",
            Rtype::NS,
            b"\x03ns1\x07example\x03com\x00".to_vec(),
        ),
        ("ns1.example.com.", Rtype::A, vec![192, 0, 2, 1]),
    ] {
        z.insert(Record {
            owner: Name::from_ascii(owner).unwrap(),
            rtype,
            class: Class::IN,
            ttl: Ttl(3600),
            rdata: Rdata::from(rdata),
        });
    }
    (text.to_owned(), z)
}

#[test]
fn keys_from_dnssec_keygen_import_and_sign_for_every_supported_algorithm() {
    let dir = temp_dir("import");
    let store = KeyStore::open(dir.join("state")).unwrap();
    for (alg, name, extra) in [
        (Algorithm::ECDSAP256SHA256, "ECDSAP256SHA256", &[][..]),
        (Algorithm::ED25519, "ED25519", &[][..]),
        (Algorithm::RSASHA256, "RSASHA256", &["-b", "2048"][..]),
    ] {
        let mut args = vec!["-K", ".", "-a", name, "-f", "KSK"];
        args.extend_from_slice(extra);
        args.push("example.com");
        let stem = run("dnssec-keygen", &args, &dir);
        let stem = stem.trim();
        let key = store
            .import_bind(
                &dir.join(format!("{stem}.key")),
                &dir.join(format!("{stem}.private")),
                Some(KeyRole::Csk),
                now(),
            )
            .unwrap();
        assert_eq!(key.key.algorithm(), alg);
        assert!(
            stem.ends_with(&format!("{:05}", key.tag)),
            "{stem} vs {}",
            key.tag
        );
        // DS digests agree with BIND's dnssec-dsfromkey for SHA-256 and SHA-384.
        for (digest, flag) in [
            (DigestType::Sha256, "SHA-256"),
            (DigestType::Sha384, "SHA-384"),
        ] {
            let theirs = run(
                "dnssec-dsfromkey",
                &["-a", flag, &format!("{stem}.key")],
                &dir,
            );
            let theirs = theirs
                .split_whitespace()
                .last()
                .unwrap()
                .to_ascii_uppercase();
            let ours = ds_rdata(&key.zone, &key.dnskey(), digest);
            assert_eq!(
                HEXUPPER.encode(&ours.as_bytes()[4..]),
                theirs,
                "{name} {flag}"
            );
        }
        let keys = [SigningKeyEntry::active(&key.key, KeyRole::Csk)];
        let params = SigningParams {
            denial: Denial::Nsec,
            ..Default::default()
        };
        let signed = sign_zone(&minimal_zone().1, &keys, &params, now()).unwrap();
        // Every RRSIG verifies with the imported public key.
        let dnskey = key.dnskey();
        for ((owner, t, _), set) in &signed.rrsets {
            if *t == 46 {
                continue;
            }
            if let Some(sigs) = signed.rrsets.get(&(owner.clone(), 46, *t)) {
                let mine = sigs
                    .rdatas
                    .iter()
                    .find(|r| u16::from_be_bytes([r.as_bytes()[0], r.as_bytes()[1]]) == *t);
                if let Some(sig) = mine {
                    signer::rrsig::verify_rrsig(set, sig.as_bytes(), &dnskey)
                        .unwrap_or_else(|e| panic!("{name} {owner} {t}: {e}"));
                }
            }
        }
    }
    // The store wrote all three (RSA included) in its own files and loads them back.
    let loaded = store
        .load_zone(&Name::from_ascii("example.com.").unwrap())
        .unwrap();
    assert_eq!(loaded.len(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn key_files_written_by_the_store_are_usable_by_dnssec_signzone() {
    let dir = temp_dir("export");
    let store = KeyStore::open(&dir).unwrap();
    let zone = Name::from_ascii("example.com.").unwrap();
    let ksk = store
        .generate(&zone, Algorithm::ECDSAP256SHA256, KeyRole::Ksk, now())
        .unwrap();
    let zsk = store
        .generate(&zone, Algorithm::ECDSAP256SHA256, KeyRole::Zsk, now())
        .unwrap();
    // dnssec-signzone signs with the DNSKEYs at the apex: include daned's .key files.
    let text = format!(
        "{}$INCLUDE {}.key\n$INCLUDE {}.key\n",
        minimal_zone().0,
        ksk.file_stem(),
        zsk.file_stem()
    );
    std::fs::write(dir.join("example.com.zone"), text).unwrap();
    run(
        "dnssec-signzone",
        &[
            "-K",
            ".",
            "-o",
            "example.com",
            "-f",
            "signed.zone",
            "example.com.zone",
            &format!("{}.key", ksk.file_stem()),
            &format!("{}.key", zsk.file_stem()),
        ],
        &dir,
    );
    run("ldns-verify-zone", &["signed.zone"], &dir);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_private_file_that_does_not_match_its_public_key_is_refused() {
    let dir = temp_dir("mismatch");
    let a = run(
        "dnssec-keygen",
        &["-K", ".", "-a", "ED25519", "example.com"],
        &dir,
    );
    let b = run(
        "dnssec-keygen",
        &["-K", ".", "-a", "ED25519", "example.com"],
        &dir,
    );
    let store = KeyStore::open(dir.join("state")).unwrap();
    let err = store
        .import_bind(
            &dir.join(format!("{}.key", a.trim())),
            &dir.join(format!("{}.private", b.trim())),
            None,
            now(),
        )
        .unwrap_err();
    assert!(matches!(err, KeyStoreError::Damaged { .. }), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_1024_bit_rsa_key_is_refused_with_a_typed_error() {
    let dir = temp_dir("rsa1024");
    let stem = run(
        "dnssec-keygen",
        &["-K", ".", "-a", "RSASHA256", "-b", "1024", "example.com"],
        &dir,
    );
    let store = KeyStore::open(dir.join("state")).unwrap();
    let err = store
        .import_bind(
            &dir.join(format!("{}.key", stem.trim())),
            &dir.join(format!("{}.private", stem.trim())),
            None,
            now(),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            KeyStoreError::Damaged {
                problem: signer::keystore::Damage::RsaKeyTooSmall,
                ..
            }
        ),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
