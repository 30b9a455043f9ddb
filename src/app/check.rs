//! The qualification check: 認証選択 → (暗証番号の入力) → マイナンバーカードの読み取り →
//! 読み取り完了 → 資格確認結果.
//!
//! Rules kept here, not in the view:
//! - the card a check reads is counted by placement ([`CardId`]); after a check, the same
//!   card needs to be placed again, or 読み取る, before the next one;
//! - a PIN is typed only after the card on the reader has said its tries, and is only ever
//!   sent to that placement: a card taken off or changed before VERIFY wipes it and the pad
//!   asks the card now there;
//! - the center's answer for one check is asked again once after a session renewal.

use log::{debug, info, warn};

use crate::card::jpki::{CardIdentity, Holder, PinHolder, PinStatus};
use crate::card::CardError;
use crate::center::model::{Challenge, ChallengeId, CheckOutcome};
use crate::center::CenterError;

use super::input::{CardId, Command, Event, UiAction};
use super::passcode::DigitEntry;
use super::session::{session_fault, SessionFault};
use super::state::{
    Check, DigitNotice, Done, ExportStatus, Failure, PinPad, PinRead, Question, Shown, State,
    Unlock, VisualRead,
};
use super::{App, RESULT_IDLE_MS};

impl App {
    /// 次へ on 認証選択（目視）, or a card placed there: a card not yet checked is read at
    /// once; otherwise the read waits for a card or 読み取る.
    pub(super) fn visual_next(&mut self, out: &mut Vec<Command>) -> State {
        if self.card.present.is_some() && !self.card.used {
            self.read_certificate(out)
        } else {
            State::ReadCard(Check::Visual(VisualRead::WaitCard))
        }
    }

    /// Reads the card's certificate (目視).
    pub(super) fn read_certificate(&mut self, out: &mut Vec<Command>) -> State {
        self.card.used = true;
        out.push(Command::ReadCertificate);
        State::ReadCard(Check::Visual(VisualRead::Reading))
    }

    /// The PIN pad for the card on the reader now.
    pub(super) fn pin_pad(&mut self, notice: Option<DigitNotice>, out: &mut Vec<Command>) -> State {
        match self.card.present {
            Some(card) => {
                out.push(Command::QueryPinTries { card });
                State::EnterPin(PinPad::AskingTries { card })
            }
            None => State::EnterPin(PinPad::NoCard { notice }),
        }
    }

    /// Events on 暗証番号の入力.
    pub(super) fn on_pin_pad(
        &mut self,
        pad: PinPad,
        event: Event,
        out: &mut Vec<Command>,
    ) -> State {
        match (pad, event) {
            // A card placed, taken off or changed: whatever was typed is wiped here (the
            // dropped pad wipes its digits) and the pad asks the card now there.
            (pad, Event::CardPresence(_)) => {
                let typed = matches!(&pad, PinPad::Typing { entry, .. } if !entry.is_empty());
                drop(pad);
                self.pin_pad(typed.then_some(DigitNotice::CardChanged), out)
            }
            (
                PinPad::AskingTries { card },
                Event::PinTries {
                    card: asked,
                    result,
                },
            ) if asked == card => match result {
                Ok(status) => self.tries_known(card, status, out),
                Err(CardError::PinBlocked) => blocked(),
                Err(e) => failed(Failure::Card(e)),
            },
            (
                PinPad::Typing {
                    card,
                    holder,
                    tries,
                    identity,
                    mut entry,
                    notice,
                },
                Event::Ui(action),
            ) => {
                match action {
                    UiAction::Digit(d) => entry.push(d),
                    UiAction::DeleteDigit => entry.pop(),
                    UiAction::Next if entry.is_complete() && self.card.present == Some(card) => {
                        // The same card is still there: the read starts by itself.
                        if holder == Holder::AndroidPhone && self.settings.visual_check {
                            // 目視 on a phone: the PIN opens its certificate, nothing is signed.
                            self.card.used = true;
                            out.push(Command::ReadCertificateWithPin {
                                pin: entry,
                                card: identity,
                            });
                            return State::ReadCard(Check::Visual(VisualRead::ReadingWithPin {
                                card,
                                identity,
                            }));
                        }
                        out.push(Command::GetChallenge);
                        return State::ReadCard(Check::Pin(PinRead::Challenge {
                            pin: Unlock::Pin { pin: entry, holder },
                            card,
                            identity,
                        }));
                    }
                    // The last try: staff may confirm by the card's photo instead.
                    UiAction::VisualInstead if self.visual_alternative(holder, tries) => {
                        return State::Ask(Question::VisualOnce);
                    }
                    UiAction::Back => return State::SelectAuth,
                    _ => {}
                }
                State::EnterPin(PinPad::Typing {
                    card,
                    holder,
                    tries,
                    identity,
                    entry,
                    notice,
                })
            }
            // An iPhone: once the patient has authenticated on it and holds it there.
            (PinPad::OnPhone { card, identity }, Event::Ui(UiAction::Next))
                if self.card.present == Some(card) =>
            {
                out.push(Command::GetChallenge);
                State::ReadCard(Check::Pin(PinRead::Challenge {
                    pin: Unlock::OnPhone,
                    card,
                    identity,
                }))
            }
            (PinPad::Unusable { .. }, Event::Ui(UiAction::VisualInstead)) => {
                State::Ask(Question::VisualOnce)
            }
            (_, Event::Ui(UiAction::Back)) => State::SelectAuth,
            (pad, other) => {
                debug!("ignored {} in EnterPin", other.name());
                State::EnterPin(pad)
            }
        }
    }

