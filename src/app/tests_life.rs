//! The brain over a working life: expiring sessions, lost saves, hurried presses, swapped
//! cards, the passcode gate, the idle lock. Each test names the defect it keeps away.

use super::*;
use crate::card::{AuthCertificate, CardError};
use crate::center::account::{RefreshToken, Session};
use crate::center::info::{AppVersion, Version};
use crate::center::model::{Challenge, ChallengeId, CheckOutcome, Date, Validity};
use crate::center::wire::ErrorCode;
use crate::center::CenterError;
use passcode::PasscodeHash;
use settings::{Registration, SaveProblem, Settings};

const TARO_CERT: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");
const HOUR: u64 = 3_600_000;
const DAY: u64 = 24 * HOUR;

/// A kiosk under test: the app and its clock, moved on by each press like a person's pace.
struct K {
    app: App,
    now: Millis,
}

impl K {
    fn new(failures: u8, options: Options) -> K {
        let settings = Settings {
            terms_accepted: true,
            registration: Some(Registration {
                institution_code: "1312345679".into(),
                user_id: "W0000001".into(),
                device_credential: "device-credential-0001".into(),
                refresh_token: Some("refresh-token-0000001".into()),
            }),
            passcode: Some(PasscodeHash::derive(b"1234", [3; 16])),
            visual_check: true,
            reader: None,
            passcode_failures: failures,
        };
        K {
            app: App::with_options(Boot::Settings(Box::new(settings)), options, None),
            now: Millis(0),
        }
    }

    fn registered() -> K {
        K::new(0, Options::default())
    }

    fn feed(&mut self, e: Event) -> Vec<Command> {
        self.now = self.now.after(1);
        self.app.step(e, self.now)
    }

    /// A person's press, half a second after the last thing.
    fn press(&mut self, a: UiAction) -> Vec<Command> {
        self.now = self.now.after(500);
        self.app.step(Event::Ui(a), self.now)
    }

    /// A second press `ms` after the last event (a double tap).
    fn press_after(&mut self, ms: u64, a: UiAction) -> Vec<Command> {
        self.now = self.now.after(ms);
        self.app.step(Event::Ui(a), self.now)
    }

    fn wait(&mut self, ms: u64) -> Vec<Command> {
        self.now = self.now.after(ms);
        self.app.step(Event::Tick, self.now)
    }

    fn name(&self) -> &'static str {
        self.app.state().name()
    }

    fn passcode(&mut self, digits: &[u8]) -> Vec<Command> {
        let mut last = Vec::new();
        for &d in digits {
            last = self.press(UiAction::Digit(d));
        }
        last
    }

    /// パスコード入力 → 認証選択 with the start-up calls answered.
    fn unlock(&mut self) {
        let cmds = self.passcode(&[1, 2, 3, 4]);
        assert!(
            matches!(cmds.as_slice(), [Command::RenewSession { .. }]),
            "{cmds:?}"
        );
        self.feed(Event::SessionRenewed(Ok(session(43_200))));
        self.feed(Event::Version(Ok(version())));
        self.feed(Event::Notices(Ok(Vec::new())));
        assert_eq!(self.name(), "SelectAuth");
    }

    fn unlocked() -> K {
        let mut k = K::registered();
        k.unlock();
        k
    }

    /// Unlocked, with the idle lock off (for tests of hours passing).
    fn never_locking() -> K {
        let mut k = K::new(
            0,
            Options {
                lock_after_minutes: 0,
                ..Options::default()
            },
        );
        k.unlock();
        k
    }

    /// On the PIN pad: a card is placed and answers `n` tries. Returns its placement.
    fn card_with_tries(&mut self, n: u8) -> CardId {
        self.press(UiAction::Next);
        self.press(UiAction::Ok);
        self.feed(Event::CardPresence(true));
        let card = self.app.card().present.expect("a card");
        self.feed(Event::PinTries {
            card,
            result: Ok(tries(n)),
        });
        card
    }

    fn pin_mode() -> K {
        let mut k = K::unlocked();
        k.press(UiAction::OpenMenu);
        k.press(UiAction::Menu(MenuItem::Security));
        k.passcode(&[1, 2, 3, 4]);
        assert_eq!(k.name(), "Security");
        k.press(UiAction::ToggleVisualCheck);
        k.press(UiAction::Back);
        k.press(UiAction::Back);
        assert!(!k.app.settings().visual_check);
        k
    }
}

fn session(access_seconds: u32) -> Box<Session> {
    Box::new(Session {
        refresh_token: RefreshToken::parse("refresh-token-0000002".into()).expect("token"),
        refresh_valid_seconds: 2_592_000,
        access_valid_seconds: access_seconds,
    })
}

fn version() -> AppVersion {
    AppVersion {
        latest: Version::running(),
        minimum: Version::running(),
        download_url: "https://example.invalid/download".into(),
    }
}

