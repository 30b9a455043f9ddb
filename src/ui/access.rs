//! The accessibility tree of a scene, for screen readers (Narrator through UI Automation,
//! Orca through AT-SPI): the very [`Scene`] that is drawn and hit-tested becomes an AccessKit
//! [`TreeUpdate`], so what a screen reader reads is what the screen shows.
//!
//! - One node per control and text block, under a window node; a list's rows under a list.
//! - Names are the Japanese words on screen: a button's label, a text's words; a text field
//!   and a switch are named by the text beside them (the label left of or above them on
//!   the same row).
//! - Roles follow the widget: buttons, text fields, password fields, switches, list rows,
//!   the header title as a heading, bands and the words under a spinner as live regions.
//! - Never exposed: what was typed into a password field (its node has no value, even while
//!   👁 shows it), the digits of a keypad (its dots read 「2桁入力済み」), and the demo
//!   ribbon's passcode and account (it reads 「デモ　実在しないデータで動作しています」).
//!   Patient data is only in the scene while the result is shown, so it is only in the
//!   tree then.
//!
//! Node ids are derived from what a widget is and does (its action, else its kind and
//! position), so a control keeps its id from frame to frame and a screen reader keeps its
//! place while, say, a live region's words change.

use std::collections::HashSet;

use accesskit::{Action, Live, Node, NodeId, Role, Toggled, TreeId, TreeInfo, TreeUpdate};

use super::{strings as s, theme, ButtonStyle, Group, Icon, Kind, Scene, Tone, Widget};

/// The window's node.
pub const ROOT: NodeId = NodeId(1);

/// The accessibility tree of `scene`, with keyboard focus on widget `focus` (the ring, see
/// `keys::Keyboard::ring`), bounds in device pixels at `scale`. Always a full tree.
pub fn tree(scene: &Scene<'_>, focus: Option<usize>, scale: f32) -> TreeUpdate {
    let ids = ids(scene);
    let mut nodes: Vec<(NodeId, Node)> = Vec::new();
    let mut root_children = Vec::new();
    // The list node being filled, if the previous widget was a list row.
    let mut list: Option<(NodeId, Node)> = None;
    for (i, w) in scene.widgets.iter().enumerate() {
        let Some(node) = node(scene, i, scale) else {
            continue;
        };
        let in_list = w.group == Some(Group::List) && w.action.is_some();
        if !in_list {
            if let Some((id, l)) = list.take() {
                nodes.push((id, l));
            }
            root_children.push(ids[i]);
        } else {
            let (_, l) = list.get_or_insert_with(|| {
                let id = list_id(ids[i]);
                root_children.push(id);
                (id, Node::new(Role::List))
            });
            l.push_child(ids[i]);
        }
        nodes.push((ids[i], node));
    }
    if let Some(l) = list.take() {
        nodes.push(l);
    }
    let mut root = Node::new(Role::Window);
    root.set_label(s::APP_NAME);
    root.set_children(root_children);
    nodes.push((ROOT, root));
    let focus = focus
        .filter(|&i| scene.widgets.get(i).is_some_and(|w| w.action.is_some()))
        .map_or(ROOT, |i| ids[i]);
    let mut info = TreeInfo::new(ROOT);
    info.toolkit_name = Some(env!("CARGO_PKG_NAME").to_owned());
    info.toolkit_version = Some(env!("CARGO_PKG_VERSION").to_owned());
    TreeUpdate {
        nodes,
        tree: Some(info),
        tree_id: TreeId::ROOT,
        focus,
    }
}

/// The widget a screen reader's request for node `id` is about, if it is a control of
/// `scene` (the ids are those [`tree`] gives).
pub fn widget_of(scene: &Scene<'_>, id: NodeId) -> Option<usize> {
    ids(scene)
        .iter()
        .position(|&n| n == id)
        .filter(|&i| scene.widgets[i].action.is_some())
}

/// What a screen reader asked a control to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Press it (as a click would).
    Click(usize),
    /// Move the keyboard focus ring to it.
    Focus(usize),
}

/// A screen reader's action request on `scene` as a request on one of its widgets; `None`
/// for nodes that are no control (or gone) and actions the kiosk does not take.
pub fn request(scene: &Scene<'_>, action: Action, id: NodeId) -> Option<Request> {
    let i = widget_of(scene, id)?;
    match action {
        Action::Click => Some(Request::Click(i)),
        Action::Focus => Some(Request::Focus(i)),
        _ => None,
    }
}

