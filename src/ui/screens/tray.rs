//! The demo tray: virtual cards to put on and take off the reader (demo build).

use crate::app::{DemoTray, UiAction};
use crate::sensitive::SensitiveText;

use super::super::strings as s;
use super::super::theme::{self, size};
use super::super::{Align, ButtonStyle, Group, Kind, Label, Rect, Scene};

/// Tray geometry.
pub(super) const TRAY_LABEL_W: i32 = 150;
pub(super) const TRAY_CARD_W: i32 = 176;
pub(super) const TRAY_ARROW_W: i32 = 56;

/// The demo tray: as many cards as fit, ＜ ＞ to page through the rest. Each card shows
/// its holder and what it demonstrates (or that it is on the reader).
pub(super) fn demo_tray<'a>(scene: &mut Scene<'a>, tray: &'a DemoTray, area: Rect) {
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
        scene.push_in(
            Group::Tray,
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
        scene.push_in(
            Group::Tray,
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
