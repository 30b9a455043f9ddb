//! Screens: the app's state in, a [`Scene`] out. One template (デモ ribbon, header, content,
//! footer with the primary action at the bottom right, demo tray) serves every screen.

use crate::app::{
    App, DemoTray, MenuItem, PadPurpose, PasscodePurpose, ReadView, Saving, State, UiAction,
};
use crate::sensitive::SensitiveText;

use super::strings as s;
use super::text::Text;
use super::theme::{self};
use super::{Label, Scene, Tone};

/// The logical size of the window, in the units screens are laid out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Width.
    pub w: i32,
    /// Height.
    pub h: i32,
}

impl Size {
    /// The design size, 1280×800.
    pub const DESIGN: Size = Size {
        w: theme::DESIGN_W,
        h: theme::DESIGN_H,
    };
}

/// The smallest layout every screen is designed to fit, 1280×720 (a 1920×1080 screen at
/// 150 %); a window that would be smaller at its scale is drawn at this size, scaled down.
pub const MIN_LAYOUT: Size = Size { w: 1280, h: 720 };

/// The layout size and the device pixels per layout pixel for a window of
/// `width`×`height` device pixels at the system's `scale` (1.0 = 100 %): the system's scale
/// while that leaves at least [`MIN_LAYOUT`], else the scale that fits [`MIN_LAYOUT`].
pub fn layout(width: u32, height: u32, scale: f32) -> (Size, f32) {
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    let fits = (w / MIN_LAYOUT.w as f32).min(h / MIN_LAYOUT.h as f32);
    let scale = if scale.is_finite() && scale > 0.0 {
        scale.min(fits)
    } else {
        fits.min(1.0)
    };
    let size = Size {
        w: (w / scale).round() as i32,
        h: (h / scale).round() as i32,
    };
    (size, scale)
}

/// Builds the scene of the app's current screen.
pub fn view<'a>(app: &'a App, size: Size, text: &Text) -> Scene<'a> {
    view_with(app, size, text, app.demo())
}

/// The scene the production kiosk draws for the app's current screen: no デモ ribbon, no
/// tray (layout tests check both chromes with the demo's data).
#[cfg(feature = "demo")]
pub fn kiosk_view<'a>(app: &'a App, size: Size, text: &Text) -> Scene<'a> {
    view_with(app, size, text, None)
}

