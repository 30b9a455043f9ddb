//! Keyboard to actions, through the scene on screen: the manual promises that Tab, the
//! arrows and Enter operate every screen (for screen-reader users), and forms take typing.
//!
//! A key acts only through what the screen shows: a shortcut needs its control on screen.

use super::{ButtonStyle, Direction, Focus, Group, Kind, Scene};
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
///
/// - Tab / Shift+Tab: the next / previous stop in reading order (a group is one stop);
///   ↑ ↓ do the same outside a group.
/// - Arrows in a group (keypad, keyboard, list, tray): the nearest control that way.
/// - ← → in a text field: the caret; on a paged screen: the page; else the stops.
/// - ↓ in a text field: down to the on-screen keyboard (it types into that field); ↑ from
///   the keyboard's top row: back to the field.
/// - Enter: the control the ring is on (in a text field: the form's button); without a
///   ring, the screen's one primary button (never a destructive one); on a screen without
///   one, it places the ring on the first control.
/// - Space: the control the ring is on (not in a text field).
/// - Esc: ← or キャンセル, where the screen has one.
/// - Characters and Backspace: a form types into the field with the caret (the ring goes
///   back to it); elsewhere digits press a keypad's keys.
pub fn press(key: Key, scene: &Scene<'_>, focus: &mut Focus) -> Option<UiAction> {
    let shown = |a: UiAction| scene.rect_of(a).is_some().then_some(a);
    // A form on screen takes typing; its fields have FocusField actions.
    let typing = scene
        .widgets
        .iter()
        .any(|w| matches!(w.action, Some(UiAction::FocusField(_))));
    let ring = focus.widget(scene);
    let on_field = ring.is_some_and(|i| matches!(scene.widgets[i].kind, Kind::Field { .. }));
    let in_group = ring.and_then(|i| scene.widgets[i].group).is_some();
    // The ring moved onto a field without the caret: the caret goes with it.
    let caret_follows = |focus: &Focus| {
        let w = &scene.widgets[focus.placed(scene)?];
        match (w.action, &w.kind) {
            (Some(a @ UiAction::FocusField(_)), Kind::Field { caret: None, .. }) => Some(a),
            _ => None,
        }
    };
    let step = |focus: &mut Focus, forward: bool| {
        if forward {
            focus.next(scene);
        } else {
            focus.prev(scene);
        }
        caret_follows(focus)
    };
    match key {
        Key::Tab { back } => step(focus, !back),
        // In a form, ↓ from the field goes down to the on-screen keyboard, which types
        // into that field, and ↑ from its top row comes back: the caret stays put.
        Key::Down if on_field && first_of(scene, Group::Keyboard).is_some() => {
            if let Some(i) = first_of(scene, Group::Keyboard) {
                focus.place(scene, i);
            }
            None
        }
        Key::Up | Key::Down if in_group => {
            let dir = if key == Key::Up {
                Direction::Up
            } else {
                Direction::Down
            };
            let keyboard = ring.and_then(|i| scene.widgets[i].group) == Some(Group::Keyboard);
            if focus.within(scene, dir) {
                None
            } else if key == Key::Up && keyboard && typing {
                focus.position = None;
                None
            } else {
                step(focus, key == Key::Down)
            }
        }
        Key::Up => step(focus, false),
        Key::Down => step(focus, true),
        Key::Left if on_field => Some(UiAction::CaretLeft),
        Key::Right if on_field => Some(UiAction::CaretRight),
        Key::Left | Key::Right if in_group => {
            let dir = if key == Key::Left {
                Direction::Left
            } else {
                Direction::Right
            };
            focus.within(scene, dir);
            None
        }
        Key::Left => shown(UiAction::PrevPage).or_else(|| step(focus, false)),
        Key::Right => shown(UiAction::NextPage).or_else(|| step(focus, true)),
        Key::Enter if on_field => shown(UiAction::Submit),
        Key::Enter => focus.action(scene).or_else(|| primary(scene)).or_else(|| {
            focus.next(scene);
            caret_follows(focus)
        }),
        Key::Space if on_field => None,
        Key::Space => focus.action(scene),
        Key::Escape => shown(UiAction::Back).or_else(|| shown(UiAction::Cancel)),
        Key::PageUp => shown(UiAction::PrevPage),
        Key::PageDown => shown(UiAction::NextPage),
        Key::Backspace | Key::Char(_) if typing => {
            if !on_field {
                // Typing goes where the caret is, and the ring with it.
                focus.position = None;
            }
            match key {
                Key::Char(c) => Some(UiAction::Type(c)),
                _ => Some(UiAction::Backspace),
            }
        }
        // Digits typed on a pad: the ring goes back to the default (次へ once 4 are in).
        Key::Backspace => {
            let a = shown(UiAction::DeleteDigit)?;
            focus.position = None;
            Some(a)
        }
        Key::Char(c) => {
            let d = c.to_digit(10)?;
            let a = shown(UiAction::Digit(u8::try_from(d).ok()?))?;
            focus.position = None;
            Some(a)
        }
    }
}

