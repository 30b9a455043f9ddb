//! Draws a [`Scene`] into a [`Canvas`]. Layout is in logical pixels; `scale` maps them to
//! device pixels, so one scene serves every DPI.

use super::canvas::{Canvas, Rgb};
use super::screens::line_height;
use super::strings as s;
use super::text::Text;
use super::theme::{self, size};
use super::{Align, ButtonStyle, Icon, Kind, Rect, Scene, Tone, Widget};

/// How to draw one frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// Device pixels per logical pixel.
    pub scale: f32,
    /// Index of the widget that has keyboard focus.
    pub focus: Option<usize>,
    /// Milliseconds since start, for animations (0 in screenshots and tests).
    pub anim_ms: u64,
}

impl Default for Frame {
    fn default() -> Self {
        Self {
            scale: 1.0,
            focus: None,
            anim_ms: 0,
        }
    }
}

/// Draws `scene` into `canvas`.
pub fn render(scene: &Scene<'_>, canvas: &mut Canvas<'_>, text: &mut Text, frame: Frame) {
    let mut p = Painter {
        canvas,
        text,
        scale: frame.scale,
    };
    // A screen starts with the page: a borderless panel over the whole canvas (so without
    // rounded corners). Clearing with its colour draws the very same pixels, so the canvas
    // is filled once rather than twice (a full fill is a good part of a frame).
    let page = match scene.widgets.first() {
        Some(Widget {
            rect,
            kind: Kind::Panel { fill, border: None },
            ..
        }) if p.covers_canvas(*rect) => Some(*fill),
        _ => None,
    };
    p.canvas.clear(page.unwrap_or(theme::PAGE));
    let skip = usize::from(page.is_some());
    for w in scene.widgets.iter().skip(skip) {
        p.widget(w, frame.anim_ms);
    }
    if let Some(w) = frame.focus.and_then(|i| scene.widgets.get(i)) {
        p.focus_ring(w.rect, corner_radius(w));
    }
}

struct Painter<'c, 'b, 't> {
    canvas: &'c mut Canvas<'b>,
    text: &'t mut Text,
    scale: f32,
}

