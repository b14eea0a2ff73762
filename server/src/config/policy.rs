//! Signing policies: the `[policy.NAME]` tables of the configuration, checked and turned into
//! the values the signer works with.
//!
//! The key names are a public contract (operators' configs and outside tools use them):
//! `algorithm`, `keys`, `denial`, `nsec3_opt_out`, `rrsig_lifetime`, `rrsig_refresh`,
//! `dnskey_ttl`, `propagation_delay`, `zsk_lifetime`, `ksk_lifetime`, plus daned's
//! `inception_backdate` and the rollover's `parent_ds_ttl`, `parent_propagation_delay`,
//! `ds_timeout`, `secondary_timeout` and `safety_margin`.

use std::time::Duration;

use serde::Deserialize;
use signer::nsec3::Nsec3Params;
use signer::rollover::{KskMethod, Timings};
use signer::{Algorithm, Denial, KeyRole, SigningParams};
use zones::Ttl;

use crate::config::choice::{AlgorithmChoice, Choice, DenialChoice, KskMethodChoice, choice_impls};
use crate::config::duration::{DurationError, parse_duration};

/// A `[policy.NAME]` table as written. Every key is optional; missing keys take the values of
/// the built-in `default` policy.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// "ecdsap256sha256" (default), "ed25519", or "rsasha256" (imported keys only).
    pub algorithm: Option<AlgorithmChoice>,
    /// "csk" (default) or "ksk+zsk".
    pub keys: Option<KeyLayout>,
    /// "nsec3" (default) or "nsec".
    pub denial: Option<DenialChoice>,
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
    /// TTL of the zone's DS RRset at the parent ("1d"): waited after every DS change.
    pub parent_ds_ttl: Option<String>,
    /// Time for a DS change to reach every parent nameserver ("1h").
    pub parent_propagation_delay: Option<String>,
    /// Assume a DS change happened after this long without seeing it ("0": never assume).
    pub ds_timeout: Option<String>,
    /// Advance a rollover step this long after its wait even if a secondary lags ("1d").
    pub secondary_timeout: Option<String>,
    /// Added to every rollover wait ("1h").
    pub safety_margin: Option<String>,
    /// "double-ksk" (default) or "double-ds": how KSKs are replaced (RFC 7583 3.3).
    pub ksk_method: Option<KskMethodChoice>,
}

/// Which keys a zone is signed with (`keys`: "csk" or "ksk+zsk").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum KeyLayout {
    /// One combined signing key (RFC 6781 section 3.1.1 variant).
    Csk,
    /// A key signing key for DNSKEY and a zone signing key for the rest.
    KskZsk,
}

impl Choice for KeyLayout {
    const KEY: &'static str = "keys";
    const SPELLINGS: &'static [(&'static str, Self)] =
        &[("csk", Self::Csk), ("ksk+zsk", Self::KskZsk)];
}

choice_impls!(KeyLayout);

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
    /// The parent's DS TTL.
    pub parent_ds_ttl: Duration,
    /// The parent's propagation delay.
    pub parent_propagation_delay: Duration,
    /// DS change assumed after this (zero: never).
    pub ds_timeout: Duration,
    /// Lagging secondaries stop holding a step after this.
    pub secondary_timeout: Duration,
    /// Margin on every rollover wait.
    pub safety_margin: Duration,
    /// How KSKs are replaced.
    pub ksk_method: KskMethod,
}

