//! What the rollover needs to know from outside, asked over DNS with [`crate::net::client`]:
//! the serial every secondary serves (SOA queries) and the DS RRset every parent nameserver
//! serves. Off the query path, on the daemon's timer, each query bounded by a timeout; an
//! unanswered query is "not known", never a guess.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, RecordType};
use zones::Name;
use zones::serial::Serial;

use crate::net::client::{Client, ClientError, Request};

/// How long one server gets to answer (the whole exchange, TCP fallback included).
const TIMEOUT: Duration = Duration::from_secs(2);

/// Why a server's answer is no observation.
#[derive(Debug, thiserror::Error)]
enum Unobserved {
    /// The server could not be asked (timeout, socket, garbage, mismatch).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The server answered with an error RCODE.
    #[error("answered {0}")]
    Rcode(ResponseCode),
}

/// Asks `server` for `rtype` at `zone`: the NOERROR response.
async fn ask(server: SocketAddr, zone: &Name, rtype: RecordType) -> Result<Message, Unobserved> {
    let response = Client::new(server, TIMEOUT)
        .ask(&Request::query(zone, rtype))
        .await?;
    match response.message.metadata.response_code {
        ResponseCode::NoError => Ok(response.message),
        rcode => Err(Unobserved::Rcode(rcode)),
    }
}

/// The serial `server` serves for `zone`.
pub async fn soa_serial(server: SocketAddr, zone: &Name) -> Option<u32> {
    let reply = ask(server, zone, RecordType::SOA)
        .await
        .inspect_err(|e| tracing::debug!(zone = %zone, %server, error = %e, "SOA not observed"))
        .ok()?;
    reply.answers.iter().find_map(|r| match &r.data {
        RData::SOA(soa) => Some(soa.serial),
        _ => None,
    })
}

/// True when every server in `servers` serves `zone` at `serial` or later (RFC 1982).
pub async fn all_serve(servers: &[SocketAddr], zone: &Name, serial: u32) -> bool {
    for &s in servers {
        match soa_serial(s, zone).await {
            Some(have) if have == serial || Serial(have).is_newer_than(Serial(serial)) => {}
            _ => return false,
        }
    }
    true
}

/// The DS RRset of `zone` as (algorithm, key tag) pairs, when every server in `servers`
/// answers and all serve the same set; `None` otherwise (a change still propagating, or a
/// server that does not answer, is not an observation).
pub async fn parent_ds(servers: &[SocketAddr], zone: &Name) -> Option<Vec<(u8, u16)>> {
    let mut agreed: Option<Vec<(u8, u16)>> = None;
    for &s in servers {
        let reply = ask(s, zone, RecordType::DS)
            .await
            .inspect_err(
                |e| tracing::debug!(zone = %zone, server = %s, error = %e, "DS not observed"),
            )
            .ok()?;
        let set = ds_set(&reply);
        match &agreed {
            Some(a) if *a != set => return None,
            _ => agreed = Some(set),
        }
    }
    agreed
}

/// The DS records of the answer section as sorted, distinct (algorithm, key tag) pairs.
fn ds_set(reply: &Message) -> Vec<(u8, u16)> {
    let mut set: Vec<(u8, u16)> = reply
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::DNSSEC(DNSSECRData::DS(ds)) => Some((u8::from(ds.algorithm()), ds.key_tag())),
            _ => None,
        })
        .collect();
    set.sort_unstable();
    set.dedup();
    set
}
