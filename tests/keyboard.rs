//! Keyboard only: the demo kiosk is driven from the passcode to a 目視 result, through every
//! settings screen (readers, お知らせ, セキュリティ設定, the account password form typed on the
//! on-screen keyboard, the passcode change, the 目視 switch), a 暗証番号 check and the
//! destructive confirmations, with Tab, Shift+Tab, the arrows, Enter and Esc alone — the
//! keys the manual promises for Narrator users — through the same focus logic the window
//! uses. Each control is found by trying keys on a copy of the keyboard state (breadth
//! first, on the scene on screen), then the keys are pressed for real and Enter presses it.
//! After every key the focus ring is on screen wherever there is a control to put it on.
#![cfg(feature = "demo")]

use std::collections::{HashSet, VecDeque};

use myna_kakunin::app::{KeyLayer, MenuItem, UiAction};
use myna_kakunin::card::virtual_card::demo_cards;
use myna_kakunin::center::reference::DEMO_PASSWORD;
use myna_kakunin::shell::demo;
use myna_kakunin::shell::headless::{Session, SCREENSHOT_TIME};
use myna_kakunin::ui::keys::Key;
use myna_kakunin::ui::screens::{view, Size};
use myna_kakunin::ui::text::Text;

/// The keys that only move the ring.
const MOVES: [Key; 6] = [
    Key::Tab { back: false },
    Key::Tab { back: true },
    Key::Up,
    Key::Down,
    Key::Left,
    Key::Right,
];

struct Walk {
    k: Session,
    text: Text,
    keys: usize,
}

impl Walk {
    fn state(&self) -> &'static str {
        self.k.app().state().name()
    }

    /// Presses `key` for real and checks the ring is visible afterwards.
    fn key(&mut self, key: Key) -> Option<UiAction> {
        let action = self.k.key(key, &self.text);
        self.keys += 1;
        let controls = view(self.k.app(), Size::DESIGN, &self.text)
            .focusable()
            .count();
        let ring = self.k.ring(&self.text);
        assert!(
            ring.is_some() || controls == 0,
            "{}: no focus ring after {key:?}",
            self.state()
        );
        action
    }

    /// The shortest run of moving keys after which `target` is pressed: either Enter on
    /// the control the ring reached, or a move that itself leads to it (Tab onto a field).
    fn path_to(&self, target: UiAction) -> Option<Vec<Key>> {
        let scene = view(self.k.app(), Size::DESIGN, &self.text);
        let name = self.state();
        let start = self.k.keyboard();
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([(start, Vec::new())]);
        while let Some((kb, path)) = queue.pop_front() {
            let mut probe = kb;
            if probe.press(Key::Enter, name, &scene) == Some(target) {
                let mut path = path;
                path.push(Key::Enter);
                return Some(path);
            }
            if path.len() > 40 || !seen.insert(format!("{:?}", kb.clone().ring(name, &scene))) {
                continue;
            }
            for key in MOVES {
                let mut next = kb;
                let mut path = path.clone();
                path.push(key);
                match next.press(key, name, &scene) {
                    None => queue.push_back((next, path)),
                    Some(a) if a == target => return Some(path),
                    Some(_) => {}
                }
            }
        }
        None
    }

    /// Reaches `target` with the keys and presses it.
    fn press(&mut self, target: UiAction) {
        let path = self.path_to(target).unwrap_or_else(|| {
            let scene = view(self.k.app(), Size::DESIGN, &self.text);
            let mut kb = self.k.keyboard();
            let mut seen = Vec::new();
            for key in [Key::Tab { back: true }; 6] {
                let a = kb.press(key, self.state(), &scene);
                seen.push((
                    a,
                    kb.ring(self.state(), &scene)
                        .and_then(|i| scene.widgets[i].action),
                ));
            }
            panic!(
                "{}: {target:?} cannot be reached by keys; Shift+Tab: {seen:?}",
                self.state()
            )
        });
        let (last, moves) = path.split_last().expect("a path has a last key");
        for key in moves {
            assert_eq!(self.key(*key), None, "{}: {key:?} only moves", self.state());
        }
        assert_eq!(self.key(*last), Some(target), "{}", self.state());
    }

    fn digits(&mut self, digits: &str) {
        for d in digits.bytes() {
            self.press(UiAction::Digit(d - b'0'));
        }
    }

    /// Types `value` on the on-screen keyboard, switching its layer as needed.
    fn type_on_screen(&mut self, value: &str) {
        for c in value.chars() {
            if self.path_to(UiAction::Type(c)).is_none() {
                let layer = if c.is_ascii_lowercase() {
                    KeyLayer::Lower
                } else if c.is_ascii_uppercase() {
                    KeyLayer::Upper
                } else {
                    KeyLayer::Symbols
                };
                self.press(UiAction::KeyboardLayer(layer));
            }
            self.press(UiAction::Type(c));
        }
    }

    fn expect(&self, state: &str) {
        assert_eq!(self.state(), state);
    }
}

