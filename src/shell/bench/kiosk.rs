//! The real kiosk window under Xvfb: start-up to the first passcode frame, and what it
//! costs while nothing happens.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::process::{self, Line, Proc};
use crate::app::{UiAction, SETTLE_MS};
use crate::shell::demo;
use crate::shell::headless::{render_app, Session};
use crate::ui::render::Frame;
use crate::ui::screens::{view, Size};
use crate::ui::text::Text;

/// How long the first frame may take before a run counts as failed.
const FIRST_FRAME_DEADLINE: Duration = Duration::from_secs(20);
/// How long a screen change may take after input.
const SCREEN_DEADLINE: Duration = Duration::from_secs(20);
/// How long input waits after a screen change: the kiosk ignores a click that comes within
/// [`SETTLE_MS`] of one (double-tap protection).
const SETTLE_PAUSE: Duration = Duration::from_millis(SETTLE_MS + 50);

/// One start of the kiosk.
#[derive(Debug, Clone, PartialEq)]
pub struct StartRun {
    /// What the kiosk logs: from the start of `main` to its first frame presented.
    pub in_process_ms: f64,
    /// From just before the parent spawned the process to the parent reading that log line
    /// (adds exec, dynamic loading and the runtime's start).
    pub spawn_ms: f64,
    /// The first frame's drawing (scene and pixels) and presenting, as the kiosk logs them
    /// at trace level; `None` for a binary that does not log them.
    pub draw_ms: Option<f64>,
    /// See `draw_ms`.
    pub present_ms: Option<f64>,
    /// The milestones the kiosk logs at debug level on the way (ms after the start of
    /// `main`): app and backends ready, display connected, window open.
    pub milestones: Vec<(String, f64)>,
}

/// The start-up milestones the kiosk logs, in order, as the bench names them.
pub const MILESTONES: [(&str, &str); 3] = [
    ("app and backends ready", "app and backends ready"),
    ("display connected", "X display connected"),
    ("window open", "window created"),
];

/// The kiosk's command line: the binary and its arguments (before `--log trace`).
#[derive(Debug, Clone)]
pub struct KioskCommand {
    /// The binary.
    pub exe: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Environment variables to set for it.
    pub env: Vec<(String, String)>,
}

impl KioskCommand {
    /// This binary as the demo kiosk in a 1280×800 window.
    pub fn demo(exe: &Path) -> Self {
        Self {
            exe: exe.into(),
            args: vec!["--demo".into(), "--windowed".into()],
            env: Vec::new(),
        }
    }

    /// This binary as the demo kiosk at a display scale of `scale` (winit's
    /// WINIT_X11_SCALE_FACTOR): a 1280×800 logical window of `scale` times the pixels.
    pub fn demo_at_scale(exe: &Path, scale: &str) -> Self {
        Self {
            env: vec![("WINIT_X11_SCALE_FACTOR".to_owned(), scale.to_owned())],
            ..Self::demo(exe)
        }
    }

    fn spawn(&self, display: &str) -> Result<(Proc, Receiver<Line>), String> {
        let mut command = Command::new(&self.exe);
        command
            .args(&self.args)
            .args(["--log", "trace"])
            .env("DISPLAY", display)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut proc = Proc::start("the kiosk", &mut command)?;
        let lines = proc
            .stderr_lines()
            .ok_or("the kiosk's log is not captured")?;
        Ok((proc, lines))
    }
}

/// Starts the kiosk once, until its first frame; then stops it.
pub fn start_once(command: &KioskCommand, display: &str) -> Result<StartRun, String> {
    let spawned = Instant::now();
    let (proc, lines) = command.spawn(display)?;
    let mut drawn = None;
    let mut milestones = Vec::new();
    let (at, line) = process::wait_line(
        &lines,
        FIRST_FRAME_DEADLINE,
        "the first frame",
        |(_, l)| {
            if drawn.is_none() {
                drawn = frame_times(l);
            }
            if let Some(m) = milestone(l) {
                milestones.push(m);
            }
        },
        |l| l.contains("first frame"),
    )?;
    proc.stop();
    let in_process_ms = first_frame_ms(&line).ok_or(format!("unreadable: {line}"))?;
    // Let the X server settle between starts.
    sleep(Duration::from_millis(200));
    Ok(StartRun {
        in_process_ms,
        spawn_ms: ms(at - spawned),
        draw_ms: drawn.map(|(d, _)| d),
        present_ms: drawn.map(|(_, p)| p),
        milestones,
    })
}

