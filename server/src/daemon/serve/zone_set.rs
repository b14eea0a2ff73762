//! Which zones are served: zones arriving from the background loader, and a reload's
//! comparison of the new configuration with the zones running.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use zones::Name;

use super::{Control, acls, build_catalog, release_free_memory};
use crate::config::{Config, ZoneConfig};
use crate::daemon::driver::Event;
use crate::daemon::loader::{Loaded, Loader};

/// What a reload does with one running zone.
enum Fate {
    /// Same configuration: it re-reads its file.
    Kept,
    /// New configuration: it is loaded afresh while the old version is served.
    Reloaded(Box<ZoneConfig>),
    /// No longer configured.
    Removed,
}

impl Control {
    /// Serves `first` and whatever else the loader finishes within a moment: zones come in
    /// fast at start-up, and the catalog and ACLs are rebuilt once per batch, not per zone.
    pub(super) async fn accept_batch(
        &mut self,
        first: Loaded,
        loaded_rx: &mut UnboundedReceiver<Loaded>,
    ) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut batch = vec![first];
        while let Ok(more) = loaded_rx.try_recv() {
            batch.push(more);
        }
        self.accept(batch);
        if self.loader.as_ref().is_some_and(Loader::is_finished) && loaded_rx.is_empty() {
            self.loader = None;
            self.update_catalog_zone();
            release_free_memory();
            self.all_loaded();
        }
    }

    /// Serves what the loader gives until it is done: a reload is over (and says so) only once
    /// every zone it added is served or has failed.
    pub(super) async fn finish_loading(&mut self, loaded_rx: &mut UnboundedReceiver<Loaded>) {
        while self.loader.is_some() {
            if let Ok(Some(first)) =
                tokio::time::timeout(Duration::from_millis(100), loaded_rx.recv()).await
            {
                self.accept_batch(first, loaded_rx).await;
            } else if self.loader.as_ref().is_some_and(Loader::is_finished) && loaded_rx.is_empty()
            {
                self.loader = None;
                self.update_catalog_zone();
                self.all_loaded();
            }
        }
    }

    /// Serves the zones the loader finished (a zone that failed is logged, and an older
    /// version of it, parked during a reload, is served again).
    pub(super) fn accept(&mut self, batch: Vec<Loaded>) {
        if batch.is_empty() {
            return;
        }
        let names = self.names();
        let before = self.serials();
        // Room for exactly this batch: doubling would leave up to half of a large table of
        // drivers (ten thousand zones) unused, and a big table grows in place (mremap).
        self.drivers.reserve_exact(batch.len());
        for loaded in batch {
            match loaded {
                Ok(d) => {
                    let name = d.config().name.clone();
                    let what = if self.parked.remove(&name).is_some() {
                        "zone configuration changed, zone reloaded"
                    } else {
                        "zone served"
                    };
                    tracing::info!(event = "zone-loaded", zone = %name, serial = d.served().serial(), "{what}");
                    // The loader is only given zones not among the drivers (a zone being
                    // replaced is parked, not a driver), so this never adds a zone twice.
                    self.drivers.push(d);
                }
                Err((config, error)) => {
                    tracing::error!(
                        event = "zone-load-failed",
                        zone = %config.name,
                        file = %config.file.display(),
                        error = %error,
                        "zone not loaded; the other zones are served"
                    );
                    if let Some(d) = self.parked.remove(&config.name) {
                        tracing::warn!(zone = %config.name, "keeping the zone as it was served");
                        self.drivers.push(d);
                    }
                }
            }
        }
        self.publish_catalog();
        self.notify_changed(&names, &before);
    }

    /// Swaps in the ACLs and the catalog of the zones served now (parked ones included).
    pub(super) fn publish_catalog(&self) {
        let all = || self.drivers.iter().chain(self.parked.values());
        self.shared.acls.store(Arc::new(acls(all())));
        self.catalog.store(Arc::new(build_catalog(all())));
    }

    /// Re-reads the configuration (keeping the running one when it does not load), then
    /// every zone: a zone whose configuration is the same re-reads its file, a new zone or one
    /// whose configuration changed is loaded afresh in the background (its journal and keys
    /// continue; the old version is served until then), a removed zone stops being served
    /// (its keys and journal stay in `state_dir`). Returns how many running zones changed.
    pub(super) async fn reload(
        &mut self,
        loaded_rx: &mut UnboundedReceiver<Loaded>,
        loaded_tx: &UnboundedSender<Loaded>,
    ) -> usize {
        let Some(path) = self.config_path.clone() else {
            return self.step_all(|_| true, |_| Event::Reload).await;
        };
        let config = match Config::load(&path) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(file = %path.display(), error = %e, "configuration not reloaded, keeping the running one");
                self.config_error = Some(e.to_string());
                return self.step_all(|_| true, |_| Event::Reload).await;
            }
        };
        self.config_error = None;
        for w in &config.warnings {
            tracing::warn!(file = %path.display(), "{w}");
        }
        if config.server.listen != self.server.listen
            || config.server.state_dir != self.server.state_dir
            || config.server.udp_workers != self.server.udp_workers
            || config.server.rrl != self.server.rrl
        {
            tracing::warn!(
                "[server] listen, state_dir, udp_workers and rrl take effect at the next start"
            );
        }
        crate::net::tsig::install_keys(config.tsig_keys.clone());
        if let Some(c) = &config.catalog
            && let Err(e) = crate::daemon::catalog_zone::ensure(c)
        {
            tracing::error!(file = %c.file.display(), error = %e, "cannot write the catalog zone");
        }
        self.catalog_zone = config.catalog.clone();
        // A zone is never loaded twice at once: what is loading finishes first.
        if let Some(loader) = self.loader.take() {
            loader.stop().await;
        }
        let mut arrived = Vec::new();
        while let Ok(l) = loaded_rx.try_recv() {
            arrived.push(l);
        }
        self.accept(arrived);
        // A parked zone whose replacement the stopped loader never reached is compared anew.
        self.drivers.extend(self.parked.drain().map(|(_, d)| d));

        let names = self.names();
        let before = self.serials();
        let mut wanted: HashMap<Name, ZoneConfig> = config
            .catalog
            .iter()
            .chain(&config.zones)
            .map(|z| (z.name.clone(), z.clone()))
            .collect();
        let old = std::mem::take(&mut self.drivers);
        let mut fates = Vec::with_capacity(old.len());
        for d in &old {
            fates.push(match wanted.remove(&d.config().name) {
                Some(zc) if &zc == d.config() => Fate::Kept,
                Some(zc) => Fate::Reloaded(Box::new(zc)),
                None => Fate::Removed,
            });
        }
        let done = tokio::task::spawn_blocking(move || {
            let now = crate::clock::now();
            let (mut kept, mut parked, mut to_load) = (Vec::new(), Vec::new(), Vec::new());
            let mut changed = 0;
            for (mut d, fate) in old.into_iter().zip(fates) {
                match fate {
                    Fate::Kept => {
                        if !d.step(now, Event::Reload).is_empty() {
                            changed += 1;
                        }
                        kept.push(d);
                    }
                    Fate::Reloaded(zc) => {
                        to_load.push(*zc);
                        parked.push(d);
                    }
                    Fate::Removed => {
                        tracing::info!(event = "zone-removed", zone = %d.config().name, "zone removed from the configuration; no longer served (its keys and journal stay)");
                        d.served().flush(true);
                        changed += 1;
                    }
                }
            }
            (kept, parked, to_load, changed)
        })
        .await;
        let Ok((kept, parked, mut to_load, changed)) = done else {
            tracing::error!("reload task failed; exiting");
            std::process::exit(70);
        };
        self.drivers = kept;
        self.parked = parked
            .into_iter()
            .map(|d| (d.config().name.clone(), d))
            .collect();
        // New zones, in configuration order.
        let order: HashMap<&Name, usize> = config
            .zones
            .iter()
            .enumerate()
            .map(|(i, z)| (&z.name, i))
            .collect();
        let mut new: Vec<ZoneConfig> = wanted.into_values().collect();
        new.sort_by_key(|z| order.get(&z.name).copied());
        to_load.extend(new);
        if !to_load.is_empty() {
            tracing::info!(zones = to_load.len(), "loading new and changed zones");
            let dir = self.server.state_dir.clone();
            self.loader = Some(Loader::start(to_load, dir, loaded_tx.clone()));
        }
        self.server = config.server;
        self.publish_catalog();
        release_free_memory();
        self.notify_changed(&names, &before);
        changed
    }
}
