//! The zone driver: one per zone, and every change to the zone flows through it.
//!
//! [`ZoneDriver::step`] takes the time and one [`Event`] (the zone file may have changed, the
//! certificate files changed, a probe came back, the parent's DS or the secondaries were
//! observed, or just a tick of the clock), asks the sources what they want changed, and hands
//! each change to the one publication path ([`Served::publish`]); after a publication it lets
//! the sources persist their own state (the crash-safe order, see `daemon::publish`).
//! [`ZoneDriver::next_wakeup`] says when the next timer of the zone ends.
//!
//! Time is an argument: nothing here reads a clock, so a zone's whole life (signature refresh,
//! a certificate renewal through pre-publication and retirement, a key rollover) is driven
//! by hand in the unit tests, by the virtual clock in `daned simulate`, and by the system clock
//! in the daemon — through the same code. Network I/O (probes, DS and SOA queries) is the
//! host's: the driver says what it wants observed ([`ZoneDriver::wants`]) and is told the
//! outcome as an event.

use std::path::Path;
use std::sync::Arc;

use signer::Timestamp;
use signer::keystore::StoredKey;
use signer::rollover::{self, WaitFor};
use zones::Zone;

use crate::config::ZoneConfig;
use crate::daemon::error::ZoneError;
use crate::daemon::lifecycle;
use crate::daemon::pipeline::Versions;
use crate::daemon::publish::{Change, Published, Served};
use crate::daemon::signing;
use crate::daemon::tlsa::manager::TlsaManager;
use crate::daemon::zonefile::{self, FileStamp};
use crate::dane::probe::ProbeSeen;
use crate::mailrec::manager::MailManager;
use sources::{mail_manager, managed_tlsa, tlsa_manager};

pub mod history;

pub use history::{History, ReloadOutcome, SecondarySeen};

//------------ Event ---------------------------------------------------------

/// What happened.
#[derive(Debug)]
pub enum Event {
    /// A reload was asked for (SIGHUP, `daned reload`): re-read the zone file if it changed,
    /// and run the timers.
    Reload,
    /// The certificate or key files of a TLSA binding changed.
    Certificates,
    /// The key files of a `[[zone.dkim]]` table or the MTA-STS policy file changed.
    MailFiles,
    /// The MTA-STS policy endpoint was fetched: the id of what it serves, or why it failed.
    StsProbe(crate::mailrec::mta_sts::source::Probed),
    /// A STARTTLS probe of `addr` came back.
    Probe {
        /// The `probe` address.
        addr: String,
        /// What it saw.
        seen: ProbeSeen,
    },
    /// Every secondary serves the current serial.
    SecondariesSynced,
    /// The parent's nameservers agree on this DS set ((algorithm, key tag) pairs), or do not
    /// agree / cannot be asked (`None`).
    ParentDs(Option<Vec<(u8, u16)>>),
    /// The clock moved: signature refresh, rollover steps, the periodic re-read of the
    /// certificate files.
    Tick,
    /// The serial each secondary served when asked (reported by status and metrics only).
    SecondarySerials(Vec<(std::net::SocketAddr, Option<u32>)>),
}

/// When the rollover machine is asked what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyEvaluation {
    /// At every tick: the daemon, whose key files an operator's `daned keys` may change.
    EveryTick,
    /// Only when one of its timers ends or what it observes changes: `daned simulate`, whose
    /// keys nothing else touches (reading them at every step would dominate its run time).
    WhenDue,
}

/// What the driver wants to learn from the network.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wants {
    /// Whether the secondaries serve this serial.
    pub secondaries_serial: Option<u32>,
    /// The parent's DS set.
    pub parent_ds: bool,
}

//------------ KeySource -----------------------------------------------------

