//! The settings store: what the kiosk keeps between runs, written atomically and checked on
//! load.
//!
//! File format (UTF-8 text, one `key=value` per line, values %-escaped), ending with a line
//! `sha256=<hex>` over every byte before it. A file that fails the check is reported as
//! damaged, never half-read. Writes go to a temporary file in the same folder, are flushed to
//! disk, then renamed over the old file, so a crash at any moment leaves either the old or the
//! new settings.
//!
//! The passcode is stored only as a salted PBKDF2 hash; the account password never. Secrets
//! the kiosk must keep (device credential, refresh token) are protected by
//! [`protect`]/[`unprotect`]: on Unix the file is readable by its owner only (mode 0600) and
//! the values are kept as they are; on Windows each is sealed with DPAPI for the signed-in
//! user and stored as `dpapi:<hex>`, so a copied file opens for no other user or machine
//! (it is then reported as damaged, and the kiosk offers registration again).

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ring::digest;

use crate::app::passcode::{PasscodeHash, HASH_LEN, SALT_LEN};
pub use crate::app::settings::{Registration, Settings};
use crate::sensitive::{wipe_vec, SensitiveText};

/// The file name inside the data folder.
pub const FILE_NAME: &str = "settings.txt";
const TEMP_NAME: &str = "settings.txt.tmp";
const VERSION: &str = "1";

/// Why the settings could not be read or written.
#[derive(Debug)]
pub enum SettingsError {
    /// The file exists but fails its check or cannot be parsed: it must be set up again.
    Damaged(Damage),
    /// The folder or file could not be read or written.
    Io(io::Error),
}

/// What is wrong with a damaged settings file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// No checksum line, or the checksum does not match the content.
    Checksum,
    /// A line that is not `key=value`, an unknown version, or a value that does not parse.
    Content,
    /// A stored secret cannot be opened here (on Windows: sealed for another user or
    /// machine; elsewhere: sealed on Windows).
    Secret,
}

impl From<io::Error> for SettingsError {
    fn from(e: io::Error) -> Self {
        SettingsError::Io(e)
    }
}

/// The settings file in one data folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store in `dir` (created on first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The data folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Reads the settings; a missing file is a fresh device (defaults).
    pub fn load(&self) -> Result<Settings, SettingsError> {
        match fs::read(self.path()) {
            Ok(mut bytes) => {
                let parsed = decode(&bytes);
                wipe_vec(&mut bytes);
                parsed.map_err(SettingsError::Damaged)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(SettingsError::Io(e)),
        }
    }

    /// Writes the settings atomically: temp file, flush to disk, rename, flush the folder.
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        fs::create_dir_all(&self.dir)?;
        let mut bytes = encode(settings)?.into_bytes();
        let temp = self.dir.join(TEMP_NAME);
        let written = write_private(&temp, &bytes);
        wipe_vec(&mut bytes);
        written?;
        fs::rename(&temp, self.path())?;
        sync_dir(&self.dir);
        Ok(())
    }

    /// Removes the settings (device deregistered, or a damaged file given up).
    pub fn reset(&self) -> Result<(), SettingsError> {
        match fs::remove_file(self.path()) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        sync_dir(&self.dir);
        Ok(())
    }
}

/// Creates `path` readable by its owner only, writes `bytes` and flushes them to disk.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Flushes a rename to disk. Best effort: not every system can open a folder for syncing.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// The stored form of a secret sealed with DPAPI: this prefix, then the blob in hex.
const SEALED: &str = "dpapi:";

/// Protects a secret for storage. Unix: the file's mode protects it (module docs).
#[cfg(not(windows))]
fn protect(secret: &str) -> io::Result<String> {
    Ok(escape(secret))
}

/// Undoes [`protect`]. A value sealed on Windows cannot be opened here.
#[cfg(not(windows))]
fn unprotect(stored: &str) -> Option<SensitiveText> {
    if stored.starts_with(SEALED) {
        return None;
    }
    unescape(stored).map(SensitiveText::new)
}

/// Protects a secret for storage: DPAPI for the signed-in user, then hex.
#[cfg(windows)]
fn protect(secret: &str) -> io::Result<String> {
    let sealed = super::windows::protect(secret.as_bytes())
        .map_err(|e| io::Error::from_raw_os_error(e.0 as i32))?;
    Ok(format!("{SEALED}{}", hex(&sealed)))
}

/// Undoes [`protect`]; `None` if the value is not sealed or DPAPI refuses it.
#[cfg(windows)]
fn unprotect(stored: &str) -> Option<SensitiveText> {
    let sealed = unhex_vec(stored.strip_prefix(SEALED)?)?;
    let plain = super::windows::unprotect(&sealed).ok()?;
    match String::from_utf8(plain) {
        Ok(text) => Some(SensitiveText::new(text)),
        Err(e) => {
            wipe_vec(&mut e.into_bytes());
            None
        }
    }
}

