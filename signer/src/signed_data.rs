//! The data an RRSIG signs (RFC 4034 section 3.1.8.1): the RRSIG rdata without its signature,
//! then the RRset in canonical form (RFC 4034 section 6).
//!
//! A leaf of its own so that keys ([`crate::key`], which sign and verify it) and signatures
//! ([`crate::rrsig`], which builds it from the RRSIG fields) both use it without using each
//! other in a circle.

use zones::Rrset;
use zones::rdata::to_canonical;

use crate::wire::name_to_wire;

//------------ SignedData ----------------------------------------------------

/// The octets a signature covers: RRSIG rdata prefix followed by the canonical RRset
/// (RFC 4034 section 3.1.8.1). Only this crate can build one, and only [`crate::rrsig`] does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedData(Vec<u8>);

impl SignedData {
    /// Builds the signed data for `rrset` under the RRSIG fields whose wire form (all but the
    /// signature) is `rrsig_prefix`, with their `labels` and `original_ttl`:
    /// owner lowercased (and reduced to `*.` + the last `labels` labels when the owner has
    /// more labels, RFC 4035 section 5.3.2), class, TTL = original TTL, canonical rdatas in
    /// canonical order without duplicates (RFC 4034 section 6.3).
    pub(crate) fn new(rrsig_prefix: Vec<u8>, labels: u8, original_ttl: u32, rrset: &Rrset) -> Self {
        let mut out = rrsig_prefix;
        let owner_labels = rrset.owner.num_labels();
        let owner = if labels < owner_labels {
            let base = rrset.owner.trim_to(usize::from(labels));
            let mut w = vec![1, b'*'];
            w.extend_from_slice(&name_to_wire(&base, true));
            w
        } else {
            name_to_wire(&rrset.owner, true)
        };
        let mut rdatas: Vec<Vec<u8>> = rrset
            .rdatas
            .iter()
            .map(|r| to_canonical(rrset.rtype, r.as_bytes()))
            .collect();
        rdatas.sort();
        rdatas.dedup();
        let class = u16::from(rrset.class).to_be_bytes();
        let rtype = u16::from(rrset.rtype).to_be_bytes();
        for rdata in &rdatas {
            out.extend_from_slice(&owner);
            out.extend_from_slice(&rtype);
            out.extend_from_slice(&class);
            out.extend_from_slice(&original_ttl.to_be_bytes());
            out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            out.extend_from_slice(rdata);
        }
        Self(out)
    }

    /// The octets to sign.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}
