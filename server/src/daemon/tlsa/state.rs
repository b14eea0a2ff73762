//! When each managed TLSA record was first published, kept in `state_dir/tlsa/ZONE.state`
//! (atomic writes), and what follows from it: a next key is *ready* once its record has been
//! published for 2 x the TLSA TTL plus the propagation delay (RFC 7671 section 8.1), so that
//! no sender can still hold an RRset without it.
//!
//! The same file keeps what must survive a restart of the daemon and what `daned tlsa status`
//! shows: when each retiring record may be removed, until when an unsafe rollover lets senders
//! defer mail with 5.7.323, and the last probe of each MTA. One line per fact:
//!
//! ```text
//! OWNER HEX FIRST_PUBLISHED
//! retire OWNER HEX NOT_BEFORE
//! unsafe OWNER HEX UNTIL
//! probe HOST:PORT AT ok LEAF_KEY_HEX CERT_HEX[,CERT_HEX...]
//! probe HOST:PORT AT error MESSAGE...
//! ```
//!
//! Owners end with a dot, so the keywords cannot be mistaken for one; a line that does not
//! parse is skipped (a record then counts as published now, which only delays readiness; a
//! probe line, such as one from before probes kept the presented chain, counts as not probed
//! yet). A probe line holds the `3 1 1` rdata of the presented key, for people reading the
//! file, and the presented chain (DER, leaf first), which is what the matcher reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use zones::{Name, Zone};

use super::publish::{self, TlsaBinding};
use crate::dane::probe::{Presented, ProbeSeen};

/// (owner in text, rdata in hex) -> first published (seconds since the epoch).
pub type FirstSeen = BTreeMap<(String, String), u64>;

/// The state file of `zone`.
pub fn path(state_dir: &Path, zone: &Name) -> PathBuf {
    state_dir
        .join("tlsa")
        .join(format!("{}.state", zones::file_stem(zone)))
}

/// Everything the state file holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsaState {
    /// When each published record was first published.
    pub first_seen: FirstSeen,
    /// (owner, rdata hex) of records no longer in the files -> the time from which they may
    /// be removed (with a probe, only once the MTA presents the new key).
    pub retiring: BTreeMap<(String, String), u64>,
    /// (owner, rdata hex) of a certificate key that went into service before it was ready ->
    /// until when senders may defer mail with 5.7.323.
    pub unsafe_until: BTreeMap<(String, String), u64>,
    /// The last probe of each `probe` address.
    pub probes: BTreeMap<String, ProbeSeen>,
}

