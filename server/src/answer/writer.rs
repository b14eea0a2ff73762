//! Writing a response into a reused buffer: header, echoed question, whole RRsets with owner
//! name compression (RFC 1035 section 4.1.4), truncation (RFC 2181 section 9) and OPT
//! (RFC 6891).
//!
//! Compression targets are found by reading the packet itself: the writer remembers where
//! every literal label it wrote starts and compares candidate suffixes against the bytes there
//! (following pointers), so no name has to be copied or kept alive elsewhere. Owners equal to
//! the question name therefore point at the question and carry the client's case, as they
//! should (RFC 4343 section 4).

use zones::snapshot::{RrsetWire, ZoneSnapshot};

use super::query::Query;

/// The three sections after the question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// Answer.
    Answer = 0,
    /// Authority.
    Authority = 1,
    /// Additional.
    Additional = 2,
}

/// Response codes used here (RFC 1035 section 4.1.1, RFC 6891 section 9).
pub mod rcode {
    /// No error.
    pub const NOERROR: u16 = 0;
    /// Format error.
    pub const FORMERR: u16 = 1;
    /// Name does not exist.
    pub const NXDOMAIN: u16 = 3;
    /// Not implemented.
    pub const NOTIMP: u16 = 4;
    /// Refused.
    pub const REFUSED: u16 = 5;
    /// Name exists when it should not (RFC 6672: DNAME substitution too long).
    pub const YXDOMAIN: u16 = 6;
    /// Not authoritative for the zone (RFC 2136, used for transfers of unknown zones).
    pub const NOTAUTH: u16 = 9;
    /// Bad EDNS version (extended rcode 16).
    pub const BADVERS: u16 = 16;
}

/// Which records of an RRset to write.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    /// The records only.
    DataOnly,
    /// The records and their RRSIGs.
    DataAndSigs,
    /// The RRSIGs only.
    SigsOnly,
}

impl Parts {
    /// The records, and their RRSIGs when `dnssec`.
    fn data(dnssec: bool) -> Self {
        if dnssec {
            Self::DataAndSigs
        } else {
            Self::DataOnly
        }
    }
}

/// How many label offsets the compression table remembers.
const TABLE: usize = 64;

/// A response under construction.
pub struct Writer<'o> {
    /// The buffer (the response is all of it).
    out: &'o mut Vec<u8>,
    /// Size limit for everything but the OPT record.
    limit: usize,
    /// Record counts per section.
    counts: [u16; 3],
    /// Offsets of literal labels already in the packet.
    table: [u16; TABLE],
    /// Used entries of `table`.
    table_len: usize,
    /// Set once something required did not fit.
    truncated: bool,
}

/// The size of the OPT record this server writes (root, type, class, TTL, empty rdata).
pub const OPT_LEN: usize = 11;

impl<'o> Writer<'o> {
    /// Starts a response to `q`: header and echoed question. `limit` is the largest message
    /// the transport allows, OPT included.
    pub fn new(out: &'o mut Vec<u8>, q: &Query<'_>, limit: usize) -> Self {
        out.clear();
        out.extend_from_slice(&q.packet[..q.question_end]);
        out[4..12].copy_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
        let reserve = if q.edns.is_some() { OPT_LEN } else { 0 };
        let mut w = Self {
            out,
            limit: limit.saturating_sub(reserve).max(q.question_end),
            counts: [0; 3],
            table: [0; TABLE],
            table_len: 0,
            truncated: false,
        };
        for &off in q.labels() {
            w.remember(12 + off as usize);
        }
        w
    }

    /// True when an answer or authority RRset did not fit.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// Appends a whole RRset under `owner` (lowercase wire), and its RRSIGs when `dnssec`.
    /// Returns false, writing nothing, when they do not fit; in the answer and authority
    /// sections that sets TC (RFC 2181 section 9: never a partial RRset).
    pub fn rrset(
        &mut self,
        section: Section,
        zone: &ZoneSnapshot,
        owner: &[u8],
        set: &RrsetWire,
        dnssec: bool,
    ) -> bool {
        self.records(section, zone, owner, set, Parts::data(dnssec), None)
    }

    /// Appends the SOA of a negative answer to the authority section, with its RRSIGs when
    /// `dnssec`: the apex SOA, each record written with min(SOA TTL, MINIMUM) (RFC 2308
    /// section 3), since the zone keeps the SOA only once. Nothing when the zone has none.
    pub fn negative_soa(&mut self, zone: &ZoneSnapshot, dnssec: bool) -> bool {
        let Some((soa, ttl)) = zone.negative_soa() else {
            return false;
        };
        let parts = Parts::data(dnssec);
        self.records(
            Section::Authority,
            zone,
            &zone.origin,
            soa,
            parts,
            Some(ttl),
        )
    }

