//! The headless renderer: draws screens into memory and writes PNGs, with no window.
//! Tests and the `screenshots` subcommand use it; the GUI test compares the real window
//! against it.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

use crate::app::{App, Command, Millis, UiAction};
use crate::ui::canvas::Canvas;
use crate::ui::render::{render, Frame};
use crate::ui::screens::{view, Size};
use crate::ui::text::Text;

use super::png::write_png;
use super::worker::{execute, Backends};

/// Renders the app's current screen at `size` (scale 1) into a new pixel buffer.
pub fn render_app(app: &App, size: Size, text: &mut Text, frame: Frame) -> Vec<u32> {
    let (w, h) = (size.w.max(1) as u32, size.h.max(1) as u32);
    let mut pixels = vec![0; w as usize * h as usize];
    let scene = view(app, size, text);
    if let Some(mut canvas) = Canvas::new(&mut pixels, w, h) {
        render(&scene, &mut canvas, text, frame);
    }
    pixels
}

/// Writes the app's current screen as a PNG.
pub fn write_screen(app: &App, size: Size, text: &mut Text, path: &Path) -> io::Result<()> {
    let pixels = render_app(app, size, text, Frame::default());
    let mut out = BufWriter::new(File::create(path)?);
    write_png(&mut out, size.w as u32, size.h as u32, &pixels)
}

/// An app driven synchronously: commands run on the calling thread, in order, through the
/// same `execute` the worker thread uses. For tests and screenshots.
pub struct Session {
    app: App,
    backends: Backends,
    pending: VecDeque<Command>,
    now: Millis,
}

impl Session {
    /// A session over `app` and `backends`.
    pub fn new(app: App, backends: Backends) -> Self {
        Self {
            app,
            backends,
            pending: VecDeque::new(),
            now: Millis(0),
        }
    }

    /// A session over an `(app, backends)` pair, as `shell::demo::setup` returns.
    pub fn from_pair((app, backends): (App, Backends)) -> Self {
        Self::new(app, backends)
    }

    /// The app.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Commands queued and not yet run.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// A person acts; the resulting commands are queued, not run.
    pub fn act(&mut self, action: UiAction) {
        self.feed(crate::app::Event::Ui(action));
    }

    /// Feeds any event, queueing the commands it produces.
    pub fn feed(&mut self, event: crate::app::Event) {
        self.now.0 += 1;
        let commands = self.app.step(event, self.now);
        self.pending.extend(commands);
    }

    /// Runs the oldest queued command and feeds its events back. False if none was queued.
    pub fn run_one(&mut self) -> bool {
        let Some(command) = self.pending.pop_front() else {
            return false;
        };
        for event in execute(&mut self.backends, command) {
            self.feed(event);
        }
        true
    }

    /// Runs queued commands until none is left (bounded, so a loop cannot hang a test).
    pub fn settle(&mut self) {
        for _ in 0..64 {
            if !self.run_one() {
                return;
            }
        }
        log::warn!("session did not settle after 64 commands");
    }

    /// A person acts and every resulting command runs.
    pub fn act_and_settle(&mut self, action: UiAction) {
        self.act(action);
        self.settle();
    }
}

/// Writes a PNG of every screen of the demo flow into `dir`; returns the file names.
#[cfg(feature = "demo")]
pub fn demo_screenshots(dir: &Path, size: Size) -> io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut text = Text::load().map_err(|_| io::Error::other("embedded font does not parse"))?;
    let mut written = Vec::new();
    demo_tour(&mut |s: &Session, name: &str| {
        let file = format!("{name}.png");
        write_screen(s.app(), size, &mut text, &dir.join(&file))?;
        written.push(file);
        Ok(())
    })?;
    Ok(written)
}

