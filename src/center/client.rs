//! The HTTPS client of the qualification center (production).
//!
//! Blocking ureq 3 over rustls with the ring provider set explicitly; TLS 1.2 and 1.3 only
//! (rustls implements nothing older); server certificates verified against the bundled
//! Mozilla roots (webpki-roots) or a PEM bundle from the configuration. Redirects are not
//! followed (so never to plain http), no proxy is used, and every wait has a deadline:
//! `connect_timeout` covers TCP plus the TLS handshake, `read_timeout` each read from the
//! socket, `overall_timeout` the whole exchange including the body.
//!
//! [`HttpsCenter`] is the protocol client ([`CenterClient`]) over [`HttpsTransport`]. A
//! response body is read with a size limit into one pre-sized buffer that becomes the
//! reply's [`SensitiveText`] (wiped on drop).
//!
//! Connections are kept (HTTP/1.1 keep-alive, PROTOCOL.md): ureq's pool reuses an idle one
//! for at most [`REUSE_IDLE`], less than the center's promise to wait 60 s for the next
//! request. While the kiosk is in use (a call within [`IN_USE`]) the worker keeps it warm:
//! a connection idle for [`KEEP_WARM_AFTER`] carries a `GET /v1/app-version` (no session,
//! answer dropped), so the next check does not pay TCP and TLS handshakes. A connection that
//! had to be reopened resumes the TLS session (rustls's in-memory session cache, kept by
//! the agent's one rustls configuration): no certificate chain to send and verify.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};

use super::calls::{Call, CenterClient, Method, Reply, Transport};
use super::{CenterError, TlsFailure};
use crate::sensitive::{wipe_vec, SensitiveText};

/// Largest response body accepted, in bytes; a longer one is not the protocol's.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// An idle connection is reused for at most this long (the center waits at least 60 s).
pub const REUSE_IDLE: Duration = Duration::from_secs(50);

/// While in use, a connection idle this long is kept warm with a request.
pub const KEEP_WARM_AFTER: Duration = Duration::from_secs(40);

/// The longest a keep-warm request may take.
const KEEP_WARM_TIMEOUT: Duration = Duration::from_secs(3);

/// The kiosk is in use while its last call is at most this old.
pub const IN_USE: Duration = Duration::from_secs(10 * 60);

/// What keeping the connection warm asks for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warmth {
    /// Not in use (or never used): nothing to keep.
    Cold,
    /// Send a keep-warm request now.
    Now,
    /// Nothing to do for this long.
    Wait(Duration),
}

/// The keep-warm decision at `now`, from the last call the kiosk made and the last
/// exchange on the wire (a call or a keep-warm request).
pub fn warmth(now: Instant, last_call: Option<Instant>, last_exchange: Option<Instant>) -> Warmth {
    let (Some(call), Some(exchange)) = (last_call, last_exchange) else {
        return Warmth::Cold;
    };
    let in_use_until = call + IN_USE;
    let due = exchange + KEEP_WARM_AFTER;
    if due >= in_use_until {
        Warmth::Cold
    } else if now >= due {
        Warmth::Now
    } else {
        Warmth::Wait(due - now)
    }
}

/// Which certificate authorities the client trusts for the center's certificate.
#[derive(Clone, PartialEq, Eq)]
pub enum Trust {
    /// The Mozilla root store compiled in (webpki-roots).
    Bundled,
    /// Only the CA certificates in this PEM bundle (e.g. a private CA of the center).
    Pem(Vec<u8>),
}

impl core::fmt::Debug for Trust {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Trust::Bundled => f.write_str("Bundled"),
            Trust::Pem(pem) => write!(f, "Pem(<{} bytes>)", pem.len()),
        }
    }
}

/// How to reach the center.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The center's base URL, `https://` only, without query; the protocol's paths
    /// (e.g. [`super::wire::CHECK_PATH`]) are appended to it.
    pub base_url: String,
    /// The trust roots for the center's certificate.
    pub trust: Trust,
    /// Deadline for TCP connect plus the TLS handshake.
    pub connect_timeout: Duration,
    /// Deadline for each read from the socket while waiting for the reply.
    pub read_timeout: Duration,
    /// Deadline for the whole exchange, from connecting to the last byte of the body.
    pub overall_timeout: Duration,
}