/// The key rollover as a source of changes: the zone's keys (as last stored), what was
/// observed outside, and what the machine waits for.
#[derive(Debug)]
struct KeySource {
    /// The keys the zone is signed with.
    keys: Vec<StoredKey>,
    /// What was observed (saved beside the keys).
    seen: lifecycle::Observed,
    /// The observations changed since the machine last ran.
    seen_changed: bool,
    /// When the parent was last asked.
    ds_checked: Option<Timestamp>,
    /// What the machine waits for.
    pending: Vec<rollover::Wait>,
    /// When one of its timers ends (`None`: only an observation can move it).
    wake: Option<Timestamp>,
    /// When it is asked.
    evaluation: KeyEvaluation,
    /// The steps carried out since [`ZoneDriver::take_applied`] was last called.
    applied: Vec<rollover::Action>,
}

//------------ ZoneDriver ----------------------------------------------------

/// One zone: its configuration, the version served, and its sources of change.
pub struct ZoneDriver {
    /// The zone's configuration.
    config: ZoneConfig,
    /// The version served.
    served: Served,
    /// The zone file's stamp when it was loaded (`None`: never reloaded).
    stamp: Option<FileStamp>,
    /// The TLSA records, for a zone with `[[zone.tlsa]]` bindings. Boxed and absent
    /// otherwise: most zones of a hoster have none, and an idle manager held inline would
    /// cost each of them a few hundred bytes.
    tlsa: Option<Box<TlsaManager>>,
    /// The DKIM, MTA-STS and TLS-RPT records, for a zone that publishes any (or still
    /// retires a DKIM key); absent otherwise, as `tlsa`.
    mail: Option<Box<MailManager>>,
    /// The key rollover (signed zones).
    keys: Option<KeySource>,
    /// What status, metrics and the timeline report of the zone's recent past.
    history: History,
    /// The records DNS UPDATE added and deleted, and the `state_dir` they are kept in
    /// (`None`: a zone held in memory only, which takes no updates).
    updates: Option<update::Updates>,
}

impl ZoneDriver {
    /// Loads the zone of `config` at `now`: the version saved under `state_dir` when the file
    /// brings nothing new (its stale signatures refreshed), else a new version with the next
    /// serial, journalled.
    pub fn load(config: ZoneConfig, state_dir: &Path, now: Timestamp) -> Result<Self, ZoneError> {
        let stamp = FileStamp::of(&config.file).map_err(|error| ZoneError::Stat {
            path: config.file.clone(),
            error,
        })?;
        let versions = Arc::new(Versions::open(state_dir, &config.name)?);
        let saved = versions.load_saved(&config.name);
        let mut tlsa = tlsa_manager(&config, Some(state_dir));
        let keys = Self::key_source(&config, now, KeyEvaluation::EveryTick)?;
        let updates = update::Updates::load(state_dir, &config.name)?;
        let unsigned = updates.layer.apply_to(zonefile::load(&config)?);
        let unsigned = match &mut tlsa {
            Some(t) => t.with_managed(&config.file, unsigned, saved.as_ref(), now.0)?,
            None => unsigned,
        };
        let mut mail = mail_manager(&config, Some(state_dir));
        let unsigned = match &mut mail {
            Some(m) => m.with_managed(&config.file, unsigned, saved.as_ref(), now.0)?,
            None => unsigned,
        };
        let signing_keys = keys.as_ref().map_or(&[][..], |k| &k.keys[..]);
        let served = match Served::first(
            &config,
            signing_keys,
            Some(Arc::clone(&versions)),
            saved.as_ref(),
            unsigned,
            now,
        )? {
            Some(served) => served,
            None => {
                let zone = saved.clone().ok_or(ZoneError::NoVersion)?;
                tracing::info!(zone = %config.name, serial = zone.serial().map_or(0, |s| s.0), "zone file unchanged since the saved version");
                Served::new(zone, Some(versions), now)
            }
        };
        // A certificate that changed while the daemon was down is a rollover too.
        let tlsa_before = saved.as_ref().map(|z| managed_tlsa(&config, z));
        if tlsa_before.is_some_and(|b| {
            b.iter().any(|r| !r.is_empty()) && b != managed_tlsa(&config, &served.zone())
        }) {
            tlsa.iter_mut().for_each(|t| t.warn_unsafe_rollover(now.0));
        }
        if let Some(t) = &mut tlsa {
            t.published(&served.zone(), now.0);
        }
        if let Some(m) = &mut mail {
            m.published(&served.zone(), now.0);
        }
        let mut driver = Self {
            config,
            served,
            stamp: Some(stamp),
            tlsa,
            mail,
            keys,
            history: History {
                last_change: Some(now),
                ..History::default()
            },
            updates: Some(updates),
        };
        // A daemon stopped for longer than the refresh window re-signs what went stale
        // before it serves anything.
        driver.refresh(now);
        Ok(driver)
    }

