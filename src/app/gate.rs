//! The passcode as a gate: the pads that check it, the waits after wrong ones, the lock-out
//! that only ID and password lift, and the idle lock.
//!
//! Every pad counts towards one count of wrong passcodes in a row, kept in the settings so a
//! restart neither clears it nor shortens a wait: from the 5th miss each further try waits
//! (30 s, doubling with each miss), and the 10th closes passcode entry until システムログイン
//! with ID and password succeeds and a new passcode is set.

use log::info;

use super::input::{Command, UiAction};
use super::passcode::DigitEntry;
use super::state::{
    Check, DigitNotice, LoginReason, PadPurpose, PasscodePad, PasscodePurpose, State, VisualRead,
};
use super::{App, Millis};

/// Wrong passcodes in a row after which each try waits.
pub const WAIT_AFTER: u8 = 5;
/// Wrong passcodes in a row after which only ID and password open the kiosk.
pub const LOCK_AFTER: u8 = 10;
/// The first wait.
pub const FIRST_WAIT_MS: u64 = 30_000;

/// How long the pad waits after `failures` wrong passcodes in a row (0 below
/// [`WAIT_AFTER`]).
pub fn wait_ms(failures: u8) -> u64 {
    match failures.checked_sub(WAIT_AFTER) {
        None => 0,
        Some(doublings) => FIRST_WAIT_MS.saturating_mul(1u64 << doublings.min(16)),
    }
}

/// A fresh pad for `purpose`.
pub fn pad(purpose: PadPurpose) -> State {
    State::Passcode(PasscodePad {
        purpose,
        entry: DigitEntry::default(),
        notice: None,
    })
}

/// A fresh pad for a new passcode.
pub fn new_passcode(purpose: PasscodePurpose) -> State {
    State::NewPasscode {
        purpose,
        entry: DigitEntry::default(),
        notice: None,
    }
}

impl App {
    /// When the idle lock falls, if it can on this screen: only once unlocked, never in
    /// the middle of a check or on a shown result, never when configured off.
    pub(super) fn lock_at(&self) -> Option<Millis> {
        let minutes = u64::from(self.options.lock_after_minutes);
        if minutes == 0 || self.settings.passcode.is_none() {
            return None;
        }
        let lockable = match &self.state {
            State::SelectAuth
            | State::Menu
            | State::ReaderSelect { .. }
            | State::Security
            | State::Notices { .. }
            | State::Tell(_)
            | State::StartFailed(_)
            | State::ReadFailed { .. }
            | State::ReadCard(Check::Visual(VisualRead::WaitCard)) => true,
            State::Update { required, .. } => !required,
            State::Ask(q) => *q != super::Question::StartPin,
            State::AccountPassword(screen) => !screen.busy,
            State::Passcode(pad) => pad.purpose != PadPurpose::Unlock,
            State::NewPasscode { purpose, .. } | State::ConfirmPasscode { purpose, .. } => {
                *purpose == PasscodePurpose::Change
            }
            _ => false,
        };
        lockable.then(|| self.last_use.after(minutes.saturating_mul(60_000)))
    }

    /// A digit, 訂正 or ← on a passcode pad.
    pub(super) fn on_pad(
        &mut self,
        mut pad: PasscodePad,
        action: UiAction,
        out: &mut Vec<Command>,
    ) -> State {
        match action {
            UiAction::Digit(d) => {
                if self.now < self.gate_open_at {
                    // The gate is closed: the countdown on screen says for how long.
                    return State::Passcode(pad);
                }
                if pad.purpose == PadPurpose::Unlock && pad.entry.is_empty() {
                    // The version is fetched while the rest is typed.
                    self.prefetch_version(out);
                }
                pad.entry.push(d);
                if !pad.entry.is_complete() {
                    return State::Passcode(pad);
                }
                if self.passcode_matches(&pad.entry) {
                    self.passcode_right(out);
                    self.opened(pad.purpose, out)
                } else {
                    pad.entry.clear();
                    self.passcode_wrong(pad, out)
                }
            }
            UiAction::DeleteDigit => {
                pad.entry.pop();
                State::Passcode(pad)
            }
            UiAction::Back => match pad.purpose {
                PadPurpose::Unlock => State::Passcode(pad),
                PadPurpose::Security => State::Menu,
                PadPurpose::Change | PadPurpose::Quit => State::Security,
            },
            UiAction::ForgotPasscode if pad.purpose == PadPurpose::Unlock => {
                info!("passcode forgotten: login with ID and password");
                super::forms::login_form(Some(LoginReason::ForgotPasscode))
            }
            _ => State::Passcode(pad),
        }
    }

