//! The running server's control loop: it owns the zone drivers, turns signals, file events,
//! timer ticks, probe results and network observations into driver events, and after every
//! publication swaps the catalog the query path reads (one atomic pointer store) and sends
//! NOTIFY to the zones' secondaries.
//!
//! A reload (SIGHUP, `daned reload`) re-reads the configuration too: zones added and removed,
//! TSIG keys, transfer ACLs, notify targets and policies take effect without a restart. A
//! configuration that does not load keeps the running one, and the error is logged.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use signer::Timestamp;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use zones::Name;
use zones::snapshot::Catalog;

use crate::config::{Config, ServerConfig, ZoneConfig};
use crate::daemon::driver::{Event, ZoneDriver};
use crate::daemon::error::DaemonError;
use crate::daemon::host::{Host, HostOptions, PID_FILE, Signals};
use crate::daemon::loader::{Loaded, Loader};
use crate::daemon::observe;
use crate::daemon::sts_probe;
use crate::daemon::tlsa::watch::{self, FileWatcher};
use crate::dane::probe::{self, ProbeSeen};
use crate::mailrec::mta_sts::source::Probed;
use crate::net::acl::TransferAcls;
use crate::xfr::notify;

mod requests;
mod secondaries;

/// How [`serve`] behaves beyond the configuration.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    /// Write `state_dir/daned.pid` (and remove it on exit).
    pub pid_file: bool,
    /// Carry on when some (not all) listen addresses cannot be bound (the demo: no IPv6).
    pub tolerate_bind_failures: bool,
}

/// Loads every configured zone at `now`; the first failure is returned.
pub fn load_zones(config: &Config, now: Timestamp) -> Result<Vec<ZoneDriver>, DaemonError> {
    config
        .zones
        .iter()
        .cloned()
        .map(|z| {
            let zone = z.name.clone();
            ZoneDriver::load(z, &config.server.state_dir, now).map_err(|error| DaemonError::Zone {
                zone,
                error: Box::new(error),
            })
        })
        .collect()
}

/// Serves the configuration's zones until SIGTERM/SIGINT, each as soon as it is loaded and
/// signed (a zone that does not load is logged and skipped); SIGHUP reloads the
/// configuration and the zone files. Takes the configuration to hand its zones on: each
/// zone's settings are held once, by the zone being served.
pub fn run(config: Config) -> Result<(), DaemonError> {
    crate::net::tsig::install_keys(config.tsig_keys.clone());
    crate::daemon::state_dir::check_writable(&config.server.state_dir)?;
    for w in &config.warnings {
        tracing::warn!(file = %config.path.display(), "{w}");
    }
    let path = config.path.clone();
    let server = config.server.clone();
    serve_with(
        &server,
        Vec::new(),
        Zones::of(config),
        ServeOptions {
            pid_file: true,
            tolerate_bind_failures: false,
        },
        Some(path),
    )
}

/// Serves `drivers` with the settings of `server` until SIGTERM/SIGINT (the demo: no
/// configuration file to reload).
pub fn serve(
    server: &ServerConfig,
    drivers: Vec<ZoneDriver>,
    options: ServeOptions,
) -> Result<(), DaemonError> {
    serve_with(server, drivers, Zones::default(), options, None)
}

/// The zones a configuration asks for.
#[derive(Default)]
struct Zones {
    /// Every zone to load, the catalog zone first.
    pending: Vec<ZoneConfig>,
    /// The catalog zone.
    catalog: Option<ZoneConfig>,
}

impl Zones {
    /// The zones of `config`; the catalog zone's file is made if missing.
    fn of(config: Config) -> Self {
        if let Some(c) = &config.catalog
            && let Err(e) = crate::daemon::catalog_zone::ensure(c)
        {
            tracing::error!(file = %c.file.display(), error = %e, "cannot write the catalog zone");
        }
        let mut pending = Vec::with_capacity(config.zones.len() + 1);
        pending.extend(config.catalog.clone());
        pending.extend(config.zones);
        Self {
            pending,
            catalog: config.catalog,
        }
    }
}

