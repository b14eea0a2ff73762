//! daned's own UDP loop: worker OS threads, each with its own `SO_REUSEPORT` socket bound to the
//! same address, receiving and sending in batches with `recvmmsg(2)`/`sendmmsg(2)`.
//!
//! A worker owns all its buffers and reuses them: the steady state allocates nothing and takes
//! no lock. The catalog is read through a per-worker `arc_swap::Cache` (one atomic read per
//! query). All `unsafe` code is the `Batch::recv`/`Batch::send` pair and the
//! packet-info helpers beneath them.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::{ArcSwap, Cache};
use socket2::{Domain, Protocol, Socket, Type};
use zones::snapshot::Catalog;

use crate::answer::{Facts, Outcome, Settings, Transport};
use crate::net::rrl::{Rrl, SlipCounter};
use crate::net::{RCODE_REFUSED, RespondFn, write_error_reply};

/// Datagrams per `recvmmsg`/`sendmmsg` call.
const BATCH: usize = 32;

/// Control-message buffer per datagram, in 8-octet words for `cmsghdr` alignment (room for
/// one `in6_pktinfo` or `in_pktinfo`).
const CTRL_WORDS: usize = 8;

/// Receive buffer per datagram. Queries are small; a larger datagram is truncated and dropped.
const RECV_SIZE: usize = 4096;

/// How often a blocked worker wakes up to look at the stop flag.
const WAKE_INTERVAL: Duration = Duration::from_millis(500);

//------------ UdpServer -----------------------------------------------------

/// The running UDP workers of one address.
pub struct UdpServer {
    /// The address actually bound (port resolved when 0 was asked for).
    pub local_addr: SocketAddr,
    /// Worker threads.
    workers: Vec<JoinHandle<()>>,
    /// Set to ask the workers to finish.
    stop: Arc<AtomicBool>,
}

impl UdpServer {
    /// Binds `workers` sockets (at least one) to `addr` and starts one thread per socket,
    /// answering from `catalog` with `respond`, or, with response rate limiting (`rrl`),
    /// with [`crate::answer::respond_with_facts`] and the limiter's decision.
    pub fn start(
        addr: SocketAddr,
        workers: usize,
        catalog: Arc<ArcSwap<Catalog>>,
        respond: RespondFn,
        rrl: Option<Arc<Rrl>>,
    ) -> io::Result<Self> {
        Self::start_with(addr, workers, move || {
            // A per-worker cache: one atomic read to see that the catalog is unchanged, no
            // reference-count traffic shared between workers.
            let mut catalog = Cache::new(Arc::clone(&catalog));
            let rrl = rrl.clone();
            let mut slips = SlipCounter::default();
            let settings = Settings::default();
            move |query: &[u8], peer: IpAddr, out: &mut Vec<u8>| {
                let Some(rrl) = &rrl else {
                    return respond(catalog.load(), query, Transport::Udp, out);
                };
                let catalog = catalog.load();
                let mut facts = Facts::default();
                let outcome = crate::answer::respond_with_facts(
                    catalog,
                    query,
                    Transport::Udp,
                    &settings,
                    &mut facts,
                    out,
                );
                let outcome =
                    crate::metrics::refuse_udp_transfer(query, Transport::Udp, outcome, out);
                let outcome = if outcome == Outcome::Reply
                    && !rrl.apply(peer, catalog, &facts, out, &mut slips)
                {
                    Outcome::Drop
                } else {
                    outcome
                };
                crate::metrics::count(Transport::Udp, query, outcome, out)
            }
        })
    }

    /// Like [`start`](Self::start) with any query handler; `make_handler` is called once per
    /// worker.
    pub fn start_with<F, H>(addr: SocketAddr, workers: usize, make_handler: F) -> io::Result<Self>
    where
        F: Fn() -> H,
        H: FnMut(&[u8], IpAddr, &mut Vec<u8>) -> Outcome + Send + 'static,
    {
        let first = bind_reuseport(addr)?;
        let local_addr = first.local_addr()?.as_socket().unwrap_or(addr);
        let mut sockets = vec![first];
        for _ in 1..workers.max(1) {
            sockets.push(bind_reuseport(local_addr)?);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let mut handles = Vec::new();
        for (i, socket) in sockets.into_iter().enumerate() {
            let handler = make_handler();
            let stop = Arc::clone(&stop);
            handles.push(
                std::thread::Builder::new()
                    .name(format!("udp-{i}-{local_addr}"))
                    .spawn(move || worker(socket, handler, &stop))?,
            );
        }
        Ok(Self {
            local_addr,
            workers: handles,
            stop,
        })
    }

    /// Asks the workers to stop and waits for them (at most about [`WAKE_INTERVAL`]).
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for w in self.workers {
            let _ = w.join();
        }
    }
}

