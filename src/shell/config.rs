//! Where the kiosk keeps its files and which center it talks to, and the production wiring
//! that follows from them.
//!
//! The data folder holds `settings.txt` (written by the app) and `config.txt` (written by
//! whoever deploys the kiosk), one `key=value` per line:
//!
//! ```text
//! center_url=https://center.example.jp      the center's base URL (https only)
//! trust_pem=C:\kiosk\private-ca.pem         optional: trust these roots instead of the bundled ones
//! lock_after_minutes=30                     optional: lock to パスコード入力 after this many idle
//!                                           minutes, 0 to 1440; 0 = never; default 30
//! export_dir=C:\OQS\face                    optional: write every result there as a face
//!                                           file for the レセコン (patient data!); unset = none
//! export_encoding=shift_jis                 optional: shift_jis (CP932, default) or utf-8
//! export_keep_days=1                        optional: our files older than this are removed,
//!                                           1 to 365; default 1
//! ```
//!
//! A key given twice takes its last value. The same file may also sit in a machine-wide
//! place that IT tools manage, [`machine_config_path`] (`/etc/myna-kakunin/config.txt`,
//! `%ProgramData%\myna-kakunin\config.txt`): it is read first, the data folder's file
//! overrides it key by key, and `--center URL`, `--trust PEM` and `--data-dir DIR` on the
//! command line override both; `--kiosk` comes only from there.
//!
//! On Linux a config file or trust PEM that a user other than root and the kiosk's own user
//! can write (through the file or a folder above it) is refused: whoever can write it
//! chooses the center and the roots the kiosk trusts for it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::app::{App, Boot, Options};
use crate::card::pcsc::PcscReader;
use crate::center::client::{ClientConfig, ConfigError, HttpsCenter, Trust};

use super::export::{ExportConfig, Exporter, DEFAULT_KEEP_DAYS, MAX_KEEP_DAYS};
use super::settings::{SettingsError, Store};
use super::worker::{Backends, ReaderBackend};
use crate::center::face::FaceEncoding;

/// The config file's name inside the data folder.
pub const CONFIG_FILE: &str = "config.txt";

/// What the command line says about files and the center (each overrides the config file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--center`.
    pub center_url: Option<String>,
    /// `--trust`.
    pub trust_pem: Option<PathBuf>,
    /// `--kiosk`: the app opens no browser (links show their address instead).
    pub kiosk: bool,
}

/// What `config.txt` and the command line decide: which center, whose roots to trust for
/// it, and when the kiosk locks itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CenterConfig {
    /// The center's base URL.
    pub center_url: String,
    /// A PEM file of roots to trust instead of the bundled ones.
    pub trust_pem: Option<PathBuf>,
    /// `lock_after_minutes`: idle minutes before the kiosk locks to パスコード入力; 0 =
    /// never.
    pub lock_after_minutes: u32,
    /// The face folder for the レセコン, when `export_dir=` is set.
    pub export: Option<ExportConfig>,
}

/// `lock_after_minutes` when `config.txt` does not say.
pub const DEFAULT_LOCK_AFTER_MINUTES: u32 = 30;

/// The largest `lock_after_minutes`: a day.
pub const MAX_LOCK_AFTER_MINUTES: u32 = 24 * 60;

/// What a `config.txt` says (each key absent when the file does not name it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFile {
    /// `center_url=`.
    pub center_url: Option<String>,
    /// `trust_pem=`.
    pub trust_pem: Option<PathBuf>,
    /// `lock_after_minutes=` ([`DEFAULT_LOCK_AFTER_MINUTES`] when no file names it).
    pub lock_after_minutes: Option<u32>,
    /// `export_dir=`: the face folder; absent = no file is ever written.
    pub export_dir: Option<PathBuf>,
    /// `export_encoding=` (Shift_JIS when no file names it).
    pub export_encoding: Option<FaceEncoding>,
    /// `export_keep_days=` ([`DEFAULT_KEEP_DAYS`] when no file names it).
    pub export_keep_days: Option<u32>,
}

impl ConfigFile {
    /// This file with every key that `later` names taken from `later`.
    fn overridden_by(self, later: ConfigFile) -> ConfigFile {
        ConfigFile {
            center_url: later.center_url.or(self.center_url),
            trust_pem: later.trust_pem.or(self.trust_pem),
            lock_after_minutes: later.lock_after_minutes.or(self.lock_after_minutes),
            export_dir: later.export_dir.or(self.export_dir),
            export_encoding: later.export_encoding.or(self.export_encoding),
            export_keep_days: later.export_keep_days.or(self.export_keep_days),
        }
    }
}

