//! The probe accepts every certificate an OpenSSL-based DANE sender accepts for `3 1 1`, and
//! still refuses a server that does not hold the key of the certificate it presents.
//!
//! Each case runs the whole probe ([`crate::dane::probe::probe`]) against an in-test STARTTLS
//! responder (rustls), and checks the reported `3 1 1` digest against OpenSSL's:
//! `openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum`. A missing
//! openssl fails the test.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use rustls::pki_types::PrivateKeyDer;
use rustls::sign::{CertifiedKey, Signer, SigningKey, SingleCertAndKey};
use rustls::{ServerConfig, SignatureAlgorithm, SupportedProtocolVersion};
use tokio::net::TcpListener;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::*;
use crate::dane::probe;

//------------ Responder ---------------------------------------------------------------------

/// TLS 1.3 and 1.2, as a default server offers them.
const BOTH: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];
/// TLS 1.2 only.
const TLS12: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];
/// TLS 1.3 only.
const TLS13: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];

/// A one-connection STARTTLS responder on 127.0.0.1 presenting `chain` and signing with
/// `key` (which need not be the chain's: a server without the private key), in `versions`.
async fn responder(
    chain: Vec<Vec<u8>>,
    key: Arc<dyn SigningKey>,
    versions: &'static [&'static SupportedProtocolVersion],
) -> SocketAddr {
    let chain = chain.into_iter().map(CertificateDer::from).collect();
    // CertifiedKey::new checks nothing: `with_single_cert` would parse the leaf with webpki,
    // which refuses the very certificates these tests are about.
    let certified = CertifiedKey::new(chain, key);
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut conn = BufReader::new(tcp);
        let mut line = String::new();
        conn.get_mut().write_all(b"220 mx.test ESMTP\r\n").await?;
        conn.read_line(&mut line).await?;
        conn.get_mut()
            .write_all(b"250-mx.test\r\n250 STARTTLS\r\n")
            .await?;
        conn.read_line(&mut line).await?;
        conn.get_mut().write_all(b"220 go ahead\r\n").await?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let mut tls = acceptor.accept(conn.into_inner()).await?;
        let mut buf = [0u8; 6];
        tls.read_exact(&mut buf).await?;
        tls.write_all(b"221 bye\r\n").await?;
        tls.shutdown().await
    });
    addr
}

/// The signing key of a PKCS#8 DER private key, as the ring provider loads it.
fn signing_key(pkcs8: Vec<u8>) -> Arc<dyn SigningKey> {
    rustls::crypto::ring::default_provider()
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(pkcs8.into()))
        .unwrap()
}

/// Probes `addr` as the daemon does and returns the `3 1 1` digest of the key it reports, in
/// lowercase hex.
async fn probed_digest(addr: SocketAddr) -> Result<String, String> {
    let presented = probe::probe(&addr.to_string(), "probe.test").await?;
    Ok(hex(&presented.leaf_key()[3..]))
}

//------------ OpenSSL -----------------------------------------------------------------------

/// Runs `openssl` with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs (package 'openssl')");
    assert!(status.success(), "openssl {args:?} failed");
}

/// OpenSSL's `3 1 1` digest of a PEM or DER certificate, lowercase hex.
fn openssl_spki_sha256(cert: &[u8]) -> String {
    let mut child = Command::new("sh")
        .args([
            "-c",
            "openssl x509 -inform DER -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh runs");
    child.stdin.take().unwrap().write_all(cert).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().next().unwrap().to_string()
}

/// The DER of the first PEM block of a file.
fn pem_file(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    pem::parse(text).unwrap().into_contents()
}

/// Lowercase hex.
fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// An RSA key and an X.509 v1 certificate for it, made as operators make them without a
/// CA: `openssl req -new` and `openssl x509 -req` with no extensions. (DER certificate,
/// PKCS#8 DER key.)
fn openssl_v1_certificate(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-subj",
            "/CN=mx.test",
            "-out",
            "req.csr",
        ],
    );
    openssl(
        dir,
        &[
            "x509", "-req", "-in", "req.csr", "-signkey", "key.pem", "-days", "30", "-out",
            "cert.pem",
        ],
    );
    (
        pem_file(&dir.join("cert.pem")),
        pem_file(&dir.join("key.pem")),
    )
}

