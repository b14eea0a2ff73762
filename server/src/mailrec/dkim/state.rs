//! What must survive a restart about a zone's DKIM selectors, kept in
//! `state_dir/dkim/ZONE.state` (atomic writes): when each published record was first
//! published (readiness is 2 x TTL + propagation delay after that), and for each selector that
//! left the configuration when it left, how long it stays, whether it is then revoked, and the
//! record it kept publishing (its key file may be gone). One line per fact:
//!
//! ```text
//! pub SELECTOR FIRST_PUBLISHED RDATA_HEX
//! left SELECTOR LEFT_AT RETIRE_AFTER_SECS REVOKE(0|1) TTL RDATA_HEX
//! sts-probe AT ok ID
//! sts-probe AT error MESSAGE...
//! ```
//!
//! The last line is the zone's last MTA-STS policy fetch (`[zone.mta_sts] probe`): the id of
//! what the endpoint served, or why the fetch failed; `daned dkim status` says from it why a
//! new id waits.
//!
//! A line that does not parse is skipped: a record then counts as published now (which only
//! delays readiness), a selector that left as leaving now (which only delays its removal).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use zones::Name;

/// The state file of `zone`.
pub fn path(state_dir: &Path, zone: &Name) -> PathBuf {
    state_dir
        .join("dkim")
        .join(format!("{}.state", zones::file_stem(zone)))
}

/// A selector that left the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Left {
    /// When it left (seconds since the epoch).
    pub at: u64,
    /// How long its record stays, then (with `revoke`) how long the revocation stays.
    pub retire_after: u64,
    /// Whether it is published revoked after `retire_after`.
    pub revoke: bool,
    /// The TTL it was published with.
    pub ttl: u32,
    /// The record it published when it left.
    pub rdata: Vec<u8>,
}

/// Everything the state file holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DkimState {
    /// (selector, rdata) -> first published.
    pub first_seen: BTreeMap<(String, Vec<u8>), u64>,
    /// Selectors that left the configuration.
    pub left: BTreeMap<String, Left>,
    /// The last MTA-STS policy fetch: when, and the id served or why it failed.
    pub sts_probe: Option<(u64, Result<String, String>)>,
}

impl DkimState {
    /// Reads the state file; a missing file is an empty state.
    pub fn load(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut state = Self::default();
        for line in text.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            match f.as_slice() {
                ["pub", selector, at, data] => {
                    if let (Ok(at), Some(data)) = (at.parse(), unhex(data)) {
                        state.first_seen.insert((selector.to_string(), data), at);
                    }
                }
                ["left", selector, at, retire, revoke, ttl, data] => {
                    let (Ok(at), Ok(retire_after), Ok(ttl), Some(rdata)) =
                        (at.parse(), retire.parse(), ttl.parse(), unhex(data))
                    else {
                        continue;
                    };
                    let left = Left {
                        at,
                        retire_after,
                        revoke: *revoke == "1",
                        ttl,
                        rdata,
                    };
                    state.left.insert(selector.to_string(), left);
                }
                ["sts-probe", at, "ok", id] => {
                    if let Ok(at) = at.parse() {
                        state.sts_probe = Some((at, Ok(id.to_string())));
                    }
                }
                ["sts-probe", at, "error", message @ ..] => {
                    if let Ok(at) = at.parse() {
                        state.sts_probe = Some((at, Err(message.join(" "))));
                    }
                }
                _ => {}
            }
        }
        state
    }

    /// Writes the state file atomically, creating its folder.
    pub fn store(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut text = String::new();
        for ((selector, data), at) in &self.first_seen {
            text.push_str(&format!("pub {selector} {at} {}\n", hex(data)));
        }
        for (selector, l) in &self.left {
            text.push_str(&format!(
                "left {selector} {} {} {} {} {}\n",
                l.at,
                l.retire_after,
                u8::from(l.revoke),
                l.ttl,
                hex(&l.rdata)
            ));
        }
        match &self.sts_probe {
            Some((at, Ok(id))) => text.push_str(&format!("sts-probe {at} ok {id}\n")),
            Some((at, Err(e))) => {
                let e: String = e
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                text.push_str(&format!("sts-probe {at} error {e}\n"));
            }
            None => {}
        }
        zones::fs::write_atomic(path, text.as_bytes(), 0o644).map_err(std::io::Error::other)
    }

    /// Stores the state when it differs from what the file holds.
    pub fn store_if_changed(&self, path: &Path) -> std::io::Result<()> {
        if &Self::load(path) != self {
            self.store(path)?;
        }
        Ok(())
    }
}

/// Lowercase hex.
fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of hex text (`None` when it is not hex).
fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_publications_and_left_selectors_survive_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path(), &Name::from_ascii("example.com.").unwrap());
        let mut st = DkimState::default();
        st.first_seen.insert(("s1".into(), vec![1, 2]), 10);
        st.left.insert(
            "s0".into(),
            Left {
                at: 20,
                retire_after: 604_800,
                revoke: true,
                ttl: 3600,
                rdata: vec![3, b'a', b'b', b'c'],
            },
        );
        st.sts_probe = Some((30, Err("cannot connect:\nrefused".into())));
        st.store(&p).unwrap();
        let mut back = DkimState::load(&p);
        assert_eq!(
            back.sts_probe,
            Some((30, Err("cannot connect: refused".into())))
        );
        back.sts_probe = st.sts_probe.clone();
        assert_eq!(back, st);
        st.sts_probe = Some((31, Ok("abc".into())));
        st.store(&p).unwrap();
        assert_eq!(DkimState::load(&p), st);
        std::fs::write(&p, "pub s1 x 0102\nleft s0 1 2 1 3 zz\ngarbage\n").unwrap();
        assert_eq!(DkimState::load(&p), DkimState::default());
    }
}
