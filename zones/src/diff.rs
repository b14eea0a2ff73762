//! The one unit of change of a zone: an IXFR-shaped difference (RFC 1995 section 4).
//!
//! Every change to a served zone (reload, re-signing, TLSA update, key rollover step) is a
//! [`Diff`]: the SOA before and after, the records removed and the records added. The journal
//! stores exactly these, IXFR sends them, and NOTIFY follows them.

use crate::record::{Record, Rtype};
use crate::serial::Serial;
use crate::zone::{Rrset, RrsetKey, Zone};

pub use crate::serial::soa_serial;

/// The difference between two versions of a zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diff {
    /// The SOA of the old version.
    pub soa_from: Record,
    /// The SOA of the new version.
    pub soa_to: Record,
    /// Records of the old version that the new one lacks (SOA excluded).
    pub removed: Vec<Record>,
    /// Records of the new version that the old one lacks (SOA excluded).
    pub added: Vec<Record>,
}

impl Diff {
    /// The serial the diff starts from.
    pub fn serial_from(&self) -> Serial {
        soa_serial(&self.soa_from)
    }

    /// The serial the diff leads to.
    pub fn serial_to(&self) -> Serial {
        soa_serial(&self.soa_to)
    }

    /// True when nothing but possibly the SOA changed.
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty()
    }

    /// The difference from `old` to `new`, or `None` when either has no SOA.
    ///
    /// Walks the two RRset maps side by side but skips every subtree the two versions share
    /// ([`imbl::OrdMap::diff`]), so comparing a version with the one it was derived from costs
    /// in proportion to what changed; two unrelated versions are compared in full.
    pub fn between(old: &Zone, new: &Zone) -> Option<Self> {
        use imbl::ordmap::DiffItem;
        let changed = old.rrsets.diff(&new.rrsets).map(|item| match item {
            DiffItem::Add(_, b) => (None, Some(b)),
            DiffItem::Update {
                old: (_, a),
                new: (_, b),
            } => (Some(a), Some(b)),
            DiffItem::Remove(_, a) => (Some(a), None),
        });
        Self::from_rrset_pairs(old, new, changed)
    }

    /// The difference from `old` to `new` when only the RRsets under `keys` may differ, or
    /// `None` when either has no SOA. The caller that made the change knows which RRsets it
    /// touched; this compares those and nothing else. Keys may repeat and need not exist.
    pub fn between_keys<'a>(
        old: &Zone,
        new: &Zone,
        keys: impl IntoIterator<Item = &'a RrsetKey>,
    ) -> Option<Self> {
        let mut keys: Vec<&RrsetKey> = keys.into_iter().collect();
        keys.sort_unstable();
        keys.dedup();
        let changed = keys
            .into_iter()
            .map(|k| (old.rrsets.get(k), new.rrsets.get(k)));
        Self::from_rrset_pairs(old, new, changed)
    }

    /// The diff made of the record differences of each (old, new) RRset pair, SOA excluded,
    /// in the order [`Diff::between`] has always used: lowercased owner, type, TTL, rdata.
    fn from_rrset_pairs<'a>(
        old: &Zone,
        new: &Zone,
        pairs: impl Iterator<Item = (Option<&'a Rrset>, Option<&'a Rrset>)>,
    ) -> Option<Self> {
        let soa_from = old.soa()?.records().next()?;
        let soa_to = new.soa()?.records().next()?;
        let mut removed = Vec::new();
        let mut added = Vec::new();
        for (a, b) in pairs {
            if a.or(b).is_some_and(|s| s.rtype == Rtype::SOA) {
                continue;
            }
            only_in(a, b, &mut removed);
            only_in(b, a, &mut added);
        }
        let order = |r: &Record| (r.owner.clone(), u16::from(r.rtype), r.ttl, r.rdata.clone());
        removed.sort_by_cached_key(order);
        added.sort_by_cached_key(order);
        Some(Self {
            soa_from,
            soa_to,
            removed,
            added,
        })
    }

    /// Applies the diff to `zone` (which must be at `serial_from`), giving the new version.
    pub fn apply(&self, zone: &mut Zone) {
        for r in &self.removed {
            zone.remove_record(r);
        }
        zone.remove_record(&self.soa_from);
        zone.insert(self.soa_to.clone());
        for r in &self.added {
            zone.insert(r.clone());
        }
    }
}

