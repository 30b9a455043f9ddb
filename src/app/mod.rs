//! The brain: one state machine over the screens of the manual. No IO happens here.
//!
//! The shell feeds [`Event`]s in (input mapped to a [`UiAction`], card and center results,
//! clock ticks); [`App::step`] changes state through one `set_state` funnel and returns
//! [`Command`]s for the worker thread and the shell. Everything the manual's flows do can be
//! tested without a window. The state diagram is in ARCHITECTURE.md.

pub mod form;
pub mod passcode;
pub mod settings;

use log::{debug, info};

use crate::card::jpki::PinAuthentication;
use crate::card::{AuthCertificate, CardError};
use crate::center::account::{
    check_password_rules, ActivationCode, DeviceCredential, Enrollment, InstitutionCode,
    InstitutionCodeError, Password, PasswordRuleError, RefreshToken, Registration, Session, UserId,
};
use crate::center::info::{AppVersion, Notice, NoticeId, UpdateStatus, Version};
use crate::center::model::CheckOutcome;
use crate::center::model::{Challenge, ChallengeId};
use crate::center::CenterError;
use crate::sensitive::SensitiveText;
use form::Form;
use passcode::{DigitEntry, PasscodeHash};
use settings::Settings;

/// Milliseconds on a monotonic clock, supplied by the shell: the brain has no clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Millis(pub u64);

impl Millis {
    /// `self` plus `ms`.
    pub const fn after(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }
}

/// The menu's 🔗 pages, in menu order (their titles are in `ui::strings::MENU_LINKS`): the
/// portal sites of the 医療機関等 and of the 施術所等.
pub const MENU_LINKS: [&str; 2] = [
    "https://iryohokenjyoho.service-now.com/csm",
    "https://iryohokenjyoho.service-now.com/omf",
];

/// How long a result stays on screen without anyone touching the kiosk.
pub const RESULT_IDLE_MS: u64 = 60_000;

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
    /// OK on a message.
    Ok,
    /// キャンセル on a message.
    Cancel,
    /// マイナンバーカードを読み取る.
    ReadCard,
    /// 閉じる.
    Close,
    /// もう一度 after a failure.
    Retry,
    /// 次のページ on a result longer than the screen.
    NextPage,
    /// 前のページ on a result longer than the screen.
    PrevPage,
    /// 同意して利用開始 on 利用規約.
    AcceptTerms,
    /// ⚙ on 認証選択.
    OpenMenu,
    /// A menu entry.
    Menu(MenuItem),
    /// A reader in カードリーダー選択 (index in the listed readers).
    SelectReader(u8),
    /// The 目視確認で本人認証 switch.
    ToggleVisualCheck,
    /// A character typed into the focused text field (keyboard or on-screen keyboard).
    Type(char),
    /// Delete the character before the caret.
    Backspace,
    /// Move the caret left.
    CaretLeft,
    /// Move the caret right.
    CaretRight,
    /// Typing goes to field `i`.
    FocusField(u8),
    /// 👁 on masked field `i`: show or hide what was typed.
    ToggleReveal(u8),
    /// The on-screen keyboard shows this layer.
    KeyboardLayer(KeyLayer),
    /// 登録する / ログイン / 変更: send the form.
    Submit,
    /// Open the web page of お知らせ `i`.
    OpenNotice(u8),
    /// ストアページへ移動する (here: the download page).
    OpenDownload,
    /// A 🔗 entry of the menu: opens [`MENU_LINKS`]`[i]`.
    OpenLink(u8),
    /// Demo tray: put demo card `index` on the virtual reader (or take it off if it is there).
    DemoToggleCard(u8),
    /// Demo tray: the next (`true`) or previous page of cards.
    DemoTrayPage(bool),
}

/// The on-screen keyboard's layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyLayer {
    /// a–z.
    #[default]
    Lower,
    /// A–Z.
    Upper,
    /// Digits and the manual's symbols.
    Symbols,
}

/// Entries of the menu and of セキュリティ設定.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuItem {
    /// カードリーダー選択.
    ReaderSelect,
    /// セキュリティ設定.
    Security,
    /// お知らせ.
    Notices,
    /// アカウントパスワード設定.
    AccountPassword,
    /// ログインパスコード設定.
    ChangePasscode,
    /// デバイス登録解除.
    Deregister,
    /// ログアウト.
    Logout,
    /// アプリを終了: leave the app, behind the passcode.
    Quit,
}

impl UiAction {
    /// A short name for logs: never which digit was pressed.
    pub fn name(self) -> &'static str {
        match self {
            UiAction::Digit(_) => "Digit",
            UiAction::DeleteDigit => "DeleteDigit",
            UiAction::Back => "Back",
            UiAction::Next => "Next",
            UiAction::Ok => "Ok",
            UiAction::Cancel => "Cancel",
            UiAction::ReadCard => "ReadCard",
            UiAction::Close => "Close",
            UiAction::Retry => "Retry",
            UiAction::NextPage => "NextPage",
            UiAction::PrevPage => "PrevPage",
            UiAction::AcceptTerms => "AcceptTerms",
            UiAction::OpenMenu => "OpenMenu",
            UiAction::Menu(_) => "Menu",
            UiAction::SelectReader(_) => "SelectReader",
            UiAction::ToggleVisualCheck => "ToggleVisualCheck",
            UiAction::Type(_) => "Type",
            UiAction::Backspace => "Backspace",
            UiAction::CaretLeft => "CaretLeft",
            UiAction::CaretRight => "CaretRight",
            UiAction::FocusField(_) => "FocusField",
            UiAction::ToggleReveal(_) => "ToggleReveal",
            UiAction::KeyboardLayer(_) => "KeyboardLayer",
            UiAction::Submit => "Submit",
            UiAction::OpenNotice(_) => "OpenNotice",
            UiAction::OpenDownload => "OpenDownload",
            UiAction::OpenLink(_) => "OpenLink",
            UiAction::DemoToggleCard(_) => "DemoToggleCard",
            UiAction::DemoTrayPage(_) => "DemoTrayPage",
        }
    }
}

/// The registration form's fields, in screen order.
pub mod register_field {
    /// 機関コード.
    pub const INSTITUTION_CODE: usize = 0;
    /// ユーザーID.
    pub const USER_ID: usize = 1;
    /// パスワード.
    pub const PASSWORD: usize = 2;
    /// アクティベーションコード.
    pub const ACTIVATION_CODE: usize = 3;
}

/// What is wrong with a form, shown beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    /// A required (必須) field is empty; its index.
    Missing(usize),
    /// The 機関コード is not ten digits or its check digit is wrong.
    Code(InstitutionCodeError),
    /// The ID is not of the form the ユーザ設定情報 sheet gives.
    UserId,
    /// The activation code is not of the form the sheet gives.
    ActivationCode,
    /// The new password breaks the manual's rule.
    Password(PasswordRuleError),
    /// The new password and its repetition differ.
    PasswordMismatch,
}

