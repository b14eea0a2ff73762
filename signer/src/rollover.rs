//! The key rollover state machine (RFC 6781 section 4.1, RFC 7583): a pure function from the
//! zone's keys, the policy's timings, the time and what has been observed outside (the DS at
//! the parent, the secondaries' serials) to the steps to take now and the next moment
//! anything can change.
//!
//! The same [`plan`] runs in the daemon (system clock, observations from the network) and in
//! `daned simulate` (virtual clock, a modelled parent), so what the simulation proves is what
//! production does. It keeps no state of its own: everything it needs is in each key's
//! [`KeyPhase`], the time it entered that phase and its [`DsState`], which the key store
//! persists atomically after every step. A daemon killed at any point therefore resumes at the
//! step it was in; a step taken twice is harmless.
//!
//! Methods:
//! - ZSK: pre-publication (RFC 7583 section 3.2.1). The new key is published, waits out
//!   `Ipub = Dprp + TTLkey`, then signs; the old one stays published for
//!   `Iret = Dprp + TTLsig` (daned re-signs the whole zone at the switch, so `Dsgn` is 0).
//! - KSK: double-KSK (RFC 7583 section 3.3.2). The new key is published and signs the DNSKEY
//!   RRset at once; after `Ipub` it is announced in CDS/CDNSKEY (RFC 7344); once its DS is
//!   seen at the parent, the parent's DS TTL is waited out before it becomes the active key;
//!   the old key keeps signing the DNSKEY RRset until its DS is gone from the parent and that
//!   TTL has passed too (a resolver holding the old DS needs it).
//! - CSK: both at once. The new CSK signs only the DNSKEY RRset until it is active; the old
//!   one keeps signing the DNSKEY RRset (not the zone) until both its DS and its last zone
//!   signatures are out of caches.
//!
//! - Algorithm (RFC 6781 section 4.1.4), when the policy's algorithm differs from the active
//!   keys': new keys of every role sign first without being published (phase `Signing`) until
//!   their signatures are in every cache, then are published and go through the steps above
//!   (while two algorithms are in the zone every published key signs all that its role
//!   signs); the old keys, once all retired and their DS gone, leave the DNSKEY RRset but keep
//!   signing until that RRset is out of caches.
//!
//! One rollover per zone at a time: a new one starts only when every key is active or removed.

use core::fmt;

use crate::key::{Algorithm, KeyRole};
use crate::phase::{DsState, KeyPhase};
use crate::time::Timestamp;

mod timings;
pub use timings::{KskMethod, Timings};

//------------ Inputs --------------------------------------------------------

/// What the machine knows of one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyState {
    /// Its key tag.
    pub tag: u16,
    /// Its algorithm (a DS names algorithm and tag).
    pub algorithm: Algorithm,
    /// What it signs.
    pub role: KeyRole,
    /// Where it is in its life.
    pub phase: KeyPhase,
    /// When it entered that phase.
    pub since: Timestamp,
    /// What is known of its DS at the parent (KSK and CSK only).
    pub ds: DsState,
}

/// What decides a key's use besides its role and phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// Keys of two algorithms are in the zone (an algorithm rollover).
    pub mixed: bool,
    /// The KSK method.
    pub method: KskMethod,
}

impl Context {
    /// The context of a zone whose keys have these algorithms and phases.
    pub fn of(keys: impl IntoIterator<Item = (Algorithm, KeyPhase)>, method: KskMethod) -> Self {
        Self {
            mixed: algorithms_mixed(keys),
            method,
        }
    }
}

/// Facts from outside the zone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observations {
    /// The DS RRset every parent nameserver serves, as (algorithm, key tag) pairs, when a
    /// check is configured and it succeeded; `None`: not known.
    pub parent_ds: Option<Vec<(u8, u16)>>,
    /// The secondaries.
    pub secondaries: Secondaries,
    /// A rollover the operator asked for (`daned keys roll`).
    pub roll_request: Option<KeyRole>,
}

/// Whether the secondaries serve what the primary serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Secondaries {
    /// No secondary is configured: nothing to wait for.
    #[default]
    NoneConfigured,
    /// The last time every secondary was seen serving the primary's serial (`None`: not yet).
    SyncedAt(Option<Timestamp>),
}

//------------ Outputs -------------------------------------------------------

