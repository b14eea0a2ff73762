//! A STARTTLS probe (RFC 5321, RFC 3207): connect, read the banner, EHLO, STARTTLS, TLS
//! handshake, QUIT, and return the certificate chain the server presented.
//!
//! The certificate is captured, never trusted: a DANE sender (RFC 7672) authenticates the MX by
//! its TLSA records, not by a CA, and the probe exists to compare the presented key with those
//! records. So the probe accepts every certificate an OpenSSL-based DANE sender accepts for
//! `3 1 1`: X.509 v1 (what `openssl x509 -req` without extensions makes), unknown critical
//! extensions, expired or self-signed certificates. The handshake signatures are still
//! checked, with the key taken from the certificate's DER by x509-parser (not by webpki's
//! end-entity parsing, which refuses all of these) and verified by the `ring` provider's
//! algorithms, so the presented certificate is the one whose key the server holds.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{AlgorithmIdentifier, CertificateDer, ServerName, UnixTime, alg_id};
use rustls::{
    CertificateError, CipherSuite, ClientConfig, DigitallySignedStruct, PeerMisbehaved,
    ProtocolVersion, SignatureScheme,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

//------------ StarttlsSession ---------------------------------------------------------------

/// What one STARTTLS probe saw.
#[derive(Clone, Debug)]
pub struct StarttlsSession {
    /// The certificate chain the server presented, DER, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The 220 greeting, its lines joined with `\n` (reply codes removed).
    pub banner: String,
    /// The EHLO reply lines (reply codes removed): the server's name, then its extensions.
    pub ehlo: Vec<String>,
    /// The negotiated TLS version.
    pub tls_version: ProtocolVersion,
    /// The negotiated cipher suite.
    pub cipher: CipherSuite,
}

impl StarttlsSession {
    /// The leaf certificate (DER), the one whose key TLSA `3 1 1` records must match.
    pub fn leaf(&self) -> Option<&[u8]> {
        self.chain.first().map(Vec::as_slice)
    }
}

//------------ ProbeError --------------------------------------------------------------------

/// Why a STARTTLS probe failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// The TCP connection could not be made.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// Where the probe connected.
        addr: SocketAddr,
        /// The socket error.
        source: std::io::Error,
    },
    /// The whole exchange took longer than the allowed time.
    #[error("no complete STARTTLS exchange within {0:?}")]
    Timeout(Duration),
    /// The server answered something other than what RFC 5321 / RFC 3207 require at this step
    /// (or closed the connection, or sent a malformed reply).
    #[error("SMTP protocol error after {step}: {reply}")]
    Protocol {
        /// The step that got the reply (`greeting`, `EHLO`, `STARTTLS`).
        step: &'static str,
        /// The reply as received, or what was wrong with it.
        reply: String,
    },
    /// The server's EHLO reply does not offer STARTTLS (RFC 3207 section 4).
    #[error("the server does not offer STARTTLS (EHLO: {})", ehlo.join(" | "))]
    NoStarttls {
        /// The EHLO reply lines.
        ehlo: Vec<String>,
    },
    /// The name to send as SNI is not a valid DNS name or IP address.
    #[error("invalid TLS server name {0:?}")]
    ServerName(String),
    /// The EHLO argument is empty or holds spaces or control characters (it would be another
    /// command on the wire).
    #[error("invalid EHLO name {0:?}")]
    Helo(String),
    /// The TLS handshake failed (or the server presented no certificate).
    #[error("TLS handshake failed: {0}")]
    Tls(std::io::Error),
    /// Reading or writing on the connection failed.
    #[error("connection error: {0}")]
    Io(#[from] std::io::Error),
}

//------------ starttls ----------------------------------------------------------------------

/// The most lines one SMTP reply may have before the probe gives up on the server.
const MAX_REPLY_LINES: usize = 100;
/// The longest reply line accepted (RFC 5321 section 4.5.3.1.5 allows 512 octets).
const MAX_LINE: u64 = 4096;

/// Probes the mail server at `addr`: greeting, `EHLO helo`, STARTTLS, TLS handshake with SNI
/// `server_name`, QUIT. The whole exchange is bounded by `timeout`.
pub async fn starttls(
    addr: SocketAddr,
    server_name: &str,
    helo: &str,
    timeout: Duration,
) -> Result<StarttlsSession, ProbeError> {
    let name = ServerName::try_from(server_name.to_owned())
        .map_err(|_| ProbeError::ServerName(server_name.to_owned()))?;
    if helo.is_empty() || helo.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ProbeError::Helo(helo.to_owned()));
    }
    let (session, mut tls) = tokio::time::timeout(timeout, exchange(addr, name, helo))
        .await
        .unwrap_or(Err(ProbeError::Timeout(timeout)))?;
    // QUIT is a courtesy with its own short bound: the chain is what the probe came for, so a
    // server that does not answer it costs no result.
    let _ = tokio::time::timeout(QUIT_TIMEOUT.min(timeout), async {
        let mut tls = BufReader::new(&mut tls);
        if send(&mut tls, "QUIT\r\n").await.is_ok() {
            let _ = read_reply(&mut tls, "QUIT").await;
        }
        let _ = tls.into_inner().shutdown().await;
    })
    .await;
    Ok(session)
}

