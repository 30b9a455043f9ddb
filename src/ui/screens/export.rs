//! What 資格確認結果 shows about the result leaving the kiosk (issue 13): the bands for the
//! face file and the clipboard, and the copy text itself (the app's コピー format, built from
//! the very rows the screen shows).

use crate::app::{ExportStatus, Shown};
use crate::center::model::{CheckOutcome, Validity};
use crate::sensitive::SensitiveText;
use crate::ui::strings as s;
use crate::ui::Tone;

use super::check::{lines, Line};

/// Bands below the result's own: a face file that could not be written, and what コピー did.
pub(super) fn result_bands(shown: &Shown) -> Vec<(&'static str, Tone)> {
    let mut out = Vec::new();
    if let ExportStatus::Failed(problem) = shown.export {
        out.push((s::export_failed(problem), Tone::Warning));
    }
    match shown.copy {
        Some(Ok(())) => out.push((s::COPIED, Tone::Success)),
        Some(Err(problem)) => out.push((s::copy_failed(problem), Tone::Warning)),
        None => {}
    }
    out
}

/// The result as the app's コピー text: `資格情報`, `確認日 : YYYY年MM月DD日`, one
/// `label<TAB>value` line per row of the screen (番号 and 枝番 on lines of their own, 枝番 in
/// the center's two digits), the 裏面記載情報 and 高齢受給者証 sections, CRLF line ends. A
/// result that is not 有効 says so in a `資格有効性` line, so that it is never pasted as a
/// valid one.
pub fn copy_text(outcome: &CheckOutcome) -> SensitiveText {
    // Room for a whole result, so that no reallocation leaves a copy behind.
    let mut text = String::with_capacity(2048);
    let mut line = |parts: &[&str]| {
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            text.push_str(part);
        }
        text.push_str("\r\n");
    };
    line(&[s::QUALIFICATION_INFO]);
    line(&[s::copy_confirmation_date(&outcome.confirmation_date).expose()]);
    if outcome.validity != Validity::Valid {
        line(&[s::COPY_VALIDITY, s::validity(outcome.validity)]);
    }
    if let Some(q) = &outcome.qualification {
        for row in lines(q) {
            match row {
                Line::Section(title) => line(&[title]),
                Line::Row(label, _) if label == s::field::NUMBER => {
                    line(&[label, q.number.expose()]);
                    if let Some(branch) = &q.branch {
                        line(&[s::field::BRANCH, branch.expose()]);
                    }
                }
                Line::Row(label, value) => line(&[label, value.as_str()]),
            }
        }
    }
    SensitiveText::new(text)
}
