//! TLSA rollover end to end (RFC 7671 section 8, RFC 7672), with the real binary, certificates
//! made with rcgen and the daemon on a virtual clock:
//! - a planned renewal, certbot style (symlink swaps in `live/`): the next key is pre-published,
//!   `daned tlsa ready` fails before 2 x TTL + propagation delay and succeeds after; the old
//!   key's record goes 2 x TTL after the swap, also across a restart (the deadline is kept in
//!   the state file); unbound validates the TLSA answers (AD) with the zone's trust anchor;
//! - an unplanned renewal with a STARTTLS probe of an MTA (a tokio-rustls responder in this
//!   file): flagged as unsafe in the log and in `daned tlsa status`; the old record stays past
//!   2 x TTL until the MTA presents the new key; a key no record matches is logged as 5.7.323;
//!   a certificate that does not match its private key keeps the last good records;
//! - `2 1 1` only for the chain's real issuer; broken (half-renamed, empty, slowly written)
//!   files keep the old records; expiring and expired certificates are warned about with the
//!   date; a certificate replaced while daned was down is flagged as a rollover at start.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{Daned, Unbound, kdig, require_tool, set_clock, wall_secs};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";

const NAME: &str = "_25._tcp.mx1.example.com";

/// A policy whose propagation delay is one minute: with a TLSA TTL of 60 s, a key is ready
/// (and an old one may go) 2 x 60 + 60 = 180 s after the change.
const POLICY: &str = "[policy.fast]\npropagation_delay = \"1m\"\n";

/// Seconds from a change until a key is ready / an old key may go (2 x TTL + propagation).
const HOLD: u64 = 180;

//------------ Certificates --------------------------------------------------

/// A key pair, PKCS#8 PEM.
fn new_key() -> rcgen::KeyPair {
    rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
}

/// A self-signed certificate for mx1 with `key`, valid from a day ago until `days` from now
/// (wall clock).
fn cert_with(key: &rcgen::KeyPair, days: i64) -> String {
    let mut params = rcgen::CertificateParams::new(vec!["mx1.example.com".into()]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(days);
    params.self_signed(key).unwrap().pem()
}

/// `3 1 1` data of a PEM certificate or private key, the way operators compute it.
fn openssl_311(pem: &str) -> String {
    let script = if pem.contains("PRIVATE KEY") {
        "openssl pkey -pubout -outform DER | sha256sum"
    } else {
        "openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum"
    };
    let mut child = Command::new("sh")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(pem.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Writes `text` to `path` atomically (temporary file, rename), as ACME clients do.
fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text).unwrap();
    fs::rename(&tmp, path).unwrap();
}

/// Points the symlink `link` at `target` by rename, as certbot does in `live/`.
fn swap_symlink(link: &Path, target: &str) {
    let tmp = link.with_extension("new");
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).unwrap();
    fs::rename(&tmp, link).unwrap();
}

//------------ Observing daned -----------------------------------------------

/// The TLSA data daned serves at NAME: (usage, data) pairs, data lowercase, sorted.
fn served(daned: &Daned) -> Vec<(String, String)> {
    let out = daned.kdig(&[NAME, "TLSA", "+short"]);
    let mut v: Vec<(String, String)> = out
        .lines()
        .filter(|l| l.starts_with("3 1 1") || l.starts_with("2 1 1"))
        .map(|l| {
            let usage = l[..1].to_string();
            let data = l
                .split_whitespace()
                .skip(3)
                .collect::<String>()
                .to_lowercase();
            (usage, data)
        })
        .collect();
    v.sort();
    v
}

/// The `3 1 1` data daned serves at NAME, sorted.
fn served_311(daned: &Daned) -> Vec<String> {
    served(daned)
        .into_iter()
        .filter(|(u, _)| u == "3")
        .map(|(_, d)| d)
        .collect()
}

/// `want` sorted.
fn sorted(mut want: Vec<String>) -> Vec<String> {
    want.sort();
    want
}

/// Waits (at most 15 s) until `check` holds; panics with `what` and the log otherwise.
fn wait_until(daned: &Daned, what: &str, check: impl Fn() -> bool) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        if check() {
            return;
        }
        sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting: {what}\nlog:\n{}", daned.log());
}

