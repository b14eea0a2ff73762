//! A zone's timeline: past and planned events on labelled lanes (keys, the parent's DS,
//! signatures, TLSA, certificates), as a table ([`Timeline::table`]) and as an SVG chart
//! ([`svg`]).
//!
//! Past events are read from a [`ZoneStateView`] (when each key entered its phase, when its
//! DS was seen, when each TLSA record was first published). Planned events are what the zone
//! driver then does: [`project`] steps a driver on a virtual clock from one timer to the next
//! and records what changed between its views ([`record`]) — the same driver, policy and
//! rollover machine as the daemon and `daned simulate`, so the plan is what they do, not a
//! second model of it. `daned simulate --svg` records its own run the same way.

pub mod record;
pub mod svg;

use std::fmt::Write as _;

use serde::Serialize;
use signer::Timestamp;

use crate::daemon::driver::{Event, ZoneDriver};
use crate::daemon::state_view::{NextKeyView, ZoneStateView};

//------------ Lane, When, TimelineEvent -------------------------------------

/// What an event is about: one lane of the chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lane {
    /// Keys generated, published, active, retired, removed.
    Keys,
    /// DS changes at the parent.
    ParentDs,
    /// Signature refresh and expiry waves.
    Signatures,
    /// TLSA records published, ready, retiring.
    Tlsa,
    /// Certificate expiry.
    Certificates,
}

impl Lane {
    /// Every lane, top to bottom.
    pub const ALL: [Self; 5] = [
        Self::Keys,
        Self::ParentDs,
        Self::Signatures,
        Self::Tlsa,
        Self::Certificates,
    ];

    /// Its label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Keys => "keys",
            Self::ParentDs => "parent DS",
            Self::Signatures => "signatures",
            Self::Tlsa => "TLSA",
            Self::Certificates => "certificates",
        }
    }
}

/// Whether an event happened or is planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum When {
    /// Before the timeline's moment.
    Past,
    /// From the timeline's moment on.
    Planned,
}

/// One event.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TimelineEvent {
    /// When (seconds since the epoch).
    pub at: u64,
    /// Its lane.
    pub lane: Lane,
    /// Past or planned.
    pub when: When,
    /// What happens, in words (`zsk 12345 active`).
    pub what: String,
}

//------------ Timeline -------------------------------------------------------

/// The events of one zone between two moments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// The zone.
    pub zone: String,
    /// The moment past and planned are told apart at.
    pub now: u64,
    /// The first moment shown.
    pub from: u64,
    /// The last moment shown.
    pub until: u64,
    /// The events, in time order.
    pub events: Vec<TimelineEvent>,
}

impl Timeline {
    /// A timeline of `zone` from `events`, keeping those within `[from, until]`.
    pub fn new(
        zone: String,
        now: u64,
        from: u64,
        until: u64,
        events: impl IntoIterator<Item = TimelineEvent>,
    ) -> Self {
        let mut events: Vec<_> = events
            .into_iter()
            .filter(|e| e.at >= from && e.at <= until)
            .collect();
        events.sort();
        events.dedup();
        Self {
            zone,
            now,
            from,
            until,
            events,
        }
    }

    /// The table: one line per event, `time  lane  past|planned  what`.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{:<20} {:<12} {:<8} event", "time (UTC)", "lane", "");
        for e in &self.events {
            let when = match e.when {
                When::Past => "past",
                When::Planned => "planned",
            };
            let _ = writeln!(
                out,
                "{:<20} {:<12} {:<8} {}",
                crate::daemon::lifecycle::utc(Timestamp(e.at)),
                e.lane.label(),
                when,
                e.what
            );
        }
        out
    }
}

//------------ Past events, from one view ------------------------------------

/// What `view` tells of the past (and of dated moments it already knows ahead: TLSA
/// readiness, certificate expiry), told apart at `now`.
pub fn from_view(view: &ZoneStateView, now: u64) -> Vec<TimelineEvent> {
    let mut out = Vec::new();
    let mut push = |at: u64, lane, what: String| {
        let when = if at < now { When::Past } else { When::Planned };
        out.push(TimelineEvent {
            at,
            lane,
            when,
            what,
        });
    };
    for k in &view.keys {
        push(
            k.since,
            Lane::Keys,
            format!("{} {} {}", k.role, k.tag, k.phase),
        );
        if let Some(t) = k.ds_since {
            push(
                t,
                Lane::ParentDs,
                format!("DS of {} {} {}", k.role, k.tag, k.ds),
            );
        }
    }
    if let Some(t) = view.signatures_expire {
        push(t, Lane::Signatures, "earliest signature expires".into());
    }
    for n in &view.tlsa {
        for r in &n.records {
            if let Some(t) = r.published {
                push(t, Lane::Tlsa, format!("{} {} published", n.name, r.role));
            }
            if let Some(t) = r.ready {
                push(t, Lane::Tlsa, format!("{} {} ready", n.name, r.role));
            }
            if let Some(t) = r.retiring_from {
                push(t, Lane::Tlsa, format!("{} retiring record may go", n.name));
            }
        }
        if let NextKeyView::Published { ready_at } = n.next_key {
            push(ready_at, Lane::Tlsa, format!("{} next key ready", n.name));
        }
        if let Some(t) = n.cert_not_after.and_then(|t| u64::try_from(t).ok()) {
            push(
                t,
                Lane::Certificates,
                format!("{} certificate expires", n.name),
            );
        }
    }
    out
}

//------------ Planned events, by stepping the driver ------------------------

/// The most timer steps a projection takes (a bound, whatever the policy).
const MAX_STEPS: usize = 100_000;

/// Steps `driver` from `now` to `until` on a virtual clock, one timer at a time, and records
/// what changed at each step. The driver is the caller's copy: a projection carries the
/// rollover out for real on whatever state the driver was loaded from.
pub fn project(driver: &mut ZoneDriver, now: Timestamp, until: u64) -> Vec<TimelineEvent> {
    let mut out = Vec::new();
    let mut at = now;
    let mut before = ZoneStateView::of(driver, at);
    for _ in 0..MAX_STEPS {
        driver.step(at, Event::Tick);
        let after = ZoneStateView::of(driver, at);
        out.extend(record::changes(&before, &after, at.as_secs()));
        before = after;
        let next = match driver.next_wakeup() {
            Some(t) if t > at => t,
            // A timer already past that the zone could not act on (a step waiting for an
            // observation): look again an hour later, `daned simulate`'s default step.
            _ => at.add_secs(3600),
        };
        if next.as_secs() > until {
            break;
        }
        at = next;
    }
    out
}
