//! TLSA records from the mail servers' certificates (RFC 6698, RFC 7671, RFC 7672).
//!
//! [`derive`] is the pure step: certificate or key in, TLSA rdata out. [`publish`] turns the
//! configured bindings into the managed RRsets of a zone version, and [`watch`] wakes the
//! daemon when a certificate or key file changes.

pub mod derive;
pub mod probe;
pub mod publish;
pub mod state;
pub mod watch;
