//! The JPKI application procedures, over any [`CardChannel`].
//!
//! Byte-level reference: `jpki.md` §1. Each procedure starts by selecting the AP, so it
//! never depends on what another process left selected; a card reset in the middle (the
//! selection is lost) makes it start over once.

use super::apdu::{Command, Response, StatusWord};
use super::cert::{self, AuthCertificate, CertError};
use super::{CardChannel, CardError, TransportError};

/// DF name of the JPKI AP.
pub const JPKI_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];

/// EF 0001: the signature certificate (needs the signature password).
pub const EF_SIGN_CERT: u16 = 0x0001;
/// EF 0002: the signature CA certificate.
pub const EF_SIGN_CA_CERT: u16 = 0x0002;
/// EF 0006: the 32-byte token that names the card type.
pub const EF_TOKEN: u16 = 0x0006;
/// EF 000A: the user-authentication certificate (no PIN needed).
pub const EF_AUTH_CERT: u16 = 0x000A;
/// EF 000B: the user-authentication CA certificate.
pub const EF_AUTH_CA_CERT: u16 = 0x000B;
/// EF 0017: the user-authentication private key (select only; used by the signature command).
pub const EF_AUTH_KEY: u16 = 0x0017;
/// EF 0018: the user-authentication PIN (4 digits).
pub const EF_AUTH_PIN: u16 = 0x0018;
/// EF 001A: the signature private key.
pub const EF_SIGN_KEY: u16 = 0x001A;
/// EF 001B: the signature password (6 to 16 characters `A–Z0–9`).
pub const EF_SIGN_PIN: u16 = 0x001B;

/// Tries of the user-authentication PIN when unblocked.
pub const AUTH_PIN_MAX_TRIES: u8 = 3;
/// Tries of the signature password when unblocked.
pub const SIGN_PIN_MAX_TRIES: u8 = 5;

/// The token of a My Number Card, before its padding to 32 bytes.
pub const TOKEN_MY_NUMBER_CARD: &[u8] = b"JPKIAPICCTOKEN2";

/// The longest DER object a 15-bit READ BINARY offset can reach.
const MAX_DER_LEN: usize = 0x8000;
/// Bytes asked per READ BINARY (Le = 00).
const CHUNK: usize = 256;

/// Reads the user-authentication certificate (EF 000A) without a PIN.
///
/// Sends SELECT AP, SELECT EF, then READ BINARY in 256-byte chunks from offset 0: the
/// first chunk's DER header gives the length, the last READ asks exactly the remainder, and
/// bytes after the certificate in the EF are never read. A card reset restarts once.
pub fn read_auth_certificate<C>(ch: &mut C) -> Result<AuthCertificate, CardError>
where
    C: CardChannel + ?Sized,
{
    let cert = retry_after_reset(ch, |ch| {
        select_jpki(ch)?;
        select_ef(ch, EF_AUTH_CERT)?;
        let der = read_der_file(ch)?;
        AuthCertificate::from_der(der).map_err(|e| Fail::Card(CardError::BadCertificate(e)))
    })?;
    // The serial links to a person at the center: it stays out of the log.
    log::debug!(
        "read the authentication certificate, {} bytes",
        cert.der().len()
    );
    Ok(cert)
}

/// Tries left of the user-authentication PIN, without using one (`00 20 00 80` → 63Cx).
/// A blocked PIN (63C0, 6983, 6984) gives 0.
pub fn pin_tries_left<C>(ch: &mut C) -> Result<u8, CardError>
where
    C: CardChannel + ?Sized,
{
    retry_after_reset(ch, |ch| {
        select_jpki(ch)?;
        select_ef(ch, EF_AUTH_PIN)?;
        match exchange(ch, &Command::verify_tries_query())?.sw {
            StatusWord::WrongPin { tries_left } => Ok(tries_left),
            StatusWord::PinBlocked(_) => Ok(0),
            sw => Err(CardError::UnexpectedStatus(sw).into()),
        }
    })
}

/// Why one attempt at a procedure stopped: the transport (a reset is worth a retry) or
/// the card's answer.
#[derive(Debug)]
enum Fail {
    Transport(TransportError),
    Card(CardError),
}