/// Waits until daned has logged twice, after `mark`, that it kept the retiring record with
/// `3 1 1` data `data` at (virtual) time `now` because it waits for `waiting_for`: it has then
/// looked at that time and finished the step that refused the removal.
fn wait_kept(daned: &Daned, mark: usize, data: &str, now: u64, waiting_for: &str) {
    let data = data.to_uppercase();
    let now = format!("now={now} ");
    let parts = ["retiring TLSA record kept", &data, &now, waiting_for];
    let what = format!("the old record kept ({now}), waiting for {waiting_for}");
    let next = daned.wait_for_log(mark, &parts, &what);
    daned.wait_for_log(next, &parts, &what);
}

/// Waits until daned has logged twice, after `mark`, that the TLSA files are unusable because
/// `file` gives `error`: it has then read the file and finished the step that kept the
/// records published so far.
fn wait_unusable(daned: &Daned, mark: usize, file: &str, error: &str) {
    let parts = ["TLSA files unusable; keeping", file, error];
    let what = format!("{file} refused: {error}");
    let next = daned.wait_for_log(mark, &parts, &what);
    daned.wait_for_log(next, &parts, &what);
}

/// `daned tlsa status -c CONFIG`.
fn status(daned: &Daned) -> String {
    daned.cli(&["tlsa", "status", "-c", daned.config.to_str().unwrap()])
}

/// The exit code of `daned tlsa ready -c CONFIG NAME`, and its output.
fn ready(daned: &Daned) -> (i32, String) {
    let out = daned.cli_output(&["tlsa", "ready", "-c", daned.config.to_str().unwrap(), NAME]);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Asks a fresh validating unbound (trust anchor from `daned ds`) for the TLSA RRset; checks
/// that the answer is validated (AD) and returns it.
fn validated_tlsa(daned: &Daned) -> String {
    let ds = daned.cli(&["ds", "-c", daned.config.to_str().unwrap(), "example.com"]);
    assert!(ds.contains(" DS "), "daned ds printed no DS: {ds}");
    // A new folder each time, so that no cached RRset hides the change.
    let dir = tempfile::tempdir().unwrap();
    let unbound = Unbound::start(&dir, "example.com", daned.port, ds.trim());
    let port = unbound.port.to_string();
    let out = kdig(&[
        "@127.0.0.1",
        "-p",
        &port,
        NAME,
        "TLSA",
        "+dnssec",
        "+time=5",
        "+retry=0",
    ]);
    let flags = out
        .lines()
        .find(|l| l.contains("Flags:") || l.contains("flags:"))
        .unwrap_or("");
    assert!(
        out.contains("status: NOERROR") && flags.contains(" ad"),
        "TLSA not validated by unbound:\n{out}\n{}",
        unbound.log()
    );
    out
}

//------------ A test MTA ----------------------------------------------------

/// An SMTP server on 127.0.0.1 that offers STARTTLS and presents whichever certificate the
/// test last gave it (an MTA reloaded, or not yet, after a renewal). It runs on a thread of
/// this test process and ends with it.
struct Mta {
    /// Its port.
    port: u16,
    /// The certificate (DER) and PKCS#8 key (DER) it presents.
    serving: Arc<Mutex<(Vec<u8>, Vec<u8>)>>,
}

impl Mta {
    /// Starts serving `cert`/`key` (PEM).
    fn start(cert: &str, key: &rcgen::KeyPair) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let serving = Arc::new(Mutex::new(Self::pair(cert, key)));
        let shared = Arc::clone(&serving);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                while let Ok((tcp, _)) = listener.accept().await {
                    let pair = shared.lock().unwrap().clone();
                    tokio::spawn(async move {
                        let _ =
                            tokio::time::timeout(Duration::from_secs(10), session(tcp, pair)).await;
                    });
                }
            });
        });
        Self { port, serving }
    }

    /// DER certificate and key from PEM.
    fn pair(cert: &str, key: &rcgen::KeyPair) -> (Vec<u8>, Vec<u8>) {
        let der = pem::parse(cert).unwrap().into_contents();
        (der, key.serialize_der())
    }

    /// From now on, presents `cert`/`key` (the MTA was reloaded).
    fn present(&self, cert: &str, key: &rcgen::KeyPair) {
        *self.serving.lock().unwrap() = Self::pair(cert, key);
    }
}

