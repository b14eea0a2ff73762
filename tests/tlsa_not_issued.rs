//! A `[[zone.tlsa]]` whose certificate file does not exist yet (before the first ACME
//! issuance) is no start-up error: `daned check` warns and exits 0, `daned tlsa status` says
//! so, the daemon serves the zone, and the record is published once the file appears.

mod common;

use std::fs;
use std::time::{Duration, Instant};

use common::{Daned, require_tool};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";

#[test]
fn a_certificate_not_issued_yet_is_reported_then_published_when_it_appears() {
    for tool in ["openssl", "kdig"] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("example.com.zone"), ZONE).unwrap();
    // certbot makes live/NAME/ at the first issuance; the folder may exist already.
    fs::create_dir_all(dir.path().join("live")).unwrap();
    let tail = "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
                [[zone.tlsa]]\nnames = [\"_25._tcp.mx1.example.com\"]\ncert = \"live/fullchain.pem\"\n";
    let daned = Daned::start_in(dir, tail, "example.com");
    let config = daned.config.to_str().unwrap().to_string();
    let check = daned.cli(&["check", "-c", &config]);
    assert!(check.contains("does not exist yet (not issued)"), "{check}");
    let status = daned.cli(&["tlsa", "status", "-c", &config]);
    assert!(status.contains("not issued yet"), "{status}");
    let none = daned.kdig(&["_25._tcp.mx1.example.com", "TLSA"]);
    assert!(none.contains("NXDOMAIN"), "{none}");

    let live = daned.dir.path().join("live");
    common::openssl_self_signed(&live.join("fullchain.pem"), &live.join("privkey.pem"));
    let want = daned.cli(&["tlsa", live.join("fullchain.pem").to_str().unwrap()]);
    let data = want.split_whitespace().last().unwrap().to_ascii_uppercase();
    let started = Instant::now();
    loop {
        let answer = daned.kdig(&["+dnssec", "_25._tcp.mx1.example.com", "TLSA"]);
        if answer.to_ascii_uppercase().contains(&data) && answer.contains("RRSIG") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not published: {answer}\n{}",
            daned.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
