//! The TLSA manager of one zone: which records each `[[zone.tlsa]]` binding publishes, next or
//! retiring, what the probes saw, and the state file — loaded once and saved in one place.
//!
//! It is a source of changes for the zone driver: [`TlsaManager::change`] turns the certificate
//! files into the records to remove and add, [`TlsaManager::with_managed`] puts the managed
//! records into freshly loaded zone-file content, and [`TlsaManager::published`] is told, after
//! every publication, what the zone now serves (first-publication times are recorded only
//! then: the crash-safe order of `daemon::publish`). [`TlsaManager::status`] is what
//! `daned tlsa status` and `daned tlsa ready` print, read from the same state.

use std::path::PathBuf;

use zones::{Class, Name, Rdata, Record, Rtype, Zone};

use super::publish::{self, TlsaBinding};
use super::retire::{self, Probes, Retiring};
use super::state::{self, TlsaState};
use crate::config::ZoneConfig;
use crate::daemon::publish::Change;
use crate::dane::derive;
use crate::dane::probe::ProbeSeen;

//------------ TlsaManager ---------------------------------------------------

/// The TLSA side of one zone.
#[derive(Clone, Debug)]
pub struct TlsaManager {
    /// The zone's apex (for logs).
    zone: Name,
    /// The bindings.
    bindings: Vec<TlsaBinding>,
    /// The zone policy's propagation delay, seconds.
    propagation: u64,
    /// The state file (`None`: a zone held in memory, nothing persisted).
    path: Option<PathBuf>,
    /// What the state file holds (kept in memory, written when it changes).
    state: TlsaState,
    /// Retirement deadlines by (owner, rdata).
    retiring: Retiring,
}

/// Why zone-file content cannot take the managed records.
#[derive(Debug, thiserror::Error)]
#[error(
    "{file}: has TLSA records at {name}, which [[zone.tlsa]] manages; remove them from the file"
)]
pub struct ManagedConflict {
    /// The zone file.
    pub file: PathBuf,
    /// The managed name.
    pub name: Name,
}

impl TlsaManager {
    /// The manager of `config`'s bindings, with the state saved under `state_dir` (`None`
    /// for a zone held in memory).
    pub fn load(config: &ZoneConfig, state_dir: Option<&std::path::Path>) -> Self {
        let path = state_dir.map(|d| state::path(d, &config.name));
        let state = path.as_deref().map(TlsaState::load).unwrap_or_default();
        let retiring = state
            .retiring
            .iter()
            .filter_map(|((owner, data), at)| {
                let mut name = Name::from_ascii(owner).ok()?;
                name.set_fqdn(true);
                Some(((name, state::unhex(data)?), *at))
            })
            .collect();
        Self {
            zone: config.name.clone(),
            bindings: config.tlsa.clone(),
            propagation: config
                .signing
                .as_ref()
                .map_or(0, |s| s.policy.propagation_delay.as_secs()),
            path,
            state,
            retiring,
        }
    }

