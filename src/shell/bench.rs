//! Benchmarks (demo build). Measurements, not tests: nothing here asserts a time.
//!
//! - `bench-card` (this file): times a certificate read and a PIN flow through the real
//!   PC/SC stack, APDU by APDU, over many runs, and reports the median and 90th percentile
//!   of each step. The PIN flow verifies a demo card's own PIN (from the demo catalogue), so
//!   the tries are restored at every run; a wrong PIN stops the bench at the first run,
//!   using one try.
//! - `bench` ([`run_kiosk_bench`]): the performance targets of DESIGN.md on the release
//!   build: start-up to the first passcode frame under Xvfb ([`kiosk`]), the full redraw of
//!   every screen ([`redraw`]), the idle cost of the real window ([`kiosk`]), qualification
//!   checks through pcscd + vpcd and HTTPS with each part timed and the APDUs listed
//!   ([`check`]), peak memory and binary sizes, and the network's part of unlock and checks
//!   at a real line's latency through a delaying proxy ([`network`], [`proxy`]).

pub mod check;
pub mod kiosk;
pub mod network;
pub mod process;
pub mod proxy;
pub mod redraw;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ring::digest;

use super::diagnostics::{CountingChannel, Exchange};
use crate::card::apdu::{Command, StatusWord};
use crate::card::pcsc::PcscReader;
use crate::card::{jpki, CardChannel, CardError};

/// What `myna-kakunin bench` measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskBenchOptions {
    /// Starts of the kiosk, and checks of each kind (median of these).
    pub runs: usize,
    /// Redraws of each screen.
    pub frames: usize,
    /// Seconds the window is left alone on each screen.
    pub idle_seconds: u64,
    /// The parts to run.
    pub parts: Vec<BenchPart>,
    /// A production build to start as well (its start-up and size).
    pub production: Option<PathBuf>,
    /// Another demo build to start the same way, interleaved (before/after a change).
    pub baseline: Option<PathBuf>,
    /// An X display to use rather than a new Xvfb.
    pub display: Option<String>,
    /// One-way delays the network part adds, in milliseconds (one run of it per delay).
    pub delays_ms: Vec<u64>,
}

/// A part of `myna-kakunin bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchPart {
    /// Qualification checks through pcscd + vpcd and HTTPS; memory.
    Check,
    /// The full redraw of every screen, headless.
    Redraw,
    /// Start-up to the first frame, in a real window.
    Startup,
    /// The real window left alone.
    Idle,
    /// Binary sizes.
    Sizes,
    /// Unlock and checks through a proxy that adds a line's latency.
    Network,
}

impl BenchPart {
    /// Every part, in the order they run (checks first, so that this process's peak memory
    /// is the checks').
    pub const ALL: [BenchPart; 6] = [
        BenchPart::Check,
        BenchPart::Network,
        BenchPart::Redraw,
        BenchPart::Startup,
        BenchPart::Idle,
        BenchPart::Sizes,
    ];

    /// The part named `name` (as `--only` takes it).
    pub fn from_name(name: &str) -> Option<BenchPart> {
        Some(match name {
            "check" => BenchPart::Check,
            "redraw" => BenchPart::Redraw,
            "startup" => BenchPart::Startup,
            "idle" => BenchPart::Idle,
            "sizes" => BenchPart::Sizes,
            "network" => BenchPart::Network,
            _ => return None,
        })
    }
}

/// Runs the parts of `options`, writing each part's report to `out` as it finishes.
pub fn run_kiosk_bench(
    options: &KioskBenchOptions,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("where is this binary? {e}"))?;
    let mut write = |text: String| {
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    };
    write(machine());
    let wants = |part| options.parts.contains(&part);
    if wants(BenchPart::Check) {
        let report = check::run(&exe, options.runs)?;
        write(format_check(&report));
    }
    if wants(BenchPart::Network) {
        for delay in &options.delays_ms {
            let report = network::run(Duration::from_millis(*delay), options.runs)?;
            write(format_network(&report));
        }
    }
    if wants(BenchPart::Redraw) {
        let times = redraw::every_screen(options.frames).map_err(|e| e.to_string())?;
        write(format_redraw(&times, options.frames));
    }
    if wants(BenchPart::Startup) || wants(BenchPart::Idle) {
        // The X server lives for both parts.
        let xvfb = match &options.display {
            Some(_) => None,
            None => Some(process::start_xvfb()?),
        };
        let display = match (&options.display, &xvfb) {
            (Some(d), _) => d.clone(),
            (None, Some(x)) => x.display.clone(),
            (None, None) => return Err("no X display".to_owned()),
        };
        if wants(BenchPart::Startup) {
            write(startup(&exe, options, &display)?);
        }
        if wants(BenchPart::Idle) {
            let report = kiosk::idle(&exe, &display, options.idle_seconds)?;
            write(format_idle(&report));
        }
    }
    if wants(BenchPart::Sizes) {
        write(sizes(&exe, options));
    }
    Ok(())
}

