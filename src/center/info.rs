//! What the center tells the kiosk besides qualifications: the notices of the 実施機関
//! (お知らせ, manual p.9 and p.15) with read marks per device, and the app version
//! (バージョン更新, manual p.15).

use core::cmp::Ordering;
use core::fmt;

use super::model::Date;

/// Longest notice ID accepted.
const MAX_NOTICE_ID_LEN: usize = 32;

/// Why text is not a notice ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidNoticeId;

/// A notice's ID, e.g. `N0001`: 1 to 32 ASCII letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NoticeId(String);

impl NoticeId {
    /// Parses a notice ID.
    pub fn parse(text: &str) -> Result<NoticeId, InvalidNoticeId> {
        let well_formed = (1..=MAX_NOTICE_ID_LEN).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if well_formed {
            Ok(NoticeId(text.to_owned()))
        } else {
            Err(InvalidNoticeId)
        }
    }

    /// The ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One お知らせ from the 実施機関. Selecting its title opens `url` (manual p.15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The notice's ID, for the read mark.
    pub id: NoticeId,
    /// The publication day.
    pub date: Date,
    /// The title, Japanese text without control characters.
    pub title: String,
    /// The page with the details: `https://` only.
    pub url: String,
    /// Whether this device has marked it read.
    pub read: bool,
}

/// Why text is not a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidVersion;

/// An app version `MAJOR.MINOR.PATCH`, compared numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    // Field order matters: the derived ordering compares major, then minor, then patch.
    major: u32,
    minor: u32,
    patch: u32,
}

impl Version {
    /// A version from its three numbers.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parses `MAJOR.MINOR.PATCH`: three decimal numbers without signs, spaces or leading
    /// zeros (`0` itself is fine), each fitting in 32 bits. Pre-release or build suffixes
    /// are refused.
    pub fn parse(text: &str) -> Result<Version, InvalidVersion> {
        let mut parts = text.split('.');
        let mut number = || -> Result<u32, InvalidVersion> {
            let part = parts.next().ok_or(InvalidVersion)?;
            let digits_only = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            if !digits_only || (part.len() > 1 && part.starts_with('0')) {
                return Err(InvalidVersion);
            }
            part.parse().map_err(|_| InvalidVersion)
        };
        let version = Version::new(number()?, number()?, number()?);
        if parts.next().is_some() {
            return Err(InvalidVersion);
        }
        Ok(version)
    }

    /// The version of this build (`CARGO_PKG_VERSION`).
    pub fn running() -> Version {
        // Cargo only accepts semantic versions, so the package version always has the
        // three numbers; a pre-release suffix would make this 0.0.0, the oldest version,
        // which errs towards asking for an update.
        Version::parse(env!("CARGO_PKG_VERSION")).unwrap_or(Version::new(0, 0, 0))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// What the center says about app versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppVersion {
    /// The newest version.
    pub latest: Version,
    /// The oldest version the center still serves.
    pub minimum: Version,
    /// Where the newest version can be downloaded (`https://` only); the バージョン更新
    /// screen's button opens it.
    pub download_url: String,
}

/// Whether the running app should be updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateStatus {
    /// The running version is the latest (or newer).
    UpToDate,
    /// A newer version exists; the running one is still served.
    Available,
    /// The running version is older than the minimum: update before use.
    Required,
}

impl AppVersion {
    /// The update status of `running`.
    pub fn status(&self, running: Version) -> UpdateStatus {
        if running < self.minimum {
            return UpdateStatus::Required;
        }
        match running.cmp(&self.latest) {
            Ordering::Less => UpdateStatus::Available,
            Ordering::Equal | Ordering::Greater => UpdateStatus::UpToDate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_ids_are_short_ascii_tokens() {
        assert_eq!(NoticeId::parse("N0001").unwrap().as_str(), "N0001");
        assert!(NoticeId::parse("a-b_C9").is_ok());
        assert!(NoticeId::parse(&"N".repeat(32)).is_ok());
        for bad in ["", "N 1", "N/1", "Ｎ1", "N\n"] {
            assert_eq!(NoticeId::parse(bad), Err(InvalidNoticeId), "{bad:?}");
        }
        assert_eq!(NoticeId::parse(&"N".repeat(33)), Err(InvalidNoticeId));
    }

    #[test]
    fn versions_parse_strictly_and_compare_numerically() {
        assert_eq!(Version::parse("0.1.0"), Ok(Version::new(0, 1, 0)));
        assert_eq!(Version::parse("10.20.30"), Ok(Version::new(10, 20, 30)));
        assert!(Version::new(0, 10, 0) > Version::new(0, 9, 9));
        assert!(Version::new(1, 0, 0) > Version::new(0, 99, 99));
        assert_eq!(Version::new(1, 2, 3).to_string(), "1.2.3");
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "1.2.3-beta",
            "01.2.3",
            "1..3",
            "+1.2.3",
            " 1.2.3",
            "1.2.4294967296",
            "１.2.3",
        ] {
            assert_eq!(Version::parse(bad), Err(InvalidVersion), "{bad:?}");
        }
        assert_eq!(
            Version::running().to_string(),
            env!("CARGO_PKG_VERSION"),
            "the package version is plain MAJOR.MINOR.PATCH"
        );
    }

    #[test]
    fn update_status_compares_with_latest_and_minimum() {
        let info = AppVersion {
            latest: Version::new(1, 2, 0),
            minimum: Version::new(1, 1, 0),
            download_url: "https://example.jp/".into(),
        };
        assert_eq!(info.status(Version::new(1, 2, 0)), UpdateStatus::UpToDate);
        assert_eq!(info.status(Version::new(1, 3, 0)), UpdateStatus::UpToDate);
        assert_eq!(info.status(Version::new(1, 1, 5)), UpdateStatus::Available);
        assert_eq!(info.status(Version::new(1, 1, 0)), UpdateStatus::Available);
        assert_eq!(info.status(Version::new(1, 0, 9)), UpdateStatus::Required);
    }
}
