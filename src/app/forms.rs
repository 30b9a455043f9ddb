//! The form screens: 初期登録, システムログイン and アカウントパスワード設定. Typing changes only
//! the form; 登録する / ログイン / 変更 sends it once (the form is busy until the center
//! answers, and takes neither typing nor a second press meanwhile).

use log::info;

use crate::center::account::{
    check_password_rules, ActivationCode, Enrollment, InstitutionCode, Password, Registration,
    Session, UserId, ACTIVATION_CODE_LEN, INSTITUTION_CODE_LEN, PASSWORD_MAX_CHARS, USER_ID_LEN,
};
use crate::center::CenterError;
use crate::sensitive::SensitiveText;

use super::form::Form;
use super::input::{Command, KeyLayer, UiAction};
use super::session::{session_fault, SessionFault};
use super::settings;
use super::state::{FormProblem, FormScreen, LoginReason, Message, PasscodePurpose, State};
use super::App;

/// The registration form's fields, in screen order.
pub mod register_field {
    /// 機関コード.
    pub const INSTITUTION_CODE: usize = 0;
    /// ユーザーID.
    pub const USER_ID: usize = 1;
    /// パスワード.
    pub const PASSWORD: usize = 2;
    /// アクティベーションコード.
    pub const ACTIVATION_CODE: usize = 3;
}

/// What a field of a form takes: masked or not, the on-screen keyboard's layer it expects
/// and its length, as the ユーザ設定情報 sheet writes them: the 機関コード is 10 digits, the ID
/// (W0000001) and the activation code (ABCD-EFGH-…) upper case, passwords 8–20 characters
/// starting in lower case.
#[derive(Clone, Copy)]
struct FieldSpec {
    masked: bool,
    layer: KeyLayer,
    max: usize,
}

const fn field(masked: bool, layer: KeyLayer, max: usize) -> FieldSpec {
    FieldSpec { masked, layer, max }
}

const CODE: FieldSpec = field(false, KeyLayer::Symbols, INSTITUTION_CODE_LEN);
const ID: FieldSpec = field(false, KeyLayer::Upper, USER_ID_LEN);
const PASSWORD: FieldSpec = field(true, KeyLayer::Lower, PASSWORD_MAX_CHARS);
const ACTIVATION: FieldSpec = field(true, KeyLayer::Upper, ACTIVATION_CODE_LEN);

const REGISTER_FIELDS: [FieldSpec; 4] = [CODE, ID, PASSWORD, ACTIVATION];
const LOGIN_FIELDS: [FieldSpec; 2] = [ID, PASSWORD];
const PASSWORD_FIELDS: [FieldSpec; 3] = [PASSWORD; 3];

fn screen(fields: &[FieldSpec]) -> FormScreen {
    let specs: Vec<(bool, usize)> = fields.iter().map(|f| (f.masked, f.max)).collect();
    FormScreen {
        form: Form::new(&specs),
        layer: fields.first().map(|f| f.layer).unwrap_or_default(),
        ..FormScreen::default()
    }
}

/// 初期登録, empty.
pub fn register_form() -> State {
    State::Register(screen(&REGISTER_FIELDS))
}

/// システムログイン, empty, saying why it is asked.
pub fn login_form(reason: Option<LoginReason>) -> State {
    State::Login {
        screen: screen(&LOGIN_FIELDS),
        reason,
    }
}

/// アカウントパスワード設定, empty.
pub fn password_form() -> State {
    State::AccountPassword(screen(&PASSWORD_FIELDS))
}

