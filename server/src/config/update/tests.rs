use std::path::Path;

use zones::Rtype;

use crate::config::Config;

const HEAD: &str = "[[tsig_key]]\nname = \"acme\"\nsecret = \"c2VjcmV0\"\n\
                    [[zone]]\nname = \"example.com\"\nfile = \"z\"\n[[zone.update]]\n";

fn parse(grant: &str) -> Result<Config, String> {
    Config::parse(&format!("{HEAD}{grant}"), Path::new("d.toml")).map_err(|e| e.to_string())
}

#[test]
fn a_grant_is_read_with_its_key_names_and_types() {
    let c =
        parse("key = \"ACME\"\nnames = [\"_acme-challenge.*.example.com\"]\ntypes = [\"txt\"]\n")
            .unwrap();
    let g = &c.zones[0].update[0];
    assert_eq!(g.key, "acme");
    assert_eq!(g.types, [Rtype::TXT]);
    let name = zones::Name::from_ascii("_acme-challenge.mx1.example.com.").unwrap();
    assert!(g.allows("acme", &name, Rtype::TXT));
}

#[test]
fn bad_grants_are_errors_naming_the_key() {
    for (grant, want) in [
        (
            "key = \"nokey\"\nnames = [\"a.example.com\"]\ntypes = [\"TXT\"]\n",
            "update: key",
        ),
        (
            "key = \"acme\"\nnames = [\"a.example.org\"]\ntypes = [\"TXT\"]\n",
            "not in the zone",
        ),
        (
            "key = \"acme\"\nnames = [\"a.example.com\"]\ntypes = [\"DNSKEY\"]\n",
            "never be updated",
        ),
        (
            "key = \"acme\"\nnames = [\"a.example.com\"]\ntypes = [\"BOGUS\"]\n",
            "unknown type",
        ),
        (
            "key = \"acme\"\nnames = []\ntypes = [\"TXT\"]\n",
            "must not be empty",
        ),
        (
            "key = \"acme\"\nnames = [\"a.example.com\"]\ntypes = [\"TXT\"]\nextra = 1\n",
            "unknown field",
        ),
    ] {
        let err = parse(grant).unwrap_err();
        assert!(err.contains(want), "{grant}: {err}");
    }
}
