//! Pixels in memory. Knows nothing of winit: a screen is a function from the app's state to
//! a [`Scene`] (widgets with rectangles and the action each triggers); the same scene is
//! rendered and hit-tested, so drawing and input never drift apart.

pub mod access;
pub mod canvas;
pub mod keys;
pub mod render;
pub mod screens;
pub mod strings;
pub mod text;
pub mod theme;

use crate::app::UiAction;
use crate::sensitive::SensitiveText;

/// A rectangle in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub w: i32,
    /// Height.
    pub h: i32,
}

impl Rect {
    /// A rectangle from its top-left corner and size.
    pub const fn new(x: i32, y: i32, w: i32, h: i32) -> Self {
        Self { x, y, w, h }
    }

    /// One past the right edge.
    pub const fn right(&self) -> i32 {
        self.x + self.w
    }

    /// One past the bottom edge.
    pub const fn bottom(&self) -> i32 {
        self.y + self.h
    }

    /// Whether (px, py) lies inside.
    pub const fn contains(&self, px: i32, py: i32) -> bool {
        px >= self.x && py >= self.y && px < self.right() && py < self.bottom()
    }

    /// Shrinks by `d` on every side (grows for negative `d`).
    pub const fn inset(&self, d: i32) -> Self {
        Self::new(self.x + d, self.y + d, self.w - 2 * d, self.h - 2 * d)
    }

    /// Whether the two rectangles share any pixel.
    pub const fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.right() && o.x < self.right() && self.y < o.bottom() && o.y < self.bottom()
    }

    /// The centre point.
    pub const fn center(&self) -> (i32, i32) {
        (self.x + self.w / 2, self.y + self.h / 2)
    }
}

/// Text on screen: fixed UI wording, or patient data that is wiped when the scene drops.
#[derive(Debug)]
pub enum Label<'a> {
    /// Wording from `strings`.
    Static(&'static str),
    /// Text borrowed from the app's state (patient data stays where it lives).
    Borrowed(&'a str),
    /// Text formatted for display (a date, a ratio); wiped on drop.
    Owned(SensitiveText),
}

impl Label<'_> {
    /// The text to draw.
    pub fn as_str(&self) -> &str {
        match self {
            Label::Static(s) => s,
            Label::Borrowed(s) => s,
            Label::Owned(s) => s.expose(),
        }
    }
}

/// How a button looks, by its role on the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonStyle {
    /// The one primary action (filled blue).
    Primary,
    /// Secondary actions (outlined).
    Secondary,
    /// A keypad key (large, outlined, square).
    Key,
    /// A key of the on-screen keyboard (outlined; its letters sit clear of the border).
    TypeKey,
    /// The header's ← (text only).
    Back,
    /// A destructive action (登録解除, ログアウト): red outline.
    Danger,
    /// A primary action that cannot be taken yet (drawn grey; it has no action).
    Disabled,
    /// A row of a list (menu entries, readers): full width, label left, ＞ right.
    Row {
        /// Whether this row is the one in use (e.g. the chosen reader).
        selected: bool,
    },
    /// A large key on the patient's PIN pad.
    PinKey,
    /// A drawn icon as a button (⚙); the label names it for the scene's texts.
    Icon(Icon),
    /// A card on the demo tray; `placed` when it is on the virtual reader.
    TrayCard {
        /// Whether this card is on the reader.
        placed: bool,
    },
}

/// Tone of a status band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Information (blue).
    Info,
    /// Warning (yellow).
    Warning,
    /// Error (red).
    Error,
    /// Success (green).
    Success,
}

/// Horizontal alignment of text in its rectangle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Left.
    Start,
    /// Centred.
    Center,
    /// Right.
    End,
}