impl ClientConfig {
    /// A configuration for `base_url` with the bundled roots and the kiosk's default
    /// deadlines: 5 s to connect, 10 s per read, 20 s in all.
    pub fn new(base_url: &str) -> ClientConfig {
        ClientConfig {
            base_url: base_url.to_owned(),
            trust: Trust::Bundled,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            overall_timeout: Duration::from_secs(20),
        }
    }
}

/// Why a [`ClientConfig`] cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigError {
    /// The base URL is not `https://`.
    NotHttps,
    /// The base URL does not parse, has no host, or has user info, a query or a fragment.
    BadUrl,
    /// The PEM trust bundle does not parse, or holds a certificate rustls cannot use.
    BadPem,
    /// The PEM trust bundle holds no certificate.
    NoCertificates,
    /// A timeout is zero.
    ZeroTimeout,
}

/// Carries calls to the center over HTTPS.
pub struct HttpsTransport {
    agent: ureq::Agent,
    base: String,
    /// The last call the kiosk made (not a keep-warm request).
    last_call: Option<Instant>,
    /// The last exchange on the wire, of either kind.
    last_exchange: Option<Instant>,
}

impl core::fmt::Debug for HttpsTransport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "HttpsTransport {{ base: {:?} }}", self.base)
    }
}

/// The center over HTTPS: every call of [`super::Center`].
pub type HttpsCenter = CenterClient<HttpsTransport>;

impl CenterClient<HttpsTransport> {
    /// A client for `config`, checked up front so that a bad setting fails here rather
    /// than at the first patient.
    pub fn new(config: &ClientConfig) -> Result<HttpsCenter, ConfigError> {
        Ok(CenterClient::with_transport(HttpsTransport::new(config)?))
    }
}

impl HttpsTransport {
    /// A transport for `config`, checked up front.
    pub fn new(config: &ClientConfig) -> Result<HttpsTransport, ConfigError> {
        let base = base_url(&config.base_url)?;
        let timeouts = [
            config.connect_timeout,
            config.read_timeout,
            config.overall_timeout,
        ];
        if timeouts.iter().any(Duration::is_zero) {
            return Err(ConfigError::ZeroTimeout);
        }
        let roots = match &config.trust {
            Trust::Bundled => RootCerts::WebPki,
            Trust::Pem(pem) => RootCerts::from(pem_roots(pem)?),
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .root_certs(roots)
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .https_only(true)
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_per_read(Some(config.read_timeout))
            .timeout_global(Some(config.overall_timeout))
            .max_idle_age(REUSE_IDLE)
            .max_idle_connections_per_host(1)
            .user_agent(concat!("myna-kakunin/", env!("CARGO_PKG_VERSION")))
            .accept("application/json")
            .build()
            .new_agent();
        Ok(HttpsTransport {
            agent,
            base,
            last_call: None,
            last_exchange: None,
        })
    }

    /// Sends a keep-warm request if one is due; returns how long until the next could be.
    fn warm(&mut self) -> Option<Duration> {
        match warmth(Instant::now(), self.last_call, self.last_exchange) {
            Warmth::Cold => None,
            Warmth::Wait(wait) => Some(wait),
            Warmth::Now => {
                log::debug!("keeping the center connection warm");
                self.last_exchange = Some(Instant::now());
                let url = format!("{}{}", self.base, super::wire::APP_VERSION_PATH);
                // Short: a worker busy keeping warm delays the next command by at most this.
                let request = self
                    .agent
                    .get(&url)
                    .config()
                    .timeout_global(Some(KEEP_WARM_TIMEOUT))
                    .build();
                match request.call() {
                    // Read to the end, so that the connection goes back to the pool.
                    Ok(response) => {
                        let _ = response
                            .into_body()
                            .into_reader()
                            .take(MAX_RESPONSE_BYTES as u64)
                            .read_to_end(&mut Vec::new());
                    }
                    Err(error) => log::debug!("keep-warm request failed: {error}"),
                }
                Some(KEEP_WARM_AFTER)
            }
        }
    }

    /// Sends `call` and returns the response head with its body still to read.
    fn send(&self, call: &Call<'_>) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let url = format!("{}{}", self.base, call.path);
        let mut bearer = call
            .bearer
            .map(|token| SensitiveText::new(format!("Bearer {}", token.expose())));
        let authorization = bearer.as_ref().map(SensitiveText::expose);
        let result = match call.method {
            Method::Get => with_auth(self.agent.get(&url), authorization).call(),
            Method::Delete => with_auth(self.agent.delete(&url), authorization).call(),
            Method::Post | Method::Put => {
                let builder = if call.method == Method::Post {
                    self.agent.post(&url)
                } else {
                    self.agent.put(&url)
                };
                let builder = with_auth(builder, authorization);
                match call.body {
                    Some(body) => builder
                        .header("Content-Type", "application/json")
                        .send(body.as_bytes()),
                    None => builder.send_empty(),
                }
            }
        };
        // The header value was copied into the request; this is our copy, wiped on drop.
        bearer.take();
        result
    }
}

/// Adds `Authorization` when there is a bearer value.
fn with_auth<B>(builder: ureq::RequestBuilder<B>, value: Option<&str>) -> ureq::RequestBuilder<B> {
    match value {
        Some(value) => builder.header("Authorization", value),
        None => builder,
    }
}

impl Transport for HttpsTransport {
    fn name(&self) -> &'static str {
        "center"
    }