/// The machine: CPU, cores, load, kernel.
fn machine() -> String {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split(':')
                .nth(1)
                .map(str::trim)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = read("/proc/loadavg");
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let kernel = read("/proc/sys/kernel/osrelease");
    format!(
        "machine: {cpu}, {cores} cores, Linux {}; load average at start {}\n",
        kernel.trim(),
        load.join(" ")
    )
}

/// Start-up of this demo build, and of the production and baseline builds if given,
/// interleaved run by run so that a change in the machine's load touches them alike.
fn startup(exe: &Path, options: &KioskBenchOptions, display: &str) -> Result<String, String> {
    use kiosk::KioskCommand;
    let mut commands = vec![
        (
            "this demo build (--demo --windowed)".to_owned(),
            KioskCommand::demo(exe),
        ),
        (
            "this demo build at 150 % (WINIT_X11_SCALE_FACTOR=1.5: 1920x1200 pixels)".to_owned(),
            KioskCommand::demo_at_scale(exe, "1.5"),
        ),
    ];
    if let Some(baseline) = &options.baseline {
        commands.push((
            format!("baseline {} (--demo --windowed)", baseline.display()),
            KioskCommand::demo(baseline),
        ));
        commands.push((
            format!("baseline {} at 150 %", baseline.display()),
            KioskCommand::demo_at_scale(baseline, "1.5"),
        ));
    }
    // The production kiosk needs a registered data folder; the center is not asked
    // anything before the passcode, so an unused address does.
    let data = std::env::temp_dir().join(format!("myna-bench-data-{}", std::process::id()));
    if let Some(production) = &options.production {
        let (app, _) = super::demo::setup(super::demo::system_clock);
        let _ = std::fs::remove_dir_all(&data);
        super::settings::Store::new(&data)
            .save(app.settings())
            .map_err(|e| format!("writing the production data folder: {e:?}"))?;
        commands.push((
            format!(
                "production {} (registered data folder, --windowed)",
                production.display()
            ),
            KioskCommand {
                exe: production.into(),
                args: vec![
                    "--windowed".into(),
                    "--data-dir".into(),
                    data.clone().into(),
                    "--center".into(),
                    "https://127.0.0.1:9".into(),
                ],
                env: Vec::new(),
            },
        ));
    }
    let mut results: Vec<Vec<kiosk::StartRun>> = vec![Vec::new(); commands.len()];
    // One warm-up start of each, then the runs, taking turns.
    for round in 0..=options.runs {
        for ((_, command), runs) in commands.iter().zip(&mut results) {
            let run = kiosk::start_once(command, display)?;
            if round > 0 {
                runs.push(run);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&data);
    let matches = kiosk::first_frame_matches(exe, display)?;
    let mut out = format!(
        "\nstart-up to the first passcode frame under Xvfb ({} runs each after 1 warm-up, \
         interleaved; ms: median / p90 / min / max)\n",
        options.runs
    );
    for ((name, _), runs) in commands.iter().zip(&results) {
        let _ = writeln!(out, "  {name}");
        let stat = |label: &str, values: Vec<f64>, out: &mut String| {
            if values.is_empty() {
                return;
            }
            let _ = writeln!(out, "    {label:<44} {}", stats(&values));
        };
        stat(
            "in process (main → first frame presented)",
            runs.iter().map(|r| r.in_process_ms).collect(),
            &mut out,
        );
        stat(
            "from spawn (parent spawn → that log line read)",
            runs.iter().map(|r| r.spawn_ms).collect(),
            &mut out,
        );
        for (_, name) in kiosk::MILESTONES {
            let values = runs
                .iter()
                .filter_map(|r| {
                    r.milestones
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| *v)
                })
                .collect();
            stat(&format!("  of which: main → {name}"), values, &mut out);
        }
        stat(
            "first frame drawn (scene + pixels)",
            runs.iter().filter_map(|r| r.draw_ms).collect(),
            &mut out,
        );
        stat(
            "first frame presented (softbuffer → X)",
            runs.iter().filter_map(|r| r.present_ms).collect(),
            &mut out,
        );
    }
    let _ = writeln!(
        out,
        "  the window's first frame is the headless パスコード入力, pixel for pixel: {}",
        if matches { "yes" } else { "NO" }
    );
    Ok(out)
}

/// "median / p90 / min / max" of `values` (milliseconds), 1 decimal.
fn stats(values: &[f64]) -> String {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = |p: usize| sorted[(sorted.len() * p).div_ceil(100).max(1) - 1];
    format!(
        "{:>7.1} {:>7.1} {:>7.1} {:>7.1}",
        rank(50),
        rank(90),
        sorted[0],
        sorted[sorted.len() - 1]
    )
}

fn format_redraw(times: &redraw::ScreenTimes, frames: usize) -> String {
    let mut out = format!(
        "\nfull redraw at 1280x800, headless (scene + pixels into a reused buffer; {frames} \
         redraws per screen after 1 that fills the glyph cache; ms: median / p90 / max)\n"
    );
    let mut medians = Vec::new();
    for (name, t) in times {
        let median = percentile(t, 50);
        medians.push(median);
        let _ = writeln!(
            out,
            "  {name:<28} {} {} {}",
            ms(t, 50),
            ms(t, 90),
            ms(t, 100)
        );
    }
    let _ = writeln!(out, "  slowest screen's median: {}", ms(&medians, 100));
    out
}

fn format_idle(report: &kiosk::IdleReport) -> String {
    let mut out = "\nidle: the demo window left alone (CPU from /proc/PID/stat utime+stime, all \
                   threads; frames from its trace log)\n"
        .to_owned();
    for idle in &report.screens {
        let _ = writeln!(
            out,
            "  {:<14} {:>5.1} s: CPU {:>5.1} ms, {} frames drawn",
            idle.screen, idle.seconds, idle.cpu_ms, idle.frames
        );
    }
    let kb =
        |v: Option<u64>| v.map_or("?".to_owned(), |kb| format!("{:.1} MB", kb as f64 / 1024.0));
    let _ = writeln!(
        out,
        "  the window process: peak resident (VmHWM) {}, resident now (VmRSS) {}",
        kb(report.peak_kb),
        kb(report.rss_kb)
    );
    out
}

fn format_check(r: &check::CheckReport) -> String {
    let kb =
        |v: Option<u64>| v.map_or("?".to_owned(), |kb| format!("{:.1} MB", kb as f64 / 1024.0));
    let mut out = format!(
        "\nqualification checks: reader \"{}\" (pcscd + vpcd + virtual-card taro), reference \
         center over HTTPS on loopback; {} of each\n",
        r.reader,
        r.visual.len()
    );
    let _ = writeln!(
        out,
        "  log-in (passcode → 認証選択): app {:.2} ms (steps {:.2}, {} frames {:.2}), center {:.2} ms",
        millis(r.login.app()),
        millis(r.login.step),
        r.login.frames,
        millis(r.login.render),
        millis(r.login.center)
    );
    for (name, checks) in [("目視", &r.visual), ("暗証番号", &r.pin)] {
        let Some(first) = checks.first() else {
            continue;
        };
        let rest = if checks.len() > 1 {
            &checks[1..]
        } else {
            &checks[..]
        };
        let col = |f: &dyn Fn(&check::CheckTimes) -> Duration| {
            let all: Vec<Duration> = rest.iter().map(f).collect();
            format!(
                "{:>8.2} {:>8.2} {:>8.2}",
                millis(f(first)),
                ms_f(&all, 50),
                ms_f(&all, 90)
            )
        };
        let _ = writeln!(
            out,
            "  {name} check, {} frames; ms: first check / median / p90 of the others",
            first.frames
        );
        let _ = writeln!(out, "    app (steps + frames)  {}", col(&|t| t.app()));
        let _ = writeln!(out, "      App::step           {}", col(&|t| t.step));
        let _ = writeln!(out, "      frames              {}", col(&|t| t.render));
        let _ = writeln!(out, "    card (PC/SC)          {}", col(&|t| t.card));
        let _ = writeln!(out, "    network (HTTPS)       {}", col(&|t| t.center));
        let _ = writeln!(out, "    other commands        {}", col(&|t| t.other));
        let _ = writeln!(out, "    whole check           {}", col(&|t| t.wall));
        let names: Vec<&str> = first.commands.iter().map(|(n, _)| *n).collect();
        let _ = writeln!(out, "    commands: {}", names.join(", "));
    }
    let reads = r.cert_len.div_ceil(256);
    let _ = writeln!(
        out,
        "  APDUs (certificate {} bytes: 2 SELECT + ⌈{}/256⌉ = {} READ BINARY expected)",
        r.cert_len, r.cert_len, reads
    );
    for (name, list) in [("目視", &r.visual_apdus), ("暗証番号", &r.pin_apdus)] {
        for apdus in list {
            let labels: Vec<String> = apdus
                .exchanges
                .iter()
                .map(|e| {
                    let sw = e.sw.map_or_else(|| "----".to_owned(), |sw| sw.to_string());
                    format!("{} ({sw})", e.label())
                })
                .collect();
            let _ = writeln!(
                out,
                "    {name} {}: {} APDUs: {}",
                apdus.command,
                apdus.exchanges.len(),
                labels.join(", ")
            );
        }
    }
    let _ = writeln!(
        out,
        "  memory of this process: resident before {}, peak (VmHWM) after the checks {}, resident after {}",
        kb(r.rss_before_kb),
        kb(r.peak_kb),
        kb(r.rss_after_kb)
    );
    out
}

fn format_network(r: &network::NetworkReport) -> String {
    let delay = millis(r.delay);
    let mut out = format!(
        "\nnetwork: one-way delay {delay:.0} ms (round trip {:.0} ms) through the bench's proxy, \
         reference center over HTTPS; cold = the first after start, warm = the others (median time)\n",
        2.0 * delay
    );
    let _ = writeln!(
        out,
        "  {:<6} {:>8} {:>5} {:>9} | {:>8} {:>11} {:>11} {:>9}",
        "", "requests", "TCP", "TLS f/r", "critical", "round trips", "critical ms", "whole ms"
    );
    for s in &r.scenarios {
        let _ = writeln!(out, "  {}", s.name);
        let row = |label: &str, m: &network::Measure, critical: Duration, whole: Duration| {
            format!(
                "  {label:<6} {:>8} {:>5} {:>9} | {:>8} {:>11} {:>11.1} {:>9.1}\n",
                m.requests,
                m.whole.connections,
                format!("{}/{}", m.whole.full, m.whole.resumed),
                m.critical_requests,
                m.critical.round_trips,
                millis(critical),
                millis(whole)
            )
        };
        out.push_str(&row(
            "cold",
            &s.cold,
            s.cold.critical_time,
            s.cold.whole_time,
        ));
        if let Some(last) = s.warm.last() {
            let critical: Vec<Duration> = s.warm.iter().map(|m| m.critical_time).collect();
            let whole: Vec<Duration> = s.warm.iter().map(|m| m.whole_time).collect();
            out.push_str(&row(
                "warm",
                last,
                percentile(&critical, 50),
                percentile(&whole, 50),
            ));
            if s.warm.iter().any(|m| {
                (m.requests, m.whole, m.critical_requests, m.critical)
                    != (
                        last.requests,
                        last.whole,
                        last.critical_requests,
                        last.critical,
                    )
            }) {
                let rts: Vec<String> = s
                    .warm
                    .iter()
                    .map(|m| m.critical.round_trips.to_string())
                    .collect();
                let _ = writeln!(
                    out,
                    "         (warm runs differ; critical round trips: {})",
                    rts.join(" ")
                );
            }
        }
    }
    out
}

fn sizes(exe: &Path, options: &KioskBenchOptions) -> String {
    let size = |p: &Path| {
        std::fs::metadata(p).map_or("?".to_owned(), |m| {
            format!("{} bytes ({:.2} MB)", m.len(), m.len() as f64 / 1_048_576.0)
        })
    };
    let mut out = format!(
        "\nbinary sizes\n  this demo build {}: {}\n",
        exe.display(),
        size(exe)
    );
    for path in options.production.iter().chain(&options.baseline) {
        let _ = writeln!(out, "  {}: {}", path.display(), size(path));
    }
    out
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A percentile of `times` in milliseconds.
fn ms_f(times: &[Duration], p: u32) -> f64 {
    millis(percentile(times, p))
}

/// The DER prefix of a SHA-256 DigestInfo (jpki.md §1.7).
const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// What to measure.
#[derive(Clone)]
pub struct BenchOptions {
    /// The reader (exact name or prefix).
    pub reader: String,
    /// Measured runs of each flow, after one warm-up run.
    pub runs: usize,
    /// The demo card's PIN, for VERIFY. Never printed.
    pub pin: &'static str,
}

/// `Debug`: the reader and the runs; the PIN as its length only.
impl std::fmt::Debug for BenchOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BenchOptions")
            .field("reader", &self.reader)
            .field("runs", &self.runs)
            .field("pin", &format_args!("<{} digits>", self.pin.len()))
            .finish()
    }
}

