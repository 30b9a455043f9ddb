//! Qualification checks end to end through the production code paths: the app (`App::step`)
//! with the production backends, a PC/SC reader (app → libpcsclite → pcscd → vpcd → the demo
//! card in its own `virtual-card` process) and the HTTPS client (ureq + rustls/ring → the
//! reference center in its own `reference-center` process, over TLS on loopback). Each
//! command runs through `shell::worker::execute`, as on the kiosk's worker thread; each event
//! is stepped and a frame drawn (scene and pixels, 1280×800), as on its UI thread. The time
//! of each part is kept apart: the app's own (steps and frames), the card's (every card
//! command: PC/SC context, connect, transaction, APDUs, disconnect) and the network's (every
//! center command: TCP, TLS handshake, request, the center's work, response).
//!
//! pcsc-lite serves one socket per host: the bench starts its own pcscd and refuses to run
//! beside another one.

use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::mpsc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::process::{self, Proc};
use crate::app::{App, Boot, Command, Event, Millis, UiAction, SETTLE_MS};
use crate::card::pcsc::{self, PcscReader};
use crate::card::virtual_card::demo_cards;
use crate::card::{jpki, CardError};
use crate::center::client::{ClientConfig, HttpsCenter, Trust};
use crate::shell::demo;
use crate::shell::diagnostics::{CountingChannel, Exchange};
use crate::shell::worker::{execute, Backends, ReaderBackend};
use crate::ui::canvas::Canvas;
use crate::ui::render::{render, Frame};
use crate::ui::screens::{view, Size};
use crate::ui::text::Text;

/// TEST-ONLY TLS material of tests/pki/tls (see its README): the reference center's server
/// certificate and key, and the CA the client trusts for it.
const TLS_CERT_PEM: &[u8] = include_bytes!("../../../tests/pki/tls/server.cert.pem");
const TLS_KEY_PEM: &[u8] = include_bytes!("../../../tests/pki/tls/server.key.pem");
const TLS_CA_PEM: &[u8] = include_bytes!("../../../tests/pki/tls/ca.cert.pem");

/// vpcd's port for the bench's reader (its slot 0), and the reader's name.
const VPCD_PORT: u16 = 40100;
/// The reader pcscd makes of it.
pub const READER: &str = "Bench VPCD 00 00";
/// The demo card on the reader.
const CARD: &str = "taro";

/// How long pcscd, the card and the center may take to come up.
const START_DEADLINE: Duration = Duration::from_secs(10);
/// How long the checks may take in all, per check, beyond a minute.
const PER_CHECK_DEADLINE: Duration = Duration::from_secs(10);

/// What one check cost, by part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckTimes {
    /// `App::step`, every event.
    pub step: Duration,
    /// Scenes built and drawn, one frame per event.
    pub render: Duration,
    /// Frames drawn.
    pub frames: u32,
    /// Card commands through `execute` (PC/SC).
    pub card: Duration,
    /// Center commands through `execute` (HTTPS).
    pub center: Duration,
    /// Other commands (saving settings: none here).
    pub other: Duration,
    /// Everything, from the first event to the result drawn.
    pub wall: Duration,
    /// The commands, in order, with their times.
    pub commands: Vec<(&'static str, Duration)>,
}

impl CheckTimes {
    /// The app's own time: steps and frames.
    pub fn app(&self) -> Duration {
        self.step + self.render
    }
}

/// The APDUs of one card command, as `CountingChannel` saw them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apdus {
    /// The card command (`ReadCertificate`, `QueryPinTries`, `Authenticate`).
    pub command: &'static str,
    /// Its APDUs in order.
    pub exchanges: Vec<Exchange>,
}

