//! One kiosk at a time: a second launch must not open a second window on the same reader.
//!
//! - Windows: a named mutex per sign-in session (`Local\myna-kakunin-kiosk`). A second
//!   launch brings the running kiosk's window to the front and exits.
//! - Elsewhere: an exclusive lock on `myna-kakunin.lock` in the data folder (released by the
//!   system when the process ends, even if it crashed). A second launch with the same data
//!   folder says so and exits; raising the other window is left to the window manager.

use std::io;
use std::path::Path;
#[cfg(windows)]
use std::time::{Duration, Instant};

/// The lock file's name inside the data folder (not Windows).
pub const LOCK_FILE: &str = "myna-kakunin.lock";

/// Held while this process is the kiosk; dropping it lets another start.
#[derive(Debug)]
pub struct InstanceGuard {
    #[cfg(windows)]
    _mutex: super::windows::InstanceGuard,
    #[cfg(not(windows))]
    _lock: std::fs::File,
}

/// Why this process may not be the kiosk.
#[derive(Debug)]
pub enum InstanceError {
    /// Another kiosk runs (on Windows, its window was brought forward if it had one yet).
    AlreadyRunning,
    /// The check itself failed (a folder that cannot be written, a refused system call).
    Io(io::Error),
}

/// Claims the kiosk for this process. `data_dir` is where the lock lives (not Windows).
#[cfg(not(windows))]
pub fn claim(data_dir: &Path) -> Result<InstanceGuard, InstanceError> {
    use std::fs::{self, OpenOptions, TryLockError};
    fs::create_dir_all(data_dir).map_err(InstanceError::Io)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join(LOCK_FILE))
        .map_err(InstanceError::Io)?;
    match file.try_lock() {
        Ok(()) => Ok(InstanceGuard { _lock: file }),
        Err(TryLockError::WouldBlock) => Err(InstanceError::AlreadyRunning),
        Err(TryLockError::Error(e)) => Err(InstanceError::Io(e)),
    }
}

/// How long a second launch looks for the first kiosk's window (it may still be opening).
#[cfg(windows)]
const FIND_WINDOW_FOR: Duration = Duration::from_secs(5);

/// Claims the kiosk for this process; a second launch brings the first one's window forward.
#[cfg(windows)]
pub fn claim(_data_dir: &Path) -> Result<InstanceGuard, InstanceError> {
    use super::windows;
    match windows::claim_instance() {
        Ok(Some(mutex)) => Ok(InstanceGuard { _mutex: mutex }),
        Ok(None) => {
            let deadline = Instant::now() + FIND_WINDOW_FOR;
            while !windows::bring_forward() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(InstanceError::AlreadyRunning)
        }
        Err(e) => Err(InstanceError::Io(io::Error::from_raw_os_error(e.0 as i32))),
    }
}

#[cfg(all(test, not(windows)))]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_on_the_same_folder_is_refused_until_the_first_ends() {
        let dir = std::env::temp_dir().join(format!("mk-instance-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = claim(&dir).expect("the first claim succeeds");
        assert!(matches!(claim(&dir), Err(InstanceError::AlreadyRunning)));
        drop(first);
        let again = claim(&dir).expect("free again once the first is gone");
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
