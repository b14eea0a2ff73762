//! The next snapshot version from the previous one and a [`Diff`], touching only what the diff
//! reaches (see the module documentation of [`super`] for the structures and why).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;

use hickory_proto::serialize::binary::BinDecodable;

use super::build::{
    entries_at, has_ns, has_nsec, keeps_change_indexes, negative_soa, nsec3_entry, referrers_of,
    targets, topmost_cut, with_additional,
};
use super::node::{Node, NodeId, Nsec3Hash, RrsetWire};
use super::version::{ChangeIndexes, Denial, ZoneSnapshot};

/// Why the change indexes are there while `apply` runs.
const INDEXED: &str = "apply rebuilds the change indexes of a small zone first";
use super::wire::{ancestors, canonical_cmp, name_key, nsec3_owner_hash, owner_rrsets};
use crate::diff::Diff;
use crate::record::{Name, Rtype};
use crate::zone::Zone;

impl ZoneSnapshot {
    /// The snapshot of `zone`, which is this version's zone with `diff` applied: answers exactly as
    /// [`ZoneSnapshot::build_with`] of `zone` with the same hasher would, built in time
    /// proportional to the diff, sharing all untouched data with `self`. A diff that changes
    /// how the zone denies existence (NSEC3PARAM, NSEC to NSEC3, signed to unsigned) rebuilds
    /// the snapshot whole. The history is carried over; set the new one with
    /// [`ZoneSnapshot::with_history`].
    pub fn apply(&self, zone: &Zone, diff: &Diff) -> Self {
        if self.denial_may_change(zone, diff) {
            return Self::build_with(zone, self.hasher).with_history(self.history.clone());
        }
        let mut next = self.clone();
        if next.indexes.is_none() {
            next.rebuild_change_indexes();
        }
        let touched = touched_names(diff);
        if matches!(next.denial, Denial::Nsec3 { .. }) {
            next.update_nsec3_chain(zone, &touched);
        }
        let nodes = next.update_nodes(zone, self, &touched);
        let moved = next.update_cuts(zone, &nodes);
        next.update_additional(self, &nodes, &moved);
        (next.serial, next.negative_ttl) = negative_soa(zone);
        let emptied = match &next.denial {
            Denial::None => false,
            Denial::Nsec { order } => order.is_empty(),
            Denial::Nsec3 { chain, .. } => chain.is_empty(),
        };
        if emptied {
            return Self::build_with(zone, self.hasher).with_history(self.history.clone());
        }
        next.index.compact_if_needed(&next.nodes);
        if !keeps_change_indexes(next.nodes.slots()) {
            next.indexes = None;
        }
        next
    }

    /// Rebuilds `referrers` and `hashes`, which a small zone does not keep.
    pub(super) fn rebuild_change_indexes(&mut self) {
        let referrers = referrers_of(&self.nodes, &self.origin);
        let mut hashes: Vec<(Nsec3Hash, NodeId)> = self
            .nodes
            .iter()
            .filter(|(_, n)| !n.name.is_empty())
            .filter_map(|(id, n)| Some((self.node_hash(&n.name)?, id)))
            .collect();
        hashes.sort();
        self.indexes = Some(Box::new(ChangeIndexes {
            referrers,
            hashes: super::chunked::Sorted::from_sorted(hashes),
        }));
    }

    /// True when `diff` may switch the zone to another kind of denial of existence (or other
    /// NSEC3 parameters), which `apply` leaves to a full build.
    fn denial_may_change(&self, zone: &Zone, diff: &Diff) -> bool {
        if name_key(&zone.origin)[..] != self.origin[..] || u16::from(zone.class) != self.class {
            return true;
        }
        let changed = |t: Rtype| diff.removed.iter().chain(&diff.added).any(|r| r.rtype == t);
        if changed(Rtype::NSEC3PARAM) {
            return true;
        }
        match self.denial {
            Denial::None => changed(Rtype::NSEC) || changed(Rtype::NSEC3),
            Denial::Nsec { .. } => changed(Rtype::NSEC3),
            Denial::Nsec3 { .. } => false,
        }
    }

    /// The NSEC3 hash of a node name, when the zone uses NSEC3 and a hasher is known.
    fn node_hash(&self, name: &[u8]) -> Option<Nsec3Hash> {
        let Denial::Nsec3 {
            salt, iterations, ..
        } = &self.denial
        else {
            return None;
        };
        Some((self.hasher?)(name, salt, *iterations))
    }

