//! Logic-level tests of the reference center: every rule through the same JSON bodies as
//! HTTPS, with time injected.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

use super::*;
use crate::center::account::{DeviceCredential, Enrollment, RefreshToken, LOCKOUT_SECONDS};
use crate::center::model::{
    CardClassification, Challenge, ChallengeId, CheckOutcome, Relation, Sex, Validity,
};
use crate::center::CheckRequest;

/// 2026-12-01 00:00:00 in Japan.
const DEC_1_2026_JST: i64 = 1_796_050_800;

/// 2025-12-01 00:00:00 in Japan.
const DEC_1_2025_JST: i64 = 1_764_514_800;

const CARDS_TXT: &str = include_str!("../../../tests/pki/cards.txt");

fn cert_der(id: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/pki/cards/{id}.cert.der",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn key_pk8(id: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/pki/cards/{id}.key.pk8",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn cert(id: &str) -> AuthCertificate {
    AuthCertificate::from_der(cert_der(id)).unwrap()
}

fn sign(id: &str, message: &[u8]) -> Vec<u8> {
    let key = RsaKeyPair::from_pkcs8(&key_pk8(id)).unwrap();
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        message,
        &mut signature,
    )
    .unwrap();
    signature
}

/// A LocalCenter over the demo center with a clock the test moves.
struct Harness {
    center: LocalCenter,
    clock: Arc<AtomicI64>,
}

impl Harness {
    fn new(now: i64) -> Harness {
        Harness::with(ReferenceCenter::with_demo_records(), now)
    }

    fn with(center: ReferenceCenter, now: i64) -> Harness {
        let clock = Arc::new(AtomicI64::new(now));
        let time = Arc::clone(&clock);
        Harness {
            center: LocalCenter::new(center, Box::new(move || time.load(Ordering::SeqCst))),
            clock,
        }
    }

    /// Registered with the demo account (a session is open).
    fn registered(now: i64) -> (Harness, Enrollment) {
        let mut harness = Harness::new(now);
        let enrollment = harness
            .center
            .register_device(&demo_registration())
            .unwrap();
        (harness, enrollment)
    }

    fn advance(&self, seconds: i64) {
        self.clock.fetch_add(seconds, Ordering::SeqCst);
    }

    fn visual(&mut self, id: &str) -> Result<CheckOutcome, CenterError> {
        let certificate = cert(id);
        self.center.check_qualification(&CheckRequest::Visual {
            certificate: &certificate,
        })
    }

    fn pin(
        &mut self,
        id: &str,
        challenge: &ChallengeId,
        signature: &[u8],
    ) -> Result<CheckOutcome, CenterError> {
        let certificate = cert(id);
        self.center.check_qualification(&CheckRequest::Pin {
            certificate: &certificate,
            signature,
            challenge_id: challenge,
        })
    }

    fn login(&mut self, device: &DeviceCredential, password: &str) -> Result<(), CenterError> {
        self.center
            .login(
                device,
                &UserId::parse(DEMO_USER_ID).unwrap(),
                &Password::new(password.into()),
            )
            .map(|_| ())
    }

    fn raw(&mut self, method: &str, path: &str, bearer: Option<&str>, body: &str) -> HttpResponse {
        let now = self.clock.load(Ordering::SeqCst);
        let request = HttpRequest {
            method,
            path,
            bearer,
            body,
        };
        self.center
            .transport_mut()
            .center_mut()
            .handle(&request, now)
    }
}

fn code(result: Result<impl fmt::Debug, CenterError>) -> ErrorCode {
    match result {
        Err(CenterError::Rejected { code, message }) => {
            assert_eq!(message, error_message(&code), "the center's own message");
            code
        }
        other => panic!("not a rejection: {other:?}"),
    }
}

fn response_code(response: &HttpResponse) -> ErrorCode {
    code(wire::parse_empty_reply(
        response.status,
        response.body.expose(),
    ))
}

/// Raw registration through `handle`: (device credential, access token, refresh token).
fn raw_register(harness: &mut Harness) -> (String, String, String) {
    let body = wire::account::encode_registration(&demo_registration());
    let response = harness.raw("POST", wire::DEVICES_PATH, None, body.expose());
    assert_eq!(response.status, 201);
    let (enrollment, access) = wire::account::parse_enrollment(response.body.expose()).unwrap();
    (
        enrollment.device.expose().to_owned(),
        access.expose().to_owned(),
        enrollment.session.refresh_token.expose().to_owned(),
    )
}

// --- Demo data ------------------------------------------------------------------------

#[test]
fn demo_issuer_is_the_demo_ca_subject() {
    let ca = include_bytes!("../../../tests/pki/ca.cert.der");
    let issuer = demo_issuer_der();
    assert_eq!(issuer[0], 0x30, "a Name is a SEQUENCE");
    assert!(ca.windows(issuer.len()).any(|w| w == issuer.as_slice()));
    assert!(String::from_utf8_lossy(&issuer).contains("DEMO TEST ONLY"));
    assert_eq!(cert("taro").serial_hex(), DEMO_TARO_SERIAL);
}

#[test]
fn every_demo_card_has_one_record_bound_by_serial_and_issuer() {
    let cards: Vec<(&str, &str)> = CARDS_TXT
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut fields = l.split_whitespace();
            (fields.next().unwrap(), fields.next().unwrap())
        })
        .collect();
    assert_eq!(cards.len(), 16);
    let records = demo_records();
    let listed: Vec<(&str, &str)> = records.iter().map(|(id, s, _)| (*id, *s)).collect();
    assert_eq!(listed, cards, "cards.txt and the demo records agree");
    for (id, serial) in cards {
        let certificate = cert(id);
        assert_eq!(certificate.serial_hex(), serial, "{id}");
        let issuer = if DEMO_PHONES.contains(&id) {
            demo_phone_issuer_der()
        } else {
            demo_issuer_der()
        };
        assert_eq!(certificate.issuer_der(), issuer.as_slice(), "{id}");
    }
    assert_ne!(demo_issuer_der(), demo_phone_issuer_der());
    let phone_ca = include_bytes!("../../../tests/pki/phone-ca.cert.der");
    let phone_issuer = demo_phone_issuer_der();
    assert!(phone_ca
        .windows(phone_issuer.len())
        .any(|w| w == phone_issuer.as_slice()));
}

