//! The control socket: a unix socket in `state_dir` (mode 0600, its owner only) through which
//! `daned status`, `daned reload`, `daned keys roll` and `daned fixture fault` talk to the
//! running daemon. One request per connection, one JSON object per line each way
//! ([`protocol`]); [`socket`] is the daemon's side, [`client`] the command line's. Signals
//! stay the fallback when no socket answers.

pub mod client;
pub mod protocol;
pub mod socket;

/// The socket's name inside `state_dir` (and inside a fixture's folder).
pub const SOCKET_FILE: &str = "daned.sock";