/// How long the probe waits for the answer to its QUIT.
const QUIT_TIMEOUT: Duration = Duration::from_secs(2);

/// The exchange up to the completed TLS handshake, without the time bound; returns the
/// session and the TLS stream (for the QUIT).
async fn exchange(
    addr: SocketAddr,
    name: ServerName<'static>,
    helo: &str,
) -> Result<(StarttlsSession, tokio_rustls::client::TlsStream<TcpStream>), ProbeError> {
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|source| ProbeError::Connect { addr, source })?;
    let mut conn = BufReader::new(tcp);

    let (code, banner) = read_reply(&mut conn, "greeting").await?;
    if code != 220 {
        return Err(protocol("greeting", code, &banner));
    }
    send(&mut conn, &format!("EHLO {helo}\r\n")).await?;
    let (code, ehlo) = read_reply(&mut conn, "EHLO").await?;
    if code != 250 {
        return Err(protocol("EHLO", code, &ehlo));
    }
    let offers_starttls = ehlo.iter().skip(1).any(|l| {
        l.split_ascii_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("STARTTLS"))
    });
    if !offers_starttls {
        // Leave politely; the answer is already known.
        let _ = send(&mut conn, "QUIT\r\n").await;
        return Err(ProbeError::NoStarttls { ehlo });
    }
    send(&mut conn, "STARTTLS\r\n").await?;
    let (code, reply) = read_reply(&mut conn, "STARTTLS").await?;
    if code != 220 {
        return Err(protocol("STARTTLS", code, &reply));
    }
    // Anything the server sent after its 220 would be read as if it came through TLS: the
    // STARTTLS command injection flaw (CVE-2011-0411 and kin). Refuse it.
    if !conn.buffer().is_empty() {
        return Err(ProbeError::Protocol {
            step: "STARTTLS",
            reply: "data after the 220 reply, before the TLS handshake".into(),
        });
    }
    let tcp = conn.into_inner();

    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config()?));
    let tls = connector
        .connect(name, tcp)
        .await
        .map_err(ProbeError::Tls)?;
    let (_, session) = tls.get_ref();
    let chain: Vec<Vec<u8>> = session
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|c| c.as_ref().to_vec())
        .collect();
    if chain.is_empty() {
        return Err(ProbeError::Tls(std::io::Error::other(
            "the server presented no certificate",
        )));
    }
    let tls_version = session
        .protocol_version()
        .unwrap_or(ProtocolVersion::Unknown(0));
    let cipher = session
        .negotiated_cipher_suite()
        .map_or(CipherSuite::Unknown(0), |c| c.suite());

    let session = StarttlsSession {
        chain,
        banner: banner.join("\n"),
        ehlo,
        tls_version,
        cipher,
    };
    Ok((session, tls))
}

/// A protocol error for an unexpected reply code.
fn protocol(step: &'static str, code: u16, lines: &[String]) -> ProbeError {
    ProbeError::Protocol {
        step,
        reply: format!("{code} {}", lines.join(" | ")),
    }
}

/// Writes one command line.
async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut BufReader<S>,
    line: &str,
) -> Result<(), ProbeError> {
    conn.get_mut().write_all(line.as_bytes()).await?;
    conn.get_mut().flush().await?;
    Ok(())
}

