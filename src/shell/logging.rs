//! Logging setup. What each level may contain is written in ARCHITECTURE.md; in short:
//! no level ever carries a PIN, passcode, password, patient field or certificate body.

use log::LevelFilter;
use simplelog::{ConfigBuilder, WriteLogger};

/// Parses a level name (`error`, `warn`, `info`, `debug`, `trace`, `off`).
pub fn parse_level(s: &str) -> Option<LevelFilter> {
    s.parse().ok()
}

/// Sends log lines to standard error at `level`. Harmless if a logger is already set.
pub fn init(level: LevelFilter) {
    let config = ConfigBuilder::new()
        .set_time_level(LevelFilter::Error)
        .set_thread_level(LevelFilter::Off)
        .set_target_level(LevelFilter::Off)
        // Only our own crate logs: dependencies' debug output (windowing, TLS, HTTP) is
        // noise at best and, for HTTP, could carry request details.
        .add_filter_allow_str("myna_kakunin")
        .build();
    // A second init (tests) keeps the first logger; nothing to report.
    let _ = WriteLogger::init(level, config, std::io::stderr());
}
