//! Command and response APDUs (ISO 7816-4, short length encoding only) and the status
//! words the JPKI application answers with.
//!
//! Command data may hold a PIN: it is wiped when the command (or its encoding) is dropped,
//! and never shown by `Debug` or `Display` for the PIN-carrying instructions.

use core::fmt;

use crate::sensitive::wipe_vec;

/// INS of SELECT.
pub const INS_SELECT: u8 = 0xA4;
/// INS of READ BINARY.
pub const INS_READ_BINARY: u8 = 0xB0;
/// INS of VERIFY (PIN).
pub const INS_VERIFY: u8 = 0x20;
/// INS of CHANGE REFERENCE DATA (change PIN).
pub const INS_CHANGE_REFERENCE_DATA: u8 = 0x24;
/// INS of RESET RETRY COUNTER.
pub const INS_RESET_RETRY_COUNTER: u8 = 0x2C;

/// The highest offset READ BINARY can address (P1 bit 8 clear: a 15-bit offset).
pub const MAX_READ_OFFSET: u16 = 0x7FFF;

/// Why a command could not be built or a response could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApduError {
    /// Command data is empty where it is required, or longer than the 255 bytes of a short APDU.
    BadDataLength,
    /// A READ BINARY offset above [`MAX_READ_OFFSET`].
    OffsetTooLarge,
    /// A response shorter than its two status bytes.
    ResponseTooShort,
}

/// A command APDU. Data is wiped on drop; PIN data is never printed.
pub struct Command {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: Vec<u8>,
    le: Option<u8>,
}

impl Command {
    /// A command with no data and no Le (ISO case 1).
    pub const fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// Sets the command data (1 to 255 bytes), taking ownership so no copy is left behind.
    pub fn with_data(mut self, mut data: Vec<u8>) -> Result<Self, ApduError> {
        if data.is_empty() || data.len() > 0xFF {
            wipe_vec(&mut data);
            return Err(ApduError::BadDataLength);
        }
        wipe_vec(&mut self.data);
        self.data = data;
        Ok(self)
    }

    /// Sets the Le byte: the number of response bytes expected, `0x00` meaning 256.
    pub fn with_le(mut self, le: u8) -> Self {
        self.le = Some(le);
        self
    }

    /// SELECT by DF name: `00 A4 04 0C Lc AID` (no FCI returned).
    pub fn select_aid<const N: usize>(aid: &[u8; N]) -> Self {
        const { assert!(N >= 1 && N <= 16, "an AID has 1 to 16 bytes") };
        Self {
            cla: 0x00,
            ins: INS_SELECT,
            p1: 0x04,
            p2: 0x0C,
            data: aid.to_vec(),
            le: None,
        }
    }

    /// SELECT EF under the current DF by file identifier: `00 A4 02 0C 02 FID`.
    pub fn select_ef(fid: u16) -> Self {
        let data = fid.to_be_bytes().to_vec();
        Self {
            cla: 0x00,
            ins: INS_SELECT,
            p1: 0x02,
            p2: 0x0C,
            data,
            le: None,
        }
    }

    /// READ BINARY of the current EF: `00 B0 off_hi off_lo Le`, `le` 0x00 meaning 256 bytes.
    pub fn read_binary(offset: u16, le: u8) -> Result<Self, ApduError> {
        if offset > MAX_READ_OFFSET {
            return Err(ApduError::OffsetTooLarge);
        }
        let [p1, p2] = offset.to_be_bytes();
        Ok(Self::new(0x00, INS_READ_BINARY, p1, p2).with_le(le))
    }

    /// VERIFY the PIN of the current EF: `00 20 00 80 Lc PIN` (1 to 255 bytes).
    pub fn verify(pin: &[u8]) -> Result<Self, ApduError> {
        Self::verify_tries_query().with_data(pin.to_vec())
    }

    /// VERIFY without data, `00 20 00 80`: asks for the tries left (63Cx) without using one.
    pub const fn verify_tries_query() -> Self {
        Self::new(0x00, INS_VERIFY, 0x00, 0x80)
    }

    /// CLA, INS, P1 and P2.
    pub fn header(&self) -> [u8; 4] {
        [self.cla, self.ins, self.p1, self.p2]
    }

    /// The command data (empty if none).
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The Le byte, if the command expects response data.
    pub fn le(&self) -> Option<u8> {
        self.le
    }

    /// Whether the data is a secret (a PIN) and must never be shown.
    pub fn is_secret(&self) -> bool {
        matches!(
            self.ins,
            INS_VERIFY | INS_CHANGE_REFERENCE_DATA | INS_RESET_RETRY_COUNTER
        )
    }

