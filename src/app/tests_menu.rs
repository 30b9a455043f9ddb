//! State-machine tests, continued: 暗証番号 mode, the idle timeout, the menu and
//! セキュリティ設定.

use super::tests::*;
use super::*;
use crate::card::jpki::PinAuthentication;
use crate::card::CardError;
use crate::center::info::Version;
use crate::center::model::{Challenge, ChallengeId};
use crate::center::CenterError;
use settings::Settings;

// --- 暗証番号 mode ------------------------------------------------------------------------------

/// Opens セキュリティ設定 from 認証選択: メニュー, then the passcode pad in front of it.
fn open_security(a: &mut App) {
    ui(a, UiAction::OpenMenu);
    ui(a, UiAction::Menu(MenuItem::Security));
    assert_eq!(a.state().name(), "SecurityPasscode");
    type_digits(a, &[1, 2, 3, 4]);
    assert_eq!(a.state().name(), "Security");
}

fn pin_mode() -> App {
    let mut a = unlocked();
    open_security(&mut a);
    let cmds = ui(&mut a, UiAction::ToggleVisualCheck);
    assert!(matches!(cmds.as_slice(), [Command::SaveSettings(s)] if !s.visual_check));
    ui(&mut a, UiAction::Back);
    ui(&mut a, UiAction::Back);
    assert_eq!(a.state().name(), "SelectAuth");
    a
}

/// The placement on the reader now.
fn placed(a: &App) -> CardId {
    a.card().present.expect("a card on the reader")
}

/// Answers the card's tries for the placement on the reader.
fn answer_tries(a: &mut App, result: Result<u8, CardError>) -> Vec<Command> {
    let card = placed(a);
    let now = t(a);
    let result = result.map(|tries| crate::card::jpki::PinStatus {
        pin: crate::card::jpki::PinHolder::Card { tries },
        card: crate::card::jpki::CardIdentity::of(b"taro"),
    });
    a.step(Event::PinTries { card, result }, now)
}

fn challenge() -> Challenge {
    Challenge {
        id: ChallengeId::parse("c1").expect("well-formed"),
        nonce: vec![7; 32],
        valid_seconds: 120,
    }
}

#[test]
fn pin_mode_asks_first_then_shows_tries_before_typing() {
    let mut a = pin_mode();
    a.step(Event::CardPresence(true), t(&a));
    assert_eq!(
        a.state().name(),
        "SelectAuth",
        "placing a card does not start a PIN check"
    );
    ui(&mut a, UiAction::Next);
    assert!(matches!(a.state(), State::Ask(Question::StartPin)));
    let cmds = ui(&mut a, UiAction::Ok);
    let card = placed(&a);
    assert!(
        matches!(cmds.as_slice(), [Command::QueryPinTries { card: c }, Command::GetChallenge] if *c == card),
        "the tries first, then the challenge, fetched while the patient types: {cmds:?}"
    );
    assert!(matches!(
        a.state(),
        State::EnterPin(PinPad::AskingTries { .. })
    ));
    assert!(
        ui(&mut a, UiAction::Digit(1)).is_empty(),
        "no digit before the tries are known"
    );
    answer_tries(&mut a, Ok(3));
    assert!(matches!(
        a.state(),
        State::EnterPin(PinPad::Typing { tries: 3, entry, .. }) if entry.is_empty()
    ));
}

#[test]
fn pin_entry_waits_for_the_card_to_learn_the_tries() {
    let mut a = pin_mode();
    ui(&mut a, UiAction::Next);
    let cmds = ui(&mut a, UiAction::Ok);
    assert!(
        matches!(cmds.as_slice(), [Command::GetChallenge]),
        "no card: nothing to ask it yet; the challenge is asked already: {cmds:?}"
    );
    assert!(matches!(a.state(), State::EnterPin(PinPad::NoCard { .. })));
    let cmds = a.step(Event::CardPresence(true), t(&a));
    let card = placed(&a);
    assert!(
        matches!(cmds.as_slice(), [Command::QueryPinTries { card: c }] if *c == card),
        "{cmds:?}"
    );
}