/// What a widget is.
#[derive(Debug)]
pub enum Kind<'a> {
    /// Text that wraps within its rectangle.
    Text {
        /// The text.
        text: Label<'a>,
        /// Size in logical pixels.
        size: u16,
        /// Colour.
        color: canvas::Rgb,
        /// Alignment.
        align: Align,
    },
    /// A button; it is focusable and triggers the widget's action.
    Button {
        /// The label.
        label: Label<'a>,
        /// Its look.
        style: ButtonStyle,
    },
    /// A filled panel behind other widgets.
    Panel {
        /// Fill colour.
        fill: canvas::Rgb,
        /// Border colour, if any.
        border: Option<canvas::Rgb>,
    },
    /// A status band with an icon mark and words (never colour alone).
    Band {
        /// The message.
        text: Label<'a>,
        /// Its tone.
        tone: Tone,
    },
    /// Dots for digits typed on a keypad: `filled` of `total`.
    Dots {
        /// Digits typed.
        filled: u8,
        /// Digits needed.
        total: u8,
    },
    /// A horizontal rule.
    Rule {
        /// Colour.
        color: canvas::Rgb,
    },
    /// An animated progress indicator.
    Spinner,
    /// An on/off switch (its label is a separate text widget).
    Switch {
        /// Whether it is on.
        on: bool,
    },
    /// A drawn icon (the face has no ⚙ or 🔗).
    Icon(Icon),
    /// A small label on a filled box (the 必須 mark).
    Tag {
        /// The word.
        text: Label<'a>,
    },
    /// A text field: its text (already masked when it must be), the caret's position in
    /// characters when it has focus.
    Field {
        /// What the field shows.
        text: Label<'a>,
        /// The caret, when typing goes here.
        caret: Option<usize>,
    },
}

/// Icons drawn as shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    /// ⚙ (menu).
    Gear,
    /// 👁 (show what was typed); crossed out while it is shown.
    Eye {
        /// Whether the field is showing its characters.
        open: bool,
    },
    /// 🔗 (opens a web page).
    Link,
}

/// Controls that make one Tab stop: Tab enters the group at its first control and leaves it
/// with the next, the arrows move within it (a keypad, the on-screen keyboard, a list, the
/// demo tray). Keeps the Tab order short: a form is its fields, 👁, its button, the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// A passcode or PIN keypad.
    Keypad,
    /// The forms' on-screen keyboard.
    Keyboard,
    /// Rows of a list (menu, readers, お知らせ).
    List,
    /// The demo tray's cards and arrows.
    Tray,
}

/// One thing on screen.
#[derive(Debug)]
pub struct Widget<'a> {
    /// Where it is, in logical pixels.
    pub rect: Rect,
    /// What it is.
    pub kind: Kind<'a>,
    /// What activating it does; `Some` makes it focusable.
    pub action: Option<UiAction>,
    /// The group of controls it belongs to, if any (one Tab stop, arrows within).
    pub group: Option<Group>,
}

/// A screen, ready to draw and to hit-test.
#[derive(Debug, Default)]
pub struct Scene<'a> {
    /// Widgets in paint order, which is also the focus order.
    pub widgets: Vec<Widget<'a>>,
}

impl<'a> Scene<'a> {
    /// Adds a widget and returns `self` for chaining.
    pub fn push(&mut self, rect: Rect, kind: Kind<'a>, action: Option<UiAction>) {
        self.widgets.push(Widget {
            rect,
            kind,
            action,
            group: None,
        });
    }

    /// Adds a control that belongs to `group` (contiguous with the group's other controls).
    pub fn push_in(&mut self, group: Group, rect: Rect, kind: Kind<'a>, action: Option<UiAction>) {
        self.widgets.push(Widget {
            rect,
            kind,
            action,
            group: Some(group),
        });
    }

    /// The action under the point (x, y), topmost first.
    pub fn hit(&self, x: i32, y: i32) -> Option<UiAction> {
        self.widgets
            .iter()
            .rev()
            .find(|w| w.action.is_some() && w.rect.contains(x, y))
            .and_then(|w| w.action)
    }

