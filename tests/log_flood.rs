//! Logs under a flood: warnings a peer triggers with every packet (a failed TSIG check, a
//! refused transfer) are written once per interval with the count suppressed, and a TSIG key
//! name from the wire is escaped (`\DDD`), so a label holding a newline cannot forge a line.

mod common;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use common::Daned;

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n";

/// daned serving `example.com`, transfers allowed only from an address the tests are not on.
fn daned() -> Daned {
    Daned::start(
        &[("example.com.zone", ZONE)],
        "[[tsig_key]]\nname = \"sec1\"\nsecret = \"270Ly/kcRrg/fZ+laoBQmMSKt96fmAQ6hh+Y91K4P8k=\"\n\n\
         [[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\n\
         allow_transfer = [\"192.0.2.0/24\"]\n",
        "example.com",
    )
}

/// A query `example.com. <qtype>` with message ID `id`.
fn query(id: u16, qtype: u16) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    q.extend_from_slice(b"\x07example\x03com\x00");
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    q
}

/// A SOA query "signed" with key `key_wire` (an unknown key, a MAC of zeros): BADKEY.
fn bad_tsig_query(id: u16, key_wire: &[u8]) -> Vec<u8> {
    let mut q = query(id, 6);
    q[11] = 1; // ARCOUNT
    q.extend_from_slice(key_wire);
    q.extend_from_slice(&[0, 250, 0, 255, 0, 0, 0, 0]); // TSIG ANY TTL 0
    let alg = b"\x0bhmac-sha256\x00";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut rdata = alg.to_vec();
    rdata.extend_from_slice(&now.to_be_bytes()[2..]);
    rdata.extend_from_slice(&300u16.to_be_bytes());
    rdata.extend_from_slice(&32u16.to_be_bytes());
    rdata.extend_from_slice(&[0; 32]);
    rdata.extend_from_slice(&id.to_be_bytes());
    rdata.extend_from_slice(&[0, 0, 0, 0]); // error, other len
    q.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    q.extend_from_slice(&rdata);
    q
}

fn count(log: &str, what: &str) -> usize {
    log.lines().filter(|l| l.contains(what)).count()
}

#[test]
fn bad_tsig_packets_write_a_bounded_log_with_the_key_name_escaped() {
    let daned = daned();
    let before = daned.log().lines().count();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.connect(("127.0.0.1", daned.port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    // The key name `evil\nforged 2099-01-01T00:00:00Z ERROR` holds a newline in its first label.
    let key = b"\x0bevil\nforged\x1a2099-01-01T00:00:00Z ERROR\x00";
    let started = Instant::now();
    let mut answered = 0;
    let mut buf = [0u8; 4096];
    for i in 0..5000u16 {
        sock.send(&bad_tsig_query(i, key)).unwrap();
        // Read what has come back so far, so that the socket buffer does not overflow.
        if i % 100 == 99 {
            sock.set_nonblocking(true).unwrap();
            while sock.recv(&mut buf).is_ok() {
                answered += 1;
            }
            sock.set_nonblocking(false).unwrap();
        }
    }
    while let Ok(n) = sock.recv(&mut buf) {
        answered += 1;
        assert_eq!(
            buf[3] & 0x0f,
            9,
            "NOTAUTH for a TSIG that does not verify ({n} octets)"
        );
    }
    assert!(
        answered > 1000,
        "only {answered} of 5000 bad packets answered"
    );
    let log = daned.log();
    let added = log.lines().count() - before;
    let failed = count(&log, "TSIG check failed");
    assert!(
        started.elapsed() < Duration::from_secs(10) && (1..=2).contains(&failed) && added <= 5,
        "{answered} bad packets answered in {:?} wrote {added} lines, {failed} of them TSIG \
         failures:\n{log}",
        started.elapsed()
    );
    let line = log
        .lines()
        .find(|l| l.contains("TSIG check failed"))
        .unwrap_or_default();
    assert!(
        // (TSIG key names compare case-insensitively; daned keeps them in lowercase.)
        line.contains("key=evil\\010forged.2099-01-01t00:00:00z\\032error. "),
        "the key name must appear escaped on the warning's line:\n{log}"
    );
    assert!(
        !log.lines().any(|l| l.starts_with("forged")),
        "a forged line:\n{log}"
    );

    // After the interval the next failure is written with the count suppressed meanwhile.
    std::thread::sleep(Duration::from_millis(10_500).saturating_sub(started.elapsed()));
    sock.send(&bad_tsig_query(1, key)).unwrap();
    assert!(sock.recv(&mut buf).is_ok(), "no answer after the interval");
    let log = daned.log();
    let suppressed = log
        .lines()
        .filter(|l| l.contains("TSIG check failed"))
        .filter_map(|l| l.split("suppressed=").nth(1))
        .filter_map(|rest| rest.split(' ').next()?.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    assert!(
        suppressed >= answered as u64 - 1,
        "the line after the interval must count the {answered} failures suppressed:\n{log}"
    );
}

#[test]
fn pipelined_refused_transfers_write_one_line() {
    let daned = daned();
    let mut conn = TcpStream::connect(("127.0.0.1", daned.port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    const N: usize = 20_000;
    let mut reader = conn.try_clone().unwrap();
    // Read the answers while writing, or both sides stall on full buffers.
    let refused = std::thread::spawn(move || {
        let mut refused = 0;
        let mut len = [0u8; 2];
        for _ in 0..N {
            if reader.read_exact(&mut len).is_err() {
                break;
            }
            let mut msg = vec![0; usize::from(u16::from_be_bytes(len))];
            if reader.read_exact(&mut msg).is_err() {
                break;
            }
            if msg.get(3).is_some_and(|b| b & 0x0f == 5) {
                refused += 1;
            }
        }
        refused
    });
    let mut batch = Vec::new();
    for i in 0..N {
        let q = query(i as u16, 252);
        batch.extend_from_slice(&(q.len() as u16).to_be_bytes());
        batch.extend_from_slice(&q);
    }
    conn.write_all(&batch).unwrap();
    let refused = refused.join().unwrap();
    assert_eq!(refused, N, "every unsigned AXFR is REFUSED");
    let log = daned.log();
    assert_eq!(
        count(&log, "transfer refused"),
        1,
        "{N} refused transfers in a row are one line:\n{log}"
    );
}
