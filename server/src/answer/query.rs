//! Parsing a query in place: header, question and OPT (RFC 1035 section 4.1, RFC 6891).
//!
//! This runs for every packet on the hot path, so it copies nothing but the question name
//! (lowercased into a stack buffer for the lookup) and never allocates.

/// Why a packet could not be taken as a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// Shorter than a header, or a response: not answered at all.
    Ignore,
    /// Answered with FORMERR (header echoed, no question when it could not be read).
    FormErr,
    /// An opcode this server does not implement: NOTIMP.
    NotImp,
    /// A NOTIFY: daned is a primary, secondaries' NOTIFYs are not for it (REFUSED).
    Notify,
    /// An UPDATE (RFC 2136): handed whole to `crate::update`.
    Update,
}

/// The EDNS facts of a query (RFC 6891 section 6.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edns {
    /// Requestor's UDP payload size.
    pub udp_size: u16,
    /// EDNS version.
    pub version: u8,
    /// The DO bit (RFC 3225).
    pub dnssec_ok: bool,
}

/// A parsed query. Borrowed from the packet it came in.
pub struct Query<'a> {
    /// The whole packet.
    pub packet: &'a [u8],
    /// Message ID.
    pub id: u16,
    /// The opcode.
    pub opcode: u8,
    /// The RD flag, echoed in the response.
    pub rd: bool,
    /// The CD flag, echoed in the response.
    pub cd: bool,
    /// End of the question section (header + question), i.e. what the response echoes.
    pub question_end: usize,
    /// Lowercase wire form of the question name.
    pub qname: [u8; 255],
    /// Length of `qname` in octets.
    pub qname_len: usize,
    /// Offsets of the labels of `qname`, leftmost first (root label excluded).
    pub labels: [u8; 128],
    /// Number of labels in `labels`.
    pub label_count: usize,
    /// Question type.
    pub qtype: u16,
    /// Question class.
    pub qclass: u16,
    /// The OPT record, if present.
    pub edns: Option<Edns>,
    /// Offset of the first additional record that follows OPT, for TSIG later (0 if none).
    pub additional_start: usize,
    /// For IXFR: the serial of the SOA the client sent in the authority section (RFC 1995
    /// section 3).
    pub ixfr_serial: Option<u32>,
    /// True when the additional section holds a TSIG record (RFC 8945): the query then takes
    /// the authenticated path.
    pub tsig: bool,
}

impl Query<'_> {
    /// The lowercase wire question name.
    pub fn qname(&self) -> &[u8] {
        &self.qname[..self.qname_len]
    }

    /// Label offsets of the question name.
    pub fn labels(&self) -> &[u8] {
        &self.labels[..self.label_count]
    }
}

/// Reads a big-endian u16 at `pos`.
fn u16_at(b: &[u8], pos: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(pos)?, *b.get(pos + 1)?]))
}

