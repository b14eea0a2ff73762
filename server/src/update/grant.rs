//! Who may change what with UPDATE: `[[zone.update]]` grants (key, names, types), like Knot's
//! `update-owner`/`update-type` or BIND's `update-policy grant`. Nothing is allowed unless a
//! grant says so, and some records are never updatable whatever the grants say (the records
//! daned makes itself, the apex records that hold the zone together, and the names whose TLSA
//! records daned derives from certificates).

use zones::{Name, Rtype};

//------------ NamePattern ---------------------------------------------------

/// One entry of a grant's `names`: a name in the zone, where a `*` label matches exactly one
/// label of any content (`_acme-challenge.*.example.com` matches
/// `_acme-challenge.mx1.example.com`, not `_acme-challenge.a.b.example.com`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamePattern {
    /// The labels, lowercase, leftmost first (`None`: a `*` label).
    labels: Vec<Option<Vec<u8>>>,
}

impl NamePattern {
    /// The pattern of `name` (a `*` label anywhere is a wildcard).
    pub fn new(name: &Name) -> Self {
        let labels = name
            .to_lowercase()
            .iter()
            .map(|l| (l != b"*").then(|| l.to_vec()))
            .collect();
        Self { labels }
    }

    /// Whether `name` matches.
    pub fn matches(&self, name: &Name) -> bool {
        let name = name.to_lowercase();
        name.iter().count() == self.labels.len()
            && name
                .iter()
                .zip(&self.labels)
                .all(|(have, want)| want.as_deref().is_none_or(|w| w == have))
    }
}

//------------ UpdateGrant ---------------------------------------------------

/// One `[[zone.update]]`: what updates signed with `key` may change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateGrant {
    /// The `[[tsig_key]]` name (lowercase, no final dot).
    pub key: String,
    /// The owner names it may change.
    pub names: Vec<NamePattern>,
    /// The record types it may change.
    pub types: Vec<Rtype>,
}

impl UpdateGrant {
    /// Whether this grant lets `key` change records of `rtype` at `name`.
    pub fn allows(&self, key: &str, name: &Name, rtype: Rtype) -> bool {
        self.key.eq_ignore_ascii_case(key.trim_end_matches('.'))
            && self.types.contains(&rtype)
            && self.names.iter().any(|p| p.matches(name))
    }
}

/// Whether any of `grants` lets `key` change `rtype` at `name`.
pub fn allowed(grants: &[UpdateGrant], key: &str, name: &Name, rtype: Rtype) -> bool {
    grants.iter().any(|g| g.allows(key, name, rtype))
}

//------------ Never updatable -----------------------------------------------

/// Why a record can never be changed by UPDATE, whatever the grants say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protected {
    /// The signer makes it (RRSIG, NSEC, NSEC3, NSEC3PARAM, and DNSKEY, CDS, CDNSKEY).
    Signer,
    /// An apex record that holds the zone together (SOA, NS).
    Apex,
    /// daned derives the TLSA records at this name from certificate files.
    ManagedTlsa,
}

/// Types daned's signer owns: never accepted in a grant or an update.
pub fn signer_owned(rtype: Rtype) -> bool {
    matches!(
        rtype,
        Rtype::RRSIG
            | Rtype::NSEC
            | Rtype::NSEC3
            | Rtype::NSEC3PARAM
            | Rtype::DNSKEY
            | Rtype::CDS
            | Rtype::CDNSKEY
    )
}

/// Why `rtype` at `name` in the zone at `apex` is never updatable (`None`: grants decide).
/// `managed` are the names whose TLSA daned manages.
pub fn protected(apex: &Name, managed: &[Name], name: &Name, rtype: Rtype) -> Option<Protected> {
    if signer_owned(rtype) {
        return Some(Protected::Signer);
    }
    // An SOA anywhere but the apex would make a zone cut nobody asked for.
    if rtype == Rtype::SOA || (rtype == Rtype::NS && name == apex) {
        return Some(Protected::Apex);
    }
    if managed.iter().any(|m| m == name) {
        return Some(Protected::ManagedTlsa);
    }
    None
}

#[cfg(test)]
mod tests;
