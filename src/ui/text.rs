//! Japanese text: the embedded BIZ UDPGothic face with a small fallback face, a glyph cache,
//! measuring and line breaking with kinsoku (no line starts with closing punctuation or ends
//! with an opening one).
//!
//! Start-up: fontdue parses a face whole (BIZ UDPGothic: about 100 ms and 70 MB), so the first
//! screen's glyphs come ready-made from a start-up atlas that build.rs rasterises with the
//! same fontdue and settings, and the kiosk parses the face on a thread
//! ([`Text::load_in_background`]) that is joined the first time a glyph or metric outside the
//! atlas is needed. Atlas glyphs are the face's own rasterisation bit for bit (tested), so
//! layout and pixels are the same either way.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;

use fontdue::{Font, FontSettings, Metrics, OutlineBounds};

use super::canvas::{Canvas, Rgb};

/// BIZ UDPGothic Regular (SIL OFL 1.1, see fonts/OFL.txt), inside the binary.
static BIZ_UDP_GOTHIC: &[u8] = include_bytes!("../../fonts/BIZUDPGothic-Regular.ttf");

/// The first screen's glyphs from BIZ UDPGothic, rasterised by build.rs (format described
/// at `write_glyph_atlas` there): about 0.1 MB.
static GLYPH_ATLAS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/glyph-atlas.bin"));

/// The characters of JIS X 0208, JIS X 0213 and a few more (𠮷) that BIZ UDPGothic lacks, cut
/// from Noto Sans CJK JP Regular (SIL OFL 1.1, see fonts/OFL-NotoSansCJK.txt) by
/// fonts/make-fallback.py: 3 code points, 3.3 KB (see fonts/README.md).
///
/// Cost: parsing it takes about 25 µs and adds under 0.1 MB of RSS, against about 90 ms and
/// 70 MB for BIZ UDPGothic. Measured on the 2-core development container with a release build
/// of a program that parses a face file as `Text` does and reads VmRSS from /proc/self/status
/// before and after (20 runs each; `fallback_parse_cost` below prints the time too). It is
/// still parsed only when a character first needs it, so start-up never pays for it however
/// the fallback grows (Noto Sans CJK JP whole would cost 0.6 s and 270 MB: fontdue parses a
/// face whole).
static FALLBACK_JIS: &[u8] = include_bytes!("../../fonts/fallback-jis.otf");

/// Why the font could not be loaded. Only a broken build can cause it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FontError;

/// The UI's faces plus every glyph rasterised so far, keyed by character and pixel size.
///
/// Each character is drawn with the primary face when it has a glyph for it, else with the
/// fallback face when that has one, else with the primary face's missing-glyph box. The choice
/// depends on the character alone, so the cache key needs no face. The cache starts with the
/// atlas's glyphs, borrowed from the binary.
pub struct Text {
    primary: Primary,
    /// Parsed on first need; `None` inside if the embedded fallback does not parse (a broken
    /// build, which the tests catch): characters then show the missing-glyph box.
    fallback: OnceLock<Option<Font>>,
    cache: HashMap<(char, u16), Glyph>,
    /// The primary face's ascent at each atlas size.
    ascents: Vec<(u16, f32)>,
}

struct Glyph {
    metrics: Metrics,
    coverage: Cow<'static, [u8]>,
}

/// The primary face: parsed now, on a thread that is joined on first need, or on first need.
struct Primary {
    face: OnceLock<Option<Font>>,
    parsing: Mutex<Option<JoinHandle<Option<Font>>>>,
}

impl Primary {
    /// Parses the face now.
    fn parsed() -> Result<Self, FontError> {
        let face = parse_primary().ok_or(FontError)?;
        Ok(Self {
            face: OnceLock::from(Some(face)),
            parsing: Mutex::new(None),
        })
    }

    /// Parses the face on a new thread; on first need if no thread can be started.
    fn in_background() -> Self {
        let parsing = std::thread::Builder::new()
            .name("font".into())
            .spawn(parse_primary)
            .map_err(|e| log::warn!("no thread to parse the font ({e}); parsing on first need"))
            .ok();
        Self {
            face: OnceLock::new(),
            parsing: Mutex::new(parsing),
        }
    }

