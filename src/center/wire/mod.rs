//! The center protocol, version 1: JSON over HTTPS. `PROTOCOL.md` is the reference; this
//! module holds the bodies of every endpoint, both sides of each (the client encodes
//! requests and parses replies; the reference center decodes requests and encodes replies).
//!
//! The real オンライン資格確認等システム interface is not public, so the transport, paths,
//! request bodies and error codes are this project's own. The qualification result keeps the
//! official tag names of 別紙3-1 (`ResultOfQualificationConfirmation` and friends), their
//! code tables (OQSCD006/007/009/010/015) and formats (`YYYYMMDD`, 3-digit percent ratios).
//!
//! - Accounts, devices and sessions: [`account`] (registration, login, refresh, password).
//! - Notices, app version and challenges: [`info`].
//! - The qualification check, the error body and base64: here.
//!
//! # Qualification check
//!
//! `POST /v1/qualification-checks` with the session's bearer token:
//!
//! ```json
//! {"mode":"visual","certificate":"<base64 of the 利用者証明用電子証明書, DER>"}
//! {"mode":"pin","certificate":"…","challenge_id":"…","signature":"<base64>"}
//! ```
//!
//! Success is HTTP 200 with the MessageBody of 別紙3-1, flattened:
//!
//! ```json
//! {"QualificationConfirmationDate":"20231201","ProcessingResultStatus":"1",
//!  "ProcessingResultCode":null,"ProcessingResultMessage":null,
//!  "QualificationValidity":"1","ResultOfQualificationConfirmation":{...}}
//! ```
//!
//! - `ProcessingResultStatus` (OQSCD004) is `"1"` 正常終了. `"2"` (an error for this person)
//!   carries an error code in `ProcessingResultCode` and a Japanese message; the client
//!   treats it like an error body.
//! - On success `ProcessingResultCode` is set only for 付帯情報: [`NOTICE_CERT_EXPIRING`]
//!   (`MK-I0001`) says the card's certificate expires within three months.
//! - `ResultOfQualificationConfirmation` is `null` when `QualificationValidity` is `"4"`
//!   該当資格なし (and may be for `"5"` 複数該当); it is required for every other validity.
//!
//! Optional values are written as `null`; a missing key means the same. Every scalar is a
//! JSON string; unknown keys are ignored.
//!
//! # Errors: any non-2xx status
//!
//! ```json
//! {"error":{"code":"MK-E2001","message":"<Japanese, shown to staff as-is>"}}
//! ```
//!
//! The codes ([`ErrorCode`]) are synthetic: the `MK-` prefix marks this project's own codes,
//! not the official 処理結果コード of 別紙6-1 (which are not public).

pub mod account;
pub mod info;

use miniserde::{json, Deserialize, Serialize};

use super::model::{
    BackSide, CardClassification, ChallengeId, CheckOutcome, Date, ElderlyCertificate, Preschool,
    Qualification, Ratio, Relation, Sex, Validity,
};
use super::{CenterError, CheckRequest};
use crate::sensitive::{wipe_vec, SensitiveText};

/// `POST`: 初期登録 (device registration).
pub const DEVICES_PATH: &str = "/v1/devices";
/// `DELETE`: デバイス登録解除 of the session's device.
pub const CURRENT_DEVICE_PATH: &str = "/v1/devices/current";
/// `POST`: システムログイン.
pub const SESSIONS_PATH: &str = "/v1/sessions";
/// `POST`: session refresh (passcode unlock).
pub const SESSION_REFRESH_PATH: &str = "/v1/sessions/refresh";
/// `DELETE`: ログアウト.
pub const CURRENT_SESSION_PATH: &str = "/v1/sessions/current";
/// `PUT`: アカウントパスワード設定.
pub const PASSWORD_PATH: &str = "/v1/account/password";
/// `GET`: お知らせ with this device's read marks.
pub const NOTICES_PATH: &str = "/v1/notices";
/// `POST`: marks notices read for this device.
pub const NOTICES_READ_PATH: &str = "/v1/notices/read";
/// `GET`: app version (no session needed).
pub const APP_VERSION_PATH: &str = "/v1/app-version";
/// `POST`: a fresh challenge for a 暗証番号 check.
pub const CHALLENGES_PATH: &str = "/v1/challenges";
/// `POST`: the qualification check.
pub const CHECK_PATH: &str = "/v1/qualification-checks";

/// `ProcessingResultCode` of a successful check whose card certificate expires within three
/// months (or is in its post-expiry grace period): the 付帯情報 of §5.2.
pub const NOTICE_CERT_EXPIRING: &str = "MK-I0001";

/// Longest center message (in characters) passed on to the screen; longer ones are cut.
const MAX_MESSAGE_CHARS: usize = 200;

/// Longest error code accepted, so that an unknown code is safe to log and show.
const MAX_CODE_LEN: usize = 16;

/// How the patient was identified before the check (the request's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckMode {
    /// `"visual"`: 目視確認, staff compared the card's photo with the patient.
    Visual,
    /// `"pin"`: 暗証番号, the card signed the center's challenge after the patient's PIN.
    Pin,
}

impl CheckMode {
    /// The protocol value.
    pub fn code(self) -> &'static str {
        match self {
            CheckMode::Visual => "visual",
            CheckMode::Pin => "pin",
        }
    }

    /// The mode for a protocol value; `None` for anything else.
    pub fn from_code(code: &str) -> Option<CheckMode> {
        match code {
            "visual" => Some(CheckMode::Visual),
            "pin" => Some(CheckMode::Pin),
            _ => None,
        }
    }
}

