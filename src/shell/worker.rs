//! The single worker thread: runs blocking card and center commands in order and posts each
//! result back as an [`Event`]. The UI thread never blocks on IO.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use log::{debug, warn};

use crate::app::{Command, Event};
use crate::card::pcsc::PcscReader;
use crate::card::Reader;
use crate::center::{Center, CheckRequest};

/// Where certificates come from.
pub enum ReaderBackend {
    /// A PC/SC reader (production).
    Pcsc(PcscReader),
    /// The virtual reader with the demo tray's cards.
    #[cfg(feature = "demo")]
    Virtual(crate::card::virtual_card::VirtualReader),
}

impl ReaderBackend {
    /// Uses the named PC/SC reader from now on (the virtual reader has no choice).
    fn choose(&mut self, name: Option<String>) {
        match self {
            ReaderBackend::Pcsc(r) => *r = PcscReader::new(name),
            #[cfg(feature = "demo")]
            ReaderBackend::Virtual(_) => {}
        }
    }

    fn reader(&mut self) -> &mut dyn Reader {
        match self {
            ReaderBackend::Pcsc(r) => r,
            #[cfg(feature = "demo")]
            ReaderBackend::Virtual(r) => r,
        }
    }
}

/// Everything the worker talks to.
pub struct Backends {
    /// The card reader.
    pub reader: ReaderBackend,
    /// The qualification center.
    pub center: Box<dyn Center>,
    /// Where settings are saved; `None` keeps them in memory only (the demo).
    pub store: Option<super::settings::Store>,
    /// The face folder (`export_dir=`); `None` writes no file at all.
    pub export: Option<super::export::Exporter>,
    /// The system clipboard for コピー; `None` where there is none.
    pub clipboard: Option<Box<dyn super::clipboard::Clipboard>>,
}

/// The name the demo's virtual reader goes by in カードリーダー選択.
pub const DEMO_READER_NAME: &str = "myna-kakunin Demo Reader";

/// Runs one command to completion and returns the events it produced.
///
/// Shared by the worker thread and the headless driver, so screenshots and tests run the
/// very code the kiosk runs.
pub fn execute(backends: &mut Backends, command: Command) -> Vec<Event> {
    match command {
        Command::ReadCertificate => {
            vec![Event::CertificateRead(
                backends.reader.reader().read_auth_certificate(),
            )]
        }
        Command::CheckQualification(certificate) => {
            let request = CheckRequest::Visual {
                certificate: &certificate,
            };
            let answer = backends.center.check_qualification(&request).map(Box::new);
            vec![Event::CenterAnswered(answer)]
        }
        Command::QueryPinTries { card } => vec![Event::PinTries {
            card,
            result: backends.reader.reader().pin_status(),
        }],
        Command::Authenticate {
            pin,
            challenge,
            card,
        } => {
            let result =
                backends
                    .reader
                    .reader()
                    .authenticate(pin.expose(), &challenge.nonce, &card);
            // `pin` is dropped (and wiped) at the end of this arm.
            vec![Event::Authenticated(result.map(Box::new))]
        }
        Command::ReadCertificateWithPin { pin, card } => {
            let result = backends
                .reader
                .reader()
                .read_auth_certificate_with_pin(pin.expose(), &card);
            // `pin` is dropped (and wiped) at the end of this arm.
            vec![Event::CertificateRead(result)]
        }
        Command::AuthenticateOnPhone { challenge, card } => {
            let result = backends
                .reader
                .reader()
                .authenticate_on_phone(&challenge.nonce, &card);
            vec![Event::Authenticated(result.map(Box::new))]
        }
        Command::GetChallenge => vec![Event::ChallengeIssued(backends.center.challenge())],
        Command::ExportResult {
            outcome,
            institution_code,
        } => {
            let result = match backends.export.as_mut() {
                Some(exporter) => exporter.export(&outcome, &institution_code).map(drop),
                None => {
                    warn!("export asked without an export folder");
                    Err(crate::app::ExportProblem::Other)
                }
            };
            vec![Event::Exported(result)]
        }
        Command::CopyResult(outcome) => {
            let text = crate::ui::screens::copy_text(&outcome);
            let result = match backends.clipboard.as_mut() {
                Some(clipboard) => clipboard.set(text),
                None => Err(crate::app::ClipboardProblem::Unavailable),
            };
            vec![Event::Copied(result)]
        }
        Command::ClearClipboard => {
            if let Some(clipboard) = backends.clipboard.as_mut() {
                clipboard.clear_if_ours();
            }
            Vec::new()
        }
        Command::CheckQualificationWithPin {
            authentication,
            challenge_id,
        } => {
            let request = CheckRequest::Pin {
                certificate: &authentication.certificate,
                signature: authentication.signature.as_bytes(),
                challenge_id: &challenge_id,
            };
            let answer = backends.center.check_qualification(&request).map(Box::new);
            vec![Event::CenterAnswered(answer)]
        }
        Command::Register(registration) => {
            vec![Event::Enrolled(
                backends.center.register_device(&registration).map(Box::new),
            )]
        }
        Command::Login {
            device,
            user_id,
            password,
        } => {
            vec![Event::LoggedIn(
                backends
                    .center
                    .login(&device, &user_id, &password)
                    .map(Box::new),
            )]
        }
        Command::RenewSession {
            device,
            refresh_token,
        } => {
            let renewed = backends.center.refresh_session(&device, &refresh_token);
            vec![Event::SessionRenewed(renewed.map(Box::new))]
        }
        Command::CheckVersion => vec![Event::Version(backends.center.app_version())],
        Command::FetchNotices => vec![Event::Notices(backends.center.notices())],
        Command::MarkNoticesRead(ids) => {
            if let Err(e) = backends.center.mark_notices_read(&ids) {
                warn!("notices not marked read: {}", e.log_name());
            }
            Vec::new()
        }
        Command::ChangePassword { current, new } => {
            vec![Event::PasswordChanged(
                backends.center.change_password(&current, &new),
            )]
        }
        Command::Logout => {
            // The device forgets the session whatever the center says.
            if let Err(e) = backends.center.logout() {
                warn!("logout not confirmed by the center: {}", e.log_name());
            }
            Vec::new()
        }
        Command::Deregister => {
            if let Err(e) = backends.center.deregister_device() {
                warn!(
                    "deregistration not confirmed by the center: {}",
                    e.log_name()
                );
            }
            Vec::new()
        }
        Command::OpenUrl(url) => {
            open_url(&url);
            Vec::new()
        }
        // The window ends the app itself (shell::window); nothing to do off the UI thread.
        Command::Quit => Vec::new(),
        Command::ListReaders => vec![Event::Readers(list_readers(&backends.reader))],
        Command::UseReader(name) => {
            backends.reader.choose(name);
            Vec::new()
        }
        Command::SaveSettings(settings) => match &backends.store {
            None => vec![Event::SettingsSaved(Ok(()))],
            Some(store) => match store.save(&settings) {
                Ok(()) => vec![Event::SettingsSaved(Ok(()))],
                Err(e) => {
                    warn!("settings not saved: {e:?}");
                    vec![Event::SettingsSaved(Err(e.save_problem()))]
                }
            },
        },
        Command::DemoPlaceCard(index) => demo_place(backends, index),
        Command::DemoRemoveCard => demo_remove(backends),
    }
}

