//! The CPU attacks of issue 16 against the validator, at the numbers, served by a DNS
//! server written here (UDP answers truncated when large, then TCP): the KeyTrap zone
//! (CVE-2023-50387: 1,200 keys sharing a key tag, 300 bogus RRSIGs) and NSEC3 denials at
//! 65,535 iterations (CVE-2023-50868). The assertions count the work done, so they fail if a
//! limit is lost, whatever the machine's speed.

use std::collections::HashMap;
use std::time::Duration;

use hickory_proto::serialize::binary::BinEncodable;
use signer::RingSigningKey;

use super::super::limits::{
    MAX_KEY_COLLISIONS, MAX_NSEC3_HASHES, MAX_NSEC3_ITERATIONS, MAX_SIGNATURES_PER_RRSET,
};
use super::*;
use crate::doctor::test_server::{Canned, apex, name, rrset, runtime, server, signed};

/// A client of a server for `zone`.
fn client(runtime: &tokio::runtime::Runtime, zone: HashMap<(String, u16), Canned>) -> Client<'_> {
    let addr = server(runtime, zone);
    Client::new(Some(addr), Duration::from_secs(10), runtime).unwrap()
}

#[test]
fn keytrap_1200_keys_sharing_a_tag_and_300_bogus_rrsigs_cost_a_bounded_number_of_checks() {
    let runtime = runtime();
    let now = crate::clock::now();
    let zone = name("keytrap.test.");
    // 1,200 Ed25519-sized keys whose first two words sum to 0xffff: one key tag for all.
    let colliding: Vec<Vec<u8>> = (0..1200u16)
        .map(|i| {
            let mut k = vec![1, 0, 3, 15];
            k.extend_from_slice(&i.to_be_bytes());
            k.extend_from_slice(&(0xffff - i).to_be_bytes());
            k.extend_from_slice(&[0x5a; 28]);
            k
        })
        .collect();
    let tag = signer::key::key_tag(&colliding[0]);
    assert!(colliding.iter().all(|k| signer::key::key_tag(k) == tag));
    let (_ksk, dnskeys, anchor) = apex(&zone, &colliding, now);
    let mx = rrset(
        &zone,
        Rtype::MX,
        &[[vec![0, 10], zone.to_bytes().unwrap()].concat()],
    );
    let mut answer: Vec<_> = vec![(zone.clone(), Rtype::MX, mx.rdatas[0].as_bytes().to_vec())];
    for i in 0..300u32 {
        let fields = RrsigFields {
            type_covered: 15,
            algorithm: 15,
            labels: 2,
            original_ttl: 300,
            expiration: now.add_secs(86_400).to_rrsig_field(),
            inception: now.sub_secs(3600).to_rrsig_field(),
            key_tag: tag,
            signer: zone.clone(),
        };
        let mut sig = fields.to_wire();
        sig.extend_from_slice(&i.to_be_bytes().repeat(16));
        answer.push((zone.clone(), Rtype::RRSIG, sig));
    }
    let mut served = HashMap::new();
    served.insert((zone.to_string(), u16::from(Rtype::DNSKEY)), dnskeys);
    served.insert(
        (zone.to_string(), u16::from(Rtype::MX)),
        Canned {
            answer,
            ..Canned::default()
        },
    );
    let client = client(&runtime, served);
    let mut v = Validator::new(&client, anchor, now);
    let err = v.lookup(&zone, Rtype::MX).unwrap_err();
    assert!(
        matches!(err, Bogus::BadSignature { tag: t, .. } if t == tag),
        "{err}"
    );
    // One check for the DNSKEY RRset, then at most so many signatures times so many keys.
    let most = 1 + MAX_SIGNATURES_PER_RRSET * MAX_KEY_COLLISIONS;
    assert!(
        v.work.verifications <= most,
        "{} signature checks (the unbounded validator made 360,000)",
        v.work.verifications
    );
    assert!(
        v.work.verifications > MAX_KEY_COLLISIONS,
        "the bogus signatures were tried"
    );
}

/// An NSEC3 owner in `zone` for the hash `h`.
fn nsec3_owner(h: &[u8], zone: &Name) -> Name {
    Name::from_ascii(format!("{}.{zone}", signer::nsec3::hash_label(h))).unwrap()
}

/// 20 NSEC3 records, each with its own salt and `iterations`, covering spans of the hash
/// space (none matching any name), signed.
fn nsec3_denial(
    zone: &Name,
    ksk: &RingSigningKey,
    iterations: u16,
    now: Timestamp,
) -> Vec<(Name, Rtype, Vec<u8>)> {
    let mut out = Vec::new();
    for i in 0..20u8 {
        let owner_hash = [i * 12; 20];
        let next = [i * 12 + 11; 20];
        let mut rdata = vec![1, 0];
        rdata.extend_from_slice(&iterations.to_be_bytes());
        rdata.push(4);
        rdata.extend_from_slice(&[i, 1, 2, 3]);
        rdata.push(20);
        rdata.extend_from_slice(&next);
        rdata.extend_from_slice(&[0, 1, 0x40]); // A
        let set = rrset(&nsec3_owner(&owner_hash, zone), Rtype::NSEC3, &[rdata]);
        out.extend(signed(&set, zone, ksk, now));
    }
    out
}

/// The zone's apex and an NXDOMAIN for a 20-label TLSA name with `iterations`; the lookup's
/// outcome and the validator's work.
fn nsec3_lookup(iterations: u16) -> (Result<Secure, Bogus>, usize, usize) {
    let runtime = runtime();
    let now = crate::clock::now();
    let zone = name("nsec3.test.");
    let (ksk, dnskeys, anchor) = apex(&zone, &[], now);
    let labels: Vec<String> = (0..18).map(|i| format!("l{i}")).collect();
    let qname = name(&format!("_25._tcp.{}.{zone}", labels.join(".")));
    let mut served = HashMap::new();
    served.insert((zone.to_string(), u16::from(Rtype::DNSKEY)), dnskeys);
    served.insert(
        (qname.to_string(), u16::from(Rtype::TLSA)),
        Canned {
            rcode: 3,
            answer: Vec::new(),
            authority: nsec3_denial(&zone, &ksk, iterations, now),
        },
    );
    let client = client(&runtime, served);
    let mut v = Validator::new(&client, anchor, now);
    let result = v.lookup(&qname, Rtype::TLSA);
    (result, v.work.hashes, v.work.verifications)
}

#[test]
fn nsec3_at_65535_iterations_is_insecure_without_hashing_anything() {
    let (result, hashes, verifications) = nsec3_lookup(65_535);
    match result {
        Ok(Secure::Insecure(why)) => {
            assert!(why.contains("65535 iterations"), "{why}");
            assert!(why.contains("RFC 9276"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(hashes, 0);
    // The records' signatures were still checked (RFC 9276 section 3.2): 20 and the DNSKEY.
    assert_eq!(verifications, 21);
}

#[test]
fn nsec3_with_a_salt_per_record_stops_at_the_hash_budget_and_says_it_could_not_check() {
    let (result, hashes, _) = nsec3_lookup(MAX_NSEC3_ITERATIONS);
    let err = result.unwrap_err();
    assert!(
        matches!(err, Bogus::TooMuchWork { .. }) && err.could_not_check(),
        "{err}"
    );
    assert!(err.to_string().contains("NSEC3 hashes"), "{err}");
    assert_eq!(hashes, MAX_NSEC3_HASHES);
}
