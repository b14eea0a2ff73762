//! Building a snapshot from a whole zone, and the per-node computations that
//! [`ZoneSnapshot::apply`] shares with it (so that both give the same bytes by construction).

use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::chunked::{Arena, Sorted};
use super::index::NameIndex;
use super::node::{Node, NodeId, Nsec3Entry, Nsec3Hash, Nsec3Hasher, RrsetWire};
use super::version::{ChangeIndexes, Denial, Nsec3Chain, ZoneSnapshot};
use super::wire::{
    ancestors, canonical_cmp, lowercase_wire, name_key, nsec3_owner_hash, owner_rrsets, rdatas,
    rrset_wire, soa_serial_minimum,
};
use crate::rdata;
use crate::record::Rtype;
use crate::zone::{Rrset, RrsetKey, Zone};

impl ZoneSnapshot {
    /// Builds the wire-form view of `zone`. With `hasher`, each name's matching NSEC3 record
    /// is found once here instead of by hashing on every negative answer.
    pub fn build_with(zone: &Zone, hasher: Option<Nsec3Hasher>) -> Self {
        let origin_name = zone.origin.to_lowercase();
        let origin: Box<[u8]> = name_key(&origin_name);
        let origin_labels = usize::from(origin_name.num_labels());
        let class = u16::from(zone.class);

        // Nodes: every owner and every empty non-terminal up to the origin; NSEC3 owners go
        // to the hashed chain instead (RFC 5155 section 7.2).
        let mut nodes: Vec<Node> = Vec::new();
        let mut ids: FxHashMap<Box<[u8]>, NodeId> = FxHashMap::default();
        let mut add = |key: &[u8], nodes: &mut Vec<Node>| -> NodeId {
            if let Some(&id) = ids.get(key) {
                return id;
            }
            let id = nodes.len() as NodeId;
            let name: Box<[u8]> = key.into();
            ids.insert(name.clone(), id);
            nodes.push(Node {
                name,
                ..Node::default()
            });
            id
        };
        add(&origin, &mut nodes);
        let mut nsec3_owners = 0usize;
        let mut entries: Vec<Nsec3Entry> = Vec::new();
        for group in owner_groups(zone) {
            let key = name_key(&group[0].0.0);
            if let Some(entry) = nsec3_entry(&key, &origin, &group, class) {
                nsec3_owners += 1;
                entries.extend(entry);
                continue;
            }
            if !key.ends_with(&origin) {
                continue; // out-of-zone data never serves
            }
            let id = add(&key, &mut nodes);
            let rrsets = owner_rrsets(group.iter().copied(), class, &origin);
            nodes[id as usize].delegation = id != 0 && has_ns(&rrsets);
            nodes[id as usize].rrsets = rrsets.into();
            for ancestor in ancestors(&key, &origin) {
                add(ancestor, &mut nodes);
            }
        }
        drop(ids);
        let mut nodes = Arena::from_vec(nodes);
        let index = NameIndex::build(&nodes);

        // Occlusion: for each node, the topmost cut or DNAME strictly above it.
        let cuts: Vec<(NodeId, Option<NodeId>)> = nodes
            .iter()
            .map(|(id, n)| {
                let lookup = |name: &[u8]| index.get(name, &nodes);
                (id, topmost_cut(&n.name, &origin, &nodes, lookup))
            })
            .collect();
        for (id, cut) in cuts {
            if cut.is_some() {
                let mut node = nodes[id].clone();
                node.set_cut(cut);
                nodes.set(id, node);
            }
        }

        // Additional-section targets.
        let mut updates: Vec<(NodeId, Node)> = Vec::new();
        for (id, node) in nodes.iter() {
            if !node.rrsets.iter().any(has_targets) {
                continue;
            }
            let lookup = |name: &[u8]| index.get(name, &nodes);
            updates.push((id, with_additional(node, &nodes, lookup)));
        }
        for (id, node) in updates {
            nodes.set(id, node);
        }
        let indexed = keeps_change_indexes(nodes.slots());

        // Denial of existence.
        let param = nsec3_param(zone);
        let mut hashes = Sorted::default();
        let denial = if let (Some((salt, iterations)), true) = (param, nsec3_owners > 0) {
            entries.sort_by_key(|e| e.hash);
            let chain = Nsec3Chain::from_sorted(entries);
            if let Some(hash_fn) = hasher {
                // One SHA-1 and one search per name: on every core, a million-name zone
                // spends seconds here otherwise.
                let names: Vec<(NodeId, &[u8])> =
                    nodes.iter().map(|(id, n)| (id, &n.name[..])).collect();
                let found: Vec<(Nsec3Hash, NodeId, Option<u32>)> = names
                    .par_iter()
                    .with_min_len(PARALLEL_MIN_NAMES)
                    .map(|&(id, name)| {
                        let h = hash_fn(name, &salt, iterations);
                        (h, id, chain.find(&h))
                    })
                    .collect();
                drop(names);
                let mut all: Vec<(Nsec3Hash, NodeId)> = Vec::with_capacity(found.len());
                for (h, id, entry) in found {
                    all.push((h, id));
                    if entry.is_some() {
                        let mut node = nodes[id].clone();
                        node.set_nsec3(entry);
                        nodes.set(id, node);
                    }
                }
                if indexed {
                    all.sort();
                    hashes = Sorted::from_sorted(all);
                }
            }
            Denial::Nsec3 {
                salt,
                iterations,
                chain,
            }
        } else {
            let mut order: Vec<NodeId> = nodes
                .iter()
                .filter(|(_, n)| has_nsec(&n.rrsets))
                .map(|(id, _)| id)
                .collect();
            if order.is_empty() {
                Denial::None
            } else {
                order.sort_by(|&a, &b| canonical_cmp(&nodes[a].name, &nodes[b].name));
                Denial::Nsec {
                    order: Sorted::from_sorted(order),
                }
            }
        };

        let indexes = indexed.then(|| {
            Box::new(ChangeIndexes {
                referrers: referrers_of(&nodes, &origin),
                hashes,
            })
        });
        let (serial, negative_ttl) = negative_soa(zone);
        Self {
            origin,
            class,
            origin_labels,
            serial,
            nodes,
            index,
            negative_ttl,
            denial,
            hasher,
            indexes,
            history: crate::journal::History::default(),
        }
    }
}

