//! `daned fixture` and `daned doctor` end to end (issue 8):
//! - the fixture starts from a bare folder within seconds and leaves nothing running when
//!   stopped (SIGTERM and SIGINT);
//! - for every fault, `daned doctor` names the code a DANE sender gives, and passes (exit 0)
//!   with `none` and the pre-published renewal;
//! - a DANE sender this project did not write (Postfix's `posttls-finger -l dane`), resolving
//!   through a real validating `unbound` that trusts only the fixture's DS, verifies the MX
//!   with `none` and fails with each fault. It uses the system resolver, so it runs in a
//!   private network and mount namespace whose resolv.conf points at that unbound.

mod common;

use std::fs;
use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Command, Output};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{Proc, TempDir, daned_bin, free_port, require_tool, wait_for_soa};

/// Every fault with the code a DANE sender reports (`None`: it delivers).
const FAULTS: [(&str, Option<&str>); 9] = [
    ("none", None),
    ("tlsa-mismatch", Some("5.7.323")),
    ("cert-expired", Some("5.7.322")),
    ("no-starttls", Some("5.7.321")),
    ("bad-signature", Some("5.7.324")),
    ("expired-signatures", Some("5.7.324")),
    ("ds-mismatch", Some("5.7.324")),
    ("renewal-unsafe", Some("5.7.323")),
    ("renewal-prepublished", None),
];

/// A running `daned fixture` in a fresh folder on free loopback ports.
struct Fixture {
    /// The process (dropped before the folder).
    proc: Proc,
    /// DNS port.
    dns: u16,
    /// SMTP port.
    smtp: u16,
    /// The port its unbound.conf makes unbound listen on.
    resolver: u16,
    /// Its stdout and stderr.
    log: std::path::PathBuf,
    /// The folder (the fixture's own `DIR` is `dir/fx`, which it creates).
    dir: TempDir,
}

impl Fixture {
    /// Starts it with `fault`; returns once its DNS answers, and how long that took.
    fn start(fault: &str) -> (Self, Duration) {
        require_tool("kdig");
        let dir = tempfile::tempdir().expect("temp dir");
        let (dns, smtp, resolver) = (free_port(), free_port(), free_port());
        let log = dir.path().join("fixture.log");
        let started = Instant::now();
        let mut proc = Proc::spawn(
            Command::new(daned_bin())
                .args(["fixture", "--dir"])
                .arg(dir.path().join("fx"))
                .args(["--dns", &format!("127.0.0.1:{dns}")])
                .args(["--smtp", &format!("127.0.0.1:{smtp}")])
                .args(["--resolver", &format!("127.0.0.1:{resolver}")])
                .args(["--fault", fault]),
            &log,
        );
        wait_for_soa(dns, "example.test", &mut proc, &log);
        let took = started.elapsed();
        (
            Self {
                proc,
                dns,
                smtp,
                resolver,
                log,
                dir,
            },
            took,
        )
    }

    /// The fixture's folder.
    fn fx(&self) -> std::path::PathBuf {
        self.dir.path().join("fx")
    }

