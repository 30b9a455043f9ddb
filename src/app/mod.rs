//! The brain: one state machine over the screens of the manual. No IO happens here.
//!
//! The shell feeds [`Event`]s in (input mapped to a [`UiAction`], card and center results,
//! clock ticks); [`App::step`] changes state through one `set_state` funnel and returns
//! [`Command`]s for the worker thread and the shell. Time and randomness are inputs: the
//! time with every step, the randomness once at construction ([`Options::seed`]).
//!
//! - `input.rs`: the contract with the shell (actions, events, commands),
//! - `state.rs`: every screen as a type carrying only its own data,
//! - `transition.rs`: the one `match (state, event)` table,
//! - `check.rs`: the qualification check (card, PIN, center, result),
//! - `gate.rs`: the passcode pads and the gate (waits, lock-out, idle lock),
//! - `session.rs`: start-up and the center session (renewal, what fixes a lost one),
//! - `forms.rs`: the form screens (初期登録, システムログイン, アカウントパスワード設定),
//! - `names.rs`: names for logs.
//!
//! The state diagram is in ARCHITECTURE.md.

mod check;
pub mod form;
mod forms;
mod gate;
mod input;
mod names;
pub mod passcode;
mod session;
pub mod settings;
mod state;
mod transition;

use log::{debug, info, warn};

pub use input::{
    CardId, ClipboardProblem, Command, Event, ExportProblem, KeyLayer, MenuItem, UiAction,
};
pub use state::{
    Check, DigitNotice, Done, ExportStatus, Failure, FormProblem, FormScreen, LoginReason, Message,
    PadPurpose, PasscodePad, PasscodePurpose, PinPad, PinRead, Question, ReadView, Shown, State,
    Unlock, VisualRead,
};

use settings::{SaveProblem, Settings};

/// Milliseconds on a monotonic clock, supplied by the shell: the brain has no clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Millis(pub u64);

impl Millis {
    /// `self` plus `ms` (saturating: a deadline past the end of time is never).
    pub const fn after(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }

    /// Milliseconds from `self` until `later` (0 if `later` is not later).
    pub const fn until(self, later: Millis) -> u64 {
        later.0.saturating_sub(self.0)
    }
}

/// The menu's 🔗 pages, in menu order (their titles are in `ui::strings::MENU_LINKS`): the
/// portal sites of the 医療機関等 and of the 施術所等.
pub const MENU_LINKS: [&str; 2] = [
    "https://iryohokenjyoho.service-now.com/csm",
    "https://iryohokenjyoho.service-now.com/omf",
];

/// How long a result stays on screen without anyone touching the kiosk.
pub const RESULT_IDLE_MS: u64 = 60_000;

/// A tap that begins this soon after the screen changed is not taken: it was meant for the
/// screen before (a double tap, a hurried second press).
pub const SETTLE_MS: u64 = 400;

/// How long the kiosk's copy text may stay on the clipboard: then it is taken off (if the
/// clipboard still holds it).
pub const CLIPBOARD_CLEAR_MS: u64 = 10 * 60_000;

/// How long a failed save waits before it is tried again.
pub const SAVE_RETRY_MS: u64 = 30_000;

/// The demo build's description of itself.
#[derive(Debug, Clone)]
pub struct DemoSetup {
    /// The demo passcode, shown on the デモ banner.
    pub passcode: &'static str,
    /// The demo tray's cards, in tray order.
    pub cards: Vec<DemoTrayCard>,
    /// On a fresh device, the demo account to type in 初期登録 (機関コード, ID,
    /// パスワード, アクティベーションコード), shown on the banner.
    pub account: Option<[&'static str; 4]>,
}

/// A card on the demo tray.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoTrayCard {
    /// The holder's name (demo data).
    pub holder: &'static str,
    /// What the card demonstrates, in a few words.
    pub shows: &'static str,
}

/// The demo tray as the brain tracks it.
#[derive(Debug, Clone)]
pub struct DemoTray {
    /// The demo setup.
    pub setup: DemoSetup,
    /// The card that is on the virtual reader, if any.
    pub placed: Option<u8>,
    /// Which page of the tray is shown (the screen wraps it to the pages there are).
    pub page: u8,
}

/// What the deployer decided for this kiosk (config.txt and the command line), and the
/// randomness the shell hands in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Minutes without use after which the kiosk locks itself to パスコード入力
    /// (`lock_after_minutes=` in config.txt; 0 = never).
    pub lock_after_minutes: u32,
    /// `--kiosk`: no browser is ever started; a link shows its address on screen instead.
    pub kiosk: bool,
    /// Random bytes from the system, for the salts of new passcode hashes.
    pub seed: [u8; 32],
    /// `export_dir=` is set: every result that reaches 資格確認結果 is written as a face
    /// file for the レセコン.
    pub export: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            lock_after_minutes: 30,
            kiosk: false,
            seed: [0; 32],
            export: false,
        }
    }
}

