//! Signing policies: the `[policy.NAME]` tables of the configuration, checked and turned into
//! the values the signer works with.
//!
//! The key names are a public contract (operators' configs and outside tools use them):
//! `algorithm`, `keys`, `denial`, `nsec3_opt_out`, `rrsig_lifetime`, `rrsig_refresh`,
//! `dnskey_ttl`, `propagation_delay`, `zsk_lifetime`, `ksk_lifetime`, plus daned's
//! `inception_backdate`.

use std::time::Duration;

use serde::Deserialize;
use signer::nsec3::Nsec3Params;
use signer::{Algorithm, Denial, KeyRole, SigningParams};
use zones::Ttl;

/// A `[policy.NAME]` table as written. Every key is optional; missing keys take the values of
/// the built-in `default` policy.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// "ecdsap256sha256" (default), "ed25519", or "rsasha256" (imported keys only).
    pub algorithm: Option<String>,
    /// "csk" (default) or "ksk+zsk".
    pub keys: Option<String>,
    /// "nsec3" (default) or "nsec".
    pub denial: Option<String>,
    /// NSEC3 opt-out (RFC 5155 section 6); off by default as RFC 9276 recommends.
    pub nsec3_opt_out: Option<bool>,
    /// How long signatures are valid ("14d").
    pub rrsig_lifetime: Option<String>,
    /// Re-sign when less than this validity is left ("7d").
    pub rrsig_refresh: Option<String>,
    /// TTL of DNSKEY, CDS and CDNSKEY ("1h").
    pub dnskey_ttl: Option<String>,
    /// Time for a change to reach every secondary ("1h").
    pub propagation_delay: Option<String>,
    /// ZSK (or CSK) lifetime; "0" never rolls ("90d").
    pub zsk_lifetime: Option<String>,
    /// KSK lifetime; "0" never rolls ("0").
    pub ksk_lifetime: Option<String>,
    /// How far signature inception is put in the past, for validators with slow clocks ("1h").
    pub inception_backdate: Option<String>,
}

/// Which keys a zone is signed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyLayout {
    /// One combined signing key (RFC 6781 section 3.1.1 variant).
    Csk,
    /// A key signing key for DNSKEY and a zone signing key for the rest.
    KskZsk,
}

impl KeyLayout {
    /// The roles a zone needs under this layout.
    pub fn roles(self) -> &'static [KeyRole] {
        match self {
            Self::Csk => &[KeyRole::Csk],
            Self::KskZsk => &[KeyRole::Ksk, KeyRole::Zsk],
        }
    }
}

/// A checked policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Algorithm of generated keys.
    pub algorithm: Algorithm,
    /// Key layout.
    pub keys: KeyLayout,
    /// True for NSEC3, false for NSEC.
    pub nsec3: bool,
    /// NSEC3 opt-out.
    pub nsec3_opt_out: bool,
    /// Signature validity.
    pub rrsig_lifetime: Duration,
    /// Refresh when less than this is left.
    pub rrsig_refresh: Duration,
    /// DNSKEY TTL.
    pub dnskey_ttl: Duration,
    /// Propagation delay to secondaries.
    pub propagation_delay: Duration,
    /// ZSK/CSK lifetime (zero: never).
    pub zsk_lifetime: Duration,
    /// KSK lifetime (zero: never).
    pub ksk_lifetime: Duration,
    /// Inception backdating.
    pub inception_backdate: Duration,
}

/// Why a policy cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// A key has a value outside its allowed set.
    #[error("policy {policy}: {key} = \"{value}\" is not one of {allowed}")]
    BadValue {
        /// Policy name.
        policy: String,
        /// Config key.
        key: &'static str,
        /// What was written.
        value: String,
        /// What is accepted.
        allowed: &'static str,
    },
    /// A duration that does not parse.
    #[error("policy {policy}: {key} = \"{value}\" is not a duration (like 90d, 12h, 30m, 45s, 0)")]
    BadDuration {
        /// Policy name.
        policy: String,
        /// Config key.
        key: &'static str,
        /// What was written.
        value: String,
    },
    /// Timers that cannot work together.
    #[error("policy {policy}: {reason}")]
    Unworkable {
        /// Policy name.
        policy: String,
        /// Why, in words an operator can act on.
        reason: String,
    },
}

