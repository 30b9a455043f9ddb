//! The JPKI application procedures, over any [`CardChannel`].
//!
//! Byte-level reference: `jpki.md` §1. Each procedure starts by selecting the AP, so it
//! never depends on what another process left selected; a card reset in the middle (the
//! selection and any PIN verification are lost) makes it start over once.

use core::fmt;

use ring::digest;
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

use super::apdu::{Command, Response, StatusWord};
use super::cert::{self, AuthCertificate, CertError};
use super::{CardChannel, CardError, TransportError};

mod holders;
pub use holders::{
    authenticate_on_phone, holder, last_command, read_certificate, read_certificate_with_pin,
    Holder, PinHolder, INS_LAST_COMMAND, TOKEN_ANDROID, TOKEN_CARD, TOKEN_IPHONE, TOKEN_NAME_LEN,
};

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
pub const TOKEN_MY_NUMBER_CARD: &[u8] = TOKEN_CARD;

/// Digits in the user-authentication PIN.
pub const AUTH_PIN_LEN: usize = 4;

/// Bytes in a signature of the card's RSA-2048 keys.
pub const SIGNATURE_LEN: usize = 256;

/// DER of a SHA-256 DigestInfo up to the hash: `SEQUENCE { SEQUENCE { sha256, NULL },
/// OCTET STRING (32 bytes) }` (RFC 8017 §9.2 note 1).
pub const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// Bytes in a SHA-256 DigestInfo: the data of the signature command (Lc = 0x33).
pub const SHA256_DIGEST_INFO_LEN: usize = 51;

/// A signature made by the card's user-authentication key: RSASSA-PKCS1-v1_5 with SHA-256,
/// exactly [`SIGNATURE_LEN`] bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature([u8; SIGNATURE_LEN]);

impl Signature {
    /// The signature bytes (big-endian, as the card answered them).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Takes `bytes` as a signature if they are exactly [`SIGNATURE_LEN`] long.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; SIGNATURE_LEN]>::try_from(bytes).ok().map(Self)
    }

    /// Whether this is a valid RSASSA-PKCS1-v1_5 / SHA-256 signature of `challenge` by the
    /// key of `certificate` (what the center checks; the certificate itself is not checked).
    pub fn verifies(&self, certificate: &AuthCertificate, challenge: &[u8]) -> bool {
        certificate.subject_public_key().is_some_and(|key| {
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
                .verify(challenge, &self.0)
                .is_ok()
        })
    }
}

/// `Debug`: the length only.
impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature(<{} bytes>)", self.0.len())
    }
}

/// What a PIN flow proves: the certificate of the card and its signature over the challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinAuthentication {
    /// The user-authentication certificate (EF 000A) of the card that signed.
    pub certificate: AuthCertificate,
    /// The card's signature over the challenge.
    pub signature: Signature,
}

/// The SHA-256 DigestInfo of `message`: the data the card signs.
pub fn sha256_digest_info(message: &[u8]) -> [u8; SHA256_DIGEST_INFO_LEN] {
    let mut info = [0u8; SHA256_DIGEST_INFO_LEN];
    let (prefix, hash) = info.split_at_mut(SHA256_DIGEST_INFO_PREFIX.len());
    prefix.copy_from_slice(&SHA256_DIGEST_INFO_PREFIX);
    hash.copy_from_slice(digest::digest(&digest::SHA256, message).as_ref());
    info
}

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
        read_certificate_file(ch)
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

/// Verifies the user-authentication PIN: SELECT AP, SELECT EF 0018, the tries query (no try
/// used), VERIFY.
///
/// `pin` must be exactly 4 ASCII digits, or [`CardError::PinFormat`] is returned without
/// any APDU. A blocked PIN is reported before the PIN is sent. Afterwards the PIN stays
/// verified on the card until the AP is selected again or the card is reset, so a
/// [`sign_challenge`] on the same channel can follow. A reset restarts once with the same
/// PIN, unless the reset hid whether the card counted a wrong PIN (see [`authenticate`]).
pub fn verify_pin<C>(ch: &mut C, pin: &[u8]) -> Result<(), CardError>
where
    C: CardChannel + ?Sized,
{
    check_pin_format(pin)?;
    let mut verifier = PinVerifier::new(pin);
    retry_after_reset(ch, |ch| {
        select_jpki(ch)?;
        verifier.verify(ch)
    })
}

