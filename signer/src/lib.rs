//! daned's DNSSEC signer (no networking, no system clock: `now` is always an argument).
//!
//! One module per RFC mechanism: key material and DNSKEY ([`key`]), key files ([`keystore`]),
//! signatures ([`rrsig`]), authenticated denial ([`nsec`], [`nsec3`]), delegation signer digests
//! ([`ds`]), whole-zone signing that ties them together ([`sign`]), signing of one change in
//! proportion to its size ([`incremental`]) and when signatures come due ([`schedule`]). Times are
//! [`time::Timestamp`] values supplied by the caller.

pub mod clock;
pub mod ds;
pub mod incremental;
pub mod key;
pub mod keystore;
mod names;
pub mod nsec;
pub mod nsec3;
pub mod phase;
pub mod rollover;
pub mod rrsig;
pub mod schedule;
pub mod sign;
pub mod signed_data;
pub mod time;
mod wire;

pub use clock::{Clock, ManualClock, SystemClock};
pub use incremental::{Change, refresh, sign_change};
pub use key::{Algorithm, Dnskey, KeyRole, RingSigningKey, SigningKey};
pub use rrsig::{SignedData, ValidityWindow, sign_rrset};
pub use schedule::SignatureSchedule;
pub use sign::{
    Denial, SignError, SignatureSet, SigningKeyEntry, SigningParams, apply_signatures,
    next_resign_time, prepare_zone, resign_zone, sign_rrsets, sign_zone, signable_rrsets,
};
pub use time::Timestamp;
