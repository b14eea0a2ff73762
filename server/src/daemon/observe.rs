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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use hickory_proto::dnssec::rdata::DS;
    use hickory_proto::dnssec::{Algorithm, DigestType};
    use hickory_proto::op::Message;
    use hickory_proto::rr::Record;
    use hickory_proto::rr::rdata::SOA;

    use super::*;
    use crate::net::test_responder::{answering_tcp, reply, serve};

    fn zone() -> Name {
        Name::from_ascii("example.com.").unwrap()
    }

    /// A server whose every answer is `edit` applied to an empty response.
    async fn server(edit: impl Fn(&mut Message) + Send + Sync + 'static) -> SocketAddr {
        serve(
            Arc::new(move |q| vec![reply(q, |r| edit(r))]),
            answering_tcp(),
            None,
        )
        .await
    }

    /// A secondary serving `serial`.
    async fn secondary(serial: u32) -> SocketAddr {
        server(move |r| {
            let soa = SOA::new(zone(), zone(), serial, 3600, 600, 86400, 60);
            r.add_answer(Record::from_rdata(zone(), 300, RData::SOA(soa)));
        })
        .await
    }

    /// A parent server serving DS records with these key tags (algorithm 13).
    async fn parent(tags: &'static [u16]) -> SocketAddr {
        server(move |r| {
            for &tag in tags {
                let ds = DS::new(
                    tag,
                    Algorithm::ECDSAP256SHA256,
                    DigestType::SHA256,
                    vec![0xab; 32],
                );
                r.add_answer(Record::from_rdata(
                    zone(),
                    300,
                    RData::DNSSEC(DNSSECRData::DS(ds)),
                ));
            }
        })
        .await
    }

    #[tokio::test]
    async fn every_secondary_must_serve_the_serial_or_a_later_one_in_serial_arithmetic() {
        let (at, later, wrapped, behind) = (
            secondary(7).await,
            secondary(8).await,
            secondary(3).await,
            secondary(6).await,
        );
        assert!(all_serve(&[at, later], &zone(), 7).await);
        assert!(!all_serve(&[at, behind], &zone(), 7).await);
        // RFC 1982: 3 is later than 0xffff_fff0.
        assert!(all_serve(&[wrapped], &zone(), 0xffff_fff0).await);
        assert_eq!(soa_serial(later, &zone()).await, Some(8));
    }

    #[tokio::test]
    async fn an_error_rcode_is_no_observation() {
        let refused = server(|r| r.metadata.response_code = ResponseCode::Refused).await;
        assert_eq!(soa_serial(refused, &zone()).await, None);
        assert!(!all_serve(&[secondary(7).await, refused], &zone(), 7).await);
        assert_eq!(parent_ds(&[refused], &zone()).await, None);
    }

    #[tokio::test]
    async fn the_parent_ds_is_observed_only_when_every_server_agrees() {
        let (a, b, c) = (
            parent(&[2, 1]).await,
            parent(&[1, 2, 2]).await,
            parent(&[1]).await,
        );
        let alg = u8::from(Algorithm::ECDSAP256SHA256);
        assert_eq!(
            parent_ds(&[a, b], &zone()).await,
            Some(vec![(alg, 1), (alg, 2)])
        );
        assert_eq!(parent_ds(&[a, c], &zone()).await, None);
        // No DS at all (NOERROR, no data) is an observation: the empty set.
        let none = parent(&[]).await;
        assert_eq!(parent_ds(&[none], &zone()).await, Some(vec![]));
    }
}
