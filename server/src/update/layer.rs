//! The records UPDATE added and deleted, kept as a layer over the zone file in `state_dir`
//! (`update/ZONE.layer`, 0600, replaced atomically), so that the zone file stays the
//! operator's and the updates survive a restart and a reload of the file.
//!
//! The layer is applied on top of the file each time the file is loaded: its deleted records
//! are removed (whatever their TTL in the file), then its added records are inserted. When
//! the file and the layer disagree the layer wins: a record the file adds that UPDATE had
//! deleted stays deleted until `daned update clear` (or an UPDATE adding it again).
//!
//! The file holds one record per line in presentation form, `add ` or `del ` before it.

use std::path::{Path, PathBuf};

use zones::master::parse_zone_str_unchecked;
use zones::present::record_to_text;
use zones::{Name, Record, Zone};

use super::apply::Records;

/// Why the layer could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The layer file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not `add RECORD` or `del RECORD`.
    #[error("{path}:{line}: not \"add RECORD\" or \"del RECORD\"")]
    Line {
        /// The layer file.
        path: PathBuf,
        /// The line number (from 1).
        line: usize,
    },
    /// A record does not parse.
    #[error("{path}: {source}")]
    Record {
        /// The layer file.
        path: PathBuf,
        /// Why.
        source: zones::master::LoadError,
    },
    /// The folder could not be made.
    #[error("{path}: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file could not be written.
    #[error(transparent)]
    Write(#[from] zones::fs::WriteError),
}

//------------ Layer ---------------------------------------------------------

/// The records UPDATE added and deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layer {
    /// Records added (with their TTL).
    pub added: Vec<Record>,
    /// Records deleted.
    pub deleted: Vec<Record>,
}

impl Layer {
    /// Where the layer of `zone` is kept under `state_dir`.
    pub fn path(state_dir: &Path, zone: &Name) -> PathBuf {
        state_dir
            .join("update")
            .join(format!("{}.layer", zones::file_stem(zone)))
    }

    /// Reads the layer of `zone` (empty when there is none).
    pub fn load(state_dir: &Path, zone: &Name) -> Result<Self, LayerError> {
        let path = Self::path(state_dir, zone);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, zone, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(LayerError::Read { path, source }),
        }
    }

    /// Parses the text of a layer file.
    pub fn parse(text: &str, zone: &Name, path: &Path) -> Result<Self, LayerError> {
        let mut layer = Self::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with(';') {
                continue;
            }
            let (list, record) = if let Some(r) = line.strip_prefix("add ") {
                (&mut layer.added, r)
            } else if let Some(r) = line.strip_prefix("del ") {
                (&mut layer.deleted, r)
            } else {
                return Err(LayerError::Line {
                    path: path.to_owned(),
                    line: i + 1,
                });
            };
            let label = format!("{}:{}", path.display(), i + 1);
            let (loaded, _) = parse_zone_str_unchecked(record, zone, &label).map_err(|source| {
                LayerError::Record {
                    path: path.to_owned(),
                    source,
                }
            })?;
            list.extend(loaded.zone.records());
        }
        Ok(layer)
    }

    /// The layer as file text.
    pub fn to_text(&self) -> String {
        let mut out = String::from("; records added and deleted by DNS UPDATE (daned)\n");
        for r in &self.added {
            out.push_str("add ");
            out.push_str(&record_to_text(r));
            out.push('\n');
        }
        for r in &self.deleted {
            out.push_str("del ");
            out.push_str(&record_to_text(r));
            out.push('\n');
        }
        out
    }

    /// Writes the layer of `zone` (0600, atomically); an empty layer removes the file.
    pub fn save(&self, state_dir: &Path, zone: &Name) -> Result<(), LayerError> {
        let path = Self::path(state_dir, zone);
        if self.is_empty() {
            return match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(LayerError::Read { path, source: e })
                }
                _ => Ok(()),
            };
        }
        let dir = state_dir.join("update");
        std::fs::create_dir_all(&dir).map_err(|source| LayerError::Folder { path: dir, source })?;
        zones::fs::write_atomic(&path, self.to_text().as_bytes(), 0o600)?;
        Ok(())
    }

    /// True when UPDATE changed nothing.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.deleted.is_empty()
    }

    /// Folds an applied update into the layer: a deleted record that UPDATE had added is
    /// simply no longer added, and the other way round.
    pub fn record(&mut self, change: &Records) {
        for r in &change.removed {
            match self.added.iter().position(|a| same(a, r)) {
                Some(i) => {
                    self.added.remove(i);
                }
                None if !self.deleted.iter().any(|d| same(d, r)) => self.deleted.push(r.clone()),
                None => {}
            }
        }
        for r in &change.added {
            match self.deleted.iter().position(|d| same(d, r)) {
                Some(i) => {
                    self.deleted.remove(i);
                }
                None if !self.added.iter().any(|a| same(a, r)) => self.added.push(r.clone()),
                None => {}
            }
        }
    }

    /// `zone` (the zone file's content) with the layer applied: deleted records removed
    /// whatever their TTL, added records inserted.
    pub fn apply_to(&self, mut zone: Zone) -> Zone {
        for r in &self.deleted {
            let key = (r.owner.to_lowercase(), u16::from(r.rtype), 0);
            if let Some(set) = zone.rrsets.get_mut(&key) {
                set.rdatas.retain(|x| x != &r.rdata);
                if set.rdatas.is_empty() {
                    zone.rrsets.remove(&key);
                }
            }
        }
        for r in &self.added {
            let key = (r.owner.to_lowercase(), u16::from(r.rtype), 0);
            if let Some(set) = zone.rrsets.get_mut(&key) {
                set.ttl = r.ttl;
            }
            zone.insert(r.clone());
        }
        zone
    }
}

/// The same record, TTL included, owner compared without case.
fn same(a: &Record, b: &Record) -> bool {
    a.rtype == b.rtype
        && a.ttl == b.ttl
        && a.rdata == b.rdata
        && a.owner.to_lowercase() == b.owner.to_lowercase()
}

#[cfg(test)]
mod tests;
