//! The brain's inputs and outputs: what a person does ([`UiAction`]), what the world reports
//! ([`Event`]) and the work the brain asks of the worker and the shell ([`Command`]).

use crate::card::jpki::{CardIdentity, PinAuthentication, PinStatus};
use crate::card::{AuthCertificate, CardError};
use crate::center::account::{
    DeviceCredential, Enrollment, Password, RefreshToken, Registration, Session, UserId,
};
use crate::center::info::{AppVersion, Notice, NoticeId};
use crate::center::model::{Challenge, ChallengeId, CheckOutcome};
use crate::center::CenterError;

use super::passcode::DigitEntry;
use super::settings::{SaveProblem, Settings};

/// Which placement of a card on the reader an answer is about. The brain counts every
/// placement; a card taken off and put back (or another card) is a new one, so a PIN typed
/// for one placement is never sent to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CardId(pub u32);

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
    /// パスコードを忘れた場合 on パスコード入力: unlock with ID and password instead.
    ForgotPasscode,
    /// A touch that hit no control: the person is still there (a shown result stays).
    Touch,
    /// 目視で確認する: staff confirm the patient by the card's photo instead of the PIN (this
    /// one check).
    VisualInstead,
    /// Demo tray: put demo card `index` on the virtual reader (or take it off if it is there).
    DemoToggleCard(u8),
    /// Demo tray: the next (`true`) or previous page of cards.
    DemoTrayPage(bool),
    /// コピー on 資格確認結果: the result onto the system clipboard.
    Copy,
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

/// An input to the brain.
#[derive(Debug)]
pub enum Event {
    /// A person acted on the screen.
    Ui(UiAction),
    /// The clock moved (sent when [`App::next_wakeup`](super::App::next_wakeup) asks for it).
    Tick,
    /// The reader reports a card placed (`true`) or removed (`false`).
    CardPresence(bool),
    /// The readers connected now (カードリーダー選択 lists them).
    Readers(Vec<String>),
    /// The worker finished reading the certificate.
    CertificateRead(Result<AuthCertificate, CardError>),
    /// The card said how many PIN tries are left; `card` is the placement that was asked.
    PinTries {
        /// The placement [`Command::QueryPinTries`] named.
        card: CardId,
        /// Tries left and which card said so, or why the card could not say.
        result: Result<PinStatus, CardError>,
    },
    /// The center handed out a challenge.
    ChallengeIssued(Result<Challenge, CenterError>),
    /// The card verified the PIN, signed the challenge and gave its certificate.
    Authenticated(Result<Box<PinAuthentication>, CardError>),
    /// The worker got the center's answer to a qualification check.
    CenterAnswered(Result<Box<CheckOutcome>, CenterError>),
    /// The settings were written (`Ok`) or could not be (why).
    SettingsSaved(Result<(), SaveProblem>),
    /// The center answered 初期登録.
    Enrolled(Result<Box<Enrollment>, CenterError>),
    /// The center answered システムログイン.
    LoggedIn(Result<Box<Session>, CenterError>),
    /// The center renewed the session with the refresh token.
    SessionRenewed(Result<Box<Session>, CenterError>),
    /// The center said which versions exist.
    Version(Result<AppVersion, CenterError>),
    /// The center listed the お知らせ.
    Notices(Result<Vec<Notice>, CenterError>),
    /// The center changed the account password.
    PasswordChanged(Result<(), CenterError>),
    /// The face file of the shown result was written (`Ok`) or could not be (why).
    Exported(Result<(), ExportProblem>),
    /// The result's copy text is on the clipboard (`Ok`) or could not be put there.
    Copied(Result<(), ClipboardProblem>),
}

/// Why the face file for the レセコン could not be written: the band says what to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportProblem {
    /// The folder (`export_dir=`) does not exist or a share holding it went away.
    FolderMissing,
    /// The folder cannot be written (permissions, read-only medium).
    Denied,
    /// The disk or share is full.
    Full,
    /// Any other failure to write.
    Other,
}

/// Why the copy text could not be put on the clipboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipboardProblem {
    /// No clipboard here (no display connection, or none the kiosk can reach).
    Unavailable,
    /// The clipboard refused (another program holds it open).
    Busy,
}

/// Work for the worker thread or the shell. Commands run in order; most answer with one
/// event.
#[derive(Debug)]
pub enum Command {
    /// Read the user-authentication certificate of the card on the reader.
    ReadCertificate,
    /// Ask the card how many PIN tries are left (no try is used); the answer names `card`.
    QueryPinTries {
        /// The placement being asked about.
        card: CardId,
    },
    /// Ask the center for a single-use challenge.
    GetChallenge,
    /// Verify the PIN, sign the challenge and read the certificate, in one card session.
    /// The PIN buffer is wiped when the command is dropped.
    Authenticate {
        /// The patient's PIN.
        pin: DigitEntry,
        /// What to sign.
        challenge: Challenge,
        /// The card whose tries the pad showed: any other card gets nothing.
        card: CardIdentity,
    },
    /// 目視 on a holder whose certificate needs its PIN (an Android phone): verify the PIN
    /// and read the certificate, in one session; answers [`Event::CertificateRead`]. The PIN
    /// buffer is wiped when the command is dropped.
    ReadCertificateWithPin {
        /// The patient's PIN.
        pin: DigitEntry,
        /// The phone whose tries the pad showed: any other holder gets nothing.
        card: CardIdentity,
    },
    /// 暗証番号 mode on an iPhone (authenticated on the phone): sign the challenge and read
    /// the certificate, no PIN; answers [`Event::Authenticated`].
    AuthenticateOnPhone {
        /// What to sign.
        challenge: Challenge,
        /// The phone that answered before: any other holder gets nothing.
        card: CardIdentity,
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
    /// Write the settings; answers [`Event::SettingsSaved`].
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
    /// Renew the session with the stored refresh token.
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
    /// Open a web page in the browser (never sent in `--kiosk`).
    OpenUrl(String),
    /// End the app: the shell closes the window (the passcode was given).
    Quit,
    /// Demo: put demo card `index` on the virtual reader, replacing any other.
    DemoPlaceCard(u8),
    /// Demo: take the card off the virtual reader.
    DemoRemoveCard,
    /// Write the face file of a result that reached 資格確認結果 into the export folder;
    /// answers [`Event::Exported`]. The worker stamps it with the time in Japan.
    ExportResult {
        /// The center's answer as shown.
        outcome: Box<CheckOutcome>,
        /// MedicalInstitutionCode: the registration's 機関コード.
        institution_code: String,
    },
    /// Put the result's copy text on the clipboard; answers [`Event::Copied`].
    CopyResult(Box<CheckOutcome>),
    /// Take the kiosk's copy text off the clipboard, if the clipboard still holds it.
    ClearClipboard,
}
