//! A virtual My Number Card for the demo build and tests: a JPKI-AP emulator that answers
//! like the real card (jpki.md §5.1), a catalog of demo cards, and a reader to put them in.
//!
//! The AP holds the full file set of jpki.md §1.2: both certificates and their CA
//! certificates, the token, both private keys (real RSA-2048 signatures with the demo keys of
//! `tests/pki`) and both PINs. PIN tries live on the card, so they survive resets and
//! removal, exactly as on a real card; the verified state is lost on power-on, reset and AP
//! selection. Short and extended APDUs are both understood.

use core::fmt;
use std::collections::{BTreeMap, BTreeSet};

use num_bigint::BigUint;

use super::apdu::{
    BlockedBy, Command, Response, StatusWord, CLA_PROPRIETARY, INS_CHANGE_REFERENCE_DATA,
    INS_COMPUTE_DIGITAL_SIGNATURE, INS_READ_BINARY, INS_SELECT, INS_VERIFY,
};
use super::jpki::{
    self, PinAuthentication, AUTH_PIN_MAX_TRIES, EF_AUTH_CA_CERT, EF_AUTH_CERT, EF_AUTH_KEY,
    EF_AUTH_PIN, EF_SIGN_CA_CERT, EF_SIGN_CERT, EF_SIGN_KEY, EF_SIGN_PIN, EF_TOKEN, JPKI_AID,
    SIGN_PIN_MAX_TRIES, TOKEN_MY_NUMBER_CARD,
};
use super::{cert, AuthCertificate, CardChannel, CardError, Reader, TransportError};

/// The contact ATR of the My Number Card known to OpenSC (T=1 only).
pub const ATR: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

/// The ATR of the card without the JPKI AP: a plain T=1 card, no historical bytes.
pub const OTHER_ATR: [u8; 5] = [0x3B, 0x80, 0x80, 0x01, 0x01];

/// The user-authentication PIN of every demo card.
pub const DEMO_PIN: &str = "1234";

/// The signature password of every demo card (6 to 16 characters `A–Z0–9`).
pub const DEMO_SIGN_PASSWORD: &str = "DEMO1234";

/// The demo user-authentication CA certificate, the content of EF 000B. TEST ONLY.
const DEMO_CA_CERT: &[u8] = include_bytes!("../../tests/pki/ca.cert.der");

/// The demo digital-signature CA certificate, the content of EF 0002. TEST ONLY.
const DEMO_SIGN_CA_CERT: &[u8] = include_bytes!("../../tests/pki/sign-ca.cert.der");

/// Length of the token EF 0006, padded with spaces.
const TOKEN_LEN: usize = 32;

/// 6981: command incompatible with the file structure (READ BINARY on a key or PIN EF).
const SW_INCOMPATIBLE_FILE: StatusWord = StatusWord::Other(0x6981);

/// 6F00: no precise diagnosis (a key file the card cannot use).
const SW_NO_DIAGNOSIS: StatusWord = StatusWord::Other(0x6F00);

/// An elementary file of the JPKI AP.
enum Ef {
    /// Readable bytes, guarded by the PIN EF `pin` if set.
    Binary { data: Vec<u8>, pin: Option<u16> },
    /// A private key (PKCS#8 DER): selectable, never readable, signs once `pin` is verified.
    Key { pkcs8: Vec<u8>, pin: u16 },
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
    fn new(value: &str, max: u8, tries_left: u8) -> Self {
        Self {
            value: value.as_bytes().to_vec(),
            tries_left: tries_left.min(max),
            max,
        }
    }
}

/// Who holds a virtual JPKI AP, as research/phones.md describes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// A My Number Card: token `JPKIAPICCTOKEN2`, EF 000A free to read, `80 FC` answers 6700.
    #[default]
    Card,
    /// An Android phone's スマホ用電子証明書: token `JPKIAPGPSETOKEN`, EF 000A readable only
    /// after the user-authentication PIN.
    AndroidPhone,
    /// An iPhone: token `JPKIAPIOSTOKEN`; the person authenticated on the phone, so the auth
    /// key signs and EF 000A reads without a VERIFY (none was ever documented: this phone
    /// answers a VERIFY 6D00); `80 FC 00 00` (last command) answers 9000 and ends the
    /// session. [`VirtualCard::lock_phone`] plays a phone not (or no longer) authenticated.
    IPhone,
}

impl Profile {
    fn token(self) -> &'static [u8] {
        match self {
            Profile::Card => jpki::TOKEN_CARD,
            Profile::AndroidPhone => jpki::TOKEN_ANDROID,
            Profile::IPhone => jpki::TOKEN_IPHONE,
        }
    }
}

/// What a virtual card's JPKI AP holds. TEST ONLY keys.
pub struct JpkiFiles<'a> {
    /// EF 000A: the user-authentication certificate (DER).
    pub auth_cert: &'a [u8],
    /// EF 0017: its private key (PKCS#8 DER, RSA).
    pub auth_key: &'a [u8],
    /// EF 0018: the user-authentication PIN.
    pub auth_pin: &'a str,
    /// Tries left of the user-authentication PIN (0 = blocked; at most 3).
    pub auth_pin_tries: u8,
    /// EF 0001: the signature certificate (DER).
    pub sign_cert: &'a [u8],
    /// EF 001A: its private key (PKCS#8 DER, RSA).
    pub sign_key: &'a [u8],
    /// EF 001B: the signature password.
    pub sign_password: &'a str,
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
    profile: Profile,
    /// iPhone: the person authenticated on the phone (the auth key and EF 000A are open).
    phone_unlocked: bool,
}

