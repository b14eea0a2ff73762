//! `daned timeline -c FILE ZONE [--from …] [--until …] [--svg FILE]`: a zone's past and
//! planned events (keys, the parent's DS, signatures, TLSA, certificates) as a table, and as
//! an SVG chart.
//!
//! The past is read from the zone's state; the plan is what the zone driver does from now
//! on, found by running it on a virtual clock over a copy of the state folder (the real keys
//! and journal are never touched, so this works whether the daemon runs or not). A DS change
//! the rollover waits for is taken as confirmed at `ds_timeout`, as the machine does when the
//! parent is not observed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::zone_arg::zone_name;
use crate::config::Config;
use crate::daemon::ZoneDriver;
use crate::daemon::state_view::ZoneStateView;
use crate::timeline::{self, Timeline, svg};

/// The arguments of `daned timeline`.
#[derive(clap::Args)]
pub struct TimelineArgs {
    /// Configuration file.
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
    /// The zone.
    zone: String,
    /// First moment shown: seconds since the epoch, or a duration before now ("30d").
    #[arg(long, default_value = "30d")]
    from: String,
    /// Last moment shown: seconds since the epoch, or a duration after now ("400d").
    #[arg(long, default_value = "400d")]
    until: String,
    /// Also draw the timeline as an SVG chart into FILE.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
}

/// A moment from `--from`/`--until`: epoch seconds, or a duration before `now` (`after`:
/// after it).
pub(crate) fn moment(what: &str, text: &str, now: u64, after: bool) -> anyhow::Result<u64> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(secs);
    }
    let d = crate::config::parse_duration(text)
        .map_err(|m| anyhow::anyhow!("--{what} {text}: {m}"))?
        .as_secs();
    Ok(if after {
        now.saturating_add(d)
    } else {
        now.saturating_sub(d)
    })
}

/// Builds the timeline and prints it.
pub fn execute(args: TimelineArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let name = zone_name(&config, &args.zone)?;
    let zc = config
        .zones
        .iter()
        .find(|z| z.name == name)
        .context("zone not configured")?
        .clone();
    let now = crate::clock::now();
    let from = moment("from", &args.from, now.as_secs(), false)?;
    let until = moment("until", &args.until, now.as_secs(), true)?;
    anyhow::ensure!(from < until, "--from must be before --until");

    let copy = std::env::temp_dir().join(format!("daned-timeline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    let result = (|| {
        copy_dir(&config.server.state_dir, &copy)
            .with_context(|| format!("copy {}", config.server.state_dir.display()))?;
        let mut zc = zc;
        if let Some(how) = zc.signing.as_mut().map(std::sync::Arc::make_mut) {
            if how.state_dir == config.server.state_dir {
                how.state_dir = copy.clone();
            } else {
                let keys = copy.join("signing");
                copy_dir(&how.state_dir, &keys)?;
                how.state_dir = keys;
            }
        }
        let driver = ZoneDriver::load(zc.clone(), &copy, now)?;
        let past = timeline::from_view(&ZoneStateView::of(&driver, now), now.as_secs());
        drop(driver);
        // The plan: the driver `daned simulate` runs (no journal to write at every step, the
        // rollover asked when one of its timers ends), over the keys of the copy.
        let unsigned = zones::master::load_zone_file(&zc.file, &zc.name)?.zone;
        let mut driver = ZoneDriver::simulated(zc, unsigned, now)?;
        let planned = timeline::project(&mut driver, now, until);
        anyhow::Ok(Timeline::new(
            name.to_string(),
            now.as_secs(),
            from,
            until,
            past.into_iter().chain(planned),
        ))
    })();
    let _ = std::fs::remove_dir_all(&copy);
    let timeline = result?;
    print!("{}", timeline.table());
    if let Some(path) = &args.svg {
        std::fs::write(path, svg::render(&timeline))
            .with_context(|| format!("write {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Copies the regular files and folders under `from` to `to` (sockets, pid files and the
/// like are skipped; a missing `from` is an empty copy).
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if kind.is_file() && entry.file_name() != crate::daemon::PID_FILE {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Writes `timeline` as an SVG chart to `path` (for `daned simulate --svg`).
pub(crate) fn write_svg(timeline: &Timeline, path: &Path) -> anyhow::Result<()> {
    std::fs::write(path, svg::render(timeline)).with_context(|| format!("write {}", path.display()))
}
