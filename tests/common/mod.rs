//! Shared harness of the end-to-end tests: free loopback ports, the real `daned` binary and
//! the real peers (knotd, unbound, kdig, ldns, BIND tools), each stopped by its pid when the
//! test ends, even on panic. A missing tool fails the test with the package to install; it
//! never skips.

#![allow(dead_code)] // each test file uses part of the harness

use std::fs;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub use tempfile::TempDir;

/// Which Debian package provides a tool, for the failure message.
fn package_of(tool: &str) -> &'static str {
    match tool {
        "kdig" => "knot-dnsutils",
        "knotd" | "knotc" => "knot",
        "nsd" => "nsd",
        "unbound" => "unbound",
        "ldns-verify-zone" | "ldns-read-zone" => "ldnsutils",
        "dnssec-verify" | "dnssec-keygen" => "bind9-utils",
        "delv" | "dig" => "bind9-dnsutils",
        "named" => "bind9",
        "posttls-finger" => "postfix",
        "unshare" | "nsenter" => "util-linux",
        "ip" => "iproute2",
        "promtool" => "prometheus",
        _ => "the package that provides it",
    }
}

/// Fails the test unless `tool` is on the PATH.
pub fn require_tool(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is required: apt-get install {} (scripts/install-test-deps.sh)",
        package_of(tool)
    );
}

/// A port free for both UDP and TCP on 127.0.0.1.
pub fn free_port() -> u16 {
    for _ in 0..100 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = udp.local_addr().expect("addr").port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port pair found");
}

/// Runs a command and returns stdout and stderr together.
pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = output(cmd, args);
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs a command, failing the test when it fails; returns its output.
pub fn run_ok(cmd: &str, args: &[&str]) -> String {
    let out = output(cmd, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd} {args:?} failed:\n{text}");
    text
}

/// Runs a command to completion.
pub fn output(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {cmd}: {e} (apt-get install {})",
                package_of(cmd)
            )
        })
}

/// `kdig` with a bounded wait.
pub fn kdig(args: &[&str]) -> String {
    let mut all = vec!["+time=2", "+retry=1"];
    all.extend_from_slice(args);
    run("kdig", &all)
}

//------------ Proc ----------------------------------------------------------

/// A child process stopped by its pid on drop: SIGTERM, then SIGKILL after 5 s.
pub struct Proc {
    /// The process.
    child: Child,
}

impl Proc {
    /// Spawns `cmd` with stdout and stderr to `log`.
    pub fn spawn(cmd: &mut Command, log: &Path) -> Self {
        let out = fs::File::create(log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawn");
        Self { child }
    }

    /// The pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal.
    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status();
    }

    /// Stops the process and waits for it.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the process with SIGKILL (no chance to clean up) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until `port` answers an SOA query for `zone` (with any rcode but SERVFAIL).
pub fn wait_for_soa(port: u16, zone: &str, proc: &mut Proc, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let out = run(
            "kdig",
            &[
                "+time=1",
                "+retry=0",
                "@127.0.0.1",
                "-p",
                &port.to_string(),
                zone,
                "SOA",
            ],
        );
        if out.contains("status: NOERROR") {
            return;
        }
        assert!(
            proc.alive(),
            "server exited:\n{}",
            fs::read_to_string(log).unwrap_or_default()
        );
        sleep(Duration::from_millis(100));
    }
    panic!(
        "server on port {port} never answered for {zone}:\n{}",
        fs::read_to_string(log).unwrap_or_default()
    );
}

//------------ Daned ---------------------------------------------------------

/// The daned binary under test.
pub fn daned_bin() -> &'static str {
    env!("CARGO_BIN_EXE_daned")
}

/// The key tag of a DS line (`owner TTL IN DS tag ...`).
pub fn ds_tag(ds: &str) -> String {
    ds.split_whitespace().nth(4).expect("DS line").to_string()
}

