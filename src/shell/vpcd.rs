//! The virtual card on vsmartcard-vpcd (demo build): serves one demo card to pcscd, so the
//! real PC/SC stack (pcscd, the pcsc crate, OpenSC...) sees it like a card on a reader.
//!
//! vpcd's default mode: the `libifdvpcd` driver inside pcscd listens (`DEVICENAME
//! /dev/null:PORT`) and the card connects to it. Protocol (jpki.md §5.2): every message both
//! ways is a 2-byte big-endian length and a payload. A 1-byte payload from vpcd is a control
//! byte (`00` power off, `01` power on, `02` reset, `04` ATR request); only the ATR request
//! gets a reply (the framed ATR). A longer payload is a command APDU, answered with the framed
//! response APDU.
//!
//! [`VpcdCard`] is that protocol without a socket (bytes in, bytes out); [`serve`] puts it on
//! a TCP connection, re-arms TCP_QUICKACK before every read (vpcd writes the length and the
//! payload in two sends without TCP_NODELAY, so a delayed ACK would cost 40 ms per APDU:
//! stack.md §4) and reconnects with a backoff whenever vpcd goes away (pcscd restarted or
//! stopped). The card, and so its PIN tries, lives as long as the process.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use log::{debug, info, trace};

use crate::card::virtual_card::VirtualCard;

/// vpcd's default port for the first slot (`0x8C7B`).
pub const DEFAULT_PORT: u16 = 35963;

/// Control byte: power the card off (no reply).
const CTRL_POWER_OFF: u8 = 0x00;
/// Control byte: power the card on (no reply; vpcd asks for the ATR next).
const CTRL_POWER_ON: u8 = 0x01;
/// Control byte: warm reset (no reply; vpcd asks for the ATR next).
const CTRL_RESET: u8 = 0x02;
/// Control byte: send the ATR (the only control byte with a reply).
const CTRL_GET_ATR: u8 = 0x04;

/// SW 6700: what the card answers when a response would not fit one vpcd message.
const SW_WRONG_LENGTH: [u8; 2] = [0x67, 0x00];

/// A payload longer than a 2-byte length can announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong;

/// `payload` with its 2-byte big-endian length in front.
pub fn frame(payload: &[u8]) -> Result<Vec<u8>, TooLong> {
    let len = u16::try_from(payload.len()).map_err(|_| TooLong)?;
    let mut framed = Vec::with_capacity(2 + payload.len());
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(payload);
    Ok(framed)
}

/// What one message from vpcd asks of the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// `00`: power off.
    PowerOff,
    /// `01`: power on.
    PowerOn,
    /// `02`: warm reset.
    Reset,
    /// `04`: send the ATR.
    GetAtr,
    /// Any other single byte: not part of the protocol; ignored without a reply.
    UnknownControl(u8),
    /// An empty payload: nothing to do.
    Empty,
    /// Two or more bytes: a command APDU.
    Apdu(&'a [u8]),
}

impl<'a> Request<'a> {
    /// Classifies one message payload.
    pub fn parse(payload: &'a [u8]) -> Self {
        match payload {
            [] => Request::Empty,
            [CTRL_POWER_OFF] => Request::PowerOff,
            [CTRL_POWER_ON] => Request::PowerOn,
            [CTRL_RESET] => Request::Reset,
            [CTRL_GET_ATR] => Request::GetAtr,
            [other] => Request::UnknownControl(*other),
            apdu => Request::Apdu(apdu),
        }
    }
}

/// The card side of the vpcd protocol over a [`VirtualCard`], without any IO: feed it the
/// bytes vpcd sent, in any split, and it returns the bytes to send back.
pub struct VpcdCard {
    card: VirtualCard,
    /// Bytes of a message not complete yet (a header, or a header and part of a payload).
    pending: Vec<u8>,
}

impl VpcdCard {
    /// Serves `card` (powered off until vpcd powers it on).
    pub fn new(card: VirtualCard) -> Self {
        Self {
            card,
            pending: Vec::new(),
        }
    }

