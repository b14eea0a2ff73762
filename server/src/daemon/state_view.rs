//! One zone's state as the outside sees it: a plain, serialisable view built from a
//! [`ZoneDriver`] at a moment. `/metrics` turns it into gauges and `daned status --json`
//! prints it, so both say the same thing from the same place.

use serde::Serialize;
use signer::Timestamp;
use signer::phase::KeyPhase;
use signer::rollover::{Wait, WaitFor};

use crate::daemon::driver::{ReloadResult, ZoneDriver};

/// Where one zone stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZoneStateView {
    /// The zone's apex, without the final dot.
    pub zone: String,
    /// The serial served.
    pub serial: u32,
    /// Whether daned signs the zone.
    pub signed: bool,
    /// When the served version was published or loaded (seconds since the epoch).
    pub last_change: Option<u64>,
    /// The earliest expiration of any signature served.
    pub signature_expiry: Option<u64>,
    /// The key rollover's next event.
    pub next_key_event: Option<KeyEventView>,
    /// What the rollover waits for now.
    pub rollover_phase: RolloverPhase,
    /// Whether the parent's DS set is what the rollover wants (`None`: unsigned zone).
    pub ds_in_sync: Option<bool>,
    /// The zone's keys.
    pub keys: Vec<KeyView>,
    /// Each managed TLSA name.
    pub tlsa: Vec<TlsaNameView>,
    /// How the last reload of the zone file ended.
    pub last_reload: Option<ReloadView>,
}

/// The next step of a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyEventView {
    /// When it is due (`None`: when something outside is observed).
    pub at: Option<u64>,
    /// The phase the key moves to (`retired` at the end of its lifetime).
    pub kind: &'static str,
    /// The key's tag.
    pub key_tag: u16,
    /// The key's role (`ksk`, `zsk`, `csk`).
    pub role: &'static str,
    /// What it waits for.
    pub waits_for: &'static str,
}

/// What a zone's rollover waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloverPhase {
    /// The zone is not signed.
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

/// One key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyView {
    /// Its tag.
    pub tag: u16,
    /// Its role.
    pub role: &'static str,
    /// Its phase.
    pub phase: &'static str,
    /// Since when (seconds since the epoch).
    pub since: u64,
}

/// One managed TLSA name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TlsaNameView {
    /// The owner name, without the final dot.
    pub name: String,
    /// TLSA records published at it.
    pub records: usize,
    /// Whether the MTA presented a key a published record matches (`None`: no probe yet,
    /// or no `probe` configured).
    pub probe_matched: Option<bool>,
    /// When the MTA was last probed.
    pub last_probe: Option<u64>,
    /// The earliest notAfter of its certificates.
    pub cert_expiry: Option<i64>,
    /// Until when senders may defer mail after an unsafe rollover (the latest of its
    /// records'), if one happened.
    pub unsafe_until: Option<u64>,
}

/// How a reload ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReloadView {
    /// When.
    pub at: u64,
    /// `ok` or `error`.
    pub result: &'static str,
    /// Why it failed.
    pub error: Option<String>,
}

