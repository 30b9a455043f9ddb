//! The center protocol, version 1: JSON over HTTPS (also in `PROTOCOL.md`).
//!
//! The real オンライン資格確認等システム interface is not public, so the transport, paths,
//! request body and error codes are this project's own. The qualification result keeps the
//! official tag names of 別紙3-1 (`ResultOfQualificationConfirmation` and friends), their
//! code tables (OQSCD006/007/009/010/015) and formats (`YYYYMMDD`, 3-digit percent ratios).
//!
//! # Request
//!
//! `POST /v1/qualification-checks`, `Content-Type: application/json`:
//!
//! ```json
//! {"mode":"visual","certificate":"<base64 of the 利用者証明用電子証明書, DER>"}
//! ```
//!
//! `mode` is `"visual"` (目視確認: staff compared the card photo with the patient). The
//! certificate is standard base64 with padding (RFC 4648 §4), decoded strictly. The
//! center maps the certificate's serial number and issuer to the insured person.
//!
//! # Success: HTTP 200
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
//! Optional values are written as `null`; a missing key means the same. Every value is a
//! JSON string; unknown keys are ignored. The fields of `ResultOfQualificationConfirmation`
//! are tabled in `PROTOCOL.md`.
//!
//! # Errors: any non-2xx status
//!
//! ```json
//! {"error":{"code":"MK-E2001","message":"<Japanese, shown to staff as-is>"}}
//! ```
//!
//! The codes ([`ErrorCode`]) are synthetic: the `MK-` prefix marks this project's own codes,
//! not the official 処理結果コード of 別紙6-1 (which are not public).

use miniserde::{json, Deserialize, Serialize};

use super::model::{
    BackSide, CardClassification, CheckOutcome, Date, ElderlyCertificate, Qualification, Ratio,
    Relation, Sex, Validity,
};
use super::{CenterError, CheckRequest};
use crate::sensitive::{wipe_vec, SensitiveText};

/// The path of the qualification-check endpoint.
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
}

impl CheckMode {
    /// The protocol value.
    pub fn code(self) -> &'static str {
        match self {
            CheckMode::Visual => "visual",
        }
    }

    /// The mode for a protocol value; `None` for anything else.
    pub fn from_code(code: &str) -> Option<CheckMode> {
        match code {
            "visual" => Some(CheckMode::Visual),
            _ => None,
        }
    }
}

/// This project's own error codes (synthetic: the `MK-` prefix is ours; these are not the
/// official 別紙6-1 処理結果コード, which are not public).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// `MK-E1001` (HTTP 400): the request is not the protocol's JSON, or its certificate is
    /// not a certificate.
    BadRequest,
    /// `MK-E1002` (HTTP 404): no such endpoint.
    NotFound,
    /// `MK-E1003` (HTTP 405): the endpoint exists but not for this method.
    MethodNotAllowed,
    /// `MK-E2001` (HTTP 404): no qualification is bound to this certificate.
    UnknownCertificate,
    /// `MK-E2002` (HTTP 403): the certificate expired and its grace period (three months
    /// after the end of the month of expiry) is over.
    CertificateExpired,
    /// `MK-E9001` (HTTP 500): the center failed.
    Internal,
    /// A well-formed code this version does not know (forward compatibility): `MK-`
    /// followed by at most 13 ASCII letters, digits or hyphens.
    Unknown(String),
}

impl ErrorCode {
    /// Every code this version knows (not [`ErrorCode::Unknown`]).
    pub const KNOWN: [ErrorCode; 6] = [
        ErrorCode::BadRequest,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::UnknownCertificate,
        ErrorCode::CertificateExpired,
        ErrorCode::Internal,
    ];