/// Parses the fixed header far enough to know whether and how to answer.
pub fn parse(packet: &[u8]) -> Result<Query<'_>, QueryError> {
    if packet.len() < 12 {
        return Err(QueryError::Ignore);
    }
    let flags = u16::from_be_bytes([packet[2], packet[3]]);
    if flags & 0x8000 != 0 {
        return Err(QueryError::Ignore);
    }
    let opcode = ((flags >> 11) & 0xf) as u8;
    let mut q = Query {
        packet,
        id: u16::from_be_bytes([packet[0], packet[1]]),
        opcode,
        rd: flags & 0x0100 != 0,
        cd: flags & 0x0010 != 0,
        question_end: 12,
        qname: [0; 255],
        qname_len: 0,
        labels: [0; 128],
        label_count: 0,
        qtype: 0,
        qclass: 0,
        edns: None,
        additional_start: 0,
        ixfr_serial: None,
        tsig: false,
    };
    if opcode == 5 {
        return Err(QueryError::Update);
    }
    let qdcount = u16_at(packet, 4).unwrap_or(0);
    let ancount = u16_at(packet, 6).unwrap_or(0);
    let nscount = u16_at(packet, 8).unwrap_or(0);
    let arcount = u16_at(packet, 10).unwrap_or(0);
    if qdcount != 1 {
        return Err(if opcode == 0 {
            QueryError::FormErr
        } else {
            QueryError::NotImp
        });
    }
    // Question name: no compression pointers in a question (nothing precedes it to point to).
    let mut pos = 12;
    loop {
        let len = *packet.get(pos).ok_or(QueryError::FormErr)? as usize;
        if len & 0xc0 != 0 {
            return Err(QueryError::FormErr);
        }
        if len == 0 {
            if q.qname_len + 1 > 255 {
                return Err(QueryError::FormErr);
            }
            q.qname[q.qname_len] = 0;
            q.qname_len += 1;
            pos += 1;
            break;
        }
        let label = packet
            .get(pos + 1..pos + 1 + len)
            .ok_or(QueryError::FormErr)?;
        if q.qname_len + 1 + len + 1 > 255 || q.label_count >= 127 {
            return Err(QueryError::FormErr);
        }
        q.labels[q.label_count] = q.qname_len as u8;
        q.label_count += 1;
        q.qname[q.qname_len] = len as u8;
        for (d, s) in q.qname[q.qname_len + 1..q.qname_len + 1 + len]
            .iter_mut()
            .zip(label)
        {
            *d = s.to_ascii_lowercase();
        }
        q.qname_len += 1 + len;
        pos += 1 + len;
    }
    q.qtype = u16_at(packet, pos).ok_or(QueryError::FormErr)?;
    q.qclass = u16_at(packet, pos + 2).ok_or(QueryError::FormErr)?;
    pos += 4;
    q.question_end = pos;
    match opcode {
        0 => {}
        4 => return Err(QueryError::Notify),
        _ => return Err(QueryError::NotImp),
    }
    if ancount != 0 {
        return Err(QueryError::FormErr);
    }
    match (nscount, q.qtype) {
        (0, _) => {}
        // RFC 1995 section 3: an IXFR carries the client's SOA in the authority section.
        (1, 251) => {
            pos = skip_name(packet, pos).ok_or(QueryError::FormErr)?;
            let rtype = u16_at(packet, pos).ok_or(QueryError::FormErr)?;
            let rdlen = u16_at(packet, pos + 8).ok_or(QueryError::FormErr)? as usize;
            let rdata = pos + 10;
            let end = rdata + rdlen;
            if rtype != 6 || end > packet.len() {
                return Err(QueryError::FormErr);
            }
            let after_mname = skip_name(packet, rdata).ok_or(QueryError::FormErr)?;
            let after_rname = skip_name(packet, after_mname).ok_or(QueryError::FormErr)?;
            if after_rname + 20 > end {
                return Err(QueryError::FormErr);
            }
            let serial = &packet[after_rname..after_rname + 4];
            q.ixfr_serial = Some(u32::from_be_bytes([
                serial[0], serial[1], serial[2], serial[3],
            ]));
            pos = end;
        }
        _ => return Err(QueryError::FormErr),
    }
    // Additional section: at most one OPT (RFC 6891 section 6.1.1), which must have the root
    // as owner.
    for _ in 0..arcount {
        let rr_start = pos;
        pos = skip_name(packet, pos).ok_or(QueryError::FormErr)?;
        let rtype = u16_at(packet, pos).ok_or(QueryError::FormErr)?;
        let class = u16_at(packet, pos + 2).ok_or(QueryError::FormErr)?;
        let ttl_hi = u16_at(packet, pos + 4).ok_or(QueryError::FormErr)?;
        let ttl_lo = u16_at(packet, pos + 6).ok_or(QueryError::FormErr)?;
        let rdlen = u16_at(packet, pos + 8).ok_or(QueryError::FormErr)? as usize;
        let end = pos + 10 + rdlen;
        if end > packet.len() {
            return Err(QueryError::FormErr);
        }
        if rtype == 41 {
            if q.edns.is_some() || packet[rr_start] != 0 {
                return Err(QueryError::FormErr);
            }
            q.edns = Some(Edns {
                udp_size: class,
                version: (ttl_hi & 0xff) as u8,
                dnssec_ok: ttl_lo & 0x8000 != 0,
            });
        } else {
            if q.additional_start == 0 {
                q.additional_start = rr_start;
            }
            q.tsig |= rtype == 250;
        }
        pos = end;
    }
    Ok(q)
}

