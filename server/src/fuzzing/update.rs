//! DNS UPDATE (RFC 2136) as a network peer sends it: through the TSIG-verified front
//! (`update::front`), then message parsing, prerequisites, grants and the update section
//! (`update::{message, prereq, grant, apply}`) against the signed test zones.
//!
//! The first octet of the input is a control octet, the rest the request. A peer's MAC
//! cannot be guessed by a fuzzer, so (as in the `tsig` target) the target signs the request
//! itself with the key the control octet picks, and then the front verifies it like any
//! other. This target stands in for the zone's control loop: it installs the inbox once,
//! takes the job the front hands over, decides it as the zone driver does, and lets the front
//! write the signed reply.
//!
//! What makes a result wrong, besides a panic:
//! - a refused update (any RCODE but NOERROR) leaves no change behind;
//! - an accepted one gives a zone that still passes `zones::check`, and changes only records
//!   that a grant of the signing key allows and that are never protected (SOA, apex NS,
//!   DNSKEY, RRSIG, NSEC*, CDS, CDNSKEY, managed TLSA), all inside the zone;
//! - a reply echoes the ID and opcode, has QR set, carries the decided RCODE and parses as
//!   DNS; a response (QR=1) is never answered.

mod seeds;

use std::sync::{Mutex, OnceLock};

use hickory_proto::op::Message;
use tokio::sync::mpsc::UnboundedReceiver;
use zones::{Name, Rtype, Zone};

pub use seeds::seeds;

use super::testzones::signed_zones;
use crate::answer::signed::unix_now;
use crate::net::tsig::ResponseSigner;
use crate::update::apply::{self, Records, Request, Rules};
use crate::update::grant::{self, NamePattern, UpdateGrant};
use crate::update::inbox::{self, UpdateJob};
use crate::update::message::{self, CLASS_IN, UpdateMessage};
use crate::update::{Rcode, front, prereq};

/// The key with the ACME grant: TXT at `_acme-challenge` names only.
const ACME_KEY: &str = "sec1";
/// The key with the broad grant, which also lists types nobody may change, so that only the
/// protection stops them.
const ADMIN_KEY: &str = "big";

/// The TLSA name daned manages in the test zone (its TLSA is never updatable).
const MANAGED: &str = "_25._tcp.mx1.example.com.";

/// Types the admin grant lists: data, and every type `grant::protected` must refuse anyway.
const ADMIN_TYPES: &[Rtype] = &[
    Rtype::A,
    Rtype::AAAA,
    Rtype::TXT,
    Rtype::MX,
    Rtype::CNAME,
    Rtype::NS,
    Rtype::DS,
    Rtype::TLSA,
    Rtype::SRV,
    Rtype::CAA,
    Rtype::PTR,
    Rtype::DNAME,
    Rtype::SOA,
    Rtype::DNSKEY,
    Rtype::RRSIG,
    Rtype::NSEC,
    Rtype::NSEC3,
    Rtype::NSEC3PARAM,
    Rtype::CDS,
    Rtype::CDNSKEY,
];

/// The `[[zone.update]]` grants of the test zones.
fn grants() -> &'static [UpdateGrant] {
    static GRANTS: OnceLock<Vec<UpdateGrant>> = OnceLock::new();
    GRANTS.get_or_init(|| {
        let patterns = |names: &[&str]| -> Vec<NamePattern> {
            names
                .iter()
                .filter_map(|n| Name::from_ascii(n).ok())
                .map(|n| NamePattern::new(&n))
                .collect()
        };
        vec![
            UpdateGrant {
                key: ACME_KEY.into(),
                names: patterns(&[
                    "_acme-challenge.example.com.",
                    "_acme-challenge.*.example.com.",
                    "_acme-challenge.example.net.",
                ]),
                types: vec![Rtype::TXT],
            },
            UpdateGrant {
                key: ADMIN_KEY.into(),
                names: patterns(&[
                    "example.com.",
                    "*.example.com.",
                    "*.*.example.com.",
                    "*.*.*.example.com.",
                    "*.*.*.*.example.com.",
                    "example.net.",
                    "*.example.net.",
                ]),
                types: ADMIN_TYPES.to_vec(),
            },
        ]
    })
}

/// The managed TLSA names.
fn managed() -> &'static [Name] {
    static MANAGED_NAMES: OnceLock<Vec<Name>> = OnceLock::new();
    MANAGED_NAMES.get_or_init(|| Name::from_ascii(MANAGED).into_iter().collect())
}

/// The inbox the front hands verified requests to; one per process, and runs take turns
/// (the seed replay test runs on several threads).
fn inbox() -> &'static Mutex<UnboundedReceiver<UpdateJob>> {
    static INBOX: OnceLock<Mutex<UnboundedReceiver<UpdateJob>>> = OnceLock::new();
    INBOX.get_or_init(|| Mutex::new(inbox::install()))
}

