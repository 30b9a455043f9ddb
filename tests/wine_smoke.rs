//! Windows smoke test: the cross-built myna-kakunin.exe under wine, in Xvfb, against the
//! reference center over HTTPS on loopback. Run by `.ci/windows-smoke.sh`, which installs
//! wine, prepares a prefix with the test-only bcryptprimitives shim and sets
//! `MYNA_WINE_EXE` (the .exe) and `WINEPREFIX`; ignored in a plain `cargo test`.
//!
//! 1. A fresh data folder boots into 利用規約; the window matches the headless render.
//! 2. 初期登録 with the demo account on the on-screen keyboard (HTTPS POST /v1/devices),
//!    パスコード登録, 認証選択: every screen as the headless render draws it.
//! 3. A second launch exits at once and leaves the first running.
//! 4. Alt+F4 closes the window; the exe exits 0. The settings hold the secrets sealed
//!    with DPAPI (`dpapi:`), and the log file is in the data folder.
//! 5. Relaunched with `--kiosk`: パスコード入力 (the sealed secrets opened again), fullscreen;
//!    the passcode unlocks (HTTPS POST /v1/sessions/refresh, GET /v1/app-version); Alt+F4
//!    is ignored; セキュリティ設定 (behind the passcode) → アプリを終了 and the passcode
//!    again end it with exit 0.
//!
//! Every wait has a deadline; every process is killed on the way out.
#![cfg(feature = "demo")]

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread::sleep;
use std::time::{Duration, Instant};

use myna_kakunin::app::passcode::{PasscodeHash, SALT_LEN};
use myna_kakunin::app::settings::{Registration, Settings};
use myna_kakunin::app::{App, Boot, KeyLayer, MenuItem, UiAction};
use myna_kakunin::card::pcsc::PcscReader;
use myna_kakunin::center::reference::{
    demo_registration, LocalCenter, ReferenceCenter, DEMO_ACTIVATION_CODE, DEMO_INSTITUTION_CODE,
    DEMO_PASSWORD, DEMO_USER_ID,
};
use myna_kakunin::center::Center;
use myna_kakunin::sensitive::SensitiveText;
use myna_kakunin::shell::demo::system_clock;
use myna_kakunin::shell::headless::{render_app, Session};
use myna_kakunin::shell::worker::{Backends, ReaderBackend};
use myna_kakunin::ui::keys::Key;
use myna_kakunin::ui::render::Frame;
use myna_kakunin::ui::screens::{view, Size};
use myna_kakunin::ui::strings::APP_NAME;
use myna_kakunin::ui::text::Text;

#[path = "support/x11.rs"]
mod x11;
use x11::{run, start_xvfb, tool, wait_for_pixels, Expect, Killed};

const SCREEN_DEADLINE: Duration = Duration::from_secs(30);
/// The X screen: room for a 1280×800 window plus the frame wine draws without a window
/// manager (a smaller screen makes wine shrink the window).
const SCREEN: Size = Size { w: 1400, h: 900 };
const PASSCODE: [u8; 4] = [2, 5, 8, 0];

/// Stops every wine process of the prefix when dropped.
struct WineServer;

impl Drop for WineServer {
    fn drop(&mut self) {
        let _ = tool("timeout").args(["10", "wineserver", "-k"]).status();
    }
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wine-smoke");
    fs::create_dir_all(&dir).expect("target dir is writable");
    dir
}

/// The kiosk's window on the X display, and the size its content is laid out for.
struct Win {
    display: String,
    id: String,
    size: Size,
}

/// Waits until the window shows what the headless renderer draws for the session: not
/// blank, and the same pixels (wine draws nothing of ours: softbuffer hands it our frame),
/// the focus ring where the window's keyboard logic (shared with the session) puts it.
fn expect_screen(win: &Win, s: &mut Session, text: &mut Text, name: &str) {
    let (display, window, size) = (win.display.as_str(), win.id.as_str(), win.size);
    let frame = Frame {
        focus: s.ring(text),
        ..Frame::default()
    };
    let want = render_app(s.app(), size, text, frame);
    let expect = Expect {
        want: &want,
        size: (size.w as usize, size.h as usize),
        compared: &|_| true,
        deadline: SCREEN_DEADLINE,
        poll: Duration::from_millis(200),
        dir: &artifacts(),
    };
    wait_for_pixels(display, window, &expect, name);
}

/// Clicks the middle of `action` as the headless scene of `app` places it.
fn click(win: &Win, app: &App, text: &Text, action: UiAction) {
    let scene = view(app, win.size, text);
    let r = scene
        .rect_of(action)
        .unwrap_or_else(|| panic!("{action:?} is not on screen"));
    let (x, y) = r.center();
    let mut c = tool("xdotool");
    c.env("DISPLAY", &win.display).args([
        "mousemove",
        "--window",
        &win.id,
        &x.to_string(),
        &y.to_string(),
        "click",
        "1",
    ]);
    run(c, "xdotool click");
}

