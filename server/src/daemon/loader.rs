//! Loading many zones at start-up and reload: on a few threads at once, each zone handed to
//! the control loop as soon as it is signed, so that the first zones are served while the
//! rest still load, and a zone that fails is logged and skipped without holding up the others.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::mpsc::UnboundedSender;

use crate::config::ZoneConfig;
use crate::daemon::driver::{Event, ZoneDriver};
use crate::daemon::error::ZoneError;

/// A zone loaded, or why it was not (with its configuration, to say which zone and to keep
/// serving an older version of it).
pub type Loaded = Result<ZoneDriver, (ZoneConfig, ZoneError)>;

/// The threads that load at once: one per core, since loading is signing (CPU) and small zone
/// files; more would only make every zone wait longer for its turn.
fn workers(zones: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(zones).max(1)
}

/// Loads every zone of `configs` (from its file and the state under `state_dir`) on a few
/// threads, giving each outcome to `done` as soon as it is there. Stops starting new zones once
/// `cancel` is set; the zones under way finish (their state files are never left half-written
/// by a second loader of the same zone, since whoever cancels waits for this to return).
pub fn load_each(
    configs: &[ZoneConfig],
    state_dir: &std::path::Path,
    cancel: &AtomicBool,
    done: impl Fn(Loaded) + Sync,
) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers(configs.len()) {
            scope.spawn(|| {
                while !cancel.load(Ordering::Relaxed) {
                    let Some(config) = configs.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    let now = crate::clock::now();
                    done(
                        ZoneDriver::load(config.clone(), state_dir, now)
                            .map(|mut d| {
                                // Its timers run once now, as every served zone's did at the
                                // loop's first tick: the rollover's pending steps are known
                                // (status, metrics) and anything overdue is done.
                                d.step(now, Event::Tick);
                                d
                            })
                            .map_err(|e| (config.clone(), e)),
                    );
                }
            });
        }
    });
}

//------------ Loader --------------------------------------------------------

/// [`load_each`] running in the background, sending each zone down a channel to the control
/// loop.
pub struct Loader {
    /// Set to stop starting zones.
    cancel: Arc<AtomicBool>,
    /// The blocking task.
    task: tokio::task::JoinHandle<()>,
}

impl Loader {
    /// Starts loading `configs` (inside the runtime).
    pub fn start(
        configs: Vec<ZoneConfig>,
        state_dir: PathBuf,
        out: UnboundedSender<Loaded>,
    ) -> Self {
        let cancel = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&cancel);
        let task = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let total = configs.len();
            load_each(&configs, &state_dir, &stop, |loaded| {
                let _ = out.send(loaded);
            });
            tracing::info!(
                zones = total,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "zone loading done"
            );
        });
        Self { cancel, task }
    }

    /// Stops starting zones and waits for those under way; their outcomes are in the channel
    /// when this returns.
    pub async fn stop(self) {
        self.cancel.store(true, Ordering::Relaxed);
        let _ = self.task.await;
    }

    /// Whether every zone was loaded.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}
