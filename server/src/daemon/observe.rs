//! What the rollover needs to know from outside, asked over DNS: the serial every secondary
//! serves (SOA queries) and the DS RRset every parent nameserver serves. Off the query path,
//! on the daemon's timer, each query bounded by a timeout; an unanswered query is "not known",
//! never a guess.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{RData, RecordType};
use tokio::net::UdpSocket;
use zones::Name;
use zones::serial::Serial;

/// How long one server gets to answer.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Asks `server` for `rtype` at `zone` over UDP; the answer section, or `None` on timeout,
/// error or a reply that is not a NOERROR answer to this question.
async fn ask(server: SocketAddr, zone: &Name, rtype: RecordType) -> Option<Message> {
    let bind: SocketAddr = if server.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let socket = UdpSocket::bind(bind).await.ok()?;
    let id = crate::xfr::notify::rand_id();
    let mut query = Message::query();
    query.metadata.id = id;
    query.add_query(Query::query(zone.clone(), rtype));
    let wire = query.to_vec().ok()?;
    socket.send_to(&wire, server).await.ok()?;
    let mut buf = vec![0u8; 4096];
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let (n, from) = tokio::time::timeout_at(deadline, socket.recv_from(&mut buf))
            .await
            .ok()?
            .ok()?;
        if from != server {
            continue;
        }
        let reply = Message::from_vec(&buf[..n]).ok()?;
        if reply.metadata.id == id
            && reply.metadata.response_code == hickory_proto::op::ResponseCode::NoError
        {
            return Some(reply);
        }
        return None;
    }
}

/// The serial `server` serves for `zone`.
pub async fn soa_serial(server: SocketAddr, zone: &Name) -> Option<u32> {
    let reply = ask(server, zone, RecordType::SOA).await?;
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
        let reply = ask(s, zone, RecordType::DS).await?;
        let mut set: Vec<(u8, u16)> = reply
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::DNSSEC(hickory_proto::dnssec::rdata::DNSSECRData::DS(ds)) => {
                    Some((u8::from(ds.algorithm()), ds.key_tag()))
                }
                _ => None,
            })
            .collect();
        set.sort_unstable();
        set.dedup();
        match &agreed {
            Some(a) if *a != set => return None,
            _ => agreed = Some(set),
        }
    }
    agreed
}
