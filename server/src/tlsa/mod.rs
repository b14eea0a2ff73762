//! TLSA records from the mail servers' certificates (RFC 6698, RFC 7671, RFC 7672).
//!
//! [`derive`] is the pure step: certificate or key in, TLSA rdata out. [`publish`] turns the
//! configured bindings into the managed RRsets of a zone version, [`retire`] keeps a key that
//! left the files until no sender needs it, [`state`] persists what must survive a restart
//! (first publication, retirement deadlines, unsafe rollovers, probe outcomes), [`probe`] asks
//! the MTA which certificate it presents, and [`watch`] wakes the daemon when a certificate or
//! key file changes.

pub mod derive;
pub mod probe;
pub mod publish;
pub mod retire;
pub mod state;
pub mod watch;
