//! The editable zone of a served version, held only while changes come.
//!
//! A served zone lives at rest as its wire-form snapshot alone: that is what queries read,
//! what transfers stream and what status reports. A change (a reload, an UPDATE, a
//! certificate, a signature refresh, a rollover step) needs the zone as RRsets to sign and
//! diff; it is rebuilt from the snapshot (O(n), a few hundred milliseconds for 100k names)
//! and then held for [`HOLD_SECS`] after the last change (let go at the next timer check,
//! which runs every minute), so that a burst of changes (an ACME
//! client's UPDATEs, a certificate renewal) pays the rebuild once and each change after it
//! costs what it touches. Holding the two copies only while changes come is what keeps a
//! server with thousands of zones, or one big one, at about one copy of its data.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use signer::Timestamp;
use zones::Zone;
use zones::snapshot::ZoneSnapshot;

/// How long the editable zone is held after the last change, in seconds.
pub const HOLD_SECS: u64 = 120;

/// The editable zone of one version: held, or rebuilt from the snapshot on demand.
#[derive(Default)]
pub struct Editable {
    held: Mutex<Held>,
}

/// What is held, and until when.
#[derive(Default)]
struct Held {
    /// The zone, when held.
    zone: Option<Arc<Zone>>,
    /// When to let it go (`None`: nothing held).
    until: Option<Timestamp>,
}

impl Editable {
    /// Holds `zone` until `until`.
    pub fn holding(zone: Arc<Zone>, until: Timestamp) -> Self {
        Self {
            held: Mutex::new(Held {
                zone: Some(zone),
                until: Some(until),
            }),
        }
    }

    /// The zone, rebuilt from `snapshot` when it was let go. A zone rebuilt outside a change
    /// is let go at the next release check.
    pub fn get(&self, snapshot: &ZoneSnapshot) -> Arc<Zone> {
        let mut held = self.lock();
        if let Some(zone) = &held.zone {
            return Arc::clone(zone);
        }
        let zone = Arc::new(snapshot.to_zone());
        held.zone = Some(Arc::clone(&zone));
        held.until = Some(Timestamp(0));
        zone
    }

    /// The zone if it is held now (no rebuild).
    pub fn held(&self) -> Option<Arc<Zone>> {
        self.lock().zone.clone()
    }

    /// When the held zone is to be let go.
    pub fn release_at(&self) -> Option<Timestamp> {
        self.lock().until
    }

    /// Lets the zone go if its time has come at `now`; true when it did.
    pub fn release_due(&self, now: Timestamp) -> bool {
        let mut held = self.lock();
        match held.until {
            Some(t) if t <= now => {
                *held = Held::default();
                true
            }
            _ => false,
        }
    }

    /// The state, whatever a panicking holder left (it is only a cache).
    fn lock(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Hands memory freed by letting zones go back to the system, at most once every
/// [`TRIM_EVERY`] (a trim walks every arena, and thousands of zones let go one after the
/// other at start-up). The C allocator keeps freed memory in its arenas (the signing
/// threads' ones too), where the process size still counts it; `malloc_trim` returns the free
/// pages (glibc only; elsewhere nothing to do). `force` trims now: the end of a start-up.
pub fn return_freed_memory(force: bool) {
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if !force && last.is_some_and(|t| t.elapsed() < TRIM_EVERY) {
        return;
    }
    *last = Some(Instant::now());
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The shortest time between two trims.
const TRIM_EVERY: Duration = Duration::from_secs(2);