/// One SMTP session: banner, EHLO offering STARTTLS, STARTTLS, TLS, then QUIT.
async fn session(
    tcp: tokio::net::TcpStream,
    (cert, key): (Vec<u8>, Vec<u8>),
) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut conn = BufReader::new(tcp);
    let mut line = String::new();
    conn.get_mut()
        .write_all(b"220 mx1.example.com ESMTP test\r\n")
        .await?;
    conn.read_line(&mut line).await?;
    conn.get_mut()
        .write_all(b"250-mx1.example.com\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        .await?;
    line.clear();
    conn.read_line(&mut line).await?;
    if !line.eq_ignore_ascii_case("STARTTLS\r\n") {
        return Ok(());
    }
    conn.get_mut().write_all(b"220 go ahead\r\n").await?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(std::io::Error::other)?
    .with_no_client_auth()
    .with_single_cert(
        vec![rustls::pki_types::CertificateDer::from(cert)],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
    )
    .map_err(std::io::Error::other)?;
    let tls = tokio_rustls::TlsAcceptor::from(Arc::new(config))
        .accept(conn.into_inner())
        .await?;
    let mut tls = BufReader::new(tls);
    line.clear();
    tls.read_line(&mut line).await?;
    tls.get_mut().write_all(b"221 bye\r\n").await?;
    tls.get_mut().shutdown().await
}

//------------ Tests ---------------------------------------------------------

#[test]
fn a_planned_certbot_renewal_waits_for_readiness_and_retires_the_old_key_after_two_ttl() {
    for tool in ["openssl", "kdig", "unbound"] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t0 = wall_secs();
    set_clock(d, t0);
    fs::create_dir_all(d.join("archive")).unwrap();
    fs::create_dir_all(d.join("live")).unwrap();
    let (key1, key2) = (new_key(), new_key());
    let (cert1, cert2) = (cert_with(&key1, 90), cert_with(&key2, 90));
    fs::write(d.join("archive/cert1.pem"), &cert1).unwrap();
    fs::write(d.join("archive/privkey1.pem"), key1.serialize_pem()).unwrap();
    fs::write(d.join("archive/cert2.pem"), &cert2).unwrap();
    fs::write(d.join("archive/privkey2.pem"), key2.serialize_pem()).unwrap();
    std::os::unix::fs::symlink("../archive/cert1.pem", d.join("live/fullchain.pem")).unwrap();
    std::os::unix::fs::symlink("../archive/privkey1.pem", d.join("live/privkey.pem")).unwrap();
    // The next key, staged long before renewal (a private key file, as the recipe makes it).
    fs::write(d.join("next.pem"), key2.serialize_pem()).unwrap();
    fs::write(d.join("example.com.zone"), ZONE).unwrap();
    let tail = format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\npolicy = \"fast\"\n\n\
         [[zone.tlsa]]\nnames = [\"{NAME}\"]\ncert = \"live/fullchain.pem\"\nkey = \"live/privkey.pem\"\n\
         next_key = \"next.pem\"\nttl = \"60\"\n\n{POLICY}"
    );
    let mut daned = Daned::start_in(dir, &tail, "example.com");

    // The current certificate and the pre-published next key, signed, and validated.
    let (one, two) = (openssl_311(&cert1), openssl_311(&key2.serialize_pem()));
    assert_eq!(openssl_311(&cert2), two, "cert2 uses the staged key");
    assert_eq!(served_311(&daned), sorted(vec![one.clone(), two.clone()]));
    let signed = daned.kdig(&[NAME, "TLSA", "+dnssec"]);
    assert!(signed.contains("RRSIG"), "TLSA must be signed:\n{signed}");
    let answer = validated_tlsa(&daned).to_lowercase();
    assert!(
        answer.contains(&one[..16]) && answer.contains(&two[..16]),
        "{answer}"
    );

    // Not ready before 2 x TTL + propagation delay: a renewal hook keeps waiting.
    let (code, text) = ready(&daned);
    assert_eq!(code, 1, "not ready right after publication: {text}");
    assert!(text.contains("ready at"), "{text}");
    daned.set_clock(t0 + HOLD - 30);
    assert_eq!(ready(&daned).0, 1, "not ready 30 s early");
    daned.set_clock(t0 + HOLD + 1);
    let (code, text) = ready(&daned);
    assert_eq!(code, 0, "ready after 2 x TTL + propagation: {text}");
    assert!(text.contains("ready since"), "{text}");

    // certbot renews with the staged key: swaps the symlinks in live/, one file after the
    // other (for a moment the certificate does not match the key: nothing changes then).
    let t1 = t0 + HOLD + 10;
    daned.set_clock(t1);
    let live = daned.dir.path().join("live");
    swap_symlink(&live.join("fullchain.pem"), "../archive/cert2.pem");
    swap_symlink(&live.join("privkey.pem"), "../archive/privkey2.pem");
    wait_until(&daned, "the status shows the old key retiring", || {
        status(&daned).contains("retiring: removed from")
    });
    assert_eq!(served_311(&daned), sorted(vec![one.clone(), two.clone()]));
    assert!(
        !daned.log().contains("unsafe TLSA rollover"),
        "a renewal with a ready key is safe:\n{}",
        daned.log()
    );
    assert!(status(&daned).contains("current certificate"));

    // A restart while the old key is retiring keeps its deadline (from the state file): the
    // record goes 2 x TTL after the swap, not 2 x TTL after the restart.
    let mark = daned.log_mark();
    daned.set_clock(t1 + HOLD - 40);
    wait_kept(
        &daned,
        mark,
        &one,
        t1 + HOLD - 40,
        "2 x TTL + propagation delay",
    );
    assert!(served_311(&daned).contains(&one), "kept before 2 x TTL");
    let state = fs::read_to_string(daned.dir.path().join("state/tlsa/example.com.state")).unwrap();
    assert!(state.contains("retire "), "{state}");
    daned.restart("example.com");
    assert!(served_311(&daned).contains(&one), "kept across the restart");
    daned.set_clock(t1 + HOLD + 5);
    wait_until(&daned, "the old key removed 2 x TTL after the swap", || {
        served_311(&daned) == [two.clone()]
    });
    let answer = validated_tlsa(&daned).to_lowercase();
    assert!(
        answer.contains(&two[..16]) && !answer.contains(&one[..16]),
        "{answer}"
    );
}