    /// The short-APDU encoding: header, then `Lc data` if there is data, then `Le` if set.
    pub fn to_bytes(&self) -> CommandBytes {
        let mut bytes = Vec::with_capacity(4 + 1 + self.data.len() + 1);
        bytes.extend_from_slice(&self.header());
        if !self.data.is_empty() {
            // Constructors keep data within 1..=255 bytes, so the length fits Lc.
            bytes.push(self.data.len() as u8);
            bytes.extend_from_slice(&self.data);
        }
        bytes.extend(self.le);
        CommandBytes(bytes)
    }

    fn wipe(&mut self) {
        wipe_vec(&mut self.data);
    }
}

impl Drop for Command {
    fn drop(&mut self) {
        self.wipe();
    }
}

/// `Debug`: every field, but secret data as its length only.
impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Command {{ header: {}, data: ", Hex(&self.header()))?;
        if self.is_secret() {
            write!(f, "<{} bytes redacted>", self.data.len())?;
        } else {
            write!(f, "{}", Hex(&self.data))?;
        }
        match self.le {
            Some(le) => write!(f, ", le: {le:02X} }}"),
            None => write!(f, ", le: none }}"),
        }
    }
}

/// `Display`: the trace-log form, `00A4020C02000A`; a VERIFY (or other PIN command) with
/// data shows as `00200080 VERIFY <4 bytes redacted>`.
impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_secret() && !self.data.is_empty() {
            let name = if self.ins == INS_VERIFY {
                "VERIFY"
            } else {
                "PIN COMMAND"
            };
            return write!(
                f,
                "{} {name} <{} bytes redacted>",
                Hex(&self.header()),
                self.data.len()
            );
        }
        write!(f, "{}", Hex(&self.to_bytes()))
    }
}

/// An encoded command APDU: wiped on drop because it may contain a PIN.
pub struct CommandBytes(Vec<u8>);

impl CommandBytes {
    /// The bytes to send.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl core::ops::Deref for CommandBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for CommandBytes {
    fn drop(&mut self) {
        wipe_vec(&mut self.0);
    }
}

impl fmt::Debug for CommandBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommandBytes(<{} bytes>)", self.0.len())
    }
}

/// A response APDU: the data and the status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// The response data (may be a certificate: never logged).
    pub data: Vec<u8>,
    /// SW1 SW2.
    pub sw: StatusWord,
}

impl Response {
    /// Splits raw response bytes into data and the trailing status word.
    pub fn from_bytes(raw: &[u8]) -> Result<Self, ApduError> {
        match raw {
            [data @ .., sw1, sw2] => Ok(Self {
                data: data.to_vec(),
                sw: StatusWord::from_u16(u16::from_be_bytes([*sw1, *sw2])),
            }),
            _ => Err(ApduError::ResponseTooShort),
        }
    }

    /// A response without data.
    pub fn status(sw: StatusWord) -> Self {
        Self {
            data: Vec::new(),
            sw,
        }
    }

    /// The raw bytes: data, then SW1 SW2.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.data.len() + 2);
        bytes.extend_from_slice(&self.data);
        bytes.extend_from_slice(&self.sw.to_u16().to_be_bytes());
        bytes
    }
}

/// `Debug`: the status word and the data length, never the data.
impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Response {{ sw: {:?}, data: <{} bytes> }}",
            self.sw,
            self.data.len()
        )
    }
}

/// `Display`: the trace-log form, `9000` or `9000 (256 bytes)`.
impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.sw)?;
        if !self.data.is_empty() {
            write!(f, " ({} bytes)", self.data.len())?;
        }
        Ok(())
    }
}

/// SW1 SW2 as the JPKI procedures interpret them (see jpki.md §1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusWord {
    /// 9000: success.
    Ok,
    /// 63Cx with x > 0: wrong PIN (or the answer to a tries query), x tries left.
    /// `tries_left` is 1..=15; only its low four bits are encoded.
    WrongPin {
        /// Tries left before the PIN blocks.
        tries_left: u8,
    },
    /// The PIN is blocked; reset it at the municipal office.
    PinBlocked(BlockedBy),
    /// 6982: security status not satisfied (PIN not verified).
    SecurityStatusNotSatisfied,
    /// 6986: command not allowed (no current EF, or the wrong kind of EF).
    CommandNotAllowed,
    /// 6A82: file or application not found.
    FileNotFound,
    /// 6A86: wrong P1/P2.
    WrongP1P2,
    /// 6A88: reference data (PIN) not found.
    ReferenceDataNotFound,
    /// 6700: wrong length.
    WrongLength,
    /// 6B00: offset beyond the end of the file.
    OffsetOutOfRange,
    /// 6D00: instruction not supported.
    InsNotSupported,
    /// 6E00: class not supported.
    ClaNotSupported,
    /// Any other status word, kept as is.
    Other(u16),
}

