//! The My Number Card: command/response APDUs, the JPKI procedures, PC/SC readers and,
//! in the demo build, a virtual JPKI card that behaves like the real one.
//!
//! Layering: [`apdu`] knows bytes; [`jpki`] runs procedures over any [`CardChannel`];
//! [`cert`] parses the certificate those procedures return; [`pcsc`] and
//! [`virtual_card`] are the two channels; [`Reader`] is what the worker thread drives.

pub mod apdu;
pub mod cert;
pub mod jpki;
pub mod pcsc;
#[cfg(feature = "demo")]
pub mod virtual_card;

pub use cert::AuthCertificate;
pub use jpki::{PinAuthentication, Signature};

/// Carries one command APDU to a card and its response back.
pub trait CardChannel {
    /// Sends `command` and returns the card's response (data and status word).
    fn transmit(&mut self, command: &apdu::Command) -> Result<apdu::Response, TransportError>;
}

/// A failure below the APDU level: the card or reader, not the card's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportError {
    /// The card left the reader during the exchange.
    CardRemoved,
    /// The card was reset by another process; the selected application is lost.
    CardReset,
    /// The reader was unplugged during the exchange.
    ReaderRemoved,
    /// The smart-card service stopped during the exchange.
    ServiceStopped,
    /// The card or reader did not answer in time.
    Timeout,
    /// Any other reader or service failure.
    ReaderFault,
}

/// Why the app could not get what it needed from the card, grouped by what the person at
/// the reader can do about it. Each variant maps to one Japanese message in `ui::strings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardError {
    /// The smart-card service (pcscd / Windows Smart Card) is not running.
    NoService,
    /// No card reader is connected.
    NoReader,
    /// The reader is empty.
    NoCard,
    /// The card was taken away before reading finished.
    CardRemoved,
    /// The reader or the card did not answer in time.
    Timeout,
    /// Another program holds the card (or its reader) exclusively.
    SharingViolation,
    /// The card has no JPKI application (SELECT AP answered 6A82): not a My Number Card.
    NotMyNumberCard,
    /// The card answered with a status word the procedure does not expect.
    UnexpectedStatus(apdu::StatusWord),
    /// The certificate file does not hold a well-formed certificate.
    BadCertificate(cert::CertError),
    /// The PIN is not exactly 4 ASCII digits; nothing was sent to the card.
    PinFormat,
    /// The card rejected the PIN (63Cx); `tries_left` more wrong PINs block it.
    WrongPin {
        /// Tries left before the PIN blocks (1 to 15).
        tries_left: u8,
    },
    /// The PIN is blocked (63C0, 6983, 6984): only the municipal office can reset it.
    PinBlocked,
    /// The card refused to sign because no PIN was verified in this session (6982).
    PinRequired,
    /// The card answered a signature that is not the 256 bytes of an RSA-2048 signature.
    BadSignature,
    /// Any other reader or service failure.
    ReaderFault,
    /// The card on the reader is not the one whose PIN tries were shown; nothing was sent
    /// to it (the PIN was typed for another card).
    CardChanged,
    /// The JPKI AP answered, but its token (EF 0006) names no holder the kiosk knows (not a
    /// card, an Android phone or an iPhone).
    UnknownHolder,
    /// An Android phone: its certificate is read only after its PIN (the app asks it).
    PinFirst,
    /// An iPhone refused to read or sign (6982): the person has not authenticated on the
    /// phone (Face ID or passcode), or the phone's authentication ended.
    PhoneLocked,
    /// An iPhone answered a status word the kiosk does not expect; nothing was spent.
    PhoneUnexpected(apdu::StatusWord),
    /// A phone left the reader's field (or the reader lost it) during the read.
    PhoneMoved,
    /// An Android phone's スマホ用電子証明書 PIN is blocked: the card can be used instead.
    PhonePinBlocked,
}

impl From<TransportError> for CardError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::CardRemoved => CardError::CardRemoved,
            TransportError::ReaderRemoved => CardError::NoReader,
            TransportError::ServiceStopped => CardError::NoService,
            TransportError::Timeout => CardError::Timeout,
            // A reset that survives the procedure's own retry is a reader problem to the user.
            TransportError::CardReset | TransportError::ReaderFault => CardError::ReaderFault,
        }
    }
}

/// The reader the worker thread reads from: PC/SC in production, the virtual reader in the
/// demo. Methods block; the worker calls them off the UI thread.
pub trait Reader: Send {
    /// Reads the 利用者証明用電子証明書 of the card on the reader (no PIN needed), as its
    /// holder allows ([`jpki::read_certificate`]: an Android phone answers
    /// [`CardError::PinFirst`]).
    fn read_auth_certificate(&mut self) -> Result<AuthCertificate, CardError>;

    /// Tries left of the user-authentication PIN, without using one (0 when blocked), and
    /// which card said so.
    fn pin_status(&mut self) -> Result<jpki::PinStatus, CardError>;

    /// The whole PIN flow in one card session (PC/SC: one transaction): checks that the card
    /// is `card` (else [`CardError::CardChanged`], nothing sent), verifies `pin`, has the
    /// card sign `challenge` (RSASSA-PKCS1-v1_5 with SHA-256) and reads the certificate.
    /// The PIN is never logged; copies made to send it are wiped.
    fn authenticate(
        &mut self,
        pin: &[u8],
        challenge: &[u8],
        card: &jpki::CardIdentity,
    ) -> Result<jpki::PinAuthentication, CardError>;

    /// 目視 on a holder whose certificate needs its PIN (an Android phone): checks it is
    /// `card`, verifies `pin`, reads the certificate, ends the verification.
    fn read_auth_certificate_with_pin(
        &mut self,
        pin: &[u8],
        card: &jpki::CardIdentity,
    ) -> Result<AuthCertificate, CardError>;

    /// 暗証番号 mode on an iPhone (authenticated on the phone): checks it is `card`, has it
    /// sign `challenge` and reads the certificate; no PIN is sent.
    fn authenticate_on_phone(
        &mut self,
        challenge: &[u8],
        card: &jpki::CardIdentity,
    ) -> Result<jpki::PinAuthentication, CardError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_errors_become_what_the_user_can_do() {
        for (e, expected) in [
            (TransportError::CardRemoved, CardError::CardRemoved),
            (TransportError::CardReset, CardError::ReaderFault),
            (TransportError::ReaderRemoved, CardError::NoReader),
            (TransportError::ServiceStopped, CardError::NoService),
            (TransportError::Timeout, CardError::Timeout),
            (TransportError::ReaderFault, CardError::ReaderFault),
        ] {
            assert_eq!(CardError::from(e), expected, "{e:?}");
        }
    }
}
