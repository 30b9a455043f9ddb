//! Layout at every supported window and scale: every screen of the demo tour, in the demo's
//! chrome and in the production kiosk's, is laid out for windows of 100 % to 200 % and
//! checked against what the painter will draw: no text runs out of its box (a label cut
//! off, a line under the next control), no control leaves the window, and 資格確認結果 fits one
//! page in the kiosk (and at 1280×800 in the demo); where a result pages, no page has fewer
//! than three rows, the 再読取 note is on every page and the pager stays in place.
#![cfg(feature = "demo")]

use myna_kakunin::app::UiAction;
use myna_kakunin::card::virtual_card::demo_cards;
use myna_kakunin::shell::demo;
use myna_kakunin::shell::headless::{demo_tour, Session, SCREENSHOT_TIME};
use myna_kakunin::ui::render::{band_box, field_scroll, label_boxes, TextBox, FIELD_PAD};
use myna_kakunin::ui::screens::{kiosk_view, layout, line_height, view, Size};
use myna_kakunin::ui::strings as s;
use myna_kakunin::ui::text::Text;
use myna_kakunin::ui::{theme, Kind, Rect, Scene};

/// Windows in device pixels at the system's scale: tablets at 100–200 %, a 1080p screen at
/// 150 % (the smallest layout, 1280×720), and 1280×800 at 125 % and 200 %, which would be
/// smaller than that and are drawn scaled down.
const WINDOWS: [(u32, u32, f32); 8] = [
    (1280, 800, 1.0),
    (1920, 1200, 1.5),
    (2560, 1600, 2.0),
    (1920, 1080, 1.5),
    (2560, 1440, 2.0),
    (1366, 768, 1.0),
    (1280, 800, 1.25),
    (1280, 800, 2.0),
];

/// The text boxes the painter lays out for `scene`.
fn boxes<'s>(scene: &'s Scene<'_>) -> Vec<TextBox<'s>> {
    let mut out = Vec::new();
    for w in &scene.widgets {
        match &w.kind {
            Kind::Text { text, size, .. } => out.push(TextBox {
                rect: w.rect,
                text: text.as_str(),
                size: *size,
            }),
            Kind::Button { label, style } => {
                out.extend(label_boxes(w.rect, label.as_str(), *style))
            }
            Kind::Band { text, .. } => out.push(band_box(w.rect, text.as_str())),
            Kind::Tag { text } => out.push(TextBox {
                rect: w.rect,
                text: text.as_str(),
                size: theme::size::SMALL - 4,
            }),
            _ => {}
        }
    }
    out
}

/// Device pixels of a logical length at `scale`, rounded as the painter rounds.
fn px(v: i32, scale: f32) -> i32 {
    (v as f32 * scale).round() as i32
}

/// What is wrong with `scene` at `scale` in a `size` window, if anything.
fn problems(scene: &Scene<'_>, size: Size, scale: f32, text: &Text) -> Vec<String> {
    let mut found = Vec::new();
    for w in &scene.widgets {
        let r = w.rect;
        if r.x < 0 || r.y < 0 || r.right() > size.w || r.bottom() > size.h {
            found.push(format!("{:?} at {r:?} leaves the window", w.action));
        }
        if let Kind::Field {
            text: body,
            caret: Some(at),
        } = &w.kind
        {
            // The caret, where the painter puts it after scrolling, is inside the box.
            let font = px(i32::from(theme::size::BODY), scale) as u16;
            let body = body.as_str();
            let end = body.char_indices().nth(*at).map_or(body.len(), |(i, _)| i);
            let before = text.width(&body[..end], font);
            let inner_w = px(r.right(), scale) - px(r.x, scale) - 2 * px(FIELD_PAD, scale);
            let x = before - field_scroll(before, inner_w);
            if !(0..=inner_w).contains(&x) {
                found.push(format!("caret at {x} outside a field {inner_w} wide"));
            }
        }
    }
    for b in boxes(scene) {
        if b.text.is_empty() {
            continue;
        }
        let x = px(b.rect.x, scale);
        let w = px(b.rect.right(), scale) - x;
        let h = px(b.rect.bottom(), scale) - px(b.rect.y, scale);
        let font = px(i32::from(b.size), scale) as u16;
        let lines = text.wrap(b.text, font, w.max(1));
        for line in &lines {
            let lw = text.width(line, font);
            if lw > w {
                found.push(format!("{line:?} is {lw} px in a box {w} px wide"));
            }
        }
        let pitch = px(line_height(b.size), scale);
        let block = pitch * (lines.len() as i32 - 1) + i32::from(font);
        // The line box holds the descenders; a fifth of the size over the box is the most
        // a glyph may reach into the padding around it.
        if block > h + i32::from(font) / 5 {
            found.push(format!(
                "{:?}: {} lines, {block} px high in a box {h} px high",
                b.text,
                lines.len()
            ));
        }
    }
    found
}