    /// A zone held in memory only (never reloaded, no journal): the demo. `zone` is signed
    /// when the configuration says so.
    pub fn in_memory(config: ZoneConfig, zone: Zone, now: Timestamp) -> Result<Self, ZoneError> {
        tracing::info!(
            zone = %config.name,
            serial = zone.serial().map_or(0, |s| s.0),
            records = zone.len(),
            "zone loaded (in memory)"
        );
        Self::unjournalled(config, zone, now, KeyEvaluation::EveryTick)
    }

    /// The zone of `config` with unsigned content `unsigned` and its keys under
    /// `config.signing`'s state folder, journalled nowhere: `daned simulate`.
    pub fn simulated(
        config: ZoneConfig,
        unsigned: Zone,
        now: Timestamp,
    ) -> Result<Self, ZoneError> {
        Self::unjournalled(config, unsigned, now, KeyEvaluation::WhenDue)
    }

    /// A zone with no journal, saved version or zone file to follow.
    fn unjournalled(
        config: ZoneConfig,
        zone: Zone,
        now: Timestamp,
        evaluation: KeyEvaluation,
    ) -> Result<Self, ZoneError> {
        let keys = Self::key_source(&config, now, evaluation)?;
        let signing_keys = keys.as_ref().map_or(&[][..], |k| &k.keys[..]);
        let served = Served::first(&config, signing_keys, None, None, zone, now)?
            .ok_or(ZoneError::NoVersion)?;
        Ok(Self {
            tlsa: tlsa_manager(&config, None),
            mail: mail_manager(&config, None),
            config,
            served,
            stamp: None,
            keys,
            history: History {
                last_change: Some(now),
                ..History::default()
            },
            updates: None,
        })
    }

    /// The key source of a signed zone: its keys (the policy's set made on first use).
    fn key_source(
        config: &ZoneConfig,
        now: Timestamp,
        evaluation: KeyEvaluation,
    ) -> Result<Option<KeySource>, ZoneError> {
        let Some(how) = &config.signing else {
            return Ok(None);
        };
        let store =
            signing::open_store(&how.state_dir, &config.name).map_err(signing::KeysError::from)?;
        let keys = signing::ensure_keys(&store, &config.name, &how.policy, now)?;
        Ok(Some(KeySource {
            keys,
            seen: lifecycle::Observed::load(&how.state_dir, &config.name),
            seen_changed: true,
            ds_checked: None,
            pending: Vec::new(),
            wake: Some(now),
            evaluation,
            applied: Vec::new(),
        }))
    }

    //--- Reading

    /// The zone's configuration.
    pub fn config(&self) -> &ZoneConfig {
        &self.config
    }

    /// The version served.
    pub fn served(&self) -> &Served {
        &self.served
    }

    /// The TLSA manager (`None`: the zone has no TLSA binding).
    pub fn tlsa(&self) -> Option<&TlsaManager> {
        self.tlsa.as_deref()
    }

    /// The manager of the DKIM, MTA-STS and TLS-RPT records (`None`: the zone publishes
    /// none).
    pub fn mail(&self) -> Option<&MailManager> {
        self.mail.as_deref()
    }

    /// The keys the zone is signed with, as last stored (`None`: an unsigned zone).
    pub fn keys(&self) -> Option<&[StoredKey]> {
        self.keys.as_ref().map(|k| &k.keys[..])
    }

    /// What the rollover observed outside (`None`: an unsigned zone).
    pub fn observations(&self) -> Option<&lifecycle::Observed> {
        self.keys.as_ref().map(|k| &k.seen)
    }

