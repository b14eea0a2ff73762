//! The daemon's configuration file (TOML): `[server]`, `[[zone]]` and `[policy.NAME]`.
//!
//! Every table rejects unknown keys, so a typo is an error rather than a silently ignored
//! setting. Relative paths are resolved against the folder of the configuration file.

pub mod policy;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::config::policy::Policy;
pub use crate::config::policy::PolicyConfig;
use crate::daemon::signing::ZoneSigning;
use crate::daemon::tlsa::publish::TlsaBinding;
use crate::net::acl::{Acl, AclError};
use crate::net::tsig::{TsigAlgorithm, TsigKey};
use zones::serial::SerialPolicy;

//------------ Config --------------------------------------------------------

/// The whole configuration, validated and with paths resolved.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// `[server]`.
    pub server: ServerConfig,
    /// Every `[[zone]]`, in file order.
    pub zones: Vec<ZoneConfig>,
    /// Every `[policy.NAME]`.
    pub policies: BTreeMap<String, PolicyConfig>,
    /// Every `[[tsig_key]]`.
    pub tsig_keys: Vec<TsigKey>,
}

/// The `[server]` table.
#[derive(Clone, Debug)]
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

/// One `[[zone]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneConfig {
    /// The apex, fully qualified.
    pub name: zones::Name,
    /// The master file (resolved).
    pub file: PathBuf,
    /// Who may AXFR the zone.
    pub allow_transfer: Acl,
    /// Whether the zone is signed (the default; `sign = false` opts out).
    pub sign: bool,
    /// Name of the `[policy.NAME]` to sign with.
    pub policy: Option<String>,
    /// How to sign it, when `sign` is set: the checked policy and where the keys live.
    pub signing: Option<ZoneSigning>,
    /// How the SOA serial moves on each change.
    pub serial_policy: SerialPolicy,
    /// Secondaries sent a NOTIFY (RFC 1996) on every serial change; a rollover step that
    /// needs them to serve the new serial waits for these.
    pub notify: Vec<NotifyTarget>,
    /// The parent's nameservers, asked for the zone's DS during KSK and CSK rollovers.
    pub parent_servers: Vec<SocketAddr>,
    /// How often they are asked.
    pub ds_check_interval: Duration,
    /// TLSA records derived from certificate files (`[[zone.tlsa]]`).
    pub tlsa: Vec<TlsaBinding>,
}

/// One `notify` entry: where, and with which TSIG key (if any) the NOTIFY is signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyTarget {
    /// Address and port.
    pub addr: SocketAddr,
    /// Name of the `[[tsig_key]]` that signs it.
    pub key: Option<String>,
}

//------------ ConfigError ---------------------------------------------------

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key or a value of the wrong type.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message (it names line and column).
        message: String,
    },
    /// A value has the right type but cannot be used.
    #[error("{path}: {what}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Which key.
        what: String,
        /// What is wrong.
        message: String,
    },
}

//------------ Raw (serde) forms ---------------------------------------------

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// `[server]`.
    #[serde(default)]
    server: RawServer,
    /// `[[zone]]`.
    #[serde(default)]
    zone: Vec<RawZone>,
    /// `[policy.NAME]`.
    #[serde(default)]
    policy: BTreeMap<String, PolicyConfig>,
    /// `[[tsig_key]]`.
    #[serde(default)]
    tsig_key: Vec<RawTsigKey>,
}

/// `[[tsig_key]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTsigKey {
    /// Key name, as the secondaries know it.
    name: String,
    /// "hmac-sha256" (default), "hmac-sha512" or "hmac-sha1".
    #[serde(default)]
    algorithm: Option<String>,
    /// The secret, base64.
    secret: String,
}

/// `[server]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
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

/// `[[zone]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZone {
    /// Apex.
    name: String,
    /// Master file.
    file: PathBuf,
    /// Transfer ACL entries.
    #[serde(default)]
    allow_transfer: Vec<String>,
    /// Sign the zone (default true).
    #[serde(default = "default_true")]
    sign: bool,
    /// Policy name.
    policy: Option<String>,
    /// "increment" (default), "unixtime" or "dateserial".
    #[serde(default)]
    serial_policy: Option<String>,
    /// NOTIFY targets, "ADDRESS:PORT" (port 53 when left out).
    #[serde(default)]
    notify: Vec<String>,
    /// The parent zone's nameservers, "ADDRESS:PORT", asked for the zone's DS during a KSK
    /// or CSK rollover.
    #[serde(default)]
    parent_servers: Vec<String>,
    /// How often they are asked (default 1h).
    ds_check_interval: Option<String>,
    /// `[[zone.tlsa]]`: TLSA records daned derives from certificate files.
    #[serde(default)]
    tlsa: Vec<RawTlsa>,
}