#[test]
fn the_kiosk_is_operable_with_tab_arrows_enter_and_esc_alone() {
    let mut w = Walk {
        k: Session::from_pair(demo::setup(|| SCREENSHOT_TIME)),
        text: Text::load().expect("embedded font parses"),
        keys: 0,
    };
    let taro = demo_cards()
        .iter()
        .position(|c| c.id == "taro")
        .and_then(|i| u8::try_from(i).ok())
        .expect("the demo has 資格 太郎");
    let taro_pin = demo_cards()[usize::from(taro)].pin;

    // Unlock on the keypad, reached and pressed with arrows and Enter.
    w.expect("EnterPasscode");
    w.digits(demo::PASSCODE);
    if w.state() == "Notices" {
        // The ring starts on 閉じる: Enter alone closes.
        assert_eq!(w.key(Key::Enter), Some(UiAction::Close));
    }
    w.expect("SelectAuth");

    // A 目視 check: the card from the demo tray, 次へ, the result, 閉じる.
    w.press(UiAction::DemoToggleCard(taro));
    w.expect("ReadCard(Done)");
    assert_eq!(
        w.key(Key::Enter),
        Some(UiAction::Next),
        "the ring is on 次へ"
    );
    w.expect("ShowResult");
    let shown = view(w.k.app(), Size::DESIGN, &w.text).texts().concat();
    assert!(shown.contains("資格 太郎"), "the result is shown");
    w.press(UiAction::Close);
    w.expect("SelectAuth");

    // The menu and its screens; Esc goes back.
    w.press(UiAction::OpenMenu);
    w.expect("Menu");
    w.press(UiAction::Menu(MenuItem::ReaderSelect));
    w.expect("ReaderSelect");
    assert_eq!(w.key(Key::Escape), Some(UiAction::Back));
    w.press(UiAction::Menu(MenuItem::Notices));
    w.expect("Notices");
    w.press(UiAction::Close);
    w.expect("Menu");

    // セキュリティ設定 behind the passcode.
    w.press(UiAction::Menu(MenuItem::Security));
    w.expect("SecurityPasscode");
    w.digits(demo::PASSCODE);
    w.expect("Security");

    // The account password, typed on the on-screen keyboard: current, new, new again.
    w.press(UiAction::Menu(MenuItem::AccountPassword));
    w.expect("AccountPassword");
    const NEW: &str = "Newer#Pass2026";
    w.type_on_screen(DEMO_PASSWORD);
    w.press(UiAction::FocusField(1));
    w.type_on_screen(NEW);
    w.press(UiAction::FocusField(2));
    w.type_on_screen(NEW);
    w.press(UiAction::Submit);
    w.expect("Tell(PasswordChanged)");
    assert_eq!(w.key(Key::Enter), Some(UiAction::Ok));
    w.expect("Security");

    // The passcode: current, new, new again.
    w.press(UiAction::Menu(MenuItem::ChangePasscode));
    w.digits(demo::PASSCODE);
    w.digits("5678");
    w.digits("5678");
    w.expect("Tell(PasscodeChanged)");
    assert_eq!(w.key(Key::Enter), Some(UiAction::Ok));
    w.expect("Security");

    // Destructive confirmations: Enter never confirms on its own; Esc cancels.
    for item in [MenuItem::Deregister, MenuItem::Logout] {
        w.press(UiAction::Menu(item));
        assert!(w.state().starts_with("Ask("), "{}", w.state());
        assert_eq!(
            w.key(Key::Enter),
            Some(UiAction::Cancel),
            "the ring starts on キャンセル"
        );
        w.expect("Security");
    }
    w.press(UiAction::Menu(MenuItem::Quit));
    w.expect("QuitPasscode");
    assert_eq!(w.key(Key::Escape), Some(UiAction::Back));
    w.expect("Security");

    // 暗証番号 mode by the switch, then a PIN check typed on the patient's pad.
    w.press(UiAction::ToggleVisualCheck);
    assert_eq!(w.key(Key::Escape), Some(UiAction::Back));
    w.expect("Menu");
    assert_eq!(w.key(Key::Escape), Some(UiAction::Back));
    w.expect("SelectAuth");
    assert_eq!(w.key(Key::Enter), Some(UiAction::Next));
    w.expect("Ask(StartPin)");
    assert_eq!(w.key(Key::Enter), Some(UiAction::Ok));
    w.expect("EnterPin(Typing)");
    w.digits(taro_pin);
    w.press(UiAction::Next);
    w.expect("ReadCard(Done)");
    assert_eq!(w.key(Key::Enter), Some(UiAction::Next));
    w.expect("ShowResult");
    assert_eq!(w.key(Key::Enter), Some(UiAction::Close));
    w.expect("SelectAuth");
    assert!(w.keys > 60, "a walk of {} keys", w.keys);
}

