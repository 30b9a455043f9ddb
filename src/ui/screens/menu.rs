//! Menu and settings: メニュー, お知らせ, カードリーダー選択, セキュリティ設定.

use crate::app::{MenuItem, UiAction};
use crate::sensitive::SensitiveText;

use super::super::strings as s;
use super::super::text::Text;
use super::super::theme::{self, size};
use super::super::{Align, ButtonStyle, Group, Icon, Kind, Label, Rect, Tone};
use super::template::{button_width, text_height, Builder};

pub(super) fn notices<'a>(b: &mut Builder<'a>, t: &Text, list: &'a [crate::center::info::Notice]) {
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
        b.scene.push_in(
            Group::List,
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

/// Full-width rows, one per entry.
pub(super) fn rows(b: &mut Builder<'_>, entries: &[(&'static str, UiAction, bool)]) {
    let c = b.content();
    let mut y = c.y;
    for &(label, action, selected) in entries {
        b.scene.push_in(
            Group::List,
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
pub(super) fn links(b: &mut Builder<'_>, after: i32) {
    let c = b.content();
    let mut y = c.y + after * (ROW_ENTRY_H + 12) + 12;
    for (i, title) in s::MENU_LINKS.iter().enumerate() {
        let Ok(index) = u8::try_from(i) else { break };
        let r = Rect::new(c.x, y, c.w, ROW_ENTRY_H);
        b.scene.push_in(
            Group::List,
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
pub(super) const ROW_ENTRY_H: i32 = 72;

pub(super) fn reader_select<'a>(
    b: &mut Builder<'a>,
    t: &Text,
    readers: &'a [String],
    in_use: Option<&str>,
) {
    let c = b.content();
    let y = b.paragraph(t, c.x, c.y, c.w, s::READER_SELECT_LEAD, size::BODY) + 16;
    if readers.is_empty() {
        b.band(t, c.x, y, c.w, Label::Static(s::NO_READERS), Tone::Warning);
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
        b.scene.push_in(
            Group::List,
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

pub(super) fn security(b: &mut Builder<'_>, t: &Text, visual: bool) {
    let c = b.content();
    let mut y = c.y;
    // アカウントパスワード設定 first, then ログインパスコード設定 (manual P.10, P.11).
    for (label, item) in [
        (s::ACCOUNT_PASSWORD, MenuItem::AccountPassword),
        (s::CHANGE_PASSCODE, MenuItem::ChangePasscode),
    ] {
        b.scene.push_in(
            Group::List,
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
