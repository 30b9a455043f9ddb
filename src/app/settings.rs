//! What the kiosk keeps between runs, as the brain sees it. The shell stores it
//! (`shell::settings`); the brain decides what changes and asks the shell to save it.

use core::fmt;

use super::passcode::PasscodeHash;
use crate::sensitive::SensitiveText;

/// What the kiosk keeps between runs.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// 利用規約 accepted on this device.
    pub terms_accepted: bool,
    /// The registration (初期登録), when the device is registered.
    pub registration: Option<Registration>,
    /// The login passcode's hash, once パスコード登録 is done.
    pub passcode: Option<PasscodeHash>,
    /// 目視確認で本人認証: on after registration.
    pub visual_check: bool,
    /// The card reader chosen in カードリーダー選択, if any.
    pub reader: Option<String>,
    /// Wrong passcodes in a row since the last right one (the gate's count). Kept across
    /// restarts, so restarting the kiosk neither clears the count nor shortens a wait.
    pub passcode_failures: u8,
}

/// Why the settings could not be written, as the brain needs to know it: the band on
/// screen says what to check for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveProblem {
    /// The disk holding the data folder is full.
    Full,
    /// The data folder or file cannot be written (read-only medium, permissions).
    ReadOnly,
    /// Any other failure to write.
    Other,
}

/// A registered device.
#[derive(Clone, PartialEq, Eq)]
pub struct Registration {
    /// 機関コード.
    pub institution_code: String,
    /// The account's user ID (e.g. W0000001).
    pub user_id: String,
    /// The device credential the center issued at registration (secret).
    pub device_credential: SensitiveText,
    /// The session's refresh token; `None` after ログアウト (the next start needs ID and
    /// password).
    pub refresh_token: Option<SensitiveText>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("terms_accepted", &self.terms_accepted)
            .field("registered", &self.registration.is_some())
            .field("passcode_set", &self.passcode.is_some())
            .field("visual_check", &self.visual_check)
            .field("reader", &self.reader)
            .field("passcode_failures", &self.passcode_failures)
            .finish()
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("institution_code", &self.institution_code)
            .field("user_id", &self.user_id)
            .field("logged_in", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}
