//! TSIG (RFC 8945): shared-secret authentication of transfers, SOA checks and NOTIFY.
//!
//! Messages stay in wire form: a request's TSIG record is found by walking the message, the
//! MAC is computed over the bytes RFC 8945 section 4.3 lists (with `ring::hmac`), and a
//! response is signed by appending a TSIG record to the finished message. Multi-message
//! responses (AXFR, IXFR) chain each MAC to the previous one (section 5.3.1).

use core::fmt;

use ring::hmac;

/// The TSIG record type.
const TSIG_TYPE: u16 = 250;
/// Class ANY, which TSIG records carry.
const CLASS_ANY: u16 = 255;
/// Allowed clock difference when the request does not say otherwise (RFC 8945 section 10).
pub const DEFAULT_FUDGE: u16 = 300;

//------------ The configured keys -------------------------------------------

/// The `[[tsig_key]]`s of the configuration. The query path loads them without locking; a
/// reload of the configuration replaces them as a whole.
static KEYS: std::sync::LazyLock<arc_swap::ArcSwap<Vec<TsigKey>>> =
    std::sync::LazyLock::new(|| arc_swap::ArcSwap::from_pointee(Vec::new()));

/// Installs the configured keys (at start, and again at every reload of the configuration).
pub fn install_keys(keys: Vec<TsigKey>) {
    KEYS.store(std::sync::Arc::new(keys));
}

/// The configured keys.
pub fn keys() -> std::sync::Arc<Vec<TsigKey>> {
    KEYS.load_full()
}

/// The configured key called `name`.
pub fn key_named(name: &str) -> Option<TsigKey> {
    keys()
        .iter()
        .find(|k| k.name.eq_ignore_ascii_case(name.trim_end_matches('.')))
        .cloned()
}

//------------ Algorithms and keys -------------------------------------------

/// A TSIG MAC algorithm (RFC 8945 section 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsigAlgorithm {
    /// hmac-sha1 (for old secondaries).
    HmacSha1,
    /// hmac-sha256 (the default).
    HmacSha256,
    /// hmac-sha512.
    HmacSha512,
}

impl TsigAlgorithm {
    /// Parses the configuration / BIND name ("hmac-sha256", case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim_end_matches('.').to_ascii_lowercase().as_str() {
            "hmac-sha1" => Some(Self::HmacSha1),
            "hmac-sha256" => Some(Self::HmacSha256),
            "hmac-sha512" => Some(Self::HmacSha512),
            _ => None,
        }
    }

    /// The algorithm name as it appears in TSIG records, in lowercase wire form.
    pub fn wire_name(self) -> &'static [u8] {
        match self {
            Self::HmacSha1 => b"\x09hmac-sha1\x00",
            Self::HmacSha256 => b"\x0bhmac-sha256\x00",
            Self::HmacSha512 => b"\x0bhmac-sha512\x00",
        }
    }

    /// The ring algorithm.
    fn ring(self) -> hmac::Algorithm {
        match self {
            Self::HmacSha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Self::HmacSha256 => hmac::HMAC_SHA256,
            Self::HmacSha512 => hmac::HMAC_SHA512,
        }
    }
}

impl fmt::Display for TsigAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::HmacSha1 => "hmac-sha1",
            Self::HmacSha256 => "hmac-sha256",
            Self::HmacSha512 => "hmac-sha512",
        })
    }
}

/// A named shared secret.
#[derive(Clone)]
pub struct TsigKey {
    /// Key name as configured (e.g. "sec1").
    pub name: String,
    /// Lowercase wire form of the key name.
    pub wire_name: Box<[u8]>,
    /// MAC algorithm.
    pub algorithm: TsigAlgorithm,
    /// The ring key.
    key: hmac::Key,
}

impl fmt::Debug for TsigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TsigKey({} {})", self.name, self.algorithm)
    }
}

impl TsigKey {
    /// A key from its name, algorithm and secret bytes; `None` for a name that is not a
    /// valid domain name.
    pub fn new(name: &str, algorithm: TsigAlgorithm, secret: &[u8]) -> Option<Self> {
        let mut wire = Vec::new();
        for label in name.trim_end_matches('.').split('.') {
            if label.is_empty() || label.len() > 63 {
                return None;
            }
            wire.push(label.len() as u8);
            wire.extend(label.bytes().map(|b| b.to_ascii_lowercase()));
        }
        wire.push(0);
        Some(Self {
            name: name.trim_end_matches('.').to_string(),
            wire_name: wire.into_boxed_slice(),
            algorithm,
            key: hmac::Key::new(algorithm.ring(), secret),
        })
    }
}

