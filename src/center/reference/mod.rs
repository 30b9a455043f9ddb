//! The reference center (demo build only): the server side of protocol v1 (see `wire`),
//! played in-process so that the demo, the screenshots and the tests exercise the same
//! request and response bodies as production HTTPS.
//!
//! It binds qualification records to certificates by (serial number, issuer DN DER), as the
//! real system maps the 利用者証明用電子証明書 to the insured person, and behaves like the
//! real one where the research documents it:
//! - 確認日 is today in Japan;
//! - a 有効 record outside its 有効開始日..有効終了日 answers 無効 (2);
//! - from three months before the certificate expires the answer carries the 付帯情報
//!   [`wire::NOTICE_CERT_EXPIRING`]; the certificate keeps working for qualification until
//!   the end of the third month after the month it expired in, then it is refused.
//!
//! It does not check revocation or the certificate's signature (the demo CA is not the
//! J-LIS CA). Its Japanese error messages play the remote system's; the kiosk shows them
//! as-is.

use core::fmt;

use super::model::{
    CardClassification, CheckOutcome, Date, Qualification, Ratio, Relation, Sex, Validity,
};
use super::wire::{self, ErrorCode, RequestError};
use super::{Center, CenterError, CheckRequest};
use crate::card::AuthCertificate;
use crate::sensitive::wipe_vec;

/// The demo card's certificate (TEST-ONLY PKI), the source of the demo issuer DN.
const TARO_CERT_DER: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");

/// Serial number of the demo card 資格 太郎 (`tests/pki/cards.txt`).
pub const DEMO_TARO_SERIAL: &str = "0705D990";

/// `ProcessingResultMessage` of the certificate-expiry notice.
const MESSAGE_CERT_EXPIRING: &str =
    "証明書の有効期限が3か月以内となっています。市区町村の窓口で更新手続きをお願いします。";

/// The Japanese message for each error this center answers with.
fn error_message(code: &ErrorCode) -> &'static str {
    match code {
        ErrorCode::BadRequest => "要求の形式が正しくありません。",
        ErrorCode::NotFound => "指定された機能はありません。",
        ErrorCode::MethodNotAllowed => "指定された方法では利用できません。",
        ErrorCode::UnknownCertificate => {
            "このマイナンバーカードの電子証明書に紐づく資格情報が登録されていません。"
        }
        ErrorCode::CertificateExpired => {
            "マイナンバーカードの電子証明書の有効期限が切れています。市区町村の窓口で更新手続きをお願いします。"
        }
        ErrorCode::Internal | ErrorCode::Unknown(_) => {
            "資格確認センターで障害が発生しました。しばらくしてから再度お試しください。"
        }
    }
}

/// One HTTP request, as far as the center cares.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method, e.g. `"POST"`.
    pub method: &'a str,
    /// The path, e.g. [`wire::CHECK_PATH`].
    pub path: &'a str,
    /// The body (UTF-8 JSON).
    pub body: &'a str,
}

/// One HTTP response of the center.
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The JSON body; it may hold patient data.
    pub body: String,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HttpResponse {{ status: {}, body: <{} bytes redacted> }}",
            self.status,
            self.body.len()
        )
    }
}

/// What the center holds for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The registered validity; a `Valid` record outside its card's validity dates is
    /// answered as `Invalid`.
    pub validity: Validity,
    /// The qualification; `None` for [`Validity::NoQualification`].
    pub qualification: Option<Qualification>,
}

/// A record and the certificate it is bound to.
struct Binding {
    serial_hex: String,
    issuer_der: Vec<u8>,
    record: Record,
}

/// The reference center's state: the records bound to certificates.
#[derive(Default)]
pub struct ReferenceCenter {
    bindings: Vec<Binding>,
}

impl fmt::Debug for ReferenceCenter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReferenceCenter {{ {} records }}", self.bindings.len())
    }
}

impl ReferenceCenter {
    /// A center with no records: every certificate is unknown.
    pub fn new() -> ReferenceCenter {
        ReferenceCenter::default()
    }

