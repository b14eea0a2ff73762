//! The state folder failing under daned: full (ENOSPC, on a 1 MiB tmpfs) and read-only.
//!
//! - Full: daned keeps serving the last version, refuses to publish a change it could not
//!   journal (the log names the journal file), and publishes it once space returns (the next
//!   reload tries the same file again); after a SIGKILL and restart the journal opens and an
//!   IXFR from the first serial works.
//! - Read-only at start: `daned serve` exits at once with an error naming the folder.
//!
//! Both need to mount a tmpfs (root). Without that they print why they are skipped and pass;
//! the journal's own handling of a failed write is also covered by its unit tests.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{Daned, daned_bin, kdig, require_tool, serial_at};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";

/// A tmpfs mounted for the test, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    /// Mounts a tmpfs with `options` at `at`; `None` (with the reason printed) when this
    /// process may not mount.
    fn tmpfs(at: &Path, options: &str) -> Option<Self> {
        fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(at)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Self(at.to_path_buf())),
            Ok(o) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs (needs root): {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount: {e}");
                None
            }
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the file system holding `dir` with `dir/filler` until a write fails with ENOSPC.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = fs::File::create(&path).unwrap();
    for chunk in [65_536usize, 4096, 1] {
        let block = vec![0u8; chunk];
        // At most 1 GiB per chunk size: the file system is 1 MiB.
        for _ in 0..(1 << 30) / chunk {
            match f.write_all(&block) {
                Ok(()) => {}
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "{e}");
                    break;
                }
            }
        }
    }
    let _ = f.sync_all();
    path
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Waits until the zone serves `serial`.
fn wait_serial(daned: &Daned, serial: u32) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while serial_at(daned.port, "example.com") != Some(serial) {
        assert!(
            Instant::now() < deadline,
            "serial {serial} not served:\n{}",
            daned.log()
        );
        sleep(Duration::from_millis(50));
    }
}

const TAIL: &str = "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\nallow_transfer = [\"127.0.0.0/8\"]\n";

#[test]
fn a_full_state_dir_keeps_the_last_version_served_and_recovers_when_space_returns() {
    require_tool("kdig");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let Some(_mount) = Mount::tmpfs(&state, "size=1m") else {
        return;
    };
    fs::write(dir.path().join("example.com.zone"), ZONE).unwrap();
    let mut daned = Daned::start_in(dir, TAIL, "example.com");
    let d = daned.dir.path().to_path_buf();
    let config = daned.config.to_str().unwrap().to_string();
    wait_serial(&daned, 1);

    // One journalled change first, so that the journal's last page has room left: the
    // next append then writes part of its entry before the disk is full.
    let first = ZONE.replace(" 1 3600", " 2 3600") + "first A 192.0.2.3\n";
    fs::write(d.join("example.com.zone"), &first).unwrap();
    let reload = daned.cli_output(&["reload", "-c", &config]);
    assert!(reload.status.success(), "{}", text(&reload));
    wait_serial(&daned, 2);

    let filler = fill(&state);
    let mark = daned.log_mark();
    // A change larger than a page: 30 TXT records of 200 octets.
    let mut big = first.replace(" 2 3600", " 3 3600") + "new A 192.0.2.2\n";
    for i in 0..30 {
        big.push_str(&format!("big{i} TXT \"{}\"\n", "x".repeat(200)));
    }
    fs::write(d.join("example.com.zone"), &big).unwrap();
    let reload = daned.cli_output(&["reload", "-c", &config]);
    assert!(reload.status.success(), "{}", text(&reload));
    daned.wait_for_log(
        mark,
        &[
            "cannot publish the change",
            "example.com.jnl",
            "No space left",
        ],
        "the refused publish, naming the journal",
    );
    // The last version is still served, and answers come.
    assert_eq!(serial_at(daned.port, "example.com"), Some(2));
    let a = kdig(&[
        "@127.0.0.1",
        "-p",
        &daned.port.to_string(),
        "mx1.example.com",
        "A",
        "+short",
    ]);
    assert!(a.contains("192.0.2.25"), "{a}");

    // Space returns: the next reload publishes the same file.
    fs::remove_file(&filler).unwrap();
    let reload = daned.cli_output(&["reload", "-c", &config]);
    assert!(reload.status.success(), "{}", text(&reload));
    wait_serial(&daned, 3);

    // A SIGKILL and restart: the journal opens whole (the part of the refused entry written
    // before the disk filled was cut back, so the next entry did not land behind it), the
    // change is kept, and an IXFR from 1 is incremental: 1 -> 2 -> 3.
    daned.kill_and_restart("example.com");
    wait_serial(&daned, 3);
    assert!(!daned.log().contains("torn tail"), "{}", daned.log());
    let ixfr = kdig(&[
        "@127.0.0.1",
        "-p",
        &daned.port.to_string(),
        "example.com",
        "IXFR=1",
        "+nocomments",
    ]);
    let soas = ixfr.lines().filter(|l| l.contains("\tSOA\t")).count();
    assert!(
        soas >= 6,
        "not an incremental transfer 1 -> 2 -> 3:\n{ixfr}"
    );
    assert!(ixfr.contains("big29.example.com."), "{ixfr}");
    assert!(ixfr.contains("first.example.com."), "{ixfr}");
    assert!(
        !ixfr.contains("REFUSED") && !ixfr.contains("failed"),
        "{ixfr}"
    );
    daned.proc.stop();
}

#[test]
fn a_read_only_state_dir_at_start_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let Some(_mount) = Mount::tmpfs(&state, "ro,size=1m") else {
        return;
    };
    fs::write(dir.path().join("example.com.zone"), ZONE).unwrap();
    let config = dir.path().join("daned.toml");
    fs::write(
        &config,
        format!(
            "[server]\nlisten = [\"127.0.0.1:{}\"]\nstate_dir = \"state\"\nudp_workers = 1\n\n{TAIL}",
            common::free_port()
        ),
    )
    .unwrap();
    let started = Instant::now();
    let mut child = Command::new(daned_bin())
        .args(["serve", "-c"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("daned serve kept running on a read-only state_dir");
        }
        sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("state_dir"), "{all}");
    assert!(
        all.contains("read-only") || all.contains("Read-only"),
        "{all}"
    );
}