/// This project's own error codes (synthetic: the `MK-` prefix is ours; these are not the
/// official 別紙6-1 処理結果コード, which are not public). Grouped by the thousands digit:
/// 1 request and session, 2 qualification, 3 account, 4 device, 5 notices, 6 PIN check,
/// 9 the center itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// `MK-E1001` (HTTP 400): the request is not the protocol's (JSON, fields, HTTP framing).
    BadRequest,
    /// `MK-E1002` (HTTP 404): no such endpoint.
    NotFound,
    /// `MK-E1003` (HTTP 405): the endpoint exists but not for this method.
    MethodNotAllowed,
    /// `MK-E1004` (HTTP 413): the request is larger than the center accepts.
    RequestTooLarge,
    /// `MK-E1005` (HTTP 408): the request did not arrive in time.
    RequestTimeout,
    /// `MK-E1101` (HTTP 401): no session, or it ended (logout, deregistration).
    SessionInvalid,
    /// `MK-E1102` (HTTP 401): the session's access token expired; refresh it.
    SessionExpired,
    /// `MK-E1103` (HTTP 401): the refresh token is unknown, used, revoked or expired; log in
    /// with ID + password.
    RefreshRejected,
    /// `MK-E2001` (HTTP 404): no qualification is bound to this certificate.
    UnknownCertificate,
    /// `MK-E2002` (HTTP 403): the certificate expired and its grace period (three months
    /// after the end of the month of expiry) is over.
    CertificateExpired,
    /// `MK-E3001` (HTTP 401): the ID or the password is wrong.
    WrongCredentials,
    /// `MK-E3002` (HTTP 423): five wrong passwords locked the account for 30 minutes.
    AccountLocked,
    /// `MK-E3003` (HTTP 422): the new password breaks the rules of the manual (p.10).
    PasswordRules,
    /// `MK-E4001` (HTTP 403): the activation code is not the account's.
    WrongActivationCode,
    /// `MK-E4002` (HTTP 422): the 機関コード has a wrong check digit or is not the account's.
    WrongInstitutionCode,
    /// `MK-E4003` (HTTP 401): the device is not registered (or was deregistered).
    DeviceNotRegistered,
    /// `MK-E5001` (HTTP 404): no notice has this ID.
    UnknownNotice,
    /// `MK-E6001` (HTTP 403): the challenge is unknown, already used, or another device's.
    ChallengeInvalid,
    /// `MK-E6002` (HTTP 403): the challenge expired (2 minutes).
    ChallengeExpired,
    /// `MK-E6003` (HTTP 403): the signature is missing or does not verify with the
    /// certificate's key.
    SignatureInvalid,
    /// `MK-E9001` (HTTP 500): the center failed.
    Internal,
    /// A well-formed code this version does not know (forward compatibility): `MK-`
    /// followed by at most 13 ASCII letters, digits or hyphens.
    Unknown(String),
}

impl ErrorCode {
    /// Every code this version knows (not [`ErrorCode::Unknown`]).
    pub const KNOWN: [ErrorCode; 21] = [
        ErrorCode::BadRequest,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::RequestTooLarge,
        ErrorCode::RequestTimeout,
        ErrorCode::SessionInvalid,
        ErrorCode::SessionExpired,
        ErrorCode::RefreshRejected,
        ErrorCode::UnknownCertificate,
        ErrorCode::CertificateExpired,
        ErrorCode::WrongCredentials,
        ErrorCode::AccountLocked,
        ErrorCode::PasswordRules,
        ErrorCode::WrongActivationCode,
        ErrorCode::WrongInstitutionCode,
        ErrorCode::DeviceNotRegistered,
        ErrorCode::UnknownNotice,
        ErrorCode::ChallengeInvalid,
        ErrorCode::ChallengeExpired,
        ErrorCode::SignatureInvalid,
        ErrorCode::Internal,
    ];

    /// The protocol value, e.g. `"MK-E2001"`.
    pub fn code(&self) -> &str {
        match self {
            ErrorCode::BadRequest => "MK-E1001",
            ErrorCode::NotFound => "MK-E1002",
            ErrorCode::MethodNotAllowed => "MK-E1003",
            ErrorCode::RequestTooLarge => "MK-E1004",
            ErrorCode::RequestTimeout => "MK-E1005",
            ErrorCode::SessionInvalid => "MK-E1101",
            ErrorCode::SessionExpired => "MK-E1102",
            ErrorCode::RefreshRejected => "MK-E1103",
            ErrorCode::UnknownCertificate => "MK-E2001",
            ErrorCode::CertificateExpired => "MK-E2002",
            ErrorCode::WrongCredentials => "MK-E3001",
            ErrorCode::AccountLocked => "MK-E3002",
            ErrorCode::PasswordRules => "MK-E3003",
            ErrorCode::WrongActivationCode => "MK-E4001",
            ErrorCode::WrongInstitutionCode => "MK-E4002",
            ErrorCode::DeviceNotRegistered => "MK-E4003",
            ErrorCode::UnknownNotice => "MK-E5001",
            ErrorCode::ChallengeInvalid => "MK-E6001",
            ErrorCode::ChallengeExpired => "MK-E6002",
            ErrorCode::SignatureInvalid => "MK-E6003",
            ErrorCode::Internal => "MK-E9001",
            ErrorCode::Unknown(code) => code,
        }
    }

    /// The code for a protocol value: a known one, else [`ErrorCode::Unknown`] if it is
    /// well-formed, else `None`.
    pub fn from_code(code: &str) -> Option<ErrorCode> {
        if let Some(known) = ErrorCode::KNOWN.into_iter().find(|k| k.code() == code) {
            return Some(known);
        }
        is_code_token(code).then(|| ErrorCode::Unknown(code.to_owned()))
    }

    /// The HTTP status the center answers with for this code (500 for an unknown code).
    pub fn http_status(&self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::SessionInvalid
            | ErrorCode::SessionExpired
            | ErrorCode::RefreshRejected
            | ErrorCode::WrongCredentials
            | ErrorCode::DeviceNotRegistered => 401,
            ErrorCode::CertificateExpired
            | ErrorCode::WrongActivationCode
            | ErrorCode::ChallengeInvalid
            | ErrorCode::ChallengeExpired
            | ErrorCode::SignatureInvalid => 403,
            ErrorCode::NotFound | ErrorCode::UnknownCertificate | ErrorCode::UnknownNotice => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::RequestTimeout => 408,
            ErrorCode::RequestTooLarge => 413,
            ErrorCode::PasswordRules | ErrorCode::WrongInstitutionCode => 422,
            ErrorCode::AccountLocked => 423,
            ErrorCode::Internal | ErrorCode::Unknown(_) => 500,
        }
    }

    /// Whether this code says the session is gone, so the client drops its access token.
    pub fn ends_session(&self) -> bool {
        matches!(
            self,
            ErrorCode::SessionInvalid | ErrorCode::SessionExpired | ErrorCode::DeviceNotRegistered
        )
    }
}

