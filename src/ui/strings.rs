//! Every user-visible string, in one place. Wording follows the operation manual of the
//! マイナ資格確認アプリ wherever the manual has it.

use crate::card::CardError;
use crate::center::model::{CardClassification, Date, Ratio, Relation, Sex};
use crate::center::wire::ErrorCode;
use crate::center::{CenterError, TlsFailure};
use crate::sensitive::SensitiveText;

/// The product's name as the window title and header show it.
pub const APP_NAME: &str = "マイナ資格確認アプリ";

/// The kiosk was started without the configuration it needs (for support staff).
pub const NOT_CONFIGURED: &str = "接続先のオンライン資格確認等システムが設定されていません。設定方法はREADMEの「設置」をご覧ください。";

// --- デモ ---------------------------------------------------------------------------------

/// The demo ribbon; `{}` is the demo passcode.
pub fn demo_ribbon(passcode: &str) -> String {
    format!("デモ　実在しないデータで動作しています　パスコード {passcode}")
}
/// The demo ribbon on a fresh device: the demo account's ユーザ設定情報.
pub fn demo_ribbon_fresh(code: &str, id: &str, password: &str, activation: &str) -> String {
    format!("デモ　機関コード {code}　ID {id}　パスワード {password}　アクティベーションコード {activation}")
}
/// The demo ribbon as a screen reader reads it: the demo account and passcode it shows are
/// never put in the accessibility tree.
pub const DEMO_RIBBON_SPOKEN: &str = "デモ　実在しないデータで動作しています";
/// Heading of the demo card tray.
pub const DEMO_TRAY: &str = "デモ用カード\nタップで出し入れ";
/// A demo card that is on the virtual reader.
pub const DEMO_ON_READER: &str = "カードリーダー上";
/// A demo card that is in the tray.
pub const DEMO_OFF_READER: &str = "トレイ";

// --- パスコード入力 (P.15) ------------------------------------------------------------------

/// Title of the passcode screen.
pub const PASSCODE_TITLE: &str = "パスコード入力";
/// Instruction on the passcode screen.
pub const PASSCODE_PROMPT: &str = "パスコード（数字4桁）を入力してください";
/// A wrong passcode.
pub const PASSCODE_WRONG: &str = "パスコードが違います。もう一度入力してください。";
/// The keypad's delete key.
pub const KEY_DELETE: &str = "訂正";

// --- 認証選択（目視） (P.17) ------------------------------------------------------------------

/// Title of the authentication-choice screen.
pub const AUTH_SELECT_TITLE: &str = "認証選択";
/// What staff do on 認証選択（目視）.
pub const AUTH_VISUAL_LEAD: &str =
    "マイナンバーカードの券面写真で本人であることを目視確認してください。";
/// Heading: how to operate.
pub const HOW_TO_HEADING: &str = "操作方法について";
/// The manual's 操作方法 text.
pub const HOW_TO_VISUAL: &str = "目視確認後マイナンバーカードをカードリーダーの上に置いていただくことで、資格情報を確認することができます。";
/// Heading: the identity check method in use.
pub const METHOD_HEADING: &str = "設定中の本人確認の方法";
/// The 目視 method.
pub const METHOD_VISUAL: &str = "マイナンバーカードの券面で目視確認";

// --- マイナンバーカードの読み取り (P.17) --------------------------------------------------------

/// Title of the reading screen.
pub const READ_TITLE: &str = "マイナンバーカードの読み取り";
/// Instruction before reading.
pub const READ_PROMPT: &str = "カードリーダーにマイナンバーカードをセットし、「マイナンバーカードを読み取る」をクリックしてください。";
/// The read button.
pub const READ_BUTTON: &str = "マイナンバーカードを読み取る";
/// Progress: reading the card.
pub const READING_CARD: &str = "カードを読み取っています…";
/// Progress: waiting for the center.
pub const ASKING_CENTER: &str = "資格情報を確認しています…";
/// Reading done.
pub const READ_DONE: &str = "読み取りが完了しました。";
/// Reading done, what to do next.
pub const READ_DONE_NEXT: &str = "「次へ」をクリックして資格確認結果を表示します。";
/// Keep the card on the reader while reading.
pub const READ_KEEP_CARD: &str = "読み取りが終わるまでカードを動かさないでください。";

// --- 資格確認結果 (P.21) ------------------------------------------------------------------

/// Title of the result screen.
pub const RESULT_TITLE: &str = "資格確認結果";
/// Section heading of the qualification table.
pub const QUALIFICATION_INFO: &str = "資格情報";
/// 確認日 with the date.
pub fn confirmation_date(date: &Date) -> SensitiveText {
    SensitiveText::new(format!("確認日：{}", self::date(date)))
}
/// Row labels of the result table, in the manual's order.
pub mod field {
    /// 保険者番号.
    pub const INSURER_NUMBER: &str = "保険者番号";
    /// 保険者名.
    pub const INSURER_NAME: &str = "保険者名";
    /// 記号.
    pub const SYMBOL: &str = "記号";
    /// 番号.
    pub const NUMBER: &str = "番号";
    /// 枝番 (shown beside 番号).
    pub const BRANCH: &str = "枝番";
    /// フリガナ.
    pub const KANA: &str = "フリガナ";
    /// 氏名.
    pub const NAME: &str = "氏名";
    /// 生年月日.
    pub const BIRTHDATE: &str = "生年月日";
    /// 性別.
    pub const SEX: &str = "性別";
    /// 証区分.
    pub const CLASSIFICATION: &str = "証区分";
    /// 有効開始日.
    pub const VALID_FROM: &str = "有効開始日";
    /// 有効終了日.
    pub const VALID_UNTIL: &str = "有効終了日";
    /// 資格取得年月日.
    pub const QUALIFIED_ON: &str = "資格取得年月日";
    /// 負担割合.
    pub const RATIO: &str = "負担割合";
    /// 本人・家族の別.
    pub const RELATION: &str = "本人・家族の別";
    /// 被保険者氏名.
    pub const INSURED_NAME: &str = "被保険者氏名";
    /// 氏名カナ (裏面記載情報).
    pub const BACK_KANA: &str = "氏名カナ";
}
/// Section: 裏面記載情報.
pub const BACK_SIDE: &str = "裏面記載情報";
/// Section: 高齢受給者証.
pub const ELDERLY: &str = "高齢受給者証";
/// Band: 義務教育就学前.
pub const PRESCHOOL: &str = "義務教育就学前";
/// Band: the certificate expires within 3 months.
pub const CERT_EXPIRING: &str = "3か月以内に証明書が失効します";
/// Band: 医療扶助 with a valid insurance qualification.
pub const MEDICAL_ASSISTANCE: &str =
    "医療扶助の対象者です。\n必要な提出書類等により、資格確認を行ってください";