fn view_with<'a>(app: &'a App, size: Size, text: &Text, demo: Option<&'a DemoTray>) -> Scene<'a> {
    let mut b = Builder::new(size, demo, text);
    // What the whole kiosk needs said goes in the footer, left of its buttons, on whatever
    // screen is shown (keypads leave the footer's band free for it).
    if let Saving::Failing { problem, .. } = app.saving() {
        b.bands
            .push((Label::Static(s::settings_not_saved(problem)), Tone::Warning));
    }
    if let Some(url) = app.shown_link() {
        b.bands.push((
            Label::Owned(SensitiveText::new(s::link_address(url))),
            Tone::Info,
        ));
    }
    b.footer_used = !b.bands.is_empty();
    let visual = app.settings().visual_check;
    match app.state() {
        State::SettingsDamaged => {
            b.header(s::DAMAGED_TITLE, false);
            problem(&mut b, text, s::DAMAGED_WHAT, s::DAMAGED_NEXT);
            b.footer(Some((s::DAMAGED_ACTION, UiAction::Ok)), None);
        }
        State::Terms => {
            b.header(s::TERMS_TITLE, false);
            terms(&mut b, text);
        }
        State::Register(screen) => {
            b.without_tray();
            b.header(s::REGISTER_TITLE, false);
            let spec = FormSpec {
                lead: Some(s::REGISTER_LEAD),
                labels: &s::REGISTER_FIELDS,
                required: true,
                submit: s::REGISTER_BUTTON,
                note: None,
            };
            form_screen(&mut b, text, &spec, screen);
        }
        State::Registered => {
            b.header(s::REGISTER_TITLE, false);
            dialog(
                &mut b,
                text,
                s::REGISTERED,
                None,
                (s::OK, UiAction::Ok, false),
            );
        }
        State::Login { screen, reason } => {
            b.without_tray();
            b.header(
                s::LOGIN_TITLE,
                *reason == Some(crate::app::LoginReason::ForgotPasscode),
            );
            let spec = FormSpec {
                lead: reason.map(s::login_reason),
                labels: &s::LOGIN_FIELDS,
                required: true,
                submit: s::LOGIN_BUTTON,
                note: Some(s::LOGIN_LOCK_NOTE),
            };
            form_screen(&mut b, text, &spec, screen);
        }
        State::AccountPassword(screen) => {
            b.without_tray();
            b.header(s::ACCOUNT_PASSWORD, true);
            let spec = FormSpec {
                lead: None,
                labels: &s::ACCOUNT_PASSWORD_FIELDS,
                required: false,
                submit: s::CHANGE_BUTTON,
                note: Some(s::PASSWORD_RULE),
            };
            form_screen(&mut b, text, &spec, screen);
        }
        State::Starting => {
            b.header(s::APP_NAME, false);
            progress(&mut b, s::STARTING);
        }
        State::StartFailed(e) => {
            b.header(s::START_FAILED, false);
            let advice = s::center_error(e);
            problem(&mut b, text, advice.what, advice.next);
            b.footer(Some((s::TRY_AGAIN, UiAction::Retry)), None);
        }
        State::Update { info, required } => {
            b.header(s::UPDATE_TITLE, false);
            update(&mut b, text, &info.latest.to_string(), *required);
        }
        State::Notices { list, failed, .. } => {
            b.header(s::NOTICES, false);
            notices(&mut b, text, list);
            if let Some(e) = failed {
                let advice = s::center_error(e);
                let words = format!("{}{}", advice.what, advice.next);
                b.status_band(text, Label::Owned(SensitiveText::new(words)), Tone::Error);
            }
        }
        State::Passcode(pad) => {
            let (title, prompt, back) = match pad.purpose {
                PadPurpose::Unlock => (s::PASSCODE_TITLE, s::PASSCODE_PROMPT, false),
                PadPurpose::Security => (s::SECURITY, s::PASSCODE_PROMPT, true),
                PadPurpose::Change => (s::PASSCODE_CHANGE_TITLE, s::PASSCODE_CURRENT_PROMPT, true),
                PadPurpose::Quit => (s::QUIT_TITLE, s::QUIT_PROMPT, true),
            };
            b.header(title, back);
            let notice = match app.gate_seconds_left() {
                Some(left) => Some(Label::Owned(SensitiveText::new(s::passcode_wait(left)))),
                None => notice_text(pad.notice),
            };
            let waiting = app.gate_seconds_left().is_some();
            if pad.purpose == PadPurpose::Unlock {
                b.footer(None, Some((s::FORGOT_PASSCODE, UiAction::ForgotPasscode)));
            }
            digits(
                &mut b,
                text,
                prompt,
                pad.entry.len(),
                notice,
                KeyStyle::Staff,
                !waiting,
            );
        }
        State::NewPasscode {
            purpose,
            entry,
            notice,
        } => {
            let (title, prompt, back) = match purpose {
                PasscodePurpose::Setup => {
                    (s::PASSCODE_SETUP_TITLE, s::PASSCODE_SETUP_PROMPT, false)
                }
                PasscodePurpose::Change => (s::PASSCODE_CHANGE_TITLE, s::PASSCODE_NEW_PROMPT, true),
                PasscodePurpose::Reset => {
                    (s::PASSCODE_SETUP_TITLE, s::PASSCODE_SETUP_PROMPT, false)
                }
            };
            b.header(title, back);
            digits(
                &mut b,
                text,
                prompt,
                entry.len(),
                notice_text(*notice),
                KeyStyle::Staff,
                true,
            );
        }
        State::ConfirmPasscode { purpose, entry, .. } => {
            let title = match purpose {
                PasscodePurpose::Setup | PasscodePurpose::Reset => s::PASSCODE_CONFIRM_TITLE,
                PasscodePurpose::Change => s::PASSCODE_CHANGE_TITLE,
            };
            b.header(title, true);
            digits(
                &mut b,
                text,
                s::PASSCODE_CONFIRM_PROMPT,
                entry.len(),
                None,
                KeyStyle::Staff,
                true,
            );
        }
        State::SelectAuth => {
            b.header(s::AUTH_SELECT_TITLE, false);
            b.menu_button();
            if visual {
                auth_select_visual(&mut b, text);
            } else {
                auth_select_pin(&mut b, text);
            }
        }
        State::Ask(q) => {
            b.header(ask_title(*q), false);
            ask(&mut b, text, *q);
        }
        State::Tell(m) => {
            b.header(tell_title(*m), false);
            tell(&mut b, text, *m);
        }
        State::EnterPin(pad) => {
            b.header(holders::title(pad), true);
            if !holders::pin_screen(&mut b, text, pad, visual, app.offers_visual(pad)) {
                pin_entry(&mut b, text, pad);
            }
        }
        State::ReadCard(check) => {
            let phase = check.view();
            b.header(s::READ_TITLE, phase == ReadView::WaitCard);
            read_card(&mut b, phase, text);
        }
        State::ReadFailed { failure, retry } => {
            b.header(s::READ_TITLE, false);
            read_failed(&mut b, failure, *retry, text);
        }
        State::ShowResult(shown) => {
            b.header(s::RESULT_TITLE, false);
            if let Some(left) = app.seconds_left() {
                b.header_note(s::closes_in(left));
            }
            let extra = export::result_bands(shown);
            result(&mut b, &shown.outcome, extra, usize::from(shown.page), text);
        }
        State::Menu => {
            b.header(s::MENU, true);
            rows(
                &mut b,
                &[
                    (
                        s::READER_SELECT,
                        UiAction::Menu(MenuItem::ReaderSelect),
                        false,
                    ),
                    // お知らせ can be read again from the menu (manual P.9).
                    (s::NOTICES, UiAction::Menu(MenuItem::Notices), false),
                    (s::SECURITY, UiAction::Menu(MenuItem::Security), false),
                ],
            );
            links(&mut b, 3);
        }
        State::ReaderSelect { readers } => {
            b.header(s::READER_SELECT, true);
            reader_select(&mut b, text, readers, app.settings().reader.as_deref());
        }
        State::Security => {
            b.header(s::SECURITY, true);
            security(&mut b, text, visual);
        }
    }
    b.finish(text)
}

