//! Render test of every screen built: the demo flow is driven headlessly, each screen is
//! rendered at 1280×800, written to target/screens/ for people to look at, and checked for
//! its content (the scene's texts), its geometry (touch targets fit, never overlap, are big
//! enough) and its pixels (primary buttons blue, the デモ ribbon yellow).
#![cfg(feature = "demo")]

use std::path::PathBuf;

use myna_kakunin::app::UiAction;
use myna_kakunin::shell::demo;
use myna_kakunin::shell::headless::{render_app, write_screen, Session};
use myna_kakunin::ui::render::Frame;
use myna_kakunin::ui::screens::{view, Size};
use myna_kakunin::ui::text::Text;
use myna_kakunin::ui::{theme, ButtonStyle, Kind};

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&dir).expect("target dir is writable");
    dir
}

/// Checks one screen and writes its PNG. Returns the scene's texts.
fn check(s: &Session, text: &mut Text, name: &str) -> Vec<String> {
    let size = Size::DESIGN;
    write_screen(s.app(), size, text, &out_dir().join(format!("{name}.png"))).expect("PNG written");
    let scene = view(s.app(), size, text);

    // Geometry: every control is on screen, big enough to touch, and alone under a finger.
    let controls: Vec<_> = scene
        .widgets
        .iter()
        .filter(|w| w.action.is_some())
        .collect();
    for (i, a) in controls.iter().enumerate() {
        let r = a.rect;
        assert!(
            r.x >= 0 && r.y >= 0 && r.right() <= size.w && r.bottom() <= size.h,
            "{name}: {:?} off screen",
            a.action
        );
        assert!(
            r.w >= 44 && r.h >= 44,
            "{name}: {:?} smaller than 44 px",
            a.action
        );
        for b in &controls[i + 1..] {
            assert!(
                !r.overlaps(&b.rect),
                "{name}: {:?} overlaps {:?}",
                a.action,
                b.action
            );
        }
    }

    // Pixels: the ribbon is on every screen; primary buttons are filled blue.
    let pixels = render_app(s.app(), size, text, Frame::default());
    let at = |x: i32, y: i32| pixels[(y * size.w + x) as usize];
    if s.app().demo().is_some() {
        assert_eq!(at(2, 2), theme::DEMO_BG, "{name}: デモ ribbon missing");
    }
    for w in &scene.widgets {
        if let Kind::Button {
            style: ButtonStyle::Primary,
            ..
        } = w.kind
        {
            assert_eq!(
                at(w.rect.x + 10, w.rect.y + w.rect.h / 2),
                theme::PRIMARY,
                "{name}: primary button not blue"
            );
        }
    }
    // Every character on screen has a glyph: no tofu boxes.
    for t in scene.texts() {
        for ch in t.chars().filter(|c| !c.is_whitespace()) {
            assert!(text.has_glyph(ch), "{name}: no glyph for {ch:?} in {t:?}");
        }
    }
    scene.texts().into_iter().map(str::to_owned).collect()
}

fn has(texts: &[String], needle: &str) -> bool {
    texts.iter().any(|t| t.contains(needle))
}

