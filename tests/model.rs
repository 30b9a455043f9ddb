//! Model-based test of the kiosk's working life.
//!
//! A seeded explorer drives the real app through the real worker (`execute`), the virtual
//! card reader with the demo cards and the in-process reference center, choosing only what a
//! person or the world could do at that moment: taps on the controls the screen shows (some
//! of them hurried double taps), typing, cards placed, taken off and swapped, the center down
//! or slow, clock jumps from seconds to 40 days, a full or read-only data folder, crashes and
//! restarts from the saved settings. After every step it checks:
//!
//! - no dead end: the way back to 認証選択 or a login screen is on screen (or the screen is
//!   waiting for work that is queued, or for the gate's countdown), and every so often it is
//!   followed and must get there within a bounded number of presses;
//! - a PIN only ever reaches the card placement whose tries the pad showed (one the brain sent
//!   just before the card was swapped is refused by the card layer);
//! - one confirmation, one command (デバイス登録解除, ログアウト);
//! - no patient data on any screen but the result once it is closed or timed out;
//! - what was saved loads back equal.
//!
//! `MYNA_MODEL_STEPS` (default 50 000, one kiosk life) and `MYNA_MODEL_SEED` set the run; it prints the
//! steps, the simulated days, the distinct states and transitions reached.
#![cfg(feature = "demo")]

#[path = "support/rng.rs"]
mod rng;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use myna_kakunin::app::settings::Settings;
use myna_kakunin::app::{
    App, Boot, Command, Event, Failure, MenuItem, Options, PinPad, State, UiAction, SETTLE_MS,
};
use myna_kakunin::card::virtual_card::{demo_cards, Profile, VirtualReader};
use myna_kakunin::card::AuthCertificate;
use myna_kakunin::card::CardError;
use myna_kakunin::center::account::{
    DeviceCredential, Enrollment, Password, RefreshToken, Registration, Session as CenterSession,
    UserId,
};
use myna_kakunin::center::info::{AppVersion, Notice, NoticeId};
use myna_kakunin::center::model::{Challenge, CheckOutcome};
use myna_kakunin::center::reference::{
    LocalCenter, ReferenceCenter, DEMO_ACTIVATION_CODE, DEMO_INSTITUTION_CODE, DEMO_PASSWORD,
    DEMO_USER_ID,
};
use myna_kakunin::center::{Center, CenterError, CheckRequest};
use myna_kakunin::shell::demo;
use myna_kakunin::shell::headless::Session;
use myna_kakunin::shell::settings::{Fault, SettingsError, Store};
use myna_kakunin::shell::worker::{Backends, ReaderBackend};
use myna_kakunin::ui::screens::{view, Size};
use myna_kakunin::ui::text::Text;

use rng::Rng;

/// 2026-11-24 09:00 JST, inside every demo record's dates.
const START_UNIX: i64 = 1_795_478_400;
const HOUR: u64 = 3_600_000;
const DAY: u64 = 24 * HOUR;
/// How much time one kiosk life may span: within the demo records' and certificates'
/// dates, past the 30 days a refresh token lives.
const TIME_BUDGET: u64 = 75 * DAY;
/// Steps of one kiosk life; then a new kiosk, center and data folder start.
const EPOCH: u64 = 50_000;

/// What the world does to the center.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Up,
    Down,
    Slow,
}

/// Shared between the test and the center the worker owns.
struct Control {
    line: Line,
    /// The kiosk restarted: its client lost the access token.
    restarted: bool,
}

/// The reference center behind a line the test controls.
struct ModelCenter {
    inner: LocalCenter,
    control: Arc<Mutex<Control>>,
    clock: Arc<AtomicI64>,
}

impl ModelCenter {
    fn line(&mut self) -> Result<(), CenterError> {
        let mut c = self.control.lock().expect("control lock");
        if c.restarted {
            c.restarted = false;
            let center = std::mem::replace(
                self.inner.transport_mut().center_mut(),
                ReferenceCenter::new(),
            );
            let clock = Arc::clone(&self.clock);
            self.inner = LocalCenter::new(center, Box::new(move || clock.load(Ordering::SeqCst)));
        }
        match c.line {
            Line::Up => Ok(()),
            Line::Down => Err(CenterError::Unreachable),
            Line::Slow => Err(CenterError::Timeout),
        }
    }
}

