//! One read-only view of a zone driver at a moment: what `daned status` prints, what the
//! metrics export and what the timeline starts from. It is read from the driver's state (the
//! version served, the keys as stored, the rollover's pending steps, the TLSA manager, the
//! driver's history) and never recomputes a decision: whatever the driver will do next is
//! what it already says it waits for.
//!
//! The view is plain data (serde), so the status socket sends it as JSON and the client reads
//! it back as the same type. Fields are only ever added.

use serde::{Deserialize, Serialize};
use signer::keystore::{DsState, KeyPhase};
use signer::rollover::{Wait, WaitFor};
use signer::{KeyRole, SigningKey, Timestamp};

use crate::daemon::driver::{ReloadOutcome, ZoneDriver};
use crate::daemon::tlsa::state;
use crate::daemon::tlsa::status::{NameStatus, NextKeyStatus, RecordRole};

//------------ ZoneStateView -------------------------------------------------

/// Where one zone stands. Times are seconds since the epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneStateView {
    /// The zone's name (with the final dot).
    pub zone: String,
    /// The serial served.
    pub serial: u32,
    /// Whether the zone is signed.
    pub signing: Signing,
    /// When a new version was last published.
    pub last_change: Option<u64>,
    /// The earliest expiration of any signature served (signed zones).
    pub signatures_expire: Option<u64>,
    /// When the next signature refresh is due (the policy's `rrsig_refresh` before that).
    pub next_refresh: Option<u64>,
    /// The zone's keys, as stored.
    pub keys: Vec<KeyView>,
    /// The role whose rollover is under way, if any.
    pub rollover: Option<String>,
    /// What the rollover waits for now (the `/metrics` phase gauge).
    #[serde(default)]
    pub rollover_phase: RolloverPhase,
    /// The earliest step the rollover waits for (dated steps first).
    pub next_key_event: Option<KeyEventView>,
    /// Every step the rollover waits for, earliest first.
    pub key_events: Vec<KeyEventView>,
    /// Whether the parent's DS set, as last observed, is the one the keys expect.
    pub parent_ds: ParentDs,
    /// Each managed TLSA name.
    pub tlsa: Vec<TlsaNameView>,
    /// Each secondary's serial as last seen.
    pub secondaries: Vec<SecondaryView>,
    /// How the last reload of the zone file went.
    pub last_reload: ReloadView,
}

/// What a zone's rollover waits for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloverPhase {
    /// The zone is not signed.
    #[default]
    Unsigned,
    /// No rollover under way (keys wait only for the end of their lifetime).
    Steady,
    /// A rollover waits for an interval (propagation, TTLs) to end.
    WaitingInterval,
    /// A rollover waits for the secondaries to serve the serial.
    WaitingSecondaries,
    /// A rollover waits for the parent to publish a DS.
    WaitingDsPublished,
    /// A rollover waits for the parent to remove a DS.
    WaitingDsWithdrawn,
}

impl RolloverPhase {
    /// Every phase, in exposition order.
    pub const ALL: [Self; 6] = [
        Self::Unsigned,
        Self::Steady,
        Self::WaitingInterval,
        Self::WaitingSecondaries,
        Self::WaitingDsPublished,
        Self::WaitingDsWithdrawn,
    ];

    /// Its name (the metric label and the JSON value).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsigned => "unsigned",
            Self::Steady => "steady",
            Self::WaitingInterval => "waiting_interval",
            Self::WaitingSecondaries => "waiting_secondaries",
            Self::WaitingDsPublished => "waiting_ds_published",
            Self::WaitingDsWithdrawn => "waiting_ds_withdrawn",
        }
    }

    /// The phase the pending waits give: a DS change outranks the secondaries, which
    /// outrank an interval.
    fn of(pending: &[Wait]) -> Self {
        let waits = |what| pending.iter().any(|w| w.what == what);
        if waits(WaitFor::DsPublished) {
            Self::WaitingDsPublished
        } else if waits(WaitFor::DsWithdrawn) {
            Self::WaitingDsWithdrawn
        } else if waits(WaitFor::Secondaries) {
            Self::WaitingSecondaries
        } else if waits(WaitFor::Interval) {
            Self::WaitingInterval
        } else {
            Self::Steady
        }
    }
}

/// Whether a zone is signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signing {
    /// Served as the file says.
    Unsigned,
    /// Signed by daned.
    Signed,
}

/// One key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    /// Its key tag.
    pub tag: u16,
    /// Its algorithm's mnemonic.
    pub algorithm: String,
    /// zsk, ksk or csk.
    pub role: String,
    /// Its lifecycle phase.
    pub phase: String,
    /// When it entered that phase.
    pub since: u64,
    /// Its DS at the parent: `not-seen`, `seen` or `gone` (`-` for a zsk).
    pub ds: String,
    /// When the DS state last changed.
    pub ds_since: Option<u64>,
}

