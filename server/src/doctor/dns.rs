//! The doctor's questions: one question to a recursive resolver (or an authoritative server)
//! with DO and CD set, so that the RRSIGs come back and bogus data is returned rather than
//! hidden behind SERVFAIL; the doctor validates it itself ([`super::validate`]).
//!
//! The exchange (UDP, TCP when truncated, the timeout, matching the response to the question)
//! is [`crate::net::client`]'s. This module picks the resolver, builds the doctor's query and
//! turns the response into RRsets, with record data re-encoded with every name uncompressed so
//! that the RRsets can be checked against their signatures in canonical form.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType};
use hickory_proto::rr::{RData, Record};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder, NameEncoding};
use zones::{Class, Name, Rdata, Rrset, Rtype, Ttl};

use crate::net::client::{self, ClientError, Request};

/// The UDP payload size the doctor announces (the DNS flag day 2020 value).
const UDP_PAYLOAD: u16 = 1232;

//------------ DnsError ------------------------------------------------------

/// Why a question got no usable answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// The resolver could not be asked: timeout, socket error, a response that does not parse
    /// or does not answer the question.
    #[error("{server}: {error}")]
    Query {
        /// The server asked.
        server: SocketAddr,
        /// What went wrong.
        error: ClientError,
    },
    /// The response's record data could not be re-encoded (RFC 1035 section 4.1).
    #[error("malformed response from {0}")]
    Malformed(SocketAddr),
    /// The doctor's deadline passed before the question could be asked.
    #[error("not asked: the doctor's deadline passed")]
    Deadline,
    /// No resolver is configured (no --resolver and no nameserver in /etc/resolv.conf).
    #[error("no resolver: give --resolver ADDR:PORT or a nameserver in /etc/resolv.conf")]
    NoResolver,
}

//------------ Answer --------------------------------------------------------

/// A parsed response.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    /// The response code (RFC 1035: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN).
    pub rcode: u8,
    /// The answer section's RRsets (RRSIGs in their own RRsets, by owner and covered type).
    pub answer: Vec<Rrset>,
    /// The authority section's RRsets.
    pub authority: Vec<Rrset>,
}

impl Answer {
    /// The answer RRset of `rtype` at `owner`.
    pub fn rrset(&self, owner: &Name, rtype: Rtype) -> Option<&Rrset> {
        self.answer
            .iter()
            .find(|s| s.rtype == rtype && s.owner == *owner)
    }

    /// The RRSIG records covering `rtype` at `owner` in `section`.
    pub fn rrsigs<'a>(section: &'a [Rrset], owner: &Name, rtype: Rtype) -> Vec<&'a [u8]> {
        section
            .iter()
            .filter(|s| s.rtype == Rtype::RRSIG && s.owner == *owner)
            .flat_map(|s| s.rdatas.iter())
            .map(|r| r.as_bytes())
            .filter(|r| r.len() >= 2 && u16::from_be_bytes([r[0], r[1]]) == u16::from(rtype))
            .collect()
    }
}

//------------ Client --------------------------------------------------------

/// Asks one server, on the doctor's runtime (the doctor itself is synchronous).
#[derive(Debug)]
pub struct Client<'r> {
    /// The server.
    pub server: SocketAddr,
    /// The bound of one question, as a whole.
    timeout: Duration,
    /// When the doctor as a whole must stop asking; a question gets at most what is left.
    deadline: Option<std::time::Instant>,
    /// The runtime the exchanges run on.
    runtime: &'r tokio::runtime::Runtime,
}

impl<'r> Client<'r> {
    /// A client of `server`, or of the first nameserver in /etc/resolv.conf, whose questions
    /// each take at most `timeout`, run on `runtime`.
    pub fn new(
        server: Option<SocketAddr>,
        timeout: Duration,
        runtime: &'r tokio::runtime::Runtime,
    ) -> Result<Self, DnsError> {
        let server = match server {
            Some(s) => s,
            None => system_resolver().ok_or(DnsError::NoResolver)?,
        };
        Ok(Self {
            server,
            timeout,
            deadline: None,
            runtime,
        })
    }