/// Clicks `action` in the window and steps the expected session the same way; for input
/// that stays on the same screen (a click within moments of a screen change is not taken:
/// use [`press_to`] for one that changes it).
fn press(win: &Win, s: &mut Session, text: &Text, action: UiAction) {
    let before = s.app().state().name();
    click(win, s.app(), text, action);
    s.touched();
    s.act_and_settle(action);
    assert_eq!(
        s.app().state().name(),
        before,
        "{action:?} changes the screen: press_to waits for it"
    );
    // The kiosk handles one click before the next arrives: wine queues input per window,
    // and a click on a key that moved (a layer change) must see the new layer.
    sleep(Duration::from_millis(60));
}

/// Clicks `action`, steps the expected session the same way, and waits until the window
/// shows the screen it leads to (saved as `name`); the next input may follow at once.
fn press_to(win: &Win, s: &mut Session, text: &mut Text, action: UiAction, name: &str) {
    click(win, s.app(), text, action);
    s.touched();
    s.act_and_settle(action);
    expect_screen(win, s, text, name);
}

/// Types `value` into the focused field with the on-screen keyboard, switching layers.
fn type_on_keyboard(win: &Win, s: &mut Session, text: &Text, value: &str) {
    for ch in value.chars() {
        let action = UiAction::Type(ch);
        for layer in [
            None,
            Some(KeyLayer::Upper),
            Some(KeyLayer::Lower),
            Some(KeyLayer::Symbols),
        ] {
            let on_screen = view(s.app(), win.size, text).rect_of(action).is_some();
            if on_screen {
                break;
            }
            if let Some(layer) = layer {
                let switch = UiAction::KeyboardLayer(layer);
                if view(s.app(), win.size, text).rect_of(switch).is_some() {
                    press(win, s, text, switch);
                }
            }
        }
        press(win, s, text, action);
    }
}

fn keys(win: &Win, keys: &[&str]) {
    let mut c = tool("xdotool");
    c.env("DISPLAY", &win.display)
        .args(["windowfocus", "--sync", &win.id, "key", "--delay", "60"])
        .args(keys);
    run(c, "xdotool key");
}

/// The kiosk's window: the visible top-level window titled with the app's name.
fn find_window(display: &str, size: Size) -> Win {
    let mut search = tool("xdotool");
    search.env("DISPLAY", display).args([
        "search",
        "--sync",
        "--onlyvisible",
        "--name",
        &format!("^{APP_NAME}$"),
    ]);
    let found = run(search, "xdotool search");
    let id = String::from_utf8_lossy(&found.stdout)
        .lines()
        .next()
        .expect("a window id")
        .trim()
        .to_owned();
    Win {
        display: display.to_owned(),
        id,
        size,
    }
}

/// The Windows path wine gives a Unix path (drive Z: is the root).
fn wine_path(p: &Path) -> String {
    format!("Z:{}", p.display()).replace('/', "\\")
}

/// Starts the exe under wine with `args`, its output in `log`.
fn start_exe(exe: &str, display: &str, args: &[&str], log: &Path) -> Killed {
    let log = fs::File::create(log).expect("log file");
    let child = tool("wine")
        .arg(exe)
        .args(args)
        .env("DISPLAY", display)
        .env("WINEDEBUG", "-all")
        .stdout(log.try_clone().expect("log handle"))
        .stderr(log)
        .spawn()
        .expect("wine runs");
    Killed(child)
}

/// Waits for `child` to exit within `limit`; its exit code.
fn wait_exit(child: &mut Killed, limit: Duration, what: &str) -> i32 {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.0.try_wait() {
            return status.code().unwrap_or(-1);
        }
        assert!(
            Instant::now() < deadline,
            "{what}: still running after {limit:?}"
        );
        sleep(Duration::from_millis(100));
    }
}

/// Waits until `path` holds `needle`.
fn wait_for_text(path: &Path, needle: &str, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    loop {
        let text = fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} never showed {needle:?}:\n{text}",
            path.display()
        );
        sleep(Duration::from_millis(100));
    }
}

/// A session like the kiosk's: the given settings, no PC/SC reader in use, and an
/// in-process reference center with the demo records.
fn expected_session(settings: Settings, center: LocalCenter) -> Session {
    let backends = Backends {
        reader: ReaderBackend::Pcsc(PcscReader::new(None)),
        center: Box::new(center),
        store: None,
        export: None,
        clipboard: None,
    };
    Session::new(App::new(Boot::Settings(Box::new(settings)), None), backends)
}

