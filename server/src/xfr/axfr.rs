//! AXFR out over TCP (RFC 5936).
//!
//! The zone is streamed from the snapshot as several messages: the apex SOA first and last
//! (section 2.2), every other RRset in between (in the snapshot's node order, which RFC 5936
//! leaves free), each RRset read out of the snapshot only when its turn comes. Each message echoes the
//! query ID; the first also carries the question (section 2.2.1). Messages are kept near
//! [`SOFT_LIMIT`] octets and names are compressed within each message (RFC 1035 section 4.1.4,
//! only in the names RFC 3597 section 4 allows).

use std::iter::Peekable;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use zones::snapshot::ZoneSnapshot;
use zones::{Name, Rrset, Rtype};

use crate::net::tsig::ResponseSigner;
use crate::net::{HEADER_LEN, question};

/// A message is flushed when the next record could take it past this size.
pub const SOFT_LIMIT: usize = 16 * 1024;

/// Errors while streaming a transfer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AxfrError {
    /// The zone has no apex SOA (RFC 5936 section 2.2 needs one to open and close).
    #[error("zone {0} has no SOA")]
    NoSoa(String),
    /// The query has no well-formed question to echo.
    #[error("malformed AXFR query")]
    BadQuery,
    /// A record does not fit in a DNS message.
    #[error("record at {0} too large for a message")]
    RecordTooLarge(String),
    /// The client stopped reading.
    #[error("client stopped reading")]
    Stalled,
    /// Writing to the client failed.
    #[error("write: {0}")]
    Io(#[from] std::io::Error),
}

/// Streams the zone of `snapshot` as the AXFR answer to `query` onto `w`, each message with its 2-octet length
/// prefix (RFC 1035 section 4.2.2). Only one message is held in memory at a time. Returns the
/// number of messages sent.
///
/// A client that does not take a message within `write_timeout` ends the transfer.
pub async fn send_axfr<W: AsyncWrite + Unpin>(
    snapshot: &ZoneSnapshot,
    query: &[u8],
    w: &mut W,
    write_timeout: Duration,
    signer: Option<&mut ResponseSigner<'_>>,
) -> Result<usize, AxfrError> {
    send_stream(AxfrStream::new(snapshot, query)?, w, write_timeout, signer).await
}

/// Sends every message of `stream` onto `w`; returns the number of messages.
pub async fn send_stream<W: AsyncWrite + Unpin>(
    mut stream: AxfrStream<'_>,
    w: &mut W,
    write_timeout: Duration,
    mut signer: Option<&mut ResponseSigner<'_>>,
) -> Result<usize, AxfrError> {
    let mut buf = Vec::with_capacity(SOFT_LIMIT + 1024);
    let mut messages = 0;
    while stream.next_message(&mut buf)? {
        if let Some(signer) = signer.as_deref_mut() {
            // Every message of the transfer is signed, each MAC chained to the previous
            // (RFC 8945 section 5.3.1).
            let mut msg = buf.split_off(2);
            signer.sign(&mut msg);
            buf.clear();
            buf.extend_from_slice(&(msg.len() as u16).to_be_bytes());
            buf.extend_from_slice(&msg);
        }
        tokio::time::timeout(write_timeout, w.write_all(&buf))
            .await
            .map_err(|_| AxfrError::Stalled)??;
        messages += 1;
    }
    w.flush().await?;
    Ok(messages)
}

//------------ AxfrStream ----------------------------------------------------

/// One record to send: an RRset and the index of one of its rdatas.
pub type Item = (Arc<Rrset>, usize);

/// The records of one transfer, cut into framed messages on demand.
pub struct AxfrStream<'z> {
    /// The records still to send: SOA, the body, SOA.
    records: Peekable<Box<dyn Iterator<Item = Item> + Send + 'z>>,
    /// Query ID to echo.
    id: [u8; 2],
    /// RD bit to echo.
    rd: u8,
    /// The question, echoed in the first message only.
    question: Option<&'z [u8]>,
}