/// `[[zone.tlsa]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTlsa {
    /// Owner names sharing the certificate(s).
    names: Vec<String>,
    /// One certificate (chain) file, or several.
    cert: OneOrMany,
    /// The private key of each certificate (same order as `cert`), checked against it.
    key: Option<OneOrMany>,
    /// The next key (private/public key, CSR or certificate).
    next_key: Option<PathBuf>,
    /// Where the MTA serves the certificate (STARTTLS probe).
    probe: Option<String>,
    /// Also publish 2 1 1 for the issuer in the chain.
    #[serde(default)]
    issuer: bool,
    /// TLSA TTL (default 1h).
    ttl: Option<String>,
    /// Warn this long before a certificate expires (default 14d).
    cert_expiry_warning: Option<String>,
}

/// A path or a list of paths.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    /// One.
    One(PathBuf),
    /// Several.
    Many(Vec<PathBuf>),
}

/// "ADDRESS:PORT" or "ADDRESS" (port 53).
fn socket_addr(text: &str) -> Option<SocketAddr> {
    text.parse::<SocketAddr>()
        .or_else(|_| {
            text.parse::<std::net::IpAddr>()
                .map(|ip| SocketAddr::new(ip, 53))
        })
        .ok()
}

/// Zones are signed unless they opt out.
fn default_true() -> bool {
    true
}

//------------ Loading -------------------------------------------------------

