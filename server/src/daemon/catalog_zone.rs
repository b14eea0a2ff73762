//! The catalog zone (RFC 9432, version 2) as a source of changes: its content is the list
//! of zones served, written to its file under `state_dir/catalog/`; the zone driver of the
//! catalog then reads that file like any zone file, so a new list is published through the
//! one publication path (serial, journal for IXFR, NOTIFY), unsigned.

use std::fmt::Write as _;
use std::path::Path;

use zones::Name;

use crate::config::ZoneConfig;

/// One member: a zone and its `group` property.
pub type Member = (Name, Option<String>);

/// The catalog zone's text for `members` (RFC 9432 4): SOA and NS (`invalid.`, never queried
/// for), `version` TXT "2", and per member a PTR under `zones` with a unique ID derived from its
/// name (stable across restarts and reloads, so a member keeps its ID: a changed ID would be a
/// "change of ownership" to the secondaries, and they would drop and re-transfer the zone),
/// and its `group` TXT when it has one.
pub fn text(catalog: &Name, members: &[Member]) -> String {
    let origin = catalog.to_ascii();
    let mut out = format!(
        "$ORIGIN {origin}\n$TTL 0\n@ SOA invalid. invalid. 1 3600 600 2147483646 0\n@ NS invalid.\nversion TXT \"2\"\n"
    );
    let mut sorted: Vec<&Member> = members.iter().collect();
    sorted.sort_by_key(|(n, _)| n.to_lowercase().to_ascii());
    for (zone, group) in sorted {
        let id = unique_id(zone);
        let _ = writeln!(out, "{id}.zones PTR {}", fqdn(zone));
        if let Some(g) = group {
            let escaped = g.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(out, "group.{id}.zones TXT \"{escaped}\"");
        }
    }
    out
}

/// The member's unique ID label: the first 64 bits of the SHA-256 of its lower-case name, in
/// hex (RFC 9432 4.1 leaves the choice to the producer).
fn unique_id(zone: &Name) -> String {
    let name = fqdn(zone).to_ascii_lowercase();
    let digest = ring::digest::digest(&ring::digest::SHA256, name.as_bytes());
    digest.as_ref()[..8]
        .iter()
        .fold(String::from("z"), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The name with its final dot.
fn fqdn(zone: &Name) -> String {
    let mut name = zone.clone();
    name.set_fqdn(true);
    name.to_ascii()
}

/// Writes the catalog of `members` to the file of `catalog` when its content differs;
/// returns whether it was written. The folder is made when missing.
pub fn write(catalog: &ZoneConfig, members: &[Member]) -> std::io::Result<bool> {
    let text = text(&catalog.name, members);
    if std::fs::read_to_string(&catalog.file).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    if let Some(dir) = catalog.file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    zones::fs::write_atomic(&catalog.file, text.as_bytes(), 0o644)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(true)
}

/// Makes sure the catalog's file exists before its zone is loaded: an empty catalog at first
/// start; the last one written otherwise, so that secondaries keep their zones while the
/// daemon loads its own.
pub fn ensure(catalog: &ZoneConfig) -> std::io::Result<()> {
    if Path::new(&catalog.file).exists() {
        return Ok(());
    }
    write(catalog, &[]).map(|_| ())
}

#[cfg(test)]
mod tests;
