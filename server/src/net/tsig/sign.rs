//! Signing responses, one or a chain of messages (RFC 8945 sections 4.2, 5.3.1).

use ring::hmac;

use super::*;

//------------ Signing -------------------------------------------------------

/// Signs the messages of one response (several for a transfer), chaining their MACs.
pub struct ResponseSigner<'k> {
    /// The key.
    key: &'k TsigKey,
    /// The request MAC for the first message, then the previous message's MAC.
    prior_mac: Vec<u8>,
    /// True until the first message is signed.
    first: bool,
    /// Time signed for every message.
    now: u64,
    /// The error to report (BADTIME responses are signed).
    error: u16,
    /// The request's original ID, echoed in the TSIG record.
    original_id: u16,
}

impl<'k> ResponseSigner<'k> {
    /// A signer for the response to a request signed with `key` and `request_mac`.
    pub fn new(key: &'k TsigKey, request_mac: Vec<u8>, original_id: u16, now: u64) -> Self {
        Self {
            key,
            prior_mac: request_mac,
            first: true,
            now,
            error: 0,
            original_id,
        }
    }

    /// A signer for a NOTIFY or other request of our own (no request MAC).
    pub fn for_request(key: &'k TsigKey, id: u16, now: u64) -> Self {
        Self {
            key,
            prior_mac: Vec::new(),
            first: true,
            now,
            error: 0,
            original_id: id,
        }
    }

    /// The MAC of the last message signed (the request MAC a response to it is signed with,
    /// RFC 8945 section 4.3.2); empty before the first.
    pub fn mac(&self) -> &[u8] {
        if self.first { &[] } else { &self.prior_mac }
    }

    /// Reports `error` (BADTIME) in the signed response.
    pub fn with_error(mut self, error: TsigError) -> Self {
        self.error = error.code();
        self
    }

    /// Appends a TSIG record to the complete message `msg` and counts it in ARCOUNT.
    pub fn sign(&mut self, msg: &mut Vec<u8>) {
        let mut ctx = hmac::Context::with_key(&self.key.key);
        if !self.prior_mac.is_empty() {
            ctx.update(&(self.prior_mac.len() as u16).to_be_bytes());
            ctx.update(&self.prior_mac);
        }
        ctx.update(msg);
        // BADTIME responses carry the server's time as other data (RFC 8945 section 5.2.3).
        let other: Vec<u8> = if self.error == TsigError::BadTime.code() {
            self.now.to_be_bytes()[2..].to_vec()
        } else {
            Vec::new()
        };
        if self.first {
            digest_variables(
                &mut ctx,
                &self.key.wire_name,
                self.key.algorithm.wire_name(),
                self.now,
                DEFAULT_FUDGE,
                self.error,
                &other,
            );
        } else {
            // Subsequent messages: timers only (RFC 8945 section 5.3.1).
            ctx.update(&self.now.to_be_bytes()[2..]);
            ctx.update(&DEFAULT_FUDGE.to_be_bytes());
        }
        let mac = ctx.sign().as_ref().to_vec();
        append_record(
            msg,
            &self.key.wire_name,
            self.key.algorithm.wire_name(),
            self.now,
            &mac,
            self.original_id,
            self.error,
            &other,
        );
        self.prior_mac = mac;
        self.first = false;
    }
}

/// Appends an unsigned TSIG record carrying `error` (BADKEY, BADSIG: RFC 8945 section
/// 5.3.2) for the request `record`.
pub fn append_unsigned_error(msg: &mut Vec<u8>, record: &TsigRecord, error: TsigError) {
    // No header was written (the request was a response, or too short to answer): a TSIG
    // record alone is no reply.
    if msg.len() < 12 {
        return;
    }
    append_record(
        msg,
        &record.key_name,
        &record.algorithm,
        record.time_signed,
        &[],
        record.original_id,
        error.code(),
        &[],
    );
}

/// Appends a TSIG record and bumps ARCOUNT.
#[allow(clippy::too_many_arguments)]
fn append_record(
    msg: &mut Vec<u8>,
    key_name: &[u8],
    algorithm: &[u8],
    time: u64,
    mac: &[u8],
    original_id: u16,
    error: u16,
    other: &[u8],
) {
    msg.extend_from_slice(key_name);
    msg.extend_from_slice(&TSIG_TYPE.to_be_bytes());
    msg.extend_from_slice(&CLASS_ANY.to_be_bytes());
    msg.extend_from_slice(&0u32.to_be_bytes());
    let rdlen = algorithm.len() + 6 + 2 + 2 + mac.len() + 2 + 2 + 2 + other.len();
    msg.extend_from_slice(&(rdlen as u16).to_be_bytes());
    msg.extend_from_slice(algorithm);
    msg.extend_from_slice(&time.to_be_bytes()[2..]);
    msg.extend_from_slice(&DEFAULT_FUDGE.to_be_bytes());
    msg.extend_from_slice(&(mac.len() as u16).to_be_bytes());
    msg.extend_from_slice(mac);
    msg.extend_from_slice(&original_id.to_be_bytes());
    msg.extend_from_slice(&error.to_be_bytes());
    msg.extend_from_slice(&(other.len() as u16).to_be_bytes());
    msg.extend_from_slice(other);
    let ar = u16::from_be_bytes([msg[10], msg[11]]).wrapping_add(1);
    msg[10..12].copy_from_slice(&ar.to_be_bytes());
}

/// A fresh secret for `daned tsig-keygen`: 32 random octets (the HMAC-SHA256 block size is
/// more than enough, RFC 8945 section 6).
pub fn generate_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 32];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret);
    secret
}