/// One step to take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Make a new key of this role with the policy's algorithm, in phase `into`
    /// ([`KeyPhase::Published`], or [`KeyPhase::Signing`] for an algorithm rollover).
    Generate {
        /// Its role.
        role: KeyRole,
        /// Its first phase.
        into: KeyPhase,
    },
    /// Move the key to a phase.
    Transition {
        /// The key.
        tag: u16,
        /// Its new phase.
        to: KeyPhase,
    },
    /// Record what is now known of the key's DS at the parent.
    Ds {
        /// The key.
        tag: u16,
        /// What is known.
        state: DsState,
        /// True when this was assumed after `ds_timeout`, not observed.
        assumed: bool,
    },
}

/// Why a key is not yet moving on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitFor {
    /// A fixed interval (propagation, TTLs) ends at the stated time.
    Interval,
    /// Every secondary must serve the zone's serial (checked by SOA query).
    Secondaries,
    /// The parent must publish the key's DS (the operator submits it, or the parent
    /// follows CDS); confirmed by the parent check or `daned keys submitted`.
    DsPublished,
    /// The parent must remove the key's DS; confirmed by the parent check or
    /// `daned keys withdrawn`.
    DsWithdrawn,
    /// The key reaches the end of its lifetime (the next rollover starts).
    Lifetime,
}

/// One pending step, for the next wake-up and for operators ("where is my rollover stuck?").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    /// The key.
    pub tag: u16,
    /// Its role.
    pub role: KeyRole,
    /// What it waits for.
    pub what: WaitFor,
    /// What happens next (the phase the key moves to; for [`WaitFor::Lifetime`], `Retired`).
    pub next: KeyPhase,
    /// When it happens, if it depends only on time.
    pub at: Option<Timestamp>,
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let role = self.role.as_str();
        let tag = self.tag;
        match self.what {
            WaitFor::Interval => match (self.role, self.next) {
                (KeyRole::Zsk, KeyPhase::Ready) => write!(
                    f,
                    "{role} {tag} is in every cache: it starts signing, the old zsk retires"
                ),
                (_, KeyPhase::Ready) => write!(
                    f,
                    "{role} {tag} is in every cache: it is announced in CDS/CDNSKEY \
                     (give its DS, `daned ds`, to the parent)"
                ),
                (_, KeyPhase::Active) => write!(
                    f,
                    "{role} {tag}: its DS is in every cache: it becomes the active key, the old one retires"
                ),
                (_, KeyPhase::Published) => write!(
                    f,
                    "{role} {tag}: its signatures are in every cache: its DNSKEY is published"
                ),
                (_, KeyPhase::Removed) => write!(f, "{role} {tag} leaves the zone"),
                (_, next) => write!(f, "{role} {tag} becomes {}", next.as_str()),
            },
            WaitFor::Secondaries => write!(
                f,
                "{role} {tag} becomes {} once every secondary serves the current serial",
                self.next.as_str()
            ),
            WaitFor::DsPublished => write!(
                f,
                "{role} {tag}: waiting for its DS at the parent (submit the CDS/`daned ds` \
                 record, then `daned keys submitted ZONE {tag}` unless a parent check is configured)"
            ),
            WaitFor::DsWithdrawn => write!(
                f,
                "{role} {tag}: waiting for its DS to be removed at the parent (then \
                 `daned keys withdrawn ZONE {tag}` unless a parent check is configured)"
            ),
            WaitFor::Lifetime => write!(
                f,
                "{role} {tag} reaches the end of its lifetime: a rollover starts"
            ),
        }
    }
}

/// The result of one evaluation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Steps to take now, in order.
    pub actions: Vec<Action>,
    /// What each key still waits for.
    pub waits: Vec<Wait>,
}

impl Plan {
    /// The next moment a timer ends (observations may move things earlier).
    pub fn next_wakeup(&self) -> Option<Timestamp> {
        self.waits.iter().filter_map(|w| w.at).min()
    }
}

//------------ What a key does in each phase ---------------------------------

/// What the signer does with a key: publish its DNSKEY, sign (as which role: a CSK that is not
/// yet, or no longer, the active key signs only the DNSKEY RRset, like a KSK), and list it in
/// CDS/CDNSKEY.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Use {
    /// DNSKEY published.
    pub publish: bool,
    /// Signs, in this role (`None`: makes no signatures).
    pub sign_as: Option<KeyRole>,
    /// In CDS/CDNSKEY.
    pub cds: bool,
}

