//! The production reader: PC/SC (pcsc-lite on Linux, WinSCard on Windows).
//!
//! Each procedure opens a context, connects in shared mode and runs the whole JPKI procedure
//! (a read, or the PIN flow: VERIFY, SIGN and read) inside one transaction, so no other
//! process can select another file or use the verified PIN in between.
//!
//! [`watch`] reports readers plugged in or out and a card placed or removed, from a thread
//! that waits on `SCardGetStatusChange` (with the PnP pseudo-reader) and polls every second.

use std::ffi::{CStr, CString};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use pcsc::{
    Card, Context, Disposition, Protocols, ReaderState as PcscReaderState, Scope, ShareMode, State,
};

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
        self.with_card(|channel| jpki::read_certificate(channel).map(|(_, cert)| cert))
    }

    fn pin_status(&mut self) -> Result<jpki::PinStatus, CardError> {
        self.with_card(|channel| jpki::pin_status(channel))
    }

    fn authenticate(
        &mut self,
        pin: &[u8],
        challenge: &[u8],
        card: &jpki::CardIdentity,
    ) -> Result<jpki::PinAuthentication, CardError> {
        // One transaction: no other card can come between the check and the VERIFY.
        self.with_card(|channel| jpki::authenticate_card(channel, pin, challenge, card))
    }

    fn read_auth_certificate_with_pin(
        &mut self,
        pin: &[u8],
        card: &jpki::CardIdentity,
    ) -> Result<AuthCertificate, CardError> {
        // One transaction: no other card can come between the check and the VERIFY.
        self.with_card(|channel| jpki::read_certificate_with_pin(channel, pin, card))
    }

    fn authenticate_on_phone(
        &mut self,
        challenge: &[u8],
        card: &jpki::CardIdentity,
    ) -> Result<jpki::PinAuthentication, CardError> {
        self.with_card(|channel| jpki::authenticate_on_phone(channel, challenge, card))
    }
}

/// The names of the connected readers; an empty list when there are none.
pub fn list_readers() -> Result<Vec<String>, CardError> {
    let context = Context::establish(Scope::User).map_err(card_error)?;
    Ok(reader_names(&context)?
        .iter()
        .map(|n| n.to_string_lossy().into_owned())
        .collect())
}

/// A connected reader and whether a card is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderState {
    /// The reader's PC/SC name, e.g. `SONY FeliCa Port/PaSoRi 4.0 00 00`.
    pub name: String,
    /// Whether a card is in the reader (even one that did not answer its reset).
    pub card_present: bool,
}

/// Every connected reader and whether a card is in it; an empty list when there are none.
pub fn list_readers_with_state() -> Result<Vec<ReaderState>, CardError> {
    let context = Context::establish(Scope::User).map_err(card_error)?;
    let readers = reader_names(&context)?;
    let states = current_states(&context, &readers)?;
    Ok(readers
        .iter()
        .zip(states)
        .map(|(name, state)| ReaderState {
            name: name.to_string_lossy().into_owned(),
            card_present: state.contains(State::PRESENT),
        })
        .collect())
}

/// The reader names, with "no readers" as an empty list.
fn reader_names(context: &Context) -> Result<Vec<CString>, CardError> {
    match context.list_readers_owned() {
        Ok(names) => Ok(names),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(card_error(e)),
    }
}

