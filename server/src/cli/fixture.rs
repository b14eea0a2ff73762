//! `daned fixture`: a DANE test fixture served until SIGTERM/SIGINT, and `daned fixture fault`
//! to switch the running one's fault.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::fixture;

/// The arguments of `daned fixture`.
#[derive(clap::Args)]
pub struct FixtureArgs {
    /// `fault DIR NAME`: switch the running fixture's fault.
    #[command(subcommand)]
    action: Option<FixtureAction>,
    /// Folder for everything the fixture makes (created if missing).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The domain.
    #[arg(long, default_value = "example.test")]
    domain: String,
    /// DNS address (UDP and TCP); port 0 picks a free one.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:5300")]
    dns: SocketAddr,
    /// SMTP address (the MX host's address and the TLSA port); port 0 picks a free one.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:2525")]
    smtp: SocketAddr,
    /// Where the generated unbound.conf makes unbound listen.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8053")]
    resolver: SocketAddr,
    /// The MTA-STS policy host (HTTPS; mta-sts.DOMAIN has its address); port 0 (the
    /// default) picks a free one, printed in the how-to.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:0")]
    mta_sts: SocketAddr,
    /// The fault to start with (none, tlsa-mismatch, cert-expired, no-starttls,
    /// bad-signature, expired-signatures, ds-mismatch, renewal-unsafe, renewal-prepublished,
    /// dkim-revoked, dkim-missing, mta-sts-id-stale, mta-sts-mx-mismatch).
    #[arg(long, default_value = "none")]
    fault: String,
}

/// `daned fixture` actions.
#[derive(Subcommand)]
pub enum FixtureAction {
    /// Switch the fault of the fixture running in DIR; returns once it is served.
    Fault {
        /// The fixture's folder.
        dir: PathBuf,
        /// The fault.
        name: String,
    },
}

/// Serves the fixture, or switches the running one's fault.
pub fn execute(args: FixtureArgs) -> anyhow::Result<ExitCode> {
    if let Some(FixtureAction::Fault { dir, name }) = args.action {
        let fault: fixture::Fault = name.parse()?;
        let serial = fixture::switch_fault(&dir, fault, std::time::Duration::from_secs(15))?;
        println!("fault {fault} served (serial {serial})");
        return Ok(ExitCode::SUCCESS);
    }
    let dir = args
        .dir
        .context("daned fixture --dir DIR, or daned fixture fault DIR NAME")?;
    let domain = args.domain;
    let mut domain = zones::Name::from_ascii(&domain)
        .with_context(|| format!("--domain {domain}: not a domain name"))?;
    domain.set_fqdn(true);
    fixture::run(fixture::FixtureOptions {
        dir,
        domain,
        dns: args.dns,
        smtp: args.smtp,
        resolver: args.resolver,
        mta_sts: args.mta_sts,
        fault: args.fault.parse()?,
    })?;
    Ok(ExitCode::SUCCESS)
}