/// Applies a typing action to the form on screen; false if it is not one, or no form waits
/// for typing.
pub fn edit_on_screen(state: &mut State, action: UiAction) -> bool {
    let (s, fields): (&mut FormScreen, &[FieldSpec]) = match state {
        State::Register(s) => (s, &REGISTER_FIELDS),
        State::Login { screen: s, .. } => (s, &LOGIN_FIELDS),
        State::AccountPassword(s) => (s, &PASSWORD_FIELDS),
        _ => return false,
    };
    if s.busy {
        return false;
    }
    // Moving to a field shows the keyboard in the case that field expects.
    if let UiAction::FocusField(i) = action {
        if let Some(f) = fields.get(usize::from(i)) {
            s.layer = f.layer;
        }
    }
    edit(s, action).is_some()
}

/// Applies typing and field actions to a form; `None` when the action is not about typing.
fn edit(s: &mut FormScreen, action: UiAction) -> Option<()> {
    let form = &mut s.form;
    match action {
        UiAction::Type(c) => form.focused()?.insert(c),
        UiAction::Backspace => form.focused()?.backspace(),
        UiAction::CaretLeft => form.focused()?.left(),
        UiAction::CaretRight => form.focused()?.right(),
        UiAction::FocusField(i) => form.focus_on(usize::from(i)),
        UiAction::ToggleReveal(i) => {
            let f = form.fields.get_mut(usize::from(i))?;
            f.revealed = !f.revealed;
        }
        UiAction::KeyboardLayer(l) => s.layer = l,
        _ => return None,
    }
    Some(())
}

/// The registration the 初期登録 form describes, or what is wrong with it.
fn registration_of(form: &Form) -> Result<Registration, FormProblem> {
    use register_field as f;
    if let Some(i) = (0..4).find(|&i| form.fields[i].is_empty()) {
        return Err(FormProblem::Missing(i));
    }
    Ok(Registration {
        institution_code: InstitutionCode::parse(&form.value(f::INSTITUTION_CODE))
            .map_err(FormProblem::Code)?,
        user_id: UserId::parse(&form.value(f::USER_ID)).map_err(|_| FormProblem::UserId)?,
        password: Password::new(SensitiveText::new(form.value(f::PASSWORD))),
        activation_code: ActivationCode::parse(&form.value(f::ACTIVATION_CODE))
            .map_err(|_| FormProblem::ActivationCode)?,
    })
}

/// A form after a problem or a refusal: typing goes on.
fn refused(mut s: FormScreen, problem: Option<FormProblem>, e: Option<CenterError>) -> FormScreen {
    s.problem = problem;
    s.refused = e;
    s.busy = false;
    s
}

impl App {
    /// 登録する on 初期登録.
    pub(super) fn submit_register(&mut self, s: FormScreen, out: &mut Vec<Command>) -> State {
        match registration_of(&s.form) {
            Ok(r) => {
                out.push(Command::Register(Box::new(r)));
                State::Register(FormScreen {
                    busy: true,
                    problem: None,
                    refused: None,
                    ..s
                })
            }
            Err(p) => State::Register(refused(s, Some(p), None)),
        }
    }

    /// The center answered 初期登録.
    pub(super) fn enrolled(
        &mut self,
        s: FormScreen,
        result: Result<Box<Enrollment>, CenterError>,
        out: &mut Vec<Command>,
    ) -> State {
        use register_field as f;
        match result {
            Ok(e) => {
                self.settings.registration = Some(settings::Registration {
                    institution_code: s.form.value(f::INSTITUTION_CODE),
                    user_id: s.form.value(f::USER_ID),
                    device_credential: SensitiveText::from(e.device.expose()),
                    refresh_token: None,
                });
                // 目視確認で本人認証 is on after registration (manual P.1).
                self.settings.visual_check = true;
                self.settings.passcode = None;
                self.settings.passcode_failures = 0;
                self.keep_session(&e.session, out);
                State::Registered
            }
            Err(e) => State::Register(refused(s, None, Some(e))),
        }
    }

