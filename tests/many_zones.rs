//! Many zones from one `[[zone_dir]]` with a `[[template]]`: every good zone is served signed
//! (DNSKEY with its RRSIG) while a broken file among them is refused and named with its line
//! in the log and by `daned check`; files added to and removed from the folder are served and
//! dropped on reload (the removed zone's keys stay).

mod common;

use std::fs;
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{Daned, daned_bin, output, require_tool};

/// The good zones in the folder at start.
const ZONES: usize = 200;

/// A small mail domain.
fn mail_zone(name: &str) -> String {
    format!(
        "$ORIGIN {name}.\n$TTL 3600\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\n\
         ns1 A 192.0.2.1\n@ MX 10 mx\nmx A 192.0.2.2\n@ TXT \"v=spf1 mx -all\"\n\
         _dmarc TXT \"v=DMARC1; p=reject\"\n"
    )
}

/// Broken on line 5 (an address that is none).
const BROKEN: &str = "$ORIGIN broken.example.\n$TTL 3600\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.300\n";

const CONFIG: &str = "[[template]]\nname = \"mail\"\nallow_transfer = [\"127.0.0.0/8\"]\n\n\
                      [[zone_dir]]\npath = \"zones\"\ntemplate = \"mail\"\n";

fn name(i: usize) -> String {
    format!("m{i:03}.example")
}

/// Whether `zone` answers DNSKEY with an RRSIG over it.
fn signed(daned: &Daned, zone: &str) -> bool {
    let out = daned.kdig(&["+dnssec", "+noall", "+answer", zone, "DNSKEY"]);
    out.contains("\tDNSKEY\t") && out.contains("\tRRSIG\tDNSKEY ")
}

/// Waits (bounded) for the `nth` line containing `text` in the log.
fn wait_for(daned: &Daned, text: &str, nth: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    while daned.log().matches(text).count() < nth {
        assert!(
            Instant::now() < deadline,
            "no {nth} x {text:?} within {limit:?}:\n{}",
            daned.log()
        );
        sleep(Duration::from_millis(100));
    }
}

fn reload(daned: &Daned, nth: usize) {
    let out = output(
        daned_bin(),
        &["reload", "-c", daned.config.to_str().unwrap()],
    );
    assert!(out.status.success(), "{out:?}");
    wait_for(daned, "reload done", nth, Duration::from_secs(120));
}

#[test]
fn a_zone_folder_serves_every_good_zone_signed_and_follows_the_folder_on_reload() {
    require_tool("kdig");
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones");
    fs::create_dir(&zones).unwrap();
    for i in 0..ZONES {
        let n = name(i);
        fs::write(zones.join(format!("{n}.zone")), mail_zone(&n)).unwrap();
    }
    fs::write(zones.join("broken.example.zone"), BROKEN).unwrap();
    fs::write(zones.join("notes.txt"), "not a zone").unwrap();

    // `daned check` names the broken file and line, and passes every other zone.
    fs::write(dir.path().join("check.toml"), CONFIG).unwrap();
    let check = output(
        daned_bin(),
        &[
            "check",
            "-c",
            dir.path().join("check.toml").to_str().unwrap(),
        ],
    );
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(!check.status.success(), "{text}");
    assert!(text.contains("broken.example.zone:5"), "{text}");
    assert_eq!(text.matches("ok: m").count(), ZONES, "{text}");

    let daned = Daned::start_in(dir, CONFIG, &name(0));
    wait_for(&daned, "zone loading done", 1, Duration::from_secs(300));
    let log = daned.log();
    assert!(
        log.lines().any(|l| l.contains("zone not loaded")
            && l.contains("broken.example")
            && l.contains("broken.example.zone:5")),
        "the broken zone is named with file and line:\n{log}"
    );
    let unsigned: Vec<String> = (0..ZONES)
        .map(name)
        .filter(|z| !signed(&daned, z))
        .collect();
    assert!(unsigned.is_empty(), "not served signed: {unsigned:?}");
    let broken = daned.kdig(&["broken.example", "SOA"]);
    assert!(broken.contains("REFUSED"), "{broken}");

    // Two files removed, two added, the broken one fixed: one reload.
    for i in [3, 7] {
        fs::remove_file(zones_of(&daned).join(format!("{}.zone", name(i)))).unwrap();
    }
    for i in [ZONES, ZONES + 1] {
        let n = name(i);
        fs::write(zones_of(&daned).join(format!("{n}.zone")), mail_zone(&n)).unwrap();
    }
    fs::write(
        zones_of(&daned).join("broken.example.zone"),
        BROKEN.replace("192.0.2.300", "192.0.2.30"),
    )
    .unwrap();
    reload(&daned, 1);
    for z in [name(ZONES), name(ZONES + 1), "broken.example".into()] {
        assert!(
            signed(&daned, &z),
            "{z} served after the reload:\n{}",
            daned.log()
        );
    }
    for i in [3, 7] {
        let gone = daned.kdig(&[&name(i), "SOA"]);
        assert!(
            gone.contains("REFUSED"),
            "{} no longer served: {gone}",
            name(i)
        );
        let keys = daned.dir.path().join("state/keys").join(name(i));
        assert!(
            fs::read_dir(&keys).is_ok_and(|mut d| d.next().is_some()),
            "the removed zone's keys are kept in {}",
            keys.display()
        );
    }
    assert!(signed(&daned, &name(4)), "the others keep serving");
}

fn zones_of(daned: &Daned) -> std::path::PathBuf {
    Path::new(daned.dir.path()).join("zones")
}
