//! Every screen of the app as a type. Each state carries only the data of its own screen
//! and phase: a PIN exists only while it is typed or on its way to the card, an outcome only
//! while 読み取り完了 or 資格確認結果 shows it, a deadline only in the phase it ends.

use crate::card::jpki::{CardIdentity, Holder, PinAuthentication};
use crate::card::{AuthCertificate, CardError};
use crate::center::info::{AppVersion, Notice};
use crate::center::model::{ChallengeId, CheckOutcome};
use crate::center::CenterError;

use super::form::Form;
use super::input::{CardId, ClipboardProblem, ExportProblem, KeyLayer};
use super::passcode::DigitEntry;
use super::Millis;

/// Every screen of the app, named after what it waits for.
#[derive(Debug)]
pub enum State {
    /// The settings file is damaged: say so and offer the way back to registration.
    SettingsDamaged,
    /// 利用規約.
    Terms,
    /// 初期登録: the values of the ユーザ設定情報 sheet.
    Register(FormScreen),
    /// 登録完了.
    Registered,
    /// システムログイン: ID and password.
    Login {
        /// ユーザーID, パスワード.
        screen: FormScreen,
        /// Why the kiosk asks (said in one sentence above the form), if not a plain
        /// start after ログアウト.
        reason: Option<LoginReason>,
    },
    /// After the passcode or a login: renewing the session, checking the version,
    /// fetching お知らせ. Nothing can be pressed while it runs.
    Starting,
    /// Start-up could not reach the center; もう一度 can succeed once it answers.
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
        /// The list could not be fetched (said on the screen; 閉じる goes back).
        failed: Option<CenterError>,
    },
    /// アカウントパスワード設定: current, new, new again.
    AccountPassword(FormScreen),
    /// A 4-digit passcode pad that checks the passcode: unlock, セキュリティ設定, the current
    /// passcode before a change, アプリを終了.
    Passcode(PasscodePad),
    /// パスコード登録 / a new passcode.
    NewPasscode {
        /// Why.
        purpose: PasscodePurpose,
        /// Digits typed so far.
        entry: DigitEntry,
        /// Feedback (the confirmation did not match).
        notice: Option<DigitNotice>,
    },
    /// パスコード登録（確認用） / the new passcode again.
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
    /// 暗証番号の入力, for the patient.
    EnterPin(PinPad),
    /// マイナンバーカードの読み取り.
    ReadCard(Check),
    /// The read failed; the screen says what happened and what to do next.
    ReadFailed {
        /// What failed.
        failure: Failure,
        /// Whether reading again can succeed (the main button is もう一度読み取る); when
        /// not, the main button returns to 認証選択.
        retry: bool,
    },
    /// 資格確認結果. Dropping the state drops (and wipes) the patient's data.
    ShowResult(Shown),
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

/// A form screen: its fields, the on-screen keyboard, and what went wrong.
#[derive(Debug, Default)]
pub struct FormScreen {
    /// The fields.
    pub form: Form,
    /// The on-screen keyboard's layer.
    pub layer: KeyLayer,
    /// What is wrong with what was typed.
    pub problem: Option<FormProblem>,
    /// Why the center refused, if it did.
    pub refused: Option<CenterError>,
    /// Waiting for the center: the form takes no typing and no second submit.
    pub busy: bool,
}

/// Why システムログイン is asked for, said in one sentence on the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginReason {
    /// The session could not be renewed (the refresh token expired after 30 idle days, was
    /// revoked, or was lost): ID and password open a new one.
    SessionEnded,
    /// Too many wrong passcodes: ID and password, then a new passcode.
    PasscodeLocked,
    /// パスコードを忘れた場合: ID and password, then a new passcode.
    ForgotPasscode,
}

impl LoginReason {
    /// Whether a new passcode is set after the login.
    pub fn resets_passcode(self) -> bool {
        matches!(
            self,
            LoginReason::PasscodeLocked | LoginReason::ForgotPasscode
        )
    }
}

/// What is wrong with a form, shown beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    /// A required (必須) field is empty; its index.
    Missing(usize),
    /// The 機関コード is not ten digits or its check digit is wrong.
    Code(crate::center::account::InstitutionCodeError),
    /// The ID is not of the form the ユーザ設定情報 sheet gives.
    UserId,
    /// The activation code is not of the form the sheet gives.
    ActivationCode,
    /// The new password breaks the manual's rule.
    Password(crate::center::account::PasswordRuleError),
    /// The new password and its repetition differ.
    PasswordMismatch,
}