/// A UDP socket bound to `addr` with `SO_REUSEPORT`, IPv6 sockets v6-only.
fn bind_reuseport(addr: SocketAddr) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_port(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_read_timeout(Some(WAKE_INTERVAL))?;
    if addr.ip().is_unspecified() {
        // Bound to every address: learn each query's destination address so that the answer
        // leaves from it (a multi-homed host would otherwise pick its own source).
        enable_pktinfo(&socket, addr.is_ipv6())?;
    }
    socket.bind(&addr.into())?;
    Ok(socket)
}

//------------ worker --------------------------------------------------------

/// One worker's loop: receive a batch, answer each, send the answers as a batch.
fn worker<H>(socket: Socket, mut handler: H, stop: &AtomicBool)
where
    H: FnMut(&[u8], IpAddr, &mut Vec<u8>) -> Outcome,
{
    let fd = socket.as_raw_fd();
    let mut batch = Batch::new();
    while !stop.load(Ordering::Relaxed) {
        let n = match batch.recv(fd) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "recvmmsg failed");
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        batch.replies.clear();
        for i in 0..n {
            let (query, peer, out) = batch.slot(i);
            let Some(query) = query else { continue };
            let send = match handler(query, peer, out) {
                Outcome::Reply => true,
                Outcome::Drop => false,
                // Transfers need TCP (RFC 5936 section 4.2).
                Outcome::Transfer { .. } => write_error_reply(query, RCODE_REFUSED, out),
                // Waits in this thread for the publication (off the query path: UPDATEs only).
                Outcome::Update => crate::update::front::handle_blocking(query, out),
            };
            if send && !out.is_empty() {
                batch.replies.push(i);
            }
        }
        if !batch.replies.is_empty() {
            if let Err(e) = batch.send(fd) {
                tracing::debug!(error = %e, "sendmmsg failed");
            }
        }
    }
}

//------------ Batch ---------------------------------------------------------

/// A worker's reusable buffers for one batch of datagrams.
struct Batch {
    /// `BATCH` receive buffers of `RECV_SIZE` octets, back to back.
    recv_bufs: Box<[u8]>,
    /// Received length per slot, and whether it was truncated.
    recv_lens: [(usize, bool); BATCH],
    /// Peer address per slot.
    addrs: Box<[libc::sockaddr_storage; BATCH]>,
    /// Peer address length per slot.
    addr_lens: [libc::socklen_t; BATCH],
    /// Packet-info control message per slot (sockets bound to the unspecified address).
    ctrls: Box<[[u64; CTRL_WORDS]; BATCH]>,
    /// Control-message length per slot (0: none).
    ctrl_lens: [usize; BATCH],
    /// Reply buffer per slot, filled by the handler.
    outs: Vec<Vec<u8>>,
    /// Slots with a reply to send, in order.
    replies: Vec<usize>,
    /// Message headers handed to the kernel.
    hdrs: Box<[libc::mmsghdr; BATCH]>,
    /// I/O vectors handed to the kernel.
    iovs: Box<[libc::iovec; BATCH]>,
}

impl Batch {
    /// Allocates the buffers (once per worker).
    fn new() -> Self {
        // SAFETY: these are plain C structs for which all-zero bytes are a valid value.
        let (addrs, hdrs, iovs) = unsafe {
            (
                Box::new(std::mem::zeroed::<[libc::sockaddr_storage; BATCH]>()),
                Box::new(std::mem::zeroed::<[libc::mmsghdr; BATCH]>()),
                Box::new(std::mem::zeroed::<[libc::iovec; BATCH]>()),
            )
        };
        Self {
            recv_bufs: vec![0; BATCH * RECV_SIZE].into_boxed_slice(),
            recv_lens: [(0, false); BATCH],
            addrs,
            addr_lens: [0; BATCH],
            ctrls: Box::new([[0; CTRL_WORDS]; BATCH]),
            ctrl_lens: [0; BATCH],
            outs: (0..BATCH).map(|_| Vec::with_capacity(RECV_SIZE)).collect(),
            replies: Vec::with_capacity(BATCH),
            hdrs,
            iovs,
        }
    }

    /// The query in slot `i` (`None` when it was truncated), its sender's address and its
    /// reply buffer.
    fn slot(&mut self, i: usize) -> (Option<&[u8]>, IpAddr, &mut Vec<u8>) {
        let (len, truncated) = self.recv_lens[i];
        let buf = &self.recv_bufs[i * RECV_SIZE..i * RECV_SIZE + len];
        let peer = peer_ip(&self.addrs[i]);
        (
            if truncated { None } else { Some(buf) },
            peer,
            &mut self.outs[i],
        )
    }

