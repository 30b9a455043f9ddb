//! myna-kakunin: a qualification-check kiosk for the My Number Card.
//!
//! One brain, thin edges (see ARCHITECTURE.md):
//! - [`app`] decides: a state machine over every screen, no IO.
//! - [`card`] speaks card bytes: APDUs, JPKI procedures, PC/SC, and the virtual card (demo).
//! - [`center`] speaks center JSON: domain model, wire bodies, HTTPS client, reference center (demo).
//! - [`ui`] draws pixels into memory: canvas, text, widgets, screens, strings.
//! - [`shell`] touches the OS: window, worker thread, logging, headless PNG renderer.
//!
//! `unsafe` is denied crate-wide; only `shell::windows` (the Win32 calls: DPAPI, the
//! single-instance mutex, the browser) allows it, with a SAFETY comment on each block.
#![deny(unsafe_code)]

pub mod app;
pub mod card;
pub mod center;
pub mod sensitive;
pub mod shell;
pub mod ui;