#[test]
fn a_blocked_card_is_said_before_typing() {
    let mut a = pin_mode();
    a.step(Event::CardPresence(true), t(&a));
    ui(&mut a, UiAction::Next);
    ui(&mut a, UiAction::Ok);
    answer_tries(&mut a, Ok(0));
    // Blocked before anything was typed (a 顔認証マイナンバーカード, or locked by its
    // owner): no pad, no blame, staff may confirm by the photo.
    assert!(matches!(
        a.state(),
        State::EnterPin(PinPad::Unusable { .. })
    ));
    assert!(
        ui(&mut a, UiAction::Retry).is_empty(),
        "retrying a blocked card is not offered"
    );
    assert_eq!(a.state().name(), "EnterPin(Unusable)");
}

/// Places a card and opens the pad: the tries and the challenge are asked; the tries are
/// answered.
fn pad_open(a: &mut App) {
    a.step(Event::CardPresence(true), t(a));
    ui(a, UiAction::Next);
    let cmds = ui(a, UiAction::Ok);
    assert!(
        matches!(
            cmds.as_slice(),
            [Command::QueryPinTries { .. }, Command::GetChallenge]
        ),
        "{cmds:?}"
    );
    answer_tries(a, Ok(3));
}

/// A challenge with its own ID.
fn challenge_named(id: &str) -> Challenge {
    Challenge {
        id: ChallengeId::parse(id).expect("well-formed"),
        ..challenge()
    }
}

/// The ID of the challenge an `Authenticate` carries.
fn signed_id(cmds: &[Command]) -> Option<&str> {
    match cmds {
        [Command::Authenticate { challenge, .. }] => Some(challenge.id.as_str()),
        _ => None,
    }
}

/// Opens the pad, answers the challenge asked meanwhile and types 1234; 次へ with the same
/// card still there signs that challenge at once. Returns 次へ's commands.
fn pin_typed(a: &mut App) -> Vec<Command> {
    pad_open(a);
    let cmds = a.step(Event::ChallengeIssued(Ok(challenge())), t(a));
    assert!(cmds.is_empty(), "kept for 次へ: {cmds:?}");
    assert_eq!(
        a.state().name(),
        "EnterPin(Typing)",
        "the patient sees nothing"
    );
    assert!(ui(a, UiAction::Next).is_empty(), "次へ needs four digits");
    type_digits(a, &[1, 2, 3, 4]);
    let cmds = ui(a, UiAction::Next);
    assert_eq!(signed_id(&cmds), Some("c1"), "{cmds:?}");
    assert!(matches!(
        a.state(),
        State::ReadCard(Check::Pin(PinRead::Signing { .. }))
    ));
    cmds
}

#[test]
fn after_next_the_card_signs_the_challenge_fetched_while_typing() {
    let mut a = pin_mode();
    let cmds = pin_typed(&mut a);
    assert_eq!(cmds.len(), 1, "no request before the card signs: {cmds:?}");
    // The check is then the one request of the read.
    let cmds = a.step(Event::Authenticated(Ok(authentication())), t(&a));
    assert!(matches!(
        cmds.as_slice(),
        [Command::CheckQualificationWithPin { .. }]
    ));
    // The next check asks for a new challenge: each is used once.
    a.step(Event::CenterAnswered(Ok(Box::new(outcome()))), t(&a));
    ui(&mut a, UiAction::Next);
    ui(&mut a, UiAction::Close);
    a.step(Event::CardPresence(false), t(&a));
    pad_open(&mut a);
}

#[test]
fn next_while_the_challenge_is_on_its_way_waits_for_it() {
    let mut a = pin_mode();
    pad_open(&mut a);
    type_digits(&mut a, &[1, 2, 3, 4]);
    let cmds = ui(&mut a, UiAction::Next);
    assert!(cmds.is_empty(), "not asked twice: {cmds:?}");
    assert!(matches!(
        a.state(),
        State::ReadCard(Check::Pin(PinRead::Challenge { .. }))
    ));
    let cmds = a.step(Event::ChallengeIssued(Ok(challenge())), t(&a));
    assert_eq!(signed_id(&cmds), Some("c1"), "{cmds:?}");
}