/// Walks the demo flow through every screen, calling `shot` with the session and the
/// screen's name at each. The screenshots and `myna-kakunin bench` (redraw times) use it.
#[cfg(feature = "demo")]
pub fn demo_tour(shot: &mut dyn FnMut(&Session, &str) -> io::Result<()>) -> io::Result<()> {
    use super::demo;
    use crate::app::MenuItem;

    let mut s = Session::from_pair(demo::setup(demo::system_clock));
    shot(&s, "01-passcode")?;
    for d in [9, 9, 9, 9] {
        s.act_and_settle(UiAction::Digit(d));
    }
    shot(&s, "02-passcode-wrong")?;
    for d in demo::PASSCODE.bytes() {
        s.act_and_settle(UiAction::Digit(d - b'0'));
    }
    shot(&s, "03-notices")?;
    s.act_and_settle(UiAction::Close);
    shot(&s, "03-auth-select-visual")?;
    s.act_and_settle(UiAction::Next);
    shot(&s, "04-read-wait-card")?;
    s.act_and_settle(UiAction::ReadCard);
    shot(&s, "05-read-failed-no-card")?;
    s.act_and_settle(UiAction::Back);
    s.act(UiAction::DemoToggleCard(0));
    s.run_one(); // the card lands on the reader; the read starts
    shot(&s, "06-reading-card")?;
    s.run_one(); // certificate read; the center is asked
    shot(&s, "07-asking-center")?;
    s.run_one();
    shot(&s, "08-read-done")?;
    s.act_and_settle(UiAction::Next);
    shot(&s, "09-result")?;
    s.act_and_settle(UiAction::Close);
    shot(&s, "10-auth-select-after-close")?;

    // メニュー and セキュリティ設定.
    s.act_and_settle(UiAction::OpenMenu);
    shot(&s, "11-menu")?;
    s.act_and_settle(UiAction::Menu(MenuItem::ReaderSelect));
    shot(&s, "12-reader-select")?;
    s.act_and_settle(UiAction::SelectReader(0));
    shot(&s, "13-reader-selected")?;
    s.act_and_settle(UiAction::Back);
    s.act_and_settle(UiAction::Menu(MenuItem::Security));
    shot(&s, "14-security")?;
    s.act_and_settle(UiAction::Menu(MenuItem::ChangePasscode));
    shot(&s, "15-passcode-current")?;
    s.act_and_settle(UiAction::Back);
    s.act_and_settle(UiAction::Menu(MenuItem::Deregister));
    shot(&s, "16-deregister-confirm")?;
    s.act_and_settle(UiAction::Cancel);
    s.act_and_settle(UiAction::Menu(MenuItem::Logout));
    shot(&s, "17-logout-confirm")?;
    s.act_and_settle(UiAction::Cancel);

    // 暗証番号 mode.
    s.act_and_settle(UiAction::ToggleVisualCheck);
    shot(&s, "18-security-pin-mode")?;
    s.act_and_settle(UiAction::Back);
    s.act_and_settle(UiAction::Back);
    shot(&s, "19-auth-select-pin")?;
    s.act_and_settle(UiAction::Next);
    shot(&s, "20-start-pin-confirm")?;
    s.act_and_settle(UiAction::Ok);
    for d in [1, 2] {
        s.act_and_settle(UiAction::Digit(d));
    }
    shot(&s, "21-pin-entry")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::passcode::PasscodeHash;
    use crate::app::settings::{Registration, Settings};
    use crate::app::{Boot, Event};
    use crate::sensitive::SensitiveText;

    /// A registered kiosk: it boots into パスコード入力 (passcode 1234).
    fn registered() -> Settings {
        Settings {
            terms_accepted: true,
            registration: Some(Registration {
                institution_code: "1234567890".to_owned(),
                user_id: "W0000001".to_owned(),
                device_credential: SensitiveText::from("device"),
                refresh_token: Some(SensitiveText::from("refresh")),
            }),
            passcode: Some(PasscodeHash::derive(b"1234", [7; 16])),
            visual_check: true,
            reader: None,
        }
    }

    /// The app's screen at `scale` (1280×800 logical pixels), as the window draws it.
    fn render_at(app: &App, text: &mut Text, scale: f32) -> Vec<u32> {
        let (w, h) = (
            (Size::DESIGN.w as f32 * scale) as u32,
            (Size::DESIGN.h as f32 * scale) as u32,
        );
        let mut pixels = vec![0; (w * h) as usize];
        let scene = view(app, Size::DESIGN, text);
        let mut canvas = Canvas::new(&mut pixels, w, h).expect("buffer fits");
        let frame = Frame {
            scale,
            ..Frame::default()
        };
        render(&scene, &mut canvas, text, frame);
        pixels
    }

    /// The first screen in the states a person sees before the passcode is right (as it
    /// boots, with digits typed, after a wrong passcode), at each display scale the atlas is
    /// cut for: (what, drawn from the atlas, drawn from the face).
    fn first_screens(mut app: App) -> Vec<(String, Vec<u32>, Vec<u32>)> {
        let mut screens = Vec::new();
        let mut shoot = |app: &App, name: &str| {
            assert_eq!(app.state().name(), "EnterPasscode", "{name}");
            for scale in [1.0, 1.25, 1.5, 2.0] {
                let mut with_atlas = Text::atlas_only_until_needed();
                let mut face_only = Text::without_atlas();
                let atlas = render_at(app, &mut with_atlas, scale);
                let face = render_at(app, &mut face_only, scale);
                assert!(
                    !with_atlas.needed_the_face(),
                    "{name} at {scale}: the first screen needs a glyph outside the atlas \
                     (build.rs ATLAS_TEXT)"
                );
                screens.push((format!("{name} at {scale}"), atlas, face));
            }
        };
        shoot(&app, "boot");
        for (i, d) in [9, 9, 9].into_iter().enumerate() {
            app.step(Event::Ui(UiAction::Digit(d)), Millis(i as u64));
            shoot(&app, &format!("{} digits", i + 1));
        }
        let commands = app.step(Event::Ui(UiAction::Digit(9)), Millis(3));
        assert!(
            commands.is_empty(),
            "a wrong passcode asks nothing of the worker"
        );
        shoot(&app, "wrong passcode");
        screens
    }

    #[test]
    fn the_first_screen_is_drawn_from_the_atlas_exactly_as_from_the_face() {
        let app = App::new(Boot::Settings(Box::new(registered())), None);
        for (name, atlas, face) in first_screens(app) {
            assert!(atlas == face, "{name}: the atlas changed pixels");
        }
    }

    #[cfg(feature = "demo")]
    #[test]
    fn the_demo_first_screen_is_drawn_from_the_atlas_exactly_as_from_the_face() {
        let (mut app, _) = super::super::demo::setup(|| 1_796_050_800);
        // And with a card on the virtual reader (カードリーダー上 on the tray).
        let _ = app.step(Event::Ui(UiAction::DemoToggleCard(0)), Millis(0));
        let (app_without_card, _) = super::super::demo::setup(|| 1_796_050_800);
        for app in [app_without_card, app] {
            for (name, atlas, face) in first_screens(app) {
                assert!(atlas == face, "{name}: the atlas changed pixels");
            }
        }
    }
}
