//! `[[zone_dir]]`: a folder whose every `NAME.zone` file is served as zone NAME, with the
//! keys of a template. The folder is read when the configuration is, so a file added or
//! removed is picked up by a reload like any change to the configuration.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::{Table, Value};

use crate::config::Invalid;

/// The suffix of the files a zone folder serves.
const ZONE_SUFFIX: &str = ".zone";

/// `[[zone_dir]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawZoneDir {
    /// The folder.
    path: PathBuf,
    /// The `[[template]]` its zones use.
    template: Option<String>,
}

/// What reading the zone folders gave.
#[derive(Debug, Default)]
pub(super) struct FolderZones {
    /// One `[[zone]]` table per zone file: `name`, `file` and (when set) `template`.
    pub tables: Vec<Table>,
    /// Files skipped, and why (a name that is no domain name).
    pub warnings: Vec<String>,
}

/// Lists the zone files of every `[[zone_dir]]` (paths relative to `base`), in name order
/// within each folder, as `[[zone]]` tables. A folder that cannot be read is an error: serving
/// none of its zones silently would look like they were all removed.
pub(super) fn read_zone_dirs(
    dirs: &[RawZoneDir],
    base: &Path,
    template_exists: impl Fn(&str) -> bool,
) -> Result<FolderZones, Invalid> {
    let mut out = FolderZones::default();
    for dir in dirs {
        let path = base.join(&dir.path);
        let what = format!("zone_dir {:?}", dir.path.display().to_string());
        if let Some(t) = &dir.template
            && !template_exists(t)
        {
            return Err(Invalid::new(&what, format!("no [[template]] named {t:?}")));
        }
        let entries = std::fs::read_dir(&path)
            .map_err(|e| Invalid::new(&what, format!("{}: {e}", path.display())))?;
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        for entry in entries {
            let entry =
                entry.map_err(|e| Invalid::new(&what, format!("{}: {e}", path.display())))?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                out.warnings.push(format!(
                    "{}: file name is not UTF-8; skipped",
                    entry.path().display()
                ));
                continue;
            };
            let Some(zone) = file_name.strip_suffix(ZONE_SUFFIX) else {
                continue;
            };
            // Editors' and rsync's temporary files are not zones.
            if zone.is_empty() || zone.starts_with('.') {
                continue;
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if zones::Name::from_ascii(zone).is_err() {
                out.warnings.push(format!(
                    "{}: {zone:?} is not a domain name; skipped",
                    entry.path().display()
                ));
                continue;
            }
            // Relative to the configuration's folder, as a `file` key is.
            files.push((zone.to_owned(), dir.path.join(file_name)));
        }
        files.sort();
        for (zone, file) in files {
            let mut table = Table::new();
            table.insert("name".into(), Value::String(zone));
            table.insert(
                "file".into(),
                Value::String(file.to_string_lossy().into_owned()),
            );
            if let Some(t) = &dir.template {
                table.insert("template".into(), Value::String(t.clone()));
            }
            out.tables.push(table);
        }
    }
    Ok(out)
}
