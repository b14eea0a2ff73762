//! Tests of `client`.

use super::*;
use rustls::ServerConfig;
use rustls::pki_types::PrivateKeyDer;
use tokio::net::TcpListener;

/// A self-signed certificate for `mx.test` and its key.
fn cert() -> (Vec<u8>, Vec<u8>) {
    let ck = rcgen::generate_simple_self_signed(vec!["mx.test".to_owned()]).unwrap();
    (ck.cert.der().to_vec(), ck.signing_key.serialize_der())
}

/// A one-connection SMTP responder on 127.0.0.1: a two-line banner, an EHLO reply that
/// offers STARTTLS when `offer` is set, then TLS with `cert`. Returns its address.
async fn responder(offer: bool, cert: (Vec<u8>, Vec<u8>)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut conn = BufReader::new(tcp);
        let mut line = String::new();
        conn.get_mut()
            .write_all(b"220-mx.test ESMTP test\r\n220 ready\r\n")
            .await
            .unwrap();
        conn.read_line(&mut line).await.unwrap();
        assert!(line.starts_with("EHLO probe.test"), "{line}");
        let ehlo: &[u8] = if offer {
            b"250-mx.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
        } else {
            b"250-mx.test\r\n250 PIPELINING\r\n"
        };
        conn.get_mut().write_all(ehlo).await.unwrap();
        line.clear();
        conn.read_line(&mut line).await.unwrap();
        if !offer {
            assert_eq!(line, "QUIT\r\n");
            return;
        }
        assert_eq!(line, "STARTTLS\r\n");
        conn.get_mut().write_all(b"220 go ahead\r\n").await.unwrap();
        let config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(
                    vec![CertificateDer::from(cert.0)],
                    PrivateKeyDer::Pkcs8(cert.1.into()),
                )
                .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let mut tls = acceptor.accept(conn.into_inner()).await.unwrap();
        let mut buf = [0u8; 6];
        tls.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"QUIT\r\n");
        tls.write_all(b"221 bye\r\n").await.unwrap();
        let _ = tls.shutdown().await;
    });
    addr
}

#[tokio::test]
async fn the_probe_captures_the_chain_the_server_presents() {
    let c = cert();
    let addr = responder(true, c.clone()).await;
    let s = starttls(addr, "mx.test", "probe.test", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(s.chain, vec![c.0.clone()]);
    assert_eq!(s.leaf(), Some(c.0.as_slice()));
    assert_eq!(s.banner, "mx.test ESMTP test\nready");
    assert_eq!(s.ehlo, ["mx.test", "PIPELINING", "STARTTLS", "8BITMIME"]);
    assert_eq!(s.tls_version, ProtocolVersion::TLSv1_3);
    assert_ne!(s.cipher, CipherSuite::Unknown(0));
}

#[tokio::test]
async fn a_server_silent_after_the_handshake_still_gives_the_chain() {
    let c = cert();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let der = c.clone();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut conn = BufReader::new(tcp);
        let mut line = String::new();
        conn.get_mut().write_all(b"220 mx.test\r\n").await.unwrap();
        conn.read_line(&mut line).await.unwrap();
        conn.get_mut()
            .write_all(b"250-mx.test\r\n250 STARTTLS\r\n")
            .await
            .unwrap();
        conn.read_line(&mut line).await.unwrap();
        conn.get_mut().write_all(b"220 go\r\n").await.unwrap();
        let config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(
                    vec![CertificateDer::from(der.0)],
                    PrivateKeyDer::Pkcs8(der.1.into()),
                )
                .unwrap();
        let tls = tokio_rustls::TlsAcceptor::from(Arc::new(config))
            .accept(conn.into_inner())
            .await
            .unwrap();
        // Never answers QUIT; holds the connection open.
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(tls);
    });
    let started = std::time::Instant::now();
    let s = starttls(addr, "mx.test", "probe.test", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(s.chain, vec![c.0]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    server.abort();
}

#[tokio::test]
async fn a_server_without_starttls_is_a_typed_error() {
    let addr = responder(false, cert()).await;
    let err = starttls(addr, "mx.test", "probe.test", Duration::from_secs(10))
        .await
        .unwrap_err();
    match err {
        ProbeError::NoStarttls { ehlo } => assert_eq!(ehlo, ["mx.test", "PIPELINING"]),
        other => panic!("expected NoStarttls, got {other}"),
    }
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move { listener.accept().await });
    let err = starttls(addr, "mx.test", "probe.test", Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, ProbeError::Timeout(_)), "{err}");
    hold.abort();
}

#[tokio::test]
async fn an_ehlo_name_with_a_line_break_is_refused_before_connecting() {
    let addr = "127.0.0.1:9".parse().unwrap();
    let err = starttls(addr, "mx.test", "a\r\nRCPT", Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(err, ProbeError::Helo(_)), "{err}");
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = starttls(addr, "mx.test", "probe.test", Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(matches!(err, ProbeError::Connect { .. }), "{err}");
}

#[tokio::test]
async fn a_refusing_greeting_is_a_protocol_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        tcp.write_all(b"554 no service\r\n").await.unwrap();
    });
    let err = starttls(addr, "mx.test", "probe.test", Duration::from_secs(5))
        .await
        .unwrap_err();
    match err {
        ProbeError::Protocol { step, reply } => {
            assert_eq!(step, "greeting");
            assert_eq!(reply, "554 no service");
        }
        other => panic!("expected Protocol, got {other}"),
    }
}
