//! The systemd service manager's notification protocol (`Type=notify`, sd_notify(3)) through
//! the `sd-notify` crate: READY=1 once every zone is served, STOPPING=1 at exit. Without
//! `NOTIFY_SOCKET` (not started by systemd) each call does nothing.

use sd_notify::NotifyState;

/// Tells the service manager that the daemon serves `zones` zones: every zone is loaded, in
/// the catalog the listeners answer from, and the listeners are bound.
pub fn ready(zones: usize) {
    let status = format!("serving {zones} zone(s)");
    if let Err(e) = sd_notify::notify(&[NotifyState::Ready, NotifyState::Status(&status)]) {
        tracing::warn!(error = %e, "cannot tell the service manager that daned is ready");
    }
}

/// Tells the service manager that the daemon is stopping.
pub fn stopping() {
    let _ = sd_notify::notify(&[NotifyState::Stopping]);
}
