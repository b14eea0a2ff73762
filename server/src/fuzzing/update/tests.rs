//! The seeds reach what they are for: accepted updates, each prerequisite's RCODE, and the
//! refusals of protected records; and the front answers a signed seed with the decided RCODE.

use super::seeds::requests_for_tests;
use super::*;

/// The RCODE the pure path gives request `i` (0-based) signed with `key`.
fn rcode(i: usize, key: &str) -> Rcode {
    let message = message::parse(&requests_for_tests()[i]).expect("seed parses");
    decide(&message, key)
}

#[test]
fn the_signed_test_zones_pass_the_checks() {
    for zone in signed_zones() {
        zones::check::check(zone, None).expect("signed test zone");
    }
}

#[test]
fn the_acme_key_adds_and_deletes_its_txt_and_nothing_else() {
    for i in 0..=3 {
        assert_eq!(rcode(i, ACME_KEY), Rcode::NoError, "request {}", i + 1);
    }
    assert_eq!(rcode(4, ACME_KEY), Rcode::Refused, "_dmarc is not granted");
    assert_eq!(rcode(17, ACME_KEY), Rcode::Refused, "an A is not granted");
    assert_eq!(rcode(0, "legacy.key"), Rcode::Refused, "no grant at all");
}

#[test]
fn each_prerequisite_form_holds_or_fails_with_its_rcode() {
    let want = [
        (5, Rcode::NoError),
        (6, Rcode::NoError),
        (7, Rcode::NoError),
        (8, Rcode::NoError),
        (9, Rcode::NoError),
        (10, Rcode::NxDomain),
        (11, Rcode::NxRrset),
        (12, Rcode::YxDomain),
        (13, Rcode::YxRrset),
        (14, Rcode::NxRrset),
    ];
    for (i, rcode_wanted) in want {
        assert_eq!(rcode(i, ADMIN_KEY), rcode_wanted, "request {}", i + 1);
    }
}

#[test]
fn protected_records_are_refused_even_to_the_admin_grant() {
    for i in 22..=27 {
        assert_eq!(rcode(i, ADMIN_KEY), Rcode::Refused, "request {}", i + 1);
    }
    assert_eq!(rcode(29, ADMIN_KEY), Rcode::NotZone);
    assert_eq!(rcode(30, ADMIN_KEY), Rcode::NotAuth);
    assert_eq!(
        rcode(31, ADMIN_KEY),
        Rcode::Refused,
        "NSEC in the NSEC zone"
    );
    assert_eq!(rcode(32, ADMIN_KEY), Rcode::FormErr, "a TTL on a delete");
}

#[test]
fn the_front_answers_a_signed_update_with_the_decided_rcode() {
    let keys = crate::fuzzing::tsig::keys();
    let mut packet = requests_for_tests()[0].clone();
    ResponseSigner::for_request(&keys[0], 1, unix_now()).sign(&mut packet);
    let _inbox = inbox();
    let mut out = Vec::new();
    // `through_front` asserts the reply carries the decided RCODE; here it must be NOERROR.
    through_front(&packet);
    let mut guard = inbox().lock().unwrap_or_else(|e| e.into_inner());
    let pending = front::prepare(&packet, &mut out).expect("handed to the control loop");
    let job = guard.try_recv().expect("a job in the inbox");
    assert_eq!(job.key, ACME_KEY);
    job.reply
        .send(decide(&job.message, &job.key))
        .expect("front waits");
    assert!(pending.wait_blocking(&mut out));
    assert_eq!(out[3] & 0x0f, 0, "NOERROR");
}

#[test]
fn every_seed_runs_through_the_front_and_the_pure_path() {
    for seed in seeds() {
        run(&seed);
    }
}

#[test]
fn adds_that_keep_the_zone_whole_pass_and_those_that_break_it_are_refused() {
    // An A and an MX, a CNAME at a new name, a DS at the insecure delegation, an A beside a
    // CNAME (ignored, RFC 2136 section 3.4.2.2).
    for i in [17, 18, 19, 21] {
        assert_eq!(rcode(i, ADMIN_KEY), Rcode::NoError, "request {}", i + 1);
    }
    // A DNAME above existing data, a delegation without its glue (BreaksZone).
    for i in [20, 28] {
        assert_eq!(rcode(i, ADMIN_KEY), Rcode::Refused, "request {}", i + 1);
    }
}
