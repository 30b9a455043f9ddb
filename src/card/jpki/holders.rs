//! Who holds the JPKI AP: a card, an Android phone (スマホ用電子証明書), an iPhone (the
//! マイナンバーカード in the iPhone's wallet), or something the kiosk does not know. Told
//! apart by the token name in EF 0006 (research/phones.md), read right after SELECT AP, and
//! each holder read the way it allows:
//!
//! - card: as before (目視: the certificate, free to read; 暗証番号: the PIN flow);
//! - Android phone: its certificate (EF 000A) is readable only after its PIN, so 目視 asks
//!   the PIN too ([`read_certificate_with_pin`]) and the PIN flow reads the certificate
//!   before it logs out;
//! - iPhone: the person authenticates on the phone; the kiosk never sends it a VERIFY (how
//!   it answers one is not documented), reads or signs as the phone allows, and ends with the
//!   phone profile's last-command indicator `80 FC 00 00`;
//! - unknown token: nothing more is sent.
//!
//! A phone taken out of the field halfway (removed, reset twice, timed out) is
//! [`CardError::PhoneMoved`]: the phone needs holding still, not a new card.

use super::super::apdu::{Command, StatusWord};
use super::super::cert::AuthCertificate;
use super::super::{CardChannel, CardError, TransportError};
use super::{
    check_pin_format, exchange, identity, log_out, pin_flow, read_binary, read_certificate_file,
    retry_after_reset, select_ef, select_jpki, sha256_digest_info, sign_with_auth_key,
    CardIdentity, CertificateRead, Fail, PinAuthentication, PinStatus, PinVerifier, EF_AUTH_PIN,
    EF_TOKEN,
};

/// The token of a My Number Card (card), before its padding to 32 bytes.
pub const TOKEN_CARD: &[u8] = b"JPKIAPICCTOKEN2";
/// The token of an Android phone's スマホ用電子証明書.
pub const TOKEN_ANDROID: &[u8] = b"JPKIAPGPSETOKEN";
/// The token of the マイナンバーカード in an iPhone.
pub const TOKEN_IPHONE: &[u8] = b"JPKIAPIOSTOKEN";
/// Bytes of the token name at the start of EF 0006 (space padded).
pub const TOKEN_NAME_LEN: usize = 32;

/// Who holds the JPKI AP on the reader, from its token name (EF 0006).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    /// A My Number Card (`JPKIAPICCTOKEN2`), 顔認証マイナンバーカード included.
    Card,
    /// An Android phone with the スマホ用電子証明書 (`JPKIAPGPSETOKEN`): PIN before the
    /// certificate.
    AndroidPhone,
    /// An iPhone with the マイナンバーカード (`JPKIAPIOSTOKEN`): authenticated on the phone.
    IPhone,
    /// Any other token (the old 住基カード's `JPKIAPICCTOKEN` included).
    Unknown,
}

impl Holder {
    /// The holder a token record names: its first [`TOKEN_NAME_LEN`] bytes, trailing
    /// spaces and NULs trimmed, compared exactly.
    pub fn from_token(record: &[u8]) -> Holder {
        let name = &record[..record.len().min(TOKEN_NAME_LEN)];
        let end = name
            .iter()
            .rposition(|b| *b != b' ' && *b != 0)
            .map_or(0, |i| i + 1);
        match &name[..end] {
            TOKEN_CARD => Holder::Card,
            TOKEN_ANDROID => Holder::AndroidPhone,
            TOKEN_IPHONE => Holder::IPhone,
            _ => Holder::Unknown,
        }
    }

    /// Whether the holder is a phone.
    pub fn is_phone(self) -> bool {
        matches!(self, Holder::AndroidPhone | Holder::IPhone)
    }

    /// The holder in English, for the support diagnostics.
    pub fn describe(self) -> &'static str {
        match self {
            Holder::Card => "My Number Card",
            Holder::AndroidPhone => "Android phone (smartphone certificate, PIN first)",
            Holder::IPhone => "iPhone (authenticated on the phone)",
            Holder::Unknown => "unknown token",
        }
    }
}

/// The PIN of a holder as the kiosk sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinHolder {
    /// A card: `tries` left (0 = blocked).
    Card {
        /// Tries left.
        tries: u8,
    },
    /// An Android phone: `tries` left of its スマホ用 PIN (0 = blocked).
    AndroidPhone {
        /// Tries left.
        tries: u8,
    },
    /// An iPhone: no PIN at the kiosk (none was asked: the phone got no VERIFY).
    IPhone,
}

