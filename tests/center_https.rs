//! The production HTTPS client against the reference center served over real TLS on
//! loopback (TEST-ONLY certificates of tests/pki/tls/), for every endpoint and rule, with
//! the center's clock injected. Also the server's own robustness (garbage, oversized and
//! slow requests) and the `reference-center` subcommand of the real binary.
//!
//! Every wait has a deadline; everything listens on 127.0.0.1 only.
#![cfg(feature = "demo")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

use myna_kakunin::card::AuthCertificate;
use myna_kakunin::center::account::{
    DeviceCredential, Enrollment, Password, UserId, LOCKOUT_SECONDS,
};
use myna_kakunin::center::client::{ClientConfig, HttpsCenter, Trust};
use myna_kakunin::center::info::{AppVersion, UpdateStatus, Version};
use myna_kakunin::center::model::{ChallengeId, CheckOutcome, Relation, Validity};
use myna_kakunin::center::reference::server::{
    spawn_https, spawn_https_with, Limits, RunningServer, ServerError, ServerTls, Stats,
};
use myna_kakunin::center::reference::{
    demo_registration, ReferenceCenter, ACCESS_TOKEN_SECONDS, DEMO_PASSWORD, DEMO_USER_ID,
};
use myna_kakunin::center::wire::ErrorCode;
use myna_kakunin::center::{Center, CenterError, CheckRequest};

const TEST_CA_PEM: &[u8] = include_bytes!("pki/tls/ca.cert.pem");
const SERVER_CERT_DER: &[u8] = include_bytes!("pki/tls/server.cert.der");
const SERVER_KEY_PK8: &[u8] = include_bytes!("pki/tls/server.key.pk8");

/// 2026-12-01 00:00:00 in Japan.
const DEC_1_2026_JST: i64 = 1_796_050_800;

