//! TEMPORARY stand-in for the RFC 1035 master-file loader (owned by another branch; this file is
//! replaced at merge). It only provides the contract's signature and types so that the serving
//! core compiles: every load fails with a clear message.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::record::Name;
use crate::zone::Zone;

/// A loaded zone and the warnings met on the way.
#[derive(Debug)]
pub struct Loaded {
    /// The zone.
    pub zone: Zone,
    /// Non-fatal findings.
    pub warnings: Vec<Warning>,
}

/// A non-fatal finding, shown as `file:line: message`.
#[derive(Debug)]
pub struct Warning {
    /// The file.
    pub file: PathBuf,
    /// The line.
    pub line: usize,
    /// What was found.
    pub message: String,
}

/// Why a zone file could not be loaded, shown as `file:line: message`.
#[derive(Debug)]
pub struct LoadError {
    /// The file.
    pub file: PathBuf,
    /// The line.
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

impl std::error::Error for LoadError {}

/// Loads the zone at `path` with origin `origin` (stand-in: always fails).
pub fn load_zone_file(path: &Path, origin: &Name) -> Result<Loaded, LoadError> {
    Err(LoadError {
        file: path.to_owned(),
        line: 0,
        message: format!("cannot load {origin}: master-file loader not in this build (stand-in)"),
    })
}
