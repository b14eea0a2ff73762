//! The configuration keys whose value is one word out of a fixed set (`serial_policy`,
//! `algorithm`, `denial`, `ksk_method`, a TSIG key's `algorithm`; `keys` is
//! [`KeyLayout`](crate::config::policy::KeyLayout)), read by serde into enums.
//!
//! Each enum lists its accepted spellings once ([`Choice::SPELLINGS`]); they are compared
//! without regard to ASCII case, and a value outside them is refused with a message that
//! names the key and the allowed values. The enums convert into the types the signer and the
//! server use, which know nothing of the configuration.

use serde::Deserialize;
use signer::Algorithm;
use signer::rollover::KskMethod;
use zones::serial::SerialPolicy;

use crate::net::tsig::TsigAlgorithm;

//------------ Choice ---------------------------------------------------------

/// A configuration value that is one of a fixed set of words.
pub trait Choice: Copy + PartialEq + Sized + 'static {
    /// The key it is written under, for messages.
    const KEY: &'static str;

    /// Every accepted spelling with its value; the first spelling of each value is its name.
    const SPELLINGS: &'static [(&'static str, Self)];

    /// The value `text` spells (ASCII case ignored).
    fn parse(text: &str) -> Result<Self, ChoiceError> {
        Self::SPELLINGS
            .iter()
            .find(|(spelling, _)| spelling.eq_ignore_ascii_case(text))
            .map(|&(_, value)| value)
            .ok_or_else(|| ChoiceError {
                key: Self::KEY,
                value: text.to_owned(),
                allowed: Self::names().collect(),
            })
    }

    /// The name of each value, in the order of [`Self::SPELLINGS`].
    fn names() -> impl Iterator<Item = &'static str> {
        Self::SPELLINGS
            .iter()
            .enumerate()
            .filter(|&(i, (_, value))| !Self::SPELLINGS[..i].iter().any(|(_, v)| v == value))
            .map(|(_, &(spelling, _))| spelling)
    }

    /// This value's name (its first spelling).
    fn name(self) -> &'static str {
        Self::SPELLINGS
            .iter()
            .find(|(_, value)| *value == self)
            .map_or("", |&(spelling, _)| spelling)
    }
}

/// Implements what serde (`#[serde(try_from = "String")]`), `str::parse` and `Display` need
/// from a [`Choice`].
macro_rules! choice_impls {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = $crate::config::choice::ChoiceError;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                <Self as $crate::config::choice::Choice>::parse(&text)
            }
        }

        impl std::str::FromStr for $t {
            type Err = $crate::config::choice::ChoiceError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <Self as $crate::config::choice::Choice>::parse(text)
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::config::choice::Choice::name(*self))
            }
        }
    };
}
pub(crate) use choice_impls;

//------------ ChoiceError ----------------------------------------------------

/// A value that is none of its key's choices.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key} = {value:?} is not one of {}", allowed.join(", "))]
pub struct ChoiceError {
    /// The key.
    pub key: &'static str,
    /// What was written.
    pub value: String,
    /// The names of the allowed values.
    pub allowed: Vec<&'static str>,
}

//------------ SerialPolicyChoice ---------------------------------------------

/// `serial_policy` of a `[[zone]]`: how the SOA serial moves on each change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum SerialPolicyChoice {
    /// "increment" (the default): one more than before.
    #[default]
    Increment,
    /// "unixtime": seconds since the epoch.
    Unixtime,
    /// "dateserial": YYYYMMDDnn.
    Dateserial,
}

impl Choice for SerialPolicyChoice {
    const KEY: &'static str = "serial_policy";
    const SPELLINGS: &'static [(&'static str, Self)] = &[
        ("increment", Self::Increment),
        ("unixtime", Self::Unixtime),
        ("dateserial", Self::Dateserial),
    ];
}

choice_impls!(SerialPolicyChoice);

impl From<SerialPolicyChoice> for SerialPolicy {
    fn from(choice: SerialPolicyChoice) -> Self {
        match choice {
            SerialPolicyChoice::Increment => Self::Increment,
            SerialPolicyChoice::Unixtime => Self::Unixtime,
            SerialPolicyChoice::Dateserial => Self::Dateserial,
        }
    }
}

