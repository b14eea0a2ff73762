//! Where log lines go and how they look: to stderr, filtered by `RUST_LOG` (default `info`),
//! as text or — `[server] log_format = "json"` — one JSON object per line.
//!
//! JSON lines have stable field names: `timestamp`, `level`, `target`, `message`, and the
//! event's own fields flattened beside them (`event`, `zone`, `serial`, ...). Every key,
//! rollover, TLSA and transfer event carries an `event` field whose values the README lists.

use crate::config::LogFormat;

/// Installs the global subscriber (once, at start).
pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init(),
    }
}
