//! Response classes of rate limiting (BIND ARM `rate-limit`, Knot `mod-rrl`, NSD's
//! `rrl_type`): each source prefix has one account per class and name, so that a flood of
//! one kind of response does not limit another.
//!
//! - positive answers per RRset (query name and type);
//! - answers synthesised from a wildcard per wildcard name (a flood of random names under a
//!   wildcard is one account, not millions);
//! - NXDOMAIN, NODATA and referrals per zone (random names in one zone are one account);
//! - every error (REFUSED, FORMERR, SERVFAIL, NOTIMP, ...) together, whatever the name.

/// The kind of a response, as rate limiting counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// NOERROR with answer records.
    Positive,
    /// NOERROR with answer records synthesised from a wildcard.
    Wildcard,
    /// NXDOMAIN.
    Nxdomain,
    /// NOERROR, no answer, authoritative.
    Nodata,
    /// NOERROR, no answer, not authoritative, name servers in the authority section.
    Referral,
    /// Any other rcode.
    Error,
}

impl Class {
    /// The name used in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Positive => "positive",
            Self::Wildcard => "wildcard",
            Self::Nxdomain => "nxdomain",
            Self::Nodata => "nodata",
            Self::Referral => "referral",
            Self::Error => "error",
        }
    }
}

/// The account key of a response, apart from the source prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key<'a> {
    /// The class.
    pub class: Class,
    /// The name the account is for (wire form; empty for errors). Compared without case.
    pub name: &'a [u8],
    /// The query type (positive answers only; 0 otherwise).
    pub qtype: u16,
}

/// RCODE NOERROR.
const NOERROR: u8 = 0;
/// RCODE NXDOMAIN.
const NXDOMAIN: u8 = 3;

/// Classifies `response` (a complete response header and question as the answer path wrote
/// it), given the origin of the zone that answered and the owner of the wildcard the answer
/// came from (both lowercase wire names, from [`crate::answer::Facts`]).
pub fn classify<'a>(
    response: &'a [u8],
    zone: Option<&'a [u8]>,
    wildcard: Option<&'a [u8]>,
) -> Key<'a> {
    let error = Key {
        class: Class::Error,
        name: &[],
        qtype: 0,
    };
    let Some(header) = response.get(..12) else {
        return error;
    };
    let rcode = header[3] & 0x0f;
    let aa = header[2] & 0x04 != 0;
    let ancount = u16::from_be_bytes([header[6], header[7]]);
    let nscount = u16::from_be_bytes([header[8], header[9]]);
    let zone = zone.unwrap_or(&[]);
    let per_zone = |class| Key {
        class,
        name: zone,
        qtype: 0,
    };
    match rcode {
        NXDOMAIN => per_zone(Class::Nxdomain),
        NOERROR if ancount == 0 && !aa && nscount > 0 => per_zone(Class::Referral),
        NOERROR if ancount == 0 => per_zone(Class::Nodata),
        NOERROR => match wildcard {
            Some(w) => Key {
                class: Class::Wildcard,
                name: w,
                qtype: 0,
            },
            None => question(response).map_or(error, |(name, qtype)| Key {
                class: Class::Positive,
                name,
                qtype,
            }),
        },
        _ => error,
    }
}

/// The question name and type of a response with exactly one (uncompressed) question.
fn question(response: &[u8]) -> Option<(&[u8], u16)> {
    let q = crate::net::question(response)?;
    let name = &q[..q.len() - 4];
    let qtype = u16::from_be_bytes([q[q.len() - 4], q[q.len() - 3]]);
    Some((name, qtype))
}

#[cfg(test)]
mod tests;
