//! SMTP (RFC 5321) as daned needs it: a client that asks a mail server for STARTTLS (RFC 3207)
//! and records the certificate chain it presents, so that the published TLSA records can be
//! compared with what DANE senders (RFC 7672) really see.

pub mod client;
pub mod server;

pub use client::{ProbeError, StarttlsSession, starttls};