#[test]
fn phone_certificates_are_accepted_in_both_modes() {
    let (mut h, _) = Harness::registered(DEC_1_2026_JST);
    for (id, name) in [("android", "端末 八郎"), ("iphone", "端末 九子")] {
        let outcome = h.visual(id).unwrap();
        assert_eq!(outcome.validity, Validity::Valid, "{id}");
        assert_eq!(outcome.qualification.as_ref().unwrap().name.expose(), name);
        let challenge = h.center.challenge().unwrap();
        let signature = sign(id, &challenge.nonce);
        let outcome = h.pin(id, &challenge.id, &signature).unwrap();
        assert_eq!(outcome.validity, Validity::Valid, "{id}");
    }
    // A phone certificate is bound with its own CA: the card CA's DN does not find it.
    let mut center = ReferenceCenter::new();
    center.add_account(&demo_registration()).unwrap();
    for (_, serial, record) in demo_records() {
        center.bind(serial, &demo_issuer_der(), record);
    }
    let mut h = Harness::with(center, DEC_1_2026_JST);
    h.center.register_device(&demo_registration()).unwrap();
    assert_eq!(code(h.visual("android")), ErrorCode::UnknownCertificate);
}

#[test]
fn phone_certificates_have_no_grace_after_expiry() {
    // Both phones' certificates expire 2030-09-18 23:59:59 JST.
    let sep_18_2030_end = 1_915_973_999;
    let (mut h, _) = Harness::registered(sep_18_2030_end);
    for id in DEMO_PHONES {
        let outcome = h.visual(id).unwrap();
        assert!(outcome.cert_expiring, "{id}: the notice before expiry");
    }
    // One second later a card would still have months of grace; a phone has none.
    let (mut h, _) = Harness::registered(sep_18_2030_end + 1);
    for id in DEMO_PHONES {
        assert_eq!(code(h.visual(id)), ErrorCode::CertificateExpired, "{id}");
    }
    // The same certificate where its issuer is not a phone CA: the card's grace applies.
    let card_issuer = cert("android").issuer_der().to_vec();
    let mut records = records::Records::default();
    records.bind("0805D9A0", &card_issuer, demo_taro());
    assert!(
        records
            .answer(&cert("android"), sep_18_2030_end + 1)
            .is_ok(),
        "without the phone rule the card's grace applies"
    );
}

#[test]
fn demo_account_values_are_well_formed() {
    let sheet = demo_registration();
    assert_eq!(sheet.institution_code.as_str(), "1312345679");
    assert!(crate::center::account::has_valid_check_digit(
        DEMO_INSTITUTION_CODE
    ));
    assert_eq!(sheet.user_id.as_str(), "W0000001");
    assert_eq!(sheet.password.check_rules(), Ok(()));
    assert_eq!(sheet.activation_code.expose(), DEMO_ACTIVATION_CODE);
}

#[test]
fn taro_gets_every_field_of_the_manual_sample() {
    let (mut h, _) = Harness::registered(DEC_1_2025_JST);
    let outcome = h.visual("taro").unwrap();
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
    assert!(q.preschool.is_none());
    assert!(q.back.is_none());
    assert!(q.elderly.is_none());
    // And the whole record survives the wire unchanged.
    assert_eq!(outcome.qualification, demo_taro().qualification);
}

#[test]
fn every_variant_of_the_result_screen_has_its_card() {
    let (mut h, _) = Harness::registered(DEC_1_2026_JST);
    let check = |h: &mut Harness, id: &str| h.visual(id).unwrap();

    let family = check(&mut h, "family");
    let q = family.qualification.as_ref().unwrap();
    assert_eq!(q.name.expose(), "資格 花子");
    assert_eq!(q.relation, Some(Relation::Family));
    assert_eq!(q.insured_name.as_ref().unwrap().expose(), "資格 一郎");

    let preschool = check(&mut h, "preschool");
    assert!(preschool.is_preschool());
    assert_eq!(
        preschool.qualification.as_ref().unwrap().name.expose(),
        "資格 次郎"
    );

    let expiring = check(&mut h, "expiring");
    assert_eq!(expiring.validity, Validity::Valid);
    assert!(expiring.cert_expiring, "the certificate expires 2027-01-31");
    let q = expiring.qualification.as_ref().unwrap();
    assert_eq!(q.name.expose(), "期限 近子");
    assert_eq!(
        q.symbol.as_ref().unwrap().expose(),
        "医国５６７",
        "全角 kept"
    );
    assert_eq!(q.number.expose(), "０２８２‐００１");
    assert!(!check(&mut h, "taro").cert_expiring);

    let welfare = check(&mut h, "welfare");
    assert_eq!(welfare.validity, Validity::Valid);
    assert!(welfare.is_medical_assistance());
    let q = welfare.qualification.as_ref().unwrap();
    assert_eq!(q.name.expose(), "扶助 一子");
    assert_eq!(q.card_classification, CardClassification::MedicalAssistance);
    let public_payer = q.insurer_number.expose();
    assert!(public_payer.len() == 8 && public_payer.starts_with("12"));
    assert!(crate::center::account::has_valid_check_digit(public_payer));
    let recipient = q.number.expose();
    assert!(recipient.len() == 7 && recipient.bytes().all(|b| b.is_ascii_digit()));
    assert!(crate::center::account::has_valid_check_digit(recipient));
    assert!(q.insurer_name.expose().ends_with("福祉事務所"));

    let backside = check(&mut h, "backside");
    let back = backside
        .qualification
        .as_ref()
        .unwrap()
        .back
        .clone()
        .unwrap();
    assert_eq!(back.name.unwrap().expose(), "他資格 太郎");
    assert_eq!(back.name_kana.unwrap().expose(), "シカク タロウ");
    assert_eq!(back.sex, Some(Sex::Male));

    let elderly = check(&mut h, "elderly");
    let certificate = elderly
        .qualification
        .as_ref()
        .unwrap()
        .elderly
        .clone()
        .unwrap();
    assert_eq!(certificate.ratio.code(), "020");
    assert_eq!(certificate.ratio.tenths(), 2);

    let invalid = check(&mut h, "invalid");
    assert_eq!(invalid.validity, Validity::Invalid);
    assert_eq!(
        invalid.qualification.as_ref().unwrap().name.expose(),
        "無効 三郎"
    );
    assert!(!invalid.is_medical_assistance());

    let none = check(&mut h, "unqualified");
    assert_eq!(none.validity, Validity::NoQualification);
    assert!(none.qualification.is_none());

    let invalid_welfare = check(&mut h, "invalid-welfare");
    assert_eq!(invalid_welfare.validity, Validity::Invalid);
    assert!(invalid_welfare.is_medical_assistance());

    for (id, name) in [("locked", "鍵掛 四郎"), ("one-try", "残一 五郎")] {
        let outcome = check(&mut h, id);
        assert_eq!(outcome.validity, Validity::Valid, "{id}");
        assert_eq!(outcome.qualification.as_ref().unwrap().name.expose(), name);
    }

    // 失効 六子: expired 2025-06-30, grace until 2025-09-30, refused since (§5.2).
    assert_eq!(code(h.visual("expired")), ErrorCode::CertificateExpired);
}

