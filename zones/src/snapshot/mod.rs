//! The immutable, wire-form view of all served zones that the query path reads.
//!
//! A snapshot is published with one atomic pointer swap; the query path only ever reads it,
//! without locks or allocation. Everything a query needs is precomputed: names as lowercase
//! wire keys in a hash index, every RRset as a ready-to-copy wire blob (type, class, TTL,
//! rdlength, rdata per record, owner left out so that the writer can compress it), empty
//! non-terminals as nodes without data, the topmost zone cut or DNAME above every occluded
//! name, and the additional-section targets of NS, MX and SRV. All owner names are stored
//! lowercase: DNS is case-insensitive (RFC 4343) and the only case a response must preserve is
//! the question's, which the writer echoes from the query.
//!
//! # Versions: built once, then changed by diffs
//!
//! [`ZoneSnapshot::build_with`] builds a snapshot from a whole zone. [`ZoneSnapshot::apply`]
//! makes the next version from the previous one and a [`Diff`] in time proportional to the
//! diff (times log n), sharing everything untouched with the previous version, so that
//! serving a one-record change does not cost a rebuild of a 100k-name zone. How:
//!
//! - Nodes live in an [`chunked::Arena`]: `Arc`-shared chunks of 256 nodes addressed by a
//!   stable id. A version copies the table of chunk pointers (n/256 pointers) and the chunks
//!   it writes; node fields are `Arc`s, so copying a chunk copies no RRset bytes. Ids stay
//!   stable across versions, so references between nodes (the cut above a name, additional
//!   targets, the NSEC order, the NSEC3 record of a name) need no fixing when something else
//!   moves, and a changed A record of an MX target shows up through the id it already had.
//! - The name index ([`index::NameIndex`]) is a shared base hash table plus a small per-version
//!   overlay of new names, rebuilt when the overlay grows past an eighth of the zone.
//! - The NSEC order and the NSEC3 chain are [`chunked::Sorted`] sequences (sorted `Arc` chunks);
//!   NSEC3 records sit in their own arena, so a name's NSEC3 record keeps its id while its
//!   next-hash or signatures change.
//! - What a change can reach beyond its own names is tracked explicitly: the ancestors of a
//!   changed name (empty non-terminals, cuts), the names below a name that became or stopped
//!   being a cut (their occlusion), the owners of NS/MX/SRV records pointing at a name whose
//!   address records or occlusion changed (a reverse index, `referrers`), and the names whose
//!   NSEC3 hash gained or lost its record (a hash-to-node index, `hashes`).
//!
//! Chosen over a persistent map (`imbl`) for the nodes and sorted sets because its lookups
//! walk a tree and its ordered searches allocate a cursor, and the query path must neither
//! slow down nor allocate; chosen over a base-plus-overlay of whole nodes because references
//! between nodes would then need resolving through the overlay on every read. A change of the
//! denial mode or of the NSEC3 parameters rebuilds the snapshot whole.

use std::sync::Arc;

use crate::diff::Diff;
use crate::record::Rtype;
use crate::serial::Serial;
use crate::zone::Zone;

mod apply;
mod build;
mod catalog;
pub mod chunked;
mod index;
mod wire;

pub use catalog::Catalog;
pub use wire::{canonical_cmp, label_offsets, lowercase_wire, name_key};

use chunked::{Arena, Sorted};
use index::NameIndex;

//------------ ZoneSnapshot --------------------------------------------------

/// Id of a node within its zone snapshot, stable across the versions made by `apply`.
pub type NodeId = u32;

/// One zone in wire form.
#[derive(Clone)]
pub struct ZoneSnapshot {
    /// The zone it was built from (transfers stream it, the signer diffs against it).
    pub zone: Arc<Zone>,
    /// Lowercase wire origin.
    pub origin: Box<[u8]>,
    /// Number of labels of the origin, root excluded.
    pub origin_labels: usize,
    /// Serial of the SOA.
    pub serial: u32,
    /// Every node (names with data and empty non-terminals); node 0 is the apex. Released
    /// slots have an empty name.
    nodes: Arena<Node>,
    /// Node id by lowercase wire name.
    index: NameIndex,
    /// The SOA as it goes into the authority section of negative answers: TTL (and its
    /// signatures' TTL) already min(SOA TTL, MINIMUM) (RFC 2308 section 3).
    negative_soa: RrsetWire,
    /// How non-existence is proven, if the zone is signed.
    pub denial: Denial,
    /// The NSEC3 hash function, for names that are not in the zone.
    hasher: Option<Nsec3Hasher>,
    /// (in-zone target name, owner node) for every NS, MX and SRV record: whose additional
    /// targets to recompute when a name's address records or occlusion change.
    referrers: Sorted<(Arc<[u8]>, NodeId)>,
    /// (NSEC3 hash of the name, node) for every node, when the zone uses NSEC3 and a hasher is
    /// known: which nodes to point at an NSEC3 record that is added or removed.
    hashes: Sorted<(Nsec3Hash, NodeId)>,
    /// The changes that led to this version, oldest first (from the journal): what IXFR
    /// sends. Kept with the snapshot so that a transfer sees a zone and a history that match.
    pub history: Arc<[Arc<Diff>]>,
}

