//! JSON-aware mutations: a tree that keeps member order, duplicate keys and raw text (so it
//! can hold what no JSON library would write: lone surrogate escapes, huge numbers, deep
//! nesting, invalid tokens), built from valid bodies and written back as text.

use miniserde::json::{self, Number, Value};

use crate::rng::Rng;

/// A JSON value, or raw text where a value goes.
#[derive(Debug, Clone)]
pub enum J {
    Null,
    Bool(bool),
    /// A number as written (possibly not a valid JSON number).
    Num(String),
    /// A string, escaped when written.
    Str(String),
    /// A string whose content is written as is between the quotes (raw escapes).
    RawStr(String),
    /// Any text, written as is.
    Raw(String),
    Arr(Vec<J>),
    /// Members in order; keys are `Str` or `RawStr` (anything else makes invalid JSON).
    Obj(Vec<(J, J)>),
}

/// The tree of a valid JSON text; `None` if it does not parse.
pub fn parse(text: &str) -> Option<J> {
    json::from_str::<Value>(text).ok().map(|v| from_value(&v))
}

fn from_value(value: &Value) -> J {
    match value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(Number::U64(n)) => J::Num(n.to_string()),
        Value::Number(Number::I64(n)) => J::Num(n.to_string()),
        Value::Number(Number::F64(n)) => J::Num(format!("{n:?}")),
        Value::String(s) => J::Str(s.clone()),
        Value::Array(items) => J::Arr(items.iter().map(from_value).collect()),
        Value::Object(members) => J::Obj(
            members
                .iter()
                .map(|(k, v)| (J::Str(k.clone()), from_value(v)))
                .collect(),
        ),
    }
}

/// The text of `j`.
pub fn write(j: &J) -> String {
    let mut out = String::new();
    write_into(j, &mut out);
    out
}

fn write_into(j: &J, out: &mut String) {
    match j {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) | J::Raw(n) => out.push_str(n),
        J::Str(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        J::RawStr(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_into(item, out);
            }
            out.push(']');
        }
        J::Obj(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_into(k, out);
                out.push(':');
                write_into(v, out);
            }
            out.push('}');
        }
    }
}

/// Strings the protocol's fields take, valid and almost valid: codes, dates, ratios,
/// versions, URLs, IDs, tokens, lifetimes.
pub const DICTIONARY: &[&str] = &[
    "",
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "A1",
    "a1",
    "01",
    "07",
    "08",
    "010",
    "020",
    "030",
    "100",
    "110",
    "000",
    "-10",
    "20240229",
    "20230229",
    "00000101",
    "99991231",
    "19700101",
    "20261301",
    "2026110",
    "202611011",
    "MK-E1001",
    "MK-E2001",
    "MK-I0001",
    "MK-",
    "MK-ZZZZZZZZZZZZZ",
    "MK-ZZZZZZZZZZZZZZ",
    "MK-E1001 ",
    "https://x.example/",
    "http://x.example/",
    "https://",
    "https://u@h.example/",
    "https://h.example/a b",
    "https://h:99999999999/",
    "https://h:/",
    "https://[::1",
    "https://[::1]:0/",
    "https://%41.example/",
    "https://h/#frag",
    "https:h",
    "HTTPS://H.EXAMPLE/",
    "https://h/\u{0}",
    "https://h/%zz",
    "0.1.0",
    "1.2.3",
    "01.2.3",
    "1.2.3.4",
    "4294967296.0.0",
    "4294967295.4294967295.4294967295",
    "N0001",
    "N0002",
    "c0ffee",
    "read",
    "unread",
    "visual",
    "pin",
    "  123456",
    "123456",
    "12345678",
    "1234567",
    "0123456789abcdef",
    "0123456789abcdef==",
    "0123456789abcde",
    "4294967295",
    "4294967296",
    "00000000000",
    "-1",
    " 1",
    "12",
    "02",
    "1a",
    "AAAAAAAAAAAAAAAAAAAAAA==",
    "AAAA",
    "AA=A",
    "====",
    "W0000001",
    "1312345679",
    "Myna#Demo2025",
    "DEMO-MYNA-TEST-0001",
];

/// Number texts: edge values and invalid forms.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "1e308",
    "1e309",
    "-1e309",
    "1.5",
    "0.0000001",
    "1E400",
    "123456789012345678901234567890",
    "2.2250738585072014e-308",
    "4.9e-324",
    "1e-400",
    "01",
    "1.",
    ".5",
    "+1",
    "NaN",
    "Infinity",
    "0x10",
    "1e",
    "--1",
    "4294967296",
    "120",
    "1e99999999999999999999",
    "-1e-99999999999999999999",
    "0e99999999999",
    "-0.0e-0",
    "123456789e-2147483649",
    "1e2147483648",
    "0.00000000000000000000000000000000000000000000000000000000000000000000000000000000001",
    "340282366920938463463374607431768211456340282366920938463463374607431768211456",
];