    /// `daned fixture fault DIR NAME`, which returns once the fault is served.
    fn set_fault(&self, fault: &str) {
        let out = Command::new(daned_bin())
            .args(["fixture", "fault"])
            .arg(self.fx())
            .arg(fault)
            .output()
            .expect("run daned");
        assert!(
            out.status.success(),
            "daned fixture fault {fault}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    /// `daned doctor example.test --json` against the fixture's own DNS server.
    fn doctor(&self) -> (Output, serde_json::Value) {
        self.doctor_via(self.dns)
    }

    /// `daned doctor example.test --json` asking the DNS server at `port`.
    fn doctor_via(&self, port: u16) -> (Output, serde_json::Value) {
        self.doctor_with(port, &mut Command::new(daned_bin()))
    }

    /// `daned doctor example.test --json` asking the fixture, on the virtual clock `secs`.
    fn doctor_at(&self, secs: u64) -> (Output, serde_json::Value) {
        let clock = self.dir.path().join("doctor-clock");
        fs::write(&clock, secs.to_string()).unwrap();
        self.doctor_with(
            self.dns,
            Command::new(daned_bin()).env("DANED_CLOCK_FILE", &clock),
        )
    }

    /// Runs the doctor command `cmd` against the DNS server at `port`.
    fn doctor_with(&self, port: u16, cmd: &mut Command) -> (Output, serde_json::Value) {
        let out = cmd
            .args(["doctor", "example.test", "--json", "--timeout", "5"])
            .args(["--resolver", &format!("127.0.0.1:{port}")])
            .arg("--trust-anchor")
            .arg(self.fx().join("trust-anchor.ds"))
            .args(["--port", &self.smtp.to_string()])
            .output()
            .expect("run daned doctor");
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "doctor printed no JSON ({e}):\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out, json)
    }
}

/// Every failure code in a doctor JSON report.
fn codes(report: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = report["failure"]["code"].as_str() {
        out.push(c.to_string());
    }
    for h in report["hosts"].as_array().into_iter().flatten() {
        if let Some(c) = h["failure"]["code"].as_str() {
            out.push(c.to_string());
        }
    }
    out
}

/// True when nothing listens on the port any more (UDP and TCP can be bound again).
fn port_free(port: u16) -> bool {
    UdpSocket::bind(("127.0.0.1", port)).is_ok() && TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Pids of processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let cmdline = fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(needle) {
            found.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    found
}

#[test]
fn the_fixture_starts_from_a_bare_folder_within_seconds_and_leaves_nothing_running() {
    for signal in ["TERM", "INT"] {
        let (mut fx, took) = Fixture::start("none");
        assert!(
            took < Duration::from_secs(5),
            "the fixture took {took:?} to serve"
        );
        for file in [
            "trust-anchor.ds",
            "unbound.conf",
            "mx.pem",
            "mx.key",
            "ca.pem",
            "next.key",
            "fixture.pid",
        ] {
            assert!(fx.fx().join(file).exists(), "{file} missing");
        }
        let anchor = fs::read_to_string(fx.fx().join("trust-anchor.ds")).unwrap();
        assert!(anchor.starts_with("example.test. 3600 IN DS "), "{anchor}");
        let printed = fs::read_to_string(&fx.log).unwrap();
        assert!(
            printed.contains("unbound -d -c"),
            "how-to printed:\n{printed}"
        );
        assert!(printed.contains("daned fixture fault"), "{printed}");

        fx.proc.signal(signal);
        let deadline = Instant::now() + Duration::from_secs(5);
        while fx.proc.alive() && Instant::now() < deadline {
            sleep(Duration::from_millis(20));
        }
        assert!(!fx.proc.alive(), "SIG{signal} did not stop the fixture");
        assert!(port_free(fx.dns), "DNS port still bound after SIG{signal}");
        assert!(
            port_free(fx.smtp),
            "SMTP port still bound after SIG{signal}"
        );
        assert!(!fx.fx().join("fixture.pid").exists(), "pid file left");
        let dir = fx.fx().display().to_string();
        assert_eq!(processes_mentioning(&dir), Vec::<String>::new());
    }
}

#[test]
fn doctor_names_the_code_of_every_fault_and_passes_without_one() {
    let (fx, _) = Fixture::start("none");
    for (fault, code) in FAULTS {
        fx.set_fault(fault);
        let (out, report) = fx.doctor();
        let found = codes(&report);
        match code {
            None => {
                assert!(
                    out.status.success() && found.is_empty(),
                    "{fault}: the doctor should pass, got {found:?}:\n{report:#}"
                );
                assert_eq!(report["delivers"], true);
            }
            Some(code) => {
                assert!(!out.status.success(), "{fault}: exit status 0");
                assert_eq!(found, [code], "{fault}:\n{report:#}");
            }
        }
    }
    // The text report says the same for people.
    fx.set_fault("tlsa-mismatch");
    let text = Command::new(daned_bin())
        .args(["doctor", "example.test", "--timeout", "5"])
        .args(["--resolver", &format!("127.0.0.1:{}", fx.dns)])
        .arg("--trust-anchor")
        .arg(fx.fx().join("trust-anchor.ds"))
        .args(["--port", &fx.smtp.to_string()])
        .output()
        .expect("doctor");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("FAIL  5.7.323 tlsa-invalid"), "{text}");
    assert!(text.contains("fix: "), "{text}");
}

#[test]
fn doctor_through_a_validating_unbound_from_the_fixtures_unbound_conf_passes_then_sees_a_fault() {
    require_tool("unbound");
    let (fx, _) = Fixture::start("none");
    let conf = fx.fx().join("unbound.conf");
    let log = fx.dir.path().join("unbound.log");
    let mut unbound = Proc::spawn(Command::new("unbound").arg("-d").arg("-c").arg(&conf), &log);
    wait_for_soa(fx.resolver, "example.test", &mut unbound, &log);
    let (out, report) = fx.doctor_via(fx.resolver);
    assert!(out.status.success(), "{report:#}");
    assert!(
        report["hosts"][0]["passed"]
            .to_string()
            .contains("STARTTLS at"),
        "{report:#}"
    );
    fx.set_fault("bad-signature");
    // unbound.conf caps cache times at 2 s, so the switched fault shows within seconds.
    sleep(Duration::from_secs(3));
    let (out, report) = fx.doctor_via(fx.resolver);
    assert!(!out.status.success());
    assert_eq!(codes(&report), ["5.7.324"], "{report:#}");
}

#[test]
fn doctor_warns_of_signatures_about_to_expire_and_fails_once_they_have() {
    // The fixture signs with the default 14-day lifetime; the doctor's own clock moves.
    let (fx, _) = Fixture::start("none");
    let now = common::wall_secs();
    let (out, report) = fx.doctor_at(now + 12 * 86_400);
    assert!(out.status.success(), "{report:#}");
    assert!(
        report["warnings"].to_string().contains("expires soon"),
        "{report:#}"
    );
    let (out, report) = fx.doctor_at(now + 20 * 86_400);
    assert!(!out.status.success());
    assert_eq!(codes(&report), ["5.7.324"], "{report:#}");
    assert!(
        report["failure"]["reason"].to_string().contains("expired"),
        "{report:#}"
    );
}

//------------ posttls-finger in a namespace -------------------------------------

/// A private network and mount namespace (loopback up, resolv.conf pointing at 127.0.0.1
/// with trust-ad), held by a `sleep` stopped by its pid.
struct Namespace {
    /// The holder.
    holder: Proc,
}

impl Namespace {
    /// Creates it; `resolv` is the resolv.conf to bind over /etc/resolv.conf.
    fn start(dir: &Path) -> Self {
        for tool in ["unshare", "nsenter", "ip"] {
            require_tool(tool);
        }
        let resolv = dir.join("resolv.conf");
        fs::write(&resolv, "nameserver 127.0.0.1\noptions edns0 trust-ad\n").unwrap();
        let script = format!(
            "ip link set lo up && mount --bind {} /etc/resolv.conf && exec sleep 600",
            resolv.display()
        );
        let mut holder = Proc::spawn(
            Command::new("unshare").args(["--net", "--mount", "sh", "-c", &script]),
            &dir.join("namespace.log"),
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            assert!(
                holder.alive(),
                "unshare failed (root needed):\n{}",
                fs::read_to_string(dir.join("namespace.log")).unwrap_or_default()
            );
            let probe = Command::new("nsenter")
                .args(["-t", &holder.pid().to_string(), "--net", "--mount"])
                .args(["cat", "/etc/resolv.conf"])
                .output()
                .expect("nsenter");
            if String::from_utf8_lossy(&probe.stdout).contains("trust-ad") {
                break;
            }
            assert!(Instant::now() < deadline, "namespace never got ready");
            sleep(Duration::from_millis(50));
        }
        Self { holder }
    }

    /// A command run inside the namespace.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.args([
            "-t",
            &self.holder.pid().to_string(),
            "--net",
            "--mount",
            program,
        ]);
        cmd
    }

    /// Waits until `port` in the namespace answers an SOA query for example.test (with CD
    /// set: a fault may make the zone bogus, which is what the sender is to find out).
    fn wait_for_soa(&self, port: u16, proc: &mut Proc, log: &Path) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let out = self
                .command("kdig")
                .args([
                    "+time=1",
                    "+retry=0",
                    "+cd",
                    "@127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                .args(["example.test", "SOA"])
                .output()
                .expect("kdig");
            if String::from_utf8_lossy(&out.stdout).contains("status: NOERROR") {
                return;
            }
            assert!(
                proc.alive(),
                "exited:\n{}",
                fs::read_to_string(log).unwrap_or_default()
            );
            sleep(Duration::from_millis(50));
        }
        panic!(
            "port {port} never answered:\n{}",
            fs::read_to_string(log).unwrap_or_default()
        );
    }
}

