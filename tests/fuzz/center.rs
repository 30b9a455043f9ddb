//! The center's JSON: every reply parser (client side), every request decoder (server
//! side) and the scalar field parsers under them, fed valid bodies from the crate's own
//! encoders and their byte-level and JSON-aware mutations.

use std::fmt::Debug;

use myna_kakunin::card::AuthCertificate;
use myna_kakunin::center::account::{
    has_valid_check_digit, is_token, AccessToken, ActivationCode, DeviceCredential, Enrollment,
    InstitutionCode, Password, RefreshToken, Registration, Session, UserId,
};
use myna_kakunin::center::info::{Notice, NoticeId, Version};
use myna_kakunin::center::model::{ChallengeId, CheckOutcome, Date, Ratio};
use myna_kakunin::center::wire::account::Grant;
use myna_kakunin::center::wire::{self, account, info, DecodedCheck, ErrorCode};
use myna_kakunin::center::{CenterError, CheckRequest};
use myna_kakunin::sensitive::SensitiveText;

use crate::harness::{Input, Verdict};
use crate::rng::Rng;
use crate::{gen, json, mutate};

/// Every status class, its edges and the statuses the center uses.
const STATUSES: &[u16] = &[
    0, 1, 99, 100, 101, 199, 200, 201, 202, 204, 206, 299, 300, 301, 304, 399, 400, 401, 403, 404,
    405, 408, 413, 418, 422, 423, 429, 499, 500, 502, 503, 599, 600, 999, 65_535,
];

/// JSON tokens for byte-level insertions.
const JSON_TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"true",
    b"1e999",
    b"\\u0000",
    b"\\ud800",
    b"\"\":\"\"",
    b"\xF0\x9F\x98\x80",
    b"\xE3\x81\x82",
    b"\xFF",
    b"\xC0\x80",
    b"\xED\xA0\x80",
];

/// The certificates the tests have (demo cards, CAs, a TLS server): real DER.
pub const CERTIFICATES: &[&[u8]] = &[
    include_bytes!("../pki/cards/taro.cert.der"),
    include_bytes!("../pki/cards/family.cert.der"),
    include_bytes!("../pki/cards/expired.cert.der"),
    include_bytes!("../pki/cards/welfare.cert.der"),
    include_bytes!("../pki/cards/taro.sign.cert.der"),
    include_bytes!("../pki/ca.cert.der"),
    include_bytes!("../pki/sign-ca.cert.der"),
    include_bytes!("../pki/tls/server.cert.der"),
];

/// The longest mutated body (1 MiB, sixteen times what the client accepts).
const MAX_BODY_BYTES: usize = 1 << 20;

