//! GUI smoke test: the real binary in a real window under Xvfb, driven by real input events
//! (xdotool, through XTEST), checked by screenshot against the headless renderer's output for
//! the same state. Needs Xvfb, xdotool and ImageMagick's `import` (README's test command
//! installs them). Every wait has a deadline; every process is killed on the way out.
#![cfg(feature = "demo")]

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use myna_kakunin::app::{MenuItem, UiAction};
use myna_kakunin::shell::demo;
use myna_kakunin::shell::headless::{render_app, Session};
use myna_kakunin::ui::keys::Key;
use myna_kakunin::ui::render::Frame;
use myna_kakunin::ui::screens::{view, Size};
use myna_kakunin::ui::text::Text;
use myna_kakunin::ui::Kind;

#[path = "support/x11.rs"]
mod x11;
use x11::{run, start_xvfb, tool, wait_for_pixels, Expect, Killed};

const SCREEN_DEADLINE: Duration = Duration::from_secs(20);

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gui-smoke");
    fs::create_dir_all(&dir).expect("target dir is writable");
    dir
}

/// Waits until the window shows exactly what the headless renderer draws for `session`.
fn expect_screen(display: &str, window: &str, session: &mut Session, text: &mut Text, name: &str) {
    let size = Size::DESIGN;
    // The focus ring is drawn where the window's keyboard logic (shared with the session)
    // puts it.
    let frame = Frame {
        focus: session.ring(text),
        ..Frame::default()
    };
    let want = render_app(session.app(), size, text, frame);
    // The result's countdown moves with the real clock: its box is left out of the compare.
    let scene = view(session.app(), size, text);
    let moving: Vec<_> = scene
        .widgets
        .iter()
        .filter(|w| matches!(&w.kind, Kind::Text { text, .. } if text.as_str().contains("秒後に閉じます")))
        .map(|w| w.rect)
        .collect();
    drop(scene);
    let still = |i: usize| {
        let (x, y) = ((i % size.w as usize) as i32, (i / size.w as usize) as i32);
        !moving.iter().any(|r| r.contains(x, y))
    };
    let expect = Expect {
        want: &want,
        size: (size.w as usize, size.h as usize),
        compared: &still,
        deadline: SCREEN_DEADLINE,
        poll: Duration::from_millis(100),
        dir: &artifacts(),
    };
    wait_for_pixels(display, window, &expect, name);
}

fn click(display: &str, window: &str, session: &Session, text: &Text, action: UiAction) {
    let scene = view(session.app(), Size::DESIGN, text);
    let r = scene
        .rect_of(action)
        .unwrap_or_else(|| panic!("{action:?} is not on screen"));
    let (x, y) = r.center();
    let mut c = tool("xdotool");
    c.env("DISPLAY", display).args([
        "mousemove",
        "--window",
        window,
        &x.to_string(),
        &y.to_string(),
        "click",
        "1",
    ]);
    run(c, "xdotool click");
}

/// Clicks `action`, steps the expected session the same way, and waits until the window
/// shows where it leads (saved as `name`); the next input may follow at once.
fn press(
    display: &str,
    window: &str,
    expected: &mut Session,
    text: &mut Text,
    action: UiAction,
    name: &str,
) {
    click(display, window, expected, text, action);
    expected.touched();
    expected.act_and_settle(action);
    expect_screen(display, window, expected, text, name);
}

/// Presses `keys` in the window and the same keys in the expected session.
fn type_keys(display: &str, expected: &mut Session, text: &Text, keys: &[Key]) {
    let names: Vec<String> = keys
        .iter()
        .map(|k| match k {
            Key::Enter => "Return".to_owned(),
            Key::Tab { back: false } => "Tab".to_owned(),
            Key::Escape => "Escape".to_owned(),
            Key::Char(c) => c.to_string(),
            other => panic!("no xdotool name for {other:?}"),
        })
        .collect();
    let mut c = tool("xdotool");
    c.env("DISPLAY", display).arg("key").args(&names);
    run(c, "xdotool key");
    for k in keys {
        expected.key(*k, text);
    }
}