#[test]
#[ignore = "needs wine, Xvfb and the cross-built exe: run .ci/windows-smoke.sh"]
fn the_exe_runs_under_wine_against_the_reference_center() {
    let exe = std::env::var("MYNA_WINE_EXE").expect("MYNA_WINE_EXE names the .exe");
    assert!(
        std::env::var_os("WINEPREFIX").is_some(),
        "WINEPREFIX is set"
    );
    let _wineserver = WineServer;
    let (_xvfb, display) = start_xvfb(&format!("{}x{}x24", SCREEN.w, SCREEN.h));
    // Screenshots of an earlier run must not be mistaken for this one's.
    let _ = fs::remove_dir_all(artifacts());
    let work = artifacts();
    let data = work.join("data");
    let _ = fs::remove_dir_all(&data);
    fs::create_dir_all(&data).expect("data folder");

    // The reference center (TEST ONLY) over HTTPS on a free loopback port.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let pki = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pki/tls");
    let center_log = work.join("center.log");
    let mut center = Killed(
        tool(env!("CARGO_BIN_EXE_myna-kakunin"))
            .args(["reference-center", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--tls-cert")
            .arg(pki.join("server.cert.pem"))
            .arg("--tls-key")
            .arg(pki.join("server.key.pem"))
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&center_log).expect("center log"))
            .spawn()
            .expect("the reference center starts"),
    );
    let mut first_line = String::new();
    BufReader::new(center.0.stdout.take().expect("piped"))
        .read_line(&mut first_line)
        .expect("the center says where it listens");
    assert!(first_line.contains("listening"), "{first_line}");
    fs::write(
        data.join("config.txt"),
        format!(
            "center_url=https://127.0.0.1:{port}\ntrust_pem={}\n",
            wine_path(&pki.join("ca.cert.pem"))
        ),
    )
    .expect("config.txt");
    let data_arg = wine_path(&data);

    let mut text = Text::load().expect("embedded font parses");
    let local = || LocalCenter::new(ReferenceCenter::with_demo_records(), Box::new(system_clock));

    // 1. Fresh: 利用規約.
    let started = Instant::now();
    let mut exe1 = start_exe(
        &exe,
        &display,
        &["--windowed", "--data-dir", &data_arg, "--log", "debug"],
        &work.join("exe-1.log"),
    );
    let win = find_window(&display, Size::DESIGN);
    let mut s = expected_session(Settings::default(), local());
    expect_screen(&win, &mut s, &mut text, "1-terms");
    eprintln!("first screen after {} ms", started.elapsed().as_millis());

    // 2. 初期登録 on the on-screen keyboard, over HTTPS.
    press_to(&win, &mut s, &mut text, UiAction::AcceptTerms, "2-register");
    for (field, value) in [
        DEMO_INSTITUTION_CODE,
        DEMO_USER_ID,
        DEMO_PASSWORD,
        DEMO_ACTIVATION_CODE,
    ]
    .into_iter()
    .enumerate()
    {
        press(&win, &mut s, &text, UiAction::FocusField(field as u8));
        type_on_keyboard(&win, &mut s, &text, value);
    }
    expect_screen(&win, &mut s, &mut text, "2-register-filled");
    press_to(&win, &mut s, &mut text, UiAction::Submit, "3-registered");
    assert_eq!(s.app().state().name(), "Registered");
    wait_for_text(
        &center_log,
        "POST /v1/devices: HTTP 201",
        Duration::from_secs(5),
    );

    // パスコード登録 (twice, keyboard digits), then start-up.
    press_to(&win, &mut s, &mut text, UiAction::Ok, "4-new-passcode");
    let digits: Vec<String> = PASSCODE.iter().map(|d| d.to_string()).collect();
    let digits: Vec<&str> = digits.iter().map(String::as_str).collect();
    for name in ["4-confirm-passcode", "5-passcode-registered"] {
        keys(&win, &digits);
        for d in PASSCODE {
            s.key(Key::Char(char::from(b'0' + d)), &text);
        }
        expect_screen(&win, &mut s, &mut text, name);
    }
    press_to(&win, &mut s, &mut text, UiAction::Ok, "6-notices");
    // The unread お知らせ come first (manual P.5), then 認証選択.
    assert_eq!(s.app().state().name(), "Notices");
    press_to(&win, &mut s, &mut text, UiAction::Close, "6-auth-select");
    assert_eq!(s.app().state().name(), "SelectAuth");

    // 3. A second launch ends at once; the first keeps running.
    let mut second = start_exe(
        &exe,
        &display,
        &["--windowed", "--data-dir", &data_arg],
        &work.join("exe-second.log"),
    );
    assert_eq!(
        wait_exit(&mut second, Duration::from_secs(20), "second launch"),
        0
    );
    let said = fs::read_to_string(work.join("exe-second.log")).unwrap_or_default();
    assert!(said.contains("already running"), "{said}");
    assert!(
        matches!(exe1.0.try_wait(), Ok(None)),
        "the first kiosk still runs"
    );

    // 4. Alt+F4 closes a normal window; exit 0.
    keys(&win, &["alt+F4"]);
    assert_eq!(wait_exit(&mut exe1, Duration::from_secs(20), "Alt+F4"), 0);
    let settings = fs::read_to_string(data.join("settings.txt")).expect("settings saved");
    for key in ["device_credential=dpapi:", "refresh_token=dpapi:"] {
        assert!(settings.contains(key), "{key} missing:\n{settings}");
    }
    let log = fs::read_to_string(data.join("myna-kakunin.log")).expect("a log file");
    assert!(log.contains("screen Terms -> Register"), "{log}");
    for secret in [DEMO_PASSWORD, DEMO_ACTIVATION_CODE] {
        assert!(
            !log.contains(secret) && !settings.contains(secret),
            "{secret} leaked"
        );
    }

    // 5. Again in kiosk mode: パスコード入力, fullscreen; the passcode unlocks over HTTPS.
    let mut exe2 = start_exe(
        &exe,
        &display,
        &["--kiosk", "--data-dir", &data_arg, "--log", "debug"],
        &work.join("exe-2.log"),
    );
    let win = find_window(&display, SCREEN);
    let mut registered = local();
    let enrollment = registered
        .register_device(&demo_registration())
        .expect("the demo account registers");
    // The first run closed the お知らせ, which marks them read: the expected center agrees.
    let read: Vec<_> = registered
        .notices()
        .expect("notices")
        .into_iter()
        .map(|n| n.id)
        .collect();
    registered.mark_notices_read(&read).expect("marked read");
    let settings = Settings {
        terms_accepted: true,
        registration: Some(Registration {
            institution_code: DEMO_INSTITUTION_CODE.to_owned(),
            user_id: DEMO_USER_ID.to_owned(),
            device_credential: SensitiveText::from(enrollment.device.expose()),
            refresh_token: Some(SensitiveText::from(
                enrollment.session.refresh_token.expose(),
            )),
        }),
        passcode: Some(PasscodeHash::derive(b"2580", [7; SALT_LEN])),
        visual_check: true,
        reader: None,
        passcode_failures: 0,
    };
    let mut s = expected_session(settings, registered);
    assert_eq!(s.app().state().name(), "EnterPasscode");
    expect_screen(&win, &mut s, &mut text, "7-kiosk-passcode");
    let refreshes = |log: &str| log.matches("POST /v1/sessions/refresh: HTTP 200").count();
    let before = refreshes(&fs::read_to_string(&center_log).unwrap_or_default());
    keys(&win, &digits);
    for d in PASSCODE {
        s.key(Key::Char(char::from(b'0' + d)), &text);
    }
    expect_screen(&win, &mut s, &mut text, "8-kiosk-unlocked");
    let center_text = wait_for_text(
        &center_log,
        "GET /v1/app-version: HTTP 200",
        Duration::from_secs(5),
    );
    assert!(
        refreshes(&center_text) > before,
        "the unlock renewed the session over HTTPS:\n{center_text}"
    );

    keys(&win, &["alt+F4"]);
    sleep(Duration::from_secs(2));
    assert!(
        matches!(exe2.0.try_wait(), Ok(None)),
        "kiosk mode ignores Alt+F4"
    );
    let log = fs::read_to_string(data.join("myna-kakunin.log")).expect("a log file");
    assert!(log.contains("close request ignored: kiosk mode"), "{log}");

    // The way out: ⚙ → セキュリティ設定 (the passcode) → アプリを終了 → the passcode again;
    // exit 0. (The お知らせ were read in the first run, so the unlock went straight to
    // 認証選択.)
    assert_eq!(s.app().state().name(), "SelectAuth");
    press_to(&win, &mut s, &mut text, UiAction::OpenMenu, "9-kiosk-menu");
    press_to(
        &win,
        &mut s,
        &mut text,
        UiAction::Menu(MenuItem::Security),
        "9-kiosk-security-passcode",
    );
    assert_eq!(s.app().state().name(), "SecurityPasscode");
    keys(&win, &digits);
    for d in PASSCODE {
        s.key(Key::Char(char::from(b'0' + d)), &text);
    }
    assert_eq!(s.app().state().name(), "Security");
    expect_screen(&win, &mut s, &mut text, "9-kiosk-security");
    press_to(
        &win,
        &mut s,
        &mut text,
        UiAction::Menu(MenuItem::Quit),
        "10-kiosk-quit-passcode",
    );
    assert_eq!(s.app().state().name(), "QuitPasscode");
    keys(&win, &digits);
    assert_eq!(
        wait_exit(&mut exe2, Duration::from_secs(20), "アプリを終了"),
        0
    );
    eprintln!(
        "wine smoke test passed in {} ms",
        started.elapsed().as_millis()
    );
}
