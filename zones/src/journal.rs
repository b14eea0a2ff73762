//! The journal of a zone's diffs: durable, bounded, kept across restarts, answering IXFR
//! (RFC 1995).
//!
//! One file per zone, a sequence of entries `magic, length, CRC-32, payload`, each payload one
//! [`Diff`]. An entry is appended and fsynced before the serial it leads to is served. A torn
//! tail (a crash in the middle of an append) is detected by length and CRC and cut off at
//! open; entries before it stay. When the file grows past its bound, it is rewritten without
//! its oldest entries, atomically (temporary file, fsync, rename, fsync of the folder).
//!
//! Nothing of a diff stays in memory: a served version carries a [`History`], where each diff
//! lies in the file, and IXFR reads the diffs it sends from there (the page cache keeps recent
//! ones warm). A key rollover's diff, every signature out and in, is as big as the zone; held
//! decoded, a few of them would outweigh the zone itself.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable};

use crate::diff::Diff;
use crate::record::{Class, Name, Rdata, Record, Rtype, Ttl};
use crate::serial::Serial;

/// Marks the start of every entry.
const MAGIC: &[u8; 4] = b"DJE1";

/// Bytes before an entry's payload: magic, length, CRC-32.
const HEADER: usize = 12;

/// Why the journal could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Reading or writing the file failed.
    #[error("journal {path}: {source}")]
    Io {
        /// The journal file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Rewriting the file without its oldest entries failed.
    #[error("journal: {0}")]
    Compact(#[from] crate::fs::WriteError),
}

/// The diffs of one zone, oldest first.
pub struct Journal {
    /// The file (shared with the histories handed out).
    path: Arc<Path>,
    /// Entries in the file, oldest first.
    entries: VecDeque<Span>,
    /// Size of the file.
    size: u64,
    /// Size past which the oldest entries are dropped.
    max_bytes: u64,
    /// Why the last compaction failed, until taken ([`Journal::take_compact_error`]).
    compact_error: Option<JournalError>,
}

/// Where one diff lies in the journal file, and what it leads from and to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// The serial it starts from.
    pub from: Serial,
    /// The serial it leads to.
    pub to: Serial,
    /// Offset of the entry in the file.
    offset: u64,
    /// Length of the entry (header included).
    bytes: u64,
}

/// The diffs a served version answers IXFR with, read from the journal file when a client
/// asks. Only the path is kept, not an open file: a server of 10,000 zones would otherwise hold
/// 10,000 descriptors. A compaction since the history was taken moves the entries; a read
/// then finds another entry (or none) where it looks, which the serials tell, and fails.
#[derive(Clone, Default)]
pub struct History {
    /// The journal file (`None`: a zone without a journal).
    path: Option<Arc<Path>>,
    /// The entries, oldest first.
    spans: Arc<[Span]>,
}

impl History {
    /// The entries, oldest first.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The chain of entries leading from `from` to `to`, when the history reaches back that
    /// far and the entries link up (RFC 1995: otherwise the client gets the whole zone).
    pub fn chain(&self, from: Serial, to: Serial) -> Option<&[Span]> {
        let start = self.spans.iter().position(|s| s.from == from)?;
        let chain = &self.spans[start..];
        let linked = chain.windows(2).all(|w| w[0].to == w[1].from);
        let current = chain.last().is_some_and(|s| s.to == to);
        (linked && current).then_some(chain)
    }

    /// Reads the diff of `span` (one of this history's) from the file.
    pub fn read(&self, span: &Span) -> io::Result<Diff> {
        let mut diffs = self.read_all(std::slice::from_ref(span))?;
        diffs.pop().ok_or_else(|| moved(span))
    }

    /// Reads the diffs of `spans` (this history's), opening the file once.
    pub fn read_all(&self, spans: &[Span]) -> io::Result<Vec<Diff>> {
        let path = self
            .path
            .as_ref()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no journal file"))?;
        let file = File::open(path)?;
        spans.iter().map(|span| read_span(&file, span)).collect()
    }
}

/// Reads the entry of `span` from `file`, checking it again (the file is on disk, after all,
/// and may have been compacted since the span was taken).
fn read_span(file: &File, span: &Span) -> io::Result<Diff> {
    let mut data = vec![0u8; span.bytes as usize];
    file.read_exact_at(&mut data, span.offset)
        .map_err(|_| moved(span))?;
    match read_entry(&data) {
        Some((diff, _)) if diff.serial_from() == span.from && diff.serial_to() == span.to => {
            Ok(diff)
        }
        _ => Err(moved(span)),
    }
}

/// The error of a span whose entry is no longer where it was.
fn moved(span: &Span) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "journal entry {} -> {} not where it was (compacted since?)",
            span.from.0, span.to.0
        ),
    )
}

