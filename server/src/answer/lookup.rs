//! The authoritative lookup of RFC 1034 section 4.3.2 over one zone snapshot, with the
//! negative answers of RFC 2308, wildcards (RFC 4592), DNAME (RFC 6672) and minimal ANY
//! (RFC 8482).
//!
//! The walk starts at the question name and may restart at CNAME targets (in-zone chains are
//! followed, RFC 1034 step 3.a), at most [`MAX_CHAIN`] times, which also ends loops. The rcode
//! of a chain is the one of its last name (RFC 6604 section 2).

use zones::snapshot::{Denial, Node, NodeId, RrsetWire, ZoneSnapshot};

use super::Transport;
use super::query::Query;
use super::writer::{Section, Writer, rcode};

/// Longest CNAME/DNAME chain followed inside a zone.
pub const MAX_CHAIN: usize = 12;

/// Type codes the lookup treats specially.
mod t {
    /// A.
    pub const A: u16 = 1;
    /// NS.
    pub const NS: u16 = 2;
    /// CNAME.
    pub const CNAME: u16 = 5;
    /// SOA.
    pub const SOA: u16 = 6;
    /// AAAA.
    pub const AAAA: u16 = 28;
    /// DNAME.
    pub const DNAME: u16 = 39;
    /// DS.
    pub const DS: u16 = 43;
    /// RRSIG.
    pub const RRSIG: u16 = 46;
    /// NSEC.
    pub const NSEC: u16 = 47;
    /// ANY.
    pub const ANY: u16 = 255;
}

/// How the response's header must read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "the header flags come from the verdict"]
pub struct Verdict {
    /// The AA flag.
    pub authoritative: bool,
    /// The rcode.
    pub rcode: u16,
    /// The wildcard node the answer was synthesised from (RFC 4592), if any: response rate
    /// limiting accounts wildcard answers by the wildcard's name, not by the query name.
    pub wildcard: Option<NodeId>,
}

/// A name being looked up: lowercase wire plus label offsets.
struct Current {
    /// Lowercase wire name.
    name: [u8; 255],
    /// Its length.
    len: usize,
}

impl Current {
    /// The name.
    fn get(&self) -> &[u8] {
        &self.name[..self.len]
    }

    /// Replaces the name with `wire` (already lowercase or not), returning false when it is
    /// not a valid name.
    fn set(&mut self, wire: &[u8]) -> bool {
        if wire.len() > 255 {
            return false;
        }
        self.name[..wire.len()].copy_from_slice(wire);
        self.len = wire.len();
        zones::snapshot::lowercase_wire(&mut self.name[..self.len]);
        true
    }
}

/// What goes into the authority section, collected during the walk and written after the
/// answer section is complete (a CNAME chain may add to both).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    /// The SOA of a negative answer (RFC 2308 section 3).
    Soa,
    /// The NS RRset of a delegation (a referral).
    Ns(NodeId),
    /// The signed DS RRset of a delegation (RFC 4035 section 3.1.4).
    Ds(NodeId),
    /// The NSEC RRset owned by a node (RFC 4035 section 3.1.3).
    Nsec(NodeId),
    /// An NSEC3 record of the chain (RFC 5155 section 7.2).
    Nsec3(u32),
}

/// The sections after the answer, filled while answering and written last.
struct Tail {
    /// Authority items, without duplicates.
    auth: [Auth; 12],
    /// Used entries of `auth`.
    auth_len: usize,
    /// (node, glue allowed) pairs whose A/AAAA go to the additional section.
    additional: [(NodeId, bool); 16],
    /// Used entries of `additional`.
    additional_len: usize,
}

impl Tail {
    /// Queues an authority item once.
    fn auth(&mut self, item: Auth) {
        if self.auth_len < self.auth.len() && !self.auth[..self.auth_len].contains(&item) {
            self.auth[self.auth_len] = item;
            self.auth_len += 1;
        }
    }

    /// Queues the additional-section targets of an RRset.
    fn targets(&mut self, rrset: &RrsetWire, glue: bool) {
        for (node, occluded) in rrset.additional() {
            if (glue || !occluded)
                && self.additional_len < self.additional.len()
                && !self.additional[..self.additional_len]
                    .iter()
                    .any(|&(n, _)| n == node)
            {
                self.additional[self.additional_len] = (node, glue);
                self.additional_len += 1;
            }
        }
    }
}

