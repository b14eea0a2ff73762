//! daned as a hidden master (RFC 1995, RFC 1996, RFC 5936) with a real knotd secondary: the
//! secondary bootstraps by AXFR, each change (a zone file reload, a restart of daned between
//! changes) reaches it by NOTIFY and IXFR, and it ends with exactly daned's zone, which passes
//! ldns-verify-zone.

mod common;

use std::fs;

use common::{
    BindSecondary, Daned, KnotSecondary, NsdSecondary, free_port, ldns_verify_axfr, require_tool,
    serial_at, sorted_axfr, wait_for_serial,
};

/// daned serving ZONE as `example.com` with the given config tail (its `[[zone]]` and keys).
fn primary(tail: &str) -> Daned {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("example.com.zone"), ZONE).unwrap();
    Daned::start_in(dir, tail, "example.com")
}

/// Waits until the secondary on `port` serves daned's serial; returns that serial. `log` is the
/// secondary's log, for the failure message.
fn bootstrap(daned: &Daned, port: u16, log: impl Fn() -> String) -> u32 {
    let first = serial_at(daned.port, "example.com").unwrap();
    assert!(
        wait_for_serial(port, "example.com", first),
        "bootstrap failed:\n{}",
        log()
    );
    first
}

/// Adds a record to daned's zone file, reloads, and checks that the secondary on `port` gets
/// the next serial (NOTIFY) by an incremental transfer (IXFR from the journal).
fn change_reaches_by_ixfr(daned: &Daned, port: u16, first: u32, log: impl Fn() -> String) {
    fs::write(
        daned.dir.path().join("example.com.zone"),
        format!("{ZONE}www A 192.0.2.80\n"),
    )
    .unwrap();
    daned.cli(&["reload", "-c", daned.config.to_str().unwrap()]);
    assert!(
        wait_for_serial(port, "example.com", first + 1),
        "no NOTIFY/IXFR:\n{}\n{}",
        log(),
        daned.log()
    );
    let ixfr = daned
        .log()
        .lines()
        .any(|l| l.contains("IXFR sent") && l.contains("Incremental"));
    assert!(
        ixfr,
        "the secondary did not fetch by IXFR:\n{}",
        daned.log()
    );
}

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx\nmx A 192.0.2.25\n_25._tcp.mx TLSA 3 1 1 aabbccdd\n";

#[test]
fn a_knot_secondary_follows_every_change_by_notify_and_ixfr() {
    for tool in ["knotd", "kdig", "ldns-verify-zone"] {
        require_tool(tool);
    }
    let knot_port = free_port();
    let tail = format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
         allow_transfer = [\"127.0.0.0/8\"]\nnotify = [\"127.0.0.1:{knot_port}\"]\n"
    );
    let mut daned = primary(&tail);
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
    // The change after the restart is a TLSA change (a renewed certificate's key).
    daned.restart("example.com");
    let renewed = ZONE.replace("aabbccdd", "11223344");
    fs::write(&file, format!("{renewed}www A 192.0.2.80\n")).unwrap();
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
    ldns_verify_axfr(knot.port, "example.com", knot.dir.path());
}

#[test]
fn an_nsd_secondary_follows_a_change_by_notify_and_ixfr() {
    for tool in ["nsd", "kdig"] {
        require_tool(tool);
    }
    let nsd_port = free_port();
    let tail = format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
         allow_transfer = [\"127.0.0.0/8\"]\nnotify = [\"127.0.0.1:{nsd_port}\"]\n"
    );
    let daned = primary(&tail);
    let nsd = NsdSecondary::start("example.com", nsd_port, daned.port);
    let first = bootstrap(&daned, nsd.port, || nsd.log());
    change_reaches_by_ixfr(&daned, nsd.port, first, || nsd.log());
    let www = common::kdig(&[
        "@127.0.0.1",
        "-p",
        &nsd.port.to_string(),
        "www.example.com",
        "A",
        "+short",
    ]);
    assert_eq!(www.trim(), "192.0.2.80", "NSD serves the change");
    // NSD's copy (it provides transfers to loopback) equals daned's zone and validates.
    assert_eq!(
        sorted_axfr(nsd.port, "example.com"),
        sorted_axfr(daned.port, "example.com")
    );
    ldns_verify_axfr(nsd.port, "example.com", nsd.dir.path());
}

const SECRET: &str = "270Ly/kcRrg/fZ+laoBQmMSKt96fmAQ6hh+Y91K4P8k=";