    /// Asks nothing after `deadline`, and shortens the last questions' timeout to it.
    pub fn with_deadline(mut self, deadline: std::time::Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Asks `name` `rtype` IN, with RD, DO and CD.
    pub fn query(&self, name: &Name, rtype: Rtype) -> Result<Answer, DnsError> {
        let timeout = match self.deadline {
            None => self.timeout,
            Some(d) => match d.saturating_duration_since(std::time::Instant::now()) {
                left if left.is_zero() => return Err(DnsError::Deadline),
                left => self.timeout.min(left),
            },
        };
        let client = client::Client::new(self.server, timeout);
        let response = self
            .runtime
            .block_on(client.ask(&request(name, rtype)))
            .map_err(|error| DnsError::Query {
                server: self.server,
                error,
            })?;
        answer_of(&response.message).ok_or(DnsError::Malformed(self.server))
    }
}

/// The first nameserver of /etc/resolv.conf, port 53.
fn system_resolver() -> Option<SocketAddr> {
    let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    text.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        (w.next()? == "nameserver")
            .then(|| w.next())
            .flatten()
            .and_then(|a| a.parse::<std::net::IpAddr>().ok())
            .map(|ip| SocketAddr::new(ip, 53))
    })
}

/// The doctor's question: RD and CD set, EDNS(0) with DO and a 1232-octet buffer, no options.
fn request(name: &Name, rtype: Rtype) -> Request {
    Request::query(name, rtype)
        .with_recursion_desired()
        .with_checking_disabled()
        .with_dnssec_ok(UDP_PAYLOAD)
}

/// The doctor's question in wire form with message ID `id`.
#[cfg(test)]
pub(crate) fn build_query(id: u16, name: &Name, rtype: Rtype) -> Result<Vec<u8>, ClientError> {
    request(name, rtype).to_wire(id)
}

//------------ Parsing -------------------------------------------------------

/// Parses a response to `qname` `qtype`; `None` when malformed or for another question.
pub fn parse_response(msg: &[u8], qname: &Name, qtype: Rtype) -> Option<Answer> {
    let msg = Message::from_vec(msg).ok()?;
    if msg.metadata.message_type != MessageType::Response {
        return None;
    }
    match msg.queries.as_slice() {
        [q] if q.name() == qname && q.query_type() == qtype => {}
        _ => return None,
    }
    answer_of(&msg)
}

/// The RCODE and the answer and authority RRsets of a response; `None` when a record's data
/// cannot be re-encoded.
fn answer_of(msg: &Message) -> Option<Answer> {
    Some(Answer {
        // The header's RCODE (the low four bits; EDNS extends it above 15).
        rcode: (u16::from(msg.metadata.response_code) & 0x0f) as u8,
        answer: rrsets(&msg.answers)?,
        authority: rrsets(&msg.authorities)?,
    })
}

/// The class IN records of a section as RRsets; RRSIGs are grouped by owner and covered
/// type, everything else by owner and type.
fn rrsets(records: &[Record]) -> Option<Vec<Rrset>> {
    let mut sets: Vec<Rrset> = Vec::new();
    for record in records.iter().filter(|r| r.dns_class == Class::IN) {
        let rtype = record.record_type();
        let rdata = rdata_wire(&record.data)?;
        let covered = |r: &[u8]| {
            (rtype == Rtype::RRSIG && r.len() >= 2).then(|| u16::from_be_bytes([r[0], r[1]]))
        };
        let cov = covered(&rdata);
        let found = sets.iter_mut().find(|s| {
            s.rtype == rtype
                && s.owner == record.name
                && s.rdatas.first().map(|r| covered(r.as_bytes())) == Some(cov)
        });
        match found {
            Some(set) => {
                set.insert(Rdata::from(rdata));
            }
            None => {
                let mut set = Rrset::new(record.name.clone(), rtype, Class::IN, Ttl(record.ttl));
                set.insert(Rdata::from(rdata));
                sets.push(set);
            }
        }
    }
    Some(sets)
}

