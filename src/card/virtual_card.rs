//! A virtual My Number Card for the demo build and tests: a JPKI-AP emulator that answers
//! like the real card (jpki.md §5.1), a catalog of demo cards, and a reader to put them in.
//!
//! PIN tries live on the card, so they survive resets and removal, exactly as on a real
//! card; the verified state is lost on power-on, reset and AP selection.

use core::fmt;
use std::collections::{BTreeMap, BTreeSet};

use super::apdu::{
    BlockedBy, Command, Response, StatusWord, INS_READ_BINARY, INS_SELECT, INS_VERIFY,
};
use super::jpki::{
    self, AUTH_PIN_MAX_TRIES, EF_AUTH_CA_CERT, EF_AUTH_CERT, EF_AUTH_KEY, EF_AUTH_PIN,
    EF_SIGN_CERT, EF_SIGN_KEY, EF_SIGN_PIN, EF_TOKEN, JPKI_AID, SIGN_PIN_MAX_TRIES,
    TOKEN_MY_NUMBER_CARD,
};
use super::{AuthCertificate, CardChannel, CardError, Reader, TransportError};

/// The contact ATR of the My Number Card known to OpenSC (T=1 only).
pub const ATR: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

/// The signature password of every demo card.
pub const DEMO_SIGN_PASSWORD: &str = "DEMO1234";

/// The demo user-authentication CA certificate, the content of EF 000B. TEST ONLY.
const DEMO_CA_CERT: &[u8] = include_bytes!("../../tests/pki/ca.cert.der");

/// Length of the token EF 0006, padded with spaces.
const TOKEN_LEN: usize = 32;

/// 6981: command incompatible with the file structure (READ BINARY on a key or PIN EF).
const SW_INCOMPATIBLE_FILE: StatusWord = StatusWord::Other(0x6981);

/// An elementary file of the JPKI AP.
enum Ef {
    /// Readable bytes, guarded by the PIN EF `pin` if set.
    Binary { data: Vec<u8>, pin: Option<u16> },
    /// A private key: selectable, never readable.
    Key,
    /// A PIN and its retry counter.
    Pin(Pin),
}

/// A PIN and its retry counter, kept across resets like the card's own memory.
struct Pin {
    value: Vec<u8>,
    tries_left: u8,
    max: u8,
}

impl Pin {
    fn new(value: &str, max: u8) -> Self {
        Self {
            value: value.as_bytes().to_vec(),
            tries_left: max,
            max,
        }
    }
}

/// An emulated card: the JPKI AP (or no application at all) and its volatile state.
pub struct VirtualCard {
    powered: bool,
    /// Whether the JPKI AP is the current DF.
    ap_selected: bool,
    current_ef: Option<u16>,
    /// The JPKI AP's files; empty on a card without the AP.
    files: BTreeMap<u16, Ef>,
    /// PIN EFs verified since power-on, reset or AP selection.
    verified: BTreeSet<u16>,
    has_jpki: bool,
}

impl VirtualCard {
    /// A My Number Card holding `auth_cert` in EF 000A, with auth PIN `auth_pin` (3 tries)
    /// and the signature password [`DEMO_SIGN_PASSWORD`] (5 tries). Not powered yet.
    ///
    /// The demo has no signature certificate: EF 0001 exists (empty) so that its access
    /// rule still answers 6982 without the signature password.
    pub fn new(auth_cert: Vec<u8>, auth_pin: &str) -> Self {
        let mut token = TOKEN_MY_NUMBER_CARD.to_vec();
        token.resize(TOKEN_LEN, b' ');
        let binary = |data: Vec<u8>| Ef::Binary { data, pin: None };
        let files = BTreeMap::from([
            (
                EF_SIGN_CERT,
                Ef::Binary {
                    data: Vec::new(),
                    pin: Some(EF_SIGN_PIN),
                },
            ),
            (EF_TOKEN, binary(token)),
            (EF_AUTH_CERT, binary(auth_cert)),
            (EF_AUTH_CA_CERT, binary(DEMO_CA_CERT.to_vec())),
            (EF_AUTH_KEY, Ef::Key),
            (EF_AUTH_PIN, Ef::Pin(Pin::new(auth_pin, AUTH_PIN_MAX_TRIES))),
            (EF_SIGN_KEY, Ef::Key),
            (
                EF_SIGN_PIN,
                Ef::Pin(Pin::new(DEMO_SIGN_PASSWORD, SIGN_PIN_MAX_TRIES)),
            ),
        ]);
        Self {
            files,
            has_jpki: true,
            ..Self::not_jpki()
        }
    }