/// The state of one answer: zone, section writer, whether DNSSEC records go in.
struct Answer<'z, 'w, 'o> {
    /// The zone.
    zone: &'z ZoneSnapshot,
    /// The response.
    w: &'w mut Writer<'o>,
    /// DO was set and the zone is signed.
    dnssec: bool,
    /// Deferred sections.
    tail: Tail,
}

/// The answer to an IXFR over UDP: the zone's SOA alone.
pub fn answer_soa(zone: &ZoneSnapshot, w: &mut Writer<'_>) {
    if let Some(soa) = zone.apex().rrset(t::SOA) {
        let _ = w.rrset(Section::Answer, zone, &zone.origin, soa, false);
    }
}

/// Looks the question up in `zone` and writes answer, authority and additional sections.
pub fn resolve(
    zone: &ZoneSnapshot,
    q: &Query<'_>,
    transport: Transport,
    w: &mut Writer<'_>,
) -> Verdict {
    let mut cur = Current {
        name: [0; 255],
        len: 0,
    };
    cur.set(q.qname());
    let dnssec = q.edns.is_some_and(|e| e.dnssec_ok) && zone.is_signed();
    let tail = Tail {
        auth: [Auth::Soa; 12],
        auth_len: 0,
        additional: [(0, false); 16],
        additional_len: 0,
    };
    let mut a = Answer {
        zone,
        w,
        dnssec,
        tail,
    };
    let mut verdict = Verdict {
        authoritative: true,
        rcode: rcode::NOERROR,
        wildcard: None,
    };
    let qtype = q.qtype;

    // Names already answered for in this chain: a CNAME back to one of them is a loop, which
    // ends the answer as Knot and NSD end it (the records so far, no repetition).
    let mut visited = [0u64; MAX_CHAIN];
    for step in 0..MAX_CHAIN {
        if !in_zone(cur.get(), &zone.origin) {
            break; // a chain that leaves the zone ends here; the resolver continues it
        }
        let here = name_hash(cur.get());
        if visited[..step].contains(&here) {
            break;
        }
        visited[step] = here;
        match find(zone, cur.get()) {
            Found::Exact(id) => {
                let node = zone.node(id);
                if node.delegation && qtype != t::DS {
                    a.referral(id);
                    verdict.authoritative &= step > 0;
                    break;
                }
                match a.answer_at(node, cur.get(), qtype, transport) {
                    Step::Done => break,
                    Step::Follow(target) => {
                        if !cur.set(target) {
                            break;
                        }
                    }
                    Step::NoData => {
                        a.tail.auth(Auth::Soa);
                        a.prove_nodata(id);
                        break;
                    }
                }
            }
            Found::Cut(id) => {
                if zone.node(id).delegation {
                    a.referral(id);
                    verdict.authoritative &= step > 0;
                    break;
                }
                match a.dname(zone.node(id), &mut cur) {
                    Some(rc) => {
                        verdict.rcode = rc;
                        break;
                    }
                    // RFC 6672 section 3.1: a CNAME question is answered by the
                    // synthesized CNAME itself.
                    None if qtype == t::CNAME => break,
                    None => continue,
                }
            }
            Found::Encloser(ce) => {
                let Some(wild) = wildcard(zone, zone.node(ce)) else {
                    verdict.rcode = rcode::NXDOMAIN;
                    a.tail.auth(Auth::Soa);
                    a.prove_nxdomain(cur.get(), ce);
                    break;
                };
                // RFC 4035 section 3.1.3.3: a wildcard answer proves that no closer match
                // exists; RFC 5155 section 7.2.6: by covering the next closer name.
                a.prove_no_closer(cur.get(), ce);
                verdict.wildcard = Some(wild);
                match a.answer_at(zone.node(wild), cur.get(), qtype, transport) {
                    Step::Done => break,
                    Step::Follow(target) => {
                        if !cur.set(target) {
                            break;
                        }
                    }
                    Step::NoData => {
                        a.tail.auth(Auth::Soa);
                        a.prove_wildcard_nodata(ce, wild);
                        break;
                    }
                }
            }
        }
    }

    a.write_tail();
    verdict
}

