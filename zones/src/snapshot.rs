//! The immutable, wire-form view of all served zones that the query path reads.
//!
//! A snapshot is built once per change (load, reload, re-sign) and published with one atomic
//! pointer swap; the query path only ever reads it, without locks or allocation. Everything a
//! query needs is precomputed here: names as lowercase wire keys in a hash map, every RRset as
//! a ready-to-copy wire blob (type, class, TTL, rdlength, rdata per record, owner left out so
//! that the writer can compress it), empty non-terminals as nodes without data, the topmost zone
//! cut or DNAME above every occluded name, and the additional-section targets of NS, MX and SRV.
//! All owner names are stored lowercase: DNS is case-insensitive (RFC 4343) and the only case
//! a response must preserve is the question's, which the writer echoes from the query.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::diff::Diff;
use crate::rdata;
use crate::record::{Name, Rtype};
use crate::serial::Serial;
use crate::zone::{Rrset, Zone};

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
                .map(|z| Arc::new(ZoneSnapshot::build(z)))
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

//------------ ZoneSnapshot --------------------------------------------------

/// Index of a node within its zone snapshot.
pub type NodeId = u32;

/// One zone in wire form.
pub struct ZoneSnapshot {
    /// The zone it was built from (transfers stream it, the signer diffs against it).
    pub zone: Arc<Zone>,
    /// Lowercase wire origin.
    pub origin: Box<[u8]>,
    /// Number of labels of the origin, root excluded.
    pub origin_labels: usize,
    /// Serial of the SOA.
    pub serial: u32,
    /// Every node (names with data and empty non-terminals); node 0 is the apex.
    nodes: Vec<Node>,
    /// Node index by lowercase wire name.
    index: FxHashMap<Box<[u8]>, NodeId>,
    /// The SOA as it goes into the authority section of negative answers: TTL (and its
    /// signatures' TTL) already min(SOA TTL, MINIMUM) (RFC 2308 section 3).
    negative_soa: RrsetWire,
    /// How non-existence is proven, if the zone is signed.
    pub denial: Denial,
    /// The NSEC3 hash function, for names that are not in the zone.
    hasher: Option<Nsec3Hasher>,
    /// The changes that led to this version, oldest first (from the journal): what IXFR
    /// sends. Kept with the snapshot so that a transfer sees a zone and a history that match.
    pub history: Arc<[Arc<Diff>]>,
}

/// The NSEC3 hash function (RFC 5155 section 5), supplied by the signer so that this crate
/// needs no cryptography: (lowercase wire name, salt, iterations) -> SHA-1 digest.
pub type Nsec3Hasher = fn(&[u8], &[u8], u16) -> [u8; 20];

/// How a signed zone proves that names and types do not exist.
pub enum Denial {
    /// Unsigned zone: negative answers carry no proof.
    None,
    /// NSEC (RFC 4034 section 4): the nodes that own NSEC records, in canonical order.
    Nsec {
        /// Node ids sorted by canonical name order.
        order: Box<[NodeId]>,
    },
    /// NSEC3 (RFC 5155).
    Nsec3 {
        /// Salt from NSEC3PARAM.
        salt: Box<[u8]>,
        /// Extra iterations from NSEC3PARAM.
        iterations: u16,
        /// The chain, sorted by hash.
        chain: Box<[Nsec3Entry]>,
    },
}

/// One NSEC3 record with its signatures.
pub struct Nsec3Entry {
    /// The raw hash (the owner's first label, base32hex-decoded).
    pub hash: Box<[u8]>,
    /// Lowercase wire owner name.
    pub owner: Box<[u8]>,
    /// The NSEC3 RRset and its RRSIGs.
    pub rrset: RrsetWire,
}

/// A name in the zone.
pub struct Node {
    /// Lowercase wire name.
    pub name: Box<[u8]>,
    /// RRsets at this name, sorted by type; empty for an empty non-terminal.
    pub rrsets: Box<[RrsetWire]>,
    /// The topmost zone cut (NS below the apex) or DNAME strictly above this name, if any: the
    /// name is then occluded (glue, or data hidden by a DNAME) and never answered
    /// authoritatively.
    pub cut: Option<NodeId>,
    /// True when this name holds NS and is not the apex: a delegation point.
    pub delegation: bool,
    /// Index of the NSEC3 record whose hash matches this name, when known.
    pub nsec3: Option<u32>,
}

