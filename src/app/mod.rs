//! The brain: one state machine over the screens of the manual. No IO happens here.
//!
//! The shell feeds [`Event`]s in (input mapped to a [`UiAction`], card and center results);
//! [`App::step`] changes state through one `set_state` funnel and returns [`Command`]s for
//! the worker thread. Everything the manual's flows do can be tested without a window.
//!
//! Screens built so far (see ARCHITECTURE.md for the full diagram):
//!
//! ```text
//!  EnterPasscode ──4 digits ok──► SelectAuthVisual ──次へ──► ReadCard(WaitCard)
//!       ▲  └─wrong: message, stay       │  card placed          │ card placed / 読み取る
//!       │                               └──────────────┐        ▼
//!       │                                              └──► ReadCard(Reading) ──cert──► ReadCard(AskingCenter)
//!       │                                                       │ error                     │ outcome   │ error
//!       │                                                       ▼                           ▼           ▼
//!       │                                                  ReadFailed ◄──────────── ReadCard(Done)  ReadFailed
//!       │                                                                                   │ 次へ
//!       │                              SelectAuthVisual ◄──────閉じる (data dropped)─── ShowResult
//! ```

pub mod passcode;

use log::{debug, info};

use crate::card::{AuthCertificate, CardError};
use crate::center::model::CheckOutcome;
use crate::center::CenterError;
use passcode::{DigitEntry, PasscodeHash};

/// Milliseconds on a monotonic clock, supplied by the shell: the brain has no clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Millis(pub u64);

/// Something a person did on screen, already mapped from pixels or keys by the UI's scene.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiAction {
    /// A digit key on a keypad (0–9).
    Digit(u8),
    /// 訂正: remove the last digit.
    DeleteDigit,
    /// ← (戻る).
    Back,
    /// 次へ.
    Next,
    /// マイナンバーカードを読み取る.
    ReadCard,
    /// 閉じる on the result screen.
    Close,
    /// もう一度読み取る after a failure.
    Retry,
    /// 次のページ on a result longer than the screen.
    NextPage,
    /// 前のページ on a result longer than the screen.
    PrevPage,
    /// Demo tray: put demo card `index` on the virtual reader (or take it off if it is there).
    DemoToggleCard(u8),
}

impl UiAction {
    /// A short name for logs: never which digit was pressed.
    pub fn name(self) -> &'static str {
        match self {
            UiAction::Digit(_) => "Digit",
            UiAction::DeleteDigit => "DeleteDigit",
            UiAction::Back => "Back",
            UiAction::Next => "Next",
            UiAction::ReadCard => "ReadCard",
            UiAction::Close => "Close",
            UiAction::Retry => "Retry",
            UiAction::NextPage => "NextPage",
            UiAction::PrevPage => "PrevPage",
            UiAction::DemoToggleCard(_) => "DemoToggleCard",
        }
    }
}

/// An input to the brain.
#[derive(Debug)]
pub enum Event {
    /// A person acted on the screen.
    Ui(UiAction),
    /// The reader reports a card placed (`true`) or removed (`false`).
    CardPresence(bool),
    /// The worker finished reading the certificate.
    CertificateRead(Result<AuthCertificate, CardError>),
    /// The worker got the center's answer.
    CenterAnswered(Result<Box<CheckOutcome>, CenterError>),
}

/// Work for the worker thread. Commands run in order; each answers with one event.
#[derive(Debug)]
pub enum Command {
    /// Read the user-authentication certificate of the card on the reader.
    ReadCertificate,
    /// Ask the center for the qualification bound to this certificate (目視 mode).
    CheckQualification(AuthCertificate),
    /// Demo: put demo card `index` on the virtual reader, replacing any other.
    DemoPlaceCard(u8),
    /// Demo: take the card off the virtual reader.
    DemoRemoveCard,
}

/// Where the read of マイナンバーカードの読み取り stands.
#[derive(Debug)]
pub enum ReadPhase {
    /// Waiting for the card to be set on the reader.
    WaitCard,
    /// The worker is reading the certificate.
    Reading,
    /// The worker is asking the center.
    AskingCenter,
    /// 読み取り完了: the outcome waits behind 次へ.
    Done(Box<CheckOutcome>),
}

