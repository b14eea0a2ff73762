//! Replacing a file atomically and durably: the one way daned writes its state (saved zones,
//! journal compaction, key files, key and TLSA state, fixture files).
//!
//! The data goes to a temporary file in the same folder (so that the rename stays on one file
//! system), which is given its mode, written and synced; it is then renamed over the target and
//! the folder is synced so that the rename itself survives a crash. A reader therefore sees the
//! old file or the new one, never a torn one, and after a successful return the new one is on
//! disk. Writers on several threads waiting at once share one sync of the file system instead
//! ([`group_sync`]): 10,000 zones starting together do not wait for 60,000 journal commits one
//! after the other. Private key files rely on the mode being set before any data is written:
//! they are never readable by others, not even for a moment.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub mod group_sync;

/// Numbers the temporary files of this process, so that two threads writing the same file at
/// once do not share one.
static NEXT_TEMPORARY: AtomicU64 = AtomicU64::new(0);

//------------ write_atomic --------------------------------------------------

/// Replaces `path` by a file holding `data` with permission bits `mode` (e.g. `0o600` for
/// private keys), atomically and durably (see the module documentation). The folder must
/// exist. On failure the temporary file is removed and `path` is unchanged (unless only the
/// final sync of the folder failed: the new file is then in place but may not survive a
/// crash).
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<(), WriteError> {
    write_atomic_all(&[(path, data, mode)])
}

/// [`write_atomic`] for several files of one folder: each is written under a temporary name
/// and synced, then each is renamed in order and the folder is synced once (a new key's three
/// files cost two waits for the disk, shared with writers on other threads: see
/// [`group_sync`]). Each file is replaced atomically; a failure part-way leaves the files
/// before it replaced and the rest unchanged.
pub fn write_atomic_all(files: &[(&Path, &[u8], u32)]) -> Result<(), WriteError> {
    let Some(&(first, _, _)) = files.first() else {
        return Ok(());
    };
    let dir = folder_of(first);
    let mut temporaries = Temporaries(Vec::with_capacity(files.len()));
    let mut written = Vec::with_capacity(files.len());
    for &(path, data, mode) in files {
        debug_assert_eq!(folder_of(path), dir, "one folder");
        let temporary = temporary_for(path)?;
        let file = write_new(&temporary, data, mode);
        temporaries.0.push(temporary);
        written.push(file.map_err(|(step, source)| WriteError {
            path: path.to_path_buf(),
            step,
            source,
        })?);
    }
    let folder_error = |step| {
        move |source| WriteError {
            path: dir.to_path_buf(),
            step,
            source,
        }
    };
    let folder = File::open(dir).map_err(folder_error(WriteStep::Sync))?;
    // The data first: a rename that reached the disk before its file's data could leave an
    // empty file after a crash.
    let written: Vec<&File> = written.iter().collect();
    group_sync::sync_together(&written).map_err(folder_error(WriteStep::Sync))?;
    for (i, &(path, _, _)) in files.iter().enumerate() {
        fs::rename(&temporaries.0[i], path).map_err(|source| WriteError {
            path: path.to_path_buf(),
            step: WriteStep::Rename,
            source,
        })?;
    }
    temporaries.0.clear();
    group_sync::sync_together(&[&folder]).map_err(folder_error(WriteStep::SyncFolder))
}

/// Temporary files not (yet) renamed, removed when dropped.
struct Temporaries(Vec<PathBuf>);

impl Drop for Temporaries {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = fs::remove_file(path);
        }
    }
}

/// The folder `path` is in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A temporary name beside `path`, unique in this process (a leftover of a crashed process
/// that had the same id is removed).
fn temporary_for(path: &Path) -> Result<PathBuf, WriteError> {
    let file_name = path
        .file_name()
        .ok_or_else(|| WriteError::new(path, WriteStep::Name, io::ErrorKind::InvalidInput))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(file_name);
    temporary_name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        NEXT_TEMPORARY.fetch_add(1, Ordering::Relaxed)
    ));
    let temporary = folder_of(path).join(temporary_name);
    let _ = fs::remove_file(&temporary);
    Ok(temporary)
}

/// Creates `path` (which must not exist) with `mode` and writes `data` (the caller syncs).
fn write_new(path: &Path, data: &[u8], mode: u32) -> Result<File, (WriteStep, io::Error)> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| (WriteStep::Create, e))?;
    // The umask may have cleared bits of `mode` at creation; the caller asked for exactly it.
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(|e| (WriteStep::Create, e))?;
    file.write_all(data).map_err(|e| (WriteStep::Write, e))?;
    Ok(file)
}