/// The node of widget `i`, or `None` for what a screen reader should not read (panels,
/// rules, drawn icons without an action).
fn node(scene: &Scene<'_>, i: usize, scale: f32) -> Option<Node> {
    let w = &scene.widgets[i];
    let mut node = match &w.kind {
        Kind::Text {
            text, size, color, ..
        } => {
            if *color == theme::DEMO_TEXT {
                // The demo ribbon shows the demo passcode and account: not for the tree.
                words(Role::Label, s::DEMO_RIBBON_SPOKEN)
            } else if *size == theme::size::TITLE {
                let mut n = Node::new(Role::Heading);
                n.set_level(1);
                n.set_label(text.as_str());
                n
            } else if after_spinner(scene, i) {
                let mut n = Node::new(Role::Status);
                n.set_live(Live::Polite);
                n.set_label(text.as_str());
                n
            } else {
                words(Role::Label, text.as_str())
            }
        }
        Kind::Tag { text } => words(Role::Label, text.as_str()),
        Kind::Band { text, tone } => {
            let (role, live) = match tone {
                Tone::Error => (Role::Alert, Live::Assertive),
                _ => (Role::Status, Live::Polite),
            };
            let mut n = Node::new(role);
            n.set_live(live);
            n.set_label(text.as_str());
            n
        }
        Kind::Button { label, style } => {
            let role = if w.group == Some(Group::List) && w.action.is_some() {
                Role::ListItem
            } else {
                Role::Button
            };
            let mut n = Node::new(role);
            n.set_label(label.as_str());
            match style {
                ButtonStyle::Disabled => n.set_disabled(),
                ButtonStyle::Row { selected: true } => n.set_selected(true),
                ButtonStyle::TrayCard { placed } => n.set_toggled(Toggled::from(*placed)),
                ButtonStyle::Icon(Icon::Eye { open }) => n.set_toggled(Toggled::from(*open)),
                _ => {}
            }
            n
        }
        Kind::Field { text, .. } => {
            // A field with 👁 after it holds a password, shown or not: no value ever.
            let protected = text.as_str().chars().any(|c| c == '●') || has_eye(scene, i);
            let mut n = Node::new(if protected {
                Role::PasswordInput
            } else {
                Role::TextInput
            });
            if let Some(label) = label_beside(scene, i) {
                n.set_label(label);
            }
            if !protected {
                n.set_value(text.as_str());
            }
            n
        }
        Kind::Switch { on } => {
            let mut n = Node::new(Role::Switch);
            if let Some(label) = label_beside(scene, i) {
                n.set_label(label);
            }
            n.set_toggled(Toggled::from(*on));
            n
        }
        Kind::Dots { filled, .. } => {
            // Announced as digits are typed; how many, never which.
            let mut n = Node::new(Role::Status);
            n.set_live(Live::Polite);
            n.set_label(s::digits_entered(*filled));
            n
        }
        Kind::Spinner => {
            let mut n = Node::new(Role::ProgressIndicator);
            n.set_busy();
            n
        }
        Kind::Panel { .. } | Kind::Rule { .. } | Kind::Icon(_) if w.action.is_none() => {
            return None;
        }
        Kind::Panel { .. } | Kind::Rule { .. } | Kind::Icon(_) => Node::new(Role::Button),
    };
    if w.action.is_some()
        && !matches!(
            w.kind,
            Kind::Button {
                style: ButtonStyle::Disabled,
                ..
            }
        )
    {
        node.add_action(Action::Focus);
        node.add_action(Action::Click);
    }
    let r = w.rect;
    let px = |v: i32| f64::from(v) * f64::from(scale);
    node.set_bounds(accesskit::Rect::new(
        px(r.x),
        px(r.y),
        px(r.right()),
        px(r.bottom()),
    ));
    Some(node)
}

/// A node of `role` that reads `text`: a label's words are its value (AccessKit reads a
/// label's name from there), any other node's its name.
fn words(role: Role, text: &str) -> Node {
    let mut n = Node::new(role);
    if role == Role::Label {
        n.set_value(text);
    } else {
        n.set_label(text);
    }
    n
}

/// Whether widget `i` is the words under a spinner (カードを読み取っています…).
fn after_spinner(scene: &Scene<'_>, i: usize) -> bool {
    i > 0 && matches!(scene.widgets[i - 1].kind, Kind::Spinner)
}

