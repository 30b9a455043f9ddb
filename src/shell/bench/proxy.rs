//! A latency-injecting TCP proxy on loopback (demo build, for `bench`): it sits between the
//! kiosk's HTTPS client and the reference center and delays every byte by a one-way delay in
//! each direction, so that a loopback run pays what a real line pays per round trip.
//!
//! A userspace proxy cannot delay the kernel's TCP handshake (the client's `connect` returns
//! at once on loopback), so the first bytes of a new connection are held one round trip
//! longer: they arrive when they would have if the client had waited for SYN-ACK.
//!
//! It also watches what passes, without decrypting anything:
//! - each connection opened;
//! - each *flight*: bytes in one direction after bytes in the other (or the first bytes of a
//!   connection). On HTTP/1.1 over TLS a client-to-server flight is one sequential round
//!   trip (the client waits for the answer before it sends again);
//! - the TLS handshake of each connection, from the server's first record (the ServerHello
//!   is not encrypted): resumed when a TLS 1.3 ServerHello accepts a pre-shared key
//!   (extension 41), full otherwise.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often the accept loop looks at the stop flag.
const ACCEPT_POLL: Duration = Duration::from_millis(2);
/// A connection silent this long in one direction is given up (the bench never waits so
/// long; this only bounds a forgotten thread).
const IDLE_LIMIT: Duration = Duration::from_secs(300);
/// Bytes of the server's first flight kept to find the ServerHello.
const HELLO_BYTES: usize = 16 * 1024;

/// How a connection's TLS handshake went, as seen on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handshake {
    /// No ServerHello seen (yet).
    Unknown,
    /// A full handshake: certificate sent and verified.
    Full,
    /// A resumed session (TLS 1.3 pre-shared key from a session ticket).
    Resumed,
}

/// One connection through the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    /// When the proxy accepted it.
    pub opened: Instant,
    /// Its handshake.
    pub handshake: Handshake,
}

/// Bytes in one direction after bytes in the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flight {
    /// The connection (index into [`Seen::connections`]).
    pub connection: usize,
    /// Client to server (a request, or the client's part of a handshake).
    pub to_server: bool,
    /// When its first bytes reached the proxy.
    pub at: Instant,
}

/// What the proxy saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// Every connection, in the order they were opened.
    pub connections: Vec<Connection>,
    /// Every flight, in order.
    pub flights: Vec<Flight>,
}

/// What the proxy saw between two moments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// Connections opened.
    pub connections: u32,
    /// Full TLS handshakes.
    pub full: u32,
    /// Resumed TLS handshakes.
    pub resumed: u32,
    /// Sequential round trips: one per connection opened (TCP) and one per client flight.
    pub round_trips: u32,
}

impl Seen {
    /// The counts for what started in `[from, to]`.
    pub fn window(&self, from: Instant, to: Instant) -> Window {
        let inside = |t: Instant| t >= from && t <= to;
        let mut w = Window::default();
        for c in self.connections.iter().filter(|c| inside(c.opened)) {
            w.connections += 1;
            w.round_trips += 1;
            match c.handshake {
                Handshake::Full => w.full += 1,
                Handshake::Resumed => w.resumed += 1,
                Handshake::Unknown => {}
            }
        }
        let flights = self
            .flights
            .iter()
            .filter(|f| f.to_server && inside(f.at))
            .count();
        w.round_trips += u32::try_from(flights).unwrap_or(u32::MAX);
        w
    }
}

/// Per connection: which way the last bytes went, and the server's first bytes.
struct Track {
    last_to_server: Option<bool>,
    hello: Vec<u8>,
}

#[derive(Default)]
struct Shared {
    seen: Seen,
    tracks: Vec<Track>,
    /// Both sockets of every connection, to cut them.
    sockets: Vec<(TcpStream, TcpStream)>,
}