    /// A card without the JPKI AP (another IC card): every SELECT of an AP answers 6A82.
    pub fn not_jpki() -> Self {
        Self {
            powered: false,
            ap_selected: false,
            current_ef: None,
            files: BTreeMap::new(),
            verified: BTreeSet::new(),
            has_jpki: false,
        }
    }

    /// Replaces the content of a binary EF (keeping its access rule), or adds an unguarded
    /// binary EF `fid`; e.g. an auth-cert EF with bytes after the certificate.
    pub fn write_file(&mut self, fid: u16, data: Vec<u8>) {
        match self.files.get_mut(&fid) {
            Some(Ef::Binary { data: old, .. }) => *old = data,
            _ => {
                self.files.insert(fid, Ef::Binary { data, pin: None });
            }
        }
    }

    /// The answer to reset.
    pub fn atr(&self) -> &'static [u8] {
        &ATR
    }

    /// Powers the card on (a cold reset if it was on): nothing selected, no PIN verified.
    pub fn power_on(&mut self) {
        self.powered = true;
        self.forget_session();
    }

    /// Powers the card off; it answers nothing until powered on again.
    pub fn power_off(&mut self) {
        self.powered = false;
        self.forget_session();
    }

    /// A warm reset: nothing selected, no PIN verified; PIN tries are kept.
    pub fn reset(&mut self) {
        self.forget_session();
    }

    /// Processes one command APDU and returns the response APDU (data, SW1, SW2); an
    /// unpowered card answers nothing (an empty vector).
    pub fn transmit_raw(&mut self, apdu: &[u8]) -> Vec<u8> {
        if !self.powered {
            return Vec::new();
        }
        let response = match Apdu::parse(apdu) {
            Some(apdu) => self.process(&apdu),
            None => Response::status(StatusWord::WrongLength),
        };
        response.to_bytes()
    }

    fn forget_session(&mut self) {
        self.ap_selected = false;
        self.current_ef = None;
        self.verified.clear();
    }

    fn process(&mut self, apdu: &Apdu<'_>) -> Response {
        let result = match (apdu.cla, apdu.ins) {
            (0x00, INS_SELECT) => self.select(apdu),
            (0x00, INS_READ_BINARY) => return self.read_binary(apdu),
            (0x00, INS_VERIFY) => self.verify(apdu),
            // Includes 80 2A (signature): not emulated yet.
            (0x00 | 0x80, _) => Err(StatusWord::InsNotSupported),
            _ => Err(StatusWord::ClaNotSupported),
        };
        Response::status(result.err().unwrap_or(StatusWord::Ok))
    }

    fn select(&mut self, apdu: &Apdu<'_>) -> Result<(), StatusWord> {
        if apdu.data.is_empty() {
            return Err(StatusWord::WrongLength);
        }
        match apdu.p1 {
            0x04 if self.has_jpki && apdu.data == JPKI_AID => {
                self.forget_session();
                self.ap_selected = true;
                Ok(())
            }
            0x04 => Err(StatusWord::FileNotFound),
            0x02 => {
                let fid = <[u8; 2]>::try_from(apdu.data).map_err(|_| StatusWord::WrongLength)?;
                self.select_ef(u16::from_be_bytes(fid))
            }
            _ => Err(StatusWord::WrongP1P2),
        }
    }

    fn select_ef(&mut self, fid: u16) -> Result<(), StatusWord> {
        if !self.ap_selected {
            return Err(StatusWord::CommandNotAllowed);
        }
        if !self.files.contains_key(&fid) {
            return Err(StatusWord::FileNotFound);
        }
        self.current_ef = Some(fid);
        Ok(())
    }

    fn read_binary(&mut self, apdu: &Apdu<'_>) -> Response {
        match self.read_binary_data(apdu) {
            Ok(data) => Response {
                data,
                sw: StatusWord::Ok,
            },
            Err(sw) => Response::status(sw),
        }
    }

    fn read_binary_data(&mut self, apdu: &Apdu<'_>) -> Result<Vec<u8>, StatusWord> {
        let le = match (apdu.data, apdu.le) {
            ([], Some(le)) => le,
            _ => return Err(StatusWord::WrongLength),
        };
        let offset = if apdu.p1 & 0x80 != 0 {
            // Short EF identifier in P1 bits 1–5, offset in P2.
            if apdu.p1 & 0x60 != 0 {
                return Err(StatusWord::WrongP1P2);
            }
            self.select_ef(u16::from(apdu.p1 & 0x1F))?;
            usize::from(apdu.p2)
        } else {
            usize::from(u16::from_be_bytes([apdu.p1, apdu.p2]))
        };
        let fid = self.current_ef.ok_or(StatusWord::CommandNotAllowed)?;
        match self.files.get(&fid) {
            None => Err(StatusWord::CommandNotAllowed),
            Some(Ef::Key | Ef::Pin(_)) => Err(SW_INCOMPATIBLE_FILE),
            Some(Ef::Binary { pin: Some(pin), .. }) if !self.verified.contains(pin) => {
                Err(StatusWord::SecurityStatusNotSatisfied)
            }
            Some(Ef::Binary { data, .. }) => {
                let rest = data.get(offset..).ok_or(StatusWord::OffsetOutOfRange)?;
                Ok(rest[..le.min(rest.len())].to_vec())
            }
        }
    }

    fn verify(&mut self, apdu: &Apdu<'_>) -> Result<(), StatusWord> {
        match (apdu.p1, apdu.p2) {
            (0x00, 0x80) => {}
            (0x00, 0x81..=0x9E) => self.select_ef(u16::from(apdu.p2 & 0x1F))?,
            _ => return Err(StatusWord::WrongP1P2),
        }
        if apdu.le.is_some() {
            return Err(StatusWord::WrongLength);
        }
        let fid = self.current_ef.ok_or(StatusWord::CommandNotAllowed)?;
        let Some(Ef::Pin(pin)) = self.files.get_mut(&fid) else {
            return Err(StatusWord::CommandNotAllowed);
        };
        if apdu.data.is_empty() {
            return Err(tries_status(pin.tries_left));
        }
        if pin.tries_left == 0 {
            return Err(StatusWord::PinBlocked(BlockedBy::DataUnusable));
        }
        if pin.value == apdu.data {
            pin.tries_left = pin.max;
            self.verified.insert(fid);
            Ok(())
        } else {
            pin.tries_left -= 1;
            self.verified.remove(&fid);
            Err(tries_status(pin.tries_left))
        }
    }
}