    /// Receives up to `BATCH` datagrams on `fd` (blocking for the first, `MSG_WAITFORONE`),
    /// recording lengths and peer addresses. Returns how many slots were filled.
    fn recv(&mut self, fd: RawFd) -> io::Result<usize> {
        for i in 0..BATCH {
            let iov = &mut self.iovs[i];
            iov.iov_base = self.recv_bufs[i * RECV_SIZE..].as_mut_ptr().cast();
            iov.iov_len = RECV_SIZE;
            let hdr = &mut self.hdrs[i];
            hdr.msg_hdr = msghdr(
                (&mut self.addrs[i] as *mut libc::sockaddr_storage).cast(),
                size_of::<libc::sockaddr_storage>() as libc::socklen_t,
                iov,
                self.ctrls[i].as_mut_ptr().cast(),
                size_of::<[u64; CTRL_WORDS]>(),
            );
            hdr.msg_len = 0;
        }
        // SAFETY: every header points at live buffers owned by `self` (address storage of its
        // full size, one iovec of RECV_SIZE octets inside `recv_bufs`), none of which moves or
        // is otherwise borrowed during the call; the kernel writes at most those lengths.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                self.hdrs.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = n as usize;
        for i in 0..n {
            let hdr = &self.hdrs[i];
            let truncated = hdr.msg_hdr.msg_flags & libc::MSG_TRUNC != 0;
            self.recv_lens[i] = ((hdr.msg_len as usize).min(RECV_SIZE), truncated);
            self.addr_lens[i] = hdr.msg_hdr.msg_namelen;
            #[allow(clippy::unnecessary_cast)] // msg_controllen is u32 on some libcs
            let controllen = hdr.msg_hdr.msg_controllen as usize;
            self.ctrl_lens[i] = if hdr.msg_hdr.msg_flags & libc::MSG_CTRUNC != 0 {
                0
            } else {
                controllen
            };
            if self.ctrl_lens[i] > 0 {
                // SAFETY: the kernel wrote `ctrl_lens[i]` octets of well-formed control
                // messages into this slot's buffer; the header still points at it.
                unsafe { clear_ipv4_ifindex(&self.hdrs[i].msg_hdr) };
            }
        }
        Ok(n)
    }

    /// Sends the replies of the slots listed in `replies` to their peers. A datagram the
    /// kernel refuses is skipped; the others are still sent.
    fn send(&mut self, fd: RawFd) -> io::Result<()> {
        let count = self.replies.len();
        for (j, &i) in self.replies.iter().enumerate() {
            let out = &mut self.outs[i];
            let iov = &mut self.iovs[j];
            iov.iov_base = out.as_mut_ptr().cast();
            iov.iov_len = out.len();
            let hdr = &mut self.hdrs[j];
            let (ctrl, ctrl_len) = match self.ctrl_lens[i] {
                0 => (std::ptr::null_mut(), 0),
                len => (self.ctrls[i].as_mut_ptr().cast(), len),
            };
            hdr.msg_hdr = msghdr(
                (&mut self.addrs[i] as *mut libc::sockaddr_storage).cast(),
                self.addr_lens[i],
                iov,
                ctrl,
                ctrl_len,
            );
            hdr.msg_len = 0;
        }
        let mut done = 0;
        let mut last_err = None;
        while done < count {
            // SAFETY: headers `done..count` point at the peer addresses (with the lengths the
            // kernel reported) and at the reply buffers in `outs`, all owned by `self` and not
            // touched during the call; the kernel only reads them.
            let n = unsafe {
                libc::sendmmsg(
                    fd,
                    self.hdrs[done..].as_mut_ptr(),
                    (count - done) as libc::c_uint,
                    0,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                last_err = Some(e);
                done += 1;
            } else {
                done += n as usize;
            }
        }
        last_err.map_or(Ok(()), Err)
    }
}

/// The IP address in a peer address the kernel wrote (unspecified for other families).
fn peer_ip(addr: &libc::sockaddr_storage) -> IpAddr {
    match i32::from(addr.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in; sockaddr_storage is
            // large enough and aligned for every socket address type.
            let sin =
                unsafe { &*(addr as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6.
            let sin6 =
                unsafe { &*(addr as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr))
        }
        _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    }
}

/// A `msghdr` with one iovec, a peer address and optional control data.
fn msghdr(
    name: *mut libc::c_void,
    namelen: libc::socklen_t,
    iov: *mut libc::iovec,
    control: *mut libc::c_void,
    controllen: usize,
) -> libc::msghdr {
    // SAFETY: msghdr is a plain C struct; all-zero is valid (no control data, no flags).
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    hdr.msg_name = name;
    hdr.msg_namelen = namelen;
    hdr.msg_iov = iov;
    hdr.msg_iovlen = 1;
    hdr.msg_control = control;
    hdr.msg_controllen = controllen as _;
    hdr
}

/// In the received control messages of `hdr`, sets the interface of an IPv4 `in_pktinfo` to
/// 0, so that echoing it back on send fixes only the source address and lets routing pick the
/// interface. IPv6 keeps its interface (needed for link-local peers).
///
/// # Safety
/// `hdr.msg_control` must point at `hdr.msg_controllen` octets of control messages as the
/// kernel wrote them, writable and aligned for `cmsghdr`.
unsafe fn clear_ipv4_ifindex(hdr: &libc::msghdr) {
    // SAFETY: guaranteed by the caller; the CMSG_* helpers stay inside msg_controllen.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(hdr);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::IPPROTO_IP && (*cmsg).cmsg_type == libc::IP_PKTINFO {
                let info = libc::CMSG_DATA(cmsg).cast::<libc::in_pktinfo>();
                (*info).ipi_ifindex = 0;
            }
            cmsg = libc::CMSG_NXTHDR(hdr, cmsg);
        }
    }
}