impl core::fmt::Debug for Options {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Options")
            .field("lock_after_minutes", &self.lock_after_minutes)
            .field("kiosk", &self.kiosk)
            .field("export", &self.export)
            .finish_non_exhaustive()
    }
}

/// How the app starts, decided by the shell from the settings file.
#[derive(Debug)]
pub enum Boot {
    /// The settings loaded (a missing file is a fresh device).
    Settings(Box<Settings>),
    /// The settings file is damaged.
    Damaged,
}

/// The card on the reader, as the reader's reports describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CardSlot {
    /// The placement on the reader now, if a card is there.
    pub present: Option<CardId>,
    /// Placements counted so far.
    placements: u32,
    /// The card there now was already checked: the next check needs it placed again, or
    /// 読み取る.
    pub used: bool,
}

/// Whether the settings on disk are what the brain holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saving {
    /// Every save so far was written (or none was asked).
    Saved,
    /// The last save failed; the settings live in memory and are written again at `retry_at`.
    Failing {
        /// Why.
        problem: SaveProblem,
        /// When the next try is made.
        retry_at: Millis,
    },
}

/// The session's timing as the brain keeps it (the access token itself stays in the
/// worker's center client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct SessionClock {
    /// When the access token is renewed in the background, before it expires.
    renew_at: Option<Millis>,
    /// A renewal is on its way to the center.
    renewing: bool,
    /// The one renewal a failed call may trigger was used (reset by the next action of a
    /// person, so a broken center cannot make the kiosk renew forever).
    repeat_spent: bool,
    /// A renewal during a check found the session beyond saving; the check ends on the
    /// screen that fixes it.
    lost: Option<session::SessionFault>,
}

/// The app: the screen plus what it keeps across screens.
#[derive(Debug)]
pub struct App {
    options: Options,
    state: State,
    settings: Settings,
    now: Millis,
    /// When the screen last changed (for [`SETTLE_MS`]).
    screen_since: Millis,
    /// When a person last did something (for the idle lock).
    last_use: Millis,
    card: CardSlot,
    session: SessionClock,
    saving: Saving,
    /// The gate: no passcode digit is taken before this time.
    gate_open_at: Millis,
    /// `--kiosk`: a link's address, shown instead of a browser until the screen changes.
    link: Option<String>,
    /// Passcode hashes made so far (each new salt differs).
    salts: u64,
    /// The kiosk's copy text is on the clipboard: taken off at this time, or when the next
    /// check starts.
    clipboard_clear_at: Option<Millis>,
    demo: Option<DemoTray>,
}

impl App {
    /// Starts where the settings say: 利用規約 on a fresh device, パスコード入力 when
    /// registered, the damaged-settings screen when the file is broken.
    pub fn new(boot: Boot, demo: Option<DemoSetup>) -> Self {
        Self::with_options(boot, Options::default(), demo)
    }

    /// As [`App::new`], with the deployer's options.
    pub fn with_options(boot: Boot, options: Options, demo: Option<DemoSetup>) -> Self {
        let (state, settings) = match boot {
            Boot::Damaged => (State::SettingsDamaged, Settings::default()),
            Boot::Settings(s) => (session::first_screen(&s), *s),
        };
        let mut app = Self {
            options,
            state,
            settings,
            now: Millis(0),
            screen_since: Millis(0),
            last_use: Millis(0),
            card: CardSlot::default(),
            session: SessionClock::default(),
            saving: Saving::Saved,
            gate_open_at: Millis(0),
            link: None,
            salts: 0,
            clipboard_clear_at: None,
            demo: demo.map(|setup| DemoTray {
                setup,
                placed: None,
                page: 0,
            }),
        };
        // A wait that was running when the kiosk stopped starts again in full.
        app.gate_open_at = Millis(0).after(gate::wait_ms(app.settings.passcode_failures));
        app
    }

    /// The current screen.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The settings as the brain holds them.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The deployer's options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The demo tray, in the demo build.
    pub fn demo(&self) -> Option<&DemoTray> {
        self.demo.as_ref()
    }

    /// Whether the reader last reported a card.
    pub fn card_present(&self) -> bool {
        self.card.present.is_some()
    }

    /// The card on the reader as the brain knows it.
    pub fn card(&self) -> CardSlot {
        self.card
    }

    /// The time of the last step.
    pub fn now(&self) -> Millis {
        self.now
    }