/// Band: 医療扶助 without a valid insurance qualification.
pub const MEDICAL_ASSISTANCE_ONLY: &str =
    "医療扶助対象者です\n必要な提出書類等により、資格確認を行ってください";
/// Band: the qualification is not valid.
pub const INVALID: &str = "この資格は無効です";
/// Band: more than one qualification matched (QualificationValidity 5).
pub const MULTIPLE_MATCHES: &str =
    "複数の資格が該当しました。資格確認書などで資格を確認してください。";
/// Band: no qualification found.
pub const NO_QUALIFICATION: &str = "該当する資格情報がありません";
/// コピー on 資格確認結果: the result onto the clipboard for the レセコン.
pub const COPY: &str = "コピー";
/// Band: the result is on the clipboard.
pub const COPIED: &str = "コピーしました。レセコンに貼り付けてください（10分後に消去されます）。";
/// Band: the clipboard could not take the result.
pub fn copy_failed(problem: crate::app::ClipboardProblem) -> &'static str {
    use crate::app::ClipboardProblem as P;
    match problem {
        P::Unavailable => "コピーできませんでした。この端末ではクリップボードを使えません。",
        P::Busy => {
            "コピーできませんでした。ほかのアプリを閉じてから、もう一度「コピー」を押してください。"
        }
    }
}
/// Band: the face file for the レセコン was not written; what to check, per cause. The
/// result itself is fine and the next check tries again.
pub fn export_failed(problem: crate::app::ExportProblem) -> &'static str {
    use crate::app::ExportProblem as P;
    match problem {
        P::FolderMissing => "レセコン連携用のファイルを書き込めませんでした。連携フォルダ（config.txt の export_dir）があるか、共有フォルダに接続できているか確認してください。",
        P::Denied => "レセコン連携用のファイルを書き込めませんでした。連携フォルダに書き込む権限があるか確認してください。",
        P::Full => "レセコン連携用のファイルを書き込めませんでした。連携フォルダのディスクの空き容量を確認してください。",
        P::Other => "レセコン連携用のファイルを書き込めませんでした。連携フォルダと接続を確認してください。続く場合は端末の管理者に連絡してください。",
    }
}
/// Section line of the copy text (the app's own).
pub const COPY_VALIDITY: &str = "資格有効性";
/// 資格有効性 as words (OQSCD006), in the copy text.
pub fn validity(v: crate::center::model::Validity) -> &'static str {
    use crate::center::model::Validity as V;
    match v {
        V::Valid => "有効",
        V::Invalid => "無効",
        V::InvalidNewerExists => "無効（新しい資格あり）",
        V::NoQualification => "該当資格なし",
        V::MultipleMatches => "複数該当",
        V::ValidUnregistered => "有効（未登録）",
    }
}
/// 確認日 line of the copy text, as the app writes it: 「確認日 : 2025年12月05日」.
pub fn copy_confirmation_date(date: &Date) -> SensitiveText {
    SensitiveText::new(format!("確認日 : {}", self::date(date)))
}

/// What a closed result means.
pub const RESULT_CLOSE_NOTE: &str =
    "閉じた後にもう一度確認するときは、\nマイナンバーカードを再度読み取ってください。";

/// A date the way the manual shows it: 2023年12月01日.
pub fn date(d: &Date) -> String {
    format!("{:04}年{:02}月{:02}日", d.year(), d.month(), d.day())
}

/// A date as patient data (wiped when the scene drops).
pub fn date_text(d: &Date) -> SensitiveText {
    SensitiveText::new(date(d))
}

/// 負担割合 from the official 3-digit percent: "010" → 1割.
pub fn ratio(r: Ratio) -> SensitiveText {
    SensitiveText::new(format!("{}割", r.tenths()))
}

/// 性別.
pub fn sex(s: Sex) -> &'static str {
    match s {
        Sex::Male => "男",
        Sex::Female => "女",
        Sex::Unset => "未設定",
    }
}

/// 本人・家族の別.
pub fn relation(r: Relation) -> &'static str {
    match r {
        Relation::Insured => "本人",
        Relation::Family => "家族",
    }
}

/// 証区分 (OQSCD010), names as the app shows them.
pub fn classification(c: CardClassification) -> &'static str {
    match c {
        CardClassification::Regular => "被保険者証（一般）",
        CardClassification::Retired => "被保険者証（退職）",
        CardClassification::ShortTermRegular => "短期被保険者証（一般）",
        CardClassification::ShortTermRetired => "短期被保険者証（退職）",
        CardClassification::CertificateOfQualification => "被保険者資格証明書",
        CardClassification::SpecialRetired => "特例退職被保険者証",
        CardClassification::SelfDefenseForces => "自衛官診療証",
        CardClassification::MedicalAssistance => "医療扶助",
    }
}

// --- 起動・登録 ---------------------------------------------------------------------------

/// Title of the damaged-settings screen.
pub const DAMAGED_TITLE: &str = "設定の読み込み";
/// What happened.
pub const DAMAGED_WHAT: &str = "この端末の設定ファイルが壊れているため、読み込めませんでした。";
/// What to do.
pub const DAMAGED_NEXT: &str = "お手数ですが、初期登録からやり直してください。マイナ資格確認アプリユーザ設定情報（機関コード、ID、パスワード）をご用意ください。";
/// The way back.
pub const DAMAGED_ACTION: &str = "初期登録に進む";
/// Title of 利用規約.
pub const TERMS_TITLE: &str = "利用規約";
/// The terms of use shown before registration.
pub const TERMS_TEXT: &str = "第1条（目的）本アプリは、オンライン資格確認等システムを利用して、患者のマイナンバーカードにより健康保険の資格情報を確認するためのものです。\n第2条（資格情報の取扱い）表示された資格情報は資格確認の目的にのみ使用し、画面の撮影・記録・第三者への提供を行わないでください。資格確認結果は閉じると端末に残りません。\n第3条（ID・パスワード等の管理）ID、パスワード及びパスコードは第三者に知られないよう管理してください。\n第4条（端末の管理）端末を使用しなくなった場合や紛失した場合は、デバイス登録解除を行い、実施機関に連絡してください。";
/// 同意して利用開始.
pub const TERMS_ACCEPT: &str = "同意して利用開始";
/// 初期登録.
pub const REGISTER_TITLE: &str = "初期登録";

