//! Published DNSSEC test vectors: RFC 8080 section 6.1 (Ed25519, deterministic: the exact
//! signatures are reproduced) and RFC 6605 section 6.1 (ECDSA P-256, randomised: the published
//! signature is verified and a fresh one checked). The vector text is in `tests/data/rfc/`.

use data_encoding::{BASE64, HEXLOWER};
use signer::ds::{DigestType, ds_rdata};
use signer::key::{Algorithm, Dnskey, PrivateMaterial, RingSigningKey, SigningKey};
use signer::rrsig::{RrsigFields, verify_rrsig};
use signer::{Timestamp, ValidityWindow, sign_rrset};
use zones::{Class, Name, Rdata, Rrset, Rtype, Ttl};

/// One example of a vector file.
struct Example {
    /// The private key field.
    private: [u8; 32],
    /// The DNSKEY.
    dnskey: Dnskey,
    /// Owner of the DNSKEY.
    zone: Name,
    /// DS: key tag, digest hex.
    ds: (u16, String),
    /// The signed RRset.
    rrset: Rrset,
    /// The published RRSIG: fields and signature.
    rrsig: (RrsigFields, Vec<u8>),
}

/// Wire form of a presentation name.
fn wire_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.trim_end_matches('.').split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// An RRSIG time field: seconds or YYYYMMDDHHmmSS (RFC 4034 section 3.2).
fn time_field(s: &str) -> u32 {
    if s.len() == 14 {
        Timestamp::from_rrsig_presentation(s)
            .unwrap()
            .to_rrsig_field()
    } else {
        s.parse().unwrap()
    }
}

/// Parses a vector file into its examples.
fn parse(text: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut lines = text.lines().filter(|l| !l.starts_with(';')).peekable();
    while let Some(line) = lines.next() {
        assert!(line.starts_with("example "), "{line}");
        let private = BASE64
            .decode(
                lines
                    .next()
                    .unwrap()
                    .strip_prefix("PrivateKey: ")
                    .unwrap()
                    .as_bytes(),
            )
            .unwrap()
            .try_into()
            .unwrap();
        let t: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        let zone = Name::from_ascii(t[0]).unwrap();
        let dnskey = Dnskey {
            flags: t[4].parse().unwrap(),
            protocol: t[5].parse().unwrap(),
            algorithm: Algorithm(t[6].parse().unwrap()),
            public_key: BASE64.decode(t[7].as_bytes()).unwrap(),
        };
        let t: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        let ds = (t[4].parse().unwrap(), t[7].to_owned());
        let t: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        let (rtype, rdata) = match t[3] {
            "A" => (
                Rtype::A,
                t[4].split('.')
                    .map(|o| o.parse::<u8>().unwrap())
                    .collect::<Vec<_>>(),
            ),
            "MX" => {
                let mut r = t[4].parse::<u16>().unwrap().to_be_bytes().to_vec();
                r.extend(wire_name(t[5]));
                (Rtype::MX, r)
            }
            other => panic!("unexpected type {other}"),
        };
        let mut rrset = Rrset::new(
            Name::from_ascii(t[0]).unwrap(),
            rtype,
            Class::IN,
            Ttl(t[1].parse().unwrap()),
        );
        rrset.insert(Rdata::from(rdata));
        let t: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        let fields = RrsigFields {
            type_covered: u16::from(rtype),
            algorithm: t[5].parse().unwrap(),
            labels: t[6].parse().unwrap(),
            original_ttl: t[7].parse().unwrap(),
            expiration: time_field(t[8]),
            inception: time_field(t[9]),
            key_tag: t[10].parse().unwrap(),
            signer: Name::from_ascii(t[11]).unwrap(),
        };
        let sig = BASE64.decode(t[12].as_bytes()).unwrap();
        out.push(Example {
            private,
            dnskey,
            zone,
            ds,
            rrset,
            rrsig: (fields, sig),
        });
    }
    out
}

/// The published RRSIG as wire rdata.
fn rrsig_rdata(e: &Example) -> Vec<u8> {
    let mut r = e.rrsig.0.to_wire();
    r.extend_from_slice(&e.rrsig.1);
    r
}

/// Checks what both algorithms share: key tag, DS digest, public key derived from the private
/// one (or accepted with it), and the published signature verifying.
fn check_common(e: &Example, key: &RingSigningKey) {
    assert_eq!(key.public_key(), e.dnskey.public_key.as_slice());
    assert_eq!(e.dnskey.key_tag(), e.ds.0);
    let ds = ds_rdata(&e.zone, &e.dnskey, DigestType::Sha256);
    assert_eq!(HEXLOWER.encode(&ds.as_bytes()[4..]), e.ds.1);
    verify_rrsig(&e.rrset, &rrsig_rdata(e), &e.dnskey).unwrap();
}

#[test]
fn rfc_8080_section_6_1_ed25519_signatures_are_reproduced_exactly() {
    let examples = parse(include_str!("data/rfc/rfc8080-section-6.1.txt"));
    assert_eq!(examples.len(), 2);
    for e in &examples {
        let key = RingSigningKey::from_private(
            Algorithm::ED25519,
            PrivateMaterial::Ed25519(e.private),
            None,
        )
        .unwrap();
        check_common(e, &key);
        let window = ValidityWindow {
            inception: Timestamp(u64::from(e.rrsig.0.inception)),
            expiration: Timestamp(u64::from(e.rrsig.0.expiration)),
        };
        let ours = sign_rrset(&e.rrset, &e.zone, &key, e.dnskey.flags, window).unwrap();
        assert_eq!(ours.as_bytes(), rrsig_rdata(e).as_slice());
    }
}

#[test]
fn rfc_6605_section_6_1_p256_signature_verifies_and_ours_verifies_too() {
    let examples = parse(include_str!("data/rfc/rfc6605-section-6.1.txt"));
    assert_eq!(examples.len(), 1);
    let e = &examples[0];
    let key = RingSigningKey::from_private(
        Algorithm::ECDSAP256SHA256,
        PrivateMaterial::EcdsaP256(e.private),
        Some(e.dnskey.public_key.clone()),
    )
    .unwrap();
    check_common(e, &key);
    let window = ValidityWindow {
        inception: Timestamp::from_rrsig_presentation("20100812100439").unwrap(),
        expiration: Timestamp::from_rrsig_presentation("20100909100439").unwrap(),
    };
    let ours = sign_rrset(&e.rrset, &e.zone, &key, e.dnskey.flags, window).unwrap();
    let (fields, sig) = RrsigFields::from_wire(ours.as_bytes()).unwrap();
    // Everything but the (random) signature matches the published RRSIG.
    assert_eq!(fields, e.rrsig.0);
    assert_eq!(sig.len(), 64);
    verify_rrsig(&e.rrset, ours.as_bytes(), &e.dnskey).unwrap();
    // A one-bit change of the published signature does not verify.
    let mut bad = rrsig_rdata(e);
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(verify_rrsig(&e.rrset, &bad, &e.dnskey).is_err());
}
