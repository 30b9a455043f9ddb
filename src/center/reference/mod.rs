//! The reference center (demo build only): the server side of protocol v1 (see `wire` and
//! PROTOCOL.md), played in-process ([`LocalCenter`]) for the demo, the screenshots and the
//! tests, and over real HTTPS on loopback ([`server::spawn_https`]) for the client tests.
//! Both answer through [`ReferenceCenter::handle`], so they exercise the same request and
//! response bodies as production.
//!
//! It behaves like the real system where the manual and the research document it:
//! - accounts of the ユーザ設定情報 sheet, the password rules, five wrong passwords lock the
//!   account for 30 minutes, registered devices, sessions with expiring access tokens and
//!   rotating refresh tokens (the previous one works once more, for a kiosk that crashed
//!   before saving the new one), logout, deregistration ([`accounts`]);
//! - お知らせ with read marks per device, the app version;
//! - single-use challenges that expire after 2 minutes, and PIN-mode checks whose
//!   signature is verified with the certificate's key ([`pin`]);
//! - qualification records bound to certificates by (serial number, issuer DN DER), 確認日
//!   in Japan, the certificate-expiry notice and grace period ([`records`]).
//!
//! It does not check revocation or the certificate's own signature (the demo CA is not the
//! J-LIS CA). Its Japanese error messages play the remote system's; the kiosk shows them
//! as-is. Time is an input (`now_unix`), so tests need no waiting.

mod accounts;
pub mod http;
mod pin;
mod records;
pub mod server;

use core::fmt;

use super::account::{ActivationCode, InstitutionCode, Password, Registration, UserId};
use super::calls::{Call, CenterClient, Reply, Transport};
use super::info::{AppVersion, Notice, NoticeId, Version};
use super::model::Date;
use super::wire::{self, account::Grant, DecodedCheck, ErrorCode, RequestError};
use super::{Center, CenterError};
use crate::card::AuthCertificate;
use crate::sensitive::SensitiveText;

pub use accounts::{ACCESS_TOKEN_SECONDS, CHALLENGE_SECONDS, REFRESH_TOKEN_SECONDS};
pub use records::{
    demo_issuer_der, demo_phone_issuer_der, demo_records, demo_taro, Record, DEMO_PHONES,
    DEMO_TARO_SERIAL,
};

/// The demo account's 機関コード (10 digits, valid check digit). Demo data, not a real
/// institution.
pub const DEMO_INSTITUTION_CODE: &str = "1312345679";

/// The demo account's user ID.
pub const DEMO_USER_ID: &str = "W0000001";

/// The demo account's password (follows the manual's rules). Public demo data.
pub const DEMO_PASSWORD: &str = "Myna#Demo2025";

/// The demo account's activation code. Public demo data.
pub const DEMO_ACTIVATION_CODE: &str = "DEMO-MYNA-TEST-0001";

/// Where the demo's notices and download page point: a reserved `.example` name.
const DEMO_SITE: &str = "https://myna-kakunin.example";

/// `ProcessingResultMessage` of the certificate-expiry notice.
const MESSAGE_CERT_EXPIRING: &str =
    "証明書の有効期限が3か月以内となっています。市区町村の窓口で更新手続きをお願いします。";

/// Every endpoint: path and method.
const ROUTES: [(&str, &str); 11] = [
    (wire::DEVICES_PATH, "POST"),
    (wire::CURRENT_DEVICE_PATH, "DELETE"),
    (wire::SESSIONS_PATH, "POST"),
    (wire::SESSION_REFRESH_PATH, "POST"),
    (wire::CURRENT_SESSION_PATH, "DELETE"),
    (wire::PASSWORD_PATH, "PUT"),
    (wire::NOTICES_PATH, "GET"),
    (wire::NOTICES_READ_PATH, "POST"),
    (wire::APP_VERSION_PATH, "GET"),
    (wire::CHALLENGES_PATH, "POST"),
    (wire::CHECK_PATH, "POST"),
];

