//! daned: an authoritative DNS server for mail domains.
//!
//! Where things are (docs/ARCHITECTURE.md has the whole shape):
//! - a DNS question is answered in [`answer`] (one place, for UDP and TCP alike), over the
//!   network front of [`net`] (UDP workers, TCP, transfer ACLs, TSIG); transfers and NOTIFY are
//!   in [`xfr`];
//! - the zones it reads are the immutable wire-form snapshot of `zones::snapshot`;
//! - every change to a zone flows through the running server's zone driver in [`daemon`];
//!   signatures are made in the `signer` crate;
//! - a certificate becomes TLSA records in [`dane`] (with the RFC 7672 view of what a sender
//!   sees and the SMTP client);
//! - `/metrics` (Prometheus) is [`metrics`], fed by counters on the query path and the zone
//!   drivers' state;
//! - configuration is [`config`]; the command's verbs are [`cli`];
//! - `daned fixture` (a DANE test domain with faults on demand) is [`fixture`], `daned doctor`
//!   (a domain as a DANE sender sees it) is [`doctor`].

pub mod answer;
pub mod cli;
pub mod clock;
pub mod config;
pub mod control;
pub mod daemon;
pub mod dane;
pub mod doctor;
pub mod fixture;
#[doc(hidden)]
pub mod fuzzing;
pub mod logging;
pub mod mailrec;
pub mod metrics;
pub mod net;
pub mod timeline;
pub mod update;
pub mod xfr;
