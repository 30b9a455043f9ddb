//! Screen readers on Linux: the real binary (feature `atspi`) under Xvfb, with its own D-Bus
//! session and AT-SPI bus, read and driven by a real AT-SPI client (python3 with
//! gi.repository.Atspi, `tests/support/atspi_drive.py`) through accessibility actions only:
//! passcode → 認証選択 → a 目視 check with a demo tray card → 閉じる, checking the names read
//! on each screen, that the keypad never reads its digits, and that patient data is read on
//! the result and gone after 閉じる. Needs dbus, at-spi2-core, python3-gi and
//! gir1.2-atspi-2.0 (README's test command installs them). Every wait has a deadline; every
//! process is stopped on the way out.
#![cfg(all(feature = "atspi", feature = "demo", target_os = "linux"))]

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use myna_kakunin::app::{UiAction, SETTLE_MS};
use myna_kakunin::card::virtual_card::demo_cards;
use myna_kakunin::shell::demo;
use myna_kakunin::shell::headless::Session;
use myna_kakunin::ui::screens::{view, Size};
use myna_kakunin::ui::strings as s;
use myna_kakunin::ui::text::Text;
use myna_kakunin::ui::Kind;

#[path = "support/x11.rs"]
#[allow(dead_code)]
mod x11;
use x11::{start_xvfb, tool, Killed};

/// How long one step of the drive may take (the client polls within it).
const STEP_SECS: u64 = 30;

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("atspi");
    fs::create_dir_all(&dir).expect("target dir is writable");
    dir
}

/// Starts a private D-Bus session bus; its address.
fn start_session_bus() -> (Killed, String) {
    let mut child = tool("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon runs (apt-get install dbus)");
    let stdout = child.stdout.take().expect("piped stdout");
    let bus = Killed(child);
    let address = x11::first_line(stdout, Duration::from_secs(10))
        .expect("dbus-daemon prints its address within 10 s");
    assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
    (bus, address.trim().to_owned())
}

/// `dbus-send` on the session bus at `address`, bounded by `timeout`; whether it succeeded.
fn dbus_send(address: &str, args: &[&str]) -> bool {
    let mut c = tool("timeout");
    c.args(["5", "dbus-send", "--session", "--print-reply"])
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c.status().is_ok_and(|s| s.success())
}

/// Polls `ok` until it holds or `secs` pass.
fn wait_until(secs: u64, what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        thread::sleep(Duration::from_millis(100));
    }
}

/// What the result of demo card 0 reads (the same flow, headless): the words beside
/// フリガナ and 生年月日, patient data that must be gone after 閉じる.
fn expected_result_words(text: &Text) -> Vec<String> {
    let mut s = Session::from_pair(demo::setup(demo::system_clock));
    for d in demo::PASSCODE.bytes() {
        s.act_and_settle(UiAction::Digit(d - b'0'));
    }
    if s.app().state().name() == "Notices" {
        s.act_and_settle(UiAction::Close);
    }
    s.act_and_settle(UiAction::Next);
    s.act_and_settle(UiAction::DemoToggleCard(0));
    s.settle();
    s.act_and_settle(UiAction::Next);
    assert_eq!(s.app().state().name(), "ShowResult");
    let scene = view(s.app(), Size::DESIGN, text);
    let mut words = Vec::new();
    for pair in scene.widgets.windows(2) {
        if let (Kind::Text { text: l, .. }, Kind::Text { text: v, .. }) =
            (&pair[0].kind, &pair[1].kind)
        {
            if [s::field::KANA, s::field::BIRTHDATE].contains(&l.as_str()) {
                words.push(v.as_str().to_owned());
            }
        }
    }
    assert_eq!(words.len(), 2, "the result shows フリガナ and 生年月日");
    words
}

