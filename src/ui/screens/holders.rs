//! Screens of the holders that are not a plain card (issue 16): an iPhone (no pad: the
//! patient authenticates on the phone), a card whose PIN cannot be used (staff may confirm
//! by the photo), and the words an Android phone's pad and the last-try warning take.

use crate::app::{PinPad, UiAction};
use crate::card::jpki::Holder;

use super::super::strings as s;
use super::super::text::Text;
use super::super::theme::{self, size};
use super::super::{ButtonStyle, Kind, Label, Rect, Tone};
use super::template::{band_height, button_width, Builder};

/// The screen's title: the pad's, or what the screen without a pad is for.
pub(super) fn title(pad: &PinPad) -> &'static str {
    match pad {
        PinPad::OnPhone { .. } => s::PHONE_TITLE,
        PinPad::Unusable { .. } => s::PIN_UNUSABLE_TITLE,
        _ => s::PIN_TITLE,
    }
}

/// The prompt of the PIN pad for this holder.
pub(super) fn pin_prompt(pad: &PinPad) -> &'static str {
    match pad {
        PinPad::Typing {
            holder: Holder::AndroidPhone,
            ..
        } => s::PHONE_PIN_PROMPT,
        _ => s::PIN_PROMPT,
    }
}

/// The last-try warning for this holder.
pub(super) fn last_try(pad: &PinPad) -> &'static str {
    match pad {
        PinPad::Typing {
            holder: Holder::AndroidPhone,
            ..
        } => s::PHONE_PIN_LAST_TRY,
        _ => s::PIN_LAST_TRY,
    }
}

/// Draws the screens of [`PinPad::OnPhone`] and [`PinPad::Unusable`] and returns `true`;
/// for the pad itself, adds what the holder needs said (an Android phone in 目視 mode: why
/// the PIN; the last try in 暗証番号 mode: 目視 instead) and returns `false`.
pub(super) fn pin_screen(
    b: &mut Builder<'_>,
    t: &Text,
    pad: &PinPad,
    visual: bool,
    visual_alternative: bool,
) -> bool {
    match pad {
        PinPad::OnPhone { .. } => {
            on_phone(b, t);
            true
        }
        PinPad::Unusable { .. } => {
            unusable(b, t);
            true
        }
        PinPad::Typing { holder, .. } => {
            pad_notes(
                b,
                t,
                *holder == Holder::AndroidPhone && visual,
                visual_alternative,
            );
            false
        }
        _ => false,
    }
}

/// Under the pad's left column, anchored to its bottom (the prompt and the tries are at its
/// top): why a phone needs its PIN in 目視 mode, and 目視で確認する on the last try.
fn pad_notes(b: &mut Builder<'_>, t: &Text, phone_reason: bool, visual_instead: bool) {
    let c = b.content();
    let col_w = c.w / 2 - 32;
    let mut bottom = b.keypad_bottom();
    if visual_instead {
        let w = button_width(s::VISUAL_INSTEAD);
        bottom -= theme::BUTTON_H;
        b.scene.push(
            Rect::new(c.x, bottom, w, theme::BUTTON_H),
            Kind::Button {
                label: Label::Static(s::VISUAL_INSTEAD),
                style: ButtonStyle::Secondary,
            },
            Some(UiAction::VisualInstead),
        );
        let h = band_height(t, s::PIN_LAST_TRY_VISUAL, col_w);
        bottom -= h + 16;
        b.scene.push(
            Rect::new(c.x, bottom, col_w, h),
            Kind::Band {
                text: Label::Static(s::PIN_LAST_TRY_VISUAL),
                tone: Tone::Info,
            },
            None,
        );
        bottom -= 16;
    }
    if phone_reason {
        let h = band_height(t, s::PHONE_PIN_REASON, col_w);
        b.scene.push(
            Rect::new(c.x, bottom - h, col_w, h),
            Kind::Band {
                text: Label::Static(s::PHONE_PIN_REASON),
                tone: Tone::Info,
            },
            None,
        );
    }
}

/// An iPhone: authenticate on the phone, hold it over the reader, 次へ.
fn on_phone(b: &mut Builder<'_>, t: &Text) {
    let c = b.content();
    let mut y = c.y;
    for step in s::PHONE_STEPS {
        y = b.paragraph(t, c.x, y, c.w, step, size::BODY) + 16;
    }
    b.band(
        t,
        c.x,
        y + 8,
        c.w,
        Label::Static(s::PHONE_NO_PIN),
        Tone::Info,
    );
    b.footer(Some((s::NEXT, UiAction::Next)), None);
}

/// A card whose PIN answered blocked before anything was typed: no pad, neutral words,
/// and 目視で確認する (after the staff's confirmation).
fn unusable(b: &mut Builder<'_>, t: &Text) {
    let c = b.content();
    let h = b.band(t, c.x, c.y, c.w, Label::Static(s::PIN_UNUSABLE), Tone::Info);
    b.paragraph(t, c.x, c.y + h + 32, c.w, s::PIN_UNUSABLE_NEXT, size::BODY);
    b.footer(Some((s::VISUAL_INSTEAD, UiAction::VisualInstead)), None);
}
