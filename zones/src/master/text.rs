//! Record data from master-file text to uncompressed wire form, one function per type family
//! (RFC 1035, 2782, 3403, 3597, 4034, 4255, 5155, 6698, 7929, 8162, 8659, 9460).
//!
//! Every type can also be written in the RFC 3597 generic form `\# len hex`, which is how
//! types without a text parser here are entered.

use std::net::{Ipv4Addr, Ipv6Addr};

use data_encoding::{BASE32HEX_NOPAD, BASE64, HEXLOWER_PERMISSIVE};

use super::error::SyntaxError;
use super::lexer::{Located, Token, unescape};
use super::name::{parse_name, push_name_wire};
use super::svcb;
use crate::present::{has_typed_form, typed_rdata};
use crate::record::{Name, Rtype};
use crate::registry::{self, ds_digest_len, type_from_text, type_to_text};

//------------ Mnemonics -----------------------------------------------------

/// DNSSEC algorithm mnemonics (IANA "DNS Security Algorithm Numbers").
const ALGORITHMS: &[(&str, u8)] = &[
    ("RSAMD5", 1),
    ("DH", 2),
    ("DSA", 3),
    ("RSASHA1", 5),
    ("DSA-NSEC3-SHA1", 6),
    ("RSASHA1-NSEC3-SHA1", 7),
    ("RSASHA256", 8),
    ("RSASHA512", 10),
    ("ECC-GOST", 12),
    ("ECDSAP256SHA256", 13),
    ("ECDSAP384SHA384", 14),
    ("ED25519", 15),
    ("ED448", 16),
    ("INDIRECT", 252),
    ("PRIVATEDNS", 253),
    ("PRIVATEOID", 254),
];

/// A class code from a token: `IN`, `CH`, `HS`, `CS` or `CLASSnnn`, never quoted.
pub(crate) fn class_from_text(tok: &Token) -> Option<u16> {
    if tok.quoted {
        return None;
    }
    registry::class_from_text(&tok.text)
}

/// Parses a TTL: seconds, or a sum of numbers with units s/m/h/d/w (`1h30m`), as BIND does.
pub(crate) fn parse_ttl(text: &[u8]) -> Option<u32> {
    if text.is_empty() || !text[0].is_ascii_digit() {
        return None;
    }
    let mut total: u64 = 0;
    let mut cur: Option<u64> = None;
    let mut had_unit = false;
    for &b in text {
        if b.is_ascii_digit() {
            let v = cur
                .unwrap_or(0)
                .checked_mul(10)?
                .checked_add(u64::from(b - b'0'))?;
            cur = Some(v);
        } else {
            let mult = match b.to_ascii_lowercase() {
                b's' => 1,
                b'm' => 60,
                b'h' => 3600,
                b'd' => 86_400,
                b'w' => 604_800,
                _ => return None,
            };
            total = total.checked_add(cur.take()?.checked_mul(mult)?)?;
            had_unit = true;
        }
    }
    if let Some(v) = cur {
        if had_unit {
            // BIND accepts a trailing bare number after units as seconds.
            total = total.checked_add(v)?;
        } else {
            total = v;
        }
    }
    u32::try_from(total).ok()
}

//------------ Fields --------------------------------------------------------

/// A cursor over the rdata fields of one entry.
pub(crate) struct Fields<'a> {
    /// The rdata tokens.
    toks: &'a [Token],
    /// Next token to read.
    pos: usize,
    /// Origin for relative names.
    origin: &'a Name,
    /// Where to point when a field is missing: the type token.
    anchor: (usize, usize),
}

/// Shorthand for results carrying a position.
type Res<T> = Result<T, Located>;

impl<'a> Fields<'a> {
    /// A cursor over `toks`; `anchor` is the type token, for "missing field" errors.
    pub(crate) fn new(toks: &'a [Token], origin: &'a Name, anchor: &Token) -> Self {
        Self {
            toks,
            pos: 0,
            origin,
            anchor: (anchor.line, anchor.col),
        }
    }

    /// An error at `tok`.
    fn err_at(tok: &Token, kind: SyntaxError) -> Located {
        Located {
            line: tok.line,
            col: tok.col,
            kind,
        }
    }

