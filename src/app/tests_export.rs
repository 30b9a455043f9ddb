//! Results leaving the kiosk (issue 13), as the brain decides it: the face file is asked
//! for once per result that reaches 資格確認結果 (only with an export folder), a failure is
//! a band and nothing more, コピー asks the shell, and the copy is cleared at the next check
//! or after 10 minutes.

use super::passcode::PasscodeHash;
use super::tests::{cert, finish_start, outcome, registration, t, type_digits, ui};
use super::*;
use settings::Settings;

/// 資格確認結果 shown, with the export folder on or off; returns the commands of 次へ.
fn shown(export: bool) -> (App, Vec<Command>) {
    let settings = Settings {
        terms_accepted: true,
        registration: Some(registration()),
        passcode: Some(PasscodeHash::derive(b"1234", [3; 16])),
        visual_check: true,
        reader: None,
        passcode_failures: 0,
    };
    let options = Options {
        export,
        ..Options::default()
    };
    let mut a = App::with_options(Boot::Settings(Box::new(settings)), options, None);
    type_digits(&mut a, &[1, 2, 3, 4]);
    finish_start(&mut a);
    ui(&mut a, UiAction::Next);
    ui(&mut a, UiAction::ReadCard);
    a.step(Event::CertificateRead(Ok(cert())), t(&a));
    a.step(Event::CenterAnswered(Ok(Box::new(outcome()))), t(&a));
    let cmds = ui(&mut a, UiAction::Next);
    assert_eq!(a.state().name(), "ShowResult");
    (a, cmds)
}

fn export_status(a: &App) -> ExportStatus {
    match a.state() {
        State::ShowResult(s) => s.export,
        other => panic!("not on the result: {}", other.name()),
    }
}

#[test]
fn without_an_export_folder_nothing_is_asked() {
    let (a, cmds) = shown(false);
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(export_status(&a), ExportStatus::Off);
}

#[test]
fn a_shown_result_is_exported_once_with_the_registration_s_code() {
    let (mut a, cmds) = shown(true);
    match cmds.as_slice() {
        [Command::ExportResult {
            outcome: o,
            institution_code,
        }] => {
            assert_eq!(institution_code, "1312345679");
            assert_eq!(**o, outcome());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(export_status(&a), ExportStatus::Writing);
    let cmds = a.step(Event::Exported(Ok(())), t(&a));
    assert!(cmds.is_empty());
    assert_eq!(export_status(&a), ExportStatus::Written);
    // Paging and touching never write it again.
    assert!(ui(&mut a, UiAction::Touch).is_empty());
}

#[test]
fn a_failed_export_is_a_band_and_never_repeats_the_check() {
    for problem in [
        ExportProblem::FolderMissing,
        ExportProblem::Denied,
        ExportProblem::Full,
        ExportProblem::Other,
    ] {
        let (mut a, _) = shown(true);
        let cmds = a.step(Event::Exported(Err(problem)), t(&a));
        assert!(cmds.is_empty(), "nothing is asked again: {cmds:?}");
        assert_eq!(export_status(&a), ExportStatus::Failed(problem));
        assert!(ui(&mut a, UiAction::Touch).is_empty());
        assert_eq!(export_status(&a), ExportStatus::Failed(problem));
    }
}

#[test]
fn a_late_export_answer_after_the_result_closed_is_dropped() {
    let (mut a, _) = shown(true);
    ui(&mut a, UiAction::Close);
    let cmds = a.step(Event::Exported(Err(ExportProblem::Full)), t(&a));
    assert!(cmds.is_empty());
    assert_eq!(a.state().name(), "SelectAuth");
}

#[test]
fn copy_asks_the_shell_and_shows_what_happened() {
    let (mut a, _) = shown(false);
    let cmds = ui(&mut a, UiAction::Copy);
    assert!(
        matches!(cmds.as_slice(), [Command::CopyResult(o)] if **o == outcome()),
        "{cmds:?}"
    );
    a.step(Event::Copied(Err(ClipboardProblem::Unavailable)), t(&a));
    assert!(matches!(
        a.state(),
        State::ShowResult(Shown {
            copy: Some(Err(ClipboardProblem::Unavailable)),
            ..
        })
    ));
    // A failed copy put nothing there: nothing to clear later.
    assert_eq!(a.next_wakeup(), Some(Millis((a.now().0 / 1000 + 1) * 1000)));
    ui(&mut a, UiAction::Copy);
    a.step(Event::Copied(Ok(())), t(&a));
    assert!(matches!(
        a.state(),
        State::ShowResult(Shown {
            copy: Some(Ok(())),
            ..
        })
    ));
}

#[test]
fn the_copy_is_cleared_when_the_next_check_starts() {
    let (mut a, _) = shown(false);
    ui(&mut a, UiAction::Copy);
    a.step(Event::Copied(Ok(())), t(&a));
    let cmds = ui(&mut a, UiAction::Close);
    assert!(cmds.is_empty(), "closing keeps it: {cmds:?}");
    let cmds = ui(&mut a, UiAction::Next);
    assert_eq!(a.state().name(), "ReadCard(WaitCard)");
    assert!(
        matches!(cmds.as_slice(), [Command::ClearClipboard]),
        "{cmds:?}"
    );
    // Once only.
    let cmds = ui(&mut a, UiAction::ReadCard);
    assert!(
        matches!(cmds.as_slice(), [Command::ReadCertificate]),
        "{cmds:?}"
    );
}

#[test]
fn the_copy_is_cleared_ten_minutes_after_copying() {
    let (mut a, _) = shown(false);
    ui(&mut a, UiAction::Copy);
    let copied_at = t(&a);
    a.step(Event::Copied(Ok(())), copied_at);
    let clear_at = copied_at.after(CLIPBOARD_CLEAR_MS);
    ui(&mut a, UiAction::Close);
    assert_eq!(a.next_wakeup(), Some(clear_at), "the kiosk wakes for it");
    let cmds = a.step(Event::Tick, Millis(clear_at.0 - 1));
    assert!(cmds.is_empty(), "{cmds:?}");
    let cmds = a.step(Event::Tick, clear_at);
    assert!(
        matches!(cmds.as_slice(), [Command::ClearClipboard]),
        "{cmds:?}"
    );
    assert!(
        a.next_wakeup().is_none_or(|w| w > clear_at),
        "and then sleeps until the idle lock: {:?}",
        a.next_wakeup()
    );
    // A copy whose answer comes after the result closed is cleared all the same.
    let (mut b, _) = shown(false);
    ui(&mut b, UiAction::Copy);
    ui(&mut b, UiAction::Close);
    b.step(Event::Copied(Ok(())), t(&b));
    let cmds = ui(&mut b, UiAction::Next);
    assert!(
        matches!(cmds.as_slice(), [Command::ClearClipboard]),
        "{cmds:?}"
    );
}
