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
        // In place: the query path writes these owners into negative answers and allocates
        // nothing.
        data_encoding::BASE32HEX_NOPAD.encode_mut(&self.hash, &mut buf[1..label]);
        buf[1..label].make_ascii_lowercase();
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
    pub name: Box<[u8]>,
    /// RRsets at this name, sorted by type; empty for an empty non-terminal.
    pub rrsets: Arc<[RrsetWire]>,
    /// The topmost zone cut (NS below the apex) or DNAME strictly above this name, if any: the
    /// name is then occluded (glue, or data hidden by a DNAME) and never answered
    /// authoritatively.
    pub(super) cut: Link,
    /// Id of the NSEC3 record whose hash matches this name, when known.
    pub(super) nsec3: Link,
    /// True when this name holds NS and is not the apex: a delegation point.
    pub delegation: bool,
}

/// An optional node or NSEC3 record id in four octets (`Option<u32>` takes eight, and a
/// small zone holds more nodes than anything else).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Link(u32);

impl Link {
    /// No id.
    const NONE: Self = Self(u32::MAX);

    fn new(id: Option<u32>) -> Self {
        // Ids are slots of an arena, far below u32::MAX.
        id.map_or(Self::NONE, Self)
    }

    fn get(self) -> Option<u32> {
        (self != Self::NONE).then_some(self.0)
    }
}

impl Default for Link {
    fn default() -> Self {
        Self::NONE
    }
}

/// One RRset, ready to copy into a response after its owner name.
///
/// The records and their signatures share one allocation: a small zone is mostly RRsets of a
/// record or two, where a second allocation (its header and rounding) would cost about as
/// much as the data. Signatures are mostly kept without what the set and the zone imply
/// (see [`SigForm`]): a third of each RRSIG, and most of a small zone's memory is RRSIGs.
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
    /// Where the additional targets start in `data`.
    additional_at: u32,
    /// How the signatures are kept.
    sig_form: SigForm,
    /// Each record (type, class, TTL, rdlength, rdata), then the RRSIGs covering the set
    /// (none when the zone is unsigned) as `sig_form` says, then the additional targets:
    /// nodes holding address records for the targets of NS, MX and SRV records here (RFC
    /// 1034 section 4.3.2 step 6), each a node id and a flag saying whether the target is
    /// occluded (glue), which only referrals may use. One allocation for all three: most
    /// sets of a small zone are a record and a signature.
    data: Box<[u8]>,
}

/// Octets of one additional target in [`RrsetWire`]: node id, occluded flag.
const TARGET_LEN: usize = 5;

/// How the RRSIGs of a set are kept.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
enum SigForm {
    /// As records: type, class, TTL (the set's, RFC 4035 section 2.2), rdlength, rdata.
    #[default]
    Records,
    /// Each as algorithm, labels, expiration, inception, key tag, signature length and
    /// signature: the RRSIGs of a set whose type covered is the set's type, whose original
    /// TTL is the set's TTL and whose signer is the zone's origin (lowercase) — what daned's
    /// signer makes. The rest is spelled out when written.
    Compact,
}

/// Octets of a compact signature before the signature itself.
const COMPACT_HEAD: usize = 14;

/// Octets of an RRSIG record spelled out before its expiration: type, class, TTL, rdlength,
/// type covered, algorithm, labels, original TTL.
const SIG_HEAD: usize = 18;

/// One RRSIG record in pieces to write one after the other: `head()` (type, class, TTL,
/// rdlength, type covered, algorithm, labels, original TTL), then `parts`.
pub struct SigRecord<'a> {
    head: [u8; SIG_HEAD],
    head_len: usize,
    /// The rest of the record.
    pub parts: [&'a [u8]; 3],
}

impl SigRecord<'_> {
    /// The spelled-out start of the record (empty when the record is all in `parts`).
    #[inline]
    pub fn head(&self) -> &[u8] {
        &self.head[..self.head_len]
    }
}

impl RrsetWire {
    /// The set of `count` records in `wire`, signed by the RRSIGs in `sigs` (both as
    /// records: type, class, TTL, rdlength, rdata), without additional targets. The
    /// signatures are kept compact when they all have `origin` (lowercase wire) as signer,
    /// this type as type covered and `ttl` as original TTL.
    pub fn new(rtype: u16, ttl: u32, count: u16, wire: &[u8], sigs: &[u8], origin: &[u8]) -> Self {
        let mut data = Vec::with_capacity(wire.len() + sigs.len());
        data.extend_from_slice(wire);
        let sig_form = match compact(rtype, ttl, sigs, origin, &mut data) {
            true => SigForm::Compact,
            false => {
                data.truncate(wire.len());
                data.extend_from_slice(sigs);
                SigForm::Records
            }
        };
        Self {
            rtype,
            count,
            ttl,
            sigs_at: wire.len() as u32,
            additional_at: data.len() as u32,
            sig_form,
            data: data.into(),
        }
    }