/// The file's text for `s`. Public only for the fuzz tests (`tests/fuzz.rs`); use [`Store`].
#[doc(hidden)]
pub fn encode(s: &Settings) -> io::Result<String> {
    let mut out = String::new();
    let mut line = |k: &str, v: &str| {
        out.push_str(k);
        out.push('=');
        out.push_str(v);
        out.push('\n');
    };
    line("version", VERSION);
    line("terms_accepted", bool_str(s.terms_accepted));
    line("visual_check", bool_str(s.visual_check));
    if let Some(reader) = &s.reader {
        line("reader", &escape(reader));
    }
    if let Some(p) = &s.passcode {
        let (salt, hash) = p.parts();
        line("passcode_salt", &hex(salt));
        line("passcode_hash", &hex(hash));
    }
    if let Some(r) = &s.registration {
        line("institution_code", &escape(&r.institution_code));
        line("user_id", &escape(&r.user_id));
        line("device_credential", &protect(r.device_credential.expose())?);
        if let Some(t) = &r.refresh_token {
            line("refresh_token", &protect(t.expose())?);
        }
    }
    let sum = digest::digest(&digest::SHA256, out.as_bytes());
    out.push_str("sha256=");
    out.push_str(&hex(sum.as_ref()));
    out.push('\n');
    Ok(out)
}

/// The settings in a file's bytes. Public only for the fuzz tests (`tests/fuzz.rs`); use
/// [`Store`].
#[doc(hidden)]
pub fn decode(bytes: &[u8]) -> Result<Settings, Damage> {
    let text = std::str::from_utf8(bytes).map_err(|_| Damage::Checksum)?;
    let body_end = text.rfind("sha256=").ok_or(Damage::Checksum)?;
    let (body, sum_line) = text.split_at(body_end);
    let want = sum_line
        .strip_prefix("sha256=")
        .map(str::trim_end)
        .ok_or(Damage::Checksum)?;
    let got = hex(digest::digest(&digest::SHA256, body.as_bytes()).as_ref());
    if want != got || !sum_line.ends_with('\n') {
        return Err(Damage::Checksum);
    }

    let mut s = Settings::default();
    let (mut salt, mut hash) = (None, None);
    let (mut code, mut user, mut credential, mut refresh) = (None, None, None, None);
    let mut version_ok = false;
    for line in body.lines() {
        let (key, value) = line.split_once('=').ok_or(Damage::Content)?;
        match key {
            "version" => version_ok = value == VERSION,
            "terms_accepted" => s.terms_accepted = parse_bool(value)?,
            "visual_check" => s.visual_check = parse_bool(value)?,
            "reader" => s.reader = Some(unescape(value).ok_or(Damage::Content)?),
            "passcode_salt" => salt = Some(unhex::<SALT_LEN>(value)?),
            "passcode_hash" => hash = Some(unhex::<HASH_LEN>(value)?),
            "institution_code" => code = Some(unescape(value).ok_or(Damage::Content)?),
            "user_id" => user = Some(unescape(value).ok_or(Damage::Content)?),
            "device_credential" => credential = Some(unprotect(value).ok_or(Damage::Secret)?),
            "refresh_token" => refresh = Some(unprotect(value).ok_or(Damage::Secret)?),
            _ => return Err(Damage::Content),
        }
    }
    if !version_ok {
        return Err(Damage::Content);
    }
    s.passcode = match (salt, hash) {
        (Some(salt), Some(hash)) => Some(PasscodeHash::from_parts(salt, hash)),
        (None, None) => None,
        _ => return Err(Damage::Content),
    };
    s.registration = match (code, user, credential) {
        (Some(institution_code), Some(user_id), Some(device_credential)) => Some(Registration {
            institution_code,
            user_id,
            device_credential,
            refresh_token: refresh,
        }),
        (None, None, None) if refresh.is_none() => None,
        _ => return Err(Damage::Content),
    };
    Ok(s)
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

fn parse_bool(v: &str) -> Result<bool, Damage> {
    match v {
        "1" => Ok(true),
        "0" => Ok(false),
        _ => Err(Damage::Content),
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    s
}

/// Hex of any even length, for sealed secrets.
#[cfg(any(windows, test))]
fn unhex_vec(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).filter(|_| !c.is_ascii_uppercase());
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some((digit(pair[0])? << 4 | digit(pair[1])?) as u8))
        .collect()
}

fn unhex<const N: usize>(s: &str) -> Result<[u8; N], Damage> {
    let bytes = s.as_bytes();
    if bytes.len() != 2 * N {
        return Err(Damage::Content);
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        _ => Err(Damage::Content),
    };
    let mut out = [0u8; N];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Ok(out)
}

