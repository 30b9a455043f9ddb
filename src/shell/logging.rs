//! Logging setup. What each level may contain is written in ARCHITECTURE.md; in short:
//! no level ever carries a PIN, passcode, password, patient field or certificate body.
//!
//! Lines go to standard error and, for the kiosk, also to `myna-kakunin.log` in the data
//! folder (a GUI .exe on Windows has no console). The file rotates: when a line would take
//! it past [`LOG_LIMIT`] bytes it becomes `myna-kakunin.log.1` (the older ones move up to
//! `.3`, the oldest is dropped) and a new file starts.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use log::LevelFilter;
use simplelog::{CombinedLogger, Config, ConfigBuilder, SharedLogger, WriteLogger};

/// The log file's name inside the data folder.
pub const LOG_FILE: &str = "myna-kakunin.log";
/// A log file grows to at most this many bytes before it rotates.
pub const LOG_LIMIT: u64 = 1_000_000;
/// How many rotated files are kept (`.1` newest … `.3` oldest).
pub const LOG_KEEP: u32 = 3;

/// Parses a level name (`error`, `warn`, `info`, `debug`, `trace`, `off`).
pub fn parse_level(s: &str) -> Option<LevelFilter> {
    s.parse().ok()
}

fn config(time_level: LevelFilter, rfc3339: bool) -> Config {
    let mut builder = ConfigBuilder::new();
    builder
        .set_time_level(time_level)
        .set_thread_level(LevelFilter::Off)
        .set_target_level(LevelFilter::Off)
        // Only our own crate logs: dependencies' debug output (windowing, TLS, HTTP) is
        // noise at best and, for HTTP, could carry request details.
        .add_filter_allow_str("myna_kakunin");
    if rfc3339 {
        builder.set_time_format_rfc3339();
    }
    builder.build()
}

/// Sends log lines to standard error at `level`, and to the rotating log file `file` when
/// given (every line with its UTC time). Harmless if a logger is already set. If the file
/// cannot be opened, logging goes to standard error alone and the error is returned.
pub fn init(level: LevelFilter, file: Option<&Path>) -> Result<(), io::Error> {
    let mut loggers: Vec<Box<dyn SharedLogger>> = vec![WriteLogger::new(
        level,
        config(LevelFilter::Error, false),
        io::stderr(),
    )];
    let opened = file.map(|path| RotatingFile::open(path, LOG_LIMIT, LOG_KEEP));
    let mut result = Ok(());
    match opened {
        Some(Ok(rotating)) => loggers.push(WriteLogger::new(
            level,
            config(LevelFilter::Error, true),
            rotating,
        )),
        Some(Err(e)) => result = Err(e),
        None => {}
    }
    // A second init (tests) keeps the first logger; nothing to report.
    let _ = CombinedLogger::init(loggers);
    result
}

/// A log file that rotates by size. Writes are collected into whole lines, so a line never
/// straddles two files.
#[derive(Debug)]
pub struct RotatingFile {
    path: PathBuf,
    limit: u64,
    keep: u32,
    file: File,
    size: u64,
    pending: Vec<u8>,
}

impl RotatingFile {
    /// Opens (appending) or creates `path`, creating its folder; rotates at `limit` bytes
    /// and keeps `keep` old files.
    pub fn open(path: &Path, limit: u64, keep: u32) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let size = file.metadata()?.len();
        Ok(Self {
            path: path.to_owned(),
            limit,
            keep,
            file,
            size,
            pending: Vec::new(),
        })
    }

    fn numbered(&self, n: u32) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    /// name.log.(keep-1) → .keep, …, name.log → .1, then a new empty name.log.
    fn rotate(&mut self) -> io::Result<()> {
        if self.keep == 0 {
            self.file = File::create(&self.path)?;
        } else {
            // The oldest goes first, so every rename has a free name (Windows needs that).
            let _ = fs::remove_file(self.numbered(self.keep));
            for n in (1..self.keep).rev() {
                let _ = fs::rename(self.numbered(n), self.numbered(n + 1));
            }
            self.file.flush()?;
            // std opens files with FILE_SHARE_DELETE on Windows, so the open file can be
            // renamed there as on Unix; the old handle closes when it is replaced.
            fs::rename(&self.path, self.numbered(1))?;
            self.file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
        }
        self.size = 0;
        Ok(())
    }

    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let len = line.len() as u64;
        if self.size > 0 && self.size + len > self.limit {
            self.rotate()?;
        }
        self.file.write_all(line)?;
        self.size += len;
        Ok(())
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.write_line(&line)?;
        }
        // A line with no end longer than the limit is written as it is.
        if self.pending.len() as u64 > self.limit {
            let line = std::mem::take(&mut self.pending);
            self.write_line(&line)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.write_line(&line)?;
        }
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mk-log-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn rotates_by_size_and_keeps_three() {
        let dir = temp_dir("rotate");
        let path = dir.join(LOG_FILE);
        let mut f = RotatingFile::open(&path, 100, 3).expect("opens");
        // 40-byte lines: two fit in 100 bytes, the third starts a new file.
        for i in 0..11u8 {
            let line = format!("{:>38}\n", i);
            // Written in pieces, as a logger does.
            let (a, b) = line.as_bytes().split_at(10);
            f.write_all(a).expect("write");
            f.write_all(b).expect("write");
        }
        f.flush().expect("flush");
        let read = |p: &Path| fs::read_to_string(p).unwrap_or_default();
        assert_eq!(read(&path).lines().count(), 1, "the newest holds line 10");
        assert!(read(&path).trim_end().ends_with("10"));
        for (n, last) in [(1, "9"), (2, "7"), (3, "5")] {
            let text = read(&f.numbered(n));
            assert_eq!(text.lines().count(), 2, "file .{n}");
            assert!(text.trim_end().ends_with(last), "file .{n}: {text}");
        }
        assert!(!f.numbered(4).exists(), "only three are kept");
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn reopening_appends_and_counts_the_existing_size() {
        let dir = temp_dir("append");
        let path = dir.join(LOG_FILE);
        fs::create_dir_all(&dir).expect("dir");
        fs::write(&path, vec![b'x'; 90]).expect("write");
        let mut f = RotatingFile::open(&path, 100, 1).expect("opens");
        f.write_all(b"a line of twenty b\n").expect("write");
        f.flush().expect("flush");
        assert_eq!(fs::read(&path).expect("read").len(), 19, "rotated first");
        assert_eq!(fs::read(f.numbered(1)).expect("read").len(), 90);
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_partial_line_waits_for_its_end_or_a_flush() {
        let dir = temp_dir("partial");
        let path = dir.join(LOG_FILE);
        let mut f = RotatingFile::open(&path, 1000, 3).expect("opens");
        f.write_all(b"no end yet").expect("write");
        assert_eq!(fs::read(&path).expect("read").len(), 0);
        f.flush().expect("flush");
        assert_eq!(fs::read(&path).expect("read"), b"no end yet");
        let _ = fs::remove_dir_all(dir);
    }
}