/// [`serve`], loading the zones of `zones` in the background, and reloading the
/// configuration at `config_path` on SIGHUP when given.
fn serve_with(
    server: &ServerConfig,
    drivers: Vec<ZoneDriver>,
    zones: Zones,
    options: ServeOptions,
    config_path: Option<PathBuf>,
) -> Result<(), DaemonError> {
    let catalog = Arc::new(ArcSwap::from_pointee(build_catalog(&drivers)));
    release_free_memory();
    let metrics = server
        .metrics
        .map(|addr| {
            crate::metrics::Endpoint::bind(addr).map_err(|error| DaemonError::Bind {
                addr,
                proto: "metrics",
                error,
            })
        })
        .transpose()?;
    let host = Host::bind(
        &HostOptions {
            listen: server.listen.clone(),
            udp_workers: server.udp_workers,
            tcp: server.tcp_limits(),
            rrl: server.rrl.clone(),
            tolerate_bind_failures: options.tolerate_bind_failures,
            pid_file: options.pid_file.then(|| server.state_dir.join(PID_FILE)),
        },
        Arc::clone(&catalog),
        acls(&drivers),
    )?;
    let shared = Arc::clone(&host.shared);
    let control = Control {
        drivers,
        catalog,
        shared,
        config_path,
        server: server.clone(),
        probing: ProbeSchedule::default(),
        states: metrics.as_ref().map(crate::metrics::Endpoint::states),
        metrics,
        parked: HashMap::new(),
        loader: None,
        pending: zones.pending,
        catalog_zone: zones.catalog,
        secondaries: secondaries::SecondaryPoll::default(),
        config_error: None,
        control_socket: options
            .pid_file
            .then(|| server.state_dir.join(crate::control::SOCKET_FILE)),
        ready_sent: false,
    };
    let result = host.run(control.run());
    tracing::info!("stopped");
    result
}

/// The transfer ACL of every zone.
fn acls<'a>(drivers: impl IntoIterator<Item = &'a ZoneDriver>) -> TransferAcls {
    TransferAcls::new(drivers.into_iter().map(|d| {
        let c = d.config();
        (
            zones::snapshot::name_key(&c.name),
            Arc::clone(&c.allow_transfer),
        )
    }))
}

/// Builds a catalog from the drivers' served snapshots, in configuration order: a vector of
/// pointers and an index of origins, nothing per record.
fn build_catalog<'a>(drivers: impl IntoIterator<Item = &'a ZoneDriver>) -> Catalog {
    Catalog::from_snapshots(
        drivers
            .into_iter()
            .map(|d| Arc::clone(&d.served().snapshot))
            .collect(),
    )
}

