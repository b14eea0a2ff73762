//! The IANA registries the zone crate needs by name or by value: resource record types and
//! classes with their mnemonics (RFC 3597 section 5 for the `TYPEnnn`/`CLASSnnn` forms), and
//! the sizes of DS digest types.
//!
//! Shared by the master-file reader and the presentation writer (and the checks' messages), so
//! that a type is spelled the same way going in and coming out.

/// Type mnemonics daned knows by name (IANA "Resource Record (RR) TYPEs", the common subset).
/// Kept here rather than taken from hickory because hickory lacks some (SPF, LOC, URI, ...).
pub(crate) const TYPES: &[(&str, u16)] = &[
    ("A", 1),
    ("NS", 2),
    ("MD", 3),
    ("MF", 4),
    ("CNAME", 5),
    ("SOA", 6),
    ("MB", 7),
    ("MG", 8),
    ("MR", 9),
    ("NULL", 10),
    ("WKS", 11),
    ("PTR", 12),
    ("HINFO", 13),
    ("MINFO", 14),
    ("MX", 15),
    ("TXT", 16),
    ("RP", 17),
    ("AFSDB", 18),
    ("X25", 19),
    ("ISDN", 20),
    ("RT", 21),
    ("SIG", 24),
    ("KEY", 25),
    ("PX", 26),
    ("AAAA", 28),
    ("LOC", 29),
    ("SRV", 33),
    ("NAPTR", 35),
    ("KX", 36),
    ("CERT", 37),
    ("DNAME", 39),
    ("APL", 42),
    ("DS", 43),
    ("SSHFP", 44),
    ("IPSECKEY", 45),
    ("RRSIG", 46),
    ("NSEC", 47),
    ("DNSKEY", 48),
    ("DHCID", 49),
    ("NSEC3", 50),
    ("NSEC3PARAM", 51),
    ("TLSA", 52),
    ("SMIMEA", 53),
    ("HIP", 55),
    ("CDS", 59),
    ("CDNSKEY", 60),
    ("OPENPGPKEY", 61),
    ("CSYNC", 62),
    ("ZONEMD", 63),
    ("SVCB", 64),
    ("HTTPS", 65),
    ("SPF", 99),
    ("EUI48", 108),
    ("EUI64", 109),
    ("URI", 256),
    ("CAA", 257),
];

/// A type code from its mnemonic or `TYPEnnn` (RFC 3597 section 5), case-insensitive.
pub(crate) fn type_from_text(text: &[u8]) -> Option<u16> {
    let upper = text.to_ascii_uppercase();
    if let Some(&(_, code)) = TYPES.iter().find(|(n, _)| n.as_bytes() == upper) {
        return Some(code);
    }
    let digits = upper.strip_prefix(b"TYPE")?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The mnemonic of a type code, or `TYPEnnn`.
pub(crate) fn type_to_text(code: u16) -> String {
    match TYPES.iter().find(|(_, c)| *c == code) {
        Some((n, _)) => (*n).to_string(),
        None => format!("TYPE{code}"),
    }
}

/// A class code from `IN`, `CH`, `HS`, `CS` or `CLASSnnn`.
pub(crate) fn class_from_text(text: &[u8]) -> Option<u16> {
    let upper = text.to_ascii_uppercase();
    match &upper[..] {
        b"IN" => Some(1),
        b"CS" => Some(2),
        b"CH" => Some(3),
        b"HS" => Some(4),
        _ => {
            let digits = upper.strip_prefix(b"CLASS")?;
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(digits).ok()?.parse().ok()
        }
    }
}

/// The mnemonic of a class code, or `CLASSnnn`.
pub(crate) fn class_to_text(code: u16) -> String {
    match code {
        1 => "IN".into(),
        2 => "CS".into(),
        3 => "CH".into(),
        4 => "HS".into(),
        _ => format!("CLASS{code}"),
    }
}

/// The digest size of a DS digest type, when the type fixes one (RFC 4034 section 5.1.4,
/// RFC 4509, RFC 5933, RFC 6605).
pub(crate) fn ds_digest_len(digest_type: u8) -> Option<usize> {
    match digest_type {
        1 => Some(20),
        2 | 3 => Some(32),
        4 => Some(48),
        _ => None,
    }
}
