//! Scenario tests: one per flow of the manual, driving the real app, the virtual card reader
//! with the demo cards and the reference center through a headless [`Session`] (no window).
//! Every step checks the screen's state and the texts its scene draws, and every action a
//! person takes is first checked to be on screen (a button, a key of the on-screen keyboard),
//! so a flow that cannot be done by touch fails here.
#![cfg(feature = "demo")]

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use myna_kakunin::app::{App, Boot, Command, KeyLayer, MenuItem, UiAction};
use myna_kakunin::card::virtual_card::demo_cards;
use myna_kakunin::center::info::{AppVersion, Version};
use myna_kakunin::center::reference::{
    ReferenceCenter, DEMO_ACTIVATION_CODE, DEMO_INSTITUTION_CODE, DEMO_PASSWORD, DEMO_USER_ID,
};
use myna_kakunin::shell::demo;
use myna_kakunin::shell::headless::Session;
use myna_kakunin::shell::settings::Store;
use myna_kakunin::shell::worker::{Backends, DEMO_READER_NAME};
use myna_kakunin::ui::screens::{view, Size};
use myna_kakunin::ui::strings as s;
use myna_kakunin::ui::text::Text;
use myna_kakunin::ui::{ButtonStyle, Icon, Kind};

/// 2026-11-24 09:00 JST: inside every demo record's dates, and within three months of the
/// expiring card's certificate expiry (2027-01-31), so every result variant shows.
const NOW: i64 = 1_795_478_400;

/// The date the results show for [`NOW`].
const TODAY: &str = "確認日：2026年11月24日";

/// A new password that follows the manual's rules.
const NEW_PASSWORD: &str = "Newer#Pass2026";

/// A kiosk: a headless session, the font for laying out scenes, and the center's clock.
struct Kiosk {
    s: Session,
    text: Text,
    clock: Arc<AtomicI64>,
}

impl Kiosk {
    fn from_setup(
        setup: impl FnOnce(Box<dyn FnMut() -> i64 + Send>) -> (App, Backends),
        store: Option<&Data>,
    ) -> Kiosk {
        let clock = Arc::new(AtomicI64::new(NOW));
        let c = Arc::clone(&clock);
        let (app, mut backends) = setup(Box::new(move || c.load(Ordering::SeqCst)));
        backends.store = store.map(|d| Store::new(&d.0));
        Kiosk {
            s: Session::new(app, backends),
            text: Text::load().expect("embedded font parses"),
            clock,
        }
    }

    /// The demo kiosk, registered with the demo account (boots into パスコード入力).
    fn registered() -> Kiosk {
        Kiosk::from_setup(demo::setup, None)
    }

    /// The demo kiosk saving its settings in `data`.
    fn registered_saving(data: &Data) -> Kiosk {
        Kiosk::from_setup(demo::setup, Some(data))
    }

    /// The demo kiosk on a fresh device (boots into 利用規約).
    fn fresh() -> Kiosk {
        Kiosk::from_setup(demo::setup_fresh, None)
    }

    /// The kiosk is restarted: a new app from the saved settings, the same center.
    fn restart(self) -> Kiosk {
        let Kiosk { s, text, clock } = self;
        let (old, backends) = s.into_parts();
        let store = backends.store.as_ref().expect("a kiosk that saves");
        let settings = store.load().expect("the saved settings load");
        let app = App::new(
            Boot::Settings(Box::new(settings)),
            old.demo().map(|tray| tray.setup.clone()),
        );
        Kiosk {
            s: Session::new(app, backends),
            text,
            clock,
        }
    }

