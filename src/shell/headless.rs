//! The headless renderer: draws screens into memory and writes PNGs, with no window.
//! Tests and the `screenshots` subcommand use it; the GUI test compares the real window
//! against it.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

use crate::app::{App, Command, Millis, UiAction};
use crate::ui::canvas::Canvas;
use crate::ui::keys::{Key, Keyboard};
use crate::ui::render::{render, Frame};
use crate::ui::screens::{view, Size};
use crate::ui::text::Text;

use super::png::write_png;
use super::worker::{execute, Backends};

/// Renders the app's current screen at `size` (scale 1) into a new pixel buffer.
pub fn render_app(app: &App, size: Size, text: &mut Text, frame: Frame) -> Vec<u32> {
    let (w, h) = (size.w.max(1) as u32, size.h.max(1) as u32);
    let mut pixels = vec![0; w as usize * h as usize];
    let scene = view(app, size, text);
    if let Some(mut canvas) = Canvas::new(&mut pixels, w, h) {
        render(&scene, &mut canvas, text, frame);
    }
    pixels
}

/// Writes the app's current screen as a PNG.
pub fn write_screen(app: &App, size: Size, text: &mut Text, path: &Path) -> io::Result<()> {
    let pixels = render_app(app, size, text, Frame::default());
    let mut out = BufWriter::new(File::create(path)?);
    write_png(&mut out, size.w as u32, size.h as u32, &pixels)
}

/// An app driven synchronously: commands run on the calling thread, in order, through the
/// same `execute` the worker thread uses. For tests and screenshots.
pub struct Session {
    app: App,
    backends: Backends,
    pending: VecDeque<Command>,
    now: Millis,
    keyboard: Keyboard,
}

impl Session {
    /// A session over `app` and `backends`.
    pub fn new(app: App, backends: Backends) -> Self {
        Self {
            app,
            backends,
            pending: VecDeque::new(),
            now: Millis(0),
            keyboard: Keyboard::default(),
        }
    }

    /// A session over an `(app, backends)` pair, as `shell::demo::setup` returns.
    pub fn from_pair((app, backends): (App, Backends)) -> Self {
        Self::new(app, backends)
    }

