//! The screen template every screen is laid out in: デモ ribbon, header (title, ←, ⚙),
//! content area, footer with the primary action at the bottom right, bands, demo tray.

use crate::app::{DemoTray, UiAction};
use crate::sensitive::SensitiveText;

use super::super::strings as s;
use super::super::text::Text;
use super::super::theme::{self, size};
use super::super::{Align, ButtonStyle, Icon, Kind, Label, Rect, Scene, Tone};
use super::tray::demo_tray;
use super::Size;

/// Lays out the template and collects widgets.
pub(super) struct Builder<'a> {
    pub(super) scene: Scene<'a>,
    pub(super) size: Size,
    pub(super) top: i32,
    pub(super) footer: Rect,
    pub(super) tray: Option<(&'a DemoTray, Rect)>,
    /// The top of the status bands stacked above the footer, once there is one.
    pub(super) bands_top: Option<i32>,
    /// Bands for the whole kiosk, drawn in the footer left of its buttons.
    pub(super) bands: Vec<(Label<'a>, Tone)>,
    /// The footer's buttons are drawn.
    pub(super) footer_used: bool,
}

impl<'a> Builder<'a> {
    pub(super) fn new(size: Size, demo: Option<&'a DemoTray>, t: &Text) -> Self {
        let mut scene = Scene::default();
        scene.push(
            Rect::new(0, 0, size.w, size.h),
            Kind::Panel {
                fill: theme::PAGE,
                border: None,
            },
            None,
        );
        let mut top = 0;
        let mut bottom = size.h;
        let mut tray = None;
        if let Some(demo) = demo {
            let ribbon = Rect::new(0, 0, size.w, theme::DEMO_RIBBON_H);
            scene.push(
                ribbon,
                Kind::Panel {
                    fill: theme::DEMO_BG,
                    border: None,
                },
                None,
            );
            let words = match demo.setup.account {
                Some([code, id, password, activation]) => {
                    s::demo_ribbon_fresh(code, id, password, activation)
                }
                None => s::demo_ribbon(demo.setup.passcode),
            };
            // One line always: smaller type when the words are long (the demo account).
            let fits = t.width(&words, size::SMALL) <= ribbon.w - 16;
            scene.push(
                ribbon.inset(8),
                Kind::Text {
                    text: Label::Owned(SensitiveText::new(words)),
                    size: if fits { size::SMALL } else { size::SMALL - 4 },
                    color: theme::DEMO_TEXT,
                    align: Align::Center,
                },
                None,
            );
            top = theme::DEMO_RIBBON_H;
            bottom -= theme::DEMO_TRAY_H;
            tray = Some((demo, Rect::new(0, bottom, size.w, theme::DEMO_TRAY_H)));
        }
        let footer = Rect::new(0, bottom - theme::FOOTER_H, size.w, theme::FOOTER_H);
        Self {
            scene,
            size,
            top,
            footer,
            tray,
            bands_top: None,
            bands: Vec::new(),
            footer_used: false,
        }
    }

    /// The header bar: title centred, ← on the left where the manual has it.
    pub(super) fn header(&mut self, title: &'static str, back: bool) {
        let bar = Rect::new(0, self.top, self.size.w, theme::HEADER_H);
        self.scene.push(
            Rect::new(0, bar.bottom() - 1, self.size.w, 1),
            Kind::Rule { color: theme::RULE },
            None,
        );
        self.scene.push(
            Rect::new(bar.x + 200, bar.y + 22, bar.w - 400, 40),
            Kind::Text {
                text: Label::Static(title),
                size: size::TITLE,
                color: theme::TEXT,
                align: Align::Center,
            },
            None,
        );
        if back {
            self.scene.push(
                Rect::new(16, bar.y + 12, 152, 56),
                Kind::Button {
                    label: Label::Static(s::BACK),
                    style: ButtonStyle::Back,
                },
                Some(UiAction::Back),
            );
        }
        self.top = bar.bottom();
    }

    /// No demo tray on this screen (forms: no card is involved, and the keyboard needs the
    /// room).
    pub(super) fn without_tray(&mut self) {
        if self.tray.take().is_some() {
            self.footer = Rect::new(
                0,
                self.size.h - theme::FOOTER_H,
                self.size.w,
                theme::FOOTER_H,
            );
        }
    }

    /// ⚙ at the right of the header (認証選択).
    pub(super) fn menu_button(&mut self) {
        let y = self.top - theme::HEADER_H;
        let r = Rect::new(self.size.w - 16 - 64, y + 8, 64, 64);
        self.scene.push(
            r,
            Kind::Button {
                label: Label::Static(s::MENU),
                style: ButtonStyle::Icon(Icon::Gear),
            },
            Some(UiAction::OpenMenu),
        );
    }

    /// A short note at the right of the header (the result's countdown).
    pub(super) fn header_note(&mut self, note: String) {
        let y = self.top - theme::HEADER_H;
        self.text(
            Rect::new(self.size.w - 16 - 380, y + 26, 380, 32),
            Label::Owned(SensitiveText::new(note)),
            size::SMALL,
            theme::TEXT_SUB,
            Align::End,
        );
    }

    /// A band across the screen just above the footer, over whatever is there: what the
    /// whole kiosk needs said (settings not saved, a link's address in `--kiosk`).
    pub(super) fn status_band(&mut self, t: &Text, text: Label<'a>, tone: Tone) {
        let w = self.size.w - 2 * theme::MARGIN;
        let h = band_height(t, text.as_str(), w);
        let y = self.bands_top.unwrap_or(self.footer.y) - h - 8;
        self.bands_top = Some(y);
        self.scene.push(
            Rect::new(theme::MARGIN, y, w, h),
            Kind::Band { text, tone },
            None,
        );
    }

    /// A status band holding `text` at (`x`, `y`), `w` wide and as high as its words need;
    /// returns that height.
    pub(super) fn band(
        &mut self,
        t: &Text,
        x: i32,
        y: i32,
        w: i32,
        text: Label<'a>,
        tone: Tone,
    ) -> i32 {
        let h = band_height(t, text.as_str(), w);
        self.scene
            .push(Rect::new(x, y, w, h), Kind::Band { text, tone }, None);
        h
    }

    /// How far down a keypad may reach: into the footer's band too when the footer has no
    /// buttons and no kiosk band.
    pub(super) fn keypad_bottom(&self) -> i32 {
        if self.footer_used {
            self.footer.y - 16
        } else {
            self.footer.bottom() - 16
        }
    }

    /// The content area between the header and the footer, inside the margins.
    pub(super) fn content(&self) -> Rect {
        Rect::new(
            theme::MARGIN,
            self.top + 32,
            self.size.w - 2 * theme::MARGIN,
            self.footer.y - self.top - 32,
        )
    }

    pub(super) fn text(
        &mut self,
        rect: Rect,
        text: Label<'a>,
        size: u16,
        color: u32,
        align: Align,
    ) {
        self.scene.push(
            rect,
            Kind::Text {
                text,
                size,
                color,
                align,
            },
            None,
        );
    }

    /// Wrapped text at `y` across `width`; returns the y below it.
    pub(super) fn paragraph(
        &mut self,
        t: &Text,
        x: i32,
        y: i32,
        width: i32,
        body: &'static str,
        size: u16,
    ) -> i32 {
        let h = text_height(t, body, size, width);
        self.text(
            Rect::new(x, y, width, h),
            Label::Static(body),
            size,
            theme::TEXT,
            Align::Start,
        );
        y + h
    }

    /// Footer buttons: `primary` at the bottom right, `secondary` to its left.
    pub(super) fn footer(
        &mut self,
        primary: Option<(&'static str, UiAction)>,
        secondary: Option<(&'static str, UiAction)>,
    ) {
        self.footer_used = true;
        self.scene.push(
            Rect::new(0, self.footer.y, self.size.w, 1),
            Kind::Rule { color: theme::RULE },
            None,
        );
        let y = self.footer.y + (theme::FOOTER_H - theme::BUTTON_H) / 2;
        let mut right = self.size.w - theme::MARGIN;
        // Secondary first: focus order runs left to right.
        let primary_w = primary.map_or(0, |(label, _)| button_width(label));
        if let Some((label, action)) = secondary {
            let w = button_width(label);
            let x = right - primary_w - if primary.is_some() { 24 } else { 0 } - w;
            self.scene.push(
                Rect::new(x, y, w, theme::BUTTON_H),
                Kind::Button {
                    label: Label::Static(label),
                    style: ButtonStyle::Secondary,
                },
                Some(action),
            );
        }
        if let Some((label, action)) = primary {
            right -= primary_w;
            self.scene.push(
                Rect::new(right, y, primary_w, theme::BUTTON_H),
                Kind::Button {
                    label: Label::Static(label),
                    style: ButtonStyle::Primary,
                },
                Some(action),
            );
        }
    }

    pub(super) fn finish(mut self, t: &Text) -> Scene<'a> {
        // The kiosk's bands: the first in the footer left of its buttons, others above it.
        let buttons_left = self
            .scene
            .widgets
            .iter()
            .filter(|w| w.action.is_some() && w.rect.y >= self.footer.y)
            .filter(|w| w.rect.y < self.footer.bottom())
            .map(|w| w.rect.x)
            .min()
            .unwrap_or(self.size.w - theme::MARGIN + 24);
        let mut bands = core::mem::take(&mut self.bands).into_iter();
        if let Some((text, tone)) = bands.next() {
            let w = buttons_left - 24 - theme::MARGIN;
            let h = band_height(t, text.as_str(), w).min(theme::FOOTER_H - 8);
            let y = self.footer.y + (theme::FOOTER_H - h) / 2;
            self.scene.push(
                Rect::new(theme::MARGIN, y, w, h),
                Kind::Band { text, tone },
                None,
            );
        }
        for (text, tone) in bands {
            self.status_band(t, text, tone);
        }
        if let Some((tray, area)) = self.tray {
            self.scene.push(
                area,
                Kind::Panel {
                    fill: theme::PANEL,
                    border: None,
                },
                None,
            );
            self.scene.push(
                Rect::new(0, area.y, area.w, 2),
                Kind::Rule {
                    color: theme::DEMO_BG,
                },
                None,
            );
            demo_tray(&mut self.scene, tray, area);
        }
        self.scene
    }
}

/// A spinner and what is happening.
pub(super) fn progress(b: &mut Builder<'_>, status: &'static str) {
    let c = b.content();
    let mid = c.x + c.w / 2;
    b.scene
        .push(Rect::new(mid - 40, c.y + 40, 80, 80), Kind::Spinner, None);
    b.text(
        Rect::new(c.x, c.y + 148, c.w, 40),
        Label::Static(status),
        size::HEADING,
        theme::TEXT,
        Align::Center,
    );
}

/// Width of a footer button for `label`: roomy, never below the minimum.
pub(super) fn button_width(label: &str) -> i32 {
    let chars = label.chars().count() as i32;
    (chars * i32::from(size::BUTTON) + 64).max(theme::BUTTON_MIN_W)
}

/// Height of `body` wrapped to `width` at `size`, with Japanese line spacing (1.6×).
pub fn text_height(t: &Text, body: &str, size: u16, width: i32) -> i32 {
    let lines = t.wrap(body, size, width).len() as i32;
    lines * line_height(size)
}

/// Line pitch for Japanese text of `size` pixels.
pub fn line_height(size: u16) -> i32 {
    i32::from(size) * 8 / 5
}

// --- Digit screens: パスコード and 暗証番号 ------------------------------------------------------

/// Height of a status band holding `body` across `width` (the mark takes 68 px of it).
pub fn band_height(t: &Text, body: &str, width: i32) -> i32 {
    (text_height(t, body, size::BODY, width - BAND_TEXT_INSET - 16) + 16).max(56)
}

/// Where a band's text starts, after its mark.
pub const BAND_TEXT_INSET: i32 = 68;
