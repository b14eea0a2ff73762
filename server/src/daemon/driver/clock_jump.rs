//! The clock jumping back: a signature's inception is set before the moment of signing by
//! the policy's backdate, so a clock that goes back by more leaves signatures that start in
//! the future, which validators reject until then (RFC 4035 section 5.3.1). The SOA is signed
//! at every publish, so its newest RRSIG inception says when the zone was last signed: an O(1)
//! test per tick, not a scan of every signature.

use signer::Timestamp;
use signer::rrsig::RrsigFields;
use zones::Rtype;
use zones::snapshot::ZoneSnapshot;

/// Whether a signature over the apex SOA starts after `now`.
pub(super) fn signed_in_future(snapshot: &ZoneSnapshot, now: Timestamp) -> bool {
    let origin = snapshot.origin_name();
    snapshot.rrsig(&origin, Rtype::SOA).is_some_and(|set| {
        set.rdatas.iter().any(|r| {
            RrsigFields::from_wire(r.as_bytes())
                .is_ok_and(|(f, _)| Timestamp::from_rrsig_field(f.inception, now) > now)
        })
    })
}