/// What a passcode pad opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadPurpose {
    /// パスコード入力: unlock the kiosk.
    Unlock,
    /// セキュリティ設定 sits behind the passcode.
    Security,
    /// ログインパスコード設定: the current passcode first.
    Change,
    /// アプリを終了.
    Quit,
}

/// A passcode pad. Every pad counts towards the same gate.
#[derive(Debug)]
pub struct PasscodePad {
    /// What the right passcode opens.
    pub purpose: PadPurpose,
    /// Digits typed so far.
    pub entry: DigitEntry,
    /// Feedback from the last attempt. (The gate's wait is the app's, across pads:
    /// [`App::gate_seconds_left`](super::App::gate_seconds_left).)
    pub notice: Option<DigitNotice>,
}

/// Why a new passcode is being chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasscodePurpose {
    /// パスコード登録 after 初期登録.
    Setup,
    /// ログインパスコード設定 from セキュリティ設定.
    Change,
    /// After システムログイン that replaced a forgotten or locked passcode.
    Reset,
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
    /// The card was taken off (or changed) before the PIN reached it; the PIN was wiped.
    CardChanged,
}

/// How the holder on the reader proves the patient is there in a 暗証番号 check.
#[derive(Debug)]
pub enum Unlock {
    /// A PIN typed at the kiosk.
    Pin {
        /// The PIN.
        pin: DigitEntry,
        /// A card or an Android phone.
        holder: Holder,
    },
    /// The patient authenticated on the phone (an iPhone): nothing is typed or sent.
    OnPhone,
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
    /// Staff confirm the patient by the card's photo: this one check runs in 目視 mode (the
    /// setting stays as it is).
    VisualOnce,
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
    /// The account password was changed.
    PasswordChanged,
    /// The center no longer knows this device: 初期登録 again.
    DeviceUnknown,
}

/// The patient's PIN pad. Digits are taken only once the card on the reader has said how
/// many tries are left, and the PIN belongs to that placement of that card.
#[derive(Debug)]
pub enum PinPad {
    /// No card on the reader: 「カードをセットしてください」, no digits taken.
    NoCard {
        /// Why the pad is back here, if it is.
        notice: Option<DigitNotice>,
    },
    /// A card is on the reader; its tries are being asked.
    AskingTries {
        /// The placement asked about.
        card: CardId,
    },
    /// The tries are shown; the patient types.
    Typing {
        /// The placement whose tries are shown.
        card: CardId,
        /// A card or an Android phone (whose certificate needs the PIN even in 目視 mode).
        holder: Holder,
        /// Tries left (1–3 on a card that is not blocked); 1 shows the last-try warning.
        tries: u8,
        /// The card itself, as it answered the tries: the PIN goes to it and no other.
        identity: CardIdentity,
        /// Digits typed so far.
        entry: DigitEntry,
        /// Feedback from the last attempt.
        notice: Option<DigitNotice>,
    },
    /// An iPhone: no pad; the patient authenticates on the phone and holds it over the
    /// reader, then 次へ.
    OnPhone {
        /// The placement of the phone.
        card: CardId,
        /// The phone, as it answered.
        identity: CardIdentity,
    },
    /// 暗証番号 mode, and the card's PIN answered blocked before anything was typed (a
    /// 顔認証マイナンバーカード, or a PIN its owner locked): no pad; staff may confirm the
    /// patient by the card's photo and run this one check in 目視 mode.
    Unusable {
        /// The placement of the card.
        card: CardId,
    },
}

/// A qualification check under way on マイナンバーカードの読み取り.
#[derive(Debug)]
pub enum Check {
    /// 目視.
    Visual(VisualRead),
    /// 暗証番号.
    Pin(PinRead),
}

/// A 目視 check, phase by phase.
#[derive(Debug)]
pub enum VisualRead {
    /// Waiting for a card, or for 読み取る with the card of the last check still there.
    WaitCard,
    /// The worker reads the certificate.
    Reading,
    /// The worker verifies the PIN of a holder whose certificate needs it (an Android
    /// phone) and reads the certificate (the PIN is with the worker).
    ReadingWithPin {
        /// The placement the PIN was sent to.
        card: CardId,
        /// The phone itself (a wrong PIN goes back to its pad).
        identity: CardIdentity,
    },
    /// The center is asked; the certificate is kept to ask once more after a renewal.
    Asking {
        /// What was sent.
        certificate: AuthCertificate,
    },
    /// 読み取り完了.
    Done(Done),
}

