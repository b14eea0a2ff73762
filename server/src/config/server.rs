//! The `[server]` table: where daned listens and keeps its state.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::config::Invalid;
use crate::config::duration::parse_duration;
use crate::config::rrl::{RawRrl, parse_rrl};
use crate::net::tcp_pool::TcpLimits;

//------------ ServerConfig ---------------------------------------------------

/// The `[server]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Addresses to serve UDP and TCP on.
    pub listen: Vec<SocketAddr>,
    /// Folder for the pid file and later the journal and keys (resolved).
    pub state_dir: PathBuf,
    /// Number of UDP worker threads per address; 0 means one per core.
    pub udp_workers: usize,
    /// How long an idle TCP connection is kept open.
    pub tcp_idle_timeout: Duration,
    /// Most TCP connections served at once.
    pub tcp_max_connections: usize,
    /// Most TCP connections served at once to one source address.
    pub tcp_max_per_source: usize,
    /// How long a TCP query may take to arrive once its first octet came.
    pub tcp_query_timeout: Duration,
    /// How long a TCP client may take to accept a response or transfer message.
    pub tcp_write_timeout: Duration,
    /// Response rate limiting on UDP (`[server.rrl]`); `None`: off.
    pub rrl: Option<crate::net::rrl::Settings>,
    /// Where `/metrics` is served (`None`: not served, and the query path counts nothing).
    pub metrics: Option<SocketAddr>,
    /// How log lines are written.
    pub log_format: LogFormat,
}

/// How log lines are written (`[server] log_format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event (the default).
    #[default]
    Text,
    /// One JSON object per line, with stable field names.
    Json,
}

impl ServerConfig {
    /// The TCP connection limits and timeouts.
    pub fn tcp_limits(&self) -> TcpLimits {
        TcpLimits {
            max_connections: self.tcp_max_connections,
            max_per_source: self.tcp_max_per_source,
            idle_timeout: self.tcp_idle_timeout,
            query_timeout: self.tcp_query_timeout,
            write_timeout: self.tcp_write_timeout,
        }
    }
}

//------------ RawServer ------------------------------------------------------

/// `[server]` as written; a missing table is all defaults.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    /// Listen addresses.
    #[serde(default = "default_listen")]
    listen: Vec<String>,
    /// State folder.
    #[serde(default = "default_state_dir")]
    state_dir: PathBuf,
    /// UDP workers.
    #[serde(default)]
    udp_workers: usize,
    /// TCP idle timeout.
    #[serde(default = "default_tcp_idle_timeout")]
    tcp_idle_timeout: String,
    /// TCP connection limit.
    #[serde(default = "default_tcp_max_connections")]
    tcp_max_connections: usize,
    /// TCP connection limit per source.
    #[serde(default = "default_tcp_max_per_source")]
    tcp_max_per_source: usize,
    /// TCP query read timeout.
    #[serde(default = "default_tcp_query_timeout")]
    tcp_query_timeout: String,
    /// TCP write timeout.
    #[serde(default = "default_tcp_write_timeout")]
    tcp_write_timeout: String,
    /// The `/metrics` address.
    #[serde(default)]
    metrics: Option<String>,
    /// The log format.
    #[serde(default)]
    log_format: LogFormat,
    /// `[server.rrl]`.
    #[serde(default)]
    rrl: Option<RawRrl>,
}

impl Default for RawServer {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            state_dir: default_state_dir(),
            udp_workers: 0,
            tcp_idle_timeout: default_tcp_idle_timeout(),
            tcp_max_connections: default_tcp_max_connections(),
            tcp_max_per_source: default_tcp_max_per_source(),
            tcp_query_timeout: default_tcp_query_timeout(),
            tcp_write_timeout: default_tcp_write_timeout(),
            metrics: None,
            log_format: LogFormat::Text,
            rrl: None,
        }
    }
}

/// Default listen addresses.
fn default_listen() -> Vec<String> {
    vec!["127.0.0.1:5300".into(), "[::1]:5300".into()]
}

/// Default state folder.
fn default_state_dir() -> PathBuf {
    PathBuf::from("state")
}

/// Default TCP idle timeout.
fn default_tcp_idle_timeout() -> String {
    "10s".into()
}

/// Default TCP connection limit.
fn default_tcp_max_connections() -> usize {
    256
}

/// Default TCP connection limit per source: a resolver or secondary needs a few, a client
/// filling the pool from one address is held to a sixteenth of the default pool.
fn default_tcp_max_per_source() -> usize {
    16
}

/// Default time for a query's octets to arrive once the first came: a query is at most
/// 64 KiB, and any client that means it sends one in one go.
fn default_tcp_query_timeout() -> String {
    "5s".into()
}

/// Default time for a client to take each response or transfer message.
fn default_tcp_write_timeout() -> String {
    "10s".into()
}

//------------ parse_server ---------------------------------------------------

/// Checks `[server]`; `base` is the configuration file's folder.
pub(super) fn parse_server(raw: &RawServer, base: &Path) -> Result<ServerConfig, Invalid> {
    let mut listen = Vec::new();
    for addr in &raw.listen {
        listen.push(addr.parse::<SocketAddr>().map_err(|e| {
            Invalid::new(
                "server.listen",
                format!("{addr:?}: {e} (want ADDRESS:PORT)"),
            )
        })?);
    }
    if listen.is_empty() {
        return Err(Invalid::new("server.listen", "no address to listen on"));
    }
    let tcp_idle_timeout = parse_duration(&raw.tcp_idle_timeout)
        .map_err(|e| Invalid::new("server.tcp_idle_timeout", e))?;
    if tcp_idle_timeout.is_zero() {
        return Err(Invalid::new(
            "server.tcp_idle_timeout",
            "must be longer than 0",
        ));
    }
    if raw.tcp_max_connections == 0 {
        return Err(Invalid::new(
            "server.tcp_max_connections",
            "must be at least 1",
        ));
    }
    if raw.tcp_max_per_source == 0 {
        return Err(Invalid::new(
            "server.tcp_max_per_source",
            "must be at least 1",
        ));
    }
    let tcp_query_timeout = positive_duration("server.tcp_query_timeout", &raw.tcp_query_timeout)?;
    let tcp_write_timeout = positive_duration("server.tcp_write_timeout", &raw.tcp_write_timeout)?;
    let metrics = match &raw.metrics {
        None => None,
        Some(addr) => Some(addr.parse::<SocketAddr>().map_err(|e| {
            Invalid::new(
                "server.metrics",
                format!("{addr:?}: {e} (want ADDRESS:PORT)"),
            )
        })?),
    };
    Ok(ServerConfig {
        listen,
        state_dir: base.join(&raw.state_dir),
        udp_workers: raw.udp_workers,
        tcp_idle_timeout,
        tcp_max_connections: raw.tcp_max_connections,
        tcp_max_per_source: raw.tcp_max_per_source,
        tcp_query_timeout,
        tcp_write_timeout,
        metrics,
        log_format: raw.log_format,
        rrl: raw.rrl.as_ref().map(parse_rrl).transpose()?,
    })
}

/// `text` as a duration longer than 0; errors name `key`.
fn positive_duration(key: &'static str, text: &str) -> Result<Duration, Invalid> {
    let d = parse_duration(text).map_err(|e| Invalid::new(key, e))?;
    if d.is_zero() {
        return Err(Invalid::new(key, "must be longer than 0"));
    }
    Ok(d)
}
