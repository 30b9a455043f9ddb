//! The outside world: the window, the worker thread, logging, the headless renderer and,
//! in the demo build, the demo's wiring. Only this module and `main.rs` touch the OS.

pub mod clipboard;
pub mod config;
pub mod diagnostics;
pub mod export;
pub mod headless;
pub mod icon;
pub mod instance;
pub mod logging;
pub mod png;
pub mod settings;
pub mod window;
pub mod worker;

#[cfg(windows)]
pub mod windows;

#[cfg(feature = "demo")]
pub mod bench;
#[cfg(feature = "demo")]
pub mod demo;
#[cfg(feature = "demo")]
pub mod demo_export;
#[cfg(feature = "demo")]
pub mod vpcd;
