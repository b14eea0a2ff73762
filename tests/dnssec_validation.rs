//! DNSSEC checked by validators nobody here wrote (RFC 4035 section 3, RFC 5155 section 7.2):
//! the signed zone as served by `daned` passes `ldns-verify-zone` and `dnssec-verify` after an
//! AXFR, and `unbound` (validating, with the DS from `daned ds` as its only trust anchor) and
//! `delv` set or report "validated" on positive, NXDOMAIN, NODATA, wildcard, empty
//! non-terminal and delegation answers. Run for NSEC3 (the default) and for NSEC.

mod common;

use std::fs;

use common::{Daned, Unbound, kdig, ldns_verify_axfr, require_tool, run_ok};

/// One query through the validating resolver and the rcode it must give.
const CASES: &[(&str, &str, &str)] = &[
    ("www.example.com", "A", "NOERROR"),
    ("example.com", "MX", "NOERROR"),
    ("_25._tcp.mx1.example.com", "TLSA", "NOERROR"),
    ("alias.example.com", "A", "NOERROR"),
    ("nope.example.com", "A", "NXDOMAIN"),
    ("deep.nope.example.com", "AAAA", "NXDOMAIN"),
    ("www.example.com", "MX", "NOERROR"),
    ("c.example.com", "A", "NOERROR"),
    ("b.c.example.com", "TXT", "NOERROR"),
    ("anything.wild.example.com", "TXT", "NOERROR"),
    ("anything.wild.example.com", "A", "NOERROR"),
    ("secure.example.com", "DS", "NOERROR"),
    ("insecure.example.com", "DS", "NOERROR"),
];

fn validate(denial: &str) {
    for tool in [
        "kdig",
        "unbound",
        "ldns-verify-zone",
        "dnssec-verify",
        "delv",
    ] {
        require_tool(tool);
    }
    let policy = format!("[policy.default]\ndenial = \"{denial}\"\n");
    let daned = Daned::start_with_zone(
        "example.com",
        include_str!("data/dnssec/example.com.zone"),
        "sign = true",
        &policy,
    );

    // The zone as a secondary would receive it.
    let zone_file = ldns_verify_axfr(daned.port, "example.com", daned.dir.path());
    run_ok(
        "dnssec-verify",
        &["-z", "-o", "example.com", zone_file.to_str().unwrap()],
    );

    // The trust anchor exactly as an operator would hand it to the parent.
    let ds = daned.cli(&["ds", "-c", daned.config.to_str().unwrap(), "example.com"]);
    assert!(ds.contains(" DS "), "daned ds printed no DS: {ds}");
    let unbound = Unbound::start(&daned.dir, "example.com", daned.port, ds.trim());
    for (name, qtype, rcode) in CASES {
        let out = kdig(&[
            "@127.0.0.1",
            "-p",
            &unbound.port.to_string(),
            name,
            qtype,
            "+dnssec",
            "+time=5",
            "+retry=0",
        ]);
        assert!(
            out.contains(&format!("status: {rcode}")),
            "{denial}: {name} {qtype}: want {rcode}\n{out}\n{}",
            unbound.log()
        );
        let flags = out
            .lines()
            .find(|l| l.contains("Flags:") || l.contains("flags:"))
            .unwrap_or("");
        assert!(
            flags.contains(" ad"),
            "{denial}: {name} {qtype} not validated (no AD)\n{out}\n{}",
            unbound.log()
        );
    }

    // delv validates by itself against the same anchor.
    let (tag, alg, digest_type, digest) = {
        let f: Vec<&str> = ds.split_whitespace().collect();
        let i = f.iter().position(|x| *x == "DS").expect("DS line");
        (f[i + 1], f[i + 2], f[i + 3], f[i + 4..].join(""))
    };
    let anchors = daned.dir.path().join("anchors.conf");
    fs::write(
        &anchors,
        format!("trust-anchors {{ \"example.com.\" static-ds {tag} {alg} {digest_type} \"{digest}\"; }};\n"),
    )
    .unwrap();
    for (name, qtype) in [
        ("www.example.com", "A"),
        ("nope.example.com", "A"),
        ("x.wild.example.com", "TXT"),
    ] {
        let out = common::run(
            "delv",
            &[
                "@127.0.0.1",
                "-p",
                &daned.port.to_string(),
                "-a",
                anchors.to_str().unwrap(),
                "+root=example.com",
                name,
                qtype,
            ],
        );
        assert!(
            out.contains("fully validated") || out.contains("negative response, fully validated"),
            "{denial}: delv did not validate {name} {qtype}:\n{out}"
        );
    }
}

#[test]
fn an_nsec3_signed_zone_validates_in_unbound_delv_ldns_and_bind() {
    validate("nsec3");
}

#[test]
fn an_nsec_signed_zone_validates_in_unbound_delv_ldns_and_bind() {
    validate("nsec");
}
