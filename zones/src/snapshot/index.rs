//! The name index of a snapshot: lowercase wire name to node id, in two hash tables.
//!
//! The tables hold node ids only; a probe compares the name stored in the node. The large
//! *base* table is built at once and shared (`Arc`) by every later version; names added since
//! go to a small *overlay* table that each version copies (ids are `u32`, so that copy is a
//! `memcpy` of a few kilobytes). A name that is removed needs no tombstone: its node slot no
//! longer holds the name, so a stale base entry never matches. When the overlay and the stale
//! entries grow past an eighth of the zone, the base is rebuilt, which keeps the amortised cost
//! of a change constant and the lookup at most two probes with one hash computation.

use core::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use super::chunked::Arena;
use super::node::Node;
use super::node::NodeId;

/// Entries (overlay and stale) tolerated before a rebuild, beyond an eighth of the nodes.
const COMPACTION_SLACK: usize = 1024;

/// Node ids by name.
#[derive(Clone, Default)]
pub struct NameIndex {
    /// Built at once; shared by later versions.
    base: Arc<HashTable<NodeId>>,
    /// Names added since the base was built.
    overlay: HashTable<NodeId>,
    /// Base entries whose name was removed since.
    stale: usize,
}

/// The hash of a lowercase wire name.
#[inline]
fn hash_name(name: &[u8]) -> u64 {
    FxBuildHasher.hash_one(name)
}

/// The name held by node `id`, empty for a released node.
#[inline]
fn name_of(nodes: &Arena<Node>, id: NodeId) -> &[u8] {
    nodes.get(id).map_or(&[], |n| &n.name)
}

impl NameIndex {
    /// The index of every node that holds a name.
    pub fn build(nodes: &Arena<Node>) -> Self {
        let mut base = HashTable::with_capacity(nodes.slots());
        for (id, node) in nodes.iter() {
            if !node.name.is_empty() {
                base.insert_unique(hash_name(&node.name), id, |&x| hash_name(name_of(nodes, x)));
            }
        }
        Self {
            base: Arc::new(base),
            overlay: HashTable::new(),
            stale: 0,
        }
    }

    /// The node named `name`.
    #[inline]
    pub fn get(&self, name: &[u8], nodes: &Arena<Node>) -> Option<NodeId> {
        let hash = hash_name(name);
        let eq = |&id: &NodeId| name_of(nodes, id) == name;
        if let Some(&id) = self.base.find(hash, eq) {
            return Some(id);
        }
        if self.overlay.is_empty() {
            return None;
        }
        self.overlay.find(hash, eq).copied()
    }

    /// Adds node `id`, whose name is already stored in `nodes`.
    pub fn insert(&mut self, id: NodeId, nodes: &Arena<Node>) {
        let hash = hash_name(name_of(nodes, id));
        self.overlay
            .insert_unique(hash, id, |&x| hash_name(name_of(nodes, x)));
    }

    /// Forgets node `id`, named `name`.
    pub fn remove(&mut self, name: &[u8], id: NodeId) {
        match self.overlay.find_entry(hash_name(name), |&x| x == id) {
            Ok(entry) => {
                entry.remove();
            }
            Err(_) => self.stale += 1,
        }
    }

    /// Rebuilds the base when the overlay and stale entries have grown too many for `nodes`.
    pub fn compact_if_needed(&mut self, nodes: &Arena<Node>) {
        let live = nodes.slots() - nodes.released();
        if self.overlay.len() + self.stale > COMPACTION_SLACK + live / 8 {
            *self = Self::build(nodes);
        }
    }

    /// Entries in the overlay (for tests and measurements).
    #[cfg(test)]
    pub fn overlay_len(&self) -> usize {
        self.overlay.len()
    }
}
