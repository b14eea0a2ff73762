//! DNS over TCP (RFC 1035 section 4.2.2, RFC 7766): a tokio listener, 2-octet length prefixes,
//! several queries per connection answered in order, an idle timeout and a cap on concurrent
//! connections. Transfers (RFC 5936) are streamed from here.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use zones::Name;
use zones::snapshot::Catalog;

use crate::acl::Acl;
use crate::answer::{Outcome, Transport, respond};
use crate::net::{RCODE_REFUSED, write_error_reply};
use crate::xfr::axfr::send_axfr;

//------------ TcpShared -----------------------------------------------------

/// What every TCP connection reads.
pub struct TcpShared {
    /// The current zones.
    pub catalog: Arc<ArcSwap<Catalog>>,
    /// Transfer ACL per zone apex.
    pub acls: Vec<(Name, Acl)>,
    /// Close a connection after this long without a complete query.
    pub idle_timeout: Duration,
    /// Limits concurrent connections.
    pub connections: Arc<Semaphore>,
}

impl TcpShared {
    /// The transfer ACL of the zone at `apex` (empty, allowing nobody, when unknown).
    fn acl(&self, apex: &Name) -> Option<&Acl> {
        self.acls.iter().find(|(n, _)| n == apex).map(|(_, a)| a)
    }
}

/// Accepts connections on `listener` forever, serving each in its own task. A connection over
/// the limit is closed at once.
pub async fn serve(listener: TcpListener, shared: Arc<TcpShared>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "TCP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&shared.connections).try_acquire_owned() else {
            tracing::debug!(%peer, "TCP connection limit reached, closing");
            continue;
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            if let Err(e) = connection(stream, peer, &shared).await {
                tracing::debug!(%peer, error = %e, "TCP connection ended");
            }
            drop(permit);
        });
    }
}

/// Serves one connection until the client closes it, it idles out or misbehaves.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &TcpShared,
) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut query = Vec::with_capacity(512);
    let mut out = Vec::with_capacity(4096);
    let mut frame = Vec::with_capacity(4096);
    loop {
        let mut len = [0u8; 2];
        match tokio::time::timeout(shared.idle_timeout, reader.read_exact(&mut len)).await {
            Err(_) => return Ok(()), // idle
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Ok(Err(e)) => return Err(e),
            Ok(Ok(_)) => {}
        }
        let len = usize::from(u16::from_be_bytes(len));
        if len < crate::net::HEADER_LEN {
            tracing::debug!(%peer, len, "TCP message too short, closing");
            return Ok(());
        }
        query.resize(len, 0);
        match tokio::time::timeout(shared.idle_timeout, reader.read_exact(&mut query)).await {
            Err(_) => return Ok(()),
            Ok(r) => r?,
        };
        let catalog = shared.catalog.load_full();
        match respond(&catalog, &query, Transport::Tcp, &mut out) {
            Outcome::Reply => {}
            Outcome::Drop => continue,
            Outcome::Transfer(index) => {
                let Some(snapshot) = catalog.zone(index) else {
                    if !write_error_reply(&query, RCODE_REFUSED, &mut out) {
                        continue;
                    }
                    write_framed(&mut writer, &mut frame, &out).await?;
                    continue;
                };
                let zone = &snapshot.zone;
                let allowed = shared
                    .acl(&zone.origin)
                    .is_some_and(|acl| acl.allows(peer.ip()));
                if !allowed {
                    tracing::warn!(%peer, zone = %zone.origin, "AXFR refused by allow_transfer");
                    if write_error_reply(&query, RCODE_REFUSED, &mut out) {
                        write_framed(&mut writer, &mut frame, &out).await?;
                    }
                    continue;
                }
                let started = std::time::Instant::now();
                match send_axfr(zone, &query, &mut writer).await {
                    Ok(messages) => tracing::info!(
                        %peer,
                        zone = %zone.origin,
                        records = zone.len(),
                        messages,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "AXFR sent"
                    ),
                    Err(e) => {
                        tracing::warn!(%peer, zone = %zone.origin, error = %e, "AXFR failed");
                        return Ok(());
                    }
                }
                continue;
            }
        }
        write_framed(&mut writer, &mut frame, &out).await?;
    }
}

/// Writes `msg` with its length prefix in one write.
async fn write_framed<W: AsyncWriteExt + Unpin>(
    w: &mut W,
    frame: &mut Vec<u8>,
    msg: &[u8],
) -> std::io::Result<()> {
    let Ok(len) = u16::try_from(msg.len()) else {
        return Ok(());
    };
    frame.clear();
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(msg);
    w.write_all(frame).await
}
