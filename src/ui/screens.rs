//! Screens: the app's state in, a [`Scene`] out. One template (デモ ribbon, header, content,
//! footer with the primary action at the bottom right, demo tray) serves every screen.

use crate::app::{
    App, DemoTray, DigitNotice, Failure, FormScreen, MenuItem, Message, PadPurpose,
    PasscodePurpose, PinPad, Question, ReadView, Saving, State, UiAction,
};
use crate::center::model::{CheckOutcome, Qualification, Validity};
use crate::center::CenterError;
use crate::sensitive::SensitiveText;

use super::strings as s;
use super::text::Text;
use super::theme::{self, size};
use super::{Align, ButtonStyle, Icon, Kind, Label, Rect, Scene, Tone};

/// The logical size of the window, in the units screens are laid out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Width.
    pub w: i32,
    /// Height.
    pub h: i32,
}

impl Size {
    /// The design size, 1280×800.
    pub const DESIGN: Size = Size {
        w: theme::DESIGN_W,
        h: theme::DESIGN_H,
    };
}

/// Builds the scene of the app's current screen.
pub fn view<'a>(app: &'a App, size: Size, text: &Text) -> Scene<'a> {
    let mut b = Builder::new(size, app.demo(), text);
    // What the whole kiosk needs said goes in the footer, left of its buttons, on whatever
    // screen is shown (keypads leave the footer's band free for it).
    if let Saving::Failing { problem, .. } = app.saving() {
        b.bands
            .push((Label::Static(s::settings_not_saved(problem)), Tone::Warning));
    }
    if let Some(url) = app.shown_link() {
        b.bands.push((
            Label::Owned(SensitiveText::new(s::link_address(url))),
            Tone::Info,
        ));
    }
    b.footer_used = !b.bands.is_empty();
    let visual = app.settings().visual_check;
    match app.state() {
        State::SettingsDamaged => {
            b.header(s::DAMAGED_TITLE, false);
            problem(&mut b, text, s::DAMAGED_WHAT, s::DAMAGED_NEXT);
            b.footer(Some((s::DAMAGED_ACTION, UiAction::Ok)), None);
        }
        State::Terms => {
            b.header(s::TERMS_TITLE, false);
            terms(&mut b, text);
        }
        State::Register(screen) => {
            b.without_tray();
            b.header(s::REGISTER_TITLE, false);
            let spec = FormSpec {
                lead: Some(s::REGISTER_LEAD),
                labels: &s::REGISTER_FIELDS,
                required: true,
                submit: s::REGISTER_BUTTON,
                note: None,
            };
            form_screen(&mut b, text, &spec, screen);
        }
        State::Registered => {
            b.header(s::REGISTER_TITLE, false);
            dialog(
                &mut b,
                text,
                s::REGISTERED,
                None,
                (s::OK, UiAction::Ok, false),
            );
        }
        State::Login { screen, reason } => {
            b.without_tray();
            b.header(
                s::LOGIN_TITLE,
                *reason == Some(crate::app::LoginReason::ForgotPasscode),
            );
            let spec = FormSpec {
                lead: reason.map(s::login_reason),
                labels: &s::LOGIN_FIELDS,
                required: true,
                submit: s::LOGIN_BUTTON,
                note: Some(s::LOGIN_LOCK_NOTE),
            };
            form_screen(&mut b, text, &spec, screen);
        }
        State::AccountPassword(screen) => {
            b.without_tray();
            b.header(s::ACCOUNT_PASSWORD, true);
            let spec = FormSpec {
                lead: None,
                labels: &s::ACCOUNT_PASSWORD_FIELDS,
                required: false,
                submit: s::CHANGE_BUTTON,
                note: Some(s::PASSWORD_RULE),
            };
            form_screen(&mut b, text, &spec, screen);
        }
        State::Starting => {
            b.header(s::APP_NAME, false);
            progress(&mut b, s::STARTING);
        }
        State::StartFailed(e) => {
            b.header(s::START_FAILED, false);
            let advice = s::center_error(e);
            problem(&mut b, text, advice.what, advice.next);
            b.footer(Some((s::TRY_AGAIN, UiAction::Retry)), None);
        }
        State::Update { info, required } => {
            b.header(s::UPDATE_TITLE, false);
            update(&mut b, text, &info.latest.to_string(), *required);
        }
        State::Notices { list, failed, .. } => {
            b.header(s::NOTICES, false);
            notices(&mut b, text, list);
            if let Some(e) = failed {
                let advice = s::center_error(e);
                let words = format!("{}{}", advice.what, advice.next);
                b.status_band(text, Label::Owned(SensitiveText::new(words)), Tone::Error);
            }
        }
        State::Passcode(pad) => {
            let (title, prompt, back) = match pad.purpose {
                PadPurpose::Unlock => (s::PASSCODE_TITLE, s::PASSCODE_PROMPT, false),
                PadPurpose::Security => (s::SECURITY, s::PASSCODE_PROMPT, true),
                PadPurpose::Change => (s::PASSCODE_CHANGE_TITLE, s::PASSCODE_CURRENT_PROMPT, true),
                PadPurpose::Quit => (s::QUIT_TITLE, s::QUIT_PROMPT, true),
            };
            b.header(title, back);
            let notice = match app.gate_seconds_left() {
                Some(left) => Some(Label::Owned(SensitiveText::new(s::passcode_wait(left)))),
                None => notice_text(pad.notice),
            };
            let waiting = app.gate_seconds_left().is_some();
            if pad.purpose == PadPurpose::Unlock {
                b.footer(None, Some((s::FORGOT_PASSCODE, UiAction::ForgotPasscode)));
            }
            digits(
                &mut b,
                text,
                prompt,
                pad.entry.len(),
                notice,
                KeyStyle::Staff,
                !waiting,
            );
        }
        State::NewPasscode {
            purpose,
            entry,
            notice,
        } => {
            let (title, prompt, back) = match purpose {
                PasscodePurpose::Setup => {
                    (s::PASSCODE_SETUP_TITLE, s::PASSCODE_SETUP_PROMPT, false)
                }
                PasscodePurpose::Change => (s::PASSCODE_CHANGE_TITLE, s::PASSCODE_NEW_PROMPT, true),
                PasscodePurpose::Reset => {
                    (s::PASSCODE_SETUP_TITLE, s::PASSCODE_SETUP_PROMPT, false)
                }
            };
            b.header(title, back);
            digits(
                &mut b,
                text,
                prompt,
                entry.len(),
                notice_text(*notice),
                KeyStyle::Staff,
                true,
            );
        }
        State::ConfirmPasscode { purpose, entry, .. } => {
            let title = match purpose {
                PasscodePurpose::Setup | PasscodePurpose::Reset => s::PASSCODE_CONFIRM_TITLE,
                PasscodePurpose::Change => s::PASSCODE_CHANGE_TITLE,
            };
            b.header(title, true);
            digits(
                &mut b,
                text,
                s::PASSCODE_CONFIRM_PROMPT,
                entry.len(),
                None,
                KeyStyle::Staff,
                true,
            );
        }
        State::SelectAuth => {
            b.header(s::AUTH_SELECT_TITLE, false);
            b.menu_button();
            if visual {
                auth_select_visual(&mut b, text);
            } else {
                auth_select_pin(&mut b, text);
            }
        }
        State::Ask(q) => {
            b.header(ask_title(*q), false);
            ask(&mut b, text, *q);
        }
        State::Tell(m) => {
            b.header(s::APP_NAME, false);
            tell(&mut b, text, *m);
        }
        State::EnterPin(pad) => {
            b.header(s::PIN_TITLE, true);
            pin_entry(&mut b, text, pad);
        }
        State::ReadCard(check) => {
            let phase = check.view();
            b.header(s::READ_TITLE, phase == ReadView::WaitCard);
            read_card(&mut b, phase, text);
        }
        State::ReadFailed { failure, retry } => {
            b.header(s::READ_TITLE, false);
            read_failed(&mut b, failure, *retry, text);
        }
        State::ShowResult(shown) => {
            b.header(s::RESULT_TITLE, false);
            if let Some(left) = app.seconds_left() {
                b.header_note(s::closes_in(left));
            }
            result(&mut b, &shown.outcome, usize::from(shown.page), text);
        }
        State::Menu => {
            b.header(s::MENU, true);
            rows(
                &mut b,
                &[
                    (
                        s::READER_SELECT,
                        UiAction::Menu(MenuItem::ReaderSelect),
                        false,
                    ),
                    // お知らせ can be read again from the menu (manual P.9).
                    (s::NOTICES, UiAction::Menu(MenuItem::Notices), false),
                    (s::SECURITY, UiAction::Menu(MenuItem::Security), false),
                ],
            );
            links(&mut b, 3);
        }
        State::ReaderSelect { readers } => {
            b.header(s::READER_SELECT, true);
            reader_select(&mut b, text, readers, app.settings().reader.as_deref());
        }
        State::Security => {
            b.header(s::SECURITY, true);
            security(&mut b, text, visual);
        }
    }
    b.finish(text)
}

