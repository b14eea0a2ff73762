//! RRSIG record data and RRset signatures (RFC 4034 section 3, RFC 4035 section 2.2).
//!
//! [`SignedData`] is the only thing a [`SigningKey`] signs. This module is the one that builds
//! it (see [`crate::signed_data`]), from the RRSIG rdata prefix and the RRset in canonical form
//! (RFC 4034 section 3.1.8.1 and 6), so no code path can have a zone key sign bytes of its
//! choosing.

use zones::{Name, Rdata, Rrset};

use crate::key::{Dnskey, KeyError, SigningKey};
pub use crate::signed_data::SignedData;
use crate::time::Timestamp;
use crate::wire::{name_to_wire, u16_at, u32_at};

//------------ ValidityWindow ------------------------------------------------

/// The inception and expiration of a signature (RFC 4034 section 3.1.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidityWindow {
    /// The signature is valid from this time.
    pub inception: Timestamp,
    /// The signature is valid until this time.
    pub expiration: Timestamp,
}

impl ValidityWindow {
    /// A window around `now`: inception backdated by `backdate_secs` so that validators with a
    /// slow clock accept fresh signatures, expiration `validity_secs` after `now`.
    pub fn around(now: Timestamp, backdate_secs: u64, validity_secs: u64) -> Self {
        Self {
            inception: now.sub_secs(backdate_secs),
            expiration: now.add_secs(validity_secs),
        }
    }
}

//------------ RrsigError ----------------------------------------------------

/// Why an RRset could not be signed or a signature not checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RrsigError {
    /// The RRset has no records; there is nothing to sign.
    #[error("RRset {0} {1} is empty")]
    EmptyRrset(Name, u16),
    /// Signing RRSIGs is forbidden (RFC 4035 section 2.2: RRSIG RRsets are not signed).
    #[error("RRSIG RRsets are never signed (RFC 4035 section 2.2)")]
    RrsigNotSignable,
    /// The key failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// RRSIG rdata shorter than its fixed fields or with a broken signer name.
    #[error("RRSIG rdata is malformed")]
    MalformedRrsig,
}

//------------ Rrsig ---------------------------------------------------------

/// The fields of an RRSIG that precede the signature (RFC 4034 section 3.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RrsigFields {
    /// The type the signature covers.
    pub type_covered: u16,
    /// The algorithm number.
    pub algorithm: u8,
    /// Labels of the owner, not counting a leading `*` (RFC 4034 section 3.1.3).
    pub labels: u8,
    /// The TTL of the covered RRset as in the zone.
    pub original_ttl: u32,
    /// Expiration (RFC 4034 section 3.1.5).
    pub expiration: u32,
    /// Inception.
    pub inception: u32,
    /// The key tag of the DNSKEY that verifies this signature.
    pub key_tag: u16,
    /// The zone apex, lowercased (RFC 4034 section 3.1.7, RFC 6840 section 5.1).
    pub signer: Name,
}

impl RrsigFields {
    /// The wire prefix (all fields but the signature), signer name lowercased.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(18 + self.signer.len() + 2);
        out.extend_from_slice(&self.type_covered.to_be_bytes());
        out.push(self.algorithm);
        out.push(self.labels);
        out.extend_from_slice(&self.original_ttl.to_be_bytes());
        out.extend_from_slice(&self.expiration.to_be_bytes());
        out.extend_from_slice(&self.inception.to_be_bytes());
        out.extend_from_slice(&self.key_tag.to_be_bytes());
        out.extend_from_slice(&name_to_wire(&self.signer, true));
        out
    }

    /// Splits RRSIG wire rdata into its fields and the signature.
    pub fn from_wire(rdata: &[u8]) -> Result<(Self, &[u8]), RrsigError> {
        let bad = || RrsigError::MalformedRrsig;
        let name_len = zones::rdata::name_len_at(rdata, 18).ok_or_else(bad)?;
        use hickory_proto::serialize::binary::BinDecodable;
        let mut dec = hickory_proto::serialize::binary::BinDecoder::new(&rdata[18..]);
        let signer = Name::read(&mut dec).map_err(|_| bad())?;
        let fields = Self {
            type_covered: u16_at(rdata, 0).ok_or_else(bad)?,
            algorithm: rdata[2],
            labels: rdata[3],
            original_ttl: u32_at(rdata, 4).ok_or_else(bad)?,
            expiration: u32_at(rdata, 8).ok_or_else(bad)?,
            inception: u32_at(rdata, 12).ok_or_else(bad)?,
            key_tag: u16_at(rdata, 16).ok_or_else(bad)?,
            signer,
        };
        Ok((fields, &rdata[18 + name_len..]))
    }
}

//------------ sign_rrset / verify_rrsig -------------------------------------