/// `YYYYMMDDhhmmss` UTC for `secs` since the epoch (RRSIG time fields, unbound's
/// val-override-date).
pub fn rrsig_time(secs: u64) -> String {
    zones::time::UtcDateTime::from_unix_u64(secs).to_compact()
}

/// The name of the virtual clock file in a daned test folder: when it exists at start, daned
/// (and every `Daned::cli` command) runs on the time written in it (see `server/src/clock.rs`).
pub const CLOCK_FILE: &str = "clock";

/// Sets the virtual clock of the daned in `dir` (created on first use) to `secs` since the epoch.
pub fn set_clock(dir: &Path, secs: u64) {
    let tmp = dir.join("clock.tmp");
    fs::write(&tmp, secs.to_string()).expect("write clock");
    fs::rename(&tmp, dir.join(CLOCK_FILE)).expect("rename clock");
}

/// The current wall-clock time in seconds since the epoch (a starting point for virtual time).
pub fn wall_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs()
}

/// Applies the folder's virtual clock, if it has one, to a daned command.
fn with_clock<'a>(cmd: &'a mut Command, dir: &Path) -> &'a mut Command {
    let clock = dir.join(CLOCK_FILE);
    if clock.exists() {
        cmd.env("DANED_CLOCK_FILE", clock);
    }
    cmd
}

/// What daned logs in the tests: `info`, and the TLSA manager's `debug` lines (a retiring
/// record kept, which [`Daned::wait_for_log`] waits for before a test checks that the record
/// was not removed too early).
const DANED_LOG_FILTER: &str = "info,daned::daemon::tlsa=debug";

/// How long [`Daned::wait_for_log`] waits for the daemon to log what it did.
pub const LOG_WAIT: Duration = Duration::from_secs(15);

/// `daned serve -c CONFIG` for the folder `dir`.
fn serve_command(dir: &Path, config: &Path) -> Command {
    let mut cmd = Command::new(daned_bin());
    cmd.args(["serve", "-c"])
        .arg(config)
        .env("RUST_LOG", DANED_LOG_FILTER);
    with_clock(&mut cmd, dir);
    cmd
}

/// A running `daned serve` in a temporary folder.
pub struct Daned {
    /// The process (declared first: dropped before the folder).
    pub proc: Proc,
    /// Its port (UDP and TCP on 127.0.0.1).
    pub port: u16,
    /// The configuration file.
    pub config: PathBuf,
    /// Its stderr.
    pub log: PathBuf,
    /// The folder holding config, zones and state.
    pub dir: TempDir,
}