    /// The app.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Commands queued and not yet run.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The commands queued and not yet run, oldest first (to see what a step asked for).
    pub fn queued(&self) -> impl Iterator<Item = &Command> + '_ {
        self.pending.iter()
    }

    /// Takes the queued commands out without running them (a test that must not start a
    /// browser drops the `OpenUrl` this way).
    pub fn take_pending(&mut self) -> Vec<Command> {
        self.pending.drain(..).collect()
    }

    /// The session's clock: it moves 1 ms per event fed, and by [`Session::advance`].
    pub fn now(&self) -> Millis {
        self.now
    }

    /// Nobody touches the kiosk for `ms` milliseconds: the clock moves on and the app gets
    /// an [`Event::Tick`](crate::app::Event::Tick) at the new time, as the window's timer
    /// would send it. The commands it produces are queued.
    pub fn advance(&mut self, ms: u64) {
        self.now = self.now.after(ms);
        let commands = self.app.step(crate::app::Event::Tick, self.now);
        self.pending.extend(commands);
    }

    /// The clock moves `ms` without waking the app (a press that comes a moment later, a
    /// restarted kiosk that keeps the machine's clock).
    pub fn advance_quietly(&mut self, ms: u64) {
        self.now = self.now.after(ms);
    }

    /// Drops the oldest queued command without running it (a test that must not start a
    /// browser drops an `OpenUrl` this way). False if none was queued.
    pub fn skip_one(&mut self) -> bool {
        self.pending.pop_front().is_some()
    }

    /// Ends the session and hands back its app and backends (a restart builds a new app
    /// from the saved settings and keeps the backends, as the center keeps its state).
    pub fn into_parts(self) -> (App, Backends) {
        (self.app, self.backends)
    }

    /// A person acts; the resulting commands are queued, not run. A person's press comes
    /// at least [`SETTLE_MS`](crate::app::SETTLE_MS) after the one before, so the clock
    /// moves that far first (a test of hurried presses feeds them with [`Session::feed`]).
    pub fn act(&mut self, action: UiAction) {
        self.now = self.now.after(crate::app::SETTLE_MS);
        self.feed(crate::app::Event::Ui(action));
    }

    /// Feeds any event, queueing the commands it produces.
    pub fn feed(&mut self, event: crate::app::Event) {
        self.now.0 += 1;
        let commands = self.app.step(event, self.now);
        self.pending.extend(commands);
    }

    /// Runs the oldest queued command and feeds its events back. False if none was queued.
    pub fn run_one(&mut self) -> bool {
        let Some(command) = self.pending.pop_front() else {
            return false;
        };
        for event in execute(&mut self.backends, command) {
            self.feed(event);
        }
        true
    }

    /// Runs queued commands until none is left (bounded, so a loop cannot hang a test).
    pub fn settle(&mut self) {
        for _ in 0..64 {
            if !self.run_one() {
                return;
            }
        }
        log::warn!("session did not settle after 64 commands");
    }

    /// A person acts and every resulting command runs.
    pub fn act_and_settle(&mut self, action: UiAction) {
        self.act(action);
        self.settle();
    }

    /// A key pressed as the window takes it: through the scene on screen (laid out at the
    /// design size) and the focus ring. The action it leads to, if any, is taken and its
    /// commands run; it is returned.
    pub fn key(&mut self, key: Key, text: &Text) -> Option<UiAction> {
        let scene = view(&self.app, Size::DESIGN, text);
        let action = self.keyboard.press(key, self.app.state().name(), &scene);
        drop(scene);
        if let Some(action) = action {
            self.act_and_settle(action);
        }
        action
    }

    /// The keyboard's state (the ring, the screen it is on), to try keys on a copy.
    pub fn keyboard(&self) -> Keyboard {
        self.keyboard
    }

    /// The widget the focus ring is on, in the scene at the design size.
    pub fn ring(&mut self, text: &Text) -> Option<usize> {
        let scene = view(&self.app, Size::DESIGN, text);
        self.keyboard.ring(self.app.state().name(), &scene)
    }

    /// A touch somewhere: the ring hides until the next key (actions still come by
    /// [`Session::act`]).
    pub fn touched(&mut self) {
        self.keyboard.touched();
    }
}

/// The center's time for screenshots: 2026-11-24 09:00 JST, a day inside every demo
/// record's dates and within three months of the expiring card's certificate expiry, so
/// every result variant shows as designed whatever day the screenshots are made.
#[cfg(feature = "demo")]
pub const SCREENSHOT_TIME: i64 = 1_795_478_400;

/// Writes a PNG of every screen and every result variant of the demo into `dir`; returns
/// the file names, in the order taken.
#[cfg(feature = "demo")]
pub fn demo_screenshots(dir: &Path, size: Size) -> io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut text = Text::load().map_err(|_| io::Error::other("embedded font does not parse"))?;
    let mut written = Vec::new();
    demo_tour(SCREENSHOT_TIME, &mut text, |app, name, text| {
        let file = format!("{name}.png");
        write_screen(app, size, text, &dir.join(&file))?;
        written.push(file);
        Ok(())
    })?;
    Ok(written)
}