#[test]
fn expired_certificate_works_in_its_grace_period_with_the_notice() {
    // Expired 2025-06-30 23:59:59 JST; the grace period ends 2025-09-30.
    let jul_1_2025 = 1_751_295_600;
    let sep_30_2025 = 1_759_158_000;
    let oct_1_2025 = 1_759_244_400;
    for now in [jul_1_2025, sep_30_2025 + 86_399] {
        let (mut h, _) = Harness::registered(now);
        let outcome = h.visual("expired").unwrap();
        assert!(outcome.cert_expiring, "{now}");
        assert_eq!(outcome.validity, Validity::Valid);
    }
    let (mut h, _) = Harness::registered(oct_1_2025);
    assert_eq!(code(h.visual("expired")), ErrorCode::CertificateExpired);
}

#[test]
fn confirmation_date_is_today_in_japan() {
    let (mut h, _) = Harness::registered(DEC_1_2025_JST - 1);
    assert_eq!(
        h.visual("taro").unwrap().confirmation_date.to_yyyymmdd(),
        "20251130"
    );
    h.advance(1);
    assert_eq!(
        h.visual("taro").unwrap().confirmation_date.to_yyyymmdd(),
        "20251201"
    );
}

#[test]
fn valid_record_outside_its_dates_is_invalid() {
    let last_day = 1_806_418_800; // 2027-03-31 00:00 JST
    let day_after = 1_806_505_200; // 2027-04-01 00:00 JST
    let first_day = 1_743_433_200; // 2025-04-01 00:00 JST
    for (now, expected) in [
        (first_day - 1, Validity::Invalid),
        (first_day, Validity::Valid),
        (last_day + 86_399, Validity::Valid),
        (day_after, Validity::Invalid),
    ] {
        let (mut h, _) = Harness::registered(now);
        let outcome = h.visual("taro").unwrap();
        assert_eq!(outcome.validity, expected, "{now}");
        assert!(
            outcome.qualification.is_some(),
            "無効 still shows the qualification"
        );
    }
}

