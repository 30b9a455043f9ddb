//! The HTTPS client of the qualification center (production).
//!
//! Blocking ureq 3 over rustls with the ring provider set explicitly; TLS 1.2 and 1.3 only
//! (rustls implements nothing older); server certificates verified against the bundled
//! Mozilla roots (webpki-roots) or a PEM bundle from the configuration. Redirects are not
//! followed, no proxy is used, and every wait has a deadline: `connect_timeout` covers
//! TCP plus the TLS handshake, `overall_timeout` the whole exchange including the body.
//!
//! The response body is read with a size limit into one pre-sized buffer, parsed by
//! [`wire::parse_check_response`] (the same code as the in-process center) and wiped.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};

use super::model::CheckOutcome;
use super::{wire, Center, CenterError, CheckRequest};
use crate::sensitive::wipe_vec;

/// Largest response body accepted, in bytes; a longer one is not the protocol's.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

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
    /// (e.g. [`wire::CHECK_PATH`]) are appended to it.
    pub base_url: String,
    /// The trust roots for the center's certificate.
    pub trust: Trust,
    /// Deadline for TCP connect plus the TLS handshake.
    pub connect_timeout: Duration,
    /// Deadline for the whole exchange, from connecting to the last byte of the body.
    pub overall_timeout: Duration,
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

/// The center over HTTPS.
pub struct HttpsCenter {
    agent: ureq::Agent,
    endpoint: String,
}

impl core::fmt::Debug for HttpsCenter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "HttpsCenter {{ endpoint: {:?} }}", self.endpoint)
    }
}

impl HttpsCenter {
    /// A client for `config`, checked up front so that a bad setting fails here rather
    /// than at the first patient.
    pub fn new(config: &ClientConfig) -> Result<HttpsCenter, ConfigError> {
        let endpoint = endpoint(&config.base_url)?;
        if config.connect_timeout.is_zero() || config.overall_timeout.is_zero() {
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
            .timeout_global(Some(config.overall_timeout))
            .user_agent(concat!("myna-kakunin/", env!("CARGO_PKG_VERSION")))
            .accept("application/json")
            .build()
            .new_agent();
        Ok(HttpsCenter { agent, endpoint })
    }

    /// Sends `body` and reads the reply: the HTTP status if one came, and the outcome.
    fn exchange(&self, body: &str) -> (Option<u16>, Result<CheckOutcome, CenterError>) {
        let response = match self
            .agent
            .post(&self.endpoint)
            .header("Content-Type", "application/json")
            .send(body.as_bytes())
        {
            Ok(response) => response,
            Err(error) => return (None, Err(map_error(error))),
        };
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
        let unusable = if success {
            CenterError::Malformed
        } else {
            CenterError::Server { status }
        };
        let result = match read {
            Err(error) => Err(map_error(ureq::Error::from(error))),
            Ok(_) if buffer.len() > MAX_RESPONSE_BYTES => Err(unusable),
            Ok(_) => match core::str::from_utf8(&buffer) {
                Ok(text) => wire::parse_check_response(status, text),
                Err(_) => Err(unusable),
            },
        };
        wipe_vec(&mut buffer);
        (Some(status), result)
    }
}

impl Center for HttpsCenter {
    fn check_qualification(
        &mut self,
        request: &CheckRequest<'_>,
    ) -> Result<CheckOutcome, CenterError> {
        let body = wire::encode_check_request(request);
        let (status, result) = self.exchange(&body);
        wire::log_result("center", status, &result);
        result
    }
}

/// The check endpoint's URL for a base URL, validated.
fn endpoint(base_url: &str) -> Result<String, ConfigError> {
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
    let endpoint = format!("{}{}", base_url.trim_end_matches('/'), wire::CHECK_PATH);
    // Parsed again so that sending can never fail on the URL.
    endpoint
        .parse::<ureq::http::Uri>()
        .map_err(|_| ConfigError::BadUrl)?;
    Ok(endpoint)
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
        ureq::Error::Tls(_)
        | ureq::Error::Rustls(_)
        | ureq::Error::Pem(_)
        | ureq::Error::TlsRequired => CenterError::Tls,
        ureq::Error::StatusCode(status) => CenterError::Server { status },
        ureq::Error::Protocol(_)
        | ureq::Error::LargeResponseHeader(..)
        | ureq::Error::BodyExceedsLimit(_) => CenterError::Malformed,
        // The URL and the settings were checked in `new`; what is left is a connection that
        // did not come about.
        _ => CenterError::Unreachable,
    }
}