/// Reads one (possibly multi-line, RFC 5321 section 4.2.1) reply: its code and its text lines.
async fn read_reply<S: AsyncRead + Unpin>(
    conn: &mut BufReader<S>,
    step: &'static str,
) -> Result<(u16, Vec<String>), ProbeError> {
    let mut lines = Vec::new();
    let mut code = None;
    for _ in 0..MAX_REPLY_LINES {
        let mut raw = Vec::new();
        let n = (&mut *conn)
            .take(MAX_LINE)
            .read_until(b'\n', &mut raw)
            .await?;
        if n == 0 {
            return Err(ProbeError::Protocol {
                step,
                reply: "connection closed".into(),
            });
        }
        if raw.last() != Some(&b'\n') {
            return Err(ProbeError::Protocol {
                step,
                reply: "reply line too long".into(),
            });
        }
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim_end_matches(['\r', '\n']);
        let bad = || ProbeError::Protocol {
            step,
            reply: line.to_owned(),
        };
        let this: u16 = line.get(..3).and_then(|c| c.parse().ok()).ok_or_else(bad)?;
        if !(200..600).contains(&this) || code.is_some_and(|c| c != this) {
            return Err(bad());
        }
        code = Some(this);
        let text = line.get(4..).unwrap_or("").to_owned();
        match line.as_bytes().get(3) {
            None | Some(b' ') => {
                lines.push(text);
                return Ok((this, lines));
            }
            Some(b'-') => lines.push(text),
            Some(_) => return Err(bad()),
        }
    }
    Err(ProbeError::Protocol {
        step,
        reply: format!("more than {MAX_REPLY_LINES} reply lines"),
    })
}

//------------ CaptureOnly -------------------------------------------------------------------

/// The client configuration: `ring` only, TLS 1.2 and 1.3, any certificate accepted.
fn client_config() -> Result<ClientConfig, ProbeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ProbeError::Tls(std::io::Error::other(e)))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(CaptureOnly { algorithms }))
        .with_no_client_auth();
    Ok(config)
}

/// A verifier that accepts whatever chain the server presents (the probe reads it afterwards
/// from the connection) while still verifying the handshake signatures made with its key.
#[derive(Debug)]
struct CaptureOnly {
    /// The signature algorithms of the `ring` provider.
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for CaptureOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_handshake_signature(message, cert, dss, &self.algorithms, Tls::V12)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_handshake_signature(message, cert, dss, &self.algorithms, Tls::V13)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let mut schemes = self.algorithms.supported_schemes();
        schemes.extend(RSA_PSS_PSS.iter().map(|(pss, _)| *pss));
        schemes
    }
}

//------------ Handshake signatures ------------------------------------------------------

/// The TLS version a handshake signature is made in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tls {
    /// TLS 1.2 (RFC 5246): a scheme names the hash, the key names the curve.
    V12,
    /// TLS 1.3 (RFC 8446 section 4.2.3): a scheme names both, and PKCS#1 v1.5 is out.
    V13,
}

/// RSASSA-PSS with an id-RSASSA-PSS key (`rsa_pss_pss_sha256` to `_sha512`, RFC 8446 section
/// 4.2.3), which rustls has no names for, and the `rsa_pss_rsae` scheme of the same hash
/// whose verification algorithm checks it (the signature is the same; only the key's
/// algorithm identifier differs).
const RSA_PSS_PSS: [(SignatureScheme, SignatureScheme); 3] = [
    (
        SignatureScheme::Unknown(0x0809),
        SignatureScheme::RSA_PSS_SHA256,
    ),
    (
        SignatureScheme::Unknown(0x080a),
        SignatureScheme::RSA_PSS_SHA384,
    ),
    (
        SignatureScheme::Unknown(0x080b),
        SignatureScheme::RSA_PSS_SHA512,
    ),
];

/// Verifies a handshake signature (CertificateVerify in TLS 1.3, ServerKeyExchange in TLS
/// 1.2) with the public key of the presented certificate `cert`, read from its DER by
/// x509-parser: any X.509 version, any extensions, any validity period.
fn verify_handshake_signature(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
    tls: Tls,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    let key = LeafKey::of(cert.as_ref())?;
    let (scheme, pss_key_scheme) = match RSA_PSS_PSS.iter().find(|(pss, _)| *pss == dss.scheme) {
        Some((_, rsae)) => (*rsae, true),
        None => (dss.scheme, false),
    };
    let unadvertised = || PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme.into();
    if tls == Tls::V13 && !allowed_in_tls13(scheme) {
        return Err(unadvertised());
    }
    let Some((_, candidates)) = algorithms.mapping.iter().find(|(s, _)| *s == scheme) else {
        return Err(unadvertised());
    };
    // TLS 1.3 binds the curve to the scheme: only its first algorithm counts.
    let candidates = match tls {
        Tls::V13 => &candidates[..candidates.len().min(1)],
        Tls::V12 => candidates,
    };
    // rsa_pss_pss_* needs an id-RSASSA-PSS key and every other RSA scheme an rsaEncryption
    // key (RFC 8446 section 4.2.3).
    let algorithm = candidates
        .iter()
        .find(|a| a.public_key_alg_id() == key.algorithm && pss_key_scheme == key.pss_only);
    let Some(algorithm) = algorithm else {
        return Err(
            CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext {
                signature_algorithm_id: u16::from(dss.scheme).to_be_bytes().to_vec(),
                public_key_algorithm_id: key.algorithm.as_ref().to_vec(),
            }
            .into(),
        );
    };
    algorithm
        .verify_signature(&key.bits, message, dss.signature())
        .map(|()| HandshakeSignatureValid::assertion())
        .map_err(|_| CertificateError::BadSignature.into())
}