    /// Indices of focusable widgets, in focus order.
    pub fn focusable(&self) -> impl Iterator<Item = usize> + '_ {
        self.widgets
            .iter()
            .enumerate()
            .filter(|(_, w)| w.action.is_some())
            .map(|(i, _)| i)
    }

    /// The rectangle of the first widget that triggers `action`.
    pub fn rect_of(&self, action: UiAction) -> Option<Rect> {
        self.widgets
            .iter()
            .find(|w| w.action == Some(action))
            .map(|w| w.rect)
    }

    /// Whether anything on screen moves (the shell then keeps redrawing).
    pub fn is_animated(&self) -> bool {
        self.widgets.iter().any(|w| matches!(w.kind, Kind::Spinner))
    }

    /// Every text drawn, in order; lets tests check content without pixels.
    pub fn texts(&self) -> Vec<&str> {
        self.widgets
            .iter()
            .filter_map(|w| match &w.kind {
                Kind::Text { text, .. } | Kind::Band { text, .. } | Kind::Tag { text } => {
                    Some(text.as_str())
                }
                Kind::Button { label, .. } => Some(label.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// A direction for the arrow keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// ↑.
    Up,
    /// ↓.
    Down,
    /// ←.
    Left,
    /// →.
    Right,
}

/// Keyboard focus over a scene's focusable widgets (Tab, arrows, Enter).
///
/// Focus and the caret are one thing: a form's field that has the caret has the focus ring
/// unless Tab or the arrows placed it on another control, and placing the ring on a field
/// moves the caret there (`keys::press` says so with `FocusField`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Focus {
    /// Position in the focus order where Tab or the arrows placed the ring, if they did.
    pub position: Option<usize>,
}

fn is_field(w: &Widget<'_>) -> bool {
    matches!(w.kind, Kind::Field { .. })
}

impl Focus {
    /// The widget index that has focus in `scene`: where the ring was placed, or else the
    /// text field with the caret. A ring placed on a field follows the caret to another field
    /// (a tap moved it).
    pub fn widget(&self, scene: &Scene<'_>) -> Option<usize> {
        let caret = scene
            .widgets
            .iter()
            .position(|w| matches!(w.kind, Kind::Field { caret: Some(_), .. }));
        let placed = self.position.and_then(|p| scene.focusable().nth(p));
        match placed {
            Some(i) if is_field(&scene.widgets[i]) => caret.or(Some(i)),
            Some(i) => Some(i),
            None => caret,
        }
    }

    /// Where Tab or the arrows placed the ring (before a field it moved to has the caret).
    pub fn placed(&self, scene: &Scene<'_>) -> Option<usize> {
        self.position.and_then(|p| scene.focusable().nth(p))
    }

    /// The action of the focused widget (Enter).
    pub fn action(&self, scene: &Scene<'_>) -> Option<UiAction> {
        self.widget(scene).and_then(|i| scene.widgets[i].action)
    }

    /// Places the ring on widget `index` (ignored unless it is focusable).
    pub fn place(&mut self, scene: &Scene<'_>, index: usize) {
        if let Some(p) = scene.focusable().position(|i| i == index) {
            self.position = Some(p);
        }
    }

    /// The next Tab stop (wrapping), or the first one: the next control outside the
    /// ring's group; a group is entered at its first control.
    pub fn next(&mut self, scene: &Scene<'_>) {
        self.step(scene, true);
    }

    /// The previous Tab stop (wrapping), or the last one; a group is entered at its first
    /// control here too.
    pub fn prev(&mut self, scene: &Scene<'_>) {
        self.step(scene, false);
    }

    fn step(&mut self, scene: &Scene<'_>, forward: bool) {
        let order: Vec<usize> = scene.focusable().collect();
        let n = order.len();
        if n == 0 {
            self.position = None;
            return;
        }
        let here = self
            .widget(scene)
            .and_then(|w| order.iter().position(|&i| i == w));
        let group = here.and_then(|p| scene.widgets[order[p]].group);
        // The k-th position after (or before) the ring, from the first (or last) without one.
        let at = |k: usize| match (here, forward) {
            (Some(p), true) => (p + 1 + k) % n,
            (None, true) => k,
            (Some(p), false) => (p + n - 1 - k) % n,
            (None, false) => n - 1 - k,
        };
        let leaves = |p: usize| group.is_none() || scene.widgets[order[p]].group != group;
        let Some(mut to) = (0..n).map(at).find(|&p| leaves(p)) else {
            self.position = Some(here.unwrap_or(0));
            return;
        };
        // The first control of the group landed in (going forward, it already is).
        let landed = scene.widgets[order[to]].group;
        while landed.is_some() && to > 0 && scene.widgets[order[to - 1]].group == landed {
            to -= 1;
        }
        self.position = Some(to);
    }

    /// Moves the ring within its group to the nearest control toward `dir`; false when the
    /// ring is in no group or nothing lies that way.
    pub fn within(&mut self, scene: &Scene<'_>, dir: Direction) -> bool {
        let Some(here) = self.widget(scene) else {
            return false;
        };
        let Some(group) = scene.widgets[here].group else {
            return false;
        };
        let from = scene.widgets[here].rect;
        let (cx, cy) = from.center();
        let candidates = scene.focusable().filter(|&i| {
            let w = &scene.widgets[i];
            let (x, y) = w.rect.center();
            let same_row = (y - cy).abs() * 2 < from.h.max(w.rect.h);
            w.group == Some(group)
                && i != here
                && match dir {
                    Direction::Left => same_row && x < cx,
                    Direction::Right => same_row && x > cx,
                    Direction::Up => y < cy && !same_row,
                    Direction::Down => y > cy && !same_row,
                }
        });
        // The nearest: along the way first, then across it.
        let best = candidates.min_by_key(|&i| {
            let (x, y) = scene.widgets[i].rect.center();
            match dir {
                Direction::Left | Direction::Right => ((x - cx).abs(), 0),
                Direction::Up | Direction::Down => ((y - cy).abs(), (x - cx).abs()),
            }
        });
        match best {
            Some(i) => {
                self.place(scene, i);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene() -> Scene<'static> {
        let mut s = Scene::default();
        s.push(
            Rect::new(0, 0, 100, 100),
            Kind::Panel {
                fill: 0,
                border: None,
            },
            None,
        );
        s.push(
            Rect::new(10, 10, 20, 20),
            Kind::Button {
                label: Label::Static("a"),
                style: ButtonStyle::Secondary,
            },
            Some(UiAction::Back),
        );
        s.push(
            Rect::new(50, 10, 20, 20),
            Kind::Button {
                label: Label::Static("b"),
                style: ButtonStyle::Primary,
            },
            Some(UiAction::Next),
        );
        s
    }

    #[test]
    fn hit_finds_the_button_under_the_point() {
        let s = scene();
        assert_eq!(s.hit(15, 15), Some(UiAction::Back));
        assert_eq!(s.hit(55, 29), Some(UiAction::Next));
        assert_eq!(s.hit(40, 15), None, "the panel has no action");
        assert_eq!(s.hit(70, 10), None, "right edge is exclusive");
    }

    #[test]
    fn focus_cycles_through_actions_both_ways() {
        let s = scene();
        let mut f = Focus::default();
        f.next(&s);
        assert_eq!(f.action(&s), Some(UiAction::Back));
        f.next(&s);
        assert_eq!(f.action(&s), Some(UiAction::Next));
        f.next(&s);
        assert_eq!(f.action(&s), Some(UiAction::Back), "wraps");
        f.prev(&s);
        assert_eq!(f.action(&s), Some(UiAction::Next), "wraps backwards");
    }

    #[test]
    fn rect_helpers() {
        let r = Rect::new(10, 20, 30, 40);
        assert_eq!((r.right(), r.bottom()), (40, 60));
        assert_eq!(r.inset(5), Rect::new(15, 25, 20, 30));
        assert!(r.overlaps(&Rect::new(39, 59, 5, 5)));
        assert!(!r.overlaps(&Rect::new(40, 20, 5, 5)));
        assert_eq!(r.center(), (25, 40));
    }
}
