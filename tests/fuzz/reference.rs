//! The reference center (demo build): request bytes read by `reference::http::read_request`
//! (heads parsed by `parse_head`), then answered by `ReferenceCenter::handle`, playing a
//! client that keeps its session from the answers, as the kiosk does. Every answer must be
//! one the kiosk's parsers understand, and nothing may succeed without its credential.

use std::collections::BTreeSet;
use std::io::Cursor;
use std::time::{Duration, Instant};

use myna_kakunin::card::jpki;
use myna_kakunin::card::virtual_card::demo_card;
use myna_kakunin::card::AuthCertificate;
use myna_kakunin::center::account::{DeviceCredential, Password, RefreshToken, UserId};
use myna_kakunin::center::info::NoticeId;
use myna_kakunin::center::model::ChallengeId;
use myna_kakunin::center::reference::http::{self, HttpError};
use myna_kakunin::center::reference::{
    demo_registration, error_message, HttpRequest, ReferenceCenter, DEMO_PASSWORD, DEMO_USER_ID,
};
use myna_kakunin::center::wire::{self, account, info};
use myna_kakunin::center::{CenterError, CheckRequest};
use myna_kakunin::sensitive::SensitiveText;

use crate::center::{mutate_body, CERTIFICATES};
use crate::harness::{Input, Verdict};
use crate::rng::Rng;
use crate::{gen, mutate};

/// A fresh center every this many iterations (state grows, accounts lock, devices go).
pub const FRESH_EVERY: u64 = 128;

/// 2026-01-01T00:00:00Z: inside the demo certificates' validity.
const START: i64 = 1_767_225_600;

/// Demo cards with a JPKI AP, for real signatures.
const SIGNING_CARDS: &[&str] = &["taro", "family", "welfare", "expiring"];

/// The center and what a client learned from it.
pub struct Session {
    center: ReferenceCenter,
    now: i64,
    iteration: u64,
    fresh_at: u64,
    password: String,
    device: Option<String>,
    access: Option<String>,
    refresh: Option<String>,
    challenge: Option<(String, Vec<u8>)>,
    /// Every credential the center has issued: nothing may succeed with anything else.
    devices: BTreeSet<String>,
    accesses: BTreeSet<String>,
    refreshes: BTreeSet<String>,
    challenges: BTreeSet<String>,
}

impl Session {
    pub fn new() -> Self {
        Self {
            center: ReferenceCenter::new(),
            now: START,
            iteration: 0,
            fresh_at: 0,
            password: DEMO_PASSWORD.to_owned(),
            device: None,
            access: None,
            refresh: None,
            challenge: None,
            devices: BTreeSet::new(),
            accesses: BTreeSet::new(),
            refreshes: BTreeSet::new(),
            challenges: BTreeSet::new(),
        }
    }

    /// A new demo center with this client registered.
    fn fresh(&mut self) -> Result<(), String> {
        *self = Self {
            center: ReferenceCenter::with_demo_records(),
            iteration: self.iteration,
            fresh_at: self.iteration,
            ..Self::new()
        };
        let body = account::encode_registration(&demo_registration());
        let response = self.center.handle(
            &HttpRequest {
                method: "POST",
                path: wire::DEVICES_PATH,
                bearer: None,
                body: body.expose(),
            },
            self.now,
        );
        let (enrollment, access) = account::parse_enrollment(response.body.expose())
            .map_err(|e| format!("the demo registration failed: {e:?}"))?;
        self.learn_session(access.expose(), enrollment.session.refresh_token.expose());
        let device = enrollment.device.expose().to_owned();
        self.devices.insert(device.clone());
        self.device = Some(device);
        Ok(())
    }

    fn learn_session(&mut self, access: &str, refresh: &str) {
        self.accesses.insert(access.to_owned());
        self.refreshes.insert(refresh.to_owned());
        self.access = Some(access.to_owned());
        self.refresh = Some(refresh.to_owned());
    }
}

/// A request before it is written: method, target, bearer and body.
struct Template {
    method: String,
    target: String,
    bearer: Option<String>,
    body: String,
}

fn token_or_random(rng: &mut Rng, known: &Option<String>) -> String {
    match known {
        Some(token) if rng.chance(7, 8) => token.clone(),
        _ => gen::token(rng),
    }
}