//------------ Cases -------------------------------------------------------------------------

#[tokio::test]
async fn an_x509_v1_certificate_made_by_openssl_is_probed_and_its_digest_is_openssls() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_v1_certificate(dir.path());
    let (_, parsed) = X509Certificate::from_der(&cert).unwrap();
    assert_eq!(parsed.version(), x509_parser::x509::X509Version::V1);
    let want = openssl_spki_sha256(&cert);
    // TLS 1.3 (RSASSA-PSS with the rsaEncryption key), then TLS 1.2 (ECDHE-RSA).
    for versions in [BOTH, TLS12] {
        let addr = responder(vec![cert.clone()], signing_key(key.clone()), versions).await;
        assert_eq!(probed_digest(addr).await, Ok(want.clone()), "{versions:?}");
    }
}

#[tokio::test]
async fn a_certificate_with_an_unknown_critical_extension_is_probed() {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["mx.test".to_string()]).unwrap();
    // 1.3.6.1.4.1.32473 is the enterprise number reserved for documentation (RFC 5612).
    let mut ext =
        rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 32473, 1], vec![5, 0]);
    ext.set_criticality(true);
    params.custom_extensions.push(ext);
    let cert = params.self_signed(&key).unwrap().der().to_vec();
    let (_, parsed) = X509Certificate::from_der(&cert).unwrap();
    assert!(
        parsed
            .extensions()
            .iter()
            .any(|e| e.critical && e.oid.to_id_string() == "1.3.6.1.4.1.32473.1")
    );
    let addr = responder(vec![cert.clone()], signing_key(key.serialize_der()), BOTH).await;
    assert_eq!(probed_digest(addr).await, Ok(openssl_spki_sha256(&cert)));
}

#[tokio::test]
async fn an_expired_certificate_is_probed_and_the_expiry_is_left_to_the_matcher() {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["mx.test".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2019, 1, 1);
    params.not_after = rcgen::date_time_ymd(2020, 1, 1);
    let cert = params.self_signed(&key).unwrap().der().to_vec();
    let addr = responder(vec![cert.clone()], signing_key(key.serialize_der()), BOTH).await;
    let presented = probe::probe(&addr.to_string(), "probe.test").await.unwrap();
    assert_eq!(hex(&presented.leaf_key()[3..]), openssl_spki_sha256(&cert));
    // DANE-EE ignores expiry (RFC 7672 section 3.1.1); the doctor warns about it.
    let now = 1_800_000_000;
    let v = presented.verify(&[presented.leaf_key()], "_25._tcp.mx.test", now);
    assert!(v.is_match());
    let report = crate::doctor::tlsa_match::check(
        &[presented.leaf_key()],
        presented.chain(),
        "mx.test",
        now as i64,
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("expired at 2020-01-01")),
        "{report:?}"
    );
}

#[tokio::test]
async fn an_rsa_key_signing_with_pss_in_tls_1_2_is_probed() {
    // rustls signs with RSASSA-PSS whenever the client offers it, in TLS 1.2 as in 1.3.
    let dir = tempfile::tempdir().unwrap();
    openssl(
        dir.path(),
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:3072",
            "-nodes",
            "-keyout",
            "key.pem",
            "-subj",
            "/CN=mx.test",
            "-days",
            "30",
            "-out",
            "cert.pem",
        ],
    );
    let cert = pem_file(&dir.path().join("cert.pem"));
    let key = pem_file(&dir.path().join("key.pem"));
    let addr = responder(vec![cert.clone()], signing_key(key), TLS12).await;
    assert_eq!(probed_digest(addr).await, Ok(openssl_spki_sha256(&cert)));
}

/// An id-RSASSA-PSS key (RFC 4055) signing CertificateVerify with `rsa_pss_pss_sha256`
/// (RFC 8446 section 4.2.3): ring signs, rustls has no such key type.
#[derive(Debug)]
struct PssOnlyKey(Arc<ring::signature::RsaKeyPair>);

impl SigningKey for PssOnlyKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let scheme = SignatureScheme::Unknown(0x0809);
        offered
            .contains(&scheme)
            .then(|| Box::new(PssOnlySigner(Arc::clone(&self.0))) as Box<dyn Signer>)
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RSA
    }
}

