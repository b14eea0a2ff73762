//! Counters of what happens off the query path: TCP connections, zone transfers out, NOTIFY,
//! DNS UPDATE. Each is one static atomic, bumped where the thing happens; none of these is
//! frequent enough for sharding to matter.
//!
//! They count whether or not `/metrics` is served (a relaxed add each, at most once per
//! connection, transfer or message).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// A monotonically increasing count.
#[derive(Debug)]
pub struct Count(AtomicU64);

impl Count {
    /// Zero.
    const fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// The count.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// TCP connections accepted.
pub static TCP_ACCEPTED: Count = Count::new();
/// TCP connections closed at once because every slot they could take was busy.
pub static TCP_REFUSED: Count = Count::new();
/// TCP connections open now.
static TCP_OPEN: AtomicI64 = AtomicI64::new(0);

/// A transfer out, by what was asked and how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transfer {
    /// An AXFR streamed in full.
    AxfrSent,
    /// An IXFR answered (with the changes, the SOA alone, or the whole zone).
    IxfrSent,
    /// A transfer the ACL did not allow, or over UDP, answered REFUSED.
    Refused,
    /// A transfer that broke off (the client stopped reading, the connection failed).
    Failed,
}

impl Transfer {
    /// Every kind, in exposition order, with its `type` and `result` labels.
    pub const ALL: [(Self, &'static str, &'static str); 4] = [
        (Self::AxfrSent, "AXFR", "sent"),
        (Self::IxfrSent, "IXFR", "sent"),
        (Self::Refused, "any", "refused"),
        (Self::Failed, "any", "failed"),
    ];
}

/// Transfers out, in [`Transfer::ALL`] order.
static TRANSFERS: [Count; 4] = [const { Count::new() }; 4];

/// What became of one NOTIFY to one secondary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    /// A NOTIFY message sent (every attempt counts).
    Sent,
    /// Acknowledged with NOERROR.
    Acknowledged,
    /// Acknowledged with an error RCODE, or never acknowledged after every attempt.
    Failed,
}

impl Notify {
    /// Every outcome, in exposition order, with its `result` label.
    pub const ALL: [(Self, &'static str); 3] = [
        (Self::Sent, "sent"),
        (Self::Acknowledged, "acknowledged"),
        (Self::Failed, "failed"),
    ];
}

/// NOTIFY counts, in [`Notify::ALL`] order.
static NOTIFIES: [Count; 3] = [const { Count::new() }; 3];

/// How a DNS UPDATE (RFC 2136) ended: the hook the UPDATE handler calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// Applied (or found already applied) and answered NOERROR.
    Accepted,
    /// Refused: no grant, bad TSIG, a failed prerequisite, a malformed message.
    Refused,
}

impl Update {
    /// Every outcome, in exposition order, with its `result` label.
    pub const ALL: [(Self, &'static str); 2] =
        [(Self::Accepted, "accepted"), (Self::Refused, "refused")];
}

/// UPDATE counts, in [`Update::ALL`] order.
static UPDATES: [Count; 2] = [const { Count::new() }; 2];

/// Counts a transfer out.
pub fn transfer(kind: Transfer) {
    TRANSFERS[kind as usize].inc();
}

/// Counts a NOTIFY outcome.
pub fn notify(outcome: Notify) {
    NOTIFIES[outcome as usize].inc();
}

/// Counts a DNS UPDATE outcome: `daned::metrics::update(Update::Accepted)` once per UPDATE
/// message answered.
pub fn update(outcome: Update) {
    UPDATES[outcome as usize].inc();
}

/// The transfer count of `kind`.
pub fn transfers(kind: Transfer) -> u64 {
    TRANSFERS[kind as usize].get()
}

/// The NOTIFY count of `outcome`.
pub fn notifies(outcome: Notify) -> u64 {
    NOTIFIES[outcome as usize].get()
}

/// The UPDATE count of `outcome`.
pub fn updates(outcome: Update) -> u64 {
    UPDATES[outcome as usize].get()
}

/// A TCP connection was accepted; the returned guard counts it open until dropped.
pub fn tcp_opened() -> OpenConnection {
    TCP_ACCEPTED.inc();
    TCP_OPEN.fetch_add(1, Ordering::Relaxed);
    OpenConnection(())
}

/// TCP connections open now.
pub fn tcp_open() -> i64 {
    TCP_OPEN.load(Ordering::Relaxed)
}

/// One open TCP connection (counted open while it lives).
#[derive(Debug)]
pub struct OpenConnection(());

impl Drop for OpenConnection {
    fn drop(&mut self) {
        TCP_OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}