/// One RRset, ready to copy into a response after its owner name.
pub struct RrsetWire {
    /// Type code.
    pub rtype: u16,
    /// TTL.
    pub ttl: u32,
    /// Number of records.
    pub count: u16,
    /// For each record: type, class, TTL, rdlength, rdata.
    pub wire: Box<[u8]>,
    /// The RRSIGs covering this set, in the same form (TTL equal to the set's, RFC 4035
    /// section 2.2); empty when the zone is unsigned.
    pub sigs: Box<[u8]>,
    /// Nodes holding address records for the targets of NS, MX and SRV records here (RFC 1034
    /// section 4.3.2 step 6), with a flag saying whether the target is occluded (glue), which
    /// only referrals may use.
    pub additional: AdditionalTargets,
}

/// Nodes with address records for additional processing, and whether each is occluded.
pub type AdditionalTargets = Box<[(NodeId, bool)]>;

impl ZoneSnapshot {
    /// Builds the wire-form view of an unsigned zone, or of a signed one whose NSEC3 records
    /// will be matched to names at query time.
    pub fn build(zone: Arc<Zone>) -> Self {
        Self::build_with(zone, None)
    }

    /// Builds the wire-form view of `zone`. With `hasher`, each name's matching NSEC3 record
    /// is found once here instead of by hashing on every negative answer.
    pub fn build_with(zone: Arc<Zone>, hasher: Option<Nsec3Hasher>) -> Self {
        let origin_name = zone.origin.to_lowercase();
        let origin: Box<[u8]> = name_key(&origin_name);
        let origin_labels = usize::from(origin_name.num_labels());
        let class = u16::from(zone.class);
        let rrsig = u16::from(Rtype::RRSIG);
        let nsec3 = u16::from(Rtype::NSEC3);

        // Signatures by (owner, covered type), and the owners of NSEC3 records, which live in
        // the hashed chain rather than in the name tree (RFC 5155 section 7.2).
        let mut sigs: FxHashMap<(Box<[u8]>, u16), &Rrset> = FxHashMap::default();
        let mut nsec3_sets: Vec<(Box<[u8]>, &Rrset)> = Vec::new();
        for ((owner, rtype, covered), rrset) in &zone.rrsets {
            if *rtype == rrsig {
                sigs.insert((name_key(owner), *covered), rrset);
            } else if *rtype == nsec3 {
                nsec3_sets.push((name_key(owner), rrset));
            }
        }
        let nsec3_owners: FxHashMap<&[u8], ()> =
            nsec3_sets.iter().map(|(k, _)| (&k[..], ())).collect();
        let wire_of = |set: &Rrset, ttl: u32| -> RrsetWire {
            let covering = sigs
                .get(&(name_key(&set.owner), u16::from(set.rtype)))
                .copied();
            rrset_wire(set, class, ttl, covering)
        };

        // Nodes: every owner and every empty non-terminal up to the origin.
        let mut nodes: Vec<Node> = Vec::new();
        let mut index: FxHashMap<Box<[u8]>, NodeId> = FxHashMap::default();
        let mut pending: FxHashMap<NodeId, Vec<&Rrset>> = FxHashMap::default();
        add_node(origin.clone(), &mut nodes, &mut index);
        for ((owner, rtype, _), rrset) in &zone.rrsets {
            let key = name_key(owner);
            if !key.ends_with(&origin) || nsec3_owners.contains_key(&key[..]) {
                continue; // out-of-zone data never serves; NSEC3 owners are not names
            }
            let id = add_node(key.clone(), &mut nodes, &mut index);
            if *rtype != rrsig {
                pending.entry(id).or_default().push(rrset);
            }
            let mut off = 0usize;
            loop {
                off += 1 + key[off] as usize;
                if key.len() - off <= origin.len() {
                    break;
                }
                add_node(key[off..].into(), &mut nodes, &mut index);
            }
        }
        for (id, sets) in pending {
            let node = &mut nodes[id as usize];
            let mut wires: Vec<RrsetWire> =
                sets.iter().map(|s| wire_of(s, s.ttl.as_secs())).collect();
            wires.sort_by_key(|w| w.rtype);
            node.delegation = id != 0 && wires.iter().any(|w| w.rtype == u16::from(Rtype::NS));
            node.rrsets = wires.into_boxed_slice();
        }

        // Occlusion: for each node, the topmost cut or DNAME strictly above it.
        for id in 0..nodes.len() {
            let name = nodes[id].name.clone();
            let mut off = 0usize;
            let mut topmost = None;
            loop {
                off += 1 + name[off] as usize;
                if off >= name.len() || name.len() - off <= origin.len() {
                    break;
                }
                if let Some(&anc) = index.get(&name[off..]) {
                    let a = &nodes[anc as usize];
                    if a.delegation || a.rrset(u16::from(Rtype::DNAME)).is_some() {
                        topmost = Some(anc);
                    }
                }
            }
            nodes[id].cut = topmost;
        }

        add_additional_targets(&zone, &mut nodes, &index);

        // Denial of existence.
        let nsec3param = zone
            .get(&zone.origin, Rtype::NSEC3PARAM)
            .and_then(|s| s.rdatas.first());
        let denial = if let (Some(param), false) = (nsec3param, nsec3_sets.is_empty()) {
            let p = param.as_bytes();
            let iterations = u16::from_be_bytes([p[2], p[3]]);
            let salt: Box<[u8]> = p.get(5..5 + p[4] as usize).unwrap_or_default().into();
            let mut chain: Vec<Nsec3Entry> = nsec3_sets
                .iter()
                .filter_map(|(key, set)| {
                    let label = key.get(1..1 + *key.first()? as usize)?;
                    let hash = data_encoding::BASE32HEX_NOPAD
                        .decode(&label.to_ascii_uppercase())
                        .ok()?;
                    Some(Nsec3Entry {
                        hash: hash.into(),
                        owner: key.clone(),
                        rrset: wire_of(set, set.ttl.as_secs()),
                    })
                })
                .collect();
            chain.sort_by(|a, b| a.hash.cmp(&b.hash));
            if let Some(hash_fn) = hasher {
                for node in &mut nodes {
                    let h = hash_fn(&node.name, &salt, iterations);
                    node.nsec3 = chain
                        .binary_search_by(|e| e.hash[..].cmp(&h[..]))
                        .ok()
                        .map(|i| i as u32);
                }
            }
            Denial::Nsec3 {
                salt,
                iterations,
                chain: chain.into_boxed_slice(),
            }
        } else if nodes
            .iter()
            .any(|n| n.rrset(u16::from(Rtype::NSEC)).is_some())
        {
            let mut order: Vec<NodeId> = (0..nodes.len() as NodeId)
                .filter(|&id| nodes[id as usize].rrset(u16::from(Rtype::NSEC)).is_some())
                .collect();
            order.sort_by(|&a, &b| canonical_cmp(&nodes[a as usize].name, &nodes[b as usize].name));
            Denial::Nsec {
                order: order.into_boxed_slice(),
            }
        } else {
            Denial::None
        };

        let (serial, negative_soa) = match zone.soa() {
            Some(soa) => {
                let (serial, minimum) = soa_serial_minimum(soa);
                (serial, wire_of(soa, soa.ttl.as_secs().min(minimum)))
            }
            None => (0, RrsetWire::empty(u16::from(Rtype::SOA))),
        };
        Self {
            zone,
            origin,
            origin_labels,
            serial,
            nodes,
            index,
            negative_soa,
            denial,
            hasher,
            history: Arc::new([]),
        }
    }

