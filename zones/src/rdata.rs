//! Facts about domain names embedded in record data (RFC 1035 section 3.3, RFC 3597 section 4,
//! RFC 4034 section 6.2).
//!
//! The zone keeps rdata in uncompressed wire form. Three consumers need to know where names
//! sit inside it: the answer writer (which may compress the names of the RFC 1035 types only,
//! RFC 3597 section 4), additional-section processing (targets of NS, MX and SRV), and the
//! signer (which lowercases the names of the types RFC 4034 section 6.2 lists, as amended by
//! RFC 6840 section 5.1). All three ask this module, so the type list lives in one place.

use core::ops::Range;

use crate::record::Rtype;

/// Length of the uncompressed wire name that starts at `pos`, or `None` when the bytes do not
/// hold a complete name there.
pub fn name_len_at(buf: &[u8], pos: usize) -> Option<usize> {
    let mut p = pos;
    loop {
        let len = *buf.get(p)? as usize;
        if len & 0xc0 != 0 {
            return None;
        }
        p += 1 + len;
        if len == 0 {
            return if p - pos <= 255 { Some(p - pos) } else { None };
        }
        if p > buf.len() {
            return None;
        }
    }
}

/// The byte ranges of the names in `rdata` that a server may compress (RFC 3597 section 4:
/// only the types of RFC 1035). At most two (SOA has MNAME and RNAME).
pub fn compressible_names(rtype: Rtype, rdata: &[u8]) -> [Option<Range<usize>>; 2] {
    let at = |pos: usize| name_len_at(rdata, pos).map(|l| pos..pos + l);
    match rtype {
        Rtype::NS | Rtype::CNAME | Rtype::PTR => [at(0), None],
        Rtype::MX => [at(2), None],
        Rtype::SOA => {
            let m = at(0);
            let r = m.as_ref().and_then(|m| at(m.end));
            [m, r]
        }
        _ => [None, None],
    }
}

/// The name whose address records go into the additional section of an answer with this
/// record (RFC 1034 section 4.3.2 step 6 for NS and MX, RFC 2782 for SRV).
pub fn additional_target(rtype: Rtype, rdata: &[u8]) -> Option<Range<usize>> {
    let at = |pos: usize| name_len_at(rdata, pos).map(|l| pos..pos + l);
    match rtype {
        Rtype::NS => at(0),
        Rtype::MX => at(2),
        Rtype::SRV => at(6),
        _ => None,
    }
}

/// The byte ranges of every name that the canonical form lowercases (RFC 4034 section 6.2
/// list, without NSEC per RFC 6840 section 5.1; RRSIG's signer name is included).
pub fn canonical_names(rtype: Rtype, rdata: &[u8]) -> Vec<Range<usize>> {
    let at = |pos: usize| name_len_at(rdata, pos).map(|l| pos..pos + l);
    let code = u16::from(rtype);
    let one = |r: Option<Range<usize>>| r.into_iter().collect::<Vec<_>>();
    match code {
        // NS MD MF CNAME MB MG MR PTR DNAME
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 39 => one(at(0)),
        // SOA, MINFO, RP: two names back to back
        6 | 14 | 17 => {
            let a = at(0);
            let b = a.as_ref().and_then(|a| at(a.end));
            a.into_iter().chain(b).collect()
        }
        // MX AFSDB RT KX: preference then name
        15 | 18 | 21 | 36 => one(at(2)),
        // PX: preference, MAP822, MAPX400
        26 => {
            let a = at(2);
            let b = a.as_ref().and_then(|a| at(a.end));
            a.into_iter().chain(b).collect()
        }
        // SRV: priority weight port target
        33 => one(at(6)),
        // RRSIG / SIG: signer's name after 18 octets of fixed fields
        46 | 24 => one(at(18)),
        // NAPTR: order pref flags service regexp replacement
        35 => {
            let mut p = 4;
            for _ in 0..3 {
                match rdata.get(p) {
                    Some(&l) => p += 1 + l as usize,
                    None => return Vec::new(),
                }
            }
            one(at(p))
        }
        _ => Vec::new(),
    }
}

/// `rdata` in canonical form: embedded names of the listed types lowercased.
pub fn to_canonical(rtype: Rtype, rdata: &[u8]) -> Vec<u8> {
    let mut out = rdata.to_vec();
    for range in canonical_names(rtype, rdata) {
        out[range].make_ascii_lowercase();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mx_target_is_found_after_the_preference() {
        let rdata = b"\x00\x0a\x03mx1\x07example\x03com\x00";
        assert_eq!(additional_target(Rtype::MX, rdata), Some(2..rdata.len()));
    }

    #[test]
    fn soa_has_two_compressible_names() {
        let mut rdata = b"\x02ns\x00\x04host\x00".to_vec();
        rdata.extend_from_slice(&[0; 20]);
        let [m, r] = compressible_names(Rtype::SOA, &rdata);
        assert_eq!(m, Some(0..4));
        assert_eq!(r, Some(4..10));
    }

    #[test]
    fn truncated_names_are_not_names() {
        assert_eq!(name_len_at(b"\x03ab", 0), None);
        assert_eq!(name_len_at(b"\xc0\x0c", 0), None);
    }

    #[test]
    fn canonical_form_lowercases_srv_target_but_not_txt() {
        let srv = b"\x00\x01\x00\x02\x00\x19\x02MX\x00";
        assert_eq!(
            to_canonical(Rtype::SRV, srv),
            b"\x00\x01\x00\x02\x00\x19\x02mx\x00"
        );
        assert_eq!(to_canonical(Rtype::TXT, b"\x02AB"), b"\x02AB");
    }
}
