//! Results leave the kiosk (issue 13): every demo card's face file parsed back with a real
//! XML parser and compared field by field with the center's answer, in both encodings; the
//! file name; the コピー text against the screen's rows; faults of the export folder (the
//! result stays on screen, with a band, no temporary file, no second check); retention.
#![cfg(feature = "demo")]

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use myna_kakunin::app::{ExportProblem, ExportStatus, State, UiAction};
use myna_kakunin::card::virtual_card::demo_cards;
use myna_kakunin::center::face::{half_width_kana, FaceEncoding};
use myna_kakunin::center::model::{CheckOutcome, Validity};
use myna_kakunin::center::reference::DEMO_INSTITUTION_CODE;
use myna_kakunin::shell::demo;
use myna_kakunin::shell::demo_export::{self, CardExport};
use myna_kakunin::shell::export::{ExportConfig, Exporter, WriteFn};
use myna_kakunin::shell::headless::Session;
use myna_kakunin::ui::screens::{view, Size};
use myna_kakunin::ui::strings as s;
use myna_kakunin::ui::text::Text;

/// 2025-12-05 09:08:07 in Japan (00:08:07 UTC).
const NOW: i64 = 1_764_893_287;
const NOW_JST: &str = "20251205090807";

fn clock() -> i64 {
    NOW
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mk-export-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The file's text, decoded as its declaration and CharacterCodeIdentifier say.
fn decode(bytes: &[u8], encoding: FaceEncoding) -> String {
    match encoding {
        FaceEncoding::ShiftJis => {
            assert!(bytes
                .starts_with(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>"));
            // An independent CP932 decoder (WHATWG Shift_JIS); any byte it cannot read fails.
            let (text, errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
            assert!(!errors, "the file is valid CP932");
            assert!(
                std::str::from_utf8(bytes).is_err() || bytes.is_ascii(),
                "Shift_JIS bytes, not UTF-8"
            );
            text.into_owned()
        }
        FaceEncoding::Utf8 => {
            let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
            assert!(
                text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>")
            );
            text
        }
    }
}

/// Every element holding text, by its path below XmlMsg.
fn fields(text: &str) -> BTreeMap<String, String> {
    let doc = roxmltree::Document::parse(text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "XmlMsg");
    let mut out = BTreeMap::new();
    for node in root.descendants().filter(|n| n.is_element()) {
        let has_children = node.children().any(|c| c.is_element());
        if has_children {
            continue;
        }
        let mut path: Vec<&str> = node
            .ancestors()
            .filter(|a| a.is_element() && *a != root)
            .map(|a| a.tag_name().name())
            .collect();
        path.reverse();
        let value = node.text().unwrap_or_default().to_owned();
        assert!(!value.is_empty(), "{} is written empty", path.join("/"));
        assert!(
            out.insert(path.join("/"), value).is_none(),
            "{} twice",
            path.join("/")
        );
    }
    out
}

/// What the file must hold for `o`, written out from the official layout.
fn expected(o: &CheckOutcome, encoding: FaceEncoding) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        m.insert(k.to_owned(), v);
    };
    put("MessageHeader/ProcessExecutionTime", NOW_JST.into());
    put(
        "MessageHeader/QualificationConfirmationDate",
        o.confirmation_date.to_yyyymmdd(),
    );
    put(
        "MessageHeader/MedicalInstitutionCode",
        DEMO_INSTITUTION_CODE.into(),
    );
    put("MessageHeader/ReferenceClassification", "1".into());
    put("MessageHeader/SegmentOfResult", "1".into());
    let cci = match encoding {
        FaceEncoding::ShiftJis => "1",
        FaceEncoding::Utf8 => "0",
    };
    put("MessageHeader/CharacterCodeIdentifier", cci.into());
    put("MessageBody/ProcessingResultStatus", "1".into());
    if o.cert_expiring {
        put("MessageBody/ProcessingResultCode", "MK-I0001".into());
    }
    put(
        "MessageBody/QualificationValidity",
        o.validity.code().into(),
    );
    let Some(q) = &o.qualification else {
        return m;
    };
    let r = |k: &str| format!("MessageBody/ResultList/ResultOfQualificationConfirmation/{k}");
    put(
        &r("InsuredCardClassification"),
        q.card_classification.code().into(),
    );
    let insurer = q.insurer_number.expose().trim_start();
    put(&r("InsurerNumber"), format!("{insurer:>8}"));
    if let Some(v) = &q.symbol {
        put(&r("InsuredCardSymbol"), v.expose().into());
    }
    put(&r("InsuredIdentificationNumber"), q.number.expose().into());
    if let Some(v) = &q.branch {
        put(&r("InsuredBranchNumber"), v.expose().into());
    }
    if let Some(v) = q.relation {
        put(&r("PersonalFamilyClassification"), v.code().into());
    }
    if let Some(v) = &q.insured_name {
        put(&r("InsuredName"), v.expose().into());
    }
    put(&r("Name"), q.name.expose().into());
    put(&r("NameKana"), half_width_kana(q.name_kana.expose()));
    if let Some(b) = &q.back {
        if let Some(v) = &b.name {
            put(&r("NameOfOther"), v.expose().into());
        }
        if let Some(v) = &b.name_kana {
            put(&r("NameOfOtherKana"), half_width_kana(v.expose()));
        }
        if let Some(v) = b.sex {
            put(&r("Sex2"), v.code().into());
        }
    }
    put(&r("Sex1"), q.sex.code().into());
    put(&r("Birthdate"), q.birthdate.to_yyyymmdd());
    if let Some(d) = &q.qualified_on {
        put(&r("QualificationDate"), d.to_yyyymmdd());
    }
    if let Some(d) = &q.valid_from {
        put(&r("InsuredCardValidDate"), d.to_yyyymmdd());
    }
    if let Some(d) = &q.valid_until {
        put(&r("InsuredCardExpirationDate"), d.to_yyyymmdd());
    }
    if let Some(v) = q.ratio {
        put(&r("InsuredPartialContributionRatio"), v.code());
    }
    if let Some(v) = q.preschool {
        put(&r("PreschoolClassification"), v.code().into());
    }
    put(&r("InsurerName"), q.insurer_name.expose().into());
    if let Some(e) = &q.elderly {
        let e_ = |k: &str| r(&format!("ElderlyRecipientCertificateInfo/{k}"));
        if let Some(d) = &e.valid_from {
            put(&e_("ElderlyRecipientValidStartDate"), d.to_yyyymmdd());
        }
        if let Some(d) = &e.valid_until {
            put(&e_("ElderlyRecipientValidEndDate"), d.to_yyyymmdd());
        }
        put(&e_("ElderlyRecipientContributionRatio"), e.ratio.code());
    }
    m
}

/// The name readers accept (MynaReception: `\AOQSsiquc01res_face_.+_(\d{14})\.xml\z`),
/// with the stamp of the export time in Japan.
fn check_file_name(name: &str) {
    let rest = name
        .strip_prefix("OQSsiquc01res_face_")
        .and_then(|r| r.strip_suffix(".xml"))
        .unwrap_or_else(|| panic!("{name}: prefix or suffix"));
    let (id, stamp) = rest.rsplit_once('_').expect("an id and a stamp");
    assert!(!id.is_empty(), "{name}: the id");
    assert!(
        stamp.len() == 14 && stamp.bytes().all(|b| b.is_ascii_digit()),
        "{name}: the stamp"
    );
    assert_eq!(stamp, NOW_JST, "{name}: Japan time");
}

fn export_every_card(encoding: FaceEncoding, tag: &str) -> (PathBuf, Vec<CardExport>) {
    let dir = fresh_dir(tag);
    let mut text = Text::load().expect("font");
    let cards = demo_export::run(&dir, encoding, clock, |session, card| {
        if let Some(copy) = &card.copy {
            copy_matches_the_screen(session, copy, &mut text);
        }
    })
    .expect("demo-export runs");
    (dir, cards)
}

#[test]
fn every_demo_card_parses_back_field_by_field_in_both_encodings() {
    for (encoding, tag) in [
        (FaceEncoding::ShiftJis, "sjis"),
        (FaceEncoding::Utf8, "utf8"),
    ] {
        let (dir, cards) = export_every_card(encoding, tag);
        assert_eq!(cards.len(), demo_cards().len());
        let mut validities = Vec::new();
        let mut files = 0;
        for card in &cards {
            let Some(outcome) = &card.outcome else {
                assert!(card.xml.is_none(), "{}: no result, no file", card.id);
                continue;
            };
            let path = card
                .xml
                .as_ref()
                .unwrap_or_else(|| panic!("{}: a file", card.id));
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            check_file_name(&name);
            let text = decode(&fs::read(path).expect("readable"), encoding);
            assert_eq!(
                fields(&text),
                expected(outcome, encoding),
                "{} ({tag})",
                card.id
            );
            if let Some(q) = &outcome.qualification {
                let kana = &fields(&text)
                    ["MessageBody/ResultList/ResultOfQualificationConfirmation/NameKana"];
                assert!(
                    kana.chars()
                        .all(|c| c == ' ' || ('\u{FF61}'..='\u{FF9F}').contains(&c)),
                    "{}: NameKana {kana} from {} is half-width katakana",
                    card.id,
                    q.name_kana.expose()
                );
            }
            validities.push(outcome.validity);
            files += 1;
        }
        // Every variant that reaches the screen was written: 有効, 無効, 該当資格なし, 医療扶助.
        for v in [
            Validity::Valid,
            Validity::Invalid,
            Validity::NoQualification,
        ] {
            assert!(validities.contains(&v), "{v:?} exported ({tag})");
        }
        assert!(cards
            .iter()
            .filter_map(|c| c.outcome.as_ref())
            .any(|o| o.is_medical_assistance()));
        // One file per result, one copy text per result, nothing else; no temporary file.
        let listed = names(&dir);
        assert_eq!(listed.len(), 2 * files, "{listed:?}");
        for card in cards.iter().filter(|c| c.outcome.is_some()) {
            let txt = fs::read_to_string(dir.join(format!("{}.txt", card.id))).expect("copy text");
            assert_eq!(Some(&txt), card.copy.as_ref());
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

/// The copy text holds exactly the screen's rows (label, value), plus 枝番 on its own line.
fn copy_matches_the_screen(session: &Session, copy: &str, text: &mut Text) {
    let State::ShowResult(shown) = session.app().state() else {
        panic!("the result is on screen");
    };
    assert_eq!(shown.export, ExportStatus::Written);
    // Tall enough that the whole table is on one page.
    let scene = view(session.app(), Size { w: 1280, h: 4000 }, text);
    let texts = scene.texts();
    assert!(texts.contains(&s::COPIED), "the confirmation is on screen");
    assert!(copy.ends_with("\r\n") && !copy.replace("\r\n", "").contains('\n'));
    let lines: Vec<&str> = copy.trim_end_matches("\r\n").split("\r\n").collect();
    assert_eq!(lines[0], "資格情報");
    let date = lines[1].strip_prefix("確認日 : ").expect("確認日 : …");
    assert!(texts.contains(&format!("確認日：{date}").as_str()));
    let pair = |label: &str, value: &dyn Fn(&str) -> bool| {
        texts.windows(2).any(|w| w[0] == label && value(w[1]))
    };
    let labels = [
        s::field::INSURER_NUMBER,
        s::field::INSURER_NAME,
        s::field::SYMBOL,
        s::field::NUMBER,
        s::field::KANA,
        s::field::NAME,
        s::field::BIRTHDATE,
        s::field::SEX,
        s::field::CLASSIFICATION,
        s::field::VALID_FROM,
        s::field::VALID_UNTIL,
        s::field::QUALIFIED_ON,
        s::field::RATIO,
        s::field::RELATION,
        s::field::INSURED_NAME,
        s::field::BACK_KANA,
    ];
    let mut copied_labels = Vec::new();
    let mut number = "";
    for line in &lines[2..] {
        match line.split_once('\t') {
            None => assert!(texts.contains(line), "section {line} on screen"),
            Some((s::COPY_VALIDITY, value)) => {
                assert_eq!(value, s::validity(shown.outcome.validity));
                assert_ne!(shown.outcome.validity, Validity::Valid);
            }
            Some((s::field::NUMBER, value)) => {
                number = value;
                copied_labels.push(s::field::NUMBER);
                assert!(pair(s::field::NUMBER, &|v| v.starts_with(value)), "{line}");
            }
            Some((s::field::BRANCH, value)) => {
                let shown_branch = value.trim_start_matches('0');
                let want = format!(
                    "{number}　{} {}",
                    s::field::BRANCH,
                    if shown_branch.is_empty() {
                        "0"
                    } else {
                        shown_branch
                    }
                );
                assert!(pair(s::field::NUMBER, &|v| v == want), "{line}");
            }
            Some((label, value)) => {
                copied_labels.push(label);
                assert!(pair(label, &|v| v == value), "{line} on screen: {texts:?}");
            }
        }
    }
    if shown.outcome.validity == Validity::Valid {
        assert!(!copy.contains(s::COPY_VALIDITY));
    }
    // And every row of the screen is in the copy.
    for label in labels {
        let on_screen = texts.iter().filter(|t| **t == label).count();
        let copied = copied_labels.iter().filter(|l| **l == label).count();
        assert_eq!(on_screen, copied, "{label}");
    }
}

fn show_one(s: &mut Session, index: u8) {
    s.act_and_settle(UiAction::DemoToggleCard(index));
    assert!(matches!(s.app().state(), State::ReadCard(c) if c.done().is_some()));
    s.act_and_settle(UiAction::Next);
}

fn kiosk(config: ExportConfig, writer: Option<WriteFn>) -> Session {
    let (app, mut backends) = demo::setup_exporting(clock, config.clone());
    if let Some(w) = writer {
        backends.export = Some(Exporter::new(config).with_clock(clock).with_writer(w));
    }
    let mut s = Session::new(app, backends);
    for d in demo::PASSCODE.bytes() {
        s.act_and_settle(UiAction::Digit(d - b'0'));
    }
    if s.app().state().name() == "Notices" {
        s.act_and_settle(UiAction::Close);
    }
    assert_eq!(s.app().state().name(), "SelectAuth");
    s
}

fn config(dir: &Path) -> ExportConfig {
    ExportConfig {
        dir: dir.to_path_buf(),
        encoding: FaceEncoding::ShiftJis,
        keep_days: 1,
    }
}

/// The result is on screen with the band for `problem`, nothing more was asked of anyone.
fn shown_with_band(s: &Session, problem: ExportProblem, text: &mut Text) {
    let State::ShowResult(shown) = s.app().state() else {
        panic!("the result is still shown");
    };
    assert_eq!(shown.export, ExportStatus::Failed(problem));
    assert!(shown.outcome.qualification.is_some());
    assert_eq!(s.pending(), 0, "no check is repeated");
    let scene = view(s.app(), Size::DESIGN, text);
    let band = s::export_failed(problem);
    assert!(band.starts_with("レセコン連携用のファイルを書き込めませんでした"));
    assert!(scene.texts().contains(&band), "the band is on screen");
}

fn full_disk(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(&bytes[..bytes.len() / 2])?;
    Err(io::Error::from_raw_os_error(28)) // ENOSPC
}

fn read_only(_: &mut File, _: &[u8]) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(30)) // EROFS
}

#[test]
fn a_missing_folder_shows_the_band_and_the_next_check_tries_again() {
    let mut text = Text::load().expect("font");
    let dir = fresh_dir("missing");
    let mut s = kiosk(config(&dir), None);
    show_one(&mut s, 0);
    shown_with_band(&s, ExportProblem::FolderMissing, &mut text);
    assert!(!dir.exists());
    s.act_and_settle(UiAction::Close);
    s.act_and_settle(UiAction::DemoToggleCard(0));
    // The share is back: the next check writes its file, no band.
    fs::create_dir_all(&dir).unwrap();
    show_one(&mut s, 0);
    let State::ShowResult(shown) = s.app().state() else {
        panic!("shown")
    };
    assert_eq!(shown.export, ExportStatus::Written);
    let scene = view(s.app(), Size::DESIGN, &text);
    assert!(!scene
        .texts()
        .iter()
        .any(|t| t.starts_with("レセコン連携用")));
    let listed = names(&dir);
    assert_eq!(listed.len(), 1, "{listed:?}");
    check_file_name(&listed[0]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join(&listed[0]))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o007,
            0,
            "patient data: nothing for others ({mode:o})"
        );
    }
    // A share that went away while the kiosk runs: the folder is gone again.
    s.act_and_settle(UiAction::Close);
    s.act_and_settle(UiAction::DemoToggleCard(0));
    fs::remove_dir_all(&dir).unwrap();
    show_one(&mut s, 0);
    shown_with_band(&s, ExportProblem::FolderMissing, &mut text);
}

#[test]
fn a_full_or_read_only_folder_shows_the_band_and_leaves_no_temporary_file() {
    let mut text = Text::load().expect("font");
    for (tag, writer, problem) in [
        (
            "full",
            full_disk as fn(&mut File, &[u8]) -> io::Result<()>,
            ExportProblem::Full,
        ),
        ("ro", read_only, ExportProblem::Denied),
    ] {
        let dir = fresh_dir(tag);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("someone-elses.xml"), "x").unwrap();
        let mut s = kiosk(config(&dir), Some(writer));
        show_one(&mut s, 0);
        shown_with_band(&s, problem, &mut text);
        assert_eq!(
            names(&dir),
            ["someone-elses.xml"],
            "{tag}: nothing of ours is left"
        );
        // Touching the kiosk does not try again or repeat the check.
        s.act_and_settle(UiAction::Touch);
        shown_with_band(&s, problem, &mut text);
        let _ = fs::remove_dir_all(&dir);
    }
    // A real read-only folder, where permissions bind the test (not as root).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = fresh_dir("ro-real");
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
        let binding = File::create(dir.join("probe")).is_err();
        let mut s = kiosk(config(&dir), None);
        show_one(&mut s, 0);
        let State::ShowResult(shown) = s.app().state() else {
            panic!("shown")
        };
        let want = if binding {
            ExportStatus::Failed(ExportProblem::Denied)
        } else {
            // Root writes anyway; the injected writer above covers the band.
            ExportStatus::Written
        };
        assert_eq!(shown.export, want);
        assert!(!names(&dir).iter().any(|n| n.ends_with(".part")));
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let _ = fs::remove_dir_all(&dir);
    }
}