/// Whether the field at `i` has a 👁 (show what was typed) right after it.
fn has_eye(scene: &Scene<'_>, i: usize) -> bool {
    matches!(
        scene.widgets.get(i + 1).map(|w| &w.kind),
        Some(Kind::Button {
            style: ButtonStyle::Icon(Icon::Eye { .. }),
            ..
        })
    )
}

/// The words naming the control at `i`: the topmost text before it in paint order that
/// shares its row and lies to its left (a field's label, a switch's title).
fn label_beside<'s>(scene: &'s Scene<'_>, i: usize) -> Option<&'s str> {
    let r = scene.widgets[i].rect;
    scene.widgets[..i]
        .iter()
        .filter_map(|w| match &w.kind {
            Kind::Text { text, .. } => Some((w.rect, text.as_str())),
            _ => None,
        })
        .filter(|(t, _)| t.y < r.bottom() && r.y < t.bottom() && t.x < r.x)
        .min_by_key(|(t, _)| t.y)
        .map(|(_, words)| words)
}

/// The stable id of every widget of `scene` (one per widget, whether it has a node or not).
fn ids(scene: &Scene<'_>) -> Vec<NodeId> {
    let mut seen = HashSet::new();
    scene
        .widgets
        .iter()
        .map(|w| {
            let mut h = Fnv::new();
            identity(w, &mut h);
            // Two widgets alike (the same action twice): the later one steps on.
            let mut id = h.finish();
            while id <= ROOT.0 || !seen.insert(id) {
                h.write(b"+");
                id = h.finish();
            }
            NodeId(id)
        })
        .collect()
}

/// The id of the list that starts with the row `first`.
fn list_id(first: NodeId) -> NodeId {
    let mut h = Fnv::new();
    h.write(b"list");
    h.write(&first.0.to_le_bytes());
    NodeId(h.finish().max(ROOT.0 + 1))
}

/// What makes a widget the same widget next frame: its action if it has one (the control
/// does the same thing), else its kind and where it is.
fn identity(w: &Widget<'_>, h: &mut Fnv) {
    if let Some(a) = w.action {
        h.write(b"action:");
        h.write(format!("{a:?}").as_bytes());
        return;
    }
    let kind: &[u8] = match w.kind {
        Kind::Text { .. } => b"text",
        Kind::Button { .. } => b"button",
        Kind::Panel { .. } => b"panel",
        Kind::Band { .. } => b"band",
        Kind::Dots { .. } => b"dots",
        Kind::Rule { .. } => b"rule",
        Kind::Spinner => b"spinner",
        Kind::Switch { .. } => b"switch",
        Kind::Icon(_) => b"icon",
        Kind::Tag { .. } => b"tag",
        Kind::Field { .. } => b"field",
    };
    h.write(kind);
    h.write(&w.rect.x.to_le_bytes());
    h.write(&w.rect.y.to_le_bytes());
}

