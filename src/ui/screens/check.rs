//! The check: 認証選択, reading the card, its errors, and 資格確認結果.

use crate::app::{Failure, ReadView, UiAction};
use crate::center::model::{CheckOutcome, Qualification, Validity};
use crate::center::CenterError;
use crate::sensitive::SensitiveText;

use super::super::strings as s;
use super::super::text::Text;
use super::super::theme::{self, size};
use super::super::{Align, ButtonStyle, Kind, Label, Rect, Tone};
use super::template::{band_height, button_width, line_height, progress, text_height, Builder};

pub(super) fn auth_select_visual(b: &mut Builder<'_>, t: &Text) {
    let c = b.content();
    let mut y = b.paragraph(t, c.x, c.y, c.w, s::AUTH_VISUAL_LEAD, size::BODY) + 32;
    y = titled_panel(b, t, y, s::HOW_TO_HEADING, s::HOW_TO_VISUAL, size::HEADING) + 24;
    titled_panel(b, t, y, s::METHOD_HEADING, s::METHOD_VISUAL, size::HEADING);
    b.footer(Some((s::NEXT, UiAction::Next)), None);
}

pub(super) fn auth_select_pin(b: &mut Builder<'_>, t: &Text) {
    let c = b.content();
    let mut y = b.paragraph(t, c.x, c.y, c.w, s::AUTH_PIN_LEAD, size::BODY) + 16;
    let h = b.band(t, c.x, y, c.w, Label::Static(s::PIN_CAUTION), Tone::Warning);
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
pub(super) fn titled_panel(
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

pub(super) fn read_card(b: &mut Builder<'_>, phase: ReadView, t: &Text) {
    let c = b.content();
    match phase {
        ReadView::WaitCard => {
            b.paragraph(t, c.x, c.y, c.w, s::READ_PROMPT, size::BODY);
            b.footer(Some((s::READ_BUTTON, UiAction::ReadCard)), None);
        }
        ReadView::Reading | ReadView::Asking => {
            let status = if phase == ReadView::Reading {
                s::READING_CARD
            } else {
                s::ASKING_CENTER
            };
            progress(b, status);
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
pub(super) fn read_failed<'a>(b: &mut Builder<'a>, failure: &'a Failure, retry: bool, t: &Text) {
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
pub(super) const ROW_H: i32 = 40;
pub(super) const LABEL_W: i32 = 210;
pub(super) const COLUMN_GAP: i32 = 48;

/// One line of the result table: a label and its value, or a section heading.
pub(super) enum Line<'a> {
    Row(&'static str, Label<'a>),
    Section(&'static str),
}

pub(super) fn result<'a>(
    b: &mut Builder<'a>,
    outcome: &'a CheckOutcome,
    extra: Vec<(&'static str, Tone)>,
    page: usize,
    t: &Text,
) {
    let c = b.content();
    let mut y = c.y - 8;
    for (body, tone) in bands(outcome).into_iter().chain(extra) {
        let h = band_height(t, body, c.w);
        b.scene.push(
            Rect::new(c.x, y, c.w, h),
            Kind::Band {
                text: Label::Static(body),
                tone,
            },
            None,
        );
        y += h + 8;
    }
    b.text(
        Rect::new(c.x, y, c.w / 2, 40),
        Label::Static(s::QUALIFICATION_INFO),
        size::HEADING,
        theme::TEXT,
        Align::Start,
    );
    b.text(
        Rect::new(c.x + c.w / 2, y + 2, c.w / 2, 36),
        Label::Owned(s::confirmation_date(&outcome.confirmation_date)),
        size::BODY,
        theme::TEXT,
        Align::End,
    );
    y += 42;
    b.scene.push(
        Rect::new(c.x, y, c.w, 2),
        Kind::Rule {
            color: theme::BORDER,
        },
        None,
    );
    y += 4;

    if let Some(q) = &outcome.qualification {
        let all = lines(q);
        let plan = ResultPages::plan(all.len(), c.bottom() - y);
        let page = page.min(plan.pages - 1);
        let (from, to) = plan.range(page);
        // Newspaper flow: fill the left column, then the right one.
        let col_w = (c.w - COLUMN_GAP) / 2;
        for (i, line) in all.into_iter().skip(from).take(to - from).enumerate() {
            let (col, row) = ((i / plan.per_column) as i32, (i % plan.per_column) as i32);
            let x = c.x + col * (col_w + COLUMN_GAP);
            table_line(b, Rect::new(x, y + row * ROW_H, col_w, ROW_H), line);
        }
        if plan.pages > 1 {
            result_pager(b, page, plan.pages);
        }
    }
    // The manual's note: a closed result needs a new read (P.17); on every page.
    b.text(
        Rect::new(
            theme::MARGIN,
            b.footer.y + 20,
            c.w - button_width(s::CLOSE) - button_width(s::COPY) - 72,
            64,
        ),
        Label::Static(s::RESULT_CLOSE_NOTE),
        size::SMALL,
        theme::TEXT_SUB,
        Align::Start,
    );
    b.footer(
        Some((s::CLOSE, UiAction::Close)),
        Some((s::COPY, UiAction::Copy)),
    );
}

/// One line of the table in `r`: a label and its value, or a section heading.
fn table_line<'a>(b: &mut Builder<'a>, r: Rect, line: Line<'a>) {
    match line {
        Line::Row(label, value) => {
            b.text(
                Rect::new(r.x + 8, r.y + 8, LABEL_W - 8, 28),
                Label::Static(label),
                size::LABEL,
                theme::TEXT_SUB,
                Align::Start,
            );
            b.text(
                Rect::new(r.x + LABEL_W, r.y + 2, r.w - LABEL_W, 36),
                value,
                size::VALUE,
                theme::TEXT,
                Align::Start,
            );
        }
        Line::Section(title) => {
            // A heading, not a link: the text colour on a neutral panel.
            b.scene.push(
                Rect::new(r.x, r.y + 3, r.w, r.h - 6),
                Kind::Panel {
                    fill: theme::PANEL,
                    border: None,
                },
                None,
            );
            b.text(
                Rect::new(r.x + 8, r.y + 4, r.w - 16, 32),
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

/// How the result table is split: one page in two columns when it fits; else pages of
/// nearly equal size (so none is left with a line or two), the pager taking the bottom of
/// the table's area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultPages {
    /// Lines in all.
    pub lines: usize,
    /// Lines in one column.
    pub per_column: usize,
    /// Pages.
    pub pages: usize,
}

impl ResultPages {
    /// The split of `lines` table lines over a table area `height` px high.
    pub fn plan(lines: usize, height: i32) -> Self {
        let rows = |h: i32| usize::try_from(h / ROW_H).unwrap_or(0).max(1);
        let per_column = rows(height);
        if lines <= 2 * per_column {
            return Self {
                lines,
                per_column,
                pages: 1,
            };
        }
        let per_column = rows(height - PAGER_H);
        let pages = lines.div_ceil(2 * per_column).max(1);
        Self {
            lines,
            per_column,
            pages,
        }
    }

    /// The lines `[from, to)` page `page` shows: pages differ by one line at most.
    pub fn range(&self, page: usize) -> (usize, usize) {
        let page = page.min(self.pages - 1);
        (
            page * self.lines / self.pages,
            (page + 1) * self.lines / self.pages,
        )
    }
}

/// Height the pager takes at the bottom of the table's area.
const PAGER_H: i32 = theme::BUTTON_H + 16;

/// 前のページ, where we are, 次のページ at the bottom of the table: both buttons always in
/// place (the one that cannot be used is drawn disabled), so nothing moves between pages.
pub(super) fn result_pager(b: &mut Builder<'_>, page: usize, pages: usize) {
    let c = b.content();
    let y = c.bottom() - theme::BUTTON_H;
    let w = button_width(s::PREV_PAGE);
    let label_w = 200;
    let mut x = c.x + (c.w - 2 * w - label_w - 32) / 2;
    let button = |b: &mut Builder<'_>, x: i32, label: &'static str, action: UiAction, can: bool| {
        b.scene.push(
            Rect::new(x, y, w, theme::BUTTON_H),
            Kind::Button {
                label: Label::Static(label),
                style: if can {
                    ButtonStyle::Secondary
                } else {
                    ButtonStyle::Disabled
                },
            },
            can.then_some(action),
        );
    };
    button(b, x, s::PREV_PAGE, UiAction::PrevPage, page > 0);
    x += w + 16;
    b.text(
        Rect::new(x, y, label_w, theme::BUTTON_H),
        Label::Owned(SensitiveText::new(s::page_of(page + 1, pages))),
        size::BODY,
        theme::TEXT,
        Align::Center,
    );
    x += label_w + 16;
    button(b, x, s::NEXT_PAGE, UiAction::NextPage, page + 1 < pages);
}

/// The status bands above the table (several may show at once).
pub(super) fn bands(o: &CheckOutcome) -> Vec<(&'static str, Tone)> {
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
pub(super) fn text(t: &SensitiveText) -> Label<'_> {
    Label::Borrowed(t.expose())
}

/// 枝番 as the manual shows it (「枝番 2」): the center's two digits (`"02"`) without the
/// leading zero; the data keeps the center's form. Anything but ASCII digits is shown as
/// given.
pub(super) fn branch_as_shown(branch: &str) -> &str {
    if branch.is_empty() || !branch.bytes().all(|b| b.is_ascii_digit()) {
        return branch;
    }
    match branch.trim_start_matches('0') {
        "" => "0",
        rest => rest,
    }
}

/// The table lines of one qualification, in the manual's order (p.21).
pub(super) fn lines(q: &Qualification) -> Vec<Line<'_>> {
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
