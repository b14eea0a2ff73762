//! The `daned` command: [`args`] is the command line, and each verb has its module with its
//! arguments and one `execute` function that `main.rs` calls. Errors are `anyhow` here and
//! nowhere else in the library: this is the edge where they become a message and an exit code.

pub mod args;
pub mod check;
pub mod demo;
pub mod dkim;
pub mod doctor;
pub mod ds;
pub mod fixture;
pub mod keys;
pub mod reload;
pub mod serve;
pub mod simulate;
pub mod status;
pub mod timeline;
pub mod tlsa;
pub mod tsig_keygen;
pub mod update;
mod zone_arg;
