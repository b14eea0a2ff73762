//! The per-zone gauges of `/metrics`, read from the zones' [`ZoneStateView`]s (built by the
//! control loop from the zone drivers after every change and at every tick).

use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;

use crate::daemon::state_view::{ParentDs, ReloadView, RolloverPhase, ZoneStateView};

/// One gauge family: its name, help, and the values of each label set.
struct Family {
    /// The metric's name.
    name: &'static str,
    /// Its help text.
    help: &'static str,
    /// Label sets and values.
    samples: Vec<(Vec<(&'static str, String)>, i64)>,
}

impl Family {
    /// No samples yet.
    fn new(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            help,
            samples: Vec::new(),
        }
    }

    /// Adds a sample.
    fn add(&mut self, labels: Vec<(&'static str, String)>, value: i64) {
        self.samples.push((labels, value));
    }

    /// Writes the family (nothing when it has no sample: an empty family is no metric).
    fn encode(&self, encoder: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        if self.samples.is_empty() {
            return Ok(());
        }
        let mut metric = encoder.encode_descriptor(
            self.name,
            self.help,
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for (labels, value) in &self.samples {
            ConstGauge::new(*value).encode(metric.encode_family(labels)?)?;
        }
        Ok(())
    }
}

/// Writes every zone's gauges.
pub fn encode(zones: &[ZoneStateView], encoder: &mut DescriptorEncoder) -> std::fmt::Result {
    let mut serial = Family::new("daned_zone_serial", "SOA serial served");
    let mut changed = Family::new(
        "daned_zone_last_change_timestamp_seconds",
        "When the served version was published or loaded",
    );
    let mut expiry = Family::new(
        "daned_zone_signature_expiry_timestamp_seconds",
        "Earliest expiration of a signature served",
    );
    let mut key_event = Family::new(
        "daned_zone_next_key_event_timestamp_seconds",
        "When the next key rollover step is due (kind: the phase the key moves to)",
    );
    let mut phase = Family::new(
        "daned_zone_rollover_phase",
        "What the key rollover waits for (1 for the current phase)",
    );
    let mut ds = Family::new(
        "daned_zone_ds_in_sync",
        "1 when the parent's DS set is what the rollover wants",
    );
    let mut keys = Family::new(
        "daned_zone_key_phase_since_timestamp_seconds",
        "Each key's phase and when it entered it",
    );
    let mut reload = Family::new(
        "daned_zone_last_reload_success",
        "1 when the last reload of the zone file succeeded",
    );
    let mut reload_at = Family::new(
        "daned_zone_last_reload_timestamp_seconds",
        "When the zone file was last reloaded",
    );
    let mut tlsa_records = Family::new(
        "daned_tlsa_records",
        "TLSA records published at a managed name",
    );
    let mut tlsa_matched = Family::new(
        "daned_tlsa_probe_matched",
        "1 when the MTA presented a key a published TLSA record matches",
    );
    let mut tlsa_probe = Family::new(
        "daned_tlsa_last_probe_timestamp_seconds",
        "When the MTA was last probed",
    );
    let mut tlsa_cert = Family::new(
        "daned_tlsa_certificate_expiry_timestamp_seconds",
        "Earliest notAfter of the binding's certificates",
    );
    let mut tlsa_unsafe = Family::new(
        "daned_tlsa_unsafe_rollover_until_timestamp_seconds",
        "Until when senders may defer mail after an unsafe rollover",
    );
    for z in zones {
        let zone = || vec![("zone", z.zone.trim_end_matches('.').to_string())];
        serial.add(zone(), i64::from(z.serial));
        if let Some(at) = z.last_change {
            changed.add(zone(), at as i64);
        }
        if let Some(at) = z.signatures_expire {
            expiry.add(zone(), at as i64);
        }
        if let Some(e) = &z.next_key_event {
            let mut labels = zone();
            labels.push(("kind", e.next_phase.clone()));
            labels.push(("role", e.role.to_string()));
            labels.push(("key_tag", e.tag.to_string()));
            labels.push(("waits_for", e.waits_for.to_string()));
            // A step waiting on an observation has no date: 0.
            key_event.add(labels, e.at.map_or(0, |at| at as i64));
        }
        for p in RolloverPhase::ALL {
            let mut labels = zone();
            labels.push(("phase", p.as_str().to_string()));
            phase.add(labels, i64::from(p == z.rollover_phase));
        }
        if let Some(in_sync) = ds_in_sync(z) {
            ds.add(zone(), i64::from(in_sync));
        }
        for k in &z.keys {
            let mut labels = zone();
            labels.push(("key_tag", k.tag.to_string()));
            labels.push(("role", k.role.to_string()));
            labels.push(("phase", k.phase.to_string()));
            keys.add(labels, k.since as i64);
        }
        match &z.last_reload {
            // Not reloaded since start-up: the load that serves it succeeded.
            ReloadView::NotYet => reload.add(zone(), 1),
            ReloadView::Loaded { at } => {
                reload.add(zone(), 1);
                reload_at.add(zone(), *at as i64);
            }
            ReloadView::Failed { at, .. } => {
                reload.add(zone(), 0);
                reload_at.add(zone(), *at as i64);
            }
        }
        for t in &z.tlsa {
            let name = || {
                let mut labels = zone();
                labels.push(("name", t.name.trim_end_matches('.').to_string()));
                labels
            };
            tlsa_records.add(name(), t.records.len() as i64);
            if let Some(m) = t.probe.as_ref().and_then(|p| p.matched) {
                tlsa_matched.add(name(), i64::from(m));
            }
            if let Some(at) = t.probe.as_ref().and_then(|p| p.at) {
                tlsa_probe.add(name(), at as i64);
            }
            if let Some(at) = t.cert_not_after {
                tlsa_cert.add(name(), at);
            }
            if let Some(at) = t.unsafe_until {
                tlsa_unsafe.add(name(), at as i64);
            }
        }
    }
    for f in [
        &serial,
        &changed,
        &expiry,
        &key_event,
        &phase,
        &ds,
        &keys,
        &reload,
        &reload_at,
        &tlsa_records,
        &tlsa_matched,
        &tlsa_probe,
        &tlsa_cert,
        &tlsa_unsafe,
    ] {
        f.encode(encoder)?;
    }
    Ok(())
}

/// Whether the parent's DS matches the keys: as last observed when the parent's servers were
/// asked, otherwise whether no key waits for a DS change (`None`: an unsigned zone).
fn ds_in_sync(z: &ZoneStateView) -> Option<bool> {
    match &z.parent_ds {
        ParentDs::NotSigned => None,
        ParentDs::InSync => Some(true),
        ParentDs::OutOfSync { .. } => Some(false),
        ParentDs::Unknown => Some(!matches!(
            z.rollover_phase,
            RolloverPhase::WaitingDsPublished | RolloverPhase::WaitingDsWithdrawn
        )),
    }
}
