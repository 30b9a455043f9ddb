//! The reference center over real HTTPS on loopback (demo build only), for the client
//! tests and `myna-kakunin reference-center`.
//!
//! rustls server side with the ring provider (TLS 1.2 and 1.3, session tickets for
//! resumption), one thread per connection (at most [`MAX_CONNECTIONS`] at once). Connections
//! are persistent (HTTP/1.1 keep-alive, no pipelining) within [`Limits`]: a bounded wait for
//! each next request, a bounded time for each request, a bounded number of requests per
//! connection; sizes are bounded too (see [`super::http`]). It binds to loopback addresses
//! only. Use it with the TEST-ONLY certificates of `tests/pki/tls/`.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::http::{self, HttpError, Persistence};
use super::{error_message, HttpRequest, ReferenceCenter};
use crate::center::wire::{self, ErrorCode};

/// Most connections served at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 32;

/// How long one request may take: from accept (TLS handshake included) to the first
/// request's last byte, and from a later request's first byte to its last.
pub const CONNECTION_DEADLINE: Duration = Duration::from_secs(10);

/// How long a connection waits for its next request before the server closes it.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Requests served on one connection; the last answer says `Connection: close`.
pub const REQUESTS_PER_CONNECTION: usize = 100;

/// How long and how much one connection may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a connection waits for its next request (after the first).
    pub idle: Duration,
    /// How long one request may take (see [`CONNECTION_DEADLINE`]).
    pub request: Duration,
    /// Requests served on one connection.
    pub requests_per_connection: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            idle: IDLE_TIMEOUT,
            request: CONNECTION_DEADLINE,
            requests_per_connection: REQUESTS_PER_CONNECTION,
        }
    }
}

/// How often the accept loop, and a connection waiting for a request, look at the stop
/// flag.
const ACCEPT_POLL: Duration = Duration::from_millis(10);
const IDLE_POLL: Duration = Duration::from_millis(100);

/// The center's time in Unix seconds (injected so that tests can move it).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Why the server cannot start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerError {
    /// The certificate file holds no certificate, or does not parse.
    BadCertificate,
    /// The key file holds no private key, or does not parse.
    BadKey,
    /// rustls refused the certificate and key (e.g. they do not match).
    Tls,
    /// The listen address is not a loopback address.
    NotLoopback,
    /// The address could not be bound.
    Bind(io::ErrorKind),
    /// The accept thread could not be started.
    Thread,
}

/// The server's certificate chain and key.
pub struct ServerTls {
    config: Arc<rustls::ServerConfig>,
}

impl core::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ServerTls(<key redacted>)")
    }
}

impl ServerTls {
    /// From PEM files: the certificate chain (leaf first) and a PKCS#8, PKCS#1 or SEC1 key.
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<ServerTls, ServerError> {
        let chain = CertificateDer::pem_slice_iter(chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ServerError::BadCertificate)?;
        if chain.is_empty() {
            return Err(ServerError::BadCertificate);
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| ServerError::BadKey)?;
        ServerTls::new(chain, key)
    }

    /// From DER: one certificate and its PKCS#8 key.
    pub fn from_der(
        certificate_der: &[u8],
        key_pkcs8_der: &[u8],
    ) -> Result<ServerTls, ServerError> {
        ServerTls::new(
            vec![CertificateDer::from(certificate_der.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8_der.to_vec())),
        )
    }

    /// Like [`ServerTls::from_der`] but speaking TLS 1.2 only (to show that the client
    /// still accepts it).
    pub fn from_der_tls12_only(
        certificate_der: &[u8],
        key_pkcs8_der: &[u8],
    ) -> Result<ServerTls, ServerError> {
        ServerTls::with_versions(
            vec![CertificateDer::from(certificate_der.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8_der.to_vec())),
            &[&rustls::version::TLS12],
        )
    }

    fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<ServerTls, ServerError> {
        ServerTls::with_versions(chain, key, rustls::DEFAULT_VERSIONS)
    }

    fn with_versions(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> Result<ServerTls, ServerError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .map_err(|_| ServerError::Tls)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|_| ServerError::Tls)?;
        Ok(ServerTls {
            config: Arc::new(config),
        })
    }
}

/// What the server has seen: connections accepted and how their TLS handshakes went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections served (accepted within [`MAX_CONNECTIONS`]).
    pub connections: usize,
    /// Full TLS handshakes that carried a request.
    pub full_handshakes: usize,
    /// Resumed TLS handshakes (a session ticket) that carried a request.
    pub resumed_handshakes: usize,
}

#[derive(Default)]
struct Counters {
    connections: AtomicUsize,
    full: AtomicUsize,
    resumed: AtomicUsize,
}

