//! A TLSA binding whose certificate is a FIFO or `/dev/zero` cannot stop the daemon: the file
//! is refused at once with an error naming it, the zone is served, a reload is applied,
//! SIGTERM stops the daemon within seconds, and `daned check` / `daned tlsa status` return.
//! (Before, the read of a FIFO blocked until a writer came and `/dev/zero` was read until
//! memory ran out.)

mod common;

use std::fs;
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{Daned, mkfifo, output_text, require_tool, run_within, serial_at};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";

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
    assert!(!check.status.success(), "{}", output_text(&check));
    assert!(
        output_text(&check).contains("cert.pem: is a FIFO, not a regular file"),
        "{}",
        output_text(&check)
    );
    assert!(took < Duration::from_secs(5), "check took {took:?}");
    let (status, took) = run_within(&["tlsa", "status", "-c", &config], Duration::from_secs(10));
    assert!(
        output_text(&status).contains("FIFO"),
        "{}",
        output_text(&status)
    );
    assert!(took < Duration::from_secs(5), "tlsa status took {took:?}");

    // A reload is applied: the new serial is served.
    fs::write(
        d.join("example.com.zone"),
        ZONE.replace(" 1 3600", " 2 3600"),
    )
    .unwrap();
    let (reload, _) = run_within(&["reload", "-c", &config], Duration::from_secs(10));
    assert!(reload.status.success(), "{}", output_text(&reload));
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
