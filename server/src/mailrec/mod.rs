//! Mail records that follow files: DKIM public keys (RFC 6376, RFC 8463, RFC 8301) with
//! two-selector rotation, the MTA-STS id (RFC 8461) and the TLS-RPT record (RFC 8460), as one
//! more source of changes for the zone driver.
//!
//! [`dkim`] turns key files into records and holds the selector lifecycle (current, next,
//! retiring, revoked); [`mta_sts`] checks the policy file and derives the id; [`tls_rpt`]
//! checks the report URIs; [`manager`] is the source the zone driver asks for changes, like
//! the TLSA manager (`daemon::tlsa::manager`); [`status`] is what `daned dkim status|ready`
//! print.

pub mod check;
pub mod dkim;
pub mod manager;
pub mod mta_sts;
pub mod status;
pub mod tls_rpt;
