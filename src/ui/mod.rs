//! Pixels in memory. Knows nothing of winit: a screen is a function from the app's state to
//! a [`Scene`] (widgets with rectangles and the action each triggers); the same scene is
//! rendered and hit-tested, so drawing and input never drift apart.

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

/// One thing on screen.
#[derive(Debug)]
pub struct Widget<'a> {
    /// Where it is, in logical pixels.
    pub rect: Rect,
    /// What it is.
    pub kind: Kind<'a>,
    /// What activating it does; `Some` makes it focusable.
    pub action: Option<UiAction>,
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
        self.widgets.push(Widget { rect, kind, action });
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

/// Keyboard focus over a scene's focusable widgets (Tab, arrows, Enter).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Focus {
    /// Position in the focus order, if something has focus.
    pub position: Option<usize>,
}

impl Focus {
    /// Moves to the next focusable widget (wrapping), or the first one.
    pub fn next(&mut self, scene: &Scene<'_>) {
        let n = scene.focusable().count();
        if n == 0 {
            self.position = None;
            return;
        }
        self.position = Some(self.position.map_or(0, |p| (p + 1) % n));
    }

    /// Moves to the previous focusable widget (wrapping), or the last one.
    pub fn prev(&mut self, scene: &Scene<'_>) {
        let n = scene.focusable().count();
        if n == 0 {
            self.position = None;
            return;
        }
        self.position = Some(self.position.map_or(n - 1, |p| (p + n - 1) % n));
    }

    /// The widget index that has focus in `scene`.
    pub fn widget(&self, scene: &Scene<'_>) -> Option<usize> {
        self.position.and_then(|p| scene.focusable().nth(p))
    }

    /// The action of the focused widget (Enter).
    pub fn action(&self, scene: &Scene<'_>) -> Option<UiAction> {
        self.widget(scene).and_then(|i| scene.widgets[i].action)
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
