//! Message boxes: a question with キャンセル, a message with OK.

use crate::app::{Message, Question, UiAction};

use super::super::strings as s;
use super::super::text::Text;
use super::super::theme::{self, size};
use super::super::{ButtonStyle, Kind, Label, Rect};
use super::template::{button_width, text_height, Builder};

/// A question's title: the action it asks about (暗証番号の入力, デバイス登録解除, ログアウト).
pub(super) fn ask_title(q: Question) -> &'static str {
    match q {
        Question::StartPin => s::PIN_TITLE,
        Question::Deregister | Question::DeregisterAgain => s::DEREGISTER,
        Question::Logout => s::LOGOUT,
        Question::VisualOnce => s::VISUAL_ONCE_TITLE,
    }
}

/// A message's title: the action it reports on, as the screens of that action were titled.
pub(super) fn tell_title(m: Message) -> &'static str {
    match m {
        Message::PasscodeRegistered => s::PASSCODE_SETUP_TITLE,
        Message::PasscodeChanged => s::PASSCODE_CHANGE_TITLE,
        Message::Deregistered | Message::DeviceUnknown => s::DEREGISTER,
        Message::PasswordChanged => s::ACCOUNT_PASSWORD,
    }
}

/// A question in a box with キャンセル and the action.
pub(super) fn ask(b: &mut Builder<'_>, t: &Text, q: Question) {
    let (body, ok, danger) = match q {
        Question::StartPin => (s::START_PIN_QUESTION, s::OK, false),
        Question::Deregister => (s::DEREGISTER_QUESTION, s::DEREGISTER_BUTTON, true),
        Question::DeregisterAgain => (s::DEREGISTER_AGAIN, s::DEREGISTER_BUTTON, true),
        Question::Logout => (s::LOGOUT_QUESTION, s::LOGOUT_BUTTON, true),
        Question::VisualOnce => (s::VISUAL_ONCE_QUESTION, s::OK, false),
    };
    dialog(
        b,
        t,
        body,
        Some((s::CANCEL, UiAction::Cancel)),
        (ok, UiAction::Ok, danger),
    );
}

pub(super) fn tell(b: &mut Builder<'_>, t: &Text, m: Message) {
    let body = match m {
        Message::PasscodeRegistered => s::PASSCODE_REGISTERED,
        Message::PasscodeChanged => s::PASSCODE_CHANGED,
        Message::Deregistered => s::DEREGISTERED,
        Message::DeviceUnknown => s::DEVICE_UNKNOWN,
        Message::PasswordChanged => s::PASSWORD_CHANGED,
    };
    dialog(b, t, body, None, (s::OK, UiAction::Ok, false));
}

/// A message box centred on a grey page: the text, then its buttons at the bottom right.
pub(super) fn dialog(
    b: &mut Builder<'_>,
    t: &Text,
    body: &'static str,
    cancel: Option<(&'static str, UiAction)>,
    ok: (&'static str, UiAction, bool),
) {
    let c = b.content();
    let w = 760.min(c.w);
    let inner_w = w - 96;
    let text_h = text_height(t, body, size::BODY, inner_w);
    let h = 48 + text_h + 40 + theme::BUTTON_H + 40;
    let r = Rect::new(c.x + (c.w - w) / 2, c.y + ((c.h - h) / 2).max(0), w, h);
    b.scene.push(
        Rect::new(0, b.top, b.size.w, b.footer.bottom() - b.top),
        Kind::Panel {
            fill: theme::PANEL,
            border: None,
        },
        None,
    );
    b.scene.push(
        r,
        Kind::Panel {
            fill: theme::PAGE,
            border: Some(theme::BORDER),
        },
        None,
    );
    b.paragraph(t, r.x + 48, r.y + 48, inner_w, body, size::BODY);
    let y = r.bottom() - 40 - theme::BUTTON_H;
    let (label, action, danger) = ok;
    let ok_w = button_width(label);
    let ok_x = r.right() - 48 - ok_w;
    if let Some((label, action)) = cancel {
        let cw = button_width(label);
        b.scene.push(
            Rect::new(ok_x - 24 - cw, y, cw, theme::BUTTON_H),
            Kind::Button {
                label: Label::Static(label),
                style: ButtonStyle::Secondary,
            },
            Some(action),
        );
    }
    let style = if danger {
        ButtonStyle::Danger
    } else {
        ButtonStyle::Primary
    };
    b.scene.push(
        Rect::new(ok_x, y, ok_w, theme::BUTTON_H),
        Kind::Button {
            label: Label::Static(label),
            style,
        },
        Some(action),
    );
}

#[cfg(test)]
mod tests {
    use super::{ask_title, tell_title};
    use crate::app::{Message, Question};
    use crate::ui::strings as s;

    #[test]
    fn dialog_titles_name_their_action_never_the_app() {
        let questions = [
            Question::StartPin,
            Question::Deregister,
            Question::DeregisterAgain,
            Question::Logout,
        ];
        let messages = [
            Message::PasscodeRegistered,
            Message::PasscodeChanged,
            Message::Deregistered,
            Message::PasswordChanged,
            Message::DeviceUnknown,
        ];
        let titles: Vec<_> = questions
            .map(ask_title)
            .into_iter()
            .chain(messages.map(tell_title))
            .collect();
        for t in &titles {
            assert_ne!(*t, s::APP_NAME);
            assert_ne!(*t, s::AUTH_SELECT_TITLE);
        }
        // The question and its answer share the title of their action.
        assert_eq!(
            ask_title(Question::Deregister),
            tell_title(Message::Deregistered)
        );
        assert_eq!(ask_title(Question::StartPin), s::PIN_TITLE);
        assert_eq!(
            tell_title(Message::PasscodeChanged),
            s::PASSCODE_CHANGE_TITLE
        );
    }
}