/// Pushes the records of `a` that `b` lacks (a record differs when its TTL does), with
/// lowercased owners.
fn only_in(a: Option<&Rrset>, b: Option<&Rrset>, out: &mut Vec<Record>) {
    let Some(a) = a else { return };
    let owner = a.owner.to_lowercase();
    for rdata in &a.rdatas {
        let in_b = b.is_some_and(|b| b.ttl == a.ttl && b.rdatas.binary_search(rdata).is_ok());
        if !in_b {
            out.push(Record {
                owner: owner.clone(),
                rtype: a.rtype,
                class: a.class,
                ttl: a.ttl,
                rdata: rdata.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Class, Name, Rdata, Ttl};
    use core::str::FromStr;

    fn soa(serial: u32) -> Record {
        let mut rd = b"\x02ns\x00\x02hm\x00".to_vec();
        for x in [serial, 1, 2, 3, 4] {
            rd.extend_from_slice(&x.to_be_bytes());
        }
        rec("example.", Rtype::SOA, &rd)
    }

    fn rec(owner: &str, rtype: Rtype, rdata: &[u8]) -> Record {
        Record {
            owner: Name::from_str(owner).unwrap(),
            rtype,
            class: Class::IN,
            ttl: Ttl(60),
            rdata: Rdata(rdata.into()),
        }
    }

    fn zone(serial: u32, records: &[Record]) -> Zone {
        let mut z = Zone::new(Name::from_str("example.").unwrap(), Class::IN);
        z.insert(soa(serial));
        for r in records {
            z.insert(r.clone());
        }
        z
    }

    #[test]
    fn a_diff_holds_exactly_the_changed_records_and_applies_back() {
        let a1 = rec("www.example.", Rtype::A, &[192, 0, 2, 1]);
        let a2 = rec("www.example.", Rtype::A, &[192, 0, 2, 2]);
        let mx = rec("example.", Rtype::MX, b"\x00\x0a\x02mx\x07example\x00");
        let old = zone(1, &[a1.clone(), mx.clone()]);
        let new = zone(2, &[a2.clone(), mx]);
        let d = Diff::between(&old, &new).unwrap();
        assert_eq!(d.serial_from(), Serial(1));
        assert_eq!(d.serial_to(), Serial(2));
        assert_eq!(d.removed, vec![a1]);
        assert_eq!(d.added, vec![a2]);
        let mut z = old.clone();
        d.apply(&mut z);
        assert_eq!(z, new);
    }

    #[test]
    fn a_diff_of_the_touched_keys_equals_the_whole_zone_diff_of_a_derived_version() {
        let mut old = zone(1, &[]);
        for i in 0..2000u32 {
            let owner = format!("h{i}.example.");
            old.insert(rec(&owner, Rtype::A, &i.to_be_bytes()));
        }
        let mut new = old.clone();
        let gone = rec("h7.example.", Rtype::A, &7u32.to_be_bytes());
        let mut longer = rec("h8.example.", Rtype::A, &8u32.to_be_bytes());
        longer.ttl = Ttl(30);
        let fresh = rec("new.example.", Rtype::TXT, b"\x02hi");
        new.remove_record(&gone);
        new.insert(longer.clone());
        new.insert(fresh.clone());
        new.remove_record(&soa(1));
        new.insert(soa(2));
        let whole = Diff::between(&old, &new).unwrap();
        let mut lowered = fresh.clone();
        lowered.owner = lowered.owner.to_lowercase();
        let mut h8_old = longer.clone();
        h8_old.ttl = Ttl(60);
        assert_eq!(whole.removed, vec![gone.clone(), h8_old]);
        assert_eq!(whole.added, vec![longer.clone(), lowered]);
        let key = |r: &Record| (r.owner.to_lowercase(), u16::from(r.rtype), 0);
        let keys = [
            key(&gone),
            key(&longer),
            key(&fresh),
            key(&soa(1)),
            key(&gone),
        ];
        assert_eq!(Diff::between_keys(&old, &new, &keys).unwrap(), whole);
        assert_eq!(whole.serial_to(), Serial(2));
    }
}
