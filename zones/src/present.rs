//! Presentation format (RFC 1035 section 5.1, RFC 3597 section 5): zones and records as
//! master-file text with absolute names, in the forms ldns and Knot print.
//!
//! The loader reads everything written here, so `parse → write → parse` is the identity on
//! zones. Record data that does not decode as its type is written in RFC 3597 generic form,
//! never dropped and never a panic.

use std::net::{Ipv4Addr, Ipv6Addr};

use data_encoding::{BASE32HEX_NOPAD, BASE64, HEXLOWER};

use crate::master::name::read_name_wire;
use crate::master::svcb;
use crate::quote::quote_bytes;
use crate::record::{Name, Record, Rtype};
use crate::registry::{class_to_text, ds_digest_len, type_to_text};
use crate::zone::Zone;

//------------ Public API ----------------------------------------------------

/// The whole zone as master-file text: the SOA first, then every record in canonical order,
/// one per line.
pub fn write_zone(zone: &Zone) -> String {
    let mut out = String::new();
    let soa_code = u16::from(Rtype::SOA);
    let is_apex_soa = |k: &(Name, u16, u16)| k.1 == soa_code && k.0 == zone.origin.to_lowercase();
    for (_, set) in zone.rrsets.iter().filter(|(k, _)| is_apex_soa(k)) {
        for r in set.records() {
            out.push_str(&record_to_text(&r));
            out.push('\n');
        }
    }
    for (_, set) in zone.rrsets.iter().filter(|(k, _)| !is_apex_soa(k)) {
        for r in set.records() {
            out.push_str(&record_to_text(&r));
            out.push('\n');
        }
    }
    out
}

/// One record as a master-file line (without newline), e.g.
/// `mx1.example.com. 3600 IN MX 10 mx.example.com.`.
pub fn record_to_text(record: &Record) -> String {
    let code = u16::from(record.rtype);
    format!(
        "{} {} {} {} {}",
        name_to_text(&record.owner),
        record.ttl.0,
        class_to_text(u16::from(record.class)),
        type_to_text(code),
        rdata_to_text(code, record.rdata.as_bytes())
    )
}

/// Record data of type `code` in presentation form, RFC 3597 form when it does not decode.
pub fn rdata_to_text(code: u16, rdata: &[u8]) -> String {
    typed_rdata(code, rdata).unwrap_or_else(|| generic_rdata(rdata))
}

