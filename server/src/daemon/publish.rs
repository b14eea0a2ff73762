//! The one place where a zone gets a new version: [`Served::publish`].
//!
//! Every source of change (the zone file, the certificate files, key rollover steps, signature
//! refresh, and later UPDATE and the DKIM/MTA-STS files) hands a [`Change`] to `publish`, which
//! alone
//! 1. sets the SOA serial (RFC 1982, by the zone's serial policy; the zone file's own serial is
//!    respected when it moves ahead),
//! 2. signs what the change touched (the signer keeps every signature of an unchanged RRset that
//!    is not due for refresh),
//! 3. appends the diff to the journal (fsync) and saves the version,
//! 4. builds the snapshot the query path reads,
//!
//! and only then replaces the served version; the caller swaps the catalog and queues NOTIFY.
//! A failure at any step leaves the previous version serving.
//!
//! # The crash-safe order
//!
//! A source's own state (a rollover's key phases, a TLSA record's first publication) is written
//! **after** the version that shows it is journalled, never before: a SIGKILL at any point
//! leaves the stored state at or behind what was served, so a restart repeats a step (which
//! only lengthens a wait) and never acts on a step no secondary or cache has seen. A key that
//! a version publishes has its key files written before that version is signed (the signer
//! reads them), so a published key is never generated twice. The driver keeps this order for
//! every source; `daned simulate` runs the same driver and so the same order.

use std::sync::Arc;
use std::time::Instant;

use signer::Timestamp;
use signer::keystore::StoredKey;
use zones::diff::Diff;
use zones::journal::History;
use zones::serial::Serial;
use zones::snapshot::ZoneSnapshot;
use zones::{Name, Record, Zone};

use crate::config::ZoneConfig;
use crate::daemon::editable::{Editable, HOLD_SECS};
use crate::daemon::pipeline::{self, PipelineError, Versions};
use crate::daemon::signing::{self, SigningError, ZoneSigning};
use signer::keystore::signing_entries;
use signer::schedule::SignatureSchedule;

/// From this many RRsets on, a zone's first version is written to disk on a thread of its
/// own while its snapshot is built: below it, the thread costs more than it saves.
const PARALLEL_COMMIT_RRSETS: usize = 50_000;

/// At most this many RRsets get new signatures in one version when a refresh is due for
/// more (see [`Served::refresh`]). Each part rewrites the saved version (its diff is large),
/// so parts are big: a 100,000-name zone refreshes in one, a million-name zone in five.
const REFRESH_PART_RRSETS: usize = 500_000;

//------------ Change --------------------------------------------------------

/// What a source wants to change in a zone. The signer's own records (RRSIG, NSEC, NSEC3,
/// NSEC3PARAM, DNSKEY of the zone's keys, CDS, CDNSKEY) are never part of a change: `publish`
/// makes them.
#[derive(Debug)]
pub enum Change {
    /// New content: the zone file as loaded, with the managed records (TLSA) in place.
    Content(Zone),
    /// Records removed and added (TLSA records of a certificate change, UPDATE).
    Records {
        /// Records to remove (absent ones are ignored).
        removed: Vec<Record>,
        /// Records to add.
        added: Vec<Record>,
    },
    /// Signatures due for refresh (`rrsig_refresh`).
    Refresh,
    /// The zone's keys moved to new phases (a rollover step): sign with the keys given.
    Keys,
}

impl Change {
    /// A short name for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Content(_) => "content",
            Self::Records { .. } => "records",
            Self::Refresh => "refresh",
            Self::Keys => "keys",
        }
    }
}

//------------ PublishError --------------------------------------------------