// --- 初期登録・ログイン・起動 (P.5, P.15) ------------------------------------------------------

/// The 必須 mark.
pub const REQUIRED: &str = "必須";
/// Fields of 初期登録, in order.
pub const REGISTER_FIELDS: [&str; 4] =
    ["機関コード", "ID", "パスワード", "アクティベーションコード"];
/// How to fill 初期登録.
pub const REGISTER_LEAD: &str = "実施機関より送付されているマイナ資格確認アプリユーザ設定情報を参照しながら、各項目を入力してください。";
/// 登録する.
pub const REGISTER_BUTTON: &str = "登録する";
/// 登録完了.
pub const REGISTERED: &str =
    "初期登録が完了しました。続いて、アプリ起動時に使用するパスコードを登録します。";
/// システムログイン.
pub const LOGIN_TITLE: &str = "システムログイン";
/// Fields of システムログイン.
pub const LOGIN_FIELDS: [&str; 2] = ["ID", "パスワード"];
/// The lock rule (P.16).
pub const LOGIN_LOCK_NOTE: &str = "パスワードを5回間違えると、アカウントがロックされ30分間ログインできなくなります。ロックされた場合はオンライン資格確認等コールセンターまでお問い合わせください。";
/// ログイン.
pub const LOGIN_BUTTON: &str = "ログイン";
/// Start-up in progress.
pub const STARTING: &str = "オンライン資格確認等システムに接続しています…";
/// Start-up failed, title.
pub const START_FAILED: &str = "起動できませんでした";
/// Retry start-up.
pub const TRY_AGAIN: &str = "もう一度試す";
/// バージョン更新.
pub const UPDATE_TITLE: &str = "バージョン更新";
/// A newer version exists.
pub fn update_available(latest: &str) -> String {
    format!("アプリの最新バージョン（{latest}）があります。ダウンロードページから最新バージョンを入手してください。")
}
/// The running version may not be used any more.
pub const UPDATE_REQUIRED: &str = "お使いのバージョンは使用できなくなりました。最新バージョンに更新するまで資格確認はできません。";
/// ストアページへ移動する, here the download page.
pub const UPDATE_OPEN: &str = "ダウンロードページへ移動する";
/// あとで.
pub const LATER: &str = "あとで";
/// お知らせ.
pub const NOTICES: &str = "お知らせ";
/// How notices work.
pub const NOTICES_LEAD: &str =
    "お知らせのタイトルをクリックすると、詳細が記載されているWebサイトを開きます。";
/// No notices.
pub const NO_NOTICES: &str = "お知らせはありません。";
/// アカウントパスワード設定.
pub const ACCOUNT_PASSWORD: &str = "アカウントパスワード設定";
/// Its fields.
pub const ACCOUNT_PASSWORD_FIELDS: [&str; 3] = [
    "現在のパスワード",
    "新しいパスワード",
    "新しいパスワード（確認）",
];
/// The rule (P.10).
pub const PASSWORD_RULE: &str = "英字の大文字、英字の小文字、数字、記号の全てを組み合わせ、8文字以上20文字以下で設定してください。使用できる記号： ` ~ ! @ # $ % ^ & * _ { } [ ] | ; ' < > , . ? - ( ) /";
/// 変更.
pub const CHANGE_BUTTON: &str = "変更";
/// Changed.
pub const PASSWORD_CHANGED: &str = "アカウントパスワードを変更しました。";
/// A required field is empty.
pub fn missing(field: &str) -> String {
    format!("「{field}」を入力してください。")
}
/// 機関コード format.
pub const CODE_FORMAT: &str = "機関コードは数字10桁で入力してください。";
/// 機関コード check digit.
pub const CODE_CHECK_DIGIT: &str =
    "機関コードが正しくありません。ユーザ設定情報の機関コードを確認してください。";
/// ID format.
pub const USER_ID_FORMAT: &str =
    "IDが正しくありません。ユーザ設定情報のID（例：W0000001）を確認してください。";
/// Activation code format.
pub const ACTIVATION_CODE_FORMAT: &str = "アクティベーションコードが正しくありません。ユーザ設定情報のアクティベーションコードを確認してください。";
/// Password too short or long.
pub const PASSWORD_LENGTH: &str = "パスワードは8文字以上20文字以下で設定してください。";
/// A character outside the allowed set.
pub const PASSWORD_CHARACTER: &str = "パスワードに使用できない文字が含まれています。";
/// A kind of character is missing.
pub const PASSWORD_KINDS: &str =
    "英字の大文字、英字の小文字、数字、記号の全てを組み合わせてください。";
/// The two new passwords differ.
pub const PASSWORD_MISMATCH: &str = "新しいパスワードと確認用のパスワードが一致しません。";
/// On-screen keyboard: layer keys and editing keys.
pub mod keyboard {
    /// Upper-case layer.
    pub const UPPER: &str = "ABC";
    /// Lower-case layer.
    pub const LOWER: &str = "abc";
    /// Digits and symbols.
    pub const SYMBOLS: &str = "123記号";
    /// Delete before the caret.
    pub const DELETE: &str = "削除";
    /// Caret left.
    pub const LEFT: &str = "←";
    /// Caret right.
    pub const RIGHT: &str = "→";
    /// Show what was typed (👁).
    pub const REVEAL: &str = "表示";
}

// --- パスコード登録・設定 (P.5, P.11) ---------------------------------------------------------

/// パスコードの登録.
pub const PASSCODE_SETUP_TITLE: &str = "パスコードの登録";
/// Prompt for a new passcode.
pub const PASSCODE_SETUP_PROMPT: &str =
    "アプリ起動時に使用するパスコード（任意の数字4桁）を入力してください";
