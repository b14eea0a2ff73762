//! DNS UPDATE as a source of changes for the zone driver: a verified request is checked
//! against the version served (prerequisites, grants, the update section) and published as
//! one `Change::Records` through the one publication path, so it gets a new serial, an
//! incremental re-sign, the journal, IXFR and NOTIFY like every other change.
//!
//! The records it added and deleted are kept as a layer in `state_dir` (see
//! `crate::update::layer`), written **before** the version is published and put back if the
//! publication fails: a restart never loses an update that was answered NOERROR, and a
//! failed one leaves the layer and the zone as they were (SERVFAIL).

use std::path::{Path, PathBuf};

use signer::Timestamp;
use zones::{Name, Zone};

use super::ZoneDriver;
use crate::daemon::error::ZoneError;
use crate::daemon::publish::Change;
use crate::update::apply::{self, Reason, Records, Request, Rules};
use crate::update::front::refused;
use crate::update::layer::Layer;
use crate::update::message::UpdateMessage;
use crate::update::{Rcode, prereq};

/// A zone's UPDATE layer and where it is kept.
#[derive(Debug)]
pub(super) struct Updates {
    /// `[server] state_dir`.
    state_dir: PathBuf,
    /// The records added and deleted.
    pub(super) layer: Layer,
}

impl Updates {
    /// Reads the layer of `zone` from `state_dir`.
    pub(super) fn load(state_dir: &Path, zone: &Name) -> Result<Self, ZoneError> {
        Ok(Self {
            state_dir: state_dir.to_owned(),
            layer: Layer::load(state_dir, zone)?,
        })
    }
}

impl ZoneDriver {
    /// `unsigned` (the zone file's content) with the UPDATE layer re-applied; re-read from
    /// disk, so that `daned update clear` takes effect at the next reload.
    pub(super) fn with_layer(&mut self, unsigned: Zone) -> Result<Zone, ZoneError> {
        let Some(updates) = &mut self.updates else {
            return Ok(unsigned);
        };
        updates.layer = Layer::load(&updates.state_dir, &self.config.name)?;
        Ok(updates.layer.apply_to(unsigned))
    }

    /// Whether the layer on disk differs from the one applied (`daned update clear`).
    pub(super) fn layer_changed(&self) -> bool {
        self.updates.as_ref().is_some_and(|u| {
            Layer::load(&u.state_dir, &self.config.name).ok().as_ref() != Some(&u.layer)
        })
    }

    /// Handles a verified UPDATE signed with `key` at `now`: checks it against the version
    /// served and publishes what it changes. Returns the RCODE to answer with; NOERROR only
    /// once the new version is journalled and served.
    pub fn update(&mut self, now: Timestamp, message: &UpdateMessage, key: &str) -> Rcode {
        if message.zclass != crate::update::message::CLASS_IN {
            return Rcode::NotAuth;
        }
        if self.updates.is_none() {
            refused("zone takes no updates", Some(key), None, None);
            return Rcode::Refused;
        }
        if let Err(rcode) = prereq::check(&self.served.zone(), message.zclass, &message.prereqs) {
            tracing::info!(zone = %self.config.name, key, rcode = ?rcode, "UPDATE prerequisite not met");
            return rcode;
        }
        let managed: Vec<Name> = self
            .config
            .tlsa
            .iter()
            .flat_map(|b| b.names.iter().map(Name::to_lowercase))
            .collect();
        let request = Request {
            zclass: message.zclass,
            updates: &message.updates,
            key,
        };
        let rules = Rules {
            grants: &self.config.update,
            managed: &managed,
        };
        let records = match apply::apply(&self.served.zone(), &request, &rules) {
            Ok(r) => r,
            Err(refusal) => {
                let why = match refusal.reason {
                    Reason::Malformed => "malformed update record".to_string(),
                    Reason::OutsideZone => "name outside the zone".to_string(),
                    Reason::NotGranted => "not granted".to_string(),
                    Reason::Protected(p) => format!("never updatable ({p:?})"),
                    Reason::BreaksZone => "the zone would fail its checks".to_string(),
                    Reason::TooManyRecords => format!(
                        "more than {} records at the name",
                        apply::MAX_RECORDS_PER_NAME
                    ),
                };
                refused(&why, Some(key), refusal.name.as_ref(), refusal.rtype);
                return refusal.rcode;
            }
        };
        if records.removed.is_empty() && records.added.is_empty() {
            return Rcode::NoError;
        }
        self.publish_update(now, records, key)
    }

    /// Writes the layer with `records`, then publishes them; on failure puts the layer back.
    fn publish_update(&mut self, now: Timestamp, records: Records, key: &str) -> Rcode {
        let Some(updates) = &mut self.updates else {
            return Rcode::Refused;
        };
        let before = updates.layer.clone();
        updates.layer.record(&records);
        if let Err(e) = updates.layer.save(&updates.state_dir, &self.config.name) {
            tracing::error!(zone = %self.config.name, error = %e, "cannot write the UPDATE layer; update not applied");
            updates.layer = before;
            return Rcode::ServFail;
        }
        let keys = self.keys.as_ref().map_or(&[][..], |k| &k.keys[..]);
        let (removed, added) = (records.removed.len(), records.added.len());
        let change = Change::Records {
            removed: records.removed,
            added: records.added,
        };
        match self.served.publish(&self.config, keys, change, now) {
            Ok(done) => {
                let serial = done.map_or(self.served.serial(), |p| p.serial);
                tracing::info!(zone = %self.config.name, key, removed, added, serial, elapsed_ms = done.map_or(0, |p| p.elapsed_ms), "UPDATE published");
                Rcode::NoError
            }
            Err(e) => {
                tracing::error!(zone = %self.config.name, error = %e, "cannot publish the UPDATE; the previous version stays served");
                let Some(updates) = &mut self.updates else {
                    return Rcode::ServFail;
                };
                updates.layer = before;
                if let Err(e) = updates.layer.save(&updates.state_dir, &self.config.name) {
                    tracing::error!(zone = %self.config.name, error = %e, "cannot put the UPDATE layer back");
                }
                Rcode::ServFail
            }
        }
    }
}

#[cfg(test)]
mod tests;
