//! The reference center's HTTP/1.1 request reader and response writer (demo build only).
//!
//! Persistent connections (HTTP/1.1 keep-alive) without pipelining: the server reads the
//! next request on a connection only after it answered the previous one; bytes sent past a
//! request's body are not read, and that request's answer closes the connection. A request
//! says `Connection: close` (or is HTTP/1.0) to be the last. Everything is bounded: the head
//! to [`MAX_HEAD_BYTES`] and [`MAX_HEADERS`] lines, the body to [`MAX_BODY_BYTES`]
//! announced by `Content-Length`, the time by deadlines (the wait for a request's first
//! byte, then the whole request). It is strict
//! where leniency is a known risk: CRLF line ends only, no obsolete line folding, no
//! `Transfer-Encoding` (so no chunked bodies and no length ambiguity), one `Host`, equal
//! `Content-Length` values, ASCII heads, UTF-8 bodies. The tokens themselves (method,
//! request target, header names and values) are validated by the `http` crate's parsers
//! (re-exported by ureq), not by hand; any input gives an error, never a panic.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use ureq::http::{header::HeaderName, uri::PathAndQuery, HeaderValue, Method};

use crate::center::account::is_token;
use crate::sensitive::{wipe_vec, SensitiveText};

/// Largest request head (request line and headers), in bytes.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;

/// Largest request body, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Most header lines in a request.
pub const MAX_HEADERS: usize = 64;

/// Longest request target, in bytes.
const MAX_TARGET_BYTES: usize = 2048;

/// Bytes asked for per read.
const CHUNK_BYTES: usize = 4096;

/// Longest wait for one read; the overall deadline still applies.
const MAX_READ_WAIT: Duration = Duration::from_secs(5);

/// Why a request could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpError {
    /// Not an HTTP/1.1 request this reader accepts (answered 400).
    Malformed,
    /// The head or the body is larger than allowed (answered 413).
    TooLarge,
    /// The request did not arrive before the deadline (answered 408).
    Timeout,
    /// The peer closed the connection or it failed (TLS included): nothing to answer.
    Closed,
    /// No request began before the idle deadline: the connection is closed, unanswered.
    Idle,
}

/// A request head, parsed.
pub struct Head {
    /// The method (a valid token).
    pub method: String,
    /// The path of the request target, without the query.
    pub path: String,
    /// The body length from `Content-Length` (0 without one).
    pub content_length: usize,
    /// The token of `Authorization: Bearer <token68>`, if present and well-formed.
    pub bearer: Option<SensitiveText>,
    /// The client wants the connection closed after this request (`Connection: close`, or
    /// HTTP/1.0).
    pub close: bool,
}

impl core::fmt::Debug for Head {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Head {{ {} <path>, content_length: {}, bearer: {}, close: {} }}",
            self.method,
            self.content_length,
            self.bearer.is_some(),
            self.close
        )
    }
}

/// A whole request.
#[derive(Debug)]
pub struct Request {
    /// The head.
    pub head: Head,
    /// The body, UTF-8 (empty without one); wiped on drop.
    pub body: SensitiveText,
    /// Bytes followed the body (a pipelined request, not read): answer, then close.
    pub pipelined: bool,
}

