//! Child processes for `myna-kakunin bench`: started with their output captured line by line,
//! stopped on drop, every wait bounded; and what /proc says about a process.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// A line of a child's output and when the parent read it.
pub type Line = (Instant, String);

/// A child process, stopped when dropped: SIGTERM first (pcscd cleans up its socket), then
/// SIGKILL if it has not exited within [`STOP_GRACE`].
pub struct Proc {
    child: Child,
    name: String,
}

/// How long a process may take to exit after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(5);

impl Proc {
    /// Starts `command` with standard input closed. Its standard output and error are as
    /// the caller set them; piped ones are read with [`Proc::stdout_lines`] and
    /// [`Proc::stderr_lines`].
    pub fn start(name: &str, command: &mut Command) -> Result<Proc, String> {
        let child = command
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        Ok(Proc {
            child,
            name: name.to_owned(),
        })
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has exited.
    pub fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// The lines of its standard error (if piped), read on a thread as they come.
    pub fn stderr_lines(&mut self) -> Option<Receiver<Line>> {
        self.child.stderr.take().map(read_lines)
    }

    /// The lines of its standard output (if piped), read on a thread as they come.
    pub fn stdout_lines(&mut self) -> Option<Receiver<Line>> {
        self.child.stdout.take().map(read_lines)
    }

    /// Stops it now (SIGTERM, then SIGKILL after the grace period) and reaps it.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if self.exited() {
            return;
        }
        // std has no SIGTERM; kill(1) sends it.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let end = Instant::now() + STOP_GRACE;
        while Instant::now() < end {
            if self.exited() {
                return;
            }
            sleep(Duration::from_millis(10));
        }
        log::warn!("{} did not stop on SIGTERM; killed", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Reads `from` line by line on a thread; each line is stamped when it was read. The
/// thread ends when the pipe closes (the child exited or was stopped).
fn read_lines(from: impl Read + Send + 'static) -> Receiver<Line> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { return };
            if tx.send((Instant::now(), line)).is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits up to `deadline` for a line that `wanted` accepts; the lines before it are passed
/// to `seen`. An error names `what` when the deadline passes or the pipe closes.
pub fn wait_line(
    lines: &Receiver<Line>,
    deadline: Duration,
    what: &str,
    mut seen: impl FnMut(&Line),
    wanted: impl Fn(&str) -> bool,
) -> Result<Line, String> {
    let end = Instant::now() + deadline;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if wanted(&line.1) => return Ok(line),
            Ok(line) => seen(&line),
            Err(RecvTimeoutError::Timeout) => {
                return Err(format!("{what}: not seen within {deadline:?}"))
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(format!("{what}: the process ended first"))
            }
        }
    }
}

/// The lines that have arrived so far, without waiting.
pub fn drain(lines: &Receiver<Line>) -> Vec<Line> {
    lines.try_iter().collect()
}

/// Runs a short tool (xdotool, import, getconf) with a 10 s bound through timeout(1);
/// its standard output, or why it failed.
pub fn tool(program: &str, args: &[&str], display: Option<&str>) -> Result<Vec<u8>, String> {
    let mut c = Command::new("timeout");
    c.arg("10").arg(program).args(args).stdin(Stdio::null());
    if let Some(display) = display {
        c.env("DISPLAY", display);
    }
    let out = c
        .output()
        .map_err(|e| format!("{program}: cannot run ({e}); is it installed?"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// An Xvfb server with a 24-bit 1280×800 screen on a free display, stopped on drop.
pub struct Xvfb {
    /// Kept for its drop.
    _proc: Proc,
    /// `:N`.
    pub display: String,
}

/// Starts Xvfb on the first free display from :120.
pub fn start_xvfb() -> Result<Xvfb, String> {
    for n in 120..160 {
        if Path::new(&format!("/tmp/.X{n}-lock")).exists()
            || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
        {
            continue;
        }
        let display = format!(":{n}");
        let mut proc = Proc::start(
            "Xvfb",
            Command::new("Xvfb")
                .args([display.as_str(), "-screen", "0", "1280x800x24"])
                .args(["-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )?;
        let end = Instant::now() + Duration::from_secs(10);
        while Instant::now() < end {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                return Ok(Xvfb {
                    _proc: proc,
                    display,
                });
            }
            if proc.exited() {
                break; // lost a race for this display; try the next one
            }
            sleep(Duration::from_millis(20));
        }
    }
    Err("no free X display for Xvfb (is it installed?)".to_owned())
}

/// A field of /proc/PID/status (or /proc/self/status for `None`) in kB: `VmHWM`, `VmRSS`.
pub fn status_kb(pid: Option<u32>, field: &str) -> Option<u64> {
    let path = match pid {
        Some(pid) => PathBuf::from(format!("/proc/{pid}/status")),
        None => PathBuf::from("/proc/self/status"),
    };
    let status = fs::read_to_string(path).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

/// The CPU time the process has used, all threads, user plus system (/proc/PID/stat fields
/// 14 and 15), in clock ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after it are plain.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second (USER_HZ), from getconf; 100, Linux's value, if that fails.
pub fn ticks_per_second() -> u64 {
    tool("getconf", &["CLK_TCK"], None)
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out).trim().parse().ok())
        .filter(|&hz| hz > 0)
        .unwrap_or(100)
}

/// Parses a binary PPM (P6, maxval 255) into 0x00RRGGBB pixels: (width, height, pixels).
pub fn parse_ppm(data: &[u8]) -> Option<(usize, usize, Vec<u32>)> {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        fields.push(std::str::from_utf8(&data[start..i]).ok()?.to_owned());
    }
    if fields[0] != "P6" || fields[3] != "255" {
        return None;
    }
    let (w, h): (usize, usize) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
    let rgb = data.get(i + 1..)?;
    if rgb.len() != w.checked_mul(h)?.checked_mul(3)? {
        return None;
    }
    let pixels = rgb
        .chunks_exact(3)
        .map(|p| u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]))
        .collect();
    Some((w, h, pixels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        assert!(status_kb(None, "VmHWM").is_some_and(|kb| kb > 0));
        assert!(status_kb(None, "VmRSS").is_some());
        assert!(status_kb(None, "NoSuchField").is_none());
        assert!(cpu_ticks(std::process::id()).is_some());
    }

    #[test]
    fn ppm() {
        let mut data = b"P6\n2 1\n255\n".to_vec();
        data.extend_from_slice(&[1, 2, 3, 255, 0, 0]);
        assert_eq!(parse_ppm(&data), Some((2, 1, vec![0x010203, 0xFF0000])));
        assert_eq!(parse_ppm(&data[..data.len() - 1]), None);
        assert_eq!(parse_ppm(b"P5\n1 1\n255\n\0"), None);
    }
}
