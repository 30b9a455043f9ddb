//! The 3×4 keypad shared by the staff's passcode pad and the patient's PIN pad.

use crate::app::UiAction;

use super::super::strings as s;
use super::super::{ButtonStyle, Group, Kind, Label, Rect};
use super::template::Builder;

/// Keypad geometry: keys, gaps.
pub(super) const KEY_W: i32 = 120;
pub(super) const KEY_H: i32 = 80;
pub(super) const KEY_GAP: i32 = 12;
/// The patient's PIN pad: larger keys.
pub(super) const PIN_KEY: i32 = 96;

/// Who types on a keypad.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyStyle {
    /// Staff (passcode): compact keys, four digits complete the entry.
    Staff,
    /// The patient (card PIN): large keys and 次へ.
    Patient,
}

/// A 3×4 keypad centred on `mid` between `top` and `bottom`: 1–9, then 訂正, 0 (and 次へ on
/// the patient's pad). Keys shrink to fit a short screen but never below the 44 px touch
/// minimum.
pub(super) fn keypad(
    b: &mut Builder<'_>,
    mid: i32,
    top: i32,
    bottom: i32,
    style: KeyStyle,
    keys_enabled: bool,
    next_enabled: bool,
) {
    const DIGIT_LABELS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    let (key_w, max_h, key_style) = match style {
        KeyStyle::Staff => (KEY_W, KEY_H, ButtonStyle::Key),
        KeyStyle::Patient => (PIN_KEY + 40, PIN_KEY, ButtonStyle::PinKey),
    };
    let key_h = ((bottom - top - 3 * KEY_GAP) / 4).clamp(44, max_h);
    let left = mid - (3 * key_w + 2 * KEY_GAP) / 2;
    let cell = |col: i32, row: i32| {
        Rect::new(
            left + col * (key_w + KEY_GAP),
            top + row * (key_h + KEY_GAP),
            key_w,
            key_h,
        )
    };
    // A pad that takes no digits now (the gate's wait, a PIN pad before the card's tries
    // are known) shows its keys disabled, and they do nothing.
    let (key_style, delete_style) = if keys_enabled {
        (key_style, ButtonStyle::Secondary)
    } else {
        (ButtonStyle::Disabled, ButtonStyle::Disabled)
    };
    let action = |a: UiAction| keys_enabled.then_some(a);
    for d in 1u8..=9 {
        let i = i32::from(d - 1);
        b.scene.push_in(
            Group::Keypad,
            cell(i % 3, i / 3),
            Kind::Button {
                label: Label::Static(DIGIT_LABELS[usize::from(d)]),
                style: key_style,
            },
            action(UiAction::Digit(d)),
        );
    }
    b.scene.push_in(
        Group::Keypad,
        cell(0, 3),
        Kind::Button {
            label: Label::Static(s::KEY_DELETE),
            style: delete_style,
        },
        action(UiAction::DeleteDigit),
    );
    b.scene.push_in(
        Group::Keypad,
        cell(1, 3),
        Kind::Button {
            label: Label::Static(DIGIT_LABELS[0]),
            style: key_style,
        },
        action(UiAction::Digit(0)),
    );
    if style == KeyStyle::Patient {
        let (style, action) = if next_enabled {
            (ButtonStyle::Primary, Some(UiAction::Next))
        } else {
            (ButtonStyle::Disabled, None)
        };
        b.scene.push_in(
            Group::Keypad,
            cell(2, 3),
            Kind::Button {
                label: Label::Static(s::NEXT),
                style,
            },
            action,
        );
    }
}
