//! myna-kakunin: parses arguments, picks backends and starts the shell.
//!
//! ```text
//! myna-kakunin                      the kiosk (PC/SC reader, HTTPS center)
//! myna-kakunin --demo               demo kiosk: virtual cards, in-process reference center
//! myna-kakunin screenshots DIR      PNGs of every demo screen (demo build)
//! myna-kakunin reference-center --listen 127.0.0.1:PORT --tls-cert PEM --tls-key PEM
//!                                   the reference center over HTTPS on loopback (demo build)
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use log::{error, info, LevelFilter};

use myna_kakunin::shell::logging;
use myna_kakunin::shell::window::{self, ShellError, WindowOptions};
use myna_kakunin::ui::text::Text;

const USAGE: &str = "\
usage: myna-kakunin [--demo] [--windowed | --fullscreen] [--log LEVEL]
       myna-kakunin screenshots DIR      (demo build)
       myna-kakunin reference-center --listen 127.0.0.1:PORT --tls-cert PEM --tls-key PEM
                                         (demo build; TEST-ONLY server, loopback only)
       myna-kakunin --version

  --demo        run with virtual demo cards and the in-process reference center
  --windowed    a 1280x800 window (default with --demo)
  --fullscreen  borderless fullscreen kiosk (default without --demo)
  --log LEVEL   error, warn, info (default), debug or trace; never logs patient data";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Mode {
    Kiosk {
        demo: bool,
        fullscreen: Option<bool>,
    },
    Screenshots(PathBuf),
    ReferenceCenter {
        listen: SocketAddr,
        cert: PathBuf,
        key: PathBuf,
    },
    Version,
    Help,
}

