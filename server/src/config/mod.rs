//! The daemon's configuration file (TOML): `[server]`, `[[tsig_key]]`, `[[zone]]` with its
//! `[[zone.tlsa]]`, `[[template]]`, `[[zone_dir]]` and `[policy.NAME]`.
//!
//! Each table has its own module with its serde form and one function that checks it;
//! [`Config::parse`] only composes them. Every table rejects unknown keys, so a typo is an
//! error rather than a silently ignored setting. Relative paths are resolved against the
//! folder of the configuration file. The README's configuration section documents every key.

mod catalog;
pub mod choice;
mod dkim;
pub mod duration;
pub mod mail;
pub mod policy;
mod rrl;
mod server;
pub mod template;
mod tlsa;
mod tsig_key;
mod update;
mod zone;
mod zone_dir;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::catalog::{RawCatalog, parse_catalog};
pub use crate::config::duration::{DurationError, parse_duration};
use crate::config::policy::Policy;
pub use crate::config::policy::PolicyConfig;
pub use crate::config::server::{LogFormat, ServerConfig};
use crate::config::server::{RawServer, parse_server};
use crate::config::template::Templates;
use crate::config::tsig_key::{RawTsigKey, parse_tsig_key};
pub use crate::config::zone::{NotifyTarget, ZoneConfig};
use crate::config::zone::{RawZone, ZoneContext, ZoneNames, parse_zone};
use crate::config::zone_dir::{RawZoneDir, read_zone_dirs};
use crate::net::tsig::TsigKey;

//------------ Config --------------------------------------------------------

/// The whole configuration, validated and with paths resolved.
///
/// Not `PartialEq`: a TSIG key keeps only its ring key, which cannot be compared; compare
/// [`ServerConfig`] and each [`ZoneConfig`] instead.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// `[server]`.
    pub server: ServerConfig,
    /// Every `[[zone]]`, in file order, then the zones of every `[[zone_dir]]`.
    pub zones: Vec<ZoneConfig>,
    /// Every `[policy.NAME]`.
    pub policies: BTreeMap<String, PolicyConfig>,
    /// Every `[[tsig_key]]`.
    pub tsig_keys: Vec<TsigKey>,
    /// `[catalog]`: the catalog zone listing every zone served, as an unsigned zone whose file
    /// the daemon writes.
    pub catalog: Option<ZoneConfig>,
    /// What was skipped without failing the configuration (a file in a zone folder whose name
    /// is no domain name, a zone found twice), for the daemon to log and `daned check` to print.
    pub warnings: Vec<String>,
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
    /// The TOML is malformed, has an unknown key or a value of the wrong type or outside its
    /// choices.
    #[error("{path}: {}{message}", table.as_ref().map(|t| format!("in {t}: ")).unwrap_or_default())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The header of the table the error is in (`[policy.strict]`), when there is one.
        table: Option<String>,
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

/// A value that cannot be used, found by a table's parse function; [`Config::parse`] adds
/// the file.
#[derive(Debug)]
struct Invalid {
    /// Which key (`server.listen`, `zone "example.com": notify`).
    what: String,
    /// What is wrong.
    message: String,
}

impl Invalid {
    /// `what` is wrong because of `message`.
    fn new(what: &str, message: impl fmt::Display) -> Self {
        Self {
            what: what.to_owned(),
            message: message.to_string(),
        }
    }

    /// The error for the configuration file `path`.
    fn in_file(self, path: &Path) -> ConfigError {
        ConfigError::Invalid {
            path: path.to_owned(),
            what: self.what,
            message: self.message,
        }
    }
}