    /// ログイン on システムログイン.
    pub(super) fn submit_login(
        &mut self,
        s: FormScreen,
        reason: Option<LoginReason>,
        out: &mut Vec<Command>,
    ) -> State {
        let problem = (0..2)
            .find(|&i| s.form.fields[i].is_empty())
            .map(FormProblem::Missing);
        let user_id = UserId::parse(&s.form.value(0));
        match (problem, user_id, self.device()) {
            (Some(p), ..) => State::Login {
                screen: refused(s, Some(p), None),
                reason,
            },
            (None, Err(_), _) => State::Login {
                screen: refused(s, Some(FormProblem::UserId), None),
                reason,
            },
            // The stored credential does not parse: only 初期登録 can give a new one.
            (None, Ok(_), None) => self.fix_session(SessionFault::NeedsRegistration, out),
            (None, Ok(user_id), Some(device)) => {
                out.push(Command::Login {
                    device,
                    user_id,
                    password: Password::new(SensitiveText::new(s.form.value(1))),
                });
                State::Login {
                    screen: FormScreen {
                        busy: true,
                        problem: None,
                        refused: None,
                        ..s
                    },
                    reason,
                }
            }
        }
    }

    /// The center answered システムログイン.
    pub(super) fn logged_in(
        &mut self,
        s: FormScreen,
        reason: Option<LoginReason>,
        result: Result<Box<Session>, CenterError>,
        out: &mut Vec<Command>,
    ) -> State {
        match result {
            Ok(session) => {
                info!("logged in with ID and password");
                self.keep_session(&session, out);
                if reason.is_some_and(LoginReason::resets_passcode) {
                    // The old passcode is gone; a restart before the new one is set asks
                    // for パスコード登録, as after 初期登録.
                    self.settings.passcode = None;
                    self.settings.passcode_failures = 0;
                    self.gate_open_at = self.now;
                    self.save(out);
                    super::gate::new_passcode(PasscodePurpose::Reset)
                } else if self.settings.passcode.is_none() {
                    super::session::first_screen(&self.settings)
                } else {
                    out.push(Command::FetchNotices);
                    State::Starting
                }
            }
            Err(e) if session_fault(&e) == Some(SessionFault::NeedsRegistration) => {
                self.fix_session(SessionFault::NeedsRegistration, out)
            }
            Err(e) => State::Login {
                screen: refused(s, None, Some(e)),
                reason,
            },
        }
    }

    /// 変更 on アカウントパスワード設定.
    pub(super) fn submit_password(&mut self, s: FormScreen, out: &mut Vec<Command>) -> State {
        let new = s.form.value(1);
        let problem = (0..3)
            .find(|&i| s.form.fields[i].is_empty())
            .map(FormProblem::Missing)
            .or_else(|| check_password_rules(&new).err().map(FormProblem::Password))
            .or_else(|| (new != s.form.value(2)).then_some(FormProblem::PasswordMismatch));
        if let Some(p) = problem {
            return State::AccountPassword(refused(s, Some(p), None));
        }
        out.push(self.change_password_command(&s));
        State::AccountPassword(FormScreen {
            busy: true,
            problem: None,
            refused: None,
            ..s
        })
    }

    fn change_password_command(&self, s: &FormScreen) -> Command {
        Command::ChangePassword {
            current: Password::new(SensitiveText::new(s.form.value(0))),
            new: Password::new(SensitiveText::new(s.form.value(1))),
        }
    }

    /// The center answered アカウントパスワード設定.
    pub(super) fn password_changed(
        &mut self,
        s: FormScreen,
        result: Result<(), CenterError>,
        out: &mut Vec<Command>,
    ) -> State {
        match result {
            Ok(()) => State::Tell(Message::PasswordChanged),
            Err(e) => match session_fault(&e) {
                Some(SessionFault::Renewable)
                    if self.renew_and_repeat(self.change_password_command(&s), out) =>
                {
                    State::AccountPassword(s)
                }
                Some(f) => self.fix_session(f, out),
                None => State::AccountPassword(refused(s, None, Some(e))),
            },
        }
    }
}