/// String contents with escapes, written raw: surrogates (paired, lone, reversed), NUL,
/// control characters, and invalid escapes.
const RAW_ESCAPES: &[&str] = &[
    "\\ud83d\\ude00",
    "\\ud800",
    "\\udc00",
    "\\udc00\\ud800",
    "\\ud800x",
    "\\ud800\\u0041",
    "\\u0000",
    "\\u0007",
    "\\u001f",
    "\\/",
    "\\b\\f\\n\\r\\t",
    "\\x41",
    "\\u12",
    "\\u12G4",
    "\\uD83D\\uDE00",
    "\\uDBFF\\uDFFF",
    "\\",
    "\\u0041",
    "\\u00e9",
    "\\u3042",
];

/// Raw text that is not a value, or a broken one.
const RAW_TOKENS: &[&str] = &[
    "",
    "nul",
    "tru",
    "True",
    "undefined",
    "'x'",
    "\"unterminated",
    "[1,]",
    "{,}",
    "{\"a\"}",
    "{\"a\":}",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\u{feff}null",
    "/*c*/null",
    "null null",
];

/// Characters for long or odd strings: ASCII, kana, kanji, non-BMP, controls.
const CHARS: &[char] = &[
    'a',
    'Z',
    '0',
    ' ',
    '-',
    '"',
    '\\',
    '/',
    '\u{0}',
    '\u{7}',
    '\n',
    '\u{7f}',
    '\u{85}',
    'é',
    'ｱ',
    'あ',
    '資',
    '格',
    '\u{3000}',
    '\u{feff}',
    '\u{2028}',
    '😀',
    '𠮷',
    '\u{10ffff}',
    '\u{fffd}',
];

/// A random string of `n` characters from [`CHARS`].
pub fn odd_string(rng: &mut Rng, n: usize) -> String {
    (0..n).map(|_| *rng.pick(CHARS)).collect()
}

/// Nested arrays or objects `depth` levels deep around `inner`.
fn nested(rng: &mut Rng, depth: usize, inner: &str) -> String {
    let (open, close) = if rng.chance(1, 2) {
        ("[", "]")
    } else {
        ("{\"a\":", "}")
    };
    let unclosed = rng.chance(1, 8);
    let mut text = String::with_capacity(depth * (open.len() + close.len()) + inner.len());
    for _ in 0..depth {
        text.push_str(open);
    }
    text.push_str(inner);
    if !unclosed {
        for _ in 0..depth {
            text.push_str(close);
        }
    }
    text
}

/// A random scalar (or short raw text) unlike the value it replaces.
fn random_value(rng: &mut Rng, max_depth: usize) -> J {
    match rng.below(12) {
        0 => J::Null,
        1 => J::Bool(rng.chance(1, 2)),
        2 => J::Num((*rng.pick(NUMBERS)).to_owned()),
        3 | 4 => J::Str((*rng.pick(DICTIONARY)).to_owned()),
        5 => J::RawStr((*rng.pick(RAW_ESCAPES)).to_owned()),
        6 => J::Raw((*rng.pick(RAW_TOKENS)).to_owned()),
        7 => J::Arr(Vec::new()),
        8 => J::Obj(Vec::new()),
        9 => {
            let n = rng.range(0, 40);
            J::Str(odd_string(rng, n))
        }
        10 => {
            let depth = rng.range(1, max_depth.max(1));
            J::Raw(nested(rng, depth, "null"))
        }
        _ => {
            let n = *rng.pick(&[200, 201, 512, 513, 2048, 2049, 70_000]);
            let c = *rng.pick(CHARS);
            J::Str(std::iter::repeat_n(c, n).collect())
        }
    }
}

/// How many nodes `j` has (itself included; keys are not nodes).
fn count(j: &J) -> usize {
    1 + match j {
        J::Arr(items) => items.iter().map(count).sum(),
        J::Obj(members) => members.iter().map(|(_, v)| count(v)).sum(),
        _ => 0,
    }
}

/// The `k`-th node of `j` in pre-order.
fn nth_mut<'a>(j: &'a mut J, k: &mut usize) -> Option<&'a mut J> {
    if *k == 0 {
        return Some(j);
    }
    *k -= 1;
    match j {
        J::Arr(items) => {
            for item in items {
                if let Some(found) = nth_mut(item, k) {
                    return Some(found);
                }
            }
            None
        }
        J::Obj(members) => {
            for (_, value) in members {
                if let Some(found) = nth_mut(value, k) {
                    return Some(found);
                }
            }
            None
        }
        _ => None,
    }
}

/// A key spelled differently: escaped characters (the same key to a JSON parser), another
/// case, padding, or empty.
fn respell_key(rng: &mut Rng, key: &J) -> J {
    let J::Str(text) = key else {
        return key.clone();
    };
    match rng.below(6) {
        0 => {
            // Every character as a \uXXXX escape: the same key.
            let escaped: String = text
                .encode_utf16()
                .map(|unit| format!("\\u{unit:04x}"))
                .collect();
            J::RawStr(escaped)
        }
        1 => J::Str(text.to_ascii_uppercase()),
        2 => J::Str(format!(" {text}")),
        3 => J::Str(String::new()),
        4 => J::Str(format!("{text}\u{0}")),
        _ => J::Num("1".into()),
    }
}