    /// The nodes with address records for additional processing, and whether each is
    /// occluded.
    pub fn additional(&self) -> impl ExactSizeIterator<Item = (NodeId, bool)> + '_ {
        self.data[self.additional_at as usize..]
            .chunks_exact(TARGET_LEN)
            .map(|t| (u32::from_be_bytes([t[0], t[1], t[2], t[3]]), t[4] != 0))
    }

    /// This set with `targets` as its additional targets.
    pub fn with_additional(&self, targets: &[(NodeId, bool)]) -> Self {
        let keep = &self.data[..self.additional_at as usize];
        let mut data = Vec::with_capacity(keep.len() + targets.len() * TARGET_LEN);
        data.extend_from_slice(keep);
        for &(id, occluded) in targets {
            data.extend_from_slice(&id.to_be_bytes());
            data.push(u8::from(occluded));
        }
        Self {
            data: data.into(),
            ..*self
        }
    }

    /// The records: for each, type, class, TTL, rdlength, rdata.
    #[inline]
    pub fn wire(&self) -> &[u8] {
        &self.data[..self.sigs_at as usize]
    }

    /// True when RRSIGs cover the set.
    #[inline]
    pub fn has_sigs(&self) -> bool {
        self.additional_at > self.sigs_at
    }

    /// Each RRSIG covering the set, as a record in pieces, for a zone of lowercase wire
    /// origin `origin` and class `class`.
    pub fn sig_records<'a>(
        &'a self,
        origin: &'a [u8],
        class: u16,
    ) -> impl Iterator<Item = SigRecord<'a>> + 'a {
        let mut rest = &self.data[self.sigs_at as usize..self.additional_at as usize];
        let form = self.sig_form;
        core::iter::from_fn(move || {
            match form {
                SigForm::Records => {
                    let rdlen = u16::from_be_bytes([*rest.get(8)?, *rest.get(9)?]) as usize;
                    let (record, tail) = rest.split_at((10 + rdlen).min(rest.len()));
                    rest = tail;
                    Some(SigRecord {
                        head: [0; SIG_HEAD],
                        head_len: 0,
                        parts: [record, &[], &[]],
                    })
                }
                SigForm::Compact => {
                    let fixed = rest.get(..COMPACT_HEAD)?;
                    let len = u16::from_be_bytes([fixed[12], fixed[13]]) as usize;
                    let signature = rest.get(COMPACT_HEAD..COMPACT_HEAD + len)?;
                    rest = &rest[COMPACT_HEAD + len..];
                    // Type covered to key tag (18 octets), signer, signature.
                    let rdlen = (18 + origin.len() + len) as u16;
                    let mut head = [0; SIG_HEAD];
                    head[0..2].copy_from_slice(&u16::from(Rtype::RRSIG).to_be_bytes());
                    head[2..4].copy_from_slice(&class.to_be_bytes());
                    head[4..8].copy_from_slice(&self.ttl.to_be_bytes());
                    head[8..10].copy_from_slice(&rdlen.to_be_bytes());
                    head[10..12].copy_from_slice(&self.rtype.to_be_bytes());
                    head[12] = fixed[0];
                    head[13] = fixed[1];
                    head[14..18].copy_from_slice(&self.ttl.to_be_bytes());
                    Some(SigRecord {
                        head,
                        head_len: SIG_HEAD,
                        parts: [&fixed[2..12], origin, signature],
                    })
                }
            }
        })
    }

    /// The RRSIGs covering the set as records (type, class, TTL, rdlength, rdata), for a
    /// zone of lowercase wire origin `origin` and class `class`.
    pub fn sig_wire(&self, origin: &[u8], class: u16) -> Vec<u8> {
        let mut out = Vec::new();
        for sig in self.sig_records(origin, class) {
            out.extend_from_slice(sig.head());
            for part in sig.parts {
                out.extend_from_slice(part);
            }
        }
        out
    }
}

/// Appends the RRSIG records of `sigs` to `out` (which holds the set's records) in the
/// compact form, when each has `origin` as signer, `rtype` as type covered, `ttl` as original
/// TTL and as its own TTL, and the records' class; false (with `out` partly written)
/// otherwise.
fn compact(rtype: u16, ttl: u32, sigs: &[u8], origin: &[u8], out: &mut Vec<u8>) -> bool {
    // The class written back is the zone's, which is that of the set's records.
    let Some(class) = out.get(2..4).map(|c| [c[0], c[1]]) else {
        return sigs.is_empty();
    };
    let mut rest = sigs;
    while !rest.is_empty() {
        let Some(head) = rest.get(..10) else {
            return false;
        };
        let rdlen = u16::from_be_bytes([head[8], head[9]]) as usize;
        let Some(rd) = rest.get(10..10 + rdlen) else {
            return false;
        };
        rest = &rest[10 + rdlen..];
        let signer_end = 18 + origin.len();
        let implied = head[0..2] == u16::from(Rtype::RRSIG).to_be_bytes()
            && head[2..4] == class
            && head[4..8] == ttl.to_be_bytes()
            && rd.len() > signer_end
            && rd[0..2] == rtype.to_be_bytes()
            && rd[4..8] == ttl.to_be_bytes()
            && rd[18..signer_end] == *origin;
        if !implied {
            return false;
        }
        let signature = &rd[signer_end..];
        out.extend_from_slice(&rd[2..4]); // algorithm, labels
        out.extend_from_slice(&rd[8..18]); // expiration, inception, key tag
        out.extend_from_slice(&(signature.len() as u16).to_be_bytes());
        out.extend_from_slice(signature);
    }
    true
}

impl Node {
    /// The topmost zone cut or DNAME strictly above this name, if any (see `cut`).
    #[inline]
    pub fn cut(&self) -> Option<NodeId> {
        self.cut.get()
    }

    /// Sets the topmost zone cut or DNAME above this name.
    pub fn set_cut(&mut self, cut: Option<NodeId>) {
        self.cut = Link::new(cut);
    }

    /// Id of the NSEC3 record whose hash matches this name, when known.
    #[inline]
    pub fn nsec3(&self) -> Option<u32> {
        self.nsec3.get()
    }

    /// Sets the NSEC3 record whose hash matches this name.
    pub fn set_nsec3(&mut self, id: Option<u32>) {
        self.nsec3 = Link::new(id);
    }

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
        has.then_some(self.cut().is_some())
    }
}