impl<'z> AxfrStream<'z> {
    /// Prepares the transfer of the zone of `snapshot` answering `query`.
    pub fn new(snapshot: &'z ZoneSnapshot, query: &'z [u8]) -> Result<Self, AxfrError> {
        let q = question(query).ok_or(AxfrError::BadQuery)?;
        let origin = snapshot.origin_name();
        let soa = Arc::new(apex_soa(snapshot)?);
        let body = snapshot
            .rrsets()
            .filter(move |set| !(set.rtype == Rtype::SOA && set.owner == origin))
            .flat_map(|set| {
                let set = Arc::new(set);
                (0..set.rdatas.len()).map(move |i| (Arc::clone(&set), i))
            });
        let records: Box<dyn Iterator<Item = Item> + Send + 'z> = Box::new(
            std::iter::once((Arc::clone(&soa), 0))
                .chain(body)
                .chain(std::iter::once((soa, 0))),
        );
        Ok(Self {
            records: records.peekable(),
            id: [query[0], query[1]],
            rd: query[2] & 0x01,
            question: Some(q),
        })
    }

    /// A transfer of exactly `records` (each an RRset and the index of one of its rdatas), in
    /// that order, answering `query`: how IXFR (RFC 1995) sends its sequence of SOAs and
    /// changes with the same message writer.
    pub fn from_records(
        records: Box<dyn Iterator<Item = Item> + Send + 'z>,
        query: &'z [u8],
    ) -> Result<Self, AxfrError> {
        let q = question(query).ok_or(AxfrError::BadQuery)?;
        Ok(Self {
            records: records.peekable(),
            id: [query[0], query[1]],
            rd: query[2] & 0x01,
            question: Some(q),
        })
    }

    /// Writes the next framed message into `out` (cleared first). Returns false when the
    /// transfer is complete and nothing was written.
    pub fn next_message(&mut self, out: &mut Vec<u8>) -> Result<bool, AxfrError> {
        out.clear();
        if self.records.peek().is_none() {
            return Ok(false);
        }
        let mut writer = MessageWriter::new(out, self.id, self.rd, self.question.take());
        while let Some((set, i)) = self.records.peek() {
            if !writer.fits(set, *i)? {
                break;
            }
            writer.record(set, *i);
            self.records.next();
        }
        writer.finish();
        Ok(true)
    }
}

/// The apex SOA of the zone of `snapshot`, which opens and closes every transfer.
pub fn apex_soa(snapshot: &ZoneSnapshot) -> Result<Rrset, AxfrError> {
    let origin = snapshot.origin_name();
    snapshot
        .rrset(&origin, Rtype::SOA)
        .filter(|s| !s.rdatas.is_empty())
        .ok_or_else(|| AxfrError::NoSoa(origin.to_string()))
}

//------------ MessageWriter -------------------------------------------------

/// Slots of the compression table (a power of two).
const NAME_SLOTS: usize = 1024;

/// Writes one framed response message.
struct MessageWriter<'a> {
    /// The framed message (length prefix first).
    out: &'a mut Vec<u8>,
    /// Records in the message.
    ancount: u16,
    /// Compression table: hash of a lowercased uncompressed suffix -> message offset + 1
    /// (0 = empty). Collisions overwrite: a lost entry only costs compression.
    names: [u16; NAME_SLOTS],
}