/// Why the bench stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BenchError {
    /// A flow failed on the card or the reader.
    Card(CardError),
    /// Two runs of a flow sent different commands (the card changed mid-bench).
    Inconsistent,
}

impl From<CardError> for BenchError {
    fn from(e: CardError) -> Self {
        BenchError::Card(e)
    }
}

/// The timings of one flow: each step's durations over the runs, and the whole flow's
/// (connect, transaction, steps, disconnect).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowTimes {
    /// (label, status word of the last run, one duration per run), in APDU order.
    pub steps: Vec<(String, Option<StatusWord>, Vec<Duration>)>,
    /// The whole flow, one duration per run.
    pub total: Vec<Duration>,
}

impl FlowTimes {
    /// Adds one run's exchanges and whole-flow time.
    fn add(&mut self, exchanges: &[Exchange], total: Duration) -> Result<(), BenchError> {
        let labels = step_labels(exchanges);
        if self.steps.is_empty() && self.total.is_empty() {
            self.steps = labels
                .into_iter()
                .map(|label| (label, None, Vec::new()))
                .collect();
        } else if labels.len() != self.steps.len()
            || labels.iter().zip(&self.steps).any(|(a, (b, _, _))| a != b)
        {
            return Err(BenchError::Inconsistent);
        }
        for ((_, sw, times), exchange) in self.steps.iter_mut().zip(exchanges) {
            *sw = exchange.sw;
            times.push(exchange.elapsed);
        }
        self.total.push(total);
        Ok(())
    }
}