/// FNV-1a, 64 bits: the same on every run and platform (std's hasher is seeded).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::UiAction;
    use crate::ui::{Label, Rect};

    fn button(scene: &mut Scene<'static>, x: i32, label: &'static str, a: Option<UiAction>) {
        let style = if a.is_some() {
            ButtonStyle::Secondary
        } else {
            ButtonStyle::Disabled
        };
        scene.push(
            Rect::new(x, 0, 50, 50),
            Kind::Button {
                label: Label::Static(label),
                style,
            },
            a,
        );
    }

    #[test]
    fn ids_stay_when_words_change_and_focus_is_the_ring() {
        let mut a = Scene::default();
        button(&mut a, 0, "戻る", Some(UiAction::Back));
        a.push(
            Rect::new(0, 100, 300, 40),
            Kind::Band {
                text: Label::Static("一"),
                tone: Tone::Error,
            },
            None,
        );
        let mut b = Scene::default();
        button(&mut b, 0, "戻る", Some(UiAction::Back));
        b.push(
            Rect::new(0, 100, 300, 40),
            Kind::Band {
                text: Label::Static("二"),
                tone: Tone::Error,
            },
            None,
        );
        let (ta, tb) = (tree(&a, Some(0), 1.0), tree(&b, None, 1.0));
        let ids = |t: &TreeUpdate| t.nodes.iter().map(|(id, _)| *id).collect::<Vec<_>>();
        assert_eq!(ids(&ta), ids(&tb), "same widgets, same ids");
        assert_eq!(ta.focus, ids(&ta)[0], "focus on the button");
        assert_eq!(tb.focus, ROOT, "no ring: the window");
        let band = &ta.nodes[1].1;
        assert_eq!(band.role(), Role::Alert);
        assert_eq!(band.live(), Some(Live::Assertive));
        assert_eq!(
            request(&a, Action::Click, ids(&ta)[0]),
            Some(Request::Click(0))
        );
        assert_eq!(
            request(&a, Action::Focus, ids(&ta)[1]),
            None,
            "a band is no control"
        );
    }

    #[test]
    fn disabled_buttons_take_no_action_and_dots_never_tell_digits() {
        let mut s = Scene::default();
        button(&mut s, 0, "次へ", None);
        s.push(
            Rect::new(0, 60, 200, 40),
            Kind::Dots {
                filled: 2,
                total: 4,
            },
            None,
        );
        let t = tree(&s, None, 1.0);
        let next = &t.nodes[0].1;
        assert!(next.is_disabled());
        assert!(!next.supports_action(Action::Click));
        let dots = &t.nodes[1].1;
        assert_eq!(dots.label(), Some("2桁入力済み"));
        assert_eq!(dots.role(), Role::Status);
    }

    #[test]
    fn a_field_with_the_eye_is_a_password_even_while_shown() {
        let mut s = Scene::default();
        s.push(
            Rect::new(0, 0, 100, 40),
            Kind::Text {
                text: Label::Static("パスワード"),
                size: theme::size::LABEL,
                color: theme::TEXT,
                align: crate::ui::Align::Start,
            },
            None,
        );
        s.push(
            Rect::new(120, 0, 300, 56),
            Kind::Field {
                text: Label::Static("Secret#1"),
                caret: Some(3),
            },
            Some(UiAction::FocusField(0)),
        );
        s.push(
            Rect::new(430, 0, 56, 56),
            Kind::Button {
                label: Label::Static(s::keyboard::REVEAL),
                style: ButtonStyle::Icon(Icon::Eye { open: true }),
            },
            Some(UiAction::ToggleReveal(0)),
        );
        let t = tree(&s, Some(1), 2.0);
        let (_, field) = &t.nodes[1];
        assert_eq!(field.role(), Role::PasswordInput);
        assert_eq!(field.label(), Some("パスワード"));
        assert_eq!(field.value(), None);
        assert_eq!(
            field.bounds(),
            Some(accesskit::Rect::new(240.0, 0.0, 840.0, 112.0))
        );
        assert_eq!(t.nodes[2].1.toggled(), Some(Toggled::True));
    }
}

/// Every screen of the demo tour as a screen reader gets it.
#[cfg(all(test, feature = "demo"))]
mod tour {
    use std::collections::HashMap;

    use super::*;
    use crate::card::virtual_card::demo_cards;
    use crate::center::reference::DEMO_PASSWORD;
    use crate::shell::demo;
    use crate::shell::headless::{demo_tour, SCREENSHOT_TIME};
    use crate::ui::keys::{Key, Keyboard};
    use crate::ui::screens::{view, Size};
    use crate::ui::text::Text;

    /// Words a node says: its name and its value.
    fn words(n: &Node) -> String {
        format!("{} {}", n.label().unwrap_or(""), n.value().unwrap_or(""))
    }

    /// Whether `text` holds `digits` as a number of its own (not inside a longer one, as
    /// 1234 is inside the institution code 1312345679).
    fn says_number(text: &str, digits: &str) -> bool {
        text.split(|c: char| !c.is_ascii_digit())
            .any(|run| run == digits)
    }

