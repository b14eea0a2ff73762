//! SIGKILL soak: daned is killed at random moments while it answers a kdig load loop, reloads
//! an edited zone file (SIGHUP), publishes the TLSA record of a swapped certificate, and takes
//! signing and rollover steps on a virtual clock (a fast policy moved 12 hours at a time).
//! After each restart:
//!
//! - the AXFR passes `ldns-verify-zone` (at the virtual time),
//! - the journal opens (the daemon starts and logs no journal error),
//! - an IXFR from the serial served before the previous kill works,
//! - no acknowledged change is lost: the serial never goes back from the last one seen
//!   served, the last zone edit seen served is still served, and the current certificate's
//!   TLSA record, once seen served, still is.
//!
//! `DANED_SOAK_KILLS` sets the number of kills (default 25, so CI stays fast; the run
//! is 200); `DANED_SOAK_SEED` makes a run repeatable (the seed is printed).

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{Daned, TempDir, axfr_to_file, kdig, output, require_tool, rrsig_time, serial_at};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 600\n\
@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\n@ MX 10 mx1\n\
ns1 A 192.0.2.1\nmx1 A 192.0.2.25\nwww A 192.0.2.80\n";

const POLICY: &str = "[policy.fast]\nkeys = \"ksk+zsk\"\nzsk_lifetime = \"3d\"\n\
ksk_lifetime = \"6d\"\nrrsig_lifetime = \"2d\"\nrrsig_refresh = \"1d\"\ndnskey_ttl = \"1h\"\n\
propagation_delay = \"10m\"\nparent_ds_ttl = \"1h\"\nparent_propagation_delay = \"10m\"\n\
safety_margin = \"10m\"\n";

const TLSA_NAME: &str = "_25._tcp.mx1.example.com.";

/// A small xorshift generator: repeatable runs from a printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A self-signed certificate for mx1 (PEM) and its `3 1 1` record data (hex, lowercase).
fn certificate() -> (String, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["mx1.example.com".to_owned()]).unwrap();
    let spki = rcgen::PublicKeyData::subject_public_key_info(&ck.signing_key);
    let digest = ring::digest::digest(&ring::digest::SHA256, &spki);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    (ck.cert.pem(), hex)
}

/// The TLSA `3 1 1` digests served at the TLSA name.
fn tlsa_served(port: u16) -> BTreeSet<String> {
    kdig(&[
        "@127.0.0.1",
        "-p",
        &port.to_string(),
        TLSA_NAME,
        "TLSA",
        "+short",
    ])
    .lines()
    .filter_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() >= 4 && f[..3] == ["3", "1", "1"]).then(|| f[3..].concat().to_lowercase())
    })
    .collect()
}

/// Whether `soakN.example.com` TXT is served.
fn edit_served(port: u16, n: u64) -> bool {
    kdig(&[
        "@127.0.0.1",
        "-p",
        &port.to_string(),
        &format!("soak{n}.example.com."),
        "TXT",
        "+short",
    ])
    .contains(&format!("\"edit {n}\""))
}

/// RFC 1982: `a` is not after `b`.
fn serial_le(a: u32, b: u32) -> bool {
    a == b || (b.wrapping_sub(a) as i32) > 0
}