    /// The next token, or a missing-field error naming `field`.
    fn next(&mut self, field: &'static str) -> Res<&'a Token> {
        let t = self.toks.get(self.pos).ok_or(Located {
            line: self.anchor.0,
            col: self.anchor.1,
            kind: SyntaxError::MissingField(field),
        })?;
        self.pos += 1;
        Ok(t)
    }

    /// True when every field has been read.
    fn is_done(&self) -> bool {
        self.pos >= self.toks.len()
    }

    /// Fails when fields are left over.
    fn finish(&self) -> Res<()> {
        match self.toks.get(self.pos) {
            None => Ok(()),
            Some(t) => Err(Self::err_at(t, SyntaxError::TrailingData(t.as_str()))),
        }
    }

    /// A decimal number of at most `max`.
    fn number(&mut self, field: &'static str, max: u64) -> Res<u64> {
        let t = self.next(field)?;
        let bad = || {
            Self::err_at(
                t,
                SyntaxError::BadNumber {
                    field,
                    text: t.as_str(),
                },
            )
        };
        if t.quoted || t.text.is_empty() || !t.text.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        let v: u64 = t.as_str().parse().map_err(|_| bad())?;
        if v > max {
            return Err(bad());
        }
        Ok(v)
    }

    /// An 8-bit number.
    fn u8(&mut self, field: &'static str) -> Res<u8> {
        Ok(self.number(field, 0xff)? as u8)
    }

    /// A 16-bit number.
    fn u16(&mut self, field: &'static str) -> Res<u16> {
        Ok(self.number(field, 0xffff)? as u16)
    }

    /// A 32-bit number.
    fn u32(&mut self, field: &'static str) -> Res<u32> {
        Ok(self.number(field, 0xffff_ffff)? as u32)
    }

    /// A 32-bit duration, units allowed (SOA timers, RRSIG original TTL).
    fn duration(&mut self, field: &'static str) -> Res<u32> {
        let t = self.next(field)?;
        parse_ttl(&t.text).ok_or_else(|| Self::err_at(t, SyntaxError::BadTtl(t.as_str())))
    }

    /// A DNSSEC algorithm number or mnemonic.
    fn algorithm(&mut self) -> Res<u8> {
        let t = self.next("algorithm")?;
        if let Some(&(_, v)) = ALGORITHMS
            .iter()
            .find(|(n, _)| t.text.eq_ignore_ascii_case(n.as_bytes()))
        {
            return Ok(v);
        }
        self.pos -= 1;
        self.u8("algorithm")
    }

    /// A domain name, appended in wire form.
    fn name(&mut self, out: &mut Vec<u8>, field: &'static str) -> Res<()> {
        let t = self.next(field)?;
        let n = parse_name(t, self.origin).map_err(|k| Self::err_at(t, k))?;
        push_name_wire(out, &n);
        Ok(())
    }

    /// A character-string (RFC 1035 section 3.3), appended with its length octet.
    fn char_string(&mut self, out: &mut Vec<u8>, field: &'static str) -> Res<()> {
        let t = self.next(field)?;
        let bytes = unescape(&t.text).map_err(|k| Self::err_at(t, k))?;
        let len =
            u8::try_from(bytes.len()).map_err(|_| Self::err_at(t, SyntaxError::StringTooLong))?;
        out.push(len);
        out.extend_from_slice(&bytes);
        Ok(())
    }

    /// All remaining fields joined (base64 and hex may contain spaces).
    fn rest_joined(&mut self, field: &'static str) -> Res<(Vec<u8>, &'a Token)> {
        let first = self.next(field)?;
        let mut joined = first.text.clone();
        while let Some(t) = self.toks.get(self.pos) {
            joined.extend_from_slice(&t.text);
            self.pos += 1;
        }
        Ok((joined, first))
    }

    /// Remaining fields as hex.
    fn hex_rest(&mut self, out: &mut Vec<u8>, field: &'static str) -> Res<()> {
        let (text, first) = self.rest_joined(field)?;
        let bytes = HEXLOWER_PERMISSIVE
            .decode(&text)
            .map_err(|_| Self::err_at(first, SyntaxError::BadHex))?;
        out.extend_from_slice(&bytes);
        Ok(())
    }

    /// Remaining fields as base64.
    fn base64_rest(&mut self, out: &mut Vec<u8>, field: &'static str) -> Res<()> {
        let (text, first) = self.rest_joined(field)?;
        let bytes = BASE64
            .decode(&text)
            .map_err(|_| Self::err_at(first, SyntaxError::BadBase64))?;
        out.extend_from_slice(&bytes);
        Ok(())
    }

    /// An NSEC3 salt: `-` for none, else hex, with its length octet.
    fn salt(&mut self, out: &mut Vec<u8>) -> Res<()> {
        let t = self.next("salt")?;
        if t.text == b"-" {
            out.push(0);
            return Ok(());
        }
        let bytes = HEXLOWER_PERMISSIVE
            .decode(&t.text)
            .map_err(|_| Self::err_at(t, SyntaxError::BadHex))?;
        let len =
            u8::try_from(bytes.len()).map_err(|_| Self::err_at(t, SyntaxError::StringTooLong))?;
        out.push(len);
        out.extend_from_slice(&bytes);
        Ok(())
    }

    /// An RRSIG timestamp.
    fn sig_time(&mut self, field: &'static str) -> Res<u32> {
        let t = self.next(field)?;
        parse_sig_time(&t.as_str()).ok_or_else(|| Self::err_at(t, SyntaxError::BadTime(t.as_str())))
    }

    /// A type mnemonic.
    fn rtype(&mut self, field: &'static str) -> Res<u16> {
        let t = self.next(field)?;
        if t.quoted {
            return Err(Self::err_at(t, SyntaxError::UnknownType(t.as_str())));
        }
        type_from_text(&t.text).ok_or_else(|| Self::err_at(t, SyntaxError::UnknownType(t.as_str())))
    }

    /// The NSEC/NSEC3 type bitmap (RFC 4034 section 4.1.2) from the remaining fields.
    fn type_bitmap(&mut self, out: &mut Vec<u8>) -> Res<()> {
        let mut types = Vec::new();
        while !self.is_done() {
            types.push(self.rtype("type")?);
        }
        out.extend_from_slice(&crate::bitmap::encode(types));
        Ok(())
    }
}

/// Parses an RRSIG time field (RFC 4034 section 3.2): fourteen digits are a UTC date, taken
/// modulo 2^32 as the serial arithmetic of the field demands; anything else must be plain
/// seconds.
fn parse_sig_time(text: &str) -> Option<u32> {
    if text.len() == 14 {
        let secs = crate::time::UtcDateTime::from_compact(text).ok()?.to_unix();
        return Some(secs.rem_euclid(1 << 32) as u32);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u32>().ok()
}

//------------ rdata_from_text -----------------------------------------------

/// Converts the rdata fields of a record of type `rtype` to wire form.
pub(crate) fn rdata_from_text(
    rtype: Rtype,
    toks: &[Token],
    origin: &Name,
    anchor: &Token,
) -> Res<Vec<u8>> {
    let mut f = Fields::new(toks, origin, anchor);
    let mut out = Vec::new();
    if toks.first().is_some_and(|t| t.is(r"\#")) {
        f.pos = 1;
        let len = f.u16("rdata length")? as usize;
        if len > 0 {
            f.hex_rest(&mut out, "rdata")?;
        }
        f.finish()?;
        if out.len() != len {
            let t = &toks[0];
            return Err(Fields::err_at(
                t,
                SyntaxError::GenericLengthMismatch {
                    declared: len,
                    actual: out.len(),
                },
            ));
        }
        // RFC 3597 section 5: generic data of a known type must be valid for that type.
        let code = u16::from(rtype);
        if has_typed_form(code) && typed_rdata(code, &out).is_none() {
            return Err(Fields::err_at(
                &toks[0],
                SyntaxError::BadGenericRdata(type_to_text(code)),
            ));
        }
        return Ok(out);
    }
    let code = u16::from(rtype);
    match code {
        // A
        1 => {
            let t = f.next("address")?;
            let a: Ipv4Addr = t
                .as_str()
                .parse()
                .map_err(|_| Fields::err_at(t, SyntaxError::BadAddress(t.as_str())))?;
            out.extend_from_slice(&a.octets());
        }
        // AAAA
        28 => {
            let t = f.next("address")?;
            let a: Ipv6Addr = t
                .as_str()
                .parse()
                .map_err(|_| Fields::err_at(t, SyntaxError::BadAddress(t.as_str())))?;
            out.extend_from_slice(&a.octets());
        }
        // NS CNAME PTR DNAME
        2 | 5 | 12 | 39 => f.name(&mut out, "target")?,
        // SOA
        6 => {
            f.name(&mut out, "mname")?;
            f.name(&mut out, "rname")?;
            out.extend_from_slice(&f.u32("serial")?.to_be_bytes());
            for field in ["refresh", "retry", "expire", "minimum"] {
                out.extend_from_slice(&f.duration(field)?.to_be_bytes());
            }
        }
        // MX
        15 => {
            out.extend_from_slice(&f.u16("preference")?.to_be_bytes());
            f.name(&mut out, "exchange")?;
        }
        // HINFO
        13 => {
            f.char_string(&mut out, "cpu")?;
            f.char_string(&mut out, "os")?;
        }
        // TXT SPF
        16 | 99 => {
            f.char_string(&mut out, "text")?;
            while !f.is_done() {
                f.char_string(&mut out, "text")?;
            }
        }
        // SRV
        33 => {
            for field in ["priority", "weight", "port"] {
                out.extend_from_slice(&f.u16(field)?.to_be_bytes());
            }
            f.name(&mut out, "target")?;
        }
        // NAPTR
        35 => {
            out.extend_from_slice(&f.u16("order")?.to_be_bytes());
            out.extend_from_slice(&f.u16("preference")?.to_be_bytes());
            f.char_string(&mut out, "flags")?;
            f.char_string(&mut out, "services")?;
            f.char_string(&mut out, "regexp")?;
            f.name(&mut out, "replacement")?;
        }
        // CAA (RFC 8659 section 4.1)
        257 => {
            out.push(f.u8("flags")?);
            let t = f.next("tag")?;
            if t.text.is_empty()
                || t.text.len() > 255
                || !t.text.iter().all(u8::is_ascii_alphanumeric)
            {
                return Err(Fields::err_at(t, SyntaxError::BadCaaTag(t.as_str())));
            }
            out.push(t.text.len() as u8);
            out.extend_from_slice(&t.text);
            let v = f.next("value")?;
            out.extend_from_slice(&unescape(&v.text).map_err(|k| Fields::err_at(v, k))?);
        }
        // TLSA SMIMEA
        52 | 53 => {
            out.push(f.u8("usage")?);
            out.push(f.u8("selector")?);
            out.push(f.u8("matching type")?);
            f.hex_rest(&mut out, "certificate association data")?;
        }
        // SSHFP
        44 => {
            out.push(f.algorithm()?);
            out.push(f.u8("fingerprint type")?);
            f.hex_rest(&mut out, "fingerprint")?;
        }
        // DS CDS
        43 | 59 => {
            out.extend_from_slice(&f.u16("key tag")?.to_be_bytes());
            out.push(f.algorithm()?);
            let digest_type = f.u8("digest type")?;
            out.push(digest_type);
            f.hex_rest(&mut out, "digest")?;
            // RFC 4034 section 5.1.4, RFC 4509, RFC 5933, RFC 6605: digest sizes are fixed;
            // BIND refuses a wrong one, and so do we, rather than publish a useless DS.
            if let Some(expected) = ds_digest_len(digest_type)
                && out.len() - 4 != expected
            {
                return Err(Located {
                    line: anchor.line,
                    col: anchor.col,
                    kind: SyntaxError::BadDigestLength {
                        digest_type,
                        expected,
                        actual: out.len() - 4,
                    },
                });
            }
        }
        // DNSKEY CDNSKEY
        48 | 60 => {
            out.extend_from_slice(&f.u16("flags")?.to_be_bytes());
            out.push(f.u8("protocol")?);
            out.push(f.algorithm()?);
            f.base64_rest(&mut out, "public key")?;
        }
        // RRSIG
        46 => {
            out.extend_from_slice(&f.rtype("type covered")?.to_be_bytes());
            out.push(f.algorithm()?);
            out.push(f.u8("labels")?);
            out.extend_from_slice(&f.duration("original ttl")?.to_be_bytes());
            out.extend_from_slice(&f.sig_time("expiration")?.to_be_bytes());
            out.extend_from_slice(&f.sig_time("inception")?.to_be_bytes());
            out.extend_from_slice(&f.u16("key tag")?.to_be_bytes());
            f.name(&mut out, "signer")?;
            f.base64_rest(&mut out, "signature")?;
        }
        // NSEC
        47 => {
            f.name(&mut out, "next domain")?;
            f.type_bitmap(&mut out)?;
        }
        // NSEC3
        50 => {
            out.push(f.u8("hash algorithm")?);
            out.push(f.u8("flags")?);
            out.extend_from_slice(&f.u16("iterations")?.to_be_bytes());
            f.salt(&mut out)?;
            let t = f.next("next hashed owner")?;
            let hash = BASE32HEX_NOPAD
                .decode(&t.text.to_ascii_uppercase())
                .map_err(|_| Fields::err_at(t, SyntaxError::BadBase32))?;
            let len =
                u8::try_from(hash.len()).map_err(|_| Fields::err_at(t, SyntaxError::BadBase32))?;
            out.push(len);
            out.extend_from_slice(&hash);
            f.type_bitmap(&mut out)?;
        }
        // NSEC3PARAM
        51 => {
            out.push(f.u8("hash algorithm")?);
            out.push(f.u8("flags")?);
            out.extend_from_slice(&f.u16("iterations")?.to_be_bytes());
            f.salt(&mut out)?;
        }
        // OPENPGPKEY
        61 => f.base64_rest(&mut out, "public key")?,
        // SVCB HTTPS
        64 | 65 => {
            out.extend_from_slice(&f.u16("priority")?.to_be_bytes());
            f.name(&mut out, "target")?;
            let rest = &toks[f.pos..];
            f.pos = toks.len();
            svcb::params_from_text(rest, &mut out)?;
        }
        _ => {
            return Err(Located {
                line: anchor.line,
                col: anchor.col,
                kind: SyntaxError::UnsupportedType(type_to_text(code)),
            });
        }
    }
    f.finish()?;
    if out.len() > 0xffff {
        return Err(Located {
            line: anchor.line,
            col: anchor.col,
            kind: SyntaxError::RdataTooLong,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrsig_times_are_dates_or_seconds() {
        // `date -u -d @1700000000 +%Y%m%d%H%M%S` prints 20231114221320.
        assert_eq!(parse_sig_time("20231114221320"), Some(1_700_000_000));
        assert_eq!(parse_sig_time("1700000000"), Some(1_700_000_000));
        // After 2106 the field wraps (RFC 4034 section 3.1.5).
        assert_eq!(parse_sig_time("21060207062816"), Some(0));
        assert_eq!(parse_sig_time("20241301000000"), None);
        assert_eq!(parse_sig_time(""), None);
        assert_eq!(parse_sig_time("12ab"), None);
    }

    #[test]
    fn ttl_units_add_up() {
        assert_eq!(parse_ttl(b"3600"), Some(3600));
        assert_eq!(parse_ttl(b"1h30m"), Some(5400));
        assert_eq!(parse_ttl(b"2d"), Some(172_800));
        assert_eq!(parse_ttl(b"1W"), Some(604_800));
        assert_eq!(parse_ttl(b"1x"), None);
        assert_eq!(parse_ttl(b"h"), None);
        assert_eq!(parse_ttl(b"99999999999"), None);
    }

    #[test]
    fn type_mnemonics_and_generic_type_numbers_are_accepted() {
        assert_eq!(type_from_text(b"aaaa"), Some(28));
        assert_eq!(type_from_text(b"TYPE65534"), Some(65534));
        assert_eq!(type_from_text(b"TYPE65536"), None);
        assert_eq!(type_to_text(99), "SPF");
        assert_eq!(type_to_text(65534), "TYPE65534");
    }
}
