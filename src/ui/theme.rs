//! Colours and sizes: tokens of the Digital Agency design system (DADS), sized for a
//! 10–13" tablet at 1280×800 logical pixels. Layout numbers live here, not in screens.

use super::canvas::Rgb;

/// Primary buttons (blue-900).
pub const PRIMARY: Rgb = 0x0017C1;
/// Links and the focus ring's inner line (blue-1000).
pub const LINK: Rgb = 0x00118F;
/// Tint for selected rows and info bands (blue-50).
pub const TINT: Rgb = 0xE8F1FE;
/// Focus ring (yellow-300).
pub const FOCUS: Rgb = 0xFFD43D;
/// Body text (solid-gray-800).
pub const TEXT: Rgb = 0x333333;
/// Secondary text.
pub const TEXT_SUB: Rgb = 0x4D4D4D;
/// Input borders and dividers that must be seen.
pub const BORDER: Rgb = 0x666666;
/// Hairlines between table rows.
pub const RULE: Rgb = 0xD8D8DB;
/// Page background.
pub const PAGE: Rgb = 0xFFFFFF;
/// Panels on the page (a very light gray).
pub const PANEL: Rgb = 0xF2F2F2;
/// Errors (red-900).
pub const ERROR: Rgb = 0xCE0000;
/// Error band background (red-50).
pub const ERROR_BG: Rgb = 0xFDEEEE;
/// Success (green-900).
pub const SUCCESS: Rgb = 0x115A36;
/// Warning text (yellow-1000) on its band (yellow-50).
pub const WARNING: Rgb = 0x927200;
/// Warning band background.
pub const WARNING_BG: Rgb = 0xFBF5E0;
/// White text on dark fills.
pub const ON_DARK: Rgb = 0xFFFFFF;
/// A button that cannot be pressed yet.
pub const DISABLED_BG: Rgb = 0xD8D8DB;
/// Its label (4.5:1 on its fill).
pub const DISABLED_TEXT: Rgb = 0x595959;
/// The デモ ribbon: black on yellow, impossible to miss.
pub const DEMO_BG: Rgb = 0xFFD43D;
/// Text on the デモ ribbon.
pub const DEMO_TEXT: Rgb = 0x1A1A1A;

/// The logical size screens are designed for.
pub const DESIGN_W: i32 = 1280;
/// The logical size screens are designed for.
pub const DESIGN_H: i32 = 800;

/// Outer margin of the content column.
pub const MARGIN: i32 = 48;
/// Height of the header bar.
pub const HEADER_H: i32 = 80;
/// Height of the デモ ribbon.
pub const DEMO_RIBBON_H: i32 = 40;
/// Height of the demo card tray.
pub const DEMO_TRAY_H: i32 = 88;
/// Height of the footer band holding the primary action.
pub const FOOTER_H: i32 = 104;
/// Buttons: height, minimum width, corner radius.
pub const BUTTON_H: i32 = 64;
/// Minimum width of a footer button.
pub const BUTTON_MIN_W: i32 = 200;
/// Corner radius of buttons and panels.
pub const RADIUS: i32 = 8;
/// Width of the focus ring drawn outside an element.
pub const FOCUS_W: i32 = 4;

/// Type sizes in logical pixels.
pub mod size {
    /// Screen titles.
    pub const TITLE: u16 = 32;
    /// Section headings.
    pub const HEADING: u16 = 28;
    /// Body text.
    pub const BODY: u16 = 24;
    /// Labels (minimum for a tablet).
    pub const LABEL: u16 = 22;
    /// Values on the result screen.
    pub const VALUE: u16 = 28;
    /// Button labels.
    pub const BUTTON: u16 = 26;
    /// Keypad digits.
    pub const KEY: u16 = 40;
    /// Keys of the on-screen keyboard: g j p q y keep clear of a 52 px key's border.
    pub const TYPE_KEY: u16 = 30;
    /// Digits on the patient's PIN pad.
    pub const PIN_KEY: u16 = 44;
    /// Small print (ribbon, tray).
    pub const SMALL: u16 = 20;
}