    /// Parsed on first need, on the caller's thread.
    #[cfg(test)]
    fn on_first_need() -> Self {
        Self {
            face: OnceLock::new(),
            parsing: Mutex::new(None),
        }
    }

    /// The face, waiting for its parse if it is still running. `None` only if the embedded
    /// face does not parse, which cannot happen in a build whose build.rs parsed it.
    fn get(&self) -> Option<&Font> {
        self.face
            .get_or_init(|| {
                let thread = self
                    .parsing
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                let face = match thread {
                    Some(thread) => thread.join().ok().flatten(),
                    None => parse_primary(),
                };
                if face.is_none() {
                    log::error!("the embedded font does not parse; the build is broken");
                }
                face
            })
            .as_ref()
    }

    /// Whether anything has needed the face yet.
    #[cfg(test)]
    fn needed(&self) -> bool {
        self.face.get().is_some()
    }
}

fn parse_primary() -> Option<Font> {
    Font::from_bytes(BIZ_UDP_GOTHIC, face_settings()).ok()
}

impl Text {
    /// Parses the embedded primary face now (fontdue reads it whole: about 100 ms and tens of
    /// MB). The fallback face waits until a character needs it.
    pub fn load() -> Result<Self, FontError> {
        Ok(Self::with_primary(Primary::parsed()?))
    }

    /// Starts parsing the primary face on a thread and returns at once: the atlas draws the
    /// first screen, and the first glyph or metric outside it waits for the parse.
    pub fn load_in_background() -> Self {
        Self::with_primary(Primary::in_background())
    }

    fn with_primary(primary: Primary) -> Self {
        let (ascents, glyphs) = match parse_atlas(GLYPH_ATLAS, BIZ_UDP_GOTHIC.len()) {
            Some(atlas) => atlas,
            None => {
                // The atlas is written by build.rs from this very face; if it could not be
                // read, every glyph comes from the parsed face (slower start, same pixels).
                log::error!("the glyph atlas does not parse; the build is broken");
                (Vec::new(), Vec::new())
            }
        };
        let cache = glyphs
            .into_iter()
            .map(|(c, px, metrics, coverage)| {
                let coverage = Cow::Borrowed(coverage);
                ((c, px), Glyph { metrics, coverage })
            })
            .collect();
        Self {
            primary,
            fallback: OnceLock::new(),
            cache,
            ascents,
        }
    }

    /// The face parsed now and no atlas: the reference the atlas is tested against.
    #[cfg(test)]
    pub(crate) fn without_atlas() -> Self {
        Self {
            primary: Primary::parsed().expect("embedded font parses"),
            fallback: OnceLock::new(),
            cache: HashMap::new(),
            ascents: Vec::new(),
        }
    }

    /// The atlas, with a face that is parsed only if something needs it.
    #[cfg(test)]
    pub(crate) fn atlas_only_until_needed() -> Self {
        Self::with_primary(Primary::on_first_need())
    }

    /// Whether anything needed the parsed primary face (outside the atlas) so far.
    #[cfg(test)]
    pub(crate) fn needed_the_face(&self) -> bool {
        self.primary.needed()
    }

    /// Whether some face has a glyph for `c`.
    pub fn has_glyph(&self, c: char) -> bool {
        self.primary
            .get()
            .is_some_and(|f| f.lookup_glyph_index(c) != 0)
            || self.fallback_for(c).is_some()
    }

    /// Whether the primary face has a glyph for `c`.
    #[cfg(test)]
    fn has_primary_glyph(&self, c: char) -> bool {
        self.primary
            .get()
            .is_some_and(|f| f.lookup_glyph_index(c) != 0)
    }

    /// The face that draws `c`.
    #[cfg(test)]
    fn face(&self, c: char) -> Option<&Font> {
        face_for(&self.primary, &self.fallback, c)
    }