    /// Events on マイナンバーカードの読み取り.
    pub(super) fn on_read(&mut self, check: Check, event: Event, out: &mut Vec<Command>) -> State {
        match (check, event) {
            // --- 目視 ----------------------------------------------------------------------
            (Check::Visual(VisualRead::WaitCard), Event::CardPresence(true))
            | (Check::Visual(VisualRead::WaitCard), Event::Ui(UiAction::ReadCard)) => {
                self.read_certificate(out)
            }
            (Check::Visual(VisualRead::WaitCard), Event::Ui(UiAction::Back)) => State::SelectAuth,
            (Check::Visual(VisualRead::Reading), Event::CertificateRead(Ok(certificate))) => {
                debug!("certificate read");
                out.push(Command::CheckQualification(certificate.clone()));
                State::ReadCard(Check::Visual(VisualRead::Asking { certificate }))
            }
            // An Android phone: its certificate needs its PIN first, in 目視 mode too.
            (
                Check::Visual(VisualRead::Reading),
                Event::CertificateRead(Err(CardError::PinFirst)),
            ) => {
                info!("a phone whose certificate needs its PIN: asking the PIN");
                self.pin_pad(None, out)
            }
            (Check::Visual(VisualRead::Reading), Event::CertificateRead(Err(e))) => {
                info!("card read failed: {e:?}");
                failed(Failure::Card(e))
            }
            (
                Check::Visual(VisualRead::ReadingWithPin { .. }),
                Event::CertificateRead(Ok(certificate)),
            ) => {
                debug!("certificate read after the PIN");
                out.push(Command::CheckQualification(certificate.clone()));
                State::ReadCard(Check::Visual(VisualRead::Asking { certificate }))
            }
            (
                Check::Visual(VisualRead::ReadingWithPin { card, identity }),
                Event::CertificateRead(Err(e)),
            ) => self.pin_failed(card, Holder::AndroidPhone, identity, e, out),
            (Check::Visual(VisualRead::Asking { certificate }), Event::CenterAnswered(answer)) => {
                match answer {
                    Ok(outcome) => self.done(|d| Check::Visual(VisualRead::Done(d)), outcome),
                    Err(e) => {
                        let repeat = Command::CheckQualification(certificate.clone());
                        let keep =
                            State::ReadCard(Check::Visual(VisualRead::Asking { certificate }));
                        self.center_failed(e, repeat, keep, out)
                    }
                }
            }

            // --- 暗証番号 --------------------------------------------------------------------
            (
                Check::Pin(PinRead::Challenge {
                    pin,
                    card,
                    identity,
                }),
                Event::ChallengeIssued(Ok(challenge)),
            ) => {
                if self.card.present == Some(card) {
                    Self::sign(pin, card, identity, challenge, out)
                } else {
                    drop(pin);
                    self.pin_pad(Some(DigitNotice::CardChanged), out)
                }
            }
            (
                Check::Pin(PinRead::Challenge {
                    pin,
                    card,
                    identity,
                }),
                Event::ChallengeIssued(Err(e)),
            ) => {
                let keep_pin = self.card.present == Some(card);
                match session_fault(&e) {
                    Some(SessionFault::Renewable)
                        if keep_pin && self.renew_and_repeat(Command::GetChallenge, out) =>
                    {
                        State::ReadCard(Check::Pin(PinRead::Challenge {
                            pin,
                            card,
                            identity,
                        }))
                    }
                    _ => {
                        drop(pin);
                        self.center_failed(e, Command::GetChallenge, State::SelectAuth, out)
                    }
                }
            }
            // The card moved before VERIFY: the PIN is wiped and the pad asks the card now
            // there for its tries.
            (Check::Pin(PinRead::Challenge { pin, .. }), Event::CardPresence(_)) => {
                drop(pin);
                self.pin_pad(Some(DigitNotice::CardChanged), out)
            }
            (
                Check::Pin(PinRead::Signing {
                    card,
                    holder,
                    identity,
                    challenge_id,
                }),
                Event::Authenticated(result),
            ) => match result {
                Ok(authentication) => {
                    debug!("card authenticated");
                    self.card.used = true;
                    out.push(Command::CheckQualificationWithPin {
                        authentication: authentication.clone(),
                        challenge_id: challenge_id.clone(),
                    });
                    State::ReadCard(Check::Pin(PinRead::Asking {
                        authentication,
                        challenge_id,
                    }))
                }
                Err(e) => self.pin_failed(card, holder, identity, e, out),
            },
            (
                Check::Pin(PinRead::Asking {
                    authentication,
                    challenge_id,
                }),
                Event::CenterAnswered(answer),
            ) => match answer {
                Ok(outcome) => self.done(|d| Check::Pin(PinRead::Done(d)), outcome),
                Err(e) => {
                    let repeat = Command::CheckQualificationWithPin {
                        authentication: authentication.clone(),
                        challenge_id: challenge_id.clone(),
                    };
                    let keep = State::ReadCard(Check::Pin(PinRead::Asking {
                        authentication,
                        challenge_id,
                    }));
                    self.center_failed(e, repeat, keep, out)
                }
            },

            // --- 読み取り完了 ----------------------------------------------------------------
            (check, Event::Ui(UiAction::Next)) if check.done().is_some() => match check {
                Check::Visual(VisualRead::Done(done)) | Check::Pin(PinRead::Done(done)) => {
                    let export = self.export(&done.outcome, out);
                    State::ShowResult(Shown {
                        outcome: done.outcome,
                        page: 0,
                        closes_at: self.now.after(RESULT_IDLE_MS),
                        export,
                        copy: None,
                    })
                }
                other => State::ReadCard(other),
            },
            (check, Event::Tick) if check.done().is_some_and(|d| self.now >= d.drop_at) => {
                info!("read result dropped after {} s idle", RESULT_IDLE_MS / 1000);
                drop(check);
                State::SelectAuth
            }
            (check, other) => {
                let state = State::ReadCard(check);
                debug!("ignored {} in {}", other.name(), state.name());
                state
            }
        }
    }