#[test]
fn a_challenge_about_to_expire_is_replaced_while_the_pad_is_open() {
    let mut a = pin_mode();
    pad_open(&mut a);
    let got = t(&a);
    a.step(Event::ChallengeIssued(Ok(challenge_named("old"))), got);
    // Valid 120 s: replaced when less than the margin is left.
    let replace_at = got.after(120_000 - check::CHALLENGE_MARGIN_MS);
    assert_eq!(a.next_wakeup(), Some(replace_at));
    type_digits(&mut a, &[1, 2]);
    assert!(a.step(Event::Tick, Millis(replace_at.0 - 1)).is_empty());
    let cmds = a.step(Event::Tick, replace_at);
    assert!(
        matches!(cmds.as_slice(), [Command::GetChallenge]),
        "{cmds:?}"
    );
    assert_eq!(
        a.state().name(),
        "EnterPin(Typing)",
        "unseen by the patient"
    );
    a.step(Event::ChallengeIssued(Ok(challenge_named("new"))), t(&a));
    type_digits(&mut a, &[3, 4]);
    let cmds = ui(&mut a, UiAction::Next);
    assert_eq!(signed_id(&cmds), Some("new"), "{cmds:?}");
}

#[test]
fn a_stale_challenge_is_never_signed() {
    let mut a = pin_mode();
    pad_open(&mut a);
    let got = t(&a);
    a.step(Event::ChallengeIssued(Ok(challenge_named("old"))), got);
    type_digits(&mut a, &[1, 2, 3, 4]);
    // No tick came in time (a sleeping machine): 次へ asks for a fresh one and waits.
    let late = got.after(120_000);
    let cmds = a.step(Event::Ui(UiAction::Next), late);
    assert!(
        matches!(cmds.as_slice(), [Command::GetChallenge]),
        "{cmds:?}"
    );
    let cmds = a.step(Event::ChallengeIssued(Ok(challenge_named("new"))), t(&a));
    assert_eq!(signed_id(&cmds), Some("new"), "{cmds:?}");
}

#[test]
fn an_early_challenge_that_failed_is_asked_again_at_next_unseen() {
    let mut a = pin_mode();
    pad_open(&mut a);
    let cmds = a.step(Event::ChallengeIssued(Err(CenterError::Unreachable)), t(&a));
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(
        a.state().name(),
        "EnterPin(Typing)",
        "no error while typing"
    );
    type_digits(&mut a, &[1, 2, 3, 4]);
    let cmds = ui(&mut a, UiAction::Next);
    assert!(
        matches!(cmds.as_slice(), [Command::GetChallenge]),
        "{cmds:?}"
    );
    // Failing again now is the check's failure, said as before.
    a.step(Event::ChallengeIssued(Err(CenterError::Unreachable)), t(&a));
    assert_eq!(a.state().name(), "ReadFailed");
}

/// The card's proof of the PIN, as the worker hands it back.
fn authentication() -> Box<PinAuthentication> {
    Box::new(PinAuthentication {
        certificate: cert(),
        signature: crate::card::jpki::Signature::from_slice(&[1; 256]).expect("256 bytes"),
    })
}

#[test]
fn the_pin_flow_gets_a_challenge_signs_it_and_asks_the_center() {
    let mut a = pin_mode();
    let cmds = pin_typed(&mut a);
    match cmds.as_slice() {
        [Command::Authenticate {
            pin,
            challenge: c,
            card,
        }] => {
            assert_eq!(*card, crate::card::jpki::CardIdentity::of(b"taro"));
            assert_eq!(pin.expose(), b"1234");
            assert_eq!(c.id.as_str(), "c1");
        }
        other => panic!("{other:?}"),
    }
    let cmds = a.step(Event::Authenticated(Ok(authentication())), t(&a));
    assert!(
        matches!(cmds.as_slice(), [Command::CheckQualificationWithPin { challenge_id, .. }] if challenge_id.as_str() == "c1")
    );
    a.step(Event::CenterAnswered(Ok(Box::new(outcome()))), t(&a));
    ui(&mut a, UiAction::Next);
    assert_eq!(a.state().name(), "ShowResult");
}

