//! The way from the network to the zones' control loop: a verified UPDATE goes in as a
//! [`UpdateJob`] and its RCODE comes back on a oneshot channel once the change is published
//! (or refused). One inbox per process, installed by the control loop when it starts; without
//! one (the fixture), UPDATE is refused.

use arc_swap::ArcSwapOption;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::oneshot;

use super::Rcode;
use super::message::UpdateMessage;

/// A verified request for the control loop.
#[derive(Debug)]
pub struct UpdateJob {
    /// The request.
    pub message: UpdateMessage,
    /// The TSIG key that signed it.
    pub key: String,
    /// Where the RCODE goes.
    pub reply: oneshot::Sender<Rcode>,
}

/// The control loop's inbox.
static INBOX: ArcSwapOption<UnboundedSender<UpdateJob>> = ArcSwapOption::const_empty();

/// Opens the inbox (replacing any earlier one); the control loop reads the receiver.
pub fn install() -> UnboundedReceiver<UpdateJob> {
    let (tx, rx) = unbounded_channel();
    INBOX.store(Some(std::sync::Arc::new(tx)));
    rx
}

/// Hands `message` to the control loop; the receiver gets the RCODE. `None` when no control
/// loop takes updates.
pub fn submit(message: UpdateMessage, key: String) -> Option<oneshot::Receiver<Rcode>> {
    let inbox = INBOX.load_full()?;
    let (reply, rx) = oneshot::channel();
    inbox
        .send(UpdateJob {
            message,
            key,
            reply,
        })
        .ok()?;
    Some(rx)
}