    /// The zone's recent past: last change, last reload, secondaries as last seen.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// What the rollover waits for now.
    pub fn pending(&self) -> &[rollover::Wait] {
        self.keys.as_ref().map_or(&[], |k| &k.pending)
    }

    /// When the next timer of the zone ends: the next signature refresh, the next rollover
    /// timer, or the next retiring TLSA record's deadline (with a probe, the record also
    /// waits for the MTA to present the new key).
    pub fn next_wakeup(&self) -> Option<Timestamp> {
        let refresh = self
            .config
            .signing
            .as_ref()
            .and_then(|how| self.served.next_refresh(how.policy.rrsig_refresh.as_secs()));
        let keys = self.keys.as_ref().and_then(|k| k.wake);
        let tlsa = self.tlsa().and_then(|t| t.next_retirement()).map(Timestamp);
        let mail = self.mail().and_then(|m| m.next_change()).map(Timestamp);
        // Not the release of the editable zone: any timer check (every minute) does it, and
        // a wake-up of its own would shift what a timeline projects.
        [refresh, keys, tlsa, mail].into_iter().flatten().min()
    }

    /// What the rollover wants observed at `now`: the secondaries' serial while a step waits
    /// for them, the parent's DS while a key waits for a DS change (every
    /// `ds_check_interval`, when `parent_servers` are configured).
    pub fn wants(&mut self, now: Timestamp) -> Wants {
        let mut wants = Wants::default();
        let Some(keys) = &mut self.keys else {
            return wants;
        };
        let waits = |what| keys.pending.iter().any(|w| w.what == what);
        if waits(WaitFor::Secondaries) && !self.config.notify.is_empty() {
            wants.secondaries_serial = Some(self.served.serial());
        }
        let ds_wait = waits(WaitFor::DsPublished) || waits(WaitFor::DsWithdrawn);
        let due = keys
            .ds_checked
            .is_none_or(|t| now.as_secs() >= t.as_secs() + self.config.ds_check_interval.as_secs());
        if ds_wait && due && !self.config.parent_servers.is_empty() {
            keys.ds_checked = Some(now);
            wants.parent_ds = true;
        }
        wants
    }

    //--- Stepping

    /// Handles `event` at `now`. Returns what was published (in order), if anything.
    pub fn step(&mut self, now: Timestamp, event: Event) -> Vec<Published> {
        let mut published = Vec::new();
        match event {
            Event::Reload => {
                published.extend(self.reload(now));
                published.extend(self.advance_keys(now, true));
                published.extend(self.refresh(now));
            }
            Event::Certificates => published.extend(self.certificates(now)),
            Event::MailFiles => published.extend(self.mail_files(now)),
            Event::StsProbe(probed) => {
                if let Some(m) = &mut self.mail {
                    m.note_sts_probe(probed, now.0);
                }
                published.extend(self.mail_files(now));
            }
            Event::Probe { addr, seen } => {
                let view = self.sources_view();
                if let Some(t) = &mut self.tlsa {
                    t.note_probe(&addr, seen, &view, now.0);
                }
                // The rollover of a retiring record may wait on what the MTA presents.
                published.extend(self.certificates(now));
            }
            Event::SecondariesSynced => self.observed(now, |seen| seen.synced_at = Some(now)),
            Event::ParentDs(ds) => {
                tracing::info!(event = "parent-ds-checked", zone = %self.config.name, ds = ?ds, "parent DS checked");
                self.observed(now, |seen| seen.parent_ds = ds);
            }
            Event::Tick => {
                published.extend(self.advance_keys(now, false));
                published.extend(self.certificates(now));
                published.extend(self.mail_files(now));
                published.extend(self.refresh(now));
                self.served.flush(false);
                self.release_editable(now);
            }
            Event::SecondarySerials(seen) => {
                self.history.secondaries = seen
                    .into_iter()
                    .map(|(addr, serial)| SecondarySeen {
                        addr,
                        serial,
                        at: now,
                    })
                    .collect();
            }
        }
        if !published.is_empty() {
            self.history.last_change = Some(now);
        }
        published
    }

