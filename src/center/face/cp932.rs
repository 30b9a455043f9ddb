//! CP932 (Windows-31J), the code page face-folder readers decode Shift_JIS files with.
//!
//! Encoding only. The two-byte part is a generated table (`cp932.bin`, 9,206 pairs, 36 KB,
//! written by `gen_cp932.py` from the cp932 codec): big-endian `(code point, CP932 code)`
//! pairs sorted by code point, searched by bisection. ASCII and half-width katakana are
//! single bytes and need no table.

/// The generated table (see the module comment).
static TABLE: &[u8] = include_bytes!("cp932.bin");

/// One character in CP932: one or two bytes, or `None` when CP932 has no code for it.
pub fn encode_char(c: char) -> Option<([u8; 2], usize)> {
    let cp = u32::from(c);
    if cp < 0x80 {
        // `cp` < 0x80, so the narrowing cannot lose bits.
        return Some(([cp as u8, 0], 1));
    }
    if (0xFF61..=0xFF9F).contains(&cp) {
        // Half-width katakana ｡..ﾟ are 0xA1..0xDF.
        return Some(([(cp - 0xFF61 + 0xA1) as u8, 0], 1));
    }
    let cp = u16::try_from(cp).ok()?;
    let pairs = TABLE.len() / 4;
    let (mut lo, mut hi) = (0usize, pairs);
    while lo < hi {
        let mid = (lo + hi) / 2;
        let at = mid * 4;
        let key = u16::from_be_bytes([TABLE[at], TABLE[at + 1]]);
        match key.cmp(&cp) {
            core::cmp::Ordering::Less => lo = mid + 1,
            core::cmp::Ordering::Greater => hi = mid,
            core::cmp::Ordering::Equal => return Some(([TABLE[at + 2], TABLE[at + 3]], 2)),
        }
    }
    None
}

/// `text` in CP932; a character CP932 cannot hold is written by `unmappable` (the XML
/// writer puts a numeric character reference there). Returns how many were unmappable.
pub fn encode_into(
    text: &str,
    out: &mut Vec<u8>,
    mut unmappable: impl FnMut(char, &mut Vec<u8>),
) -> usize {
    let mut missing = 0;
    for c in text.chars() {
        match encode_char(c) {
            Some((bytes, len)) => out.extend_from_slice(&bytes[..len]),
            None => {
                missing += 1;
                unmappable(c, out);
            }
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sjis(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let missing = encode_into(text, &mut out, |_, _| {});
        assert_eq!(missing, 0, "{text}");
        out
    }

    #[test]
    fn the_table_is_sorted_pairs() {
        assert_eq!(TABLE.len() % 4, 0);
        let keys: Vec<u16> = TABLE
            .chunks(4)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert!(
            keys.len() > 7_000,
            "JIS X 0208 plus the NEC and IBM extensions"
        );
    }

    #[test]
    fn known_characters_encode_as_windows_does() {
        assert_eq!(sjis("A1 "), b"A1 ");
        assert_eq!(sjis("あ"), [0x82, 0xA0]);
        assert_eq!(sjis("資格"), [0x8E, 0x91, 0x8A, 0x69]);
        assert_eq!(
            sjis("ｼﾝﾘｮｳ ﾀﾛｳ"),
            [0xBC, 0xDD, 0xD8, 0xAE, 0xB3, 0x20, 0xC0, 0xDB, 0xB3]
        );
        assert_eq!(sjis("\u{3000}"), [0x81, 0x40], "full-width space");
        // CP932, not JIS: the NEC row-13 and IBM extensions are there.
        assert_eq!(sjis("①"), [0x87, 0x40]);
        assert_eq!(sjis("髙"), [0xFB, 0xFC]);
        assert_eq!(sjis("－"), [0x81, 0x7C], "U+FF0D, CP932's minus");
    }

    #[test]
    fn characters_outside_cp932_are_reported() {
        for c in ['𠮷', '¥', '€', 'é', '\u{0080}', '🙂', '¢'] {
            assert_eq!(encode_char(c), None, "{c}");
        }
        let mut out = Vec::new();
        let missing = encode_into("a𠮷b", &mut out, |c, out| {
            out.extend_from_slice(format!("&#{};", u32::from(c)).as_bytes())
        });
        assert_eq!((missing, out.as_slice()), (1, &b"a&#134071;b"[..]));
    }
}
