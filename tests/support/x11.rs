//! Helpers shared by the tests that drive a real window under Xvfb (`gui_smoke`,
//! `wine_smoke`): processes that die with the test, tool calls with a deadline, a private
//! Xvfb, and screenshots as pixels.

use std::ops::Range;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Every tool call (xdotool, import) ends within this many seconds.
const TOOL_LIMIT_SECS: &str = "15";

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

/// Starts Xvfb on a free display of `displays` with a 24-bit `screen` (e.g. "1280x800x24").
pub fn start_xvfb(displays: Range<u32>, screen: &str) -> (Killed, String) {
    for n in displays {
        if Path::new(&format!("/tmp/.X{n}-lock")).exists()
            || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
        {
            continue;
        }
        let display = format!(":{n}");
        let child = tool("Xvfb")
            .args([display.as_str(), "-screen", "0", screen, "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (apt-get install xvfb)");
        let mut xvfb = Killed(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                return (xvfb, display);
            }
            if let Ok(Some(_)) = xvfb.0.try_wait() {
                break; // lost a race for this display; try the next one
            }
            sleep(Duration::from_millis(50));
        }
        drop(xvfb);
    }
    panic!("no free X display for Xvfb");
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
