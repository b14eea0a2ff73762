//! The mail-record manager of one zone: the DKIM selectors of its `[[zone.dkim]]` tables, the
//! `_mta-sts` id of `[zone.mta_sts]` and the `_smtp._tls` record of `[zone.tls_rpt]`, as a
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
use super::dkim::record::{DkimKey, txt_rdata, txt_text};
use super::dkim::state::{self, DkimState};
use super::mta_sts::fetch::StsEndpoint;
use super::mta_sts::policy as sts_policy;
use super::mta_sts::source::{self as sts, MtaStsConfig, Probed};
use super::tls_rpt;
use crate::config::ZoneConfig;
use crate::config::mail::TlsRptConfig;
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
    /// `[zone.mta_sts]`.
    sts: Option<MtaStsConfig>,
    /// What the policy endpoint served at the last probe.
    probed: Option<Probed>,
    /// The policy file's id is not published yet and waits for the endpoint.
    sts_held: bool,
    /// `[zone.tls_rpt]`.
    rpt: Option<TlsRptConfig>,
}

/// Why zone-file content cannot take the managed records.
#[derive(Debug, thiserror::Error)]
#[error(
    "{file}: has TXT records at {name}, which daned manages ([[zone.dkim]], [zone.mta_sts] or [zone.tls_rpt]); remove them from the file"
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
            sts: config.mta_sts.as_deref().cloned(),
            probed: None,
            sts_held: false,
            rpt: config.tls_rpt.clone(),
        }
    }

    /// True when nothing is managed (no binding and no selector still retiring).
    pub fn is_empty(&self) -> bool {
        self.dkim.is_empty()
            && self.state.left.is_empty()
            && self.state.first_seen.is_empty()
            && self.sts.is_none()
            && self.rpt.is_none()
    }

    /// Every name the manager reads of the zone: the apex (its MX, for the MTA-STS policy's
    /// check), `mta-sts` (the policy host's address), `_mta-sts` and `_smtp._tls`, and the owner
    /// of each selector configured, retiring or still published. A zone at rest hands the
    /// manager these RRsets out of its snapshot instead of being rebuilt whole.
    pub fn watched_names(&self) -> Vec<Name> {
        let fixed = ["mta-sts", "_mta-sts"]
            .into_iter()
            .filter_map(|label| self.zone.prepend_label(label).ok())
            .chain(
                self.zone
                    .prepend_label("_tls")
                    .and_then(|n| n.prepend_label("_smtp"))
                    .ok(),
            );
        let selectors = self
            .dkim
            .iter()
            .flat_map(|b| b.keys().map(|(s, _, _)| s.to_string()).collect::<Vec<_>>())
            .chain(self.state.left.keys().cloned())
            .chain(self.state.first_seen.keys().map(|(s, _)| s.clone()));
        std::iter::once(self.zone.clone())
            .chain(fixed)
            .chain(selectors.filter_map(|s| self.owner(&s)))
            .collect()
    }

    /// The policy endpoint to fetch, while the policy file's id waits for it.
    pub fn sts_probe(&self) -> Option<&StsEndpoint> {
        self.sts
            .as_ref()
            .and_then(|s| s.probe.as_ref())
            .filter(|_| self.sts_held)
    }

    /// Keeps what the policy endpoint served (the id of its content, or why it failed).
    pub fn note_sts_probe(&mut self, probed: Probed, now: u64) {
        if let Err(e) = &probed {
            tracing::warn!(zone = %self.zone, error = %e, "MTA-STS policy fetch failed; the new id waits");
        }
        self.state.sts_probe = Some((now, probed.clone()));
        self.probed = Some(probed);
        self.save();
    }

    /// The MTA-STS configuration.
    pub fn mta_sts(&self) -> Option<&MtaStsConfig> {
        self.sts.as_ref()
    }

    /// The fixed-name records (`_mta-sts`, `_smtp._tls`) to publish: (owner, TTL, record;
    /// `None` keeps nothing). `content` is the zone's data the policy is checked against,
    /// `served` the version served so far.
    fn fixed(
        &mut self,
        content: &Zone,
        served: Option<&Zone>,
    ) -> Vec<(Name, zones::Ttl, Option<Vec<u8>>)> {
        let mut out = Vec::new();
        if let (Some(config), Ok(owner)) = (&self.sts, self.zone.prepend_label("_mta-sts")) {
            let old = served
                .and_then(|z| z.get(&owner, Rtype::TXT))
                .and_then(|s| s.rdatas.first())
                .map(|r| r.as_bytes().to_vec());
            let old_id = old
                .as_deref()
                .and_then(txt_text)
                .and_then(|t| sts_policy::id_of_record(&t));
            let plan = sts::plan(config, content, old_id.as_deref(), self.probed.as_ref());
            if let Some(e) = &plan.error {
                tracing::error!(zone = %self.zone, error = %e, "MTA-STS policy unusable; keeping the published id");
            }
            if let Some(why) = &plan.held {
                tracing::info!(zone = %self.zone, waiting_for = %why, "MTA-STS id held: the policy endpoint does not serve the new policy yet");
            }
            for w in &plan.warnings {
                tracing::warn!(zone = %self.zone, warning = %w, "MTA-STS");
            }
            self.sts_held = plan.held.is_some();
            let rdata = match plan.id {
                Some(id) => Some(txt_rdata(&sts_policy::record_text(&id))),
                None => old,
            };
            out.push((owner, config.ttl, rdata));
        }
        if let (Some(config), Ok(owner)) = (&self.rpt, self.zone.prepend_label("_tls")) {
            if let Ok(owner) = owner.prepend_label("_smtp") {
                let text = tls_rpt::record_text(&config.rua);
                out.push((owner, config.ttl, Some(txt_rdata(&text))));
            }
        }
        out
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
        let fixed = self.fixed(&unsigned, served);
        for (name, _, _) in &fixed {
            if unsigned.get(name, Rtype::TXT).is_some() {
                return Err(MailConflict {
                    file: file.to_path_buf(),
                    name: name.clone(),
                });
            }
        }
        let planned = self.plan(served, now);
        let mut out = unsigned;
        for (name, ttl, rdata) in fixed {
            if let Some(rdata) = rdata {
                out.insert(Record {
                    owner: name,
                    rtype: Rtype::TXT,
                    class: Class::IN,
                    ttl,
                    rdata: Rdata::from(rdata),
                });
            }
        }
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
        let mut wanted: Vec<(Name, zones::Ttl, Option<Vec<u8>>)> = self.fixed(served, Some(served));
        for p in &planned {
            if let Some(name) = self.owner(&p.selector) {
                wanted.push((name, p.ttl, p.rdata.clone()));
            }
        }
        let mut removed = Vec::new();
        let mut added = Vec::new();
        for (name, ttl, rdata) in wanted {
            let old = served.get(&name, Rtype::TXT);
            let same = match (old, &rdata) {
                (Some(set), Some(new)) => {
                    set.ttl == ttl && set.rdatas.len() == 1 && set.rdatas[0].as_bytes() == new
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
            if let Some(new) = rdata {
                added.push(Record {
                    owner: name.clone(),
                    rtype: Rtype::TXT,
                    class: Class::IN,
                    ttl,
                    rdata: Rdata::from(new),
                });
            }
            tracing::info!(zone = %self.zone, name = %name, "mail record changes");
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
