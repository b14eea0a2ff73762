//! Answering one DNS query from the zone snapshot (RFC 1034 section 4.3.2, RFC 2308,
//! RFC 4592, RFC 6672, RFC 8482, RFC 6891).

use zones::snapshot::Catalog;

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
    /// The query is an AXFR (or IXFR) for the zone at this index of the catalog: the transport
    /// checks the ACL and streams the zone (or writes REFUSED into `out`).
    Transfer(usize),
}

/// Answers `query` from `catalog`, writing the response into `out` (cleared first).
pub fn respond(
    catalog: &Catalog,
    query: &[u8],
    transport: Transport,
    out: &mut Vec<u8>,
) -> Outcome {
    let _ = (catalog, query, transport, out);
    Outcome::Drop
}