/// The current state of each of `readers`, without waiting.
fn current_states(context: &Context, readers: &[CString]) -> Result<Vec<State>, CardError> {
    let mut states: Vec<PcscReaderState> = readers
        .iter()
        .map(|r| PcscReaderState::new(r.clone(), State::UNAWARE))
        .collect();
    if !states.is_empty() {
        context
            .get_status_change(Duration::ZERO, &mut states)
            .map_err(card_error)?;
    }
    Ok(states.iter().map(PcscReaderState::event_state).collect())
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
        let size = if command.is_extended() {
            pcsc::MAX_BUFFER_SIZE_EXTENDED
        } else {
            pcsc::MAX_BUFFER_SIZE
        };
        let mut buffer = vec![0u8; size];
        let result = self.transaction.transmit(&command.to_bytes(), &mut buffer);
        match result {
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
    let states = current_states(context, readers)?;
    let index = first_with_card(states.into_iter())?;
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

/// Every PC/SC error, mapped to what the person at the kiosk can do about it: the one table.
///
/// `ResetCard` is handled where it happens (reconnect, and the procedure's one retry); one
/// that reaches this table survived that and is a reader fault to the user.
pub fn card_error(e: pcsc::Error) -> CardError {
    use pcsc::Error as E;
    match e {
        E::NoService | E::ServiceStopped => CardError::NoService,
        E::NoReadersAvailable | E::UnknownReader | E::ReaderUnavailable => CardError::NoReader,
        E::NoSmartcard => CardError::NoCard,
        E::RemovedCard => CardError::CardRemoved,
        E::Timeout => CardError::Timeout,
        E::SharingViolation => CardError::SharingViolation,
        E::ResetCard
        | E::InternalError
        | E::Cancelled
        | E::InvalidHandle
        | E::InvalidParameter
        | E::InvalidTarget
        | E::NoMemory
        | E::WaitedTooLong
        | E::InsufficientBuffer
        | E::UnknownCard
        | E::CantDispose
        | E::ProtoMismatch
        | E::NotReady
        | E::InvalidValue
        | E::SystemCancelled
        | E::CommError
        | E::UnknownError
        | E::InvalidAtr
        | E::NotTransacted
        | E::Shutdown
        | E::PciTooSmall
        | E::ReaderUnsupported
        | E::DuplicateReader
        | E::CardUnsupported
        | E::IccInstallation
        | E::IccCreateorder
        | E::UnsupportedFeature
        | E::DirNotFound
        | E::FileNotFound
        | E::NoDir
        | E::NoFile
        | E::NoAccess
        | E::WriteTooMany
        | E::BadSeek
        | E::InvalidChv
        | E::UnknownResMng
        | E::NoSuchCertificate
        | E::CertificateUnavailable
        | E::CommDataLost
        | E::NoKeyContainer
        | E::ServerTooBusy
        | E::UnsupportedCard
        | E::UnresponsiveCard
        | E::UnpoweredCard
        | E::SecurityViolation
        | E::WrongChv
        | E::ChvBlocked
        | E::Eof
        | E::CancelledByUser
        | E::CardNotAuthenticated
        | E::CacheItemNotFound
        | E::CacheItemStale
        | E::CacheItemTooBig => CardError::ReaderFault,
        #[cfg(target_os = "windows")]
        E::Unexpected => CardError::ReaderFault,
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
            CardError::NoReader => TransportError::ReaderRemoved,
            CardError::NoService => TransportError::ServiceStopped,
            CardError::Timeout => TransportError::Timeout,
            _ => TransportError::ReaderFault,
        },
    }
}

// --- Watching readers and cards ---------------------------------------------------------

/// How long one wait for a change lasts: the watch also re-lists the readers this often
/// (for platforms without PnP notification) and notices a stop request within it.
const WATCH_POLL: Duration = Duration::from_secs(1);

/// A change that [`watch`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderEvent {
    /// The smart-card service stopped (`running: false`; no readers then) or is back.
    Service {
        /// Whether the service answers.
        running: bool,
    },
    /// The readers attached now, in PC/SC order (after a reader was plugged in or out).
    Readers(Vec<String>),
    /// A card was placed on (`present: true`) or taken from the watched reader: the
    /// preferred reader, or else the first one.
    Card {
        /// Whether a card is on the watched reader now.
        present: bool,
    },
}

/// What the watch last saw; [`diff`] turns two of them into events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Snapshot {
    service: bool,
    readers: Vec<String>,
    /// The card on the watched reader: the reader's name and its event counter (which
    /// changes when a card is swapped between two looks), or `None` for no card.
    card: Option<(String, u32)>,
}

