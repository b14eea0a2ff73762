//! A zone file or `$INCLUDE` that is a FIFO or a device cannot stop daned: `daned check`
//! returns at once naming the file and what it is, a running daemon keeps serving the loaded
//! version when a reload finds a FIFO, applies the next good file, and still stops on SIGTERM.
//! (Before, reading a FIFO blocked until a writer appeared, and `/dev/zero` was read until
//! memory ran out.)

mod common;

use std::fs;
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{Daned, mkfifo, output_text, require_tool, run_within, serial_at};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";

/// Waits until `zone` serves `serial`.
fn wait_serial(daned: &Daned, serial: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while serial_at(daned.port, "example.com") != Some(serial) {
        assert!(
            Instant::now() < deadline,
            "serial {serial} not served:\n{}",
            daned.log()
        );
        sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_fifo_or_device_as_zone_file_or_include_is_refused_at_once() {
    for tool in ["kdig", "mkfifo"] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("example.com.zone"), ZONE).unwrap();
    let tail = "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n";
    let daned = Daned::start_in(dir, tail, "example.com");
    let d = daned.dir.path().to_path_buf();
    let config = daned.config.to_str().unwrap().to_string();
    wait_serial(&daned, 1);

    // The zone file replaced by a FIFO: check returns at once, naming it.
    fs::rename(d.join("example.com.zone"), d.join("good.zone")).unwrap();
    mkfifo(&d.join("example.com.zone"));
    let (check, took) = run_within(&["check", "-c", &config], Duration::from_secs(10));
    assert!(!check.status.success(), "{}", output_text(&check));
    assert!(
        output_text(&check)
            .contains("example.com.zone: cannot read: is a FIFO, not a regular file"),
        "{}",
        output_text(&check)
    );
    assert!(took < Duration::from_secs(5), "check took {took:?}");

    // A reload finds the FIFO: logged, the loaded version still served.
    let mark = daned.log_mark();
    let (reload, _) = run_within(&["reload", "-c", &config], Duration::from_secs(10));
    assert!(reload.status.success(), "{}", output_text(&reload));
    daned.wait_for_log(
        mark,
        &["example.com.zone", "FIFO"],
        "the FIFO refused on reload",
    );
    assert_eq!(serial_at(daned.port, "example.com"), Some(1));

    // An $INCLUDE of a FIFO, then of /dev/zero behind a symlink.
    fs::remove_file(d.join("example.com.zone")).unwrap();
    mkfifo(&d.join("extra.fifo"));
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.inc")).unwrap();
    for (inc, kind) in [("extra.fifo", "FIFO"), ("zero.inc", "character device")] {
        fs::write(
            d.join("example.com.zone"),
            format!("{}$INCLUDE {inc}\n", ZONE.replace(" 1 3600", " 2 3600")),
        )
        .unwrap();
        let (check, took) = run_within(&["check", "-c", &config], Duration::from_secs(10));
        assert!(!check.status.success(), "{}", output_text(&check));
        assert!(output_text(&check).contains(inc), "{}", output_text(&check));
        assert!(
            output_text(&check).contains(kind),
            "{}",
            output_text(&check)
        );
        assert!(took < Duration::from_secs(5), "check took {took:?}");
    }

    // The next good file is applied.
    fs::write(
        d.join("example.com.zone"),
        ZONE.replace(" 1 3600", " 3 3600"),
    )
    .unwrap();
    let (reload, _) = run_within(&["reload", "-c", &config], Duration::from_secs(10));
    assert!(reload.status.success(), "{}", output_text(&reload));
    wait_serial(&daned, 3);

    // SIGTERM stops it within a few seconds.
    let mut daned = daned;
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