//------------ Shared with apply ---------------------------------------------

/// Names per piece of work when hashing in parallel: small zones stay on one thread.
const PARALLEL_MIN_NAMES: usize = 4096;

/// Zones of at most this many nodes keep no `referrers` and `hashes`: [`ZoneSnapshot::apply`]
/// rebuilds them for a change, in microseconds, and a hoster's thousands of small zones at
/// rest are spared their memory (about a tenth of such a zone's).
const SMALL_ZONE_NODES: usize = 256;

/// Whether a snapshot of `nodes` node slots keeps the indexes that only changes read.
pub(super) fn keeps_change_indexes(nodes: usize) -> bool {
    #[cfg(test)]
    if super::tests::ALWAYS_INDEX.with(std::cell::Cell::get) {
        return true;
    }
    nodes > SMALL_ZONE_NODES
}

/// (in-zone target name, owner node) for every NS, MX and SRV record of `nodes`.
pub(super) fn referrers_of(nodes: &Arena<Node>, origin: &[u8]) -> Sorted<(Arc<[u8]>, NodeId)> {
    let mut referrers: Vec<(Arc<[u8]>, NodeId)> = Vec::new();
    for (id, node) in nodes.iter() {
        for target in node
            .rrsets
            .iter()
            .filter(|s| has_targets(s))
            .flat_map(targets)
        {
            if target.ends_with(origin) {
                referrers.push((target.into(), id));
            }
        }
    }
    referrers.sort();
    referrers.dedup();
    Sorted::from_sorted(referrers)
}

/// The zone's entries grouped by owner, in canonical order.
fn owner_groups(zone: &Zone) -> impl Iterator<Item = Vec<(&RrsetKey, &Rrset)>> + '_ {
    let mut entries = zone.rrsets.iter().peekable();
    core::iter::from_fn(move || {
        let first = entries.next()?;
        let mut group = vec![first];
        while let Some(next) = entries.next_if(|(k, _)| k.0 == first.0.0) {
            group.push(next);
        }
        Some(group)
    })
}

/// The entries of the zone at one (lowercase) owner.
pub(super) fn entries_at<'z>(
    zone: &'z Zone,
    owner: &crate::Name,
) -> Vec<(&'z RrsetKey, &'z Rrset)> {
    zone.rrsets
        .range((owner.clone(), 0, 0)..=(owner.clone(), u16::MAX, u16::MAX))
        .collect()
}

