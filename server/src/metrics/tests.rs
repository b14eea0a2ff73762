use std::sync::Arc;

use super::*;
use crate::daemon::state_view::{KeyEventView, RolloverPhase, TlsaNameView};

fn view() -> ZoneStateView {
    ZoneStateView {
        zone: "example.com".into(),
        serial: 7,
        signed: true,
        last_change: Some(1_700_000_000),
        signature_expiry: Some(1_700_900_000),
        next_key_event: Some(KeyEventView {
            at: Some(1_700_100_000),
            kind: "active",
            key_tag: 4242,
            role: "zsk",
            waits_for: "interval",
        }),
        rollover_phase: RolloverPhase::WaitingInterval,
        ds_in_sync: Some(true),
        keys: Vec::new(),
        tlsa: vec![TlsaNameView {
            name: "_25._tcp.mx.example.com".into(),
            records: 2,
            probe_matched: Some(true),
            last_probe: Some(1_700_000_100),
            cert_expiry: Some(1_710_000_000),
            unsafe_until: None,
        }],
        last_reload: None,
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
    use crate::daemon::state_view::{KeyView, ReloadView};
    let mut full = view();
    full.keys.push(KeyView {
        tag: 1,
        role: "csk",
        phase: "active",
        since: 1,
    });
    full.last_reload = Some(ReloadView {
        at: 1,
        result: "ok",
        error: None,
    });
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
