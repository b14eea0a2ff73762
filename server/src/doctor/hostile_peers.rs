//! `daned doctor` against hostile peers (issue 16), servers written here on loopback: a
//! resolver that never answers, one that truncates and then dribbles its TCP answer, one that
//! sends answers for another ID or question and compression loops, endless TC, 30 silent MX
//! hosts, a 1,000-record TLSA set. Each run ends within `--timeout` per step and `--deadline`
//! as a whole, with "could not check" (not 5.7.324) where no usable answer came.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::serialize::binary::BinEncodable;
use signer::{SigningKey, Timestamp};

use super::test_server::{Canned, apex, name, rrset, runtime, server, signed};
use super::*;
use crate::net::test_responder::{TcpHandler, UdpHandler, framed, reply, serve, silent_udp};

/// Runs the doctor for `mail.test.` against `resolver` with the anchor `anchor` (a DNSKEY
/// line), `timeout` and `deadline`; the report and how long it took.
fn doctor(
    resolver: SocketAddr,
    anchor: &str,
    port: u16,
    timeout: u64,
    deadline: u64,
) -> (Report, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anchor");
    std::fs::write(&path, anchor).unwrap();
    let start = Instant::now();
    let report = run(&DoctorOptions {
        domain: name("mail.test."),
        trust_anchor: Some(path),
        resolver: Some(resolver),
        port,
        timeout: Duration::from_secs(timeout),
        deadline: Duration::from_secs(deadline),
        mail: Default::default(),
    })
    .unwrap();
    (report, start.elapsed())
}

/// An anchor for `mail.test.` (any key: these resolvers never get as far as checking it).
const SOME_ANCHOR: &str =
    "mail.test. IN DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=\n";

/// Asserts that the report's one failure is "could not check" mentioning `what`.
fn assert_could_not_check(report: &Report, what: &str) {
    let f = report.failure.as_ref().expect("a failure");
    assert_eq!(f.code, Code::CouldNotCheck, "{}", report.to_text());
    assert!(f.reason.contains(what), "{}", report.to_text());
    assert!(report.to_text().contains("result: could not check"));
    assert!(report.to_json().contains("\"could-not-check\""));
    assert!(!report.to_json().contains("5.7.324"));
}

