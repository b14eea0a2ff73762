//! The doctor's DNS client: one question to a recursive resolver (or an authoritative
//! server) with DO and CD set, so that the RRSIGs come back and bogus data is returned rather
//! than hidden behind SERVFAIL; the doctor validates it itself ([`super::validate`]).
//!
//! UDP first, TCP when the answer is truncated (RFC 7766). Responses are parsed here with
//! every name decompressed, in record data too, so that the RRsets can be checked against
//! their signatures in canonical form.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use zones::{Class, Name, Rdata, Rrset, Rtype, Ttl};

//------------ DnsError ------------------------------------------------------

/// Why a question got no usable answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// The socket failed or timed out.
    #[error("{server}: {error}")]
    Io {
        /// The server asked.
        server: SocketAddr,
        /// The error.
        error: std::io::Error,
    },
    /// The response could not be parsed (RFC 1035 section 4.1).
    #[error("malformed response from {0}")]
    Malformed(SocketAddr),
    /// The response does not answer the question asked (wrong id or question).
    #[error("response from {0} does not match the question")]
    Mismatch(SocketAddr),
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

/// Asks one server.
#[derive(Clone, Debug)]
pub struct Client {
    /// The server.
    pub server: SocketAddr,
    /// How long one attempt may take.
    pub timeout: Duration,
}

impl Client {
    /// A client of `server`, or of the first nameserver in /etc/resolv.conf.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<Self, DnsError> {
        let server = match server {
            Some(s) => s,
            None => system_resolver().ok_or(DnsError::NoResolver)?,
        };
        Ok(Self { server, timeout })
    }

    /// Asks `name` `rtype` IN, with RD, DO and CD.
    pub fn query(&self, name: &Name, rtype: Rtype) -> Result<Answer, DnsError> {
        let id = query_id();
        let query = build_query(id, name, rtype);
        let io = |error| DnsError::Io {
            server: self.server,
            error,
        };
        let bind: SocketAddr = if self.server.is_ipv4() {
            "0.0.0.0:0".parse().map_err(|_| DnsError::NoResolver)?
        } else {
            "[::]:0".parse().map_err(|_| DnsError::NoResolver)?
        };
        let udp = UdpSocket::bind(bind).map_err(io)?;
        udp.set_read_timeout(Some(self.timeout)).map_err(io)?;
        udp.connect(self.server).map_err(io)?;
        let mut buf = vec![0u8; 65_535];
        let mut response = None;
        for _ in 0..2 {
            udp.send(&query).map_err(io)?;
            match udp.recv(&mut buf) {
                Ok(n) if n >= 12 && buf[..2] == id.to_be_bytes() => {
                    response = Some(buf[..n].to_vec());
                    break;
                }
                Ok(_) => continue,
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    continue;
                }
                Err(e) => return Err(io(e)),
            }
        }
        let truncated = response.as_ref().is_none_or(|r| r[2] & 0x02 != 0);
        let bytes = if truncated {
            self.query_tcp(&query)?
        } else {
            response.unwrap_or_default()
        };
        if bytes.len() < 12 || bytes[..2] != id.to_be_bytes() {
            return Err(DnsError::Mismatch(self.server));
        }
        parse_response(&bytes, name, rtype).ok_or(DnsError::Malformed(self.server))
    }

    /// The same question over TCP (after a truncated or lost UDP answer).
    fn query_tcp(&self, query: &[u8]) -> Result<Vec<u8>, DnsError> {
        let io = |error| DnsError::Io {
            server: self.server,
            error,
        };
        let mut tcp = TcpStream::connect_timeout(&self.server, self.timeout).map_err(io)?;
        tcp.set_read_timeout(Some(self.timeout)).map_err(io)?;
        tcp.set_write_timeout(Some(self.timeout)).map_err(io)?;
        let mut framed = (query.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(query);
        tcp.write_all(&framed).map_err(io)?;
        let mut len = [0u8; 2];
        tcp.read_exact(&mut len).map_err(io)?;
        let mut out = vec![0u8; usize::from(u16::from_be_bytes(len))];
        tcp.read_exact(&mut out).map_err(io)?;
        Ok(out)
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

/// A query id that differs between queries.
fn query_id() -> u16 {
    let mut b = [0u8; 2];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        return t as u16;
    }
    u16::from_be_bytes(b)
}

/// A query message: RD and CD set, EDNS(0) with DO and a 1232-octet buffer.
fn build_query(id: u16, name: &Name, rtype: Rtype) -> Vec<u8> {
    let mut q = Vec::with_capacity(64);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x10]); // RD; CD
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 1]);
    q.extend_from_slice(&name_wire(name));
    q.extend_from_slice(&u16::from(rtype).to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    // OPT: root owner, type 41, size 1232, ext-rcode 0, version 0, DO, no options.
    q.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]);
    q
}

/// The uncompressed wire form of a name.
pub fn name_wire(name: &Name) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.iter() {
        out.push(label.len() as u8);
        out.extend_from_slice(label);
    }
    out.push(0);
    out
}

//------------ Parsing -------------------------------------------------------

/// Reads a possibly compressed name at `pos`; returns its labels and the position after it.
fn read_name(msg: &[u8], mut pos: usize) -> Option<(Vec<Vec<u8>>, usize)> {
    let mut labels = Vec::new();
    let mut end = None;
    let mut total = 0usize;
    for _ in 0..128 {
        let len = *msg.get(pos)?;
        match len {
            0 => return Some((labels, end.unwrap_or(pos + 1))),
            l if l & 0xc0 == 0xc0 => {
                let ptr = usize::from(u16::from_be_bytes([l & 0x3f, *msg.get(pos + 1)?]));
                end.get_or_insert(pos + 2);
                if ptr >= pos {
                    return None; // pointers only go backwards: no loops
                }
                pos = ptr;
            }
            l if l & 0xc0 == 0 => {
                let l = usize::from(l);
                total += l + 1;
                if total > 255 {
                    return None;
                }
                labels.push(msg.get(pos + 1..pos + 1 + l)?.to_vec());
                pos += 1 + l;
            }
            _ => return None,
        }
    }
    None
}

