//! TSIG (RFC 8945): shared-secret authentication of transfers, SOA checks and NOTIFY.
//!
//! Messages stay in wire form: a request's TSIG record is found by walking the message, the
//! MAC is computed over the bytes RFC 8945 section 4.3 lists (with `ring::hmac`), and a
//! response is signed by appending a TSIG record to the finished message. Multi-message
//! responses (AXFR, IXFR) chain each MAC to the previous one (section 5.3.1).
//!
//! Replays: a signed request is accepted again as long as its time signed is within the fudge
//! of our clock. There is no replay cache, on purpose: RFC 8945 section 5.2.3 requires only
//! the time check, BIND, Knot and NSD accept replays within the fudge too, and what a replay
//! gains is small (a transfer or SOA answer that the key's holder could fetch anyway, sent to
//! the address the TCP connection comes from). A cache would have to be shared by every UDP
//! worker and TCP task, and would refuse a secondary's legitimate retry of the same message.

use core::fmt;

use ring::hmac;

mod record;
mod response;
mod sign;

pub use record::*;
pub use response::*;
pub use sign::*;

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

#[cfg(test)]
mod tests;
