//! Hosting a catalog of zones on the network: the async runtime, the UDP workers and TCP
//! listeners of every address, the pid file, and the signals. `daned serve` and
//! `daned fixture` both run on this.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::signal::unix::{Signal, SignalKind, signal};
use zones::snapshot::Catalog;

use crate::daemon::error::DaemonError;
use crate::net::acl::TransferAcls;
use crate::net::tcp::{self, TcpShared};
use crate::net::tcp_pool::{ConnectionPool, TcpLimits};
use crate::net::udp::UdpServer;

/// The pid file's name inside `state_dir`.
pub const PID_FILE: &str = "daned.pid";

//------------ Host ----------------------------------------------------------

/// What a host listens with, and how.
#[derive(Clone, Debug)]
pub struct HostOptions {
    /// Addresses to serve UDP and TCP on.
    pub listen: Vec<SocketAddr>,
    /// UDP worker threads per address; 0: one per core.
    pub udp_workers: usize,
    /// TCP connection limits and timeouts.
    pub tcp: TcpLimits,
    /// Response rate limiting of the UDP answers (one table for every address); `None`: off.
    pub rrl: Option<crate::net::rrl::Settings>,
    /// Carry on when some (not all) addresses cannot be bound (the demo: no IPv6).
    pub tolerate_bind_failures: bool,
    /// The pid file to write (and remove on exit), refusing to start while a live daemon
    /// owns it.
    pub pid_file: Option<PathBuf>,
}

/// Bound listeners and the runtime that serves them; the UDP workers and the pid file go
/// away when it is dropped.
pub struct Host {
    /// The runtime the TCP listeners and the control loop run on.
    runtime: Option<tokio::runtime::Runtime>,
    /// The UDP workers.
    udp: Vec<UdpServer>,
    /// TCP listeners not yet handed to the runtime.
    tcp: Vec<std::net::TcpListener>,
    /// The addresses bound, UDP and TCP alike.
    pub addrs: Vec<SocketAddr>,
    /// What TCP connections share; its ACLs are swapped on reload.
    pub shared: Arc<TcpShared>,
    /// The pid file written.
    pid_file: Option<PathBuf>,
}

impl Host {
    /// Binds every address (so that a failure exits before anything is announced) and
    /// writes the pid file. TCP takes the port UDP was given (which matters for port 0).
    pub fn bind(
        options: &HostOptions,
        catalog: Arc<ArcSwap<Catalog>>,
        acls: TransferAcls,
    ) -> Result<Self, DaemonError> {
        let workers = match options.udp_workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(DaemonError::Runtime)?;
        // A second daemon must not start: SO_REUSEPORT would let it share the UDP sockets.
        if let Some(path) = &options.pid_file {
            check_not_running(path)?;
        }
        let mut host = Self {
            runtime: Some(runtime),
            udp: Vec::new(),
            tcp: Vec::new(),
            addrs: Vec::new(),
            shared: Arc::new(TcpShared {
                catalog: Arc::clone(&catalog),
                acls: ArcSwap::from_pointee(acls),
                limits: options.tcp,
                pool: Arc::new(ConnectionPool::new(
                    options.tcp.max_connections,
                    options.tcp.max_per_source,
                )),
                respond: crate::metrics::respond,
            }),
            pid_file: None,
        };
        let mut last_error = None;
        let rrl = options
            .rrl
            .clone()
            .map(|s| Arc::new(crate::net::rrl::Rrl::new(s)));
        if let Some(rrl) = &rrl {
            let s = rrl.settings();
            tracing::info!(
                rate = s.rate,
                slip = s.slip,
                window_s = s.window,
                log_only = s.mode == crate::net::rrl::Mode::LogOnly,
                "response rate limiting on UDP"
            );
        }
        for &addr in &options.listen {
            match crate::net::bind_dns(addr, workers, Arc::clone(&catalog), rrl.clone()) {
                Ok((u, t)) => {
                    tracing::info!(addr = %u.local_addr, udp_workers = workers, "listening (UDP and TCP)");
                    host.addrs.push(u.local_addr);
                    host.udp.push(u);
                    host.tcp.push(t);
                }
                Err((proto, error)) => {
                    let e = DaemonError::Bind { addr, proto, error };
                    if !options.tolerate_bind_failures {
                        return Err(e);
                    }
                    tracing::warn!("{e}");
                    last_error = Some(e);
                }
            }
        }
        if host.udp.is_empty()
            && let Some(e) = last_error
        {
            return Err(e);
        }
        if let Some(path) = &options.pid_file {
            write_pid_file(path)?;
            host.pid_file = Some(path.clone());
        }
        Ok(host)
    }

