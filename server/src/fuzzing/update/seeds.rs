//! Seeds of the `update` target: real UPDATE messages, written octet by octet as a client
//! (nsupdate, an ACME client) sends them: adds and deletes of TXT records, each of the five
//! prerequisite forms, the other delete forms, and the requests the grants and protections
//! must refuse. Each goes in with every control octet (each key, and unsigned).

use crate::fuzzing::testzones::wire;
use crate::update::message::{CLASS_ANY, CLASS_IN, CLASS_NONE};

/// One record of the prerequisite or update section.
struct Rr<'a> {
    /// Owner, dotted.
    owner: &'a str,
    /// Type.
    rtype: u16,
    /// Class (IN, ANY or NONE).
    class: u16,
    /// TTL.
    ttl: u32,
    /// Wire rdata.
    rdata: Vec<u8>,
}

/// Type codes used below.
mod t {
    pub const A: u16 = 1;
    pub const NS: u16 = 2;
    pub const CNAME: u16 = 5;
    pub const SOA: u16 = 6;
    pub const MX: u16 = 15;
    pub const TXT: u16 = 16;
    pub const DS: u16 = 43;
    pub const RRSIG: u16 = 46;
    pub const NSEC: u16 = 47;
    pub const DNSKEY: u16 = 48;
    pub const NSEC3PARAM: u16 = 51;
    pub const TLSA: u16 = 52;
    pub const DNAME: u16 = 39;
    pub const ANY: u16 = 255;
}

/// A record with data (class IN, TTL 300).
fn add<'a>(owner: &'a str, rtype: u16, rdata: Vec<u8>) -> Rr<'a> {
    Rr {
        owner,
        rtype,
        class: CLASS_IN,
        ttl: 300,
        rdata,
    }
}

/// A data-less record of `class` (ANY or NONE; TTL 0).
fn empty(owner: &str, rtype: u16, class: u16) -> Rr<'_> {
    Rr {
        owner,
        rtype,
        class,
        ttl: 0,
        rdata: Vec::new(),
    }
}

/// A record of class NONE with data (delete one record).
fn delete_one(owner: &str, rtype: u16, rdata: Vec<u8>) -> Rr<'_> {
    Rr {
        owner,
        rtype,
        class: CLASS_NONE,
        ttl: 0,
        rdata,
    }
}

/// TXT rdata of one string.
fn txt(text: &str) -> Vec<u8> {
    let mut out = vec![text.len() as u8];
    out.extend_from_slice(text.as_bytes());
    out
}

/// The UPDATE message for `zone` with `prereqs` and `updates` (no TSIG: the target signs).
fn message(id: u16, zone: &str, prereqs: &[Rr<'_>], updates: &[Rr<'_>]) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[5 << 3, 0, 0, 1]);
    m.extend_from_slice(&(prereqs.len() as u16).to_be_bytes());
    m.extend_from_slice(&(updates.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0]);
    m.extend(wire(zone));
    m.extend_from_slice(&[0, 6, 0, 1]);
    for rr in prereqs.iter().chain(updates) {
        m.extend(wire(rr.owner));
        m.extend_from_slice(&rr.rtype.to_be_bytes());
        m.extend_from_slice(&rr.class.to_be_bytes());
        m.extend_from_slice(&rr.ttl.to_be_bytes());
        m.extend_from_slice(&(rr.rdata.len() as u16).to_be_bytes());
        m.extend_from_slice(&rr.rdata);
    }
    m
}