    fn keep_warm(&mut self) -> Option<Duration> {
        self.warm()
    }

    fn exchange(&mut self, call: &Call<'_>) -> Result<Reply, CenterError> {
        let now = Instant::now();
        (self.last_call, self.last_exchange) = (Some(now), Some(now));
        let response = self.send(call).map_err(map_error)?;
        let status = response.status().as_u16();
        let success = (200..300).contains(&status);

        // Sized once: `take` stops one byte past the limit, so the buffer never regrows
        // and leaves no stray copy of patient data behind.
        let mut buffer = Vec::with_capacity(MAX_RESPONSE_BYTES + 1);
        let read = response
            .into_body()
            .into_reader()
            .take(MAX_RESPONSE_BYTES as u64 + 1)
            .read_to_end(&mut buffer);
        if let Err(error) = read {
            wipe_vec(&mut buffer);
            return Err(map_error(ureq::Error::from(error)));
        }
        if buffer.len() > MAX_RESPONSE_BYTES {
            wipe_vec(&mut buffer);
            return Err(CenterError::TooLarge);
        }
        match String::from_utf8(buffer) {
            Ok(text) => Ok(Reply {
                status,
                body: SensitiveText::new(text),
            }),
            Err(error) => {
                wipe_vec(&mut error.into_bytes());
                Err(if success {
                    CenterError::Malformed
                } else {
                    CenterError::Server { status }
                })
            }
        }
    }
}

/// The base URL without a trailing slash, validated (the protocol's paths are appended).
fn base_url(base_url: &str) -> Result<String, ConfigError> {
    let uri: ureq::http::Uri = base_url.parse().map_err(|_| ConfigError::BadUrl)?;
    if uri.scheme_str() != Some("https") {
        return Err(ConfigError::NotHttps);
    }
    let authority = uri.authority().ok_or(ConfigError::BadUrl)?;
    if authority.host().is_empty() || authority.as_str().contains('@') {
        return Err(ConfigError::BadUrl);
    }
    if uri.query().is_some() || base_url.contains('#') {
        return Err(ConfigError::BadUrl);
    }
    let base = base_url.trim_end_matches('/').to_owned();
    // Parsed again with a path so that sending can never fail on the URL.
    format!("{base}{}", super::wire::CHECK_PATH)
        .parse::<ureq::http::Uri>()
        .map_err(|_| ConfigError::BadUrl)?;
    Ok(base)
}

/// The CA certificates of a PEM bundle, each checked to be usable as a rustls trust root.
fn pem_roots(pem: &[u8]) -> Result<Vec<Certificate<'static>>, ConfigError> {
    let mut roots = Vec::new();
    let mut store = rustls::RootCertStore::empty();
    for item in ureq::tls::parse_pem(pem) {
        match item.map_err(|_| ConfigError::BadPem)? {
            PemItem::Certificate(certificate) => {
                let der = rustls::pki_types::CertificateDer::from(certificate.der().to_vec());
                store.add(der).map_err(|_| ConfigError::BadPem)?;
                roots.push(certificate);
            }
            // A private key has no business in a trust bundle.
            _ => return Err(ConfigError::BadPem),
        }
    }
    if roots.is_empty() {
        return Err(ConfigError::NoCertificates);
    }
    Ok(roots)
}

