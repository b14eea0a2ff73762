//! Why the daemon could not start, or a zone could not be loaded.

use std::net::SocketAddr;
use std::path::PathBuf;

use zones::Name;

use crate::daemon::pipeline::PipelineError;
use crate::daemon::publish::PublishError;
use crate::daemon::signing::KeysError;
use crate::daemon::tlsa::manager::ManagedConflict;

/// Why a zone could not be loaded or given a version to serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ZoneError {
    /// The zone file did not load (the error names the file and line).
    #[error(transparent)]
    File(#[from] zones::master::LoadError),
    /// The zone file's stamp could not be read.
    #[error("{path}: {error}")]
    Stat {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    /// The zone file has records at a name daned manages.
    #[error(transparent)]
    Managed(#[from] ManagedConflict),
    /// The zone file has TXT records at a DKIM selector daned manages.
    #[error(transparent)]
    MailManaged(#[from] crate::mailrec::manager::MailConflict),
    /// The zone's keys could not be loaded or made.
    #[error(transparent)]
    Keys(#[from] KeysError),
    /// The journal or saved version could not be opened.
    #[error(transparent)]
    Versions(#[from] PipelineError),
    /// Neither the zone file nor a saved version gives a version to serve.
    #[error("no version to serve")]
    NoVersion,
    /// The UPDATE layer in `state_dir` could not be read.
    #[error("UPDATE layer: {0}")]
    Layer(#[from] crate::update::layer::LayerError),
    /// The first version could not be published.
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// Why the daemon could not start or a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DaemonError {
    /// A zone failed to load.
    #[error("zone {zone}: {error}")]
    Zone {
        /// The zone.
        zone: Name,
        /// What failed.
        #[source]
        error: Box<ZoneError>,
    },
    /// A listening socket could not be opened.
    #[error("cannot listen on {addr} ({proto}): {error}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// "udp" or "tcp".
        proto: &'static str,
        /// The error.
        error: std::io::Error,
    },
    /// A file operation failed.
    #[error("{path}: {error}")]
    File {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    /// A socket or signal handler could not be set up.
    #[error("cannot set up {what}: {error}")]
    Setup {
        /// What.
        what: &'static str,
        /// The error.
        error: std::io::Error,
    },
    /// Another daemon with this state folder is running.
    #[error("daned is already running with pid {pid} ({path})")]
    AlreadyRunning {
        /// Its pid.
        pid: i32,
        /// The pid file.
        path: PathBuf,
    },
    /// The pid file does not hold a pid.
    #[error("{0}: not a pid file")]
    BadPidFile(PathBuf),
    /// The daemon named by the pid file could not be signalled.
    #[error("cannot signal pid {pid}: {error}")]
    Signal {
        /// The pid.
        pid: i32,
        /// The error.
        error: std::io::Error,
    },
    /// The async runtime could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    /// The state folder cannot be written (read-only, not a folder, no permission).
    #[error(
        "state_dir {path} is not writable: {error} (daned keeps its journals, saved zones and keys there)"
    )]
    StateDir {
        /// The folder.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
}