/// An input to the brain.
#[derive(Debug)]
pub enum Event {
    /// A person acted on the screen.
    Ui(UiAction),
    /// The clock moved (sent when [`App::next_wakeup`] asks for it).
    Tick,
    /// The reader reports a card placed (`true`) or removed (`false`).
    CardPresence(bool),
    /// The readers connected now (カードリーダー選択 lists them).
    Readers(Vec<String>),
    /// The worker finished reading the certificate.
    CertificateRead(Result<AuthCertificate, CardError>),
    /// The card said how many PIN tries are left.
    PinTries(Result<u8, CardError>),
    /// The center handed out a challenge.
    ChallengeIssued(Result<Challenge, CenterError>),
    /// The card verified the PIN, signed the challenge and gave its certificate.
    Authenticated(Result<Box<PinAuthentication>, CardError>),
    /// The worker got the center's answer to a qualification check.
    CenterAnswered(Result<Box<CheckOutcome>, CenterError>),
    /// The settings could not be written.
    SettingsNotSaved,
    /// The center answered 初期登録.
    Enrolled(Result<Box<Enrollment>, CenterError>),
    /// The center answered システムログイン.
    LoggedIn(Result<Box<Session>, CenterError>),
    /// The center renewed the session (the passcode unlock path).
    SessionRenewed(Result<Box<Session>, CenterError>),
    /// The center said which versions exist.
    Version(Result<AppVersion, CenterError>),
    /// The center listed the お知らせ.
    Notices(Result<Vec<Notice>, CenterError>),
    /// The center changed the account password.
    PasswordChanged(Result<(), CenterError>),
}

/// Work for the worker thread or the shell. Commands run in order; most answer with one
/// event.
#[derive(Debug)]
pub enum Command {
    /// Read the user-authentication certificate of the card on the reader.
    ReadCertificate,
    /// Ask the card how many PIN tries are left (no try is used).
    QueryPinTries,
    /// Ask the center for a single-use challenge.
    GetChallenge,
    /// Verify the PIN, sign the challenge and read the certificate, in one card session.
    /// The PIN buffer is wiped when the command is dropped.
    Authenticate {
        /// The patient's PIN.
        pin: DigitEntry,
        /// What to sign.
        challenge: Challenge,
    },
    /// Ask the center for the qualification bound to this certificate (目視 mode).
    CheckQualification(AuthCertificate),
    /// Ask the center with the certificate and the card's signature (暗証番号 mode).
    CheckQualificationWithPin {
        /// The card's proof.
        authentication: Box<PinAuthentication>,
        /// The challenge that was signed.
        challenge_id: ChallengeId,
    },
    /// List the connected readers.
    ListReaders,
    /// Use this reader from now on.
    UseReader(Option<String>),
    /// Write the settings.
    SaveSettings(Box<Settings>),
    /// 初期登録 at the center (the password is never stored).
    Register(Box<Registration>),
    /// システムログイン.
    Login {
        /// This device's credential.
        device: DeviceCredential,
        /// The account's ID.
        user_id: UserId,
        /// The password (never stored).
        password: Password,
    },
    /// Renew the session with the stored refresh token (after the passcode).
    RenewSession {
        /// This device's credential.
        device: DeviceCredential,
        /// The stored refresh token.
        refresh_token: RefreshToken,
    },
    /// Ask which app versions exist.
    CheckVersion,
    /// Ask for the お知らせ.
    FetchNotices,
    /// Mark these お知らせ read for this device.
    MarkNoticesRead(Vec<NoticeId>),
    /// Change the account password.
    ChangePassword {
        /// The current password.
        current: Password,
        /// The new one.
        new: Password,
    },
    /// Tell the center this device logs out (best effort; the device forgets the session
    /// whatever the answer).
    Logout,
    /// Tell the center this device is deregistered (best effort, as for logout).
    Deregister,
    /// Open a web page in the browser.
    OpenUrl(String),
    /// End the app: the shell closes the window (the passcode was given).
    Quit,
    /// Demo: put demo card `index` on the virtual reader, replacing any other.
    DemoPlaceCard(u8),
    /// Demo: take the card off the virtual reader.
    DemoRemoveCard,
}

/// How the patient is identified in this check.
#[derive(Debug)]
pub enum Mode {
    /// 目視: staff compared the card photo with the patient.
    Visual,
    /// 暗証番号: the patient typed the PIN; it waits here until the card is read.
    Pin(DigitEntry),
}

/// Where the read of マイナンバーカードの読み取り stands.
#[derive(Debug)]
pub enum ReadPhase {
    /// Waiting for the card to be set on the reader.
    WaitCard,
    /// 暗証番号 mode: getting a challenge from the center.
    GettingChallenge,
    /// The worker is reading the card.
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

/// Feedback on a digit screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitNotice {
    /// The passcode was wrong.
    WrongPasscode,
    /// The two new passcodes differ.
    Mismatch,
    /// The card PIN was wrong; tries left.
    WrongPin(u8),
}

/// Why a new passcode is being chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasscodePurpose {
    /// パスコード登録 after 初期登録.
    Setup,
    /// ログインパスコード設定 from セキュリティ設定.
    Change,
}

/// A question with OK / キャンセル.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    /// Before handing the tablet to the patient for the PIN.
    StartPin,
    /// デバイス登録解除, first confirmation.
    Deregister,
    /// デバイス登録解除, second confirmation.
    DeregisterAgain,
    /// ログアウト.
    Logout,
}

/// A message with OK only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// The passcode was registered (パスコード登録 done).
    PasscodeRegistered,
    /// The passcode was changed.
    PasscodeChanged,
    /// The device registration was removed.
    Deregistered,
    /// The settings could not be written.
    SettingsNotSaved,
    /// The account password was changed.
    PasswordChanged,
}

