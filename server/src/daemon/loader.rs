//! Loading many zones at start-up and reload: on a few threads at once, each zone handed to
//! the control loop as soon as it is signed, so that the first zones are served while the
//! rest still load, and a zone that fails is logged and skipped without holding up the others.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use tokio::sync::mpsc::UnboundedSender;

use crate::config::ZoneConfig;
use crate::daemon::driver::{Event, ZoneDriver};
use crate::daemon::error::ZoneError;

/// A zone loaded, or why it was not (with its configuration, to say which zone and to keep
/// serving an older version of it).
pub type Loaded = Result<ZoneDriver, (ZoneConfig, ZoneError)>;

/// The threads that load at once: several per core, since loading a new zone is signing (CPU)
/// and also waiting for the disk to sync its key and saved version; the syncs of zones waiting
/// together are shared ([`zones::fs::group_sync`]), so the more wait at once the fewer there
/// are. Measured with 10,000 new zones on 2 cores (`benches/scale.sh`, one ext4 disk): 23.3 s
/// with 2 threads and a sync for each file, 11.7–12.9 s with 32 threads and shared syncs.
fn workers(zones: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores * THREADS_PER_CORE).min(zones).max(1)
}

const THREADS_PER_CORE: usize = 16;

/// Zone file bytes that may be loading at once: many small zones load side by side, a big one
/// mostly alone, so that several big zones do not each hold a parse and a signing's memory at
/// the same time.
const BYTES_AT_ONCE: u64 = 64 << 20;

/// Loads every zone of `configs` (from its file and the state under `state_dir`) on many
/// threads, giving each outcome to `done` as soon as it is there. Stops starting new zones once
/// `cancel` is set; the zones under way finish (their state files are never left half-written
/// by a second loader of the same zone, since whoever cancels waits for this to return).
///
/// Each configuration moves into its zone's driver, so that a hoster's thousands of zones do
/// not hold theirs twice.
pub fn load_each(
    configs: Vec<ZoneConfig>,
    state_dir: &std::path::Path,
    cancel: &AtomicBool,
    done: impl Fn(Loaded) + Sync,
) {
    let workers = workers(configs.len());
    let queue = Mutex::new(configs.into_iter());
    let budget = Budget::new(BYTES_AT_ONCE);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while !cancel.load(Ordering::Relaxed) {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                    let Some(config) = next else {
                        break;
                    };
                    let size = std::fs::metadata(&config.file).map_or(0, |m| m.len());
                    let _admitted = budget.admit(size);
                    let now = crate::clock::now();
                    // Kept for the error only (which zone; an older version goes on serving).
                    let kept = config.clone();
                    done(
                        ZoneDriver::load(config, state_dir, now)
                            .map(|mut d| {
                                // Its timers run once now, as every served zone's did at the
                                // loop's first tick: the rollover's pending steps are known
                                // (status, metrics) and anything overdue is done.
                                d.step(now, Event::Tick);
                                d
                            })
                            .map_err(|e| (kept, e)),
                    );
                }
            });
        }
    });
}

//------------ Budget --------------------------------------------------------

/// Zone file bytes loading at once, up to a limit; a zone bigger than the limit loads when
/// nothing else does.
struct Budget {
    limit: u64,
    in_flight: Mutex<u64>,
    freed: Condvar,
}

impl Budget {
    fn new(limit: u64) -> Self {
        Self {
            limit,
            in_flight: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Waits until `size` more bytes fit, and holds them until the returned guard drops.
    fn admit(&self, size: u64) -> Admitted<'_> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        while *in_flight > 0 && *in_flight + size > self.limit {
            in_flight = self
                .freed
                .wait(in_flight)
                .unwrap_or_else(|e| e.into_inner());
        }
        *in_flight += size;
        Admitted { budget: self, size }
    }
}

/// Bytes of a [`Budget`] held by one zone's load.
struct Admitted<'a> {
    budget: &'a Budget,
    size: u64,
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        let mut in_flight = self
            .budget
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *in_flight -= self.size;
        self.budget.freed.notify_all();
    }
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
            load_each(configs, &state_dir, &stop, |loaded| {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_loads_share_the_budget_and_one_bigger_than_it_runs_alone() {
        let budget = Budget::new(100);
        let a = budget.admit(40);
        let b = budget.admit(60);
        assert_eq!(*budget.in_flight.lock().unwrap(), 100);
        let admitted = AtomicBool::new(false);
        std::thread::scope(|s| {
            // Bigger than the whole budget: waits for the others, then runs alone.
            let big = s.spawn(|| {
                let guard = budget.admit(500);
                admitted.store(true, Ordering::SeqCst);
                assert_eq!(*budget.in_flight.lock().unwrap(), 500);
                drop(guard);
            });
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(!admitted.load(Ordering::SeqCst), "waits while others load");
            drop(a);
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(
                !admitted.load(Ordering::SeqCst),
                "still waits for the last one"
            );
            drop(b);
            big.join().unwrap();
        });
        assert!(admitted.load(Ordering::SeqCst));
        assert_eq!(*budget.in_flight.lock().unwrap(), 0);
    }
}