    /// Whether the settings on disk are behind (the band on every screen says so).
    pub fn saving(&self) -> Saving {
        self.saving
    }

    /// `--kiosk`: the address of the link just pressed, to show instead of a browser.
    pub fn shown_link(&self) -> Option<&str> {
        self.link.as_deref()
    }

    /// Seconds until a passcode pad takes digits again, while the gate makes it wait.
    pub fn gate_seconds_left(&self) -> Option<u64> {
        match &self.state {
            State::Passcode(_) if self.now < self.gate_open_at => {
                Some(self.now.until(self.gate_open_at).div_ceil(1000))
            }
            _ => None,
        }
    }

    /// Seconds until the result closes by itself, for the countdown.
    pub fn seconds_left(&self) -> Option<u64> {
        match &self.state {
            State::ShowResult(shown) => Some(self.now.until(shown.closes_at).div_ceil(1000)),
            _ => None,
        }
    }

    /// When the app next needs an [`Event::Tick`]: each second while a countdown is on
    /// screen, and at each deadline the brain keeps (an outcome to drop, the idle lock, the
    /// session's renewal, a save to try again). Nothing else wakes an idle kiosk.
    pub fn next_wakeup(&self) -> Option<Millis> {
        let next_second = Millis((self.now.0 / 1000).saturating_add(1).saturating_mul(1000));
        let mut at: Option<Millis> = None;
        let mut wake = |m: Millis| at = Some(at.map_or(m, |a| a.min(m)));
        match &self.state {
            State::ShowResult(shown) => wake(next_second.min(shown.closes_at)),
            State::ReadCard(check) => {
                if let Some(done) = check.done() {
                    wake(done.drop_at);
                }
            }
            State::Passcode(_) if self.now < self.gate_open_at => {
                wake(next_second.min(self.gate_open_at));
            }
            _ => {}
        }
        if let Some(lock_at) = self.lock_at() {
            wake(lock_at);
        }
        if let (Some(renew_at), false) = (self.session.renew_at, self.session.renewing) {
            wake(renew_at);
        }
        if let Saving::Failing { retry_at, .. } = self.saving {
            wake(retry_at);
        }
        if let Some(clear_at) = self.clipboard_clear_at {
            wake(clear_at);
        }
        // A deadline already passed is due now, not in the past.
        at.map(|a| a.max(self.now))
    }

    /// Feeds one event in; returns the work it asks for.
    pub fn step(&mut self, event: Event, now: Millis) -> Vec<Command> {
        self.now = self.now.max(now);
        let mut out = Vec::new();
        let event = match self.global(event, &mut out) {
            Some(event) => event,
            None => return out,
        };

        // Typing into a form changes only that form.
        if let Event::Ui(action) = &event {
            if forms::edit_on_screen(&mut self.state, *action) {
                return out;
            }
        }

        let old = self.state.name();
        // Move the state out so transitions can take its data by value.
        let state = core::mem::replace(&mut self.state, State::SelectAuth);
        let next = self.transition(state, event, &mut out);
        self.set_state(old, next);
        // The next check starts: the last patient's text leaves the clipboard.
        if matches!(self.state, State::EnterPin(_) | State::ReadCard(_)) {
            self.clear_clipboard(&mut out);
        }
        out
    }

    /// Asks the shell to take the kiosk's copy text off the clipboard, if it put any there.
    fn clear_clipboard(&mut self, out: &mut Vec<Command>) {
        if self.clipboard_clear_at.take().is_some() {
            info!("clipboard cleared");
            out.push(Command::ClearClipboard);
        }
    }

