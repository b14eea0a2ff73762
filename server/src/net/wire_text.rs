//! Names and strings from the wire as log text: DNS presentation form (RFC 1035 section 5.1),
//! `\DDD` for every non-printable octet, so a peer cannot write a newline, an escape sequence
//! or a forged `key=value` into the log.

use zones::Name;
use zones::present::name_to_text;

/// An uncompressed wire-form name (as [`crate::net::tsig::TsigRecord`] holds them) in
/// presentation form, e.g. `sec1.` or `evil\010forged.`; anything that is not a well-formed
/// name is shown as an escaped string.
pub fn wire_name(wire: &[u8]) -> String {
    labels(wire)
        .and_then(|labels| Name::from_labels(labels).ok())
        .map(|name| name_to_text(&name))
        .unwrap_or_else(|| escaped_string(wire))
}

/// Arbitrary octets as a quoted character-string: `"` and `\` escaped, every octet outside
/// printable ASCII as `\DDD`.
pub fn escaped_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

/// The labels of an uncompressed wire name ending in the root label, or `None`.
fn labels(wire: &[u8]) -> Option<Vec<&[u8]>> {
    let mut labels = Vec::new();
    let mut pos = 0;
    loop {
        let len = usize::from(*wire.get(pos)?);
        if len == 0 {
            return (pos + 1 == wire.len()).then_some(labels);
        }
        if len > 63 {
            return None;
        }
        labels.push(wire.get(pos + 1..pos + 1 + len)?);
        pos += 1 + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_a_newline_stays_on_one_line() {
        let text = wire_name(b"\x0bevil\nforged\x03key\x00");
        assert_eq!(text, "evil\\010forged.key.");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn plain_names_read_as_in_a_zone_file() {
        assert_eq!(wire_name(b"\x04sec1\x00"), "sec1.");
        assert_eq!(wire_name(b"\x03a.b\x03c d\x00"), "a\\.b.c\\032d.");
        assert_eq!(wire_name(b"\x00"), ".");
    }

    #[test]
    fn what_is_not_a_name_is_an_escaped_string() {
        assert_eq!(wire_name(b"\x05ab\n"), "\"\\005ab\\010\"");
        assert_eq!(escaped_string(b"a\"\x1b[31m"), "\"a\\\"\\027[31m\"");
    }
}
