//! DNS over TCP (RFC 1035 section 4.2.2, RFC 7766): a tokio listener, 2-octet length prefixes,
//! several queries per connection answered in order. Slots are held in a [`ConnectionPool`]
//! (a cap per source, the longest-idle connection evicted when full); an idle connection, a
//! query read too slowly and a client that stops reading are each closed after their own
//! timeout ([`TcpLimits`]). Transfers (RFC 5936) are streamed from here.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use zones::snapshot::Catalog;

use crate::answer::{Outcome, Transport};
use crate::metrics::event_counters::{self as metrics, Transfer};
use crate::net::acl::TransferAcls;
use crate::net::tcp_pool::{ConnectionPool, Slot, TcpLimits};
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
    pub acls: ArcSwap<TransferAcls>,
    /// Connection count and timeouts.
    pub limits: TcpLimits,
    /// The open connections (shared by every listener).
    pub pool: Arc<ConnectionPool>,
    /// Answers one query ([`crate::answer::respond`] outside tests).
    pub respond: RespondFn,
}

/// Accepts connections on `listener` forever, serving each in its own task. A connection over
/// a limit takes the slot of the longest-idle connection; when every slot it could take is
/// busy, it is closed at once.
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
        let slot = match shared.pool.admit(peer.ip()) {
            Ok((slot, evicted)) => {
                if let Some(evicted) = evicted {
                    tracing::debug!(%peer, %evicted, "TCP connection limit reached, idle connection evicted");
                }
                slot
            }
            Err(full) => {
                tracing::debug!(%peer, ?full, "TCP connection limit reached, no idle connection, closing");
                metrics::TCP_REFUSED.inc();
                continue;
            }
        };
        let shared = Arc::clone(&shared);
        let open = metrics::tcp_opened();
        tokio::spawn(async move {
            let _open = open;
            if let Err(e) = connection(stream, peer, &shared, &slot).await {
                tracing::debug!(%peer, error = %e, "TCP connection ended");
            }
            drop(slot);
        });
    }
}

/// Serves one connection until the client closes it, it idles out, is evicted or misbehaves.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &TcpShared,
    slot: &Slot,
) -> std::io::Result<()> {
    let limits = shared.limits;
    let _ = stream.set_nodelay(true);
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut query = Vec::with_capacity(512);
    let mut out = Vec::with_capacity(4096);
    let mut frame = Vec::with_capacity(4096);
    loop {
        slot.idle();
        let first = tokio::select! {
            // A query already waiting is read, not dropped for an eviction.
            biased;
            read = tokio::time::timeout(limits.idle_timeout, reader.read_u8()) => match read {
                Err(_) => return Ok(()), // idle
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                Ok(Err(e)) => return Err(e),
                Ok(Ok(b)) => b,
            },
            () = slot.evicted() => {
                tracing::debug!(%peer, "idle TCP connection evicted for a new one");
                return Ok(());
            }
        };
        if !slot.busy() {
            return Ok(()); // evicted just as its query began
        }
        match tokio::time::timeout(
            limits.query_timeout,
            read_query(&mut reader, first, &mut query),
        )
        .await
        {
            Err(_) => {
                tracing::debug!(%peer, "TCP query not complete within the query timeout, closing");
                return Ok(());
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Ok(Err(e)) => return Err(e),
            Ok(Ok(false)) => {
                tracing::debug!(%peer, "TCP message too short, closing");
                return Ok(());
            }
            Ok(Ok(true)) => {}
        }
        let catalog = shared.catalog.load_full();
        match (shared.respond)(&catalog, &query, Transport::Tcp, &mut out) {
            Outcome::Reply => {}
            Outcome::Drop => continue,
            Outcome::Update => {
                if !crate::update::front::handle(&query, &mut out).await {
                    continue;
                }
            }
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
                    write_framed(&mut writer, &mut frame, &out, limits.write_timeout).await?;
                    continue;
                };
                let origin = snapshot.origin_name();
                let key_name = key.as_ref().map(|k| k.name.as_str());
                let allowed = shared
                    .acls
                    .load()
                    .get(&snapshot.origin)
                    .is_some_and(|acl| acl.allows(peer.ip(), key_name));
                if !allowed {
                    if let Some(suppressed) = TRANSFER_REFUSED.allow_now() {
                        tracing::warn!(event = "transfer-refused", %peer, zone = %origin, key = key_name.unwrap_or("-"), suppressed, "transfer refused by allow_transfer");
                    }
                    metrics::transfer(Transfer::Refused);
                    if write_error_reply(&query, RCODE_REFUSED, &mut out) {
                        if let Some(s) = signer.as_mut() {
                            s.sign(&mut out);
                        }
                        write_framed(&mut writer, &mut frame, &out, limits.write_timeout).await?;
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
                        limits.write_timeout,
                        signer.as_mut(),
                    )
                    .await;
                    match sent {
                        Ok((kind, messages)) => {
                            metrics::transfer(Transfer::IxfrSent);
                            tracing::info!(
                            event = "ixfr-sent",
                            %peer,
                            zone = %origin,
                            from = client,
                            to = snapshot.serial,
                            ?kind,
                            messages,
                            elapsed_ms = started.elapsed().as_millis() as u64,
                            "IXFR sent"
                            )
                        }
                        Err(e) => {
                            metrics::transfer(Transfer::Failed);
                            if let Some(suppressed) = TRANSFER_FAILED.allow_now() {
                                tracing::warn!(event = "transfer-failed", %peer, zone = %origin, error = %e, suppressed, "IXFR failed");
                            }
                            return Ok(());
                        }
                    }
                    continue;
                }
                match send_axfr(
                    snapshot,
                    &query,
                    &mut writer,
                    limits.write_timeout,
                    signer.as_mut(),
                )
                .await
                {
                    Ok(messages) => {
                        metrics::transfer(Transfer::AxfrSent);
                        tracing::info!(
                        event = "axfr-sent",
                        %peer,
                        zone = %origin,
                        messages,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "AXFR sent"
                        )
                    }
                    Err(e) => {
                        metrics::transfer(Transfer::Failed);
                        if let Some(suppressed) = TRANSFER_FAILED.allow_now() {
                            tracing::warn!(event = "transfer-failed", %peer, zone = %origin, error = %e, suppressed, "AXFR failed");
                        }
                        return Ok(());
                    }
                }
                continue;
            }
        }
        write_framed(&mut writer, &mut frame, &out, limits.write_timeout).await?;
    }
}