impl PinHolder {
    /// Tries left of a PIN typed at the kiosk; `None` for an iPhone.
    pub fn tries(self) -> Option<u8> {
        match self {
            PinHolder::Card { tries } | PinHolder::AndroidPhone { tries } => Some(tries),
            PinHolder::IPhone => None,
        }
    }

    /// The holder without its tries.
    pub fn holder(self) -> Holder {
        match self {
            PinHolder::Card { .. } => Holder::Card,
            PinHolder::AndroidPhone { .. } => Holder::AndroidPhone,
            PinHolder::IPhone => Holder::IPhone,
        }
    }
}

/// `80 FC 00 00`: the iPhone profile's last-command indicator (a card answers 6700).
pub fn last_command() -> Command {
    Command::new(0x80, INS_LAST_COMMAND, 0x00, 0x00)
}

/// INS of the last-command indicator.
pub const INS_LAST_COMMAND: u8 = 0xFC;

/// SELECT EF 0006 and read the token name (the AP must be selected). A JPKI AP without a
/// token EF (6A82) is read as a card: the procedures before phones never asked, and OpenSC
/// does not either.
pub(super) fn read_holder<C>(ch: &mut C) -> Result<Holder, Fail>
where
    C: CardChannel + ?Sized,
{
    match exchange(ch, &Command::select_ef(EF_TOKEN))?.sw {
        StatusWord::Ok => {}
        StatusWord::FileNotFound => return Ok(Holder::Card),
        sw => return Err(CardError::UnexpectedStatus(sw).into()),
    }
    let record = read_binary(ch, 0, TOKEN_NAME_LEN)?;
    Ok(Holder::from_token(&record))
}

/// SELECT AP and the token: which holder is on the reader (4 APDUs at most).
pub fn holder<C>(ch: &mut C) -> Result<Holder, CardError>
where
    C: CardChannel + ?Sized,
{
    retry_after_reset(ch, |ch| {
        select_jpki(ch)?;
        read_holder(ch)
    })
}

/// What a phone's failure means to the person holding it: a phone that left the field, or
/// answered what the kiosk does not expect, is said so (never "not a My Number Card").
fn for_holder(holder: Option<Holder>, e: CardError) -> CardError {
    match (holder, e) {
        (Some(h), CardError::CardRemoved | CardError::ReaderFault | CardError::Timeout)
            if h.is_phone() =>
        {
            CardError::PhoneMoved
        }
        (Some(Holder::AndroidPhone), CardError::PinBlocked) => CardError::PhonePinBlocked,
        (
            Some(Holder::IPhone),
            CardError::UnexpectedStatus(StatusWord::SecurityStatusNotSatisfied),
        )
        | (Some(Holder::IPhone), CardError::PinRequired) => CardError::PhoneLocked,
        (Some(Holder::IPhone), CardError::UnexpectedStatus(sw)) => CardError::PhoneUnexpected(sw),
        (_, e) => e,
    }
}

/// The identity of a holder before any PIN: a card's and an iPhone's from their
/// certificate's first block (as [`identity`]); an Android phone's certificate cannot be
/// read before its PIN, so its identity is a digest of its token record: it tells a phone
/// from a card, not one Android phone from another (the app's placement count does that).
fn holder_identity<C>(ch: &mut C, holder: Holder) -> Result<CardIdentity, Fail>
where
    C: CardChannel + ?Sized,
{
    match holder {
        Holder::AndroidPhone => Ok(CardIdentity::of(TOKEN_ANDROID)),
        _ => identity(ch),
    }
}

/// Reads the certificate as the holder allows, without a PIN (目視): SELECT AP, SELECT EF
/// 0006, READ (the token), then
/// - card: SELECT EF 000A and the READs of [`super::read_auth_certificate`];
/// - iPhone: the same, then the last-command indicator (6982: [`CardError::PhoneLocked`]);
/// - Android phone: nothing more, [`CardError::PinFirst`] (its certificate needs the PIN:
///   [`read_certificate_with_pin`]);
/// - unknown token: nothing more, [`CardError::UnknownHolder`].
pub fn read_certificate<C>(ch: &mut C) -> Result<(Holder, AuthCertificate), CardError>
where
    C: CardChannel + ?Sized,
{
    let mut seen = None;
    let result = retry_after_reset(ch, |ch| {
        select_jpki(ch)?;
        let holder = read_holder(ch)?;
        seen = Some(holder);
        match holder {
            Holder::Unknown => Err(CardError::UnknownHolder.into()),
            Holder::AndroidPhone => Err(CardError::PinFirst.into()),
            Holder::Card | Holder::IPhone => Ok((holder, read_certificate_file(ch)?)),
        }
    });
    if seen == Some(Holder::IPhone) {
        end_phone_session(ch);
    }
    result.map_err(|e| for_holder(seen, e))
}

