//! The key store against real files: round trips, modes, damage.

use super::*;

/// A fresh directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("signer-ks-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

#[test]
fn generated_keys_load_back_with_metadata_and_private_files_are_0600() {
    let dir = temp_dir("roundtrip");
    let ks = KeyStore::open(&dir).unwrap();
    let zone = Name::from_ascii("Example.COM.").unwrap();
    let a = ks
        .generate(
            &zone,
            Algorithm::ECDSAP256SHA256,
            KeyRole::Ksk,
            Timestamp(1000),
        )
        .unwrap();
    let mut b = ks
        .generate(&zone, Algorithm::ED25519, KeyRole::Zsk, Timestamp(2000))
        .unwrap();
    b.meta.phase = KeyPhase::Active;
    ks.save_metadata(&b).unwrap();
    let stem = a.file_stem();
    assert!(stem.starts_with("Kexample.com.+013+"));
    let mode = fs::metadata(dir.join(format!("{stem}.private")))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let loaded = ks.load_zone(&zone).unwrap();
    assert_eq!(loaded.len(), 2);
    for k in &loaded {
        let orig = if k.tag == a.tag { &a } else { &b };
        assert_eq!(k.meta, orig.meta);
        assert_eq!(k.key.public_key(), orig.key.public_key());
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_key_generated_in_another_phase_is_written_with_it() {
    let dir = temp_dir("generate-as");
    let ks = KeyStore::open(&dir).unwrap();
    let zone = Name::from_ascii("example.com.").unwrap();
    let key = ks
        .generate_as(
            &zone,
            Algorithm::ECDSAP256SHA256,
            KeyRole::Csk,
            Timestamp(1000),
            |meta| meta.enter(KeyPhase::Active, Timestamp(1000)),
        )
        .unwrap();
    assert_eq!(key.meta.phase, KeyPhase::Active);
    let loaded = ks.load_zone(&zone).unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].meta, key.meta);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_damaged_private_file_is_an_error_naming_the_file() {
    let dir = temp_dir("damaged");
    let ks = KeyStore::open(&dir).unwrap();
    let zone = Name::from_ascii("example.com.").unwrap();
    let a = ks
        .generate(&zone, Algorithm::ED25519, KeyRole::Csk, Timestamp(1000))
        .unwrap();
    let private = dir.join(format!("{}.private", a.file_stem()));
    fs::write(
        &private,
        "Private-key-format: v1.3\nAlgorithm: 15 (ED25519)\nPrivateKey: !!\n",
    )
    .unwrap();
    match ks.load_zone(&zone) {
        Err(KeyStoreError::Damaged { path, problem }) => {
            assert_eq!(path, private);
            assert_eq!(problem, Damage::BadValue("PrivateKey"));
        }
        other => panic!("expected damage, got {other:?}"),
    }
    // Truncated metadata is damage too.
    fs::write(&private, private_text(&a.key, Timestamp(1000))).unwrap();
    let meta = dir.join(format!("{}.meta", a.file_stem()));
    fs::write(&meta, "role: csk\n").unwrap();
    assert!(matches!(
        ks.load_zone(&zone),
        Err(KeyStoreError::Damaged {
            problem: Damage::MissingField("created"),
            ..
        })
    ));
    fs::remove_dir_all(&dir).unwrap();
}