impl Painter<'_, '_, '_> {
    fn px(&self, v: i32) -> i32 {
        (v as f32 * self.scale).round() as i32
    }

    fn rect(&self, r: Rect) -> Rect {
        let x = self.px(r.x);
        let y = self.px(r.y);
        Rect::new(x, y, self.px(r.right()) - x, self.px(r.bottom()) - y)
    }

    /// Whether `r` (logical) covers the whole canvas.
    fn covers_canvas(&self, r: Rect) -> bool {
        let dr = self.rect(r);
        dr.x <= 0
            && dr.y <= 0
            && dr.right() >= self.canvas.width()
            && dr.bottom() >= self.canvas.height()
    }

    fn font(&self, size: u16) -> u16 {
        (f32::from(size) * self.scale)
            .round()
            .clamp(1.0, f32::from(u16::MAX)) as u16
    }

    fn widget(&mut self, w: &Widget<'_>, anim_ms: u64) {
        let r = w.rect;
        match &w.kind {
            Kind::Panel { fill, border } => {
                let radius = if r.x <= 0 || r.w >= self.canvas.width() {
                    0
                } else {
                    theme::RADIUS
                };
                let dr = self.rect(r);
                match border {
                    Some(b) => self.canvas.outline_round_rect(
                        dr,
                        self.px(radius),
                        self.px(2).max(1),
                        *b,
                        *fill,
                    ),
                    None => self.canvas.fill_round_rect(dr, self.px(radius), *fill),
                }
            }
            Kind::Text {
                text,
                size,
                color,
                align,
            } => {
                self.paragraph(r, text.as_str(), *size, *color, *align);
            }
            Kind::Button { label, style } => self.button(r, label.as_str(), *style),
            Kind::Band { text, tone } => self.band(r, text.as_str(), *tone),
            Kind::Dots { filled, total } => self.dots(r, *filled, *total),
            Kind::Rule { color } => {
                let dr = self.rect(r);
                self.canvas.fill_rect(dr, *color);
            }
            Kind::Spinner => self.spinner(r, anim_ms),
            Kind::Switch { on } => self.switch(r, *on),
            Kind::Icon(icon) => self.icon(r, *icon),
            Kind::Field { text, caret } => self.field(r, text.as_str(), *caret),
            Kind::Tag { text } => {
                let dr = self.rect(r);
                self.canvas.fill_round_rect(dr, self.px(4), theme::ERROR);
                self.paragraph(
                    r,
                    text.as_str(),
                    size::SMALL - 4,
                    theme::ON_DARK,
                    Align::Center,
                );
            }
        }
    }

    /// Wrapped text inside `r` (logical), lines at Japanese pitch.
    fn paragraph(&mut self, r: Rect, body: &str, size: u16, color: Rgb, align: Align) {
        let dr = self.rect(r);
        let px = self.font(size);
        let pitch = self.px(line_height(size));
        // Centre the lines vertically in a box taller than they are.
        let lines = self.text.wrap(body, px, dr.w.max(1));
        let n = lines.len() as i32;
        let block = pitch * (n - 1) + px as i32;
        let mut y = if dr.h > block {
            dr.y + (dr.h - block) / 2
        } else {
            dr.y
        };
        for line in lines {
            let w = self.text.width(line, px);
            let x = match align {
                Align::Start => dr.x,
                Align::Center => dr.x + (dr.w - w) / 2,
                Align::End => dr.right() - w,
            };
            self.text.draw(self.canvas, x, y, line, px, color);
            y += pitch;
        }
    }

    fn button(&mut self, r: Rect, label: &str, style: ButtonStyle) {
        let dr = self.rect(r);
        let radius = self.px(theme::RADIUS);
        let fg = match style {
            ButtonStyle::Primary => {
                self.canvas.fill_round_rect(dr, radius, theme::PRIMARY);
                theme::ON_DARK
            }
            ButtonStyle::Secondary => {
                self.canvas
                    .outline_round_rect(dr, radius, self.px(2), theme::PRIMARY, theme::PAGE);
                theme::PRIMARY
            }
            ButtonStyle::Key => {
                self.canvas
                    .outline_round_rect(dr, radius, self.px(2), theme::BORDER, theme::PAGE);
                theme::TEXT
            }
            ButtonStyle::TypeKey => {
                self.canvas
                    .outline_round_rect(dr, radius, self.px(2), theme::BORDER, theme::PAGE);
                // Marks that are small by nature are drawn twice as large, their ink
                // centred on the key, so each reads at a glance.
                if let Some(mark) = label.chars().next().filter(|c| SMALL_MARKS.contains(c)) {
                    let (cx, cy) = r.center();
                    let px = self.font(size::TYPE_KEY * 2);
                    let (cx, cy) = (self.px(cx), self.px(cy));
                    self.text
                        .draw_ink_centered(self.canvas, cx, cy, mark, px, theme::TEXT);
                    return;
                }
                theme::TEXT
            }
            ButtonStyle::Back => theme::LINK,
            ButtonStyle::Danger => {
                self.canvas
                    .outline_round_rect(dr, radius, self.px(2), theme::ERROR, theme::PAGE);
                theme::ERROR
            }
            ButtonStyle::Disabled => {
                self.canvas.fill_round_rect(dr, radius, theme::DISABLED_BG);
                theme::DISABLED_TEXT
            }
            ButtonStyle::Icon(icon) => {
                self.icon(r.inset(12), icon);
                return;
            }
            ButtonStyle::PinKey => {
                self.canvas
                    .outline_round_rect(dr, radius, self.px(3), theme::BORDER, theme::PAGE);
                theme::TEXT
            }
            ButtonStyle::Row { selected } => {
                let fill = if selected { theme::TINT } else { theme::PAGE };
                self.canvas
                    .outline_round_rect(dr, radius, self.px(1).max(1), theme::RULE, fill);
                for (i, b) in label_boxes(r, label, style).enumerate() {
                    let (color, align) = match i {
                        0 => (theme::TEXT, Align::Start),
                        _ => (theme::TEXT_SUB, Align::Center),
                    };
                    self.paragraph(b.rect, b.text, b.size, color, align);
                }
                return;
            }
            ButtonStyle::TrayCard { placed } => {
                let (border, fill) = if placed {
                    (theme::PRIMARY, theme::TINT)
                } else {
                    (theme::BORDER, theme::PAGE)
                };
                self.canvas.outline_round_rect(
                    dr,
                    radius,
                    self.px(if placed { 4 } else { 2 }),
                    border,
                    fill,
                );
                // A chip so it reads as a card; the holder, then what it shows.
                let chip = self.rect(Rect::new(r.x + 10, r.y + 12, 22, 18));
                self.canvas.fill_round_rect(chip, self.px(4), 0xC9A227);
                let note_color = if placed {
                    theme::PRIMARY
                } else {
                    theme::TEXT_SUB
                };
                for (i, b) in label_boxes(r, label, style).enumerate() {
                    let color = if i == 0 { theme::TEXT } else { note_color };
                    self.paragraph(b.rect, b.text, b.size, color, Align::Start);
                }
                return;
            }
        };
        let align = if style == ButtonStyle::Back {
            Align::Start
        } else {
            Align::Center
        };
        for b in label_boxes(r, label, style) {
            self.paragraph(b.rect, b.text, b.size, fg, align);
        }
    }

    fn band(&mut self, r: Rect, body: &str, tone: Tone) {
        let (fg, bg, mark) = match tone {
            Tone::Info => (theme::LINK, theme::TINT, "i"),
            Tone::Warning => (theme::WARNING, theme::WARNING_BG, "!"),
            Tone::Error => (theme::ERROR, theme::ERROR_BG, "!"),
            Tone::Success => (theme::SUCCESS, 0xE6F5EC, "○"),
        };
        let dr = self.rect(r);
        self.canvas.fill_round_rect(dr, self.px(theme::RADIUS), bg);
        self.canvas
            .fill_rect(Rect::new(dr.x, dr.y, self.px(6), dr.h), fg);
        // The mark: a disc with a sign, so the tone never rests on colour alone.
        let d = 32.min(r.h - 8);
        let (cx, cy) = (r.x + 20 + d / 2, r.y + r.h / 2);
        self.canvas.fill_circle(
            self.px(cx) as f32,
            self.px(cy) as f32,
            self.px(d) as f32 / 2.0,
            fg,
        );
        let mark_px = self.font(22);
        let mw = self.text.width(mark, mark_px);
        let top = self.px(cy) - mark_px as i32 / 2 - self.px(1);
        self.text.draw(
            self.canvas,
            self.px(cx) - mw / 2,
            top,
            mark,
            mark_px,
            theme::ON_DARK,
        );
        let b = band_box(r, body);
        self.paragraph(b.rect, b.text, b.size, fg, Align::Start);
    }

    fn dots(&mut self, r: Rect, filled: u8, total: u8) {
        let n = i32::from(total.max(1));
        let d = 28;
        let gap = (r.w - n * d) / n.max(1);
        for i in 0..n {
            let cx = r.x + gap / 2 + i * (d + gap) + d / 2;
            let cy = r.y + r.h / 2;
            let (x, y, rad) = (
                self.px(cx) as f32,
                self.px(cy) as f32,
                self.px(d) as f32 / 2.0,
            );
            self.canvas.fill_circle(x, y, rad, theme::TEXT);
            if i >= i32::from(filled) {
                self.canvas
                    .fill_circle(x, y, rad - self.px(3) as f32, theme::PAGE);
            }
        }
    }

    fn spinner(&mut self, r: Rect, anim_ms: u64) {
        const DOTS: u64 = 8;
        let head = (anim_ms / 100) % DOTS;
        let (cx, cy) = r.center();
        let ring = r.w.min(r.h) as f32 / 2.0 - 8.0;
        for i in 0..DOTS {
            let angle = i as f32 / DOTS as f32 * core::f32::consts::TAU;
            let x = cx as f32 + ring * angle.sin();
            let y = cy as f32 - ring * angle.cos();
            // The head dot is darkest; the trail fades behind it.
            let age = (head + DOTS - i) % DOTS;
            let color = super::canvas::mix(theme::PRIMARY, theme::PAGE, (age * 28) as u8);
            self.canvas.fill_circle(
                self.px(x as i32) as f32,
                self.px(y as i32) as f32,
                self.px(7) as f32,
                color,
            );
        }
    }

    /// A switch: a pill with a knob, blue and right when on, grey and left when off, with
    /// オン/オフ written beside the knob so the state never rests on colour alone.
    fn switch(&mut self, r: Rect, on: bool) {
        let dr = self.rect(r);
        let track = if on { theme::PRIMARY } else { theme::BORDER };
        self.canvas.fill_round_rect(dr, dr.h / 2, track);
        let d = (dr.h - self.px(8)) as f32;
        let cx = if on {
            dr.right() as f32 - dr.h as f32 / 2.0
        } else {
            dr.x as f32 + dr.h as f32 / 2.0
        };
        self.canvas
            .fill_circle(cx, dr.y as f32 + dr.h as f32 / 2.0, d / 2.0, theme::ON_DARK);
        let word = if on { s::ON } else { s::OFF };
        let text_r = if on {
            Rect::new(r.x + 8, r.y, r.w - r.h - 8, r.h)
        } else {
            Rect::new(r.x + r.h, r.y, r.w - r.h - 8, r.h)
        };
        self.paragraph(text_r, word, size::SMALL, theme::ON_DARK, Align::Center);
    }

    /// A text field: a bordered box, the text clipped to it, and a caret bar where typing
    /// goes. Text longer than the box scrolls so the caret stays inside it.
    fn field(&mut self, r: Rect, body: &str, caret: Option<usize>) {
        let dr = self.rect(r);
        let border = if caret.is_some() {
            theme::PRIMARY
        } else {
            theme::BORDER
        };
        let width = self.px(if caret.is_some() { 3 } else { 2 });
        self.canvas
            .outline_round_rect(dr, self.px(theme::RADIUS), width, border, theme::PAGE);
        let px = self.font(size::BODY);
        let inner = Rect::new(
            dr.x + self.px(FIELD_PAD),
            dr.y + width,
            dr.w - 2 * self.px(FIELD_PAD),
            dr.h - 2 * width,
        );
        let before = caret.map_or(0, |at| {
            let end = body.char_indices().nth(at).map_or(body.len(), |(i, _)| i);
            self.text.width(&body[..end], px)
        });
        let shift = field_scroll(before, inner.w);
        let y = dr.y + (dr.h - px as i32) / 2;
        self.canvas.set_clip(Some(inner.inset(-self.px(2))));
        self.text
            .draw(self.canvas, inner.x - shift, y, body, px, theme::TEXT);
        self.canvas.set_clip(None);
        if caret.is_some() {
            let cx = inner.x - shift + before;
            self.canvas.fill_rect(
                Rect::new(
                    cx,
                    y - self.px(2),
                    self.px(2).max(1),
                    px as i32 + self.px(4),
                ),
                theme::TEXT,
            );
        }
    }

    fn icon(&mut self, r: Rect, icon: Icon) {
        match icon {
            Icon::Eye { open } => {
                // An almond of two arcs with a pupil; a slash through it while open.
                let (cx, cy) = r.center();
                let (cx, cy) = (self.px(cx) as f32, self.px(cy) as f32);
                let w = self.px(r.w.min(r.h * 3 / 2)) as f32 / 2.0;
                let steps = 24;
                for i in 0..=steps {
                    let t = i as f32 / steps as f32 * 2.0 - 1.0;
                    let x = cx + t * w;
                    let dy = (1.0 - t * t).sqrt() * w * 0.55;
                    self.canvas
                        .fill_circle(x, cy - dy, self.px(2) as f32, theme::TEXT);
                    self.canvas
                        .fill_circle(x, cy + dy, self.px(2) as f32, theme::TEXT);
                }
                self.canvas.fill_circle(cx, cy, w * 0.32, theme::TEXT);
                if open {
                    for i in 0..=steps {
                        let t = i as f32 / steps as f32 * 2.0 - 1.0;
                        self.canvas.fill_circle(
                            cx + t * w * 0.8,
                            cy + t * w * 0.8,
                            self.px(2) as f32,
                            theme::ERROR,
                        );
                    }
                }
            }
            Icon::Link => {
                // Two interlocked rings, slanted.
                let (cx, cy) = r.center();
                let (cx, cy) = (self.px(cx) as f32, self.px(cy) as f32);
                let rad = self.px(r.w.min(r.h)) as f32 / 4.0;
                for (dx, dy) in [(-rad * 0.6, rad * 0.6), (rad * 0.6, -rad * 0.6)] {
                    self.canvas.fill_circle(cx + dx, cy + dy, rad, theme::LINK);
                    self.canvas
                        .fill_circle(cx + dx, cy + dy, rad * 0.6, theme::PAGE);
                }
            }
            Icon::Gear => {
                // A cog: a disc with eight teeth and a hole.
                let (cx, cy) = r.center();
                let (cx, cy) = (self.px(cx) as f32, self.px(cy) as f32);
                let outer = self.px(r.w.min(r.h)) as f32 / 2.0;
                let body = outer * 0.72;
                for i in 0..8 {
                    let a = i as f32 / 8.0 * core::f32::consts::TAU;
                    let tx = cx + (outer - outer * 0.16) * a.cos();
                    let ty = cy + (outer - outer * 0.16) * a.sin();
                    self.canvas.fill_circle(tx, ty, outer * 0.2, theme::TEXT);
                }
                self.canvas.fill_circle(cx, cy, body, theme::TEXT);
                self.canvas.fill_circle(cx, cy, body * 0.42, theme::PAGE);
            }
        }
    }

    /// The focus ring: a dark inner line and a yellow band outside the element, following
    /// its corners (`radius`, logical).
    fn focus_ring(&mut self, r: Rect, radius: i32) {
        let dr = self.rect(r);
        let radius = self.px(radius);
        let inner = self.px(2).max(1);
        let outer = self.px(theme::FOCUS_W).max(2);
        self.canvas
            .stroke_round_rect(dr.inset(-inner), radius + inner, inner, theme::TEXT);
        self.canvas.stroke_round_rect(
            dr.inset(-(inner + outer)),
            radius + inner + outer,
            outer,
            theme::FOCUS,
        );
    }
}

