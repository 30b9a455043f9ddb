//! Digit screens: the staff's パスコード pads and the patient's 暗証番号 pad.

use crate::app::{DigitNotice, PinPad};
use crate::sensitive::SensitiveText;

use super::super::strings as s;
use super::super::text::Text;
use super::super::theme::{self, size};
use super::super::{Align, Kind, Label, Rect, Tone};
use super::pad_keys::{keypad, KeyStyle};
use super::template::{band_height, Builder};

pub(super) fn notice_text(n: Option<DigitNotice>) -> Option<Label<'static>> {
    match n? {
        DigitNotice::WrongPasscode => Some(Label::Static(s::PASSCODE_WRONG)),
        DigitNotice::Mismatch => Some(Label::Static(s::PASSCODE_MISMATCH)),
        DigitNotice::WrongPin(n) => Some(Label::Owned(SensitiveText::new(s::wrong_pin(n)))),
        DigitNotice::CardChanged => Some(Label::Static(s::PIN_CARD_CHANGED)),
    }
}

/// A prompt, four dots, an optional error band and a keypad.
pub(super) fn digits<'a>(
    b: &mut Builder<'a>,
    t: &Text,
    prompt: &'static str,
    typed: usize,
    notice: Option<Label<'a>>,
    style: KeyStyle,
    keys_enabled: bool,
) {
    let c = b.content();
    let mid = c.x + c.w / 2;
    b.text(
        Rect::new(c.x, c.y, c.w, 36),
        Label::Static(prompt),
        size::BODY,
        theme::TEXT,
        Align::Center,
    );
    b.scene.push(
        Rect::new(mid - 100, c.y + 48, 200, 40),
        Kind::Dots {
            filled: typed as u8,
            total: crate::app::passcode::DIGITS as u8,
        },
        None,
    );
    if let Some(notice) = notice {
        let w = t.width(notice.as_str(), size::LABEL) + 100;
        b.scene.push(
            Rect::new(mid - w / 2, c.y + 96, w, 40),
            Kind::Band {
                text: notice,
                tone: Tone::Error,
            },
            None,
        );
    }
    let bottom = b.keypad_bottom();
    keypad(b, mid, c.y + 148, bottom, style, keys_enabled, false);
}

/// 暗証番号の入力: tries left before typing, the last-try warning, a large pad. The keys take
/// digits only once the card on the reader has said its tries.
pub(super) fn pin_entry(b: &mut Builder<'_>, t: &Text, pad: &PinPad) {
    let c = b.content();
    let mid = c.x + c.w / 2;
    // Left column: what to do and what is at stake; right column: the pad.
    let col_w = c.w / 2 - 32;
    let prompt = super::holders::pin_prompt(pad);
    let mut y = b.paragraph(t, c.x, c.y, col_w, prompt, size::BODY) + 16;
    let (typed, tries, complete) = match pad {
        PinPad::Typing { entry, tries, .. } => (entry.len(), Some(*tries), entry.is_complete()),
        _ => (0, None, false),
    };
    let (status, tone) = match pad {
        PinPad::Typing {
            notice: Some(DigitNotice::WrongPin(n)),
            ..
        } => (
            Label::Owned(SensitiveText::new(s::wrong_pin(*n))),
            Tone::Error,
        ),
        PinPad::Typing { tries, .. } => (
            Label::Owned(SensitiveText::new(s::pin_tries(*tries))),
            Tone::Info,
        ),
        PinPad::AskingTries { .. } => (Label::Static(s::PIN_ASKING_TRIES), Tone::Info),
        PinPad::NoCard {
            notice: Some(DigitNotice::CardChanged),
        } => (Label::Static(s::PIN_CARD_CHANGED), Tone::Warning),
        // Drawn by `holders` instead.
        PinPad::NoCard { .. } | PinPad::OnPhone { .. } | PinPad::Unusable { .. } => {
            (Label::Static(s::PIN_SET_CARD), Tone::Warning)
        }
    };
    let h = band_height(t, status.as_str(), col_w);
    b.scene.push(
        Rect::new(c.x, y, col_w, h),
        Kind::Band { text: status, tone },
        None,
    );
    y += h + 16;
    if tries == Some(1) {
        let last_try = super::holders::last_try(pad);
        b.band(t, c.x, y, col_w, Label::Static(last_try), Tone::Warning);
    }
    let pad_mid = mid + c.w / 4;
    b.scene.push(
        Rect::new(pad_mid - 100, c.y - 8, 200, 40),
        Kind::Dots {
            filled: typed as u8,
            total: crate::app::passcode::DIGITS as u8,
        },
        None,
    );
    let bottom = b.keypad_bottom();
    keypad(
        b,
        pad_mid,
        c.y + 44,
        bottom,
        KeyStyle::Patient,
        tries.is_some(),
        complete,
    );
}

// --- 認証選択（目視） ------------------------------------------------------------------------