#[test]
fn retention_removes_only_our_own_old_files() {
    let dir = fresh_dir("retention");
    fs::create_dir_all(&dir).unwrap();
    let ours_old = "OQSsiquc01res_face_MK1312345679000001_20251201090000.xml";
    let ours_new = "OQSsiquc01res_face_MK1312345679000002_20251205090000.xml";
    let ours_temp = ".OQSsiquc01res_face_MK1312345679000003_20251201090000.xml.part";
    let real_system = "OQSsiquc01res_face_1312345679001_20251201090000.xml";
    let other = "notes.txt";
    let day = Duration::from_secs(86_400);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW as u64);
    for (name, age) in [
        (ours_old, 3 * day),
        (ours_new, Duration::from_secs(3600)),
        (ours_temp, 2 * day),
        (real_system, 3 * day),
        (other, 30 * day),
    ] {
        let f = File::create(dir.join(name)).unwrap();
        f.set_modified(now - age).unwrap();
    }
    fs::create_dir(dir.join("OQSsiquc01res_face_MK1312345679000004_20251101090000.xml")).unwrap();
    let exporter = Exporter::new(config(&dir)).with_clock(clock);
    assert_eq!(exporter.prune(NOW), 2);
    assert_eq!(
        names(&dir),
        [
            "OQSsiquc01res_face_1312345679001_20251201090000.xml",
            "OQSsiquc01res_face_MK1312345679000002_20251205090000.xml",
            "OQSsiquc01res_face_MK1312345679000004_20251101090000.xml",
            "notes.txt",
        ]
    );
    // Seven days keep them all.
    let keep = Exporter::new(ExportConfig {
        keep_days: 7,
        ..config(&dir)
    });
    assert_eq!(keep.prune(NOW), 0);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn the_cp932_table_decodes_back_with_an_independent_decoder() {
    use myna_kakunin::center::face::cp932::encode_char;
    let mut checked = 0;
    for cp in 0..0x1_0000u32 {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        let Some((bytes, len)) = encode_char(c) else {
            continue;
        };
        let (text, errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&bytes[..len]);
        assert!(!errors, "U+{cp:04X}");
        assert_eq!(text.chars().collect::<Vec<_>>(), [c], "U+{cp:04X}");
        checked += 1;
    }
    assert!(checked > 7_000, "{checked}");
}
