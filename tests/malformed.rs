//! Malformed packets against the real daemon (RFC 1035 section 4.1, RFC 6891): each gets
//! FORMERR, NOTIMP, BADVERS or no answer, and the server keeps answering afterwards. Every
//! loop is bounded in count and time.

mod common;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

use common::Daned;

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\n";

/// A query for `www.example.com A` with the given header tail and extra bytes.
fn query(flags: [u8; 2], counts: [u16; 4], extra: &[u8]) -> Vec<u8> {
    let mut p = vec![0xab, 0xcd, flags[0], flags[1]];
    for c in counts {
        p.extend_from_slice(&c.to_be_bytes());
    }
    p.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
    p.extend_from_slice(extra);
    p
}

/// Sends one datagram and returns the reply's rcode (with extended bits from OPT), or None.
fn ask(sock: &UdpSocket, port: u16, packet: &[u8]) -> Option<u16> {
    sock.send_to(packet, ("127.0.0.1", port)).expect("send");
    let mut buf = [0u8; 4096];
    match sock.recv_from(&mut buf) {
        Ok((n, _)) if n >= 12 => {
            assert_eq!(&buf[..2], &packet[..2], "reply echoes the ID");
            assert!(buf[2] & 0x80 != 0, "reply has QR");
            let mut rcode = u16::from(buf[3] & 0x0f);
            // Extended rcode: the OPT record's TTL high byte, if an OPT is last.
            if n >= 23 && buf[n - 11] == 0 && buf[n - 10..n - 8] == [0, 41] {
                rcode |= u16::from(buf[n - 6]) << 4;
            }
            Some(rcode)
        }
        _ => None,
    }
}

/// The server still answers a plain query.
fn still_serving(sock: &UdpSocket, port: u16) {
    assert_eq!(
        ask(sock, port, &query([1, 0], [1, 0, 0, 0], &[])),
        Some(0),
        "server stopped answering"
    );
}

#[test]
fn malformed_packets_get_formerr_or_silence_and_the_server_keeps_serving() {
    let daned = Daned::start_with_zone("example.com", ZONE, "sign = false", "");
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(400)))
        .unwrap();
    let port = daned.port;
    let opt = |version: u8| vec![0, 0, 41, 4, 0xd0, 0, version, 0, 0, 0, 0];

    let long_name = {
        let mut n = Vec::new();
        for _ in 0..5 {
            n.push(63);
            n.extend_from_slice(&[b'a'; 63]);
        }
        n.push(0);
        n
    };
    let mut cases: Vec<(&str, Vec<u8>, Option<u16>)> = vec![
        ("truncated header", vec![0xab, 0xcd, 1, 0, 0, 1], None),
        (
            "header only, QDCOUNT 1",
            query([1, 0], [1, 0, 0, 0], &[])[..12].to_vec(),
            Some(1),
        ),
        ("QDCOUNT 0", query([1, 0], [0, 0, 0, 0], &[]), Some(1)),
        ("QDCOUNT 2", query([1, 0], [2, 0, 0, 0], &[]), Some(1)),
        (
            "ARCOUNT beyond the data",
            query([1, 0], [1, 0, 0, 3], &[]),
            Some(1),
        ),
        (
            "two OPT records",
            query([1, 0], [1, 0, 0, 2], &[opt(0), opt(0)].concat()),
            Some(1),
        ),
        (
            "EDNS version 1",
            query([1, 0], [1, 0, 0, 1], &opt(1)),
            Some(16),
        ),
        (
            "unknown opcode 3",
            query([0x18, 0], [1, 0, 0, 0], &[]),
            Some(4),
        ),
        ("a response", query([0x81, 0x80], [1, 0, 0, 0], &[]), None),
        (
            "oversized",
            {
                let mut p = query([1, 0], [1, 0, 0, 0], &[]);
                p.resize(65_000, 0xff);
                p
            },
            None,
        ),
    ];
    // Names: a pointer in the question, a pointer loop, a label over 63, a name over 255.
    let mut with_name = |label: &'static str, name: &[u8]| {
        let mut p = vec![0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        p.extend_from_slice(name);
        p.extend_from_slice(&[0, 1, 0, 1]);
        cases.push((label, p, Some(1)));
    };
    with_name("pointer in the question", b"\xc0\x0c");
    with_name("pointer loop", b"\x01a\xc0\x0c");
    with_name(
        "label longer than 63",
        b"\x40aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\x00",
    );
    with_name("name longer than 255", &long_name);

    for (label, packet, expected) in &cases {
        let got = ask(&sock, port, packet);
        match expected {
            Some(rcode) => assert_eq!(got, Some(*rcode), "{label}"),
            // Silence is required for responses and runts; an oversized packet may get either.
            None if *label == "oversized" => {
                assert!(got.is_none() || got == Some(1), "{label}: {got:?}")
            }
            None => assert_eq!(got, None, "{label}: must not be answered"),
        }
        still_serving(&sock, port);
    }

    // Random garbage: bounded count, the server must survive all of it.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..2000 {
        let mut p = query([1, 0], [1, 0, 0, 1], &opt(0));
        for _ in 0..(seed % 5 + 1) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed as usize) % p.len();
            p[i] = (seed >> 24) as u8;
        }
        let _ = sock.send_to(
            &p[..(seed >> 40) as usize % (p.len() + 1)],
            ("127.0.0.1", port),
        );
    }
    let mut drain = [0u8; 4096];
    while sock.recv_from(&mut drain).is_ok() {}
    still_serving(&sock, port);

    // TCP: a length prefix longer than what follows, then close.
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp.write_all(&[0x01, 0x00, 0xab, 0xcd, 1, 0]).unwrap();
    drop(tcp);
    // TCP: a good query still works on a new connection.
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let q = query([1, 0], [1, 0, 0, 0], &[]);
    tcp.write_all(&(q.len() as u16).to_be_bytes()).unwrap();
    tcp.write_all(&q).unwrap();
    let mut len = [0u8; 2];
    tcp.read_exact(&mut len).unwrap();
    let mut reply = vec![0u8; u16::from_be_bytes(len) as usize];
    tcp.read_exact(&mut reply).unwrap();
    assert_eq!(reply[3] & 0x0f, 0, "NOERROR over TCP");
    still_serving(&sock, port);
    assert!(!daned.log().contains("panicked"), "{}", daned.log());
}