//------------ Errors --------------------------------------------------------

/// TSIG error codes (RFC 8945 section 5.2), sent in the TSIG record of the response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsigError {
    /// 16: the MAC does not verify.
    BadSig,
    /// 17: no such key (or the algorithm differs).
    BadKey,
    /// 18: the time signed is outside the fudge.
    BadTime,
}

impl TsigError {
    /// The code.
    pub fn code(self) -> u16 {
        match self {
            Self::BadSig => 16,
            Self::BadKey => 17,
            Self::BadTime => 18,
        }
    }
}

//------------ Request verification -------------------------------------------

/// A TSIG record found at the end of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsigRecord {
    /// Offset of the record in the message.
    pub start: usize,
    /// Lowercase wire key name.
    pub key_name: Vec<u8>,
    /// Lowercase wire algorithm name.
    pub algorithm: Vec<u8>,
    /// Time signed (48 bits).
    pub time_signed: u64,
    /// Fudge.
    pub fudge: u16,
    /// The MAC.
    pub mac: Vec<u8>,
    /// The message ID when it was signed.
    pub original_id: u16,
    /// Error field.
    pub error: u16,
    /// Other data (the server's time in a BADTIME response, RFC 8945 section 5.2.3).
    pub other: Vec<u8>,
}

/// The outcome of checking a request's TSIG.
#[derive(Debug)]
pub enum Verified<'k> {
    /// No TSIG record.
    Unsigned,
    /// Signed with `key`; the request MAC for signing the response.
    Signed {
        /// The key.
        key: &'k TsigKey,
        /// The request's MAC.
        mac: Vec<u8>,
    },
    /// Signed, but wrong: answer NOTAUTH with this error (signed when the key is known).
    Failed {
        /// The error.
        error: TsigError,
        /// The key when it is known (BADSIG, BADTIME); the error response is then signed
        /// only for BADTIME (RFC 8945 section 5.3.2).
        key: Option<&'k TsigKey>,
        /// The request's TSIG record.
        record: TsigRecord,
    },
    /// The TSIG record is malformed or not last: FORMERR.
    Malformed,
}

/// Checks the TSIG of `msg` (if any) against `keys` at time `now` (seconds).
pub fn verify_request<'k>(msg: &[u8], keys: &'k [TsigKey], now: u64) -> Verified<'k> {
    let record = match find_tsig(msg) {
        Ok(None) => return Verified::Unsigned,
        Ok(Some(r)) => r,
        Err(MalformedTsig) => return Verified::Malformed,
    };
    let Some(key) = keys
        .iter()
        .find(|k| *k.wire_name == *record.key_name && k.algorithm.wire_name() == record.algorithm)
    else {
        return Verified::Failed {
            error: TsigError::BadKey,
            key: None,
            record,
        };
    };
    let mut ctx = hmac::Context::with_key(&key.key);
    digest_message(&mut ctx, msg, &record);
    digest_variables(
        &mut ctx,
        &record.key_name,
        &record.algorithm,
        record.time_signed,
        record.fudge,
        record.error,
        &[],
    );
    if !mac_matches(ctx, &record.mac) {
        return Verified::Failed {
            error: TsigError::BadSig,
            key: Some(key),
            record,
        };
    }
    if now.abs_diff(record.time_signed) > u64::from(record.fudge) {
        return Verified::Failed {
            error: TsigError::BadTime,
            key: Some(key),
            record,
        };
    }
    Verified::Signed {
        key,
        mac: record.mac,
    }
}

/// True when `mac` is the MAC `ctx` computes, or an allowed truncation of it: at least half
/// of it and at least 10 octets (RFC 8945 section 5.2.2.1).
fn mac_matches(ctx: hmac::Context, mac: &[u8]) -> bool {
    let expected = ctx.sign();
    let full = expected.as_ref();
    let n = mac.len();
    n <= full.len() && n >= 10.max(full.len() / 2) && constant_time_eq(&full[..n], mac)
}

