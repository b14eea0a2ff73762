use std::path::Path;

use crate::config::Config;

#[test]
fn the_catalog_is_an_unsigned_zone_in_the_state_dir_and_no_zone_twice() {
    let text = "[server]\nstate_dir = \"/var/lib/daned\"\n\
                [[zone]]\nname = \"a.test\"\nfile = \"a\"\ncatalog_group = \"mail\"\n\
                [catalog]\nname = \"catalog.invalid\"\nallow_transfer = [\"127.0.0.1\"]\nnotify = [\"127.0.0.1:5301\"]\n";
    let c = Config::parse(text, Path::new("/e/d.toml")).unwrap();
    let catalog = c.catalog.as_ref().unwrap();
    assert_eq!(catalog.name.to_ascii(), "catalog.invalid.");
    assert!(!catalog.sign && catalog.signing.is_none());
    assert_eq!(
        catalog.file,
        Path::new("/var/lib/daned/catalog/catalog.invalid.zone")
    );
    assert_eq!(catalog.notify[0].addr.port(), 5301);
    assert_eq!(c.zones[0].catalog_group.as_deref(), Some("mail"));

    for (text, complaint) in [
        (
            "[[zone]]\nname = \"a.test\"\nfile = \"a\"\n[catalog]\nname = \"a.test\"\n",
            "catalog: zone \"a.test\": zone listed twice",
        ),
        (
            "[catalog]\nname = \"c.invalid\"\nsign = true\n",
            "unknown field",
        ),
        ("[catalog]\nallow_transfer = []\n", "missing field `name`"),
        (
            "[[zone]]\nname = \"a.test\"\nfile = \"a\"\ncatalog_group = \"\"\n",
            "catalog_group",
        ),
    ] {
        let err = Config::parse(text, Path::new("d.toml")).unwrap_err();
        assert!(err.to_string().contains(complaint), "{text:?}: {err}");
    }
}
