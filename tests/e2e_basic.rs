//! The daemon end to end with kdig: zone transfer and its ACL, reload on SIGHUP and with
//! `daned reload` (a broken file keeps the old zone serving and names file and line),
//! `daned check`, unknown config keys.

mod common;

use std::fs;
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{Daned, daned_bin, output, require_tool};

const V1: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                  ns A 192.0.2.1\nwww A 192.0.2.2\nmail MX 10 mx\nmx A 192.0.2.3\n";

/// Waits until `www.example.com A` gives `want` (bounded).
fn wait_for_www(daned: &Daned, want: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if daned.kdig(&["www.example.com", "A", "+short"]).trim() == want {
            return true;
        }
        sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn axfr_returns_the_whole_zone_to_allowed_clients_only() {
    require_tool("kdig");
    let daned = Daned::start_with_zone("example.com", V1, "sign = false", "");
    let axfr = daned.kdig(&[
        "example.com",
        "AXFR",
        "+nocomments",
        "+nostats",
        "+noheader",
    ]);
    let records: Vec<&str> = axfr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with(';'))
        .collect();
    // 6 records plus the closing SOA.
    assert_eq!(records.len(), 7, "{axfr}");
    assert!(records.first().unwrap().contains("SOA") && records.last().unwrap().contains("SOA"));
}

#[test]
fn axfr_from_a_disallowed_address_is_refused_and_logged() {
    require_tool("kdig");
    let tail = "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\nsign = false\n\
                allow_transfer = [\"192.0.2.0/24\"]\n";
    let daned = Daned::start(&[("example.com.zone", V1)], tail, "example.com");
    let out = daned.kdig(&["example.com", "AXFR"]);
    assert!(out.contains("REFUSED"), "{out}");
    daned.wait_for_log(
        0,
        &["transfer refused by allow_transfer", "zone=example.com"],
        "the refused transfer",
    );
}

#[test]
fn reload_serves_a_changed_file_and_keeps_the_old_zone_when_the_new_one_is_broken() {
    require_tool("kdig");
    let daned = Daned::start_with_zone("example.com", V1, "sign = false", "");
    let file = daned.dir.path().join("example.com.zone");
    assert!(wait_for_www(&daned, "192.0.2.2"));

    // A good change, picked up on SIGHUP.
    fs::write(
        &file,
        V1.replace("192.0.2.2", "192.0.2.22")
            .replace(" 1 3600", " 2 3600"),
    )
    .unwrap();
    daned.proc.signal("HUP");
    assert!(
        wait_for_www(&daned, "192.0.2.22"),
        "reload not served:\n{}",
        daned.log()
    );

    // A broken change: the old zone keeps serving, the error names file and line.
    let mark = daned.log_mark();
    fs::write(
        &file,
        format!(
            "{}\nbroken.example.com. IN A 999.1.2.3\n",
            V1.replace(" 1 3600", " 3 3600")
        ),
    )
    .unwrap();
    let reload = output(
        daned_bin(),
        &["reload", "-c", daned.config.to_str().unwrap()],
    );
    assert!(
        reload.status.success(),
        "{}",
        String::from_utf8_lossy(&reload.stderr)
    );
    // The daemon read the broken file and refused it (the error names file and line), and
    // the reload is over: only then can "still the old zone" mean anything.
    let refused = daned.wait_for_log(
        mark,
        &[
            "zone reload failed, keeping the loaded version",
            "zone=example.com",
            "example.com.zone:10",
        ],
        "the broken zone file refused, naming file and line",
    );
    daned.wait_for_log(refused, &["reload done"], "the reload finished");
    assert_eq!(
        daned.kdig(&["www.example.com", "A", "+short"]).trim(),
        "192.0.2.22",
        "old zone must keep serving:\n{}",
        daned.log()
    );
}

#[test]
fn check_names_file_and_line_and_unknown_config_keys_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("example.com.zone"),
        format!("{V1}www CNAME mx\n"),
    )
    .unwrap();
    let config = dir.path().join("daned.toml");
    fs::write(
        &config,
        "[server]\nlisten = [\"127.0.0.1:5399\"]\n[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n",
    )
    .unwrap();
    let out = output(daned_bin(), &["check", "-c", config.to_str().unwrap()]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("example.com.zone:9"),
        "CNAME beside other data must name its line:\n{text}"
    );

    fs::write(
        &config,
        "[server]\nlisten = [\"127.0.0.1:5399\"]\nlisen = 1\n",
    )
    .unwrap();
    let out = output(daned_bin(), &["check", "-c", config.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lisen"));
}
