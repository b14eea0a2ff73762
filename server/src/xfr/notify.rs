//! NOTIFY out (RFC 1996): tell each configured secondary that the zone has a new serial, with
//! retries and backoff until it acknowledges.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;
use zones::Name;

use crate::config::NotifyTarget;
use crate::net::tsig::{ResponseSigner, TsigKey};

/// Attempts per secondary (RFC 1996 section 3.6 leaves the count to the primary).
const ATTEMPTS: u32 = 5;
/// Wait for the first acknowledgement; doubled after each attempt.
const FIRST_WAIT: Duration = Duration::from_secs(1);

/// The NOTIFY message for `zone` with message ID `id`: opcode NOTIFY, AA, the zone's SOA as
/// question (RFC 1996 section 3.7).
pub fn message(zone: &Name, id: u16) -> Vec<u8> {
    let mut m = Vec::with_capacity(64);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x24, 0x00]); // opcode 4 (NOTIFY), AA
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    for label in zone.iter() {
        m.push(label.len() as u8);
        m.extend_from_slice(label);
    }
    m.push(0);
    m.extend_from_slice(&[0, 6, 0, 1]); // SOA IN
    m
}

/// True when `reply` acknowledges the NOTIFY with ID `id` (RFC 1996 section 4.7).
pub fn is_ack(reply: &[u8], id: u16) -> bool {
    reply.len() >= 12
        && reply[..2] == id.to_be_bytes()
        && reply[2] & 0x80 != 0
        && (reply[2] >> 3) & 0x0f == 4
}

/// Notifies every target about `zone` at `serial`, in the background; each acknowledgement or
/// final failure is logged.
pub fn spawn(zone: Name, serial: u32, targets: Vec<NotifyTarget>) {
    for NotifyTarget { addr: target, key } in targets {
        let zone = zone.clone();
        let key = key.as_deref().and_then(crate::net::tsig::key_named);
        tokio::spawn(async move {
            match notify_one(&zone, target, key.as_ref()).await {
                Ok((attempt, rcode)) => {
                    tracing::info!(zone = %zone, serial, %target, attempt, rcode, "NOTIFY acknowledged")
                }
                Err(e) => {
                    tracing::warn!(zone = %zone, serial, %target, error = %e, "NOTIFY not acknowledged")
                }
            }
        });
    }
}

/// Sends NOTIFY to `target` until it answers; returns the attempt and the reply's rcode.
async fn notify_one(
    zone: &Name,
    target: SocketAddr,
    key: Option<&TsigKey>,
) -> std::io::Result<(u32, u8)> {
    let bind: SocketAddr = if target.is_ipv4() {
        "0.0.0.0:0".parse()
    } else {
        "[::]:0".parse()
    }
    .map_err(std::io::Error::other)?;
    let socket = UdpSocket::bind(bind).await?;
    let mut wait = FIRST_WAIT;
    let mut buf = [0u8; 512];
    for attempt in 1..=ATTEMPTS {
        let id: u16 = rand_id();
        let mut msg = message(zone, id);
        if let Some(key) = key {
            // RFC 8945: a NOTIFY to a secondary that expects a key is signed with it.
            ResponseSigner::for_request(key, id, crate::answer::signed::unix_now()).sign(&mut msg);
        }
        socket.send_to(&msg, target).await?;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
                Err(_) => break,
                Ok(Ok((n, from))) if from == target && is_ack(&buf[..n], id) => {
                    return Ok((attempt, buf[3] & 0x0f));
                }
                Ok(_) => continue,
            }
        }
        wait *= 2;
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("{ATTEMPTS} attempts"),
    ))
}

/// A message ID that an off-path attacker cannot guess.
pub(crate) fn rand_id() -> u16 {
    let mut b = [0u8; 2];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    u16::from_be_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{Message, OpCode};

    #[test]
    fn the_notify_message_is_a_notify_for_the_zone_soa() {
        let m = Message::from_vec(&message(&Name::from_ascii("example.com.").unwrap(), 7)).unwrap();
        assert_eq!(m.metadata.op_code, OpCode::Notify);
        assert!(m.metadata.authoritative);
        assert_eq!(m.queries[0].name().to_string(), "example.com.");
        assert_eq!(
            m.queries[0].query_type(),
            hickory_proto::rr::RecordType::SOA
        );
    }

    #[test]
    fn only_a_notify_response_with_our_id_is_an_ack() {
        let mut reply = message(&Name::from_ascii("example.com.").unwrap(), 7);
        assert!(!is_ack(&reply, 7), "not a response");
        reply[2] |= 0x80;
        assert!(is_ack(&reply, 7));
        assert!(!is_ack(&reply, 8));
    }
}
