//! The zone's record sources: the TLSA records derived from certificate files and the DKIM,
//! MTA-STS and TLS-RPT records from key and policy files, each managed only for a zone that
//! has bindings, and what they read of the version served.

use std::path::Path;
use std::sync::Arc;

use signer::Timestamp;
use zones::Zone;

use super::ZoneDriver;
use crate::config::ZoneConfig;
use crate::daemon::publish::Published;
use crate::daemon::tlsa::manager::TlsaManager;
use crate::mailrec::manager::MailManager;

impl ZoneDriver {
    /// Re-reads the certificate files and publishes the TLSA records they give, when they
    /// differ from the published ones.
    pub(super) fn certificates(&mut self, now: Timestamp) -> Option<Published> {
        let view = self.sources_view();
        let tlsa = self.tlsa.as_mut()?;
        let change = tlsa.change(&view, now.0)?;
        tlsa.warn_unsafe_rollover(now.0);
        // A failure is logged by `publish`; the old records stay published.
        let done = self.publish(change, now, None);
        if let Some(p) = done {
            if let Some(t) = &mut self.tlsa {
                t.published(&self.served.zone(), now.0);
            }
            tracing::info!(event = "tlsa-change-served", zone = %self.config.name, serial = p.serial, elapsed_ms = p.elapsed_ms, "TLSA change served");
        }
        done
    }

    /// Re-reads the DKIM key files and moves the selectors through their lifecycle,
    /// publishing the records that differ from the published ones.
    pub(super) fn mail_files(&mut self, now: Timestamp) -> Option<Published> {
        let view = self.sources_view();
        let change = self.mail.as_mut()?.change(&view, now.0)?;
        let done = self.publish(change, now, None);
        if let Some(p) = done {
            if let Some(m) = &mut self.mail {
                m.published(&self.served.zone(), now.0);
            }
            tracing::info!(zone = %self.config.name, serial = p.serial, elapsed_ms = p.elapsed_ms, "mail record change served");
        }
        done
    }

    /// What the record sources (TLSA, DKIM, MTA-STS) read of the version served: each reads
    /// a few names of its own, so a zone at rest gives them those RRsets out of the snapshot
    /// (the whole zone is rebuilt only for a change).
    pub(super) fn sources_view(&self) -> Arc<Zone> {
        let mut names: Vec<zones::Name> = std::iter::once(&self.config.name)
            .chain(self.tlsa().into_iter().flat_map(|t| t.watched_names()))
            .cloned()
            .collect();
        if let Some(m) = self.mail() {
            names.extend(m.watched_names());
        }
        names.sort();
        names.dedup();
        self.served.zone_at(&names)
    }
}

/// The TLSA manager of a zone with bindings.
pub(super) fn tlsa_manager(
    config: &ZoneConfig,
    state_dir: Option<&Path>,
) -> Option<Box<TlsaManager>> {
    (!config.tlsa.is_empty()).then(|| Box::new(TlsaManager::load(config, state_dir)))
}

/// The mail record manager of a zone that publishes mail records or retires a DKIM key.
pub(super) fn mail_manager(
    config: &ZoneConfig,
    state_dir: Option<&Path>,
) -> Option<Box<MailManager>> {
    let manager = MailManager::load(config, state_dir);
    (!manager.is_empty()).then(|| Box::new(manager))
}

/// The TLSA records published at each name of each binding.
pub(super) fn managed_tlsa(config: &ZoneConfig, zone: &Zone) -> Vec<Vec<Vec<u8>>> {
    config
        .tlsa
        .iter()
        .flat_map(|b| &b.names)
        .map(|n| crate::daemon::tlsa::publish::published(zone, n))
        .collect()
}
