//! DS, CDS and CDNSKEY record data (RFC 4034 section 5, RFC 4509, RFC 8078).
//!
//! The digest covers the owner name in canonical wire form followed by the DNSKEY rdata
//! (RFC 4034 section 5.1.4). CDS has DS's rdata and CDNSKEY has DNSKEY's (RFC 7344 section 3),
//! so the same functions build them; RFC 8078 section 4 defines the "delete" forms.

use ring::digest::{SHA1_FOR_LEGACY_USE_ONLY, SHA256, SHA384, digest};
use zones::{Name, Rdata};

use crate::key::Dnskey;
use crate::wire::name_to_wire;

//------------ DigestType ----------------------------------------------------

/// A DS digest type (IANA "Delegation Signer (DS) Resource Record Digest Algorithms").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestType {
    /// SHA-1 (RFC 4034 section 5.1.3): computed only for old test vectors and parents that
    /// still need it; RFC 8624 says MUST NOT be used for new DS.
    Sha1,
    /// SHA-256 (RFC 4509): daned's default.
    Sha256,
    /// SHA-384 (RFC 6605).
    Sha384,
}

impl DigestType {
    /// The registry number.
    pub fn code(self) -> u8 {
        match self {
            Self::Sha1 => 1,
            Self::Sha256 => 2,
            Self::Sha384 => 4,
        }
    }
}

/// DS rdata for `dnskey` at `owner` (RFC 4034 section 5.1): key tag, algorithm, digest type,
/// digest(owner || DNSKEY rdata).
pub fn ds_rdata(owner: &Name, dnskey: &Dnskey, digest_type: DigestType) -> Rdata {
    let mut input = name_to_wire(owner, true);
    input.extend_from_slice(&dnskey.to_wire());
    let alg = match digest_type {
        DigestType::Sha1 => &SHA1_FOR_LEGACY_USE_ONLY,
        DigestType::Sha256 => &SHA256,
        DigestType::Sha384 => &SHA384,
    };
    let d = digest(alg, &input);
    let mut out = Vec::with_capacity(4 + d.as_ref().len());
    out.extend_from_slice(&dnskey.key_tag().to_be_bytes());
    out.push(dnskey.algorithm.0);
    out.push(digest_type.code());
    out.extend_from_slice(d.as_ref());
    Rdata::from(out)
}

/// CDS rdata: the DS the child wants at the parent (RFC 7344 section 3.1).
pub fn cds_rdata(owner: &Name, dnskey: &Dnskey, digest_type: DigestType) -> Rdata {
    ds_rdata(owner, dnskey, digest_type)
}

/// CDNSKEY rdata: the DNSKEY the parent should build a DS from (RFC 7344 section 3.2).
pub fn cdnskey_rdata(dnskey: &Dnskey) -> Rdata {
    dnskey.to_rdata()
}

/// The CDS that asks the parent to remove all DS records: `0 0 0 00` (RFC 8078 section 4).
pub fn cds_delete_rdata() -> Rdata {
    Rdata::from(vec![0, 0, 0, 0, 0])
}

/// The CDNSKEY that asks the parent to remove all DS records: `0 3 0 AA==` (RFC 8078
/// section 4).
pub fn cdnskey_delete_rdata() -> Rdata {
    Rdata::from(vec![0, 0, 3, 0, 0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Algorithm;
    use data_encoding::{BASE64, HEXUPPER};

    /// The DNSKEY of RFC 4034 section 5.4 and RFC 4509 section 2.3 (dskey.example.com.,
    /// key tag 60485). Reproduce the digests with `ldns-key2ds -1` / `-2` on this key.
    fn dskey() -> Dnskey {
        Dnskey {
            flags: 256,
            protocol: 3,
            algorithm: Algorithm(5),
            public_key: BASE64
                .decode(
                    b"AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZ\
DRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==",
                )
                .unwrap(),
        }
    }

    #[test]
    fn rfc_4034_section_5_4_sha1_ds_is_reproduced() {
        let owner = Name::from_ascii("dskey.example.com.").unwrap();
        let ds = ds_rdata(&owner, &dskey(), DigestType::Sha1);
        let b = ds.as_bytes();
        assert_eq!(&b[..4], &[0xec, 0x45, 5, 1]);
        assert_eq!(
            HEXUPPER.encode(&b[4..]),
            "2BB183AF5F22588179A53B0A98631FAD1A292118"
        );
    }

    #[test]
    fn rfc_4509_section_2_3_sha256_ds_is_reproduced() {
        let owner = Name::from_ascii("dskey.example.com.").unwrap();
        let ds = ds_rdata(&owner, &dskey(), DigestType::Sha256);
        let b = ds.as_bytes();
        assert_eq!(&b[..4], &[0xec, 0x45, 5, 2]);
        assert_eq!(
            HEXUPPER.encode(&b[4..]),
            "D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A"
        );
    }

    #[test]
    fn rfc_8078_delete_forms_are_the_published_bytes() {
        assert_eq!(cds_delete_rdata().as_bytes(), &[0, 0, 0, 0, 0]);
        assert_eq!(cdnskey_delete_rdata().as_bytes(), &[0, 0, 3, 0, 0]);
    }
}
