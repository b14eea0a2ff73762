//! Semantic checks run on a loaded zone (RFC 1035 section 5.2, RFC 1034 section 4.2.1,
//! RFC 2181 sections 6.1 and 10.1, RFC 4035 section 2.5, RFC 6672 section 2.4).
//!
//! One [`CheckError`] variant per rule, each naming the file and line of the offending record,
//! so that a bad zone is refused at load with a message an operator can act on. The checks run
//! on a [`Zone`] however it was built; where records did not come from a file, the location
//! reads `<zone>:0`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use crate::present::name_to_text;
use crate::record::{Name, Rtype};
use crate::zone::{RrsetKey, Zone};

//------------ Location ------------------------------------------------------

/// A place in a zone file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file, as named to the loader.
    pub file: Arc<str>,
    /// 1-based line (0 when unknown).
    pub line: usize,
}

impl Location {
    /// The location used for records that did not come from a file.
    pub fn unknown() -> Self {
        Self {
            file: Arc::from("<zone>"),
            line: 0,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Where the records of each RRset came from, in file order (key as in [`Zone::rrsets`]).
pub type Provenance = HashMap<RrsetKey, Vec<Location>>;

//------------ CheckError ----------------------------------------------------

/// A zone that breaks a rule the server relies on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The zone has no SOA at its apex (RFC 1035 section 5.2: exactly one SOA, at the top).
    #[error("{at}: zone {origin} has no SOA record at its apex")]
    NoSoa {
        /// The zone's origin.
        origin: String,
        /// The first record of the zone.
        at: Location,
    },
    /// The apex SOA RRset has more than one record (RFC 1035 section 5.2).
    #[error("{at}: more than one SOA record at {origin}")]
    MultipleSoa {
        /// The zone's origin.
        origin: String,
        /// The second SOA record.
        at: Location,
    },
    /// An SOA record away from the apex (RFC 1035 section 5.2).
    #[error("{at}: SOA record at {owner}, which is not the zone apex")]
    SoaNotAtApex {
        /// Where the stray SOA is.
        owner: String,
        /// The record.
        at: Location,
    },
    /// No NS RRset at the apex (RFC 1034 section 4.2.1).
    #[error("{at}: zone {origin} has no NS records at its apex")]
    NoApexNs {
        /// The zone's origin.
        origin: String,
        /// The SOA record.
        at: Location,
    },
    /// A CNAME sharing its owner with other data (RFC 2181 section 10.1; RRSIG, NSEC and
    /// NSEC3 are allowed beside it by RFC 4035 section 2.5).
    #[error("{at}: CNAME at {owner} beside other data ({other})")]
    CnameAndOtherData {
        /// The owner.
        owner: String,
        /// One of the other types present.
        other: String,
        /// The CNAME record.
        at: Location,
    },
    /// More than one CNAME at a name (RFC 2181 section 10.1).
    #[error("{at}: more than one CNAME record at {owner}")]
    MultipleCnames {
        /// The owner.
        owner: String,
        /// The second CNAME record.
        at: Location,
    },
    /// A record whose owner is not at or below the origin.
    #[error("{at}: {owner} is outside the zone {origin}")]
    OutOfZone {
        /// The owner.
        owner: String,
        /// The zone's origin.
        origin: String,
        /// The record.
        at: Location,
    },
    /// An NS target below a delegation point of this zone without A or AAAA records: the
    /// delegation could not be followed (RFC 1034 section 4.2.1, glue).
    #[error("{at}: NS {target} at {owner} needs glue (A or AAAA) in this zone")]
    MissingGlue {
        /// Owner of the NS RRset.
        owner: String,
        /// The target without address records.
        target: String,
        /// The NS record.
        at: Location,
    },
    /// Data below a DNAME (RFC 6672 section 2.4: a DNAME owner has no descendants).
    #[error("{at}: {owner} lies below the DNAME at {dname}")]
    DataBelowDname {
        /// The descendant's owner.
        owner: String,
        /// The DNAME owner.
        dname: String,
        /// The descendant record.
        at: Location,
    },
}

impl CheckError {
    /// Where the offending record is.
    pub fn location(&self) -> &Location {
        match self {
            Self::NoSoa { at, .. }
            | Self::MultipleSoa { at, .. }
            | Self::SoaNotAtApex { at, .. }
            | Self::NoApexNs { at, .. }
            | Self::CnameAndOtherData { at, .. }
            | Self::MultipleCnames { at, .. }
            | Self::OutOfZone { at, .. }
            | Self::MissingGlue { at, .. }
            | Self::DataBelowDname { at, .. } => at,
        }
    }
}

//------------ check ---------------------------------------------------------

/// Checks `zone`, returning the first rule broken. `provenance`, when given, supplies file and
/// line for each RRset's records.
pub fn check(zone: &Zone, provenance: Option<&Provenance>) -> Result<(), CheckError> {
    let loc = |key: &RrsetKey, nth: usize| -> Location {
        provenance
            .and_then(|p| p.get(key))
            .and_then(|v| v.get(nth).or(v.last()))
            .cloned()
            .unwrap_or_else(Location::unknown)
    };
    let origin = zone.origin.to_lowercase();
    let origin_text = name_to_text(&zone.origin);

    // Records outside the zone.
    for (key, set) in &zone.rrsets {
        if !origin.zone_of(&key.0) {
            return Err(CheckError::OutOfZone {
                owner: name_to_text(&set.owner),
                origin: origin_text,
                at: loc(key, 0),
            });
        }
    }

    // SOA: exactly one, at the apex.
    let soa_key = (origin.clone(), u16::from(Rtype::SOA), 0);
    for (key, set) in &zone.rrsets {
        if key.1 == u16::from(Rtype::SOA) && key.0 != origin {
            return Err(CheckError::SoaNotAtApex {
                owner: name_to_text(&set.owner),
                at: loc(key, 0),
            });
        }
    }
    match zone.rrsets.get(&soa_key) {
        None => {
            let first = provenance
                .and_then(|p| p.values().flatten().min_by_key(|l| l.line).cloned())
                .unwrap_or_else(Location::unknown);
            return Err(CheckError::NoSoa {
                origin: origin_text,
                at: first,
            });
        }
        Some(set) if set.rdatas.len() > 1 => {
            return Err(CheckError::MultipleSoa {
                origin: origin_text,
                at: loc(&soa_key, 1),
            });
        }
        Some(_) => {}
    }
    if !zone
        .rrsets
        .contains_key(&(origin.clone(), u16::from(Rtype::NS), 0))
    {
        return Err(CheckError::NoApexNs {
            origin: origin_text,
            at: loc(&soa_key, 0),
        });
    }

    // CNAME beside other data, or more than one.
    let cname = u16::from(Rtype::CNAME);
    let allowed_beside_cname = [
        cname,
        u16::from(Rtype::RRSIG),
        u16::from(Rtype::NSEC),
        u16::from(Rtype::NSEC3),
    ];
    for (key, set) in &zone.rrsets {
        if key.1 != cname {
            continue;
        }
        if set.rdatas.len() > 1 {
            return Err(CheckError::MultipleCnames {
                owner: name_to_text(&set.owner),
                at: loc(key, 1),
            });
        }
        let other = zone
            .rrsets
            .range((key.0.clone(), 0, 0)..=(key.0.clone(), u16::MAX, u16::MAX))
            .find(|(k, _)| !allowed_beside_cname.contains(&k.1));
        if let Some((k, _)) = other {
            return Err(CheckError::CnameAndOtherData {
                owner: name_to_text(&set.owner),
                other: crate::registry::type_to_text(k.1),
                at: loc(key, 0),
            });
        }
    }
    // Data below a DNAME.
    let dnames: HashSet<&Name> = zone
        .rrsets
        .keys()
        .filter(|k| k.1 == u16::from(Rtype::DNAME))
        .map(|k| &k.0)
        .collect();
    if !dnames.is_empty() {
        for (key, set) in &zone.rrsets {
            let mut parent = key.0.base_name();
            while parent.num_labels() >= origin.num_labels() && !key.0.is_root() {
                if dnames.contains(&parent) {
                    return Err(CheckError::DataBelowDname {
                        owner: name_to_text(&set.owner),
                        dname: name_to_text(&parent),
                        at: loc(key, 0),
                    });
                }
                if parent.is_root() {
                    break;
                }
                parent = parent.base_name();
            }
        }
    }

    // Glue for NS targets below a delegation point of this zone.
    let ns = u16::from(Rtype::NS);
    let cuts: Vec<&Name> = zone
        .rrsets
        .keys()
        .filter(|k| k.1 == ns && k.0 != origin)
        .map(|k| &k.0)
        .collect();
    for (key, set) in &zone.rrsets {
        if key.1 != ns {
            continue;
        }
        for rdata in &set.rdatas {
            let Some((target, _)) = crate::master::name::read_name_wire(rdata.as_bytes(), 0) else {
                continue;
            };
            let target = target.to_lowercase();
            if !cuts.iter().any(|cut| cut.zone_of(&target)) {
                continue;
            }
            let has_address = [Rtype::A, Rtype::AAAA].iter().any(|t| {
                zone.rrsets
                    .contains_key(&(target.clone(), u16::from(*t), 0))
            });
            if !has_address {
                return Err(CheckError::MissingGlue {
                    owner: name_to_text(&set.owner),
                    target: name_to_text(&target),
                    at: loc(key, 0),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::master::parse_zone_str;

    fn origin() -> Name {
        Name::from_ascii("example.com.").unwrap()
    }

    const HEAD: &str = "$TTL 3600\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n";

    fn err_of(body: &str) -> CheckError {
        match parse_zone_str(&format!("{HEAD}{body}"), &origin(), "t.zone") {
            Err(crate::master::LoadError::Check(c)) => c,
            other => panic!("expected a check error, got {other:?}"),
        }
    }

    #[test]
    fn a_minimal_zone_passes() {
        parse_zone_str(HEAD, &origin(), "t.zone").unwrap();
    }

    #[test]
    fn rrsig_and_nsec_may_sit_beside_a_cname() {
        let body = "c CNAME x\nc NSEC d A\n";
        parse_zone_str(&format!("{HEAD}{body}"), &origin(), "t").unwrap();
    }

    #[test]
    fn a_cname_beside_an_a_record_is_reported_at_the_cname_line() {
        let e = err_of("c A 192.0.2.2\nc CNAME x\n");
        assert!(matches!(e, CheckError::CnameAndOtherData { .. }));
        assert_eq!(e.location().line, 6);
        assert!(e.to_string().starts_with("t.zone:6: "));
    }

    #[test]
    fn glue_is_needed_below_a_delegation_but_not_outside_it() {
        parse_zone_str(&format!("{HEAD}sub NS ns.other.net.\n"), &origin(), "t").unwrap();
        let e = err_of("sub NS ns.sub\n");
        assert!(matches!(e, CheckError::MissingGlue { .. }));
        parse_zone_str(
            &format!("{HEAD}sub NS ns.sub\nns.sub A 192.0.2.9\n"),
            &origin(),
            "t",
        )
        .unwrap();
    }

    #[test]
    fn a_zone_built_in_code_reports_unknown_locations() {
        let z = Zone::new(origin(), crate::record::Class::IN);
        let e = check(&z, None).unwrap_err();
        assert_eq!(e.location(), &Location::unknown());
    }
}