/// What answering from one node leads to.
enum Step<'z> {
    /// The answer is complete.
    Done,
    /// A CNAME was written; continue at its target.
    Follow(&'z [u8]),
    /// The name has no data of the type (and no CNAME).
    NoData,
}

impl<'z> Answer<'z, '_, '_> {
    /// Answers `qtype` at `owner` from `node` (the name itself, or the wildcard that
    /// synthesizes it, RFC 4592 section 3.3.1).
    fn answer_at(
        &mut self,
        node: &'z Node,
        owner: &[u8],
        qtype: u16,
        transport: Transport,
    ) -> Step<'z> {
        if qtype == t::ANY {
            // RFC 8482 section 4.2: over UDP one RRset is enough; over TCP all of them.
            if node.rrsets.is_empty() {
                return Step::NoData;
            }
            for rrset in node.rrsets.iter() {
                if self
                    .w
                    .rrset(Section::Answer, self.zone, owner, rrset, self.dnssec)
                {
                    self.tail.targets(rrset, false);
                }
                if transport == Transport::Udp {
                    break;
                }
            }
            return Step::Done;
        }
        if qtype == t::RRSIG {
            // RFC 4035 section 3.1.5 leaves RRSIG questions to the server. Like Knot, treat
            // them like ANY (RFC 8482): over UDP the signatures of one RRset, over TCP all.
            let mut any = false;
            for rrset in node.rrsets.iter().filter(|r| r.has_sigs()) {
                any |= self.w.signatures(Section::Answer, self.zone, owner, rrset);
                if transport == Transport::Udp {
                    break;
                }
            }
            return if any { Step::Done } else { Step::NoData };
        }
        if let Some(rrset) = node.rrset(qtype) {
            if self
                .w
                .rrset(Section::Answer, self.zone, owner, rrset, self.dnssec)
            {
                self.tail.targets(rrset, false);
            }
            return Step::Done;
        }
        if let Some(cname) = node.rrset(t::CNAME) {
            if !self
                .w
                .rrset(Section::Answer, self.zone, owner, cname, self.dnssec)
            {
                return Step::Done;
            }
            return match first_rdata(cname.wire()) {
                Some(target) => Step::Follow(target),
                None => Step::Done,
            };
        }
        Step::NoData
    }

    /// A referral to the child zone at `cut` (RFC 1034 section 4.3.2 step 3.b): its NS in
    /// authority with glue in additional, and, when signed, its DS or the proof that there is
    /// none (RFC 4035 section 3.1.4, RFC 5155 section 7.2.7).
    fn referral(&mut self, cut: NodeId) {
        let node = self.zone.node(cut);
        if let Some(ns) = node.rrset(t::NS) {
            self.tail.auth(Auth::Ns(cut));
            self.tail.targets(ns, true);
        }
        if !self.dnssec {
            return;
        }
        if node.rrset(t::DS).is_some() {
            self.tail.auth(Auth::Ds(cut));
        } else {
            self.prove_nodata(cut);
        }
    }

    /// NODATA proof for an existing name (RFC 4035 section 3.1.3.1, RFC 5155 section 7.2.3
    /// and 7.2.4 for empty non-terminals, which have NSEC3 but no NSEC of their own).
    fn prove_nodata(&mut self, id: NodeId) {
        if !self.dnssec {
            return;
        }
        let node = self.zone.node(id);
        match &self.zone.denial {
            Denial::Nsec { .. } => {
                if node.rrset(t::NSEC).is_some() {
                    self.tail.auth(Auth::Nsec(id));
                } else if let Some(cover) = self.zone.nsec_covering(&node.name) {
                    self.tail.auth(Auth::Nsec(cover));
                }
            }
            Denial::Nsec3 { .. } => {
                if let Some(i) = node.nsec3().or_else(|| self.nsec3_index(&node.name, false)) {
                    self.tail.auth(Auth::Nsec3(i));
                }
            }
            Denial::None => {}
        }
    }

    /// NXDOMAIN proof for `name` with closest encloser `ce` (RFC 4035 section 3.1.3.2,
    /// RFC 5155 section 7.2.2): no such name, and no wildcard that could have matched.
    fn prove_nxdomain(&mut self, name: &[u8], ce: NodeId) {
        if !self.dnssec {
            return;
        }
        let mut wild = [0u8; 257];
        let Some(wild) = wildcard_name(&self.zone.node(ce).name, &mut wild) else {
            return;
        };
        match &self.zone.denial {
            Denial::Nsec { .. } => {
                if let Some(c) = self.zone.nsec_covering(name) {
                    self.tail.auth(Auth::Nsec(c));
                }
                if let Some(c) = self.zone.nsec_covering(wild) {
                    self.tail.auth(Auth::Nsec(c));
                }
            }
            Denial::Nsec3 { .. } => {
                self.prove_nodata(ce); // the closest encloser's matching NSEC3
                self.prove_no_closer(name, ce);
                if let Some(i) = self.nsec3_index(wild, true) {
                    self.tail.auth(Auth::Nsec3(i));
                }
            }
            Denial::None => {}
        }
    }

    /// The proof that `name` itself does not exist below closest encloser `ce`: the NSEC
    /// covering it, or the NSEC3 covering the next closer name.
    fn prove_no_closer(&mut self, name: &[u8], ce: NodeId) {
        if !self.dnssec {
            return;
        }
        match &self.zone.denial {
            Denial::Nsec { .. } => {
                if let Some(c) = self.zone.nsec_covering(name) {
                    self.tail.auth(Auth::Nsec(c));
                }
            }
            Denial::Nsec3 { .. } => {
                let next_closer = next_closer(name, &self.zone.node(ce).name);
                if let Some(i) = self.nsec3_index(next_closer, true) {
                    self.tail.auth(Auth::Nsec3(i));
                }
            }
            Denial::None => {}
        }
    }

    /// Wildcard NODATA (RFC 4035 section 3.1.3.4, RFC 5155 section 7.2.5): no closer match,
    /// and the wildcard lacks the type.
    fn prove_wildcard_nodata(&mut self, ce: NodeId, wild: NodeId) {
        if !self.dnssec {
            return;
        }
        if matches!(self.zone.denial, Denial::Nsec3 { .. }) {
            self.prove_nodata(ce);
        }
        self.prove_nodata(wild);
    }

    /// Index of the NSEC3 matching (or, with `cover`, covering) `name`.
    fn nsec3_index(&self, name: &[u8], cover: bool) -> Option<u32> {
        if cover {
            self.zone.nsec3_covering(name)
        } else {
            self.zone.nsec3_matching(name)
        }
    }

    /// DNAME substitution (RFC 6672 section 3.1) for `cur` below the DNAME at `node`: the
    /// DNAME, then a synthesized (unsigned) CNAME, then the walk continues at the new name
    /// (`None`), or an rcode ends it (YXDOMAIN when the new name would be too long).
    fn dname(&mut self, node: &Node, cur: &mut Current) -> Option<u16> {
        let rrset = node.rrset(t::DNAME)?;
        if !self
            .w
            .rrset(Section::Answer, self.zone, &node.name, rrset, self.dnssec)
        {
            return Some(rcode::NOERROR);
        }
        let target = first_rdata(rrset.wire())?;
        let prefix_len = cur.len - node.name.len();
        let new_len = prefix_len + target.len();
        if new_len > 255 {
            return Some(rcode::YXDOMAIN);
        }
        let mut new = [0u8; 255];
        new[..prefix_len].copy_from_slice(&cur.name[..prefix_len]);
        new[prefix_len..new_len].copy_from_slice(target);
        zones::snapshot::lowercase_wire(&mut new[..new_len]);
        if !self.w.name_record(
            Section::Answer,
            cur.get(),
            t::CNAME,
            rrset.ttl,
            &new[..new_len],
        ) {
            return Some(rcode::NOERROR);
        }
        cur.set(&new[..new_len]);
        None
    }

    /// Writes the authority and additional sections.
    fn write_tail(&mut self) {
        let zone = self.zone;
        let mut nsec3_owner = [0; 255];
        for &item in &self.tail.auth[..self.tail.auth_len] {
            let (owner, set): (&[u8], &RrsetWire) = match item {
                Auth::Soa => {
                    self.w.negative_soa(zone, self.dnssec);
                    continue;
                }
                Auth::Ns(id) | Auth::Ds(id) | Auth::Nsec(id) => {
                    let node = zone.node(id);
                    let rtype = match item {
                        Auth::Ns(_) => t::NS,
                        Auth::Ds(_) => t::DS,
                        _ => t::NSEC,
                    };
                    let Some(set) = node.rrset(rtype) else {
                        continue;
                    };
                    (&node.name, set)
                }
                Auth::Nsec3(i) => {
                    let Some(e) = zone.nsec3_entry(i) else {
                        continue;
                    };
                    (e.owner(&zone.origin, &mut nsec3_owner), &e.rrset)
                }
            };
            // NS of a referral is never signed (RFC 4035 section 2.2); the rest is.
            let signed = self.dnssec && !matches!(item, Auth::Ns(_));
            self.w.rrset(Section::Authority, zone, owner, set, signed);
        }
        for &(id, _) in &self.tail.additional[..self.tail.additional_len] {
            let node = zone.node(id);
            for rtype in [t::A, t::AAAA] {
                if let Some(rrset) = node.rrset(rtype) {
                    let signed = self.dnssec && node.cut().is_none();
                    let _ = self
                        .w
                        .rrset(Section::Additional, zone, &node.name, rrset, signed);
                }
            }
        }
    }
}