/// Why a read failed, for the error screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The card or reader failed.
    Card(CardError),
    /// The center failed or refused.
    Center(CenterError),
}

/// Feedback on the passcode screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasscodeNotice {
    /// The last four digits were wrong.
    Wrong,
}

/// Every screen of the app, named after what it waits for.
#[derive(Debug)]
pub enum State {
    /// パスコード入力.
    EnterPasscode {
        /// Digits typed so far.
        entry: DigitEntry,
        /// Feedback from the last attempt.
        notice: Option<PasscodeNotice>,
    },
    /// 認証選択（目視）: staff compare the card photo with the patient.
    SelectAuthVisual,
    /// マイナンバーカードの読み取り.
    ReadCard(ReadPhase),
    /// The read failed; the screen says what to do next.
    ReadFailed(Failure),
    /// 資格確認結果. Dropping the state drops (and wipes) the patient's data.
    ShowResult {
        /// The center's answer.
        outcome: Box<CheckOutcome>,
        /// Which page of the table is shown when it is longer than the screen (the screen
        /// clamps it to the last page).
        page: u8,
    },
}

impl State {
    /// A short name for logs. Never includes data.
    pub fn name(&self) -> &'static str {
        match self {
            State::EnterPasscode { .. } => "EnterPasscode",
            State::SelectAuthVisual => "SelectAuthVisual",
            State::ReadCard(ReadPhase::WaitCard) => "ReadCard(WaitCard)",
            State::ReadCard(ReadPhase::Reading) => "ReadCard(Reading)",
            State::ReadCard(ReadPhase::AskingCenter) => "ReadCard(AskingCenter)",
            State::ReadCard(ReadPhase::Done(_)) => "ReadCard(Done)",
            State::ReadFailed(_) => "ReadFailed",
            State::ShowResult { .. } => "ShowResult",
        }
    }
}

/// What the demo build tells the brain about itself.
#[derive(Debug, Clone)]
pub struct DemoSetup {
    /// The demo passcode, shown on the デモ banner.
    pub passcode: &'static str,
    /// The holders' names on the demo tray's cards, in tray order.
    pub cards: Vec<&'static str>,
}

/// The demo tray as the brain tracks it.
#[derive(Debug, Clone)]
pub struct DemoTray {
    /// The demo setup.
    pub setup: DemoSetup,
    /// The card that is on the virtual reader, if any.
    pub placed: Option<u8>,
}

/// The app: state plus what it was configured with.
#[derive(Debug)]
pub struct App {
    state: State,
    passcode: PasscodeHash,
    card_present: bool,
    demo: Option<DemoTray>,
}

impl App {
    /// Boots straight into パスコード入力 with the registered passcode's hash.
    pub fn new(passcode: PasscodeHash, demo: Option<DemoSetup>) -> Self {
        Self {
            state: State::EnterPasscode {
                entry: DigitEntry::default(),
                notice: None,
            },
            passcode,
            card_present: false,
            demo: demo.map(|setup| DemoTray {
                setup,
                placed: None,
            }),
        }
    }

    /// The current screen.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The demo tray, in the demo build.
    pub fn demo(&self) -> Option<&DemoTray> {
        self.demo.as_ref()
    }

    /// Whether the reader last reported a card.
    pub fn card_present(&self) -> bool {
        self.card_present
    }

