//! DKIM public keys in the zone (RFC 6376 section 3.6, RFC 8463, RFC 8301).
//!
//! [`record`] turns a key file into the TXT record, [`lifecycle`] says which record each
//! selector publishes and when, [`state`] keeps what must survive a restart.

pub mod lifecycle;
pub mod record;
pub mod state;

pub use lifecycle::{DkimBinding, Role};
