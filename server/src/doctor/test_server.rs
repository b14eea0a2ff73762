//! A DNS server written for the doctor's tests: canned replies by (name, type), large ones
//! truncated over UDP and sent whole over TCP, and helpers that sign what it serves.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use hickory_proto::op::Message;
use hickory_proto::serialize::binary::BinEncodable;
use signer::rrsig::sign_rrset;
use signer::{Algorithm, RingSigningKey, SigningKey, Timestamp, ValidityWindow};
use zones::{Class, Name, Rdata, Rrset, Rtype, Ttl};

use super::validate::TrustAnchor;
use crate::net::test_responder::{TcpHandler, UdpHandler, framed, serve};

/// A multi-thread runtime with one worker, for the server's tasks.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// One canned reply: RCODE, answer and authority records (owner, type, rdata).
#[derive(Clone, Default)]
pub(crate) struct Canned {
    /// RCODE.
    pub rcode: u8,
    /// Answer records.
    pub answer: Vec<(Name, Rtype, Vec<u8>)>,
    /// Authority records.
    pub authority: Vec<(Name, Rtype, Vec<u8>)>,
}

/// A record's owner: a pointer to the question when it is the question's name (so that
/// 1,200 keys fit one TCP message), else uncompressed.
fn owner_wire(owner: &Name, qname: &Name) -> Vec<u8> {
    if owner.to_lowercase() == qname.to_lowercase() {
        vec![0xc0, 12]
    } else {
        owner.to_bytes().unwrap()
    }
}

/// The response to `query` from `zone`'s canned replies (NXDOMAIN-free REFUSED otherwise).
fn respond(query: &[u8], zone: &HashMap<(String, u16), Canned>, udp: bool) -> Vec<u8> {
    let q = Message::from_vec(query).unwrap();
    let question = &q.queries[0];
    let qname = question.name().clone();
    let qtype = u16::from(question.query_type());
    let key = (qname.to_lowercase().to_string(), qtype);
    let canned = zone.get(&key).cloned().unwrap_or(Canned {
        rcode: 5,
        ..Canned::default()
    });
    let mut msg = q.metadata.id.to_be_bytes().to_vec();
    msg.extend_from_slice(&[0x84, canned.rcode, 0, 1]);
    let counts = [canned.answer.len() as u16, canned.authority.len() as u16, 0];
    counts
        .iter()
        .for_each(|c| msg.extend_from_slice(&c.to_be_bytes()));
    msg.extend(qname.to_bytes().unwrap());
    msg.extend_from_slice(&qtype.to_be_bytes());
    msg.extend_from_slice(&[0, 1]);
    let question_end = msg.len();
    for (owner, rtype, rdata) in canned.answer.iter().chain(&canned.authority) {
        msg.extend(owner_wire(owner, &qname));
        msg.extend_from_slice(&u16::from(*rtype).to_be_bytes());
        msg.extend_from_slice(&[0, 1, 0, 0, 1, 44]);
        msg.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        msg.extend_from_slice(rdata);
    }
    assert!(
        msg.len() <= 65_535,
        "the test's reply does not fit a message"
    );
    if udp && msg.len() > 1232 {
        // TC: header and question only, counts zero.
        msg.truncate(question_end);
        msg[2] |= 0x02;
        msg[6..12].fill(0);
    }
    msg
}

/// A server for `zone` on loopback, on `runtime`: its address.
pub(crate) fn server(
    runtime: &tokio::runtime::Runtime,
    zone: HashMap<(String, u16), Canned>,
) -> SocketAddr {
    let zone = Arc::new(zone);
    let z = zone.clone();
    let udp: UdpHandler = Arc::new(move |q| vec![respond(q, &z, true)]);
    let tcp: TcpHandler = Arc::new(move |q| framed(&respond(q, &zone, false)));
    runtime.block_on(serve(udp, tcp, None))
}

pub(crate) fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

/// A signed RRset's records: the set and one RRSIG by `key` (flags `flags`).
pub(crate) fn signed(
    set: &Rrset,
    zone: &Name,
    key: &RingSigningKey,
    now: Timestamp,
) -> Vec<(Name, Rtype, Vec<u8>)> {
    let window = ValidityWindow::around(now, 3600, 7 * 86_400);
    let sig = sign_rrset(set, zone, key, 257, window).unwrap();
    let mut out: Vec<_> = set
        .rdatas
        .iter()
        .map(|r| (set.owner.clone(), set.rtype, r.as_bytes().to_vec()))
        .collect();
    out.push((set.owner.clone(), Rtype::RRSIG, sig.as_bytes().to_vec()));
    out
}

pub(crate) fn rrset(owner: &Name, rtype: Rtype, rdatas: &[Vec<u8>]) -> Rrset {
    let mut set = Rrset::new(owner.clone(), rtype, Class::IN, Ttl(300));
    for r in rdatas {
        set.insert(Rdata::from(r.clone()));
    }
    set
}

/// The zone's KSK, its DNSKEY RRset (the KSK and `extra`), signed, and the anchor.
pub(crate) fn apex(
    zone: &Name,
    extra: &[Vec<u8>],
    now: Timestamp,
) -> (RingSigningKey, Canned, TrustAnchor) {
    let ksk = RingSigningKey::generate(Algorithm(15)).unwrap();
    let mut keys = vec![ksk.dnskey(257).to_wire()];
    keys.extend_from_slice(extra);
    let set = rrset(zone, Rtype::DNSKEY, &keys);
    let canned = Canned {
        answer: signed(&set, zone, &ksk, now),
        ..Canned::default()
    };
    let anchor = TrustAnchor {
        owner: zone.clone(),
        ds: Vec::new(),
        dnskeys: vec![ksk.dnskey(257).to_wire()],
    };
    (ksk, canned, anchor)
}
