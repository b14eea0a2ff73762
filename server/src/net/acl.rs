//! Access control lists for zone transfers (`allow_transfer`).
//!
//! An entry is an address range ("192.0.2.0/24"), a TSIG key ("key:sec1", RFC 8945: the
//! request must be signed with it), or both ("192.0.2.0/24 key:sec1"). A client is allowed
//! when any entry matches.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;

//------------ TransferAcls --------------------------------------------------

/// The transfer ACL of every zone, by lowercase wire apex: what TCP connections read. The
/// ACLs are the zones' own (shared, not copied), and an apex takes its wire length, so that
/// a server of ten thousand zones keeps a small table.
#[derive(Debug, Default)]
pub struct TransferAcls(Vec<(Box<[u8]>, Arc<Acl>)>);

impl TransferAcls {
    /// The table of `entries` (apex, ACL); of an apex listed twice, the first ACL counts.
    pub fn new(entries: impl IntoIterator<Item = (Box<[u8]>, Arc<Acl>)>) -> Self {
        let mut entries: Vec<_> = entries.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, first| later.0 == first.0);
        entries.shrink_to_fit();
        Self(entries)
    }

    /// The ACL of the zone at `apex` (lowercase wire), if it is served.
    pub fn get(&self, apex: &[u8]) -> Option<&Acl> {
        let at = self.0.binary_search_by(|(k, _)| k[..].cmp(apex)).ok()?;
        Some(&self.0[at].1)
    }
}

//------------ Acl -----------------------------------------------------------

/// An ordered list of entries; a client is allowed when any entry matches. Empty: nobody.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Acl {
    /// The entries, in configuration order.
    entries: Vec<AclEntry>,
}

/// One `allow_transfer` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AclEntry {
    /// An address or address range ("192.0.2.1", "127.0.0.0/8", "::1").
    Range(IpNet),
    /// Any client whose request is signed with this TSIG key ("key:NAME").
    Key(String),
    /// A client in the range whose request is signed with the key ("RANGE key:NAME").
    RangeAndKey(IpNet, String),
}

/// Why an ACL entry was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AclError {
    /// The entry is neither an address nor a range.
    #[error("{0:?} is not an address or address range (e.g. 192.0.2.0/24, ::1)")]
    BadRange(String),
    /// A `key:NAME` entry names no `[[tsig_key]]`.
    #[error("{0:?}: no [[tsig_key]] with that name")]
    UnknownKey(String),
}

impl Acl {
    /// Parses configuration entries.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, AclError> {
        let entries = entries
            .iter()
            .map(|e| AclEntry::parse(e.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }

    /// Whether a client at `addr` may transfer, its request signed with the TSIG key named
    /// `key` (already verified) or unsigned (`None`).
    pub fn allows(&self, addr: IpAddr, key: Option<&str>) -> bool {
        let addr = canonical_ip(addr);
        let key_is = |name: &str| key.is_some_and(|k| k.eq_ignore_ascii_case(name));
        self.entries.iter().any(|e| match e {
            AclEntry::Range(net) => net.contains(&addr),
            AclEntry::Key(name) => key_is(name),
            AclEntry::RangeAndKey(net, name) => net.contains(&addr) && key_is(name),
        })
    }

    /// The key names the entries refer to (checked against `[[tsig_key]]` at load).
    pub fn key_names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().filter_map(|e| match e {
            AclEntry::Key(n) | AclEntry::RangeAndKey(_, n) => Some(n.as_str()),
            AclEntry::Range(_) => None,
        })
    }

    /// True when the list allows nobody.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl AclEntry {
    /// Parses one entry.
    pub fn parse(text: &str) -> Result<Self, AclError> {
        let t = text.trim();
        if let Some(name) = t.strip_prefix("key:") {
            return Ok(Self::Key(name.trim_end_matches('.').to_string()));
        }
        if let Some((range, key)) = t.split_once(char::is_whitespace) {
            let key = key.trim();
            let Some(name) = key.strip_prefix("key:") else {
                return Err(AclError::BadRange(text.to_owned()));
            };
            let Self::Range(net) = Self::parse(range)? else {
                return Err(AclError::BadRange(text.to_owned()));
            };
            return Ok(Self::RangeAndKey(
                net,
                name.trim_end_matches('.').to_string(),
            ));
        }
        if let Ok(net) = t.parse::<IpNet>() {
            return Ok(Self::Range(net.trunc()));
        }
        if let Ok(ip) = t.parse::<IpAddr>() {
            return Ok(Self::Range(IpNet::from(ip)));
        }
        Err(AclError::BadRange(text.to_owned()))
    }
}

/// An IPv4-mapped IPv6 address (::ffff:a.b.c.d, as seen on dual-stack sockets) as IPv4.
fn canonical_ip(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => addr,
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_transfer_table_finds_a_zone_by_its_exact_apex_and_the_first_of_a_repeat() {
        let key = |n: &str| zones::snapshot::name_key(&n.parse().unwrap());
        let acl = |a: &str| Arc::new(Acl::parse(&[a]).unwrap());
        let table = TransferAcls::new([
            (key("b.test."), acl("192.0.2.2")),
            (key("a.test."), acl("192.0.2.1")),
            (key("b.test."), acl("192.0.2.9")),
        ]);
        let allows = |apex: &str, addr: &str| {
            table
                .get(&key(apex))
                .is_some_and(|a| a.allows(ip(addr), None))
        };
        assert!(allows("a.test.", "192.0.2.1"));
        assert!(allows("b.test.", "192.0.2.2"));
        assert!(
            !allows("b.test.", "192.0.2.9"),
            "the first entry of b.test counts"
        );
        assert!(table.get(&key("x.a.test.")).is_none(), "no suffix match");
        assert!(table.get(&key("test.")).is_none());
    }

    #[test]
    fn ranges_and_single_addresses_match() {
        let acl = Acl::parse(&["127.0.0.0/8", "::1", "192.0.2.7"]).unwrap();
        assert!(acl.allows(ip("127.0.0.1"), None));
        assert!(acl.allows(ip("127.255.1.2"), None));
        assert!(acl.allows(ip("::1"), None));
        assert!(acl.allows(ip("192.0.2.7"), None));
        assert!(!acl.allows(ip("192.0.2.8"), None));
        assert!(!acl.allows(ip("::2"), None));
        assert!(!acl.allows(ip("10.0.0.1"), None));
    }

    #[test]
    fn mapped_ipv4_clients_match_ipv4_ranges() {
        let acl = Acl::parse(&["192.0.2.0/24"]).unwrap();
        assert!(acl.allows(ip("::ffff:192.0.2.1"), None));
    }

    #[test]
    fn an_empty_acl_allows_nobody() {
        let acl = Acl::parse::<&str>(&[]).unwrap();
        assert!(!acl.allows(ip("127.0.0.1"), None));
    }

    #[test]
    fn key_entries_need_the_key_and_garbage_is_an_error() {
        let acl = Acl::parse(&["key:xfr", "192.0.2.0/24 key:other"]).unwrap();
        assert!(acl.allows(ip("203.0.113.1"), Some("xfr")));
        assert!(!acl.allows(ip("203.0.113.1"), None));
        assert!(!acl.allows(ip("203.0.113.1"), Some("other")));
        assert!(acl.allows(ip("192.0.2.9"), Some("other")));
        assert!(!acl.allows(ip("192.0.2.9"), None));
        assert!(matches!(
            Acl::parse(&["localhost"]),
            Err(AclError::BadRange(_))
        ));
        assert!(Acl::parse(&["10.0.0.0/33"]).is_err());
    }
}