/// Whether `code` looks like one of this protocol's codes (`MK-` + letters, digits, `-`).
fn is_code_token(code: &str) -> bool {
    code.len() <= MAX_CODE_LEN
        && code.len() > 3
        && code.starts_with("MK-")
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Why a request body was refused (server side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestError {
    /// Not the request JSON, or a required field is missing.
    Json,
    /// A `mode` this version does not know.
    UnknownMode,
    /// A binary field (certificate, signature) is not strict base64.
    Base64,
    /// A field is not of its format (an ID, a code, a token).
    Format,
    /// A field that the mode does not use is present (a signature on a 目視 check).
    UnexpectedField,
}

/// Why a string is not strict base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidBase64;

/// The standard base64 alphabet (RFC 4648 §4).
const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes `bytes` as standard base64 with `=` padding.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        // `chunks` never yields an empty slice, so `chunk[0]` exists.
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(BASE64_ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The value of one base64 symbol.
fn base64_value(symbol: u8) -> Option<u32> {
    let value = match symbol {
        b'A'..=b'Z' => symbol - b'A',
        b'a'..=b'z' => symbol - b'a' + 26,
        b'0'..=b'9' => symbol - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

/// Decodes standard base64 strictly: length a multiple of 4, only the standard alphabet,
/// `=` only as one or two final padding symbols, no whitespace, and unused bits zero (so
/// each byte string has exactly one accepted encoding).
pub fn base64_decode(text: &str) -> Result<Vec<u8>, InvalidBase64> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return Err(InvalidBase64);
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let quads = bytes.len() / 4;
    for (index, quad) in bytes.chunks(4).enumerate() {
        let padding = quad.iter().rev().take_while(|&&b| b == b'=').count();
        if padding > 2 || (padding > 0 && index + 1 != quads) {
            return Err(InvalidBase64);
        }
        let mut n = 0u32;
        for &symbol in &quad[..4 - padding] {
            n = (n << 6) | base64_value(symbol).ok_or(InvalidBase64)?;
        }
        match padding {
            0 => out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]),
            1 => {
                // 18 bits: 16 of data, the last 2 must be zero.
                if n & 0b11 != 0 {
                    return Err(InvalidBase64);
                }
                out.extend_from_slice(&[(n >> 10) as u8, (n >> 2) as u8]);
            }
            _ => {
                // 12 bits: 8 of data, the last 4 must be zero.
                if n & 0b1111 != 0 {
                    return Err(InvalidBase64);
                }
                out.push((n >> 4) as u8);
            }
        }
    }
    Ok(out)
}

/// Overwrites a string's bytes and empties it.
pub(crate) fn wipe_string(text: &mut String) {
    let mut bytes = core::mem::take(text).into_bytes();
    wipe_vec(&mut bytes);
}

/// Overwrites an optional string's bytes.
pub(crate) fn wipe_option(text: &mut Option<String>) {
    if let Some(text) = text {
        wipe_string(text);
    }
}

/// The check request body.
#[derive(Serialize, Deserialize)]
struct RequestBody {
    mode: String,
    certificate: String,
    challenge_id: Option<String>,
    signature: Option<String>,
}

/// The success body (MessageBody of 別紙3-1, flattened).
#[derive(Serialize, Deserialize)]
struct ResponseBody {
    #[serde(rename = "QualificationConfirmationDate")]
    confirmation_date: Option<String>,
    #[serde(rename = "ProcessingResultStatus")]
    status: Option<String>,
    #[serde(rename = "ProcessingResultCode")]
    code: Option<String>,
    #[serde(rename = "ProcessingResultMessage")]
    message: Option<String>,
    #[serde(rename = "QualificationValidity")]
    validity: Option<String>,
    #[serde(rename = "ResultOfQualificationConfirmation")]
    result: Option<ResultBody>,
}

/// ResultOfQualificationConfirmation, the fields the limited-type app shows.
#[derive(Serialize, Deserialize)]
struct ResultBody {
    #[serde(rename = "InsuredCardClassification")]
    card_classification: Option<String>,
    #[serde(rename = "InsurerNumber")]
    insurer_number: Option<String>,
    #[serde(rename = "InsurerName")]
    insurer_name: Option<String>,
    #[serde(rename = "InsuredCardSymbol")]
    symbol: Option<String>,
    #[serde(rename = "InsuredIdentificationNumber")]
    number: Option<String>,
    #[serde(rename = "InsuredBranchNumber")]
    branch: Option<String>,
    #[serde(rename = "NameKana")]
    name_kana: Option<String>,
    #[serde(rename = "Name")]
    name: Option<String>,
    #[serde(rename = "Birthdate")]
    birthdate: Option<String>,
    #[serde(rename = "Sex1")]
    sex: Option<String>,
    #[serde(rename = "InsuredCardValidDate")]
    valid_from: Option<String>,
    #[serde(rename = "InsuredCardExpirationDate")]
    valid_until: Option<String>,
    #[serde(rename = "QualificationDate")]
    qualified_on: Option<String>,
    #[serde(rename = "InsuredPartialContributionRatio")]
    ratio: Option<String>,
    #[serde(rename = "PersonalFamilyClassification")]
    relation: Option<String>,
    #[serde(rename = "InsuredName")]
    insured_name: Option<String>,
    #[serde(rename = "PreschoolClassification")]
    preschool: Option<String>,
    #[serde(rename = "NameOfOther")]
    other_name: Option<String>,
    #[serde(rename = "NameOfOtherKana")]
    other_name_kana: Option<String>,
    #[serde(rename = "Sex2")]
    other_sex: Option<String>,
    #[serde(rename = "ElderlyRecipientCertificateInfo")]
    elderly: Option<ElderlyBody>,
}

impl Drop for ResultBody {
    fn drop(&mut self) {
        // Patient data: whatever was not moved into the model is overwritten here.
        for text in [
            &mut self.insurer_number,
            &mut self.insurer_name,
            &mut self.symbol,
            &mut self.number,
            &mut self.branch,
            &mut self.name_kana,
            &mut self.name,
            &mut self.birthdate,
            &mut self.valid_from,
            &mut self.valid_until,
            &mut self.qualified_on,
            &mut self.insured_name,
            &mut self.other_name,
            &mut self.other_name_kana,
        ] {
            wipe_option(text);
        }
    }
}

/// ElderlyRecipientCertificateInfo.
#[derive(Serialize, Deserialize)]
struct ElderlyBody {
    #[serde(rename = "ElderlyRecipientValidStartDate")]
    valid_from: Option<String>,
    #[serde(rename = "ElderlyRecipientValidEndDate")]
    valid_until: Option<String>,
    #[serde(rename = "ElderlyRecipientContributionRatio")]
    ratio: Option<String>,
}

/// The error body.
#[derive(Serialize, Deserialize)]
struct ErrorBody {
    error: Option<ErrorDetail>,
}

/// The error body's `error` object.
#[derive(Serialize, Deserialize)]
struct ErrorDetail {
    code: Option<String>,
    message: Option<String>,
}

/// The request body for `request` (client side).
pub fn encode_check_request(request: &CheckRequest<'_>) -> String {
    let body = match request {
        CheckRequest::Visual { certificate } => RequestBody {
            mode: CheckMode::Visual.code().to_owned(),
            certificate: base64_encode(certificate.der()),
            challenge_id: None,
            signature: None,
        },
        CheckRequest::Pin {
            certificate,
            signature,
            challenge_id,
        } => RequestBody {
            mode: CheckMode::Pin.code().to_owned(),
            certificate: base64_encode(certificate.der()),
            challenge_id: Some(challenge_id.as_str().to_owned()),
            signature: Some(base64_encode(signature)),
        },
    };
    json::to_string(&body)
}

/// A check request as the center reads it (server side).
#[derive(Clone, PartialEq, Eq)]
pub enum DecodedCheck {
    /// 目視確認.
    Visual {
        /// The certificate's DER (not parsed yet).
        certificate: Vec<u8>,
    },
    /// 暗証番号.
    Pin {
        /// The certificate's DER (not parsed yet).
        certificate: Vec<u8>,
        /// The challenge that was signed.
        challenge_id: ChallengeId,
        /// The signature; `None` when the request carries none (refused as an invalid
        /// signature, not as a malformed request).
        signature: Option<Vec<u8>>,
    },
}

impl core::fmt::Debug for DecodedCheck {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DecodedCheck::Visual { .. } => f.write_str("DecodedCheck::Visual"),
            DecodedCheck::Pin { signature, .. } => write!(
                f,
                "DecodedCheck::Pin {{ signature: {} }}",
                if signature.is_some() {
                    "present"
                } else {
                    "missing"
                }
            ),
        }
    }
}

