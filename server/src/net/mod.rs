//! The network front: daned's own UDP loop ([`udp`]) and the tokio TCP listener ([`tcp`]).
//!
//! Both call [`crate::answer::respond`] for every query; this module holds the few wire helpers
//! they share.

pub mod acl;
pub mod client;
pub mod rrl;
pub mod tcp;
pub mod tcp_pool;
pub mod tsig;
pub mod udp;
pub mod warn_limit;
pub mod wire_text;

#[cfg(test)]
pub(crate) mod test_responder;

use std::net::SocketAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use socket2::{Domain, Protocol, Socket, Type};
use zones::snapshot::Catalog;

use crate::answer::{Outcome, Transport};

/// Binds the DNS listeners of one address: daned's UDP workers (rate-limited by `rrl`, which
/// TCP never is), then a TCP listener on the
/// UDP socket's address (so that port 0 picks one free port for both). On a TCP failure the
/// UDP workers are stopped again. The error names the protocol that failed.
pub fn bind_dns(
    addr: SocketAddr,
    workers: usize,
    catalog: Arc<ArcSwap<Catalog>>,
    rrl: Option<Arc<rrl::Rrl>>,
) -> Result<(udp::UdpServer, std::net::TcpListener), (&'static str, std::io::Error)> {
    let udp = udp::UdpServer::start(addr, workers, catalog, crate::metrics::respond, rrl)
        .map_err(|e| ("udp", e))?;
    match bind_tcp(udp.local_addr) {
        Ok(tcp) => Ok((udp, tcp)),
        Err(e) => {
            udp.stop();
            Err(("tcp", e))
        }
    }
}

/// A non-blocking TCP listener on `addr` (IPv6 sockets v6-only, address reuse on).
fn bind_tcp(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// The signature of [`crate::answer::respond`]; the listeners take it as a value so that tests
/// can drive the network paths with a stand-in.
pub type RespondFn = fn(&Catalog, &[u8], Transport, &mut Vec<u8>) -> Outcome;

/// DNS header length (RFC 1035 section 4.1.1).
pub const HEADER_LEN: usize = 12;

/// RCODE REFUSED (RFC 1035 section 4.1.1).
pub const RCODE_REFUSED: u8 = 5;

/// The question section of `query` (name, type, class) when the header announces exactly one
/// question and it is well-formed (uncompressed name).
pub fn question(query: &[u8]) -> Option<&[u8]> {
    if query.len() < HEADER_LEN || query[4..6] != [0, 1] {
        return None;
    }
    let nlen = zones::rdata::name_len_at(query, HEADER_LEN)?;
    query.get(HEADER_LEN..HEADER_LEN + nlen + 4)
}

/// Writes into `out` an error response to `query` with `rcode`, echoing ID, opcode, RD and the
/// question (when it can be parsed). Returns false (and leaves `out` empty) when `query` is too
/// short or is itself a response: nothing should be sent then.
pub fn write_error_reply(query: &[u8], rcode: u8, out: &mut Vec<u8>) -> bool {
    out.clear();
    if query.len() < HEADER_LEN || query[2] & 0x80 != 0 {
        return false;
    }
    let q = question(query);
    out.extend_from_slice(&query[0..2]);
    // QR, opcode and RD from the query; AA, TC clear.
    out.push(0x80 | (query[2] & 0x79));
    out.push(rcode & 0x0f);
    out.extend_from_slice(&[0, u8::from(q.is_some()), 0, 0, 0, 0, 0, 0]);
    if let Some(q) = q {
        out.extend_from_slice(q);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_reply_echoes_id_rd_and_question() {
        let mut q = vec![0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x04test\x00\x00\xfc\x00\x01");
        let mut out = Vec::new();
        assert!(write_error_reply(&q, RCODE_REFUSED, &mut out));
        assert_eq!(&out[..4], &[0xab, 0xcd, 0x81, 0x05]);
        assert_eq!(&out[4..6], &[0, 1]);
        assert_eq!(&out[12..], &q[12..]);
    }

    #[test]
    fn responses_and_runts_get_no_reply() {
        let mut out = Vec::new();
        assert!(!write_error_reply(&[0; 5], RCODE_REFUSED, &mut out));
        let resp = [0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(!write_error_reply(&resp, RCODE_REFUSED, &mut out));
        assert!(out.is_empty());
    }
}
