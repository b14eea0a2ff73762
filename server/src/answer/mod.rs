//! Answering one DNS query from the zone snapshot: the one place where a question becomes a
//! response, for UDP and TCP alike.
//!
//! The stack, top to bottom:
//! - [`query`] parses header, question and OPT in place;
//! - [`respond`] (here) handles what does not need a zone: errors, EDNS version, class, the
//!   choice of zone (longest suffix; the parent for DS, RFC 4035 section 3.1.4.1), transfers;
//! - [`lookup`] walks the zone (RFC 1034 section 4.3.2, RFC 2308, RFC 4592, RFC 6672,
//!   RFC 8482);
//! - [`writer`] lays the response out in the caller's reused buffer.
//!
//! Nothing here allocates once `out` has grown to its working size, and nothing takes a lock.

pub mod lookup;
pub mod query;
pub mod signed;
pub mod writer;

use zones::snapshot::Catalog;

use self::query::QueryError;
use self::writer::{Writer, error_reply, rcode};

/// The UDP payload size this server advertises in OPT and the default ceiling it applies to
/// clients' sizes (the DNS flag day 2020 value, which avoids IP fragmentation).
pub const EDNS_UDP_SIZE: u16 = 1232;

/// How the query arrived, which decides the size limit and whether transfers are possible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// UDP: answers limited to the EDNS size (ceiling 1232 by default), TC when they do not fit.
    Udp,
    /// TCP: answers up to 65535 octets.
    Tcp,
}

/// What the network layer must do after [`respond`].
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Send `out` as the reply.
    Reply,
    /// Send nothing (the packet was not a query worth answering, e.g. a response or garbage).
    Drop,
    /// The query is an AXFR or IXFR over TCP for the zone at this index of the catalog: the
    /// transport checks the ACL and streams the zone or its changes (or answers REFUSED).
    Transfer {
        /// Catalog index of the zone.
        zone: usize,
        /// For IXFR, the client's serial (RFC 1995); `None` for AXFR.
        ixfr_serial: Option<u32>,
        /// The TSIG key the request was signed with, and what signing the response needs.
        auth: Option<signed::TransferAuth>,
    },
    /// The message is an UPDATE (RFC 2136): the transport hands it to
    /// `crate::update::front`, which verifies it and waits for the zone's control loop.
    Update,
}

/// Tunables of the answer path.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Largest UDP response, whatever the client offers (RFC 6891 section 6.2.5).
    pub udp_ceiling: u16,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            udp_ceiling: EDNS_UDP_SIZE,
        }
    }
}

/// Record types with a meaning of their own in a question.
mod qtype {
    /// DS.
    pub const DS: u16 = 43;
    /// IXFR.
    pub const IXFR: u16 = 251;
    /// AXFR.
    pub const AXFR: u16 = 252;
}

/// Answers `query` from `catalog` with default settings, writing the response into `out`.
pub fn respond(
    catalog: &Catalog,
    query: &[u8],
    transport: Transport,
    out: &mut Vec<u8>,
) -> Outcome {
    respond_with(catalog, query, transport, &Settings::default(), out)
}

/// Answers `packet` from `catalog`, writing the response into `out` (cleared first).
pub fn respond_with(
    catalog: &Catalog,
    packet: &[u8],
    transport: Transport,
    settings: &Settings,
    out: &mut Vec<u8>,
) -> Outcome {
    respond_with_facts(
        catalog,
        packet,
        transport,
        settings,
        &mut Facts::default(),
        out,
    )
}

/// What the answer path learnt about a response beyond its wire form: which zone answered and
/// whether a wildcard did. Response rate limiting (`net::rrl`) accounts NXDOMAIN and NODATA
/// per zone and wildcard answers per wildcard, which the response itself does not tell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Catalog index of the zone that answered.
    pub zone: Option<usize>,
    /// The wildcard node of that zone the answer came from.
    pub wildcard: Option<zones::snapshot::NodeId>,
}