#[test]
fn certificate_expiry_notice_and_grace_period() {
    // taro's certificate expires 2034-12-25 23:59:59 JST.
    let sep_24_2034 = 2_042_636_400;
    let sep_25_2034 = 2_042_722_800;
    let mar_31_2035 = 2_058_879_600;
    let apr_1_2035 = 2_058_966_000;
    let check = |now| Harness::registered(now).0.visual("taro");
    assert!(!check(sep_24_2034 + 86_399).unwrap().cert_expiring);
    assert!(check(sep_25_2034).unwrap().cert_expiring);
    assert!(check(mar_31_2035 + 86_399).unwrap().cert_expiring);
    assert_eq!(code(check(apr_1_2035)), ErrorCode::CertificateExpired);

    // On the wire: the notice code and its message.
    let mut h = Harness::new(sep_25_2034);
    let (_, access, _) = raw_register(&mut h);
    let body = wire::encode_check_request(&CheckRequest::Visual {
        certificate: &cert("taro"),
    });
    let response = h.raw("POST", wire::CHECK_PATH, Some(&access), &body);
    assert!(response
        .body
        .expose()
        .contains(r#""ProcessingResultCode":"MK-I0001""#));
    assert!(response.body.expose().contains("3か月以内"));
}

#[test]
fn unknown_certificate_is_rejected() {
    let mut center = ReferenceCenter::new();
    center.add_account(&demo_registration()).unwrap();
    let mut h = Harness::with(center, DEC_1_2025_JST);
    h.center.register_device(&demo_registration()).unwrap();
    assert_eq!(code(h.visual("taro")), ErrorCode::UnknownCertificate);
    // The same serial from another issuer is another certificate.
    h.center
        .transport_mut()
        .center_mut()
        .bind(DEMO_TARO_SERIAL, b"\x30\x00", demo_taro());
    assert_eq!(code(h.visual("taro")), ErrorCode::UnknownCertificate);
    h.center
        .transport_mut()
        .center_mut()
        .bind("0705d990", &demo_issuer_der(), demo_taro());
    assert!(h.visual("taro").is_ok(), "serials bind in any case");
}

#[test]
fn rebinding_replaces_the_record() {
    let (mut h, _) = Harness::registered(DEC_1_2025_JST);
    h.center.transport_mut().center_mut().bind(
        "0705D990",
        &demo_issuer_der(),
        Record {
            validity: Validity::NoQualification,
            qualification: None,
        },
    );
    let outcome = h.visual("taro").unwrap();
    assert_eq!(outcome.validity, Validity::NoQualification);
    assert!(outcome.qualification.is_none());
}

#[test]
fn bad_requests_get_400() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let (_, access, _) = raw_register(&mut h);
    let taro = wire::base64_encode(&cert_der("taro"));
    for body in [
        String::new(),
        "{".into(),
        r#"{"mode":"visual"}"#.into(),
        r#"{"mode":"face","certificate":"Zm9v"}"#.into(),
        r#"{"mode":"visual","certificate":"Zm9"}"#.into(),
        // Strict base64 of bytes that are not a certificate.
        r#"{"mode":"visual","certificate":"Zm9vYmFy"}"#.into(),
        // A 目視 check with a signature, a PIN check without a challenge.
        format!(r#"{{"mode":"visual","certificate":"{taro}","signature":"Zm9v"}}"#),
        format!(r#"{{"mode":"pin","certificate":"{taro}","signature":"Zm9v"}}"#),
        format!(r#"{{"mode":"pin","certificate":"{taro}","challenge_id":"bad id"}}"#),
    ] {
        let response = h.raw("POST", wire::CHECK_PATH, Some(&access), &body);
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response_code(&response), ErrorCode::BadRequest);
    }
    for (path, body) in [
        (wire::DEVICES_PATH, "{}"),
        (wire::SESSIONS_PATH, "[]"),
        (wire::SESSION_REFRESH_PATH, ""),
    ] {
        let response = h.raw("POST", path, None, body);
        assert_eq!(response_code(&response), ErrorCode::BadRequest, "{path}");
    }
    let response = h.raw(
        "POST",
        wire::NOTICES_READ_PATH,
        Some(&access),
        r#"{"ids":[]}"#,
    );
    assert_eq!(response_code(&response), ErrorCode::BadRequest);
}

#[test]
fn routing_checks_path_and_method() {
    let mut h = Harness::new(DEC_1_2025_JST);
    for (path, method) in ROUTES {
        let other = if method == "GET" { "POST" } else { "GET" };
        let response = h.raw(other, path, None, "");
        assert_eq!(response.status, 405, "{other} {path}");
        assert_eq!(response_code(&response), ErrorCode::MethodNotAllowed);
    }
    for path in [
        "/",
        "/v1",
        "/v1/qualification-check",
        "/v2/qualification-checks",
        "/v1/notices/",
    ] {
        let response = h.raw("GET", path, None, "");
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response_code(&response), ErrorCode::NotFound);
    }
}

#[test]
fn calls_need_a_session() {
    let mut h = Harness::new(DEC_1_2025_JST);
    for (path, method) in ROUTES {
        let open = [
            wire::DEVICES_PATH,
            wire::SESSIONS_PATH,
            wire::SESSION_REFRESH_PATH,
            wire::APP_VERSION_PATH,
        ];
        if open.contains(&path) {
            continue;
        }
        for bearer in [None, Some("0123456789abcdef0123456789abcdef")] {
            let response = h.raw(method, path, bearer, "{}");
            assert_eq!(response.status, 401, "{method} {path}");
            assert_eq!(response_code(&response), ErrorCode::SessionInvalid);
        }
    }
    // The client does not even send them.
    assert_eq!(h.visual("taro"), Err(CenterError::NoSession));
}

// --- Accounts and devices ---------------------------------------------------------------

fn sheet_with(institution: &str, user: &str, password: &str, activation: &str) -> Registration {
    Registration {
        institution_code: InstitutionCode::parse(institution).unwrap(),
        user_id: UserId::parse(user).unwrap(),
        password: Password::new(password.into()),
        activation_code: ActivationCode::parse(activation).unwrap(),
    }
}

#[test]
fn registration_checks_every_value_of_the_sheet() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let cases = [
        // Another valid 機関コード: not the account's.
        (
            sheet_with(
                "0110113719",
                DEMO_USER_ID,
                DEMO_PASSWORD,
                DEMO_ACTIVATION_CODE,
            ),
            ErrorCode::WrongInstitutionCode,
        ),
        (
            sheet_with(
                DEMO_INSTITUTION_CODE,
                "W0000002",
                DEMO_PASSWORD,
                DEMO_ACTIVATION_CODE,
            ),
            ErrorCode::WrongCredentials,
        ),
        (
            sheet_with(
                DEMO_INSTITUTION_CODE,
                DEMO_USER_ID,
                "Wrong#Pass1",
                DEMO_ACTIVATION_CODE,
            ),
            ErrorCode::WrongCredentials,
        ),
        (
            sheet_with(
                DEMO_INSTITUTION_CODE,
                DEMO_USER_ID,
                DEMO_PASSWORD,
                "DEMO-MYNA-TEST-0002",
            ),
            ErrorCode::WrongActivationCode,
        ),
    ];
    for (sheet, expected) in cases {
        assert_eq!(code(h.center.register_device(&sheet)), expected);
        assert!(!h.center.has_session());
    }
    // A 機関コード with a wrong check digit never gets past the center either.
    let mut body = wire::account::encode_registration(&demo_registration())
        .expose()
        .to_owned();
    body = body.replace(DEMO_INSTITUTION_CODE, "1312345678");
    let response = h.raw("POST", wire::DEVICES_PATH, None, &body);
    assert_eq!(response_code(&response), ErrorCode::WrongInstitutionCode);
    // The right sheet registers and opens a session that checks qualifications.
    let enrollment = h.center.register_device(&demo_registration()).unwrap();
    assert_eq!(
        enrollment.session.access_valid_seconds,
        ACCESS_TOKEN_SECONDS
    );
    assert_eq!(
        enrollment.session.refresh_valid_seconds,
        REFRESH_TOKEN_SECONDS
    );
    assert!(h.center.has_session());
    assert!(h.visual("taro").is_ok());
}

#[test]
fn every_device_gets_its_own_credential() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let first = h.center.register_device(&demo_registration()).unwrap();
    let second = h.center.register_device(&demo_registration()).unwrap();
    assert_ne!(
        first.device, second.device,
        "the same sheet registers many devices"
    );
    assert_ne!(first.session.refresh_token, second.session.refresh_token);
    assert_eq!(first.device.expose().len(), 64);
}

#[test]
fn five_wrong_passwords_lock_the_account_for_30_minutes() {
    let (mut h, enrollment) = Harness::registered(DEC_1_2025_JST);
    let device = enrollment.device;
    for attempt in 1..=4 {
        assert_eq!(
            code(h.login(&device, "Wrong#Pass1")),
            ErrorCode::WrongCredentials,
            "attempt {attempt}"
        );
    }
    assert_eq!(
        code(h.login(&device, "Wrong#Pass1")),
        ErrorCode::AccountLocked
    );
    // Locked: even the right password, and registration too, until 30 minutes pass.
    assert_eq!(
        code(h.login(&device, DEMO_PASSWORD)),
        ErrorCode::AccountLocked
    );
    assert_eq!(
        code(h.center.register_device(&demo_registration())),
        ErrorCode::AccountLocked
    );
    h.advance(LOCKOUT_SECONDS - 1);
    assert_eq!(
        code(h.login(&device, DEMO_PASSWORD)),
        ErrorCode::AccountLocked
    );
    h.advance(1);
    assert_eq!(h.login(&device, DEMO_PASSWORD), Ok(()));
    // After the lock the count starts again: four more wrong ones do not lock.
    for _ in 1..=4 {
        assert_eq!(
            code(h.login(&device, "Wrong#Pass1")),
            ErrorCode::WrongCredentials
        );
    }
    assert_eq!(h.login(&device, DEMO_PASSWORD), Ok(()));
}