/// The PIN's tries and which holder answered, without using a try: SELECT AP, the token,
/// then
/// - card: SELECT EF 000A + one READ (its identity), SELECT EF 0018, the tries query;
/// - Android phone: SELECT EF 0018, the tries query (identity: see [`holder_identity`]);
/// - iPhone: SELECT EF 000A + one READ, the last-command indicator; no VERIFY at all;
/// - unknown token: [`CardError::UnknownHolder`].
pub fn pin_status<C>(ch: &mut C) -> Result<PinStatus, CardError>
where
    C: CardChannel + ?Sized,
{
    let mut seen = None;
    let result = retry_after_reset(ch, |ch| {
        select_jpki(ch)?;
        let holder = read_holder(ch)?;
        seen = Some(holder);
        if holder == Holder::Unknown {
            return Err(CardError::UnknownHolder.into());
        }
        let card = holder_identity(ch, holder)?;
        let tries = |ch: &mut C| -> Result<u8, Fail> {
            select_ef(ch, EF_AUTH_PIN)?;
            match exchange(ch, &Command::verify_tries_query())?.sw {
                StatusWord::WrongPin { tries_left } => Ok(tries_left),
                StatusWord::PinBlocked(_) => Ok(0),
                sw => Err(CardError::UnexpectedStatus(sw).into()),
            }
        };
        let pin = match holder {
            Holder::Card => PinHolder::Card { tries: tries(ch)? },
            Holder::AndroidPhone => PinHolder::AndroidPhone { tries: tries(ch)? },
            _ => PinHolder::IPhone,
        };
        Ok(PinStatus { pin, card })
    });
    if seen == Some(Holder::IPhone) {
        end_phone_session(ch);
    }
    result.map_err(|e| for_holder(seen, e))
}

/// Checks that the holder on the reader is `card` (its token, then its identity), in the
/// same session; another gets nothing more ([`CardError::CardChanged`]).
fn same_holder<C>(ch: &mut C, card: &CardIdentity) -> Result<Holder, Fail>
where
    C: CardChannel + ?Sized,
{
    select_jpki(ch)?;
    let holder = read_holder(ch)?;
    if holder == Holder::Unknown {
        return Err(CardError::UnknownHolder.into());
    }
    if holder_identity(ch, holder)? != *card {
        log::info!("nothing sent: the holder on the reader is not the one whose tries were shown");
        return Err(CardError::CardChanged.into());
    }
    Ok(holder)
}

/// 目視 for a holder whose certificate needs the PIN (an Android phone): checks the holder
/// is `card`, VERIFY (the tries query first: a blocked PIN is not sent), SELECT EF 000A,
/// the READs, then SELECT AP (the verification ends). No signature.
pub fn read_certificate_with_pin<C>(
    ch: &mut C,
    pin: &[u8],
    card: &CardIdentity,
) -> Result<AuthCertificate, CardError>
where
    C: CardChannel + ?Sized,
{
    check_pin_format(pin)?;
    let mut seen = None;
    let mut verifier = PinVerifier::new(pin);
    let mut verified = false;
    let result = retry_after_reset(ch, |ch| {
        let holder = same_holder(ch, card)?;
        seen = Some(holder);
        if holder == Holder::IPhone {
            // An iPhone never gets a VERIFY.
            return Err(CardError::CardChanged.into());
        }
        verifier.verify(ch)?;
        verified = true;
        let cert = read_certificate_file(ch)?;
        log_out(ch);
        verified = false;
        Ok(cert)
    });
    if result.is_err() && verified {
        log_out(ch);
    }
    result.map_err(|e| for_holder(seen, e))
}