#[test]
fn posttls_finger_through_a_validating_unbound_verifies_the_fixture_and_fails_with_each_fault() {
    require_tool("posttls-finger");
    require_tool("unbound");
    require_tool("kdig");
    let dir = tempfile::tempdir().expect("temp dir");
    let ns = Namespace::start(dir.path());
    let fx_dir = dir.path().join("fx");
    // In the namespace every port is free: the sender's defaults (resolver on 53, SMTP on 25).
    let fixture_log = dir.path().join("fixture.log");
    let mut fixture = Proc::spawn(
        ns.command(daned_bin())
            .args(["fixture", "--dir"])
            .arg(&fx_dir)
            .args(["--dns", "127.0.0.1:5300", "--smtp", "127.0.0.1:25"])
            .args(["--resolver", "127.0.0.1:53"]),
        &fixture_log,
    );
    ns.wait_for_soa(5300, &mut fixture, &fixture_log);
    let conf = fx_dir.join("unbound.conf");
    assert!(
        fs::read_to_string(&conf)
            .unwrap()
            .contains("trust-anchor-file")
    );
    let postfix = dir.path().join("postfix");
    fs::create_dir_all(&postfix).unwrap();
    fs::write(
        postfix.join("main.cf"),
        "compatibility_level = 3.6\nsmtp_dns_support_level = dnssec\n\
         smtp_tls_security_level = dane\ndnssec_probe =\n",
    )
    .unwrap();

    for (fault, code) in FAULTS {
        let out = ns
            .command(daned_bin())
            .args(["fixture", "fault"])
            .arg(&fx_dir)
            .arg(fault)
            .output()
            .expect("daned fixture fault");
        assert!(out.status.success(), "{fault}: {out:?}");
        // A fresh unbound per fault: nothing cached from the previous one.
        let unbound_log = dir.path().join(format!("unbound-{fault}.log"));
        let mut unbound = Proc::spawn(
            ns.command("unbound").arg("-d").arg("-c").arg(&conf),
            &unbound_log,
        );
        ns.wait_for_soa(53, &mut unbound, &unbound_log);
        let out = ns
            .command("timeout")
            .args([
                "30",
                "posttls-finger",
                "-l",
                "dane",
                "-L",
                "summary",
                "example.test",
            ])
            .env("MAIL_CONFIG", &postfix)
            .output()
            .expect("posttls-finger");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        unbound.stop();
        let verified = text.contains("Verified TLS connection established to mx.example.test");
        let why = match fault {
            "tlsa-mismatch" | "renewal-unsafe" => "no matching DANE TLSA records",
            "cert-expired" => "certificate has expired",
            "no-starttls" => "< 250 ENHANCEDSTATUSCODES",
            "bad-signature" => "TLSA lookup error",
            "expired-signatures" | "ds-mismatch" => "name=example.test type=MX",
            _ => "Verified TLS connection",
        };
        match code {
            None => assert!(verified, "{fault}: posttls-finger did not verify:\n{text}"),
            Some(_) => {
                assert!(!verified, "{fault}: posttls-finger verified:\n{text}");
                assert!(
                    !text.contains("TLS connection established") || fault != "no-starttls",
                    "{fault}: TLS without STARTTLS?\n{text}"
                );
            }
        }
        assert!(text.contains(why), "{fault}: expected {why:?} in:\n{text}");
    }
    fixture.stop();
}