    /// Feeds one event in; returns the work it asks of the worker.
    pub fn step(&mut self, event: Event, now: Millis) -> Vec<Command> {
        let _ = now; // Timers (idle timeout) arrive with the next screens; time is an input already.
        let mut out = Vec::new();
        // Events that mean the same on every screen.
        let event = match event {
            Event::CardPresence(present) => {
                self.card_present = present;
                Event::CardPresence(present)
            }
            Event::Ui(UiAction::DemoToggleCard(index)) => {
                self.toggle_demo_card(index, &mut out);
                return out;
            }
            other => other,
        };

        let old = self.state.name();
        // Move the state out so transitions can take its data by value.
        let state = core::mem::replace(&mut self.state, State::SelectAuthVisual);
        let next = match (state, event) {
            (State::EnterPasscode { mut entry, notice }, Event::Ui(UiAction::Digit(d))) => {
                entry.push(d);
                if !entry.is_complete() {
                    State::EnterPasscode { entry, notice }
                } else if self.passcode.verify(entry.expose()) {
                    info!("passcode accepted");
                    State::SelectAuthVisual
                } else {
                    info!("passcode rejected");
                    entry.clear();
                    State::EnterPasscode {
                        entry,
                        notice: Some(PasscodeNotice::Wrong),
                    }
                }
            }
            (State::EnterPasscode { mut entry, notice }, Event::Ui(UiAction::DeleteDigit)) => {
                entry.pop();
                State::EnterPasscode { entry, notice }
            }

            // 目視: placing the card is enough to start, from the selection screen too.
            (State::SelectAuthVisual, Event::Ui(UiAction::Next)) if self.card_present => {
                self.start_read(&mut out)
            }
            (State::SelectAuthVisual, Event::Ui(UiAction::Next)) => {
                State::ReadCard(ReadPhase::WaitCard)
            }
            (State::SelectAuthVisual, Event::CardPresence(true)) => self.start_read(&mut out),

            (State::ReadCard(ReadPhase::WaitCard), Event::CardPresence(true))
            | (State::ReadCard(ReadPhase::WaitCard), Event::Ui(UiAction::ReadCard)) => {
                self.start_read(&mut out)
            }
            (State::ReadCard(ReadPhase::WaitCard), Event::Ui(UiAction::Back)) => {
                State::SelectAuthVisual
            }
            (State::ReadCard(ReadPhase::Reading), Event::CertificateRead(Ok(certificate))) => {
                debug!("certificate read");
                out.push(Command::CheckQualification(certificate));
                State::ReadCard(ReadPhase::AskingCenter)
            }
            (State::ReadCard(ReadPhase::Reading), Event::CertificateRead(Err(e))) => {
                info!("card read failed: {e:?}");
                State::ReadFailed(Failure::Card(e))
            }
            (State::ReadCard(ReadPhase::AskingCenter), Event::CenterAnswered(Ok(outcome))) => {
                State::ReadCard(ReadPhase::Done(outcome))
            }
            (State::ReadCard(ReadPhase::AskingCenter), Event::CenterAnswered(Err(e))) => {
                info!("center check failed: {e:?}");
                State::ReadFailed(Failure::Center(e))
            }
            (State::ReadCard(ReadPhase::Done(outcome)), Event::Ui(UiAction::Next)) => {
                State::ShowResult { outcome, page: 0 }
            }

            (State::ReadFailed(_), Event::Ui(UiAction::Retry)) => self.start_read(&mut out),
            (State::ReadFailed(_), Event::Ui(UiAction::Back)) => State::SelectAuthVisual,

            (State::ShowResult { outcome, page }, Event::Ui(UiAction::NextPage)) => {
                State::ShowResult {
                    outcome,
                    page: page.saturating_add(1),
                }
            }
            (State::ShowResult { outcome, page }, Event::Ui(UiAction::PrevPage)) => {
                State::ShowResult {
                    outcome,
                    page: page.saturating_sub(1),
                }
            }
            // 閉じる: the outcome is dropped here, wiping the patient's data.
            (State::ShowResult { .. }, Event::Ui(UiAction::Close)) => State::SelectAuthVisual,

            // Anything else leaves the screen as it is: stale worker answers (already
            // dropped, so their data is wiped), keys that mean nothing here.
            (state, event) => {
                debug!("ignored {} in {}", event_name(&event), state.name());
                state
            }
        };
        self.set_state(old, next);
        out
    }

    fn start_read(&self, out: &mut Vec<Command>) -> State {
        out.push(Command::ReadCertificate);
        State::ReadCard(ReadPhase::Reading)
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
        }
        self.state = next;
    }
}

/// A short name of an event for logs. Never includes data.
fn event_name(event: &Event) -> &'static str {
    match event {
        Event::Ui(action) => action.name(),
        Event::CardPresence(_) => "card presence",
        Event::CertificateRead(_) => "certificate read",
        Event::CenterAnswered(_) => "center answer",
    }
}

#[cfg(test)]
mod tests;