fn cert() -> AuthCertificate {
    AuthCertificate::from_der(TARO_CERT.to_vec()).expect("demo certificate parses")
}

fn outcome(validity: Validity) -> Box<CheckOutcome> {
    Box::new(CheckOutcome {
        confirmation_date: Date::new(2026, 12, 4).expect("valid date"),
        validity,
        cert_expiring: false,
        qualification: None,
    })
}

fn rejected(code: ErrorCode) -> CenterError {
    CenterError::Rejected {
        code,
        message: "center".into(),
    }
}

/// The card's answer to the tries query: `n` tries, from the card that begins "taro".
fn tries(n: u8) -> crate::card::jpki::PinStatus {
    crate::card::jpki::PinStatus {
        pin: crate::card::jpki::PinHolder::Card { tries: n },
        card: crate::card::jpki::CardIdentity::of(b"taro"),
    }
}

fn challenge() -> Challenge {
    Challenge {
        id: ChallengeId::parse("challenge-0000000001").expect("id"),
        nonce: vec![7; 32],
        valid_seconds: 120,
    }
}

/// A 目視 check that reached the center.
fn asking(k: &mut K) {
    let cmds = k.feed(Event::CardPresence(true));
    assert!(matches!(cmds.as_slice(), [Command::ReadCertificate]));
    let cmds = k.feed(Event::CertificateRead(Ok(cert())));
    assert!(matches!(cmds.as_slice(), [Command::CheckQualification(_)]));
}

// --- 1. Sessions ---------------------------------------------------------------------------

#[test]
fn an_expired_session_during_a_check_is_renewed_once_and_the_check_repeated() {
    let mut k = K::never_locking();
    k.wait(13 * HOUR);
    asking(&mut k);
    let cmds = k.feed(Event::CenterAnswered(Err(rejected(
        ErrorCode::SessionExpired,
    ))));
    assert!(
        matches!(
            cmds.as_slice(),
            [Command::RenewSession { .. }, Command::CheckQualification(_)]
        ),
        "{cmds:?}"
    );
    assert_eq!(k.name(), "ReadCard(AskingCenter)");
    k.feed(Event::SessionRenewed(Ok(session(43_200))));
    k.feed(Event::CenterAnswered(Ok(outcome(Validity::Valid))));
    assert_eq!(k.name(), "ReadCard(Done)");
}

#[test]
fn a_second_expiry_after_the_renewal_is_not_renewed_again() {
    let mut k = K::unlocked();
    asking(&mut k);
    k.feed(Event::CenterAnswered(Err(rejected(
        ErrorCode::SessionExpired,
    ))));
    k.feed(Event::SessionRenewed(Ok(session(43_200))));
    let cmds = k.feed(Event::CenterAnswered(Err(rejected(
        ErrorCode::SessionExpired,
    ))));
    assert!(cmds.is_empty(), "no endless renewal: {cmds:?}");
    assert_eq!(k.name(), "ReadFailed");
}

#[test]
fn the_access_token_is_renewed_before_it_expires_between_checks() {
    let mut k = K::never_locking();
    let at = k.app.next_wakeup().expect("a renewal is planned");
    assert!(at.0 < 12 * HOUR, "renewed before the 12 hours end");
    assert!(at.0 > 6 * HOUR, "not needlessly early");
    let cmds = k.wait(at.0 - k.now.0);
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::RenewSession { .. })),
        "{cmds:?}"
    );
    // In flight once: another tick asks nothing more.
    let cmds = k.wait(1000);
    assert!(!cmds
        .iter()
        .any(|c| matches!(c, Command::RenewSession { .. })));
    let cmds = k.feed(Event::SessionRenewed(Ok(session(43_200))));
    assert!(matches!(cmds.as_slice(), [Command::SaveSettings(_)]));
    assert_eq!(k.name(), "SelectAuth");
}

#[test]
fn after_31_idle_days_unlock_leads_to_login_not_to_a_dead_end() {
    let mut k = K::registered();
    k.wait(31 * DAY);
    k.passcode(&[1, 2, 3, 4]);
    k.feed(Event::SessionRenewed(Err(rejected(
        ErrorCode::RefreshRejected,
    ))));
    match k.app.state() {
        State::Login { reason, .. } => assert_eq!(*reason, Some(LoginReason::SessionEnded)),
        other => panic!("{}", other.name()),
    }
    assert!(k
        .app
        .settings()
        .registration
        .as_ref()
        .is_some_and(|r| r.refresh_token.is_none()));
}

#[test]
fn a_dead_refresh_token_found_in_the_background_goes_to_login() {
    let mut k = K::never_locking();
    k.wait(12 * HOUR);
    k.feed(Event::SessionRenewed(Err(rejected(
        ErrorCode::RefreshRejected,
    ))));
    assert_eq!(k.name(), "Login");
}

