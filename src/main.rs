//! myna-kakunin: parses arguments, picks backends and starts the shell.
//!
//! ```text
//! myna-kakunin                      the kiosk (PC/SC reader, HTTPS center)
//! myna-kakunin --demo               demo kiosk: virtual cards, in-process reference center
//! myna-kakunin screenshots DIR      PNGs of every demo screen (demo build)
//! myna-kakunin demo-export DIR [--encoding utf-8]
//!                                   every demo card's face XML and コピー text (demo build)
//! myna-kakunin readers              diagnostics: readers and their cards
//! myna-kakunin read-cert            diagnostics: the certificate's serial, issuer, dates
//! myna-kakunin pin-status           diagnostics: PIN tries left, no try used
//! myna-kakunin virtual-card         a demo card on vsmartcard-vpcd (demo build)
//! myna-kakunin bench-card           APDU timings through PC/SC (demo build)
//! myna-kakunin bench                the performance targets: start-up, redraw, idle, checks,
//!                                   memory, sizes (demo build)
//! myna-kakunin reference-center --listen 127.0.0.1:PORT --tls-cert PEM --tls-key PEM
//!                                   the reference center over HTTPS on loopback (demo build)
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use log::{error, info, warn, LevelFilter};

use myna_kakunin::shell::config::{self, Overrides};
use myna_kakunin::shell::instance::{self, InstanceError};
use myna_kakunin::shell::window::{self, ShellError, WindowOptions};
use myna_kakunin::shell::{diagnostics, logging};
use myna_kakunin::ui::text::Text;

const USAGE: &str = "\
usage: myna-kakunin [--windowed | --fullscreen | --kiosk] [--data-dir DIR] [--center URL] [--trust PEM] [--log LEVEL]
       myna-kakunin --demo [--fresh] [--windowed | --fullscreen | --kiosk]   (demo build)
       myna-kakunin screenshots DIR      (demo build)
       myna-kakunin demo-export DIR [--encoding shift_jis | utf-8]   (demo build)
       myna-kakunin readers
       myna-kakunin read-cert [--reader NAME] [--json]
       myna-kakunin pin-status [--reader NAME]
       myna-kakunin virtual-card [--vpcd HOST:PORT] --card ID | --list   (demo build)
       myna-kakunin bench-card --reader NAME [--runs N] [--card ID]     (demo build)
       myna-kakunin bench [--runs N] [--only PARTS] [--production BIN] [--baseline BIN] [--display :N] [--delay MS,...]
                                         (demo build)
       myna-kakunin reference-center --listen 127.0.0.1:PORT --tls-cert PEM --tls-key PEM
                                         (demo build; TEST-ONLY server, loopback only)
       myna-kakunin --version
       myna-kakunin --licenses           the licence texts of every crate and font inside

  readers       list the card readers and whether a card is in each
  read-cert     read the authentication certificate (no PIN): serial, issuer, validity,
                length, APDUs and milliseconds; --json for one JSON object
  pin-status    the authentication PIN's tries left, asked without using a try
  --reader NAME the reader to use (exact name or its start); default: the first with a card
  virtual-card  serve a demo card to pcscd through vsmartcard-vpcd (default 127.0.0.1:35963);
                --list prints each demo card: id, demo PIN, what it shows
  bench-card    time a certificate read and a PIN flow, APDU by APDU (default 50 runs)
  bench         measure the targets of DESIGN.md: PARTS is a comma list of check, network,
                redraw, startup, idle, sizes (default all); --delay: the network part's one-way
                delays in ms (default 25); --runs: starts and checks of each kind
                (default 20); starts its own Xvfb (or uses --display) and its own pcscd;
                --production and --baseline start those builds too (interleaved)

  demo-export   every demo card through the check flow with the face folder on: DIR gets
                each face file (OQSsiquc01res_face_*.xml) and its コピー text (<card id>.txt)
  --demo        run with virtual demo cards and the in-process reference center
  --windowed    a 1280x800 window (default with --demo)
  --fullscreen  borderless fullscreen kiosk (default without --demo)
  --kiosk       fullscreen without decorations; closing the window (Alt+F4) is ignored
  --data-dir    the data folder (config.txt, settings.txt, myna-kakunin.log); default: the
                executable's folder if portable.txt is there, else %LOCALAPPDATA%\\myna-kakunin
                (Windows) or ~/.local/share/myna-kakunin
  --log LEVEL   error, warn, info (default), debug or trace; never logs patient data";

