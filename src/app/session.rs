//! Start-up and the center session.
//!
//! The worker's center client holds the access token (12 hours); the brain keeps the refresh
//! token (30 days, rotated at each renewal) in the settings and decides when to renew: in
//! the background before the access token expires, and once when a call answers that the
//! session expired, after which the call is repeated. When no renewal can help, the kiosk
//! goes to the screen that can fix it and says why: システムログイン for a dead refresh
//! token, 初期登録 for a device the center no longer knows.

use log::{info, warn};

use crate::center::account::{DeviceCredential, RefreshToken, Session};
use crate::center::info::{AppVersion, Notice, UpdateStatus, Version};
use crate::center::wire::ErrorCode;
use crate::center::CenterError;
use crate::sensitive::SensitiveText;

use super::input::{Command, Event};
use super::settings::Settings;
use super::state::{LoginReason, Message, PadPurpose, PasscodePurpose, State};
use super::{App, VersionPrefetch};

/// Renew this long before the access token expires, at the latest.
const RENEW_MARGIN_MS: u64 = 30 * 60_000;
/// A background renewal that could not reach the center is tried again after this long.
const RENEW_RETRY_MS: u64 = 60_000;
/// A version fetched while the passcode was typed is used by a start-up this soon after.
pub(super) const VERSION_FRESH_MS: u64 = 5 * 60_000;

/// What a center error means for the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionFault {
    /// The access token expired or is unknown: a renewal can fix it.
    Renewable,
    /// The refresh token is dead: only ID and password open a new session.
    NeedsLogin,
    /// The center no longer knows this device: only 初期登録 helps.
    NeedsRegistration,
}

/// Whether `e` is about the session, and what fixes it.
pub fn session_fault(e: &CenterError) -> Option<SessionFault> {
    match e {
        CenterError::NoSession => Some(SessionFault::Renewable),
        CenterError::Rejected { code, .. } => match code {
            ErrorCode::SessionExpired | ErrorCode::SessionInvalid => Some(SessionFault::Renewable),
            ErrorCode::RefreshRejected => Some(SessionFault::NeedsLogin),
            ErrorCode::DeviceNotRegistered => Some(SessionFault::NeedsRegistration),
            _ => None,
        },
        _ => None,
    }
}

/// The screen a device starts on, from what its settings hold: 利用規約 on a fresh device,
/// 初期登録 until registered, システムログイン after a ログアウト or with the passcode
/// locked, パスコード登録 until a passcode exists, then パスコード入力.
pub fn first_screen(s: &Settings) -> State {
    match (&s.registration, &s.passcode) {
        _ if !s.terms_accepted => State::Terms,
        (None, _) => super::forms::register_form(),
        (Some(_), _) if s.passcode_failures >= super::gate::LOCK_AFTER => {
            super::forms::login_form(Some(LoginReason::PasscodeLocked))
        }
        (Some(r), _) if r.refresh_token.is_none() => super::forms::login_form(None),
        (Some(_), None) => super::gate::new_passcode(PasscodePurpose::Setup),
        (Some(_), Some(_)) => super::gate::pad(PadPurpose::Unlock),
    }
}

impl App {
    /// After the passcode: renew the session, then check the version and the お知らせ. A
    /// session this run opened whose access token is not yet due for renewal (the kiosk was
    /// locked and is unlocked again) goes straight to the version: one round trip less.
    pub(super) fn start(&mut self, out: &mut Vec<Command>) -> State {
        let fresh = self.session.renew_at.is_some_and(|at| self.now < at)
            && !self.session.renewing
            && self.session.lost.is_none();
        if fresh {
            return match self.start_version(out) {
                Some(event) => self.on_starting(event, out),
                None => State::Starting,
            };
        }
        match self.renewal() {
            Some(command) => {
                out.push(command);
                self.session.renewing = true;
                State::Starting
            }
            // Not registered or logged out: the start screens handle it.
            None => first_screen(&self.settings),
        }
    }

    /// Asks for the version unless it is on its way or fresh.
    pub(super) fn prefetch_version(&mut self, out: &mut Vec<Command>) {
        let fresh = match &self.version {
            VersionPrefetch::Empty => false,
            VersionPrefetch::Asked => true,
            VersionPrefetch::Held { at, .. } => self.now < at.after(VERSION_FRESH_MS),
        };
        if !fresh {
            out.push(Command::CheckVersion);
            self.version = VersionPrefetch::Asked;
        }
    }