/// The events that lead from `old` to `new`; everything in `new` when nothing was reported
/// yet. A card swapped between two looks (same reader, new event count, or another watched
/// reader) is reported as removed, then placed.
fn diff(old: Option<&Snapshot>, new: &Snapshot) -> Vec<ReaderEvent> {
    let mut events = Vec::new();
    let Some(old) = old else {
        events.push(ReaderEvent::Service {
            running: new.service,
        });
        events.push(ReaderEvent::Readers(new.readers.clone()));
        events.push(ReaderEvent::Card {
            present: new.card.is_some(),
        });
        return events;
    };
    if old.service != new.service {
        events.push(ReaderEvent::Service {
            running: new.service,
        });
    }
    if old.readers != new.readers {
        events.push(ReaderEvent::Readers(new.readers.clone()));
    }
    match (&old.card, &new.card) {
        (None, Some(_)) => events.push(ReaderEvent::Card { present: true }),
        (Some(_), None) => events.push(ReaderEvent::Card { present: false }),
        (Some(a), Some(b)) if a != b => {
            events.push(ReaderEvent::Card { present: false });
            events.push(ReaderEvent::Card { present: true });
        }
        _ => {}
    }
    events
}

/// The snapshot of a running service from `(name, state, event count)` per reader: the
/// watched reader is `preferred` (exact name, else prefix) or the first.
fn snapshot(preferred: Option<&str>, readers: &[(String, State, u32)]) -> Snapshot {
    let watched = match preferred {
        Some(p) => readers
            .iter()
            .find(|(name, ..)| name == p)
            .or_else(|| readers.iter().find(|(name, ..)| name.starts_with(p))),
        None => readers.first(),
    };
    let card = watched
        .filter(|(_, state, _)| {
            state.contains(State::PRESENT)
                && !state.intersects(State::UNKNOWN | State::UNAVAILABLE | State::IGNORE)
        })
        .map(|(name, _, count)| (name.clone(), *count));
    Snapshot {
        service: true,
        readers: readers.iter().map(|(name, ..)| name.clone()).collect(),
        card,
    }
}