impl Center for ModelCenter {
    fn register_device(&mut self, r: &Registration) -> Result<Enrollment, CenterError> {
        self.line()?;
        self.inner.register_device(r)
    }
    fn login(
        &mut self,
        d: &DeviceCredential,
        u: &UserId,
        p: &Password,
    ) -> Result<CenterSession, CenterError> {
        self.line()?;
        self.inner.login(d, u, p)
    }
    fn refresh_session(
        &mut self,
        d: &DeviceCredential,
        t: &RefreshToken,
    ) -> Result<CenterSession, CenterError> {
        self.line()?;
        self.inner.refresh_session(d, t)
    }
    fn logout(&mut self) -> Result<(), CenterError> {
        self.line()?;
        self.inner.logout()
    }
    fn deregister_device(&mut self) -> Result<(), CenterError> {
        self.line()?;
        self.inner.deregister_device()
    }
    fn change_password(&mut self, c: &Password, n: &Password) -> Result<(), CenterError> {
        self.line()?;
        self.inner.change_password(c, n)
    }
    fn notices(&mut self) -> Result<Vec<Notice>, CenterError> {
        self.line()?;
        self.inner.notices()
    }
    fn mark_notices_read(&mut self, ids: &[NoticeId]) -> Result<(), CenterError> {
        self.line()?;
        self.inner.mark_notices_read(ids)
    }
    fn app_version(&mut self) -> Result<AppVersion, CenterError> {
        self.line()?;
        self.inner.app_version()
    }
    fn challenge(&mut self) -> Result<Challenge, CenterError> {
        self.line()?;
        self.inner.challenge()
    }
    fn check_qualification(&mut self, r: &CheckRequest<'_>) -> Result<CheckOutcome, CenterError> {
        self.line()?;
        self.inner.check_qualification(r)
    }
}

/// The world's own view of the reader (the truth the brain only hears about).
#[derive(Default)]
struct Reader {
    /// Placements so far; the current one if `card` is set.
    placement: u32,
    /// The demo card on the reader.
    card: Option<u8>,
    /// The placement whose PIN tries the pad showed.
    tries_shown_for: Option<u32>,
    /// The demo card whose PIN tries the pad showed.
    tries_shown_card: Option<u8>,
}

impl Reader {
    /// Whether a PIN on its way may reach the holder on the reader now: the placement whose
    /// tries the pad showed, or the same Android phone placed again (its certificate opens
    /// only to its PIN, so nothing before VERIFY tells it from itself; any other holder is
    /// told apart and gets nothing).
    fn pin_may_reach(&self) -> bool {
        let same_phone = self.card.is_some()
            && self.card == self.tries_shown_card
            && self
                .card
                .and_then(|i| demo_cards().get(usize::from(i)))
                .is_some_and(|c| c.profile == Profile::AndroidPhone);
        self.card.is_some() && (self.tries_shown_for == Some(self.placement) || same_phone)
    }
}

/// Counts of what the run reached.
#[derive(Default)]
struct Reached {
    states: BTreeSet<&'static str>,
    transitions: BTreeSet<(&'static str, &'static str)>,
    steps_by_kind: BTreeMap<&'static str, u64>,
    recoveries: u64,
    restarts: u64,
    checks_shown: u64,
    pin_sent: u64,
    /// PINs the card layer refused because another card was on the reader.
    pin_refused: u64,
    /// Simulated days over every life.
    days: f64,
    lives: u64,
}

struct Model {
    s: Session,
    rng: Rng,
    text: Text,
    control: Arc<Mutex<Control>>,
    clock: Arc<AtomicI64>,
    store: Store,
    _dir: TempDir,
    options: Options,
    tray: Option<myna_kakunin::app::DemoSetup>,
    reader: Reader,
    reached: Reached,
    /// Patients' kana names seen on results: never on another screen.
    patients: BTreeSet<String>,
    /// Simulated time in ms since the start.
    now: u64,
    /// The data folder's fault now.
    fault: Option<Fault>,
    /// Steps taken so far.
    steps: u64,
}

