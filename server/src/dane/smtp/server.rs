//! The fixture's SMTP responder (RFC 5321, STARTTLS per RFC 3207): enough of a mail server for
//! a DANE sender to connect, see STARTTLS offered, complete the TLS handshake with the
//! fixture's certificate, and quit. It accepts no mail.
//!
//! What it presents is read per connection from an [`ArcSwap`], so a fault switched while the
//! fixture runs applies to the next connection. Connections are bounded in number, every read
//! in time, and every line in length: a peer can hold at most one slot for a bounded time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

/// Longest command line accepted (RFC 5321 section 4.5.3.1.4: 512 octets with CRLF).
const MAX_LINE: usize = 512;

/// Commands accepted on one connection before it is closed.
const MAX_COMMANDS: usize = 50;

//------------ Behaviour -----------------------------------------------------

/// What the responder does on the next connection.
#[derive(Clone)]
pub struct Behaviour {
    /// The host name in the banner and the EHLO reply.
    pub hostname: String,
    /// Whether EHLO offers STARTTLS (and STARTTLS is accepted).
    pub starttls: bool,
    /// The TLS configuration (certificate chain and key).
    pub tls: Arc<rustls::ServerConfig>,
}

/// Why a TLS configuration could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// rustls refused the certificate or key.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A rustls server configuration presenting `chain` (DER, leaf first) with the leaf's PKCS#8
/// `key`, using the ring provider.
pub fn tls_config(
    chain: &[Vec<u8>],
    key: &[u8],
) -> Result<Arc<rustls::ServerConfig>, TlsConfigError> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let certs: Vec<CertificateDer<'static>> = chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.to_vec()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}

//------------ Responder -----------------------------------------------------

/// Limits of the responder.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections served at once; more are closed at accept.
    pub max_connections: usize,
    /// A connection is closed when no command arrives for this long.
    pub idle_timeout: Duration,
    /// The TLS handshake must finish within this.
    pub handshake_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 64,
            idle_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// Accepts connections on `listener` until the task is dropped, each served by its own task.
pub async fn serve(listener: TcpListener, behaviour: Arc<ArcSwap<Behaviour>>, limits: Limits) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "SMTP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::debug!(%peer, "SMTP connection limit reached, closing");
            continue;
        };
        let now = behaviour.load_full();
        tokio::spawn(async move {
            if let Err(e) = session(stream, peer, &now, limits).await {
                tracing::debug!(%peer, error = %e, "SMTP session ended");
            }
            drop(permit);
        });
    }
}

/// Why a session ended early.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    /// The socket failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The peer was silent too long.
    #[error("timed out")]
    Timeout,
    /// The peer sent a line over [`MAX_LINE`] or too many commands.
    #[error("line too long or too many commands")]
    Abuse,
}

/// One SMTP session: plain text until STARTTLS, then the same dialogue inside TLS.
async fn session(
    stream: TcpStream,
    peer: SocketAddr,
    behaviour: &Behaviour,
    limits: Limits,
) -> Result<(), SessionError> {
    let mut plain = BufReader::new(stream);
    let banner = format!("220 {} ESMTP daned fixture\r\n", behaviour.hostname);
    plain.get_mut().write_all(banner.as_bytes()).await?;
    match dialogue(&mut plain, behaviour, limits, false).await? {
        Next::Quit => Ok(()),
        Next::StartTls => {
            // Whatever the client pipelined after STARTTLS is dropped with the buffer: it
            // must not be read as if it came through TLS (CVE-2011-0411).
            let acceptor = TlsAcceptor::from(Arc::clone(&behaviour.tls));
            let tls = tokio::time::timeout(
                limits.handshake_timeout,
                acceptor.accept(plain.into_inner()),
            )
            .await
            .map_err(|_| SessionError::Timeout)??;
            tracing::debug!(%peer, "TLS established");
            let mut tls = BufReader::new(tls);
            dialogue(&mut tls, behaviour, limits, true).await?;
            let _ = tls.get_mut().shutdown().await;
            Ok(())
        }
    }
}

/// How a dialogue ended.
enum Next {
    /// QUIT, or the peer went away.
    Quit,
    /// STARTTLS was accepted: the handshake follows.
    StartTls,
}

