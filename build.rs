//! Build script: turns images/icon.pam into the window icon's RGBA bytes (OUT_DIR/icon.rs),
//! so the binary needs no image decoder, and rasterises the glyphs of the first screen into a
//! start-up atlas (OUT_DIR/glyph-atlas.bin, see `write_glyph_atlas`), and collects the
//! third-party licence texts (OUT_DIR/licenses.txt, build/licenses.rs). Fails the build if the
//! image is malformed, a string the atlas names is gone or a crate's licence has no text.
//!
//! For a Windows target only, it also compiles the .exe's resources: the application
//! manifest (per-monitor-v2 DPI aware, asInvoker, common controls v6), the icon (an .ico
//! written here from the same image) and the version information, with mingw's windres
//! (binutils-mingw-w64; `WINDRES` overrides the tool). Linux builds never need windres.

use std::collections::BTreeSet;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "build/licenses.rs"]
mod licenses;

fn main() {
    println!("cargo:rerun-if-changed=images/icon.pam");
    println!("cargo:rerun-if-changed=fonts/BIZUDPGothic-Regular.ttf");
    let pam =
        fs::read("images/icon.pam").unwrap_or_else(|e| fail(&format!("images/icon.pam: {e}")));
    let (width, height, pixels) =
        parse_pam(&pam).unwrap_or_else(|e| fail(&format!("images/icon.pam: {e}")));
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_else(|| fail("OUT_DIR not set")));
    let code = format!(
        "/// Width of the app icon.\npub const ICON_WIDTH: u32 = {width};\n\
         /// Height of the app icon.\npub const ICON_HEIGHT: u32 = {height};\n\
         /// The app icon, RGBA rows top to bottom.\npub static ICON_RGBA: [u8; {}] = {:?};\n",
        pixels.len(),
        pixels
    );
    fs::write(out.join("icon.rs"), code).unwrap_or_else(|e| fail(&format!("writing icon.rs: {e}")));
    write_glyph_atlas(&out);
    licenses::write_licenses(&out);

    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        println!("cargo:rerun-if-env-changed=WINDRES");
        windows_resources(&out, width, pixels);
    }
}

/// Writes the manifest, the icon and the .rc, compiles them and links the result into the
/// binary (not into tests or examples).
fn windows_resources(out: &Path, size: u32, rgba: &[u8]) {
    let version = |k: &str| -> u16 {
        env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| fail(&format!("{k} is not a number")))
    };
    let v = [
        version("CARGO_PKG_VERSION_MAJOR"),
        version("CARGO_PKG_VERSION_MINOR"),
        version("CARGO_PKG_VERSION_PATCH"),
    ];
    let text = env::var("CARGO_PKG_VERSION").unwrap_or_else(|_| fail("no CARGO_PKG_VERSION"));

    let write = |name: &str, bytes: &[u8]| -> PathBuf {
        let path = out.join(name);
        fs::write(&path, bytes).unwrap_or_else(|e| fail(&format!("writing {name}: {e}")));
        path
    };
    let ico = write("myna-kakunin.ico", &ico(size, rgba));
    let manifest = write(
        "myna-kakunin.manifest",
        manifest(&format!("{}.{}.{}.0", v[0], v[1], v[2])).as_bytes(),
    );
    let rc = write(
        "myna-kakunin.rc",
        resource_script(&ico, &manifest, v, &text).as_bytes(),
    );

    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_env != "gnu" {
        println!("cargo:warning=no Windows resources for target env {target_env:?} (mingw only)");
        return;
    }
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_else(|_| "x86_64".into());
    let windres = env::var("WINDRES").unwrap_or_else(|_| format!("{arch}-w64-mingw32-windres"));
    let object = out.join("myna-kakunin-res.o");
    let status = Command::new(&windres)
        // UTF-8 .rc: the version strings are Japanese.
        .args(["--codepage", "65001", "--output-format", "coff", "--input"])
        .arg(&rc)
        .arg("--output")
        .arg(&object)
        .status()
        .unwrap_or_else(|e| {
            fail(&format!(
                "cannot run {windres} ({e}); install binutils-mingw-w64-x86-64 or set WINDRES"
            ))
        });
    if !status.success() {
        fail(&format!("{windres} failed on {}", rc.display()));
    }
    println!("cargo:rustc-link-arg-bins={}", object.display());
}