/// パスコードの登録（確認用）.
pub const PASSCODE_CONFIRM_TITLE: &str = "パスコードの登録（確認用）";
/// Prompt to repeat it.
pub const PASSCODE_CONFIRM_PROMPT: &str =
    "確認のため、もう一度同じパスコード（数字4桁）を入力してください";
/// The two entries differ.
pub const PASSCODE_MISMATCH: &str =
    "1回目と2回目のパスコードが一致しません。最初から入力してください。";
/// ログインパスコード設定.
pub const PASSCODE_CHANGE_TITLE: &str = "ログインパスコード設定";
/// Prompt for the current passcode.
pub const PASSCODE_CURRENT_PROMPT: &str = "現在のパスコード（数字4桁）を入力してください";
/// Prompt for the new passcode.
pub const PASSCODE_NEW_PROMPT: &str = "変更後の新しいパスコード（数字4桁）を入力してください";
/// Registered.
pub const PASSCODE_REGISTERED: &str = "パスコードを登録しました。";
/// Changed.
pub const PASSCODE_CHANGED: &str = "パスコードを変更しました。";

// --- 認証選択（暗証番号） (P.19) ----------------------------------------------------------------

/// What happens in 暗証番号 mode.
pub const AUTH_PIN_LEAD: &str =
    "患者にマイナンバーカードの暗証番号を入力してもらい、本人確認を行います。";
/// The manual's PIN warning.
pub const PIN_CAUTION: &str = "マイナンバーカードの暗証番号を3回誤ると不正利用防止のためロックがかかります。ロックを解除したい場合は、住民票のある市町村窓口でパスワード初期化を申請する必要があります。暗証番号を忘れてしまった場合も、住民票のある市町村窓口でパスワード再設定を申請する必要があります。";
/// Heading: switching to 目視.
pub const SWITCH_TO_VISUAL_HEADING: &str = "目視確認に切り替える場合";
/// How to switch.
pub const SWITCH_TO_VISUAL: &str = "画面右上の歯車のボタン ＞ セキュリティ設定 の順に選択し、「目視確認で本人認証」をオンにしてください。";
/// The 暗証番号 method.
pub const METHOD_PIN: &str = "マイナンバーカードの暗証番号で確認";
/// The confirmation before handing over.
pub const START_PIN_QUESTION: &str = "暗証番号の入力に進みます。患者に画面をお見せして、暗証番号（数字4桁）を入力していただいてください。";

// --- 暗証番号の入力 (P.19) ----------------------------------------------------------------------

/// Title of the patient's PIN screen.
pub const PIN_TITLE: &str = "暗証番号の入力";
/// Prompt.
pub const PIN_PROMPT: &str =
    "マイナンバーカードの利用者証明用電子証明書の暗証番号（数字4桁）を入力してください";
/// Tries left are not known until the card is on the reader.
pub const PIN_SET_CARD: &str = "カードリーダーにマイナンバーカードをセットしてください。";
/// Tries left.
pub fn pin_tries(n: u8) -> String {
    format!("あと{n}回入力できます")
}
/// The last try.
pub const PIN_LAST_TRY: &str = "あと1回間違えるとカードがロックされます。ロックされると、住民票のある市町村窓口での手続きが必要になります。";

// --- メニュー・設定 (P.9–P.14) ----------------------------------------------------------------

/// ⚙ (for screen readers and the scene's texts).
pub const MENU: &str = "メニュー";
/// カードリーダー選択.
pub const READER_SELECT: &str = "カードリーダー選択";
/// Titles of the menu's 🔗 pages, in the order of `app::MENU_LINKS`.
pub const MENU_LINKS: [&str; 2] = [
    "医療機関等向け総合ポータルサイト",
    "施術所等向け総合ポータルサイト",
];
/// セキュリティ設定.
pub const SECURITY: &str = "セキュリティ設定";
/// ログインパスコード設定 (menu entry).
pub const CHANGE_PASSCODE: &str = "ログインパスコード設定";
/// 目視確認で本人認証.
pub const VISUAL_CHECK: &str = "目視確認で本人認証";
/// What the switch does.
pub const VISUAL_CHECK_NOTE: &str =
    "オン：券面写真の目視確認で本人確認します。オフ：暗証番号で本人確認します。";
/// デバイス登録解除.
pub const DEREGISTER: &str = "デバイス登録解除";
/// ログアウト.
pub const LOGOUT: &str = "ログアウト";
/// アプリを終了 (セキュリティ設定).
pub const QUIT: &str = "アプリを終了";
/// アプリの終了: the passcode screen before the app ends.
pub const QUIT_TITLE: &str = "アプリの終了";
/// Prompt for the passcode before the app ends.
pub const QUIT_PROMPT: &str = "アプリを終了するには、パスコード（数字4桁）を入力してください";
/// オン.
pub const ON: &str = "オン";
/// オフ.
pub const OFF: &str = "オフ";
/// Readers to choose from.
pub const READER_SELECT_LEAD: &str = "使用するカードリーダーを選択してください。";
/// No reader.
pub const NO_READERS: &str =
    "使用可能なカードリーダーがありません。カードリーダーを接続してください。";
/// The reader in use.
pub const READER_IN_USE: &str = "（使用中）";
/// First confirmation of deregistration.
pub const DEREGISTER_QUESTION: &str = "デバイスの登録を解除します。登録を解除すると、再度初期登録を行うまでアプリを使用できなくなります。";
/// Second confirmation.
pub const DEREGISTER_AGAIN: &str = "本当にデバイスの登録を解除しますか？";
/// 登録解除.
pub const DEREGISTER_BUTTON: &str = "登録解除";
/// Done.
pub const DEREGISTERED: &str = "デバイス登録を解除しました。";
/// Logout confirmation.
pub const LOGOUT_QUESTION: &str =
    "システムからログアウトしますか？次回アプリ起動時に、ID及びパスワードの入力が必要になります。";
