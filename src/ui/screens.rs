//! Screens: the app's state in, a [`Scene`] out. One template (デモ ribbon, header, content,
//! footer with the primary action at the bottom right, demo tray) serves every screen.

use crate::app::{App, DemoTray, Failure, PasscodeNotice, ReadPhase, State, UiAction};
use crate::center::model::{CheckOutcome, Qualification, Validity};
use crate::center::CenterError;
use crate::sensitive::SensitiveText;

use super::strings as s;
use super::text::Text;
use super::theme::{self, size};
use super::{Align, ButtonStyle, Kind, Label, Rect, Scene, Tone};

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
    let mut b = Builder::new(size, app.demo());
    match app.state() {
        State::EnterPasscode { entry, notice } => {
            b.header(s::PASSCODE_TITLE, false);
            passcode(&mut b, entry.len(), *notice, text);
        }
        State::SelectAuthVisual => {
            b.header(s::AUTH_SELECT_TITLE, false);
            auth_select_visual(&mut b, text);
        }
        State::ReadCard(phase) => {
            b.header(s::READ_TITLE, matches!(phase, ReadPhase::WaitCard));
            read_card(&mut b, phase, text);
        }
        State::ReadFailed(failure) => {
            b.header(s::READ_TITLE, false);
            read_failed(&mut b, failure, text);
        }
        State::ShowResult { outcome, page } => {
            b.header(s::RESULT_TITLE, false);
            result(&mut b, outcome, usize::from(*page), text);
        }
    }
    b.finish()
}

/// Lays out the template and collects widgets.
struct Builder<'a> {
    scene: Scene<'a>,
    size: Size,
    top: i32,
    footer: Rect,
    tray: Option<(&'a DemoTray, Rect)>,
}