/// Opens an https page in the system's browser. Anything else is refused: the links come
/// from the center, and nothing but a web page may be started from them.
fn open_url(url: &str) {
    if !is_plain_https(url) {
        warn!("refused to open a link that is not a plain https URL");
        return;
    }
    #[cfg(windows)]
    match super::windows::open_url(url) {
        Ok(()) => {}
        Err(e) => {
            // ShellExecuteW failed (no association?): explorer.exe hands URLs to the browser.
            warn!(
                "ShellExecuteW could not open the link ({}); trying explorer",
                e.0
            );
            if let Err(e) = std::process::Command::new("explorer").arg(url).spawn() {
                warn!("could not open the browser: {e}");
            }
        }
    }
    #[cfg(not(windows))]
    if let Err(e) = std::process::Command::new("xdg-open").arg(url).spawn() {
        warn!("could not open the browser: {e}");
    }
}

/// Whether `url` may be handed to the browser: `https://`, no spaces or control characters
/// (which a shell or the browser could read as more than one argument or a command).
fn is_plain_https(url: &str) -> bool {
    url.starts_with("https://") && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The readers to offer in カードリーダー選択. A PC/SC failure lists none; the screen then
/// says to connect a reader.
fn list_readers(reader: &ReaderBackend) -> Vec<String> {
    match reader {
        ReaderBackend::Pcsc(_) => crate::card::pcsc::list_readers().unwrap_or_else(|e| {
            warn!("listing readers failed: {e:?}");
            Vec::new()
        }),
        #[cfg(feature = "demo")]
        ReaderBackend::Virtual(_) => vec![DEMO_READER_NAME.to_owned()],
    }
}

#[cfg(feature = "demo")]
fn demo_place(backends: &mut Backends, index: u8) -> Vec<Event> {
    use crate::card::virtual_card::demo_cards;
    let ReaderBackend::Virtual(reader) = &mut backends.reader else {
        warn!("demo card asked of a real reader; ignored");
        return Vec::new();
    };
    let Some(card) = demo_cards().get(usize::from(index)) else {
        warn!("no demo card {index}");
        return Vec::new();
    };
    // Swapping cards looks like a removal followed by a placement, as on a real reader.
    let mut events = Vec::new();
    if reader.has_card() {
        reader.remove();
        events.push(Event::CardPresence(false));
    }
    reader.place(card.insert());
    events.push(Event::CardPresence(true));
    events
}

#[cfg(feature = "demo")]
fn demo_remove(backends: &mut Backends) -> Vec<Event> {
    let ReaderBackend::Virtual(reader) = &mut backends.reader else {
        return Vec::new();
    };
    reader.remove();
    vec![Event::CardPresence(false)]
}

#[cfg(not(feature = "demo"))]
fn demo_place(_: &mut Backends, _: u8) -> Vec<Event> {
    warn!("demo card asked of the production build; ignored");
    Vec::new()
}

#[cfg(not(feature = "demo"))]
fn demo_remove(_: &mut Backends) -> Vec<Event> {
    Vec::new()
}

/// Handle to the worker thread. Dropping it closes the queue; the thread ends after the
/// command it is running.
pub struct Worker {
    queue: mpsc::Sender<Command>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Worker {
    /// Starts the thread. `post` delivers each event to the UI thread (the event loop proxy).
    pub fn spawn(
        mut backends: Backends,
        post: impl Fn(Event) -> bool + Send + 'static,
    ) -> std::io::Result<Self> {
        let (queue, commands) = mpsc::channel::<Command>();
        let thread = thread::Builder::new()
            .name("worker".into())
            .spawn(move || {
                // Between commands the center's connection is kept warm while the kiosk is
                // in use (the client decides when; `None` waits for the next command).
                let mut warm_in: Option<Duration> = None;
                loop {
                    let command = match warm_in {
                        None => match commands.recv() {
                            Ok(command) => command,
                            Err(_) => return,
                        },
                        Some(wait) => match commands.recv_timeout(wait) {
                            Ok(command) => command,
                            Err(mpsc::RecvTimeoutError::Timeout) => {
                                warm_in = backends.center.keep_warm();
                                continue;
                            }
                            Err(mpsc::RecvTimeoutError::Disconnected) => return,
                        },
                    };
                    debug!("worker runs {}", command.name());
                    for event in execute(&mut backends, command) {
                        if !post(event) {
                            // The UI is gone; nothing more to do.
                            return;
                        }
                    }
                    warm_in = backends.center.keep_warm();
                }
            })?;
        Ok(Self {
            queue,
            thread: Some(thread),
        })
    }

    /// Queues a command. Returns false if the worker has stopped.
    pub fn send(&self, command: Command) -> bool {
        self.queue.send(command).is_ok()
    }

    /// Closes the queue and waits for the thread to finish its current command.
    pub fn shutdown(mut self) {
        self.join();
    }

    fn join(&mut self) {
        let (closed, _) = mpsc::channel();
        self.queue = closed;
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                warn!("worker thread panicked");
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_https_links_reach_the_browser() {
        assert!(is_plain_https("https://myna-kakunin.example/notices/N0001"));
        for refused in [
            "http://myna-kakunin.example/notices/N0001",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "HTTPS://myna-kakunin.example/",
            "https://myna-kakunin.example/ --new-window",
            "https://myna-kakunin.example/\n",
            "https://myna-kakunin.example/\u{7}",
            "",
        ] {
            assert!(!is_plain_https(refused), "{refused:?}");
        }
    }

    /// A transport that answers nothing and counts when it is asked to keep warm.
    struct Warmable {
        asked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
        wait: Option<Duration>,
    }

    impl crate::center::calls::Transport for Warmable {
        fn name(&self) -> &'static str {
            "warmable"
        }

        fn exchange(
            &mut self,
            _: &crate::center::calls::Call<'_>,
        ) -> Result<crate::center::calls::Reply, crate::center::CenterError> {
            Err(crate::center::CenterError::Unreachable)
        }

        fn keep_warm(&mut self) -> Option<Duration> {
            self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.wait
        }
    }

    fn worker_with(
        wait: Option<Duration>,
    ) -> (Worker, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let center = crate::center::calls::CenterClient::with_transport(Warmable {
            asked: std::sync::Arc::clone(&asked),
            wait,
        });
        let backends = Backends {
            reader: ReaderBackend::Pcsc(PcscReader::new(None)),
            center: Box::new(center),
            store: None,
            export: None,
            clipboard: None,
        };
        (Worker::spawn(backends, |_| true).unwrap(), asked)
    }

    #[test]
    fn between_commands_the_worker_lets_the_center_keep_warm() {
        let (worker, asked) = worker_with(Some(Duration::from_millis(5)));
        assert!(worker.send(Command::CheckVersion));
        // Asked after the command, and again each time the wait it named runs out.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while asked.load(std::sync::atomic::Ordering::SeqCst) < 3 {
            assert!(std::time::Instant::now() < deadline, "never asked again");
            thread::sleep(Duration::from_millis(5));
        }
        worker.shutdown();
    }

    #[test]
    fn a_center_with_nothing_to_keep_leaves_the_worker_asleep() {
        let (worker, asked) = worker_with(None);
        assert!(worker.send(Command::CheckVersion));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while asked.load(std::sync::atomic::Ordering::SeqCst) < 1 {
            assert!(
                std::time::Instant::now() < deadline,
                "not asked after the command"
            );
            thread::sleep(Duration::from_millis(5));
        }
        // Nothing wakes it until the next command.
        thread::sleep(Duration::from_millis(100));
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(worker.send(Command::CheckVersion));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while asked.load(std::sync::atomic::Ordering::SeqCst) < 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "not asked after the command"
            );
            thread::sleep(Duration::from_millis(5));
        }
        worker.shutdown();
    }
}
