//! Build script: turns images/icon.pam into the window icon's RGBA bytes (OUT_DIR/icon.rs),
//! so the binary needs no image decoder. Fails the build if the image is malformed.
//!
//! For a Windows target only, it also compiles the .exe's resources: the application
//! manifest (per-monitor-v2 DPI aware, asInvoker, common controls v6), the icon (an .ico
//! written here from the same image) and the version information, with mingw's windres
//! (binutils-mingw-w64; `WINDRES` overrides the tool). Linux builds never need windres.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

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