/// Escapes `%`, newlines and carriage returns so any value fits on one line.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\n' => out.push_str("%0A"),
            '\r' => out.push_str("%0D"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(v: &str) -> Option<String> {
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3)?;
        out.push(match code {
            "25" => '%',
            "0A" => '\n',
            "0D" => '\r',
            _ => return None,
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Settings {
        Settings {
            terms_accepted: true,
            registration: Some(Registration {
                institution_code: "0110113719".into(),
                user_id: "W0000001".into(),
                device_credential: SensitiveText::from("dev-cred%=\nsecret"),
                refresh_token: Some(SensitiveText::from("refresh-token")),
            }),
            passcode: Some(PasscodeHash::derive(b"1234", [9; SALT_LEN])),
            visual_check: true,
            reader: Some("ACS ACR39U ICC Reader 00 00".into()),
            passcode_failures: 3,
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mk-settings-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn round_trip_keeps_everything() {
        let s = full();
        assert_eq!(decode(encode(&s).expect("encodes").as_bytes()), Ok(s));
        let fresh = Settings::default();
        assert_eq!(
            decode(encode(&fresh).expect("encodes").as_bytes()),
            Ok(fresh)
        );
    }

    #[test]
    fn a_missing_file_is_a_fresh_device() {
        let store = Store::new(temp_dir("missing"));
        assert_eq!(store.load().ok(), Some(Settings::default()));
    }

    #[test]
    fn save_then_load_and_reset() {
        let dir = temp_dir("save");
        let store = Store::new(&dir);
        store.save(&full()).expect("saved");
        assert_eq!(store.load().ok(), Some(full()));
        assert!(!dir.join(TEMP_NAME).exists(), "no temp file left behind");
        store.reset().expect("reset");
        assert_eq!(store.load().ok(), Some(Settings::default()));
        let _ = fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("mode");
        let store = Store::new(&dir);
        store.save(&full()).expect("saved");
        let mode = fs::metadata(dir.join(FILE_NAME))
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn any_flipped_byte_is_reported_as_damage() {
        let good = encode(&full()).expect("encodes").into_bytes();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x01;
            assert!(decode(&bad).is_err(), "byte {i} flipped was accepted");
        }
    }

    #[test]
    fn every_truncation_is_reported_as_damage() {
        let good = encode(&full()).expect("encodes").into_bytes();
        for n in 0..good.len() {
            assert!(decode(&good[..n]).is_err(), "truncated to {n} was accepted");
        }
    }

    #[test]
    fn the_passcode_is_stored_only_as_its_hash() {
        let text = encode(&full()).expect("encodes");
        assert!(text.contains("passcode_hash="));
        assert!(!text.contains("1234"), "{text}");
    }

    #[test]
    fn debug_shows_no_secret() {
        let shown = format!("{:?}", full());
        assert!(
            !shown.contains("secret") && !shown.contains("refresh-token"),
            "{shown}"
        );
    }

    #[test]
    fn a_valid_checksum_over_unknown_content_is_still_damage() {
        let body = "version=1\ncolour=blue\n";
        let sum = hex(digest::digest(&digest::SHA256, body.as_bytes()).as_ref());
        let text = format!("{body}sha256={sum}\n");
        assert_eq!(decode(text.as_bytes()), Err(Damage::Content));
    }

    #[cfg(not(windows))]
    #[test]
    fn a_secret_sealed_on_windows_is_damage_here() {
        let text = encode(&full()).expect("encodes");
        let start = text.find("device_credential=").expect("stored") + "device_credential=".len();
        let end = start + text[start..].find('\n').expect("a line");
        let body = format!(
            "{}{SEALED}00ff{}",
            &text[..start],
            &text[end..text.rfind("sha256=").expect("sum")]
        );
        let sum = hex(digest::digest(&digest::SHA256, body.as_bytes()).as_ref());
        let sealed = format!("{body}sha256={sum}\n");
        assert_eq!(decode(sealed.as_bytes()), Err(Damage::Secret));
    }

    #[test]
    fn hex_of_any_length_round_trips() {
        assert_eq!(
            unhex_vec(&hex(&[0, 1, 0xab, 0xff])),
            Some(vec![0, 1, 0xab, 0xff])
        );
        assert_eq!(unhex_vec(""), Some(vec![]));
        assert_eq!(unhex_vec("abc"), None);
        assert_eq!(unhex_vec("AB"), None);
        assert_eq!(unhex_vec("zz"), None);
    }

    #[test]
    fn escaping_round_trips_and_rejects_bad_codes() {
        for v in ["", "a%b", "line\nbreak\r", "%%", "資格"] {
            assert_eq!(unescape(&escape(v)).as_deref(), Some(v));
        }
        assert_eq!(unescape("%2"), None);
        assert_eq!(unescape("%ZZ"), None);
    }
}