#[test]
fn a_background_renewal_without_the_center_retries_and_stays() {
    let mut k = K::never_locking();
    k.wait(12 * HOUR);
    k.feed(Event::SessionRenewed(Err(CenterError::Unreachable)));
    assert_eq!(k.name(), "SelectAuth");
    let cmds = k.wait(61_000);
    assert!(cmds
        .iter()
        .any(|c| matches!(c, Command::RenewSession { .. })));
}

#[test]
fn a_device_the_center_forgot_goes_to_registration() {
    let mut k = K::unlocked();
    asking(&mut k);
    k.feed(Event::CenterAnswered(Err(rejected(
        ErrorCode::DeviceNotRegistered,
    ))));
    assert!(matches!(k.app.state(), State::Tell(Message::DeviceUnknown)));
    k.press(UiAction::Ok);
    assert_eq!(k.name(), "Register");
}

#[test]
fn a_check_whose_renewal_finds_the_session_dead_ends_on_login() {
    let mut k = K::unlocked();
    asking(&mut k);
    k.feed(Event::CenterAnswered(Err(rejected(
        ErrorCode::SessionExpired,
    ))));
    k.feed(Event::SessionRenewed(Err(rejected(
        ErrorCode::RefreshRejected,
    ))));
    assert_eq!(
        k.name(),
        "ReadCard(AskingCenter)",
        "the check is still under way"
    );
    k.feed(Event::CenterAnswered(Err(CenterError::NoSession)));
    assert_eq!(k.name(), "Login");
}

// --- 2. Nothing lost -----------------------------------------------------------------------

#[test]
fn a_failed_save_shows_a_band_retries_and_clears() {
    let mut k = K::unlocked();
    k.feed(Event::SettingsSaved(Err(SaveProblem::Full)));
    assert_eq!(k.name(), "SelectAuth", "checks go on");
    assert!(matches!(
        k.app.saving(),
        Saving::Failing {
            problem: SaveProblem::Full,
            ..
        }
    ));
    let cmds = k.wait(SAVE_RETRY_MS);
    assert!(
        matches!(cmds.as_slice(), [Command::SaveSettings(_)]),
        "{cmds:?}"
    );
    k.feed(Event::SettingsSaved(Ok(())));
    assert_eq!(k.app.saving(), Saving::Saved);
}

// --- 3. One press, one action -------------------------------------------------------------

#[test]
fn a_double_tap_passes_only_the_first_deregister_confirmation() {
    let mut k = K::unlocked();
    k.press(UiAction::OpenMenu);
    k.press(UiAction::Menu(MenuItem::Security));
    k.passcode(&[1, 2, 3, 4]);
    k.press(UiAction::Menu(MenuItem::Deregister));
    k.press(UiAction::Ok);
    let cmds = k.press_after(90, UiAction::Ok);
    assert!(cmds.is_empty());
    assert!(matches!(
        k.app.state(),
        State::Ask(Question::DeregisterAgain)
    ));
    assert!(k.app.settings().registration.is_some());
}

#[test]
fn a_double_tap_on_next_does_not_close_the_result_it_opened() {
    let mut k = K::unlocked();
    asking(&mut k);
    k.feed(Event::CenterAnswered(Ok(outcome(Validity::Valid))));
    k.press(UiAction::Next);
    assert_eq!(k.name(), "ShowResult");
    k.press_after(80, UiAction::Close);
    assert_eq!(k.name(), "ShowResult");
}

#[test]
fn closing_with_the_card_still_there_starts_no_second_check() {
    let mut k = K::unlocked();
    asking(&mut k);
    k.feed(Event::CenterAnswered(Ok(outcome(Validity::Valid))));
    k.press(UiAction::Next);
    k.press(UiAction::Close);
    let cmds = k.press(UiAction::Next);
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(k.name(), "ReadCard(WaitCard)");
    // 読み取る reads it on purpose; so would taking it off and placing it again.
    let cmds = k.press(UiAction::ReadCard);
    assert!(matches!(cmds.as_slice(), [Command::ReadCertificate]));
}

#[test]
fn a_press_while_the_form_is_sent_sends_nothing_more() {
    let mut k = K::registered();
    k.press(UiAction::ForgotPasscode);
    for c in "W0000001".chars() {
        k.press(UiAction::Type(c));
    }
    k.press(UiAction::FocusField(1));
    for c in "Myna#Demo2025".chars() {
        k.press(UiAction::Type(c));
    }
    let cmds = k.press(UiAction::Submit);
    assert!(matches!(cmds.as_slice(), [Command::Login { .. }]));
    assert!(k.press(UiAction::Submit).is_empty());
}

// --- 4. The PIN ------------------------------------------------------------------------------

