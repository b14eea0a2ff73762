//! Where the daemon meets the signer: a zone's keys under `state_dir`, signing a loaded zone
//! under its policy, the DS records for the parent, and the snapshot of a signed zone.
//!
//! Keys are never created silently over existing ones: a zone with keys on disk uses those
//! (a damaged file is an error), and only a zone without any key gets fresh ones.

use std::path::{Path, PathBuf};

use signer::ds::{DigestType, ds_rdata};
use signer::keystore::{KeyPhase, KeyStore, KeyStoreError, StoredKey, signing_entries};
use signer::{Algorithm, SignError, SigningKeyEntry, Timestamp};
use zones::snapshot::ZoneSnapshot;
use zones::{Name, Zone};

use crate::config::policy::Policy;

/// How one zone is signed: its checked policy and the state folder its keys live under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneSigning {
    /// The `[policy.NAME]` it uses ("default" unless named).
    pub policy_name: String,
    /// That policy, checked.
    pub policy: Policy,
    /// `[server] state_dir`.
    pub state_dir: PathBuf,
}

/// Why a zone could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// Its keys could not be loaded or made.
    #[error(transparent)]
    Keys(#[from] KeysError),
    /// The signer refused (e.g. no SOA).
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// Signs a freshly loaded zone with its keys (made on first use). With `previous`, the signed
/// version served so far, only the RRsets that changed (and the NSEC/NSEC3 records whose
/// chain moved) get new signatures; the rest keep theirs unless due for refresh. The result is
/// complete or an error; nothing half-signed is ever returned.
pub fn sign_loaded(
    zone: &Zone,
    previous: Option<&Zone>,
    how: &ZoneSigning,
    now: Timestamp,
) -> Result<Zone, SigningError> {
    let store = open_store(&how.state_dir, &zone.origin).map_err(KeysError::from)?;
    let keys = ensure_keys(&store, &zone.origin, &how.policy, now)?;
    sign_with(zone, previous, &keys, how, now)
}

/// [`sign_loaded`] with the given keys (the rollover signs with keys whose new phases are not
/// stored yet). The DNSKEYs of the zone's own keys are taken from `keys` alone: a key the
/// rollover removed leaves the zone even when `zone` is a served (signed) version.
pub fn sign_with(
    zone: &Zone,
    previous: Option<&Zone>,
    keys: &[StoredKey],
    how: &ZoneSigning,
    now: Timestamp,
) -> Result<Zone, SigningError> {
    let entries: Vec<SigningKeyEntry<'_>> = signing_entries(keys, how.policy.ksk_method);
    let own: Vec<zones::Rdata> = keys.iter().map(|k| k.dnskey().to_rdata()).collect();
    let mut input;
    let zone = match zone.get(&zone.origin, zones::Rtype::DNSKEY) {
        Some(set) if set.rdatas.iter().any(|r| own.contains(r)) => {
            input = zone.clone();
            let key = (
                zone.origin.to_lowercase(),
                u16::from(zones::Rtype::DNSKEY),
                0,
            );
            if let Some(set) = input.rrsets.get_mut(&key) {
                set.rdatas.retain(|r| !own.contains(r));
                if set.rdatas.is_empty() {
                    input.rrsets.remove(&key);
                }
            }
            &input
        }
        _ => zone,
    };
    Ok(signer::resign_zone(
        zone,
        previous,
        &entries,
        &how.policy.signing_params(),
        now,
        how.policy.refresh_window_secs(),
    )?)
}

/// The DNSKEY records of `zone` that are not those of `keys`: another signer's keys
/// (multi-signer, RFC 8901) that the zone file publishes, sorted.
pub fn foreign_dnskeys(zone: &Zone, keys: &[StoredKey]) -> Vec<zones::Rdata> {
    let own: Vec<zones::Rdata> = keys.iter().map(|k| k.dnskey().to_rdata()).collect();
    let mut foreign: Vec<zones::Rdata> = zone
        .get(&zone.origin, zones::Rtype::DNSKEY)
        .map(|set| {
            set.rdatas
                .iter()
                .filter(|r| !own.contains(r))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    foreign.sort();
    foreign
}

/// True when some signature of the served `zone` has less than `rrsig_refresh` left.
pub fn refresh_due(zone: &Zone, how: &ZoneSigning, now: Timestamp) -> bool {
    let refresh = how.policy.rrsig_refresh.as_secs();
    signer::next_resign_time(zone, now, refresh).is_some_and(|due| due <= now)
}

/// Refreshes the signatures of the served zone `previous` that are due, keeping the others
/// (the signer reuses every signature with more than `rrsig_refresh` left). `input` is the
/// served zone with the serial the new version gets (the caller's serial policy decides).
pub fn refresh(
    input: &Zone,
    previous: &Zone,
    how: &ZoneSigning,
    now: Timestamp,
) -> Result<Zone, SigningError> {
    sign_loaded(input, Some(previous), how, now)
}

/// Why a zone's keys could not be made ready.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeysError {
    /// The key store failed (unreadable or damaged file, I/O).
    #[error(transparent)]
    Store(#[from] KeyStoreError),
    /// RSASHA256 keys are only imported (daned generates ECDSA and Ed25519 keys).
    #[error(
        "zone {0}: policy algorithm rsasha256 needs imported keys (daned keys import), none found"
    )]
    RsaNotGenerated(Name),
}

/// The folder holding the key files of `zone`.
pub fn key_dir(state_dir: &Path, zone: &Name) -> PathBuf {
    state_dir.join("keys").join(zones::file_stem(zone))
}

/// Opens the key store of `zone`.
pub fn open_store(state_dir: &Path, zone: &Name) -> Result<KeyStore, KeyStoreError> {
    KeyStore::open(key_dir(state_dir, zone))
}

/// The zone's keys, generating the policy's set (active at once) when the zone has none yet.
pub fn ensure_keys(
    store: &KeyStore,
    zone: &Name,
    policy: &Policy,
    now: Timestamp,
) -> Result<Vec<StoredKey>, KeysError> {
    let keys = store.load_zone(zone)?;
    if !keys.is_empty() {
        return Ok(keys);
    }
    if policy.algorithm == Algorithm::RSASHA256 {
        return Err(KeysError::RsaNotGenerated(zone.clone()));
    }
    let mut out = Vec::with_capacity(policy.keys.roles().len());
    for &role in policy.keys.roles() {
        let key = store.generate_as(zone, policy.algorithm, role, now, |meta| {
            initial_phase(meta, now)
        })?;
        tracing::info!(event = "key-generated", zone = %zone, tag = key.tag, role = role.as_str(), "generated key");
        out.push(key);
    }
    Ok(out)
}

/// Makes `key` one of the zone's first keys: active at once, and for a key signing key, its
/// DS taken as published (the operator gives it to the parent to create the chain of trust;
/// nothing to roll from).
pub fn make_initial(key: &mut StoredKey, now: Timestamp) {
    initial_phase(&mut key.meta, now);
}

/// [`make_initial`] on a key's metadata.
fn initial_phase(meta: &mut signer::keystore::KeyMetadata, now: Timestamp) {
    meta.enter(KeyPhase::Active, now);
    if meta.role.signs_keys() {
        meta.ds = signer::keystore::DsState::Seen(now);
    }
}

/// Signs `zone` with `keys` under `policy` at `now`.
pub fn sign(
    zone: &Zone,
    keys: &[StoredKey],
    policy: &Policy,
    now: Timestamp,
) -> Result<Zone, SignError> {
    let entries: Vec<SigningKeyEntry<'_>> = signing_entries(keys, policy.ksk_method);
    signer::sign_zone(zone, &entries, &policy.signing_params(), now)
}

/// The snapshot of a zone, with the NSEC3 hash function when it is signed with NSEC3.
pub fn snapshot(zone: &Zone) -> ZoneSnapshot {
    ZoneSnapshot::build_with(zone, Some(signer::nsec3::nsec3_hash_wire))
}

/// The DS records (presentation form) the parent should publish now: those of the key signing
/// keys the zone announces in CDS (the active one, and during a rollover the new one once it
/// is ready).
pub fn ds_lines(
    zone: &Name,
    keys: &[StoredKey],
    method: signer::rollover::KskMethod,
    digest: DigestType,
) -> Vec<String> {
    let owner = zone.to_lowercase();
    signing_entries(keys, method)
        .iter()
        .filter(|e| e.cds)
        .map(|e| {
            let rdata = ds_rdata(&owner, &e.key.dnskey(e.role.flags()), digest);
            let b = rdata.as_bytes();
            let tag = u16::from_be_bytes([b[0], b[1]]);
            let hex: String = b[4..].iter().map(|x| format!("{x:02X}")).collect();
            format!("{owner} 3600 IN DS {tag} {} {} {hex}", b[2], b[3])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zones::master::parse_zone_str;

    const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 7 3600 600 86400 60\n\
                        @ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\n";

    fn how(dir: &Path) -> ZoneSigning {
        ZoneSigning {
            policy_name: "default".into(),
            policy: Policy::builtin(),
            state_dir: dir.into(),
        }
    }

    fn expirations(zone: &Zone) -> Vec<u32> {
        zone.rrsets
            .iter()
            .filter(|((_, t, _), _)| *t == 46)
            .flat_map(|(_, s)| s.rdatas.iter())
            .map(|r| u32::from_be_bytes(r.as_bytes()[8..12].try_into().unwrap()))
            .collect()
    }

    #[test]
    fn signatures_are_refreshed_once_less_than_rrsig_refresh_is_left_with_a_new_serial() {
        let dir = std::env::temp_dir().join(format!("daned-refresh-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let origin = Name::from_ascii("example.com.").unwrap();
        let zone = parse_zone_str(ZONE, &origin, "test").unwrap().zone;
        let t0 = Timestamp(1_800_000_000);
        let signed = sign_loaded(&zone, None, &how(&dir), t0).unwrap();
        assert!(!refresh_due(&signed, &how(&dir), Timestamp(t0.0 + 86400)));
        let later = Timestamp(t0.0 + 8 * 86400);
        assert!(refresh_due(&signed, &how(&dir), later));
        let mut input = signed.clone();
        crate::daemon::pipeline::set_serial(&mut input, zones::serial::Serial(8));
        let refreshed = refresh(&input, &signed, &how(&dir), later).unwrap();
        assert_eq!(refreshed.serial().map(|s| s.0), Some(8));
        let limit = (later.0 + Policy::builtin().rrsig_refresh.as_secs()) as u32;
        assert!(
            expirations(&refreshed).iter().all(|&e| e > limit),
            "every signature renewed"
        );
        assert!(!refresh_due(&refreshed, &how(&dir), later));
        // A reload with one changed RRset keeps every other signature.
        let changed_text = ZONE.replace("192.0.2.2", "192.0.2.3");
        let changed = parse_zone_str(&changed_text, &origin, "test").unwrap().zone;
        let resigned = sign_loaded(&changed, Some(&refreshed), &how(&dir), later).unwrap();
        let www = Name::from_ascii("www.example.com.").unwrap();
        let ns = Name::from_ascii("ns.example.com.").unwrap();
        assert_eq!(
            resigned.get_rrsig(&ns, zones::Rtype::A),
            refreshed.get_rrsig(&ns, zones::Rtype::A)
        );
        assert_ne!(
            resigned.get_rrsig(&www, zones::Rtype::A),
            refreshed.get_rrsig(&www, zones::Rtype::A)
        );
        // The keys were made once and reused.
        assert_eq!(
            open_store(&dir, &origin)
                .unwrap()
                .load_zone(&origin)
                .unwrap()
                .len(),
            1
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