/// What the walk found for a name.
enum Found {
    /// The name exists (possibly as an empty non-terminal) and is not occluded.
    Exact(NodeId),
    /// A zone cut or DNAME above the name decides the answer.
    Cut(NodeId),
    /// The name does not exist; this is its closest encloser (RFC 5155 section 1.3).
    Encloser(NodeId),
}

/// Finds `name` in `zone`: exact match, or the cut/DNAME above it, or its closest encloser.
fn find(zone: &ZoneSnapshot, name: &[u8]) -> Found {
    if let Some(id) = zone.lookup(name) {
        return match zone.node(id).cut() {
            Some(cut) => Found::Cut(cut),
            None => Found::Exact(id),
        };
    }
    let mut off = 0usize;
    while off < name.len() && name[off] != 0 {
        off += 1 + name[off] as usize;
        let Some(id) = zone.lookup(&name[off..]) else {
            continue;
        };
        let node = zone.node(id);
        if let Some(cut) = node.cut() {
            return Found::Cut(cut);
        }
        if node.delegation || node.rrset(t::DNAME).is_some() {
            return Found::Cut(id);
        }
        return Found::Encloser(id);
    }
    Found::Encloser(0)
}

/// True when `name` is at or below `origin` (both lowercase wire).
fn in_zone(name: &[u8], origin: &[u8]) -> bool {
    if !name.ends_with(origin) {
        return false;
    }
    // The match must start on a label boundary.
    let start = name.len() - origin.len();
    let mut off = 0;
    while off < start {
        off += 1 + name[off] as usize;
    }
    off == start
}

