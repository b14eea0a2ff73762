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

use crate::answer::{Outcome, Transport};
use crate::net::acl::Acl;
use crate::net::tsig::ResponseSigner;
use crate::net::warn_limit::{TRANSFER_FAILED, TRANSFER_REFUSED};
use crate::net::{RCODE_REFUSED, RespondFn, write_error_reply};
use crate::xfr::axfr::send_axfr;
use crate::xfr::ixfr::send_ixfr;
use zones::serial::Serial;

//------------ TcpShared -----------------------------------------------------

/// What every TCP connection reads.
pub struct TcpShared {
    /// The current zones.
    pub catalog: Arc<ArcSwap<Catalog>>,
    /// Transfer ACL per zone apex (a reload of the configuration swaps it).
    pub acls: ArcSwap<Vec<(Name, Acl)>>,
    /// Close a connection after this long without a complete query.
    pub idle_timeout: Duration,
    /// Limits concurrent connections.
    pub connections: Arc<Semaphore>,
    /// Answers one query ([`crate::answer::respond`] outside tests).
    pub respond: RespondFn,
}

impl TcpShared {
    /// The transfer ACL of the zone at `apex` (empty, allowing nobody, when unknown).
    fn acl(&self, apex: &Name) -> Option<Acl> {
        self.acls
            .load()
            .iter()
            .find(|(n, _)| n == apex)
            .map(|(_, a)| a.clone())
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
        match (shared.respond)(&catalog, &query, Transport::Tcp, &mut out) {
            Outcome::Reply => {}
            Outcome::Drop => continue,
            Outcome::Transfer {
                zone: index,
                ixfr_serial,
                auth,
            } => {
                let key = auth
                    .as_ref()
                    .and_then(|a| crate::net::tsig::keys().get(a.key).cloned());
                let mut signer = match (&auth, &key) {
                    (Some(a), Some(k)) => Some(ResponseSigner::new(
                        k,
                        a.request_mac.clone(),
                        a.original_id,
                        a.now,
                    )),
                    _ => None,
                };
                let Some(snapshot) = catalog.zone(index) else {
                    if !write_error_reply(&query, RCODE_REFUSED, &mut out) {
                        continue;
                    }
                    write_framed(&mut writer, &mut frame, &out, shared.idle_timeout).await?;
                    continue;
                };
                let zone = &snapshot.zone;
                let key_name = key.as_ref().map(|k| k.name.as_str());
                let allowed = shared
                    .acl(&zone.origin)
                    .is_some_and(|acl| acl.allows(peer.ip(), key_name));
                if !allowed {
                    if let Some(suppressed) = TRANSFER_REFUSED.allow_now() {
                        tracing::warn!(%peer, zone = %zone.origin, key = key_name.unwrap_or("-"), suppressed, "transfer refused by allow_transfer");
                    }
                    if write_error_reply(&query, RCODE_REFUSED, &mut out) {
                        if let Some(s) = signer.as_mut() {
                            s.sign(&mut out);
                        }
                        write_framed(&mut writer, &mut frame, &out, shared.idle_timeout).await?;
                    }
                    continue;
                }
                let started = std::time::Instant::now();
                if let Some(client) = ixfr_serial {
                    let sent = send_ixfr(
                        snapshot,
                        &query,
                        Serial(client),
                        &mut writer,
                        shared.idle_timeout,
                        signer.as_mut(),
                    )
                    .await;
                    match sent {
                        Ok((kind, messages)) => tracing::info!(
                            %peer,
                            zone = %zone.origin,
                            from = client,
                            to = snapshot.serial,
                            ?kind,
                            messages,
                            elapsed_ms = started.elapsed().as_millis() as u64,
                            "IXFR sent"
                        ),
                        Err(e) => {
                            if let Some(suppressed) = TRANSFER_FAILED.allow_now() {
                                tracing::warn!(%peer, zone = %zone.origin, error = %e, suppressed, "IXFR failed");
                            }
                            return Ok(());
                        }
                    }
                    continue;
                }
                match send_axfr(
                    zone,
                    &query,
                    &mut writer,
                    shared.idle_timeout,
                    signer.as_mut(),
                )
                .await
                {
                    Ok(messages) => tracing::info!(
                        %peer,
                        zone = %zone.origin,
                        records = zone.len(),
                        messages,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "AXFR sent"
                    ),
                    Err(e) => {
                        if let Some(suppressed) = TRANSFER_FAILED.allow_now() {
                            tracing::warn!(%peer, zone = %zone.origin, error = %e, suppressed, "AXFR failed");
                        }
                        return Ok(());
                    }
                }
                continue;
            }
        }
        write_framed(&mut writer, &mut frame, &out, shared.idle_timeout).await?;
    }
}