    /// The version arrived. Start-up takes it when it waits for it; one asked early is kept
    /// for the start-up (an early ask that failed is asked again then).
    pub(super) fn version_arrived(
        &mut self,
        result: Result<AppVersion, CenterError>,
    ) -> Option<Event> {
        if !matches!(self.version, VersionPrefetch::Asked) {
            return Some(Event::Version(result));
        }
        if matches!(self.state, State::Starting) && !self.session.renewing {
            self.version = VersionPrefetch::Empty;
            return Some(Event::Version(result));
        }
        self.version = match result {
            Ok(info) => VersionPrefetch::Held { info, at: self.now },
            Err(e) => {
                log::debug!("early version check failed ({}); asked again", e.log_name());
                VersionPrefetch::Empty
            }
        };
        None
    }

    /// Start-up's version: the one fetched while the passcode was typed (as the event it
    /// was), or `None` while it is on its way or after asking for it now.
    fn start_version(&mut self, out: &mut Vec<Command>) -> Option<Event> {
        match core::mem::take(&mut self.version) {
            VersionPrefetch::Held { info, at } if self.now < at.after(VERSION_FRESH_MS) => {
                Some(Event::Version(Ok(info)))
            }
            VersionPrefetch::Asked => {
                self.version = VersionPrefetch::Asked;
                None
            }
            _ => {
                out.push(Command::CheckVersion);
                None
            }
        }
    }

    /// The renewal command, if the settings hold what it needs.
    fn renewal(&self) -> Option<Command> {
        let r = self.settings.registration.as_ref()?;
        let device = DeviceCredential::parse(r.device_credential.clone())?;
        let refresh_token = RefreshToken::parse(r.refresh_token.clone()?)?;
        Some(Command::RenewSession {
            device,
            refresh_token,
        })
    }

    /// This device's credential, as the settings keep it.
    pub(super) fn device(&self) -> Option<DeviceCredential> {
        let r = self.settings.registration.as_ref()?;
        DeviceCredential::parse(r.device_credential.clone())
    }

    /// A session opened (registration, login, renewal): keep its refresh token and plan the
    /// renewal of its access token.
    pub(super) fn keep_session(&mut self, session: &Session, out: &mut Vec<Command>) {
        if let Some(r) = self.settings.registration.as_mut() {
            r.refresh_token = Some(SensitiveText::from(session.refresh_token.expose()));
        }
        let lifetime = u64::from(session.access_valid_seconds).saturating_mul(1000);
        let early = RENEW_MARGIN_MS.min(lifetime / 4);
        self.session.renew_at = Some(self.now.after(lifetime.saturating_sub(early)));
        self.save(out);
    }

    /// The session is gone on this device (ログアウト, 登録解除).
    pub(super) fn forget_session(&mut self) {
        self.session = super::SessionClock::default();
        self.challenge = super::Prefetch::Empty;
    }

    /// Renews in the background when the access token is about to expire and the kiosk is
    /// between checks.
    pub(super) fn renew_if_due(&mut self, out: &mut Vec<Command>) {
        let due = self.session.renew_at.is_some_and(|at| self.now >= at);
        let between_checks = self.renew_due_screen() || matches!(self.state, State::Passcode(_));
        if !due || self.session.renewing || !between_checks {
            return;
        }
        match self.renewal() {
            Some(command) => {
                info!("renewing the session before it expires");
                self.session.renewing = true;
                out.push(command);
            }
            None => self.session.renew_at = None,
        }
    }

    /// Repeats a call that found the session expired, after one renewal. False when the
    /// one renewal was already spent since the person last acted, or cannot be asked.
    pub(super) fn renew_and_repeat(&mut self, repeat: Command, out: &mut Vec<Command>) -> bool {
        if self.session.repeat_spent {
            return false;
        }
        let Some(renewal) = self.renewal() else {
            return false;
        };
        info!("session expired: renewing once and asking again");
        self.session.repeat_spent = true;
        self.session.renewing = true;
        out.push(renewal);
        out.push(repeat);
        true
    }

