//! Fetching an MTA-STS policy the way a sender does (RFC 8461 section 3.3): HTTPS GET of
//! `/.well-known/mta-sts.txt` at the policy host, the certificate verified (rustls, webpki)
//! against the system's roots or a configured CA file, no redirects, a size cap and a
//! deadline. The daemon asks this before it publishes a new id (`probe`), so that senders that
//! see the new id always fetch the new policy.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The largest policy read (RFC 8461 section 3.3 lets senders stop at 64 KiB).
pub const MAX_POLICY_BYTES: usize = 64 * 1024;

/// How long one fetch may take in all.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The system's CA bundle (Debian's ca-certificates).
const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Where a policy is fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsEndpoint {
    /// `https://HOST[:PORT]` as configured.
    pub url: String,
    /// The address to connect to instead of resolving HOST (`probe_addr`).
    pub addr: Option<String>,
    /// A CA file whose certificates are the only roots trusted (`probe_ca`).
    pub ca: Option<PathBuf>,
}

/// Why a policy could not be fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is not `https://HOST[:PORT]`.
    #[error("{0:?}: want https://HOST[:PORT]")]
    Url(String),
    /// The CA file cannot be used.
    #[error("{path}: {detail}")]
    Ca {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// No connection.
    #[error("cannot connect to {addr}: {error}")]
    Connect {
        /// Where.
        addr: String,
        /// Why.
        error: std::io::Error,
    },
    /// The TLS handshake failed (e.g. a certificate that does not verify) or the connection
    /// broke.
    #[error("TLS: {0}")]
    Tls(std::io::Error),
    /// The server answered something other than 200.
    #[error("HTTP status {0:?} (RFC 8461 section 3.3 wants 200, no redirects)")]
    Status(String),
    /// The answer is larger than [`MAX_POLICY_BYTES`] or has no body.
    #[error("malformed or oversized HTTP answer")]
    Answer,
    /// The deadline passed.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

impl StsEndpoint {
    /// The host and port of the URL.
    pub fn host_port(&self) -> Result<(String, u16), FetchError> {
        let bad = || FetchError::Url(self.url.clone());
        let rest = self.url.strip_prefix("https://").ok_or_else(bad)?;
        let authority = rest.trim_end_matches('/');
        if authority.contains('/') || authority.is_empty() {
            return Err(bad());
        }
        match authority.rsplit_once(':') {
            Some((host, port)) => Ok((host.to_string(), port.parse().map_err(|_| bad())?)),
            None => Ok((authority.to_string(), 443)),
        }
    }

    /// Fetches the policy: its bytes as served.
    pub async fn fetch(&self) -> Result<Vec<u8>, FetchError> {
        tokio::time::timeout(FETCH_TIMEOUT, self.fetch_unbounded())
            .await
            .map_err(|_| FetchError::Timeout(FETCH_TIMEOUT))?
    }

    /// [`StsEndpoint::fetch`] without its deadline.
    async fn fetch_unbounded(&self) -> Result<Vec<u8>, FetchError> {
        let (host, port) = self.host_port()?;
        let config = client_config(self.ca.as_deref())?;
        let name =
            ServerName::try_from(host.clone()).map_err(|_| FetchError::Url(self.url.clone()))?;
        let addr = self
            .addr
            .clone()
            .unwrap_or_else(|| format!("{host}:{port}"));
        let tcp = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|error| FetchError::Connect {
                addr: addr.clone(),
                error,
            })?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let mut tls = connector
            .connect(name, tcp)
            .await
            .map_err(FetchError::Tls)?;
        // HTTP/1.0: the body ends with the connection, never chunked.
        let request = format!(
            "GET /.well-known/mta-sts.txt HTTP/1.0\r\nHost: {host}\r\nUser-Agent: daned\r\n\r\n"
        );
        tls.write_all(request.as_bytes())
            .await
            .map_err(FetchError::Tls)?;
        let mut answer = Vec::new();
        let limit = (MAX_POLICY_BYTES + 16 * 1024) as u64;
        let mut reader = tls.take(limit + 1);
        // A server that closes without close_notify still sent its whole body with HTTP/1.0.
        if let Err(e) = reader.read_to_end(&mut answer).await {
            if e.kind() != std::io::ErrorKind::UnexpectedEof || answer.is_empty() {
                return Err(FetchError::Tls(e));
            }
        }
        if answer.len() as u64 > limit {
            return Err(FetchError::Answer);
        }
        body(&answer)
    }
}

/// The body of an HTTP answer whose status is 200.
fn body(answer: &[u8]) -> Result<Vec<u8>, FetchError> {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or(FetchError::Answer)?;
    let head = String::from_utf8_lossy(&answer[..end]);
    let status = head.lines().next().unwrap_or_default();
    let code = status.split_whitespace().nth(1).unwrap_or_default();
    if code != "200" {
        return Err(FetchError::Status(status.to_string()));
    }
    let body = &answer[end + 4..];
    if body.len() > MAX_POLICY_BYTES {
        return Err(FetchError::Answer);
    }
    Ok(body.to_vec())
}

/// A client that verifies the server's certificate against `ca`'s certificates, or the
/// system's roots.
fn client_config(ca: Option<&Path>) -> Result<rustls::ClientConfig, FetchError> {
    let path = ca.unwrap_or(Path::new(SYSTEM_ROOTS));
    let bad = |detail: String| FetchError::Ca {
        path: path.to_path_buf(),
        detail,
    };
    let bytes = crate::dane::file::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = crate::dane::derive::certificates(&bytes).map_err(|e| bad(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    let (added, _ignored) =
        roots.add_parsable_certificates(certs.into_iter().map(CertificateDer::from));
    if added == 0 {
        return Err(bad("no usable CA certificate".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| FetchError::Tls(std::io::Error::other(e)))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_gives_host_and_port() {
        let e = |url: &str| StsEndpoint {
            url: url.into(),
            addr: None,
            ca: None,
        };
        assert_eq!(
            e("https://mta-sts.example.com").host_port().unwrap(),
            ("mta-sts.example.com".into(), 443)
        );
        assert_eq!(
            e("https://mta-sts.example.com:8443/").host_port().unwrap(),
            ("mta-sts.example.com".into(), 8443)
        );
        for bad in [
            "http://a.example",
            "https://",
            "https://a.example/x",
            "https://a:b",
        ] {
            assert!(e(bad).host_port().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_a_200_answer_gives_its_body() {
        assert_eq!(
            body(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nversion: STSv1\r\n").unwrap(),
            b"version: STSv1\r\n"
        );
        assert!(matches!(
            body(b"HTTP/1.1 301 Moved\r\nLocation: x\r\n\r\n"),
            Err(FetchError::Status(_))
        ));
        assert!(matches!(
            body(b"HTTP/1.1 200 OK\r\n"),
            Err(FetchError::Answer)
        ));
    }
}