/// The PIN flow of [`super::authenticate_card`] for any holder that takes a PIN: checks the
/// holder is `card`, then VERIFY, SELECT EF 0017, SIGN; a card then logs out and reads its
/// (free) certificate; an Android phone reads its certificate while verified, then logs out.
pub fn authenticate_holder<C>(
    ch: &mut C,
    pin: &[u8],
    challenge: &[u8],
    card: &CardIdentity,
) -> Result<PinAuthentication, CardError>
where
    C: CardChannel + ?Sized,
{
    check_pin_format(pin)?;
    let here = retry_after_reset(ch, |ch| same_holder(ch, card))?;
    match here {
        Holder::Card => super::authenticate(ch, pin, challenge),
        Holder::AndroidPhone => pin_flow(ch, pin, challenge, CertificateRead::WhileVerified)
            .map_err(|e| for_holder(Some(here), e)),
        // An iPhone never gets a VERIFY; its flow is `authenticate_on_phone`.
        Holder::IPhone | Holder::Unknown => Err(CardError::CardChanged),
    }
}

/// 暗証番号 mode on an iPhone: the person authenticated on the phone, so no PIN is sent.
/// Checks the holder is `card`, SELECT EF 0017, SIGN, SELECT EF 000A, the READs, then the
/// last-command indicator. The phone refusing to sign (6982) is [`CardError::PhoneLocked`];
/// any other unexpected answer [`CardError::PhoneUnexpected`]; no VERIFY is ever sent, so no
/// try can be spent.
pub fn authenticate_on_phone<C>(
    ch: &mut C,
    challenge: &[u8],
    card: &CardIdentity,
) -> Result<PinAuthentication, CardError>
where
    C: CardChannel + ?Sized,
{
    let digest_info = sha256_digest_info(challenge);
    let mut seen = None;
    let result = retry_after_reset(ch, |ch| {
        let holder = same_holder(ch, card)?;
        seen = Some(holder);
        if holder != Holder::IPhone {
            return Err(CardError::CardChanged.into());
        }
        let signature = sign_with_auth_key(ch, &digest_info)?;
        let certificate = read_certificate_file(ch)?;
        Ok(PinAuthentication {
            certificate,
            signature,
        })
    });
    if seen == Some(Holder::IPhone) {
        end_phone_session(ch);
    }
    result.map_err(|e| for_holder(seen, e))
}

