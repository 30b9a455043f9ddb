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
//!
//! A save that fails (full disk, read-only medium) removes its temporary file and leaves the
//! previous file as it was; [`SettingsError::save_problem`] says what to tell the staff. A
//! temporary file left by a crash is removed by the next load. Tests and the demo can make
//! saves fail on purpose with `Store::set_fault`.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
#[cfg(any(test, feature = "demo"))]
use std::sync::atomic::{AtomicU8, Ordering};
#[cfg(any(test, feature = "demo"))]
use std::sync::Arc;

use ring::digest;

use crate::app::passcode::{PasscodeHash, HASH_LEN, SALT_LEN};
pub use crate::app::settings::{Registration, SaveProblem, Settings};
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

impl SettingsError {
    /// What kind of failure a failed save was, for the band on screen: the disk is full,
    /// the folder or file is read-only (or not ours), or anything else.
    pub fn save_problem(&self) -> SaveProblem {
        match self {
            SettingsError::Io(e) => save_problem_of(e, &OS_CODES),
            SettingsError::Damaged(_) => SaveProblem::Other,
        }
    }
}

/// Raw OS error codes that mean a full disk or a read-only one, for errors whose kind the
/// standard library does not (or not on every version) map.
struct OsCodes {
    full: &'static [i32],
    read_only: &'static [i32],
}

/// Unix: ENOSPC and EDQUOT (122 on Linux, 69 on the BSDs and macOS); EROFS, EACCES, EPERM.
#[cfg_attr(not(any(unix, test)), allow(dead_code))]
const UNIX_CODES: OsCodes = OsCodes {
    full: &[
        28,
        if cfg!(any(target_os = "linux", target_os = "android")) {
            122
        } else {
            69
        },
    ],
    read_only: &[30, 13, 1],
};

/// Windows: ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL; ERROR_ACCESS_DENIED,
/// ERROR_WRITE_PROTECT.
#[cfg_attr(not(any(windows, test)), allow(dead_code))]
const WINDOWS_CODES: OsCodes = OsCodes {
    full: &[112, 39],
    read_only: &[5, 19],
};

/// The codes of the system this runs on.
#[cfg(unix)]
const OS_CODES: OsCodes = UNIX_CODES;
#[cfg(windows)]
const OS_CODES: OsCodes = WINDOWS_CODES;
#[cfg(not(any(unix, windows)))]
const OS_CODES: OsCodes = OsCodes {
    full: &[],
    read_only: &[],
};

/// [`SettingsError::save_problem`] of an IO error: by its kind, then by its raw code.
fn save_problem_of(e: &io::Error, codes: &OsCodes) -> SaveProblem {
    use io::ErrorKind as Kind;
    match e.kind() {
        Kind::StorageFull | Kind::QuotaExceeded => return SaveProblem::Full,
        Kind::ReadOnlyFilesystem | Kind::PermissionDenied => return SaveProblem::ReadOnly,
        _ => {}
    }
    match e.raw_os_error() {
        Some(code) if codes.full.contains(&code) => SaveProblem::Full,
        Some(code) if codes.read_only.contains(&code) => SaveProblem::ReadOnly,
        _ => SaveProblem::Other,
    }
}

/// A failure [`Store::set_fault`] makes every save run into (tests and demo only).
#[cfg(any(test, feature = "demo"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The disk fills up: the save writes part of the temporary file, then fails as the
    /// system does (ENOSPC, ERROR_DISK_FULL).
    Full,
    /// The medium is read-only: the save cannot create the temporary file (EROFS,
    /// ERROR_ACCESS_DENIED).
    ReadOnly,
}

#[cfg(any(test, feature = "demo"))]
impl Fault {
    /// The value kept in the shared switch (0 is no fault).
    fn code(fault: Option<Fault>) -> u8 {
        match fault {
            None => 0,
            Some(Fault::Full) => 1,
            Some(Fault::ReadOnly) => 2,
        }
    }

    /// Undoes [`Fault::code`].
    fn from_code(code: u8) -> Option<Fault> {
        match code {
            1 => Some(Fault::Full),
            2 => Some(Fault::ReadOnly),
            _ => None,
        }
    }

    /// The error the system gives for this fault.
    fn error(self) -> io::Error {
        let (unix, windows, kind) = match self {
            // ENOSPC, ERROR_DISK_FULL.
            Fault::Full => (28, 112, io::ErrorKind::StorageFull),
            // EROFS, ERROR_ACCESS_DENIED.
            Fault::ReadOnly => (30, 5, io::ErrorKind::PermissionDenied),
        };
        if cfg!(unix) {
            io::Error::from_raw_os_error(unix)
        } else if cfg!(windows) {
            io::Error::from_raw_os_error(windows)
        } else {
            io::Error::from(kind)
        }
    }
}

