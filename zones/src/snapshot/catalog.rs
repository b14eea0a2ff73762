//! The catalog of zone snapshots: what the query path loads through one atomic pointer.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::version::ZoneSnapshot;
use crate::zone::Zone;

//------------ Catalog -------------------------------------------------------

/// Every served zone, ready to answer from. Built once per change, published with one atomic
/// pointer swap, never mutated.
#[derive(Default)]
pub struct Catalog {
    /// The zones, in the order they were configured.
    zones: Vec<Arc<ZoneSnapshot>>,
    /// Zone index by lowercase wire origin.
    by_origin: FxHashMap<Box<[u8]>, usize>,
    /// Bit `n` is set when some zone's origin has `n` labels (root excluded), so that the
    /// longest-suffix search only probes the suffix lengths that can match.
    label_counts: u128,
}

impl Catalog {
    /// Builds the catalog from zones.
    pub fn new(zones: Vec<Arc<Zone>>) -> Self {
        Self::from_snapshots(
            zones
                .into_iter()
                .map(|z| Arc::new(ZoneSnapshot::build(&z)))
                .collect(),
        )
    }

    /// Builds the catalog from already built zone snapshots (lets a reload reuse the snapshots
    /// of zones that did not change).
    pub fn from_snapshots(zones: Vec<Arc<ZoneSnapshot>>) -> Self {
        let mut by_origin = FxHashMap::default();
        let mut label_counts = 0u128;
        for (i, z) in zones.iter().enumerate() {
            by_origin.insert(z.origin.clone(), i);
            label_counts |= 1u128 << z.origin_labels.min(127);
        }
        Self {
            zones,
            by_origin,
            label_counts,
        }
    }

    /// The zone at `index`.
    pub fn zone(&self, index: usize) -> Option<&Arc<ZoneSnapshot>> {
        self.zones.get(index)
    }

    /// All zones, in configuration order.
    pub fn zones(&self) -> &[Arc<ZoneSnapshot>] {
        &self.zones
    }

    /// The index of the zone whose origin is exactly `name` (lowercase wire).
    pub fn zone_at(&self, name: &[u8]) -> Option<usize> {
        self.by_origin.get(name).copied()
    }

    /// The zone that is the longest suffix of `name` (lowercase wire, with `labels` giving the
    /// offset of every label, leftmost first). With `skip_exact`, a zone whose origin is `name`
    /// itself is passed over: DS records live in the parent (RFC 4035 section 3.1.4.1).
    pub fn find(&self, name: &[u8], labels: &[u8], skip_exact: bool) -> Option<usize> {
        let total = labels.len();
        let start = usize::from(skip_exact);
        for (i, &off) in labels.iter().enumerate().skip(start) {
            let count = total - i;
            if count < 128 && self.label_counts & (1u128 << count) == 0 {
                continue;
            }
            if let Some(&idx) = self.by_origin.get(&name[off as usize..]) {
                return Some(idx);
            }
        }
        if self.label_counts & 1 != 0 {
            return self.by_origin.get(&b"\0"[..]).copied();
        }
        None
    }
}