    /// The screen that fixes a session no renewal can save, with why in one sentence.
    pub(super) fn fix_session(&mut self, fault: SessionFault, out: &mut Vec<Command>) -> State {
        match fault {
            SessionFault::NeedsRegistration => {
                self.session.lost = None;
                warn!("the center no longer knows this device");
                self.forget_session();
                self.settings.registration = None;
                self.settings.passcode = None;
                self.settings.passcode_failures = 0;
                self.save(out);
                State::Tell(Message::DeviceUnknown)
            }
            SessionFault::NeedsLogin | SessionFault::Renewable => {
                self.session.lost = None;
                warn!("the session cannot be renewed: login with ID and password");
                self.forget_session();
                if let Some(r) = self.settings.registration.as_mut() {
                    r.refresh_token = None;
                }
                self.save(out);
                super::forms::login_form(Some(LoginReason::SessionEnded))
            }
        }
    }

    /// The center answered a renewal. Start-up goes on; a renewal in the background only
    /// changes the screen when the session cannot be saved and no check is under way.
    pub(super) fn session_renewed(
        &mut self,
        result: Result<Box<Session>, CenterError>,
        out: &mut Vec<Command>,
    ) -> Option<Event> {
        self.session.renewing = false;
        let starting = matches!(self.state, State::Starting);
        match result {
            Ok(session) => {
                self.keep_session(&session, out);
                if starting {
                    // Starting goes on with the version.
                    return self.start_version(out);
                }
                None
            }
            Err(e) => {
                let fault = session_fault(&e);
                let fixable_here = starting || self.renew_due_screen();
                match fault {
                    Some(f @ (SessionFault::NeedsLogin | SessionFault::NeedsRegistration))
                        if fixable_here =>
                    {
                        let old = self.state.name();
                        let next = self.fix_session(f, out);
                        self.set_state(old, next);
                    }
                    _ if starting => {
                        let old = self.state.name();
                        self.set_state(old, State::StartFailed(e));
                    }
                    Some(f @ (SessionFault::NeedsLogin | SessionFault::NeedsRegistration)) => {
                        // A check is under way: it ends on the screen that fixes this.
                        self.session.lost = Some(f);
                        self.session.renew_at = None;
                    }
                    _ => {
                        // In the background: try again shortly; a check that needs the
                        // session renews once itself and says what it found.
                        warn!("background renewal failed: {}", e.log_name());
                        self.session.renew_at = Some(self.now.after(RENEW_RETRY_MS));
                    }
                }
                None
            }
        }
    }

    /// Screens between checks where nothing is typed: a renewal may run in the background
    /// and a lost session may replace them at once.
    fn renew_due_screen(&self) -> bool {
        matches!(
            self.state,
            State::SelectAuth
                | State::Menu
                | State::Security
                | State::ReaderSelect { .. }
                | State::Notices { .. }
                | State::Tell(_)
                | State::ReadFailed { .. }
        )
    }

    /// Start-up after the session: the version, then the お知らせ.
    pub(super) fn on_starting(&mut self, event: Event, out: &mut Vec<Command>) -> State {
        match event {
            Event::Version(Ok(info)) => match info.status(Version::running()) {
                UpdateStatus::UpToDate => {
                    out.push(Command::FetchNotices);
                    State::Starting
                }
                UpdateStatus::Available => State::Update {
                    info,
                    required: false,
                },
                UpdateStatus::Required => State::Update {
                    info,
                    required: true,
                },
            },
            Event::Notices(Ok(list)) => {
                let unread: Vec<Notice> = list.into_iter().filter(|n| !n.read).collect();
                if unread.is_empty() {
                    State::SelectAuth
                } else {
                    State::Notices {
                        list: unread,
                        from_menu: false,
                        failed: None,
                    }
                }
            }
            Event::Notices(Err(e)) if session_fault(&e) == Some(SessionFault::Renewable) => {
                if self.renew_and_repeat(Command::FetchNotices, out) {
                    State::Starting
                } else {
                    State::StartFailed(e)
                }
            }
            Event::Version(Err(e)) | Event::Notices(Err(e)) => match session_fault(&e) {
                Some(f @ (SessionFault::NeedsLogin | SessionFault::NeedsRegistration)) => {
                    self.fix_session(f, out)
                }
                _ => State::StartFailed(e),
            },
            other => {
                log::debug!("ignored {} in Starting", other.name());
                State::Starting
            }
        }
    }
}