/// The Japanese message for each error this center answers with.
pub fn error_message(code: &ErrorCode) -> &'static str {
    match code {
        ErrorCode::BadRequest => "要求の形式が正しくありません。",
        ErrorCode::NotFound => "指定された機能はありません。",
        ErrorCode::MethodNotAllowed => "指定された方法では利用できません。",
        ErrorCode::RequestTooLarge => "要求が大きすぎます。",
        ErrorCode::RequestTimeout => "要求の受信が時間内に終わりませんでした。",
        ErrorCode::SessionInvalid => "ログインしていません。ログインし直してください。",
        ErrorCode::SessionExpired => {
            "ログインの有効期間が過ぎました。パスコードを入力し直してください。"
        }
        ErrorCode::RefreshRejected => {
            "ログインの有効期限が切れました。IDとパスワードでログインしてください。"
        }
        ErrorCode::UnknownCertificate => {
            "このマイナンバーカードの電子証明書に紐づく資格情報が登録されていません。"
        }
        ErrorCode::CertificateExpired => {
            "マイナンバーカードの電子証明書の有効期限が切れています。市区町村の窓口で更新手続きをお願いします。"
        }
        ErrorCode::WrongCredentials => {
            "IDまたはパスワードが正しくありません。パスワードを5回間違えると、アカウントがロックされ30分間ログインできなくなります。"
        }
        ErrorCode::AccountLocked => {
            "パスワードを5回間違えたため、アカウントがロックされています。30分後にもう一度お試しください。"
        }
        ErrorCode::PasswordRules => {
            "新しいパスワードが規則に合っていません。英字の大文字・小文字、数字、記号を全て組み合わせ、8文字以上20文字以下で設定してください。"
        }
        ErrorCode::WrongActivationCode => "アクティベーションコードが正しくありません。",
        ErrorCode::WrongInstitutionCode => "機関コードが正しくありません。",
        ErrorCode::DeviceNotRegistered => "この端末は登録されていません。",
        ErrorCode::UnknownNotice => "指定されたお知らせはありません。",
        ErrorCode::ChallengeInvalid => {
            "本人確認の要求が無効です（使用済みまたは不明）。もう一度読み取ってください。"
        }
        ErrorCode::ChallengeExpired => {
            "本人確認の有効時間（2分）が過ぎました。もう一度読み取ってください。"
        }
        ErrorCode::SignatureInvalid => {
            "マイナンバーカードによる本人確認ができませんでした。"
        }
        ErrorCode::Internal | ErrorCode::Unknown(_) => {
            "資格確認センターで障害が発生しました。しばらくしてから再度お試しください。"
        }
    }
}

/// One HTTP request, as far as the center cares.
#[derive(Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method, e.g. `"POST"`.
    pub method: &'a str,
    /// The path, e.g. [`wire::CHECK_PATH`].
    pub path: &'a str,
    /// The bearer token of `Authorization: Bearer`, if any.
    pub bearer: Option<&'a str>,
    /// The body (UTF-8 JSON; empty when there is none).
    pub body: &'a str,
}

impl fmt::Debug for HttpRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HttpRequest {{ {} {}, bearer: {}, body: <{} bytes redacted> }}",
            known_method(self.method),
            known_path(self.path),
            self.bearer.is_some(),
            self.body.len()
        )
    }
}

/// One HTTP response of the center.
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The JSON body (empty for 204); it may hold patient data or tokens.
    pub body: SensitiveText,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HttpResponse {{ status: {}, body: <{} bytes redacted> }}",
            self.status,
            self.body.expose().len()
        )
    }
}

/// The path if it is one of the protocol's (safe to log), else a placeholder.
fn known_path(path: &str) -> &'static str {
    ROUTES
        .iter()
        .find(|(p, _)| *p == path)
        .map_or("(other path)", |(p, _)| p)
}

/// The method if it is a usual one (safe to log), else a placeholder.
fn known_method(method: &str) -> &'static str {
    ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]
        .into_iter()
        .find(|m| *m == method)
        .unwrap_or("(other method)")
}

/// A response with a JSON body.
fn json(status: u16, body: String) -> HttpResponse {
    HttpResponse {
        status,
        body: SensitiveText::new(body),
    }
}

/// A 204 response.
fn no_content() -> HttpResponse {
    json(204, String::new())
}

/// A request body that is not the protocol's.
fn bad_request(error: RequestError) -> ErrorCode {
    log::debug!("reference center: bad request body ({error:?})");
    ErrorCode::BadRequest
}