/// Record data in uncompressed wire form (RFC 3597 section 4), the case of names inside as
/// sent, unknown types as sent.
fn rdata_wire(data: &RData) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = BinEncoder::new(&mut out);
    encoder.set_name_encoding(NameEncoding::Uncompressed);
    data.emit(&mut encoder).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The uncompressed wire form of `name`.
    fn wire(name: &str) -> Vec<u8> {
        Name::from_ascii(name).unwrap().to_bytes().unwrap()
    }

    /// A response to `example.test.` `qtype` with id 1, its answer records given as
    /// (owner wire, type, rdata wire) and written as given (so they may hold pointers).
    fn response(qtype: u16, answers: &[(Vec<u8>, u16, Vec<u8>)]) -> Vec<u8> {
        let mut msg = vec![0, 1, 0x81, 0x80, 0, 1, 0, answers.len() as u8, 0, 0, 0, 0];
        msg.extend(wire("example.test."));
        msg.extend_from_slice(&qtype.to_be_bytes());
        msg.extend_from_slice(&[0, 1]);
        for (owner, rtype, rdata) in answers {
            msg.extend_from_slice(owner);
            msg.extend_from_slice(&rtype.to_be_bytes());
            msg.extend_from_slice(&[0, 1, 0, 0, 0, 30]);
            msg.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            msg.extend_from_slice(rdata);
        }
        msg
    }

    fn qname() -> Name {
        Name::from_ascii("example.test.").unwrap()
    }

    #[test]
    fn the_query_has_rd_cd_and_an_opt_with_do_and_1232_octets() {
        let q = build_query(0x1234, &qname(), Rtype::TLSA).unwrap();
        let mut want = vec![0x12, 0x34, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 1];
        want.extend(wire("example.test."));
        want.extend_from_slice(&[0, 52, 0, 1]);
        want.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]);
        assert_eq!(q, want);
    }

    #[test]
    fn a_compressed_mx_answer_is_decompressed_inside_the_rdata() {
        // MX 10 mx.<pointer to the question name>
        let rdata = vec![0, 10, 2, b'm', b'x', 0xc0, 12];
        let msg = response(15, &[(vec![0xc0, 12], 15, rdata)]);
        let a = parse_response(&msg, &qname(), Rtype::MX).unwrap();
        let set = a.rrset(&qname(), Rtype::MX).unwrap();
        let mut want = vec![0, 10];
        want.extend(wire("mx.example.test."));
        assert_eq!(set.rdatas[0].as_bytes(), &want[..]);
        assert_eq!(a.rcode, 0);
        assert_eq!(set.ttl, Ttl(30));
    }

    #[test]
    fn record_data_comes_out_as_sent_but_uncompressed() {
        let mut soa_sent = vec![2, b'N', b'S', 0xc0, 12, 0xc0, 12];
        let serials = [0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4];
        soa_sent.extend_from_slice(&serials);
        let mut soa_want = wire("NS.example.test.");
        soa_want.extend(wire("example.test."));
        soa_want.extend_from_slice(&serials);
        // RRSIG over the SOA, signer name in capitals (kept: lowercasing is the verifier's).
        let mut rrsig = vec![
            0, 6, 13, 2, 0, 0, 0, 30, 0x70, 0, 0, 0, 0x60, 0, 0, 0, 0x12, 0x34,
        ];
        rrsig.extend(wire("EXAMPLE.test."));
        rrsig.extend_from_slice(&[0xaa; 64]);
        // NSEC next name and bitmap (A, MX, RRSIG, NSEC, TLSA) as sent.
        let mut nsec = wire("A.example.test.");
        nsec.extend_from_slice(&[0, 7, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x08]);
        let tlsa = vec![3, 1, 1, 0xde, 0xad, 0xbe, 0xef];
        let dnskey = vec![1, 0, 3, 13, 1, 2, 3, 4];
        let txt = vec![3, b'a', b'b', b'c', 0];
        // An unknown type holding what looks like a pointer: opaque, never decompressed.
        let unknown = vec![0xc0, 12, 0, 0xff];
        let msg = response(
            6,
            &[
                (vec![0xc0, 12], 6, soa_sent),
                (vec![0xc0, 12], 46, rrsig.clone()),
                (vec![0xc0, 12], 47, nsec.clone()),
                (vec![0xc0, 12], 52, tlsa.clone()),
                (vec![0xc0, 12], 48, dnskey.clone()),
                (vec![0xc0, 12], 16, txt.clone()),
                (vec![0xc0, 12], 65280, unknown.clone()),
            ],
        );
        let a = parse_response(&msg, &qname(), Rtype::SOA).unwrap();
        let one = |t: Rtype| a.rrset(&qname(), t).unwrap().rdatas[0].as_bytes().to_vec();
        assert_eq!(one(Rtype::SOA), soa_want);
        assert_eq!(one(Rtype::NSEC), nsec);
        assert_eq!(one(Rtype::TLSA), tlsa);
        assert_eq!(one(Rtype::DNSKEY), dnskey);
        assert_eq!(one(Rtype::TXT), txt);
        assert_eq!(one(Rtype::Unknown(65280)), unknown);
        assert_eq!(
            Answer::rrsigs(&a.answer, &qname(), Rtype::SOA),
            vec![&rrsig[..]]
        );
    }

    #[test]
    fn rrsigs_are_grouped_by_covered_type() {
        let sig = |covered: u16| {
            let mut r = covered.to_be_bytes().to_vec();
            r.extend_from_slice(&[13, 2, 0, 0, 0, 30, 0x70, 0, 0, 0, 0x60, 0, 0, 0, 0, 1]);
            r.extend(wire("example.test."));
            r.extend_from_slice(&[0x55; 64]);
            r
        };
        let msg = response(
            15,
            &[(vec![0xc0, 12], 46, sig(15)), (vec![0xc0, 12], 46, sig(1))],
        );
        let a = parse_response(&msg, &qname(), Rtype::MX).unwrap();
        assert_eq!(a.answer.len(), 2);
        assert_eq!(
            Answer::rrsigs(&a.answer, &qname(), Rtype::MX),
            vec![&sig(15)[..]]
        );
        assert_eq!(
            Answer::rrsigs(&a.answer, &qname(), Rtype::A),
            vec![&sig(1)[..]]
        );
    }

    #[test]
    fn a_response_to_another_question_or_a_query_is_rejected() {
        let msg = response(15, &[]);
        assert!(parse_response(&msg, &qname(), Rtype::MX).is_some());
        assert!(parse_response(&msg, &qname(), Rtype::A).is_none());
        let other = Name::from_ascii("other.test.").unwrap();
        assert!(parse_response(&msg, &other, Rtype::MX).is_none());
        let mut query = msg.clone();
        query[2] &= 0x7f;
        assert!(parse_response(&query, &qname(), Rtype::MX).is_none());
    }

    #[test]
    fn a_pointer_loop_is_malformed_not_a_hang() {
        let mut msg = response(15, &[]);
        msg[7] = 1;
        let here = msg.len() as u8;
        msg.extend_from_slice(&[0xc0, here]);
        assert!(parse_response(&msg, &qname(), Rtype::MX).is_none());
        // A pointer loop inside record data too.
        let mut msg = response(15, &[(vec![0xc0, 12], 15, vec![0, 10, 0xc0, 0])]);
        let at = msg.len() - 2;
        msg[at + 1] = at as u8;
        assert!(parse_response(&msg, &qname(), Rtype::MX).is_none());
    }

    #[test]
    fn cut_or_corrupted_responses_are_malformed_not_a_panic() {
        let rdata = vec![0, 10, 2, b'm', b'x', 0xc0, 12];
        let msg = response(15, &[(vec![0xc0, 12], 15, rdata)]);
        for len in 0..msg.len() {
            assert!(parse_response(&msg[..len], &qname(), Rtype::MX).is_none());
        }
        for i in 0..msg.len() {
            for b in [0x00, 0x3f, 0x40, 0xc0, 0xff] {
                let mut bad = msg.clone();
                bad[i] = b;
                let _ = parse_response(&bad, &qname(), Rtype::MX);
            }
        }
    }
}
