//! Watching the certificate and key files of the TLSA bindings with `notify`.
//!
//! The folders holding the files are watched, not the files: certbot swaps symlinks in
//! `live/`, editors and ACME clients replace files by rename, and both only show as events on
//! the folder. The folders of symlink targets are watched too (certbot's `archive/`). Every
//! event just wakes the daemon, which re-reads the bindings and publishes only what changed;
//! a burst of events (a two-part write) is absorbed by a short debounce there.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use notify::{RecursiveMode, Watcher};

/// A running watcher; dropping it stops watching.
pub struct FileWatcher {
    /// The notify watcher (kept alive).
    _watcher: notify::RecommendedWatcher,
}

/// Watches the folders of `files` (and of their symlink targets), calling `wake` on any event.
pub fn watch(
    files: impl IntoIterator<Item = PathBuf>,
    wake: impl Fn() + Send + 'static,
) -> notify::Result<FileWatcher> {
    let mut folders = BTreeSet::new();
    for file in files {
        if let Some(dir) = file.parent() {
            folders.insert(dir.to_path_buf());
        }
        if let Ok(target) = std::fs::canonicalize(&file) {
            if let Some(dir) = target.parent() {
                folders.insert(dir.to_path_buf());
            }
        }
    }
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok() {
            wake();
        }
    })?;
    for dir in &folders {
        watch_existing(&mut watcher, dir)?;
    }
    Ok(FileWatcher { _watcher: watcher })
}

/// Watches `dir` if it exists (a binding whose folder appears later is caught by the periodic
/// re-check).
fn watch_existing(watcher: &mut notify::RecommendedWatcher, dir: &Path) -> notify::Result<()> {
    if dir.is_dir() {
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
    } else {
        tracing::warn!(folder = %dir.display(), "TLSA binding folder does not exist yet; re-checked every minute");
    }
    Ok(())
}
