use super::*;

fn settings(slip: u32) -> Settings {
    Settings {
        rate: 10,
        slip,
        window: 2,
        ipv4_prefix: 24,
        ipv6_prefix: 56,
        exempt: vec!["192.0.2.0/28".parse().unwrap()],
        mode: Mode::Limit,
    }
}

const POSITIVE: Key<'static> = Key {
    class: Class::Positive,
    name: b"\x03www\x07example\x00",
    qtype: 1,
};

/// Decisions for `n` responses of `key` to `peer`, all in one second: (answered, slipped,
/// dropped).
fn burst(rrl: &Rrl, peer: &str, key: &Key<'_>, n: usize) -> (usize, usize, usize) {
    let now = rrl.epoch;
    let mut slips = SlipCounter::default();
    let mut counts = (0, 0, 0);
    for _ in 0..n {
        match rrl.decide(peer.parse().unwrap(), key, now, &mut slips) {
            Decision::Answer => counts.0 += 1,
            Decision::Slip => counts.1 += 1,
            Decision::Drop => counts.2 += 1,
        }
    }
    counts
}

#[test]
fn slip_decides_how_many_limited_responses_are_truncated() {
    assert_eq!(
        burst(&Rrl::new(settings(0)), "198.51.100.7", &POSITIVE, 110),
        (10, 0, 100)
    );
    assert_eq!(
        burst(&Rrl::new(settings(1)), "198.51.100.7", &POSITIVE, 110),
        (10, 100, 0)
    );
    assert_eq!(
        burst(&Rrl::new(settings(2)), "198.51.100.7", &POSITIVE, 110),
        (10, 50, 50)
    );
    assert_eq!(
        burst(&Rrl::new(settings(4)), "198.51.100.7", &POSITIVE, 110),
        (10, 25, 75)
    );
}

#[test]
fn sources_in_one_prefix_share_an_account_and_other_prefixes_do_not() {
    let rrl = Rrl::new(settings(0));
    assert_eq!(burst(&rrl, "198.51.100.7", &POSITIVE, 20).0, 10);
    assert_eq!(
        burst(&rrl, "198.51.100.200", &POSITIVE, 20).0,
        0,
        "same /24"
    );
    assert_eq!(burst(&rrl, "198.51.101.7", &POSITIVE, 20).0, 10, "next /24");
    assert_eq!(burst(&rrl, "2001:db8:0:ff::1", &POSITIVE, 20).0, 10);
    assert_eq!(
        burst(&rrl, "2001:db8:0:1::1", &POSITIVE, 20).0,
        0,
        "same /56"
    );
    // An IPv4-mapped address is the IPv4 client.
    assert_eq!(burst(&rrl, "::ffff:198.51.100.9", &POSITIVE, 20).0, 0);
}

#[test]
fn classes_and_names_have_their_own_accounts_and_case_does_not_matter() {
    let rrl = Rrl::new(settings(0));
    assert_eq!(burst(&rrl, "198.51.100.7", &POSITIVE, 20).0, 10);
    let upper = Key {
        name: b"\x03WWW\x07EXAMPLE\x00",
        ..POSITIVE
    };
    assert_eq!(burst(&rrl, "198.51.100.7", &upper, 20).0, 0);
    let aaaa = Key {
        qtype: 28,
        ..POSITIVE
    };
    assert_eq!(burst(&rrl, "198.51.100.7", &aaaa, 20).0, 10);
    let nx = Key {
        class: Class::Nxdomain,
        name: b"\x07example\x00",
        qtype: 0,
    };
    assert_eq!(burst(&rrl, "198.51.100.7", &nx, 20).0, 10);
}

#[test]
fn exempt_sources_are_always_answered() {
    let rrl = Rrl::new(settings(0));
    assert_eq!(burst(&rrl, "192.0.2.3", &POSITIVE, 1000), (1000, 0, 0));
    assert_eq!(burst(&rrl, "192.0.2.30", &POSITIVE, 1000).0, 10);
}

#[test]
fn log_only_answers_everything() {
    let rrl = Rrl::new(Settings {
        mode: Mode::LogOnly,
        ..settings(2)
    });
    assert_eq!(burst(&rrl, "198.51.100.7", &POSITIVE, 1000), (1000, 0, 0));
}

#[test]
fn a_slip_keeps_header_flags_and_question_and_sets_tc() {
    // Response: ID, QR AA RD, RA NXDOMAIN, 1 question, 0 answers, 1 authority, 1 additional.
    let mut r = vec![0xab, 0xcd, 0x85, 0x83, 0, 1, 0, 0, 0, 1, 0, 1];
    r.extend_from_slice(b"\x01x\x07example\x00\x00\x01\x00\x01");
    let question_end = r.len();
    r.extend_from_slice(&[0xc0, 0x0e, 0, 6, 0, 1, 0, 0, 0, 60, 0, 0]);
    slip(&mut r);
    assert_eq!(r.len(), question_end);
    assert_eq!(&r[..12], &[0xab, 0xcd, 0x87, 0x83, 0, 1, 0, 0, 0, 0, 0, 0]);
    let mut runt = vec![1, 2, 3];
    slip(&mut runt);
    assert_eq!(runt, [1, 2, 3]);
}