/// The [`CenterError`] for a transport failure.
fn map_error(error: ureq::Error) -> CenterError {
    // ureq's messages name the host and the cause, never the bodies: safe to log.
    log::debug!("center transport error: {error}");
    match error {
        ureq::Error::Timeout(_) => CenterError::Timeout,
        ureq::Error::Io(io) => map_io_error(&io),
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => CenterError::Unreachable,
        ureq::Error::Rustls(error) => CenterError::Tls(tls_failure(&error)),
        ureq::Error::Tls(_) | ureq::Error::Pem(_) | ureq::Error::TlsRequired => {
            CenterError::Tls(TlsFailure::Handshake)
        }
        ureq::Error::StatusCode(status) => CenterError::Server { status },
        ureq::Error::BodyExceedsLimit(_) | ureq::Error::LargeResponseHeader(..) => {
            CenterError::TooLarge
        }
        ureq::Error::Protocol(_) => CenterError::Malformed,
        // The URL and the settings were checked in `new`; what is left is a connection that
        // did not come about.
        _ => CenterError::Unreachable,
    }
}

/// The [`CenterError`] for a socket-level failure; rustls reports handshake and
/// certificate failures as I/O errors wrapping a `rustls::Error`.
fn map_io_error(error: &std::io::Error) -> CenterError {
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return CenterError::Tls(tls_failure(tls));
    }
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => CenterError::Timeout,
        ErrorKind::UnexpectedEof
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::BrokenPipe => CenterError::Interrupted,
        _ => CenterError::Unreachable,
    }
}

/// Which part of the handshake a rustls error stands for.
fn tls_failure(error: &rustls::Error) -> TlsFailure {
    use rustls::CertificateError;
    match error {
        rustls::Error::InvalidCertificate(certificate) => match certificate {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsFailure::WrongHost
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsFailure::CertificateDates,
            _ => TlsFailure::UntrustedCertificate,
        },
        _ => TlsFailure::Handshake,
    }
}

#[cfg(test)]
mod tests {
    //! The transport against raw loopback TLS servers that answer exactly what each test
    //! needs, including what the reference center never sends (garbage, cut-off bodies,
    //! redirects, huge replies). The protocol over the real reference center is tested in
    //! `tests/center_https.rs`.

    use super::*;
    use crate::card::AuthCertificate;
    use crate::center::account::{DeviceCredential, RefreshToken};
    use crate::center::model::{
        CardClassification, CheckOutcome, Date, Qualification, Sex, Validity,
    };
    use crate::center::wire::{self, ErrorCode};
    use crate::center::{Center, CheckRequest};
    use std::io::Write;
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::thread::{self, JoinHandle};
    use std::time::Instant;

    const TEST_CA_PEM: &[u8] = include_bytes!("../../tests/pki/tls/ca.cert.pem");
    const DEMO_CARD_CA_PEM: &[u8] = include_bytes!("../../tests/pki/ca.cert.pem");
    const SERVER_CERT_DER: &[u8] = include_bytes!("../../tests/pki/tls/server.cert.der");
    const SERVER_KEY_PK8: &[u8] = include_bytes!("../../tests/pki/tls/server.key.pk8");
    const WRONG_HOST_CERT_DER: &[u8] = include_bytes!("../../tests/pki/tls/wrong-host.cert.der");
    const WRONG_HOST_KEY_PK8: &[u8] = include_bytes!("../../tests/pki/tls/wrong-host.key.pk8");
    const EXPIRED_CERT_DER: &[u8] = include_bytes!("../../tests/pki/tls/expired-host.cert.der");
    const EXPIRED_KEY_PK8: &[u8] = include_bytes!("../../tests/pki/tls/expired-host.key.pk8");
    const TARO_DER: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");

    /// How long a test server waits for anything; the tests never hang past it.
    const SERVER_DEADLINE: Duration = Duration::from_secs(10);

    fn config(addr: SocketAddr, trust: Trust, timeout: Duration) -> ClientConfig {
        ClientConfig {
            base_url: format!("https://{addr}"),
            trust,
            connect_timeout: timeout,
            read_timeout: timeout,
            overall_timeout: timeout,
        }
    }

    fn trusted(addr: SocketAddr) -> ClientConfig {
        config(
            addr,
            Trust::Pem(TEST_CA_PEM.to_vec()),
            Duration::from_secs(5),
        )
    }

    fn version(config: &ClientConfig) -> Result<crate::center::info::AppVersion, CenterError> {
        HttpsCenter::new(config).unwrap().app_version()
    }

