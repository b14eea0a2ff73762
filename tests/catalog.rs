//! The catalog zone (RFC 9432, version 2) with real secondaries that read it: a knotd
//! (`catalog-role: interpret`) and a BIND `named` (`catalog-zones`). A zone file dropped into
//! daned's zone folder is served by both after a reload, with no change to their
//! configuration; a zone file removed disappears from both; the catalog change reaches Knot
//! by IXFR.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{Daned, Proc, daned_bin, free_port, kdig, output, require_tool, wait_for_soa};
use tempfile::TempDir;

const CATALOG: &str = "catalog.invalid";

fn mail_zone(name: &str) -> String {
    format!(
        "$ORIGIN {name}.\n$TTL 3600\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\n\
         ns1 A 192.0.2.1\n@ MX 10 mx\nmx A 192.0.2.2\n"
    )
}

/// The status a server at `port` answers an SOA query for `zone` with.
fn status(port: u16, zone: &str) -> String {
    let out = kdig(&[
        "+time=1",
        "+retry=0",
        "@127.0.0.1",
        "-p",
        &port.to_string(),
        zone,
        "SOA",
    ]);
    out.split("status: ")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .unwrap_or("no answer")
        .to_string()
}

/// Waits (bounded) until the server at `port` answers for `zone` as `served` says.
fn wait_served(port: u16, zone: &str, served: bool, who: &str, log: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = status(port, zone);
        if (now == "NOERROR") == served {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{who}: {zone} {} (status {now}):\n{}",
            if served {
                "never served"
            } else {
                "still served"
            },
            log()
        );
        sleep(Duration::from_millis(200));
    }
}

/// A knotd that knows only the catalog zone, and creates its members from it.
struct KnotCatalog {
    proc: Proc,
    log: std::path::PathBuf,
    _dir: TempDir,
}