/// The last-command indicator, best effort: the phone may already have left.
fn end_phone_session<C>(ch: &mut C)
where
    C: CardChannel + ?Sized,
{
    match exchange(ch, &last_command()) {
        Ok(r) if r.sw == StatusWord::Ok => {}
        Ok(r) => log::debug!("last-command indicator answered {}", r.sw),
        Err(TransportError::CardRemoved) => {}
        Err(e) => log::debug!("last-command indicator not delivered: {e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_names_tell_the_holders_apart() {
        let padded = |name: &[u8], pad: u8| {
            let mut record = name.to_vec();
            record.resize(TOKEN_NAME_LEN, pad);
            record
        };
        for (name, holder) in [
            (&b"JPKIAPICCTOKEN2"[..], Holder::Card),
            (b"JPKIAPGPSETOKEN", Holder::AndroidPhone),
            (b"JPKIAPIOSTOKEN", Holder::IPhone),
            // The old 住基カード, and names that only begin like a known one.
            (b"JPKIAPICCTOKEN", Holder::Unknown),
            (b"JPKIAPICCTOKEN22", Holder::Unknown),
            (b"jpkiapicctoken2", Holder::Unknown),
            (b"", Holder::Unknown),
        ] {
            for pad in [b' ', 0] {
                assert_eq!(Holder::from_token(&padded(name, pad)), holder, "{name:?}");
            }
            assert_eq!(Holder::from_token(name), holder, "unpadded {name:?}");
        }
        // Bytes after the 32-byte name are not part of it.
        let mut record = padded(TOKEN_IPHONE, b' ');
        record.extend_from_slice(b"JPKIAPGPSETOKEN");
        assert_eq!(Holder::from_token(&record), Holder::IPhone);
        assert!(Holder::IPhone.is_phone() && Holder::AndroidPhone.is_phone());
        assert!(!Holder::Card.is_phone() && !Holder::Unknown.is_phone());
    }

    #[test]
    fn the_last_command_indicator_is_80_fc_00_00() {
        assert_eq!(
            last_command().to_bytes().as_slice(),
            [0x80, 0xFC, 0x00, 0x00]
        );
    }

    #[cfg(feature = "demo")]
    mod against_the_profiles {
        use super::super::super::{pin_tries_left, sign_challenge};
        use super::*;
        use crate::card::apdu::Response;
        use crate::card::virtual_card::{demo_card, VirtualCard};

        /// The virtual card (or phone), every command recorded; optionally a status word
        /// put in place of the answer to one instruction, or the holder taken away at a call.
        struct Probe {
            card: VirtualCard,
            sent: Vec<Vec<u8>>,
            answer: Option<(u8, u16)>,
            gone_at: Option<usize>,
        }

        impl Probe {
            fn of(id: &str) -> Probe {
                Probe::with(demo_card(id).expect("listed").insert())
            }

            fn with(mut card: VirtualCard) -> Probe {
                card.power_on();
                Probe {
                    card,
                    sent: Vec::new(),
                    answer: None,
                    gone_at: None,
                }
            }

            fn count(&self, ins: u8) -> usize {
                self.sent.iter().filter(|c| c[1] == ins).count()
            }

            /// VERIFYs with data: the ones that can spend a try.
            fn verifies(&self) -> usize {
                self.sent
                    .iter()
                    .filter(|c| c[1] == 0x20 && c.len() > 4)
                    .count()
            }

            fn last_is_last_command(&self) -> bool {
                self.sent.last().map(Vec::as_slice) == Some(&[0x80, 0xFC, 0x00, 0x00][..])
            }

            fn tries(&mut self) -> u8 {
                pin_tries_left(&mut self.card).expect("a PIN")
            }
        }

        impl CardChannel for Probe {
            fn transmit(&mut self, command: &Command) -> Result<Response, TransportError> {
                let bytes = command.to_bytes().to_vec();
                let call = self.sent.len();
                self.sent.push(bytes.clone());
                if self.gone_at.is_some_and(|at| call >= at) {
                    return Err(TransportError::CardRemoved);
                }
                if let Some((ins, sw)) = self.answer {
                    if bytes[1] == ins {
                        return Ok(Response::status(StatusWord::from_u16(sw)));
                    }
                }
                self.card.transmit(command)
            }
        }

        const SELECT_TOKEN: [u8; 7] = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x06];
        const READ_TOKEN: [u8; 5] = [0x00, 0xB0, 0x00, 0x00, 0x20];

        fn certificate_der(id: &str) -> &'static [u8] {
            demo_card(id)
                .and_then(|c| c.auth_cert_der())
                .expect("a JPKI demo card")
        }

        #[test]
        fn a_card_is_read_as_before_after_its_token() {
            let mut p = Probe::of("taro");
            let (holder, cert) = read_certificate(&mut p).expect("reads");
            assert_eq!(holder, Holder::Card);
            assert_eq!(cert.der(), certificate_der("taro"));
            assert_eq!(p.sent[1], SELECT_TOKEN);
            assert_eq!(p.sent[2], READ_TOKEN);
            assert_eq!(p.sent[3], [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A]);
            assert_eq!(p.sent.len(), 4 + cert.der().len().div_ceil(256));
            assert_eq!(p.count(0xFC), 0, "a card gets no last-command indicator");
        }

        #[test]
        fn an_android_phone_is_not_read_without_its_pin_and_spends_nothing() {
            let mut p = Probe::of("android");
            assert_eq!(read_certificate(&mut p), Err(CardError::PinFirst));
            assert_eq!(
                p.sent.len(),
                3,
                "SELECT AP, SELECT 0006, READ: nothing more"
            );
            assert_eq!(p.count(0x20), 0);
            assert_eq!(p.tries(), 3);
            // Its certificate really is closed before the PIN.
            let mut p = Probe::of("android");
            assert_eq!(
                super::super::super::read_auth_certificate(&mut p),
                Err(CardError::UnexpectedStatus(
                    StatusWord::SecurityStatusNotSatisfied
                ))
            );
        }

        #[test]
        fn an_android_phone_reads_after_its_pin_and_logs_out() {
            let mut p = Probe::of("android");
            let status = pin_status(&mut p).expect("a phone");
            assert_eq!(status.pin, PinHolder::AndroidPhone { tries: 3 });
            assert_eq!(p.verifies(), 0);
            let cert = read_certificate_with_pin(&mut p, b"1234", &status.card).expect("reads");
            assert_eq!(cert.der(), certificate_der("android"));
            assert_eq!(p.verifies(), 1);
            // The last command ends the verification (SELECT AP).
            assert_eq!(
                p.sent.last().map(|c| c[..4].to_vec()),
                Some(vec![0x00, 0xA4, 0x04, 0x0C])
            );
            assert_eq!(
                sign_challenge(&mut p, b"c"),
                Err(CardError::PinRequired),
                "not left verified"
            );
            // A wrong PIN counts one try, and says so.
            assert_eq!(
                read_certificate_with_pin(&mut p, b"0000", &status.card),
                Err(CardError::WrongPin { tries_left: 2 })
            );
            assert_eq!(p.tries(), 2);
            // Blocked: said as the phone's, and never sent again.
            assert_eq!(
                read_certificate_with_pin(&mut p, b"0000", &status.card),
                Err(CardError::WrongPin { tries_left: 1 })
            );
            assert_eq!(
                read_certificate_with_pin(&mut p, b"0000", &status.card),
                Err(CardError::PhonePinBlocked)
            );
            let sent = p.verifies();
            assert_eq!(
                super::super::super::authenticate_card(&mut p, b"1234", b"c", &status.card).err(),
                Some(CardError::PhonePinBlocked)
            );
            assert_eq!(p.verifies(), sent, "a blocked PIN is not sent");
            assert_eq!(
                pin_status(&mut p).map(|s| s.pin),
                Ok(PinHolder::AndroidPhone { tries: 0 })
            );
        }

        #[test]
        fn an_android_phone_signs_then_reads_its_certificate_while_verified() {
            let mut p = Probe::of("android");
            let status = pin_status(&mut p).expect("a phone");
            let auth =
                super::super::super::authenticate_card(&mut p, b"1234", b"nonce", &status.card)
                    .expect("the phone's PIN flow");
            assert_eq!(auth.certificate.der(), certificate_der("android"));
            assert!(auth.signature.verifies(&auth.certificate, b"nonce"));
            assert_eq!(p.verifies(), 1);
            assert_eq!(p.tries(), 3);
        }

        #[test]
        fn a_pin_typed_for_a_card_never_reaches_a_phone() {
            let mut card = Probe::of("taro");
            let taro = pin_status(&mut card).expect("a card");
            let mut phone = Probe::of("android");
            assert_eq!(
                super::super::super::authenticate_card(&mut phone, b"1234", b"c", &taro.card).err(),
                Some(CardError::CardChanged)
            );
            assert_eq!(
                read_certificate_with_pin(&mut phone, b"1234", &taro.card),
                Err(CardError::CardChanged)
            );
            assert_eq!(phone.verifies(), 0);
            assert_eq!(phone.tries(), 3);
        }

        #[test]
        fn an_iphone_is_never_sent_a_verify() {
            let mut p = Probe::of("iphone");
            let status = pin_status(&mut p).expect("an iPhone");
            assert_eq!(status.pin, PinHolder::IPhone);
            assert_eq!(status.tries(), None);
            assert_eq!(p.count(0x20), 0, "not even the tries query");
            assert!(p.last_is_last_command());
            let (holder, cert) = read_certificate(&mut p).expect("reads as the phone allows");
            assert_eq!(holder, Holder::IPhone);
            assert_eq!(cert.der(), certificate_der("iphone"));
            assert!(p.last_is_last_command());
            let auth = authenticate_on_phone(&mut p, b"nonce", &status.card).expect("signs");
            assert!(auth.signature.verifies(&auth.certificate, b"nonce"));
            assert!(p.last_is_last_command());
            // The PIN flow of a card refuses an iPhone before any VERIFY.
            assert_eq!(
                super::super::super::authenticate_card(&mut p, b"1234", b"c", &status.card).err(),
                Some(CardError::CardChanged)
            );
            assert_eq!(
                read_certificate_with_pin(&mut p, b"1234", &status.card),
                Err(CardError::CardChanged)
            );
            assert_eq!(p.count(0x20), 0, "no VERIFY in the whole test");
        }

        #[test]
        fn an_iphone_not_authenticated_on_the_phone_is_said_so() {
            let mut card = demo_card("iphone").expect("listed").insert();
            card.lock_phone();
            let mut p = Probe::with(card);
            assert_eq!(read_certificate(&mut p), Err(CardError::PhoneLocked));
            assert_eq!(pin_status(&mut p), Err(CardError::PhoneLocked));
            assert!(p.last_is_last_command());
            assert_eq!(p.count(0x20), 0);
        }

        #[test]
        fn an_unexpected_iphone_answer_ends_clearly_and_spends_nothing() {
            let mut p = Probe::of("iphone");
            let status = pin_status(&mut p).expect("an iPhone");
            for sw in [0x6A88, 0x6985, 0x6D00, 0x63C2, 0x6984, 0x6F00] {
                let mut p = Probe::of("iphone");
                p.answer = Some((0x2A, sw));
                let result = authenticate_on_phone(&mut p, b"c", &status.card);
                assert_eq!(
                    result.err(),
                    Some(CardError::PhoneUnexpected(StatusWord::from_u16(sw))),
                    "{sw:04X}"
                );
                assert_eq!(p.count(0x20), 0, "{sw:04X}: no VERIFY");
                assert!(p.last_is_last_command(), "{sw:04X}");
            }
            let mut p = Probe::of("iphone");
            p.answer = Some((0x2A, 0x6982));
            assert_eq!(
                authenticate_on_phone(&mut p, b"c", &status.card).err(),
                Some(CardError::PhoneLocked)
            );
        }

        #[test]
        fn a_phone_that_leaves_the_field_is_told_to_hold_still() {
            // An iPhone taken away during the certificate read.
            let mut p = Probe::of("iphone");
            p.gone_at = Some(4);
            assert_eq!(read_certificate(&mut p).err(), Some(CardError::PhoneMoved));
            // An Android phone taken away after its token, before or after the VERIFY.
            for at in [3, 5, 7] {
                let mut p = Probe::of("android");
                let status = pin_status(&mut p).expect("a phone");
                let before = p.sent.len();
                p.gone_at = Some(before + at);
                assert_eq!(
                    read_certificate_with_pin(&mut p, b"1234", &status.card).err(),
                    Some(CardError::PhoneMoved),
                    "at {at}"
                );
            }
            // A card taken away is still a card taken away.
            let mut p = Probe::of("taro");
            p.gone_at = Some(4);
            assert_eq!(read_certificate(&mut p).err(), Some(CardError::CardRemoved));
            // Removed before the token said who it was: nothing to tell it by.
            let mut p = Probe::of("iphone");
            p.gone_at = Some(1);
            assert_eq!(read_certificate(&mut p).err(), Some(CardError::CardRemoved));
        }

        #[test]
        fn an_unknown_token_gets_nothing_more() {
            let mut card = demo_card("taro").expect("listed").insert();
            let mut old = b"JPKIAPICCTOKEN".to_vec();
            old.resize(TOKEN_NAME_LEN, b' ');
            card.write_file(EF_TOKEN, old);
            let mut p = Probe::with(card);
            assert_eq!(
                read_certificate(&mut p).err(),
                Some(CardError::UnknownHolder)
            );
            assert_eq!(p.sent.len(), 3);
            assert_eq!(pin_status(&mut p).err(), Some(CardError::UnknownHolder));
            assert_eq!(p.count(0x20), 0);
            assert_eq!(holder(&mut p), Ok(Holder::Unknown));
        }

        #[test]
        fn a_face_card_answers_blocked_without_a_try() {
            let mut p = Probe::of("face");
            let status = pin_status(&mut p).expect("a card");
            assert_eq!(status.pin, PinHolder::Card { tries: 0 });
            assert_eq!(p.verifies(), 0);
            // Its certificate is free to read (目視).
            let (holder, cert) = read_certificate(&mut p).expect("reads");
            assert_eq!(holder, Holder::Card);
            assert_eq!(cert.der(), certificate_der("face"));
            // A PIN is never sent to it.
            assert_eq!(
                super::super::super::authenticate_card(&mut p, b"1234", b"c", &status.card).err(),
                Some(CardError::PinBlocked)
            );
            assert_eq!(p.verifies(), 0);
        }

        #[test]
        fn a_jpki_ap_without_a_token_file_is_read_as_a_card() {
            let mut p = Probe::of("taro");
            p.answer = None;
            // SELECT EF 0006 → 6A82: the procedures before phones never asked for it.
            struct NoToken(Probe);
            impl CardChannel for NoToken {
                fn transmit(&mut self, command: &Command) -> Result<Response, TransportError> {
                    if command.to_bytes().as_slice() == SELECT_TOKEN {
                        return Ok(Response::status(StatusWord::FileNotFound));
                    }
                    self.0.transmit(command)
                }
            }
            let mut ch = NoToken(p);
            assert_eq!(holder(&mut ch), Ok(Holder::Card));
            assert!(read_certificate(&mut ch).is_ok());
        }
    }
}
