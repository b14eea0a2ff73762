//! MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) records from files, end to end: a local HTTPS
//! server (Python's http.server with a certificate from a test CA made with rcgen) serves the
//! policy on 127.0.9.44:443; daned publishes `_mta-sts` with an id derived from its policy file
//! only once that server serves the same content (fetched with rustls, verified against the
//! test CA). Two MTA-STS clients see the new policy after an edit, and the id did not change
//! before the server served the new file: `postfix-mta-sts-resolver`'s `mta-sts-query` (in a
//! private mount namespace whose resolv.conf names a validating unbound on 127.0.9.53:53
//! anchored at daned's DS, the test CA as its CA bundle), and a small Python client (AD bit
//! required, the policy over HTTPS verified with the test CA, a cache keyed by the id). An MX target no `mx` pattern covers keeps the old id and the log names
//! it. A knotd secondary follows each change by IXFR; the zone passes `ldns-verify-zone`.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{
    Daned, KnotSecondary, Proc, Unbound, free_port, kdig, ldns_verify_axfr, require_tool,
    serial_at, set_clock, sorted_axfr, wait_for_serial, wall_secs,
};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\nmta-sts A 127.0.9.44\n";

const POLICY_V1: &str =
    "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n";
const POLICY_V2: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 604800\r\n";
/// Covers another host, not the zone's mx1.
const POLICY_BAD: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: mx9.example.com\r\nmax_age: 604800\r\n";

/// A test CA and a certificate for mta-sts.example.com it issued, written as `ca.pem`,
/// `web.pem` and `web.key` in `dir`.
fn certificates(dir: &Path) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "daned test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["mta-sts.example.com".into()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    fs::write(dir.join("web.pem"), leaf.pem()).unwrap();
    fs::write(dir.join("web.key"), key.serialize_pem()).unwrap();
}

/// The policy host's address: port 443 as senders ask it, on a loopback address of its own
/// (127.0.0.0/8 is all loopback) so that nothing else here holds it.
const WEB_IP: &str = "127.0.9.44";
/// The address of the unbound `mta-sts-query` asks: port 53 (resolv.conf has no ports).
const RESOLVER_IP: &str = "127.0.9.53";

