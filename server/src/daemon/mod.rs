//! The running server.
//!
//! Every change to a zone flows through its [`driver::ZoneDriver`]: the sources — the zone
//! file ([`zonefile`]), the certificate files ([`tlsa`]), the key rollover ([`lifecycle`]) and
//! the clock (signature refresh) — turn their input into a [`publish::Change`], and
//! [`publish::Served::publish`] is the one place that sets the serial, signs, journals
//! ([`pipeline`]), saves and builds the snapshot. [`serve`] is the control loop that feeds the
//! drivers events and swaps the catalog the query path reads; [`host`] is the runtime, the
//! listeners, the pid file and the signals, shared with `daned fixture`.

pub mod catalog_zone;
pub mod driver;
pub mod editable;
pub mod error;
pub mod host;
pub mod lifecycle;
pub mod loader;
pub mod observe;
pub mod pipeline;
pub mod publish;
pub mod serve;
pub mod service;
pub mod signing;
pub mod state_dir;
pub mod state_view;
pub mod sts_probe;
pub mod tlsa;
pub mod zonefile;

pub use driver::{Event, ZoneDriver};
pub use error::{DaemonError, ZoneError};
pub use host::{PID_FILE, signal_reload};
pub use serve::{ServeOptions, load_zones, run, serve};
pub use state_view::ZoneStateView;