impl Daned {
    /// Writes `files` into a new folder, then a config whose `[server]` listens on a free
    /// port, followed by `config_tail` (the `[[zone]]` and `[policy]` tables), and starts
    /// daned; returns once `ready_zone` answers.
    pub fn start(files: &[(&str, &str)], config_tail: &str, ready_zone: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            fs::write(dir.path().join(name), text).expect("write file");
        }
        Self::start_in(dir, config_tail, ready_zone)
    }

    /// [`Daned::start`] in an existing folder.
    pub fn start_in(dir: TempDir, config_tail: &str, ready_zone: &str) -> Self {
        Self::start_on(dir, free_port(), config_tail, ready_zone)
    }

    /// One zone `name` from `zone_text`, with extra `[[zone]]` lines and extra config.
    pub fn start_with_zone(name: &str, zone_text: &str, zone_lines: &str, extra: &str) -> Self {
        let file = format!("{name}.zone");
        let tail = format!(
            "[[zone]]\nname = \"{name}\"\nfile = \"{file}\"\nallow_transfer = [\"127.0.0.0/8\", \"::1\"]\n{zone_lines}\n\n{extra}"
        );
        Self::start(&[(&file, zone_text)], &tail, name)
    }

    /// Stops the daemon (SIGTERM) and starts it again with the same folder and config;
    /// returns once the new process answers for `ready_zone`.
    pub fn restart(&mut self, ready_zone: &str) {
        self.proc.stop();
        self.respawn(ready_zone);
    }

    /// Kills the daemon with SIGKILL and starts it again with the same folder and config.
    pub fn kill_and_restart(&mut self, ready_zone: &str) {
        self.proc.kill();
        self.respawn(ready_zone);
    }

    /// Starts the daemon again (the old process has ended) with a fresh log and waits until
    /// the new process answers for `ready_zone` (if it exits first, the test fails with the
    /// new process's log). The log so far is appended to `daned.history.log` first, so every
    /// run's log is kept; [`Daned::log`] is then the new process's only.
    fn respawn(&mut self, ready_zone: &str) {
        let log = self.dir.path().join("daned.restarted.log");
        if let Ok(old) = fs::read_to_string(&self.log) {
            let history = self.dir.path().join("daned.history.log");
            let mut all = fs::read_to_string(&history).unwrap_or_default();
            all.push_str(&old);
            fs::write(&history, all).expect("write log history");
        }
        let mut proc = Proc::spawn(&mut serve_command(self.dir.path(), &self.config), &log);
        wait_for_soa(self.port, ready_zone, &mut proc, &log);
        self.proc = proc;
        self.log = log;
    }

    /// Starts daned in `dir` listening on `port` (chosen by the caller, e.g. because a peer
    /// must know it first).
    pub fn start_on(dir: TempDir, port: u16, config_tail: &str, ready_zone: &str) -> Self {
        let config = dir.path().join("daned.toml");
        fs::write(
            &config,
            format!("[server]\nlisten = [\"127.0.0.1:{port}\"]\nstate_dir = \"state\"\nudp_workers = 1\n\n{config_tail}"),
        )
        .expect("write config");
        let log = dir.path().join("daned.log");
        let mut proc = Proc::spawn(&mut serve_command(dir.path(), &config), &log);
        wait_for_soa(port, ready_zone, &mut proc, &log);
        Self {
            proc,
            port,
            config,
            log,
            dir,
        }
    }

    /// Runs a daned subcommand, failing the test when it fails; returns stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self.cli_output(args);
        assert!(
            out.status.success(),
            "daned {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a daned subcommand (on the folder's virtual clock, if any) and returns its output.
    pub fn cli_output(&self, args: &[&str]) -> Output {
        with_clock(Command::new(daned_bin()).args(args), self.dir.path())
            .output()
            .expect("run daned")
    }

    /// Sets this daemon's virtual clock (the folder must have had one when it started).
    pub fn set_clock(&self, secs: u64) {
        set_clock(self.dir.path(), secs);
    }

    /// The zone's CDS RRset as DS lines (CDS rdata is DS rdata, RFC 7344): what a parent
    /// following CDS publishes.
    pub fn cds_as_ds(&self, zone: &str) -> std::collections::BTreeSet<String> {
        self.kdig(&["+norec", "+short", zone, "CDS"])
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("{zone} 3600 IN DS {}", l.trim()))
            .collect()
    }

    /// The log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The records the daemon has marked as retiring in the zone's TLSA state file (its
    /// `retire` lines): a file refused must not start a retirement, which the records
    /// served would not show for 2 x TTL.
    pub fn tlsa_retiring(&self, zone: &str) -> Vec<String> {
        fs::read_to_string(self.dir.path().join(format!("state/tlsa/{zone}.state")))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("retire "))
            .map(str::to_string)
            .collect()
    }

    /// Where the log ends now: pass it to [`Daned::wait_for_log`] to see only what the daemon
    /// logs from here on. (A restart starts a new log: take a new mark after it.)
    pub fn log_mark(&self) -> usize {
        fs::read(&self.log).map_or(0, |b| b.len())
    }

    /// Waits (at most [`LOG_WAIT`]) for a line logged after `mark` that contains every one of
    /// `parts`; returns the mark just past that line. Panics with `what` and the log when no
    /// such line comes.
    ///
    /// Before a test checks that a change was refused (nothing served changed), it waits here
    /// for the daemon's line saying it saw the change and refused it: without that, the check
    /// would pass just as well when the daemon had not looked yet. The line is logged while
    /// the daemon handles the change, so a test then waits for a line the daemon can only log
    /// once that is over (the same line again at the next tick, or "reload done"), passing
    /// the mark this returns.
    pub fn wait_for_log(&self, mark: usize, parts: &[&str], what: &str) -> usize {
        let started = Instant::now();
        loop {
            let bytes = fs::read(&self.log).unwrap_or_default();
            let mut at = mark;
            for line in bytes
                .get(mark..)
                .unwrap_or_default()
                .split_inclusive(|&b| b == b'\n')
            {
                at += line.len();
                let text = String::from_utf8_lossy(line);
                if text.ends_with('\n') && parts.iter().all(|p| text.contains(p)) {
                    return at;
                }
            }
            assert!(
                started.elapsed() < LOG_WAIT,
                "not logged within {LOG_WAIT:?}: {what} (a line with {parts:?})\nlog:\n{}",
                self.log()
            );
            sleep(Duration::from_millis(100));
        }
    }

    /// `kdig @daned ARGS`.
    pub fn kdig(&self, args: &[&str]) -> String {
        let port = self.port.to_string();
        let mut all = vec!["@127.0.0.1", "-p", &port];
        all.extend_from_slice(args);
        kdig(&all)
    }
}

