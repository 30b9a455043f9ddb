//! Scenario tests of a kiosk's working life, one per defect that once broke it: through the
//! real worker, the virtual card reader, the in-process reference center and a real
//! settings file, with the center's clock moved as the kiosk's is.
#![cfg(feature = "demo")]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use myna_kakunin::app::settings::SaveProblem;
use myna_kakunin::app::{App, Boot, Event, MenuItem, PinPad, Saving, State, UiAction};
use myna_kakunin::card::virtual_card::demo_cards;
use myna_kakunin::center::reference::{DEMO_PASSWORD, DEMO_USER_ID};
use myna_kakunin::shell::demo;
use myna_kakunin::shell::headless::Session;
use myna_kakunin::shell::settings::{Fault, Store};
use myna_kakunin::shell::worker::Backends;

const NOW: i64 = 1_795_478_400;
const HOUR: u64 = 3_600_000;
const DAY: u64 = 24 * HOUR;

struct Kiosk {
    s: Session,
    clock: Arc<AtomicI64>,
    store: Store,
    dir: std::path::PathBuf,
    _cleanup: Cleanup,
}

impl Kiosk {
    fn new(name: &str) -> Kiosk {
        let dir = std::env::temp_dir().join(format!("myna-life-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let clock = Arc::new(AtomicI64::new(NOW));
        let c = Arc::clone(&clock);
        let (app, mut backends): (App, Backends) = demo::setup(move || c.load(Ordering::SeqCst));
        let store = Store::new(&dir);
        store.save(app.settings()).expect("first save");
        backends.store = Some(store.clone());
        Kiosk {
            s: Session::new(app, backends),
            clock,
            store,
            dir: dir.clone(),
            _cleanup: Cleanup(dir),
        }
    }

    fn name(&self) -> &'static str {
        self.s.app().state().name()
    }

    fn press(&mut self, a: UiAction) {
        self.s.act_and_settle(a);
    }

    fn digits(&mut self, digits: &str) {
        for d in digits.bytes() {
            self.press(UiAction::Digit(d - b'0'));
        }
    }

    fn unlock(&mut self) {
        self.digits(demo::PASSCODE);
        if self.name() == "Notices" {
            self.press(UiAction::Close);
        }
        assert_eq!(self.name(), "SelectAuth");
    }

    /// Nobody at the kiosk for `ms`; the center's clock moves too. The app is woken at the
    /// deadlines it asks for, as the window's timer does.
    fn pass(&mut self, ms: u64) {
        let target = self.s.now().after(ms);
        while let Some(at) = self.s.app().next_wakeup().filter(|at| *at <= target) {
            let step = at.0.saturating_sub(self.s.now().0).max(1);
            self.s.advance(step);
            self.sync();
            self.s.settle();
        }
        let left = target.0.saturating_sub(self.s.now().0);
        self.s.advance(left);
        self.sync();
        self.s.settle();
    }

    fn sync(&self) {
        let secs = i64::try_from(self.s.now().0 / 1000).unwrap_or(0);
        self.clock.store(NOW + secs, Ordering::SeqCst);
    }

    /// The kiosk restarts from what its data folder holds (queued work is lost).
    fn restart(self) -> Kiosk {
        let Kiosk {
            s,
            clock,
            store,
            dir,
            _cleanup,
        } = self;
        let now = s.now();
        let tray = s.app().demo().map(|t| t.setup.clone());
        let (_, backends) = s.into_parts();
        let settings = store.load().expect("the saved settings load");
        let mut s = Session::new(App::new(Boot::Settings(Box::new(settings)), tray), backends);
        s.advance_quietly(now.0);
        Kiosk {
            s,
            clock,
            store,
            dir,
            _cleanup,
        }
    }

    /// A 目視 check with demo card 0 to 資格確認結果, then 閉じる and the card taken off.
    fn visual_check(&mut self) {
        self.press(UiAction::DemoToggleCard(0));
        assert_eq!(
            self.name(),
            "ReadCard(Done)",
            "the card was read and checked"
        );
        self.press(UiAction::Next);
        assert_eq!(self.name(), "ShowResult");
        self.press(UiAction::Close);
        self.press(UiAction::DemoToggleCard(0));
    }
}

/// Removes the data folder at the end.
struct Cleanup(std::path::PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_check_after_twelve_hours_renews_the_session_by_itself() {
    let mut k = Kiosk::new("12h");
    k.unlock();
    k.pass(13 * HOUR);
    // The idle lock came first; unlocking is part of the day.
    if k.name() == "EnterPasscode" {
        k.unlock();
    }
    k.visual_check();
}

#[test]
fn after_31_idle_days_the_kiosk_asks_for_id_and_password_and_works_again() {
    let mut k = Kiosk::new("31d");
    k.unlock();
    // Switched off for 31 days (a running kiosk renews its session by itself): the refresh
    // token expired meanwhile.
    k.s.advance_quietly(31 * DAY);
    k.sync();
    let mut k = k.restart();
    k.digits(demo::PASSCODE);
    assert_eq!(k.name(), "Login", "not a dead end at 起動できませんでした");
    k.press(UiAction::FocusField(0));
    for c in DEMO_USER_ID.chars() {
        k.s.act(UiAction::Type(c));
    }
    k.press(UiAction::FocusField(1));
    for c in DEMO_PASSWORD.chars() {
        k.s.act(UiAction::Type(c));
    }
    k.press(UiAction::Submit);
    if k.name() == "Notices" {
        k.press(UiAction::Close);
    }
    assert_eq!(k.name(), "SelectAuth");
    k.visual_check();
}

#[test]
fn a_power_cut_between_the_renewal_and_its_save_loses_nothing() {
    let mut k = Kiosk::new("powercut");
    k.digits(&demo::PASSCODE[..3]);
    k.s.act(UiAction::Digit(demo::PASSCODE.as_bytes()[3] - b'0'));
    // The center renews (and rotates the refresh token); the power goes before the save.
    assert!(k.s.run_one(), "the renewal ran");
    let mut k = k.restart();
    k.unlock();
    k.visual_check();
}

#[test]
fn a_full_or_read_only_data_folder_never_stops_checks() {
    for fault in [Fault::Full, Fault::ReadOnly] {
        let mut k = Kiosk::new(&format!("{fault:?}"));
        let before = k.store.load().expect("loads");
        k.store.set_fault(Some(fault));
        k.unlock();
        assert!(
            matches!(k.s.app().saving(), Saving::Failing { .. }),
            "the band says the settings are not saved"
        );
        k.visual_check();
        // Saves are tried again; nothing piles up in the folder.
        k.pass(60_000);
        let names: Vec<String> = std::fs::read_dir(&k.dir)
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.ends_with(".tmp")),
            "{fault:?}: {names:?}"
        );
        // The next start uses the last durable settings.
        let durable = k.store.load().expect("the old file still loads");
        assert!(durable == before);
        k.store.set_fault(None);
        k.pass(31_000);
        assert_eq!(k.s.app().saving(), Saving::Saved);
        let _ = SaveProblem::Full;
    }
}

