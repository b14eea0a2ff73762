//! SVCB and HTTPS service parameters (RFC 9460 sections 2.1, 7 and appendix A), text to wire
//! and back.
//!
//! Values are unescaped once as a character-string; `alpn` and `mandatory` lists are then
//! split at commas, where in `alpn` a backslash escapes a comma (RFC 9460 appendix A.1).

use std::net::{Ipv4Addr, Ipv6Addr};

use data_encoding::BASE64;

use super::error::SyntaxError;
use super::lexer::{Located, Token, unescape};
use crate::quote::quote_bytes;

/// Known SvcParamKey mnemonics (IANA "Service Parameter Keys (SvcParamKeys)").
const KEYS: &[(&str, u16)] = &[
    ("mandatory", 0),
    ("alpn", 1),
    ("no-default-alpn", 2),
    ("port", 3),
    ("ipv4hint", 4),
    ("ech", 5),
    ("ipv6hint", 6),
    ("dohpath", 7),
    ("ohttp", 8),
];

/// The key number of `keyNNNNN` or a mnemonic.
fn key_from_text(text: &str) -> Option<u16> {
    if let Some(&(_, k)) = KEYS.iter().find(|(n, _)| n.eq_ignore_ascii_case(text)) {
        return Some(k);
    }
    let digits = text.strip_prefix("key")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The presentation name of a key.
pub(crate) fn key_to_text(key: u16) -> String {
    match KEYS.iter().find(|(_, k)| *k == key) {
        Some((n, _)) => (*n).to_string(),
        None => format!("key{key}"),
    }
}

/// Parses the SvcParams fields and appends them in wire form, sorted by key (RFC 9460
/// section 2.2 requires strictly increasing keys on the wire).
pub(crate) fn params_from_text(toks: &[Token], out: &mut Vec<u8>) -> Result<(), Located> {
    let mut params: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        i += 1;
        let err = |kind| Located {
            line: t.line,
            col: t.col,
            kind,
        };
        let raw = t.as_str();
        let (key_text, value): (&str, Option<Vec<u8>>) = match raw.split_once('=') {
            None => (raw.as_str(), None),
            Some((k, "")) => {
                // `alpn="h2,h3"` lexes as `alpn=` followed by a quoted token.
                match toks.get(i) {
                    Some(next) if next.quoted => {
                        i += 1;
                        (k, Some(unescape(&next.text).map_err(err)?))
                    }
                    _ => (k, Some(Vec::new())),
                }
            }
            Some((k, _)) => {
                let eq = t.text.iter().position(|&b| b == b'=').unwrap_or(0);
                (k, Some(unescape(&t.text[eq + 1..]).map_err(err)?))
            }
        };
        let key = key_from_text(key_text)
            .ok_or_else(|| err(SyntaxError::UnknownSvcKey(key_text.into())))?;
        if params.iter().any(|(k, _)| *k == key) {
            return Err(err(SyntaxError::DuplicateSvcKey(key_to_text(key))));
        }
        let bad = || err(SyntaxError::BadSvcValue(key_to_text(key)));
        let wire = match (key, value) {
            (2 | 8, None) => Vec::new(),
            (2 | 8, Some(_)) => return Err(bad()),
            (_, None) if key <= 8 => return Err(bad()),
            (_, None) => Vec::new(),
            (0, Some(v)) => {
                let mut keys = Vec::new();
                for part in v.split(|&b| b == b',') {
                    let k = std::str::from_utf8(part)
                        .ok()
                        .and_then(key_from_text)
                        .ok_or_else(bad)?;
                    keys.push(k);
                }
                keys.sort_unstable();
                keys.dedup();
                keys.iter().flat_map(|k| k.to_be_bytes()).collect()
            }
            (1, Some(v)) => {
                let mut w = Vec::new();
                for id in split_alpn(&v) {
                    let len = u8::try_from(id.len())
                        .ok()
                        .filter(|&l| l > 0)
                        .ok_or_else(bad)?;
                    w.push(len);
                    w.extend_from_slice(&id);
                }
                w
            }
            (3, Some(v)) => std::str::from_utf8(&v)
                .ok()
                .and_then(|s| s.parse::<u16>().ok())
                .ok_or_else(bad)?
                .to_be_bytes()
                .to_vec(),
            (4, Some(v)) => {
                let mut w = Vec::new();
                for part in v.split(|&b| b == b',') {
                    let a: Ipv4Addr = std::str::from_utf8(part)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(bad)?;
                    w.extend_from_slice(&a.octets());
                }
                w
            }
            (5, Some(v)) => BASE64.decode(&v).map_err(|_| bad())?,
            (6, Some(v)) => {
                let mut w = Vec::new();
                for part in v.split(|&b| b == b',') {
                    let a: Ipv6Addr = std::str::from_utf8(part)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(bad)?;
                    w.extend_from_slice(&a.octets());
                }
                w
            }
            (_, Some(v)) => v,
        };
        if wire.len() > 0xffff {
            return Err(bad());
        }
        params.push((key, wire));
    }
    params.sort_by_key(|(k, _)| *k);
    let keys: Vec<u16> = params.iter().map(|(k, _)| *k).collect();
    let mandatory = params
        .iter()
        .find(|(k, _)| *k == 0)
        .map(|(_, v)| v.as_slice());
    if let Err(key) = self_consistent(&keys, mandatory) {
        let at = toks.first().map_or((0, 0), |t| (t.line, t.col));
        return Err(Located {
            line: at.0,
            col: at.1,
            kind: SyntaxError::BadSvcValue(key_to_text(key)),
        });
    }
    for (k, v) in params {
        out.extend_from_slice(&k.to_be_bytes());
        out.extend_from_slice(&(v.len() as u16).to_be_bytes());
        out.extend_from_slice(&v);
    }
    Ok(())
}

