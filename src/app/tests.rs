//! State-machine tests: every transition of the screens built so far, no window, no IO.

use super::passcode::PasscodeHash;
use super::*;
use crate::card::{AuthCertificate, CardError};
use crate::center::account::{RefreshToken, Session};
use crate::center::info::{AppVersion, Version};
use crate::center::model::{CheckOutcome, Date, Validity};
use crate::center::CenterError;
use settings::Settings;

const TARO_CERT: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");

/// A registration as the settings keep it after 初期登録.
pub(super) fn registration() -> settings::Registration {
    settings::Registration {
        institution_code: "1312345679".into(),
        user_id: "W0000001".into(),
        device_credential: "device-credential-0001".into(),
        refresh_token: Some("refresh-token-0000001".into()),
    }
}

/// A registered device with passcode 1234.
pub(super) fn registered(demo: Option<DemoSetup>) -> App {
    let settings = Settings {
        terms_accepted: true,
        registration: Some(registration()),
        passcode: Some(PasscodeHash::derive(b"1234", [3; 16])),
        visual_check: true,
        reader: None,
        passcode_failures: 0,
    };
    App::new(Boot::Settings(Box::new(settings)), demo)
}

pub(super) fn app() -> App {
    let setup = DemoSetup {
        passcode: "1234",
        cards: vec![
            DemoTrayCard {
                holder: "資格 太郎",
                shows: "資格有効",
            },
            DemoTrayCard {
                holder: "別の 人",
                shows: "資格無効",
            },
        ],
        account: None,
    };
    registered(Some(setup))
}

pub(super) fn session(token: &str) -> Box<Session> {
    Box::new(Session {
        refresh_token: RefreshToken::parse(token.into()).expect("a well-formed token"),
        refresh_valid_seconds: 2_592_000,
        access_valid_seconds: 43_200,
    })
}

pub(super) fn version(latest: Version, minimum: Version) -> AppVersion {
    AppVersion {
        latest,
        minimum,
        download_url: "https://example.invalid/download".into(),
    }
}

/// Answers the start-up calls after the passcode: session renewed, app up to date, no
/// unread お知らせ.
pub(super) fn finish_start(a: &mut App) {
    let cmds = a.step(
        Event::SessionRenewed(Ok(session("refresh-token-0000002"))),
        t(a),
    );
    // The version was asked for at the first passcode digit (and is still on its way
    // here), or is asked now.
    assert!(
        matches!(
            cmds.as_slice(),
            [Command::SaveSettings(_)] | [Command::SaveSettings(_), Command::CheckVersion]
        ),
        "{cmds:?}"
    );
    let cmds = a.step(
        Event::Version(Ok(version(Version::running(), Version::running()))),
        t(a),
    );
    assert!(matches!(cmds.as_slice(), [Command::FetchNotices]));
    a.step(Event::Notices(Ok(Vec::new())), t(a));
}

/// How far the test clock moves with each event: more than [`SETTLE_MS`], so no press is
/// taken for a hurried second tap on a screen that just changed.
const STEP_MS: u64 = 500;

/// The time of the next event: a step after the app's last one.
pub(super) fn t(a: &App) -> Millis {
    a.now().after(STEP_MS)
}

pub(super) fn ui(app: &mut App, action: UiAction) -> Vec<Command> {
    let now = t(app);
    app.step(Event::Ui(action), now)
}

/// Types digits; only a completed entry may ask for work (the passcode's renewal), and the
/// first digit on パスコード入力 the version.
pub(super) fn type_digits(app: &mut App, digits: &[u8]) {
    for (i, &d) in digits.iter().enumerate() {
        let first_on_unlock = matches!(
            app.state(),
            State::Passcode(p) if p.purpose == PadPurpose::Unlock && p.entry.is_empty()
        );
        let cmds = ui(app, UiAction::Digit(d));
        if (i + 1) % 4 != 0 {
            if first_on_unlock {
                assert!(
                    cmds.is_empty() || matches!(cmds.as_slice(), [Command::CheckVersion]),
                    "the first digit asks for the version at most: {cmds:?}"
                );
            } else {
                assert!(cmds.is_empty(), "typing asks no work: {cmds:?}");
            }
        }
    }
}

pub(super) fn cert() -> AuthCertificate {
    AuthCertificate::from_der(TARO_CERT.to_vec()).expect("demo certificate parses")
}

pub(super) fn outcome() -> CheckOutcome {
    CheckOutcome {
        confirmation_date: Date::new(2023, 12, 1).expect("valid date"),
        validity: Validity::Valid,
        cert_expiring: false,
        qualification: None,
    }
}