/// The keyboard side of a window: the focus ring, the screen it belongs to, and whether
/// the person is using the keys. Someone on the keys always sees the ring: where they moved
/// it, or else on the screen's default control (the primary button, the field with the
/// caret, the first control that does not leave the screen), and Enter presses what the
/// ring is on. After a touch the ring hides until a key is pressed; the first Tab or arrow
/// only shows it. The window and the headless driver share this, so tests press keys as
/// people do.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Keyboard {
    focus: Focus,
    screen: &'static str,
    active: bool,
}

impl Keyboard {
    /// Screen `name` is on: a new screen starts with the ring at its default.
    fn see(&mut self, name: &'static str) {
        if name != self.screen {
            self.screen = name;
            self.focus = Focus::default();
        }
    }

    /// A key pressed on screen `name` showing `scene`: what it does (see [`press`]).
    pub fn press(&mut self, key: Key, name: &'static str, scene: &Scene<'_>) -> Option<UiAction> {
        self.see(name);
        let revealing = !self.active;
        self.active = true;
        if self.focus.position.is_none() {
            self.focus = initial(scene);
        }
        let moves = matches!(
            key,
            Key::Tab { .. } | Key::Up | Key::Down | Key::Left | Key::Right
        );
        if revealing && moves {
            return None;
        }
        press(key, scene, &mut self.focus)
    }

    /// A screen reader moved the focus to widget `index` on screen `name` showing `scene`:
    /// the ring goes there as if the keys had moved it. Returns the field's action when the
    /// widget is a text field without the caret (the caret goes with the ring).
    pub fn focus_widget(
        &mut self,
        name: &'static str,
        scene: &Scene<'_>,
        index: usize,
    ) -> Option<UiAction> {
        self.see(name);
        self.active = true;
        self.focus.place(scene, index);
        let w = scene.widgets.get(index)?;
        match (w.action, &w.kind) {
            (Some(a @ UiAction::FocusField(_)), Kind::Field { caret: None, .. }) => Some(a),
            _ => None,
        }
    }

    /// A touch or click: the ring hides until the next key.
    pub fn touched(&mut self) {
        self.active = false;
        self.focus = Focus::default();
    }

    /// The widget the ring is on, on screen `name` showing `scene`.
    pub fn ring(&mut self, name: &'static str, scene: &Scene<'_>) -> Option<usize> {
        self.see(name);
        if self.active && self.focus.position.is_none() {
            return initial(scene).widget(scene);
        }
        self.focus.widget(scene)
    }
}

