//! The clock jumping back: a signature's inception is set before the moment of signing by
//! the policy's backdate, so a clock that goes back by more leaves signatures that start in
//! the future, which validators reject until then (RFC 4035 section 5.3.1). The SOA is signed
//! at every publish, so its newest RRSIG inception says when the zone was last signed: an O(1)
//! test per tick, not a scan of every signature.

use signer::Timestamp;
use signer::rrsig::RrsigFields;
use zones::Zone;

/// RRSIG and SOA type codes.
const RRSIG: u16 = 46;
/// SOA type code.
const SOA: u16 = 6;

/// Whether a signature over the apex SOA starts after `now`.
pub(super) fn signed_in_future(zone: &Zone, now: Timestamp) -> bool {
    let key = (zone.origin.to_lowercase(), RRSIG, SOA);
    zone.rrsets.get(&key).is_some_and(|set| {
        set.rdatas.iter().any(|r| {
            RrsigFields::from_wire(r.as_bytes())
                .is_ok_and(|(f, _)| Timestamp::from_rrsig_field(f.inception, now) > now)
        })
    })
}