/// Writes `msg` with its length prefix in one write; a client that does not read it within
/// `timeout` is an error (the connection closes).
async fn write_framed<W: AsyncWriteExt + Unpin>(
    w: &mut W,
    frame: &mut Vec<u8>,
    msg: &[u8],
    timeout: Duration,
) -> std::io::Result<()> {
    let Ok(len) = u16::try_from(msg.len()) else {
        return Ok(());
    };
    frame.clear();
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(msg);
    tokio::time::timeout(timeout, w.write_all(frame))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "client stopped reading"))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// Stand-in for `respond`: AXFR (type 252) is a transfer of zone 0, anything else REFUSED.
    fn stand_in(_: &Catalog, q: &[u8], _: Transport, out: &mut Vec<u8>) -> Outcome {
        let qtype = crate::net::question(q).map(|qs| &qs[qs.len() - 4..qs.len() - 2]);
        if qtype == Some(&[0, 252][..]) {
            return Outcome::Transfer {
                zone: 0,
                ixfr_serial: None,
                auth: None,
            };
        }
        write_error_reply(q, RCODE_REFUSED, out);
        Outcome::Reply
    }

    async fn start(acl: &[&str]) -> SocketAddr {
        start_with_zone(acl, crate::cli::demo::demo_zone()).await
    }

    /// The demo zone plus `n` host addresses.
    fn big_zone(n: usize) -> zones::Zone {
        let mut zone = crate::cli::demo::demo_zone();
        for i in 0..n {
            zone.insert(zones::Record {
                owner: Name::from_ascii(format!("host{i}.example.test.")).unwrap(),
                rtype: zones::Rtype::A,
                class: zones::Class::IN,
                ttl: zones::Ttl(300),
                rdata: vec![192, 0, 2, (i % 250) as u8].into(),
            });
        }
        zone
    }

    async fn start_with_zone(acl: &[&str], zone: zones::Zone) -> SocketAddr {
        start_limited(acl, zone, 4).await
    }

    async fn start_limited(acl: &[&str], zone: zones::Zone, limit: usize) -> SocketAddr {
        let origin = zone.origin.clone();
        let catalog = Catalog::new(vec![Arc::new(zone)]);
        let shared = Arc::new(TcpShared {
            catalog: Arc::new(ArcSwap::from_pointee(catalog)),
            acls: ArcSwap::from_pointee(vec![(origin, Acl::parse(acl).unwrap())]),
            idle_timeout: Duration::from_secs(2),
            connections: Arc::new(Semaphore::new(limit)),
            respond: stand_in,
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, shared));
        addr
    }

    fn query(id: u8, qtype: u8) -> Vec<u8> {
        let mut q = vec![0, 30, 0, id, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x07example\x04test\x00\x00");
        q.extend_from_slice(&[qtype, 0, 1]);
        q
    }

    async fn read_msg(s: &mut TcpStream) -> Vec<u8> {
        let len = s.read_u16().await.unwrap();
        let mut m = vec![0; len as usize];
        s.read_exact(&mut m).await.unwrap();
        m
    }

    #[tokio::test]
    async fn pipelined_queries_are_answered_in_order() {
        let addr = start(&[]).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let mut both = query(1, 1);
        both.extend(query(2, 15));
        s.write_all(&both).await.unwrap();
        assert_eq!(read_msg(&mut s).await[1], 1);
        assert_eq!(read_msg(&mut s).await[1], 2);
    }

    #[tokio::test]
    async fn axfr_is_streamed_to_allowed_clients_and_refused_to_others() {
        let addr = start(&["127.0.0.0/8"]).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&query(7, 252)).await.unwrap();
        let m = read_msg(&mut s).await;
        assert_eq!(m[3] & 0x0f, 0, "NOERROR");
        let ancount = u16::from_be_bytes([m[6], m[7]]) as usize;
        assert_eq!(ancount, crate::cli::demo::demo_zone().len() + 1);

        let addr = start(&["192.0.2.0/24"]).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&query(8, 252)).await.unwrap();
        let m = read_msg(&mut s).await;
        assert_eq!(m[3] & 0x0f, RCODE_REFUSED);
    }

    #[tokio::test]
    async fn connections_over_the_limit_are_closed_and_the_slot_is_freed() {
        let addr = start_limited(&[], crate::cli::demo::demo_zone(), 1).await;
        let mut first = TcpStream::connect(addr).await.unwrap();
        first.write_all(&query(1, 1)).await.unwrap();
        assert_eq!(read_msg(&mut first).await[1], 1);
        let mut second = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(second.read(&mut buf).await.unwrap_or(0), 0);
        drop(first);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut third = TcpStream::connect(addr).await.unwrap();
        third.write_all(&query(3, 1)).await.unwrap();
        assert_eq!(read_msg(&mut third).await[1], 3);
    }

    #[tokio::test]
    async fn idle_connections_are_closed() {
        let addr = start(&[]).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let started = std::time::Instant::now();
        let mut buf = [0u8; 16];
        assert_eq!(s.read(&mut buf).await.unwrap(), 0);
        assert!(started.elapsed() >= Duration::from_millis(1900));
    }

    #[tokio::test]
    async fn a_malformed_length_closes_the_connection() {
        let addr = start(&[]).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&[0, 3, 1, 2, 3]).await.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(s.read(&mut buf).await.unwrap(), 0);
        // A short read (client gives up mid-message) also just ends the connection.
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&[0, 40, 1, 2]).await.unwrap();
        s.shutdown().await.unwrap();
        assert_eq!(s.read(&mut buf).await.unwrap(), 0);
    }

    /// kdig is strict about message form: a clean transfer with both SOAs and every record
    /// means the wire output is right.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kdig_accepts_the_axfr_stream() {
        let zone = big_zone(3000);
        let expected = zone.len() + 1;
        let addr = start_with_zone(&["127.0.0.1"], zone).await;
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("kdig")
                .args(["@127.0.0.1", "-p", &addr.port().to_string(), "+tcp"])
                .args(["example.test", "AXFR"])
                .output()
                .expect("kdig must be installed")
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(
            !text.contains("WARNING") && !text.contains("failed"),
            "{text}"
        );
        let records = text
            .lines()
            .filter(|l| l.contains("example.test.") && !l.starts_with(';'))
            .count();
        assert_eq!(records, expected, "{text}");
        assert!(
            !text.contains("(1 messages"),
            "one message for 3000 records? {text}"
        );
        assert!(text.contains("_25._tcp.mx.example.test."), "{text}");
    }

    /// knotd as a secondary bootstraps the zone from daned with AXFR and serves every record.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn knotd_pulls_the_zone_as_a_secondary() {
        let zone = big_zone(2000);
        let expected = zone.len();
        let addr = start_with_zone(&["127.0.0.1"], zone).await;
        let dir = std::env::temp_dir().join(format!("daned-knotd-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let knot_port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let d = dir.display();
        let conf = format!(
            "server:\n    rundir: {d}\n    listen: 127.0.0.1@{knot_port}\n\
             database:\n    storage: {d}\n\
             remote:\n  - id: daned\n    address: 127.0.0.1@{}\n\
             acl:\n  - id: any\n    address: 127.0.0.0/8\n    action: transfer\n\
             template:\n  - id: default\n    storage: {d}\n\
             zone:\n  - domain: example.test\n    master: daned\n    acl: any\n",
            addr.port()
        );
        std::fs::write(dir.join("knot.conf"), conf).unwrap();
        let mut knotd = std::process::Command::new("knotd")
            .arg("-c")
            .arg(dir.join("knot.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("knotd must be installed");
        let mut count = 0;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let port = knot_port.to_string();
            let out = tokio::task::spawn_blocking(move || {
                std::process::Command::new("kdig")
                    .args(["@127.0.0.1", "-p", &port, "+tcp", "example.test", "AXFR"])
                    .output()
                    .expect("kdig must be installed")
            })
            .await
            .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            count = text
                .lines()
                .filter(|l| l.contains("example.test.") && !l.starts_with(';'))
                .count();
            if count > 0 {
                break;
            }
        }
        let _ = knotd.kill();
        let log = knotd.wait_with_output().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            count,
            expected + 1,
            "knotd log: {}",
            String::from_utf8_lossy(&log.stderr)
        );
    }
}