impl<'a> MessageWriter<'a> {
    /// Starts a message in `out`, with the question if given.
    fn new(out: &'a mut Vec<u8>, id: [u8; 2], rd: u8, question: Option<&[u8]>) -> Self {
        out.clear();
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&id);
        // QR, AA, RD echoed; NOERROR.
        out.push(0x84 | rd);
        out.push(0);
        out.extend_from_slice(&[0, u8::from(question.is_some()), 0, 0, 0, 0, 0, 0]);
        let mut w = Self {
            out,
            ancount: 0,
            names: [0; NAME_SLOTS],
        };
        if let Some(q) = question {
            w.out.extend_from_slice(q);
            let nlen = q.len() - 4;
            w.remember(&q[..nlen], nlen, HEADER_LEN);
        }
        w
    }

    /// Length of the message so far, without the prefix.
    fn msg_len(&self) -> usize {
        self.out.len() - 2
    }

    /// Completes the message: ANCOUNT and the length prefix.
    fn finish(&mut self) {
        let len = self.msg_len() as u16;
        self.out[0..2].copy_from_slice(&len.to_be_bytes());
        self.out[8..10].copy_from_slice(&self.ancount.to_be_bytes());
    }

    /// Whether record `index` of `set` may go into this message. A record always goes into an
    /// empty message; one that cannot fit any message is an error.
    fn fits(&self, set: &Rrset, index: usize) -> Result<bool, AxfrError> {
        let worst = 255 + 10 + set.rdatas[index].as_bytes().len();
        if worst + 512 > u16::MAX as usize {
            return Err(AxfrError::RecordTooLarge(set.owner.to_string()));
        }
        Ok(self.ancount == 0 || self.msg_len() + worst <= SOFT_LIMIT)
    }

    /// Appends record `index` of `set`.
    fn record(&mut self, set: &Rrset, index: usize) {
        let rdata = set.rdatas[index].as_bytes();
        self.name(&set.owner);
        self.out
            .extend_from_slice(&u16::from(set.rtype).to_be_bytes());
        self.out
            .extend_from_slice(&u16::from(set.class).to_be_bytes());
        self.out.extend_from_slice(&set.ttl.as_secs().to_be_bytes());
        let rdlen_at = self.out.len();
        self.out.extend_from_slice(&[0, 0]);
        let rdata_start = self.out.len();
        let mut pos = 0;
        for range in zones::rdata::compressible_names(set.rtype, rdata)
            .into_iter()
            .flatten()
        {
            self.out.extend_from_slice(&rdata[pos..range.start]);
            self.wire_name(&rdata[range.clone()]);
            pos = range.end;
        }
        self.out.extend_from_slice(&rdata[pos..]);
        let rdlen = (self.out.len() - rdata_start) as u16;
        self.out[rdlen_at..rdlen_at + 2].copy_from_slice(&rdlen.to_be_bytes());
        self.ancount += 1;
    }

    /// Writes a hickory name, compressed.
    fn name(&mut self, name: &Name) {
        let mut wire = [0u8; 256];
        let mut len = 0;
        for label in name.iter() {
            if len + 1 + label.len() >= 255 {
                break;
            }
            wire[len] = label.len() as u8;
            wire[len + 1..len + 1 + label.len()].copy_from_slice(label);
            len += 1 + label.len();
        }
        wire[len] = 0;
        self.wire_name(&wire[..=len]);
    }

    /// Writes an uncompressed wire name, replacing its longest suffix already in the message
    /// by a pointer (RFC 1035 section 4.1.4).
    fn wire_name(&mut self, wire: &[u8]) {
        let at = self.msg_len();
        let mut pos = 0;
        while wire.get(pos).is_some_and(|&l| l != 0) {
            if let Some(target) = self.find(&wire[pos..]) {
                self.out.extend_from_slice(&wire[..pos]);
                self.out.extend_from_slice(&(0xc000 | target).to_be_bytes());
                self.remember(wire, pos, at);
                return;
            }
            pos += 1 + wire[pos] as usize;
        }
        self.out.extend_from_slice(wire);
        self.remember(wire, pos, at);
    }

    /// Enters the suffixes of `wire` that start in its first `upto` octets, written literally
    /// at message offset `at`.
    fn remember(&mut self, wire: &[u8], upto: usize, at: usize) {
        let mut p = 0;
        while p < upto && wire.get(p).is_some_and(|&l| l != 0) {
            let off = at + p;
            if off < 0x3fff {
                self.names[slot(&wire[p..])] = off as u16 + 1;
            }
            p += 1 + wire[p] as usize;
        }
    }

    /// The message offset of a name equal (ignoring ASCII case) to `suffix`, if known.
    fn find(&self, suffix: &[u8]) -> Option<u16> {
        let off = self.names[slot(suffix)].checked_sub(1)?;
        name_equals(&self.out[2..], off as usize, suffix).then_some(off)
    }
}

/// The compression-table slot of an uncompressed name (FNV-1a over its lowercased octets).
fn slot(wire: &[u8]) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for &b in wire {
        h ^= u32::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0100_0193);
    }
    h as usize & (NAME_SLOTS - 1)
}

