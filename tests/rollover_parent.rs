//! A KSK rollover that follows a real parent: a second daned serves the parent zone with the
//! child's DS, the child (on a virtual clock) is configured with `parent_servers` and finds the
//! DS changes there itself, with no `daned keys submitted|withdrawn`. The test edits the parent
//! zone as a registry following CDS would. A validating unbound, anchored only at the parent,
//! validates the child's answers after every step; a Knot secondary of the child holds the
//! steps that need it until it serves the new serial.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::thread::sleep;
use std::time::Duration;

use common::{Daned, KnotSecondary, TempDir, Unbound, free_port, rrsig_time, set_clock, wall_secs};

const CHILD: &str = "$ORIGIN child.example.\n$TTL 600\n\
@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\n@ MX 10 mx1\n\
ns1 A 192.0.2.1\nmx1 A 192.0.2.25\nwww A 192.0.2.80\n";

const POLICY: &str = "[policy.fast]\nkeys = \"ksk+zsk\"\nzsk_lifetime = \"0\"\n\
ksk_lifetime = \"0\"\nrrsig_lifetime = \"14d\"\nrrsig_refresh = \"7d\"\ndnskey_ttl = \"1h\"\n\
propagation_delay = \"10m\"\nparent_ds_ttl = \"1h\"\nparent_propagation_delay = \"10m\"\n\
safety_margin = \"10m\"\nsecondary_timeout = \"30d\"\n";

/// The parent zone with the child's delegation and `ds` lines.
fn parent_zone(serial: u32, ds: &BTreeSet<String>) -> String {
    let mut z = format!(
        "$ORIGIN example.\n$TTL 600\n@ SOA ns1 hostmaster {serial} 7200 3600 1209600 300\n\
         @ NS ns1\nns1 A 192.0.2.53\nchild NS ns1.child\nns1.child A 192.0.2.1\n"
    );
    for line in ds {
        z.push_str(line.trim());
        z.push('\n');
    }
    z
}

/// A fresh unbound at virtual time `now`, anchored at the parent: every answer validates.
fn validates(parent: &Daned, child: &Daned, dir: &TempDir, anchor: &str, now: u64) {
    let date = rrsig_time(now);
    let ub = Unbound::start_with(
        dir,
        "example.",
        &[("example.", parent.port), ("child.example.", child.port)],
        &[anchor],
        Some(&date),
    );
    ub.assert_validated(
        &[
            ("www.child.example.", "A"),
            ("child.example.", "DNSKEY"),
            ("nothing.child.example.", "A"),
        ],
        || format!("at {date}; child: {}", child.log()),
    );
}

#[test]
fn a_ksk_rollover_sees_the_ds_at_the_parent_and_waits_for_the_secondary() {
    let t0 = wall_secs();
    // The child, on a virtual clock; its parent and its secondary get fixed ports first.
    let parent_port = free_port();
    let secondary_port = free_port();
    let child_dir = TempDir::new().unwrap();
    set_clock(child_dir.path(), t0);
    fs::write(child_dir.path().join("child.zone"), CHILD).unwrap();
    let child_port = free_port();
    let tail = format!(
        "[[zone]]\nname = \"child.example\"\nfile = \"child.zone\"\npolicy = \"fast\"\n\
         allow_transfer = [\"127.0.0.0/8\"]\nnotify = [\"127.0.0.1:{secondary_port}\"]\n\
         parent_servers = [\"127.0.0.1:{parent_port}\"]\nds_check_interval = \"1s\"\n\n{POLICY}"
    );
    let child = Daned::start_on(child_dir, child_port, &tail, "child.example.");
    let child_config = child.config.to_str().unwrap().to_string();
    let mut secondary = KnotSecondary::start("child.example.", secondary_port, child_port);

    // The parent (real clock) with the child's first DS.
    let mut ds: BTreeSet<String> = child
        .cli(&["ds", "-c", &child_config, "child.example"])
        .lines()
        .map(str::to_string)
        .collect();
    let parent_dir = TempDir::new().unwrap();
    let mut serial = 1;
    fs::write(
        parent_dir.path().join("parent.zone"),
        parent_zone(serial, &ds),
    )
    .unwrap();
    let parent = Daned::start_on(
        parent_dir,
        parent_port,
        "[[zone]]\nname = \"example\"\nfile = \"parent.zone\"\n",
        "example.",
    );
    let parent_config = parent.config.to_str().unwrap().to_string();
    let anchor = parent
        .cli(&["ds", "-c", &parent_config, "example"])
        .lines()
        .next()
        .unwrap()
        .to_string();
    let ub_dir = TempDir::new().unwrap();
    validates(&parent, &child, &ub_dir, &anchor, t0);

    child.cli(&["keys", "-c", &child_config, "roll", "child.example", "ksk"]);
    sleep(Duration::from_millis(1200));
    // One rollover at a time: a second request is refused while the first runs.
    let second = child.cli_output(&["keys", "-c", &child_config, "roll", "child.example", "zsk"]);
    assert!(
        !second.status.success()
            && String::from_utf8_lossy(&second.stderr).contains("ksk rollover is in progress"),
        "{second:?}"
    );
    let mut now = t0;
    let mut held = false;
    for step in 1..=40 {
        now += 20 * 60;
        child.set_clock(now);
        sleep(Duration::from_millis(1300));
        // Once, while the new KSK waits to become ready, stop the secondary: the step must
        // wait for it, however much time passes.
        let report = child.cli(&["keys", "-c", &child_config, "child.example"]);
        if !held && report.contains("published") && report.contains("ksk") {
            secondary.proc.stop();
            now += 6 * 3600;
            child.set_clock(now);
            sleep(Duration::from_millis(2500));
            let waiting = child.cli(&["keys", "-c", &child_config, "child.example"]);
            assert!(
                waiting.contains("once every secondary serves the current serial"),
                "step {step}: the rollover did not wait for the secondary:\n{waiting}"
            );
            secondary = KnotSecondary::start("child.example.", secondary_port, child_port);
            sleep(Duration::from_millis(2500));
            held = true;
        }
        validates(&parent, &child, &ub_dir, &anchor, now);
        // The registry follows CDS: the parent zone gets the DS set the child asks for.
        let wanted = child.cds_as_ds("child.example.");
        if !wanted.is_empty() && wanted != ds {
            ds = wanted;
            serial += 1;
            fs::write(
                parent.dir.path().join("parent.zone"),
                parent_zone(serial, &ds),
            )
            .unwrap();
            parent.cli(&["reload", "-c", &parent_config]);
            assert!(common::wait_for_serial(parent.port, "example.", serial));
        }
        let report = child.cli(&["keys", "-c", &child_config, "child.example"]);
        if report.contains("no rollover in progress") && report.matches("removed").count() == 1 {
            break;
        }
    }
    assert!(held, "the rollover never waited for the secondary");
    let report = child.cli(&["keys", "-c", &child_config, "child.example"]);
    assert!(
        report.contains("no rollover in progress") && report.contains("removed"),
        "the KSK rollover did not finish:\n{report}\n{}",
        child.log()
    );
    let log = child.log();
    assert!(log.contains("DS seen at the parent"), "{log}");
    assert!(log.contains("DS gone from the parent"), "{log}");
    assert!(!log.contains("ds-assumed"), "{log}");
    assert!(!log.contains("confirmed by the operator"), "{log}");
    assert_eq!(ds.len(), 1, "the parent ends with one DS: {ds:?}");
    validates(&parent, &child, &ub_dir, &anchor, now);
}
