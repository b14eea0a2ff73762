//! A tiny DNS responder on 127.0.0.1 port 0, for the unit tests of what asks over the network
//! ([`super::client`], the rollover's observations, NOTIFY): UDP and TCP on one port, each
//! answered by a closure, TCP replies optionally written one octet at a time.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::Message;
use hickory_proto::rr::{RData, Record, rdata::A};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

/// What the responder does with one datagram: the datagrams it sends back.
pub(crate) type UdpHandler = Arc<dyn Fn(&[u8]) -> Vec<Vec<u8>> + Send + Sync>;
/// What the responder does with one TCP request (unframed): the octets it writes back.
pub(crate) type TcpHandler = Arc<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;

/// Binds UDP and TCP on one free loopback port.
async fn bind_pair() -> (UdpSocket, TcpListener) {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        if let Ok(tcp) = TcpListener::bind(addr).await {
            return (udp, tcp);
        }
    }
}

/// A server answering datagrams with `udp` and TCP requests with `tcp`; a TCP reply is
/// written one octet every `pace` when `pace` is set.
pub(crate) async fn serve(udp: UdpHandler, tcp: TcpHandler, pace: Option<Duration>) -> SocketAddr {
    let (socket, listener) = bind_pair().await;
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65_535];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            for reply in udp(&buf[..n]) {
                let _ = socket.send_to(&reply, from).await;
            }
        }
    });
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let tcp = tcp.clone();
            tokio::spawn(async move {
                let mut len = [0u8; 2];
                stream.read_exact(&mut len).await?;
                let mut request = vec![0u8; usize::from(u16::from_be_bytes(len))];
                stream.read_exact(&mut request).await?;
                let reply = tcp(&request);
                match pace {
                    None => stream.write_all(&reply).await?,
                    Some(pace) => {
                        for b in reply {
                            stream.write_all(&[b]).await?;
                            tokio::time::sleep(pace).await;
                        }
                    }
                }
                std::io::Result::Ok(())
            });
        }
    });
    addr
}

/// A UDP handler that never answers.
pub(crate) fn silent_udp() -> UdpHandler {
    Arc::new(|_| Vec::new())
}

/// A TCP handler that answers like [`answer`].
pub(crate) fn answering_tcp() -> TcpHandler {
    Arc::new(|q| framed(&answer(q, |_| {})))
}

/// A two-octet length before `msg`.
pub(crate) fn framed(msg: &[u8]) -> Vec<u8> {
    let mut out = (msg.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(msg);
    out
}

/// The response to `query`: same ID, opcode and question, one A record, then `edit`.
pub(crate) fn answer(query: &[u8], edit: impl FnOnce(&mut Message)) -> Vec<u8> {
    let q = Message::from_vec(query).unwrap();
    let mut r = Message::response(q.metadata.id, q.metadata.op_code);
    r.add_queries(q.queries.clone());
    r.add_answer(Record::from_rdata(
        q.queries[0].name().clone(),
        300,
        RData::A(A(Ipv4Addr::new(192, 0, 2, 1))),
    ));
    edit(&mut r);
    r.to_vec().unwrap()
}

/// The response to `query`: same ID, opcode and question, no records, then `edit`.
pub(crate) fn reply(query: &[u8], edit: impl FnOnce(&mut Message)) -> Vec<u8> {
    answer(query, |r| {
        r.answers.clear();
        edit(r);
    })
}