    /// What the right passcode opens.
    fn opened(&mut self, purpose: PadPurpose, out: &mut Vec<Command>) -> State {
        match purpose {
            PadPurpose::Unlock => {
                info!("passcode accepted");
                self.start(out)
            }
            PadPurpose::Security => State::Security,
            PadPurpose::Change => new_passcode(PasscodePurpose::Change),
            PadPurpose::Quit => {
                out.push(Command::Quit);
                State::Security
            }
        }
    }

    fn passcode_right(&mut self, out: &mut Vec<Command>) {
        if self.settings.passcode_failures != 0 {
            self.settings.passcode_failures = 0;
            self.gate_open_at = self.now;
            self.save(out);
        }
    }

    fn passcode_wrong(&mut self, mut pad: PasscodePad, out: &mut Vec<Command>) -> State {
        let failures = self
            .settings
            .passcode_failures
            .saturating_add(1)
            .min(LOCK_AFTER);
        self.settings.passcode_failures = failures;
        self.save(out);
        info!("passcode rejected ({failures} in a row)");
        if failures >= LOCK_AFTER {
            return super::forms::login_form(Some(LoginReason::PasscodeLocked));
        }
        self.gate_open_at = self.now.after(wait_ms(failures));
        pad.notice = Some(DigitNotice::WrongPasscode);
        State::Passcode(pad)
    }

    pub(super) fn passcode_matches(&self, entry: &DigitEntry) -> bool {
        self.settings
            .passcode
            .as_ref()
            .is_some_and(|p| p.verify(entry.expose()))
    }

    /// A digit, 訂正 or ← on a new-passcode pad (twice: new, then again).
    pub(super) fn on_new_passcode(
        &mut self,
        state: State,
        action: UiAction,
        out: &mut Vec<Command>,
    ) -> State {
        match (state, action) {
            (
                State::NewPasscode {
                    purpose,
                    mut entry,
                    notice,
                },
                UiAction::Digit(d),
            ) => {
                entry.push(d);
                if entry.is_complete() {
                    State::ConfirmPasscode {
                        purpose,
                        first: entry,
                        entry: DigitEntry::default(),
                    }
                } else {
                    State::NewPasscode {
                        purpose,
                        entry,
                        notice,
                    }
                }
            }
            (
                State::NewPasscode {
                    purpose,
                    mut entry,
                    notice,
                },
                UiAction::DeleteDigit,
            ) => {
                entry.pop();
                State::NewPasscode {
                    purpose,
                    entry,
                    notice,
                }
            }
            (
                State::NewPasscode {
                    purpose: PasscodePurpose::Change,
                    ..
                },
                UiAction::Back,
            ) => State::Security,
            (
                State::ConfirmPasscode {
                    purpose,
                    first,
                    mut entry,
                },
                UiAction::Digit(d),
            ) => {
                entry.push(d);
                if !entry.is_complete() {
                    State::ConfirmPasscode {
                        purpose,
                        first,
                        entry,
                    }
                } else if entry.expose() == first.expose() {
                    let salt = self.salt();
                    self.settings.passcode =
                        Some(super::passcode::PasscodeHash::derive(entry.expose(), salt));
                    self.settings.passcode_failures = 0;
                    self.gate_open_at = self.now;
                    self.save(out);
                    State::Tell(match purpose {
                        PasscodePurpose::Setup | PasscodePurpose::Reset => {
                            super::Message::PasscodeRegistered
                        }
                        PasscodePurpose::Change => super::Message::PasscodeChanged,
                    })
                } else {
                    State::NewPasscode {
                        purpose,
                        entry: DigitEntry::default(),
                        notice: Some(DigitNotice::Mismatch),
                    }
                }
            }
            (
                State::ConfirmPasscode {
                    purpose,
                    first,
                    mut entry,
                },
                UiAction::DeleteDigit,
            ) => {
                entry.pop();
                State::ConfirmPasscode {
                    purpose,
                    first,
                    entry,
                }
            }
            (State::ConfirmPasscode { purpose, .. }, UiAction::Back) => new_passcode(purpose),
            (state, _) => state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_at_the_fifth_miss_and_double() {
        assert_eq!(wait_ms(0), 0);
        assert_eq!(wait_ms(4), 0);
        assert_eq!(wait_ms(5), 30_000);
        assert_eq!(wait_ms(6), 60_000);
        assert_eq!(wait_ms(9), 480_000);
        // Never overflows, whatever a damaged count says.
        assert!(wait_ms(u8::MAX) > 0);
    }
}