/// The results of the checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// The pcscd reader.
    pub reader: String,
    /// The certificate's length in bytes.
    pub cert_len: usize,
    /// Log-in (passcode, session renewal, version, お知らせ) up to 認証選択.
    pub login: CheckTimes,
    /// 目視 checks: card placed → certificate read → center → 読み取り完了 → 次へ → result.
    pub visual: Vec<CheckTimes>,
    /// 暗証番号 checks: 次へ → OK → tries → 4 digits → 次へ → 読み取り → challenge → VERIFY +
    /// SIGN + read → center → 読み取り完了 → 次へ → result.
    pub pin: Vec<CheckTimes>,
    /// The APDUs of a 目視 check.
    pub visual_apdus: Vec<Apdus>,
    /// The APDUs of a 暗証番号 check.
    pub pin_apdus: Vec<Apdus>,
    /// This process's resident memory before the checks (the font not parsed yet), in kB.
    pub rss_before_kb: Option<u64>,
    /// Its peak resident memory (VmHWM) after them, in kB.
    pub peak_kb: Option<u64>,
    /// Its resident memory after them, in kB.
    pub rss_after_kb: Option<u64>,
}

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Result<Self, String> {
        let path = std::env::temp_dir().join(format!("myna-bench-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// pcscd with the bench's vpcd reader, the demo card on it and the reference center.
struct Stack {
    // Dropped in this order: the center, the card, then pcscd.
    _center: Proc,
    _card: Proc,
    _pcscd: Proc,
    _dir: TempDir,
    url: String,
}

fn start_stack(exe: &Path) -> Result<Stack, String> {
    match pcsc::list_readers() {
        Err(CardError::NoService) => {}
        other => {
            return Err(format!(
                "a pcscd is already running ({other:?}): pcsc-lite allows one per host and the \
                 bench starts its own; stop it (`pgrep -a pcscd`) and run the bench again"
            ))
        }
    }
    let dir = TempDir::new("check")?;
    let conf = dir.0.join("reader.conf.d");
    fs::create_dir_all(&conf).map_err(|e| format!("{}: {e}", conf.display()))?;
    let vpcd = format!(
        "FRIENDLYNAME \"Bench VPCD\"\nDEVICENAME /dev/null:0x{VPCD_PORT:04X}\n\
         LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x{VPCD_PORT:04X}\n"
    );
    fs::write(conf.join("vpcd"), vpcd).map_err(|e| format!("reader.conf: {e}"))?;
    let mut pcscd = Proc::start(
        "pcscd (apt-get install pcscd vsmartcard-vpcd)",
        Process::new("pcscd")
            .arg("-f")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )?;
    wait_until(START_DEADLINE, "pcscd", || {
        if pcscd.exited() {
            return Err("pcscd exited at start".to_owned());
        }
        Ok(pcsc::list_readers().is_ok())
    })?;
    let card = Proc::start(
        "the demo card",
        Process::new(exe)
            .args(["virtual-card", "--vpcd"])
            .arg(format!("127.0.0.1:{VPCD_PORT}"))
            .args(["--card", CARD, "--log", "warn"])
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )?;
    wait_until(START_DEADLINE, "the card on the reader", || {
        Ok(pcsc::list_readers_with_state()
            .map_err(|e| format!("{e:?}"))?
            .iter()
            .any(|r| r.name == READER && r.card_present))
    })?;
    let (cert, key) = (dir.0.join("server.cert.pem"), dir.0.join("server.key.pem"));
    fs::write(&cert, TLS_CERT_PEM).map_err(|e| format!("{}: {e}", cert.display()))?;
    fs::write(&key, TLS_KEY_PEM).map_err(|e| format!("{}: {e}", key.display()))?;
    let mut center = Proc::start(
        "the reference center",
        Process::new(exe)
            .args(["reference-center", "--listen", "127.0.0.1:0"])
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .args(["--log", "warn"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    )?;
    let lines = center
        .stdout_lines()
        .ok_or("the center's output is not captured")?;
    let (_, line) = process::wait_line(
        &lines,
        START_DEADLINE,
        "the reference center",
        |_| {},
        |l| l.contains("listening on "),
    )?;
    let url = line
        .split("listening on ")
        .nth(1)
        .ok_or("no URL")?
        .trim()
        .to_owned();
    Ok(Stack {
        _center: center,
        _card: card,
        _pcscd: pcscd,
        _dir: dir,
        url,
    })
}

/// Polls `ready` every 20 ms until it says yes, fails, or `deadline` passes.
fn wait_until(
    deadline: Duration,
    what: &str,
    mut ready: impl FnMut() -> Result<bool, String>,
) -> Result<(), String> {
    let end = Instant::now() + deadline;
    loop {
        if ready()? {
            return Ok(());
        }
        if Instant::now() >= end {
            return Err(format!("{what}: not ready within {deadline:?}"));
        }
        sleep(Duration::from_millis(20));
    }
}

/// Starts the stack, runs `runs` checks of each kind after log-in, and stops the stack.
/// The checks run on their own thread so that a hung PC/SC or HTTPS call cannot hold the
/// bench past its deadline: stopping the stack then ends the call.
pub fn run(exe: &Path, runs: usize) -> Result<CheckReport, String> {
    let stack = start_stack(exe)?;
    let url = stack.url.clone();
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("bench-checks".into())
        .spawn(move || {
            let _ = tx.send(checks(&url, runs));
        })
        .map_err(|e| format!("no thread for the checks: {e}"))?;
    let checks_per_run = u32::try_from(2 * runs + 1).unwrap_or(u32::MAX);
    let deadline = Duration::from_secs(60) + PER_CHECK_DEADLINE * checks_per_run;
    let report = rx
        .recv_timeout(deadline)
        .map_err(|_| format!("the checks did not finish within {deadline:?}"));
    drop(stack);
    report?
}

/// The app driven synchronously like the kiosk: each command through `execute`, each event
/// stepped and drawn, with the time of each part.
pub(super) struct Timed {
    pub(super) app: App,
    pub(super) backends: Backends,
    text: Text,
    pixels: Vec<u32>,
    pending: VecDeque<Command>,
    start: Instant,
    /// How far the app's clock runs ahead of the real one: a person's press comes at least
    /// [`SETTLE_MS`] after the screen changed (an earlier one is ignored), so each press
    /// moves the app's clock that far on without the bench waiting for it.
    pub(super) ahead_ms: u64,
    times: CheckTimes,
    started: Instant,
}

/// Which part a command's time belongs to.
enum Part {
    Card,
    Center,
    Other,
}

fn part(command: &Command) -> Part {
    match command {
        Command::ReadCertificate
        | Command::QueryPinTries { .. }
        | Command::Authenticate { .. }
        | Command::ReadCertificateWithPin { .. }
        | Command::AuthenticateOnPhone { .. }
        | Command::ListReaders
        | Command::UseReader(_) => Part::Card,
        Command::CheckQualification(_)
        | Command::GetChallenge
        | Command::CheckQualificationWithPin { .. }
        | Command::Register(_)
        | Command::Login { .. }
        | Command::RenewSession { .. }
        | Command::CheckVersion
        | Command::FetchNotices
        | Command::MarkNoticesRead(_)
        | Command::ChangePassword { .. }
        | Command::Logout
        | Command::Deregister => Part::Center,
        Command::SaveSettings(_)
        | Command::OpenUrl(_)
        | Command::DemoPlaceCard(_)
        | Command::DemoRemoveCard
        | Command::ExportResult { .. }
        | Command::CopyResult(_)
        | Command::ClearClipboard
        | Command::Quit => Part::Other,
    }
}

impl Timed {
    /// The app with `backends`, drawn with `text`, its clock starting now.
    pub(super) fn new(app: App, backends: Backends, text: Text) -> Timed {
        Timed {
            app,
            backends,
            text,
            pixels: vec![0; (Size::DESIGN.w * Size::DESIGN.h) as usize],
            pending: VecDeque::new(),
            start: Instant::now(),
            ahead_ms: 0,
            times: CheckTimes::default(),
            started: Instant::now(),
        }
    }

    /// Starts timing a new check.
    pub(super) fn reset(&mut self) {
        self.times = CheckTimes::default();
        self.started = Instant::now();
    }

    /// The times since `reset`.
    pub(super) fn take(&mut self) -> CheckTimes {
        let mut times = std::mem::take(&mut self.times);
        times.wall = self.started.elapsed();
        times
    }

    pub(super) fn state(&self) -> &'static str {
        self.app.state().name()
    }

    /// Steps the app with `event`, queues its commands and draws the frame it shows.
    pub(super) fn feed(&mut self, event: Event) {
        let real = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        let now = Millis(real).after(self.ahead_ms);
        let t = Instant::now();
        let commands = self.app.step(event, now);
        self.times.step += t.elapsed();
        self.pending.extend(commands);
        let t = Instant::now();
        let scene = view(&self.app, Size::DESIGN, &self.text);
        let (w, h) = (Size::DESIGN.w as u32, Size::DESIGN.h as u32);
        if let Some(mut canvas) = Canvas::new(&mut self.pixels, w, h) {
            render(&scene, &mut canvas, &mut self.text, Frame::default());
        }
        drop(scene);
        self.times.render += t.elapsed();
        self.times.frames += 1;
    }

    /// A person acts, and every command that follows runs.
    pub(super) fn act(&mut self, action: UiAction) -> Result<(), String> {
        self.ahead_ms = self.ahead_ms.saturating_add(SETTLE_MS);
        self.feed(Event::Ui(action));
        self.settle()
    }

    /// Runs the queued commands, and those their events queue, until none is left.
    pub(super) fn settle(&mut self) -> Result<(), String> {
        for _ in 0..64 {
            let Some(command) = self.pending.pop_front() else {
                return Ok(());
            };
            let (name, part) = (command.name(), part(&command));
            let t = Instant::now();
            let events = execute(&mut self.backends, command);
            let took = t.elapsed();
            match part {
                Part::Card => self.times.card += took,
                Part::Center => self.times.center += took,
                Part::Other => self.times.other += took,
            }
            self.times.commands.push((name, took));
            for event in events {
                self.feed(event);
            }
        }
        Err("the app did not settle after 64 commands".to_owned())
    }

    pub(super) fn expect_screen(&self, state: &str, what: &str) -> Result<(), String> {
        if self.state() == state {
            Ok(())
        } else {
            Err(format!("{what}: on {} rather than {state}", self.state()))
        }
    }
}

/// Registers with the center, logs in and runs the checks.
fn checks(url: &str, runs: usize) -> Result<CheckReport, String> {
    let mut report = CheckReport {
        reader: READER.to_owned(),
        rss_before_kb: process::status_kb(None, "VmRSS"),
        ..CheckReport::default()
    };
    // As the kiosk starts: the face parses beside everything else.
    let text = Text::load_in_background();
    let config = ClientConfig {
        trust: Trust::Pem(TLS_CA_PEM.to_vec()),
        ..ClientConfig::new(url)
    };
    let mut center = HttpsCenter::new(&config).map_err(|e| format!("HTTPS client: {e:?}"))?;
    // 初期登録 and パスコード登録 with the demo account, as a kiosk that was set up before.
    let settings = demo::register(&mut center)
        .map_err(|e| format!("registration failed: {}", e.log_name()))?;
    let mut t = Timed::new(
        App::new(Boot::Settings(Box::new(settings)), None),
        Backends {
            reader: ReaderBackend::Pcsc(PcscReader::new(Some(READER.to_owned()))),
            center: Box::new(center),
            store: None,
            export: None,
            clipboard: None,
        },
        text,
    );
    t.expect_screen("EnterPasscode", "the first screen")?;
    t.reset();
    for d in demo::PASSCODE.bytes() {
        t.act(UiAction::Digit(d - b'0'))?;
    }
    if t.state() == "Notices" {
        t.act(UiAction::Close)?;
    }
    t.expect_screen("SelectAuth", "after the passcode")?;
    report.login = t.take();

    // 目視: placing the card starts the read (the reader watch says so on the kiosk).
    for _ in 0..runs {
        t.reset();
        t.feed(Event::CardPresence(true));
        t.settle()?;
        t.expect_screen("ReadCard(Done)", "目視: after the card was placed")?;
        t.act(UiAction::Next)?;
        t.expect_screen("ShowResult", "目視: after 次へ")?;
        report.visual.push(t.take());
        t.act(UiAction::Close)?;
        t.feed(Event::CardPresence(false));
        t.expect_screen("SelectAuth", "目視: after 閉じる")?;
    }

    // 暗証番号: the setting is switched in セキュリティ設定 (behind the passcode); the card
    // stays on the reader.
    t.act(UiAction::OpenMenu)?;
    t.act(UiAction::Menu(crate::app::MenuItem::Security))?;
    t.expect_screen("SecurityPasscode", "セキュリティ設定")?;
    for d in demo::PASSCODE.bytes() {
        t.act(UiAction::Digit(d - b'0'))?;
    }
    t.expect_screen("Security", "セキュリティ設定 after the passcode")?;
    t.act(UiAction::ToggleVisualCheck)?;
    t.act(UiAction::Back)?;
    t.act(UiAction::Back)?;
    t.expect_screen("SelectAuth", "暗証番号 mode")?;
    t.feed(Event::CardPresence(true));
    let pin = demo_cards()
        .iter()
        .find(|c| c.id == CARD)
        .map(|c| c.pin)
        .ok_or("no demo card taro")?;
    for _ in 0..runs {
        t.reset();
        t.act(UiAction::Next)?;
        t.act(UiAction::Ok)?;
        // The card on the reader said its tries: the pad takes digits.
        t.expect_screen("EnterPin(Typing)", "暗証番号: after OK")?;
        for d in pin.bytes() {
            t.act(UiAction::Digit(d - b'0'))?;
        }
        // 次へ with the same card still there reads it at once.
        t.act(UiAction::Next)?;
        t.expect_screen("ReadCard(Done)", "暗証番号: after 次へ")?;
        t.act(UiAction::Next)?;
        t.expect_screen("ShowResult", "暗証番号: after the second 次へ")?;
        report.pin.push(t.take());
        t.act(UiAction::Close)?;
        t.expect_screen("SelectAuth", "暗証番号: after 閉じる")?;
    }
    report.peak_kb = process::status_kb(None, "VmHWM");
    report.rss_after_kb = process::status_kb(None, "VmRSS");
    drop(t);

    // The APDUs: the procedures the PC/SC reader runs for each card command, in one
    // transaction each, through a channel that records them.
    let mut reader = PcscReader::new(Some(READER.to_owned()));
    let (cert_len, exchanges) = reader
        .with_channel(|ch| {
            let mut counting = CountingChannel::new(ch);
            let (_, cert) = jpki::read_certificate(&mut counting)?;
            Ok((cert.der().len(), counting.into_exchanges()))
        })
        .map_err(|e| format!("certificate read: {e:?}"))?;
    report.cert_len = cert_len;
    report.visual_apdus.push(Apdus {
        command: "ReadCertificate",
        exchanges,
    });
    let (card, tries) = reader
        .with_channel(|ch| {
            let mut counting = CountingChannel::new(ch);
            let status = jpki::pin_status(&mut counting)?;
            Ok((status.card, counting.into_exchanges()))
        })
        .map_err(|e| format!("PIN tries: {e:?}"))?;
    let challenge = [0x5Au8; 32];
    let authenticate = reader
        .with_channel(|ch| {
            let mut counting = CountingChannel::new(ch);
            jpki::authenticate_card(&mut counting, pin.as_bytes(), &challenge, &card)?;
            Ok(counting.into_exchanges())
        })
        .map_err(|e| format!("PIN flow: {e:?}"))?;
    report.pin_apdus = vec![
        Apdus {
            command: "QueryPinTries",
            exchanges: tries,
        },
        Apdus {
            command: "Authenticate",
            exchanges: authenticate,
        },
    ];
    Ok(report)
}