/// A kdig loop on its own thread until `stop` (bounded in count and time); the number of
/// queries answered.
fn load(port: u16, stop: Arc<AtomicBool>, answered: Arc<AtomicU64>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let started = Instant::now();
        for i in 0..1_000_000u64 {
            if stop.load(Ordering::Relaxed) || started.elapsed() > Duration::from_secs(3600) {
                break;
            }
            let name = ["www", "mx1", "nothing", "ns1"][(i % 4) as usize];
            let out = kdig(&[
                "@127.0.0.1",
                "-p",
                &port.to_string(),
                &format!("{name}.example.com."),
                "A",
                "+dnssec",
                "+time=1",
            ]);
            if out.contains("status: NOERROR") || out.contains("status: NXDOMAIN") {
                answered.fetch_add(1, Ordering::Relaxed);
            }
            sleep(Duration::from_millis(10));
        }
    })
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_change() {
    for tool in ["kdig", "ldns-verify-zone"] {
        require_tool(tool);
    }
    let kills: u64 = std::env::var("DANED_SOAK_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    let seed: u64 = std::env::var("DANED_SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| common::wall_secs() | 1);
    eprintln!("kill soak: {kills} kills, DANED_SOAK_SEED={seed}");
    let mut rng = Rng(seed);

    let dir = TempDir::new().unwrap();
    let mut now = common::wall_secs();
    common::set_clock(dir.path(), now);
    let mut zone_text = ZONE.to_string();
    fs::write(dir.path().join("example.zone"), &zone_text).unwrap();
    let (pem, mut digest) = certificate();
    fs::write(dir.path().join("cert.pem"), &pem).unwrap();
    let tail = format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.zone\"\npolicy = \"fast\"\n\
         allow_transfer = [\"127.0.0.0/8\"]\n\n\
         [[zone.tlsa]]\nnames = [\"{TLSA_NAME}\"]\ncert = \"cert.pem\"\nttl = \"5m\"\n\n{POLICY}"
    );
    let mut daned = Daned::start_in(dir, &tail, "example.com.");
    let d = daned.dir.path().to_path_buf();
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let loader = load(daned.port, stop.clone(), answered.clone());

    let mut acked_serial = serial_at(daned.port, "example.com.").expect("a serial");
    let mut older_serial = acked_serial;
    let mut acked_edit: Option<u64> = None;
    let mut acked_tlsa = false;
    let mut edits = 0u64;
    let (mut reloads, mut swaps, mut clock_steps, mut ixfrs) = (0, 0, 0, 0);
    let started = Instant::now();
    for kill in 1..=kills {
        // One change, then a kill at a random moment after it (before, during or after its
        // publication).
        match rng.below(3) {
            0 => {
                edits += 1;
                zone_text.push_str(&format!("soak{edits} TXT \"edit {edits}\"\n"));
                let tmp = d.join("example.zone.tmp");
                fs::write(&tmp, &zone_text).unwrap();
                fs::rename(&tmp, d.join("example.zone")).unwrap();
                daned.proc.signal("HUP");
                reloads += 1;
            }
            1 => {
                let (pem, next) = certificate();
                let tmp = d.join("cert.pem.tmp");
                fs::write(&tmp, &pem).unwrap();
                fs::rename(&tmp, d.join("cert.pem")).unwrap();
                digest = next;
                acked_tlsa = false;
                swaps += 1;
            }
            _ => {
                now += 12 * 3600;
                daned.set_clock(now);
                clock_steps += 1;
            }
        }
        sleep(Duration::from_millis(rng.below(1500)));
        // What is served right before the kill is acknowledged.
        if let Some(s) = serial_at(daned.port, "example.com.") {
            assert!(
                serial_le(acked_serial, s),
                "serial went back: {acked_serial} -> {s}"
            );
            older_serial = acked_serial;
            acked_serial = s;
        }
        if edits > 0 && acked_edit != Some(edits) && edit_served(daned.port, edits) {
            acked_edit = Some(edits);
        }
        if !acked_tlsa && tlsa_served(daned.port).contains(&digest) {
            acked_tlsa = true;
        }
        daned.kill_and_restart("example.com.");

        // The journal opened and the zone came back at or after what was acknowledged.
        let log = daned.log();
        assert!(
            !log.lines()
                .any(|l| l.contains("ERROR") && l.contains("journal")),
            "kill {kill}: {log}"
        );
        let s = serial_at(daned.port, "example.com.").expect("a serial after restart");
        assert!(
            serial_le(acked_serial, s),
            "kill {kill}: serial went back from {acked_serial} to {s}\n{log}"
        );
        if let Some(n) = acked_edit {
            assert!(
                edit_served(daned.port, n),
                "kill {kill}: edit {n} lost\n{log}"
            );
        }
        if acked_tlsa {
            assert!(
                tlsa_served(daned.port).contains(&digest),
                "kill {kill}: the current certificate's TLSA record lost\n{log}"
            );
        }
        // The AXFR verifies at the virtual time.
        let file = axfr_to_file(daned.port, "example.com.", &d);
        let v = output(
            "ldns-verify-zone",
            &["-t", &rrsig_time(now), file.to_str().unwrap()],
        );
        assert!(
            v.status.success(),
            "kill {kill}: ldns-verify-zone: {}{}\n{log}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        );
        // An IXFR from the serial served before the previous kill.
        if older_serial != s {
            let ixfr = kdig(&[
                "@127.0.0.1",
                "-p",
                &daned.port.to_string(),
                "example.com.",
                &format!("IXFR={older_serial}"),
                "+nocomments",
            ]);
            let soas = ixfr.lines().filter(|l| l.contains("\tSOA\t")).count();
            assert!(
                // An incremental answer (not a full transfer): the new SOA, then at least one
                // difference sequence starting at the old serial, then the new SOA again.
                soas >= 4
                    && ixfr.contains(&format!(" {s} "))
                    && ixfr.contains(&format!(" {older_serial} "))
                    && !ixfr.contains("failed"),
                "kill {kill}: IXFR from {older_serial} to {s}:\n{ixfr}\n{log}"
            );
            ixfrs += 1;
        }
        check_bounded(started, kill);
    }
    stop.store(true, Ordering::Relaxed);
    loader.join().unwrap();
    let answered = answered.load(Ordering::Relaxed);
    eprintln!(
        "kill soak: {kills} kills in {:?} (seed {seed}): {reloads} reloads, {swaps} certificate swaps, {clock_steps} clock steps of 12 h, {ixfrs} IXFRs checked, {answered} load queries answered",
        started.elapsed()
    );
    assert!(answered > 0, "the load loop got no answer");
    daned.proc.stop();
}

/// The soak is bounded in time: 60 s per kill at most.
fn check_bounded(started: Instant, kill: u64) {
    assert!(
        started.elapsed() < Duration::from_secs(60 * kill),
        "the soak is too slow: {kill} kills in {:?}",
        started.elapsed()
    );
}