/// [`respond_with`], also recording in `facts` (reset first) what the response came from.
pub fn respond_with_facts(
    catalog: &Catalog,
    packet: &[u8],
    transport: Transport,
    settings: &Settings,
    facts: &mut Facts,
    out: &mut Vec<u8>,
) -> Outcome {
    *facts = Facts::default();
    let q = match query::parse(packet) {
        Ok(q) => q,
        Err(QueryError::Ignore) => return Outcome::Drop,
        Err(QueryError::FormErr) => {
            error_reply(out, packet, 12, rcode::FORMERR, None);
            return Outcome::Reply;
        }
        Err(QueryError::NotImp) => {
            let end = question_end(packet);
            error_reply(out, packet, end, rcode::NOTIMP, None);
            return Outcome::Reply;
        }
        // RFC 2136: the transport hands the whole message to `crate::update`.
        Err(QueryError::Update) => return Outcome::Update,
        Err(QueryError::Notify) => {
            // RFC 1996 NOTIFY is for secondaries; daned serves only as primary.
            let end = question_end(packet);
            error_reply(out, packet, end, rcode::REFUSED, None);
            return Outcome::Reply;
        }
    };
    if q.tsig {
        return signed::respond_signed(catalog, packet, transport, settings, out);
    }
    let edns = q.edns.map(|e| e.dnssec_ok);
    if let Some(e) = q.edns
        && e.version != 0
    {
        error_reply(out, packet, q.question_end, rcode::BADVERS, edns);
        return Outcome::Reply;
    }
    if q.qclass != 1 {
        error_reply(out, packet, q.question_end, rcode::REFUSED, edns);
        return Outcome::Reply;
    }
    let limit = match (transport, q.edns) {
        (Transport::Tcp, _) => 65535,
        (Transport::Udp, None) => 512,
        (Transport::Udp, Some(e)) => e.udp_size.clamp(512, settings.udp_ceiling.max(512)) as usize,
    };

    if q.qtype == qtype::AXFR || q.qtype == qtype::IXFR {
        let Some(index) = catalog.zone_at(q.qname()) else {
            error_reply(out, packet, q.question_end, rcode::NOTAUTH, edns);
            return Outcome::Reply;
        };
        if transport == Transport::Tcp {
            return Outcome::Transfer {
                zone: index,
                ixfr_serial: q.ixfr_serial,
                auth: None,
            };
        }
        if q.qtype == qtype::AXFR {
            // RFC 5936 section 4.2: AXFR is a TCP-only exchange.
            error_reply(out, packet, q.question_end, rcode::FORMERR, edns);
            return Outcome::Reply;
        }
        // RFC 1995 section 2: an IXFR over UDP that the server does not answer incrementally
        // gets the current SOA, telling the client to use TCP.
        let zone = &catalog.zones()[index];
        let mut w = Writer::new(out, &q, limit);
        lookup::answer_soa(zone, &mut w);
        w.finish(true, rcode::NOERROR, edns);
        return Outcome::Reply;
    }

    let zone = if q.qtype == qtype::DS {
        catalog
            .find(q.qname(), q.labels(), true)
            .or_else(|| catalog.find(q.qname(), q.labels(), false))
    } else {
        catalog.find(q.qname(), q.labels(), false)
    };
    let Some(zone) = zone else {
        error_reply(out, packet, q.question_end, rcode::REFUSED, edns);
        return Outcome::Reply;
    };
    facts.zone = Some(zone);
    let zone = &catalog.zones()[zone];
    let mut w = Writer::new(out, &q, limit);
    let verdict = lookup::resolve(zone, &q, transport, &mut w);
    facts.wildcard = verdict.wildcard;
    w.finish(verdict.authoritative, verdict.rcode, edns);
    Outcome::Reply
}

/// End of the question of a packet that parsed far enough to have one (for NOTIMP), or 12.
fn question_end(packet: &[u8]) -> usize {
    let mut pos = 12;
    if packet.get(4..6) != Some(&[0, 1]) {
        return 12;
    }
    while let Some(&len) = packet.get(pos) {
        if len & 0xc0 != 0 {
            return 12;
        }
        pos += 1 + len as usize;
        if len == 0 {
            return if pos + 4 <= packet.len() { pos + 4 } else { 12 };
        }
    }
    12
}