/// A running server; dropping it stops accepting (connections being served finish within
/// their deadline).
pub struct RunningServer {
    addr: SocketAddr,
    center: Arc<Mutex<ReferenceCenter>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl core::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RunningServer {{ {} }}", self.addr)
    }
}

impl RunningServer {
    /// The address it listens on (with the port the OS chose for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT`, the base URL for the client.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The center it serves (tests add records or change versions while it runs).
    pub fn center(&self) -> Arc<Mutex<ReferenceCenter>> {
        Arc::clone(&self.center)
    }

    /// Connections and handshakes so far.
    pub fn stats(&self) -> Stats {
        Stats {
            connections: self.counters.connections.load(Ordering::SeqCst),
            full_handshakes: self.counters.full.load(Ordering::SeqCst),
            resumed_handshakes: self.counters.resumed.load(Ordering::SeqCst),
        }
    }

    /// Stops accepting and waits for the accept thread (at most one poll interval).
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            if accept.join().is_err() {
                log::warn!("reference center: the accept thread panicked");
            }
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Serves `center` over HTTPS on `listen` (a loopback address; port 0 picks a free one)
/// with `tls`, the time from `clock`, within the default [`Limits`].
pub fn spawn_https(
    listen: SocketAddr,
    tls: ServerTls,
    center: ReferenceCenter,
    clock: Clock,
) -> Result<RunningServer, ServerError> {
    spawn_https_with(listen, tls, center, clock, Limits::default())
}

/// [`spawn_https`] within `limits`.
pub fn spawn_https_with(
    listen: SocketAddr,
    tls: ServerTls,
    center: ReferenceCenter,
    clock: Clock,
    limits: Limits,
) -> Result<RunningServer, ServerError> {
    if !listen.ip().is_loopback() {
        return Err(ServerError::NotLoopback);
    }
    let listener = TcpListener::bind(listen).map_err(|e| ServerError::Bind(e.kind()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServerError::Bind(e.kind()))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| ServerError::Bind(e.kind()))?;
    let center = Arc::new(Mutex::new(center));
    let stop = Arc::new(AtomicBool::new(false));
    let shared = Shared {
        tls: tls.config,
        center: Arc::clone(&center),
        clock,
        active: Arc::new(AtomicUsize::new(0)),
        limits,
        stop: Arc::clone(&stop),
        counters: Arc::new(Counters::default()),
    };
    let counters = Arc::clone(&shared.counters);
    let flag = Arc::clone(&stop);
    let accept = thread::Builder::new()
        .name("reference-center".into())
        .spawn(move || accept_loop(&listener, &flag, &shared))
        .map_err(|_| ServerError::Thread)?;
    log::info!("reference center: listening on {addr}");
    Ok(RunningServer {
        addr,
        center,
        stop,
        accept: Some(accept),
        counters,
    })
}

/// What every connection thread needs.
#[derive(Clone)]
struct Shared {
    tls: Arc<rustls::ServerConfig>,
    center: Arc<Mutex<ReferenceCenter>>,
    clock: Clock,
    active: Arc<AtomicUsize>,
    limits: Limits,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
}

/// Counts a connection as active while it lives.
struct ActiveGuard(Arc<AtomicUsize>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn accept_loop(listener: &TcpListener, stop: &AtomicBool, shared: &Shared) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                if shared.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                    shared.active.fetch_sub(1, Ordering::SeqCst);
                    log::warn!("reference center: too many connections; one closed");
                    continue;
                }
                shared.counters.connections.fetch_add(1, Ordering::SeqCst);
                let guard = ActiveGuard(Arc::clone(&shared.active));
                let shared = shared.clone();
                let spawned = thread::Builder::new()
                    .name("reference-center-connection".into())
                    .spawn(move || {
                        let _guard = guard;
                        serve_connection(stream, &shared);
                    });
                if spawned.is_err() {
                    log::warn!("reference center: no thread for a connection; closed");
                }
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => thread::sleep(ACCEPT_POLL),
            Err(error) => {
                log::warn!("reference center: accept failed: {}", error.kind());
                thread::sleep(ACCEPT_POLL);
            }
        }
    }
}

