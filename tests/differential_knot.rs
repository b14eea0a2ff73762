//! The same zones served by `knotd` and by `daned`, a few hundred questions through `kdig`,
//! and the responses compared section by section: rcode, AA/TC, answer, authority and
//! additional, ignoring order within a section. Any difference fails the test.
//!
//! The zones hold every shape of answer: delegations with and without glue, DS at a cut,
//! wildcards (also under existing names and empty non-terminals), CNAME chains, loops and
//! dangling targets, DNAME, empty non-terminals, MX/NS/SRV additional data, mixed case.

mod common;

use common::{Daned, Knot, kdig, parse_kdig, require_tool};

const COM: &str = include_str!("data/differential/example.com.zone");
const NET: &str = include_str!("data/differential/example.net.zone");

/// Known, deliberate differences from Knot; empty: daned answers as Knot does.
const ALLOWED: &[(&str, &str)] = &[];

/// Every question of the comparison.
fn questions() -> Vec<(String, &'static str)> {
    let mut names: Vec<String> = Vec::new();
    for (zone, text) in [("example.com.", COM), ("example.net.", NET)] {
        for line in text.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            if first.is_empty() || first.starts_with(';') || first.starts_with('$') {
                continue;
            }
            let name = if first == "@" {
                zone.to_string()
            } else {
                format!("{first}.{zone}")
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    for extra in [
        "nope.example.com.",
        "x.nope.example.com.",
        "c.example.com.",
        "b.c.example.com.",
        "x.a.b.c.example.com.",
        "foo.wild.example.com.",
        "x.y.wild.example.com.",
        "sub2.wild.example.com.",
        "x.host.wild.example.com.",
        "a.cw.example.com.",
        "www.sub.example.com.",
        "a.b.ns.sub.example.com.",
        "x.ext.example.com.",
        "www.d.example.com.",
        "mx2.d.example.com.",
        "a.b.in.example.com.",
        "host.in.example.com.",
        "www.ExAmPlE.CoM.",
        "nothing.example.net.",
        "www.example.org.",
        "org.",
    ] {
        names.push(extra.to_string());
    }
    let types = [
        "A", "AAAA", "MX", "NS", "TXT", "CNAME", "DS", "SOA", "TLSA", "SRV", "CAA", "DNAME",
    ];
    let mut out = Vec::new();
    for n in &names {
        for t in types {
            out.push((n.clone(), t));
        }
    }
    out
}

/// Asks both servers every question (with `flags` on each) and returns the differences.
fn compare(
    knot: u16,
    daned: u16,
    questions: &[(String, &str)],
    flags: &[&[&str]],
) -> (usize, Vec<String>) {
    let mut differences = Vec::new();
    let mut asked = 0;
    for (name, qtype) in questions {
        for extra in flags {
            asked += 1;
            let ask = |port: u16| {
                let p = port.to_string();
                let mut args = vec!["@127.0.0.1", "-p", &p, "+norec"];
                args.extend_from_slice(extra);
                args.extend_from_slice(&[name, qtype]);
                let out = kdig(&args);
                parse_kdig(&out).unwrap_or_else(|| panic!("kdig output unreadable:\n{out}"))
            };
            let k = ask(knot);
            let d = ask(daned);
            if k != d && !ALLOWED.contains(&(name.as_str(), *qtype)) {
                differences.push(format!(
                    "{name} {qtype} {extra:?}\n  knot:  {k:?}\n  daned: {d:?}"
                ));
            }
        }
    }
    (asked, differences)
}

/// Fails with a readable report when there are differences.
fn report(asked: usize, differences: &[String]) {
    assert!(
        differences.is_empty(),
        "{} of {asked} responses differ from Knot's; first ones:\n{}",
        differences.len(),
        differences
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn daned_answers_every_question_as_knot_does() {
    require_tool("kdig");
    let knot = Knot::start(&[("example.com", COM), ("example.net", NET)]);
    let tail = "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\nsign = false\n\n\
                [[zone]]\nname = \"example.net\"\nfile = \"example.net.zone\"\nsign = false\n";
    let daned = Daned::start(
        &[("example.com.zone", COM), ("example.net.zone", NET)],
        tail,
        "example.com",
    );
    let (asked, differences) = compare(
        knot.port,
        daned.port,
        &questions(),
        &[&["+edns"], &["+noedns"]],
    );
    assert!(asked > 600, "too few questions: {asked}");
    report(asked, &differences);
}

/// DNSSEC answers (RFC 4035 section 3.1, RFC 5155 section 7.2): Knot signs the zone, daned
/// serves Knot's signed zone as received by AXFR, and both answer DO=1 questions. The same
/// records on both sides means daned picks the same RRSIGs and the same NSEC/NSEC3 proofs.
fn dnssec_answers_match_knots(nsec3: bool) {
    require_tool("kdig");
    let knot = Knot::start_signed(&[("example.com", COM)], nsec3);
    let axfr = kdig(&[
        "@127.0.0.1",
        "-p",
        &knot.port.to_string(),
        "example.com",
        "AXFR",
        "+nocomments",
        "+nostats",
    ]);
    let signed: String = axfr
        .lines()
        .filter(|l| !l.starts_with(';'))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        signed.contains(if nsec3 { "NSEC3" } else { "NSEC" }),
        "Knot did not sign:\n{signed}"
    );
    let tail = "[[zone]]\nname = \"example.com\"\nfile = \"example.com.zone\"\nsign = false\n";
    let daned = Daned::start(&[("example.com.zone", &signed)], tail, "example.com");
    let mut questions: Vec<(String, &str)> = questions()
        .into_iter()
        .filter(|(n, _)| !n.ends_with("example.net."))
        .collect();
    for t in ["DNSKEY", "NSEC3PARAM", "RRSIG", "CDS", "CDNSKEY"] {
        questions.push(("example.com.".into(), t));
    }
    questions.push(("www.example.com.".into(), "RRSIG"));
    let (asked, differences) = compare(
        knot.port,
        daned.port,
        &questions,
        &[&["+dnssec", "+bufsize=4096"]],
    );
    assert!(asked > 300, "too few questions: {asked}");
    report(asked, &differences);
}

#[test]
fn dnssec_answers_with_nsec3_match_knots() {
    dnssec_answers_match_knots(true);
}

#[test]
fn dnssec_answers_with_nsec_match_knots() {
    dnssec_answers_match_knots(false);
}
