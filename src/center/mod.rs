//! The online qualification system (オンライン資格確認等システム): domain model, wire JSON,
//! the protocol client over any transport, the HTTPS transport and, in the demo build, the
//! reference center that implements the server side faithfully (in-process and over HTTPS).
//!
//! The protocol is this project's own (the real API is not public; see PROTOCOL.md); the
//! qualification result keeps the official field set, code tables and formats (see `model`).

pub mod account;
pub mod calls;
pub mod client;
pub mod face;
pub mod info;
pub mod model;
pub mod wire;

#[cfg(feature = "demo")]
pub mod reference;

use core::fmt;

use crate::card::AuthCertificate;

use account::{
    DeviceCredential, Enrollment, Password, RefreshToken, Registration, Session, UserId,
};
use info::{AppVersion, Notice, NoticeId};
use model::{Challenge, ChallengeId, CheckOutcome};

/// What the kiosk asks the center in a qualification check.
#[derive(Clone, Copy)]
pub enum CheckRequest<'a> {
    /// 目視確認: staff compared the card photo with the patient; the certificate only.
    Visual { certificate: &'a AuthCertificate },
    /// 暗証番号: the patient's PIN opened the card, which signed the center's challenge
    /// with the certificate's key (RSASSA-PKCS1-v1_5, SHA-256).
    Pin {
        /// The card's 利用者証明用電子証明書.
        certificate: &'a AuthCertificate,
        /// The card's signature over the challenge's nonce.
        signature: &'a [u8],
        /// Which challenge was signed.
        challenge_id: &'a ChallengeId,
    },
}

impl fmt::Debug for CheckRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckRequest::Visual { certificate } => write!(f, "Visual {{ {certificate:?} }}"),
            CheckRequest::Pin {
                certificate,
                signature,
                challenge_id,
            } => write!(
                f,
                "Pin {{ {certificate:?}, signature: <{} bytes>, {challenge_id:?} }}",
                signature.len()
            ),
        }
    }
}

/// Which part of a TLS handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    /// The center's certificate does not chain to a trusted root (wrong CA, self-signed,
    /// an intercepting proxy).
    UntrustedCertificate,
    /// The certificate is valid but for another host name.
    WrongHost,
    /// The certificate is outside its validity dates, or the device's clock is wrong.
    CertificateDates,
    /// Any other handshake failure (no common protocol version or cipher, a broken peer).
    Handshake,
}

/// Why a center call failed, grouped by cause. Each variant (and each center error code of
/// `Rejected`) maps to one Japanese message in `ui::strings::center_error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CenterError {
    /// The call needs a session and there is none: register or log in first. Nothing was
    /// sent.
    NoSession,
    /// No connection could be made (DNS, refused, network down).
    Unreachable,
    /// The center did not answer within the deadline.
    Timeout,
    /// The TLS handshake failed or the certificate did not verify.
    Tls(TlsFailure),
    /// The connection broke before the whole reply arrived.
    Interrupted,
    /// The center answered with an HTTP error and no error body we understand.
    Server { status: u16 },
    /// The reply was not the JSON the protocol defines.
    Malformed,
    /// The reply was longer than the protocol allows.
    TooLarge,
    /// The center refused the request with a protocol error code and a Japanese message.
    Rejected {
        code: wire::ErrorCode,
        message: String,
    },
}

impl CenterError {
    /// A short name for logs: the variant, or the center's code (a checked ASCII token).
    /// Never holds a message or data.
    pub fn log_name(&self) -> &str {
        match self {
            CenterError::NoSession => "no session",
            CenterError::Unreachable => "unreachable",
            CenterError::Timeout => "timeout",
            CenterError::Tls(TlsFailure::UntrustedCertificate) => "TLS: untrusted certificate",
            CenterError::Tls(TlsFailure::WrongHost) => "TLS: certificate for another host",
            CenterError::Tls(TlsFailure::CertificateDates) => "TLS: certificate dates",
            CenterError::Tls(TlsFailure::Handshake) => "TLS: handshake",
            CenterError::Interrupted => "interrupted",
            CenterError::Server { .. } => "server error",
            CenterError::Malformed => "malformed reply",
            CenterError::TooLarge => "reply too large",
            CenterError::Rejected { code, .. } => code.code(),
        }
    }
}

/// The qualification center as the worker thread sees it: HTTPS in production, the
/// in-process reference center in the demo. Methods block.
///
/// A `Center` holds at most one session: registration, login and refresh open it (the
/// access token stays inside); logout and deregistration close it; every other call except
/// [`Center::app_version`] uses it and fails with [`CenterError::NoSession`] without one.
/// The secrets the kiosk must keep (device credential, refresh token) are returned, never
/// stored here.
pub trait Center: Send {
    /// 初期登録: registers this device with the values of the ユーザ設定情報 sheet and opens
    /// the first session.
    fn register_device(&mut self, registration: &Registration) -> Result<Enrollment, CenterError>;

    /// システムログイン: opens a session on this registered device with ID + password.
    fn login(
        &mut self,
        device: &DeviceCredential,
        user_id: &UserId,
        password: &Password,
    ) -> Result<Session, CenterError>;

    /// パスコード unlock: renews the session with the device credential and the stored
    /// refresh token (rotated: save the returned one and use it instead).
    fn refresh_session(
        &mut self,
        device: &DeviceCredential,
        refresh_token: &RefreshToken,
    ) -> Result<Session, CenterError>;

    /// ログアウト: ends the session at the center (its refresh token dies too). The session
    /// is dropped here even if the center cannot be reached.
    fn logout(&mut self) -> Result<(), CenterError>;

    /// デバイス登録解除: deregisters this device; its sessions end at once and its
    /// credential becomes worthless.
    fn deregister_device(&mut self) -> Result<(), CenterError>;

    /// アカウントパスワード設定: changes the account password.
    fn change_password(&mut self, current: &Password, new: &Password) -> Result<(), CenterError>;

    /// お知らせ: every current notice with this device's read marks.
    fn notices(&mut self) -> Result<Vec<Notice>, CenterError>;

    /// Marks notices read for this device.
    fn mark_notices_read(&mut self, ids: &[NoticeId]) -> Result<(), CenterError>;

    /// バージョン更新: the latest and minimum app versions and the download page. Needs no
    /// session.
    fn app_version(&mut self) -> Result<AppVersion, CenterError>;

    /// A fresh single-use challenge for a 暗証番号 check (valid 2 minutes).
    fn challenge(&mut self) -> Result<Challenge, CenterError>;

    /// Asks for the qualification bound to the card's certificate.
    fn check_qualification(
        &mut self,
        request: &CheckRequest<'_>,
    ) -> Result<CheckOutcome, CenterError>;

    /// Keeps the connection to the center warm while the kiosk is in use (the worker calls
    /// it when idle): sends what is due now, and says how long until something may be due
    /// again (`None`: nothing to keep, wait for the next command).
    fn keep_warm(&mut self) -> Option<std::time::Duration> {
        None
    }
}
