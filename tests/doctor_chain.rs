//! `daned doctor` walks a chain of trust over a real delegation (RFC 4035 section 5): the
//! anchor is the parent zone's DS, the mail domain is a child whose DS the parent publishes,
//! both served and signed by a real `daned serve`. This is the path a root anchor takes, one
//! level shorter. A parent DS that matches no key of the child is 5.7.324; an extra DS beside
//! the right one is a warning.

mod common;

use std::fs;
use std::process::Command;

use common::{Daned, daned_bin, wait_for_serial};

const PARENT: &str = "$ORIGIN test.\n$TTL 300\n@ SOA ns1.test. hostmaster.test. SERIAL 3600 600 86400 60\n\
                      @ NS ns1.test.\nns1 A 127.0.0.1\n\
                      example NS ns1.example.test.\nns1.example A 127.0.0.1\n";

const CHILD: &str = "$ORIGIN example.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n\
                     @ NS ns1\nns1 A 127.0.0.1\n@ MX 10 mx\nmx A 127.0.0.1\n\
                     _25._tcp.mx TLSA 3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n";

/// Serves `parent` (with its serial and extra records) and reloads; waits for the serial.
fn publish_parent(daned: &Daned, serial: u32, extra: &str) {
    let text = PARENT.replace("SERIAL", &serial.to_string()) + extra;
    fs::write(daned.dir.path().join("test.zone"), text).unwrap();
    daned.cli(&["reload", "-c", daned.config.to_str().unwrap()]);
    assert!(
        wait_for_serial(daned.port, "test", serial),
        "{}",
        daned.log()
    );
}

/// `daned doctor example.test --json` against daned, anchored at the parent's DS.
fn doctor(daned: &Daned) -> serde_json::Value {
    let anchor = daned.dir.path().join("anchor.ds");
    let out = Command::new(daned_bin())
        .args([
            "doctor",
            "example.test",
            "--json",
            "--timeout",
            "2",
            "--port",
            "25",
        ])
        .args(["--resolver", &format!("127.0.0.1:{}", daned.port)])
        .arg("--trust-anchor")
        .arg(&anchor)
        .output()
        .expect("run doctor");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn doctor_validates_a_child_zone_through_its_parents_ds_and_names_a_wrong_ds() {
    let tail = "[[zone]]\nname = \"test\"\nfile = \"test.zone\"\n\n\
                [[zone]]\nname = \"example.test\"\nfile = \"example.test.zone\"\n";
    let parent = PARENT.replace("SERIAL", "1");
    let daned = Daned::start(
        &[("test.zone", &parent), ("example.test.zone", CHILD)],
        tail,
        "example.test",
    );
    let config = daned.config.to_str().unwrap().to_string();
    let parent_ds = daned.cli(&["ds", "-c", &config, "test"]);
    fs::write(daned.dir.path().join("anchor.ds"), &parent_ds).unwrap();
    let child_ds = daned.cli(&["ds", "-c", &config, "example.test"]);
    let child_ds = child_ds.lines().next().expect("a DS line").to_string();

    // Without a DS at the parent the chain is broken.
    let report = doctor(&daned);
    assert_eq!(report["failure"]["code"], "5.7.324", "{report:#}");
    assert!(
        report["failure"]["reason"].to_string().contains("no DS"),
        "{report:#}"
    );

    // With the right DS (and a stale one beside it): every RRset validates through the
    // parent; the stale DS is warned about; SMTP on port 25 is closed here (4.4.1).
    let mut fields: Vec<&str> = child_ds.split_whitespace().collect();
    let other_digest = "AB".repeat(32);
    if let Some(last) = fields.last_mut() {
        *last = &other_digest;
    }
    let stale = fields.join(" ") + "\n";
    publish_parent(&daned, 2, &format!("{child_ds}\n{stale}"));
    let report = doctor(&daned);
    let passed = report.to_string();
    assert!(
        passed.contains("MX example.test: 10 mx.example.test (DNSSEC valid)"),
        "{report:#}"
    );
    assert!(passed.contains("A 127.0.0.1 (DNSSEC valid)"), "{report:#}");
    assert!(
        passed.contains("TLSA _25._tcp.mx.example.test: 3 1 1 0123"),
        "{report:#}"
    );
    assert_ne!(
        report["hosts"][0]["failure"]["code"], "5.7.324",
        "{report:#}"
    );
    assert!(
        report["warnings"].to_string().contains("match no DNSKEY"),
        "{report:#}"
    );

    // Only a DS that matches no key of the child: 5.7.324 naming the mismatch.
    publish_parent(&daned, 3, &stale);
    let report = doctor(&daned);
    assert_eq!(report["failure"]["code"], "5.7.324", "{report:#}");
    assert!(
        report["failure"]["reason"]
            .to_string()
            .contains("no DNSKEY matches the DS"),
        "{report:#}"
    );
}