    fn sign(
        pin: Unlock,
        card: CardId,
        identity: CardIdentity,
        challenge: Challenge,
        out: &mut Vec<Command>,
    ) -> State {
        let challenge_id: ChallengeId = challenge.id.clone();
        let holder = match pin {
            Unlock::Pin { pin, holder } => {
                out.push(Command::Authenticate {
                    pin,
                    challenge,
                    card: identity,
                });
                holder
            }
            Unlock::OnPhone => {
                out.push(Command::AuthenticateOnPhone {
                    challenge,
                    card: identity,
                });
                Holder::IPhone
            }
        };
        State::ReadCard(Check::Pin(PinRead::Signing {
            card,
            holder,
            identity,
            challenge_id,
        }))
    }

    /// The PIN's tries are known: the pad, the phone's screen, or (a PIN that answers
    /// blocked before anything was typed) the screen that offers staff 目視.
    fn tries_known(&mut self, card: CardId, status: PinStatus, out: &mut Vec<Command>) -> State {
        let visual = self.settings.visual_check;
        let (holder, tries) = match status.pin {
            // 目視 needs no PIN from a card or an iPhone (a card swapped in for a phone).
            PinHolder::Card { .. } | PinHolder::IPhone if visual => {
                return self.read_certificate(out)
            }
            PinHolder::Card { tries: 0 } => return State::EnterPin(PinPad::Unusable { card }),
            PinHolder::AndroidPhone { tries: 0 } => {
                return failed(Failure::Card(CardError::PhonePinBlocked))
            }
            PinHolder::IPhone => {
                return State::EnterPin(PinPad::OnPhone {
                    card,
                    identity: status.card,
                })
            }
            PinHolder::Card { tries } => (Holder::Card, tries),
            PinHolder::AndroidPhone { tries } => (Holder::AndroidPhone, tries),
        };
        State::EnterPin(PinPad::Typing {
            card,
            holder,
            tries,
            identity: status.card,
            entry: DigitEntry::default(),
            notice: None,
        })
    }

    /// Whether the pad on screen offers 目視で確認する (see [`App::visual_alternative`]).
    pub fn offers_visual(&self, pad: &PinPad) -> bool {
        matches!(pad, PinPad::Typing { holder, tries, .. } if self.visual_alternative(*holder, *tries))
    }

    /// Whether the last-try warning offers staff 目視 instead: a card (a phone cannot be
    /// read without its PIN) in 暗証番号 mode with one try left.
    pub fn visual_alternative(&self, holder: Holder, tries: u8) -> bool {
        holder == Holder::Card && tries == 1 && !self.settings.visual_check
    }