/// A temporary data folder, removed at the end.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Model {
    fn new(seed: u64) -> Model {
        let dir = std::env::temp_dir().join(format!(
            "myna-model-{}-{seed}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let clock = Arc::new(AtomicI64::new(START_UNIX));
        let c = Arc::clone(&clock);
        let mut inner = LocalCenter::new(
            ReferenceCenter::with_demo_records(),
            Box::new(move || c.load(Ordering::SeqCst)),
        );
        let settings = demo::register(&mut inner).expect("demo registration");
        let store = Store::new(&dir);
        store.save(&settings).expect("first save");
        let control = Arc::new(Mutex::new(Control {
            line: Line::Up,
            restarted: false,
        }));
        let center = ModelCenter {
            inner,
            control: Arc::clone(&control),
            clock: Arc::clone(&clock),
        };
        let tray = demo::setup(|| START_UNIX).0.demo().map(|t| t.setup.clone());
        let mut rng = Rng::new(seed);
        let options = Options {
            lock_after_minutes: if rng.chance(1, 4) { 0 } else { 30 },
            kiosk: rng.chance(1, 2),
            seed: [7; 32],
            export: false,
        };
        let app = App::with_options(Boot::Settings(Box::new(settings)), options, tray.clone());
        let backends = Backends {
            reader: ReaderBackend::Virtual(VirtualReader::new()),
            center: Box::new(center),
            store: Some(store.clone()),
            export: None,
            clipboard: None,
        };
        Model {
            s: Session::new(app, backends),
            rng,
            text: Text::load().expect("embedded font parses"),
            control,
            clock,
            store,
            _dir: TempDir(dir),
            options,
            tray,
            reader: Reader::default(),
            reached: Reached::default(),
            patients: BTreeSet::new(),
            now: 0,
            fault: None,
            steps: 0,
        }
    }

    fn state(&self) -> &'static str {
        self.s.app().state().name()
    }

    fn line(&self, line: Line) {
        self.control.lock().expect("control lock").line = line;
    }

    /// Keeps the center's clock with the session's.
    fn sync_clock(&mut self) {
        self.now = self.s.now().0;
        let secs = i64::try_from(self.now / 1000).unwrap_or(i64::MAX / 2);
        self.clock.store(START_UNIX + secs, Ordering::SeqCst);
    }

    /// Visible actions on the current screen (the demo tray is the world's: cards move in
    /// `card_move`).
    fn visible(&self) -> Vec<UiAction> {
        let scene = view(self.s.app(), Size::DESIGN, &self.text);
        scene
            .widgets
            .iter()
            .filter_map(|w| w.action)
            .filter(|a| !matches!(a, UiAction::DemoToggleCard(_) | UiAction::DemoTrayPage(_)))
            .collect()
    }

    fn shows(&self, action: UiAction) -> bool {
        view(self.s.app(), Size::DESIGN, &self.text)
            .rect_of(action)
            .is_some()
    }

    /// Runs the oldest queued command, checking the invariants about commands first.
    fn run_one(&mut self) -> bool {
        let before = self.state();
        let Some(command) = self.s.queued().next() else {
            return false;
        };
        let mut saved: Option<Settings> = None;
        match command {
            Command::Authenticate { .. } | Command::ReadCertificateWithPin { .. } => {
                if self.reader.pin_may_reach() {
                    self.reached.pin_sent += 1;
                } else {
                    // The card moved after the brain sent the PIN on its way (a swap faster
                    // than the reader's report): the card layer must refuse it, unseen by
                    // the card, and the pad asks the card now there.
                    self.s.run_one();
                    let state = self.s.app().state();
                    assert!(
                        matches!(
                            state,
                            State::EnterPin(PinPad::AskingTries { .. } | PinPad::NoCard { .. })
                                | State::ReadFailed {
                                    failure: Failure::Card(
                                        CardError::NoCard | CardError::CardRemoved
                                    ),
                                    ..
                                }
                        ),
                        "a PIN typed for another card placement reached {}",
                        state.name()
                    );
                    self.reached.pin_refused += 1;
                    return true;
                }
            }
            Command::SaveSettings(s) => saved = Some((**s).clone()),
            Command::DemoPlaceCard(i) => {
                self.reader.placement += 1;
                self.reader.card = Some(*i);
                self.reader.tries_shown_for = None;
            }
            Command::DemoRemoveCard => {
                self.reader.card = None;
                self.reader.tries_shown_for = None;
            }
            Command::OpenUrl(_) => {
                assert!(!self.options.kiosk, "a browser is started in --kiosk");
                // Never start a real browser from a test.
                return self.s.skip_one();
            }
            _ => {}
        }
        self.s.run_one();
        if let Some(settings) = saved {
            if self.store_fault().is_none() {
                match self.store.load() {
                    Ok(loaded) => assert!(loaded == settings, "saved settings load back equal"),
                    Err(e) => panic!("saved settings do not load: {e:?}"),
                }
            }
        }
        if let State::EnterPin(PinPad::Typing { .. }) = self.s.app().state() {
            if before != "EnterPin(Typing)" && self.reader.card.is_some() {
                self.reader.tries_shown_for = Some(self.reader.placement);
                self.reader.tries_shown_card = self.reader.card;
            }
        }
        true
    }

    fn store_fault(&self) -> Option<Fault> {
        self.fault
    }

    fn set_fault(&mut self, fault: Option<Fault>) {
        self.fault = fault;
        self.store.set_fault(fault);
    }

    fn settle(&mut self) {
        for _ in 0..64 {
            if !self.run_one() {
                break;
            }
        }
    }

    /// A person's press, at a person's pace (the session moves its clock first).
    fn press(&mut self, a: UiAction) {
        let before = self.state();
        let queued = self.s.pending();
        self.s.act(a);
        self.after_press(before, a, queued);
    }

    /// A hurried second press, 80–100 ms after the first.
    fn double(&mut self, a: UiAction) {
        self.press(a);
        let gap = 80 + self.rng.below(21) as u64;
        let mid = self.state();
        let queued = self.s.pending();
        // Session::feed moves the clock 1 ms; the rest of the gap passes first.
        self.s.advance_quietly(gap.saturating_sub(1));
        self.s.feed(Event::Ui(a));
        self.after_press(mid, a, queued);
    }

    /// Checks what one press asked for (the commands queued after the first `queued`).
    fn after_press(&mut self, before: &'static str, a: UiAction, queued: usize) {
        let commands: Vec<&Command> = self.s.queued().skip(queued).collect();
        let deregisters = commands
            .iter()
            .filter(|c| matches!(c, Command::Deregister))
            .count();
        let logouts = commands
            .iter()
            .filter(|c| matches!(c, Command::Logout))
            .count();
        assert!(
            deregisters <= 1 && logouts <= 1,
            "one confirmation, one command"
        );
        if deregisters == 1 {
            assert_eq!(
                before, "Ask(DeregisterAgain)",
                "deregistered without both confirmations"
            );
            assert_eq!(a, UiAction::Ok);
        }
        if logouts == 1 {
            assert_eq!(before, "Ask(Logout)", "logged out without the confirmation");
        }
    }

    /// Time passes with nobody at the kiosk: the app is woken at each deadline it asks for
    /// (as the window's timer does), or once at the end (a suspended machine).
    fn pass(&mut self, ms: u64, suspended: bool) {
        let target = self.s.now().after(ms);
        if !suspended {
            for _ in 0..200 {
                match self.s.app().next_wakeup() {
                    Some(at) if at <= target && at > self.s.now() => {
                        let d = at.0 - self.s.now().0;
                        self.s.advance(d);
                        self.sync_clock();
                        self.settle();
                    }
                    _ => break,
                }
            }
        }
        let left = target.0.saturating_sub(self.s.now().0);
        self.s.advance(left);
        self.sync_clock();
    }

    fn restart(&mut self) {
        self.reached.restarts += 1;
        let pending = self.s.take_pending();
        drop(pending); // lost in the crash, as a power cut loses them
        let loaded = self.store.load();
        let boot = match loaded {
            Ok(s) => Boot::Settings(Box::new(s)),
            Err(SettingsError::Damaged(_)) => Boot::Damaged,
            Err(e) => panic!("settings unreadable after a restart: {e:?}"),
        };
        self.control.lock().expect("control lock").restarted = true;
        let session = std::mem::replace(
            &mut self.s,
            Session::new(
                App::new(Boot::Damaged, None),
                Backends {
                    reader: ReaderBackend::Virtual(VirtualReader::new()),
                    center: Box::new(NoCenter),
                    store: None,
                    export: None,
                    clipboard: None,
                },
            ),
        );
        let now = session.now();
        let (_, backends) = session.into_parts();
        let app = App::with_options(boot, self.options, self.tray.clone());
        self.s = Session::new(app, backends);
        self.s.advance_quietly(now.0);
        // The reader still holds what the world put there; the new app learns of it.
        if self.reader.card.is_some() {
            self.s.feed(Event::CardPresence(true));
            self.reader.tries_shown_for = None;
        }
    }

    /// The action that leads towards 認証選択 or a login screen from here, if a press does.
    fn guide(&mut self) -> Option<Vec<UiAction>> {
        use UiAction as A;
        let app = self.s.app();
        let state = app.state();
        let passcode: Vec<UiAction> = demo::PASSCODE.bytes().map(|d| A::Digit(d - b'0')).collect();
        Some(match state {
            State::SettingsDamaged => vec![A::Ok],
            State::Terms => vec![A::AcceptTerms],
            State::Registered => vec![A::Ok],
            State::StartFailed(_) => vec![A::Retry],
            State::Update { .. } => vec![A::Close],
            State::Notices { .. } => vec![A::Close],
            State::AccountPassword(s) if !s.busy => vec![A::Back],
            State::Passcode(pad) => match pad.purpose {
                myna_kakunin::app::PadPurpose::Unlock => return None,
                _ => vec![A::Back],
            },
            State::NewPasscode { .. } | State::ConfirmPasscode { .. } => passcode,
            State::SelectAuth => return None,
            State::Ask(_) => vec![A::Cancel],
            State::Tell(_) => vec![A::Ok],
            State::EnterPin(_) => vec![A::Back],
            State::ReadCard(check) => match check.view() {
                myna_kakunin::app::ReadView::WaitCard => vec![A::Back],
                myna_kakunin::app::ReadView::Done => vec![A::Next],
                _ => vec![],
            },
            State::ReadFailed { .. } => vec![A::Back],
            State::ShowResult(_) => vec![A::Close],
            State::Menu => vec![A::Back],
            State::ReaderSelect { .. } => vec![A::Back],
            State::Security => vec![A::Back],
            State::Login { .. } | State::Register(_) => return None,
            _ => vec![],
        })
    }

    /// No dead end: the way forward is on screen, or the screen waits for queued work or
    /// the gate's countdown.
    fn check_way_forward(&mut self) {
        let pending = self.s.pending();
        let gate = self.s.app().gate_seconds_left().is_some();
        match self.guide() {
            None => {}
            Some(actions) if actions.is_empty() => assert!(
                pending > 0,
                "{} waits for nothing: a dead end",
                self.state()
            ),
            Some(actions) => {
                let first = actions[0];
                assert!(
                    self.shows(first) || gate,
                    "{}: the way forward ({first:?}) is not on screen",
                    self.state()
                );
            }
        }
    }

    /// Follows the way forward with the world healthy; it must reach 認証選択 or a login
    /// screen within a bounded number of presses.
    fn recover(&mut self) {
        self.reached.recoveries += 1;
        self.line(Line::Up);
        self.set_fault(None);
        for _ in 0..40 {
            self.settle();
            match self.guide() {
                None => return,
                Some(actions) if actions.is_empty() => {
                    self.pass(1000, false);
                }
                Some(actions) => {
                    // A pad that waits for the gate: its ← still works; digits wait.
                    if !self.shows(actions[0]) && self.s.app().gate_seconds_left().is_some() {
                        self.pass(10_000, false);
                        continue;
                    }
                    for a in actions {
                        self.press(a);
                    }
                }
            }
        }
        panic!(
            "no way back to 認証選択 or a login screen from {}",
            self.state()
        );
    }

    /// No patient's data on any screen but the result.
    fn check_privacy(&mut self) {
        let state = self.s.app().state();
        let on_result = matches!(state, State::ShowResult(_));
        if let State::ShowResult(shown) = state {
            if let Some(q) = &shown.outcome.qualification {
                self.patients.insert(q.name_kana.expose().to_owned());
            }
        }
        if !on_result && !self.patients.is_empty() {
            let scene = view(self.s.app(), Size::DESIGN, &self.text);
            for t in scene.texts() {
                for p in &self.patients {
                    assert!(
                        !t.contains(p.as_str()),
                        "{} shows patient data",
                        self.state()
                    );
                }
            }
        }
    }

    /// One step of a person or the world.
    fn step(&mut self) {
        self.steps += 1;
        let before = self.state();
        let roll = self.rng.below(100);
        let kind = match roll {
            0..=44 => {
                let visible = self.visible();
                if visible.is_empty() {
                    self.settle();
                    "settle"
                } else {
                    let a = *self.rng.pick(&visible);
                    if self.rng.chance(1, 10) {
                        self.double(a);
                        "double tap"
                    } else {
                        self.press(a);
                        "tap"
                    }
                }
            }
            45..=54 => {
                self.type_something();
                "type"
            }
            55..=69 => {
                self.run_one();
                "worker"
            }
            70..=77 => {
                self.card_move();
                "card"
            }
            78..=80 => {
                // Each kiosk life spans at most TIME_BUDGET: the demo records and cards are
                // valid for months, not decades (a new life starts every EPOCH steps).
                let ms = match self.rng.below(6) {
                    0 => 1 + self.rng.below(5_000) as u64,
                    1 => 30_000 + self.rng.below(60_000) as u64,
                    2 => 10 * 60_000 + self.rng.below(30 * 60_000) as u64,
                    3 => 11 * HOUR + self.rng.below(3 * HOUR as usize) as u64,
                    4 => DAY + self.rng.below(5 * DAY as usize) as u64,
                    _ => 30 * DAY + self.rng.below(10 * DAY as usize) as u64,
                };
                let ms = if self.now.saturating_add(ms) > TIME_BUDGET {
                    1 + self.rng.below(90_000) as u64
                } else {
                    ms
                };
                let suspended = self.rng.chance(1, 3);
                self.pass(ms, suspended);
                "time"
            }
            81..=87 => {
                let line = match self.rng.below(6) {
                    0 => Line::Down,
                    1 => Line::Slow,
                    _ => Line::Up,
                };
                self.line(line);
                "center"
            }
            88..=90 => {
                let fault = match self.rng.below(4) {
                    0 => Some(Fault::Full),
                    1 => Some(Fault::ReadOnly),
                    _ => None,
                };
                self.set_fault(fault);
                "disk"
            }
            91 => {
                self.restart();
                "restart"
            }
            _ => {
                self.guided_press();
                "guided"
            }
        };
        *self.reached.steps_by_kind.entry(kind).or_default() += 1;
        self.sync_clock();
        let after = self.state();
        self.reached.states.insert(after);
        if after == "ShowResult" && before != after {
            self.reached.checks_shown += 1;
        }
        if before != after {
            self.reached.transitions.insert((before, after));
            if std::env::var("MYNA_MODEL_TRACE").is_ok() {
                println!("{kind}: {before} -> {after}");
            }
        }
        self.check_way_forward();
        self.check_privacy();
    }

    /// A press that makes progress where random taps rarely do: the passcode, the PIN of
    /// the card on the reader, the login form.
    fn guided_press(&mut self) {
        use UiAction as A;
        let digits: Vec<u8> = match self.s.app().state() {
            State::Passcode(_) | State::NewPasscode { .. } | State::ConfirmPasscode { .. } => {
                if self.rng.chance(1, 6) {
                    vec![9, 9, 9, 9]
                } else {
                    demo::PASSCODE.bytes().map(|d| d - b'0').collect()
                }
            }
            State::EnterPin(PinPad::Typing { .. }) => {
                let pin = self
                    .reader
                    .card
                    .and_then(|i| demo_cards().get(usize::from(i)).map(|c| c.pin))
                    .unwrap_or("0000");
                if self.rng.chance(1, 5) {
                    vec![0, 0, 0, 0]
                } else {
                    pin.bytes().map(|d| d - b'0').collect()
                }
            }
            State::Login { screen, .. } if !screen.busy => {
                self.fill(&[DEMO_USER_ID, DEMO_PASSWORD]);
                self.press(A::Submit);
                return;
            }
            State::Register(screen) if !screen.busy => {
                self.fill(&[
                    DEMO_INSTITUTION_CODE,
                    DEMO_USER_ID,
                    DEMO_PASSWORD,
                    DEMO_ACTIVATION_CODE,
                ]);
                self.press(A::Submit);
                return;
            }
            // Towards the flows random taps rarely finish: セキュリティ設定 and its switch,
            // then a check in either mode.
            State::Menu => {
                self.press(A::Menu(MenuItem::Security));
                return;
            }
            State::Security => {
                let a = if self.rng.chance(1, 2) {
                    A::ToggleVisualCheck
                } else {
                    A::Back
                };
                self.press(a);
                return;
            }
            State::SelectAuth => {
                let a = if self.rng.chance(1, 3) {
                    A::OpenMenu
                } else {
                    A::Next
                };
                self.press(a);
                return;
            }
            State::Ask(myna_kakunin::app::Question::StartPin) => {
                self.press(A::Ok);
                return;
            }
            State::EnterPin(PinPad::AskingTries { .. }) => {
                self.settle();
                return;
            }
            State::EnterPin(PinPad::NoCard { .. }) => {
                self.card_move();
                self.settle();
                return;
            }
            _ => {
                if let Some(actions) = self.guide() {
                    for a in actions {
                        self.press(a);
                    }
                }
                return;
            }
        };
        for d in digits {
            self.press(A::Digit(d));
        }
        if matches!(self.s.app().state(), State::EnterPin(PinPad::Typing { .. })) {
            self.press(A::Next);
            // The worker answers before the patient does anything else.
            self.settle();
        }
    }

    /// Fills a form's fields in order (clearing what was there).
    fn fill(&mut self, values: &[&str]) {
        use UiAction as A;
        for (i, value) in values.iter().enumerate() {
            let Ok(i) = u8::try_from(i) else { return };
            self.press(A::FocusField(i));
            for _ in 0..myna_kakunin::app::form::MAX_LEN {
                self.s.feed(Event::Ui(A::CaretRight));
                self.s.feed(Event::Ui(A::Backspace));
            }
            for c in value.chars() {
                self.s.feed(Event::Ui(A::Type(c)));
            }
        }
    }

    fn type_something(&mut self) {
        const CHARS: &[char] = &['a', 'Z', '0', '9', '#', '-', ' ', '!'];
        let n = 1 + self.rng.below(6);
        for _ in 0..n {
            let c = *self.rng.pick(CHARS);
            self.s.feed(Event::Ui(UiAction::Type(c)));
        }
        if self.rng.chance(1, 4) {
            self.s.feed(Event::Ui(UiAction::Backspace));
        }
    }

    /// A card placed, taken off or swapped (through the demo tray, as the world would).
    fn card_move(&mut self) {
        let cards = u8::try_from(demo_cards().len()).unwrap_or(1);
        let index = match self.reader.card {
            // Taking it off is the same toggle as placing it.
            Some(i) if self.rng.chance(1, 2) => i,
            _ => u8::try_from(self.rng.below(usize::from(cards))).unwrap_or(0),
        };
        self.s.feed(Event::Ui(UiAction::DemoToggleCard(index)));
        // The reader reports at once: run the placement before anything else.
        let reader_moves = matches!(
            self.s.queued().next(),
            Some(Command::DemoPlaceCard(_) | Command::DemoRemoveCard)
        );
        if reader_moves {
            self.run_one();
        }
    }
}