/// ログアウトする.
pub const LOGOUT_BUTTON: &str = "ログアウトする";
/// Band: the settings cannot be written; what to check, per cause. The kiosk keeps working
/// and tries again by itself.
pub fn settings_not_saved(problem: crate::app::settings::SaveProblem) -> &'static str {
    use crate::app::settings::SaveProblem as P;
    match problem {
        P::Full => "空き容量が不足し、設定を保存できません（資格確認は続けられます）。不要なファイルを削除してください。",
        P::ReadOnly => "保存先に書き込めず、設定を保存できません（資格確認は続けられます）。端末の管理者に連絡してください。",
        P::Other => "設定を保存できません（資格確認は続けられます）。続く場合は端末の管理者に連絡してください。",
    }
}
/// Band in `--kiosk`: a link is not opened; its address is shown.
pub fn link_address(url: &str) -> String {
    format!("ブラウザは開けません。別の端末で開いてください：{url}")
}
/// The link on パスコード入力.
pub const FORGOT_PASSCODE: &str = "パスコードを忘れた場合";
/// Countdown on a passcode pad after too many wrong passcodes.
pub fn passcode_wait(seconds: u64) -> String {
    format!("パスコードを続けて間違えたため、{seconds} 秒後に入力できます。")
}
/// Why システムログイン is asked for, in one sentence.
pub fn login_reason(reason: crate::app::LoginReason) -> &'static str {
    use crate::app::LoginReason as R;
    match reason {
        R::SessionEnded => "ログインの有効期限が切れたため、IDとパスワードでログインしてください。",
        R::PasscodeLocked => "パスコードを10回続けて間違えたため、パスコードでは開けません。IDとパスワードでログインし、新しいパスコードを登録してください。",
        R::ForgotPasscode => "IDとパスワードでログインすると、新しいパスコードを登録できます。",
    }
}
/// The center no longer knows this device.
pub const DEVICE_UNKNOWN: &str = "この端末の登録がオンライン資格確認等システムで解除されています。OK を押して初期登録をやり直してください。";
/// The PIN was wiped because the card moved before it was sent.
pub const PIN_CARD_CHANGED: &str = "カードが外されたため、入力した暗証番号を消去しました。カードをセットし直し、もう一度入力してください。";
/// The card's tries are being asked.
pub const PIN_ASKING_TRIES: &str = "カードを確認しています…";
/// Countdown on the result.
pub fn closes_in(seconds: u64) -> String {
    format!("操作がないため {seconds} 秒後に閉じます")
}

// --- Buttons ------------------------------------------------------------------------------

/// 次へ.
pub const NEXT: &str = "次へ";
/// 閉じる.
pub const CLOSE: &str = "閉じる";
/// OK.
pub const OK: &str = "OK";
/// キャンセル.
pub const CANCEL: &str = "キャンセル";
/// ← (戻る).
pub const BACK: &str = "← 戻る";
/// Next page of a long result.
pub const NEXT_PAGE: &str = "次のページ";
/// Previous page of a long result.
pub const PREV_PAGE: &str = "前のページ";
/// Page indicator, e.g. 「1 / 2 ページ」.
pub fn page_of(page: usize, pages: usize) -> String {
    format!("{page} / {pages} ページ")
}
/// Retry after a failure.
pub const RETRY: &str = "もう一度読み取る";
/// Back to 認証選択 after a failure.
pub const TO_AUTH_SELECT: &str = "認証選択に戻る";

// --- Errors: what happened, and what to do next -------------------------------------------

/// Title of the error screen.
pub const ERROR_TITLE: &str = "資格確認できませんでした";

/// A message for the person at the kiosk: what happened and what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advice {
    /// What happened, in one sentence.
    pub what: &'static str,
    /// What to do next.
    pub next: &'static str,
}

/// The one mapping from card errors to words.
pub fn card_error(e: &CardError) -> Advice {
    match e {
        CardError::NoService => Advice {
            what: "カードリーダーを使う準備ができていません（スマートカードサービスが動いていません）。",
            next: "端末を再起動してください。直らない場合は端末の管理者にお問い合わせください。",
        },
        CardError::NoReader => Advice {
            what: "カードリーダーが見つかりません。",
            next: "カードリーダーのケーブルが端末に接続されているか確認してください。",
        },
        CardError::NoCard => Advice {
            what: "カードリーダーにカードがありません。",
            next: "マイナンバーカードをカードリーダーにセットしてから、もう一度読み取ってください。",
        },
        CardError::CardRemoved => Advice {
            what: "読み取りの途中でカードが外れました。",
            next: "カードをカードリーダーにしっかりセットし、読み取りが終わるまで動かさないでください。",
        },
        CardError::NotMyNumberCard => Advice {
            what: "セットされたカードはマイナンバーカードではありません。",
            next: "マイナンバーカードをセットしてください。",
        },
        CardError::Timeout => Advice {
            what: "カードリーダーからの応答がありません。",
            next: "カードをセットし直して、もう一度読み取ってください。続く場合はカードリーダーを接続し直してください。",
        },
        CardError::SharingViolation => Advice {
            what: "ほかのアプリがカードを使用中のため、読み取れません。",
            next: "マイナンバーカードを使うほかのアプリを終了してから、もう一度読み取ってください。",
        },
        CardError::UnexpectedStatus(_) | CardError::BadCertificate(_) => Advice {
            what: "マイナンバーカードの電子証明書を読み取れませんでした。",
            next: "カードをセットし直して、もう一度読み取ってください。続く場合は市区町村の窓口でカードの確認を案内してください。",
        },
        CardError::PinFormat => Advice {
            what: "暗証番号は数字4桁です。",
            next: "利用者証明用電子証明書の暗証番号（数字4桁）を入力し直してください。",
        },
        CardError::WrongPin { .. } => Advice {
            what: "暗証番号が違います。",
            next: PIN_RETRY,
        },
        CardError::PinBlocked => Advice {
            what: "暗証番号を3回誤ったため、不正利用防止のためロックがかかっています。",
            next: "ロックを解除するには、住民票のある市町村窓口でパスワード初期化を申請する必要があります（患者本人又は代理人が申請します）。",
        },
        CardError::PinRequired => Advice {
            what: "暗証番号の確認が取り消されたため、本人確認を完了できませんでした。",
            next: "もう一度暗証番号を入力してください。",
        },
        CardError::BadSignature => Advice {
            what: "マイナンバーカードで本人確認の処理ができませんでした。",
            next: "カードをセットし直して、もう一度お試しください。続く場合は市区町村の窓口でカードの確認を案内してください。",
        },
        CardError::CardChanged => Advice {
            what: "暗証番号を入力したカードとは別のカードがセットされたため、暗証番号を送りませんでした。",
            next: "暗証番号を入力した本人のマイナンバーカードをセットし、もう一度入力してください。",
        },
        CardError::ReaderFault => Advice {
            what: "カードリーダーとの通信に失敗しました。",
            next: "カードをセットし直して、もう一度読み取ってください。続く場合はカードリーダーを接続し直してください。",
        },
        CardError::UnknownHolder => Advice {
            what: "このカード（またはスマートフォン）は、この端末では読み取れない種類のものです。",
            next: "マイナンバーカードをお持ちでしたら、カードをセットしてください。お持ちでない場合は、職員にお声がけください。",
        },
        CardError::PinFirst => Advice {
            what: PHONE_PIN_REASON,
            next: "もう一度スマートフォンをかざし、スマホ用電子証明書の暗証番号（数字4桁）を入力してください。",
        },
        CardError::PhoneLocked => Advice {
            what: "iPhoneでの本人確認が済んでいないため、読み取れませんでした。",
            next: PHONE_AUTH_AGAIN,
        },
        CardError::PhoneUnexpected(_) => Advice {
            what: "スマートフォンから想定していない応答があったため、読み取りを中止しました（暗証番号の入力回数は減っていません）。",
            next: PHONE_AUTH_AGAIN,
        },
        CardError::PhonePinBlocked => Advice {
            what: "スマホ用電子証明書の暗証番号がロックされているため、スマートフォンでは本人確認ができません。",
            next: "マイナンバーカードをお持ちでしたら、カードをセットしてください。お持ちでない場合は、職員にお声がけください。",
        },
        CardError::PhoneMoved => Advice {
            what: "読み取りの途中でスマートフォンがカードリーダーから離れました。",
            next: "スマートフォンをカードリーダーの中央にかざし、読み取りが終わるまで動かさないでください（金属の台の上では読み取れないことがあります）。続く場合は、マイナンバーカードをお使いいただくか、職員にお声がけください。",
        },
    }
}