#[test]
fn no_pin_digit_is_taken_before_the_cards_tries_are_shown() {
    let mut k = K::pin_mode();
    k.press(UiAction::Next);
    k.press(UiAction::Ok);
    assert_eq!(k.name(), "EnterPin(NoCard)");
    k.press(UiAction::Digit(1));
    match k.app.state() {
        State::EnterPin(PinPad::NoCard { .. }) => {}
        other => panic!("{}", other.name()),
    }
    let cmds = k.feed(Event::CardPresence(true));
    let card = match cmds.as_slice() {
        [Command::QueryPinTries { card }] => *card,
        other => panic!("{other:?}"),
    };
    k.feed(Event::PinTries {
        card,
        result: Ok(tries(1)),
    });
    match k.app.state() {
        State::EnterPin(PinPad::Typing { tries, entry, .. }) => {
            assert_eq!(*tries, 1, "the last-try warning shows");
            assert!(entry.is_empty());
        }
        other => panic!("{}", other.name()),
    }
}

#[test]
fn a_swapped_card_wipes_the_pin_and_asks_the_new_card() {
    let mut k = K::pin_mode();
    let first = k.card_with_tries(3);
    for d in [1, 2, 3, 4] {
        k.press(UiAction::Digit(d));
    }
    k.feed(Event::CardPresence(false));
    let cmds = k.feed(Event::CardPresence(true));
    let second = k.app.card().present.expect("a card");
    assert_ne!(first, second);
    assert!(matches!(cmds.as_slice(), [Command::QueryPinTries { card }] if *card == second));
    // A late answer about the first card changes nothing.
    k.feed(Event::PinTries {
        card: first,
        result: Ok(tries(3)),
    });
    assert_eq!(k.name(), "EnterPin(AskingTries)");
    k.feed(Event::PinTries {
        card: second,
        result: Ok(tries(2)),
    });
    match k.app.state() {
        State::EnterPin(PinPad::Typing { entry, tries, .. }) => {
            assert!(entry.is_empty(), "the PIN typed for the first card is gone");
            assert_eq!(*tries, 2);
        }
        other => panic!("{}", other.name()),
    }
}

#[test]
fn a_card_taken_off_before_verify_never_gets_the_pin() {
    let mut k = K::pin_mode();
    k.card_with_tries(3);
    for d in [1, 2, 3, 4] {
        k.press(UiAction::Digit(d));
    }
    // The challenge asked when the pad opened is still on its way: 次へ waits for it.
    let cmds = k.press(UiAction::Next);
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(k.name(), "ReadCard(GettingChallenge)");
    k.feed(Event::CardPresence(false));
    k.feed(Event::CardPresence(true));
    let cmds = k.feed(Event::ChallengeIssued(Ok(challenge())));
    assert!(
        !cmds
            .iter()
            .any(|c| matches!(c, Command::Authenticate { .. })),
        "{cmds:?}"
    );
}

#[test]
fn a_pin_blocked_before_typing_offers_staff_visual_not_a_pad() {
    let mut k = K::pin_mode();
    k.card_with_tries(0);
    assert_eq!(k.name(), "EnterPin(Unusable)");
    assert!(k.press(UiAction::Digit(1)).is_empty(), "no pad");
    assert!(k.press(UiAction::Retry).is_empty());
    assert_eq!(k.name(), "EnterPin(Unusable)");
    // Staff are asked first; キャンセル goes back.
    k.press(UiAction::VisualInstead);
    assert_eq!(k.name(), "Ask(VisualOnce)");
    k.press(UiAction::Cancel);
    assert_eq!(k.name(), "SelectAuth");
    // OK: this one check in 目視 mode; the setting stays 暗証番号.
    k.card_with_tries(0);
    k.press(UiAction::VisualInstead);
    let cmds = k.press(UiAction::Ok);
    assert!(
        matches!(cmds.as_slice(), [Command::ReadCertificate]),
        "{cmds:?}"
    );
    assert_eq!(k.name(), "ReadCard(Reading)");
    let cmds = k.feed(Event::CertificateRead(Ok(cert())));
    assert!(
        matches!(cmds.as_slice(), [Command::CheckQualification(_)]),
        "{cmds:?}"
    );
    k.feed(Event::CenterAnswered(Ok(outcome(Validity::Valid))));
    assert_eq!(k.name(), "ReadCard(Done)");
    assert!(!k.app.settings().visual_check, "the setting is unchanged");
}

/// The pad answers `pin` for the card on it.
fn holder_on_pad(k: &mut K, pin: crate::card::jpki::PinHolder) -> CardId {
    let card = k.app.card().present.expect("a card");
    k.feed(Event::PinTries {
        card,
        result: Ok(crate::card::jpki::PinStatus {
            pin,
            card: crate::card::jpki::CardIdentity::of(b"holder"),
        }),
    });
    card
}

