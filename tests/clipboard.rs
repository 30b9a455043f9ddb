//! コピー on a real X server: the kiosk's text on the CLIPBOARD selection is what another
//! program (xclip) reads; the kiosk takes it off when the next check starts or 10 minutes
//! after copying, and never takes off what someone else copied since. Needs Xvfb and xclip
//! (README's test command installs them). Every tool call has a deadline.
#![cfg(all(feature = "demo", target_os = "linux"))]

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use myna_kakunin::app::{State, UiAction};
use myna_kakunin::sensitive::SensitiveText;
use myna_kakunin::shell::clipboard::x11::X11Clipboard;
use myna_kakunin::shell::clipboard::Clipboard;
use myna_kakunin::shell::demo;
use myna_kakunin::shell::headless::Session;
use myna_kakunin::ui::screens::copy_text;

#[path = "support/x11.rs"]
#[allow(dead_code)]
mod x11;
use x11::{start_xvfb_with, tool, Killed};

/// What xclip reads from the CLIPBOARD selection now (`None`: nothing there).
fn paste(display: &str) -> Option<String> {
    let out = tool("timeout")
        .args([
            "10",
            "xclip",
            "-o",
            "-selection",
            "clipboard",
            "-target",
            "UTF8_STRING",
        ])
        .args(["-display", display])
        .output()
        .expect("xclip runs (apt-get install xclip)");
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).expect("UTF-8"))
}

/// Waits (at most 5 s) until xclip reads `want`.
fn wait_for(display: &str, want: Option<&str>) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = paste(display);
        if got.as_deref() == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "clipboard: {got:?}, want {want:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn another_program_reads_what_the_kiosk_copied_and_only_ours_is_cleared() {
    // No reset when the last client leaves: here no kiosk window keeps a connection open
    // between the kiosk giving the selection up and copying again, as it does in use.
    let (_xvfb, display) = start_xvfb_with("640x480x24", &["-noreset"]);
    let mut clipboard = X11Clipboard::on_display(&display);
    let text = "資格情報\r\n確認日 : 2025年12月05日\r\n氏名\t資格　太郎\r\n";
    clipboard.set(SensitiveText::from(text)).expect("copied");
    wait_for(&display, Some(text));
    // A second read gets the same (the kiosk keeps serving it).
    assert_eq!(paste(&display).as_deref(), Some(text));
    clipboard.clear_if_ours();
    wait_for(&display, None);

    // Someone copies something else afterwards: the kiosk leaves it alone.
    clipboard.set(SensitiveText::from(text)).expect("copied");
    wait_for(&display, Some(text));
    let mut other = Killed(
        tool("timeout")
            .args([
                "20",
                "xclip",
                "-quiet",
                "-loops",
                "2",
                "-i",
                "-selection",
                "clipboard",
            ])
            .args(["-display", &display])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xclip runs"),
    );
    other
        .0
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"someone else's text")
        .expect("written");
    wait_for(&display, Some("someone else's text"));
    clipboard.clear_if_ours();
    assert_eq!(paste(&display).as_deref(), Some("someone else's text"));
}

#[test]
fn the_kiosk_clears_its_copy_at_the_next_check_and_after_ten_minutes() {
    // No reset when the last client leaves: here no kiosk window keeps a connection open
    // between the kiosk giving the selection up and copying again, as it does in use.
    let (_xvfb, display) = start_xvfb_with("640x480x24", &["-noreset"]);
    let (app, mut backends) = demo::setup(|| 1_764_893_287);
    backends.clipboard = Some(Box::new(X11Clipboard::on_display(&display)));
    let mut s = Session::new(app, backends);
    for d in demo::PASSCODE.bytes() {
        s.act_and_settle(UiAction::Digit(d - b'0'));
    }
    if s.app().state().name() == "Notices" {
        s.act_and_settle(UiAction::Close);
    }
    let show = |s: &mut Session| {
        s.act_and_settle(UiAction::DemoToggleCard(0));
        s.act_and_settle(UiAction::Next);
        let State::ShowResult(shown) = s.app().state() else {
            panic!("result shown");
        };
        copy_text(&shown.outcome).expose().to_owned()
    };
    let expected = show(&mut s);
    s.act_and_settle(UiAction::Copy);
    let State::ShowResult(shown) = s.app().state() else {
        panic!("result shown");
    };
    assert_eq!(shown.copy, Some(Ok(())), "the confirmation shows");
    wait_for(&display, Some(&expected));

    // Still there after closing the result; gone as soon as the next check starts.
    s.act_and_settle(UiAction::Close);
    assert_eq!(paste(&display).as_deref(), Some(expected.as_str()));
    s.act_and_settle(UiAction::DemoToggleCard(0)); // taken off
    let again = show(&mut s);
    wait_for(&display, None);

    // Copied again and left alone: 10 minutes later it is taken off.
    s.act_and_settle(UiAction::Copy);
    wait_for(&display, Some(&again));
    s.act_and_settle(UiAction::Close);
    s.advance(9 * 60_000);
    s.settle();
    assert_eq!(
        paste(&display).as_deref(),
        Some(again.as_str()),
        "9 minutes: kept"
    );
    s.advance(60_000);
    s.settle();
    wait_for(&display, None);
}