/// A running reader watch; [`Watch::stop`] (or dropping it) ends it.
pub struct Watch {
    shared: Arc<WatchShared>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

/// What the watch thread and its handle share: the context to cancel a wait with.
struct WatchShared {
    context: Mutex<Option<Context>>,
}

impl WatchShared {
    fn set_context(&self, context: Option<Context>) {
        *self.context.lock().unwrap_or_else(PoisonError::into_inner) = context;
    }
}

/// Starts a thread that reports reader and card changes to `sink` (from that thread): first
/// the whole state (service, readers, card), then each change. It waits on
/// `SCardGetStatusChange` with the readers and the PnP pseudo-reader
/// (`\\?PnP?\Notification`), at most [`WATCH_POLL`] at a time, and survives the service
/// stopping and starting again.
///
/// Fails only if the smart-card service cannot be reached at the start (`NoService`) or the
/// thread cannot start (`ReaderFault`).
pub fn watch(
    preferred: Option<String>,
    sink: impl Fn(ReaderEvent) + Send + 'static,
) -> Result<Watch, CardError> {
    let context = Context::establish(Scope::User).map_err(card_error)?;
    let shared = Arc::new(WatchShared {
        context: Mutex::new(Some(context.clone())),
    });
    let (stop, stopped) = mpsc::channel();
    let thread_shared = Arc::clone(&shared);
    let thread = thread::Builder::new()
        .name("reader-watch".into())
        .spawn(move || {
            let mut watcher = Watcher {
                shared: thread_shared,
                preferred,
                stopped,
                context: Some(context),
                states: Vec::new(),
                last: None,
            };
            watcher.run(&sink);
        })
        .map_err(|e| {
            log::error!("could not start the reader watch: {e}");
            CardError::ReaderFault
        })?;
    Ok(Watch {
        shared,
        stop: Some(stop),
        thread: Some(thread),
    })
}

impl Watch {
    /// Stops the watch: cancels the wait in progress and joins the thread (within about
    /// [`WATCH_POLL`] even if the cancel comes too early to interrupt a wait).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        // Closing the channel is the stop flag; cancelling wakes the thread from its wait.
        drop(self.stop.take());
        let context = self
            .shared
            .context
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(context) = context {
            if let Err(e) = context.cancel() {
                log::debug!("cancelling the reader watch's wait failed: {e:?}");
            }
        }
        if thread.join().is_err() {
            log::warn!("the reader watch thread panicked");
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The watch thread's state.
struct Watcher {
    shared: Arc<WatchShared>,
    preferred: Option<String>,
    stopped: mpsc::Receiver<()>,
    context: Option<Context>,
    /// The PnP pseudo-reader first, then one state per reader.
    states: Vec<PcscReaderState>,
    last: Option<Snapshot>,
}

impl Watcher {
    fn run(&mut self, sink: &dyn Fn(ReaderEvent)) {
        while !self.stop_requested() {
            match self.look() {
                Some(now) => {
                    for event in diff(self.last.as_ref(), &now) {
                        log::debug!("reader watch: {}", event_name(&event));
                        sink(event);
                    }
                    self.last = Some(now);
                }
                None => {
                    if self.sleep() {
                        return;
                    }
                }
            }
        }
    }

    /// Whether [`Watch::stop`] was called (the channel closed).
    fn stop_requested(&self) -> bool {
        matches!(
            self.stopped.try_recv(),
            Err(mpsc::TryRecvError::Disconnected) | Ok(())
        )
    }

    /// Waits [`WATCH_POLL`] unless stopped first; true if stopped.
    fn sleep(&self) -> bool {
        !matches!(
            self.stopped.recv_timeout(WATCH_POLL),
            Err(RecvTimeoutError::Timeout)
        )
    }

    /// One round: (re)connect to the service, list the readers, wait for a change (at most
    /// [`WATCH_POLL`]) and return what is there now; `None` to sleep and try again.
    fn look(&mut self) -> Option<Snapshot> {
        let context = match &self.context {
            Some(context) => context.clone(),
            None => match Context::establish(Scope::User) {
                Ok(context) => {
                    self.shared.set_context(Some(context.clone()));
                    self.context = Some(context.clone());
                    context
                }
                Err(_) => return self.service_gone(),
            },
        };
        let names = match reader_names(&context) {
            Ok(names) => names,
            Err(CardError::NoService) => return self.service_gone(),
            Err(e) => {
                log::debug!("reader watch: listing readers failed: {e:?}");
                return None;
            }
        };
        self.track(&names);
        for state in &mut self.states {
            state.sync_current_state();
        }
        if self.stop_requested() {
            return None;
        }
        match context.get_status_change(WATCH_POLL, &mut self.states) {
            Ok(()) => {}
            // Nothing changed: the snapshot below equals the last one.
            Err(pcsc::Error::Timeout) => return self.last.clone(),
            // Stop, or a reader left during the wait: the next round looks again.
            Err(pcsc::Error::Cancelled | pcsc::Error::UnknownReader) => return self.last.clone(),
            Err(e) => match card_error(e) {
                CardError::NoService => return self.service_gone(),
                _ => {
                    log::debug!("reader watch: waiting failed: {e:?}");
                    return None;
                }
            },
        }
        let readers: Vec<(String, State, u32)> = self
            .states
            .iter()
            .filter(|s| s.name() != pcsc::PNP_NOTIFICATION())
            .map(|s| {
                (
                    s.name().to_string_lossy().into_owned(),
                    s.event_state(),
                    s.event_count(),
                )
            })
            .collect();
        Some(snapshot(self.preferred.as_deref(), &readers))
    }

    /// Keeps one state per listed reader (new readers start UNAWARE) after the PnP entry.
    fn track(&mut self, names: &[CString]) {
        let pnp = pcsc::PNP_NOTIFICATION();
        if self.states.first().map(PcscReaderState::name) != Some(pnp) {
            self.states.clear();
            self.states
                .push(PcscReaderState::new(pnp.to_owned(), State::UNAWARE));
        }
        self.states
            .retain(|s| s.name() == pnp || names.iter().any(|n| n.as_c_str() == s.name()));
        for name in names {
            if !self.states.iter().any(|s| s.name() == name.as_c_str()) {
                self.states
                    .push(PcscReaderState::new(name.clone(), State::UNAWARE));
            }
        }
    }

    /// The service is not there: forget the context and the readers and report that.
    fn service_gone(&mut self) -> Option<Snapshot> {
        self.context = None;
        self.shared.set_context(None);
        self.states.clear();
        let gone = Snapshot::default();
        if self.last.as_ref() != Some(&gone) {
            return Some(gone);
        }
        None
    }
}

/// A short name of an event for logs: never a reader name (it may name a person's device).
fn event_name(event: &ReaderEvent) -> &'static str {
    match event {
        ReaderEvent::Service { running: true } => "service running",
        ReaderEvent::Service { running: false } => "service stopped",
        ReaderEvent::Readers(_) => "readers changed",
        ReaderEvent::Card { present: true } => "card placed",
        ReaderEvent::Card { present: false } => "card removed",
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

    /// Every pcsc::Error (on this platform) and the card error it means, one row each.
    const TABLE: [(pcsc::Error, CardError); 62] = {
        use pcsc::Error as E;
        use CardError::{
            CardRemoved, NoCard, NoReader, NoService, ReaderFault, SharingViolation, Timeout,
        };
        [
            (E::NoService, NoService),
            (E::ServiceStopped, NoService),
            (E::NoReadersAvailable, NoReader),
            (E::UnknownReader, NoReader),
            (E::ReaderUnavailable, NoReader),
            (E::NoSmartcard, NoCard),
            (E::RemovedCard, CardRemoved),
            (E::Timeout, Timeout),
            (E::SharingViolation, SharingViolation),
            (E::ResetCard, ReaderFault),
            (E::InternalError, ReaderFault),
            (E::Cancelled, ReaderFault),
            (E::InvalidHandle, ReaderFault),
            (E::InvalidParameter, ReaderFault),
            (E::InvalidTarget, ReaderFault),
            (E::NoMemory, ReaderFault),
            (E::WaitedTooLong, ReaderFault),
            (E::InsufficientBuffer, ReaderFault),
            (E::UnknownCard, ReaderFault),
            (E::CantDispose, ReaderFault),
            (E::ProtoMismatch, ReaderFault),
            (E::NotReady, ReaderFault),
            (E::InvalidValue, ReaderFault),
            (E::SystemCancelled, ReaderFault),
            (E::CommError, ReaderFault),
            (E::UnknownError, ReaderFault),
            (E::InvalidAtr, ReaderFault),
            (E::NotTransacted, ReaderFault),
            (E::Shutdown, ReaderFault),
            (E::PciTooSmall, ReaderFault),
            (E::ReaderUnsupported, ReaderFault),
            (E::DuplicateReader, ReaderFault),
            (E::CardUnsupported, ReaderFault),
            (E::IccInstallation, ReaderFault),
            (E::IccCreateorder, ReaderFault),
            (E::UnsupportedFeature, ReaderFault),
            (E::DirNotFound, ReaderFault),
            (E::FileNotFound, ReaderFault),
            (E::NoDir, ReaderFault),
            (E::NoFile, ReaderFault),
            (E::NoAccess, ReaderFault),
            (E::WriteTooMany, ReaderFault),
            (E::BadSeek, ReaderFault),
            (E::InvalidChv, ReaderFault),
            (E::UnknownResMng, ReaderFault),
            (E::NoSuchCertificate, ReaderFault),
            (E::CertificateUnavailable, ReaderFault),
            (E::CommDataLost, ReaderFault),
            (E::NoKeyContainer, ReaderFault),
            (E::ServerTooBusy, ReaderFault),
            (E::UnsupportedCard, ReaderFault),
            (E::UnresponsiveCard, ReaderFault),
            (E::UnpoweredCard, ReaderFault),
            (E::SecurityViolation, ReaderFault),
            (E::WrongChv, ReaderFault),
            (E::ChvBlocked, ReaderFault),
            (E::Eof, ReaderFault),
            (E::CancelledByUser, ReaderFault),
            (E::CardNotAuthenticated, ReaderFault),
            (E::CacheItemNotFound, ReaderFault),
            (E::CacheItemStale, ReaderFault),
            (E::CacheItemTooBig, ReaderFault),
        ]
    };

    #[test]
    fn maps_every_pcsc_error_to_what_the_user_can_do() {
        for (e, expected) in TABLE {
            assert_eq!(card_error(e), expected, "{e:?}");
        }
        // Every variant of pcsc::Error on this platform (63 less the Windows-only
        // `Unexpected`), each once: `card_error` matches them all by name.
        let mut seen: Vec<u32> = TABLE.iter().map(|(e, _)| *e as u32).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), TABLE.len(), "each error has one row");
    }