#[test]
fn the_last_try_offers_staff_visual_on_a_card_only() {
    use crate::card::jpki::{Holder, PinHolder};
    let mut k = K::pin_mode();
    k.card_with_tries(1);
    let State::EnterPin(pad) = k.app.state() else {
        panic!("{}", k.name())
    };
    assert!(k.app.offers_visual(pad));
    k.press(UiAction::Digit(1));
    let cmds = k.press(UiAction::VisualInstead);
    assert!(cmds.is_empty());
    assert_eq!(k.name(), "Ask(VisualOnce)");
    k.press(UiAction::Cancel);
    // Two tries left: no alternative offered, the press means nothing.
    k.card_with_tries(2);
    k.press(UiAction::VisualInstead);
    assert_eq!(k.name(), "EnterPin(Typing)");
    assert!(!k.app.visual_alternative(Holder::Card, 2));
    // An Android phone cannot be read without its PIN: no 目視 alternative.
    k.press(UiAction::Back);
    k.press(UiAction::Next);
    k.press(UiAction::Ok);
    holder_on_pad(&mut k, PinHolder::AndroidPhone { tries: 1 });
    k.press(UiAction::VisualInstead);
    assert_eq!(k.name(), "EnterPin(Typing)");
    assert!(!k.app.visual_alternative(Holder::AndroidPhone, 1));
}

#[test]
fn an_android_phone_in_visual_mode_asks_its_pin_then_reads() {
    use crate::card::jpki::PinHolder;
    let mut k = K::unlocked();
    assert!(k.app.settings().visual_check);
    let cmds = k.feed(Event::CardPresence(true));
    assert!(matches!(cmds.as_slice(), [Command::ReadCertificate]));
    // The phone answers that its certificate needs the PIN: the pad asks its tries first.
    let cmds = k.feed(Event::CertificateRead(Err(CardError::PinFirst)));
    assert!(
        matches!(cmds.as_slice(), [Command::QueryPinTries { .. }]),
        "{cmds:?}"
    );
    assert_eq!(k.name(), "EnterPin(AskingTries)");
    holder_on_pad(&mut k, PinHolder::AndroidPhone { tries: 3 });
    assert_eq!(k.name(), "EnterPin(Typing)");
    for d in [9, 9, 9, 9] {
        k.press(UiAction::Digit(d));
    }
    let cmds = k.press(UiAction::Next);
    assert!(
        matches!(cmds.as_slice(), [Command::ReadCertificateWithPin { .. }]),
        "{cmds:?}"
    );
    assert_eq!(k.name(), "ReadCard(ReadingWithPin)");
    // A wrong PIN goes back to the phone's pad with the tries left.
    k.feed(Event::CertificateRead(Err(CardError::WrongPin {
        tries_left: 2,
    })));
    match k.app.state() {
        State::EnterPin(PinPad::Typing {
            holder,
            tries: 2,
            notice: Some(DigitNotice::WrongPin(2)),
            ..
        }) => assert_eq!(*holder, crate::card::jpki::Holder::AndroidPhone),
        other => panic!("{}", other.name()),
    }
    for d in [1, 2, 3, 4] {
        k.press(UiAction::Digit(d));
    }
    k.press(UiAction::Next);
    let cmds = k.feed(Event::CertificateRead(Ok(cert())));
    assert!(
        matches!(cmds.as_slice(), [Command::CheckQualification(_)]),
        "{cmds:?}"
    );
    k.feed(Event::CenterAnswered(Ok(outcome(Validity::Valid))));
    assert_eq!(k.name(), "ReadCard(Done)");
}

#[test]
fn an_android_phone_in_pin_mode_signs_after_its_pin() {
    use crate::card::jpki::PinHolder;
    let mut k = K::pin_mode();
    k.press(UiAction::Next);
    k.press(UiAction::Ok);
    k.feed(Event::CardPresence(true));
    holder_on_pad(&mut k, PinHolder::AndroidPhone { tries: 3 });
    for d in [1, 2, 3, 4] {
        k.press(UiAction::Digit(d));
    }
    // The challenge asked for when the pad opened is still on its way: 次へ waits for it.
    assert!(k.press(UiAction::Next).is_empty());
    let cmds = k.feed(Event::ChallengeIssued(Ok(challenge())));
    assert!(
        matches!(cmds.as_slice(), [Command::Authenticate { .. }]),
        "{cmds:?}"
    );
    // Its wrong PIN goes back to a phone's pad.
    k.feed(Event::Authenticated(Err(CardError::WrongPin {
        tries_left: 1,
    })));
    assert!(matches!(
        k.app.state(),
        State::EnterPin(PinPad::Typing {
            holder: crate::card::jpki::Holder::AndroidPhone,
            tries: 1,
            ..
        })
    ));
}