// --- スマートフォン・顔認証マイナンバーカード ---------------------------------------------------

/// 目視 mode on an Android phone: why its PIN is asked (one sentence).
pub const PHONE_PIN_REASON: &str = "スマートフォンの電子証明書は暗証番号を入力しないと読み取れないため、目視確認でもスマホ用電子証明書の暗証番号（数字4桁）を入力していただきます。";
/// The prompt on an Android phone's pad.
pub const PHONE_PIN_PROMPT: &str = "スマホ用電子証明書の暗証番号（数字4桁）を入力してください";
/// The last try on an Android phone.
pub const PHONE_PIN_LAST_TRY: &str = "あと1回間違えるとスマホ用電子証明書がロックされます。ロックされた場合は、マイナンバーカードをお使いください。";
/// What to do when an iPhone did not allow the read.
pub const PHONE_AUTH_AGAIN: &str = "iPhoneでFace ID などの本人確認をしてから、iPhoneをカードリーダーにかざし、動かさずにお待ちください。続く場合は、マイナンバーカードをお使いいただくか、職員にお声がけください。";
/// Title of the iPhone screen.
pub const PHONE_TITLE: &str = "iPhoneで本人確認";
/// The iPhone screen: what the patient does.
pub const PHONE_STEPS: [&str; 3] = [
    "1. iPhoneでマイナンバーカードを表示し、Face ID（またはTouch ID・パスコード）で本人確認をしてください。",
    "2. iPhoneをカードリーダーにかざしたまま、動かさないでください。",
    "3. 「次へ」を押すと読み取りを始めます。",
];
/// The iPhone screen: no PIN here.
pub const PHONE_NO_PIN: &str = "iPhoneの場合、この端末で暗証番号を入力する必要はありません。";
/// Title of the screen for a card whose PIN cannot be used.
pub const PIN_UNUSABLE_TITLE: &str = "本人確認の方法";
/// The card's PIN cannot be used (blocked before anything was typed): neutral words.
pub const PIN_UNUSABLE: &str = "このマイナンバーカードは、暗証番号による本人確認ができません。";
/// What staff can do instead.
pub const PIN_UNUSABLE_NEXT: &str = "顔認証マイナンバーカードや、暗証番号がロックされたカードの場合です。職員がカードの顔写真で患者本人であることを確認できます。確認してから「目視で確認する」を押してください。";
/// The button that runs this one check in 目視 mode.
pub const VISUAL_INSTEAD: &str = "目視で確認する";
/// The last-try warning's alternative.
pub const PIN_LAST_TRY_VISUAL: &str = "暗証番号に自信がない場合は、入力せずに、職員がカードの顔写真で本人確認をすることもできます（「目視で確認する」）。";
/// Title of the staff confirmation.
pub const VISUAL_ONCE_TITLE: &str = "目視確認";
/// The staff confirmation before a one-time 目視 check.
pub const VISUAL_ONCE_QUESTION: &str = "職員がマイナンバーカードの顔写真と患者本人を見比べて、本人であることを確認しましたか。OKを押すと、今回の資格確認だけ目視確認で行います（設定は変わりません）。";

/// What to do after a wrong PIN (the `next` of [`CardError::WrongPin`]).
pub const PIN_RETRY: &str = "正しい暗証番号（数字4桁）を入力し直してください。3回誤るとロックがかかり、住民票のある市町村窓口での手続きが必要になります。";

/// A wrong PIN with the tries left, in the manual's words: 「暗証番号が違います。残り2回」.
/// Shown instead of the `what` of [`card_error`] for [`CardError::WrongPin`].
pub fn wrong_pin(tries_left: u8) -> String {
    format!("暗証番号が違います。残り{tries_left}回")
}

/// Next step: wait and retry, then call the help desk.
const RETRY_LATER: &str = "しばらく待ってから、もう一度お試しください。続く場合はオンライン資格確認等コールセンターにお問い合わせください。";
/// Next step: the app and the center disagree on the protocol.
const UPDATE_APP: &str = "アプリを最新版に更新してください。続く場合はオンライン資格確認等コールセンターにお問い合わせください。";
/// Next step: a PIN check has to start again.
const READ_AGAIN: &str = "もう一度マイナンバーカードを読み取ってください。";

