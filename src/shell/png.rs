//! A minimal PNG writer for screenshots: 8-bit RGB, stored (uncompressed) deflate blocks.
//! Files are large but the code is small and needs no compression crate.

use std::io::{self, Write};

/// Writes `pixels` (`0x00RRGGBB`, row-major, `width × height`) as a PNG.
pub fn write_png(out: &mut impl Write, width: u32, height: u32, pixels: &[u32]) -> io::Result<()> {
    let (w, h) = (width as usize, height as usize);
    if pixels.len() < w * h {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "pixel buffer too small",
        ));
    }
    out.write_all(b"\x89PNG\r\n\x1a\n")?;
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, RGB, deflate, no filter, no interlace
    chunk(out, b"IHDR", &ihdr)?;

    // Scanlines: filter byte 0 then RGB.
    let mut raw = Vec::with_capacity(h * (1 + 3 * w));
    for row in pixels[..w * h].chunks_exact(w.max(1)) {
        raw.push(0);
        for p in row {
            raw.extend_from_slice(&[(p >> 16) as u8, (p >> 8) as u8, *p as u8]);
        }
    }
    chunk(out, b"IDAT", &zlib_stored(&raw))?;
    chunk(out, b"IEND", &[])
}

fn chunk(out: &mut impl Write, kind: &[u8; 4], data: &[u8]) -> io::Result<()> {
    let len = u32::try_from(data.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "chunk too large"))?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(kind)?;
    out.write_all(data)?;
    let crc = crc32(&[kind.as_slice(), data]);
    out.write_all(&crc.to_be_bytes())
}

/// A zlib stream of stored deflate blocks (RFC 1950/1951).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    const MAX_BLOCK: usize = 0xFFFF;
    let mut z = Vec::with_capacity(data.len() + data.len() / MAX_BLOCK * 5 + 16);
    z.extend_from_slice(&[0x78, 0x01]);
    let mut blocks = data.chunks(MAX_BLOCK).peekable();
    if blocks.peek().is_none() {
        z.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(block) = blocks.next() {
        let last = blocks.peek().is_none();
        z.push(u8::from(last));
        let len = block.len() as u16; // chunks() bounds it by MAX_BLOCK
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    z.extend_from_slice(&adler32(data).to_be_bytes());
    z
}

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for part in parts {
        for &b in *part {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(&[b"IEND"]), 0xAE42_6082);
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn png_has_signature_header_and_end() {
        let mut out = Vec::new();
        write_png(&mut out, 2, 1, &[0xFF0000, 0x0000FF]).expect("in-memory write");
        assert_eq!(&out[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&out[12..16], b"IHDR");
        assert_eq!(&out[16..24], &[0, 0, 0, 2, 0, 0, 0, 1]);
        assert_eq!(&out[out.len() - 8..out.len() - 4], b"IEND");
        // The stored block holds the scanline verbatim: filter 0, red, blue.
        let raw = [0u8, 0xFF, 0, 0, 0, 0, 0xFF];
        assert!(out.windows(raw.len()).any(|w| w == raw));
    }

    #[test]
    fn large_images_span_several_stored_blocks() {
        let px = vec![0x123456; 200 * 200]; // 120,200 raw bytes: two blocks
        let mut out = Vec::new();
        write_png(&mut out, 200, 200, &px).expect("in-memory write");
        let z = zlib_stored(&[7u8; 70_000]);
        assert_eq!(z[2], 0, "first block is not final");
        assert_eq!(z[2 + 5 + 0xFFFF], 1, "second block is final");
    }

    #[test]
    fn short_buffer_is_an_error() {
        let mut out = Vec::new();
        assert!(write_png(&mut out, 4, 4, &[0; 3]).is_err());
    }
}
