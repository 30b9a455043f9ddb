//! The kiosk's own files: the settings decoder (`shell::settings::decode`), also with a
//! valid checksum over a mutated body so that mutations reach the content parser, and the
//! config parser (`shell::config::parse_config`).

use std::path::PathBuf;

use myna_kakunin::app::passcode::{PasscodeHash, HASH_LEN, SALT_LEN};
use myna_kakunin::app::settings::{Registration, Settings};
use myna_kakunin::sensitive::SensitiveText;
use myna_kakunin::shell::config::parse_config;
use myna_kakunin::shell::settings::{decode, encode, Damage};
use ring::digest;

use crate::harness::{hex, Input, Verdict};
use crate::rng::Rng;
use crate::{json, mutate};

/// Characters for settings values: the escaped ones, the separators, the checksum key,
/// non-ASCII.
const VALUE_PIECES: &[&str] = &[
    "a",
    "Z",
    "0",
    " ",
    "%",
    "%25",
    "%0A",
    "%2",
    "=",
    "\n",
    "\r",
    "\r\n",
    "sha256=",
    "version=1",
    "資格",
    "😀",
    "\u{0}",
    "\t",
    "\u{feff}",
    "\u{2028}",
    "ACS ACR39U ICC Reader 00 00",
];

fn value(rng: &mut Rng) -> String {
    let n = rng.range(0, 8);
    (0..n).map(|_| *rng.pick(VALUE_PIECES)).collect()
}

/// Settings with every field set at random.
fn settings(rng: &mut Rng) -> Settings {
    let salt: [u8; SALT_LEN] = rng.bytes(SALT_LEN).try_into().expect("SALT_LEN bytes");
    let hash: [u8; HASH_LEN] = rng.bytes(HASH_LEN).try_into().expect("HASH_LEN bytes");
    Settings {
        terms_accepted: rng.chance(1, 2),
        registration: rng.chance(1, 2).then(|| Registration {
            institution_code: value(rng),
            user_id: value(rng),
            device_credential: SensitiveText::new(value(rng)),
            refresh_token: rng.chance(1, 2).then(|| SensitiveText::new(value(rng))),
        }),
        passcode: rng
            .chance(1, 2)
            .then(|| PasscodeHash::from_parts(salt, hash)),
        visual_check: rng.chance(1, 2),
        reader: rng.chance(1, 2).then(|| value(rng)),
        passcode_failures: rng.below(256) as u8,
    }
}

/// Tokens for byte-level mutations of a settings file.
const SETTINGS_TOKENS: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"=",
    b"%",
    b"%0A",
    b"%0D",
    b"%25",
    b"%zz",
    b"sha256=",
    b"version=1\n",
    b"version=2\n",
    b"reader=",
    b"passcode_salt=",
    b"passcode_hash=",
    b"institution_code=",
    b"user_id=",
    b"device_credential=",
    b"refresh_token=",
    b"terms_accepted=1\n",
    b"visual_check=0\n",
    b"dpapi:",
    b"\xFF",
    b"\xE3\x81",
    b"00",
    b"ff",
    b"FF",
];

/// The keys of the file, and some it does not have.
const KEYS: &[&str] = &[
    "version",
    "terms_accepted",
    "visual_check",
    "reader",
    "passcode_salt",
    "passcode_hash",
    "institution_code",
    "user_id",
    "device_credential",
    "refresh_token",
    "sha256",
    "colour",
    "",
    "Version",
    "passcode_failures",
];

/// Line-level mutations of a body (the text before the checksum line).
fn mutate_lines(rng: &mut Rng, body: &str) -> String {
    let mut lines: Vec<String> = body.lines().map(str::to_owned).collect();
    for _ in 0..rng.range(1, 3) {
        let n = lines.len();
        match rng.below(7) {
            0 if n > 0 => {
                lines.remove(rng.below(n));
            }
            1 if n > 0 => {
                let line = lines[rng.below(n)].clone();
                lines.insert(rng.range(0, n), line);
            }
            2 if n > 1 => {
                let (a, b) = (rng.below(n), rng.below(n));
                lines.swap(a, b);
            }
            3 if n > 0 => {
                // Same key, another value.
                let i = rng.below(n);
                let key = lines[i].split('=').next().unwrap_or("").to_owned();
                let new_value = match rng.below(4) {
                    0 => value(rng),
                    1 => {
                        let n = rng.range(0, 40);
                        hex(&rng.bytes(n))
                    }
                    2 => (*rng.pick(&["0", "1", "2", "", "true", " 1"])).to_owned(),
                    _ => (*rng.pick(json::DICTIONARY)).to_owned(),
                };
                lines[i] = format!("{key}={new_value}");
            }
            4 => {
                let line = format!("{}={}", rng.pick(KEYS), value(rng).replace('\n', ""));
                lines.insert(rng.range(0, n), line);
            }
            5 if n > 0 => {
                let i = rng.below(n);
                lines[i] = lines[i].replacen('=', rng.pick::<&str>(&["", "==", " = ", ":"]), 1);
            }
            _ => lines.push(String::new()),
        }
    }
    let end = *rng.pick(&["\n", "\n", "\r\n", ""]);
    let mut text = lines.join(*rng.pick(&["\n", "\n", "\r\n"]));
    text.push_str(end);
    text
}

