//! `daned status -c FILE [--json]`: where every zone of the running daemon stands, asked on
//! its control socket: serial, signed or not, keys and the next key event, TLSA, the
//! secondaries' serials as last seen, the last reload error.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::config::Config;
use crate::control::client;
use crate::control::protocol::{Reply, Request};
use crate::daemon::lifecycle::utc;
use crate::daemon::state_view::{NextKeyView, ParentDs, ReloadView, Signing, ZoneStateView};

/// The arguments of `daned status`.
#[derive(clap::Args)]
pub struct StatusArgs {
    /// Configuration file.
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
    /// Print the status as JSON (one object: `zones`, `config_error`).
    #[arg(long)]
    json: bool,
}

/// Asks the daemon and prints what it says.
pub fn execute(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let path = config.server.state_dir.join(crate::control::SOCKET_FILE);
    let reply = client::ask(&path, &Request::Status, Duration::from_secs(10))
        .context("is daned running with this configuration?")?;
    match reply {
        Reply::Status {
            zones,
            config_error,
        } => {
            if args.json {
                let json = serde_json::json!({ "zones": zones, "config_error": config_error });
                println!("{}", serde_json::to_string_pretty(&json)?);
            } else {
                if let Some(e) = &config_error {
                    println!("configuration not reloaded (the running one stays): {e}\n");
                }
                for z in &zones {
                    print!("{}", text(z));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Reply::Error { message } => anyhow::bail!("daned: {message}"),
        Reply::Done { message, .. } => anyhow::bail!("unexpected reply: {message}"),
    }
}

/// A time for people (`-` when unknown).
fn at(t: Option<u64>) -> String {
    t.map_or_else(|| "-".into(), |t| utc(signer::Timestamp(t)))
}

/// One zone as text.
pub fn text(z: &ZoneStateView) -> String {
    let mut out = String::new();
    let signed = match z.signing {
        Signing::Signed => "signed",
        Signing::Unsigned => "unsigned",
    };
    let _ = writeln!(out, "zone {}  serial {}  {signed}", z.zone, z.serial);
    let _ = writeln!(out, "  last change        {}", at(z.last_change));
    let reload = match &z.last_reload {
        ReloadView::NotYet => "not reloaded since start".to_string(),
        ReloadView::Loaded { at: t } => format!("ok at {}", at(Some(*t))),
        ReloadView::Failed { at: t, error } => format!("FAILED at {}: {error}", at(Some(*t))),
    };
    let _ = writeln!(out, "  last reload        {reload}");
    if z.signing == Signing::Signed {
        let _ = writeln!(out, "  signatures expire  {}", at(z.signatures_expire));
        let _ = writeln!(out, "  next refresh       {}", at(z.next_refresh));
        for k in &z.keys {
            let _ = writeln!(
                out,
                "  key {:<5} {:<3} {:<16} {:<9} since {}  ds {}",
                k.tag,
                k.role,
                k.algorithm,
                k.phase,
                at(Some(k.since)),
                k.ds
            );
        }
        let _ = writeln!(
            out,
            "  rollover           {}",
            z.rollover.as_deref().unwrap_or("none in progress")
        );
        if let Some(e) = &z.next_key_event {
            let when = e.at.map_or_else(|| "when observed".into(), |t| at(Some(t)));
            let _ = writeln!(out, "  next key event     {when}: {}", e.description);
        }
        let ds = match &z.parent_ds {
            ParentDs::NotSigned => "-".to_string(),
            ParentDs::Unknown => "not observed".to_string(),
            ParentDs::InSync => "in sync".to_string(),
            ParentDs::OutOfSync { parent, expected } => {
                format!("OUT OF SYNC: parent {parent:?}, expected {expected:?}")
            }
        };
        let _ = writeln!(out, "  parent DS          {ds}");
    }
    for t in &z.tlsa {
        let _ = writeln!(
            out,
            "  tlsa {}  {} record(s)  certificate expires {}",
            t.name,
            t.records.len(),
            t.cert_not_after
                .map_or_else(|| "-".into(), |n| at(u64::try_from(n).ok()))
        );
        for r in &t.records {
            let _ = writeln!(out, "    {:<16} ready {}  {}", r.role, at(r.ready), r.rdata);
        }
        match &t.next_key {
            NextKeyView::None => {}
            NextKeyView::NotPublished => {
                let _ = writeln!(out, "    next key         not published");
            }
            NextKeyView::Published { ready_at } => {
                let _ = writeln!(out, "    next key         ready {}", at(Some(*ready_at)));
            }
        }
        if let Some(p) = &t.probe {
            let seen = match (p.matched, &p.error) {
                (Some(true), _) => "matches".to_string(),
                (Some(false), _) => "DOES NOT MATCH".to_string(),
                (None, Some(e)) => format!("failed: {e}"),
                (None, None) => "not probed yet".to_string(),
            };
            let _ = writeln!(out, "    probe {} at {}: {seen}", p.addr, at(p.at));
        }
        if let Some(e) = &t.files_error {
            let _ = writeln!(out, "    files unusable: {e}");
        }
    }
    for s in &z.secondaries {
        let serial = s
            .serial
            .map_or_else(|| "no answer".into(), |s| s.to_string());
        let _ = writeln!(
            out,
            "  secondary {}  serial {serial}  at {}",
            s.addr,
            at(Some(s.at))
        );
    }
    out.push('\n');
    out
}
