//! The reference center over real HTTPS on loopback (demo build only), for the client
//! tests and `myna-kakunin reference-center`.
//!
//! rustls server side with the ring provider (TLS 1.2 and 1.3), one thread per connection
//! (at most [`MAX_CONNECTIONS`] at once), one request per connection, every connection
//! bounded in time ([`CONNECTION_DEADLINE`]) and size (see [`super::http`]). It binds to
//! loopback addresses only. Use it with the TEST-ONLY certificates of `tests/pki/tls/`.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::http::{self, HttpError};
use super::{error_message, HttpRequest, ReferenceCenter};
use crate::center::wire::{self, ErrorCode};

/// Most connections served at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 32;

/// How long one connection may take, from accept to the response written.
pub const CONNECTION_DEADLINE: Duration = Duration::from_secs(10);

/// How often the accept loop looks at the stop flag.
const ACCEPT_POLL: Duration = Duration::from_millis(10);

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

/// A running server; dropping it stops accepting (connections being served finish within
/// their deadline).
pub struct RunningServer {
    addr: SocketAddr,
    center: Arc<Mutex<ReferenceCenter>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
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
/// with `tls`, the time from `clock`.
pub fn spawn_https(
    listen: SocketAddr,
    tls: ServerTls,
    center: ReferenceCenter,
    clock: Clock,
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
    };
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
    })
}

/// What every connection thread needs.
#[derive(Clone)]
struct Shared {
    tls: Arc<rustls::ServerConfig>,
    center: Arc<Mutex<ReferenceCenter>>,
    clock: Clock,
    active: Arc<AtomicUsize>,
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

/// Serves one request on one connection, all before [`CONNECTION_DEADLINE`].
fn serve_connection(stream: TcpStream, shared: &Shared) {
    let deadline = Instant::now() + CONNECTION_DEADLINE;
    // The accepted socket inherits non-blocking mode on some systems; make it blocking with
    // timeouts.
    if stream.set_nonblocking(false).is_err()
        || stream.set_write_timeout(Some(CONNECTION_DEADLINE)).is_err()
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
    let (status, body) = match http::read_request(&mut tls, deadline, &mut set_timeout) {
        Ok(request) => {
            let now = (shared.clock)();
            let http_request = HttpRequest {
                method: &request.head.method,
                path: &request.head.path,
                bearer: request.head.bearer.as_ref().map(|b| b.expose()),
                body: request.body.expose(),
            };
            // A panic while handling would poison the lock; the center's state is still
            // consistent enough for a test server, so keep serving.
            let mut center = shared.center.lock().unwrap_or_else(PoisonError::into_inner);
            let response = center.handle(&http_request, now);
            (response.status, response.body)
        }
        Err(HttpError::Closed) => return,
        Err(error) => {
            let code = match error {
                HttpError::TooLarge => ErrorCode::RequestTooLarge,
                HttpError::Timeout => ErrorCode::RequestTimeout,
                _ => ErrorCode::BadRequest,
            };
            log::info!("reference center: unreadable request ({error:?})");
            (
                code.http_status(),
                wire::encode_error(&code, error_message(&code))
                    .as_str()
                    .into(),
            )
        }
    };
    if http::write_response(&mut tls, status, body.expose()).is_ok() {
        tls.conn.send_close_notify();
        let _ = tls.flush();
    }
    let _ = tls.sock.shutdown(std::net::Shutdown::Both);
}