#[test]
fn a_wrong_pin_goes_back_to_the_patient_with_the_tries_left() {
    let mut a = pin_mode();
    pin_typed(&mut a);
    a.step(
        Event::Authenticated(Err(CardError::WrongPin { tries_left: 1 })),
        t(&a),
    );
    match a.state() {
        State::EnterPin(PinPad::Typing {
            entry,
            tries,
            notice,
            ..
        }) => {
            assert!(entry.is_empty(), "the wrong PIN is gone");
            assert_eq!(*tries, 1);
            assert_eq!(*notice, Some(DigitNotice::WrongPin(1)));
        }
        other => panic!("{}", other.name()),
    }
}

#[test]
fn the_last_wrong_pin_blocks() {
    let mut a = pin_mode();
    pin_typed(&mut a);
    a.step(
        Event::Authenticated(Err(CardError::WrongPin { tries_left: 0 })),
        t(&a),
    );
    assert!(matches!(
        a.state(),
        State::ReadFailed {
            failure: Failure::Card(CardError::PinBlocked),
            retry: false,
        }
    ));
}

#[test]
fn back_from_the_pin_pad_forgets_the_digits() {
    let mut a = pin_mode();
    a.step(Event::CardPresence(true), t(&a));
    ui(&mut a, UiAction::Next);
    ui(&mut a, UiAction::Ok);
    answer_tries(&mut a, Ok(3));
    type_digits(&mut a, &[9, 9]);
    assert!(matches!(
        a.state(),
        State::EnterPin(PinPad::Typing { entry, .. }) if entry.len() == 2
    ));
    ui(&mut a, UiAction::Back);
    assert_eq!(a.state().name(), "SelectAuth");
    ui(&mut a, UiAction::Next);
    ui(&mut a, UiAction::Ok);
    answer_tries(&mut a, Ok(3));
    assert!(matches!(
        a.state(),
        State::EnterPin(PinPad::Typing { entry, .. }) if entry.is_empty()
    ));
}

// --- Idle timeout -------------------------------------------------------------------------

#[test]
fn an_untouched_result_closes_after_a_minute_with_a_countdown() {
    let mut a = asking();
    // Times below are from a whole second, so the countdown's ticks fall on `base + n s`.
    let base = Millis((a.now().0 / 1000 + 1) * 1000);
    a.step(
        Event::CenterAnswered(Ok(Box::new(outcome()))),
        base.after(1_000),
    );
    a.step(Event::Ui(UiAction::Next), base.after(2_000));
    assert_eq!(a.seconds_left(), Some(60));
    assert_eq!(
        a.next_wakeup(),
        Some(base.after(3_000)),
        "ticks each second for the countdown"
    );
    a.step(Event::Tick, base.after(31_500));
    assert_eq!(a.seconds_left(), Some(31));
    // Paging counts as activity: the minute starts again.
    a.step(Event::Ui(UiAction::NextPage), base.after(40_000));
    a.step(Event::Tick, base.after(99_000));
    assert_eq!(a.state().name(), "ShowResult");
    a.step(Event::Tick, base.after(100_000));
    assert_eq!(a.state().name(), "SelectAuth");
    // No more countdown: the next wake-up is the idle lock, counted from the last touch.
    let lock_ms = u64::from(a.options().lock_after_minutes) * 60_000;
    assert_eq!(a.next_wakeup(), Some(base.after(40_000 + lock_ms)));
}

// --- Unlocking again -------------------------------------------------------------------------