    /// Publishes `change`, logging a failure (the served version stays).
    fn publish(
        &mut self,
        change: Change,
        now: Timestamp,
        keys: Option<&[StoredKey]>,
    ) -> Option<Published> {
        self.try_publish(change, now, keys).ok().flatten()
    }

    /// [`publish`](Self::publish), telling a failure (logged) from no change.
    fn try_publish(
        &mut self,
        change: Change,
        now: Timestamp,
        keys: Option<&[StoredKey]>,
    ) -> Result<Option<Published>, ()> {
        let keys = keys.unwrap_or_else(|| self.keys.as_ref().map_or(&[][..], |k| &k.keys[..]));
        let kind = change.kind();
        self.served
            .publish(&self.config, keys, change, now)
            .inspect(|done| {
                if done.is_some() {
                    self.history.last_change = Some(now);
                }
            })
            .map_err(|e| {
                tracing::error!(event = "publish-failed", zone = %self.config.name, change = kind, error = %e, "cannot publish the change; the previous version stays served");
            })
    }

    /// Re-reads the zone file if it changed.
    fn reload(&mut self, now: Timestamp) -> Option<Published> {
        let old = self.stamp?;
        let stamp = match FileStamp::of(&self.config.file) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(event = "zone-reload-failed", zone = %self.config.name, file = %self.config.file.display(), error = %e, "zone file unreadable, keeping the loaded version");
                self.history.last_reload = Some(ReloadOutcome::Failed(now, e.to_string()));
                return None;
            }
        };
        if stamp == old && !self.layer_changed() {
            tracing::debug!(zone = %self.config.name, "zone file unchanged");
            self.history.last_reload = Some(ReloadOutcome::Loaded(now));
            return None;
        }
        self.stamp = Some(stamp);
        let content = zonefile::load(&self.config)
            .map_err(ZoneError::from)
            .and_then(|unsigned| self.with_layer(unsigned))
            .and_then(|unsigned| {
                let served = self.served.zone();
                let unsigned = match &mut self.tlsa {
                    Some(t) => t.with_managed(&self.config.file, unsigned, Some(&served), now.0)?,
                    None => unsigned,
                };
                Ok(match &mut self.mail {
                    Some(m) => m.with_managed(&self.config.file, unsigned, Some(&served), now.0)?,
                    None => unsigned,
                })
            });
        self.history.last_reload = Some(match &content {
            Ok(_) => ReloadOutcome::Loaded(now),
            Err(e) => ReloadOutcome::Failed(now, e.to_string()),
        });
        match content {
            Ok(unsigned) => {
                let Ok(done) = self.try_publish(Change::Content(unsigned), now, None) else {
                    // Not published (a full disk?): the next reload tries the file again.
                    self.stamp = Some(old);
                    self.history.last_reload = Some(ReloadOutcome::Failed(
                        now,
                        "loaded, but the new version could not be published".into(),
                    ));
                    return None;
                };
                match done {
                    Some(_) => {
                        let served = self.served.zone();
                        if let Some(t) = &mut self.tlsa {
                            t.published(&served, now.0);
                        }
                        if let Some(m) = &mut self.mail {
                            m.published(&served, now.0);
                        }
                    }
                    None => {
                        tracing::info!(zone = %self.config.name, "zone file changed on disk but not in content")
                    }
                }
                done
            }
            Err(e) => {
                tracing::error!(event = "zone-reload-failed", zone = %self.config.name, error = %e, "zone reload failed, keeping the loaded version");
                None
            }
        }
    }

    /// Lets the editable zone go once no change has come for a while, leaving the snapshot
    /// as the one copy at rest.
    fn release_editable(&self, now: Timestamp) {
        if self.served.release_due(now) {
            crate::daemon::editable::return_freed_memory(false);
        }
    }

    /// Refreshes the signatures that are due.
    fn refresh(&mut self, now: Timestamp) -> Option<Published> {
        let how = self.config.signing.as_ref()?;
        if clock_jump::signed_in_future(&self.served.snapshot, now) {
            // The clock went back past the backdate: signatures made before the jump start
            // after now, and validators reject them until then. Signing in full keeps no
            // signature that starts after now; one publish, then the schedule holds again.
            tracing::warn!(zone = %self.config.name, "the clock went back: signatures start in the future; re-signing the zone");
            let done = self.publish(Change::Keys, now, None);
            if let Some(p) = &done {
                tracing::info!(zone = %self.config.name, serial = p.serial, elapsed_ms = p.elapsed_ms, "signatures re-made after the clock went back");
            }
            return done;
        }
        if self
            .served
            .next_refresh(how.policy.rrsig_refresh.as_secs())
            .is_none_or(|due| due > now)
        {
            return None;
        }
        let done = self.publish(Change::Refresh, now, None);
        if let Some(p) = done {
            tracing::info!(event = "signatures-refreshed", zone = %self.config.name, serial = p.serial, elapsed_ms = p.elapsed_ms, "signatures refreshed");
        }
        done
    }

    /// Notes an observation for the rollover (saved beside the keys when it changed).
    fn observed(&mut self, _now: Timestamp, update: impl FnOnce(&mut lifecycle::Observed)) {
        let (Some(keys), Some(how)) = (&mut self.keys, &self.config.signing) else {
            return;
        };
        let before = keys.seen.clone();
        update(&mut keys.seen);
        if keys.seen != before {
            keys.seen_changed = true;
            if let Err(e) = keys.seen.save(&how.state_dir, &self.config.name) {
                tracing::warn!(zone = %self.config.name, error = %e, "cannot save the rollover's observations");
            }
        }
    }

    /// Runs the rollover machine when it is due (or `force`d): carries out the steps, serves
    /// the zone they give, and only then stores the new key states.
    fn advance_keys(&mut self, now: Timestamp, force: bool) -> Option<Published> {
        let how = self.config.signing.clone()?;
        let keys = self.keys.as_mut()?;
        let due = force
            || keys.evaluation == KeyEvaluation::EveryTick
            || keys.seen_changed
            || keys.wake.is_some_and(|w| w <= now);
        if !due {
            return None;
        }
        keys.seen_changed = false;
        let obs = keys.seen.observations(!self.config.notify.is_empty());
        let max_ttl = u64::from(self.served.snapshot.max_ttl());
        let adv = match lifecycle::advance(&how, &self.config.name, max_ttl, now, obs) {
            Ok(adv) => adv,
            Err(e) => {
                tracing::error!(event = "rollover-step-failed", zone = %self.config.name, error = %e, "key rollover step failed; retrying at the next check");
                return None;
            }
        };
        keys.pending = adv.plan.waits.clone();
        keys.wake = adv.plan.next_wakeup();
        if adv.applied.is_empty() {
            keys.keys = adv.keys;
            return None;
        }
        let mut done = None;
        if adv.zone_changes {
            done = self.publish(Change::Keys, now, Some(&adv.keys));
            if done.is_none() {
                tracing::error!(event = "rollover-step-failed", zone = %self.config.name, "signing for a key rollover step failed; retrying at the next check");
                return None;
            }
            tracing::info!(event = "rollover-step-served", zone = %self.config.name, serial = self.served.serial(), "zone re-signed for a key rollover step");
        }
        // Stored only now that the zone showing the step is journalled and served.
        if let Err(e) = lifecycle::commit(&how, &self.config.name, &adv) {
            tracing::error!(event = "key-state-store-failed", zone = %self.config.name, error = %e, "cannot store the key states; the step is repeated at the next check");
        }
        if let Some(keys) = &mut self.keys {
            keys.applied.extend(adv.applied.iter().copied());
            keys.keys = adv.keys;
        }
        done
    }

    /// The rollover steps carried out since the last call (`daned simulate` counts them).
    pub fn take_applied(&mut self) -> Vec<rollover::Action> {
        self.keys
            .as_mut()
            .map(|k| std::mem::take(&mut k.applied))
            .unwrap_or_default()
    }
}

mod clock_jump;
mod sources;

#[cfg(test)]
mod tests;
mod update;