/// The application manifest: Windows 10/11, per-monitor-v2 DPI awareness (per-monitor on
/// older builds), no elevation, common controls v6 for any system dialog.
fn manifest(version: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <assemblyIdentity type="win32" name="myna-kakunin" version="{version}" processorArchitecture="amd64"/>
  <description>myna-kakunin</description>
  <trustInfo xmlns="urn:schemas-microsoft-com:asm.v3">
    <security>
      <requestedPrivileges>
        <requestedExecutionLevel level="asInvoker" uiAccess="false"/>
      </requestedPrivileges>
    </security>
  </trustInfo>
  <compatibility xmlns="urn:schemas-microsoft-com:compatibility.v1">
    <application>
      <supportedOS Id="{{8e0f7a12-bfb3-4fe8-b9a5-48fd50a15a9a}}"/>
    </application>
  </compatibility>
  <application xmlns="urn:schemas-microsoft-com:asm.v3">
    <windowsSettings>
      <dpiAware xmlns="http://schemas.microsoft.com/SMI/2005/WindowsSettings">true/pm</dpiAware>
      <dpiAwareness xmlns="http://schemas.microsoft.com/SMI/2016/WindowsSettings">PerMonitorV2, PerMonitor</dpiAwareness>
      <longPathAware xmlns="http://schemas.microsoft.com/SMI/2016/WindowsSettings">true</longPathAware>
    </windowsSettings>
  </application>
  <dependency>
    <dependentAssembly>
      <assemblyIdentity type="win32" name="Microsoft.Windows.Common-Controls" version="6.0.0.0" processorArchitecture="*" publicKeyToken="6595b64144ccf1df" language="*"/>
    </dependentAssembly>
  </dependency>
</assembly>
"#
    )
}

/// The .rc: icon 1 (Explorer shows the first icon group), the manifest as resource 1 of type
/// 24 (RT_MANIFEST, CREATEPROCESS_MANIFEST_RESOURCE_ID) and VERSIONINFO in Japanese, Unicode.
/// Numbers instead of winver.h names, so no Windows headers are needed.
fn resource_script(ico: &Path, manifest: &Path, v: [u16; 3], text: &str) -> String {
    let quoted = |p: &Path| format!("\"{}\"", p.display().to_string().replace('\\', "/"));
    let numeric = format!("{},{},{},0", v[0], v[1], v[2]);
    format!(
        r#"1 ICON {ico}
1 24 {manifest}
1 VERSIONINFO
FILEVERSION {numeric}
PRODUCTVERSION {numeric}
FILEFLAGSMASK 0x3f
FILEFLAGS 0x0
FILEOS 0x40004
FILETYPE 0x1
FILESUBTYPE 0x0
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "041104B0"
    BEGIN
      VALUE "FileDescription", "マイナ資格確認 (myna-kakunin)"
      VALUE "FileVersion", "{text}"
      VALUE "InternalName", "myna-kakunin"
      VALUE "LegalCopyright", "MIT OR Apache-2.0"
      VALUE "OriginalFilename", "myna-kakunin.exe"
      VALUE "ProductName", "myna-kakunin"
      VALUE "ProductVersion", "{text}"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x411, 1200
  END
END
"#,
        ico = quoted(ico),
        manifest = quoted(manifest),
    )
}

/// An .ico holding the image at its own size and at 48, 32 and 16 pixels (smaller ones only),
/// each as a 32-bit BGRA DIB with its AND mask, which every Windows since XP reads.
fn ico(size: u32, rgba: &[u8]) -> Vec<u8> {
    let mut sizes = vec![size];
    sizes.extend([48, 32, 16].into_iter().filter(|&s| s < size));
    let images: Vec<Vec<u8>> = sizes
        .iter()
        .map(|&s| dib(s, &downscale(size, rgba, s)))
        .collect();
    let mut out = Vec::new();
    // ICONDIR: reserved, type 1 (icon), count.
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&(sizes.len() as u16).to_le_bytes());
    let mut offset = 6 + 16 * sizes.len();
    for (&s, image) in sizes.iter().zip(&images) {
        // ICONDIRENTRY: width, height (0 means 256), colours 0, reserved, planes 1, 32 bpp,
        // bytes, offset.
        let side = if s >= 256 { 0 } else { s as u8 };
        out.extend_from_slice(&[side, side, 0, 0]);
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&32u16.to_le_bytes());
        out.extend_from_slice(&(image.len() as u32).to_le_bytes());
        out.extend_from_slice(&(offset as u32).to_le_bytes());
        offset += image.len();
    }
    for image in images {
        out.extend_from_slice(&image);
    }
    out
}

