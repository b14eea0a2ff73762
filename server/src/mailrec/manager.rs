//! The mail-record manager of one zone: the DKIM selectors of its `[[zone.dkim]]` tables, as a
//! source of changes for the zone driver.
//!
//! Like the TLSA manager: [`MailManager::change`] turns the key files into the records to
//! remove and add, [`MailManager::with_managed`] puts the managed records into freshly loaded
//! zone-file content, and [`MailManager::published`] is told after every publication what the
//! zone now serves (first publications are recorded only then: the crash-safe order of
//! `daemon::publish`). Key files are read with `dane::file` (regular files only, size cap).

use std::path::{Path, PathBuf};

use zones::{Class, Name, Rdata, Record, Rtype, Zone};

use super::dkim::lifecycle::{self, DkimBinding, Planned};
use super::dkim::record::DkimKey;
use super::dkim::state::{self, DkimState};
use crate::config::ZoneConfig;
use crate::daemon::publish::Change;
use crate::dane::file;

//------------ MailManager ----------------------------------------------------

/// The mail records of one zone.
#[derive(Clone, Debug)]
pub struct MailManager {
    /// The zone's apex.
    zone: Name,
    /// The `[[zone.dkim]]` tables.
    dkim: Vec<DkimBinding>,
    /// The zone policy's propagation delay, seconds.
    propagation: u64,
    /// The state file (`None`: a zone held in memory).
    path: Option<PathBuf>,
    /// What the state file holds.
    state: DkimState,
    /// The time of the last look at the files (seconds since the epoch).
    last: u64,
}

/// Why zone-file content cannot take the managed records.
#[derive(Debug, thiserror::Error)]
#[error(
    "{file}: has TXT records at {name}, which [[zone.dkim]] manages; remove them from the file"
)]
pub struct MailConflict {
    /// The zone file.
    pub file: PathBuf,
    /// The managed name.
    pub name: Name,
}

impl MailManager {
    /// The manager of `config`'s mail records, with its state under `state_dir` (`None` for a
    /// zone held in memory).
    pub fn load(config: &ZoneConfig, state_dir: Option<&Path>) -> Self {
        let path = state_dir.map(|d| state::path(d, &config.name));
        let state = path.as_deref().map(DkimState::load).unwrap_or_default();
        Self {
            zone: config.name.clone(),
            dkim: config.dkim.clone(),
            propagation: config
                .signing
                .as_ref()
                .map_or(0, |s| s.policy.propagation_delay.as_secs()),
            path,
            state,
            last: 0,
        }
    }

    /// True when nothing is managed (no binding and no selector still retiring).
    pub fn is_empty(&self) -> bool {
        self.dkim.is_empty() && self.state.left.is_empty() && self.state.first_seen.is_empty()
    }

