//! Response rate limiting against the real daemon, tested as Knot's RRL suite does: bursts
//! from one source for 2 s, counting full, truncated and dropped answers for each `slip`,
//! checked against the rate. Exempt sources and TCP clients are untouched, `log_only`
//! answers everything, and classes have their own accounts. A small UDP sender on loopback;
//! every burst is bounded in count (1,000 queries) and time (2 s plus 0.5 s for late replies).

mod common;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::Daned;

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\nmail A 192.0.2.3\n*.wild TXT \"wildcard\"\n";

/// The rate every test configures.
const RATE: usize = 20;
/// Queries per burst: 500 a second for 2 s.
const BURST: usize = 1000;
/// Time between two queries of a burst.
const PACE: Duration = Duration::from_millis(2);

/// Starts daned with `[server.rrl]` holding `rrl` (and rate 20, /32 sources, so that each
/// 127.0.0.x address is its own source).
fn daned(rrl: &str) -> Daned {
    let extra = format!("[server.rrl]\nrate = {RATE}\nipv4_prefix = 32\nwindow = \"2s\"\n{rrl}\n");
    Daned::start_with_zone("example.com", ZONE, "sign = false", &extra)
}

/// Counts of one burst.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    sent: usize,
    /// Full answers (TC clear).
    replied: usize,
    /// Slips (TC set, AA kept, no records).
    truncated: usize,
    /// No reply at all.
    dropped: usize,
}

/// A query with ID `id` for `name` (dotted, relative names not allowed) and `qtype`.
fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    q
}

/// Sends `count` queries (the `i`-th for `name(i)`) from `source` at [`PACE`], for at most
/// 2 s, and counts the replies that arrive up to 0.5 s after the last query.
fn burst(
    port: u16,
    source: &str,
    count: usize,
    name: impl Fn(usize) -> String,
    qtype: u16,
) -> Counts {
    let sock = UdpSocket::bind((source, 0)).expect("bind sender");
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let receiver = sock.try_clone().unwrap();
    let collect = std::thread::spawn(move || {
        let mut seen = vec![false; count];
        let mut counts = Counts::default();
        let mut buf = [0u8; 4096];
        // Ends 0.5 s after the last datagram, and at most after 5 s.
        let started = Instant::now();
        while let Ok((n, _)) = receiver.recv_from(&mut buf) {
            assert!(n >= 12, "runt reply");
            let id = usize::from(u16::from_be_bytes([buf[0], buf[1]]));
            assert!(id < count && !seen[id], "unexpected or repeated ID {id}");
            seen[id] = true;
            assert!(buf[2] & 0x84 == 0x84, "QR and AA set");
            let ancount = u16::from_be_bytes([buf[6], buf[7]]);
            if buf[2] & 0x02 != 0 {
                assert_eq!(&buf[6..12], &[0; 6], "a slip carries no records");
                counts.truncated += 1;
            } else {
                let nscount = u16::from_be_bytes([buf[8], buf[9]]);
                assert!(ancount + nscount > 0, "a full answer has records");
                counts.replied += 1;
            }
            if started.elapsed() > Duration::from_secs(5) {
                break;
            }
        }
        counts
    });
    let started = Instant::now();
    let mut sent = 0;
    for i in 0..count {
        if started.elapsed() >= Duration::from_secs(2) {
            break;
        }
        sock.send_to(&query(i as u16, &name(i), qtype), ("127.0.0.1", port))
            .expect("send");
        sent += 1;
        let due = PACE * (i as u32 + 1);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            sleep(wait);
        }
    }
    let mut counts = collect.join().expect("receiver");
    counts.sent = sent;
    counts.dropped = sent - counts.replied - counts.truncated;
    counts
}

fn www(_: usize) -> String {
    "www.example.com".into()
}

/// A flood of one query is answered `RATE` times: the account starts with one second of
/// credit, then runs into debt (down to -rate × window) that the flood keeps it in.
fn assert_rate(c: &Counts) {
    assert!(c.sent >= 500, "the sender kept its pace: {c:?}");
    assert!(
        (RATE..=RATE + 2).contains(&c.replied),
        "answered {} of a flood, rate {RATE}: {c:?}",
        c.replied
    );
}

#[test]
fn slip_2_truncates_every_second_limited_answer_and_drops_the_rest() {
    let d = daned("slip = 2");
    let c = burst(d.port, "127.0.0.2", BURST, www, 1);
    assert_rate(&c);
    let limited = c.sent - c.replied;
    assert!(
        c.truncated.abs_diff(limited / 2) <= 2,
        "half the limited answers slip: {c:?}"
    );
    let log = d.log();
    assert!(
        log.contains("response rate limiting started")
            && log.contains("127.0.0.2/32")
            && log.contains("positive"),
        "limiting start logged:\n{log}"
    );
    assert_eq!(
        log.matches("response rate limiting started").count(),
        1,
        "one line for one account's flood"
    );
}