impl From<TransportError> for Fail {
    fn from(e: TransportError) -> Self {
        Fail::Transport(e)
    }
}

impl From<CardError> for Fail {
    fn from(e: CardError) -> Self {
        Fail::Card(e)
    }
}

impl From<Fail> for CardError {
    fn from(f: Fail) -> Self {
        match f {
            Fail::Transport(e) => e.into(),
            Fail::Card(e) => e,
        }
    }
}

/// Runs `attempt`, and once more if the card was reset during it (the selection is lost).
fn retry_after_reset<C, T>(
    ch: &mut C,
    attempt: impl Fn(&mut C) -> Result<T, Fail>,
) -> Result<T, CardError>
where
    C: CardChannel + ?Sized,
{
    match attempt(ch) {
        Err(Fail::Transport(TransportError::CardReset)) => {
            log::debug!("card reset during the procedure; starting over");
            attempt(ch).map_err(CardError::from)
        }
        result => result.map_err(CardError::from),
    }
}

/// Sends one command, tracing both directions (never a PIN, never response data).
fn exchange<C>(ch: &mut C, command: &Command) -> Result<Response, TransportError>
where
    C: CardChannel + ?Sized,
{
    log::trace!(">>> {command}");
    let result = ch.transmit(command);
    match &result {
        Ok(response) => log::trace!("<<< {response}"),
        Err(e) => log::trace!("<<< {e:?}"),
    }
    result
}

/// SELECT the JPKI AP; a card without it (6A82) or that rejects the command (6D00, 6E00)
/// is not a My Number Card.
fn select_jpki<C>(ch: &mut C) -> Result<(), Fail>
where
    C: CardChannel + ?Sized,
{
    match exchange(ch, &Command::select_aid(&JPKI_AID))?.sw {
        StatusWord::Ok => Ok(()),
        StatusWord::FileNotFound | StatusWord::InsNotSupported | StatusWord::ClaNotSupported => {
            Err(CardError::NotMyNumberCard.into())
        }
        sw => Err(CardError::UnexpectedStatus(sw).into()),
    }
}

/// SELECT an EF of the JPKI AP.
fn select_ef<C>(ch: &mut C, fid: u16) -> Result<(), Fail>
where
    C: CardChannel + ?Sized,
{
    match exchange(ch, &Command::select_ef(fid))?.sw {
        StatusWord::Ok => Ok(()),
        sw => Err(CardError::UnexpectedStatus(sw).into()),
    }
}

/// Reads the DER object at the start of the current EF, exactly: ⌈N/256⌉ READ BINARY.
fn read_der_file<C>(ch: &mut C) -> Result<Vec<u8>, Fail>
where
    C: CardChannel + ?Sized,
{
    let bad = |e: CertError| Fail::Card(CardError::BadCertificate(e));
    let mut der = read_binary(ch, 0, CHUNK)?;
    let total = cert::der_total_len(&der).ok_or(bad(CertError::BadLength))?;
    if total > MAX_DER_LEN {
        return Err(bad(CertError::BadLength));
    }
    der.truncate(total);
    while der.len() < total {
        let want = (total - der.len()).min(CHUNK);
        let chunk = match read_binary(ch, der.len(), want) {
            Err(Fail::Card(CardError::UnexpectedStatus(StatusWord::OffsetOutOfRange))) => {
                return Err(bad(CertError::Truncated))
            }
            other => other?,
        };
        if chunk.is_empty() {
            return Err(bad(CertError::Truncated));
        }
        der.extend_from_slice(&chunk[..chunk.len().min(want)]);
    }
    Ok(der)
}

