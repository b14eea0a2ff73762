//! `/metrics` and JSON logs against real peers: kdig queries over UDP and TCP (several QTYPEs
//! and RCODEs), a knotd secondary bootstrapping by AXFR and following a TLSA change by
//! NOTIFY and IXFR. The counters move by exactly what was sent, the zone gauges agree with
//! what kdig and `daned tlsa status` see, `promtool check metrics` accepts the scrape, and
//! every log line is one JSON object, the events named.

mod common;

use daned::daemon::state_view::ZoneStateView;

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{
    Daned, KnotSecondary, free_port, require_tool, serial_at, wait_for_serial, wall_secs,
};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\nwww A 192.0.2.80\n";

/// A self-signed P-256 certificate for mx1 at `cert` (its key beside it).
fn make_cert(dir: &Path, cert: &str) {
    common::openssl_self_signed(&dir.join(cert), &dir.join(format!("{cert}.key")));
}

/// One scrape of `/metrics` at `port`: the body, after checking the status line.
fn scrape(port: u16) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to /metrics");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    body.to_string()
}

/// A scrape once nothing moves the query counters any more (knotd's SOA query after a NOTIFY
/// may come just after the acknowledgement was logged).
fn settled(port: u16) -> BTreeMap<String, f64> {
    let queries = |s: &BTreeMap<String, f64>| -> f64 {
        s.iter()
            .filter(|(k, _)| k.starts_with("daned_queries_total"))
            .map(|(_, v)| v)
            .sum()
    };
    let mut last = samples(&scrape(port));
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(500));
        let now = samples(&scrape(port));
        if queries(&now) == queries(&last) {
            return now;
        }
        last = now;
    }
    panic!("the query counters never settled");
}

/// The samples of a scrape: `name{labels}` -> value.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_string(), value.parse().ok()?))
        })
        .collect()
}

/// The value of `key` (0 when the scrape has no such sample: a counter never moved).
fn value(samples: &BTreeMap<String, f64>, key: &str) -> f64 {
    samples.get(key).copied().unwrap_or(0.0)
}

/// `daned_queries_total` for one transport, QTYPE and RCODE.
fn queries(transport: &str, qtype: &str, rcode: &str) -> String {
    format!("daned_queries_total{{transport=\"{transport}\",qtype=\"{qtype}\",rcode=\"{rcode}\"}}")
}