#[test]
fn a_right_password_resets_the_count() {
    let (mut h, enrollment) = Harness::registered(DEC_1_2025_JST);
    for _ in 1..=4 {
        assert_eq!(
            code(h.login(&enrollment.device, "x")),
            ErrorCode::WrongCredentials
        );
    }
    assert_eq!(h.login(&enrollment.device, DEMO_PASSWORD), Ok(()));
    for _ in 1..=4 {
        assert_eq!(
            code(h.login(&enrollment.device, "x")),
            ErrorCode::WrongCredentials
        );
    }
    assert_eq!(h.login(&enrollment.device, DEMO_PASSWORD), Ok(()));
}

#[test]
fn unknown_ids_answer_like_wrong_passwords_and_never_lock() {
    let (mut h, enrollment) = Harness::registered(DEC_1_2025_JST);
    for user in [
        "W0000002", "W0000002", "W0000002", "W0000002", "W0000002", "W0000002",
    ] {
        let result = h.center.login(
            &enrollment.device,
            &UserId::parse(user).unwrap(),
            &Password::new(DEMO_PASSWORD.into()),
        );
        assert_eq!(code(result), ErrorCode::WrongCredentials);
    }
    assert_eq!(h.login(&enrollment.device, DEMO_PASSWORD), Ok(()));
}

#[test]
fn password_change_follows_the_manuals_rules() {
    let (mut h, enrollment) = Harness::registered(DEC_1_2025_JST);
    let current = Password::new(DEMO_PASSWORD.into());
    for bad in [
        "Short#1",
        "nouppercase#1",
        "NOLOWERCASE#1",
        "NoDigits#here",
        "NoSymbol123",
        "Space #123a",
        "Plus+1234abC",
    ] {
        let result = h
            .center
            .change_password(&current, &Password::new(bad.into()));
        assert_eq!(code(result), ErrorCode::PasswordRules, "{bad}");
    }
    let new = Password::new("Newer#Pass2026".into());
    assert_eq!(h.center.change_password(&current, &new), Ok(()));
    assert_eq!(
        code(h.login(&enrollment.device, DEMO_PASSWORD)),
        ErrorCode::WrongCredentials
    );
    assert_eq!(h.login(&enrollment.device, "Newer#Pass2026"), Ok(()));
}

#[test]
fn a_wrong_current_password_counts_towards_the_lock() {
    let (mut h, enrollment) = Harness::registered(DEC_1_2025_JST);
    let new = Password::new("Newer#Pass2026".into());
    for _ in 1..=4 {
        let result = h
            .center
            .change_password(&Password::new("Wrong#Pass1".into()), &new);
        assert_eq!(code(result), ErrorCode::WrongCredentials);
    }
    let result = h
        .center
        .change_password(&Password::new("Wrong#Pass1".into()), &new);
    assert_eq!(code(result), ErrorCode::AccountLocked);
    assert_eq!(
        code(h.login(&enrollment.device, DEMO_PASSWORD)),
        ErrorCode::AccountLocked
    );
}

#[test]
fn login_needs_a_registered_device_of_the_institution() {
    let (mut h, _) = Harness::registered(DEC_1_2025_JST);
    let stranger = DeviceCredential::parse("0123456789abcdef0123456789abcdef".into()).unwrap();
    assert_eq!(
        code(h.login(&stranger, DEMO_PASSWORD)),
        ErrorCode::DeviceNotRegistered
    );
    // An account of another institution cannot log in on this institution's device.
    let other = sheet_with(
        "0110113719",
        "W0000009",
        "Other#Pass9",
        "OTHR-0000-0000-0009",
    );
    h.center
        .transport_mut()
        .center_mut()
        .add_account(&other)
        .unwrap();
    let device = h
        .center
        .register_device(&demo_registration())
        .unwrap()
        .device;
    let result = h.center.login(
        &device,
        &UserId::parse("W0000009").unwrap(),
        &Password::new("Other#Pass9".into()),
    );
    assert_eq!(code(result), ErrorCode::DeviceNotRegistered);
}

// --- Sessions ---------------------------------------------------------------------------

/// Raw refresh through `handle`: the new (access token, refresh token), or the error.
fn raw_refresh(
    h: &mut Harness,
    device: &str,
    refresh: &str,
) -> Result<(String, String), ErrorCode> {
    let device = DeviceCredential::parse(device.into()).unwrap();
    let refresh = RefreshToken::parse(refresh.into()).unwrap();
    let body = wire::account::encode_refresh(&device, &refresh);
    let response = h.raw("POST", wire::SESSION_REFRESH_PATH, None, body.expose());
    if response.status != 200 {
        return Err(response_code(&response));
    }
    let (session, access) = wire::account::parse_session(response.body.expose()).unwrap();
    Ok((
        access.expose().to_owned(),
        session.refresh_token.expose().to_owned(),
    ))
}

/// The status of `GET /v1/notices` with `access` (200 when the access token works).
fn notices_status(h: &mut Harness, access: &str) -> u16 {
    h.raw("GET", wire::NOTICES_PATH, Some(access), "").status
}

#[test]
fn refresh_rotates_the_tokens_and_is_bound_to_the_device() {
    let (mut h, enrollment) = Harness::registered(DEC_1_2025_JST);
    let device = enrollment.device;
    let first = enrollment.session.refresh_token;
    let second = h
        .center
        .refresh_session(&device, &first)
        .unwrap()
        .refresh_token;
    assert_ne!(first, second);
    let other = h
        .center
        .register_device(&demo_registration())
        .unwrap()
        .device;
    assert_eq!(
        code(h.center.refresh_session(&other, &second)),
        ErrorCode::RefreshRejected,
        "another device's current token"
    );
    assert_eq!(
        code(h.center.refresh_session(&other, &first)),
        ErrorCode::RefreshRejected,
        "another device's previous token"
    );
    let stranger = DeviceCredential::parse("0123456789abcdef0123456789abcdef".into()).unwrap();
    assert_eq!(
        code(h.center.refresh_session(&stranger, &second)),
        ErrorCode::DeviceNotRegistered
    );
    let unknown = RefreshToken::parse("0123456789abcdef0123456789abcdef".into()).unwrap();
    assert_eq!(
        code(h.center.refresh_session(&device, &unknown)),
        ErrorCode::RefreshRejected
    );
    let third = h
        .center
        .refresh_session(&device, &second)
        .unwrap()
        .refresh_token;
    assert_ne!(third, second);
    assert_eq!(
        code(h.center.refresh_session(&device, &first)),
        ErrorCode::RefreshRejected,
        "two rotations back: dead"
    );
}

