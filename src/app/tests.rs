//! State-machine tests: every transition of the screens built so far, no window, no IO.

use super::*;
use crate::center::model::{Date, Validity};

const TARO_CERT: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");

fn app() -> App {
    let setup = DemoSetup {
        passcode: "1234",
        cards: vec!["資格 太郎", "別の 人"],
    };
    App::new(PasscodeHash::derive(b"1234", [3; 16]), Some(setup))
}

fn t() -> Millis {
    Millis(0)
}

fn ui(app: &mut App, action: UiAction) -> Vec<Command> {
    app.step(Event::Ui(action), t())
}

fn type_digits(app: &mut App, digits: &[u8]) {
    for &d in digits {
        assert!(
            ui(app, UiAction::Digit(d)).is_empty(),
            "typing asks no work"
        );
    }
}

fn cert() -> AuthCertificate {
    AuthCertificate::from_der(TARO_CERT.to_vec()).expect("demo certificate parses")
}

fn outcome() -> CheckOutcome {
    CheckOutcome {
        confirmation_date: Date::new(2023, 12, 1).expect("valid date"),
        validity: Validity::Valid,
        cert_expiring: false,
        qualification: None,
    }
}

/// An app already on 認証選択（目視）.
fn unlocked() -> App {
    let mut a = app();
    type_digits(&mut a, &[1, 2, 3, 4]);
    assert_eq!(a.state().name(), "SelectAuthVisual");
    a
}

/// An app whose read is under way.
fn reading() -> App {
    let mut a = unlocked();
    ui(&mut a, UiAction::Next);
    let cmds = ui(&mut a, UiAction::ReadCard);
    assert!(matches!(cmds.as_slice(), [Command::ReadCertificate]));
    a
}

/// An app waiting for the center.
fn asking() -> App {
    let mut a = reading();
    a.step(Event::CertificateRead(Ok(cert())), t());
    a
}

// --- EnterPasscode ------------------------------------------------------------------------

#[test]
fn boots_into_passcode_entry() {
    let a = app();
    assert!(matches!(
        a.state(),
        State::EnterPasscode { notice: None, .. }
    ));
}

#[test]
fn right_passcode_opens_auth_select() {
    let a = unlocked();
    assert!(matches!(a.state(), State::SelectAuthVisual));
}

#[test]
fn wrong_passcode_stays_clears_and_says_so() {
    let mut a = app();
    type_digits(&mut a, &[4, 3, 2, 1]);
    match a.state() {
        State::EnterPasscode { entry, notice } => {
            assert!(entry.is_empty(), "the wrong digits are gone");
            assert_eq!(*notice, Some(PasscodeNotice::Wrong));
        }
        other => panic!("left the passcode screen: {}", other.name()),
    }
    // The right one still works afterwards.
    type_digits(&mut a, &[1, 2, 3, 4]);
    assert!(matches!(a.state(), State::SelectAuthVisual));
}

#[test]
fn delete_removes_the_last_digit() {
    let mut a = app();
    type_digits(&mut a, &[1, 2, 9]);
    ui(&mut a, UiAction::DeleteDigit);
    type_digits(&mut a, &[3, 4]);
    assert!(
        matches!(a.state(), State::SelectAuthVisual),
        "1 2 (9 deleted) 3 4 = 1234"
    );
}

#[test]
fn card_events_do_not_unlock() {
    let mut a = app();
    a.step(Event::CardPresence(true), t());
    a.step(Event::CertificateRead(Ok(cert())), t());
    assert!(matches!(a.state(), State::EnterPasscode { .. }));
}

// --- SelectAuthVisual ---------------------------------------------------------------------

#[test]
fn next_without_a_card_waits_for_one() {
    let mut a = unlocked();
    assert!(ui(&mut a, UiAction::Next).is_empty());
    assert!(matches!(a.state(), State::ReadCard(ReadPhase::WaitCard)));
}

#[test]
fn next_with_a_card_on_the_reader_starts_reading() {
    let mut a = unlocked();
    a.step(Event::CardPresence(true), t());
    // Placing the card already started the read (目視: the card is enough).
    assert!(matches!(a.state(), State::ReadCard(ReadPhase::Reading)));
}

#[test]
fn placing_the_card_on_auth_select_starts_reading() {
    let mut a = unlocked();
    let cmds = a.step(Event::CardPresence(true), t());
    assert!(matches!(cmds.as_slice(), [Command::ReadCertificate]));
    assert!(matches!(a.state(), State::ReadCard(ReadPhase::Reading)));
}

#[test]
fn stale_results_are_ignored_on_auth_select() {
    let mut a = unlocked();
    let cmds = a.step(Event::CenterAnswered(Ok(Box::new(outcome()))), t());
    assert!(cmds.is_empty());
    assert!(matches!(a.state(), State::SelectAuthVisual));
}

// --- ReadCard -----------------------------------------------------------------------------

#[test]
fn card_placed_while_waiting_starts_reading() {
    let mut a = unlocked();
    ui(&mut a, UiAction::Next);
    let cmds = a.step(Event::CardPresence(true), t());
    assert!(matches!(cmds.as_slice(), [Command::ReadCertificate]));
}

#[test]
fn back_while_waiting_returns_to_auth_select() {
    let mut a = unlocked();
    ui(&mut a, UiAction::Next);
    ui(&mut a, UiAction::Back);
    assert!(matches!(a.state(), State::SelectAuthVisual));
}

