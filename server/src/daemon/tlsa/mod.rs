//! The daemon's TLSA records, derived from the mail servers' certificates (RFC 7671 section 8).
//!
//! [`publish`] turns the configured bindings into the managed RRsets of a zone version,
//! [`retire`] keeps a key that left the files until no sender needs it, [`state`] persists
//! what must survive a restart (first publication, retirement deadlines, unsafe rollovers,
//! probe outcomes), and [`watch`] wakes the daemon when a certificate or key file changes.

pub mod manager;
pub mod publish;
pub mod retire;
pub mod state;
pub mod status;
pub mod watch;