/// `*.<encloser>` written into `buf`.
fn wildcard_name<'b>(encloser: &[u8], buf: &'b mut [u8; 257]) -> Option<&'b [u8]> {
    let len = encloser.len();
    if len + 2 > 255 {
        return None;
    }
    buf[0] = 1;
    buf[1] = b'*';
    buf[2..2 + len].copy_from_slice(encloser);
    Some(&buf[..2 + len])
}

/// The wildcard node `*.<encloser>`, if the zone has one.
fn wildcard(zone: &ZoneSnapshot, encloser: &Node) -> Option<NodeId> {
    let mut buf = [0u8; 257];
    zone.lookup(wildcard_name(&encloser.name, &mut buf)?)
}

/// The next closer name (RFC 5155 section 1.3): the ancestor of `name` with one label more
/// than its closest encloser `ce`.
fn next_closer<'n>(name: &'n [u8], ce: &[u8]) -> &'n [u8] {
    let mut off = 0usize;
    loop {
        let next = off + 1 + name[off] as usize;
        if name.len() - next <= ce.len() || name[off] == 0 {
            return &name[off..];
        }
        off = next;
    }
}

/// A hash of a lowercase wire name, for loop detection.
fn name_hash(name: &[u8]) -> u64 {
    use core::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    name.hash(&mut h);
    h.finish()
}

/// The rdata of the first record of an RRset blob.
fn first_rdata(wire: &[u8]) -> Option<&[u8]> {
    let rdlen = u16::from_be_bytes([*wire.get(8)?, *wire.get(9)?]) as usize;
    wire.get(10..10 + rdlen)
}

#[cfg(test)]
mod tests;