//------------ AlgorithmChoice ------------------------------------------------

/// `algorithm` of a `[policy.NAME]` (and `daned simulate --from-algorithm`): a DNSSEC algorithm
/// by mnemonic or number (RFC 8624).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum AlgorithmChoice {
    /// "ecdsap256sha256" or "13" (the default).
    Ecdsap256Sha256,
    /// "ed25519" or "15".
    Ed25519,
    /// "rsasha256" or "8" (imported keys only: daned does not generate RSA keys).
    RsaSha256,
}

impl Choice for AlgorithmChoice {
    const KEY: &'static str = "algorithm";
    const SPELLINGS: &'static [(&'static str, Self)] = &[
        ("ecdsap256sha256", Self::Ecdsap256Sha256),
        ("13", Self::Ecdsap256Sha256),
        ("ed25519", Self::Ed25519),
        ("15", Self::Ed25519),
        ("rsasha256", Self::RsaSha256),
        ("8", Self::RsaSha256),
    ];
}

choice_impls!(AlgorithmChoice);

impl From<AlgorithmChoice> for Algorithm {
    fn from(choice: AlgorithmChoice) -> Self {
        match choice {
            AlgorithmChoice::Ecdsap256Sha256 => Self::ECDSAP256SHA256,
            AlgorithmChoice::Ed25519 => Self::ED25519,
            AlgorithmChoice::RsaSha256 => Self::RSASHA256,
        }
    }
}

//------------ DenialChoice ---------------------------------------------------

/// `denial` of a `[policy.NAME]`: how the absence of names is proved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum DenialChoice {
    /// "nsec3" (the default, RFC 5155 with the RFC 9276 parameters).
    Nsec3,
    /// "nsec" (RFC 4034 section 4).
    Nsec,
}

impl Choice for DenialChoice {
    const KEY: &'static str = "denial";
    const SPELLINGS: &'static [(&'static str, Self)] =
        &[("nsec3", Self::Nsec3), ("nsec", Self::Nsec)];
}

choice_impls!(DenialChoice);

//------------ KskMethodChoice ------------------------------------------------

/// `ksk_method` of a `[policy.NAME]`: how a key signing key is replaced (RFC 7583 3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum KskMethodChoice {
    /// "double-ksk" (the default, RFC 7583 3.3.2).
    DoubleKsk,
    /// "double-ds" (RFC 7583 3.3.3).
    DoubleDs,
}

impl Choice for KskMethodChoice {
    const KEY: &'static str = "ksk_method";
    const SPELLINGS: &'static [(&'static str, Self)] = &[
        ("double-ksk", Self::DoubleKsk),
        ("double-ds", Self::DoubleDs),
    ];
}

choice_impls!(KskMethodChoice);

impl From<KskMethodChoice> for KskMethod {
    fn from(choice: KskMethodChoice) -> Self {
        match choice {
            KskMethodChoice::DoubleKsk => Self::DoubleKsk,
            KskMethodChoice::DoubleDs => Self::DoubleDs,
        }
    }
}

//------------ TsigAlgorithmChoice --------------------------------------------

/// `algorithm` of a `[[tsig_key]]`: the MAC (RFC 8945 section 6), as BIND and Knot name it,
/// with or without the final dot of the algorithm's domain name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum TsigAlgorithmChoice {
    /// "hmac-sha256" (the default).
    #[default]
    HmacSha256,
    /// "hmac-sha512".
    HmacSha512,
    /// "hmac-sha1" (for old secondaries).
    HmacSha1,
}

impl Choice for TsigAlgorithmChoice {
    const KEY: &'static str = "algorithm";
    const SPELLINGS: &'static [(&'static str, Self)] = &[
        ("hmac-sha256", Self::HmacSha256),
        ("hmac-sha256.", Self::HmacSha256),
        ("hmac-sha512", Self::HmacSha512),
        ("hmac-sha512.", Self::HmacSha512),
        ("hmac-sha1", Self::HmacSha1),
        ("hmac-sha1.", Self::HmacSha1),
    ];
}

choice_impls!(TsigAlgorithmChoice);

