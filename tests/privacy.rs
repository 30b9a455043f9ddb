//! Privacy: runs the demo flows for every demo card with everything logged (trace level) and
//! the settings saved to a real data folder, then searches the log and every file in the
//! folder for the demo patients' names, kana, numbers and birthdates. None may be there.
//! Then again with `export_dir` set: the face folder holds the results, and still nothing
//! else does (issue 13).
#![cfg(feature = "demo")]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use log::{LevelFilter, Log, Metadata, Record};

use myna_kakunin::app::{State, UiAction};
use myna_kakunin::card::virtual_card::demo_cards;
use myna_kakunin::center::face::FaceEncoding;
use myna_kakunin::center::model::CheckOutcome;
use myna_kakunin::shell::demo;
use myna_kakunin::shell::demo_export::MemoryClipboard;
use myna_kakunin::shell::export::ExportConfig;
use myna_kakunin::shell::headless::Session;
use myna_kakunin::shell::settings::Store;

/// Every log line of this test process.
struct Capture(Mutex<Vec<String>>);

impl Log for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &Record<'_>) {
        if let Ok(mut lines) = self.0.lock() {
            lines.push(format!(
                "{} {} {}",
                record.level(),
                record.target(),
                record.args()
            ));
        }
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

/// Everything of a result a person could recognise, as the screen shows it and as the
/// center sends it.
fn identifying(outcome: &CheckOutcome) -> Vec<String> {
    let Some(q) = &outcome.qualification else {
        return Vec::new();
    };
    let mut v = vec![
        q.name.expose().to_owned(),
        q.name_kana.expose().to_owned(),
        q.insurer_number.expose().to_owned(),
        q.number.expose().to_owned(),
        q.birthdate.to_yyyymmdd(),
        format!(
            "{}年{:02}月{:02}日",
            q.birthdate.year(),
            q.birthdate.month(),
            q.birthdate.day()
        ),
    ];
    if let Some(n) = &q.insured_name {
        v.push(n.expose().to_owned());
    }
    if let Some(b) = &q.back {
        v.extend(
            b.name
                .iter()
                .chain(&b.name_kana)
                .map(|t| t.expose().to_owned()),
        );
    }
    // Family and given names on their own (the log must not hold either half).
    let halves: Vec<String> = v
        .iter()
        .flat_map(|s| s.split([' ', '　']).map(str::to_owned).collect::<Vec<_>>())
        .filter(|h| h.chars().count() >= 2)
        .collect();
    v.extend(halves);
    // Short numbers (番号 "001", 枝番) occur by chance in any hex trace; what a person could
    // be found by is kept: names, kana, and numbers of six digits or more.
    v.retain(|s| {
        let n = s.chars().count();
        n >= 2 && (n >= 6 || !s.chars().all(|c| c.is_ascii_digit()))
    });
    v
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Runs every demo card through 目視 → 資格確認結果 → 閉じる; returns what identifies each
/// patient and how many results were shown.
fn every_card(s: &mut Session) -> (Vec<String>, usize) {
    let mut secrets = Vec::new();
    let mut results = 0;
    for (i, card) in demo_cards().iter().enumerate() {
        let index = u8::try_from(i).expect("few demo cards");
        assert_eq!(s.app().state().name(), "SelectAuth", "card {}", card.id);
        s.act_and_settle(UiAction::DemoToggleCard(index)); // placed: 目視 reads at once
        if let Some(done) = match s.app().state() {
            State::ReadCard(check) => check.done(),
            _ => None,
        } {
            secrets.extend(identifying(&done.outcome));
            s.act_and_settle(UiAction::Next);
            if let State::ShowResult(shown) = s.app().state() {
                secrets.extend(identifying(&shown.outcome));
                results += 1;
            }
            s.act_and_settle(UiAction::Close);
        } else {
            // Cards that fail (not a My Number card, an expired certificate) end on the
            // error screen.
            s.act_and_settle(UiAction::Back);
        }
        s.act_and_settle(UiAction::DemoToggleCard(index)); // taken off again
    }
    (secrets, results)
}

#[test]
fn no_demo_patient_reaches_the_log_or_the_data_folder() {
    log::set_logger(&CAPTURE).expect("the only logger of this test binary");
    log::set_max_level(LevelFilter::Trace);

    let data = std::env::temp_dir().join(format!("mk-privacy-{}", std::process::id()));
    let _ = fs::remove_dir_all(&data);
    let (app, mut backends) = demo::setup(|| 1_764_547_200);
    backends.store = Some(Store::new(&data));
    let mut s = Session::new(app, backends);
    for d in [1, 2, 3, 4] {
        s.act_and_settle(UiAction::Digit(d));
    }
    s.act_and_settle(UiAction::Close); // お知らせ
                                       // Saving something puts a real settings file in the data folder.
    s.act_and_settle(UiAction::OpenMenu);
    s.act_and_settle(UiAction::Menu(myna_kakunin::app::MenuItem::ReaderSelect));
    s.act_and_settle(UiAction::SelectReader(0));
    s.act_and_settle(UiAction::Back);
    s.act_and_settle(UiAction::Back);

    let (mut secrets, results) = every_card(&mut s);
    assert!(results >= 10, "most demo cards show a result ({results})");
    secrets.sort();
    secrets.dedup();
    assert!(
        secrets.iter().any(|s| s == "資格 太郎"),
        "the search list holds the patients: {secrets:?}"
    );

    let log = CAPTURE.0.lock().expect("log lines").join("\n");
    assert!(
        log.contains("screen ReadCard(Done) -> ShowResult"),
        "the flow was logged"
    );
    let files = files_under(&data);
    assert!(!files.is_empty(), "the data folder holds the settings");
    let mut haystacks = vec![("log".to_owned(), log)];
    for f in files {
        let bytes = fs::read(&f).expect("readable");
        haystacks.push((
            f.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    assert_clean(&haystacks, &secrets);
    assert!(
        !haystacks[0].1.contains("face file"),
        "export_dir unset: no face file is ever written"
    );
    let _ = fs::remove_dir_all(&data);

    // --- export_dir set: the one door. Patient data is in that folder and nowhere else. ---
    let root = std::env::temp_dir().join(format!("mk-privacy-export-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    let (data, face) = (root.join("data"), root.join("face"));
    fs::create_dir_all(&face).expect("face folder");
    let config = ExportConfig {
        dir: face.clone(),
        encoding: FaceEncoding::ShiftJis,
        keep_days: 1,
    };
    let (app, mut backends) = demo::setup_exporting(|| 1_764_547_200, config);
    backends.store = Some(Store::new(&data));
    backends.clipboard = Some(Box::new(MemoryClipboard::default()));
    let mut s = Session::new(app, backends);
    for d in [1, 2, 3, 4] {
        s.act_and_settle(UiAction::Digit(d));
    }
    s.act_and_settle(UiAction::Close); // お知らせ
    s.act_and_settle(UiAction::OpenMenu);
    s.act_and_settle(UiAction::Menu(myna_kakunin::app::MenuItem::ReaderSelect));
    s.act_and_settle(UiAction::SelectReader(0));
    s.act_and_settle(UiAction::Back);
    s.act_and_settle(UiAction::Back);
    let log_before = CAPTURE.0.lock().expect("log lines").len();
    let (mut secrets, results) = every_card(&mut s);
    secrets.sort();
    secrets.dedup();
    let lines = CAPTURE.0.lock().expect("log lines");
    let log = lines[log_before..].join("\n");
    drop(lines);
    assert_eq!(
        log.matches("face file written").count(),
        results,
        "one file per shown result"
    );
    let files = files_under(&data);
    assert!(!files.is_empty(), "the data folder holds the settings");
    let mut haystacks = vec![("log".to_owned(), log)];
    for f in files {
        let bytes = fs::read(&f).expect("readable");
        haystacks.push((
            f.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    assert_clean(&haystacks, &secrets);
    // The face folder does hold them (decoded as its readers decode it).
    let mut faces = String::new();
    for f in files_under(&face) {
        let bytes = fs::read(&f).expect("readable");
        faces.push_str(&encoding_rs::SHIFT_JIS.decode_without_bom_handling(&bytes).0);
    }
    assert!(
        faces.contains("資格 太郎"),
        "the face files hold the results"
    );
    let _ = fs::remove_dir_all(&root);
}

/// Panics naming the place and the line if any secret is in any haystack.
fn assert_clean(haystacks: &[(String, String)], secrets: &[String]) {
    for (place, text) in haystacks {
        for secret in secrets {
            if let Some(line) = text.lines().find(|l| l.contains(secret.as_str())) {
                panic!("{place} holds {secret:?}: {line}");
            }
        }
    }
}