/// The one mapping from center errors to words: every variant, every TLS failure and
/// every center error code has its own. A center refusal also carries the center's own
/// message, which the screen shows after `what`.
pub fn center_error(e: &CenterError) -> Advice {
    match e {
        CenterError::NoSession => Advice {
            what: "オンライン資格確認等システムにログインしていません。",
            next: "パスコード、またはIDとパスワードでログインしてください。",
        },
        CenterError::Unreachable => Advice {
            what: "オンライン資格確認等システムに接続できません。",
            next: "インターネットに接続されているか確認して、もう一度お試しください。",
        },
        CenterError::Timeout => Advice {
            what: "オンライン資格確認等システムから応答がありません。",
            next: "しばらく待ってから、もう一度お試しください。",
        },
        CenterError::Tls(TlsFailure::UntrustedCertificate) => Advice {
            what: "接続先がオンライン資格確認等システムであることを確認できませんでした（証明書を信頼できません）。",
            next: "通信が途中で別の機器に中継されている可能性があります。端末の管理者にネットワークの設定を確認してもらってください。",
        },
        CenterError::Tls(TlsFailure::WrongHost) => Advice {
            what: "接続先の名前が証明書と一致しません。",
            next: "接続先の設定を端末の管理者に確認してもらってください。",
        },
        CenterError::Tls(TlsFailure::CertificateDates) => Advice {
            what: "接続先の証明書が有効期間外です。",
            next: "端末の日付と時刻が正しいか確認してください。正しい場合はオンライン資格確認等コールセンターにお問い合わせください。",
        },
        CenterError::Tls(TlsFailure::Handshake) => Advice {
            what: "オンライン資格確認等システムとの安全な通信を確立できませんでした。",
            next: RETRY_LATER,
        },
        CenterError::Interrupted => Advice {
            what: "オンライン資格確認等システムとの通信が途中で切れました。",
            next: "インターネットの接続を確認して、もう一度お試しください。",
        },
        CenterError::Server { .. } => Advice {
            what: "オンライン資格確認等システムでエラーが発生しました。",
            next: RETRY_LATER,
        },
        CenterError::Malformed => Advice {
            what: "オンライン資格確認等システムからの応答を読み取れませんでした。",
            next: UPDATE_APP,
        },
        CenterError::TooLarge => Advice {
            what: "オンライン資格確認等システムからの応答が大きすぎるため受け取れませんでした。",
            next: "ネットワークの設定（プロキシ等）を端末の管理者に確認してもらってください。",
        },
        CenterError::Rejected { code, .. } => rejected(code),
    }
}

/// The words for each center error code.
fn rejected(code: &ErrorCode) -> Advice {
    let (what, next) = match code {
        ErrorCode::BadRequest => (
            "オンライン資格確認等システムが要求の形式を受け付けませんでした。",
            UPDATE_APP,
        ),
        ErrorCode::NotFound => (
            "オンライン資格確認等システムがこの機能を提供していません。",
            UPDATE_APP,
        ),
        ErrorCode::MethodNotAllowed => (
            "オンライン資格確認等システムがこの方法での要求を受け付けませんでした。",
            UPDATE_APP,
        ),
        ErrorCode::RequestTooLarge => (
            "要求が大きすぎるため、オンライン資格確認等システムが受け付けませんでした。",
            RETRY_LATER,
        ),
        ErrorCode::RequestTimeout => (
            "要求の送信に時間がかかりすぎました。",
            "インターネットの接続を確認して、もう一度お試しください。",
        ),
        ErrorCode::SessionInvalid => (
            "ログインが切れています。",
            "パスコードを入力し直すか、IDとパスワードでログインしてください。",
        ),
        ErrorCode::SessionExpired => (
            "ログインの有効時間が過ぎました。",
            "パスコードを入力し直してください。",
        ),
        ErrorCode::RefreshRejected => (
            "ログインの有効期限が切れました。",
            "IDとパスワードでログインしてください。",
        ),
        ErrorCode::UnknownCertificate => (
            "このマイナンバーカードに紐づく資格情報が見つかりません。",
            "資格確認書などで資格を確認してください。",
        ),
        ErrorCode::CertificateExpired => (
            "マイナンバーカードの電子証明書の有効期限が切れています。",
            "資格確認書などで資格を確認し、患者には市区町村の窓口で電子証明書の更新手続きをするよう案内してください。",
        ),
        ErrorCode::WrongCredentials => (
            "IDまたはパスワードが正しくありません。",
            "マイナ資格確認アプリユーザ設定情報を確認して入力し直してください。パスワードを5回間違えると、30分間ログインできなくなります。",
        ),
        ErrorCode::AccountLocked => (
            "パスワードを5回間違えたため、アカウントがロックされています。",
            "30分待ってからログインしてください。急ぐ場合はオンライン資格確認等コールセンターにお問い合わせください。",
        ),
        ErrorCode::PasswordRules => (
            "新しいパスワードが規則に合っていません。",
            "英字の大文字、英字の小文字、数字、記号の全てを組み合わせ、8文字以上20文字以下で設定してください。",
        ),
        ErrorCode::WrongActivationCode => (
            "アクティベーションコードが正しくありません。",
            "マイナ資格確認アプリユーザ設定情報のアクティベーションコードを確認して入力し直してください。",
        ),
        ErrorCode::WrongInstitutionCode => (
            "機関コードが正しくありません。",
            "マイナ資格確認アプリユーザ設定情報の機関コード（10桁）を確認して入力し直してください。",
        ),
        ErrorCode::DeviceNotRegistered => (
            "この端末はオンライン資格確認等システムに登録されていません。",
            "初期登録をやり直してください。",
        ),
        ErrorCode::UnknownNotice => (
            "お知らせが見つかりません。",
            "お知らせ一覧を開き直してください。",
        ),
        ErrorCode::ChallengeInvalid => (
            "暗証番号による本人確認の手続きが無効になりました。",
            READ_AGAIN,
        ),
        ErrorCode::ChallengeExpired => (
            "暗証番号による本人確認の有効時間（2分）が過ぎました。",
            READ_AGAIN,
        ),
        ErrorCode::SignatureInvalid => (
            "マイナンバーカードによる本人確認ができませんでした。",
            "カードをセットし直して、もう一度読み取ってください。続く場合は目視確認で資格を確認してください。",
        ),
        ErrorCode::Internal => (
            "オンライン資格確認等システムで障害が発生しました。",
            "しばらく待ってから、もう一度お試しください。",
        ),
        ErrorCode::Unknown(_) => (
            "オンライン資格確認等システムが要求を受け付けませんでした。",
            "表示された内容を確認してください。",
        ),
    };
    Advice { what, next }
}