//------------ Knot ----------------------------------------------------------

/// A knotd serving zone files (unsigned) on a free port, with AXFR allowed from loopback.
pub struct Knot {
    /// The process.
    pub proc: Proc,
    /// Its port.
    pub port: u16,
    /// Its folder.
    pub dir: TempDir,
}

impl Knot {
    /// Serves `zones` (name, master-file text) unsigned.
    pub fn start(zones: &[(&str, &str)]) -> Self {
        Self::start_with(zones, None)
    }

    /// Serves `zones` signed by Knot itself (ECDSA P-256; NSEC3 with RFC 9276 parameters when
    /// `nsec3`, else NSEC).
    pub fn start_signed(zones: &[(&str, &str)], nsec3: bool) -> Self {
        Self::start_with(zones, Some(nsec3))
    }

    /// Serves `zones`, signed with NSEC3 (`Some(true)`), NSEC (`Some(false)`) or not at all.
    fn start_with(zones: &[(&str, &str)], signing: Option<bool>) -> Self {
        require_tool("knotd");
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let d = dir.path().display();
        let mut conf = format!(
            "server:\n    listen: 127.0.0.1@{port}\n    rundir: {d}\ndatabase:\n    storage: {d}/db\n\
             acl:\n  - id: local\n    address: 127.0.0.1\n    action: transfer\n\
             log:\n  - target: stderr\n    any: warning\n"
        );
        if let Some(nsec3) = signing {
            conf.push_str(&format!(
                "policy:\n  - id: p\n    algorithm: ecdsap256sha256\n    nsec3: {}\n    \
                 nsec3-iterations: 0\n    nsec3-salt-length: 0\n",
                if nsec3 { "on" } else { "off" }
            ));
        }
        conf.push_str("zone:\n");
        for (name, text) in zones {
            let file = dir.path().join(format!("{name}.zone"));
            fs::write(&file, text).expect("zone");
            conf.push_str(&format!(
                "  - domain: {name}\n    file: {}\n    acl: local\n    semantic-checks: off\n    zonefile-sync: -1\n",
                file.display()
            ));
            if signing.is_some() {
                conf.push_str("    dnssec-signing: on\n    dnssec-policy: p\n");
            }
        }
        fs::create_dir_all(dir.path().join("db")).expect("db");
        let conf_path = dir.path().join("knot.conf");
        fs::write(&conf_path, conf).expect("conf");
        let log = dir.path().join("knot.log");
        let mut proc = Proc::spawn(Command::new("knotd").arg("-c").arg(&conf_path), &log);
        wait_for_soa(port, zones[0].0, &mut proc, &log);
        Self { proc, port, dir }
    }
}

