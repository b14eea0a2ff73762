//! `daned` without a verb: a demo that serves a small mail domain, `example.test` (RFC 6761
//! reserves `.test`), built in memory and signed with throw-away keys in a temporary folder.
//!
//! Its configuration is parsed from a few lines of TOML, so every setting it leaves out has
//! the same default as in a `daned serve` configuration.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use signer::ds::DigestType;
use zones::{Class, Name, Record, Rtype, Ttl, Zone};

use crate::config::Config;
use crate::daemon::{self, ServeOptions, ZoneDriver, signing};

/// Serves the demo zone on `listen` (the configuration's default addresses when empty) until
/// interrupted, after printing commands to try and the trust anchor.
pub fn execute(listen: Vec<SocketAddr>) -> anyhow::Result<ExitCode> {
    let state_dir = std::env::temp_dir().join(format!("daned-demo-{}", std::process::id()));
    let config = demo_config(&listen, &state_dir)?;
    let zone = config
        .zones
        .into_iter()
        .next()
        .context("the demo configuration has no zone")?;
    let origin = zone.name.clone();
    let slot = ZoneDriver::in_memory(zone, demo_zone(), crate::clock::now())?;
    let keys = signing::open_store(&state_dir, &origin)?.load_zone(&origin)?;
    println!("daned demo: serving {DEMO_ORIGIN} from memory");
    println!("try (Ctrl-C to stop):");
    let first = config.server.listen[0];
    let host = match first {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => a.ip().to_string(),
    };
    for cmd in try_commands(&host, first.port()) {
        println!("  {cmd}");
    }
    println!("trust anchor (give it to a validating resolver, e.g. unbound's trust-anchor:):");
    for ds in signing::ds_lines(&origin, &keys, Default::default(), DigestType::Sha256) {
        println!("  {ds}");
    }
    daemon::serve(
        &config.server,
        vec![slot],
        ServeOptions {
            pid_file: false,
            tolerate_bind_failures: true,
        },
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The demo's configuration: `listen` (the parser's default when empty), keys under
/// `state_dir`, the demo zone signed with the built-in policy and transferable from
/// localhost; everything else the parser's defaults.
pub fn demo_config(listen: &[SocketAddr], state_dir: &Path) -> anyhow::Result<Config> {
    let state_dir = state_dir
        .to_str()
        .with_context(|| format!("{}: not UTF-8", state_dir.display()))?;
    let mut text = String::from("[server]\n");
    if !listen.is_empty() {
        let addrs: toml::value::Array = listen
            .iter()
            .map(|a| toml::Value::String(a.to_string()))
            .collect();
        text.push_str(&format!("listen = {}\n", toml::Value::Array(addrs)));
    }
    text.push_str(&format!(
        "state_dir = {}\n",
        toml::Value::String(state_dir.to_owned())
    ));
    text.push_str(&format!(
        "[[zone]]\nname = \"{DEMO_ORIGIN}\"\nfile = \"(in memory)\"\n\
         allow_transfer = [\"127.0.0.0/8\", \"::1\"]\n"
    ));
    Ok(Config::parse(&text, Path::new("(demo)"))?)
}

/// The demo zone's apex.
pub const DEMO_ORIGIN: &str = "example.test.";

/// Builds the demo zone: SOA, NS, MX, addresses, SPF/DMARC/MTA-STS/TLS-RPT, a TLSA for the MX,
/// a wildcard and a CNAME.
pub fn demo_zone() -> Zone {
    let origin = name(DEMO_ORIGIN);
    let mut zone = Zone::new(origin, Class::IN);
    let mut add = |owner: &str, rtype: Rtype, rdata: Vec<u8>| {
        zone.insert(Record {
            owner: name(owner),
            rtype,
            class: Class::IN,
            ttl: Ttl(3600),
            rdata: rdata.into(),
        });
    };

    let mut soa = wire("ns1.example.test.");
    soa.extend(wire("hostmaster.example.test."));
    for v in [2_026_112_301_u32, 7200, 3600, 1_209_600, 300] {
        soa.extend_from_slice(&v.to_be_bytes());
    }
    add("example.test.", Rtype::SOA, soa);
    add("example.test.", Rtype::NS, wire("ns1.example.test."));
    add("example.test.", Rtype::NS, wire("ns2.example.test."));
    let mut mx = vec![0, 10];
    mx.extend(wire("mx.example.test."));
    add("example.test.", Rtype::MX, mx);
    add("example.test.", Rtype::A, v4(Ipv4Addr::new(192, 0, 2, 1)));
    add("example.test.", Rtype::TXT, txt("v=spf1 mx -all"));
    add(
        "ns1.example.test.",
        Rtype::A,
        v4(Ipv4Addr::new(192, 0, 2, 53)),
    );
    add(
        "ns1.example.test.",
        Rtype::AAAA,
        v6("2001:db8::53".parse().unwrap_or(Ipv6Addr::LOCALHOST)),
    );
    add(
        "ns2.example.test.",
        Rtype::A,
        v4(Ipv4Addr::new(198, 51, 100, 53)),
    );
    add(
        "mx.example.test.",
        Rtype::A,
        v4(Ipv4Addr::new(192, 0, 2, 25)),
    );
    add(
        "mx.example.test.",
        Rtype::AAAA,
        v6("2001:db8::25".parse().unwrap_or(Ipv6Addr::LOCALHOST)),
    );
    add("mx.example.test.", Rtype::TXT, txt("v=spf1 a -all"));
    add(
        "_dmarc.example.test.",
        Rtype::TXT,
        txt("v=DMARC1; p=reject; rua=mailto:dmarc@example.test"),
    );
    add(
        "_mta-sts.example.test.",
        Rtype::TXT,
        txt("v=STSv1; id=20261123T000000"),
    );
    add(
        "_smtp._tls.example.test.",
        Rtype::TXT,
        txt("v=TLSRPTv1; rua=mailto:tlsrpt@example.test"),
    );
    add(
        "mta-sts.example.test.",
        Rtype::CNAME,
        wire("www.example.test."),
    );
    add(
        "www.example.test.",
        Rtype::A,
        v4(Ipv4Addr::new(192, 0, 2, 80)),
    );
    // TLSA 3 1 1 <SHA-256 of a SubjectPublicKeyInfo> (RFC 6698, RFC 7672 for SMTP).
    let mut tlsa = vec![3, 1, 1];
    tlsa.extend((0u8..32).map(|i| i.wrapping_mul(37) ^ 0x5a));
    add("_25._tcp.mx.example.test.", Rtype::TLSA, tlsa);
    add(
        "*.example.test.",
        Rtype::A,
        v4(Ipv4Addr::new(192, 0, 2, 99)),
    );
    add("*.example.test.", Rtype::TXT, txt("wildcard"));
    zone
}

/// The commands printed by the demo for a server on `port` at `addr`.
pub fn try_commands(addr: &str, port: u16) -> Vec<String> {
    let at = format!("@{addr} -p {port}");
    [
        format!("dig {at} example.test SOA +norec"),
        format!("dig {at} example.test MX +norec"),
        format!("dig {at} _25._tcp.mx.example.test TLSA +norec"),
        format!("dig {at} _dmarc.example.test TXT +norec"),
        format!("dig {at} mta-sts.example.test A +norec"),
        format!("dig {at} anything.example.test A +norec"),
        format!("dig {at} example.test AXFR"),
        format!("kdig {at} +tcp example.test AXFR"),
    ]
    .into()
}

/// A fully qualified name from known-good text.
fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap_or_else(|_| Name::root())
}

