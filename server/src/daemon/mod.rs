//! The running server: load every zone, publish the catalog, start the UDP workers and the TCP
//! listener, write the pid file, then react to signals (SIGHUP reloads the zone files that
//! changed, SIGTERM/SIGINT exit cleanly).
//!
//! The catalog lives in one `Arc<ArcSwap<Catalog>>`: readers load it without a lock, a reload
//! builds a new one and swaps it in atomically. A zone whose file fails to load on reload keeps
//! serving its previous version.

pub mod lifecycle;
pub mod observe;
pub mod pipeline;
pub mod signing;
pub mod tlsa;

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use arc_swap::ArcSwap;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::Semaphore;
use zones::Zone;
use zones::master::load_zone_file;
use zones::snapshot::{Catalog, ZoneSnapshot};

use crate::config::{Config, ServerConfig, ZoneConfig};
use crate::dane;
use crate::net::tcp::{self, TcpShared};
use crate::net::udp::UdpServer;
use crate::xfr::notify;
use pipeline::Versions;
use signer::Timestamp;
use signer::rollover;
use tlsa::publish::TlsaBinding;
use tlsa::retire::{Probes, Retiring};
use zones::Name;
use zones::diff::Diff;

/// The pid file's name inside `state_dir`.
pub const PID_FILE: &str = "daned.pid";

//------------ DaemonError ---------------------------------------------------

/// Why the daemon could not start or a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DaemonError {
    /// A zone file failed to load (the message is `file:line: message`).
    #[error("zone {zone}: {message}")]
    ZoneLoad {
        /// The zone.
        zone: String,
        /// The loader's message.
        message: String,
    },
    /// A listening socket could not be opened.
    #[error("cannot listen on {addr} ({proto}): {error}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// "udp" or "tcp".
        proto: &'static str,
        /// The error.
        error: std::io::Error,
    },
    /// A file operation failed.
    #[error("{path}: {error}")]
    File {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    /// Another daemon with this state folder is running.
    #[error("daned is already running with pid {pid} ({path})")]
    AlreadyRunning {
        /// Its pid.
        pid: i32,
        /// The pid file.
        path: PathBuf,
    },
    /// The pid file does not hold a pid.
    #[error("{0}: not a pid file")]
    BadPidFile(PathBuf),
    /// The daemon named by the pid file could not be signalled.
    #[error("cannot signal pid {pid}: {error}")]
    Signal {
        /// The pid.
        pid: i32,
        /// The error.
        error: std::io::Error,
    },
    /// The async runtime could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}

//------------ ZoneSlot ------------------------------------------------------

/// One configured zone with the version currently served.
#[derive(Clone)]
pub struct ZoneSlot {
    /// Its configuration.
    pub config: ZoneConfig,
    /// The file's identity when it was loaded (`None`: never reload, e.g. the demo zone).
    stamp: Option<FileStamp>,
    /// The zone served (signed, when the zone is signed).
    pub zone: Arc<Zone>,
    /// Its wire-form snapshot, built once per version.
    pub snapshot: Arc<ZoneSnapshot>,
    /// Its journal and saved version (`None` for a zone held in memory only).
    versions: Option<Arc<Versions>>,
    /// Managed TLSA records no longer derived from the files, with the time (seconds) until
    /// which they stay published: a sender may have the old RRset cached for a TTL, and the
    /// MTA may still present the old certificate.
    tlsa_retiring: Retiring,
    /// The last STARTTLS probe of each `probe` address of the zone's bindings.
    tlsa_probes: Probes,
    /// What the key rollover observed outside and still waits for.
    keys: KeyWatch,
}

/// The rollover's view from the daemon: observations (kept across versions, and saved for
/// `daned keys` and restarts) and what the last evaluation left pending, which decides what
/// to ask the network next.
#[derive(Clone, Debug, Default)]
struct KeyWatch {
    /// What was observed.
    seen: lifecycle::Observed,
    /// Whether `seen` was loaded from the state folder.
    loaded: bool,
    /// When the parent was last asked.
    ds_checked: Option<Timestamp>,
    /// The last evaluation's pending steps.
    pending: Vec<rollover::Wait>,
}

/// What tells whether a file changed: modification time and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    /// Modification time.
    mtime: SystemTime,
    /// Size in octets.
    len: u64,
}

impl FileStamp {
    /// The stamp of the file at `path`.
    fn of(path: &Path) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        Ok(Self {
            mtime: meta.modified()?,
            len: meta.len(),
        })
    }
}

impl ZoneSlot {
    /// A zone held in memory only (never reloaded, no journal): the demo.
    pub fn in_memory(config: ZoneConfig, zone: Zone) -> Result<Self, DaemonError> {
        tracing::info!(
            zone = %config.name,
            serial = soa_serial(&zone).unwrap_or(0),
            records = zone.len(),
            "zone loaded (in memory)"
        );
        let zone = sign_logged(&config, zone, None)?;
        Ok(Self::serving(config, None, None, zone, Arc::new([])))
    }

    /// A slot serving `zone` (already signed when it is to be) with its history.
    fn serving(
        config: ZoneConfig,
        stamp: Option<FileStamp>,
        versions: Option<Arc<Versions>>,
        zone: Zone,
        history: Arc<[Arc<Diff>]>,
    ) -> Self {
        let zone = Arc::new(zone);
        let snapshot = Arc::new(signing::snapshot(Arc::clone(&zone)).with_history(history));
        Self {
            config,
            stamp,
            zone,
            snapshot,
            versions,
            tlsa_retiring: Retiring::new(),
            keys: KeyWatch::default(),
            tlsa_probes: Probes::new(),
        }
    }