fn pki(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/pki/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn cert(id: &str) -> AuthCertificate {
    AuthCertificate::from_der(pki(&format!("cards/{id}.cert.der"))).unwrap()
}

/// The card's signature over `message`, made with its TEST-ONLY private key.
fn sign(id: &str, message: &[u8]) -> Vec<u8> {
    let key = RsaKeyPair::from_pkcs8(&pki(&format!("cards/{id}.key.pk8"))).unwrap();
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

/// The demo reference center over HTTPS with a clock the test moves.
struct Fixture {
    server: RunningServer,
    clock: Arc<AtomicI64>,
}

impl Fixture {
    fn new(now: i64) -> Fixture {
        let clock = Arc::new(AtomicI64::new(now));
        let time = Arc::clone(&clock);
        let tls = ServerTls::from_der(SERVER_CERT_DER, SERVER_KEY_PK8).unwrap();
        let server = spawn_https(
            "127.0.0.1:0".parse().unwrap(),
            tls,
            ReferenceCenter::with_demo_records(),
            Arc::new(move || time.load(Ordering::SeqCst)),
        )
        .unwrap();
        Fixture { server, clock }
    }

    fn config(&self) -> ClientConfig {
        ClientConfig {
            base_url: self.server.url(),
            trust: Trust::Pem(TEST_CA_PEM.to_vec()),
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
            overall_timeout: Duration::from_secs(10),
        }
    }

    /// A new client (a kiosk process) without a session.
    fn client(&self) -> HttpsCenter {
        HttpsCenter::new(&self.config()).unwrap()
    }

    /// A new client that registered this device with the demo account.
    fn registered(&self) -> (HttpsCenter, Enrollment) {
        let mut center = self.client();
        let enrollment = center.register_device(&demo_registration()).unwrap();
        (center, enrollment)
    }

    fn advance(&self, seconds: i64) {
        self.clock.fetch_add(seconds, Ordering::SeqCst);
    }
}

fn visual(center: &mut HttpsCenter, id: &str) -> Result<CheckOutcome, CenterError> {
    let certificate = cert(id);
    center.check_qualification(&CheckRequest::Visual {
        certificate: &certificate,
    })
}

fn pin(
    center: &mut HttpsCenter,
    id: &str,
    challenge_id: &ChallengeId,
    signature: &[u8],
) -> Result<CheckOutcome, CenterError> {
    let certificate = cert(id);
    center.check_qualification(&CheckRequest::Pin {
        certificate: &certificate,
        signature,
        challenge_id,
    })
}

fn login(
    center: &mut HttpsCenter,
    device: &DeviceCredential,
    password: &str,
) -> Result<(), CenterError> {
    center
        .login(
            device,
            &UserId::parse(DEMO_USER_ID).unwrap(),
            &Password::new(password.into()),
        )
        .map(|_| ())
}

fn code<T: std::fmt::Debug>(result: Result<T, CenterError>) -> ErrorCode {
    match result {
        Err(CenterError::Rejected { code, message }) => {
            assert!(
                !message.is_empty(),
                "a Japanese message comes with {code:?}"
            );
            code
        }
        other => panic!("not a rejection: {other:?}"),
    }
}

#[test]
fn the_kiosk_flow_over_https() {
    let f = Fixture::new(DEC_1_2026_JST);
    let mut kiosk = f.client();

    // Start-up: version check needs no session.
    let version = kiosk.app_version().unwrap();
    assert_eq!(version.status(Version::running()), UpdateStatus::UpToDate);
    assert!(version.download_url.starts_with("https://"));

    // 初期登録, then the unread notices.
    let enrollment = kiosk.register_device(&demo_registration()).unwrap();
    assert_eq!(
        enrollment.session.access_valid_seconds,
        ACCESS_TOKEN_SECONDS
    );
    let notices = kiosk.notices().unwrap();
    assert_eq!(notices.len(), 2);
    assert!(notices.iter().all(|n| !n.read));
    let ids: Vec<_> = notices.iter().map(|n| n.id.clone()).collect();
    kiosk.mark_notices_read(&ids).unwrap();
    assert!(kiosk.notices().unwrap().iter().all(|n| n.read));

    // 目視: the manual's sample person.
    let outcome = visual(&mut kiosk, "taro").unwrap();
    assert_eq!(outcome.validity, Validity::Valid);
    let q = outcome.qualification.as_ref().unwrap();
    assert_eq!(q.name.expose(), "資格 太郎");
    assert_eq!(q.insurer_number.expose(), "12345678");
    assert_eq!(outcome.confirmation_date.to_yyyymmdd(), "20261201");

    // 暗証番号: a challenge signed with the card's key.
    let challenge = kiosk.challenge().unwrap();
    assert_eq!((challenge.nonce.len(), challenge.valid_seconds), (32, 120));
    let signature = sign("family", &challenge.nonce);
    let outcome = pin(&mut kiosk, "family", &challenge.id, &signature).unwrap();
    let q = outcome.qualification.as_ref().unwrap();
    assert_eq!(q.relation, Some(Relation::Family));
    assert_eq!(q.insured_name.as_ref().unwrap().expose(), "資格 一郎");

    // Replayed: refused.
    assert_eq!(
        code(pin(&mut kiosk, "family", &challenge.id, &signature)),
        ErrorCode::ChallengeInvalid
    );

    // Next day: the access token expired; the passcode unlock refreshes the session.
    f.advance(i64::from(ACCESS_TOKEN_SECONDS));
    assert_eq!(code(visual(&mut kiosk, "taro")), ErrorCode::SessionExpired);
    assert_eq!(visual(&mut kiosk, "taro"), Err(CenterError::NoSession));
    let mut kiosk = f.client(); // The app restarts.
    let lost = kiosk
        .refresh_session(&enrollment.device, &enrollment.session.refresh_token)
        .unwrap();
    assert!(visual(&mut kiosk, "taro").is_ok());
    // Say the kiosk crashed before saving the new token: the old one works once more
    // (the reuse window), and revokes the lost one.
    let session = kiosk
        .refresh_session(&enrollment.device, &enrollment.session.refresh_token)
        .unwrap();
    assert!(visual(&mut kiosk, "taro").is_ok());
    assert_eq!(
        code(kiosk.refresh_session(&enrollment.device, &enrollment.session.refresh_token)),
        ErrorCode::RefreshRejected,
        "the old refresh token is used up"
    );
    assert_eq!(
        code(kiosk.refresh_session(&enrollment.device, &lost.refresh_token)),
        ErrorCode::RefreshRejected,
        "the lost one was revoked"
    );

    // ログアウト, then システムログイン with ID + password.
    kiosk.logout().unwrap();
    assert_eq!(visual(&mut kiosk, "taro"), Err(CenterError::NoSession));
    assert_eq!(
        code(kiosk.refresh_session(&enrollment.device, &session.refresh_token)),
        ErrorCode::RefreshRejected,
        "logout revoked the refresh token"
    );
    login(&mut kiosk, &enrollment.device, DEMO_PASSWORD).unwrap();
    assert!(visual(&mut kiosk, "taro").is_ok());

    // デバイス登録解除: the device is gone.
    kiosk.deregister_device().unwrap();
    assert_eq!(
        code(login(&mut kiosk, &enrollment.device, DEMO_PASSWORD)),
        ErrorCode::DeviceNotRegistered
    );
}

#[test]
fn every_result_variant_over_https() {
    let f = Fixture::new(DEC_1_2026_JST);
    let (mut kiosk, _) = f.registered();
    let outcome = |kiosk: &mut HttpsCenter, id| visual(kiosk, id).unwrap();
    assert_eq!(outcome(&mut kiosk, "taro").validity, Validity::Valid);
    assert!(outcome(&mut kiosk, "family")
        .qualification
        .unwrap()
        .insured_name
        .is_some());
    assert!(outcome(&mut kiosk, "preschool").is_preschool());
    assert!(outcome(&mut kiosk, "expiring").cert_expiring);
    let welfare = outcome(&mut kiosk, "welfare");
    assert!(welfare.is_medical_assistance() && welfare.validity == Validity::Valid);
    assert!(outcome(&mut kiosk, "backside")
        .qualification
        .unwrap()
        .back
        .is_some());
    let elderly = outcome(&mut kiosk, "elderly").qualification.unwrap();
    assert_eq!(elderly.elderly.as_ref().unwrap().ratio.tenths(), 2);
    assert_eq!(outcome(&mut kiosk, "invalid").validity, Validity::Invalid);
    let none = outcome(&mut kiosk, "unqualified");
    assert!(none.validity == Validity::NoQualification && none.qualification.is_none());
    let invalid_welfare = outcome(&mut kiosk, "invalid-welfare");
    assert!(
        invalid_welfare.is_medical_assistance() && invalid_welfare.validity == Validity::Invalid
    );
    assert_eq!(outcome(&mut kiosk, "locked").validity, Validity::Valid);
    assert_eq!(outcome(&mut kiosk, "one-try").validity, Validity::Valid);
    assert_eq!(
        code(visual(&mut kiosk, "expired")),
        ErrorCode::CertificateExpired
    );
}

#[test]
fn pin_mode_refuses_bad_missing_replayed_and_expired() {
    let f = Fixture::new(DEC_1_2026_JST);
    let (mut kiosk, _) = f.registered();

    let c = kiosk.challenge().unwrap();
    let mut bad = sign("taro", &c.nonce);
    bad[5] ^= 0x40;
    assert_eq!(
        code(pin(&mut kiosk, "taro", &c.id, &bad)),
        ErrorCode::SignatureInvalid
    );
    let good = sign("taro", &c.nonce);
    assert_eq!(
        code(pin(&mut kiosk, "taro", &c.id, &good)),
        ErrorCode::ChallengeInvalid,
        "a refused attempt used the challenge up"
    );

    let c = kiosk.challenge().unwrap();
    assert_eq!(
        code(pin(&mut kiosk, "taro", &c.id, &[])),
        ErrorCode::SignatureInvalid
    );

    let c = kiosk.challenge().unwrap();
    let other_card = sign("family", &c.nonce);
    assert_eq!(
        code(pin(&mut kiosk, "taro", &c.id, &other_card)),
        ErrorCode::SignatureInvalid
    );

    let c = kiosk.challenge().unwrap();
    f.advance(119);
    assert!(pin(&mut kiosk, "taro", &c.id, &sign("taro", &c.nonce)).is_ok());
    let c = kiosk.challenge().unwrap();
    f.advance(120);
    assert_eq!(
        code(pin(&mut kiosk, "taro", &c.id, &sign("taro", &c.nonce))),
        ErrorCode::ChallengeExpired
    );
}

#[test]
fn five_wrong_passwords_lock_for_30_minutes_over_https() {
    let f = Fixture::new(DEC_1_2026_JST);
    let (_, enrollment) = f.registered();
    let mut kiosk = f.client();
    for _ in 1..=4 {
        assert_eq!(
            code(login(&mut kiosk, &enrollment.device, "Wrong#Pass1")),
            ErrorCode::WrongCredentials
        );
    }
    assert_eq!(
        code(login(&mut kiosk, &enrollment.device, "Wrong#Pass1")),
        ErrorCode::AccountLocked
    );
    assert_eq!(
        code(login(&mut kiosk, &enrollment.device, DEMO_PASSWORD)),
        ErrorCode::AccountLocked
    );
    f.advance(LOCKOUT_SECONDS - 1);
    assert_eq!(
        code(login(&mut kiosk, &enrollment.device, DEMO_PASSWORD)),
        ErrorCode::AccountLocked
    );
    f.advance(1);
    login(&mut kiosk, &enrollment.device, DEMO_PASSWORD).unwrap();
    assert!(visual(&mut kiosk, "taro").is_ok());
}

#[test]
fn registration_refuses_wrong_sheet_values_over_https() {
    use myna_kakunin::center::account::{ActivationCode, InstitutionCode, Registration};
    let f = Fixture::new(DEC_1_2026_JST);
    let mut kiosk = f.client();
    let sheet = |institution: &str, activation: &str| Registration {
        institution_code: InstitutionCode::parse(institution).unwrap(),
        activation_code: ActivationCode::parse(activation).unwrap(),
        ..demo_registration()
    };
    assert_eq!(
        code(kiosk.register_device(&sheet("0110113719", "DEMO-MYNA-TEST-0001"))),
        ErrorCode::WrongInstitutionCode
    );
    assert_eq!(
        code(kiosk.register_device(&sheet("1312345679", "DEMO-MYNA-TEST-0002"))),
        ErrorCode::WrongActivationCode
    );
    assert_eq!(
        kiosk.notices(),
        Err(CenterError::NoSession),
        "no session was opened"
    );
}

#[test]
fn deregistration_kills_every_session_of_the_device_at_once() {
    let f = Fixture::new(DEC_1_2026_JST);
    let (mut first, enrollment) = f.registered();
    // The same device logs in again in another process: a second session.
    let mut second = f.client();
    login(&mut second, &enrollment.device, DEMO_PASSWORD).unwrap();
    // Another device of the clinic.
    let (mut other, _) = f.registered();

    first.deregister_device().unwrap();
    assert_eq!(code(visual(&mut second, "taro")), ErrorCode::SessionInvalid);
    assert_eq!(
        code(second.refresh_session(&enrollment.device, &enrollment.session.refresh_token)),
        ErrorCode::DeviceNotRegistered
    );
    assert!(
        visual(&mut other, "taro").is_ok(),
        "other devices keep working"
    );
}

#[test]
fn notices_are_read_per_device_over_https() {
    let f = Fixture::new(DEC_1_2026_JST);
    let (mut a, _) = f.registered();
    let (mut b, _) = f.registered();
    let first = a.notices().unwrap()[0].id.clone();
    a.mark_notices_read(std::slice::from_ref(&first)).unwrap();
    assert!(a.notices().unwrap().iter().any(|n| n.id == first && n.read));
    assert!(b.notices().unwrap().iter().all(|n| !n.read));
    let unknown = myna_kakunin::center::info::NoticeId::parse("N9999").unwrap();
    assert_eq!(
        code(b.mark_notices_read(&[unknown])),
        ErrorCode::UnknownNotice
    );
}

#[test]
fn password_change_and_version_over_https() {
    let f = Fixture::new(DEC_1_2026_JST);
    let (mut kiosk, enrollment) = f.registered();
    let current = Password::new(DEMO_PASSWORD.into());
    assert_eq!(
        code(kiosk.change_password(&current, &Password::new("weakpassword".into()))),
        ErrorCode::PasswordRules
    );
    kiosk
        .change_password(&current, &Password::new("Newer#Pass2026".into()))
        .unwrap();
    assert_eq!(
        code(login(&mut kiosk, &enrollment.device, DEMO_PASSWORD)),
        ErrorCode::WrongCredentials
    );
    login(&mut kiosk, &enrollment.device, "Newer#Pass2026").unwrap();

    let required = AppVersion {
        latest: Version::new(9, 1, 0),
        minimum: Version::new(9, 0, 0),
        download_url: "https://myna-kakunin.example/download/9.1.0".into(),
    };
    f.server
        .center()
        .lock()
        .unwrap()
        .set_app_version(required.clone());
    let answer = kiosk.app_version().unwrap();
    assert_eq!(answer, required);
    assert_eq!(answer.status(Version::running()), UpdateStatus::Required);
}

// --- The server's own robustness ----------------------------------------------------------

/// A raw TLS connection to the server (trusting the test CA), for requests the client
/// would never send.
fn raw_tls(addr: SocketAddr) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(TEST_CA_PEM) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let socket = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    socket
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    rustls::StreamOwned::new(connection, socket)
}

use rustls::pki_types::pem::PemObject;

/// Sends `bytes` over TLS and returns the status line of the answer ("" if closed).
fn exchange_raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = raw_tls(addr);
    if stream.write_all(bytes).is_err() || stream.flush().is_err() {
        return String::new();
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.lines().next().unwrap_or("").to_owned()
}

#[test]
fn calls_share_one_kept_alive_connection_and_a_reopened_one_resumes_tls() {
    // A center that lets an idle connection go after 300 ms.
    let tls = ServerTls::from_der(SERVER_CERT_DER, SERVER_KEY_PK8).unwrap();
    let limits = Limits {
        idle: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = spawn_https_with(
        "127.0.0.1:0".parse().unwrap(),
        tls,
        ReferenceCenter::with_demo_records(),
        Arc::new(|| DEC_1_2026_JST),
        limits,
    )
    .unwrap();
    let config = ClientConfig {
        base_url: server.url(),
        trust: Trust::Pem(TEST_CA_PEM.to_vec()),
        ..ClientConfig::new("https://unused.example")
    };
    let mut center = HttpsCenter::new(&config).unwrap();
    let enrollment = center.register_device(&demo_registration()).unwrap();
    for _ in 0..3 {
        center.app_version().unwrap();
        assert!(center.notices().is_ok());
    }
    assert_eq!(
        server.stats(),
        Stats {
            connections: 1,
            full_handshakes: 1,
            resumed_handshakes: 0,
        },
        "seven calls, one connection"
    );
    // Idle past the center's limit (it closes the connection): the next call opens a new
    // connection and resumes the TLS session.
    std::thread::sleep(Duration::from_millis(800));
    center
        .refresh_session(&enrollment.device, &enrollment.session.refresh_token)
        .unwrap();
    assert!(center.notices().is_ok());
    assert_eq!(
        server.stats(),
        Stats {
            connections: 2,
            full_handshakes: 1,
            resumed_handshakes: 1,
        }
    );
}

#[test]
fn the_server_answers_garbage_and_keeps_serving() {
    let f = Fixture::new(DEC_1_2026_JST);
    let addr = f.server.addr();
    assert_eq!(
        exchange_raw(addr, b"hello\r\n\r\n"),
        "HTTP/1.1 400 Bad Request"
    );
    assert_eq!(
        exchange_raw(
            addr,
            b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        ),
        "HTTP/1.1 400 Bad Request"
    );
    let oversized = format!(
        "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        10 * 1024 * 1024
    );
    assert_eq!(
        exchange_raw(addr, oversized.as_bytes()),
        "HTTP/1.1 413 Content Too Large"
    );
    let mut binary = vec![0u8; 4096];
    for (i, b) in binary.iter_mut().enumerate() {
        *b = (i * 7919 % 251) as u8;
    }
    let answer = exchange_raw(addr, &binary);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
    assert_eq!(
        exchange_raw(
            addr,
            b"POST /v1/nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        "HTTP/1.1 404 Not Found"
    );

    // Not TLS at all: the handshake fails and the connection closes.
    let mut plain = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut rest = Vec::new();
    let _ = plain.read_to_end(&mut rest);
    assert!(!String::from_utf8_lossy(&rest).contains("HTTP/1.1 200"));

    // And it still serves.
    assert!(f.client().app_version().is_ok());
}

#[test]
fn a_slow_request_is_cut_off_at_the_deadline() {
    let f = Fixture::new(DEC_1_2026_JST);
    let started = Instant::now();
    let mut stream = raw_tls(f.server.addr());
    stream
        .write_all(b"POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        .unwrap();
    stream.flush().unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    assert!(text.contains("MK-E1005"));
    assert!(elapsed < Duration::from_secs(14), "{elapsed:?}");
    // Meanwhile others were served.
    assert!(f.client().app_version().is_ok());
}

#[test]
fn connections_beyond_the_limit_are_closed_and_service_resumes() {
    use myna_kakunin::center::reference::server::MAX_CONNECTIONS;
    let f = Fixture::new(DEC_1_2026_JST);
    let addr = f.server.addr();
    // Connections that never start TLS hold every slot.
    let holders: Vec<TcpStream> = (0..MAX_CONNECTIONS)
        .map(|_| TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap())
        .collect();
    // Give the accept loop time to take them all (it polls every 10 ms).
    std::thread::sleep(Duration::from_millis(300));
    let refused = f.client().app_version();
    assert!(
        matches!(
            refused,
            Err(CenterError::Interrupted | CenterError::Tls(_) | CenterError::Unreachable)
        ),
        "{refused:?}"
    );
    drop(holders);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if f.client().app_version().is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "service did not resume");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_server_binds_loopback_only() {
    let tls = || ServerTls::from_der(SERVER_CERT_DER, SERVER_KEY_PK8).unwrap();
    let clock = Arc::new(|| DEC_1_2026_JST);
    for addr in ["0.0.0.0:0", "192.0.2.1:0", "[::]:0"] {
        let result = spawn_https(
            addr.parse().unwrap(),
            tls(),
            ReferenceCenter::new(),
            clock.clone(),
        );
        assert_eq!(
            result.map(|_| ()).unwrap_err(),
            ServerError::NotLoopback,
            "{addr}"
        );
    }
    assert_eq!(
        ServerTls::from_pem(b"", &pki("tls/server.key.pem"))
            .map(|_| ())
            .unwrap_err(),
        ServerError::BadCertificate
    );
    assert_eq!(
        ServerTls::from_pem(&pki("tls/server.cert.pem"), b"")
            .map(|_| ())
            .unwrap_err(),
        ServerError::BadKey
    );
    assert_eq!(
        ServerTls::from_der(SERVER_CERT_DER, &pki("tls/wrong-host.key.pk8"))
            .map(|_| ())
            .unwrap_err(),
        ServerError::Tls,
        "a key that is not the certificate's"
    );
    assert!(ServerTls::from_pem(&pki("tls/server.cert.pem"), &pki("tls/server.key.pem")).is_ok());
}

#[test]
fn a_tls_1_2_only_server_still_serves_the_client() {
    let tls = ServerTls::from_der_tls12_only(SERVER_CERT_DER, SERVER_KEY_PK8).unwrap();
    let server = spawn_https(
        "127.0.0.1:0".parse().unwrap(),
        tls,
        ReferenceCenter::with_demo_records(),
        Arc::new(|| DEC_1_2026_JST),
    )
    .unwrap();
    let mut client = HttpsCenter::new(&ClientConfig {
        trust: Trust::Pem(TEST_CA_PEM.to_vec()),
        ..ClientConfig::new(&server.url())
    })
    .unwrap();
    assert!(client.register_device(&demo_registration()).is_ok());
}

// --- The subcommand -----------------------------------------------------------------------

/// Kills the child process this test started when the test ends, however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_reference_center_subcommand_serves_https_on_loopback() {
    let dir = format!("{}/tests/pki/tls", env!("CARGO_MANIFEST_DIR"));
    let child = Command::new(env!("CARGO_BIN_EXE_myna-kakunin"))
        .args([
            "reference-center",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            &format!("{dir}/server.cert.pem"),
            "--tls-key",
            &format!("{dir}/server.key.pem"),
            "--log",
            "warn",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().unwrap();
    // Read the first line on a thread so that a silent child cannot hang the test.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the server announces itself");
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{line}");

    let mut client = HttpsCenter::new(&ClientConfig {
        trust: Trust::Pem(TEST_CA_PEM.to_vec()),
        ..ClientConfig::new(&url)
    })
    .unwrap();
    assert!(client.app_version().is_ok());
    client.register_device(&demo_registration()).unwrap();
    let outcome = visual(&mut client, "taro").unwrap();
    assert_eq!(outcome.qualification.unwrap().name.expose(), "資格 太郎");

    // Without the TLS files it refuses to start.
    let status = Command::new(env!("CARGO_BIN_EXE_myna-kakunin"))
        .args(["reference-center", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
}