/// Every screen of the app, named after what it waits for.
#[derive(Debug)]
pub enum State {
    /// The settings file is damaged: say so and offer the way back to registration.
    SettingsDamaged,
    /// 利用規約.
    Terms,
    /// 初期登録: the values of the ユーザ設定情報 sheet.
    Register {
        /// 機関コード, ユーザーID, パスワード, アクティベーションコード.
        form: Form,
        /// The on-screen keyboard's layer.
        layer: KeyLayer,
        /// What is wrong with what was typed.
        problem: Option<FormProblem>,
        /// Why the center refused, if it did.
        refused: Option<CenterError>,
        /// Waiting for the center.
        busy: bool,
    },
    /// 登録完了.
    Registered,
    /// システムログイン: ID and password after a ログアウト.
    Login {
        /// ユーザーID, パスワード.
        form: Form,
        /// The on-screen keyboard's layer.
        layer: KeyLayer,
        /// What is wrong with what was typed.
        problem: Option<FormProblem>,
        /// Why the center refused (wrong password, locked), if it did.
        refused: Option<CenterError>,
        /// Waiting for the center.
        busy: bool,
    },
    /// After the passcode: renewing the session, checking the version, fetching お知らせ.
    Starting,
    /// Start-up could not reach the center or the center refused; the screen says what to
    /// do.
    StartFailed(CenterError),
    /// バージョン更新.
    Update {
        /// What the center announced.
        info: AppVersion,
        /// Below the minimum: the app cannot be used until updated.
        required: bool,
    },
    /// お知らせ.
    Notices {
        /// The list shown.
        list: Vec<Notice>,
        /// Opened from the menu (閉じる returns there) rather than at start-up.
        from_menu: bool,
    },
    /// アカウントパスワード設定: current, new, new again.
    AccountPassword {
        /// The three fields.
        form: Form,
        /// The on-screen keyboard's layer.
        layer: KeyLayer,
        /// What is wrong with what was typed.
        problem: Option<FormProblem>,
        /// Why the center refused, if it did.
        refused: Option<CenterError>,
        /// Waiting for the center.
        busy: bool,
    },
    /// パスコード入力.
    EnterPasscode {
        /// Digits typed so far.
        entry: DigitEntry,
        /// Feedback from the last attempt.
        notice: Option<DigitNotice>,
    },
    /// ログインパスコード設定: the current passcode first.
    CurrentPasscode {
        /// Digits typed so far.
        entry: DigitEntry,
        /// Feedback from the last attempt.
        notice: Option<DigitNotice>,
    },
    /// アプリの終了: the passcode before the app ends.
    QuitPasscode {
        /// Digits typed so far.
        entry: DigitEntry,
        /// Feedback from the last attempt.
        notice: Option<DigitNotice>,
    },
    /// パスコード登録 / new passcode.
    NewPasscode {
        /// Why.
        purpose: PasscodePurpose,
        /// Digits typed so far.
        entry: DigitEntry,
        /// Feedback (the confirmation did not match).
        notice: Option<DigitNotice>,
    },
    /// パスコード登録（確認用） / new passcode again.
    ConfirmPasscode {
        /// Why.
        purpose: PasscodePurpose,
        /// The first entry.
        first: DigitEntry,
        /// Digits typed so far.
        entry: DigitEntry,
    },
    /// 認証選択: 目視 or 暗証番号 as the setting says.
    SelectAuth,
    /// A question with OK / キャンセル.
    Ask(Question),
    /// A message with OK.
    Tell(Message),
    /// 暗証番号入力, for the patient.
    EnterPin {
        /// Digits typed so far.
        entry: DigitEntry,
        /// Tries left, once the card has said.
        tries: Option<u8>,
        /// Feedback from the last attempt.
        notice: Option<DigitNotice>,
    },
    /// マイナンバーカードの読み取り.
    ReadCard {
        /// 目視 or 暗証番号.
        mode: Mode,
        /// Where it stands.
        phase: ReadPhase,
        /// The challenge being used (暗証番号 mode).
        challenge: Option<Challenge>,
    },
    /// The read failed; the screen says what to do next.
    ReadFailed(Failure),
    /// 資格確認結果. Dropping the state drops (and wipes) the patient's data.
    ShowResult {
        /// The center's answer.
        outcome: Box<CheckOutcome>,
        /// Which page of the table is shown (the screen clamps it).
        page: u8,
        /// When the result closes by itself if nobody touches the kiosk.
        closes_at: Millis,
    },
    /// メニュー.
    Menu,
    /// カードリーダー選択.
    ReaderSelect {
        /// Readers connected now.
        readers: Vec<String>,
    },
    /// セキュリティ設定.
    Security,
}

impl State {
    /// A short name for logs. Never includes data.
    pub fn name(&self) -> &'static str {
        match self {
            State::SettingsDamaged => "SettingsDamaged",
            State::Terms => "Terms",
            State::Register { .. } => "Register",
            State::Registered => "Registered",
            State::Login { .. } => "Login",
            State::Starting => "Starting",
            State::StartFailed(_) => "StartFailed",
            State::Update { .. } => "Update",
            State::Notices { .. } => "Notices",
            State::AccountPassword { .. } => "AccountPassword",
            State::EnterPasscode { .. } => "EnterPasscode",
            State::CurrentPasscode { .. } => "CurrentPasscode",
            State::QuitPasscode { .. } => "QuitPasscode",
            State::NewPasscode { .. } => "NewPasscode",
            State::ConfirmPasscode { .. } => "ConfirmPasscode",
            State::SelectAuth => "SelectAuth",
            State::Ask(_) => "Ask",
            State::Tell(_) => "Tell",
            State::EnterPin { .. } => "EnterPin",
            State::ReadCard { phase, .. } => match phase {
                ReadPhase::WaitCard => "ReadCard(WaitCard)",
                ReadPhase::GettingChallenge => "ReadCard(GettingChallenge)",
                ReadPhase::Reading => "ReadCard(Reading)",
                ReadPhase::AskingCenter => "ReadCard(AskingCenter)",
                ReadPhase::Done(_) => "ReadCard(Done)",
            },
            State::ReadFailed(_) => "ReadFailed",
            State::ShowResult { .. } => "ShowResult",
            State::Menu => "Menu",
            State::ReaderSelect { .. } => "ReaderSelect",
            State::Security => "Security",
        }
    }
}

/// What the demo build tells the brain about itself.
#[derive(Debug, Clone)]
pub struct DemoSetup {
    /// The demo passcode, shown on the デモ banner.
    pub passcode: &'static str,
    /// The demo tray's cards, in tray order.
    pub cards: Vec<DemoTrayCard>,
    /// On a fresh device, the demo account to type in 初期登録 (機関コード, ID,
    /// パスワード, アクティベーションコード), shown on the banner.
    pub account: Option<[&'static str; 4]>,
}

/// A card on the demo tray.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoTrayCard {
    /// The holder's name (demo data).
    pub holder: &'static str,
    /// What the card demonstrates, in a few words.
    pub shows: &'static str,
}

/// The demo tray as the brain tracks it.
#[derive(Debug, Clone)]
pub struct DemoTray {
    /// The demo setup.
    pub setup: DemoSetup,
    /// The card that is on the virtual reader, if any.
    pub placed: Option<u8>,
    /// Which page of the tray is shown (the screen wraps it to the pages there are).
    pub page: u8,
}

/// What the deployer decided for this kiosk (config.txt and the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Minutes without use after which the kiosk locks itself to パスコード入力
    /// (`lock_after_minutes=` in config.txt; 0 = never).
    pub lock_after_minutes: u32,
    /// `--kiosk`: no browser is ever started; a link shows its address on screen instead.
    pub kiosk: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            lock_after_minutes: 30,
            kiosk: false,
        }
    }
}

/// How the app starts, decided by the shell from the settings file.
#[derive(Debug)]
pub enum Boot {
    /// The settings loaded (a missing file is a fresh device).
    Settings(Box<Settings>),
    /// The settings file is damaged.
    Damaged,
}

/// The app: state plus what it keeps.
#[derive(Debug)]
pub struct App {
    #[allow(dead_code)] // read by the idle lock and the link rule (next commits)
    options: Options,
    state: State,
    /// When an outcome waiting behind 読み取り完了 is dropped if nobody presses 次へ.
    done_by: Option<Millis>,
    settings: Settings,
    now: Millis,
    card_present: bool,
    demo: Option<DemoTray>,
}