    #[test]
    fn no_service_and_service_stopped_mean_no_service() {
        assert_eq!(card_error(pcsc::Error::NoService), CardError::NoService);
        assert_eq!(
            card_error(pcsc::Error::ServiceStopped),
            CardError::NoService
        );
    }

    #[test]
    fn missing_readers_mean_no_reader() {
        for e in [
            pcsc::Error::NoReadersAvailable,
            pcsc::Error::UnknownReader,
            pcsc::Error::ReaderUnavailable,
        ] {
            assert_eq!(card_error(e), CardError::NoReader, "{e:?}");
        }
    }

    #[test]
    fn a_missing_card_is_no_card_before_and_removed_during_a_procedure() {
        assert_eq!(card_error(pcsc::Error::NoSmartcard), CardError::NoCard);
        assert_eq!(card_error(pcsc::Error::RemovedCard), CardError::CardRemoved);
        for e in [pcsc::Error::NoSmartcard, pcsc::Error::RemovedCard] {
            assert_eq!(transport_error(e), TransportError::CardRemoved, "{e:?}");
            assert_eq!(
                CardError::from(transport_error(e)),
                CardError::CardRemoved,
                "{e:?}"
            );
        }
    }

    #[test]
    fn timeout_and_sharing_violation_have_their_own_errors() {
        assert_eq!(card_error(pcsc::Error::Timeout), CardError::Timeout);
        assert_eq!(
            card_error(pcsc::Error::SharingViolation),
            CardError::SharingViolation
        );
    }