/// Runs `promtool check metrics` on `text`; fails the test with its output when it refuses.
fn promtool_accepts(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtool");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics refused the scrape:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn counters_move_by_what_was_sent_and_gauges_follow_the_zone() {
    for tool in ["kdig", "knotd", "openssl", "promtool"] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("example.com.zone"), ZONE).unwrap();
    make_cert(dir.path(), "cert.pem");
    let (metrics_port, knot_port) = (free_port(), free_port());
    // The tail starts inside [server].
    let tail = format!(
        "metrics = \"127.0.0.1:{metrics_port}\"\nlog_format = \"json\"\n\n\
         [[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\nsign = true\n\
         allow_transfer = [\"127.0.0.1\"]\nnotify = [\"127.0.0.1:{knot_port}\"]\n\
         [[zone.tlsa]]\nnames = [\"_25._tcp.mx1.example.com\"]\ncert = \"cert.pem\"\nttl = \"5m\"\n"
    );
    let daned = Daned::start_in(dir, &tail, "example.com");
    let config = daned.config.to_str().unwrap().to_string();

    // A knotd secondary bootstraps by AXFR (daned's NOTIFY at start went out before knotd
    // listened).
    let knot = KnotSecondary::start("example.com", knot_port, daned.port);
    let first = serial_at(daned.port, "example.com").unwrap();
    assert!(
        wait_for_serial(knot.port, "example.com", first),
        "bootstrap failed:\n{}",
        knot.log()
    );
    let before = settled(metrics_port);
    assert!(
        value(
            &before,
            "daned_transfers_out_total{type=\"AXFR\",result=\"sent\"}"
        ) >= 1.0
    );
    assert!(value(&before, "daned_notify_total{result=\"sent\"}") >= 1.0);

    // Queries over UDP and TCP, several types and RCODEs; one AXFR over UDP.
    let sent: &[(&[&str], &str, &str, &str, usize)] = &[
        (&["www.example.com", "A"], "udp", "A", "NOERROR", 5),
        (&["example.com", "MX"], "udp", "MX", "NOERROR", 3),
        (&["nope.example.com", "A"], "udp", "A", "NXDOMAIN", 2),
        (&["example.org", "SOA"], "udp", "SOA", "REFUSED", 2),
        (
            &["_25._tcp.mx1.example.com", "TLSA", "+tcp"],
            "tcp",
            "TLSA",
            "NOERROR",
            4,
        ),
        (
            &["example.com", "DNSKEY", "+tcp"],
            "tcp",
            "DNSKEY",
            "NOERROR",
            1,
        ),
        // Transfers need TCP: daned answers FORMERR.
        (
            &["example.com", "AXFR", "+notcp"],
            "udp",
            "AXFR",
            "FORMERR",
            1,
        ),
    ];
    for (args, ..) in sent.iter().flat_map(|s| std::iter::repeat_n(s, s.4)) {
        let out = daned.kdig(&[&["+retry=0", "+time=5"][..], args].concat());
        assert!(
            out.contains("status:") || out.contains("replied with error"),
            "no answer to {args:?}:\n{out}"
        );
    }
    // An AXFR from an address allow_transfer does not list: refused.
    let out = daned.kdig(&["-b", "127.0.0.2", "example.com", "AXFR", "+retry=0"]);
    assert!(out.contains("REFUSED"), "{out}");
    let after = samples(&scrape(metrics_port));
    for &(args, transport, qtype, rcode, n) in sent {
        let key = queries(transport, qtype, rcode);
        assert_eq!(
            value(&after, &key) - value(&before, &key),
            n as f64,
            "{key} after {n} x kdig {args:?}"
        );
    }
    let total = |s: &BTreeMap<String, f64>, prefix: &str| -> f64 {
        s.iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v)
            .sum()
    };
    assert_eq!(
        total(&after, "daned_queries_total") - total(&before, "daned_queries_total"),
        18.0,
        "nothing else was asked"
    );
    let tcp_accepted = "daned_tcp_connections_accepted_total";
    assert_eq!(
        value(&after, tcp_accepted) - value(&before, tcp_accepted),
        6.0
    );
    let refused = "daned_transfers_out_total{type=\"any\",result=\"refused\"}";
    assert_eq!(value(&after, refused) - value(&before, refused), 1.0);
    let count = "daned_response_size_bytes_count{transport=\"udp\"}";
    assert_eq!(value(&after, count) - value(&before, count), 13.0);

    // Zone gauges against what kdig and `daned tlsa status` see.
    let serial = serial_at(daned.port, "example.com").unwrap();
    assert_eq!(
        value(&after, "daned_zone_serial{zone=\"example.com\"}"),
        f64::from(serial)
    );
    let tlsa_name = "{zone=\"example.com\",name=\"_25._tcp.mx1.example.com\"}";
    let published = daned.kdig(&["+short", "_25._tcp.mx1.example.com", "TLSA"]);
    assert_eq!(
        value(&after, &format!("daned_tlsa_records{tlsa_name}")),
        published.lines().filter(|l| !l.trim().is_empty()).count() as f64
    );
    let status = daned.cli(&["tlsa", "status", "-c", &config]);
    assert!(status.contains("_25._tcp.mx1.example.com"), "{status}");
    let expiry = value(
        &after,
        &format!("daned_tlsa_certificate_expiry_timestamp_seconds{tlsa_name}"),
    );
    let now = wall_secs() as f64;
    assert!(
        expiry > now + 29.0 * 86400.0 && expiry < now + 31.0 * 86400.0,
        "{expiry}"
    );
    let sig_expiry = value(
        &after,
        "daned_zone_signature_expiry_timestamp_seconds{zone=\"example.com\"}",
    );
    assert!(
        sig_expiry > now,
        "signatures expire in the future: {sig_expiry}"
    );
    let in_sync = after.get("daned_zone_ds_in_sync{zone=\"example.com\"}");
    assert!(
        matches!(in_sync, Some(v) if *v == 0.0 || *v == 1.0),
        "{in_sync:?}"
    );
    assert_eq!(
        value(
            &after,
            "daned_zone_last_reload_success{zone=\"example.com\"}"
        ),
        1.0
    );
    let phases: f64 = after
        .iter()
        .filter(|(k, _)| k.starts_with("daned_zone_rollover_phase{zone=\"example.com\""))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(phases, 1.0, "exactly one rollover phase is current");

    // The zone gauges equal what `daned status --json` reports (one view of the driver).
    let out = daned.cli(&["status", "-c", &config, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&out).expect("status is JSON");
    let zones: Vec<ZoneStateView> =
        serde_json::from_value(json["zones"].clone()).expect("zones are zone views");
    let z = zones
        .iter()
        .find(|z| z.zone == "example.com.")
        .expect("example.com in status");
    let now_scrape = settled(metrics_port);
    let gauge = |name: &str| value(&now_scrape, &format!("{name}{{zone=\"example.com\"}}"));
    assert_eq!(gauge("daned_zone_serial"), f64::from(z.serial));
    assert_eq!(
        gauge("daned_zone_last_change_timestamp_seconds"),
        z.last_change.expect("a last change") as f64
    );
    assert_eq!(
        gauge("daned_zone_signature_expiry_timestamp_seconds"),
        z.signatures_expire.expect("signed") as f64
    );
    assert_eq!(
        value(
            &now_scrape,
            &format!(
                "daned_zone_rollover_phase{{zone=\"example.com\",phase=\"{}\"}}",
                z.rollover_phase.as_str()
            )
        ),
        1.0
    );
    let t = z
        .tlsa
        .iter()
        .find(|t| t.name.starts_with("_25._tcp.mx1.example.com"))
        .expect("tlsa");
    assert_eq!(
        value(&now_scrape, &format!("daned_tlsa_records{tlsa_name}")),
        t.records.len() as f64
    );
    assert_eq!(
        value(
            &now_scrape,
            &format!("daned_tlsa_certificate_expiry_timestamp_seconds{tlsa_name}")
        ),
        t.cert_not_after.expect("a certificate") as f64
    );

    // A TLSA change (a new certificate with a new key, not pre-published): served with the
    // next serial, NOTIFY acknowledged, knotd fetches it by IXFR.
    let mark = daned.log_mark();
    make_cert(daned.dir.path(), "new.pem");
    fs::rename(
        daned.dir.path().join("new.pem"),
        daned.dir.path().join("cert.pem"),
    )
    .unwrap();
    daned.wait_for_log(
        mark,
        &["\"event\":\"tlsa-change-served\""],
        "the TLSA change served",
    );
    let changed = serial_at(daned.port, "example.com").unwrap();
    assert!(changed > serial);
    assert!(
        wait_for_serial(knot.port, "example.com", changed),
        "no NOTIFY/IXFR:\n{}\n{}",
        knot.log(),
        daned.log()
    );
    daned.wait_for_log(mark, &["\"event\":\"ixfr-sent\""], "the IXFR sent");
    daned.wait_for_log(
        mark,
        &["\"event\":\"notify-acknowledged\""],
        "the NOTIFY acknowledged",
    );
    let last = samples(&scrape(metrics_port));
    let ixfr = "daned_transfers_out_total{type=\"IXFR\",result=\"sent\"}";
    assert_eq!(value(&last, ixfr) - value(&after, ixfr), 1.0, "one IXFR");
    let acked = "daned_notify_total{result=\"acknowledged\"}";
    assert_eq!(
        value(&last, acked) - value(&after, acked),
        1.0,
        "one NOTIFY acknowledged"
    );
    assert_eq!(
        value(&last, "daned_zone_serial{zone=\"example.com\"}"),
        f64::from(changed)
    );
    let changed_at = value(
        &last,
        "daned_zone_last_change_timestamp_seconds{zone=\"example.com\"}",
    );
    assert!(changed_at >= now - 1.0, "{changed_at} {now}");
    let unsafe_until = value(
        &last,
        &format!("daned_tlsa_unsafe_rollover_until_timestamp_seconds{tlsa_name}"),
    );
    assert!(
        unsafe_until > now,
        "an unsafe rollover is shown: {unsafe_until}"
    );
    assert!(value(&last, "process_resident_memory_bytes") > 0.0);
    assert!(value(&last, "process_open_fds") > 0.0);
    assert!(value(&last, "process_start_time_seconds") > now - 600.0);
    promtool_accepts(&scrape(metrics_port));

    // Every log line is one JSON object with the stable fields, and the events are named.
    let log = daned.log();
    let mut events = Vec::new();
    for line in log.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for field in ["timestamp", "level", "target", "message"] {
            assert!(v.get(field).is_some(), "no {field}: {line}");
        }
        if let Some(e) = v.get("event").and_then(|e| e.as_str()) {
            events.push(e.to_string());
        }
    }
    for want in [
        "key-generated",
        "zone-signed",
        "tlsa-published",
        "tlsa-unsafe-rollover",
        "tlsa-change-served",
        "version-published",
        "axfr-sent",
        "ixfr-sent",
        "notify-acknowledged",
        "metrics-listening",
        "transfer-refused",
    ] {
        assert!(
            events.iter().any(|e| e == want),
            "no {want} event in {events:?}"
        );
    }
    drop(knot);
}