#[test]
fn double_taps_take_one_action_each() {
    let mut k = Kiosk::new("doubletap");
    k.unlock();
    // 読み取り完了 → 次へ twice: the result stays open.
    k.press(UiAction::DemoToggleCard(0));
    k.press(UiAction::Next);
    k.s.advance_quietly(85);
    k.s.feed(Event::Ui(UiAction::Close));
    assert_eq!(k.name(), "ShowResult");
    // 閉じる with the card still there: no second online check.
    k.press(UiAction::Close);
    k.press(UiAction::Next);
    assert_eq!(k.name(), "ReadCard(WaitCard)");
    assert_eq!(k.s.pending(), 0);
    k.press(UiAction::Back);
    // デバイス登録解除: a double tap passes only the first confirmation.
    k.press(UiAction::OpenMenu);
    k.press(UiAction::Menu(MenuItem::Security));
    k.digits(demo::PASSCODE);
    k.press(UiAction::Menu(MenuItem::Deregister));
    k.press(UiAction::Ok);
    k.s.advance_quietly(90);
    k.s.feed(Event::Ui(UiAction::Ok));
    assert_eq!(k.name(), "Ask(DeregisterAgain)");
    assert!(k.s.app().settings().registration.is_some());
}

#[test]
fn a_pin_reaches_only_the_card_whose_tries_were_shown() {
    let mut k = Kiosk::new("pinswap");
    k.unlock();
    k.press(UiAction::OpenMenu);
    k.press(UiAction::Menu(MenuItem::Security));
    k.digits(demo::PASSCODE);
    k.press(UiAction::ToggleVisualCheck);
    k.press(UiAction::Back);
    k.press(UiAction::Back);
    k.press(UiAction::Next);
    k.press(UiAction::Ok);
    // No card: the pad takes no digits.
    k.digits("1234");
    assert_eq!(k.name(), "EnterPin(NoCard)");
    let one_try = demo_cards()
        .iter()
        .position(|c| c.id == "one-try")
        .and_then(|i| u8::try_from(i).ok())
        .expect("the one-try card");
    k.press(UiAction::DemoToggleCard(0));
    assert!(matches!(
        k.s.app().state(),
        State::EnterPin(PinPad::Typing { tries: 3, .. })
    ));
    k.digits(demo_cards()[0].pin);
    // Swapped for the card with one try left: the PIN is gone and its tries are shown,
    // with the last-try warning.
    k.press(UiAction::DemoToggleCard(one_try));
    match k.s.app().state() {
        State::EnterPin(PinPad::Typing { tries, entry, .. }) => {
            assert_eq!(*tries, 1);
            assert!(entry.is_empty());
        }
        other => panic!("{}", other.name()),
    }
}