    /// Events that mean the same on every screen. Returns the event if the screen must
    /// still see it.
    fn global(&mut self, event: Event, out: &mut Vec<Command>) -> Option<Event> {
        match event {
            Event::Ui(UiAction::DemoToggleCard(index)) => {
                self.toggle_demo_card(index, out);
                None
            }
            Event::Ui(UiAction::DemoTrayPage(forward)) => {
                if let Some(tray) = self.demo.as_mut() {
                    tray.page = if forward {
                        tray.page.wrapping_add(1)
                    } else {
                        tray.page.wrapping_sub(1)
                    };
                }
                None
            }
            Event::Ui(action) => {
                // Typing into a form can never pass a confirmation or send anything, and a
                // fast typist's first key must not be lost: only presses wait for a new
                // screen to settle.
                let typing = matches!(
                    action,
                    UiAction::Type(_)
                        | UiAction::Backspace
                        | UiAction::CaretLeft
                        | UiAction::CaretRight
                        | UiAction::FocusField(_)
                        | UiAction::ToggleReveal(_)
                        | UiAction::KeyboardLayer(_)
                );
                if !typing && self.now < self.screen_since.after(SETTLE_MS) {
                    debug!("{} ignored: the screen just changed", action.name());
                    return None;
                }
                self.last_use = self.now;
                self.session.repeat_spent = false;
                Some(Event::Ui(action))
            }
            Event::CardPresence(present) => {
                self.last_use = self.now;
                if present {
                    self.card.placements = self.card.placements.wrapping_add(1);
                    self.card.present = Some(CardId(self.card.placements));
                    self.card.used = false;
                } else {
                    self.card.present = None;
                    self.card.used = false;
                }
                Some(Event::CardPresence(present))
            }
            Event::SettingsSaved(result) => {
                match result {
                    Ok(()) => {
                        if self.saving != Saving::Saved {
                            info!("settings saved again");
                        }
                        self.saving = Saving::Saved;
                    }
                    Err(problem) => {
                        warn!("settings not saved ({problem:?}); kept in memory");
                        self.saving = Saving::Failing {
                            problem,
                            retry_at: self.now.after(SAVE_RETRY_MS),
                        };
                    }
                }
                None
            }
            Event::SessionRenewed(result) => self.session_renewed(result, out),
            // The text is on the clipboard whatever screen is shown now.
            Event::Copied(Ok(())) => {
                self.clipboard_clear_at = Some(self.now.after(CLIPBOARD_CLEAR_MS));
                Some(Event::Copied(Ok(())))
            }
            Event::Tick => {
                self.due(out);
                Some(Event::Tick)
            }
            other => Some(other),
        }
    }

    /// Deadlines the brain keeps across screens, checked on every tick.
    fn due(&mut self, out: &mut Vec<Command>) {
        if let Saving::Failing { problem, retry_at } = self.saving {
            if self.now >= retry_at {
                // Try again; the answer sets the band. Until it comes, wait another round.
                out.push(self.save_command());
                self.saving = Saving::Failing {
                    problem,
                    retry_at: self.now.after(SAVE_RETRY_MS),
                };
            }
        }
        if self.lock_at().is_some_and(|at| self.now >= at) {
            info!(
                "locked after {} min unused",
                self.options.lock_after_minutes
            );
            let old = self.state.name();
            let next = gate::pad(PadPurpose::Unlock);
            self.set_state(old, next);
        }
        if self.clipboard_clear_at.is_some_and(|at| self.now >= at) {
            self.clear_clipboard(out);
        }
        self.renew_if_due(out);
    }

    /// The settings as they are now, to be written.
    fn save_command(&self) -> Command {
        Command::SaveSettings(Box::new(self.settings.clone()))
    }

    /// Asks for the settings to be written.
    fn save(&self, out: &mut Vec<Command>) {
        out.push(self.save_command());
    }

    /// A link was pressed: the browser, or in `--kiosk` its address on screen.
    fn open_link(&mut self, url: String, out: &mut Vec<Command>) {
        if self.options.kiosk {
            info!("link shown, not opened: kiosk mode");
            self.link = Some(url);
        } else {
            out.push(Command::OpenUrl(url));
        }
    }

    /// A salt for a new passcode hash, from the system's randomness handed in at start, the
    /// time and a counter.
    fn salt(&mut self) -> [u8; passcode::SALT_LEN] {
        self.salts = self.salts.wrapping_add(1);
        let mut input = Vec::with_capacity(48);
        input.extend_from_slice(&self.options.seed);
        input.extend_from_slice(&self.now.0.to_le_bytes());
        input.extend_from_slice(&self.salts.to_le_bytes());
        let d = ring::digest::digest(&ring::digest::SHA256, &input);
        let mut salt = [0u8; passcode::SALT_LEN];
        salt.copy_from_slice(&d.as_ref()[..passcode::SALT_LEN]);
        salt
    }

    fn toggle_demo_card(&mut self, index: u8, out: &mut Vec<Command>) {
        let Some(tray) = self.demo.as_mut() else {
            return;
        };
        if usize::from(index) >= tray.setup.cards.len() {
            return;
        }
        if tray.placed == Some(index) {
            tray.placed = None;
            out.push(Command::DemoRemoveCard);
        } else {
            tray.placed = Some(index);
            out.push(Command::DemoPlaceCard(index));
        }
    }

    /// The one place the screen changes; logs old→new (names only, never data).
    fn set_state(&mut self, old: &'static str, next: State) {
        if old != next.name() {
            info!("screen {old} -> {}", next.name());
            self.screen_since = self.now;
            self.link = None;
        }
        self.state = next;
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_export;
#[cfg(test)]
mod tests_life;
#[cfg(test)]
mod tests_menu;