#[test]
fn every_screen_fits_its_window_at_every_scale_in_both_chromes() {
    let mut text = Text::load().expect("embedded font parses");
    let mut checked = 0;
    let mut failures = Vec::new();
    demo_tour(SCREENSHOT_TIME, &mut text, |app, name, text| {
        for (w, h, system_scale) in WINDOWS {
            let (size, scale) = layout(w, h, system_scale);
            for (chrome, scene) in [
                ("demo", view(app, size, text)),
                ("kiosk", kiosk_view(app, size, text)),
            ] {
                for p in problems(&scene, size, scale, text) {
                    failures.push(format!("{name} ({chrome}, {w}×{h} at {system_scale}): {p}"));
                }
                checked += 1;
            }
        }
        Ok(())
    })
    .expect("the tour runs");
    assert!(checked > 1000, "only {checked} layouts checked");
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The rows of the result table on screen (each table line ends with a hairline narrower
/// than the window).
fn table_rows(scene: &Scene<'_>, size: Size) -> usize {
    scene
        .widgets
        .iter()
        .filter(|w| matches!(w.kind, Kind::Rule { color } if color == theme::RULE))
        .filter(|w| w.rect.h == 1 && w.rect.w < size.w)
        .count()
}

/// Where the pager's buttons are, drawn enabled or not.
fn pager(scene: &Scene<'_>) -> Vec<Rect> {
    scene
        .widgets
        .iter()
        .filter(|w| {
            matches!(&w.kind, Kind::Button { label, .. }
                if [s::PREV_PAGE, s::NEXT_PAGE].contains(&label.as_str()))
        })
        .map(|w| w.rect)
        .collect()
}

/// How many pages the result on screen has (1 without a pager).
fn pages(scene: &Scene<'_>) -> usize {
    (2..10)
        .find(|&n| scene.texts().iter().any(|t| *t == s::page_of(1, n)))
        .unwrap_or(1)
}

#[test]
fn every_result_fits_one_page_in_the_kiosk_and_pages_well_where_it_must() {
    let text = Text::load().expect("embedded font parses");
    let mut k = Session::from_pair(demo::setup(|| SCREENSHOT_TIME));
    for d in demo::PASSCODE.bytes() {
        k.act_and_settle(UiAction::Digit(d - b'0'));
    }
    if k.app().state().name() == "Notices" {
        k.act_and_settle(UiAction::Close);
    }
    let mut results = 0;
    for (i, card) in demo_cards().iter().enumerate() {
        let index = u8::try_from(i).expect("few demo cards");
        k.act_and_settle(UiAction::DemoToggleCard(index));
        if k.app().state().name() == "ReadCard(Done)" {
            k.act_and_settle(UiAction::Next);
            assert_eq!(k.app().state().name(), "ShowResult", "{}", card.id);
            results += 1;
            for (w, h, system_scale) in WINDOWS {
                let (size, _) = layout(w, h, system_scale);
                let at = format!("{} at {w}×{h}, {system_scale}", card.id);
                let kiosk = kiosk_view(k.app(), size, &text);
                assert_eq!(pages(&kiosk), 1, "{at}: the kiosk pages the result");
                drop(kiosk);
                let n = pages(&view(k.app(), size, &text));
                if size == Size::DESIGN {
                    assert_eq!(n, 1, "{at}: the demo pages the result");
                }
                let mut pagers = Vec::new();
                for page in 0..n {
                    let scene = view(k.app(), size, &text);
                    let rows = table_rows(&scene, size);
                    assert!(n == 1 || rows >= 3, "{at}, page {}: {rows} rows", page + 1);
                    assert!(
                        scene.texts().contains(&s::RESULT_CLOSE_NOTE),
                        "{at}, page {}: no note",
                        page + 1
                    );
                    pagers.push(pager(&scene));
                    drop(scene);
                    k.act_and_settle(UiAction::NextPage);
                }
                assert!(pagers.windows(2).all(|p| p[0] == p[1]), "{at}: pager moves");
                for _ in 0..n {
                    k.act_and_settle(UiAction::PrevPage);
                }
            }
            k.act_and_settle(UiAction::Close);
        } else {
            k.act_and_settle(UiAction::Back);
        }
        k.act_and_settle(UiAction::DemoToggleCard(index));
        assert_eq!(k.app().state().name(), "SelectAuth", "{}", card.id);
    }
    assert!(results >= 10, "only {results} results");
}

#[test]
fn every_page_of_the_demo_tray_fits_at_every_scale() {
    let text = Text::load().expect("embedded font parses");
    let mut k = Session::from_pair(demo::setup(|| SCREENSHOT_TIME));
    // As many pages as there could be with one card a page: every card is seen.
    for page in 0..demo_cards().len() {
        for (w, h, system_scale) in WINDOWS {
            let (size, scale) = layout(w, h, system_scale);
            let scene = view(k.app(), size, &text);
            let found = problems(&scene, size, scale, &text);
            assert!(
                found.is_empty(),
                "tray page {page}, {w}×{h} at {system_scale}: {found:?}"
            );
        }
        k.act_and_settle(UiAction::DemoTrayPage(true));
    }
}
