//! SOA serial numbers and their arithmetic (RFC 1982).
//!
//! Serials wrap around at 2^32, so "newer" is defined by the distance, not the value: the one
//! place that knows this is [`Serial`], and nothing else compares serials with `<`.

use core::cmp::Ordering;
use core::fmt;

use crate::record::Record;

/// An SOA serial number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Serial(pub u32);

impl Serial {
    /// RFC 1982 section 3.1: addition of `n` (at most 2^31 - 1).
    pub fn plus(self, n: u32) -> Self {
        Self(self.0.wrapping_add(n.min(0x7fff_ffff)))
    }

    /// RFC 1982 section 3.2 comparison; `None` when the two are exactly 2^31 apart, where the
    /// order is undefined.
    pub fn compare(self, other: Self) -> Option<Ordering> {
        let (a, b) = (self.0, other.0);
        if a == b {
            return Some(Ordering::Equal);
        }
        let d = b.wrapping_sub(a);
        match d.cmp(&0x8000_0000) {
            Ordering::Less => Some(Ordering::Less),
            Ordering::Greater => Some(Ordering::Greater),
            Ordering::Equal => None,
        }
    }

    /// True when `self` is strictly newer than `other`.
    pub fn is_newer_than(self, other: Self) -> bool {
        self.compare(other) == Some(Ordering::Greater)
    }

    /// The next serial after `self` under a policy (RFC 1982 arithmetic throughout):
    /// `increment` adds one, `unixtime` uses `now` (seconds), `dateserial` YYYYMMDDnn from
    /// `today` (YYYYMMDD as a number); whichever policy, the result is newer than both `self`
    /// and `floor` (a zone file's own serial that moved forward is respected).
    pub fn next(self, policy: SerialPolicy, floor: Self, now: u64, today: u32) -> Self {
        let candidate = match policy {
            SerialPolicy::Increment => self.plus(1),
            SerialPolicy::Unixtime => Self(now as u32),
            SerialPolicy::Dateserial => Self(today.saturating_mul(100)),
        };
        let mut best = candidate;
        for s in [self.plus(1), floor] {
            if s.is_newer_than(best) {
                best = s;
            }
        }
        best
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The UTC date of a Unix time as the number YYYYMMDD (for `dateserial`).
pub fn yyyymmdd(secs: u64) -> u32 {
    crate::time::UtcDateTime::from_unix_u64(secs).yyyymmdd()
}

/// The serial in an SOA record (0 when the rdata is malformed).
pub fn soa_serial(soa: &Record) -> Serial {
    let b = soa.rdata.as_bytes();
    match b.len().checked_sub(20) {
        Some(at) => Serial(u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])),
        None => Serial(0),
    }
}

/// How a zone's serial moves on each change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SerialPolicy {
    /// One more than before.
    #[default]
    Increment,
    /// Seconds since the epoch.
    Unixtime,
    /// YYYYMMDDnn.
    Dateserial,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_for_dateserial_are_utc_civil_dates() {
        assert_eq!(yyyymmdd(0), 19700101);
        assert_eq!(yyyymmdd(1_795_420_000), 20261123);
        assert_eq!(yyyymmdd(951_782_400), 20000229);
    }

    #[test]
    fn serials_compare_across_the_wrap() {
        assert!(Serial(1).is_newer_than(Serial(u32::MAX)));
        assert!(Serial(100).is_newer_than(Serial(99)));
        assert!(!Serial(99).is_newer_than(Serial(100)));
        assert_eq!(Serial(0).compare(Serial(0x8000_0000)), None);
    }

    #[test]
    fn addition_wraps_and_is_capped_by_rfc_1982() {
        assert_eq!(Serial(u32::MAX).plus(1), Serial(0));
        assert_eq!(Serial(0).plus(u32::MAX), Serial(0x7fff_ffff));
    }

    #[test]
    fn next_serial_follows_the_policy_but_always_moves_forward() {
        let s = Serial(2026112305);
        assert_eq!(
            s.next(SerialPolicy::Increment, Serial(0), 0, 0),
            Serial(2026112306)
        );
        assert_eq!(
            s.next(SerialPolicy::Dateserial, Serial(0), 0, 20261124),
            Serial(2026112400)
        );
        // Same day, already past nn = 00: one more.
        assert_eq!(
            s.next(SerialPolicy::Dateserial, Serial(0), 0, 20261123),
            Serial(2026112306)
        );
        assert_eq!(
            Serial(5).next(SerialPolicy::Unixtime, Serial(0), 1_795_000_000, 0),
            Serial(1_795_000_000)
        );
        // A zone file serial that moved ahead wins.
        assert_eq!(
            s.next(SerialPolicy::Increment, Serial(2026120100), 0, 0),
            Serial(2026120100)
        );
    }
}
