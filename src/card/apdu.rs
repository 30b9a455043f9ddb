//! Command and response APDUs (ISO 7816-4: short length encoding by default, extended on
//! request) and the status words the JPKI application answers with.
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
/// INS of COMPUTE DIGITAL SIGNATURE (JPKI: proprietary class `80`).
pub const INS_COMPUTE_DIGITAL_SIGNATURE: u8 = 0x2A;
/// CLA of the JPKI's proprietary commands (the signature).
pub const CLA_PROPRIETARY: u8 = 0x80;

/// The most command data a short APDU carries (Lc is one byte).
pub const MAX_SHORT_DATA: usize = 0xFF;
/// The most response data a short APDU asks for (Le `00`).
pub const MAX_SHORT_NE: usize = 0x100;
/// The most command data an extended APDU carries (Lc is `00 hi lo`).
pub const MAX_EXTENDED_DATA: usize = 0xFFFF;
/// The most response data an extended APDU asks for (Le `00 00`, or `00 00 00` without data).
pub const MAX_EXTENDED_NE: usize = 0x1_0000;

/// The highest offset READ BINARY can address (P1 bit 8 clear: a 15-bit offset).
pub const MAX_READ_OFFSET: u16 = 0x7FFF;

/// Why a command could not be built or a response could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApduError {
    /// Command data is empty where it is required, or longer than the encoding carries
    /// (255 bytes short, 65,535 extended).
    BadDataLength,
    /// An expected response length of 0, or above what the encoding asks for (256 short,
    /// 65,536 extended).
    BadExpectedLength,
    /// A READ BINARY offset above [`MAX_READ_OFFSET`].
    OffsetTooLarge,
    /// A response shorter than its two status bytes.
    ResponseTooShort,
}

/// A command APDU. Data is wiped on drop; PIN data is never printed.
///
/// Lengths use the short encoding (Lc and Le one byte each) unless the command was made with
/// [`Command::extended`]: then Lc is `00 hi lo` and Le two bytes (three, `00 hi lo`, when there
/// is no data), ISO 7816-4 cases 2E, 3E and 4E.
pub struct Command {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: Vec<u8>,
    /// Ne: the number of response bytes expected (1 to 256 short, 1 to 65,536 extended).
    ne: Option<usize>,
    extended: bool,
}