/// A BITMAPINFOHEADER (height doubled for the mask), BGRA rows bottom-up, then the 1-bit AND
/// mask (set where fully transparent), rows padded to 32 bits.
fn dib(size: u32, rgba: &[u8]) -> Vec<u8> {
    let mask_row = size.div_ceil(32) * 4;
    let mut out = Vec::new();
    for field in [40u32, size, size * 2] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(&1u16.to_le_bytes()); // planes
    out.extend_from_slice(&32u16.to_le_bytes()); // bits per pixel
    let image_bytes = size * size * 4 + mask_row * size;
    for field in [0u32, image_bytes, 0, 0, 0, 0] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    let row = |y: u32| &rgba[(y * size * 4) as usize..((y + 1) * size * 4) as usize];
    for y in (0..size).rev() {
        for p in row(y).chunks_exact(4) {
            out.extend_from_slice(&[p[2], p[1], p[0], p[3]]);
        }
    }
    for y in (0..size).rev() {
        let mut bits = vec![0u8; mask_row as usize];
        for (x, p) in row(y).chunks_exact(4).enumerate() {
            if p[3] == 0 {
                bits[x / 8] |= 0x80 >> (x % 8);
            }
        }
        out.extend_from_slice(&bits);
    }
    out
}

/// Box-filters a square RGBA image from `from` to `to` pixels a side, averaging colours
/// weighted by alpha so transparent pixels do not darken the edges.
fn downscale(from: u32, rgba: &[u8], to: u32) -> Vec<u8> {
    if from == to {
        return rgba.to_vec();
    }
    let mut out = Vec::with_capacity((to * to * 4) as usize);
    for ty in 0..to {
        let (y0, y1) = (ty * from / to, ((ty + 1) * from).div_ceil(to));
        for tx in 0..to {
            let (x0, x1) = (tx * from / to, ((tx + 1) * from).div_ceil(to));
            let (mut sum, mut alpha, mut count) = ([0u64; 3], 0u64, 0u64);
            for y in y0..y1 {
                for x in x0..x1 {
                    let p = &rgba[((y * from + x) * 4) as usize..][..4];
                    let a = u64::from(p[3]);
                    for c in 0..3 {
                        sum[c] += u64::from(p[c]) * a;
                    }
                    alpha += a;
                    count += 1;
                }
            }
            let colour = |c: usize| sum[c].checked_div(alpha).unwrap_or(0) as u8;
            out.extend_from_slice(&[colour(0), colour(1), colour(2), (alpha / count) as u8]);
        }
    }
    out
}

fn fail(msg: &str) -> ! {
    eprintln!("build.rs: {msg}");
    std::process::exit(1);
}

/// Parses a Netpbm PAM with TUPLTYPE RGB_ALPHA, DEPTH 4, MAXVAL 255.
fn parse_pam(data: &[u8]) -> Result<(u32, u32, &[u8]), String> {
    let end = data
        .windows(7)
        .position(|w| w == b"ENDHDR\n")
        .ok_or("no ENDHDR")?;
    let header = std::str::from_utf8(&data[..end]).map_err(|_| "header is not ASCII")?;
    let (mut w, mut h, mut depth, mut maxval, mut kind) = (0u32, 0u32, 0u32, 0u32, "");
    let mut lines = header.lines();
    if lines.next() != Some("P7") {
        return Err("not a PAM (P7) file".into());
    }
    for line in lines {
        let mut parts = line.split_whitespace();
        let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        let num = || value.parse::<u32>().map_err(|_| format!("bad {key}"));
        match key {
            "WIDTH" => w = num()?,
            "HEIGHT" => h = num()?,
            "DEPTH" => depth = num()?,
            "MAXVAL" => maxval = num()?,
            "TUPLTYPE" => kind = value,
            _ => {}
        }
    }
    if depth != 4 || maxval != 255 || kind != "RGB_ALPHA" || w == 0 || h == 0 || w > 256 || h > 256
    {
        return Err(format!(
            "want 8-bit RGB_ALPHA up to 256x256, got {w}x{h} depth {depth} max {maxval} {kind}"
        ));
    }
    let pixels = &data[end + 7..];
    if pixels.len() != (w * h * 4) as usize {
        return Err(format!("{} pixel bytes for {w}x{h}", pixels.len()));
    }
    Ok((w, h, pixels))
}