/// Hands memory freed by loading and signing (parser state, intermediate zone copies) back to
/// the system. glibc keeps freed heap in its arenas otherwise, and a daemon that loaded a large
/// zone once would keep that peak resident for good. Called at start, after a reload and at
/// the timer tick, never on the path of a single change (it walks the whole heap).
fn release_free_memory() {
    // SAFETY: malloc_trim only walks glibc's own allocator state; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

//------------ Control -------------------------------------------------------

mod catalog;
mod zone_set;

/// The control loop's state.
struct Control {
    /// The zones.
    drivers: Vec<ZoneDriver>,
    /// What the query path reads.
    catalog: Arc<ArcSwap<Catalog>>,
    /// What TCP connections share (its ACLs are swapped on reload).
    shared: Arc<crate::net::tcp::TcpShared>,
    /// The configuration file, re-read on reload.
    config_path: Option<PathBuf>,
    /// The `[server]` table in force.
    server: ServerConfig,
    /// When each MTA is probed.
    probing: ProbeSchedule,
    /// The `/metrics` endpoint, until the loop starts serving it.
    metrics: Option<crate::metrics::Endpoint>,
    /// What `/metrics` reads of the zones (refreshed after every event).
    states: Option<crate::metrics::ZoneStates>,
    /// Zones whose new configuration is being loaded: still served as they were, no longer
    /// stepped (their replacement writes the same state files).
    parked: HashMap<Name, ZoneDriver>,
    /// The zones loading in the background.
    loader: Option<Loader>,
    /// The zones to load when the loop starts.
    pending: Vec<ZoneConfig>,
    /// The catalog zone (`[catalog]`), rewritten when the zones served change.
    catalog_zone: Option<ZoneConfig>,
    /// The secondaries' serials being asked.
    secondaries: secondaries::SecondaryPoll,
    /// Why the last configuration reload was refused (reported by `daned status`).
    config_error: Option<String>,
    /// Where the control socket is bound (`None`: the demo, which has none).
    control_socket: Option<PathBuf>,
    /// Whether the service manager was told that every zone is served (once, at start-up).
    ready_sent: bool,
}

impl Control {
    /// Runs until SIGTERM/SIGINT.
    async fn run(mut self) -> Result<(), DaemonError> {
        let mut signals = Signals::install()?;
        if let Some(endpoint) = self.metrics.take() {
            endpoint.spawn();
        }
        self.refresh_states();
        // Secondaries may have missed changes while the daemon was down.
        let zero = vec![0; self.drivers.len()];
        self.notify_changed(&self.names(), &zero);
        let (loaded_tx, mut loaded_rx) = unbounded_channel::<Loaded>();
        let pending = std::mem::take(&mut self.pending);
        if !pending.is_empty() {
            let dir = self.server.state_dir.clone();
            self.loader = Some(Loader::start(pending, dir, loaded_tx.clone()));
        }
        let (wake_tx, mut wake_rx) = unbounded_channel::<()>();
        let mut watcher = self.watch(&wake_tx);
        // Timers are checked every minute: far more often than any refresh window. On a
        // virtual clock every second, because a test may move the time by days at any moment.
        let period = if crate::clock::is_virtual() { 1 } else { 60 };
        let mut tick = tokio::time::interval(Duration::from_secs(period));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (probe_tx, mut probe_rx) = unbounded_channel::<(String, ProbeSeen)>();
        let (sts_tx, mut sts_rx) = unbounded_channel::<(Name, Probed)>();
        let mut sts_running = HashSet::new();
        let mut updates = crate::update::inbox::install();
        let (seen_tx, mut seen_rx) = unbounded_channel::<secondaries::Round>();
        let (request_tx, mut request_rx) = unbounded_channel::<crate::control::socket::Pending>();
        let _socket = self.bind_control_socket(request_tx);
        if self.loader.is_none() {
            // Nothing to load in the background: every zone is already served.
            self.all_loaded();
        }
        loop {
            tokio::select! {
                Some(job) = updates.recv() => self.update(job).await,
                Some((zone, probed)) = sts_rx.recv() => {
                    sts_running.remove(&zone);
                    self.step_all(move |d| d.config().name == zone, move |_| Event::StsProbe(probed.clone())).await;
                }
                Some((request, reply)) = request_rx.recv() => {
                    let full_reload = matches!(request, crate::control::protocol::Request::Reload { zone: None });
                    let _ = reply.send(self.answer(request, &mut loaded_rx, &loaded_tx).await);
                    if full_reload {
                        watcher = self.watch(&wake_tx);
                    }
                }
                Some((zone, seen)) = seen_rx.recv() => {
                    self.secondaries.done(&zone);
                    let now = crate::clock::now();
                    if let Some(d) = self.drivers.iter_mut().find(|d| d.config().name == zone) {
                        d.step(now, Event::SecondarySerials(seen));
                    }
                }
                Some((addr, seen)) = probe_rx.recv() => {
                    self.probing.done(&addr);
                    let which = addr.clone();
                    self.step_all(
                        move |d| d.tlsa().is_some_and(|t| t.probe_addrs().any(|a| a == which)),
                        move |_| Event::Probe { addr: addr.clone(), seen: seen.clone() },
                    )
                    .await;
                }
                Some(first) = loaded_rx.recv() => {
                    self.accept_batch(first, &mut loaded_rx).await;
                    if self.loader.is_none() {
                        // Every zone is in: watch their certificate files.
                        watcher = self.watch(&wake_tx);
                    }
                }
                _ = signals.hup.recv() => {
                    tracing::info!("SIGHUP: reloading");
                    self.reload_logged(&mut loaded_rx, &loaded_tx).await;
                    watcher = self.watch(&wake_tx);
                }
                Some(()) = wake_rx.recv() => {
                    // Debounce: a certificate written in several steps, or a symlink swap,
                    // gives a burst of events; read the files once it is over.
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    while wake_rx.try_recv().is_ok() {}
                    self.step_all(|d| d.tlsa().is_some(), |_| Event::Certificates).await;
                    self.step_all(|d| d.mail().is_some(), |_| Event::MailFiles).await;
                    sts_probe::start(&self.drivers, &mut sts_running, &sts_tx);
                    // A folder that just appeared (a first issuance) is watched from now on.
                    watcher = self.watch(&wake_tx);
                    // A record that just started retiring waits on what the MTA presents:
                    // ask it now rather than at the next tick.
                    self.probing.start_due(&self.drivers, &probe_tx);
                }
                _ = self.sleep_until_next_wakeup() => {
                    self.step_all(|_| true, |_| Event::Tick).await;
                }
                _ = tick.tick() => {
                    self.observe().await;
                    self.probing.start_due(&self.drivers, &probe_tx);
                    self.secondaries.start_due(&self.drivers, &seen_tx);
                    self.step_all(|_| true, |_| Event::Tick).await;
                    sts_probe::start(&self.drivers, &mut sts_running, &sts_tx);
                    release_free_memory();
                }
                _ = signals.term.recv() => { tracing::info!("SIGTERM: exiting"); break; }
                _ = signals.int.recv() => { tracing::info!("SIGINT: exiting"); break; }
            }
            let _ = &watcher;
            self.refresh_states();
        }
        crate::daemon::service::stopping();
        if let Some(loader) = self.loader.take() {
            loader.stop().await;
        }
        while let Ok(Ok(d)) = loaded_rx.try_recv() {
            d.served().flush(true);
        }
        for d in self.drivers.iter().chain(self.parked.values()) {
            d.served().flush(true);
        }
        Ok(())
    }

    /// Binds the control socket and hands its requests to `to`; `None` (logged) when there
    /// is none or it cannot be bound: signals still work.
    fn bind_control_socket(
        &self,
        to: UnboundedSender<crate::control::socket::Pending>,
    ) -> Option<crate::control::socket::ControlSocket> {
        let path = self.control_socket.as_ref()?;
        match crate::control::socket::ControlSocket::bind(path) {
            Ok(mut socket) => {
                socket.serve(to);
                tracing::info!(path = %path.display(), "control socket ready");
                Some(socket)
            }
            Err(e) => {
                tracing::error!(error = %e, "no control socket; daned reload falls back to SIGHUP");
                None
            }
        }
    }

    /// Sleeps until the earliest timer of any zone ends (a TLSA record's retirement, a
    /// rollover step, a signature refresh), so that it is acted on then rather than at the
    /// next minute's tick. Never ends on a virtual clock, whose time the tick follows.
    ///
    /// Only timers still ahead count: one already past that the zone could not act on (a
    /// step waiting for the parent, a signing error) is retried by the tick, never in a loop.
    async fn sleep_until_next_wakeup(&self) {
        let now = crate::clock::now();
        let next = self
            .drivers
            .iter()
            .filter_map(ZoneDriver::next_wakeup)
            .filter(|&at| at > now)
            .min();
        match next {
            Some(at) if !crate::clock::is_virtual() => {
                let wait = at.as_secs() - now.as_secs();
                tokio::time::sleep(Duration::from_secs(wait)).await;
            }
            _ => std::future::pending().await,
        }
    }

    /// Rebuilds what `/metrics` reads of the zones, when it is served.
    fn refresh_states(&self) {
        if let Some(states) = &self.states {
            crate::metrics::refresh(states, &self.drivers, crate::clock::now());
        }
    }

    /// The zones' names, in order.
    fn names(&self) -> Vec<Name> {
        self.drivers
            .iter()
            .map(|d| d.config().name.clone())
            .collect()
    }

    /// Watches every TLSA and DKIM key file of every zone; any change wakes the loop.
    fn watch(&self, wake: &UnboundedSender<()>) -> Option<FileWatcher> {
        let files: Vec<PathBuf> = self
            .drivers
            .iter()
            .flat_map(|d| {
                let tlsa = d.tlsa().map(|t| t.files()).unwrap_or_default();
                tlsa.into_iter()
                    .chain(d.mail().map(|m| m.files()).unwrap_or_default())
            })
            .collect();
        if files.is_empty() {
            return None;
        }
        let wake = wake.clone();
        match watch::watch(files, move || {
            let _ = wake.send(());
        }) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::error!(error = %e, "cannot watch the TLSA files; they are re-read every minute");
                None
            }
        }
    }

    /// Steps the drivers `which` selects with the event `make` gives, off the runtime's
    /// threads (file reads, signing, journal writes), then serves what they published.
    async fn step_all(
        &mut self,
        which: impl Fn(&ZoneDriver) -> bool + Send + 'static,
        make: impl Fn(&ZoneDriver) -> Event + Send + 'static,
    ) -> usize {
        let names = self.names();
        let before = self.serials();
        let mut work = std::mem::take(&mut self.drivers);
        let done = tokio::task::spawn_blocking(move || {
            let now = crate::clock::now();
            let mut changed = 0;
            for d in work.iter_mut().filter(|d| which(d)) {
                let event = make(d);
                if !d.step(now, event).is_empty() {
                    changed += 1;
                }
            }
            (work, changed)
        })
        .await;
        match done {
            Ok((back, changed)) => {
                self.drivers = back;
                if changed > 0 {
                    self.publish_catalog();
                    self.notify_changed(&names, &before);
                }
                changed
            }
            Err(e) => {
                // The drivers moved into the failed task are lost: nothing sane remains.
                tracing::error!(error = %e, "a zone task failed; exiting");
                std::process::exit(70);
            }
        }
    }

    /// Applies a verified UPDATE through its zone's driver, off the runtime's threads, then
    /// serves what it published; the RCODE goes back to the waiting UDP worker or TCP task
    /// only after the new version is in the catalog (and NOTIFY is on its way).
    async fn update(&mut self, job: crate::update::inbox::UpdateJob) {
        let Some(index) = self
            .drivers
            .iter()
            .position(|d| d.config().name == job.message.zone)
        else {
            let _ = job.reply.send(crate::update::Rcode::NotAuth);
            return;
        };
        let names = self.names();
        let before = self.serials();
        let mut work = std::mem::take(&mut self.drivers);
        let message = job.message;
        let key = job.key;
        let done = tokio::task::spawn_blocking(move || {
            let rcode = work[index].update(crate::clock::now(), &message, &key);
            (work, rcode)
        })
        .await;
        let Ok((back, rcode)) = done else {
            tracing::error!("a zone task failed; exiting");
            std::process::exit(70);
        };
        self.drivers = back;
        if self.serials() != before {
            self.publish_catalog();
            self.notify_changed(&names, &before);
        }
        let _ = job.reply.send(rcode);
    }

    /// The served serial of each zone.
    fn serials(&self) -> Vec<u32> {
        self.drivers.iter().map(|d| d.served().serial()).collect()
    }

    /// Sends NOTIFY for every zone whose serial differs from `before` (by zone name).
    fn notify_changed(&self, names: &[Name], before: &[u32]) {
        let old: HashMap<&Name, u32> = names.iter().zip(before.iter().copied()).collect();
        for d in &self.drivers {
            let serial = d.served().serial();
            let config = d.config();
            if old.get(&config.name) != Some(&serial) && !config.notify.is_empty() {
                notify::spawn(
                    config.name.clone(),
                    serial,
                    config.notify.clone(),
                    &crate::net::tsig::keys(),
                );
            }
        }
    }

    /// Asks the network what the rollovers wait for, and tells the drivers.
    async fn observe(&mut self) {
        let now = crate::clock::now();
        for d in &mut self.drivers {
            let wants = d.wants(now);
            if let Some(serial) = wants.secondaries_serial {
                let servers: Vec<_> = d.config().notify.iter().map(|t| t.addr).collect();
                if observe::all_serve(&servers, &d.config().name, serial).await {
                    d.step(now, Event::SecondariesSynced);
                }
            }
            if wants.parent_ds {
                let ds = observe::parent_ds(&d.config().parent_servers, &d.config().name).await;
                d.step(now, Event::ParentDs(ds));
            }
        }
    }

    /// [`Control::reload`], then the zones it loads in the background, logged with how long
    /// it took (the line tests and operators wait for): SIGHUP and `daned reload` alike.
    async fn reload_logged(
        &mut self,
        loaded_rx: &mut tokio::sync::mpsc::UnboundedReceiver<Loaded>,
        loaded_tx: &UnboundedSender<Loaded>,
    ) -> usize {
        let started = Instant::now();
        let changed = self.reload(loaded_rx, loaded_tx).await;
        self.finish_loading(loaded_rx).await;
        self.update_catalog_zone();
        tracing::info!(
            event = "reload-done",
            changed,
            zones = self.drivers.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "reload done"
        );
        changed
    }

    /// Every zone of the start-up is served (or failed): tells the service manager, once.
    pub(super) fn all_loaded(&mut self) {
        if !self.ready_sent {
            self.ready_sent = true;
            crate::daemon::service::ready(self.drivers.len());
            // Each zone let its editable copy go after loading; return what they freed.
            crate::daemon::editable::return_freed_memory(true);
        }
    }
}

