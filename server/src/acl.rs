//! Access control lists for zone transfers (`allow_transfer`).
//!
//! An entry is an address range today; TSIG keys (`key:NAME`, RFC 8945) come later. The entry
//! type is an enum so that it can grow without changing its callers.

use std::net::IpAddr;

use ipnet::IpNet;

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
}

/// Why an ACL entry was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AclError {
    /// The entry is neither an address nor a range.
    #[error("{0:?} is not an address or address range (e.g. 192.0.2.0/24, ::1)")]
    BadRange(String),
    /// `key:NAME` entries need TSIG (RFC 8945), which daned does not implement yet.
    #[error("{0:?}: TSIG keys are not supported yet; use address ranges")]
    KeyUnsupported(String),
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

    /// Whether a client at `addr` (no TSIG) may transfer.
    pub fn allows(&self, addr: IpAddr) -> bool {
        let addr = canonical_ip(addr);
        self.entries.iter().any(|e| match e {
            AclEntry::Range(net) => net.contains(&addr),
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
        if t.starts_with("key:") {
            return Err(AclError::KeyUnsupported(text.to_owned()));
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
    fn ranges_and_single_addresses_match() {
        let acl = Acl::parse(&["127.0.0.0/8", "::1", "192.0.2.7"]).unwrap();
        assert!(acl.allows(ip("127.0.0.1")));
        assert!(acl.allows(ip("127.255.1.2")));
        assert!(acl.allows(ip("::1")));
        assert!(acl.allows(ip("192.0.2.7")));
        assert!(!acl.allows(ip("192.0.2.8")));
        assert!(!acl.allows(ip("::2")));
        assert!(!acl.allows(ip("10.0.0.1")));
    }

    #[test]
    fn mapped_ipv4_clients_match_ipv4_ranges() {
        let acl = Acl::parse(&["192.0.2.0/24"]).unwrap();
        assert!(acl.allows(ip("::ffff:192.0.2.1")));
    }

    #[test]
    fn an_empty_acl_allows_nobody() {
        let acl = Acl::parse::<&str>(&[]).unwrap();
        assert!(!acl.allows(ip("127.0.0.1")));
    }

    #[test]
    fn key_entries_and_garbage_are_errors_not_silent_allows() {
        assert!(matches!(
            Acl::parse(&["key:xfr"]),
            Err(AclError::KeyUnsupported(_))
        ));
        assert!(matches!(
            Acl::parse(&["localhost"]),
            Err(AclError::BadRange(_))
        ));
        assert!(Acl::parse(&["10.0.0.0/33"]).is_err());
    }
}
