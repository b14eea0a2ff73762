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

/// Where a zone's MTA-STS id stands: what is published, what the policy file gives, and —
/// when they differ — why the file's id waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsStatus {
    /// The zone.
    pub zone: String,
    /// The id published in the saved version.
    pub published: Option<String>,
    /// What the policy file gives: its id, or why it is unusable.
    pub file: Result<String, String>,
    /// The last fetch of the policy endpoint: when, and the id served or why it failed.
    pub probe: Option<(u64, Result<String, String>)>,
    /// Whether a probe is configured.
    pub probed: bool,
}

impl MailManager {
    /// The MTA-STS status against `saved` (`None` without `[zone.mta_sts]`).
    pub fn sts_status(&self, saved: Option<&Zone>) -> Option<StsStatus> {
        let config = self.mta_sts()?;
        let owner = self.zone().prepend_label("_mta-sts").ok()?;
        let published = saved
            .and_then(|z| z.get(&owner, Rtype::TXT))
            .and_then(|s| s.rdatas.first())
            .and_then(|r| super::dkim::record::txt_text(r.as_bytes()))
            .and_then(|t| super::mta_sts::policy::id_of_record(&t));
        let empty = Zone::new(self.zone().clone(), zones::Class::IN);
        let plan = super::mta_sts::source::plan(config, saved.unwrap_or(&empty), None, None);
        let file = match (plan.file_id, plan.error) {
            (Some(id), _) => Ok(id),
            (None, Some(e)) => Err(e),
            (None, None) => Err("unreadable".into()),
        };
        Some(StsStatus {
            zone: self.zone().to_string(),
            published,
            file,
            probe: self.state().sts_probe.clone(),
            probed: config.probe.is_some(),
        })
    }
}