/// A name with a trailing dot, special characters escaped (RFC 1035 section 5.1).
pub fn name_to_text(name: &Name) -> String {
    let mut out = String::new();
    for label in name.iter() {
        for &b in label {
            match b {
                b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'$' => {
                    out.push('\\');
                    out.push(b as char);
                }
                0x21..=0x7e => out.push(b as char),
                _ => out.push_str(&format!("\\{b:03}")),
            }
        }
        out.push('.');
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

//------------ Helpers -------------------------------------------------------

/// RFC 3597 section 5 generic form.
fn generic_rdata(rdata: &[u8]) -> String {
    if rdata.is_empty() {
        "\\# 0".into()
    } else {
        format!("\\# {} {}", rdata.len(), HEXLOWER.encode(rdata))
    }
}

/// A reader over wire rdata; every accessor returns `None` on short or bad input.
struct Reader<'a> {
    /// The rdata.
    buf: &'a [u8],
    /// Read position.
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Next `n` octets.
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    /// One octet.
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    /// Two octets, network order.
    fn u16(&mut self) -> Option<u16> {
        let s = self.take(2)?;
        Some(u16::from_be_bytes([s[0], s[1]]))
    }
    /// Four octets, network order.
    fn u32(&mut self) -> Option<u32> {
        let s = self.take(4)?;
        Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    /// An uncompressed name, as text.
    fn name(&mut self) -> Option<String> {
        let (n, end) = read_name_wire(self.buf, self.pos)?;
        self.pos = end;
        Some(name_to_text(&n))
    }
    /// A character-string, quoted.
    fn char_string(&mut self) -> Option<String> {
        let len = self.u8()? as usize;
        Some(quote_bytes(self.take(len)?))
    }
    /// Everything left; `None` when nothing is (the text form needs a field).
    fn rest_nonempty(&mut self) -> Option<&'a [u8]> {
        let s = self.buf.get(self.pos..)?;
        self.pos = self.buf.len();
        (!s.is_empty()).then_some(s)
    }
    /// True when all was read.
    fn done(&self) -> bool {
        self.pos == self.buf.len()
    }
    /// An NSEC/NSEC3 type bitmap (RFC 4034 section 4.1.2), the rest of the rdata, as
    /// mnemonics; `None` when it is not the one encoding of its types (writing those would not
    /// give the same octets back).
    fn type_bitmap(&mut self) -> Option<String> {
        let field = self.buf.get(self.pos..)?;
        let types = crate::bitmap::decode(field).ok()?;
        self.pos = self.buf.len();
        let names: Vec<String> = types.into_iter().map(type_to_text).collect();
        Some(names.join(" "))
    }
}

/// The typed presentation, `None` when the data does not decode as `code` (or `code` has
/// no typed form here; see [`has_typed_form`]).
pub(crate) fn typed_rdata(code: u16, rdata: &[u8]) -> Option<String> {
    let mut r = Reader { buf: rdata, pos: 0 };
    let text = match code {
        1 => {
            let o = r.take(4)?;
            Ipv4Addr::new(o[0], o[1], o[2], o[3]).to_string()
        }
        28 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(r.take(16)?);
            Ipv6Addr::from(o).to_string()
        }
        2 | 5 | 12 | 39 => r.name()?,
        6 => format!(
            "{} {} {} {} {} {} {}",
            r.name()?,
            r.name()?,
            r.u32()?,
            r.u32()?,
            r.u32()?,
            r.u32()?,
            r.u32()?
        ),
        15 => format!("{} {}", r.u16()?, r.name()?),
        13 => format!("{} {}", r.char_string()?, r.char_string()?),
        16 | 99 => {
            let mut parts = vec![r.char_string()?];
            while !r.done() {
                parts.push(r.char_string()?);
            }
            parts.join(" ")
        }
        33 => format!("{} {} {} {}", r.u16()?, r.u16()?, r.u16()?, r.name()?),
        35 => format!(
            "{} {} {} {} {} {}",
            r.u16()?,
            r.u16()?,
            r.char_string()?,
            r.char_string()?,
            r.char_string()?,
            r.name()?
        ),
        257 => {
            let flags = r.u8()?;
            let tag_len = r.u8()? as usize;
            let tag = r.take(tag_len)?;
            if tag.is_empty() || !tag.iter().all(u8::is_ascii_alphanumeric) {
                return None;
            }
            let value = r.buf.get(r.pos..)?;
            r.pos = rdata.len();
            format!(
                "{flags} {} {}",
                String::from_utf8_lossy(tag),
                quote_bytes(value)
            )
        }
        52 | 53 => format!(
            "{} {} {} {}",
            r.u8()?,
            r.u8()?,
            r.u8()?,
            HEXLOWER.encode(r.rest_nonempty()?)
        ),
        44 => format!(
            "{} {} {}",
            r.u8()?,
            r.u8()?,
            HEXLOWER.encode(r.rest_nonempty()?)
        ),
        43 | 59 => {
            let (tag, alg, digest_type) = (r.u16()?, r.u8()?, r.u8()?);
            let digest = r.rest_nonempty()?;
            // A digest of the wrong size would be refused when read back as text.
            if ds_digest_len(digest_type).is_some_and(|l| l != digest.len()) {
                return None;
            }
            format!("{tag} {alg} {digest_type} {}", HEXLOWER.encode(digest))
        }
        48 | 60 => format!(
            "{} {} {} {}",
            r.u16()?,
            r.u8()?,
            r.u8()?,
            BASE64.encode(r.rest_nonempty()?)
        ),
        46 => format!(
            "{} {} {} {} {} {} {} {} {}",
            type_to_text(r.u16()?),
            r.u8()?,
            r.u8()?,
            r.u32()?,
            sig_time(r.u32()?),
            sig_time(r.u32()?),
            r.u16()?,
            r.name()?,
            BASE64.encode(r.rest_nonempty()?)
        ),
        47 => {
            let next = r.name()?;
            let types = r.type_bitmap()?;
            if types.is_empty() {
                next
            } else {
                format!("{next} {types}")
            }
        }
        50 => {
            let head = format!("{} {} {} {}", r.u8()?, r.u8()?, r.u16()?, salt(&mut r)?);
            let len = r.u8()? as usize;
            let hash = r.take(len)?;
            if hash.is_empty() {
                return None;
            }
            let hash = BASE32HEX_NOPAD.encode(hash).to_ascii_lowercase();
            let types = r.type_bitmap()?;
            if types.is_empty() {
                format!("{head} {hash}")
            } else {
                format!("{head} {hash} {types}")
            }
        }
        51 => format!("{} {} {} {}", r.u8()?, r.u8()?, r.u16()?, salt(&mut r)?),
        61 => BASE64.encode(r.rest_nonempty()?),
        64 | 65 => {
            let head = format!("{} {}", r.u16()?, r.name()?);
            let params = svcb::params_to_text(r.buf.get(r.pos..)?)?;
            r.pos = rdata.len();
            if params.is_empty() {
                head
            } else {
                format!("{head} {params}")
            }
        }
        _ => return None,
    };
    r.done().then_some(text)
}