    /// Every key file (what the watcher watches).
    pub fn files(&self) -> Vec<PathBuf> {
        self.dkim
            .iter()
            .flat_map(|b| {
                b.keys()
                    .map(|(_, f, _)| f.to_path_buf())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// When the next selector changes role after the last look (seconds since the epoch).
    pub fn next_change(&self) -> Option<u64> {
        lifecycle::next_change(&self.state, self.last)
    }

    /// The owner name of `selector`: `SELECTOR._domainkey.ZONE`.
    pub fn owner(&self, selector: &str) -> Option<Name> {
        owner(&self.zone, selector)
    }

    /// What each selector publishes at `now`, against `served`; errors and warnings about the
    /// key files are logged.
    fn plan(&mut self, served: Option<&Zone>, now: u64) -> Vec<Planned> {
        self.last = now;
        let zone = self.zone.clone();
        let served_record = |selector: &str| {
            let name = owner(&zone, selector)?;
            served?
                .get(&name, Rtype::TXT)
                .and_then(|s| s.rdatas.first())
                .map(|r| r.as_bytes().to_vec())
        };
        let planned = lifecycle::plan(&self.dkim, &read_key, &served_record, &mut self.state, now);
        for p in &planned {
            if let Some(e) = &p.error {
                tracing::error!(zone = %self.zone, selector = %p.selector, error = %e, "DKIM key file unusable; keeping the record published so far");
            }
            if let Some(w) = &p.warning {
                tracing::warn!(zone = %self.zone, selector = %p.selector, warning = %w, "weak DKIM key");
            }
        }
        planned
    }

    /// `unsigned` (zone-file content) with the managed records in place. A TXT record in the
    /// file at a managed selector is an error: two sources for one RRset.
    pub fn with_managed(
        &mut self,
        file: &Path,
        unsigned: Zone,
        served: Option<&Zone>,
        now: u64,
    ) -> Result<Zone, MailConflict> {
        if self.is_empty() {
            return Ok(unsigned);
        }
        for binding in &self.dkim {
            for (selector, _, _) in binding.keys() {
                let Some(name) = self.owner(selector) else {
                    continue;
                };
                if unsigned.get(&name, Rtype::TXT).is_some() {
                    return Err(MailConflict {
                        file: file.to_path_buf(),
                        name,
                    });
                }
            }
        }
        let planned = self.plan(served, now);
        let mut out = unsigned;
        for p in &planned {
            let Some(name) = self.owner(&p.selector) else {
                continue;
            };
            out.remove(&name, Rtype::TXT, 0);
            if let Some(rdata) = &p.rdata {
                out.insert(record(&name, p, rdata));
            }
        }
        self.save();
        Ok(out)
    }

    /// The change the key files and the selectors' lifecycle ask for against `served`.
    pub fn change(&mut self, served: &Zone, now: u64) -> Option<Change> {
        if self.is_empty() {
            return None;
        }
        let planned = self.plan(Some(served), now);
        let mut removed = Vec::new();
        let mut added = Vec::new();
        for p in &planned {
            let Some(name) = self.owner(&p.selector) else {
                continue;
            };
            let old = served.get(&name, Rtype::TXT);
            let same = match (old, &p.rdata) {
                (Some(set), Some(new)) => {
                    set.ttl == p.ttl && set.rdatas.len() == 1 && set.rdatas[0].as_bytes() == new
                }
                (None, None) => true,
                _ => false,
            };
            if same {
                continue;
            }
            if let Some(set) = old {
                removed.extend(set.records());
            }
            if let Some(new) = &p.rdata {
                added.push(record(&name, p, new));
            }
            tracing::info!(zone = %self.zone, selector = %p.selector, role = p.role.word(), "DKIM record changes");
        }
        self.save();
        if removed.is_empty() && added.is_empty() {
            return None;
        }
        Some(Change::Records { removed, added })
    }

    /// Told after each publication what the zone serves: records new at the managed
    /// selectors get `now` as their first publication, vanished ones are dropped.
    pub fn published(&mut self, zone: &Zone, now: u64) {
        if self.is_empty() {
            return;
        }
        let mut selectors: Vec<String> = self
            .dkim
            .iter()
            .flat_map(|b| b.keys().map(|(s, _, _)| s.to_string()).collect::<Vec<_>>())
            .collect();
        selectors.extend(self.state.left.keys().cloned());
        let old = std::mem::take(&mut self.state.first_seen);
        for selector in selectors {
            let Some(name) = self.owner(&selector) else {
                continue;
            };
            for rdata in zone.get(&name, Rtype::TXT).iter().flat_map(|s| &s.rdatas) {
                let key = (selector.clone(), rdata.as_bytes().to_vec());
                let at = old.get(&key).copied().unwrap_or(now);
                self.state.first_seen.insert(key, at);
            }
        }
        self.save();
    }

    /// Writes the state file when it changed.
    fn save(&self) {
        let Some(path) = &self.path else { return };
        if let Err(e) = self.state.store_if_changed(path) {
            tracing::error!(zone = %self.zone, file = %path.display(), error = %e, "cannot record the DKIM state");
        }
    }

    //--- reading (status)

    /// The bindings.
    pub fn bindings(&self) -> &[DkimBinding] {
        &self.dkim
    }

    /// The state's facts.
    pub fn state(&self) -> &DkimState {
        &self.state
    }

    /// The propagation delay, seconds.
    pub fn propagation(&self) -> u64 {
        self.propagation
    }

    /// The zone's apex.
    pub fn zone(&self) -> &Name {
        &self.zone
    }

    /// What each selector publishes at `now` against `served`, without saving anything
    /// (`daned dkim status`).
    pub fn preview(&self, served: Option<&Zone>, now: u64) -> Vec<Planned> {
        let mut copy = self.clone();
        copy.path = None;
        let zone = self.zone.clone();
        let served_record = |selector: &str| {
            let name = owner(&zone, selector)?;
            served?
                .get(&name, Rtype::TXT)
                .and_then(|s| s.rdatas.first())
                .map(|r| r.as_bytes().to_vec())
        };
        lifecycle::plan(&copy.dkim, &read_key, &served_record, &mut copy.state, now)
    }
}

/// `SELECTOR._domainkey.ZONE` (`None` when the selector does not make a name).
fn owner(zone: &Name, selector: &str) -> Option<Name> {
    let mut name = Name::from_ascii(format!("{selector}._domainkey.{zone}")).ok()?;
    name.set_fqdn(true);
    Some(name)
}

/// The TXT record of `planned` at `name`.
fn record(name: &Name, planned: &Planned, rdata: &[u8]) -> Record {
    Record {
        owner: name.clone(),
        rtype: Rtype::TXT,
        class: Class::IN,
        ttl: planned.ttl,
        rdata: Rdata::from(rdata.to_vec()),
    }
}

/// The DKIM key of a key file, read safely; the error names the file.
pub fn read_key(path: &Path) -> Result<DkimKey, String> {
    let bytes = file::read(path).map_err(|e| e.to_string())?;
    DkimKey::from_file_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests;