/// A PIN-mode check body: a real signature over the client's challenge (by a demo card),
/// or a wrong one.
fn pin_check(rng: &mut Rng, s: &Session) -> String {
    let (id, nonce) = match &s.challenge {
        Some((id, nonce)) if rng.chance(3, 4) => (id.clone(), nonce.clone()),
        _ => (gen::id(rng, 64), rng.bytes(32)),
    };
    let challenge_id = ChallengeId::parse(&id).expect("IDs from the center or gen are valid");
    let card = demo_card(rng.pick::<&str>(SIGNING_CARDS)).expect("a listed demo card");
    if rng.chance(1, 4) {
        let mut virtual_card = card.insert();
        virtual_card.power_on();
        if let Ok(auth) = jpki::authenticate(&mut virtual_card, card.pin.as_bytes(), &nonce) {
            return wire::encode_check_request(&CheckRequest::Pin {
                certificate: &auth.certificate,
                signature: auth.signature.as_bytes(),
                challenge_id: &challenge_id,
            });
        }
    }
    // A certificate whose key is mutated but which still parses: the center's own SPKI
    // reader then judges the key.
    let original = rng.pick(CERTIFICATES).to_vec();
    let mut rekeyed = None;
    if rng.chance(1, 2) {
        for _ in 0..4 {
            let der = crate::card::rekeyed_certificate(rng, &original);
            rekeyed = der.and_then(|der| AuthCertificate::from_der(der).ok());
            if rekeyed.is_some() {
                break;
            }
        }
    }
    let certificate = rekeyed.unwrap_or_else(|| {
        AuthCertificate::from_der(original).expect("the test certificates parse")
    });
    let n = *rng.pick(&[0, 255, 256]);
    wire::encode_check_request(&CheckRequest::Pin {
        certificate: &certificate,
        signature: &rng.bytes(n),
        challenge_id: &challenge_id,
    })
}