    /// Loads the zone's file and makes the version to serve: the one saved under `state_dir`
    /// when the file brings nothing new (signatures refreshed if stale), else a new version
    /// with the next serial, journalled.
    pub fn load(config: ZoneConfig, state_dir: &Path) -> Result<Self, DaemonError> {
        let stamp = FileStamp::of(&config.file).map_err(|error| DaemonError::File {
            path: config.file.clone(),
            error,
        })?;
        let versions = Arc::new(Versions::open(state_dir, &config.name).map_err(|e| {
            DaemonError::ZoneLoad {
                zone: config.name.to_string(),
                message: e.to_string(),
            }
        })?);
        let saved = versions.load_saved(&config.name);
        // Retirement deadlines and probe outcomes from before a restart still hold.
        let state = tlsa::state::TlsaState::load(&tlsa::state::path(state_dir, &config.name));
        let mut retiring = retiring_from_state(&state);
        let probes = state.probes;
        // What the saved version published at the managed names: a certificate that changed
        // while the daemon was down is a rollover too.
        let tlsa_before: Option<Vec<Vec<Vec<u8>>>> = saved
            .as_ref()
            .map(|z| managed_tlsa(&config, z))
            .filter(|b| b.iter().any(|r| !r.is_empty()));
        let unsigned = with_managed_tlsa(
            &config,
            load_logged(&config)?,
            saved.as_ref(),
            &mut retiring,
            &probes,
        )?;
        let (zone, history) = match next_version(&config, unsigned, saved.as_ref())? {
            Some(zone) => {
                let history = commit(&config, &versions, saved.as_ref(), &zone)?;
                (zone, history)
            }
            None => {
                let zone = saved.ok_or_else(|| DaemonError::ZoneLoad {
                    zone: config.name.to_string(),
                    message: "no version to serve".into(),
                })?;
                tracing::info!(zone = %config.name, serial = soa_serial(&zone).unwrap_or(0), "zone file unchanged since the saved version");
                (zone, versions.history())
            }
        };
        let mut slot = Self::serving(config, Some(stamp), Some(versions), zone, history);
        slot.tlsa_retiring = retiring;
        slot.tlsa_probes = probes;
        if tlsa_before.is_some_and(|b| b != managed_tlsa(&slot.config, &slot.zone)) {
            slot.warn_unsafe_rollover();
        }
        slot.record_tlsa();
        // A daemon stopped for longer than the refresh window re-signs what went stale
        // before it serves anything.
        slot.refresh_signatures();
        Ok(slot)
    }

