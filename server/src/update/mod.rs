//! DNS UPDATE (RFC 2136) with TSIG grants: an ACME client puts its DNS-01 challenge into
//! daned, and the zone driver publishes it like any other change.
//!
//! - [`message`]: the request read into records (pure);
//! - [`prereq`]: the five prerequisite forms (section 3.2, pure);
//! - [`apply`]: the update section checked and applied to a copy of the zone, all or nothing
//!   (section 3.4, pure), with [`grant`]: who may change what, and what nobody may;
//! - [`layer`]: the records UPDATE added and deleted, kept in `state_dir` over the zone file;
//! - [`front`]: the network side: TSIG required, the request handed to the zone's control
//!   loop ([`inbox`]), the signed reply once the change is published.

pub mod apply;
pub mod front;
pub mod grant;
pub mod inbox;
pub mod layer;
pub mod message;
pub mod prereq;
#[cfg(test)]
mod test_util;

//------------ Rcode ---------------------------------------------------------

/// The RCODEs an UPDATE is answered with (RFC 2136 section 2.2, RFC 1035 section 4.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rcode {
    /// 0: done (or nothing to do).
    NoError,
    /// 1: malformed.
    FormErr,
    /// 2: the change could not be published; nothing changed.
    ServFail,
    /// 3: a name that should exist does not (prerequisite).
    NxDomain,
    /// 4: not implemented.
    NotImp,
    /// 5: not allowed (TSIG missing, no grant, protected record, limits).
    Refused,
    /// 6: a name that should not exist does (prerequisite).
    YxDomain,
    /// 7: an RRset that should not exist does (prerequisite).
    YxRrset,
    /// 8: an RRset that should exist does not (prerequisite).
    NxRrset,
    /// 9: not authoritative for the zone, or TSIG failed (RFC 8945).
    NotAuth,
    /// 10: a name outside the zone.
    NotZone,
}

impl Rcode {
    /// The code.
    pub fn code(self) -> u8 {
        match self {
            Self::NoError => 0,
            Self::FormErr => 1,
            Self::ServFail => 2,
            Self::NxDomain => 3,
            Self::NotImp => 4,
            Self::Refused => 5,
            Self::YxDomain => 6,
            Self::YxRrset => 7,
            Self::NxRrset => 8,
            Self::NotAuth => 9,
            Self::NotZone => 10,
        }
    }
}