//------------ RawConfig -----------------------------------------------------

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// `[server]`.
    #[serde(default)]
    server: RawServer,
    /// `[[zone]]`, kept as tables until its template is filled in.
    #[serde(default)]
    zone: Vec<toml::Spanned<toml::Table>>,
    /// `[[template]]`.
    #[serde(default)]
    template: Vec<toml::Table>,
    /// `[[zone_dir]]`.
    #[serde(default)]
    zone_dir: Vec<RawZoneDir>,
    /// `[catalog]`.
    catalog: Option<RawCatalog>,
    /// `[policy.NAME]`.
    #[serde(default)]
    policy: BTreeMap<String, PolicyConfig>,
    /// `[[tsig_key]]`.
    #[serde(default)]
    tsig_key: Vec<RawTsigKey>,
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
            table: e.span().and_then(|span| table_header_at(text, span.start)),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        let in_file = |e: Invalid| e.in_file(path);

        let server = parse_server(&raw.server, base).map_err(in_file)?;
        let mut tsig_keys: Vec<TsigKey> = Vec::new();
        for k in &raw.tsig_key {
            let key = parse_tsig_key(k, &tsig_keys).map_err(in_file)?;
            tsig_keys.push(key);
        }
        let mut policies = BTreeMap::new();
        for (name, policy) in &raw.policy {
            let checked = Policy::from_config(name, policy)
                .map_err(|e| Invalid::new(&format!("policy.{name}"), e).in_file(path))?;
            policies.insert(name.clone(), checked);
        }
        let context = ZoneContext {
            base,
            state_dir: &server.state_dir,
            policies: &policies,
            tsig_keys: &tsig_keys,
            signings: Default::default(),
        };
        let templates = Templates::parse(&raw.template).map_err(in_file)?;
        let mut zones: Vec<ZoneConfig> = Vec::new();
        let mut names = ZoneNames::default();
        for z in &raw.zone {
            let table = templates.apply(z.get_ref()).map_err(in_file)?;
            let zone = zone_from_table(table, text, z.span().start, path)?;
            let zone = parse_zone(&zone, &names, &context).map_err(in_file)?;
            names.insert(&zone.name, zones.len());
            zones.push(zone);
        }
        let folders =
            read_zone_dirs(&raw.zone_dir, base, |t| templates.contains(t)).map_err(in_file)?;
        let mut warnings = folders.warnings;
        let listed = zones.len();
        for table in folders.tables {
            let file = table
                .get("file")
                .and_then(toml::Value::as_str)
                .unwrap_or("")
                .to_owned();
            let table = templates.apply(&table).map_err(in_file)?;
            let raw_zone: RawZone = from_table(table)
                .map_err(|e| Invalid::new(&format!("zone_dir file {file:?}"), &e).in_file(path))?;
            // A zone listed in a [[zone]] table keeps its own settings; a zone in two folders
            // is served from the first.
            if let Some(i) = raw_zone.apex().and_then(|apex| names.get(&apex)) {
                let by = if i < listed {
                    "a [[zone]] table"
                } else {
                    "an earlier file"
                };
                warnings.push(format!(
                    "{file}: zone {:?} is already configured by {by}; file skipped",
                    raw_zone.name()
                ));
                continue;
            }
            let zone = parse_zone(&raw_zone, &names, &context).map_err(in_file)?;
            names.insert(&zone.name, zones.len());
            zones.push(zone);
        }

        let catalog = raw
            .catalog
            .as_ref()
            .map(|c| parse_catalog(c, &zones, &context))
            .transpose()
            .map_err(in_file)?;

        Ok(Self {
            catalog,
            path: path.to_owned(),
            server,
            zones,
            policies: raw.policy,
            tsig_keys,
            warnings,
        })
    }
}

/// Reads one `[[zone]]` table (its template filled in) as a zone; an error names the table and
/// the line it starts on, since the merged table has no place in the file of its own.
fn zone_from_table(
    table: toml::Table,
    text: &str,
    start: usize,
    path: &Path,
) -> Result<RawZone, ConfigError> {
    let name = table
        .get("name")
        .and_then(toml::Value::as_str)
        .map(|n| format!("zone {n:?}: "))
        .unwrap_or_default();
    from_table(table).map_err(|e| {
        let line = text.get(..start).map_or(0, |t| t.lines().count()) + 1;
        ConfigError::Syntax {
            path: path.to_owned(),
            table: Some("[[zone]]".into()),
            message: format!("table at line {line}: {name}{e}"),
        }
    })
}

/// Reads a merged table (a zone with its template filled in) as `T`. The merged table has no
/// place in the file, so the error names the key's path instead (`tlsa[0].cert: ...`).
fn from_table<T: serde::de::DeserializeOwned>(table: toml::Table) -> Result<T, String> {
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().message().trim_end().to_owned();
        if path == "." {
            message
        } else {
            format!("{path}: {message}")
        }
    })
}