    /// Reloads the file if it changed. Returns whether a new version is to be served; on
    /// failure the old version stays and the error is logged.
    fn reload(&mut self) -> bool {
        let Some(old) = self.stamp else { return false };
        let stamp = match FileStamp::of(&self.config.file) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(
                    zone = %self.config.name,
                    file = %self.config.file.display(),
                    error = %e,
                    "zone file unreadable, keeping the loaded version"
                );
                return false;
            }
        };
        if stamp == old {
            tracing::debug!(zone = %self.config.name, "zone file unchanged");
            return false;
        }
        self.stamp = Some(stamp);
        let result = load_logged(&self.config)
            .and_then(|unsigned| {
                with_managed_tlsa(
                    &self.config,
                    unsigned,
                    Some(&self.zone),
                    &mut self.tlsa_retiring,
                    &self.tlsa_probes,
                )
            })
            .and_then(|unsigned| next_version(&self.config, unsigned, Some(&self.zone)));
        match result {
            Ok(Some(zone)) => self.install(zone),
            Ok(None) => {
                tracing::info!(zone = %self.config.name, "zone file changed on disk but not in content");
                false
            }
            Err(e) => {
                tracing::error!(
                    zone = %self.config.name,
                    error = %e,
                    "zone reload failed, keeping the loaded version"
                );
                false
            }
        }
    }

    /// Refreshes the zone's signatures when some are due (`rrsig_refresh`); returns whether a
    /// new version is to be served. A failure keeps the served version and is logged.
    fn refresh_signatures(&mut self) -> bool {
        let Some(how) = &self.config.signing else {
            return false;
        };
        let now = crate::clock::now();
        if !signing::refresh_due(&self.zone, how, now) {
            return false;
        }
        let started = Instant::now();
        let mut input = (*self.zone).clone();
        let served = pipeline::serial_of(&self.zone);
        pipeline::set_serial(
            &mut input,
            pipeline::next_serial(self.config.serial_policy, served, served, now),
        );
        match signing::refresh(&input, &self.zone, how, now) {
            Ok(zone) => {
                tracing::info!(
                    zone = %self.config.name,
                    serial = soa_serial(&zone).unwrap_or(0),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "signatures refreshed"
                );
                self.install(zone)
            }
            Err(e) => {
                tracing::error!(zone = %self.config.name, error = %e, "signature refresh failed, serving the previous version");
                false
            }
        }
    }

    /// Runs the key rollover: carries out the steps that are due and, when they change the
    /// zone, serves the re-signed zone (next serial) before the new key states are stored.
    /// Returns whether a new version is to be served.
    fn advance_keys(&mut self) -> bool {
        let Some(how) = &self.config.signing else {
            return false;
        };
        let now = crate::clock::now();
        let name = self.config.name.clone();
        if !self.keys.loaded {
            self.keys.seen = lifecycle::Observed::load(&how.state_dir, &name);
            self.keys.loaded = true;
        }
        let obs = self.keys.seen.observations(!self.config.notify.is_empty());
        let adv = match lifecycle::advance(
            how,
            &name,
            lifecycle::max_zone_ttl(&self.zone),
            now,
            obs,
        ) {
            Ok(adv) => adv,
            Err(e) => {
                tracing::error!(zone = %name, error = %e, "key rollover step failed; retrying at the next check");
                return false;
            }
        };
        self.keys.pending = adv.plan.waits.clone();
        if adv.applied.is_empty() {
            return false;
        }
        let mut installed = false;
        if adv.zone_changes {
            let mut input = (*self.zone).clone();
            let served = pipeline::serial_of(&self.zone);
            pipeline::set_serial(
                &mut input,
                pipeline::next_serial(self.config.serial_policy, served, served, now),
            );
            match signing::sign_with(&input, Some(&self.zone), &adv.keys, how, now) {
                Ok(zone) => installed = self.install(zone),
                Err(e) => {
                    tracing::error!(zone = %name, error = %e, "signing for a key rollover step failed; retrying at the next check");
                    return false;
                }
            }
            if !installed {
                return false;
            }
            tracing::info!(zone = %name, serial = self.snapshot.serial, "zone re-signed for a key rollover step");
        }
        if let Some(how) = &self.config.signing
            && let Err(e) = lifecycle::commit(how, &name, &adv)
        {
            tracing::error!(zone = %name, error = %e, "cannot store the key states; the step is repeated at the next check");
        }
        installed
    }

    /// Asks the network what the rollover waits for: the secondaries' serials when a step
    /// waits for them, the parent's DS when a key waits for a DS change (every
    /// `ds_check_interval`).
    async fn observe(&mut self) {
        use rollover::WaitFor;
        let Some(how) = &self.config.signing else {
            return;
        };
        let now = crate::clock::now();
        let before = self.keys.seen.clone();
        let waits = |what| self.keys.pending.iter().any(|w| w.what == what);
        if waits(WaitFor::Secondaries) {
            let servers: Vec<_> = self.config.notify.iter().map(|t| t.addr).collect();
            let serial = self.snapshot.serial;
            if observe::all_serve(&servers, &self.config.name, serial).await {
                self.keys.seen.synced_at = Some(now);
            }
        }
        let ds_wait = waits(WaitFor::DsPublished) || waits(WaitFor::DsWithdrawn);
        let due = self
            .keys
            .ds_checked
            .is_none_or(|t| now.as_secs() >= t.as_secs() + self.config.ds_check_interval.as_secs());
        if ds_wait && due && !self.config.parent_servers.is_empty() {
            self.keys.ds_checked = Some(now);
            self.keys.seen.parent_ds =
                observe::parent_ds(&self.config.parent_servers, &self.config.name).await;
            tracing::info!(zone = %self.config.name, ds = ?self.keys.seen.parent_ds, "parent DS checked");
        }
        if self.keys.seen != before
            && let Err(e) = self.keys.seen.save(&how.state_dir, &self.config.name)
        {
            tracing::warn!(zone = %self.config.name, error = %e, "cannot save the rollover's observations");
        }
    }

    /// Re-reads the certificate and key files of the zone's TLSA bindings and, when the records
    /// they give differ from the published ones, serves a new version with them (signed, next
    /// serial). Returns whether a new version is to be served.
    fn refresh_tlsa(&mut self) -> bool {
        if self.config.tlsa.is_empty() {
            return false;
        }
        let mut records = managed_records(&self.config, Some(&self.zone));
        retain_old(
            &mut records,
            Some(&self.zone),
            &mut self.tlsa_retiring,
            &self.tlsa_probes,
            &self.config,
        );
        let unchanged = records.iter().all(|(b, r)| {
            b.names
                .iter()
                .all(|n| &tlsa::publish::published(&self.zone, n) == r)
        });
        if unchanged {
            self.save_tlsa_state();
            return false;
        }
        self.warn_unsafe_rollover();
        let started = Instant::now();
        let mut input = tlsa::publish::apply(&self.zone, &records);
        let served = pipeline::serial_of(&self.zone);
        let now = crate::clock::now();
        pipeline::set_serial(
            &mut input,
            pipeline::next_serial(self.config.serial_policy, served, served, now),
        );
        let next = match &self.config.signing {
            Some(how) => match signing::sign_loaded(&input, Some(&self.zone), how, now) {
                Ok(z) => z,
                Err(e) => {
                    tracing::error!(zone = %self.config.name, error = %e, "signing the new TLSA records failed; the old ones stay published");
                    return false;
                }
            },
            None => input,
        };
        for (binding, rdatas) in &records {
            for name in &binding.names {
                let text: Vec<String> = rdatas
                    .iter()
                    .map(|r| dane::derive::rdata_to_text(r))
                    .collect();
                tracing::info!(zone = %self.config.name, name = %name, records = ?text, "TLSA published");
            }
        }
        let installed = self.install(next);
        tracing::info!(zone = %self.config.name, serial = self.snapshot.serial, elapsed_ms = started.elapsed().as_millis() as u64, "TLSA change served");
        installed
    }

    /// Makes `zone` the served version: journal and saved copy first (when the zone has
    /// them), then the snapshot. Returns false, serving the old version, when that fails.
    fn install(&mut self, zone: Zone) -> bool {
        let history = match &self.versions {
            Some(v) => match commit(&self.config, v, Some(&self.zone), &zone) {
                Ok(h) => h,
                Err(e) => {
                    tracing::error!(zone = %self.config.name, error = %e, "cannot journal the new version, keeping the old one");
                    return false;
                }
            },
            None => Arc::new([]),
        };
        let retiring = std::mem::take(&mut self.tlsa_retiring);
        let keys = std::mem::take(&mut self.keys);
        let probes = std::mem::take(&mut self.tlsa_probes);
        *self = Self::serving(
            self.config.clone(),
            self.stamp,
            self.versions.clone(),
            zone,
            history,
        );
        self.tlsa_retiring = retiring;
        self.keys = keys;
        self.tlsa_probes = probes;
        self.record_tlsa();
        true
    }

    /// Logs an error for each certificate now in the files whose key was not published long
    /// enough before (RFC 7671 section 8.1): senders that cached the TLSA RRset without it
    /// defer mail with 5.7.323 until their cache expires.
    fn warn_unsafe_rollover(&self) {
        let Some(versions) = &self.versions else {
            return;
        };
        let path = tlsa::state::path(versions.state_dir(), &self.config.name);
        let mut state = tlsa::state::TlsaState::load(&path);
        let first_seen = state.first_seen.clone();
        let propagation = self
            .config
            .signing
            .as_ref()
            .map_or(0, |s| s.policy.propagation_delay.as_secs());
        let now = crate::clock::now().0;
        for binding in &self.config.tlsa {
            let certs_only = TlsaBinding {
                next_key: None,
                issuer: false,
                ..binding.clone()
            };
            let Ok(current) = tlsa::publish::derive_records(&certs_only) else {
                continue;
            };
            for name in &binding.names {
                for rdata in &current {
                    let key = (name.to_lowercase().to_string(), tlsa::state::hex(rdata));
                    let first = first_seen.get(&key).copied().unwrap_or(now);
                    let safe_from = tlsa::state::ready_at(first, binding, propagation);
                    if safe_from > now {
                        state.unsafe_until.insert(key, safe_from);
                        tracing::error!(
                            zone = %self.config.name,
                            name = %name,
                            record = %dane::derive::rdata_to_text(rdata),
                            until = %safe_from,
                            until_date = zones::serial::yyyymmdd(safe_from),
                            "unsafe TLSA rollover: the certificate's key was not pre-published long enough; DANE senders may defer mail with 5.7.323 until then"
                        );
                    }
                }
            }
        }
        if let Err(e) = state.store_if_changed(&path) {
            tracing::error!(zone = %self.config.name, file = %path.display(), error = %e, "cannot record the unsafe TLSA rollover");
        }
    }

    /// Keeps the outcome of a probe of `addr` (the `probe` of some of the zone's bindings)
    /// and says what it means: a presented key that no published record of the binding
    /// matches is what DANE senders see as 5.7.323 tlsa-invalid.
    pub fn note_probe(&mut self, addr: &str, seen: dane::probe::ProbeSeen) {
        for binding in &self.config.tlsa {
            if binding.probe.as_deref() != Some(addr) {
                continue;
            }
            match &seen.outcome {
                Ok(presented) => {
                    for name in &binding.names {
                        let published = tlsa::publish::published(&self.zone, name);
                        let verdict = presented.verify(&published, &name.to_string(), seen.at);
                        if verdict.is_match() {
                            tracing::debug!(zone = %self.config.name, probe = addr, name = %name, "the MTA presents a key a published TLSA record matches");
                        } else {
                            tracing::error!(
                                zone = %self.config.name,
                                probe = addr,
                                name = %name,
                                presented = %dane::derive::rdata_to_text(&presented.leaf_key()),
                                %verdict,
                                "the MTA presents a key no published TLSA record matches: DANE senders defer mail with 5.7.323 tlsa-invalid"
                            );
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(zone = %self.config.name, probe = addr, error = %e, "STARTTLS probe failed; retiring TLSA records stay until it succeeds");
                }
            }
        }
        self.tlsa_probes.insert(addr.to_string(), seen);
        self.save_tlsa_state();
    }

    /// Writes the retirement deadlines and probe outcomes to the TLSA state file (when they
    /// changed), and drops unsafe-rollover entries that are over or no longer published, so
    /// a restart neither removes a needed old record early nor keeps it forever.
    fn save_tlsa_state(&self) {
        let Some(versions) = &self.versions else {
            return;
        };
        if self.config.tlsa.is_empty() {
            return;
        }
        let path = tlsa::state::path(versions.state_dir(), &self.config.name);
        let mut state = tlsa::state::TlsaState::load(&path);
        state.retiring = self
            .tlsa_retiring
            .iter()
            .map(|((name, rdata), at)| {
                (
                    (name.to_lowercase().to_string(), tlsa::state::hex(rdata)),
                    *at,
                )
            })
            .collect();
        state.probes = self.tlsa_probes.clone();
        let now = crate::clock::now().0;
        let first_seen = state.first_seen.clone();
        state
            .unsafe_until
            .retain(|key, until| *until > now && first_seen.contains_key(key));
        if let Err(e) = state.store_if_changed(&path) {
            tracing::error!(zone = %self.config.name, file = %path.display(), error = %e, "cannot record TLSA retirement times");
        }
    }

    /// Notes when each managed TLSA record was first published (for readiness).
    fn record_tlsa(&self) {
        let Some(versions) = &self.versions else {
            return;
        };
        if self.config.tlsa.is_empty() {
            return;
        }
        let path = tlsa::state::path(versions.state_dir(), &self.config.name);
        if let Err(e) =
            tlsa::state::update(&path, &self.zone, &self.config.tlsa, crate::clock::now().0)
        {
            tracing::error!(zone = %self.config.name, file = %path.display(), error = %e, "cannot record TLSA publication times");
        }
        self.save_tlsa_state();
    }
}

/// The records each TLSA binding of `config` gives now. A binding whose files cannot be read
/// keeps the records `fallback` (the version served so far) publishes, and the error is
/// logged with the file's name: a broken or half-written file never changes what is served.
fn managed_records(
    config: &ZoneConfig,
    fallback: Option<&Zone>,
) -> Vec<(TlsaBinding, Vec<Vec<u8>>)> {
    config
        .tlsa
        .iter()
        .map(|binding| match tlsa::publish::derive_records(binding) {
            Ok(records) => {
                warn_expiring(config, binding);
                (binding.clone(), records)
            }
            Err(e) => {
                tracing::error!(zone = %config.name, error = %e, "TLSA files unusable; keeping the TLSA records published so far");
                let kept = fallback
                    .map(|z| tlsa::publish::published(z, &binding.names[0]))
                    .unwrap_or_default();
                (binding.clone(), kept)
            }
        })
        .collect()
}

/// Logs a warning for each certificate of `binding` that expires soon or has expired: DANE
/// senders defer mail to an MTA whose certificate expired (5.7.322 certificate-expired).
fn warn_expiring(config: &ZoneConfig, binding: &TlsaBinding) {
    let now = crate::clock::now().0;
    for (file, at) in tlsa::publish::expiring(binding, now) {
        let date = zones::serial::yyyymmdd(at.max(0) as u64);
        if at <= now as i64 {
            tracing::warn!(zone = %config.name, file = %file.display(), expired = date, "certificate has expired: senders report 5.7.322 certificate-expired");
        } else {
            tracing::warn!(zone = %config.name, file = %file.display(), expires = date, "certificate expires soon");
        }
    }
}

/// `unsigned` (just loaded from the zone file) with the managed TLSA RRsets in place. A zone
/// file that also has TLSA at a managed name is an error: two sources for one RRset.
fn with_managed_tlsa(
    config: &ZoneConfig,
    unsigned: Zone,
    fallback: Option<&Zone>,
    retiring: &mut Retiring,
    probes: &Probes,
) -> Result<Zone, DaemonError> {
    if config.tlsa.is_empty() {
        return Ok(unsigned);
    }
    managed_conflict(config, &unsigned)?;
    let mut records = managed_records(config, fallback);
    retain_old(&mut records, fallback, retiring, probes, config);
    Ok(tlsa::publish::apply(&unsigned, &records))
}

/// The TLSA records `zone` publishes at each managed name of `config`, in binding order.
fn managed_tlsa(config: &ZoneConfig, zone: &Zone) -> Vec<Vec<Vec<u8>>> {
    config
        .tlsa
        .iter()
        .flat_map(|b| &b.names)
        .map(|n| tlsa::publish::published(zone, n))
        .collect()
}

/// The retirement deadlines kept in the TLSA state file.
fn retiring_from_state(state: &tlsa::state::TlsaState) -> Retiring {
    state
        .retiring
        .iter()
        .filter_map(|((owner, data), at)| {
            let mut name = Name::from_ascii(owner).ok()?;
            name.set_fqdn(true);
            Some(((name, tlsa::state::unhex(data)?), *at))
        })
        .collect()
}

/// Keeps retiring TLSA records (see [`tlsa::retire::retain`]) on the daemon's clock, with the
/// propagation delay of the zone's policy.
fn retain_old(
    records: &mut [(TlsaBinding, Vec<Vec<u8>>)],
    previous: Option<&Zone>,
    retiring: &mut Retiring,
    probes: &Probes,
    config: &ZoneConfig,
) {
    let Some(previous) = previous else { return };
    let propagation = config
        .signing
        .as_ref()
        .map_or(0, |s| s.policy.propagation_delay.as_secs());
    let now = crate::clock::now().0;
    tlsa::retire::retain(records, previous, retiring, probes, propagation, now);
}

/// An error when the zone file has TLSA records at a name a `[[zone.tlsa]]` manages.
fn managed_conflict(config: &ZoneConfig, zone: &Zone) -> Result<(), DaemonError> {
    for binding in &config.tlsa {
        for name in &binding.names {
            if zone.get(name, zones::Rtype::TLSA).is_some() {
                return Err(DaemonError::ZoneLoad {
                    zone: config.name.to_string(),
                    message: format!(
                        "{}: has TLSA records at {name}, which [[zone.tlsa]] manages; remove them from the file",
                        config.file.display()
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Journals and saves a new version, logging it.
fn commit(
    config: &ZoneConfig,
    versions: &Versions,
    previous: Option<&Zone>,
    zone: &Zone,
) -> Result<Arc<[Arc<Diff>]>, DaemonError> {
    let history = versions
        .commit(previous, zone)
        .map_err(|e| DaemonError::ZoneLoad {
            zone: config.name.to_string(),
            message: e.to_string(),
        })?;
    tracing::info!(
        zone = %config.name,
        serial = soa_serial(zone).unwrap_or(0),
        journal_entries = history.len(),
        "new version journalled"
    );
    Ok(history)
}

/// The version to serve after loading `unsigned`: `None` when it brings nothing new over
/// `previous` (same content, serial not moved ahead); else the zone with the next serial,
/// signed (re-using the signatures of `previous` for what did not change).
fn next_version(
    config: &ZoneConfig,
    mut unsigned: Zone,
    previous: Option<&Zone>,
) -> Result<Option<Zone>, DaemonError> {
    if let Some(prev) = previous {
        let served = pipeline::serial_of(prev);
        let file = pipeline::serial_of(&unsigned);
        if pipeline::same_content(&unsigned, prev) && !file.is_newer_than(served) {
            return Ok(None);
        }
        let next = pipeline::next_serial(config.serial_policy, served, file, crate::clock::now());
        pipeline::set_serial(&mut unsigned, next);
    }
    sign_logged(config, unsigned, previous).map(Some)
}

/// Loads one zone file, logging the outcome as one structured line (plus its warnings).
fn load_logged(config: &ZoneConfig) -> Result<Zone, DaemonError> {
    let started = Instant::now();
    let loaded = load_zone_file(&config.file, &config.name).map_err(|e| DaemonError::ZoneLoad {
        zone: config.name.to_string(),
        message: e.to_string(),
    })?;
    for w in &loaded.warnings {
        tracing::warn!(zone = %config.name, "{w}");
    }
    let zone = loaded.zone;
    tracing::info!(
        zone = %config.name,
        serial = soa_serial(&zone).unwrap_or(0),
        records = zone.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        file = %config.file.display(),
        "zone loaded"
    );
    Ok(zone)
}

/// The serial of the zone's SOA (RFC 1035 section 3.3.13), if it has one.
pub fn soa_serial(zone: &Zone) -> Option<u32> {
    zone.serial().map(|s| s.0)
}

/// Loads every configured zone; the first failure is returned.
pub fn load_zones(config: &Config) -> Result<Vec<ZoneSlot>, DaemonError> {
    config
        .zones
        .iter()
        .cloned()
        .map(|z| ZoneSlot::load(z, &config.server.state_dir))
        .collect()
}

/// Builds a catalog from the slots, in configuration order.
fn build_catalog(slots: &[ZoneSlot]) -> Catalog {
    let catalog = Catalog::from_snapshots(slots.iter().map(|s| Arc::clone(&s.snapshot)).collect());
    release_free_memory();
    catalog
}

/// Hands memory freed by loading and signing (parser state, intermediate zone copies) back to
/// the system. glibc keeps freed heap in its arenas otherwise, and a daemon that loaded a large
/// zone once would keep that peak resident for good.
fn release_free_memory() {
    // SAFETY: malloc_trim only walks glibc's own allocator state; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Signs `zone` when its configuration says so, logging one line with the time it took. With
/// the `previous` signed version, only what changed is signed again (the signer keeps every
/// signature of an unchanged RRset that is not due for refresh). The zone is served only once
/// this returns: a failure keeps the previous version (or, at start,
/// stops the daemon with the error).
fn sign_logged(
    config: &ZoneConfig,
    zone: Zone,
    previous: Option<&Zone>,
) -> Result<Zone, DaemonError> {
    let Some(how) = &config.signing else {
        return Ok(zone);
    };
    let started = Instant::now();
    let signed = signing::sign_loaded(&zone, previous, how, crate::clock::now()).map_err(|e| {
        DaemonError::ZoneLoad {
            zone: config.name.to_string(),
            message: format!("signing: {e}"),
        }
    })?;
    tracing::info!(
        zone = %config.name,
        policy = %how.policy_name,
        records = signed.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "zone signed"
    );
    Ok(signed)
}

//------------ check ---------------------------------------------------------

/// `daned check`: loads every zone of `config`, printing warnings and errors (`file:line:
/// message`) and one summary line per good zone to `w`. Returns the number of errors.
pub fn check(config: &Config, w: &mut impl Write) -> std::io::Result<usize> {
    let mut errors = 0;
    for zone in &config.zones {
        for binding in &zone.tlsa {
            if let Err(e) = tlsa::publish::derive_records(binding) {
                errors += 1;
                writeln!(w, "error: zone {}: tlsa: {e}", zone.name)?;
            }
        }
        match load_zone_file(&zone.file, &zone.name) {
            Ok(loaded) => {
                // A zone with TLSA at a managed name, or whose largest TTL makes the policy's
                // key lifetimes shorter than their rollovers, is refused.
                let refused = managed_conflict(zone, &loaded.zone)
                    .err()
                    .map(|e| e.to_string())
                    .or_else(|| {
                        let how = zone.signing.as_ref()?;
                        let ttl = lifecycle::max_zone_ttl(&loaded.zone);
                        let e = how.policy.check_lifetimes(&how.policy_name, ttl).err()?;
                        Some(format!("zone {}: {e}", zone.name))
                    });
                if let Some(e) = refused {
                    errors += 1;
                    writeln!(w, "error: {e}")?;
                    continue;
                }
                for warning in &loaded.warnings {
                    writeln!(w, "warning: {warning}")?;
                }
                writeln!(
                    w,
                    "ok: {} serial {} ({} records, {} warnings)",
                    zone.name,
                    soa_serial(&loaded.zone).unwrap_or(0),
                    loaded.zone.len(),
                    loaded.warnings.len()
                )?;
            }
            Err(e) => {
                errors += 1;
                writeln!(w, "error: {e}")?;
            }
        }
    }
    Ok(errors)
}

//------------ serve ---------------------------------------------------------

/// How [`serve`] behaves beyond the configuration.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    /// Write `state_dir/daned.pid` (and remove it on exit).
    pub pid_file: bool,
    /// Carry on when some (not all) listen addresses cannot be bound (the demo: no IPv6).
    pub tolerate_bind_failures: bool,
}

/// Loads the configuration's zones and serves them until SIGTERM/SIGINT.
pub fn run(config: &Config) -> Result<(), DaemonError> {
    let slots = load_zones(config)?;
    serve(
        &config.server,
        slots,
        ServeOptions {
            pid_file: true,
            tolerate_bind_failures: false,
        },
    )
}

/// Serves `slots` with the settings of `server` until SIGTERM/SIGINT, logging one line per
/// listening address. TCP takes the port UDP was given (which matters for port 0).
pub fn serve(
    server: &ServerConfig,
    slots: Vec<ZoneSlot>,
    options: ServeOptions,
) -> Result<(), DaemonError> {
    let catalog = Arc::new(ArcSwap::from_pointee(build_catalog(&slots)));
    let workers = match server.udp_workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(DaemonError::Runtime)?;

    // A second daemon must not start: SO_REUSEPORT would let it share the UDP sockets.
    let pid_path = server.state_dir.join(PID_FILE);
    if options.pid_file {
        check_not_running(&pid_path)?;
    }

    // Bind everything first, so that a failure exits before anything is announced.
    let mut udp = Vec::new();
    let mut tcp_listeners = Vec::new();
    let mut last_error = None;
    for &addr in &server.listen {
        let bound = crate::net::bind_dns(addr, workers, Arc::clone(&catalog))
            .map_err(|(proto, error)| DaemonError::Bind { addr, proto, error });
        match bound {
            Ok((u, t)) => {
                tracing::info!(addr = %u.local_addr, udp_workers = workers, "listening (UDP and TCP)");
                udp.push(u);
                tcp_listeners.push(t);
            }
            Err(e) if options.tolerate_bind_failures => {
                tracing::warn!("{e}");
                last_error = Some(e);
            }
            Err(e) => {
                stop_all(udp);
                return Err(e);
            }
        }
    }
    if udp.is_empty() {
        if let Some(e) = last_error {
            return Err(e);
        }
    }

    if options.pid_file {
        if let Err(e) = write_pid_file(&server.state_dir, &pid_path) {
            stop_all(udp);
            return Err(e);
        }
    }

    let result = runtime.block_on(async {
        let shared = Arc::new(TcpShared {
            catalog: Arc::clone(&catalog),
            acls: slots
                .iter()
                .map(|s| (s.config.name.clone(), s.config.allow_transfer.clone()))
                .collect(),
            idle_timeout: server.tcp_idle_timeout,
            connections: Arc::new(Semaphore::new(server.tcp_max_connections)),
            respond: crate::answer::respond,
        });
        for std_listener in tcp_listeners {
            let listener = tokio::net::TcpListener::from_std(std_listener).map_err(|error| {
                DaemonError::File {
                    path: PathBuf::from("tcp listener"),
                    error,
                }
            })?;
            tokio::spawn(tcp::serve(listener, Arc::clone(&shared)));
        }
        // Secondaries may have missed changes while the daemon was down.
        notify_changed(&vec![0; slots.len()], &slots);
        signal_loop(slots, &catalog).await
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    stop_all(udp);
    if options.pid_file {
        let _ = std::fs::remove_file(&pid_path);
    }
    tracing::info!("stopped");
    result
}

/// The served serial of each slot.
fn serials(slots: &[ZoneSlot]) -> Vec<u32> {
    slots.iter().map(|s| s.snapshot.serial).collect()
}

/// Sends NOTIFY for every zone whose serial changed since `before`.
fn notify_changed(before: &[u32], slots: &[ZoneSlot]) {
    for (old, slot) in before.iter().zip(slots) {
        if *old != slot.snapshot.serial && !slot.config.notify.is_empty() {
            notify::spawn(
                slot.config.name.clone(),
                slot.snapshot.serial,
                slot.config.notify.clone(),
            );
        }
    }
}

/// Waits for signals: SIGHUP reloads, SIGTERM/SIGINT return.
async fn signal_loop(
    mut slots: Vec<ZoneSlot>,
    catalog: &Arc<ArcSwap<Catalog>>,
) -> Result<(), DaemonError> {
    let io = |error| DaemonError::File {
        path: PathBuf::from("signal handler"),
        error,
    };
    let mut hup = signal(SignalKind::hangup()).map_err(io)?;
    // Certificate and key files of the TLSA bindings: any change wakes this loop.
    let (wake_tx, mut wake_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let files: Vec<PathBuf> = slots
        .iter()
        .flat_map(|s| {
            s.config
                .tlsa
                .iter()
                .flat_map(|b| tlsa::publish::files(b).cloned().collect::<Vec<_>>())
        })
        .collect();
    let _watcher = if files.is_empty() {
        None
    } else {
        match tlsa::watch::watch(files, move || {
            let _ = wake_tx.send(());
        }) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::error!(error = %e, "cannot watch the TLSA files; they are re-read every minute");
                None
            }
        }
    };
    // Signature refresh is checked once a minute: far more often than any refresh window, and
    // cheap (one pass over the RRSIG expirations of each signed zone).
    // Timers are checked every minute; on a virtual clock every second, because a test may move
    // the time by days at any moment.
    let period = if crate::clock::is_virtual() { 1 } else { 60 };
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(period));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut term = signal(SignalKind::terminate()).map_err(io)?;
    let mut int = signal(SignalKind::interrupt()).map_err(io)?;
    // STARTTLS probes of the MTAs, run as tasks from the timer (never on the query path);
    // their outcomes come back through this channel.
    let (probe_tx, mut probe_rx) =
        tokio::sync::mpsc::unbounded_channel::<(String, dane::probe::ProbeSeen)>();
    let mut probing = ProbeSchedule::default();
    loop {
        tokio::select! {
            Some((addr, seen)) = probe_rx.recv() => {
                probing.done(&addr);
                // Noting a probe writes the state file: off the runtime's threads, like the
                // other file work.
                let mut work = slots.clone();
                let done = tokio::task::spawn_blocking(move || {
                    for slot in &mut work {
                        if slot.config.tlsa.iter().any(|b| b.probe.as_deref() == Some(addr.as_str())) {
                            slot.note_probe(&addr, seen.clone());
                        }
                    }
                    work
                })
                .await;
                if let Ok(back) = done {
                    slots = back;
                }
            }
            _ = hup.recv() => {
                tracing::info!("SIGHUP: reloading zone files");
                let started = Instant::now();
                let before = serials(&slots);
                let mut work = slots.clone();
                let done = tokio::task::spawn_blocking(move || {
                    // Reload changed files, and refresh whatever signatures are due while at it.
                    let changed = work
                        .iter_mut()
                        .map(|slot| slot.reload() | slot.advance_keys() | slot.refresh_signatures())
                        .filter(|&c| c)
                        .count();
                    (work, changed)
                })
                .await;
                let changed = match done {
                    Ok((back, changed)) => {
                        slots = back;
                        changed
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "reload aborted, keeping every zone as it was");
                        0
                    }
                };
                if changed > 0 {
                    catalog.store(Arc::new(build_catalog(&slots)));
                    notify_changed(&before, &slots);
                }
                tracing::info!(
                    changed,
                    zones = slots.len(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "reload done"
                );
            }
            Some(()) = wake_rx.recv() => {
                // Debounce: a certificate written in several steps, or a symlink swap, gives a
                // burst of events; read the files once it is over.
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                while wake_rx.try_recv().is_ok() {}
                let before = serials(&slots);
                let mut work = slots.clone();
                let done = tokio::task::spawn_blocking(move || {
                    let changed = work.iter_mut().map(ZoneSlot::refresh_tlsa).filter(|&r| r).count();
                    (work, changed)
                })
                .await;
                if let Ok((back, changed)) = done {
                    slots = back;
                    if changed > 0 {
                        catalog.store(Arc::new(build_catalog(&slots)));
                        notify_changed(&before, &slots);
                    }
                }
            }
            _ = tick.tick() => {
                for slot in &mut slots {
                    slot.observe().await;
                }
                probing.start_due(&slots, &probe_tx);
                let mut work = slots.clone();
                let done = tokio::task::spawn_blocking(move || {
                    // Key rollover steps that are due, the periodic re-read of the TLSA files
                    // (a missed event, a folder that appeared later), then signature refresh.
                    let refreshed = work
                        .iter_mut()
                        .map(|slot| slot.advance_keys() | slot.refresh_tlsa() | slot.refresh_signatures())
                        .filter(|&r| r)
                        .count();
                    (work, refreshed)
                })
                .await;
                if let Ok((back, refreshed)) = done {
                    let before = serials(&slots);
                    slots = back;
                    if refreshed > 0 {
                        catalog.store(Arc::new(build_catalog(&slots)));
                        notify_changed(&before, &slots);
                    }
                }
            }
            _ = term.recv() => { tracing::info!("SIGTERM: exiting"); return Ok(()); }
            _ = int.recv() => { tracing::info!("SIGINT: exiting"); return Ok(()); }
        }
    }
}

/// When each MTA is probed: every few minutes, at every timer tick while a record of its
/// binding is retiring (the rollover waits on what the MTA presents), every few seconds on a
/// virtual clock (tests), and never twice at once.
#[derive(Default)]
struct ProbeSchedule {
    /// `probe` address -> when its last probe started.
    started: std::collections::HashMap<String, Instant>,
    /// Probes under way.
    running: std::collections::HashSet<String>,
}

impl ProbeSchedule {
    /// The time between probes when no rollover is under way.
    const QUIET: std::time::Duration = std::time::Duration::from_secs(300);
    /// The time between probes on a virtual clock.
    const VIRTUAL: std::time::Duration = std::time::Duration::from_secs(2);

    /// Starts the probes that are due.
    fn start_due(
        &mut self,
        slots: &[ZoneSlot],
        results: &tokio::sync::mpsc::UnboundedSender<(String, dane::probe::ProbeSeen)>,
    ) {
        for slot in slots {
            for binding in &slot.config.tlsa {
                let Some(addr) = &binding.probe else { continue };
                if self.running.contains(addr) {
                    continue;
                }
                let retiring = slot
                    .tlsa_retiring
                    .keys()
                    .any(|(name, _)| binding.names.contains(name));
                let every = if crate::clock::is_virtual() {
                    Self::VIRTUAL
                } else if retiring {
                    std::time::Duration::ZERO
                } else {
                    Self::QUIET
                };
                if self.started.get(addr).is_some_and(|t| t.elapsed() < every) {
                    continue;
                }
                self.started.insert(addr.clone(), Instant::now());
                self.running.insert(addr.clone());
                let (addr, results) = (addr.clone(), results.clone());
                let helo = slot
                    .config
                    .name
                    .to_string()
                    .trim_end_matches('.')
                    .to_string();
                tokio::spawn(async move {
                    let outcome = dane::probe::probe(&addr, &helo).await;
                    let seen = dane::probe::ProbeSeen {
                        at: crate::clock::now().0,
                        outcome,
                    };
                    let _ = results.send((addr, seen));
                });
            }
        }
    }

    /// Notes that the probe of `addr` finished.
    fn done(&mut self, addr: &str) {
        self.running.remove(addr);
    }
}

/// Stops UDP workers.
fn stop_all(udp: Vec<UdpServer>) {
    for u in udp {
        u.stop();
    }
}

//------------ pid file ------------------------------------------------------

/// Writes this process's pid to `path`, refusing when a live daemon already owns it.
fn write_pid_file(state_dir: &Path, path: &Path) -> Result<(), DaemonError> {
    let file_err = |error| DaemonError::File {
        path: path.to_owned(),
        error,
    };
    std::fs::create_dir_all(state_dir).map_err(|error| DaemonError::File {
        path: state_dir.to_owned(),
        error,
    })?;
    check_not_running(path)?;
    let tmp = path.with_extension("pid.tmp");
    std::fs::write(&tmp, format!("{}\n", std::process::id())).map_err(file_err)?;
    std::fs::rename(&tmp, path).map_err(file_err)
}

/// Fails when the pid file at `path` names a live process other than this one.
fn check_not_running(path: &Path) -> Result<(), DaemonError> {
    if let Ok(pid) = read_pid(path) {
        if pid != std::process::id() as i32 && process_alive(pid) {
            return Err(DaemonError::AlreadyRunning {
                pid,
                path: path.to_owned(),
            });
        }
    }
    Ok(())
}

/// The pid in the pid file at `path`.
fn read_pid(path: &Path) -> Result<i32, DaemonError> {
    let text = std::fs::read_to_string(path).map_err(|error| DaemonError::File {
        path: path.to_owned(),
        error,
    })?;
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| DaemonError::BadPidFile(path.to_owned()))
}

/// Whether a process with `pid` exists.
fn process_alive(pid: i32) -> bool {
    // SAFETY: kill with signal 0 only checks for existence and permission; pid is positive.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// `daned reload`: sends SIGHUP to the daemon whose pid is in `state_dir/daned.pid`.
pub fn signal_reload(state_dir: &Path) -> Result<i32, DaemonError> {
    let pid = read_pid(&state_dir.join(PID_FILE))?;
    // SAFETY: kill(2) has no memory-safety preconditions; pid is positive (checked by
    // read_pid), so this never signals a process group.
    if unsafe { libc::kill(pid, libc::SIGHUP) } != 0 {
        return Err(DaemonError::Signal {
            pid,
            error: std::io::Error::last_os_error(),
        });
    }
    Ok(pid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::acl::Acl;

    const ZONE_V1: &str = "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300\n\
                           example.com. 3600 IN NS ns1.example.com.\n\
                           ns1.example.com. 3600 IN A 192.0.2.1\n";

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("daned-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn zone_config(file: PathBuf) -> ZoneConfig {
        ZoneConfig {
            name: "example.com.".parse().unwrap(),
            file,
            allow_transfer: Acl::default(),
            sign: false,
            policy: None,
            signing: None,
            serial_policy: Default::default(),
            notify: Vec::new(),
            parent_servers: Vec::new(),
            ds_check_interval: std::time::Duration::from_secs(3600),
            tlsa: Vec::new(),
        }
    }

    #[test]
    fn reload_picks_up_changed_files_and_keeps_the_old_zone_on_error() {
        let dir = temp_dir("reload");
        let file = dir.join("example.com.zone");
        std::fs::write(&file, ZONE_V1).unwrap();
        let mut slot = ZoneSlot::load(zone_config(file.clone()), &dir.join("state")).unwrap();
        assert_eq!(soa_serial(&slot.zone), Some(1));

        assert!(!slot.reload(), "unchanged file reloaded");

        let v2 = ZONE_V1.replace(" 1 7200", " 2 7200") + "www.example.com. 300 IN A 192.0.2.80\n";
        std::fs::write(&file, v2).unwrap();
        assert!(slot.reload());
        assert_eq!(soa_serial(&slot.zone), Some(2));
        assert_eq!(slot.zone.len(), 4);

        std::fs::write(&file, "example.com. 3600 IN SOA broken\n").unwrap();
        assert!(!slot.reload());
        assert_eq!(
            soa_serial(&slot.zone),
            Some(2),
            "old version must keep serving"
        );

        std::fs::remove_file(&file).unwrap();
        assert!(!slot.reload());
        assert_eq!(soa_serial(&slot.zone), Some(2));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_broken_zone_at_startup_is_an_error_naming_the_file_and_line() {
        let dir = temp_dir("startup");
        let file = dir.join("example.com.zone");
        std::fs::write(
            &file,
            format!("{ZONE_V1}ns2.example.com. 3600 IN A not-an-address\n"),
        )
        .unwrap();
        let err = ZoneSlot::load(zone_config(file.clone()), &dir.join("state"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(&format!("{}:4", file.display())), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_pid_file_refuses_a_second_daemon_and_reload_needs_one() {
        let dir = temp_dir("pid");
        let path = dir.join(PID_FILE);
        write_pid_file(&dir, &path).unwrap();
        assert_eq!(read_pid(&path).unwrap(), std::process::id() as i32);
        // Our own pid is not "another daemon".
        check_not_running(&path).unwrap();
        // pid 1 is always alive.
        std::fs::write(&path, "1\n").unwrap();
        assert!(matches!(
            check_not_running(&path),
            Err(DaemonError::AlreadyRunning { pid: 1, .. })
        ));
        std::fs::write(&path, "nonsense").unwrap();
        assert!(matches!(
            signal_reload(&dir),
            Err(DaemonError::BadPidFile(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
