//! Prometheus metrics: `[server] metrics = "ADDRESS:PORT"` serves `/metrics` in the Prometheus
//! text format (encoded by `prometheus-client`).
//!
//! - [`query_counters`]: queries by transport, QTYPE and RCODE, response sizes, truncation,
//!   counted per thread without lock or allocation and summed at scrape;
//! - [`event_counters`]: TCP connections, transfers out, NOTIFY, DNS UPDATE (the hook
//!   [`update`] is what the UPDATE handler calls);
//! - [`zone_gauges`]: each zone's state, from the [`ZoneStateView`]s the control loop builds;
//! - [`process`]: the standard `process_*` metrics from `/proc`;
//! - [`http`]: the minimal HTTP/1.1 responder that serves them.

pub mod event_counters;
pub mod http;
pub mod process;
pub mod query_counters;
pub mod zone_gauges;

use std::net::SocketAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use signer::Timestamp;
use zones::snapshot::Catalog;

pub use event_counters::{Notify, Transfer, Update, update};

use crate::answer::{Outcome, Transport};
use crate::daemon::driver::ZoneDriver;
use crate::daemon::state_view::ZoneStateView;
use crate::net::{RCODE_REFUSED, write_error_reply};

/// The zones' state as last built by the control loop; a scrape reads it.
pub type ZoneStates = Arc<ArcSwap<Vec<ZoneStateView>>>;

/// The `/metrics` endpoint, bound and not yet served.
pub struct Endpoint {
    /// The bound listener.
    listener: std::net::TcpListener,
    /// What scrapes read; the control loop refreshes it.
    states: ZoneStates,
}

impl Endpoint {
    /// Binds `addr` and starts counting on the query path.
    pub fn bind(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = http::bind(addr)?;
        query_counters::enable();
        tracing::info!(event = "metrics-listening", %addr, "serving /metrics");
        Ok(Self {
            listener,
            states: Arc::new(ArcSwap::from_pointee(Vec::new())),
        })
    }

    /// What scrapes read.
    pub fn states(&self) -> ZoneStates {
        Arc::clone(&self.states)
    }

    /// Serves scrapes on the current tokio runtime, in the background.
    pub fn spawn(self) {
        tokio::spawn(http::serve(self.listener, self.states));
    }
}

/// Rebuilds the zones' state views from `drivers` at `now` into `states`.
pub fn refresh(states: &ZoneStates, drivers: &[ZoneDriver], now: Timestamp) {
    let views = drivers.iter().map(|d| ZoneStateView::of(d, now)).collect();
    states.store(Arc::new(views));
}

/// [`crate::answer::respond`], counted: what the UDP workers and TCP connections call.
///
/// A transfer asked over UDP is answered REFUSED here (RFC 5936 section 4.2: transfers need
/// TCP), exactly as the UDP loop would, so that it is counted with its RCODE.
pub fn respond(
    catalog: &Catalog,
    query: &[u8],
    transport: Transport,
    out: &mut Vec<u8>,
) -> Outcome {
    let outcome = crate::answer::respond(catalog, query, transport, out);
    let outcome = refuse_udp_transfer(query, transport, outcome, out);
    count(transport, query, outcome, out)
}

/// A transfer asked over UDP is answered REFUSED (and counted as a refused transfer).
pub fn refuse_udp_transfer(
    query: &[u8],
    transport: Transport,
    outcome: Outcome,
    out: &mut Vec<u8>,
) -> Outcome {
    if transport == Transport::Udp && matches!(outcome, Outcome::Transfer { .. }) {
        event_counters::transfer(Transfer::Refused);
        return if write_error_reply(query, RCODE_REFUSED, out) {
            Outcome::Reply
        } else {
            Outcome::Drop
        };
    }
    outcome
}

/// Counts what was finally done with a query (after rate limiting, when it is on).
pub fn count(transport: Transport, query: &[u8], outcome: Outcome, out: &[u8]) -> Outcome {
    if query_counters::enabled() {
        match outcome {
            Outcome::Reply => query_counters::count_reply(transport, query, out),
            Outcome::Drop => query_counters::count_dropped(transport),
            // Counted by the transfer's end (daned_transfers_out_total).
            Outcome::Transfer { .. } => {}
            // Counted when answered (daned_updates_total).
            Outcome::Update => {}
        }
    }
    outcome
}

/// Renders every metric in the Prometheus text format (version 0.0.4).
pub fn render(zones: Arc<Vec<ZoneStateView>>) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Scrape { zones }));
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &registry);
    out
}

/// What one scrape encodes.
#[derive(Debug)]
struct Scrape {
    /// The zones' state.
    zones: Arc<Vec<ZoneStateView>>,
}

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        encode_queries(&mut encoder)?;
        encode_events(&mut encoder)?;
        zone_gauges::encode(&self.zones, &mut encoder)?;
        encode_process(&mut encoder)
    }
}

