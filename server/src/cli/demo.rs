//! The zone `daned` serves when run without arguments: a small mail domain, `example.test`
//! (RFC 6761 reserves `.test`), built in memory so that the demo writes nothing to disk.

use std::net::{Ipv4Addr, Ipv6Addr};

use zones::{Class, Name, Record, Rtype, Ttl, Zone};

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
}