#[test]
fn a_screen_reader_completes_a_visual_check_through_atspi() {
    let text = Text::load().expect("embedded font parses");
    let result_words = expected_result_words(&text);
    let (_xvfb, display) = start_xvfb("1280x800x24");
    let (_bus, address) = start_session_bus();

    // The AT-SPI bus, as a desktop session starts it; accessibility switched on as a screen
    // reader does (org.a11y.Status.IsEnabled), which is what AccessKit waits for.
    let launcher = [
        "/usr/libexec/at-spi-bus-launcher",
        "/usr/lib/at-spi2-core/at-spi-bus-launcher",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .expect("at-spi-bus-launcher is installed (apt-get install at-spi2-core)");
    let _launcher = Killed(
        tool(launcher)
            .arg("--launch-immediately")
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("DISPLAY", &display)
            .env("GSETTINGS_BACKEND", "memory")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("at-spi-bus-launcher starts"),
    );
    let a11y_bus = ["--dest=org.a11y.Bus", "/org/a11y/bus"];
    wait_until(20, "the AT-SPI bus is up", || {
        dbus_send(
            &address,
            &[a11y_bus[0], a11y_bus[1], "org.a11y.Bus.GetAddress"],
        )
    });
    assert!(
        dbus_send(
            &address,
            &[
                a11y_bus[0],
                a11y_bus[1],
                "org.freedesktop.DBus.Properties.Set",
                "string:org.a11y.Status",
                "string:IsEnabled",
                "variant:boolean:true",
            ],
        ),
        "accessibility switched on"
    );

    let log_path = artifacts().join("app.log");
    let log = fs::File::create(&log_path).expect("log file");
    let _app = Killed(
        Command::new(env!("CARGO_BIN_EXE_myna-kakunin"))
            .args(["--demo", "--windowed", "--log", "debug"])
            .env("DISPLAY", &display)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("WINIT_X11_SCALE_FACTOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the binary starts"),
    );

    let card = &demo_cards()[0];
    let words = format!(
        "{{\"app\":{app},\"window\":{window},\"passcode_title\":{pt},\"passcode\":{pc},\
         \"two_digits\":{two},\"auth_title\":{at},\"method_visual\":{mv},\"next\":{next},\
         \"read_title\":{rt},\"card_holder\":{holder},\"result_title\":{res},\"close\":{close},\
         \"result_words\":[{rw}],\"step_secs\":{STEP_SECS},\"settle_ms\":{SETTLE_MS}}}",
        app = json("myna-kakunin"),
        window = json(s::APP_NAME),
        pt = json(s::PASSCODE_TITLE),
        pc = json(demo::PASSCODE),
        two = json(&s::digits_entered(2)),
        at = json(s::AUTH_SELECT_TITLE),
        mv = json(s::METHOD_VISUAL),
        next = json(s::NEXT),
        rt = json(s::READ_TITLE),
        holder = json(card.holder),
        res = json(s::RESULT_TITLE),
        close = json(s::CLOSE),
        rw = result_words
            .iter()
            .map(|w| json(w))
            .collect::<Vec<_>>()
            .join(","),
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/atspi_drive.py");
    // The whole drive is bounded: a few steps of STEP_SECS each at most.
    let out = tool("timeout")
        // Debian's python3, which python3-gi is built for (not whatever is first on PATH).
        .args(["180", "/usr/bin/python3", script, &words])
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .env("DISPLAY", &display)
        .env("GSETTINGS_BACKEND", "memory")
        .output()
        .expect("python3 runs (apt-get install python3-gi gir1.2-atspi-2.0)");
    let said = String::from_utf8_lossy(&out.stdout);
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && said.lines().last() == Some("OK"),
        "the AT-SPI drive failed ({}):\n{said}\n{errors}\napp log: {}",
        out.status,
        log_path.display()
    );
    // What the screen reader read and pressed, for the CI log.
    println!("{said}");
    for screen in [
        s::PASSCODE_TITLE,
        s::AUTH_SELECT_TITLE,
        s::READ_TITLE,
        s::RESULT_TITLE,
    ] {
        assert!(
            said.contains(&format!("screen '{screen}'")),
            "{screen} was read:\n{said}"
        );
    }
}

/// `s` as a JSON string.
fn json(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