/// The check request in a body (server side). Visual checks must not carry a challenge
/// or a signature; PIN checks need a challenge ID.
pub fn decode_check_request(body: &str) -> Result<DecodedCheck, RequestError> {
    let request: RequestBody = json::from_str(body).map_err(|_| RequestError::Json)?;
    let mode = CheckMode::from_code(&request.mode).ok_or(RequestError::UnknownMode)?;
    let certificate = base64_decode(&request.certificate).map_err(|_| RequestError::Base64)?;
    match mode {
        CheckMode::Visual => {
            if request.challenge_id.is_some() || request.signature.is_some() {
                return Err(RequestError::UnexpectedField);
            }
            Ok(DecodedCheck::Visual { certificate })
        }
        CheckMode::Pin => {
            let challenge_id = request.challenge_id.as_deref().ok_or(RequestError::Json)?;
            let challenge_id =
                ChallengeId::parse(challenge_id).map_err(|_| RequestError::Format)?;
            let signature = match request.signature.as_deref() {
                None | Some("") => None,
                Some(text) => Some(base64_decode(text).map_err(|_| RequestError::Base64)?),
            };
            Ok(DecodedCheck::Pin {
                certificate,
                challenge_id,
                signature,
            })
        }
    }
}

/// The error body for `code` with a Japanese `message` for staff (server side).
pub fn encode_error(code: &ErrorCode, message: &str) -> String {
    json::to_string(&ErrorBody {
        error: Some(ErrorDetail {
            code: Some(code.code().to_owned()),
            message: Some(message.to_owned()),
        }),
    })
}

/// The success body for `outcome` (server side). `message` becomes
/// `ProcessingResultMessage` (the Japanese text of a notice, if any); the notice code
/// [`NOTICE_CERT_EXPIRING`] is set when `outcome.cert_expiring`.
pub fn encode_outcome(outcome: &CheckOutcome, message: Option<&str>) -> String {
    let body = ResponseBody {
        confirmation_date: Some(outcome.confirmation_date.to_yyyymmdd()),
        status: Some("1".to_owned()),
        code: outcome
            .cert_expiring
            .then(|| NOTICE_CERT_EXPIRING.to_owned()),
        message: message.map(str::to_owned),
        validity: Some(outcome.validity.code().to_owned()),
        result: outcome.qualification.as_ref().map(result_body),
    };
    json::to_string(&body)
}

/// The wire form of a qualification.
fn result_body(q: &Qualification) -> ResultBody {
    let text = |t: &SensitiveText| Some(t.expose().to_owned());
    let optional = |t: &Option<SensitiveText>| t.as_ref().map(|t| t.expose().to_owned());
    let date = |d: &Option<Date>| d.as_ref().map(Date::to_yyyymmdd);
    let back = q.back.as_ref();
    ResultBody {
        card_classification: Some(q.card_classification.code().to_owned()),
        insurer_number: text(&q.insurer_number),
        insurer_name: text(&q.insurer_name),
        symbol: optional(&q.symbol),
        number: text(&q.number),
        branch: optional(&q.branch),
        name_kana: text(&q.name_kana),
        name: text(&q.name),
        birthdate: Some(q.birthdate.to_yyyymmdd()),
        sex: Some(q.sex.code().to_owned()),
        valid_from: date(&q.valid_from),
        valid_until: date(&q.valid_until),
        qualified_on: date(&q.qualified_on),
        ratio: q.ratio.map(Ratio::code),
        relation: q.relation.map(|r| r.code().to_owned()),
        insured_name: optional(&q.insured_name),
        preschool: q.preschool.map(|p| p.code().to_owned()),
        other_name: back.and_then(|b| optional(&b.name)),
        other_name_kana: back.and_then(|b| optional(&b.name_kana)),
        other_sex: back.and_then(|b| b.sex.map(|s| s.code().to_owned())),
        elderly: q.elderly.as_ref().map(|e| ElderlyBody {
            valid_from: date(&e.valid_from),
            valid_until: date(&e.valid_until),
            ratio: Some(e.ratio.code()),
        }),
    }
}

/// The outcome of a check from the center's HTTP status and body (client side; used by
/// the HTTPS client and the in-process center alike).
///
/// - 2xx: the success body, validated field by field; any bad code, date or missing
///   required field is [`CenterError::Malformed`]. `ProcessingResultStatus` `"2"` is
///   [`CenterError::Rejected`] with its code and message.
/// - Otherwise: an error body is [`CenterError::Rejected`]; anything else is
///   [`CenterError::Server`] with the status.
pub fn parse_check_response(status: u16, body: &str) -> Result<CheckOutcome, CenterError> {
    if !is_success(status) {
        return Err(error_reply(status, body));
    }
    let mut response: ResponseBody = json::from_str(body).map_err(|_| CenterError::Malformed)?;
    match response.status.as_deref() {
        Some("1") => {}
        Some("2") => {
            let code = response.code.as_deref();
            return Err(
                rejection(code, response.message.as_deref()).unwrap_or(CenterError::Malformed)
            );
        }
        _ => return Err(CenterError::Malformed),
    }
    let confirmation_date = required_date(&response.confirmation_date)?;
    let validity = response
        .validity
        .as_deref()
        .and_then(Validity::from_code)
        .ok_or(CenterError::Malformed)?;
    let cert_expiring = match response.code.as_deref() {
        None => false,
        Some(NOTICE_CERT_EXPIRING) => true,
        Some(other) if is_code_token(other) => {
            log::info!("center notice {other} not known to this version; ignored");
            false
        }
        Some(_) => return Err(CenterError::Malformed),
    };
    let qualification = match response.result.as_mut() {
        Some(result) => Some(qualification(result)?),
        None => None,
    };
    let consistent = match validity {
        Validity::NoQualification => qualification.is_none(),
        Validity::MultipleMatches => true,
        _ => qualification.is_some(),
    };
    if !consistent {
        return Err(CenterError::Malformed);
    }
    Ok(CheckOutcome {
        confirmation_date,
        validity,
        cert_expiring,
        qualification,
    })
}

/// Whether `status` is a success (2xx).
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// The error a non-2xx reply stands for: the error body's rejection if the body is one,
/// else [`CenterError::Server`] with the status.
pub fn error_reply(status: u16, body: &str) -> CenterError {
    parse_error_body(body).unwrap_or(CenterError::Server { status })
}

