//! DKIM keys from files end to end (RFC 6376, RFC 8301), with tools nobody here wrote:
//! messages are signed by dkimpy's `dkimsign` with RSA keys made by openssl, and verified by
//! dkimpy's `dkimverify` and OpenDKIM's `opendkim-testkey` through a validating unbound
//! anchored at daned's DS (libunbound inside opendkim-testkey validates too: "key secure").
//! A full rotation runs on daned's virtual clock: the next selector is published, `daned dkim
//! ready` fails then succeeds, the signer switches, mail signed with the old selector still
//! verifies until `retire_after`, then the old key is revoked (`dkimverify` fails on the empty
//! key, `opendkim-testkey` says "key revoked"), then removed. A knotd secondary follows every
//! change by IXFR, and the zone passes `ldns-verify-zone`. An Ed25519 key (a DER PKCS#8 file
//! from openssl) is published as RFC 8463 says, and an `ed25519-sha256` signature made by
//! `dkimsign` verifies with `dkimverify`.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{
    Daned, KnotSecondary, Unbound, free_port, ldns_verify_axfr, require_tool, serial_at, set_clock,
    sorted_axfr, wait_for_serial, wall_secs,
};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n\
                    selector1._domainkey CNAME s2._domainkey\n";

/// Propagation delay one minute: with a DKIM TTL of 60 s a selector is ready 180 s after it
/// is first published.
const POLICY: &str = "[policy.fast]\npropagation_delay = \"1m\"\n";

/// 2 x TTL + propagation delay.
const HOLD: u64 = 180;

/// `retire_after` of the test: one hour.
const RETIRE: u64 = 3600;

/// A message to sign.
const MESSAGE: &str = "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: rotation\r\n\
                       Date: Tue, 1 Dec 2026 00:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n";

/// The `[[zone]]` table with the DKIM table `dkim`.
fn config(knot_port: u16, dkim: &str) -> String {
    format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\npolicy = \"fast\"\n\
         allow_transfer = [\"127.0.0.0/8\"]\nnotify = [\"127.0.0.1:{knot_port}\"]\n\
         [[zone.dkim]]\n{dkim}ttl = \"1m\"\nretire_after = \"1h\"\n\n{POLICY}"
    )
}

