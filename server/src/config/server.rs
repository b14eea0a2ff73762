//! The `[server]` table: where daned listens and keeps its state.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::config::Invalid;
use crate::config::duration::parse_duration;

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
}

impl Default for RawServer {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            state_dir: default_state_dir(),
            udp_workers: 0,
            tcp_idle_timeout: default_tcp_idle_timeout(),
            tcp_max_connections: default_tcp_max_connections(),
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
    Ok(ServerConfig {
        listen,
        state_dir: base.join(&raw.state_dir),
        udp_workers: raw.udp_workers,
        tcp_idle_timeout,
        tcp_max_connections: raw.tcp_max_connections,
    })
}