impl KnotCatalog {
    fn start(port: u16, primary: u16) -> Self {
        require_tool("knotd");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        fs::create_dir_all(dir.path().join("db")).unwrap();
        let member = |id: &str| {
            format!(
                "  - id: {id}\n    master: primary\n    acl: [from_primary, local]\n    file: {d}/%s.zone\n    \
                 zonefile-sync: -1\n    journal-content: changes\n    semantic-checks: off\n"
            )
        };
        let conf = format!(
            "server:\n    listen: 127.0.0.1@{port}\n    rundir: {d}\ndatabase:\n    storage: {d}/db\n\
             log:\n  - target: stderr\n    any: info\n\
             remote:\n  - id: primary\n    address: 127.0.0.1@{primary}\n\
             acl:\n  - id: from_primary\n    address: 127.0.0.1\n    action: notify\n  - id: local\n    address: 127.0.0.1\n    action: transfer\n\
             template:\n{}{}\
             zone:\n  - domain: {CATALOG}\n    master: primary\n    acl: [from_primary, local]\n    file: {d}/catalog.zone\n    \
             zonefile-sync: -1\n    journal-content: changes\n    catalog-role: interpret\n    catalog-template: [member, mail]\n",
            member("member"),
            member("mail"),
        );
        let conf_path = dir.path().join("knot.conf");
        fs::write(&conf_path, conf).unwrap();
        let log = dir.path().join("knot.log");
        let mut proc = Proc::spawn(Command::new("knotd").arg("-c").arg(&conf_path), &log);
        // Knot does not answer for a catalog it interprets: wait for a member instead.
        wait_for_soa(port, "a.example", &mut proc, &log);
        Self {
            proc,
            log,
            _dir: dir,
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A `named` that knows only the catalog zone (`catalog-zones`), and creates its members from it.
struct BindCatalog {
    proc: Proc,
    log: std::path::PathBuf,
    _dir: TempDir,
}

impl BindCatalog {
    fn start(port: u16, primary: u16) -> Self {
        require_tool("named");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        fs::create_dir_all(dir.path().join("members")).unwrap();
        let conf = format!(
            "options {{\n  directory \"{d}\";\n  pid-file \"{d}/named.pid\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  \
             listen-on-v6 {{ none; }};\n  recursion no;\n  dnssec-validation no;\n  allow-transfer {{ 127.0.0.1; }};\n  \
             allow-notify {{ 127.0.0.1; }};\n  notify no;\n  \
             catalog-zones {{ zone \"{CATALOG}\" default-primaries {{ 127.0.0.1 port {primary}; }} zone-directory \"{d}/members\" in-memory no; }};\n}};\n\
             zone \"{CATALOG}\" {{\n  type secondary;\n  file \"{d}/catalog.db\";\n  primaries {{ 127.0.0.1 port {primary}; }};\n  masterfile-format text;\n}};\n"
        );
        let conf_path = dir.path().join("named.conf");
        fs::write(&conf_path, conf).unwrap();
        let log = dir.path().join("named.log");
        let mut proc = Proc::spawn(
            Command::new("named")
                .args(["-g", "-u", "root", "-c"])
                .arg(&conf_path),
            &log,
        );
        wait_for_soa(port, "a.example", &mut proc, &log);
        Self {
            proc,
            log,
            _dir: dir,
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

#[test]
fn a_zone_dropped_into_the_folder_reaches_knot_and_bind_through_the_catalog() {
    require_tool("kdig");
    let (knot_port, bind_port) = (free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones");
    fs::create_dir(&zones).unwrap();
    for z in ["a.example", "b.example"] {
        fs::write(zones.join(format!("{z}.zone")), mail_zone(z)).unwrap();
    }
    let notify = format!("[\"127.0.0.1:{knot_port}\", \"127.0.0.1:{bind_port}\"]");
    let config = format!(
        "[[template]]\nname = \"mail\"\nallow_transfer = [\"127.0.0.0/8\"]\nnotify = {notify}\ncatalog_group = \"mail\"\n\n\
         [[zone_dir]]\npath = \"zones\"\ntemplate = \"mail\"\n\n\
         [catalog]\nname = \"{CATALOG}\"\nallow_transfer = [\"127.0.0.0/8\"]\nnotify = {notify}\n"
    );
    let daned = Daned::start_in(dir, &config, "a.example");
    wait_log(&daned, "catalog zone updated", 1);
    let catalog = daned.kdig(&[CATALOG, "AXFR"]);
    assert!(
        catalog.contains("\"2\"")
            && catalog.contains("PTR\ta.example.")
            && catalog.contains("\"mail\""),
        "{catalog}"
    );

    let knot = KnotCatalog::start(knot_port, daned.port);
    let bind = BindCatalog::start(bind_port, daned.port);
    for z in ["a.example", "b.example"] {
        wait_served(knot_port, z, true, "knot", || knot.log());
        wait_served(bind_port, z, true, "bind", || bind.log());
    }
    wait_served(knot_port, "c.example", false, "knot", || knot.log());

    // A zone file dropped in, another removed; the secondaries' configuration is untouched.
    fs::write(
        zones_of(&daned).join("c.example.zone"),
        mail_zone("c.example"),
    )
    .unwrap();
    fs::remove_file(zones_of(&daned).join("b.example.zone")).unwrap();
    let out = output(
        daned_bin(),
        &["reload", "-c", daned.config.to_str().unwrap()],
    );
    assert!(out.status.success(), "{out:?}");
    wait_log(&daned, "catalog zone updated", 2);
    wait_served(knot_port, "c.example", true, "knot", || knot.log());
    wait_served(bind_port, "c.example", true, "bind", || bind.log());
    wait_served(knot_port, "b.example", false, "knot", || knot.log());
    wait_served(bind_port, "b.example", false, "bind", || bind.log());
    wait_served(knot_port, "a.example", true, "knot", || knot.log());
    wait_served(bind_port, "a.example", true, "bind", || bind.log());
    // The catalog's change went by IXFR.
    assert!(
        knot.log()
            .lines()
            .any(|l| l.contains(&format!("[{CATALOG}.] IXFR, incoming")) && l.contains("finished")),
        "{}",
        knot.log()
    );
    let _ = (&knot.proc, &bind.proc);
}

fn zones_of(daned: &Daned) -> std::path::PathBuf {
    Path::new(daned.dir.path()).join("zones")
}

/// Waits (bounded) for the `nth` log line of daned containing `text`.
fn wait_log(daned: &Daned, text: &str, nth: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while daned.log().matches(text).count() < nth {
        assert!(
            Instant::now() < deadline,
            "no {nth} x {text:?}:\n{}",
            daned.log()
        );
        sleep(Duration::from_millis(100));
    }
}