/// Where the ring rests on a screen until keys move it: the default control (the primary
/// button), the field with the caret, or else the first control that does not leave the
/// screen (a keypad's first key, the first row of a list, キャンセル), else the first.
pub fn initial(scene: &Scene<'_>) -> Focus {
    let mut focus = Focus::default();
    if focus.widget(scene).is_some() {
        return focus;
    }
    let leaves = |a: Option<UiAction>| matches!(a, Some(UiAction::Back));
    let default = primary(scene)
        .and_then(|a| scene.widgets.iter().position(|w| w.action == Some(a)))
        .or_else(|| {
            scene
                .focusable()
                .find(|&i| !leaves(scene.widgets[i].action))
        });
    match default {
        Some(i) => focus.place(scene, i),
        None => focus.next(scene),
    }
    focus
}

/// The first control of `group` on screen.
fn first_of(scene: &Scene<'_>, group: Group) -> Option<usize> {
    scene
        .focusable()
        .find(|&i| scene.widgets[i].group == Some(group))
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
    use crate::ui::{ButtonStyle, Group, Kind, Label, Rect};

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
    fn a_screen_reader_moves_the_ring_and_the_caret_goes_to_a_field() {
        let mut k = Keyboard::default();
        let pad = keypad();
        assert_eq!(k.focus_widget("Pad", &pad, 1), None);
        assert_eq!(k.ring("Pad", &pad), Some(1), "the ring is on 削除");
        assert_eq!(
            k.press(Key::Enter, "Pad", &pad),
            Some(UiAction::DeleteDigit),
            "Enter presses where the screen reader put the ring"
        );
        // A second field without the caret: the caret goes there with the ring.
        let mut s = form();
        s.push(
            Rect::new(0, 50, 200, 40),
            Kind::Field {
                text: Label::Static(""),
                caret: None,
            },
            Some(UiAction::FocusField(1)),
        );
        let mut k = Keyboard::default();
        assert_eq!(k.focus_widget("Form", &s, 2), Some(UiAction::FocusField(1)));
        assert_eq!(
            k.focus_widget("Form", &s, 1),
            None,
            "a button takes no caret"
        );
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
        // A destructive confirmation is never the default: Enter alone presses nothing and
        // shows the ring on the first control (キャンセル), so the next Enter is safe.
        let danger = dialog(ButtonStyle::Danger);
        let mut f = Focus::default();
        assert_eq!(press(Key::Enter, &danger, &mut f), None);
        assert_eq!(f.action(&danger), Some(UiAction::Cancel));
        assert_eq!(press(Key::Enter, &danger, &mut f), Some(UiAction::Cancel));
        // Two primaries: no guess either.
        let mut two = dialog(ButtonStyle::Primary);
        two.push(
            Rect::new(100, 0, 40, 40),
            Kind::Button {
                label: Label::Static("next"),
                style: ButtonStyle::Primary,
            },
            Some(UiAction::Next),
        );
        let mut f = Focus::default();
        assert_eq!(press(Key::Enter, &two, &mut f), None);
        assert_eq!(f.action(&two), Some(UiAction::Cancel));
    }

    /// ← | 1 2 3 / 4 5 6 (a keypad group) | OK.
    fn grouped() -> Scene<'static> {
        let mut s = Scene::default();
        button(&mut s, 0, UiAction::Back);
        for d in 1u8..=6 {
            let i = i32::from(d - 1);
            s.push_in(
                Group::Keypad,
                Rect::new(100 + (i % 3) * 50, 100 + (i / 3) * 50, 40, 40),
                Kind::Button {
                    label: Label::Static("d"),
                    style: ButtonStyle::Key,
                },
                Some(UiAction::Digit(d)),
            );
        }
        button(&mut s, 400, UiAction::Ok);
        s
    }

    #[test]
    fn a_group_is_one_tab_stop_and_the_arrows_move_within_it() {
        let s = grouped();
        let mut f = Focus::default();
        let tab = |f: &mut Focus| press(Key::Tab { back: false }, &s, f);
        tab(&mut f);
        assert_eq!(f.action(&s), Some(UiAction::Back));
        tab(&mut f);
        assert_eq!(
            f.action(&s),
            Some(UiAction::Digit(1)),
            "enters at the first key"
        );
        press(Key::Right, &s, &mut f);
        press(Key::Down, &s, &mut f);
        assert_eq!(f.action(&s), Some(UiAction::Digit(5)));
        press(Key::Right, &s, &mut f);
        press(Key::Right, &s, &mut f);
        assert_eq!(f.action(&s), Some(UiAction::Digit(6)), "stops at the edge");
        press(Key::Up, &s, &mut f);
        assert_eq!(f.action(&s), Some(UiAction::Digit(3)));
        tab(&mut f);
        assert_eq!(
            f.action(&s),
            Some(UiAction::Ok),
            "leaves the group in one Tab"
        );
        press(Key::Tab { back: true }, &s, &mut f);
        assert_eq!(
            f.action(&s),
            Some(UiAction::Digit(1)),
            "Shift+Tab enters at the first key too"
        );
        // Eight controls, three stops.
        let mut stops = Vec::new();
        let mut f = Focus::default();
        for _ in 0..6 {
            tab(&mut f);
            stops.push(f.action(&s));
        }
        assert_eq!(stops[..3], stops[3..], "a cycle of three stops: {stops:?}");
    }

    /// Two fields (the caret in `caret`), 👁, 登録する.
    fn two_fields(caret: usize) -> Scene<'static> {
        let mut s = Scene::default();
        for i in 0..2u8 {
            s.push(
                Rect::new(0, i32::from(i) * 50, 200, 40),
                Kind::Field {
                    text: Label::Static(""),
                    caret: (usize::from(i) == caret).then_some(0),
                },
                Some(UiAction::FocusField(i)),
            );
        }
        button(&mut s, 250, UiAction::ToggleReveal(1));
        button(&mut s, 300, UiAction::Submit);
        s
    }

    #[test]
    fn the_ring_and_the_caret_are_one_thing() {
        let s = two_fields(0);
        let mut f = Focus::default();
        assert_eq!(
            f.widget(&s),
            Some(0),
            "the caret's field has the ring at first"
        );
        assert_eq!(
            press(Key::Tab { back: false }, &s, &mut f),
            Some(UiAction::FocusField(1)),
            "Tab onto a field moves the caret there"
        );
        // The app moved the caret.
        let s = two_fields(1);
        assert_eq!(f.widget(&s), Some(1));
        assert_eq!(
            press(Key::Tab { back: false }, &s, &mut f),
            None,
            "onto 👁: the caret stays"
        );
        assert_eq!(f.widget(&s), Some(2));
        assert_eq!(
            press(Key::Space, &s, &mut f),
            Some(UiAction::ToggleReveal(1))
        );
        assert_eq!(press(Key::Char('a'), &s, &mut f), Some(UiAction::Type('a')));
        assert_eq!(
            f.widget(&s),
            Some(1),
            "typing brings the ring back to the caret"
        );
        assert_eq!(press(Key::Enter, &s, &mut f), Some(UiAction::Submit));
        // A tap on the first field moves the caret; a ring placed on a field follows it.
        f.place(&s, 1);
        let s = two_fields(0);
        assert_eq!(f.widget(&s), Some(0));
    }

    #[test]
    fn down_from_a_field_reaches_the_on_screen_keyboard_and_up_comes_back() {
        let mut s = two_fields(1);
        for (i, c) in ['q', 'w'].into_iter().enumerate() {
            s.push_in(
                Group::Keyboard,
                Rect::new(i as i32 * 50, 300, 40, 40),
                Kind::Button {
                    label: Label::Static("k"),
                    style: ButtonStyle::TypeKey,
                },
                Some(UiAction::Type(c)),
            );
        }
        let mut f = Focus::default();
        assert_eq!(press(Key::Down, &s, &mut f), None, "no caret move");
        assert_eq!(f.action(&s), Some(UiAction::Type('q')));
        press(Key::Right, &s, &mut f);
        assert_eq!(press(Key::Enter, &s, &mut f), Some(UiAction::Type('w')));
        assert_eq!(press(Key::Up, &s, &mut f), None);
        assert_eq!(f.widget(&s), Some(1), "back on the field with the caret");
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