#[test]
fn unlocking_again_with_a_fresh_session_does_not_renew_it() {
    let mut a = unlocked();
    let lock_at = a.lock_at().expect("認証選択 locks when left alone");
    a.step(Event::Tick, lock_at);
    assert_eq!(a.state().name(), "EnterPasscode");
    type_digits(&mut a, &[1, 2, 3]);
    // The access token has hours left: no renewal; the version asked at the first digit
    // is on its way, and start-up waits for it.
    let cmds = ui(&mut a, UiAction::Digit(4));
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(a.state().name(), "Starting");
    let cmds = a.step(
        Event::Version(Ok(version(Version::running(), Version::running()))),
        t(&a),
    );
    assert!(matches!(cmds.as_slice(), [Command::FetchNotices]));
    a.step(Event::Notices(Ok(Vec::new())), t(&a));
    assert_eq!(a.state().name(), "SelectAuth");

    // Again, with the version back before the last digit: the お知らせ are the one request
    // after the passcode.
    let lock_at = a.lock_at().expect("locks again");
    a.step(Event::Tick, lock_at);
    let cmds = ui(&mut a, UiAction::Digit(1));
    assert!(
        matches!(cmds.as_slice(), [Command::CheckVersion]),
        "{cmds:?}"
    );
    let cmds = a.step(
        Event::Version(Ok(version(Version::running(), Version::running()))),
        t(&a),
    );
    assert!(cmds.is_empty(), "kept for the start-up: {cmds:?}");
    assert_eq!(a.state().name(), "EnterPasscode");
    type_digits(&mut a, &[2, 3]);
    let cmds = ui(&mut a, UiAction::Digit(4));
    assert!(
        matches!(cmds.as_slice(), [Command::FetchNotices]),
        "{cmds:?}"
    );
}

#[test]
fn the_version_is_fetched_while_the_passcode_is_typed() {
    let mut a = app();
    let cmds = ui(&mut a, UiAction::Digit(1));
    assert!(
        matches!(cmds.as_slice(), [Command::CheckVersion]),
        "{cmds:?}"
    );
    assert!(a
        .step(
            Event::Version(Ok(version(Version::running(), Version::running()))),
            t(&a)
        )
        .is_empty());
    type_digits(&mut a, &[2, 3]);
    let cmds = ui(&mut a, UiAction::Digit(4));
    assert!(
        matches!(cmds.as_slice(), [Command::RenewSession { .. }]),
        "{cmds:?}"
    );
    // The renewal, then the お知らせ at once: the version is known already.
    let cmds = a.step(
        Event::SessionRenewed(Ok(session("refresh-token-0000002"))),
        t(&a),
    );
    assert!(
        matches!(
            cmds.as_slice(),
            [Command::SaveSettings(_), Command::FetchNotices]
        ),
        "{cmds:?}"
    );
    a.step(Event::Notices(Ok(Vec::new())), t(&a));
    assert_eq!(a.state().name(), "SelectAuth");
}

#[test]
fn a_newer_version_fetched_while_typing_is_said_after_the_passcode() {
    let mut a = app();
    ui(&mut a, UiAction::Digit(1));
    let newer = Version::parse("99.0.0").expect("a version");
    a.step(
        Event::Version(Ok(version(newer, Version::running()))),
        t(&a),
    );
    assert_eq!(a.state().name(), "EnterPasscode", "not before the passcode");
    type_digits(&mut a, &[2, 3]);
    ui(&mut a, UiAction::Digit(4));
    a.step(
        Event::SessionRenewed(Ok(session("refresh-token-0000002"))),
        t(&a),
    );
    assert!(matches!(
        a.state(),
        State::Update {
            required: false,
            ..
        }
    ));
}

#[test]
fn an_old_or_failed_early_version_is_asked_again_at_start_up() {
    for early in [
        Ok(version(Version::running(), Version::running())),
        Err(CenterError::Unreachable),
    ] {
        let mut a = app();
        ui(&mut a, UiAction::Digit(1));
        let failed = early.is_err();
        a.step(Event::Version(early), t(&a));
        assert_eq!(
            a.state().name(),
            "EnterPasscode",
            "nothing said while typing"
        );
        type_digits(&mut a, &[2, 3]);
        // Failed, or typed so slowly that the answer is old.
        let last = if failed {
            t(&a)
        } else {
            a.now().after(session::VERSION_FRESH_MS + 1)
        };
        a.step(Event::Ui(UiAction::Digit(4)), last);
        let cmds = a.step(
            Event::SessionRenewed(Ok(session("refresh-token-0000002"))),
            t(&a),
        );
        assert!(
            matches!(
                cmds.as_slice(),
                [Command::SaveSettings(_), Command::CheckVersion]
            ),
            "{cmds:?}"
        );
    }
}

