//! ACME DNS-01 through daned, end to end with a real CA: pebble validates the challenge by
//! asking daned (`-dnsserver`), certbot (`--dns-rfc2136`) and lego (`--dns rfc2136`) put the
//! challenge TXT into daned with TSIG-signed UPDATE and each obtain a certificate for
//! mx1.example.com. With `[[zone.tlsa]]` on certbot's `live/` files (not issued yet at start),
//! the new certificate's `3 1 1` is served signed and a validating unbound with daned's DS
//! validates it; the renewal with `--csr` made from `next_key` waits for `daned tlsa ready`
//! and gives the key whose record was pre-published; after cleanup no challenge TXT is left
//! and the zone's AXFR passes ldns-verify-zone.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Daned, Proc, free_port, ldns_verify_axfr, require_tool, run_ok};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 60\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";
const SECRET: &str = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";

/// A local CA and a certificate for 127.0.0.1 signed by it, for pebble's HTTPS listener.
fn pebble_tls(dir: &Path) {
    let p = |f: &str| dir.join(f).to_str().unwrap().to_string();
    run_ok(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=test ACME CA",
            "-days",
            "2",
            "-keyout",
            &p("ca.key"),
            "-out",
            &p("ca.pem"),
        ],
    );
    run_ok(
        "openssl",
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            &p("pebble.key"),
            "-out",
            &p("pebble.csr"),
        ],
    );
    fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    run_ok(
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            &p("pebble.csr"),
            "-CA",
            &p("ca.pem"),
            "-CAkey",
            &p("ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &p("san.ext"),
            "-out",
            &p("pebble.pem"),
        ],
    );
}

/// pebble on a free port, resolving through daned at `dns_port`; returns it and its
/// directory URL.
fn start_pebble(dir: &Path, dns_port: u16) -> (Proc, String) {
    pebble_tls(dir);
    let port = free_port();
    let mgmt = free_port();
    let conf = dir.join("pebble.json");
    fs::write(
        &conf,
        format!(
            "{{\"pebble\": {{\"listenAddress\": \"127.0.0.1:{port}\", \"managementListenAddress\": \"127.0.0.1:{mgmt}\", \
             \"certificate\": \"{}\", \"privateKey\": \"{}\", \"httpPort\": {}, \"tlsPort\": {}, \
             \"ocspResponderURL\": \"\", \"externalAccountBindingRequired\": false}}}}",
            dir.join("pebble.pem").display(),
            dir.join("pebble.key").display(),
            free_port(),
            free_port()
        ),
    )
    .unwrap();
    let mut cmd = Command::new("pebble");
    cmd.arg("-config")
        .arg(&conf)
        .arg("-dnsserver")
        .arg(format!("127.0.0.1:{dns_port}"))
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .env("PEBBLE_AUTHZREUSE", "0")
        .env_remove("PEBBLE_VA_ALWAYS_VALID");
    let proc = Proc::spawn(&mut cmd, &dir.join("pebble.log"));
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "pebble did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (proc, format!("https://127.0.0.1:{port}/dir"))
}