    /// A PIN flow failed on the card: a wrong PIN goes back to the pad of the same card if
    /// it is still there; another card got nothing and the pad asks the one there now.
    fn pin_failed(
        &mut self,
        card: CardId,
        holder: Holder,
        identity: CardIdentity,
        e: CardError,
        out: &mut Vec<Command>,
    ) -> State {
        match e {
            CardError::WrongPin { tries_left } if tries_left > 0 => {
                if self.card.present == Some(card) {
                    State::EnterPin(PinPad::Typing {
                        card,
                        holder,
                        tries: tries_left,
                        identity,
                        entry: DigitEntry::default(),
                        notice: Some(DigitNotice::WrongPin(tries_left)),
                    })
                } else {
                    self.pin_pad(None, out)
                }
            }
            CardError::WrongPin { .. } | CardError::PinBlocked
                if holder == Holder::AndroidPhone =>
            {
                failed(Failure::Card(CardError::PhonePinBlocked))
            }
            CardError::WrongPin { .. } | CardError::PinBlocked => blocked(),
            CardError::CardChanged => self.pin_pad(Some(DigitNotice::CardChanged), out),
            e => {
                info!("card read failed: {e:?}");
                failed(Failure::Card(e))
            }
        }
    }

    /// 読み取り完了: the outcome waits behind 次へ, no longer than a shown result would.
    fn done(&mut self, phase: fn(Done) -> Check, outcome: Box<CheckOutcome>) -> State {
        self.card.used = true;
        let done = Done {
            outcome,
            drop_at: self.now.after(RESULT_IDLE_MS),
        };
        State::ReadCard(phase(done))
    }

    /// A center call of a check failed: renew once and ask again, or go where the session
    /// can be fixed, or say what happened.
    fn center_failed(
        &mut self,
        e: CenterError,
        repeat: Command,
        keep: State,
        out: &mut Vec<Command>,
    ) -> State {
        match session_fault(&e) {
            Some(SessionFault::Renewable) if self.renew_and_repeat(repeat, out) => keep,
            Some(SessionFault::Renewable) => match self.session.lost {
                Some(f) => self.fix_session(f, out),
                None => failed(Failure::Center(e)),
            },
            Some(f) => self.fix_session(f, out),
            None => {
                info!("center check failed: {}", e.log_name());
                failed(Failure::Center(e))
            }
        }
    }

    /// A result reaches 資格確認結果: with an export folder, its face file is written (once;
    /// a failure shows a band and never repeats the check).
    fn export(&self, outcome: &CheckOutcome, out: &mut Vec<Command>) -> ExportStatus {
        if !self.options.export {
            return ExportStatus::Off;
        }
        let Some(registration) = &self.settings.registration else {
            info!("result not exported: no registration");
            return ExportStatus::Off;
        };
        out.push(Command::ExportResult {
            outcome: Box::new(outcome.clone()),
            institution_code: registration.institution_code.clone(),
        });
        ExportStatus::Writing
    }

    /// Events on 資格確認結果: any touch keeps it; 閉じる, or a minute untouched, drops it.
    pub(super) fn on_result(
        &mut self,
        mut shown: Shown,
        event: Event,
        out: &mut Vec<Command>,
    ) -> State {
        match event {
            Event::Exported(result) => {
                shown.export = match result {
                    Ok(()) => ExportStatus::Written,
                    Err(problem) => {
                        warn!("face file not written: {problem:?}");
                        ExportStatus::Failed(problem)
                    }
                };
                State::ShowResult(shown)
            }
            Event::Copied(result) => {
                if let Err(problem) = result {
                    warn!("result not copied: {problem:?}");
                }
                shown.copy = Some(result);
                State::ShowResult(shown)
            }
            Event::Ui(UiAction::Copy) => {
                shown.closes_at = self.now.after(RESULT_IDLE_MS);
                shown.copy = None;
                out.push(Command::CopyResult(shown.outcome.clone()));
                State::ShowResult(shown)
            }
            Event::Ui(UiAction::Close) => State::SelectAuth,
            Event::Tick if self.now >= shown.closes_at => {
                info!("result closed after {} s idle", RESULT_IDLE_MS / 1000);
                State::SelectAuth
            }
            Event::Ui(action) => {
                shown.closes_at = self.now.after(RESULT_IDLE_MS);
                match action {
                    UiAction::NextPage => shown.page = shown.page.saturating_add(1),
                    UiAction::PrevPage => shown.page = shown.page.saturating_sub(1),
                    _ => {}
                }
                State::ShowResult(shown)
            }
            _ => State::ShowResult(shown),
        }
    }
}

/// A blocked PIN: the error screen without もう一度 (`Failure::can_retry` says so).
fn blocked() -> State {
    failed(Failure::Card(CardError::PinBlocked))
}

/// The error screen; its main button is もう一度 only where reading again can succeed.
pub(super) fn failed(failure: Failure) -> State {
    let retry = failure.can_retry();
    State::ReadFailed { failure, retry }
}