/// Compares without leaking where the first difference is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Feeds the message as RFC 8945 section 4.3.1 wants it: without its TSIG record, ARCOUNT
/// one less, and the original ID in place.
fn digest_message(ctx: &mut hmac::Context, msg: &[u8], record: &TsigRecord) {
    let mut header = [0u8; 12];
    header.copy_from_slice(&msg[..12]);
    header[..2].copy_from_slice(&record.original_id.to_be_bytes());
    let ar = u16::from_be_bytes([header[10], header[11]]).saturating_sub(1);
    header[10..12].copy_from_slice(&ar.to_be_bytes());
    ctx.update(&header);
    ctx.update(&msg[12..record.start]);
}

/// Feeds the TSIG variables (RFC 8945 section 4.3.3).
fn digest_variables(
    ctx: &mut hmac::Context,
    key_name: &[u8],
    algorithm: &[u8],
    time_signed: u64,
    fudge: u16,
    error: u16,
    other: &[u8],
) {
    ctx.update(key_name);
    ctx.update(&CLASS_ANY.to_be_bytes());
    ctx.update(&0u32.to_be_bytes());
    ctx.update(algorithm);
    ctx.update(&time_signed.to_be_bytes()[2..]);
    ctx.update(&fudge.to_be_bytes());
    ctx.update(&error.to_be_bytes());
    ctx.update(&(other.len() as u16).to_be_bytes());
    ctx.update(other);
}

/// A message whose TSIG record is malformed or not the last record (answered FORMERR).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed message or TSIG record not last (RFC 8945 section 5.1)")]
pub struct MalformedTsig;

/// Finds the TSIG record, which must be the last record of the message (RFC 8945 section
/// 5.1).
pub fn find_tsig(msg: &[u8]) -> Result<Option<TsigRecord>, MalformedTsig> {
    if msg.len() < 12 {
        return Err(MalformedTsig);
    }
    let count = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]) as usize;
    let (qd, an, ns, ar) = (count(4), count(6), count(8), count(10));
    let mut pos = 12;
    for _ in 0..qd {
        pos = skip_name(msg, pos).ok_or(MalformedTsig)? + 4;
    }
    let total = an + ns + ar;
    for i in 0..total {
        let start = pos;
        let (name_end, name) = read_name(msg, pos).ok_or(MalformedTsig)?;
        let fixed = msg.get(name_end..name_end + 10).ok_or(MalformedTsig)?;
        let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        let rdlen = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
        let rdata = name_end + 10;
        let end = rdata + rdlen;
        if end > msg.len() {
            return Err(MalformedTsig);
        }
        if rtype == TSIG_TYPE {
            if i != total - 1 || ar == 0 {
                return Err(MalformedTsig);
            }
            let rd = &msg[rdata..end];
            let (alg_end, algorithm) = read_name(msg, rdata).ok_or(MalformedTsig)?;
            let o = alg_end - rdata;
            let field = |at: usize, len: usize| rd.get(o + at..o + at + len).ok_or(MalformedTsig);
            let t = field(0, 6)?;
            let time_signed = u64::from_be_bytes([0, 0, t[0], t[1], t[2], t[3], t[4], t[5]]);
            let fudge = u16::from_be_bytes(field(6, 2)?.try_into().map_err(|_| MalformedTsig)?);
            let mac_len =
                u16::from_be_bytes(field(8, 2)?.try_into().map_err(|_| MalformedTsig)?) as usize;
            let mac = field(10, mac_len)?.to_vec();
            let rest = 10 + mac_len;
            let original_id =
                u16::from_be_bytes(field(rest, 2)?.try_into().map_err(|_| MalformedTsig)?);
            let error =
                u16::from_be_bytes(field(rest + 2, 2)?.try_into().map_err(|_| MalformedTsig)?);
            let other_len =
                u16::from_be_bytes(field(rest + 4, 2)?.try_into().map_err(|_| MalformedTsig)?);
            let other = field(rest + 6, usize::from(other_len))?.to_vec();
            return Ok(Some(TsigRecord {
                start,
                key_name: name,
                algorithm,
                time_signed,
                fudge,
                mac,
                original_id,
                error,
                other,
            }));
        }
        pos = end;
    }
    Ok(None)
}

/// Skips a possibly compressed name; the offset after it.
fn skip_name(msg: &[u8], pos: usize) -> Option<usize> {
    read_name(msg, pos).map(|(end, _)| end)
}