/// 63Cx for x tries left (63C0 when none).
fn tries_status(tries_left: u8) -> StatusWord {
    StatusWord::from_u16(0x63C0 | u16::from(tries_left & 0x0F))
}

/// `Debug`: the session state only, never PIN values or file contents.
impl fmt::Debug for VirtualCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualCard")
            .field("has_jpki", &self.has_jpki)
            .field("powered", &self.powered)
            .field("ap_selected", &self.ap_selected)
            .field("current_ef", &self.current_ef)
            .field("verified", &self.verified)
            .finish_non_exhaustive()
    }
}

impl CardChannel for VirtualCard {
    fn transmit(&mut self, command: &Command) -> Result<Response, TransportError> {
        let raw = self.transmit_raw(&command.to_bytes());
        // Only an unpowered card gives no status word; a real reader would fail the same way.
        Response::from_bytes(&raw).map_err(|_| TransportError::ReaderFault)
    }
}

/// A short command APDU split into its fields.
struct Apdu<'a> {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: &'a [u8],
    /// Expected response length, Le 00 meaning 256.
    le: Option<usize>,
}

impl<'a> Apdu<'a> {
    /// Parses ISO cases 1 to 4 (short lengths); `None` if the lengths do not add up.
    fn parse(raw: &'a [u8]) -> Option<Self> {
        let le_len = |le: u8| if le == 0 { 256 } else { usize::from(le) };
        let (&[cla, ins, p1, p2], body) = raw.split_first_chunk::<4>()?;
        let (data, le) = match body {
            [] => (&[][..], None),
            [le] => (&[][..], Some(le_len(*le))),
            [lc, rest @ ..] if *lc != 0 && rest.len() == usize::from(*lc) => (rest, None),
            [lc, rest @ ..] if *lc != 0 && rest.len() == usize::from(*lc) + 1 => {
                let (data, le) = rest.split_at(usize::from(*lc));
                (data, Some(le_len(le[0])))
            }
            _ => return None,
        };
        Some(Self {
            cla,
            ins,
            p1,
            p2,
            data,
            le,
        })
    }
}

