//! A zone as a set of RRsets in canonical order (RFC 4034 section 6.1).
//!
//! The RRsets live in a persistent ordered map ([`imbl::OrdMap`], a B-tree whose nodes are
//! shared between versions): cloning a zone is O(1) and changing one RRset of the clone copies
//! only the O(log n) nodes on the path to it. A server that keeps the serving version and
//! builds the next one beside it therefore pays for what changed, not for the zone's size.

use crate::record::{Class, Name, Rdata, Record, Rtype, Ttl};

//------------ Rrset ---------------------------------------------------------

/// All records of one owner, class and type. The rdatas are kept sorted and free of
/// duplicates, which is both the canonical RRset order (RFC 4034 section 6.3) and what makes
/// "duplicate records collapsed" a property of the type rather than of every caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rrset {
    /// Owner name.
    pub owner: Name,
    /// Record type.
    pub rtype: Rtype,
    /// Class.
    pub class: Class,
    /// TTL shared by the set (RFC 2181 section 5.2).
    pub ttl: Ttl,
    /// Sorted, distinct rdatas.
    pub rdatas: Vec<Rdata>,
}

impl Rrset {
    /// An empty RRset.
    pub fn new(owner: Name, rtype: Rtype, class: Class, ttl: Ttl) -> Self {
        Self {
            owner,
            rtype,
            class,
            ttl,
            rdatas: Vec::new(),
        }
    }

    /// Adds an rdata, keeping the set sorted. Returns false when it was already there.
    pub fn insert(&mut self, rdata: Rdata) -> bool {
        match self.rdatas.binary_search(&rdata) {
            Ok(_) => false,
            Err(pos) => {
                self.rdatas.insert(pos, rdata);
                true
            }
        }
    }

    /// The records of this set, one by one.
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        self.rdatas.iter().map(|rdata| Record {
            owner: self.owner.clone(),
            rtype: self.rtype,
            class: self.class,
            ttl: self.ttl,
            rdata: rdata.clone(),
        })
    }
}

//------------ Zone ----------------------------------------------------------

/// The key of an RRset in a zone: owner in canonical order, then type code, then (for RRSIG
/// only, else 0) the type covered. RRSIGs are kept apart per covered type because each carries
/// the TTL of the RRset it covers (RFC 4035 section 2.2), which one merged RRSIG set could not.
pub type RrsetKey = (Name, u16, u16);

/// The key of the RRset `r` belongs to.
fn record_key(r: &Record) -> RrsetKey {
    let covered = covered_type(r.rtype, r.rdata.as_bytes());
    (r.owner.to_lowercase(), u16::from(r.rtype), covered)
}

/// The type covered by an RRSIG rdata (its first two octets), or 0 for other types.
pub fn covered_type(rtype: Rtype, rdata: &[u8]) -> u16 {
    match (rtype, rdata) {
        (Rtype::RRSIG, [a, b, ..]) => u16::from_be_bytes([*a, *b]),
        _ => 0,
    }
}

/// The map of a zone's RRsets: persistent, so that versions share every untouched node.
pub type RrsetMap = imbl::OrdMap<RrsetKey, Rrset>;

/// A complete zone: its origin and every RRset, keyed so that iteration is in canonical order
/// (owner names as RFC 4034 section 6.1 sorts them, then type code). `clone` is O(1): the
/// copy shares the RRsets with the original until either is changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    /// The apex name.
    pub origin: Name,
    /// The class of every record in the zone.
    pub class: Class,
    /// Every RRset of the zone.
    pub rrsets: RrsetMap,
}

impl Zone {
    /// An empty zone at `origin`.
    pub fn new(origin: Name, class: Class) -> Self {
        Self {
            origin,
            class,
            rrsets: RrsetMap::new(),
        }
    }

    /// Adds one record. Returns false when an identical record was already present (it is then
    /// collapsed, RFC 2181 section 5). A differing TTL within an RRset is unified to the lowest.
    pub fn insert(&mut self, record: Record) -> bool {
        let covered = covered_type(record.rtype, record.rdata.as_bytes());
        let key = (
            record.owner.to_lowercase(),
            u16::from(record.rtype),
            covered,
        );
        let set = self
            .rrsets
            .entry(key)
            .or_insert_with(|| Rrset::new(record.owner, record.rtype, record.class, record.ttl));
        if record.ttl < set.ttl {
            set.ttl = record.ttl; // RFC 2181 section 5.2: one TTL per RRset
        }
        set.insert(record.rdata)
    }

