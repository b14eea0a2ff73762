//! Rate limiting of warnings a remote peer can trigger with every packet (a failed TSIG
//! check, a refused transfer): without it, 100,000 bad packets write 100,000 lines and fill
//! the disk or drown what matters.
//!
//! One [`WarnLimit`] per kind of warning, shared by every UDP worker and TCP task. The first
//! warning of an interval is written; the rest of that interval are counted, and the count
//! rides on the next line written (`suppressed = N`). The limit is per kind, not per peer:
//! source addresses of UDP packets are forged at will.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often each kind of warning may be written.
pub const WARN_INTERVAL: Duration = Duration::from_secs(10);

/// Failed TSIG checks (BADKEY, BADSIG, BADTIME), on UDP and TCP.
pub static TSIG_FAILED: WarnLimit = WarnLimit::new(WARN_INTERVAL);
/// Transfers refused by `allow_transfer`.
pub static TRANSFER_REFUSED: WarnLimit = WarnLimit::new(WARN_INTERVAL);
/// Response rate limiting starting for an account (`net::rrl`).
pub static RRL_STARTED: WarnLimit = WarnLimit::new(WARN_INTERVAL);
/// UPDATE requests refused (no TSIG, a failed check, outside the grants).
pub static UPDATE_REFUSED: WarnLimit = WarnLimit::new(WARN_INTERVAL);
/// Transfers that failed while sending (the peer stopped reading or closed).
pub static TRANSFER_FAILED: WarnLimit = WarnLimit::new(WARN_INTERVAL);

/// At most one line per interval for one kind of warning.
#[derive(Debug)]
pub struct WarnLimit {
    /// Minimum time between two lines.
    interval: Duration,
    /// When the last line was written, and how many were suppressed since.
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    last: Option<Instant>,
    suppressed: u64,
}

impl WarnLimit {
    /// A limit of one line per `interval`.
    pub const fn new(interval: Duration) -> Self {
        Self {
            interval,
            state: Mutex::new(State {
                last: None,
                suppressed: 0,
            }),
        }
    }

    /// Whether a warning happening at `now` is written: `Some(n)` with the number of warnings
    /// of this kind suppressed since the last line (to log with it), `None` to drop it.
    #[must_use = "log the warning only when this says Some, with the count it gives"]
    pub fn allow(&self, now: Instant) -> Option<u64> {
        // A poisoned lock only means another thread panicked while counting: keep counting.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let due = state
            .last
            .is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        if due {
            state.last = Some(now);
            Some(std::mem::take(&mut state.suppressed))
        } else {
            state.suppressed += 1;
            None
        }
    }

    /// [`WarnLimit::allow`] at the current time.
    #[must_use = "log the warning only when this says Some, with the count it gives"]
    pub fn allow_now(&self) -> Option<u64> {
        self.allow(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_then_one_with_the_count_suppressed() {
        let limit = WarnLimit::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(limit.allow(t0), Some(0));
        let written = (1..=1000)
            .filter(|i| limit.allow(t0 + Duration::from_millis(*i)).is_some())
            .count();
        assert_eq!(written, 0, "nothing more within the interval");
        // The first warning after the interval is written with the count suppressed.
        assert_eq!(limit.allow(t0 + Duration::from_secs(10)), Some(1000));
        assert_eq!(limit.allow(t0 + Duration::from_secs(11)), None);
        assert_eq!(limit.allow(t0 + Duration::from_secs(25)), Some(1));
    }

    #[test]
    fn kinds_are_limited_independently() {
        let a = WarnLimit::new(Duration::from_secs(10));
        let b = WarnLimit::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(a.allow(t0), Some(0));
        assert_eq!(a.allow(t0), None);
        assert_eq!(b.allow(t0), Some(0));
    }

    #[test]
    fn threads_sharing_a_limit_write_one_line() {
        let limit = WarnLimit::new(Duration::from_secs(3600));
        let written: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..1000).filter(|_| limit.allow_now().is_some()).count()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
        });
        assert_eq!(written, 1);
        assert_eq!(
            limit.allow(Instant::now() + Duration::from_secs(3600)),
            Some(3999)
        );
    }
}
