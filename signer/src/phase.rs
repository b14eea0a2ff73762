//! Where a key is in its life (RFC 7583 section 3.1 states, simplified) and what is known of
//! its DS at the parent: the state the rollover machine reads and the key store persists.
//!
//! A leaf of its own so that the rollover ([`crate::rollover`]) and the key store
//! ([`crate::keystore`], which also asks the rollover what a key in a phase is used for) share
//! these types without importing each other in a circle.

use crate::time::Timestamp;

//------------ KeyPhase ------------------------------------------------------

/// Where a key is in its life (RFC 7583 section 3.1 states, simplified).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyPhase {
    /// Created, not yet in the zone.
    Generated,
    /// DNSKEY published, caches may not have it yet.
    Published,
    /// Published long enough to be in every cache.
    Ready,
    /// Signing (and for KSK/CSK, pointed at by the parent's DS).
    Active,
    /// No longer signing; still published while old signatures expire from caches.
    Retired,
    /// Signing without being in the DNSKEY RRset: only during an algorithm rollover (RFC 6781
    /// section 4.1.4), a new algorithm's key before its DNSKEY is published and an old one's
    /// after its DNSKEY left, so that every RRset a cache holds is signed with every
    /// algorithm of any DNSKEY RRset a cache may hold with it.
    Signing,
    /// Gone from the zone; kept on disk for the record.
    Removed,
}

impl KeyPhase {
    /// The name used in the metadata file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generated => "generated",
            Self::Published => "published",
            Self::Ready => "ready",
            Self::Active => "active",
            Self::Retired => "retired",
            Self::Signing => "signing",
            Self::Removed => "removed",
        }
    }

    /// Parses [`Self::as_str`] output.
    pub fn from_str_opt(s: &str) -> Option<Self> {
        Some(match s {
            "generated" => Self::Generated,
            "published" => Self::Published,
            "ready" => Self::Ready,
            "active" => Self::Active,
            "retired" => Self::Retired,
            "signing" => Self::Signing,
            "removed" => Self::Removed,
            _ => return None,
        })
    }
}

//------------ DsState -------------------------------------------------------

/// What is known of a key's DS record at the parent (meaningful for KSKs and CSKs). The
/// rollover waits out the parent's DS TTL from the moment a change was seen, so the moment is
/// part of the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DsState {
    /// Not (yet) seen at the parent.
    NotSeen,
    /// Seen at the parent since this time.
    Seen(Timestamp),
    /// Seen removed from the parent at this time.
    Gone(Timestamp),
}

impl DsState {
    /// The metadata file form: `not-seen`, `seen SECS`, `gone SECS`.
    pub(crate) fn to_text(self) -> String {
        match self {
            Self::NotSeen => "not-seen".into(),
            Self::Seen(t) => format!("seen {}", t.as_secs()),
            Self::Gone(t) => format!("gone {}", t.as_secs()),
        }
    }

    /// Parses [`Self::to_text`] output.
    pub(crate) fn from_text(s: &str) -> Option<Self> {
        let mut words = s.split_whitespace();
        let kind = words.next()?;
        let at = words.next().map(|w| w.parse::<u64>().map(Timestamp));
        Some(match (kind, at) {
            ("not-seen", None) => Self::NotSeen,
            ("seen", Some(Ok(t))) => Self::Seen(t),
            ("gone", Some(Ok(t))) => Self::Gone(t),
            _ => return None,
        })
    }
}