impl From<TsigAlgorithmChoice> for TsigAlgorithm {
    fn from(choice: TsigAlgorithmChoice) -> Self {
        match choice {
            TsigAlgorithmChoice::HmacSha256 => Self::HmacSha256,
            TsigAlgorithmChoice::HmacSha512 => Self::HmacSha512,
            TsigAlgorithmChoice::HmacSha1 => Self::HmacSha1,
        }
    }
}

//------------ Tests ----------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// A table with one choice, as serde sees it inside the configuration.
    #[derive(Debug, Deserialize)]
    struct One<T> {
        /// The value.
        value: T,
    }

    /// `value = "<text>"` read as a `T`.
    fn read<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, String> {
        toml::from_str::<One<T>>(&format!("value = {text:?}"))
            .map(|one| one.value)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn every_spelling_accepted_before_is_accepted_in_any_case() {
        assert_eq!(read("increment"), Ok(SerialPolicyChoice::Increment));
        assert_eq!(read("unixtime"), Ok(SerialPolicyChoice::Unixtime));
        assert_eq!(read("dateserial"), Ok(SerialPolicyChoice::Dateserial));
        assert_eq!(
            read("ECDSAP256SHA256"),
            Ok(AlgorithmChoice::Ecdsap256Sha256)
        );
        assert_eq!(read("13"), Ok(AlgorithmChoice::Ecdsap256Sha256));
        assert_eq!(read("Ed25519"), Ok(AlgorithmChoice::Ed25519));
        assert_eq!(read("15"), Ok(AlgorithmChoice::Ed25519));
        assert_eq!(read("rsasha256"), Ok(AlgorithmChoice::RsaSha256));
        assert_eq!(read("8"), Ok(AlgorithmChoice::RsaSha256));
        assert_eq!(read("NSEC3"), Ok(DenialChoice::Nsec3));
        assert_eq!(read("nsec"), Ok(DenialChoice::Nsec));
        assert_eq!(read("double-ksk"), Ok(KskMethodChoice::DoubleKsk));
        assert_eq!(read("Double-DS"), Ok(KskMethodChoice::DoubleDs));
        assert_eq!(read("HMAC-SHA256"), Ok(TsigAlgorithmChoice::HmacSha256));
        assert_eq!(read("hmac-sha512."), Ok(TsigAlgorithmChoice::HmacSha512));
        assert_eq!(read("hmac-sha1"), Ok(TsigAlgorithmChoice::HmacSha1));
    }

    #[test]
    fn an_unknown_value_names_the_key_and_the_allowed_values() {
        let err = read::<SerialPolicyChoice>("weekly").unwrap_err();
        assert!(
            err.contains(
                "serial_policy = \"weekly\" is not one of increment, unixtime, dateserial"
            ),
            "{err}"
        );
        let err = read::<AlgorithmChoice>("md5").unwrap_err();
        assert!(
            err.contains("algorithm = \"md5\" is not one of ecdsap256sha256, ed25519, rsasha256"),
            "{err}"
        );
        let err = read::<KskMethodChoice>("triple").unwrap_err();
        assert!(
            err.contains("ksk_method = \"triple\" is not one of double-ksk, double-ds"),
            "{err}"
        );
        let err = read::<TsigAlgorithmChoice>("hmac-md5").unwrap_err();
        assert!(
            err.contains(
                "algorithm = \"hmac-md5\" is not one of hmac-sha256, hmac-sha512, hmac-sha1"
            ),
            "{err}"
        );
    }

    #[test]
    fn each_value_converts_to_the_type_the_server_uses() {
        assert_eq!(
            SerialPolicy::from(SerialPolicyChoice::Dateserial),
            SerialPolicy::Dateserial
        );
        assert_eq!(
            Algorithm::from(AlgorithmChoice::Ed25519),
            Algorithm::ED25519
        );
        assert_eq!(
            KskMethod::from(KskMethodChoice::DoubleDs),
            KskMethod::DoubleDs
        );
        assert_eq!(
            TsigAlgorithm::from(TsigAlgorithmChoice::HmacSha1),
            TsigAlgorithm::HmacSha1
        );
        assert_eq!(AlgorithmChoice::RsaSha256.to_string(), "rsasha256");
        assert_eq!("15".parse(), Ok(AlgorithmChoice::Ed25519));
    }
}