    /// Brings the NSEC3 chain up to date for the touched names that own NSEC3 records (before
    /// or after), and points the existing nodes with a matching hash at added records.
    fn update_nsec3_chain(&mut self, zone: &Zone, touched: &BTreeSet<Name>) {
        let class = self.class;
        let nsec3 = Rtype::NSEC3;
        let Denial::Nsec3 { chain, .. } = &mut self.denial else {
            return;
        };
        for name in touched {
            let key = name_key(name);
            // The previous version had an NSEC3 record here exactly when the chain holds one
            // with this owner.
            let previous = nsec3_owner_hash(&key, &self.origin).and_then(|h| chain.find(&h));
            let has = zone.get(name, nsec3).is_some();
            if previous.is_none() && !has {
                continue;
            }
            let entry = nsec3_entry(&key, &self.origin, &entries_at(zone, name), class).flatten();
            let (id, linked) = match (previous, entry) {
                (Some(id), Some(entry)) => {
                    chain.entries.set(id, entry);
                    continue;
                }
                (None, Some(entry)) => {
                    let hash = entry.hash;
                    let id = chain.entries.alloc(entry);
                    let entries = &chain.entries;
                    chain.order.insert_by(id, |&x| entries[x].hash.cmp(&hash));
                    (id, Some(id))
                }
                (Some(id), None) => {
                    let hash = chain.entries[id].hash;
                    let entries = &chain.entries;
                    chain.order.remove_by(|&x| entries[x].hash.cmp(&hash));
                    chain.entries.release(id);
                    (id, None)
                }
                (None, None) => continue,
            };
            let hash = match linked {
                Some(id) => chain.entries[id].hash,
                None => match nsec3_owner_hash(&key, &self.origin) {
                    Some(h) => h,
                    None => continue,
                },
            };
            let matching: Vec<NodeId> = (self.indexes.as_ref().expect(INDEXED))
                .hashes
                .iter_from_by(|(h, _)| h[..].cmp(&hash))
                .take_while(|(h, _)| h[..] == hash[..])
                .map(|&(_, node)| node)
                .collect();
            for node_id in matching {
                let node = &self.nodes[node_id];
                if linked.is_none() && node.nsec3() != Some(id) {
                    continue;
                }
                let mut node = node.clone();
                node.set_nsec3(linked);
                self.nodes.set(node_id, node);
            }
        }
    }

    /// Rebuilds the nodes of the touched names and of their ancestors (empty non-terminals)
    /// from `zone`, creating and releasing nodes as names appear and disappear, and keeps
    /// the name index, the NSEC order, the NSEC3 hashes and the referrers in step. Returns
    /// what the later steps need.
    fn update_nodes(&mut self, zone: &Zone, old: &Self, touched: &BTreeSet<Name>) -> NodeChanges {
        let class = self.class;
        let origin: Arc<[u8]> = self.origin[..].into();
        let mut candidates: BTreeMap<Box<[u8]>, ()> = BTreeMap::new();
        for name in touched {
            let key = name_key(name);
            if !key.ends_with(&origin) {
                continue;
            }
            for ancestor in ancestors(&key, &origin) {
                candidates.insert(ancestor.into(), ());
            }
            candidates.insert(key, ());
        }

        let mut changes = NodeChanges::default();
        for key in candidates.into_keys() {
            let Ok(name) = Name::from_bytes(&key) else {
                continue;
            };
            let content = node_content(zone, &name, &key, &origin, class);
            let old_id = old.lookup(&key);
            match (old_id, content) {
                (Some(id), Some(rrsets)) => {
                    let before = &old.nodes[id];
                    let node = Node {
                        delegation: key[..] != origin[..] && has_ns(&rrsets),
                        rrsets: rrsets.into(),
                        ..self.nodes[id].clone()
                    };
                    if before.cuts() != node.cuts() && key[..] != origin[..] {
                        changes.cut_changed.push(name);
                    }
                    let (had, has) = (has_nsec(&before.rrsets), has_nsec(&node.rrsets));
                    self.update_referrers(id, &before.rrsets, &node.rrsets);
                    self.nodes.set(id, node);
                    if had != has {
                        self.update_nsec_order(id, has);
                    }
                    changes.rebuilt.push(id);
                }
                (None, Some(rrsets)) => {
                    let mut node = Node {
                        name: key[..].into(),
                        delegation: key[..] != origin[..] && has_ns(&rrsets),
                        rrsets: rrsets.into(),
                        ..Node::default()
                    };
                    let hash = self.node_hash(&key);
                    if let (Some(h), Denial::Nsec3 { chain, .. }) = (hash, &self.denial) {
                        node.set_nsec3(chain.find(&h));
                    }
                    let cuts = node.cuts();
                    let has = has_nsec(&node.rrsets);
                    let id = self.nodes.alloc(node);
                    self.index.insert(id, &self.nodes);
                    if let Some(h) = hash {
                        (self.indexes.as_mut().expect(INDEXED))
                            .hashes
                            .insert_by((h, id), |e| e.cmp(&(h, id)));
                    }
                    let rrsets = self.nodes[id].rrsets.clone();
                    self.update_referrers(id, &[], &rrsets);
                    if has {
                        self.update_nsec_order(id, true);
                    }
                    if cuts {
                        changes.cut_changed.push(name);
                    }
                    changes.created.push(id);
                    changes.rebuilt.push(id);
                }
                (Some(id), None) => {
                    let before = &old.nodes[id];
                    if has_nsec(&before.rrsets) {
                        self.update_nsec_order(id, false);
                    }
                    self.update_referrers(id, &before.rrsets, &[]);
                    if let Some(h) = self.node_hash(&key) {
                        (self.indexes.as_mut().expect(INDEXED))
                            .hashes
                            .remove_by(|e| e.cmp(&(h, id)));
                    }
                    self.index.remove(&key, id);
                    self.nodes.release(id);
                }
                (None, None) => {}
            }
            changes.names.push(key);
        }
        changes
    }

