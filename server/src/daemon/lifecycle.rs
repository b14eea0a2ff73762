//! A zone's key lifecycle as the daemon and `daned simulate` run it: load the keys, ask the
//! rollover machine ([`signer::rollover::plan`]) what to do now, carry it out (a new key's
//! files are written at once; the new phases are stored by [`commit`] only after the zone
//! showing them is journalled, the one crash-safe order documented in `daemon::publish`), and
//! log every step as one structured event. Also the operator's side: rollover requests (`daned keys roll`), DS
//! confirmations (`daned keys submitted|withdrawn`) and the report of `daned keys`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use signer::keystore::{DsState, KeyPhase, KeyStore, KeyStoreError, StoredKey};
use signer::rollover::{self, Action, Observations, Plan, apply};
use signer::{KeyRole, Timestamp};
use zones::fs::write_atomic;
use zones::{Name, Zone};

use crate::daemon::signing::{KeysError, ZoneSigning, ensure_keys, key_dir, open_store};

/// Rounds of plan-and-apply per evaluation: a step can enable the next at the same instant
/// (a ZSK that becomes ready is activated at once); more rounds than steps would be a bug.
const MAX_ROUNDS: usize = 8;

/// What one evaluation did, in memory: the caller signs and serves the zone with `keys` when
/// `zone_changes`, then calls [`commit`].
#[derive(Debug)]
pub struct Advanced {
    /// The steps taken, in order.
    pub applied: Vec<Action>,
    /// What remains pending afterwards.
    pub plan: Plan,
    /// The zone's keys after the steps.
    pub keys: Vec<StoredKey>,
    /// True when the steps change what the zone holds (DNSKEY, signers, CDS).
    pub zone_changes: bool,
    /// The key store.
    store: KeyStore,
    /// Tags of the keys whose metadata changed.
    touched: Vec<u16>,
    /// A roll request was answered.
    answered_request: bool,
}

/// The largest TTL of the zone (`TTLsig`: how long any signature may stay in a cache).
pub fn max_zone_ttl(zone: &Zone) -> u64 {
    zone.rrsets
        .values()
        .map(|set| u64::from(set.ttl.as_secs()))
        .max()
        .unwrap_or(0)
}

/// What the daemon last observed for the zone's rollover, kept beside the keys so that
/// `daned keys` reports what the daemon sees, and a restart starts from it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// The last time every secondary served the zone's serial.
    pub synced_at: Option<Timestamp>,
    /// The DS set every parent nameserver served at the last check.
    pub parent_ds: Option<Vec<(u8, u16)>>,
}

impl Observed {
    /// The file.
    fn path(state_dir: &Path, zone: &Name) -> PathBuf {
        key_dir(state_dir, zone).join("observed")
    }

    /// Loads what was saved (nothing known when the file is missing or unreadable).
    pub fn load(state_dir: &Path, zone: &Name) -> Self {
        let Ok(text) = std::fs::read_to_string(Self::path(state_dir, zone)) else {
            return Self::default();
        };
        let mut out = Self::default();
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("synced_at: ") {
                out.synced_at = v.trim().parse().ok().map(Timestamp);
            } else if let Some(v) = line.strip_prefix("parent_ds:") {
                out.parent_ds = Some(
                    v.split_whitespace()
                        .filter_map(|p| {
                            let (a, t) = p.split_once('/')?;
                            Some((a.parse().ok()?, t.parse().ok()?))
                        })
                        .collect(),
                );
            }
        }
        out
    }

    /// Saves it atomically.
    pub fn save(&self, state_dir: &Path, zone: &Name) -> Result<(), KeysError> {
        let mut text = String::from("; what daned last observed for the key rollover\n");
        if let Some(t) = self.synced_at {
            let _ = writeln!(text, "synced_at: {}", t.as_secs());
        }
        if let Some(ds) = &self.parent_ds {
            let pairs: Vec<String> = ds.iter().map(|(a, t)| format!("{a}/{t}")).collect();
            let _ = writeln!(text, "parent_ds: {}", pairs.join(" "));
        }
        open_store(state_dir, zone)?;
        write_atomic(&Self::path(state_dir, zone), text.as_bytes(), 0o644)
            .map_err(KeyStoreError::from)?;
        Ok(())
    }

    /// The machine's observations from these (`secondaries`: whether any are configured).
    pub fn observations(&self, secondaries: bool) -> Observations {
        Observations {
            parent_ds: self.parent_ds.clone(),
            secondaries: if secondaries {
                rollover::Secondaries::SyncedAt(self.synced_at)
            } else {
                rollover::Secondaries::NoneConfigured
            },
            roll_request: None,
        }
    }
}