impl ConfigFile {
    /// The face folder's settings, when `export_dir=` is set.
    pub fn export(&self) -> Option<ExportConfig> {
        self.export_dir.as_ref().map(|dir| ExportConfig {
            dir: dir.clone(),
            encoding: self.export_encoding.unwrap_or(FaceEncoding::ShiftJis),
            keep_days: self.export_keep_days.unwrap_or(DEFAULT_KEEP_DAYS),
        })
    }
}

/// Why the production kiosk cannot start.
#[derive(Debug)]
pub enum StartupError {
    /// No center URL in `config.txt` nor on the command line.
    NoCenter(PathBuf),
    /// `config.txt` has a line that is not `key=value` with a known key and a usable value
    /// (the 1-based line number).
    BadConfig(PathBuf, usize),
    /// The trust PEM could not be read.
    TrustFile(PathBuf, io::Error),
    /// The center settings are not usable (not https, bad PEM…).
    Center(ConfigError),
    /// The data folder or the settings could not be read.
    Io(io::Error),
    /// The config file or trust PEM can be written by a user other than root and the
    /// kiosk's own user (Linux): the file, and the path that is open to others (the file
    /// itself or a folder above it).
    OpenToOthers(PathBuf, PathBuf),
}

/// The file that makes a copy portable: with it beside the executable, the data folder is
/// the executable's own folder.
pub const PORTABLE_MARKER: &str = "portable.txt";

/// The data folder: `--data-dir` if given, else [`default_data_dir`].
pub fn data_dir(o: &Overrides) -> PathBuf {
    o.data_dir.clone().unwrap_or_else(default_data_dir)
}

/// The data folder: the executable's folder when [`PORTABLE_MARKER`] is there, else
/// `%LOCALAPPDATA%\myna-kakunin` on Windows, `$XDG_DATA_HOME/myna-kakunin` or
/// `~/.local/share/myna-kakunin` elsewhere.
pub fn default_data_dir() -> PathBuf {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    let portable = exe_dir.filter(|dir| dir.join(PORTABLE_MARKER).is_file());
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    pick_data_dir(portable, cfg!(windows), env)
}

/// The rule of [`default_data_dir`], given the portable folder (if marked), the system and
/// the environment.
fn pick_data_dir(
    portable: Option<PathBuf>,
    windows: bool,
    env: impl Fn(&str) -> Option<PathBuf>,
) -> PathBuf {
    if let Some(dir) = portable {
        return dir;
    }
    if windows {
        if let Some(local) = env("LOCALAPPDATA") {
            return local.join("myna-kakunin");
        }
    } else if let Some(data) = env("XDG_DATA_HOME") {
        return data.join("myna-kakunin");
    } else if let Some(home) = env("HOME") {
        return home.join(".local/share/myna-kakunin");
    }
    PathBuf::from("myna-kakunin-data")
}

