//! Bounded fuzzing of every parser, in the normal test suite: fixed seeds, a fixed number
//! of iterations, stable Rust, no fuzzing engine. Each target generates valid inputs with
//! the crate's own encoders (or from the test PKI), mutates them byte by byte and with
//! format-aware mutations, and checks on every input that
//!
//! - the parser returns (`Ok` or its typed error) and never panics, overflows or loops;
//! - what parses, encodes back to an input that parses to the same value, and what was
//!   generated valid parses to the value it was made from;
//! - target-specific promises hold (the PIN rules of the card procedures, the checksum of
//!   the settings file, the credentials behind every success of the reference center).
//!
//! A failure prints the seed, the iteration and the input in hex. See `fuzz/harness.rs`
//! for `MYNA_FUZZ_ITERS`, `MYNA_FUZZ_ITERS_<TARGET>` and `MYNA_FUZZ_SEED`; RELIABILITY.md
//! has the figures of the long runs.

#[path = "fuzz/card.rs"]
mod card;
#[path = "fuzz/center.rs"]
mod center;
#[path = "fuzz/files.rs"]
mod files;
#[path = "fuzz/gen.rs"]
mod gen;
#[path = "fuzz/harness.rs"]
mod harness;
#[path = "fuzz/json.rs"]
mod json;
#[path = "fuzz/mutate.rs"]
mod mutate;
#[cfg(feature = "demo")]
#[path = "fuzz/reference.rs"]
mod reference;
#[path = "support/rng.rs"]
mod rng;
#[cfg(feature = "demo")]
#[path = "fuzz/virtual.rs"]
mod virtual_card;

use harness::run;

/// Response APDUs, status words, DER headers, command encodings.
#[test]
fn card_apdu() {
    run("card_apdu", 0xA9D0_0001, 50_000, card::apdu).assert_both_outcomes();
}

/// The certificate DER reader.
#[test]
fn card_cert() {
    run("card_cert", 0xA9D0_0002, 20_000, card::cert).assert_both_outcomes();
}

/// The JPKI procedures over a card that answers with mutated responses.
#[test]
fn card_jpki() {
    run("card_jpki", 0xA9D0_0003, 20_000, card::jpki_procedures).assert_both_outcomes();
    println!(
        "fuzz card_jpki        the longest procedure sent {} APDUs",
        card::MOST_APDUS.load(std::sync::atomic::Ordering::Relaxed)
    );
}

/// Every reply parser of the client, under every status class.
#[test]
fn center_replies() {
    run("center_replies", 0xA9D0_0004, 15_000, center::replies).assert_both_outcomes();
}

/// Every request decoder of the center.
#[test]
fn center_requests() {
    run("center_requests", 0xA9D0_0005, 12_000, center::requests).assert_both_outcomes();
}

/// The scalar field parsers under the bodies (dates, versions, codes, IDs, base64, URLs).
#[test]
fn center_fields() {
    run("center_fields", 0xA9D0_0006, 100_000, center::fields).assert_both_outcomes();
}

/// The settings file decoder, with broken and with recomputed checksums.
#[test]
fn settings() {
    run("settings", 0xA9D0_0007, 50_000, files::settings_file).assert_both_outcomes();
}

/// config.txt.
#[test]
fn config() {
    run("config", 0xA9D0_0008, 50_000, files::config_file).assert_both_outcomes();
}

/// The reference center's HTTP reader and request handling (demo build).
#[cfg(feature = "demo")]
#[test]
fn reference_http() {
    let mut session = reference::Session::new();
    run("reference_http", 0xA9D0_0009, 2_500, |rng, input| {
        reference::step(&mut session, rng, input)
    })
    .assert_both_outcomes();
}

/// The virtual card's APDU parser and the vpcd protocol (demo build).
#[cfg(feature = "demo")]
#[test]
fn virtual_card() {
    run("virtual_card", 0xA9D0_000A, 3_000, virtual_card::step).assert_both_outcomes();
}

/// The harness itself: a panic or a broken invariant fails the run and names the seed and
/// the iteration (so a target whose parser panics cannot pass).
#[test]
fn the_harness_fails_on_a_panic_or_a_broken_invariant() {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    for broken in [true, false] {
        let mut seen = 0u64;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            harness::run_exactly("self_test_meant_to_fail", 7, 10, |_, input| {
                seen += 1;
                input.record("input", &[0xAB, 0xCD]);
                match seen {
                    4 if broken => Err("an invariant".to_owned()),
                    4 => panic!("a parser panicked"),
                    _ => Ok(harness::Verdict::Parsed),
                }
            })
        }));
        let message = outcome
            .err()
            .and_then(|panic| panic.downcast_ref::<String>().cloned())
            .expect("the run fails");
        assert!(message.contains("iteration 3"), "{message}");
        assert!(message.contains("seed 0x7"), "{message}");
    }
}