/// Reads a possibly compressed name: the offset after it in place, and its lowercase
/// uncompressed wire form.
fn read_name(msg: &[u8], mut pos: usize) -> Option<(usize, Vec<u8>)> {
    let mut out = Vec::new();
    let mut end = None;
    for _ in 0..128 {
        let len = *msg.get(pos)? as usize;
        if len & 0xc0 == 0xc0 {
            let lo = *msg.get(pos + 1)? as usize;
            end.get_or_insert(pos + 2);
            pos = ((len & 0x3f) << 8) | lo;
            continue;
        }
        if len & 0xc0 != 0 {
            return None;
        }
        out.push(len as u8);
        if len == 0 {
            return Some((end.unwrap_or(pos + 1), out));
        }
        out.extend(
            msg.get(pos + 1..pos + 1 + len)?
                .iter()
                .map(u8::to_ascii_lowercase),
        );
        if out.len() > 255 {
            return None;
        }
        pos += 1 + len;
    }
    None
}

//------------ Response verification ------------------------------------------

/// Why the response to a request of our own, signed with a key, is not accepted (RFC 8945
/// section 5.4: the client checks the response's TSIG as the server checked the request's).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseTsigError {
    /// The response carries no TSIG record although the request was signed.
    #[error("the response is not signed")]
    Unsigned,
    /// The TSIG record is malformed or not the last record (RFC 8945 section 5.1).
    #[error(transparent)]
    Malformed(#[from] MalformedTsig),
    /// Signed with another key name or algorithm than the request.
    #[error("the response is signed with another key or algorithm")]
    WrongKey,
    /// The peer refused the request's signature: the TSIG error it reports (16 BADSIG, 17
    /// BADKEY, 18 BADTIME, RFC 8945 section 5.2).
    #[error("the peer rejected the request's TSIG: {}", error_name(*.0))]
    Rejected(u16),
    /// The response's MAC does not verify with the key (RFC 8945 section 5.4.2).
    #[error("the response's MAC does not verify")]
    BadSig,
    /// The response was signed too far from our time (RFC 8945 section 5.4.3).
    #[error("the response's time signed is {signed}, outside our time {now} +/- {fudge} s")]
    BadTime {
        /// Time signed in the response.
        signed: u64,
        /// Our time.
        now: u64,
        /// The response's fudge.
        fudge: u16,
    },
}

/// The mnemonic of a TSIG error code, with the code.
fn error_name(code: u16) -> String {
    match code {
        16 => "BADSIG (16)".into(),
        17 => "BADKEY (17)".into(),
        18 => "BADTIME (18)".into(),
        22 => "BADTRUNC (22)".into(),
        other => format!("error {other}"),
    }
}

