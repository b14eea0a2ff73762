//! The `[server.rrl]` table: response rate limiting on UDP (`net::rrl`). Present means on;
//! the keys follow BIND's `rate-limit` and Knot's `mod-rrl`.

use serde::Deserialize;

use crate::config::Invalid;
use crate::config::duration::parse_duration;
use crate::net::rrl::table::BALANCE_MAX;
use crate::net::rrl::{Mode, Settings};

/// `[server.rrl]` as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRrl {
    /// Responses per second per source prefix and class.
    #[serde(default = "default_rate")]
    rate: u32,
    /// Every n-th limited response is truncated; 0 drops all.
    #[serde(default = "default_slip")]
    slip: u32,
    /// How long a flooding source stays limited after it slows down.
    #[serde(default = "default_window")]
    window: String,
    /// IPv4 prefix length of a source.
    #[serde(default = "default_ipv4_prefix")]
    ipv4_prefix: u8,
    /// IPv6 prefix length of a source.
    #[serde(default = "default_ipv6_prefix")]
    ipv6_prefix: u8,
    /// Sources never limited.
    #[serde(default)]
    exempt: Vec<String>,
    /// Log only, answer everything.
    #[serde(default)]
    log_only: bool,
}

/// BIND's and Knot's default is higher; 20 is the and NSD's per-name order.
fn default_rate() -> u32 {
    20
}

/// BIND's and Knot's default: every second limited response is truncated.
fn default_slip() -> u32 {
    2
}

/// BIND's default window.
fn default_window() -> String {
    "15s".into()
}

/// BIND's and Knot's default IPv4 grouping.
fn default_ipv4_prefix() -> u8 {
    24
}

/// BIND's default IPv6 grouping (one site).
fn default_ipv6_prefix() -> u8 {
    56
}

/// Checks `[server.rrl]`.
pub(super) fn parse_rrl(raw: &RawRrl) -> Result<Settings, Invalid> {
    if raw.rate == 0 {
        return Err(Invalid::new(
            "server.rrl.rate",
            "must be at least 1 (leave out [server.rrl] to answer without limits)",
        ));
    }
    if raw.slip > 100 {
        return Err(Invalid::new("server.rrl.slip", "must be 0 to 100"));
    }
    let window = parse_duration(&raw.window).map_err(|e| Invalid::new("server.rrl.window", e))?;
    if window.as_secs() == 0 || window.as_secs() > 3600 || window.subsec_nanos() != 0 {
        return Err(Invalid::new(
            "server.rrl.window",
            "must be whole seconds from 1s to 1h",
        ));
    }
    let window = window.as_secs() as u32;
    if i64::from(raw.rate) * i64::from(window) > BALANCE_MAX {
        return Err(Invalid::new(
            "server.rrl.rate",
            format!("rate × window must stay below {BALANCE_MAX}"),
        ));
    }
    if !(1..=32).contains(&raw.ipv4_prefix) {
        return Err(Invalid::new("server.rrl.ipv4_prefix", "must be 1 to 32"));
    }
    if !(1..=128).contains(&raw.ipv6_prefix) {
        return Err(Invalid::new("server.rrl.ipv6_prefix", "must be 1 to 128"));
    }
    let mut exempt = Vec::new();
    for entry in &raw.exempt {
        let net = entry
            .parse::<ipnet::IpNet>()
            .map(|n| n.trunc())
            .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| {
                Invalid::new(
                    "server.rrl.exempt",
                    format!("{entry:?} is not an address or range (e.g. 192.0.2.0/24, ::1)"),
                )
            })?;
        exempt.push(net);
    }
    Ok(Settings {
        rate: raw.rate,
        slip: raw.slip,
        window,
        ipv4_prefix: raw.ipv4_prefix,
        ipv6_prefix: raw.ipv6_prefix,
        exempt,
        mode: if raw.log_only {
            Mode::LogOnly
        } else {
            Mode::Limit
        },
    })
}

#[cfg(test)]
mod tests;