#[test]
fn with_a_probe_the_old_key_goes_only_once_the_mta_presents_the_new_one() {
    for tool in ["openssl", "kdig"] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t0 = wall_secs();
    set_clock(d, t0);
    let (key1, key3, key4) = (new_key(), new_key(), new_key());
    let (cert1, cert3, cert4) = (
        cert_with(&key1, 90),
        cert_with(&key3, 90),
        cert_with(&key4, 90),
    );
    fs::write(d.join("cert.pem"), &cert1).unwrap();
    fs::write(d.join("privkey.pem"), key1.serialize_pem()).unwrap();
    fs::write(d.join("example.com.zone"), ZONE).unwrap();
    let mta = Mta::start(&cert1, &key1);
    let tail = format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\npolicy = \"fast\"\n\n\
         [[zone.tlsa]]\nnames = [\"{NAME}\"]\ncert = \"cert.pem\"\nkey = \"privkey.pem\"\n\
         probe = \"127.0.0.1:{}\"\nttl = \"60\"\n\n{POLICY}",
        mta.port
    );
    let daned = Daned::start_in(dir, &tail, "example.com");
    let d = daned.dir.path().to_path_buf();
    let (one, three, four) = (
        openssl_311(&cert1),
        openssl_311(&cert3),
        openssl_311(&cert4),
    );
    assert_eq!(served_311(&daned), std::slice::from_ref(&one));
    wait_until(&daned, "the probe sees the current key", || {
        let s = status(&daned);
        s.contains(&format!("presents 3 1 1 {}", one.to_uppercase()))
            && s.contains("matched by a published record")
    });

    // An unplanned renewal (a key never published), files replaced atomically, key first:
    // published at once beside the old one, and flagged as unsafe in the log and the status.
    replace(&d.join("privkey.pem"), &key3.serialize_pem());
    replace(&d.join("cert.pem"), &cert3);
    wait_until(&daned, "the new key published", || {
        served_311(&daned).contains(&three)
    });
    assert!(served_311(&daned).contains(&one), "the old key stays");
    let log = daned.log();
    assert!(
        log.contains("unsafe TLSA rollover") && log.contains("5.7.323"),
        "unsafe path flagged in the log:\n{log}"
    );
    let s = status(&daned);
    assert!(
        s.contains("UNSAFE ROLLOVER") && s.contains("5.7.323 until"),
        "{s}"
    );

    // 2 x TTL later the MTA still presents the old certificate (not reloaded): the old key's
    // record stays, however long that lasts.
    daned.set_clock(t0 + HOLD + 30);
    wait_until(&daned, "a probe after 2 x TTL", || {
        fs::read_to_string(d.join("state/tlsa/example.com.state"))
            .unwrap_or_default()
            .contains(&format!("probe 127.0.0.1:{} {}", mta.port, t0 + HOLD + 30))
    });
    // The probe is kept before the records are looked at again: every later look has seen it.
    let mark = daned.log_mark();
    wait_kept(
        &daned,
        mark,
        &one,
        t0 + HOLD + 30,
        "the MTA to present the new key",
    );
    assert_eq!(served_311(&daned), sorted(vec![one.clone(), three.clone()]));
    assert!(status(&daned).contains("once the probe sees the MTA present the new key"));
    assert!(
        !status(&daned).contains("UNSAFE ROLLOVER"),
        "the unsafe window is over"
    );

    // The MTA is reloaded: the next probe sees the new key, and the old record goes.
    mta.present(&cert3, &key3);
    wait_until(
        &daned,
        "the old key removed once the MTA presents the new one",
        || served_311(&daned) == [three.clone()],
    );

    // The MTA is given a certificate whose key no record matches: what senders see as
    // 5.7.323 is logged and shown.
    mta.present(&cert4, &key4);
    wait_until(&daned, "the unmatched key logged", || {
        daned.log().contains("no published TLSA record matches")
    });
    assert!(daned.log().contains("5.7.323 tlsa-invalid"));
    wait_until(&daned, "the unmatched key shown", || {
        status(&daned).contains("MATCHED BY NO PUBLISHED RECORD")
    });

    // A certificate that does not match its private key (renewal half done) keeps the last
    // good record; the error names the files; fixing the key publishes the new one.
    replace(&d.join("cert.pem"), &cert4);
    wait_until(&daned, "the mismatch logged", || {
        daned.log().contains("does not match the private key")
    });
    assert!(
        daned.log().contains("privkey.pem"),
        "the error names the key file"
    );
    assert_eq!(served_311(&daned), std::slice::from_ref(&three));
    assert!(status(&daned).contains("files unusable"));
    replace(&d.join("privkey.pem"), &key4.serialize_pem());
    wait_until(&daned, "the matching pair published", || {
        served_311(&daned).contains(&four)
    });

    // The MTA already presents the new key (it was reloaded first), but 2 x TTL have not
    // passed since the change: the old record stays until they have.
    let t1 = t0 + HOLD + 30;
    let state = d.join("state/tlsa/example.com.state");
    let probed = || {
        fs::read_to_string(&state)
            .unwrap_or_default()
            .contains(&format!(
                "probe 127.0.0.1:{} {t1} ok 030101{four}",
                mta.port
            ))
    };
    wait_until(&daned, "a probe seeing the new key", probed);
    let mark = daned.log_mark();
    wait_kept(&daned, mark, &three, t1, "2 x TTL + propagation delay");
    assert_eq!(
        served_311(&daned),
        sorted(vec![three.clone(), four.clone()])
    );
    daned.set_clock(t1 + HOLD + 5);
    wait_until(
        &daned,
        "the old key removed once 2 x TTL have passed too",
        || served_311(&daned) == [four.clone()],
    );
}

