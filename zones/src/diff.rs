//! The one unit of change of a zone: an IXFR-shaped difference (RFC 1995 section 4).
//!
//! Every change to a served zone (reload, re-signing, TLSA update, key rollover step) is a
//! [`Diff`]: the SOA before and after, the records removed and the records added. The journal
//! stores exactly these, IXFR sends them, and NOTIFY follows them.

use std::collections::BTreeSet;

use crate::record::{Record, Rtype};
use crate::serial::Serial;
use crate::zone::Zone;

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
    pub fn between(old: &Zone, new: &Zone) -> Option<Self> {
        let soa_from = old.soa()?.records().next()?;
        let soa_to = new.soa()?.records().next()?;
        let key = |r: &Record| {
            (
                r.owner.to_lowercase(),
                u16::from(r.rtype),
                r.ttl,
                r.rdata.clone(),
            )
        };
        let records = |z: &Zone| -> BTreeSet<_> {
            z.records()
                .filter(|r| r.rtype != Rtype::SOA)
                .map(|r| key(&r))
                .collect()
        };
        let (a, b) = (records(old), records(new));
        let class = new.class;
        let to_record = |(owner, rtype, ttl, rdata): &(_, u16, _, _)| Record {
            owner: crate::Name::clone(owner),
            rtype: Rtype::from(*rtype),
            class,
            ttl: *ttl,
            rdata: crate::Rdata::clone(rdata),
        };
        Some(Self {
            soa_from,
            soa_to,
            removed: a.difference(&b).map(to_record).collect(),
            added: b.difference(&a).map(to_record).collect(),
        })
    }

    /// Applies the diff to `zone` (which must be at `serial_from`), giving the new version.
    pub fn apply(&self, zone: &mut Zone) {
        for r in &self.removed {
            remove_record(zone, r);
        }
        remove_record(zone, &self.soa_from);
        zone.insert(self.soa_to.clone());
        for r in &self.added {
            zone.insert(r.clone());
        }
    }
}

/// Removes one record from its RRset (and the RRset when it becomes empty).
fn remove_record(zone: &mut Zone, r: &Record) {
    let covered = crate::zone::covered_type(r.rtype, r.rdata.as_bytes());
    let key = (r.owner.to_lowercase(), u16::from(r.rtype), covered);
    if let Some(set) = zone.rrsets.get_mut(&key) {
        set.rdatas.retain(|x| x != &r.rdata);
        if set.rdatas.is_empty() {
            zone.rrsets.remove(&key);
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
}