/// One step the rollover waits for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEventView {
    /// When it happens, if only time decides.
    pub at: Option<u64>,
    /// The key.
    pub tag: u16,
    /// Its role.
    pub role: String,
    /// What it waits for: interval, secondaries, ds-published, ds-withdrawn, lifetime.
    pub waits_for: String,
    /// The phase the key moves to.
    pub next_phase: String,
    /// What happens, in words.
    pub description: String,
}

/// The parent's DS against the keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum ParentDs {
    /// An unsigned zone: no DS expected.
    NotSigned,
    /// Not observed (no `parent_servers`, or they did not agree).
    Unknown,
    /// The parent serves the DS of exactly the keys seen there.
    InSync,
    /// The parent serves another set.
    OutOfSync {
        /// The key tags the parent serves.
        parent: Vec<u16>,
        /// The key tags the keys expect.
        expected: Vec<u16>,
    },
}

/// One managed TLSA name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsaNameView {
    /// The owner name.
    pub name: String,
    /// The published records.
    pub records: Vec<TlsaRecordView>,
    /// Why the binding's files cannot be used.
    pub files_error: Option<String>,
    /// The next key's record: `none` (no `next_key`), `not-published`, or published.
    pub next_key: NextKeyView,
    /// The last STARTTLS probe of the MTA.
    pub probe: Option<ProbeView>,
    /// The earliest notAfter of the binding's certificates.
    pub cert_not_after: Option<i64>,
    /// Until when an unsafe rollover may make senders defer mail (the latest of the records).
    pub unsafe_until: Option<u64>,
}

/// One published TLSA record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsaRecordView {
    /// Usage, selector, matching type and data, as in a zone file.
    pub rdata: String,
    /// current, current-and-next, next, kept, retiring.
    pub role: String,
    /// When it was first published.
    pub published: Option<u64>,
    /// When it is in every cache.
    pub ready: Option<u64>,
    /// When a retiring record may go from.
    pub retiring_from: Option<u64>,
}

/// The next key's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum NextKeyView {
    /// No `next_key` configured, or it cannot be read.
    None,
    /// Not published yet.
    NotPublished,
    /// Published; in every cache from `ready_at`.
    Published {
        /// When it is ready.
        ready_at: u64,
    },
}

/// The last probe of an MTA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeView {
    /// The probed address.
    pub addr: String,
    /// When it was last probed (`None`: not yet).
    pub at: Option<u64>,
    /// Whether a published record matches the key presented (`None`: no answer).
    pub matched: Option<bool>,
    /// Why the probe failed.
    pub error: Option<String>,
}

/// One secondary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondaryView {
    /// Its address.
    pub addr: String,
    /// The serial it served (`None`: it did not answer).
    pub serial: Option<u32>,
    /// When it was asked.
    pub at: u64,
}

/// How the last reload went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum ReloadView {
    /// Not reloaded since the zone was loaded.
    NotYet,
    /// Read at `at`.
    Loaded {
        /// When.
        at: u64,
    },
    /// Failed at `at`; the previous version stays served.
    Failed {
        /// When.
        at: u64,
        /// Why.
        error: String,
    },
}

//------------ Building ------------------------------------------------------

impl ZoneStateView {
    /// The view of `driver` at `now`.
    pub fn of(driver: &ZoneDriver, now: Timestamp) -> Self {
        let config = driver.config();
        let served = driver.served();
        let signed = config.signing.is_some();
        let keys = driver.keys().unwrap_or(&[]);
        let mut events: Vec<KeyEventView> = driver.pending().iter().map(key_event).collect();
        events.sort_by_key(|e| (e.at.is_none(), e.at));
        let rollover = keys
            .iter()
            .find(|k| {
                matches!(
                    k.meta.phase,
                    KeyPhase::Generated | KeyPhase::Published | KeyPhase::Ready | KeyPhase::Retired
                )
            })
            .map(|k| k.meta.role.as_str().to_string());
        let history = driver.history();
        Self {
            zone: config.name.to_string(),
            serial: served.serial(),
            signing: if signed {
                Signing::Signed
            } else {
                Signing::Unsigned
            },
            last_change: history.last_change.map(|t| t.as_secs()),
            signatures_expire: served.next_refresh(0).map(|t| t.as_secs()),
            next_refresh: config
                .signing
                .as_ref()
                .and_then(|how| served.next_refresh(how.policy.rrsig_refresh.as_secs()))
                .map(|t| t.as_secs()),
            keys: keys.iter().map(key_view).collect(),
            rollover,
            rollover_phase: if signed {
                RolloverPhase::of(driver.pending())
            } else {
                RolloverPhase::Unsigned
            },
            next_key_event: events.first().cloned(),
            key_events: events,
            parent_ds: parent_ds(driver),
            tlsa: driver
                .tlsa()
                .map(|t| t.status(Some(&served.zone())))
                .unwrap_or_default()
                .iter()
                .map(|n| tlsa_view(n, now))
                .collect(),
            secondaries: history
                .secondaries
                .iter()
                .map(|s| SecondaryView {
                    addr: s.addr.to_string(),
                    serial: s.serial,
                    at: s.at.as_secs(),
                })
                .collect(),
            last_reload: match &history.last_reload {
                None => ReloadView::NotYet,
                Some(ReloadOutcome::Loaded(at)) => ReloadView::Loaded { at: at.as_secs() },
                Some(ReloadOutcome::Failed(at, error)) => ReloadView::Failed {
                    at: at.as_secs(),
                    error: error.clone(),
                },
            },
        }
    }
}