/// Has the card sign `challenge` with its user-authentication key: SELECT EF 0017, then
/// `80 2A 00 80 33 <SHA-256 DigestInfo of challenge> 00`.
///
/// Needs the PIN verified on this channel just before ([`verify_pin`]); without it the card
/// answers 6982 and this returns [`CardError::PinRequired`]. The AP is not selected again
/// (that would end the verification), and a reset cannot be retried here for the same
/// reason: it also gives `PinRequired`. [`authenticate`] runs the whole flow instead.
pub fn sign_challenge<C>(ch: &mut C, challenge: &[u8]) -> Result<Signature, CardError>
where
    C: CardChannel + ?Sized,
{
    let digest_info = sha256_digest_info(challenge);
    let result = match select_ef(ch, EF_AUTH_KEY) {
        // No AP selected in this session (6986): no PIN can have been verified either.
        Err(Fail::Card(CardError::UnexpectedStatus(StatusWord::CommandNotAllowed))) => {
            Err(Fail::Card(CardError::PinRequired))
        }
        Err(f) => Err(f),
        Ok(()) => sign_current_key(ch, &digest_info),
    };
    result.map_err(|f| match f {
        Fail::Transport(TransportError::CardReset) => CardError::PinRequired,
        f => f.into(),
    })
}

/// Which card answered: a digest of the first block of its 利用者証明用電子証明書 (its
/// serial number and issuer are there), so two cards never share one. Not secret, but not
/// logged either (the serial links to a person at the center).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CardIdentity([u8; 32]);

impl core::fmt::Debug for CardIdentity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("CardIdentity(..)")
    }
}

impl CardIdentity {
    /// The identity of a card whose certificate file begins with `first_block`.
    pub fn of(first_block: &[u8]) -> CardIdentity {
        let d = ring::digest::digest(&ring::digest::SHA256, first_block);
        let mut id = [0u8; 32];
        id.copy_from_slice(d.as_ref());
        CardIdentity(id)
    }
}

/// The PIN's tries left (or that the holder takes none at the kiosk) and the holder that
/// said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinStatus {
    /// The holder and its tries.
    pub pin: PinHolder,
    /// The card (or phone).
    pub card: CardIdentity,
}

impl PinStatus {
    /// Tries left of a PIN typed at the kiosk (0 when blocked); `None` for an iPhone.
    pub fn tries(&self) -> Option<u8> {
        self.pin.tries()
    }
}

/// The first block of the certificate file: SELECT EF 000A, one READ BINARY.
fn identity<C>(ch: &mut C) -> Result<CardIdentity, Fail>
where
    C: CardChannel + ?Sized,
{
    select_ef(ch, EF_AUTH_CERT)?;
    let block = read_binary(ch, 0, CHUNK)?;
    Ok(CardIdentity::of(&block))
}

/// The PIN's tries left, without using one, and which holder answered: SELECT AP, the
/// token (EF 0006), then per holder as [`holders::pin_status`] says (a card: SELECT EF 000A,
/// READ BINARY of the certificate's first block, SELECT EF 0018, the tries query).
pub fn pin_status<C>(ch: &mut C) -> Result<PinStatus, CardError>
where
    C: CardChannel + ?Sized,
{
    holders::pin_status(ch)
}

/// [`authenticate`] on `card` only: SELECT AP, the token (EF 0006) and the certificate's
/// first block are read and compared before anything else, and another card gets nothing
/// ([`CardError::CardChanged`]; no PIN sent, no try spent). An Android phone's flow reads
/// its certificate before it logs out; an iPhone gets no PIN ([`authenticate_on_phone`]).
pub fn authenticate_card<C>(
    ch: &mut C,
    pin: &[u8],
    challenge: &[u8],
    card: &CardIdentity,
) -> Result<PinAuthentication, CardError>
where
    C: CardChannel + ?Sized,
{
    holders::authenticate_holder(ch, pin, challenge, card)
}

