//! The `/metrics` endpoint: a minimal HTTP/1.1 responder on tokio. One request per
//! connection (`Connection: close`), `GET /metrics` only, a few connections at a time, each
//! bounded in size and time, so that a scraper that misbehaves costs nothing but itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::metrics::ZoneStates;

/// Largest request head read.
const MAX_REQUEST: usize = 8192;
/// Time a client has to send its request and take the answer.
const DEADLINE: Duration = Duration::from_secs(5);
/// Connections served at once; more are closed.
const CONCURRENT: usize = 4;

/// Binds `addr` for `/metrics` (so that a bad address fails the start).
pub fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Serves `/metrics` on `listener` forever (on the runtime it is called in).
pub async fn serve(listener: std::net::TcpListener, zones: ZoneStates) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(event = "metrics-failed", error = %e, "cannot serve /metrics");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(CONCURRENT));
    loop {
        let Ok((stream, _peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            continue; // closed at once
        };
        let zones = Arc::clone(&zones);
        tokio::spawn(async move {
            let _ = tokio::time::timeout(DEADLINE, answer(stream, &zones)).await;
            drop(permit);
        });
    }
}

/// Reads one request and answers it.
async fn answer(mut stream: TcpStream, zones: &ZoneStates) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() + n > MAX_REQUEST {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let (status, content_type, body) = match route(&head) {
        Route::Metrics => (
            "200 OK",
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            super::render(zones.load_full()),
        ),
        Route::NotFound => ("404 Not Found", "text/plain", "only /metrics here\n".into()),
        Route::BadMethod => (
            "405 Method Not Allowed",
            "text/plain",
            "GET /metrics\n".into(),
        ),
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(reply.as_bytes()).await?;
    if !head.starts_with(b"HEAD ") {
        stream.write_all(body.as_bytes()).await?;
    }
    stream.shutdown().await
}

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// `GET /metrics` (or `HEAD`), with or without a query string.
    Metrics,
    /// Another path.
    NotFound,
    /// Another method.
    BadMethod,
}

/// Routes the request whose head is `head`.
fn route(head: &[u8]) -> Route {
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let mut parts = line.split(|&b| b == b' ');
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    if method != b"GET" && method != b"HEAD" {
        return Route::BadMethod;
    }
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    if path == b"/metrics" {
        Route::Metrics
    } else {
        Route::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_get_metrics_is_served() {
        assert_eq!(route(b"GET /metrics HTTP/1.1\r\n\r\n"), Route::Metrics);
        assert_eq!(route(b"GET /metrics?x=1 HTTP/1.0\r\n\r\n"), Route::Metrics);
        assert_eq!(route(b"GET / HTTP/1.1\r\n\r\n"), Route::NotFound);
        assert_eq!(route(b"POST /metrics HTTP/1.1\r\n\r\n"), Route::BadMethod);
        assert_eq!(route(b""), Route::BadMethod);
    }
}