    /// The protocol value, e.g. `"MK-E2001"`.
    pub fn code(&self) -> &str {
        match self {
            ErrorCode::BadRequest => "MK-E1001",
            ErrorCode::NotFound => "MK-E1002",
            ErrorCode::MethodNotAllowed => "MK-E1003",
            ErrorCode::UnknownCertificate => "MK-E2001",
            ErrorCode::CertificateExpired => "MK-E2002",
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
            ErrorCode::NotFound | ErrorCode::UnknownCertificate => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::CertificateExpired => 403,
            ErrorCode::Internal | ErrorCode::Unknown(_) => 500,
        }
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
    /// Not the request JSON.
    Json,
    /// A `mode` this version does not know.
    UnknownMode,
    /// The certificate is not strict base64.
    Base64,
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
fn wipe_string(text: &mut String) {
    let mut bytes = core::mem::take(text).into_bytes();
    wipe_vec(&mut bytes);
}

/// Overwrites an optional string's bytes.
fn wipe_option(text: &mut Option<String>) {
    if let Some(text) = text {
        wipe_string(text);
    }
}

/// The request body.
#[derive(Serialize, Deserialize)]
struct RequestBody {
    mode: String,
    certificate: String,
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
    match request {
        CheckRequest::Visual { certificate } => json::to_string(&RequestBody {
            mode: CheckMode::Visual.code().to_owned(),
            certificate: base64_encode(certificate.der()),
        }),
    }
}

/// The mode and the certificate DER of a request body (server side).
pub fn decode_check_request(body: &str) -> Result<(CheckMode, Vec<u8>), RequestError> {
    let request: RequestBody = json::from_str(body).map_err(|_| RequestError::Json)?;
    let mode = CheckMode::from_code(&request.mode).ok_or(RequestError::UnknownMode)?;
    let der = base64_decode(&request.certificate).map_err(|_| RequestError::Base64)?;
    Ok((mode, der))
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
        preschool: q.preschool.then(|| "1".to_owned()),
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
    if !(200..300).contains(&status) {
        return Err(parse_error_body(body).unwrap_or(CenterError::Server { status }));
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

/// Logs the result of a check with codes and statuses only, never patient data or the
/// center's message. `status` is the HTTP status when there was a response.
pub(crate) fn log_result(
    via: &str,
    status: Option<u16>,
    result: &Result<CheckOutcome, CenterError>,
) {
    let status = status.map_or_else(|| "no response".to_owned(), |s| format!("HTTP {s}"));
    match result {
        Ok(outcome) => log::info!(
            "{via}: {status}, validity {}, certificate expiring {}",
            outcome.validity.code(),
            outcome.cert_expiring
        ),
        Err(error) => {
            let cause = match error {
                CenterError::Unreachable => "unreachable",
                CenterError::Timeout => "timeout",
                CenterError::Tls => "TLS failure",
                CenterError::Server { .. } => "server error",
                CenterError::Malformed => "malformed reply",
                // The code was checked to be a short ASCII token: safe to log.
                CenterError::Rejected { code, .. } => code.code(),
            };
            log::warn!("{via}: {status}, failed: {cause}");
        }
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
fn required_text(field: &mut Option<String>) -> Result<SensitiveText, CenterError> {
    optional_text(field)?
        .filter(|text| !text.is_empty())
        .ok_or(CenterError::Malformed)
}

/// Moves an optional text field into the model; control characters are refused.
fn optional_text(field: &mut Option<String>) -> Result<Option<SensitiveText>, CenterError> {
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
fn required_date(field: &Option<String>) -> Result<Date, CenterError> {
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
    let preschool = match r.preschool.as_deref() {
        None => false,
        Some("1") => true,
        Some(_) => return Err(CenterError::Malformed),
    };
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

    const TARO_DER: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");

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
            preschool: true,
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
        let (mode, der) = decode_check_request(&body).unwrap();
        assert_eq!(mode, CheckMode::Visual);
        assert_eq!(der, TARO_DER);
    }

    #[test]
    fn bad_requests_are_refused() {
        assert_eq!(decode_check_request("{"), Err(RequestError::Json));
        assert_eq!(
            decode_check_request(r#"{"mode":"visual"}"#),
            Err(RequestError::Json)
        );
        assert_eq!(
            decode_check_request(r#"{"mode":"pin","certificate":"Zm9v"}"#),
            Err(RequestError::UnknownMode)
        );
        assert_eq!(
            decode_check_request(r#"{"mode":"visual","certificate":"Zm9"}"#),
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
        q.preschool = false;
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