/// A knotd secondary of `zone`, pulling from a primary at `primary_port` and accepting its
/// NOTIFY, listening on `port`.
pub struct KnotSecondary {
    /// The process.
    pub proc: Proc,
    /// Its port.
    pub port: u16,
    /// Its log.
    pub log: PathBuf,
    /// Its folder.
    pub dir: TempDir,
}

impl KnotSecondary {
    /// Starts it; returns once it serves the zone.
    pub fn start(zone: &str, port: u16, primary_port: u16) -> Self {
        Self::start_with_key(zone, port, primary_port, None)
    }

    /// Starts it with a TSIG key (name, base64 secret) for its transfers and for NOTIFY.
    pub fn start_with_key(
        zone: &str,
        port: u16,
        primary_port: u16,
        key: Option<(&str, &str)>,
    ) -> Self {
        require_tool("knotd");
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().display();
        fs::create_dir_all(dir.path().join("db")).expect("db");
        let (key_section, key_line) = match key {
            Some((name, secret)) => (
                format!("key:\n  - id: {name}\n    algorithm: hmac-sha256\n    secret: {secret}\n"),
                format!("    key: {name}\n"),
            ),
            None => (String::new(), String::new()),
        };
        let conf = format!(
            "server:\n    listen: 127.0.0.1@{port}\n    rundir: {d}\ndatabase:\n    storage: {d}/db\n\
             log:\n  - target: stderr\n    any: info\n{key_section}\
             remote:\n  - id: primary\n    address: 127.0.0.1@{primary_port}\n{key_line}\
             acl:\n  - id: from_primary\n    address: 127.0.0.1\n    action: notify\n{key_line}  - id: local\n    address: 127.0.0.1\n    action: transfer\n\
             zone:\n  - domain: {zone}\n    master: primary\n    acl: [from_primary, local]\n    file: {d}/{zone}.zone\n    zonefile-sync: -1\n    journal-content: changes\n    semantic-checks: off\n"
        );
        let conf_path = dir.path().join("knot.conf");
        fs::write(&conf_path, conf).expect("conf");
        let log = dir.path().join("knot.log");
        let mut proc = Proc::spawn(Command::new("knotd").arg("-c").arg(&conf_path), &log);
        wait_for_soa(port, zone, &mut proc, &log);
        Self {
            proc,
            port,
            log,
            dir,
        }
    }

    /// knotd's log.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// An NSD secondary of `zone` (one server process), pulling from a primary at
/// `primary_port` and accepting its NOTIFY, listening on `port`.
pub struct NsdSecondary {
    /// The process (nsd -d: stays in the foreground).
    pub proc: Proc,
    /// Its port.
    pub port: u16,
    /// Its log.
    pub log: PathBuf,
    /// Its folder.
    pub dir: TempDir,
}

impl NsdSecondary {
    /// Starts it; returns once it serves the zone.
    pub fn start(zone: &str, port: u16, primary_port: u16) -> Self {
        Self::start_with_key(zone, port, primary_port, None)
    }