/// A reply's result: `parse` reads a 2xx body; any other status is [`error_reply`].
pub fn parse_reply<T>(
    status: u16,
    body: &str,
    parse: impl FnOnce(&str) -> Result<T, CenterError>,
) -> Result<T, CenterError> {
    if is_success(status) {
        parse(body)
    } else {
        Err(error_reply(status, body))
    }
}

/// A reply that carries nothing on success (HTTP 204, or any 2xx whose body is ignored).
pub fn parse_empty_reply(status: u16, body: &str) -> Result<(), CenterError> {
    parse_reply(status, body, |_| Ok(()))
}

/// Logs the result of a check with codes only, never patient data or the center's
/// message.
pub(crate) fn log_result(via: &str, result: &Result<CheckOutcome, CenterError>) {
    match result {
        Ok(outcome) => log::info!(
            "{via}: qualification validity {}, certificate expiring {}",
            outcome.validity.code(),
            outcome.cert_expiring
        ),
        Err(error) => log::info!("{via}: qualification check failed: {}", error.log_name()),
    }
}

/// The rejection an error body describes, if it is one.
fn parse_error_body(body: &str) -> Option<CenterError> {
    let error: ErrorBody = json::from_str(body).ok()?;
    let detail = error.error?;
    rejection(detail.code.as_deref(), detail.message.as_deref())
}

/// A [`CenterError::Rejected`] from a code and message, if both are usable.
fn rejection(code: Option<&str>, message: Option<&str>) -> Option<CenterError> {
    let code = ErrorCode::from_code(code?)?;
    Some(CenterError::Rejected {
        code,
        message: display_message(message?),
    })
}