    /// The fallback face, if `c` needs it and it has `c`.
    fn fallback_for(&self, c: char) -> Option<&Font> {
        fallback_for(&self.fallback, c)
    }

    /// Distance from the top of a line box to the baseline, for text of `px` pixels.
    pub fn ascent(&self, px: u16) -> i32 {
        let ascent = match self.ascents.iter().find(|&&(p, _)| p == px) {
            Some(&(_, a)) => Some(a).filter(|a| !a.is_nan()),
            None => self
                .primary
                .get()
                .and_then(|f| f.horizontal_line_metrics(f32::from(px)))
                .map(|m| m.ascent),
        };
        ascent.map_or(i32::from(px) * 88 / 100, |a| a.round() as i32)
    }

    /// The advance of `c` at `px` pixels: from the cache (the atlas, or a glyph drawn
    /// before) or the face that draws it, which give the same value.
    fn advance(&self, c: char, px: u16) -> f32 {
        match self.cache.get(&(c, px)) {
            Some(glyph) => glyph.metrics.advance_width,
            None => face_for(&self.primary, &self.fallback, c)
                .map_or(0.0, |f| f.metrics(c, f32::from(px)).advance_width),
        }
    }

    /// Advance width of `s` at `px` pixels.
    pub fn width(&self, s: &str, px: u16) -> i32 {
        self.width_f(s, px).round() as i32
    }

    /// Draws one line of `s` with its line box's top-left at (x, y); returns the end x.
    pub fn draw(
        &mut self,
        canvas: &mut Canvas<'_>,
        x: i32,
        y: i32,
        s: &str,
        px: u16,
        color: Rgb,
    ) -> i32 {
        let baseline = y + self.ascent(px);
        let mut pen = x as f32;
        for c in s.chars() {
            let Some(glyph) = self.glyph(c, px) else {
                continue;
            };
            let m = &glyph.metrics;
            let gx = pen.round() as i32 + m.xmin;
            let gy = baseline - m.height as i32 - m.ymin;
            canvas.blend_mask(gx, gy, &glyph.coverage, m.width, color);
            pen += m.advance_width;
        }
        pen.round() as i32
    }

    /// The glyph of `c` at `px` pixels, rasterised into the cache on first use; `None` when
    /// no face has it.
    fn glyph(&mut self, c: char, px: u16) -> Option<&Glyph> {
        if !self.cache.contains_key(&(c, px)) {
            let font = face_for(&self.primary, &self.fallback, c)?;
            let (metrics, coverage) = font.rasterize(c, f32::from(px));
            let coverage = Cow::Owned(coverage);
            self.cache.insert((c, px), Glyph { metrics, coverage });
        }
        self.cache.get(&(c, px))
    }

    /// Draws the one character `c` with the middle of its ink at (cx, cy): for a mark
    /// such as ｀ or ＾, which sits at the top of its line box and would look misplaced
    /// centred by the box.
    pub fn draw_ink_centered(
        &mut self,
        canvas: &mut Canvas<'_>,
        cx: i32,
        cy: i32,
        c: char,
        px: u16,
        color: Rgb,
    ) {
        let Some(glyph) = self.glyph(c, px) else {
            return;
        };
        let m = &glyph.metrics;
        let (w, h) = (m.width as i32, m.height as i32);
        canvas.blend_mask(cx - w / 2, cy - h / 2, &glyph.coverage, m.width, color);
    }

