//! The check: 認証選択, reading the card, its errors, and 資格確認結果.

use crate::app::{Failure, ReadView, UiAction};
use crate::center::model::{CheckOutcome, Qualification, Validity};
use crate::center::CenterError;
use crate::sensitive::SensitiveText;

use super::super::strings as s;
use super::super::text::Text;
use super::super::theme::{self, size};
use super::super::{Align, ButtonStyle, Kind, Label, Rect, Tone};
use super::template::{band_height, button_width, line_height, text_height, Builder};

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
pub(super) const ROW_H: i32 = 44;
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
                c.w - button_width(s::CLOSE) - button_width(s::COPY) - 72,
                64,
            ),
            Label::Static(s::RESULT_CLOSE_NOTE),
            size::SMALL,
            theme::TEXT_SUB,
            Align::Start,
        ),
    }
    b.footer(
        Some((s::CLOSE, UiAction::Close)),
        Some((s::COPY, UiAction::Copy)),
    );
}

/// 前のページ / 次のページ at the left of the footer, with where we are between them.
pub(super) fn result_pager(b: &mut Builder<'_>, page: usize, pages: usize) {
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