/// The whole PIN flow in one session: SELECT AP, SELECT EF 0018, tries query, VERIFY,
/// SELECT EF 0017, SIGN, then SELECT AP again (which ends the verification) and the
/// certificate read of [`read_auth_certificate`].
///
/// `pin` must be exactly 4 ASCII digits ([`CardError::PinFormat`], nothing sent). Wrong PIN:
/// [`CardError::WrongPin`] with the tries left; blocked: [`CardError::PinBlocked`] (known
/// from the tries query, so the PIN is not sent). If anything fails after the PIN was
/// verified, the AP is selected again so the card does not stay verified.
///
/// A card reset restarts the flow once from SELECT AP with the same PIN. If the reset hid
/// the answer to VERIFY, the tries query of the restart tells whether the card counted a
/// wrong PIN: then the flow stops with `WrongPin` rather than spend a second try.
pub fn authenticate<C>(
    ch: &mut C,
    pin: &[u8],
    challenge: &[u8],
) -> Result<PinAuthentication, CardError>
where
    C: CardChannel + ?Sized,
{
    check_pin_format(pin)?;
    let result = pin_flow(ch, pin, challenge, CertificateRead::AfterLogOut);
    match &result {
        Ok(_) => log::debug!("PIN flow done: verified, signed, certificate read"),
        Err(e) => log::debug!("PIN flow failed: {e:?}"),
    }
    result
}

/// When the PIN flow reads the holder's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CertificateRead {
    /// After SELECT AP has ended the verification: a card's certificate is free to read.
    AfterLogOut,
    /// While the PIN is verified, then SELECT AP: an Android phone's is readable only then.
    WhileVerified,
}

/// SELECT AP, the tries query, VERIFY, SELECT EF 0017, SIGN and the certificate read, with
/// the log-out before or after that read as `read` says; a failure after VERIFY logs out.
/// `pin` has been checked by the caller.
fn pin_flow<C>(
    ch: &mut C,
    pin: &[u8],
    challenge: &[u8],
    read: CertificateRead,
) -> Result<PinAuthentication, CardError>
where
    C: CardChannel + ?Sized,
{
    let digest_info = sha256_digest_info(challenge);
    let mut verifier = PinVerifier::new(pin);
    let mut verified = false;
    let result = retry_after_reset(ch, |ch| {
        select_jpki(ch)?;
        verifier.verify(ch)?;
        verified = true;
        let signature = sign_with_auth_key(ch, &digest_info)?;
        if read == CertificateRead::AfterLogOut {
            select_jpki(ch)?;
            verified = false;
        }
        let certificate = read_certificate_file(ch)?;
        if read == CertificateRead::WhileVerified {
            select_jpki(ch)?;
            verified = false;
        }
        Ok(PinAuthentication {
            certificate,
            signature,
        })
    });
    if result.is_err() && verified {
        log_out(ch);
    }
    result
}

/// Whether `pin` is exactly [`AUTH_PIN_LEN`] ASCII digits.
fn check_pin_format(pin: &[u8]) -> Result<(), CardError> {
    if pin.len() == AUTH_PIN_LEN && pin.iter().all(u8::is_ascii_digit) {
        Ok(())
    } else {
        Err(CardError::PinFormat)
    }
}

/// Runs SELECT EF 0018, the tries query and VERIFY (the AP must be selected), and remembers
/// across a reset whether a VERIFY's answer was lost.
struct PinVerifier<'p> {
    pin: &'p [u8],
    /// Set when a reset hid the answer to VERIFY: the tries left before that VERIFY
    /// (`None` if the card did not say).
    answer_lost: Option<Option<u8>>,
}

impl<'p> PinVerifier<'p> {
    fn new(pin: &'p [u8]) -> Self {
        Self {
            pin,
            answer_lost: None,
        }
    }

