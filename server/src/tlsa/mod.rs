//! TLSA records from the mail servers' certificates (RFC 6698, RFC 7671, RFC 7672).
//!
//! [`derive`] is the pure step: certificate or key in, TLSA rdata out. Watching the files and
//! the pre-publication rollover build on it.

pub mod derive;