/// Labels for a run's exchanges; a label that occurs more than once in the run is
/// numbered from 1 (`READ BINARY 1`, `READ BINARY 2`...).
fn step_labels(exchanges: &[Exchange]) -> Vec<String> {
    let labels: Vec<String> = exchanges.iter().map(Exchange::label).collect();
    let mut seen: Vec<(String, usize)> = Vec::new();
    labels
        .iter()
        .map(|label| {
            if labels.iter().filter(|l| *l == label).count() == 1 {
                return label.clone();
            }
            let n = match seen.iter_mut().find(|(l, _)| l == label) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((label.clone(), 1));
                    1
                }
            };
            format!("{label} {n}")
        })
        .collect()
}

/// The results of a bench.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchReport {
    /// The reader's name.
    pub reader: String,
    /// The certificate's length in bytes.
    pub cert_len: usize,
    /// The certificate read (目視 mode).
    pub cert_read: FlowTimes,
    /// The PIN flow: SELECT AP, SELECT EF 0018, VERIFY, SELECT EF 0017, SIGN.
    pub pin_flow: FlowTimes,
}

/// Runs the bench: one warm-up run of each flow, then `runs` measured runs of each.
pub fn run(options: &BenchOptions) -> Result<BenchReport, BenchError> {
    let mut reader = PcscReader::new(Some(options.reader.clone()));
    let mut report = BenchReport {
        reader: options.reader.clone(),
        cert_len: 0,
        cert_read: FlowTimes::default(),
        pin_flow: FlowTimes::default(),
    };
    let challenge = b"myna-kakunin bench challenge, 32B";
    for run in 0..=options.runs {
        let started = Instant::now();
        let (len, exchanges) = reader.with_channel(|channel| {
            let mut counting = CountingChannel::new(channel);
            let cert = jpki::read_auth_certificate(&mut counting)?;
            Ok((cert.der().len(), counting.into_exchanges()))
        })?;
        let read_time = started.elapsed();

        let started = Instant::now();
        let exchanges_pin = reader.with_channel(|channel| {
            let mut counting = CountingChannel::new(channel);
            pin_flow(&mut counting, options.pin, challenge)?;
            Ok(counting.into_exchanges())
        })?;
        let pin_time = started.elapsed();

        if run == 0 {
            // Warm-up: pcscd's first connect and the page cache are not what we measure.
            report.cert_len = len;
            continue;
        }
        report.cert_read.add(&exchanges, read_time)?;
        report.pin_flow.add(&exchanges_pin, pin_time)?;
    }
    Ok(report)
}