/// A valid body, changed or not: JSON-aware mutations, byte-level ones, or both. Returns
/// the body and whether it is still the valid one.
pub fn mutate_body(rng: &mut Rng, valid: &str) -> (String, bool) {
    let max_depth = if rng.chance(1, 100) { 100_000 } else { 300 };
    let body = match rng.below(8) {
        0 => valid.to_owned(),
        1..=4 => {
            let mut tree = json::parse(valid).expect("the crate's encoders write valid JSON");
            json::mutate(rng, &mut tree, 4, max_depth);
            let mut text = json::write(&tree);
            if rng.chance(1, 4) {
                json::mutate_text(rng, &mut text);
            }
            text
        }
        5 | 6 => {
            let mut bytes = valid.as_bytes().to_vec();
            mutate::bytes(rng, &mut bytes, JSON_TOKENS, None, 6);
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => {
            let mut tree = json::parse(valid).expect("the crate's encoders write valid JSON");
            json::mutate(rng, &mut tree, 2, max_depth);
            let mut bytes = json::write(&tree).into_bytes();
            mutate::bytes(rng, &mut bytes, JSON_TOKENS, None, 3);
            String::from_utf8_lossy(&bytes).into_owned()
        }
    };
    // The client takes at most 64 KiB; a few MiB of mutations would only slow the run.
    let mut body = body;
    if body.len() > MAX_BODY_BYTES {
        let mut cut = MAX_BODY_BYTES;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    let unchanged = body == valid;
    (body, unchanged)
}

/// A short name for an error, for the tally.
fn kind(error: &CenterError) -> String {
    match error {
        CenterError::Rejected { code, .. } if ErrorCode::KNOWN.contains(code) => "Rejected".into(),
        CenterError::Rejected { .. } => "Rejected(unknown code)".into(),
        CenterError::Server { .. } => "Server".into(),
        other => format!("{other:?}"),
    }
}

/// What every reply must satisfy whatever its body: a non-2xx status is an error, either
/// the server error with that very status or a rejection that re-encodes to itself.
fn check_error_reply<T: Debug>(status: u16, result: &Result<T, CenterError>) -> Result<(), String> {
    if wire::is_success(status) {
        return Ok(());
    }
    match result {
        Ok(value) => Err(format!("status {status} gave Ok({value:?})")),
        Err(CenterError::Server { status: s }) if *s == status => Ok(()),
        Err(CenterError::Rejected { code, message }) => check_rejection(status, code, message),
        Err(other) => Err(format!("status {status} gave {other:?}")),
    }
}

/// A rejection is safe to show (short, no control characters), its code is well-formed,
/// and encoding it again gives the same rejection.
fn check_rejection(status: u16, code: &ErrorCode, message: &str) -> Result<(), String> {
    if message.chars().count() > 200 || message.chars().any(char::is_control) {
        return Err(format!("an unsafe message was passed on: {message:?}"));
    }
    if ErrorCode::from_code(code.code()).as_ref() != Some(code) {
        return Err(format!(
            "code {:?} does not parse back to itself",
            code.code()
        ));
    }
    let status = if wire::is_success(status) {
        500
    } else {
        status
    };
    let again = wire::error_reply(status, &wire::encode_error(code, message));
    let expected = CenterError::Rejected {
        code: code.clone(),
        message: message.to_owned(),
    };
    if again != expected {
        return Err(format!("a rejection re-encoded to {again:?}"));
    }
    Ok(())
}

/// One reply: a valid value, its body (maybe mutated) under some status, parsed.
/// Invariants: non-2xx rules above; a 2xx reply's Ok value re-encodes to a body that
/// parses to the same value; an unchanged valid body under its own status parses to the
/// value it was made from; a 2xx error is `Malformed` (or a rejection where allowed).
#[allow(clippy::too_many_arguments)]
fn reply<T: PartialEq + Debug>(
    name: &str,
    rng: &mut Rng,
    input: &mut Input,
    ok_status: u16,
    value: T,
    encode: impl Fn(&T) -> String,
    parse: impl Fn(&str) -> Result<T, CenterError>,
    may_reject: bool,
) -> Result<Verdict, String> {
    let valid = encode(&value);
    let (body, unchanged) = mutate_body(rng, &valid);
    let status = if rng.chance(3, 4) {
        ok_status
    } else {
        *rng.pick(STATUSES)
    };
    input.note(format!(
        "{name} reply, status {status}, unchanged {unchanged}"
    ));
    input.record("body", body.as_bytes());
    let result = wire::parse_reply(status, &body, &parse);
    check_error_reply(status, &result)?;
    if wire::is_success(status) {
        if unchanged && result.as_ref() != Ok(&value) {
            return Err(format!("the valid body gave {result:?}, not {value:?}"));
        }
        match &result {
            Ok(parsed) => {
                let again = parse(&encode(parsed));
                if again.as_ref() != Ok(parsed) {
                    return Err(format!("{parsed:?} re-encoded and parsed to {again:?}"));
                }
            }
            Err(CenterError::Malformed) => {}
            Err(CenterError::Rejected { code, message }) if may_reject => {
                check_rejection(status, code, message)?;
            }
            Err(other) => return Err(format!("a 2xx reply gave {other:?}")),
        }
    }
    Ok(match &result {
        Ok(_) => Verdict::Parsed,
        Err(e) => Verdict::refused(format!("{name}:{}", kind(e))),
    })
}

fn grant<'a>(session: &'a Session, access: &'a AccessToken) -> Grant<'a> {
    Grant {
        access_token: access.expose(),
        access_valid_seconds: session.access_valid_seconds,
        refresh_token: session.refresh_token.expose(),
        refresh_valid_seconds: session.refresh_valid_seconds,
    }
}

/// One iteration of `center_replies`.
pub fn replies(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    match rng.below(8) {
        0 => {
            let value = gen::enrollment(rng);
            reply(
                "enrollment",
                rng,
                input,
                201,
                value,
                |(e, a): &(Enrollment, AccessToken)| {
                    account::encode_enrollment(e.device.expose(), &grant(&e.session, a))
                        .expose()
                        .to_owned()
                },
                account::parse_enrollment,
                false,
            )
        }
        1 => {
            let value = gen::session(rng);
            let status = *rng.pick(&[200, 201]);
            reply(
                "session",
                rng,
                input,
                status,
                value,
                |(s, a): &(Session, AccessToken)| {
                    account::encode_session(&grant(s, a)).expose().to_owned()
                },
                account::parse_session,
                false,
            )
        }
        2 => {
            let count = if rng.chance(1, 10) {
                rng.range(0, 300)
            } else {
                rng.range(0, 4)
            };
            let notices: Vec<Notice> = (0..count).map(|_| gen::notice(rng)).collect();
            reply(
                "notices",
                rng,
                input,
                200,
                notices,
                |n: &Vec<Notice>| info::encode_notices(n),
                info::parse_notices,
                false,
            )
        }
        3 => {
            let value = gen::app_version(rng);
            reply(
                "app_version",
                rng,
                input,
                200,
                value,
                info::encode_app_version,
                info::parse_app_version,
                false,
            )
        }
        4 => {
            let value = gen::challenge(rng);
            reply(
                "challenge",
                rng,
                input,
                201,
                value,
                info::encode_challenge,
                info::parse_challenge,
                false,
            )
        }
        5 => {
            let message = rng.chance(1, 3).then(|| gen::message(rng));
            let outcome = gen::outcome(rng);
            let verdict = reply(
                "check",
                rng,
                input,
                200,
                outcome,
                |o: &CheckOutcome| wire::encode_outcome(o, message.as_deref()),
                |body| wire::parse_check_response(200, body),
                true,
            )?;
            // The check parser also takes the status itself: it must agree with
            // `parse_reply` under every status.
            let status = *rng.pick(STATUSES);
            let body = String::from_utf8_lossy(input.last_part()).into_owned();
            let direct = wire::parse_check_response(status, &body);
            let via_reply =
                wire::parse_reply(status, &body, |b| wire::parse_check_response(200, b));
            if direct != via_reply {
                return Err(format!(
                    "parse_check_response({status}) gave {direct:?}, parse_reply {via_reply:?}"
                ));
            }
            Ok(verdict)
        }
        6 if rng.chance(1, 3) => check_rejected(rng, input),
        6 => error_body(rng, input),
        _ => empty_reply(rng, input),
    }
}

/// A 200 check reply that says 処理結果 "2": an error for this person, with its code and
/// message, which the client takes as a rejection.
fn check_rejected(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let code = gen::error_code(rng);
    let message = gen::message(rng);
    let valid = format!(
        r#"{{"QualificationConfirmationDate":"20251201","ProcessingResultStatus":"2","ProcessingResultCode":{},"ProcessingResultMessage":{},"QualificationValidity":null,"ResultOfQualificationConfirmation":null}}"#,
        json::write(&json::J::Str(code.code().to_owned())),
        json::write(&json::J::Str(message.clone())),
    );
    let (body, unchanged) = mutate_body(rng, &valid);
    let status = if rng.chance(3, 4) {
        200
    } else {
        *rng.pick(STATUSES)
    };
    input.note(format!(
        "check rejected reply, status {status}, unchanged {unchanged}"
    ));
    input.record("body", body.as_bytes());
    let result = wire::parse_reply(status, &body, |b| wire::parse_check_response(200, b));
    check_error_reply(status, &result)?;
    if wire::is_success(status) {
        let expected = CenterError::Rejected { code, message };
        if unchanged && result.as_ref() != Err(&expected) {
            return Err(format!("the valid rejection gave {result:?}"));
        }
        match &result {
            Ok(parsed) => {
                let again = wire::parse_check_response(200, &wire::encode_outcome(parsed, None));
                if again.as_ref() != Ok(parsed) {
                    return Err(format!("{parsed:?} re-encoded and parsed to {again:?}"));
                }
            }
            Err(CenterError::Malformed) => {}
            Err(CenterError::Rejected { code, message }) => check_rejection(status, code, message)?,
            Err(other) => return Err(format!("a 2xx reply gave {other:?}")),
        }
    }
    Ok(match &result {
        Ok(_) => Verdict::Parsed,
        Err(e) => Verdict::refused(format!("check_rejected:{}", kind(e))),
    })
}

/// An error body under an error status (mostly its own).
fn error_body(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let code = gen::error_code(rng);
    let message = gen::message(rng);
    let valid = wire::encode_error(&code, &message);
    let (body, unchanged) = mutate_body(rng, &valid);
    let status = if rng.chance(3, 4) {
        code.http_status()
    } else {
        *rng.pick(STATUSES)
    };
    input.note(format!(
        "error body, status {status}, unchanged {unchanged}"
    ));
    input.record("body", body.as_bytes());
    let result = wire::parse_empty_reply(status, &body);
    check_error_reply(status, &result)?;
    if wire::is_success(status) {
        if result.is_err() {
            return Err(format!("a 2xx empty reply gave {result:?}"));
        }
    } else if unchanged {
        let expected = CenterError::Rejected { code, message };
        if result.as_ref() != Err(&expected) {
            return Err(format!("the valid error body gave {result:?}"));
        }
    }
    Ok(match &result {
        Ok(()) => Verdict::Parsed,
        Err(e) => Verdict::refused(format!("error_body:{}", kind(e))),
    })
}

/// A reply whose 2xx body is ignored: any body, any status.
fn empty_reply(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let valid = if rng.chance(1, 2) {
        wire::encode_error(&gen::error_code(rng), &gen::message(rng))
    } else {
        "{}".to_owned()
    };
    let (body, _) = mutate_body(rng, &valid);
    let body = if rng.chance(1, 4) {
        String::new()
    } else {
        body
    };
    let status = *rng.pick(STATUSES);
    input.note(format!("empty reply, status {status}"));
    input.record("body", body.as_bytes());
    let result = wire::parse_empty_reply(status, &body);
    check_error_reply(status, &result)?;
    if wire::is_success(status) && result.is_err() {
        return Err(format!("a 2xx empty reply gave {result:?}"));
    }
    Ok(match &result {
        Ok(()) => Verdict::Parsed,
        Err(e) => Verdict::refused(format!("empty:{}", kind(e))),
    })
}

/// One iteration of `center_requests`: the server-side decoders.
pub fn requests(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    match rng.below(6) {
        0 => check_request(rng, input),
        1 => registration(rng, input),
        2 => login(rng, input),
        3 => refresh(rng, input),
        4 => password_change(rng, input),
        _ => mark_read(rng, input),
    }
}

/// Records `body` and says whether it was changed.
fn record_request(input: &mut Input, name: &str, body: &str, unchanged: bool) {
    input.note(format!("{name} request, unchanged {unchanged}"));
    input.record("body", body.as_bytes());
}

fn request_verdict<T, E: Debug>(name: &str, result: &Result<T, E>) -> Verdict {
    match result {
        Ok(_) => Verdict::Parsed,
        Err(e) => Verdict::refused(format!("{name}:{e:?}")),
    }
}

/// The request that `decoded` stands for, encoded again, if its certificate parses.
fn encode_decoded_check(decoded: &DecodedCheck) -> Option<String> {
    match decoded {
        DecodedCheck::Visual { certificate } => {
            let certificate = AuthCertificate::from_der(certificate.clone()).ok()?;
            Some(wire::encode_check_request(&CheckRequest::Visual {
                certificate: &certificate,
            }))
        }
        DecodedCheck::Pin {
            certificate,
            challenge_id,
            signature,
        } => {
            let certificate = AuthCertificate::from_der(certificate.clone()).ok()?;
            Some(wire::encode_check_request(&CheckRequest::Pin {
                certificate: &certificate,
                signature: signature.as_deref().unwrap_or(&[]),
                challenge_id,
            }))
        }
    }
}

fn check_request(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let der = rng.pick(CERTIFICATES).to_vec();
    let certificate = AuthCertificate::from_der(der.clone()).expect("the test certificates parse");
    let (valid, expected) = if rng.chance(1, 2) {
        (
            wire::encode_check_request(&CheckRequest::Visual {
                certificate: &certificate,
            }),
            DecodedCheck::Visual { certificate: der },
        )
    } else {
        let n = rng.range(0, 300);
        let signature = rng.bytes(n);
        let challenge_id = ChallengeId::parse(&gen::id(rng, 64)).expect("a valid ID");
        let body = wire::encode_check_request(&CheckRequest::Pin {
            certificate: &certificate,
            signature: &signature,
            challenge_id: &challenge_id,
        });
        let expected = DecodedCheck::Pin {
            certificate: der,
            challenge_id,
            signature: (!signature.is_empty()).then_some(signature),
        };
        (body, expected)
    };
    let (body, unchanged) = mutate_body(rng, &valid);
    record_request(input, "check", &body, unchanged);
    let result = wire::decode_check_request(&body);
    if unchanged && result.as_ref() != Ok(&expected) {
        return Err(format!("the valid request gave {result:?}"));
    }
    if let Ok(decoded) = &result {
        if let Some(again) = encode_decoded_check(decoded) {
            let twice = wire::decode_check_request(&again);
            if twice.as_ref() != Ok(decoded) {
                return Err(format!("{decoded:?} re-encoded and decoded to {twice:?}"));
            }
        }
    }
    Ok(request_verdict("check", &result))
}

fn registration(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let value = gen::registration(rng);
    let valid = account::encode_registration(&value);
    let (body, unchanged) = mutate_body(rng, valid.expose());
    record_request(input, "registration", &body, unchanged);
    let result = account::decode_registration(&body);
    let fields = |r: &account::RegistrationRequest| {
        (
            r.institution_code.clone(),
            r.user_id.clone(),
            r.password.expose().to_owned(),
            r.activation_code.expose().to_owned(),
        )
    };
    let of = |r: &Registration| {
        (
            r.institution_code.as_str().to_owned(),
            r.user_id.as_str().to_owned(),
            r.password.expose().to_owned(),
            r.activation_code.expose().to_owned(),
        )
    };
    if unchanged && result.as_ref().map(fields) != Ok(of(&value)) {
        return Err(format!("the valid request gave {result:?}"));
    }
    if let Ok(decoded) = &result {
        let parsed = (
            InstitutionCode::parse(&decoded.institution_code),
            UserId::parse(&decoded.user_id),
            ActivationCode::parse(decoded.activation_code.expose()),
        );
        if let (Ok(institution_code), Ok(user_id), Ok(activation_code)) = parsed {
            let again = Registration {
                institution_code,
                user_id,
                password: Password::new(SensitiveText::new(decoded.password.expose().to_owned())),
                activation_code,
            };
            let twice = account::decode_registration(account::encode_registration(&again).expose());
            if twice.as_ref().map(fields) != Ok(of(&again)) {
                return Err(format!(
                    "a registration re-encoded and decoded to {twice:?}"
                ));
            }
        }
    }
    Ok(request_verdict("registration", &result))
}

fn login(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let device = DeviceCredential::parse(SensitiveText::new(gen::token(rng))).expect("token");
    let user = gen::user_id(rng);
    let password = gen::password(rng);
    let valid = account::encode_login(&device, &user, &password);
    let (body, unchanged) = mutate_body(rng, valid.expose());
    record_request(input, "login", &body, unchanged);
    let result = account::decode_login(&body);
    let fields = |r: &account::LoginRequest| {
        (
            r.device_credential.expose().to_owned(),
            r.user_id.clone(),
            r.password.expose().to_owned(),
        )
    };
    let expected = (
        device.expose().to_owned(),
        user.as_str().to_owned(),
        password.expose().to_owned(),
    );
    if unchanged && result.as_ref().map(fields) != Ok(expected) {
        return Err(format!("the valid request gave {result:?}"));
    }
    if let Ok(decoded) = &result {
        let device = DeviceCredential::parse(decoded.device_credential.clone());
        if let (Some(device), Ok(user)) = (device, UserId::parse(&decoded.user_id)) {
            let twice = account::decode_login(
                account::encode_login(&device, &user, &decoded.password).expose(),
            );
            if twice.as_ref().map(fields) != Ok(fields(decoded)) {
                return Err(format!("a login re-encoded and decoded to {twice:?}"));
            }
        }
    }
    Ok(request_verdict("login", &result))
}

fn refresh(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let device = DeviceCredential::parse(SensitiveText::new(gen::token(rng))).expect("token");
    let token = RefreshToken::parse(SensitiveText::new(gen::token(rng))).expect("token");
    let valid = account::encode_refresh(&device, &token);
    let (body, unchanged) = mutate_body(rng, valid.expose());
    record_request(input, "refresh", &body, unchanged);
    let result = account::decode_refresh(&body);
    let fields = |r: &account::RefreshRequest| {
        (
            r.device_credential.expose().to_owned(),
            r.refresh_token.expose().to_owned(),
        )
    };
    let expected = (device.expose().to_owned(), token.expose().to_owned());
    if unchanged && result.as_ref().map(fields) != Ok(expected) {
        return Err(format!("the valid request gave {result:?}"));
    }
    if let Ok(decoded) = &result {
        let device = DeviceCredential::parse(decoded.device_credential.clone());
        let token = RefreshToken::parse(decoded.refresh_token.clone());
        if let (Some(device), Some(token)) = (device, token) {
            let twice = account::decode_refresh(account::encode_refresh(&device, &token).expose());
            if twice.as_ref().map(fields) != Ok(fields(decoded)) {
                return Err(format!("a refresh re-encoded and decoded to {twice:?}"));
            }
        }
    }
    Ok(request_verdict("refresh", &result))
}

fn password_change(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let (current, new) = (gen::password(rng), gen::password(rng));
    let valid = account::encode_password_change(&current, &new);
    let (body, unchanged) = mutate_body(rng, valid.expose());
    record_request(input, "password", &body, unchanged);
    let result = account::decode_password_change(&body);
    let fields = |r: &account::PasswordChangeRequest| {
        (r.current.expose().to_owned(), r.new.expose().to_owned())
    };
    let expected = (current.expose().to_owned(), new.expose().to_owned());
    if unchanged && result.as_ref().map(fields) != Ok(expected) {
        return Err(format!("the valid request gave {result:?}"));
    }
    if let Ok(decoded) = &result {
        let twice = account::decode_password_change(
            account::encode_password_change(&decoded.current, &decoded.new).expose(),
        );
        if twice.as_ref().map(fields) != Ok(fields(decoded)) {
            return Err(format!(
                "a password change re-encoded and decoded to {twice:?}"
            ));
        }
    }
    Ok(request_verdict("password", &result))
}

fn mark_read(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let count = match rng.below(10) {
        0 => 0,
        1 => *rng.pick(&[100, 101]),
        _ => rng.range(1, 5),
    };
    let ids: Vec<NoticeId> = (0..count)
        .map(|_| NoticeId::parse(&gen::id(rng, 32)).expect("a valid ID"))
        .collect();
    let valid = info::encode_mark_read(&ids);
    let (body, unchanged) = mutate_body(rng, &valid);
    record_request(input, "mark_read", &body, unchanged);
    let result = info::decode_mark_read(&body);
    let allowed = (1..=info::MAX_MARK_READ_IDS).contains(&ids.len());
    if unchanged && allowed && result.as_ref() != Ok(&ids) {
        return Err(format!("the valid request gave {result:?}"));
    }
    if unchanged && !allowed && result.is_ok() {
        return Err(format!("{} IDs were accepted", ids.len()));
    }
    if let Ok(decoded) = &result {
        if decoded.is_empty() || decoded.len() > info::MAX_MARK_READ_IDS {
            return Err(format!("{} IDs were accepted", decoded.len()));
        }
        let twice = info::decode_mark_read(&info::encode_mark_read(decoded));
        if twice.as_ref() != Ok(decoded) {
            return Err(format!("{decoded:?} re-encoded and decoded to {twice:?}"));
        }
    }
    Ok(request_verdict("mark_read", &result))
}

/// Text for a field parser: a valid value (changed or not), a dictionary entry, or odd
/// characters.
fn field_text(rng: &mut Rng, valid: String) -> String {
    match rng.below(4) {
        0 => valid,
        1 => (*rng.pick(json::DICTIONARY)).to_owned(),
        2 => {
            let n = rng.range(0, 24);
            json::odd_string(rng, n)
        }
        _ => {
            let mut bytes = valid.into_bytes();
            mutate::bytes(
                rng,
                &mut bytes,
                &[b"0", b"=", b"-", b".", b"/", b" "],
                None,
                3,
            );
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }
}

/// Whether a parsed value gives back its text (`Ok(true)` if it parsed).
fn canonical<T>(
    name: &str,
    text: &str,
    parsed: Option<T>,
    back: impl Fn(&T) -> String,
) -> Result<bool, String> {
    match parsed {
        Some(value) if back(&value) != text => Err(format!(
            "{name}: {text:?} parsed but gives back {:?}",
            back(&value)
        )),
        Some(_) => Ok(true),
        None => Ok(false),
    }
}

/// One iteration of `center_fields`: the scalar parsers, each accepting only its
/// canonical form (what it accepts, it gives back unchanged).
pub fn fields(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let which = rng.below(12);
    let (name, valid) = match which {
        0 => ("date", gen::date(rng).to_yyyymmdd()),
        1 => ("version", gen::version(rng).to_string()),
        2 => ("ratio", format!("{:03}", 10 * rng.below(11))),
        3 => ("challenge_id", gen::id(rng, 64)),
        4 => ("notice_id", gen::id(rng, 32)),
        5 => ("error_code", gen::error_code(rng).code().to_owned()),
        6 => {
            let n = rng.range(0, 40);
            ("base64", wire::base64_encode(&rng.bytes(n)))
        }
        7 => ("https_url", gen::url(rng)),
        8 => (
            "institution_code",
            gen::institution_code(rng).as_str().to_owned(),
        ),
        9 => ("user_id", gen::user_id(rng).as_str().to_owned()),
        10 => (
            "activation_code",
            gen::activation_code(rng).expose().to_owned(),
        ),
        _ => ("token", gen::token(rng)),
    };
    let text = field_text(rng, valid.clone());
    input.note(format!("field {name}"));
    input.record("text", text.as_bytes());
    let parsed = match which {
        0 => canonical(name, &text, Date::parse_yyyymmdd(&text), Date::to_yyyymmdd)?,
        1 => canonical(name, &text, Version::parse(&text).ok(), Version::to_string)?,
        2 => canonical(name, &text, Ratio::from_code(&text), |r| r.code())?,
        3 => canonical(name, &text, ChallengeId::parse(&text).ok(), |c| {
            c.as_str().to_owned()
        })?,
        4 => canonical(name, &text, NoticeId::parse(&text).ok(), |c| {
            c.as_str().to_owned()
        })?,
        5 => canonical(name, &text, ErrorCode::from_code(&text), |c| {
            c.code().to_owned()
        })?,
        6 => {
            let decoded = wire::base64_decode(&text).ok();
            if let Some(bytes) = &decoded {
                let valid_bytes = wire::base64_decode(&valid).map_err(|_| "valid base64")?;
                if text == valid && *bytes != valid_bytes {
                    return Err("base64 did not round-trip".into());
                }
            }
            canonical(name, &text, decoded, |b| wire::base64_encode(b))?
        }
        7 => {
            let ok = info::is_https_url(&text);
            if ok && (text.len() > 2048 || text.chars().any(|c| c.is_control() || c == ' ')) {
                return Err(format!("{text:?} was taken as a safe URL"));
            }
            if text == valid && !ok {
                return Err(format!("the valid URL {text:?} was refused"));
            }
            ok
        }
        8 => {
            let parsed = InstitutionCode::parse(&text).ok();
            if parsed.is_some() && !has_valid_check_digit(&text) {
                return Err(format!("{text:?} has no valid check digit"));
            }
            canonical(name, &text, parsed, |c| c.as_str().to_owned())?
        }
        9 => canonical(name, &text, UserId::parse(&text).ok(), |c| {
            c.as_str().to_owned()
        })?,
        10 => {
            let parsed = ActivationCode::parse(&text).ok();
            if let Some(code) = &parsed {
                if code.expose() != text.to_ascii_uppercase() {
                    return Err(format!("{text:?} became {:?}", code.expose()));
                }
            }
            parsed.is_some()
        }
        _ => {
            let token = is_token(&text);
            let parsed = DeviceCredential::parse(SensitiveText::new(text.clone()));
            if token != parsed.is_some() {
                return Err(format!(
                    "is_token and DeviceCredential::parse disagree on {text:?}"
                ));
            }
            token
        }
    };
    if text == valid && !parsed {
        return Err(format!("{name}: the valid {text:?} was refused"));
    }
    Ok(if parsed {
        Verdict::Parsed
    } else {
        Verdict::refused(name)
    })
}