/// Checks the TSIG of `msg`, the response to a request we signed with `key` whose MAC was
/// `request_mac`, at time `now` (seconds). The MAC covers the request MAC, the response
/// without its TSIG record and the TSIG variables (RFC 8945 section 4.3.2).
pub fn verify_response(
    msg: &[u8],
    key: &TsigKey,
    request_mac: &[u8],
    now: u64,
) -> Result<(), ResponseTsigError> {
    let record = find_tsig(msg)?.ok_or(ResponseTsigError::Unsigned)?;
    if *key.wire_name != *record.key_name || key.algorithm.wire_name() != record.algorithm {
        return Err(ResponseTsigError::WrongKey);
    }
    // BADSIG and BADKEY answers are unsigned (RFC 8945 section 5.3.2): the error is all there is.
    if record.error != 0 && record.mac.is_empty() {
        return Err(ResponseTsigError::Rejected(record.error));
    }
    let mut ctx = hmac::Context::with_key(&key.key);
    ctx.update(&(request_mac.len() as u16).to_be_bytes());
    ctx.update(request_mac);
    digest_message(&mut ctx, msg, &record);
    digest_variables(
        &mut ctx,
        &record.key_name,
        &record.algorithm,
        record.time_signed,
        record.fudge,
        record.error,
        &record.other,
    );
    if !mac_matches(ctx, &record.mac) {
        return Err(ResponseTsigError::BadSig);
    }
    if record.error != 0 {
        return Err(ResponseTsigError::Rejected(record.error));
    }
    if now.abs_diff(record.time_signed) > u64::from(record.fudge) {
        return Err(ResponseTsigError::BadTime {
            signed: record.time_signed,
            now,
            fudge: record.fudge,
        });
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TsigKey {
        TsigKey::new(
            "sec1",
            TsigAlgorithm::HmacSha256,
            b"0123456789abcdef0123456789abcdef",
        )
        .unwrap()
    }

    fn query() -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x07example\x03com\x00\x00\xfc\x00\x01");
        q
    }

    #[test]
    fn a_request_signed_with_the_key_verifies_and_tampering_is_badsig() {
        let k = key();
        let mut q = query();
        ResponseSigner::for_request(&k, 0x1234, 1_800_000_000).sign(&mut q);
        let keys = [k.clone()];
        assert!(matches!(
            verify_request(&q, &keys, 1_800_000_010),
            Verified::Signed { .. }
        ));
        let mut bad = q.clone();
        bad[15] ^= 1;
        assert!(matches!(
            verify_request(&bad, &keys, 1_800_000_010),
            Verified::Failed {
                error: TsigError::BadSig,
                ..
            }
        ));
        assert!(matches!(
            verify_request(&q, &keys, 1_800_001_000),
            Verified::Failed {
                error: TsigError::BadTime,
                ..
            }
        ));
        let other = [TsigKey::new("sec2", TsigAlgorithm::HmacSha256, b"x").unwrap()];
        assert!(matches!(
            verify_request(&q, &other, 1_800_000_010),
            Verified::Failed {
                error: TsigError::BadKey,
                ..
            }
        ));
        assert!(matches!(
            verify_request(&query(), &keys, 0),
            Verified::Unsigned
        ));
    }

    #[test]
    fn a_tsig_that_is_not_last_is_malformed() {
        let k = key();
        let mut q = query();
        ResponseSigner::for_request(&k, 0x1234, 1).sign(&mut q);
        // Add an OPT after the TSIG.
        q.extend_from_slice(&[0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]);
        q[11] += 1;
        assert!(matches!(verify_request(&q, &[k], 1), Verified::Malformed));
    }

    #[test]
    fn a_response_signed_with_the_request_mac_verifies_and_nothing_else_does() {
        let k = key();
        let mut q = query();
        let mut request_signer = ResponseSigner::for_request(&k, 0x1234, 1_800_000_000);
        request_signer.sign(&mut q);
        let request_mac = request_signer.mac().to_vec();
        assert_eq!(request_mac.len(), 32);
        let mut reply = query();
        reply[2] |= 0x80;
        ResponseSigner::new(&k, request_mac.clone(), 0x1234, 1_800_000_005).sign(&mut reply);
        assert_eq!(
            verify_response(&reply, &k, &request_mac, 1_800_000_010),
            Ok(())
        );
        // The MAC chains to the request: another request MAC does not verify.
        assert_eq!(
            verify_response(&reply, &k, &[0; 32], 1_800_000_010),
            Err(ResponseTsigError::BadSig)
        );
        let mut bad = reply.clone();
        bad[13] ^= 1;
        assert_eq!(
            verify_response(&bad, &k, &request_mac, 1_800_000_010),
            Err(ResponseTsigError::BadSig)
        );
        assert!(matches!(
            verify_response(&reply, &k, &request_mac, 1_800_001_000),
            Err(ResponseTsigError::BadTime { .. })
        ));
        let other = TsigKey::new("sec2", TsigAlgorithm::HmacSha256, b"x").unwrap();
        assert_eq!(
            verify_response(&reply, &other, &request_mac, 1_800_000_010),
            Err(ResponseTsigError::WrongKey)
        );
        let mut unsigned = query();
        unsigned[2] |= 0x80;
        assert_eq!(
            verify_response(&unsigned, &k, &request_mac, 1_800_000_010),
            Err(ResponseTsigError::Unsigned)
        );
    }

    #[test]
    fn an_unsigned_badkey_error_is_the_peer_rejecting_the_request() {
        let k = key();
        let mut q = query();
        ResponseSigner::for_request(&k, 0x1234, 1_800_000_000).sign(&mut q);
        let Ok(Some(record)) = find_tsig(&q) else {
            panic!("the signed request has a TSIG record");
        };
        let mut reply = query();
        reply[2] |= 0x80;
        append_unsigned_error(&mut reply, &record, TsigError::BadKey);
        assert_eq!(
            verify_response(&reply, &k, &record.mac, 1_800_000_000),
            Err(ResponseTsigError::Rejected(17))
        );
        assert!(
            ResponseTsigError::Rejected(17)
                .to_string()
                .contains("BADKEY")
        );
    }
}
