//! daned: an authoritative DNS server for mail domains.
//!
//! Where things are:
//! - a DNS question is answered in [`answer`] (one place, for UDP and TCP alike);
//! - the zones it reads are the immutable wire-form snapshot of `zones::snapshot`;
//! - the network front is [`net`] (UDP workers, TCP), transfers are in [`xfr`];
//! - configuration is [`config`], transfer ACLs [`acl`], the running server [`daemon`];
//! - signatures are made in the `signer` crate;
//! - `daned fixture` (a DANE test domain with faults on demand) is [`fixture`], `daned doctor`
//!   (a domain as a DANE sender sees it) is [`doctor`], both speak SMTP through [`smtp`].

pub mod acl;
pub mod answer;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod doctor;
pub mod fixture;
pub mod lifecycle;
pub mod net;
pub mod notify;
pub mod observe;
pub mod pipeline;
pub mod policy;
pub mod signing;
pub mod simulate;
pub mod smtp;
pub mod tlsa;
pub mod tsig;
pub mod xfr;
