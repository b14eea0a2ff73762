//! The network side of UPDATE: TSIG is required (an unsigned request is REFUSED, one that
//! fails the check gets NOTAUTH with the TSIG error, RFC 8945 section 5.2), the verified
//! request goes to the zone's control loop, and the reply, signed with the request's key,
//! is sent once the change is published. UDP workers wait for it in their thread
//! ([`handle_blocking`]), TCP tasks await it ([`handle`]).

use zones::present::name_to_text;

use super::Rcode;
use super::inbox;
use super::message::{self, UpdateMessage};
use crate::answer::signed::unix_now;
use crate::net::tsig::{self, ResponseSigner, TsigError, TsigKey, Verified};
use crate::net::{warn_limit, wire_text, write_error_reply};

/// A request handed to the control loop, waiting for its RCODE.
pub struct Pending {
    /// The RCODE, once the change is published.
    reply: tokio::sync::oneshot::Receiver<Rcode>,
    /// How to reply.
    answer: Answer,
}

/// What the reply needs: the request (without TSIG) and the TSIG context.
struct Answer {
    /// The request without its TSIG record.
    unsigned: Vec<u8>,
    /// The key that signed it.
    key: TsigKey,
    /// The request's MAC.
    mac: Vec<u8>,
    /// The request's original ID.
    original_id: u16,
    /// The time signed.
    now: u64,
}

impl Answer {
    /// Writes the reply with `rcode` into `out`, signed.
    fn write(&self, rcode: Rcode, out: &mut Vec<u8>) -> bool {
        if !write_error_reply(&self.unsigned, rcode.code(), out) {
            return false;
        }
        ResponseSigner::new(&self.key, self.mac.clone(), self.original_id, self.now).sign(out);
        true
    }
}

/// Checks `packet` (an UPDATE). Writes the reply into `out` and returns `None` when it is
/// answered at once (unsigned, TSIG failed, malformed, no control loop); otherwise the
/// request is with the control loop.
pub fn prepare(packet: &[u8], out: &mut Vec<u8>) -> Option<Pending> {
    out.clear();
    let keys = tsig::keys();
    let now = unix_now();
    let (key, mac) = match tsig::verify_request(packet, &keys, now) {
        Verified::Unsigned => {
            refused("no TSIG", None, None, None);
            write_error_reply(packet, Rcode::Refused.code(), out);
            return None;
        }
        Verified::Malformed => {
            write_error_reply(packet, Rcode::FormErr.code(), out);
            return None;
        }
        Verified::Failed { error, key, record } => {
            let name = wire_text::wire_name(&record.key_name);
            refused(&format!("TSIG {error:?}"), Some(&name), None, None);
            // A response (QR=1) or a runt gets no reply: no TSIG error either, which alone
            // would be a stray record sent back (found by the `update` fuzz target).
            if !write_error_reply(packet, Rcode::NotAuth.code(), out) {
                return None;
            }
            match (error, key) {
                (TsigError::BadTime, Some(key)) => {
                    ResponseSigner::new(key, record.mac.clone(), record.original_id, now)
                        .with_error(error)
                        .sign(out);
                }
                _ => tsig::append_unsigned_error(out, &record, error),
            }
            return None;
        }
        Verified::Signed { key, mac } => (key.clone(), mac),
    };
    let Ok(Some(record)) = tsig::find_tsig(packet) else {
        write_error_reply(packet, Rcode::FormErr.code(), out);
        return None;
    };
    let mut unsigned = packet[..record.start].to_vec();
    let ar = u16::from_be_bytes([unsigned[10], unsigned[11]]).saturating_sub(1);
    unsigned[10..12].copy_from_slice(&ar.to_be_bytes());
    let answer = Answer {
        unsigned,
        key,
        mac,
        original_id: record.original_id,
        now,
    };
    let message: UpdateMessage = match message::parse(&answer.unsigned) {
        Ok(m) => m,
        Err(rcode) => {
            if rcode == Rcode::Refused {
                refused("message too large", Some(&answer.key.name), None, None);
            }
            answer.write(rcode, out);
            return None;
        }
    };
    match inbox::submit(message, answer.key.name.clone()) {
        Some(reply) => Some(Pending { reply, answer }),
        None => {
            answer.write(Rcode::Refused, out);
            None
        }
    }
}

impl Pending {
    /// Waits (blocking the thread) for the RCODE and writes the signed reply into `out`.
    pub fn wait_blocking(self, out: &mut Vec<u8>) -> bool {
        let rcode = self.reply.blocking_recv().unwrap_or(Rcode::ServFail);
        self.answer.write(rcode, out)
    }

    /// Awaits the RCODE and writes the signed reply into `out`.
    pub async fn wait(self, out: &mut Vec<u8>) -> bool {
        let rcode = self.reply.await.unwrap_or(Rcode::ServFail);
        self.answer.write(rcode, out)
    }
}

/// Answers the UPDATE `packet` into `out` from a UDP worker thread; false: send nothing.
pub fn handle_blocking(packet: &[u8], out: &mut Vec<u8>) -> bool {
    let send = match prepare(packet, out) {
        Some(pending) => pending.wait_blocking(out),
        None => !out.is_empty(),
    };
    count(send, out);
    send
}

/// Answers the UPDATE `packet` into `out` from a TCP task; false: send nothing.
pub async fn handle(packet: &[u8], out: &mut Vec<u8>) -> bool {
    let send = match prepare(packet, out) {
        Some(pending) => pending.wait(out).await,
        None => !out.is_empty(),
    };
    count(send, out);
    send
}

/// Counts an UPDATE answered (`daned_updates_total`): accepted when its RCODE is NOERROR.
fn count(sent: bool, reply: &[u8]) {
    let accepted = sent && reply.len() >= 4 && reply[3] & 0x0f == 0;
    crate::metrics::update(if accepted {
        crate::metrics::Update::Accepted
    } else {
        crate::metrics::Update::Refused
    });
}

/// Logs a refused UPDATE (at most one line per interval, the rest counted): why, the key,
/// the name and the type, escaped (they come from the network).
pub fn refused(
    why: &str,
    key: Option<&str>,
    name: Option<&zones::Name>,
    rtype: Option<zones::Rtype>,
) {
    if let Some(suppressed) = warn_limit::UPDATE_REFUSED.allow_now() {
        tracing::warn!(
            reason = why,
            key = key.unwrap_or(""),
            name = %name.map(name_to_text).unwrap_or_default(),
            rtype = %rtype.map(|t| t.to_string()).unwrap_or_default(),
            suppressed,
            "UPDATE refused"
        );
    }
}

#[cfg(test)]
mod tests;