/// A center that is never asked (a placeholder while the session is swapped).
struct NoCenter;

impl Center for NoCenter {
    fn register_device(&mut self, _: &Registration) -> Result<Enrollment, CenterError> {
        Err(CenterError::Unreachable)
    }
    fn login(
        &mut self,
        _: &DeviceCredential,
        _: &UserId,
        _: &Password,
    ) -> Result<CenterSession, CenterError> {
        Err(CenterError::Unreachable)
    }
    fn refresh_session(
        &mut self,
        _: &DeviceCredential,
        _: &RefreshToken,
    ) -> Result<CenterSession, CenterError> {
        Err(CenterError::Unreachable)
    }
    fn logout(&mut self) -> Result<(), CenterError> {
        Err(CenterError::Unreachable)
    }
    fn deregister_device(&mut self) -> Result<(), CenterError> {
        Err(CenterError::Unreachable)
    }
    fn change_password(&mut self, _: &Password, _: &Password) -> Result<(), CenterError> {
        Err(CenterError::Unreachable)
    }
    fn notices(&mut self) -> Result<Vec<Notice>, CenterError> {
        Err(CenterError::Unreachable)
    }
    fn mark_notices_read(&mut self, _: &[NoticeId]) -> Result<(), CenterError> {
        Err(CenterError::Unreachable)
    }
    fn app_version(&mut self) -> Result<AppVersion, CenterError> {
        Err(CenterError::Unreachable)
    }
    fn challenge(&mut self) -> Result<Challenge, CenterError> {
        Err(CenterError::Unreachable)
    }
    fn check_qualification(&mut self, _: &CheckRequest<'_>) -> Result<CheckOutcome, CenterError> {
        Err(CenterError::Unreachable)
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn a_kiosk_life_has_no_dead_end_and_keeps_its_rules() {
    let steps = env_u64("MYNA_MODEL_STEPS", 50_000);
    let seed = env_u64("MYNA_MODEL_SEED", 0x6d79_6e61);
    let started = std::time::Instant::now();
    let mut m = Model::new(seed);
    for step in 0..steps {
        if step > 0 && step % EPOCH == 0 {
            // A new kiosk life: a new device, center and data folder, the counts kept.
            m.recover();
            let mut next = Model::new(seed.wrapping_add(step));
            std::mem::swap(&mut next.reached, &mut m.reached);
            next.reached.days += m.now as f64 / DAY as f64;
            next.reached.lives += 1;
            m = next;
        }
        m.step();
        if step % 250 == 249 {
            m.recover();
        }
    }
    m.recover();
    m.reached.days += m.now as f64 / DAY as f64;
    m.reached.lives += 1;
    let r = &m.reached;
    println!(
        "model: seed {seed:#x}, {steps} steps in {:.1} s, {:.1} simulated days in {} kiosk lives",
        started.elapsed().as_secs_f64(),
        r.days,
        r.lives
    );
    println!(
        "model: {} distinct states, {} transitions, {} recoveries, {} restarts, {} results opened, {} PINs sent, {} refused for another card",
        r.states.len(),
        r.transitions.len(),
        r.recoveries,
        r.restarts,
        r.checks_shown,
        r.pin_sent,
        r.pin_refused
    );
    println!("model: steps by kind {:?}", r.steps_by_kind);
    println!("model: states {:?}", r.states);
    // The run must have gone where the rules matter, or it proved nothing.
    for needed in [
        "SelectAuth",
        "ShowResult",
        "EnterPin(Typing)",
        "Login",
        "EnterPasscode",
        "Security",
    ] {
        assert!(r.states.contains(needed), "the run never reached {needed}");
    }
    let _ = (SETTLE_MS, MenuItem::Security, AuthCertificate::from_der);
}
