//! Tests of `validate`.

use super::*;

#[test]
fn a_ds_anchor_file_as_daned_ds_prints_it_parses() {
    let a =
        parse_anchor("; the fixture's anchor\nexample.test. 3600 IN DS 12345 13 2 ABCDEF0123\n")
            .unwrap();
    assert_eq!(a.owner, Name::from_ascii("example.test.").unwrap());
    assert_eq!(
        a.ds,
        vec![vec![0x30, 0x39, 13, 2, 0xab, 0xcd, 0xef, 0x01, 0x23]]
    );
}

#[test]
fn a_multi_line_dnskey_anchor_parses_and_garbage_is_refused() {
    let a = parse_anchor(". IN DNSKEY 257 3 8 ( AwEAAa\n AAAA== ) ; KSK\n").unwrap();
    assert_eq!(a.dnskeys[0][..4], [1, 1, 3, 8]);
    assert!(matches!(
        parse_anchor("hello world\n"),
        Err(AnchorError::BadLine { line: 1, .. })
    ));
    assert_eq!(parse_anchor("; nothing\n"), Err(AnchorError::Empty));
}

#[test]
fn anchor_numbers_too_large_for_their_field_are_refused_not_cut_short() {
    // 65536 + 20326 would have become the root KSK's tag 20326 through `as u16`.
    let err = parse_anchor(
        ". IN DS 85862 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("key tag 85862"), "{err}");
    let err = parse_anchor(
        ". IN DS 20326 264 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("algorithm 264"), "{err}");
    let err = parse_anchor(". IN DNSKEY 65793 3 8 AwEAAa==\n").unwrap_err();
    assert!(err.to_string().contains("flags 65793"), "{err}");
}

#[test]
fn the_root_anchor_holds_both_root_ksks() {
    let r = root_anchor();
    assert_eq!(r.ds.len(), 2);
    assert!(r.ds.iter().all(|d| d.len() == 36));
}