/// The PIN flow's APDUs (jpki.md §1.10 b): SELECT AP, SELECT EF 0018, VERIFY, SELECT EF
/// 0017, SIGN of the SHA-256 DigestInfo of `challenge`. A VERIFY that is not 9000 stops it
/// (one try used, not three); the SIGN's status word is reported, not judged, so the bench
/// also runs against a card that cannot sign.
fn pin_flow(ch: &mut dyn CardChannel, pin: &str, challenge: &[u8]) -> Result<(), CardError> {
    let expect_ok = |sw: StatusWord| match sw {
        StatusWord::Ok => Ok(()),
        sw => Err(CardError::UnexpectedStatus(sw)),
    };
    let send =
        |ch: &mut dyn CardChannel, command: &Command| ch.transmit(command).map_err(CardError::from);
    let bad_command = |_| CardError::ReaderFault;
    expect_ok(send(ch, &Command::select_aid(&jpki::JPKI_AID))?.sw)?;
    expect_ok(send(ch, &Command::select_ef(jpki::EF_AUTH_PIN))?.sw)?;
    let verify = Command::verify(pin.as_bytes()).map_err(bad_command)?;
    expect_ok(send(ch, &verify)?.sw)?;
    expect_ok(send(ch, &Command::select_ef(jpki::EF_AUTH_KEY))?.sw)?;
    let mut digest_info = SHA256_DIGEST_INFO_PREFIX.to_vec();
    digest_info.extend_from_slice(digest::digest(&digest::SHA256, challenge).as_ref());
    let sign = Command::new(0x80, 0x2A, 0x00, 0x80)
        .with_data(digest_info)
        .map_err(bad_command)?
        .with_le(0x00);
    send(ch, &sign)?;
    Ok(())
}