/// An app already on 認証選択（目視）.
pub(super) fn unlocked() -> App {
    let mut a = app();
    type_digits(&mut a, &[1, 2, 3]);
    let cmds = ui(&mut a, UiAction::Digit(4));
    assert!(matches!(cmds.as_slice(), [Command::RenewSession { .. }]));
    finish_start(&mut a);
    assert_eq!(a.state().name(), "SelectAuth");
    a
}

/// An app whose read is under way.
pub(super) fn reading() -> App {
    let mut a = unlocked();
    ui(&mut a, UiAction::Next);
    let cmds = ui(&mut a, UiAction::ReadCard);
    assert!(matches!(cmds.as_slice(), [Command::ReadCertificate]));
    a
}

/// An app waiting for the center.
pub(super) fn asking() -> App {
    let mut a = reading();
    a.step(Event::CertificateRead(Ok(cert())), t(&a));
    a
}

// --- EnterPasscode ------------------------------------------------------------------------

#[test]
fn boots_into_passcode_entry() {
    let a = app();
    assert!(matches!(
        a.state(),
        State::Passcode(PasscodePad {
            purpose: PadPurpose::Unlock,
            notice: None,
            ..
        })
    ));
}

#[test]
fn right_passcode_renews_the_session_then_opens_auth_select() {
    let a = unlocked();
    assert!(matches!(a.state(), State::SelectAuth));
    let token = a
        .settings()
        .registration
        .as_ref()
        .and_then(|r| r.refresh_token.clone());
    assert_eq!(
        token.as_ref().map(|t| t.expose()),
        Some("refresh-token-0000002"),
        "the renewed token is kept"
    );
}

#[test]
fn wrong_passcode_stays_clears_and_says_so() {
    let mut a = app();
    type_digits(&mut a, &[4, 3, 2, 1]);
    match a.state() {
        State::Passcode(PasscodePad {
            purpose: PadPurpose::Unlock,
            entry,
            notice,
            ..
        }) => {
            assert!(entry.is_empty(), "the wrong digits are gone");
            assert_eq!(*notice, Some(DigitNotice::WrongPasscode));
        }
        other => panic!("left the passcode screen: {}", other.name()),
    }
    // The right one still works afterwards.
    type_digits(&mut a, &[1, 2, 3, 4]);
    assert_eq!(a.state().name(), "Starting");
}

#[test]
fn delete_removes_the_last_digit() {
    let mut a = app();
    type_digits(&mut a, &[1, 2, 9]);
    ui(&mut a, UiAction::DeleteDigit);
    ui(&mut a, UiAction::Digit(3));
    let cmds = ui(&mut a, UiAction::Digit(4));
    assert!(
        matches!(cmds.as_slice(), [Command::RenewSession { .. }]),
        "1 2 (9 deleted) 3 4 = 1234"
    );
}

#[test]
fn card_events_do_not_unlock() {
    let mut a = app();
    a.step(Event::CardPresence(true), t(&a));
    a.step(Event::CertificateRead(Ok(cert())), t(&a));
    assert!(matches!(
        a.state(),
        State::Passcode(PasscodePad {
            purpose: PadPurpose::Unlock,
            ..
        })
    ));
}

// --- SelectAuth (目視) ----------------------------------------------------------------------

#[test]
fn next_without_a_card_waits_for_one() {
    let mut a = unlocked();
    assert!(ui(&mut a, UiAction::Next).is_empty());
    assert!(matches!(
        a.state(),
        State::ReadCard(Check::Visual(VisualRead::WaitCard))
    ));
}

#[test]
fn next_with_a_card_on_the_reader_starts_reading() {
    let mut a = unlocked();
    a.step(Event::CardPresence(true), t(&a));
    // Placing the card already started the read (目視: the card is enough).
    assert!(matches!(
        a.state(),
        State::ReadCard(Check::Visual(VisualRead::Reading))
    ));
}

#[test]
fn placing_the_card_on_auth_select_starts_reading() {
    let mut a = unlocked();
    let cmds = a.step(Event::CardPresence(true), t(&a));
    assert!(matches!(cmds.as_slice(), [Command::ReadCertificate]));
    assert!(matches!(
        a.state(),
        State::ReadCard(Check::Visual(VisualRead::Reading))
    ));
}

#[test]
fn stale_results_are_ignored_on_auth_select() {
    let mut a = unlocked();
    let cmds = a.step(Event::CenterAnswered(Ok(Box::new(outcome()))), t(&a));
    assert!(cmds.is_empty());
    assert!(matches!(a.state(), State::SelectAuth));
}