#[test]
fn every_screen_of_the_visual_flow_renders_with_its_content() {
    let mut text = Text::load().expect("embedded font parses");
    let mut s = Session::from_pair(demo::setup(|| 1_764_547_200)); // 2025-12-01 09:00 JST

    let t = check(&s, &mut text, "passcode");
    assert!(has(&t, "パスコード（数字4桁）を入力してください"));
    assert!(
        has(&t, &format!("パスコード {}", demo::PASSCODE)),
        "the banner shows the demo passcode"
    );
    assert!(has(&t, "訂正"));

    for d in [5, 5, 5, 5] {
        s.act_and_settle(UiAction::Digit(d));
    }
    let t = check(&s, &mut text, "passcode-wrong");
    assert!(has(&t, "パスコードが違います"));

    for d in [1, 2, 3, 4] {
        s.act_and_settle(UiAction::Digit(d));
    }
    let t = check(&s, &mut text, "notices");
    assert!(
        has(&t, "お知らせ") && has(&t, "閉じる"),
        "unread お知らせ after unlock: {t:?}"
    );
    s.act_and_settle(UiAction::Close);
    let t = check(&s, &mut text, "auth-select-visual");
    assert!(has(&t, "認証選択"));
    assert!(has(&t, "操作方法について"));
    assert!(has(&t, "マイナンバーカードの券面で目視確認"));
    assert!(has(&t, "次へ"));
    assert!(
        has(&t, "資格 太郎"),
        "the demo tray offers 資格 太郎's card"
    );

    s.act_and_settle(UiAction::Next);
    let t = check(&s, &mut text, "read-wait-card");
    assert!(has(&t, "マイナンバーカードを読み取る"));
    assert!(has(&t, "← 戻る"));

    s.act_and_settle(UiAction::ReadCard);
    let t = check(&s, &mut text, "read-failed-no-card");
    assert!(has(&t, "カードリーダーにカードがありません"));
    assert!(has(&t, "もう一度読み取る"));

    s.act_and_settle(UiAction::Back);
    s.act(UiAction::DemoToggleCard(0));
    s.run_one();
    let t = check(&s, &mut text, "reading-card");
    assert!(has(&t, "カードを読み取っています"));
    assert!(
        view(s.app(), Size::DESIGN, &text).is_animated(),
        "progress moves"
    );

    s.run_one();
    let t = check(&s, &mut text, "asking-center");
    assert!(has(&t, "資格情報を確認しています"));

    s.run_one();
    let t = check(&s, &mut text, "read-done");
    assert!(has(&t, "読み取りが完了しました"));

    s.act_and_settle(UiAction::Next);
    let t = check(&s, &mut text, "result");
    for want in [
        "資格確認結果",
        "確認日：2025年12月01日",
        "12345678",
        "限定資格保険組合",
        "1234",
        "001　枝番 2",
        "シカク タロウ",
        "資格 太郎",
        "1952年01月01日",
        "男",
        "被保険者証（一般）",
        "2025年04月01日",
        "2027年03月31日",
        "1割",
        "本人",
        "閉じる",
    ] {
        assert!(has(&t, want), "result lacks {want}: {t:?}");
    }
    let bands: Vec<String> = view(s.app(), Size::DESIGN, &text)
        .widgets
        .iter()
        .filter_map(|w| match &w.kind {
            Kind::Band { text, .. } => Some(text.as_str().to_owned()),
            _ => None,
        })
        .collect();
    assert!(
        bands.is_empty(),
        "資格 太郎 (valid, 証区分 一般) has no notice: {bands:?}"
    );
    assert!(
        !view(s.app(), Size::DESIGN, &text).is_animated(),
        "a still screen does not redraw"
    );

    s.act_and_settle(UiAction::Close);
    let t = check(&s, &mut text, "auth-select-after-close");
    assert!(
        !has(&t, "12345678") && !has(&t, "1952年"),
        "the result is gone after 閉じる"
    );
}

#[test]
fn screens_adapt_to_a_smaller_logical_size() {
    // A 1920×1080 panel at 150 % is 1280×720 logical.
    let mut text = Text::load().expect("embedded font parses");
    let s = Session::from_pair(demo::setup(|| 1_764_547_200));
    let size = Size { w: 1280, h: 720 };
    let scene = view(s.app(), size, &text);
    let controls: Vec<_> = scene
        .widgets
        .iter()
        .filter(|w| w.action.is_some())
        .collect();
    assert!(controls.len() >= 12, "keypad and tray are there");
    for (i, a) in controls.iter().enumerate() {
        assert!(a.rect.bottom() <= size.h, "{:?} below the screen", a.action);
        assert!(a.rect.h >= 44, "{:?} too small to touch", a.action);
        for b in &controls[i + 1..] {
            assert!(
                !a.rect.overlaps(&b.rect),
                "{:?} overlaps {:?}",
                a.action,
                b.action
            );
        }
    }
    let px = render_app(s.app(), size, &mut text, Frame::default());
    assert_eq!(px.len(), 1280 * 720);
}