/// RFC 9460 sections 7.1.1 and 8: `no-default-alpn` needs `alpn`; `mandatory` may not list
/// itself and every key it lists must be present. `keys` are sorted; `mandatory` is the wire
/// value of key 0. The error names the key at fault. Shared by both directions so that
/// whatever is written as text is read back.
fn self_consistent(keys: &[u16], mandatory: Option<&[u8]>) -> Result<(), u16> {
    if keys.contains(&2) && !keys.contains(&1) {
        return Err(2);
    }
    if let Some(m) = mandatory {
        for c in m.chunks(2) {
            let k = u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]);
            if k == 0 || !keys.contains(&k) {
                return Err(0);
            }
        }
    }
    Ok(())
}

/// Splits an alpn value at commas not preceded by a backslash (RFC 9460 appendix A.1).
fn split_alpn(v: &[u8]) -> Vec<Vec<u8>> {
    let mut ids = vec![Vec::new()];
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b'\\' if i + 1 < v.len() => {
                if let Some(last) = ids.last_mut() {
                    last.push(v[i + 1]);
                }
                i += 2;
            }
            b',' => {
                ids.push(Vec::new());
                i += 1;
            }
            b => {
                if let Some(last) = ids.last_mut() {
                    last.push(b);
                }
                i += 1;
            }
        }
    }
    ids
}

