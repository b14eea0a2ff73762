//! Tests of `master`.

use super::*;
use crate::present::{rdata_to_text, write_zone};

fn origin() -> Name {
    Name::from_ascii("example.com.").unwrap()
}

const HEAD: &str = "$TTL 3600\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n";

fn parse(text: &str) -> Result<Loaded, LoadError> {
    parse_zone_str(text, &origin(), "t.zone")
}

fn unchecked(text: &str) -> Result<Loaded, LoadError> {
    parse_zone_str_unchecked(text, &origin(), "t.zone").map(|(l, _)| l)
}

/// A small deterministic generator (xorshift64), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn syntax_errors_display_file_line_and_column() {
    let err = parse(&format!("{HEAD}www A 192.0.2.300\n")).unwrap_err();
    assert_eq!(err.to_string(), "t.zone:5:7: bad address \"192.0.2.300\"");
    assert_eq!(err.line(), Some(5));
}

#[test]
fn ttl_and_class_may_come_in_either_order_and_in_generic_form() {
    let z = unchecked(
        "$TTL 60\na 1h IN A 192.0.2.1\nb IN 2h A 192.0.2.2\nc CLASS1 TYPE1 \\# 4 c0000203\n",
    )
    .unwrap()
    .zone;
    let text = write_zone(&z);
    assert!(
        text.contains("a.example.com. 3600 IN A 192.0.2.1"),
        "{text}"
    );
    assert!(
        text.contains("b.example.com. 7200 IN A 192.0.2.2"),
        "{text}"
    );
    assert!(text.contains("c.example.com. 60 IN A 192.0.2.3"), "{text}");
}

#[test]
fn generic_rdata_for_a_known_type_equals_its_text_form() {
    let a = unchecked("$TTL 1\nx MX 10 mx.example.com.\n").unwrap().zone;
    let b = unchecked("$TTL 1\nx MX \\# 18 000a 026d78 076578616d706c65 03636f6d 00\n")
        .unwrap()
        .zone;
    assert_eq!(a, b);
}

#[test]
fn without_ttl_the_soa_minimum_is_used_as_bind_does_and_others_inherit_it() {
    let l = parse(
        "@ SOA ns1 host 1 2 3 4 300\n@ NS ns1\nns1 A 192.0.2.1\nx 10 A 192.0.2.2\ny A 192.0.2.3\n",
    )
    .unwrap();
    assert_eq!(l.zone.soa().unwrap().ttl, Ttl(300));
    assert_eq!(l.zone.get(&origin(), Rtype::NS).unwrap().ttl, Ttl(300));
    let y = Name::from_ascii("y.example.com.").unwrap();
    assert_eq!(l.zone.get(&y, Rtype::A).unwrap().ttl, Ttl(10));
    assert!(matches!(
        l.warnings[0].kind,
        WarningKind::SoaMinimumUsedAsTtl(300)
    ));
}

#[test]
fn a_record_without_any_ttl_before_the_soa_is_an_error() {
    let err = unchecked("x A 192.0.2.1\n").unwrap_err();
    assert!(err.to_string().contains("no TTL"), "{err}");
}

#[test]
fn duplicates_and_differing_ttls_are_warnings_with_their_line() {
    let l = parse(&format!(
        "{HEAD}x A 192.0.2.9\nx A 192.0.2.9\nx 60 A 192.0.2.10\n"
    ))
    .unwrap();
    let shown: Vec<String> = l.warnings.iter().map(ToString::to_string).collect();
    assert!(shown[0].starts_with("t.zone:6: duplicate A"), "{shown:?}");
    assert!(
        shown[1].starts_with("t.zone:7: TTL of A RRset"),
        "{shown:?}"
    );
    let x = Name::from_ascii("x.example.com.").unwrap();
    assert_eq!(l.zone.get(&x, Rtype::A).unwrap().ttl, Ttl(60));
}

#[test]
fn records_differing_only_in_the_case_of_an_embedded_name_are_duplicates() {
    let l = parse(&format!("{HEAD}@ NS NS1\n")).unwrap();
    assert_eq!(l.zone.get(&origin(), Rtype::NS).unwrap().rdatas.len(), 1);
    assert!(matches!(
        l.warnings[0].kind,
        WarningKind::DuplicateRecord { .. }
    ));
}

#[test]
fn blank_owners_repeat_the_previous_owner_and_origin_changes_apply() {
    let z = unchecked("$TTL 1\nx A 192.0.2.1\n  AAAA ::1\n$ORIGIN sub\ny A 192.0.2.2\n")
        .unwrap()
        .zone;
    let text = write_zone(&z);
    assert!(text.contains("x.example.com. 1 IN AAAA ::1"), "{text}");
    assert!(
        text.contains("y.sub.example.com. 1 IN A 192.0.2.2"),
        "{text}"
    );
}

