//! Moving a zone from BIND to daned keeps the DS the parent already has: keys made by
//! `dnssec-keygen` are imported with `daned keys import`, `daned ds` prints the same DS as
//! `dnssec-dsfromkey`, and the zone daned serves with them passes `ldns-verify-zone`.

mod common;

use std::fs;

use common::{Daned, require_tool, run_ok};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\nwww A 192.0.2.2\n*.w TXT \"x\"\n";

#[test]
fn imported_bind_keys_sign_the_zone_and_keep_the_parents_ds() {
    for tool in [
        "dnssec-keygen",
        "dnssec-dsfromkey",
        "ldns-verify-zone",
        "kdig",
    ] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let ksk = run_ok(
        "dnssec-keygen",
        &[
            "-q",
            "-K",
            d,
            "-a",
            "RSASHA256",
            "-b",
            "2048",
            "-f",
            "KSK",
            "example.com",
        ],
    );
    let zsk = run_ok(
        "dnssec-keygen",
        &[
            "-q",
            "-K",
            d,
            "-a",
            "RSASHA256",
            "-b",
            "2048",
            "example.com",
        ],
    );
    fs::write(dir.path().join("example.com.zone"), ZONE).unwrap();
    let tail = "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
                allow_transfer = [\"127.0.0.0/8\"]\npolicy = \"moved\"\n\n\
                [policy.moved]\nalgorithm = \"rsasha256\"\nkeys = \"ksk+zsk\"\n";
    let port_config = dir.path().join("import.toml");
    fs::write(
        &port_config,
        format!("[server]\nlisten = [\"127.0.0.1:1\"]\nstate_dir = \"state\"\n\n{tail}"),
    )
    .unwrap();
    for stem in [ksk.trim(), zsk.trim()] {
        let key = dir.path().join(format!("{stem}.key"));
        let private = dir.path().join(format!("{stem}.private"));
        run_ok(
            common::daned_bin(),
            &[
                "keys",
                "import",
                "-c",
                port_config.to_str().unwrap(),
                "example.com",
                key.to_str().unwrap(),
                private.to_str().unwrap(),
            ],
        );
    }
    let daned = Daned::start_in(dir, tail, "example.com");

    let ours = daned.cli(&["ds", "-c", daned.config.to_str().unwrap(), "example.com"]);
    let key = daned.dir.path().join(format!("{}.key", ksk.trim()));
    let bind = run_ok("dnssec-dsfromkey", &["-2", key.to_str().unwrap()]);
    let digest = |text: &str| text.split_whitespace().last().unwrap_or("").to_uppercase();
    assert_eq!(
        digest(&ours),
        digest(&bind),
        "daned ds: {ours}\nBIND: {bind}"
    );

    common::ldns_verify_axfr(daned.port, "example.com", daned.dir.path());
    let keys = daned.cli(&["keys", "-c", daned.config.to_str().unwrap(), "example.com"]);
    assert!(
        keys.contains("RSASHA256") && keys.contains("ksk") && keys.contains("zsk"),
        "{keys}"
    );
}
