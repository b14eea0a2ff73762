//! The control socket (`state_dir/daned.sock`, mode 0600): `daned status` reports what the
//! daemon serves (the serial kdig sees, the keys, the secondaries' serials a real knotd
//! serves, the last reload error), `daned reload ZONE` and `daned keys roll` go through it and
//! say what came of them, and `daned reload` falls back to SIGHUP without it.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::{Daned, KnotSecondary, free_port, require_tool, serial_at};
use daned::daemon::state_view::{ReloadView, Signing, ZoneStateView};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n\
                    @ NS ns\nns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";

/// `daned status --json`, parsed.
fn status(daned: &Daned) -> Vec<ZoneStateView> {
    let out = daned.cli(&["status", "-c", daned.config.to_str().unwrap(), "--json"]);
    let json: serde_json::Value = serde_json::from_str(&out).expect("status is JSON");
    assert!(json["config_error"].is_null(), "{json}");
    serde_json::from_value(json["zones"].clone()).expect("zones are zone views")
}

/// Waits (bounded) until `check` holds for the status of `example.com.`.
fn wait_status(daned: &Daned, what: &str, check: impl Fn(&ZoneStateView) -> bool) -> ZoneStateView {
    let started = Instant::now();
    loop {
        let zones = status(daned);
        let z = zones.into_iter().next().expect("one zone");
        if check(&z) {
            return z;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "status never showed {what}: {z:#?}\n{}",
            daned.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn status_reload_and_keys_roll_go_through_the_control_socket() {
    for tool in ["knotd", "kdig"] {
        require_tool(tool);
    }
    let knot_port = free_port();
    let tail = format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
         allow_transfer = [\"127.0.0.0/8\"]\nnotify = [\"127.0.0.1:{knot_port}\"]\n"
    );
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("example.com.zone"), ZONE).unwrap();
    // A virtual clock: the daemon's timers tick every second.
    common::set_clock(dir.path(), common::wall_secs());
    let daned = Daned::start_in(dir, &tail, "example.com");
    let config = daned.config.to_str().unwrap().to_string();

    let socket = daned.dir.path().join("state/daned.sock");
    let mode = fs::metadata(&socket)
        .expect("the socket exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the socket is its owner's only");

    // What status says is what the daemon serves.
    let served = serial_at(daned.port, "example.com").unwrap();
    let z = status(&daned).remove(0);
    assert_eq!(z.zone, "example.com.");
    assert_eq!(z.serial, served);
    assert_eq!(z.signing, Signing::Signed);
    assert_eq!(z.keys.len(), 1, "{z:#?}");
    assert_eq!(
        (z.keys[0].role.as_str(), z.keys[0].phase.as_str()),
        ("csk", "active")
    );
    let dnskey = daned.kdig(&["+short", "example.com", "DNSKEY"]);
    assert!(!dnskey.trim().is_empty());
    assert!(z.next_key_event.is_some(), "{z:#?}");
    assert!(z.signatures_expire.is_some_and(|t| t > common::wall_secs()));

    // The secondary's serial as last seen, once knotd serves the zone.
    let knot = KnotSecondary::start("example.com", knot_port, daned.port);
    let z = wait_status(&daned, "the secondary at the served serial", |z| {
        z.secondaries.len() == 1 && z.secondaries[0].serial == Some(served)
    });
    assert_eq!(z.secondaries[0].addr, format!("127.0.0.1:{knot_port}"));

    // One zone reloaded through the socket: the reply names the new serial.
    fs::write(
        daned.dir.path().join("example.com.zone"),
        format!("{ZONE}www A 192.0.2.80\n"),
    )
    .unwrap();
    let out = daned.cli(&["reload", "-c", &config, "example.com"]);
    assert!(out.contains("zone example.com. reloaded"), "{out}");
    let after = serial_at(daned.port, "example.com").unwrap();
    assert!(after > served);
    assert!(out.contains(&format!("(serial {after})")), "{out}");
    let z = wait_status(&daned, "the secondary following", |z| {
        z.secondaries
            .first()
            .is_some_and(|s| s.serial == Some(after))
    });
    assert!(matches!(z.last_reload, ReloadView::Loaded { .. }), "{z:#?}");
    assert_eq!(serial_at(knot_port, "example.com"), Some(after));

    // A broken zone file: the reload says so, status keeps the error, the serial stays.
    fs::write(
        daned.dir.path().join("example.com.zone"),
        format!("{ZONE}www A not-an-address\n"),
    )
    .unwrap();
    let bad = daned.cli_output(&["reload", "-c", &config, "example.com"]);
    assert!(!bad.status.success(), "a failed reload is a failure");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("not reloaded"), "{stderr}");
    let z = status(&daned).remove(0);
    assert_eq!(z.serial, after);
    match &z.last_reload {
        ReloadView::Failed { error, .. } => {
            assert!(error.contains("not-an-address") || !error.is_empty())
        }
        other => panic!("the reload error is not reported: {other:?}"),
    }
    let text = daned.cli(&["status", "-c", &config]);
    assert!(text.contains("last reload        FAILED"), "{text}");
    assert!(text.contains(&format!("serial {after}")), "{text}");

    // A key roll through the socket starts at once: a second key appears in status and in
    // the DNSKEY RRset served.
    fs::write(daned.dir.path().join("example.com.zone"), ZONE).unwrap();
    let out = daned.cli(&["keys", "-c", &config, "roll", "example.com", "csk"]);
    assert!(
        out.contains("csk rollover of example.com. started"),
        "{out}"
    );
    let z = status(&daned).remove(0);
    assert_eq!(z.rollover.as_deref(), Some("csk"), "{z:#?}");
    assert_eq!(z.keys.len(), 2, "{z:#?}");
    let dnskeys = daned.kdig(&["+short", "example.com", "DNSKEY"]);
    assert_eq!(
        dnskeys.lines().filter(|l| !l.trim().is_empty()).count(),
        2,
        "{dnskeys}"
    );
    // A second roll while one runs is refused, with the reason.
    let again = daned.cli_output(&["keys", "-c", &config, "roll", "example.com", "csk"]);
    assert!(!again.status.success());

    // Without the socket, reload falls back to SIGHUP.
    fs::remove_file(&socket).unwrap();
    let out = daned.cli(&["reload", "-c", &config]);
    assert!(out.contains("sent SIGHUP"), "{out}");
    daned.wait_for_log(0, &["SIGHUP: reloading"], "the SIGHUP fallback");
    drop(knot);
}

#[test]
fn status_without_a_daemon_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("daned.toml");
    fs::write(dir.path().join("example.com.zone"), ZONE).unwrap();
    fs::write(
        &config,
        "[server]\nlisten = [\"127.0.0.1:1\"]\nstate_dir = \"state\"\n\n\
         [[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(common::daned_bin())
        .args(["status", "-c", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is daned running"), "{stderr}");
}

#[test]
fn a_fixture_switches_its_fault_through_its_control_socket() {
    require_tool("kdig");
    let dir = tempfile::tempdir().unwrap();
    let fx = dir.path().join("fx");
    let (dns, smtp, resolver) = (free_port(), free_port(), free_port());
    let log = dir.path().join("fixture.log");
    let mut proc = common::Proc::spawn(
        std::process::Command::new(common::daned_bin())
            .args(["fixture", "--dir"])
            .arg(&fx)
            .args(["--dns", &format!("127.0.0.1:{dns}")])
            .args(["--smtp", &format!("127.0.0.1:{smtp}")])
            .args(["--resolver", &format!("127.0.0.1:{resolver}")]),
        &log,
    );
    common::wait_for_soa(dns, "example.test", &mut proc, &log);
    let socket = fx.join("daned.sock");
    let started = Instant::now();
    while !socket.exists() {
        assert!(started.elapsed() < Duration::from_secs(10), "no socket");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mode = fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Without its pid file the fixture cannot be signalled: only the socket can switch it.
    fs::remove_file(fx.join("fixture.pid")).unwrap();
    let out = std::process::Command::new(common::daned_bin())
        .args(["fixture", "fault"])
        .arg(&fx)
        .arg("tlsa-mismatch")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let serial: u32 = stdout
        .trim()
        .rsplit_once("serial ")
        .and_then(|(_, s)| s.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("no serial in {stdout:?}"));
    assert_eq!(serial_at(dns, "example.test"), Some(serial));
    assert!(
        fs::read_to_string(fx.join("fault"))
            .unwrap()
            .contains("tlsa-mismatch")
    );
    // An unknown fault is refused with the reason.
    let bad = std::process::Command::new(common::daned_bin())
        .args(["fixture", "fault"])
        .arg(&fx)
        .arg("no-such-fault")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    proc.stop();
    assert!(!socket.exists(), "the socket goes with the fixture");
}