/// Why a policy cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// A duration that does not parse.
    #[error("policy {policy}: {key} = \"{value}\" is not a duration (like 90d, 12h, 30m, 45s, 0)")]
    BadDuration {
        /// Policy name.
        policy: String,
        /// Config key.
        key: &'static str,
        /// What was written.
        value: String,
        /// Why it does not parse.
        #[source]
        error: DurationError,
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
            parent_ds_ttl: Duration::from_secs(day),
            parent_propagation_delay: Duration::from_secs(3600),
            ds_timeout: Duration::ZERO,
            secondary_timeout: Duration::from_secs(day),
            safety_margin: Duration::from_secs(3600),
            ksk_method: KskMethod::DoubleKsk,
        }
    }

    /// Checks `config` (named `name`) over the built-in defaults.
    pub fn from_config(name: &str, config: &PolicyConfig) -> Result<Self, PolicyError> {
        let mut p = Self::builtin();
        if let Some(a) = config.algorithm {
            p.algorithm = a.into();
        }
        if let Some(k) = config.keys {
            p.keys = k;
        }
        if let Some(d) = config.denial {
            p.nsec3 = d == DenialChoice::Nsec3;
        }
        if let Some(m) = config.ksk_method {
            p.ksk_method = m.into();
        }
        if let Some(o) = config.nsec3_opt_out {
            p.nsec3_opt_out = o;
        }
        let duration = |key: &'static str, value: &Option<String>, slot: &mut Duration| {
            if let Some(v) = value {
                *slot = parse_duration(v).map_err(|error| PolicyError::BadDuration {
                    policy: name.to_string(),
                    key,
                    value: v.clone(),
                    error,
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
        duration("parent_ds_ttl", &config.parent_ds_ttl, &mut p.parent_ds_ttl)?;
        duration(
            "parent_propagation_delay",
            &config.parent_propagation_delay,
            &mut p.parent_propagation_delay,
        )?;
        duration("ds_timeout", &config.ds_timeout, &mut p.ds_timeout)?;
        duration(
            "secondary_timeout",
            &config.secondary_timeout,
            &mut p.secondary_timeout,
        )?;
        duration("safety_margin", &config.safety_margin, &mut p.safety_margin)?;
        p.check(name)?;
        Ok(p)
    }

    /// Rejects timers that cannot work: a refresh window as long as the validity would
    /// re-sign forever; a key lifetime shorter than the rollover that replaces it would start
    /// the next rollover before the last one ended (the waits are the rollover's own, with
    /// the zone's largest TTL taken as at least the DNSKEY TTL; [`Policy::check_zone`] checks
    /// again with the zone's real one).
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
        self.check_lifetimes(name, self.dnskey_ttl.as_secs())?;
        if self.dnskey_ttl.as_secs() > u64::from(Ttl::MAX.0) {
            return Err(unworkable(
                "dnskey_ttl exceeds the largest TTL (RFC 2181)".into(),
            ));
        }
        Ok(())
    }

    /// Checks the key lifetimes against the rollover's waits for a zone whose largest TTL is
    /// `max_zone_ttl`.
    pub fn check_lifetimes(&self, name: &str, max_zone_ttl: u64) -> Result<(), PolicyError> {
        let t = self.timings(max_zone_ttl);
        for &role in self.keys.roles() {
            let (key, lifetime) = match role {
                KeyRole::Ksk => ("ksk_lifetime", t.ksk_lifetime),
                KeyRole::Zsk | KeyRole::Csk => ("zsk_lifetime", t.zsk_lifetime),
            };
            let needed = t.rollover_duration(role);
            if lifetime != 0 && lifetime < needed {
                let how = match role {
                    KeyRole::Zsk => {
                        "Ipub + Iret = propagation_delay + dnskey_ttl + propagation_delay \
                                     + largest zone TTL + 2 x safety_margin"
                    }
                    KeyRole::Ksk => {
                        "Ipub + 2 x (parent_propagation_delay + parent_ds_ttl) with \
                                     the safety margins"
                    }
                    KeyRole::Csk => "Ipub + the DS waits + Iret with the safety margins",
                };
                return Err(PolicyError::Unworkable {
                    policy: name.to_string(),
                    reason: format!(
                        "{key} ({lifetime}s) is shorter than a {} rollover takes: {how} = {needed}s",
                        role.as_str()
                    ),
                });
            }
        }
        Ok(())
    }

    /// The rollover's timings for a zone whose largest TTL is `max_zone_ttl`.
    pub fn timings(&self, max_zone_ttl: u64) -> Timings {
        Timings {
            dnskey_ttl: self.dnskey_ttl.as_secs(),
            max_zone_ttl: max_zone_ttl.max(self.dnskey_ttl.as_secs()),
            propagation_delay: self.propagation_delay.as_secs(),
            parent_ds_ttl: self.parent_ds_ttl.as_secs(),
            parent_propagation_delay: self.parent_propagation_delay.as_secs(),
            safety_margin: self.safety_margin.as_secs(),
            zsk_lifetime: self.zsk_lifetime.as_secs(),
            ksk_lifetime: self.ksk_lifetime.as_secs(),
            ds_timeout: self.ds_timeout.as_secs(),
            secondary_timeout: self.secondary_timeout.as_secs(),
            ksk_method: self.ksk_method,
        }
    }

    /// How much earlier than `rrsig_refresh` a signature may expire, so that a zone signed at
    /// once does not re-sign at once ever after: a quarter of the time between the refresh
    /// point and the end of validity, which keeps every fresh signature well beyond the
    /// refresh point.
    pub fn jitter_secs(&self) -> u64 {
        (self.rrsig_lifetime.as_secs() - self.rrsig_refresh.as_secs()) / 4
    }

    /// The refresh window the signer uses: `rrsig_refresh` plus half the jitter, so that one
    /// refresh run takes every signature that is nearly due, not one RRset at a time.
    pub fn refresh_window_secs(&self) -> u64 {
        self.rrsig_refresh.as_secs() + self.jitter_secs() / 2
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
            // `check` refuses a longer dnskey_ttl, so for a checked policy this is exact.
            dnskey_ttl: u32::try_from(self.dnskey_ttl.as_secs())
                .map_or(Ttl::MAX, |secs| Ttl(secs.min(Ttl::MAX.0))),
            inception_backdate_secs: self.inception_backdate.as_secs(),
            validity_secs: self.rrsig_lifetime.as_secs(),
            validity_jitter_secs: self.jitter_secs(),
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
        // Defaults: Ipub = 1h + 1h + 1h margin, Iret = 1h + 1h (largest TTL at least the
        // DNSKEY TTL) + 1h margin: a ZSK rollover takes 6h.
        let c = PolicyConfig {
            keys: Some(KeyLayout::KskZsk),
            zsk_lifetime: Some("5h".into()),
            ..Default::default()
        };
        let err = Policy::from_config("p", &c).unwrap_err().to_string();
        assert!(
            err.contains("zsk_lifetime (18000s)") && err.contains("21600s"),
            "{err}"
        );
        let c = PolicyConfig {
            zsk_lifetime: Some("6h".into()),
            keys: Some(KeyLayout::KskZsk),
            ..Default::default()
        };
        assert!(Policy::from_config("p", &c).is_ok());
        // A KSK waits for the parent's DS TTL twice (new DS in, old DS out): 3h + 2 x 26h.
        let c = PolicyConfig {
            keys: Some(KeyLayout::KskZsk),
            ksk_lifetime: Some("2d".into()),
            ..Default::default()
        };
        let err = Policy::from_config("p", &c).unwrap_err().to_string();
        assert!(
            err.contains("ksk_lifetime") && err.contains("parent_ds_ttl"),
            "{err}"
        );
    }

    #[test]
    fn unknown_values_name_the_key_and_the_choices() {
        let err = toml::from_str::<PolicyConfig>("denial = \"nsec5\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("denial") && err.contains("nsec3, nsec"),
            "{err}"
        );
        let err = toml::from_str::<PolicyConfig>("keys = \"zsk\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("keys = \"zsk\" is not one of csk, ksk+zsk"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_duration_names_the_policy_and_the_key() {
        let c = PolicyConfig {
            safety_margin: Some("1y".into()),
            ..Default::default()
        };
        let err = Policy::from_config("p", &c).unwrap_err().to_string();
        assert!(
            err.contains("policy p: safety_margin = \"1y\" is not a duration"),
            "{err}"
        );
    }

    #[test]
    fn the_spellings_of_a_table_become_the_checked_values() {
        let c: PolicyConfig = toml::from_str(
            "algorithm = \"ED25519\"\nkeys = \"ksk+zsk\"\ndenial = \"nsec\"\nksk_method = \"double-ds\"\n",
        )
        .unwrap();
        let p = Policy::from_config("p", &c).unwrap();
        assert_eq!(p.algorithm, Algorithm::ED25519);
        assert_eq!(p.keys, KeyLayout::KskZsk);
        assert!(!p.nsec3);
        assert_eq!(p.ksk_method, KskMethod::DoubleDs);
    }

    #[test]
    fn nsec_policy_gives_nsec_signing() {
        let c = PolicyConfig {
            denial: Some(DenialChoice::Nsec),
            ..Default::default()
        };
        let p = Policy::from_config("p", &c).unwrap();
        assert_eq!(p.signing_params().denial, Denial::Nsec);
    }
}