/// Formats wire SvcParams, or `None` when they are malformed (the caller falls back to
/// RFC 3597 form).
pub(crate) fn params_to_text(mut w: &[u8]) -> Option<String> {
    let mut parts = Vec::new();
    let mut keys = Vec::new();
    let mut mandatory = None;
    let mut last_key: Option<u16> = None;
    while !w.is_empty() {
        let key = u16::from_be_bytes([*w.first()?, *w.get(1)?]);
        // RFC 9460 section 2.2: keys strictly increasing; anything else only as RFC 3597.
        if last_key.is_some_and(|k| k >= key) {
            return None;
        }
        last_key = Some(key);
        keys.push(key);
        let len = u16::from_be_bytes([*w.get(2)?, *w.get(3)?]) as usize;
        let v = w.get(4..4 + len)?;
        if key == 0 {
            mandatory = Some(v);
        }
        w = &w[4 + len..];
        let name = key_to_text(key);
        let text = match key {
            0 if v.len() % 2 == 0 && !v.is_empty() => {
                let nums: Vec<u16> = v
                    .chunks(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                if nums.windows(2).any(|p| p[0] >= p[1]) {
                    return None;
                }
                let keys: Vec<String> = nums.into_iter().map(key_to_text).collect();
                format!("{name}={}", keys.join(","))
            }
            1 if !v.is_empty() => {
                let mut ids = Vec::new();
                let mut p = 0;
                while p < v.len() {
                    let l = v[p] as usize;
                    let id = v.get(p + 1..p + 1 + l)?;
                    if id.is_empty() {
                        return None;
                    }
                    let mut esc = Vec::new();
                    for &b in id {
                        if b == b',' || b == b'\\' {
                            esc.push(b'\\');
                        }
                        esc.push(b);
                    }
                    ids.push(esc);
                    p += 1 + l;
                }
                format!("{name}={}", quote_bytes(&ids.join(&b',')))
            }
            2 | 8 if v.is_empty() => name,
            3 if v.len() == 2 => format!("{name}={}", u16::from_be_bytes([v[0], v[1]])),
            4 if !v.is_empty() && v.len() % 4 == 0 => {
                let a: Vec<String> = v
                    .chunks(4)
                    .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]).to_string())
                    .collect();
                format!("{name}={}", a.join(","))
            }
            5 => format!("{name}={}", BASE64.encode(v)),
            6 if !v.is_empty() && v.len() % 16 == 0 => {
                let a: Vec<String> = v
                    .chunks(16)
                    .map(|c| {
                        let mut o = [0u8; 16];
                        o.copy_from_slice(c);
                        Ipv6Addr::from(o).to_string()
                    })
                    .collect();
                format!("{name}={}", a.join(","))
            }
            7 => format!("{name}={}", quote_bytes(v)),
            0..=8 => return None,
            _ if v.is_empty() => format!("key{key}"),
            _ => format!("key{key}={}", quote_bytes(v)),
        };
        parts.push(text);
    }
    self_consistent(&keys, mandatory).ok()?;
    Some(parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::master::lexer::tokenize;

    /// Wire params of a line of SvcParams text.
    fn wire(text: &str) -> Result<Vec<u8>, SyntaxError> {
        let entries = tokenize(text.as_bytes()).unwrap();
        let mut out = Vec::new();
        params_from_text(&entries[0].tokens, &mut out).map_err(|e| e.kind)?;
        Ok(out)
    }

    #[test]
    fn params_are_sorted_by_key_on_the_wire() {
        let w = wire("port=53 alpn=h2").unwrap();
        assert_eq!(w, b"\x00\x01\x00\x03\x02h2\x00\x03\x00\x02\x00\x35");
        assert_eq!(params_to_text(&w).unwrap(), "alpn=\"h2\" port=53");
    }

    #[test]
    fn an_escaped_comma_stays_inside_an_alpn_id() {
        // RFC 9460 appendix A.1: `alpn="f\\\\oo\\,bar,h2"` is the ids `f\oo,bar` and `h2`.
        let w = wire(r#"alpn="f\\\\oo\\,bar,h2""#).unwrap();
        assert_eq!(w, b"\x00\x01\x00\x0c\x08f\\oo,bar\x02h2");
        let text = params_to_text(&w).unwrap();
        assert_eq!(wire(&text).unwrap(), w);
    }

    #[test]
    fn duplicate_and_unknown_keys_and_valueless_port_are_errors() {
        assert!(matches!(
            wire("port=1 port=2"),
            Err(SyntaxError::DuplicateSvcKey(_))
        ));
        assert!(matches!(
            wire("colour=red"),
            Err(SyntaxError::UnknownSvcKey(_))
        ));
        assert!(matches!(wire("port"), Err(SyntaxError::BadSvcValue(_))));
        assert!(matches!(
            wire("no-default-alpn=x"),
            Err(SyntaxError::BadSvcValue(_))
        ));
    }

    #[test]
    fn unsorted_wire_params_have_no_text_form() {
        assert_eq!(
            params_to_text(b"\x00\x03\x00\x02\x00\x35\x00\x01\x00\x03\x02h2"),
            None
        );
    }

    #[test]
    fn mandatory_keys_must_be_present_and_no_default_alpn_needs_alpn() {
        assert!(wire("mandatory=port alpn=h2").is_err());
        assert!(wire("mandatory=mandatory").is_err());
        assert!(wire("no-default-alpn").is_err());
        assert!(wire("mandatory=port port=1 no-default-alpn alpn=h3").is_ok());
    }
}