/// A center message made safe to show: control characters become spaces and it is cut
/// to [`MAX_MESSAGE_CHARS`] characters.
fn display_message(message: &str) -> String {
    message
        .chars()
        .take(MAX_MESSAGE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Moves a required text field into the model: present, not empty, no control characters.
pub(crate) fn required_text(field: &mut Option<String>) -> Result<SensitiveText, CenterError> {
    optional_text(field)?
        .filter(|text| !text.is_empty())
        .ok_or(CenterError::Malformed)
}

/// Moves an optional text field into the model; control characters are refused.
pub(crate) fn optional_text(
    field: &mut Option<String>,
) -> Result<Option<SensitiveText>, CenterError> {
    match field.take() {
        None => Ok(None),
        Some(text) => {
            let text = SensitiveText::new(text);
            if text.expose().chars().any(char::is_control) {
                return Err(CenterError::Malformed);
            }
            Ok(Some(text))
        }
    }
}

/// A required `YYYYMMDD` field.
pub(crate) fn required_date(field: &Option<String>) -> Result<Date, CenterError> {
    field
        .as_deref()
        .and_then(Date::parse_yyyymmdd)
        .ok_or(CenterError::Malformed)
}

/// An optional `YYYYMMDD` field.
fn optional_date(field: &Option<String>) -> Result<Option<Date>, CenterError> {
    match field.as_deref() {
        None => Ok(None),
        Some(text) => Date::parse_yyyymmdd(text)
            .map(Some)
            .ok_or(CenterError::Malformed),
    }
}

/// An optional coded field.
fn optional_code<T>(
    field: &Option<String>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, CenterError> {
    match field.as_deref() {
        None => Ok(None),
        Some(code) => parse(code).map(Some).ok_or(CenterError::Malformed),
    }
}

/// Whether `number` is a 保険者番号: 8 digits, or 6 digits (国保) alone or right-aligned to
/// 8 with two half-width spaces.
fn is_insurer_number(number: &str) -> bool {
    let digits = number.strip_prefix("  ").unwrap_or(number);
    let all_digits = digits.bytes().all(|b| b.is_ascii_digit());
    all_digits && (digits.len() == 6 || (digits.len() == 8 && digits.len() == number.len()))
}

/// Whether `branch` is a 枝番: exactly two ASCII digits.
fn is_branch_number(branch: &str) -> bool {
    branch.len() == 2 && branch.bytes().all(|b| b.is_ascii_digit())
}

/// The model form of a ResultOfQualificationConfirmation, moving its strings out.
fn qualification(r: &mut ResultBody) -> Result<Qualification, CenterError> {
    let card_classification = r
        .card_classification
        .as_deref()
        .and_then(CardClassification::from_code)
        .ok_or(CenterError::Malformed)?;
    let insurer_number = required_text(&mut r.insurer_number)?;
    if !is_insurer_number(insurer_number.expose()) {
        return Err(CenterError::Malformed);
    }
    let branch = optional_text(&mut r.branch)?;
    if branch
        .as_ref()
        .is_some_and(|b| !is_branch_number(b.expose()))
    {
        return Err(CenterError::Malformed);
    }
    let preschool = optional_code(&r.preschool, Preschool::from_code)?;
    let back = BackSide {
        name_kana: optional_text(&mut r.other_name_kana)?,
        name: optional_text(&mut r.other_name)?,
        sex: optional_code(&r.other_sex, Sex::from_code)?,
    };
    let back =
        (back.name_kana.is_some() || back.name.is_some() || back.sex.is_some()).then_some(back);
    let elderly = match &r.elderly {
        None => None,
        Some(e) => Some(ElderlyCertificate {
            valid_from: optional_date(&e.valid_from)?,
            valid_until: optional_date(&e.valid_until)?,
            ratio: e
                .ratio
                .as_deref()
                .and_then(Ratio::from_code)
                .ok_or(CenterError::Malformed)?,
        }),
    };
    Ok(Qualification {
        card_classification,
        insurer_number,
        insurer_name: required_text(&mut r.insurer_name)?,
        symbol: optional_text(&mut r.symbol)?,
        number: required_text(&mut r.number)?,
        branch,
        name_kana: required_text(&mut r.name_kana)?,
        name: required_text(&mut r.name)?,
        birthdate: required_date(&r.birthdate)?,
        sex: r
            .sex
            .as_deref()
            .and_then(Sex::from_code)
            .ok_or(CenterError::Malformed)?,
        valid_from: optional_date(&r.valid_from)?,
        valid_until: optional_date(&r.valid_until)?,
        qualified_on: optional_date(&r.qualified_on)?,
        ratio: optional_code(&r.ratio, Ratio::from_code)?,
        relation: optional_code(&r.relation, Relation::from_code)?,
        insured_name: optional_text(&mut r.insured_name)?,
        preschool,
        back,
        elderly,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::AuthCertificate;

    const TARO_DER: &[u8] = include_bytes!("../../../tests/pki/cards/taro.cert.der");

    fn date(text: &str) -> Date {
        Date::parse_yyyymmdd(text).unwrap()
    }

    fn sample() -> Qualification {
        Qualification {
            card_classification: CardClassification::Regular,
            insurer_number: "12345678".into(),
            insurer_name: "限定資格保険組合".into(),
            symbol: Some("医国３４０".into()),
            number: "０２８２‐００１".into(),
            branch: Some("02".into()),
            name_kana: "ｼｶｸ ﾀﾛｳ".into(),
            name: "資格　太郎".into(),
            birthdate: date("19520101"),
            sex: Sex::Male,
            valid_from: Some(date("20250401")),
            valid_until: Some(date("20270331")),
            qualified_on: Some(date("20250401")),
            ratio: Ratio::from_code("010"),
            relation: Some(Relation::Family),
            insured_name: Some("資格 一郎".into()),
            preschool: Some(Preschool::BeforeCompulsoryEducation),
            back: Some(BackSide {
                name_kana: Some("タシカク タロウ".into()),
                name: Some("他資格 太郎".into()),
                sex: Some(Sex::Female),
            }),
            elderly: Some(ElderlyCertificate {
                valid_from: Some(date("20250401")),
                valid_until: None,
                ratio: Ratio::from_code("020").unwrap(),
            }),
        }
    }

    fn outcome(validity: Validity, qualification: Option<Qualification>) -> CheckOutcome {
        CheckOutcome {
            confirmation_date: date("20251201"),
            validity,
            cert_expiring: false,
            qualification,
        }
    }

    /// A valid success body with one field of the result replaced by raw JSON.
    fn with_field(key: &str, raw_value: &str) -> String {
        let body = encode_outcome(&outcome(Validity::Valid, Some(sample())), None);
        let start = body.find(&format!("\"{key}\":")).unwrap() + key.len() + 3;
        let rest = &body[start..];
        let end = if let Some(string) = rest.strip_prefix('"') {
            string.find('"').unwrap() + 2
        } else if rest.starts_with('{') {
            rest.find('}').unwrap() + 1
        } else {
            rest.find([',', '}']).unwrap()
        };
        format!("{}{}{}", &body[..start], raw_value, &rest[end..])
    }

    fn assert_malformed(body: &str) {
        assert_eq!(
            parse_check_response(200, body),
            Err(CenterError::Malformed),
            "{body}"
        );
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
            assert_eq!(base64_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base64_encode(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    #[test]
    fn base64_round_trips_every_byte_and_length() {
        let bytes: Vec<u8> = (0..=255).collect();
        for len in 0..bytes.len() {
            let encoded = base64_encode(&bytes[..len]);
            assert_eq!(base64_decode(&encoded).unwrap(), &bytes[..len], "{len}");
        }
        assert_eq!(base64_decode(&base64_encode(TARO_DER)).unwrap(), TARO_DER);
    }

    #[test]
    fn base64_decode_is_strict() {
        for bad in [
            "Zg",
            "Zg=",
            "Zm9",
            "Zg===",
            "Z===",
            "====",
            "Zg==Zg==",
            "Zm9v\n",
            " Zm9v",
            "Zm 9v",
            "Zm9v=",
            "Zh==",
            "Zm9=",
            "Zm-v",
            "Zm_v",
            "Zm9\u{ff56}",
            "=Zm9",
        ] {
            assert_eq!(base64_decode(bad), Err(InvalidBase64), "{bad:?}");
        }
    }

    #[test]
    fn request_round_trips() {
        let certificate = AuthCertificate::from_der(TARO_DER.to_vec()).unwrap();
        let body = encode_check_request(&CheckRequest::Visual {
            certificate: &certificate,
        });
        assert!(
            body.starts_with(r#"{"mode":"visual","certificate":"MII"#),
            "{body}"
        );
        assert!(
            body.ends_with(r#"","challenge_id":null,"signature":null}"#),
            "{body}"
        );
        assert_eq!(
            decode_check_request(&body),
            Ok(DecodedCheck::Visual {
                certificate: TARO_DER.to_vec()
            })
        );
    }

    #[test]
    fn pin_request_round_trips() {
        let certificate = AuthCertificate::from_der(TARO_DER.to_vec()).unwrap();
        let challenge_id = ChallengeId::parse("c0ffee01").unwrap();
        let body = encode_check_request(&CheckRequest::Pin {
            certificate: &certificate,
            signature: &[1, 2, 3, 4],
            challenge_id: &challenge_id,
        });
        assert!(
            body.starts_with(r#"{"mode":"pin","certificate":"MII"#),
            "{body}"
        );
        assert!(
            body.ends_with(r#"","challenge_id":"c0ffee01","signature":"AQIDBA=="}"#),
            "{body}"
        );
        assert_eq!(
            decode_check_request(&body),
            Ok(DecodedCheck::Pin {
                certificate: TARO_DER.to_vec(),
                challenge_id: challenge_id.clone(),
                signature: Some(vec![1, 2, 3, 4]),
            })
        );
        // No signature (null, empty or absent) is read as missing, for the center to refuse.
        for missing in [
            body.replace(r#""AQIDBA==""#, "null"),
            body.replace(r#""AQIDBA==""#, r#""""#),
            body.replace(r#","signature":"AQIDBA==""#, ""),
        ] {
            assert_eq!(
                decode_check_request(&missing),
                Ok(DecodedCheck::Pin {
                    certificate: TARO_DER.to_vec(),
                    challenge_id: challenge_id.clone(),
                    signature: None,
                }),
                "{missing}"
            );
        }
        let shown = format!("{:?}", decode_check_request(&body).unwrap());
        assert!(
            !shown.contains("MII") && shown.contains("present"),
            "{shown}"
        );
    }

    #[test]
    fn bad_requests_are_refused() {
        assert_eq!(decode_check_request("{"), Err(RequestError::Json));
        assert_eq!(
            decode_check_request(r#"{"mode":"visual"}"#),
            Err(RequestError::Json)
        );
        assert_eq!(
            decode_check_request(r#"{"mode":"face","certificate":"Zm9v"}"#),
            Err(RequestError::UnknownMode)
        );
        assert_eq!(
            decode_check_request(r#"{"mode":"visual","certificate":"Zm9"}"#),
            Err(RequestError::Base64)
        );
        assert_eq!(
            decode_check_request(r#"{"mode":"visual","certificate":"Zm9v","signature":"Zm9v"}"#),
            Err(RequestError::UnexpectedField)
        );
        assert_eq!(
            decode_check_request(r#"{"mode":"visual","certificate":"Zm9v","challenge_id":"a"}"#),
            Err(RequestError::UnexpectedField)
        );
        assert_eq!(
            decode_check_request(r#"{"mode":"pin","certificate":"Zm9v","signature":"Zm9v"}"#),
            Err(RequestError::Json)
        );
        assert_eq!(
            decode_check_request(r#"{"mode":"pin","certificate":"Zm9v","challenge_id":"a b"}"#),
            Err(RequestError::Format)
        );
        assert_eq!(
            decode_check_request(
                r#"{"mode":"pin","certificate":"Zm9v","challenge_id":"a","signature":"Zm9"}"#
            ),
            Err(RequestError::Base64)
        );
    }

    #[test]
    fn outcome_round_trips_with_every_field() {
        let original = outcome(Validity::Valid, Some(sample()));
        let body = encode_outcome(&original, None);
        assert_eq!(parse_check_response(200, &body), Ok(original.clone()));
        let q = parse_check_response(200, &body)
            .unwrap()
            .qualification
            .unwrap();
        // 全角 and half-width kana strings come back byte for byte.
        assert_eq!(
            q.symbol.as_ref().unwrap().expose().as_bytes(),
            "医国３４０".as_bytes()
        );
        assert_eq!(q.number.expose().as_bytes(), "０２８２‐００１".as_bytes());
        assert_eq!(q.name.expose().as_bytes(), "資格　太郎".as_bytes());
        assert_eq!(q.name_kana.expose().as_bytes(), "ｼｶｸ ﾀﾛｳ".as_bytes());
    }

    #[test]
    fn wire_uses_the_official_names_and_formats() {
        let body = encode_outcome(&outcome(Validity::Valid, Some(sample())), None);
        for expected in [
            r#""QualificationConfirmationDate":"20251201""#,
            r#""ProcessingResultStatus":"1""#,
            r#""ProcessingResultCode":null"#,
            r#""QualificationValidity":"1""#,
            r#""InsuredCardClassification":"01""#,
            r#""InsurerNumber":"12345678""#,
            r#""InsuredBranchNumber":"02""#,
            r#""Birthdate":"19520101""#,
            r#""Sex1":"1""#,
            r#""InsuredCardValidDate":"20250401""#,
            r#""InsuredCardExpirationDate":"20270331""#,
            r#""QualificationDate":"20250401""#,
            r#""InsuredPartialContributionRatio":"010""#,
            r#""PersonalFamilyClassification":"2""#,
            r#""InsuredName":"資格 一郎""#,
            r#""PreschoolClassification":"1""#,
            r#""NameOfOther":"他資格 太郎""#,
            r#""NameOfOtherKana":"タシカク タロウ""#,
            r#""Sex2":"2""#,
            r#""ElderlyRecipientValidStartDate":"20250401""#,
            r#""ElderlyRecipientValidEndDate":null"#,
            r#""ElderlyRecipientContributionRatio":"020""#,
        ] {
            assert!(body.contains(expected), "{expected} not in {body}");
        }
    }

    #[test]
    fn cert_expiring_notice_round_trips() {
        let mut original = outcome(Validity::Valid, Some(sample()));
        original.cert_expiring = true;
        let body = encode_outcome(
            &original,
            Some("証明書の有効期限が3か月以内となっています。"),
        );
        assert!(
            body.contains(r#""ProcessingResultCode":"MK-I0001""#),
            "{body}"
        );
        assert!(parse_check_response(200, &body).unwrap().cert_expiring);
        let unknown_notice = body.replace("MK-I0001", "MK-I0099");
        assert!(
            !parse_check_response(200, &unknown_notice)
                .unwrap()
                .cert_expiring
        );
        assert_malformed(&body.replace("MK-I0001", "bad code"));
    }

    #[test]
    fn absent_optional_fields_and_back_side() {
        let mut q = sample();
        q.symbol = None;
        q.branch = None;
        q.valid_from = None;
        q.ratio = None;
        q.relation = None;
        q.insured_name = None;
        q.preschool = None;
        q.back = None;
        q.elderly = None;
        let original = outcome(Validity::Invalid, Some(q));
        let body = encode_outcome(&original, None);
        assert_eq!(parse_check_response(200, &body), Ok(original));
        // Missing keys mean the same as null.
        let sparse = body
            .replace(r#""InsuredCardSymbol":null,"#, "")
            .replace(r#","ElderlyRecipientCertificateInfo":null"#, "");
        assert_ne!(sparse, body);
        assert!(parse_check_response(200, &sparse).is_ok());
    }

    #[test]
    fn back_side_is_present_when_any_item_is() {
        let mut q = sample();
        q.back = Some(BackSide {
            name_kana: None,
            name: None,
            sex: Some(Sex::Unset),
        });
        let original = outcome(Validity::Valid, Some(q));
        let parsed = parse_check_response(200, &encode_outcome(&original, None)).unwrap();
        assert_eq!(parsed, original);
    }

    #[test]
    fn no_qualification_has_no_result() {
        let none = outcome(Validity::NoQualification, None);
        let body = encode_outcome(&none, None);
        assert!(
            body.contains(r#""ResultOfQualificationConfirmation":null"#),
            "{body}"
        );
        assert_eq!(parse_check_response(200, &body), Ok(none));
        let multiple = outcome(Validity::MultipleMatches, None);
        assert_eq!(
            parse_check_response(200, &encode_outcome(&multiple, None)),
            Ok(multiple)
        );
        // Inconsistent: validity 4 with a result, validity 1 without one.
        assert_malformed(&encode_outcome(
            &outcome(Validity::NoQualification, Some(sample())),
            None,
        ));
        assert_malformed(&encode_outcome(&outcome(Validity::Valid, None), None));
    }

    #[test]
    fn every_code_table_value_crosses_the_wire() {
        for validity in Validity::ALL {
            let q = (validity != Validity::NoQualification).then(sample);
            let original = outcome(validity, q);
            assert_eq!(
                parse_check_response(200, &encode_outcome(&original, None)),
                Ok(original)
            );
        }
        for classification in CardClassification::ALL {
            let mut q = sample();
            q.card_classification = classification;
            let original = outcome(Validity::Valid, Some(q));
            assert_eq!(
                parse_check_response(200, &encode_outcome(&original, None)),
                Ok(original)
            );
        }
        for sex in Sex::ALL {
            let mut q = sample();
            q.sex = sex;
            let original = outcome(Validity::Valid, Some(q));
            assert_eq!(
                parse_check_response(200, &encode_outcome(&original, None)),
                Ok(original)
            );
        }
        for relation in Relation::ALL {
            let mut q = sample();
            q.relation = Some(relation);
            let original = outcome(Validity::Valid, Some(q));
            assert_eq!(
                parse_check_response(200, &encode_outcome(&original, None)),
                Ok(original)
            );
        }
    }

    #[test]
    fn bad_codes_and_dates_are_malformed() {
        for (key, value) in [
            ("QualificationValidity", r#""7""#),
            ("QualificationValidity", "1"),
            ("QualificationConfirmationDate", r#""20231301""#),
            ("QualificationConfirmationDate", r#""2023-12-01""#),
            ("ProcessingResultStatus", r#""9""#),
            ("ProcessingResultStatus", "null"),
            ("InsuredCardClassification", r#""08""#),
            ("InsuredCardClassification", "null"),
            ("InsurerNumber", r#""1234567""#),
            ("InsurerNumber", r#""1234567a""#),
            ("InsurerNumber", r#""１２３４５６７８""#),
            ("InsurerName", r#""""#),
            ("InsurerName", "null"),
            ("InsuredBranchNumber", r#""2""#),
            ("InsuredBranchNumber", r#""０２""#),
            ("Name", "null"),
            ("Name", r#""資格\n太郎""#),
            ("NameKana", "null"),
            ("InsuredIdentificationNumber", "null"),
            ("Birthdate", r#""19520230""#),
            ("Birthdate", "null"),
            ("Sex1", r#""0""#),
            ("Sex1", "1"),
            ("Sex2", r#""4""#),
            ("InsuredCardValidDate", r#""20250431""#),
            ("InsuredCardExpirationDate", r#""2027033""#),
            ("QualificationDate", r#""abc""#),
            ("InsuredPartialContributionRatio", r#""abc""#),
            ("InsuredPartialContributionRatio", r#""15""#),
            ("PersonalFamilyClassification", r#""3""#),
            ("PreschoolClassification", r#""2""#),
            ("ElderlyRecipientContributionRatio", r#""025""#),
            ("ElderlyRecipientContributionRatio", "null"),
            ("ElderlyRecipientValidStartDate", r#""20250001""#),
        ] {
            assert_malformed(&with_field(key, value));
        }
    }

    #[test]
    fn six_digit_kokuho_insurer_numbers_are_accepted() {
        for number in [r#""123456""#, r#""  123456""#] {
            let body = with_field("InsurerNumber", number);
            assert!(parse_check_response(200, &body).is_ok(), "{body}");
        }
        for bad in [r#"" 123456""#, r#""   123456""#, r#""  12345678""#] {
            assert_malformed(&with_field("InsurerNumber", bad));
        }
    }

    #[test]
    fn malformed_json_is_malformed() {
        for bad in [
            "",
            "{",
            "null",
            "[]",
            "<html>",
            r#"{"QualificationValidity":"1"}"#,
        ] {
            assert_malformed(bad);
        }
        // A string where an object belongs.
        assert_malformed(&with_field("ElderlyRecipientCertificateInfo", r#""x""#));
    }

    #[test]
    fn error_bodies_are_rejections() {
        let body = encode_error(
            &ErrorCode::UnknownCertificate,
            "資格情報が登録されていません。",
        );
        assert_eq!(
            body,
            r#"{"error":{"code":"MK-E2001","message":"資格情報が登録されていません。"}}"#
        );
        assert_eq!(
            parse_check_response(404, &body),
            Err(CenterError::Rejected {
                code: ErrorCode::UnknownCertificate,
                message: "資格情報が登録されていません。".into(),
            })
        );
        for code in ErrorCode::KNOWN {
            let parsed = parse_check_response(code.http_status(), &encode_error(&code, "x"));
            assert_eq!(
                parsed,
                Err(CenterError::Rejected {
                    code,
                    message: "x".into()
                })
            );
        }
    }

    #[test]
    fn known_codes_are_distinct_project_codes_with_error_statuses() {
        let codes: std::collections::HashSet<_> = ErrorCode::KNOWN
            .iter()
            .map(|c| c.code().to_owned())
            .collect();
        assert_eq!(codes.len(), ErrorCode::KNOWN.len());
        for code in ErrorCode::KNOWN {
            assert!(code.code().starts_with("MK-E") && is_code_token(code.code()));
            assert!((400..600).contains(&code.http_status()), "{code:?}");
            assert_eq!(ErrorCode::from_code(code.code()), Some(code));
        }
        let ending: Vec<_> = ErrorCode::KNOWN
            .into_iter()
            .filter(ErrorCode::ends_session)
            .collect();
        assert_eq!(
            ending,
            [
                ErrorCode::SessionInvalid,
                ErrorCode::SessionExpired,
                ErrorCode::DeviceNotRegistered
            ]
        );
    }

    #[test]
    fn replies_are_parsed_by_status() {
        assert_eq!(parse_empty_reply(204, ""), Ok(()));
        assert_eq!(parse_empty_reply(200, "anything"), Ok(()));
        let error = encode_error(&ErrorCode::AccountLocked, "ロック中");
        assert_eq!(
            parse_empty_reply(423, &error),
            Err(CenterError::Rejected {
                code: ErrorCode::AccountLocked,
                message: "ロック中".into()
            })
        );
        assert_eq!(
            parse_empty_reply(502, ""),
            Err(CenterError::Server { status: 502 })
        );
        assert_eq!(
            parse_reply(201, "x", |body| Ok(body.len())),
            Ok(1),
            "any 2xx goes to the parser"
        );
        assert_eq!(
            parse_reply(301, "x", |body| Ok(body.len())),
            Err(CenterError::Server { status: 301 })
        );
    }

    #[test]
    fn unknown_well_formed_codes_are_kept_for_forward_compatibility() {
        let body = r#"{"error":{"code":"MK-E7777","message":"新しいエラー"}}"#;
        assert_eq!(
            parse_check_response(409, body),
            Err(CenterError::Rejected {
                code: ErrorCode::Unknown("MK-E7777".into()),
                message: "新しいエラー".into(),
            })
        );
        assert_eq!(ErrorCode::from_code("MK-E7777").unwrap().code(), "MK-E7777");
        for bad in [
            "",
            "MK-",
            "E2001",
            "MK-E2001 ",
            "MK-E20011234567890",
            "MK-E\u{3000}",
        ] {
            assert_eq!(ErrorCode::from_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn unusable_error_bodies_are_server_errors() {
        for body in [
            "",
            "<html>Bad Gateway</html>",
            r#"{"error":{"code":"MK-E2001"}}"#,
            r#"{"error":{"message":"x"}}"#,
            r#"{"error":{"code":"not a code","message":"x"}}"#,
            r#"{"error":null}"#,
        ] {
            assert_eq!(
                parse_check_response(502, body),
                Err(CenterError::Server { status: 502 }),
                "{body}"
            );
        }
    }

    #[test]
    fn center_messages_are_made_safe_to_show() {
        let long = "あ".repeat(500);
        let body = encode_error(&ErrorCode::Internal, &format!("一行目\n二行目\u{7}{long}"));
        let Err(CenterError::Rejected { message, .. }) = parse_check_response(500, &body) else {
            panic!("not a rejection");
        };
        assert!(message.starts_with("一行目 二行目 あ"), "{message}");
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS);
    }

    #[test]
    fn per_person_errors_in_a_200_are_rejections() {
        let body = r#"{"QualificationConfirmationDate":"20231201","ProcessingResultStatus":"2","ProcessingResultCode":"MK-E2001","ProcessingResultMessage":"該当なし","QualificationValidity":null,"ResultOfQualificationConfirmation":null}"#;
        assert_eq!(
            parse_check_response(200, body),
            Err(CenterError::Rejected {
                code: ErrorCode::UnknownCertificate,
                message: "該当なし".into(),
            })
        );
        assert_malformed(&body.replace(r#""MK-E2001""#, "null"));
    }

    #[test]
    fn unknown_keys_are_ignored() {
        let body = encode_outcome(&outcome(Validity::Valid, Some(sample())), None);
        let extended = body.replacen(
            '{',
            r#"{"PrescriptionIssueSelect":"1","Extra":{"a":[1,2]},"#,
            1,
        );
        assert!(parse_check_response(200, &extended).is_ok(), "{extended}");
    }
}