    /// Takes in bytes received from vpcd and returns every reply they complete (framed, in
    /// order). A message split over several calls is answered when its last byte arrives.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(bytes);
        let mut replies = Vec::new();
        let mut start = 0;
        while let Some(&[hi, lo]) = self.pending.get(start..start + 2) {
            let len = usize::from(u16::from_be_bytes([hi, lo]));
            let Some(payload) = self.pending.get(start + 2..start + 2 + len) else {
                break;
            };
            if let Some(reply) = answer(&mut self.card, payload) {
                replies.extend_from_slice(&reply);
            }
            start += 2 + len;
        }
        // The consumed messages may hold a (demo) PIN: zero them before letting go.
        crate::sensitive::wipe(&mut self.pending[..start]);
        self.pending.drain(..start);
        replies
    }

    /// The connection to vpcd is gone: the card is off the reader. Its PIN tries stay.
    pub fn disconnected(&mut self) {
        crate::sensitive::wipe_vec(&mut self.pending);
        self.card.power_off();
    }

    /// The card, with whatever state it has reached.
    pub fn into_card(mut self) -> VirtualCard {
        self.disconnected();
        self.card
    }
}

/// Answers one message payload: the framed reply, or `None` when vpcd expects none.
fn answer(card: &mut VirtualCard, payload: &[u8]) -> Option<Vec<u8>> {
    match Request::parse(payload) {
        Request::PowerOff => {
            trace!("vpcd: power off");
            card.power_off();
            None
        }
        Request::PowerOn => {
            trace!("vpcd: power on");
            card.power_on();
            None
        }
        Request::Reset => {
            trace!("vpcd: reset");
            card.reset();
            None
        }
        Request::GetAtr => frame(card.atr()).ok(),
        Request::UnknownControl(byte) => {
            debug!("vpcd: unknown control byte {byte:02X} ignored");
            None
        }
        Request::Empty => None,
        Request::Apdu(apdu) => {
            // Header only: VERIFY data is a PIN.
            trace!(
                "vpcd: APDU {:02X?}, {} bytes",
                &apdu[..apdu.len().min(4)],
                apdu.len()
            );
            let mut response = card.transmit_raw(apdu);
            let reply = frame(&response).or_else(|TooLong| frame(&SW_WRONG_LENGTH));
            crate::sensitive::wipe_vec(&mut response);
            reply.ok()
        }
    }
}

/// Waits between connection attempts: doubling from `min` to `max`, back to `min` once a
/// connection has carried messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// A backoff from `min` up to `max`.
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max,
            next: min,
        }
    }

    /// How long to wait before the next attempt; each call doubles the following wait.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
    }

    /// A connection worked: start again from the shortest wait.
    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

/// How [`serve`] connects.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// vpcd's address (its port is the slot's: 35963 for `Virtual PCD 00 00`).
    pub vpcd: SocketAddr,
    /// Shortest wait between connection attempts.
    pub min_backoff: Duration,
    /// Longest wait between connection attempts.
    pub max_backoff: Duration,
}

impl ServeOptions {
    /// Connects to `vpcd`, retrying after 50 ms, then up to every second.
    pub fn new(vpcd: SocketAddr) -> Self {
        Self {
            vpcd,
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(1),
        }
    }
}

/// Serves `card` to vpcd until `stop` is set (checked between connections), then returns
/// the card. Connects, answers until vpcd closes the connection or it fails, and connects
/// again after a backoff: a pcscd restart looks like the card being removed and put back.
pub fn serve(options: &ServeOptions, card: VirtualCard, stop: &AtomicBool) -> VirtualCard {
    let mut session = VpcdCard::new(card);
    let mut backoff = Backoff::new(options.min_backoff, options.max_backoff);
    let mut unreachable_logged = false;
    while !stop.load(Ordering::Relaxed) {
        match TcpStream::connect_timeout(&options.vpcd, Duration::from_secs(2)) {
            Ok(stream) => {
                info!("virtual card connected to vpcd at {}", options.vpcd);
                unreachable_logged = false;
                let (reads, end) = run_connection(&stream, &mut session);
                session.disconnected();
                info!("vpcd connection closed after {reads} reads ({end}); reconnecting");
                if reads > 0 {
                    backoff.reset();
                }
            }
            Err(e) if !unreachable_logged => {
                info!("vpcd at {} not reachable ({e}); retrying", options.vpcd);
                unreachable_logged = true;
            }
            Err(e) => debug!("vpcd at {} not reachable: {e}", options.vpcd),
        }
        if !stop.load(Ordering::Relaxed) {
            std::thread::sleep(backoff.next_wait());
        }
    }
    session.into_card()
}

