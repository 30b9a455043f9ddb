//! Byte-level mutations, shared by every target.

use crate::rng::Rng;

/// Bytes that parsers of text and of TLV treat specially.
const INTERESTING: &[u8] = &[
    0x00, 0x01, 0x7F, 0x80, 0x81, 0x82, 0xFF, b'"', b'\\', b'{', b'}', b'[', b']', b',', b':',
    b'=', b'%', b'\r', b'\n', b' ', b'\t', b'0', b'9', b'#', 0xC3, 0xE3, 0xF0,
];

/// Applies one to `max_ops` random byte mutations to `data`: flips, overwrites, inserts
/// (random bytes or a token from `dictionary`), deletions, duplications, truncation and
/// splices from `other`.
pub fn bytes(
    rng: &mut Rng,
    data: &mut Vec<u8>,
    dictionary: &[&[u8]],
    other: Option<&[u8]>,
    max_ops: usize,
) {
    let ops = rng.range(1, max_ops.max(1));
    for _ in 0..ops {
        one(rng, data, dictionary, other);
    }
}

fn one(rng: &mut Rng, data: &mut Vec<u8>, dictionary: &[&[u8]], other: Option<&[u8]>) {
    let len = data.len();
    let at = |rng: &mut Rng| rng.range(0, len);
    match rng.below(11) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = rng.next_u64() as u8;
        }
        2 if len > 0 => {
            let i = rng.below(len);
            data[i] = *rng.pick(INTERESTING);
        }
        3 => {
            let i = at(rng);
            let n = rng.range(1, 16);
            let fresh = rng.bytes(n);
            data.splice(i..i, fresh);
        }
        4 if !dictionary.is_empty() => {
            let i = at(rng);
            let token = rng.pick(dictionary).to_vec();
            data.splice(i..i, token);
        }
        5 if len > 0 => {
            let start = rng.below(len);
            let span = rng.below(32);
            let end = rng.range(start, len.min(start + 1 + span));
            data.drain(start..end);
        }
        6 if len > 0 => {
            let start = rng.below(len);
            let span = rng.below(64);
            let end = rng.range(start, len.min(start + 1 + span));
            let copy = data[start..end].to_vec();
            let i = at(rng);
            data.splice(i..i, copy);
        }
        7 if len > 0 => {
            let keep = rng.below(len);
            data.truncate(keep);
        }
        8 => {
            if let Some(other) = other.filter(|o| !o.is_empty()) {
                // Keep a prefix of ours and a suffix of theirs.
                let keep = at(rng);
                let from = rng.below(other.len());
                data.truncate(keep);
                data.extend_from_slice(&other[from..]);
            }
        }
        9 => {
            let i = at(rng);
            let byte = *rng.pick(INTERESTING);
            let n = rng.range(1, 300);
            data.splice(i..i, std::iter::repeat_n(byte, n));
        }
        _ if len > 1 => {
            let i = rng.below(len - 1);
            data.swap(i, i + 1);
        }
        _ => data.push(rng.next_u64() as u8),
    }
}