#[test]
fn unlocking_renews_a_session_due_for_renewal() {
    let mut a = unlocked();
    let lock_at = a.lock_at().expect("認証選択 locks when left alone");
    a.step(Event::Tick, lock_at);
    type_digits(&mut a, &[1, 2, 3]);
    // The renewal time passed without a tick (a sleeping machine): the unlock renews.
    let renew_at = a.session.renew_at.expect("a renewal is planned");
    let cmds = a.step(Event::Ui(UiAction::Digit(4)), renew_at);
    assert!(
        matches!(cmds.as_slice(), [Command::RenewSession { .. }]),
        "{cmds:?}"
    );
    finish_start(&mut a);
    assert_eq!(a.state().name(), "SelectAuth");
}

// --- Menu and セキュリティ設定 --------------------------------------------------------------------

#[test]
fn reader_select_lists_and_remembers_the_choice() {
    let mut a = unlocked();
    ui(&mut a, UiAction::OpenMenu);
    let cmds = ui(&mut a, UiAction::Menu(MenuItem::ReaderSelect));
    assert!(matches!(cmds.as_slice(), [Command::ListReaders]));
    a.step(Event::Readers(vec!["A".into(), "B".into()]), t(&a));
    let cmds = ui(&mut a, UiAction::SelectReader(1));
    assert!(
        matches!(cmds.as_slice(), [Command::UseReader(Some(r)), Command::SaveSettings(s)] if r == "B" && s.reader.as_deref() == Some("B"))
    );
    assert!(
        ui(&mut a, UiAction::SelectReader(5)).is_empty(),
        "no such reader"
    );
    ui(&mut a, UiAction::Back);
    assert_eq!(a.state().name(), "Menu");
}

#[test]
fn the_passcode_can_be_changed_with_the_current_one() {
    let mut a = unlocked();
    open_security(&mut a);
    ui(&mut a, UiAction::Menu(MenuItem::ChangePasscode));
    type_digits(&mut a, &[0, 0, 0, 0]);
    assert!(matches!(
        a.state(),
        State::Passcode(PasscodePad {
            purpose: PadPurpose::Change,
            notice: Some(DigitNotice::WrongPasscode),
            ..
        })
    ));
    type_digits(&mut a, &[1, 2, 3, 4]);
    type_digits(&mut a, &[5, 6, 7, 8]);
    for d in [5, 6, 7] {
        ui(&mut a, UiAction::Digit(d));
    }
    let cmds = ui(&mut a, UiAction::Digit(8));
    assert!(
        matches!(cmds.as_slice(), [Command::SaveSettings(s)] if s.passcode.as_ref().is_some_and(|p| p.verify(b"5678")))
    );
    assert!(matches!(a.state(), State::Tell(Message::PasscodeChanged)));
    ui(&mut a, UiAction::Ok);
    assert_eq!(a.state().name(), "Security");
}

#[test]
fn deregistration_needs_two_confirmations_and_forgets_everything() {
    let mut a = unlocked();
    open_security(&mut a);
    ui(&mut a, UiAction::Menu(MenuItem::Deregister));
    ui(&mut a, UiAction::Cancel);
    assert_eq!(a.state().name(), "Security", "キャンセル stops it");
    ui(&mut a, UiAction::Menu(MenuItem::Deregister));
    assert!(
        ui(&mut a, UiAction::Ok).is_empty(),
        "the first OK only asks again"
    );
    let cmds = ui(&mut a, UiAction::Ok);
    assert!(
        matches!(cmds.as_slice(), [Command::Deregister, Command::SaveSettings(s)] if **s == Settings::default())
    );
    ui(&mut a, UiAction::Ok);
    assert_eq!(a.state().name(), "Terms", "unusable until registered again");
}