/// Exit code: the command line is wrong (an unknown argument, a missing value, a
/// subcommand of the demo build in the production build). README lists every exit code.
const EXIT_USAGE: u8 = 2;
/// Exit code: the kiosk's configuration is wrong or missing (config.txt, the trust PEM, the
/// center URL), so the kiosk cannot start.
const EXIT_CONFIG: u8 = 3;

/// The licence texts of every crate and font in this binary, collected by build.rs
/// (build/licenses.rs) from the dependency tree when it is built.
const LICENSES: &str = include_str!(concat!(env!("OUT_DIR"), "/licenses.txt"));

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Mode {
    Kiosk {
        demo: bool,
        fullscreen: Option<bool>,
        /// `--kiosk`: fullscreen, no decorations, close requests ignored.
        kiosk: bool,
    },
    Screenshots(PathBuf),
    DemoExport {
        dir: PathBuf,
        /// `--encoding`: shift_jis (default) or utf-8.
        encoding: String,
    },
    ReferenceCenter {
        listen: SocketAddr,
        cert: PathBuf,
        key: PathBuf,
    },
    Version,
    /// The third-party licence texts.
    Licenses,
    Help,
    /// Diagnostics: the readers and their cards.
    Readers,
    /// Diagnostics: the authentication certificate.
    ReadCert {
        reader: Option<String>,
        json: bool,
    },
    /// Diagnostics: the PIN's tries left.
    PinStatus {
        reader: Option<String>,
    },
    /// Demo: serve a demo card to vpcd.
    VirtualCard {
        vpcd: SocketAddr,
        card: String,
    },
    /// Demo: list the demo cards.
    VirtualCardList,
    /// Demo: time the card flows.
    BenchCard {
        reader: String,
        runs: usize,
        card: String,
    },
    /// Demo: measure the performance targets.
    Bench {
        runs: usize,
        parts: Vec<String>,
        production: Option<PathBuf>,
        baseline: Option<PathBuf>,
        display: Option<String>,
        delays_ms: Vec<u64>,
    },
}

/// vpcd's first slot on loopback (jpki.md §5.2).
const DEFAULT_VPCD: &str = "127.0.0.1:35963";

/// The options of the subcommands, before they are checked against the subcommand.
#[derive(Default)]
struct SubOptions {
    reader: Option<String>,
    json: bool,
    vpcd: Option<String>,
    card: Option<String>,
    list: bool,
    runs: Option<String>,
    only: Option<String>,
    production: Option<String>,
    baseline: Option<String>,
    display: Option<String>,
    delay: Option<String>,
}

impl SubOptions {
    fn any(&self) -> bool {
        self.reader.is_some()
            || self.json
            || self.vpcd.is_some()
            || self.card.is_some()
            || self.list
            || self.runs.is_some()
            || self.only.is_some()
            || self.production.is_some()
            || self.baseline.is_some()
            || self.display.is_some()
            || self.delay.is_some()
    }
}

/// The parts of `bench`, as `--only` names them.
const BENCH_PARTS: [&str; 6] = ["check", "network", "redraw", "startup", "idle", "sizes"];

/// `--runs N` (a positive number), or `default`.
fn positive_runs(runs: Option<&str>, default: usize) -> Result<usize, String> {
    match runs {
        None => Ok(default),
        Some(n) => match n.parse() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("--runs needs a positive number, not {n}")),
        },
    }
}