    /// Starts it with a TSIG key (name, base64 secret) for transfers and NOTIFY.
    pub fn start_with_key(
        zone: &str,
        port: u16,
        primary_port: u16,
        key: Option<(&str, &str)>,
    ) -> Self {
        require_tool("nsd");
        let (key_section, key_name) = match key {
            Some((name, secret)) => (
                format!(
                    "key:\n    name: {name}\n    algorithm: hmac-sha256\n    secret: \"{secret}\"\n"
                ),
                name.to_string(),
            ),
            None => (String::new(), "NOKEY".to_string()),
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().display();
        let log = dir.path().join("nsd.log");
        let conf = format!(
            "server:\n    ip-address: 127.0.0.1@{port}\n    server-count: 1\n    username: \"\"\n    \
             zonesdir: \"{d}\"\n    database: \"\"\n    pidfile: \"{d}/nsd.pid\"\n    xfrdfile: \"{d}/xfrd.state\"\n    \
             zonelistfile: \"{d}/zone.list\"\n    logfile: \"{log}\"\n    chroot: \"\"\n    verbosity: 2\n\
             remote-control:\n    control-enable: no\n{key_section}\
             zone:\n    name: {zone}\n    zonefile: {zone}.zone\n    request-xfr: 127.0.0.1@{primary_port} {key_name}\n    allow-notify: 127.0.0.1 {key_name}\n    provide-xfr: 127.0.0.1 NOKEY\n",
            log = log.display(),
        );
        let conf_path = dir.path().join("nsd.conf");
        fs::write(&conf_path, conf).expect("conf");
        let out = dir.path().join("nsd.out");
        let mut proc = Proc::spawn(
            Command::new("nsd").arg("-d").arg("-c").arg(&conf_path),
            &out,
        );
        wait_for_soa(port, zone, &mut proc, &out);
        Self {
            proc,
            port,
            log,
            dir,
        }
    }

    /// NSD's log.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A BIND `named` secondary of `zone` with a TSIG key, pulling from a primary at
/// `primary_port` and accepting its NOTIFY, listening on `port`.
pub struct BindSecondary {
    /// The process (named -g: foreground, logs to stderr).
    pub proc: Proc,
    /// Its port.
    pub port: u16,
    /// Its log.
    pub log: PathBuf,
    /// Its folder.
    pub dir: TempDir,
}

impl BindSecondary {
    /// Starts it; returns once it serves the zone.
    pub fn start(zone: &str, port: u16, primary_port: u16, key: (&str, &str)) -> Self {
        require_tool("named");
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().display();
        let (name, secret) = key;
        let conf = format!(
            "key \"{name}\" {{ algorithm hmac-sha256; secret \"{secret}\"; }};\n\
             options {{\n  directory \"{d}\";\n  pid-file \"{d}/named.pid\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  \
             listen-on-v6 {{ none; }};\n  recursion no;\n  dnssec-validation no;\n  allow-transfer {{ 127.0.0.1; }};\n  notify no;\n}};\n\
             primaries \"daned\" {{ 127.0.0.1 port {primary_port} key \"{name}\"; }};\n\
             zone \"{zone}\" {{\n  type secondary;\n  file \"{d}/{zone}.db\";\n  primaries {{ daned; }};\n  \
             allow-notify {{ key \"{name}\"; }};\n  masterfile-format text;\n}};\n"
        );
        let conf_path = dir.path().join("named.conf");
        fs::write(&conf_path, conf).expect("conf");
        let log = dir.path().join("named.log");
        let mut proc = Proc::spawn(
            Command::new("named")
                .arg("-g")
                .arg("-u")
                .arg("root")
                .arg("-c")
                .arg(&conf_path),
            &log,
        );
        wait_for_soa(port, zone, &mut proc, &log);
        Self {
            proc,
            port,
            log,
            dir,
        }
    }

    /// named's log.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The SOA serial `port` serves for `zone`.
pub fn serial_at(port: u16, zone: &str) -> Option<u32> {
    let out = kdig(&["@127.0.0.1", "-p", &port.to_string(), zone, "SOA", "+short"]);
    out.split_whitespace().nth(2)?.parse().ok()
}

/// Waits (bounded) until `port` serves `serial` for `zone`.
pub fn wait_for_serial(port: u16, zone: &str, serial: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if serial_at(port, zone) == Some(serial) {
            return true;
        }
        sleep(Duration::from_millis(200));
    }
    false
}

/// Transfers `zone` from `port` into `dir/axfr-PORT.zone` (kdig's comments left out) and
/// returns the file: the zone exactly as a secondary receives it.
pub fn axfr_to_file(port: u16, zone: &str, dir: &Path) -> PathBuf {
    let out = kdig(&[
        "@127.0.0.1",
        "-p",
        &port.to_string(),
        zone,
        "AXFR",
        "+nocomments",
        "+nostats",
    ]);
    let file = dir.join(format!("axfr-{port}.zone"));
    let text: Vec<&str> = out.lines().filter(|l| !l.starts_with(';')).collect();
    fs::write(&file, text.join("\n")).expect("write AXFR");
    file
}

/// Fails the test unless the zone `port` transfers passes `ldns-verify-zone`.
pub fn ldns_verify_axfr(port: u16, zone: &str, dir: &Path) -> PathBuf {
    let file = axfr_to_file(port, zone, dir);
    run_ok("ldns-verify-zone", &[file.to_str().expect("utf-8 path")]);
    file
}

/// The AXFR of `zone` from `port`, records normalised and sorted.
pub fn sorted_axfr(port: u16, zone: &str) -> Vec<String> {
    let out = kdig(&[
        "@127.0.0.1",
        "-p",
        &port.to_string(),
        zone,
        "AXFR",
        "+nocomments",
        "+nostats",
    ]);
    let mut records: Vec<String> = out
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .map(|l| {
            l.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .collect();
    records.sort();
    records.dedup(); // the closing SOA
    records
}

//------------ Unbound -------------------------------------------------------

/// A validating unbound whose only trust anchor is the DS of `zone`, served by a stub at
/// `auth_port`.
pub struct Unbound {
    /// The process.
    pub proc: Proc,
    /// Its port.
    pub port: u16,
    /// Its log.
    pub log: PathBuf,
}

impl Unbound {
    /// Starts unbound in `dir` with `ds` (a DS record line) as trust anchor for `zone`.
    pub fn start(dir: &TempDir, zone: &str, auth_port: u16, ds: &str) -> Self {
        Self::start_with(dir, zone, &[(zone, auth_port)], &[ds], None)
    }

    /// Starts unbound with a stub zone per `(zone, port)` of `stubs`, several trust anchor
    /// lines and, when given, a validation time (`val-override-date`, `YYYYMMDDhhmmss`) for
    /// daemons on a virtual clock; returns once `zone` resolves.
    pub fn start_with(
        dir: &TempDir,
        zone: &str,
        stubs: &[(&str, u16)],
        anchors: &[&str],
        date: Option<&str>,
    ) -> Self {
        require_tool("unbound");
        let mut stub_zones = String::new();
        for (name, port) in stubs {
            stub_zones.push_str(&format!(
                "stub-zone:\n  name: \"{name}\"\n  stub-addr: 127.0.0.1@{port}\n"
            ));
        }
        let mut extra = String::new();
        for a in anchors {
            extra.push_str(&format!("  trust-anchor: \"{a}\"\n"));
        }
        if let Some(d) = date {
            extra.push_str(&format!("  val-override-date: \"{d}\"\n"));
        }
        let port = free_port();
        let d = dir.path().join("unbound");
        fs::create_dir_all(&d).expect("dir");
        let log = d.join("unbound.log");
        let conf = d.join("unbound.conf");
        fs::write(
            &conf,
            format!(
                "server:\n  interface: 127.0.0.1\n  port: {port}\n  do-not-query-localhost: no\n  \
                 use-syslog: no\n  logfile: \"{log}\"\n  chroot: \"\"\n  username: \"\"\n  directory: \"{dir}\"\n  \
                 pidfile: \"{dir}/unbound.pid\"\n  module-config: \"validator iterator\"\n\
                 {extra}  val-log-level: 2\n  verbosity: 1\n  \
                 harden-dnssec-stripped: yes\n  access-control: 127.0.0.0/8 allow\n  \
                 qname-minimisation: no\n  so-reuseport: no\n  num-threads: 1\n\
                 remote-control:\n  control-enable: no\n{stub_zones}",
                log = log.display(),
                dir = d.display(),
            ),
        )
        .expect("conf");
        let out_log = d.join("stdout.log");
        let mut proc = Proc::spawn(
            Command::new("unbound").arg("-d").arg("-c").arg(&conf),
            &out_log,
        );
        wait_for_soa(port, zone, &mut proc, &out_log);
        Self { proc, port, log }
    }

    /// unbound's log.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Asks unbound each (name, type) with DO set and fails the test, showing `context` (e.g.
    /// the authoritative server's log), unless every answer is validated (AD, not SERVFAIL).
    pub fn assert_validated(&self, queries: &[(&str, &str)], context: impl Fn() -> String) {
        let port = self.port.to_string();
        for (name, rtype) in queries {
            let out = kdig(&[
                "@127.0.0.1",
                "-p",
                &port,
                "+dnssec",
                "+retry=1",
                name,
                rtype,
            ]);
            let r = parse_kdig(&out).unwrap_or_else(|| panic!("no answer: {out}"));
            assert!(
                r.flags.iter().any(|f| f == "ad") && r.status != "SERVFAIL",
                "{name} {rtype} does not validate:\n{out}\nunbound: {}\n{}",
                self.log(),
                context()
            );
        }
    }
}

//------------ kdig output ---------------------------------------------------

/// A response as kdig prints it, normalised for comparison: records lowercased with
/// whitespace collapsed and sorted within each section, OPT left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// "NOERROR", "NXDOMAIN", ...
    pub status: String,
    /// Header flags present among aa, tc, ad.
    pub flags: Vec<String>,
    /// Answer records.
    pub answer: Vec<String>,
    /// Authority records.
    pub authority: Vec<String>,
    /// Additional records.
    pub additional: Vec<String>,
}

/// Parses kdig's default output.
pub fn parse_kdig(text: &str) -> Option<Response> {
    let status = text
        .split("status: ")
        .nth(1)?
        .split(';')
        .next()?
        .trim()
        .to_string();
    let flags_line = text.lines().find(|l| l.starts_with(";; Flags:"))?;
    let flags = flags_line
        .trim_start_matches(";; Flags:")
        .split(';')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .filter(|f| ["aa", "tc", "ad"].contains(f))
        .map(str::to_string)
        .collect();
    let mut sections: [Vec<String>; 3] = Default::default();
    let mut current: Option<usize> = None;
    for line in text.lines() {
        match line {
            l if l.starts_with(";; ANSWER SECTION") => current = Some(0),
            l if l.starts_with(";; AUTHORITY SECTION") => current = Some(1),
            l if l.starts_with(";; ADDITIONAL SECTION") => current = Some(2),
            l if l.starts_with(";;") || l.trim().is_empty() => {
                if !l.starts_with(";; ") || l.starts_with(";; Received") {
                    current = None;
                }
            }
            l => {
                if let Some(i) = current {
                    let rec = l
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_lowercase();
                    sections[i].push(rec);
                }
            }
        }
    }
    for s in &mut sections {
        s.sort();
    }
    let [answer, authority, additional] = sections;
    Some(Response {
        status,
        flags,
        answer,
        authority,
        additional,
    })
}

/// A self-signed P-256 certificate for `mx1.example.com`, valid 30 days, at `cert` with its key
/// at `key`, made by openssl the way an operator makes one.
pub fn openssl_self_signed(cert: &Path, key: &Path) {
    run_ok(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=mx1.example.com",
            "-days",
            "30",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ],
    );
}

/// `daned ARGS`, failing the test if it has not finished within `limit` (it is killed then).
pub fn run_within(args: &[&str], limit: Duration) -> (Output, Duration) {
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

/// A finished command's stdout and stderr, as text.
pub fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Makes a FIFO at `path`.
pub fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}