    /// The demo center: 資格 太郎 (the manual's sample) bound to the demo card.
    pub fn with_demo_records() -> ReferenceCenter {
        let mut center = ReferenceCenter::new();
        center.bind(DEMO_TARO_SERIAL, &demo_issuer_der(), demo_taro());
        center
    }

    /// Binds `record` to the certificate with serial `serial_hex` (hex, any case) issued by
    /// `issuer_der` (the issuer Name, DER), replacing any earlier binding of it.
    pub fn bind(&mut self, serial_hex: &str, issuer_der: &[u8], record: Record) {
        let serial_hex = serial_hex.to_ascii_uppercase();
        self.bindings
            .retain(|b| !(b.serial_hex == serial_hex && b.issuer_der == issuer_der));
        self.bindings.push(Binding {
            serial_hex,
            issuer_der: issuer_der.to_vec(),
            record,
        });
    }

    /// Answers one request at `now_unix` (seconds since the Unix epoch).
    pub fn handle(&mut self, request: &HttpRequest<'_>, now_unix: i64) -> HttpResponse {
        let response = match self.check(request, now_unix) {
            Ok(response) => response,
            Err(code) => {
                log::info!("reference center: refused with {}", code.code());
                HttpResponse {
                    status: code.http_status(),
                    body: wire::encode_error(&code, error_message(&code)),
                }
            }
        };
        log::info!("reference center: HTTP {}", response.status);
        response
    }

    /// Routes and answers a request, or says which error to answer with.
    fn check(&self, request: &HttpRequest<'_>, now_unix: i64) -> Result<HttpResponse, ErrorCode> {
        if request.path != wire::CHECK_PATH {
            return Err(ErrorCode::NotFound);
        }
        if request.method != "POST" {
            return Err(ErrorCode::MethodNotAllowed);
        }
        let (wire::CheckMode::Visual, der) =
            wire::decode_check_request(request.body).map_err(|e: RequestError| {
                log::info!("reference center: bad request ({e:?})");
                ErrorCode::BadRequest
            })?;
        let certificate = AuthCertificate::from_der(der).map_err(|_| ErrorCode::BadRequest)?;
        let serial_hex = certificate.serial_hex().to_ascii_uppercase();
        let binding = self
            .bindings
            .iter()
            .find(|b| b.serial_hex == serial_hex && b.issuer_der == certificate.issuer_der())
            .ok_or(ErrorCode::UnknownCertificate)?;

        let today = Date::from_unix_jst(now_unix);
        let expiry = Date::from_unix_jst(certificate.not_after().unix_seconds);
        if today > expiry.add_months(3).end_of_month() {
            return Err(ErrorCode::CertificateExpired);
        }
        let cert_expiring = today >= expiry.add_months(-3);

        let record = &binding.record;
        let outcome = CheckOutcome {
            validity: effective_validity(record, &today),
            confirmation_date: today,
            cert_expiring,
            qualification: record.qualification.clone(),
        };
        let message = cert_expiring.then_some(MESSAGE_CERT_EXPIRING);
        Ok(HttpResponse {
            status: 200,
            body: wire::encode_outcome(&outcome, message),
        })
    }
}

/// The validity answered on `today`: a `Valid` record is `Invalid` outside its card's dates.
fn effective_validity(record: &Record, today: &Date) -> Validity {
    match (&record.validity, &record.qualification) {
        (Validity::Valid, Some(q)) => {
            let started = q.valid_from.as_ref().is_none_or(|from| from <= today);
            let not_ended = q.valid_until.as_ref().is_none_or(|until| today <= until);
            if started && not_ended {
                Validity::Valid
            } else {
                Validity::Invalid
            }
        }
        (validity, _) => *validity,
    }
}

/// The issuer DN (DER) of the demo cards: the TEST-ONLY demo CA's subject, taken from the
/// demo card's certificate.
pub fn demo_issuer_der() -> Vec<u8> {
    // The certificate is compiled in from tests/pki and the tests parse it, so this cannot
    // fail in a build that passed its tests.
    let certificate = AuthCertificate::from_der(TARO_CERT_DER.to_vec())
        .expect("the committed demo certificate parses");
    certificate.issuer_der().to_vec()
}