/// The use of a key of `role` in `phase` (the table the whole rollover rests on). With
/// `ctx.mixed` (keys of two algorithms in the zone: an algorithm rollover), every published
/// key signs everything its role signs, so that each RRset is signed with every algorithm of
/// the DNSKEY RRset (RFC 4035 section 2.2, RFC 6781 section 4.1.4).
pub fn key_use(role: KeyRole, phase: KeyPhase, ctx: Context) -> Use {
    use KeyPhase::*;
    let double_ds = ctx.method == KskMethod::DoubleDs;
    let (publish, mut sign_as, cds) = match (role, phase) {
        (_, Generated | Removed) => (false, None, false),
        (_, Signing) => (false, Some(role), false),
        // Double-DS: a key signing key signs only while active; its DS is asked for from
        // `Ready` on, and kept while its last DNSKEY signature may be cached.
        (KeyRole::Ksk | KeyRole::Csk, Published) if double_ds => (true, None, false),
        (KeyRole::Ksk | KeyRole::Csk, Ready | Retired) if double_ds => (true, None, true),
        (KeyRole::Zsk, Published | Ready | Retired) => (true, None, false),
        (KeyRole::Zsk, Active) => (true, Some(KeyRole::Zsk), false),
        // Double-KSK: the DNSKEY RRset is signed by the new key from publication on, so its
        // signature is in every cache before any resolver can see the new DS.
        (KeyRole::Ksk, Published | Retired) => (true, Some(KeyRole::Ksk), false),
        (KeyRole::Ksk, Ready | Active) => (true, Some(KeyRole::Ksk), true),
        (KeyRole::Csk, Published | Retired) => (true, Some(KeyRole::Ksk), false),
        (KeyRole::Csk, Ready) => (true, Some(KeyRole::Ksk), true),
        (KeyRole::Csk, Active) => (true, Some(KeyRole::Csk), true),
    };
    if ctx.mixed && publish {
        sign_as = Some(role);
    }
    Use {
        publish,
        sign_as,
        cds,
    }
}

/// True when the keys in the zone (signing or published) have more than one algorithm.
pub fn algorithms_mixed(keys: impl IntoIterator<Item = (Algorithm, KeyPhase)>) -> bool {
    let mut seen = None;
    for (alg, phase) in keys {
        if matches!(phase, KeyPhase::Generated | KeyPhase::Removed) {
            continue;
        }
        match seen {
            None => seen = Some(alg),
            Some(a) if a != alg => return true,
            Some(_) => {}
        }
    }
    false
}

//------------ plan ----------------------------------------------------------

/// Evaluates the zone's keys at `now`: which steps to take and what each key waits for.
pub fn plan(
    keys: &[KeyState],
    layout: &[KeyRole],
    algorithm: Algorithm,
    timings: &Timings,
    now: Timestamp,
    obs: &Observations,
) -> Plan {
    let mut out = Plan::default();
    let in_progress = keys.iter().any(|k| {
        matches!(
            k.phase,
            KeyPhase::Generated
                | KeyPhase::Published
                | KeyPhase::Ready
                | KeyPhase::Retired
                | KeyPhase::Signing
        )
    });
    for key in keys {
        step_key(key, keys, algorithm, timings, now, obs, &mut out);
    }
    withdraw_old_algorithm(keys, algorithm, &mut out);
    // Two active keys of one role happen only after a crash between the new key's
    // activation and the old one's retirement: finish that step.
    for role in layout {
        let mut active: Vec<&KeyState> = keys
            .iter()
            .filter(|k| k.role == *role && k.phase == KeyPhase::Active)
            .collect();
        active.sort_by_key(|k| k.since);
        if active.len() > 1 && !out.actions.iter().any(|a| retires_role(a, keys, *role)) {
            for old in &active[..active.len() - 1] {
                out.actions.push(Action::Transition {
                    tag: old.tag,
                    to: KeyPhase::Retired,
                });
            }
        }
    }
    if !in_progress && out.actions.is_empty() {
        start_rollover(keys, layout, algorithm, timings, now, obs, &mut out);
    }
    out
}

/// An algorithm rollover's end: the old algorithm's keys leave the DNSKEY RRset together
/// (a lone old key would leave an algorithm without its counterpart), each once it could
/// have been removed on its own; they keep signing (phase `Signing`) until the DNSKEY RRset
/// without them is in every cache.
fn withdraw_old_algorithm(keys: &[KeyState], algorithm: Algorithm, out: &mut Plan) {
    let old: Vec<&KeyState> = keys
        .iter()
        .filter(|k| k.algorithm != algorithm)
        .filter(|k| !matches!(k.phase, KeyPhase::Removed | KeyPhase::Signing))
        .collect();
    if old.is_empty() {
        return;
    }
    let removing = |k: &KeyState| {
        out.actions.contains(&Action::Transition {
            tag: k.tag,
            to: KeyPhase::Removed,
        })
    };
    let all = old
        .iter()
        .all(|k| k.phase == KeyPhase::Retired && removing(k));
    let tags: Vec<u16> = old.iter().map(|k| k.tag).collect();
    out.actions.retain(
        |a| !matches!(a, Action::Transition { tag, to: KeyPhase::Removed } if tags.contains(tag)),
    );
    if all {
        for k in old {
            out.actions.push(Action::Transition {
                tag: k.tag,
                to: KeyPhase::Signing,
            });
        }
    }
}