#[test]
fn the_previous_refresh_token_works_once_after_a_lost_answer() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let (device, access_0, refresh_0) = raw_register(&mut h);
    // The center answers N+1, but the kiosk crashes before it saves it.
    let (access_1, refresh_1) = raw_refresh(&mut h, &device, &refresh_0).unwrap();
    assert_eq!(
        notices_status(&mut h, &access_0),
        401,
        "the old access token died"
    );
    assert_eq!(notices_status(&mut h, &access_1), 200);
    // It starts again with N: the reuse window gives a fresh pair N+2.
    let (access_2, refresh_2) = raw_refresh(&mut h, &device, &refresh_0).unwrap();
    assert!(refresh_2 != refresh_0 && refresh_2 != refresh_1);
    assert_eq!(notices_status(&mut h, &access_2), 200);
    assert_eq!(
        response_code(&h.raw("GET", wire::NOTICES_PATH, Some(&access_1), "")),
        ErrorCode::SessionInvalid,
        "the lost pair's access token is revoked"
    );
    // A second replay of N fails, and the lost N+1 is dead.
    assert_eq!(
        raw_refresh(&mut h, &device, &refresh_0),
        Err(ErrorCode::RefreshRejected),
        "the previous token works only once"
    );
    assert_eq!(
        raw_refresh(&mut h, &device, &refresh_1),
        Err(ErrorCode::RefreshRejected),
        "the lost token was revoked by the reuse"
    );
    // The failed attempts did not harm the session: N+2 renews it.
    let (access_3, _) = raw_refresh(&mut h, &device, &refresh_2).unwrap();
    assert_eq!(notices_status(&mut h, &access_3), 200);
}

#[test]
fn the_previous_refresh_token_dies_once_the_current_one_is_used() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let (device, _, refresh_0) = raw_register(&mut h);
    let (_, refresh_1) = raw_refresh(&mut h, &device, &refresh_0).unwrap();
    // N+1 was saved and used: N is now older than the previous token.
    let (_, refresh_2) = raw_refresh(&mut h, &device, &refresh_1).unwrap();
    assert_eq!(
        raw_refresh(&mut h, &device, &refresh_0),
        Err(ErrorCode::RefreshRejected),
        "an older token stays dead"
    );
    // The refused old token did not use up the window of the now previous N+1.
    let (_, refresh_3) = raw_refresh(&mut h, &device, &refresh_1).unwrap();
    assert_eq!(
        raw_refresh(&mut h, &device, &refresh_2),
        Err(ErrorCode::RefreshRejected)
    );
    assert!(raw_refresh(&mut h, &device, &refresh_3).is_ok());
}

#[test]
fn another_devices_try_does_not_use_up_the_reuse_window() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let (device, _, refresh_0) = raw_register(&mut h);
    let (other, _, _) = raw_register(&mut h);
    raw_refresh(&mut h, &device, &refresh_0).unwrap();
    assert_eq!(
        raw_refresh(&mut h, &other, &refresh_0),
        Err(ErrorCode::RefreshRejected)
    );
    assert!(raw_refresh(&mut h, &device, &refresh_0).is_ok());
}

#[test]
fn logout_revokes_the_previous_refresh_token_too() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let (device, _, refresh_0) = raw_register(&mut h);
    let (access_1, refresh_1) = raw_refresh(&mut h, &device, &refresh_0).unwrap();
    let response = h.raw("DELETE", wire::CURRENT_SESSION_PATH, Some(&access_1), "");
    assert_eq!(response.status, 204);
    for token in [&refresh_0, &refresh_1] {
        assert_eq!(
            raw_refresh(&mut h, &device, token),
            Err(ErrorCode::RefreshRejected)
        );
    }
}

#[test]
fn the_reuse_window_does_not_extend_the_30_day_expiry() {
    let thirty_days = i64::from(REFRESH_TOKEN_SECONDS);
    let day = 24 * 3600;
    for (age, works) in [(thirty_days - 1, true), (thirty_days, false)] {
        let mut h = Harness::new(DEC_1_2025_JST);
        // N is issued at registration and used on its 29th day.
        let (device, _, refresh_0) = raw_register(&mut h);
        h.advance(thirty_days - day);
        let (_, refresh_1) = raw_refresh(&mut h, &device, &refresh_0).unwrap();
        h.advance(age - (thirty_days - day));
        let replay = raw_refresh(&mut h, &device, &refresh_0);
        if works {
            assert!(replay.is_ok(), "N at {age} s is within its 30 days");
        } else {
            assert_eq!(
                replay,
                Err(ErrorCode::RefreshRejected),
                "N expires 30 days after it was issued, reuse window or not"
            );
            // The current token, issued a day ago, is unharmed.
            assert!(raw_refresh(&mut h, &device, &refresh_1).is_ok());
        }
    }
}

#[test]
fn every_session_call_answers_expired_after_12_hours_and_refresh_still_works() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let (device, access, refresh) = raw_register(&mut h);
    let open = [
        wire::DEVICES_PATH,
        wire::SESSIONS_PATH,
        wire::SESSION_REFRESH_PATH,
        wire::APP_VERSION_PATH,
    ];
    let session_calls: Vec<_> = ROUTES
        .iter()
        .filter(|(path, _)| !open.contains(path))
        .collect();
    assert_eq!(session_calls.len(), 7);
    h.advance(i64::from(ACCESS_TOKEN_SECONDS) - 1);
    assert_eq!(notices_status(&mut h, &access), 200, "valid until 12 hours");
    h.advance(1);
    for (path, method) in &session_calls {
        let response = h.raw(method, path, Some(&access), "{}");
        assert_eq!(response.status, 401, "{method} {path}");
        assert_eq!(
            response_code(&response),
            ErrorCode::SessionExpired,
            "{method} {path}"
        );
    }
    h.advance(3600);
    assert_eq!(
        response_code(&h.raw("GET", wire::NOTICES_PATH, Some(&access), "")),
        ErrorCode::SessionExpired,
        "still expired later"
    );
    // The refresh token (30 days) renews the session; the new access token works
    // (the logout, tried last, ends it).
    let (access, _) = raw_refresh(&mut h, &device, &refresh).unwrap();
    assert_eq!(notices_status(&mut h, &access), 200);
    let response = h.raw("POST", wire::CHALLENGES_PATH, Some(&access), "");
    assert_eq!(response.status, 201);
    let response = h.raw("DELETE", wire::CURRENT_SESSION_PATH, Some(&access), "");
    assert_eq!(response.status, 204);
}

