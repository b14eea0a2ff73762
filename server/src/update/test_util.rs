//! Builders shared by the UPDATE unit tests.

use zones::{Name, Rtype, Zone};

use super::message::UpdateRr;

/// The test zone `example.com.` (unsigned).
pub fn zone() -> Zone {
    let text = "$ORIGIN example.com.\n$TTL 300\n\
        @ IN SOA ns1 host 1 3600 600 86400 300\n\
        @ IN NS ns1\n\
        ns1 IN A 192.0.2.53\n\
        mx1 IN A 192.0.2.1\n\
        multi IN A 192.0.2.1\n\
        multi IN A 192.0.2.2\n\
        alias IN CNAME mx1\n\
        _acme-challenge.mx1 IN TXT \"old\"\n\
        _25._tcp.mx1 IN TLSA 3 1 1 0011223344556677889900112233445566778899001122334455667788990011\n";
    let origin = Name::from_ascii("example.com.").unwrap();
    zones::master::parse_zone_str(text, &origin, "test")
        .unwrap()
        .zone
}

/// An update-section or prerequisite record: `label` under example.com., `rtype`, `class`,
/// rdata from presentation text (empty: none), TTL 0 for ANY/NONE, else 300.
pub fn rr(label: &str, rtype: &str, class: u16, rdata: &str) -> UpdateRr {
    let owner = if label.is_empty() {
        Name::from_ascii("example.com.").unwrap()
    } else {
        Name::from_ascii(format!("{label}.example.com.")).unwrap()
    };
    let rtype: Rtype = rtype.parse().unwrap();
    let data = if rdata.is_empty() {
        Vec::new()
    } else {
        let text = format!("x.example.com. 300 IN {rtype} {rdata}\n");
        let origin = Name::from_ascii("example.com.").unwrap();
        let (loaded, _) = zones::master::parse_zone_str_unchecked(&text, &origin, "rr").unwrap();
        loaded
            .zone
            .records()
            .next()
            .unwrap()
            .rdata
            .as_bytes()
            .to_vec()
    };
    UpdateRr {
        owner,
        rtype,
        class,
        ttl: if class == 1 { 300 } else { 0 },
        rdata: data,
    }
}
