//! What a zone driver remembers about its own recent past, for the status socket, the metrics
//! and the timeline: when the zone last changed, how the last reload went, and which serial
//! each secondary was last seen serving. None of it steers the zone; it is only reported.

use std::net::SocketAddr;

use signer::Timestamp;

//------------ History -------------------------------------------------------

/// A zone's recent past, as the driver saw it.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// When a new version was last published.
    pub last_change: Option<Timestamp>,
    /// How the last reload of the zone file went (`None`: not reloaded since the start).
    pub last_reload: Option<ReloadOutcome>,
    /// Each secondary's serial as last seen (in `notify` order), with when it was asked.
    pub secondaries: Vec<SecondarySeen>,
}

/// How a reload of the zone file ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// The file was read (changed or not) at this time.
    Loaded(Timestamp),
    /// The file could not be used at this time; the previous version stays served.
    Failed(Timestamp, String),
}

/// One secondary as last seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecondarySeen {
    /// Its address (a `notify` target).
    pub addr: SocketAddr,
    /// The serial it served (`None`: it did not answer).
    pub serial: Option<u32>,
    /// When it was asked.
    pub at: Timestamp,
}
