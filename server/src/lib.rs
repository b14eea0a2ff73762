//! daned: an authoritative DNS server for mail domains.
//!
//! Where things are:
//! - a DNS question is answered in [`answer`] (one place, for UDP and TCP alike);
//! - the zones it reads are the immutable wire-form snapshot of `zones::snapshot`;
//! - signatures are made in the `signer` crate.

pub mod answer;
pub mod tlsa;