/// One READ BINARY of `len` (1..=256) bytes at `offset` of the current EF.
fn read_binary<C>(ch: &mut C, offset: usize, len: usize) -> Result<Vec<u8>, Fail>
where
    C: CardChannel + ?Sized,
{
    // Le 00 asks for 256 bytes; `len % 256` is below 256, so the cast keeps every bit.
    let le = (len % CHUNK) as u8;
    let command = u16::try_from(offset)
        .ok()
        .and_then(|offset| Command::read_binary(offset, le).ok())
        .ok_or(Fail::Card(CardError::BadCertificate(CertError::BadLength)))?;
    let response = exchange(ch, &command)?;
    match response.sw {
        StatusWord::Ok => Ok(response.data),
        sw => Err(CardError::UnexpectedStatus(sw).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Answers from a script and records every command sent.
    struct Scripted {
        replies: VecDeque<Result<Vec<u8>, TransportError>>,
        sent: Vec<Vec<u8>>,
    }

    impl Scripted {
        fn new(replies: Vec<Result<Vec<u8>, TransportError>>) -> Self {
            Self {
                replies: replies.into(),
                sent: Vec::new(),
            }
        }
    }

    impl CardChannel for Scripted {
        fn transmit(&mut self, command: &Command) -> Result<Response, TransportError> {
            self.sent.push(command.to_bytes().to_vec());
            let reply = self.replies.pop_front().expect("the script has a reply")?;
            Ok(Response::from_bytes(&reply).expect("scripted replies have a status word"))
        }
    }

    const OK: [u8; 2] = [0x90, 0x00];

    fn sw(sw: u16) -> Result<Vec<u8>, TransportError> {
        Ok(sw.to_be_bytes().to_vec())
    }

    fn data_ok(data: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok([data, &OK].concat())
    }

    #[test]
    fn select_ap_not_found_means_not_a_my_number_card() {
        for code in [0x6A82, 0x6D00, 0x6E00] {
            let mut ch = Scripted::new(vec![sw(code)]);
            assert_eq!(
                read_auth_certificate(&mut ch),
                Err(CardError::NotMyNumberCard)
            );
            assert_eq!(ch.sent.len(), 1, "stops after SELECT AP");
        }
    }

    #[test]
    fn other_select_failures_are_unexpected_statuses() {
        let mut ch = Scripted::new(vec![sw(0x6A86)]);
        let expected = CardError::UnexpectedStatus(StatusWord::WrongP1P2);
        assert_eq!(read_auth_certificate(&mut ch), Err(expected));
        let mut ch = Scripted::new(vec![sw(0x9000), sw(0x6A82)]);
        let expected = CardError::UnexpectedStatus(StatusWord::FileNotFound);
        assert_eq!(read_auth_certificate(&mut ch), Err(expected));
    }

    #[test]
    fn sends_the_documented_apdus() {
        let mut ch = Scripted::new(vec![sw(0x9000), sw(0x9000), data_ok(&[0x30, 0x00])]);
        // `30 00` is a complete (if empty) DER object, but not a certificate.
        let result = read_auth_certificate(&mut ch);
        assert_eq!(result, Err(CardError::BadCertificate(CertError::Truncated)));
        assert_eq!(
            ch.sent,
            [
                &[
                    0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00,
                    0x00, 0x01
                ][..],
                &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A],
                &[0x00, 0xB0, 0x00, 0x00, 0x00],
            ]
        );
    }

    #[test]
    fn an_erased_or_oversized_file_is_a_bad_certificate() {
        let bad_length = Err(CardError::BadCertificate(CertError::BadLength));
        for first in [vec![0xFF; 256], vec![0x30, 0x82, 0x80, 0x00], vec![]] {
            let mut ch = Scripted::new(vec![sw(0x9000), sw(0x9000), data_ok(&first)]);
            assert_eq!(
                read_auth_certificate(&mut ch),
                bad_length,
                "{:02X?}",
                &first[..2.min(first.len())]
            );
            assert_eq!(ch.sent.len(), 3, "no further READ");
        }
    }

    #[test]
    fn a_file_shorter_than_its_header_says_is_truncated() {
        let first = [&[0x30, 0x82, 0x01, 0x10][..], &[0x00; 252]].concat();
        for rest in [sw(0x6B00), data_ok(&[])] {
            let mut ch = Scripted::new(vec![sw(0x9000), sw(0x9000), data_ok(&first), rest]);
            let result = read_auth_certificate(&mut ch);
            assert_eq!(result, Err(CardError::BadCertificate(CertError::Truncated)));
        }
    }

    #[test]
    fn removal_is_reported_without_retry() {
        let mut ch = Scripted::new(vec![sw(0x9000), Err(TransportError::CardRemoved)]);
        assert_eq!(read_auth_certificate(&mut ch), Err(CardError::CardRemoved));
        assert_eq!(ch.sent.len(), 2);
    }

    #[test]
    fn tries_left_come_from_63cx() {
        let query = [0x00, 0x20, 0x00, 0x80];
        for (code, tries) in [
            (0x63C3, 3),
            (0x63C1, 1),
            (0x63C0, 0),
            (0x6983, 0),
            (0x6984, 0),
        ] {
            let mut ch = Scripted::new(vec![sw(0x9000), sw(0x9000), sw(code)]);
            assert_eq!(pin_tries_left(&mut ch), Ok(tries), "{code:04X}");
            assert_eq!(ch.sent[1], [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18]);
            assert_eq!(ch.sent[2], query);
        }
        let mut ch = Scripted::new(vec![sw(0x9000), sw(0x9000), sw(0x9000)]);
        assert_eq!(
            pin_tries_left(&mut ch),
            Err(CardError::UnexpectedStatus(StatusWord::Ok))
        );
    }

    #[test]
    fn tries_query_restarts_once_after_a_reset() {
        let reset = Err(TransportError::CardReset);
        let replies = vec![sw(0x9000), reset, sw(0x9000), sw(0x9000), sw(0x63C2)];
        let mut ch = Scripted::new(replies);
        assert_eq!(pin_tries_left(&mut ch), Ok(2));
        assert_eq!(ch.sent[2], ch.sent[0], "re-selects the AP");
    }

    #[cfg(feature = "demo")]
    mod against_the_virtual_card {
        use super::super::*;
        use crate::card::virtual_card::{demo_cards, VirtualCard};

        const TARO: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");

        /// Passes commands to a card, records them, and resets the card on chosen calls.
        struct Probe {
            card: VirtualCard,
            sent: Vec<Vec<u8>>,
            reset_on: Vec<usize>,
        }

        impl Probe {
            fn new(card: VirtualCard) -> Self {
                let mut card = card;
                card.power_on();
                Self {
                    card,
                    sent: Vec::new(),
                    reset_on: Vec::new(),
                }
            }

            fn count(&self, ins: u8) -> usize {
                self.sent.iter().filter(|c| c[1] == ins).count()
            }

            fn reads(&self) -> Vec<&[u8]> {
                self.sent
                    .iter()
                    .filter(|c| c[1] == 0xB0)
                    .map(Vec::as_slice)
                    .collect()
            }
        }

        impl CardChannel for Probe {
            fn transmit(&mut self, command: &Command) -> Result<Response, TransportError> {
                let call = self.sent.len();
                self.sent.push(command.to_bytes().to_vec());
                if self.reset_on.contains(&call) {
                    self.card.reset();
                    return Err(TransportError::CardReset);
                }
                self.card.transmit(command)
            }
        }

        fn taro_card() -> VirtualCard {
            demo_cards()[0].insert()
        }

        /// A DER SEQUENCE of `total` bytes (minimal header, any form) with filler content.
        fn der_blob(total: usize) -> Vec<u8> {
            let mut blob = match total {
                ..=0x81 => vec![0x30, (total - 2) as u8],
                0x82..=0x102 => vec![0x30, 0x81, (total - 3) as u8],
                _ => vec![0x30, 0x82, ((total - 4) >> 8) as u8, (total - 4) as u8],
            };
            let header_len = blob.len();
            blob.extend((header_len..total).map(|i| i as u8));
            blob
        }

        #[test]
        fn reads_the_certificate_in_exactly_two_selects_and_ceil_n_over_256_reads() {
            let mut probe = Probe::new(taro_card());
            let cert = read_auth_certificate(&mut probe).expect("taro reads");
            assert_eq!(cert.der(), TARO);
            assert_eq!(cert.serial_hex(), "0705D990");
            assert_eq!(probe.count(0xA4), 2);
            assert_eq!(probe.count(0xB0), TARO.len().div_ceil(256));
            assert_eq!(probe.sent.len(), 2 + TARO.len().div_ceil(256));
        }

        #[test]
        fn reads_consecutive_chunks_and_asks_the_exact_remainder_last() {
            let mut probe = Probe::new(taro_card());
            read_auth_certificate(&mut probe).expect("taro reads");
            // 938 bytes: 256 + 256 + 256 + 170 (0xAA).
            assert_eq!(
                probe.reads(),
                [
                    &[0x00, 0xB0, 0x00, 0x00, 0x00][..],
                    &[0x00, 0xB0, 0x01, 0x00, 0x00],
                    &[0x00, 0xB0, 0x02, 0x00, 0x00],
                    &[0x00, 0xB0, 0x03, 0x00, 0xAA],
                ]
            );
        }

        #[test]
        fn stops_at_the_der_length_when_the_file_is_longer() {
            let mut card = taro_card();
            card.write_file(EF_AUTH_CERT, [TARO, &[0x5A; 300]].concat());
            let mut probe = Probe::new(card);
            let cert = read_auth_certificate(&mut probe).expect("taro reads");
            assert_eq!(cert.der(), TARO);
            assert_eq!(probe.count(0xB0), 4);
            assert_eq!(probe.reads()[3][4], 0xAA);
        }

        #[test]
        fn chunking_holds_at_every_boundary() {
            // (No DER object is 0x82 or 0x103 bytes long: both lengths need a non-minimal header.)
            for total in [
                2, 5, 0x81, 0x83, 0x102, 0x104, 255, 256, 257, 511, 512, 513, 1319, 0x7FFF,
            ] {
                let blob = der_blob(total);
                assert_eq!(cert::der_total_len(&blob), Some(total));
                let mut card = taro_card();
                card.write_file(EF_AUTH_CERT, [&blob[..], &[0xEE; 40]].concat());
                let mut probe = Probe::new(card);
                select_jpki(&mut probe).expect("selects");
                select_ef(&mut probe, EF_AUTH_CERT).expect("selects");
                let der = read_der_file(&mut probe).expect("reads");
                assert_eq!(der, blob, "{total}");
                let reads = probe.reads();
                assert_eq!(reads.len(), total.div_ceil(256), "{total}");
                for (i, read) in reads.iter().enumerate() {
                    let offset = usize::from(u16::from_be_bytes([read[2], read[3]]));
                    assert_eq!(offset, i * 256, "{total}: consecutive chunks");
                    // The first READ sizes the object, so it asks 256 even for a small one;
                    // every later one asks 256 or, last, exactly the remainder.
                    let asked = if i == 0 {
                        256
                    } else {
                        (total - offset).min(256)
                    };
                    assert_eq!(read[4], (asked % 256) as u8, "{total}: read {i}");
                }
            }
        }

        #[test]
        fn a_reset_restarts_the_read_once() {
            for call in [0, 1, 2, 4] {
                let mut probe = Probe::new(taro_card());
                probe.reset_on = vec![call];
                let cert = read_auth_certificate(&mut probe).expect("retried read");
                assert_eq!(cert.der(), TARO);
                assert_eq!(
                    probe.sent[call + 1],
                    probe.sent[0],
                    "re-selects the AP first"
                );
                assert_eq!(
                    probe.sent.len(),
                    call + 1 + 6,
                    "one full read after the reset"
                );
            }
        }

        #[test]
        fn a_second_reset_is_an_error() {
            let mut probe = Probe::new(taro_card());
            probe.reset_on = vec![3, 5];
            assert_eq!(
                read_auth_certificate(&mut probe),
                Err(CardError::ReaderFault)
            );
            assert_eq!(probe.sent.len(), 6, "no third attempt");
        }

        #[test]
        fn a_card_without_the_jpki_ap_is_not_a_my_number_card() {
            let mut probe = Probe::new(VirtualCard::not_jpki());
            assert_eq!(
                read_auth_certificate(&mut probe),
                Err(CardError::NotMyNumberCard)
            );
        }

        #[test]
        fn reads_the_pin_tries() {
            let mut probe = Probe::new(taro_card());
            assert_eq!(pin_tries_left(&mut probe), Ok(AUTH_PIN_MAX_TRIES));
        }
    }
}

/// What the PIN flow proves: the certificate and the card's signature over the challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinAuthentication {
    /// The user-authentication certificate.
    pub certificate: AuthCertificate,
    /// The card's RSA signature (256 bytes) over the challenge.
    pub signature: Vec<u8>,
}
