//! The command line's side of the control socket: one request, one reply, bounded in time.
//! [`ask`] says [`ClientError::NotRunning`] when no daemon answers, so that the verbs can fall
//! back to a signal.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::protocol::{MAX_LINE, Reply, Request};

/// Why a request got no reply.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No daemon listens on the socket (no file, or nobody accepts).
    #[error("{path}: no daemon answers ({error})")]
    NotRunning {
        /// The socket's path.
        path: PathBuf,
        /// What connecting said.
        error: std::io::Error,
    },
    /// The exchange failed half-way (timeout, closed connection).
    #[error("{path}: {error}")]
    Io {
        /// The socket's path.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// The reply was not one the protocol knows.
    #[error("{path}: a reply that is not one: {error}")]
    BadReply {
        /// The socket's path.
        path: PathBuf,
        /// The parse error.
        error: serde_json::Error,
    },
}

/// Sends `request` to the daemon on the socket at `path` and waits up to `timeout` for its
/// reply.
pub fn ask(path: &Path, request: &Request, timeout: Duration) -> Result<Reply, ClientError> {
    let mut stream = UnixStream::connect(path).map_err(|error| ClientError::NotRunning {
        path: path.to_owned(),
        error,
    })?;
    let io = |error| ClientError::Io {
        path: path.to_owned(),
        error,
    };
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    let mut line = serde_json::to_string(request).map_err(|error| ClientError::BadReply {
        path: path.to_owned(),
        error,
    })?;
    line.push('\n');
    stream.write_all(line.as_bytes()).map_err(io)?;
    let mut reply = String::new();
    BufReader::new(stream.take(MAX_LINE as u64))
        .read_line(&mut reply)
        .map_err(io)?;
    serde_json::from_str(reply.trim_end()).map_err(|error| ClientError::BadReply {
        path: path.to_owned(),
        error,
    })
}