/// The `p`-th percentile (nearest rank) of `times`; zero for no times.
pub fn percentile(times: &[Duration], p: u32) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // Nearest rank: ceil(p/100 * n), 1-based; p is at most 100, so the rank fits.
    let rank = (sorted.len() * p.min(100) as usize).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// The report as the table BENCHMARKS.md records.
pub fn format_report(report: &BenchReport, runs: usize) -> String {
    let mut out = format!(
        "reader \"{}\", {runs} runs after 1 warm-up; times in ms (median / p90)\n",
        report.reader
    );
    let flows = [
        (
            format!("certificate read ({} bytes)", report.cert_len),
            &report.cert_read,
        ),
        ("PIN flow".to_owned(), &report.pin_flow),
    ];
    for (title, flow) in flows {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "\n{title}: {} APDUs", flow.steps.len());
        let _ = writeln!(
            out,
            "  {:<22} {:>6} {:>8} {:>8}",
            "step", "SW", "median", "p90"
        );
        for (label, sw, times) in &flow.steps {
            let sw = sw.map_or_else(|| "----".to_owned(), |sw| sw.to_string());
            let _ = writeln!(
                out,
                "  {label:<22} {sw:>6} {} {}",
                ms(times, 50),
                ms(times, 90)
            );
        }
        let _ = writeln!(
            out,
            "  {:<22} {:>6} {} {}",
            "whole flow",
            "",
            ms(&flow.total, 50),
            ms(&flow.total, 90)
        );
    }
    out
}

