//! A name of a zone snapshot and its RRsets in wire form, ready to copy into a response.

use std::sync::Arc;

use crate::record::Rtype;

//------------ ZoneSnapshot --------------------------------------------------

/// Id of a node within its zone snapshot, stable across the versions made by `apply`.
pub type NodeId = u32;

/// The NSEC3 hash function (RFC 5155 section 5), supplied by the signer so that this crate
/// needs no cryptography: (lowercase wire name, salt, iterations) -> SHA-1 digest.
pub type Nsec3Hasher = fn(&[u8], &[u8], u16) -> [u8; 20];

/// An NSEC3 hash as [`Nsec3Hasher`] returns it.
pub type Nsec3Hash = [u8; 20];

/// One NSEC3 record with its signatures.
///
/// The owner is not stored: it is the hash, base32hex-encoded, as a label under the origin
/// (RFC 5155 section 3), and spelling it out per record would cost a small zone as much as
/// the rest of its chain.
#[derive(Clone, Default)]
pub struct Nsec3Entry {
    /// The raw hash (the owner's first label, base32hex-decoded).
    pub hash: Nsec3Hash,
    /// The NSEC3 RRset and its RRSIGs; no record in a released slot.
    pub rrset: RrsetWire,
}

/// Room for any wire name (RFC 1035 section 2.3.4).
pub type NameBuf = [u8; 255];

impl Nsec3Entry {
    /// True for a released slot.
    #[inline]
    pub fn is_released(&self) -> bool {
        self.rrset.count == 0
    }

    /// The lowercase wire owner in a zone whose lowercase wire origin is `origin`, spelled
    /// into `buf`.
    pub fn owner<'a>(&self, origin: &[u8], buf: &'a mut NameBuf) -> &'a [u8] {
        // An entry exists only for an owner of one hash label under the origin, so the
        // origin leaves room for the label (1 + 32 octets).
        let label = 1 + NSEC3_LABEL_LEN;
        let len = (label + origin.len()).min(buf.len());
        buf[0] = NSEC3_LABEL_LEN as u8;
        let encoded = data_encoding::BASE32HEX_NOPAD.encode(&self.hash);
        for (to, from) in buf[1..label].iter_mut().zip(encoded.bytes()) {
            *to = from.to_ascii_lowercase();
        }
        buf[label..len].copy_from_slice(&origin[..len - label]);
        &buf[..len]
    }
}

/// Length of a base32hex-encoded SHA-1 NSEC3 hash.
pub const NSEC3_LABEL_LEN: usize = 32;

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
///
/// The records and their signatures share one allocation: a small zone is mostly RRsets of a
/// record or two, where a second allocation (its header and rounding) would cost about as
/// much as the data.
#[derive(Clone, Default)]
pub struct RrsetWire {
    /// Type code.
    pub rtype: u16,
    /// Number of records.
    pub count: u16,
    /// TTL.
    pub ttl: u32,
    /// Where the signatures start in `data`.
    sigs_at: u32,
    /// Each record (type, class, TTL, rdlength, rdata), then the RRSIGs covering the set in
    /// the same form (TTL equal to the set's, RFC 4035 section 2.2; none when the zone is
    /// unsigned).
    data: Arc<[u8]>,
    /// Nodes holding address records for the targets of NS, MX and SRV records here (RFC 1034
    /// section 4.3.2 step 6), with a flag saying whether the target is occluded (glue), which
    /// only referrals may use.
    pub additional: AdditionalTargets,
}

impl RrsetWire {
    /// The set of `count` records in `wire`, signed by the RRSIGs in `sigs` (both as
    /// [`RrsetWire::wire`] holds them), without additional targets.
    pub fn new(rtype: u16, ttl: u32, count: u16, wire: &[u8], sigs: &[u8]) -> Self {
        let mut data = Vec::with_capacity(wire.len() + sigs.len());
        data.extend_from_slice(wire);
        data.extend_from_slice(sigs);
        Self {
            rtype,
            count,
            ttl,
            sigs_at: wire.len() as u32,
            data: data.into(),
            additional: Box::new([]),
        }
    }

    /// The records: for each, type, class, TTL, rdlength, rdata.
    #[inline]
    pub fn wire(&self) -> &[u8] {
        &self.data[..self.sigs_at as usize]
    }

    /// The RRSIGs covering the set, in the same form; empty when the zone is unsigned.
    #[inline]
    pub fn sigs(&self) -> &[u8] {
        &self.data[self.sigs_at as usize..]
    }
}

/// Nodes with address records for additional processing, and whether each is occluded.
pub type AdditionalTargets = Box<[(NodeId, bool)]>;

impl Node {
    /// The RRset of type `rtype` here.
    #[inline]
    pub fn rrset(&self, rtype: u16) -> Option<&RrsetWire> {
        self.rrsets.iter().find(|r| r.rtype == rtype)
    }

    /// True when this node cuts off what is below it: a delegation or a DNAME.
    pub(super) fn cuts(&self) -> bool {
        self.delegation || self.rrset(u16::from(Rtype::DNAME)).is_some()
    }

    /// Whether this node serves additional-section address records, and whether it is
    /// occluded: `None` when it has no A or AAAA.
    pub(super) fn address_target(&self) -> Option<bool> {
        let has = self.rrset(u16::from(Rtype::A)).is_some()
            || self.rrset(u16::from(Rtype::AAAA)).is_some();
        has.then_some(self.cut.is_some())
    }
}
