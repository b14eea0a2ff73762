use super::*;

#[test]
fn the_catalog_text_is_a_version_2_catalog_that_loads() {
    let catalog: Name = "catalog.invalid.".parse().unwrap();
    let members = [
        ("b.example.".parse().unwrap(), None),
        ("A.example".parse().unwrap(), Some("mail \"x\"".to_string())),
    ];
    let text = text(&catalog, &members);
    let lower = text.to_lowercase();
    let loaded = zones::master::parse_zone_str(&text, &catalog, "catalog").unwrap();
    // SOA, NS, version TXT, two PTR, one group TXT.
    assert_eq!(loaded.zone.len(), 6, "{text}");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let a = unique_id(&"a.example.".parse().unwrap());
    assert_eq!(
        a,
        unique_id(&"A.EXAMPLE".parse().unwrap()),
        "the ID ignores case"
    );
    assert_eq!(a.len(), 17);
    assert!(
        lower.contains(&format!("{a}.zones ptr a.example.\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("group.{a}.zones TXT \"mail \\\"x\\\"\"\n")),
        "{text}"
    );
    // Sorted by name: a before b, whatever the order given.
    assert!(lower.find("a.example.").unwrap() < lower.find("b.example.").unwrap());
}
