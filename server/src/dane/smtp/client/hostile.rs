//! Hostile SMTP servers (issue 16): each probe ends within its timeout with a clear error,
//! and reads at most a bounded amount whatever the server sends. The servers are written
//! here, on loopback, and stop writing after a bounded amount or when the probe hangs up.

use std::time::Instant;

use tokio::net::TcpListener;

use super::*;

/// A one-connection server that runs `script` on the accepted stream.
async fn server<F, Fut>(script: F) -> SocketAddr
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        if let Ok((tcp, _)) = listener.accept().await {
            script(tcp).await;
        }
    });
    addr
}

/// Writes `chunk` up to `times` times, until the reader hangs up.
async fn flood(tcp: &mut TcpStream, chunk: &[u8], times: usize) -> usize {
    let mut written = 0;
    for _ in 0..times {
        if tcp.write_all(chunk).await.is_err() {
            break;
        }
        written += chunk.len();
    }
    written
}

/// The probe with a 5 s timeout; its error and how long it took.
async fn probe(addr: SocketAddr) -> (ProbeError, Duration) {
    let start = Instant::now();
    let err = starttls(addr, "mx.test", "probe.test", Duration::from_secs(5))
        .await
        .unwrap_err();
    (err, start.elapsed())
}

#[tokio::test]
async fn an_endless_220_dash_banner_is_a_protocol_error_after_the_line_cap() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let addr = server(|mut tcp| async move {
        // Up to 1,000,000 continuation lines (about 20 MB), until the probe hangs up.
        let written = flood(&mut tcp, b"220-still greeting you\r\n", 1_000_000).await;
        let _ = tx.send(written);
    })
    .await;
    let (err, took) = probe(addr).await;
    assert!(
        matches!(&err, ProbeError::Protocol { step: "greeting", reply } if reply.contains("more than")),
        "{err}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    // The probe hung up long before the flood ended.
    let written = rx.await.unwrap();
    assert!(written < 20_000_000, "{written}");
}

#[tokio::test]
async fn a_10_mb_line_is_refused_at_the_line_cap() {
    let addr = server(|mut tcp| async move {
        let _ = tcp.write_all(b"220 ").await;
        flood(&mut tcp, &[b'a'; 65_536], 160).await;
    })
    .await;
    let (err, took) = probe(addr).await;
    assert!(
        matches!(&err, ProbeError::Protocol { reply, .. } if reply == "reply line too long"),
        "{err}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn starttls_followed_by_garbage_is_a_failed_handshake_or_refused() {
    let addr = server(|tcp| async move {
        let mut conn = BufReader::new(tcp);
        let mut line = String::new();
        let _ = conn.get_mut().write_all(b"220 mx.test\r\n").await;
        let _ = conn.read_line(&mut line).await;
        let _ = conn
            .get_mut()
            .write_all(b"250-mx.test\r\n250 STARTTLS\r\n")
            .await;
        line.clear();
        let _ = conn.read_line(&mut line).await;
        let _ = conn.get_mut().write_all(b"220 go ahead\r\n").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Not a TLS record: an HTTP-ish reply, then 1 MB of noise.
        let mut tcp = conn.into_inner();
        let _ = tcp.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        flood(&mut tcp, &[0x17; 4096], 256).await;
    })
    .await;
    let (err, took) = probe(addr).await;
    assert!(
        matches!(err, ProbeError::Tls(_) | ProbeError::Protocol { .. }),
        "{err}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn a_banner_dribbled_one_octet_at_a_time_is_cut_off_by_the_timeout_as_a_whole() {
    let addr = server(|mut tcp| async move {
        // One octet every 50 ms: each read succeeds, the greeting never completes in time.
        for _ in 0..400 {
            if tcp.write_all(b"2").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let start = Instant::now();
    let err = starttls(addr, "mx.test", "probe.test", Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(err, ProbeError::Timeout(_)), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}