/// True when `action` retires a key of `role`.
fn retires_role(action: &Action, keys: &[KeyState], role: KeyRole) -> bool {
    matches!(action, Action::Transition { tag, to: KeyPhase::Retired }
        if keys.iter().any(|k| k.tag == *tag && k.role == role))
}

/// The secondaries gate: a change made at `since` counts as propagated once every secondary
/// was seen serving the primary's serial after it, or `timeout` after `deadline`.
fn secondaries_have(
    obs: &Observations,
    since: Timestamp,
    deadline: Timestamp,
    timeout: u64,
    now: Timestamp,
) -> bool {
    match obs.secondaries {
        Secondaries::NoneConfigured => true,
        Secondaries::SyncedAt(Some(t)) if t > since => true,
        Secondaries::SyncedAt(_) => now >= deadline.add_secs(timeout),
    }
}

/// The steps of one key that is in a rollover.
fn step_key(
    key: &KeyState,
    keys: &[KeyState],
    algorithm: Algorithm,
    t: &Timings,
    now: Timestamp,
    obs: &Observations,
    out: &mut Plan,
) {
    let wait = |what, next, at| Wait {
        tag: key.tag,
        role: key.role,
        what,
        next,
        at,
    };
    let to = |phase| Action::Transition {
        tag: key.tag,
        to: phase,
    };
    match key.phase {
        KeyPhase::Generated => out.actions.push(to(KeyPhase::Published)),
        KeyPhase::Published => {
            let ready_at = key.since.add_secs(t.publish_interval());
            if now < ready_at {
                out.waits
                    .push(wait(WaitFor::Interval, KeyPhase::Ready, Some(ready_at)));
            } else if !secondaries_have(obs, key.since, ready_at, t.secondary_timeout, now) {
                out.waits.push(wait(
                    WaitFor::Secondaries,
                    KeyPhase::Ready,
                    Some(ready_at.add_secs(t.secondary_timeout)),
                ));
            } else {
                out.actions.push(to(KeyPhase::Ready));
                if key.role == KeyRole::Zsk {
                    activate(key, keys, out);
                }
            }
        }
        KeyPhase::Ready if key.role == KeyRole::Zsk => activate(key, keys, out),
        KeyPhase::Ready => match key.ds {
            DsState::Seen(seen) => {
                let active_at = seen.add_secs(t.ds_interval());
                if now < active_at {
                    out.waits
                        .push(wait(WaitFor::Interval, KeyPhase::Active, Some(active_at)));
                } else {
                    activate(key, keys, out);
                }
            }
            DsState::NotSeen | DsState::Gone(_) => {
                await_ds_change(key, true, t, now, obs, out);
            }
        },
        KeyPhase::Retired => {
            // Zone signatures (ZSK, CSK) must have left caches; so must the DS (KSK, CSK,
            // double-KSK), or the last DNSKEY signature (double-DS).
            let sigs_gone = key.since.add_secs(t.retire_interval());
            let mut remove_at = if key.role == KeyRole::Ksk {
                key.since
            } else {
                sigs_gone
            };
            if key.role.signs_keys() && t.ksk_method == KskMethod::DoubleDs {
                remove_at = remove_at.max(key.since.add_secs(t.publish_interval()));
            } else if key.role.signs_keys() {
                match key.ds {
                    DsState::Gone(gone) => {
                        remove_at = remove_at.max(gone.add_secs(t.ds_interval()))
                    }
                    DsState::NotSeen | DsState::Seen(_) => {
                        await_ds_change(key, false, t, now, obs, out);
                        return;
                    }
                }
            }
            if now < remove_at {
                out.waits
                    .push(wait(WaitFor::Interval, KeyPhase::Removed, Some(remove_at)));
            } else if !secondaries_have(obs, key.since, remove_at, t.secondary_timeout, now) {
                out.waits.push(wait(
                    WaitFor::Secondaries,
                    KeyPhase::Removed,
                    Some(remove_at.add_secs(t.secondary_timeout)),
                ));
            } else {
                out.actions.push(to(KeyPhase::Removed));
            }
        }
        KeyPhase::Active => {
            let lifetime = t.lifetime(key.role);
            if lifetime > 0 {
                out.waits.push(wait(
                    WaitFor::Lifetime,
                    KeyPhase::Retired,
                    Some(rollover_start(key, t)),
                ));
            }
        }
        KeyPhase::Signing => {
            // New algorithm: published once its signatures are in every cache (RFC 6781
            // 4.1.4 step 1). Old algorithm: removed once the DNSKEY RRset without it is.
            let (at, next) = if key.algorithm == algorithm {
                (key.since.add_secs(t.retire_interval()), KeyPhase::Published)
            } else {
                (key.since.add_secs(t.publish_interval()), KeyPhase::Removed)
            };
            if now < at {
                out.waits.push(wait(WaitFor::Interval, next, Some(at)));
            } else if !secondaries_have(obs, key.since, at, t.secondary_timeout, now) {
                out.waits.push(wait(
                    WaitFor::Secondaries,
                    next,
                    Some(at.add_secs(t.secondary_timeout)),
                ));
            } else {
                out.actions.push(to(next));
            }
        }
        KeyPhase::Removed => {}
    }
}