    /// Adds node `id` to the NSEC order (`present`) or removes it; its name must be set.
    fn update_nsec_order(&mut self, id: NodeId, present: bool) {
        let Denial::Nsec { order } = &mut self.denial else {
            return;
        };
        let nodes = &self.nodes;
        let name = &nodes[id].name;
        let cmp = |&x: &NodeId| canonical_cmp(&nodes[x].name, name);
        if present {
            order.insert_by(id, cmp);
        } else {
            order.remove_by(cmp);
        }
    }

    /// Replaces the referrer entries of node `id` for the targets of `before` by those of
    /// `after`.
    fn update_referrers(&mut self, id: NodeId, before: &[RrsetWire], after: &[RrsetWire]) {
        let in_zone = |sets: &[RrsetWire]| -> BTreeSet<Vec<u8>> {
            sets.iter()
                .filter(|s| super::build::has_targets(s))
                .flat_map(targets)
                .filter(|t| t.ends_with(&self.origin))
                .collect()
        };
        let (old, new) = (in_zone(before), in_zone(after));
        for gone in old.difference(&new) {
            (self.indexes.as_mut().expect(INDEXED))
                .referrers
                .remove_by(|(t, x)| (&t[..], *x).cmp(&(&gone[..], id)));
        }
        for added in new.difference(&old) {
            let entry: (Arc<[u8]>, NodeId) = (added[..].into(), id);
            (self.indexes.as_mut().expect(INDEXED))
                .referrers
                .insert_by(entry, |(t, x)| (&t[..], *x).cmp(&(&added[..], id)));
        }
    }

    /// Recomputes the cut above every created node and below every name that became or
    /// stopped being a cut. Returns the names whose cut changed.
    fn update_cuts(&mut self, zone: &Zone, changes: &NodeChanges) -> Vec<Arc<[u8]>> {
        let mut ids: BTreeSet<NodeId> = changes.created.iter().copied().collect();
        for top in &changes.cut_changed {
            let top_key = name_key(top);
            let below = (
                Bound::Excluded((top.clone(), u16::MAX, u16::MAX)),
                Bound::Unbounded,
            );
            let mut last: Option<&Name> = None;
            for ((owner, _, _), _) in zone.rrsets.range(below) {
                if !top.zone_of(owner) {
                    break;
                }
                if last == Some(owner) {
                    continue;
                }
                last = Some(owner);
                let key = name_key(owner);
                for name in core::iter::once(&key[..]).chain(ancestors(&key, &top_key)) {
                    if let Some(id) = self.index.get(name, &self.nodes) {
                        ids.insert(id);
                    }
                }
            }
        }
        let mut moved = Vec::new();
        for id in ids {
            let node = &self.nodes[id];
            let cut = topmost_cut(&node.name, &self.origin, &self.nodes, |n| {
                self.index.get(n, &self.nodes)
            });
            if cut != node.cut() {
                moved.push((id, cut));
            }
        }
        let mut names = Vec::with_capacity(moved.len());
        for (id, cut) in moved {
            let mut node = self.nodes[id].clone();
            node.set_cut(cut);
            names.push(node.name[..].into());
            self.nodes.set(id, node);
        }
        names
    }

