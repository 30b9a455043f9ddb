//! Keyboard to actions, through the scene on screen: the manual promises that Tab, the
//! arrows and Enter operate every screen (for screen-reader users), and forms take typing.
//!
//! A key acts only through what the screen shows: a shortcut needs its control on screen.

use super::{ButtonStyle, Focus, Kind, Scene};
use crate::app::UiAction;

/// A key press, as the shell reports it (independent of the windowing library).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Tab; `back` with Shift.
    Tab {
        /// Shift was held.
        back: bool,
    },
    /// ←.
    Left,
    /// →.
    Right,
    /// ↑.
    Up,
    /// ↓.
    Down,
    /// Enter.
    Enter,
    /// Space.
    Space,
    /// Esc.
    Escape,
    /// Backspace or Delete.
    Backspace,
    /// Page Up.
    PageUp,
    /// Page Down.
    PageDown,
    /// A character.
    Char(char),
}

/// What a key press does: move the focus ring, act, or both.
pub fn press(key: Key, scene: &Scene<'_>, focus: &mut Focus) -> Option<UiAction> {
    let shown = |a: UiAction| scene.rect_of(a).is_some().then_some(a);
    // A form on screen takes typing; its fields have FocusField actions.
    let typing = scene
        .widgets
        .iter()
        .any(|w| matches!(w.action, Some(UiAction::FocusField(_))));
    match key {
        Key::Tab { back: true } | Key::Up => {
            focus.prev(scene);
            None
        }
        Key::Tab { back: false } | Key::Down => {
            focus.next(scene);
            None
        }
        Key::Left if typing => Some(UiAction::CaretLeft),
        Key::Right if typing => Some(UiAction::CaretRight),
        Key::Left => {
            focus.prev(scene);
            None
        }
        Key::Right => {
            focus.next(scene);
            None
        }
        // Enter presses the control the ring is on; without a ring, the form's submit or
        // the screen's one primary button (次へ, OK, 閉じる…): never a destructive one,
        // which is never primary.
        Key::Enter => focus
            .action(scene)
            .or_else(|| typing.then(|| shown(UiAction::Submit)).flatten())
            .or_else(|| primary(scene)),
        Key::Space if !typing => focus.action(scene),
        Key::Space => None,
        Key::Escape => shown(UiAction::Back).or_else(|| shown(UiAction::Cancel)),
        Key::PageUp => shown(UiAction::PrevPage),
        Key::PageDown => shown(UiAction::NextPage),
        Key::Backspace if typing => Some(UiAction::Backspace),
        Key::Backspace => shown(UiAction::DeleteDigit),
        Key::Char(c) if typing => Some(UiAction::Type(c)),
        Key::Char(c) => {
            let d = c.to_digit(10)?;
            shown(UiAction::Digit(u8::try_from(d).ok()?))
        }
    }
}