    /// Appends only the RRSIGs of an RRset (the answer to an RRSIG question).
    pub fn signatures(
        &mut self,
        section: Section,
        zone: &ZoneSnapshot,
        owner: &[u8],
        set: &RrsetWire,
    ) -> bool {
        self.records(section, zone, owner, set, Parts::SigsOnly, None)
    }

    /// Appends the records of `set` of `zone` and then (as `parts` says) its RRSIGs, all
    /// under `owner` (and with `ttl` when given), or nothing when they do not fit.
    fn records(
        &mut self,
        section: Section,
        zone: &ZoneSnapshot,
        owner: &[u8],
        set: &RrsetWire,
        parts: Parts,
        ttl: Option<u32>,
    ) -> bool {
        if self.truncated {
            return false;
        }
        let start = self.out.len();
        let mut owner_at: Option<usize> = None;
        let mut written = 0u16;
        if parts != Parts::SigsOnly {
            let wire = set.wire();
            let mut pos = 0;
            while pos + 10 <= wire.len() {
                let rdlen = u16::from_be_bytes([wire[pos + 8], wire[pos + 9]]) as usize;
                let end = (pos + 10 + rdlen).min(wire.len());
                self.record(owner, &mut owner_at, &[&wire[pos..end]], ttl);
                pos = end;
                written += 1;
            }
        }
        if parts != Parts::DataOnly {
            for sig in set.sig_records(&zone.origin, zone.class) {
                let [a, b, c] = sig.parts;
                self.record(owner, &mut owner_at, &[sig.head(), a, b, c], ttl);
                written += 1;
            }
        }
        if self.out.len() > self.limit {
            self.out.truncate(start);
            self.forget_from(start);
            if section != Section::Additional {
                self.truncated = true;
            }
            return false;
        }
        self.counts[section as usize] += written;
        true
    }

    /// Appends one record of an RRset: the owner (a pointer to where `owner_at` says it was
    /// first written, else the name), then `pieces` (type, class, TTL, rdlength, rdata),
    /// with `ttl` when given.
    fn record(
        &mut self,
        owner: &[u8],
        owner_at: &mut Option<usize>,
        pieces: &[&[u8]],
        ttl: Option<u32>,
    ) {
        match *owner_at {
            Some(at) if at < 0x3fff => self
                .out
                .extend_from_slice(&(0xc000 | at as u16).to_be_bytes()),
            _ => {
                let at = self.out.len();
                self.name(owner);
                *owner_at = Some(self.pointer_target(at));
            }
        }
        let at = self.out.len();
        for piece in pieces {
            self.out.extend_from_slice(piece);
        }
        if let (Some(ttl), Some(field)) = (ttl, self.out.get_mut(at + 4..at + 8)) {
            field.copy_from_slice(&ttl.to_be_bytes());
        }
    }

