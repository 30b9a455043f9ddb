//! Where the kiosk keeps its files and which center it talks to, and the production wiring
//! that follows from them.
//!
//! The data folder holds `settings.txt` (written by the app) and `config.txt` (written by
//! whoever deploys the kiosk), one `key=value` per line:
//!
//! ```text
//! center_url=https://center.example.jp      the center's base URL (https only)
//! trust_pem=C:\kiosk\private-ca.pem         optional: trust these roots instead of the bundled ones
//! ```
//!
//! `--center URL`, `--trust PEM` and `--data-dir DIR` on the command line override them.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::app::{App, Boot};
use crate::card::pcsc::PcscReader;
use crate::center::client::{ClientConfig, ConfigError, HttpsCenter, Trust};

use super::settings::{SettingsError, Store};
use super::worker::{Backends, ReaderBackend};

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
}

/// Which center, and whose roots to trust for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CenterConfig {
    /// The center's base URL.
    pub center_url: String,
    /// A PEM file of roots to trust instead of the bundled ones.
    pub trust_pem: Option<PathBuf>,
}

/// Why the production kiosk cannot start.
#[derive(Debug)]
pub enum StartupError {
    /// No center URL in `config.txt` nor on the command line.
    NoCenter(PathBuf),
    /// `config.txt` has a line that is not `key=value` with a known key.
    BadConfig(PathBuf, usize),
    /// The trust PEM could not be read.
    TrustFile(PathBuf, io::Error),
    /// The center settings are not usable (not https, bad PEM…).
    Center(ConfigError),
    /// The data folder or the settings could not be read.
    Io(io::Error),
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

/// Reads `config.txt` (if any) and applies the command line over it.
pub fn center_config(data_dir: &Path, o: &Overrides) -> Result<CenterConfig, StartupError> {
    let path = data_dir.join(CONFIG_FILE);
    let (mut url, mut trust) = match fs::read_to_string(&path) {
        Ok(text) => {
            parse_config(&text).map_err(|line| StartupError::BadConfig(path.clone(), line))?
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => (None, None),
        Err(e) => return Err(StartupError::Io(e)),
    };
    if let Some(u) = &o.center_url {
        url = Some(u.clone());
    }
    if let Some(t) = &o.trust_pem {
        trust = Some(t.clone());
    }
    let center_url = url.ok_or(StartupError::NoCenter(path))?;
    Ok(CenterConfig {
        center_url,
        trust_pem: trust,
    })
}

/// Parses the config file; the error is the 1-based number of the first bad line. Public
/// only for the fuzz tests (`tests/fuzz.rs`); use [`center_config`].
#[doc(hidden)]
pub fn parse_config(text: &str) -> Result<(Option<String>, Option<PathBuf>), usize> {
    let (mut url, mut trust) = (None, None);
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("center_url", v)) if !v.is_empty() => url = Some(v.to_owned()),
            Some(("trust_pem", v)) if !v.is_empty() => trust = Some(PathBuf::from(v)),
            _ => return Err(i + 1),
        }
    }
    Ok((url, trust))
}

/// The production kiosk: settings from the data folder (a damaged file boots into the
/// damaged-settings screen), the PC/SC reader the settings name, the HTTPS center.
/// Returns the app, its backends and the reader to watch.
pub fn production(o: &Overrides) -> Result<(App, Backends, Option<String>), StartupError> {
    let data_dir = data_dir(o);
    let center = center_config(&data_dir, o)?;
    let trust = match &center.trust_pem {
        None => Trust::Bundled,
        Some(p) => Trust::Pem(fs::read(p).map_err(|e| StartupError::TrustFile(p.clone(), e))?),
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
    let app = App::new(boot, None);
    let reader = app.settings().reader.clone();
    let backends = Backends {
        reader: ReaderBackend::Pcsc(PcscReader::new(reader.clone())),
        center: Box::new(client),
        store: Some(store),
    };
    Ok((app, backends, reader))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lines_and_comments() {
        let text = "# kiosk\ncenter_url = https://c.example.jp\n\ntrust_pem=/etc/ca.pem\n";
        let (u, t) = parse_config(text).expect("valid");
        assert_eq!(u.as_deref(), Some("https://c.example.jp"));
        assert_eq!(t, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(parse_config("center_url=x\ncolour=blue\n"), Err(2));
        assert_eq!(parse_config("center_url=\n"), Err(1));
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
        };
        assert!(matches!(production(&o), Err(StartupError::Center(_))));
    }
}