/// Waits for `key`'s DS to appear at the parent (`published`) or to leave it: recorded when
/// the parent check sees it, assumed (and flagged) once `ds_timeout` has passed, else a wait
/// for the operator or the check.
fn await_ds_change(
    key: &KeyState,
    published: bool,
    t: &Timings,
    now: Timestamp,
    obs: &Observations,
    out: &mut Plan,
) {
    let listed = obs
        .parent_ds
        .as_ref()
        .map(|set| set.contains(&(key.algorithm.0, key.tag)));
    let timeout = (t.ds_timeout > 0).then(|| key.since.add_secs(t.ds_timeout));
    let seen = listed == Some(published);
    if seen || timeout.is_some_and(|at| now >= at) {
        out.actions.push(Action::Ds {
            tag: key.tag,
            state: if published {
                DsState::Seen(now)
            } else {
                DsState::Gone(now)
            },
            assumed: !seen,
        });
    } else {
        let (what, next) = if published {
            (WaitFor::DsPublished, KeyPhase::Active)
        } else {
            (WaitFor::DsWithdrawn, KeyPhase::Removed)
        };
        out.waits.push(Wait {
            tag: key.tag,
            role: key.role,
            what,
            next,
            at: timeout,
        });
    }
}

/// Makes `key` the active key of its role and retires the one it replaces.
fn activate(key: &KeyState, keys: &[KeyState], out: &mut Plan) {
    out.actions.push(Action::Transition {
        tag: key.tag,
        to: KeyPhase::Active,
    });
    for old in keys
        .iter()
        .filter(|k| k.role == key.role && k.phase == KeyPhase::Active && k.tag != key.tag)
    {
        out.actions.push(Action::Transition {
            tag: old.tag,
            to: KeyPhase::Retired,
        });
    }
}

/// When the rollover replacing the active `key` starts: early enough that the successor is
/// published long enough when the key's lifetime ends.
fn rollover_start(key: &KeyState, t: &Timings) -> Timestamp {
    key.since
        .add_secs(t.lifetime(key.role))
        .sub_secs(t.publish_interval())
}

/// Starts the rollover that is due (or asked for), if any: the earliest due first.
fn start_rollover(
    keys: &[KeyState],
    layout: &[KeyRole],
    algorithm: Algorithm,
    t: &Timings,
    now: Timestamp,
    obs: &Observations,
    out: &mut Plan,
) {
    let active = || keys.iter().filter(|k| k.phase == KeyPhase::Active);
    if active().any(|k| k.algorithm != algorithm) {
        for &role in layout {
            out.actions.push(Action::Generate {
                role,
                into: KeyPhase::Signing,
            });
        }
        return;
    }
    let generate = |role| Action::Generate {
        role,
        into: KeyPhase::Published,
    };
    if let Some(role) = obs.roll_request.filter(|r| layout.contains(r)) {
        out.actions.push(generate(role));
        return;
    }
    let due = keys
        .iter()
        .filter(|k| k.phase == KeyPhase::Active && layout.contains(&k.role))
        .filter(|k| t.lifetime(k.role) > 0)
        .map(|k| (rollover_start(k, t), k.role))
        .filter(|(at, _)| *at <= now)
        .min_by_key(|(at, role)| (*at, *role == KeyRole::Ksk));
    if let Some((_, role)) = due {
        out.actions.push(generate(role));
    }
}

pub mod apply;

#[cfg(test)]
mod tests;