/// The settings file in one data folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    /// The fault every save runs into ([`Fault::code`]), shared by every clone: the
    /// kiosk's worker owns one clone and a test holds another.
    #[cfg(any(test, feature = "demo"))]
    fault: Arc<AtomicU8>,
}

impl Store {
    /// The store in `dir` (created on first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            #[cfg(any(test, feature = "demo"))]
            fault: Arc::new(AtomicU8::new(0)),
        }
    }

    /// Makes every later save of this store and its clones fail with `fault` (`None`:
    /// saves work again). Loads and resets are not affected.
    #[cfg(any(test, feature = "demo"))]
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.fault.store(Fault::code(fault), Ordering::SeqCst);
    }

    /// The fault saves run into now.
    #[cfg(any(test, feature = "demo"))]
    fn fault(&self) -> Option<Fault> {
        Fault::from_code(self.fault.load(Ordering::SeqCst))
    }

    /// The data folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    fn temp_path(&self) -> PathBuf {
        self.dir.join(TEMP_NAME)
    }

    /// Reads the settings; a missing file is a fresh device (defaults). A temporary file
    /// left by a save that a crash interrupted is removed, never read.
    pub fn load(&self) -> Result<Settings, SettingsError> {
        match fs::remove_file(self.temp_path()) {
            Ok(()) => log::warn!("settings: removed {TEMP_NAME} left by an interrupted save"),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => log::warn!("settings: cannot remove {TEMP_NAME} of an earlier save: {e}"),
        }
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
    /// When writing, flushing or renaming fails, the temp file is removed and the previous
    /// settings file is left as it was.
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        fs::create_dir_all(&self.dir)?;
        let mut bytes = encode(settings)?.into_bytes();
        let temp = self.temp_path();
        let written = self
            .write_private(&temp, &bytes)
            .and_then(|()| fs::rename(&temp, self.path()));
        wipe_vec(&mut bytes);
        if let Err(e) = written {
            match fs::remove_file(&temp) {
                Ok(()) => {}
                Err(gone) if gone.kind() == io::ErrorKind::NotFound => {}
                // The next load tries again.
                Err(stuck) => log::warn!("settings: cannot remove {TEMP_NAME}: {stuck}"),
            }
            return Err(e.into());
        }
        sync_dir(&self.dir);
        Ok(())
    }

    /// Creates `path` readable by its owner only, writes `bytes` and flushes them to disk;
    /// or runs into the injected fault on the way, where the system would.
    fn write_private(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        #[cfg(any(test, feature = "demo"))]
        if self.fault() == Some(Fault::ReadOnly) {
            return Err(Fault::ReadOnly.error());
        }
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path)?;
        #[cfg(any(test, feature = "demo"))]
        if self.fault() == Some(Fault::Full) {
            file.write_all(&bytes[..bytes.len() / 2])?;
            return Err(Fault::Full.error());
        }
        file.write_all(bytes)?;
        file.sync_all()
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
    line("passcode_failures", &s.passcode_failures.to_string());
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
            // Files written before the count was kept have no such line: 0.
            "passcode_failures" => s.passcode_failures = parse_count(value)?,
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