impl App {
    /// Starts where the settings say: 利用規約 on a fresh device, パスコード入力 when
    /// registered, the damaged-settings screen when the file is broken.
    pub fn new(boot: Boot, demo: Option<DemoSetup>) -> Self {
        Self::with_options(boot, Options::default(), demo)
    }

    /// As [`App::new`], with the deployer's options.
    pub fn with_options(boot: Boot, options: Options, demo: Option<DemoSetup>) -> Self {
        let (state, settings) = match boot {
            Boot::Damaged => (State::SettingsDamaged, Settings::default()),
            Boot::Settings(s) => (first_screen(&s), *s),
        };
        Self {
            options,
            state,
            done_by: None,
            settings,
            now: Millis(0),
            card_present: false,
            demo: demo.map(|setup| DemoTray {
                setup,
                placed: None,
                page: 0,
            }),
        }
    }

    /// The current screen.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The settings as the brain holds them.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The demo tray, in the demo build.
    pub fn demo(&self) -> Option<&DemoTray> {
        self.demo.as_ref()
    }

    /// Whether the reader last reported a card.
    pub fn card_present(&self) -> bool {
        self.card_present
    }

    /// The time of the last step.
    pub fn now(&self) -> Millis {
        self.now
    }

    /// When the app next needs an [`Event::Tick`]: each second while a countdown is on
    /// screen, never otherwise (nothing wakes the kiosk while it idles).
    pub fn next_wakeup(&self) -> Option<Millis> {
        match &self.state {
            State::ShowResult { closes_at, .. } => {
                let next_second = Millis((self.now.0 / 1000 + 1) * 1000);
                Some(next_second.min(*closes_at))
            }
            // 読み取り完了 holds the outcome too: one wake-up to drop it if nobody goes on.
            State::ReadCard {
                phase: ReadPhase::Done(_),
                ..
            } => self.done_by,
            _ => None,
        }
    }

    /// Seconds until the result closes by itself, for the countdown.
    pub fn seconds_left(&self) -> Option<u64> {
        match &self.state {
            State::ShowResult { closes_at, .. } => {
                Some(closes_at.0.saturating_sub(self.now.0).div_ceil(1000))
            }
            _ => None,
        }
    }

    /// Feeds one event in; returns the work it asks for.
    pub fn step(&mut self, event: Event, now: Millis) -> Vec<Command> {
        self.now = self.now.max(now);
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
            Event::Ui(UiAction::DemoTrayPage(forward)) => {
                if let Some(tray) = self.demo.as_mut() {
                    tray.page = if forward {
                        tray.page.wrapping_add(1)
                    } else {
                        tray.page.wrapping_sub(1)
                    };
                }
                return out;
            }
            Event::SettingsNotSaved => {
                let old = self.state.name();
                self.set_state(old, State::Tell(Message::SettingsNotSaved));
                return out;
            }
            other => other,
        };

        // Typing into a form changes only that form.
        if let Event::Ui(action) = &event {
            if self.edit_form(*action) {
                return out;
            }
        }

