//! The qualification check: 認証選択 → (暗証番号の入力) → マイナンバーカードの読み取り →
//! 読み取り完了 → 資格確認結果.
//!
//! Rules kept here, not in the view:
//! - the card a check reads is counted by placement ([`CardId`]); after a check, the same
//!   card needs to be placed again, or 読み取る, before the next one;
//! - a PIN is typed only after the card on the reader has said its tries, and is only ever
//!   sent to that placement: a card taken off or changed before VERIFY wipes it and the pad
//!   asks the card now there;
//! - the center's answer for one check is asked again once after a session renewal;
//! - the 暗証番号 check's challenge is asked for when the PIN pad opens, so that after 次へ
//!   the card signs at once and the network part of the check is one request; a challenge
//!   that would expire before use is replaced unseen (while the pad is open, or at 次へ,
//!   which then waits for a fresh one), and a failed early ask is asked again at 次へ, where
//!   its error is handled as any check's.

use log::{debug, info};

use super::Prefetch;
use crate::card::jpki::CardIdentity;
use crate::card::CardError;
use crate::center::model::{Challenge, ChallengeId, CheckOutcome};
use crate::center::CenterError;

use super::input::{CardId, Command, Event, UiAction};
use super::passcode::DigitEntry;
use super::session::{session_fault, SessionFault};
use super::state::{Check, DigitNotice, Done, Failure, PinPad, PinRead, Shown, State, VisualRead};
use super::{App, RESULT_IDLE_MS};