/// A count as [`encode`] writes it: decimal, no sign, no leading zero, 0 to 255.
fn parse_count(v: &str) -> Result<u8, Damage> {
    let n: u8 = v.parse().map_err(|_| Damage::Content)?;
    if n.to_string() != v {
        return Err(Damage::Content);
    }
    Ok(n)
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

    /// A file of `body` with its checksum line.
    fn with_checksum(body: &str) -> String {
        let sum = hex(digest::digest(&digest::SHA256, body.as_bytes()).as_ref());
        format!("{body}sha256={sum}\n")
    }

    /// The encoded `settings` without the checksum line and with the `key=` line replaced
    /// by `line` (or dropped).
    fn body_with(settings: &Settings, key: &str, line: Option<&str>) -> String {
        let text = encode(settings).expect("encodes");
        let body = &text[..text.rfind("sha256=").expect("sum")];
        let mut out = String::new();
        for l in body.lines() {
            if l.starts_with(&format!("{key}=")) {
                if let Some(new) = line {
                    out.push_str(new);
                    out.push('\n');
                }
            } else {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }

    #[test]
    fn the_passcode_failure_count_is_kept() {
        for n in [0, 1, 4, 255] {
            let s = Settings {
                passcode_failures: n,
                ..full()
            };
            let text = encode(&s).expect("encodes");
            assert!(text.contains(&format!("\npasscode_failures={n}\n")), "{n}");
            assert_eq!(decode(text.as_bytes()), Ok(s));
        }
        let dir = temp_dir("failures");
        let store = Store::new(&dir);
        let s = Settings {
            passcode_failures: 7,
            ..Settings::default()
        };
        store.save(&s).expect("saved");
        assert_eq!(store.load().ok().map(|l| l.passcode_failures), Some(7));
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_file_of_an_older_version_without_the_count_loads_as_zero() {
        let old = with_checksum(&body_with(&full(), "passcode_failures", None));
        assert!(!old.contains("passcode_failures"));
        let expected = Settings {
            passcode_failures: 0,
            ..full()
        };
        assert_eq!(decode(old.as_bytes()), Ok(expected));
    }

    #[test]
    fn a_bad_count_is_damage() {
        for bad in [
            "", "-1", "+3", "03", "256", "1000", "x", " 3", "3 ", "0x1", "٣",
        ] {
            let line = format!("passcode_failures={bad}");
            let text = with_checksum(&body_with(&full(), "passcode_failures", Some(&line)));
            assert_eq!(decode(text.as_bytes()), Err(Damage::Content), "{bad:?}");
        }
    }

    #[test]
    fn io_errors_map_to_save_problems() {
        use io::ErrorKind as Kind;
        let problem = |e: io::Error| SettingsError::Io(e).save_problem();
        assert_eq!(problem(Kind::StorageFull.into()), SaveProblem::Full);
        assert_eq!(problem(Kind::QuotaExceeded.into()), SaveProblem::Full);
        assert_eq!(
            problem(Kind::ReadOnlyFilesystem.into()),
            SaveProblem::ReadOnly
        );
        assert_eq!(
            problem(Kind::PermissionDenied.into()),
            SaveProblem::ReadOnly
        );
        for other in [
            Kind::NotFound,
            Kind::Other,
            Kind::Interrupted,
            Kind::InvalidData,
        ] {
            assert_eq!(problem(other.into()), SaveProblem::Other, "{other:?}");
        }
        assert_eq!(
            SettingsError::Damaged(Damage::Checksum).save_problem(),
            SaveProblem::Other
        );
        // Raw codes by the table of each system (the kind alone may not say it).
        let raw = |code: i32, codes: &OsCodes| {
            save_problem_of(&io::Error::from_raw_os_error(code), codes)
        };
        let edquot = if cfg!(any(target_os = "linux", target_os = "android")) {
            122
        } else {
            69
        };
        for (code, want) in [
            (28, SaveProblem::Full),     // ENOSPC
            (edquot, SaveProblem::Full), // EDQUOT
            (30, SaveProblem::ReadOnly), // EROFS
            (13, SaveProblem::ReadOnly), // EACCES
            (1, SaveProblem::ReadOnly),  // EPERM
        ] {
            assert_eq!(raw(code, &UNIX_CODES), want, "unix {code}");
        }
        for (code, want) in [
            (112, SaveProblem::Full),    // ERROR_DISK_FULL
            (39, SaveProblem::Full),     // ERROR_HANDLE_DISK_FULL
            (5, SaveProblem::ReadOnly),  // ERROR_ACCESS_DENIED
            (19, SaveProblem::ReadOnly), // ERROR_WRITE_PROTECT
        ] {
            assert_eq!(raw(code, &WINDOWS_CODES), want, "windows {code}");
        }
        // On this system, with the codes it uses.
        #[cfg(target_os = "linux")]
        for (code, want) in [
            (28, SaveProblem::Full),
            (122, SaveProblem::Full),
            (30, SaveProblem::ReadOnly),
            (13, SaveProblem::ReadOnly),
            (1, SaveProblem::ReadOnly),
            (5, SaveProblem::Other),  // EIO
            (2, SaveProblem::Other),  // ENOENT
            (24, SaveProblem::Other), // EMFILE
        ] {
            assert_eq!(problem(io::Error::from_raw_os_error(code)), want, "{code}");
        }
        #[cfg(windows)]
        for (code, want) in [
            (112, SaveProblem::Full),
            (39, SaveProblem::Full),
            (5, SaveProblem::ReadOnly),
            (19, SaveProblem::ReadOnly),
            (2, SaveProblem::Other), // ERROR_FILE_NOT_FOUND
        ] {
            assert_eq!(problem(io::Error::from_raw_os_error(code)), want, "{code}");
        }
    }

    /// The names in `dir`.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("listed")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_save_into_a_fault_leaves_the_old_file_and_no_temp_file() {
        for (fault, problem) in [
            (Fault::Full, SaveProblem::Full),
            (Fault::ReadOnly, SaveProblem::ReadOnly),
        ] {
            let dir = temp_dir(&format!("fault-{fault:?}"));
            let store = Store::new(&dir);
            store.save(&full()).expect("saved");
            let before = fs::read(dir.join(FILE_NAME)).expect("written");
            // The worker owns one clone, the test holds another.
            let worker = store.clone();
            store.set_fault(Some(fault));
            let newer = Settings {
                passcode_failures: 4,
                reader: None,
                ..full()
            };
            let error = worker.save(&newer).expect_err("the save fails");
            assert_eq!(error.save_problem(), problem, "{fault:?}");
            assert!(matches!(error, SettingsError::Io(_)));
            assert_eq!(names(&dir), [FILE_NAME], "{fault:?}: no temp file left");
            assert_eq!(fs::read(dir.join(FILE_NAME)).expect("kept"), before);
            assert_eq!(worker.load().ok(), Some(full()), "{fault:?}");
            // Again, and then the fault is gone.
            assert!(worker.save(&newer).is_err());
            store.set_fault(None);
            worker.save(&newer).expect("saves again");
            assert_eq!(store.load().ok(), Some(newer), "{fault:?}");
            assert_eq!(names(&dir), [FILE_NAME]);
            let _ = fs::remove_dir_all(dir);
        }
    }

    #[test]
    fn a_full_disk_fails_after_part_of_the_temp_file_was_written() {
        // The fault's error comes after the temp file was created and partly written, so
        // the save's clean-up runs on the real path.
        let dir = temp_dir("full-partial");
        let store = Store::new(&dir);
        fs::create_dir_all(&dir).expect("dir");
        store.set_fault(Some(Fault::Full));
        let error = store.save(&full()).expect_err("full");
        assert_eq!(error.save_problem(), SaveProblem::Full);
        if let SettingsError::Io(e) = &error {
            assert_eq!(e.kind(), io::ErrorKind::StorageFull);
            #[cfg(unix)]
            assert_eq!(e.raw_os_error(), Some(28));
        }
        assert!(names(&dir).is_empty(), "{:?}", names(&dir));
        assert_eq!(store.load().ok(), Some(Settings::default()));
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_failed_rename_removes_the_temp_file() {
        // `settings.txt` is a folder with something in it: no rename can replace it, even
        // for root.
        let dir = temp_dir("rename");
        fs::create_dir_all(dir.join(FILE_NAME).join("inside")).expect("dirs");
        let store = Store::new(&dir);
        let error = store.save(&full()).expect_err("the rename fails");
        assert!(matches!(error, SettingsError::Io(_)));
        assert_eq!(names(&dir), [FILE_NAME], "no temp file left");
        assert!(dir.join(FILE_NAME).join("inside").is_dir());
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn load_removes_a_temp_file_left_by_a_crash_and_ignores_it() {
        let dir = temp_dir("stale");
        let store = Store::new(&dir);
        store.save(&full()).expect("saved");
        // Half a newer file, as a crash mid-write leaves it.
        let newer = encode(&Settings::default()).expect("encodes");
        fs::write(dir.join(TEMP_NAME), &newer[..newer.len() / 2]).expect("stale temp");
        assert_eq!(store.load().ok(), Some(full()));
        assert_eq!(names(&dir), [FILE_NAME]);
        // Also where no settings file was ever completed.
        fs::remove_file(dir.join(FILE_NAME)).expect("removed");
        fs::write(dir.join(TEMP_NAME), &newer).expect("stale temp");
        assert_eq!(store.load().ok(), Some(Settings::default()));
        assert!(names(&dir).is_empty());
        let _ = fs::remove_dir_all(dir);
    }

    /// Extra to the fault tests: a folder the system really refuses to write. Skipped where
    /// the permission bits do not bind (as root, as on CI).
    #[cfg(unix)]
    #[test]
    fn a_read_only_folder_keeps_the_old_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("chmod");
        let store = Store::new(&dir);
        store.save(&full()).expect("saved");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o500)).expect("chmod");
        let binds = fs::write(dir.join("probe"), b"").is_err();
        if binds {
            let error = store
                .save(&Settings::default())
                .expect_err("read-only folder");
            assert_eq!(error.save_problem(), SaveProblem::ReadOnly);
            assert_eq!(store.load().ok(), Some(full()));
            assert_eq!(names(&dir), [FILE_NAME]);
        } else {
            eprintln!("skipped: permission bits do not bind for this user (root?)");
        }
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).expect("chmod back");
        let _ = fs::remove_dir_all(dir);
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