/// The reference center's state.
pub struct ReferenceCenter {
    records: records::Records,
    accounts: accounts::Accounts,
    notices: Vec<Notice>,
    version: AppVersion,
}

impl Default for ReferenceCenter {
    fn default() -> ReferenceCenter {
        ReferenceCenter::new()
    }
}

impl fmt::Debug for ReferenceCenter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (accounts, devices, sessions) = self.accounts.counts();
        write!(
            f,
            "ReferenceCenter {{ {} records, {accounts} accounts, {devices} devices, {sessions} sessions, {} notices }}",
            self.records.len(),
            self.notices.len()
        )
    }
}

/// The demo account's ユーザ設定情報 sheet.
pub fn demo_registration() -> Registration {
    // The constants above are well-formed; the tests parse them.
    Registration {
        institution_code: InstitutionCode::parse(DEMO_INSTITUTION_CODE)
            .expect("the demo institution code is valid"),
        user_id: UserId::parse(DEMO_USER_ID).expect("the demo user ID is valid"),
        password: Password::new(DEMO_PASSWORD.into()),
        activation_code: ActivationCode::parse(DEMO_ACTIVATION_CODE)
            .expect("the demo activation code is valid"),
    }
}

/// The demo's notices.
fn demo_notices() -> Vec<Notice> {
    let notice = |id: &str, date: &str, title: &str| {
        Some(Notice {
            id: NoticeId::parse(id).ok()?,
            date: Date::parse_yyyymmdd(date)?,
            title: title.to_owned(),
            url: format!("{DEMO_SITE}/notices/{id}"),
            read: false,
        })
    };
    [
        notice(
            "N0001",
            "20261101",
            "【デモ】マイナ資格確認アプリのご利用について",
        ),
        notice(
            "N0002",
            "20261120",
            "【デモ】システムメンテナンスのお知らせ",
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

impl ReferenceCenter {
    /// A center with no records, accounts or notices; the app version is this build's.
    pub fn new() -> ReferenceCenter {
        let running = Version::running();
        ReferenceCenter {
            records: records::Records::default(),
            accounts: accounts::Accounts::default(),
            notices: Vec::new(),
            version: AppVersion {
                latest: running,
                minimum: running,
                download_url: format!("{DEMO_SITE}/download"),
            },
        }
    }

    /// The demo center: a record for every demo card (`tests/pki/cards.txt`), the demo
    /// account ([`demo_registration`]) and two notices.
    pub fn with_demo_records() -> ReferenceCenter {
        let mut center = ReferenceCenter::new();
        let issuer = demo_issuer_der();
        let phone_issuer = demo_phone_issuer_der();
        center.add_phone_issuer(&phone_issuer);
        for (id, serial, record) in demo_records() {
            if DEMO_PHONES.contains(&id) {
                center.bind(serial, &phone_issuer, record);
            } else {
                center.bind(serial, &issuer, record);
            }
        }
        if center.add_account(&demo_registration()).is_err() {
            log::error!("reference center: the demo account could not be made");
        }
        for notice in demo_notices() {
            center.add_notice(notice);
        }
        center
    }

    /// Certificates issued by `issuer_der` are smartphone certificates: no grace period
    /// after they expire (the card's keeps giving 資格情報 for three months).
    pub fn add_phone_issuer(&mut self, issuer_der: &[u8]) {
        self.records.add_phone_issuer(issuer_der);
    }

    /// Binds `record` to the certificate with serial `serial_hex` (hex, any case) issued by
    /// `issuer_der` (the issuer Name, DER), replacing any earlier binding of it.
    pub fn bind(&mut self, serial_hex: &str, issuer_der: &[u8], record: Record) {
        self.records.bind(serial_hex, issuer_der, record);
    }

    /// Adds (or replaces) the account of a ユーザ設定情報 sheet. Fails only when the OS
    /// gives no randomness for the password's salt.
    pub fn add_account(&mut self, sheet: &Registration) -> Result<(), ErrorCode> {
        self.accounts.add_account(sheet)
    }

    /// Adds (or replaces, by ID) a notice; its `read` field is ignored (marks are per
    /// device).
    pub fn add_notice(&mut self, notice: Notice) {
        self.notices.retain(|n| n.id != notice.id);
        self.notices.push(Notice {
            read: false,
            ..notice
        });
    }

    /// Sets what the version endpoint answers.
    pub fn set_app_version(&mut self, version: AppVersion) {
        self.version = version;
    }

    /// Answers one request at `now_unix` (seconds since the Unix epoch).
    pub fn handle(&mut self, request: &HttpRequest<'_>, now_unix: i64) -> HttpResponse {
        let (method, path) = (known_method(request.method), known_path(request.path));
        match self.route(request, now_unix) {
            Ok(response) => {
                log::info!(
                    "reference center: {method} {path}: HTTP {}",
                    response.status
                );
                response
            }
            Err(code) => {
                log::info!(
                    "reference center: {method} {path}: HTTP {}, {}",
                    code.http_status(),
                    code.code()
                );
                json(
                    code.http_status(),
                    wire::encode_error(&code, error_message(&code)),
                )
            }
        }
    }

    /// Routes and answers a request, or says which error to answer with.
    fn route(&mut self, r: &HttpRequest<'_>, now: i64) -> Result<HttpResponse, ErrorCode> {
        let accounts = &mut self.accounts;
        match (r.path, r.method) {
            (wire::DEVICES_PATH, "POST") => {
                let request = wire::account::decode_registration(r.body).map_err(bad_request)?;
                let (credential, issued) = accounts.register(&request, now)?;
                let body = wire::account::encode_enrollment(credential.expose(), &grant(&issued));
                Ok(HttpResponse { status: 201, body })
            }
            (wire::SESSIONS_PATH, "POST") => {
                let request = wire::account::decode_login(r.body).map_err(bad_request)?;
                let issued = accounts.login(&request, now)?;
                Ok(HttpResponse {
                    status: 201,
                    body: wire::account::encode_session(&grant(&issued)),
                })
            }
            (wire::SESSION_REFRESH_PATH, "POST") => {
                let request = wire::account::decode_refresh(r.body).map_err(bad_request)?;
                let issued = accounts.refresh(&request, now)?;
                Ok(HttpResponse {
                    status: 200,
                    body: wire::account::encode_session(&grant(&issued)),
                })
            }
            (wire::CURRENT_SESSION_PATH, "DELETE") => {
                accounts.logout(r.bearer, now)?;
                Ok(no_content())
            }
            (wire::CURRENT_DEVICE_PATH, "DELETE") => {
                accounts.deregister(r.bearer, now)?;
                Ok(no_content())
            }
            (wire::PASSWORD_PATH, "PUT") => {
                // The session first: without one, the body is not even read.
                accounts.authenticate(r.bearer, now)?;
                let request = wire::account::decode_password_change(r.body).map_err(bad_request)?;
                accounts.change_password(r.bearer, &request, now)?;
                Ok(no_content())
            }
            (wire::NOTICES_PATH, "GET") => {
                let device = accounts.authenticate(r.bearer, now)?.device;
                let read = accounts.read_marks(device);
                let notices: Vec<Notice> = self
                    .notices
                    .iter()
                    .map(|n| Notice {
                        read: read.is_some_and(|marks| marks.contains(&n.id)),
                        ..n.clone()
                    })
                    .collect();
                Ok(json(200, wire::info::encode_notices(&notices)))
            }
            (wire::NOTICES_READ_PATH, "POST") => {
                let device = accounts.authenticate(r.bearer, now)?.device;
                let ids = wire::info::decode_mark_read(r.body).map_err(bad_request)?;
                // All or nothing: an unknown ID marks none.
                if !ids
                    .iter()
                    .all(|id| self.notices.iter().any(|n| &n.id == id))
                {
                    return Err(ErrorCode::UnknownNotice);
                }
                accounts.mark_read(device, ids);
                Ok(no_content())
            }
            (wire::APP_VERSION_PATH, "GET") => {
                Ok(json(200, wire::info::encode_app_version(&self.version)))
            }
            (wire::CHALLENGES_PATH, "POST") => {
                let device = accounts.authenticate(r.bearer, now)?.device;
                let challenge = accounts.issue_challenge(device, now)?;
                Ok(json(201, wire::info::encode_challenge(&challenge)))
            }
            (wire::CHECK_PATH, "POST") => self.check(r, now),
            (path, _) if ROUTES.iter().any(|(p, _)| *p == path) => Err(ErrorCode::MethodNotAllowed),
            _ => Err(ErrorCode::NotFound),
        }
    }

    /// The qualification check: session, then (PIN mode) the challenge and the signature,
    /// then the certificate's record.
    fn check(&mut self, r: &HttpRequest<'_>, now: i64) -> Result<HttpResponse, ErrorCode> {
        let device = self.accounts.authenticate(r.bearer, now)?.device;
        let (der, pin) = match wire::decode_check_request(r.body).map_err(bad_request)? {
            DecodedCheck::Visual { certificate } => (certificate, None),
            DecodedCheck::Pin {
                certificate,
                challenge_id,
                signature,
            } => {
                // Any use of a challenge uses it up, whatever follows.
                let nonce = self.accounts.take_challenge(device, &challenge_id, now)?;
                (certificate, Some((nonce, signature)))
            }
        };
        let certificate = AuthCertificate::from_der(der).map_err(|_| ErrorCode::BadRequest)?;
        if let Some((nonce, signature)) = pin {
            let signature = signature.ok_or(ErrorCode::SignatureInvalid)?;
            let spki = certificate.subject_public_key_info();
            if !pin::verify_signature(spki, &nonce, &signature) {
                return Err(ErrorCode::SignatureInvalid);
            }
        }
        let outcome = self.records.answer(&certificate, now)?;
        let message = outcome.cert_expiring.then_some(MESSAGE_CERT_EXPIRING);
        Ok(json(200, wire::encode_outcome(&outcome, message)))
    }
}

/// The wire form of issued tokens.
fn grant(issued: &accounts::Issued) -> Grant<'_> {
    Grant {
        access_token: issued.access.expose(),
        access_valid_seconds: ACCESS_TOKEN_SECONDS,
        refresh_token: issued.refresh.expose(),
        refresh_valid_seconds: REFRESH_TOKEN_SECONDS,
    }
}

/// Carries calls to a [`ReferenceCenter`] in this process: the same JSON bodies and
/// statuses as HTTPS, with the center's time from a clock.
pub struct LocalTransport {
    center: ReferenceCenter,
    clock: Box<dyn FnMut() -> i64 + Send>,
}

impl fmt::Debug for LocalTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LocalTransport {{ {:?} }}", self.center)
    }
}