/// One key as shown.
fn key_view(k: &signer::keystore::StoredKey) -> KeyView {
    let (ds, ds_since) = match (k.meta.role.signs_keys(), k.meta.ds) {
        (false, _) => ("-", None),
        (true, DsState::NotSeen) => ("not-seen", None),
        (true, DsState::Seen(t)) => ("seen", Some(t.as_secs())),
        (true, DsState::Gone(t)) => ("gone", Some(t.as_secs())),
    };
    KeyView {
        tag: k.tag,
        algorithm: k.key.algorithm().mnemonic(),
        role: k.meta.role.as_str().to_string(),
        phase: k.meta.phase.as_str().to_string(),
        since: k.meta.since.as_secs(),
        ds: ds.to_string(),
        ds_since,
    }
}

/// One pending step as shown.
fn key_event(w: &Wait) -> KeyEventView {
    KeyEventView {
        at: w.at.map(|t| t.as_secs()),
        tag: w.tag,
        role: w.role.as_str().to_string(),
        waits_for: waits_for(w.what).to_string(),
        next_phase: w.next.as_str().to_string(),
        description: w.to_string(),
    }
}

/// The name of what a step waits for.
pub fn waits_for(what: WaitFor) -> &'static str {
    match what {
        WaitFor::Interval => "interval",
        WaitFor::Secondaries => "secondaries",
        WaitFor::DsPublished => "ds-published",
        WaitFor::DsWithdrawn => "ds-withdrawn",
        WaitFor::Lifetime => "lifetime",
    }
}

/// The parent's DS as last observed, against the keys whose DS was seen there.
fn parent_ds(driver: &ZoneDriver) -> ParentDs {
    let (Some(keys), Some(seen)) = (driver.keys(), driver.observations()) else {
        return ParentDs::NotSigned;
    };
    let Some(observed) = &seen.parent_ds else {
        return ParentDs::Unknown;
    };
    let mut parent: Vec<u16> = observed.iter().map(|&(_, tag)| tag).collect();
    parent.sort_unstable();
    parent.dedup();
    let mut expected: Vec<u16> = keys
        .iter()
        .filter(|k| matches!(k.meta.role, KeyRole::Ksk | KeyRole::Csk))
        .filter(|k| matches!(k.meta.ds, DsState::Seen(_)))
        .map(|k| k.tag)
        .collect();
    expected.sort_unstable();
    if parent == expected {
        ParentDs::InSync
    } else {
        ParentDs::OutOfSync { parent, expected }
    }
}

/// One TLSA name as shown.
fn tlsa_view(n: &NameStatus, _now: Timestamp) -> TlsaNameView {
    TlsaNameView {
        name: n.name.to_string(),
        records: n
            .records
            .iter()
            .map(|r| TlsaRecordView {
                rdata: rdata_text(&r.rdata),
                role: match r.role {
                    RecordRole::CurrentAndNext => "current-and-next",
                    RecordRole::Current => "current",
                    RecordRole::Next => "next",
                    RecordRole::KeptWhileFilesUnusable => "kept",
                    RecordRole::Retiring => "retiring",
                }
                .to_string(),
                published: r.published.map(|(first, _)| first),
                ready: r.published.map(|(_, ready)| ready),
                retiring_from: r.retiring_from,
            })
            .collect(),
        files_error: n.files_error.clone(),
        next_key: match n.next_key {
            None => NextKeyView::None,
            Some(NextKeyStatus::NotPublished) => NextKeyView::NotPublished,
            Some(NextKeyStatus::Published { ready_at }) => NextKeyView::Published { ready_at },
        },
        probe: n.probe.as_ref().map(|(addr, seen)| ProbeView {
            addr: addr.clone(),
            at: seen.as_ref().map(|s| s.at),
            matched: seen
                .as_ref()
                .and_then(|s| s.outcome.as_ref().ok().map(|(_, m)| *m)),
            error: seen
                .as_ref()
                .and_then(|s| s.outcome.as_ref().err().cloned()),
        }),
        cert_not_after: n.cert_not_after,
        unsafe_until: n.records.iter().filter_map(|r| r.unsafe_until).max(),
    }
}

/// TLSA rdata as `usage selector matching HEX`.
fn rdata_text(rdata: &[u8]) -> String {
    match rdata {
        [u, s, m, data @ ..] => format!("{u} {s} {m} {}", state::hex(data)),
        _ => state::hex(rdata),
    }
}

#[cfg(test)]
mod tests;