/// Parses a duration ("90d", "1h30m", "0", plain seconds) the way the whole config does.
fn parse_duration(text: &str) -> Option<Duration> {
    crate::config::parse_duration(text).ok()
}

impl Policy {
    /// The built-in `default` policy.
    pub fn builtin() -> Self {
        let day = 86400;
        Self {
            algorithm: Algorithm::ECDSAP256SHA256,
            keys: KeyLayout::Csk,
            nsec3: true,
            nsec3_opt_out: false,
            rrsig_lifetime: Duration::from_secs(14 * day),
            rrsig_refresh: Duration::from_secs(7 * day),
            dnskey_ttl: Duration::from_secs(3600),
            propagation_delay: Duration::from_secs(3600),
            zsk_lifetime: Duration::from_secs(90 * day),
            ksk_lifetime: Duration::ZERO,
            inception_backdate: Duration::from_secs(3600),
        }
    }

    /// Checks `config` (named `name`) over the built-in defaults.
    pub fn from_config(name: &str, config: &PolicyConfig) -> Result<Self, PolicyError> {
        let mut p = Self::builtin();
        let bad = |key: &'static str, value: &str, allowed: &'static str| PolicyError::BadValue {
            policy: name.to_string(),
            key,
            value: value.to_string(),
            allowed,
        };
        if let Some(a) = &config.algorithm {
            p.algorithm = match a.to_ascii_lowercase().as_str() {
                "ecdsap256sha256" | "13" => Algorithm::ECDSAP256SHA256,
                "ed25519" | "15" => Algorithm::ED25519,
                "rsasha256" | "8" => Algorithm::RSASHA256,
                _ => return Err(bad("algorithm", a, "ecdsap256sha256, ed25519, rsasha256")),
            };
        }
        if let Some(k) = &config.keys {
            p.keys = match k.to_ascii_lowercase().as_str() {
                "csk" => KeyLayout::Csk,
                "ksk+zsk" => KeyLayout::KskZsk,
                _ => return Err(bad("keys", k, "csk, ksk+zsk")),
            };
        }
        if let Some(d) = &config.denial {
            p.nsec3 = match d.to_ascii_lowercase().as_str() {
                "nsec3" => true,
                "nsec" => false,
                _ => return Err(bad("denial", d, "nsec3, nsec")),
            };
        }
        if let Some(o) = config.nsec3_opt_out {
            p.nsec3_opt_out = o;
        }
        let duration = |key: &'static str, value: &Option<String>, slot: &mut Duration| {
            if let Some(v) = value {
                *slot = parse_duration(v).ok_or_else(|| PolicyError::BadDuration {
                    policy: name.to_string(),
                    key,
                    value: v.clone(),
                })?;
            }
            Ok::<(), PolicyError>(())
        };
        duration(
            "rrsig_lifetime",
            &config.rrsig_lifetime,
            &mut p.rrsig_lifetime,
        )?;
        duration("rrsig_refresh", &config.rrsig_refresh, &mut p.rrsig_refresh)?;
        duration("dnskey_ttl", &config.dnskey_ttl, &mut p.dnskey_ttl)?;
        duration(
            "propagation_delay",
            &config.propagation_delay,
            &mut p.propagation_delay,
        )?;
        duration("zsk_lifetime", &config.zsk_lifetime, &mut p.zsk_lifetime)?;
        duration("ksk_lifetime", &config.ksk_lifetime, &mut p.ksk_lifetime)?;
        duration(
            "inception_backdate",
            &config.inception_backdate,
            &mut p.inception_backdate,
        )?;
        p.check(name)?;
        Ok(p)
    }

    /// Rejects timers that cannot work: a refresh window as long as the validity would
    /// re-sign forever; a key lifetime shorter than the signatures it makes would retire keys
    /// whose signatures are still in caches.
    fn check(&self, name: &str) -> Result<(), PolicyError> {
        let unworkable = |reason: String| PolicyError::Unworkable {
            policy: name.to_string(),
            reason,
        };
        if self.rrsig_lifetime.is_zero() {
            return Err(unworkable("rrsig_lifetime must be more than 0".into()));
        }
        if self.rrsig_refresh >= self.rrsig_lifetime {
            return Err(unworkable(format!(
                "rrsig_refresh ({}s) must be shorter than rrsig_lifetime ({}s), or every \
                 signature would be refreshed as soon as it is made",
                self.rrsig_refresh.as_secs(),
                self.rrsig_lifetime.as_secs()
            )));
        }
        for (key, lifetime) in [
            ("zsk_lifetime", self.zsk_lifetime),
            ("ksk_lifetime", self.ksk_lifetime),
        ] {
            let needed = self.rrsig_lifetime + self.dnskey_ttl + 2 * self.propagation_delay;
            if !lifetime.is_zero() && lifetime < needed {
                return Err(unworkable(format!(
                    "{key} ({}s) is shorter than a rollover needs: rrsig_lifetime + dnskey_ttl + \
                     2 x propagation_delay = {}s",
                    lifetime.as_secs(),
                    needed.as_secs()
                )));
            }
        }
        if self.dnskey_ttl.as_secs() > u64::from(Ttl::MAX.0) {
            return Err(unworkable(
                "dnskey_ttl exceeds the largest TTL (RFC 2181)".into(),
            ));
        }
        Ok(())
    }

    /// The signer's parameters for this policy.
    pub fn signing_params(&self) -> SigningParams {
        let denial = if self.nsec3 {
            Denial::Nsec3(Nsec3Params {
                opt_out: self.nsec3_opt_out,
                ..Nsec3Params::default()
            })
        } else {
            Denial::Nsec
        };
        SigningParams {
            denial,
            dnskey_ttl: Ttl(self.dnskey_ttl.as_secs() as u32),
            inception_backdate_secs: self.inception_backdate.as_secs(),
            validity_secs: self.rrsig_lifetime.as_secs(),
            ..SigningParams::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_is_the_builtin_default() {
        assert_eq!(
            Policy::from_config("default", &PolicyConfig::default()),
            Ok(Policy::builtin())
        );
    }

    #[test]
    fn refresh_not_shorter_than_lifetime_is_refused_with_the_reason() {
        let c = PolicyConfig {
            rrsig_lifetime: Some("7d".into()),
            rrsig_refresh: Some("7d".into()),
            ..Default::default()
        };
        let err = Policy::from_config("p", &c).unwrap_err();
        assert!(err.to_string().contains("rrsig_refresh"), "{err}");
    }

    #[test]
    fn a_key_lifetime_shorter_than_a_rollover_is_refused() {
        let c = PolicyConfig {
            zsk_lifetime: Some("3d".into()),
            ..Default::default()
        };
        assert!(matches!(
            Policy::from_config("p", &c),
            Err(PolicyError::Unworkable { .. })
        ));
    }

    #[test]
    fn unknown_values_name_the_key_and_the_choices() {
        let c = PolicyConfig {
            denial: Some("nsec5".into()),
            ..Default::default()
        };
        let err = Policy::from_config("p", &c).unwrap_err().to_string();
        assert!(
            err.contains("denial") && err.contains("nsec3, nsec"),
            "{err}"
        );
    }

    #[test]
    fn nsec_policy_gives_nsec_signing() {
        let c = PolicyConfig {
            denial: Some("nsec".into()),
            ..Default::default()
        };
        let p = Policy::from_config("p", &c).unwrap();
        assert_eq!(p.signing_params().denial, Denial::Nsec);
    }
}
