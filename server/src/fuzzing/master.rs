//! The master-file parser (RFC 1035 section 5) of `zones`: text in, a zone or an error with
//! file and line out. What parses must print and parse back to the same zone, and what
//! passes the semantic checks must be servable: its snapshot is built and queried.

use std::sync::Arc;

use hickory_proto::serialize::binary::BinEncodable;
use zones::snapshot::Catalog;
use zones::{Name, Zone};

use super::query::check_reply;
use crate::answer::{Settings, Transport, respond_with};

/// The test suite's master files, the seeds.
const FILES: &[&str] = &[
    include_str!("../../../tests/data/dnssec/example.com.zone"),
    include_str!("../../../tests/data/differential/example.com.zone"),
    include_str!("../../../tests/data/differential/example.net.zone"),
];

/// Parses `data` as the zone file of `example.com.`.
pub fn run(data: &[u8]) {
    // `$INCLUDE` would read files named by the input: refused here, before the parser sees
    // it (the directive is matched on its raw text, so no escape can spell it otherwise).
    if data.windows(8).any(|w| w.eq_ignore_ascii_case(b"$include")) {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let origin = Name::from_ascii("example.com.").expect("origin");
    if let Ok((loaded, _)) = zones::master::parse_zone_str_unchecked(&text, &origin, "fuzz") {
        round_trip(&loaded.zone, &origin);
    }
    if let Ok(loaded) = zones::master::parse_zone_str(&text, &origin, "fuzz") {
        serve(loaded.zone);
    }
}

/// The zone printed by `zones::present` parses back to the same records.
fn round_trip(zone: &Zone, origin: &Name) {
    let printed = zones::present::write_zone(zone);
    match zones::master::parse_zone_str_unchecked(&printed, origin, "printed") {
        Ok((again, _)) => assert!(
            again.zone == *zone,
            "the printed zone parses to other records:\n{printed}"
        ),
        Err(e) => panic!("the printed zone does not parse: {e}\n{printed}"),
    }
}

/// A zone that passed the checks is built into a snapshot and answers its own names.
fn serve(zone: Zone) {
    let owners: Vec<Name> = zone.records().take(8).map(|r| r.owner).collect();
    // RFC 8659 section 4.1 allows CAA tags of up to 255 octets (15 is a SHOULD), and daned
    // serves them, but hickory (the parser of `check_reply`) refuses tags over 15: such a
    // reply is answered without that check. (Found by this target; see fuzz/README.md.)
    let long_caa_tag = zone
        .records()
        .any(|r| u16::from(r.rtype) == 257 && r.rdata.as_bytes().get(1).is_some_and(|&l| l > 15));
    let catalog = Catalog::new(vec![Arc::new(zone)]);
    let mut out = Vec::with_capacity(4096);
    for (i, owner) in owners.iter().enumerate() {
        let Ok(wire) = owner.to_bytes() else { continue };
        for qtype in [1u16, 255, 43] {
            let mut q = (i as u16).to_be_bytes().to_vec();
            q.extend_from_slice(&[0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
            q.extend_from_slice(&wire);
            q.extend_from_slice(&qtype.to_be_bytes());
            q.extend_from_slice(&[0, 1]);
            let outcome =
                respond_with(&catalog, &q, Transport::Udp, &Settings::default(), &mut out);
            if !long_caa_tag {
                check_reply(&q, Transport::Udp, &outcome, &out);
            }
        }
    }
}

/// The test suite's zone files.
pub fn seeds() -> Vec<Vec<u8>> {
    FILES.iter().map(|f| f.as_bytes().to_vec()).collect()
}