/// Parses a request head: the bytes up to and including the blank line (`\r\n\r\n`).
///
/// `httparse` does the HTTP/1.1 grammar; around it this function is stricter than the
/// grammar needs: ASCII only, CRLF line ends only, origin-form targets of RFC 3986
/// characters, one Host, one Content-Length, no Transfer-Encoding.
pub fn parse_head(head: &[u8]) -> Result<Head, HttpError> {
    if head.len() > MAX_HEAD_BYTES {
        return Err(HttpError::TooLarge);
    }
    if !head.is_ascii() || !head.ends_with(b"\r\n\r\n") || has_bare_cr_or_lf(head) {
        return Err(HttpError::Malformed);
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(n)) if n == head.len() => {}
        Err(httparse::Error::TooManyHeaders) => return Err(HttpError::TooLarge),
        _ => return Err(HttpError::Malformed),
    }
    let method = request.method.ok_or(HttpError::Malformed)?;
    Method::from_bytes(method.as_bytes()).map_err(|_| HttpError::Malformed)?;
    let version = request.version.ok_or(HttpError::Malformed)?;
    let target = request.path.ok_or(HttpError::Malformed)?;
    if target.len() > MAX_TARGET_BYTES {
        return Err(HttpError::TooLarge);
    }
    // Origin form, and only the characters RFC 3986 allows in a path and query (the
    // `http` crate tolerates a few more, such as `"`, for compatibility).
    let uri_char = |b: u8| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=:@/?".contains(&b);
    if !target.starts_with('/') || !target.bytes().all(uri_char) {
        return Err(HttpError::Malformed);
    }
    let target: PathAndQuery = target.parse().map_err(|_| HttpError::Malformed)?;

    let mut content_length: Option<usize> = None;
    let mut hosts = 0usize;
    let mut bearer = None;
    let mut close = version == 0;
    for header in request.headers.iter() {
        let name =
            HeaderName::from_bytes(header.name.as_bytes()).map_err(|_| HttpError::Malformed)?;
        // ASCII was checked above, so the value is UTF-8.
        let value = core::str::from_utf8(header.value).map_err(|_| HttpError::Malformed)?;
        let value = value.trim_matches([' ', '\t']);
        HeaderValue::from_str(value).map_err(|_| HttpError::Malformed)?;
        match name.as_str() {
            "content-length" => {
                let length = parse_content_length(value)?;
                if content_length.is_some_and(|seen| seen != length) {
                    return Err(HttpError::Malformed);
                }
                content_length = Some(length);
            }
            // No chunked bodies: refusing the header removes any length ambiguity.
            "transfer-encoding" => return Err(HttpError::Malformed),
            "host" => hosts += 1,
            "connection" => {
                close |= value
                    .split(',')
                    .any(|option| option.trim().eq_ignore_ascii_case("close"));
            }
            "authorization" => {
                if bearer.is_some() {
                    return Err(HttpError::Malformed);
                }
                bearer = bearer_token(value);
            }
            _ => {}
        }
    }
    if version == 1 && hosts != 1 {
        return Err(HttpError::Malformed);
    }
    Ok(Head {
        method: method.to_owned(),
        path: target.path().to_owned(),
        content_length: content_length.unwrap_or(0),
        bearer,
        close,
    })
}

/// Whether `bytes` holds a CR not followed by LF or an LF not preceded by CR.
fn has_bare_cr_or_lf(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(i, &b)| match b {
        b'\r' => bytes.get(i + 1) != Some(&b'\n'),
        b'\n' => i == 0 || bytes[i - 1] != b'\r',
        _ => false,
    })
}

/// A `Content-Length` value: ASCII digits only, at most [`MAX_BODY_BYTES`].
fn parse_content_length(value: &str) -> Result<usize, HttpError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HttpError::Malformed);
    }
    match value.parse::<usize>() {
        Ok(length) if length <= MAX_BODY_BYTES => Ok(length),
        // Too many digits to parse is too large as well.
        _ => Err(HttpError::TooLarge),
    }
}

/// The token of a `Bearer` credential (scheme case-insensitive), if well-formed.
fn bearer_token(value: &str) -> Option<SensitiveText> {
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && is_token(token)).then(|| token.into())
}

/// Reads one request from `stream` before `deadline`. `set_timeout` sets the socket's
/// read timeout before each read (so that a read never outlives the deadline).
pub fn read_request(
    stream: &mut impl Read,
    deadline: Instant,
    set_timeout: &mut dyn FnMut(Duration) -> io::Result<()>,
) -> Result<Request, HttpError> {
    read_with_buffer(stream, deadline, None, set_timeout)
}

