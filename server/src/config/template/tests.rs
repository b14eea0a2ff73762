use std::path::Path;

use crate::config::Config;

const TEMPLATE: &str = r#"
[[tsig_key]]
name = "sec1"
secret = "c2VjcmV0"

[[template]]
name = "mail"
file = "zones/{zone}.zone"
allow_transfer = ["127.0.0.1", "key:sec1"]
notify = ["127.0.0.1:5301 key:sec1"]
serial_policy = "unixtime"
sign = true
policy = "p"

[[template.tlsa]]
names = ["_25._tcp.mx.{zone}"]
cert = "/etc/certs/{zone}/fullchain.pem"

[policy.p]
algorithm = "ed25519"
"#;

#[test]
fn a_template_fills_in_the_keys_a_zone_leaves_out_with_its_name() {
    let text = format!(
        "{TEMPLATE}\n[[zone]]\nname = \"a.test\"\ntemplate = \"mail\"\n\n\
         [[zone]]\nname = \"b.test\"\ntemplate = \"mail\"\nserial_policy = \"increment\"\nfile = \"b.db\"\n"
    );
    let c = Config::parse(&text, Path::new("/e/d.toml")).unwrap();
    let a = &c.zones[0];
    assert_eq!(a.file, Path::new("/e/zones/a.test.zone"));
    assert_eq!(a.notify[0].key.as_deref(), Some("sec1"));
    assert_eq!(a.serial_policy, zones::serial::SerialPolicy::Unixtime);
    assert_eq!(a.policy.as_deref(), Some("p"));
    assert_eq!(a.tlsa[0].names[0].to_ascii(), "_25._tcp.mx.a.test.");
    assert_eq!(
        a.tlsa[0].certs,
        [Path::new("/etc/certs/a.test/fullchain.pem")]
    );
    // The zone's own keys win.
    let b = &c.zones[1];
    assert_eq!(b.file, Path::new("/e/b.db"));
    assert_eq!(b.serial_policy, zones::serial::SerialPolicy::Increment);
    assert_eq!(b.tlsa[0].names[0].to_ascii(), "_25._tcp.mx.b.test.");
}

#[test]
fn a_template_is_checked_as_the_zone_that_uses_it() {
    for (text, complaint) in [
        (
            "[[zone]]\nname = \"a.test\"\ntemplate = \"nope\"\n".to_string(),
            "no [[template]] named \"nope\"",
        ),
        (
            "[[template]]\nname = \"t\"\nnotfiy = []\n[[zone]]\nname = \"a.test\"\nfile = \"a\"\ntemplate = \"t\"\n"
                .to_string(),
            "unknown field",
        ),
        (
            "[[template]]\nname = \"t\"\n[[template]]\nname = \"t\"\n".to_string(),
            "template listed twice",
        ),
        (
            "[[template]]\nfile = \"x\"\n".to_string(),
            "needs a name",
        ),
        (
            "[[template]]\nname = \"t\"\nallow_transfer = [\"key:nokey\"]\n[[zone]]\nname = \"a.test\"\nfile = \"a\"\ntemplate = \"t\"\n"
                .to_string(),
            "zone \"a.test\": allow_transfer",
        ),
    ] {
        let err = Config::parse(&text, Path::new("d.toml")).unwrap_err();
        assert!(err.to_string().contains(complaint), "{text:?}: {err}");
    }
}

#[test]
fn an_unknown_key_in_a_zone_names_the_zone_and_its_line() {
    let text =
        "[server]\nudp_workers = 1\n\n[[zone]]\nname = \"a.test\"\nfile = \"a\"\nnotfiy = []\n";
    let err = Config::parse(text, Path::new("d.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "in [[zone]]: table at line 4: zone \"a.test\": notfiy: unknown field `notfiy`"
        ),
        "{err}"
    );
}

#[test]
fn a_zone_dir_serves_every_zone_file_with_its_template() {
    let dir = std::env::temp_dir().join(format!("daned-zone-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("zones")).unwrap();
    for f in [
        "b.test.zone",
        "a.test.zone",
        "c.test.zone",
        "README",
        ".x.test.zone",
        "bad..name.zone",
    ] {
        std::fs::write(dir.join("zones").join(f), "").unwrap();
    }
    let text = format!(
        "{TEMPLATE}\n[[zone]]\nname = \"c.test\"\nfile = \"own-c.zone\"\n\n\
         [[zone_dir]]\npath = \"zones\"\ntemplate = \"mail\"\n"
    );
    let c = Config::parse(&text, &dir.join("d.toml")).unwrap();
    let names: Vec<String> = c.zones.iter().map(|z| z.name.to_ascii()).collect();
    assert_eq!(names, ["c.test.", "a.test.", "b.test."]);
    assert_eq!(c.zones[0].file, dir.join("own-c.zone"));
    assert_eq!(c.zones[1].file, dir.join("zones/a.test.zone"));
    assert_eq!(
        c.zones[1].tlsa[0].names[0].to_ascii(),
        "_25._tcp.mx.a.test."
    );
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    assert!(c.warnings.iter().any(|w| w.contains("bad..name")));
    assert!(c.warnings.iter().any(|w| w.contains("by a [[zone]] table")));

    let missing = format!("{TEMPLATE}\n[[zone_dir]]\npath = \"nowhere\"\n");
    let err = Config::parse(&missing, &dir.join("d.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("zone_dir \"nowhere\""), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_zone_listed_twice_in_any_case_is_an_error_and_a_folder_file_of_it_is_skipped() {
    let dir = std::env::temp_dir().join(format!("daned-zone-twice-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("zones")).unwrap();
    std::fs::write(dir.join("zones").join("a.test.zone"), "").unwrap();
    let twice =
        "[[zone]]\nname = \"a.test\"\nfile = \"a\"\n[[zone]]\nname = \"A.TEST.\"\nfile = \"b\"\n";
    let err = Config::parse(twice, &dir.join("d.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("zone listed twice"), "{err}");
    let text = format!(
        "{TEMPLATE}\n[[zone]]\nname = \"A.Test\"\nfile = \"own-a.zone\"\n\n\
         [[zone_dir]]\npath = \"zones\"\ntemplate = \"mail\"\n"
    );
    let c = Config::parse(&text, &dir.join("d.toml")).unwrap();
    assert_eq!(c.zones.len(), 1);
    assert_eq!(c.zones[0].file, dir.join("own-a.zone"));
    assert!(c.warnings.iter().any(|w| w.contains("by a [[zone]] table")));
    let _ = std::fs::remove_dir_all(&dir);
}