impl Journal {
    /// Opens (or creates) the journal at `path`. Returns the journal and the number of bytes
    /// of torn tail that were cut off (0 normally).
    pub fn open(path: &Path, max_bytes: u64) -> Result<(Self, u64), JournalError> {
        let io_err = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io_err)?;
        }
        let mut data = Vec::new();
        match File::open(path) {
            Ok(mut f) => {
                f.read_to_end(&mut data).map_err(io_err)?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(e)),
        }
        let mut entries = VecDeque::new();
        let mut pos = 0usize;
        while let Some(span) = scan_entry(&data[pos..], pos as u64) {
            pos += span.bytes as usize;
            entries.push_back(span);
        }
        let cut = (data.len() - pos) as u64;
        if cut > 0 {
            let f = OpenOptions::new().write(true).open(path).map_err(io_err)?;
            f.set_len(pos as u64).map_err(io_err)?;
            f.sync_all().map_err(io_err)?;
        }
        let journal = Self {
            path: Arc::from(path),
            entries,
            size: pos as u64,
            max_bytes,
            compact_error: None,
        };
        Ok((journal, cut))
    }

    /// Appends `diff` durably, then drops the oldest entries if the file grew too large.
    pub fn append(&mut self, diff: &Diff) -> Result<(), JournalError> {
        let io_err = |source| JournalError::Io {
            path: self.path.to_path_buf(),
            source,
        };
        let bytes = encode_entry(diff);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io_err)?;
        if let Err(e) = f.write_all(&bytes).and_then(|()| f.sync_data()) {
            // A full disk may have taken part of the entry: cut the file back to the entries
            // it had, or the next append would land behind a torn one and be lost with it at
            // the next open. (Best effort: a torn tail left here is cut at the next open.)
            let _ = f.set_len(self.size).and_then(|()| f.sync_data());
            return Err(io_err(e));
        }
        self.entries.push_back(Span {
            from: diff.serial_from(),
            to: diff.serial_to(),
            offset: self.size,
            bytes: bytes.len() as u64,
        });
        self.size += bytes.len() as u64;
        if self.size > self.max_bytes && self.entries.len() > 1 {
            // The entry is durable: a failed compaction (a full disk) leaves the file whole,
            // only larger, and is tried again at the next append.
            if let Err(e) = self.compact() {
                self.compact_error = Some(e);
            }
        }
        Ok(())
    }

    /// Why the last compaction failed, once (the caller logs it).
    pub fn take_compact_error(&mut self) -> Option<JournalError> {
        self.compact_error.take()
    }

    /// Rewrites the file keeping the newest entries that fit in half the bound (their bytes
    /// copied as they are).
    fn compact(&mut self) -> Result<(), JournalError> {
        let io_err = |source| JournalError::Io {
            path: self.path.to_path_buf(),
            source,
        };
        let mut size = self.size;
        let mut drop = 0;
        while size > self.max_bytes / 2 && self.entries.len() - drop > 1 {
            size -= self.entries[drop].bytes;
            drop += 1;
        }
        let start = self.size - size;
        let mut tail = vec![0u8; size as usize];
        File::open(&self.path)
            .and_then(|f| f.read_exact_at(&mut tail, start))
            .map_err(io_err)?;
        crate::fs::write_atomic(&self.path, &tail, 0o644)?;
        self.entries.drain(..drop);
        for span in &mut self.entries {
            span.offset -= start;
        }
        self.size = size;
        Ok(())
    }

    /// The chain of diffs leading from `serial` to the newest version, read from the file, or
    /// `None` when the journal does not reach back to `serial` or cannot be read.
    pub fn diffs_from(&self, serial: Serial) -> Option<Vec<Diff>> {
        let history = self.history();
        let last = self.last_serial()?;
        let chain = history.chain(serial, last)?;
        history.read_all(chain).ok()
    }

    /// Every entry, for a served version to answer IXFR with.
    pub fn history(&self) -> History {
        History {
            path: Some(Arc::clone(&self.path)),
            spans: self.entries.iter().copied().collect(),
        }
    }

    /// The serial of the newest entry.
    pub fn last_serial(&self) -> Option<Serial> {
        self.entries.back().map(|e| e.to)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the journal holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Size of the file in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// One entry in file form.
fn encode_entry(diff: &Diff) -> Vec<u8> {
    let mut payload = Vec::new();
    encode_record(&mut payload, &diff.soa_from);
    encode_record(&mut payload, &diff.soa_to);
    for list in [&diff.removed, &diff.added] {
        payload.extend_from_slice(&(list.len() as u32).to_be_bytes());
        for r in list {
            encode_record(&mut payload, r);
        }
    }
    let mut out = Vec::with_capacity(payload.len() + 12);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_be_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Reads the entry at the start of `data`, with its total length; `None` at the end or at a
/// torn or damaged entry.
fn read_entry(data: &[u8]) -> Option<(Diff, usize)> {
    let payload = checked_payload(data)?;
    let len = payload.len();
    let mut d = BinDecoder::new(payload);
    let soa_from = decode_record(&mut d)?;
    let soa_to = decode_record(&mut d)?;
    let mut lists = [Vec::new(), Vec::new()];
    for list in &mut lists {
        let n = d.read_u32().ok()?.unverified();
        for _ in 0..n {
            list.push(decode_record(&mut d)?);
        }
    }
    let [removed, added] = lists;
    Some((
        Diff {
            soa_from,
            soa_to,
            removed,
            added,
        },
        HEADER + len,
    ))
}

/// Checks the entry at the start of `data` (at `offset` in the file) and reads its serials,
/// without decoding its records; `None` at the end or at a torn or damaged entry.
fn scan_entry(data: &[u8], offset: u64) -> Option<Span> {
    let payload = checked_payload(data)?;
    let mut d = BinDecoder::new(payload);
    let from = crate::serial::soa_serial(&decode_record(&mut d)?);
    let to = crate::serial::soa_serial(&decode_record(&mut d)?);
    Some(Span {
        from,
        to,
        offset,
        bytes: (HEADER + payload.len()) as u64,
    })
}

/// The payload of the entry at the start of `data` once its magic, length and CRC check out.
fn checked_payload(data: &[u8]) -> Option<&[u8]> {
    if data.get(..4)? != MAGIC {
        return None;
    }
    let len = u32::from_be_bytes(data.get(4..8)?.try_into().ok()?) as usize;
    let crc = u32::from_be_bytes(data.get(8..HEADER)?.try_into().ok()?);
    let payload = data.get(HEADER..HEADER + len)?;
    (crc32fast::hash(payload) == crc).then_some(payload)
}

/// Appends owner, type, class, TTL, rdlength and rdata.
pub(crate) fn encode_record(out: &mut Vec<u8>, r: &Record) {
    out.extend_from_slice(&r.owner.to_bytes().unwrap_or_else(|_| vec![0]));
    out.extend_from_slice(&u16::from(r.rtype).to_be_bytes());
    out.extend_from_slice(&u16::from(r.class).to_be_bytes());
    out.extend_from_slice(&r.ttl.0.to_be_bytes());
    out.extend_from_slice(&(r.rdata.as_bytes().len() as u16).to_be_bytes());
    out.extend_from_slice(r.rdata.as_bytes());
}

/// Reads what [`encode_record`] wrote.
pub(crate) fn decode_record(d: &mut BinDecoder<'_>) -> Option<Record> {
    let owner = Name::read(d).ok()?;
    let rtype = Rtype::from(d.read_u16().ok()?.unverified());
    let class = Class::from(d.read_u16().ok()?.unverified());
    let ttl = Ttl(d.read_u32().ok()?.unverified());
    let len = d.read_u16().ok()?.unverified() as usize;
    let rdata = d.read_slice(len).ok()?.unverified().to_vec();
    Some(Record {
        owner,
        rtype,
        class,
        ttl,
        rdata: Rdata::from(rdata),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::str::FromStr;

    fn soa(serial: u32) -> Record {
        let mut rd = b"\x02ns\x00\x02hm\x00".to_vec();
        for x in [serial, 1, 2, 3, 4] {
            rd.extend_from_slice(&x.to_be_bytes());
        }
        Record {
            owner: Name::from_str("Example.").unwrap(),
            rtype: Rtype::SOA,
            class: Class::IN,
            ttl: Ttl(60),
            rdata: Rdata(rd.into()),
        }
    }

    fn diff(from: u32, to: u32) -> Diff {
        let a = Record {
            owner: Name::from_str(&format!("h{to}.example.")).unwrap(),
            rtype: Rtype::A,
            class: Class::IN,
            ttl: Ttl(60),
            rdata: Rdata(vec![192, 0, 2, to as u8].into()),
        };
        Diff {
            soa_from: soa(from),
            soa_to: soa(to),
            removed: vec![],
            added: vec![a],
        }
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("daned-journal-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir.join("example.jnl")
    }

    #[test]
    fn entries_survive_a_reopen_and_chain_from_any_serial() {
        let path = temp("reopen");
        let (mut j, _) = Journal::open(&path, 1 << 20).unwrap();
        for s in 1..5 {
            j.append(&diff(s, s + 1)).unwrap();
        }
        let (j, cut) = Journal::open(&path, 1 << 20).unwrap();
        assert_eq!(cut, 0);
        assert_eq!(j.len(), 4);
        assert_eq!(j.diffs_from(Serial(2)).unwrap().len(), 3);
        assert_eq!(j.diffs_from(Serial(2)).unwrap()[0], diff(2, 3));
        assert!(j.diffs_from(Serial(9)).is_none());
        assert_eq!(j.last_serial(), Some(Serial(5)));
    }

    #[test]
    fn a_torn_tail_is_cut_off_and_the_rest_kept() {
        let path = temp("torn");
        let (mut j, _) = Journal::open(&path, 1 << 20).unwrap();
        j.append(&diff(1, 2)).unwrap();
        j.append(&diff(2, 3)).unwrap();
        let full = fs::metadata(&path).unwrap().len();
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(full - 5).unwrap();
        let (j, cut) = Journal::open(&path, 1 << 20).unwrap();
        assert!(cut > 0);
        assert_eq!(j.len(), 1);
        assert_eq!(j.last_serial(), Some(Serial(2)));
    }

    #[test]
    fn the_journal_stays_within_its_bound_dropping_the_oldest() {
        let path = temp("bound");
        let (mut j, _) = Journal::open(&path, 2000).unwrap();
        for s in 1..100 {
            j.append(&diff(s, s + 1)).unwrap();
        }
        assert!(fs::metadata(&path).unwrap().len() <= 2000);
        assert!(j.diffs_from(Serial(1)).is_none(), "oldest dropped");
        assert_eq!(j.last_serial(), Some(Serial(100)));
        let (again, _) = Journal::open(&path, 2000).unwrap();
        assert_eq!(again.len(), j.len());
    }

    #[test]
    fn the_history_is_read_from_the_file() {
        let path = temp("history");
        let (mut j, _) = Journal::open(&path, 1 << 20).unwrap();
        assert!(j.history().is_empty());
        for s in 1..=5 {
            j.append(&diff(s, s + 1)).unwrap();
        }
        let h = j.history();
        assert_eq!(h.len(), 5);
        let chain = h.chain(Serial(4), Serial(6)).unwrap();
        assert_eq!(h.read(&chain[0]).unwrap(), diff(4, 5));
        assert_eq!(h.read(&chain[1]).unwrap(), diff(5, 6));
        assert!(
            h.chain(Serial(0), Serial(6)).is_none(),
            "older: a full transfer"
        );
        assert!(
            h.chain(Serial(4), Serial(7)).is_none(),
            "not the version served"
        );
        // A reopen finds the same entries, and replays them.
        let (again, _) = Journal::open(&path, 1 << 20).unwrap();
        assert_eq!(again.diffs_from(Serial(1)).unwrap().len(), 5);
        assert_eq!(again.history().spans(), j.history().spans());
    }

    #[test]
    fn a_history_taken_before_a_compaction_reads_its_diffs_or_fails_never_a_wrong_one() {
        let path = temp("compact-read");
        let one = encode_entry(&diff(1, 2)).len() as u64;
        let (mut j, _) = Journal::open(&path, one * 4 + one / 2).unwrap();
        for s in 1..=4 {
            j.append(&diff(s, s + 1)).unwrap();
        }
        let before = j.history();
        j.append(&diff(5, 6)).unwrap();
        assert!(j.len() < 5);
        let mut failed = 0;
        for (span, s) in before.spans().iter().zip(1..) {
            match before.read(span) {
                Ok(d) => assert_eq!(d, diff(s, s + 1)),
                Err(_) => failed += 1,
            }
        }
        assert!(failed > 0, "the compaction moved the entries");
        let after = j.history();
        let diffs = after.read_all(after.spans()).unwrap();
        assert_eq!(diffs.last(), Some(&diff(5, 6)));
        assert_eq!(diffs.len(), j.len());
    }

    #[test]
    fn compaction_keeps_the_files_newest_entries() {
        let path = temp("compact-tail");
        let one = encode_entry(&diff(1, 2)).len() as u64;
        // Room for about four entries: the fifth append compacts to half of that.
        let (mut j, _) = Journal::open(&path, one * 4 + one / 2).unwrap();
        for s in 1..=4 {
            j.append(&diff(s, s + 1)).unwrap();
        }
        j.append(&diff(5, 6)).unwrap();
        let kept = j.len();
        assert!(kept < 5, "{kept}");
        let (again, cut) = Journal::open(&path, 1 << 20).unwrap();
        assert_eq!(cut, 0);
        assert_eq!(again.len(), kept);
        assert_eq!(again.last_serial(), Some(Serial(6)));
        let first = 6 - kept as u32;
        assert_eq!(again.diffs_from(Serial(first)).unwrap().len(), kept);
    }
}