/// A percentile in milliseconds, right-aligned to 8 columns with 3 decimals.
fn ms(times: &[Duration], p: u32) -> String {
    format!("{:>8.3}", percentile(times, p).as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::apdu::Response;
    use crate::card::virtual_card::{demo_cards, VirtualCard};
    use crate::card::TransportError;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn debug_output_holds_no_pin() {
        let options = BenchOptions {
            reader: "R".to_owned(),
            runs: 5,
            pin: "4821",
        };
        let shown = format!("{options:?}");
        assert!(!shown.contains("4821"), "{shown}");
        assert!(shown.contains("<4 digits>"), "{shown}");
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let times: Vec<_> = (1..=10).rev().map(ms).collect();
        assert_eq!(percentile(&times, 50), ms(5));
        assert_eq!(percentile(&times, 90), ms(9));
        assert_eq!(percentile(&times, 100), ms(10));
        assert_eq!(percentile(&times, 0), ms(1));
        assert_eq!(percentile(&[ms(7)], 90), ms(7));
        assert_eq!(percentile(&[], 50), Duration::ZERO);
    }

    /// A powered virtual card as a channel.
    struct Powered(VirtualCard);

    impl CardChannel for Powered {
        fn transmit(&mut self, command: &Command) -> Result<Response, TransportError> {
            self.0.transmit(command)
        }
    }

    fn taro() -> Powered {
        let mut card = demo_cards()[0].insert();
        card.power_on();
        Powered(card)
    }

    #[test]
    fn the_pin_flow_sends_the_documented_apdus() {
        let mut card = taro();
        let mut counting = CountingChannel::new(&mut card);
        pin_flow(&mut counting, "1234", b"challenge").expect("the right PIN");
        let labels = step_labels(counting.exchanges());
        assert_eq!(
            labels,
            [
                "SELECT AP",
                "SELECT EF 0018",
                "VERIFY",
                "SELECT EF 0017",
                "SIGN"
            ]
        );
        assert_eq!(counting.exchanges()[2].sw, Some(StatusWord::Ok));
    }

    #[test]
    fn only_repeated_labels_are_numbered() {
        let exchange = |header| Exchange {
            header,
            fid: None,
            sw: None,
            elapsed: Duration::ZERO,
        };
        let select_ap = exchange([0x00, 0xA4, 0x04, 0x0C]);
        let verify = exchange([0x00, 0x20, 0x00, 0x80]);
        let run = [
            select_ap.clone(),
            verify.clone(),
            select_ap,
            verify.clone(),
            verify,
        ];
        assert_eq!(
            step_labels(&run[..2]),
            ["SELECT AP", "VERIFY"],
            "single ones keep their name"
        );
        assert_eq!(
            step_labels(&run),
            [
                "SELECT AP 1",
                "VERIFY 1",
                "SELECT AP 2",
                "VERIFY 2",
                "VERIFY 3"
            ]
        );
    }

    #[test]
    fn a_wrong_pin_stops_the_flow_after_one_try() {
        let mut card = taro();
        let mut counting = CountingChannel::new(&mut card);
        let result = pin_flow(&mut counting, "9999", b"challenge");
        assert_eq!(
            result,
            Err(CardError::UnexpectedStatus(StatusWord::WrongPin {
                tries_left: 2
            }))
        );
        assert_eq!(counting.exchanges().len(), 3, "nothing after VERIFY");
    }

    #[test]
    fn collects_steps_by_position_and_rejects_a_changed_flow() {
        let mut card = taro();
        let mut counting = CountingChannel::new(&mut card);
        jpki::read_auth_certificate(&mut counting).expect("taro reads");
        let exchanges = counting.into_exchanges();
        let mut flow = FlowTimes::default();
        flow.add(&exchanges, ms(3)).expect("first run");
        flow.add(&exchanges, ms(4)).expect("same flow");
        let labels: Vec<_> = flow.steps.iter().map(|(l, _, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "SELECT AP",
                "SELECT EF 000A",
                "READ BINARY 1",
                "READ BINARY 2",
                "READ BINARY 3",
                "READ BINARY 4"
            ]
        );
        assert!(flow.steps.iter().all(|(_, _, t)| t.len() == 2));
        assert_eq!(flow.total, [ms(3), ms(4)]);
        assert_eq!(
            flow.add(&exchanges[..3], ms(1)),
            Err(BenchError::Inconsistent)
        );
        let text = format_report(
            &BenchReport {
                reader: "R".to_owned(),
                cert_len: 938,
                cert_read: flow,
                pin_flow: FlowTimes::default(),
            },
            2,
        );
        assert!(
            text.contains("certificate read (938 bytes): 6 APDUs"),
            "{text}"
        );
        assert!(text.contains("READ BINARY 4"), "{text}");
        assert!(!text.contains("1234"), "no PIN in the report");
    }
}
