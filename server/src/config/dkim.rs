//! The `[[zone.dkim]]` tables: DKIM public keys daned publishes from key files (RFC 6376,
//! RFC 8463), with a next selector published ahead of the signer's switch.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use zones::Ttl;

use crate::config::Invalid;
use crate::config::duration::parse_duration;
use crate::config::tlsa::ttl;
use crate::mailrec::dkim::DkimBinding;
use crate::mailrec::dkim::lifecycle::DEFAULT_RETIRE_AFTER;

/// `[[zone.dkim]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDkim {
    /// Selector of the key the signer uses.
    selector: String,
    /// Its key file.
    key: PathBuf,
    /// Selector of the next key.
    next_selector: Option<String>,
    /// The next key file.
    next_key: Option<PathBuf>,
    /// How long a selector stays after it leaves (default 7d).
    retire_after: Option<String>,
    /// Publish it revoked afterwards (default true).
    #[serde(default = "default_true")]
    revoke: bool,
    /// TTL of the records (default 1h).
    ttl: Option<String>,
}

/// Selectors are revoked once retired unless the table says otherwise.
fn default_true() -> bool {
    true
}

/// The records' TTL when `ttl` is left out.
const DEFAULT_TTL: Ttl = Ttl(3600);

/// Checks one `[[zone.dkim]]`; `earlier` are the zone's tables before it (a selector is
/// named once per zone), `what` names the zone, `base` is the configuration's folder.
pub(super) fn parse_dkim(
    raw: &RawDkim,
    earlier: &[DkimBinding],
    what: &str,
    base: &Path,
) -> Result<DkimBinding, Invalid> {
    let what = format!("{what}: dkim");
    check_selector(&raw.selector).map_err(|m| Invalid::new(&format!("{what}: selector"), m))?;
    let next = match (&raw.next_selector, &raw.next_key) {
        (Some(s), Some(k)) => {
            check_selector(s).map_err(|m| Invalid::new(&format!("{what}: next_selector"), m))?;
            if s.eq_ignore_ascii_case(&raw.selector) {
                return Err(Invalid::new(
                    &format!("{what}: next_selector"),
                    "must differ from selector: the next key is published at its own selector",
                ));
            }
            Some((s.to_ascii_lowercase(), base.join(k)))
        }
        (None, None) => None,
        _ => {
            return Err(Invalid::new(
                &what,
                "next_selector and next_key go together",
            ));
        }
    };
    let selector = raw.selector.to_ascii_lowercase();
    let named = |s: &str| {
        earlier
            .iter()
            .any(|b| b.keys().any(|(other, _, _)| other == s))
    };
    for s in std::iter::once(&selector).chain(next.as_ref().map(|(s, _)| s)) {
        if named(s) {
            return Err(Invalid::new(
                &what,
                format!("selector {s:?} is named twice"),
            ));
        }
    }
    let retire_after = match &raw.retire_after {
        Some(v) => parse_duration(v)
            .map_err(|e| Invalid::new(&format!("{what}: retire_after"), e))?
            .as_secs(),
        None => DEFAULT_RETIRE_AFTER,
    };
    let ttl = match &raw.ttl {
        Some(v) => ttl(v).map_err(|m| Invalid::new(&format!("{what}: ttl"), m))?,
        None => DEFAULT_TTL,
    };
    Ok(DkimBinding {
        selector,
        key: base.join(&raw.key),
        next,
        retire_after,
        revoke: raw.revoke,
        ttl,
    })
}

/// A selector is one or more labels of letters, digits and hyphens (RFC 6376 section 3.1).
fn check_selector(text: &str) -> Result<(), String> {
    let ok = !text.is_empty()
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?}: a selector is labels of letters, digits and hyphens (RFC 6376 section 3.1)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_labels_of_letters_digits_and_hyphens() {
        assert!(check_selector("selector1").is_ok());
        assert!(check_selector("2026-01.mail").is_ok());
        for bad in ["", "a..b", "a_b", "s 1", "a."] {
            assert!(check_selector(bad).is_err(), "{bad:?}");
        }
    }
}
