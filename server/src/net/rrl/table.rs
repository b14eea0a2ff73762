//! The accounts of response rate limiting: a fixed array of buckets, one `AtomicU64` each,
//! shared by every UDP worker without a lock and without allocating per query.
//!
//! Each account is BIND's "credit" scheme (BIND ARM, `rate-limit`): it earns `rate` credits
//! a second, a prospective response debits one, and responses are limited while the balance
//! is negative. The balance never rises above `rate` (one second of burst) nor falls below
//! `-rate × window`, so a source that floods must stay below the rate for up to `window`
//! seconds before it is answered again.
//!
//! A bucket packs a 24-bit tag (other bits of the account's hash than those that chose the
//! bucket), a 16-bit timestamp (whole seconds since the table was made, wrapping) and a
//! 24-bit signed balance. Two accounts that land in the same bucket with different tags
//! replace each other (the newcomer starts with a full balance); the hash is keyed with a
//! secret chosen at start, so a flooder cannot aim at a victim's bucket. A lost
//! compare-and-swap race is retried a few times, then the response is answered: under
//! contention the table errs towards answering.

use std::sync::atomic::{AtomicU64, Ordering};

/// Buckets in a table: 2^17 (1 MiB), as many accounts as Knot's default `table-size` order.
pub const BUCKETS: usize = 1 << 17;

/// Largest magnitude the 24-bit balance holds; the configuration keeps `rate × window`
/// below it.
pub const BALANCE_MAX: i64 = (1 << 23) - 1;

/// Compare-and-swap attempts before a contended bucket is given up on (answered).
const CAS_TRIES: usize = 4;

/// What an account says about one prospective response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a limited response must be slipped or dropped"]
pub enum Verdict {
    /// The balance covers it: answer.
    Within,
    /// Over the rate. `started` is true for the first limited response after the account
    /// was last within its rate (the moment worth a log line).
    Over {
        /// This response starts a period of limiting.
        started: bool,
    },
}

/// The limits every account follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Credits earned per second, and the highest balance.
    pub rate: u32,
    /// Seconds of debt a balance may run up: the lowest balance is `-rate × window`.
    pub window: u32,
}

/// The bucket array.
pub struct Table {
    /// The buckets; all zero is "no account".
    buckets: Box<[AtomicU64]>,
}

impl Table {
    /// A table of [`BUCKETS`] empty buckets.
    pub fn new() -> Self {
        Self::with_buckets(BUCKETS)
    }

    /// A table of `n` buckets (rounded up to a power of two), for tests.
    pub fn with_buckets(n: usize) -> Self {
        let n = n.max(1).next_power_of_two();
        Self {
            buckets: (0..n).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Debits the account with hash `hash` for one response at `now` (whole seconds since
    /// the table's epoch) and says whether it is within the limits.
    pub fn debit(&self, hash: u64, now: u32, limits: Limits) -> Verdict {
        let bucket = &self.buckets[(hash as usize) & (self.buckets.len() - 1)];
        // The tag is never 0, so an empty bucket matches no account.
        let tag = ((hash >> 40) as u32) | 1;
        let now = now as u16;
        let rate = i64::from(limits.rate).min(BALANCE_MAX);
        let floor = -(rate * i64::from(limits.window)).min(BALANCE_MAX);
        for _ in 0..CAS_TRIES {
            let old = bucket.load(Ordering::Relaxed);
            let (old_tag, stamp, balance) = unpack(old);
            let before = if old_tag != tag {
                rate
            } else {
                // Wrapping age: an account idle for a multiple of 2^16 s looks recent, which
                // at worst keeps a stale debt for one window.
                let age = i64::from(now.wrapping_sub(stamp));
                balance.saturating_add(age * rate).min(rate)
            };
            let after = (before - 1).max(floor);
            let new = pack(tag, now, after);
            if bucket
                .compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                return if before > 0 {
                    Verdict::Within
                } else {
                    // Balance 0 before this debit: the account was within its rate until now.
                    Verdict::Over {
                        started: before >= 0,
                    }
                };
            }
        }
        Verdict::Within
    }
}

impl Default for Table {
    fn default() -> Self {
        Self::new()
    }
}

/// Packs tag (24 bits), stamp (16 bits) and balance (24 bits, two's complement).
fn pack(tag: u32, stamp: u16, balance: i64) -> u64 {
    let bal = (balance as u64) & 0xff_ffff;
    (u64::from(tag & 0xff_ffff) << 40) | (u64::from(stamp) << 24) | bal
}

/// The inverse of [`pack`].
fn unpack(word: u64) -> (u32, u16, i64) {
    let tag = (word >> 40) as u32;
    let stamp = (word >> 24) as u16;
    // Sign-extend the low 24 bits.
    let balance = (((word & 0xff_ffff) << 40) as i64) >> 40;
    (tag, stamp, balance)
}

#[cfg(test)]
mod tests;
