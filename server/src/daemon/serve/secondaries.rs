//! The secondaries' serials as last seen, for status and metrics: after a zone changes, each
//! of its `notify` targets is asked for its SOA serial at every tick until all serve the
//! current one. The queries run as tasks (a secondary that does not answer never holds up the
//! control loop), one round per zone at a time; the results come back as the driver's
//! [`Event::SecondarySerials`](crate::daemon::driver::Event::SecondarySerials).

use std::collections::HashSet;
use std::net::SocketAddr;

use tokio::sync::mpsc::UnboundedSender;
use zones::Name;

use crate::daemon::driver::ZoneDriver;
use crate::daemon::observe;

/// What one round saw: the zone and each target's serial.
pub(super) type Round = (Name, Vec<(SocketAddr, Option<u32>)>);

/// The rounds under way.
#[derive(Default)]
pub(super) struct SecondaryPoll {
    /// Zones being asked about.
    running: HashSet<Name>,
}

impl SecondaryPoll {
    /// Starts a round for every zone whose secondaries were not all seen at its serial.
    pub(super) fn start_due(&mut self, drivers: &[ZoneDriver], results: &UnboundedSender<Round>) {
        for d in drivers {
            let config = d.config();
            if config.notify.is_empty() || self.running.contains(&config.name) {
                continue;
            }
            let serial = d.served().serial();
            let seen = &d.history().secondaries;
            let current =
                seen.len() == config.notify.len() && seen.iter().all(|s| s.serial == Some(serial));
            if current {
                continue;
            }
            self.running.insert(config.name.clone());
            let zone = config.name.clone();
            let targets: Vec<SocketAddr> = config.notify.iter().map(|t| t.addr).collect();
            let results = results.clone();
            tokio::spawn(async move {
                let mut seen = Vec::with_capacity(targets.len());
                for addr in targets {
                    seen.push((addr, observe::soa_serial(addr, &zone).await));
                }
                let _ = results.send((zone, seen));
            });
        }
    }

    /// Notes that the round for `zone` finished.
    pub(super) fn done(&mut self, zone: &Name) {
        self.running.remove(zone);
    }
}
