//! The MTA-STS policy file (RFC 8461 section 3.2) and the id of its TXT record (section 3.1).
//!
//! The policy is `key: value` lines (CRLF or LF): `version: STSv1`, `mode` (enforce, testing,
//! none), `max_age` (seconds, at most 31557600) and one `mx` line per MX pattern (a host name,
//! or `*.` and a name: one leftmost label). A sender that enforces the policy refuses every MX
//! host no pattern covers, so a pattern missing for an MX target of the zone is an error here.
//! The TXT id is derived from the file's bytes: it changes exactly when the content does.

use zones::Name;

/// The largest `max_age` (RFC 8461 section 3.2: about one year).
pub const MAX_AGE_LIMIT: u64 = 31_557_600;

//------------ StsPolicy ------------------------------------------------------

/// A checked policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsPolicy {
    /// `mode`.
    pub mode: Mode,
    /// `max_age`, seconds.
    pub max_age: u64,
    /// The `mx` patterns, lowercase, without a final dot.
    pub mx: Vec<String>,
}

/// `mode` (RFC 8461 section 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Senders refuse hosts that fail.
    Enforce,
    /// Senders report failures (TLS-RPT) but deliver.
    Testing,
    /// No policy.
    None,
}

/// Why a policy file is refused.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// A line without `key: value`.
    #[error("line {0}: not \"key: value\" (RFC 8461 section 3.2)")]
    Syntax(usize),
    /// `version` missing or not STSv1.
    #[error("version must be STSv1 (RFC 8461 section 3.2)")]
    Version,
    /// `mode` missing or not one of enforce, testing, none.
    #[error("mode must be enforce, testing or none (RFC 8461 section 3.2)")]
    Mode,
    /// `max_age` missing, not a number, or too large.
    #[error("max_age must be a number of seconds up to {MAX_AGE_LIMIT} (RFC 8461 section 3.2)")]
    MaxAge,
    /// A key given twice (other than `mx`).
    #[error("{0} given twice")]
    Repeated(String),
    /// No `mx` in a policy whose mode is not none.
    #[error("no mx pattern: senders could deliver to no MX host")]
    NoMx,
    /// An `mx` value that is not a host name or `*.` and one.
    #[error("mx {0:?}: not a host name or a *. wildcard pattern (RFC 8461 section 4.1)")]
    BadMx(String),
    /// An MX target of the zone that no pattern covers.
    #[error(
        "MX target {0} is covered by no mx pattern: senders enforcing the policy refuse to deliver there"
    )]
    Uncovered(String),
}

impl StsPolicy {
    /// Parses and checks a policy file's text.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let (mut version, mut mode, mut max_age) = (None, None, None);
        let mut mx = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let (key, value) = line.split_once(':').ok_or(PolicyError::Syntax(i + 1))?;
            let (key, value) = (key.trim(), value.trim());
            let once = |slot: &mut Option<String>| {
                if slot.replace(value.to_string()).is_some() {
                    Err(PolicyError::Repeated(key.to_string()))
                } else {
                    Ok(())
                }
            };
            match key {
                "version" => once(&mut version)?,
                "mode" => once(&mut mode)?,
                "max_age" => once(&mut max_age)?,
                "mx" => mx.push(check_mx(value)?),
                // RFC 8461 section 3.2: other keys are ignored (extensions).
                _ => {}
            }
        }
        if version.as_deref() != Some("STSv1") {
            return Err(PolicyError::Version);
        }
        let mode = match mode.as_deref() {
            Some("enforce") => Mode::Enforce,
            Some("testing") => Mode::Testing,
            Some("none") => Mode::None,
            _ => return Err(PolicyError::Mode),
        };
        let max_age = max_age
            .and_then(|v| {
                (v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| v.parse::<u64>().ok())
                    .flatten()
            })
            .filter(|&v| v <= MAX_AGE_LIMIT)
            .ok_or(PolicyError::MaxAge)?;
        if mx.is_empty() && mode != Mode::None {
            return Err(PolicyError::NoMx);
        }
        Ok(Self { mode, max_age, mx })
    }

    /// Whether a pattern covers `host` (RFC 8461 section 4.1: `*.` matches exactly one label).
    pub fn covers(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.mx.iter().any(|p| match p.strip_prefix("*.") {
            Some(suffix) => host
                .split_once('.')
                .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
            None => *p == host,
        })
    }

    /// An error naming the first of `targets` (the zone's MX targets) no pattern covers.
    pub fn check_targets<'a>(
        &self,
        targets: impl IntoIterator<Item = &'a Name>,
    ) -> Result<(), PolicyError> {
        if self.mode == Mode::None {
            return Ok(());
        }
        for target in targets {
            let text = target.to_string();
            // A null MX (RFC 7505) says the domain takes no mail: nothing to cover.
            if text == "." {
                continue;
            }
            if !self.covers(&text) {
                return Err(PolicyError::Uncovered(text));
            }
        }
        Ok(())
    }
}

/// An `mx` value, lowercase and without a final dot, once checked.
fn check_mx(value: &str) -> Result<String, PolicyError> {
    let v = value.trim_end_matches('.').to_ascii_lowercase();
    let name = v.strip_prefix("*.").unwrap_or(&v);
    let ok = name.contains('.')
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if ok {
        Ok(v)
    } else {
        Err(PolicyError::BadMx(value.to_string()))
    }
}

/// The TXT id of a policy file's content: 20 hex digits of its SHA-256 (RFC 8461 section 3.1
/// allows 1 to 32 letters and digits). Equal content, equal id.
pub fn policy_id(content: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, content);
    digest.as_ref()[..10]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `_mta-sts` TXT text for `id` (RFC 8461 section 3.1).
pub fn record_text(id: &str) -> String {
    format!("v=STSv1; id={id}")
}

/// The id of an `_mta-sts` TXT text (`None` when it is no STSv1 record).
pub fn id_of_record(text: &str) -> Option<String> {
    let mut tags = text.split(';').map(str::trim);
    if tags.next()? != "v=STSv1" {
        return None;
    }
    tags.find_map(|t| t.strip_prefix("id=").map(str::to_string))
}

#[cfg(test)]
mod tests;
