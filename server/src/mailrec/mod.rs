//! Mail records that follow files: DKIM public keys (RFC 6376, RFC 8463, RFC 8301) with
//! two-selector rotation, as one more source of changes for the zone driver.
//!
//! [`dkim`] turns key files into records and holds the selector lifecycle (current, next,
//! retiring, revoked); [`manager`] is the source the zone driver asks for changes, like the
//! TLSA manager (`daemon::tlsa::manager`); [`status`] is what `daned dkim status|ready` print.

pub mod dkim;
pub mod manager;
pub mod status;
