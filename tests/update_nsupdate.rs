//! DNS UPDATE (RFC 2136) with TSIG grants, driven by BIND's `nsupdate -y`: the RCODE of each
//! prerequisite form, refusals that change nothing (no TSIG, a wrong key, a wrong secret, a
//! name or type outside the grant, the apex DNSKEY, a name whose TLSA daned manages), the
//! change served signed as soon as nsupdate returns, a knotd secondary following every update
//! by IXFR, the layer kept over a restart and a reload of the zone file, `daned update
//! list/clear`, and an AXFR that passes ldns-verify-zone.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{
    Daned, KnotSecondary, free_port, ldns_verify_axfr, require_tool, serial_at, wait_for_serial,
};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";

/// The key the grant names, and one that exists but has no grant.
const ACME: &str = "hmac-sha256:acme:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
const OTHER: &str = "hmac-sha256:other:b3RoZXJvdGhlcm90aGVyb3RoZXI=";

/// Runs nsupdate (with `-y KEY` when given) on `commands` against daned; returns its stderr
/// (where it reports `update failed: RCODE`) and whether it succeeded.
fn nsupdate(daned: &Daned, key: Option<&str>, commands: &str) -> (bool, String) {
    let script = format!(
        "server 127.0.0.1 {}\nzone example.com\n{commands}\nsend\n",
        daned.port
    );
    let mut cmd = Command::new("nsupdate");
    if let Some(k) = key {
        cmd.args(["-y", k]);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nsupdate");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A self-signed P-256 certificate for mx1 at `cert.pem` (its key at `key.pem`).
fn make_cert(dir: &Path) {
    common::openssl_self_signed(&dir.join("cert.pem"), &dir.join("key.pem"));
}

fn txt(daned: &Daned, name: &str) -> String {
    daned.kdig(&["+dnssec", "+norec", name, "TXT"])
}

#[test]
fn nsupdate_changes_are_granted_checked_published_signed_and_kept() {
    for tool in ["nsupdate", "kdig", "knotd", "ldns-verify-zone", "openssl"] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("example.com.zone"), ZONE).unwrap();
    make_cert(dir.path());
    let knot_port = free_port();
    let tail = format!(
        "[[tsig_key]]\nname = \"acme\"\nsecret = \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"\n\
         [[tsig_key]]\nname = \"other\"\nsecret = \"b3RoZXJvdGhlcm90aGVyb3RoZXI=\"\n\
         [[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
         allow_transfer = [\"127.0.0.0/8\"]\nnotify = [\"127.0.0.1:{knot_port}\"]\n\
         [[zone.tlsa]]\nnames = [\"_25._tcp.mx1.example.com\"]\ncert = \"cert.pem\"\n\
         [[zone.update]]\nkey = \"acme\"\n\
         names = [\"_acme-challenge.*.example.com\", \"_25._tcp.mx1.example.com\", \"example.com\"]\n\
         types = [\"TXT\", \"TLSA\"]\n"
    );
    let mut daned = Daned::start_in(dir, &tail, "example.com");
    let knot = KnotSecondary::start("example.com", knot_port, daned.port);
    let first = serial_at(daned.port, "example.com").unwrap();
    assert!(
        wait_for_serial(knot.port, "example.com", first),
        "{}",
        knot.log()
    );

    // An add inside the grant: answered once published, so it is served signed at once.
    let (ok, err) = nsupdate(
        &daned,
        Some(ACME),
        "update add _acme-challenge.mx1.example.com. 60 TXT \"token-1\"",
    );
    assert!(ok, "{err}\n{}", daned.log());
    let answer = txt(&daned, "_acme-challenge.mx1.example.com");
    assert!(answer.contains("\"token-1\""), "{answer}");
    assert!(answer.contains("RRSIG\tTXT"), "not signed: {answer}");
    let second = serial_at(daned.port, "example.com").unwrap();
    assert_eq!(second, first + 1);

    // Each prerequisite form gives the RFC's RCODE when it does not hold, and nothing changes.
    for (prereq, rcode) in [
        ("prereq yxdomain nowhere.example.com.", "NXDOMAIN"),
        ("prereq yxrrset mx1.example.com. TXT", "NXRRSET"),
        ("prereq nxdomain mx1.example.com.", "YXDOMAIN"),
        ("prereq nxrrset mx1.example.com. A", "YXRRSET"),
        ("prereq yxrrset mx1.example.com. A 192.0.2.99", "NXRRSET"),
    ] {
        let (ok, err) = nsupdate(
            &daned,
            Some(ACME),
            &format!("{prereq}\nupdate add _acme-challenge.mx2.example.com. 60 TXT \"p\""),
        );
        assert!(
            !ok && err.contains(&format!("update failed: {rcode}")),
            "{prereq}: {err}"
        );
    }
    // And each form that holds lets the update through.
    let (ok, err) = nsupdate(
        &daned,
        Some(ACME),
        "prereq yxdomain mx1.example.com.\nprereq yxrrset mx1.example.com. A\n\
         prereq nxdomain _acme-challenge.mx2.example.com.\nprereq nxrrset mx1.example.com. TXT\n\
         prereq yxrrset mx1.example.com. A 192.0.2.25\n\
         update add _acme-challenge.mx2.example.com. 60 TXT \"p\"",
    );
    assert!(ok, "{err}");
    let third = serial_at(daned.port, "example.com").unwrap();
    assert_eq!(third, second + 1);

    // Refused, with nothing changed.
    let add = "update add _acme-challenge.mx3.example.com. 60 TXT \"x\"";
    let refusals = [
        (None, add.to_string(), "REFUSED"),
        (Some(OTHER), add.to_string(), "REFUSED"),
        (Some("hmac-sha256:nokey:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"), add.to_string(), "NOTAUTH"),
        (Some("hmac-sha256:acme:d3Jvbmd3cm9uZ3dyb25nd3Jvbmc="), add.to_string(), "NOTAUTH"),
        (Some(ACME), "update add mx1.example.com. 60 TXT \"x\"".to_string(), "REFUSED"),
        (Some(ACME), "update add _acme-challenge.mx1.example.com. 60 CAA 0 issue \"ca.example\"".to_string(), "REFUSED"),
        (
            Some(ACME),
            "update add example.com. 60 DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==".to_string(),
            "REFUSED",
        ),
        (Some(ACME), "update delete _25._tcp.mx1.example.com. TLSA".to_string(), "REFUSED"),
        (Some(ACME), "update add _25._tcp.mx1.example.com. 60 TXT \"x\"".to_string(), "REFUSED"),
    ];
    for (key, commands, rcode) in &refusals {
        let (ok, err) = nsupdate(&daned, *key, commands);
        assert!(
            !ok && err.contains(rcode),
            "{key:?} {commands}: want {rcode}: {err}"
        );
    }
    assert_eq!(
        serial_at(daned.port, "example.com"),
        Some(third),
        "a refusal changed the zone"
    );
    assert!(daned.log().contains("UPDATE refused"), "{}", daned.log());

    // The secondary got every update by IXFR.
    assert!(
        wait_for_serial(knot.port, "example.com", third),
        "{}",
        knot.log()
    );
    assert!(knot.log().contains("IXFR, incoming"), "{}", knot.log());
    let full = daned
        .log()
        .lines()
        .any(|l| l.contains("IXFR sent") && l.contains("kind=Full"));
    assert!(
        !full,
        "an update reached the secondary by AXFR:\n{}",
        daned.log()
    );

    // The layer: listed, kept over a restart and over a reload of a changed zone file.
    let config = daned.config.to_str().unwrap().to_string();
    let listed = daned.cli(&["update", "list", "-c", &config, "example.com"]);
    assert!(
        listed.contains("add _acme-challenge.mx1.example.com. 60 IN TXT \"token-1\""),
        "{listed}"
    );
    daned.restart("example.com");
    assert!(txt(&daned, "_acme-challenge.mx1.example.com").contains("\"token-1\""));
    let file = daned.dir.path().join("example.com.zone");
    fs::write(&file, format!("{ZONE}www A 192.0.2.80\n")).unwrap();
    daned.cli(&["reload", "-c", &config]);
    let fourth = serial_at(daned.port, "example.com").unwrap();
    assert!(
        wait_for_serial(daned.port, "example.com", fourth.max(third + 1)),
        "{}",
        daned.log()
    );
    assert!(daned.kdig(&["www.example.com", "A"]).contains("192.0.2.80"));
    assert!(txt(&daned, "_acme-challenge.mx1.example.com").contains("\"token-1\""));

    // Cleanup as an ACME client does it: the TXT is gone, the zone verifies.
    let (ok, err) = nsupdate(
        &daned,
        Some(ACME),
        "update delete _acme-challenge.mx1.example.com. TXT \"token-1\"\n\
         update delete _acme-challenge.mx2.example.com. TXT",
    );
    assert!(ok, "{err}");
    let gone = txt(&daned, "_acme-challenge.mx1.example.com");
    assert!(
        gone.contains("NXDOMAIN") && !gone.contains("token-1"),
        "{gone}"
    );
    assert!(
        daned
            .cli(&["update", "list", "-c", &config, "example.com"])
            .trim()
            .is_empty()
    );
    let serial = serial_at(daned.port, "example.com").unwrap();
    assert!(
        wait_for_serial(knot.port, "example.com", serial),
        "{}",
        knot.log()
    );
    ldns_verify_axfr(daned.port, "example.com", daned.dir.path());

    // `update clear` on a running daemon: the layer goes at the next reload.
    let (ok, err) = nsupdate(
        &daned,
        Some(ACME),
        "update add _acme-challenge.mx4.example.com. 60 TXT \"c\"",
    );
    assert!(ok, "{err}");
    daned.cli(&["update", "clear", "-c", &config, "example.com"]);
    daned.cli(&["reload", "-c", &config]);
    let mut cleared = false;
    for _ in 0..50 {
        if txt(&daned, "_acme-challenge.mx4.example.com").contains("NXDOMAIN") {
            cleared = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(cleared, "{}", daned.log());
}
