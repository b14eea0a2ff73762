//! The host's side of the MTA-STS probe: while a zone's new policy id waits for the policy
//! endpoint (`[zone.mta_sts] probe`), fetch the policy over HTTPS (one fetch per zone at a
//! time, at each timer tick and after a file change) and hand the id of what was served back
//! to the zone's driver as `Event::StsProbe`.

use std::collections::HashSet;

use tokio::sync::mpsc::UnboundedSender;
use zones::Name;

use crate::daemon::driver::ZoneDriver;
use crate::mailrec::mta_sts::policy::policy_id;
use crate::mailrec::mta_sts::source::Probed;

/// Starts a fetch for every zone that waits for its policy endpoint and has none running
/// (`running`); each result is sent on `results` with the zone's name.
pub fn start(
    drivers: &[ZoneDriver],
    running: &mut HashSet<Name>,
    results: &UnboundedSender<(Name, Probed)>,
) {
    for d in drivers {
        let Some(endpoint) = d.mail().and_then(|m| m.sts_probe()) else {
            continue;
        };
        let zone = d.config().name.clone();
        if !running.insert(zone.clone()) {
            continue;
        }
        let (endpoint, results) = (endpoint.clone(), results.clone());
        tokio::spawn(async move {
            let probed = endpoint
                .fetch()
                .await
                .map(|body| policy_id(&body))
                .map_err(|e| e.to_string());
            let _ = results.send((zone, probed));
        });
    }
}
