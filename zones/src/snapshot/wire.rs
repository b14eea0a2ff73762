//! The wire form of names and RRsets as the snapshot stores them, and canonical name order
//! (RFC 4034 section 6.1).

use super::node::{NSEC3_LABEL_LEN, Nsec3Hash, RrsetWire};
use crate::record::{Name, Rtype};
use crate::zone::{Rrset, RrsetKey};

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

/// The names strictly between `key` and the zone's `origin` (both lowercase wire), nearest
/// first: the empty non-terminals `key` implies, and the ancestors that may cut above it.
pub fn ancestors<'k>(key: &'k [u8], origin: &[u8]) -> impl Iterator<Item = &'k [u8]> + 'k {
    let origin_len = origin.len();
    let mut off = 0usize;
    core::iter::from_fn(move || {
        off += 1 + *key.get(off)? as usize;
        (off < key.len() && key.len() - off > origin_len).then(|| &key[off..])
    })
}

/// The RRsets at one owner, from its entries in the zone (in key order): every type but
/// RRSIG, sorted by type, each with the RRSIGs that cover it; additional targets left empty.
pub fn owner_rrsets<'z>(
    entries: impl Iterator<Item = (&'z RrsetKey, &'z Rrset)>,
    class: u16,
    origin: &[u8],
) -> Vec<RrsetWire> {
    let rrsig = u16::from(Rtype::RRSIG);
    let mut data: Vec<&Rrset> = Vec::new();
    let mut sigs: Vec<(u16, &Rrset)> = Vec::new();
    for ((_, rtype, covered), set) in entries {
        if *rtype == rrsig {
            sigs.push((*covered, set));
        } else {
            data.push(set);
        }
    }
    data.iter()
        .map(|set| {
            let rtype = u16::from(set.rtype);
            let covering = sigs.iter().find(|(c, _)| *c == rtype).map(|(_, s)| *s);
            rrset_wire(set, class, set.ttl.as_secs(), covering, origin)
        })
        .collect()
}

/// The wire blob of an RRset and of its signatures, all with TTL `ttl`.
pub fn rrset_wire(
    set: &Rrset,
    class: u16,
    ttl: u32,
    sigs: Option<&Rrset>,
    origin: &[u8],
) -> RrsetWire {
    let rtype = u16::from(set.rtype);
    let mut wire = Vec::new();
    for rd in &set.rdatas {
        push_rr_tail(&mut wire, rtype, class, ttl, rd.as_bytes());
    }
    let mut sig_wire = Vec::new();
    for rd in sigs.iter().flat_map(|s| &s.rdatas) {
        push_rr_tail(
            &mut sig_wire,
            u16::from(Rtype::RRSIG),
            class,
            ttl,
            rd.as_bytes(),
        );
    }
    RrsetWire::new(
        rtype,
        ttl,
        set.rdatas.len() as u16,
        &wire,
        &sig_wire,
        origin,
    )
}

/// Appends type, class, TTL, rdlength and rdata.
fn push_rr_tail(out: &mut Vec<u8>, rtype: u16, class: u16, ttl: u32, rdata: &[u8]) {
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&class.to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
}

/// The rdata of each record of an RRset blob.
pub fn rdatas(wire: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    let mut pos = 0usize;
    core::iter::from_fn(move || {
        let len = u16::from_be_bytes([*wire.get(pos + 8)?, *wire.get(pos + 9)?]) as usize;
        let rdata = wire.get(pos + 10..pos + 10 + len)?;
        pos += 10 + len;
        Some(rdata)
    })
}

/// The serial and MINIMUM fields of an SOA RRset.
pub fn soa_serial_minimum(soa: &Rrset) -> (u32, u32) {
    let Some(b) = soa.rdatas.first().map(|r| r.as_bytes()) else {
        return (0, 0);
    };
    if b.len() < 20 {
        return (0, 0);
    }
    let f = &b[b.len() - 20..];
    (
        u32::from_be_bytes([f[0], f[1], f[2], f[3]]),
        u32::from_be_bytes([f[16], f[17], f[18], f[19]]),
    )
}

/// The raw hash of an NSEC3 owner (its first label, base32hex-decoded, RFC 5155 section 3),
/// when the owner is a SHA-1 hash label directly under `origin`: the only NSEC3 records a
/// chain can hold (lowercase wire names both).
pub fn nsec3_owner_hash(key: &[u8], origin: &[u8]) -> Option<Nsec3Hash> {
    let len = *key.first()? as usize;
    if len != NSEC3_LABEL_LEN || key.get(1 + len..)? != origin {
        return None;
    }
    let hash = data_encoding::BASE32HEX_NOPAD
        .decode(&key[1..1 + len].to_ascii_uppercase())
        .ok()?;
    hash.try_into().ok()
}

/// Canonical DNS name order (RFC 4034 section 6.1) of two lowercase wire names: labels
/// compared from the rightmost as octet strings, fewer labels first.
pub fn canonical_cmp(a: &[u8], b: &[u8]) -> core::cmp::Ordering {
    let mut la = [0u8; 128];
    let mut lb = [0u8; 128];
    let na = label_offsets(a, &mut la);
    let nb = label_offsets(b, &mut lb);
    for i in 1..=na.min(nb) {
        let x = label_at(a, la[na - i]);
        let y = label_at(b, lb[nb - i]);
        match x.cmp(y) {
            core::cmp::Ordering::Equal => {}
            other => return other,
        }
    }
    na.cmp(&nb)
}

/// Fills `out` with the offsets of the labels of `name` (root excluded), returning the count.
pub fn label_offsets(name: &[u8], out: &mut [u8; 128]) -> usize {
    let mut n = 0;
    let mut off = 0usize;
    while off < name.len() && name[off] != 0 && n < 128 {
        out[n] = off as u8;
        n += 1;
        off += 1 + name[off] as usize;
    }
    n
}

/// The label text at `off`.
fn label_at(name: &[u8], off: u8) -> &[u8] {
    let off = off as usize;
    let len = name[off] as usize;
    name.get(off + 1..off + 1 + len).unwrap_or_default()
}