#[test]
fn a_blocked_android_pin_sends_the_patient_to_the_card_without_a_retry() {
    use crate::card::jpki::PinHolder;
    let mut k = K::pin_mode();
    k.press(UiAction::Next);
    k.press(UiAction::Ok);
    k.feed(Event::CardPresence(true));
    holder_on_pad(&mut k, PinHolder::AndroidPhone { tries: 0 });
    assert!(matches!(
        k.app.state(),
        State::ReadFailed {
            failure: Failure::Card(CardError::PhonePinBlocked),
            retry: false
        }
    ));
    // No staff 目視 for a phone: its certificate needs the PIN.
    assert!(k.press(UiAction::VisualInstead).is_empty());
    assert_eq!(k.name(), "ReadFailed");
}

#[test]
fn an_iphone_gets_no_pad_and_no_pin() {
    use crate::card::jpki::PinHolder;
    let mut k = K::pin_mode();
    k.press(UiAction::Next);
    k.press(UiAction::Ok);
    k.feed(Event::CardPresence(true));
    holder_on_pad(&mut k, PinHolder::IPhone);
    assert_eq!(k.name(), "EnterPin(OnPhone)");
    assert!(k.press(UiAction::Digit(1)).is_empty(), "no pad");
    // The challenge asked for when the pad opened is still on its way: 次へ waits for it.
    assert!(k.press(UiAction::Next).is_empty());
    let cmds = k.feed(Event::ChallengeIssued(Ok(challenge())));
    assert!(
        matches!(cmds.as_slice(), [Command::AuthenticateOnPhone { .. }]),
        "{cmds:?}"
    );
    // Not authenticated on the phone: said, and reading again can succeed.
    k.feed(Event::Authenticated(Err(CardError::PhoneLocked)));
    assert!(matches!(
        k.app.state(),
        State::ReadFailed {
            failure: Failure::Card(CardError::PhoneLocked),
            retry: true
        }
    ));
    // In 目視 mode an iPhone is read like a card (no pad): covered by `tries_known`.
}

#[test]
fn a_card_swapped_in_for_a_phone_in_visual_mode_is_read_without_a_pin() {
    use crate::card::jpki::PinHolder;
    let mut k = K::unlocked();
    k.feed(Event::CardPresence(true));
    k.feed(Event::CertificateRead(Err(CardError::PinFirst)));
    k.feed(Event::CardPresence(false));
    k.feed(Event::CardPresence(true));
    let card = k.app.card().present.expect("a card");
    let cmds = k.feed(Event::PinTries {
        card,
        result: Ok(crate::card::jpki::PinStatus {
            pin: PinHolder::Card { tries: 3 },
            card: crate::card::jpki::CardIdentity::of(b"card"),
        }),
    });
    assert!(
        matches!(cmds.as_slice(), [Command::ReadCertificate]),
        "{cmds:?}"
    );
    assert_eq!(k.name(), "ReadCard(Reading)");
}

#[test]
fn an_unknown_token_and_a_moving_phone_are_said_not_retried_blindly() {
    let mut k = K::unlocked();
    k.feed(Event::CardPresence(true));
    k.feed(Event::CertificateRead(Err(CardError::UnknownHolder)));
    assert!(matches!(
        k.app.state(),
        State::ReadFailed {
            failure: Failure::Card(CardError::UnknownHolder),
            retry: false
        }
    ));
    k.press(UiAction::Back);
    k.feed(Event::CardPresence(false));
    k.feed(Event::CardPresence(true));
    k.feed(Event::CertificateRead(Err(CardError::PhoneMoved)));
    assert!(matches!(
        k.app.state(),
        State::ReadFailed {
            failure: Failure::Card(CardError::PhoneMoved),
            retry: true
        }
    ));
}

// --- 5. The gate ----------------------------------------------------------------------------

#[test]
fn five_wrong_passcodes_make_the_pad_wait_and_restarting_does_not_help() {
    let mut k = K::registered();
    for _ in 0..5 {
        k.passcode(&[9, 9, 9, 9]);
    }
    assert_eq!(k.app.settings().passcode_failures, 5);
    assert_eq!(k.app.gate_seconds_left(), Some(30));
    // The right passcode during the wait is not even taken.
    k.passcode(&[1, 2, 3, 4]);
    assert_eq!(k.name(), "EnterPasscode");
    // A restart from the saved settings waits in full again.
    let mut r = K::new(5, Options::default());
    assert_eq!(r.app.gate_seconds_left(), Some(30));
    r.wait(31_000);
    r.passcode(&[1, 2, 3, 4]);
    assert_eq!(r.name(), "Starting");
    assert_eq!(r.app.settings().passcode_failures, 0);
}

#[test]
fn the_waits_double_and_the_tenth_miss_closes_the_pad() {
    let mut k = K::new(5, Options::default());
    for expected in [60, 120, 240, 480] {
        k.wait(gate::wait_ms(k.app.settings().passcode_failures) + 1000);
        k.passcode(&[9, 9, 9, 9]);
        assert_eq!(k.app.gate_seconds_left(), Some(expected));
    }
    k.wait(481_000);
    k.passcode(&[9, 9, 9, 9]);
    match k.app.state() {
        State::Login { reason, .. } => assert_eq!(*reason, Some(LoginReason::PasscodeLocked)),
        other => panic!("{}", other.name()),
    }
    // 601 more tries are not possible: there is no pad, and a restart stays locked.
    let r = K::new(10, Options::default());
    assert_eq!(r.name(), "Login");
}

