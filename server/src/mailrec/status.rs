//! What `daned dkim status` and `daned dkim ready` show, computed by the zone's mail manager
//! from its state and the version the daemon saved: the one source of the DKIM status.

use zones::{Rtype, Zone};

use super::dkim::Role;
use super::manager::MailManager;

/// Where one selector stands.
#[derive(Clone, Debug)]
pub struct SelectorStatus {
    /// The zone.
    pub zone: String,
    /// The selector.
    pub selector: String,
    /// Its role.
    pub role: Role,
    /// The record the saved version publishes there (text), if any.
    pub published: Option<String>,
    /// The record the key file gives now equals the published one.
    pub up_to_date: bool,
    /// When the published record was first published and when it is ready (2 x TTL +
    /// propagation delay later), seconds since the epoch.
    pub times: Option<(u64, u64)>,
    /// Why the key file is unusable.
    pub error: Option<String>,
    /// A warning about the key.
    pub warning: Option<String>,
}

impl MailManager {
    /// Each selector's status at `now` against `saved` (the version the daemon saved).
    pub fn status(&self, saved: Option<&Zone>, now: u64) -> Vec<SelectorStatus> {
        self.preview(saved, now)
            .into_iter()
            .map(|p| {
                let name = self.owner(&p.selector);
                let served = name
                    .as_ref()
                    .and_then(|n| saved?.get(n, Rtype::TXT))
                    .and_then(|s| s.rdatas.first())
                    .map(|r| r.as_bytes().to_vec());
                let times = served.as_ref().and_then(|r| {
                    let first = *self
                        .state()
                        .first_seen
                        .get(&(p.selector.clone(), r.clone()))?;
                    let ttl = u64::from(p.ttl.0);
                    Some((first, first + 2 * ttl + self.propagation()))
                });
                SelectorStatus {
                    zone: self.zone().to_string(),
                    selector: p.selector.clone(),
                    role: p.role,
                    published: served.as_deref().and_then(super::dkim::record::txt_text),
                    up_to_date: served.is_some() && served == p.rdata,
                    times,
                    error: p.error,
                    warning: p.warning,
                }
            })
            .collect()
    }
}
