//! Helpers shared by the tests that drive a real window under Xvfb (`gui_smoke`,
//! `wine_smoke`): processes that die with the test, tool calls with a deadline, a private
//! Xvfb, and screenshots as pixels.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread::{self, sleep};
use std::time::{Duration, Instant};

use myna_kakunin::app::SETTLE_MS;
use myna_kakunin::shell::png::write_png;

/// Every tool call (xdotool, import) ends within this many seconds.
const TOOL_LIMIT_SECS: &str = "15";

/// How long input waits once the window is seen showing a new screen: the kiosk ignores a
/// click or key that comes within [`SETTLE_MS`] of a screen change (double-tap protection).
pub const SETTLE_PAUSE: Duration = Duration::from_millis(SETTLE_MS + 50);

/// The first line a child writes to `stdout`, waited for at most `limit`.
pub fn first_line(stdout: ChildStdout, limit: Duration) -> Option<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(limit).ok()
}

/// A child process killed when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A command with no standard input.
pub fn tool(name: &str) -> Command {
    let mut c = Command::new(name);
    c.stdin(Stdio::null());
    c
}

/// Runs `c` under `timeout`; panics with its standard error if it fails.
pub fn run(c: Command, what: &str) -> Output {
    // Every tool call is bounded by `timeout`, so a stuck X client cannot hang the test.
    let mut t = tool("timeout");
    t.arg(TOOL_LIMIT_SECS).arg(c.get_program());
    t.args(c.get_args());
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            t.env(k, v);
        }
    }
    let out = t
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run ({e}); is it installed?"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// An Xvfb of the test's own. Dropped, it is asked to stop (SIGTERM, so that it removes
/// its lock file and socket) and killed if it has not within two seconds.
pub struct Xvfb(Child);

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = tool("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Xvfb with a 24-bit `screen` (e.g. "1280x800x24") on a display it finds free
/// itself (`-displayfd`), and waits until it is ready; returns it and its display name.
pub fn start_xvfb(screen: &str) -> (Xvfb, String) {
    start_xvfb_with(screen, &[])
}

/// [`start_xvfb`] with more arguments for Xvfb (`-noreset`: the server does not reset when
/// its last client leaves, for tests whose clients come and go).
pub fn start_xvfb_with(screen: &str, extra: &[&str]) -> (Xvfb, String) {
    let mut child = tool("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            screen,
            "-nolisten",
            "tcp",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb runs (apt-get install xvfb)");
    let stdout = child.stdout.take().expect("piped stdout");
    let xvfb = Xvfb(child);
    // Xvfb writes the display number once it accepts connections.
    let line =
        first_line(stdout, Duration::from_secs(10)).expect("Xvfb names its display within 10 s");
    let n: u32 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("Xvfb said {line:?}"));
    (xvfb, format!(":{n}"))
}

/// The window's content as 0x00RRGGBB pixels, via ImageMagick's `import`.
pub fn screenshot(display: &str, window: &str) -> (usize, usize, Vec<u32>) {
    let mut c = tool("import");
    c.args([
        "-display", display, "-window", window, "-depth", "8", "ppm:-",
    ]);
    parse_ppm(&run(c, "import").stdout)
}

/// Pixels of a binary PPM (P6, 8 bits) as 0x00RRGGBB.
pub fn parse_ppm(data: &[u8]) -> (usize, usize, Vec<u32>) {
    // P6 <ws> width <ws> height <ws> 255 <single ws> RGB...
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..i]).into_owned());
    }
    assert_eq!(fields[0], "P6", "import wrote a binary PPM");
    let w: usize = fields[1].parse().expect("width");
    let h: usize = fields[2].parse().expect("height");
    let rgb = &data[i + 1..];
    assert_eq!(rgb.len(), w * h * 3, "PPM body size");
    let px = rgb
        .chunks_exact(3)
        .map(|p| u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]))
        .collect();
    (w, h, px)
}

/// How [`wait_for_pixels`] compares a window with its expected image.
pub struct Expect<'a> {
    /// The expected pixels, `size.0 × size.1`, row by row.
    pub want: &'a [u32],
    /// Width and height of the expected image.
    pub size: (usize, usize),
    /// Which pixel indices are compared (a moving countdown may be left out).
    pub compared: &'a dyn Fn(usize) -> bool,
    /// How long the window may take to show it.
    pub deadline: Duration,
    /// How often a screenshot is taken.
    pub poll: Duration,
    /// Where the screenshots go.
    pub dir: &'a Path,
}

/// Waits until `window` shows exactly `e.want` on every compared pixel and is not one
/// uniform colour; saves it as `<name>.png`, then lets [`SETTLE_PAUSE`] pass, so a click or
/// key sent next is taken even when the screen has only just changed (every input after a
/// screen change must come after this wait). At the deadline it saves the window and the
/// expected image beside each other and panics with the number of differing pixels.
pub fn wait_for_pixels(display: &str, window: &str, e: &Expect<'_>, name: &str) {
    let save = |file: String, w: usize, h: usize, px: &[u32]| {
        let mut f = fs::File::create(e.dir.join(file)).expect("artifact file");
        write_png(&mut f, w as u32, h as u32, px).expect("artifact written");
    };
    let deadline = Instant::now() + e.deadline;
    loop {
        let (w, h, got) = screenshot(display, window);
        let blank = got.iter().all(|&p| p == got[0]);
        let differing = if (w, h) == e.size {
            got.iter()
                .zip(e.want)
                .enumerate()
                .filter(|(i, (a, b))| a != b && (e.compared)(*i))
                .count()
        } else {
            usize::MAX
        };
        if differing == 0 && !blank {
            save(format!("{name}.png"), w, h, &got);
            // Seen now, so shown since at most now: input after the pause is taken.
            sleep(SETTLE_PAUSE);
            return;
        }
        if Instant::now() > deadline {
            save(format!("{name}-window.png"), w, h, &got);
            save(format!("{name}-expected.png"), e.size.0, e.size.1, e.want);
            panic!(
                "{name}: window ({w}x{h}, blank: {blank}) differs from the headless render in \
                 {differing} pixels; see {}",
                e.dir.display()
            );
        }
        sleep(e.poll);
    }
}