impl VirtualCard {
    /// A My Number Card with the JPKI AP holding `files`, the demo CA certificates (EF 000B,
    /// EF 0002) and the My Number Card token (EF 0006). Not powered yet.
    pub fn new(files: &JpkiFiles<'_>) -> Self {
        let mut token = TOKEN_MY_NUMBER_CARD.to_vec();
        token.resize(TOKEN_LEN, b' ');
        let binary = |data: &[u8]| Ef::Binary {
            data: data.to_vec(),
            pin: None,
        };
        let files = BTreeMap::from([
            (
                EF_SIGN_CERT,
                Ef::Binary {
                    data: files.sign_cert.to_vec(),
                    pin: Some(EF_SIGN_PIN),
                },
            ),
            (EF_SIGN_CA_CERT, binary(DEMO_SIGN_CA_CERT)),
            (EF_TOKEN, binary(&token)),
            (EF_AUTH_CERT, binary(files.auth_cert)),
            (EF_AUTH_CA_CERT, binary(DEMO_CA_CERT)),
            (
                EF_AUTH_KEY,
                Ef::Key {
                    pkcs8: files.auth_key.to_vec(),
                    pin: EF_AUTH_PIN,
                },
            ),
            (
                EF_AUTH_PIN,
                Ef::Pin(Pin::new(
                    files.auth_pin,
                    AUTH_PIN_MAX_TRIES,
                    files.auth_pin_tries,
                )),
            ),
            (
                EF_SIGN_KEY,
                Ef::Key {
                    pkcs8: files.sign_key.to_vec(),
                    pin: EF_SIGN_PIN,
                },
            ),
            (
                EF_SIGN_PIN,
                Ef::Pin(Pin::new(
                    files.sign_password,
                    SIGN_PIN_MAX_TRIES,
                    SIGN_PIN_MAX_TRIES,
                )),
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
            profile: Profile::Card,
            phone_unlocked: false,
        }
    }

    /// The same files held as `profile` holds them: its token in EF 0006 and its access
    /// rules (see [`Profile`]). An iPhone starts authenticated on the phone.
    pub fn with_profile(mut self, profile: Profile) -> Self {
        let mut token = profile.token().to_vec();
        token.resize(TOKEN_LEN, b' ');
        self.write_file(EF_TOKEN, token);
        let guard = match profile {
            Profile::Card => None,
            Profile::AndroidPhone | Profile::IPhone => Some(EF_AUTH_PIN),
        };
        if let Some(Ef::Binary { pin, .. }) = self.files.get_mut(&EF_AUTH_CERT) {
            *pin = guard;
        }
        self.profile = profile;
        self.phone_unlocked = profile == Profile::IPhone;
        self.forget_session();
        self
    }

    /// Without the 署名用 certificate, its key and password (a 顔認証マイナンバーカード).
    pub fn without_signature_certificate(mut self) -> Self {
        for fid in [EF_SIGN_CERT, EF_SIGN_KEY, EF_SIGN_PIN] {
            self.files.remove(&fid);
        }
        self
    }

    /// iPhone: the person has not authenticated on the phone (or it timed out): the auth key
    /// and EF 000A answer 6982 until [`VirtualCard::unlock_phone`].
    pub fn lock_phone(&mut self) {
        self.phone_unlocked = false;
        self.forget_session();
    }

    /// iPhone: the person authenticated on the phone (Face ID or passcode).
    pub fn unlock_phone(&mut self) {
        self.phone_unlocked = true;
        self.forget_session();
    }

    /// Who holds this JPKI AP.
    pub fn profile(&self) -> Profile {
        self.profile
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

    /// The answer to reset: [`ATR`], or [`OTHER_ATR`] for a card without the JPKI AP.
    pub fn atr(&self) -> &'static [u8] {
        if self.has_jpki {
            &ATR
        } else {
            &OTHER_ATR
        }
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

    /// Whether the card is powered.
    pub fn is_powered(&self) -> bool {
        self.powered
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
        if self.profile == Profile::IPhone && self.phone_unlocked {
            // Authenticated on the phone: what the auth PIN guards is open.
            self.verified.insert(EF_AUTH_PIN);
        }
    }

    fn process(&mut self, apdu: &Apdu<'_>) -> Response {
        let result = match (apdu.cla, apdu.ins) {
            (0x00, INS_SELECT) => self.select(apdu),
            (0x00, INS_READ_BINARY) => return with_data(self.read_binary(apdu)),
            (0x00, INS_VERIFY) if self.profile == Profile::IPhone => {
                Err(StatusWord::InsNotSupported)
            }
            (0x00, INS_VERIFY) => self.verify(apdu),
            (0x00, INS_CHANGE_REFERENCE_DATA) => self.change_pin(apdu),
            (CLA_PROPRIETARY, INS_COMPUTE_DIGITAL_SIGNATURE) => return with_data(self.sign(apdu)),
            (CLA_PROPRIETARY, jpki::INS_LAST_COMMAND) if self.has_jpki => self.last_command(apdu),
            (0x00 | CLA_PROPRIETARY, _) => Err(StatusWord::InsNotSupported),
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

    fn read_binary(&mut self, apdu: &Apdu<'_>) -> Result<Vec<u8>, StatusWord> {
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
            Some(Ef::Key { .. } | Ef::Pin(_)) => Err(SW_INCOMPATIBLE_FILE),
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

    /// `80 FC 00 00`: the iPhone's last-command indicator (9000, the session ends); a card
    /// or an Android phone answers 6700 as a card does (soltia48).
    fn last_command(&mut self, apdu: &Apdu<'_>) -> Result<(), StatusWord> {
        if self.profile != Profile::IPhone || !apdu.data.is_empty() || apdu.le.is_some() {
            return Err(StatusWord::WrongLength);
        }
        if (apdu.p1, apdu.p2) != (0x00, 0x00) {
            return Err(StatusWord::WrongP1P2);
        }
        self.forget_session();
        Ok(())
    }

    /// CHANGE REFERENCE DATA `00 24 01 80 Lc new`: the current PIN EF, verified, takes the
    /// new value (tries unchanged).
    fn change_pin(&mut self, apdu: &Apdu<'_>) -> Result<(), StatusWord> {
        if (apdu.p1, apdu.p2) != (0x01, 0x80) {
            return Err(StatusWord::WrongP1P2);
        }
        if apdu.data.is_empty() || apdu.le.is_some() {
            return Err(StatusWord::WrongLength);
        }
        let fid = self.current_ef.ok_or(StatusWord::CommandNotAllowed)?;
        let Some(Ef::Pin(pin)) = self.files.get_mut(&fid) else {
            return Err(StatusWord::CommandNotAllowed);
        };
        if !self.verified.contains(&fid) {
            return Err(StatusWord::SecurityStatusNotSatisfied);
        }
        pin.value = apdu.data.to_vec();
        Ok(())
    }

    /// COMPUTE DIGITAL SIGNATURE `80 2A 00 80 Lc data 00` with the key of the current EF:
    /// `(00 01 FF… 00 ‖ data)^d mod n`, as many bytes as the modulus. The command must ask
    /// for the whole signature (Le `00`, or at least the modulus length): a card never
    /// answers more bytes than Le asks for, and a cut signature is worthless.
    fn sign(&mut self, apdu: &Apdu<'_>) -> Result<Vec<u8>, StatusWord> {
        if (apdu.p1, apdu.p2) != (0x00, 0x80) {
            return Err(StatusWord::WrongP1P2);
        }
        let Some(asked) = apdu.le.filter(|_| !apdu.data.is_empty()) else {
            return Err(StatusWord::WrongLength);
        };
        let fid = self.current_ef.ok_or(StatusWord::CommandNotAllowed)?;
        let Some(Ef::Key { pkcs8, pin }) = self.files.get(&fid) else {
            return Err(StatusWord::CommandNotAllowed);
        };
        if !self.verified.contains(pin) {
            return Err(StatusWord::SecurityStatusNotSatisfied);
        }
        let key = RsaKey::from_pkcs8(pkcs8).ok_or(SW_NO_DIAGNOSIS)?;
        if asked < key.k {
            return Err(StatusWord::WrongLength);
        }
        key.sign_padded(apdu.data).ok_or(StatusWord::WrongLength)
    }
}

/// A response with data and 9000, or the status word alone.
fn with_data(result: Result<Vec<u8>, StatusWord>) -> Response {
    match result {
        Ok(data) => Response {
            data,
            sw: StatusWord::Ok,
        },
        Err(sw) => Response::status(sw),
    }
}

/// 63Cx for x tries left (63C0 when none).
fn tries_status(tries_left: u8) -> StatusWord {
    StatusWord::from_u16(0x63C0 | u16::from(tries_left & 0x0F))
}

/// The numbers of an RSA private key that signing needs. TEST ONLY keys: the arithmetic is
/// not constant-time.
struct RsaKey {
    n: BigUint,
    d: BigUint,
    /// The modulus length in bytes.
    k: usize,
}

impl RsaKey {
    fn from_pkcs8(pkcs8: &[u8]) -> Option<Self> {
        let (n, d) = cert::rsa_private_key(pkcs8).ok()?;
        let n = BigUint::from_bytes_be(n);
        let k = usize::try_from(n.bits().div_ceil(8)).ok()?;
        Some(Self {
            n,
            d: BigUint::from_bytes_be(d),
            k,
        })
    }

    /// EMSA-PKCS1-v1_5 block type 01 around `data` (RFC 8017 §9.2 step 5), then the RSA
    /// private operation (§5.2.1) as `k` big-endian bytes; `None` if `data` is longer than
    /// k − 11 bytes.
    fn sign_padded(&self, data: &[u8]) -> Option<Vec<u8>> {
        if data.len() + 11 > self.k {
            return None;
        }
        // 00 01, at least 8 bytes FF, 00, data.
        let padding_end = self.k - data.len() - 1;
        let mut block = vec![0xFF; self.k];
        block[0] = 0x00;
        block[1] = 0x01;
        block[padding_end] = 0x00;
        block[padding_end + 1..].copy_from_slice(data);
        let signature = BigUint::from_bytes_be(&block)
            .modpow(&self.d, &self.n)
            .to_bytes_be();
        // The result is below n, so it never has more than k bytes.
        let mut out = vec![0u8; self.k.saturating_sub(signature.len())];
        out.extend_from_slice(&signature);
        Some(out)
    }
}

/// `Debug`: the session state only, never PIN values, keys or file contents.
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

/// A command APDU split into its fields.
struct Apdu<'a> {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: &'a [u8],
    /// Expected response length: short Le 00 means 256, extended 00 00 means 65,536.
    le: Option<usize>,
}

impl<'a> Apdu<'a> {
    /// Parses ISO cases 1, 2S/2E, 3S/3E and 4S/4E; `None` if the lengths do not add up.
    fn parse(raw: &'a [u8]) -> Option<Self> {
        let short_le = |le: u8| if le == 0 { 256 } else { usize::from(le) };
        let (&[cla, ins, p1, p2], body) = raw.split_first_chunk::<4>()?;
        let (data, le) = match body {
            [] => (&[][..], None),
            [le] => (&[][..], Some(short_le(*le))),
            [0x00, extended @ ..] => Self::parse_extended(extended)?,
            [lc, rest @ ..] if rest.len() == usize::from(*lc) => (rest, None),
            [lc, rest @ ..] if rest.len() == usize::from(*lc) + 1 => {
                let (data, le) = rest.split_at(usize::from(*lc));
                (data, Some(short_le(le[0])))
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

    /// After the `00` that marks extended lengths: `Le1 Le2` (2E), `Lc1 Lc2 data` (3E) or
    /// `Lc1 Lc2 data Le1 Le2` (4E).
    fn parse_extended(body: &'a [u8]) -> Option<(&'a [u8], Option<usize>)> {
        let extended_le = |hi: u8, lo: u8| match u16::from_be_bytes([hi, lo]) {
            0 => 0x1_0000,
            n => usize::from(n),
        };
        match body {
            [hi, lo] => Some((&[], Some(extended_le(*hi, *lo)))),
            [hi, lo, rest @ ..] => {
                let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
                match rest.len().checked_sub(lc)? {
                    _ if lc == 0 => None,
                    0 => Some((rest, None)),
                    2 => Some((&rest[..lc], Some(extended_le(rest[lc], rest[lc + 1])))),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// The files of a demo card (TEST ONLY, `tests/pki/cards`).
struct DemoFiles {
    cert: &'static [u8],
    key: &'static [u8],
    sign_cert: &'static [u8],
    sign_key: &'static [u8],
}

/// A demo card on the demo tray. TEST ONLY certificates and keys (`tests/pki`).
pub struct DemoCard {
    /// Short identifier, as in `tests/pki/cards.txt`.
    pub id: &'static str,
    /// The name on the demo tray label.
    pub holder: &'static str,
    /// The user-authentication PIN (4 digits).
    pub pin: &'static str,
    /// What the card demonstrates, in a few words (e.g. 「資格有効（本人）」).
    pub shows: &'static str,
    /// Tries left of the user-authentication PIN when the card is inserted (0 = locked).
    pub pin_tries: u8,
    /// Who holds the JPKI AP: a card, an Android phone or an iPhone.
    pub profile: Profile,
    /// Whether it holds a 署名用電子証明書 (a 顔認証マイナンバーカード does not).
    pub signature: bool,
    /// `None` for a card without the JPKI AP.
    files: Option<DemoFiles>,
}

impl DemoCard {
    /// A fresh virtual card with this demo card's files, PIN and PIN tries.
    pub fn insert(&self) -> VirtualCard {
        match &self.files {
            Some(files) => {
                let card = VirtualCard::new(&JpkiFiles {
                    auth_cert: files.cert,
                    auth_key: files.key,
                    auth_pin: self.pin,
                    auth_pin_tries: self.pin_tries,
                    sign_cert: files.sign_cert,
                    sign_key: files.sign_key,
                    sign_password: DEMO_SIGN_PASSWORD,
                })
                .with_profile(self.profile);
                if self.signature {
                    card
                } else {
                    card.without_signature_certificate()
                }
            }
            None => VirtualCard::not_jpki(),
        }
    }

    /// Whether the card has the JPKI AP (is a My Number Card).
    pub fn has_jpki(&self) -> bool {
        self.files.is_some()
    }

    /// The user-authentication certificate (DER) in EF 000A, if the card has the JPKI AP.
    pub fn auth_cert_der(&self) -> Option<&'static [u8]> {
        self.files.as_ref().map(|f| f.cert)
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

/// A demo card with the JPKI AP whose files are `tests/pki/cards/<id>.*`.
macro_rules! demo_card {
    ($id:literal, $holder:literal, $shows:literal, $tries:expr) => {
        demo_card!($id, $holder, $shows, $tries, Profile::Card, true)
    };
    ($id:literal, $holder:literal, $shows:literal, $tries:expr, $profile:expr, $sign:expr) => {
        DemoCard {
            id: $id,
            holder: $holder,
            pin: DEMO_PIN,
            shows: $shows,
            pin_tries: $tries,
            profile: $profile,
            signature: $sign,
            files: Some(DemoFiles {
                cert: include_bytes!(concat!("../../tests/pki/cards/", $id, ".cert.der")),
                key: include_bytes!(concat!("../../tests/pki/cards/", $id, ".key.pk8")),
                sign_cert: include_bytes!(concat!("../../tests/pki/cards/", $id, ".sign.cert.der")),
                sign_key: include_bytes!(concat!("../../tests/pki/cards/", $id, ".sign.key.pk8")),
            }),
        }
    };
}

/// One card per line of `tests/pki/cards.txt`, then a card without the JPKI AP.
static DEMO_CARDS: [DemoCard; 17] = [
    demo_card!("taro", "資格 太郎", "資格有効（本人）", AUTH_PIN_MAX_TRIES),
    demo_card!(
        "family",
        "資格 花子",
        "資格有効（家族）",
        AUTH_PIN_MAX_TRIES
    ),
    demo_card!(
        "preschool",
        "資格 次郎",
        "義務教育就学前",
        AUTH_PIN_MAX_TRIES
    ),
    demo_card!(
        "expiring",
        "期限 近子",
        "証明書の失効が近い",
        AUTH_PIN_MAX_TRIES
    ),
    demo_card!(
        "welfare",
        "扶助 一子",
        "医療扶助（資格有効）",
        AUTH_PIN_MAX_TRIES
    ),
    demo_card!(
        "backside",
        "他資格 太郎",
        "裏面記載情報あり",
        AUTH_PIN_MAX_TRIES
    ),
    demo_card!("elderly", "高齢 一郎", "高齢受給者証", AUTH_PIN_MAX_TRIES),
    demo_card!("invalid", "無効 三郎", "資格無効", AUTH_PIN_MAX_TRIES),
    demo_card!(
        "unqualified",
        "該当 無子",
        "資格情報なし",
        AUTH_PIN_MAX_TRIES
    ),
    demo_card!(
        "invalid-welfare",
        "扶助 二郎",
        "医療扶助（資格無効）",
        AUTH_PIN_MAX_TRIES
    ),
    demo_card!("locked", "鍵掛 四郎", "暗証番号ロック", 0),
    demo_card!("one-try", "残一 五郎", "暗証番号 残り1回", 1),
    demo_card!("expired", "失効 六子", "証明書失効", AUTH_PIN_MAX_TRIES),
    // 顔認証マイナンバーカード: the PIN is locked at issue and there is no 署名用 certificate.
    demo_card!("face", "顔認 七子", "顔認証カード", 0, Profile::Card, false),
    demo_card!(
        "android",
        "端末 八郎",
        "スマホ（Android）",
        AUTH_PIN_MAX_TRIES,
        Profile::AndroidPhone,
        true
    ),
    demo_card!(
        "iphone",
        "端末 九子",
        "スマホ（iPhone）",
        AUTH_PIN_MAX_TRIES,
        Profile::IPhone,
        true
    ),
    DemoCard {
        id: "not-jpki",
        holder: "別種 カード",
        pin: DEMO_PIN,
        shows: "他のICカード",
        pin_tries: AUTH_PIN_MAX_TRIES,
        profile: Profile::Card,
        signature: false,
        files: None,
    },
];

/// Every demo card, in tray order.
pub fn demo_cards() -> &'static [DemoCard] {
    &DEMO_CARDS
}

/// The demo card with identifier `id` (as in `tests/pki/cards.txt`, or `not-jpki`).
pub fn demo_card(id: &str) -> Option<&'static DemoCard> {
    DEMO_CARDS.iter().find(|card| card.id == id)
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

    /// The card on the reader, powered on: a new session, as a PC/SC connect gives.
    fn session(&mut self) -> Result<&mut VirtualCard, CardError> {
        let card = self.card.as_mut().ok_or(CardError::NoCard)?;
        card.power_on();
        Ok(card)
    }
}

impl Reader for VirtualReader {
    fn read_auth_certificate(&mut self) -> Result<AuthCertificate, CardError> {
        jpki::read_certificate(self.session()?).map(|(_, cert)| cert)
    }

    fn pin_status(&mut self) -> Result<jpki::PinStatus, CardError> {
        jpki::pin_status(self.session()?)
    }

    fn authenticate(
        &mut self,
        pin: &[u8],
        challenge: &[u8],
        card: &jpki::CardIdentity,
    ) -> Result<PinAuthentication, CardError> {
        jpki::authenticate_card(self.session()?, pin, challenge, card)
    }

    fn read_auth_certificate_with_pin(
        &mut self,
        pin: &[u8],
        card: &jpki::CardIdentity,
    ) -> Result<AuthCertificate, CardError> {
        jpki::read_certificate_with_pin(self.session()?, pin, card)
    }

    fn authenticate_on_phone(
        &mut self,
        challenge: &[u8],
        card: &jpki::CardIdentity,
    ) -> Result<PinAuthentication, CardError> {
        jpki::authenticate_on_phone(self.session()?, challenge, card)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

    const TARO: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");
    const TARO_KEY: &[u8] = include_bytes!("../../tests/pki/cards/taro.key.pk8");
    const TARO_SIGN: &[u8] = include_bytes!("../../tests/pki/cards/taro.sign.cert.der");

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// `80 2A 00 80 Lc data 00`.
    fn sign(data: &[u8]) -> Vec<u8> {
        [
            &[0x80, 0x2A, 0x00, 0x80, data.len() as u8][..],
            data,
            &[0x00],
        ]
        .concat()
    }

    /// SELECT EF 0018 and VERIFY the demo PIN.
    fn verify_auth_pin(card: &mut VirtualCard) {
        assert_eq!(sw(card, &select_ef(EF_AUTH_PIN)), 0x9000);
        assert_eq!(sw(card, &verify(b"1234")), 0x9000);
    }

    /// SELECT `fid` and READ it whole in one extended READ.
    fn read_whole(card: &mut VirtualCard, fid: u16) -> (Vec<u8>, u16) {
        assert_eq!(sw(card, &select_ef(fid)), 0x9000);
        send(card, &[0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00])
    }
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
        assert!(!card.is_powered());
        assert!(card.transmit_raw(&SELECT_AP).is_empty());
        let select = Command::select_aid(&JPKI_AID);
        assert_eq!(card.transmit(&select), Err(TransportError::ReaderFault));
        card.power_on();
        assert!(card.is_powered());
        card.power_off();
        assert!(!card.is_powered());
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
        assert_eq!(card.atr(), OTHER_ATR, "another kind of card");
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
        let (data, status) = send(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x00]);
        assert_eq!((data.as_slice(), status), (&TARO_SIGN[..256], 0x9000));
    }

    #[test]
    fn holds_the_full_file_set_of_the_jpki_ap() {
        let mut card = taro();
        for (fid, content) in [
            (EF_SIGN_CA_CERT, DEMO_SIGN_CA_CERT),
            (EF_AUTH_CERT, TARO),
            (EF_AUTH_CA_CERT, DEMO_CA_CERT),
        ] {
            assert_eq!(read_whole(&mut card, fid), (content.to_vec(), 0x9000));
        }
        let ca = AuthCertificate::from_der(DEMO_SIGN_CA_CERT.to_vec()).expect("parses");
        assert!(contains(ca.issuer_der(), b"JPKI for digital signature"));
        assert!(contains(ca.issuer_der(), b"DEMO TEST ONLY"));
        let ca = AuthCertificate::from_der(DEMO_CA_CERT.to_vec()).expect("parses");
        assert!(contains(ca.issuer_der(), b"JPKI for user authentication"));
        let sign = AuthCertificate::from_der(TARO_SIGN.to_vec()).expect("parses");
        assert!(contains(sign.issuer_der(), b"JPKI for digital signature"));
        assert_eq!(sign.serial_hex(), "010705D990");
    }

    #[test]
    fn signs_with_the_auth_key_after_the_auth_pin() {
        let mut card = taro();
        let info = jpki::sha256_digest_info(b"challenge");
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_KEY)), 0x9000);
        assert_eq!(sw(&mut card, &sign(&info)), 0x6982, "no PIN yet");
        verify_auth_pin(&mut card);
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_KEY)), 0x9000);
        let (signature, status) = send(&mut card, &sign(&info));
        assert_eq!((signature.len(), status), (256, 0x9000));
        let cert = AuthCertificate::from_der(TARO.to_vec()).expect("parses");
        let key = cert.subject_public_key().expect("rsa key");
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
            .verify(b"challenge", &signature)
            .expect("a real RSASSA-PKCS1-v1_5 SHA-256 signature");
        assert!(UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
            .verify(b"another challenge", &signature)
            .is_err());
        let (again, _) = send(&mut card, &sign(&info));
        assert_eq!(
            again, signature,
            "PKCS#1 v1.5 is deterministic; still verified"
        );
    }

    #[test]
    fn the_signature_is_the_padded_block_to_the_private_exponent() {
        // s^e mod n must give back 00 01 FF… 00 ‖ data (e = 65537, as openssl makes keys).
        let mut card = taro();
        verify_auth_pin(&mut card);
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_KEY)), 0x9000);
        let data = [0x5A; 7];
        let (signature, status) = send(&mut card, &sign(&data));
        assert_eq!(status, 0x9000);
        let (n, _) = cert::rsa_private_key(TARO_KEY).expect("parses");
        let n = BigUint::from_bytes_be(n);
        let block = BigUint::from_bytes_be(&signature)
            .modpow(&BigUint::from(65_537u32), &n)
            .to_bytes_be();
        // to_bytes_be drops the leading 00.
        assert_eq!(block.len(), 255);
        assert_eq!(block[..1], [0x01]);
        assert!(block[1..255 - 8].iter().all(|&b| b == 0xFF));
        assert_eq!(
            block[255 - 8..],
            [0x00, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A]
        );
    }

    #[test]
    fn signing_follows_the_access_rules() {
        let mut card = taro();
        let info = jpki::sha256_digest_info(b"x");
        assert_eq!(sw(&mut card, &sign(&info)), 0x6986, "no EF");
        verify_auth_pin(&mut card);
        for fid in [EF_AUTH_CERT, EF_AUTH_PIN, EF_TOKEN] {
            assert_eq!(sw(&mut card, &select_ef(fid)), 0x9000);
            assert_eq!(sw(&mut card, &sign(&info)), 0x6986, "{fid:04X} is no key");
        }
        assert_eq!(sw(&mut card, &select_ef(EF_SIGN_KEY)), 0x9000);
        assert_eq!(
            sw(&mut card, &sign(&info)),
            0x6982,
            "the auth PIN does not open the sign key"
        );
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_KEY)), 0x9000);
        assert_eq!(sw(&mut card, &sign(&[0x01; 245])), 0x9000, "k - 11 fits");
        assert_eq!(
            sw(&mut card, &sign(&[0x01; 246])),
            0x6700,
            "k - 10 does not"
        );
        assert_eq!(
            sw(&mut card, &[0x80, 0x2A, 0x9E, 0x9A, 0x01, 0x00, 0x00]),
            0x6A86
        );
        assert_eq!(
            sw(&mut card, &[0x80, 0x2A, 0x00, 0x80, 0x00]),
            0x6700,
            "no data"
        );
        assert_eq!(
            sw(&mut card, &[0x00, 0x2A, 0x00, 0x80, 0x01, 0x00, 0x00]),
            0x6D00
        );
        assert_eq!(sw(&mut card, &SELECT_AP), 0x9000);
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_KEY)), 0x9000);
        assert_eq!(sw(&mut card, &sign(&info)), 0x6982, "AP selection logs out");
    }

    #[test]
    fn a_signature_answers_only_a_command_that_asks_for_all_of_it() {
        // Found by tests/fuzz.rs (virtual_card): a SIGN without Le was answered with the
        // 256-byte signature, more data than the command asked for (Ne = 0).
        let mut card = taro();
        verify_auth_pin(&mut card);
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_KEY)), 0x9000);
        let info = jpki::sha256_digest_info(b"x");
        let lc = info.len() as u8;
        let header = [0x80, 0x2A, 0x00, 0x80];
        for (command, what) in [
            ([&header[..], &[lc], &info].concat(), "case 3: no Le"),
            (
                [&header[..], &[0x00, 0x00, lc], &info].concat(),
                "case 3E: no Le",
            ),
            (
                [&header[..], &[lc], &info, &[0x80]].concat(),
                "Le 128 < 256",
            ),
            (
                [&header[..], &[0x00, 0x00, lc], &info, &[0x00, 0xFF]].concat(),
                "Le 255 < 256",
            ),
        ] {
            assert_eq!(send(&mut card, &command), (Vec::new(), 0x6700), "{what}");
        }
        for (command, what) in [
            (sign(&info), "case 4: Le 00"),
            (
                [&header[..], &[0x00, 0x00, lc], &info, &[0x00, 0x00]].concat(),
                "case 4E: Le 00 00",
            ),
            (
                [&header[..], &[0x00, 0x00, lc], &info, &[0x01, 0x00]].concat(),
                "case 4E: Le 256",
            ),
        ] {
            let (signature, status) = send(&mut card, &command);
            assert_eq!((signature.len(), status), (256, 0x9000), "{what}");
        }
    }

    #[test]
    fn signs_with_the_sign_key_after_the_sign_password() {
        let mut card = taro();
        assert_eq!(sw(&mut card, &select_ef(EF_SIGN_PIN)), 0x9000);
        assert_eq!(
            sw(&mut card, &verify(DEMO_SIGN_PASSWORD.as_bytes())),
            0x9000
        );
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_KEY)), 0x9000);
        let info = jpki::sha256_digest_info(b"document");
        assert_eq!(sw(&mut card, &sign(&info)), 0x6982, "not the auth key");
        assert_eq!(sw(&mut card, &select_ef(EF_SIGN_KEY)), 0x9000);
        let (signature, status) = send(&mut card, &sign(&info));
        assert_eq!(status, 0x9000);
        let cert = AuthCertificate::from_der(TARO_SIGN.to_vec()).expect("parses");
        let key = cert.subject_public_key().expect("rsa key");
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
            .verify(b"document", &signature)
            .expect("signed with the key of the signature certificate");
    }

    #[test]
    fn every_demo_key_signs_for_its_certificates() {
        for demo in demo_cards().iter().filter(|c| c.has_jpki()) {
            let files = demo.files.as_ref().expect("has files");
            for (cert, key) in [(files.cert, files.key), (files.sign_cert, files.sign_key)] {
                let rsa = RsaKey::from_pkcs8(key).expect("the demo key parses");
                assert_eq!(rsa.k, 256, "{}: RSA-2048", demo.id);
                let signature = rsa
                    .sign_padded(&jpki::sha256_digest_info(demo.id.as_bytes()))
                    .expect("51 bytes fit");
                let cert = AuthCertificate::from_der(cert.to_vec()).expect("parses");
                let public = cert.subject_public_key().expect("rsa key");
                UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public)
                    .verify(demo.id.as_bytes(), &signature)
                    .unwrap_or_else(|_| panic!("{}: key and certificate match", demo.id));
            }
        }
    }

    #[test]
    fn changes_a_verified_pin() {
        let mut card = taro();
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_PIN)), 0x9000);
        let change = [0x00, 0x24, 0x01, 0x80, 0x04, 0x39, 0x38, 0x37, 0x36];
        assert_eq!(sw(&mut card, &change), 0x6982, "not verified");
        assert_eq!(sw(&mut card, &verify(b"1234")), 0x9000);
        assert_eq!(sw(&mut card, &[0x00, 0x24, 0x00, 0x80, 0x01, 0x39]), 0x6A86);
        assert_eq!(sw(&mut card, &change), 0x9000);
        assert_eq!(sw(&mut card, &verify(b"1234")), 0x63C2, "old PIN gone");
        assert_eq!(sw(&mut card, &verify(b"9876")), 0x9000);
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_CERT)), 0x9000);
        assert_eq!(sw(&mut card, &change), 0x6986, "not a PIN EF");
    }

    #[test]
    fn understands_extended_apdus() {
        let mut card = taro();
        // jsapdu: the whole certificate by SFI in one extended READ (Le 00 00 00 = 65,536).
        let (data, status) = send(&mut card, &[0x00, 0xB0, 0x8A, 0x00, 0x00, 0x00, 0x00]);
        assert_eq!((data.as_slice(), status), (TARO, 0x9000));
        let (data, status) = send(&mut card, &[0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x07]);
        assert_eq!((data.as_slice(), status), (&TARO[..7], 0x9000), "case 2E");
        let select = [0x00, 0xA4, 0x02, 0x0C, 0x00, 0x00, 0x02, 0x00, 0x18];
        assert_eq!(sw(&mut card, &select), 0x9000, "case 3E");
        assert_eq!(card.current_ef, Some(EF_AUTH_PIN));
        let read = Command::extended(0x00, 0xB0, 0x00, 0x10)
            .with_ne(300)
            .expect("fits");
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_CERT)), 0x9000);
        let response = card.transmit(&read).expect("powered");
        assert_eq!(
            response.data,
            TARO[0x10..0x10 + 300],
            "case 2E from the encoder"
        );
        verify_auth_pin(&mut card);
        assert_eq!(sw(&mut card, &select_ef(EF_AUTH_KEY)), 0x9000);
        let info = jpki::sha256_digest_info(b"e");
        let case4 = [
            &[0x80, 0x2A, 0x00, 0x80, 0x00, 0x00, 0x33][..],
            &info,
            &[0x01, 0x00],
        ]
        .concat();
        let (signature, status) = send(&mut card, &case4);
        assert_eq!((signature.len(), status), (256, 0x9000), "case 4E");
    }

    #[test]
    fn locked_and_one_try_cards_start_with_their_tries() {
        let mut locked = demo_card("locked").expect("in the catalogue").insert();
        locked.power_on();
        assert_eq!(sw(&mut locked, &SELECT_AP), 0x9000);
        assert_eq!(sw(&mut locked, &select_ef(EF_AUTH_PIN)), 0x9000);
        assert_eq!(sw(&mut locked, &QUERY), 0x63C0);
        assert_eq!(sw(&mut locked, &verify(b"1234")), 0x6984);
        let mut one = demo_card("one-try").expect("in the catalogue").insert();
        one.power_on();
        assert_eq!(sw(&mut one, &SELECT_AP), 0x9000);
        assert_eq!(sw(&mut one, &select_ef(EF_AUTH_PIN)), 0x9000);
        assert_eq!(sw(&mut one, &QUERY), 0x63C1);
        assert_eq!(sw(&mut one, &verify(b"1234")), 0x9000);
        assert_eq!(
            sw(&mut one, &QUERY),
            0x63C3,
            "the right PIN restores every try"
        );
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
            sw(&mut card, &[0x80, 0xB0, 0x00, 0x00, 0x00]),
            0x6D00,
            "READ is not in the proprietary class"
        );
        assert_eq!(sw(&mut card, &[0x00, 0x2C, 0x00, 0x80]), 0x6D00);
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
            &[0x00, 0xB0, 0x00, 0x00, 0x00, 0x07],
            &[0x00, 0xA4, 0x02, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x0A],
            &[0x00, 0xA4, 0x02, 0x0C, 0x00, 0x00, 0x02, 0x00, 0x0A, 0x00],
            &[0x00, 0xA4, 0x02, 0x0C, 0x00, 0x00, 0x03, 0x00, 0x0A],
            &[0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00],
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
    fn the_demo_catalogue_has_one_card_per_line_of_cards_txt_and_a_non_jpki_card() {
        const CARDS_TXT: &str = include_str!("../../tests/pki/cards.txt");
        let lines: Vec<(&str, &str)> = CARDS_TXT
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut fields = l.split_whitespace();
                Some((fields.next()?, fields.next()?))
            })
            .collect();
        let cards = demo_cards();
        assert_eq!(cards.len(), lines.len() + 1);
        for ((id, serial), card) in lines.iter().zip(cards) {
            assert_eq!(card.id, *id);
            assert!(card.has_jpki(), "{id}");
            let der = card.auth_cert_der().expect("a JPKI card has a certificate");
            let cert = AuthCertificate::from_der(der.to_vec()).expect("parses");
            assert_eq!(cert.serial_hex(), *serial, "{id}");
            assert_eq!(card.pin, "1234", "{id}");
        }
        let other = &cards[lines.len()];
        assert_eq!((other.id, other.holder), ("not-jpki", "別種 カード"));
        assert!(!other.has_jpki() && other.auth_cert_der().is_none());
        let mut reader = VirtualReader::new();
        reader.place(other.insert());
        assert_eq!(
            reader.read_auth_certificate(),
            Err(CardError::NotMyNumberCard)
        );
    }

    #[test]
    fn demo_cards_have_their_holders_labels_and_tries() {
        let expected = [
            ("taro", "資格 太郎", 3),
            ("family", "資格 花子", 3),
            ("preschool", "資格 次郎", 3),
            ("expiring", "期限 近子", 3),
            ("welfare", "扶助 一子", 3),
            ("backside", "他資格 太郎", 3),
            ("elderly", "高齢 一郎", 3),
            ("invalid", "無効 三郎", 3),
            ("unqualified", "該当 無子", 3),
            ("invalid-welfare", "扶助 二郎", 3),
            ("locked", "鍵掛 四郎", 0),
            ("one-try", "残一 五郎", 1),
            ("expired", "失効 六子", 3),
            ("face", "顔認 七子", 0),
            ("android", "端末 八郎", 3),
            ("iphone", "端末 九子", 3),
            ("not-jpki", "別種 カード", 3),
        ];
        let cards = demo_cards();
        assert_eq!(cards.len(), expected.len());
        for (card, (id, holder, tries)) in cards.iter().zip(expected) {
            assert_eq!((card.id, card.holder, card.pin_tries), (id, holder, tries));
            assert!(
                !card.shows.is_empty() && card.shows.chars().count() <= 12,
                "{id}"
            );
            assert_eq!(demo_card(id).map(|c| c.id), Some(id));
        }
        let mut shows: Vec<&str> = cards.iter().map(|c| c.shows).collect();
        shows.sort_unstable();
        shows.dedup();
        assert_eq!(shows.len(), cards.len(), "each card shows something else");
        assert_eq!(demo_card("locked").map(|c| c.shows), Some("暗証番号ロック"));
        assert_eq!(demo_card("taro").map(|c| c.shows), Some("資格有効（本人）"));
        assert!(demo_card("nobody").is_none());
    }

    #[test]
    fn debug_output_holds_no_pin() {
        let mut card = taro();
        verify_auth_pin(&mut card);
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
    fn the_reader_runs_the_pin_flow_and_keeps_tries_on_the_card() {
        let mut reader = VirtualReader::new();
        assert_eq!(reader.pin_status(), Err(CardError::NoCard));
        reader.place(demo_cards()[0].insert());
        let taro = reader.pin_status().expect("a card");
        assert_eq!(taro.tries(), Some(3));
        reader.remove();
        assert_eq!(
            reader.authenticate(b"1234", b"c", &taro.card),
            Err(CardError::NoCard)
        );
        reader.place(demo_cards()[0].insert());
        assert_eq!(
            reader.authenticate(b"0000", b"c", &taro.card),
            Err(CardError::WrongPin { tries_left: 2 })
        );
        assert_eq!(
            reader.pin_status().map(|s| s.tries()),
            Ok(Some(2)),
            "kept across sessions"
        );
        let auth = reader
            .authenticate(b"1234", b"c", &taro.card)
            .expect("right PIN");
        assert_eq!(auth.certificate.der(), TARO);
        assert!(auth.signature.verifies(&auth.certificate, b"c"));
        assert_eq!(reader.pin_status().map(|s| s.tries()), Ok(Some(3)));
        reader.place(demo_card("locked").expect("listed").insert());
        let locked = reader.pin_status().expect("a card");
        assert_eq!(locked.tries(), Some(0));
        assert_eq!(
            reader.authenticate(b"1234", b"c", &locked.card),
            Err(CardError::PinBlocked)
        );
    }

    #[test]
    fn a_pin_typed_for_one_card_never_reaches_another() {
        let mut reader = VirtualReader::new();
        reader.place(demo_cards()[0].insert());
        let first = reader.pin_status().expect("a card");
        // Swapped for another card with the same PIN: nothing is sent, no try is spent.
        let other = demo_cards()
            .iter()
            .find(|c| c.id != demo_cards()[0].id && c.pin == demo_cards()[0].pin && c.pin_tries > 0)
            .expect("another demo card with the same PIN");
        reader.place(other.insert());
        let before = reader.pin_status().expect("a card");
        assert_ne!(before.card, first.card, "two cards, two identities");
        assert_eq!(
            reader.authenticate(other.pin.as_bytes(), b"c", &first.card),
            Err(CardError::CardChanged)
        );
        assert_eq!(reader.pin_status().map(|s| s.tries()), Ok(before.tries()));
        assert!(reader
            .authenticate(other.pin.as_bytes(), b"c", &before.card)
            .is_ok());
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