// --- ReadCard -----------------------------------------------------------------------------

#[test]
fn card_placed_while_waiting_starts_reading() {
    let mut a = unlocked();
    ui(&mut a, UiAction::Next);
    let cmds = a.step(Event::CardPresence(true), t(&a));
    assert!(matches!(cmds.as_slice(), [Command::ReadCertificate]));
}

#[test]
fn back_while_waiting_returns_to_auth_select() {
    let mut a = unlocked();
    ui(&mut a, UiAction::Next);
    ui(&mut a, UiAction::Back);
    assert!(matches!(a.state(), State::SelectAuth));
}

#[test]
fn back_is_ignored_while_reading() {
    let mut a = reading();
    assert!(ui(&mut a, UiAction::Back).is_empty());
    assert!(matches!(
        a.state(),
        State::ReadCard(Check::Visual(VisualRead::Reading))
    ));
}

#[test]
fn certificate_goes_to_the_center() {
    let mut a = reading();
    let cmds = a.step(Event::CertificateRead(Ok(cert())), t(&a));
    match cmds.as_slice() {
        [Command::CheckQualification(c)] => assert_eq!(c.serial_hex(), "0705D990"),
        other => panic!("unexpected commands {other:?}"),
    }
    assert!(matches!(
        a.state(),
        State::ReadCard(Check::Visual(VisualRead::Asking { .. }))
    ));
}

#[test]
fn card_error_shows_the_failure() {
    let mut a = reading();
    a.step(
        Event::CertificateRead(Err(CardError::NotMyNumberCard)),
        t(&a),
    );
    assert!(matches!(
        a.state(),
        State::ReadFailed {
            failure: Failure::Card(CardError::NotMyNumberCard),
            retry: true,
        }
    ));
}

#[test]
fn center_answer_completes_the_read_then_next_shows_the_result() {
    let mut a = asking();
    a.step(Event::CenterAnswered(Ok(Box::new(outcome()))), t(&a));
    assert!(matches!(
        a.state(),
        State::ReadCard(Check::Visual(VisualRead::Done(_)))
    ));
    ui(&mut a, UiAction::Next);
    assert!(matches!(
        a.state(),
        State::ShowResult(Shown { page: 0, .. })
    ));
}

#[test]
fn result_pages_forward_and_back_but_not_below_the_first() {
    let mut a = asking();
    a.step(Event::CenterAnswered(Ok(Box::new(outcome()))), t(&a));
    ui(&mut a, UiAction::Next);
    ui(&mut a, UiAction::PrevPage);
    assert!(matches!(
        a.state(),
        State::ShowResult(Shown { page: 0, .. })
    ));
    ui(&mut a, UiAction::NextPage);
    ui(&mut a, UiAction::NextPage);
    assert!(matches!(
        a.state(),
        State::ShowResult(Shown { page: 2, .. })
    ));
    ui(&mut a, UiAction::PrevPage);
    assert!(matches!(
        a.state(),
        State::ShowResult(Shown { page: 1, .. })
    ));
}

#[test]
fn center_error_shows_the_failure() {
    let mut a = asking();
    a.step(Event::CenterAnswered(Err(CenterError::Timeout)), t(&a));
    assert!(matches!(
        a.state(),
        State::ReadFailed {
            failure: Failure::Center(CenterError::Timeout),
            retry: true,
        }
    ));
}

// --- ReadFailed ---------------------------------------------------------------------------

#[test]
fn retry_reads_again_and_back_returns() {
    let mut a = reading();
    a.step(Event::CertificateRead(Err(CardError::NoCard)), t(&a));
    let cmds = ui(&mut a, UiAction::Retry);
    assert!(matches!(cmds.as_slice(), [Command::ReadCertificate]));
    a.step(Event::CertificateRead(Err(CardError::NoCard)), t(&a));
    ui(&mut a, UiAction::Back);
    assert!(matches!(a.state(), State::SelectAuth));
}

// --- ShowResult ---------------------------------------------------------------------------

#[test]
fn close_returns_to_auth_select_and_drops_the_result() {
    let mut a = asking();
    a.step(Event::CenterAnswered(Ok(Box::new(outcome()))), t(&a));
    ui(&mut a, UiAction::Next);
    ui(&mut a, UiAction::Close);
    assert!(matches!(a.state(), State::SelectAuth));
    // Nothing of the result is reachable any more: the only way back is a new read.
    assert!(ui(&mut a, UiAction::Next).is_empty());
    assert!(matches!(
        a.state(),
        State::ReadCard(Check::Visual(VisualRead::WaitCard))
    ));
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
    let mut a = registered(None);
    assert!(ui(&mut a, UiAction::DemoToggleCard(0)).is_empty());
}