/// Reads commands and answers them until QUIT, STARTTLS (outside TLS) or a limit.
async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
    behaviour: &Behaviour,
    limits: Limits,
    in_tls: bool,
) -> Result<Next, SessionError> {
    let mut line = Vec::with_capacity(MAX_LINE);
    for _ in 0..MAX_COMMANDS {
        line.clear();
        let read = tokio::time::timeout(
            limits.idle_timeout,
            (&mut *stream)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut line),
        )
        .await
        .map_err(|_| SessionError::Timeout)??;
        if read == 0 {
            return Ok(Next::Quit);
        }
        if line.len() > MAX_LINE || !line.ends_with(b"\n") {
            stream
                .get_mut()
                .write_all(b"500 5.5.2 line too long\r\n")
                .await?;
            return Err(SessionError::Abuse);
        }
        let text = String::from_utf8_lossy(&line);
        let verb = text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let offer_tls = behaviour.starttls && !in_tls;
        let reply = match verb.as_str() {
            "EHLO" => {
                let mut r = format!("250-{}\r\n", behaviour.hostname);
                if offer_tls {
                    r.push_str("250-STARTTLS\r\n");
                }
                r.push_str("250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
                r
            }
            "HELO" => format!("250 {}\r\n", behaviour.hostname),
            "STARTTLS" if offer_tls => {
                stream
                    .get_mut()
                    .write_all(b"220 2.0.0 Ready to start TLS\r\n")
                    .await?;
                return Ok(Next::StartTls);
            }
            "STARTTLS" if in_tls => "503 5.5.1 TLS already active\r\n".to_string(),
            "STARTTLS" => "502 5.5.1 STARTTLS not offered\r\n".to_string(),
            "NOOP" | "RSET" => "250 2.0.0 OK\r\n".to_string(),
            "QUIT" => {
                stream.get_mut().write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(Next::Quit);
            }
            "MAIL" | "RCPT" | "DATA" => {
                "550 5.7.1 this DANE test fixture accepts no mail\r\n".to_string()
            }
            _ => "502 5.5.2 command not implemented\r\n".to_string(),
        };
        stream.get_mut().write_all(reply.as_bytes()).await?;
    }
    stream
        .get_mut()
        .write_all(b"421 4.7.0 too many commands\r\n")
        .await?;
    Err(SessionError::Abuse)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dane::smtp::client::{ProbeError, starttls};
    use crate::fixture::certs;

    /// A responder on a free loopback port; returns its address.
    async fn responder(starttls: bool, chain: &certs::Chain) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let behaviour = Behaviour {
            hostname: "mx.example.test".into(),
            starttls,
            tls: tls_config(&chain.certs, &chain.key).unwrap(),
        };
        let limits = Limits {
            idle_timeout: Duration::from_secs(2),
            ..Limits::default()
        };
        tokio::spawn(serve(
            listener,
            Arc::new(ArcSwap::from_pointee(behaviour)),
            limits,
        ));
        addr
    }

    fn chain() -> certs::Chain {
        let dir = tempfile::tempdir().unwrap();
        certs::make("mx.example.test", 1_800_000_000, dir.path())
            .unwrap()
            .current
    }

    #[tokio::test]
    async fn starttls_presents_the_configured_chain() {
        let chain = chain();
        let addr = responder(true, &chain).await;
        let session = starttls(
            addr,
            "mx.example.test",
            "client.test",
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(session.chain, chain.certs);
        assert!(session.banner.contains("mx.example.test"));
    }

    #[tokio::test]
    async fn without_starttls_ehlo_does_not_offer_it() {
        let addr = responder(false, &chain()).await;
        let result = starttls(
            addr,
            "mx.example.test",
            "client.test",
            Duration::from_secs(5),
        )
        .await;
        assert!(
            matches!(result, Err(ProbeError::NoStarttls { .. })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn an_overlong_line_is_refused_and_the_connection_closed() {
        use tokio::io::AsyncReadExt;
        let addr = responder(true, &chain()).await;
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(&[b'A'; 2000]).await.unwrap();
        let mut all = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut all)).await;
        assert!(read.is_ok(), "the connection stayed open");
        let text = String::from_utf8_lossy(&all);
        assert!(text.starts_with("220 "), "{text}");
        assert!(text.contains("500 5.5.2 line too long"), "{text}");
    }
}