#[test]
fn access_tokens_expire_and_refresh_renews_them() {
    let (mut h, enrollment) = Harness::registered(DEC_1_2025_JST);
    h.advance(i64::from(ACCESS_TOKEN_SECONDS) - 1);
    assert!(h.visual("taro").is_ok());
    h.advance(1);
    assert_eq!(code(h.visual("taro")), ErrorCode::SessionExpired);
    assert!(
        !h.center.has_session(),
        "the client dropped the dead session"
    );
    h.center
        .refresh_session(&enrollment.device, &enrollment.session.refresh_token)
        .unwrap();
    assert!(h.visual("taro").is_ok());
}

#[test]
fn refresh_tokens_expire_after_30_days() {
    let (mut h, enrollment) = Harness::registered(DEC_1_2025_JST);
    h.advance(i64::from(REFRESH_TOKEN_SECONDS));
    assert_eq!(
        code(
            h.center
                .refresh_session(&enrollment.device, &enrollment.session.refresh_token)
        ),
        ErrorCode::RefreshRejected
    );
    // ID + password still work on the registered device.
    assert_eq!(h.login(&enrollment.device, DEMO_PASSWORD), Ok(()));
}

#[test]
fn logout_revokes_the_session_and_its_refresh_token() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let (device, access, refresh) = raw_register(&mut h);
    let response = h.raw("DELETE", wire::CURRENT_SESSION_PATH, Some(&access), "");
    assert_eq!(response.status, 204);
    let response = h.raw("POST", wire::CHALLENGES_PATH, Some(&access), "");
    assert_eq!(response_code(&response), ErrorCode::SessionInvalid);
    let device = DeviceCredential::parse(device.as_str().into()).unwrap();
    let refresh = RefreshToken::parse(refresh.as_str().into()).unwrap();
    assert_eq!(
        code(h.center.refresh_session(&device, &refresh)),
        ErrorCode::RefreshRejected
    );
    // The device stays registered: ID + password log in again.
    assert_eq!(h.login(&device, DEMO_PASSWORD), Ok(()));
    assert_eq!(h.center.logout(), Ok(()));
    assert_eq!(h.visual("taro"), Err(CenterError::NoSession));
}

#[test]
fn deregistration_ends_every_session_of_the_device_at_once() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let (device, access, refresh) = raw_register(&mut h);
    let device = DeviceCredential::parse(device.as_str().into()).unwrap();
    // A second session on the same device, held by the client.
    h.login(&device, DEMO_PASSWORD).unwrap();
    // Another device, untouched by what follows.
    let (_, other_access, _) = raw_register(&mut h);

    assert_eq!(h.center.deregister_device(), Ok(()));
    assert!(!h.center.has_session());
    let response = h.raw("GET", wire::NOTICES_PATH, Some(&access), "");
    assert_eq!(
        response_code(&response),
        ErrorCode::SessionInvalid,
        "the other session died"
    );
    let refresh = RefreshToken::parse(refresh.as_str().into()).unwrap();
    assert_eq!(
        code(h.center.refresh_session(&device, &refresh)),
        ErrorCode::DeviceNotRegistered
    );
    assert_eq!(
        code(h.login(&device, DEMO_PASSWORD)),
        ErrorCode::DeviceNotRegistered
    );
    let response = h.raw("GET", wire::NOTICES_PATH, Some(&other_access), "");
    assert_eq!(response.status, 200, "another device keeps its session");
    // Registering again gives a new device.
    assert!(h.center.register_device(&demo_registration()).is_ok());
}

// --- Notices and version ------------------------------------------------------------------

#[test]
fn notices_are_unread_until_this_device_marks_them() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let (_, other_access, _) = raw_register(&mut h);
    h.center.register_device(&demo_registration()).unwrap();
    let notices = h.center.notices().unwrap();
    assert_eq!(notices.len(), 2);
    assert!(notices.iter().all(|n| !n.read));
    assert!(notices.iter().all(|n| n.url.starts_with("https://")));

    let first = notices[0].id.clone();
    assert_eq!(
        h.center.mark_notices_read(std::slice::from_ref(&first)),
        Ok(())
    );
    let after = h.center.notices().unwrap();
    assert!(after.iter().find(|n| n.id == first).unwrap().read);
    assert!(!after.iter().find(|n| n.id != first).unwrap().read);

    // Read marks are per device.
    let response = h.raw("GET", wire::NOTICES_PATH, Some(&other_access), "");
    let theirs = wire::info::parse_notices(response.body.expose()).unwrap();
    assert!(theirs.iter().all(|n| !n.read));

    // An unknown ID marks nothing.
    let second = after.iter().find(|n| n.id != first).unwrap().id.clone();
    let unknown = NoticeId::parse("N9999").unwrap();
    assert_eq!(
        code(h.center.mark_notices_read(&[second, unknown])),
        ErrorCode::UnknownNotice
    );
    assert_eq!(
        h.center
            .notices()
            .unwrap()
            .iter()
            .filter(|n| n.read)
            .count(),
        1
    );
}

#[test]
fn app_version_needs_no_session_and_can_be_set() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let version = h.center.app_version().unwrap();
    assert_eq!(version.latest, Version::running());
    assert_eq!(version.minimum, Version::running());
    assert!(version.download_url.starts_with("https://"));
    let newer = AppVersion {
        latest: Version::new(9, 0, 0),
        minimum: Version::new(8, 0, 0),
        download_url: "https://myna-kakunin.example/download/9.0.0".into(),
    };
    h.center
        .transport_mut()
        .center_mut()
        .set_app_version(newer.clone());
    assert_eq!(h.center.app_version(), Ok(newer.clone()));
    assert_eq!(
        newer.status(Version::running()),
        crate::center::info::UpdateStatus::Required
    );
}

// --- Challenges and PIN mode ----------------------------------------------------------------

fn challenge(h: &mut Harness) -> Challenge {
    h.center.challenge().unwrap()
}

#[test]
fn challenges_are_random_and_expire_in_two_minutes() {
    let (mut h, _) = Harness::registered(DEC_1_2025_JST);
    let a = challenge(&mut h);
    let b = challenge(&mut h);
    assert_ne!(a.id, b.id);
    assert_ne!(a.nonce, b.nonce);
    assert_eq!(a.nonce.len(), 32);
    assert_eq!(a.valid_seconds, 120);
    assert_eq!(CHALLENGE_SECONDS, 120);
}

