//! Keeping the catalog zone (`[catalog]`) in step with the zones served.

use super::Control;
use crate::daemon::catalog_zone::{self, Member};
use crate::daemon::driver::Event;

impl Control {
    /// Rewrites the catalog zone's file from the zones served now (a zone that failed to load
    /// is not listed: secondaries would only fail to transfer it), and when it changed, lets
    /// the catalog's driver publish it: a new serial, an IXFR in the journal, NOTIFY.
    ///
    /// Called when a start-up or a reload has loaded every zone, not per zone, so that a
    /// thousand zones added make one catalog change.
    pub(super) fn update_catalog_zone(&mut self) {
        let Some(catalog) = &self.catalog_zone else {
            return;
        };
        let members: Vec<Member> = self
            .drivers
            .iter()
            .chain(self.parked.values())
            .map(|d| d.config())
            .filter(|c| c.name != catalog.name)
            .map(|c| (c.name.clone(), c.catalog_group.clone()))
            .collect();
        match catalog_zone::write(catalog, &members) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::error!(file = %catalog.file.display(), error = %e, "cannot write the catalog zone; secondaries keep the last one");
                return;
            }
        }
        let name = catalog.name.clone();
        let names = self.names();
        let before = self.serials();
        let now = crate::clock::now();
        if let Some(d) = self.drivers.iter_mut().find(|d| d.config().name == name) {
            d.step(now, Event::Reload);
            tracing::info!(zone = %name, members = members.len(), serial = d.served().serial(), "catalog zone updated");
        }
        self.publish_catalog();
        self.notify_changed(&names, &before);
    }
}