/// A demo card on the demo tray. TEST ONLY certificates and keys (`tests/pki`).
pub struct DemoCard {
    /// Short identifier, as in `tests/pki/cards.txt`.
    pub id: &'static str,
    /// The name on the demo tray label.
    pub holder: &'static str,
    /// The user-authentication PIN (4 digits).
    pub pin: &'static str,
    cert: &'static [u8],
}

impl DemoCard {
    /// A fresh virtual card with this demo card's certificate and PIN.
    pub fn insert(&self) -> VirtualCard {
        VirtualCard::new(self.cert.to_vec(), self.pin)
    }
}

/// `Debug`: the identifier only.
impl fmt::Debug for DemoCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoCard")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

static DEMO_CARDS: [DemoCard; 1] = [DemoCard {
    id: "taro",
    holder: "資格 太郎",
    pin: "1234",
    cert: include_bytes!("../../tests/pki/cards/taro.cert.der"),
}];

/// Every demo card, in tray order.
pub fn demo_cards() -> &'static [DemoCard] {
    &DEMO_CARDS
}

/// A card reader holding at most one virtual card.
#[derive(Debug, Default)]
pub struct VirtualReader {
    card: Option<VirtualCard>,
}

impl VirtualReader {
    /// An empty reader.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts `card` on the reader, replacing any card there.
    pub fn place(&mut self, card: VirtualCard) {
        self.card = Some(card);
    }

    /// Takes the card away (powered off, its PIN tries kept), if there was one.
    pub fn remove(&mut self) -> Option<VirtualCard> {
        let mut card = self.card.take()?;
        card.power_off();
        Some(card)
    }

    /// Whether a card is on the reader.
    pub fn has_card(&self) -> bool {
        self.card.is_some()
    }
}