/// ("window created", 31.2) from "start-up: window open 31.2 ms after start".
fn milestone(line: &str) -> Option<(String, f64)> {
    let rest = &line[line.find("start-up: ")? + "start-up: ".len()..];
    MILESTONES.iter().find_map(|(logged, name)| {
        let ms = rest.strip_prefix(logged)?.trim_start().split(' ').next()?;
        Some(((*name).to_owned(), ms.parse().ok()?))
    })
}

/// "first frame 12.3 ms after start" (or whole milliseconds, as older builds log it).
fn first_frame_ms(line: &str) -> Option<f64> {
    let rest = &line[line.find("first frame ")? + "first frame ".len()..];
    rest.split(' ').next()?.parse().ok()
}

/// (drawn, presented) from "frame N WxH: drawn in X ms, presented in Y ms".
fn frame_times(line: &str) -> Option<(f64, f64)> {
    let drawn = &line[line.find("drawn in ")? + "drawn in ".len()..];
    let presented = &line[line.find("presented in ")? + "presented in ".len()..];
    Some((
        drawn.split(' ').next()?.parse().ok()?,
        presented.split(' ').next()?.parse().ok()?,
    ))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What the demo kiosk's window shows after its first frame, compared with the headless
/// renderer's パスコード入力: whether every pixel is the same.
pub fn first_frame_matches(exe: &Path, display: &str) -> Result<bool, String> {
    let command = KioskCommand::demo(exe);
    let (proc, lines) = command.spawn(display)?;
    process::wait_line(
        &lines,
        FIRST_FRAME_DEADLINE,
        "the first frame",
        |_| {},
        |l| l.contains("first frame"),
    )?;
    let window = window_of(&proc, display)?;
    let shot = process::tool(
        "import",
        &["-window", &window, "-depth", "8", "ppm:-"],
        Some(display),
    )?;
    proc.stop();
    let (w, h, pixels) = process::parse_ppm(&shot).ok_or("import wrote no PPM")?;
    let text = &mut Text::load().map_err(|_| "the embedded font does not parse")?;
    let (app, _) = demo::setup(demo::system_clock);
    let want = render_app(&app, Size::DESIGN, text, Frame::default());
    Ok((w, h) == (1280, 800) && pixels == want)
}

/// The X window id of the kiosk's window.
fn window_of(proc: &Proc, display: &str) -> Result<String, String> {
    let pid = proc.id().to_string();
    let found = process::tool(
        "xdotool",
        &["search", "--sync", "--onlyvisible", "--pid", &pid],
        Some(display),
    )?;
    String::from_utf8_lossy(&found)
        .lines()
        .next()
        .map(|l| l.trim().to_owned())
        .ok_or_else(|| "xdotool found no window".to_owned())
}

/// What the kiosk used while left alone on one screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Idle {
    /// The screen (the app's state name).
    pub screen: String,
    /// How long it was left alone.
    pub seconds: f64,
    /// CPU time used meanwhile, all threads, user plus system (10 ms resolution).
    pub cpu_ms: f64,
    /// Frames drawn meanwhile.
    pub frames: usize,
}

/// The demo kiosk's idle cost on パスコード入力 and then on 認証選択 (after the passcode,
/// typed with real key events, and お知らせ closed with a real click), and its memory.
#[derive(Debug, Clone, PartialEq)]
pub struct IdleReport {
    /// Each screen it was left on.
    pub screens: Vec<Idle>,
    /// The window process's peak resident memory (VmHWM) at the end, in kB.
    pub peak_kb: Option<u64>,
    /// Its resident memory (VmRSS) at the end, in kB.
    pub rss_kb: Option<u64>,
}