    /// Splits `s` into lines no wider than `max_w` at `px` pixels, keeping kinsoku rules and
    /// never breaking inside a run of Latin letters or digits. Explicit '\n' breaks too.
    pub fn wrap<'s>(&self, s: &'s str, px: u16, max_w: i32) -> Vec<&'s str> {
        let mut lines = Vec::new();
        for paragraph in s.split('\n') {
            self.wrap_paragraph(paragraph, px, max_w, &mut lines);
        }
        lines
    }

    fn wrap_paragraph<'s>(&self, p: &'s str, px: u16, max_w: i32, lines: &mut Vec<&'s str>) {
        let mut start = 0; // byte index where the current line starts
        let mut width = 0.0f32;
        let mut last_break: Option<usize> = None; // byte index of the best break so far
        let mut prev: Option<char> = None;
        for (i, c) in p.char_indices() {
            if i > start && prev.is_some_and(|pc| can_break_between(pc, c)) {
                last_break = Some(i);
            }
            let adv = self.advance(c, px);
            if width + adv > max_w as f32 && i > start {
                let cut = last_break.filter(|&b| b > start).unwrap_or(i);
                lines.push(p[start..cut].trim_end());
                start = cut;
                // Skip the spaces a break leaves at the head of the next line.
                while p[start..].starts_with(' ') {
                    start += 1;
                }
                last_break = None;
                if start > i {
                    // The space that overflowed was skipped with the break.
                    width = 0.0;
                    prev = Some(c);
                    continue;
                }
                width = self.width_f(&p[start..i], px);
            }
            width += adv;
            prev = Some(c);
        }
        lines.push(p[start..].trim_end());
    }

    fn width_f(&self, s: &str, px: u16) -> f32 {
        s.chars().map(|c| self.advance(c, px)).sum()
    }
}

/// The atlas's glyph table: per glyph its character, size, metrics and coverage.
type AtlasGlyphs = Vec<(char, u16, Metrics, &'static [u8])>;

/// Reads the atlas written by build.rs: (px, ascent) per size and the glyphs. `None` if it is
/// malformed or was cut from another font file (by length).
fn parse_atlas(bytes: &'static [u8], font_len: usize) -> Option<(Vec<(u16, f32)>, AtlasGlyphs)> {
    let mut r = Reader(bytes);
    if r.take(8)? != b"MKATLAS1" || r.u64()? != u64::try_from(font_len).ok()? {
        return None;
    }
    let sizes = (0..r.u16()?)
        .map(|_| Some((r.u16()?, r.f32()?)))
        .collect::<Option<Vec<_>>>()?;
    let count = r.u32()?;
    let mut glyphs = Vec::with_capacity(usize::try_from(count).ok()?);
    for _ in 0..count {
        let c = char::from_u32(r.u32()?)?;
        let px = r.u16()?;
        let (xmin, ymin) = (r.i32()?, r.i32()?);
        let (width, height) = (
            usize::try_from(r.u32()?).ok()?,
            usize::try_from(r.u32()?).ok()?,
        );
        let (advance_width, advance_height) = (r.f32()?, r.f32()?);
        let bounds = OutlineBounds {
            xmin: r.f32()?,
            ymin: r.f32()?,
            width: r.f32()?,
            height: r.f32()?,
        };
        let coverage = r.take(width.checked_mul(height)?)?;
        let metrics = Metrics {
            xmin,
            ymin,
            width,
            height,
            advance_width,
            advance_height,
            bounds,
        };
        glyphs.push((c, px, metrics, coverage));
    }
    r.0.is_empty().then_some((sizes, glyphs))
}

/// Little-endian fields off the front of a byte slice.
struct Reader(&'static [u8]);

impl Reader {
    fn take(&mut self, n: usize) -> Option<&'static [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    fn i32(&mut self) -> Option<i32> {
        self.array().map(i32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    fn f32(&mut self) -> Option<f32> {
        self.array().map(f32::from_le_bytes)
    }
}

/// Settings for both faces (fontdue's defaults, with the outline scale spelled out). build.rs
/// rasterises the atlas with the same.
fn face_settings() -> FontSettings {
    FontSettings {
        scale: 40.0,
        ..FontSettings::default()
    }
}

/// The face that draws `c`: the primary face if it has `c`, else the fallback if that has
/// it, else the primary face (its missing-glyph box). Waits for the primary face's parse.
fn face_for<'f>(
    primary: &'f Primary,
    fallback: &'f OnceLock<Option<Font>>,
    c: char,
) -> Option<&'f Font> {
    let primary = primary.get();
    if primary.is_some_and(|f| f.lookup_glyph_index(c) != 0) {
        return primary;
    }
    fallback_for(fallback, c).or(primary)
}

/// The fallback face, parsed now if this is its first use, when it has a glyph for `c`.
fn fallback_for(fallback: &OnceLock<Option<Font>>, c: char) -> Option<&Font> {
    fallback
        .get_or_init(|| Font::from_bytes(FALLBACK_JIS, face_settings()).ok())
        .as_ref()
        .filter(|f| f.lookup_glyph_index(c) != 0)
}

/// Whether a line may break between `a` and `b`.
fn can_break_between(a: char, b: char) -> bool {
    if NO_LINE_START.contains(b) || NO_LINE_END.contains(a) {
        return false;
    }
    if a == ' ' || b == ' ' {
        return true;
    }
    // Latin words and numbers stay whole; anything next to CJK may break.
    !(is_word_char(a) && is_word_char(b))
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ',' | '@' | '/' | ':' | '%' | '(' | ')')
}