/// Python's http.server over TLS on `WEB_IP:port`, serving `dir/web`.
fn https_server(dir: &Path, port: u16) -> Proc {
    let script = format!(
        "import http.server, ssl, functools\n\
         h = functools.partial(http.server.SimpleHTTPRequestHandler, directory='{web}')\n\
         s = http.server.HTTPServer(('{WEB_IP}', {port}), h)\n\
         c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
         c.load_cert_chain('{d}/web.pem', '{d}/web.key')\n\
         s.socket = c.wrap_socket(s.socket, server_side=True)\n\
         s.serve_forever()\n",
        web = dir.join("web").display(),
        d = dir.display(),
    );
    let proc = Proc::spawn(
        Command::new("/usr/bin/python3").args(["-c", &script]),
        &dir.join("https.log"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect((WEB_IP, port)).is_err() {
        assert!(Instant::now() < deadline, "the HTTPS server did not start");
        sleep(Duration::from_millis(100));
    }
    proc
}

/// Publishes `policy` on the web server (replaced by rename, as a deployment does).
fn deploy(dir: &Path, policy: &str) {
    let web = dir.join("web/.well-known");
    fs::create_dir_all(&web).unwrap();
    fs::write(web.join("mta-sts.txt.tmp"), policy).unwrap();
    fs::rename(web.join("mta-sts.txt.tmp"), web.join("mta-sts.txt")).unwrap();
}

/// An MTA-STS client (RFC 8461 section 3.3): the `_mta-sts` TXT through the validating
/// resolver on `resolver` (AD required), and — when its id differs from `cached` — the policy
/// over HTTPS from `port` verified with the test CA. Returns (id, policy text or `None` when the
/// cached policy stays).
fn sts_client(dir: &Path, resolver: u16, port: u16, cached: &str) -> (String, Option<String>) {
    let script = format!(
        "import dns.resolver, dns.flags, socket, ssl, sys\n\
         r = dns.resolver.Resolver(configure=False)\n\
         r.nameservers = ['127.0.0.1']\nr.port = {resolver}\nr.use_edns(0, dns.flags.DO, 1232)\n\
         a = r.resolve('_mta-sts.example.com', 'TXT')\n\
         assert a.response.flags & dns.flags.AD, 'not validated'\n\
         txt = b''.join(a[0].strings).decode()\n\
         tags = dict(t.strip().split('=', 1) for t in txt.split(';') if t.strip())\n\
         assert tags['v'] == 'STSv1', txt\n\
         print(tags['id'])\n\
         if tags['id'] == '{cached}':\n    sys.exit(0)\n\
         c = ssl.create_default_context(cafile='{d}/ca.pem')\n\
         s = c.wrap_socket(socket.create_connection(('{WEB_IP}', {port})), server_hostname='mta-sts.example.com')\n\
         s.sendall(b'GET /.well-known/mta-sts.txt HTTP/1.0\\r\\nHost: mta-sts.example.com\\r\\n\\r\\n')\n\
         data = b''\n\
         while True:\n    b = s.recv(4096)\n    if not b:\n        break\n    data += b\n\
         head, body = data.split(b'\\r\\n\\r\\n', 1)\n\
         assert head.split()[1] == b'200', head\n\
         sys.stdout.write(body.decode())\n",
        d = dir.display(),
    );
    let out = Command::new("/usr/bin/python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "MTA-STS client: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (id, policy) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let policy = (!policy.is_empty()).then(|| policy.to_string());
    (id.trim().to_string(), policy)
}

/// The `_mta-sts` id daned serves, if any.
fn served_id(daned: &Daned) -> Option<String> {
    let txt = daned.kdig(&["+short", "_mta-sts.example.com", "TXT"]);
    let txt = txt.trim().trim_matches('"');
    txt.split(';')
        .find_map(|t| t.trim().strip_prefix("id=").map(str::to_string))
}

/// Waits (15 s at most) until daned serves an `_mta-sts` id other than `not`.
fn wait_for_id(daned: &Daned, not: Option<&str>) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(id) = served_id(daned).filter(|id| Some(id.as_str()) != not) {
            return id;
        }
        assert!(
            Instant::now() < deadline,
            "no new MTA-STS id:\n{}",
            daned.log()
        );
        sleep(Duration::from_millis(200));
    }
}

/// `postfix-mta-sts-resolver`'s `mta-sts-query` for example.com (with the policy id it
/// knows, if any), in a private mount namespace whose resolv.conf names the validating unbound
/// on `RESOLVER_IP:53` and whose CA bundle is the test CA (`SSL_CERT_FILE`): its output.
fn mta_sts_query(dir: &Path, known: Option<&str>) -> String {
    let resolv = dir.join("resolv.conf");
    fs::write(&resolv, format!("nameserver {RESOLVER_IP}\n")).unwrap();
    let script = format!(
        "mount --bind {} /etc/resolv.conf && exec env SSL_CERT_FILE={}/ca.pem mta-sts-query -v debug example.com {}",
        resolv.display(),
        dir.display(),
        known.unwrap_or("")
    );
    let out = Command::new("unshare")
        .args(["--mount", "sh", "-c", &script])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "mta-sts-query: {text}");
    text
}

/// A validating unbound on `RESOLVER_IP:53` anchored at `ds`, the zone stubbed to daned.
fn unbound_on_53(dir: &Path, daned_port: u16, ds: &str) -> Proc {
    let d = dir.join("unbound53");
    fs::create_dir_all(&d).unwrap();
    fs::write(
        d.join("unbound.conf"),
        format!(
            "server:\n  interface: {RESOLVER_IP}\n  port: 53\n  do-not-query-localhost: no\n  \
             use-syslog: no\n  logfile: \"\"\n  chroot: \"\"\n  username: \"\"\n  directory: \"{d}\"\n  \
             pidfile: \"{d}/unbound.pid\"\n  module-config: \"validator iterator\"\n  \
             trust-anchor: \"{ds}\"\n  access-control: 127.0.0.0/8 allow\n  qname-minimisation: no\n  \
             so-reuseport: no\n  num-threads: 1\n\
             remote-control:\n  control-enable: no\n\
             stub-zone:\n  name: \"example.com\"\n  stub-addr: 127.0.0.1@{daned_port}\n",
            d = d.display()
        ),
    )
    .unwrap();
    let log = d.join("unbound.log");
    let proc = Proc::spawn(
        Command::new("unbound")
            .arg("-d")
            .arg("-c")
            .arg(d.join("unbound.conf")),
        &log,
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let out = kdig(&["@127.0.9.53", "+dnssec", "example.com", "SOA"]);
        if out.contains("NOERROR") && out.contains(" ad") {
            return proc;
        }
        assert!(
            Instant::now() < deadline,
            "unbound on {RESOLVER_IP}:53 did not validate:\n{out}\n{}",
            fs::read_to_string(&log).unwrap_or_default()
        );
        sleep(Duration::from_millis(200));
    }
}