// --- The start-up glyph atlas ------------------------------------------------------------
//
// fontdue parses a face whole: BIZ UDPGothic takes about 100 ms and 70 MB, which the first
// frame would wait for. The atlas holds the glyphs of the first screen (パスコード入力, with
// the demo ribbon and tray in the demo build) at the common display scales, rasterised here
// by the same fontdue with the same settings, so `ui::text::Text` draws that screen at once
// while the face is parsed on a thread. The unit tests check every atlas glyph against the
// parsed face, bit for bit, and that the first screen needs nothing outside the atlas.

/// The font the atlas is cut from (ui::text embeds the same file).
const ATLAS_FONT: &str = "fonts/BIZUDPGothic-Regular.ttf";
/// Where the words come from.
const STRINGS_RS: &str = "src/ui/strings.rs";
const THEME_RS: &str = "src/ui/theme.rs";
const DEMO_CARDS_RS: &str = "src/card/virtual_card.rs";

/// Where some text of the first screen comes from.
enum AtlasText {
    /// The string literals of a `pub const` or `pub fn` of ui::strings (format placeholders
    /// removed).
    Item(&'static str),
    /// These characters.
    Chars(&'static str),
    /// The string literals of the demo tray's cards (card::virtual_card::DEMO_CARDS).
    DemoCards,
}

/// What the first screen draws, and at which sizes: names of ui::theme::size constants,
/// optionally minus a number, as ui::screens and ui::render use them.
const ATLAS_TEXT: &[(AtlasText, &[&str])] = &[
    (AtlasText::Item("PASSCODE_TITLE"), &["TITLE"]),
    (AtlasText::Item("PASSCODE_PROMPT"), &["BODY"]),
    // The wrong-passcode band and its mark (drawn at 22 px, the LABEL size).
    (AtlasText::Item("PASSCODE_WRONG"), &["LABEL"]),
    (AtlasText::Chars("!"), &["LABEL"]),
    (AtlasText::Item("KEY_DELETE"), &["BUTTON"]),
    // The keypad.
    (AtlasText::Chars("0123456789"), &["KEY"]),
];

/// What the demo build's first screen draws besides: the デモ ribbon and the card tray.
const ATLAS_DEMO_TEXT: &[(AtlasText, &[&str])] = &[
    (AtlasText::Item("demo_ribbon"), &["SMALL"]),
    // The passcode on the ribbon.
    (AtlasText::Chars("0123456789"), &["SMALL"]),
    (AtlasText::Item("DEMO_TRAY"), &["SMALL-2"]),
    (AtlasText::Item("DEMO_ON_READER"), &["SMALL-4"]),
    // Each tray card: the holder, then what it shows.
    (AtlasText::DemoCards, &["SMALL", "SMALL-4"]),
    // The tray's page arrows.
    (AtlasText::Chars("＜＞"), &["BUTTON"]),
];

/// The display scales the atlas is cut for: 100 % (a 1280×800 screen), and 125 %, 150 % and
/// 200 %, which Windows picks for tablets whose screens are 1280×800 logical pixels at a
/// higher resolution (1600×1000, 1920×1200, 2560×1600). At another scale the first frame
/// waits for the face's parse, as it did before the atlas. Layout is always measured at
/// 100 %, so every scale needs those sizes too.
const ATLAS_SCALES: &[f32] = &[1.0, 1.25, 1.5, 2.0];

/// A logical text size at `scale` in device pixels, as ui::render's `Painter::font` computes it.
fn device_px(px: u16, scale: f32) -> u16 {
    (f32::from(px) * scale)
        .round()
        .clamp(1.0, f32::from(u16::MAX)) as u16
}

/// Rasterises the atlas into OUT_DIR/glyph-atlas.bin. The format (little-endian), read by
/// ui::text:
///
/// ```text
/// "MKATLAS1"  u64 length of the font file
/// u16 sizes,  per size:  u16 px, f32 ascent (NaN: the face has no line metrics)
/// u32 glyphs, per glyph: u32 char, u16 px, i32 xmin, i32 ymin, u32 width, u32 height,
///                        f32 advance_width, f32 advance_height,
///                        f32 bounds xmin, ymin, width, height,
///                        width × height coverage bytes
/// ```
///
/// Glyphs are sorted by (char, px); characters the face lacks are left out (they are drawn
/// with the fallback face or the missing-glyph box, which the full path handles).
fn write_glyph_atlas(out: &Path) {
    for input in [ATLAS_FONT, STRINGS_RS, THEME_RS, DEMO_CARDS_RS] {
        println!("cargo:rerun-if-changed={input}");
    }
    let read =
        |path: &str| fs::read_to_string(path).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
    let (strings, theme, cards) = (read(STRINGS_RS), read(THEME_RS), read(DEMO_CARDS_RS));
    let sizes = theme_sizes(&theme);
    let mut wanted: BTreeSet<(char, u16)> = BTreeSet::new();
    // The production build has no demo ribbon or tray; their glyphs stay out of it.
    let demo = env::var_os("CARGO_FEATURE_DEMO").is_some();
    let demo_text = if demo { ATLAS_DEMO_TEXT } else { &[] };
    for (source, size_names) in ATLAS_TEXT.iter().chain(demo_text) {
        let text = match source {
            AtlasText::Item(name) => item_literals(&strings, name)
                .unwrap_or_else(|| fail(&format!("{STRINGS_RS}: no pub const or fn {name}"))),
            AtlasText::Chars(chars) => (*chars).to_owned(),
            AtlasText::DemoCards => demo_card_literals(&cards)
                .unwrap_or_else(|| fail(&format!("{DEMO_CARDS_RS}: no DEMO_CARDS table"))),
        };
        for name in *size_names {
            let px = size_px(&sizes, name)
                .unwrap_or_else(|| fail(&format!("{THEME_RS}: no size {name}")));
            for &scale in ATLAS_SCALES {
                let px = device_px(px, scale);
                wanted.extend(text.chars().filter(|c| !c.is_control()).map(|c| (c, px)));
            }
        }
    }
    let font_bytes = fs::read(ATLAS_FONT).unwrap_or_else(|e| fail(&format!("{ATLAS_FONT}: {e}")));
    // Must match ui::text::face_settings (the bit-for-bit test fails otherwise).
    let settings = fontdue::FontSettings {
        scale: 40.0,
        ..fontdue::FontSettings::default()
    };
    let font = fontdue::Font::from_bytes(font_bytes.as_slice(), settings)
        .unwrap_or_else(|e| fail(&format!("{ATLAS_FONT}: {e}")));
    let atlas = encode_atlas(&font, font_bytes.len(), &wanted);
    fs::write(out.join("glyph-atlas.bin"), atlas)
        .unwrap_or_else(|e| fail(&format!("writing glyph-atlas.bin: {e}")));
}

/// Encodes the glyphs of `wanted` that `font` has, in the format of `write_glyph_atlas`.
fn encode_atlas(font: &fontdue::Font, font_len: usize, wanted: &BTreeSet<(char, u16)>) -> Vec<u8> {
    let mut b = b"MKATLAS1".to_vec();
    b.extend_from_slice(&(font_len as u64).to_le_bytes());
    let pxs: BTreeSet<u16> = wanted.iter().map(|&(_, px)| px).collect();
    b.extend_from_slice(&(pxs.len() as u16).to_le_bytes());
    for &px in &pxs {
        let ascent = font
            .horizontal_line_metrics(f32::from(px))
            .map_or(f32::NAN, |m| m.ascent);
        b.extend_from_slice(&px.to_le_bytes());
        b.extend_from_slice(&ascent.to_bits().to_le_bytes());
    }
    let glyphs: Vec<(char, u16)> = wanted
        .iter()
        .copied()
        .filter(|&(c, _)| font.lookup_glyph_index(c) != 0)
        .collect();
    b.extend_from_slice(&(glyphs.len() as u32).to_le_bytes());
    for (c, px) in glyphs {
        let (m, coverage) = font.rasterize(c, f32::from(px));
        b.extend_from_slice(&u32::from(c).to_le_bytes());
        b.extend_from_slice(&px.to_le_bytes());
        b.extend_from_slice(&m.xmin.to_le_bytes());
        b.extend_from_slice(&m.ymin.to_le_bytes());
        b.extend_from_slice(&(m.width as u32).to_le_bytes());
        b.extend_from_slice(&(m.height as u32).to_le_bytes());
        for v in [
            m.advance_width,
            m.advance_height,
            m.bounds.xmin,
            m.bounds.ymin,
            m.bounds.width,
            m.bounds.height,
        ] {
            b.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        b.extend_from_slice(&coverage);
    }
    b
}

/// The `pub const NAME: u16 = N;` lines of theme.rs's `size` module.
fn theme_sizes(theme: &str) -> Vec<(String, u16)> {
    let start = theme
        .find("pub mod size")
        .unwrap_or_else(|| fail(&format!("{THEME_RS}: no size module")));
    theme[start..]
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("pub const ")?;
            let (name, value) = rest.split_once(": u16 = ")?;
            Some((name.to_owned(), value.trim_end_matches(';').parse().ok()?))
        })
        .collect()
}

/// `NAME` or `NAME-N` in pixels.
fn size_px(sizes: &[(String, u16)], spec: &str) -> Option<u16> {
    let (name, minus) = match spec.split_once('-') {
        Some((name, n)) => (name, n.parse::<u16>().ok()?),
        None => (spec, 0),
    };
    let px = sizes.iter().find(|(n, _)| n == name)?.1;
    px.checked_sub(minus)
}

/// The text of the string literals of `pub const NAME` or `pub fn NAME` in `src`, with
/// format placeholders (`{name}`) removed.
fn item_literals(src: &str, name: &str) -> Option<String> {
    let (start, is_fn) = match src.find(&format!("pub const {name}:")) {
        Some(i) => (i, false),
        None => (src.find(&format!("pub fn {name}("))?, true),
    };
    let body = &src[start..];
    // A const ends at the first `;` outside a literal; a fn at its closing brace.
    let mut text = String::new();
    let mut depth = 0usize;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let literal = read_literal(&mut chars)?;
                text.push_str(&if is_fn {
                    strip_placeholders(&literal)
                } else {
                    literal
                });
            }
            ';' if !is_fn => return Some(text),
            '{' if is_fn => depth += 1,
            '}' if is_fn => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(text);
                }
            }
            _ => {}
        }
    }
    None
}

