//! Independent validation of signed zones: the output of `sign_zone` is written as a master
//! file and checked by `ldns-verify-zone` (ldns) and `dnssec-verify` (BIND). A missing tool
//! fails the test; it never skips.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use hickory_proto::rr::RData;
use hickory_proto::serialize::binary::{BinDecoder, Restrict};
use signer::ds::{DigestType, ds_rdata};
use signer::key::{Algorithm, KeyRole, RingSigningKey, SigningKey};
use signer::nsec3::Nsec3Params;
use signer::{Denial, SigningKeyEntry, SigningParams, Timestamp, sign_zone};
use zones::{Class, Name, Rdata, Record, Rtype, Ttl, Zone};

//------------ zone building --------------------------------------------------

/// The wire form of a presentation name.
fn wire_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.trim_end_matches('.').split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// Adds one record.
fn add(zone: &mut Zone, owner: &str, rtype: Rtype, rdata: Vec<u8>) {
    zone.insert(Record {
        owner: Name::from_ascii(owner).unwrap(),
        rtype,
        class: Class::IN,
        ttl: Ttl(3600),
        rdata: Rdata::from(rdata),
    });
}

/// An SOA rdata for `origin`.
fn soa(origin: &str) -> Vec<u8> {
    let mut r = wire_name(&format!("ns1.{origin}"));
    r.extend(wire_name(&format!("hostmaster.{origin}")));
    for v in [2026112301u32, 7200, 3600, 1_209_600, 300] {
        r.extend_from_slice(&v.to_be_bytes());
    }
    r
}

/// The test zone: delegation with glue and DS, an insecure delegation, a wildcard, a CNAME,
/// an empty non-terminal, MX and TXT, plus `extra` generated names.
fn test_zone(extra: usize) -> Zone {
    let o = "example.com.";
    let mut z = Zone::new(Name::from_ascii(o).unwrap(), Class::IN);
    add(&mut z, o, Rtype::SOA, soa(o));
    add(&mut z, o, Rtype::NS, wire_name("ns1.example.com."));
    add(&mut z, o, Rtype::NS, wire_name("ns2.example.net."));
    let mut mx = vec![0, 10];
    mx.extend(wire_name("mail.example.com."));
    add(&mut z, o, Rtype::MX, mx);
    add(&mut z, o, Rtype::TXT, b"\x0bv=spf1 -all".to_vec());
    add(&mut z, "ns1.example.com.", Rtype::A, vec![192, 0, 2, 1]);
    add(&mut z, "mail.example.com.", Rtype::A, vec![192, 0, 2, 2]);
    add(
        &mut z,
        "mail.example.com.",
        Rtype::AAAA,
        [0x20, 1, 0x0d, 0xb8]
            .into_iter()
            .chain([0; 11])
            .chain([2])
            .collect(),
    );
    add(
        &mut z,
        "www.example.com.",
        Rtype::CNAME,
        wire_name("mail.example.com."),
    );
    add(&mut z, "*.wild.example.com.", Rtype::A, vec![192, 0, 2, 3]);
    add(
        &mut z,
        "a.b.ent.example.com.",
        Rtype::TXT,
        b"\x05hello".to_vec(),
    );
    // Secure delegation with glue at and below the cut.
    add(
        &mut z,
        "sub.example.com.",
        Rtype::NS,
        wire_name("ns.sub.example.com."),
    );
    add(&mut z, "ns.sub.example.com.", Rtype::A, vec![192, 0, 2, 4]);
    let child_key = RingSigningKey::generate(Algorithm::ED25519).unwrap();
    let ds = ds_rdata(
        &Name::from_ascii("sub.example.com.").unwrap(),
        &child_key.dnskey(257),
        DigestType::Sha256,
    );
    add(
        &mut z,
        "sub.example.com.",
        Rtype::DS,
        ds.as_bytes().to_vec(),
    );
    // Insecure delegation.
    add(
        &mut z,
        "insecure.example.com.",
        Rtype::NS,
        wire_name("ns.insecure.example.com."),
    );
    add(
        &mut z,
        "ns.insecure.example.com.",
        Rtype::A,
        vec![192, 0, 2, 5],
    );
    for i in 0..extra {
        add(
            &mut z,
            &format!("host{i}.example.com."),
            Rtype::A,
            vec![10, (i >> 16) as u8, (i >> 8) as u8, i as u8],
        );
    }
    z
}

//------------ master file output ---------------------------------------------

/// Presentation of a zone as a master file, through hickory's `RData` display. RRSIG
/// records take their TTL from the original TTL field (RFC 4034 section 3).
fn master_file(zone: &Zone) -> String {
    let mut out = String::new();
    for rec in zone.records() {
        let bytes = rec.rdata.as_bytes();
        let mut dec = BinDecoder::new(bytes);
        let rdata = RData::read(&mut dec, rec.rtype, Restrict::new(bytes.len() as u16))
            .unwrap_or_else(|e| panic!("{} {}: {e}", rec.owner, rec.rtype));
        let ttl = if rec.rtype == Rtype::RRSIG {
            u32::from_be_bytes(bytes[4..8].try_into().unwrap())
        } else {
            rec.ttl.as_secs()
        };
        // hickory prints TXT strings unquoted, which splits them at spaces: daned's writer
        // quotes them.
        let text = if rec.rtype == Rtype::TXT {
            zones::present::rdata_to_text(u16::from(Rtype::TXT), bytes)
        } else {
            rdata.to_string()
        };
        writeln!(out, "{} {} IN {} {}", rec.owner, ttl, rec.rtype, text).unwrap();
    }
    out
}