/// Walks the demo through every screen of the app and every result variant, calling
/// `shot` with the app, a file-friendly name and the font at each. Every step is a real transition
/// (a person's action, or the worker running the command it asked for), except the two
/// failures the demo cannot cause: an unreachable center at start-up and a settings file
/// that cannot be written, which are fed in as the worker would report them. `text` also
/// lays out scenes to find out how many pages a result has; `clock_unix` is the center's
/// time.
#[cfg(feature = "demo")]
pub fn demo_tour(
    clock_unix: i64,
    text: &mut Text,
    mut shot: impl FnMut(&App, &str, &mut Text) -> io::Result<()>,
) -> io::Result<()> {
    use super::demo;
    use crate::app::{Boot, Event, KeyLayer, MenuItem};
    use crate::card::virtual_card::demo_cards;
    use crate::center::info::{AppVersion, Version};
    use crate::center::reference::{
        ReferenceCenter, DEMO_ACTIVATION_CODE, DEMO_INSTITUTION_CODE, DEMO_PASSWORD, DEMO_USER_ID,
    };
    use crate::center::CenterError;
    use UiAction as A;

    const NEW_PASSWORD: &str = "Newer#Pass2026";
    let clock = move || clock_unix;
    let digits = |s: &mut Session, digits: &str| {
        for d in digits.bytes() {
            s.act_and_settle(A::Digit(d.wrapping_sub(b'0')));
        }
    };
    // Typing as on the on-screen keyboard: the key's layer first, then the key.
    let type_in = |s: &mut Session, field: u8, value: &str| {
        s.act(A::FocusField(field));
        for c in value.chars() {
            s.act(A::KeyboardLayer(if c.is_ascii_lowercase() {
                KeyLayer::Lower
            } else if c.is_ascii_uppercase() {
                KeyLayer::Upper
            } else {
                KeyLayer::Symbols
            }));
            s.act(A::Type(c));
        }
    };
    let clear = |s: &mut Session, field: u8| {
        s.act(A::FocusField(field));
        for _ in 0..crate::app::form::MAX_LEN {
            s.act(A::CaretRight);
        }
        for _ in 0..crate::app::form::MAX_LEN {
            s.act(A::Backspace);
        }
    };
    let unlock = |s: &mut Session| {
        digits(s, demo::PASSCODE);
        if s.app().state().name() == "Notices" {
            s.act_and_settle(A::Close);
        }
    };
    let index_of = |id: &str| {
        demo_cards()
            .iter()
            .position(|c| c.id == id)
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or(0)
    };

    // --- A fresh device: damaged settings, 利用規約, 初期登録, パスコード登録 --------------
    let (fresh, backends) = demo::setup_fresh(clock);
    let tray = fresh.demo().map(|t| t.setup.clone());
    let mut s = Session::new(App::new(Boot::Damaged, tray), backends);
    shot(s.app(), "001-settings-damaged", text)?;
    s.act_and_settle(A::Ok);
    shot(s.app(), "002-terms", text)?;
    s.act_and_settle(A::AcceptTerms);
    shot(s.app(), "003-register", text)?;
    s.act(A::Submit);
    shot(s.app(), "004-register-missing", text)?;
    type_in(&mut s, 0, "1312345678");
    type_in(&mut s, 1, DEMO_USER_ID);
    type_in(&mut s, 2, DEMO_PASSWORD);
    type_in(&mut s, 3, "DEMO-MYNA-TEST-0002");
    s.act(A::Submit);
    shot(s.app(), "005-register-check-digit", text)?;
    clear(&mut s, 0);
    type_in(&mut s, 0, DEMO_INSTITUTION_CODE);
    s.act(A::ToggleReveal(2));
    s.act(A::Submit);
    shot(s.app(), "006-register-sending", text)?;
    s.settle();
    shot(s.app(), "007-register-refused", text)?;
    clear(&mut s, 3);
    type_in(&mut s, 3, DEMO_ACTIVATION_CODE);
    s.act_and_settle(A::Submit);
    shot(s.app(), "008-registered", text)?;
    s.act_and_settle(A::Ok);
    shot(s.app(), "009-passcode-setup", text)?;
    digits(&mut s, "2468");
    shot(s.app(), "010-passcode-setup-again", text)?;
    digits(&mut s, "2469");
    shot(s.app(), "011-passcode-setup-mismatch", text)?;
    digits(&mut s, "24682468");
    shot(s.app(), "012-passcode-registered", text)?;
    s.act(A::Ok);
    shot(s.app(), "013-starting", text)?;
    s.settle();
    shot(s.app(), "014-notices-new-device", text)?;

    // --- Start-up of the registered demo: passcode, お知らせ, 認証選択 ----------------------
    let mut s = Session::from_pair(demo::setup(clock));
    shot(s.app(), "020-passcode", text)?;
    digits(&mut s, "99");
    shot(s.app(), "021-passcode-typing", text)?;
    digits(&mut s, "99");
    shot(s.app(), "022-passcode-wrong", text)?;
    digits(&mut s, demo::PASSCODE);
    shot(s.app(), "023-notices", text)?;
    s.act_and_settle(A::Close);
    shot(s.app(), "024-auth-select-visual", text)?;

    // --- The gate: five wrong passcodes make the pad wait; パスコードを忘れた場合 --------------
    let mut g = Session::from_pair(demo::setup(clock));
    for _ in 0..5 {
        digits(&mut g, "9999");
    }
    shot(g.app(), "025-passcode-wait", text)?;
    g.act(A::ForgotPasscode);
    g.advance(31_000);
    g.act(A::ForgotPasscode);
    shot(g.app(), "026-login-forgot-passcode", text)?;

    // --- 目視: reading, then every demo card ----------------------------------------------
    s.act_and_settle(A::Next);
    shot(s.app(), "030-read-wait-card", text)?;
    s.act_and_settle(A::ReadCard);
    shot(s.app(), "031-error-no-card", text)?;
    s.act_and_settle(A::Back);
    s.act(A::DemoToggleCard(0));
    s.run_one(); // the card lands on the reader; the read starts
    shot(s.app(), "032-reading-card", text)?;
    s.run_one(); // certificate read; the center is asked
    shot(s.app(), "033-asking-center", text)?;
    s.run_one();
    shot(s.app(), "034-read-done", text)?;
    s.act_and_settle(A::Next);
    s.advance(45_000);
    shot(s.app(), "035-result-countdown", text)?;
    s.act_and_settle(A::Close);
    s.act_and_settle(A::DemoToggleCard(0));
    for (i, card) in demo_cards().iter().enumerate() {
        let Ok(index) = u8::try_from(i) else { break };
        s.act_and_settle(A::DemoToggleCard(index));
        let name = format!("{:03}-{}", 40 + i, card.id);
        if s.app().state().name() == "EnterPin(Typing)" {
            // An Android phone: its PIN, in 目視 mode too (the reason is on the pad).
            shot(s.app(), &format!("{name}-pin"), text)?;
            digits(&mut s, card.pin);
            s.act_and_settle(A::Next);
        }
        if s.app().state().name() == "ReadFailed" {
            shot(s.app(), &format!("{name}-error"), text)?;
            s.act_and_settle(A::Back);
        } else {
            s.act_and_settle(A::Next);
            shot(s.app(), &format!("{name}-result"), text)?;
            let mut page = 1;
            while page < 8
                && view(s.app(), Size::DESIGN, text)
                    .rect_of(A::NextPage)
                    .is_some()
            {
                page += 1;
                s.act(A::NextPage);
                shot(s.app(), &format!("{name}-result-page{page}"), text)?;
            }
            s.act_and_settle(A::Close);
        }
        s.act_and_settle(A::DemoToggleCard(index));
    }

    // What a phone or an unknown holder is told (fed in as the worker reports it).
    for (name, e) in [
        ("057-phone-moved-error", crate::card::CardError::PhoneMoved),
        (
            "058-unknown-holder-error",
            crate::card::CardError::UnknownHolder,
        ),
        (
            "059-phone-locked-error",
            crate::card::CardError::PhoneLocked,
        ),
    ] {
        s.act_and_settle(A::Next);
        s.act(A::ReadCard);
        s.take_pending();
        s.feed(Event::CertificateRead(Err(e)));
        shot(s.app(), name, text)?;
        s.act_and_settle(A::Back);
    }

    // --- メニュー, カードリーダー選択, お知らせ ------------------------------------------------
    s.act_and_settle(A::OpenMenu);
    shot(s.app(), "060-menu", text)?;
    s.act(A::Menu(MenuItem::ReaderSelect));
    shot(s.app(), "061-reader-select-none", text)?;
    s.settle();
    shot(s.app(), "062-reader-select", text)?;
    s.act_and_settle(A::SelectReader(0));
    shot(s.app(), "063-reader-selected", text)?;
    s.act_and_settle(A::Back);
    s.act_and_settle(A::Menu(MenuItem::Notices));
    shot(s.app(), "064-notices-from-menu", text)?;
    s.act_and_settle(A::Close);

    // --- セキュリティ設定: アカウントパスワード設定 ------------------------------------------
    s.act_and_settle(A::Menu(MenuItem::Security));
    shot(s.app(), "069-security-passcode", text)?;
    digits(&mut s, demo::PASSCODE);
    shot(s.app(), "070-security", text)?;
    s.act_and_settle(A::Menu(MenuItem::AccountPassword));
    shot(s.app(), "071-account-password", text)?;
    type_in(&mut s, 0, DEMO_PASSWORD);
    type_in(&mut s, 1, "Ab1!");
    type_in(&mut s, 2, "Ab1!");
    s.act_and_settle(A::Submit);
    shot(s.app(), "072-account-password-rule", text)?;
    clear(&mut s, 1);
    type_in(&mut s, 1, NEW_PASSWORD);
    clear(&mut s, 2);
    type_in(&mut s, 2, "Newer#Pass2027");
    s.act_and_settle(A::Submit);
    shot(s.app(), "073-account-password-mismatch", text)?;
    clear(&mut s, 0);
    type_in(&mut s, 0, "Wrong#Pass2025");
    clear(&mut s, 2);
    type_in(&mut s, 2, NEW_PASSWORD);
    s.act(A::ToggleReveal(1));
    s.act_and_settle(A::Submit);
    shot(s.app(), "074-account-password-refused", text)?;
    clear(&mut s, 0);
    type_in(&mut s, 0, DEMO_PASSWORD);
    s.act_and_settle(A::Submit);
    shot(s.app(), "075-password-changed", text)?;
    s.act_and_settle(A::Ok);

    // --- ログインパスコード設定 ---------------------------------------------------------------
    s.act_and_settle(A::Menu(MenuItem::ChangePasscode));
    shot(s.app(), "080-passcode-current", text)?;
    digits(&mut s, "5555");
    shot(s.app(), "081-passcode-current-wrong", text)?;
    digits(&mut s, demo::PASSCODE);
    shot(s.app(), "082-passcode-new", text)?;
    digits(&mut s, demo::PASSCODE);
    shot(s.app(), "083-passcode-new-again", text)?;
    digits(&mut s, demo::PASSCODE);
    shot(s.app(), "084-passcode-changed", text)?;
    s.act_and_settle(A::Ok);

    // --- デバイス登録解除 and ログアウト: the confirmations ------------------------------------
    s.act_and_settle(A::Menu(MenuItem::Deregister));
    shot(s.app(), "085-deregister-confirm", text)?;
    s.act_and_settle(A::Ok);
    shot(s.app(), "086-deregister-confirm-again", text)?;
    s.act_and_settle(A::Cancel);
    s.act_and_settle(A::Menu(MenuItem::Logout));
    shot(s.app(), "087-logout-confirm", text)?;
    s.act_and_settle(A::Cancel);

    // --- 暗証番号 mode ------------------------------------------------------------------------
    s.act_and_settle(A::ToggleVisualCheck);
    shot(s.app(), "090-security-pin-mode", text)?;
    s.act_and_settle(A::Back);
    s.act_and_settle(A::Back);
    shot(s.app(), "091-auth-select-pin", text)?;
    s.act_and_settle(A::Next);
    shot(s.app(), "092-start-pin-confirm", text)?;
    s.act_and_settle(A::Ok);
    shot(s.app(), "093-pin-set-card", text)?;
    s.act(A::DemoToggleCard(0));
    s.run_one(); // the card lands; its tries are asked
    shot(s.app(), "094-pin-asking-tries", text)?;
    s.settle();
    shot(s.app(), "095-pin-tries", text)?;
    digits(&mut s, "99");
    shot(s.app(), "096-pin-typing", text)?;
    digits(&mut s, "99");
    // The challenge fetched when the pad opened went stale while the patient hesitated
    // (and no tick replaced it): 次へ asks for a fresh one and the read waits for it.
    s.advance_quietly(100_000);
    s.act(A::Next);
    shot(s.app(), "097-pin-getting-challenge", text)?;
    s.settle();
    shot(s.app(), "098-pin-wrong", text)?;
    digits(&mut s, demo_cards()[0].pin);
    s.act_and_settle(A::Next);
    s.act_and_settle(A::Next);
    shot(s.app(), "099-pin-result", text)?;
    s.act_and_settle(A::Close);
    s.act_and_settle(A::DemoToggleCard(0));
    let one_try = index_of("one-try");
    s.act_and_settle(A::Next);
    s.act_and_settle(A::Ok);
    s.act_and_settle(A::DemoToggleCard(one_try));
    shot(s.app(), "100-pin-last-try", text)?;
    s.act_and_settle(A::Back);
    s.act_and_settle(A::DemoToggleCard(one_try));
    let locked = index_of("locked");
    s.act_and_settle(A::Next);
    s.act_and_settle(A::Ok);
    s.act_and_settle(A::DemoToggleCard(locked));
    shot(s.app(), "101-pin-locked-card", text)?;
    s.act_and_settle(A::Back);
    s.act_and_settle(A::DemoToggleCard(locked));
    // A 顔認証マイナンバーカード: no pad; staff confirm by the photo, 目視 this once.
    let face = index_of("face");
    s.act_and_settle(A::Next);
    s.act_and_settle(A::Ok);
    s.act_and_settle(A::DemoToggleCard(face));
    s.act_and_settle(A::VisualInstead);
    shot(s.app(), "103-visual-once-confirm", text)?;
    s.act_and_settle(A::Ok);
    s.act_and_settle(A::Next);
    shot(s.app(), "104-visual-once-result", text)?;
    s.act_and_settle(A::Close);
    s.act_and_settle(A::DemoToggleCard(face));
    // An Android phone: its スマホ用 PIN; an iPhone: no pad, authenticated on the phone.
    let android = index_of("android");
    s.act_and_settle(A::Next);
    s.act_and_settle(A::Ok);
    s.act_and_settle(A::DemoToggleCard(android));
    shot(s.app(), "106-pin-android", text)?;
    digits(&mut s, demo_cards()[usize::from(android)].pin);
    s.act_and_settle(A::Next);
    s.act_and_settle(A::Next);
    shot(s.app(), "107-pin-android-result", text)?;
    s.act_and_settle(A::Close);
    s.act_and_settle(A::DemoToggleCard(android));
    let iphone = index_of("iphone");
    s.act_and_settle(A::Next);
    s.act_and_settle(A::Ok);
    s.act_and_settle(A::DemoToggleCard(iphone));
    shot(s.app(), "108-pin-iphone", text)?;
    s.act_and_settle(A::Next);
    s.act_and_settle(A::Next);
    shot(s.app(), "109-pin-iphone-result", text)?;
    s.act_and_settle(A::Close);
    s.act_and_settle(A::DemoToggleCard(iphone));
    // The card is taken off while the patient types: the PIN is wiped.
    s.act_and_settle(A::Next);
    s.act_and_settle(A::Ok);
    s.act_and_settle(A::DemoToggleCard(0));
    digits(&mut s, "12");
    s.act_and_settle(A::DemoToggleCard(0));
    shot(s.app(), "102-pin-card-removed", text)?;
    s.act_and_settle(A::Back);

    // --- A settings file that cannot be written (fed in as the worker reports it) ---------
    s.feed(Event::SettingsSaved(Err(
        crate::app::settings::SaveProblem::Full,
    )));
    shot(s.app(), "105-settings-not-saved", text)?;
    s.feed(Event::SettingsSaved(Ok(())));

    // --- ログアウト → システムログイン; the lock after five wrong passwords -------------------
    s.act_and_settle(A::OpenMenu);
    s.act_and_settle(A::Menu(MenuItem::Security));
    digits(&mut s, demo::PASSCODE);
    s.act_and_settle(A::Menu(MenuItem::Logout));
    s.act_and_settle(A::Ok);
    shot(s.app(), "110-login", text)?;
    type_in(&mut s, 0, DEMO_USER_ID);
    for attempt in 1..=5 {
        clear(&mut s, 1);
        type_in(&mut s, 1, "Wrong#Pass2025");
        s.act_and_settle(A::Submit);
        if attempt == 1 {
            shot(s.app(), "111-login-wrong", text)?;
        }
    }
    shot(s.app(), "112-login-locked", text)?;

    // --- デバイス登録解除, done -------------------------------------------------------------
    let mut s = Session::from_pair(demo::setup(clock));
    unlock(&mut s);
    s.act_and_settle(A::OpenMenu);
    s.act_and_settle(A::Menu(MenuItem::Security));
    digits(&mut s, demo::PASSCODE);
    s.act_and_settle(A::Menu(MenuItem::Deregister));
    s.act_and_settle(A::Ok);
    s.act_and_settle(A::Ok);
    shot(s.app(), "115-deregistered", text)?;

    // --- バージョン更新: a newer version, then a required one -------------------------------
    let running = Version::running();
    let parts: Vec<u32> = running
        .to_string()
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    let newer = Version::new(
        parts.first().copied().unwrap_or(0),
        parts.get(1).copied().unwrap_or(0).saturating_add(1),
        0,
    );
    for (minimum, name) in [
        (running, "120-update-available"),
        (newer, "121-update-required"),
    ] {
        let mut center = ReferenceCenter::with_demo_records();
        center.set_app_version(AppVersion {
            latest: newer,
            minimum,
            download_url: "https://myna-kakunin.example/download".into(),
        });
        let mut s = Session::from_pair(demo::setup_with(center, clock));
        digits(&mut s, demo::PASSCODE);
        shot(s.app(), name, text)?;
    }

    // --- Start-up without the center (fed in as the worker reports it) --------------------
    let mut s = Session::from_pair(demo::setup(clock));
    digits(&mut s, &demo::PASSCODE[..3]);
    s.act(A::Digit(demo::PASSCODE.as_bytes()[3].wrapping_sub(b'0')));
    s.take_pending(); // the session renewal is not sent
    s.feed(Event::SessionRenewed(Err(CenterError::Unreachable)));
    shot(s.app(), "125-start-failed", text)?;

    // --- The center no longer knows this device -------------------------------------------
    let mut s = Session::from_pair(demo::setup(clock));
    digits(&mut s, &demo::PASSCODE[..3]);
    s.act(A::Digit(demo::PASSCODE.as_bytes()[3].wrapping_sub(b'0')));
    s.take_pending();
    s.feed(Event::SessionRenewed(Err(CenterError::Rejected {
        code: crate::center::wire::ErrorCode::DeviceNotRegistered,
        message: String::new(),
    })));
    shot(s.app(), "126-device-unknown", text)?;

    // --- Ten wrong passcodes: only ID and password open the kiosk -------------------------
    let mut s = Session::from_pair(demo::setup(clock));
    for _ in 0..10 {
        digits(&mut s, "9999");
        s.advance(600_000);
    }
    shot(s.app(), "127-login-passcode-locked", text)?;

    // --- アプリを終了 behind the passcode ---------------------------------------------------
    let mut s = Session::from_pair(demo::setup(clock));
    unlock(&mut s);
    s.act_and_settle(A::OpenMenu);
    s.act_and_settle(A::Menu(MenuItem::Security));
    digits(&mut s, demo::PASSCODE);
    s.act_and_settle(A::Menu(MenuItem::Quit));
    shot(s.app(), "128-quit-passcode", text)?;
    Ok(())
}

