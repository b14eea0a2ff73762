//! `daned reload -c FILE [ZONE]`: asks the daemon running with that configuration to reload,
//! on its control socket (and waits for the outcome); SIGHUP when no socket answers (which
//! reloads every zone).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::config::Config;
use crate::control::client::{self, ClientError};
use crate::control::protocol::{Reply, Request};
use crate::daemon;

/// The arguments of `daned reload`.
#[derive(clap::Args)]
pub struct ReloadArgs {
    /// Configuration file.
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
    /// Reload only this zone's file (default: the configuration and every zone).
    zone: Option<String>,
}

/// How long a reload may take before the client stops waiting (signing a large zone).
const TIMEOUT: Duration = Duration::from_secs(300);

/// Asks the daemon whose control socket or pid file is in the configuration's state folder.
pub fn execute(args: ReloadArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let state_dir = &config.server.state_dir;
    let socket = state_dir.join(crate::control::SOCKET_FILE);
    let request = Request::Reload {
        zone: args.zone.clone(),
    };
    match client::ask(&socket, &request, TIMEOUT) {
        Ok(reply) => done(reply),
        Err(ClientError::NotRunning { .. }) => {
            let pid = daemon::signal_reload(state_dir)
                .context("is daned running with this configuration?")?;
            match args.zone {
                Some(zone) => println!(
                    "no control socket: sent SIGHUP to daned (pid {pid}), which reloads every zone, {zone} among them"
                ),
                None => println!("sent SIGHUP to daned (pid {pid})"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(e.into()),
    }
}

/// Prints the daemon's reply to a request; an error reply is a failure.
pub(crate) fn done(reply: Reply) -> anyhow::Result<ExitCode> {
    match reply {
        Reply::Done { message, serial } => {
            match serial {
                Some(s) => println!("{message} (serial {s})"),
                None => println!("{message}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Reply::Error { message } => anyhow::bail!("daned: {message}"),
        Reply::Status { .. } => anyhow::bail!("unexpected reply: a status"),
    }
}
