//! daned as a hidden master (RFC 1995, RFC 1996, RFC 5936) with a real knotd secondary: the
//! secondary bootstraps by AXFR, each change (a zone file reload, a restart of daned between
//! changes) reaches it by NOTIFY and IXFR, and it ends with exactly daned's zone, which passes
//! ldns-verify-zone.

mod common;

use std::fs;

use common::{
    Daned, KnotSecondary, NsdSecondary, free_port, require_tool, run_ok, serial_at, sorted_axfr,
    wait_for_serial,
};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx\nmx A 192.0.2.25\n_25._tcp.mx TLSA 3 1 1 aabbccdd\n";

#[test]
fn a_knot_secondary_follows_every_change_by_notify_and_ixfr() {
    for tool in ["knotd", "kdig", "ldns-verify-zone"] {
        require_tool(tool);
    }
    let knot_port = free_port();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("example.com.zone"), ZONE).unwrap();
    let tail = format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
         allow_transfer = [\"127.0.0.0/8\"]\nnotify = [\"127.0.0.1:{knot_port}\"]\n"
    );
    let mut daned = Daned::start_in(dir, &tail, "example.com");
    let knot = KnotSecondary::start("example.com", knot_port, daned.port);
    let first = serial_at(daned.port, "example.com").unwrap();
    assert!(
        wait_for_serial(knot.port, "example.com", first),
        "bootstrap failed:\n{}",
        knot.log()
    );
    assert_eq!(
        sorted_axfr(knot.port, "example.com"),
        sorted_axfr(daned.port, "example.com")
    );

    // A record change: reload, NOTIFY, IXFR.
    let file = daned.dir.path().join("example.com.zone");
    fs::write(&file, format!("{ZONE}www A 192.0.2.80\n")).unwrap();
    daned.cli(&["reload", "-c", daned.config.to_str().unwrap()]);
    let second = first + 1;
    assert!(
        wait_for_serial(daned.port, "example.com", second),
        "{}",
        daned.log()
    );
    assert!(
        wait_for_serial(knot.port, "example.com", second),
        "no NOTIFY/IXFR:\n{}\n{}",
        knot.log(),
        daned.log()
    );
    assert!(
        knot.log().contains("IXFR, incoming"),
        "knot did not use IXFR:\n{}",
        knot.log()
    );
    assert!(daned.log().contains("IXFR sent"));
    assert!(
        daned.log().contains("NOTIFY acknowledged"),
        "{}",
        daned.log()
    );

    // daned restarts between changes: the journal survives, the secondary still gets IXFR.
    daned.restart("example.com");
    fs::write(&file, format!("{ZONE}www A 192.0.2.81\n")).unwrap();
    daned.cli(&["reload", "-c", daned.config.to_str().unwrap()]);
    let third = second + 1;
    assert!(
        wait_for_serial(knot.port, "example.com", third),
        "after restart:\n{}\n{}",
        knot.log(),
        daned.log()
    );
    let ixfrs = knot.log().matches("IXFR, incoming").count();
    assert!(
        ixfrs >= 2,
        "expected IXFR after the restart too:\n{}",
        knot.log()
    );
    let full = daned
        .log()
        .lines()
        .any(|l| l.contains("IXFR sent") && l.contains("kind=Full"));
    assert!(
        !full,
        "the journal must cover the secondary's serial after a restart:\n{}",
        daned.log()
    );

    // Identical zones, and the secondary's copy validates.
    let ours = sorted_axfr(daned.port, "example.com");
    assert_eq!(sorted_axfr(knot.port, "example.com"), ours);
    let raw = common::kdig(&[
        "@127.0.0.1",
        "-p",
        &knot.port.to_string(),
        "example.com",
        "AXFR",
        "+nocomments",
        "+nostats",
    ]);
    let copy = knot.dir.path().join("copy.zone");
    fs::write(
        &copy,
        raw.lines()
            .filter(|l| !l.starts_with(';'))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    run_ok("ldns-verify-zone", &[copy.to_str().unwrap()]);
}

#[test]
fn an_nsd_secondary_follows_a_change_by_notify_and_ixfr() {
    for tool in ["nsd", "kdig"] {
        require_tool(tool);
    }
    let nsd_port = free_port();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("example.com.zone"), ZONE).unwrap();
    let tail = format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
         allow_transfer = [\"127.0.0.0/8\"]\nnotify = [\"127.0.0.1:{nsd_port}\"]\n"
    );
    let daned = Daned::start_in(dir, &tail, "example.com");
    let nsd = NsdSecondary::start("example.com", nsd_port, daned.port);
    let first = serial_at(daned.port, "example.com").unwrap();
    assert!(
        wait_for_serial(nsd.port, "example.com", first),
        "bootstrap failed:\n{}",
        nsd.log()
    );

    let file = daned.dir.path().join("example.com.zone");
    fs::write(&file, format!("{ZONE}www A 192.0.2.80\n")).unwrap();
    daned.cli(&["reload", "-c", daned.config.to_str().unwrap()]);
    assert!(
        wait_for_serial(nsd.port, "example.com", first + 1),
        "no NOTIFY/IXFR:\n{}\n{}",
        nsd.log(),
        daned.log()
    );
    let ixfr = daned
        .log()
        .lines()
        .any(|l| l.contains("IXFR sent") && l.contains("Incremental"));
    assert!(ixfr, "NSD did not fetch by IXFR:\n{}", daned.log());
    let www = common::kdig(&[
        "@127.0.0.1",
        "-p",
        &nsd.port.to_string(),
        "www.example.com",
        "A",
        "+short",
    ]);
    assert_eq!(www.trim(), "192.0.2.80", "NSD serves the change");
}