/// Reads the next request of a persistent connection: its first byte must arrive before
/// `idle_until` ([`HttpError::Idle`] otherwise), the whole request within `within` of that
/// first byte ([`HttpError::Timeout`] otherwise).
pub fn read_next_request(
    stream: &mut impl Read,
    idle_until: Instant,
    within: Duration,
    set_timeout: &mut dyn FnMut(Duration) -> io::Result<()>,
) -> Result<Request, HttpError> {
    read_with_buffer(stream, idle_until, Some(within), set_timeout)
}

fn read_with_buffer(
    stream: &mut impl Read,
    first_by: Instant,
    within: Option<Duration>,
    set_timeout: &mut dyn FnMut(Duration) -> io::Result<()>,
) -> Result<Request, HttpError> {
    // Room for the largest head and body plus one read past each, so the buffer never
    // regrows (a regrown buffer would leave an unwiped copy behind).
    let mut buffer = Vec::with_capacity(MAX_HEAD_BYTES + MAX_BODY_BYTES + 2 * CHUNK_BYTES);
    let result = read_into(stream, first_by, within, set_timeout, &mut buffer);
    wipe_vec(&mut buffer);
    result
}

/// A request over a buffer the caller wipes: the first byte before `first_by`, then the
/// rest within `within` of it (or, without `within`, all of it before `first_by`).
fn read_into(
    stream: &mut impl Read,
    first_by: Instant,
    within: Option<Duration>,
    set_timeout: &mut dyn FnMut(Duration) -> io::Result<()>,
    buffer: &mut Vec<u8>,
) -> Result<Request, HttpError> {
    let mut chunk = [0u8; CHUNK_BYTES];
    let mut searched = 0;
    // The first bytes: on a persistent connection, silence is idleness, not a slow request.
    let first = match read_some(stream, &mut chunk, first_by, set_timeout) {
        Err(HttpError::Timeout) if within.is_some() => return Err(HttpError::Idle),
        other => other?,
    };
    buffer.extend_from_slice(&chunk[..first]);
    let deadline = within.map_or(first_by, |within| Instant::now() + within);
    let head_end = loop {
        if let Some(at) = find_blank_line(&buffer[searched..]) {
            break searched + at + 4;
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return Err(HttpError::TooLarge);
        }
        // The blank line may straddle two reads.
        searched = buffer.len().saturating_sub(3);
        let count = read_some(stream, &mut chunk, deadline, set_timeout)?;
        buffer.extend_from_slice(&chunk[..count]);
    };
    let head = parse_head(&buffer[..head_end])?;
    let wanted = head_end + head.content_length;
    while buffer.len() < wanted {
        let count = read_some(stream, &mut chunk, deadline, set_timeout)?;
        buffer.extend_from_slice(&chunk[..count]);
    }
    chunk.fill(0);
    // Bytes past the body (a pipelined request) are not read: the connection closes after
    // this answer.
    let pipelined = buffer.len() > wanted;
    let body = core::str::from_utf8(&buffer[head_end..wanted]).map_err(|_| HttpError::Malformed)?;
    Ok(Request {
        head,
        body: body.into(),
        pipelined,
    })
}

/// Where `\r\n\r\n` starts in `bytes`.
fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w == b"\r\n\r\n")
}

/// One read of at least one byte before `deadline`.
fn read_some(
    stream: &mut impl Read,
    chunk: &mut [u8],
    deadline: Instant,
    set_timeout: &mut dyn FnMut(Duration) -> io::Result<()>,
) -> Result<usize, HttpError> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HttpError::Timeout);
        }
        set_timeout(left.min(MAX_READ_WAIT)).map_err(|_| HttpError::Closed)?;
        match stream.read(chunk) {
            Ok(0) => return Err(HttpError::Closed),
            Ok(count) => return Ok(count),
            Err(error) => match error.kind() {
                io::ErrorKind::Interrupted => {}
                // A wait ran out; the loop checks the overall deadline.
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {}
                _ => return Err(HttpError::Closed),
            },
        }
    }
}