impl TlsaState {
    /// Reads the state file; a missing file is an empty state.
    pub fn load(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut state = Self::default();
        for line in text.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            let key = |i: usize| (f[i].to_string(), f[i + 1].to_string());
            match f.as_slice() {
                ["retire", _, _, at] => {
                    if let Ok(at) = at.parse() {
                        state.retiring.insert(key(1), at);
                    }
                }
                ["unsafe", _, _, at] => {
                    if let Ok(at) = at.parse() {
                        state.unsafe_until.insert(key(1), at);
                    }
                }
                ["probe", addr, at, "ok", _leaf_key, chain, ..] => {
                    let chain: Option<Vec<_>> = chain.split(',').map(unhex).collect();
                    let (Ok(at), Some(chain)) = (at.parse(), chain) else {
                        continue;
                    };
                    let Ok(presented) = Presented::of_chain(chain) else {
                        continue;
                    };
                    let outcome = Ok(presented);
                    state
                        .probes
                        .insert(addr.to_string(), ProbeSeen { at, outcome });
                }
                ["probe", addr, at, "error", message @ ..] => {
                    if let Ok(at) = at.parse() {
                        let outcome = Err(message.join(" "));
                        state
                            .probes
                            .insert(addr.to_string(), ProbeSeen { at, outcome });
                    }
                }
                [_, _, at] => {
                    if let Ok(at) = at.parse() {
                        state.first_seen.insert(key(0), at);
                    }
                }
                _ => {}
            }
        }
        state
    }

    /// Writes the state file atomically (temporary file, fsync, rename), creating its folder.
    pub fn store(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut text = String::new();
        for ((o, d), at) in &self.first_seen {
            text.push_str(&format!("{o} {d} {at}\n"));
        }
        for ((o, d), at) in &self.retiring {
            text.push_str(&format!("retire {o} {d} {at}\n"));
        }
        for ((o, d), at) in &self.unsafe_until {
            text.push_str(&format!("unsafe {o} {d} {at}\n"));
        }
        for (addr, seen) in &self.probes {
            match &seen.outcome {
                Ok(p) => {
                    let chain: Vec<String> = p.chain().iter().map(|c| hex(c)).collect();
                    text.push_str(&format!(
                        "probe {addr} {} ok {} {}\n",
                        seen.at,
                        hex(&p.leaf_key()),
                        chain.join(",")
                    ));
                }
                Err(e) => {
                    let e: String = e.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
                    text.push_str(&format!("probe {addr} {} error {e}\n", seen.at));
                }
            }
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

/// Reads when each record was first published.
pub fn load(path: &Path) -> FirstSeen {
    TlsaState::load(path).first_seen
}

/// Records the managed records `zone` publishes: new ones get `now`, vanished ones are
/// dropped. Written only when something changed; the other facts in the file are kept.
pub fn update(
    path: &Path,
    zone: &Zone,
    bindings: &[TlsaBinding],
    now: u64,
) -> std::io::Result<FirstSeen> {
    let mut state = TlsaState::load(path);
    let old = &state.first_seen;
    let mut new = FirstSeen::new();
    for binding in bindings {
        for name in &binding.names {
            for rdata in publish::published(zone, name) {
                let key = (name.to_lowercase().to_string(), hex(&rdata));
                let at = old.get(&key).copied().unwrap_or(now);
                new.insert(key, at);
            }
        }
    }
    if &new != old {
        state.first_seen = new.clone();
        state.store(path)?;
    }
    Ok(new)
}

/// Lowercase hex.
pub fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of lowercase or uppercase hex (`None` when it is not hex).
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// When a record first published at `first` is ready: 2 x TTL plus `propagation` later.
pub fn ready_at(first: u64, binding: &TlsaBinding, propagation: u64) -> u64 {
    first + 2 * u64::from(binding.ttl.0) + propagation
}

#[cfg(test)]
mod tests {
    use super::*;
    use zones::master::parse_zone_str;

    #[test]
    fn first_published_times_survive_and_new_records_start_now() {
        let dir = std::env::temp_dir().join(format!("daned-tlsa-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let origin = Name::from_ascii("example.com.").unwrap();
        let text = "$ORIGIN example.com.\n$TTL 60\n@ SOA ns hm 1 1 2 3 4\n@ NS ns\nns A 192.0.2.1\n\
                    _25._tcp.mx TLSA 3 1 1 aa\n";
        let zone = parse_zone_str(text, &origin, "t").unwrap().zone;
        let binding = TlsaBinding {
            names: vec![Name::from_ascii("_25._tcp.mx.example.com.").unwrap()],
            certs: vec![],
            keys: vec![],
            next_key: None,
            probe: None,
            issuer: false,
            ttl: zones::Ttl(300),
            expiry_warning: 0,
        };
        let p = path(&dir, &origin);
        let first = update(&p, &zone, std::slice::from_ref(&binding), 1000).unwrap();
        assert_eq!(first.values().copied().collect::<Vec<_>>(), [1000]);
        let zone2 = parse_zone_str(&format!("{text}_25._tcp.mx TLSA 3 1 1 bb\n"), &origin, "t")
            .unwrap()
            .zone;
        let second = update(&p, &zone2, std::slice::from_ref(&binding), 2000).unwrap();
        assert_eq!(second.values().copied().collect::<Vec<_>>(), [1000, 2000]);
        assert_eq!(load(&p), second);
        assert_eq!(ready_at(1000, &binding, 3600), 1000 + 600 + 3600);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn retirement_unsafe_and_probe_facts_survive_a_round_trip_and_first_seen_updates() {
        let dir = std::env::temp_dir().join(format!("daned-tlsa-state2-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let p = dir.join("tlsa/x.state");
        let key = |d: &str| ("_25._tcp.mx.example.com.".to_string(), d.to_string());
        let mut st = TlsaState::default();
        st.first_seen.insert(key("030101aa"), 10);
        st.retiring.insert(key("030101bb"), 20);
        st.unsafe_until.insert(key("030101aa"), 30);
        let leaf = rcgen::generate_simple_self_signed(vec!["mx.example.com".into()]).unwrap();
        let ca = rcgen::generate_simple_self_signed(vec!["ca.example.com".into()]).unwrap();
        let chain = vec![leaf.cert.der().to_vec(), ca.cert.der().to_vec()];
        let ok = Presented::of_chain(chain).unwrap();
        st.probes.insert(
            "mx.example.com:25".into(),
            ProbeSeen {
                at: 40,
                outcome: Ok(ok.clone()),
            },
        );
        st.probes.insert(
            "[::1]:25".into(),
            ProbeSeen {
                at: 41,
                outcome: Err("cannot connect:\nrefused".into()),
            },
        );
        st.store(&p).unwrap();
        let back = TlsaState::load(&p);
        assert_eq!(back.first_seen, st.first_seen);
        assert_eq!(back.retiring, st.retiring);
        assert_eq!(back.unsafe_until, st.unsafe_until);
        assert_eq!(
            back.probes["mx.example.com:25"],
            st.probes["mx.example.com:25"]
        );
        assert_eq!(
            back.probes["[::1]:25"].outcome,
            Err("cannot connect: refused".to_string())
        );
        // A probe line from before the chain was kept counts as not probed yet.
        let old = format!(
            "probe mx:25 40 ok 030101aa 020101cc\nprobe ok:25 40 ok 030101aa {}\n",
            hex(&ok.chain()[0])
        );
        std::fs::write(&p, old).unwrap();
        let back = TlsaState::load(&p);
        assert!(!back.probes.contains_key("mx:25"));
        assert!(back.probes.contains_key("ok:25"));
        assert_eq!(unhex("0aFF"), Some(vec![10, 255]));
        assert_eq!(unhex("0g"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
