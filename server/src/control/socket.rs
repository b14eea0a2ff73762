//! The daemon's side of the control socket: it binds `daned.sock` (mode 0600), reads one
//! request line per connection, hands it to the control loop through a channel and writes the
//! loop's reply back. The loop does the work, so a request is handled between two events,
//! exactly like a signal, and never edits a zone itself.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

use super::protocol::{MAX_LINE, Reply, Request};

/// How long a client has to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A request from a client and where its reply goes.
pub type Pending = (Request, oneshot::Sender<Reply>);

/// Why the socket could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SocketError {
    /// A live daemon already answers on the socket.
    #[error("{0}: another daemon answers on this control socket")]
    InUse(PathBuf),
    /// Binding or setting the mode failed.
    #[error("{path}: {error}")]
    Io {
        /// The socket's path.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
}

/// The bound socket; the file is removed when it is dropped.
pub struct ControlSocket {
    /// Its path.
    path: PathBuf,
    /// The listener (taken by [`ControlSocket::serve`]).
    listener: Option<UnixListener>,
}

impl ControlSocket {
    /// Binds `path` with mode 0600 (inside the runtime). A stale file left by a daemon that
    /// died is replaced; one a live daemon answers on is not.
    pub fn bind(path: &Path) -> Result<Self, SocketError> {
        let io = |error| SocketError::Io {
            path: path.to_owned(),
            error,
        };
        if path.exists() {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(SocketError::InUse(path.to_owned()));
            }
            std::fs::remove_file(path).map_err(io)?;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let listener = UnixListener::bind(path).map_err(io)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        Ok(Self {
            path: path.to_owned(),
            listener: Some(listener),
        })
    }

    /// Accepts connections for as long as the runtime runs, sending each request to `to`.
    pub fn serve(&mut self, to: mpsc::UnboundedSender<Pending>) {
        let Some(listener) = self.listener.take() else {
            return;
        };
        tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(handle(stream, to.clone()));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "control socket: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        });
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// One connection: one request line in, one reply line out.
async fn handle(stream: UnixStream, to: mpsc::UnboundedSender<Pending>) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(read.take(MAX_LINE as u64));
    let reply = match tokio::time::timeout(READ_TIMEOUT, reader.read_line(&mut line)).await {
        Ok(Ok(n)) if n > 0 => match serde_json::from_str::<Request>(line.trim_end()) {
            Ok(request) => {
                let (tx, rx) = oneshot::channel();
                if to.send((request, tx)).is_err() {
                    return;
                }
                match rx.await {
                    Ok(reply) => reply,
                    Err(_) => return,
                }
            }
            Err(e) => Reply::Error {
                message: format!("not a request: {e}"),
            },
        },
        _ => return,
    };
    let Ok(mut text) = serde_json::to_string(&reply) else {
        return;
    };
    text.push('\n');
    let _ = write.write_all(text.as_bytes()).await;
    let _ = write.shutdown().await;
}
