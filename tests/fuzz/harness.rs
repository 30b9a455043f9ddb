//! The fuzz loop: a fixed seed per target, a bounded number of iterations, every input run
//! under `catch_unwind`, and on any panic or broken invariant a report with the seed, the
//! iteration and the input in hex, then a failing test.
//!
//! Environment:
//! - `MYNA_FUZZ_ITERS`: iterations for every target (each has its own default, sized so the
//!   whole file runs in about 20 s in the default test profile).
//! - `MYNA_FUZZ_ITERS_<TARGET>`: iterations for one target (upper case, e.g.
//!   `MYNA_FUZZ_ITERS_CENTER_REPLIES`); wins over `MYNA_FUZZ_ITERS`.
//! - `MYNA_FUZZ_SEED`: the seed for every target (decimal or `0x` hex) instead of each
//!   target's constant.
//!
//! Iteration `i` draws from `Rng::for_item(seed, i)`, so a failure at iteration `i`
//! reproduces with the same seed and `MYNA_FUZZ_ITERS=i+1` (targets that keep state between
//! iterations say where to start replaying).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use crate::rng::Rng;

/// What one input did: parsed, or was refused with an error of some kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The parser accepted the input (and every invariant held).
    Parsed,
    /// The parser refused the input with this kind of error (a short, bounded name).
    Refused(String),
}

impl Verdict {
    /// A refusal of kind `kind`.
    pub fn refused(kind: impl Into<String>) -> Self {
        Verdict::Refused(kind.into())
    }
}

/// The input of one iteration, recorded before it is fed to the parser so that a panic
/// can show it: labelled byte strings (a body, a request, the APDUs a card exchanged).
#[derive(Default)]
pub struct Input {
    parts: Vec<(String, Vec<u8>)>,
    notes: Vec<String>,
}

impl Input {
    /// Records one labelled part of the input.
    pub fn record(&mut self, label: impl Into<String>, bytes: &[u8]) {
        self.parts.push((label.into(), bytes.to_vec()));
    }

    /// Records a fact about the input that is not bytes (a status code, a mode).
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The part recorded last (empty if none).
    pub fn last_part(&self) -> &[u8] {
        self.parts.last().map_or(&[], |(_, bytes)| bytes)
    }

    fn show(&self) -> String {
        let mut out = String::new();
        for note in &self.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        for (label, bytes) in &self.parts {
            let _ = writeln!(out, "  {label} ({} bytes), hex:", bytes.len());
            for line in bytes.chunks(64) {
                let _ = writeln!(out, "    {}", hex(line));
            }
            let text = String::from_utf8_lossy(bytes);
            let shown: String = text.chars().take(400).collect();
            let _ = writeln!(out, "  {label} as text (first 400 characters): {shown:?}");
        }
        out
    }
}

/// Lower-case hex without separators.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// What a run saw.
#[derive(Debug)]
pub struct Report {
    pub target: String,
    pub seed: u64,
    pub iterations: u64,
    pub parsed: u64,
    pub refused: u64,
    pub kinds: BTreeMap<String, u64>,
    pub seconds: f64,
}

impl Report {
    /// Fails unless the run saw both accepted and refused inputs: a generator that never
    /// makes a valid input, or mutations that never break one, test nothing.
    pub fn assert_both_outcomes(&self) {
        if self.iterations >= 100 {
            assert!(
                self.parsed > 0 && self.refused > 0,
                "fuzz {}: {} parsed and {} refused in {} iterations: the generator is broken",
                self.target,
                self.parsed,
                self.refused,
                self.iterations
            );
        }
    }
}

/// The iterations for `target`: `MYNA_FUZZ_ITERS_<TARGET>`, else `MYNA_FUZZ_ITERS`, else
/// `default`.
fn iterations(target: &str, default: u64) -> u64 {
    let own = format!("MYNA_FUZZ_ITERS_{}", target.to_ascii_uppercase());
    for name in [own.as_str(), "MYNA_FUZZ_ITERS"] {
        if let Ok(text) = std::env::var(name) {
            let text = text.replace('_', "");
            return text
                .parse()
                .unwrap_or_else(|_| panic!("{name}={text:?} is not a number"));
        }
    }
    default
}

/// The seed: `MYNA_FUZZ_SEED` (decimal or 0x hex), else `default`.
fn seed(default: u64) -> u64 {
    match std::env::var("MYNA_FUZZ_SEED") {
        Ok(text) => {
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("MYNA_FUZZ_SEED={text:?} is not a number"))
        }
        Err(_) => default,
    }
}

/// Runs `step` for each iteration of `target`. `step` records its input in the `Input`
/// it is given, feeds it to the parser, checks the invariants and returns what happened;
/// `Err` means an invariant broke. A panic or an `Err` prints the reproduction and fails.
pub fn run(
    target: &str,
    default_seed: u64,
    default_iterations: u64,
    step: impl FnMut(&mut Rng, &mut Input) -> Result<Verdict, String>,
) -> Report {
    let seed = seed(default_seed);
    let count = iterations(target, default_iterations);
    run_exactly(target, seed, count, step)
}

/// [`run`] with this seed and this many iterations, whatever the environment says.
pub fn run_exactly(
    target: &str,
    seed: u64,
    count: u64,
    mut step: impl FnMut(&mut Rng, &mut Input) -> Result<Verdict, String>,
) -> Report {
    let started = Instant::now();
    let mut report = Report {
        target: target.to_owned(),
        seed,
        iterations: count,
        parsed: 0,
        refused: 0,
        kinds: BTreeMap::new(),
        seconds: 0.0,
    };
    for i in 0..count {
        let mut rng = Rng::for_item(seed, i);
        let mut input = Input::default();
        let outcome = catch_unwind(AssertUnwindSafe(|| step(&mut rng, &mut input)));
        let failure = match outcome {
            Ok(Ok(Verdict::Parsed)) => {
                report.parsed += 1;
                continue;
            }
            Ok(Ok(Verdict::Refused(kind))) => {
                report.refused += 1;
                *report.kinds.entry(kind).or_insert(0) += 1;
                continue;
            }
            Ok(Err(broken)) => format!("invariant broken: {broken}"),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "(no message)".to_owned());
                format!("panic: {message}")
            }
        };
        eprintln!(
            "\nFUZZ FAILURE in target {target}\n  seed {seed:#018x}, iteration {i}\n  {failure}\n{}  \
             reproduce: MYNA_FUZZ_SEED={seed:#x} MYNA_FUZZ_ITERS_{}={} cargo test --all-features --test fuzz {target}\n",
            input.show(),
            target.to_ascii_uppercase(),
            i + 1
        );
        panic!("fuzz target {target} failed at seed {seed:#x}, iteration {i}: {failure}");
    }
    report.seconds = started.elapsed().as_secs_f64();
    println!(
        "fuzz {:<16} seed {:#018x}: {} iterations, {} parsed, {} refused, {:.2} s",
        report.target,
        report.seed,
        report.iterations,
        report.parsed,
        report.refused,
        report.seconds
    );
    let kinds: Vec<String> = report
        .kinds
        .iter()
        .map(|(kind, n)| format!("{kind} x{n}"))
        .collect();
    println!(
        "fuzz {:<16} {} error kinds: {}",
        report.target,
        report.kinds.len(),
        kinds.join(", ")
    );
    report
}