#[test]
fn a_sha256_ds_digest_must_be_32_octets() {
    let err = unchecked("$TTL 1\nx DS 1 13 2 abcd\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.zone:2:3: digest type 2 needs 32 octets, not 2"
    );
}

#[test]
fn generic_rdata_of_a_known_type_must_be_valid_for_it() {
    let err = unchecked("$TTL 1\nx A \\# 3 010203\n").unwrap_err();
    assert!(err.to_string().contains("not valid A data"), "{err}");
}

#[test]
fn generic_length_must_match_the_data() {
    let err = unchecked("$TTL 1\nx TYPE999 \\# 3 abcd\n").unwrap_err();
    assert!(
        err.to_string().contains("declares 3 octets but has 2"),
        "{err}"
    );
}

#[test]
fn garbage_input_never_panics() {
    let vocab = [
        "@",
        "a",
        "b.c.",
        "\\",
        "\\0",
        "\\999",
        "\"",
        "(",
        ")",
        ";",
        "$TTL",
        "$ORIGIN",
        "$INCLUDE",
        "1h",
        "99999999999",
        "IN",
        "CLASS9",
        "TYPE65535",
        "\\#",
        "0",
        "4",
        "ff",
        "A",
        "AAAA",
        "SOA",
        "MX",
        "TXT",
        "SVCB",
        "HTTPS",
        "alpn=",
        "mandatory=port",
        "NSEC3",
        "-",
        "RRSIG",
        "NSEC",
        "DS",
        "CAA",
        "NAPTR",
        "TLSA",
        "AA==",
        "..",
        " ",
        "\t",
        "\n",
        "key65535=",
        "ipv6hint=::1",
        "20240101000000",
        "é",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let mut s = String::new();
        for _ in 0..rng.below(30) {
            s.push_str(vocab[rng.below(vocab.len())]);
            if rng.below(3) > 0 {
                s.push(' ');
            }
        }
        let _ = parse(&s);
        let _ = unchecked(&format!("$TTL 1\n{s}"));
        let bytes: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
        let _ = unchecked(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn random_wire_rdata_written_as_text_parses_back_to_the_same_bytes() {
    let codes = [
        1, 2, 5, 6, 12, 13, 15, 16, 28, 33, 35, 39, 43, 44, 46, 47, 48, 50, 51, 52, 53, 59, 60, 61,
        64, 65, 99, 257, 65534,
    ];
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for _ in 0..20_000 {
        let code = codes[rng.below(codes.len())];
        let len = rng.below(40);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Bias towards decodable data: small lengths and names in the right places.
        if rng.below(2) == 0 {
            for b in bytes.iter_mut() {
                *b %= 8;
            }
        }
        let text = rdata_to_text(code, &bytes);
        let line = format!("$TTL 1\nx {} {text}\n", crate::registry::type_to_text(code));
        if text.starts_with("\\#") && crate::present::has_typed_form(code) {
            // Invalid data of a known type: refused when read back (RFC 3597 section 5).
            assert!(unchecked(&line).is_err(), "type {code} {text} was accepted");
            continue;
        }
        let zone = match unchecked(&line) {
            Ok(l) => l.zone,
            Err(e) => panic!("type {code} rdata {bytes:02x?} as {text:?} fails: {e}"),
        };
        let rec = zone.records().next().unwrap();
        assert_eq!(rec.rdata.as_bytes(), &bytes[..], "type {code} via {text:?}");
    }
}

#[test]
fn random_svcb_params_written_as_text_parse_back_to_the_same_bytes() {
    let mut rng = Rng(0x0bad_cafe_dead_beef);
    let mut decoded = 0;
    for _ in 0..20_000 {
        let mut bytes = vec![0, 1, 0];
        for _ in 0..rng.below(4) {
            let key = [0u16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 65000][rng.below(11)];
            let len = [0usize, 1, 2, 3, 4, 16, 32][rng.below(7)];
            bytes.extend_from_slice(&key.to_be_bytes());
            bytes.extend_from_slice(&(len as u16).to_be_bytes());
            bytes.extend(
                (0..len).map(|_| [0u8, 1, 2, 3, b',', b'\\', b'"', b'a', 200][rng.below(9)]),
            );
        }
        let text = rdata_to_text(64, &bytes);
        if text.starts_with("\\#") {
            continue;
        }
        decoded += 1;
        let line = format!("$TTL 1\nx SVCB {text}\n");
        let zone = match unchecked(&line) {
            Ok(l) => l.zone,
            Err(e) => panic!("rdata {bytes:02x?} as {text:?} fails: {e}"),
        };
        let rec = zone.records().next().unwrap();
        assert_eq!(rec.rdata.as_bytes(), &bytes[..], "via {text:?}");
    }
    assert!(decoded > 1000, "only {decoded} decoded");
}
