//! The zone file as a source of changes: load it (one structured log line, its warnings), and
//! tell whether it changed on disk since it was loaded.

use std::path::Path;
use std::time::{Instant, SystemTime};

use zones::Zone;
use zones::master::{LoadError, load_zone_file};

use crate::config::ZoneConfig;

/// What tells whether a file changed: modification time and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStamp {
    /// Modification time.
    mtime: SystemTime,
    /// Size in octets.
    len: u64,
}

impl FileStamp {
    /// The stamp of the file at `path`.
    pub fn of(path: &Path) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        Ok(Self {
            mtime: meta.modified()?,
            len: meta.len(),
        })
    }
}

/// Loads the zone file of `config`, logging the outcome as one structured line (plus its
/// warnings).
pub fn load(config: &ZoneConfig) -> Result<Zone, LoadError> {
    let started = Instant::now();
    let loaded = load_zone_file(&config.file, &config.name)?;
    for w in &loaded.warnings {
        tracing::warn!(zone = %config.name, "{w}");
    }
    let zone = loaded.zone;
    tracing::info!(event = "zone-file-loaded",
        zone = %config.name,
        serial = zone.serial().map_or(0, |s| s.0),
        records = zone.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        file = %config.file.display(),
        "zone loaded"
    );
    Ok(zone)
}