/// Why a change was not published (the previous version keeps serving).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// Signing failed.
    #[error("signing: {0}")]
    Sign(#[from] SigningError),
    /// The journal or the saved version could not be written.
    #[error(transparent)]
    Versions(#[from] PipelineError),
}

//------------ Served --------------------------------------------------------

/// The version of one zone being served, with its durable history.
#[derive(Clone)]
pub struct Served {
    /// The zone as served (signed when the zone is signed), as RRsets: held only while
    /// changes come, else rebuilt from the snapshot when asked for.
    editable: Arc<Editable>,
    /// Its wire-form snapshot, which the catalog holds: the one copy kept at rest.
    pub snapshot: Arc<ZoneSnapshot>,
    /// The journal and saved version (`None`: a zone held in memory only, the demo).
    versions: Option<Arc<Versions>>,
    /// When each RRset's signatures expire (what a refresh re-signs, and when).
    schedule: SignatureSchedule,
    /// RRsets per part of a big refresh ([`REFRESH_PART_RRSETS`]; tests make it small).
    refresh_part: usize,
}

/// What a publication did.
#[derive(Clone, Copy, Debug)]
pub struct Published {
    /// The serial now served.
    pub serial: u32,
    /// The time it took, from the change to the new snapshot.
    pub elapsed_ms: u64,
}

impl Served {
    /// Serves `zone` (already signed when it is to be) with the history of `versions`.
    pub fn new(zone: Zone, versions: Option<Arc<Versions>>, now: Timestamp) -> Self {
        let history = versions
            .as_ref()
            .map_or_else(History::default, |v| v.history());
        Self::with_history(Arc::new(zone), versions, history, now)
    }

    /// The zone as served, as RRsets (rebuilt from the snapshot when it is not held).
    pub fn zone(&self) -> Arc<Zone> {
        self.editable.get(&self.snapshot)
    }

    /// The zone as served, rebuilt from the snapshot when it is not held, without holding it:
    /// for a one-off read such as writing the saved version.
    fn zone_unheld(&self) -> Arc<Zone> {
        self.editable
            .held()
            .unwrap_or_else(|| Arc::new(self.snapshot.to_zone()))
    }

    /// The zone as served if it is held, else a zone of only the RRsets at `names`: what a
    /// source that reads a few names needs, without a rebuild.
    pub fn zone_at(&self, names: &[Name]) -> Arc<Zone> {
        self.editable
            .held()
            .unwrap_or_else(|| Arc::new(self.snapshot.partial(names)))
    }

    /// When the editable zone is to be let go (the snapshot alone stays).
    pub fn release_at(&self) -> Option<Timestamp> {
        self.editable.release_at()
    }

    /// Lets the editable zone go once no change has come for a while; true when it did.
    pub fn release_due(&self, now: Timestamp) -> bool {
        self.editable.release_due(now)
    }

    /// Serves `zone` with `history`.
    fn with_history(
        zone: Arc<Zone>,
        versions: Option<Arc<Versions>>,
        history: History,
        now: Timestamp,
    ) -> Self {
        let snapshot = signing::snapshot(&zone).with_history(history);
        let schedule = SignatureSchedule::build(&zone, now);
        Self::from_parts(zone, versions, snapshot, schedule, now)
    }

    /// Serves `zone` as `snapshot`, its signatures expiring as `schedule` says.
    fn from_parts(
        zone: Arc<Zone>,
        versions: Option<Arc<Versions>>,
        snapshot: ZoneSnapshot,
        schedule: SignatureSchedule,
        now: Timestamp,
    ) -> Self {
        // Held until the first tick after loading: the sources read it once more.
        Self {
            editable: Arc::new(Editable::holding(zone, now)),
            snapshot: Arc::new(snapshot),
            versions,
            schedule,
            refresh_part: REFRESH_PART_RRSETS,
        }
    }

    /// Makes big refreshes go out in parts of `rrsets` RRsets, so that tests see parts.
    #[cfg(test)]
    pub(crate) fn set_refresh_part(&mut self, rrsets: usize) {
        self.refresh_part = rrsets.max(1);
    }

    /// The journal and saved version, if the zone has them.
    pub fn versions(&self) -> Option<&Arc<Versions>> {
        self.versions.as_ref()
    }

    /// The serial served.
    pub fn serial(&self) -> u32 {
        self.snapshot.serial
    }

    /// Publishes `change` as the next version at `now`: serial, signatures, journal, saved
    /// copy, snapshot, in that order. Returns `Ok(None)` when the change brings nothing new
    /// (a zone file rewritten with the same content and serial, records already as asked,
    /// no signature due). On error nothing changed.
    ///
    /// What it costs follows what changed: records and signature refreshes are signed by
    /// `signer::incremental` (the changed RRsets and the NSEC/NSEC3 records around them), the
    /// journal gets the diff, and the snapshot is the previous one with the diff applied; all
    /// untouched data is shared with the previous version. New zone-file content and key
    /// changes sign the whole zone (reusing every signature still good).
    pub fn publish(
        &mut self,
        config: &ZoneConfig,
        keys: &[StoredKey],
        change: Change,
        now: Timestamp,
    ) -> Result<Option<Published>, PublishError> {
        let started = Instant::now();
        let kind = change.kind();
        if let (Change::Refresh, Some(how)) = (&change, &config.signing)
            && self
                .next_refresh(how.policy.refresh_window_secs())
                .is_none_or(|t| t > now)
        {
            return Ok(None); // nothing due: no need for the editable zone
        }
        if let (Change::Refresh, Some(how)) = (&change, &config.signing) {
            return self.refresh(config, keys, how, now, started);
        }
        let current = self.zone();
        let served = pipeline::serial_of(&current);
        let next_serial =
            |file: Serial| pipeline::next_serial(config.serial_policy, served, file, now);
        let (next, diff) = match (change, &config.signing) {
            (Change::Content(mut zone), how) => {
                let file = pipeline::serial_of(&zone);
                let (removed, added) = pipeline::content_diff(&current, &zone);
                if removed.is_empty() && added.is_empty() && !file.is_newer_than(served) {
                    return Ok(None);
                }
                let serial = next_serial(file);
                // New records in a file whose SOA and foreign DNSKEYs stay as they were:
                // signed like an UPDATE, at the cost of what changed. Anything else signs
                // the whole zone.
                let incremental = match how {
                    Some(how)
                        if pipeline::same_soa_but_serial(&current, &zone)
                            && signing::foreign_dnskeys(&current, keys)
                                == signing::foreign_dnskeys(&zone, keys) =>
                    {
                        signer::incremental::sign_change(
                            &current,
                            &signer::incremental::Change { removed, added },
                            serial,
                            &signing_entries(keys, how.policy.ksk_method),
                            &how.policy.signing_params(),
                            now,
                        )
                        .inspect_err(|e| tracing::info!(zone = %self.snapshot.origin_name(), error = %e, "the file's change cannot be signed on its own; signing the whole zone"))
                        .ok()
                    }
                    _ => None,
                };
                match (incremental, how) {
                    (Some((zone, diff)), _) => (zone, Some(diff)),
                    (None, Some(how)) => {
                        pipeline::set_serial(&mut zone, serial);
                        (
                            signing::sign_with(&zone, Some(&current), keys, how, now)?,
                            None,
                        )
                    }
                    (None, None) => {
                        pipeline::set_serial(&mut zone, serial);
                        (zone, None)
                    }
                }
            }
            (Change::Records { removed, added }, how) => {
                let removed: Vec<Record> =
                    removed.into_iter().filter(|r| current.holds(r)).collect();
                let added: Vec<Record> = added.into_iter().filter(|r| !current.holds(r)).collect();
                if removed.is_empty() && added.is_empty() {
                    return Ok(None);
                }
                match how {
                    Some(how) => {
                        let (zone, diff) = signer::incremental::sign_change(
                            &current,
                            &signer::incremental::Change { removed, added },
                            next_serial(served),
                            &signing_entries(keys, how.policy.ksk_method),
                            &how.policy.signing_params(),
                            now,
                        )
                        .map_err(SigningError::from)?;
                        (zone, Some(diff))
                    }
                    None => {
                        let mut zone = (*current).clone();
                        for r in &removed {
                            zone.remove_record(r);
                        }
                        for r in added {
                            zone.insert(r);
                        }
                        pipeline::set_serial(&mut zone, next_serial(served));
                        (zone, None)
                    }
                }
            }
            // With signing, `refresh` above took it.
            (Change::Refresh, _) => return Ok(None),
            (Change::Keys, how) => {
                let mut zone = (*current).clone();
                pipeline::set_serial(&mut zone, next_serial(served));
                let zone = match how {
                    Some(how) => signing::sign_with(&zone, Some(&current), keys, how, now)?,
                    None => zone,
                };
                (zone, None)
            }
        };
        let diff = match diff {
            Some(d) => Some(d),
            None => Diff::between(&current, &next),
        };
        self.install(next, diff, now)?;
        Ok(Some(self.announce(kind, started)))
    }

    /// Refreshes the signatures due at `now` (the `Change::Refresh` of [`Served::publish`]).
    ///
    /// When most of a big zone is due at once (a server that was down for days, a clock
    /// moved on), the RRsets go out in parts of [`REFRESH_PART_RRSETS`], in canonical order,
    /// each part a version of its own. What a version costs beyond the zone itself (the
    /// copied map nodes, the diff, the journal entry, the new signatures) is then that of a
    /// part: all at once, a million-name zone needed several times its own size. Parts in
    /// canonical order touch neighbouring map nodes, so each copies few of them. A failure
    /// leaves the parts already published in place, each a complete signed version.
    fn refresh(
        &mut self,
        config: &ZoneConfig,
        keys: &[StoredKey],
        how: &ZoneSigning,
        now: Timestamp,
        started: Instant,
    ) -> Result<Option<Published>, PublishError> {
        let due = SignatureSchedule::due(&self.zone(), now, how.policy.refresh_window_secs());
        if due.is_empty() {
            return Ok(None);
        }
        let entries = signing_entries(keys, how.policy.ksk_method);
        let params = how.policy.signing_params();
        let parts = due.len().div_ceil(self.refresh_part);
        for (i, part) in due.chunks(self.refresh_part).enumerate() {
            let current = self.zone();
            let served = pipeline::serial_of(&current);
            let serial = pipeline::next_serial(config.serial_policy, served, served, now);
            let (next, diff) =
                signer::incremental::refresh(&current, part, serial, &entries, &params, now)
                    .map_err(SigningError::from)?;
            drop(current);
            self.install(next, Some(diff), now)?;
            if parts > 1 {
                tracing::info!(zone = %config.name, part = i + 1, parts,
                    rrsets = part.len(), serial = self.serial(),
                    "signatures refreshed, one part");
            }
        }
        Ok(Some(self.announce("refresh", started)))
    }

    /// Logs the version now served, published by a change of `kind` begun at `started`.
    fn announce(&self, kind: &'static str, started: Instant) -> Published {
        let published = Published {
            serial: self.serial(),
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        tracing::info!(event = "version-published",
            zone = %self.snapshot.origin_name(),
            change = kind,
            serial = published.serial,
            elapsed_ms = published.elapsed_ms,
            "version published"
        );
        published
    }

    /// The earliest moment a signature must be refreshed (`rrsig_refresh` before it expires).
    pub fn next_refresh(&self, refresh_secs: u64) -> Option<Timestamp> {
        self.schedule.next_refresh(refresh_secs)
    }

    /// Writes the saved version if journalled changes have waited for it long enough
    /// (`force`: at exit). A failure is logged: the journal still holds every change.
    pub fn flush(&self, force: bool) {
        if let Some(v) = &self.versions
            && let Err(e) = v.flush(|| self.zone_unheld(), force)
        {
            tracing::warn!(zone = %self.snapshot.origin_name(), error = %e, "cannot write the saved version; the journal keeps the changes");
        }
    }

    /// Journals `diff` (when the zone has a journal), then serves `next`: its snapshot is
    /// the previous one with the diff applied, sharing everything the diff did not touch.
    fn install(
        &mut self,
        next: Zone,
        diff: Option<Diff>,
        now: Timestamp,
    ) -> Result<(), PipelineError> {
        let history = match &self.versions {
            Some(v) => v.commit_diff(diff.as_ref(), &next)?,
            None => History::default(),
        };
        let snapshot = match &diff {
            Some(d) => self.snapshot.apply(&next, d),
            None => signing::snapshot(&next),
        };
        match &diff {
            Some(d) => self.schedule.update(d, now),
            None => self.schedule = SignatureSchedule::build(&next, now),
        }
        self.snapshot = Arc::new(snapshot.with_history(history));
        self.editable = Arc::new(Editable::holding(Arc::new(next), now.add_secs(HOLD_SECS)));
        Ok(())
    }

    /// The first version of a zone loaded from its file: `unsigned` signed, with the next
    /// serial after `saved` when there is one, journalled. `Ok(None)` when the file brings
    /// nothing over `saved`.
    pub fn first(
        config: &ZoneConfig,
        keys: &[StoredKey],
        versions: Option<Arc<Versions>>,
        saved: Option<&Zone>,
        mut unsigned: Zone,
        now: Timestamp,
    ) -> Result<Option<Self>, PublishError> {
        if let Some(prev) = saved {
            let served = pipeline::serial_of(prev);
            let file = pipeline::serial_of(&unsigned);
            if pipeline::same_content(&unsigned, prev) && !file.is_newer_than(served) {
                return Ok(None);
            }
            pipeline::set_serial(
                &mut unsigned,
                pipeline::next_serial(config.serial_policy, served, file, now),
            );
        }
        let started = Instant::now();
        let zone = match &config.signing {
            Some(how) => {
                let signed = signing::sign_with(&unsigned, saved, keys, how, now)?;
                tracing::info!(event = "zone-signed",
                    zone = %config.name,
                    policy = %how.policy_name,
                    records = signed.len(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "zone signed"
                );
                signed
            }
            None => unsigned,
        };
        let zone = Arc::new(zone);
        let commit = || -> Result<History, PublishError> {
            let Some(v) = &versions else {
                return Ok(History::default());
            };
            let h = v.commit(saved, &zone)?;
            tracing::info!(
                zone = %config.name,
                serial = zone.serial().unwrap_or(Serial(0)).0,
                journal_entries = h.len(),
                "new version journalled"
            );
            Ok(h)
        };
        // Writing the version to disk and building what the query path reads both walk the
        // whole zone, one thread each: a big zone is served after the longer of the two,
        // not after their sum. Small zones (the many-zones start) skip the extra thread.
        if zone.rrsets.len() < PARALLEL_COMMIT_RRSETS {
            let history = commit()?;
            return Ok(Some(Self::with_history(zone, versions, history, now)));
        }
        let (history, (snapshot, schedule)) = std::thread::scope(|s| {
            let built = s.spawn(|| {
                let snapshot = signing::snapshot(&zone);
                (snapshot, SignatureSchedule::build(&zone, now))
            });
            let history = commit();
            let built = built
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (history, built)
        });
        Ok(Some(Self::from_parts(
            zone,
            versions,
            snapshot.with_history(history?),
            schedule,
            now,
        )))
    }
}
