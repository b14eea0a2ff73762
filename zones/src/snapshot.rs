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

use crate::rdata;
use crate::record::{Name, Rtype};
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
    /// The SOA record as it goes into the authority section of negative answers: TTL already
    /// min(SOA TTL, MINIMUM) (RFC 2308 section 3).
    negative_soa: Box<[u8]>,
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
    /// Nodes holding address records for the targets of NS, MX and SRV records here (RFC 1034
    /// section 4.3.2 step 6), with a flag saying whether the target is occluded (glue), which
    /// only referrals may use.
    pub additional: AdditionalTargets,
}

/// Nodes with address records for additional processing, and whether each is occluded.
pub type AdditionalTargets = Box<[(NodeId, bool)]>;

impl ZoneSnapshot {
    /// Builds the wire-form view of `zone`.
    pub fn build(zone: Arc<Zone>) -> Self {
        let origin_name = zone.origin.to_lowercase();
        let origin: Box<[u8]> = name_key(&origin_name);
        let origin_labels = usize::from(origin_name.num_labels());
        let class = u16::from(zone.class);

        // Group RRsets by owner (BTreeMap iteration is canonical order: owners are contiguous).
        let mut nodes: Vec<Node> = Vec::new();
        let mut index: FxHashMap<Box<[u8]>, NodeId> = FxHashMap::default();
        let mut pending: FxHashMap<NodeId, Vec<&Rrset>> = FxHashMap::default();
        let add_node = |key: Box<[u8]>,
                        nodes: &mut Vec<Node>,
                        index: &mut FxHashMap<Box<[u8]>, NodeId>|
         -> NodeId {
            if let Some(&id) = index.get(&key) {
                return id;
            }
            let id = nodes.len() as NodeId;
            nodes.push(Node {
                name: key.clone(),
                rrsets: Box::new([]),
                cut: None,
                delegation: false,
            });
            index.insert(key, id);
            id
        };
        add_node(origin.clone(), &mut nodes, &mut index);
        for ((owner, _), rrset) in &zone.rrsets {
            let key = name_key(owner);
            if !key.ends_with(&origin) {
                continue; // the loader's checks keep out-of-zone data away; never serve it
            }
            let id = add_node(key.clone(), &mut nodes, &mut index);
            pending.entry(id).or_default().push(rrset);
            // Empty non-terminals: every ancestor up to the origin is a node.
            let mut off = 0usize;
            loop {
                let len = key[off] as usize;
                off += 1 + len;
                if key.len() - off <= origin.len() {
                    break;
                }
                add_node(key[off..].into(), &mut nodes, &mut index);
            }
        }

        // Fill in the RRsets.
        for (id, sets) in pending {
            let node = &mut nodes[id as usize];
            let mut wires: Vec<RrsetWire> = sets.iter().map(|s| rrset_wire(s, class)).collect();
            wires.sort_by_key(|w| w.rtype);
            node.delegation = id != 0 && wires.iter().any(|w| w.rtype == u16::from(Rtype::NS));
            node.rrsets = wires.into_boxed_slice();
        }

        // Occlusion: for each node, the topmost cut or DNAME strictly above it.
        for id in 0..nodes.len() {
            let name = nodes[id].name.clone();
            let mut off = 0usize;
            let mut topmost = None;
            while name.len() - off > origin.len() {
                let len = name[off] as usize;
                off += 1 + len;
                if name.len() - off <= origin.len() {
                    break;
                }
                if let Some(&anc) = index.get(&name[off..]) {
                    let a = &nodes[anc as usize];
                    if a.delegation || a.rrsets.iter().any(|r| r.rtype == u16::from(Rtype::DNAME)) {
                        topmost = Some(anc);
                    }
                }
            }
            nodes[id].cut = topmost;
        }

        // Additional-section targets.
        let a = u16::from(Rtype::A);
        let aaaa = u16::from(Rtype::AAAA);
        let mut additional_of: Vec<(usize, usize, AdditionalTargets)> = Vec::new();
        for ((owner, _), rrset) in &zone.rrsets {
            let key = name_key(owner);
            let Some(&id) = index.get(&key) else { continue };
            let mut targets: Vec<(NodeId, bool)> = Vec::new();
            for rd in &rrset.rdatas {
                let Some(range) = rdata::additional_target(rrset.rtype, rd.as_bytes()) else {
                    continue;
                };
                let mut target = rd.as_bytes()[range].to_vec();
                lowercase_wire(&mut target);
                if let Some(&t) = index.get(&target[..]) {
                    let tn = &nodes[t as usize];
                    if tn.rrsets.iter().any(|r| r.rtype == a || r.rtype == aaaa)
                        && !targets.iter().any(|&(x, _)| x == t)
                    {
                        targets.push((t, tn.cut.is_some()));
                    }
                }
            }
            if !targets.is_empty() {
                let pos = nodes[id as usize]
                    .rrsets
                    .iter()
                    .position(|r| r.rtype == u16::from(rrset.rtype));
                if let Some(pos) = pos {
                    additional_of.push((id as usize, pos, targets.into_boxed_slice()));
                }
            }
        }
        for (id, pos, targets) in additional_of {
            nodes[id].rrsets[pos].additional = targets;
        }

        let (serial, negative_soa) = match zone.soa() {
            Some(soa) => negative_soa_wire(soa, class),
            None => (0, Box::default()),
        };
        Self {
            zone,
            origin,
            origin_labels,
            serial,
            nodes,
            index,
            negative_soa,
        }
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

    /// The SOA for negative answers: type..rdata wire, TTL already set per RFC 2308.
    pub fn negative_soa(&self) -> &[u8] {
        &self.negative_soa
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

/// The wire blob of an RRset (everything but the owner, per record).
fn rrset_wire(set: &Rrset, class: u16) -> RrsetWire {
    let rtype = u16::from(set.rtype);
    let ttl = set.ttl.as_secs();
    let mut wire = Vec::new();
    for rd in &set.rdatas {
        push_rr_tail(&mut wire, rtype, class, ttl, rd.as_bytes());
    }
    RrsetWire {
        rtype,
        ttl,
        count: set.rdatas.len() as u16,
        wire: wire.into_boxed_slice(),
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

/// The serial and the negative-answer SOA blob (RFC 2308 section 3: the TTL of the SOA in a
/// negative answer is the minimum of the SOA's TTL and its MINIMUM field).
fn negative_soa_wire(soa: &Rrset, class: u16) -> (u32, Box<[u8]>) {
    let Some(rd) = soa.rdatas.first() else {
        return (0, Box::default());
    };
    let b = rd.as_bytes();
    if b.len() < 20 {
        return (0, Box::default());
    }
    let fixed = &b[b.len() - 20..];
    let serial = u32::from_be_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]);
    let minimum = u32::from_be_bytes([fixed[16], fixed[17], fixed[18], fixed[19]]);
    let mut wire = Vec::new();
    push_rr_tail(
        &mut wire,
        u16::from(Rtype::SOA),
        class,
        soa.ttl.as_secs().min(minimum),
        b,
    );
    (serial, wire.into_boxed_slice())
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
        let ttl = &s.negative_soa()[4..8];
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
