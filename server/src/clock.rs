//! The daemon's clock: the system clock, or, for end-to-end tests that need days of key or
//! certificate life to pass in seconds, a virtual clock read from the file named by the
//! `DANED_CLOCK_FILE` environment variable (one integer: seconds since the epoch). TSIG keeps
//! the real time, because its peers do.

use std::path::PathBuf;
use std::sync::OnceLock;

use signer::{Clock, SystemClock, Timestamp};

/// The environment variable naming the virtual clock file.
pub const CLOCK_FILE_ENV: &str = "DANED_CLOCK_FILE";

/// A virtual clock: the time written in a file, re-read at every call, so a test advances the
/// daemon's time by rewriting it. An unreadable file falls back to the system time rather than
/// stopping the daemon, and says so.
#[derive(Debug)]
pub struct FileClock(PathBuf);

impl FileClock {
    /// A clock reading `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self(path.into())
    }
}

impl Clock for FileClock {
    fn now(&self) -> Timestamp {
        match std::fs::read_to_string(&self.0)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
        {
            Some(secs) => Timestamp::from_secs(secs),
            None => {
                tracing::warn!(file = %self.0.display(), "virtual clock file unreadable; using the system clock");
                SystemClock.now()
            }
        }
    }
}

fn global() -> &'static dyn Clock {
    static CLOCK: OnceLock<Box<dyn Clock>> = OnceLock::new();
    CLOCK
        .get_or_init(|| match std::env::var_os(CLOCK_FILE_ENV) {
            Some(path) if !path.is_empty() => Box::new(FileClock::new(path)),
            _ => Box::new(SystemClock),
        })
        .as_ref()
}

/// The current time on the daemon's clock.
pub fn now() -> Timestamp {
    global().now()
}

/// Whether the daemon runs on a virtual clock (its timers then poll every second, because a
/// test may move the time at any moment).
pub fn is_virtual() -> bool {
    std::env::var_os(CLOCK_FILE_ENV).is_some_and(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_clock_reads_the_file_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("now");
        std::fs::write(&f, "1700000000\n").unwrap();
        let c = FileClock::new(&f);
        assert_eq!(c.now(), Timestamp::from_secs(1_700_000_000));
        std::fs::write(&f, "1800000000").unwrap();
        assert_eq!(c.now(), Timestamp::from_secs(1_800_000_000));
    }
}