#[derive(Debug, PartialEq, Eq)]
struct Args {
    mode: Mode,
    log: LevelFilter,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut demo = false;
    let mut fullscreen = None;
    let mut log = LevelFilter::Info;
    let mut mode = None;
    let mut reference_center = false;
    let (mut listen, mut cert, mut key) = (None, None, None);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--demo" => demo = true,
            "--windowed" => fullscreen = Some(false),
            "--fullscreen" => fullscreen = Some(true),
            "--log" => {
                let level = it.next().ok_or("--log needs a level")?;
                log = logging::parse_level(&level).ok_or(format!("unknown log level {level}"))?;
            }
            "--version" | "-V" => mode = Some(Mode::Version),
            "--help" | "-h" => mode = Some(Mode::Help),
            "screenshots" => {
                let dir = it.next().ok_or("screenshots needs a directory")?;
                mode = Some(Mode::Screenshots(PathBuf::from(dir)));
            }
            "reference-center" => reference_center = true,
            "--listen" => {
                let addr = it.next().ok_or("--listen needs an address")?;
                listen = Some(
                    addr.parse::<SocketAddr>()
                        .map_err(|_| format!("--listen: not an address: {addr}"))?,
                );
            }
            "--tls-cert" => cert = Some(PathBuf::from(it.next().ok_or("--tls-cert needs a file")?)),
            "--tls-key" => key = Some(PathBuf::from(it.next().ok_or("--tls-key needs a file")?)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if reference_center {
        let (Some(listen), Some(cert), Some(key)) = (listen, cert, key) else {
            return Err("reference-center needs --listen, --tls-cert and --tls-key".into());
        };
        mode = Some(Mode::ReferenceCenter { listen, cert, key });
    } else if listen.is_some() || cert.is_some() || key.is_some() {
        return Err("--listen, --tls-cert and --tls-key belong to reference-center".into());
    }
    Ok(Args {
        mode: mode.unwrap_or(Mode::Kiosk { demo, fullscreen }),
        log,
    })
}

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    logging::init(args.log);
    match args.mode {
        Mode::Help => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Mode::Version => {
            println!("myna-kakunin {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Mode::Screenshots(dir) => screenshots(&dir),
        Mode::ReferenceCenter { listen, cert, key } => serve_reference_center(listen, &cert, &key),
        Mode::Kiosk { demo, fullscreen } => kiosk(demo, fullscreen.unwrap_or(!demo), started),
    }
}

#[cfg(feature = "demo")]
fn screenshots(dir: &std::path::Path) -> ExitCode {
    use myna_kakunin::shell::headless::demo_screenshots;
    use myna_kakunin::ui::screens::Size;
    match demo_screenshots(dir, Size::DESIGN) {
        Ok(files) => {
            for f in files {
                println!("{}", dir.join(f).display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("screenshots failed: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "demo"))]
fn screenshots(_: &std::path::Path) -> ExitCode {
    eprintln!("screenshots needs the demo build (cargo build --features demo)");
    ExitCode::from(2)
}

/// Serves the reference center over HTTPS until the process is stopped. TEST ONLY.
#[cfg(feature = "demo")]
fn serve_reference_center(
    listen: SocketAddr,
    cert: &std::path::Path,
    key: &std::path::Path,
) -> ExitCode {
    use myna_kakunin::center::reference::{server, ReferenceCenter};
    let (Ok(cert), Ok(key)) = (std::fs::read(cert), std::fs::read(key)) else {
        eprintln!("reference-center: cannot read the certificate or key file");
        return ExitCode::from(2);
    };
    let tls = match server::ServerTls::from_pem(&cert, &key) {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("reference-center: unusable certificate or key ({e:?})");
            return ExitCode::from(2);
        }
    };
    let clock: server::Clock = std::sync::Arc::new(myna_kakunin::shell::demo::system_clock);
    match server::spawn_https(listen, tls, ReferenceCenter::with_demo_records(), clock) {
        Ok(running) => {
            use std::io::Write;
            println!(
                "reference center (TEST ONLY) listening on {}",
                running.url()
            );
            let _ = std::io::stdout().flush();
            // Serves on its own threads until the process is stopped.
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            eprintln!("reference-center: cannot start ({e:?})");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "demo"))]
fn serve_reference_center(_: SocketAddr, _: &std::path::Path, _: &std::path::Path) -> ExitCode {
    eprintln!("reference-center needs the demo build (cargo build --features demo)");
    ExitCode::from(2)
}

fn kiosk(demo: bool, fullscreen: bool, started: std::time::Instant) -> ExitCode {
    info!(
        "myna-kakunin {} starting (demo: {demo})",
        env!("CARGO_PKG_VERSION")
    );
    let text = match Text::load() {
        Ok(t) => t,
        Err(_) => {
            error!("the embedded font does not parse; the build is broken");
            return ExitCode::FAILURE;
        }
    };
    let Some((app, backends)) = wiring(demo) else {
        return ExitCode::from(2);
    };
    match window::run(app, text, backends, WindowOptions { fullscreen }, started) {
        Ok(()) => ExitCode::SUCCESS,
        Err(ShellError::Display(e)) => {
            error!("no display to open the window on: {e}");
            ExitCode::FAILURE
        }
        Err(ShellError::Worker(e)) => {
            error!("cannot start the worker thread: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "demo")]
fn wiring(
    demo: bool,
) -> Option<(
    myna_kakunin::app::App,
    myna_kakunin::shell::worker::Backends,
)> {
    use myna_kakunin::shell::demo;
    if demo {
        return Some((demo::app(), demo::backends(demo::system_clock)));
    }
    production_wiring()
}

#[cfg(not(feature = "demo"))]
fn wiring(
    demo: bool,
) -> Option<(
    myna_kakunin::app::App,
    myna_kakunin::shell::worker::Backends,
)> {
    if demo {
        eprintln!("--demo needs the demo build (cargo build --features demo)");
        return None;
    }
    production_wiring()
}

/// The production kiosk needs the registration that the settings store keeps (初期登録);
/// until that store exists this build reports it and stops rather than run unregistered.
fn production_wiring() -> Option<(
    myna_kakunin::app::App,
    myna_kakunin::shell::worker::Backends,
)> {
    eprintln!("{}", myna_kakunin::ui::strings::NOT_REGISTERED);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[&str]) -> Result<Args, String> {
        parse_args(s.iter().map(|a| a.to_string()))
    }

    #[test]
    fn no_arguments_is_the_fullscreen_production_kiosk() {
        let a = parse(&[]).expect("valid");
        assert_eq!(
            a.mode,
            Mode::Kiosk {
                demo: false,
                fullscreen: None
            }
        );
        assert_eq!(a.log, LevelFilter::Info);
    }

    #[test]
    fn demo_windowed_and_log_level() {
        let a = parse(&["--demo", "--windowed", "--log", "trace"]).expect("valid");
        assert_eq!(
            a.mode,
            Mode::Kiosk {
                demo: true,
                fullscreen: Some(false)
            }
        );
        assert_eq!(a.log, LevelFilter::Trace);
    }

    #[test]
    fn screenshots_takes_a_directory() {
        let a = parse(&["screenshots", "out"]).expect("valid");
        assert_eq!(a.mode, Mode::Screenshots(PathBuf::from("out")));
        assert!(parse(&["screenshots"]).is_err());
    }

    #[test]
    fn reference_center_takes_an_address_and_the_tls_files() {
        let a = parse(&[
            "reference-center",
            "--listen",
            "127.0.0.1:8443",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
        ])
        .expect("valid");
        assert_eq!(
            a.mode,
            Mode::ReferenceCenter {
                listen: "127.0.0.1:8443".parse().expect("an address"),
                cert: PathBuf::from("c.pem"),
                key: PathBuf::from("k.pem"),
            }
        );
        assert!(parse(&["reference-center", "--listen", "127.0.0.1:8443"]).is_err());
        assert!(parse(&[
            "reference-center",
            "--listen",
            "localhost",
            "--tls-cert",
            "c",
            "--tls-key",
            "k"
        ])
        .is_err());
        assert!(parse(&["--listen", "127.0.0.1:1"]).is_err());
    }

    #[test]
    fn unknown_arguments_and_levels_are_errors() {
        assert!(parse(&["--bogus"]).is_err());
        assert!(parse(&["--log", "loud"]).is_err());
        assert!(parse(&["--log"]).is_err());
    }
}
