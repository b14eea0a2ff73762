//! The command line: `daned [VERB]`, one [`Command`] per verb, each verb's arguments beside
//! its code in `cli/`.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

use crate::cli::check::CheckArgs;
use crate::cli::dkim::DkimArgs;
use crate::cli::doctor::DoctorArgs;
use crate::cli::ds::DsArgs;
use crate::cli::fixture::FixtureArgs;
use crate::cli::keys::KeysArgs;
use crate::cli::reload::ReloadArgs;
use crate::cli::serve::ServeArgs;
use crate::cli::simulate::SimulateArgs;
use crate::cli::status::StatusArgs;
use crate::cli::timeline::TimelineArgs;
use crate::cli::tlsa::TlsaArgs;
use crate::cli::tsig_keygen::TsigKeygenArgs;
use crate::cli::update::UpdateArgs;

/// Authoritative DNS server for mail domains.
#[derive(Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do; without a command, serve a demo zone (example.test).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Demo only: addresses to listen on (default 127.0.0.1:5300 and [::1]:5300).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Vec<SocketAddr>,
}

/// The verbs.
#[derive(Subcommand)]
pub enum Command {
    /// Serve the configured zones in the foreground.
    Serve(ServeArgs),
    /// Load the configuration and every zone, report errors and warnings.
    Check(CheckArgs),
    /// Ask the running daemon to reload changed zone files (control socket; SIGHUP fallback).
    Reload(ReloadArgs),
    /// Where every zone of the running daemon stands (serial, keys, TLSA, secondaries).
    Status(StatusArgs),
    /// Print the DS records to give the parent for a signed zone (its active KSK/CSK).
    Ds(DsArgs),
    /// List a zone's keys (algorithm, tag, role, state), or import BIND key files.
    Keys(KeysArgs),
    /// Run the zone's signer, policy and key rollovers over virtual time and write, for each
    /// moment something changed, the signed zone (DIR/<YYYYMMDDhhmmss>.zone) and the parent's
    /// DS RRset (DIR/<same>.ds), the parent following CDS after --parent-delay.
    Simulate(SimulateArgs),
    /// A zone's past and planned events (keys, DS, signatures, TLSA, certificates) as a
    /// table, and as an SVG chart with --svg.
    Timeline(TimelineArgs),
    /// Serve a DANE test fixture: a signed mail domain with MX, TLSA and a STARTTLS endpoint,
    /// its trust anchor and an unbound configuration, with faults on demand.
    #[command(args_conflicts_with_subcommands = true)]
    Fixture(FixtureArgs),
    /// Check a mail domain the way a DANE sender sees it; exit 0 only when it would deliver.
    Doctor(DoctorArgs),
    /// Make a new TSIG key and print it for daned, BIND and Knot.
    TsigKeygen(TsigKeygenArgs),
    /// Print TLSA record data for a certificate (PEM or DER), like hash-slinger's `tlsa`.
    #[command(args_conflicts_with_subcommands = true)]
    Tlsa(TlsaArgs),
    /// The DKIM selectors of `[[zone.dkim]]`: `status`, and `ready` for a signer's switch.
    Dkim(DkimArgs),
    /// List or clear the records DNS UPDATE added to and deleted from a zone.
    Update(UpdateArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