mod check;
mod dialog;
mod export;
mod holders;
mod keyboard;
mod menu;
mod pad_keys;
mod pads;
mod start;
mod template;
mod tray;

use check::{auth_select_pin, auth_select_visual, read_card, read_failed, result};
use dialog::{ask, ask_title, dialog, tell, tell_title};
pub use export::copy_text;
use menu::{links, notices, reader_select, rows, security};
use pad_keys::KeyStyle;
use pads::{digits, notice_text, pin_entry};
use start::{form_screen, problem, terms, update, FormSpec};
pub use template::{band_height, line_height, text_height, BAND_TEXT_INSET};
use template::{progress, Builder};

#[cfg(test)]
mod tests {
    use super::{layout, Size, MIN_LAYOUT};

    #[test]
    fn a_window_too_small_at_its_scale_is_laid_out_at_the_minimum_and_scaled_down() {
        // A 1280×800 tablet at 100 %, and 2560×1600 at 200 %: the design size as asked.
        assert_eq!(layout(1280, 800, 1.0), (Size { w: 1280, h: 800 }, 1.0));
        assert_eq!(layout(2560, 1600, 2.0), (Size { w: 1280, h: 800 }, 2.0));
        assert_eq!(layout(1920, 1080, 1.5), (Size { w: 1280, h: 720 }, 1.5));
        // 1280×800 at 150 % would be 853×533: drawn at 1280×800, 100 %.
        assert_eq!(layout(1280, 800, 1.5), (Size { w: 1280, h: 800 }, 1.0));
        for (w, h, scale) in [
            (1280, 800, 2.0),
            (1024, 768, 1.0),
            (800, 600, 1.25),
            (0, 0, 1.0),
        ] {
            let (size, _) = layout(w, h, scale);
            assert!(
                size.w >= MIN_LAYOUT.w && size.h >= MIN_LAYOUT.h,
                "{w}×{h} at {scale}: {size:?}"
            );
        }
        assert_eq!(
            layout(1280, 800, f32::NAN).1,
            1.0,
            "a nonsense scale is not used"
        );
    }
}