#[test]
fn debug_of_the_app_shows_no_passcode() {
    // No demo setup: its passcode is public and would match.
    let mut a = registered(None);
    type_digits(&mut a, &[1, 2, 3]);
    let shown = format!("{a:?}");
    assert!(!shown.contains("123"), "{shown}");
    assert!(!shown.contains("49, 50"), "digits as bytes: {shown}");
}

// --- Start-up -----------------------------------------------------------------------------

#[test]
fn a_fresh_device_starts_on_the_terms_then_registers() {
    let mut a = App::new(Boot::Settings(Box::default()), None);
    assert_eq!(a.state().name(), "Terms");
    let cmds = ui(&mut a, UiAction::AcceptTerms);
    assert!(matches!(cmds.as_slice(), [Command::SaveSettings(s)] if s.terms_accepted));
    assert_eq!(a.state().name(), "Register");
}

#[test]
fn registration_fields_stop_at_the_lengths_of_the_user_settings_sheet() {
    let mut a = App::new(Boot::Settings(Box::default()), None);
    ui(&mut a, UiAction::AcceptTerms);
    let typed = [
        (0u8, "12345678901234", "1234567890"),
        (1, "W00000012", "W0000001"),
        (2, "Abcdefgh1!Abcdefgh1!X", "Abcdefgh1!Abcdefgh1!"),
        (3, "ABCD-EFGH-1234-5678-9", "ABCD-EFGH-1234-5678"),
    ];
    for (field, input, _) in typed {
        ui(&mut a, UiAction::FocusField(field));
        for c in input.chars() {
            ui(&mut a, UiAction::Type(c));
        }
    }
    let State::Register(screen) = a.state() else {
        panic!("still on 初期登録: {}", a.state().name());
    };
    for (field, _, kept) in typed {
        assert_eq!(screen.form.value(usize::from(field)), kept, "field {field}");
    }
}

#[test]
fn a_damaged_settings_file_leads_back_to_the_start() {
    let mut a = App::new(Boot::Damaged, None);
    assert_eq!(a.state().name(), "SettingsDamaged");
    let cmds = ui(&mut a, UiAction::Ok);
    assert!(matches!(cmds.as_slice(), [Command::SaveSettings(s)] if **s == Settings::default()));
    assert_eq!(a.state().name(), "Terms");
}

#[test]
fn registered_without_a_passcode_asks_for_one_twice() {
    let settings = Settings {
        terms_accepted: true,
        registration: Some(settings::Registration {
            institution_code: "0110113719".into(),
            user_id: "W0000001".into(),
            device_credential: "cred".into(),
            refresh_token: Some("token".into()),
        }),
        visual_check: true,
        ..Settings::default()
    };
    let mut a = App::new(Boot::Settings(Box::new(settings)), None);
    assert!(matches!(
        a.state(),
        State::NewPasscode {
            purpose: PasscodePurpose::Setup,
            ..
        }
    ));
    type_digits(&mut a, &[2, 4, 6, 8]);
    assert_eq!(a.state().name(), "ConfirmPasscode");
    type_digits(&mut a, &[2, 4, 6, 9]);
    assert!(matches!(
        a.state(),
        State::NewPasscode {
            notice: Some(DigitNotice::Mismatch),
            ..
        }
    ));
    type_digits(&mut a, &[2, 4, 6, 8]);
    let cmds = ui(&mut a, UiAction::Digit(2));
    assert!(cmds.is_empty());
    for d in [4, 6] {
        ui(&mut a, UiAction::Digit(d));
    }
    let cmds = ui(&mut a, UiAction::Digit(8));
    let saved = match cmds.as_slice() {
        [Command::SaveSettings(s)] => s.passcode.clone().expect("passcode saved"),
        other => panic!("{other:?}"),
    };
    assert!(saved.verify(b"2468") && !saved.verify(b"1234"));
    assert!(matches!(
        a.state(),
        State::Tell(Message::PasscodeRegistered)
    ));
    // The お知らせ come next (manual P.5, step 05); none unread goes on to 認証選択.
    let cmds = ui(&mut a, UiAction::Ok);
    assert!(
        matches!(cmds.as_slice(), [Command::FetchNotices]),
        "{cmds:?}"
    );
    assert_eq!(a.state().name(), "Starting");
    a.step(Event::Notices(Ok(Vec::new())), t(&a));
    assert_eq!(a.state().name(), "SelectAuth");
}
