//! Japanese text: the embedded BIZ UDPGothic face with a small fallback face, a glyph cache,
//! measuring and line breaking with kinsoku (no line starts with closing punctuation or ends
//! with an opening one).

use std::collections::HashMap;
use std::sync::OnceLock;

use fontdue::{Font, FontSettings, Metrics};

use super::canvas::{Canvas, Rgb};

/// BIZ UDPGothic Regular (SIL OFL 1.1, see fonts/OFL.txt), inside the binary.
static BIZ_UDP_GOTHIC: &[u8] = include_bytes!("../../fonts/BIZUDPGothic-Regular.ttf");

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
/// depends on the character alone, so the cache key needs no face.
pub struct Text {
    font: Font,
    /// Parsed on first need; `None` inside if the embedded fallback does not parse (a broken
    /// build, which the tests catch): characters then show the missing-glyph box.
    fallback: OnceLock<Option<Font>>,
    cache: HashMap<(char, u16), Glyph>,
}

struct Glyph {
    metrics: Metrics,
    coverage: Vec<u8>,
}

impl Text {
    /// Parses the embedded primary face (fontdue reads it whole: about 100 ms and tens of MB).
    /// The fallback face waits until a character needs it.
    pub fn load() -> Result<Self, FontError> {
        let font = Font::from_bytes(BIZ_UDP_GOTHIC, face_settings()).map_err(|_| FontError)?;
        Ok(Self {
            font,
            fallback: OnceLock::new(),
            cache: HashMap::new(),
        })
    }

    /// Whether some face has a glyph for `c`.
    pub fn has_glyph(&self, c: char) -> bool {
        self.font.lookup_glyph_index(c) != 0 || self.fallback_for(c).is_some()
    }

    /// Whether the primary face has a glyph for `c`.
    #[cfg(test)]
    fn has_primary_glyph(&self, c: char) -> bool {
        self.font.lookup_glyph_index(c) != 0
    }

    /// The face that draws `c`.
    fn face(&self, c: char) -> &Font {
        face_for(&self.font, &self.fallback, c)
    }

    /// The fallback face, if `c` needs it and it has `c`.
    fn fallback_for(&self, c: char) -> Option<&Font> {
        fallback_for(&self.fallback, c)
    }

    /// Distance from the top of a line box to the baseline, for text of `px` pixels.
    pub fn ascent(&self, px: u16) -> i32 {
        self.font
            .horizontal_line_metrics(f32::from(px))
            .map_or(i32::from(px) * 88 / 100, |m| m.ascent.round() as i32)
    }

    /// Advance width of `s` at `px` pixels.
    pub fn width(&self, s: &str, px: u16) -> i32 {
        let size = f32::from(px);
        let w: f32 = s
            .chars()
            .map(|c| self.face(c).metrics(c, size).advance_width)
            .sum();
        w.round() as i32
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
            let font = face_for(&self.font, &self.fallback, c);
            let glyph = self.cache.entry((c, px)).or_insert_with(|| {
                let (metrics, coverage) = font.rasterize(c, f32::from(px));
                Glyph { metrics, coverage }
            });
            let m = &glyph.metrics;
            let gx = pen.round() as i32 + m.xmin;
            let gy = baseline - m.height as i32 - m.ymin;
            canvas.blend_mask(gx, gy, &glyph.coverage, m.width, color);
            pen += m.advance_width;
        }
        pen.round() as i32
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
        let size = f32::from(px);
        let mut start = 0; // byte index where the current line starts
        let mut width = 0.0f32;
        let mut last_break: Option<usize> = None; // byte index of the best break so far
        let mut prev: Option<char> = None;
        for (i, c) in p.char_indices() {
            if i > start && prev.is_some_and(|pc| can_break_between(pc, c)) {
                last_break = Some(i);
            }
            let adv = self.face(c).metrics(c, size).advance_width;
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
                width = self.width_f(&p[start..i], size);
            }
            width += adv;
            prev = Some(c);
        }
        lines.push(p[start..].trim_end());
    }

    fn width_f(&self, s: &str, size: f32) -> f32 {
        s.chars()
            .map(|c| self.face(c).metrics(c, size).advance_width)
            .sum()
    }
}

/// Settings for both faces (fontdue's defaults, with the outline scale spelled out).
fn face_settings() -> FontSettings {
    FontSettings {
        scale: 40.0,
        ..FontSettings::default()
    }
}

/// The face that draws `c`: `primary` if it has `c`, else the fallback if that has it, else
/// `primary` (its missing-glyph box).
fn face_for<'f>(primary: &'f Font, fallback: &'f OnceLock<Option<Font>>, c: char) -> &'f Font {
    if primary.lookup_glyph_index(c) != 0 {
        return primary;
    }
    fallback_for(fallback, c).unwrap_or(primary)
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
            let (_, coverage) = t.face(c).rasterize(c, 20.0);
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
            !std::ptr::eq(t.face(c), &t.font),
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
        assert_eq!(cached.coverage, coverage);
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
