//! When each managed TLSA record was first published, kept in `state_dir/tlsa/ZONE.state`
//! (atomic writes), and what follows from it: a next key is *ready* once its record has been
//! published for 2 x the TLSA TTL plus the propagation delay (RFC 7671 section 8.1), so that
//! no sender can still hold an RRset without it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use zones::{Name, Zone};

use super::publish::{self, TlsaBinding};

/// (owner in text, rdata in hex) -> first published (seconds since the epoch).
pub type FirstSeen = BTreeMap<(String, String), u64>;

/// The state file of `zone`.
pub fn path(state_dir: &Path, zone: &Name) -> PathBuf {
    let name = zone.to_lowercase().to_string();
    state_dir
        .join("tlsa")
        .join(format!("{}.state", name.trim_end_matches('.')))
}

/// Reads the state file (a missing or damaged line is skipped: the record then counts as
/// published now, which only delays readiness).
pub fn load(path: &Path) -> FirstSeen {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (owner, data, at) = (f.next()?, f.next()?, f.next()?.parse().ok()?);
            Some(((owner.to_string(), data.to_string()), at))
        })
        .collect()
}

/// Records the managed records `zone` publishes: new ones get `now`, vanished ones are
/// dropped. Written only when something changed.
pub fn update(
    path: &Path,
    zone: &Zone,
    bindings: &[TlsaBinding],
    now: u64,
) -> std::io::Result<FirstSeen> {
    let old = load(path);
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
    if new != old {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text: String = new
            .iter()
            .map(|((o, d), at)| format!("{o} {d} {at}\n"))
            .collect();
        signer::keystore::write_atomic(path, text.as_bytes(), 0o644)
            .map_err(std::io::Error::other)?;
    }
    Ok(new)
}

/// Lowercase hex.
pub fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
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
            next_key: None,
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
}