/// A session on 資格確認結果 for `outcome`, reached through the real transitions: unlock,
/// お知らせ closed, a card placed; the card and center answers are fed in by hand.
fn showing(outcome: myna_kakunin::center::model::CheckOutcome) -> Session {
    use myna_kakunin::app::Event;
    use myna_kakunin::card::AuthCertificate;
    let mut s = Session::from_pair(demo::setup(|| 1_764_547_200));
    for d in [1, 2, 3, 4] {
        s.act_and_settle(UiAction::Digit(d));
    }
    s.act_and_settle(UiAction::Close);
    s.feed(Event::CardPresence(true));
    let der = include_bytes!("pki/cards/taro.cert.der").to_vec();
    let cert = AuthCertificate::from_der(der).expect("demo certificate parses");
    s.feed(Event::CertificateRead(Ok(cert)));
    s.feed(Event::CenterAnswered(Ok(Box::new(outcome))));
    s.act(UiAction::Next);
    assert_eq!(s.app().state().name(), "ShowResult");
    s
}

#[test]
fn several_notices_stack_above_the_table_without_overlap() {
    use myna_kakunin::center::model::{CardClassification, Preschool, Validity};
    use myna_kakunin::center::reference::demo_taro;

    let mut text = Text::load().expect("embedded font parses");
    let record = demo_taro();
    let mut outcome = myna_kakunin::center::model::CheckOutcome {
        confirmation_date: myna_kakunin::center::model::Date::new(2025, 12, 1).expect("valid date"),
        validity: Validity::Valid,
        cert_expiring: true,
        qualification: record.qualification,
    };
    if let Some(q) = outcome.qualification.as_mut() {
        q.card_classification = CardClassification::MedicalAssistance;
        q.preschool = Some(Preschool::BeforeCompulsoryEducation);
    }
    let mut session = showing(outcome);
    let size = Size::DESIGN;
    let pixels = render_app(session.app(), size, &mut text, Frame::default());
    let mut f = std::fs::File::create(out_dir().join("result-notices.png")).expect("PNG file");
    myna_kakunin::shell::png::write_png(&mut f, size.w as u32, size.h as u32, &pixels)
        .expect("PNG written");

    let scene = view(session.app(), size, &text);
    let texts = scene.texts();
    for want in [
        "医療扶助の対象者です",
        "義務教育就学前",
        "3か月以内に証明書が失効します",
        "医療扶助",
    ] {
        assert!(texts.iter().any(|t| t.contains(want)), "missing {want}");
    }
    // Each band is tall enough for its wrapped text, and nothing below overlaps it.
    let bands: Vec<_> = scene
        .widgets
        .iter()
        .filter(|w| matches!(w.kind, Kind::Band { .. }))
        .collect();
    assert_eq!(bands.len(), 3);
    for band in &bands {
        let Kind::Band { text: body, .. } = &band.kind else {
            unreachable!()
        };
        let need = myna_kakunin::ui::screens::band_height(&text, body.as_str(), band.rect.w);
        assert!(band.rect.h >= need, "band {:?} too short", body.as_str());
        for w in scene
            .widgets
            .iter()
            .filter(|w| matches!(w.kind, Kind::Text { .. }))
        {
            assert!(
                !band.rect.overlaps(&w.rect),
                "text {:?} overlaps a band",
                w.kind
            );
        }
    }
    drop(scene);

    // The table does not fit beside three notices and the tray: it pages, and every field is
    // on some page, on screen.
    let mut seen: Vec<String> = Vec::new();
    for page in 0.. {
        let png = out_dir().join(format!("result-notices-page{}.png", page + 1));
        write_screen(session.app(), size, &mut text, &png).expect("PNG written");
        let scene = view(session.app(), size, &text);
        for w in &scene.widgets {
            let r = w.rect;
            assert!(
                r.right() <= size.w && r.bottom() <= size.h,
                "page {page}: {:?} off screen",
                w.kind
            );
        }
        seen.extend(scene.texts().into_iter().map(str::to_owned));
        let more = scene.rect_of(UiAction::NextPage).is_some();
        let back = scene.rect_of(UiAction::PrevPage).is_some();
        assert_eq!(
            back,
            page > 0,
            "page {page}: 前のページ only after the first"
        );
        drop(scene);
        if !more {
            assert!(page >= 1, "the long table needed more than one page");
            break;
        }
        session.act(UiAction::NextPage);
    }
    for field in [
        "保険者番号",
        "生年月日",
        "1952年01月01日",
        "性別",
        "証区分",
        "有効開始日",
        "有効終了日",
        "資格取得年月日",
        "負担割合",
        "1割",
        "本人・家族の別",
        "本人",
    ] {
        assert!(seen.iter().any(|t| t == field), "{field} is on no page");
    }
}

