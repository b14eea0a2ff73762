//! A TLSA binding whose certificate is a FIFO or `/dev/zero` cannot stop the daemon: the file
//! is refused at once with an error naming it, the zone is served, a reload is applied,
//! SIGTERM stops the daemon within seconds, and `daned check` / `daned tlsa status` return.
//! (Before, the read of a FIFO blocked until a writer came and `/dev/zero` was read until
//! memory ran out.)

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{Daned, daned_bin, require_tool, serial_at};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";

/// `daned ARGS`, failing the test if it has not finished within `limit` (it is killed then).
fn run_within(args: &[&str], limit: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new(daned_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run daned");
    loop {
        if child.try_wait().expect("wait").is_some() {
            return (child.wait_with_output().expect("output"), started.elapsed());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("daned {args:?} did not finish within {limit:?}");
        }
        sleep(Duration::from_millis(20));
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

#[test]
fn a_fifo_or_dev_zero_as_certificate_does_not_stop_the_daemon() {
    for tool in ["kdig", "mkfifo"] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    mkfifo(&d.join("cert.pem"));
    fs::write(d.join("example.com.zone"), ZONE).unwrap();
    let tail = "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\n\
                [[zone.tlsa]]\nnames = [\"_25._tcp.mx1.example.com\"]\ncert = \"cert.pem\"\nttl = \"5m\"\n";
    // Returns only once the zone answers: the blocked read used to keep it from ever starting.
    let mut daned = Daned::start_in(dir, tail, "example.com");
    let d = daned.dir.path().to_path_buf();
    let config = daned.config.to_str().unwrap().to_string();
    daned.wait_for_log(
        0,
        &[
            "TLSA files unusable",
            "cert.pem",
            "FIFO, not a regular file",
        ],
        "the FIFO refused, naming the file",
    );

    // The offline commands read the same files and return at once with the same error.
    let (check, took) = run_within(&["check", "-c", &config], Duration::from_secs(10));
    assert!(!check.status.success(), "{}", text(&check));
    assert!(
        text(&check).contains("cert.pem: is a FIFO, not a regular file"),
        "{}",
        text(&check)
    );
    assert!(took < Duration::from_secs(5), "check took {took:?}");
    let (status, took) = run_within(&["tlsa", "status", "-c", &config], Duration::from_secs(10));
    assert!(text(&status).contains("FIFO"), "{}", text(&status));
    assert!(took < Duration::from_secs(5), "tlsa status took {took:?}");

    // A reload is applied: the new serial is served.
    fs::write(
        d.join("example.com.zone"),
        ZONE.replace(" 1 3600", " 2 3600"),
    )
    .unwrap();
    let (reload, _) = run_within(&["reload", "-c", &config], Duration::from_secs(10));
    assert!(reload.status.success(), "{}", text(&reload));
    let deadline = Instant::now() + Duration::from_secs(10);
    while serial_at(daned.port, "example.com") != Some(2) {
        assert!(
            Instant::now() < deadline,
            "reload not applied:\n{}",
            daned.log()
        );
        sleep(Duration::from_millis(50));
    }

    // /dev/zero behind a certbot-style symlink: refused as a device, not read.
    let mark = daned.log_mark();
    std::os::unix::fs::symlink("/dev/zero", d.join("cert.new")).unwrap();
    fs::rename(d.join("cert.new"), d.join("cert.pem")).unwrap();
    let (_, took) = run_within(&["check", "-c", &config], Duration::from_secs(10));
    assert!(took < Duration::from_secs(5), "check took {took:?}");
    fs::write(
        d.join("example.com.zone"),
        ZONE.replace(" 1 3600", " 3 3600"),
    )
    .unwrap();
    run_within(&["reload", "-c", &config], Duration::from_secs(10));
    daned.wait_for_log(
        mark,
        &["TLSA files unusable", "cert.pem", "character device"],
        "/dev/zero refused as a device",
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while serial_at(daned.port, "example.com") != Some(3) {
        assert!(
            Instant::now() < deadline,
            "reload not applied:\n{}",
            daned.log()
        );
        sleep(Duration::from_millis(50));
    }

    // SIGTERM stops it within a few seconds.
    let started = Instant::now();
    daned.proc.signal("TERM");
    while daned.proc.alive() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "SIGTERM ignored:\n{}",
            daned.log()
        );
        sleep(Duration::from_millis(20));
    }
}
