//! Carrying out the rollover's steps: the one place where a key is generated for a rollover or
//! changes phase. The order is fixed so that a crash at any point leaves a state
//! [`super::plan`] resumes from: key files first, then the zone served, then the metadata.

use zones::Name;

use super::{Action, KeyState};
use crate::key::{Algorithm, SigningKey};
use crate::keystore::{KeyStore, KeyStoreError, StoredKey};
use crate::phase::KeyPhase;
use crate::time::Timestamp;

/// The machine's view of stored keys (removed ones included: they keep their tags taken).
pub fn states(keys: &[StoredKey]) -> Vec<KeyState> {
    keys.iter()
        .map(|k| KeyState {
            tag: k.tag,
            algorithm: k.key.algorithm(),
            role: k.meta.role,
            phase: k.meta.phase,
            since: k.meta.since,
            ds: k.meta.ds,
        })
        .collect()
}

/// Applies `action` to `keys` (the zone's loaded keys), in memory: the caller signs and serves
/// the zone with them first and then [`persist`]s the keys it changed, so the stored state
/// never runs ahead of what was served (a crash in between repeats the step later, which only
/// makes the waits longer). A generated key is the exception: its files are written at once
/// (phase `Generated`), because a DNSKEY must never be served for a key that could be lost.
/// Returns the tag of the key the action touched.
pub fn execute(
    store: &KeyStore,
    zone: &Name,
    keys: &mut Vec<StoredKey>,
    action: Action,
    algorithm: Algorithm,
    now: Timestamp,
) -> Result<u16, KeyStoreError> {
    match action {
        Action::Generate { role, into } => {
            let mut key = store.generate(zone, algorithm, role, now)?;
            key.meta.enter(into, now);
            let tag = key.tag;
            keys.push(key);
            Ok(tag)
        }
        Action::Transition { tag, to } => {
            find(keys, tag)?.meta.enter(to, now);
            Ok(tag)
        }
        Action::Ds { tag, state, .. } => {
            find(keys, tag)?.meta.ds = state;
            Ok(tag)
        }
    }
}

/// Writes the metadata of the keys with the given tags (each file atomically).
pub fn persist(store: &KeyStore, keys: &[StoredKey], tags: &[u16]) -> Result<(), KeyStoreError> {
    for key in keys.iter().filter(|k| tags.contains(&k.tag)) {
        store.save_metadata(key)?;
    }
    Ok(())
}

/// The loaded key with `tag` (the plan only names loaded keys).
fn find(keys: &mut [StoredKey], tag: u16) -> Result<&mut StoredKey, KeyStoreError> {
    keys.iter_mut()
        .find(|k| k.tag == tag && k.meta.phase != KeyPhase::Removed)
        .ok_or(KeyStoreError::UnknownKey(tag))
}
