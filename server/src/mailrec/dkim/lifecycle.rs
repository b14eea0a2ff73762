//! The life of a DKIM selector (RFC 6376 section 3.6.1; M3AAWG "DKIM Key Rotation Best
//! Common Practices"): the *next* key is published at its own selector before the mail
//! signer switches to it (`daned dkim ready` says when caches hold it), the *current* key is
//! the one the signer uses, a selector that left the configuration stays *retiring* with its
//! old key for `retire_after` (mail in flight, delayed or queued, still verifies), then is
//! published *revoked* (empty `p=`, so verifiers fail such signatures as revoked, not as
//! missing) for `retire_after` again, then removed.
//!
//! [`plan`] is pure: from the bindings, the keys the files give, what was published before
//! and `now`, it says which record each selector publishes. The state's facts (when a
//! selector left) are updated in place and saved by the manager.

use std::path::{Path, PathBuf};

use zones::Ttl;

use super::record::{DkimKey, KeyKind, txt_text};
use super::state::{DkimState, Left};

/// How long a selector that left stays when no binding says: 7 days.
pub const DEFAULT_RETIRE_AFTER: u64 = 7 * 86_400;

//------------ DkimBinding ----------------------------------------------------

/// One `[[zone.dkim]]`: the current selector and key, and optionally the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkimBinding {
    /// The selector the signer uses (`SELECTOR._domainkey.ZONE`).
    pub selector: String,
    /// Its key file (private or public key, PEM or DER).
    pub key: PathBuf,
    /// The next selector and its key file, published ahead.
    pub next: Option<(String, PathBuf)>,
    /// How long a selector stays after it leaves the configuration (seconds).
    pub retire_after: u64,
    /// Whether it is then published revoked for `retire_after` again.
    pub revoke: bool,
    /// The records' TTL.
    pub ttl: Ttl,
}

impl DkimBinding {
    /// The (selector, key file, role) of each key the binding publishes.
    pub fn keys(&self) -> impl Iterator<Item = (&str, &Path, Role)> {
        std::iter::once((self.selector.as_str(), self.key.as_path(), Role::Current)).chain(
            self.next
                .iter()
                .map(|(s, k)| (s.as_str(), k.as_path(), Role::Next)),
        )
    }
}

//------------ Role -----------------------------------------------------------

/// What a selector is now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The key the mail signer uses.
    Current,
    /// The key published ahead of the switch.
    Next,
    /// Left the configuration; its key stays published until the time given.
    Retiring {
        /// When it is revoked (or removed).
        until: u64,
    },
    /// Published with an empty `p=` until the time given.
    Revoked {
        /// When it is removed.
        until: u64,
    },
    /// No longer published.
    Removed,
}

impl Role {
    /// The word `daned dkim status` prints.
    pub fn word(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Next => "next",
            Self::Retiring { .. } => "retiring",
            Self::Revoked { .. } => "revoked",
            Self::Removed => "removed",
        }
    }
}

//------------ Planned --------------------------------------------------------

/// What one selector publishes now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    /// The selector.
    pub selector: String,
    /// Its role.
    pub role: Role,
    /// The TTL.
    pub ttl: Ttl,
    /// The record (`None`: nothing, e.g. removed, or a key file never readable).
    pub rdata: Option<Vec<u8>>,
    /// Why its key file is unusable (the last good record is kept), naming the file.
    pub error: Option<String>,
    /// A warning about the key (an RSA key below 2048 bits).
    pub warning: Option<String>,
}

/// The record each selector publishes at `now`. `read` gives a key file's key; `served` the
/// record a selector publishes in the version served (kept when its file is unusable).
/// Selectors that left the configuration are noted in `state.left` (at `now`) and leave it
/// once removed.
pub fn plan(
    bindings: &[DkimBinding],
    read: &dyn Fn(&Path) -> Result<DkimKey, String>,
    served: &dyn Fn(&str) -> Option<Vec<u8>>,
    state: &mut DkimState,
    now: u64,
) -> Vec<Planned> {
    let mut out = Vec::new();
    for binding in bindings {
        for (selector, file, role) in binding.keys() {
            let (rdata, error, warning) = match read(file) {
                Ok(key) => {
                    let warning = key.is_weak().then(|| {
                        format!(
                            "{}: RSA key of {} bits; use at least 2048 (RFC 8301 section 3.2)",
                            file.display(),
                            key.bits
                        )
                    });
                    (Some(key.rdata()), None, warning)
                }
                Err(e) => (served(selector), Some(e), None),
            };
            out.push(Planned {
                selector: selector.to_string(),
                role,
                ttl: binding.ttl,
                rdata,
                error,
                warning,
            });
        }
    }
    let configured: Vec<String> = out.iter().map(|p| p.selector.clone()).collect();
    state.left.retain(|s, _| !configured.contains(s));
    // Selectors published before that no binding names any more have just left.
    let (retire_after, revoke) = bindings
        .first()
        .map_or((DEFAULT_RETIRE_AFTER, true), |b| (b.retire_after, b.revoke));
    let published: Vec<(String, Vec<u8>)> = state.first_seen.keys().cloned().collect();
    for (selector, data) in published {
        if configured.contains(&selector) || state.left.contains_key(&selector) {
            continue;
        }
        let rdata = served(&selector).unwrap_or(data);
        let ttl = bindings.first().map_or(3600, |b| b.ttl.0);
        let left = Left {
            at: now,
            retire_after,
            revoke,
            ttl,
            rdata,
        };
        state.left.insert(selector, left);
    }
    let mut gone = Vec::new();
    for (selector, left) in &state.left {
        let retired = left.at.saturating_add(left.retire_after);
        let revoked_until = retired.saturating_add(left.retire_after);
        let (role, rdata) = if now < retired {
            (Role::Retiring { until: retired }, Some(left.rdata.clone()))
        } else if left.revoke && now < revoked_until {
            let revoked = DkimKey::revoked_rdata(kind_of(&left.rdata));
            (
                Role::Revoked {
                    until: revoked_until,
                },
                Some(revoked),
            )
        } else {
            gone.push(selector.clone());
            (Role::Removed, None)
        };
        out.push(Planned {
            selector: selector.clone(),
            role,
            ttl: Ttl(left.ttl),
            rdata,
            error: None,
            warning: None,
        });
    }
    for selector in gone {
        state.left.remove(&selector);
    }
    out
}

/// The key type a published record names (`k=`, RSA when absent as RFC 6376 says).
fn kind_of(rdata: &[u8]) -> KeyKind {
    let text = txt_text(rdata).unwrap_or_default();
    let ed = text
        .split(';')
        .any(|tag| tag.trim().replace(' ', "") == "k=ed25519");
    if ed { KeyKind::Ed25519 } else { KeyKind::Rsa }
}

/// The next time after `now` a selector's role changes (a retiring key revoked, a revoked
/// one removed).
pub fn next_change(state: &DkimState, now: u64) -> Option<u64> {
    state
        .left
        .values()
        .flat_map(|l| {
            let retired = l.at.saturating_add(l.retire_after);
            [
                Some(retired),
                l.revoke.then(|| retired.saturating_add(l.retire_after)),
            ]
        })
        .flatten()
        .filter(|&at| at > now)
        .min()
}

#[cfg(test)]
mod tests;