/// The requests, before the control octet.
fn requests() -> Vec<Vec<u8>> {
    let acme = "_acme-challenge.example.com.";
    let acme_mx = "_acme-challenge.mx1.example.com.";
    let zone = "example.com.";
    let token = || txt("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0");
    let spf = txt("v=spf1 mx -all");
    let a = vec![192, 0, 2, 7];
    let mut mx = vec![0, 20];
    mx.extend(wire("mx1.example.com."));
    let ds = {
        let mut d = vec![0x30, 0x39, 13, 2];
        d.extend_from_slice(&[0x0c; 32]);
        d
    };
    vec![
        // The ACME client's add, then its delete of the RRset and of one record.
        message(1, zone, &[], &[add(acme, t::TXT, token())]),
        message(2, zone, &[], &[add(acme_mx, t::TXT, token())]),
        message(3, zone, &[], &[empty(acme_mx, t::TXT, CLASS_ANY)]),
        message(4, zone, &[], &[delete_one(acme, t::TXT, token())]),
        message(
            5,
            zone,
            &[],
            &[delete_one(
                "_dmarc.example.com.",
                t::TXT,
                txt("v=DMARC1; p=reject"),
            )],
        ),
        // The five prerequisite forms, each with a TXT add.
        message(
            6,
            zone,
            &[empty("mx1.example.com.", t::ANY, CLASS_ANY)],
            &[add(acme_mx, t::TXT, token())],
        ),
        message(
            7,
            zone,
            &[empty("mx1.example.com.", t::A, CLASS_ANY)],
            &[add(acme_mx, t::TXT, token())],
        ),
        message(
            8,
            zone,
            &[empty("new.example.com.", t::ANY, CLASS_NONE)],
            &[add("new.example.com.", t::TXT, token())],
        ),
        message(
            9,
            zone,
            &[empty(acme, t::TXT, CLASS_NONE)],
            &[add(acme, t::TXT, token())],
        ),
        message(
            10,
            zone,
            &[Rr {
                ttl: 0,
                ..add(zone, t::TXT, spf.clone())
            }],
            &[add(zone, t::TXT, txt("v=spf1 -all"))],
        ),
        // The prerequisites failing: NXDOMAIN, NXRRSET, YXDOMAIN, YXRRSET, a value differing.
        message(
            11,
            zone,
            &[empty("nx.example.com.", t::ANY, CLASS_ANY)],
            &[],
        ),
        message(
            12,
            zone,
            &[empty("www.example.com.", t::MX, CLASS_ANY)],
            &[],
        ),
        message(
            13,
            zone,
            &[empty("www.example.com.", t::ANY, CLASS_NONE)],
            &[],
        ),
        message(14, zone, &[empty(zone, t::TXT, CLASS_NONE)], &[]),
        message(
            15,
            zone,
            &[Rr {
                ttl: 0,
                ..add(zone, t::TXT, txt("other"))
            }],
            &[],
        ),
        // Other deletes and adds: a whole name, the apex's every RRset, an A, an MX, a CNAME,
        // a DS at the delegation, a DNAME.
        message(
            16,
            zone,
            &[],
            &[empty("www.example.com.", t::ANY, CLASS_ANY)],
        ),
        message(17, zone, &[], &[empty(zone, t::ANY, CLASS_ANY)]),
        message(
            18,
            zone,
            &[],
            &[
                add("host.example.com.", t::A, a.clone()),
                add(zone, t::MX, mx),
            ],
        ),
        message(
            19,
            zone,
            &[],
            &[add("new.example.com.", t::CNAME, wire("www.example.com."))],
        ),
        message(20, zone, &[], &[add("insecure.example.com.", t::DS, ds)]),
        message(
            21,
            zone,
            &[],
            &[add("b.c.example.com.", t::DNAME, wire("example.net."))],
        ),
        message(22, zone, &[], &[add("alias.example.com.", t::A, a.clone())]),
        // What no grant may change: SOA, apex NS, DNSKEY, RRSIG, NSEC, NSEC3PARAM, the
        // managed TLSA, and a new delegation.
        message(23, zone, &[], &[empty(zone, t::SOA, CLASS_ANY)]),
        message(24, zone, &[], &[add(zone, t::NS, wire("ns2.example.com."))]),
        message(25, zone, &[], &[empty(zone, t::DNSKEY, CLASS_ANY)]),
        message(26, zone, &[], &[empty(zone, t::RRSIG, CLASS_ANY)]),
        message(27, zone, &[], &[empty(zone, t::NSEC3PARAM, CLASS_ANY)]),
        message(
            28,
            zone,
            &[],
            &[empty("_25._tcp.mx1.example.com.", t::TLSA, CLASS_ANY)],
        ),
        message(
            29,
            zone,
            &[],
            &[add("sub.example.com.", t::NS, wire("ns.sub.example.com."))],
        ),
        // Malformed or outside: a name out of the zone, a zone not served, NSEC in the net
        // zone, a TTL on a delete.
        message(
            30,
            zone,
            &[],
            &[add("_acme-challenge.example.org.", t::TXT, token())],
        ),
        message(31, "example.org.", &[], &[add(acme, t::TXT, token())]),
        message(
            32,
            "example.net.",
            &[],
            &[empty("example.net.", t::NSEC, CLASS_ANY)],
        ),
        message(
            33,
            zone,
            &[],
            &[Rr {
                ttl: 5,
                ..empty(acme, t::TXT, CLASS_ANY)
            }],
        ),
    ]
}

/// Every request with every control octet.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for request in requests() {
        for control in 0..4u8 {
            let mut seed = vec![control];
            seed.extend_from_slice(&request);
            seeds.push(seed);
        }
    }
    seeds
}

/// The requests without control octets, for the unit tests.
#[cfg(test)]
pub(super) fn requests_for_tests() -> Vec<Vec<u8>> {
    requests()
}