/// The string literals between `static DEMO_CARDS` and the end of its table.
fn demo_card_literals(src: &str) -> Option<String> {
    let start = src.find("static DEMO_CARDS")?;
    let end = start + src[start..].find("\n];")?;
    let mut text = String::new();
    let mut chars = src[start..end].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            text.push_str(&read_literal(&mut chars)?);
        }
    }
    Some(text)
}

/// Reads a string literal's body up to its closing quote, resolving `\n`, `\"`, `\\` and
/// `\u{…}`; a line-continuation backslash skips the newline and the indentation after it.
fn read_literal(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let mut s = String::new();
    loop {
        match chars.next()? {
            '"' => return Some(s),
            '\\' => match chars.next()? {
                'n' => s.push('\n'),
                't' => s.push('\t'),
                '"' => s.push('"'),
                '\\' => s.push('\\'),
                '\'' => s.push('\''),
                '\n' => {
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                }
                'u' => {
                    let hex: String = chars.by_ref().skip(1).take_while(|&c| c != '}').collect();
                    s.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => fail(&format!("unsupported escape \\{other} in a string literal")),
            },
            c => s.push(c),
        }
    }
}

/// A format string's literal text: `{…}` placeholders removed, `{{` and `}}` unescaped.
fn strip_placeholders(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('{', Some('{')) | ('}', Some('}')) => {
                out.push(c);
                chars.next();
            }
            ('{', _) => {
                for inner in chars.by_ref() {
                    if inner == '}' {
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}
