//! One version of a zone in wire form: the nodes, the name index and the denial chain the
//! query path reads.

use std::sync::Arc;

use super::chunked::{Arena, Sorted};
use super::index::NameIndex;
use super::node::{Node, NodeId, Nsec3Entry, Nsec3Hash, Nsec3Hasher, RrsetWire};
use super::wire::canonical_cmp;
use crate::journal::{History, Span};
use crate::serial::Serial;
use crate::zone::Zone;

/// One zone in wire form.
#[derive(Clone)]
pub struct ZoneSnapshot {
    /// Lowercase wire origin.
    pub origin: Box<[u8]>,
    /// The class of every record (IN in practice).
    pub class: u16,
    /// Number of labels of the origin, root excluded.
    pub origin_labels: usize,
    /// Serial of the SOA.
    pub serial: u32,
    /// Every node (names with data and empty non-terminals); node 0 is the apex. Released
    /// slots have an empty name.
    pub(super) nodes: Arena<Node>,
    /// Node id by lowercase wire name.
    pub(super) index: NameIndex,
    /// The TTL of the SOA (and of its signatures) in the authority section of negative
    /// answers: min(SOA TTL, MINIMUM) (RFC 2308 section 3). The writer puts it on the apex
    /// SOA, which is not kept twice.
    pub(super) negative_ttl: u32,
    /// How non-existence is proven, if the zone is signed.
    pub denial: Denial,
    /// The NSEC3 hash function, for names that are not in the zone.
    pub(super) hasher: Option<Nsec3Hasher>,
    /// What only a change reads; `None` for a small zone, which has them rebuilt for a
    /// change.
    pub(super) indexes: Option<Box<ChangeIndexes>>,
    /// The changes that led to this version, oldest first (where they lie in the journal):
    /// what IXFR sends. Kept with the snapshot so that a transfer sees a zone and a history
    /// that match.
    pub history: History,
}

/// The indexes that [`ZoneSnapshot::apply`] reads.
#[derive(Clone, Default)]
pub(super) struct ChangeIndexes {
    /// (in-zone target name, owner node) for every NS, MX and SRV record: whose additional
    /// targets to recompute when a name's address records or occlusion change.
    pub referrers: Sorted<(Arc<[u8]>, NodeId)>,
    /// (NSEC3 hash of the name, node) for every node, when the zone uses NSEC3 and a hasher
    /// is known: which nodes to point at an NSEC3 record that is added or removed.
    pub hashes: Sorted<(Nsec3Hash, NodeId)>,
}

/// How a signed zone proves that names and types do not exist.
#[derive(Clone)]
pub enum Denial {
    /// Unsigned zone: negative answers carry no proof.
    None,
    /// NSEC (RFC 4034 section 4): the nodes that own NSEC records, in canonical order.
    Nsec {
        /// Node ids sorted by canonical name order.
        order: Sorted<NodeId>,
    },
    /// NSEC3 (RFC 5155).
    Nsec3 {
        /// Salt from NSEC3PARAM.
        salt: Box<[u8]>,
        /// Extra iterations from NSEC3PARAM.
        iterations: u16,
        /// The chain.
        chain: Nsec3Chain,
    },
}

/// The NSEC3 records of a zone, ordered by hash.
#[derive(Clone, Default)]
pub struct Nsec3Chain {
    /// The records by id (what nodes and answers refer to).
    pub(super) entries: Arena<Nsec3Entry>,
    /// Record ids sorted by hash.
    pub(super) order: Sorted<u32>,
}

impl ZoneSnapshot {
    /// Builds the wire-form view of an unsigned zone, or of a signed one whose NSEC3 records
    /// will be matched to names at query time.
    pub fn build(zone: &Zone) -> Self {
        Self::build_with(zone, None)
    }

    /// The same snapshot with the diffs that led to it.
    pub fn with_history(mut self, history: History) -> Self {
        self.history = history;
        self
    }

    /// The diffs leading from `serial` to this version, when the history reaches back that
    /// far and links up (RFC 1995: otherwise the client gets the whole zone).
    pub fn diffs_since(&self, serial: Serial) -> Option<&[Span]> {
        self.history.chain(serial, Serial(self.serial))
    }

    /// The node with this lowercase wire name.
    #[inline]
    pub fn lookup(&self, name: &[u8]) -> Option<NodeId> {
        self.index.get(name, &self.nodes)
    }

    /// The node with this id.
    #[inline]
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The apex node.
    pub fn apex(&self) -> &Node {
        &self.nodes[0]
    }

    /// The SOA for negative answers, and the TTL to write it (and its signatures) with
    /// (RFC 2308 section 3).
    pub fn negative_soa(&self) -> Option<(&RrsetWire, u32)> {
        let soa = self.apex().rrset(u16::from(crate::record::Rtype::SOA))?;
        Some((soa, self.negative_ttl))
    }

    /// Id of the NSEC3 record matching `name` (lowercase wire), if the zone uses NSEC3 and
    /// has one.
    pub fn nsec3_matching(&self, name: &[u8]) -> Option<u32> {
        let (chain, hash) = self.nsec3_hash(name)?;
        chain.find(&hash)
    }

    /// Id of the NSEC3 record matching or covering `name` (RFC 5155 section 1.3: the hash of
    /// `name` sorts after its owner hash and before its next hash, the chain wrapping).
    pub fn nsec3_covering(&self, name: &[u8]) -> Option<u32> {
        let (chain, hash) = self.nsec3_hash(name)?;
        chain.covering(&hash)
    }

    /// The NSEC3 record with this id.
    pub fn nsec3_entry(&self, id: u32) -> Option<&Nsec3Entry> {
        let Denial::Nsec3 { chain, .. } = &self.denial else {
            return None;
        };
        chain.entries.get(id).filter(|e| !e.is_released())
    }

    /// The chain and the hash of `name`, when the zone is NSEC3-signed and a hasher is known.
    pub(super) fn nsec3_hash(&self, name: &[u8]) -> Option<(&Nsec3Chain, Nsec3Hash)> {
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
        order
            .floor_by(|&id| canonical_cmp(&self.nodes[id].name, name))
            .or_else(|| order.last())
            .copied()
    }

    /// True when the zone carries DNSSEC data to add to answers.
    pub fn is_signed(&self) -> bool {
        !matches!(self.denial, Denial::None)
    }

    /// Number of nodes, empty non-terminals included.
    pub fn node_count(&self) -> usize {
        self.nodes.slots() - self.nodes.released()
    }
}

impl Nsec3Chain {
    /// The chain of `entries`, which must be sorted by hash.
    pub(super) fn from_sorted(entries: Vec<Nsec3Entry>) -> Self {
        let order = Sorted::from_sorted((0..entries.len() as u32).collect());
        Self {
            entries: Arena::from_vec(entries),
            order,
        }
    }

    /// Id of the record with this hash.
    pub(super) fn find(&self, hash: &[u8]) -> Option<u32> {
        self.order
            .find_by(|&id| self.entries[id].hash[..].cmp(hash))
            .copied()
    }

    /// Id of the record matching or covering `hash`: the last one not after it, wrapping.
    pub(super) fn covering(&self, hash: &[u8]) -> Option<u32> {
        self.order
            .floor_by(|&id| self.entries[id].hash[..].cmp(hash))
            .or_else(|| self.order.last())
            .copied()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when the chain has no record.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The records in hash order.
    pub fn iter(&self) -> impl Iterator<Item = &Nsec3Entry> + '_ {
        self.order.iter().map(|&id| &self.entries[id])
    }
}