/// Lays out the template and collects widgets.
struct Builder<'a> {
    scene: Scene<'a>,
    size: Size,
    top: i32,
    footer: Rect,
    tray: Option<(&'a DemoTray, Rect)>,
    /// The top of the status bands stacked above the footer, once there is one.
    bands_top: Option<i32>,
    /// Bands for the whole kiosk, drawn in the footer left of its buttons.
    bands: Vec<(Label<'a>, Tone)>,
    /// The footer's buttons are drawn.
    footer_used: bool,
}

impl<'a> Builder<'a> {
    fn new(size: Size, demo: Option<&'a DemoTray>, t: &Text) -> Self {
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
    fn header(&mut self, title: &'static str, back: bool) {
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
    fn without_tray(&mut self) {
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
    fn menu_button(&mut self) {
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
    fn header_note(&mut self, note: String) {
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
    fn status_band(&mut self, t: &Text, text: Label<'a>, tone: Tone) {
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

    /// How far down a keypad may reach: into the footer's band too when the footer has no
    /// buttons and no kiosk band.
    fn keypad_bottom(&self) -> i32 {
        if self.footer_used {
            self.footer.y - 16
        } else {
            self.footer.bottom() - 16
        }
    }

    /// The content area between the header and the footer, inside the margins.
    fn content(&self) -> Rect {
        Rect::new(
            theme::MARGIN,
            self.top + 32,
            self.size.w - 2 * theme::MARGIN,
            self.footer.y - self.top - 32,
        )
    }

    fn text(&mut self, rect: Rect, text: Label<'a>, size: u16, color: u32, align: Align) {
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
    fn paragraph(
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
    fn footer(
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

    fn finish(mut self, t: &Text) -> Scene<'a> {
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

/// Tray geometry.
const TRAY_LABEL_W: i32 = 150;
const TRAY_CARD_W: i32 = 176;
const TRAY_ARROW_W: i32 = 56;

/// The demo tray: as many cards as fit, ＜ ＞ to page through the rest. Each card shows
/// its holder and what it demonstrates (or that it is on the reader).
fn demo_tray<'a>(scene: &mut Scene<'a>, tray: &'a DemoTray, area: Rect) {
    let x0 = 24;
    scene.push(
        Rect::new(x0, area.y + 14, TRAY_LABEL_W, area.h - 28),
        Kind::Text {
            text: Label::Static(s::DEMO_TRAY),
            size: size::SMALL - 2,
            color: theme::TEXT_SUB,
            align: Align::Start,
        },
        None,
    );
    let cards_x = x0 + TRAY_LABEL_W + TRAY_ARROW_W + 8;
    let per_page = ((area.w - cards_x - TRAY_ARROW_W - 16) / (TRAY_CARD_W + 8)).max(1) as usize;
    let n = tray.setup.cards.len();
    let pages = n.div_ceil(per_page).max(1);
    let page = usize::from(tray.page) % pages;
    let arrow = |scene: &mut Scene<'a>, x: i32, label: &'static str, forward: bool| {
        scene.push(
            Rect::new(x, area.y + 14, TRAY_ARROW_W - 8, area.h - 28),
            Kind::Button {
                label: Label::Static(label),
                style: ButtonStyle::Secondary,
            },
            Some(UiAction::DemoTrayPage(forward)),
        );
    };
    if pages > 1 {
        arrow(scene, x0 + TRAY_LABEL_W, "＜", false);
    }
    let mut x = cards_x;
    for (i, card) in tray
        .setup
        .cards
        .iter()
        .enumerate()
        .skip(page * per_page)
        .take(per_page)
    {
        let Ok(index) = u8::try_from(i) else { break };
        let placed = tray.placed == Some(index);
        let note = if placed {
            s::DEMO_ON_READER
        } else {
            card.shows
        };
        scene.push(
            Rect::new(x, area.y + 10, TRAY_CARD_W, area.h - 20),
            Kind::Button {
                label: Label::Owned(SensitiveText::new(format!("{}\n{note}", card.holder))),
                style: ButtonStyle::TrayCard { placed },
            },
            Some(UiAction::DemoToggleCard(index)),
        );
        x += TRAY_CARD_W + 8;
    }
    if pages > 1 {
        arrow(
            scene,
            cards_x + per_page as i32 * (TRAY_CARD_W + 8),
            "＞",
            true,
        );
    }
}

/// Width of a footer button for `label`: roomy, never below the minimum.
fn button_width(label: &str) -> i32 {
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

/// Keypad geometry: keys, gaps.
const KEY_W: i32 = 120;
const KEY_H: i32 = 80;
const KEY_GAP: i32 = 12;
/// The patient's PIN pad: larger keys.
const PIN_KEY: i32 = 96;

/// Who types on a keypad.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyStyle {
    /// Staff (passcode): compact keys, four digits complete the entry.
    Staff,
    /// The patient (card PIN): large keys and 次へ.
    Patient,
}

fn notice_text(n: Option<DigitNotice>) -> Option<Label<'static>> {
    match n? {
        DigitNotice::WrongPasscode => Some(Label::Static(s::PASSCODE_WRONG)),
        DigitNotice::Mismatch => Some(Label::Static(s::PASSCODE_MISMATCH)),
        DigitNotice::WrongPin(n) => Some(Label::Owned(SensitiveText::new(s::wrong_pin(n)))),
        DigitNotice::CardChanged => Some(Label::Static(s::PIN_CARD_CHANGED)),
    }
}

/// A prompt, four dots, an optional error band and a keypad.
fn digits<'a>(
    b: &mut Builder<'a>,
    t: &Text,
    prompt: &'static str,
    typed: usize,
    notice: Option<Label<'a>>,
    style: KeyStyle,
    keys_enabled: bool,
) {
    let c = b.content();
    let mid = c.x + c.w / 2;
    b.text(
        Rect::new(c.x, c.y, c.w, 36),
        Label::Static(prompt),
        size::BODY,
        theme::TEXT,
        Align::Center,
    );
    b.scene.push(
        Rect::new(mid - 100, c.y + 48, 200, 40),
        Kind::Dots {
            filled: typed as u8,
            total: crate::app::passcode::DIGITS as u8,
        },
        None,
    );
    if let Some(notice) = notice {
        let w = t.width(notice.as_str(), size::LABEL) + 100;
        b.scene.push(
            Rect::new(mid - w / 2, c.y + 96, w, 40),
            Kind::Band {
                text: notice,
                tone: Tone::Error,
            },
            None,
        );
    }
    let bottom = b.keypad_bottom();
    keypad(b, mid, c.y + 148, bottom, style, keys_enabled, false);
}

/// A 3×4 keypad centred on `mid` between `top` and `bottom`: 1–9, then 訂正, 0 (and 次へ on
/// the patient's pad). Keys shrink to fit a short screen but never below the 44 px touch
/// minimum.
fn keypad(
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
        b.scene.push(
            cell(i % 3, i / 3),
            Kind::Button {
                label: Label::Static(DIGIT_LABELS[usize::from(d)]),
                style: key_style,
            },
            action(UiAction::Digit(d)),
        );
    }
    b.scene.push(
        cell(0, 3),
        Kind::Button {
            label: Label::Static(s::KEY_DELETE),
            style: delete_style,
        },
        action(UiAction::DeleteDigit),
    );
    b.scene.push(
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
        b.scene.push(
            cell(2, 3),
            Kind::Button {
                label: Label::Static(s::NEXT),
                style,
            },
            action,
        );
    }
}

/// 暗証番号の入力: tries left before typing, the last-try warning, a large pad. The keys take
/// digits only once the card on the reader has said its tries.
fn pin_entry(b: &mut Builder<'_>, t: &Text, pad: &PinPad) {
    let c = b.content();
    let mid = c.x + c.w / 2;
    // Left column: what to do and what is at stake; right column: the pad.
    let col_w = c.w / 2 - 32;
    let mut y = b.paragraph(t, c.x, c.y, col_w, s::PIN_PROMPT, size::BODY) + 16;
    let (typed, tries, complete) = match pad {
        PinPad::Typing { entry, tries, .. } => (entry.len(), Some(*tries), entry.is_complete()),
        _ => (0, None, false),
    };
    let (status, tone) = match pad {
        PinPad::Typing {
            notice: Some(DigitNotice::WrongPin(n)),
            ..
        } => (
            Label::Owned(SensitiveText::new(s::wrong_pin(*n))),
            Tone::Error,
        ),
        PinPad::Typing { tries, .. } => (
            Label::Owned(SensitiveText::new(s::pin_tries(*tries))),
            Tone::Info,
        ),
        PinPad::AskingTries { .. } => (Label::Static(s::PIN_ASKING_TRIES), Tone::Info),
        PinPad::NoCard {
            notice: Some(DigitNotice::CardChanged),
        } => (Label::Static(s::PIN_CARD_CHANGED), Tone::Warning),
        PinPad::NoCard { .. } => (Label::Static(s::PIN_SET_CARD), Tone::Warning),
    };
    let h = band_height(t, status.as_str(), col_w);
    b.scene.push(
        Rect::new(c.x, y, col_w, h),
        Kind::Band { text: status, tone },
        None,
    );
    y += h + 16;
    if tries == Some(1) {
        let h = band_height(t, s::PIN_LAST_TRY, col_w);
        b.scene.push(
            Rect::new(c.x, y, col_w, h),
            Kind::Band {
                text: Label::Static(s::PIN_LAST_TRY),
                tone: Tone::Warning,
            },
            None,
        );
    }
    let pad_mid = mid + c.w / 4;
    b.scene.push(
        Rect::new(pad_mid - 100, c.y - 8, 200, 40),
        Kind::Dots {
            filled: typed as u8,
            total: crate::app::passcode::DIGITS as u8,
        },
        None,
    );
    let bottom = b.keypad_bottom();
    keypad(
        b,
        pad_mid,
        c.y + 44,
        bottom,
        KeyStyle::Patient,
        tries.is_some(),
        complete,
    );
}

// --- 認証選択（目視） ------------------------------------------------------------------------

fn auth_select_visual(b: &mut Builder<'_>, t: &Text) {
    let c = b.content();
    let mut y = b.paragraph(t, c.x, c.y, c.w, s::AUTH_VISUAL_LEAD, size::BODY) + 32;
    y = titled_panel(b, t, y, s::HOW_TO_HEADING, s::HOW_TO_VISUAL, size::HEADING) + 24;
    titled_panel(b, t, y, s::METHOD_HEADING, s::METHOD_VISUAL, size::HEADING);
    b.footer(Some((s::NEXT, UiAction::Next)), None);
}

fn auth_select_pin(b: &mut Builder<'_>, t: &Text) {
    let c = b.content();
    let mut y = b.paragraph(t, c.x, c.y, c.w, s::AUTH_PIN_LEAD, size::BODY) + 16;
    let h = band_height(t, s::PIN_CAUTION, c.w);
    b.scene.push(
        Rect::new(c.x, y, c.w, h),
        Kind::Band {
            text: Label::Static(s::PIN_CAUTION),
            tone: Tone::Warning,
        },
        None,
    );
    y += h + 16;
    y = titled_panel(
        b,
        t,
        y,
        s::SWITCH_TO_VISUAL_HEADING,
        s::SWITCH_TO_VISUAL,
        size::BODY,
    ) + 12;
    titled_panel(b, t, y, s::METHOD_HEADING, s::METHOD_PIN, size::BODY);
    b.footer(Some((s::NEXT, UiAction::Next)), None);
}

/// A grey panel across the content at `y` with a heading (of `heading_size`) and a wrapped
/// body; returns the y below it. Larger headings get more room around them.
fn titled_panel(
    b: &mut Builder<'_>,
    t: &Text,
    y: i32,
    heading: &'static str,
    body: &'static str,
    heading_size: u16,
) -> i32 {
    let c = b.content();
    let inner_w = c.w - 64;
    let pad = if heading_size >= size::HEADING {
        24
    } else {
        16
    };
    let heading_h = line_height(heading_size) - 4;
    let h = pad + heading_h + text_height(t, body, size::BODY, inner_w) + pad;
    b.scene.push(
        Rect::new(c.x, y, c.w, h),
        Kind::Panel {
            fill: theme::PANEL,
            border: None,
        },
        None,
    );
    b.text(
        Rect::new(c.x + 32, y + pad, inner_w, 36),
        Label::Static(heading),
        heading_size,
        theme::TEXT,
        Align::Start,
    );
    b.paragraph(t, c.x + 32, y + pad + heading_h, inner_w, body, size::BODY);
    y + h
}

/// A spinner and what is happening.
fn progress(b: &mut Builder<'_>, status: &'static str) {
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

fn update(b: &mut Builder<'_>, t: &Text, latest: &str, required: bool) {
    let c = b.content();
    let body = SensitiveText::new(s::update_available(latest));
    let h = text_height(t, body.expose(), size::BODY, c.w);
    b.text(
        Rect::new(c.x, c.y, c.w, h),
        Label::Owned(body),
        size::BODY,
        theme::TEXT,
        Align::Start,
    );
    if required {
        let bh = band_height(t, s::UPDATE_REQUIRED, c.w);
        b.scene.push(
            Rect::new(c.x, c.y + h + 24, c.w, bh),
            Kind::Band {
                text: Label::Static(s::UPDATE_REQUIRED),
                tone: Tone::Error,
            },
            None,
        );
        b.footer(Some((s::UPDATE_OPEN, UiAction::OpenDownload)), None);
    } else {
        b.footer(
            Some((s::UPDATE_OPEN, UiAction::OpenDownload)),
            Some((s::LATER, UiAction::Close)),
        );
    }
}

fn notices<'a>(b: &mut Builder<'a>, t: &Text, list: &'a [crate::center::info::Notice]) {
    let c = b.content();
    let mut y = b.paragraph(t, c.x, c.y, c.w, s::NOTICES_LEAD, size::BODY) + 16;
    if list.is_empty() {
        b.text(
            Rect::new(c.x, y, c.w, 40),
            Label::Static(s::NO_NOTICES),
            size::BODY,
            theme::TEXT_SUB,
            Align::Start,
        );
    }
    for (i, n) in list.iter().enumerate() {
        let Ok(index) = u8::try_from(i) else { break };
        if y + ROW_ENTRY_H > c.bottom() {
            break;
        }
        let r = Rect::new(c.x, y, c.w, ROW_ENTRY_H);
        b.scene.push(
            r,
            Kind::Button {
                label: Label::Borrowed(&n.title),
                style: ButtonStyle::Row { selected: !n.read },
            },
            Some(UiAction::OpenNotice(index)),
        );
        b.scene.push(
            Rect::new(r.right() - 120, r.y + 16, 40, 40),
            Kind::Icon(Icon::Link),
            None,
        );
        y += ROW_ENTRY_H + 12;
    }
    b.footer(Some((s::CLOSE, UiAction::Close)), None);
}

/// What a form screen shows besides its fields.
struct FormSpec {
    lead: Option<&'static str>,
    labels: &'static [&'static str],
    required: bool,
    submit: &'static str,
    note: Option<&'static str>,
}

/// Form geometry.
const FIELD_LABEL_W: i32 = 356;
const FIELD_W: i32 = 470;
const FIELD_H: i32 = 52;
const FIELD_PITCH: i32 = 64;
const KEY_PITCH_W: i32 = 72;
const KEY_PITCH_H: i32 = 60;

/// A form: labels with 必須 marks, fields (👁 on masked ones), what is wrong, the submit
/// button, and the on-screen keyboard at the bottom.
#[allow(clippy::too_many_arguments)]
fn form_screen<'a>(b: &mut Builder<'a>, t: &Text, spec: &FormSpec, screen: &'a FormScreen) {
    let FormScreen {
        form,
        layer,
        problem,
        refused,
        busy,
    } = screen;
    let (layer, problem, refused, busy) = (*layer, *problem, refused.as_ref(), *busy);
    let c = b.content();
    let mut y = c.y - 16;
    if let Some(lead) = spec.lead {
        y = b.paragraph(t, c.x, y, c.w, lead, size::LABEL) + 8;
    }
    let field_x = c.x + FIELD_LABEL_W;
    let rows_top = y;
    for (i, label) in spec.labels.iter().enumerate() {
        let Ok(index) = u8::try_from(i) else { break };
        let Some(field) = form.fields.get(i) else {
            break;
        };
        let label_w = FIELD_LABEL_W - if spec.required { 76 } else { 16 };
        let label_h = text_height(t, label, size::LABEL, label_w);
        b.text(
            Rect::new(c.x, y + (FIELD_H - label_h) / 2, label_w, label_h),
            Label::Static(label),
            size::LABEL,
            theme::TEXT,
            Align::Start,
        );
        if spec.required {
            b.scene.push(
                Rect::new(c.x + FIELD_LABEL_W - 68, y + (FIELD_H - 28) / 2, 52, 28),
                Kind::Tag {
                    text: Label::Static(s::REQUIRED),
                },
                None,
            );
        }
        let focused = form.focus == i && !busy;
        b.scene.push(
            Rect::new(field_x, y, FIELD_W, FIELD_H),
            Kind::Field {
                text: Label::Owned(SensitiveText::new(field.display())),
                caret: focused.then(|| field.caret()),
            },
            (!busy).then_some(UiAction::FocusField(index)),
        );
        if field.masked {
            b.scene.push(
                Rect::new(field_x + FIELD_W + 8, y, FIELD_H, FIELD_H),
                Kind::Button {
                    label: Label::Static(s::keyboard::REVEAL),
                    style: ButtonStyle::Icon(Icon::Eye {
                        open: field.revealed,
                    }),
                },
                (!busy).then_some(UiAction::ToggleReveal(index)),
            );
        }
        y += FIELD_PITCH;
    }
    // The submit button beside the first field: always above the keyboard.
    let right_x = field_x + FIELD_W + FIELD_H + 32;
    let right_w = c.right() - right_x;
    let submit_y = rows_top - (theme::BUTTON_H - FIELD_H) / 2;
    if busy {
        b.scene
            .push(Rect::new(right_x, submit_y, 64, 64), Kind::Spinner, None);
    } else {
        b.scene.push(
            Rect::new(
                right_x,
                submit_y,
                right_w.min(button_width(spec.submit)),
                theme::BUTTON_H,
            ),
            Kind::Button {
                label: Label::Static(spec.submit),
                style: ButtonStyle::Primary,
            },
            Some(UiAction::Submit),
        );
    }
    // Below the fields, across the width: the rule or note, then what is wrong.
    let mut y = y + 4;
    if let Some(note) = spec.note {
        y = b.paragraph(t, c.x, y, c.w, note, size::SMALL) + 8;
    }
    let message = match (problem, refused) {
        (Some(p), _) => Some(Label::Owned(SensitiveText::new(form_problem(
            spec.labels,
            p,
        )))),
        (None, Some(CenterError::Rejected { message, .. })) => {
            Some(Label::Borrowed(message.as_str()))
        }
        (None, Some(e)) => Some(Label::Static(s::center_error(e).what)),
        (None, None) => None,
    };
    if let Some(m) = message {
        let h = band_height(t, m.as_str(), c.w);
        b.scene.push(
            Rect::new(c.x, y, c.w, h),
            Kind::Band {
                text: m,
                tone: Tone::Error,
            },
            None,
        );
    }
    if !busy {
        keyboard(b, layer);
    }
}

fn form_problem(labels: &[&str], p: crate::app::FormProblem) -> String {
    use crate::app::FormProblem as F;
    use crate::center::account::{InstitutionCodeError as C, PasswordRuleError as P};
    match p {
        F::Missing(i) => s::missing(labels.get(i).copied().unwrap_or_default()),
        F::Code(C::NotTenDigits) => s::CODE_FORMAT.to_owned(),
        F::Code(C::CheckDigit) => s::CODE_CHECK_DIGIT.to_owned(),
        F::UserId => s::USER_ID_FORMAT.to_owned(),
        F::ActivationCode => s::ACTIVATION_CODE_FORMAT.to_owned(),
        F::Password(P::Length) => s::PASSWORD_LENGTH.to_owned(),
        F::Password(P::ForbiddenCharacter) => s::PASSWORD_CHARACTER.to_owned(),
        F::Password(P::NoUppercase | P::NoLowercase | P::NoDigit | P::NoSymbol) => {
            s::PASSWORD_KINDS.to_owned()
        }
        F::PasswordMismatch => s::PASSWORD_MISMATCH.to_owned(),
    }
}

/// The on-screen keyboard: letters (lower or upper case) or digits and the manual's
/// symbols, with layer keys, 削除 and caret keys. It sits at the bottom of the content area.
fn keyboard(b: &mut Builder<'_>, layer: crate::app::KeyLayer) {
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
        b.scene.push(
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
                &chars[i..i + ch.len_utf8()],
                UiAction::Type(ch),
                ButtonStyle::Key,
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
                &SYMBOLS_LAST[i..i + 1],
                UiAction::Type(ch),
                ButtonStyle::Key,
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

/// A problem and what to do about it (damaged settings, not registered).
fn problem(b: &mut Builder<'_>, t: &Text, what: &'static str, next: &'static str) {
    let c = b.content();
    let h = band_height(t, what, c.w);
    b.scene.push(
        Rect::new(c.x, c.y, c.w, h),
        Kind::Band {
            text: Label::Static(what),
            tone: Tone::Error,
        },
        None,
    );
    b.paragraph(t, c.x, c.y + h + 24, c.w, next, size::BODY);
}

fn terms(b: &mut Builder<'_>, t: &Text) {
    let c = b.content();
    let inner_w = c.w - 64;
    let h = (text_height(t, s::TERMS_TEXT, size::LABEL, inner_w) + 48).min(c.h - 16);
    b.scene.push(
        Rect::new(c.x, c.y, c.w, h),
        Kind::Panel {
            fill: theme::PANEL,
            border: None,
        },
        None,
    );
    b.text(
        Rect::new(c.x + 32, c.y + 24, inner_w, h - 48),
        Label::Static(s::TERMS_TEXT),
        size::LABEL,
        theme::TEXT,
        Align::Start,
    );
    b.footer(Some((s::TERMS_ACCEPT, UiAction::AcceptTerms)), None);
}

fn ask_title(q: Question) -> &'static str {
    match q {
        Question::StartPin => s::AUTH_SELECT_TITLE,
        Question::Deregister | Question::DeregisterAgain => s::DEREGISTER,
        Question::Logout => s::LOGOUT,
    }
}

/// A question in a box with キャンセル and the action.
fn ask(b: &mut Builder<'_>, t: &Text, q: Question) {
    let (body, ok, danger) = match q {
        Question::StartPin => (s::START_PIN_QUESTION, s::OK, false),
        Question::Deregister => (s::DEREGISTER_QUESTION, s::DEREGISTER_BUTTON, true),
        Question::DeregisterAgain => (s::DEREGISTER_AGAIN, s::DEREGISTER_BUTTON, true),
        Question::Logout => (s::LOGOUT_QUESTION, s::LOGOUT_BUTTON, true),
    };
    dialog(
        b,
        t,
        body,
        Some((s::CANCEL, UiAction::Cancel)),
        (ok, UiAction::Ok, danger),
    );
}

fn tell(b: &mut Builder<'_>, t: &Text, m: Message) {
    let body = match m {
        Message::PasscodeRegistered => s::PASSCODE_REGISTERED,
        Message::PasscodeChanged => s::PASSCODE_CHANGED,
        Message::Deregistered => s::DEREGISTERED,
        Message::DeviceUnknown => s::DEVICE_UNKNOWN,
        Message::PasswordChanged => s::PASSWORD_CHANGED,
    };
    dialog(b, t, body, None, (s::OK, UiAction::Ok, false));
}

/// A message box centred on a grey page: the text, then its buttons at the bottom right.
fn dialog(
    b: &mut Builder<'_>,
    t: &Text,
    body: &'static str,
    cancel: Option<(&'static str, UiAction)>,
    ok: (&'static str, UiAction, bool),
) {
    let c = b.content();
    let w = 760.min(c.w);
    let inner_w = w - 96;
    let text_h = text_height(t, body, size::BODY, inner_w);
    let h = 48 + text_h + 40 + theme::BUTTON_H + 40;
    let r = Rect::new(c.x + (c.w - w) / 2, c.y + ((c.h - h) / 2).max(0), w, h);
    b.scene.push(
        Rect::new(0, b.top, b.size.w, b.footer.bottom() - b.top),
        Kind::Panel {
            fill: theme::PANEL,
            border: None,
        },
        None,
    );
    b.scene.push(
        r,
        Kind::Panel {
            fill: theme::PAGE,
            border: Some(theme::BORDER),
        },
        None,
    );
    b.paragraph(t, r.x + 48, r.y + 48, inner_w, body, size::BODY);
    let y = r.bottom() - 40 - theme::BUTTON_H;
    let (label, action, danger) = ok;
    let ok_w = button_width(label);
    let ok_x = r.right() - 48 - ok_w;
    if let Some((label, action)) = cancel {
        let cw = button_width(label);
        b.scene.push(
            Rect::new(ok_x - 24 - cw, y, cw, theme::BUTTON_H),
            Kind::Button {
                label: Label::Static(label),
                style: ButtonStyle::Secondary,
            },
            Some(action),
        );
    }
    let style = if danger {
        ButtonStyle::Danger
    } else {
        ButtonStyle::Primary
    };
    b.scene.push(
        Rect::new(ok_x, y, ok_w, theme::BUTTON_H),
        Kind::Button {
            label: Label::Static(label),
            style,
        },
        Some(action),
    );
}

/// Full-width rows, one per entry.
fn rows(b: &mut Builder<'_>, entries: &[(&'static str, UiAction, bool)]) {
    let c = b.content();
    let mut y = c.y;
    for &(label, action, selected) in entries {
        b.scene.push(
            Rect::new(c.x, y, c.w, ROW_ENTRY_H),
            Kind::Button {
                label: Label::Static(label),
                style: ButtonStyle::Row { selected },
            },
            Some(action),
        );
        y += ROW_ENTRY_H + 12;
    }
}

/// The menu's 🔗 pages, below its first `after` rows.
fn links(b: &mut Builder<'_>, after: i32) {
    let c = b.content();
    let mut y = c.y + after * (ROW_ENTRY_H + 12) + 12;
    for (i, title) in s::MENU_LINKS.iter().enumerate() {
        let Ok(index) = u8::try_from(i) else { break };
        let r = Rect::new(c.x, y, c.w, ROW_ENTRY_H);
        b.scene.push(
            r,
            Kind::Button {
                label: Label::Static(title),
                style: ButtonStyle::Row { selected: false },
            },
            Some(UiAction::OpenLink(index)),
        );
        b.scene.push(
            Rect::new(r.right() - 120, r.y + 16, 40, 40),
            Kind::Icon(Icon::Link),
            None,
        );
        y += ROW_ENTRY_H + 12;
    }
}

/// Height of a list row.
const ROW_ENTRY_H: i32 = 72;

fn reader_select<'a>(b: &mut Builder<'a>, t: &Text, readers: &'a [String], in_use: Option<&str>) {
    let c = b.content();
    let y = b.paragraph(t, c.x, c.y, c.w, s::READER_SELECT_LEAD, size::BODY) + 16;
    if readers.is_empty() {
        let h = band_height(t, s::NO_READERS, c.w);
        b.scene.push(
            Rect::new(c.x, y, c.w, h),
            Kind::Band {
                text: Label::Static(s::NO_READERS),
                tone: Tone::Warning,
            },
            None,
        );
        return;
    }
    let mut y = y;
    for (i, name) in readers.iter().enumerate() {
        let Ok(index) = u8::try_from(i) else { break };
        if y + ROW_ENTRY_H > c.bottom() {
            break;
        }
        let selected = in_use == Some(name.as_str());
        let label = if selected {
            Label::Owned(SensitiveText::new(format!("{name}{}", s::READER_IN_USE)))
        } else {
            Label::Borrowed(name)
        };
        b.scene.push(
            Rect::new(c.x, y, c.w, ROW_ENTRY_H),
            Kind::Button {
                label,
                style: ButtonStyle::Row { selected },
            },
            Some(UiAction::SelectReader(index)),
        );
        y += ROW_ENTRY_H + 12;
    }
}

fn security(b: &mut Builder<'_>, t: &Text, visual: bool) {
    let c = b.content();
    let mut y = c.y;
    // アカウントパスワード設定 first, then ログインパスコード設定 (manual P.10, P.11).
    for (label, item) in [
        (s::ACCOUNT_PASSWORD, MenuItem::AccountPassword),
        (s::CHANGE_PASSCODE, MenuItem::ChangePasscode),
    ] {
        b.scene.push(
            Rect::new(c.x, y, c.w, ROW_ENTRY_H),
            Kind::Button {
                label: Label::Static(label),
                style: ButtonStyle::Row { selected: false },
            },
            Some(UiAction::Menu(item)),
        );
        y += ROW_ENTRY_H + 12;
    }
    // 目視確認で本人認証: label and note left, the switch right.
    let note_h = text_height(t, s::VISUAL_CHECK_NOTE, size::LABEL, c.w - 240);
    let h = (40 + note_h + 16).max(ROW_ENTRY_H);
    b.scene.push(
        Rect::new(c.x, y, c.w, h),
        Kind::Panel {
            fill: theme::PAGE,
            border: Some(theme::RULE),
        },
        None,
    );
    b.text(
        Rect::new(c.x + 24, y + 12, c.w - 240, 32),
        Label::Static(s::VISUAL_CHECK),
        size::BODY,
        theme::TEXT,
        Align::Start,
    );
    b.text(
        Rect::new(c.x + 24, y + 48, c.w - 240, note_h),
        Label::Static(s::VISUAL_CHECK_NOTE),
        size::LABEL,
        theme::TEXT_SUB,
        Align::Start,
    );
    b.scene.push(
        Rect::new(c.right() - 24 - 136, y + (h - 56) / 2, 136, 56),
        Kind::Switch { on: visual },
        Some(UiAction::ToggleVisualCheck),
    );
    y += h + 32;
    for (label, item) in [
        (s::DEREGISTER, MenuItem::Deregister),
        (s::LOGOUT, MenuItem::Logout),
        (s::QUIT, MenuItem::Quit),
    ] {
        let w = button_width(label);
        b.scene.push(
            Rect::new(c.x, y, w, theme::BUTTON_H),
            Kind::Button {
                label: Label::Static(label),
                style: ButtonStyle::Danger,
            },
            Some(UiAction::Menu(item)),
        );
        y += theme::BUTTON_H + 16;
    }
}

// --- マイナンバーカードの読み取り ---------------------------------------------------------------

fn read_card(b: &mut Builder<'_>, phase: ReadView, t: &Text) {
    let c = b.content();
    match phase {
        ReadView::WaitCard => {
            b.paragraph(t, c.x, c.y, c.w, s::READ_PROMPT, size::BODY);
            b.footer(Some((s::READ_BUTTON, UiAction::ReadCard)), None);
        }
        ReadView::Reading | ReadView::Asking => {
            let mid = c.x + c.w / 2;
            b.scene
                .push(Rect::new(mid - 40, c.y + 40, 80, 80), Kind::Spinner, None);
            let status = if phase == ReadView::Reading {
                s::READING_CARD
            } else {
                s::ASKING_CENTER
            };
            b.text(
                Rect::new(c.x, c.y + 148, c.w, 40),
                Label::Static(status),
                size::HEADING,
                theme::TEXT,
                Align::Center,
            );
            b.text(
                Rect::new(c.x, c.y + 204, c.w, 36),
                Label::Static(s::READ_KEEP_CARD),
                size::BODY,
                theme::TEXT_SUB,
                Align::Center,
            );
            b.footer(None, None);
        }
        ReadView::Done => {
            b.scene.push(
                Rect::new(c.x, c.y, c.w, 64),
                Kind::Band {
                    text: Label::Static(s::READ_DONE),
                    tone: Tone::Success,
                },
                None,
            );
            b.paragraph(t, c.x, c.y + 96, c.w, s::READ_DONE_NEXT, size::BODY);
            b.footer(Some((s::NEXT, UiAction::Next)), None);
        }
    }
}

/// The error screen: what happened once, what to do next once, and a main button that can
/// succeed (もう一度読み取る only where reading again can).
fn read_failed<'a>(b: &mut Builder<'a>, failure: &'a Failure, retry: bool, t: &Text) {
    let c = b.content();
    let advice = match failure {
        Failure::Card(e) => s::card_error(e),
        Failure::Center(e) => s::center_error(e),
    };
    b.scene.push(
        Rect::new(c.x, c.y, c.w, 64),
        Kind::Band {
            text: Label::Static(s::ERROR_TITLE),
            tone: Tone::Error,
        },
        None,
    );
    // A code this version does not know has no words of ours: the center's own sentence
    // says what happened (for known codes ours do, once).
    let y = match failure {
        Failure::Center(CenterError::Rejected {
            code: crate::center::wire::ErrorCode::Unknown(_),
            message,
        }) => {
            let h = text_height(t, message, size::BODY, c.w);
            b.text(
                Rect::new(c.x, c.y + 96, c.w, h),
                Label::Borrowed(message),
                size::BODY,
                theme::TEXT,
                Align::Start,
            );
            c.y + 96 + h + 16
        }
        _ => b.paragraph(t, c.x, c.y + 96, c.w, advice.what, size::BODY) + 16,
    };
    b.paragraph(t, c.x, y, c.w, advice.next, size::BODY);
    if retry {
        b.footer(
            Some((s::RETRY, UiAction::Retry)),
            Some((s::TO_AUTH_SELECT, UiAction::Back)),
        );
    } else {
        b.footer(Some((s::TO_AUTH_SELECT, UiAction::Back)), None);
    }
}

// --- 資格確認結果 ------------------------------------------------------------------------------

/// Result table geometry.
const ROW_H: i32 = 44;
const LABEL_W: i32 = 210;
const COLUMN_GAP: i32 = 48;

/// One line of the result table: a label and its value, or a section heading.
enum Line<'a> {
    Row(&'static str, Label<'a>),
    Section(&'static str),
}

fn result<'a>(b: &mut Builder<'a>, outcome: &'a CheckOutcome, page: usize, t: &Text) {
    let c = b.content();
    let mut y = c.y - 8;
    for (body, tone) in bands(outcome) {
        let h = band_height(t, body, c.w);
        b.scene.push(
            Rect::new(c.x, y, c.w, h),
            Kind::Band {
                text: Label::Static(body),
                tone,
            },
            None,
        );
        y += h + 12;
    }
    b.text(
        Rect::new(c.x, y, c.w / 2, 40),
        Label::Static(s::QUALIFICATION_INFO),
        size::HEADING,
        theme::TEXT,
        Align::Start,
    );
    b.text(
        Rect::new(c.x + c.w / 2, y + 4, c.w / 2, 36),
        Label::Owned(s::confirmation_date(&outcome.confirmation_date)),
        size::BODY,
        theme::TEXT,
        Align::End,
    );
    y += 48;
    b.scene.push(
        Rect::new(c.x, y, c.w, 2),
        Kind::Rule {
            color: theme::BORDER,
        },
        None,
    );
    y += 4;

    let mut paging = None;
    if let Some(q) = &outcome.qualification {
        // Newspaper flow: fill the left column, then the right one; pages when even that
        // does not fit, so no field is ever cut off.
        let col_w = (c.w - COLUMN_GAP) / 2;
        let per_column = ((c.bottom() - y) / ROW_H).max(1) as usize;
        let per_page = 2 * per_column;
        let all = lines(q);
        let pages = all.len().div_ceil(per_page).max(1);
        let page = page.min(pages - 1);
        for (i, line) in all
            .into_iter()
            .skip(page * per_page)
            .take(per_page)
            .enumerate()
        {
            let (col, row) = ((i / per_column) as i32, (i % per_column) as i32);
            let x = c.x + col * (col_w + COLUMN_GAP);
            let r = Rect::new(x, y + row * ROW_H, col_w, ROW_H);
            match line {
                Line::Row(label, value) => {
                    b.text(
                        Rect::new(r.x + 8, r.y + 10, LABEL_W, 28),
                        Label::Static(label),
                        size::LABEL,
                        theme::TEXT_SUB,
                        Align::Start,
                    );
                    b.text(
                        Rect::new(r.x + LABEL_W, r.y + 6, r.w - LABEL_W, 36),
                        value,
                        size::VALUE,
                        theme::TEXT,
                        Align::Start,
                    );
                }
                Line::Section(title) => {
                    // A heading, not a link: the text colour on a neutral panel.
                    b.scene.push(
                        Rect::new(r.x, r.y + 4, r.w, r.h - 8),
                        Kind::Panel {
                            fill: theme::PANEL,
                            border: None,
                        },
                        None,
                    );
                    b.text(
                        Rect::new(r.x + 8, r.y + 8, r.w - 16, 32),
                        Label::Static(title),
                        size::BODY,
                        theme::TEXT,
                        Align::Start,
                    );
                }
            }
            b.scene.push(
                Rect::new(r.x, r.bottom() - 1, r.w, 1),
                Kind::Rule { color: theme::RULE },
                None,
            );
        }
        if pages > 1 {
            paging = Some((page, pages));
        }
    }
    match paging {
        Some((page, pages)) => result_pager(b, page, pages),
        // The manual's note: a closed result needs a new read (P.17).
        None => b.text(
            Rect::new(
                theme::MARGIN,
                b.footer.y + 20,
                c.w - button_width(s::CLOSE) - 48,
                64,
            ),
            Label::Static(s::RESULT_CLOSE_NOTE),
            size::SMALL,
            theme::TEXT_SUB,
            Align::Start,
        ),
    }
    b.footer(Some((s::CLOSE, UiAction::Close)), None);
}

/// 前のページ / 次のページ at the left of the footer, with where we are between them.
fn result_pager(b: &mut Builder<'_>, page: usize, pages: usize) {
    let y = b.footer.y + (theme::FOOTER_H - theme::BUTTON_H) / 2;
    let w = button_width(s::PREV_PAGE);
    let mut x = theme::MARGIN;
    if page > 0 {
        b.scene.push(
            Rect::new(x, y, w, theme::BUTTON_H),
            Kind::Button {
                label: Label::Static(s::PREV_PAGE),
                style: ButtonStyle::Secondary,
            },
            Some(UiAction::PrevPage),
        );
    }
    x += w + 16;
    b.text(
        Rect::new(x, y, 160, theme::BUTTON_H),
        Label::Owned(SensitiveText::new(s::page_of(page + 1, pages))),
        size::BODY,
        theme::TEXT,
        Align::Center,
    );
    x += 160 + 16;
    if page + 1 < pages {
        b.scene.push(
            Rect::new(x, y, w, theme::BUTTON_H),
            Kind::Button {
                label: Label::Static(s::NEXT_PAGE),
                style: ButtonStyle::Secondary,
            },
            Some(UiAction::NextPage),
        );
    }
}

/// Height of a status band holding `body` across `width` (the mark takes 68 px of it).
pub fn band_height(t: &Text, body: &str, width: i32) -> i32 {
    (text_height(t, body, size::BODY, width - BAND_TEXT_INSET - 16) + 16).max(56)
}

/// Where a band's text starts, after its mark.
pub const BAND_TEXT_INSET: i32 = 68;

/// The status bands above the table (several may show at once).
fn bands(o: &CheckOutcome) -> Vec<(&'static str, Tone)> {
    let mut out = Vec::new();
    let valid = matches!(o.validity, Validity::Valid | Validity::ValidUnregistered);
    if o.is_medical_assistance() {
        let text = if valid {
            s::MEDICAL_ASSISTANCE
        } else {
            s::MEDICAL_ASSISTANCE_ONLY
        };
        out.push((text, Tone::Info));
    }
    match o.validity {
        Validity::NoQualification => out.push((s::NO_QUALIFICATION, Tone::Error)),
        Validity::Invalid | Validity::InvalidNewerExists => out.push((s::INVALID, Tone::Error)),
        Validity::MultipleMatches => out.push((s::MULTIPLE_MATCHES, Tone::Warning)),
        Validity::Valid | Validity::ValidUnregistered => {}
    }
    if o.is_preschool() {
        out.push((s::PRESCHOOL, Tone::Info));
    }
    if o.cert_expiring {
        out.push((s::CERT_EXPIRING, Tone::Warning));
    }
    out
}

/// Patient text, borrowed from where it lives.
fn text(t: &SensitiveText) -> Label<'_> {
    Label::Borrowed(t.expose())
}

/// 枝番 as the manual shows it (「枝番 2」): the center's two digits (`"02"`) without the
/// leading zero; the data keeps the center's form. Anything but ASCII digits is shown as
/// given.
fn branch_as_shown(branch: &str) -> &str {
    if branch.is_empty() || !branch.bytes().all(|b| b.is_ascii_digit()) {
        return branch;
    }
    match branch.trim_start_matches('0') {
        "" => "0",
        rest => rest,
    }
}

/// The table lines of one qualification, in the manual's order (p.21).
fn lines(q: &Qualification) -> Vec<Line<'_>> {
    use s::field as f;
    let mut v = Vec::new();
    v.push(Line::Row(f::INSURER_NUMBER, text(&q.insurer_number)));
    v.push(Line::Row(f::INSURER_NAME, text(&q.insurer_name)));
    if let Some(symbol) = &q.symbol {
        v.push(Line::Row(f::SYMBOL, text(symbol)));
    }
    let number = match &q.branch {
        Some(branch) => Label::Owned(SensitiveText::new(format!(
            "{}　{} {}",
            q.number.expose(),
            f::BRANCH,
            branch_as_shown(branch.expose())
        ))),
        None => text(&q.number),
    };
    v.push(Line::Row(f::NUMBER, number));
    v.push(Line::Row(f::KANA, text(&q.name_kana)));
    v.push(Line::Row(f::NAME, text(&q.name)));
    v.push(Line::Row(
        f::BIRTHDATE,
        Label::Owned(s::date_text(&q.birthdate)),
    ));
    v.push(Line::Row(f::SEX, Label::Static(s::sex(q.sex))));
    v.push(Line::Row(
        f::CLASSIFICATION,
        Label::Static(s::classification(q.card_classification)),
    ));
    if let Some(d) = &q.valid_from {
        v.push(Line::Row(f::VALID_FROM, Label::Owned(s::date_text(d))));
    }
    if let Some(d) = &q.valid_until {
        v.push(Line::Row(f::VALID_UNTIL, Label::Owned(s::date_text(d))));
    }
    if let Some(d) = &q.qualified_on {
        v.push(Line::Row(f::QUALIFIED_ON, Label::Owned(s::date_text(d))));
    }
    if let Some(r) = q.ratio {
        v.push(Line::Row(f::RATIO, Label::Owned(s::ratio(r))));
    }
    if let Some(r) = q.relation {
        v.push(Line::Row(f::RELATION, Label::Static(s::relation(r))));
    }
    if let Some(n) = &q.insured_name {
        v.push(Line::Row(f::INSURED_NAME, text(n)));
    }
    if let Some(back) = &q.back {
        v.push(Line::Section(s::BACK_SIDE));
        if let Some(k) = &back.name_kana {
            v.push(Line::Row(f::BACK_KANA, text(k)));
        }
        if let Some(n) = &back.name {
            v.push(Line::Row(f::NAME, text(n)));
        }
        if let Some(x) = back.sex {
            v.push(Line::Row(f::SEX, Label::Static(s::sex(x))));
        }
    }
    if let Some(e) = &q.elderly {
        v.push(Line::Section(s::ELDERLY));
        if let Some(d) = &e.valid_from {
            v.push(Line::Row(f::VALID_FROM, Label::Owned(s::date_text(d))));
        }
        if let Some(d) = &e.valid_until {
            v.push(Line::Row(f::VALID_UNTIL, Label::Owned(s::date_text(d))));
        }
        v.push(Line::Row(f::RATIO, Label::Owned(s::ratio(e.ratio))));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::branch_as_shown;

    #[test]
    fn the_branch_number_shows_as_the_manual_does() {
        assert_eq!(branch_as_shown("02"), "2");
        assert_eq!(branch_as_shown("10"), "10");
        assert_eq!(branch_as_shown("00"), "0");
        assert_eq!(branch_as_shown("０２"), "０２", "全角 is shown as given");
        assert_eq!(branch_as_shown(""), "");
    }
}
