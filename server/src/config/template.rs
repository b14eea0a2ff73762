//! `[[template]]` and the `template` key of a `[[zone]]`: a template holds any `[[zone]]`
//! key, with `{zone}` standing for the zone's name in every string.
//!
//! The merge is done on TOML tables, before a zone is deserialized, so that a key added to
//! `[[zone]]` works in a template without a change here: the zone's own keys win, the
//! template's fill in the rest, and only then is the result read as a `[[zone]]`.

use std::collections::BTreeMap;

use toml::{Table, Value};

use crate::config::Invalid;

/// The placeholder replaced by the zone's name (without the final dot) in every string of a
/// template.
pub const ZONE_PLACEHOLDER: &str = "{zone}";

/// Every `[[template]]` by name, its `name` key removed.
#[derive(Debug, Default)]
pub(super) struct Templates(BTreeMap<String, Table>);

impl Templates {
    /// Checks the `[[template]]` tables: each has a `name`, given once, and no `template` key
    /// of its own (a template does not chain).
    pub(super) fn parse(raw: &[Table]) -> Result<Self, Invalid> {
        let mut out = BTreeMap::new();
        for t in raw {
            let mut t = t.clone();
            let name = match t.remove("name") {
                Some(Value::String(s)) if !s.is_empty() => s,
                _ => return Err(Invalid::new("template", "needs a name (a string)")),
            };
            let what = format!("template {name:?}");
            if t.contains_key("template") {
                return Err(Invalid::new(
                    &what,
                    "a template cannot use another template",
                ));
            }
            if out.insert(name, t).is_some() {
                return Err(Invalid::new(&what, "template listed twice"));
            }
        }
        Ok(Self(out))
    }

    /// Whether a template is called `name`.
    pub(super) fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The `[[zone]]` table `zone` with the keys of the template it names (if any) filled in,
    /// `{zone}` replaced by its name; the `template` key itself is removed.
    pub(super) fn apply(&self, zone: &Table) -> Result<Table, Invalid> {
        let mut zone = zone.clone();
        let Some(which) = zone.remove("template") else {
            return Ok(zone);
        };
        let apex = match zone.get("name") {
            Some(Value::String(s)) => s.trim_end_matches('.').to_owned(),
            _ => return Err(Invalid::new("zone", "needs a name (a string)")),
        };
        let what = format!("zone {apex:?}: template");
        let Value::String(which) = which else {
            return Err(Invalid::new(&what, "want the name of a [[template]]"));
        };
        let template = self
            .0
            .get(&which)
            .ok_or_else(|| Invalid::new(&what, format!("no [[template]] named {which:?}")))?;
        for (key, value) in template {
            if !zone.contains_key(key) {
                zone.insert(key.clone(), substitute(value, &apex));
            }
        }
        Ok(zone)
    }
}

/// `value` with every `{zone}` in its strings (at any depth) replaced by `apex`.
fn substitute(value: &Value, apex: &str) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace(ZONE_PLACEHOLDER, apex)),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, apex)).collect()),
        Value::Table(t) => Value::Table(
            t.iter()
                .map(|(k, v)| (k.clone(), substitute(v, apex)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests;
