use std::sync::Arc;

use super::*;
use crate::daemon::state_view::{
    KeyEventView, NextKeyView, ParentDs, ProbeView, ReloadView, RolloverPhase, Signing,
    TlsaNameView, TlsaRecordView,
};

fn record(rdata: &str) -> TlsaRecordView {
    TlsaRecordView {
        rdata: rdata.into(),
        role: "current".into(),
        published: Some(1_700_000_000),
        ready: Some(1_700_000_600),
        retiring_from: None,
    }
}

fn view() -> ZoneStateView {
    let event = KeyEventView {
        at: Some(1_700_100_000),
        tag: 4242,
        role: "zsk".into(),
        waits_for: "interval".into(),
        next_phase: "active".into(),
        description: "zsk 4242 active after the interval".into(),
    };
    ZoneStateView {
        zone: "example.com.".into(),
        serial: 7,
        signing: Signing::Signed,
        last_change: Some(1_700_000_000),
        signatures_expire: Some(1_700_900_000),
        next_refresh: Some(1_700_500_000),
        keys: Vec::new(),
        rollover: Some("zsk".into()),
        rollover_phase: RolloverPhase::WaitingInterval,
        next_key_event: Some(event.clone()),
        key_events: vec![event],
        parent_ds: ParentDs::InSync,
        tlsa: vec![TlsaNameView {
            name: "_25._tcp.mx.example.com".into(),
            records: vec![record("3 1 1 aa"), record("3 1 1 bb")],
            files_error: None,
            next_key: NextKeyView::None,
            probe: Some(ProbeView {
                addr: "192.0.2.25:25".into(),
                at: Some(1_700_000_100),
                matched: Some(true),
                error: None,
            }),
            cert_not_after: Some(1_710_000_000),
            unsafe_until: None,
        }],
        secondaries: Vec::new(),
        last_reload: ReloadView::NotYet,
    }
}

#[test]
fn a_scrape_has_the_zone_gauges_and_the_counters_in_prometheus_text() {
    let text = render(Arc::new(vec![view()]));
    for line in [
        "daned_zone_serial{zone=\"example.com\"} 7",
        "daned_zone_rollover_phase{zone=\"example.com\",phase=\"waiting_interval\"} 1",
        "daned_zone_rollover_phase{zone=\"example.com\",phase=\"steady\"} 0",
        "daned_zone_ds_in_sync{zone=\"example.com\"} 1",
        "daned_zone_next_key_event_timestamp_seconds{zone=\"example.com\",kind=\"active\",role=\"zsk\",key_tag=\"4242\",waits_for=\"interval\"} 1700100000",
        "daned_tlsa_records{zone=\"example.com\",name=\"_25._tcp.mx.example.com\"} 2",
        "daned_tlsa_probe_matched{zone=\"example.com\",name=\"_25._tcp.mx.example.com\"} 1",
        "# TYPE daned_queries_total counter",
        "# TYPE daned_response_size_bytes histogram",
        "daned_response_size_bytes_bucket{transport=\"udp\",le=\"+Inf\"}",
        "# TYPE process_cpu_seconds_total counter",
        "daned_transfers_out_total{type=\"AXFR\",result=\"sent\"}",
        "daned_updates_total{result=\"refused\"}",
        "daned_tcp_connections_accepted_total ",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    // No sample for what is unknown.
    assert!(!text.contains("daned_tlsa_unsafe_rollover_until"));
}

#[test]
fn the_update_hook_moves_its_counter() {
    let before = event_counters::updates(Update::Accepted);
    update(Update::Accepted);
    assert_eq!(event_counters::updates(Update::Accepted), before + 1);
}

#[test]
fn the_grafana_dashboard_uses_only_names_a_scrape_has() {
    use crate::daemon::state_view::KeyView;
    let mut full = view();
    full.keys.push(KeyView {
        tag: 1,
        algorithm: "ECDSAP256SHA256".into(),
        role: "csk".into(),
        phase: "active".into(),
        since: 1,
        ds: "seen".into(),
        ds_since: Some(1),
    });
    full.last_reload = ReloadView::Loaded { at: 1 };
    full.tlsa[0].unsafe_until = Some(1);
    let text = render(Arc::new(vec![full]));
    let dashboard = include_str!("../../../contrib/grafana-dashboard.json");
    let mut names = 0;
    for word in dashboard.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if !(word.starts_with("daned_") || word.starts_with("process_")) {
            continue;
        }
        names += 1;
        assert!(
            text.contains(&format!("# TYPE {word} "))
                || ["_bucket", "_count", "_sum"].iter().any(|s| word
                    .strip_suffix(s)
                    .is_some_and(|base| { text.contains(&format!("# TYPE {base} histogram")) })),
            "the dashboard uses {word}, which /metrics does not have"
        );
    }
    assert!(names > 20, "{names}");
}
