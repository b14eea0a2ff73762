//! Queries signed with TSIG (RFC 8945 section 5): verify, answer the request without its TSIG
//! record, sign the answer. Off the hot path: only signed queries (transfers and SOA checks
//! of secondaries) come here.

use zones::snapshot::Catalog;

use super::writer::{error_reply, rcode};
use super::{Outcome, Settings, Transport, respond_with};
use crate::net::tsig::{self, ResponseSigner, TsigError, Verified};
use crate::net::{warn_limit, wire_text};

/// What a transfer needs to authorise and sign its messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferAuth {
    /// Index of the key in the configured keys.
    pub key: usize,
    /// The request's MAC (the first response MAC covers it).
    pub request_mac: Vec<u8>,
    /// The request's original ID.
    pub original_id: u16,
    /// The time signed for the response.
    pub now: u64,
}

/// The current time in seconds, for TSIG time checks.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Answers a TSIG-signed `packet`: NOTAUTH with the TSIG error when it does not verify,
/// otherwise the answer to the unsigned request, signed; transfers come back with what the
/// transport needs to check the ACL by key and to sign every message.
pub fn respond_signed(
    catalog: &Catalog,
    packet: &[u8],
    transport: Transport,
    settings: &Settings,
    out: &mut Vec<u8>,
) -> Outcome {
    let keys = tsig::keys();
    let now = unix_now();
    match tsig::verify_request(packet, &keys, now) {
        Verified::Unsigned | Verified::Malformed => {
            error_reply(out, packet, 12, rcode::FORMERR, None);
            Outcome::Reply
        }
        Verified::Failed { error, key, record } => {
            // One line per interval however many packets fail; the key name is the peer's.
            if let Some(suppressed) = warn_limit::TSIG_FAILED.allow_now() {
                tracing::warn!(
                    error = ?error,
                    key = %wire_text::wire_name(&record.key_name),
                    suppressed,
                    "TSIG check failed"
                );
            }
            error_reply(out, packet, question_end(packet), rcode::NOTAUTH, None);
            match (error, key) {
                (TsigError::BadTime, Some(key)) => {
                    ResponseSigner::new(key, record.mac.clone(), record.original_id, now)
                        .with_error(error)
                        .sign(out);
                }
                _ => tsig::append_unsigned_error(out, &record, error),
            }
            Outcome::Reply
        }
        Verified::Signed { key, mac } => {
            let Ok(Some(record)) = tsig::find_tsig(packet) else {
                error_reply(out, packet, 12, rcode::FORMERR, None);
                return Outcome::Reply;
            };
            // The request as it was before signing: no TSIG record, one less in ARCOUNT.
            let mut unsigned = packet[..record.start].to_vec();
            let ar = u16::from_be_bytes([unsigned[10], unsigned[11]]).saturating_sub(1);
            unsigned[10..12].copy_from_slice(&ar.to_be_bytes());
            let key_index = keys.iter().position(|k| std::ptr::eq(k, key)).unwrap_or(0);
            match respond_with(catalog, &unsigned, transport, settings, out) {
                Outcome::Reply => {
                    ResponseSigner::new(key, mac, record.original_id, now).sign(out);
                    Outcome::Reply
                }
                Outcome::Transfer {
                    zone, ixfr_serial, ..
                } => Outcome::Transfer {
                    zone,
                    ixfr_serial,
                    auth: Some(TransferAuth {
                        key: key_index,
                        request_mac: mac,
                        original_id: record.original_id,
                        now,
                    }),
                },
                Outcome::Drop => Outcome::Drop,
                Outcome::Update => Outcome::Update,
            }
        }
    }
}

/// End of the question section, or 12.
fn question_end(packet: &[u8]) -> usize {
    super::query::parse(packet)
        .map(|q| q.question_end)
        .unwrap_or(12)
}