/// A fresh directory for one test's files.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("signer-validate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a validator; panics with its output when it is missing or fails.
fn run(tool: &str, args: &[&str], file: &Path) {
    let out = Command::new(tool)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is required for this test and could not run: {e}"));
    assert!(
        out.status.success(),
        "{tool} rejected {}:\n{}\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Signs the test zone with the given denial and keys, writes it and runs both validators
/// (only ldns for large zones, to keep the runtime small).
fn sign_and_validate(name: &str, extra: usize, denial: Denial, alg: Algorithm, split: bool) {
    let now = Timestamp(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    );
    let k1 = RingSigningKey::generate(alg).unwrap();
    let k2 = RingSigningKey::generate(alg).unwrap();
    let keys: Vec<SigningKeyEntry<'_>> = if split {
        vec![
            SigningKeyEntry::active(&k1, KeyRole::Ksk),
            SigningKeyEntry::active(&k2, KeyRole::Zsk),
        ]
    } else {
        vec![SigningKeyEntry::active(&k1, KeyRole::Csk)]
    };
    let params = SigningParams {
        denial,
        ..Default::default()
    };
    let signed = sign_zone(&test_zone(extra), &keys, &params, now).unwrap();
    let dir = temp_dir(name);
    let file = dir.join("example.com.zone");
    std::fs::write(&file, master_file(&signed)).unwrap();
    run("ldns-verify-zone", &[], &file);
    if extra < 1000 {
        // A CSK carries the SEP flag; `-z` tells BIND to accept SEP keys as zone signers.
        let args: &[&str] = if split {
            &["-o", "example.com"]
        } else {
            &["-z", "-o", "example.com"]
        };
        run("dnssec-verify", args, &file);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn nsec3_signed_zone_with_ksk_and_zsk_validates_with_ldns_and_bind() {
    sign_and_validate(
        "nsec3",
        0,
        Denial::Nsec3(Nsec3Params::default()),
        Algorithm::ECDSAP256SHA256,
        true,
    );
}

#[test]
fn nsec_signed_zone_with_a_csk_validates_with_ldns_and_bind() {
    sign_and_validate("nsec", 0, Denial::Nsec, Algorithm::ED25519, false);
}

#[test]
fn nsec3_opt_out_with_salt_validates_with_ldns_and_bind() {
    let p = Nsec3Params {
        iterations: 1,
        salt: vec![0xaa, 0xbb],
        opt_out: true,
    };
    sign_and_validate("optout", 0, Denial::Nsec3(p), Algorithm::ED25519, true);
}

#[test]
fn ten_thousand_names_validate_with_nsec3_and_with_nsec() {
    sign_and_validate(
        "big-nsec3",
        10_000,
        Denial::Nsec3(Nsec3Params::default()),
        Algorithm::ED25519,
        false,
    );
    sign_and_validate(
        "big-nsec",
        10_000,
        Denial::Nsec,
        Algorithm::ECDSAP256SHA256,
        true,
    );
}

#[test]
fn an_incrementally_resigned_zone_with_store_keys_validates_with_ldns_and_bind() {
    use signer::keystore::{KeyPhase, KeyStore};
    use signer::sign::resign_zone;
    let dir = temp_dir("incremental");
    let store = KeyStore::open(dir.join("keys")).unwrap();
    let origin = Name::from_ascii("example.com.").unwrap();
    let now = Timestamp(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    );
    let mut ksk = store
        .generate(&origin, Algorithm::ECDSAP256SHA256, KeyRole::Ksk, now)
        .unwrap();
    let mut zsk = store
        .generate(&origin, Algorithm::ECDSAP256SHA256, KeyRole::Zsk, now)
        .unwrap();
    // A pre-published second ZSK: in the DNSKEY RRset, not signing.
    let mut next_zsk = store
        .generate(&origin, Algorithm::ECDSAP256SHA256, KeyRole::Zsk, now)
        .unwrap();
    ksk.meta.phase = KeyPhase::Active;
    zsk.meta.phase = KeyPhase::Active;
    next_zsk.meta.phase = KeyPhase::Published;
    let stored = [ksk, zsk, next_zsk];
    let keys: Vec<SigningKeyEntry<'_>> =
        signer::keystore::signing_entries(&stored, Default::default());
    assert_eq!(keys.len(), 3);
    let params = SigningParams::default();
    let first = sign_zone(&test_zone(20), &keys, &params, now).unwrap();

    // The diff: a new name, a new empty non-terminal, and a bumped SOA serial.
    let mut changed = test_zone(20);
    let soa_key = (origin.clone(), u16::from(Rtype::SOA), 0);
    let soa_set = changed.rrsets.get_mut(&soa_key).unwrap();
    let mut soa_rdata = soa_set.rdatas[0].as_bytes().to_vec();
    let serial_at = soa_rdata.len() - 20;
    soa_rdata[serial_at..serial_at + 4].copy_from_slice(&2026112302u32.to_be_bytes());
    soa_set.rdatas = vec![Rdata::from(soa_rdata)];
    add(
        &mut changed,
        "new.deep.ent.example.com.",
        Rtype::A,
        vec![192, 0, 2, 77],
    );
    let second = resign_zone(
        &changed,
        Some(&first),
        &keys,
        &params,
        now.add_secs(60),
        86400,
    )
    .unwrap();
    let file = dir.join("example.com.zone");
    std::fs::write(&file, master_file(&second)).unwrap();
    run("ldns-verify-zone", &[], &file);
    run("dnssec-verify", &["-o", "example.com"], &file);
    std::fs::remove_dir_all(&dir).unwrap();
}