/// An RSA key in PKCS#1 PEM (what dkimpy's signer reads), mode 0600 (opendkim-testkey
/// refuses keys others can read).
fn rsa_key(path: &Path) {
    let out = Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(path)
        .arg("2048")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

/// Runs `cmd` with `input` on stdin.
fn piped(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// The message signed by `dkimsign` with `selector`'s key.
fn sign(selector: &str, key: &Path) -> Vec<u8> {
    let out = piped(
        Command::new("dkimsign")
            .arg(selector)
            .arg("example.com")
            .arg(key),
        MESSAGE.as_bytes(),
    );
    assert!(
        out.status.success(),
        "dkimsign: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("s={selector}")));
    out.stdout
}

/// `dkimverify` (dkimpy's own `main`, run by the Debian python3 the package belongs to) on
/// `signed`, asking the validating unbound on
/// `resolver`: (verified, what it printed and logged).
fn dkimverify(signed: &[u8], resolver: u16) -> (bool, String) {
    let script = format!(
        "import sys, logging, dns.resolver\n\
         r = dns.resolver.Resolver(configure=False)\n\
         r.nameservers = ['127.0.0.1']\nr.port = {resolver}\n\
         dns.resolver.default_resolver = r\n\
         logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)\n\
         sys.argv = ['dkimverify']\n\
         from dkim.dkimverify import main\nmain()\n"
    );
    let out = piped(
        Command::new("/usr/bin/python3").args(["-c", &script]),
        signed,
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.contains("signature ok"), text)
}

/// `opendkim-testkey` for `selector` (and its private key), through the unbound on
/// `resolver` with daned's DS as trust anchor: what it printed.
fn testkey(dir: &Path, selector: &str, key: &Path, resolver: u16, ds: &str) -> (bool, String) {
    let lib = dir.join("libunbound.conf");
    fs::write(
        &lib,
        format!(
            "server:\n  trust-anchor: \"{ds}\"\n  do-not-query-localhost: no\n\
             forward-zone:\n  name: \"example.com\"\n  forward-addr: 127.0.0.1@{resolver}\n"
        ),
    )
    .unwrap();
    let conf = dir.join("opendkim.conf");
    fs::write(&conf, format!("ResolverConfiguration {}\n", lib.display())).unwrap();
    let out = Command::new("opendkim-testkey")
        .args(["-d", "example.com", "-s", selector, "-vvv", "-x"])
        .arg(&conf)
        .arg("-k")
        .arg(key)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The DKIM record daned serves at `selector`, joined (kdig +short quotes each string).
fn served(daned: &Daned, selector: &str) -> String {
    daned
        .kdig(&[
            "+short",
            &format!("{selector}._domainkey.example.com"),
            "TXT",
        ])
        .replace("\" \"", "")
        .trim()
        .trim_matches('"')
        .to_string()
}

/// `daned dkim ready`: whether it exits 0.
fn ready(daned: &Daned, selector: &str) -> bool {
    let config = daned.config.to_str().unwrap().to_string();
    daned
        .cli_output(&["dkim", "ready", "-c", &config, "example.com", selector])
        .status
        .success()
}

/// `daned doctor --json` with both selectors: the `mail` part of its report.
fn doctor(daned: &Daned, anchor: &Path) -> serde_json::Value {
    let port = format!("127.0.0.1:{}", daned.port);
    let out = daned.cli_output(&[
        "doctor",
        "example.com",
        "--resolver",
        &port,
        "--trust-anchor",
        anchor.to_str().unwrap(),
        "--timeout",
        "1",
        "--json",
        "--dkim-selector",
        "s1",
        "--dkim-selector",
        "S2",
        "--dkim-selector",
        "selector1",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    report["mail"].clone()
}

/// Whether one of the strings of `list` contains every one of `parts`.
fn has(list: &serde_json::Value, parts: &[&str]) -> bool {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .any(|t| parts.iter().all(|p| t.contains(p)))
}

/// Waits until the secondary serves daned's serial, then checks that it fetched it by IXFR
/// and holds exactly daned's zone.
fn secondary_follows(daned: &Daned, knot: &KnotSecondary, mark: usize) {
    let serial = serial_at(daned.port, "example.com").unwrap();
    assert!(
        wait_for_serial(knot.port, "example.com", serial),
        "knot did not follow serial {serial}:\n{}\n{}",
        knot.log(),
        daned.log()
    );
    daned.wait_for_log(
        mark,
        &["IXFR sent", "Incremental"],
        "the secondary fetches by IXFR",
    );
    assert_eq!(
        sorted_axfr(knot.port, "example.com"),
        sorted_axfr(daned.port, "example.com")
    );
}

#[test]
fn a_dkim_rotation_is_verified_by_dkimpy_and_opendkim_through_validating_unbound() {
    for tool in [
        "openssl",
        "kdig",
        "unbound",
        "knotd",
        "dkimsign",
        "opendkim-testkey",
        "ldns-verify-zone",
    ] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    // The virtual clock starts four hours back, so that the whole rotation (about two hours
    // of virtual time) stays behind the wall clock the validators check signatures against.
    let t0 = wall_secs() - 4 * 3600;
    set_clock(&d, t0);
    fs::write(d.join("example.com.zone"), ZONE).unwrap();
    rsa_key(&d.join("s1.key"));
    rsa_key(&d.join("s2.key"));
    let knot_port = free_port();
    let tail = config(
        knot_port,
        "selector = \"s1\"\nkey = \"s1.key\"\nnext_selector = \"s2\"\nnext_key = \"s2.key\"\n",
    );
    let mut daned = Daned::start_in(dir, &tail, "example.com");
    let knot = KnotSecondary::start("example.com", knot_port, daned.port);
    assert!(wait_for_serial(
        knot.port,
        "example.com",
        serial_at(daned.port, "example.com").unwrap()
    ));
    let ds = daned.cli(&["ds", "-c", daned.config.to_str().unwrap(), "example.com"]);
    let ds = ds.trim().to_string();
    let config_path = daned.config.to_str().unwrap().to_string();

    // Both selectors are published; the records are what openssl says the keys are.
    for s in ["s1", "s2"] {
        let spki = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "openssl pkey -in {}/{s}.key -pubout -outform DER | base64 -w0",
                d.display()
            ))
            .output()
            .unwrap();
        let spki = String::from_utf8_lossy(&spki.stdout).trim().to_string();
        assert_eq!(served(&daned, s), format!("v=DKIM1; k=rsa; p={spki}"));
    }
    ldns_verify_axfr(daned.port, "example.com", &d);

    // Mail signed with s1 verifies through the validating resolver, by both tools.
    let unbound = Unbound::start(&daned.dir, "example.com", daned.port, &ds);
    let old_mail = sign("s1", &d.join("s1.key"));
    let (ok, text) = dkimverify(&old_mail, unbound.port);
    assert!(ok, "dkimverify: {text}\nunbound: {}", unbound.log());
    let (ok, text) = testkey(&d, "s1", &d.join("s1.key"), unbound.port, &ds);
    assert!(
        ok && text.contains("key secure") && text.contains("key OK"),
        "opendkim-testkey: {text}"
    );
    let (ok, text) = testkey(&d, "s2", &d.join("s2.key"), unbound.port, &ds);
    assert!(ok && text.contains("key OK"), "opendkim-testkey s2: {text}");

    // daned doctor reads both keys (validated), and misses SPF and DMARC.
    let anchor = d.join("anchor.ds");
    fs::write(&anchor, format!("{ds}\n")).unwrap();
    let mail = doctor(&daned, &anchor);
    assert!(
        has(&mail["passed"], &["s1._domainkey", "rsa key, 2048 bits"]),
        "{mail}"
    );
    assert!(
        has(&mail["passed"], &["S2._domainkey", "rsa key, 2048 bits"]),
        "{mail}"
    );
    // A CNAME-delegated selector (as Exchange Online's selector1) is followed to s2's key.
    assert!(
        has(
            &mail["passed"],
            &["selector1._domainkey", "rsa key, 2048 bits"]
        ),
        "{mail}"
    );
    assert!(has(&mail["warnings"], &["no SPF record"]), "{mail}");
    assert!(has(&mail["warnings"], &["no DMARC record"]), "{mail}");
    assert!(mail["errors"].as_array().unwrap().is_empty(), "{mail}");

    // The next selector is ready only 2 x TTL + propagation delay after its publication.
    assert!(!ready(&daned, "s2"), "ready at once");
    daned.set_clock(t0 + HOLD - 20);
    assert!(!ready(&daned, "s2"), "ready too early");
    daned.set_clock(t0 + HOLD + 1);
    assert!(
        ready(&daned, "s2"),
        "{}",
        daned.cli(&["dkim", "status", "-c", &config_path])
    );

    // The signer switches to s2: the configuration names s2 as current and nothing next.
    let t1 = t0 + HOLD + 10;
    daned.set_clock(t1);
    let mark = daned.log_mark();
    fs::write(
        &daned.config,
        fs::read_to_string(&daned.config).unwrap().replace(
            &tail,
            &config(knot_port, "selector = \"s2\"\nkey = \"s2.key\"\n"),
        ),
    )
    .unwrap();
    daned.cli(&["reload", "-c", &config_path]);
    daned.wait_for_log(mark, &["reload done"], "the reload");
    let status = daned.cli(&["dkim", "status", "-c", &config_path]);
    assert!(
        status.contains("s1._domainkey.example.com. retiring"),
        "{status}"
    );
    assert!(
        status.contains("s2._domainkey.example.com. current"),
        "{status}"
    );
    let new_mail = sign("s2", &d.join("s2.key"));
    let (ok, text) = dkimverify(&new_mail, unbound.port);
    assert!(ok, "new mail: {text}");
    let (ok, text) = dkimverify(&old_mail, unbound.port);
    assert!(ok, "old mail while s1 is retiring: {text}");
    assert!(
        !ready(&daned, "s1"),
        "a retiring selector is no key to sign with"
    );

    // Just before retire_after, s1 still verifies; at it, s1 is revoked.
    daned.set_clock(t1 + RETIRE - 60);
    // The virtual clock is looked at every second: give the daemon a few looks.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_ne!(
        served(&daned, "s1"),
        "v=DKIM1; k=rsa; p=",
        "revoked before retire_after"
    );
    let (ok, text) = dkimverify(&old_mail, unbound.port);
    assert!(ok, "old mail just before retire_after: {text}");
    let mark = daned.log_mark();
    daned.set_clock(t1 + RETIRE + 1);
    daned.wait_for_log(mark, &["mail record change served"], "s1 revoked");
    assert_eq!(served(&daned, "s1"), "v=DKIM1; k=rsa; p=");
    secondary_follows(&daned, &knot, mark);
    drop(unbound);
    let unbound = Unbound::start(&daned.dir, "example.com", daned.port, &ds);
    let (ok, text) = dkimverify(&old_mail, unbound.port);
    assert!(!ok, "old mail verifies against a revoked key: {text}");
    assert!(
        text.contains("could not parse RSA public key (b'')"),
        "the reason is the empty (revoked) key: {text}"
    );
    let (ok, text) = testkey(&d, "s1", &d.join("s1.key"), unbound.port, &ds);
    assert!(
        !ok && text.contains("Revoked key"),
        "opendkim-testkey on s1: {text}"
    );
    let (ok, text) = dkimverify(&new_mail, unbound.port);
    assert!(ok, "new mail: {text}");
    ldns_verify_axfr(daned.port, "example.com", &d);
    let mail = doctor(&daned, &anchor);
    assert!(
        has(&mail["errors"], &["s1._domainkey", "revoked"]),
        "{mail}"
    );

    // A restart keeps the revocation; after retire_after again s1 is removed.
    daned.restart("example.com");
    assert_eq!(served(&daned, "s1"), "v=DKIM1; k=rsa; p=");
    let mark = daned.log_mark();
    daned.set_clock(t1 + 2 * RETIRE + 1);
    daned.wait_for_log(mark, &["mail record change served"], "s1 removed");
    assert!(served(&daned, "s1").is_empty());
    assert!(
        daned
            .kdig(&["s1._domainkey.example.com", "TXT"])
            .contains("NXDOMAIN")
    );
    secondary_follows(&daned, &knot, mark);
    drop(unbound);
    let unbound = Unbound::start(&daned.dir, "example.com", daned.port, &ds);
    let (ok, text) = dkimverify(&old_mail, unbound.port);
    assert!(!ok && text.contains("missing public key"), "{text}");
    let mail = doctor(&daned, &anchor);
    assert!(
        has(&mail["errors"], &["s1._domainkey", "no key record"]),
        "{mail}"
    );
    assert!(has(&mail["passed"], &["S2._domainkey"]), "{mail}");
    let (ok, text) = dkimverify(&new_mail, unbound.port);
    assert!(ok, "new mail: {text}");
    ldns_verify_axfr(daned.port, "example.com", &d);
}

#[test]
fn an_ed25519_key_is_published_as_rfc_8463_says_and_dkimpy_verifies_it() {
    for tool in ["openssl", "kdig", "unbound", "dkimsign"] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    fs::write(d.join("example.com.zone"), ZONE).unwrap();
    let out = Command::new("openssl")
        .args(["genpkey", "-algorithm", "ED25519", "-outform", "DER"])
        .output()
        .unwrap();
    assert!(out.status.success());
    fs::write(d.join("ed.key"), &out.stdout).unwrap();
    // dkimpy signs with the raw 32-octet seed in base64 (the end of the PKCS#8 DER).
    let seed = &out.stdout[out.stdout.len() - 32..];
    let b64 = |data: &[u8]| {
        let mut child = Command::new("base64")
            .arg("-w0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(data).unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
    };
    fs::write(d.join("ed.seed"), b64(seed)).unwrap();
    let tail = "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
                [[zone.dkim]]\nselector = \"ed\"\nkey = \"ed.key\"\n";
    let daned = Daned::start_in(dir, tail, "example.com");
    let public = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl pkey -inform DER -in {}/ed.key -pubout -outform DER | tail -c 32 | base64 -w0",
            d.display()
        ))
        .output()
        .unwrap();
    let public = String::from_utf8_lossy(&public.stdout).to_string();
    assert_eq!(
        served(&daned, "ed"),
        format!("v=DKIM1; k=ed25519; p={public}")
    );
    let ds = daned.cli(&["ds", "-c", daned.config.to_str().unwrap(), "example.com"]);
    let unbound = Unbound::start(&daned.dir, "example.com", daned.port, ds.trim());
    let out = piped(
        Command::new("dkimsign")
            .args(["--signalg", "ed25519-sha256", "ed", "example.com"])
            .arg(d.join("ed.seed")),
        MESSAGE.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ok, text) = dkimverify(&out.stdout, unbound.port);
    assert!(ok, "dkimverify of an ed25519-sha256 signature: {text}");
}