#[test]
fn issuer_records_broken_files_and_expiring_certificates() {
    for tool in ["openssl", "kdig"] {
        require_tool(tool);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t0 = wall_secs();
    set_clock(d, t0);

    // A CA and a leaf it issued, expiring in 3 days; an impostor CA with the same name.
    let ca_key = new_key();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Test CA");
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let impostor_pem = ca.self_signed(&new_key()).unwrap().pem();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let leaf_key = new_key();
    let mut params = rcgen::CertificateParams::new(vec!["mx1.example.com".into()]).unwrap();
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(3);
    let leaf = params.signed_by(&leaf_key, &issuer).unwrap().pem();
    fs::write(d.join("fullchain.pem"), format!("{leaf}{ca_pem}")).unwrap();
    fs::write(d.join("example.com.zone"), ZONE).unwrap();
    let tail = format!(
        "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\npolicy = \"fast\"\n\n\
         [[zone.tlsa]]\nnames = [\"{NAME}\"]\ncert = \"fullchain.pem\"\nissuer = true\nttl = \"60\"\n\n{POLICY}"
    );
    let daned = Daned::start_in(dir, &tail, "example.com");
    let d = daned.dir.path().to_path_buf();

    // 3 1 1 for the leaf beside 2 1 1 for the CA that issued it.
    let ca_211 = openssl_311(&ca_pem);
    let leaf_311 = openssl_311(&leaf);
    let want = vec![
        ("2".to_string(), ca_211.clone()),
        ("3".to_string(), leaf_311.clone()),
    ];
    assert_eq!(served(&daned), want);

    // A chain whose second certificate has the issuer's name but did not sign the leaf: the
    // last good records stay and the error names the file.
    replace(&d.join("fullchain.pem"), &format!("{leaf}{impostor_pem}"));
    wait_until(&daned, "the impostor refused", || {
        daned.log().contains("no certificate that issued the leaf")
    });
    assert!(daned.log().contains("fullchain.pem"));
    assert_eq!(served(&daned), want);

    // Half written (cut inside the issuer's PEM block), then empty: still the last good
    // records.
    let full = format!("{leaf}{ca_pem}");
    let mark = daned.log_mark();
    replace(
        &d.join("fullchain.pem"),
        &full[..leaf.len() + ca_pem.len() / 2],
    );
    wait_unusable(&daned, mark, "fullchain.pem", "malformed PEM");
    assert_eq!(served(&daned), want, "a partial file changes nothing");
    let none: [String; 0] = [];
    assert_eq!(daned.tlsa_retiring("example.com"), none, "nor retires");
    let mark = daned.log_mark();
    replace(&d.join("fullchain.pem"), "");
    wait_unusable(&daned, mark, "fullchain.pem", "no certificate found");
    assert_eq!(served(&daned), want, "an empty file changes nothing");
    assert_eq!(daned.tlsa_retiring("example.com"), none, "nor retires");
    replace(&d.join("fullchain.pem"), &full);

    // Expiring within cert_expiry_warning (14 days): warned with the date; once the virtual
    // clock passes notAfter: warned as expired (senders report 5.7.322).
    wait_until(&daned, "the expiry warning", || {
        daned.log().contains("certificate expires soon")
    });
    daned.set_clock(t0 + 4 * 86_400);
    wait_until(&daned, "the expired warning", || {
        daned.log().contains("certificate has expired")
    });
    assert!(daned.log().contains("5.7.322"));
    assert_eq!(served(&daned), want);

    // A renewal written slowly in two parts: while the file is half written the old records
    // stay; once complete the new leaf is published beside the old one (retiring).
    let leaf2 = rcgen::CertificateParams::new(vec!["mx1.example.com".into()])
        .unwrap()
        .signed_by(&new_key(), &issuer)
        .unwrap()
        .pem();
    let full2 = format!("{leaf2}{ca_pem}");
    // The first part ends inside the leaf's PEM block.
    let cut = leaf2.len() / 2;
    let mark = daned.log_mark();
    let mut f = fs::File::create(d.join("fullchain.pem")).unwrap();
    f.write_all(&full2.as_bytes()[..cut]).unwrap();
    f.flush().unwrap();
    wait_unusable(&daned, mark, "fullchain.pem", "malformed PEM");
    assert_eq!(served(&daned), want, "a half-written file changes nothing");
    assert_eq!(daned.tlsa_retiring("example.com"), none, "nor retires");
    f.write_all(&full2.as_bytes()[cut..]).unwrap();
    drop(f);
    let leaf2_311 = openssl_311(&leaf2);
    wait_until(&daned, "the completed file published", || {
        served(&daned).contains(&("3".to_string(), leaf2_311.clone()))
    });
    assert!(served(&daned).contains(&("3".to_string(), leaf_311.clone())));
    assert!(served(&daned).contains(&("2".to_string(), ca_211.clone())));

    // A certificate replaced while daned was down is a rollover too: flagged at start.
    let mut daned = daned;
    daned.proc.stop();
    let leaf3 = rcgen::CertificateParams::new(vec!["mx1.example.com".into()])
        .unwrap()
        .signed_by(&new_key(), &issuer)
        .unwrap()
        .pem();
    replace(&d.join("fullchain.pem"), &format!("{leaf3}{ca_pem}"));
    daned.restart("example.com");
    assert!(served(&daned).contains(&("3".to_string(), openssl_311(&leaf3))));
    assert!(
        served(&daned).contains(&("3".to_string(), leaf2_311)),
        "the old key stays"
    );
    assert!(
        daned.log().contains("unsafe TLSA rollover"),
        "a change while down is flagged:\n{}",
        daned.log()
    );
}