impl<'a> Builder<'a> {
    fn new(size: Size, demo: Option<&'a DemoTray>) -> Self {
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
            scene.push(
                ribbon.inset(8),
                Kind::Text {
                    text: Label::Owned(SensitiveText::new(s::demo_ribbon(demo.setup.passcode))),
                    size: size::SMALL,
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

    fn finish(mut self) -> Scene<'a> {
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
            self.text(
                Rect::new(theme::MARGIN, area.y + 30, 330, 28),
                Label::Static(s::DEMO_TRAY),
                size::SMALL,
                theme::TEXT_SUB,
                Align::Start,
            );
            let mut x = theme::MARGIN + 560;
            for (i, holder) in tray.setup.cards.iter().enumerate() {
                let Ok(index) = u8::try_from(i) else { break };
                let r = Rect::new(x, area.y + 12, 200, area.h - 24);
                // Only the cards that fit are drawn (a control off screen cannot be touched).
                if r.right() > area.right() {
                    break;
                }
                self.scene.push(
                    r,
                    Kind::Button {
                        label: Label::Static(holder),
                        style: ButtonStyle::TrayCard {
                            placed: tray.placed == Some(index),
                        },
                    },
                    Some(UiAction::DemoToggleCard(index)),
                );
                x += r.w + 16;
            }
        }
        self.scene
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

// --- パスコード入力 ---------------------------------------------------------------------------

/// Keypad geometry: keys, gaps.
const KEY_W: i32 = 120;
const KEY_H: i32 = 80;
const KEY_GAP: i32 = 12;

fn passcode(b: &mut Builder<'_>, typed: usize, notice: Option<PasscodeNotice>, t: &Text) {
    let c = b.content();
    let mid = c.x + c.w / 2;
    b.text(
        Rect::new(c.x, c.y, c.w, 36),
        Label::Static(s::PASSCODE_PROMPT),
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
    if notice == Some(PasscodeNotice::Wrong) {
        let w = t.width(s::PASSCODE_WRONG, size::LABEL) + 80;
        b.scene.push(
            Rect::new(mid - w / 2, c.y + 96, w, 40),
            Kind::Band {
                text: Label::Static(s::PASSCODE_WRONG),
                tone: Tone::Error,
            },
            None,
        );
    }
    // No footer on this screen: the keypad may use its band too.
    let bottom = b.footer.bottom() - 16;
    keypad(b, mid, c.y + 148, bottom);
}

/// A 3×4 keypad centred on `mid` between `top` and `bottom`: 1–9, then 訂正, 0.
/// Keys shrink to fit a short screen but never below the 44 px touch minimum.
fn keypad(b: &mut Builder<'_>, mid: i32, top: i32, bottom: i32) {
    const DIGIT_LABELS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    let key_h = ((bottom - top - 3 * KEY_GAP) / 4).clamp(44, KEY_H);
    let left = mid - (3 * KEY_W + 2 * KEY_GAP) / 2;
    let cell = |col: i32, row: i32| {
        Rect::new(
            left + col * (KEY_W + KEY_GAP),
            top + row * (key_h + KEY_GAP),
            KEY_W,
            key_h,
        )
    };
    for d in 1u8..=9 {
        let i = i32::from(d - 1);
        b.scene.push(
            cell(i % 3, i / 3),
            Kind::Button {
                label: Label::Static(DIGIT_LABELS[usize::from(d)]),
                style: ButtonStyle::Key,
            },
            Some(UiAction::Digit(d)),
        );
    }
    b.scene.push(
        cell(0, 3),
        Kind::Button {
            label: Label::Static(s::KEY_DELETE),
            style: ButtonStyle::Secondary,
        },
        Some(UiAction::DeleteDigit),
    );
    b.scene.push(
        cell(1, 3),
        Kind::Button {
            label: Label::Static(DIGIT_LABELS[0]),
            style: ButtonStyle::Key,
        },
        Some(UiAction::Digit(0)),
    );
}

// --- 認証選択（目視） ------------------------------------------------------------------------

fn auth_select_visual(b: &mut Builder<'_>, t: &Text) {
    let c = b.content();
    let mut y = b.paragraph(t, c.x, c.y, c.w, s::AUTH_VISUAL_LEAD, size::BODY) + 32;
    for (heading, body) in [
        (s::HOW_TO_HEADING, s::HOW_TO_VISUAL),
        (s::METHOD_HEADING, s::METHOD_VISUAL),
    ] {
        let inner_w = c.w - 64;
        let h = 32 + 44 + text_height(t, body, size::BODY, inner_w) + 24;
        b.scene.push(
            Rect::new(c.x, y, c.w, h),
            Kind::Panel {
                fill: theme::PANEL,
                border: None,
            },
            None,
        );
        b.text(
            Rect::new(c.x + 32, y + 24, inner_w, 36),
            Label::Static(heading),
            size::HEADING,
            theme::TEXT,
            Align::Start,
        );
        b.paragraph(t, c.x + 32, y + 24 + 48, inner_w, body, size::BODY);
        y += h + 24;
    }
    b.footer(Some((s::NEXT, UiAction::Next)), None);
}

// --- マイナンバーカードの読み取り ---------------------------------------------------------------

fn read_card(b: &mut Builder<'_>, phase: &ReadPhase, t: &Text) {
    let c = b.content();
    match phase {
        ReadPhase::WaitCard => {
            b.paragraph(t, c.x, c.y, c.w, s::READ_PROMPT, size::BODY);
            b.footer(Some((s::READ_BUTTON, UiAction::ReadCard)), None);
        }
        ReadPhase::Reading | ReadPhase::AskingCenter => {
            let mid = c.x + c.w / 2;
            b.scene
                .push(Rect::new(mid - 40, c.y + 40, 80, 80), Kind::Spinner, None);
            let status = if matches!(phase, ReadPhase::Reading) {
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
        ReadPhase::Done(_) => {
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

fn read_failed<'a>(b: &mut Builder<'a>, failure: &'a Failure, t: &Text) {
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
    let mut y = b.paragraph(t, c.x, c.y + 96, c.w, advice.what, size::BODY) + 16;
    if let Failure::Center(CenterError::Rejected { message, .. }) = failure {
        let h = text_height(t, message, size::BODY, c.w);
        b.text(
            Rect::new(c.x, y, c.w, h),
            Label::Borrowed(message),
            size::BODY,
            theme::TEXT,
            Align::Start,
        );
        y += h + 16;
    }
    b.paragraph(t, c.x, y, c.w, advice.next, size::BODY);
    b.footer(
        Some((s::RETRY, UiAction::Retry)),
        Some((s::TO_AUTH_SELECT, UiAction::Back)),
    );
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
                    b.scene.push(
                        Rect::new(r.x, r.y + 4, r.w, r.h - 8),
                        Kind::Panel {
                            fill: theme::TINT,
                            border: None,
                        },
                        None,
                    );
                    b.text(
                        Rect::new(r.x + 8, r.y + 8, r.w - 16, 32),
                        Label::Static(title),
                        size::BODY,
                        theme::LINK,
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
    if let Some((page, pages)) = paging {
        result_pager(b, page, pages);
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
        Validity::Invalid | Validity::InvalidNewerExists | Validity::MultipleMatches => {
            out.push((s::INVALID, Tone::Error))
        }
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
            branch.expose()
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