//------------ WriteError ----------------------------------------------------

/// Why a file could not be replaced.
#[derive(Debug, thiserror::Error)]
#[error("{}: {step}: {source}", path.display())]
pub struct WriteError {
    /// The file (the folder when its sync failed).
    pub path: PathBuf,
    /// The step that failed.
    pub step: WriteStep,
    /// The operating system's error.
    pub source: io::Error,
}

impl WriteError {
    /// An error of `kind` at `step` for `path`.
    fn new(path: &Path, step: WriteStep, kind: io::ErrorKind) -> Self {
        Self {
            path: path.to_path_buf(),
            step,
            source: io::Error::from(kind),
        }
    }
}

/// The steps of [`write_atomic`], to tell which one failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteStep {
    /// The path has no file name (it is a folder or `..`).
    #[error("not a file name")]
    Name,
    /// Creating the temporary file or setting its mode.
    #[error("creating the temporary file")]
    Create,
    /// Writing the data.
    #[error("writing")]
    Write,
    /// Syncing the temporary files' data.
    #[error("syncing")]
    Sync,
    /// Renaming it over the target.
    #[error("renaming over the file")]
    Rename,
    /// Syncing the folder after the rename.
    #[error("syncing the folder")]
    SyncFolder,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder for one test.
    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("zones-fs-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The names in `dir`.
    fn entries(dir: &Path) -> Vec<std::ffi::OsString> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect()
    }

    #[test]
    fn a_file_is_replaced_with_the_mode_asked_and_no_temporary_is_left() {
        let dir = folder("replace");
        let path = dir.join("key.private");
        fs::write(&path, b"old").unwrap();
        write_atomic(&path, b"new", 0o600).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names = entries(&dir);
        assert_eq!(names, ["key.private"]);
        write_atomic(&path, b"public", 0o644).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn several_files_of_a_folder_are_each_replaced_with_their_mode() {
        let dir = folder("several");
        let (a, b) = (dir.join("k.private"), dir.join("k.key"));
        fs::write(&b, b"old").unwrap();
        write_atomic_all(&[(&a, b"secret", 0o600), (&b, b"public", 0o644)]).unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"secret");
        assert_eq!(fs::read(&b).unwrap(), b"public");
        assert_eq!(
            fs::metadata(&a).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(&b).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(entries(&dir).len(), 2, "no temporary left");
        // The second one fails (a folder is in the way): the first is replaced, no temporary.
        let c = dir.join("in-the-way");
        fs::create_dir(&c).unwrap();
        let err = write_atomic_all(&[(&a, b"new", 0o600), (&c, b"x", 0o644)]).unwrap_err();
        assert_eq!(err.path, c);
        assert_eq!(fs::read(&a).unwrap(), b"new");
        assert_eq!(entries(&dir).len(), 3);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_folder_fails_at_creation_and_leaves_nothing() {
        let dir = folder("missing");
        let path = dir.join("absent").join("file");
        let err = write_atomic(&path, b"x", 0o644).unwrap_err();
        assert_eq!(err.step, WriteStep::Create);
        assert_eq!(err.path, path);
        assert_eq!(err.source.kind(), io::ErrorKind::NotFound);
        assert!(!dir.join("absent").exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_folder_in_the_way_fails_at_rename_and_the_temporary_is_removed() {
        let dir = folder("rename");
        let path = dir.join("taken");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("inside"), b"x").unwrap();
        let err = write_atomic(&path, b"x", 0o644).unwrap_err();
        assert_eq!(err.step, WriteStep::Rename);
        let names = entries(&dir);
        assert_eq!(names, ["taken"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn writers_on_several_threads_each_leave_a_whole_file() {
        let dir = folder("threads");
        let path = dir.join("state");
        std::thread::scope(|s| {
            for i in 0..8u8 {
                let path = &path;
                s.spawn(move || write_atomic(path, &[i; 4096], 0o644).unwrap());
            }
        });
        let data = fs::read(&path).unwrap();
        assert_eq!(data.len(), 4096);
        assert!(data.iter().all(|&b| b == data[0]));
        let names = entries(&dir);
        assert_eq!(names, ["state"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_path_without_a_file_name_is_refused() {
        let err = write_atomic(Path::new("/"), b"x", 0o644).unwrap_err();
        assert_eq!(err.step, WriteStep::Name);
    }
}