/// The three status words that mean a blocked PIN, kept apart so the word round-trips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockedBy {
    /// 63C0: a wrong PIN used the last try (or a tries query on a blocked PIN).
    NoTriesLeft,
    /// 6983: authentication method blocked.
    MethodBlocked,
    /// 6984: reference data not usable (what the JPKI AP answers to VERIFY when blocked).
    DataUnusable,
}

impl StatusWord {
    /// Interprets SW1 SW2 as one big-endian number.
    pub fn from_u16(sw: u16) -> Self {
        match sw {
            0x9000 => Self::Ok,
            0x63C0 => Self::PinBlocked(BlockedBy::NoTriesLeft),
            0x63C1..=0x63CF => Self::WrongPin {
                tries_left: (sw & 0x0F) as u8,
            },
            0x6983 => Self::PinBlocked(BlockedBy::MethodBlocked),
            0x6984 => Self::PinBlocked(BlockedBy::DataUnusable),
            0x6982 => Self::SecurityStatusNotSatisfied,
            0x6986 => Self::CommandNotAllowed,
            0x6A82 => Self::FileNotFound,
            0x6A86 => Self::WrongP1P2,
            0x6A88 => Self::ReferenceDataNotFound,
            0x6700 => Self::WrongLength,
            0x6B00 => Self::OffsetOutOfRange,
            0x6D00 => Self::InsNotSupported,
            0x6E00 => Self::ClaNotSupported,
            other => Self::Other(other),
        }
    }

    /// SW1 SW2 as one big-endian number.
    pub fn to_u16(self) -> u16 {
        match self {
            Self::Ok => 0x9000,
            Self::WrongPin { tries_left } => 0x63C0 | u16::from(tries_left & 0x0F),
            Self::PinBlocked(BlockedBy::NoTriesLeft) => 0x63C0,
            Self::PinBlocked(BlockedBy::MethodBlocked) => 0x6983,
            Self::PinBlocked(BlockedBy::DataUnusable) => 0x6984,
            Self::SecurityStatusNotSatisfied => 0x6982,
            Self::CommandNotAllowed => 0x6986,
            Self::FileNotFound => 0x6A82,
            Self::WrongP1P2 => 0x6A86,
            Self::ReferenceDataNotFound => 0x6A88,
            Self::WrongLength => 0x6700,
            Self::OffsetOutOfRange => 0x6B00,
            Self::InsNotSupported => 0x6D00,
            Self::ClaNotSupported => 0x6E00,
            Self::Other(sw) => sw,
        }
    }
}

/// `Display`: four upper-case hex digits, `6A82`.
impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.to_u16())
    }
}