    /// Appends one synthesized record with a single name as rdata (the CNAME of RFC 6672
    /// section 3.1, or a wildcard-expanded CNAME). Returns false when it does not fit.
    pub fn name_record(
        &mut self,
        section: Section,
        owner: &[u8],
        rtype: u16,
        ttl: u32,
        target: &[u8],
    ) -> bool {
        if self.truncated {
            return false;
        }
        let start = self.out.len();
        self.name(owner);
        self.out.extend_from_slice(&rtype.to_be_bytes());
        self.out.extend_from_slice(&1u16.to_be_bytes());
        self.out.extend_from_slice(&ttl.to_be_bytes());
        let len_at = self.out.len();
        self.out.extend_from_slice(&[0, 0]);
        self.name(target);
        let rdlen = (self.out.len() - len_at - 2) as u16;
        self.out[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
        if self.out.len() > self.limit {
            self.out.truncate(start);
            self.forget_from(start);
            if section != Section::Additional {
                self.truncated = true;
            }
            return false;
        }
        self.counts[section as usize] += 1;
        true
    }

    /// Finishes the header and appends OPT when the query had one. `ext_rcode` may exceed 15
    /// (BADVERS); its upper bits go into OPT.
    pub fn finish(self, aa: bool, rcode: u16, edns: Option<bool>) {
        finish_header(self.out, self.counts, aa, self.truncated, rcode, edns);
    }

    /// Writes `name` (lowercase wire), compressed against what the packet already holds.
    fn name(&mut self, name: &[u8]) {
        let mut i = 0;
        while i < name.len() && name[i] != 0 {
            if let Some(target) = self.find(&name[i..]) {
                self.out.extend_from_slice(&(0xc000 | target).to_be_bytes());
                return;
            }
            let here = self.out.len();
            let len = name[i] as usize;
            self.out.extend_from_slice(&name[i..i + 1 + len]);
            self.remember(here);
            i += 1 + len;
        }
        self.out.push(0);
    }

    /// Where a pointer to the name written at `at` should point (the name itself when it was
    /// written literally, or where its own pointer leads).
    fn pointer_target(&self, at: usize) -> usize {
        if self.out[at] & 0xc0 == 0xc0 {
            (u16::from_be_bytes([self.out[at], self.out[at + 1]]) & 0x3fff) as usize
        } else {
            at
        }
    }

    /// Records a literal label start as a compression target.
    fn remember(&mut self, offset: usize) {
        if offset < 0x3fff && self.table_len < TABLE {
            self.table[self.table_len] = offset as u16;
            self.table_len += 1;
        }
    }

    /// Drops compression targets at or after `offset` (after a rolled-back write).
    fn forget_from(&mut self, offset: usize) {
        while self.table_len > 0 && self.table[self.table_len - 1] as usize >= offset {
            self.table_len -= 1;
        }
    }

    /// A packet offset holding a name equal to `suffix`, if any.
    fn find(&self, suffix: &[u8]) -> Option<u16> {
        self.table[..self.table_len]
            .iter()
            .copied()
            .find(|&off| self.out[off as usize] == suffix[0] && equal_at(self.out, off, suffix))
    }
}

/// True when the (possibly compressed) name at `off` in `packet` equals `name` (lowercase
/// uncompressed wire), ignoring ASCII case.
fn equal_at(packet: &[u8], mut off: u16, name: &[u8]) -> bool {
    let mut i = 0;
    let mut hops = 0;
    loop {
        let Some(&len) = packet.get(off as usize) else {
            return false;
        };
        if len & 0xc0 == 0xc0 {
            hops += 1;
            if hops > 16 {
                return false;
            }
            let Some(&lo) = packet.get(off as usize + 1) else {
                return false;
            };
            off = u16::from_be_bytes([len & 0x3f, lo]);
            continue;
        }
        if name.get(i) != Some(&len) {
            return false;
        }
        if len == 0 {
            return true;
        }
        let l = len as usize;
        let Some(theirs) = packet.get(off as usize + 1..off as usize + 1 + l) else {
            return false;
        };
        if !theirs
            .iter()
            .zip(&name[i + 1..i + 1 + l])
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
        {
            return false;
        }
        i += 1 + l;
        off += 1 + len as u16;
    }
}

/// Sets flags, rcode and counts in the header of `out` and appends OPT if `edns` is set
/// (with the DO bit when `edns == Some(true)`, RFC 3225 section 3).
fn finish_header(
    out: &mut Vec<u8>,
    counts: [u16; 3],
    aa: bool,
    tc: bool,
    rcode: u16,
    edns: Option<bool>,
) {
    let mut flags = u16::from_be_bytes([out[2], out[3]]) & 0x7900; // opcode and RD
    flags |= 0x8000; // QR
    flags |= u16::from_be_bytes([out[2], out[3]]) & 0x0010; // CD
    if aa {
        flags |= 0x0400;
    }
    if tc {
        flags |= 0x0200;
    }
    flags |= rcode & 0xf;
    out[2..4].copy_from_slice(&flags.to_be_bytes());
    out[6..8].copy_from_slice(&counts[0].to_be_bytes());
    out[8..10].copy_from_slice(&counts[1].to_be_bytes());
    let mut ar = counts[2];
    if let Some(dnssec_ok) = edns {
        ar += 1;
        let ext = (rcode >> 4) as u8;
        out.extend_from_slice(&[0, 0, 41]);
        out.extend_from_slice(&super::EDNS_UDP_SIZE.to_be_bytes());
        out.extend_from_slice(&[ext, 0, if dnssec_ok { 0x80 } else { 0 }, 0, 0, 0]);
    }
    out[10..12].copy_from_slice(&ar.to_be_bytes());
}

/// A response that carries only a header (and the question, when `question_end > 12`):
/// FORMERR, NOTIMP, REFUSED and the like. `packet` must be at least 12 octets.
pub fn error_reply(
    out: &mut Vec<u8>,
    packet: &[u8],
    question_end: usize,
    rcode: u16,
    edns: Option<bool>,
) {
    out.clear();
    out.extend_from_slice(&packet[..question_end]);
    let qd = u16::from(question_end > 12);
    out[4..6].copy_from_slice(&qd.to_be_bytes());
    finish_header(out, [0; 3], false, false, rcode, edns);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_through_pointers_ignoring_case() {
        let mut p = vec![0u8; 12];
        p.extend_from_slice(b"\x03WWW\x07Example\x00");
        p.extend_from_slice(b"\x02mx\xc0\x10");
        assert!(equal_at(&p, 12, b"\x03www\x07example\x00"));
        assert!(equal_at(&p, 25, b"\x02mx\x07example\x00"));
        assert!(!equal_at(&p, 25, b"\x02mx\x03net\x00"));
    }

    #[test]
    fn pointer_loops_do_not_hang() {
        let p = [0xc0u8, 0x00];
        assert!(!equal_at(&p, 0, b"\x01a\x00"));
    }
}