    fn verify<C>(&mut self, ch: &mut C) -> Result<(), Fail>
    where
        C: CardChannel + ?Sized,
    {
        select_ef(ch, EF_AUTH_PIN)?;
        let before = match exchange(ch, &Command::verify_tries_query())?.sw {
            StatusWord::WrongPin { tries_left } => Some(tries_left),
            StatusWord::PinBlocked(_) => return Err(CardError::PinBlocked.into()),
            // Some cards may answer the query with 9000: the count is then unknown.
            StatusWord::Ok => None,
            sw => return Err(CardError::UnexpectedStatus(sw).into()),
        };
        if let Some(lost) = self.answer_lost.take() {
            match (lost, before) {
                // The lost VERIFY used a try: the PIN was wrong. Do not spend another.
                (Some(old), Some(now)) if now < old => {
                    return Err(CardError::WrongPin { tries_left: now }.into())
                }
                // No try used (not processed, or right and the count restored): send again.
                (Some(_), Some(_)) => {}
                // The count cannot tell: sending again might use a second try.
                _ => return Err(CardError::ReaderFault.into()),
            }
        }
        // `check_pin_format` ran first, so 4 bytes always fit.
        let command = Command::verify(self.pin).map_err(|_| CardError::PinFormat)?;
        let response = match exchange(ch, &command) {
            Err(TransportError::CardReset) => {
                self.answer_lost = Some(before);
                return Err(TransportError::CardReset.into());
            }
            other => other?,
        };
        drop(command);
        match response.sw {
            StatusWord::Ok => Ok(()),
            StatusWord::WrongPin { tries_left } => Err(CardError::WrongPin { tries_left }.into()),
            StatusWord::PinBlocked(_) => Err(CardError::PinBlocked.into()),
            sw => Err(CardError::UnexpectedStatus(sw).into()),
        }
    }
}

/// SELECT EF 0017 and COMPUTE DIGITAL SIGNATURE over `digest_info`.
fn sign_with_auth_key<C>(ch: &mut C, digest_info: &[u8]) -> Result<Signature, Fail>
where
    C: CardChannel + ?Sized,
{
    select_ef(ch, EF_AUTH_KEY)?;
    sign_current_key(ch, digest_info)
}

/// COMPUTE DIGITAL SIGNATURE over `digest_info` with the key of the current EF.
fn sign_current_key<C>(ch: &mut C, digest_info: &[u8]) -> Result<Signature, Fail>
where
    C: CardChannel + ?Sized,
{
    // A DigestInfo of 51 bytes always fits a short APDU.
    let command = Command::compute_digital_signature(digest_info.to_vec())
        .map_err(|_| CardError::BadSignature)?;
    let response = exchange(ch, &command)?;
    match response.sw {
        StatusWord::Ok => Ok(Signature::from_slice(&response.data).ok_or(CardError::BadSignature)?),
        StatusWord::SecurityStatusNotSatisfied => Err(CardError::PinRequired.into()),
        sw => Err(CardError::UnexpectedStatus(sw).into()),
    }
}