/// `body` with a checksum line that matches it (the canonical one, or a variant that the
/// decoder also accepts or must refuse).
fn sign(rng: &mut Rng, body: &[u8]) -> (Vec<u8>, bool) {
    let sum = hex(digest::digest(&digest::SHA256, body).as_ref());
    let (line, canonical) = match rng.below(10) {
        0 => (format!("sha256={sum}"), false),
        1 => (format!("sha256={sum}\r\n"), false),
        2 => (format!("sha256={}\n", sum.to_ascii_uppercase()), false),
        3 => (format!("sha256={sum} \n"), false),
        _ => (format!("sha256={sum}\n"), true),
    };
    ([body, line.as_bytes()].concat(), canonical)
}

/// One iteration of `settings`.
pub fn settings_file(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let original = settings(rng);
    let text = encode(&original).map_err(|e| format!("encode failed: {e}"))?;
    let sum_at = text.rfind("sha256=").expect("a checksum line");
    let (body, sum_line) = text.split_at(sum_at);
    let mode = rng.below(8);
    let (file, body_checked) = match mode {
        0 => (text.clone().into_bytes(), None),
        1 | 2 => {
            // The whole file, checksum included, mutated byte by byte.
            let mut bytes = text.clone().into_bytes();
            mutate::bytes(rng, &mut bytes, SETTINGS_TOKENS, None, 4);
            (bytes, None)
        }
        3 => {
            // A mutated body under the original checksum: always a checksum failure.
            let mut bytes = body.as_bytes().to_vec();
            mutate::bytes(rng, &mut bytes, SETTINGS_TOKENS, None, 4);
            let changed = bytes != body.as_bytes();
            ([&bytes[..], sum_line.as_bytes()].concat(), Some(changed))
        }
        _ => {
            // A mutated body under a checksum made for it: mutations reach the content.
            let mutated = if rng.chance(1, 2) {
                mutate_lines(rng, body).into_bytes()
            } else {
                let mut bytes = body.as_bytes().to_vec();
                mutate::bytes(rng, &mut bytes, SETTINGS_TOKENS, None, 4);
                bytes
            };
            let (file, canonical) = sign(rng, &mutated);
            let readable = std::str::from_utf8(&mutated).is_ok();
            input.note(format!(
                "valid checksum: canonical line {canonical}, UTF-8 body {readable}"
            ));
            // Checked below: a canonical sum over a UTF-8 body passes the checksum.
            (file, (canonical && readable).then_some(false))
        }
    };
    input.note(format!("mode {mode}"));
    input.record("file", &file);
    let result = decode(&file);
    match (mode, body_checked) {
        (0, _) if result.as_ref() != Ok(&original) => {
            return Err(format!("the valid file gave {result:?}, not {original:?}"));
        }
        (3, Some(true)) if result.as_ref().err() != Some(&Damage::Checksum) => {
            return Err(format!(
                "a changed body under the old checksum gave {result:?}"
            ));
        }
        (4.., Some(false)) if result.as_ref().err() == Some(&Damage::Checksum) => {
            return Err("a body with its own checksum failed the checksum".into());
        }
        _ => {}
    }
    if let Ok(parsed) = &result {
        let again = encode(parsed).map_err(|e| format!("encode failed: {e}"))?;
        let twice = decode(again.as_bytes());
        if twice.as_ref() != Ok(parsed) {
            return Err(format!("{parsed:?} re-encoded and decoded to {twice:?}"));
        }
    }
    Ok(match result {
        Ok(_) => Verdict::Parsed,
        Err(damage) => Verdict::refused(format!("{damage:?}")),
    })
}

/// One line of a generated config file, and what the parser must make of it.
enum Line {
    Blank(String),
    Comment(String),
    Url(String, String),
    Trust(String, String),
    Bad(String),
}

/// Padding that `trim` removes.
fn padding(rng: &mut Rng) -> &'static str {
    rng.pick::<&str>(&["", "", " ", "\t", "  ", "\u{3000}", " \t"])
}

/// A value without whitespace at either end (spaces, `=` and `#` inside are fine).
fn config_value(rng: &mut Rng) -> String {
    const ENDS: &[&str] = &[
        "https://center.example.jp",
        "C:\\kiosk\\ca.pem",
        "/etc/ca.pem",
        "x",
        "資格",
        "😀",
        "%",
        "=",
        "#",
    ];
    const INSIDE: &[&str] = &[" ", "=", "#", "a", "\t", "\r", "/", "\\", "資", "\u{feff}"];
    let mut value = (*rng.pick(ENDS)).to_owned();
    for _ in 0..rng.below(4) {
        value.push_str(rng.pick::<&str>(INSIDE));
        value.push_str(rng.pick::<&str>(ENDS));
    }
    value
}