/// Reads the rest of a query whose length prefix starts with `first` into `query`; `false`
/// when the length is too short for a DNS header.
async fn read_query<R: AsyncReadExt + Unpin>(
    r: &mut R,
    first: u8,
    query: &mut Vec<u8>,
) -> std::io::Result<bool> {
    let len = usize::from(u16::from_be_bytes([first, r.read_u8().await?]));
    if len < crate::net::HEADER_LEN {
        return Ok(false);
    }
    query.resize(len, 0);
    r.read_exact(query).await?;
    Ok(true)
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
                owner: zones::Name::from_ascii(format!("host{i}.example.test.")).unwrap(),
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
            acls: ArcSwap::from_pointee(TransferAcls::new([(
                zones::snapshot::name_key(&origin),
                Arc::new(crate::net::acl::Acl::parse(acl).unwrap()),
            )])),
            limits: TcpLimits {
                max_connections: limit,
                max_per_source: limit,
                idle_timeout: Duration::from_secs(2),
                query_timeout: Duration::from_secs(1),
                write_timeout: Duration::from_secs(2),
            },
            pool: Arc::new(ConnectionPool::new(limit, limit)),
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

    /// Reads until the server closes the connection; panics when it stays open `within`.
    async fn closed_within(s: &mut TcpStream, within: Duration) {
        let mut buf = vec![0u8; 64 * 1024];
        tokio::time::timeout(within, async {
            while s.read(&mut buf).await.unwrap_or(0) > 0 {}
        })
        .await
        .expect("connection closed");
    }

    #[tokio::test]
    async fn a_new_connection_takes_the_slot_of_an_idle_one() {
        let addr = start_limited(&[], crate::cli::demo::demo_zone(), 1).await;
        let mut first = TcpStream::connect(addr).await.unwrap();
        first.write_all(&query(1, 1)).await.unwrap();
        assert_eq!(read_msg(&mut first).await[1], 1);
        // first now idles: the second connection takes its slot and is answered.
        let mut second = TcpStream::connect(addr).await.unwrap();
        second.write_all(&query(2, 1)).await.unwrap();
        assert_eq!(read_msg(&mut second).await[1], 2);
        closed_within(&mut first, Duration::from_millis(500)).await;
    }

    #[tokio::test]
    async fn a_busy_connection_keeps_its_slot_until_the_query_timeout() {
        let addr = start_limited(&[], crate::cli::demo::demo_zone(), 1).await;
        // first sends one octet of a query and dribbles no more: busy, not evictable.
        let mut first = TcpStream::connect(addr).await.unwrap();
        first.write_all(&[0]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = std::time::Instant::now();
        let mut second = TcpStream::connect(addr).await.unwrap();
        closed_within(&mut second, Duration::from_millis(500)).await;
        // The query timeout (1 s here, the idle timeout is 2 s) cuts first off, freeing the slot.
        closed_within(&mut first, Duration::from_millis(1500)).await;
        assert!(started.elapsed() < Duration::from_millis(1500));
        let mut third = TcpStream::connect(addr).await.unwrap();
        third.write_all(&query(3, 1)).await.unwrap();
        assert_eq!(read_msg(&mut third).await[1], 3);
    }

    #[tokio::test]
    async fn a_dribbled_query_is_cut_at_the_query_timeout_though_octets_keep_coming() {
        let addr = start(&[]).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let q = query(9, 1);
        let started = std::time::Instant::now();
        for b in &q {
            if s.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
            if started.elapsed() > Duration::from_secs(3) {
                break;
            }
        }
        // 33 octets at 150 ms would take 5 s; the 1 s bound closes it long before.
        closed_within(&mut s, Duration::from_secs(1)).await;
        assert!(
            started.elapsed() < Duration::from_millis(2500),
            "{:?}",
            started.elapsed()
        );
    }

    /// A client that asks for a large AXFR and never reads is dropped after the write
    /// timeout, and its slot is freed.
    #[tokio::test]
    async fn a_client_that_never_reads_its_transfer_is_dropped() {
        let addr = start_limited(&["127.0.0.1"], big_zone(20_000), 1).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&query(7, 252)).await.unwrap();
        // Not reading: the socket buffers fill, the write times out (2 s), the slot frees.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut next = TcpStream::connect(addr).await.unwrap();
        next.write_all(&query(8, 1)).await.unwrap();
        let m = tokio::time::timeout(Duration::from_secs(2), read_msg(&mut next))
            .await
            .expect("the stalled transfer's slot was freed");
        assert_eq!(m[1], 8);
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