impl Config {
    /// Reads and validates the configuration at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_owned(),
            error,
        })?;
        Self::parse(&text, path)
    }

    /// Parses configuration text that was read from `path` (used to resolve relative paths).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        let invalid = |what: &str, message: String| ConfigError::Invalid {
            path: path.to_owned(),
            what: what.to_owned(),
            message,
        };

        let mut listen = Vec::new();
        for addr in &raw.server.listen {
            listen.push(addr.parse::<SocketAddr>().map_err(|e| {
                invalid(
                    "server.listen",
                    format!("{addr:?}: {e} (want ADDRESS:PORT)"),
                )
            })?);
        }
        if listen.is_empty() {
            return Err(invalid("server.listen", "no address to listen on".into()));
        }
        let tcp_idle_timeout = parse_duration(&raw.server.tcp_idle_timeout)
            .map_err(|m| invalid("server.tcp_idle_timeout", m))?;
        if tcp_idle_timeout.is_zero() {
            return Err(invalid(
                "server.tcp_idle_timeout",
                "must be longer than 0".into(),
            ));
        }
        if raw.server.tcp_max_connections == 0 {
            return Err(invalid(
                "server.tcp_max_connections",
                "must be at least 1".into(),
            ));
        }
        let server = ServerConfig {
            listen,
            state_dir: base.join(&raw.server.state_dir),
            udp_workers: raw.server.udp_workers,
            tcp_idle_timeout,
            tcp_max_connections: raw.server.tcp_max_connections,
        };

        let mut tsig_keys: Vec<TsigKey> = Vec::new();
        for k in &raw.tsig_key {
            let what = format!("tsig_key {:?}", k.name);
            let algorithm = match k.algorithm.as_deref() {
                None => TsigAlgorithm::HmacSha256,
                Some(a) => TsigAlgorithm::from_name(a).ok_or_else(|| {
                    invalid(
                        &what,
                        format!(
                            "algorithm {a:?} is not one of hmac-sha256, hmac-sha512, hmac-sha1"
                        ),
                    )
                })?,
            };
            let secret = data_encoding::BASE64
                .decode(k.secret.trim().as_bytes())
                .map_err(|e| invalid(&what, format!("secret is not base64: {e}")))?;
            if secret.is_empty() {
                return Err(invalid(&what, "empty secret".into()));
            }
            if tsig_keys
                .iter()
                .any(|o| o.name.eq_ignore_ascii_case(k.name.trim_end_matches('.')))
            {
                return Err(invalid(&what, "key listed twice".into()));
            }
            let key = TsigKey::new(&k.name, algorithm, &secret)
                .ok_or_else(|| invalid(&what, "bad key name".into()))?;
            tsig_keys.push(key);
        }
        let known_key = |name: &str| tsig_keys.iter().any(|k| k.name.eq_ignore_ascii_case(name));

        let mut policies = BTreeMap::new();
        for (name, policy) in &raw.policy {
            let checked = Policy::from_config(name, policy)
                .map_err(|e| invalid(&format!("policy.{name}"), e.to_string()))?;
            policies.insert(name.clone(), checked);
        }

        let mut zones: Vec<ZoneConfig> = Vec::new();
        for z in raw.zone {
            let what = format!("zone {:?}", z.name);
            let mut name = zones::Name::from_ascii(&z.name)
                .map_err(|e| invalid(&what, format!("bad name: {e}")))?;
            name.set_fqdn(true);
            if zones.iter().any(|o| o.name == name) {
                return Err(invalid(&what, "zone listed twice".into()));
            }
            let allow_transfer = Acl::parse(&z.allow_transfer).map_err(|e: AclError| {
                invalid(&format!("{what}: allow_transfer"), e.to_string())
            })?;
            if let Some(unknown) = allow_transfer.key_names().find(|n| !known_key(n)) {
                return Err(invalid(
                    &format!("{what}: allow_transfer"),
                    AclError::UnknownKey(unknown.to_string()).to_string(),
                ));
            }
            if let Some(p) = &z.policy {
                if !raw.policy.contains_key(p) && p != "default" {
                    return Err(invalid(&what, format!("no [policy.{p}]")));
                }
            }
            let signing = z.sign.then(|| {
                let policy_name = z.policy.clone().unwrap_or_else(|| "default".into());
                ZoneSigning {
                    policy: policies
                        .get(&policy_name)
                        .cloned()
                        .unwrap_or_else(Policy::builtin),
                    policy_name,
                    state_dir: server.state_dir.clone(),
                }
            });
            let serial_policy = match z.serial_policy.as_deref() {
                None | Some("increment") => SerialPolicy::Increment,
                Some("unixtime") => SerialPolicy::Unixtime,
                Some("dateserial") => SerialPolicy::Dateserial,
                Some(other) => {
                    return Err(invalid(
                        &format!("{what}: serial_policy"),
                        format!("{other:?} is not one of increment, unixtime, dateserial"),
                    ));
                }
            };
            let mut notify = Vec::new();
            for target in &z.notify {
                let bad = || {
                    invalid(
                        &format!("{what}: notify"),
                        format!("{target:?}: want ADDRESS[:PORT] [key:NAME]"),
                    )
                };
                let mut parts = target.split_whitespace();
                let addr_text = parts.next().ok_or_else(bad)?;
                let addr = socket_addr(addr_text).ok_or_else(bad)?;
                let key = match parts.next() {
                    None => None,
                    Some(k) => {
                        let name = k
                            .strip_prefix("key:")
                            .ok_or_else(bad)?
                            .trim_end_matches('.')
                            .to_string();
                        if !known_key(&name) {
                            return Err(invalid(
                                &format!("{what}: notify"),
                                AclError::UnknownKey(name).to_string(),
                            ));
                        }
                        Some(name)
                    }
                };
                if parts.next().is_some() {
                    return Err(bad());
                }
                notify.push(NotifyTarget { addr, key });
            }
            let mut parent_servers = Vec::new();
            for server in &z.parent_servers {
                parent_servers.push(socket_addr(server).ok_or_else(|| {
                    invalid(
                        &format!("{what}: parent_servers"),
                        format!("{server:?}: want ADDRESS[:PORT]"),
                    )
                })?);
            }
            let ds_check_interval = match &z.ds_check_interval {
                Some(v) => parse_duration(v)
                    .map_err(|m| invalid(&format!("{what}: ds_check_interval"), m))?,
                None => Duration::from_secs(3600),
            };
            let mut tlsa = Vec::new();
            for t in &z.tlsa {
                let twhat = format!("{what}: tlsa");
                if let Some(probe) = &t.probe {
                    check_probe(probe).map_err(|m| invalid(&format!("{twhat}: probe"), m))?;
                }
                let mut names = Vec::new();
                for n in &t.names {
                    let mut owner = zones::Name::from_ascii(n)
                        .map_err(|e| invalid(&twhat, format!("name {n:?}: {e}")))?;
                    owner.set_fqdn(true);
                    if !name.zone_of(&owner) {
                        return Err(invalid(&twhat, format!("{n:?} is not in zone {name}")));
                    }
                    names.push(owner);
                }
                if names.is_empty() {
                    return Err(invalid(&twhat, "names is empty".into()));
                }
                let certs: Vec<PathBuf> = match &t.cert {
                    OneOrMany::One(p) => vec![base.join(p)],
                    OneOrMany::Many(v) => v.iter().map(|p| base.join(p)).collect(),
                };
                let keys: Vec<PathBuf> = match &t.key {
                    None => Vec::new(),
                    Some(OneOrMany::One(p)) => vec![base.join(p)],
                    Some(OneOrMany::Many(v)) => v.iter().map(|p| base.join(p)).collect(),
                };
                if !keys.is_empty() && keys.len() != certs.len() {
                    return Err(invalid(
                        &format!("{twhat}: key"),
                        format!(
                            "{} key files for {} certificate files; give one per certificate, in the same order",
                            keys.len(),
                            certs.len()
                        ),
                    ));
                }
                let ttl = match &t.ttl {
                    Some(v) => parse_duration(v)
                        .map_err(|m| invalid(&format!("{twhat}: ttl"), m))?
                        .as_secs() as u32,
                    None => 3600,
                };
                let expiry_warning = match &t.cert_expiry_warning {
                    Some(v) => parse_duration(v)
                        .map_err(|m| invalid(&format!("{twhat}: cert_expiry_warning"), m))?
                        .as_secs(),
                    None => 14 * 86_400,
                };
                tlsa.push(TlsaBinding {
                    expiry_warning,
                    names,
                    certs,
                    keys,
                    next_key: t.next_key.as_ref().map(|p| base.join(p)),
                    probe: t.probe.clone(),
                    issuer: t.issuer,
                    ttl: zones::Ttl(ttl),
                });
            }
            zones.push(ZoneConfig {
                tlsa,
                name,
                file: base.join(&z.file),
                allow_transfer,
                sign: z.sign,
                policy: z.policy,
                signing,
                serial_policy,
                notify,
                parent_servers,
                ds_check_interval,
            });
        }

        Ok(Self {
            path: path.to_owned(),
            server,
            zones,
            policies: raw.policy,
            tsig_keys,
        })
    }
}