/// Selects the AP again so the card forgets a verified PIN; best effort, the answer is not
/// needed (a removed card has forgotten it anyway).
fn log_out<C>(ch: &mut C)
where
    C: CardChannel + ?Sized,
{
    if let Err(e) = exchange(ch, &Command::select_aid(&JPKI_AID)) {
        log::debug!("could not select the AP after a failed PIN flow: {e:?}");
    }
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
    mut attempt: impl FnMut(&mut C) -> Result<T, Fail>,
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

/// SELECT EF 000A and its READs: the authentication certificate, parsed.
fn read_certificate_file<C>(ch: &mut C) -> Result<AuthCertificate, Fail>
where
    C: CardChannel + ?Sized,
{
    select_ef(ch, EF_AUTH_CERT)?;
    let der = read_der_file(ch)?;
    AuthCertificate::from_der(der).map_err(|e| Fail::Card(CardError::BadCertificate(e)))
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

    const SELECT_AP: [u8; 15] = [
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];
    const SELECT_PIN: [u8; 7] = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18];
    const SELECT_KEY: [u8; 7] = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x17];
    const QUERY: [u8; 4] = [0x00, 0x20, 0x00, 0x80];
    const VERIFY_1234: [u8; 9] = [0x00, 0x20, 0x00, 0x80, 0x04, 0x31, 0x32, 0x33, 0x34];

    fn is_verify_with_data(command: &[u8]) -> bool {
        command.len() > 4 && command[..4] == QUERY
    }

    #[test]
    fn sha256_digest_info_is_the_prefix_and_the_hash() {
        let info = sha256_digest_info(b"abc");
        assert_eq!(info.len(), 51);
        assert_eq!(info[..19], SHA256_DIGEST_INFO_PREFIX);
        // FIPS 180-2 test vector: SHA-256("abc").
        assert_eq!(
            info[19..],
            [
                0xBA, 0x78, 0x16, 0xBF, 0x8F, 0x01, 0xCF, 0xEA, 0x41, 0x41, 0x40, 0xDE, 0x5D, 0xAE,
                0x22, 0x23, 0xB0, 0x03, 0x61, 0xA3, 0x96, 0x17, 0x7A, 0x9C, 0xB4, 0x10, 0xFF, 0x61,
                0xF2, 0x00, 0x15, 0xAD
            ]
        );
    }

    #[test]
    fn a_pin_that_is_not_four_digits_is_never_sent() {
        for pin in [
            &b""[..],
            b"123",
            b"12345",
            b"12a4",
            b"12 4",
            "１２３４".as_bytes(),
        ] {
            let mut ch = Scripted::new(Vec::new());
            assert_eq!(verify_pin(&mut ch, pin), Err(CardError::PinFormat));
            assert_eq!(
                authenticate(&mut ch, pin, b"c").err(),
                Some(CardError::PinFormat)
            );
            assert!(ch.sent.is_empty(), "{pin:?}");
        }
    }

    #[test]
    fn verify_pin_sends_the_documented_apdus() {
        let mut ch = Scripted::new(vec![sw(0x9000), sw(0x9000), sw(0x63C3), sw(0x9000)]);
        assert_eq!(verify_pin(&mut ch, b"1234"), Ok(()));
        assert_eq!(ch.sent, [&SELECT_AP[..], &SELECT_PIN, &QUERY, &VERIFY_1234]);
    }

    #[test]
    fn verify_pin_reports_wrong_and_blocked_pins() {
        for (answer, expected) in [
            (0x63C2, CardError::WrongPin { tries_left: 2 }),
            (0x63C1, CardError::WrongPin { tries_left: 1 }),
            (0x63C0, CardError::PinBlocked),
            (0x6983, CardError::PinBlocked),
            (0x6984, CardError::PinBlocked),
            (
                0x6A88,
                CardError::UnexpectedStatus(StatusWord::ReferenceDataNotFound),
            ),
        ] {
            let mut ch = Scripted::new(vec![sw(0x9000), sw(0x9000), sw(0x63C3), sw(answer)]);
            assert_eq!(verify_pin(&mut ch, b"0000"), Err(expected), "{answer:04X}");
        }
    }

    #[test]
    fn a_pin_blocked_before_is_not_sent() {
        for blocked in [0x63C0, 0x6983, 0x6984] {
            let mut ch = Scripted::new(vec![sw(0x9000), sw(0x9000), sw(blocked)]);
            assert_eq!(verify_pin(&mut ch, b"1234"), Err(CardError::PinBlocked));
            assert_eq!(ch.sent.len(), 3, "no VERIFY with the PIN");
        }
    }

    #[test]
    fn sign_challenge_sends_the_digest_info_and_takes_256_bytes() {
        let signature = [0xA5; 256];
        let mut ch = Scripted::new(vec![sw(0x9000), data_ok(&signature)]);
        let result = sign_challenge(&mut ch, b"challenge").expect("signs");
        assert_eq!(result.as_bytes(), signature);
        assert_eq!(ch.sent[0], SELECT_KEY);
        let info = sha256_digest_info(b"challenge");
        let expected = [&[0x80, 0x2A, 0x00, 0x80, 0x33][..], &info, &[0x00]].concat();
        assert_eq!(ch.sent[1], expected);
        assert_eq!(format!("{result:?}"), "Signature(<256 bytes>)");
    }

    #[test]
    fn sign_challenge_errors() {
        let cases = [
            (sw(0x6982), CardError::PinRequired),
            (data_ok(&[0x01; 255]), CardError::BadSignature),
            (data_ok(&[0x01; 257]), CardError::BadSignature),
            (data_ok(&[]), CardError::BadSignature),
            (
                sw(0x6986),
                CardError::UnexpectedStatus(StatusWord::CommandNotAllowed),
            ),
            (Err(TransportError::CardReset), CardError::PinRequired),
            (Err(TransportError::CardRemoved), CardError::CardRemoved),
        ];
        let mut ch = Scripted::new(vec![sw(0x6986)]);
        assert_eq!(
            sign_challenge(&mut ch, b"c"),
            Err(CardError::PinRequired),
            "no AP selected: nothing was verified"
        );
        for (answer, expected) in cases {
            let mut ch = Scripted::new(vec![sw(0x9000), answer]);
            assert_eq!(
                sign_challenge(&mut ch, b"c"),
                Err(expected.clone()),
                "{expected:?}"
            );
            assert_eq!(ch.sent.len(), 2, "no retry: the verification is gone");
        }
    }

    /// The replies of a whole successful PIN flow for a certificate of `cert.len()` bytes.
    fn flow_replies(cert: &[u8]) -> Vec<Result<Vec<u8>, TransportError>> {
        let mut replies = vec![
            sw(0x9000),
            sw(0x9000),
            sw(0x63C3),
            sw(0x9000),
            sw(0x9000),
            data_ok(&[0x42; 256]),
            sw(0x9000),
            sw(0x9000),
        ];
        replies.extend(cert.chunks(256).map(data_ok));
        replies
    }

    #[test]
    fn authenticate_logs_out_before_reading_the_certificate() {
        let cert: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");
        let mut ch = Scripted::new(flow_replies(cert));
        let auth = authenticate(&mut ch, b"1234", b"c").expect("flows");
        assert_eq!(auth.certificate.der(), cert);
        assert_eq!(auth.signature.as_bytes(), [0x42; 256]);
        assert_eq!(
            ch.sent[..8],
            [
                &SELECT_AP[..],
                &SELECT_PIN,
                &QUERY,
                &VERIFY_1234,
                &SELECT_KEY,
                &ch.sent[5],
                &SELECT_AP,
                &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A],
            ]
        );
        assert_eq!(ch.sent[5][..5], [0x80, 0x2A, 0x00, 0x80, 0x33]);
        assert_eq!(ch.sent.len(), 8 + cert.len().div_ceil(256));
    }

    #[test]
    fn a_failure_after_the_pin_was_verified_logs_out() {
        let replies = vec![
            sw(0x9000),
            sw(0x9000),
            sw(0x63C3),
            sw(0x9000),
            sw(0x9000),
            sw(0x6A88),
            sw(0x9000),
        ];
        let mut ch = Scripted::new(replies);
        let result = authenticate(&mut ch, b"1234", b"c");
        assert_eq!(
            result.err(),
            Some(CardError::UnexpectedStatus(
                StatusWord::ReferenceDataNotFound
            ))
        );
        assert_eq!(ch.sent.len(), 7);
        assert_eq!(ch.sent[6], SELECT_AP, "logs out");
    }

    #[test]
    fn a_wrong_pin_needs_no_log_out() {
        let replies = vec![sw(0x9000), sw(0x9000), sw(0x63C3), sw(0x63C2)];
        let mut ch = Scripted::new(replies);
        let result = authenticate(&mut ch, b"0000", b"c");
        assert_eq!(result.err(), Some(CardError::WrongPin { tries_left: 2 }));
        assert_eq!(ch.sent.len(), 4);
    }

    #[test]
    fn a_lost_verify_answer_with_unknown_tries_is_not_sent_again() {
        let reset = Err(TransportError::CardReset);
        let replies = vec![
            sw(0x9000),
            sw(0x9000),
            sw(0x9000), // the query answered 9000: count unknown
            reset,
            sw(0x9000),
            sw(0x9000),
            sw(0x9000),
        ];
        let mut ch = Scripted::new(replies);
        assert_eq!(verify_pin(&mut ch, b"1234"), Err(CardError::ReaderFault));
        let verifies = ch.sent.iter().filter(|c| is_verify_with_data(c)).count();
        assert_eq!(verifies, 1, "the PIN went out once");
    }

    #[cfg(feature = "demo")]
    mod against_the_virtual_card {
        use super::super::*;
        use crate::card::virtual_card::{demo_card, demo_cards, VirtualCard};

        const TARO: &[u8] = include_bytes!("../../tests/pki/cards/taro.cert.der");

        /// Passes commands to a card, records them, and resets the card on chosen calls:
        /// before the card sees the command (`reset_on`) or after it processed it and before
        /// the answer comes back (`reset_after`).
        struct Probe {
            card: VirtualCard,
            sent: Vec<Vec<u8>>,
            reset_on: Vec<usize>,
            reset_after: Vec<usize>,
        }

        impl Probe {
            fn new(card: VirtualCard) -> Self {
                let mut card = card;
                card.power_on();
                Self {
                    card,
                    sent: Vec::new(),
                    reset_on: Vec::new(),
                    reset_after: Vec::new(),
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
                let response = self.card.transmit(command);
                if self.reset_after.contains(&call) {
                    self.card.reset();
                    return Err(TransportError::CardReset);
                }
                response
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

        /// Index of the VERIFY with data in a PIN flow (SELECT AP, SELECT 0018, query, VERIFY).
        const VERIFY_CALL: usize = 3;

        fn tries(probe: &mut Probe) -> u8 {
            pin_tries_left(probe).expect("a JPKI card")
        }

        fn verifies_sent(probe: &Probe) -> usize {
            probe
                .sent
                .iter()
                .filter(|c| c[1] == 0x20 && c.len() > 4)
                .count()
        }

        #[test]
        fn authenticate_signs_the_challenge_with_the_certificates_key() {
            let mut probe = Probe::new(taro_card());
            let auth = authenticate(&mut probe, b"1234", b"fresh challenge").expect("flows");
            assert_eq!(auth.certificate.der(), TARO);
            assert!(auth
                .signature
                .verifies(&auth.certificate, b"fresh challenge"));
            assert!(!auth
                .signature
                .verifies(&auth.certificate, b"another challenge"));
            // SELECT AP, SELECT 0018, query, VERIFY, SELECT 0017, SIGN, SELECT AP,
            // SELECT 000A, ⌈N/256⌉ READs.
            assert_eq!(probe.sent.len(), 8 + TARO.len().div_ceil(256));
            assert_eq!(verifies_sent(&probe), 1);
        }

        #[test]
        fn the_card_is_not_left_verified() {
            let mut probe = Probe::new(taro_card());
            authenticate(&mut probe, b"1234", b"c").expect("flows");
            assert_eq!(
                sign_challenge(&mut probe, b"c"),
                Err(CardError::PinRequired)
            );
        }

        #[test]
        fn verify_then_sign_on_the_same_channel() {
            let mut probe = Probe::new(taro_card());
            assert_eq!(
                sign_challenge(&mut probe, b"c"),
                Err(CardError::PinRequired)
            );
            verify_pin(&mut probe, b"1234").expect("right PIN");
            let signature = sign_challenge(&mut probe, b"c").expect("verified");
            let cert = read_auth_certificate(&mut probe).expect("reads");
            assert!(signature.verifies(&cert, b"c"));
        }

        #[test]
        fn wrong_pins_count_down_to_blocked() {
            let mut probe = Probe::new(taro_card());
            for left in [2, 1] {
                assert_eq!(
                    authenticate(&mut probe, b"9999", b"c").err(),
                    Some(CardError::WrongPin { tries_left: left })
                );
                assert_eq!(tries(&mut probe), left);
            }
            assert_eq!(
                authenticate(&mut probe, b"9999", b"c").err(),
                Some(CardError::PinBlocked),
                "the third wrong PIN blocks (63C0)"
            );
            let before = verifies_sent(&probe);
            assert_eq!(
                authenticate(&mut probe, b"1234", b"c").err(),
                Some(CardError::PinBlocked)
            );
            assert_eq!(verifies_sent(&probe), before, "a blocked PIN is not sent");
            assert_eq!(verify_pin(&mut probe, b"1234"), Err(CardError::PinBlocked));
            assert_eq!(tries(&mut probe), 0);
        }

        #[test]
        fn the_right_pin_restores_the_tries() {
            let mut probe = Probe::new(taro_card());
            assert!(authenticate(&mut probe, b"0000", b"c").is_err());
            assert_eq!(tries(&mut probe), 2);
            authenticate(&mut probe, b"1234", b"c").expect("flows");
            assert_eq!(tries(&mut probe), 3);
        }

        #[test]
        fn a_reset_anywhere_in_the_pin_flow_restarts_it_once() {
            let calls = 8 + TARO.len().div_ceil(256);
            for call in 0..calls {
                let mut probe = Probe::new(taro_card());
                probe.reset_on = vec![call];
                let auth = authenticate(&mut probe, b"1234", b"c")
                    .unwrap_or_else(|e| panic!("reset at call {call}: {e:?}"));
                assert!(auth.signature.verifies(&auth.certificate, b"c"), "{call}");
                assert_eq!(
                    probe.sent[call + 1],
                    probe.sent[0],
                    "{call}: SELECT AP again"
                );
                assert_eq!(
                    probe.sent.len(),
                    call + 1 + calls,
                    "{call}: one full restart"
                );
                assert_eq!(tries(&mut probe), 3, "{call}");
            }
        }

        #[test]
        fn a_second_reset_in_the_pin_flow_is_an_error() {
            let mut probe = Probe::new(taro_card());
            probe.reset_on = vec![5, 7];
            assert_eq!(
                authenticate(&mut probe, b"1234", b"c").err(),
                Some(CardError::ReaderFault)
            );
            assert_eq!(
                sign_challenge(&mut probe, b"c"),
                Err(CardError::PinRequired)
            );
        }

        #[test]
        fn a_lost_answer_to_a_right_pin_is_sent_again() {
            let mut probe = Probe::new(taro_card());
            probe.reset_after = vec![VERIFY_CALL];
            let auth = authenticate(&mut probe, b"1234", b"c").expect("restarted");
            assert!(auth.signature.verifies(&auth.certificate, b"c"));
            assert_eq!(verifies_sent(&probe), 2);
            assert_eq!(tries(&mut probe), 3);
        }

        #[test]
        fn a_lost_answer_to_a_wrong_pin_is_not_sent_again() {
            let mut probe = Probe::new(taro_card());
            probe.reset_after = vec![VERIFY_CALL];
            assert_eq!(
                authenticate(&mut probe, b"0000", b"c").err(),
                Some(CardError::WrongPin { tries_left: 2 })
            );
            assert_eq!(verifies_sent(&probe), 1, "one try used, not two");
            assert_eq!(tries(&mut probe), 2);
            // The last try lost the same way is reported as blocked.
            let mut probe = Probe::new(demo_card("one-try").expect("listed").insert());
            probe.reset_after = vec![VERIFY_CALL];
            assert_eq!(verify_pin(&mut probe, b"0000"), Err(CardError::PinBlocked));
            assert_eq!(verifies_sent(&probe), 1);
        }

        #[test]
        fn a_locked_card_is_reported_without_sending_the_pin() {
            let mut probe = Probe::new(demo_card("locked").expect("listed").insert());
            assert_eq!(
                authenticate(&mut probe, b"1234", b"c").err(),
                Some(CardError::PinBlocked)
            );
            assert_eq!(verifies_sent(&probe), 0);
        }

        #[test]
        fn other_cards_are_not_my_number_cards_in_the_pin_flow() {
            let mut probe = Probe::new(VirtualCard::not_jpki());
            assert_eq!(
                authenticate(&mut probe, b"1234", b"c").err(),
                Some(CardError::NotMyNumberCard)
            );
            assert_eq!(probe.sent.len(), 1);
        }

        #[test]
        fn removal_in_the_pin_flow_is_not_retried() {
            struct Gone(Probe, usize);
            impl CardChannel for Gone {
                fn transmit(&mut self, command: &Command) -> Result<Response, TransportError> {
                    if self.0.sent.len() == self.1 {
                        self.0.sent.push(command.to_bytes().to_vec());
                        return Err(TransportError::CardRemoved);
                    }
                    self.0.transmit(command)
                }
            }
            let mut gone = Gone(Probe::new(taro_card()), 5);
            assert_eq!(
                authenticate(&mut gone, b"1234", b"c").err(),
                Some(CardError::CardRemoved)
            );
            assert_eq!(
                gone.0.sent.len(),
                7,
                "the log-out SELECT AP is tried, no restart"
            );
            assert_eq!(gone.0.sent[6], gone.0.sent[0]);
        }

        #[test]
        fn reads_the_pin_tries() {
            let mut probe = Probe::new(taro_card());
            assert_eq!(pin_tries_left(&mut probe), Ok(AUTH_PIN_MAX_TRIES));
        }
    }
}