impl LocalTransport {
    /// The center.
    pub fn center(&self) -> &ReferenceCenter {
        &self.center
    }

    /// The center, mutably (to add records, notices or versions while it runs).
    pub fn center_mut(&mut self) -> &mut ReferenceCenter {
        &mut self.center
    }
}

impl Transport for LocalTransport {
    fn name(&self) -> &'static str {
        "local center"
    }

    fn exchange(&mut self, call: &Call<'_>) -> Result<Reply, CenterError> {
        let now = (self.clock)();
        let request = HttpRequest {
            method: call.method.as_str(),
            path: call.path,
            bearer: call.bearer.map(|token| token.expose()),
            body: call.body.unwrap_or(""),
        };
        let response = self.center.handle(&request, now);
        Ok(Reply {
            status: response.status,
            body: response.body,
        })
    }
}

/// The in-process center: a [`ReferenceCenter`] behind the protocol client.
pub type LocalCenter = CenterClient<LocalTransport>;

impl CenterClient<LocalTransport> {
    /// Serves `center` with `clock` giving the current time in Unix seconds. No session yet.
    pub fn new(center: ReferenceCenter, clock: Box<dyn FnMut() -> i64 + Send>) -> LocalCenter {
        CenterClient::with_transport(LocalTransport { center, clock })
    }

    /// The demo center with this device already registered with the demo account (so a
    /// session is open), as the demo kiosk starts.
    pub fn registered_demo(clock: Box<dyn FnMut() -> i64 + Send>) -> LocalCenter {
        let mut center = LocalCenter::new(ReferenceCenter::with_demo_records(), clock);
        if let Err(error) = center.register_device(&demo_registration()) {
            log::warn!(
                "demo center: registration failed ({}); checks will need a login",
                error.log_name()
            );
        }
        center
    }
}

#[cfg(test)]
mod tests;
