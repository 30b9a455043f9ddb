//! The production reader: PC/SC (pcsc-lite on Linux, WinSCard on Windows).
//!
//! Each read opens a context, connects in shared mode and runs the whole JPKI procedure
//! inside one transaction, so no other process can select another file in between.

use std::ffi::{CStr, CString};
use std::time::Duration;

use pcsc::{Card, Context, Disposition, Protocols, Scope, ShareMode, State};

use super::apdu::{Command, Response};
use super::{jpki, AuthCertificate, CardChannel, CardError, Reader, TransportError};

/// A PC/SC card reader: the preferred one by name, or else the first with a card in it.
#[derive(Debug, Clone, Default)]
pub struct PcscReader {
    preferred: Option<String>,
}

impl PcscReader {
    /// A reader chosen by `preferred` (an exact name, or else the first name that starts
    /// with it) or, when `None`, the first reader holding a card at each read.
    pub fn new(preferred: Option<String>) -> Self {
        Self { preferred }
    }
}

impl PcscReader {
    /// Connects to the card (shared mode) and runs `procedure` inside one transaction.
    fn with_card<T>(
        &self,
        procedure: impl FnOnce(&mut TransactionChannel<'_>) -> Result<T, CardError>,
    ) -> Result<T, CardError> {
        let context = Context::establish(Scope::User).map_err(card_error)?;
        let readers = context.list_readers_owned().map_err(card_error)?;
        if readers.is_empty() {
            return Err(CardError::NoReader);
        }
        let reader = match &self.preferred {
            Some(name) => preferred_reader(&readers, name).ok_or(CardError::NoReader)?,
            None => first_reader_with_card(&context, &readers)?,
        };
        log::debug!("using the card in {}", reader.to_string_lossy());
        let mut card = context
            .connect(reader, ShareMode::Shared, Protocols::ANY)
            .map_err(card_error)?;
        let result = in_transaction(&mut card, procedure);
        if let Err((_, e)) = card.disconnect(Disposition::LeaveCard) {
            log::debug!("disconnect failed: {e:?}");
        }
        result
    }
}

impl PcscReader {
    /// Runs any procedure on the card, inside one transaction, over a channel the caller
    /// may wrap (the diagnostics count and time the APDUs this way).
    pub fn with_channel<T>(
        &mut self,
        procedure: impl FnOnce(&mut dyn CardChannel) -> Result<T, CardError>,
    ) -> Result<T, CardError> {
        self.with_card(|channel| procedure(channel))
    }
}

impl Reader for PcscReader {
    fn read_auth_certificate(&mut self) -> Result<AuthCertificate, CardError> {
        self.with_card(|channel| jpki::read_auth_certificate(channel))
    }
}

/// The names of the connected readers; an empty list when there are none.
pub fn list_readers() -> Result<Vec<String>, CardError> {
    let context = Context::establish(Scope::User).map_err(card_error)?;
    match context.list_readers_owned() {
        Ok(names) => Ok(names
            .iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect()),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(card_error(e)),
    }
}

/// A connected reader and whether a card is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderState {
    /// The reader's PC/SC name.
    pub name: String,
    /// Whether a card is in the reader.
    pub card_present: bool,
}

/// Every connected reader and whether a card is in it; an empty list when there are none.
pub fn list_readers_with_state() -> Result<Vec<ReaderState>, CardError> {
    let context = Context::establish(Scope::User).map_err(card_error)?;
    let readers = match context.list_readers_owned() {
        Ok(readers) => readers,
        Err(pcsc::Error::NoReadersAvailable) => return Ok(Vec::new()),
        Err(e) => return Err(card_error(e)),
    };
    let mut states: Vec<pcsc::ReaderState> = readers
        .iter()
        .map(|r| pcsc::ReaderState::new(r.clone(), State::UNAWARE))
        .collect();
    context
        .get_status_change(Duration::ZERO, &mut states)
        .map_err(card_error)?;
    Ok(states
        .iter()
        .map(|s| ReaderState {
            name: s.name().to_string_lossy().into_owned(),
            card_present: s.event_state().contains(State::PRESENT),
        })
        .collect())
}

