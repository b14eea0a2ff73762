//! When the signatures of a zone come due (RFC 4034 section 3.1.5 validity), kept beside the
//! zone so that "when is the next refresh" and "what is due now" are not a scan of every
//! RRSIG on each clock tick.
//!
//! The schedule is built once from a signed zone (O(n)) and then follows each [`Diff`]
//! ([`SignatureSchedule::update`], O(d log n) for the d RRSIG records in the diff). It is a
//! pair of persistent maps, so a copy kept with each zone version is O(1) too. The expiration
//! of an RRset is the earliest expiration among its RRSIGs.

use zones::diff::Diff;
use zones::zone::RrsetKey;
use zones::{Name, Rtype, Zone};

use crate::rrsig::RrsigFields;
use crate::time::Timestamp;

/// RRSIG type code.
const RRSIG: u16 = 46;

//------------ SignatureSchedule ---------------------------------------------

/// Each signed RRset of a zone with the moment its first signature expires, ordered both by
/// RRset and by time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignatureSchedule {
    /// (owner, covered type) -> earliest expiration.
    by_rrset: imbl::OrdMap<(Name, u16), Timestamp>,
    /// The same entries ordered by expiration.
    by_time: imbl::OrdSet<(Timestamp, Name, u16)>,
}

impl SignatureSchedule {
    /// The schedule of every RRSIG set in `zone`. RRSIG times are read with serial arithmetic
    /// around `now` (RFC 4034 section 3.1.5).
    pub fn build(zone: &Zone, now: Timestamp) -> Self {
        let mut out = Self::default();
        for ((owner, rtype, covered), _) in zone.rrsets.iter() {
            if *rtype == RRSIG {
                out.set(zone, owner, *covered, now);
            }
        }
        out
    }

    /// Follows `diff`, which led to `zone`: every RRSIG set it touched is read again from
    /// `zone`.
    pub fn update(&mut self, zone: &Zone, diff: &Diff, now: Timestamp) {
        let touched = diff
            .removed
            .iter()
            .chain(&diff.added)
            .filter(|r| r.rtype == Rtype::RRSIG);
        for r in touched {
            let covered = zones::zone::covered_type(r.rtype, r.rdata.as_bytes());
            self.set(zone, &r.owner.to_lowercase(), covered, now);
        }
    }

    /// The earliest moment a signature must be made again: the earliest expiration minus
    /// `refresh_secs` (`None` when nothing is signed).
    pub fn next_refresh(&self, refresh_secs: u64) -> Option<Timestamp> {
        self.by_time
            .get_min()
            .map(|(t, _, _)| t.sub_secs(refresh_secs))
    }

    /// The RRsets whose signatures expire within `refresh_secs` of `now`, as RRset keys for
    /// [`crate::incremental::refresh`], earliest first.
    pub fn due(&self, now: Timestamp, refresh_secs: u64) -> Vec<RrsetKey> {
        let limit = now.add_secs(refresh_secs);
        self.by_time
            .iter()
            .take_while(|(t, _, _)| *t <= limit)
            .map(|(_, owner, covered)| (owner.clone(), *covered, 0))
            .collect()
    }

    /// Number of signed RRsets.
    pub fn len(&self) -> usize {
        self.by_rrset.len()
    }

    /// True when nothing is signed.
    pub fn is_empty(&self) -> bool {
        self.by_rrset.is_empty()
    }

    /// Reads the RRSIG set over `owner`/`covered` from `zone` into the schedule.
    fn set(&mut self, zone: &Zone, owner: &Name, covered: u16, now: Timestamp) {
        let key = (owner.clone(), covered);
        if let Some(old) = self.by_rrset.remove(&key) {
            self.by_time.remove(&(old, key.0.clone(), covered));
        }
        let earliest = zone
            .rrsets
            .get(&(owner.clone(), RRSIG, covered))
            .into_iter()
            .flat_map(|s| s.rdatas.iter())
            .filter_map(|r| RrsigFields::from_wire(r.as_bytes()).ok())
            .map(|(f, _)| Timestamp::from_rrsig_field(f.expiration, now))
            .min();
        if let Some(t) = earliest {
            self.by_time.insert((t, key.0.clone(), covered));
            self.by_rrset.insert(key, t);
        }
    }
}
