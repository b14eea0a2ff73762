//! The bounded, untimed version of `benches/flood_mix.sh`: a stream of valid queries with
//! malformed packets interleaved (truncated, pointer loops, bogus counts, QR=1, odd opcodes;
//! `benches/support/hostile.rs`), while kdig samples answers. The daemon must survive, never
//! answer a QR=1 packet, and keep answering correctly. Counts are bounded (20,000 valid and
//! 5,000 malformed packets); nothing here is timed.

mod common;

#[path = "../benches/support/hostile.rs"]
mod hostile;

use std::net::UdpSocket;
use std::time::Duration;

use common::Daned;

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\nmx1 A 192.0.2.10\n";

/// Sends `count` packets made by `make(i, buf)` from `source`, counting the replies with
/// `count_reply` until 0.5 s after the last.
fn stream<R: Send + 'static>(
    port: u16,
    source: &str,
    count: u64,
    make: impl Fn(u64, &mut Vec<u8>),
    mut tally: R,
    count_reply: fn(&mut R, &[u8]),
) -> R {
    let sock = UdpSocket::bind((source, 0)).expect("bind sender");
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let receiver = sock.try_clone().unwrap();
    let collect = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((n, _)) = receiver.recv_from(&mut buf) {
            count_reply(&mut tally, &buf[..n]);
        }
        tally
    });
    let mut packet = Vec::new();
    for i in 0..count {
        make(i, &mut packet);
        let _ = sock.send_to(&packet, ("127.0.0.1", port));
        if i % 64 == 63 {
            // Let the single UDP worker keep up: the checks are about answers, not loss.
            std::thread::sleep(Duration::from_micros(500));
        }
    }
    collect.join().expect("receiver")
}

#[test]
fn malformed_packets_in_a_query_stream_never_get_qr1_answered_nor_break_answers() {
    let daned = Daned::start_with_zone("example.com", ZONE, "sign = false", "");
    let port = daned.port;
    let valid = std::thread::spawn(move || {
        let name = b"\x03www\x07example\x03com\x00\x00\x01\x00\x01";
        stream(
            port,
            "127.0.0.1",
            20_000,
            |i, p| {
                p.clear();
                p.extend_from_slice(&(i as u16).to_be_bytes());
                p.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
                p.extend_from_slice(name);
            },
            (0u64, 0u64),
            |(ok, bad), reply| {
                // NOERROR, one answer, 192.0.2.2 last.
                if reply.len() > 16
                    && reply[3] & 0x0f == 0
                    && reply[reply.len() - 4..] == [192, 0, 2, 2]
                {
                    *ok += 1;
                } else {
                    *bad += 1;
                }
            },
        )
    });
    let malformed = std::thread::spawn(move || {
        stream(
            port,
            "127.0.0.9",
            5_000,
            hostile::packet,
            hostile::Replies::default(),
            hostile::Replies::count,
        )
    });
    // Sampled answers from a real client while both streams run.
    for _ in 0..10 {
        // A datagram lost under the flood is retried (kdig says so on a ";;" line); the
        // answer itself must be right.
        let a = daned.kdig(&["+short", "+time=2", "+retry=2", "mx1.example.com", "A"]);
        let answer: Vec<&str> = a.lines().filter(|l| !l.starts_with(";;")).collect();
        assert_eq!(
            answer,
            ["192.0.2.10"],
            "sampled answer during the flood: {a}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (ok, bad) = valid.join().expect("valid stream");
    let replies = malformed.join().expect("malformed stream");

    assert_eq!(
        bad, 0,
        "every valid query that was answered got the right answer"
    );
    assert!(ok > 0, "valid queries were answered");
    assert_eq!(
        replies.to_responses(),
        0,
        "a QR=1 packet was answered: {replies:?}"
    );
    // The counting works: odd opcodes get NOTIMP and bogus counts FORMERR.
    let odd = replies.by_kind[hostile::Kind::OddOpcode.index()];
    let bogus = replies.by_kind[hostile::Kind::BogusCounts.index()];
    assert!(odd > 0 && bogus > 0, "{replies:?}");
    let mut proc = daned;
    assert!(proc.proc.alive(), "daned survived:\n{}", proc.log());
    let a = proc.kdig(&["+short", "www.example.com", "A"]);
    assert_eq!(a.trim(), "192.0.2.2");
    assert!(!proc.log().contains("panicked"), "{}", proc.log());
}
