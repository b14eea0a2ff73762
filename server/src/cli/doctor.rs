//! `daned doctor DOMAIN`: a mail domain as a DANE sender sees it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::doctor;

/// The arguments of `daned doctor`.
#[derive(clap::Args)]
pub struct DoctorArgs {
    /// The mail domain.
    domain: String,
    /// Trust anchor file (DS or DNSKEY records); the root's anchor when absent.
    #[arg(long, value_name = "FILE")]
    trust_anchor: Option<PathBuf>,
    /// Resolver to ask (ADDR:PORT); the system's (first nameserver in /etc/resolv.conf)
    /// when absent.
    #[arg(long, value_name = "ADDR:PORT")]
    resolver: Option<SocketAddr>,
    /// SMTP port (the TLSA records are looked up at _PORT._tcp).
    #[arg(long, default_value_t = 25)]
    port: u16,
    /// Seconds each network step may take.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Seconds the whole check may take (default: 10 x --timeout); what is left when it
    /// passes is reported as not checked.
    #[arg(long, value_name = "SECONDS")]
    deadline: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// A DKIM selector to check (repeatable); CNAME-delegated selectors are followed.
    #[arg(long = "dkim-selector", value_name = "SELECTOR")]
    dkim_selectors: Vec<String>,
    /// The port the MTA-STS policy host is fetched from.
    #[arg(long, default_value_t = 443)]
    mta_sts_port: u16,
    /// CA file the MTA-STS policy host's certificate must chain to (default: the system's roots).
    #[arg(long, value_name = "FILE")]
    mta_sts_ca: Option<PathBuf>,
}

/// Prints the report; success only when a DANE sender would deliver.
pub fn execute(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let domain = args.domain;
    let mut name =
        zones::Name::from_ascii(&domain).with_context(|| format!("{domain}: not a domain name"))?;
    name.set_fqdn(true);
    let timeout = args.timeout.max(1);
    let deadline = args.deadline.unwrap_or(timeout.saturating_mul(10)).max(1);
    let report = doctor::run(&doctor::DoctorOptions {
        domain: name,
        trust_anchor: args.trust_anchor,
        resolver: args.resolver,
        port: args.port,
        timeout: std::time::Duration::from_secs(timeout),
        deadline: std::time::Duration::from_secs(deadline),
        mail: doctor::mail::MailOptions {
            dkim_selectors: args.dkim_selectors,
            mta_sts_port: args.mta_sts_port,
            mta_sts_ca: args.mta_sts_ca,
        },
    })?;
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(if report.delivers() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