fn template(rng: &mut Rng, s: &Session) -> Template {
    let bearer = |rng: &mut Rng| match rng.below(10) {
        0 => None,
        1 => Some(gen::token(rng)),
        _ => s.access.clone(),
    };
    // Without a session, mostly log in again first, as the kiosk does.
    let pick = if s.access.is_none() && rng.chance(1, 2) {
        *rng.pick(&[1, 2])
    } else {
        rng.below(14)
    };
    let (method, path, bearer, body) = match pick {
        0 => {
            let mut sheet = demo_registration();
            if rng.chance(1, 4) {
                sheet.password = gen::password(rng);
            }
            let body = account::encode_registration(&sheet).expose().to_owned();
            ("POST", wire::DEVICES_PATH, None, body)
        }
        1 => {
            let device = token_or_random(rng, &s.device);
            let device = DeviceCredential::parse(SensitiveText::new(device)).expect("token");
            let user = UserId::parse(DEMO_USER_ID).expect("the demo user ID is valid");
            let password = if rng.chance(3, 4) {
                Password::new(SensitiveText::new(s.password.clone()))
            } else {
                gen::password(rng)
            };
            let body = account::encode_login(&device, &user, &password)
                .expose()
                .to_owned();
            ("POST", wire::SESSIONS_PATH, None, body)
        }
        2 => {
            let device = token_or_random(rng, &s.device);
            let device = DeviceCredential::parse(SensitiveText::new(device)).expect("token");
            let refresh = token_or_random(rng, &s.refresh);
            let refresh = RefreshToken::parse(SensitiveText::new(refresh)).expect("token");
            let body = account::encode_refresh(&device, &refresh)
                .expose()
                .to_owned();
            ("POST", wire::SESSION_REFRESH_PATH, None, body)
        }
        3 => (
            "DELETE",
            wire::CURRENT_SESSION_PATH,
            bearer(rng),
            String::new(),
        ),
        4 if rng.chance(1, 4) => (
            "DELETE",
            wire::CURRENT_DEVICE_PATH,
            bearer(rng),
            String::new(),
        ),
        5 => {
            let current = Password::new(SensitiveText::new(s.password.clone()));
            let new = if rng.chance(1, 2) {
                Password::new(SensitiveText::new(format!("Fuzz#{}Aa1", rng.below(1000))))
            } else {
                gen::password(rng)
            };
            let body = account::encode_password_change(&current, &new)
                .expose()
                .to_owned();
            ("PUT", wire::PASSWORD_PATH, bearer(rng), body)
        }
        6 => ("GET", wire::NOTICES_PATH, bearer(rng), String::new()),
        7 => {
            let ids: Vec<NoticeId> = ["N0001", "N0002", "N9999"]
                .iter()
                .filter(|_| rng.chance(1, 2))
                .map(|id| NoticeId::parse(id).expect("a valid ID"))
                .collect();
            (
                "POST",
                wire::NOTICES_READ_PATH,
                bearer(rng),
                info::encode_mark_read(&ids),
            )
        }
        8 => ("GET", wire::APP_VERSION_PATH, None, String::new()),
        9 => ("POST", wire::CHALLENGES_PATH, bearer(rng), String::new()),
        10 => {
            // A demo card's certificate, sometimes with other validity dates (its serial
            // and issuer still find the record: the grace-period arithmetic runs).
            let der = rng.pick(CERTIFICATES).to_vec();
            let der = if rng.chance(1, 2) {
                crate::card::retimed_certificate(rng, &der).unwrap_or(der)
            } else {
                der
            };
            let Ok(certificate) = AuthCertificate::from_der(der) else {
                return template(rng, s);
            };
            let body = wire::encode_check_request(&CheckRequest::Visual {
                certificate: &certificate,
            });
            ("POST", wire::CHECK_PATH, bearer(rng), body)
        }
        11 | 12 => ("POST", wire::CHECK_PATH, bearer(rng), pin_check(rng, s)),
        _ => {
            let method = *rng.pick(&["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]);
            let path = *rng.pick(&[
                "/",
                "/v1",
                "/v1/",
                "/v1/devices/",
                "/v1/notices/N0001",
                "/v2/notices",
                wire::CHECK_PATH,
                wire::APP_VERSION_PATH,
            ]);
            (method, path, bearer(rng), "{}".to_owned())
        }
    };
    let target = if rng.chance(1, 10) {
        format!("{path}?x=1&y=%20")
    } else {
        path.to_owned()
    };
    Template {
        method: method.to_owned(),
        target,
        bearer,
        body,
    }
}

/// Header lines that break the head in one of the ways the reader must refuse.
const ODD_HEADERS: &[&str] = &[
    "Host: second\r\n",
    "Content-Length: 1\r\n",
    "Content-Length: 99999999999999999999999\r\n",
    "Content-Length: +1\r\n",
    "Transfer-Encoding: chunked\r\n",
    "Authorization: Basic dXNlcjpwYXNz\r\n",
    "Authorization: Bearer short\r\n",
    "X-Folded: a\r\n b\r\n",
    "X-Bare-LF: a\nb\r\n",
    "Bad Name: x\r\n",
    "X-Latin: \u{e9}\r\n",
    "X-Control: \u{1}\r\n",
    ": empty\r\n",
];

/// The request's bytes, with structural head mutations and body mutations that keep the
/// length right (so they reach the center) or not.
fn write(rng: &mut Rng, t: &Template) -> Vec<u8> {
    let (body, _) = if t.body.is_empty() || rng.chance(1, 2) {
        (t.body.clone(), true)
    } else {
        mutate_body(rng, &t.body)
    };
    let mut method = t.method.clone();
    let mut target = t.target.clone();
    let mut version = "HTTP/1.1".to_owned();
    let mut headers: Vec<String> = vec!["Host: 127.0.0.1:8443\r\n".into()];
    if let Some(token) = &t.bearer {
        let scheme = *rng.pick(&["Bearer", "Bearer", "bearer", "BEARER"]);
        headers.push(format!("Authorization: {scheme} {token}\r\n"));
    }
    if !body.is_empty() {
        headers.push("Content-Type: application/json\r\n".into());
    }
    let length = if rng.chance(1, 12) {
        // Too short, too long or absent: a cut body or one that never comes.
        rng.range(0, body.len() + 10)
    } else {
        body.len()
    };
    if length > 0 || rng.chance(1, 2) {
        headers.push(format!("Content-Length: {length}\r\n"));
    }
    if rng.chance(1, 4) {
        match rng.below(8) {
            0 => method = (*rng.pick(&["get", "BREW", "G(T", "", "POST "])).to_owned(),
            1 => {
                target = (*rng.pick(&[
                    "*",
                    "http://a/",
                    "",
                    "/a\"b",
                    "/%zz",
                    "//",
                    "/v1/../v1/notices",
                ]))
                .to_owned()
            }
            2 => target = format!("/{}", "a".repeat(*rng.pick(&[2046, 2047, 2048, 5000]))),
            3 => {
                version =
                    (*rng.pick(&["HTTP/1.0", "HTTP/2", "HTTP/1.1 x", "http/1.1", ""])).to_owned()
            }
            4 => {
                let at = rng.range(0, headers.len());
                headers.insert(at, (*rng.pick(ODD_HEADERS)).to_owned());
            }
            5 => {
                let n = *rng.pick(&[62, 63, 64, 65, 200]);
                for i in 0..n {
                    headers.push(format!("X-{i}: {i}\r\n"));
                }
            }
            6 => {
                headers.retain(|h| !h.starts_with("Host"));
            }
            _ => {
                let at = rng.below(headers.len());
                let copy = headers[at].clone();
                headers.insert(at, copy);
            }
        }
    }
    let mut bytes = format!("{method} {target} {version}\r\n").into_bytes();
    for header in &headers {
        bytes.extend_from_slice(header.as_bytes());
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(body.as_bytes());
    match rng.below(12) {
        0 | 1 => {
            let tokens: &[&[u8]] = &[
                b"\r\n",
                b"\r\n\r\n",
                b"\n",
                b"\r",
                b" ",
                b":",
                b"\xC3\xA9",
                b"\x00",
            ];
            mutate::bytes(rng, &mut bytes, tokens, None, 4);
        }
        2 => bytes.extend_from_slice(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        _ => {}
    }
    bytes
}

/// The statuses the center answers with.
const STATUSES: &[u16] = &[
    200, 201, 204, 400, 401, 403, 404, 405, 408, 413, 422, 423, 500,
];

/// The routes that need a session.
fn needs_session(method: &str, path: &str) -> bool {
    !matches!(
        (method, path),
        ("POST", wire::DEVICES_PATH)
            | ("POST", wire::SESSIONS_PATH)
            | ("POST", wire::SESSION_REFRESH_PATH)
            | ("GET", wire::APP_VERSION_PATH)
    )
}

/// The head of a request written canonically from its parsed fields.
fn canonical_head(head: &http::Head) -> Vec<u8> {
    let mut text = format!("{} {} HTTP/1.1\r\nHost: a\r\n", head.method, head.path);
    if let Some(token) = &head.bearer {
        text.push_str(&format!("Authorization: Bearer {}\r\n", token.expose()));
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n", head.content_length));
    text.into_bytes()
}

/// One iteration of `reference_http`.
pub fn step(s: &mut Session, rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    if s.iteration.is_multiple_of(FRESH_EVERY) {
        s.fresh()?;
    }
    s.iteration += 1;
    s.now += match rng.below(40) {
        0 => 121,
        1 => 12 * 3600 + 1,
        2 => 31 * 24 * 3600,
        3 => 30 * 60,
        _ => rng.below(10) as i64,
    };
    let t = template(rng, s);
    let bytes = write(rng, &t);
    input.note(format!(
        "center fresh at iteration {} (replay from there), now {}",
        s.fresh_at, s.now
    ));
    input.record("request", &bytes);

    let deadline = Instant::now() + Duration::from_secs(60);
    let read = http::read_request(&mut Cursor::new(bytes.clone()), deadline, &mut |_| Ok(()));
    // The head alone, where the request has one, parses the same way.
    if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = http::parse_head(&bytes[..end + 4]);
        if let (Ok(request), Ok(head)) = (&read, &head) {
            if (
                &request.head.method,
                &request.head.path,
                request.head.content_length,
            ) != (&head.method, &head.path, head.content_length)
            {
                return Err("read_request and parse_head disagree".into());
            }
        }
        if let Ok(head) = &head {
            let again = http::parse_head(&canonical_head(head));
            let same = again.as_ref().is_ok_and(|a| {
                (
                    &a.method,
                    &a.path,
                    a.content_length,
                    a.bearer.as_ref().map(|b| b.expose()),
                ) == (
                    &head.method,
                    &head.path,
                    head.content_length,
                    head.bearer.as_ref().map(|b| b.expose()),
                )
            });
            if !same {
                return Err(format!("{head:?} written canonically parsed to {again:?}"));
            }
            if head.content_length > http::MAX_BODY_BYTES || !head.path.starts_with('/') {
                return Err(format!("{head:?} passed the limits"));
            }
        }
    }
    let request = match read {
        Ok(request) => request,
        Err(HttpError::Timeout) => return Err("a request in memory timed out".into()),
        Err(e) => return Ok(Verdict::refused(format!("http:{e:?}"))),
    };
    let head = &request.head;
    let body = request.body.expose();
    let bearer = head.bearer.as_ref().map(|b| b.expose().to_owned());
    let response = s.center.handle(
        &HttpRequest {
            method: &head.method,
            path: &head.path,
            bearer: bearer.as_deref(),
            body,
        },
        s.now,
    );
    let status = response.status;
    let reply = response.body.expose();
    if !STATUSES.contains(&status) {
        return Err(format!("status {status}"));
    }
    if !wire::is_success(status) {
        return match wire::error_reply(status, reply) {
            CenterError::Rejected { code, message }
                if code.http_status() == status && message == error_message(&code) =>
            {
                Ok(Verdict::refused(format!("center:{}", code.code())))
            }
            other => Err(format!("status {status} with {other:?}")),
        };
    }
    // A success: only with credentials the center issued.
    let (method, path) = (head.method.as_str(), head.path.as_str());
    if needs_session(method, path) && !bearer.as_ref().is_some_and(|b| s.accesses.contains(b)) {
        return Err(format!(
            "{method} {path} succeeded without an issued access token"
        ));
    }
    if status == 204 && !reply.is_empty() {
        return Err("a 204 with a body".into());
    }
    let malformed = |e: CenterError| format!("the kiosk cannot parse a {status} reply: {e:?}");
    match (method, path) {
        ("POST", wire::DEVICES_PATH) => {
            let (enrollment, access) = account::parse_enrollment(reply).map_err(malformed)?;
            let device = enrollment.device.expose().to_owned();
            s.devices.insert(device.clone());
            s.device = Some(device);
            s.learn_session(access.expose(), enrollment.session.refresh_token.expose());
        }
        ("POST", wire::SESSIONS_PATH) | ("POST", wire::SESSION_REFRESH_PATH) => {
            let sent = if path == wire::SESSIONS_PATH {
                let login = account::decode_login(body).map_err(|e| format!("{e:?}"))?;
                if login.password.expose() != s.password {
                    return Err("a login succeeded with another password".into());
                }
                login.device_credential.expose().to_owned()
            } else {
                let refresh = account::decode_refresh(body).map_err(|e| format!("{e:?}"))?;
                if !s.refreshes.contains(refresh.refresh_token.expose()) {
                    return Err("a refresh succeeded with a token never issued".into());
                }
                refresh.device_credential.expose().to_owned()
            };
            if !s.devices.contains(&sent) {
                return Err("a session opened for a device never registered".into());
            }
            let (session, access) = account::parse_session(reply).map_err(malformed)?;
            s.learn_session(access.expose(), session.refresh_token.expose());
        }
        ("DELETE", wire::CURRENT_SESSION_PATH) => {
            s.access = None;
            s.refresh = None;
        }
        ("DELETE", wire::CURRENT_DEVICE_PATH) => {
            s.device = None;
            s.access = None;
            s.refresh = None;
        }
        ("PUT", wire::PASSWORD_PATH) => {
            let change = account::decode_password_change(body).map_err(|e| format!("{e:?}"))?;
            if change.current.expose() != s.password {
                return Err("the password changed without the current one".into());
            }
            s.password = change.new.expose().to_owned();
        }
        ("GET", wire::NOTICES_PATH) => {
            info::parse_notices(reply).map_err(malformed)?;
        }
        ("POST", wire::NOTICES_READ_PATH) => {}
        ("GET", wire::APP_VERSION_PATH) => {
            info::parse_app_version(reply).map_err(malformed)?;
        }
        ("POST", wire::CHALLENGES_PATH) => {
            let challenge = info::parse_challenge(reply).map_err(malformed)?;
            s.challenges.insert(challenge.id.as_str().to_owned());
            s.challenge = Some((challenge.id.as_str().to_owned(), challenge.nonce.clone()));
        }
        ("POST", wire::CHECK_PATH) => {
            wire::parse_check_response(status, reply).map_err(malformed)?;
            if let Ok(wire::DecodedCheck::Pin { challenge_id, .. }) =
                wire::decode_check_request(body)
            {
                if !s.challenges.contains(challenge_id.as_str()) {
                    return Err("a PIN check succeeded with a challenge never issued".into());
                }
            }
        }
        _ => return Err(format!("{method} {path} succeeded")),
    }
    Ok(Verdict::Parsed)
}