/// A box of wrapped text the painter lays out: where, what, at which size (logical).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextBox<'s> {
    /// The box the lines wrap in and start at the top of (or centre in, when taller).
    pub rect: Rect,
    /// The text.
    pub text: &'s str,
    /// Its size.
    pub size: u16,
}

/// The text boxes of a button of `style` in `r` (none for a drawn icon or a mark drawn as
/// a glyph); the painter draws its label in exactly these.
pub fn label_boxes<'s>(
    r: Rect,
    label: &'s str,
    style: ButtonStyle,
) -> impl Iterator<Item = TextBox<'s>> {
    // At most two boxes, without an allocation: this runs for every button of every frame.
    let boxed = |rect: Rect, text: &'s str, size: u16| Some(TextBox { rect, text, size });
    let one = |rect: Rect, size: u16| (boxed(rect, label, size), None);
    let (first, second) = match style {
        ButtonStyle::Icon(_) => (None, None),
        ButtonStyle::TypeKey
            if label
                .chars()
                .next()
                .is_some_and(|c| SMALL_MARKS.contains(&c)) =>
        {
            (None, None)
        }
        ButtonStyle::Primary
        | ButtonStyle::Secondary
        | ButtonStyle::Danger
        | ButtonStyle::Disabled => one(r.inset(8), size::BUTTON),
        ButtonStyle::Back => one(r, size::BUTTON),
        // Keys keep their full height for the digit: a keypad squeezed to 44 px keys still
        // has room for 40 px digits.
        ButtonStyle::Key => one(Rect::new(r.x + 8, r.y, r.w - 16, r.h), size::KEY),
        ButtonStyle::TypeKey => one(r.inset(8), size::TYPE_KEY),
        ButtonStyle::PinKey => one(Rect::new(r.x + 8, r.y, r.w - 16, r.h), size::PIN_KEY),
        ButtonStyle::Row { .. } => (
            boxed(Rect::new(r.x + 24, r.y, r.w - 80, r.h), label, size::BODY),
            boxed(Rect::new(r.right() - 48, r.y, 32, r.h), "＞", size::BODY),
        ),
        ButtonStyle::TrayCard { .. } => {
            let (holder, note) = label.split_once('\n').unwrap_or((label, ""));
            (
                boxed(
                    Rect::new(r.x + 40, r.y + 4, r.w - 44, r.h / 2),
                    holder,
                    size::SMALL,
                ),
                boxed(
                    Rect::new(r.x + 10, r.y + r.h / 2, r.w - 14, r.h / 2 - 4),
                    note,
                    size::SMALL - 4,
                ),
            )
        }
    };
    first.into_iter().chain(second)
}