#[test]
fn login_after_the_lock_asks_for_a_new_passcode() {
    let mut k = K::new(10, Options::default());
    k.press(UiAction::FocusField(0));
    for c in "W0000001".chars() {
        k.press(UiAction::Type(c));
    }
    k.press(UiAction::FocusField(1));
    for c in "Myna#Demo2025".chars() {
        k.press(UiAction::Type(c));
    }
    k.press(UiAction::Submit);
    k.feed(Event::LoggedIn(Ok(session(43_200))));
    assert!(matches!(
        k.app.state(),
        State::NewPasscode {
            purpose: PasscodePurpose::Reset,
            ..
        }
    ));
    assert!(
        k.app.settings().passcode.is_none(),
        "the old passcode is gone"
    );
    k.passcode(&[5, 6, 7, 8, 5, 6, 7, 8]);
    assert!(matches!(
        k.app.state(),
        State::Tell(Message::PasscodeRegistered)
    ));
    assert_eq!(k.app.settings().passcode_failures, 0);
}

#[test]
fn the_kiosk_locks_itself_when_unused_but_never_on_a_result() {
    let mut k = K::unlocked();
    k.wait(29 * 60_000);
    assert_eq!(k.name(), "SelectAuth");
    k.wait(61_000);
    assert_eq!(k.name(), "EnterPasscode");

    let mut k = K::unlocked();
    asking(&mut k);
    k.feed(Event::CenterAnswered(Ok(outcome(Validity::Valid))));
    k.press(UiAction::Next);
    k.wait(59_000);
    assert_eq!(k.name(), "ShowResult");
    k.wait(2_000);
    assert_eq!(
        k.name(),
        "SelectAuth",
        "the result closed; the lock comes later"
    );

    let mut never = K::new(
        0,
        Options {
            lock_after_minutes: 0,
            ..Options::default()
        },
    );
    never.unlock();
    never.wait(40 * DAY);
    assert_ne!(never.name(), "EnterPasscode");
}

#[test]
fn security_settings_ask_for_the_passcode() {
    let mut k = K::unlocked();
    k.press(UiAction::OpenMenu);
    k.press(UiAction::Menu(MenuItem::Security));
    assert_eq!(k.name(), "SecurityPasscode");
    assert!(k.press(UiAction::ToggleVisualCheck).is_empty());
    assert!(k.app.settings().visual_check);
    k.passcode(&[4, 3, 2, 1]);
    assert_eq!(k.name(), "SecurityPasscode");
    assert_eq!(k.app.settings().passcode_failures, 1, "every pad counts");
    k.passcode(&[1, 2, 3, 4]);
    assert_eq!(k.name(), "Security");
}

#[test]
fn in_kiosk_mode_a_link_shows_its_address_and_starts_no_browser() {
    let mut k = K::new(
        0,
        Options {
            kiosk: true,
            ..Options::default()
        },
    );
    k.unlock();
    k.press(UiAction::OpenMenu);
    let cmds = k.press(UiAction::OpenLink(0));
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(k.app.shown_link(), Some(MENU_LINKS[0]));
    k.press(UiAction::Back);
    assert_eq!(k.app.shown_link(), None);
}

// --- 6. Smaller items ------------------------------------------------------------------------

#[test]
fn any_touch_on_the_result_restarts_its_countdown() {
    let mut k = K::unlocked();
    asking(&mut k);
    k.feed(Event::CenterAnswered(Ok(outcome(Validity::Valid))));
    k.press(UiAction::Next);
    k.wait(50_000);
    k.press(UiAction::Touch);
    k.wait(50_000);
    assert_eq!(k.name(), "ShowResult");
    assert_eq!(k.app.seconds_left(), Some(10));
}

#[test]
fn an_expired_certificate_offers_no_retry() {
    let mut k = K::unlocked();
    asking(&mut k);
    k.feed(Event::CenterAnswered(Err(rejected(
        ErrorCode::CertificateExpired,
    ))));
    assert!(matches!(
        k.app.state(),
        State::ReadFailed { retry: false, .. }
    ));
}

#[test]
fn a_card_error_offers_a_retry_that_reads_again() {
    let mut k = K::unlocked();
    k.feed(Event::CardPresence(true));
    k.feed(Event::CertificateRead(Err(CardError::CardRemoved)));
    assert!(matches!(
        k.app.state(),
        State::ReadFailed { retry: true, .. }
    ));
    let cmds = k.press(UiAction::Retry);
    assert!(matches!(cmds.as_slice(), [Command::ReadCertificate]));
}