#[test]
fn transfers_and_notify_are_authenticated_with_tsig() {
    for tool in ["knotd", "kdig"] {
        require_tool(tool);
    }
    let knot_port = free_port();
    let tail = format!(
        "[[tsig_key]]\nname = \"sec1\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{SECRET}\"\n\n\
         [[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
         allow_transfer = [\"127.0.0.1 key:sec1\"]\nnotify = [\"127.0.0.1:{knot_port} key:sec1\"]\n"
    );
    let daned = primary(&tail);
    let p = daned.port.to_string();

    // Refused: no key, a wrong key, an unknown key.
    let none = common::kdig(&["@127.0.0.1", "-p", &p, "example.com", "AXFR"]);
    assert!(
        none.contains("REFUSED"),
        "unsigned AXFR must be refused:\n{none}"
    );
    let wrong = common::kdig(&[
        "-y",
        "hmac-sha256:sec1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "@127.0.0.1",
        "-p",
        &p,
        "example.com",
        "AXFR",
    ]);
    assert!(
        wrong.contains("BADSIG"),
        "wrong secret must give BADSIG:\n{wrong}"
    );
    let unknown = common::kdig(&[
        "-y",
        &format!("hmac-sha256:other:{SECRET}"),
        "@127.0.0.1",
        "-p",
        &p,
        "example.com",
        "SOA",
    ]);
    assert!(
        unknown.contains("BADKEY"),
        "unknown key must give BADKEY:\n{unknown}"
    );
    // kdig checks the signature of every message of the signed transfer.
    let good = common::kdig(&[
        "-y",
        &format!("hmac-sha256:sec1:{SECRET}"),
        "@127.0.0.1",
        "-p",
        &p,
        "example.com",
        "AXFR",
    ]);
    assert!(
        good.contains("TSIG") && !good.contains(";; WARNING") && !good.contains(";; ERROR"),
        "{good}"
    );

    // A knotd secondary with the key bootstraps, receives the signed NOTIFY and fetches by IXFR.
    let knot =
        KnotSecondary::start_with_key("example.com", knot_port, daned.port, Some(("sec1", SECRET)));
    let first = serial_at(daned.port, "example.com").unwrap();
    assert!(
        wait_for_serial(knot.port, "example.com", first),
        "bootstrap failed:\n{}",
        knot.log()
    );
    fs::write(
        daned.dir.path().join("example.com.zone"),
        format!("{ZONE}www A 192.0.2.80\n"),
    )
    .unwrap();
    daned.cli(&["reload", "-c", daned.config.to_str().unwrap()]);
    assert!(
        wait_for_serial(knot.port, "example.com", first + 1),
        "{}\n{}",
        knot.log(),
        daned.log()
    );
    assert!(knot.log().contains("IXFR, incoming"), "{}", knot.log());
    assert!(
        daned.log().contains("NOTIFY acknowledged"),
        "{}",
        daned.log()
    );
    for bad in ["BADSIG", "BADKEY", "BADTIME"] {
        assert!(!knot.log().contains(bad), "{}", knot.log());
    }
}

#[test]
fn transfers_from_a_disallowed_address_are_refused() {
    require_tool("kdig");
    let tail = "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\nallow_transfer = [\"192.0.2.0/24\"]\n";
    let daned = primary(tail);
    for qtype in ["AXFR", "IXFR=1"] {
        let out = daned.kdig(&["example.com", qtype]);
        assert!(out.contains("REFUSED"), "{qtype}: {out}");
    }
}

#[test]
fn a_signature_refresh_reaches_the_secondary_by_ixfr() {
    for tool in ["knotd", "kdig"] {
        require_tool(tool);
    }
    let knot_port = free_port();
    // On a virtual clock: moved 8 days on, the default policy's signatures (14 days, refreshed
    // with 7 left) are due, and the daemon refreshes them once, at its next tick.
    let tail = format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
         allow_transfer = [\"127.0.0.0/8\"]\nnotify = [\"127.0.0.1:{knot_port}\"]\n"
    );
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("example.com.zone"), ZONE).unwrap();
    let start = common::wall_secs();
    common::set_clock(dir.path(), start);
    let daned = Daned::start_in(dir, &tail, "example.com");
    let knot = KnotSecondary::start("example.com", knot_port, daned.port);
    let first = serial_at(daned.port, "example.com").unwrap();
    assert!(
        wait_for_serial(knot.port, "example.com", first),
        "bootstrap failed:\n{}",
        knot.log()
    );
    daned.set_clock(start + 8 * 86_400);
    assert!(
        wait_for_serial(daned.port, "example.com", first + 1),
        "no refresh:\n{}",
        daned.log()
    );
    assert!(daned.log().contains("signatures refreshed"));
    assert!(
        wait_for_serial(knot.port, "example.com", first + 1),
        "{}\n{}",
        knot.log(),
        daned.log()
    );
    assert!(knot.log().contains("IXFR, incoming"), "{}", knot.log());
    assert_eq!(
        sorted_axfr(knot.port, "example.com"),
        sorted_axfr(daned.port, "example.com")
    );
}

#[test]
fn an_nsd_secondary_with_tsig_follows_a_change() {
    require_tool("nsd");
    let nsd_port = free_port();
    let tail = format!(
        "[[tsig_key]]\nname = \"sec1\"\nsecret = \"{SECRET}\"\n\n\
         [[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
         allow_transfer = [\"key:sec1\"]\nnotify = [\"127.0.0.1:{nsd_port} key:sec1\"]\n"
    );
    let daned = primary(&tail);
    let nsd =
        NsdSecondary::start_with_key("example.com", nsd_port, daned.port, Some(("sec1", SECRET)));
    let first = bootstrap(&daned, nsd.port, || nsd.log());
    change_reaches_by_ixfr(&daned, nsd.port, first, || nsd.log());
}

#[test]
fn a_bind_secondary_with_tsig_follows_a_change_by_ixfr() {
    require_tool("named");
    let bind_port = free_port();
    let tail = format!(
        "[[tsig_key]]\nname = \"sec1\"\nsecret = \"{SECRET}\"\n\n\
         [[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
         allow_transfer = [\"key:sec1\", \"127.0.0.1\"]\nnotify = [\"127.0.0.1:{bind_port} key:sec1\"]\n"
    );
    let daned = primary(&tail);
    let bind = BindSecondary::start("example.com", bind_port, daned.port, ("sec1", SECRET));
    let first = bootstrap(&daned, bind.port, || bind.log());
    change_reaches_by_ixfr(&daned, bind.port, first, || bind.log());
    // BIND transfers with the key (its primaries clause) and accepts only signed NOTIFY; the
    // plain 127.0.0.1 entry lets this test compare the zones without a key.
    assert_eq!(
        sorted_axfr(bind.port, "example.com"),
        sorted_axfr(daned.port, "example.com")
    );
}