/// The text box of a status band in `r`: after its mark, smaller type in a slim band.
pub fn band_box(r: Rect, body: &str) -> TextBox<'_> {
    let inset = super::screens::BAND_TEXT_INSET;
    TextBox {
        rect: Rect::new(r.x + inset, r.y, r.w - inset - 16, r.h),
        text: body,
        size: if r.h >= 56 { size::BODY } else { size::LABEL },
    }
}

/// Keyboard labels drawn large with their ink centred (see `keyboard::key_label`).
const SMALL_MARKS: [char; 3] = ['｀', '＾', '～'];

/// Space between a text field's border and its text (logical).
pub const FIELD_PAD: i32 = 16;

/// How far a field's text is scrolled left so that a caret `caret_x` pixels into the text
/// stays inside a box `inner_w` wide: not at all while it fits, else just enough that the
/// caret sits at the right edge. Without a caret (`caret_x` 0) the start shows.
pub fn field_scroll(caret_x: i32, inner_w: i32) -> i32 {
    (caret_x - inner_w.max(0)).max(0)
}

/// The corner radius a control is drawn with (logical), so its focus ring follows it: the
/// switch is a pill, drawn icons are round, everything else has the theme's corners.
fn corner_radius(w: &Widget<'_>) -> i32 {
    match w.kind {
        Kind::Switch { .. } => w.rect.h / 2,
        Kind::Button {
            style: ButtonStyle::Icon(_),
            ..
        } => w.rect.w.min(w.rect.h) / 2,
        _ => theme::RADIUS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::UiAction;
    use crate::sensitive::SensitiveText;
    use crate::ui::Label;

    #[test]
    fn focus_ring_surrounds_the_focused_widget_only() {
        let mut text = Text::load().expect("embedded font parses");
        let mut scene = Scene::default();
        let r = Rect::new(20, 20, 40, 20);
        scene.push(r, Kind::Rule { color: 0x123456 }, Some(UiAction::Next));
        let mut px = vec![0; 100 * 60];
        let mut c = Canvas::new(&mut px, 100, 60).expect("buffer fits");
        render(
            &scene,
            &mut c,
            &mut text,
            Frame {
                focus: Some(0),
                ..Frame::default()
            },
        );
        assert_eq!(c.pixel(30, 30), Some(0x123456), "widget untouched");
        assert_eq!(
            c.pixel(30, 19),
            Some(theme::TEXT),
            "inner line just outside"
        );
        assert_eq!(
            c.pixel(30, 16),
            Some(theme::FOCUS),
            "yellow band outside that"
        );
        assert_eq!(c.pixel(30, 10), Some(theme::PAGE), "nothing further out");
        render(&scene, &mut c, &mut text, Frame::default());
        assert_eq!(c.pixel(30, 16), Some(theme::PAGE), "no ring without focus");
    }

    #[test]
    fn the_focus_ring_follows_the_rounded_corners_of_its_control() {
        let mut text = Text::load().expect("embedded font parses");
        let mut scene = Scene::default();
        let r = Rect::new(30, 30, 80, 40);
        scene.push(
            r,
            Kind::Button {
                label: Label::Static(""),
                style: ButtonStyle::Secondary,
            },
            Some(UiAction::Next),
        );
        let mut px = vec![0; 140 * 100];
        let mut c = Canvas::new(&mut px, 140, 100).expect("buffer fits");
        let focused = Frame {
            focus: Some(0),
            ..Frame::default()
        };
        render(&scene, &mut c, &mut text, focused);
        // The ring reaches 6 px out (2 dark + 4 yellow); its corner square stays empty.
        assert_eq!(
            c.pixel(r.x - 6, r.y - 6),
            Some(theme::PAGE),
            "corner is round"
        );
        assert_eq!(
            c.pixel(r.x + 40, r.y - 5),
            Some(theme::FOCUS),
            "straight edge"
        );
        assert_eq!(c.pixel(r.x + 40, r.y - 1), Some(theme::TEXT));
        assert_eq!(
            c.pixel(r.x + 40, r.y + 20),
            Some(theme::PAGE),
            "inside untouched"
        );
        // A switch is a pill: so is its ring, and the middle of its end is reached.
        let mut pill = Scene::default();
        pill.push(
            r,
            Kind::Switch { on: true },
            Some(UiAction::ToggleVisualCheck),
        );
        render(&pill, &mut c, &mut text, focused);
        assert_eq!(c.pixel(r.x - 5, r.y + 20), Some(theme::FOCUS));
        assert_eq!(
            c.pixel(r.x - 2, r.y - 2),
            Some(theme::PAGE),
            "pill corner is round"
        );
    }

    #[test]
    fn long_text_stays_in_its_field_and_the_caret_stays_visible() {
        let mut text = Text::load().expect("embedded font parses");
        let field = Rect::new(20, 20, 200, 52);
        let long = "●".repeat(30);
        for caret in [None, Some(0), Some(15), Some(30)] {
            let mut scene = Scene::default();
            scene.push(
                field,
                Kind::Field {
                    text: Label::Owned(SensitiveText::new(long.clone())),
                    caret,
                },
                Some(UiAction::FocusField(0)),
            );
            let mut px = vec![theme::PAGE; 400 * 100];
            let mut c = Canvas::new(&mut px, 400, 100).expect("buffer fits");
            render(&scene, &mut c, &mut text, Frame::default());
            for x in field.right()..400 {
                for y in 0..100 {
                    assert_eq!(
                        c.pixel(x, y),
                        Some(theme::PAGE),
                        "ink at ({x},{y}), {caret:?}"
                    );
                }
            }
            if let Some(at) = caret {
                // The caret bar: a column of body colour inside the box, left of its padding.
                let before = text.width(&"●".repeat(at), size::BODY);
                let inner_w = field.w - 2 * FIELD_PAD;
                let x = field.x + FIELD_PAD + before - field_scroll(before, inner_w);
                assert!(
                    x > field.x && x < field.right() - FIELD_PAD / 2,
                    "caret at {x}"
                );
                assert_eq!(c.pixel(x, field.y + field.h / 2), Some(theme::TEXT));
            }
        }
    }

    #[test]
    fn the_page_panel_is_drawn_by_the_clear_and_other_first_widgets_are_not() {
        let mut text = Text::load().expect("embedded font parses");
        let draw = |scene: &Scene<'_>, text: &mut Text, scale: f32| {
            let mut px = vec![0; 40 * 30];
            let mut c = Canvas::new(&mut px, 40, 30).expect("buffer fits");
            let frame = Frame {
                scale,
                ..Frame::default()
            };
            render(scene, &mut c, text, frame);
            px
        };
        let panel = || Kind::Panel {
            fill: 0x00AA00,
            border: None,
        };
        // Over the whole canvas: all of it in the panel's colour, then what follows.
        let mut page = Scene::default();
        page.push(Rect::new(0, 0, 40, 30), panel(), None);
        page.push(Rect::new(5, 5, 2, 2), Kind::Rule { color: 3 }, None);
        let px = draw(&page, &mut text, 1.0);
        assert_eq!(px.iter().filter(|&&p| p == 0x00AA00).count(), 40 * 30 - 4);
        assert_eq!(px[5 * 40 + 5], 3);
        // At scale 2 the same logical page covers the canvas from half its size.
        let mut half = Scene::default();
        half.push(Rect::new(0, 0, 20, 15), panel(), None);
        assert!(draw(&half, &mut text, 2.0).iter().all(|&p| p == 0x00AA00));
        // A smaller first panel is drawn as a panel on the page colour.
        let mut small = Scene::default();
        small.push(Rect::new(10, 10, 20, 10), panel(), None);
        let px = draw(&small, &mut text, 1.0);
        assert_eq!(px[0], theme::PAGE);
        assert_eq!(px[15 * 40 + 20], 0x00AA00);
    }

    #[test]
    fn scale_doubles_geometry() {
        let mut text = Text::load().expect("embedded font parses");
        let mut scene = Scene::default();
        scene.push(Rect::new(10, 10, 10, 10), Kind::Rule { color: 1 }, None);
        let mut px = vec![0; 50 * 50];
        let mut c = Canvas::new(&mut px, 50, 50).expect("buffer fits");
        render(
            &scene,
            &mut c,
            &mut text,
            Frame {
                scale: 2.0,
                ..Frame::default()
            },
        );
        assert_eq!(c.pixel(20, 20), Some(1));
        assert_eq!(c.pixel(39, 39), Some(1));
        assert_eq!(c.pixel(40, 40), Some(theme::PAGE));
    }

    #[test]
    fn text_is_drawn_in_its_colour() {
        let mut text = Text::load().expect("embedded font parses");
        let mut scene = Scene::default();
        scene.push(
            Rect::new(0, 0, 200, 40),
            Kind::Text {
                text: Label::Static("資格確認"),
                size: 24,
                color: 0xCE0000,
                align: Align::Start,
            },
            None,
        );
        let mut px = vec![0; 200 * 40];
        let mut c = Canvas::new(&mut px, 200, 40).expect("buffer fits");
        render(&scene, &mut c, &mut text, Frame::default());
        let full_ink = (0..40)
            .flat_map(|y| (0..200).map(move |x| (x, y)))
            .filter(|&(x, y)| c.pixel(x, y) == Some(0xCE0000))
            .count();
        assert!(
            full_ink > 50,
            "solid glyph pixels in the text colour: {full_ink}"
        );
    }
}