#[test]
fn time_far_in_the_future_does_not_overflow() {
    let mut k = K::never_locking();
    k.app.step(Event::Tick, Millis(u64::MAX - 5));
    let _ = k.app.next_wakeup();
    asking(&mut k);
    k.app.step(
        Event::CenterAnswered(Ok(outcome(Validity::Valid))),
        Millis(u64::MAX),
    );
    assert!(k.app.next_wakeup().is_some_and(|at| at == Millis(u64::MAX)));
}

#[test]
fn each_error_is_said_once_and_an_unknown_code_in_the_centers_words() {
    use crate::ui::screens::{view, Size};
    use crate::ui::text::Text;
    let text = Text::load().expect("embedded font parses");
    let texts = |k: &K| -> Vec<String> {
        view(&k.app, Size::DESIGN, &text)
            .texts()
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    // A known code: our words, once each; the center's own sentence is not repeated.
    let mut k = K::unlocked();
    asking(&mut k);
    k.feed(Event::CenterAnswered(Err(rejected(
        ErrorCode::CertificateExpired,
    ))));
    let shown = texts(&k);
    let advice = crate::ui::strings::center_error(&rejected(ErrorCode::CertificateExpired));
    assert_eq!(shown.iter().filter(|t| t.contains(advice.what)).count(), 1);
    assert_eq!(shown.iter().filter(|t| t.contains(advice.next)).count(), 1);
    assert!(!shown.iter().any(|t| t == "center"), "{shown:?}");
    // A code this version does not know: the center's sentence says what happened.
    let mut k = K::unlocked();
    asking(&mut k);
    let unknown = CenterError::Rejected {
        code: ErrorCode::Unknown("MK-E7777".into()),
        message: "新しい規則により確認できません。".into(),
    };
    k.feed(Event::CenterAnswered(Err(unknown)));
    let shown = texts(&k);
    assert!(
        shown
            .iter()
            .any(|t| t == "新しい規則により確認できません。"),
        "{shown:?}"
    );
}

#[test]
fn a_pin_refused_by_the_card_layer_for_another_card_goes_back_to_the_tries() {
    let mut k = K::pin_mode();
    k.card_with_tries(3);
    for d in [1, 2, 3, 4] {
        k.press(UiAction::Digit(d));
    }
    k.press(UiAction::Next);
    let cmds = k.feed(Event::ChallengeIssued(Ok(challenge())));
    assert!(matches!(
        cmds.as_slice(),
        [Command::Authenticate { card, .. }] if *card == crate::card::jpki::CardIdentity::of(b"taro")
    ));
    // The reader found another card than the one whose tries were shown (a swap faster
    // than the reader's report): nothing was sent; the pad asks again.
    let cmds = k.feed(Event::Authenticated(Err(CardError::CardChanged)));
    assert!(
        matches!(
            cmds.as_slice(),
            [Command::QueryPinTries { .. }, Command::GetChallenge]
        ),
        "{cmds:?}"
    );
    assert_eq!(k.name(), "EnterPin(AskingTries)");
}

#[test]
fn typing_right_after_a_form_appears_is_kept_but_a_hurried_submit_is_not() {
    let mut k = K::registered();
    k.press(UiAction::ForgotPasscode);
    assert_eq!(k.name(), "Login");
    // The first key comes 30 ms after the form appeared: it is typed.
    k.press_after(30, UiAction::Type('W'));
    match k.app.state() {
        State::Login { screen, .. } => assert_eq!(screen.form.value(0), "W"),
        other => panic!("{}", other.name()),
    }
    // A hurried tap where ログイン sits is not taken (an empty form would say what is
    // missing if it were); the same tap at a person's pace is.
    let problem = |k: &K| match k.app.state() {
        State::Login { screen, .. } => screen.problem,
        other => panic!("{}", other.name()),
    };
    let mut k = K::registered();
    k.press(UiAction::ForgotPasscode);
    k.press_after(60, UiAction::Submit);
    assert_eq!(problem(&k), None);
    k.press(UiAction::Submit);
    assert_eq!(problem(&k), Some(FormProblem::Missing(0)));
}

#[test]
fn the_on_screen_keyboard_starts_in_the_case_each_field_expects() {
    let layer = |k: &K| match k.app.state() {
        State::Login { screen, .. } | State::Register(screen) => screen.layer,
        other => panic!("{}", other.name()),
    };
    let mut k = K::registered();
    k.press(UiAction::ForgotPasscode);
    assert_eq!(layer(&k), KeyLayer::Upper, "the ID is W0000001");
    k.press(UiAction::FocusField(1));
    assert_eq!(layer(&k), KeyLayer::Lower, "the password");
    k.press(UiAction::KeyboardLayer(KeyLayer::Symbols));
    k.press(UiAction::FocusField(0));
    assert_eq!(layer(&k), KeyLayer::Upper);
}