#[cfg(all(test, feature = "demo"))]
mod tests {
    use super::*;
    use crate::app::{Event, RESULT_IDLE_MS};
    use crate::shell::demo;

    /// A demo session on 資格確認結果 for the first demo card.
    fn showing_result() -> Session {
        let mut s = Session::from_pair(demo::setup(|| 1_795_478_400));
        for d in demo::PASSCODE.bytes() {
            s.act_and_settle(UiAction::Digit(d - b'0'));
        }
        s.act_and_settle(UiAction::Close); // お知らせ
        s.act_and_settle(UiAction::DemoToggleCard(0));
        s.act_and_settle(UiAction::Next);
        assert_eq!(s.app().state().name(), "ShowResult");
        s
    }

    #[test]
    fn advance_moves_the_clock_and_ticks_the_app() {
        let mut s = showing_result();
        let start = s.now();
        s.advance(RESULT_IDLE_MS - 1_000);
        assert_eq!(s.now(), start.after(RESULT_IDLE_MS - 1_000));
        assert_eq!(s.app().now(), s.now(), "the app saw the later time");
        assert_eq!(s.app().seconds_left(), Some(1));
        assert_eq!(s.app().state().name(), "ShowResult");
        s.advance(1_000);
        assert_eq!(s.app().state().name(), "SelectAuth", "closed when idle");
    }