/// A name from labels.
fn name_from(labels: Vec<Vec<u8>>) -> Option<Name> {
    let mut n = Name::from_labels(labels).ok()?;
    n.set_fqdn(true);
    Some(n)
}

/// Wire form of labels, uncompressed.
fn labels_wire(labels: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in labels {
        out.push(l.len() as u8);
        out.extend_from_slice(l);
    }
    out.push(0);
    out
}

/// Record data with its names decompressed (the types whose rdata may be compressed,
/// RFC 3597 section 4: NS, CNAME, SOA, PTR, MX), other types as sent.
fn rdata_uncompressed(msg: &[u8], start: usize, len: usize, rtype: Rtype) -> Option<Vec<u8>> {
    let end = start.checked_add(len)?;
    let raw = msg.get(start..end)?;
    let out = match rtype {
        Rtype::NS | Rtype::CNAME | Rtype::PTR => labels_wire(&read_name(msg, start)?.0),
        Rtype::MX => {
            let mut v = raw.get(..2)?.to_vec();
            v.extend(labels_wire(&read_name(msg, start + 2)?.0));
            v
        }
        Rtype::SOA => {
            let (m, p) = read_name(msg, start)?;
            let (r, p) = read_name(msg, p)?;
            let mut v = labels_wire(&m);
            v.extend(labels_wire(&r));
            v.extend_from_slice(msg.get(p..p + 20)?);
            v
        }
        _ => raw.to_vec(),
    };
    Some(out)
}

/// Parses a response to `qname` `qtype`; `None` when malformed or for another question.
pub fn parse_response(msg: &[u8], qname: &Name, qtype: Rtype) -> Option<Answer> {
    if msg.len() < 12 || msg[2] & 0x80 == 0 {
        return None;
    }
    let count = |i: usize| usize::from(u16::from_be_bytes([msg[i], msg[i + 1]]));
    let (qd, an, ns) = (count(4), count(6), count(8));
    if qd != 1 {
        return None;
    }
    let (labels, mut pos) = read_name(msg, 12)?;
    let asked = name_from(labels)?;
    let t = u16::from_be_bytes([*msg.get(pos)?, *msg.get(pos + 1)?]);
    if asked != *qname || t != u16::from(qtype) {
        return None;
    }
    pos += 4;
    let mut out = Answer {
        rcode: msg[3] & 0x0f,
        ..Answer::default()
    };
    for section in 0..2 {
        let n = if section == 0 { an } else { ns };
        let mut records: Vec<Rrset> = Vec::new();
        for _ in 0..n {
            let (labels, p) = read_name(msg, pos)?;
            let owner = name_from(labels)?;
            let f = msg.get(p..p + 10)?;
            let rtype = Rtype::from(u16::from_be_bytes([f[0], f[1]]));
            let class = u16::from_be_bytes([f[2], f[3]]);
            let ttl = u32::from_be_bytes([f[4], f[5], f[6], f[7]]);
            let len = usize::from(u16::from_be_bytes([f[8], f[9]]));
            let rdata = rdata_uncompressed(msg, p + 10, len, rtype)?;
            pos = p + 10 + len;
            if class != 1 {
                continue;
            }
            // RRSIGs are grouped by owner and covered type, everything else by owner and type.
            let covered = |r: &[u8]| {
                (rtype == Rtype::RRSIG && r.len() >= 2).then(|| u16::from_be_bytes([r[0], r[1]]))
            };
            let cov = covered(&rdata);
            let found = records.iter_mut().find(|s| {
                s.rtype == rtype
                    && s.owner == owner
                    && s.rdatas.first().map(|r| covered(r.as_bytes())) == Some(cov)
            });
            match found {
                Some(set) => {
                    set.insert(Rdata::from(rdata));
                }
                None => {
                    let mut set = Rrset::new(owner, rtype, Class::IN, Ttl(ttl));
                    set.insert(Rdata::from(rdata));
                    records.push(set);
                }
            }
        }
        if section == 0 {
            out.answer = records;
        } else {
            out.authority = records;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compressed_mx_answer_is_decompressed_inside_the_rdata() {
        let qname = Name::from_ascii("example.test.").unwrap();
        let mut msg = vec![0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        msg.extend(name_wire(&qname));
        msg.extend_from_slice(&[0, 15, 0, 1]);
        // answer: owner pointer to 12, MX 10 mx.<pointer to 12>
        msg.extend_from_slice(&[
            0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 30, 0, 7, 0, 10, 2, b'm', b'x',
        ]);
        msg.extend_from_slice(&[0xc0, 12]);
        let a = parse_response(&msg, &qname, Rtype::MX).unwrap();
        let set = a.rrset(&qname, Rtype::MX).unwrap();
        let mut want = vec![0, 10];
        want.extend(name_wire(&Name::from_ascii("mx.example.test.").unwrap()));
        assert_eq!(set.rdatas[0].as_bytes(), &want[..]);
    }

    #[test]
    fn a_pointer_loop_is_malformed_not_a_hang() {
        let qname = Name::from_ascii("example.test.").unwrap();
        let mut msg = vec![0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        msg.extend(name_wire(&qname));
        msg.extend_from_slice(&[0, 15, 0, 1]);
        let here = msg.len() as u8;
        msg.extend_from_slice(&[0xc0, here]);
        assert!(parse_response(&msg, &qname, Rtype::MX).is_none());
    }
}
