//! When the signatures of a zone come due (RFC 4034 section 3.1.5 validity), kept beside the
//! zone so that "when is the next refresh" is not a scan of every RRSIG on each clock tick.
//!
//! What the schedule keeps is deliberately small: the number of RRSIG records whose
//! expiration falls in each hour, nothing per RRset. A per-RRset index (owner names and all)
//! cost more memory than the zone's own signatures, and a server holding thousands of zones
//! pays it for every zone at rest. The price is that [`SignatureSchedule::due`] scans the zone
//! for the RRsets to re-sign; it runs only when a refresh comes due, at most once an hour,
//! because it takes the whole hour that came due (signing up to an hour early is harmless:
//! the new signature gets the full validity).
//!
//! The schedule is built once from a signed zone (O(n)) and then follows each [`Diff`]
//! ([`SignatureSchedule::update`], O(d log h) for the d RRSIG records in the diff and h hours).

use zones::diff::Diff;
use zones::zone::RrsetKey;
use zones::{Rtype, Zone};

use crate::rrsig::RrsigFields;
use crate::time::Timestamp;

/// RRSIG type code.
const RRSIG: u16 = 46;

/// Width of one bucket of expirations, in seconds.
const BUCKET_SECS: u64 = 3600;

//------------ SignatureSchedule ---------------------------------------------

/// The RRSIG records of a zone counted by the hour they expire in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignatureSchedule {
    /// (hours since the epoch, RRSIG records expiring within that hour), sorted by hour: a
    /// zone's signatures fall in a few dozen to a few hundred hours (the validity's jitter),
    /// which a sorted vector holds in 8 bytes each where a map's nodes cost several hundred
    /// bytes for a small zone.
    by_hour: Vec<(u32, u32)>,
}

impl SignatureSchedule {
    /// The schedule of every RRSIG in `zone`. RRSIG times are read with serial arithmetic
    /// around `now` (RFC 4034 section 3.1.5).
    pub fn build(zone: &Zone, now: Timestamp) -> Self {
        let mut out = Self::default();
        for ((_, rtype, _), set) in zone.rrsets.iter() {
            if *rtype == RRSIG {
                for rd in &set.rdatas {
                    out.count(rd.as_bytes(), now, true);
                }
            }
        }
        out.by_hour.shrink_to_fit();
        out
    }

    /// Follows `diff`: its removed RRSIG records leave the count, its added ones join it.
    pub fn update(&mut self, diff: &Diff, now: Timestamp) {
        for (records, add) in [(&diff.removed, false), (&diff.added, true)] {
            for r in records.iter().filter(|r| r.rtype == Rtype::RRSIG) {
                self.count(r.rdata.as_bytes(), now, add);
            }
        }
    }

    /// The earliest moment a signature must be made again: the start of the hour in which
    /// the earliest signature expires, minus `refresh_secs` (`None` when nothing is signed).
    pub fn next_refresh(&self, refresh_secs: u64) -> Option<Timestamp> {
        self.by_hour
            .first()
            .map(|&(hour, _)| Timestamp(u64::from(hour) * BUCKET_SECS).sub_secs(refresh_secs))
    }

    /// The RRsets of `zone` with a signature that expires within `refresh_secs` of `now`, or
    /// in the hour that reaches into, as RRset keys for [`crate::incremental::refresh`].
    /// Taking the whole hour is what keeps refreshes at most hourly.
    pub fn due(zone: &Zone, now: Timestamp, refresh_secs: u64) -> Vec<RrsetKey> {
        let limit = now.add_secs(refresh_secs);
        let limit = Timestamp(hour_of(limit) + BUCKET_SECS);
        zone.rrsets
            .iter()
            .filter(|((_, rtype, _), set)| {
                *rtype == RRSIG
                    && set
                        .rdatas
                        .iter()
                        .filter_map(|r| expiration(r.as_bytes(), now))
                        .any(|t| t < limit)
            })
            .map(|((owner, _, covered), _)| (owner.clone(), *covered, 0))
            .collect()
    }

    /// Number of RRSIG records counted.
    pub fn len(&self) -> usize {
        self.by_hour.iter().map(|&(_, n)| n as usize).sum()
    }

    /// True when nothing is signed.
    pub fn is_empty(&self) -> bool {
        self.by_hour.is_empty()
    }

    /// Counts one RRSIG rdata in (`add`) or out.
    fn count(&mut self, rdata: &[u8], now: Timestamp, add: bool) {
        let Some(t) = expiration(rdata, now) else {
            return;
        };
        let hour = (t.0 / BUCKET_SECS) as u32;
        let at = self.by_hour.binary_search_by_key(&hour, |&(h, _)| h);
        match (at, add) {
            (Ok(i), true) => self.by_hour[i].1 += 1,
            (Err(i), true) => self.by_hour.insert(i, (hour, 1)),
            (Ok(i), false) => {
                self.by_hour[i].1 -= 1;
                if self.by_hour[i].1 == 0 {
                    self.by_hour.remove(i);
                }
            }
            (Err(_), false) => {}
        }
    }
}

/// The expiration of an RRSIG rdata.
fn expiration(rdata: &[u8], now: Timestamp) -> Option<Timestamp> {
    let (fields, _) = RrsigFields::from_wire(rdata).ok()?;
    Some(Timestamp::from_rrsig_field(fields.expiration, now))
}

/// The start of the hour `t` falls in.
fn hour_of(t: Timestamp) -> u64 {
    t.0 - t.0 % BUCKET_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RRSIG rdata expiring at `t` (only the expiration matters here).
    fn rrsig_expiring(t: u64) -> Vec<u8> {
        let mut rd = vec![0, 1, 13, 2, 0, 0, 14, 16];
        rd.extend_from_slice(&(t as u32).to_be_bytes());
        rd.extend_from_slice(&((t - 86_400) as u32).to_be_bytes());
        rd.extend_from_slice(&[0, 1, 0]); // key tag, root signer
        rd.extend_from_slice(&[0; 64]);
        rd
    }

    #[test]
    fn counts_by_hour_and_the_earliest_hour_sets_the_refresh() {
        let now = Timestamp(1_800_000_000 - 1_800_000_000 % BUCKET_SECS);
        let at = |hours: u64, within: u64| rrsig_expiring(now.0 + hours * BUCKET_SECS + within);
        let mut s = SignatureSchedule::default();
        assert_eq!(s.next_refresh(0), None);
        for rd in [at(5, 10), at(2, 100), at(2, 3599), at(9, 0)] {
            s.count(&rd, now, true);
        }
        assert_eq!(s.len(), 4);
        // The hour of the earliest expiration, whatever the minute.
        assert_eq!(s.next_refresh(0), Some(now.add_secs(2 * BUCKET_SECS)));
        assert_eq!(
            s.next_refresh(600),
            Some(now.add_secs(2 * BUCKET_SECS - 600))
        );
        s.count(&at(2, 100), now, false);
        assert_eq!(s.next_refresh(0), Some(now.add_secs(2 * BUCKET_SECS)));
        s.count(&at(2, 7), now, false);
        assert_eq!(s.next_refresh(0), Some(now.add_secs(5 * BUCKET_SECS)));
        // Taking out what was never counted changes nothing.
        s.count(&at(7, 0), now, false);
        assert_eq!(s.len(), 2);
        s.count(&at(5, 0), now, false);
        s.count(&at(9, 0), now, false);
        assert!(s.is_empty());
    }
}