/// The NSEC3 hash function (RFC 5155 section 5), supplied by the signer so that this crate
/// needs no cryptography: (lowercase wire name, salt, iterations) -> SHA-1 digest.
pub type Nsec3Hasher = fn(&[u8], &[u8], u16) -> [u8; 20];

/// An NSEC3 hash as [`Nsec3Hasher`] returns it.
pub type Nsec3Hash = [u8; 20];

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
    entries: Arena<Nsec3Entry>,
    /// Record ids sorted by hash.
    order: Sorted<u32>,
}

/// One NSEC3 record with its signatures.
#[derive(Clone, Default)]
pub struct Nsec3Entry {
    /// The raw hash (the owner's first label, base32hex-decoded).
    pub hash: Arc<[u8]>,
    /// Lowercase wire owner name; empty for a released slot.
    pub owner: Arc<[u8]>,
    /// The NSEC3 RRset and its RRSIGs.
    pub rrset: RrsetWire,
}

/// A name in the zone.
#[derive(Clone, Default)]
pub struct Node {
    /// Lowercase wire name.
    pub name: Arc<[u8]>,
    /// RRsets at this name, sorted by type; empty for an empty non-terminal.
    pub rrsets: Arc<[RrsetWire]>,
    /// The topmost zone cut (NS below the apex) or DNAME strictly above this name, if any: the
    /// name is then occluded (glue, or data hidden by a DNAME) and never answered
    /// authoritatively.
    pub cut: Option<NodeId>,
    /// True when this name holds NS and is not the apex: a delegation point.
    pub delegation: bool,
    /// Id of the NSEC3 record whose hash matches this name, when known.
    pub nsec3: Option<u32>,
}

/// One RRset, ready to copy into a response after its owner name.
#[derive(Clone, Default)]
pub struct RrsetWire {
    /// Type code.
    pub rtype: u16,
    /// TTL.
    pub ttl: u32,
    /// Number of records.
    pub count: u16,
    /// For each record: type, class, TTL, rdlength, rdata.
    pub wire: Arc<[u8]>,
    /// The RRSIGs covering this set, in the same form (TTL equal to the set's, RFC 4035
    /// section 2.2); empty when the zone is unsigned.
    pub sigs: Arc<[u8]>,
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

    /// The SOA for negative answers, TTL already set per RFC 2308.
    pub fn negative_soa(&self) -> &RrsetWire {
        &self.negative_soa
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
        chain.entries.get(id).filter(|e| !e.owner.is_empty())
    }

    /// The chain and the hash of `name`, when the zone is NSEC3-signed and a hasher is known.
    fn nsec3_hash(&self, name: &[u8]) -> Option<(&Nsec3Chain, Nsec3Hash)> {
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
    fn from_sorted(entries: Vec<Nsec3Entry>) -> Self {
        let order = Sorted::from_sorted((0..entries.len() as u32).collect());
        Self {
            entries: Arena::from_vec(entries),
            order,
        }
    }

    /// Id of the record with this hash.
    fn find(&self, hash: &[u8]) -> Option<u32> {
        self.order
            .find_by(|&id| self.entries[id].hash[..].cmp(hash))
            .copied()
    }

    /// Id of the record matching or covering `hash`: the last one not after it, wrapping.
    fn covering(&self, hash: &[u8]) -> Option<u32> {
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

impl Node {
    /// The RRset of type `rtype` here.
    #[inline]
    pub fn rrset(&self, rtype: u16) -> Option<&RrsetWire> {
        self.rrsets.iter().find(|r| r.rtype == rtype)
    }

    /// True when this node cuts off what is below it: a delegation or a DNAME.
    fn cuts(&self) -> bool {
        self.delegation || self.rrset(u16::from(Rtype::DNAME)).is_some()
    }

    /// Whether this node serves additional-section address records, and whether it is
    /// occluded: `None` when it has no A or AAAA.
    fn address_target(&self) -> Option<bool> {
        let has = self.rrset(u16::from(Rtype::A)).is_some()
            || self.rrset(u16::from(Rtype::AAAA)).is_some();
        has.then_some(self.cut.is_some())
    }
}

#[cfg(test)]
mod tests;