/// Characters that may not begin a line (JIS X 4051 line-start prohibitions, the common set).
const NO_LINE_START: &str = "、。，．・：；？！）」』】〕〉》’”ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々…‥〜～,.:;?!)]}%";
/// Characters that may not end a line.
const NO_LINE_END: &str = "（「『【〔〈《‘“([{";

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> Text {
        Text::load().expect("embedded font parses")
    }

    #[test]
    fn the_face_has_the_manuals_characters() {
        let t = text();
        for c in "資格確認結果保険者番号限定資格保険組合記号枝番フリガナシカクタロウ氏名太郎生年月日性別男女割本人家族←０１２・「」（）"
            .chars()
        {
            assert!(t.has_glyph(c), "missing glyph {c}");
        }
    }

    /// The code points of a list written by fonts/make-fallback.py.
    fn code_points(list: &str) -> Vec<char> {
        list.lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .map(|h| {
                let v = u32::from_str_radix(h, 16).expect("a hex code point");
                char::from_u32(v).expect("a Unicode scalar value")
            })
            .collect()
    }

    /// Characters of the sets that are drawn without ink on purpose.
    const INKLESS: &[(char, &str)] = &[
        ('\u{3000}', "IDEOGRAPHIC SPACE (JIS 1-01-01) is blank"),
        ('\u{A0}', "NO-BREAK SPACE (JIS X 0213 1-09-01) is blank"),
    ];

    /// Every character of `set` has a glyph in one face, and the glyph has ink.
    fn assert_every_character_renders(set: &[char]) {
        let t = text();
        let mut missing = Vec::new();
        let mut blank = Vec::new();
        for &c in set {
            if !t.has_glyph(c) {
                missing.push(format!("U+{:04X} {c}", u32::from(c)));
                continue;
            }
            let (_, coverage) = t.face(c).expect("a face").rasterize(c, 20.0);
            let inked = coverage.iter().any(|&v| v > 0);
            if !inked && !INKLESS.iter().any(|&(x, _)| x == c) {
                blank.push(format!("U+{:04X} {c}", u32::from(c)));
            }
        }
        assert!(missing.is_empty(), "no glyph in any face: {missing:?}");
        assert!(blank.is_empty(), "a glyph without ink: {blank:?}");
    }

    #[test]
    fn every_character_of_jis_x_0208_renders() {
        let set = code_points(include_str!("../../fonts/jis-x-0208.txt"));
        // 6879 positions, one code point each (see the list's header).
        assert_eq!(set.len(), 6879, "the whole list was read");
        assert_every_character_renders(&set);
    }

    #[test]
    fn every_character_of_jis_x_0213_renders() {
        let set = code_points(include_str!("../../fonts/jis-x-0213.txt"));
        // 11233 positions: 25 are combining sequences whose parts are listed once each, and 2
        // decode to different code points in EUC and Shift_JIS, both listed.
        assert_eq!(set.len(), 11211, "the whole list was read");
        assert_every_character_renders(&set);
    }

    #[test]
    fn the_fallback_holds_only_what_the_primary_face_lacks() {
        let t = text();
        let fallback = Font::from_bytes(FALLBACK_JIS, face_settings()).expect("fallback parses");
        assert!(!fallback.chars().is_empty());
        for &c in fallback.chars().keys() {
            assert!(
                !t.has_primary_glyph(c),
                "U+{:04X} is in both faces",
                u32::from(c)
            );
        }
    }

    /// The pixels `s` draws at `px` on a white 120×40 canvas, with the canvas's end x.
    fn drawn(t: &mut Text, s: &str, px: u16) -> (Vec<u32>, i32) {
        let mut pixels = vec![0xFFFFFF; 120 * 40];
        let mut c = Canvas::new(&mut pixels, 120, 40).expect("buffer fits");
        let end = t.draw(&mut c, 2, 2, s, px, 0x000000);
        (pixels, end)
    }

    #[test]
    fn tsuchi_yoshi_renders_with_ink_via_the_fallback() {
        let t = &mut text();
        let c = '\u{20BB7}'; // 𠮷, in neither JIS set
        assert!(!t.has_primary_glyph(c), "BIZ UDPGothic lacks 𠮷");
        assert!(t.has_glyph(c));
        assert!(
            !std::ptr::eq(t.face(c).expect("a face"), t.primary.get().expect("parsed")),
            "drawn with the fallback face"
        );
        let (pixels, end) = drawn(t, "𠮷", 24);
        // A full-width ideograph: one em of advance.
        assert_eq!(end - 2, 24, "advance");
        let inked: Vec<(usize, usize)> = (0..40)
            .flat_map(|y| (0..120).map(move |x| (x, y)))
            .filter(|&(x, y)| pixels[y * 120 + x] != 0xFFFFFF)
            .collect();
        assert!(inked.len() > 50, "ink: {} pixels", inked.len());
        assert!(
            inked
                .iter()
                .all(|&(x, y)| (2..26).contains(&x) && (2..2 + 28).contains(&y)),
            "ink within the glyph's box"
        );
        // 𠮷 and 吉 share their em box: the fallback sits on the primary face's baseline.
        let (kichi, _) = drawn(t, "吉", 24);
        let rows = |p: &[u32]| {
            let ys: Vec<usize> = (0..40)
                .filter(|&y| (0..120).any(|x| p[y * 120 + x] != 0xFFFFFF))
                .collect();
            (ys[0], ys[ys.len() - 1])
        };
        let (top_a, bottom_a) = rows(&pixels);
        let (top_b, bottom_b) = rows(&kichi);
        assert!(top_a.abs_diff(top_b) <= 2 && bottom_a.abs_diff(bottom_b) <= 2);
    }

    #[test]
    fn the_primary_face_draws_what_it_has_as_before() {
        let t = &mut text();
        let (_, end) = drawn(t, "資格確認", 24);
        assert!(end > 2);
        // Nothing so far needed the fallback: it is not even parsed.
        assert!(t.fallback.get().is_none(), "the fallback was parsed");
        // The glyph is the primary face's own rasterisation, bit for bit.
        let primary = Font::from_bytes(BIZ_UDP_GOTHIC, face_settings()).expect("parses");
        let (metrics, coverage) = primary.rasterize('資', 24.0);
        let cached = t.cache.get(&('資', 24)).expect("cached");
        assert_eq!(cached.metrics, metrics);
        assert_eq!(cached.coverage.as_ref(), coverage.as_slice());
        // And a fallback character next to it changes nothing about it.
        let (before, _) = drawn(t, "資", 24);
        let (with_fallback, _) = drawn(t, "資𠮷", 24);
        let left = |p: &[u32]| {
            (0..40)
                .flat_map(|y| p[y * 120 + 2..y * 120 + 26].to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(left(&before), left(&with_fallback));
        assert!(t.fallback.get().is_some(), "𠮷 parsed the fallback");
    }

    #[test]
    fn every_atlas_glyph_is_the_faces_own_bit_for_bit() {
        let (ascents, glyphs) =
            parse_atlas(GLYPH_ATLAS, BIZ_UDP_GOTHIC.len()).expect("the atlas parses");
        let face = Font::from_bytes(BIZ_UDP_GOTHIC, face_settings()).expect("parses");
        // The first screen: the title, the prompt, the keypad (and the demo ribbon and tray).
        assert!(glyphs.len() > 100, "{} glyphs", glyphs.len());
        for &(px, ascent) in &ascents {
            let want = face
                .horizontal_line_metrics(f32::from(px))
                .expect("line metrics")
                .ascent;
            assert_eq!(ascent.to_bits(), want.to_bits(), "ascent at {px} px");
        }
        let mut previous = None;
        for (c, px, metrics, coverage) in glyphs {
            assert!(previous < Some((c, px)), "sorted and unique");
            previous = Some((c, px));
            assert_ne!(face.lookup_glyph_index(c), 0, "{c:?} is in the face");
            assert!(ascents.iter().any(|&(p, _)| p == px), "ascent for {px} px");
            let (want_metrics, want_coverage) = face.rasterize(c, f32::from(px));
            // Compared as bits: the advance feeds layout, so it must be the very same f32.
            let bits = |m: &Metrics| {
                (
                    m.xmin,
                    m.ymin,
                    m.width,
                    m.height,
                    [
                        m.advance_width.to_bits(),
                        m.advance_height.to_bits(),
                        m.bounds.xmin.to_bits(),
                        m.bounds.ymin.to_bits(),
                        m.bounds.width.to_bits(),
                        m.bounds.height.to_bits(),
                    ],
                )
            };
            assert_eq!(bits(&metrics), bits(&want_metrics), "{c:?} at {px} px");
            assert_eq!(coverage, want_coverage.as_slice(), "{c:?} at {px} px");
            let measured = face.metrics(c, f32::from(px)).advance_width;
            assert_eq!(metrics.advance_width.to_bits(), measured.to_bits());
        }
    }

    #[test]
    fn a_damaged_atlas_is_refused() {
        let len = BIZ_UDP_GOTHIC.len();
        assert!(parse_atlas(GLYPH_ATLAS, len).is_some());
        assert!(parse_atlas(GLYPH_ATLAS, len + 1).is_none(), "another font");
        let cut = &GLYPH_ATLAS[..GLYPH_ATLAS.len() - 1];
        assert!(parse_atlas(cut, len).is_none(), "cut short");
        assert!(parse_atlas(&GLYPH_ATLAS[1..], len).is_none(), "no magic");
    }

    #[test]
    fn atlas_text_measures_and_draws_as_the_face_does() {
        let mut with = Text::atlas_only_until_needed();
        let mut without = Text::without_atlas();
        for (s, px) in [
            ("パスコード入力", 32),
            ("パスコード（数字4桁）を入力してください", 24),
            ("0123456789", 40),
            ("0123456789", 60),
            ("訂正", 26),
        ] {
            assert_eq!(with.width(s, px), without.width(s, px), "{s}");
            assert_eq!(with.wrap(s, px, 150), without.wrap(s, px, 150), "{s}");
            assert_eq!(with.ascent(px), without.ascent(px));
            assert_eq!(drawn(&mut with, s, px), drawn(&mut without, s, px), "{s}");
        }
        assert!(!with.needed_the_face(), "all of it came from the atlas");
        // Anything else (no screen says 鬱) waits for the face, and is drawn by it.
        assert_eq!(drawn(&mut with, "鬱", 24), drawn(&mut without, "鬱", 24));
        assert!(with.needed_the_face());
    }

    #[test]
    fn the_background_parse_is_joined_on_first_need() {
        let mut t = Text::load_in_background();
        let mut reference = Text::without_atlas();
        assert_eq!(t.width("資格確認", 24), reference.width("資格確認", 24));
        assert_eq!(drawn(&mut t, "資格", 28), drawn(&mut reference, "資格", 28));
        assert!(t.has_glyph('資'));
    }

    #[test]
    fn width_and_wrap_work_across_faces() {
        let t = text();
        // Widths add up across faces, each character measured by the face that draws it.
        let kichi = t.width("𠮷", 24);
        assert_eq!(kichi, 24);
        assert_eq!(t.width("𠮷田", 24), kichi + t.width("田", 24));
        // ⦅ ⦆ take Noto's glyphs of ｟ ｠, which are one em wide (BIZ UDPGothic's own ｟ ｠ are
        // proportional, narrower).
        assert_eq!(t.width("⦅⦆", 24), 48);
        // A name of fallback characters wraps within the width and loses nothing.
        let s = "𠮷田𠮷子さん、⦅𠮷野⦆𠮷川𠮷太郎様の資格情報を確認しました。";
        for w in [50, 73, 100, 151, 200] {
            let lines = t.wrap(s, 24, w);
            assert_eq!(
                lines.concat(),
                s,
                "wrapping loses no characters at width {w}"
            );
            for l in &lines {
                assert!(t.width(l, 24) <= w, "{l} wider than {w}");
                let first = l.chars().next().expect("no empty line");
                if l.as_ptr() != s.as_ptr() {
                    assert!(
                        !NO_LINE_START.contains(first),
                        "{l} starts a line at width {w}"
                    );
                }
            }
        }
        assert_eq!(t.wrap("𠮷田", 24, 24), vec!["𠮷", "田"]);
    }

    #[test]
    fn fallback_parse_cost() {
        // Prints, never asserts, how long parsing the fallback takes here (see FALLBACK_JIS).
        let started = std::time::Instant::now();
        let font = Font::from_bytes(FALLBACK_JIS, face_settings());
        let took = started.elapsed();
        assert!(font.is_ok(), "the fallback parses");
        println!(
            "fallback face: {} bytes, parsed in {} µs",
            FALLBACK_JIS.len(),
            took.as_micros()
        );
    }

    #[test]
    fn width_grows_with_text_and_size() {
        let t = text();
        assert!(t.width("資格", 24) > t.width("資", 24));
        assert!(t.width("資格", 32) > t.width("資格", 24));
        assert_eq!(t.width("", 24), 0);
    }

    #[test]
    fn wrap_keeps_lines_within_width() {
        let t = text();
        let s = "目視確認後マイナンバーカードをカードリーダーの上に置いていただくことで、資格情報を確認することができます。";
        let lines = t.wrap(s, 24, 300);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(t.width(l, 24) <= 300, "{l} too wide");
        }
        assert_eq!(lines.concat(), s, "wrapping loses no characters");
    }

    #[test]
    fn wrap_never_starts_a_line_with_closing_punctuation() {
        let t = text();
        // Try many widths so that some break falls right before 、 or 。.
        let s = "カードリーダーに、マイナンバーカードを、セットしてください。";
        for w in (60..400).step_by(7) {
            for l in t.wrap(s, 24, w).iter().skip(1) {
                let first = l.chars().next().expect("no empty line");
                assert!(
                    !NO_LINE_START.contains(first),
                    "line starts with {first} at width {w}"
                );
            }
        }
    }

    #[test]
    fn wrap_keeps_latin_words_whole() {
        let t = text();
        let word = t.width("W0000001", 24);
        let lines = t.wrap("ID W0000001 password", 24, word + 20);
        assert!(lines.len() >= 2, "{lines:?}");
        let whole = lines.iter().any(|l| l.split(' ').any(|w| w == "W0000001"));
        assert!(whole, "the ID is never split: {lines:?}");
    }

    #[test]
    fn draw_puts_ink_in_the_line_box() {
        let t = &mut text();
        let mut px = vec![0xFFFFFF; 80 * 40];
        let mut c = Canvas::new(&mut px, 80, 40).expect("buffer fits");
        let end = t.draw(&mut c, 2, 2, "資格", 24, 0x000000);
        assert!(end > 40 && end < 60, "advance {end}");
        let inked = (0..40)
            .flat_map(|y| (0..80).map(move |x| (x, y)))
            .filter(|&(x, y)| c.pixel(x, y) != Some(0xFFFFFF))
            .collect::<Vec<_>>();
        assert!(!inked.is_empty());
        assert!(
            inked.iter().all(|&(_, y)| (2..2 + 28).contains(&y)),
            "ink outside the line"
        );
    }
}