    fn state(&self) -> &'static str {
        self.s.app().state().name()
    }

    /// Every text the current scene draws.
    fn texts(&self) -> Vec<String> {
        view(self.s.app(), Size::DESIGN, &self.text)
            .texts()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    fn has(&self, needle: &str) -> bool {
        self.texts().iter().any(|t| t.contains(needle))
    }

    /// Asserts the screen is `state` and shows every one of `wants`.
    #[track_caller]
    fn expect(&self, state: &str, wants: &[&str]) {
        let texts = self.texts();
        assert_eq!(self.state(), state, "screen: {texts:?}");
        for want in wants {
            assert!(
                texts.iter().any(|t| t.contains(want)),
                "{state} lacks {want:?}: {texts:?}"
            );
        }
    }

    #[track_caller]
    fn lacks(&self, needle: &str) {
        let texts = self.texts();
        assert!(
            !texts.iter().any(|t| t.contains(needle)),
            "{} shows {needle:?}: {texts:?}",
            self.state()
        );
    }

    /// Whether the screen offers `action` (a button, key or field to touch).
    fn offers(&self, action: UiAction) -> bool {
        view(self.s.app(), Size::DESIGN, &self.text)
            .rect_of(action)
            .is_some()
    }

    /// Touches `action` on screen (it must be there) and lets every resulting command run.
    #[track_caller]
    fn tap(&mut self, action: UiAction) {
        assert!(
            self.offers(action),
            "{} does not offer {action:?}: {:?}",
            self.state(),
            self.texts()
        );
        self.s.act_and_settle(action);
    }

    /// Touches `action` without running what it asks for (to look at the queue first).
    #[track_caller]
    fn tap_only(&mut self, action: UiAction) {
        assert!(
            self.offers(action),
            "{} does not offer {action:?}",
            self.state()
        );
        self.s.act(action);
    }

    /// Digits on the keypad on screen.
    #[track_caller]
    fn digits(&mut self, digits: &str) {
        for d in digits.bytes() {
            self.tap(UiAction::Digit(d - b'0'));
        }
    }

    /// Puts demo card `id` on the virtual reader (or takes it off): the demo tray.
    fn toggle_card(&mut self, id: &str) {
        let index = demo_cards()
            .iter()
            .position(|c| c.id == id)
            .expect("a demo card");
        let index = u8::try_from(index).expect("few demo cards");
        self.s.act_and_settle(UiAction::DemoToggleCard(index));
    }

    /// What the form's fields show (masked fields as ●).
    fn fields(&self) -> Vec<String> {
        view(self.s.app(), Size::DESIGN, &self.text)
            .widgets
            .iter()
            .filter_map(|w| match &w.kind {
                Kind::Field { text, .. } => Some(text.as_str().to_owned()),
                _ => None,
            })
            .collect()
    }

    /// Types `value` into field `field` with the on-screen keyboard: the field is touched,
    /// then each character's key, switching the keyboard's layer when the key is on another.
    #[track_caller]
    fn type_in(&mut self, field: u8, value: &str) {
        self.tap(UiAction::FocusField(field));
        for c in value.chars() {
            if !self.offers(UiAction::Type(c)) {
                let layer = if c.is_ascii_lowercase() {
                    KeyLayer::Lower
                } else if c.is_ascii_uppercase() {
                    KeyLayer::Upper
                } else {
                    KeyLayer::Symbols
                };
                self.tap(UiAction::KeyboardLayer(layer));
            }
            self.tap(UiAction::Type(c));
        }
    }

    /// Empties field `field` with 削除.
    #[track_caller]
    fn clear(&mut self, field: u8) {
        self.tap(UiAction::FocusField(field));
        let n = self.fields()[usize::from(field)].chars().count();
        for _ in 0..n {
            self.tap(UiAction::Backspace);
        }
        assert!(self.fields()[usize::from(field)].is_empty());
    }

    /// Empties field `field` and types `value` into it.
    #[track_caller]
    fn retype(&mut self, field: u8, value: &str) {
        self.clear(field);
        self.type_in(field, value);
    }

    /// The status bands of the screen, in order.
    fn bands(&self) -> Vec<String> {
        view(self.s.app(), Size::DESIGN, &self.text)
            .widgets
            .iter()
            .filter_map(|w| match &w.kind {
                Kind::Band { text, .. } => Some(text.as_str().to_owned()),
                _ => None,
            })
            .collect()
    }

    /// Every text of a result, over all its pages (then back to the first page).
    fn result_texts(&mut self) -> Vec<String> {
        let mut all = self.texts();
        let mut pages = 0;
        while self.offers(UiAction::NextPage) {
            self.tap(UiAction::NextPage);
            all.extend(self.texts());
            pages += 1;
            assert!(pages < 8, "a result of at most a few pages");
        }
        for _ in 0..pages {
            self.tap(UiAction::PrevPage);
        }
        all
    }

    /// パスコード入力 with the demo passcode, then お知らせ (if any) closed: 認証選択.
    fn unlock(&mut self) {
        self.expect("EnterPasscode", &[s::PASSCODE_PROMPT]);
        self.digits(demo::PASSCODE);
        if self.state() == "Notices" {
            self.tap(UiAction::Close);
        }
        self.expect("SelectAuth", &[s::AUTH_SELECT_TITLE]);
    }

    /// From 認証選択 to セキュリティ設定 through ⚙ and the passcode `passcode`.
    fn open_security(&mut self, passcode: &str) {
        self.tap(UiAction::OpenMenu);
        self.expect("Menu", &[s::READER_SELECT, s::SECURITY]);
        self.tap(UiAction::Menu(MenuItem::Security));
        self.expect("SecurityPasscode", &[s::SECURITY, s::PASSCODE_PROMPT]);
        self.digits(passcode);
        self.expect("Security", &[s::ACCOUNT_PASSWORD, s::CHANGE_PASSCODE]);
    }

    /// ログアウト from 認証選択 (セキュリティ設定 opened with `passcode`): confirmation,
    /// then システムログイン.
    fn logout(&mut self, passcode: &str) {
        self.open_security(passcode);
        self.tap(UiAction::Menu(MenuItem::Logout));
        self.expect(
            "Ask(Logout)",
            &[s::LOGOUT_QUESTION, s::LOGOUT_BUTTON, s::CANCEL],
        );
        self.tap(UiAction::Ok);
        self.expect(
            "Login",
            &[s::LOGIN_TITLE, s::LOGIN_LOCK_NOTE, s::LOGIN_BUTTON],
        );
    }

    /// システムログイン with the demo user ID and `password`.
    fn login(&mut self, password: &str) {
        if self.fields()[0] != DEMO_USER_ID {
            self.retype(0, DEMO_USER_ID);
        }
        self.retype(1, password);
        self.tap(UiAction::Submit);
    }

    /// Types the 初期登録 form (機関コード, ID, パスワード, アクティベーションコード).
    fn fill_registration(&mut self, code: &str, activation: &str) {
        self.type_in(0, code);
        self.type_in(1, DEMO_USER_ID);
        self.type_in(2, DEMO_PASSWORD);
        self.type_in(3, activation);
    }
}

/// A data folder in the temporary directory, removed when dropped.
struct Data(PathBuf);

