//! The `[[tsig_key]]` tables: the shared secrets that sign transfers and NOTIFY (RFC 8945).

use serde::Deserialize;

use crate::config::Invalid;
use crate::config::choice::TsigAlgorithmChoice;
use crate::net::tsig::TsigKey;

//------------ RawTsigKey -----------------------------------------------------

/// `[[tsig_key]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTsigKey {
    /// Key name, as the secondaries know it.
    name: String,
    /// "hmac-sha256" (default), "hmac-sha512" or "hmac-sha1".
    #[serde(default)]
    algorithm: TsigAlgorithmChoice,
    /// The secret, base64.
    secret: String,
}

//------------ parse_tsig_key -------------------------------------------------

/// Checks one `[[tsig_key]]`; `earlier` are the keys before it in the file, whose names it
/// must not repeat.
pub(super) fn parse_tsig_key(raw: &RawTsigKey, earlier: &[TsigKey]) -> Result<TsigKey, Invalid> {
    let what = format!("tsig_key {:?}", raw.name);
    let secret = data_encoding::BASE64
        .decode(raw.secret.trim().as_bytes())
        .map_err(|e| Invalid::new(&what, format!("secret is not base64: {e}")))?;
    if secret.is_empty() {
        return Err(Invalid::new(&what, "empty secret"));
    }
    if earlier
        .iter()
        .any(|o| o.name.eq_ignore_ascii_case(raw.name.trim_end_matches('.')))
    {
        return Err(Invalid::new(&what, "key listed twice"));
    }
    TsigKey::new(&raw.name, raw.algorithm.into(), &secret)
        .ok_or_else(|| Invalid::new(&what, "bad key name"))
}
