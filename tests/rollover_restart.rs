//! Crash safety of the key rollover: the daemon runs on a virtual clock through ZSK and KSK
//! rollovers, is killed with SIGKILL at every step (at varying moments, so also in the middle
//! of one), and restarted; after each restart a validating `unbound`, set to the virtual time
//! and holding only the DS set the "parent" publishes, must validate its answers (AD). The test
//! plays the parent: it publishes what the zone's CDS asks for and tells daned with
//! `daned keys submitted|withdrawn`. At the end, no key was generated twice and every old key
//! was removed.

mod common;

use std::collections::BTreeSet;
use std::thread::sleep;
use std::time::Duration;

use common::{Daned, TempDir, Unbound, ds_tag, parse_kdig, rrsig_time, set_clock, wall_secs};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 600\n\
@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\n@ MX 10 mx1\n\
ns1 A 192.0.2.1\nmx1 A 192.0.2.25\nwww A 192.0.2.80\n";

const POLICY: &str = "[policy.fast]\nkeys = \"ksk+zsk\"\nzsk_lifetime = \"3d\"\n\
ksk_lifetime = \"4d\"\nrrsig_lifetime = \"2d\"\nrrsig_refresh = \"1d\"\ndnskey_ttl = \"1h\"\n\
propagation_delay = \"10m\"\nparent_ds_ttl = \"1h\"\nparent_propagation_delay = \"10m\"\n\
safety_margin = \"10m\"\n";

/// Asks a fresh validating unbound (the virtual time, the parent's DS set) for a few names;
/// every answer must carry AD.
fn validates(daned: &Daned, dir: &TempDir, anchors: &BTreeSet<String>, now: u64) {
    let anchors: Vec<&str> = anchors.iter().map(String::as_str).collect();
    let date = rrsig_time(now);
    let ub = Unbound::start_with(
        dir,
        "example.com.",
        &[("example.com.", daned.port)],
        &anchors,
        Some(&date),
    );
    let port = ub.port.to_string();
    for (name, rtype) in [
        ("www.example.com.", "A"),
        ("example.com.", "MX"),
        ("example.com.", "DNSKEY"),
        ("nothing.example.com.", "A"),
    ] {
        let out = common::kdig(&[
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
            "{name} {rtype} at {date} does not validate with anchors {anchors:?}:\n{out}\n\
             unbound: {}\ndaned: {}",
            ub.log(),
            daned.log()
        );
    }
}

#[test]
fn rollovers_survive_sigkill_at_every_step_and_keep_validating() {
    let dir = TempDir::new().unwrap();
    let t0 = wall_secs();
    set_clock(dir.path(), t0);
    std::fs::write(dir.path().join("example.zone"), ZONE).unwrap();
    let tail = format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.zone\"\npolicy = \"fast\"\n\n{POLICY}"
    );
    let mut daned = Daned::start_in(dir, &tail, "example.com.");
    let config = daned.config.to_str().unwrap().to_string();
    let ub_dir = TempDir::new().unwrap();
    let mut parent: BTreeSet<String> = daned
        .cli(&["ds", "-c", &config, "example.com"])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(parent.len(), 1);
    validates(&daned, &ub_dir, &parent, t0);

    // Eight virtual days in steps of 6 hours: two ZSK rollovers and at least one KSK rollover.
    let step = 6 * 3600;
    let steps = 8 * 24 * 3600 / step;
    for i in 1..=steps {
        let now = t0 + i * step;
        daned.set_clock(now);
        // Kill at a different moment each time: before, during or after the step.
        sleep(Duration::from_millis(100 + (i * 373) % 1200));
        daned.kill_and_restart("example.com.");
        // Let the restarted daemon take any step that is due, then check.
        sleep(Duration::from_millis(1200));
        validates(&daned, &ub_dir, &parent, now);
        // The parent follows the CDS; daned is told what the parent did.
        let wanted = daned.cds_as_ds("example.com.");
        if !wanted.is_empty() && wanted != parent {
            for added in wanted.difference(&parent) {
                daned.cli(&[
                    "keys",
                    "-c",
                    &config,
                    "submitted",
                    "example.com",
                    &ds_tag(added),
                ]);
            }
            for gone in parent.difference(&wanted) {
                daned.cli(&[
                    "keys",
                    "-c",
                    &config,
                    "withdrawn",
                    "example.com",
                    &ds_tag(gone),
                ]);
            }
            parent = wanted;
            sleep(Duration::from_millis(1200));
            validates(&daned, &ub_dir, &parent, now);
        }
    }

    let report = daned.cli(&["keys", "-c", &config, "example.com"]);
    let rows: Vec<&str> = report
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    let count = |role: &str, state: &str| {
        rows.iter()
            .filter(|r| {
                let f: Vec<&str> = r.split_whitespace().collect();
                f[2] == role && f[3] == state
            })
            .count()
    };
    // Exactly the keys the rollovers need: every key beyond the first two was generated by
    // one "rollover started" event across all the daemon's lives, none after a kill again.
    let logs =
        std::fs::read_to_string(daned.dir.path().join("daned.history.log")).unwrap() + &daned.log();
    let started = logs.matches("rollover started").count();
    let total = rows.len();
    assert_eq!(total, 2 + started, "{report}\n{logs}");
    let zsks = rows.iter().filter(|r| r.contains(" zsk ")).count();
    let ksks = rows.iter().filter(|r| r.contains(" ksk ")).count();
    assert!(zsks >= 3, "two ZSK rollovers in eight days:\n{report}");
    assert!(ksks >= 2, "a KSK rollover in eight days:\n{report}");
    assert_eq!(count("zsk", "active"), 1, "{report}");
    assert_eq!(count("ksk", "active"), 1, "{report}");
    assert!(count("zsk", "removed") >= 2, "{report}");
    assert!(count("ksk", "removed") >= 1, "{report}");
}

#[test]
fn a_daemon_stopped_past_the_refresh_window_re_signs_before_it_serves() {
    let dir = TempDir::new().unwrap();
    let t0 = wall_secs();
    set_clock(dir.path(), t0);
    std::fs::write(dir.path().join("example.zone"), ZONE).unwrap();
    let tail = format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.zone\"\npolicy = \"fast\"\n\
         allow_transfer = [\"127.0.0.0/8\"]\n\n{POLICY}"
    );
    let mut daned = Daned::start_in(dir, &tail, "example.com.");
    // Stopped for three days: every signature (valid two days) has expired meanwhile.
    daned.proc.stop();
    let later = t0 + 3 * 86400;
    daned.set_clock(later);
    daned.kill_and_restart("example.com.");
    // The first version served is already re-signed: valid at that time, and none of its
    // signatures within rrsig_refresh (1d) of expiring.
    let file = common::axfr_to_file(daned.port, "example.com.", daned.dir.path());
    let v = common::output(
        "ldns-verify-zone",
        &[
            "-t",
            &rrsig_time(later),
            "-e",
            "P1D",
            file.to_str().unwrap(),
        ],
    );
    assert!(
        v.status.success(),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}