/// The [`CenterError`] for a socket-level failure; rustls reports handshake and
/// certificate failures as I/O errors wrapping a `rustls::Error`.
fn map_io_error(error: &std::io::Error) -> CenterError {
    if error
        .get_ref()
        .is_some_and(|inner| inner.is::<rustls::Error>())
    {
        return CenterError::Tls;
    }
    match error.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => CenterError::Timeout,
        _ => CenterError::Unreachable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::AuthCertificate;
    use crate::center::model::{CardClassification, Date, Qualification, Sex, Validity};
    use crate::center::wire::ErrorCode;
    use std::io::Write;
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::thread::{self, JoinHandle};
    use std::time::Instant;

    const TEST_CA_PEM: &[u8] = include_bytes!("../../tests/pki/tls/ca.cert.pem");
    const SERVER_CERT_DER: &[u8] = include_bytes!("../../tests/pki/tls/server.cert.der");
    const SERVER_KEY_PK8: &[u8] = include_bytes!("../../tests/pki/tls/server.key.pk8");
    const TARO_DER: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");

    /// How long the test server waits for anything; the tests never hang past it.
    const SERVER_DEADLINE: Duration = Duration::from_secs(10);

    fn config(addr: SocketAddr, trust: Trust, timeout: Duration) -> ClientConfig {
        ClientConfig {
            base_url: format!("https://{addr}"),
            trust,
            connect_timeout: timeout,
            overall_timeout: timeout,
        }
    }

    fn check(config: &ClientConfig) -> Result<CheckOutcome, CenterError> {
        let certificate = AuthCertificate::from_der(TARO_DER.to_vec()).unwrap();
        let mut center = HttpsCenter::new(config).unwrap();
        center.check_qualification(&CheckRequest::Visual {
            certificate: &certificate,
        })
    }

    fn server_config() -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain = vec![rustls::pki_types::CertificateDer::from(
            SERVER_CERT_DER.to_vec(),
        )];
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(SERVER_KEY_PK8.to_vec().into());
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

    /// A loopback HTTPS server that answers one request with `status`, `headers` and
    /// `body`, and returns the request it got (None if the exchange failed).
    fn serve_once(
        status: u16,
        headers: &str,
        body: String,
    ) -> (SocketAddr, JoinHandle<Option<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let tls = server_config();
        let headers = headers.to_owned();
        let handle = thread::spawn(move || {
            let stream = accept_before(&listener, Instant::now() + SERVER_DEADLINE)?;
            let connection = rustls::ServerConnection::new(tls).ok()?;
            let mut stream = rustls::StreamOwned::new(connection, stream);
            let request = read_request(&mut stream)?;
            let response = format!(
                "HTTP/1.1 {status} Test\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(response.as_bytes()).ok()?;
            stream.write_all(body.as_bytes()).ok()?;
            stream.conn.send_close_notify();
            stream.flush().ok()?;
            Some(request)
        });
        (addr, handle)
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
                preschool: false,
                back: None,
                elderly: None,
            }),
        }
    }

    #[test]
    fn success_over_https() {
        let expected = sample_outcome();
        let (addr, server) = serve_once(200, "", wire::encode_outcome(&expected, Some("通知")));
        let trusted = config(
            addr,
            Trust::Pem(TEST_CA_PEM.to_vec()),
            Duration::from_secs(5),
        );
        assert_eq!(check(&trusted), Ok(expected));
        let request = server.join().unwrap().expect("the server saw the request");
        assert!(
            request.starts_with("POST /v1/qualification-checks HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(request
            .to_ascii_lowercase()
            .contains("content-type: application/json"));
        let body = &request[request.find("\r\n\r\n").unwrap() + 4..];
        let (mode, der) = wire::decode_check_request(body).unwrap();
        assert_eq!((mode, der.as_slice()), (wire::CheckMode::Visual, TARO_DER));
    }

    #[test]
    fn base_url_path_prefix_is_kept() {
        let (addr, server) = serve_once(200, "", wire::encode_outcome(&sample_outcome(), None));
        let mut prefixed = config(
            addr,
            Trust::Pem(TEST_CA_PEM.to_vec()),
            Duration::from_secs(5),
        );
        prefixed.base_url = format!("https://localhost:{}/oqs/", addr.port());
        assert!(check(&prefixed).is_ok());
        let request = server.join().unwrap().unwrap();
        assert!(
            request.starts_with("POST /oqs/v1/qualification-checks "),
            "{request}"
        );
    }

    #[test]
    fn error_body_is_rejected() {
        let body = wire::encode_error(
            &ErrorCode::UnknownCertificate,
            "資格情報が登録されていません。",
        );
        let (addr, server) = serve_once(404, "", body);
        let trusted = config(
            addr,
            Trust::Pem(TEST_CA_PEM.to_vec()),
            Duration::from_secs(5),
        );
        assert_eq!(
            check(&trusted),
            Err(CenterError::Rejected {
                code: ErrorCode::UnknownCertificate,
                message: "資格情報が登録されていません。".into(),
            })
        );
        server.join().unwrap();
    }

    #[test]
    fn redirects_are_not_followed() {
        let (addr, server) = serve_once(302, "Location: https://127.0.0.1:9/\r\n", String::new());
        let trusted = config(
            addr,
            Trust::Pem(TEST_CA_PEM.to_vec()),
            Duration::from_secs(5),
        );
        assert_eq!(check(&trusted), Err(CenterError::Server { status: 302 }));
        server.join().unwrap();
    }

    #[test]
    fn oversized_and_broken_bodies_are_malformed() {
        let (addr, server) = serve_once(200, "", "x".repeat(MAX_RESPONSE_BYTES + 10));
        let trusted = config(
            addr,
            Trust::Pem(TEST_CA_PEM.to_vec()),
            Duration::from_secs(5),
        );
        assert_eq!(check(&trusted), Err(CenterError::Malformed));
        server.join().unwrap();
        let (addr, server) = serve_once(200, "", "{\"Qualification".into());
        let trusted = config(
            addr,
            Trust::Pem(TEST_CA_PEM.to_vec()),
            Duration::from_secs(5),
        );
        assert_eq!(check(&trusted), Err(CenterError::Malformed));
        server.join().unwrap();
        let (addr, server) = serve_once(503, "", "<html>maintenance</html>".into());
        let trusted = config(
            addr,
            Trust::Pem(TEST_CA_PEM.to_vec()),
            Duration::from_secs(5),
        );
        assert_eq!(check(&trusted), Err(CenterError::Server { status: 503 }));
        server.join().unwrap();
    }

    #[test]
    fn untrusted_server_is_a_tls_error() {
        let (addr, server) = serve_once(200, "", wire::encode_outcome(&sample_outcome(), None));
        let bundled = config(addr, Trust::Bundled, Duration::from_secs(5));
        assert_eq!(check(&bundled), Err(CenterError::Tls));
        assert_eq!(server.join().unwrap(), None, "no request got through");
    }

    #[test]
    fn closed_port_is_unreachable() {
        let addr = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let trusted = config(
            addr,
            Trust::Pem(TEST_CA_PEM.to_vec()),
            Duration::from_secs(5),
        );
        assert_eq!(check(&trusted), Err(CenterError::Unreachable));
    }

    #[test]
    fn silent_server_times_out() {
        // Bound but never accepting: the kernel completes the TCP handshake, nobody answers.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let trusted = config(
            addr,
            Trust::Pem(TEST_CA_PEM.to_vec()),
            Duration::from_millis(300),
        );
        let started = Instant::now();
        assert_eq!(check(&trusted), Err(CenterError::Timeout));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        drop(listener);
    }

    #[test]
    fn server_that_stalls_after_the_handshake_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let tls = server_config();
        let server = thread::spawn(move || {
            let stream = accept_before(&listener, Instant::now() + SERVER_DEADLINE)?;
            let connection = rustls::ServerConnection::new(tls).ok()?;
            let mut stream = rustls::StreamOwned::new(connection, stream);
            let request = read_request(&mut stream)?;
            // Never answer; hold the connection until the client gives up.
            let mut rest = [0u8; 1];
            let _ = stream.read(&mut rest);
            Some(request)
        });
        let mut trusted = config(
            addr,
            Trust::Pem(TEST_CA_PEM.to_vec()),
            Duration::from_secs(5),
        );
        trusted.overall_timeout = Duration::from_millis(500);
        let started = Instant::now();
        assert_eq!(check(&trusted), Err(CenterError::Timeout));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(server.join().unwrap().is_some());
    }

    #[test]
    fn configuration_is_checked_up_front() {
        let good = ClientConfig {
            base_url: "https://center.example.jp".into(),
            trust: Trust::Bundled,
            connect_timeout: Duration::from_secs(5),
            overall_timeout: Duration::from_secs(15),
        };
        let center = HttpsCenter::new(&good).unwrap();
        assert_eq!(
            center.endpoint,
            "https://center.example.jp/v1/qualification-checks"
        );
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
        let mut zero = good.clone();
        zero.overall_timeout = Duration::ZERO;
        assert_eq!(
            HttpsCenter::new(&zero).map(|_| ()),
            Err(ConfigError::ZeroTimeout)
        );
    }
}