/// `data[0]`: bits 0–1 pick the signing key (sec1: ACME grant, big: admin grant,
/// legacy.key: no grant, 3: not signed, the request goes in as it is); the rest is the
/// request.
pub fn run(data: &[u8]) {
    let Some((&control, request)) = data.split_first() else {
        return;
    };
    let keys = super::tsig::keys();
    let mut packet = request.to_vec();
    let signer = match control & 3 {
        3 => None,
        i => keys.get(usize::from(i)),
    };
    if let Some(key) = signer
        && packet.len() >= 12
    {
        let id = u16::from_be_bytes([packet[0], packet[1]]);
        ResponseSigner::for_request(key, id, unix_now()).sign(&mut packet);
    }
    through_front(&packet);
    if signer.is_none() {
        // The front refuses an unsigned request; the pure path takes it as if verified.
        if let Ok(message) = message::parse(request) {
            decide(&message, ADMIN_KEY);
        }
    }
}

/// Sends `packet` through the front, answers the job it hands over, checks the reply.
fn through_front(packet: &[u8]) {
    let mut inbox = inbox().lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::with_capacity(1024);
    let decided = match front::prepare(packet, &mut out) {
        Some(pending) => {
            // Another inbox may have replaced ours (a daemon test in the same process):
            // then nobody answers, the front replies SERVFAIL.
            let rcode = inbox.try_recv().ok().map(|job| {
                let rcode = decide(&job.message, &job.key);
                // The front may have stopped waiting; nothing to check then.
                let _ = job.reply.send(rcode);
                rcode
            });
            if !pending.wait_blocking(&mut out) {
                out.clear();
            }
            Some(rcode.unwrap_or(Rcode::ServFail))
        }
        None => None,
    };
    check_reply(packet, decided, &out);
}

/// The invariants of a reply (empty `out`: nothing sent).
fn check_reply(request: &[u8], decided: Option<Rcode>, out: &[u8]) {
    if request.len() < 12 || request[2] & 0x80 != 0 {
        assert!(out.is_empty(), "a response or a runt was answered");
        return;
    }
    if out.is_empty() {
        assert!(decided.is_none(), "an update decided but not answered");
        return;
    }
    assert!(out.len() >= 12, "reply shorter than a header");
    assert_eq!(
        out[..2],
        request[..2],
        "reply ID differs from the request's"
    );
    assert!(out[2] & 0x80 != 0, "reply without QR");
    assert_eq!(out[2] & 0x78, request[2] & 0x78, "reply opcode differs");
    if let Some(rcode) = decided {
        assert_eq!(
            out[3] & 0x0f,
            rcode.code(),
            "reply RCODE is not the decided one"
        );
    }
    if let Err(e) = Message::from_vec(out) {
        panic!("reply does not parse: {e}: {out:02x?}");
    }
}

/// Decides `message` signed with `key` as the zone driver does, and checks the outcome.
fn decide(message: &UpdateMessage, key: &str) -> Rcode {
    let (rcode, change) = outcome(message, key);
    assert_eq!(
        rcode == Rcode::NoError,
        change.is_some(),
        "{rcode:?} with a change {change:?}"
    );
    if let Some((zone, records)) = change {
        check_change(zone, key, &records);
    }
    rcode
}

/// The RCODE of `message`, and with NOERROR the zone and the records changed.
fn outcome(message: &UpdateMessage, key: &str) -> (Rcode, Option<(&'static Zone, Records)>) {
    if message.zclass != CLASS_IN {
        return (Rcode::NotAuth, None);
    }
    let Some(zone) = signed_zones()
        .iter()
        .find(|z| z.origin.to_lowercase() == message.zone.to_lowercase())
    else {
        return (Rcode::NotAuth, None);
    };
    if let Err(rcode) = prereq::check(zone, message.zclass, &message.prereqs) {
        assert_ne!(rcode, Rcode::NoError, "a failed prerequisite with NOERROR");
        return (rcode, None);
    }
    let request = Request {
        zclass: message.zclass,
        updates: &message.updates,
        key,
    };
    let rules = Rules {
        grants: grants(),
        managed: managed(),
    };
    match apply::apply(zone, &request, &rules) {
        Ok(records) => (Rcode::NoError, Some((&**zone, records))),
        Err(refusal) => {
            assert!(
                matches!(
                    refusal.rcode,
                    Rcode::FormErr | Rcode::NotZone | Rcode::Refused
                ),
                "update section refused with {:?}",
                refusal.rcode
            );
            (refusal.rcode, None)
        }
    }
}

/// An accepted change: only granted, unprotected records inside the zone; the removed ones
/// were there; the zone they make passes the checks.
fn check_change(zone: &Zone, key: &str, records: &Records) {
    for r in records.removed.iter().chain(&records.added) {
        let owner = r.owner.to_lowercase();
        assert!(
            zone.origin.zone_of(&owner),
            "a record outside the zone: {r:?}"
        );
        assert_eq!(
            grant::protected(&zone.origin, managed(), &owner, r.rtype),
            None,
            "a protected record changed: {r:?}"
        );
        assert!(
            grant::allowed(grants(), key, &owner, r.rtype),
            "{key} changed a record no grant allows: {r:?}"
        );
    }
    let mut next = zone.clone();
    for r in &records.removed {
        assert!(
            next.remove_record(r),
            "removed a record the zone did not hold: {r:?}"
        );
    }
    for r in &records.added {
        next.insert(r.clone());
    }
    if let Err(e) = zones::check::check(&next, None) {
        panic!("an accepted update leaves a zone that fails the checks: {e}\n{records:?}");
    }
}

#[cfg(test)]
mod tests;
