//! The face folder (`export_dir=`): every result that reaches 資格確認結果 is written there as
//! `OQSsiquc01res_face_<id>_<yyyyMMddHHmmss>.xml` for the レセコン, and this kiosk's own
//! files older than `export_keep_days` are removed. Nothing else in the folder is touched.
//!
//! A file is written under a temporary name in the same folder (`.<name>.part`, which no
//! reader of `*.xml` picks up), synced, then renamed: a reader never sees a partial file
//! under the final name, and a failed write leaves no temporary file behind.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use log::{info, warn};

use crate::app::ExportProblem;
use crate::center::face::{self, FaceEncoding, Stamp};
use crate::center::model::CheckOutcome;

/// `export_keep_days` when config.txt does not say.
pub const DEFAULT_KEEP_DAYS: u32 = 1;

/// The largest `export_keep_days`.
pub const MAX_KEEP_DAYS: u32 = 365;

/// What config.txt says about the face folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportConfig {
    /// `export_dir=`: the レセコン's face folder, or a share it watches.
    pub dir: PathBuf,
    /// `export_encoding=`: `shift_jis` (default) or `utf-8`.
    pub encoding: FaceEncoding,
    /// `export_keep_days=`: our own files older than this many days are removed.
    pub keep_days: u32,
}

/// Writes the bytes into the open temporary file (tests put a failing one here: a full
/// disk cannot be made on demand without root).
pub type WriteFn = fn(&mut File, &[u8]) -> io::Result<()>;

/// The face-folder writer; lives on the worker thread.
pub struct Exporter {
    config: ExportConfig,
    clock: fn() -> i64,
    write: WriteFn,
    serial: u32,
}

/// Seconds since the Unix epoch, from the system clock.
fn system_unix_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn write_all(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)
}

impl Exporter {
    /// A writer into `config.dir` on the system clock.
    pub fn new(config: ExportConfig) -> Self {
        // The serial starts somewhere in the second's nanoseconds, so two runs of the kiosk
        // in the same second do not both begin at 0; a name that exists is never replaced.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Self {
            config,
            clock: system_unix_seconds,
            write: write_all,
            serial: nanos % 1_000_000,
        }
    }

    /// The same writer on another clock (Unix seconds).
    pub fn with_clock(mut self, clock: fn() -> i64) -> Self {
        self.clock = clock;
        self
    }

    /// The same writer with another way of writing the bytes (for fault tests).
    pub fn with_writer(mut self, write: WriteFn) -> Self {
        self.write = write;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &ExportConfig {
        &self.config
    }

    /// Writes `outcome`'s face file; returns its path. Then removes our old files.
    pub fn export(
        &mut self,
        outcome: &CheckOutcome,
        institution_code: &str,
    ) -> Result<PathBuf, ExportProblem> {
        let now = (self.clock)();
        let stamp = Stamp::from_unix_jst(now);
        let xml = face::render(outcome, institution_code, &stamp, self.config.encoding);
        if xml.unmappable > 0 {
            warn!(
                "face file: {} character(s) outside CP932 written as character references",
                xml.unmappable
            );
        }
        let mut tries = 0;
        let path = loop {
            self.serial = (self.serial + 1) % 1_000_000;
            let name = face::file_name(institution_code, &format!("{:06}", self.serial), &stamp);
            let path = self.config.dir.join(&name);
            let temp = self.config.dir.join(face::temp_name(&name));
            match self.write_once(&temp, &path, xml.bytes()) {
                Ok(true) => break path,
                Ok(false) if tries < 16 => tries += 1,
                Ok(false) => return Err(ExportProblem::Other),
                Err(e) => {
                    let problem = problem(&e);
                    warn!("face file not written: {problem:?} ({:?})", e.kind());
                    return Err(problem);
                }
            }
        };
        info!("face file written");
        self.prune(now);
        Ok(path)
    }

    /// Writes `bytes` to `temp`, syncs and renames it to `path`. `Ok(false)` when `path`
    /// exists already (the caller picks another name). The temporary file never outlives a
    /// failure.
    fn write_once(&self, temp: &Path, path: &Path, bytes: &[u8]) -> io::Result<bool> {
        if path.exists() {
            return Ok(false);
        }
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        // Patient data: the owner writes, the レセコン's group reads, nobody else (README).
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o640);
        let mut file = match options.open(temp) {
            Ok(file) => file,
            // A temporary file of ours left by a crash: another name (retention removes it).
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(e),
        };
        let written = (self.write)(&mut file, bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| {
                drop(file);
                fs::rename(temp, path)
            });
        if let Err(e) = written {
            // Best effort: the folder may be gone with the share.
            let _ = fs::remove_file(temp);
            return Err(e);
        }
        sync_folder(&self.config.dir);
        Ok(true)
    }

    /// Removes this kiosk's own files (final or temporary names of ours, see
    /// [`face::is_own_file`]) last modified more than `keep_days` before `now`. Returns how
    /// many went. Anything else in the folder is left alone.
    pub fn prune(&self, now: i64) -> usize {
        let keep = Duration::from_secs(u64::from(self.config.keep_days) * 86_400);
        let now = UNIX_EPOCH + Duration::from_secs(u64::try_from(now).unwrap_or(0));
        let Ok(entries) = fs::read_dir(&self.config.dir) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !face::is_own_file(name) {
                continue;
            }
            let old = entry
                .metadata()
                .ok()
                .filter(|m| m.is_file())
                .and_then(|m| m.modified().ok())
                .and_then(|modified| now.duration_since(modified).ok())
                .is_some_and(|age| age > keep);
            if old && fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        if removed > 0 {
            info!("face folder: {removed} old file(s) of ours removed");
        }
        removed
    }
}

/// Makes the rename durable where the system allows syncing a folder (not on Windows).
fn sync_folder(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// The cause of a failed write, as the band names it.
pub fn problem(e: &io::Error) -> ExportProblem {
    use io::ErrorKind as K;
    // ENOSPC, EDQUOT (Linux); ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL (Windows).
    #[cfg(unix)]
    const FULL: [i32; 2] = [28, 122];
    #[cfg(windows)]
    const FULL: [i32; 2] = [39, 112];
    // ENOTCONN, EHOSTDOWN, ESTALE, ENODEV; ERROR_BAD_NETPATH, ERROR_UNEXP_NET_ERR,
    // ERROR_NETNAME_DELETED, ERROR_BAD_NET_NAME, ERROR_NETWORK_UNREACHABLE.
    #[cfg(unix)]
    const GONE: [i32; 4] = [107, 112, 116, 19];
    #[cfg(windows)]
    const GONE: [i32; 5] = [53, 59, 64, 67, 1231];
    #[cfg(not(any(unix, windows)))]
    const FULL: [i32; 0] = [];
    #[cfg(not(any(unix, windows)))]
    const GONE: [i32; 0] = [];
    let code = e.raw_os_error();
    match e.kind() {
        K::StorageFull | K::QuotaExceeded => ExportProblem::Full,
        _ if code.is_some_and(|c| FULL.contains(&c)) => ExportProblem::Full,
        K::NotFound | K::NotADirectory | K::StaleNetworkFileHandle => ExportProblem::FolderMissing,
        _ if code.is_some_and(|c| GONE.contains(&c)) => ExportProblem::FolderMissing,
        K::PermissionDenied | K::ReadOnlyFilesystem => ExportProblem::Denied,
        _ => ExportProblem::Other,
    }
}
