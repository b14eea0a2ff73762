//! The Debian package, end to end. NEEDS ROOT (CI runs as root): it installs the package on
//! the machine it runs on and purges it at the end.
//!
//! `cargo deb` builds the .deb from the release profile (the first run builds the release
//! binary; later runs reuse it), `dpkg -i` installs the binary, the unit, the example
//! configuration, the `daned` user and its state folder; `daned check` accepts the example
//! configuration and `systemd-analyze verify` the unit as installed; a daemon started as the
//! `daned` user with the state folder serves a zone; `dpkg -r` stops it and leaves no daned
//! process running; `dpkg -P` removes the state folder.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{Proc, free_port, require_tool, wait_for_soa};

/// Runs `cmd args`, failing the test with its output unless it succeeds.
fn must(cmd: &str, args: &[&str]) -> Output {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Purges the package when the test ends, however it ends.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").args(["-P", "daned"]).output();
    }
}

/// Pids of processes running a daned binary (any path, deleted or not).
fn daned_processes() -> Vec<(u32, PathBuf)> {
    let mut out = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(exe) = fs::read_link(entry.path().join("exe"))
            && exe.to_string_lossy().starts_with("/usr/bin/daned")
        {
            out.push((pid, exe));
        }
    }
    out
}

/// Builds the package; returns its path.
fn build_deb(out: &Path) -> PathBuf {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let built = Command::new("cargo")
        .current_dir(manifest)
        .args(["deb", "--output"])
        .arg(out)
        .output()
        .expect("cargo deb (cargo install cargo-deb --locked; scripts/install-test-deps.sh)");
    assert!(
        built.status.success(),
        "cargo deb:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .expect("a .deb")
}

#[test]
fn the_package_installs_checks_serves_and_leaves_nothing_running_when_removed() {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    assert!(
        root,
        "this test installs a Debian package: run it as root (CI does)"
    );
    for tool in ["dpkg", "kdig", "setpriv", "systemd-analyze"] {
        require_tool(tool);
    }
    let work = tempfile::tempdir().unwrap();
    let deb = build_deb(work.path());
    let contents = must("dpkg-deb", &["--contents", deb.to_str().unwrap()]);
    let listing = String::from_utf8_lossy(&contents.stdout);
    for path in [
        "./usr/bin/daned",
        "./lib/systemd/system/daned.service",
        "./etc/daned/daned.toml",
    ] {
        assert!(
            listing.contains(path),
            "{path} not in the package:\n{listing}"
        );
    }

    let _installed = Installed;
    must("dpkg", &["-i", deb.to_str().unwrap()]);
    must("getent", &["passwd", "daned"]);
    let state = fs::metadata("/var/lib/daned").expect("the state folder");
    assert_eq!(state.permissions().mode() & 0o777, 0o700);
    let user = String::from_utf8_lossy(&must("id", &["-u", "daned"]).stdout)
        .trim()
        .parse::<u32>()
        .unwrap();
    assert_eq!(state.uid(), user, "the state folder is the daned user's");
    must("/usr/bin/daned", &["check", "-c", "/etc/daned/daned.toml"]);
    must(
        "systemd-analyze",
        &["verify", "/lib/systemd/system/daned.service"],
    );

    // The daemon as the daned user, with the package's state folder (a free port: the
    // machine's port 53 is not the test's).
    let site = tempfile::tempdir().unwrap();
    fs::set_permissions(site.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let port = free_port();
    fs::write(
        site.path().join("example.com.zone"),
        "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 3 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n",
    )
    .unwrap();
    let config = site.path().join("daned.toml");
    fs::write(
        &config,
        format!(
            "[server]\nlisten = [\"127.0.0.1:{port}\"]\nstate_dir = \"/var/lib/daned\"\n\n\
             [[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n"
        ),
    )
    .unwrap();
    for f in ["example.com.zone", "daned.toml"] {
        fs::set_permissions(site.path().join(f), fs::Permissions::from_mode(0o644)).unwrap();
    }
    let log = work.path().join("daned.log");
    let mut proc = Proc::spawn(
        Command::new("setpriv")
            .args([
                "--reuid",
                "daned",
                "--regid",
                "daned",
                "--clear-groups",
                "/usr/bin/daned",
            ])
            .args(["serve", "-c"])
            .arg(&config),
        &log,
    );
    wait_for_soa(port, "example.com", &mut proc, &log);
    assert!(Path::new("/var/lib/daned/daned.pid").exists());
    assert!(!daned_processes().is_empty());

    must("dpkg", &["-r", "daned"]);
    let deadline = Instant::now() + Duration::from_secs(15);
    while proc.alive() {
        assert!(Instant::now() < deadline, "dpkg -r left daned running");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        daned_processes(),
        Vec::new(),
        "daned processes after dpkg -r"
    );
    assert!(!Path::new("/usr/bin/daned").exists());
    must("dpkg", &["-P", "daned"]);
    assert!(
        !Path::new("/var/lib/daned").exists(),
        "purge removes the state folder"
    );
}