//------------ ProbeSchedule -------------------------------------------------

/// When each MTA is probed: every few minutes, at every timer tick while a record of its
/// binding is retiring (the rollover waits on what the MTA presents), every few seconds on a
/// virtual clock (tests), and never twice at once.
#[derive(Default)]
struct ProbeSchedule {
    /// `probe` address -> when its last probe started.
    started: HashMap<String, Instant>,
    /// Probes under way.
    running: HashSet<String>,
}

impl ProbeSchedule {
    /// The time between probes when no rollover is under way.
    const QUIET: Duration = Duration::from_secs(300);
    /// The time between probes on a virtual clock.
    const VIRTUAL: Duration = Duration::from_secs(2);

    /// Starts the probes that are due.
    fn start_due(
        &mut self,
        drivers: &[ZoneDriver],
        results: &UnboundedSender<(String, ProbeSeen)>,
    ) {
        for (d, t) in drivers.iter().filter_map(|d| Some((d, d.tlsa()?))) {
            for addr in t.probe_addrs() {
                if self.running.contains(addr) {
                    continue;
                }
                let every = if crate::clock::is_virtual() {
                    Self::VIRTUAL
                } else if t.retiring_at(addr) {
                    Duration::ZERO
                } else {
                    Self::QUIET
                };
                if self.started.get(addr).is_some_and(|t| t.elapsed() < every) {
                    continue;
                }
                self.started.insert(addr.to_string(), Instant::now());
                self.running.insert(addr.to_string());
                let (addr, results) = (addr.to_string(), results.clone());
                let helo = d
                    .config()
                    .name
                    .to_string()
                    .trim_end_matches('.')
                    .to_string();
                tokio::spawn(async move {
                    let outcome = probe::probe(&addr, &helo).await;
                    let seen = ProbeSeen {
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