/// Runs the demo kiosk and leaves it alone for `seconds` on each screen (after 2 s for it
/// to settle: the font's parse ends within them).
pub fn idle(exe: &Path, display: &str, seconds: u64) -> Result<IdleReport, String> {
    let (proc, lines) = KioskCommand::demo(exe).spawn(display)?;
    let mut log = KioskLog {
        screen: "EnterPasscode".to_owned(),
        frames: 0,
    };
    let first = process::wait_line(
        &lines,
        FIRST_FRAME_DEADLINE,
        "the first frame",
        |l| log.note(l),
        |l| l.contains("first frame"),
    )?;
    log.note(&first);
    let hz = process::ticks_per_second() as f64;
    let mut screens = vec![leave_alone(&proc, &lines, &mut log, seconds, hz)?];

    // Log in with real key presses, then close お知らせ with a real click.
    let window = window_of(&proc, display)?;
    process::tool(
        "xdotool",
        &["windowfocus", "--sync", &window],
        Some(display),
    )?;
    let digits: Vec<String> = demo::PASSCODE.chars().map(String::from).collect();
    let mut args = vec!["key", "--delay", "50"];
    args.extend(digits.iter().map(String::as_str));
    process::tool("xdotool", &args, Some(display))?;
    let mut expected = Session::from_pair(demo::setup(demo::system_clock));
    for d in demo::PASSCODE.bytes() {
        expected.act_and_settle(UiAction::Digit(d - b'0'));
    }
    let after_login = expected.app().state().name();
    log.wait_screen(&lines, after_login)?;
    if after_login == "Notices" {
        let text = Text::load().map_err(|_| "the embedded font does not parse")?;
        let scene = view(expected.app(), Size::DESIGN, &text);
        let (x, y) = scene
            .rect_of(UiAction::Close)
            .ok_or("お知らせ has no 閉じる")?
            .center();
        let (x, y) = (x.to_string(), y.to_string());
        // お知らせ has only just appeared: a click now would not be taken.
        sleep(SETTLE_PAUSE);
        let click = ["mousemove", "--window", &window, &x, &y, "click", "1"];
        process::tool("xdotool", &click, Some(display))?;
        log.wait_screen(&lines, "SelectAuth")?;
    }
    screens.push(leave_alone(&proc, &lines, &mut log, seconds, hz)?);
    let peak_kb = process::status_kb(Some(proc.id()), "VmHWM");
    let rss_kb = process::status_kb(Some(proc.id()), "VmRSS");
    proc.stop();
    Ok(IdleReport {
        screens,
        peak_kb,
        rss_kb,
    })
}

/// What the kiosk's log has said so far: its screen and how many frames it drew.
struct KioskLog {
    screen: String,
    frames: usize,
}

impl KioskLog {
    fn note(&mut self, (_, line): &Line) {
        if line.contains("] screen ") {
            if let Some(to) = line.split(" -> ").nth(1) {
                self.screen = to.trim().to_owned();
            }
        }
        if line.contains("presented in") {
            self.frames += 1;
        }
    }

    fn catch_up(&mut self, lines: &Receiver<Line>) {
        for line in process::drain(lines) {
            self.note(&line);
        }
    }

    /// Waits for the log line of the change to screen `to`.
    fn wait_screen(&mut self, lines: &Receiver<Line>, to: &str) -> Result<(), String> {
        let want = format!("-> {to}");
        let line = process::wait_line(
            lines,
            SCREEN_DEADLINE,
            &format!("the screen {to}"),
            |l| self.note(l),
            |l| l.contains("] screen ") && l.trim_end().ends_with(&want),
        )?;
        self.note(&line);
        Ok(())
    }
}

/// Leaves the kiosk alone for 2 s, then measures `seconds` more.
fn leave_alone(
    proc: &Proc,
    lines: &Receiver<Line>,
    log: &mut KioskLog,
    seconds: u64,
    hz: f64,
) -> Result<Idle, String> {
    sleep(Duration::from_secs(2));
    log.catch_up(lines);
    let (frames_before, cpu_before) = (log.frames, process::cpu_ticks(proc.id()));
    let started = Instant::now();
    sleep(Duration::from_secs(seconds));
    let cpu_after = process::cpu_ticks(proc.id());
    let elapsed = started.elapsed();
    log.catch_up(lines);
    let (Some(before), Some(after)) = (cpu_before, cpu_after) else {
        return Err("cannot read the kiosk's CPU time from /proc".to_owned());
    };
    Ok(Idle {
        screen: log.screen.clone(),
        seconds: elapsed.as_secs_f64(),
        cpu_ms: after.saturating_sub(before) as f64 * 1000.0 / hz,
        frames: log.frames - frames_before,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kiosks_log_lines() {
        let line = "10:01:52 [INFO] first frame 41.7 ms after start";
        assert_eq!(first_frame_ms(line), Some(41.7));
        assert_eq!(
            first_frame_ms("[INFO] first frame 266 ms after start"),
            Some(266.0)
        );
        assert_eq!(first_frame_ms("[INFO] frame 1"), None);
        let frame = "[TRACE] frame 1 1280x800: drawn in 2.31 ms, presented in 0.52 ms";
        assert_eq!(frame_times(frame), Some((2.31, 0.52)));
        let window = "[DEBUG] start-up: window open 31.2 ms after start";
        assert_eq!(milestone(window), Some(("window created".to_owned(), 31.2)));
        let ready = "[DEBUG] start-up: app and backends ready 2.5 ms after start";
        assert_eq!(
            milestone(ready),
            Some(("app and backends ready".to_owned(), 2.5))
        );
        assert_eq!(milestone(frame), None);
        assert_eq!(frame_times("[TRACE] >>> 00 A4 04 0C"), None);
    }
}
