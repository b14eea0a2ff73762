//! The one clock abstraction: everything that depends on the time (signature validity, refresh,
//! key timers, TLSA readiness) asks a [`Clock`], so the daemon runs on the system clock while the
//! simulator and the tests drive a [`ManualClock`] through months of key life in seconds.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::time::Timestamp;

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Timestamp::from_secs(secs)
    }
}

/// A clock that moves only when told to: the simulator's and the tests' virtual time.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: Timestamp) -> Self {
        Self(AtomicU64::new(at.as_secs()))
    }

    /// Moves the clock to `at` (also backwards: tests of clock skew need that).
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.as_secs(), Ordering::Relaxed);
    }

    /// Moves the clock forward by `secs` seconds.
    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_secs(self.0.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(Timestamp::from_secs(1_000));
        assert_eq!(c.now(), Timestamp::from_secs(1_000));
        c.advance(86_400);
        assert_eq!(c.now(), Timestamp::from_secs(87_400));
        c.set(Timestamp::from_secs(5));
        assert_eq!(c.now(), Timestamp::from_secs(5));
    }

    #[test]
    fn system_clock_is_after_2024() {
        assert!(SystemClock.now().as_secs() > 1_704_067_200);
    }
}
