//! A ZONE argument checked against the configuration, for the verbs that act on one zone.

use anyhow::Context;
use signer::keystore::StoredKey;

use crate::config::Config;
use crate::daemon::signing;

/// The configured zone called `zone`.
pub(crate) fn zone_name(config: &Config, zone: &str) -> anyhow::Result<zones::Name> {
    let mut name =
        zones::Name::from_ascii(zone).with_context(|| format!("bad zone name {zone:?}"))?;
    name.set_fqdn(true);
    if !config.zones.iter().any(|z| z.name == name) {
        anyhow::bail!("zone {name} is not in {}", config.path.display());
    }
    Ok(name)
}

/// The keys of a configured zone.
pub(crate) fn zone_keys(
    config: &Config,
    zone: &str,
) -> anyhow::Result<(zones::Name, Vec<StoredKey>)> {
    let name = zone_name(config, zone)?;
    let store = signing::open_store(&config.server.state_dir, &name)?;
    Ok((name.clone(), store.load_zone(&name)?))
}

/// How the configured zone `name` is signed (an error for an unsigned zone).
pub(crate) fn zone_signing<'a>(
    config: &'a Config,
    name: &zones::Name,
) -> anyhow::Result<&'a signing::ZoneSigning> {
    config
        .zones
        .iter()
        .find(|z| &z.name == name)
        .and_then(|z| z.signing.as_deref())
        .with_context(|| format!("zone {name} is not signed"))
}