/// The signer of [`PssOnlyKey`].
#[derive(Debug)]
struct PssOnlySigner(Arc<ring::signature::RsaKeyPair>);

impl Signer for PssOnlySigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        let mut signature = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(
                &ring::signature::RSA_PSS_SHA256,
                &ring::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| rustls::Error::EncryptError)?;
        Ok(signature)
    }

    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::Unknown(0x0809)
    }
}

#[tokio::test]
async fn an_id_rsassa_pss_key_signing_with_rsa_pss_pss_in_tls_1_3_is_probed() {
    let dir = tempfile::tempdir().unwrap();
    openssl(
        dir.path(),
        &[
            "genpkey",
            "-algorithm",
            "RSA-PSS",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "key.pem",
        ],
    );
    openssl(
        dir.path(),
        &[
            "req",
            "-x509",
            "-key",
            "key.pem",
            "-subj",
            "/CN=mx.test",
            "-days",
            "30",
            "-out",
            "cert.pem",
        ],
    );
    // The RSAPrivateKey inside, which ring reads.
    openssl(
        dir.path(),
        &[
            "rsa",
            "-in",
            "key.pem",
            "-traditional",
            "-outform",
            "DER",
            "-out",
            "key.der",
        ],
    );
    let cert = pem_file(&dir.path().join("cert.pem"));
    let (_, parsed) = X509Certificate::from_der(&cert).unwrap();
    assert_eq!(
        parsed.public_key().algorithm.algorithm,
        x509_parser::oid_registry::OID_PKCS1_RSASSAPSS
    );
    let der = std::fs::read(dir.path().join("key.der")).unwrap();
    let key = ring::signature::RsaKeyPair::from_der(&der).unwrap();
    let addr = responder(
        vec![cert.clone()],
        Arc::new(PssOnlyKey(Arc::new(key))),
        TLS13,
    )
    .await;
    assert_eq!(probed_digest(addr).await, Ok(openssl_spki_sha256(&cert)));
}

#[tokio::test]
async fn a_server_without_the_private_key_of_its_certificate_fails_the_handshake() {
    let presented = rcgen::generate_simple_self_signed(vec!["mx.test".to_string()]).unwrap();
    let other = rcgen::KeyPair::generate().unwrap();
    for versions in [BOTH, TLS12] {
        let chain = vec![presented.cert.der().to_vec()];
        let addr = responder(chain, signing_key(other.serialize_der()), versions).await;
        let err = starttls(addr, "mx.test", "probe.test", Duration::from_secs(10))
            .await
            .unwrap_err();
        assert!(matches!(err, ProbeError::Tls(_)), "{err}");
    }
    // Nor does a v1 certificate get a pass: openssl's certificate, another RSA key.
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = openssl_v1_certificate(dir.path());
    openssl(
        dir.path(),
        &["genpkey", "-algorithm", "RSA", "-out", "other.pem"],
    );
    let other = pem_file(&dir.path().join("other.pem"));
    let addr = responder(vec![cert], signing_key(other), BOTH).await;
    let err = starttls(addr, "mx.test", "probe.test", Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("BadSignature"), "{err}");
}

#[tokio::test]
async fn rsa_pss_pss_with_an_rsa_encryption_key_is_refused() {
    // RFC 8446 section 4.2.3: rsa_pss_pss_* belongs to id-RSASSA-PSS keys; OpenSSL refuses
    // it for an rsaEncryption key, and so does the probe, though the signature verifies.
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = openssl_v1_certificate(dir.path());
    openssl(
        dir.path(),
        &[
            "rsa",
            "-in",
            "key.pem",
            "-traditional",
            "-outform",
            "DER",
            "-out",
            "key.der",
        ],
    );
    let der = std::fs::read(dir.path().join("key.der")).unwrap();
    let key = ring::signature::RsaKeyPair::from_der(&der).unwrap();
    let addr = responder(vec![cert], Arc::new(PssOnlyKey(Arc::new(key))), TLS13).await;
    let err = starttls(addr, "mx.test", "probe.test", Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("UnsupportedSignatureAlgorithmForPublicKey"),
        "{err}"
    );
}