#[test]
fn a_form_is_its_fields_its_eyes_its_button_and_the_keyboard_in_tab_order() {
    let mut w = Walk {
        k: Session::from_pair(demo::setup_fresh(|| SCREENSHOT_TIME)),
        text: Text::load().expect("embedded font parses"),
        keys: 0,
    };
    w.expect("Terms");
    assert_eq!(w.key(Key::Enter), Some(UiAction::AcceptTerms));
    w.expect("Register");
    // One round of Tab from the first field: each stop once, in reading order.
    let mut stops = Vec::new();
    for _ in 0..20 {
        let ring = w.k.ring(&w.text).expect("the ring is on screen");
        let scene = view(w.k.app(), Size::DESIGN, &w.text);
        let here = scene.widgets[ring].action.expect("a control");
        drop(scene);
        if stops.first() == Some(&here) {
            break;
        }
        stops.push(here);
        w.key(Key::Tab { back: false });
    }
    let keyboard_key = stops
        .iter()
        .filter(|a| matches!(a, UiAction::Type(_) | UiAction::KeyboardLayer(_)))
        .count();
    assert_eq!(keyboard_key, 1, "the keyboard is one stop: {stops:?}");
    assert_eq!(
        stops[..7],
        [
            UiAction::FocusField(0),
            UiAction::FocusField(1),
            UiAction::FocusField(2),
            UiAction::ToggleReveal(2),
            UiAction::FocusField(3),
            UiAction::ToggleReveal(3),
            UiAction::Submit,
        ],
        "{stops:?}"
    );
    assert_eq!(stops.len(), 8, "{stops:?}");
    // Typing on the physical keyboard goes where the ring is (the 機関コード again, after a
    // full round); Enter sends the form, which asks for the ID next.
    for c in "1312345679".chars() {
        assert_eq!(w.key(Key::Char(c)), Some(UiAction::Type(c)));
    }
    assert_eq!(w.key(Key::Enter), Some(UiAction::Submit));
    let shown = view(w.k.app(), Size::DESIGN, &w.text).texts().concat();
    let missing = myna_kakunin::ui::strings::missing(myna_kakunin::ui::strings::REGISTER_FIELDS[1]);
    assert!(shown.contains(&missing), "the ID is asked for: {shown}");
}