/// The machine-wide config file: `%ProgramData%\myna-kakunin\config.txt` on Windows,
/// `/etc/myna-kakunin/config.txt` elsewhere.
pub fn machine_config_path() -> PathBuf {
    pick_machine_config(cfg!(windows), |k| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// The rule of [`machine_config_path`], given the system and the environment.
fn pick_machine_config(windows: bool, env: impl Fn(&str) -> Option<PathBuf>) -> PathBuf {
    if windows {
        env("ProgramData")
            .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"))
            .join("myna-kakunin")
            .join(CONFIG_FILE)
    } else {
        Path::new("/etc/myna-kakunin").join(CONFIG_FILE)
    }
}

/// Reads one config file; a missing file says nothing. Refuses a file others can write.
fn read_config_file(path: &Path) -> Result<ConfigFile, StartupError> {
    match fs::read_to_string(path) {
        Ok(text) => {
            only_trusted_writers(path)?;
            parse_config(&text).map_err(|line| StartupError::BadConfig(path.to_owned(), line))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(ConfigFile::default()),
        Err(e) => Err(StartupError::Io(e)),
    }
}

/// Reads the machine-wide `config.txt`, then the data folder's, and applies the command
/// line over them.
pub fn center_config(data_dir: &Path, o: &Overrides) -> Result<CenterConfig, StartupError> {
    center_config_from(&machine_config_path(), data_dir, o)
}

/// [`center_config`] with the machine-wide file at `machine`.
fn center_config_from(
    machine: &Path,
    data_dir: &Path,
    o: &Overrides,
) -> Result<CenterConfig, StartupError> {
    let path = data_dir.join(CONFIG_FILE);
    let file = read_config_file(machine)?.overridden_by(read_config_file(&path)?);
    let export = file.export();
    let url = o.center_url.clone().or(file.center_url);
    let trust = o.trust_pem.clone().or(file.trust_pem);
    let center_url = url.ok_or(StartupError::NoCenter(path))?;
    Ok(CenterConfig {
        center_url,
        trust_pem: trust,
        lock_after_minutes: file
            .lock_after_minutes
            .unwrap_or(DEFAULT_LOCK_AFTER_MINUTES),
        export,
    })
}

/// Linux: refuses `path` when a user other than root and this process's user can write it,
/// through its mode or owner or through a folder above it that such a user can write
/// (a sticky folder such as /tmp is fine: nobody can replace another's file there).
/// ACLs are not read.
#[cfg(target_os = "linux")]
pub fn only_trusted_writers(path: &Path) -> Result<(), StartupError> {
    use std::os::unix::fs::MetadataExt;
    let refuse = |open: &Path| StartupError::OpenToOthers(path.to_owned(), open.to_owned());
    // The effective user owns /proc/self (proc(5)); no `unsafe` geteuid needed.
    let me = fs::metadata("/proc/self").map_err(StartupError::Io)?.uid();
    let trusted_owner = |uid: u32| uid == 0 || uid == me;
    let full = fs::canonicalize(path).map_err(StartupError::Io)?;
    let file = fs::metadata(&full).map_err(StartupError::Io)?;
    if !trusted_owner(file.uid()) || file.mode() & 0o022 != 0 {
        return Err(refuse(&full));
    }
    for dir in full.ancestors().skip(1) {
        let meta = fs::metadata(dir).map_err(StartupError::Io)?;
        let sticky = meta.mode() & 0o1000 != 0;
        if !trusted_owner(meta.uid()) || (meta.mode() & 0o022 != 0 && !sticky) {
            return Err(refuse(dir));
        }
    }
    Ok(())
}

/// Other systems: the file system's own access control decides (Windows: the folder's ACL,
/// which README shows how to limit to administrators; the data folder is the user's).
#[cfg(not(target_os = "linux"))]
pub fn only_trusted_writers(_path: &Path) -> Result<(), StartupError> {
    Ok(())
}

/// Parses the config file; the error is the 1-based number of the first bad line. A key
/// given twice takes its last value. Public only for the fuzz tests (`tests/fuzz.rs`); use
/// [`center_config`].
#[doc(hidden)]
pub fn parse_config(text: &str) -> Result<ConfigFile, usize> {
    let mut file = ConfigFile::default();
    // Notepad and PowerShell 5.1 (`-Encoding UTF8`) begin the file with a byte order mark.
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("center_url", v)) if !v.is_empty() => file.center_url = Some(v.to_owned()),
            Some(("trust_pem", v)) if !v.is_empty() => file.trust_pem = Some(PathBuf::from(v)),
            Some(("lock_after_minutes", v)) => {
                file.lock_after_minutes = Some(parse_minutes(v).ok_or(i + 1)?);
            }
            Some(("export_dir", v)) if !v.is_empty() => file.export_dir = Some(PathBuf::from(v)),
            Some(("export_encoding", v)) => {
                file.export_encoding = Some(FaceEncoding::parse(v).ok_or(i + 1)?);
            }
            Some(("export_keep_days", v)) => {
                let days = v
                    .parse()
                    .ok()
                    .filter(|d| (1..=MAX_KEEP_DAYS).contains(d) && v.len() <= 3)
                    .ok_or(i + 1)?;
                file.export_keep_days = Some(days);
            }
            _ => return Err(i + 1),
        }
    }
    Ok(file)
}