/// The header (`[server]`, `[[zone]]`, `[policy.strict]`) of the table that byte `offset` of
/// the configuration `text` is in, so that an error names the table as well as the line.
fn table_header_at(text: &str, offset: usize) -> Option<String> {
    let end = text
        .get(offset..)
        .and_then(|rest| rest.find('\n'))
        .map_or(text.len(), |n| offset + n);
    text.get(..end)?
        .lines()
        .map(str::trim)
        .rfind(|line| line.starts_with('['))
        .map(|line| line.split('#').next().unwrap_or(line).trim_end().to_owned())
}

//------------ Tests ---------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use zones::serial::SerialPolicy;

    const FULL: &str = r#"
[server]
listen = ["127.0.0.1:5300", "[::1]:5300"]
state_dir = "state"
udp_workers = 2
tcp_idle_timeout = "10s"
tcp_max_connections = 16
tcp_max_per_source = 4
tcp_query_timeout = "2s"
tcp_write_timeout = "30s"

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
        let tcp = c.server.tcp_limits();
        assert_eq!(tcp.max_connections, 16);
        assert_eq!(tcp.max_per_source, 4);
        assert_eq!(tcp.query_timeout, Duration::from_secs(2));
        assert_eq!(tcp.write_timeout, Duration::from_secs(30));
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
        for (text, key) in [
            ("tcp_max_per_source = 0", "server.tcp_max_per_source"),
            ("tcp_query_timeout = \"0s\"", "server.tcp_query_timeout"),
            ("tcp_write_timeout = \"soon\"", "server.tcp_write_timeout"),
        ] {
            let err =
                Config::parse(&format!("[server]\n{text}\n"), Path::new("d.toml")).unwrap_err();
            assert!(err.to_string().contains(key), "{text}: {err}");
        }
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
    fn a_config_error_names_the_table_it_is_in() {
        let err = Config::parse(
            "[server]\nudp_workers = 1\n\n[policy.strict]   # comment\nkeys = \"ksk\"\n",
            Path::new("d.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("d.toml: in [policy.strict]: TOML parse error at line 5"),
            "{err}"
        );
        assert!(
            err.contains("keys = \"ksk\" is not one of csk, ksk+zsk"),
            "{err}"
        );
    }

    #[test]
    fn a_choice_outside_its_values_names_the_key_and_the_values() {
        let zone = "[[zone]]\nname = \"a.test\"\nfile = \"a\"\n";
        for (text, message) in [
            (
                format!("{zone}serial_policy = \"weekly\"\n"),
                "serial_policy = \"weekly\" is not one of increment, unixtime, dateserial",
            ),
            (
                "[policy.p]\ndenial = \"nsec5\"\n".into(),
                "denial = \"nsec5\" is not one of nsec3, nsec",
            ),
            (
                "[policy.p]\nksk_method = \"double\"\n".into(),
                "ksk_method = \"double\" is not one of double-ksk, double-ds",
            ),
            (
                "[[tsig_key]]\nname = \"k\"\nalgorithm = \"hmac-md5\"\nsecret = \"c2VjcmV0\"\n"
                    .into(),
                "algorithm = \"hmac-md5\" is not one of hmac-sha256, hmac-sha512, hmac-sha1",
            ),
        ] {
            let err = Config::parse(&text, Path::new("d.toml")).unwrap_err();
            assert!(err.to_string().contains(message), "{text:?}: {err}");
        }
    }

    #[test]
    fn choices_are_read_in_any_case_and_reach_the_checked_config() {
        let text = "[[tsig_key]]\nname = \"k\"\nalgorithm = \"HMAC-SHA512\"\nsecret = \"c2VjcmV0\"\n\
                    [[zone]]\nname = \"a.test\"\nfile = \"a\"\nserial_policy = \"Dateserial\"\npolicy = \"p\"\n\
                    [policy.p]\nalgorithm = \"15\"\n";
        let c = Config::parse(text, Path::new("d.toml")).unwrap();
        assert_eq!(
            c.tsig_keys[0].algorithm,
            crate::net::tsig::TsigAlgorithm::HmacSha512
        );
        assert_eq!(c.zones[0].serial_policy, SerialPolicy::Dateserial);
        let signing = c.zones[0].signing.as_ref().unwrap();
        assert_eq!(signing.policy.algorithm, signer::Algorithm::ED25519);
    }

    #[test]
    fn a_name_that_does_not_parse_is_refused_with_its_key() {
        let err = Config::parse(
            "[[zone]]\nname = \"a..test\"\nfile = \"a\"\n",
            Path::new("d.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("zone \"a..test\": bad name"), "{err}");
        let err = Config::parse(
            "[[zone]]\nname = \"a.test\"\nfile = \"a\"\n[[zone.tlsa]]\nnames = [\"_25._tcp..a.test\"]\ncert = \"c.pem\"\n",
            Path::new("d.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("zone \"a.test\": tlsa: name \"_25._tcp..a.test\""),
            "{err}"
        );
    }

    #[test]
    fn a_duration_that_does_not_parse_names_its_key() {
        let zone = "[[zone]]\nname = \"a.test\"\nfile = \"a\"\n";
        let tlsa = "[[zone.tlsa]]\nnames = [\"_25._tcp.mx.a.test\"]\ncert = \"c.pem\"\n";
        for (text, key) in [
            (
                "[server]\ntcp_idle_timeout = \"10y\"\n".to_string(),
                "server.tcp_idle_timeout: \"10y\": unknown unit",
            ),
            (
                format!("{zone}ds_check_interval = \"h\"\n"),
                "zone \"a.test\": ds_check_interval: \"h\": expected a number",
            ),
            (
                format!("{zone}{tlsa}ttl = \"5q\"\n"),
                "zone \"a.test\": tlsa: ttl: \"5q\": unknown unit",
            ),
            (
                format!("{zone}{tlsa}cert_expiry_warning = \"\"\n"),
                "zone \"a.test\": tlsa: cert_expiry_warning: empty duration",
            ),
            (
                "[policy.p]\nrrsig_lifetime = \"14q\"\n".to_string(),
                "policy.p: policy p: rrsig_lifetime = \"14q\" is not a duration",
            ),
        ] {
            let err = Config::parse(&text, Path::new("d.toml")).unwrap_err();
            assert!(err.to_string().contains(key), "{text:?}: {err}");
        }
    }

    #[test]
    fn a_tlsa_ttl_beyond_the_largest_ttl_is_refused_not_wrapped() {
        let text = "[[zone]]\nname = \"a.test\"\nfile = \"a\"\n[[zone.tlsa]]\nnames = [\"_25._tcp.mx.a.test\"]\ncert = \"c.pem\"\n";
        let c = Config::parse(&format!("{text}ttl = \"5m\"\n"), Path::new("d.toml")).unwrap();
        assert_eq!(c.zones[0].tlsa[0].ttl, zones::Ttl(300));
        // 2^32 + 60 s was a one-minute TTL through `as u32`.
        let err = Config::parse(
            &format!("{text}ttl = \"4294967356\"\n"),
            Path::new("d.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("zone \"a.test\": tlsa: ttl") && err.contains("largest TTL"),
            "{err}"
        );
    }

    #[test]
    fn a_reloaded_zone_compares_equal_only_when_nothing_changed() {
        let text = |serial: &str| {
            format!("[[zone]]\nname = \"a.test\"\nfile = \"a\"\nserial_policy = \"{serial}\"\n")
        };
        let a = Config::parse(&text("increment"), Path::new("d.toml")).unwrap();
        let b = Config::parse(&text("increment"), Path::new("d.toml")).unwrap();
        let c = Config::parse(&text("unixtime"), Path::new("d.toml")).unwrap();
        assert_eq!(a.zones[0], b.zones[0]);
        assert_ne!(a.zones[0], c.zones[0]);
        assert_eq!(a.server, c.server);
    }

    #[test]
    fn the_table_header_is_found_before_an_offset() {
        let text = "a = 1\n[server]\nx = 1\n[[zone]] # first\ny = 2\n";
        assert_eq!(table_header_at(text, 0), None);
        assert_eq!(
            table_header_at(text, text.find("x =").unwrap()).as_deref(),
            Some("[server]")
        );
        assert_eq!(
            table_header_at(text, text.find("y =").unwrap()).as_deref(),
            Some("[[zone]]")
        );
        // An error at the end of the file is in the last table.
        assert_eq!(
            table_header_at(text, text.len()).as_deref(),
            Some("[[zone]]")
        );
    }
}