/// certbot with the dns-rfc2136 plugin against pebble; `extra` are more arguments.
fn certbot(dir: &Path, server: &str, dns_port: u16, extra: &[&str]) -> std::process::Output {
    let creds = dir.join("rfc2136.ini");
    fs::write(
        &creds,
        format!(
            "dns_rfc2136_server = 127.0.0.1\ndns_rfc2136_port = {dns_port}\ndns_rfc2136_name = acme\n\
             dns_rfc2136_secret = {SECRET}\ndns_rfc2136_algorithm = HMAC-SHA256\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&creds, fs::Permissions::from_mode(0o600)).unwrap();
    let d = |s: &str| dir.join(s).to_str().unwrap().to_string();
    let mut args = vec![
        "certonly".to_string(),
        "--non-interactive".into(),
        "--agree-tos".into(),
        "--email".into(),
        "ops@example.com".into(),
        "--server".into(),
        server.into(),
        "--config-dir".into(),
        d("etc"),
        "--work-dir".into(),
        d("work"),
        "--logs-dir".into(),
        d("logs"),
        "--dns-rfc2136".into(),
        "--dns-rfc2136-credentials".into(),
        creds.to_str().unwrap().into(),
        "--dns-rfc2136-propagation-seconds".into(),
        "1".into(),
        "-d".into(),
        "mx1.example.com".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    Command::new("certbot")
        .args(&args)
        .env("REQUESTS_CA_BUNDLE", dir.join("ca.pem"))
        .output()
        .expect("certbot")
}

fn explain(out: &std::process::Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The `3 1 1` data daned derives from `file`, uppercase.
fn tlsa_of(daned: &Daned, file: &Path) -> String {
    let line = daned.cli(&["tlsa", file.to_str().unwrap()]);
    line.split_whitespace().last().unwrap().to_ascii_uppercase()
}

/// The `3 1 1` data of a private key file, as operators compute it with openssl.
fn key_311(file: &Path) -> String {
    let out = run_ok(
        "sh",
        &[
            "-c",
            &format!(
                "openssl pkey -in {} -pubout -outform DER | sha256sum",
                file.display()
            ),
        ],
    );
    out.split_whitespace().next().unwrap().to_ascii_uppercase()
}

/// Waits until `_25._tcp.mx1.example.com` TLSA, signed, holds `data`.
fn wait_for_tlsa(daned: &Daned, data: &str) {
    let started = Instant::now();
    loop {
        let answer = daned.kdig(&["+dnssec", "_25._tcp.mx1.example.com", "TLSA"]);
        if answer.to_ascii_uppercase().contains(data) && answer.contains("RRSIG") {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "TLSA {data} not served: {answer}\n{}",
            daned.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn certbot_and_lego_get_certificates_through_daned_and_the_tlsa_follows() {
    for tool in [
        "pebble",
        "certbot",
        "lego",
        "unbound",
        "kdig",
        "ldns-verify-zone",
        "openssl",
    ] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    fs::write(d.join("example.com.zone"), ZONE).unwrap();
    fs::create_dir_all(d.join("etc/live")).unwrap();
    run_ok(
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            d.join("next.pem").to_str().unwrap(),
        ],
    );
    let tail = format!(
        "[[tsig_key]]\nname = \"acme\"\nsecret = \"{SECRET}\"\n\
         [[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\npolicy = \"fast\"\n\
         allow_transfer = [\"127.0.0.0/8\"]\n\
         [[zone.tlsa]]\nnames = [\"_25._tcp.mx1.example.com\"]\n\
         cert = \"etc/live/mx1.example.com/fullchain.pem\"\nnext_key = \"next.pem\"\nttl = \"2s\"\n\
         [[zone.update]]\nkey = \"acme\"\nnames = [\"_acme-challenge.mx1.example.com\"]\ntypes = [\"TXT\"]\n\
         [policy.fast]\npropagation_delay = \"1s\"\n"
    );
    let daned = Daned::start_in(dir, &tail, "example.com");
    let config = daned.config.to_str().unwrap().to_string();
    // The next key's record is pre-published, but not ready yet: the gate is shut.
    let next = key_311(&d.join("next.pem"));
    wait_for_tlsa(&daned, &next);
    let gate = daned.cli_output(&["tlsa", "ready", "-c", &config, "_25._tcp.mx1.example.com"]);
    assert!(!gate.status.success(), "ready at once: {}", explain(&gate));

    let (mut pebble, server) = start_pebble(&d, daned.port);

    // certbot: first issuance by DNS-01 through daned.
    let out = certbot(&d, &server, daned.port, &[]);
    assert!(
        out.status.success(),
        "certbot: {}\n{}\npebble: {}",
        explain(&out),
        daned.log(),
        fs::read_to_string(d.join("pebble.log")).unwrap_or_default()
    );
    let live = d.join("etc/live/mx1.example.com/fullchain.pem");
    let issued = tlsa_of(&daned, &live);
    wait_for_tlsa(&daned, &issued);
    assert!(daned.log().contains("UPDATE published"), "{}", daned.log());

    // A validating unbound with daned's DS validates the new record.
    let ds = daned.cli(&["ds", "-c", &config, "example.com"]);
    let unbound = common::Unbound::start(&daned.dir, "example.com", daned.port, ds.trim());
    unbound.assert_validated(&[("_25._tcp.mx1.example.com", "TLSA")], || daned.log());
    let via = common::kdig(&[
        "@127.0.0.1",
        "-p",
        &unbound.port.to_string(),
        "+dnssec",
        "_25._tcp.mx1.example.com",
        "TLSA",
    ]);
    assert!(via.to_ascii_uppercase().contains(&issued), "{via}");

    // lego: its own account and certificate, same zone, same grant.
    let lego_dir = d.join("lego");
    let lego = Command::new("lego")
        .args([
            "--server",
            &server,
            "--email",
            "ops@example.com",
            "--accept-tos",
            "--path",
            lego_dir.to_str().unwrap(),
            "--dns",
            "rfc2136",
            "--dns.resolvers",
            &format!("127.0.0.1:{}", daned.port),
            "--dns.disable-cp",
            "-d",
            "mx1.example.com",
            "run",
        ])
        .env("LEGO_CA_CERTIFICATES", d.join("ca.pem"))
        .env("RFC2136_NAMESERVER", format!("127.0.0.1:{}", daned.port))
        .env("RFC2136_TSIG_KEY", "acme")
        .env("RFC2136_TSIG_ALGORITHM", "hmac-sha256.")
        .env("RFC2136_TSIG_SECRET", SECRET)
        .env("RFC2136_PROPAGATION_TIMEOUT", "30s")
        .env("RFC2136_POLLING_INTERVAL", "1s")
        .output()
        .expect("lego");
    assert!(
        lego.status.success(),
        "lego: {}\n{}",
        explain(&lego),
        daned.log()
    );
    assert!(lego_dir.join("certificates/mx1.example.com.crt").exists());

    // Renewal with a CSR from next_key, once `daned tlsa ready` says its record is ready.
    let started = Instant::now();
    loop {
        let gate = daned.cli_output(&["tlsa", "ready", "-c", &config, "_25._tcp.mx1.example.com"]);
        if gate.status.success() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never ready: {}",
            explain(&gate)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let csr = d.join("mx1.csr");
    run_ok(
        "openssl",
        &[
            "req",
            "-new",
            "-key",
            d.join("next.pem").to_str().unwrap(),
            "-subj",
            "/CN=mx1.example.com",
            "-addext",
            "subjectAltName=DNS:mx1.example.com",
            "-out",
            csr.to_str().unwrap(),
        ],
    );
    fs::create_dir_all(d.join("renewed")).unwrap();
    let r = |f: &str| d.join("renewed").join(f).to_str().unwrap().to_string();
    let out = certbot(
        &d,
        &server,
        daned.port,
        &[
            "--csr",
            csr.to_str().unwrap(),
            "--cert-path",
            &r("cert.pem"),
            "--fullchain-path",
            &r("fullchain.pem"),
            "--chain-path",
            &r("chain.pem"),
        ],
    );
    assert!(
        out.status.success(),
        "renewal: {}\n{}\n{}",
        explain(&out),
        fs::read_to_string(d.join("logs/letsencrypt.log")).unwrap_or_default(),
        daned.log()
    );
    assert_eq!(
        tlsa_of(&daned, &d.join("renewed/fullchain.pem")),
        next,
        "the renewed certificate is not for the pre-published next key"
    );

    // Cleanup: no challenge left, and the zone verifies.
    let txt = daned.kdig(&["_acme-challenge.mx1.example.com", "TXT"]);
    assert!(txt.contains("NXDOMAIN"), "challenge left behind: {txt}");
    let listed = daned.cli(&["update", "list", "-c", &config, "example.com"]);
    assert!(listed.trim().is_empty(), "{listed}");
    ldns_verify_axfr(daned.port, "example.com", daned.dir.path());
    pebble.stop();
}
