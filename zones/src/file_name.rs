//! The file name a zone's state is kept under (journal, saved zone, key folder, TLSA state).
//!
//! One mapping for every state file, so that a zone's files all carry the same name and a
//! state folder written by one version of daned loads in the next. Normal names keep the form
//! daned has always used: the name in lower case without its final dot (`example.com`), the
//! root zone `root`; labels in Punycode (`xn--...`) as the Unicode text they stand for, as
//! before.
//!
//! It is safe to join the result to a folder, whatever octets the name holds (a wire label may
//! hold any of the 256): only ASCII letters, digits, `-` and `_` are kept as they are; every
//! other octet of a label, `.` included, is written `\DDD` (its decimal value, as in RFC 1035
//! section 5.1). So the result never holds `/` or NUL, never starts with a dot (it is not `.`,
//! `..` or a hidden file) and never ends with one, and two different names never share a file
//! name — except that a zone named `root.` would share the root zone's. A result can still be
//! longer than the 255 octets a file name may have on most file systems (a name of many
//! escaped octets); creating the file then fails with an error, it does not write elsewhere.

use hickory_proto::rr::domain::Label;

use crate::record::Name;

/// The stem of the file names of `zone`'s state: lower case, no final dot, `root` for the
/// root zone, every octet that is not a letter, digit, `-` or `_` escaped (see the module
/// documentation for why that is a safe file name).
pub fn file_stem(zone: &Name) -> String {
    if zone.is_root() {
        return "root".into();
    }
    let zone = zone.to_lowercase();
    let mut out = String::new();
    for (i, label) in zone.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match unicode_label(label) {
            Some(text) => out.push_str(&text),
            None => push_escaped(&mut out, label),
        }
    }
    out
}

/// The Unicode form of a valid Punycode label made only of letters, digits and `-` (what
/// earlier versions of daned wrote for it); `None` for every other label.
fn unicode_label(label: &[u8]) -> Option<String> {
    if !label.starts_with(b"xn--") {
        return None;
    }
    let text = Label::from_raw_bytes(label).ok()?.to_utf8();
    let plain = |c: char| c.is_alphanumeric() || c == '-';
    // A label that does not decode is printed as it is: ASCII, handled by the caller.
    (text.chars().all(plain) && !text.is_ascii()).then_some(text)
}

/// Appends `label` with every octet other than a lower-case letter, digit, `-` or `_` written
/// `\DDD`.
fn push_escaped(out: &mut String, label: &[u8]) {
    for &b in label {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => out.push(char::from(b)),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name from its labels as octets.
    fn name(labels: &[&[u8]]) -> Name {
        Name::from_labels(labels.iter().map(|l| l.to_vec())).unwrap()
    }

    #[test]
    fn normal_names_keep_the_names_state_folders_already_have() {
        for (text, stem) in [
            ("example.com.", "example.com"),
            ("Mail.Example.COM.", "mail.example.com"),
            ("_dmarc.sub-1.example.", "_dmarc.sub-1.example"),
        ] {
            let zone = Name::from_ascii(text).unwrap();
            assert_eq!(file_stem(&zone), stem);
            // What daned wrote before: the displayed name without the final dot.
            assert_eq!(zone.to_lowercase().to_string().trim_end_matches('.'), stem);
        }
    }

    #[test]
    fn the_root_zone_is_root() {
        assert_eq!(file_stem(&Name::root()), "root");
    }

    #[test]
    fn punycode_labels_are_written_in_unicode_as_before() {
        let zone = Name::from_ascii("xn--bcher-kva.example.").unwrap();
        assert_eq!(file_stem(&zone), "bücher.example");
        assert_eq!(zone.to_string().trim_end_matches('.'), "bücher.example");
    }

    #[test]
    fn slashes_nul_and_dots_inside_labels_are_escaped() {
        let zone = name(&[b"..", b"a/b", b"c\0d", b"example"]);
        let stem = file_stem(&zone);
        assert_eq!(stem, "\\046\\046.a\\047b.c\\000d.example");
        assert!(!stem.contains('/') && !stem.contains('\0') && !stem.starts_with('.'));
    }

    #[test]
    fn a_leading_dot_label_does_not_make_a_hidden_file() {
        let stem = file_stem(&name(&[b".hidden", b"example"]));
        assert_eq!(stem, "\\046hidden.example");
    }

    #[test]
    fn names_that_differ_only_in_escaped_octets_get_different_stems() {
        let a = file_stem(&name(&[b"a.b", b"example"]));
        let b = file_stem(&name(&[b"a", b"b", b"example"]));
        assert_ne!(a, b);
        assert_eq!(b, "a.b.example");
    }

    #[test]
    fn broken_punycode_stays_ascii() {
        let zone = name(&[b"xn--", b"example"]);
        assert_eq!(file_stem(&zone), "xn--.example");
    }
}