#[test]
fn the_visual_flow_runs_in_a_real_window() {
    let (_xvfb, display) = start_xvfb("1280x800x24");
    let log_path = artifacts().join("app.log");
    let log = fs::File::create(&log_path).expect("log file");
    let app = Command::new(env!("CARGO_BIN_EXE_myna-kakunin"))
        .args(["--demo", "--windowed", "--log", "trace"])
        .env("DISPLAY", &display)
        .env("WINIT_X11_SCALE_FACTOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the binary starts");
    let pid = app.id().to_string();
    let mut app = Killed(app);

    // Find the window by the app's pid (winit sets _NET_WM_PID).
    let mut search = tool("xdotool");
    search
        .env("DISPLAY", &display)
        .args(["search", "--sync", "--onlyvisible", "--pid", &pid]);
    let found = run(search, "xdotool search");
    let window = String::from_utf8_lossy(&found.stdout)
        .lines()
        .next()
        .expect("a window id")
        .trim()
        .to_owned();

    // The same flow, headless, gives the expected frames.
    let mut text = Text::load().expect("embedded font parses");
    let mut expected = Session::from_pair(demo::setup(demo::system_clock));

    expect_screen(&display, &window, &mut expected, &mut text, "1-passcode");

    // Keyboard: with no window manager, give the window the input focus ourselves.
    let mut c = tool("xdotool");
    c.env("DISPLAY", &display)
        .args(["windowfocus", "--sync", &window]);
    run(c, "xdotool windowfocus");
    type_keys(
        &display,
        &mut expected,
        &text,
        &[
            Key::Char('1'),
            Key::Char('2'),
            Key::Char('3'),
            Key::Char('4'),
        ],
    );
    expect_screen(&display, &window, &mut expected, &mut text, "2-notices");

    // Unread お知らせ after unlock; 閉じる with the mouse.
    click(&display, &window, &expected, &text, UiAction::Close);
    expected.touched();
    expected.act_and_settle(UiAction::Close);
    expect_screen(&display, &window, &mut expected, &mut text, "2-auth-select");

    // Touch-style input: the demo tray puts 資格 太郎's card on the reader; 目視 reads at once.
    click(
        &display,
        &window,
        &expected,
        &text,
        UiAction::DemoToggleCard(0),
    );
    expected.touched();
    expected.act_and_settle(UiAction::DemoToggleCard(0));
    expect_screen(&display, &window, &mut expected, &mut text, "3-read-done");

    click(&display, &window, &expected, &text, UiAction::Next);
    expected.touched();
    expected.act_and_settle(UiAction::Next);
    let result = view(expected.app(), Size::DESIGN, &text).texts().concat();
    assert!(
        result.contains("60 秒後に閉じます"),
        "the result shows its countdown"
    );
    expect_screen(&display, &window, &mut expected, &mut text, "4-result");

    // Keyboard again: the first Tab shows the ring on 閉じる (the default, right of コピー);
    // Enter presses it.
    type_keys(
        &display,
        &mut expected,
        &text,
        &[Key::Tab { back: false }, Key::Enter],
    );
    assert_eq!(expected.app().state().name(), "SelectAuth");
    expect_screen(
        &display,
        &window,
        &mut expected,
        &mut text,
        "5-auth-select-after-close",
    );

    // 暗証番号 mode: ⚙ → セキュリティ設定 (behind the passcode) → the 目視 switch off → back
    // to 認証選択. Every screen is waited for: a click within moments of a screen change is
    // not taken.
    press(
        &display,
        &window,
        &mut expected,
        &mut text,
        UiAction::OpenMenu,
        "6a-menu",
    );
    press(
        &display,
        &window,
        &mut expected,
        &mut text,
        UiAction::Menu(MenuItem::Security),
        "6b-security-passcode",
    );
    type_keys(
        &display,
        &mut expected,
        &text,
        &[
            Key::Char('1'),
            Key::Char('2'),
            Key::Char('3'),
            Key::Char('4'),
        ],
    );
    assert_eq!(expected.app().state().name(), "Security");
    expect_screen(&display, &window, &mut expected, &mut text, "6c-security");
    press(
        &display,
        &window,
        &mut expected,
        &mut text,
        UiAction::ToggleVisualCheck,
        "6d-security-pin-mode",
    );
    press(
        &display,
        &window,
        &mut expected,
        &mut text,
        UiAction::Back,
        "6e-menu",
    );
    press(
        &display,
        &window,
        &mut expected,
        &mut text,
        UiAction::Back,
        "6-auth-select-pin",
    );
    press(
        &display,
        &window,
        &mut expected,
        &mut text,
        UiAction::Next,
        "6f-start-pin",
    );
    // The card is still on the reader: the tries are shown before the patient types.
    press(
        &display,
        &window,
        &mut expected,
        &mut text,
        UiAction::Ok,
        "7-pin-entry",
    );
    assert_eq!(expected.app().state().name(), "EnterPin(Typing)");

    // A wrong PIN typed on the keyboard; 次へ reads the card at once: back to the pad with
    // 「残り2回」.
    type_keys(&display, &mut expected, &text, &[Key::Char('9'); 4]);
    click(&display, &window, &expected, &text, UiAction::Next);
    expected.touched();
    expected.act_and_settle(UiAction::Next);
    let wrong = view(expected.app(), Size::DESIGN, &text).texts().concat();
    assert!(wrong.contains("暗証番号が違います。残り2回"), "{wrong}");
    expect_screen(&display, &window, &mut expected, &mut text, "8-wrong-pin");

    // The right PIN with the mouse on the large pad.
    for d in [1, 2, 3, 4] {
        click(&display, &window, &expected, &text, UiAction::Digit(d));
        expected.touched();
        expected.act_and_settle(UiAction::Digit(d));
    }
    press(
        &display,
        &window,
        &mut expected,
        &mut text,
        UiAction::Next,
        "9-pin-read-done",
    );
    click(&display, &window, &expected, &text, UiAction::Next);
    expected.touched();
    expected.act_and_settle(UiAction::Next);
    let result = view(expected.app(), Size::DESIGN, &text).texts().concat();
    assert!(
        result.contains("資格 太郎"),
        "the PIN check shows the result"
    );
    expect_screen(&display, &window, &mut expected, &mut text, "10-pin-result");

    // One whole check with the keys alone: Enter closes the result; on 認証選択 the ring
    // rests on 次へ, then on OK; the PIN is typed on the keyboard, after which Enter is 次へ;
    // Enter again shows the result and closes it. Every screen on the way is compared,
    // focus ring included.
    let steps: [(&[Key], &str, &str); 6] = [
        (&[Key::Enter], "SelectAuth", "11-keys-auth-select"),
        (&[Key::Enter], "Ask(StartPin)", "12-keys-start-pin"),
        (&[Key::Enter], "EnterPin(Typing)", "13-keys-pin-entry"),
        (
            &[
                Key::Char('1'),
                Key::Char('2'),
                Key::Char('3'),
                Key::Char('4'),
                Key::Enter,
            ],
            "ReadCard(Done)",
            "14-keys-read-done",
        ),
        (&[Key::Enter], "ShowResult", "15-keys-result"),
        (&[Key::Enter], "SelectAuth", "16-keys-closed"),
    ];
    for (keys, state, name) in steps {
        type_keys(&display, &mut expected, &text, keys);
        assert_eq!(expected.app().state().name(), state, "{name}");
        expect_screen(&display, &window, &mut expected, &mut text, name);
    }

    assert!(
        matches!(app.0.try_wait(), Ok(None)),
        "the app is still running"
    );
    drop(app);

    // Nothing of the patient reaches the log, even at trace level.
    let log = fs::read_to_string(&log_path).expect("log readable");
    assert!(
        log.contains("screen ReadCard(Done) -> ShowResult"),
        "the log shows the flow:\n{log}"
    );
    for secret in [
        "資格 太郎",
        "太郎",
        "シカク",
        "12345678",
        "19520101",
        "1952年",
        "限定資格保険組合",
    ] {
        assert!(!log.contains(secret), "log leaks {secret:?}");
    }
    assert!(
        log.contains("ui action Digit"),
        "digit presses are logged as such"
    );
    assert!(!log.contains("Digit("), "but never which digit");
}