        let old = self.state.name();
        // Move the state out so transitions can take its data by value.
        let state = core::mem::replace(&mut self.state, State::SelectAuth);
        let next = self.transition(state, event, &mut out);
        self.set_state(old, next);
        out
    }

    /// The transition table: one arm per (screen, event) that means something.
    fn transition(&mut self, state: State, event: Event, out: &mut Vec<Command>) -> State {
        use Event::Ui;
        use UiAction as A;
        match (state, event) {
            // --- start-up ---------------------------------------------------------------
            (State::SettingsDamaged, Ui(A::Ok)) => {
                self.settings = Settings::default();
                out.push(self.save());
                State::Terms
            }
            (State::Terms, Ui(A::AcceptTerms)) => {
                self.settings.terms_accepted = true;
                out.push(self.save());
                first_screen(&self.settings)
            }

            // --- パスコード入力 -----------------------------------------------------------
            (State::EnterPasscode { mut entry, notice }, Ui(A::Digit(d))) => {
                entry.push(d);
                if !entry.is_complete() {
                    State::EnterPasscode { entry, notice }
                } else if self.passcode_matches(&entry) {
                    info!("passcode accepted");
                    self.start(out)
                } else {
                    info!("passcode rejected");
                    entry.clear();
                    State::EnterPasscode {
                        entry,
                        notice: Some(DigitNotice::WrongPasscode),
                    }
                }
            }

            // 訂正 on every passcode pad.
            (State::EnterPasscode { mut entry, notice }, Ui(A::DeleteDigit)) => {
                entry.pop();
                State::EnterPasscode { entry, notice }
            }
            (State::CurrentPasscode { mut entry, notice }, Ui(A::DeleteDigit)) => {
                entry.pop();
                State::CurrentPasscode { entry, notice }
            }
            (
                State::NewPasscode {
                    purpose,
                    mut entry,
                    notice,
                },
                Ui(A::DeleteDigit),
            ) => {
                entry.pop();
                State::NewPasscode {
                    purpose,
                    entry,
                    notice,
                }
            }
            (
                State::ConfirmPasscode {
                    purpose,
                    first,
                    mut entry,
                },
                Ui(A::DeleteDigit),
            ) => {
                entry.pop();
                State::ConfirmPasscode {
                    purpose,
                    first,
                    entry,
                }
            }

            // --- ログインパスコード設定 / パスコード登録 ------------------------------------
            (State::CurrentPasscode { mut entry, notice }, Ui(A::Digit(d))) => {
                entry.push(d);
                if !entry.is_complete() {
                    State::CurrentPasscode { entry, notice }
                } else if self.passcode_matches(&entry) {
                    State::NewPasscode {
                        purpose: PasscodePurpose::Change,
                        entry: DigitEntry::default(),
                        notice: None,
                    }
                } else {
                    entry.clear();
                    State::CurrentPasscode {
                        entry,
                        notice: Some(DigitNotice::WrongPasscode),
                    }
                }
            }
            (State::CurrentPasscode { .. }, Ui(A::Back)) => State::Security,

            // --- アプリの終了 ------------------------------------------------------------------
            (State::Security, Ui(A::Menu(MenuItem::Quit))) => State::QuitPasscode {
                entry: DigitEntry::default(),
                notice: None,
            },
            (State::QuitPasscode { mut entry, notice }, Ui(A::Digit(d))) => {
                entry.push(d);
                if !entry.is_complete() {
                    State::QuitPasscode { entry, notice }
                } else if self.passcode_matches(&entry) {
                    out.push(Command::Quit);
                    State::Security
                } else {
                    entry.clear();
                    State::QuitPasscode {
                        entry,
                        notice: Some(DigitNotice::WrongPasscode),
                    }
                }
            }
            (State::QuitPasscode { mut entry, notice }, Ui(A::DeleteDigit)) => {
                entry.pop();
                State::QuitPasscode { entry, notice }
            }
            (State::QuitPasscode { .. }, Ui(A::Back)) => State::Security,
            (
                State::NewPasscode {
                    purpose,
                    mut entry,
                    notice,
                },
                Ui(A::Digit(d)),
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
                    purpose: PasscodePurpose::Change,
                    ..
                },
                Ui(A::Back),
            ) => State::Security,
            (
                State::ConfirmPasscode {
                    purpose,
                    first,
                    mut entry,
                },
                Ui(A::Digit(d)),
            ) => {
                entry.push(d);
                if !entry.is_complete() {
                    State::ConfirmPasscode {
                        purpose,
                        first,
                        entry,
                    }
                } else if entry.expose() == first.expose() {
                    self.settings.passcode =
                        Some(PasscodeHash::derive(entry.expose(), self.salt()));
                    out.push(self.save());
                    State::Tell(match purpose {
                        PasscodePurpose::Setup => Message::PasscodeRegistered,
                        PasscodePurpose::Change => Message::PasscodeChanged,
                    })
                } else {
                    State::NewPasscode {
                        purpose,
                        entry: DigitEntry::default(),
                        notice: Some(DigitNotice::Mismatch),
                    }
                }
            }
            (State::ConfirmPasscode { purpose, .. }, Ui(A::Back)) => State::NewPasscode {
                purpose,
                entry: DigitEntry::default(),
                notice: None,
            },
            // After 初期登録 the お知らせ come next (manual P.5, step 05), then 認証選択.
            (State::Tell(Message::PasscodeRegistered), Ui(A::Ok)) => {
                out.push(Command::FetchNotices);
                State::Starting
            }
            (State::Tell(Message::PasscodeChanged), Ui(A::Ok)) => State::Security,
            (State::Tell(Message::Deregistered), Ui(A::Ok)) => first_screen(&self.settings),
            (State::Tell(Message::SettingsNotSaved), Ui(A::Ok)) => first_screen(&self.settings),

            // --- 認証選択 -----------------------------------------------------------------
            (State::SelectAuth, Ui(A::OpenMenu)) => State::Menu,
            (State::SelectAuth, Ui(A::Next)) if self.settings.visual_check => {
                if self.card_present {
                    self.start_visual_read(out)
                } else {
                    read_card(Mode::Visual, ReadPhase::WaitCard)
                }
            }
            // 目視: placing the card is enough to start.
            (State::SelectAuth, Event::CardPresence(true)) if self.settings.visual_check => {
                self.start_visual_read(out)
            }
            (State::SelectAuth, Ui(A::Next)) => State::Ask(Question::StartPin),
            (State::Ask(Question::StartPin), Ui(A::Ok)) => {
                if self.card_present {
                    out.push(Command::QueryPinTries);
                }
                State::EnterPin {
                    entry: DigitEntry::default(),
                    tries: None,
                    notice: None,
                }
            }
            (State::Ask(Question::StartPin), Ui(A::Cancel)) => State::SelectAuth,

            // --- 暗証番号入力 ---------------------------------------------------------------
            (
                State::EnterPin {
                    entry,
                    tries: _,
                    notice,
                },
                Event::CardPresence(true),
            ) => {
                out.push(Command::QueryPinTries);
                State::EnterPin {
                    entry,
                    tries: None,
                    notice,
                }
            }
            (State::EnterPin { entry, notice, .. }, Event::PinTries(Ok(0))) => {
                drop((entry, notice));
                State::ReadFailed(Failure::Card(CardError::PinBlocked))
            }
            (State::EnterPin { entry, notice, .. }, Event::PinTries(Ok(n))) => State::EnterPin {
                entry,
                tries: Some(n),
                notice,
            },
            (
                State::EnterPin {
                    entry,
                    tries,
                    notice,
                },
                Event::PinTries(Err(e)),
            ) => {
                // No card yet, or a reader hiccup: the count stays unknown until the card is
                // placed; a card that is not a My Number Card is said at once.
                if e == CardError::NotMyNumberCard {
                    State::ReadFailed(Failure::Card(e))
                } else {
                    State::EnterPin {
                        entry,
                        tries,
                        notice,
                    }
                }
            }
            (
                State::EnterPin {
                    mut entry,
                    tries,
                    notice,
                },
                Ui(A::Digit(d)),
            ) => {
                entry.push(d);
                State::EnterPin {
                    entry,
                    tries,
                    notice,
                }
            }
            (
                State::EnterPin {
                    mut entry,
                    tries,
                    notice,
                },
                Ui(A::DeleteDigit),
            ) => {
                entry.pop();
                State::EnterPin {
                    entry,
                    tries,
                    notice,
                }
            }
            (State::EnterPin { entry, .. }, Ui(A::Next)) if entry.is_complete() => {
                read_card(Mode::Pin(entry), ReadPhase::WaitCard)
            }
            (State::EnterPin { .. }, Ui(A::Back)) => State::SelectAuth,

            // --- マイナンバーカードの読み取り ----------------------------------------------
            (
                State::ReadCard {
                    mode,
                    phase: ReadPhase::WaitCard,
                    challenge,
                },
                Event::CardPresence(true),
            )
            | (
                State::ReadCard {
                    mode,
                    phase: ReadPhase::WaitCard,
                    challenge,
                },
                Ui(A::ReadCard),
            ) => {
                drop(challenge);
                self.start_read(mode, out)
            }
            (
                State::ReadCard {
                    mode: Mode::Pin(_),
                    phase: ReadPhase::WaitCard,
                    ..
                },
                Ui(A::Back),
            ) => State::EnterPin {
                entry: DigitEntry::default(),
                tries: None,
                notice: None,
            },
            (
                State::ReadCard {
                    phase: ReadPhase::WaitCard,
                    ..
                },
                Ui(A::Back),
            ) => State::SelectAuth,
            (
                State::ReadCard {
                    mode: Mode::Pin(pin),
                    phase: ReadPhase::GettingChallenge,
                    ..
                },
                Event::ChallengeIssued(Ok(challenge)),
            ) => {
                out.push(Command::Authenticate {
                    pin,
                    challenge: challenge.clone(),
                });
                read_card_with(
                    Mode::Pin(DigitEntry::default()),
                    ReadPhase::Reading,
                    Some(challenge),
                )
            }
            (
                State::ReadCard {
                    phase: ReadPhase::GettingChallenge,
                    ..
                },
                Event::ChallengeIssued(Err(e)),
            ) => State::ReadFailed(Failure::Center(e)),
            (
                State::ReadCard {
                    mode: Mode::Pin(_),
                    phase: ReadPhase::Reading,
                    challenge: Some(challenge),
                },
                Event::Authenticated(Ok(authentication)),
            ) => {
                debug!("card authenticated");
                out.push(Command::CheckQualificationWithPin {
                    authentication,
                    challenge_id: challenge.id,
                });
                read_card(Mode::Pin(DigitEntry::default()), ReadPhase::AskingCenter)
            }
            (
                State::ReadCard {
                    mode: Mode::Pin(_),
                    phase: ReadPhase::Reading,
                    ..
                },
                Event::Authenticated(Err(e)),
            ) => {
                match e {
                    // A wrong PIN goes back to the patient with the tries left.
                    CardError::WrongPin { tries_left } if tries_left > 0 => State::EnterPin {
                        entry: DigitEntry::default(),
                        tries: Some(tries_left),
                        notice: Some(DigitNotice::WrongPin(tries_left)),
                    },
                    CardError::WrongPin { .. } => {
                        State::ReadFailed(Failure::Card(CardError::PinBlocked))
                    }
                    e => State::ReadFailed(Failure::Card(e)),
                }
            }
            (
                State::ReadCard {
                    mode: Mode::Visual,
                    phase: ReadPhase::Reading,
                    ..
                },
                Event::CertificateRead(Ok(c)),
            ) => {
                debug!("certificate read");
                out.push(Command::CheckQualification(c));
                read_card(Mode::Visual, ReadPhase::AskingCenter)
            }
            (
                State::ReadCard {
                    phase: ReadPhase::Reading,
                    ..
                },
                Event::CertificateRead(Err(e)),
            ) => {
                info!("card read failed: {e:?}");
                State::ReadFailed(Failure::Card(e))
            }
            (
                State::ReadCard {
                    mode,
                    phase: ReadPhase::AskingCenter,
                    ..
                },
                Event::CenterAnswered(Ok(outcome)),
            ) => {
                // The outcome waits behind 次へ no longer than a shown result would.
                self.done_by = Some(self.now.after(RESULT_IDLE_MS));
                read_card(mode, ReadPhase::Done(outcome))
            }
            (
                State::ReadCard {
                    phase: ReadPhase::Done(_),
                    ..
                },
                Event::Tick,
            ) if self.done_by.is_some_and(|at| self.now >= at) => {
                info!("read result dropped after {} s idle", RESULT_IDLE_MS / 1000);
                State::SelectAuth
            }
            (
                State::ReadCard {
                    phase: ReadPhase::AskingCenter,
                    ..
                },
                Event::CenterAnswered(Err(e)),
            ) => {
                info!("center check failed: {}", e.log_name());
                State::ReadFailed(Failure::Center(e))
            }
            (
                State::ReadCard {
                    phase: ReadPhase::Done(outcome),
                    ..
                },
                Ui(A::Next),
            ) => State::ShowResult {
                outcome,
                page: 0,
                closes_at: self.now.after(RESULT_IDLE_MS),
            },

            (State::ReadFailed(Failure::Card(CardError::PinBlocked)), Ui(A::Back)) => {
                State::SelectAuth
            }
            (State::ReadFailed(_), Ui(A::Retry)) if self.settings.visual_check => {
                self.start_visual_read(out)
            }
            (State::ReadFailed(_), Ui(A::Retry)) => State::EnterPin {
                entry: DigitEntry::default(),
                tries: None,
                notice: None,
            },
            (State::ReadFailed(_), Ui(A::Back)) => State::SelectAuth,

            // --- 資格確認結果 --------------------------------------------------------------
            (State::ShowResult { outcome, page, .. }, Ui(A::NextPage)) => State::ShowResult {
                outcome,
                page: page.saturating_add(1),
                closes_at: self.now.after(RESULT_IDLE_MS),
            },
            (State::ShowResult { outcome, page, .. }, Ui(A::PrevPage)) => State::ShowResult {
                outcome,
                page: page.saturating_sub(1),
                closes_at: self.now.after(RESULT_IDLE_MS),
            },
            // 閉じる, or nobody touched the kiosk: the outcome is dropped here, wiping the
            // patient's data.
            (State::ShowResult { .. }, Ui(A::Close)) => State::SelectAuth,
            (State::ShowResult { closes_at, .. }, Event::Tick) if self.now >= closes_at => {
                info!("result closed after {} s idle", RESULT_IDLE_MS / 1000);
                State::SelectAuth
            }

            // --- メニュー ------------------------------------------------------------------
            (State::Menu, Ui(A::Back)) => State::SelectAuth,
            (State::Menu, Ui(A::Menu(MenuItem::ReaderSelect))) => {
                out.push(Command::ListReaders);
                State::ReaderSelect {
                    readers: Vec::new(),
                }
            }
            (State::Menu, Ui(A::Menu(MenuItem::Security))) => State::Security,
            (State::Menu, Ui(A::OpenLink(i))) => {
                if let Some(url) = MENU_LINKS.get(usize::from(i)) {
                    out.push(Command::OpenUrl((*url).to_owned()));
                }
                State::Menu
            }
            (State::ReaderSelect { .. }, Event::Readers(readers)) => {
                State::ReaderSelect { readers }
            }
            (State::ReaderSelect { readers }, Ui(A::SelectReader(i))) => {
                if let Some(name) = readers.get(usize::from(i)) {
                    self.settings.reader = Some(name.clone());
                    out.push(Command::UseReader(Some(name.clone())));
                    out.push(self.save());
                }
                State::ReaderSelect { readers }
            }
            (State::ReaderSelect { .. }, Ui(A::Back)) => State::Menu,

            // --- セキュリティ設定 ----------------------------------------------------------
            (State::Security, Ui(A::Back)) => State::Menu,
            (State::Security, Ui(A::ToggleVisualCheck)) => {
                self.settings.visual_check = !self.settings.visual_check;
                out.push(self.save());
                State::Security
            }
            (State::Security, Ui(A::Menu(MenuItem::ChangePasscode))) => State::CurrentPasscode {
                entry: DigitEntry::default(),
                notice: None,
            },
            (State::Security, Ui(A::Menu(MenuItem::Deregister))) => {
                State::Ask(Question::Deregister)
            }
            (State::Ask(Question::Deregister), Ui(A::Ok)) => State::Ask(Question::DeregisterAgain),
            (State::Ask(Question::DeregisterAgain), Ui(A::Ok)) => {
                // The device forgets everything; the app is unusable until registered again.
                out.push(Command::Deregister);
                self.settings = Settings::default();
                out.push(self.save());
                State::Tell(Message::Deregistered)
            }
            (State::Security, Ui(A::Menu(MenuItem::Logout))) => State::Ask(Question::Logout),
            (State::Ask(Question::Logout), Ui(A::Ok)) => {
                out.push(Command::Logout);
                if let Some(r) = self.settings.registration.as_mut() {
                    r.refresh_token = None;
                }
                out.push(self.save());
                first_screen(&self.settings)
            }
            (
                State::Ask(Question::Deregister | Question::DeregisterAgain | Question::Logout),
                Ui(A::Cancel),
            ) => State::Security,

            // --- 初期登録 --------------------------------------------------------------------
            (State::Register { form, layer, .. }, Ui(A::Submit)) => {
                let (registration, problem) = match registration_of(&form) {
                    Ok(r) => (Some(r), None),
                    Err(p) => (None, Some(p)),
                };
                if let Some(r) = registration {
                    out.push(Command::Register(Box::new(r)));
                }
                State::Register {
                    busy: problem.is_none(),
                    form,
                    layer,
                    problem,
                    refused: None,
                }
            }
            (
                State::Register {
                    form, busy: true, ..
                },
                Event::Enrolled(Ok(e)),
            ) => {
                use register_field as f;
                self.settings.registration = Some(settings::Registration {
                    institution_code: form.value(f::INSTITUTION_CODE),
                    user_id: form.value(f::USER_ID),
                    device_credential: SensitiveText::from(e.device.expose()),
                    refresh_token: Some(SensitiveText::from(e.session.refresh_token.expose())),
                });
                // 目視確認で本人認証 is on after registration (manual P.1).
                self.settings.visual_check = true;
                self.settings.passcode = None;
                out.push(self.save());
                State::Registered
            }
            (
                State::Register {
                    form,
                    layer,
                    busy: true,
                    ..
                },
                Event::Enrolled(Err(e)),
            ) => State::Register {
                form,
                layer,
                problem: None,
                refused: Some(e),
                busy: false,
            },
            (State::Registered, Ui(A::Ok)) => first_screen(&self.settings),

            // --- システムログイン -------------------------------------------------------------
            (State::Login { form, layer, .. }, Ui(A::Submit)) => {
                let problem = (0..2)
                    .find(|&i| form.fields[i].is_empty())
                    .map(FormProblem::Missing)
                    .or_else(|| {
                        UserId::parse(&form.value(0))
                            .err()
                            .map(|_| FormProblem::UserId)
                    });
                let device = self.device();
                match (problem, UserId::parse(&form.value(0)), device) {
                    (None, Ok(user_id), Some(device)) => {
                        out.push(Command::Login {
                            device,
                            user_id,
                            password: Password::new(SensitiveText::new(form.value(1))),
                        });
                        State::Login {
                            form,
                            layer,
                            problem: None,
                            refused: None,
                            busy: true,
                        }
                    }
                    (problem, ..) => State::Login {
                        form,
                        layer,
                        problem,
                        refused: None,
                        busy: false,
                    },
                }
            }
            (State::Login { busy: true, .. }, Event::LoggedIn(Ok(session))) => {
                self.keep_session(&session);
                out.push(self.save());
                if self.settings.passcode.is_none() {
                    first_screen(&self.settings)
                } else {
                    out.push(Command::FetchNotices);
                    State::Starting
                }
            }
            (
                State::Login {
                    form,
                    layer,
                    busy: true,
                    ..
                },
                Event::LoggedIn(Err(e)),
            ) => State::Login {
                form,
                layer,
                problem: None,
                refused: Some(e),
                busy: false,
            },

            // --- Start-up after the passcode: session, version, お知らせ ------------------------
            (State::Starting, Event::SessionRenewed(Ok(session))) => {
                self.keep_session(&session);
                out.push(self.save());
                out.push(Command::CheckVersion);
                State::Starting
            }
            (State::Starting, Event::Version(Ok(info))) => match info.status(Version::running()) {
                UpdateStatus::UpToDate => {
                    out.push(Command::FetchNotices);
                    State::Starting
                }
                UpdateStatus::Available => State::Update {
                    info,
                    required: false,
                },
                UpdateStatus::Required => State::Update {
                    info,
                    required: true,
                },
            },
            (State::Starting, Event::Notices(Ok(list))) => {
                let unread: Vec<Notice> = list.into_iter().filter(|n| !n.read).collect();
                if unread.is_empty() {
                    State::SelectAuth
                } else {
                    State::Notices {
                        list: unread,
                        from_menu: false,
                    }
                }
            }
            (
                State::Starting,
                Event::SessionRenewed(Err(e)) | Event::Version(Err(e)) | Event::Notices(Err(e)),
            ) => State::StartFailed(e),
            (State::StartFailed(_), Ui(A::Retry)) => self.start(out),
            (State::Update { info, required }, Ui(A::OpenDownload)) => {
                out.push(Command::OpenUrl(info.download_url.clone()));
                State::Update { info, required }
            }
            (
                State::Update {
                    required: false, ..
                },
                Ui(A::Close),
            ) => {
                out.push(Command::FetchNotices);
                State::Starting
            }

            // --- お知らせ ------------------------------------------------------------------
            (State::Notices { list, from_menu }, Ui(A::OpenNotice(i))) => {
                if let Some(n) = list.get(usize::from(i)) {
                    out.push(Command::OpenUrl(n.url.clone()));
                }
                State::Notices { list, from_menu }
            }
            (State::Notices { list, from_menu }, Ui(A::Close | A::Back)) => {
                let unread: Vec<NoticeId> = list
                    .iter()
                    .filter(|n| !n.read)
                    .map(|n| n.id.clone())
                    .collect();
                if !unread.is_empty() {
                    out.push(Command::MarkNoticesRead(unread));
                }
                if from_menu {
                    State::Menu
                } else {
                    State::SelectAuth
                }
            }
            (State::Menu, Ui(A::Menu(MenuItem::Notices))) => {
                out.push(Command::FetchNotices);
                State::Notices {
                    list: Vec::new(),
                    from_menu: true,
                }
            }
            (
                State::Notices {
                    from_menu: true, ..
                },
                Event::Notices(Ok(list)),
            ) => State::Notices {
                list,
                from_menu: true,
            },

            // --- アカウントパスワード設定 -----------------------------------------------------
            (State::Security, Ui(A::Menu(MenuItem::AccountPassword))) => password_form(),
            (State::AccountPassword { busy: false, .. }, Ui(A::Back)) => State::Security,
            (State::AccountPassword { form, layer, .. }, Ui(A::Submit)) => {
                let new = form.value(1);
                let problem = (0..3)
                    .find(|&i| form.fields[i].is_empty())
                    .map(FormProblem::Missing)
                    .or_else(|| check_password_rules(&new).err().map(FormProblem::Password))
                    .or_else(|| (new != form.value(2)).then_some(FormProblem::PasswordMismatch));
                if problem.is_none() {
                    out.push(Command::ChangePassword {
                        current: Password::new(SensitiveText::new(form.value(0))),
                        new: Password::new(SensitiveText::new(new)),
                    });
                }
                State::AccountPassword {
                    busy: problem.is_none(),
                    form,
                    layer,
                    problem,
                    refused: None,
                }
            }
            (State::AccountPassword { busy: true, .. }, Event::PasswordChanged(Ok(()))) => {
                State::Tell(Message::PasswordChanged)
            }
            (
                State::AccountPassword {
                    form,
                    layer,
                    busy: true,
                    ..
                },
                Event::PasswordChanged(Err(e)),
            ) => State::AccountPassword {
                form,
                layer,
                problem: None,
                refused: Some(e),
                busy: false,
            },
            (State::Tell(Message::PasswordChanged), Ui(A::Ok)) => State::Security,

            // Anything else leaves the screen as it is: stale worker answers (already
            // dropped, so their data is wiped), keys that mean nothing here.
            (state, event) => {
                debug!("ignored {} in {}", event_name(&event), state.name());
                state
            }
        }
    }

    fn passcode_matches(&self, entry: &DigitEntry) -> bool {
        self.settings
            .passcode
            .as_ref()
            .is_some_and(|p| p.verify(entry.expose()))
    }

    /// A salt for a new passcode hash. The brain has no RNG: the salt is derived from the
    /// current one and the time, which is enough to make two hashes of the same passcode
    /// differ; PBKDF2's cost, not the salt's secrecy, is what slows a guesser.
    fn salt(&self) -> [u8; passcode::SALT_LEN] {
        let mut input = Vec::new();
        if let Some(p) = &self.settings.passcode {
            input.extend_from_slice(p.parts().0);
        }
        input.extend_from_slice(&self.now.0.to_le_bytes());
        let d = ring::digest::digest(&ring::digest::SHA256, &input);
        let mut salt = [0u8; passcode::SALT_LEN];
        salt.copy_from_slice(&d.as_ref()[..passcode::SALT_LEN]);
        salt
    }

    /// Applies a typing action to the form on screen; false if it is not one or no form
    /// waits for typing.
    fn edit_form(&mut self, action: UiAction) -> bool {
        match &mut self.state {
            State::Register {
                form,
                layer,
                busy: false,
                ..
            }
            | State::Login {
                form,
                layer,
                busy: false,
                ..
            }
            | State::AccountPassword {
                form,
                layer,
                busy: false,
                ..
            } => edit(form, layer, action).is_some(),
            _ => false,
        }
    }

    /// After the passcode: renew the session, then check the version and the お知らせ.
    fn start(&self, out: &mut Vec<Command>) -> State {
        let token = self
            .settings
            .registration
            .as_ref()
            .and_then(|r| r.refresh_token.clone())
            .and_then(RefreshToken::parse);
        match (self.device(), token) {
            (Some(device), Some(refresh_token)) => {
                out.push(Command::RenewSession {
                    device,
                    refresh_token,
                });
                State::Starting
            }
            // Not registered or logged out: the start screens handle it.
            _ => first_screen(&self.settings),
        }
    }

    /// This device's credential, as the settings keep it.
    fn device(&self) -> Option<DeviceCredential> {
        let r = self.settings.registration.as_ref()?;
        DeviceCredential::parse(r.device_credential.clone())
    }

    /// Keeps a renewed session's refresh token (single use: the old one is dead).
    fn keep_session(&mut self, session: &Session) {
        if let Some(r) = self.settings.registration.as_mut() {
            r.refresh_token = Some(SensitiveText::from(session.refresh_token.expose()));
        }
    }

    fn save(&self) -> Command {
        Command::SaveSettings(Box::new(self.settings.clone()))
    }

    fn start_visual_read(&self, out: &mut Vec<Command>) -> State {
        out.push(Command::ReadCertificate);
        read_card(Mode::Visual, ReadPhase::Reading)
    }

    fn start_read(&self, mode: Mode, out: &mut Vec<Command>) -> State {
        match mode {
            Mode::Visual => self.start_visual_read(out),
            Mode::Pin(pin) => {
                out.push(Command::GetChallenge);
                read_card(Mode::Pin(pin), ReadPhase::GettingChallenge)
            }
        }
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

/// The screen a device starts on, from what its settings hold: 利用規約 on a fresh device,
/// 初期登録 until registered, システムログイン after a ログアウト, パスコード登録 until a
/// passcode exists, then パスコード入力.
fn first_screen(s: &Settings) -> State {
    match (&s.registration, &s.passcode) {
        _ if !s.terms_accepted => State::Terms,
        (None, _) => register_form(),
        (Some(r), _) if r.refresh_token.is_none() => login_form(),
        (Some(_), None) => State::NewPasscode {
            purpose: PasscodePurpose::Setup,
            entry: DigitEntry::default(),
            notice: None,
        },
        (Some(_), Some(_)) => State::EnterPasscode {
            entry: DigitEntry::default(),
            notice: None,
        },
    }
}

fn register_form() -> State {
    State::Register {
        form: Form::new(&[false, false, true, true]),
        layer: KeyLayer::Lower,
        problem: None,
        refused: None,
        busy: false,
    }
}

fn login_form() -> State {
    State::Login {
        form: Form::new(&[false, true]),
        layer: KeyLayer::Lower,
        problem: None,
        refused: None,
        busy: false,
    }
}

fn password_form() -> State {
    State::AccountPassword {
        form: Form::new(&[true, true, true]),
        layer: KeyLayer::Lower,
        problem: None,
        refused: None,
        busy: false,
    }
}

/// The registration the 初期登録 form describes, or what is wrong with it.
fn registration_of(form: &Form) -> Result<Registration, FormProblem> {
    use register_field as f;
    if let Some(i) = (0..4).find(|&i| form.fields[i].is_empty()) {
        return Err(FormProblem::Missing(i));
    }
    Ok(Registration {
        institution_code: InstitutionCode::parse(&form.value(f::INSTITUTION_CODE))
            .map_err(FormProblem::Code)?,
        user_id: UserId::parse(&form.value(f::USER_ID)).map_err(|_| FormProblem::UserId)?,
        password: Password::new(SensitiveText::new(form.value(f::PASSWORD))),
        activation_code: ActivationCode::parse(&form.value(f::ACTIVATION_CODE))
            .map_err(|_| FormProblem::ActivationCode)?,
    })
}

/// Applies typing and field actions to a form; `None` when the action is not about typing.
fn edit(form: &mut Form, layer: &mut KeyLayer, action: UiAction) -> Option<()> {
    match action {
        UiAction::Type(c) => form.focused()?.insert(c),
        UiAction::Backspace => form.focused()?.backspace(),
        UiAction::CaretLeft => form.focused()?.left(),
        UiAction::CaretRight => form.focused()?.right(),
        UiAction::FocusField(i) => form.focus_on(usize::from(i)),
        UiAction::ToggleReveal(i) => {
            let f = form.fields.get_mut(usize::from(i))?;
            f.revealed = !f.revealed;
        }
        UiAction::KeyboardLayer(l) => *layer = l,
        _ => return None,
    }
    Some(())
}

fn read_card(mode: Mode, phase: ReadPhase) -> State {
    read_card_with(mode, phase, None)
}

fn read_card_with(mode: Mode, phase: ReadPhase, challenge: Option<Challenge>) -> State {
    State::ReadCard {
        mode,
        phase,
        challenge,
    }
}

/// A short name of an event for logs. Never includes data.
fn event_name(event: &Event) -> &'static str {
    match event {
        Event::Ui(action) => action.name(),
        Event::Tick => "tick",
        Event::CardPresence(_) => "card presence",
        Event::Readers(_) => "readers",
        Event::CertificateRead(_) => "certificate read",
        Event::PinTries(_) => "pin tries",
        Event::ChallengeIssued(_) => "challenge",
        Event::Authenticated(_) => "authenticated",
        Event::CenterAnswered(_) => "center answer",
        Event::SettingsNotSaved => "settings not saved",
        Event::Enrolled(_) => "enrolled",
        Event::LoggedIn(_) => "logged in",
        Event::SessionRenewed(_) => "session renewed",
        Event::Version(_) => "version",
        Event::Notices(_) => "notices",
        Event::PasswordChanged(_) => "password changed",
    }
}

#[cfg(test)]
mod tests;
