//! The state folder's first check: daned keeps journals, saved zones and keys there, and a
//! folder it cannot write to (a read-only mount, wrong ownership) would otherwise surface as a
//! journal error per zone, or later as every change refused. So `daned serve` writes, syncs
//! and removes a probe file there before loading any zone, and stops with one clear error.

use std::io::Write;
use std::path::Path;

use crate::daemon::DaemonError;

/// Checks that `dir` exists (creating it) and takes a synced write.
pub fn check_writable(dir: &Path) -> Result<(), DaemonError> {
    let err = |error| DaemonError::StateDir {
        path: dir.to_path_buf(),
        error,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let probe = dir.join(format!(".daned-write-probe-{}", std::process::id()));
    let written = std::fs::File::create(&probe)
        .and_then(|mut f| f.write_all(b"daned").and_then(|()| f.sync_all()));
    let _ = std::fs::remove_file(&probe);
    written.map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writable_folder_passes_and_leaves_nothing_and_a_file_in_the_way_fails() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        check_writable(&state).unwrap();
        assert_eq!(std::fs::read_dir(&state).unwrap().count(), 0);
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let err = check_writable(&file).unwrap_err();
        assert!(err.to_string().contains("state_dir"), "{err}");
        assert!(err.to_string().contains("file"), "{err}");
    }
}