#[test]
fn a_resolver_that_never_answers_is_could_not_check_within_the_timeout() {
    let rt = runtime();
    let addr = rt.block_on(serve(silent_udp(), Arc::new(|_| Vec::new()), None));
    let (report, took) = doctor(addr, SOME_ANCHOR, 25, 1, 10);
    assert_could_not_check(&report, "no response within 1s");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

/// A UDP handler that answers every query with TC set.
fn truncating_udp() -> UdpHandler {
    Arc::new(|q| {
        vec![reply(q, |r| {
            r.metadata.truncation = true;
        })]
    })
}

#[test]
fn tc_then_a_tcp_answer_announcing_65535_octets_dribbled_every_1_5_s_stops_at_the_timeout() {
    let rt = runtime();
    let tcp: TcpHandler = Arc::new(|_| {
        let mut out = vec![0xff, 0xff];
        out.extend_from_slice(&[0; 100]);
        out
    });
    let addr = rt.block_on(serve(
        truncating_udp(),
        tcp,
        Some(Duration::from_millis(1500)),
    ));
    let (report, took) = doctor(addr, SOME_ANCHOR, 25, 2, 20);
    assert_could_not_check(&report, "no response within 2s");
    assert!(took < Duration::from_secs(4), "{took:?}");
}

#[test]
fn endless_tc_is_could_not_check() {
    let rt = runtime();
    let tcp: TcpHandler = Arc::new(|q| {
        framed(&reply(q, |r| {
            r.metadata.truncation = true;
        }))
    });
    let addr = rt.block_on(serve(truncating_udp(), tcp, None));
    let (report, took) = doctor(addr, SOME_ANCHOR, 25, 2, 20);
    assert_could_not_check(&report, "truncated");
    assert!(took < Duration::from_secs(4), "{took:?}");
}

#[test]
fn answers_for_another_id_or_question_and_compression_loops_are_could_not_check() {
    let rt = runtime();
    let udp: UdpHandler = Arc::new(|q| {
        let mut other_id = reply(q, |_| {});
        other_id[0] ^= 0xff;
        let other_question = reply(q, |r| {
            r.queries[0].set_name(name("other.test."));
        });
        // Our ID and question, then one answer record whose owner points at itself.
        let mut looped = reply(q, |_| {});
        looped[7] = 1;
        let here = looped.len();
        looped.extend_from_slice(&[0xc0 | (here >> 8) as u8, here as u8]);
        looped.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
        vec![other_id, other_question, looped]
    });
    let addr = rt.block_on(serve(udp, Arc::new(|_| Vec::new()), None));
    let (report, took) = doctor(addr, SOME_ANCHOR, 25, 1, 10);
    assert_could_not_check(&report, "malformed");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

/// `mail.test.` signed, with `hosts` MX hosts at 127.0.0.1, each with `tlsa` TLSA records at
/// `_PORT._tcp` and no AAAA (a signed NSEC NODATA); the served zone and the anchor line.
fn mail_zone(
    hosts: usize,
    tlsa: usize,
    port: u16,
    now: Timestamp,
) -> (HashMap<(String, u16), Canned>, String) {
    let zone = name("mail.test.");
    let (ksk, dnskeys, _) = apex(&zone, &[], now);
    let mut served = HashMap::new();
    let mut add = |owner: &Name, rtype: Rtype, records: Vec<(Name, Rtype, Vec<u8>)>, nx: bool| {
        let canned = if nx {
            Canned {
                authority: records,
                ..Canned::default()
            }
        } else {
            Canned {
                answer: records,
                ..Canned::default()
            }
        };
        served.insert((owner.to_string(), u16::from(rtype)), canned);
    };
    add(&zone, Rtype::DNSKEY, dnskeys.answer, false);
    let host = |i: usize| name(&format!("mx{i}.mail.test."));
    let mx: Vec<Vec<u8>> = (0..hosts)
        .map(|i| [vec![0, 10], host(i).to_bytes().unwrap()].concat())
        .collect();
    add(
        &zone,
        Rtype::MX,
        signed(&rrset(&zone, Rtype::MX, &mx), &zone, &ksk, now),
        false,
    );
    for i in 0..hosts {
        let h = host(i);
        let a = rrset(&h, Rtype::A, &[vec![127, 0, 0, 1]]);
        add(&h, Rtype::A, signed(&a, &zone, &ksk, now), false);
        // NSEC at the host: A RRSIG NSEC, next the apex.
        let nsec = [zone.to_bytes().unwrap(), vec![0, 6, 0x40, 0, 0, 0, 0, 0x03]].concat();
        let nsec = rrset(&h, Rtype::NSEC, &[nsec]);
        add(&h, Rtype::AAAA, signed(&nsec, &zone, &ksk, now), true);
        let records: Vec<Vec<u8>> = (0..tlsa as u32)
            .map(|j| [vec![3, 1, 1], j.to_be_bytes().repeat(8)].concat())
            .collect();
        let t = name(&format!("_{port}._tcp.mx{i}.mail.test."));
        let set = rrset(&t, Rtype::TLSA, &records);
        add(&t, Rtype::TLSA, signed(&set, &zone, &ksk, now), false);
    }
    let key = data_encoding::BASE64.encode(ksk.public_key());
    (served, format!("mail.test. IN DNSKEY 257 3 15 {key}\n"))
}

#[test]
fn thirty_silent_mx_hosts_are_capped_and_the_deadline_ends_the_check() {
    let rt = runtime();
    // An SMTP port that accepts and never says a word (connections held until the end).
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    let (served, anchor) = mail_zone(30, 1, port, crate::clock::now());
    let addr = server(&rt, served);
    let (report, took) = doctor(addr, &anchor, port, 1, 3);
    let text = report.to_text();
    assert!(took < Duration::from_secs(6), "{took:?}\n{text}");
    assert!(report.hosts.len() <= 4, "{text}");
    assert!(!report.hosts.is_empty(), "{text}");
    assert_eq!(
        report.hosts[0].failure.as_ref().unwrap().code,
        Code::NoConnection,
        "{text}"
    );
    assert!(text.contains("30 MX hosts: only the first 10"), "{text}");
    assert!(
        text.contains("deadline (3s) passed: not checked: mx"),
        "{text}"
    );
    assert!(!report.delivers());
}

#[test]
fn a_1000_record_tlsa_set_is_checked_and_reported() {
    let rt = runtime();
    // No SMTP server: the port is closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (served, anchor) = mail_zone(1, 1000, port, crate::clock::now());
    let addr = server(&rt, served);
    let (report, took) = doctor(addr, &anchor, port, 2, 20);
    let text = report.to_text();
    assert!(took < Duration::from_secs(4), "{took:?}\n{text}");
    let host = &report.hosts[0];
    assert!(host.dane, "{text}");
    assert!(
        host.passed
            .iter()
            .any(|p| p.what.contains("(DNSSEC valid)") && p.what.starts_with("TLSA")),
        "{text}"
    );
    assert_eq!(
        host.failure.as_ref().unwrap().code,
        Code::NoConnection,
        "{text}"
    );
}