/// Serves the requests of one connection, within [`Limits`], until the client closes it,
/// asks to close it, idles past the limit or used up its requests, or the server stops.
fn serve_connection(stream: TcpStream, shared: &Shared) {
    let limits = shared.limits;
    // The accepted socket inherits non-blocking mode on some systems; make it blocking with
    // timeouts.
    if stream.set_nonblocking(false).is_err()
        || stream.set_write_timeout(Some(limits.request)).is_err()
    {
        return;
    }
    let _ = stream.set_nodelay(true);
    let Ok(control) = stream.try_clone() else {
        return;
    };
    let Ok(connection) = rustls::ServerConnection::new(Arc::clone(&shared.tls)) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let mut set_timeout = |wait: Duration| control.set_read_timeout(Some(wait));
    let mut served = 0usize;
    // The first request comes at once (the handshake is part of it); later ones may wait.
    let mut wait_until = Instant::now() + limits.request;
    loop {
        // Waits in short slices so that a stopped server closes idle connections soon.
        let slice = wait_until.min(Instant::now() + IDLE_POLL);
        let (status, body, last) =
            match http::read_next_request(&mut tls, slice, limits.request, &mut set_timeout) {
                Ok(request) => {
                    served += 1;
                    if served == 1 {
                        let counter = match tls.conn.handshake_kind() {
                            Some(rustls::HandshakeKind::Resumed) => &shared.counters.resumed,
                            _ => &shared.counters.full,
                        };
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                    let last = request.head.close
                        || request.pipelined
                        || served >= limits.requests_per_connection;
                    let (status, body) = handle(&request, shared);
                    (status, body, last)
                }
                Err(HttpError::Idle)
                    if Instant::now() < wait_until && !shared.stop.load(Ordering::SeqCst) =>
                {
                    continue
                }
                Err(HttpError::Closed | HttpError::Idle) => break,
                Err(error) => {
                    let code = match error {
                        HttpError::TooLarge => ErrorCode::RequestTooLarge,
                        HttpError::Timeout => ErrorCode::RequestTimeout,
                        _ => ErrorCode::BadRequest,
                    };
                    log::info!("reference center: unreadable request ({error:?})");
                    let body = wire::encode_error(&code, error_message(&code))
                        .as_str()
                        .into();
                    // After a request that could not be read, the stream's framing is lost.
                    (code.http_status(), body, true)
                }
            };
        let persistence = if last {
            Persistence::Close
        } else {
            Persistence::KeepAlive {
                idle_seconds: limits.idle.as_secs(),
                requests_left: limits.requests_per_connection - served,
            }
        };
        let written = http::write_response_with(&mut tls, status, body.expose(), persistence);
        drop(body);
        if written.is_err() || last {
            break;
        }
        wait_until = Instant::now() + limits.idle;
    }
    tls.conn.send_close_notify();
    let _ = tls.flush();
    let _ = tls.sock.shutdown(std::net::Shutdown::Both);
}

/// The center's answer to one request.
fn handle(request: &http::Request, shared: &Shared) -> (u16, crate::sensitive::SensitiveText) {
    let now = (shared.clock)();
    let http_request = HttpRequest {
        method: &request.head.method,
        path: &request.head.path,
        bearer: request.head.bearer.as_ref().map(|b| b.expose()),
        body: request.body.expose(),
    };
    // A panic while handling would poison the lock; the center's state is still consistent
    // enough for a test server, so keep serving.
    let mut center = shared.center.lock().unwrap_or_else(PoisonError::into_inner);
    let response = center.handle(&http_request, now);
    (response.status, response.body)
}

#[cfg(test)]
mod tests {
    //! The connection bounds, each over a raw TLS client that sends exactly what the test
    //! needs (the protocol over the real client is tested in `tests/center_https.rs`).

    use super::*;
    use std::io::Read;

    const CA_PEM: &[u8] = include_bytes!("../../../tests/pki/tls/ca.cert.pem");
    const CERT_DER: &[u8] = include_bytes!("../../../tests/pki/tls/server.cert.der");
    const KEY_PK8: &[u8] = include_bytes!("../../../tests/pki/tls/server.key.pk8");

    /// No read in these tests waits longer than this: they never hang.
    const WAIT: Duration = Duration::from_secs(5);

    const VERSION: &[u8] = b"GET /v1/app-version HTTP/1.1\r\nHost: localhost\r\n\r\n";

    type Client = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

    fn server(limits: Limits) -> RunningServer {
        let tls = ServerTls::from_der(CERT_DER, KEY_PK8).unwrap();
        let clock: Clock = Arc::new(|| 1_795_478_400);
        let listen = "127.0.0.1:0".parse().unwrap();
        spawn_https_with(listen, tls, ReferenceCenter::new(), clock, limits).unwrap()
    }

    fn limits(idle_ms: u64, request_ms: u64, requests: usize) -> Limits {
        Limits {
            idle: Duration::from_millis(idle_ms),
            request: Duration::from_millis(request_ms),
            requests_per_connection: requests,
        }
    }

    fn connect(server: &RunningServer) -> Client {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(CA_PEM) {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = "localhost".try_into().unwrap();
        let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let socket = TcpStream::connect(server.addr()).unwrap();
        socket.set_read_timeout(Some(WAIT)).unwrap();
        rustls::StreamOwned::new(connection, socket)
    }

    /// One response's head and body, or `None` when the server closed the connection.
    fn response(client: &mut Client) -> Option<(String, String)> {
        let mut bytes = Vec::new();
        let mut byte = [0u8; 1];
        while !bytes.ends_with(b"\r\n\r\n") {
            match client.read(&mut byte) {
                Ok(1) => bytes.push(byte[0]),
                Ok(_) => return None,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return None,
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("no answer within {WAIT:?}: {e}"),
            }
        }
        let head = String::from_utf8(bytes).unwrap();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .map_or(0, |n| n.parse::<usize>().unwrap());
        let mut body = vec![0u8; length];
        client.read_exact(&mut body).unwrap();
        Some((head, String::from_utf8(body).unwrap()))
    }

    /// Whether the server closed the connection (nothing more comes).
    fn closed(client: &mut Client) -> bool {
        let mut byte = [0u8; 1];
        match client.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => matches!(
                e.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
            ),
        }
    }

    #[test]
    fn a_connection_serves_requests_until_its_limit_then_closes() {
        let server = server(limits(5_000, 5_000, 3));
        let mut client = connect(&server);
        for left in [2, 1] {
            client.write_all(VERSION).unwrap();
            let (head, body) = response(&mut client).unwrap();
            assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
            assert!(head.contains("Connection: keep-alive\r\n"), "{head}");
            assert!(
                head.contains(&format!("Keep-Alive: timeout=5, max={left}\r\n")),
                "{head}"
            );
            assert!(body.contains("\"latest\""), "{body}");
        }
        client.write_all(VERSION).unwrap();
        let (head, _) = response(&mut client).unwrap();
        assert!(
            head.contains("Connection: close\r\n"),
            "the third is the last: {head}"
        );
        assert!(closed(&mut client));
    }

    #[test]
    fn an_idle_connection_is_closed_after_the_idle_limit() {
        let server = server(limits(300, 5_000, 100));
        let mut client = connect(&server);
        client.write_all(VERSION).unwrap();
        let (head, _) = response(&mut client).unwrap();
        assert!(head.contains("Keep-Alive: timeout=0, max=99\r\n"), "{head}");
        // Well within the idle limit, the connection still serves.
        client.write_all(VERSION).unwrap();
        assert!(response(&mut client).is_some());
        // Silent past it (the read waits at most WAIT): closed by the server, unanswered.
        let started = Instant::now();
        assert!(closed(&mut client));
        assert!(started.elapsed() < WAIT, "{:?}", started.elapsed());
    }

    #[test]
    fn a_request_that_does_not_arrive_in_time_is_answered_408_and_closes() {
        let server = server(limits(5_000, 300, 100));
        let mut client = connect(&server);
        client.write_all(VERSION).unwrap();
        assert!(response(&mut client).is_some());
        // A request begun and never finished.
        client
            .write_all(b"POST /v1/challenges HTTP/1.1\r\nHost: localhost\r\n")
            .unwrap();
        let (head, body) = response(&mut client).unwrap();
        assert!(head.starts_with("HTTP/1.1 408 "), "{head}");
        assert!(head.contains("Connection: close\r\n"), "{head}");
        assert!(body.contains(ErrorCode::RequestTimeout.code()), "{body}");
        assert!(closed(&mut client));
    }

    #[test]
    fn the_client_can_ask_to_close_and_pipelining_closes() {
        let server = server(Limits::default());
        let mut client = connect(&server);
        client
            .write_all(
                b"GET /v1/app-version HTTP/1.1\r\nHost: localhost\r\nConnection: Close\r\n\r\n",
            )
            .unwrap();
        let (head, _) = response(&mut client).unwrap();
        assert!(head.contains("Connection: close\r\n"), "{head}");
        assert!(closed(&mut client));

        // Two requests in one write: the first is answered and the connection closes; the
        // second is never read.
        let mut client = connect(&server);
        let two = [VERSION, VERSION].concat();
        client.write_all(&two).unwrap();
        let (head, _) = response(&mut client).unwrap();
        assert!(head.contains("Connection: close\r\n"), "{head}");
        assert!(closed(&mut client));
    }

    #[test]
    fn a_stopped_server_closes_its_idle_connections() {
        let server = server(Limits::default());
        let mut client = connect(&server);
        client.write_all(VERSION).unwrap();
        assert!(response(&mut client).is_some());
        let started = Instant::now();
        server.stop();
        assert!(closed(&mut client));
        assert!(started.elapsed() < WAIT, "{:?}", started.elapsed());
    }
}