/// Whether the (possibly compressed) name at `off` in `msg` equals the uncompressed `wire`.
fn name_equals(msg: &[u8], mut off: usize, wire: &[u8]) -> bool {
    let mut w = 0;
    let mut hops = 0;
    loop {
        let Some(&len) = msg.get(off) else {
            return false;
        };
        if len & 0xc0 == 0xc0 {
            let Some(&low) = msg.get(off + 1) else {
                return false;
            };
            hops += 1;
            if hops > 64 {
                return false;
            }
            off = (usize::from(len & 0x3f) << 8) | usize::from(low);
            continue;
        }
        let len = len as usize;
        if wire.get(w) != Some(&(len as u8)) {
            return false;
        }
        if len == 0 {
            return true;
        }
        let (Some(a), Some(b)) = (
            msg.get(off + 1..off + 1 + len),
            wire.get(w + 1..w + 1 + len),
        ) else {
            return false;
        };
        if !a.eq_ignore_ascii_case(b) {
            return false;
        }
        off += 1 + len;
        w += 1 + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Message;
    use hickory_proto::rr::RData;

    fn axfr_query(zone: &str) -> Vec<u8> {
        let mut q = vec![0x42, 0x43, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in zone.split('.').filter(|l| !l.is_empty()) {
            q.push(label.len() as u8);
            q.extend_from_slice(label.as_bytes());
        }
        q.extend_from_slice(&[0, 0, 252, 0, 1]);
        q
    }

    fn build(zone: &zones::Zone, query: &[u8]) -> Vec<u8> {
        let snapshot = ZoneSnapshot::build(zone);
        let mut stream = AxfrStream::new(&snapshot, query).unwrap();
        let mut all = Vec::new();
        let mut buf = Vec::new();
        while stream.next_message(&mut buf).unwrap() {
            all.extend_from_slice(&buf);
        }
        all
    }

    fn split(framed: &[u8]) -> Vec<Message> {
        let mut msgs = Vec::new();
        let mut p = 0;
        while p < framed.len() {
            let len = u16::from_be_bytes([framed[p], framed[p + 1]]) as usize;
            msgs.push(Message::from_vec(&framed[p + 2..p + 2 + len]).unwrap());
            p += 2 + len;
        }
        msgs
    }

    #[test]
    fn axfr_starts_and_ends_with_the_soa_and_parses_back() {
        let zone = crate::cli::demo::demo_zone();
        let out = build(&zone, &axfr_query("example.test."));
        let msgs = split(&out);
        assert_eq!(msgs.len(), 1);
        let m = &msgs[0];
        assert_eq!(m.metadata.id, 0x4243);
        assert_eq!(m.queries.len(), 1);
        let answers = &m.answers;
        assert_eq!(answers.len(), zone.len() + 1);
        assert!(matches!(answers[0].data, RData::SOA(_)));
        assert!(matches!(answers[answers.len() - 1].data, RData::SOA(_)));
        // Compression makes the message smaller than the records' uncompressed size.
        let raw: usize = zone.records().map(|r| r.rdata.0.len() + 10 + 20).sum();
        assert!(out.len() < raw);
    }

    #[test]
    fn large_zones_are_split_into_messages_under_the_soft_limit() {
        let mut zone = crate::cli::demo::demo_zone();
        for i in 0..2000 {
            let owner = Name::from_ascii(format!("host{i}.example.test.")).unwrap();
            zone.insert(zones::Record {
                owner,
                rtype: Rtype::A,
                class: zones::Class::IN,
                ttl: zones::Ttl(300),
                rdata: vec![192, 0, 2, (i % 250) as u8].into(),
            });
        }
        let out = build(&zone, &axfr_query("example.test."));
        let msgs = split(&out);
        assert!(msgs.len() > 1);
        let total: usize = msgs.iter().map(|m| m.answers.len()).sum();
        assert_eq!(total, zone.len() + 1);
        assert_eq!(msgs[0].queries.len(), 1);
        assert!(msgs.iter().all(|m| m.metadata.id == 0x4243));
        assert!(msgs[1].queries.is_empty());
        let first = &msgs[0].answers[0];
        let last = msgs.last().unwrap().answers.last().unwrap();
        assert_eq!(first, last);
        assert!(matches!(first.data, RData::SOA(_)));
        let mut p = 0;
        while p < out.len() {
            let len = u16::from_be_bytes([out[p], out[p + 1]]) as usize;
            assert!(len <= SOFT_LIMIT, "message of {len} octets");
            p += 2 + len;
        }
    }
}
