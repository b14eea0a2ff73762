//! The systemd service: `contrib/daned.service` passes `systemd-analyze verify`, and daned
//! speaks the notification protocol of `Type=notify` (sd_notify(3)) to a NOTIFY_SOCKET this
//! test listens on: READY=1 comes only once every configured zone answers, STOPPING=1 at
//! SIGTERM.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Proc, daned_bin, free_port, kdig, require_tool};

const SMALL: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 7 3600 600 86400 60\n\
                     @ NS ns\nns A 192.0.2.1\n";

/// A zone big enough that signing it takes a noticeable moment.
fn big_zone() -> String {
    let mut z = String::from(
        "$ORIGIN example.net.\n$TTL 300\n@ SOA ns hm 9 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n",
    );
    for i in 0..5000 {
        let _ = writeln!(z, "h{i} A 192.0.2.{}", i % 250 + 1);
    }
    z
}

/// Waits (at most `limit`) for a datagram on `socket`.
fn receive(socket: &UnixDatagram, limit: Duration) -> Option<String> {
    socket.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 4096];
    let n = socket.recv(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// The SOA serial `port` answers for `zone`, if it answers.
fn soa(port: u16, zone: &str) -> Option<String> {
    let out = kdig(&[
        "+time=1",
        "+retry=0",
        "+short",
        "@127.0.0.1",
        "-p",
        &port.to_string(),
        zone,
        "SOA",
    ]);
    out.split_whitespace().nth(2).map(str::to_string)
}

#[test]
fn ready_is_sent_once_every_zone_answers_and_stopping_at_sigterm() {
    require_tool("kdig");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    fs::write(dir.path().join("example.com.zone"), SMALL).unwrap();
    fs::write(dir.path().join("example.net.zone"), big_zone()).unwrap();
    let config = dir.path().join("daned.toml");
    fs::write(
        &config,
        format!(
            "[server]\nlisten = [\"127.0.0.1:{port}\"]\nstate_dir = \"state\"\nudp_workers = 1\n\n\
             [[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\n\
             [[zone]]\nname = \"example.net\"\nfile = \"example.net.zone\"\n"
        ),
    )
    .unwrap();
    let notify_path = dir.path().join("notify.sock");
    let notify = UnixDatagram::bind(&notify_path).unwrap();
    let log = dir.path().join("daned.log");
    let mut proc = Proc::spawn(
        Command::new(daned_bin())
            .args(["serve", "-c"])
            .arg(&config)
            .env("NOTIFY_SOCKET", &notify_path),
        &log,
    );
    let started = Instant::now();
    let mut ready = None;
    while ready.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no READY=1:\n{}",
            fs::read_to_string(&log).unwrap_or_default()
        );
        assert!(
            proc.alive(),
            "{}",
            fs::read_to_string(&log).unwrap_or_default()
        );
        if let Some(message) = receive(&notify, Duration::from_secs(1)) {
            let lines: Vec<&str> = message.lines().collect();
            if lines.contains(&"READY=1") {
                ready = Some(message);
            }
        }
    }
    // The moment READY=1 is read, both zones answer, with the serials of their files.
    assert_eq!(soa(port, "example.com").as_deref(), Some("7"));
    assert_eq!(soa(port, "example.net").as_deref(), Some("9"));
    let ready = ready.unwrap_or_default();
    assert!(ready.contains("STATUS=serving 2 zone(s)"), "{ready:?}");

    proc.signal("TERM");
    let stopping = receive(&notify, Duration::from_secs(10)).unwrap_or_default();
    assert!(stopping.lines().any(|l| l == "STOPPING=1"), "{stopping:?}");
    proc.stop();
}

#[test]
fn the_unit_passes_systemd_analyze_verify() {
    require_tool("systemd-analyze");
    let unit = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/contrib/daned.service"
    ))
    .unwrap();
    for needed in [
        "Type=notify",
        "ExecReload=/usr/bin/daned reload",
        "User=daned",
        "StateDirectory=daned",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "RestrictAddressFamilies=",
        "SystemCallFilter=@system-service",
        "ReadOnlyPaths=",
    ] {
        assert!(unit.contains(needed), "the unit lacks {needed}");
    }
    // verify checks that every command exists: point them at the binary under test (the
    // package test verifies the unit as installed, with /usr/bin/daned).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daned.service");
    fs::write(&path, unit.replace("/usr/bin/daned", daned_bin())).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