/// 資格 太郎: the sample of the app manual's result screen (p.21), with the card's
/// validity moved to 2025-04-01..2027-03-31 so that the demo is valid today.
pub fn demo_taro() -> Record {
    let date = |text: &str| Date::parse_yyyymmdd(text);
    Record {
        validity: Validity::Valid,
        qualification: date("19520101").map(|birthdate| Qualification {
            card_classification: CardClassification::Regular,
            insurer_number: "12345678".into(),
            insurer_name: "限定資格保険組合".into(),
            symbol: Some("1234".into()),
            number: "001".into(),
            branch: Some("02".into()),
            name_kana: "シカク タロウ".into(),
            name: "資格 太郎".into(),
            birthdate,
            sex: Sex::Male,
            valid_from: date("20250401"),
            valid_until: date("20270331"),
            qualified_on: date("20250401"),
            ratio: Ratio::from_code("010"),
            relation: Some(Relation::Insured),
            insured_name: None,
            preschool: false,
            back: None,
            elderly: None,
        }),
    }
}

/// The in-process center: a [`ReferenceCenter`] behind the same JSON bodies as HTTPS.
pub struct LocalCenter {
    center: ReferenceCenter,
    clock: Box<dyn FnMut() -> i64 + Send>,
}

impl fmt::Debug for LocalCenter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LocalCenter {{ {:?} }}", self.center)
    }
}

impl LocalCenter {
    /// Serves `center` with `clock` giving the current time in Unix seconds.
    pub fn new(center: ReferenceCenter, clock: Box<dyn FnMut() -> i64 + Send>) -> LocalCenter {
        LocalCenter { center, clock }
    }
}