    #[test]
    fn a_reset_is_retried_inside_and_a_fault_outside() {
        assert_eq!(
            transport_error(pcsc::Error::ResetCard),
            TransportError::CardReset
        );
        assert_eq!(card_error(pcsc::Error::ResetCard), CardError::ReaderFault);
    }

    #[test]
    fn maps_exchange_errors_to_transport_errors() {
        use pcsc::Error as E;
        for (e, expected) in [
            (E::RemovedCard, TransportError::CardRemoved),
            (E::NoSmartcard, TransportError::CardRemoved),
            (E::NotTransacted, TransportError::CardRemoved),
            (E::ResetCard, TransportError::CardReset),
            (E::NoService, TransportError::ServiceStopped),
            (E::ServiceStopped, TransportError::ServiceStopped),
            (E::ReaderUnavailable, TransportError::ReaderRemoved),
            (E::UnknownReader, TransportError::ReaderRemoved),
            (E::Timeout, TransportError::Timeout),
            (E::SharingViolation, TransportError::ReaderFault),
            (E::CommError, TransportError::ReaderFault),
            (E::UnpoweredCard, TransportError::ReaderFault),
        ] {
            assert_eq!(transport_error(e), expected, "{e:?}");
        }
        // Inside or outside a procedure, the user hears the same for the same cause (but a
        // card gone mid-procedure was removed (NotTransacted: the driver's transmit failed),
        // a reset is retried, and no other program can hold the card inside our own
        // transaction).
        for (e, _) in TABLE {
            if ![
                E::ResetCard,
                E::NoSmartcard,
                E::NotTransacted,
                E::SharingViolation,
            ]
            .contains(&e)
            {
                assert_eq!(CardError::from(transport_error(e)), card_error(e), "{e:?}");
            }
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

    fn reader(name: &str, state: State, count: u32) -> (String, State, u32) {
        (name.to_owned(), state, count)
    }

    fn snap(readers: &[&str], card: Option<(&str, u32)>) -> Snapshot {
        Snapshot {
            service: true,
            readers: readers.iter().map(|r| (*r).to_owned()).collect(),
            card: card.map(|(name, count)| (name.to_owned(), count)),
        }
    }

    #[test]
    fn the_first_look_reports_everything() {
        let now = snap(&["A 00 00"], Some(("A 00 00", 1)));
        assert_eq!(
            diff(None, &now),
            [
                ReaderEvent::Service { running: true },
                ReaderEvent::Readers(vec!["A 00 00".into()]),
                ReaderEvent::Card { present: true },
            ]
        );
        assert_eq!(
            diff(None, &Snapshot::default()),
            [
                ReaderEvent::Service { running: false },
                ReaderEvent::Readers(Vec::new()),
                ReaderEvent::Card { present: false },
            ]
        );
    }

    #[test]
    fn nothing_changed_reports_nothing() {
        let now = snap(&["A 00 00"], Some(("A 00 00", 1)));
        assert_eq!(diff(Some(&now), &now.clone()), []);
    }

    #[test]
    fn readers_attached_and_detached_are_reported_with_the_new_list() {
        let before = snap(&["A 00 00"], None);
        let after = snap(&["A 00 00", "B 00 00"], None);
        assert_eq!(
            diff(Some(&before), &after),
            [ReaderEvent::Readers(vec![
                "A 00 00".into(),
                "B 00 00".into()
            ])]
        );
        assert_eq!(
            diff(Some(&after), &snap(&[], None)),
            [ReaderEvent::Readers(Vec::new())]
        );
    }

    #[test]
    fn cards_placed_removed_and_swapped_are_reported() {
        let empty = snap(&["A 00 00"], None);
        let placed = snap(&["A 00 00"], Some(("A 00 00", 1)));
        assert_eq!(
            diff(Some(&empty), &placed),
            [ReaderEvent::Card { present: true }]
        );
        assert_eq!(
            diff(Some(&placed), &empty),
            [ReaderEvent::Card { present: false }]
        );
        // Removed and placed again between two looks: the event counter moved on.
        let swapped = snap(&["A 00 00"], Some(("A 00 00", 3)));
        assert_eq!(
            diff(Some(&placed), &swapped),
            [
                ReaderEvent::Card { present: false },
                ReaderEvent::Card { present: true }
            ]
        );
    }

    #[test]
    fn the_reader_unplugged_with_its_card_reports_both() {
        let placed = snap(&["A 00 00"], Some(("A 00 00", 1)));
        assert_eq!(
            diff(Some(&placed), &snap(&[], None)),
            [
                ReaderEvent::Readers(Vec::new()),
                ReaderEvent::Card { present: false }
            ]
        );
    }

    #[test]
    fn the_service_stopping_and_coming_back_is_reported() {
        let placed = snap(&["A 00 00"], Some(("A 00 00", 1)));
        let gone = Snapshot::default();
        assert_eq!(
            diff(Some(&placed), &gone),
            [
                ReaderEvent::Service { running: false },
                ReaderEvent::Readers(Vec::new()),
                ReaderEvent::Card { present: false },
            ]
        );
        assert_eq!(
            diff(Some(&gone), &snap(&[], None)),
            [ReaderEvent::Service { running: true }]
        );
    }

    #[test]
    fn the_watched_reader_is_the_preferred_one_or_the_first() {
        let present = State::PRESENT | State::CHANGED;
        let readers = [
            reader("ACS ACR39U 00 00", State::EMPTY, 0),
            reader("SONY FeliCa Port 00 00", present, 4),
        ];
        assert_eq!(
            snapshot(None, &readers).card,
            None,
            "the first reader is empty"
        );
        let exact = snapshot(Some("SONY FeliCa Port 00 00"), &readers);
        assert_eq!(exact.card, Some(("SONY FeliCa Port 00 00".into(), 4)));
        let prefix = snapshot(Some("SONY"), &readers);
        assert_eq!(prefix.card, exact.card);
        assert_eq!(snapshot(Some("Gemalto"), &readers).card, None);
        assert!(snapshot(None, &readers).service);
        assert_eq!(
            snapshot(None, &readers).readers,
            ["ACS ACR39U 00 00", "SONY FeliCa Port 00 00"]
        );
    }

    #[test]
    fn a_card_counts_as_present_only_in_a_usable_reader() {
        let snap_of = |state| {
            snapshot(None, &[reader("A 00 00", state, 2)])
                .card
                .is_some()
        };
        assert!(snap_of(State::PRESENT));
        assert!(
            snap_of(State::PRESENT | State::MUTE),
            "placed, even if mute"
        );
        assert!(snap_of(State::PRESENT | State::INUSE));
        assert!(!snap_of(State::EMPTY));
        assert!(!snap_of(State::PRESENT | State::UNAVAILABLE));
        assert!(!snap_of(State::UNKNOWN | State::CHANGED));
        assert_eq!(snapshot(None, &[]), snap(&[], None));
    }

    #[test]
    fn event_names_hold_no_reader_name() {
        let event = ReaderEvent::Readers(vec!["Secret Reader 00 00".into()]);
        assert_eq!(event_name(&event), "readers changed");
    }
}