/// Skips a possibly compressed name, returning the offset after it in the record.
fn skip_name(b: &[u8], mut pos: usize) -> Option<usize> {
    let mut total = 0usize;
    loop {
        let len = *b.get(pos)? as usize;
        match len & 0xc0 {
            0x00 if len == 0 => return Some(pos + 1),
            0x00 => {
                total += len + 1;
                if total > 255 {
                    return None;
                }
                pos += 1 + len;
            }
            0xc0 => {
                b.get(pos + 1)?;
                return Some(pos + 2);
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &[u8], qtype: u16, extra: &[u8], arcount: u16) -> Vec<u8> {
        let mut p = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0];
        p.extend_from_slice(&arcount.to_be_bytes());
        p.extend_from_slice(name);
        p.extend_from_slice(&qtype.to_be_bytes());
        p.extend_from_slice(&1u16.to_be_bytes());
        p.extend_from_slice(extra);
        p
    }

    const OPT_DO: &[u8] = &[0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0];

    #[test]
    fn question_name_is_lowercased_with_label_offsets() {
        let p = query(b"\x03WwW\x07Example\x00", 1, &[], 0);
        let q = parse(&p).unwrap();
        assert_eq!(q.qname(), b"\x03www\x07example\x00");
        assert_eq!(q.labels(), &[0, 4]);
        assert_eq!(q.qtype, 1);
        assert!(q.rd);
    }

    #[test]
    fn opt_gives_size_version_and_do() {
        let p = query(b"\x00", 6, OPT_DO, 1);
        let e = parse(&p).unwrap().edns.unwrap();
        assert_eq!(
            e,
            Edns {
                udp_size: 1232,
                version: 0,
                dnssec_ok: true
            }
        );
    }

    #[test]
    fn two_opt_records_are_a_format_error() {
        let mut extra = OPT_DO.to_vec();
        extra.extend_from_slice(OPT_DO);
        assert_eq!(
            parse(&query(b"\x00", 6, &extra, 2)).err(),
            Some(QueryError::FormErr)
        );
    }

    #[test]
    fn pointers_and_overlong_names_in_the_question_are_format_errors() {
        assert_eq!(
            parse(&query(b"\xc0\x0c", 1, &[], 0)).err(),
            Some(QueryError::FormErr)
        );
        let mut long = Vec::new();
        for _ in 0..5 {
            long.push(63);
            long.extend_from_slice(&[b'a'; 63]);
        }
        long.push(0);
        assert_eq!(
            parse(&query(&long, 1, &[], 0)).err(),
            Some(QueryError::FormErr)
        );
    }

    #[test]
    fn responses_and_short_packets_are_ignored() {
        let mut p = query(b"\x00", 1, &[], 0);
        p[2] |= 0x80;
        assert_eq!(parse(&p).err(), Some(QueryError::Ignore));
        assert_eq!(parse(&p[..5]).err(), Some(QueryError::Ignore));
    }

    #[test]
    fn an_ixfr_query_carries_the_clients_serial() {
        // Authority: example. SOA with compressed names pointing at the question.
        let mut auth = vec![
            0xc0, 0x0c, 0, 6, 0, 1, 0, 0, 0, 0, 0, 24, 0xc0, 0x0c, 0xc0, 0x0c,
        ];
        auth.extend_from_slice(&42u32.to_be_bytes());
        auth.extend_from_slice(&[0; 16]);
        let mut p = query(b"\x07example\x00", 251, &auth, 0);
        p[9] = 1; // NSCOUNT
        assert_eq!(parse(&p).unwrap().ixfr_serial, Some(42));
        let mut p = query(b"\x07example\x00", 1, &auth, 0);
        p[9] = 1;
        assert_eq!(
            parse(&p).err(),
            Some(QueryError::FormErr),
            "authority only for IXFR"
        );
    }

    #[test]
    fn truncated_additional_section_is_a_format_error() {
        let p = query(b"\x00", 6, &OPT_DO[..6], 1);
        assert_eq!(parse(&p).err(), Some(QueryError::FormErr));
    }
}