    #[test]
    fn on_every_screen_controls_fit_and_nothing_written_hides_under_one() {
        use crate::ui::screens::{view, Size};
        use crate::ui::Kind;

        let mut text = Text::load().expect("embedded font parses");
        let mut checked = 0;
        demo_tour(SCREENSHOT_TIME, &mut text, |app, name, text| {
            let size = Size::DESIGN;
            let scene = view(app, size, text);
            let controls: Vec<_> = scene
                .widgets
                .iter()
                .filter(|w| w.action.is_some())
                .collect();
            for (i, c) in controls.iter().enumerate() {
                let r = c.rect;
                assert!(
                    r.x >= 0 && r.y >= 0 && r.right() <= size.w && r.bottom() <= size.h,
                    "{name}: {:?} off screen",
                    c.action
                );
                for d in &controls[i + 1..] {
                    assert!(
                        !r.overlaps(&d.rect),
                        "{name}: {:?} overlaps {:?}",
                        c.action,
                        d.action
                    );
                }
            }
            for w in &scene.widgets {
                let words = match &w.kind {
                    Kind::Text { text, .. } | Kind::Band { text, .. } => text.as_str(),
                    _ => continue,
                };
                for c in &controls {
                    assert!(
                        !w.rect.overlaps(&c.rect),
                        "{name}: {words:?} lies under {:?}",
                        c.action
                    );
                }
            }
            checked += 1;
            Ok(())
        })
        .expect("the tour runs");
        assert!(checked >= 60, "the tour covers the screens ({checked})");
    }

