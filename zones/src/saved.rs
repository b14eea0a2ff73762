//! The last served version of a zone, saved in wire form so that a restart can continue from
//! it (keeping its signatures and serial) without parsing a master file.
//!
//! Layout: magic, record count, the records as the journal encodes them, CRC-32 of all that.
//! A file that does not check out is ignored: the zone is then signed afresh from its file.

use hickory_proto::serialize::binary::BinDecoder;

use crate::journal::{decode_record, encode_record};
use crate::record::{Class, Name};
use crate::zone::Zone;

/// Marks a saved zone.
const MAGIC: &[u8; 4] = b"DZV1";

/// The bytes of `zone`'s saved form.
pub fn encode(zone: &Zone) -> Vec<u8> {
    let mut out = Vec::with_capacity(zone.len() * 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(zone.len() as u32).to_be_bytes());
    for record in zone.records() {
        encode_record(&mut out, &record);
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// The zone at `origin` saved in `bytes`, or `None` when they are not an intact saved zone.
pub fn decode(bytes: &[u8], origin: &Name, class: Class) -> Option<Zone> {
    let (body, crc) = bytes.split_at(bytes.len().checked_sub(4)?);
    if body.get(..4)? != MAGIC || crc32fast::hash(body).to_be_bytes() != crc {
        return None;
    }
    let count = u32::from_be_bytes(body.get(4..8)?.try_into().ok()?);
    let mut d = BinDecoder::new(&body[8..]);
    let mut zone = Zone::new(origin.clone(), class);
    for _ in 0..count {
        zone.insert(decode_record(&mut d)?);
    }
    Some(zone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::master::parse_zone_str;

    #[test]
    fn a_saved_zone_reads_back_identical_and_damage_is_refused() {
        let origin = Name::from_ascii("example.com.").unwrap();
        let text = "$ORIGIN example.com.\n$TTL 60\n@ SOA ns hm 5 1 2 3 4\n@ NS ns\nns A 192.0.2.1\n\
                    www 300 TXT \"a b\"\n";
        let zone = parse_zone_str(text, &origin, "t").unwrap().zone;
        let bytes = encode(&zone);
        assert_eq!(decode(&bytes, &origin, Class::IN), Some(zone));
        let mut damaged = bytes.clone();
        damaged[10] ^= 1;
        assert_eq!(decode(&damaged, &origin, Class::IN), None);
        assert_eq!(decode(&bytes[..bytes.len() - 1], &origin, Class::IN), None);
    }
}
