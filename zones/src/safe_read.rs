//! Reading a zone file or an `$INCLUDE`d file without letting it block or exhaust the process.
//!
//! Zone file paths are configured by an operator and the files are written by other tools, so
//! a path may end up naming a FIFO (whose `read` blocks until a writer appears: a stuck
//! reload, a `daned check` that never returns), a device such as `/dev/zero` (read until
//! memory runs out) or a directory. [`read_regular`] opens without blocking (`O_NONBLOCK`,
//! so opening a FIFO returns at once), checks what was opened (after symlinks, on the open
//! file, so a swap in between cannot matter), accepts only a regular file and reads at most
//! a cap. The same approach as the certificate files' (`server/src/dane/file.rs`).

use std::fs::OpenOptions;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// The largest zone file (each `$INCLUDE`d file too) read: far above a zone of a million
/// names (about 100 MB of text), far below what would hurt the machine.
pub const MAX_ZONE_FILE_BYTES: u64 = 1 << 30;

/// The contents of the regular file at `path` (symlinks followed) of at most `limit` octets.
/// A FIFO, device, socket or directory is an [`io::ErrorKind::InvalidInput`] error saying
/// what it is; a larger file an [`io::ErrorKind::FileTooLarge`] one. Never blocks on a FIFO.
pub fn read_regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    // O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting.
    // O_NOCTTY: a terminal never becomes the controlling terminal.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    let file_type = meta.file_type();
    if !file_type.is_file() {
        let kind = if file_type.is_fifo() {
            "a FIFO"
        } else if file_type.is_char_device() {
            "a character device"
        } else if file_type.is_block_device() {
            "a block device"
        } else if file_type.is_socket() {
            "a socket"
        } else if file_type.is_dir() {
            "a directory"
        } else {
            "a special file"
        };
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("is {kind}, not a regular file (a zone file must be a file)"),
        ));
    }
    let too_large = || {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("larger than {limit} octets, the most a zone file may have"),
        )
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    // The file may grow after the fstat: read one octet past the limit to notice.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// `read_regular` on another thread; fails the test if it blocks for 2 s.
    fn read_quickly(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        let (tx, rx) = std::sync::mpsc::channel();
        let owned = path.to_path_buf();
        std::thread::spawn(move || {
            let _ = tx.send(read_regular(&owned, limit));
        });
        rx.recv_timeout(Duration::from_secs(2))
            .expect("reading the file blocked")
    }

    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn a_fifo_a_device_a_symlink_to_one_and_a_directory_are_refused_at_once() {
        let dir = std::env::temp_dir().join(format!("zones-safe-read-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("zone.fifo");
        mkfifo(&fifo);
        let link = dir.join("zero.zone");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        for (path, kind) in [
            (fifo.as_path(), "a FIFO"),
            (Path::new("/dev/zero"), "a character device"),
            (link.as_path(), "a character device"),
            (dir.as_path(), "a directory"),
        ] {
            let err = read_quickly(path, MAX_ZONE_FILE_BYTES).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{path:?}: {err}");
            assert!(err.to_string().contains(kind), "{path:?}: {err}");
        }
        let file = dir.join("ok.zone");
        std::fs::write(&file, b"0123456789").unwrap();
        assert_eq!(read_regular(&file, 10).unwrap(), b"0123456789");
        let err = read_regular(&file, 9).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge, "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