/// Answers vpcd on `stream` until it closes or fails; returns how many reads brought bytes
/// and why it ended.
fn run_connection(stream: &TcpStream, session: &mut VpcdCard) -> (usize, String) {
    if let Err(e) = stream.set_nodelay(true) {
        debug!("TCP_NODELAY not set: {e}");
    }
    let mut buffer = [0u8; 4096];
    let mut reader = stream;
    let mut writer = stream;
    let mut reads = 0usize;
    loop {
        arm_quickack(stream);
        let n = match reader.read(&mut buffer) {
            Ok(0) => return (reads, "closed by vpcd".to_owned()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return (reads, e.to_string()),
        };
        reads += 1;
        let reply = session.feed(&buffer[..n]);
        crate::sensitive::wipe(&mut buffer[..n]);
        if !reply.is_empty() {
            if let Err(e) = writer.write_all(&reply) {
                return (reads, e.to_string());
            }
        }
    }
}

/// Re-arms TCP_QUICKACK, which the kernel clears by itself: without it the ACK of vpcd's
/// 2-byte length is delayed 40 ms, and vpcd (Nagle) holds the payload back until it comes.
fn arm_quickack(stream: &TcpStream) {
    #[cfg(target_os = "linux")]
    if let Err(e) = socket2::SockRef::from(stream).set_tcp_quickack(true) {
        trace!("TCP_QUICKACK not set: {e}");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = stream;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::virtual_card::{demo_cards, ATR};
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::sync::Arc;
    use std::time::Instant;

    /// The longest payload a 2-byte length can announce.
    const MAX_PAYLOAD: usize = 0xFFFF;

    const SELECT_AP: [u8; 15] = [
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];
    const SELECT_PIN: [u8; 7] = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18];
    const QUERY: [u8; 4] = [0x00, 0x20, 0x00, 0x80];
    const WRONG_PIN: [u8; 9] = [0x00, 0x20, 0x00, 0x80, 0x04, 0x30, 0x30, 0x30, 0x30];

    fn framed(payload: &[u8]) -> Vec<u8> {
        frame(payload).expect("test payloads fit")
    }

    fn taro() -> VpcdCard {
        VpcdCard::new(demo_cards()[0].insert())
    }

    #[test]
    fn frames_with_a_big_endian_length() {
        assert_eq!(framed(&[]), [0x00, 0x00]);
        assert_eq!(framed(&[0x04]), [0x00, 0x01, 0x04]);
        let long = vec![0xAB; 0x0123];
        assert_eq!(&framed(&long)[..3], &[0x01, 0x23, 0xAB]);
        assert_eq!(framed(&vec![0; MAX_PAYLOAD]).len(), 2 + MAX_PAYLOAD);
        assert_eq!(frame(&vec![0; MAX_PAYLOAD + 1]), Err(TooLong));
    }

    #[test]
    fn classifies_messages() {
        assert_eq!(Request::parse(&[0x00]), Request::PowerOff);
        assert_eq!(Request::parse(&[0x01]), Request::PowerOn);
        assert_eq!(Request::parse(&[0x02]), Request::Reset);
        assert_eq!(Request::parse(&[0x04]), Request::GetAtr);
        assert_eq!(Request::parse(&[0x03]), Request::UnknownControl(0x03));
        assert_eq!(Request::parse(&[]), Request::Empty);
        assert_eq!(
            Request::parse(&[0x00, 0xA4]),
            Request::Apdu(&[0x00, 0xA4][..])
        );
    }

    #[test]
    fn only_the_atr_request_gets_a_reply_among_control_bytes() {
        let mut card = taro();
        for control in [0x01, 0x02, 0x00, 0x03, 0x7F] {
            assert!(card.feed(&framed(&[control])).is_empty(), "{control:02X}");
        }
        assert_eq!(card.feed(&framed(&[0x04])), framed(&ATR));
    }

    #[test]
    fn answers_apdus_once_powered_on() {
        let mut card = taro();
        // An unpowered card answers nothing: an empty frame.
        assert_eq!(card.feed(&framed(&SELECT_AP)), [0x00, 0x00]);
        let power_on_and_atr = [framed(&[0x01]), framed(&[0x04])].concat();
        assert_eq!(card.feed(&power_on_and_atr), framed(&ATR));
        assert_eq!(card.feed(&framed(&SELECT_AP)), framed(&[0x90, 0x00]));
        assert_eq!(card.feed(&framed(&SELECT_PIN)), framed(&[0x90, 0x00]));
        assert_eq!(card.feed(&framed(&QUERY)), framed(&[0x63, 0xC3]));
        let read = card.feed(&framed(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A]));
        assert_eq!(read, framed(&[0x90, 0x00]));
        let chunk = card.feed(&framed(&[0x00, 0xB0, 0x00, 0x00, 0x00]));
        assert_eq!(&chunk[..2], &[0x01, 0x02], "256 bytes and the SW");
        assert_eq!(&chunk[chunk.len() - 2..], &[0x90, 0x00]);
    }

    #[test]
    fn reset_and_power_off_reach_the_card() {
        let mut card = taro();
        card.feed(&framed(&[0x01]));
        assert_eq!(card.feed(&framed(&SELECT_AP)), framed(&[0x90, 0x00]));
        card.feed(&framed(&[0x02]));
        let select_ef = framed(&SELECT_PIN);
        assert_eq!(
            card.feed(&select_ef),
            framed(&[0x69, 0x86]),
            "no AP after reset"
        );
        card.feed(&framed(&[0x00]));
        assert_eq!(card.feed(&framed(&SELECT_AP)), [0x00, 0x00], "off");
    }

    #[test]
    fn any_split_of_the_input_gives_the_same_output() {
        let input = [
            framed(&[0x01]),
            framed(&[0x04]),
            framed(&SELECT_AP),
            framed(&SELECT_PIN),
            framed(&QUERY),
        ]
        .concat();
        let expected = [
            framed(&ATR),
            framed(&[0x90, 0x00]),
            framed(&[0x90, 0x00]),
            framed(&[0x63, 0xC3]),
        ]
        .concat();
        assert_eq!(taro().feed(&input), expected, "all at once");
        for chunk in 1..input.len() {
            let mut card = taro();
            let out: Vec<u8> = input.chunks(chunk).flat_map(|c| card.feed(c)).collect();
            assert_eq!(out, expected, "chunks of {chunk}");
        }
        // The length and the payload in two pieces, as vpcd 0.8 sends them.
        let mut card = taro();
        assert!(card.feed(&[0x00]).is_empty());
        assert!(card.feed(&[0x01]).is_empty());
        assert!(card.feed(&[0x01]).is_empty(), "power on: no reply");
        assert!(card.feed(&[0x00, 0x01]).is_empty());
        assert_eq!(card.feed(&[0x04]), framed(&ATR));
    }

    #[test]
    fn pin_tries_survive_a_disconnection() {
        let mut card = taro();
        card.feed(&framed(&[0x01]));
        card.feed(&[framed(&SELECT_AP), framed(&SELECT_PIN)].concat());
        assert_eq!(card.feed(&framed(&WRONG_PIN)), framed(&[0x63, 0xC2]));
        card.feed(&framed(&SELECT_AP)[..5]);
        card.disconnected();
        assert_eq!(
            card.feed(&framed(&SELECT_AP)),
            [0x00, 0x00],
            "off, no half message"
        );
        card.feed(&framed(&[0x01]));
        card.feed(&[framed(&SELECT_AP), framed(&SELECT_PIN)].concat());
        assert_eq!(card.feed(&framed(&QUERY)), framed(&[0x63, 0xC2]));
    }

    #[test]
    fn the_backoff_doubles_up_to_its_maximum_and_resets() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(50), ms(300));
        let waits: Vec<_> = (0..5).map(|_| b.next_wait()).collect();
        assert_eq!(waits, [ms(50), ms(100), ms(200), ms(300), ms(300)]);
        b.reset();
        assert_eq!(b.next_wait(), ms(50));
    }

    /// A stand-in for vpcd: listens on loopback and speaks the protocol from the other side.
    struct FakeVpcd {
        listener: TcpListener,
    }

    impl FakeVpcd {
        fn new() -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
            Self { listener }
        }

        fn addr(&self) -> SocketAddr {
            self.listener.local_addr().expect("bound")
        }

        /// Accepts the card's connection, waiting at most 5 s.
        fn accept(&self) -> TcpStream {
            self.listener.set_nonblocking(true).expect("nonblocking");
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                match self.listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).expect("blocking");
                        stream
                            .set_read_timeout(Some(Duration::from_secs(5)))
                            .expect("timeout");
                        return stream;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        assert!(Instant::now() < deadline, "the card did not connect");
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(e) => panic!("accept: {e}"),
                }
            }
        }
    }

    /// Sends one message as vpcd 0.8 does (length and payload in two writes) and reads the
    /// framed reply.
    fn exchange(stream: &mut TcpStream, payload: &[u8]) -> Vec<u8> {
        let len = u16::try_from(payload.len()).expect("short");
        stream.write_all(&len.to_be_bytes()).expect("send length");
        stream.write_all(payload).expect("send payload");
        let mut header = [0u8; 2];
        stream.read_exact(&mut header).expect("reply length");
        let mut reply = vec![0u8; usize::from(u16::from_be_bytes(header))];
        stream.read_exact(&mut reply).expect("reply");
        reply
    }

    fn send_only(stream: &mut TcpStream, payload: &[u8]) {
        stream.write_all(&framed(payload)).expect("send");
    }

    #[test]
    fn serves_over_tcp_and_keeps_the_card_across_reconnects() {
        let vpcd = FakeVpcd::new();
        let mut options = ServeOptions::new(vpcd.addr());
        options.max_backoff = Duration::from_millis(100);
        let stop = Arc::new(AtomicBool::new(false));
        let (done_tx, done_rx) = mpsc::channel();
        let server = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let card = serve(&options, demo_cards()[0].insert(), &stop);
                let _ = done_tx.send(());
                card
            })
        };

        let mut first = vpcd.accept();
        send_only(&mut first, &[0x01]);
        assert_eq!(exchange(&mut first, &[0x04]), ATR);
        assert_eq!(exchange(&mut first, &SELECT_AP), [0x90, 0x00]);
        assert_eq!(exchange(&mut first, &SELECT_PIN), [0x90, 0x00]);
        assert_eq!(exchange(&mut first, &WRONG_PIN), [0x63, 0xC2]);
        drop(first); // pcscd stopped

        let mut second = vpcd.accept();
        assert_eq!(
            exchange(&mut second, &SELECT_AP),
            [],
            "powered off by the drop"
        );
        send_only(&mut second, &[0x01]);
        assert_eq!(exchange(&mut second, &SELECT_AP), [0x90, 0x00]);
        assert_eq!(exchange(&mut second, &SELECT_PIN), [0x90, 0x00]);
        assert_eq!(exchange(&mut second, &QUERY), [0x63, 0xC2], "tries kept");

        stop.store(true, Ordering::Relaxed);
        drop(second);
        drop(vpcd);
        done_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("serve returns once stopped");
        let mut card = server.join().expect("no panic");
        card.power_on();
        assert_eq!(card.transmit_raw(&SELECT_AP), [0x90, 0x00]);
    }

    #[test]
    fn waits_for_vpcd_to_come_up() {
        // Reserve a port, close it: the first attempts are refused.
        let addr = FakeVpcd::new().addr();
        let mut options = ServeOptions::new(addr);
        options.max_backoff = Duration::from_millis(50);
        let stop = Arc::new(AtomicBool::new(false));
        let server = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || serve(&options, demo_cards()[0].insert(), &stop))
        };
        std::thread::sleep(Duration::from_millis(200));
        let vpcd = FakeVpcd {
            listener: TcpListener::bind(addr).expect("the port is free again"),
        };
        let mut stream = vpcd.accept();
        assert_eq!(exchange(&mut stream, &[0x04]), ATR);
        stop.store(true, Ordering::Relaxed);
        drop(stream);
        drop(vpcd);
        server.join().expect("no panic");
    }
}