/// Runs `procedure` inside one transaction on `card`.
fn in_transaction<T>(
    card: &mut Card,
    procedure: impl FnOnce(&mut TransactionChannel<'_>) -> Result<T, CardError>,
) -> Result<T, CardError> {
    let transaction = match card.transaction2() {
        Ok(transaction) => transaction,
        Err((card, pcsc::Error::ResetCard)) => {
            // Reset since we connected: the handle works again only after a reconnect.
            card.reconnect(ShareMode::Shared, Protocols::ANY, Disposition::LeaveCard)
                .map_err(card_error)?;
            card.transaction().map_err(card_error)?
        }
        Err((_, e)) => return Err(card_error(e)),
    };
    let mut channel = TransactionChannel { transaction };
    let result = procedure(&mut channel);
    if let Err((_, e)) = channel.transaction.end(Disposition::LeaveCard) {
        log::debug!("ending the transaction failed: {e:?}");
    }
    result
}

/// A [`CardChannel`] over an open PC/SC transaction.
struct TransactionChannel<'tx> {
    transaction: pcsc::Transaction<'tx>,
}

impl CardChannel for TransactionChannel<'_> {
    fn transmit(&mut self, command: &Command) -> Result<Response, TransportError> {
        let mut buffer = [0u8; pcsc::MAX_BUFFER_SIZE];
        match self.transaction.transmit(&command.to_bytes(), &mut buffer) {
            Ok(raw) => Response::from_bytes(raw).map_err(|_| TransportError::ReaderFault),
            Err(pcsc::Error::ResetCard) => {
                // pcsc-lite answers ResetCard on this handle until it reconnects; reconnect
                // so the procedure's own retry can select the AP again.
                self.transaction
                    .reconnect(ShareMode::Shared, Protocols::ANY, Disposition::LeaveCard)
                    .map_err(transport_error)?;
                Err(TransportError::CardReset)
            }
            Err(e) => Err(transport_error(e)),
        }
    }
}

/// The reader named exactly `preferred`, or else the first whose name starts with it
/// (names end in a slot index that can change between plug-ins).
fn preferred_reader<'r>(readers: &'r [CString], preferred: &str) -> Option<&'r CStr> {
    let name = |r: &&CString| r.to_string_lossy().into_owned();
    readers
        .iter()
        .find(|r| name(r) == preferred)
        .or_else(|| readers.iter().find(|r| name(r).starts_with(preferred)))
        .map(CString::as_c_str)
}

/// The first reader with a responsive card in it.
fn first_reader_with_card<'r>(
    context: &Context,
    readers: &'r [CString],
) -> Result<&'r CStr, CardError> {
    let mut states: Vec<pcsc::ReaderState> = readers
        .iter()
        .map(|r| pcsc::ReaderState::new(r.clone(), State::UNAWARE))
        .collect();
    context
        .get_status_change(Duration::ZERO, &mut states)
        .map_err(card_error)?;
    let index = first_with_card(states.iter().map(pcsc::ReaderState::event_state))?;
    readers
        .get(index)
        .map(CString::as_c_str)
        .ok_or(CardError::NoCard)
}

/// The index of the first state that shows a card which answered its reset; `NoReader`
/// for no states, `NoCard` when every reader is empty.
fn first_with_card(states: impl Iterator<Item = State>) -> Result<usize, CardError> {
    let mut any = false;
    for (index, state) in states.enumerate() {
        any = true;
        if state.contains(State::PRESENT) && !state.contains(State::MUTE) {
            return Ok(index);
        }
    }
    Err(if any {
        CardError::NoCard
    } else {
        CardError::NoReader
    })
}

/// Every PC/SC error, mapped to what the person at the kiosk can do about it.
fn card_error(e: pcsc::Error) -> CardError {
    use pcsc::Error as E;
    match e {
        E::NoService | E::ServiceStopped => CardError::NoService,
        E::NoReadersAvailable | E::UnknownReader | E::ReaderUnavailable => CardError::NoReader,
        E::NoSmartcard => CardError::NoCard,
        E::RemovedCard => CardError::CardRemoved,
        _ => CardError::ReaderFault,
    }
}

