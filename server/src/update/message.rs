//! Reading an UPDATE message (RFC 2136 section 2): the zone section, the prerequisite and
//! update sections as records. Pure: bytes in, a [`UpdateMessage`] or the RCODE out, so that
//! a fuzzer can drive it.
//!
//! The message given here is the request without its TSIG record (the caller verified and
//! removed it). Names may be compressed anywhere, inside record data too; records are kept
//! with uncompressed wire rdata, as the zone keeps them.

use hickory_proto::op::{Message, MessageType, OpCode};
use hickory_proto::rr::RData;
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder, NameEncoding};
use zones::{Name, Rtype};

use super::Rcode;

/// The largest UPDATE message accepted, in octets: an ACME challenge is a few hundred; this
/// keeps one request from growing a zone by much. Larger ones are REFUSED.
pub const MAX_MESSAGE: usize = 16 * 1024;

/// Class NONE (RFC 2136 section 1.3).
pub const CLASS_NONE: u16 = 254;
/// Class ANY.
pub const CLASS_ANY: u16 = 255;
/// Class IN, the only class daned serves.
pub const CLASS_IN: u16 = 1;

//------------ UpdateRr ------------------------------------------------------

/// One record of the prerequisite or update section, as sent (class and TTL carry meaning).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateRr {
    /// Owner name.
    pub owner: Name,
    /// Type (ANY in some forms).
    pub rtype: Rtype,
    /// Class: the zone's, ANY or NONE.
    pub class: u16,
    /// TTL.
    pub ttl: u32,
    /// Uncompressed wire rdata (empty in the forms that carry none).
    pub rdata: Vec<u8>,
}

//------------ UpdateMessage -------------------------------------------------

/// An UPDATE request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateMessage {
    /// The zone name (zone section).
    pub zone: Name,
    /// The zone class (zone section).
    pub zclass: u16,
    /// Prerequisite section (RFC 2136 section 2.4).
    pub prereqs: Vec<UpdateRr>,
    /// Update section (RFC 2136 section 2.5).
    pub updates: Vec<UpdateRr>,
}

/// Parses `msg` (no TSIG record) as an UPDATE. FORMERR for anything malformed or a zone
/// section that is not exactly one SOA question (RFC 2136 section 3.1.1), REFUSED for a
/// message over [`MAX_MESSAGE`], NOTAUTH is the caller's (it knows the zones).
pub fn parse(msg: &[u8]) -> Result<UpdateMessage, Rcode> {
    if msg.len() > MAX_MESSAGE {
        return Err(Rcode::Refused);
    }
    let m = Message::from_vec(msg).map_err(|_| Rcode::FormErr)?;
    if m.metadata.message_type != MessageType::Query || m.metadata.op_code != OpCode::Update {
        return Err(Rcode::FormErr);
    }
    let [zone] = m.queries.as_slice() else {
        return Err(Rcode::FormErr);
    };
    if zone.query_type() != Rtype::SOA {
        return Err(Rcode::FormErr);
    }
    let section = |records: &[hickory_proto::rr::Record]| -> Result<Vec<UpdateRr>, Rcode> {
        records
            .iter()
            .map(|r| {
                Ok(UpdateRr {
                    owner: r.name.clone(),
                    rtype: r.record_type(),
                    class: u16::from(r.dns_class),
                    ttl: r.ttl,
                    rdata: rdata_wire(&r.data).ok_or(Rcode::FormErr)?,
                })
            })
            .collect()
    };
    let mut zname = zone.name().clone();
    zname.set_fqdn(true);
    Ok(UpdateMessage {
        zone: zname,
        zclass: u16::from(zone.query_class()),
        prereqs: section(&m.answers)?,
        updates: section(&m.authorities)?,
    })
}

/// Record data in uncompressed wire form (empty for the forms without data).
fn rdata_wire(data: &RData) -> Option<Vec<u8>> {
    if let RData::Update0(_) = data {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    let mut encoder = BinEncoder::new(&mut out);
    encoder.set_name_encoding(NameEncoding::Uncompressed);
    data.emit(&mut encoder).ok()?;
    Some(out)
}
