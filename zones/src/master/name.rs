//! Domain names in master-file text (RFC 1035 sections 5.1 and 3.1): relative names, `@`,
//! `\.` and `\DDD` escapes, and their uncompressed wire form.
//!
//! Written here rather than delegated to hickory's `Name::parse` so that an escaped dot stays
//! inside its label and every length limit produces one of our errors, never a panic.

use super::error::SyntaxError;
use super::lexer::{Token, escape_at};
use crate::record::Name;

/// Parses a name field, relative names completed with `origin`.
pub(crate) fn parse_name(tok: &Token, origin: &Name) -> Result<Name, SyntaxError> {
    if tok.quoted {
        return Err(SyntaxError::QuotedName);
    }
    let text = &tok.text[..];
    if text == b"@" {
        return Ok(origin.clone());
    }
    if text == b"." {
        return Ok(Name::root());
    }
    if text.is_empty() {
        return Err(SyntaxError::EmptyLabel);
    }
    let mut labels: Vec<Vec<u8>> = Vec::new();
    let mut label = Vec::new();
    let mut absolute = false;
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'\\' => {
                let (b, used) = escape_at(text, i)?;
                label.push(b);
                i += used;
            }
            b'.' => {
                if label.is_empty() {
                    return Err(SyntaxError::EmptyLabel);
                }
                labels.push(std::mem::take(&mut label));
                i += 1;
                if i == text.len() {
                    absolute = true;
                }
            }
            b => {
                label.push(b);
                i += 1;
            }
        }
    }
    if !label.is_empty() {
        labels.push(label);
    }
    if !absolute {
        labels.extend(origin.iter().map(<[u8]>::to_vec));
    }
    name_from_labels(labels)
}

/// Builds a fully qualified name from raw labels, enforcing RFC 1035 section 2.3.4 limits.
pub(crate) fn name_from_labels(labels: Vec<Vec<u8>>) -> Result<Name, SyntaxError> {
    let mut wire_len = 1usize;
    for l in &labels {
        if l.is_empty() {
            return Err(SyntaxError::EmptyLabel);
        }
        if l.len() > 63 {
            return Err(SyntaxError::LabelTooLong);
        }
        wire_len += 1 + l.len();
    }
    if wire_len > 255 {
        return Err(SyntaxError::NameTooLong);
    }
    Name::from_labels(labels).map_err(|_| SyntaxError::NameTooLong)
}

/// Appends the uncompressed wire form of `name`.
pub(crate) fn push_name_wire(out: &mut Vec<u8>, name: &Name) {
    for label in name.iter() {
        // Labels of a `Name` are at most 63 octets, so the cast cannot truncate.
        out.push(label.len() as u8);
        out.extend_from_slice(label);
    }
    out.push(0);
}

/// Reads the uncompressed wire name at `pos`, returning it and the position after it.
pub(crate) fn read_name_wire(buf: &[u8], pos: usize) -> Option<(Name, usize)> {
    crate::rdata::name_len_at(buf, pos)?;
    let mut labels = Vec::new();
    let mut p = pos;
    loop {
        let l = *buf.get(p)? as usize;
        p += 1;
        if l == 0 {
            break;
        }
        labels.push(buf.get(p..p + l)?.to_vec());
        p += l;
    }
    Some((name_from_labels(labels).ok()?, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(s: &str) -> Token {
        Token {
            text: s.as_bytes().to_vec(),
            quoted: false,
            line: 1,
            col: 1,
        }
    }

    fn origin() -> Name {
        Name::from_ascii("example.com.").unwrap()
    }

    #[test]
    fn relative_names_get_the_origin_and_at_is_the_origin() {
        assert_eq!(
            parse_name(&tok("www"), &origin()).unwrap(),
            Name::from_ascii("www.example.com.").unwrap()
        );
        assert_eq!(parse_name(&tok("@"), &origin()).unwrap(), origin());
    }

    #[test]
    fn an_escaped_dot_stays_inside_its_label() {
        let n = parse_name(&tok("a\\.b.c."), &origin()).unwrap();
        let labels: Vec<&[u8]> = n.iter().collect();
        assert_eq!(labels, vec![&b"a.b"[..], &b"c"[..]]);
        let n = parse_name(&tok("\\065\\032x."), &origin()).unwrap();
        assert_eq!(n.iter().next(), Some(&b"A x"[..]));
    }

    #[test]
    fn overlong_labels_and_names_and_empty_labels_are_errors() {
        let long = "a".repeat(64);
        assert!(parse_name(&tok(&long), &origin()).is_err());
        let many = "abcdefghi.".repeat(30);
        assert!(parse_name(&tok(&many), &origin()).is_err());
        assert!(parse_name(&tok("a..b"), &origin()).is_err());
    }

    #[test]
    fn wire_names_round_trip() {
        let n = parse_name(&tok("x\\.y.example.com."), &origin()).unwrap();
        let mut w = Vec::new();
        push_name_wire(&mut w, &n);
        assert_eq!(read_name_wire(&w, 0).unwrap(), (n, w.len()));
    }
}