impl Reader for VirtualReader {
    fn read_auth_certificate(&mut self) -> Result<AuthCertificate, CardError> {
        let card = self.card.as_mut().ok_or(CardError::NoCard)?;
        card.power_on();
        jpki::read_auth_certificate(card)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARO: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");
    const SELECT_AP: [u8; 15] = [
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];

    fn select_ef(fid: u16) -> Vec<u8> {
        [&[0x00, 0xA4, 0x02, 0x0C, 0x02][..], &fid.to_be_bytes()].concat()
    }

    fn verify(pin: &[u8]) -> Vec<u8> {
        [&[0x00, 0x20, 0x00, 0x80, pin.len() as u8][..], pin].concat()
    }

    const QUERY: [u8; 4] = [0x00, 0x20, 0x00, 0x80];

    /// Sends `apdu`, returns (data, SW).
    fn send(card: &mut VirtualCard, apdu: &[u8]) -> (Vec<u8>, u16) {
        let mut raw = card.transmit_raw(apdu);
        assert!(raw.len() >= 2, "a powered card always answers");
        let sw = raw.split_off(raw.len() - 2);
        (raw, u16::from_be_bytes([sw[0], sw[1]]))
    }

    fn sw(card: &mut VirtualCard, apdu: &[u8]) -> u16 {
        send(card, apdu).1
    }

    /// Taro's card, powered, with the JPKI AP selected.
    fn taro() -> VirtualCard {
        let mut card = demo_cards()[0].insert();
        card.power_on();
        assert_eq!(sw(&mut card, &SELECT_AP), 0x9000);
        card
    }

    #[test]
    fn answers_with_the_my_number_card_atr() {
        assert_eq!(
            taro().atr(),
            [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14]
        );
    }

    #[test]
    fn an_unpowered_card_answers_nothing() {
        let mut card = demo_cards()[0].insert();
        assert!(card.transmit_raw(&SELECT_AP).is_empty());
        let select = Command::select_aid(&JPKI_AID);
        assert_eq!(card.transmit(&select), Err(TransportError::ReaderFault));
        card.power_on();
        card.power_off();
        assert!(card.transmit_raw(&SELECT_AP).is_empty());
    }

    #[test]
    fn selects_the_ap_and_rejects_other_aids() {
        let mut card = taro();
        assert_eq!(sw(&mut card, &SELECT_AP), 0x9000);
        let other = [
            0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04,
            0x08,
        ];
        assert_eq!(sw(&mut card, &other), 0x6A82);
        assert_eq!(sw(&mut card, &[0x00, 0xA4, 0x04, 0x0C]), 0x6700);
    }

    #[test]
    fn a_card_without_the_ap_answers_6a82() {
        let mut card = VirtualCard::not_jpki();
        card.power_on();
        assert_eq!(sw(&mut card, &SELECT_AP), 0x6A82);
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_CERT)), 0x6986);
    }

    #[test]
    fn selects_efs_only_inside_the_ap() {
        let mut card = demo_cards()[0].insert();
        card.power_on();
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_CERT)), 0x6986, "no DF yet");
        assert_eq!(sw(&mut card, &SELECT_AP), 0x9000);
        for fid in [
            0x0001, 0x0006, 0x000A, 0x000B, 0x0017, 0x0018, 0x001A, 0x001B,
        ] {
            assert_eq!(sw(&mut card, &select_ef(fid)), 0x9000, "{fid:04X}");
        }
        assert_eq!(sw(&mut card, &select_ef(0x0005)), 0x6A82);
        assert_eq!(
            sw(&mut card, &[0x00, 0xA4, 0x09, 0x0C, 0x02, 0x00, 0x0A]),
            0x6A86
        );
        assert_eq!(sw(&mut card, &[0x00, 0xA4, 0x02, 0x0C, 0x01, 0x0A]), 0x6700);
    }

    #[test]
    fn reads_the_token() {
        let mut card = taro();
        assert_eq!(sw(&mut card, &select_ef(EF_TOKEN)), 0x9000);
        let (data, status) = send(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x20]);
        assert_eq!(status, 0x9000);
        assert_eq!(data, b"JPKIAPICCTOKEN2                 ");
    }

    #[test]
    fn read_binary_follows_the_offset_rules() {
        let mut card = taro();
        assert_eq!(
            sw(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x00]),
            0x6986,
            "no EF"
        );
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_CERT)), 0x9000);
        let (data, status) = send(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x00]);
        assert_eq!(
            (data.as_slice(), status),
            (&TARO[..256], 0x9000),
            "Le 00 is 256"
        );
        let (data, status) = send(&mut card, &[0x00, 0xB0, 0x03, 0x00, 0x00]);
        assert_eq!(
            (data.as_slice(), status),
            (&TARO[768..], 0x9000),
            "short data, 9000"
        );
        let end = (TARO.len() as u16).to_be_bytes();
        let (data, status) = send(&mut card, &[0x00, 0xB0, end[0], end[1], 0x10]);
        assert_eq!((data.len(), status), (0, 0x9000), "offset = size");
        let past = (TARO.len() as u16 + 1).to_be_bytes();
        assert_eq!(sw(&mut card, &[0x00, 0xB0, past[0], past[1], 0x10]), 0x6B00);
        assert_eq!(sw(&mut card, &[0x00, 0xB0, 0x00, 0x00]), 0x6700, "no Le");
    }

    #[test]
    fn read_binary_by_short_ef_identifier() {
        let mut card = taro();
        let (data, status) = send(&mut card, &[0x00, 0xB0, 0x8A, 0x10, 0x04]);
        assert_eq!((data.as_slice(), status), (&TARO[0x10..0x14], 0x9000));
        assert_eq!(card.current_ef, Some(EF_AUTH_CERT));
    }

    #[test]
    fn keys_and_pins_are_not_readable() {
        let mut card = taro();
        for fid in [EF_AUTH_KEY, EF_AUTH_PIN, EF_SIGN_KEY, EF_SIGN_PIN] {
            assert_eq!(sw(&mut card, &select_ef(fid)), 0x9000);
            assert_eq!(
                sw(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x00]),
                0x6981,
                "{fid:04X}"
            );
        }
    }

    #[test]
    fn the_signature_certificate_needs_the_signature_password() {
        let mut card = taro();
        assert_eq!(sw(&mut card, &select_ef(EF_SIGN_CERT)), 0x9000);
        assert_eq!(sw(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x00]), 0x6982);
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_PIN)), 0x9000);
        assert_eq!(sw(&mut card, &verify(b"1234")), 0x9000);
        assert_eq!(sw(&mut card, &select_ef(EF_SIGN_CERT)), 0x9000);
        assert_eq!(
            sw(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x00]),
            0x6982,
            "auth PIN is not enough"
        );
        assert_eq!(sw(&mut card, &select_ef(EF_SIGN_PIN)), 0x9000);
        assert_eq!(
            sw(&mut card, &verify(DEMO_SIGN_PASSWORD.as_bytes())),
            0x9000
        );
        assert_eq!(sw(&mut card, &select_ef(EF_SIGN_CERT)), 0x9000);
        assert_eq!(sw(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x00]), 0x9000);
    }

    #[test]
    fn verified_state_is_lost_on_reset_power_on_and_ap_selection() {
        let forgets: [fn(&mut VirtualCard); 3] =
            [VirtualCard::reset, VirtualCard::power_on, |card| {
                assert_eq!(sw(card, &SELECT_AP), 0x9000)
            }];
        for forget in forgets {
            let mut card = taro();
            assert_eq!(sw(&mut card, &select_ef(EF_SIGN_PIN)), 0x9000);
            assert_eq!(
                sw(&mut card, &verify(DEMO_SIGN_PASSWORD.as_bytes())),
                0x9000
            );
            forget(&mut card);
            assert_eq!(sw(&mut card, &SELECT_AP), 0x9000);
            assert_eq!(sw(&mut card, &select_ef(EF_SIGN_CERT)), 0x9000);
            assert_eq!(sw(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x00]), 0x6982);
        }
    }

    #[test]
    fn tries_query_does_not_use_a_try() {
        let mut card = taro();
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_PIN)), 0x9000);
        for _ in 0..5 {
            assert_eq!(sw(&mut card, &QUERY), 0x63C3);
        }
        assert_eq!(sw(&mut card, &select_ef(EF_SIGN_PIN)), 0x9000);
        assert_eq!(sw(&mut card, &QUERY), 0x63C5);
    }

    #[test]
    fn wrong_pins_count_down_and_block_at_zero() {
        let mut card = taro();
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_PIN)), 0x9000);
        assert_eq!(sw(&mut card, &verify(b"0000")), 0x63C2);
        assert_eq!(sw(&mut card, &verify(b"0000")), 0x63C1);
        assert_eq!(sw(&mut card, &verify(b"0000")), 0x63C0);
        assert_eq!(sw(&mut card, &QUERY), 0x63C0);
        assert_eq!(
            sw(&mut card, &verify(b"1234")),
            0x6984,
            "blocked even for the right PIN"
        );
        assert_eq!(sw(&mut card, &verify(b"0000")), 0x6984);
        assert_eq!(sw(&mut card, &QUERY), 0x63C0, "no decrement below 0");
    }

    #[test]
    fn the_right_pin_restores_every_try() {
        let mut card = taro();
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_PIN)), 0x9000);
        assert_eq!(sw(&mut card, &verify(b"0000")), 0x63C2);
        assert_eq!(sw(&mut card, &verify(b"1234")), 0x9000);
        assert!(card.verified.contains(&EF_AUTH_PIN));
        assert_eq!(sw(&mut card, &QUERY), 0x63C3);
        assert_eq!(sw(&mut card, &verify(b"9999")), 0x63C2);
        assert!(
            !card.verified.contains(&EF_AUTH_PIN),
            "a wrong PIN drops the verified state"
        );
    }

    #[test]
    fn tries_persist_across_reset_power_cycle_and_removal() {
        let mut card = taro();
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_PIN)), 0x9000);
        assert_eq!(sw(&mut card, &verify(b"0000")), 0x63C2);
        card.reset();
        card.power_off();
        let mut reader = VirtualReader::new();
        reader.place(card);
        let mut card = reader.remove().expect("the card was placed");
        card.power_on();
        assert_eq!(sw(&mut card, &SELECT_AP), 0x9000);
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_PIN)), 0x9000);
        assert_eq!(sw(&mut card, &QUERY), 0x63C2);
        assert_eq!(sw(&mut card, &verify(b"0000")), 0x63C1);
        assert_eq!(sw(&mut card, &verify(b"0000")), 0x63C0);
        card.reset();
        assert_eq!(sw(&mut card, &SELECT_AP), 0x9000);
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_PIN)), 0x9000);
        assert_eq!(
            sw(&mut card, &verify(b"1234")),
            0x6984,
            "still blocked after reset"
        );
    }

    #[test]
    fn verify_needs_a_pin_ef() {
        let mut card = taro();
        assert_eq!(sw(&mut card, &verify(b"1234")), 0x6986, "no EF");
        assert_eq!(sw(&mut card, &QUERY), 0x6986, "no EF");
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_CERT)), 0x9000);
        assert_eq!(sw(&mut card, &verify(b"1234")), 0x6986, "not a PIN");
        assert_eq!(sw(&mut card, &[0x00, 0x20, 0x01, 0x80]), 0x6A86);
        assert_eq!(
            sw(&mut card, &[0x00, 0x20, 0x00, 0x85]),
            0x6A82,
            "no EF 0005 to select by SFI"
        );
        assert_eq!(
            sw(&mut card, &[0x00, 0x20, 0x00, 0x81]),
            0x6986,
            "EF 0001 is no PIN"
        );
    }

    #[test]
    fn verify_by_short_ef_identifier() {
        let mut card = taro();
        assert_eq!(sw(&mut card, &[0x00, 0x20, 0x00, 0x98]), 0x63C3);
        let by_sfi = [0x00, 0x20, 0x00, 0x98, 0x04, 0x31, 0x32, 0x33, 0x34];
        assert_eq!(sw(&mut card, &by_sfi), 0x9000);
        assert!(card.verified.contains(&EF_AUTH_PIN));
    }

    #[test]
    fn unknown_instructions_and_classes() {
        let mut card = taro();
        assert_eq!(sw(&mut card, &[0x00, 0xCA, 0x00, 0x00, 0x00]), 0x6D00);
        assert_eq!(
            sw(&mut card, &[0x80, 0x2A, 0x00, 0x80, 0x01, 0x00, 0x00]),
            0x6D00,
            "signing"
        );
        assert_eq!(sw(&mut card, &[0x84, 0xA4, 0x04, 0x0C]), 0x6E00);
        assert_eq!(sw(&mut card, &[0xFF, 0xB0, 0x00, 0x00, 0x00]), 0x6E00);
    }

    #[test]
    fn malformed_apdus_are_wrong_length() {
        let mut card = taro();
        for apdu in [
            &[0x00, 0xA4, 0x04][..],
            &[0x00, 0xA4, 0x02, 0x0C, 0x03, 0x00, 0x0A],
            &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A, 0x00, 0x00],
            &[0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x07],
        ] {
            assert_eq!(sw(&mut card, apdu), 0x6700, "{apdu:02X?}");
        }
    }

    #[test]
    fn write_file_keeps_the_access_rule() {
        let mut card = taro();
        card.write_file(EF_SIGN_CERT, vec![0x30, 0x00]);
        assert_eq!(sw(&mut card, &select_ef(EF_SIGN_CERT)), 0x9000);
        assert_eq!(sw(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x00]), 0x6982);
        card.write_file(0x0002, vec![0x30, 0x00]);
        assert_eq!(sw(&mut card, &select_ef(0x0002)), 0x9000);
        assert_eq!(
            send(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x00]),
            (vec![0x30, 0x00], 0x9000)
        );
    }

    #[test]
    fn the_demo_catalog_holds_taro() {
        let cards = demo_cards();
        assert_eq!(cards.len(), 1);
        let taro = &cards[0];
        assert_eq!(
            (taro.id, taro.holder, taro.pin),
            ("taro", "資格 太郎", "1234")
        );
        let cert = AuthCertificate::from_der(taro.cert.to_vec()).expect("taro parses");
        assert_eq!(cert.serial_hex(), "0705D990");
    }

    #[test]
    fn debug_output_holds_no_pin() {
        let card = demo_cards()[0].insert();
        for shown in [format!("{card:?}"), format!("{:?}", demo_cards()[0])] {
            assert!(
                !shown.contains("1234") && !shown.contains(DEMO_SIGN_PASSWORD),
                "{shown}"
            );
        }
    }

    #[test]
    fn the_reader_reads_the_placed_card() {
        let mut reader = VirtualReader::new();
        assert!(!reader.has_card());
        assert_eq!(reader.read_auth_certificate(), Err(CardError::NoCard));
        reader.place(demo_cards()[0].insert());
        assert!(reader.has_card());
        let cert = reader
            .read_auth_certificate()
            .expect("an unpowered card is powered on");
        assert_eq!(cert.der(), TARO);
        assert!(reader.remove().is_some());
        assert!(!reader.has_card());
        assert!(reader.remove().is_none());
        assert_eq!(reader.read_auth_certificate(), Err(CardError::NoCard));
    }

    #[test]
    fn the_reader_reports_other_cards() {
        let mut reader = VirtualReader::new();
        reader.place(VirtualCard::not_jpki());
        assert_eq!(
            reader.read_auth_certificate(),
            Err(CardError::NotMyNumberCard)
        );
    }
}