    fn server_config(cert: &[u8], key: &[u8]) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain = vec![rustls::pki_types::CertificateDer::from(cert.to_vec())];
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.to_vec().into());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        Arc::new(config)
    }

    /// Accepts one connection, polling so that it gives up at `deadline`.
    fn accept_before(listener: &TcpListener, deadline: Instant) -> Option<TcpStream> {
        listener.set_nonblocking(true).ok()?;
        while Instant::now() < deadline {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).ok()?;
                    stream.set_read_timeout(Some(SERVER_DEADLINE)).ok()?;
                    stream.set_write_timeout(Some(SERVER_DEADLINE)).ok()?;
                    return Some(stream);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return None,
            }
        }
        None
    }

    /// Reads one HTTP/1.1 request (headers, then a Content-Length body).
    fn read_request(stream: &mut impl Read) -> Option<String> {
        let mut data = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if data.len() >= end + 4 + length {
                    return String::from_utf8(data).ok();
                }
            }
            let n = stream.read(&mut chunk).ok()?;
            if n == 0 {
                return None;
            }
            data.extend_from_slice(&chunk[..n]);
        }
    }

    /// What a test server answers on one connection.
    enum Answer {
        /// A well-framed response.
        Http {
            status: u16,
            headers: &'static str,
            body: Vec<u8>,
        },
        /// These bytes verbatim, then close.
        Raw(Vec<u8>),
        /// Read the request and never answer (until the client gives up).
        Stall,
    }

    fn http(status: u16, body: impl Into<Vec<u8>>) -> Answer {
        Answer::Http {
            status,
            headers: "",
            body: body.into(),
        }
    }

    /// A loopback HTTPS server that serves one connection per answer, in order, and
    /// returns the requests it read (fewer if a connection failed).
    fn serve_with(
        tls: Arc<rustls::ServerConfig>,
        answers: Vec<Answer>,
    ) -> (SocketAddr, JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = thread::spawn(move || {
            let mut seen = Vec::new();
            for answer in answers {
                let Some(stream) = accept_before(&listener, Instant::now() + SERVER_DEADLINE)
                else {
                    break;
                };
                let Ok(connection) = rustls::ServerConnection::new(Arc::clone(&tls)) else {
                    break;
                };
                let mut stream = rustls::StreamOwned::new(connection, stream);
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                seen.push(request);
                let bytes = match answer {
                    Answer::Http {
                        status,
                        headers,
                        body,
                    } => {
                        let mut bytes = format!(
                            "HTTP/1.1 {status} Test\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        bytes.extend_from_slice(&body);
                        bytes
                    }
                    Answer::Raw(bytes) => bytes,
                    Answer::Stall => {
                        let mut rest = [0u8; 1];
                        let _ = stream.read(&mut rest);
                        continue;
                    }
                };
                let _ = stream.write_all(&bytes);
                stream.conn.send_close_notify();
                let _ = stream.flush();
            }
            seen
        });
        (addr, handle)
    }

    fn serve(answers: Vec<Answer>) -> (SocketAddr, JoinHandle<Vec<String>>) {
        serve_with(server_config(SERVER_CERT_DER, SERVER_KEY_PK8), answers)
    }

    fn version_body() -> String {
        r#"{"latest":"0.2.0","minimum":"0.1.0","download_url":"https://myna-kakunin.example/download"}"#.into()
    }

    fn session_body() -> String {
        wire::account::encode_session(&wire::account::Grant {
            access_token: "access-token-0123456789",
            access_valid_seconds: 60,
            refresh_token: "refresh-token-0123456789",
            refresh_valid_seconds: 120,
        })
        .expose()
        .to_owned()
    }

    fn sample_outcome() -> CheckOutcome {
        let date = |t: &str| Date::parse_yyyymmdd(t).unwrap();
        CheckOutcome {
            confirmation_date: date("20251201"),
            validity: Validity::Valid,
            cert_expiring: true,
            qualification: Some(Qualification {
                card_classification: CardClassification::Regular,
                insurer_number: "06123456".into(),
                insurer_name: "限定資格保険組合".into(),
                symbol: Some("医国３４０".into()),
                number: "001".into(),
                branch: Some("02".into()),
                name_kana: "シカク タロウ".into(),
                name: "資格 太郎".into(),
                birthdate: date("19520101"),
                sex: Sex::Male,
                valid_from: Some(date("20250401")),
                valid_until: Some(date("20270331")),
                qualified_on: None,
                ratio: None,
                relation: None,
                insured_name: None,
                preschool: None,
                back: None,
                elderly: None,
            }),
        }
    }

    #[test]
    fn a_session_and_a_check_over_https() {
        let expected = sample_outcome();
        let (addr, server) = serve(vec![
            http(200, session_body()),
            http(200, wire::encode_outcome(&expected, Some("通知"))),
        ]);
        let mut center = HttpsCenter::new(&trusted(addr)).unwrap();
        let device = DeviceCredential::parse("device-credential-0123".into()).unwrap();
        let refresh = RefreshToken::parse("refresh-token-0123456789".into()).unwrap();
        center.refresh_session(&device, &refresh).unwrap();
        let certificate = AuthCertificate::from_der(TARO_DER.to_vec()).unwrap();
        let outcome = center.check_qualification(&CheckRequest::Visual {
            certificate: &certificate,
        });
        assert_eq!(outcome, Ok(expected));
        let requests = server.join().unwrap();
        assert!(
            requests[0].starts_with("POST /v1/sessions/refresh HTTP/1.1\r\n"),
            "{}",
            requests[0]
        );
        assert!(!requests[0].to_ascii_lowercase().contains("authorization"));
        let check = &requests[1];
        assert!(
            check.starts_with("POST /v1/qualification-checks HTTP/1.1\r\n"),
            "{check}"
        );
        let lower = check.to_ascii_lowercase();
        assert!(lower.contains("content-type: application/json"));
        assert!(
            check.contains("Bearer access-token-0123456789")
                || lower.contains("bearer access-token-0123456789")
        );
        let body = &check[check.find("\r\n\r\n").unwrap() + 4..];
        assert_eq!(
            wire::decode_check_request(body),
            Ok(wire::DecodedCheck::Visual {
                certificate: TARO_DER.to_vec()
            })
        );
    }

    #[test]
    fn base_url_path_prefix_is_kept() {
        let (addr, server) = serve(vec![http(200, version_body())]);
        let mut prefixed = trusted(addr);
        prefixed.base_url = format!("https://localhost:{}/oqs/", addr.port());
        assert!(version(&prefixed).is_ok());
        let requests = server.join().unwrap();
        assert!(
            requests[0].starts_with("GET /oqs/v1/app-version "),
            "{}",
            requests[0]
        );
    }

    #[test]
    fn error_bodies_are_rejections_and_others_server_errors() {
        let rejection = wire::encode_error(&ErrorCode::Internal, "障害が発生しました。");
        let (addr, server) = serve(vec![
            http(500, rejection),
            http(500, "<html>Internal Server Error</html>"),
            http(503, vec![0xff, 0xfe]),
        ]);
        assert_eq!(
            version(&trusted(addr)),
            Err(CenterError::Rejected {
                code: ErrorCode::Internal,
                message: "障害が発生しました。".into(),
            })
        );
        assert_eq!(
            version(&trusted(addr)),
            Err(CenterError::Server { status: 500 })
        );
        assert_eq!(
            version(&trusted(addr)),
            Err(CenterError::Server { status: 503 })
        );
        server.join().unwrap();
    }

    #[test]
    fn redirects_are_not_followed() {
        let (addr, server) = serve(vec![
            Answer::Http {
                status: 302,
                headers: "Location: https://127.0.0.1:9/\r\n",
                body: Vec::new(),
            },
            Answer::Http {
                status: 301,
                headers: "Location: http://127.0.0.1:9/v1/app-version\r\n",
                body: Vec::new(),
            },
        ]);
        assert_eq!(
            version(&trusted(addr)),
            Err(CenterError::Server { status: 302 })
        );
        assert_eq!(
            version(&trusted(addr)),
            Err(CenterError::Server { status: 301 })
        );
        assert_eq!(
            server.join().unwrap().len(),
            2,
            "nothing followed the redirects"
        );
    }

    #[test]
    fn bad_replies_each_have_their_error() {
        let (addr, server) = serve(vec![
            // Oversized, as a success and as an error.
            http(200, vec![b'x'; MAX_RESPONSE_BYTES + 10]),
            http(500, vec![b'x'; MAX_RESPONSE_BYTES + 10]),
            // Truncated JSON (framed correctly), garbage JSON, not UTF-8.
            http(200, version_body()[..40].to_owned()),
            http(200, "{\"latest\":[[[[}"),
            http(200, vec![0xff, 0xfe, 0xfd]),
            // The connection closes before the announced body is complete.
            Answer::Raw(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"latest\"".to_vec(),
            ),
            // Not HTTP at all.
            Answer::Raw(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()),
        ]);
        let c = trusted(addr);
        assert_eq!(version(&c), Err(CenterError::TooLarge));
        assert_eq!(version(&c), Err(CenterError::TooLarge));
        assert_eq!(version(&c), Err(CenterError::Malformed));
        assert_eq!(version(&c), Err(CenterError::Malformed));
        assert_eq!(version(&c), Err(CenterError::Malformed));
        assert_eq!(version(&c), Err(CenterError::Interrupted));
        assert_eq!(version(&c), Err(CenterError::Malformed));
        server.join().unwrap();
    }

    #[test]
    fn huge_response_headers_are_too_large() {
        let mut raw = b"HTTP/1.1 200 OK\r\nX-Padding: ".to_vec();
        raw.extend(std::iter::repeat_n(b'a', 200 * 1024));
        raw.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
        let (addr, server) = serve(vec![Answer::Raw(raw)]);
        assert_eq!(version(&trusted(addr)), Err(CenterError::TooLarge));
        server.join().unwrap();
    }

    #[test]
    fn tls_failures_say_what_failed() {
        // The bundled roots do not know the test CA; nor does another CA's bundle.
        let (addr, server) = serve(vec![http(200, version_body()), http(200, version_body())]);
        let bundled = config(addr, Trust::Bundled, Duration::from_secs(5));
        assert_eq!(
            version(&bundled),
            Err(CenterError::Tls(TlsFailure::UntrustedCertificate))
        );
        let other_ca = config(
            addr,
            Trust::Pem(DEMO_CARD_CA_PEM.to_vec()),
            Duration::from_secs(5),
        );
        assert_eq!(
            version(&other_ca),
            Err(CenterError::Tls(TlsFailure::UntrustedCertificate))
        );
        assert!(server.join().unwrap().is_empty(), "no request got through");

        let (addr, server) = serve_with(
            server_config(WRONG_HOST_CERT_DER, WRONG_HOST_KEY_PK8),
            vec![http(200, version_body())],
        );
        assert_eq!(
            version(&trusted(addr)),
            Err(CenterError::Tls(TlsFailure::WrongHost))
        );
        assert!(server.join().unwrap().is_empty());

        let (addr, server) = serve_with(
            server_config(EXPIRED_CERT_DER, EXPIRED_KEY_PK8),
            vec![http(200, version_body())],
        );
        assert_eq!(
            version(&trusted(addr)),
            Err(CenterError::Tls(TlsFailure::CertificateDates))
        );
        assert!(server.join().unwrap().is_empty());
    }

    #[test]
    fn plain_http_on_the_port_is_a_handshake_failure() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let mut stream = accept_before(&listener, Instant::now() + SERVER_DEADLINE)?;
            let mut hello = [0u8; 512];
            let _ = stream.read(&mut hello);
            stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .ok()
        });
        assert_eq!(
            version(&trusted(addr)),
            Err(CenterError::Tls(TlsFailure::Handshake))
        );
        server.join().unwrap();
    }

    #[test]
    fn tls_1_2_is_still_accepted() {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls12 = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![rustls::pki_types::CertificateDer::from(
                    SERVER_CERT_DER.to_vec(),
                )],
                rustls::pki_types::PrivateKeyDer::Pkcs8(SERVER_KEY_PK8.to_vec().into()),
            )
            .unwrap();
        let (addr, server) = serve_with(Arc::new(tls12), vec![http(200, version_body())]);
        assert!(version(&trusted(addr)).is_ok());
        server.join().unwrap();
    }

    #[test]
    fn closed_port_is_unreachable() {
        let addr = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        assert_eq!(version(&trusted(addr)), Err(CenterError::Unreachable));
    }

    #[test]
    fn silent_server_times_out() {
        // Bound but never accepting: the kernel completes the TCP handshake, nobody answers.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let short = config(
            addr,
            Trust::Pem(TEST_CA_PEM.to_vec()),
            Duration::from_millis(300),
        );
        let started = Instant::now();
        assert_eq!(version(&short), Err(CenterError::Timeout));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        drop(listener);
    }

    #[test]
    fn a_server_that_stalls_after_the_request_times_out() {
        for (read, overall) in [
            (Duration::from_millis(300), Duration::from_secs(5)),
            (Duration::from_secs(5), Duration::from_millis(500)),
        ] {
            let (addr, server) = serve(vec![Answer::Stall]);
            let mut c = trusted(addr);
            c.read_timeout = read;
            c.overall_timeout = overall;
            let started = Instant::now();
            assert_eq!(version(&c), Err(CenterError::Timeout));
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "{:?}",
                started.elapsed()
            );
            assert_eq!(server.join().unwrap().len(), 1);
        }
    }

    #[test]
    fn the_connection_is_kept_warm_only_while_in_use() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        // Never used: nothing to keep.
        assert_eq!(warmth(t0, None, None), Warmth::Cold);
        // Just used: wait until the connection has idled KEEP_WARM_AFTER.
        assert_eq!(
            warmth(at(10), Some(t0), Some(t0)),
            Warmth::Wait(KEEP_WARM_AFTER - Duration::from_secs(10))
        );
        assert_eq!(warmth(at(40), Some(t0), Some(t0)), Warmth::Now);
        // After a keep-warm request, the next one is KEEP_WARM_AFTER later.
        assert_eq!(
            warmth(at(41), Some(t0), Some(at(40))),
            Warmth::Wait(Duration::from_secs(39))
        );
        // No call for IN_USE: the kiosk is not in use, the connection may go.
        let last = IN_USE.as_secs() - 10;
        assert_eq!(warmth(at(last + 1), Some(t0), Some(at(last))), Warmth::Cold);
        // The pool reuses what the keep-warm requests keep open.
        assert!(KEEP_WARM_AFTER < REUSE_IDLE);
        assert!(KEEP_WARM_TIMEOUT < KEEP_WARM_AFTER);
    }

    #[test]
    fn keep_warm_waits_for_a_first_call() {
        let mut center = HttpsCenter::new(&ClientConfig::new("https://center.example.jp")).unwrap();
        assert_eq!(
            Center::keep_warm(&mut center),
            None,
            "nothing sent, nothing kept"
        );
    }

    #[test]
    fn configuration_is_checked_up_front() {
        let good = ClientConfig::new("https://center.example.jp");
        assert_eq!(good.trust, Trust::Bundled);
        let center = HttpsCenter::new(&good).unwrap();
        assert_eq!(center.transport().base, "https://center.example.jp");
        let with = |url: &str| {
            let mut c = good.clone();
            c.base_url = url.into();
            HttpsCenter::new(&c).map(|_| ())
        };
        assert_eq!(with("https://center.example.jp/"), Ok(()));
        assert_eq!(with("http://center.example.jp"), Err(ConfigError::NotHttps));
        assert_eq!(with("center.example.jp"), Err(ConfigError::NotHttps));
        assert_eq!(with("not a url"), Err(ConfigError::BadUrl));
        assert_eq!(with(""), Err(ConfigError::BadUrl));
        assert_eq!(
            with("https://center.example.jp/?x=1"),
            Err(ConfigError::BadUrl)
        );
        assert_eq!(
            with("https://center.example.jp/#x"),
            Err(ConfigError::BadUrl)
        );
        assert_eq!(
            with("https://user:pw@center.example.jp"),
            Err(ConfigError::BadUrl)
        );
        let pem = |bytes: &[u8]| {
            let mut c = good.clone();
            c.trust = Trust::Pem(bytes.to_vec());
            HttpsCenter::new(&c).map(|_| ())
        };
        assert_eq!(pem(TEST_CA_PEM), Ok(()));
        assert_eq!(pem(b""), Err(ConfigError::NoCertificates));
        assert_eq!(pem(b"not pem at all"), Err(ConfigError::NoCertificates));
        assert_eq!(
            pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            Err(ConfigError::BadPem)
        );
        assert_eq!(
            pem(include_bytes!("../../tests/pki/tls/ca.key.pem")),
            Err(ConfigError::BadPem)
        );
        for zero in 0..3 {
            let mut c = good.clone();
            match zero {
                0 => c.connect_timeout = Duration::ZERO,
                1 => c.read_timeout = Duration::ZERO,
                _ => c.overall_timeout = Duration::ZERO,
            }
            assert_eq!(
                HttpsCenter::new(&c).map(|_| ()),
                Err(ConfigError::ZeroTimeout)
            );
        }
        assert!(!format!("{:?}", Trust::Pem(TEST_CA_PEM.to_vec())).contains("BEGIN"));
    }
}