/// The file that holds a pending `daned keys roll` request for the zone.
pub fn request_path(state_dir: &Path, zone: &Name) -> PathBuf {
    key_dir(state_dir, zone).join("roll-request")
}

/// Records a request to roll the zone's `role` key now (carried out by the daemon, which
/// alone generates keys, on its next evaluation). Refused while a rollover runs: one at a time.
pub fn request_roll(state_dir: &Path, zone: &Name, role: KeyRole) -> Result<(), RequestError> {
    let store = open_store(state_dir, zone).map_err(KeysError::from)?;
    let keys = store.load_zone(zone).map_err(KeysError::from)?;
    if let Some(running) = in_progress(&keys) {
        return Err(RequestError::RollInProgress(running.as_str()));
    }
    write_atomic(
        &request_path(state_dir, zone),
        role.as_str().as_bytes(),
        0o644,
    )
    .map_err(|e| KeysError::from(KeyStoreError::from(e)))?;
    Ok(())
}

/// The pending roll request, if any.
fn pending_request(state_dir: &Path, zone: &Name) -> Option<KeyRole> {
    let text = std::fs::read_to_string(request_path(state_dir, zone)).ok()?;
    KeyRole::from_str_opt(text.trim())
}

/// Records what the operator saw at the parent: the DS of key `tag` published (`seen`) or
/// removed. Only a key waiting for that is changed; anything else is an error that says why.
pub fn confirm_ds(
    state_dir: &Path,
    zone: &Name,
    tag: u16,
    seen: bool,
    now: Timestamp,
) -> Result<(), RequestError> {
    let store = open_store(state_dir, zone).map_err(KeysError::from)?;
    let mut keys = store.load_zone(zone).map_err(KeysError::from)?;
    let key = keys
        .iter_mut()
        .find(|k| k.tag == tag && k.meta.phase != KeyPhase::Removed)
        .ok_or(RequestError::NoSuchKey(tag))?;
    let waiting = match (seen, key.meta.phase, key.meta.ds) {
        (true, KeyPhase::Ready, DsState::NotSeen | DsState::Gone(_)) => true,
        (false, KeyPhase::Retired, DsState::NotSeen | DsState::Seen(_)) => {
            key.meta.role.signs_keys()
        }
        _ => false,
    };
    if !waiting {
        return Err(RequestError::NotWaiting {
            tag,
            phase: key.meta.phase.as_str(),
            what: if seen { "its DS" } else { "its DS's removal" },
        });
    }
    key.meta.ds = if seen {
        DsState::Seen(now)
    } else {
        DsState::Gone(now)
    };
    store.save_metadata(key).map_err(KeysError::from)?;
    tracing::info!(event = "ds-confirmed", zone = %zone, tag, seen, "DS change confirmed by the operator");
    Ok(())
}

