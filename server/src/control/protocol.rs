//! The control socket's protocol: the client writes one [`Request`] as one line of JSON, the
//! daemon answers one [`Reply`] as one line of JSON and closes the connection. Lines are
//! bounded ([`MAX_LINE`]) so a client cannot make the daemon buffer without end.

use serde::{Deserialize, Serialize};

use crate::daemon::state_view::ZoneStateView;

/// The longest line either side accepts (a status of many zones fits easily).
pub const MAX_LINE: usize = 16 << 20;

/// What a client asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "kebab-case")]
pub enum Request {
    /// Where every zone stands.
    Status,
    /// Reload the configuration and every zone file (`zone: None`), or one zone's file.
    Reload {
        /// The zone, as configured.
        zone: Option<String>,
    },
    /// Start a rollover of the zone's key of `role` (zsk, ksk, csk) now.
    KeysRoll {
        /// The zone.
        zone: String,
        /// The role.
        role: String,
    },
    /// A fixture: switch to this fault.
    Fault {
        /// The fault's name.
        name: String,
    },
}

/// What the daemon answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "kebab-case")]
pub enum Reply {
    /// The status of every zone, in configuration order.
    Status {
        /// The zones.
        zones: Vec<ZoneStateView>,
        /// Why the last configuration reload was refused, if it was.
        config_error: Option<String>,
    },
    /// Done; what came of it.
    Done {
        /// In words.
        message: String,
        /// The serial served afterwards, when one zone was concerned.
        serial: Option<u32>,
    },
    /// Refused or failed.
    Error {
        /// Why.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_one_json_object_naming_what_they_ask() {
        let line = serde_json::to_string(&Request::Reload {
            zone: Some("example.com".into()),
        })
        .unwrap();
        assert_eq!(line, r#"{"request":"reload","zone":"example.com"}"#);
        let back: Request = serde_json::from_str(r#"{"request":"status"}"#).unwrap();
        assert_eq!(back, Request::Status);
        let roll: Request =
            serde_json::from_str(r#"{"request":"keys-roll","zone":"a.","role":"zsk"}"#).unwrap();
        assert_eq!(
            roll,
            Request::KeysRoll {
                zone: "a.".into(),
                role: "zsk".into()
            }
        );
        assert!(serde_json::from_str::<Request>(r#"{"request":"rm -rf"}"#).is_err());
    }
}