/// Applies one to `max_ops` JSON-aware mutations at random nodes of `j`: members dropped,
/// duplicated, re-spelled or added; values of another type, huge numbers, deep nesting,
/// long and odd strings, raw escapes; arrays emptied, repeated or shuffled.
pub fn mutate(rng: &mut Rng, j: &mut J, max_ops: usize, max_depth: usize) {
    for _ in 0..rng.range(1, max_ops.max(1)) {
        let mut k = rng.below(count(j));
        let Some(node) = nth_mut(j, &mut k) else {
            return;
        };
        mutate_node(rng, node, max_depth);
    }
}

fn mutate_node(rng: &mut Rng, node: &mut J, max_depth: usize) {
    match node {
        J::Obj(members) if !members.is_empty() && rng.chance(2, 3) => {
            let i = rng.below(members.len());
            match rng.below(7) {
                0 => {
                    members.remove(i);
                }
                1 => {
                    // The same key again, with the same or another value, before or after.
                    let mut copy = members[i].clone();
                    if rng.chance(1, 2) {
                        copy.1 = random_value(rng, max_depth);
                    }
                    let at = rng.range(0, members.len());
                    members.insert(at, copy);
                }
                2 => {
                    let key = respell_key(rng, &members[i].0);
                    members[i].0 = key;
                }
                3 => {
                    let n = rng.range(1, 12);
                    let key = J::Str(odd_string(rng, n));
                    let value = random_value(rng, max_depth);
                    let at = rng.range(0, members.len());
                    members.insert(at, (key, value));
                }
                4 => {
                    let j = rng.below(members.len());
                    members.swap(i, j);
                }
                5 => members[i].1 = random_value(rng, max_depth),
                _ => mutate_value(rng, &mut members[i].1, max_depth),
            }
        }
        J::Arr(items) if !items.is_empty() && rng.chance(1, 2) => {
            let i = rng.below(items.len());
            match rng.below(4) {
                0 => {
                    items.remove(i);
                }
                1 => {
                    let copy = items[i].clone();
                    let times = if rng.chance(1, 8) {
                        rng.range(100, 1500)
                    } else {
                        1
                    };
                    // At most about 1 MiB of copies: far more than a reply may be.
                    let times = times.min((1 << 20) / write(&copy).len().max(1)).max(1);
                    for _ in 0..times {
                        items.insert(i, copy.clone());
                    }
                }
                2 => items.clear(),
                _ => {
                    let j = rng.below(items.len());
                    items.swap(i, j);
                }
            }
        }
        other => mutate_value(rng, other, max_depth),
    }
}

/// Changes a value: its type, or (for a string) its content.
fn mutate_value(rng: &mut Rng, value: &mut J, max_depth: usize) {
    if let J::Str(text) = value {
        match rng.below(8) {
            0 => *text = (*rng.pick(DICTIONARY)).to_owned(),
            1 => {
                let n = rng.range(1, 8);
                text.push_str(&odd_string(rng, n));
            }
            2 => {
                let keep = rng.range(0, text.chars().count());
                *text = text.chars().take(keep).collect();
            }
            3 => {
                // Raw escapes spliced into the content (at a character boundary).
                let chars: Vec<char> = text.chars().collect();
                let at = rng.range(0, chars.len());
                let head: String = chars[..at].iter().collect();
                let tail: String = chars[at..].iter().collect();
                let escape = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
                *value = J::RawStr(format!(
                    "{}{}{}",
                    escape(&head),
                    rng.pick(RAW_ESCAPES),
                    escape(&tail)
                ));
            }
            4 => *text = text.to_ascii_lowercase(),
            5 => {
                let c = *rng.pick(CHARS);
                let n = rng.range(1, 3000);
                text.extend(std::iter::repeat_n(c, n));
            }
            6 => *value = J::Num((*rng.pick(NUMBERS)).to_owned()),
            _ => *value = random_value(rng, max_depth),
        }
    } else {
        *value = random_value(rng, max_depth);
    }
}

/// Text-level mutations that keep the tokens: whitespace, a BOM, trailing bytes.
pub fn mutate_text(rng: &mut Rng, text: &mut String) {
    match rng.below(5) {
        0 => text.insert(0, '\u{feff}'),
        1 => text.push_str(rng.pick::<&str>(&[" ", "\n", "x", ",", "}", "{}", "\u{0}"])),
        2 => {
            *text = text
                .replace(',', rng.pick::<&str>(&[", ", ",\n\t", " ,"]))
                .replace(':', rng.pick::<&str>(&[": ", " :", ":\r\n"]))
        }
        3 => text.insert_str(0, rng.pick::<&str>(&[" ", "\t\n", "\r\n"])),
        _ => {
            let n = rng.range(1, 5);
            *text = text.repeat(n);
        }
    }
}
