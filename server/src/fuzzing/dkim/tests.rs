//! The seeds reach what they are for: every supported form gives a key (RSA and Ed25519,
//! private and public, PEM and DER), and the ones DKIM cannot publish are refused.

use super::*;

#[test]
fn the_seeds_give_rsa_and_ed25519_keys_and_refuse_small_rsa_and_ecdsa() {
    let keys: Vec<_> = seeds()
        .iter()
        .map(|s| DkimKey::from_file_bytes(s).ok().map(|k| (k.kind, k.bits)))
        .collect();
    let rsa = |bits| Some((KeyKind::Rsa, bits));
    let ed = Some((KeyKind::Ed25519, 256));
    assert_eq!(
        keys,
        [
            rsa(2048),
            rsa(2048),
            rsa(1024),
            rsa(1024),
            None, // 768 bits: refused (RFC 8301)
            ed,
            ed,
            ed,
            ed,
            ed,
            ed,
            None, // ECDSA: no k= for it
            None,
            None,
            None,
        ]
    );
}

#[test]
fn every_seed_runs_and_its_record_parses_back() {
    for seed in seeds() {
        run(&seed);
    }
}
