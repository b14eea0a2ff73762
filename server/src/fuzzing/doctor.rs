//! The doctor's response parsing and validation: a response from a resolver or name server
//! anyone may run, through [`crate::doctor::dns::parse_response`] into RRsets, then the
//! checks the validator makes on them: RRSIG fields and signatures against the DNSKEYs and DS
//! records present, the NSEC/NSEC3 denial proofs, CNAME targets, and TLSA matching.

use hickory_proto::op::Message;
use signer::Dnskey;
use signer::ds::{DigestType, ds_rdata};
use signer::rrsig::{RrsigFields, verify_rrsig};
use zones::{Rrset, Rtype};

use super::testzones::{QUESTIONS, catalog, query};
use crate::answer::{Outcome, Settings, Transport, respond_with};
use crate::doctor::denial::{self, Claim};
use crate::doctor::dns::{Answer, parse_response};
use crate::doctor::tlsa_match;

/// At most this many signature checks per response, as the validator bounds its own work
/// against KeyTrap-style answers: the target is about parsing, not about spending CPU.
const MAX_VERIFY: usize = 16;

/// Parses `data` as the response to its own question and checks it as the doctor would.
pub fn run(data: &[u8]) {
    // The question the doctor would have asked: the one the response claims to answer.
    let Ok(msg) = Message::from_vec(data) else {
        return;
    };
    let Some(q) = msg.queries.first() else {
        return;
    };
    let (qname, qtype) = (q.name().clone(), q.query_type());
    let Some(answer) = parse_response(data, &qname, qtype) else {
        return;
    };
    let keys: Vec<Dnskey> = answer
        .answer
        .iter()
        .filter(|s| s.rtype == Rtype::DNSKEY)
        .flat_map(|s| s.rdatas.iter())
        .filter_map(|r| Dnskey::from_wire(r.as_bytes()).ok())
        .collect();
    let mut budget = MAX_VERIFY;
    for section in [&answer.answer, &answer.authority] {
        for set in section.iter().filter(|s| s.rtype != Rtype::RRSIG) {
            for sig in Answer::rrsigs(section, &set.owner, set.rtype) {
                check_signature(set, sig, &keys, &mut budget);
            }
        }
    }
    for set in &answer.answer {
        match set.rtype {
            Rtype::DS => {
                for key in &keys {
                    for digest in [DigestType::Sha1, DigestType::Sha256, DigestType::Sha384] {
                        let _ = ds_rdata(&set.owner.to_lowercase(), key, digest);
                    }
                }
            }
            Rtype::CNAME => {
                for r in &set.rdatas {
                    let _ = crate::doctor::name_from_wire(r.as_bytes());
                }
            }
            Rtype::TLSA => {
                let records: Vec<Vec<u8>> =
                    set.rdatas.iter().map(|r| r.as_bytes().to_vec()).collect();
                let _ = tlsa_match::check(&records, &[], "mx.example.com", 1_780_000_000);
            }
            _ => {}
        }
    }
    let proofs: Vec<&Rrset> = answer
        .authority
        .iter()
        .filter(|s| s.rtype == Rtype::NSEC || s.rtype == Rtype::NSEC3)
        .collect();
    if !proofs.is_empty() {
        for claim in [Claim::NoData, Claim::NxDomain] {
            let _ = denial::check(&qname, qtype, claim, &proofs);
        }
    }
}

/// One RRSIG over `set`, parsed and checked against the keys with its tag and algorithm.
fn check_signature(set: &Rrset, sig: &[u8], keys: &[Dnskey], budget: &mut usize) {
    let Ok((fields, _)) = RrsigFields::from_wire(sig) else {
        return;
    };
    let _: bool = fields.signer.zone_of(&set.owner);
    for key in keys
        .iter()
        .filter(|k| k.key_tag() == fields.key_tag && k.algorithm.0 == fields.algorithm)
    {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let _ = verify_rrsig(set, sig, key);
    }
}

/// Real signed responses: the answers the signed test zones give to the questions of every
/// shape, with DO set (positive answers with RRSIGs, NSEC and NSEC3 denials, DNSKEY and DS
/// RRsets, referrals), as a resolver with CD set passes them on.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    let mut out = Vec::with_capacity(4096);
    for (i, (name, qtype)) in QUESTIONS.iter().enumerate() {
        let q = query(i as u16, name, *qtype, Some(true));
        if respond_with(
            catalog(),
            &q,
            Transport::Tcp,
            &Settings::default(),
            &mut out,
        ) == Outcome::Reply
        {
            seeds.push(out.clone());
        }
    }
    seeds
}