/// [`card_error`] seen from inside an exchange: a card missing there was removed
/// mid-procedure, and a reset is worth the procedure's retry.
fn transport_error(e: pcsc::Error) -> TransportError {
    match e {
        pcsc::Error::ResetCard => TransportError::CardReset,
        // pcsc-lite's answer when the driver's transmit fails, as when the card leaves
        // mid-APDU; the reader state shows the removal only at the next presence poll (up
        // to 0.4 s later; measured through vpcd, tests/pcsc_stack.rs).
        pcsc::Error::NotTransacted => TransportError::CardRemoved,
        e => match card_error(e) {
            CardError::NoCard | CardError::CardRemoved => TransportError::CardRemoved,
            _ => TransportError::ReaderFault,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<CString> {
        list.iter()
            .map(|n| CString::new(*n).expect("no NUL in test names"))
            .collect()
    }

    #[test]
    fn maps_setup_errors_to_what_the_user_can_do() {
        use pcsc::Error as E;
        for (e, expected) in [
            (E::NoService, CardError::NoService),
            (E::ServiceStopped, CardError::NoService),
            (E::NoReadersAvailable, CardError::NoReader),
            (E::UnknownReader, CardError::NoReader),
            (E::ReaderUnavailable, CardError::NoReader),
            (E::NoSmartcard, CardError::NoCard),
            (E::RemovedCard, CardError::CardRemoved),
            (E::ResetCard, CardError::ReaderFault),
            (E::SharingViolation, CardError::ReaderFault),
            (E::UnresponsiveCard, CardError::ReaderFault),
            (E::CommError, CardError::ReaderFault),
        ] {
            assert_eq!(card_error(e), expected, "{e:?}");
        }
    }

    #[test]
    fn maps_exchange_errors_to_transport_errors() {
        use pcsc::Error as E;
        for (e, expected) in [
            (E::RemovedCard, TransportError::CardRemoved),
            (E::NoSmartcard, TransportError::CardRemoved),
            (E::NotTransacted, TransportError::CardRemoved),
            (E::ResetCard, TransportError::CardReset),
            (E::NoService, TransportError::ReaderFault),
            (E::ReaderUnavailable, TransportError::ReaderFault),
            (E::CommError, TransportError::ReaderFault),
            (E::UnpoweredCard, TransportError::ReaderFault),
        ] {
            assert_eq!(transport_error(e), expected, "{e:?}");
        }
    }

    #[test]
    fn prefers_the_exact_name_then_a_prefix() {
        let readers = names(&[
            "ACS ACR39U 00 00",
            "SONY FeliCa Port 00 00",
            "SONY FeliCa Port 01 00",
        ]);
        let pick =
            |p: &str| preferred_reader(&readers, p).map(|r| r.to_string_lossy().into_owned());
        assert_eq!(
            pick("SONY FeliCa Port 01 00").as_deref(),
            Some("SONY FeliCa Port 01 00")
        );
        assert_eq!(
            pick("SONY FeliCa Port").as_deref(),
            Some("SONY FeliCa Port 00 00")
        );
        assert_eq!(pick("ACS"), Some("ACS ACR39U 00 00".to_owned()));
        assert_eq!(pick("Gemalto"), None);
    }

    #[test]
    fn picks_the_first_reader_with_a_responsive_card() {
        let empty = State::EMPTY;
        let present = State::PRESENT | State::CHANGED;
        let mute = State::PRESENT | State::MUTE;
        assert_eq!(
            first_with_card([empty, present, present].into_iter()),
            Ok(1)
        );
        assert_eq!(first_with_card([mute, present].into_iter()), Ok(1));
        assert_eq!(
            first_with_card([empty, mute].into_iter()),
            Err(CardError::NoCard)
        );
        assert_eq!(first_with_card([].into_iter()), Err(CardError::NoReader));
    }
}