#[test]
fn every_other_screen_renders_with_its_content() {
    use myna_kakunin::app::{App, Boot, MenuItem};

    let mut text = Text::load().expect("embedded font parses");

    // Start-up screens on devices in other states.
    let start = |boot: Boot| Session::new(App::new(boot, None), demo::setup(|| 1_764_547_200).1);
    let mut s = start(Boot::Damaged);
    let t = check(&s, &mut text, "settings-damaged");
    assert!(has(&t, "設定ファイルが壊れている") && has(&t, "初期登録に進む"));
    s.act_and_settle(UiAction::Ok);
    let t = check(&s, &mut text, "terms");
    assert!(has(&t, "利用規約") && has(&t, "同意して利用開始"));
    s.act_and_settle(UiAction::AcceptTerms);
    let t = check(&s, &mut text, "register");
    for want in [
        "初期登録",
        "機関コード",
        "アクティベーションコード",
        "必須",
        "登録する",
        "削除",
    ] {
        assert!(has(&t, want), "{want}");
    }

    // The fresh demo shows the demo account for 初期登録 on its banner.
    let fresh = Session::from_pair(demo::setup_fresh(|| 1_764_547_200));
    let t = check(&fresh, &mut text, "fresh-terms");
    assert!(has(&t, "ID W0000001") && has(&t, "利用規約"), "{t:?}");

    // Menu, reader choice and セキュリティ設定 on the demo.
    let mut s = Session::from_pair(demo::setup(|| 1_764_547_200));
    for d in [1, 2, 3, 4] {
        s.act_and_settle(UiAction::Digit(d));
    }
    s.act_and_settle(UiAction::Close); // お知らせ
    assert!(
        view(s.app(), Size::DESIGN, &text)
            .rect_of(UiAction::OpenMenu)
            .is_some(),
        "⚙ on 認証選択"
    );
    s.act_and_settle(UiAction::OpenMenu);
    let t = check(&s, &mut text, "menu");
    assert!(has(&t, "カードリーダー選択") && has(&t, "セキュリティ設定") && has(&t, "お知らせ"));
    assert!(
        has(&t, "施術所等向け総合ポータルサイト"),
        "🔗 links in the menu"
    );
    s.act_and_settle(UiAction::Menu(MenuItem::ReaderSelect));
    s.act_and_settle(UiAction::SelectReader(0));
    let t = check(&s, &mut text, "reader-select");
    assert!(has(&t, "（使用中）"), "the chosen reader is marked: {t:?}");
    s.act_and_settle(UiAction::Back);
    // セキュリティ設定 opens behind the passcode.
    s.act_and_settle(UiAction::Menu(MenuItem::Security));
    assert_eq!(s.app().state().name(), "SecurityPasscode");
    let t = check(&s, &mut text, "security-passcode");
    assert!(has(&t, "セキュリティ設定") && has(&t, "パスコード（数字4桁）を入力してください"));
    for d in [1, 2, 3, 4] {
        s.act_and_settle(UiAction::Digit(d));
    }
    let t = check(&s, &mut text, "security");
    for want in [
        "アカウントパスワード設定",
        "ログインパスコード設定",
        "目視確認で本人認証",
        "デバイス登録解除",
        "ログアウト",
    ] {
        assert!(has(&t, want), "{want}");
    }
    s.act_and_settle(UiAction::Menu(MenuItem::ChangePasscode));
    let t = check(&s, &mut text, "passcode-current");
    assert!(has(&t, "現在のパスコード"));
    for d in [1, 2, 3, 4] {
        s.act_and_settle(UiAction::Digit(d));
    }
    let t = check(&s, &mut text, "passcode-new");
    assert!(has(&t, "新しいパスコード"));
    for d in [1, 2, 3, 4] {
        s.act_and_settle(UiAction::Digit(d));
    }
    let t = check(&s, &mut text, "passcode-again");
    assert!(has(&t, "もう一度"));
    for d in [1, 2, 3, 4] {
        s.act_and_settle(UiAction::Digit(d));
    }
    let t = check(&s, &mut text, "passcode-changed");
    assert!(has(&t, "パスコードを変更しました"));
    s.act_and_settle(UiAction::Ok);
    s.act_and_settle(UiAction::Menu(MenuItem::Deregister));
    let t = check(&s, &mut text, "deregister-1");
    assert!(has(&t, "登録を解除すると") && has(&t, "キャンセル"));
    s.act_and_settle(UiAction::Ok);
    let t = check(&s, &mut text, "deregister-2");
    assert!(has(&t, "本当に"));
    s.act_and_settle(UiAction::Cancel);
    s.act_and_settle(UiAction::Menu(MenuItem::Logout));
    let t = check(&s, &mut text, "logout");
    assert!(has(&t, "ID及びパスワードの入力が必要"));
    s.act_and_settle(UiAction::Cancel);

    // 暗証番号 mode.
    s.act_and_settle(UiAction::ToggleVisualCheck);
    s.act_and_settle(UiAction::Back);
    s.act_and_settle(UiAction::Back);
    let t = check(&s, &mut text, "auth-select-pin");
    assert!(has(&t, "3回誤ると") && has(&t, "市町村窓口") && has(&t, "目視確認に切り替える場合"));
    s.act_and_settle(UiAction::Next);
    let t = check(&s, &mut text, "start-pin");
    assert!(has(&t, "暗証番号の入力に進みます"));
    s.act_and_settle(UiAction::Ok);
    let t = check(&s, &mut text, "pin-set-card");
    assert_eq!(s.app().state().name(), "EnterPin(NoCard)");
    assert!(has(
        &t,
        "カードリーダーにマイナンバーカードをセットしてください"
    ));
    // The pad takes digits once the card on the reader has said its tries.
    s.act_and_settle(UiAction::DemoToggleCard(0));
    assert_eq!(s.app().state().name(), "EnterPin(Typing)");
    let t = check(&s, &mut text, "pin-entry");
    assert!(has(&t, "利用者証明用電子証明書の暗証番号"));
    let scene = view(s.app(), Size::DESIGN, &text);
    for w in scene.widgets.iter().filter(|w| {
        matches!(
            w.kind,
            Kind::Button {
                style: ButtonStyle::PinKey,
                ..
            }
        )
    }) {
        assert!(
            w.rect.w >= 96 && w.rect.h >= 96,
            "PIN keys are at least 96 px: {:?}",
            w.rect
        );
    }
    assert!(
        scene.rect_of(UiAction::Next).is_none(),
        "次へ waits for four digits"
    );
    drop(scene);
    for d in [1, 2, 3, 4] {
        s.act_and_settle(UiAction::Digit(d));
    }
    assert!(view(s.app(), Size::DESIGN, &text)
        .rect_of(UiAction::Next)
        .is_some());
}