    /// The same snapshot with the diffs that led to it.
    pub fn with_history(mut self, history: Arc<[Arc<Diff>]>) -> Self {
        self.history = history;
        self
    }

    /// The diffs leading from `serial` to this version, when the history reaches back that
    /// far and links up (RFC 1995: otherwise the client gets the whole zone).
    pub fn diffs_since(&self, serial: Serial) -> Option<&[Arc<Diff>]> {
        let start = self
            .history
            .iter()
            .position(|d| d.serial_from() == serial)?;
        let chain = &self.history[start..];
        let linked = chain
            .windows(2)
            .all(|w| w[0].serial_to() == w[1].serial_from());
        let current = chain
            .last()
            .is_some_and(|d| d.serial_to() == Serial(self.serial));
        (linked && current).then_some(chain)
    }

    /// The node with this lowercase wire name.
    pub fn lookup(&self, name: &[u8]) -> Option<NodeId> {
        self.index.get(name).copied()
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// The apex node.
    pub fn apex(&self) -> &Node {
        &self.nodes[0]
    }

    /// The SOA for negative answers, TTL already set per RFC 2308.
    pub fn negative_soa(&self) -> &RrsetWire {
        &self.negative_soa
    }

    /// Index of the NSEC3 record matching `name` (lowercase wire), if the zone uses NSEC3
    /// and has one.
    pub fn nsec3_matching(&self, name: &[u8]) -> Option<u32> {
        let (chain, hash) = self.nsec3_hash(name)?;
        chain
            .binary_search_by(|e| e.hash[..].cmp(&hash[..]))
            .ok()
            .map(|i| i as u32)
    }

    /// Index of the NSEC3 record matching or covering `name` (RFC 5155 section 1.3: the hash
    /// of `name` sorts after its owner hash and before its next hash, the chain wrapping).
    pub fn nsec3_covering(&self, name: &[u8]) -> Option<u32> {
        let (chain, hash) = self.nsec3_hash(name)?;
        let i = match chain.binary_search_by(|e| e.hash[..].cmp(&hash[..])) {
            Ok(i) => i,
            Err(0) => chain.len().checked_sub(1)?,
            Err(i) => i - 1,
        };
        Some(i as u32)
    }

    /// The NSEC3 record at `index` of the chain.
    pub fn nsec3_entry(&self, index: u32) -> Option<&Nsec3Entry> {
        let Denial::Nsec3 { chain, .. } = &self.denial else {
            return None;
        };
        chain.get(index as usize)
    }

    /// The chain and the hash of `name`, when the zone is NSEC3-signed and a hasher is known.
    fn nsec3_hash(&self, name: &[u8]) -> Option<(&[Nsec3Entry], [u8; 20])> {
        let Denial::Nsec3 {
            salt,
            iterations,
            chain,
        } = &self.denial
        else {
            return None;
        };
        let hasher = self.hasher?;
        Some((chain, hasher(name, salt, *iterations)))
    }

    /// The node owning the NSEC record that matches or covers `name` (RFC 4034 section 4.1.1:
    /// the last NSEC owner that sorts at or before `name`, wrapping to the last one).
    pub fn nsec_covering(&self, name: &[u8]) -> Option<NodeId> {
        let Denial::Nsec { order } = &self.denial else {
            return None;
        };
        match order.binary_search_by(|&id| canonical_cmp(&self.nodes[id as usize].name, name)) {
            Ok(i) => Some(order[i]),
            Err(0) => order.last().copied(),
            Err(i) => Some(order[i - 1]),
        }
    }

    /// True when the zone carries DNSSEC data to add to answers.
    pub fn is_signed(&self) -> bool {
        !matches!(self.denial, Denial::None)
    }

    /// Number of nodes, empty non-terminals included.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

impl Node {
    /// The RRset of type `rtype` here.
    pub fn rrset(&self, rtype: u16) -> Option<&RrsetWire> {
        self.rrsets.iter().find(|r| r.rtype == rtype)
    }
}

//------------ Helpers -------------------------------------------------------

/// The lowercase uncompressed wire form of `name`.
pub fn name_key(name: &Name) -> Box<[u8]> {
    let mut out = Vec::with_capacity(name.len() + 2);
    for label in name.iter() {
        out.push(label.len() as u8);
        out.extend(label.iter().map(u8::to_ascii_lowercase));
    }
    out.push(0);
    out.into_boxed_slice()
}

/// Lowercases the ASCII letters of an uncompressed wire name in place, leaving the length
/// octets alone (a length of 65..=90 must not be "lowercased").
pub fn lowercase_wire(name: &mut [u8]) {
    let mut i = 0;
    while i < name.len() {
        let len = name[i] as usize;
        let end = (i + 1 + len).min(name.len());
        name[i + 1..end].make_ascii_lowercase();
        if len == 0 {
            break;
        }
        i = end;
    }
}

/// Adds a node for `key` unless it exists, returning its id.
fn add_node(
    key: Box<[u8]>,
    nodes: &mut Vec<Node>,
    index: &mut FxHashMap<Box<[u8]>, NodeId>,
) -> NodeId {
    if let Some(&id) = index.get(&key) {
        return id;
    }
    let id = nodes.len() as NodeId;
    nodes.push(Node {
        name: key.clone(),
        rrsets: Box::new([]),
        cut: None,
        delegation: false,
        nsec3: None,
    });
    index.insert(key, id);
    id
}

/// Fills in the additional-section targets of NS, MX and SRV RRsets.
fn add_additional_targets(zone: &Zone, nodes: &mut [Node], index: &FxHashMap<Box<[u8]>, NodeId>) {
    let a = u16::from(Rtype::A);
    let aaaa = u16::from(Rtype::AAAA);
    let mut found: Vec<(usize, usize, AdditionalTargets)> = Vec::new();
    for ((owner, rtype, _), rrset) in &zone.rrsets {
        if !matches!(rrset.rtype, Rtype::NS | Rtype::MX | Rtype::SRV) {
            continue;
        }
        let Some(&id) = index.get(&name_key(owner)) else {
            continue;
        };
        let mut targets: Vec<(NodeId, bool)> = Vec::new();
        for rd in &rrset.rdatas {
            let Some(range) = rdata::additional_target(rrset.rtype, rd.as_bytes()) else {
                continue;
            };
            let mut target = rd.as_bytes()[range].to_vec();
            lowercase_wire(&mut target);
            if let Some(&t) = index.get(&target[..]) {
                let tn = &nodes[t as usize];
                if (tn.rrset(a).is_some() || tn.rrset(aaaa).is_some())
                    && !targets.iter().any(|&(x, _)| x == t)
                {
                    targets.push((t, tn.cut.is_some()));
                }
            }
        }
        let pos = nodes[id as usize]
            .rrsets
            .iter()
            .position(|r| r.rtype == *rtype);
        if let (Some(pos), false) = (pos, targets.is_empty()) {
            found.push((id as usize, pos, targets.into_boxed_slice()));
        }
    }
    for (id, pos, targets) in found {
        nodes[id].rrsets[pos].additional = targets;
    }
}

impl RrsetWire {
    /// An RRset with no records.
    fn empty(rtype: u16) -> Self {
        Self {
            rtype,
            ttl: 0,
            count: 0,
            wire: Box::default(),
            sigs: Box::default(),
            additional: Box::default(),
        }
    }
}

/// The wire blob of an RRset and of its signatures, all with TTL `ttl`.
fn rrset_wire(set: &Rrset, class: u16, ttl: u32, sigs: Option<&Rrset>) -> RrsetWire {
    let rtype = u16::from(set.rtype);
    let mut wire = Vec::new();
    for rd in &set.rdatas {
        push_rr_tail(&mut wire, rtype, class, ttl, rd.as_bytes());
    }
    let mut sig_wire = Vec::new();
    for rd in sigs.iter().flat_map(|s| &s.rdatas) {
        push_rr_tail(
            &mut sig_wire,
            u16::from(Rtype::RRSIG),
            class,
            ttl,
            rd.as_bytes(),
        );
    }
    RrsetWire {
        rtype,
        ttl,
        count: set.rdatas.len() as u16,
        wire: wire.into_boxed_slice(),
        sigs: sig_wire.into_boxed_slice(),
        additional: Box::new([]),
    }
}

/// Appends type, class, TTL, rdlength and rdata.
fn push_rr_tail(out: &mut Vec<u8>, rtype: u16, class: u16, ttl: u32, rdata: &[u8]) {
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&class.to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
}

/// The serial and MINIMUM fields of an SOA RRset.
fn soa_serial_minimum(soa: &Rrset) -> (u32, u32) {
    let Some(b) = soa.rdatas.first().map(|r| r.as_bytes()) else {
        return (0, 0);
    };
    if b.len() < 20 {
        return (0, 0);
    }
    let f = &b[b.len() - 20..];
    (
        u32::from_be_bytes([f[0], f[1], f[2], f[3]]),
        u32::from_be_bytes([f[16], f[17], f[18], f[19]]),
    )
}

/// Canonical DNS name order (RFC 4034 section 6.1) of two lowercase wire names: labels
/// compared from the rightmost as octet strings, fewer labels first.
pub fn canonical_cmp(a: &[u8], b: &[u8]) -> core::cmp::Ordering {
    let mut la = [0u8; 128];
    let mut lb = [0u8; 128];
    let na = label_offsets(a, &mut la);
    let nb = label_offsets(b, &mut lb);
    for i in 1..=na.min(nb) {
        let x = label_at(a, la[na - i]);
        let y = label_at(b, lb[nb - i]);
        match x.cmp(y) {
            core::cmp::Ordering::Equal => {}
            other => return other,
        }
    }
    na.cmp(&nb)
}

/// Fills `out` with the offsets of the labels of `name` (root excluded), returning the count.
pub fn label_offsets(name: &[u8], out: &mut [u8; 128]) -> usize {
    let mut n = 0;
    let mut off = 0usize;
    while off < name.len() && name[off] != 0 && n < 128 {
        out[n] = off as u8;
        n += 1;
        off += 1 + name[off] as usize;
    }
    n
}

/// The label text at `off`.
fn label_at(name: &[u8], off: u8) -> &[u8] {
    let off = off as usize;
    let len = name[off] as usize;
    name.get(off + 1..off + 1 + len).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Class, Rdata, Record, Ttl};
    use core::str::FromStr;

    fn rec(owner: &str, rtype: Rtype, rdata: &[u8]) -> Record {
        Record {
            owner: Name::from_str(owner).unwrap(),
            rtype,
            class: Class::IN,
            ttl: Ttl(3600),
            rdata: Rdata(rdata.into()),
        }
    }

    fn soa_rdata(minimum: u32) -> Vec<u8> {
        let mut v = b"\x02ns\x07example\x00\x04host\x07example\x00".to_vec();
        for x in [7u32, 3600, 600, 86400, minimum] {
            v.extend_from_slice(&x.to_be_bytes());
        }
        v
    }

    fn test_zone() -> Zone {
        let mut z = Zone::new(Name::from_str("Example.").unwrap(), Class::IN);
        z.insert(rec("example.", Rtype::SOA, &soa_rdata(300)));
        z.insert(rec("example.", Rtype::NS, b"\x02ns\x07example\x00"));
        z.insert(rec("example.", Rtype::MX, b"\x00\x0a\x02MX\x07example\x00"));
        z.insert(rec("mx.example.", Rtype::A, &[192, 0, 2, 1]));
        z.insert(rec("a.b.c.example.", Rtype::A, &[192, 0, 2, 2]));
        z.insert(rec(
            "sub.example.",
            Rtype::NS,
            b"\x02ns\x03sub\x07example\x00",
        ));
        z.insert(rec("ns.sub.example.", Rtype::A, &[192, 0, 2, 3]));
        z
    }

    #[test]
    fn empty_non_terminals_become_nodes_without_data() {
        let s = ZoneSnapshot::build(Arc::new(test_zone()));
        let id = s
            .lookup(b"\x01c\x07example\x00")
            .expect("c.example is an ENT");
        assert!(s.node(id).rrsets.is_empty());
        assert!(s.lookup(b"\x01b\x01c\x07example\x00").is_some());
    }

    #[test]
    fn glue_below_a_delegation_points_at_its_cut() {
        let s = ZoneSnapshot::build(Arc::new(test_zone()));
        let cut = s.lookup(b"\x03sub\x07example\x00").unwrap();
        assert!(s.node(cut).delegation);
        let glue = s.lookup(b"\x02ns\x03sub\x07example\x00").unwrap();
        assert_eq!(s.node(glue).cut, Some(cut));
        let ns = s.node(cut).rrset(u16::from(Rtype::NS)).unwrap();
        assert_eq!(&*ns.additional, &[(glue, true)]);
    }

    #[test]
    fn mx_target_case_does_not_hide_its_address() {
        let s = ZoneSnapshot::build(Arc::new(test_zone()));
        let mx = s.apex().rrset(u16::from(Rtype::MX)).unwrap();
        assert_eq!(mx.additional.len(), 1);
    }

    #[test]
    fn negative_soa_ttl_is_the_minimum_of_ttl_and_minimum_field() {
        let s = ZoneSnapshot::build(Arc::new(test_zone()));
        let ttl = &s.negative_soa().wire[4..8];
        assert_eq!(u32::from_be_bytes(ttl.try_into().unwrap()), 300);
        assert_eq!(s.serial, 7);
    }

    #[test]
    fn catalog_finds_the_longest_suffix_and_skips_the_exact_zone_for_ds() {
        let parent = Arc::new(test_zone());
        let mut child = Zone::new(Name::from_str("sub.example.").unwrap(), Class::IN);
        child.insert(rec("sub.example.", Rtype::SOA, &soa_rdata(60)));
        let cat = Catalog::new(vec![parent, Arc::new(child)]);
        let name = b"\x01x\x03sub\x07example\x00";
        assert_eq!(cat.find(name, &[0, 2, 6], false), Some(1));
        let sub = b"\x03sub\x07example\x00";
        assert_eq!(cat.find(sub, &[0, 4], false), Some(1));
        assert_eq!(cat.find(sub, &[0, 4], true), Some(0));
        assert_eq!(cat.find(b"\x03org\x00", &[0], false), None);
    }
}