#[test]
fn a_device_keeps_its_newest_sixteen_challenges() {
    let (mut h, _) = Harness::registered(DEC_1_2025_JST);
    let first = challenge(&mut h);
    let second = challenge(&mut h);
    for _ in 0..15 {
        challenge(&mut h);
    }
    assert_eq!(
        code(h.pin("taro", &first.id, &sign("taro", &first.nonce))),
        ErrorCode::ChallengeInvalid,
        "the oldest was forgotten"
    );
    assert!(h
        .pin("taro", &second.id, &sign("taro", &second.nonce))
        .is_ok());
}

#[test]
fn expired_challenges_are_forgotten_after_an_hour() {
    let (mut h, enrollment) = Harness::registered(DEC_1_2025_JST);
    let c = challenge(&mut h);
    h.advance(120 + 3600);
    h.center
        .refresh_session(&enrollment.device, &enrollment.session.refresh_token)
        .unwrap();
    assert_eq!(
        code(h.pin("taro", &c.id, &sign("taro", &c.nonce))),
        ErrorCode::ChallengeInvalid
    );
}

#[test]
fn pin_check_with_the_cards_signature_answers() {
    let (mut h, _) = Harness::registered(DEC_1_2026_JST);
    for id in ["taro", "welfare", "unqualified"] {
        let c = challenge(&mut h);
        let outcome = h.pin(id, &c.id, &sign(id, &c.nonce)).unwrap();
        let expected = h.visual(id).unwrap();
        assert_eq!(outcome, expected, "{id}: the same answer as 目視");
    }
}

#[test]
fn a_challenge_is_single_use() {
    let (mut h, _) = Harness::registered(DEC_1_2025_JST);
    let c = challenge(&mut h);
    let signature = sign("taro", &c.nonce);
    assert!(h.pin("taro", &c.id, &signature).is_ok());
    assert_eq!(
        code(h.pin("taro", &c.id, &signature)),
        ErrorCode::ChallengeInvalid
    );
}

#[test]
fn a_challenge_expires_after_two_minutes() {
    let (mut h, _) = Harness::registered(DEC_1_2025_JST);
    let c = challenge(&mut h);
    h.advance(119);
    assert!(h.pin("taro", &c.id, &sign("taro", &c.nonce)).is_ok());
    let c = challenge(&mut h);
    h.advance(120);
    assert_eq!(
        code(h.pin("taro", &c.id, &sign("taro", &c.nonce))),
        ErrorCode::ChallengeExpired
    );
}

#[test]
fn bad_or_missing_signatures_are_refused_and_use_up_the_challenge() {
    let (mut h, _) = Harness::registered(DEC_1_2025_JST);
    let c = challenge(&mut h);
    let mut signature = sign("taro", &c.nonce);
    signature[0] ^= 1;
    assert_eq!(
        code(h.pin("taro", &c.id, &signature)),
        ErrorCode::SignatureInvalid
    );
    let good = sign("taro", &c.nonce);
    assert_eq!(
        code(h.pin("taro", &c.id, &good)),
        ErrorCode::ChallengeInvalid,
        "used up"
    );

    let c = challenge(&mut h);
    assert_eq!(
        code(h.pin("taro", &c.id, &[])),
        ErrorCode::SignatureInvalid,
        "missing"
    );
    let c = challenge(&mut h);
    let theirs = sign("family", &c.nonce);
    assert_eq!(
        code(h.pin("taro", &c.id, &theirs)),
        ErrorCode::SignatureInvalid,
        "another card"
    );
    let c = challenge(&mut h);
    let other_nonce = sign("taro", b"another message of thirty-two b.");
    assert_eq!(
        code(h.pin("taro", &c.id, &other_nonce)),
        ErrorCode::SignatureInvalid
    );
    let unknown = ChallengeId::parse("0123456789abcdef").unwrap();
    assert_eq!(
        code(h.pin("taro", &unknown, &good)),
        ErrorCode::ChallengeInvalid
    );

    // On the wire, a PIN check without a `signature` key is refused the same way.
    let (_, access, _) = raw_register(&mut h);
    let response = h.raw("POST", wire::CHALLENGES_PATH, Some(&access), "");
    let c = wire::info::parse_challenge(response.body.expose()).unwrap();
    let body = format!(
        r#"{{"mode":"pin","certificate":"{}","challenge_id":"{}"}}"#,
        wire::base64_encode(&cert_der("taro")),
        c.id.as_str()
    );
    let response = h.raw("POST", wire::CHECK_PATH, Some(&access), &body);
    assert_eq!(response_code(&response), ErrorCode::SignatureInvalid);
}

#[test]
fn a_challenge_belongs_to_the_device_that_asked() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let (_, access, _) = raw_register(&mut h);
    let response = h.raw("POST", wire::CHALLENGES_PATH, Some(&access), "");
    assert_eq!(response.status, 201);
    let theirs = wire::info::parse_challenge(response.body.expose()).unwrap();
    h.center.register_device(&demo_registration()).unwrap();
    assert_eq!(
        code(h.pin("taro", &theirs.id, &sign("taro", &theirs.nonce))),
        ErrorCode::ChallengeInvalid
    );
}

#[test]
fn pin_mode_still_applies_the_expiry_rule() {
    let (mut h, _) = Harness::registered(DEC_1_2025_JST);
    let c = challenge(&mut h);
    assert_eq!(
        code(h.pin("expired", &c.id, &sign("expired", &c.nonce))),
        ErrorCode::CertificateExpired
    );
}

// --- Privacy ------------------------------------------------------------------------------

#[test]
fn debug_output_hides_bodies_records_and_tokens() {
    let mut h = Harness::new(DEC_1_2025_JST);
    let (device, access, _) = raw_register(&mut h);
    let body = wire::encode_check_request(&CheckRequest::Visual {
        certificate: &cert("taro"),
    });
    let response = h.raw("POST", wire::CHECK_PATH, Some(&access), &body);
    let request = HttpRequest {
        method: "POST",
        path: wire::CHECK_PATH,
        bearer: Some(&access),
        body: &body,
    };
    let shown = format!(
        "{response:?} {request:?} {:?} {:?} {:?}",
        h.center,
        h.center.transport().center(),
        demo_taro()
    );
    for secret in [
        "太郎",
        "1952",
        "12345678",
        access.as_str(),
        device.as_str(),
        "MII",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("200"), "{shown}");
}

#[test]
fn the_demo_kiosk_starts_registered() {
    let mut center = LocalCenter::registered_demo(Box::new(|| DEC_1_2025_JST));
    assert!(center.has_session());
    let certificate = cert("taro");
    assert!(center
        .check_qualification(&CheckRequest::Visual {
            certificate: &certificate
        })
        .is_ok());
}