/// Why an operator's request (a roll, a DS confirmation) was refused.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// A rollover is already running.
    #[error("a {0} rollover is in progress (see daned keys); one rollover at a time")]
    RollInProgress(&'static str),
    /// The key store failed.
    #[error(transparent)]
    Keys(#[from] KeysError),
    /// No such key.
    #[error("the zone has no key with tag {0}")]
    NoSuchKey(u16),
    /// The key does not wait for this.
    #[error("key {tag} is {phase}: it is not waiting for {what}")]
    NotWaiting {
        /// The key.
        tag: u16,
        /// Its phase.
        phase: &'static str,
        /// What was confirmed.
        what: &'static str,
    },
}

/// Evaluates the zone's keys at `now` and carries out what is due. `obs` holds what the
/// daemon observed (the parent's DS, the secondaries); a pending roll request is added here.
pub fn advance(
    how: &ZoneSigning,
    zone: &Name,
    max_ttl: u64,
    now: Timestamp,
    mut obs: Observations,
) -> Result<Advanced, KeysError> {
    let store = open_store(&how.state_dir, zone)?;
    let mut keys = ensure_keys(&store, zone, &how.policy, now)?;
    let method = how.policy.ksk_method;
    let uses_before = uses(&keys, method);
    let timings = how.policy.timings(max_ttl);
    let layout = how.policy.keys.roles();
    obs.roll_request = pending_request(&how.state_dir, zone);
    let mut applied = Vec::new();
    let mut touched = Vec::new();
    let mut answered_request = false;
    let mut last = Plan::default();
    for _ in 0..MAX_ROUNDS {
        last = rollover::plan(
            &apply::states(&keys),
            layout,
            how.policy.algorithm,
            &timings,
            now,
            &obs,
        );
        if last.actions.is_empty() {
            break;
        }
        for action in std::mem::take(&mut last.actions) {
            touched.push(carry_out(&store, zone, &mut keys, action, how, now)?);
            if let Action::Generate { .. } = action {
                obs.roll_request = None;
                answered_request = true;
            }
            applied.push(action);
        }
    }
    if !applied.is_empty() && in_progress(&keys).is_none() {
        tracing::info!(zone = %zone, event = "rollover-complete", "rollover complete");
    }
    touched.sort_unstable();
    touched.dedup();
    Ok(Advanced {
        zone_changes: uses(&keys, method) != uses_before,
        applied,
        plan: last,
        keys,
        store,
        touched,
        answered_request,
    })
}

/// Persists the steps of `adv` once the zone they give is journalled and served (or needs no
/// change): the crash-safe order of `daemon::publish`.
pub fn commit(how: &ZoneSigning, zone: &Name, adv: &Advanced) -> Result<(), KeysError> {
    apply::persist(&adv.store, &adv.keys, &adv.touched)?;
    if adv.answered_request {
        // Removed after the new key is stored: a crash before this only repeats a request
        // that the machine ignores while the rollover runs.
        let _ = std::fs::remove_file(request_path(&how.state_dir, zone));
    }
    Ok(())
}

/// What each key contributes to the zone, to tell whether steps change it.
fn uses(keys: &[StoredKey], method: rollover::KskMethod) -> Vec<(u16, rollover::Use)> {
    let ctx = rollover::Context::of(
        keys.iter()
            .map(|k| (signer::SigningKey::algorithm(&k.key), k.meta.phase)),
        method,
    );
    keys.iter()
        .map(|k| (k.tag, rollover::key_use(k.meta.role, k.meta.phase, ctx)))
        .collect()
}

/// Carries out one step and logs it as one structured event.
fn carry_out(
    store: &KeyStore,
    zone: &Name,
    keys: &mut Vec<StoredKey>,
    action: Action,
    how: &ZoneSigning,
    now: Timestamp,
) -> Result<u16, KeysError> {
    let before = |keys: &[StoredKey], tag| keys.iter().find(|k| k.tag == tag).map(|k| k.meta.phase);
    let from = match action {
        Action::Transition { tag, .. } => before(keys, tag),
        _ => None,
    };
    let tag = apply::execute(store, zone, keys, action, how.policy.algorithm, now)?;
    let role = keys
        .iter()
        .find(|k| k.tag == tag)
        .map_or("?", |k| k.meta.role.as_str());
    match action {
        Action::Generate { .. } => tracing::info!(
            zone = %zone, tag, role, at = %utc(now), event = "key-published",
            "rollover started: new key generated and published"
        ),
        Action::Transition { to, .. } => tracing::info!(
            zone = %zone, tag, role, at = %utc(now), event = "key-phase",
            from = from.map_or("?", KeyPhase::as_str), to = to.as_str(),
            "key phase changed"
        ),
        Action::Ds { state, assumed, .. } => {
            let what = match state {
                DsState::Seen(_) => "DS seen at the parent",
                DsState::Gone(_) => "DS gone from the parent",
                DsState::NotSeen => "DS not seen",
            };
            if assumed {
                tracing::warn!(zone = %zone, tag, role, at = %utc(now), event = "ds-assumed", "{what}: assumed after ds_timeout, not observed");
            } else {
                tracing::info!(zone = %zone, tag, role, at = %utc(now), event = "ds-observed", "{what}");
            }
        }
    }
    Ok(tag)
}

/// The role of the rollover in progress, if any (a key between generation and removal that
/// is not the active one).
fn in_progress(keys: &[StoredKey]) -> Option<KeyRole> {
    keys.iter()
        .find(|k| {
            matches!(
                k.meta.phase,
                KeyPhase::Generated | KeyPhase::Published | KeyPhase::Ready | KeyPhase::Retired
            )
        })
        .map(|k| k.meta.role)
}

/// The report of `daned keys -c FILE ZONE`: each key's state, and the dated next steps with
/// what they wait for and what the operator must do.
pub fn report(
    how: &ZoneSigning,
    zone: &Name,
    max_ttl: u64,
    now: Timestamp,
    secondaries: bool,
) -> Result<String, KeysError> {
    let store = open_store(&how.state_dir, zone)?;
    let keys = store.load_zone(zone)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "tag    algorithm        role  state      since                ds"
    );
    for k in &keys {
        let ds = match (k.meta.role.signs_keys(), k.meta.ds) {
            (false, _) => "-".to_string(),
            (true, DsState::NotSeen) => "not seen".to_string(),
            (true, DsState::Seen(t)) => format!("seen {}", utc(t)),
            (true, DsState::Gone(t)) => format!("gone {}", utc(t)),
        };
        let _ = writeln!(
            out,
            "{:<6} {:<16} {:<5} {:<10} {:<20} {ds}",
            k.tag,
            signer::SigningKey::algorithm(&k.key).mnemonic(),
            k.meta.role.as_str(),
            k.meta.phase.as_str(),
            utc(k.meta.since),
        );
    }
    let obs = Observations {
        roll_request: pending_request(&how.state_dir, zone),
        ..Observed::load(&how.state_dir, zone).observations(secondaries)
    };
    let plan = rollover::plan(
        &apply::states(&keys),
        how.policy.keys.roles(),
        how.policy.algorithm,
        &how.policy.timings(max_ttl),
        now,
        &obs,
    );
    match in_progress(&keys) {
        Some(role) => {
            let _ = writeln!(out, "\nrollover in progress: {}", role.as_str());
        }
        None => {
            let _ = writeln!(out, "\nno rollover in progress");
        }
    }
    if let Some(role) = obs.roll_request {
        let _ = writeln!(
            out,
            "requested: a {} rollover (starts at the daemon's next check)",
            role.as_str()
        );
    }
    // The key being replaced has no lifetime step of its own: the rollover retires it.
    let rolling = in_progress(&keys);
    let mut waits: Vec<_> = plan
        .waits
        .iter()
        .filter(|w| !(w.what == rollover::WaitFor::Lifetime && Some(w.role) == rolling))
        .copied()
        .collect();
    waits.sort_by_key(|w| w.at.unwrap_or(Timestamp(u64::MAX)));
    let _ = writeln!(out, "next steps:");
    for w in &waits {
        let when = match w.at {
            Some(t)
                if w.what == rollover::WaitFor::DsPublished
                    || w.what == rollover::WaitFor::DsWithdrawn =>
            {
                format!("assumed at {} (ds_timeout)", utc(t))
            }
            Some(t) => utc(t),
            None => "when observed".to_string(),
        };
        let _ = writeln!(out, "  {when:<24} {w}");
    }
    for a in &plan.actions {
        let _ = writeln!(
            out,
            "  {:<24} {a:?} (due now: the daemon does it at its next check)",
            utc(now)
        );
    }
    Ok(out)
}

/// A time as `YYYY-MM-DD hh:mm:ss` UTC.
pub fn utc(t: Timestamp) -> String {
    zones::time::UtcDateTime::from_unix_u64(t.as_secs()).to_string()
}
