//! Character-strings in presentation format (RFC 1035 section 5.1): the quoting that the
//! master-file lexer undoes.
//!
//! A leaf of its own because both the presentation writer and the SVCB parameter writer (which
//! the writer calls) quote strings.

/// A character-string in double quotes, `"` and `\` escaped, other unprintables as `\DDD`.
pub(crate) fn quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
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