//------------ parse_duration -------------------------------------------------

/// Checks a `probe` value: `host:port` (`[v6]:port` for an IPv6 address), port not 0.
fn check_probe(text: &str) -> Result<(), String> {
    let (host, port) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("{text:?}: host:port expected (e.g. \"mx1.example.com:25\")"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("{text:?}: the port must be a number from 1 to 65535"))?;
    if port == 0 {
        return Err(format!(
            "{text:?}: the port must be a number from 1 to 65535"
        ));
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("{text:?}: no host name"));
    }
    Ok(())
}

/// Parses a duration such as "10s", "5m", "1h", "14d", "2w" or "0" (a bare number is seconds).
/// Several parts may be joined: "1h30m".
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("{text:?}: expected a number"));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("{text:?}: number too large"))?;
        rest = &rest[digits..];
        let unit = match rest.bytes().next() {
            None => 1,
            Some(b's') => 1,
            Some(b'm') => 60,
            Some(b'h') => 3600,
            Some(b'd') => 86_400,
            Some(b'w') => 7 * 86_400,
            Some(_) => {
                return Err(format!("{text:?}: unknown unit (use s, m, h, d or w)"));
            }
        };
        if !rest.is_empty() {
            rest = &rest[1..];
        }
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("{text:?}: too large"))?;
    }
    Ok(Duration::from_secs(total))
}

//------------ Tests ---------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
[server]
listen = ["127.0.0.1:5300", "[::1]:5300"]
state_dir = "state"
udp_workers = 2
tcp_idle_timeout = "10s"
tcp_max_connections = 16

[[zone]]
name = "example.com"
file = "zones/example.com.zone"
allow_transfer = ["127.0.0.0/8", "::1"]
sign = true
policy = "default"

