//! DANE for SMTP (RFC 6698, RFC 7671, RFC 7672): what a certificate means as TLSA records and
//! what a sender sees.
//!
//! [`derive`] is the pure step: certificate or key in, TLSA rdata out; [`file`] reads the
//! certificate and key files without blocking on a FIFO or reading a device without end. [`probe`] asks the MTA
//! which certificate it presents, over the STARTTLS client of [`smtp`]. The daemon's TLSA
//! management (which records are published, next or retiring) is `daemon::tlsa`; the doctor
//! and the fixture use this module, never the daemon's internals.

pub mod derive;
pub mod file;
pub mod matcher;
pub mod probe;
pub mod smtp;