/// The screen's default action: its primary button, if there is exactly one.
fn primary(scene: &Scene<'_>) -> Option<UiAction> {
    let mut primaries = scene
        .widgets
        .iter()
        .filter_map(|w| match (&w.kind, w.action) {
            (
                Kind::Button {
                    style: ButtonStyle::Primary,
                    ..
                },
                Some(action),
            ) => Some(action),
            _ => None,
        });
    let first = primaries.next()?;
    primaries.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::{ButtonStyle, Kind, Label, Rect};

    fn button(s: &mut Scene<'static>, x: i32, action: UiAction) {
        s.push(
            Rect::new(x, 0, 40, 40),
            Kind::Button {
                label: Label::Static("b"),
                style: ButtonStyle::Secondary,
            },
            Some(action),
        );
    }

    fn keypad() -> Scene<'static> {
        let mut s = Scene::default();
        button(&mut s, 0, UiAction::Digit(1));
        button(&mut s, 50, UiAction::DeleteDigit);
        button(&mut s, 100, UiAction::Back);
        s
    }

    fn form() -> Scene<'static> {
        let mut s = Scene::default();
        s.push(
            Rect::new(0, 0, 200, 40),
            Kind::Field {
                text: Label::Static(""),
                caret: Some(0),
            },
            Some(UiAction::FocusField(0)),
        );
        button(&mut s, 250, UiAction::Submit);
        s
    }

    #[test]
    fn digits_go_to_a_keypad_only_when_it_is_on_screen() {
        let mut f = Focus::default();
        assert_eq!(
            press(Key::Char('1'), &keypad(), &mut f),
            Some(UiAction::Digit(1))
        );
        assert_eq!(
            press(Key::Char('2'), &keypad(), &mut f),
            None,
            "no 2 key on this pad"
        );
        assert_eq!(press(Key::Char('1'), &Scene::default(), &mut f), None);
        assert_eq!(
            press(Key::Backspace, &keypad(), &mut f),
            Some(UiAction::DeleteDigit)
        );
        assert_eq!(press(Key::Escape, &keypad(), &mut f), Some(UiAction::Back));
    }

    #[test]
    fn forms_take_characters_caret_keys_and_enter() {
        let mut f = Focus::default();
        let s = form();
        assert_eq!(press(Key::Char('W'), &s, &mut f), Some(UiAction::Type('W')));
        assert_eq!(press(Key::Char('1'), &s, &mut f), Some(UiAction::Type('1')));
        assert_eq!(press(Key::Backspace, &s, &mut f), Some(UiAction::Backspace));
        assert_eq!(press(Key::Left, &s, &mut f), Some(UiAction::CaretLeft));
        assert_eq!(press(Key::Right, &s, &mut f), Some(UiAction::CaretRight));
        assert_eq!(
            press(Key::Enter, &s, &mut f),
            Some(UiAction::Submit),
            "Enter sends the form"
        );
        assert_eq!(f.position, None, "caret keys do not move the focus ring");
    }

    fn dialog(confirm: ButtonStyle) -> Scene<'static> {
        let mut s = Scene::default();
        button(&mut s, 0, UiAction::Cancel);
        s.push(
            Rect::new(50, 0, 40, 40),
            Kind::Button {
                label: Label::Static("ok"),
                style: confirm,
            },
            Some(UiAction::Ok),
        );
        s
    }

    #[test]
    fn enter_presses_the_primary_button_without_tab_and_esc_cancels() {
        let mut f = Focus::default();
        assert_eq!(
            press(Key::Enter, &dialog(ButtonStyle::Primary), &mut f),
            Some(UiAction::Ok)
        );
        assert_eq!(
            press(Key::Escape, &dialog(ButtonStyle::Primary), &mut f),
            Some(UiAction::Cancel)
        );
        // A destructive confirmation is never the default: Enter alone does nothing.
        assert_eq!(
            press(Key::Enter, &dialog(ButtonStyle::Danger), &mut f),
            None
        );
        // Two primaries: no guess.
        let mut two = dialog(ButtonStyle::Primary);
        two.push(
            Rect::new(100, 0, 40, 40),
            Kind::Button {
                label: Label::Static("next"),
                style: ButtonStyle::Primary,
            },
            Some(UiAction::Next),
        );
        assert_eq!(press(Key::Enter, &two, &mut f), None);
    }

    #[test]
    fn tab_and_arrows_walk_the_focus_ring_and_enter_acts() {
        let s = keypad();
        let mut f = Focus::default();
        assert_eq!(press(Key::Tab { back: false }, &s, &mut f), None);
        assert_eq!(press(Key::Right, &s, &mut f), None);
        assert_eq!(press(Key::Enter, &s, &mut f), Some(UiAction::DeleteDigit));
        press(Key::Tab { back: true }, &s, &mut f);
        assert_eq!(press(Key::Space, &s, &mut f), Some(UiAction::Digit(1)));
        press(Key::Up, &s, &mut f);
        assert_eq!(
            press(Key::Enter, &s, &mut f),
            Some(UiAction::Back),
            "wraps backwards"
        );
    }
}
