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
    /// The reader or the PC/SC service failed.
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
    /// The card has no JPKI application (SELECT AP answered 6A82): not a My Number Card.
    NotMyNumberCard,
    /// The card answered with a status word the procedure does not expect.
    UnexpectedStatus(apdu::StatusWord),
    /// The certificate file does not hold a well-formed certificate.
    BadCertificate(cert::CertError),
    /// Any other reader or service failure.
    ReaderFault,
    /// The PIN was wrong; the card allows `tries_left` more.
    WrongPin {
        /// Tries the card still allows.
        tries_left: u8,
    },
    /// The PIN is blocked after too many wrong tries.
    PinBlocked,
}

impl From<TransportError> for CardError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::CardRemoved => CardError::CardRemoved,
            // A reset that survives the procedure's own retry is a reader problem to the user.
            TransportError::CardReset | TransportError::ReaderFault => CardError::ReaderFault,
        }
    }
}

/// The reader the worker thread reads from: PC/SC in production, the virtual reader in the
/// demo. Methods block; the worker calls them off the UI thread.
pub trait Reader: Send {
    /// Reads the 利用者証明用電子証明書 of the card on the reader (no PIN needed).
    fn read_auth_certificate(&mut self) -> Result<AuthCertificate, CardError>;
}