// --- スクリーンリーダー ------------------------------------------------------------------------

/// How many digits a keypad holds, as a screen reader announces it: never which digits.
pub fn digits_entered(filled: u8) -> String {
    format!("{filled}桁入力済み")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_unknown_holders_are_never_called_not_a_my_number_card() {
        use crate::card::apdu::StatusWord;
        for e in [
            CardError::UnknownHolder,
            CardError::PinFirst,
            CardError::PhoneLocked,
            CardError::PhoneUnexpected(StatusWord::Other(0x6985)),
            CardError::PhoneMoved,
            CardError::PhonePinBlocked,
        ] {
            let advice = card_error(&e);
            let words = format!("{}{}", advice.what, advice.next);
            assert!(!words.contains("ではありません"), "{e:?}: {words}");
            assert!(
                !words.contains("市区町村") && !words.contains("市町村"),
                "{e:?}: {words}"
            );
            // Each names what to do next: hold still, use the card, or ask staff.
            assert!(
                [
                    "動かさ",
                    "マイナンバーカードをお",
                    "職員",
                    "暗証番号（数字4桁）を入力"
                ]
                .iter()
                .any(|w| advice.next.contains(w)),
                "{e:?}: {}",
                advice.next
            );
        }
        assert!(card_error(&CardError::PhoneMoved)
            .next
            .contains("動かさない"));
        assert!(card_error(&CardError::UnknownHolder).next.contains("職員"));
        assert!(
            card_error(&CardError::PhoneUnexpected(StatusWord::Other(0x6985)))
                .what
                .contains("減っていません")
        );
    }

    #[test]
    fn wrong_pin_says_the_tries_left_as_the_manual_does() {
        assert_eq!(wrong_pin(2), "暗証番号が違います。残り2回");
        assert_eq!(wrong_pin(1), "暗証番号が違います。残り1回");
        let advice = card_error(&CardError::WrongPin { tries_left: 1 });
        assert_eq!(advice.next, PIN_RETRY);
        assert!(
            advice.next.contains("3回誤るとロック"),
            "warns before the lock"
        );
    }

    #[test]
    fn a_blocked_pin_sends_the_patient_to_the_municipal_office() {
        let advice = card_error(&CardError::PinBlocked);
        assert!(advice.what.contains("3回誤った"), "{}", advice.what);
        assert!(advice.what.contains("ロック"), "{}", advice.what);
        assert!(
            advice.next.contains("住民票のある市町村窓口"),
            "{}",
            advice.next
        );
    }

    #[test]
    fn another_program_holding_the_card_is_named_as_such() {
        let advice = card_error(&CardError::SharingViolation);
        assert!(advice.what.contains("ほかのアプリ"), "{}", advice.what);
        assert!(advice.next.contains("終了"), "{}", advice.next);
    }

    #[test]
    fn dates_show_as_the_manual_does() {
        let d = Date::parse_yyyymmdd("19520101").expect("valid date");
        assert_eq!(date(&d), "1952年01月01日");
        assert_eq!(confirmation_date(&d).expose(), "確認日：1952年01月01日");
    }

    #[test]
    fn ratio_shows_in_wari() {
        let r = Ratio::from_code("010").expect("valid ratio");
        assert_eq!(ratio(r).expose(), "1割");
        let r = Ratio::from_code("030").expect("valid ratio");
        assert_eq!(ratio(r).expose(), "3割");
    }

    #[test]
    fn every_error_says_what_to_do() {
        use crate::card::apdu::StatusWord;
        use crate::card::cert::CertError;
        let cards = [
            CardError::NoService,
            CardError::NoReader,
            CardError::NoCard,
            CardError::CardRemoved,
            CardError::Timeout,
            CardError::SharingViolation,
            CardError::NotMyNumberCard,
            CardError::UnexpectedStatus(StatusWord::WrongP1P2),
            CardError::BadCertificate(CertError::Truncated),
            CardError::PinFormat,
            CardError::WrongPin { tries_left: 2 },
            CardError::PinBlocked,
            CardError::PinRequired,
            CardError::BadSignature,
            CardError::ReaderFault,
        ];
        for e in &cards {
            let a = card_error(e);
            assert!(!a.what.is_empty() && !a.next.is_empty(), "{e:?}");
        }
        let mut centers = vec![
            CenterError::NoSession,
            CenterError::Unreachable,
            CenterError::Timeout,
            CenterError::Tls(TlsFailure::UntrustedCertificate),
            CenterError::Tls(TlsFailure::WrongHost),
            CenterError::Tls(TlsFailure::CertificateDates),
            CenterError::Tls(TlsFailure::Handshake),
            CenterError::Interrupted,
            CenterError::Server { status: 500 },
            CenterError::Malformed,
            CenterError::TooLarge,
        ];
        for code in ErrorCode::KNOWN
            .into_iter()
            .chain([ErrorCode::Unknown("MK-E7777".into())])
        {
            centers.push(CenterError::Rejected {
                code,
                message: String::new(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        for e in &centers {
            let a = center_error(e);
            assert!(!a.what.is_empty() && !a.next.is_empty(), "{e:?}");
            assert!(
                seen.insert(a.what),
                "{e:?} shares its words with another error"
            );
        }
        // Distinct causes get distinct words.
        assert_ne!(
            card_error(&CardError::NoReader),
            card_error(&CardError::NoCard)
        );
        for (i, a) in cards.iter().enumerate() {
            for b in &cards[i + 1..] {
                let same_cause = matches!(
                    (a, b),
                    (CardError::UnexpectedStatus(_), CardError::BadCertificate(_))
                );
                if !same_cause {
                    assert_ne!(card_error(a).what, card_error(b).what, "{a:?} / {b:?}");
                }
            }
        }
        assert_ne!(
            center_error(&CenterError::Unreachable),
            center_error(&CenterError::Timeout)
        );
    }
}
