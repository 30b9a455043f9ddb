//! Start-up and forms: 利用規約, starting, update, problems, 初期登録 / システムログイン /
//! account password forms.

use crate::app::{FormScreen, UiAction};
use crate::center::CenterError;
use crate::sensitive::SensitiveText;

use super::super::strings as s;
use super::super::text::Text;
use super::super::theme::{self, size};
use super::super::{Align, ButtonStyle, Icon, Kind, Label, Rect, Tone};
use super::keyboard::keyboard;
use super::template::{button_width, text_height, Builder};

pub(super) fn update(b: &mut Builder<'_>, t: &Text, latest: &str, required: bool) {
    let c = b.content();
    let body = SensitiveText::new(s::update_available(latest));
    let h = text_height(t, body.expose(), size::BODY, c.w);
    b.text(
        Rect::new(c.x, c.y, c.w, h),
        Label::Owned(body),
        size::BODY,
        theme::TEXT,
        Align::Start,
    );
    if required {
        b.band(
            t,
            c.x,
            c.y + h + 24,
            c.w,
            Label::Static(s::UPDATE_REQUIRED),
            Tone::Error,
        );
        b.footer(Some((s::UPDATE_OPEN, UiAction::OpenDownload)), None);
    } else {
        b.footer(
            Some((s::UPDATE_OPEN, UiAction::OpenDownload)),
            Some((s::LATER, UiAction::Close)),
        );
    }
}

/// A problem and what to do about it (damaged settings, not registered).
pub(super) fn problem(b: &mut Builder<'_>, t: &Text, what: &'static str, next: &'static str) {
    let c = b.content();
    let h = b.band(t, c.x, c.y, c.w, Label::Static(what), Tone::Error);
    b.paragraph(t, c.x, c.y + h + 24, c.w, next, size::BODY);
}

pub(super) fn terms(b: &mut Builder<'_>, t: &Text) {
    let c = b.content();
    let inner_w = c.w - 64;
    let h = (text_height(t, s::TERMS_TEXT, size::LABEL, inner_w) + 48).min(c.h - 16);
    b.scene.push(
        Rect::new(c.x, c.y, c.w, h),
        Kind::Panel {
            fill: theme::PANEL,
            border: None,
        },
        None,
    );
    b.text(
        Rect::new(c.x + 32, c.y + 24, inner_w, h - 48),
        Label::Static(s::TERMS_TEXT),
        size::LABEL,
        theme::TEXT,
        Align::Start,
    );
    b.footer(Some((s::TERMS_ACCEPT, UiAction::AcceptTerms)), None);
}

/// What a form screen shows besides its fields.
pub(super) struct FormSpec {
    pub(super) lead: Option<&'static str>,
    pub(super) labels: &'static [&'static str],
    pub(super) required: bool,
    pub(super) submit: &'static str,
    pub(super) note: Option<&'static str>,
}

/// Form geometry.
pub(super) const FIELD_LABEL_W: i32 = 356;
pub(super) const FIELD_W: i32 = 470;
pub(super) const FIELD_H: i32 = 52;
pub(super) const FIELD_PITCH: i32 = 64;