/// True when `code` has a typed presentation (and text parser) in daned.
pub(crate) fn has_typed_form(code: u16) -> bool {
    matches!(
        code,
        1 | 2
            | 5
            | 6
            | 12
            | 13
            | 15
            | 16
            | 28
            | 33
            | 35
            | 39
            | 43
            | 44
            | 46
            | 47
            | 48
            | 50
            | 51
            | 52
            | 53
            | 59
            | 60
            | 61
            | 64
            | 65
            | 99
            | 257
    )
}

/// An RRSIG time field as `YYYYMMDDHHmmSS` (RFC 4034 section 3.2).
fn sig_time(field: u32) -> String {
    crate::time::UtcDateTime::from_unix(i64::from(field)).to_compact()
}

/// An NSEC3 salt: `-` when empty, else hex.
fn salt(r: &mut Reader<'_>) -> Option<String> {
    let len = r.u8()? as usize;
    let s = r.take(len)?;
    Some(if s.is_empty() {
        "-".into()
    } else {
        HEXLOWER.encode(s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Class, Rdata, Ttl};

    #[test]
    fn an_mx_record_prints_with_absolute_names() {
        let r = Record {
            owner: Name::from_ascii("mx1.example.com.").unwrap(),
            rtype: Rtype::MX,
            class: Class::IN,
            ttl: Ttl(3600),
            rdata: Rdata::from(b"\x00\x0a\x02mx\x07example\x03com\x00".to_vec()),
        };
        assert_eq!(
            record_to_text(&r),
            "mx1.example.com. 3600 IN MX 10 mx.example.com."
        );
    }

    #[test]
    fn unknown_types_and_undecodable_rdata_use_the_generic_form() {
        assert_eq!(rdata_to_text(65534, &[0xab, 0xcd, 0xef]), "\\# 3 abcdef");
        assert_eq!(rdata_to_text(1, &[1, 2, 3]), "\\# 3 010203");
        assert_eq!(rdata_to_text(65534, &[]), "\\# 0");
    }

    #[test]
    fn names_escape_dots_and_unprintables() {
        let n = Name::from_labels(vec![b"a.b".to_vec(), b"c d".to_vec()]).unwrap();
        assert_eq!(name_to_text(&n), "a\\.b.c\\032d.");
        assert_eq!(name_to_text(&Name::root()), ".");
    }
}