    /// Resolves the additional targets of every rebuilt node, and of every node whose NS, MX
    /// or SRV records point at a name whose address records or occlusion changed.
    fn update_additional(&mut self, old: &Self, changes: &NodeChanges, moved: &[Arc<[u8]>]) {
        let mut owners: BTreeSet<NodeId> = changes.rebuilt.iter().copied().collect();
        let target = |s: &Self, key: &[u8]| {
            let id = s.lookup(key)?;
            Some((id, s.nodes[id].address_target()?))
        };
        let names = changes.names.iter().map(|k| &k[..]);
        for key in names.chain(moved.iter().map(|k| &k[..])) {
            if target(old, key) == target(self, key) {
                continue;
            }
            owners.extend(
                (self.indexes.as_mut().expect(INDEXED))
                    .referrers
                    .iter_from_by(|(t, _)| t[..].cmp(key))
                    .take_while(|(t, _)| t[..] == key[..])
                    .map(|&(_, owner)| owner),
            );
        }
        let mut updated = Vec::new();
        for id in owners {
            let node = &self.nodes[id];
            if node.name.is_empty() || !node.rrsets.iter().any(super::build::has_targets) {
                continue;
            }
            let lookup = |n: &[u8]| self.index.get(n, &self.nodes);
            updated.push((id, with_additional(node, &self.nodes, lookup)));
        }
        for (id, node) in updated {
            self.nodes.set(id, node);
        }
    }
}

/// What `update_nodes` changed, for the later steps.
#[derive(Default)]
struct NodeChanges {
    /// Every candidate name (touched names and their ancestors), lowercase wire.
    names: Vec<Box<[u8]>>,
    /// Nodes whose RRsets were rebuilt (created ones included).
    rebuilt: Vec<NodeId>,
    /// Nodes created.
    created: Vec<NodeId>,
    /// Names below the apex that became or stopped being a cut (delegation or DNAME).
    cut_changed: Vec<Name>,
}

/// The lowercase owner names of every record in `diff`, SOAs included.
fn touched_names(diff: &Diff) -> BTreeSet<Name> {
    [&diff.soa_from, &diff.soa_to]
        .into_iter()
        .chain(&diff.removed)
        .chain(&diff.added)
        .map(|r| r.owner.to_lowercase())
        .collect()
}

/// The RRsets of the node `name` (lowercase wire `key`) in `zone`, or `None` when the name is
/// no node: not the apex, and neither owning data (NSEC3 owners excluded) nor above a name that
/// does (an empty non-terminal). Mirrors what `build_with` creates.
fn node_content(
    zone: &Zone,
    name: &Name,
    key: &[u8],
    origin: &[u8],
    class: u16,
) -> Option<Vec<RrsetWire>> {
    let here = entries_at(zone, name);
    let nsec3_owner = here.iter().any(|(k, _)| k.1 == u16::from(Rtype::NSEC3));
    let owns = !here.is_empty() && !nsec3_owner;
    if !(owns || key == origin || has_node_below(zone, name)) {
        return None;
    }
    Some(if nsec3_owner {
        Vec::new()
    } else {
        owner_rrsets(here.into_iter(), class, origin)
    })
}

/// True when some name strictly below `name` owns data and is not an NSEC3 owner.
fn has_node_below(zone: &Zone, name: &Name) -> bool {
    let below = (
        Bound::Excluded((name.clone(), u16::MAX, u16::MAX)),
        Bound::Unbounded,
    );
    let mut last: Option<&Name> = None;
    for ((owner, _, _), _) in zone.rrsets.range(below) {
        if !name.zone_of(owner) {
            return false;
        }
        if last == Some(owner) {
            continue;
        }
        last = Some(owner);
        if zone.get(owner, Rtype::NSEC3).is_none() {
            return true;
        }
    }
    false
}