    /// Runs `control` on the runtime after starting the TCP listeners; returns its result
    /// once it ends (SIGTERM/SIGINT in the callers), then stops everything.
    pub fn run<F, T>(mut self, control: F) -> Result<T, DaemonError>
    where
        F: Future<Output = Result<T, DaemonError>>,
    {
        let runtime = self.runtime.take().ok_or(DaemonError::Setup {
            what: "the runtime",
            error: std::io::Error::other("already run"),
        })?;
        let listeners = std::mem::take(&mut self.tcp);
        let shared = Arc::clone(&self.shared);
        let result = runtime.block_on(async move {
            for l in listeners {
                let listener =
                    tokio::net::TcpListener::from_std(l).map_err(|error| DaemonError::Setup {
                        what: "a TCP listener",
                        error,
                    })?;
                tokio::spawn(tcp::serve(listener, Arc::clone(&shared)));
            }
            control.await
        });
        runtime.shutdown_timeout(Duration::from_millis(200));
        result
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        for u in self.udp.drain(..) {
            u.stop();
        }
        if let Some(path) = &self.pid_file {
            let _ = std::fs::remove_file(path);
        }
    }
}

//------------ Signals -------------------------------------------------------

/// The signals a host reacts to.
pub struct Signals {
    /// SIGHUP: reload.
    pub hup: Signal,
    /// SIGTERM: exit.
    pub term: Signal,
    /// SIGINT: exit.
    pub int: Signal,
}

impl Signals {
    /// Installs the handlers (inside the runtime).
    pub fn install() -> Result<Self, DaemonError> {
        let io = |error| DaemonError::Setup {
            what: "a signal handler",
            error,
        };
        Ok(Self {
            hup: signal(SignalKind::hangup()).map_err(io)?,
            term: signal(SignalKind::terminate()).map_err(io)?,
            int: signal(SignalKind::interrupt()).map_err(io)?,
        })
    }
}

//------------ pid file ------------------------------------------------------

/// Writes this process's pid to `path` atomically, refusing when a live daemon owns it.
fn write_pid_file(path: &Path) -> Result<(), DaemonError> {
    let file_err = |error| DaemonError::File {
        path: path.to_owned(),
        error,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|error| DaemonError::File {
            path: dir.to_owned(),
            error,
        })?;
    }
    check_not_running(path)?;
    let tmp = path.with_extension("pid.tmp");
    std::fs::write(&tmp, format!("{}\n", std::process::id())).map_err(file_err)?;
    std::fs::rename(&tmp, path).map_err(file_err)
}

/// Fails when the pid file at `path` names a live process other than this one.
fn check_not_running(path: &Path) -> Result<(), DaemonError> {
    if let Ok(pid) = read_pid(path)
        && pid != std::process::id() as i32
        && process_alive(pid)
    {
        return Err(DaemonError::AlreadyRunning {
            pid,
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// The pid in the pid file at `path`.
fn read_pid(path: &Path) -> Result<i32, DaemonError> {
    let text = std::fs::read_to_string(path).map_err(|error| DaemonError::File {
        path: path.to_owned(),
        error,
    })?;
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| DaemonError::BadPidFile(path.to_owned()))
}

/// Whether a process with `pid` exists.
fn process_alive(pid: i32) -> bool {
    // SAFETY: kill with signal 0 only checks for existence and permission; pid is positive.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// `daned reload`: sends SIGHUP to the daemon whose pid is in `state_dir/daned.pid`.
pub fn signal_reload(state_dir: &Path) -> Result<i32, DaemonError> {
    let pid = read_pid(&state_dir.join(PID_FILE))?;
    // SAFETY: kill(2) has no memory-safety preconditions; pid is positive (checked by
    // read_pid), so this never signals a process group.
    if unsafe { libc::kill(pid, libc::SIGHUP) } != 0 {
        return Err(DaemonError::Signal {
            pid,
            error: std::io::Error::last_os_error(),
        });
    }
    Ok(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_file_refuses_a_second_daemon_and_reload_needs_one() {
        let dir = std::env::temp_dir().join(format!("daned-pid-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join(PID_FILE);
        write_pid_file(&path).unwrap();
        assert_eq!(read_pid(&path).unwrap(), std::process::id() as i32);
        // Our own pid is not "another daemon".
        check_not_running(&path).unwrap();
        // pid 1 is always alive.
        std::fs::write(&path, "1\n").unwrap();
        assert!(matches!(
            check_not_running(&path),
            Err(DaemonError::AlreadyRunning { pid: 1, .. })
        ));
        std::fs::write(&path, "nonsense").unwrap();
        assert!(matches!(
            signal_reload(&dir),
            Err(DaemonError::BadPidFile(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
