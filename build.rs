//! Build script: turns images/icon.pam into the window icon's RGBA bytes (OUT_DIR/icon.rs),
//! so the binary needs no image decoder. Fails the build if the image is malformed.

use std::env;
use std::fs;
use std::path::PathBuf;

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
