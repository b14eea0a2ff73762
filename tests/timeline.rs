//! `daned timeline`: the planned events it shows are what `daned simulate` then does on a
//! virtual clock from the same moment, event for event (keys, DS, signature refreshes); its
//! run leaves the zone's real state alone; the SVG chart (`timeline --svg`, `simulate --svg`)
//! is well-formed XML (xmllint) and renders (rsvg-convert) to a PNG, with every lane labelled.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use common::{daned_bin, require_tool};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n\
                    @ NS ns\nns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";
const CONFIG: &str = "[server]\nlisten = [\"127.0.0.1:1\"]\nstate_dir = \"state\"\n\n\
                      [[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\npolicy = \"fast\"\n\n\
                      [policy.fast]\nkeys = \"ksk+zsk\"\nzsk_lifetime = \"3d\"\n";
const T0: u64 = 1_900_000_000;

/// Runs daned in `dir` (on the virtual clock `clock`, if given); returns stdout.
fn daned(dir: &Path, clock: Option<u64>, args: &[&str]) -> String {
    let mut cmd = Command::new(daned_bin());
    cmd.current_dir(dir)
        .args(args)
        .env_remove("DANED_CLOCK_FILE");
    if let Some(t) = clock {
        fs::write(dir.join("clock"), t.to_string()).unwrap();
        cmd.env("DANED_CLOCK_FILE", dir.join("clock"));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "daned {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The events of a timeline table (time, lane, event), with each key tag replaced by its
/// role and the order its key first appears in (tags are random per run).
fn normalized(table: &str) -> Vec<String> {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for line in table.lines().skip(1) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut text = Vec::new();
        let mut role: Option<String> = None;
        for w in &words {
            if let (Ok(_), Some(r)) = (w.parse::<u16>(), role.as_ref()) {
                let key = format!("{r}/{w}");
                let n = count.entry(r.clone()).or_default();
                let name = names.entry(key).or_insert_with(|| {
                    *n += 1;
                    format!("{r}#{n}")
                });
                text.pop();
                text.push(name.clone());
            } else {
                text.push((*w).to_string());
            }
            role = ["ksk", "zsk", "csk"].contains(w).then(|| (*w).to_string());
        }
        out.push(text.join(" "));
    }
    out.sort();
    out
}

#[test]
fn the_timeline_plans_what_simulate_then_does_event_for_event() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("example.com.zone"), ZONE).unwrap();
    fs::write(d.join("daned.toml"), CONFIG).unwrap();
    let table = daned(
        d,
        Some(T0),
        &[
            "timeline",
            "-c",
            "daned.toml",
            "example.com",
            "--from",
            "1d",
            "--until",
            "10d",
        ],
    );
    // Nothing was there, and the timeline's run on its copy left nothing behind.
    assert!(
        !d.join("state").exists(),
        "the timeline touched the real state"
    );
    daned(
        d,
        None,
        &[
            "simulate",
            "-c",
            "daned.toml",
            "--zone",
            "example.com",
            "--until",
            "10d",
            "--step",
            "1h",
            "--start",
            &T0.to_string(),
            "--out",
            "sim",
            "--events",
            "sim.txt",
        ],
    );
    let simulated = fs::read_to_string(d.join("sim.txt")).unwrap();
    let planned = normalized(&table);
    let done = normalized(&simulated);
    // Three zsk rollovers in ten days, each published, active, the old one retired, removed.
    let published = planned.iter().filter(|e| e.ends_with("published")).count();
    assert_eq!(published, 3, "{table}");
    assert!(
        planned.iter().any(|e| e.contains("zsk#2 active")),
        "{table}"
    );
    assert!(
        planned.iter().any(|e| e.contains("zsk#1 removed")),
        "{table}"
    );
    assert_eq!(planned, done, "timeline:\n{table}\nsimulate:\n{simulated}");
}

#[test]
fn the_svg_charts_are_well_formed_and_render_with_labelled_lanes() {
    require_tool("xmllint");
    require_tool("rsvg-convert");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("example.com.zone"), ZONE).unwrap();
    fs::write(d.join("daned.toml"), CONFIG).unwrap();
    daned(
        d,
        Some(T0),
        &[
            "timeline",
            "-c",
            "daned.toml",
            "example.com",
            "--until",
            "30d",
            "--svg",
            "t.svg",
        ],
    );
    daned(
        d,
        None,
        &[
            "simulate",
            "-c",
            "daned.toml",
            "--zone",
            "example.com",
            "--until",
            "20d",
            "--start",
            &T0.to_string(),
            "--out",
            "sim",
            "--svg",
            "s.svg",
        ],
    );
    for svg in ["t.svg", "s.svg"] {
        let text = fs::read_to_string(d.join(svg)).unwrap();
        for lane in ["keys", "parent DS", "signatures", "TLSA", "certificates"] {
            assert!(
                text.contains(&format!(">{lane}</text>")),
                "{svg}: no lane {lane}"
            );
        }
        assert!(text.contains("zsk") && text.contains("published"), "{svg}");
        let lint = Command::new("xmllint")
            .arg("--noout")
            .arg(d.join(svg))
            .output()
            .unwrap();
        assert!(
            lint.status.success(),
            "{svg}: {}",
            String::from_utf8_lossy(&lint.stderr)
        );
        let png = d.join(format!("{svg}.png"));
        let render = Command::new("rsvg-convert")
            .arg("-o")
            .arg(&png)
            .arg(d.join(svg))
            .output()
            .unwrap();
        assert!(
            render.status.success(),
            "{}",
            String::from_utf8_lossy(&render.stderr)
        );
        let bytes = fs::read(&png).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 5000,
            "{svg}: {} bytes",
            bytes.len()
        );
    }
}
