//! Names for logs, all in one place: states, actions, events and commands by variant, never
//! with their data (no digit, no PIN, no patient field, no token can reach a log this way).

use super::input::{Command, Event, UiAction};
use super::state::{Check, Message, PadPurpose, PinPad, PinRead, Question, State, VisualRead};

/// `impl $ty { pub fn name(&self) -> &'static str }` naming each variant after itself.
/// A braced pattern with `..` matches unit, tuple and struct variants alike, so the list
/// is the variants' names and nothing else.
macro_rules! variant_names {
    ($(#[$doc:meta])* $ty:ident { $($variant:ident),* $(,)? }) => {
        impl $ty {
            $(#[$doc])*
            pub fn name(&self) -> &'static str {
                match self {
                    $($ty::$variant { .. } => stringify!($variant),)*
                }
            }
        }
    };
}

variant_names!(
    /// The action's name for logs: never which digit or character.
    UiAction {
        Digit, DeleteDigit, Back, Next, Ok, Cancel, ReadCard, Close, Retry, NextPage, PrevPage,
        AcceptTerms, OpenMenu, Menu, SelectReader, ToggleVisualCheck, Type, Backspace,
        CaretLeft, CaretRight, FocusField, ToggleReveal, KeyboardLayer, Submit, OpenNotice,
        OpenDownload, OpenLink, ForgotPasscode, Touch, VisualInstead, DemoToggleCard, DemoTrayPage,
        Copy,
    }
);

variant_names!(
    /// The event's name for logs.
    Event {
        Ui, Tick, CardPresence, Readers, CertificateRead, PinTries, ChallengeIssued,
        Authenticated, CenterAnswered, SettingsSaved, Enrolled, LoggedIn, SessionRenewed,
        Version, Notices, PasswordChanged, Exported, Copied,
    }
);

variant_names!(
    /// The command's name for logs.
    Command {
        ReadCertificate, QueryPinTries, GetChallenge, Authenticate, ReadCertificateWithPin,
        AuthenticateOnPhone, CheckQualification,
        CheckQualificationWithPin, ListReaders, UseReader, SaveSettings, Register, Login,
        RenewSession, CheckVersion, FetchNotices, MarkNoticesRead, ChangePassword, Logout,
        Deregister, OpenUrl, Quit, DemoPlaceCard, DemoRemoveCard, ExportResult, CopyResult,
        ClearClipboard,
    }
);

impl State {
    /// The screen's name for logs, with the phase where a screen has phases. Two states
    /// with different names are different screens to a person: a tap that lands within
    /// moments of a name change is not taken (`App::step`).
    pub fn name(&self) -> &'static str {
        match self {
            State::SettingsDamaged => "SettingsDamaged",
            State::Terms => "Terms",
            State::Register(_) => "Register",
            State::Registered => "Registered",
            State::Login { .. } => "Login",
            State::Starting => "Starting",
            State::StartFailed(_) => "StartFailed",
            State::Update { .. } => "Update",
            State::Notices { .. } => "Notices",
            State::AccountPassword(_) => "AccountPassword",
            State::Passcode(pad) => match pad.purpose {
                PadPurpose::Unlock => "EnterPasscode",
                PadPurpose::Security => "SecurityPasscode",
                PadPurpose::Change => "CurrentPasscode",
                PadPurpose::Quit => "QuitPasscode",
            },
            State::NewPasscode { .. } => "NewPasscode",
            State::ConfirmPasscode { .. } => "ConfirmPasscode",
            State::SelectAuth => "SelectAuth",
            State::Ask(q) => match q {
                Question::StartPin => "Ask(StartPin)",
                Question::Deregister => "Ask(Deregister)",
                Question::DeregisterAgain => "Ask(DeregisterAgain)",
                Question::Logout => "Ask(Logout)",
                Question::VisualOnce => "Ask(VisualOnce)",
            },
            State::Tell(m) => match m {
                Message::PasscodeRegistered => "Tell(PasscodeRegistered)",
                Message::PasscodeChanged => "Tell(PasscodeChanged)",
                Message::Deregistered => "Tell(Deregistered)",
                Message::PasswordChanged => "Tell(PasswordChanged)",
                Message::DeviceUnknown => "Tell(DeviceUnknown)",
            },
            State::EnterPin(pad) => match pad {
                PinPad::NoCard { .. } => "EnterPin(NoCard)",
                PinPad::AskingTries { .. } => "EnterPin(AskingTries)",
                PinPad::Typing { .. } => "EnterPin(Typing)",
                PinPad::OnPhone { .. } => "EnterPin(OnPhone)",
                PinPad::Unusable { .. } => "EnterPin(Unusable)",
            },
            State::ReadCard(check) => match check {
                Check::Visual(VisualRead::WaitCard) => "ReadCard(WaitCard)",
                Check::Visual(VisualRead::Reading) => "ReadCard(Reading)",
                Check::Visual(VisualRead::ReadingWithPin { .. }) => "ReadCard(ReadingWithPin)",
                Check::Pin(PinRead::Challenge { .. }) => "ReadCard(GettingChallenge)",
                Check::Pin(PinRead::Signing { .. }) => "ReadCard(Signing)",
                Check::Visual(VisualRead::Asking { .. }) | Check::Pin(PinRead::Asking { .. }) => {
                    "ReadCard(AskingCenter)"
                }
                Check::Visual(VisualRead::Done(_)) | Check::Pin(PinRead::Done(_)) => {
                    "ReadCard(Done)"
                }
            },
            State::ReadFailed { .. } => "ReadFailed",
            State::ShowResult(_) => "ShowResult",
            State::Menu => "Menu",
            State::ReaderSelect { .. } => "ReaderSelect",
            State::Security => "Security",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_no_data() {
        assert_eq!(UiAction::Digit(7).name(), "Digit");
        assert_eq!(UiAction::Type('x').name(), "Type");
        assert_eq!(Event::CardPresence(true).name(), "CardPresence");
        assert_eq!(
            Command::OpenUrl("https://a.example/".into()).name(),
            "OpenUrl"
        );
    }
}
