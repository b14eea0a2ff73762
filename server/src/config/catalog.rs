//! `[catalog]`: a catalog zone (RFC 9432, version 2) listing every zone served, so that
//! secondaries that read it (Knot `catalog-role: interpret`, BIND `catalog-zones`) serve new
//! zones and drop removed ones with no change to their own configuration.
//!
//! The catalog is served as an unsigned zone like any other: its file is written by the
//! daemon under `state_dir/catalog/`, and a rewritten file reaches the secondaries through the
//! zone driver's reload (serial, journal, IXFR, NOTIFY).

use std::path::Path;

use serde::Deserialize;
use toml::{Table, Value};

use crate::config::Invalid;
use crate::config::zone::{RawZone, ZoneConfig, ZoneContext, ZoneNames, parse_zone};

/// `[catalog]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCatalog {
    /// The catalog zone's name (`catalog.invalid`).
    name: String,
    /// Who may transfer it.
    #[serde(default)]
    allow_transfer: Vec<String>,
    /// Who is notified of its changes.
    #[serde(default)]
    notify: Vec<String>,
}

/// The catalog zone's `[[zone]]`: unsigned, its file in `state_dir/catalog/`, read with the
/// same checks as any zone (so it cannot repeat a configured zone).
pub(super) fn parse_catalog(
    raw: &RawCatalog,
    zones: &[ZoneConfig],
    ctx: &ZoneContext<'_>,
) -> Result<ZoneConfig, Invalid> {
    let list = |items: &[String]| Value::Array(items.iter().cloned().map(Value::String).collect());
    let mut table = Table::new();
    table.insert("name".into(), Value::String(raw.name.clone()));
    table.insert("file".into(), Value::String("catalog".into()));
    table.insert("sign".into(), Value::Boolean(false));
    table.insert("allow_transfer".into(), list(&raw.allow_transfer));
    table.insert("notify".into(), list(&raw.notify));
    let zone: RawZone = table
        .try_into()
        .map_err(|e: toml::de::Error| Invalid::new("catalog", e.message()))?;
    let mut config = parse_zone(&zone, &ZoneNames::of(zones), ctx).map_err(|e| Invalid {
        what: format!("catalog: {}", e.what),
        message: e.message,
    })?;
    config.file = catalog_file(ctx.state_dir, &config.name);
    Ok(config)
}

/// Where the daemon writes the catalog zone named `name`.
fn catalog_file(state_dir: &Path, name: &zones::Name) -> std::path::PathBuf {
    state_dir
        .join("catalog")
        .join(format!("{}.zone", zones::file_stem(name)))
}

#[cfg(test)]
mod tests;