/// Asks the kernel for each datagram's destination address (`IP_PKTINFO`/`IPV6_RECVPKTINFO`).
fn enable_pktinfo(socket: &Socket, ipv6: bool) -> io::Result<()> {
    let (level, name) = if ipv6 {
        (libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO)
    } else {
        (libc::IPPROTO_IP, libc::IP_PKTINFO)
    };
    let on: libc::c_int = 1;
    // SAFETY: a valid socket and a pointer to a c_int with its size, as setsockopt(2) wants.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&on as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;

    #[test]
    fn workers_answer_each_datagram_through_the_batch_path() {
        // Handler: echo the query with QR set; drop queries whose first octet is 0xff.
        let server = UdpServer::start_with("127.0.0.1:0".parse().unwrap(), 2, || {
            |q: &[u8], _: IpAddr, out: &mut Vec<u8>| {
                if q.first() == Some(&0xff) {
                    return Outcome::Drop;
                }
                out.clear();
                out.extend_from_slice(q);
                out[2] |= 0x80;
                Outcome::Reply
            }
        })
        .unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        for id in 0..50u8 {
            let q = [id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            client.send_to(&q, server.local_addr).unwrap();
        }
        client.send_to(&[0xff; 12], server.local_addr).unwrap();
        let mut seen = [false; 50];
        let mut buf = [0u8; 512];
        for _ in 0..50 {
            let (n, _) = client.recv_from(&mut buf).unwrap();
            assert_eq!(n, 12);
            assert_eq!(buf[2], 0x80);
            seen[buf[0] as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        client
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        assert!(
            client.recv_from(&mut buf).is_err(),
            "dropped query answered"
        );
        server.stop();
    }

    #[test]
    fn transfers_over_udp_are_refused() {
        let server = UdpServer::start_with("127.0.0.1:0".parse().unwrap(), 1, || {
            |_: &[u8], _: IpAddr, _: &mut Vec<u8>| Outcome::Transfer {
                zone: 0,
                ixfr_serial: None,
                auth: None,
            }
        })
        .unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        q.extend_from_slice(b"\x04test\x00\x00\xfc\x00\x01");
        client.send_to(&q, server.local_addr).unwrap();
        let mut buf = [0u8; 512];
        let (n, _) = client.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..4], &[0x12, 0x34, 0x80, RCODE_REFUSED]);
        assert_eq!(&buf[12..n], &q[12..]);
        server.stop();
    }

    #[test]
    fn a_wildcard_socket_answers_from_the_address_the_query_was_sent_to() {
        // 127.0.0.2: without packet info the kernel would answer from 127.0.0.1.
        for (any, dst) in [("0.0.0.0:0", "127.0.0.2"), ("[::]:0", "::1")] {
            let Ok(server) = UdpServer::start_with(any.parse().unwrap(), 1, || {
                |q: &[u8], _: IpAddr, out: &mut Vec<u8>| {
                    out.clear();
                    out.extend_from_slice(q);
                    Outcome::Reply
                }
            }) else {
                continue; // no IPv6 here
            };
            let to = SocketAddr::new(dst.parse().unwrap(), server.local_addr.port());
            let client = UdpSocket::bind(SocketAddr::new(to.ip(), 0)).unwrap();
            client
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            client.send_to(&[7; 12], to).unwrap();
            let mut buf = [0u8; 64];
            let (n, from) = client.recv_from(&mut buf).unwrap();
            assert_eq!((n, from), (12, to));
            server.stop();
        }
    }
}