/// Signs `rrset` with `key` (whose DNSKEY carries `flags`) for the zone `signer`, giving the
/// RRSIG rdata (RFC 4035 section 2.2).
pub fn sign_rrset(
    rrset: &Rrset,
    signer: &Name,
    key: &dyn SigningKey,
    flags: u16,
    window: ValidityWindow,
) -> Result<Rdata, RrsigError> {
    if rrset.rdatas.is_empty() {
        return Err(RrsigError::EmptyRrset(
            rrset.owner.clone(),
            u16::from(rrset.rtype),
        ));
    }
    if u16::from(rrset.rtype) == 46 {
        return Err(RrsigError::RrsigNotSignable);
    }
    let fields = RrsigFields {
        type_covered: u16::from(rrset.rtype),
        algorithm: key.algorithm().0,
        labels: rrset.owner.num_labels(),
        original_ttl: rrset.ttl.as_secs(),
        expiration: window.expiration.to_rrsig_field(),
        inception: window.inception.to_rrsig_field(),
        key_tag: key.dnskey(flags).key_tag(),
        signer: signer.to_lowercase(),
    };
    let data = SignedData::new(fields.to_wire(), fields.labels, fields.original_ttl, rrset);
    let sig = key.sign(&data)?;
    let mut out = fields.to_wire();
    out.extend_from_slice(&sig);
    Ok(Rdata::from(out))
}

/// Checks an RRSIG over `rrset` with `dnskey`, ignoring the validity window (the caller
/// compares times with its own `now`). For tests and imported-key checks.
pub fn verify_rrsig(rrset: &Rrset, rrsig: &[u8], dnskey: &Dnskey) -> Result<(), RrsigError> {
    let (fields, sig) = RrsigFields::from_wire(rrsig)?;
    let data = SignedData::new(fields.to_wire(), fields.labels, fields.original_ttl, rrset);
    Ok(dnskey.verify(&data, sig)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{Algorithm, RingSigningKey};
    use zones::{Class, Rtype, Ttl};

    /// An A RRset at `owner` with the given addresses.
    fn a_rrset(owner: &str, addrs: &[[u8; 4]]) -> Rrset {
        let mut set = Rrset::new(
            Name::from_ascii(owner).unwrap(),
            Rtype::A,
            Class::IN,
            Ttl(300),
        );
        for a in addrs {
            set.insert(Rdata::from(a.to_vec()));
        }
        set
    }

    #[test]
    fn a_signature_verifies_and_a_changed_rrset_does_not() {
        let key = RingSigningKey::generate(Algorithm::ED25519).unwrap();
        let set = a_rrset("www.Example.com.", &[[192, 0, 2, 1], [192, 0, 2, 2]]);
        let window = ValidityWindow::around(Timestamp(1_700_000_000), 3600, 86400);
        let origin = Name::from_ascii("example.com.").unwrap();
        let sig = sign_rrset(&set, &origin, &key, 256, window).unwrap();
        let dnskey = key.dnskey(256);
        verify_rrsig(&set, sig.as_bytes(), &dnskey).unwrap();
        let other = a_rrset("www.example.com.", &[[192, 0, 2, 1]]);
        assert!(verify_rrsig(&other, sig.as_bytes(), &dnskey).is_err());
    }

    #[test]
    fn wildcard_owner_labels_field_does_not_count_the_star() {
        let key = RingSigningKey::generate(Algorithm::ECDSAP256SHA256).unwrap();
        let set = a_rrset("*.example.com.", &[[192, 0, 2, 1]]);
        let window = ValidityWindow::around(Timestamp(1_700_000_000), 3600, 86400);
        let origin = Name::from_ascii("example.com.").unwrap();
        let sig = sign_rrset(&set, &origin, &key, 256, window).unwrap();
        let (fields, s) = RrsigFields::from_wire(sig.as_bytes()).unwrap();
        assert_eq!(fields.labels, 2);
        assert_eq!(s.len(), 64);
        // A synthesised answer at a.example.com verifies with the same signature.
        let expanded = a_rrset("a.example.com.", &[[192, 0, 2, 1]]);
        verify_rrsig(&expanded, sig.as_bytes(), &key.dnskey(256)).unwrap();
    }

    #[test]
    fn rrsig_rrsets_are_refused() {
        let key = RingSigningKey::generate(Algorithm::ED25519).unwrap();
        let mut set = a_rrset("example.com.", &[[1, 2, 3, 4]]);
        set.rtype = Rtype::RRSIG;
        let origin = Name::from_ascii("example.com.").unwrap();
        let w = ValidityWindow::around(Timestamp(0), 0, 1);
        assert!(matches!(
            sign_rrset(&set, &origin, &key, 256, w),
            Err(RrsigError::RrsigNotSignable)
        ));
    }
}
