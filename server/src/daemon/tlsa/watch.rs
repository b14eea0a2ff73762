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

/// Watches the folders of `files` (and of their symlink targets), calling `wake` on any event
/// that concerns one of those files by name (a log file in the same folder must not wake the
/// daemon at every line it writes).
pub fn watch(
    files: impl IntoIterator<Item = PathBuf>,
    wake: impl Fn() + Send + 'static,
) -> notify::Result<FileWatcher> {
    let mut folders = BTreeSet::new();
    let mut names = BTreeSet::new();
    for file in files {
        names.extend(file.file_name().map(ToOwned::to_owned));
        if let Some(dir) = file.parent() {
            // A bare file name (config given as `-c daned.toml`) lives in the current folder.
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            folders.insert(dir.to_path_buf());
        }
        if let Ok(target) = std::fs::canonicalize(&file) {
            names.extend(target.file_name().map(ToOwned::to_owned));
            if let Some(dir) = target.parent() {
                folders.insert(dir.to_path_buf());
            }
        }
    }
    // A folder that does not exist yet (certbot makes `live/NAME/` at the first issuance):
    // its nearest existing ancestor is watched for the folder on the way to it, and the
    // daemon, woken, watches afresh.
    let mut ancestors = BTreeSet::new();
    for dir in &folders {
        if let Some((ancestor, child)) = nearest_existing(dir) {
            names.insert(child);
            tracing::info!(folder = %dir.display(), watching = %ancestor.display(), "TLSA binding folder does not exist yet; watching for it");
            ancestors.insert(ancestor);
        }
    }
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let concerns = |e: &notify::Event| {
            e.paths.is_empty()
                || e.paths
                    .iter()
                    .any(|p| p.file_name().is_some_and(|n| names.contains(n)))
        };
        if event.is_ok_and(|e| changes_content(&e.kind) && concerns(&e)) {
            wake();
        }
    })?;
    for dir in folders.iter().chain(&ancestors) {
        watch_existing(&mut watcher, dir)?;
    }
    Ok(FileWatcher { _watcher: watcher })
}

/// For a folder that does not exist: its nearest existing ancestor and the name of the
/// ancestor's entry on the way to it. `None` when `dir` exists (or nothing above it does).
fn nearest_existing(dir: &Path) -> Option<(PathBuf, std::ffi::OsString)> {
    let mut child = dir;
    while !child.as_os_str().is_empty() && !child.is_dir() {
        let parent = child.parent()?;
        let parent_dir = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if parent_dir.is_dir() {
            return Some((parent_dir.to_path_buf(), child.file_name()?.to_owned()));
        }
        child = parent;
    }
    None
}

/// Whether an event can mean new content. Opening or reading a file cannot: the daemon's own
/// re-reads would otherwise wake it again, for ever. Closing a file written to can (the end
/// of a slow write).
fn changes_content(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode, EventKind};
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// Watches `dir` if it exists (a binding whose folder appears later is caught through its
/// ancestor, and by the periodic re-check).
fn watch_existing(watcher: &mut notify::RecommendedWatcher, dir: &Path) -> notify::Result<()> {
    if dir.is_dir() {
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
    } else {
        tracing::debug!(folder = %dir.display(), "TLSA binding folder does not exist yet; re-checked every minute");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn reading_a_watched_file_does_not_wake_but_writing_it_does() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cert.pem");
        std::fs::write(&file, "a").unwrap();
        let wakes = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&wakes);
        let _w = watch([file.clone()], move || {
            counter.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        for _ in 0..5 {
            std::fs::read(&file).unwrap();
        }
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(wakes.load(Ordering::SeqCst), 0, "reads must not wake");
        std::fs::write(&file, "b").unwrap();
        let started = std::time::Instant::now();
        while wakes.load(Ordering::SeqCst) == 0 && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(wakes.load(Ordering::SeqCst) > 0, "a write wakes");
    }

    #[test]
    fn other_files_in_the_folder_do_not_wake_but_a_rename_onto_the_file_does() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cert.pem");
        std::fs::write(&file, "a").unwrap();
        let wakes = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&wakes);
        let _w = watch([file.clone()], move || {
            counter.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        // A log file beside the certificate, written line by line.
        let log = dir.path().join("daned.log");
        for i in 0..10 {
            std::fs::write(&log, format!("line {i}\n")).unwrap();
        }
        // inotify keeps the order: once the rename has woken the watcher, every event of
        // the log writes before it has been seen too.
        let tmp = dir.path().join("cert.pem.tmp");
        std::fs::write(&tmp, "b").unwrap();
        std::fs::rename(&tmp, &file).unwrap();
        let started = std::time::Instant::now();
        while wakes.load(Ordering::SeqCst) == 0 && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(100));
        let n = wakes.load(Ordering::SeqCst);
        assert!(n > 0, "a rename onto the file wakes");
        assert!(n < 5, "{n} wakes: the log file's writes woke the watcher");
    }
}