/// A form: labels with 必須 marks, fields (👁 on masked ones), what is wrong, the submit
/// button, and the on-screen keyboard at the bottom.
#[allow(clippy::too_many_arguments)]
pub(super) fn form_screen<'a>(
    b: &mut Builder<'a>,
    t: &Text,
    spec: &FormSpec,
    screen: &'a FormScreen,
) {
    let FormScreen {
        form,
        layer,
        problem,
        refused,
        busy,
    } = screen;
    let (layer, problem, refused, busy) = (*layer, *problem, refused.as_ref(), *busy);
    let c = b.content();
    let mut y = c.y - 16;
    if let Some(lead) = spec.lead {
        y = b.paragraph(t, c.x, y, c.w, lead, size::LABEL) + 8;
    }
    let field_x = c.x + FIELD_LABEL_W;
    let rows_top = y;
    for (i, label) in spec.labels.iter().enumerate() {
        let Ok(index) = u8::try_from(i) else { break };
        let Some(field) = form.fields.get(i) else {
            break;
        };
        let label_w = FIELD_LABEL_W - if spec.required { 76 } else { 16 };
        let label_h = text_height(t, label, size::LABEL, label_w);
        b.text(
            Rect::new(c.x, y + (FIELD_H - label_h) / 2, label_w, label_h),
            Label::Static(label),
            size::LABEL,
            theme::TEXT,
            Align::Start,
        );
        if spec.required {
            b.scene.push(
                Rect::new(c.x + FIELD_LABEL_W - 68, y + (FIELD_H - 28) / 2, 52, 28),
                Kind::Tag {
                    text: Label::Static(s::REQUIRED),
                },
                None,
            );
        }
        let focused = form.focus == i && !busy;
        b.scene.push(
            Rect::new(field_x, y, FIELD_W, FIELD_H),
            Kind::Field {
                text: Label::Owned(SensitiveText::new(field.display())),
                caret: focused.then(|| field.caret()),
            },
            (!busy).then_some(UiAction::FocusField(index)),
        );
        if field.masked {
            b.scene.push(
                Rect::new(field_x + FIELD_W + 8, y, FIELD_H, FIELD_H),
                Kind::Button {
                    label: Label::Static(s::keyboard::REVEAL),
                    style: ButtonStyle::Icon(Icon::Eye {
                        open: field.revealed,
                    }),
                },
                (!busy).then_some(UiAction::ToggleReveal(index)),
            );
        }
        y += FIELD_PITCH;
    }
    // The submit button beside the first field: always above the keyboard.
    let right_x = field_x + FIELD_W + FIELD_H + 32;
    let right_w = c.right() - right_x;
    let submit_y = rows_top - (theme::BUTTON_H - FIELD_H) / 2;
    if busy {
        b.scene
            .push(Rect::new(right_x, submit_y, 64, 64), Kind::Spinner, None);
    } else {
        b.scene.push(
            Rect::new(
                right_x,
                submit_y,
                right_w.min(button_width(spec.submit)),
                theme::BUTTON_H,
            ),
            Kind::Button {
                label: Label::Static(spec.submit),
                style: ButtonStyle::Primary,
            },
            Some(UiAction::Submit),
        );
    }
    // Below the fields, across the width: the rule or note, then what is wrong.
    let mut y = y + 4;
    if let Some(note) = spec.note {
        y = b.paragraph(t, c.x, y, c.w, note, size::SMALL) + 8;
    }
    let message = match (problem, refused) {
        (Some(p), _) => Some(Label::Owned(SensitiveText::new(form_problem(
            spec.labels,
            p,
        )))),
        (None, Some(CenterError::Rejected { message, .. })) => {
            Some(Label::Borrowed(message.as_str()))
        }
        (None, Some(e)) => Some(Label::Static(s::center_error(e).what)),
        (None, None) => None,
    };
    if let Some(m) = message {
        b.band(t, c.x, y, c.w, m, Tone::Error);
    }
    if !busy {
        keyboard(b, layer);
    }
}

pub(super) fn form_problem(labels: &[&str], p: crate::app::FormProblem) -> String {
    use crate::app::FormProblem as F;
    use crate::center::account::{InstitutionCodeError as C, PasswordRuleError as P};
    match p {
        F::Missing(i) => s::missing(labels.get(i).copied().unwrap_or_default()),
        F::Code(C::NotTenDigits) => s::CODE_FORMAT.to_owned(),
        F::Code(C::CheckDigit) => s::CODE_CHECK_DIGIT.to_owned(),
        F::UserId => s::USER_ID_FORMAT.to_owned(),
        F::ActivationCode => s::ACTIVATION_CODE_FORMAT.to_owned(),
        F::Password(P::Length) => s::PASSWORD_LENGTH.to_owned(),
        F::Password(P::ForbiddenCharacter) => s::PASSWORD_CHARACTER.to_owned(),
        F::Password(P::NoUppercase | P::NoLowercase | P::NoDigit | P::NoSymbol) => {
            s::PASSWORD_KINDS.to_owned()
        }
        F::PasswordMismatch => s::PASSWORD_MISMATCH.to_owned(),
    }
}
