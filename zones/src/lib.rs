//! daned's zone model.
//!
//! Everything a zone is, independent of crypto and sockets: owner names and RRsets in canonical
//! order ([`zone`]), record data in uncompressed wire form with the few facts the server needs
//! about embedded names ([`rdata`]), the NSEC/NSEC3 type bitmap ([`bitmap`]), the RFC 1035 master-file loader that reports file and line
//! ([`master`]), the semantic checks run at load ([`check`]), presentation-format output
//! ([`present`]), the immutable wire-form
//! snapshot that the query path reads ([`snapshot`]), and the small helpers every crate shares:
//! UTC calendar time ([`time`]), state file names ([`file_name`]) and atomic file writes ([`fs`]).

pub mod bitmap;
pub mod check;
pub mod diff;
pub mod file_name;
pub mod fs;
pub mod journal;
pub mod master;
pub mod present;
mod quote;
pub mod rdata;
pub mod record;
pub(crate) mod registry;
pub mod safe_read;
pub mod saved;
pub mod serial;
pub mod snapshot;
pub mod time;
pub mod zone;

pub use file_name::file_stem;
pub use record::{Class, Name, Rdata, Record, Rtype, Ttl};
pub use zone::{Rrset, Zone};