#[test]
fn wrong_passcodes_wait_then_lock_across_restarts_and_the_way_out_is_id_and_password() {
    let mut k = Kiosk::new("gate");
    for _ in 0..5 {
        k.digits("9999");
    }
    assert_eq!(k.s.app().gate_seconds_left(), Some(30));
    let mut k = k.restart();
    assert_eq!(
        k.s.app().gate_seconds_left(),
        Some(30),
        "a restart does not help"
    );
    for _ in 0..5 {
        k.pass(10 * 60_000);
        k.digits("9999");
    }
    assert!(matches!(k.s.app().state(), State::Login { .. }));
    let k = k.restart();
    assert!(
        matches!(k.s.app().state(), State::Login { .. }),
        "still closed after a restart"
    );
}

#[test]
fn an_unused_kiosk_locks_itself_and_security_settings_ask_for_the_passcode() {
    let mut k = Kiosk::new("idle");
    k.unlock();
    k.pass(31 * 60_000);
    assert_eq!(k.name(), "EnterPasscode");
    k.unlock();
    k.press(UiAction::OpenMenu);
    k.press(UiAction::Menu(MenuItem::Security));
    assert_eq!(k.name(), "SecurityPasscode");
    k.press(UiAction::ToggleVisualCheck);
    assert!(
        k.s.app().settings().visual_check,
        "the switch is behind the passcode"
    );
}

#[test]
fn enter_and_esc_work_every_step_of_a_check_without_tab() {
    use myna_kakunin::ui::keys::{press, Key};
    use myna_kakunin::ui::screens::{view, Size};
    use myna_kakunin::ui::text::Text;
    use myna_kakunin::ui::Focus;
    let text = Text::load().expect("embedded font parses");
    let mut k = Kiosk::new("keys");
    // Keys only: what a key means comes from the scene on screen, as in the window.
    let key = |k: &mut Kiosk, key: Key| {
        let mut focus = Focus::default();
        let action = press(key, &view(k.s.app(), Size::DESIGN, &text), &mut focus);
        if let Some(a) = action {
            k.press(a);
        }
        action
    };
    for c in demo::PASSCODE.chars() {
        key(&mut k, Key::Char(c));
    }
    if k.name() == "Notices" {
        assert_eq!(key(&mut k, Key::Enter), Some(UiAction::Close));
    }
    assert_eq!(k.name(), "SelectAuth");
    assert_eq!(
        key(&mut k, Key::Enter),
        Some(UiAction::Next),
        "次へ without Tab"
    );
    assert_eq!(k.name(), "ReadCard(WaitCard)");
    assert_eq!(key(&mut k, Key::Escape), Some(UiAction::Back));
    k.press(UiAction::DemoToggleCard(0));
    assert_eq!(k.name(), "ReadCard(Done)");
    assert_eq!(key(&mut k, Key::Enter), Some(UiAction::Next));
    assert_eq!(k.name(), "ShowResult");
    assert_eq!(key(&mut k, Key::Enter), Some(UiAction::Close));
    assert_eq!(k.name(), "SelectAuth");
    // デバイス登録解除's confirmation is never pressed by Enter alone; Esc cancels it.
    k.press(UiAction::OpenMenu);
    k.press(UiAction::Menu(MenuItem::Security));
    k.digits(demo::PASSCODE);
    k.press(UiAction::Menu(MenuItem::Deregister));
    assert_eq!(key(&mut k, Key::Enter), None);
    assert_eq!(k.name(), "Ask(Deregister)");
    assert_eq!(key(&mut k, Key::Escape), Some(UiAction::Cancel));
    assert_eq!(k.name(), "Security");
}
