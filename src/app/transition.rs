//! The transition table: one arm per (screen, event) that means something, and an explicit
//! catch-all. Flows with several phases hand their events to one function each (`check.rs`,
//! `gate.rs`, `forms.rs`, `session.rs`), so the table stays a table.

use log::debug;

use crate::center::info::NoticeId;

use super::input::{Command, Event, MenuItem, UiAction};
use super::state::{Message, PadPurpose, Question, State};
use super::{forms, gate, session, App, MENU_LINKS};

impl App {
    /// The transition table.
    pub(super) fn transition(
        &mut self,
        state: State,
        event: Event,
        out: &mut Vec<Command>,
    ) -> State {
        use Event::Ui;
        use UiAction as A;
        match (state, event) {
            // --- start-up ---------------------------------------------------------------
            (State::SettingsDamaged, Ui(A::Ok)) => {
                self.settings = Default::default();
                self.save(out);
                State::Terms
            }
            (State::Terms, Ui(A::AcceptTerms)) => {
                self.settings.terms_accepted = true;
                self.save(out);
                session::first_screen(&self.settings)
            }
            (State::Starting, event) => self.on_starting(event, out),
            (State::StartFailed(_), Ui(A::Retry)) => self.start(out),
            (State::Update { info, required }, Ui(A::OpenDownload)) => {
                self.open_link(info.download_url.clone(), out);
                State::Update { info, required }
            }
            (
                State::Update {
                    required: false, ..
                },
                Ui(A::Close),
            ) => {
                out.push(Command::FetchNotices);
                State::Starting
            }

            // --- passcode pads ------------------------------------------------------------
            (State::Passcode(pad), Ui(action)) => self.on_pad(pad, action, out),
            (state @ (State::NewPasscode { .. } | State::ConfirmPasscode { .. }), Ui(action)) => {
                self.on_new_passcode(state, action, out)
            }
            // After パスコード登録 the お知らせ come next (manual P.5, step 05), then 認証選択.
            (State::Tell(Message::PasscodeRegistered), Ui(A::Ok)) => {
                out.push(Command::FetchNotices);
                State::Starting
            }
            (State::Tell(Message::PasscodeChanged | Message::PasswordChanged), Ui(A::Ok)) => {
                State::Security
            }
            (State::Tell(Message::Deregistered | Message::DeviceUnknown), Ui(A::Ok)) => {
                session::first_screen(&self.settings)
            }

            // --- 認証選択 -----------------------------------------------------------------
            (State::SelectAuth, Ui(A::OpenMenu)) => State::Menu,
            (State::SelectAuth, Ui(A::Next)) if self.settings.visual_check => self.visual_next(out),
            // 目視: placing the card is enough to start.
            (State::SelectAuth, Event::CardPresence(true)) if self.settings.visual_check => {
                self.visual_next(out)
            }
            (State::SelectAuth, Ui(A::Next)) => State::Ask(Question::StartPin),
            (State::Ask(Question::StartPin), Ui(A::Ok)) => self.pin_pad(None, out),
            (State::Ask(Question::StartPin), Ui(A::Cancel)) => State::SelectAuth,
            // Staff confirmed the patient by the card's photo: this one check runs in 目視
            // mode; the setting stays as it is.
            (State::Ask(Question::VisualOnce), Ui(A::Ok)) => {
                if self.card.present.is_some() {
                    self.read_certificate(out)
                } else {
                    State::ReadCard(crate::app::Check::Visual(crate::app::VisualRead::WaitCard))
                }
            }
            (State::Ask(Question::VisualOnce), Ui(A::Cancel)) => State::SelectAuth,

            // --- 暗証番号の入力, マイナンバーカードの読み取り, 資格確認結果 ----------------------
            (State::EnterPin(pad), event) => self.on_pin_pad(pad, event, out),
            (State::ReadCard(check), event) => self.on_read(check, event, out),
            (State::ReadFailed { retry: true, .. }, Ui(A::Retry)) => {
                if self.settings.visual_check {
                    self.read_certificate(out)
                } else {
                    self.pin_pad(None, out)
                }
            }
            (State::ReadFailed { .. }, Ui(A::Back)) => State::SelectAuth,
            (State::ShowResult(shown), event) => self.on_result(shown, event, out),

            // --- メニュー ------------------------------------------------------------------
            (State::Menu, Ui(A::Back)) => State::SelectAuth,
            (State::Menu, Ui(A::Menu(MenuItem::ReaderSelect))) => {
                out.push(Command::ListReaders);
                State::ReaderSelect {
                    readers: Vec::new(),
                }
            }
            // セキュリティ設定 holds what can break the kiosk: behind the passcode.
            (State::Menu, Ui(A::Menu(MenuItem::Security))) => gate::pad(PadPurpose::Security),
            (State::Menu, Ui(A::OpenLink(i))) => {
                if let Some(url) = MENU_LINKS.get(usize::from(i)) {
                    self.open_link((*url).to_owned(), out);
                }
                State::Menu
            }
            (State::ReaderSelect { .. }, Event::Readers(readers)) => {
                State::ReaderSelect { readers }
            }
            (State::ReaderSelect { readers }, Ui(A::SelectReader(i))) => {
                if let Some(name) = readers.get(usize::from(i)) {
                    self.settings.reader = Some(name.clone());
                    out.push(Command::UseReader(Some(name.clone())));
                    self.save(out);
                }
                State::ReaderSelect { readers }
            }
            (State::ReaderSelect { .. }, Ui(A::Back)) => State::Menu,

            // --- お知らせ ------------------------------------------------------------------
            (State::Menu, Ui(A::Menu(MenuItem::Notices))) => {
                out.push(Command::FetchNotices);
                State::Notices {
                    list: Vec::new(),
                    from_menu: true,
                    failed: None,
                }
            }
            (
                State::Notices {
                    from_menu: true, ..
                },
                Event::Notices(Ok(list)),
            ) => State::Notices {
                list,
                from_menu: true,
                failed: None,
            },
            (
                State::Notices {
                    list,
                    from_menu: true,
                    ..
                },
                Event::Notices(Err(e)),
            ) => match session::session_fault(&e) {
                Some(session::SessionFault::Renewable)
                    if self.renew_and_repeat(Command::FetchNotices, out) =>
                {
                    State::Notices {
                        list,
                        from_menu: true,
                        failed: None,
                    }
                }
                Some(
                    f @ (session::SessionFault::NeedsLogin
                    | session::SessionFault::NeedsRegistration),
                ) => self.fix_session(f, out),
                // Still expired after the one renewal, or the center is down: said on the
                // screen; 閉じる goes back to the menu.
                _ => State::Notices {
                    list,
                    from_menu: true,
                    failed: Some(e),
                },
            },
            (
                State::Notices {
                    list,
                    from_menu,
                    failed,
                },
                Ui(A::OpenNotice(i)),
            ) => {
                if let Some(n) = list.get(usize::from(i)) {
                    self.open_link(n.url.clone(), out);
                }
                State::Notices {
                    list,
                    from_menu,
                    failed,
                }
            }
            (
                State::Notices {
                    list, from_menu, ..
                },
                Ui(A::Close | A::Back),
            ) => {
                let unread: Vec<NoticeId> = list
                    .iter()
                    .filter(|n| !n.read)
                    .map(|n| n.id.clone())
                    .collect();
                if !unread.is_empty() {
                    out.push(Command::MarkNoticesRead(unread));
                }
                if from_menu {
                    State::Menu
                } else {
                    State::SelectAuth
                }
            }

            // --- セキュリティ設定 ----------------------------------------------------------
            (State::Security, Ui(A::Back)) => State::Menu,
            (State::Security, Ui(A::ToggleVisualCheck)) => {
                self.settings.visual_check = !self.settings.visual_check;
                self.save(out);
                State::Security
            }
            (State::Security, Ui(A::Menu(MenuItem::ChangePasscode))) => {
                gate::pad(PadPurpose::Change)
            }
            (State::Security, Ui(A::Menu(MenuItem::Quit))) => gate::pad(PadPurpose::Quit),
            (State::Security, Ui(A::Menu(MenuItem::AccountPassword))) => forms::password_form(),
            (State::Security, Ui(A::Menu(MenuItem::Deregister))) => {
                State::Ask(Question::Deregister)
            }
            (State::Ask(Question::Deregister), Ui(A::Ok)) => State::Ask(Question::DeregisterAgain),
            (State::Ask(Question::DeregisterAgain), Ui(A::Ok)) => {
                // The device forgets everything; the app is unusable until registered again.
                out.push(Command::Deregister);
                self.forget_session();
                self.settings = Default::default();
                self.save(out);
                State::Tell(Message::Deregistered)
            }
            (State::Security, Ui(A::Menu(MenuItem::Logout))) => State::Ask(Question::Logout),
            (State::Ask(Question::Logout), Ui(A::Ok)) => {
                out.push(Command::Logout);
                self.forget_session();
                if let Some(r) = self.settings.registration.as_mut() {
                    r.refresh_token = None;
                }
                self.save(out);
                session::first_screen(&self.settings)
            }
            (
                State::Ask(Question::Deregister | Question::DeregisterAgain | Question::Logout),
                Ui(A::Cancel),
            ) => State::Security,

            // --- forms ----------------------------------------------------------------------
            (State::Register(s), Ui(A::Submit)) if !s.busy => self.submit_register(s, out),
            (State::Register(s), Event::Enrolled(result)) if s.busy => {
                self.enrolled(s, result, out)
            }
            (State::Registered, Ui(A::Ok)) => session::first_screen(&self.settings),
            (State::Login { screen, reason }, Ui(A::Submit)) if !screen.busy => {
                self.submit_login(screen, reason, out)
            }
            (State::Login { screen, reason }, Event::LoggedIn(result)) if screen.busy => {
                self.logged_in(screen, reason, result, out)
            }
            // パスコードを忘れた場合 can be changed back to the passcode.
            (
                State::Login {
                    screen,
                    reason: Some(super::LoginReason::ForgotPasscode),
                },
                Ui(A::Back),
            ) if !screen.busy => gate::pad(PadPurpose::Unlock),
            (State::AccountPassword(s), Ui(A::Back)) if !s.busy => State::Security,
            (State::AccountPassword(s), Ui(A::Submit)) if !s.busy => self.submit_password(s, out),
            (State::AccountPassword(s), Event::PasswordChanged(result)) if s.busy => {
                self.password_changed(s, result, out)
            }

            // Anything else leaves the screen as it is: stale worker answers (already
            // dropped, so their data is wiped), keys that mean nothing here, presses while
            // a command is in flight.
            (state, event) => {
                debug!("ignored {} in {}", event.name(), state.name());
                state
            }
        }
    }
}