/// A `lock_after_minutes` value: 1 to 4 ASCII digits, 0 to [`MAX_LOCK_AFTER_MINUTES`].
fn parse_minutes(v: &str) -> Option<u32> {
    if v.is_empty() || v.len() > 4 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok().filter(|m| *m <= MAX_LOCK_AFTER_MINUTES)
}

/// The app's options from the configuration and the command line, and the system's
/// randomness for the brain's salts.
fn app_options(center: &CenterConfig, o: &Overrides) -> Options {
    Options {
        lock_after_minutes: center.lock_after_minutes,
        kiosk: o.kiosk,
        seed: system_seed(),
        export: center.export.is_some(),
    }
}

/// Seconds since the Unix epoch on the system clock.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// 32 random bytes from the operating system. Without them (never seen on a supported
/// system) the salts still differ by time and count, which is all PBKDF2 needs of them.
pub fn system_seed() -> [u8; 32] {
    use ring::rand::SecureRandom;
    let mut seed = [0u8; 32];
    if ring::rand::SystemRandom::new().fill(&mut seed).is_err() {
        log::warn!("no randomness from the system; passcode salts use time and count only");
    }
    seed
}

/// The production kiosk: settings from the data folder (a damaged file boots into the
/// damaged-settings screen), the PC/SC reader the settings name, the HTTPS center.
/// Returns the app, its backends and the reader to watch.
pub fn production(o: &Overrides) -> Result<(App, Backends, Option<String>), StartupError> {
    let data_dir = data_dir(o);
    let center = center_config(&data_dir, o)?;
    let trust = match &center.trust_pem {
        None => Trust::Bundled,
        Some(p) => {
            let pem = fs::read(p).map_err(|e| StartupError::TrustFile(p.clone(), e))?;
            only_trusted_writers(p)?;
            Trust::Pem(pem)
        }
    };
    let client = HttpsCenter::new(&ClientConfig {
        trust,
        ..ClientConfig::new(&center.center_url)
    })
    .map_err(StartupError::Center)?;
    let store = Store::new(&data_dir);
    let boot = match store.load() {
        Ok(settings) => Boot::Settings(Box::new(settings)),
        Err(SettingsError::Damaged(damage)) => {
            log::error!("settings damaged ({damage:?}); offering registration again");
            Boot::Damaged
        }
        Err(SettingsError::Io(e)) => return Err(StartupError::Io(e)),
    };
    let app = App::with_options(boot, app_options(&center, o), None);
    let reader = app.settings().reader.clone();
    let export = center.export.clone().map(|config| {
        let exporter = Exporter::new(config);
        // A kiosk that was off for days cleans up before its first check.
        exporter.prune(unix_now());
        exporter
    });
    let backends = Backends {
        reader: ReaderBackend::Pcsc(PcscReader::new(reader.clone())),
        center: Box::new(client),
        store: Some(store),
        export,
        clipboard: super::clipboard::system(),
    };
    Ok((app, backends, reader))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_from_notepad_is_not_a_bad_line() {
        let file = parse_config("\u{FEFF}center_url=https://center.example.jp\r\n")
            .expect("a file Notepad saved");
        assert_eq!(
            file.center_url.as_deref(),
            Some("https://center.example.jp")
        );
        // Only at the start: anywhere else it is part of a line.
        assert_eq!(
            parse_config("center_url=https://a.example\n\u{FEFF}trust_pem=x\n"),
            Err(2)
        );
    }

    #[test]
    fn export_keys_are_optional_and_checked() {
        let file = parse_config("center_url=https://c.example.jp\n").expect("valid");
        assert_eq!(file.export(), None, "unset: nothing is written");
        let file = parse_config(
            "export_dir = /srv/oqs/face \nexport_encoding=utf-8\nexport_keep_days=7\n",
        )
        .expect("valid");
        assert_eq!(
            file.export(),
            Some(ExportConfig {
                dir: PathBuf::from("/srv/oqs/face"),
                encoding: FaceEncoding::Utf8,
                keep_days: 7,
            })
        );
        let file = parse_config("export_dir=D:\\face\n").expect("valid");
        let export = file.export().expect("set");
        assert_eq!(
            (export.encoding, export.keep_days),
            (FaceEncoding::ShiftJis, 1),
            "the defaults"
        );
        for bad in [
            "export_encoding=sjis",
            "export_encoding=UTF8",
            "export_keep_days=0",
            "export_keep_days=366",
            "export_keep_days=-1",
            "export_keep_days=0001",
            "export_dir=",
        ] {
            assert_eq!(parse_config(&format!("# x\n{bad}\n")), Err(2), "{bad}");
        }
    }

    #[test]
    fn config_lines_and_comments() {
        let text = "# kiosk\ncenter_url = https://c.example.jp\n\ntrust_pem=/etc/ca.pem\n";
        let file = parse_config(text).expect("valid");
        assert_eq!(file.center_url.as_deref(), Some("https://c.example.jp"));
        assert_eq!(file.trust_pem, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(parse_config("center_url=x\ncolour=blue\n"), Err(2));
        assert_eq!(parse_config("center_url=\n"), Err(1));
        let twice = parse_config("center_url=https://a.example\ncenter_url=https://b.example\n");
        assert_eq!(
            twice.expect("valid").center_url.as_deref(),
            Some("https://b.example"),
            "the last line wins"
        );
    }

    fn minutes(text: &str) -> Result<u32, usize> {
        parse_config(text).map(|file| {
            file.lock_after_minutes
                .unwrap_or(DEFAULT_LOCK_AFTER_MINUTES)
        })
    }

    #[test]
    fn lock_after_minutes_defaults_to_30_and_takes_0_to_1440() {
        assert_eq!(minutes(""), Ok(30));
        assert_eq!(minutes("center_url=https://c.example.jp\n"), Ok(30));
        assert_eq!(minutes("lock_after_minutes=0\n"), Ok(0), "0 = never");
        assert_eq!(minutes("lock_after_minutes=1\n"), Ok(1));
        assert_eq!(minutes("lock_after_minutes = 45 \n"), Ok(45));
        assert_eq!(minutes("lock_after_minutes=1440\n"), Ok(1440));
        assert_eq!(
            minutes("lock_after_minutes=5\nlock_after_minutes=10\n"),
            Ok(10),
            "the last line wins, as for the other keys"
        );
        assert_eq!(
            DEFAULT_LOCK_AFTER_MINUTES,
            Options::default().lock_after_minutes
        );
    }

    #[test]
    fn a_bad_lock_after_minutes_names_its_line() {
        for bad in [
            "1441",
            "99999",
            "-1",
            "+5",
            "",
            "30m",
            "thirty",
            "1.5",
            "0x10",
            "３０",
            "4294967296",
        ] {
            let text =
                format!("# kiosk\ncenter_url=https://c.example.jp\nlock_after_minutes={bad}\n");
            assert_eq!(minutes(&text), Err(3), "{bad:?}");
        }
        // A bad first line fails even when a later one is good.
        assert_eq!(
            minutes("lock_after_minutes=junk\nlock_after_minutes=10\n"),
            Err(1)
        );
        // Reported as a configuration error by the start-up.
        let dir = std::env::temp_dir().join(format!("mk-lock-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        fs::write(
            dir.join(CONFIG_FILE),
            "center_url=https://c.example.jp\nlock_after_minutes=1441\n",
        )
        .expect("write");
        assert!(matches!(
            center_config(&dir, &Overrides::default()),
            Err(StartupError::BadConfig(_, 2))
        ));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_app_gets_the_lock_time_and_kiosk_mode() {
        let dir = std::env::temp_dir().join(format!("mk-options-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        let o = Overrides {
            data_dir: Some(dir.clone()),
            center_url: Some("https://center.example.jp".into()),
            ..Overrides::default()
        };
        let center = center_config(&dir, &o).expect("configured");
        let options = app_options(&center, &o);
        assert_eq!((options.lock_after_minutes, options.kiosk), (30, false));
        fs::write(dir.join(CONFIG_FILE), "lock_after_minutes=0\n").expect("write");
        let kiosk = Overrides {
            kiosk: true,
            ..o.clone()
        };
        let center = center_config(&dir, &kiosk).expect("configured");
        let options = app_options(&center, &kiosk);
        assert_eq!((options.lock_after_minutes, options.kiosk), (0, true));
        assert_ne!(
            options.seed, [0; 32],
            "the system's randomness reaches the brain"
        );
        // And the kiosk's app is built with them.
        let (app, _, _) = production(&kiosk).expect("the production wiring");
        assert_eq!(app.options().lock_after_minutes, 0);
        assert!(app.options().kiosk);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_data_folder_is_beside_the_exe_when_portable_else_per_user() {
        let env = |k: &str| match k {
            "LOCALAPPDATA" => Some(PathBuf::from(r"C:\Users\k\AppData\Local")),
            "XDG_DATA_HOME" => Some(PathBuf::from("/home/k/.data")),
            "HOME" => Some(PathBuf::from("/home/k")),
            _ => None,
        };
        let portable = Some(PathBuf::from(r"D:\kiosk"));
        assert_eq!(
            pick_data_dir(portable.clone(), true, env),
            PathBuf::from(r"D:\kiosk")
        );
        assert_eq!(
            pick_data_dir(portable, false, env),
            PathBuf::from(r"D:\kiosk")
        );
        assert_eq!(
            pick_data_dir(None, true, env),
            PathBuf::from(r"C:\Users\k\AppData\Local").join("myna-kakunin")
        );
        assert_eq!(
            pick_data_dir(None, false, env),
            PathBuf::from("/home/k/.data/myna-kakunin")
        );
        let home_only = |k: &str| (k == "HOME").then(|| PathBuf::from("/home/k"));
        assert_eq!(
            pick_data_dir(None, false, home_only),
            PathBuf::from("/home/k/.local/share/myna-kakunin")
        );
        assert_eq!(
            pick_data_dir(None, true, |_| None),
            PathBuf::from("myna-kakunin-data")
        );
    }

    #[test]
    fn the_command_line_wins_and_a_center_is_required() {
        let dir = std::env::temp_dir().join(format!("mk-config-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        let none = Overrides::default();
        assert!(matches!(
            center_config(&dir, &none),
            Err(StartupError::NoCenter(_))
        ));
        fs::write(
            dir.join(CONFIG_FILE),
            "center_url=https://file.example.jp\n",
        )
        .expect("write");
        assert_eq!(
            center_config(&dir, &none)
                .ok()
                .map(|c| c.center_url)
                .as_deref(),
            Some("https://file.example.jp")
        );
        let o = Overrides {
            center_url: Some("https://flag.example.jp".into()),
            ..Overrides::default()
        };
        assert_eq!(
            center_config(&dir, &o)
                .ok()
                .map(|c| c.center_url)
                .as_deref(),
            Some("https://flag.example.jp")
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_damaged_settings_file_boots_into_the_damaged_screen() {
        let dir = std::env::temp_dir().join(format!("mk-prod-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        fs::write(
            dir.join(super::super::settings::FILE_NAME),
            "version=1\nsha256=00\n",
        )
        .expect("write");
        let o = Overrides {
            data_dir: Some(dir.clone()),
            center_url: Some("https://center.example.jp".into()),
            trust_pem: None,
            kiosk: false,
        };
        let (app, _, _) = production(&o).expect("starts");
        assert_eq!(app.state().name(), "SettingsDamaged");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn plain_http_is_refused() {
        let dir = std::env::temp_dir().join(format!("mk-http-{}", std::process::id()));
        let o = Overrides {
            data_dir: Some(dir),
            center_url: Some("http://center.example.jp".into()),
            trust_pem: None,
            kiosk: false,
        };
        assert!(matches!(production(&o), Err(StartupError::Center(_))));
    }

    /// A fresh folder under the temporary folder, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("mk-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).expect("temp dir");
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_machine_config_is_read_first_and_overridden_key_by_key() {
        let tmp = TempDir::new("machine");
        let (etc, data) = (tmp.0.join("etc"), tmp.0.join("data"));
        fs::create_dir_all(&etc).expect("etc");
        fs::create_dir_all(&data).expect("data");
        let machine = etc.join(CONFIG_FILE);
        fs::write(
            &machine,
            "center_url=https://machine.example.jp\ntrust_pem=/etc/myna-kakunin/ca.pem\nlock_after_minutes=5\n",
        )
        .expect("write");
        let none = Overrides::default();
        // The machine-wide file alone configures the kiosk.
        let c = center_config_from(&machine, &data, &none).expect("configured");
        assert_eq!(c.center_url, "https://machine.example.jp");
        assert_eq!(c.trust_pem, Some(PathBuf::from("/etc/myna-kakunin/ca.pem")));
        assert_eq!(c.lock_after_minutes, 5);
        // The data folder's file wins for the keys it names, the rest stay.
        fs::write(data.join(CONFIG_FILE), "lock_after_minutes=0\n").expect("write");
        let c = center_config_from(&machine, &data, &none).expect("configured");
        assert_eq!(c.center_url, "https://machine.example.jp");
        assert_eq!(c.lock_after_minutes, 0);
        fs::write(
            data.join(CONFIG_FILE),
            "center_url=https://user.example.jp\n",
        )
        .expect("write");
        let c = center_config_from(&machine, &data, &none).expect("configured");
        assert_eq!(c.center_url, "https://user.example.jp");
        assert_eq!(c.lock_after_minutes, 5);
        // The command line wins over both.
        let o = Overrides {
            center_url: Some("https://flag.example.jp".into()),
            trust_pem: Some(PathBuf::from("/flag.pem")),
            ..Overrides::default()
        };
        let c = center_config_from(&machine, &data, &o).expect("configured");
        assert_eq!(c.center_url, "https://flag.example.jp");
        assert_eq!(c.trust_pem, Some(PathBuf::from("/flag.pem")));
        // A bad line in the machine-wide file names that file.
        fs::write(&machine, "colour=blue\n").expect("write");
        match center_config_from(&machine, &data, &none) {
            Err(StartupError::BadConfig(path, 1)) => assert_eq!(path, machine),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_machine_config_is_in_etc_or_program_data() {
        assert_eq!(
            pick_machine_config(false, |_| None),
            PathBuf::from("/etc/myna-kakunin/config.txt")
        );
        let env = |k: &str| (k == "ProgramData").then(|| PathBuf::from(r"D:\PD"));
        assert_eq!(
            pick_machine_config(true, env),
            PathBuf::from(r"D:\PD")
                .join("myna-kakunin")
                .join(CONFIG_FILE)
        );
        assert_eq!(
            pick_machine_config(true, |_| None),
            PathBuf::from(r"C:\ProgramData")
                .join("myna-kakunin")
                .join(CONFIG_FILE)
        );
    }

    #[cfg(target_os = "linux")]
    fn chmod(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_config_or_trust_file_others_can_write_is_refused() {
        let tmp = TempDir::new("writers");
        let data = tmp.0.join("data");
        fs::create_dir_all(&data).expect("data");
        chmod(&data, 0o755);
        let config = data.join(CONFIG_FILE);
        fs::write(&config, "center_url=https://c.example.jp\n").expect("write");
        let none = Overrides::default();
        let absent = tmp.0.join("no-machine-config.txt");
        let refused = |open: &Path| match center_config_from(&absent, &data, &none) {
            Err(StartupError::OpenToOthers(file, at)) => {
                assert_eq!(file, config);
                assert_eq!(at, fs::canonicalize(open).expect("exists"));
            }
            other => panic!("{other:?}"),
        };
        for mode in [0o644, 0o600, 0o400] {
            chmod(&config, mode);
            assert!(
                center_config_from(&absent, &data, &none).is_ok(),
                "{mode:o}"
            );
        }
        for mode in [0o666, 0o646, 0o664, 0o620] {
            chmod(&config, mode);
            refused(&config);
        }
        chmod(&config, 0o644);
        // A folder above it that others can write lets them replace the file…
        chmod(&data, 0o777);
        refused(&data);
        // …unless it is sticky, as /tmp is.
        chmod(&data, 0o1777);
        assert!(center_config_from(&absent, &data, &none).is_ok());
        chmod(&data, 0o755);
        // Another user's file (only root can make one here).
        let root = fs::metadata("/proc/self")
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
            .ok()
            == Some(0);
        if root {
            std::os::unix::fs::chown(&config, Some(65534), None).expect("chown");
            refused(&config);
            std::os::unix::fs::chown(&config, Some(0), None).expect("chown");
        }
        // The trust PEM too, when the kiosk starts.
        let pem = data.join("ca.pem");
        fs::write(&pem, "not read this far").expect("write");
        chmod(&pem, 0o666);
        let o = Overrides {
            data_dir: Some(data.clone()),
            center_url: Some("https://center.example.jp".into()),
            trust_pem: Some(pem.clone()),
            kiosk: false,
        };
        match production(&o) {
            Err(StartupError::OpenToOthers(file, _)) => assert_eq!(file, pem),
            Err(e) => panic!("{e:?}"),
            Ok(_) => panic!("a trust PEM anyone can write was used"),
        }
    }
}
