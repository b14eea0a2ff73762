//! The fixture's mail faults, seen by `daned doctor` (its DNSSEC validation, an HTTPS fetch
//! of the policy verified against the fixture's MTA-STS CA) and by kdig: `none` has a usable
//! DKIM key, an MTA-STS policy whose id and mx patterns agree with the zone; `dkim-revoked`,
//! `dkim-missing`, `mta-sts-id-stale` and `mta-sts-mx-mismatch` each break exactly that.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Proc, daned_bin, free_port, kdig, require_tool, wait_for_soa};

/// A running fixture.
struct Fixture {
    /// The process (first: dropped before the folder).
    _proc: Proc,
    /// Its DNS port.
    dns: u16,
    /// Its SMTP port.
    smtp: u16,
    /// Its MTA-STS policy host port.
    sts: u16,
    /// Its folder.
    dir: tempfile::TempDir,
}

impl Fixture {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (dns, smtp, resolver, sts) = (free_port(), free_port(), free_port(), free_port());
        let log = dir.path().join("fixture.log");
        let mut proc = Proc::spawn(
            Command::new(daned_bin())
                .args(["fixture", "--dir"])
                .arg(dir.path().join("fx"))
                .args(["--dns", &format!("127.0.0.1:{dns}")])
                .args(["--smtp", &format!("127.0.0.1:{smtp}")])
                .args(["--resolver", &format!("127.0.0.1:{resolver}")])
                .args(["--mta-sts", &format!("127.0.0.1:{sts}")]),
            &log,
        );
        wait_for_soa(dns, "example.test", &mut proc, &log);
        Self {
            _proc: proc,
            dns,
            smtp,
            sts,
            dir,
        }
    }

    fn fx(&self) -> std::path::PathBuf {
        self.dir.path().join("fx")
    }

    fn set_fault(&self, fault: &str) {
        let out = Command::new(daned_bin())
            .args(["fixture", "fault"])
            .arg(self.fx())
            .arg(fault)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The `mail` part of `daned doctor --json`.
    fn doctor(&self) -> serde_json::Value {
        let fx = self.fx();
        let out = Command::new(daned_bin())
            .args(["doctor", "example.test", "--json", "--timeout", "2"])
            .args(["--resolver", &format!("127.0.0.1:{}", self.dns)])
            .arg("--trust-anchor")
            .arg(fx.join("trust-anchor.ds"))
            .args(["--port", &self.smtp.to_string()])
            .args(["--dkim-selector", "fixture"])
            .args(["--mta-sts-port", &self.sts.to_string()])
            .arg("--mta-sts-ca")
            .arg(fx.join("mta-sts-ca.pem"))
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(report["delivers"], true, "DANE stays intact: {report:#}");
        report["mail"].clone()
    }
}

/// Whether one of the strings of `list` contains every one of `parts`.
fn has(list: &serde_json::Value, parts: &[&str]) -> bool {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .any(|t| parts.iter().all(|p| t.contains(p)))
}

fn errors(mail: &serde_json::Value) -> usize {
    mail["errors"].as_array().map_or(0, Vec::len)
}

#[test]
fn each_mail_fault_is_what_the_doctor_reports() {
    require_tool("kdig");
    let fx = Fixture::start();
    assert!(Path::new(&fx.fx().join("dkim.key")).exists());

    let mail = fx.doctor();
    assert!(
        has(&mail["passed"], &["DKIM fixture._domainkey", "ed25519"]),
        "{mail:#}"
    );
    assert!(
        has(&mail["passed"], &["MTA-STS policy fetched", "Enforce"]),
        "{mail:#}"
    );
    assert!(
        has(
            &mail["passed"],
            &["MTA-STS and DANE agree on mx.example.test"]
        ),
        "{mail:#}"
    );
    assert!(
        has(&mail["passed"], &["SPF"]) && has(&mail["passed"], &["DMARC"]),
        "{mail:#}"
    );
    assert_eq!(errors(&mail), 0, "{mail:#}");
    assert!(!has(&mail["warnings"], &["MTA-STS id"]), "{mail:#}");

    fx.set_fault("dkim-revoked");
    let mail = fx.doctor();
    assert!(
        has(&mail["errors"], &["fixture._domainkey", "revoked"]),
        "{mail:#}"
    );
    assert_eq!(errors(&mail), 1, "{mail:#}");

    fx.set_fault("dkim-missing");
    let mail = fx.doctor();
    assert!(
        has(&mail["errors"], &["fixture._domainkey", "no key record"]),
        "{mail:#}"
    );
    let dns = fx.dns.to_string();
    let out = kdig(&[
        "@127.0.0.1",
        "-p",
        &dns,
        "fixture._domainkey.example.test",
        "TXT",
    ]);
    assert!(out.contains("NXDOMAIN"), "{out}");

    fx.set_fault("mta-sts-id-stale");
    let mail = fx.doctor();
    assert!(
        has(
            &mail["warnings"],
            &["MTA-STS id", "not the id of the policy served"]
        ),
        "{mail:#}"
    );
    assert_eq!(errors(&mail), 0, "{mail:#}");

    fx.set_fault("mta-sts-mx-mismatch");
    let mail = fx.doctor();
    assert!(
        has(
            &mail["errors"],
            &["MX host mx.example.test", "no mx pattern"]
        ),
        "{mail:#}"
    );
    assert!(
        has(&mail["warnings"], &["mail.example.test matches no MX host"]),
        "{mail:#}"
    );

    fx.set_fault("none");
    assert_eq!(errors(&fx.doctor()), 0);
}