    /// The RRset at `owner` of type `rtype`, if any (for RRSIG see [`Zone::get_rrsig`]).
    pub fn get(&self, owner: &Name, rtype: Rtype) -> Option<&Rrset> {
        self.rrsets
            .get(&(owner.to_lowercase(), u16::from(rtype), 0))
    }

    /// The RRSIGs at `owner` that cover `covered`.
    pub fn get_rrsig(&self, owner: &Name, covered: Rtype) -> Option<&Rrset> {
        self.rrsets.get(&(
            owner.to_lowercase(),
            u16::from(Rtype::RRSIG),
            u16::from(covered),
        ))
    }

    /// Every RRSIG rdata at `owner`, whatever it covers.
    pub fn rrsigs_at(&self, owner: &Name) -> impl Iterator<Item = &Rdata> + '_ {
        let o = owner.to_lowercase();
        let rrsig = u16::from(Rtype::RRSIG);
        self.rrsets
            .range((o.clone(), rrsig, 0)..=(o, rrsig, u16::MAX))
            .flat_map(|(_, set)| set.rdatas.iter())
    }

    /// Removes and returns an RRset (RRSIGs: use `covered`, else 0).
    pub fn remove(&mut self, owner: &Name, rtype: Rtype, covered: u16) -> Option<Rrset> {
        self.rrsets
            .remove(&(owner.to_lowercase(), u16::from(rtype), covered))
    }

    /// Removes one record from its RRset (and the RRset once empty); true when it was there.
    pub fn remove_record(&mut self, r: &Record) -> bool {
        let key = record_key(r);
        let Some(set) = self.rrsets.get_mut(&key) else {
            return false;
        };
        let before = set.rdatas.len();
        set.rdatas.retain(|x| x != &r.rdata);
        let removed = set.rdatas.len() != before;
        if set.rdatas.is_empty() {
            self.rrsets.remove(&key);
        }
        removed
    }

    /// True when the zone holds `r`, TTL included.
    pub fn holds(&self, r: &Record) -> bool {
        self.rrsets
            .get(&record_key(r))
            .is_some_and(|set| set.ttl == r.ttl && set.rdatas.contains(&r.rdata))
    }

    /// Every RRset at `owner` (RRSIGs included), in type order.
    pub fn rrsets_at(&self, owner: &Name) -> impl DoubleEndedIterator<Item = &Rrset> + '_ {
        let o = owner.to_lowercase();
        self.rrsets
            .range((o.clone(), 0, 0)..=(o, u16::MAX, u16::MAX))
            .map(|(_, set)| set)
    }

    /// Keeps only the RRsets for which `keep` is true (the persistent map has no `retain`).
    /// Costs a lookup per RRset dropped, nothing per RRset kept beyond the scan.
    pub fn retain(&mut self, mut keep: impl FnMut(&RrsetKey, &Rrset) -> bool) {
        let drop: Vec<RrsetKey> = self
            .rrsets
            .iter()
            .filter(|(k, set)| !keep(k, set))
            .map(|(k, _)| k.clone())
            .collect();
        for k in drop {
            self.rrsets.remove(&k);
        }
    }

    /// The apex SOA RRset, if the zone has one.
    pub fn soa(&self) -> Option<&Rrset> {
        self.get(&self.origin, Rtype::SOA)
    }

    /// The serial of the apex SOA (RFC 1035 section 3.3.13), if the zone has one.
    pub fn serial(&self) -> Option<crate::serial::Serial> {
        self.soa()?
            .records()
            .next()
            .map(|r| crate::serial::soa_serial(&r))
    }

    /// Every record, in canonical order.
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        self.rrsets.values().flat_map(Rrset::records)
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.rrsets.values().map(|s| s.rdatas.len()).sum()
    }

    /// True when the zone holds no record.
    pub fn is_empty(&self) -> bool {
        self.rrsets.is_empty()
    }
}