/// The uncompressed wire form of a name.
fn wire(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in text.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// A-record rdata.
fn v4(a: Ipv4Addr) -> Vec<u8> {
    a.octets().to_vec()
}

/// AAAA-record rdata.
fn v6(a: Ipv6Addr) -> Vec<u8> {
    a.octets().to_vec()
}

/// TXT rdata of one string (shorter than 256 octets).
fn txt(s: &str) -> Vec<u8> {
    let mut out = vec![s.len() as u8];
    out.extend_from_slice(s.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_zone_has_an_soa_and_the_mail_records() {
        let zone = demo_zone();
        assert!(zone.soa().is_some());
        let mx = name("mx.example.test.");
        assert!(zone.get(&mx, Rtype::A).is_some());
        let tlsa = name("_25._tcp.mx.example.test.");
        assert_eq!(zone.get(&tlsa, Rtype::TLSA).unwrap().rdatas[0].0.len(), 35);
        assert_eq!(zone.serial().map(|s| s.0), Some(2_026_112_301));
    }

    #[test]
    fn the_demo_config_is_the_one_built_by_hand_before() {
        use std::path::PathBuf;
        use std::time::Duration;

        use crate::config::policy::Policy;
        use crate::net::acl::Acl;

        let state_dir = Path::new("/tmp/daned-demo-\"quoted\" \\dir");
        let c = demo_config(&[], state_dir).unwrap();
        assert_eq!(
            c.server.listen,
            [
                "127.0.0.1:5300".parse::<SocketAddr>().unwrap(),
                "[::1]:5300".parse().unwrap()
            ]
        );
        assert_eq!(c.server.state_dir, state_dir);
        assert_eq!(c.server.udp_workers, 0);
        assert_eq!(
            c.server.rrl, None,
            "response rate limiting is off in the demo"
        );
        assert_eq!(c.server.tcp_idle_timeout, Duration::from_secs(10));
        assert_eq!(c.server.tcp_max_connections, 256);
        assert_eq!(c.server.tcp_max_per_source, 16);
        assert_eq!(c.server.tcp_query_timeout, Duration::from_secs(5));
        assert_eq!(c.server.tcp_write_timeout, Duration::from_secs(10));
        let zone = &c.zones[0];
        assert_eq!(zone.name, name(DEMO_ORIGIN));
        assert_eq!(zone.file, PathBuf::from("(in memory)"));
        assert_eq!(
            *zone.allow_transfer,
            Acl::parse(&["127.0.0.0/8", "::1"]).unwrap()
        );
        assert!(zone.sign && zone.policy.is_none());
        let signing = zone.signing.as_ref().unwrap();
        assert_eq!(signing.policy_name, "default");
        assert_eq!(signing.policy, Policy::builtin());
        assert_eq!(signing.state_dir, state_dir);
        assert_eq!(zone.serial_policy, Default::default());
        assert!(zone.notify.is_empty() && zone.parent_servers.is_empty() && zone.tlsa.is_empty());
        assert_eq!(zone.ds_check_interval, Duration::from_secs(3600));

        let listen: SocketAddr = "[::1]:5353".parse().unwrap();
        let c = demo_config(&[listen], state_dir).unwrap();
        assert_eq!(c.server.listen, [listen]);
    }
}