#[test]
fn slip_1_truncates_every_limited_answer() {
    let d = daned("slip = 1");
    let c = burst(d.port, "127.0.0.2", BURST, www, 1);
    assert_rate(&c);
    assert_eq!(c.truncated, c.sent - c.replied, "{c:?}");
    assert_eq!(c.dropped, 0, "{c:?}");
}

#[test]
fn slip_0_drops_every_limited_answer_and_the_source_recovers_after_the_window() {
    let d = daned("slip = 0");
    let c = burst(d.port, "127.0.0.2", BURST, www, 1);
    assert_rate(&c);
    assert_eq!(c.truncated, 0, "{c:?}");
    assert_eq!(c.dropped, c.sent - c.replied, "{c:?}");
    // Right after the flood the account is still in debt (window 2 s).
    let after = burst(d.port, "127.0.0.2", 1, www, 1);
    assert_eq!(
        after.dropped, 1,
        "still limited right after the flood: {after:?}"
    );
    // After the window (plus a second of clock granularity) it is answered again.
    sleep(Duration::from_millis(3500));
    let later = burst(d.port, "127.0.0.2", 5, www, 1);
    assert_eq!(
        later.replied, 5,
        "answered again after the window: {later:?}"
    );
}

#[test]
fn exempt_and_tcp_clients_are_never_limited() {
    let d = daned("slip = 0\nexempt = [\"127.0.0.3\"]");
    // The exempt source floods and gets every answer.
    let c = burst(d.port, "127.0.0.3", BURST, www, 1);
    assert_eq!((c.replied, c.dropped), (c.sent, 0), "exempt: {c:?}");
    // Another source floods and is limited...
    let limited = burst(d.port, "127.0.0.2", 300, www, 1);
    assert_rate(&Counts {
        sent: 500,
        ..limited
    });
    // ...but over TCP the same source gets 200 full answers for the same question.
    let mut tcp = TcpStream::connect(("127.0.0.1", d.port)).expect("tcp");
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for id in 0..200u16 {
        let q = query(id, "www.example.com", 1);
        tcp.write_all(&(q.len() as u16).to_be_bytes()).unwrap();
        tcp.write_all(&q).unwrap();
    }
    for id in 0..200u16 {
        let mut len = [0u8; 2];
        tcp.read_exact(&mut len).expect("tcp answer");
        let mut msg = vec![0; usize::from(u16::from_be_bytes(len))];
        tcp.read_exact(&mut msg).expect("tcp answer");
        assert_eq!(u16::from_be_bytes([msg[0], msg[1]]), id);
        assert_eq!(msg[2] & 0x02, 0, "TCP answers are never truncated");
        assert_eq!(&msg[6..8], &[0, 1], "one answer record");
    }
}

#[test]
fn log_only_answers_everything_and_logs_that_it_would_limit() {
    let d = daned("log_only = true");
    let c = burst(d.port, "127.0.0.2", BURST, www, 1);
    assert_eq!((c.replied, c.truncated, c.dropped), (c.sent, 0, 0), "{c:?}");
    let log = d.log();
    assert!(
        log.contains("response rate limiting started") && log.contains("log_only=true"),
        "{log}"
    );
}

#[test]
fn classes_are_independent_and_random_names_share_their_zone_or_wildcard_account() {
    let d = daned("slip = 0");
    // NXDOMAIN for 1,000 different names is one account per zone: limited at the rate.
    let nx = burst(
        d.port,
        "127.0.0.2",
        BURST,
        |i| format!("nx{i}.example.com"),
        1,
    );
    assert_rate(&nx);
    // Random names under a wildcard are one account per wildcard.
    let wild = burst(
        d.port,
        "127.0.0.2",
        BURST,
        |i| format!("w{i}.wild.example.com"),
        16,
    );
    assert_rate(&wild);
    // NODATA is per zone too, and its own class.
    let nodata = burst(d.port, "127.0.0.2", 200, |_| "mail.example.com".into(), 28);
    assert_eq!(nodata.replied, RATE, "{nodata:?}");
    // Meanwhile positive answers from the same source are untouched.
    let www = burst(d.port, "127.0.0.2", 10, www, 1);
    assert_eq!(www.replied, 10, "{www:?}");
    let mail = burst(d.port, "127.0.0.2", 10, |_| "mail.example.com".into(), 1);
    assert_eq!(mail.replied, 10, "{mail:?}");
    // One line per warning interval (10 s): the first account limited is the one logged.
    let log = d.log();
    assert!(
        log.contains(
            "response rate limiting started source=127.0.0.2/32 class=nxdomain name=example.com."
        ),
        "{log}"
    );
}
