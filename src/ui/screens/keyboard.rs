//! The on-screen keyboard of the forms.

use crate::app::UiAction;

use super::super::strings as s;
use super::super::theme::{self};
use super::super::{ButtonStyle, Group, Kind, Label, Rect};
use super::template::Builder;

/// Keyboard geometry: the pitch of one key.
const KEY_PITCH_W: i32 = 72;
const KEY_PITCH_H: i32 = 60;

/// The label of a key whose ASCII glyph is drawn small or ambiguous in the face (` ~ ^ ' _
/// sit high or low, ' curls like ’): its full-width form, drawn at full size. The key still
/// types the ASCII character.
pub(crate) fn key_label(c: char) -> Option<&'static str> {
    Some(match c {
        '`' => "｀",
        '~' => "～",
        '^' => "＾",
        '\'' => "＇",
        '_' => "＿",
        _ => return None,
    })
}

/// The on-screen keyboard: letters (lower or upper case) or digits and the manual's
/// symbols, with layer keys, 削除 and caret keys. It sits at the bottom of the content area.
pub(super) fn keyboard(b: &mut Builder<'_>, layer: crate::app::KeyLayer) {
    use crate::app::KeyLayer;
    const LOWER: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
    const UPPER: [&str; 3] = ["QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"];
    const SYMBOLS: [&str; 3] = ["1234567890", "`~!@#$%^&*", "_{}[]|;'<>"];
    const SYMBOLS_LAST: &str = ",.?-()/";
    let rows = match layer {
        KeyLayer::Lower => LOWER,
        KeyLayer::Upper => UPPER,
        KeyLayer::Symbols => SYMBOLS,
    };
    let bottom = b.footer.bottom() - 12;
    let top = bottom - 4 * KEY_PITCH_H;
    let left = (b.size.w - 10 * KEY_PITCH_W) / 2;
    let key = |b: &mut Builder<'_>,
               x: i32,
               y: i32,
               w: i32,
               label: &'static str,
               action: UiAction,
               style: ButtonStyle| {
        b.scene.push_in(
            Group::Keyboard,
            Rect::new(x, y, w - 8, KEY_PITCH_H - 8),
            Kind::Button {
                label: Label::Static(label),
                style,
            },
            Some(action),
        );
    };
    b.scene.push(
        Rect::new(0, top - 12, b.size.w, bottom - top + 24),
        Kind::Panel {
            fill: theme::PANEL,
            border: None,
        },
        None,
    );
    for (r, chars) in rows.iter().enumerate() {
        let y = top + r as i32 * KEY_PITCH_H;
        let indent = (10 - chars.len() as i32) * KEY_PITCH_W / 2;
        for (i, ch) in chars.char_indices() {
            let x = left + indent + (i as i32) * KEY_PITCH_W;
            key(
                b,
                x,
                y,
                KEY_PITCH_W,
                key_label(ch).unwrap_or(&chars[i..i + ch.len_utf8()]),
                UiAction::Type(ch),
                ButtonStyle::TypeKey,
            );
        }
    }
    // Last row: layer keys, caret keys, 削除 (and the last symbols on the symbol layer).
    let y = top + 3 * KEY_PITCH_H;
    let mut x = left;
    let (first, second) = match layer {
        KeyLayer::Lower => (
            (s::keyboard::UPPER, KeyLayer::Upper),
            (s::keyboard::SYMBOLS, KeyLayer::Symbols),
        ),
        KeyLayer::Upper => (
            (s::keyboard::LOWER, KeyLayer::Lower),
            (s::keyboard::SYMBOLS, KeyLayer::Symbols),
        ),
        KeyLayer::Symbols => (
            (s::keyboard::LOWER, KeyLayer::Lower),
            (s::keyboard::UPPER, KeyLayer::Upper),
        ),
    };
    for (label, l) in [first, second] {
        key(
            b,
            x,
            y,
            2 * KEY_PITCH_W,
            label,
            UiAction::KeyboardLayer(l),
            ButtonStyle::Secondary,
        );
        x += 2 * KEY_PITCH_W;
    }
    if layer == KeyLayer::Symbols {
        for (i, ch) in SYMBOLS_LAST.char_indices() {
            key(
                b,
                x,
                y,
                KEY_PITCH_W,
                key_label(ch).unwrap_or(&SYMBOLS_LAST[i..i + 1]),
                UiAction::Type(ch),
                ButtonStyle::TypeKey,
            );
            x += KEY_PITCH_W;
        }
    } else {
        key(
            b,
            x,
            y,
            2 * KEY_PITCH_W,
            s::keyboard::LEFT,
            UiAction::CaretLeft,
            ButtonStyle::Secondary,
        );
        x += 2 * KEY_PITCH_W;
        key(
            b,
            x,
            y,
            2 * KEY_PITCH_W,
            s::keyboard::RIGHT,
            UiAction::CaretRight,
            ButtonStyle::Secondary,
        );
        x += 2 * KEY_PITCH_W;
    }
    // 削除 fills the row to one column past the letters, and is never narrower than two keys.
    let end = left + 11 * KEY_PITCH_W;
    key(
        b,
        x,
        y,
        (end - x).max(2 * KEY_PITCH_W),
        s::keyboard::DELETE,
        UiAction::Backspace,
        ButtonStyle::Secondary,
    );
}

#[cfg(test)]
mod tests {
    use super::key_label;
    use crate::ui::text::Text;

    #[test]
    fn every_symbol_of_the_manual_has_a_label_the_face_draws() {
        let text = Text::load().expect("embedded font parses");
        // The manual's symbol set (p.7), each as the key shows it.
        for c in "`~!@#$%^&*_{}[]|;'<>,.?-()/".chars() {
            let shown = key_label(c).and_then(|l| l.chars().next()).unwrap_or(c);
            assert!(text.has_glyph(shown), "no glyph for the {c} key ({shown})");
        }
        assert_eq!(key_label('\''), Some("＇"), "a straight quote, never ’");
    }
}
