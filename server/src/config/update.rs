//! The `[[zone.update]]` tables: which TSIG key may change which names and types of the
//! zone with DNS UPDATE (RFC 2136). Nothing is allowed unless a grant says so.

use serde::Deserialize;
use zones::{Name, Rtype};

use crate::config::Invalid;
use crate::update::grant::{NamePattern, UpdateGrant, signer_owned};

//------------ RawGrant -------------------------------------------------------

/// `[[zone.update]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGrant {
    /// The `[[tsig_key]]` the request must be signed with.
    key: String,
    /// Owner names in the zone; a `*` label matches exactly one label.
    names: Vec<String>,
    /// Record types (mnemonics, e.g. "TXT").
    types: Vec<String>,
}

/// Checks one `[[zone.update]]` of the zone `zone`; `knows_key` says whether a
/// `[[tsig_key]]` has that name.
pub(super) fn parse_grant(
    raw: &RawGrant,
    zone: &Name,
    what: &str,
    knows_key: impl Fn(&str) -> bool,
) -> Result<UpdateGrant, Invalid> {
    let what = format!("{what}: update");
    let key = raw.key.trim_end_matches('.').to_ascii_lowercase();
    if !knows_key(&key) {
        return Err(Invalid::new(
            &format!("{what}: key"),
            format!("no [[tsig_key]] named {:?}", raw.key),
        ));
    }
    if raw.names.is_empty() || raw.types.is_empty() {
        return Err(Invalid::new(&what, "names and types must not be empty"));
    }
    let mut names = Vec::new();
    for n in &raw.names {
        let mut name = Name::from_ascii(n)
            .map_err(|e| Invalid::new(&format!("{what}: names"), format!("{n:?}: {e}")))?;
        name.set_fqdn(true);
        if !zone.zone_of(&name) {
            return Err(Invalid::new(
                &format!("{what}: names"),
                format!("{n:?} is not in the zone"),
            ));
        }
        names.push(NamePattern::new(&name));
    }
    let mut types = Vec::new();
    for t in &raw.types {
        let rtype: Rtype = t
            .to_ascii_uppercase()
            .parse()
            .map_err(|_| Invalid::new(&format!("{what}: types"), format!("{t:?}: unknown type")))?;
        if signer_owned(rtype)
            || matches!(
                rtype,
                Rtype::SOA | Rtype::ANY | Rtype::AXFR | Rtype::IXFR | Rtype::OPT | Rtype::TSIG
            )
        {
            return Err(Invalid::new(
                &format!("{what}: types"),
                format!("{t:?} can never be updated"),
            ));
        }
        types.push(rtype);
    }
    Ok(UpdateGrant { key, names, types })
}

#[cfg(test)]
mod tests;