/// The chain entry for an owner whose entries are `group`, when it holds an NSEC3 RRset:
/// `Some(None)` when its label is not a hash.
pub(super) fn nsec3_entry(
    key: &[u8],
    origin: &[u8],
    group: &[(&RrsetKey, &Rrset)],
    class: u16,
) -> Option<Option<Nsec3Entry>> {
    let nsec3 = u16::from(Rtype::NSEC3);
    let (_, set) = group.iter().find(|(k, _)| k.1 == nsec3)?;
    let sigs = group
        .iter()
        .find(|(k, _)| k.1 == u16::from(Rtype::RRSIG) && k.2 == nsec3)
        .map(|(_, s)| *s);
    Some(nsec3_owner_hash(key, origin).map(|hash| Nsec3Entry {
        hash,
        rrset: rrset_wire(set, class, set.ttl.as_secs(), sigs, origin),
    }))
}

/// Salt and iterations of the apex NSEC3PARAM (RFC 5155 section 4.2), if well formed.
pub(super) fn nsec3_param(zone: &Zone) -> Option<(Box<[u8]>, u16)> {
    let p = zone
        .get(&zone.origin, Rtype::NSEC3PARAM)?
        .rdatas
        .first()?
        .as_bytes();
    let iterations = u16::from_be_bytes([*p.get(2)?, *p.get(3)?]);
    let salt_len = *p.get(4)? as usize;
    let salt: Box<[u8]> = p.get(5..5 + salt_len).unwrap_or_default().into();
    Some((salt, iterations))
}

/// The serial and the TTL of the SOA in negative answers (min(SOA TTL, MINIMUM), RFC 2308
/// section 3).
pub(super) fn negative_soa(zone: &Zone) -> (u32, u32) {
    match zone.soa() {
        Some(soa) => {
            let (serial, minimum) = soa_serial_minimum(soa);
            (serial, soa.ttl.as_secs().min(minimum))
        }
        None => (0, 0),
    }
}

/// True when `rrsets` has NS (a delegation, unless at the apex).
pub(super) fn has_ns(rrsets: &[RrsetWire]) -> bool {
    rrsets.iter().any(|r| r.rtype == u16::from(Rtype::NS))
}

/// True when `rrsets` has NSEC.
pub(super) fn has_nsec(rrsets: &[RrsetWire]) -> bool {
    rrsets.iter().any(|r| r.rtype == u16::from(Rtype::NSEC))
}

/// True for the types whose targets get additional-section processing.
pub(super) fn has_targets(set: &RrsetWire) -> bool {
    matches!(Rtype::from(set.rtype), Rtype::NS | Rtype::MX | Rtype::SRV)
}

/// The targets of the NS, MX or SRV records of `set`, lowercase wire, in record order.
pub(super) fn targets(set: &RrsetWire) -> impl Iterator<Item = Vec<u8>> + '_ {
    let rtype = Rtype::from(set.rtype);
    rdatas(set.wire()).filter_map(move |rd| {
        let mut target = rd.get(rdata::additional_target(rtype, rd)?)?.to_vec();
        lowercase_wire(&mut target);
        Some(target)
    })
}

/// The topmost cut or DNAME strictly above `name` (below the origin), if any.
pub(super) fn topmost_cut(
    name: &[u8],
    origin: &[u8],
    nodes: &Arena<Node>,
    lookup: impl Fn(&[u8]) -> Option<NodeId>,
) -> Option<NodeId> {
    ancestors(name, origin)
        .filter_map(lookup)
        .filter(|&id| nodes[id].cuts())
        .last()
}

/// `node` with the additional-section targets of its NS, MX and SRV RRsets resolved: the
/// nodes with A or AAAA records they name (RFC 1034 section 4.3.2 step 6), once each.
pub(super) fn with_additional(
    node: &Node,
    nodes: &Arena<Node>,
    lookup: impl Fn(&[u8]) -> Option<NodeId>,
) -> Node {
    let rrsets: Vec<RrsetWire> = node
        .rrsets
        .iter()
        .map(|set| {
            if has_targets(set) {
                set.with_additional(&resolve(set, nodes, &lookup))
            } else {
                set.clone()
            }
        })
        .collect();
    Node {
        rrsets: rrsets.into(),
        ..node.clone()
    }
}

/// The additional targets of one RRset.
fn resolve(
    set: &RrsetWire,
    nodes: &Arena<Node>,
    lookup: impl Fn(&[u8]) -> Option<NodeId>,
) -> Vec<(NodeId, bool)> {
    let mut found: Vec<(NodeId, bool)> = Vec::new();
    for target in targets(set) {
        let Some(id) = lookup(&target) else {
            continue;
        };
        if let Some(occluded) = nodes[id].address_target()
            && !found.iter().any(|&(x, _)| x == id)
        {
            found.push((id, occluded));
        }
    }
    found
}