#[test]
fn logout_forgets_the_session_but_keeps_the_registration() {
    let mut a = unlocked();
    open_security(&mut a);
    ui(&mut a, UiAction::Menu(MenuItem::Logout));
    let cmds = ui(&mut a, UiAction::Ok);
    match cmds.as_slice() {
        [Command::Logout, Command::SaveSettings(s)] => {
            let r = s.registration.as_ref().expect("still registered");
            assert!(r.refresh_token.is_none());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        a.state().name(),
        "Login",
        "the next start needs ID and password"
    );
}

#[test]
fn menu_links_open_their_pages() {
    let mut a = unlocked();
    ui(&mut a, UiAction::OpenMenu);
    let cmds = ui(&mut a, UiAction::OpenLink(1));
    assert!(matches!(cmds.as_slice(), [Command::OpenUrl(u)] if u == MENU_LINKS[1]));
    assert!(ui(&mut a, UiAction::OpenLink(9)).is_empty(), "no such link");
    assert_eq!(a.state().name(), "Menu");
}

#[test]
fn an_outcome_left_behind_read_done_is_dropped_after_a_minute() {
    let mut a = asking();
    let base = a.now();
    a.step(
        Event::CenterAnswered(Ok(Box::new(outcome()))),
        base.after(1_000),
    );
    assert!(matches!(
        a.state(),
        State::ReadCard(Check::Visual(VisualRead::Done(_)))
    ));
    assert_eq!(
        a.next_wakeup(),
        Some(base.after(61_000)),
        "one wake-up, no countdown"
    );
    a.step(Event::Tick, base.after(60_999));
    assert_eq!(a.state().name(), "ReadCard(Done)");
    a.step(Event::Tick, base.after(61_000));
    assert_eq!(
        a.state().name(),
        "SelectAuth",
        "the patient's data is dropped"
    );
    // No more deadline of the check: the next wake-up is the idle lock.
    assert!(a.lock_at().is_some(), "認証選択 locks when left alone");
    assert_eq!(a.next_wakeup(), a.lock_at());
}

#[test]
fn quitting_asks_for_the_passcode_first() {
    let mut a = unlocked();
    open_security(&mut a);
    assert!(ui(&mut a, UiAction::Menu(MenuItem::Quit)).is_empty());
    assert_eq!(a.state().name(), "QuitPasscode");
    // A wrong passcode: no quit, the pad clears and says so.
    // The miss is counted and saved (the gate's count survives a restart).
    type_digits(&mut a, &[9, 9, 9]);
    let cmds = ui(&mut a, UiAction::Digit(9));
    assert!(
        matches!(cmds.as_slice(), [Command::SaveSettings(s)] if s.passcode_failures == 1),
        "{cmds:?}"
    );
    assert!(matches!(
        a.state(),
        State::Passcode(PasscodePad {
            purpose: PadPurpose::Quit,
            notice: Some(DigitNotice::WrongPasscode),
            ..
        })
    ));
    // ← goes back to セキュリティ設定 without quitting.
    assert!(ui(&mut a, UiAction::Back).is_empty());
    assert_eq!(a.state().name(), "Security");
    // The right passcode (訂正 works on the way): the app asks to quit.
    ui(&mut a, UiAction::Menu(MenuItem::Quit));
    type_digits(&mut a, &[1, 2, 7]);
    ui(&mut a, UiAction::DeleteDigit);
    type_digits(&mut a, &[3]);
    // The right passcode clears the count of misses (saved), then the app asks to quit.
    let cmds = ui(&mut a, UiAction::Digit(4));
    assert!(
        matches!(cmds.as_slice(), [Command::SaveSettings(s), Command::Quit] if s.passcode_failures == 0),
        "{cmds:?}"
    );
    assert_eq!(a.state().name(), "Security");
}
