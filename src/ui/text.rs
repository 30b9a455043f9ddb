//! Japanese text: the embedded BIZ UDPGothic face, a glyph cache, measuring and line
//! breaking with kinsoku (no line starts with closing punctuation or ends with an opening one).

use std::collections::HashMap;

use fontdue::{Font, FontSettings, Metrics};

use super::canvas::{Canvas, Rgb};

/// BIZ UDPGothic Regular (SIL OFL 1.1, see fonts/OFL.txt), inside the binary.
static BIZ_UDP_GOTHIC: &[u8] = include_bytes!("../../fonts/BIZUDPGothic-Regular.ttf");

/// Why the font could not be loaded. Only a broken build can cause it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FontError;

/// The UI's face plus every glyph rasterised so far, keyed by character and pixel size.
pub struct Text {
    font: Font,
    cache: HashMap<(char, u16), Glyph>,
}

struct Glyph {
    metrics: Metrics,
    coverage: Vec<u8>,
}

impl Text {
    /// Parses the embedded face (fontdue reads it whole: about 100 ms and tens of MB).
    pub fn load() -> Result<Self, FontError> {
        let settings = FontSettings {
            scale: 40.0,
            ..FontSettings::default()
        };
        let font = Font::from_bytes(BIZ_UDP_GOTHIC, settings).map_err(|_| FontError)?;
        Ok(Self {
            font,
            cache: HashMap::new(),
        })
    }

    /// Whether the face has a glyph for `c`.
    pub fn has_glyph(&self, c: char) -> bool {
        self.font.lookup_glyph_index(c) != 0
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
            .map(|c| self.font.metrics(c, size).advance_width)
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
            let font = &self.font;
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
            let adv = self.font.metrics(c, size).advance_width;
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
            .map(|c| self.font.metrics(c, size).advance_width)
            .sum()
    }
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