/// A challenge is used only while at least this much of its validity is left: the time for
/// VERIFY, the signature and the check request, and for the center's clock to differ.
pub(super) const CHALLENGE_MARGIN_MS: u64 = 30_000;

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

    /// Asks for the next 暗証番号 check's challenge unless one is on its way or usable.
    fn prefetch_challenge(&mut self, out: &mut Vec<Command>) {
        let usable = match &self.challenge {
            Prefetch::Empty => false,
            Prefetch::Asked => true,
            Prefetch::Held { use_by, .. } => self.now < *use_by,
        };
        if !usable {
            out.push(Command::GetChallenge);
            self.challenge = Prefetch::Asked;
        }
    }

    /// While the pad is open: a challenge about to go stale is replaced.
    pub(super) fn refresh_stale_challenge(&mut self, out: &mut Vec<Command>) {
        if matches!(&self.challenge, Prefetch::Held { use_by, .. } if self.now >= *use_by) {
            debug!("challenge replaced before it expired");
            self.challenge = Prefetch::Empty;
            self.prefetch_challenge(out);
        }
    }

    /// A challenge arrived. One the read waits for goes to the read; one asked early is
    /// kept for 次へ (an early ask that failed is asked again at 次へ).
    pub(super) fn challenge_issued(
        &mut self,
        result: Result<Challenge, CenterError>,
    ) -> Option<Event> {
        let waiting = matches!(
            self.state,
            State::ReadCard(Check::Pin(PinRead::Challenge { .. }))
        );
        if waiting || !matches!(self.challenge, Prefetch::Asked) {
            return Some(Event::ChallengeIssued(result));
        }
        self.challenge = match result {
            Ok(challenge) => {
                let valid_ms = u64::from(challenge.valid_seconds).saturating_mul(1000);
                let use_by = self.now.after(valid_ms.saturating_sub(CHALLENGE_MARGIN_MS));
                Prefetch::Held { challenge, use_by }
            }
            Err(e) => {
                debug!(
                    "early challenge failed ({}); asked again at 次へ",
                    e.log_name()
                );
                Prefetch::Empty
            }
        };
        None
    }

    /// The challenge for a read starting now: the one held, if still usable.
    fn take_challenge(&mut self) -> Option<Challenge> {
        match core::mem::take(&mut self.challenge) {
            Prefetch::Held { challenge, use_by } if self.now < use_by => Some(challenge),
            Prefetch::Asked => {
                // Still on its way: the read waits for it (see `challenge_issued`).
                self.challenge = Prefetch::Asked;
                None
            }
            _ => None,
        }
    }

    /// The PIN pad for the card on the reader now; the challenge is asked for meanwhile.
    pub(super) fn pin_pad(&mut self, notice: Option<DigitNotice>, out: &mut Vec<Command>) -> State {
        let pad = self.pin_pad_for_card(notice, out);
        self.prefetch_challenge(out);
        pad
    }

    fn pin_pad_for_card(&mut self, notice: Option<DigitNotice>, out: &mut Vec<Command>) -> State {
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
                Ok(status) if status.tries == 0 => blocked(),
                Ok(status) => State::EnterPin(PinPad::Typing {
                    card,
                    tries: status.tries,
                    identity: status.card,
                    entry: DigitEntry::default(),
                    notice: None,
                }),
                Err(CardError::PinBlocked) => blocked(),
                Err(e) => failed(Failure::Card(e)),
            },
            (
                PinPad::Typing {
                    card,
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
                        // The same card is still there: the read starts by itself, signing
                        // the challenge asked for when the pad opened.
                        if let Some(challenge) = self.take_challenge() {
                            return Self::sign(entry, card, identity, challenge, out);
                        }
                        if matches!(self.challenge, Prefetch::Asked) {
                            // Arriving: the read waits for it.
                            self.challenge = Prefetch::Empty;
                        } else {
                            out.push(Command::GetChallenge);
                        }
                        return State::ReadCard(Check::Pin(PinRead::Challenge {
                            pin: entry,
                            card,
                            identity,
                        }));
                    }
                    UiAction::Back => return State::SelectAuth,
                    _ => {}
                }
                State::EnterPin(PinPad::Typing {
                    card,
                    tries,
                    identity,
                    entry,
                    notice,
                })
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
            (Check::Visual(VisualRead::Reading), Event::CertificateRead(Err(e))) => {
                info!("card read failed: {e:?}");
                failed(Failure::Card(e))
            }
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
                    identity,
                    challenge_id,
                }),
                Event::Authenticated(result),
            ) => {
                match result {
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
                    // A wrong PIN goes back to the patient with the tries left, if the same
                    // card is still there.
                    Err(CardError::WrongPin { tries_left }) if tries_left > 0 => {
                        if self.card.present == Some(card) {
                            State::EnterPin(PinPad::Typing {
                                card,
                                tries: tries_left,
                                identity,
                                entry: DigitEntry::default(),
                                notice: Some(DigitNotice::WrongPin(tries_left)),
                            })
                        } else {
                            self.pin_pad(None, out)
                        }
                    }
                    Err(CardError::WrongPin { .. } | CardError::PinBlocked) => blocked(),
                    // Another card was there when the PIN was to be sent: it got nothing;
                    // the pad asks the card now there for its tries.
                    Err(CardError::CardChanged) => {
                        self.pin_pad(Some(DigitNotice::CardChanged), out)
                    }
                    Err(e) => failed(Failure::Card(e)),
                }
            }
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
                    State::ShowResult(Shown {
                        outcome: done.outcome,
                        page: 0,
                        closes_at: self.now.after(RESULT_IDLE_MS),
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
        pin: DigitEntry,
        card: CardId,
        identity: CardIdentity,
        challenge: Challenge,
        out: &mut Vec<Command>,
    ) -> State {
        let challenge_id: ChallengeId = challenge.id.clone();
        out.push(Command::Authenticate {
            pin,
            challenge,
            card: identity,
        });
        State::ReadCard(Check::Pin(PinRead::Signing {
            card,
            identity,
            challenge_id,
        }))
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

    /// Events on 資格確認結果: any touch keeps it; 閉じる, or a minute untouched, drops it.
    pub(super) fn on_result(&mut self, mut shown: Shown, event: Event) -> State {
        match event {
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