/// Upper-case hex without separators.
struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPKI_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

    #[test]
    fn encodes_select_aid() {
        let bytes = Command::select_aid(&JPKI_AID).to_bytes();
        assert_eq!(
            *bytes,
            [
                0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00,
                0x01
            ]
        );
    }

    #[test]
    fn encodes_select_ef() {
        assert_eq!(
            *Command::select_ef(0x000A).to_bytes(),
            [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A]
        );
        assert_eq!(
            *Command::select_ef(0x1234).to_bytes(),
            [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x12, 0x34]
        );
    }

    #[test]
    fn encodes_read_binary() {
        let read = |offset, le| Command::read_binary(offset, le).map(|c| c.to_bytes().to_vec());
        assert_eq!(read(0, 0x00), Ok(vec![0x00, 0xB0, 0x00, 0x00, 0x00]));
        assert_eq!(read(0x0300, 0xAA), Ok(vec![0x00, 0xB0, 0x03, 0x00, 0xAA]));
        assert_eq!(read(0x7FFF, 0x01), Ok(vec![0x00, 0xB0, 0x7F, 0xFF, 0x01]));
        assert_eq!(
            read(0x8000, 0x00),
            Err(ApduError::OffsetTooLarge),
            "P1 bit 8 is SFI"
        );
    }

    #[test]
    fn encodes_verify_and_the_tries_query() {
        let verify = Command::verify(b"1234").expect("4 bytes fit");
        assert_eq!(
            *verify.to_bytes(),
            [0x00, 0x20, 0x00, 0x80, 0x04, 0x31, 0x32, 0x33, 0x34]
        );
        assert_eq!(
            *Command::verify_tries_query().to_bytes(),
            [0x00, 0x20, 0x00, 0x80]
        );
    }

    #[test]
    fn data_length_is_checked() {
        assert_eq!(Command::verify(&[]).err(), Some(ApduError::BadDataLength));
        assert_eq!(
            Command::verify(&[0x31; 256]).err(),
            Some(ApduError::BadDataLength)
        );
        let max = Command::new(0x80, 0x2A, 0x00, 0x80).with_data(vec![0x55; 255]);
        let bytes = max.expect("255 bytes fit").with_le(0x00).to_bytes();
        assert_eq!(bytes.len(), 4 + 1 + 255 + 1);
        assert_eq!((bytes[4], bytes[260]), (0xFF, 0x00));
    }

    #[test]
    fn verify_never_shows_the_pin() {
        let verify = Command::verify(b"1234").expect("4 bytes fit");
        let debug = format!("{verify:?}");
        let display = verify.to_string();
        for shown in [&debug, &display] {
            assert!(
                !shown.contains("31323334") && !shown.contains("1234"),
                "{shown}"
            );
            assert!(shown.contains("<4 bytes redacted>"), "{shown}");
        }
        assert_eq!(display, "00200080 VERIFY <4 bytes redacted>");
        assert!(!format!("{:?}", verify.to_bytes()).contains("31"));
    }

    #[test]
    fn other_commands_show_their_bytes() {
        assert_eq!(Command::select_ef(0x000A).to_string(), "00A4020C02000A");
        assert_eq!(Command::verify_tries_query().to_string(), "00200080");
        let debug = format!(
            "{:?}",
            Command::read_binary(0x0100, 0x00).expect("offset fits")
        );
        assert_eq!(debug, "Command { header: 00B00100, data: , le: 00 }");
    }

    #[test]
    fn wipe_zeroes_and_empties_the_data() {
        let mut verify = Command::verify(b"1234").expect("4 bytes fit");
        verify.wipe();
        assert!(verify.data().is_empty());
        assert_eq!(*verify.to_bytes(), [0x00, 0x20, 0x00, 0x80]);
    }

    #[test]
    fn parses_responses() {
        let r = Response::from_bytes(&[0x30, 0x82, 0x90, 0x00]).expect("4 bytes");
        assert_eq!(
            (r.data.as_slice(), r.sw),
            (&[0x30, 0x82][..], StatusWord::Ok)
        );
        let r = Response::from_bytes(&[0x6A, 0x82]).expect("2 bytes");
        assert_eq!((r.data.len(), r.sw), (0, StatusWord::FileNotFound));
        assert_eq!(
            Response::from_bytes(&[0x90]),
            Err(ApduError::ResponseTooShort)
        );
        assert_eq!(Response::from_bytes(&[]), Err(ApduError::ResponseTooShort));
    }

    #[test]
    fn response_round_trips_and_hides_its_data() {
        let r = Response {
            data: vec![0x30, 0x82, 0x03],
            sw: StatusWord::Ok,
        };
        assert_eq!(r.to_bytes(), [0x30, 0x82, 0x03, 0x90, 0x00]);
        assert_eq!(Response::from_bytes(&r.to_bytes()), Ok(r.clone()));
        assert_eq!(format!("{r:?}"), "Response { sw: Ok, data: <3 bytes> }");
        assert_eq!(r.to_string(), "9000 (3 bytes)");
        assert_eq!(
            Response::status(StatusWord::WrongPin { tries_left: 2 }).to_string(),
            "63C2"
        );
    }

    #[test]
    fn every_listed_status_word_round_trips() {
        use BlockedBy::*;
        use StatusWord::*;
        let table = [
            (0x9000, Ok),
            (0x63C1, WrongPin { tries_left: 1 }),
            (0x63C3, WrongPin { tries_left: 3 }),
            (0x63CF, WrongPin { tries_left: 15 }),
            (0x63C0, PinBlocked(NoTriesLeft)),
            (0x6983, PinBlocked(MethodBlocked)),
            (0x6984, PinBlocked(DataUnusable)),
            (0x6982, SecurityStatusNotSatisfied),
            (0x6986, CommandNotAllowed),
            (0x6A82, FileNotFound),
            (0x6A86, WrongP1P2),
            (0x6A88, ReferenceDataNotFound),
            (0x6700, WrongLength),
            (0x6B00, OffsetOutOfRange),
            (0x6D00, InsNotSupported),
            (0x6E00, ClaNotSupported),
            (0x6282, Other(0x6282)),
            (0x6981, Other(0x6981)),
        ];
        for (raw, sw) in table {
            assert_eq!(StatusWord::from_u16(raw), sw, "{raw:04X}");
            assert_eq!(sw.to_u16(), raw, "{sw:?}");
        }
        for raw in 0..=u16::MAX {
            assert_eq!(StatusWord::from_u16(raw).to_u16(), raw);
        }
    }
}