/// Whether TLS 1.3 allows a scheme (RFC 8446 section 4.2.3): not PKCS#1 v1.5, not SHA-1.
fn allowed_in_tls13(scheme: SignatureScheme) -> bool {
    !matches!(
        scheme,
        SignatureScheme::RSA_PKCS1_SHA1
            | SignatureScheme::RSA_PKCS1_SHA256
            | SignatureScheme::RSA_PKCS1_SHA384
            | SignatureScheme::RSA_PKCS1_SHA512
            | SignatureScheme::ECDSA_SHA1_Legacy
    )
}

/// The public key of a certificate, as the provider's verification algorithms take it.
struct LeafKey {
    /// The key's algorithm identifier as the algorithms name it (an id-RSASSA-PSS key is
    /// given as rsaEncryption: both hold an RSAPublicKey).
    algorithm: AlgorithmIdentifier,
    /// Whether the key is id-RSASSA-PSS, usable for RSASSA-PSS only (RFC 4055 section 1.2).
    pss_only: bool,
    /// The subjectPublicKey bits.
    bits: Vec<u8>,
}

impl LeafKey {
    /// Reads the key of a DER certificate.
    fn of(der: &[u8]) -> Result<Self, rustls::Error> {
        use x509_parser::oid_registry as oid;
        use x509_parser::prelude::{FromDer, X509Certificate};

        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|_| rustls::Error::from(CertificateError::BadEncoding))?;
        let spki = cert.public_key();
        let alg = &spki.algorithm.algorithm;
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        let (algorithm, pss_only) = if *alg == oid::OID_PKCS1_RSAENCRYPTION {
            (alg_id::RSA_ENCRYPTION, false)
        } else if *alg == oid::OID_PKCS1_RSASSAPSS {
            (alg_id::RSA_ENCRYPTION, true)
        } else if *alg == oid::OID_SIG_ED25519 {
            (alg_id::ED25519, false)
        } else if *alg == oid::OID_KEY_TYPE_EC_PUBLIC_KEY {
            match curve {
                Some(c) if c == oid::OID_EC_P256 => (alg_id::ECDSA_P256, false),
                Some(c) if c == oid::OID_NIST_EC_P384 => (alg_id::ECDSA_P384, false),
                Some(c) if c == oid::OID_NIST_EC_P521 => (alg_id::ECDSA_P521, false),
                _ => return Err(unsupported_key(spki.raw)),
            }
        } else {
            return Err(unsupported_key(spki.raw));
        };
        Ok(Self {
            algorithm,
            pss_only,
            bits: spki.subject_public_key.data.to_vec(),
        })
    }
}

/// The error for a key no verification algorithm takes.
fn unsupported_key(spki: &[u8]) -> rustls::Error {
    CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext {
        signature_algorithm_id: Vec::new(),
        public_key_algorithm_id: spki.to_vec(),
    }
    .into()
}

/// Entry points for the fuzz targets ([`crate::fuzzing`]): what a hostile server's bytes
/// reach before any TLS, and the key taken from the certificate it presents.
#[doc(hidden)]
pub mod fuzzing {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use tokio::io::BufReader;

    use super::{LeafKey, read_reply};

    /// Reads `data` as the server's side of greeting, EHLO and STARTTLS, the way the probe
    /// does; returns the replies read (code and lines) and the error that ended the reading.
    pub fn transcript(data: &[u8]) -> (Vec<(u16, Vec<String>)>, Option<String>) {
        let mut conn = BufReader::new(data);
        let mut replies = Vec::new();
        for step in ["greeting", "EHLO", "STARTTLS"] {
            // A byte slice is always ready: the future completes on its first poll.
            let mut future = pin!(read_reply(&mut conn, step));
            let Poll::Ready(reply) = future
                .as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
            else {
                return (replies, Some("pending".into()));
            };
            match reply {
                Ok(reply) => replies.push(reply),
                Err(e) => return (replies, Some(e.to_string())),
            }
        }
        let rest = (!conn.buffer().is_empty()).then(|| "data after the 220 reply".to_string());
        (replies, rest)
    }

    /// Whether the probe can take a handshake key from the DER certificate `der`.
    pub fn leaf_key(der: &[u8]) -> bool {
        LeafKey::of(der).is_ok()
    }
}

#[cfg(test)]
mod accepts;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod hostile;
