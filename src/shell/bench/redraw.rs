//! Full redraws of every screen of the demo tour at 1280×800, headless: the scene built from
//! the app (`ui::screens::view`) and drawn into a frame buffer that is reused, as the window
//! reuses its own (`ui::render::render`). Presenting the buffer is the window's part; the
//! start-up runs report it from the kiosk's own log.

use std::io;
use std::time::{Duration, Instant};

use crate::shell::headless::{demo_tour, SCREENSHOT_TIME};
use crate::ui::canvas::Canvas;
use crate::ui::render::{render, Frame};
use crate::ui::screens::{view, Size};
use crate::ui::text::Text;

/// Each screen's name and its redraw times.
pub type ScreenTimes = Vec<(String, Vec<Duration>)>;

/// Redraws each screen of the tour `frames` times after one redraw that fills the glyph
/// cache.
pub fn every_screen(frames: usize) -> io::Result<ScreenTimes> {
    let size = Size::DESIGN;
    let (w, h) = (size.w as u32, size.h as u32);
    let mut text = Text::load().map_err(|_| io::Error::other("embedded font does not parse"))?;
    let mut pixels = vec![0u32; w as usize * h as usize];
    let mut out = Vec::new();
    demo_tour(SCREENSHOT_TIME, &mut text, |app, name, text| {
        let mut times = Vec::with_capacity(frames);
        for i in 0..=frames {
            let started = Instant::now();
            let scene = view(app, size, text);
            if let Some(mut canvas) = Canvas::new(&mut pixels, w, h) {
                render(&scene, &mut canvas, text, Frame::default());
            }
            drop(scene);
            if i > 0 {
                times.push(started.elapsed());
            }
        }
        out.push((name.to_owned(), times));
        Ok(())
    })?;
    Ok(out)
}