impl Data {
    fn new(name: &str) -> Data {
        let dir = std::env::temp_dir().join(format!("mk-scenario-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Data(dir)
    }
}

impl Drop for Data {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The titles of the demo center's two お知らせ.
const NOTICE_TITLES: [&str; 2] = [
    "【デモ】マイナ資格確認アプリのご利用について",
    "【デモ】システムメンテナンスのお知らせ",
];

// --- (a) 利用規約 → 初期登録 → 登録完了 → パスコード登録 → 認証選択 --------------------------

#[test]
fn a_fresh_device_registers_with_the_sheet_and_sets_a_passcode() {
    let mut k = Kiosk::fresh();
    k.expect("Terms", &[s::TERMS_TITLE, s::TERMS_ACCEPT, "第1条"]);
    k.tap(UiAction::AcceptTerms);
    k.expect(
        "Register",
        &[
            s::REGISTER_TITLE,
            s::REGISTER_LEAD,
            "機関コード",
            "アクティベーションコード",
            s::REQUIRED,
            s::REGISTER_BUTTON,
        ],
    );
    assert!(k.s.app().settings().terms_accepted);

    // Nothing typed: the first required field is named.
    k.tap(UiAction::Submit);
    k.expect("Register", &[&s::missing("機関コード")]);

    // A 機関コード whose check digit is wrong is refused before anything is sent.
    let bad_code = "1312345678";
    assert_ne!(bad_code, DEMO_INSTITUTION_CODE);
    k.fill_registration(bad_code, DEMO_ACTIVATION_CODE);
    assert_eq!(
        k.fields(),
        [
            bad_code.to_owned(),
            DEMO_USER_ID.to_owned(),
            "●".repeat(DEMO_PASSWORD.len()),
            "●".repeat(DEMO_ACTIVATION_CODE.len()),
        ],
        "what was typed, the password and activation code masked"
    );
    k.tap_only(UiAction::Submit);
    assert_eq!(k.s.pending(), 0, "a client-side problem asks no center");
    k.expect("Register", &[s::CODE_CHECK_DIGIT]);

    // 👁 shows the password, and hides it again.
    k.tap(UiAction::ToggleReveal(2));
    assert_eq!(k.fields()[2], DEMO_PASSWORD);
    k.tap(UiAction::ToggleReveal(2));
    assert_eq!(k.fields()[2], "●".repeat(DEMO_PASSWORD.len()));

    // A well-formed but wrong activation code: the center refuses and says why.
    k.retype(0, DEMO_INSTITUTION_CODE);
    k.retype(3, "DEMO-MYNA-TEST-0002");
    k.tap_only(UiAction::Submit);
    assert!(
        matches!(
            k.s.queued().collect::<Vec<_>>().as_slice(),
            [Command::Register(_)]
        ),
        "the form goes to the center"
    );
    assert!(
        !k.offers(UiAction::Submit),
        "no second 登録する while waiting"
    );
    k.s.settle();
    k.expect(
        "Register",
        &["アクティベーションコードが正しくありません。"],
    );
    k.lacks(s::CODE_CHECK_DIGIT);
    assert!(k.s.app().settings().registration.is_none());

    // Typed in small letters: the client sends capitals.
    k.retype(3, &DEMO_ACTIVATION_CODE.to_ascii_lowercase());
    k.tap(UiAction::Submit);
    k.expect("Registered", &[s::REGISTERED, s::OK]);
    let reg =
        k.s.app()
            .settings()
            .registration
            .as_ref()
            .expect("registered");
    assert_eq!(
        (reg.institution_code.as_str(), reg.user_id.as_str()),
        (DEMO_INSTITUTION_CODE, DEMO_USER_ID)
    );
    assert!(k.s.app().settings().visual_check, "目視 on after 初期登録");

    // パスコード登録, twice; a mismatch starts again.
    k.tap(UiAction::Ok);
    k.expect(
        "NewPasscode",
        &[s::PASSCODE_SETUP_TITLE, s::PASSCODE_SETUP_PROMPT],
    );
    k.digits("2468");
    k.expect(
        "ConfirmPasscode",
        &[s::PASSCODE_CONFIRM_TITLE, s::PASSCODE_CONFIRM_PROMPT],
    );
    k.digits("2469");
    k.expect("NewPasscode", &[s::PASSCODE_MISMATCH]);
    k.digits("2468");
    k.digits("2468");
    k.expect("Tell(PasscodeRegistered)", &[s::PASSCODE_REGISTERED]);
    let hash = k.s.app().settings().passcode.clone().expect("passcode set");
    assert!(hash.verify(b"2468") && !hash.verify(b"2469"));

    // The new device sees every お知らせ unread (manual P.5, 05), then 認証選択.
    k.tap(UiAction::Ok);
    k.expect("Notices", &NOTICE_TITLES);
    k.tap(UiAction::Close);
    k.expect(
        "SelectAuth",
        &[s::AUTH_SELECT_TITLE, s::HOW_TO_HEADING, s::METHOD_VISUAL],
    );

    // The registration is real: the device checks a card.
    k.toggle_card("taro");
    k.tap(UiAction::Next);
    k.expect("ShowResult", &["資格 太郎", TODAY]);
}

// --- (b) パスコード入力 → お知らせ → 認証選択; read marks stay -------------------------------

#[test]
fn unlock_shows_unread_notices_once_and_a_restart_unlocks_with_the_saved_session() {
    let data = Data::new("unlock");
    let mut k = Kiosk::registered_saving(&data);
    k.expect(
        "EnterPasscode",
        &[s::PASSCODE_TITLE, s::PASSCODE_PROMPT, s::KEY_DELETE],
    );

    k.digits("5555");
    k.expect("EnterPasscode", &[s::PASSCODE_WRONG]);
    // 訂正 takes a digit back.
    k.digits("12");
    k.tap(UiAction::DeleteDigit);
    k.digits("23");
    assert_eq!(k.state(), "EnterPasscode", "three digits so far");
    k.tap_only(UiAction::Digit(4));
    k.expect("Starting", &[s::STARTING]);
    k.s.settle();

    k.expect("Notices", &[s::NOTICES, s::NOTICES_LEAD, s::CLOSE]);
    for title in NOTICE_TITLES {
        assert!(k.has(title), "{title}");
    }
    assert_eq!(unread_rows(&k), 2, "both unread");

    k.tap_only(UiAction::Close);
    assert!(
        matches!(
            k.s.queued().collect::<Vec<_>>().as_slice(),
            [Command::MarkNoticesRead(ids)] if ids.len() == 2
        ),
        "closing marks them read"
    );
    k.s.settle();
    k.expect("SelectAuth", &[s::AUTH_SELECT_TITLE]);

    // A restart: the saved settings (with the renewed refresh token; the old one is used
    // up) unlock again, and no お知らせ is unread any more.
    let mut k = k.restart();
    k.expect("EnterPasscode", &[s::PASSCODE_PROMPT]);
    k.digits(demo::PASSCODE);
    k.expect("SelectAuth", &[s::AUTH_SELECT_TITLE]);
    k.lacks(NOTICE_TITLES[0]);
}

/// How many お知らせ rows are drawn as unread.
fn unread_rows(k: &Kiosk) -> usize {
    view(k.s.app(), Size::DESIGN, &k.text)
        .widgets
        .iter()
        .filter(|w| {
            matches!(w.action, Some(UiAction::OpenNotice(_)))
                && matches!(
                    w.kind,
                    Kind::Button {
                        style: ButtonStyle::Row { selected: true },
                        ..
                    }
                )
        })
        .count()
}

// --- (c) 目視: every demo card ----------------------------------------------------------------

/// What the result of each demo card shows: the bands, in order, and texts of the table.
fn expected_result(id: &str) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
    let (bands, texts): (Vec<&str>, Vec<&str>) = match id {
        "taro" => (
            vec![],
            vec![
                "本人",
                "1割",
                "被保険者証（一般）",
                "001　枝番 2",
                "限定資格保険組合",
            ],
        ),
        "family" => (vec![], vec!["家族", s::field::INSURED_NAME, "資格 一郎"]),
        "preschool" => (vec![s::PRESCHOOL], vec!["家族", "2割", "資格 一郎"]),
        "expiring" => (
            vec![s::CERT_EXPIRING],
            vec!["医国５６７", "０２８２‐００１　枝番 0", "本人"],
        ),
        "welfare" => (
            vec![s::MEDICAL_ASSISTANCE],
            vec!["医療扶助", "デモ市福祉事務所", "12136016", "1234566"],
        ),
        "backside" => (
            vec![],
            vec![s::BACK_SIDE, s::field::BACK_KANA, "シカク タロウ"],
        ),
        "elderly" => (
            vec![],
            vec![
                s::ELDERLY,
                "2割",
                "2026年08月01日",
                "2027年07月31日",
                "全国健康保険協会　東京支部",
            ],
        ),
        "invalid" => (vec![s::INVALID], vec!["2026年03月31日"]),
        "unqualified" => (vec![s::NO_QUALIFICATION], vec![]),
        "invalid-welfare" => (
            vec![s::MEDICAL_ASSISTANCE_ONLY, s::INVALID],
            vec!["医療扶助", "12136024"],
        ),
        "locked" | "one-try" | "face" | "android" | "iphone" => (vec![], vec!["本人", "3割"]),
        _ => return None,
    };
    Some((bands, texts))
}

#[test]
fn visual_check_shows_every_demo_card_as_the_manual_does_and_close_wipes_it() {
    let mut k = Kiosk::registered();
    k.unlock();
    k.expect(
        "SelectAuth",
        &[
            s::AUTH_VISUAL_LEAD,
            s::HOW_TO_HEADING,
            s::HOW_TO_VISUAL,
            s::METHOD_HEADING,
            s::METHOD_VISUAL,
        ],
    );
    let mut results = 0;
    for card in demo_cards() {
        assert_eq!(k.state(), "SelectAuth", "{}", card.id);
        let before = k.texts();
        // 目視: placing the card starts the read.
        k.toggle_card(card.id);
        if card.id == "android" {
            // A phone's certificate needs its PIN, 目視 or not: said in one sentence.
            k.expect(
                "EnterPin(Typing)",
                &[s::PHONE_PIN_PROMPT, s::PHONE_PIN_REASON, &s::pin_tries(3)],
            );
            k.digits(card.pin);
            k.tap(UiAction::Next);
        }
        match expected_result(card.id) {
            Some((bands, wants)) => {
                k.expect("ReadCard(Done)", &[s::READ_DONE, s::READ_DONE_NEXT]);
                k.tap(UiAction::Next);
                assert_eq!(k.state(), "ShowResult", "{}", card.id);
                assert_eq!(k.bands(), bands, "{}: bands", card.id);
                let texts = k.result_texts();
                let mut all = vec![s::RESULT_TITLE, s::QUALIFICATION_INFO, TODAY, s::CLOSE];
                if card.id != "unqualified" {
                    all.extend([card.holder, s::field::INSURER_NUMBER, s::field::BIRTHDATE]);
                }
                all.extend(wants);
                for want in all {
                    assert!(
                        texts.iter().any(|t| t.contains(want)),
                        "{}: no {want:?} in {texts:?}",
                        card.id
                    );
                }
                if card.id == "unqualified" {
                    assert!(
                        !texts.iter().any(|t| t == s::field::INSURER_NUMBER),
                        "no table without a qualification"
                    );
                }
                // 閉じる: back to 認証選択, nothing of the result left on screen.
                k.tap(UiAction::Close);
                k.expect("SelectAuth", &[s::AUTH_SELECT_TITLE]);
                let now = k.texts();
                for t in texts
                    .iter()
                    .filter(|t| t.chars().any(|c| c.is_ascii_digit()) && !before.contains(t))
                {
                    assert!(!now.contains(t), "{}: {t:?} still shown", card.id);
                }
                k.lacks(s::RESULT_TITLE);
                results += 1;
            }
            None => {
                let wants: &[&str] = match card.id {
                    "not-jpki" => &["マイナンバーカードではありません"],
                    "expired" => &[
                        // What happened, then the kiosk's next step.
                        "マイナンバーカードの電子証明書の有効期限が切れています。",
                        "資格確認書などで資格を確認し",
                    ],
                    other => panic!("no expectation for demo card {other}"),
                };
                k.expect("ReadFailed", &[s::ERROR_TITLE]);
                k.expect("ReadFailed", wants);
                // An expired certificate reads the same however often it is read: no
                // もう一度 there.
                assert_eq!(
                    k.offers(UiAction::Retry),
                    card.id != "expired",
                    "{}: もう一度",
                    card.id
                );
                assert!(k.offers(UiAction::Back));
                k.tap(UiAction::Back);
            }
        }
        k.toggle_card(card.id); // back to the tray
    }
    assert_eq!(results, demo_cards().len() - 2, "all but two show a result");
}

// --- (d) 暗証番号 mode -------------------------------------------------------------------------

#[test]
fn pin_mode_shows_tries_takes_a_wrong_then_a_right_pin_and_stops_at_a_locked_card() {
    let mut k = Kiosk::registered();
    k.unlock();
    k.open_security(demo::PASSCODE);
    assert!(k.s.app().settings().visual_check);
    k.tap(UiAction::ToggleVisualCheck);
    assert!(!k.s.app().settings().visual_check, "目視 switched off");
    k.tap(UiAction::Back);
    k.tap(UiAction::Back);
    k.expect(
        "SelectAuth",
        &[
            s::AUTH_PIN_LEAD,
            "3回誤ると",
            s::SWITCH_TO_VISUAL_HEADING,
            s::SWITCH_TO_VISUAL,
            s::METHOD_PIN,
        ],
    );

    // The confirmation, then the patient's pad: the tries show once the card is there, and
    // only then does the pad take digits.
    k.tap(UiAction::Next);
    k.expect("Ask(StartPin)", &[s::START_PIN_QUESTION, s::OK, s::CANCEL]);
    k.tap(UiAction::Ok);
    k.expect(
        "EnterPin(NoCard)",
        &[s::PIN_TITLE, s::PIN_PROMPT, s::PIN_SET_CARD],
    );
    k.toggle_card("taro");
    k.expect("EnterPin(Typing)", &[&s::pin_tries(3)]);
    k.lacks(s::PIN_LAST_TRY);
    assert!(!k.offers(UiAction::Next), "次へ waits for four digits");

    // A wrong PIN: 次へ reads the card on the reader at once; back to the patient with
    // 残り2回.
    k.digits("9999");
    k.tap(UiAction::Next);
    k.expect("EnterPin(Typing)", &[&s::wrong_pin(2)]);
    assert!(!k.offers(UiAction::Next), "the digits were cleared");

    // The right PIN: the card signs the center's challenge; the result shows.
    k.digits(demo_cards()[0].pin);
    k.tap_only(UiAction::Next);
    k.expect("ReadCard(GettingChallenge)", &[]);
    k.s.settle();
    k.expect("ReadCard(Done)", &[s::READ_DONE]);
    k.tap(UiAction::Next);
    k.expect("ShowResult", &["資格 太郎", TODAY]);
    k.tap(UiAction::Close);
    k.expect("SelectAuth", &[s::AUTH_PIN_LEAD]);
    k.toggle_card("taro");

    // One try left: a clear warning before typing; a wrong PIN then locks the card.
    k.tap(UiAction::Next);
    k.tap(UiAction::Ok);
    k.expect("EnterPin(NoCard)", &[s::PIN_SET_CARD]);
    k.toggle_card("one-try");
    k.expect("EnterPin(Typing)", &[&s::pin_tries(1), s::PIN_LAST_TRY]);
    k.digits("9999");
    k.tap(UiAction::Next);
    k.expect("ReadFailed", &[s::ERROR_TITLE, "暗証番号を3回誤った"]);
    assert!(!k.offers(UiAction::Retry), "no retry on a locked card");
    k.tap(UiAction::Back);
    k.toggle_card("one-try");

    // A card whose PIN answers blocked before anything was typed (locked by its owner, or
    // a 顔認証マイナンバーカード): no pad, no blame; staff may confirm by the photo.
    k.tap(UiAction::Next);
    k.tap(UiAction::Ok);
    k.expect("EnterPin(NoCard)", &[s::PIN_SET_CARD]);
    k.toggle_card("locked");
    k.expect(
        "EnterPin(Unusable)",
        &[s::PIN_UNUSABLE, s::PIN_UNUSABLE_NEXT, s::VISUAL_INSTEAD],
    );
    k.lacks("住民票のある市町村窓口");
    assert!(!k.offers(UiAction::Digit(1)), "no pad");
    assert!(!k.offers(UiAction::Retry), "no retry on a locked card");
    k.tap(UiAction::Back);
    k.expect("SelectAuth", &[s::AUTH_PIN_LEAD]);

    // The locked card already on the reader: said right after the confirmation.
    k.tap(UiAction::Next);
    k.tap(UiAction::Ok);
    k.expect("EnterPin(Unusable)", &[s::PIN_UNUSABLE]);
}

// --- (d') smartphones and 顔認証マイナンバーカード --------------------------------------------

/// From 認証選択 to 暗証番号 mode, and back to 認証選択.
fn to_pin_mode(k: &mut Kiosk) {
    k.open_security(demo::PASSCODE);
    k.tap(UiAction::ToggleVisualCheck);
    k.tap(UiAction::Back);
    k.tap(UiAction::Back);
    k.expect("SelectAuth", &[s::AUTH_PIN_LEAD]);
}

/// 読み取り完了 → 資格確認結果 of `holder` → 閉じる, and the card back to the tray.
fn result_then_close(k: &mut Kiosk, id: &str, holder: &str) {
    k.expect("ReadCard(Done)", &[s::READ_DONE]);
    k.tap(UiAction::Next);
    k.expect("ShowResult", &[holder, TODAY, "本人"]);
    k.tap(UiAction::Close);
    k.toggle_card(id);
}

#[test]
fn phones_and_face_cards_are_checked_in_visual_mode() {
    let mut k = Kiosk::registered();
    k.unlock();
    // Android: the PIN before the certificate, with the reason; a wrong one counts.
    k.toggle_card("android");
    k.expect(
        "EnterPin(Typing)",
        &[s::PHONE_PIN_REASON, s::PHONE_PIN_PROMPT, &s::pin_tries(3)],
    );
    k.lacks(s::VISUAL_INSTEAD);
    k.digits("9999");
    k.tap(UiAction::Next);
    k.expect("EnterPin(Typing)", &[&s::wrong_pin(2), s::PHONE_PIN_REASON]);
    k.lacks(s::PHONE_PIN_LAST_TRY);
    k.digits("9999");
    k.tap(UiAction::Next);
    // The last try: the warning as for cards, in the phone's words; no 目視 instead.
    k.expect(
        "EnterPin(Typing)",
        &[&s::wrong_pin(1), s::PHONE_PIN_LAST_TRY, s::PHONE_PIN_REASON],
    );
    k.lacks(s::VISUAL_INSTEAD);
    k.digits("1234");
    k.tap(UiAction::Next);
    result_then_close(&mut k, "android", "端末 八郎");
    // iPhone: no pad at all in 目視 mode; read as the phone allows.
    k.toggle_card("iphone");
    result_then_close(&mut k, "iphone", "端末 九子");
    // 顔認証マイナンバーカード: 目視 as any card.
    k.toggle_card("face");
    result_then_close(&mut k, "face", "顔認 七子");
}

#[test]
fn phones_and_face_cards_are_checked_in_pin_mode() {
    let mut k = Kiosk::registered();
    k.unlock();
    to_pin_mode(&mut k);

    // Android: the スマホ用 PIN, tries first, then the phone signs.
    k.tap(UiAction::Next);
    k.tap(UiAction::Ok);
    k.toggle_card("android");
    k.expect("EnterPin(Typing)", &[s::PHONE_PIN_PROMPT, &s::pin_tries(3)]);
    k.lacks(s::PHONE_PIN_REASON);
    k.digits("1234");
    k.tap(UiAction::Next);
    result_then_close(&mut k, "android", "端末 八郎");

    // iPhone: no pad; authenticate on the phone, hold it there, 次へ.
    k.tap(UiAction::Next);
    k.tap(UiAction::Ok);
    k.toggle_card("iphone");
    k.expect(
        "EnterPin(OnPhone)",
        &[
            s::PHONE_TITLE,
            s::PHONE_STEPS[0],
            s::PHONE_STEPS[1],
            s::PHONE_NO_PIN,
        ],
    );
    assert!(!k.offers(UiAction::Digit(1)), "no pad for an iPhone");
    k.tap(UiAction::Next);
    result_then_close(&mut k, "iphone", "端末 九子");

    // 顔認証マイナンバーカード: no pad; staff confirm by the photo; this one check in 目視.
    k.tap(UiAction::Next);
    k.tap(UiAction::Ok);
    k.toggle_card("face");
    k.expect("EnterPin(Unusable)", &[s::PIN_UNUSABLE, s::VISUAL_INSTEAD]);
    k.lacks("3回誤った");
    k.tap(UiAction::VisualInstead);
    k.expect("Ask(VisualOnce)", &[s::VISUAL_ONCE_QUESTION]);
    k.tap(UiAction::Ok);
    result_then_close(&mut k, "face", "顔認 七子");
    assert!(
        !k.s.app().settings().visual_check,
        "the setting stays 暗証番号"
    );
    k.expect("SelectAuth", &[s::AUTH_PIN_LEAD]);

    // One try left: the warning offers 目視 as the alternative.
    k.tap(UiAction::Next);
    k.tap(UiAction::Ok);
    k.toggle_card("one-try");
    k.expect(
        "EnterPin(Typing)",
        &[s::PIN_LAST_TRY, s::PIN_LAST_TRY_VISUAL, s::VISUAL_INSTEAD],
    );
    k.tap(UiAction::VisualInstead);
    k.expect("Ask(VisualOnce)", &[s::VISUAL_ONCE_QUESTION]);
    k.tap(UiAction::Ok);
    result_then_close(&mut k, "one-try", "残一 五郎");
}

// --- (e) idle timeout ------------------------------------------------------------------------

#[test]
fn an_untouched_result_closes_after_sixty_seconds_with_a_countdown() {
    let mut k = Kiosk::registered();
    k.unlock();
    k.toggle_card("taro");
    k.tap(UiAction::Next);
    k.expect("ShowResult", &["資格 太郎", &s::closes_in(60)]);
    assert!(k.s.app().next_wakeup().is_some(), "the countdown ticks");

    k.s.advance(30_000);
    k.expect("ShowResult", &[&s::closes_in(30)]);
    k.s.advance(29_000);
    k.expect("ShowResult", &["資格 太郎", &s::closes_in(1)]);
    k.s.advance(1_000);
    k.expect("SelectAuth", &[s::AUTH_SELECT_TITLE]);
    k.lacks(s::RESULT_TITLE);
    // No countdown any more: only the idle lock wakes an idle kiosk, 30 minutes after the
    // card was placed (the last use, a minute ago).
    let now = k.s.now();
    assert!(
        k.s.app()
            .next_wakeup()
            .is_some_and(|at| now.until(at) >= 29 * 60_000),
        "nothing wakes an idle kiosk before the idle lock: {:?} at {now:?}",
        k.s.app().next_wakeup()
    );
}

// --- (f) ログインパスコード設定, アカウントパスワード設定 ---------------------------------------

#[test]
fn passcode_and_password_changes_take_effect() {
    let data = Data::new("security");
    let mut k = Kiosk::registered_saving(&data);
    k.unlock();
    k.open_security(demo::PASSCODE);

    // ログインパスコード設定: the current one first (a wrong one is said), then the new twice.
    k.tap(UiAction::Menu(MenuItem::ChangePasscode));
    k.expect(
        "CurrentPasscode",
        &[s::PASSCODE_CHANGE_TITLE, s::PASSCODE_CURRENT_PROMPT],
    );
    k.digits("5555");
    k.expect("CurrentPasscode", &[s::PASSCODE_WRONG]);
    k.digits(demo::PASSCODE);
    k.expect("NewPasscode", &[s::PASSCODE_NEW_PROMPT]);
    k.digits("2468");
    k.expect("ConfirmPasscode", &[s::PASSCODE_CONFIRM_PROMPT]);
    k.digits("2468");
    k.expect("Tell(PasscodeChanged)", &[s::PASSCODE_CHANGED]);
    k.tap(UiAction::Ok);
    k.expect("Security", &[s::SECURITY]);

    // アカウントパスワード設定: the rules are shown and checked before sending.
    k.tap(UiAction::Menu(MenuItem::AccountPassword));
    k.expect(
        "AccountPassword",
        &[
            s::ACCOUNT_PASSWORD,
            s::ACCOUNT_PASSWORD_FIELDS[0],
            s::ACCOUNT_PASSWORD_FIELDS[1],
            s::ACCOUNT_PASSWORD_FIELDS[2],
            s::PASSWORD_RULE,
            s::CHANGE_BUTTON,
        ],
    );
    k.type_in(0, DEMO_PASSWORD);
    k.type_in(1, "Ab1!");
    k.type_in(2, "Ab1!");
    k.tap_only(UiAction::Submit);
    assert_eq!(k.s.pending(), 0, "a rule violation asks no center");
    k.expect("AccountPassword", &[s::PASSWORD_LENGTH]);
    k.retype(1, "abcdefgh1!");
    k.retype(2, "abcdefgh1!");
    k.tap(UiAction::Submit);
    k.expect("AccountPassword", &[s::PASSWORD_KINDS]);

    // The two new ones differ.
    k.retype(1, NEW_PASSWORD);
    k.retype(2, "Newer#Pass2027");
    k.tap(UiAction::Submit);
    k.expect("AccountPassword", &[s::PASSWORD_MISMATCH]);

    // A wrong current password: the center refuses with its message.
    k.retype(0, "Wrong#Pass2025");
    k.retype(2, NEW_PASSWORD);
    k.tap(UiAction::Submit);
    k.expect(
        "AccountPassword",
        &["IDまたはパスワードが正しくありません。"],
    );

    // Right: changed.
    k.retype(0, DEMO_PASSWORD);
    k.tap(UiAction::Submit);
    k.expect("Tell(PasswordChanged)", &[s::PASSWORD_CHANGED]);
    k.tap(UiAction::Ok);
    k.expect("Security", &[s::SECURITY]);
    k.tap(UiAction::Back);
    k.tap(UiAction::Back);

    // ログアウト (セキュリティ設定 opens with the new passcode); the old password no longer
    // logs in, the new one does.
    k.logout("2468");
    k.login(DEMO_PASSWORD);
    k.expect("Login", &["IDまたはパスワードが正しくありません。"]);
    k.login(NEW_PASSWORD);
    k.expect("SelectAuth", &[s::AUTH_SELECT_TITLE]);

    // The new passcode opens the kiosk after a restart; the old one does not.
    let mut k = k.restart();
    k.digits(demo::PASSCODE);
    k.expect("EnterPasscode", &[s::PASSCODE_WRONG]);
    k.digits("2468");
    k.expect("SelectAuth", &[s::AUTH_SELECT_TITLE]);
}

// --- (g) ログアウト → システムログイン; five wrong passwords lock the account ----------------------

#[test]
fn five_wrong_passwords_lock_the_account_for_thirty_minutes() {
    let mut k = Kiosk::registered();
    k.unlock();
    k.logout(demo::PASSCODE);
    assert!(
        k.s.app().settings().registration.is_some(),
        "still registered"
    );

    // An ID that is not of the sheet's form is said before anything is sent.
    k.type_in(0, "w1");
    k.type_in(1, DEMO_PASSWORD);
    k.tap_only(UiAction::Submit);
    assert_eq!(k.s.pending(), 0);
    k.expect("Login", &[s::USER_ID_FORMAT]);

    for attempt in 1..=5 {
        k.login("Wrong#Pass2025");
        let want = if attempt < 5 {
            "IDまたはパスワードが正しくありません。パスワードを5回間違えると"
        } else {
            "パスワードを5回間違えたため、アカウントがロックされています。30分後にもう一度お試しください。"
        };
        k.expect("Login", &[want]);
    }
    // Locked: even the right password is refused.
    k.login(DEMO_PASSWORD);
    k.expect("Login", &["アカウントがロックされています"]);

    // 30 minutes later the right password logs in.
    k.clock.fetch_add(30 * 60, Ordering::SeqCst);
    k.login(DEMO_PASSWORD);
    k.expect("SelectAuth", &[s::AUTH_SELECT_TITLE]);
}

// --- (h) デバイス登録解除 -----------------------------------------------------------------------

#[test]
fn deregistration_needs_two_confirmations_and_returns_to_the_terms() {
    let data = Data::new("deregister");
    let mut k = Kiosk::registered_saving(&data);
    k.unlock();
    k.open_security(demo::PASSCODE);

    k.tap(UiAction::Menu(MenuItem::Deregister));
    k.expect(
        "Ask(Deregister)",
        &[s::DEREGISTER_QUESTION, s::DEREGISTER_BUTTON, s::CANCEL],
    );
    k.tap(UiAction::Cancel);
    k.expect("Security", &[s::SECURITY]);
    assert!(
        k.s.app().settings().registration.is_some(),
        "キャンセル keeps it"
    );

    k.tap(UiAction::Menu(MenuItem::Deregister));
    k.tap(UiAction::Ok);
    k.expect(
        "Ask(DeregisterAgain)",
        &[s::DEREGISTER_AGAIN, s::DEREGISTER_BUTTON],
    );
    k.tap(UiAction::Ok);
    k.expect("Tell(Deregistered)", &[s::DEREGISTERED]);
    let settings = k.s.app().settings();
    assert!(settings.registration.is_none() && settings.passcode.is_none());
    k.tap(UiAction::Ok);
    k.expect("Terms", &[s::TERMS_TITLE, s::TERMS_ACCEPT]);

    // The forgotten settings were saved: a restart starts at 利用規約 too.
    let mut k = k.restart();
    k.expect("Terms", &[s::TERMS_TITLE]);

    // Registered again, the device sees every お知らせ unread once more.
    k.tap(UiAction::AcceptTerms);
    k.fill_registration(DEMO_INSTITUTION_CODE, DEMO_ACTIVATION_CODE);
    k.tap(UiAction::Submit);
    k.expect("Registered", &[s::REGISTERED]);
    k.tap(UiAction::Ok);
    k.digits("1357");
    k.digits("1357");
    k.tap(UiAction::Ok);
    k.expect("Notices", &NOTICE_TITLES);
    assert_eq!(unread_rows(&k), 2);
}

// --- (i) カードリーダー選択 and お知らせ from the menu --------------------------------------------

#[test]
fn the_menu_chooses_the_reader_and_opens_notices_as_web_pages() {
    let mut k = Kiosk::registered();
    k.unlock();
    k.tap(UiAction::OpenMenu);
    k.expect(
        "Menu",
        &[s::MENU, s::READER_SELECT, s::SECURITY, s::NOTICES],
    );

    // カードリーダー選択: the connected readers, the chosen one marked and kept.
    k.tap(UiAction::Menu(MenuItem::ReaderSelect));
    k.expect("ReaderSelect", &[s::READER_SELECT_LEAD, DEMO_READER_NAME]);
    k.lacks(s::READER_IN_USE);
    k.tap_only(UiAction::SelectReader(0));
    let queued: Vec<&Command> = k.s.queued().collect();
    assert!(
        matches!(
            queued.as_slice(),
            [Command::UseReader(Some(name)), Command::SaveSettings(saved)]
                if name == DEMO_READER_NAME && saved.reader.as_deref() == Some(DEMO_READER_NAME)
        ),
        "{queued:?}"
    );
    k.s.settle();
    k.expect(
        "ReaderSelect",
        &[&format!("{DEMO_READER_NAME}{}", s::READER_IN_USE)],
    );
    k.tap(UiAction::Back);

    // お知らせ from the menu: every notice (read ones too), each with 🔗.
    k.tap(UiAction::Menu(MenuItem::Notices));
    k.expect("Notices", &NOTICE_TITLES);
    assert_eq!(unread_rows(&k), 0, "read at the unlock");
    let links = view(k.s.app(), Size::DESIGN, &k.text)
        .widgets
        .iter()
        .filter(|w| matches!(w.kind, Kind::Icon(Icon::Link)))
        .count();
    assert_eq!(links, 2, "🔗 on each title");

    // A title opens its web page in the browser (taken off the queue here, so no browser
    // starts during the test).
    k.tap_only(UiAction::OpenNotice(1));
    let opened = k.s.take_pending();
    assert!(
        matches!(
            opened.as_slice(),
            [Command::OpenUrl(url)] if url == "https://myna-kakunin.example/notices/N0002"
        ),
        "{opened:?}"
    );
    k.expect("Notices", &NOTICE_TITLES);

    k.tap_only(UiAction::Close);
    assert_eq!(k.s.pending(), 0, "nothing unread to mark");
    k.expect("Menu", &[s::READER_SELECT]);
    k.tap(UiAction::Back);
    k.expect("SelectAuth", &[s::AUTH_SELECT_TITLE]);
}

// --- バージョン更新 -----------------------------------------------------------------------------

/// A version one minor step above this build's.
fn newer() -> Version {
    let running = Version::running().to_string();
    let parts: Vec<u32> = running
        .split('.')
        .map(|p| p.parse().expect("a number"))
        .collect();
    Version::new(parts[0], parts[1] + 1, 0)
}

/// The demo kiosk whose center announces `latest` and `minimum`.
fn kiosk_with_version(latest: Version, minimum: Version) -> Kiosk {
    Kiosk::from_setup(
        |clock| {
            let mut center = ReferenceCenter::with_demo_records();
            center.set_app_version(AppVersion {
                latest,
                minimum,
                download_url: "https://myna-kakunin.example/download".into(),
            });
            demo::setup_with(center, clock)
        },
        None,
    )
}

#[test]
fn a_newer_version_is_offered_after_the_passcode_and_a_required_one_blocks() {
    let latest = newer();
    let mut k = kiosk_with_version(latest, Version::running());
    k.digits(demo::PASSCODE);
    k.expect(
        "Update",
        &[
            s::UPDATE_TITLE,
            &s::update_available(&latest.to_string()),
            s::UPDATE_OPEN,
            s::LATER,
        ],
    );
    k.lacks(s::UPDATE_REQUIRED);
    k.tap_only(UiAction::OpenDownload);
    let opened = k.s.take_pending();
    assert!(
        matches!(
            opened.as_slice(),
            [Command::OpenUrl(url)] if url == "https://myna-kakunin.example/download"
        ),
        "{opened:?}"
    );
    // あとで: on to the お知らせ and 認証選択.
    k.tap(UiAction::Close);
    k.expect("Notices", &NOTICE_TITLES);
    k.tap(UiAction::Close);
    k.expect("SelectAuth", &[s::AUTH_SELECT_TITLE]);

    // Below the minimum: no あとで, and nothing gets past the screen.
    let mut k = kiosk_with_version(latest, latest);
    k.digits(demo::PASSCODE);
    k.expect("Update", &[s::UPDATE_REQUIRED, s::UPDATE_OPEN]);
    k.lacks(s::LATER);
    for action in [UiAction::Close, UiAction::Back, UiAction::Next] {
        k.s.act_and_settle(action);
        assert_eq!(k.state(), "Update", "{action:?}");
    }
    assert!(k.offers(UiAction::OpenDownload));
}