/// Builds the mode of subcommand `name` from its options; an option it does not take is
/// an error.
fn subcommand(name: &str, o: SubOptions) -> Result<Mode, String> {
    let only = |allowed: &[&str], o: &SubOptions| -> Result<(), String> {
        let given = [
            ("--reader", o.reader.is_some()),
            ("--json", o.json),
            ("--vpcd", o.vpcd.is_some()),
            ("--card", o.card.is_some()),
            ("--list", o.list),
            ("--runs", o.runs.is_some()),
            ("--only", o.only.is_some()),
            ("--production", o.production.is_some()),
            ("--baseline", o.baseline.is_some()),
            ("--display", o.display.is_some()),
            ("--delay", o.delay.is_some()),
        ];
        match given
            .iter()
            .find(|(flag, set)| *set && !allowed.contains(flag))
        {
            Some((flag, _)) => Err(format!("{name} does not take {flag}")),
            None => Ok(()),
        }
    };
    match name {
        "readers" => {
            only(&[], &o)?;
            Ok(Mode::Readers)
        }
        "read-cert" => {
            only(&["--reader", "--json"], &o)?;
            Ok(Mode::ReadCert {
                reader: o.reader,
                json: o.json,
            })
        }
        "pin-status" => {
            only(&["--reader"], &o)?;
            Ok(Mode::PinStatus { reader: o.reader })
        }
        "virtual-card" if o.list => {
            only(&["--list"], &o)?;
            Ok(Mode::VirtualCardList)
        }
        "virtual-card" => {
            only(&["--vpcd", "--card"], &o)?;
            let vpcd = o.vpcd.as_deref().unwrap_or(DEFAULT_VPCD);
            let vpcd = vpcd
                .parse()
                .map_err(|_| format!("--vpcd needs HOST:PORT with an IP address, not {vpcd}"))?;
            let card = o.card.ok_or("virtual-card needs --card ID (or --list)")?;
            Ok(Mode::VirtualCard { vpcd, card })
        }
        "bench-card" => {
            only(&["--reader", "--runs", "--card"], &o)?;
            let reader = o.reader.ok_or("bench-card needs --reader NAME")?;
            let runs = positive_runs(o.runs.as_deref(), 50)?;
            let card = o.card.unwrap_or_else(|| "taro".to_owned());
            Ok(Mode::BenchCard { reader, runs, card })
        }
        "bench" => {
            only(
                &[
                    "--runs",
                    "--only",
                    "--production",
                    "--baseline",
                    "--display",
                    "--delay",
                ],
                &o,
            )?;
            let delays_ms = match &o.delay {
                None => vec![25],
                Some(list) => list
                    .split(',')
                    .map(|d| d.parse::<u64>().ok().filter(|d| *d <= 1000))
                    .collect::<Option<Vec<u64>>>()
                    .ok_or(format!(
                        "--delay needs milliseconds 0 to 1000, comma separated, not {list}"
                    ))?,
            };
            let runs = positive_runs(o.runs.as_deref(), 20)?;
            let parts = match &o.only {
                None => BENCH_PARTS.iter().map(|p| (*p).to_owned()).collect(),
                Some(list) => {
                    let parts: Vec<String> = list.split(',').map(str::to_owned).collect();
                    if let Some(bad) = parts.iter().find(|p| !BENCH_PARTS.contains(&p.as_str())) {
                        return Err(format!("--only: no part {bad} (parts: {BENCH_PARTS:?})"));
                    }
                    parts
                }
            };
            Ok(Mode::Bench {
                runs,
                parts,
                production: o.production.map(PathBuf::from),
                baseline: o.baseline.map(PathBuf::from),
                display: o.display,
                delays_ms,
            })
        }
        other => Err(format!("unknown subcommand {other}")),
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Args {
    mode: Mode,
    log: LevelFilter,
    /// Files and center for the production kiosk.
    overrides: Overrides,
    /// `--fresh`: the demo starts on a fresh device (利用規約, 初期登録).
    fresh: bool,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut demo = false;
    let mut fresh = false;
    let mut overrides = Overrides::default();
    let mut fullscreen = None;
    let mut kiosk = false;
    let mut log = LevelFilter::Info;
    let mut mode = None;
    let mut sub: Option<String> = None;
    let mut options = SubOptions::default();
    let mut reference_center = false;
    let (mut listen, mut cert, mut key) = (None, None, None);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or(format!("{flag} needs a value"));
        match a.as_str() {
            "--reader" => options.reader = Some(value("--reader")?),
            "--vpcd" => options.vpcd = Some(value("--vpcd")?),
            "--card" => options.card = Some(value("--card")?),
            "--runs" => options.runs = Some(value("--runs")?),
            "--only" => options.only = Some(value("--only")?),
            "--production" => options.production = Some(value("--production")?),
            "--baseline" => options.baseline = Some(value("--baseline")?),
            "--display" => options.display = Some(value("--display")?),
            "--delay" => options.delay = Some(value("--delay")?),
            "--json" => options.json = true,
            "--list" => options.list = true,
            "readers" | "read-cert" | "pin-status" | "virtual-card" | "bench-card" | "bench"
                if sub.is_none() && mode.is_none() =>
            {
                sub = Some(a.clone());
            }
            "--demo" => demo = true,
            "--fresh" => fresh = true,
            "--data-dir" => overrides.data_dir = Some(PathBuf::from(value("--data-dir")?)),
            "--center" => overrides.center_url = Some(value("--center")?),
            "--trust" => overrides.trust_pem = Some(PathBuf::from(value("--trust")?)),
            "--windowed" => fullscreen = Some(false),
            "--fullscreen" => fullscreen = Some(true),
            "--kiosk" => {
                kiosk = true;
                overrides.kiosk = true;
            }
            "--log" => {
                let level = it.next().ok_or("--log needs a level")?;
                log = logging::parse_level(&level).ok_or(format!("unknown log level {level}"))?;
            }
            "--version" | "-V" => mode = Some(Mode::Version),
            "--licenses" => mode = Some(Mode::Licenses),
            "--help" | "-h" => mode = Some(Mode::Help),
            "screenshots" => {
                let dir = it.next().ok_or("screenshots needs a directory")?;
                mode = Some(Mode::Screenshots(PathBuf::from(dir)));
            }
            "demo-export" => {
                let dir = it.next().ok_or("demo-export needs a directory")?;
                mode = Some(Mode::DemoExport {
                    dir: PathBuf::from(dir),
                    encoding: "shift_jis".to_owned(),
                });
            }
            "--encoding" => {
                let value = it.next().ok_or("--encoding needs shift_jis or utf-8")?;
                match &mut mode {
                    Some(Mode::DemoExport { encoding, .. }) => *encoding = value,
                    _ => return Err("--encoding belongs to demo-export (after DIR)".into()),
                }
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
    match sub {
        Some(name) if mode.is_none() => mode = Some(subcommand(&name, options)?),
        Some(name) => return Err(format!("{name} cannot be combined with other commands")),
        None if options.any() => return Err("these options need a subcommand".to_owned()),
        None => {}
    }
    if kiosk && fullscreen == Some(false) {
        return Err("--kiosk is always fullscreen; it cannot be --windowed".to_owned());
    }
    Ok(Args {
        mode: mode.unwrap_or(Mode::Kiosk {
            demo,
            fullscreen,
            kiosk,
        }),
        log,
        overrides,
        fresh,
    })
}

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            attach_console();
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    // The kiosk also logs to a file in its data folder (a GUI .exe has no console).
    let log_file = match args.mode {
        Mode::Kiosk { demo: false, .. } => {
            Some(config::data_dir(&args.overrides).join(logging::LOG_FILE))
        }
        _ => None,
    };
    // Everything but the kiosk prints for the person at the console; the kiosk attaches
    // only to say why it cannot start (attached, closing that console would end it).
    if !matches!(args.mode, Mode::Kiosk { .. }) {
        attach_console();
    }
    if let Err(e) = logging::init(args.log, log_file.as_deref()) {
        warn!("no log file in the data folder: {e}");
    }
    match args.mode {
        Mode::Help => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Mode::Version => {
            println!("myna-kakunin {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Mode::Licenses => {
            print!("{LICENSES}");
            ExitCode::SUCCESS
        }
        Mode::Screenshots(dir) => screenshots(&dir),
        Mode::DemoExport { dir, encoding } => demo_export(&dir, &encoding),
        Mode::Readers => diagnostic("readers", false, diagnostics::readers()),
        Mode::ReadCert { reader, json } => {
            diagnostic("read-cert", json, diagnostics::read_cert(reader, json))
        }
        Mode::PinStatus { reader } => {
            diagnostic("pin-status", false, diagnostics::pin_status(reader))
        }
        Mode::VirtualCard { vpcd, card } => virtual_card(vpcd, &card),
        Mode::VirtualCardList => virtual_card_list(),
        Mode::BenchCard { reader, runs, card } => bench_card(reader, runs, &card),
        Mode::Bench {
            runs,
            parts,
            production,
            baseline,
            display,
            delays_ms,
        } => bench(runs, &parts, production, baseline, display, delays_ms),
        Mode::ReferenceCenter { listen, cert, key } => serve_reference_center(listen, &cert, &key),
        Mode::Kiosk {
            demo,
            fullscreen,
            kiosk: kiosk_mode,
        } => kiosk(
            demo,
            args.fresh,
            &args.overrides,
            WindowOptions {
                fullscreen: fullscreen.unwrap_or(!demo),
                kiosk: kiosk_mode,
                watch_readers: None,
            },
            started,
        ),
    }
}

/// Windows: the .exe is a GUI program, so without this nothing it prints reaches the cmd or
/// PowerShell window it was started from (started from Explorer, there is none to attach
/// to). Elsewhere the terminal is already there.
fn attach_console() {
    #[cfg(windows)]
    myna_kakunin::shell::windows::attach_parent_console();
}

/// Prints a diagnostic's result: the text on standard output and exit 0, or the error
/// kind and advice (on standard error; as JSON on standard output with `--json`) and exit 1.
fn diagnostic(
    command: &str,
    json: bool,
    result: Result<String, myna_kakunin::card::CardError>,
) -> ExitCode {
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            if json {
                println!("{}", diagnostics::error_json(&e));
            }
            eprintln!("{}", diagnostics::error_message(command, &e));
            ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "demo")]
fn virtual_card(vpcd: SocketAddr, id: &str) -> ExitCode {
    use myna_kakunin::card::virtual_card::demo_cards;
    use myna_kakunin::shell::vpcd::{serve, ServeOptions};
    let Some(card) = demo_cards().iter().find(|c| c.id == id) else {
        eprintln!("no demo card {id}; `myna-kakunin virtual-card --list` lists them");
        return ExitCode::from(EXIT_USAGE);
    };
    if !vpcd.ip().is_loopback() {
        log::warn!(
            "vpcd at {vpcd} is not on loopback: the demo card is reachable from the network path"
        );
    }
    info!("serving demo card {id} to vpcd at {vpcd}");
    // Runs until the process is killed: nothing sets the flag.
    let never = std::sync::atomic::AtomicBool::new(false);
    serve(&ServeOptions::new(vpcd), card.insert(), &never);
    ExitCode::SUCCESS
}

#[cfg(feature = "demo")]
fn virtual_card_list() -> ExitCode {
    use myna_kakunin::card::virtual_card::demo_cards;
    for card in demo_cards() {
        println!("{}", demo_card_line(card.id, card.pin, card.shows));
    }
    ExitCode::SUCCESS
}

/// One line of `virtual-card --list`: id, demo PIN, what the card shows, tab-separated.
#[cfg(feature = "demo")]
fn demo_card_line(id: &str, pin: &str, shows: &str) -> String {
    format!("{id}\t{pin}\t{shows}")
}

#[cfg(feature = "demo")]
fn bench_card(reader: String, runs: usize, id: &str) -> ExitCode {
    use myna_kakunin::card::virtual_card::demo_cards;
    use myna_kakunin::shell::bench::{self, BenchError, BenchOptions};
    let Some(card) = demo_cards().iter().find(|c| c.id == id) else {
        eprintln!("no demo card {id}; `myna-kakunin virtual-card --list` lists them");
        return ExitCode::from(EXIT_USAGE);
    };
    let options = BenchOptions {
        reader,
        runs,
        pin: card.pin,
    };
    match bench::run(&options) {
        Ok(report) => {
            print!("{}", bench::format_report(&report, runs));
            ExitCode::SUCCESS
        }
        Err(BenchError::Card(e)) => {
            eprintln!("{}", diagnostics::error_message("bench-card", &e));
            ExitCode::FAILURE
        }
        Err(BenchError::Inconsistent) => {
            eprintln!("myna-kakunin bench-card: the card answered differently between runs");
            ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "demo")]
fn bench(
    runs: usize,
    parts: &[String],
    production: Option<PathBuf>,
    baseline: Option<PathBuf>,
    display: Option<String>,
    delays_ms: Vec<u64>,
) -> ExitCode {
    use myna_kakunin::shell::bench::{run_kiosk_bench, BenchPart, KioskBenchOptions};
    let options = KioskBenchOptions {
        runs,
        frames: 200,
        idle_seconds: 10,
        // Checked by the argument parser; in the order the parts run.
        parts: BenchPart::ALL
            .into_iter()
            .filter(|p| parts.iter().any(|n| BenchPart::from_name(n) == Some(*p)))
            .collect(),
        production,
        baseline,
        display,
        delays_ms,
    };
    match run_kiosk_bench(&options, &mut std::io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("myna-kakunin bench: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "demo"))]
fn bench(
    _: usize,
    _: &[String],
    _: Option<PathBuf>,
    _: Option<PathBuf>,
    _: Option<String>,
    _: Vec<u64>,
) -> ExitCode {
    needs_demo("bench")
}

#[cfg(not(feature = "demo"))]
fn virtual_card(_: SocketAddr, _: &str) -> ExitCode {
    needs_demo("virtual-card")
}

#[cfg(not(feature = "demo"))]
fn virtual_card_list() -> ExitCode {
    needs_demo("virtual-card")
}

#[cfg(not(feature = "demo"))]
fn bench_card(_: String, _: usize, _: &str) -> ExitCode {
    needs_demo("bench-card")
}

#[cfg(not(feature = "demo"))]
fn needs_demo(command: &str) -> ExitCode {
    eprintln!("{command} needs the demo build (cargo build --features demo)");
    ExitCode::from(EXIT_USAGE)
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

#[cfg(feature = "demo")]
fn demo_export(dir: &std::path::Path, encoding: &str) -> ExitCode {
    use myna_kakunin::center::face::FaceEncoding;
    use myna_kakunin::shell::{demo, demo_export};
    let Some(encoding) = FaceEncoding::parse(encoding) else {
        eprintln!("demo-export: --encoding is shift_jis or utf-8, not {encoding}");
        return ExitCode::from(2);
    };
    match demo_export::run(dir, encoding, demo::system_clock, |_, _| {}) {
        Ok(cards) => {
            for card in cards {
                match (&card.xml, &card.copy) {
                    (Some(xml), Some(_)) => println!(
                        "{}\t{}\t{}",
                        card.id,
                        xml.display(),
                        dir.join(format!("{}.txt", card.id)).display()
                    ),
                    _ => println!("{}\t(no result: the card ends on an error screen)", card.id),
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("demo-export failed: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "demo"))]
fn demo_export(_: &std::path::Path, _: &str) -> ExitCode {
    eprintln!("demo-export needs the demo build (cargo build --features demo)");
    ExitCode::from(2)
}

#[cfg(not(feature = "demo"))]
fn screenshots(_: &std::path::Path) -> ExitCode {
    eprintln!("screenshots needs the demo build (cargo build --features demo)");
    ExitCode::from(EXIT_USAGE)
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
        return ExitCode::from(EXIT_USAGE);
    };
    let tls = match server::ServerTls::from_pem(&cert, &key) {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("reference-center: unusable certificate or key ({e:?})");
            return ExitCode::from(EXIT_USAGE);
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
    ExitCode::from(EXIT_USAGE)
}

fn kiosk(
    demo: bool,
    fresh: bool,
    overrides: &Overrides,
    options: WindowOptions,
    started: std::time::Instant,
) -> ExitCode {
    // First of all: the face's parse (about 100 ms) runs beside everything else, and the
    // first screen is drawn from the glyph atlas without waiting for it.
    let text = Text::load_in_background();
    info!(
        "myna-kakunin {} starting (demo: {demo}, kiosk mode: {})",
        env!("CARGO_PKG_VERSION"),
        options.kiosk
    );
    // One production kiosk at a time (the demo has no data folder and may run beside it).
    let _instance = if demo {
        None
    } else {
        match instance::claim(&config::data_dir(overrides)) {
            Ok(guard) => Some(guard),
            Err(InstanceError::AlreadyRunning) => {
                info!("another kiosk is already running; this launch ends");
                eprintln!("myna-kakunin is already running (its window was brought forward where the system allows)");
                return ExitCode::SUCCESS;
            }
            Err(InstanceError::Io(e)) => {
                warn!("cannot check for another running kiosk: {e}");
                None
            }
        }
    };
    // The settings and backends (the demo's: its passcode hash and registration, about
    // 12 ms) are made on a thread while this one connects to the display.
    let wire = move |overrides: &Overrides| {
        let wired = wiring(demo, fresh, overrides);
        log::debug!(
            "start-up: app and backends ready {:.1} ms after start",
            started.elapsed().as_secs_f64() * 1000.0
        );
        wired
    };
    let owned = overrides.clone();
    let thread = std::thread::Builder::new()
        .name("wiring".into())
        .spawn(move || wire(&owned));
    let (display, wired) = match thread {
        // A wiring thread that panicked has nothing to run: as a failed wiring.
        Ok(thread) => (window::connect(started), thread.join().ok()),
        // No thread: one after the other.
        Err(_) => (window::connect(started), Some(wire(overrides))),
    };
    let (app, backends, watch_readers) = match wired {
        Some(Ok(wired)) => wired,
        Some(Err(code)) => return ExitCode::from(code),
        // The wiring thread panicked: nothing to run.
        None => return ExitCode::FAILURE,
    };
    let result = display.and_then(|display| {
        let options = WindowOptions {
            watch_readers,
            ..options
        };
        window::run(display, app, text, backends, options, started)
    });
    match result {
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

/// The app, its backends and, for PC/SC, the reader to watch.
type Wiring = (
    myna_kakunin::app::App,
    myna_kakunin::shell::worker::Backends,
    Option<Option<String>>,
);

/// The wiring, or the exit code of why there is none (reported already).
#[cfg(feature = "demo")]
fn wiring(demo: bool, fresh: bool, overrides: &Overrides) -> Result<Wiring, u8> {
    use myna_kakunin::shell::demo;
    if demo {
        let (app, backends) = if fresh {
            demo::setup_fresh(demo::system_clock)
        } else {
            demo::setup(demo::system_clock)
        };
        return Ok((app, backends, None));
    }
    production_wiring(overrides)
}

/// The wiring, or the exit code of why there is none (reported already).
#[cfg(not(feature = "demo"))]
fn wiring(demo: bool, _fresh: bool, overrides: &Overrides) -> Result<Wiring, u8> {
    if demo {
        attach_console();
        eprintln!("--demo needs the demo build (cargo build --features demo)");
        return Err(EXIT_USAGE);
    }
    production_wiring(overrides)
}

/// The production kiosk; a configuration problem is reported and stops the start with
/// [`EXIT_CONFIG`].
fn production_wiring(overrides: &Overrides) -> Result<Wiring, u8> {
    use myna_kakunin::shell::config::{production, StartupError};
    match production(overrides) {
        Ok((app, backends, reader)) => Ok((app, backends, Some(reader))),
        Err(e) => {
            let why = match e {
                StartupError::NoCenter(path) => format!(
                    "no center configured: put center_url=https://… in {} or pass --center URL",
                    path.display()
                ),
                StartupError::BadConfig(path, line) => {
                    format!(
                        "{} line {line}: not center_url=…, trust_pem=… or lock_after_minutes=0…1440",
                        path.display()
                    )
                }
                StartupError::TrustFile(path, err) => {
                    format!("cannot read {}: {err}", path.display())
                }
                StartupError::Center(err) => format!("the center settings are not usable: {err:?}"),
                StartupError::Io(err) => format!("cannot read the data folder: {err}"),
                StartupError::OpenToOthers(file, open) => format!(
                    "{} is not used: users other than root and the kiosk's user can write {}, \
                     so they could choose the center and its trust roots. Fix: \
                     chown root:root {} && chmod go-w {} (and the same for each folder above it)",
                    file.display(),
                    open.display(),
                    open.display(),
                    open.display()
                ),
            };
            error!("{why}");
            attach_console();
            eprintln!("{}\n{why}", myna_kakunin::ui::strings::NOT_CONFIGURED);
            Err(EXIT_CONFIG)
        }
    }
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
                fullscreen: None,
                kiosk: false
            }
        );
        assert_eq!(a.log, LevelFilter::Info);
    }

    #[test]
    fn kiosk_mode_is_fullscreen_only() {
        assert_eq!(
            parse(&["--kiosk"]).expect("valid").mode,
            Mode::Kiosk {
                demo: false,
                fullscreen: None,
                kiosk: true
            }
        );
        assert!(parse(&["--kiosk", "--fullscreen"]).is_ok());
        assert!(parse(&["--kiosk", "--windowed"]).is_err());
    }

    #[test]
    fn kiosk_mode_reaches_the_production_wiring() {
        assert!(parse(&["--kiosk"]).expect("valid").overrides.kiosk);
        assert!(!parse(&[]).expect("valid").overrides.kiosk);
        assert!(!parse(&["--fullscreen"]).expect("valid").overrides.kiosk);
    }

    #[test]
    fn demo_windowed_and_log_level() {
        let a = parse(&["--demo", "--windowed", "--log", "trace"]).expect("valid");
        assert_eq!(
            a.mode,
            Mode::Kiosk {
                demo: true,
                fullscreen: Some(false),
                kiosk: false
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
    fn demo_export_takes_a_directory_and_an_encoding() {
        assert_eq!(
            parse(&["demo-export", "out"]).expect("valid").mode,
            Mode::DemoExport {
                dir: PathBuf::from("out"),
                encoding: "shift_jis".into()
            }
        );
        assert_eq!(
            parse(&["demo-export", "out", "--encoding", "utf-8"])
                .expect("valid")
                .mode,
            Mode::DemoExport {
                dir: PathBuf::from("out"),
                encoding: "utf-8".into()
            }
        );
        assert!(parse(&["demo-export"]).is_err());
        assert!(parse(&["--encoding", "utf-8"]).is_err());
    }

    #[test]
    fn diagnostics_take_a_reader_and_json() {
        assert_eq!(parse(&["readers"]).expect("valid").mode, Mode::Readers);
        assert_eq!(
            parse(&["read-cert", "--reader", "ACS", "--json"])
                .expect("valid")
                .mode,
            Mode::ReadCert {
                reader: Some("ACS".to_owned()),
                json: true
            }
        );
        assert_eq!(
            parse(&["read-cert"]).expect("valid").mode,
            Mode::ReadCert {
                reader: None,
                json: false
            }
        );
        assert_eq!(
            parse(&["--reader", "X", "pin-status"]).expect("valid").mode,
            Mode::PinStatus {
                reader: Some("X".to_owned())
            }
        );
        assert!(parse(&["pin-status", "--json"]).is_err());
        assert!(parse(&["readers", "--reader", "X"]).is_err());
        assert!(parse(&["read-cert", "--reader"]).is_err());
        assert!(parse(&["--json"]).is_err(), "no subcommand");
        assert!(parse(&["readers", "screenshots", "d"]).is_err());
        assert!(parse(&["readers", "pin-status"]).is_err());
    }

    #[test]
    fn virtual_card_takes_an_address_and_a_card_or_lists() {
        assert_eq!(
            parse(&[
                "virtual-card",
                "--vpcd",
                "127.0.0.1:40000",
                "--card",
                "taro"
            ])
            .expect("valid")
            .mode,
            Mode::VirtualCard {
                vpcd: "127.0.0.1:40000".parse().expect("an address"),
                card: "taro".to_owned()
            }
        );
        assert_eq!(
            parse(&["virtual-card", "--card", "taro"])
                .expect("valid")
                .mode,
            Mode::VirtualCard {
                vpcd: DEFAULT_VPCD.parse().expect("an address"),
                card: "taro".to_owned()
            }
        );
        assert_eq!(
            parse(&["virtual-card", "--list"]).expect("valid").mode,
            Mode::VirtualCardList
        );
        assert!(parse(&["virtual-card"]).is_err(), "no card");
        assert!(parse(&["virtual-card", "--vpcd", "localhost", "--card", "t"]).is_err());
        assert!(parse(&["virtual-card", "--list", "--card", "taro"]).is_err());
    }

    #[test]
    fn bench_card_needs_a_reader_and_positive_runs() {
        assert_eq!(
            parse(&["bench-card", "--reader", "R", "--runs", "7"])
                .expect("valid")
                .mode,
            Mode::BenchCard {
                reader: "R".to_owned(),
                runs: 7,
                card: "taro".to_owned()
            }
        );
        assert!(parse(&["bench-card"]).is_err());
        assert!(parse(&["bench-card", "--reader", "R", "--runs", "0"]).is_err());
        assert!(parse(&["bench-card", "--reader", "R", "--runs", "x"]).is_err());
    }

    #[test]
    fn bench_takes_runs_parts_and_builds() {
        assert_eq!(
            parse(&["bench"]).expect("valid").mode,
            Mode::Bench {
                runs: 20,
                parts: BENCH_PARTS.iter().map(|p| (*p).to_owned()).collect(),
                production: None,
                baseline: None,
                display: None,
                delays_ms: vec![25],
            }
        );
        assert_eq!(
            parse(&[
                "bench",
                "--runs",
                "12",
                "--only",
                "startup,idle",
                "--production",
                "p",
                "--baseline",
                "b",
                "--display",
                ":5",
                "--delay",
                "0,25,50"
            ])
            .expect("valid")
            .mode,
            Mode::Bench {
                runs: 12,
                parts: vec!["startup".to_owned(), "idle".to_owned()],
                production: Some(PathBuf::from("p")),
                baseline: Some(PathBuf::from("b")),
                display: Some(":5".to_owned()),
                delays_ms: vec![0, 25, 50],
            }
        );
        assert!(parse(&["bench", "--only", "startup,nap"]).is_err());
        assert!(parse(&["bench", "--delay", "25,x"]).is_err());
        assert!(parse(&["bench", "--delay", "5000"]).is_err());
        assert!(parse(&["bench-card", "--reader", "R", "--delay", "5"]).is_err());
        assert!(parse(&["bench", "--runs", "0"]).is_err());
        assert!(parse(&["bench", "--reader", "R"]).is_err());
        assert!(parse(&["bench-card", "--reader", "R", "--only", "check"]).is_err());
        assert!(parse(&["--display", ":1"]).is_err(), "no subcommand");
    }

    #[cfg(feature = "demo")]
    #[test]
    fn demo_card_lines_are_tab_separated() {
        assert_eq!(
            demo_card_line("taro", "1234", "資格 太郎"),
            "taro\t1234\t資格 太郎"
        );
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