    #[test]
    fn the_tour_reaches_every_screen_and_every_result_variant() {
        use crate::card::virtual_card::demo_cards;
        use std::collections::HashSet;

        let mut text = Text::load().expect("embedded font parses");
        let mut shots: Vec<(String, String)> = Vec::new();
        demo_tour(SCREENSHOT_TIME, &mut text, |app, name, _| {
            // Screens by name: dialogs and phases name their question, message or phase.
            let state = app.state().name().to_owned();
            shots.push((name.to_owned(), state));
            Ok(())
        })
        .expect("the tour runs");

        let names: HashSet<&str> = shots.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), shots.len(), "every file name is used once");
        let states: HashSet<&str> = shots.iter().map(|(_, s)| s.as_str()).collect();
        for want in [
            "SettingsDamaged",
            "Terms",
            "Register",
            "Registered",
            "Login",
            "Starting",
            "StartFailed",
            "Update",
            "Notices",
            "AccountPassword",
            "EnterPasscode",
            "CurrentPasscode",
            "NewPasscode",
            "ConfirmPasscode",
            "SelectAuth",
            "Ask(StartPin)",
            "Ask(Deregister)",
            "Ask(DeregisterAgain)",
            "Ask(Logout)",
            "Tell(PasscodeRegistered)",
            "Tell(PasscodeChanged)",
            "Tell(Deregistered)",
            "Tell(DeviceUnknown)",
            "Tell(PasswordChanged)",
            "SecurityPasscode",
            "QuitPasscode",
            "EnterPin(NoCard)",
            "EnterPin(AskingTries)",
            "EnterPin(Typing)",
            "EnterPin(OnPhone)",
            "EnterPin(Unusable)",
            "Ask(VisualOnce)",
            "ReadCard(WaitCard)",
            "ReadCard(GettingChallenge)",
            "ReadCard(Reading)",
            "ReadCard(AskingCenter)",
            "ReadCard(Done)",
            "ReadFailed",
            "ShowResult",
            "Menu",
            "ReaderSelect",
            "Security",
        ] {
            assert!(states.contains(want), "no screenshot of {want}: {states:?}");
        }
        // One result per demo card with a record, the error screen for the other two.
        for (i, card) in demo_cards().iter().enumerate() {
            let (suffix, state) = match card.id {
                "not-jpki" | "expired" => ("error", "ReadFailed"),
                _ => ("result", "ShowResult"),
            };
            let name = format!("{:03}-{}-{suffix}", 40 + i, card.id);
            assert!(
                shots.iter().any(|(n, s)| *n == name && s == state),
                "no {name} on {state}"
            );
        }
    }

    #[test]
    fn queued_commands_can_be_seen_taken_and_the_parts_kept() {
        let mut s = showing_result();
        s.act(UiAction::Close);
        s.feed(Event::CardPresence(true)); // 目視: a card placed on 認証選択 starts a read
        assert!(matches!(
            s.queued().collect::<Vec<_>>().as_slice(),
            [Command::ReadCertificate]
        ));
        let taken = s.take_pending();
        assert_eq!(taken.len(), 1);
        assert_eq!(s.pending(), 0, "taken, not run");
        assert!(!s.run_one());
        let (app, _backends) = s.into_parts();
        assert_eq!(app.state().name(), "ReadCard(Reading)");
    }
}
