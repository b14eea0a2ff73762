//! TLSA records derived from certificate files and kept in step with them (RFC 7671,
//! RFC 7672): the published `3 1 1` equals what `openssl x509 -pubkey | openssl pkey -pubin
//! -outform DER | sha256sum` gives; a certbot-style symlink swap and an atomic replace are
//! published signed within seconds with a new serial; a half-written file keeps the last good
//! record and the error names the file; a zone file with TLSA at a managed name is refused.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{Daned, daned_bin, output, require_tool, serial_at, set_clock, wall_secs};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";

/// A self-signed P-256 certificate for mx1 at `cert`, its key at `key`.
fn make_cert(cert: &Path, key: &Path) {
    common::openssl_self_signed(cert, key);
}

/// `3 1 1` data of a certificate or key file, the way operators compute it with openssl.
fn openssl_311(file: &Path, is_key: bool) -> String {
    let script = if is_key {
        format!(
            "openssl pkey -in {} -pubout -outform DER | sha256sum",
            file.display()
        )
    } else {
        format!(
            "openssl x509 -in {} -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum",
            file.display()
        )
    };
    let out = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// The TLSA data daned serves at the managed name, lowercase, sorted.
fn served(daned: &Daned) -> Vec<String> {
    let out = daned.kdig(&["_25._tcp.mx1.example.com", "TLSA", "+short"]);
    let mut v: Vec<String> = out
        .lines()
        .filter(|l| l.starts_with("3 1 1"))
        .map(|l| {
            l.split_whitespace()
                .skip(3)
                .collect::<String>()
                .to_lowercase()
        })
        .collect();
    v.sort();
    v
}

/// Waits until daned has logged twice, after `mark`, a line with all of `parts`: it has then
/// seen the change and finished the step that handled it (the daemon runs on a virtual clock,
/// so it looks at the TLSA files again every second and logs the line again).
fn wait_logged_twice(daned: &Daned, mark: usize, parts: &[&str], what: &str) {
    let next = daned.wait_for_log(mark, parts, what);
    daned.wait_for_log(next, parts, what);
}

/// Waits (bounded) until the served data contains `want`; returns how long it took.
fn wait_for(daned: &Daned, want: &str) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if served(daned).iter().any(|s| s == want) {
            return Some(started.elapsed());
        }
        sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn tlsa_follows_the_certificate_files() {
    for tool in ["openssl", "kdig", "ldns-verify-zone"] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A virtual clock that stays at the start: the daemon then re-reads the TLSA files every
    // second, so a refused change is logged again at the next look.
    set_clock(d, wall_secs());
    fs::create_dir_all(d.join("archive")).unwrap();
    fs::create_dir_all(d.join("live")).unwrap();
    make_cert(&d.join("archive/cert1.pem"), &d.join("archive/key1.pem"));
    make_cert(&d.join("archive/cert2.pem"), &d.join("archive/key2.pem"));
    make_cert(&d.join("archive/cert3.pem"), &d.join("archive/key3.pem"));
    std::os::unix::fs::symlink("../archive/cert1.pem", d.join("live/cert.pem")).unwrap();
    fs::copy(d.join("archive/key2.pem"), d.join("next.pem")).unwrap();
    fs::write(d.join("example.com.zone"), ZONE).unwrap();
    let tail = "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\nallow_transfer = [\"127.0.0.0/8\"]\n\n\
                [[zone.tlsa]]\nnames = [\"_25._tcp.mx1.example.com\"]\ncert = \"live/cert.pem\"\nnext_key = \"next.pem\"\nttl = \"5m\"\n";
    let daned = Daned::start_in(dir, tail, "example.com");
    let d = daned.dir.path().to_path_buf();

    // The current certificate and the pre-published next key, as openssl computes them.
    let one = openssl_311(&d.join("archive/cert1.pem"), false);
    let next = openssl_311(&d.join("next.pem"), true);
    let mut want = vec![one.clone(), next.clone()];
    want.sort();
    assert_eq!(served(&daned), want);
    let signed = daned.kdig(&["_25._tcp.mx1.example.com", "TLSA", "+dnssec"]);
    assert!(signed.contains("RRSIG"), "TLSA must be signed:\n{signed}");
    let serial1 = serial_at(daned.port, "example.com").unwrap();

    // Status shows both records with their roles; the next key is not ready before 2 x TTL
    // (+ propagation delay) have passed, so a renewal hook waiting on `ready` keeps waiting.
    let config = daned.config.to_str().unwrap().to_string();
    let status = daned.cli(&["tlsa", "status", "-c", &config]);
    assert!(
        status.contains("next key") && status.contains("current certificate"),
        "{status}"
    );
    assert!(status.contains(&next.to_uppercase()), "{status}");
    let ready = output(
        daned_bin(),
        &["tlsa", "ready", "-c", &config, "_25._tcp.mx1.example.com"],
    );
    assert!(!ready.status.success(), "not ready right after publication");
    assert!(String::from_utf8_lossy(&ready.stdout).contains("ready at"));
    // The command for a certificate file still works beside the subcommands.
    let one_line = daned.cli(&["tlsa", d.join("archive/cert1.pem").to_str().unwrap()]);
    assert_eq!(one_line.trim().to_lowercase(), format!("3 1 1 {one}"));

    // Renewal with the pre-published key, certbot style: the symlink is swapped by rename.
    // The new certificate's key was already published (it is the next key); the old one
    // stays for 2 x TTL in case the MTA still presents it.
    let mark = daned.log_mark();
    std::os::unix::fs::symlink("../archive/cert2.pem", d.join("live/cert.pem.new")).unwrap();
    fs::rename(d.join("live/cert.pem.new"), d.join("live/cert.pem")).unwrap();
    let two = openssl_311(&d.join("archive/cert2.pem"), false);
    assert_eq!(two, next, "cert2 uses the pre-published key");
    wait_logged_twice(
        &daned,
        mark,
        &["retiring TLSA record kept", &one.to_uppercase()],
        "the old key kept after the swap",
    );
    assert!(
        served(&daned).contains(&one),
        "the old key stays published for 2 x TTL"
    );
    assert!(served(&daned).contains(&two));

    // An unplanned renewal (a key never published) by atomic replace: published at once,
    // beside the old ones, with a new serial.
    let live = d.join("live/cert.pem");
    fs::copy(d.join("archive/cert3.pem"), d.join("live/cert.tmp")).unwrap();
    fs::remove_file(&live).unwrap();
    fs::rename(d.join("live/cert.tmp"), &live).unwrap();
    let three = openssl_311(&d.join("archive/cert3.pem"), false);
    let took = wait_for(&daned, &three)
        .unwrap_or_else(|| panic!("replace not published:\n{}", daned.log()));
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(served(&daned).contains(&two), "the previous key stays");
    assert!(
        daned.log().contains("unsafe TLSA rollover"),
        "an unplanned renewal is flagged:\n{}",
        daned.log()
    );
    assert!(serial_at(daned.port, "example.com").unwrap() > serial1);

    // A half-written file (a slow two-part write): nothing changes, the error names the file;
    // once the write completes the new key is published.
    make_cert(&d.join("archive/cert4.pem"), &d.join("archive/key4.pem"));
    let four_pem = fs::read(d.join("archive/cert4.pem")).unwrap();
    let before = served(&daned);
    let retiring = daned.tlsa_retiring("example.com");
    let mark = daned.log_mark();
    let mut f = fs::File::create(&live).unwrap();
    f.write_all(&four_pem[..four_pem.len() / 2]).unwrap();
    f.flush().unwrap();
    // Refused, and the error names the file.
    wait_logged_twice(
        &daned,
        mark,
        &[
            "TLSA files unusable; keeping",
            "live/cert.pem",
            "malformed PEM",
        ],
        "the partial file refused",
    );
    assert_eq!(
        served(&daned),
        before,
        "a partial file must not change the published TLSA"
    );
    // (The retiring deadline of the old key is dropped meanwhile, so it starts again once
    // the file is whole: later, never earlier. Only new retirements are checked here.)
    let now = daned.tlsa_retiring("example.com");
    assert!(
        now.iter().all(|r| retiring.contains(r)),
        "nor start retiring a record: {now:?}, before {retiring:?}"
    );
    f.write_all(&four_pem[four_pem.len() / 2..]).unwrap();
    drop(f);
    let four = openssl_311(&d.join("archive/cert4.pem"), false);
    assert!(
        wait_for(&daned, &four).is_some(),
        "completed file not published:\n{}",
        daned.log()
    );

    // The signed zone with the new records still validates.
    common::ldns_verify_axfr(daned.port, "example.com", &d);
}

#[test]
fn a_zone_file_with_tlsa_at_a_managed_name_is_refused_by_check() {
    require_tool("openssl");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_cert(&d.join("cert.pem"), &d.join("key.pem"));
    fs::write(
        d.join("example.com.zone"),
        format!("{ZONE}_25._tcp.mx1 TLSA 3 1 1 aabbcc\n"),
    )
    .unwrap();
    let config = d.join("daned.toml");
    fs::write(
        &config,
        "[server]\nlisten = [\"127.0.0.1:5399\"]\n[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\n\
         [[zone.tlsa]]\nnames = [\"_25._tcp.mx1.example.com\"]\ncert = \"cert.pem\"\n",
    )
    .unwrap();
    let out = output(daned_bin(), &["check", "-c", config.to_str().unwrap()]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("manages"), "{text}");
}
