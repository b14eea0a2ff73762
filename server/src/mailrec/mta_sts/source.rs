//! The `_mta-sts` TXT record of a zone as a source of changes (RFC 8461 section 3.1): its id
//! follows the policy file's content, and — with `probe` — a new id is published only once
//! the HTTPS endpoint serves that very content, because a sender that sees a new id fetches the
//! policy at once and caches what it gets for `max_age`: an id published before the web server
//! has the file would pin the old policy in senders' caches.

use std::path::PathBuf;

use zones::{Rtype, Ttl, Zone};

use super::fetch::StsEndpoint;
use super::policy::{self, StsPolicy};
use crate::dane::file;

/// `[zone.mta_sts]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MtaStsConfig {
    /// The policy file (what the web server serves, or its staged copy).
    pub policy: PathBuf,
    /// Where the served policy is fetched before a new id is published.
    pub probe: Option<StsEndpoint>,
    /// The TXT record's TTL.
    pub ttl: Ttl,
}

/// What the endpoint served at the last probe: the id of its content, or why it failed.
pub type Probed = Result<String, String>;

/// What the source wants published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsPlan {
    /// The id to publish (`None`: keep what is published).
    pub id: Option<String>,
    /// The id the policy file gives, when it is usable.
    pub file_id: Option<String>,
    /// Why the file's id is not published yet (waiting for the endpoint).
    pub held: Option<String>,
    /// Why the policy file is unusable (the published id stays), naming the file.
    pub error: Option<String>,
    /// Warnings (no address record for the policy host).
    pub warnings: Vec<String>,
}

/// The id the file gives against `content` (for its MX RRset and the policy host), and
/// whether it may be published given what `probed` saw and the `published` id.
pub fn plan(
    config: &MtaStsConfig,
    content: &Zone,
    published: Option<&str>,
    probed: Option<&Probed>,
) -> StsPlan {
    let mut plan = StsPlan {
        id: None,
        file_id: None,
        held: None,
        error: None,
        warnings: Vec::new(),
    };
    let path = config.policy.display();
    let bytes = match file::read(&config.policy) {
        Ok(b) => b,
        Err(e) => {
            plan.error = Some(e.to_string());
            return plan;
        }
    };
    let checked = std::str::from_utf8(&bytes)
        .map_err(|_| "not UTF-8 text".to_string())
        .and_then(|t| StsPolicy::parse(t).map_err(|e| e.to_string()))
        .and_then(|p| {
            p.check_targets(&mx_targets(content))
                .map_err(|e| e.to_string())
        });
    if let Err(e) = checked {
        plan.error = Some(format!("{path}: {e}"));
        return plan;
    }
    let id = policy::policy_id(&bytes);
    plan.file_id = Some(id.clone());
    let host = content.origin.prepend_label("mta-sts");
    let has_address = host.as_ref().is_ok_and(|h| {
        [Rtype::A, Rtype::AAAA, Rtype::CNAME]
            .into_iter()
            .any(|t| content.get(h, t).is_some())
    });
    if !has_address {
        plan.warnings.push(format!(
            "no A, AAAA or CNAME at mta-sts.{}: senders cannot fetch the policy",
            content.origin
        ));
    }
    if published == Some(id.as_str()) {
        return plan;
    }
    match (&config.probe, probed) {
        (None, _) => plan.id = Some(id),
        (Some(_), Some(Ok(served))) if *served == id => plan.id = Some(id),
        (Some(p), Some(Ok(served))) => {
            plan.held = Some(format!(
                "{} serves the policy with id {served}, not the file's {id}",
                p.url
            ));
        }
        (Some(p), Some(Err(e))) => plan.held = Some(format!("{}: {e}", p.url)),
        (Some(p), None) => plan.held = Some(format!("{} not fetched yet", p.url)),
    }
    plan
}

/// The targets of the zone's MX RRset at the apex.
fn mx_targets(zone: &Zone) -> Vec<zones::Name> {
    zone.get(&zone.origin, Rtype::MX)
        .map(|set| {
            set.rdatas
                .iter()
                .filter_map(|r| crate::doctor::name_from_wire(r.as_bytes().get(2..)?))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