impl ZoneStateView {
    /// The view of `driver` at `now` (an unsafe-rollover window shows only while it lasts).
    /// Reads the TLSA bindings' certificate files (for their expiry), nothing else outside
    /// memory.
    pub fn of(driver: &ZoneDriver, now: Timestamp) -> Self {
        let served = driver.served();
        let signed = driver.config().signing.is_some();
        let pending = driver.pending();
        let next = pending
            .iter()
            .filter(|w| w.at.is_some())
            .min_by_key(|w| w.at)
            .or_else(|| pending.first());
        Self {
            zone: driver
                .config()
                .name
                .to_string()
                .trim_end_matches('.')
                .to_string(),
            serial: served.serial(),
            signed,
            last_change: driver.last_change().map(Timestamp::as_secs),
            signature_expiry: served.next_refresh(0).map(Timestamp::as_secs),
            next_key_event: next.map(|w| KeyEventView {
                at: w.at.map(Timestamp::as_secs),
                kind: w.next.as_str(),
                key_tag: w.tag,
                role: w.role.as_str(),
                waits_for: wait_name(w.what),
            }),
            rollover_phase: if signed {
                RolloverPhase::of(pending)
            } else {
                RolloverPhase::Unsigned
            },
            ds_in_sync: signed.then(|| {
                !pending
                    .iter()
                    .any(|w| matches!(w.what, WaitFor::DsPublished | WaitFor::DsWithdrawn))
            }),
            keys: driver
                .keys()
                .iter()
                .filter(|k| k.meta.phase != KeyPhase::Removed)
                .map(|k| KeyView {
                    tag: k.tag,
                    role: k.meta.role.as_str(),
                    phase: k.meta.phase.as_str(),
                    since: k.meta.since.as_secs(),
                })
                .collect(),
            tlsa: tlsa_views(driver, now),
            last_reload: driver.last_reload().map(|r| ReloadView {
                at: r.at.as_secs(),
                result: match r.result {
                    ReloadResult::Ok => "ok",
                    ReloadResult::Error(_) => "error",
                },
                error: match &r.result {
                    ReloadResult::Ok => None,
                    ReloadResult::Error(e) => Some(e.clone()),
                },
            }),
        }
    }
}

/// The TLSA names of `driver`'s zone.
fn tlsa_views(driver: &ZoneDriver, now: Timestamp) -> Vec<TlsaNameView> {
    driver
        .tlsa()
        .status(Some(&driver.served().zone))
        .into_iter()
        .map(|n| {
            let seen = n.probe.as_ref().and_then(|(_, seen)| seen.as_ref());
            TlsaNameView {
                name: n.name.to_string().trim_end_matches('.').to_string(),
                records: n.records.len(),
                probe_matched: seen.map(|s| matches!(s.outcome, Ok((_, true)))),
                last_probe: seen.map(|s| s.at),
                cert_expiry: n.cert_expiry,
                unsafe_until: n
                    .records
                    .iter()
                    .filter_map(|r| r.unsafe_until)
                    .filter(|&until| until > now.as_secs())
                    .max(),
            }
        })
        .collect()
}

/// The name of what a key waits for.
fn wait_name(what: WaitFor) -> &'static str {
    match what {
        WaitFor::Interval => "interval",
        WaitFor::Secondaries => "secondaries",
        WaitFor::DsPublished => "ds_published",
        WaitFor::DsWithdrawn => "ds_withdrawn",
        WaitFor::Lifetime => "lifetime",
    }
}

#[cfg(test)]
mod tests {
    use signer::KeyRole;

    use super::*;

    fn wait(what: WaitFor) -> Wait {
        Wait {
            tag: 1,
            role: KeyRole::Ksk,
            what,
            next: KeyPhase::Active,
            at: None,
        }
    }

    #[test]
    fn a_ds_change_outranks_the_secondaries_which_outrank_an_interval() {
        assert_eq!(RolloverPhase::of(&[]), RolloverPhase::Steady);
        assert_eq!(
            RolloverPhase::of(&[wait(WaitFor::Lifetime)]),
            RolloverPhase::Steady
        );
        assert_eq!(
            RolloverPhase::of(&[wait(WaitFor::Interval), wait(WaitFor::Secondaries)]),
            RolloverPhase::WaitingSecondaries
        );
        assert_eq!(
            RolloverPhase::of(&[wait(WaitFor::Secondaries), wait(WaitFor::DsWithdrawn)]),
            RolloverPhase::WaitingDsWithdrawn
        );
        assert_eq!(
            RolloverPhase::of(&[wait(WaitFor::DsWithdrawn), wait(WaitFor::DsPublished)]),
            RolloverPhase::WaitingDsPublished
        );
    }
}