    #[test]
    fn every_screen_of_the_tour_reads_well_and_keeps_secrets() {
        let mut text = Text::load().expect("embedded font parses");
        // What the tour types and no node may say.
        let passwords = [
            DEMO_PASSWORD,
            "Newer#Pass2026",
            "Newer#Pass2027",
            "Wrong#Pass2025",
            "Ab1!",
        ];
        let mut numbers: Vec<&str> = vec![demo::PASSCODE, "2468", "2469", "5555"];
        numbers.extend(demo_cards().iter().map(|c| c.pin).filter(|p| !p.is_empty()));
        // Each screen's name, whether it is a result, whether it shows patient values, and
        // the words of every node: checked for patient data once all are seen.
        let mut screens: Vec<(String, bool, bool, Vec<String>)> = Vec::new();
        let mut patient: Vec<String> = Vec::new();
        let mut controls = 0;
        demo_tour(SCREENSHOT_TIME, &mut text, |app, name, text| {
            let scene = view(app, Size::DESIGN, text);
            let state = app.state().name();
            let t = tree(&scene, None, 1.0);
            let by_id: HashMap<NodeId, &Node> = t.nodes.iter().map(|(id, n)| (*id, n)).collect();
            let all_ids = ids(&scene);
            // Every control has a node with a name and a role that acts.
            for i in scene.focusable() {
                let node = by_id
                    .get(&all_ids[i])
                    .unwrap_or_else(|| panic!("{name}: control {i} has no node"));
                let label = node.label().unwrap_or_default();
                assert!(!label.trim().is_empty(), "{name}: control {i} has no name");
                assert_ne!(node.role(), Role::Unknown, "{name}: control {i}");
                assert!(node.supports_action(Action::Click), "{name}: control {i}");
                assert!(node.supports_action(Action::Focus), "{name}: control {i}");
                controls += 1;
            }
            // Every node is reachable from the root, and names come from the screen.
            let root = by_id[&ROOT];
            let mut reached = 1;
            let mut stack: Vec<NodeId> = root.children().to_vec();
            while let Some(id) = stack.pop() {
                reached += 1;
                stack.extend_from_slice(by_id[&id].children());
            }
            assert_eq!(reached, t.nodes.len(), "{name}: every node in the tree");
            // A result's values are the center's data, not typed (the demo's 記号 is 1234).
            let center_data: Vec<NodeId> = scene
                .widgets
                .iter()
                .zip(&all_ids)
                .filter(|(w, _)| {
                    state == "ShowResult"
                        && matches!(w.kind, Kind::Text { size, .. } if size == theme::size::VALUE)
                })
                .map(|(_, id)| *id)
                .collect();
            let mut said = Vec::new();
            for (id, n) in &t.nodes {
                let w = words(n);
                for p in passwords {
                    assert!(!w.contains(p), "{name}: a node says a password");
                }
                if !center_data.contains(id) {
                    for d in &numbers {
                        assert!(!says_number(&w, d), "{name}: a node says a passcode or PIN");
                    }
                }
                assert!(!w.contains('●'), "{name}: masked text is read out");
                if n.role() == Role::PasswordInput {
                    assert_eq!(n.value(), None, "{name}: a password field has a value");
                }
                said.push(w);
            }
            // Focus follows the ring through every Tab stop.
            let mut keyboard = Keyboard::default();
            let _ = keyboard.press(Key::Tab { back: false }, state, &scene);
            let stops = scene.focusable().count().min(40);
            for _ in 0..stops {
                let ring = keyboard.ring(state, &scene);
                let t = tree(&scene, ring, 1.0);
                match ring {
                    Some(i) => assert_eq!(t.focus, all_ids[i], "{name}: focus is the ring"),
                    None => assert_eq!(t.focus, ROOT, "{name}: no ring, the window"),
                }
                let _ = keyboard.press(Key::Tab { back: false }, state, &scene);
            }
            // A screen reader's Focus lands the ring where it asked.
            if let Some(last) = scene.focusable().last() {
                let mut keyboard = Keyboard::default();
                let _ = keyboard.focus_widget(state, &scene, last);
                let ring = keyboard.ring(state, &scene);
                let placed = ring.is_some_and(|i| i == last)
                    || matches!(scene.widgets[last].kind, Kind::Field { .. });
                assert!(
                    placed,
                    "{name}: Focus from the screen reader moves the ring"
                );
            }
            // Patient values on a result: the words beside フリガナ and 生年月日.
            let mut shows_patient = false;
            if state == "ShowResult" {
                for pair in scene.widgets.windows(2) {
                    if let (Kind::Text { text: l, .. }, Kind::Text { text: v, .. }) =
                        (&pair[0].kind, &pair[1].kind)
                    {
                        if [s::field::KANA, s::field::BIRTHDATE].contains(&l.as_str()) {
                            patient.push(v.as_str().to_owned());
                            shows_patient = true;
                        }
                    }
                }
            }
            screens.push((name.to_owned(), state == "ShowResult", shows_patient, said));
            Ok(())
        })
        .expect("the tour runs");
        assert!(
            screens.len() > 50,
            "the tour covers the app ({})",
            screens.len()
        );
        assert!(controls > 500, "controls checked: {controls}");
        assert!(!patient.is_empty(), "the tour shows results");
        for (name, result, shows_patient, said) in &screens {
            let heard = patient
                .iter()
                .any(|p| said.iter().any(|w| w.contains(p.as_str())));
            if *shows_patient {
                assert!(heard, "{name}: the result is read out");
            } else if !*result {
                assert!(!heard, "{name}: patient data outside the result");
            }
        }
    }
}
