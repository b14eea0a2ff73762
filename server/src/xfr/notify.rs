//! NOTIFY out (RFC 1996): tell each configured secondary that the zone has a new serial, with
//! retries and backoff until it acknowledges. The exchange itself (message, TSIG, matching
//! the acknowledgement) is [`crate::net::client`]'s.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use zones::Name;

use crate::config::NotifyTarget;
use crate::metrics::event_counters::{self as metrics, Notify};
use crate::net::client::{Client, ClientError, Request};
use crate::net::tsig::TsigKey;

/// Attempts per secondary (RFC 1996 section 3.6 leaves the count to the primary).
const ATTEMPTS: u32 = 5;
/// Wait for the first acknowledgement; doubled after each attempt.
const FIRST_WAIT: Duration = Duration::from_secs(1);

/// Notifies every target about `zone` at `serial`, in the background; each acknowledgement or
/// final failure is logged. A target's `key` is looked up by name in `keys` (the configured
/// `[[tsig_key]]`s); a target whose key is not there is not notified.
pub fn spawn(zone: Name, serial: u32, targets: Vec<NotifyTarget>, keys: &[TsigKey]) {
    for NotifyTarget { addr: target, key } in targets {
        let zone = zone.clone();
        let key = match key.as_deref().map(|name| (name, key_named(keys, name))) {
            None => None,
            Some((_, Some(key))) => Some(key.clone()),
            Some((name, None)) => {
                tracing::warn!(event = "notify-failed", zone = %zone, serial, secondary = %target, key = name, "NOTIFY not sent: no such TSIG key");
                continue;
            }
        };
        tokio::spawn(async move {
            match notify_one(&zone, target, key).await {
                Ok((attempt, ResponseCode::NoError)) => {
                    metrics::notify(Notify::Acknowledged);
                    tracing::info!(event = "notify-acknowledged", zone = %zone, serial, secondary = %target, attempt, rcode = %ResponseCode::NoError, "NOTIFY acknowledged")
                }
                Ok((attempt, rcode)) => {
                    metrics::notify(Notify::Failed);
                    tracing::warn!(event = "notify-failed", zone = %zone, serial, secondary = %target, attempt, %rcode, "NOTIFY acknowledged with an error")
                }
                Err(e) => {
                    metrics::notify(Notify::Failed);
                    tracing::warn!(event = "notify-failed", zone = %zone, serial, secondary = %target, error = %e, "NOTIFY not acknowledged")
                }
            }
        });
    }
}

/// The key called `name` in `keys` (names compare case-insensitively, without the root dot).
fn key_named<'k>(keys: &'k [TsigKey], name: &str) -> Option<&'k TsigKey> {
    keys.iter()
        .find(|k| k.name.eq_ignore_ascii_case(name.trim_end_matches('.')))
}

/// Sends NOTIFY to `target` until it answers, signed with `key` when given; returns the
/// attempt and the reply's RCODE, or the last attempt's error.
async fn notify_one(
    zone: &Name,
    target: SocketAddr,
    key: Option<TsigKey>,
) -> Result<(u32, ResponseCode), ClientError> {
    let request = Request::notify(zone);
    let mut wait = FIRST_WAIT;
    let mut attempt = 1;
    loop {
        let mut client = Client::new(target, wait);
        if let Some(key) = &key {
            // RFC 8945: a NOTIFY to a secondary that expects a key is signed with it.
            client = client.with_tsig(key.clone());
        }
        metrics::notify(Notify::Sent);
        match client.ask(&request).await {
            Ok(response) => return Ok((attempt, response.message.metadata.response_code)),
            Err(e) if attempt == ATTEMPTS => return Err(e),
            Err(e) => {
                tracing::debug!(zone = %zone, secondary = %target, attempt, error = %e, "NOTIFY unanswered, again")
            }
        }
        attempt += 1;
        wait *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::tsig::TsigAlgorithm;

    #[test]
    fn a_targets_key_is_found_by_name_in_the_keys_passed() {
        let keys = [
            TsigKey::new("sec1", TsigAlgorithm::HmacSha256, b"one").unwrap(),
            TsigKey::new("sec2", TsigAlgorithm::HmacSha256, b"two").unwrap(),
        ];
        assert_eq!(
            key_named(&keys, "SEC2.").map(|k| k.name.as_str()),
            Some("sec2")
        );
        assert!(key_named(&keys, "sec3").is_none());
        assert!(key_named(&[], "sec1").is_none());
    }

    #[tokio::test]
    async fn a_lost_notify_is_sent_again_and_the_acknowledgement_counted() {
        // A secondary that drops the first NOTIFY and acknowledges the second.
        let secondary = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let target = secondary.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            let _ = secondary.recv_from(&mut buf).await;
            let (n, from) = secondary.recv_from(&mut buf).await.unwrap();
            let query = hickory_proto::op::Message::from_vec(&buf[..n]).unwrap();
            let mut ack = hickory_proto::op::Message::response(
                query.metadata.id,
                hickory_proto::op::OpCode::Notify,
            );
            ack.add_queries(query.queries.clone());
            ack.metadata.authoritative = true;
            let _ = secondary.send_to(&ack.to_vec().unwrap(), from).await;
        });
        let zone = Name::from_ascii("example.com.").unwrap();
        let r = notify_one(&zone, target, None).await.unwrap();
        assert_eq!(r, (2, ResponseCode::NoError));
    }
}
