//! What changed between two views of a zone, as timeline events: keys that appeared, moved
//! to another phase or left; DS changes; signature refreshes; TLSA records published and
//! withdrawn. The one recorder for `daned timeline`'s projection and `daned simulate --svg`.

use std::collections::BTreeMap;

use super::{Lane, TimelineEvent, When};
use crate::daemon::state_view::ZoneStateView;

/// The planned events that take `before` to `after` at `at`.
pub fn changes(before: &ZoneStateView, after: &ZoneStateView, at: u64) -> Vec<TimelineEvent> {
    let mut out = Vec::new();
    let mut push = |lane, what: String| {
        out.push(TimelineEvent {
            at,
            lane,
            when: When::Planned,
            what,
        });
    };
    let old: BTreeMap<u16, _> = before.keys.iter().map(|k| (k.tag, k)).collect();
    let new: BTreeMap<u16, _> = after.keys.iter().map(|k| (k.tag, k)).collect();
    for (tag, k) in &new {
        match old.get(tag) {
            None => push(Lane::Keys, format!("{} {tag} {}", k.role, k.phase)),
            Some(o) if o.phase != k.phase => {
                push(Lane::Keys, format!("{} {tag} {}", k.role, k.phase));
            }
            _ => {}
        }
        if old.get(tag).is_some_and(|o| o.ds != k.ds) && k.ds != "-" {
            push(Lane::ParentDs, format!("DS of {} {tag} {}", k.role, k.ds));
        }
    }
    for (tag, o) in &old {
        if !new.contains_key(tag) {
            push(Lane::Keys, format!("{} {tag} removed", o.role));
        }
    }
    if before.signatures_expire != after.signatures_expire && before.serial != after.serial {
        push(Lane::Signatures, "signatures refreshed".into());
    }
    for n in &after.tlsa {
        let had = before.tlsa.iter().find(|b| b.name == n.name);
        for r in &n.records {
            if !had.is_some_and(|b| b.records.iter().any(|o| o.rdata == r.rdata)) {
                push(Lane::Tlsa, format!("{} {} published", n.name, r.role));
            }
        }
        if let Some(b) = had {
            for r in &b.records {
                if !n.records.iter().any(|o| o.rdata == r.rdata) {
                    push(Lane::Tlsa, format!("{} {} withdrawn", n.name, r.role));
                }
            }
        }
    }
    out
}