    /// True when the zone has no binding.
    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty()
    }

    /// Every name the manager reads in the served zone (its TLSA owners).
    pub fn watched_names(&self) -> impl Iterator<Item = &Name> + '_ {
        self.bindings.iter().flat_map(|b| b.names.iter())
    }

    /// The last probe of each address.
    pub fn probes(&self) -> &Probes {
        &self.state.probes
    }

    /// True when a record of a binding probed at `addr` is retiring (the rollover waits on
    /// what the MTA presents, so it is probed more often).
    pub fn retiring_at(&self, addr: &str) -> bool {
        self.bindings
            .iter()
            .filter(|b| b.probe.as_deref() == Some(addr))
            .any(|b| self.retiring.keys().any(|(name, _)| b.names.contains(name)))
    }

    /// The earliest time a retiring record may be removed (seconds since the epoch).
    pub fn next_retirement(&self) -> Option<u64> {
        self.retiring.values().min().copied()
    }

    /// Every `probe` address of the bindings.
    pub fn probe_addrs(&self) -> impl Iterator<Item = &str> {
        self.bindings.iter().filter_map(|b| b.probe.as_deref())
    }

    /// Every file the bindings read (what the watcher watches).
    pub fn files(&self) -> Vec<PathBuf> {
        self.bindings
            .iter()
            .flat_map(|b| publish::files(b).cloned().collect::<Vec<_>>())
            .collect()
    }

    /// The records each binding gives at `now`: from the files, or — when they cannot be
    /// read — what `served` publishes, plus the retiring records that must stay.
    fn records(&mut self, served: Option<&Zone>, now: u64) -> Vec<(TlsaBinding, Vec<Vec<u8>>)> {
        let mut records: Vec<_> = self
            .bindings
            .iter()
            .map(|binding| match publish::derive_records(binding) {
                Ok(records) => {
                    self.warn_expiring(binding, now);
                    (binding.clone(), records)
                }
                Err(e) => {
                    if let Some(path) = publish::not_issued_yet(binding) {
                        tracing::info!(event = "tlsa-not-issued", zone = %self.zone, file = %path.display(), "TLSA certificate not issued yet; published when the file appears");
                        // Before the first issuance only the next key (if any) is published.
                        let next_only = TlsaBinding {
                            certs: Vec::new(),
                            keys: Vec::new(),
                            ..binding.clone()
                        };
                        if let Ok(records) = publish::derive_records(&next_only) {
                            return (binding.clone(), records);
                        }
                    } else {
                        tracing::error!(event = "tlsa-files-unusable", zone = %self.zone, error = %e, "TLSA files unusable; keeping the TLSA records published so far");
                    }
                    let kept = served
                        .map(|z| publish::published(z, &binding.names[0]))
                        .unwrap_or_default();
                    (binding.clone(), kept)
                }
            })
            .collect();
        if let Some(previous) = served {
            retire::retain(
                &mut records,
                previous,
                &mut self.retiring,
                &self.state.probes,
                self.propagation,
                now,
            );
            self.log_kept(&records, now);
        }
        records
    }

    /// Logs (at debug level) each retiring record that `records` keep at `now`, and what it
    /// waits for: the trace of a removal refused, which the end-to-end tests wait for before
    /// they check that an old key was not removed too early.
    fn log_kept(&self, records: &[(TlsaBinding, Vec<Vec<u8>>)], now: u64) {
        for ((name, rdata), &until) in &self.retiring {
            let kept = records
                .iter()
                .any(|(b, r)| b.names.contains(name) && r.contains(rdata));
            if !kept {
                continue;
            }
            let waiting_for = if now < until {
                "2 x TTL + propagation delay"
            } else {
                "the MTA to present the new key"
            };
            tracing::debug!(
                zone = %self.zone,
                name = %name,
                record = %derive::rdata_to_text(rdata),
                now,
                until,
                waiting_for,
                "retiring TLSA record kept"
            );
        }
    }

    /// `unsigned` (zone-file content) with the managed TLSA RRsets in place; `served` is the
    /// version served so far. TLSA in the file at a managed name is an error: two sources for
    /// one RRset.
    pub fn with_managed(
        &mut self,
        file: &std::path::Path,
        unsigned: Zone,
        served: Option<&Zone>,
        now: u64,
    ) -> Result<Zone, ManagedConflict> {
        if self.bindings.is_empty() {
            return Ok(unsigned);
        }
        self.check_conflict(file, &unsigned)?;
        let records = self.records(served, now);
        Ok(publish::apply(&unsigned, &records))
    }

    /// An error when `zone` has TLSA records at a managed name.
    pub fn check_conflict(
        &self,
        file: &std::path::Path,
        zone: &Zone,
    ) -> Result<(), ManagedConflict> {
        for binding in &self.bindings {
            for name in &binding.names {
                if zone.get(name, Rtype::TLSA).is_some() {
                    return Err(ManagedConflict {
                        file: file.to_path_buf(),
                        name: name.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The change the certificate files ask for against `served`, if any: records removed
    /// and added at the managed names.
    pub fn change(&mut self, served: &Zone, now: u64) -> Option<Change> {
        if self.bindings.is_empty() {
            return None;
        }
        let records = self.records(Some(served), now);
        let mut removed = Vec::new();
        let mut added = Vec::new();
        for (binding, rdatas) in &records {
            for name in &binding.names {
                let published = publish::published(served, name);
                let record = |rdata: &Vec<u8>| Record {
                    owner: name.clone(),
                    rtype: Rtype::TLSA,
                    class: Class::IN,
                    ttl: binding.ttl,
                    rdata: Rdata::from(rdata.clone()),
                };
                let ttl_changed = served
                    .get(name, Rtype::TLSA)
                    .is_some_and(|s| s.ttl != binding.ttl);
                for old in &published {
                    if ttl_changed || !rdatas.contains(old) {
                        removed.push(record(old));
                    }
                }
                for new in rdatas {
                    if ttl_changed || !published.contains(new) {
                        added.push(record(new));
                    }
                }
            }
        }
        if removed.is_empty() && added.is_empty() {
            self.save(now);
            return None;
        }
        for (binding, rdatas) in &records {
            for name in &binding.names {
                let text: Vec<String> = rdatas.iter().map(|r| derive::rdata_to_text(r)).collect();
                tracing::info!(event = "tlsa-published", zone = %self.zone, name = %name, records = ?text, "TLSA published");
            }
        }
        Some(Change::Records { removed, added })
    }

    /// Told after each publication what the zone serves now: records new at the managed
    /// names get `now` as their first publication, vanished ones are dropped, and the state
    /// file is written. `before`: the version served until then (`None` at start-up, when
    /// the saved version plays that role).
    pub fn published(&mut self, zone: &Zone, now: u64) {
        if self.bindings.is_empty() {
            return;
        }
        let old = &self.state.first_seen;
        let mut first_seen = state::FirstSeen::new();
        for binding in &self.bindings {
            for name in &binding.names {
                for rdata in publish::published(zone, name) {
                    let key = (name.to_lowercase().to_string(), state::hex(&rdata));
                    let at = old.get(&key).copied().unwrap_or(now);
                    first_seen.insert(key, at);
                }
            }
        }
        // An unsafe rollover concerns a published record; one no longer published is over.
        self.state
            .unsafe_until
            .retain(|key, _| first_seen.contains_key(key));
        self.state.first_seen = first_seen;
        self.save(now);
    }

    /// Logs an error for each certificate now in the files whose key was not published long
    /// enough before (RFC 7671 section 8.1): senders that cached the TLSA RRset without it
    /// defer mail with 5.7.323 until their cache expires. Remembered for `daned tlsa status`.
    pub fn warn_unsafe_rollover(&mut self, now: u64) {
        if self.path.is_none() {
            return;
        }
        for binding in &self.bindings {
            let certs_only = TlsaBinding {
                next_key: None,
                issuer: false,
                ..binding.clone()
            };
            let Ok(current) = publish::derive_records(&certs_only) else {
                continue;
            };
            for name in &binding.names {
                for rdata in &current {
                    let key = (name.to_lowercase().to_string(), state::hex(rdata));
                    let first = self.state.first_seen.get(&key).copied().unwrap_or(now);
                    let safe_from = state::ready_at(first, binding, self.propagation);
                    if safe_from > now {
                        self.state.unsafe_until.insert(key, safe_from);
                        tracing::error!(event = "tlsa-unsafe-rollover",
                            zone = %self.zone,
                            name = %name,
                            record = %derive::rdata_to_text(rdata),
                            until = %safe_from,
                            until_date = zones::serial::yyyymmdd(safe_from),
                            "unsafe TLSA rollover: the certificate's key was not pre-published long enough; DANE senders may defer mail with 5.7.323 until then"
                        );
                    }
                }
            }
        }
        self.save(now);
    }

    /// Keeps the outcome of a probe of `addr` and says what it means against `served`: a
    /// presented key that no published record of the binding matches is what DANE senders
    /// see as 5.7.323 tlsa-invalid.
    pub fn note_probe(&mut self, addr: &str, seen: ProbeSeen, served: &Zone, now: u64) {
        for binding in self
            .bindings
            .iter()
            .filter(|b| b.probe.as_deref() == Some(addr))
        {
            match &seen.outcome {
                Ok(presented) => {
                    for name in &binding.names {
                        let published = publish::published(served, name);
                        let verdict = presented.verify(&published, &name.to_string(), seen.at);
                        if verdict.is_match() {
                            tracing::debug!(event = "tlsa-probe-matched", zone = %self.zone, probe = addr, name = %name, "the MTA presents a key a published TLSA record matches");
                        } else {
                            tracing::error!(event = "tlsa-probe-mismatch",
                                zone = %self.zone,
                                probe = addr,
                                name = %name,
                                presented = %derive::rdata_to_text(&presented.leaf_key()),
                                %verdict,
                                "the MTA presents a key no published TLSA record matches: DANE senders defer mail with 5.7.323 tlsa-invalid"
                            );
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(event = "tlsa-probe-failed", zone = %self.zone, probe = addr, error = %e, "STARTTLS probe failed; retiring TLSA records stay until it succeeds");
                }
            }
        }
        self.state.probes.insert(addr.to_string(), seen);
        self.save(now);
    }

    /// Logs a warning for each certificate of `binding` that expires soon or has expired:
    /// DANE senders defer mail to an MTA whose certificate expired (5.7.322).
    fn warn_expiring(&self, binding: &TlsaBinding, now: u64) {
        for (file, at) in publish::expiring(binding, now) {
            let date = zones::serial::yyyymmdd(at.max(0) as u64);
            if at <= now as i64 {
                tracing::warn!(event = "certificate-expired", zone = %self.zone, file = %file.display(), expired = date, "certificate has expired: senders report 5.7.322 certificate-expired");
            } else {
                tracing::warn!(event = "certificate-expiring", zone = %self.zone, file = %file.display(), expires = date, "certificate expires soon");
            }
        }
    }

    /// Writes the state file when it changed: retirement deadlines, probe outcomes, first
    /// publications, and the unsafe-rollover entries that still hold (over ones are dropped
    /// here, no longer published ones in [`TlsaManager::published`]), so a restart neither
    /// removes a needed old record early nor keeps it forever.
    fn save(&mut self, now: u64) {
        let Some(path) = &self.path else { return };
        if self.bindings.is_empty() {
            return;
        }
        self.state.retiring = self
            .retiring
            .iter()
            .map(|((name, rdata), at)| ((name.to_lowercase().to_string(), state::hex(rdata)), *at))
            .collect();
        self.state.unsafe_until.retain(|_, until| *until > now);
        if let Err(e) = self.state.store_if_changed(path) {
            tracing::error!(event = "tlsa-state-store-failed", zone = %self.zone, file = %path.display(), error = %e, "cannot record the TLSA state");
        }
    }

    //--- reading

    /// The bindings.
    pub(super) fn bindings(&self) -> &[TlsaBinding] {
        &self.bindings
    }

    /// The state file's facts.
    pub(super) fn state(&self) -> &TlsaState {
        &self.state
    }

    /// The propagation delay, seconds.
    pub(super) fn propagation(&self) -> u64 {
        self.propagation
    }
}