impl Command {
    /// A command with no data and no Le (ISO case 1), short length encoding.
    pub const fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            ne: None,
            extended: false,
        }
    }

    /// A command with no data and no Le that encodes its lengths in the extended form once
    /// they are set (up to 65,535 data bytes and 65,536 expected response bytes).
    pub const fn extended(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            ne: None,
            extended: true,
        }
    }

    /// Whether lengths are encoded in the extended form.
    pub fn is_extended(&self) -> bool {
        self.extended
    }

    /// Sets the command data (1 to 255 bytes, or 65,535 extended), taking ownership so no
    /// copy is left behind.
    pub fn with_data(mut self, mut data: Vec<u8>) -> Result<Self, ApduError> {
        let max = if self.extended {
            MAX_EXTENDED_DATA
        } else {
            MAX_SHORT_DATA
        };
        if data.is_empty() || data.len() > max {
            wipe_vec(&mut data);
            return Err(ApduError::BadDataLength);
        }
        wipe_vec(&mut self.data);
        self.data = data;
        Ok(self)
    }

    /// Sets the Le byte: the number of response bytes expected, `0x00` meaning 256.
    pub fn with_le(mut self, le: u8) -> Self {
        self.ne = Some(if le == 0 {
            MAX_SHORT_NE
        } else {
            usize::from(le)
        });
        self
    }

    /// Sets Ne, the number of response bytes expected: 1 to 256, or 1 to 65,536 extended.
    pub fn with_ne(mut self, ne: usize) -> Result<Self, ApduError> {
        let max = if self.extended {
            MAX_EXTENDED_NE
        } else {
            MAX_SHORT_NE
        };
        if ne == 0 || ne > max {
            return Err(ApduError::BadExpectedLength);
        }
        self.ne = Some(ne);
        Ok(self)
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
            ne: None,
            extended: false,
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
            ne: None,
            extended: false,
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

    /// COMPUTE DIGITAL SIGNATURE with the key of the current EF: `80 2A 00 80 Lc data 00`;
    /// `data` is the DigestInfo (1 to 255 bytes), the card pads and signs it.
    pub fn compute_digital_signature(data: Vec<u8>) -> Result<Self, ApduError> {
        Ok(
            Self::new(CLA_PROPRIETARY, INS_COMPUTE_DIGITAL_SIGNATURE, 0x00, 0x80)
                .with_data(data)?
                .with_le(0x00),
        )
    }

    /// CLA, INS, P1 and P2.
    pub fn header(&self) -> [u8; 4] {
        [self.cla, self.ins, self.p1, self.p2]
    }

    /// The command data (empty if none).
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The short Le byte (`0x00` for 256), if the command expects at most 256 response bytes.
    pub fn le(&self) -> Option<u8> {
        // `ne % 256` is below 256, so the cast keeps every bit; 256 encodes as 00.
        self.ne
            .filter(|&ne| ne <= MAX_SHORT_NE)
            .map(|ne| (ne % MAX_SHORT_NE) as u8)
    }

    /// Ne: the number of response bytes expected, if any.
    pub fn ne(&self) -> Option<usize> {
        self.ne
    }

    /// Whether the data is a secret (a PIN) and must never be shown.
    pub fn is_secret(&self) -> bool {
        matches!(
            self.ins,
            INS_VERIFY | INS_CHANGE_REFERENCE_DATA | INS_RESET_RETRY_COUNTER
        )
    }

    /// The encoding: header, then `Lc data` if there is data, then `Le` if set; short or
    /// extended lengths as the command was made.
    pub fn to_bytes(&self) -> CommandBytes {
        let mut bytes = Vec::with_capacity(4 + 3 + self.data.len() + 3);
        bytes.extend_from_slice(&self.header());
        if self.extended {
            self.encode_extended_lengths(&mut bytes);
        } else {
            if !self.data.is_empty() {
                // `with_data` keeps short data within 1..=255 bytes, so the length fits Lc.
                bytes.push(self.data.len() as u8);
                bytes.extend_from_slice(&self.data);
            }
            bytes.extend(self.le());
        }
        CommandBytes(bytes)
    }

    /// Cases 2E (`00 Le1 Le2`), 3E (`00 Lc1 Lc2 data`) and 4E (`00 Lc1 Lc2 data Le1 Le2`);
    /// Ne 65,536 encodes as `00 00`.
    fn encode_extended_lengths(&self, bytes: &mut Vec<u8>) {
        // `with_ne` keeps Ne within 1..=65,536, so `ne % 65,536` fits two bytes and 65,536
        // becomes 00 00 as ISO 7816-4 wants.
        let le = self
            .ne
            .map(|ne| ((ne % MAX_EXTENDED_NE) as u16).to_be_bytes());
        if !self.data.is_empty() {
            // `with_data` keeps extended data within 1..=65,535 bytes, so the length fits Lc.
            bytes.push(0x00);
            bytes.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
            bytes.extend_from_slice(&self.data);
            if let Some(le) = le {
                bytes.extend_from_slice(&le);
            }
        } else if let Some(le) = le {
            bytes.push(0x00);
            bytes.extend_from_slice(&le);
        }
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
        match (self.le(), self.ne) {
            (Some(le), _) if !self.extended => write!(f, ", le: {le:02X} }}"),
            (_, Some(ne)) => write!(f, ", ne: {ne}, extended }}"),
            (_, None) if self.extended => write!(f, ", le: none, extended }}"),
            (_, None) => write!(f, ", le: none }}"),
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
    fn short_is_the_default_encoding() {
        let read = Command::read_binary(0, 0x00).expect("offset fits");
        assert!(!read.is_extended());
        assert_eq!(read.ne(), Some(256));
        assert_eq!(read.le(), Some(0x00));
        let read = Command::new(0x00, 0xB0, 0x00, 0x00)
            .with_ne(7)
            .expect("7 fits short");
        assert_eq!(*read.to_bytes(), [0x00, 0xB0, 0x00, 0x00, 0x07]);
        assert_eq!(
            Command::new(0x00, 0xB0, 0, 0).with_ne(257).err(),
            Some(ApduError::BadExpectedLength),
            "short Le stops at 256"
        );
        assert_eq!(
            Command::new(0x00, 0xB0, 0, 0).with_ne(0).err(),
            Some(ApduError::BadExpectedLength)
        );
    }

    #[test]
    fn encodes_extended_case_1_and_2e() {
        let case1 = Command::extended(0x00, 0x20, 0x00, 0x80);
        assert!(case1.is_extended());
        assert_eq!(
            *case1.to_bytes(),
            [0x00, 0x20, 0x00, 0x80],
            "no length fields"
        );
        // jsapdu's whole-file READ by SFI: Le 00 00 00 asks for 65,536 bytes.
        let read = Command::extended(0x00, 0xB0, 0x8A, 0x00)
            .with_ne(65_536)
            .expect("65,536 fits extended");
        assert_eq!(*read.to_bytes(), [0x00, 0xB0, 0x8A, 0x00, 0x00, 0x00, 0x00]);
        let read = Command::extended(0x00, 0xB0, 0x00, 0x00)
            .with_ne(0x0356)
            .expect("fits");
        assert_eq!(*read.to_bytes(), [0x00, 0xB0, 0x00, 0x00, 0x00, 0x03, 0x56]);
        let read = Command::extended(0x00, 0xB0, 0x00, 0x00).with_le(0x00);
        assert_eq!(
            *read.to_bytes(),
            [0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00],
            "Le 00 is 256, two bytes"
        );
        assert_eq!(
            Command::extended(0x00, 0xB0, 0, 0).with_ne(65_537).err(),
            Some(ApduError::BadExpectedLength)
        );
    }

    #[test]
    fn encodes_extended_case_3e_and_4e() {
        let data = vec![0x5A; 300];
        let case3 = Command::extended(0x00, 0xD6, 0x00, 0x00)
            .with_data(data.clone())
            .expect("300 bytes fit extended");
        let bytes = case3.to_bytes();
        assert_eq!(bytes[..7], [0x00, 0xD6, 0x00, 0x00, 0x00, 0x01, 0x2C]);
        assert_eq!(bytes[7..], data[..]);
        let case4 = Command::extended(0x80, 0x2A, 0x00, 0x80)
            .with_data(vec![0x01, 0x02, 0x03])
            .expect("fits")
            .with_ne(256)
            .expect("fits");
        assert_eq!(
            *case4.to_bytes(),
            [0x80, 0x2A, 0x00, 0x80, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03, 0x01, 0x00],
            "Le has no leading 00 after data"
        );
        let max = Command::extended(0x00, 0xD6, 0, 0)
            .with_data(vec![0; 65_535])
            .expect("65,535 fits")
            .with_ne(65_536)
            .expect("fits");
        let bytes = max.to_bytes();
        assert_eq!(bytes.len(), 4 + 3 + 65_535 + 2);
        assert_eq!(bytes[4..7], [0x00, 0xFF, 0xFF]);
        assert_eq!(bytes[bytes.len() - 2..], [0x00, 0x00]);
        assert_eq!(
            Command::extended(0x00, 0xD6, 0, 0)
                .with_data(vec![0; 65_536])
                .err(),
            Some(ApduError::BadDataLength)
        );
        assert_eq!(
            Command::new(0x00, 0xD6, 0, 0).with_data(vec![0; 256]).err(),
            Some(ApduError::BadDataLength),
            "short stops at 255"
        );
    }

    #[test]
    fn extended_commands_show_their_form() {
        let read = Command::extended(0x00, 0xB0, 0x00, 0x00)
            .with_ne(1000)
            .expect("fits");
        assert_eq!(
            format!("{read:?}"),
            "Command { header: 00B00000, data: , ne: 1000, extended }"
        );
        assert_eq!(read.to_string(), "00B000000003E8");
        assert_eq!(read.le(), None, "no short Le for 1000 bytes");
        let pin = Command::extended(0x00, 0x20, 0x00, 0x80)
            .with_data(b"1234".to_vec())
            .expect("fits");
        assert_eq!(pin.to_string(), "00200080 VERIFY <4 bytes redacted>");
        assert!(!format!("{pin:?}").contains("31"));
    }

    #[test]
    fn encodes_the_signature_command() {
        let digest_info = vec![0x30; 51];
        let sign = Command::compute_digital_signature(digest_info).expect("51 bytes fit");
        let bytes = sign.to_bytes();
        assert_eq!(bytes[..5], [0x80, 0x2A, 0x00, 0x80, 0x33]);
        assert_eq!(bytes.len(), 5 + 51 + 1);
        assert_eq!(bytes[56], 0x00, "Le 00");
        assert_eq!(
            Command::compute_digital_signature(Vec::new()).err(),
            Some(ApduError::BadDataLength)
        );
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
