//! The authoritative lookup of RFC 1034 section 4.3.2 over one zone snapshot, with the
//! negative answers of RFC 2308, wildcards (RFC 4592), DNAME (RFC 6672) and minimal ANY
//! (RFC 8482).
//!
//! The walk starts at the question name and may restart at CNAME targets (in-zone chains are
//! followed, RFC 1034 step 3.a), at most [`MAX_CHAIN`] times, which also ends loops. The rcode
//! of a chain is the one of its last name (RFC 6604 section 2).

use zones::snapshot::{Node, NodeId, RrsetWire, ZoneSnapshot};

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

/// Additional-section work collected while answering and done last.
struct Pending {
    /// (node, glue allowed) pairs whose A/AAAA go to the additional section.
    items: [(NodeId, bool); 16],
    /// Used entries.
    len: usize,
}

impl Pending {
    /// Queues the targets of an RRset.
    fn add(&mut self, rrset: &RrsetWire, glue: bool) {
        for &(node, occluded) in rrset.additional.iter() {
            if (glue || !occluded)
                && self.len < self.items.len()
                && !self.items[..self.len].iter().any(|&(n, _)| n == node)
            {
                self.items[self.len] = (node, glue);
                self.len += 1;
            }
        }
    }
}

/// The answer to an IXFR over UDP: the zone's SOA alone.
pub fn answer_soa(zone: &ZoneSnapshot, w: &mut Writer<'_>) {
    if let Some(soa) = zone.apex().rrset(t::SOA) {
        let _ = w.rrset(Section::Answer, &zone.origin, &soa.wire);
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
    let mut pending = Pending {
        items: [(0, false); 16],
        len: 0,
    };
    let mut verdict = Verdict {
        authoritative: true,
        rcode: rcode::NOERROR,
    };
    let qtype = q.qtype;

    for step in 0..MAX_CHAIN {
        if !in_zone(cur.get(), &zone.origin) {
            break; // a chain that leaves the zone ends here; the resolver continues it
        }
        match find(zone, cur.get()) {
            Found::Exact(id) => {
                let node = zone.node(id);
                if node.delegation && qtype != t::DS {
                    referral(zone, node, w, &mut pending);
                    verdict.authoritative &= step > 0;
                    break;
                }
                if qtype == t::ANY {
                    any(zone, node, cur.get(), transport, w, &mut pending);
                    break;
                }
                if let Some(rrset) = node.rrset(qtype) {
                    if w.rrset(Section::Answer, cur.get(), &rrset.wire) {
                        pending.add(rrset, false);
                    }
                    break;
                }
                if let Some(cname) = node.rrset(t::CNAME) {
                    if !w.rrset(Section::Answer, cur.get(), &cname.wire) {
                        break;
                    }
                    let Some(target) = first_rdata(&cname.wire) else {
                        break;
                    };
                    if !cur.set(target) {
                        break;
                    }
                    continue;
                }
                nodata(zone, w);
                break;
            }
            Found::Cut(id) => {
                let node = zone.node(id);
                if node.delegation {
                    referral(zone, node, w, &mut pending);
                    verdict.authoritative &= step > 0;
                    break;
                }
                match dname(zone, node, &mut cur, w) {
                    Some(rc) => {
                        verdict.rcode = rc;
                        break;
                    }
                    None => continue,
                }
            }
            Found::Encloser(ce) => {
                let node = zone.node(ce);
                let Some(wild) = wildcard(zone, node) else {
                    verdict.rcode = rcode::NXDOMAIN;
                    nodata(zone, w);
                    break;
                };
                let wnode = zone.node(wild);
                if qtype == t::ANY {
                    any(zone, wnode, cur.get(), transport, w, &mut pending);
                    break;
                }
                if let Some(rrset) = wnode.rrset(qtype) {
                    if w.rrset(Section::Answer, cur.get(), &rrset.wire) {
                        pending.add(rrset, false);
                    }
                    break;
                }
                if let Some(cname) = wnode.rrset(t::CNAME) {
                    if !w.rrset(Section::Answer, cur.get(), &cname.wire) {
                        break;
                    }
                    let Some(target) = first_rdata(&cname.wire) else {
                        break;
                    };
                    if !cur.set(target) {
                        break;
                    }
                    continue;
                }
                nodata(zone, w);
                break;
            }
        }
    }

    additional(zone, &pending, w);
    verdict
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
        return match zone.node(id).cut {
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
        if let Some(cut) = node.cut {
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

/// The wildcard node `*.<encloser>`, if the zone has one.
fn wildcard(zone: &ZoneSnapshot, encloser: &Node) -> Option<NodeId> {
    let mut buf = [0u8; 257];
    let len = encloser.name.len();
    if len + 2 > 255 {
        return None;
    }
    buf[0] = 1;
    buf[1] = b'*';
    buf[2..2 + len].copy_from_slice(&encloser.name);
    zone.lookup(&buf[..2 + len])
}

/// A referral to the child zone at `cut` (RFC 1034 section 4.3.2 step 3.b): its NS in
/// authority, glue in additional, no AA.
fn referral(_zone: &ZoneSnapshot, cut: &Node, w: &mut Writer<'_>, pending: &mut Pending) {
    if let Some(ns) = cut.rrset(t::NS)
        && w.rrset(Section::Authority, &cut.name, &ns.wire)
    {
        pending.add(ns, true);
    }
}

/// NODATA and NXDOMAIN: the SOA in authority with the negative TTL (RFC 2308 section 3).
fn nodata(zone: &ZoneSnapshot, w: &mut Writer<'_>) {
    let _ = w.rrset(Section::Authority, &zone.origin, zone.negative_soa());
}

/// ANY (RFC 8482 section 4.2): over UDP one RRset is enough; over TCP everything at the name.
fn any(
    zone: &ZoneSnapshot,
    node: &Node,
    owner: &[u8],
    transport: Transport,
    w: &mut Writer<'_>,
    pending: &mut Pending,
) {
    if node.rrsets.is_empty() {
        nodata(zone, w);
        return;
    }
    for rrset in node.rrsets.iter() {
        if w.rrset(Section::Answer, owner, &rrset.wire) {
            pending.add(rrset, false);
        }
        if transport == Transport::Udp {
            break;
        }
    }
}

/// DNAME substitution (RFC 6672 section 3.1) for `cur` below the DNAME at `node`: the DNAME,
/// then a synthesized CNAME, then the walk continues at the new name (`None`), or an rcode
/// ends it (YXDOMAIN when the new name would be too long).
fn dname(zone: &ZoneSnapshot, node: &Node, cur: &mut Current, w: &mut Writer<'_>) -> Option<u16> {
    let _ = zone;
    let rrset = node.rrset(t::DNAME)?;
    if !w.rrset(Section::Answer, &node.name, &rrset.wire) {
        return Some(rcode::NOERROR);
    }
    let target = first_rdata(&rrset.wire)?;
    let prefix_len = cur.len - node.name.len();
    let new_len = prefix_len + target.len();
    if new_len > 255 {
        return Some(rcode::YXDOMAIN);
    }
    let mut new = [0u8; 255];
    new[..prefix_len].copy_from_slice(&cur.name[..prefix_len]);
    new[prefix_len..new_len].copy_from_slice(target);
    zones::snapshot::lowercase_wire(&mut new[..new_len]);
    if !w.name_record(
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

/// The rdata of the first record of an RRset blob.
fn first_rdata(wire: &[u8]) -> Option<&[u8]> {
    let rdlen = u16::from_be_bytes([*wire.get(8)?, *wire.get(9)?]) as usize;
    wire.get(10..10 + rdlen)
}

/// Writes the queued address records into the additional section.
fn additional(zone: &ZoneSnapshot, pending: &Pending, w: &mut Writer<'_>) {
    for &(id, _) in &pending.items[..pending.len] {
        let node = zone.node(id);
        for rtype in [t::A, t::AAAA] {
            if let Some(rrset) = node.rrset(rtype) {
                let _ = w.rrset(Section::Additional, &node.name, &rrset.wire);
            }
        }
    }
}

#[cfg(test)]
mod tests;
