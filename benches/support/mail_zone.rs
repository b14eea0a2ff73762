//! The mail-domain-shaped zone the criterion benches build in memory: the shape of
//! `../shared/bench/mkzone.py`. Included by each bench with `#[path]`, so the benches measure
//! the same zone.

use zones::{Class, Name, Rdata, Record, Rtype, Ttl, Zone};

/// Wire form of a dotted name.
pub fn wire(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

pub fn rec(owner: &str, rtype: Rtype, rdata: Vec<u8>) -> Record {
    Record {
        owner: Name::from_ascii(owner).expect("name"),
        rtype,
        class: Class::IN,
        ttl: Ttl(3600),
        rdata: Rdata::from(rdata),
    }
}

/// The mkzone.py zone: apex SOA/NS/MX/TXT, mail policy TXTs, two MX hosts with TLSA, and
/// `n` hosts h0..h(n-1) with A (and AAAA for every fourth).
pub fn mail_zone(n: u32) -> Zone {
    let o = "example.com.";
    let mut z = Zone::new(Name::from_ascii(o).expect("origin"), Class::IN);
    let mut soa = wire("ns1.example.com.");
    soa.extend(wire("hostmaster.example.com."));
    for x in [2026112201u32, 7200, 3600, 1209600, 300] {
        soa.extend_from_slice(&x.to_be_bytes());
    }
    z.insert(rec(o, Rtype::SOA, soa));
    for ns in ["ns1", "ns2"] {
        z.insert(rec(o, Rtype::NS, wire(&format!("{ns}.{o}"))));
    }
    for (i, txt) in [
        ("@", "v=spf1 mx -all"),
        ("_dmarc", "v=DMARC1; p=reject"),
        ("_mta-sts", "v=STSv1; id=20261122T000000"),
        ("_smtp._tls", "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"),
        (
            "selector1._domainkey",
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        ),
    ] {
        let owner = if i == "@" {
            o.to_string()
        } else {
            format!("{i}.{o}")
        };
        let mut rd = vec![txt.len() as u8];
        rd.extend_from_slice(txt.as_bytes());
        z.insert(rec(&owner, Rtype::TXT, rd));
    }
    for (pref, host) in [(10u16, "mx1"), (20, "mx2")] {
        let mut mx = pref.to_be_bytes().to_vec();
        mx.extend(wire(&format!("{host}.{o}")));
        z.insert(rec(o, Rtype::MX, mx));
        z.insert(rec(
            &format!("{host}.{o}"),
            Rtype::A,
            vec![192, 0, 2, pref as u8],
        ));
        z.insert(rec(&format!("{host}.{o}"), Rtype::AAAA, vec![0x20; 16]));
        let mut tlsa = vec![3, 1, 1];
        tlsa.extend_from_slice(&[0xab; 32]);
        z.insert(rec(&format!("_25._tcp.{host}.{o}"), Rtype::TLSA, tlsa));
    }
    z.insert(rec(&format!("ns1.{o}"), Rtype::A, vec![127, 0, 0, 1]));
    z.insert(rec(&format!("ns2.{o}"), Rtype::A, vec![127, 0, 0, 2]));
    for i in 0..n {
        let owner = format!("h{i}.{o}");
        z.insert(rec(
            &owner,
            Rtype::A,
            vec![198, 51, (i >> 8) as u8, i as u8],
        ));
        if i % 4 == 0 {
            let mut aaaa = vec![0x20, 0x01, 0x0d, 0xb8];
            aaaa.extend_from_slice(&[0; 8]);
            aaaa.extend_from_slice(&i.to_be_bytes());
            z.insert(rec(&owner, Rtype::AAAA, aaaa));
        }
    }
    z
}
