//! The control loop's answers to the control socket's requests (`crate::control`): a status
//! read from each driver's [`ZoneStateView`], and reloads and key rolls that become events of
//! the zone's driver, like the signals they replace.

use signer::KeyRole;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use zones::Name;

use super::Control;
use crate::control::protocol::{Reply, Request};
use crate::daemon::driver::Event;
use crate::daemon::lifecycle;
use crate::daemon::loader::Loaded;
use crate::daemon::state_view::ZoneStateView;

impl Control {
    /// Answers one request from the control socket.
    pub(super) async fn answer(
        &mut self,
        request: Request,
        loaded_rx: &mut UnboundedReceiver<Loaded>,
        loaded_tx: &UnboundedSender<Loaded>,
    ) -> Reply {
        match request {
            Request::Status => {
                let now = crate::clock::now();
                Reply::Status {
                    zones: self
                        .drivers
                        .iter()
                        .map(|d| ZoneStateView::of(d, now))
                        .collect(),
                    config_error: self.config_error.clone(),
                }
            }
            Request::Reload { zone: None } => {
                tracing::info!("reload asked on the control socket");
                let changed = self.reload_logged(loaded_rx, loaded_tx).await;
                match &self.config_error {
                    Some(e) => Reply::Error {
                        message: format!(
                            "configuration not reloaded, keeping the running one: {e}"
                        ),
                    },
                    None => Reply::Done {
                        message: format!("reloaded: {changed} zone(s) changed"),
                        serial: None,
                    },
                }
            }
            Request::Reload { zone: Some(zone) } => {
                let Some(name) = self.configured(&zone) else {
                    return unknown(&zone);
                };
                tracing::info!(zone = %name, "zone reload asked on the control socket");
                self.reload_one(&name).await;
                let view = self.view(&name);
                match view.as_ref().map(|v| &v.last_reload) {
                    Some(crate::daemon::state_view::ReloadView::Failed { error, .. }) => {
                        Reply::Error {
                            message: format!("zone {name} not reloaded: {error}"),
                        }
                    }
                    _ => Reply::Done {
                        message: format!("zone {name} reloaded"),
                        serial: view.map(|v| v.serial),
                    },
                }
            }
            Request::KeysRoll { zone, role } => self.roll(&zone, &role).await,
            Request::Fault { .. } => Reply::Error {
                message: "this is daned serve, not a fixture".into(),
            },
        }
    }

    /// Starts a rollover of `zone`'s `role` key: the request is recorded where `daned keys
    /// roll` records it, and the driver acts on it at once.
    async fn roll(&mut self, zone: &str, role: &str) -> Reply {
        let Some(name) = self.configured(zone) else {
            return unknown(zone);
        };
        let Some(role) = KeyRole::from_str_opt(role) else {
            return Reply::Error {
                message: format!("{role}: use zsk, ksk or csk"),
            };
        };
        let Some(how) = self
            .drivers
            .iter()
            .find(|d| d.config().name == name)
            .and_then(|d| d.config().signing.clone())
        else {
            return Reply::Error {
                message: format!("zone {name} is not signed"),
            };
        };
        if !how.policy.keys.roles().contains(&role) {
            return Reply::Error {
                message: format!(
                    "zone {name} has no {} under policy {}",
                    role.as_str(),
                    how.policy_name
                ),
            };
        }
        if let Err(e) = lifecycle::request_roll(&how.state_dir, &name, role) {
            return Reply::Error {
                message: e.to_string(),
            };
        }
        tracing::info!(zone = %name, role = role.as_str(), "key rollover asked on the control socket");
        self.reload_one(&name).await;
        Reply::Done {
            message: format!("{} rollover of {name} started", role.as_str()),
            serial: self.view(&name).map(|v| v.serial),
        }
    }

    /// The configured zone called `zone`, if any.
    fn configured(&self, zone: &str) -> Option<Name> {
        let mut name = Name::from_ascii(zone).ok()?;
        name.set_fqdn(true);
        self.drivers
            .iter()
            .any(|d| d.config().name == name)
            .then_some(name)
    }

    /// Reloads the zone `name` (which also runs its rollover machine).
    async fn reload_one(&mut self, name: &Name) {
        let which = name.clone();
        self.step_all(move |d| d.config().name == which, |_| Event::Reload)
            .await;
    }

    /// The view of the zone `name` now.
    fn view(&self, name: &Name) -> Option<ZoneStateView> {
        self.drivers
            .iter()
            .find(|d| &d.config().name == name)
            .map(|d| ZoneStateView::of(d, crate::clock::now()))
    }
}

/// The reply to a request for a zone that is not configured.
fn unknown(zone: &str) -> Reply {
    Reply::Error {
        message: format!("zone {zone} is not configured"),
    }
}