[policy.default]
algorithm = "ECDSAP256SHA256"
keys = "csk"
denial = "nsec3"
nsec3_opt_out = false
rrsig_lifetime = "14d"
rrsig_refresh = "5d"
dnskey_ttl = "1h"
propagation_delay = "1h"
zsk_lifetime = "90d"
ksk_lifetime = "0"
"#;

    #[test]
    fn a_full_config_parses_and_paths_are_relative_to_its_folder() {
        let c = Config::parse(FULL, Path::new("/etc/daned/daned.toml")).unwrap();
        assert_eq!(c.server.listen.len(), 2);
        assert_eq!(c.server.state_dir, Path::new("/etc/daned/state"));
        assert_eq!(c.server.udp_workers, 2);
        assert_eq!(c.server.tcp_idle_timeout, Duration::from_secs(10));
        assert_eq!(c.zones.len(), 1);
        assert_eq!(
            c.zones[0].file,
            Path::new("/etc/daned/zones/example.com.zone")
        );
        assert_eq!(c.zones[0].name.to_ascii(), "example.com.");
        assert!(c.zones[0].sign);
        assert!(c.policies.contains_key("default"));
    }

    #[test]
    fn absolute_paths_are_kept() {
        let text = "[server]\nstate_dir = \"/var/lib/daned\"\n[[zone]]\nname = \"a.test\"\nfile = \"/z/a.zone\"\n";
        let c = Config::parse(text, Path::new("conf/daned.toml")).unwrap();
        assert_eq!(c.server.state_dir, Path::new("/var/lib/daned"));
        assert_eq!(c.zones[0].file, Path::new("/z/a.zone"));
    }

    #[test]
    fn unknown_keys_are_rejected_in_every_table() {
        for text in [
            "[server]\nlisten_on = []\n",
            "[[zone]]\nname = \"a.test\"\nfile = \"a\"\nnotfiy = []\n",
            "[policy.x]\nalgoritm = \"x\"\n",
            "[srever]\n",
        ] {
            let err = Config::parse(text, Path::new("d.toml")).unwrap_err();
            assert!(err.to_string().contains("unknown field"), "{text:?}: {err}");
        }
    }

    #[test]
    fn key_entries_must_name_a_configured_tsig_key() {
        let text = "[[zone]]\nname = \"a.test\"\nfile = \"a\"\nallow_transfer = [\"key:sec1\"]\n";
        let err = Config::parse(text, Path::new("d.toml")).unwrap_err();
        assert!(err.to_string().contains("tsig_key"), "{err}");
        let text = format!(
            "[[tsig_key]]\nname = \"sec1\"\nsecret = \"c2VjcmV0\"\n\n{text}notify = [\"192.0.2.1 key:sec1\"]\n"
        );
        let c = Config::parse(&text, Path::new("d.toml")).unwrap();
        assert_eq!(c.tsig_keys.len(), 1);
        assert_eq!(c.zones[0].notify[0].key.as_deref(), Some("sec1"));
        assert_eq!(c.zones[0].notify[0].addr.port(), 53);
    }

    #[test]
    fn tlsa_probe_and_key_are_read_and_checked() {
        let zone = "[[zone]]\nname = \"a.test\"\nfile = \"a\"\n[[zone.tlsa]]\nnames = [\"_25._tcp.mx.a.test\"]\ncert = \"c.pem\"\n";
        let c = Config::parse(
            &format!("{zone}key = \"k.pem\"\nprobe = \"mx.a.test:25\"\n"),
            Path::new("/e/d.toml"),
        )
        .unwrap();
        let b = &c.zones[0].tlsa[0];
        assert_eq!(b.keys, [Path::new("/e/k.pem")]);
        assert_eq!(b.probe.as_deref(), Some("mx.a.test:25"));
        for (extra, complaint) in [
            ("probe = \"mx.a.test\"\n", "probe"),
            ("probe = \"mx.a.test:0\"\n", "probe"),
            ("probe = \":25\"\n", "probe"),
            ("key = [\"k1.pem\", \"k2.pem\"]\n", "key"),
        ] {
            let err = Config::parse(&format!("{zone}{extra}"), Path::new("d.toml")).unwrap_err();
            assert!(err.to_string().contains(complaint), "{extra}: {err}");
        }
    }

    #[test]
    fn bad_values_are_reported_with_their_key() {
        let err =
            Config::parse("[server]\nlisten = [\"localhost\"]\n", Path::new("d.toml")).unwrap_err();
        assert!(err.to_string().contains("server.listen"), "{err}");
        let err = Config::parse(
            "[server]\ntcp_idle_timeout = \"10y\"\n",
            Path::new("d.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("tcp_idle_timeout"), "{err}");
        let err =
            Config::parse("[server]\ntcp_idle_timeout = \"0\"\n", Path::new("d.toml")).unwrap_err();
        assert!(err.to_string().contains("tcp_idle_timeout"), "{err}");
        let err =
            Config::parse("[server]\nudp_workers = \"two\"\n", Path::new("d.toml")).unwrap_err();
        assert!(err.to_string().contains("udp_workers"), "{err}");
    }

    #[test]
    fn policies_are_checked_by_the_policy_module() {
        let err =
            Config::parse("[policy.x]\nalgorithm = \"md5\"\n", Path::new("d.toml")).unwrap_err();
        assert!(err.to_string().contains("policy.x"), "{err}");
        let err = Config::parse(
            "[policy.x]\nrrsig_lifetime = \"14q\"\n",
            Path::new("d.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("policy.x"), "{err}");
    }

    #[test]
    fn durations_accept_units_and_bare_seconds() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("14d"), Ok(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}