#[test]
fn back_is_ignored_while_reading() {
    let mut a = reading();
    assert!(ui(&mut a, UiAction::Back).is_empty());
    assert!(matches!(a.state(), State::ReadCard(ReadPhase::Reading)));
}

#[test]
fn certificate_goes_to_the_center() {
    let mut a = reading();
    let cmds = a.step(Event::CertificateRead(Ok(cert())), t());
    match cmds.as_slice() {
        [Command::CheckQualification(c)] => assert_eq!(c.serial_hex(), "0705D990"),
        other => panic!("unexpected commands {other:?}"),
    }
    assert!(matches!(
        a.state(),
        State::ReadCard(ReadPhase::AskingCenter)
    ));
}

#[test]
fn card_error_shows_the_failure() {
    let mut a = reading();
    a.step(Event::CertificateRead(Err(CardError::NotMyNumberCard)), t());
    assert!(matches!(
        a.state(),
        State::ReadFailed(Failure::Card(CardError::NotMyNumberCard))
    ));
}

#[test]
fn center_answer_completes_the_read_then_next_shows_the_result() {
    let mut a = asking();
    a.step(Event::CenterAnswered(Ok(Box::new(outcome()))), t());
    assert!(matches!(a.state(), State::ReadCard(ReadPhase::Done(_))));
    ui(&mut a, UiAction::Next);
    assert!(matches!(a.state(), State::ShowResult { page: 0, .. }));
}

#[test]
fn result_pages_forward_and_back_but_not_below_the_first() {
    let mut a = asking();
    a.step(Event::CenterAnswered(Ok(Box::new(outcome()))), t());
    ui(&mut a, UiAction::Next);
    ui(&mut a, UiAction::PrevPage);
    assert!(matches!(a.state(), State::ShowResult { page: 0, .. }));
    ui(&mut a, UiAction::NextPage);
    ui(&mut a, UiAction::NextPage);
    assert!(matches!(a.state(), State::ShowResult { page: 2, .. }));
    ui(&mut a, UiAction::PrevPage);
    assert!(matches!(a.state(), State::ShowResult { page: 1, .. }));
}

#[test]
fn center_error_shows_the_failure() {
    let mut a = asking();
    a.step(Event::CenterAnswered(Err(CenterError::Timeout)), t());
    assert!(matches!(
        a.state(),
        State::ReadFailed(Failure::Center(CenterError::Timeout))
    ));
}

// --- ReadFailed ---------------------------------------------------------------------------

#[test]
fn retry_reads_again_and_back_returns() {
    let mut a = reading();
    a.step(Event::CertificateRead(Err(CardError::NoCard)), t());
    let cmds = ui(&mut a, UiAction::Retry);
    assert!(matches!(cmds.as_slice(), [Command::ReadCertificate]));
    a.step(Event::CertificateRead(Err(CardError::NoCard)), t());
    ui(&mut a, UiAction::Back);
    assert!(matches!(a.state(), State::SelectAuthVisual));
}

// --- ShowResult ---------------------------------------------------------------------------

#[test]
fn close_returns_to_auth_select_and_drops_the_result() {
    let mut a = asking();
    a.step(Event::CenterAnswered(Ok(Box::new(outcome()))), t());
    ui(&mut a, UiAction::Next);
    ui(&mut a, UiAction::Close);
    assert!(matches!(a.state(), State::SelectAuthVisual));
    // Nothing of the result is reachable any more: the only way back is a new read.
    assert!(ui(&mut a, UiAction::Next).is_empty());
    assert!(matches!(a.state(), State::ReadCard(ReadPhase::WaitCard)));
}

// --- Demo tray ----------------------------------------------------------------------------

#[test]
fn tray_places_and_removes_cards() {
    let mut a = unlocked();
    assert!(matches!(
        ui(&mut a, UiAction::DemoToggleCard(1)).as_slice(),
        [Command::DemoPlaceCard(1)]
    ));
    assert_eq!(a.demo().and_then(|d| d.placed), Some(1));
    assert!(matches!(
        ui(&mut a, UiAction::DemoToggleCard(0)).as_slice(),
        [Command::DemoPlaceCard(0)]
    ));
    assert!(matches!(
        ui(&mut a, UiAction::DemoToggleCard(0)).as_slice(),
        [Command::DemoRemoveCard]
    ));
    assert_eq!(a.demo().and_then(|d| d.placed), None);
    assert!(
        ui(&mut a, UiAction::DemoToggleCard(7)).is_empty(),
        "no such card"
    );
}

#[test]
fn tray_does_nothing_outside_the_demo() {
    let mut a = App::new(PasscodeHash::derive(b"1234", [3; 16]), None);
    assert!(ui(&mut a, UiAction::DemoToggleCard(0)).is_empty());
}

#[test]
fn debug_of_the_app_shows_no_passcode() {
    // No demo setup: its passcode is public and would match.
    let mut a = App::new(PasscodeHash::derive(b"1234", [3; 16]), None);
    type_digits(&mut a, &[1, 2, 3]);
    let shown = format!("{a:?}");
    assert!(!shown.contains("123"), "{shown}");
    assert!(!shown.contains("49, 50"), "digits as bytes: {shown}");
}