impl Center for LocalCenter {
    fn check_qualification(
        &mut self,
        request: &CheckRequest<'_>,
    ) -> Result<CheckOutcome, CenterError> {
        let body = wire::encode_check_request(request);
        let now = (self.clock)();
        let http = HttpRequest {
            method: "POST",
            path: wire::CHECK_PATH,
            body: &body,
        };
        let response = self.center.handle(&http, now);
        let result = wire::parse_check_response(response.status, &response.body);
        let mut bytes = response.body.into_bytes();
        wipe_vec(&mut bytes);
        wire::log_result("local center", Some(response.status), &result);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-12-01 00:00:00 in Japan.
    const DEC_1_2025_JST: i64 = 1_764_514_800;

    fn taro_cert() -> AuthCertificate {
        AuthCertificate::from_der(TARO_CERT_DER.to_vec()).unwrap()
    }

    fn local(center: ReferenceCenter, now: i64) -> LocalCenter {
        LocalCenter::new(center, Box::new(move || now))
    }

    fn check(center: ReferenceCenter, now: i64) -> Result<CheckOutcome, CenterError> {
        let certificate = taro_cert();
        local(center, now).check_qualification(&CheckRequest::Visual {
            certificate: &certificate,
        })
    }

    fn post(center: &mut ReferenceCenter, body: &str) -> HttpResponse {
        let request = HttpRequest {
            method: "POST",
            path: wire::CHECK_PATH,
            body,
        };
        center.handle(&request, DEC_1_2025_JST)
    }

    fn taro_body() -> String {
        wire::encode_check_request(&CheckRequest::Visual {
            certificate: &taro_cert(),
        })
    }

    fn rejected_code(result: Result<CheckOutcome, CenterError>) -> ErrorCode {
        match result {
            Err(CenterError::Rejected { code, message }) => {
                assert!(!message.is_empty());
                code
            }
            other => panic!("not a rejection: {other:?}"),
        }
    }

    #[test]
    fn demo_issuer_is_the_demo_ca_subject() {
        let ca = include_bytes!("../../tests/pki/ca.cert.der");
        let issuer = demo_issuer_der();
        assert_eq!(issuer[0], 0x30, "a Name is a SEQUENCE");
        assert!(ca.windows(issuer.len()).any(|w| w == issuer.as_slice()));
        assert!(String::from_utf8_lossy(&issuer).contains("DEMO TEST ONLY"));
        assert_eq!(taro_cert().serial_hex(), DEMO_TARO_SERIAL);
    }

    #[test]
    fn taro_gets_every_field_of_the_manual_sample() {
        let outcome = check(ReferenceCenter::with_demo_records(), DEC_1_2025_JST).unwrap();
        assert_eq!(outcome.confirmation_date.to_yyyymmdd(), "20251201");
        assert_eq!(outcome.validity, Validity::Valid);
        assert!(!outcome.cert_expiring);
        assert!(!outcome.is_preschool());
        // 12345678 starts with 12 but 証区分 is 一般: not 医療扶助.
        assert!(!outcome.is_medical_assistance());
        let q = outcome.qualification.as_ref().unwrap();
        assert_eq!(q.insurer_number.expose(), "12345678");
        assert_eq!(q.insurer_name.expose(), "限定資格保険組合");
        assert_eq!(q.symbol.as_ref().unwrap().expose(), "1234");
        assert_eq!(q.number.expose(), "001");
        assert_eq!(q.branch.as_ref().unwrap().expose(), "02");
        assert_eq!(q.name_kana.expose().as_bytes(), "シカク タロウ".as_bytes());
        assert_eq!(q.name.expose().as_bytes(), "資格 太郎".as_bytes());
        assert_eq!(q.birthdate.to_yyyymmdd(), "19520101");
        assert_eq!(q.sex, Sex::Male);
        assert_eq!(q.card_classification, CardClassification::Regular);
        assert_eq!(q.valid_from.as_ref().unwrap().to_yyyymmdd(), "20250401");
        assert_eq!(q.valid_until.as_ref().unwrap().to_yyyymmdd(), "20270331");
        assert_eq!(q.qualified_on.as_ref().unwrap().to_yyyymmdd(), "20250401");
        assert_eq!(q.ratio.unwrap().tenths(), 1);
        assert_eq!(q.relation, Some(Relation::Insured));
        assert!(q.insured_name.is_none());
        assert!(!q.preschool);
        assert!(q.back.is_none());
        assert!(q.elderly.is_none());
        // And the whole record survives the wire unchanged.
        assert_eq!(outcome.qualification, demo_taro().qualification);
    }

    #[test]
    fn confirmation_date_is_today_in_japan() {
        let before = check(ReferenceCenter::with_demo_records(), DEC_1_2025_JST - 1).unwrap();
        assert_eq!(before.confirmation_date.to_yyyymmdd(), "20251130");
        let at = check(ReferenceCenter::with_demo_records(), DEC_1_2025_JST).unwrap();
        assert_eq!(at.confirmation_date.to_yyyymmdd(), "20251201");
    }

    #[test]
    fn valid_record_outside_its_dates_is_invalid() {
        let last_day = 1_806_418_800; // 2027-03-31 00:00 JST
        let day_after = 1_806_505_200; // 2027-04-01 00:00 JST
        let first_day = 1_743_433_200; // 2025-04-01 00:00 JST
        let validity = |now| {
            check(ReferenceCenter::with_demo_records(), now)
                .unwrap()
                .validity
        };
        assert_eq!(validity(first_day - 1), Validity::Invalid);
        assert_eq!(validity(first_day), Validity::Valid);
        assert_eq!(validity(last_day + 86_399), Validity::Valid);
        assert_eq!(validity(day_after), Validity::Invalid);
        let outcome = check(ReferenceCenter::with_demo_records(), day_after).unwrap();
        assert!(
            outcome.qualification.is_some(),
            "無効 still shows the qualification"
        );
    }

    #[test]
    fn certificate_expiry_notice_and_grace_period() {
        // taro's certificate expires 2034-12-25 23:59:59 JST.
        let sep_24_2034 = 2_042_636_400;
        let sep_25_2034 = 2_042_722_800;
        let mar_31_2035 = 2_058_879_600;
        let apr_1_2035 = 2_058_966_000;
        let expiring =
            |now| check(ReferenceCenter::with_demo_records(), now).map(|o| o.cert_expiring);
        assert_eq!(expiring(sep_24_2034), Ok(false));
        assert_eq!(expiring(sep_25_2034), Ok(true));
        assert_eq!(expiring(mar_31_2035 + 86_399), Ok(true));
        assert_eq!(
            rejected_code(check(ReferenceCenter::with_demo_records(), apr_1_2035)),
            ErrorCode::CertificateExpired
        );
        let mut center = ReferenceCenter::with_demo_records();
        let request = taro_body();
        let http = HttpRequest {
            method: "POST",
            path: wire::CHECK_PATH,
            body: &request,
        };
        let response = center.handle(&http, sep_25_2034);
        assert!(response
            .body
            .contains(r#""ProcessingResultCode":"MK-I0001""#));
        assert!(response.body.contains("3か月以内"), "{}", response.body);
        assert_eq!(center.handle(&http, apr_1_2035).status, 403);
    }

    #[test]
    fn unknown_certificate_is_rejected() {
        let result = check(ReferenceCenter::new(), DEC_1_2025_JST);
        assert_eq!(rejected_code(result), ErrorCode::UnknownCertificate);
        // The same serial from another issuer is another certificate.
        let mut other_issuer = ReferenceCenter::new();
        other_issuer.bind(DEMO_TARO_SERIAL, b"\x30\x00", demo_taro());
        let result = check(other_issuer, DEC_1_2025_JST);
        assert_eq!(rejected_code(result), ErrorCode::UnknownCertificate);
        let mut empty = ReferenceCenter::new();
        assert_eq!(post(&mut empty, &taro_body()).status, 404);
    }

    #[test]
    fn serials_bind_in_any_case_and_rebinding_replaces() {
        let mut center = ReferenceCenter::new();
        center.bind("0705d990", &demo_issuer_der(), demo_taro());
        center.bind(
            "0705D990",
            &demo_issuer_der(),
            Record {
                validity: Validity::NoQualification,
                qualification: None,
            },
        );
        let outcome = check(center, DEC_1_2025_JST).unwrap();
        assert_eq!(outcome.validity, Validity::NoQualification);
        assert!(outcome.qualification.is_none());
    }

    #[test]
    fn bad_requests_get_400() {
        let mut center = ReferenceCenter::with_demo_records();
        for body in [
            "",
            "{",
            r#"{"mode":"visual"}"#,
            r#"{"mode":"pin","certificate":"Zm9v"}"#,
            r#"{"mode":"visual","certificate":"Zm9"}"#,
            // Strict base64 of bytes that are not a certificate.
            r#"{"mode":"visual","certificate":"Zm9vYmFy"}"#,
        ] {
            let response = post(&mut center, body);
            assert_eq!(response.status, 400, "{body}");
            assert_eq!(
                wire::parse_check_response(response.status, &response.body),
                Err(CenterError::Rejected {
                    code: ErrorCode::BadRequest,
                    message: error_message(&ErrorCode::BadRequest).into(),
                })
            );
        }
    }

    #[test]
    fn routing_checks_path_and_method() {
        let mut center = ReferenceCenter::with_demo_records();
        let body = taro_body();
        let mut request = HttpRequest {
            method: "POST",
            path: "/v1/qualification-check",
            body: &body,
        };
        assert_eq!(center.handle(&request, DEC_1_2025_JST).status, 404);
        request.path = wire::CHECK_PATH;
        request.method = "GET";
        let response = center.handle(&request, DEC_1_2025_JST);
        assert_eq!(response.status, 405);
        assert!(response.body.contains("MK-E1003"));
        request.method = "POST";
        assert_eq!(center.handle(&request, DEC_1_2025_JST).status, 200);
    }

    #[test]
    fn debug_output_hides_bodies_and_records() {
        let mut center = ReferenceCenter::with_demo_records();
        let response = post(&mut center, &taro_body());
        let shown = format!("{response:?} {center:?} {:?}", demo_taro());
        for secret in ["太郎", "1952", "12345678"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("200"), "{shown}");
    }
}