impl Shared {
    fn bytes(&mut self, connection: usize, to_server: bool, data: &[u8], at: Instant) {
        let Some(track) = self.tracks.get_mut(connection) else {
            return;
        };
        if track.last_to_server != Some(to_server) {
            track.last_to_server = Some(to_server);
            self.seen.flights.push(Flight {
                connection,
                to_server,
                at,
            });
        }
        let pending = self.seen.connections[connection].handshake == Handshake::Unknown;
        if !to_server && pending && track.hello.len() < HELLO_BYTES {
            track.hello.extend_from_slice(data);
            if let Some(handshake) = server_hello(&track.hello) {
                self.seen.connections[connection].handshake = handshake;
                track.hello = Vec::new();
            }
        }
    }
}

/// The proxy; dropping it stops accepting (open connections run until their peers close).
pub struct Proxy {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    shared: Arc<Mutex<Shared>>,
    accept: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream` with `delay` each way.
    pub fn start(upstream: SocketAddr, delay: Duration) -> io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (flag, state) = (Arc::clone(&stop), Arc::clone(&shared));
        let accept = thread::Builder::new()
            .name("bench-proxy".into())
            .spawn(move || accept_loop(&listener, upstream, delay, &flag, &state))?;
        Ok(Proxy {
            addr,
            stop,
            shared,
            accept: Some(accept),
        })
    }

    /// Where the client connects.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cuts every open connection, as a line or a NAT that dropped them: the client has to
    /// connect again.
    pub fn cut(&self) {
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        for (client, server) in shared.sockets.drain(..) {
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
        }
    }

    /// What it saw so far.
    pub fn seen(&self) -> Seen {
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .seen
            .clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn accept_loop(
    listener: &TcpListener,
    upstream: SocketAddr,
    delay: Duration,
    stop: &AtomicBool,
    shared: &Arc<Mutex<Shared>>,
) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((client, _)) => {
                let opened = Instant::now();
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let connection = {
                    let mut s = shared.lock().unwrap_or_else(PoisonError::into_inner);
                    if let (Ok(c), Ok(u)) = (client.try_clone(), server.try_clone()) {
                        s.sockets.push((c, u));
                    }
                    s.seen.connections.push(Connection {
                        opened,
                        handshake: Handshake::Unknown,
                    });
                    s.tracks.push(Track {
                        last_to_server: None,
                        hello: Vec::new(),
                    });
                    s.seen.connections.len() - 1
                };
                let _ = client.set_nonblocking(false);
                for stream in [&client, &server] {
                    let _ = stream.set_nodelay(true);
                    let _ = stream.set_read_timeout(Some(IDLE_LIMIT));
                }
                let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                // The client's first bytes wait one more round trip: the TCP handshake.
                pump(client, server2, true, delay, delay * 2, connection, shared);
                pump(
                    server,
                    client2,
                    false,
                    delay,
                    Duration::ZERO,
                    connection,
                    shared,
                );
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => thread::sleep(ACCEPT_POLL),
            Err(_) => thread::sleep(ACCEPT_POLL),
        }
    }
}

/// Copies `from` to `to`, each chunk written `delay` after it was read (the first chunk
/// `first_extra` later still), in order; two threads, so reading never waits for a write.
fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    to_server: bool,
    delay: Duration,
    first_extra: Duration,
    connection: usize,
    shared: &Arc<Mutex<Shared>>,
) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let shared = Arc::clone(shared);
    let reader = thread::Builder::new()
        .name("bench-proxy-read".into())
        .spawn(move || {
            let mut buffer = vec![0u8; 16 * 1024];
            let mut extra = first_extra;
            loop {
                match from.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let at = Instant::now();
                        shared.lock().unwrap_or_else(PoisonError::into_inner).bytes(
                            connection,
                            to_server,
                            &buffer[..n],
                            at,
                        );
                        if tx.send((at + delay + extra, buffer[..n].to_vec())).is_err() {
                            break;
                        }
                        extra = Duration::ZERO;
                    }
                }
            }
        });
    if reader.is_err() {
        return;
    }
    let _ = thread::Builder::new()
        .name("bench-proxy-write".into())
        .spawn(move || {
            while let Ok((due, bytes)) = rx.recv() {
                let wait = due.saturating_duration_since(Instant::now());
                if !wait.is_zero() {
                    thread::sleep(wait);
                }
                if to.write_all(&bytes).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(Shutdown::Write);
        });
}

/// The handshake a server's first bytes show, once they hold a whole ServerHello.
/// `None` while more bytes are needed.
pub fn server_hello(bytes: &[u8]) -> Option<Handshake> {
    // TLS record: type 22 (handshake), version, length.
    if bytes.len() < 5 {
        return None;
    }
    if bytes[0] != 22 {
        return Some(Handshake::Unknown);
    }
    let record_len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
    let record = bytes.get(5..5 + record_len)?;
    // Handshake message: type 2 (ServerHello), 3-byte length.
    if record.len() < 4 || record[0] != 2 {
        return Some(Handshake::Unknown);
    }
    let body = &record[4..];
    let parse = || -> Option<Handshake> {
        // legacy_version (2), random (32), session id, cipher suite (2), compression (1).
        let mut at = 2 + 32;
        let session_id_len = usize::from(*body.get(at)?);
        at += 1 + session_id_len + 2 + 1;
        let extensions_len = usize::from(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
        at += 2;
        let extensions = body.get(at..at + extensions_len)?;
        let mut i = 0;
        while i + 4 <= extensions.len() {
            let kind = u16::from_be_bytes([extensions[i], extensions[i + 1]]);
            let len = usize::from(u16::from_be_bytes([extensions[i + 2], extensions[i + 3]]));
            // pre_shared_key: the server took the client's session ticket.
            if kind == 41 {
                return Some(Handshake::Resumed);
            }
            i += 4 + len;
        }
        Some(Handshake::Full)
    };
    Some(parse().unwrap_or(Handshake::Unknown))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ServerHello record with the given extensions (type, body).
    fn hello(extensions: &[(u16, &[u8])]) -> Vec<u8> {
        let mut ext = Vec::new();
        for (kind, data) in extensions {
            ext.extend_from_slice(&kind.to_be_bytes());
            ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
            ext.extend_from_slice(data);
        }
        let mut body = vec![3, 3];
        body.extend_from_slice(&[0xAB; 32]);
        body.push(32);
        body.extend_from_slice(&[0xCD; 32]);
        body.extend_from_slice(&[0x13, 0x01, 0]);
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
        let mut message = vec![2, 0];
        message.extend_from_slice(&(body.len() as u16).to_be_bytes());
        message.extend_from_slice(&body);
        let mut record = vec![22, 3, 3];
        record.extend_from_slice(&(message.len() as u16).to_be_bytes());
        record.extend_from_slice(&message);
        record
    }

    #[test]
    fn a_server_hello_says_full_or_resumed() {
        let full = hello(&[(43, &[3, 4]), (51, &[0; 36])]);
        assert_eq!(server_hello(&full), Some(Handshake::Full));
        let resumed = hello(&[(43, &[3, 4]), (41, &[0, 0]), (51, &[0; 36])]);
        assert_eq!(server_hello(&resumed), Some(Handshake::Resumed));
        // Cut short: more bytes are needed.
        assert_eq!(server_hello(&resumed[..resumed.len() - 3]), None);
        assert_eq!(server_hello(&resumed[..3]), None);
        // Not a handshake record.
        assert_eq!(server_hello(&[23, 3, 3, 0, 1, 0]), Some(Handshake::Unknown));
    }

    #[test]
    fn the_window_counts_connections_and_client_flights() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let seen = Seen {
            connections: vec![
                Connection {
                    opened: at(0),
                    handshake: Handshake::Full,
                },
                Connection {
                    opened: at(100),
                    handshake: Handshake::Resumed,
                },
            ],
            flights: [(0, true, 1), (0, false, 5), (0, true, 10), (0, false, 20)]
                .into_iter()
                .chain([(1, true, 101), (1, false, 105), (1, true, 110)])
                .map(|(connection, to_server, ms)| Flight {
                    connection,
                    to_server,
                    at: at(ms),
                })
                .collect(),
        };
        assert_eq!(
            seen.window(at(0), at(200)),
            Window {
                connections: 2,
                full: 1,
                resumed: 1,
                round_trips: 2 + 4,
            }
        );
        // A reused connection: one flight, no handshake.
        assert_eq!(
            seen.window(at(108), at(200)),
            Window {
                connections: 0,
                full: 0,
                resumed: 0,
                round_trips: 1,
            }
        );
    }
}
