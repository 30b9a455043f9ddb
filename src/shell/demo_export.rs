//! `myna-kakunin demo-export DIR` (demo build): every demo card through the kiosk's own
//! check flow with the face folder on, so the formats can be reviewed and checked by other
//! tools. DIR receives each card's face file (as the kiosk names it) and its コピー text
//! (`<card id>.txt`, exactly what コピー puts on the clipboard).

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::app::{ClipboardProblem, State, UiAction};
use crate::card::virtual_card::demo_cards;
use crate::center::face::FaceEncoding;
use crate::center::model::CheckOutcome;
use crate::sensitive::SensitiveText;

use super::clipboard::Clipboard;
use super::export::{ExportConfig, DEFAULT_KEEP_DAYS};
use super::headless::Session;

/// A clipboard in memory: what the kiosk put there, for review and tests.
#[derive(Clone, Default)]
pub struct MemoryClipboard(Arc<Mutex<Option<SensitiveText>>>);

impl MemoryClipboard {
    /// The text on it now.
    pub fn text(&self) -> Option<String> {
        self.0
            .lock()
            .ok()
            .and_then(|t| t.as_ref().map(|t| t.expose().to_owned()))
    }
}

impl Clipboard for MemoryClipboard {
    fn set(&mut self, text: SensitiveText) -> Result<(), ClipboardProblem> {
        let mut slot = self.0.lock().map_err(|_| ClipboardProblem::Busy)?;
        *slot = Some(text);
        Ok(())
    }

    fn clear_if_ours(&mut self) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = None;
        }
    }
}

/// One demo card's way through the flow.
pub struct CardExport {
    /// The demo card's id.
    pub id: &'static str,
    /// The center's answer as shown on 資格確認結果 (`None`: the card ended on an error
    /// screen, so nothing was exported).
    pub outcome: Option<Box<CheckOutcome>>,
    /// The face file the kiosk wrote for it.
    pub xml: Option<PathBuf>,
    /// What コピー put on the clipboard.
    pub copy: Option<String>,
}

/// Runs every demo card through 目視 check → 資格確認結果 (export on) → コピー → 閉じる, with
/// the center's clock at `clock`. `each` sees the session while the result is on screen.
/// Writes `<card id>.txt` beside the face files in `dir`.
pub fn run(
    dir: &Path,
    encoding: FaceEncoding,
    clock: fn() -> i64,
    mut each: impl FnMut(&Session, &CardExport),
) -> io::Result<Vec<CardExport>> {
    fs::create_dir_all(dir)?;
    let config = ExportConfig {
        dir: dir.to_path_buf(),
        encoding,
        keep_days: DEFAULT_KEEP_DAYS,
    };
    let (app, mut backends) = super::demo::setup_exporting(clock, config);
    let clipboard = MemoryClipboard::default();
    backends.clipboard = Some(Box::new(clipboard.clone()));
    let mut s = Session::new(app, backends);
    for d in super::demo::PASSCODE.bytes() {
        s.act_and_settle(UiAction::Digit(d.wrapping_sub(b'0')));
    }
    if s.app().state().name() == "Notices" {
        s.act_and_settle(UiAction::Close);
    }
    let mut out = Vec::new();
    for (i, card) in demo_cards().iter().enumerate() {
        let index = u8::try_from(i).map_err(|_| io::Error::other("too many demo cards"))?;
        if s.app().state().name() != "SelectAuth" {
            return Err(io::Error::other(format!(
                "card {}: the kiosk is on {}, not 認証選択",
                card.id,
                s.app().state().name()
            )));
        }
        let before = face_files(dir)?;
        // Placing the card on 認証選択（目視） reads it at once.
        s.act_and_settle(UiAction::DemoToggleCard(index));
        let mut result = CardExport {
            id: card.id,
            outcome: None,
            xml: None,
            copy: None,
        };
        if matches!(s.app().state(), State::ReadCard(c) if c.done().is_some()) {
            s.act_and_settle(UiAction::Next);
            s.act_and_settle(UiAction::Copy);
            if let State::ShowResult(shown) = s.app().state() {
                result.outcome = Some(shown.outcome.clone());
            }
            let after = face_files(dir)?;
            result.xml = after.difference(&before).next().map(|n| dir.join(n));
            result.copy = clipboard.text();
            if let Some(copy) = &result.copy {
                fs::write(dir.join(format!("{}.txt", card.id)), copy)?;
            }
            each(&s, &result);
            s.act_and_settle(UiAction::Close);
        } else {
            each(&s, &result);
            s.act_and_settle(UiAction::Back);
        }
        s.act_and_settle(UiAction::DemoToggleCard(index));
        out.push(result);
    }
    Ok(out)
}

/// The face files in `dir` now.
fn face_files(dir: &Path) -> io::Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with(crate::center::face::FILE_PREFIX) && name.ends_with(".xml") {
            names.insert(name);
        }
    }
    Ok(names)
}