/// The reason phrase of the statuses the center uses.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        423 => "Locked",
        _ => "Error",
    }
}

/// What a response says about its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// `Connection: close`: this is the connection's last response.
    Close,
    /// `Connection: keep-alive` with `Keep-Alive: timeout=…, max=…`: the connection waits
    /// `idle_seconds` for another request and takes `requests_left` more.
    KeepAlive {
        /// Seconds the server waits for the next request.
        idle_seconds: u64,
        /// Requests this connection still takes.
        requests_left: usize,
    },
}

/// Writes a whole response with a JSON body (none for 204) and `Connection: close`.
pub fn write_response(out: &mut impl Write, status: u16, body: &str) -> io::Result<()> {
    write_response_with(out, status, body, Persistence::Close)
}

/// Writes a whole response with a JSON body (none for 204), saying whether the connection
/// stays open.
pub fn write_response_with(
    out: &mut impl Write,
    status: u16,
    body: &str,
    persistence: Persistence,
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    if status != 204 {
        head.push_str("Content-Type: application/json; charset=utf-8\r\n");
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("Cache-Control: no-store\r\n");
    match persistence {
        Persistence::Close => head.push_str("Connection: close\r\n\r\n"),
        Persistence::KeepAlive {
            idle_seconds,
            requests_left,
        } => head.push_str(&format!(
            "Connection: keep-alive\r\nKeep-Alive: timeout={idle_seconds}, max={requests_left}\r\n\r\n"
        )),
    }
    out.write_all(head.as_bytes())?;
    if status != 204 {
        out.write_all(body.as_bytes())?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    fn read(bytes: &[u8]) -> Result<Request, HttpError> {
        read_request(&mut Cursor::new(bytes.to_vec()), far(), &mut |_| Ok(()))
    }

    const GOOD: &str = "POST /v1/qualification-checks?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer 0123456789abcdef0123\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

    #[test]
    fn a_plain_request_parses() {
        let request = read(GOOD.as_bytes()).unwrap();
        assert_eq!(request.head.method, "POST");
        assert_eq!(request.head.path, "/v1/qualification-checks");
        assert_eq!(request.head.content_length, 2);
        assert_eq!(
            request.head.bearer.unwrap().expose(),
            "0123456789abcdef0123"
        );
        assert_eq!(request.body.expose(), "{}");
        let get = read(b"GET /v1/app-version HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
        assert_eq!((get.head.content_length, get.body.expose()), (0, ""));
        assert!(get.head.bearer.is_none());
        // HTTP/1.0 needs no Host; the scheme of Authorization is case-insensitive.
        let old = read(b"GET / HTTP/1.0\r\nAuthorization: bearer 0123456789abcdef0123\r\n\r\n");
        assert!(old.unwrap().head.bearer.is_some());
    }

    #[test]
    fn bodies_arrive_in_pieces() {
        struct Trickle(Vec<u8>, usize);
        impl Read for Trickle {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if self.1 >= self.0.len() {
                    return Ok(0);
                }
                out[0] = self.0[self.1];
                self.1 += 1;
                Ok(1)
            }
        }
        let mut stream = Trickle(GOOD.as_bytes().to_vec(), 0);
        let request = read_request(&mut stream, far(), &mut |_| Ok(())).unwrap();
        assert_eq!(request.body.expose(), "{}");
    }

    #[test]
    fn strictness() {
        let malformed = [
            "\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",                              // no Host
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",        // two Hosts
            "GET / HTTP/2\r\nHost: a\r\n\r\n",
            "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1 x\r\nHost: a\r\n\r\n",
            "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",           // absolute form
            "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
            "GET / HTTP/1.1\r\nHost a\r\n\r\n",
            "GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",             // bare LF
            "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",             // bare CR
            "GET / HTTP/1.1\r\nHost: \x01\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: é\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +2\r\n\r\nab",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\nab",
            "POST / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer 0123456789abcdef0123\r\nAuthorization: Bearer 0123456789abcdef0123\r\n\r\n",
        ];
        for text in malformed {
            assert_eq!(
                read(text.as_bytes()).map(|_| ()),
                Err(HttpError::Malformed),
                "{text:?}"
            );
        }
        // Equal repeated lengths are fine; a body that is not UTF-8 is not.
        let twice =
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab";
        assert!(read(twice.as_bytes()).is_ok());
        let mut latin = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n".to_vec();
        latin.push(0xE9);
        assert_eq!(read(&latin).map(|_| ()), Err(HttpError::Malformed));
        // A malformed Authorization is simply no bearer.
        let basic = read(b"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n");
        assert!(basic.unwrap().head.bearer.is_none());
        let short = read(b"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer abc\r\n\r\n");
        assert!(short.unwrap().head.bearer.is_none());
    }

    #[test]
    fn sizes_are_bounded() {
        let big_body = format!(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY_BYTES + 1
        );
        assert_eq!(
            read(big_body.as_bytes()).map(|_| ()),
            Err(HttpError::TooLarge)
        );
        let huge = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        assert_eq!(read(huge.as_bytes()).map(|_| ()), Err(HttpError::TooLarge));
        let long_head = format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
            "a".repeat(MAX_HEAD_BYTES)
        );
        assert_eq!(
            read(long_head.as_bytes()).map(|_| ()),
            Err(HttpError::TooLarge)
        );
        let endless = vec![b'a'; MAX_HEAD_BYTES * 3];
        assert_eq!(read(&endless).map(|_| ()), Err(HttpError::TooLarge));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: 1\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n");
        assert_eq!(read(many.as_bytes()).map(|_| ()), Err(HttpError::TooLarge));
        let long_target = format!(
            "GET /{} HTTP/1.1\r\nHost: a\r\n\r\n",
            "a".repeat(MAX_TARGET_BYTES)
        );
        assert_eq!(
            read(long_target.as_bytes()).map(|_| ()),
            Err(HttpError::TooLarge)
        );
        // A body at the limit is fine.
        let full = format!(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {MAX_BODY_BYTES}\r\n\r\n{}",
            "a".repeat(MAX_BODY_BYTES)
        );
        assert_eq!(
            read(full.as_bytes()).unwrap().body.expose().len(),
            MAX_BODY_BYTES
        );
    }

    #[test]
    fn short_input_is_closed_and_slow_input_times_out() {
        assert_eq!(read(b"").map(|_| ()), Err(HttpError::Closed));
        assert_eq!(
            read(b"GET / HTTP/1.1\r\nHost: a\r\n").map(|_| ()),
            Err(HttpError::Closed)
        );
        let cut = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc";
        assert_eq!(read(cut.as_bytes()).map(|_| ()), Err(HttpError::Closed));
        struct Silent;
        impl Read for Silent {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                std::thread::sleep(Duration::from_millis(5));
                Err(io::ErrorKind::WouldBlock.into())
            }
        }
        let started = Instant::now();
        let deadline = started + Duration::from_millis(100);
        let mut waits = Vec::new();
        let result = read_request(&mut Silent, deadline, &mut |wait| {
            waits.push(wait);
            Ok(())
        });
        assert_eq!(result.map(|_| ()), Err(HttpError::Timeout));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(
            waits.iter().all(|w| *w <= Duration::from_millis(100)),
            "{waits:?}"
        );
    }

    /// A small deterministic generator (xorshift) for the garbage tests.
    struct Noise(u64);
    impl Noise {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
        let alphabet =
            b"GETPOST /:\r\n HTTP/1.1Host:Content-Length: 0123456789Authorization Bearer\x00\xff\t";
        for _ in 0..20_000 {
            let len = noise.below(300);
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    if noise.below(4) == 0 {
                        noise.next() as u8
                    } else {
                        alphabet[noise.below(alphabet.len())]
                    }
                })
                .collect();
            let _ = parse_head(&bytes);
            let _ = read(&bytes);
        }
        // Mutations of a good request: flipped, inserted and deleted bytes.
        let good = GOOD.as_bytes();
        for _ in 0..20_000 {
            let mut bytes = good.to_vec();
            for _ in 0..=noise.below(4) {
                let at = noise.below(bytes.len());
                match noise.below(3) {
                    0 => bytes[at] = noise.next() as u8,
                    1 => bytes.insert(at, alphabet[noise.below(alphabet.len())]),
                    _ => {
                        bytes.remove(at);
                    }
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let _ = read(&bytes);
        }
    }

    #[test]
    fn the_client_may_ask_to_close_and_extra_bytes_are_pipelining() {
        let get = |headers: &str| {
            read(format!("GET / HTTP/1.1\r\nHost: a\r\n{headers}\r\n").as_bytes())
                .unwrap()
                .head
                .close
        };
        assert!(!get(""));
        assert!(!get("Connection: keep-alive\r\n"));
        assert!(get("Connection: close\r\n"));
        assert!(get("Connection: Upgrade, CLOSE\r\n"));
        let old = read(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        assert!(old.head.close, "HTTP/1.0 closes");
        assert!(!read(GOOD.as_bytes()).unwrap().pipelined);
        let two = format!("{GOOD}{GOOD}");
        let first = read(two.as_bytes()).unwrap();
        assert!(first.pipelined);
        assert_eq!(first.body.expose(), "{}", "the first request is read whole");
    }

    #[test]
    fn silence_before_a_request_is_idleness_and_during_one_a_timeout() {
        struct Silent(Vec<u8>);
        impl Read for Silent {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    std::thread::sleep(Duration::from_millis(5));
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                let n = self.0.len().min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0.drain(..n);
                Ok(n)
            }
        }
        let soon = || Instant::now() + Duration::from_millis(50);
        let short = Duration::from_millis(50);
        let idle = read_next_request(&mut Silent(Vec::new()), soon(), short, &mut |_| Ok(()));
        assert_eq!(idle.map(|_| ()), Err(HttpError::Idle));
        let begun = read_next_request(
            &mut Silent(b"GET / HTTP/1.1\r\n".to_vec()),
            soon(),
            short,
            &mut |_| Ok(()),
        );
        assert_eq!(begun.map(|_| ()), Err(HttpError::Timeout));
        // The whole request within its time after a wait: read.
        let whole = read_next_request(
            &mut Cursor::new(GOOD.as_bytes().to_vec()),
            soon(),
            short,
            &mut |_| Ok(()),
        );
        assert!(whole.is_ok());
    }

    #[test]
    fn a_kept_connection_says_so_with_its_bounds() {
        let mut out = Vec::new();
        let keep = Persistence::KeepAlive {
            idle_seconds: 60,
            requests_left: 99,
        };
        write_response_with(&mut out, 200, "{}", keep).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Connection: keep-alive\r\nKeep-Alive: timeout=60, max=99\r\n\r\n{}"));
        assert!(!text.contains("close"), "{text}");
    }

    #[test]
    fn responses_close_and_skip_bodies_for_204() {
        let mut out = Vec::new();
        write_response(&mut out, 200, "{}").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.contains("Content-Length: 2\r\n") && text.contains("Connection: close\r\n"));
        assert!(text.ends_with("\r\n\r\n{}"));
        let mut out = Vec::new();
        write_response(&mut out, 204, "").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 204 No Content\r\n") && !text.contains("Content-Length")
        );
        assert!(text.ends_with("\r\n\r\n"));
    }
}