/// `daned doctor --json` with the policy host on `web_port` and the test CA: the `mail` part.
fn doctor(daned: &Daned, anchor: &Path, web_port: u16, ca: &Path) -> serde_json::Value {
    let resolver = format!("127.0.0.1:{}", daned.port);
    let web_port = web_port.to_string();
    let out = daned.cli_output(&[
        "doctor",
        "example.com",
        "--resolver",
        &resolver,
        "--trust-anchor",
        anchor.to_str().unwrap(),
        "--timeout",
        "1",
        "--json",
        "--mta-sts-port",
        &web_port,
        "--mta-sts-ca",
        ca.to_str().unwrap(),
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

/// Waits until the secondary serves daned's serial, fetched by IXFR, with daned's zone.
fn secondary_follows(daned: &Daned, knot: &KnotSecondary, mark: usize) {
    let serial = serial_at(daned.port, "example.com").unwrap();
    assert!(
        wait_for_serial(knot.port, "example.com", serial),
        "knot did not follow serial {serial}:\n{}",
        knot.log()
    );
    daned.wait_for_log(mark, &["IXFR sent", "Incremental"], "an IXFR");
    assert_eq!(
        sorted_axfr(knot.port, "example.com"),
        sorted_axfr(daned.port, "example.com")
    );
}

#[test]
fn a_new_policy_id_is_published_only_once_the_https_endpoint_serves_it() {
    for tool in [
        "kdig",
        "unbound",
        "knotd",
        "ldns-verify-zone",
        "mta-sts-query",
        "unshare",
    ] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    // A virtual clock (held at the start time) makes the daemon look at its timers every
    // second, so that the probe is repeated at once rather than every minute.
    set_clock(&d, wall_secs());
    certificates(&d);
    deploy(&d, POLICY_V1);
    fs::create_dir_all(d.join("staged")).unwrap();
    fs::write(d.join("staged/mta-sts.txt"), POLICY_V1).unwrap();
    fs::write(d.join("example.com.zone"), ZONE).unwrap();
    let web_port = 443;
    let _web = https_server(&d, web_port);
    let knot_port = free_port();
    let tail = format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
         allow_transfer = [\"127.0.0.0/8\"]\nnotify = [\"127.0.0.1:{knot_port}\"]\n\
         [zone.mta_sts]\npolicy = \"staged/mta-sts.txt\"\nprobe = \"https://mta-sts.example.com\"\n\
         probe_addr = \"{WEB_IP}:{web_port}\"\nprobe_ca = \"ca.pem\"\nttl = \"1m\"\n\
         [zone.tls_rpt]\nrua = [\"mailto:tlsrpt@example.com\", \"https://tlsrpt.example.com/v1\"]\n"
    );
    let daned = Daned::start_in(dir, &tail, "example.com");
    let knot = KnotSecondary::start("example.com", knot_port, daned.port);

    // The first id, once the endpoint was fetched; TLS-RPT beside it.
    let id1 = wait_for_id(&daned, None);
    assert_eq!(
        daned
            .kdig(&["+short", "_smtp._tls.example.com", "TXT"])
            .trim(),
        "\"v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://tlsrpt.example.com/v1\""
    );
    assert!(wait_for_serial(
        knot.port,
        "example.com",
        serial_at(daned.port, "example.com").unwrap()
    ));
    let ds = daned.cli(&["ds", "-c", daned.config.to_str().unwrap(), "example.com"]);
    let unbound = Unbound::start(&daned.dir, "example.com", daned.port, ds.trim());
    let (id, policy) = sts_client(&d, unbound.port, web_port, "");
    assert_eq!(
        (id.as_str(), policy.as_deref()),
        (id1.as_str(), Some(POLICY_V1))
    );
    ldns_verify_axfr(daned.port, "example.com", &d);
    let unbound53 = unbound_on_53(&d, daned.port, ds.trim());
    let seen = mta_sts_query(&d, None);
    assert!(
        seen.contains("VALID") && seen.contains(&id1) && seen.contains("testing"),
        "{seen}"
    );

    // The operator edits the policy; the web server still serves the old one: the id waits.
    let mark = daned.log_mark();
    fs::write(d.join("staged/mta-sts.txt"), POLICY_V2).unwrap();
    let next = daned.wait_for_log(mark, &["MTA-STS id held", "not the file"], "the id held");
    daned.wait_for_log(next, &["MTA-STS id held"], "the id held at the next look");
    // The status says why the new id waits.
    let config = daned.config.to_str().unwrap().to_string();
    let status = daned.cli(&["dkim", "status", "-c", &config]);
    assert!(
        status.contains(&format!("_mta-sts.example.com. id {id1}"))
            && status.contains("which waits: the endpoint served the policy with id")
            && status.contains(&id1),
        "{status}"
    );
    // A fresh resolver, so that nothing cached answers for daned.
    drop(unbound53);
    let unbound53 = unbound_on_53(&d, daned.port, ds.trim());
    let seen = mta_sts_query(&d, Some(&id1));
    assert!(
        seen.contains("NOT_CHANGED"),
        "a sender sees no new policy yet: {seen}\n{}\n{}",
        fs::read_to_string(d.join("unbound53/unbound.log")).unwrap_or_default(),
        kdig(&["@127.0.9.53", "+dnssec", "_mta-sts.example.com", "TXT"])
    );
    assert_eq!(
        served_id(&daned).as_deref(),
        Some(id1.as_str()),
        "the id changed before the server served the new policy"
    );

    // The new policy is deployed: the new id follows, and the client fetches the new policy.
    let mark = daned.log_mark();
    deploy(&d, POLICY_V2);
    let id2 = wait_for_id(&daned, Some(&id1));
    daned.wait_for_log(mark, &["mail record change served"], "the new id");
    secondary_follows(&daned, &knot, mark);
    let status = daned.cli(&["dkim", "status", "-c", &config]);
    assert!(
        status.contains(&format!("id {id2}\n  follows the policy file")),
        "{status}"
    );
    drop(unbound);
    let unbound = Unbound::start(&daned.dir, "example.com", daned.port, ds.trim());
    drop(unbound53);
    let _unbound53 = unbound_on_53(&d, daned.port, ds.trim());
    let seen = mta_sts_query(&d, Some(&id1));
    assert!(
        seen.contains("VALID") && seen.contains(&id2) && seen.contains("enforce"),
        "{seen}"
    );
    let (id, policy) = sts_client(&d, unbound.port, web_port, &id1);
    assert_eq!(
        (id.as_str(), policy.as_deref()),
        (id2.as_str(), Some(POLICY_V2))
    );
    ldns_verify_axfr(daned.port, "example.com", &d);
    let anchor = d.join("anchor.ds");
    fs::write(&anchor, format!("{}\n", ds.trim())).unwrap();
    let mail = doctor(&daned, &anchor, web_port, &d.join("ca.pem"));
    assert!(
        has(&mail["passed"], &["MTA-STS _mta-sts.example.com.", &id2]),
        "{mail}"
    );
    assert!(
        has(&mail["passed"], &["MTA-STS policy fetched", "Enforce"]),
        "{mail}"
    );
    assert!(
        has(&mail["passed"], &["TLS-RPT", "mailto:tlsrpt@example.com"]),
        "{mail}"
    );
    assert!(mail["errors"].as_array().unwrap().is_empty(), "{mail}");

    // A policy whose mx patterns miss the zone's MX host is refused, naming it; the id stays.
    let mark = daned.log_mark();
    fs::write(d.join("staged/mta-sts.txt"), POLICY_BAD).unwrap();
    deploy(&d, POLICY_BAD);
    let next = daned.wait_for_log(
        mark,
        &["MTA-STS policy unusable", "mx1.example.com"],
        "the MX check",
    );
    daned.wait_for_log(
        next,
        &["MTA-STS policy unusable"],
        "the MX check at the next look",
    );
    assert_eq!(served_id(&daned).as_deref(), Some(id2.as_str()));
    // The doctor sees the deployed policy miss the MX host.
    let mail = doctor(&daned, &anchor, web_port, &d.join("ca.pem"));
    assert!(
        has(
            &mail["errors"],
            &["MX host mx1.example.com", "no mx pattern"]
        ),
        "{mail}"
    );
    assert!(
        has(&mail["warnings"], &["mx9.example.com matches no MX host"]),
        "{mail}"
    );
    // With another CA the policy host's certificate does not verify.
    fs::write(
        d.join("other-ca.pem"),
        rcgen::generate_simple_self_signed(vec!["x.test".into()])
            .unwrap()
            .cert
            .pem(),
    )
    .unwrap();
    let mail = doctor(&daned, &anchor, web_port, &d.join("other-ca.pem"));
    assert!(
        has(&mail["errors"], &["MTA-STS policy from", "TLS"]),
        "{mail}"
    );
}
