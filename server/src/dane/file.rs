//! Reading a certificate or key file named in a `[[zone.tlsa]]` binding, without letting the
//! file block or exhaust the process.
//!
//! These paths are configured by an operator and rewritten by tools such as certbot, so they
//! may end up pointing anywhere: a FIFO would block `read` until a writer appears (stopping a
//! worker thread, `daned check` and `daned tlsa status`), and `/dev/zero` would be read until
//! memory runs out. A certificate chain or key is a few kilobytes, so [`read`] opens without
//! blocking, accepts only a regular file (after following symlinks: certbot's `live/` entries
//! are symlinks) and reads at most [`MAX_BYTES`].

use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The largest certificate or key file read: far above any real chain (a few KiB), far below
/// what could hurt the daemon.
pub const MAX_BYTES: u64 = 1 << 20;

/// Why a binding's file was not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// Opening, inspecting or reading it failed.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// It is a FIFO, device, socket or directory, not a regular file.
    #[error("{path}: is a {kind}, not a regular file (a certificate or key must be a file)")]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// It is larger than [`MAX_BYTES`].
    #[error("{path}: larger than {limit} bytes, too large for a certificate or key")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit ([`MAX_BYTES`]).
        limit: u64,
    },
}

impl FileError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. } | Self::NotRegular { path, .. } | Self::TooLarge { path, .. } => {
                path
            }
        }
    }
}

/// The contents of the certificate or key file at `path`: a regular file (symlinks followed)
/// of at most [`MAX_BYTES`]. Never blocks on a FIFO or device.
pub fn read(path: &Path) -> Result<Vec<u8>, FileError> {
    let io = |error| FileError::Io {
        path: path.to_path_buf(),
        error,
    };
    // O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting.
    // O_NOCTTY: a terminal device never becomes the controlling terminal.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(io)?;
    // fstat of what was opened (not of the path again), so a swap in between cannot matter.
    let meta = file.metadata().map_err(io)?;
    let file_type = meta.file_type();
    if !file_type.is_file() {
        let kind = if file_type.is_fifo() {
            "FIFO"
        } else if file_type.is_char_device() {
            "character device"
        } else if file_type.is_block_device() {
            "block device"
        } else if file_type.is_socket() {
            "socket"
        } else if file_type.is_dir() {
            "directory"
        } else {
            "special file"
        };
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind,
        });
    }
    let too_large = || FileError::TooLarge {
        path: path.to_path_buf(),
        limit: MAX_BYTES,
    };
    if meta.len() > MAX_BYTES {
        return Err(too_large());
    }
    // The file may grow after the fstat: read one byte past the limit to notice.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Runs `read` on another thread and fails the test if it does not return within two
    /// seconds (a blocking read would otherwise hang the test run).
    fn read_quickly(path: &Path) -> Result<Vec<u8>, FileError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let owned = path.to_path_buf();
        std::thread::spawn(move || {
            let _ = tx.send(read(&owned));
        });
        rx.recv_timeout(Duration::from_secs(2))
            .expect("reading the file blocked")
    }

    #[test]
    fn a_fifo_is_refused_at_once_without_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("cert.pem");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let started = Instant::now();
        let err = read_quickly(&fifo).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(
            matches!(err, FileError::NotRegular { kind: "FIFO", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("cert.pem"), "{err}");
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn dev_zero_and_a_symlink_to_it_are_refused_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("fullchain.pem");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        for path in [Path::new("/dev/zero"), link.as_path()] {
            let err = read_quickly(path).unwrap_err();
            assert!(
                matches!(
                    err,
                    FileError::NotRegular {
                        kind: "character device",
                        ..
                    }
                ),
                "{err}"
            );
            assert_eq!(err.path(), path);
        }
    }

    #[test]
    fn a_file_over_the_limit_is_refused_and_one_at_the_limit_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.pem");
        std::fs::write(&path, vec![b'A'; MAX_BYTES as usize + 1]).unwrap();
        let err = read(&path).unwrap_err();
        assert!(matches!(err, FileError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("big.pem"), "{err}");
        std::fs::write(&path, vec![b'A'; MAX_BYTES as usize]).unwrap();
        assert_eq!(read(&path).unwrap().len(), MAX_BYTES as usize);
    }

    #[test]
    fn a_symlink_to_a_regular_file_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("cert1.pem");
        std::fs::write(&target, b"pem").unwrap();
        let link = dir.path().join("cert.pem");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(read(&link).unwrap(), b"pem");
    }

    #[test]
    fn a_missing_file_and_a_directory_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = read(&missing).unwrap_err();
        assert!(matches!(err, FileError::Io { .. }), "{err}");
        assert!(err.to_string().contains("missing.pem"), "{err}");
        let err = read(dir.path()).unwrap_err();
        assert!(
            matches!(
                err,
                FileError::NotRegular {
                    kind: "directory",
                    ..
                }
            ),
            "{err}"
        );
    }
}