/// A 暗証番号 check, phase by phase.
#[derive(Debug)]
pub enum PinRead {
    /// The center is asked for a challenge; the PIN (or the phone) waits for it.
    Challenge {
        /// The patient's PIN for `card` only, or the phone's own authentication.
        pin: Unlock,
        /// The placement whose tries were shown.
        card: CardId,
        /// The card itself, as it answered the tries.
        identity: CardIdentity,
    },
    /// The card verifies the PIN and signs (the PIN is with the worker).
    Signing {
        /// The placement the PIN was sent to.
        card: CardId,
        /// A card or an Android phone (a wrong PIN goes back to its pad).
        holder: Holder,
        /// The card itself (a wrong PIN goes back to its pad).
        identity: CardIdentity,
        /// The challenge being signed.
        challenge_id: ChallengeId,
    },
    /// The center checks the signature and answers.
    Asking {
        /// The card's proof, kept to ask once more after a renewal.
        authentication: Box<PinAuthentication>,
        /// The challenge that was signed.
        challenge_id: ChallengeId,
    },
    /// 読み取り完了.
    Done(Done),
}

/// 読み取り完了: the outcome waits behind 次へ, no longer than a shown result would.
#[derive(Debug)]
pub struct Done {
    /// The center's answer.
    pub outcome: Box<CheckOutcome>,
    /// When it is dropped if nobody presses 次へ.
    pub drop_at: Millis,
}

/// 資格確認結果 on screen.
#[derive(Debug)]
pub struct Shown {
    /// The center's answer.
    pub outcome: Box<CheckOutcome>,
    /// Which page of the table is shown (the screen clamps it).
    pub page: u8,
    /// When the result closes by itself if nobody touches it.
    pub closes_at: Millis,
    /// The face file for the レセコン (`export_dir=`): how its writing went.
    pub export: ExportStatus,
    /// コピー: whether the last press put the text on the clipboard.
    pub copy: Option<Result<(), ClipboardProblem>>,
}

/// The face file of a shown result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportStatus {
    /// No export folder is configured: nothing is written.
    Off,
    /// The worker is writing it.
    Writing,
    /// Written (renamed to its final name).
    Written,
    /// Not written; the band says what to check.
    Failed(ExportProblem),
}

/// Why a read failed, for the error screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The card or reader failed.
    Card(CardError),
    /// The center failed or refused.
    Center(CenterError),
}

impl Failure {
    /// Whether reading the card again can succeed. A blocked PIN, an expired certificate
    /// or a certificate the center does not know give the same answer however often they
    /// are read.
    pub fn can_retry(&self) -> bool {
        use crate::center::wire::ErrorCode as C;
        match self {
            Failure::Card(
                CardError::PinBlocked | CardError::PhonePinBlocked | CardError::UnknownHolder,
            ) => false,
            Failure::Card(_) => true,
            Failure::Center(CenterError::Rejected { code, .. }) => {
                !matches!(code, C::CertificateExpired | C::UnknownCertificate)
            }
            Failure::Center(_) => true,
        }
    }
}

/// What the view needs of a check's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadView {
    /// Waiting for the card (読み取る).
    WaitCard,
    /// The card is being read.
    Reading,
    /// The center is being asked.
    Asking,
    /// 読み取り完了.
    Done,
}

impl Check {
    /// The phase as the screen shows it.
    pub fn view(&self) -> ReadView {
        match self {
            Check::Visual(VisualRead::WaitCard) => ReadView::WaitCard,
            Check::Visual(VisualRead::Reading | VisualRead::ReadingWithPin { .. })
            | Check::Pin(PinRead::Signing { .. }) => ReadView::Reading,
            Check::Pin(PinRead::Challenge { .. }) => ReadView::Reading,
            Check::Visual(VisualRead::Asking { .. }) | Check::Pin(PinRead::Asking { .. }) => {
                ReadView::Asking
            }
            Check::Visual(VisualRead::Done(_)) | Check::Pin(PinRead::Done(_)) => ReadView::Done,
        }
    }

    /// 読み取り完了's outcome, while it waits.
    pub fn done(&self) -> Option<&Done> {
        match self {
            Check::Visual(VisualRead::Done(d)) | Check::Pin(PinRead::Done(d)) => Some(d),
            _ => None,
        }
    }
}