fn line(rng: &mut Rng) -> Line {
    match rng.below(6) {
        0 => Line::Blank(padding(rng).to_owned()),
        1 => Line::Comment(format!("{}#{}", padding(rng), config_value(rng))),
        2 => Line::Url(
            format!(
                "{}center_url{}={}",
                padding(rng),
                padding(rng),
                padding(rng)
            ),
            config_value(rng),
        ),
        3 => Line::Trust(
            format!("{}trust_pem{}={}", padding(rng), padding(rng), padding(rng)),
            config_value(rng),
        ),
        _ => Line::Bad(
            (*rng.pick(&[
                "colour=blue",
                "center_url",
                "center_url=",
                "center_url=   ",
                "CENTER_URL=https://x",
                "=x",
                "trust_pem",
                "trust_pem=\t",
                "center_url:https://x",
                "center url=x",
                "center_url\u{feff}=https://x",
            ]))
            .to_owned(),
        ),
    }
}

/// Tokens for byte-level mutations of a config file.
const CONFIG_TOKENS: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"\r",
    b"=",
    b"#",
    b" ",
    b"center_url=",
    b"trust_pem=",
    b"lock_after_minutes=",
    b"1440",
    b"\xE3\x80\x80",
    b"\xEF\xBB\xBF",
];

/// One iteration of `config`.
pub fn config_file(rng: &mut Rng, input: &mut Input) -> Result<Verdict, String> {
    let lines: Vec<Line> = (0..rng.range(0, 8)).map(|_| line(rng)).collect();
    let mut text = String::new();
    let (mut url, mut trust, mut bad) = (None, None, None);
    for (i, line) in lines.iter().enumerate() {
        let tail = padding(rng);
        match line {
            Line::Blank(pad) => text.push_str(pad),
            Line::Comment(comment) => text.push_str(comment),
            Line::Url(prefix, value) => {
                text.push_str(&format!("{prefix}{value}{tail}"));
                url = Some(value.clone());
            }
            Line::Trust(prefix, value) => {
                text.push_str(&format!("{prefix}{value}{tail}"));
                trust = Some(PathBuf::from(value));
            }
            Line::Bad(bad_line) => {
                text.push_str(bad_line);
                bad = bad.or(Some(i + 1));
            }
        }
        if i + 1 < lines.len() || rng.chance(1, 2) {
            text.push_str(rng.pick::<&str>(&["\n", "\r\n"]));
        }
    }
    // Notepad's byte order mark before the first line changes nothing.
    if rng.chance(1, 8) {
        text.insert(0, '\u{feff}');
    }
    let expected = match bad {
        Some(line) => Err(line),
        None => Ok((url, trust)),
    };
    let mutated = rng.chance(1, 2);
    if mutated {
        let mut bytes = text.into_bytes();
        mutate::bytes(rng, &mut bytes, CONFIG_TOKENS, None, 4);
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    input.note(format!("mutated {mutated}"));
    input.record("config.txt", text.as_bytes());
    let parsed = parse_config(&text);
    if let Ok(file) = &parsed {
        if let Some(minutes) = file.lock_after_minutes.filter(|m| *m > 1440) {
            return Err(format!("lock_after_minutes {minutes} is out of range"));
        }
    }
    let result = parsed.map(|f| (f.center_url, f.trust_pem));
    if !mutated && result != expected {
        return Err(format!("gave {result:?}, the lines say {expected:?}"));
    }
    match &result {
        Ok((url, trust)) => {
            let trust = trust.as_ref().map(|p| p.to_str().map(str::to_owned));
            let trust = match trust {
                None => None,
                Some(Some(text)) => Some(text),
                Some(None) => return Err("a trust path that is not UTF-8".into()),
            };
            for value in url.iter().chain(trust.iter()) {
                if value.is_empty() || value.trim() != value || value.contains('\n') {
                    return Err(format!(
                        "the value {value:?} is empty, padded or spans lines"
                    ));
                }
            }
            // Written back as a file, the values parse to themselves.
            let mut again = String::new();
            if let Some(url) = url {
                again.push_str(&format!("center_url={url}\n"));
            }
            if let Some(trust) = &trust {
                again.push_str(&format!("trust_pem={trust}\n"));
            }
            let twice = parse_config(&again).map(|f| (f.center_url, f.trust_pem));
            if twice.as_ref() != Ok(&(url.clone(), trust.map(PathBuf::from))) {
                return Err(format!("{result:?} written back parsed to {twice:?}"));
            }
            Ok(Verdict::Parsed)
        }
        Err(line) => {
            let count = text.lines().count();
            if *line == 0 || *line > count {
                return Err(format!("bad line {line} of {count}"));
            }
            Ok(Verdict::refused("bad line"))
        }
    }
}