/// A counter family with one sample per label set.
fn counter<'l>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (Vec<(&'l str, &'l str)>, u64)>,
) -> std::fmt::Result {
    let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    let samples: Vec<_> = samples.into_iter().collect();
    if let [(labels, value)] = &samples[..]
        && labels.is_empty()
    {
        return ConstCounter::new(*value).encode(metric);
    }
    for (labels, value) in samples {
        ConstCounter::new(value).encode(metric.encode_family(&labels)?)?;
    }
    Ok(())
}

/// The query-path counters.
fn encode_queries(encoder: &mut DescriptorEncoder) -> std::fmt::Result {
    use query_counters::{QTYPES, RCODES, SIZE_BOUNDS, TRANSPORTS};
    let t = query_counters::totals();
    let mut queries = Vec::new();
    for (ti, (_, transport)) in TRANSPORTS.iter().enumerate() {
        for (qi, (_, qtype)) in QTYPES.iter().enumerate() {
            for (ri, rcode) in RCODES.iter().enumerate() {
                let n = t.queries[ti][qi][ri];
                if n > 0 {
                    let labels = vec![
                        ("transport", *transport),
                        ("qtype", *qtype),
                        ("rcode", *rcode),
                    ];
                    queries.push((labels, n));
                }
            }
        }
    }
    counter(
        encoder,
        "daned_queries",
        "Queries answered, by transport, QTYPE and RCODE (transfers: daned_transfers_out_total)",
        queries,
    )?;
    let per_transport = |v: [u64; 2]| {
        TRANSPORTS
            .iter()
            .zip(v)
            .map(|((_, name), n)| (vec![("transport", *name)], n))
            .collect::<Vec<_>>()
    };
    counter(
        encoder,
        "daned_responses_truncated",
        "Answers sent with TC set",
        per_transport(t.truncated),
    )?;
    counter(
        encoder,
        "daned_queries_dropped",
        "Packets answered with nothing (responses, garbage, oversized datagrams)",
        per_transport(t.dropped),
    )?;
    let mut sizes = encoder.encode_descriptor(
        "daned_response_size_bytes",
        "Size of the answers sent",
        None,
        MetricType::Histogram,
    )?;
    for (ti, (_, transport)) in TRANSPORTS.iter().enumerate() {
        let buckets: Vec<(f64, u64)> = SIZE_BOUNDS
            .iter()
            .map(|&b| b as f64)
            .chain([f64::INFINITY])
            .zip(t.sizes[ti])
            .collect();
        let count = t.sizes[ti].iter().sum();
        sizes
            .encode_family(&vec![("transport", *transport)])?
            .encode_histogram::<prometheus_client::encoding::NoLabelSet>(
            t.size_sum[ti] as f64,
            count,
            &buckets,
            None,
        )?;
    }
    Ok(())
}

/// Connections, transfers, NOTIFY and UPDATE.
fn encode_events(encoder: &mut DescriptorEncoder) -> std::fmt::Result {
    use event_counters as ev;
    counter(
        encoder,
        "daned_tcp_connections_accepted",
        "TCP connections accepted",
        [(vec![], ev::TCP_ACCEPTED.get())],
    )?;
    counter(
        encoder,
        "daned_tcp_connections_refused",
        "TCP connections closed at once: every slot they could take was busy",
        [(vec![], ev::TCP_REFUSED.get())],
    )?;
    let open = encoder.encode_descriptor(
        "daned_tcp_connections_open",
        "TCP connections open now",
        None,
        MetricType::Gauge,
    )?;
    ConstGauge::new(ev::tcp_open()).encode(open)?;
    counter(
        encoder,
        "daned_transfers_out",
        "Zone transfers out: sent (AXFR, IXFR), refused, failed",
        Transfer::ALL
            .iter()
            .map(|&(k, ty, result)| (vec![("type", ty), ("result", result)], ev::transfers(k))),
    )?;
    counter(
        encoder,
        "daned_notify",
        "NOTIFY messages sent, and per secondary acknowledged or failed",
        Notify::ALL
            .iter()
            .map(|&(k, result)| (vec![("result", result)], ev::notifies(k))),
    )?;
    counter(
        encoder,
        "daned_updates",
        "DNS UPDATE messages accepted or refused",
        Update::ALL
            .iter()
            .map(|&(k, result)| (vec![("result", result)], ev::updates(k))),
    )
}

/// The `process_*` metrics.
fn encode_process(encoder: &mut DescriptorEncoder) -> std::fmt::Result {
    let p = process::read();
    let cpu = encoder.encode_descriptor(
        "process_cpu_seconds",
        "Total user and system CPU time spent in seconds",
        None,
        MetricType::Counter,
    )?;
    ConstCounter::new(p.cpu_seconds).encode(cpu)?;
    for (name, help, value) in [
        (
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            p.resident_bytes as f64,
        ),
        (
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes",
            p.virtual_bytes as f64,
        ),
        (
            "process_open_fds",
            "Number of open file descriptors",
            p.open_fds as f64,
        ),
        (
            "process_max_fds",
            "Maximum number of open file descriptors",
            p.max_fds as f64,
        ),
        (
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds",
            p.start_time,
        ),
    ] {
        let m = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
        ConstGauge::new(value).encode(m)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
