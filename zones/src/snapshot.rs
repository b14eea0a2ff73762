//! The immutable, wire-form view of all served zones that the query path reads.

use std::sync::Arc;

use crate::zone::Zone;

/// Every served zone, ready to answer from. Built once per change, published with one atomic
/// pointer swap, never mutated.
#[derive(Default)]
pub struct Catalog {
    zones: Vec<Arc<ZoneSnapshot>>,
}

/// One zone in wire form.
pub struct ZoneSnapshot {
    /// The zone it was built from (transfers stream it).
    pub zone: Arc<Zone>,
}

impl Catalog {
    /// Builds the catalog from zones.
    pub fn new(zones: Vec<Arc<Zone>>) -> Self {
        Self {
            zones: zones
                .into_iter()
                .map(|zone| Arc::new(ZoneSnapshot { zone }))
                .collect(),
        }
    }

    /// The zone at `index`.
    pub fn zone(&self, index: usize) -> Option<&Arc<ZoneSnapshot>> {
        self.zones.get(index)
    }
}
