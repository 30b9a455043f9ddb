//! The Windows calls the kiosk makes itself: DPAPI for the stored secrets, the named mutex
//! that keeps one kiosk per session, bringing the running kiosk's window forward, opening a
//! web page with the default browser, and attaching to the console the .exe was started
//! from (a GUI-subsystem program gets none by itself).
//!
//! This is the crate's only module allowed `unsafe` (the crate denies it everywhere else;
//! ARCHITECTURE.md). Each block calls one documented Win32 function through `windows-sys`
//! and says why its pointers are valid.
#![allow(unsafe_code)]

use core::ffi::c_void;
use core::ptr::{null, null_mut};

use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, LocalFree, ERROR_ALREADY_EXISTS, HANDLE, HWND, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Security::Cryptography::{
    CryptProtectData, CryptUnprotectData, CRYPTPROTECT_UI_FORBIDDEN, CRYPT_INTEGER_BLOB,
};
use windows_sys::Win32::System::Console::{
    AttachConsole, GetStdHandle, SetStdHandle, ATTACH_PARENT_PROCESS, STD_ERROR_HANDLE, STD_HANDLE,
    STD_OUTPUT_HANDLE,
};
use windows_sys::Win32::System::Threading::CreateMutexW;
use windows_sys::Win32::UI::Shell::ShellExecuteW;
use windows_sys::Win32::UI::WindowsAndMessaging::{
    FindWindowW, IsIconic, SetForegroundWindow, ShowWindow, SW_RESTORE, SW_SHOWNORMAL,
};

use crate::sensitive::wipe;

/// The window class of the kiosk's window (set in `shell::window`), which a second launch
/// looks for.
pub const WINDOW_CLASS: &str = "myna-kakunin";

/// The session-wide mutex that marks a running kiosk ("Local\": per sign-in session).
const MUTEX_NAME: &str = "Local\\myna-kakunin-kiosk";

/// Mixed into every DPAPI blob, so a blob only opens for this app's own call.
const ENTROPY: &[u8] = b"myna-kakunin settings v1";

/// A failed Win32 call: its `GetLastError` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Win32Error(pub u32);

/// `s` as a NUL-terminated UTF-16 string.
fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(Some(0)).collect()
}

fn blob(bytes: &[u8]) -> Result<CRYPT_INTEGER_BLOB, Win32Error> {
    Ok(CRYPT_INTEGER_BLOB {
        // ERROR_INVALID_PARAMETER (87) for what DPAPI could not take anyway.
        cbData: u32::try_from(bytes.len()).map_err(|_| Win32Error(87))?,
        // DPAPI only reads the input blobs; the API type is not const.
        pbData: bytes.as_ptr().cast_mut(),
    })
}

/// Copies DPAPI's output out, wipes it when `secret`, and frees it with `LocalFree`.
fn take_output(out: CRYPT_INTEGER_BLOB, secret: bool) -> Vec<u8> {
    if out.pbData.is_null() {
        return Vec::new();
    }
    // SAFETY: DPAPI returned success and set `out` to a LocalAlloc'd buffer of exactly
    // `cbData` bytes that we own; nothing else refers to it.
    let bytes = unsafe { core::slice::from_raw_parts_mut(out.pbData, out.cbData as usize) };
    let copy = bytes.to_vec();
    if secret {
        wipe(bytes);
    }
    // SAFETY: `pbData` came from DPAPI's LocalAlloc and is freed exactly once, here; the
    // slice above is not used after this.
    unsafe { LocalFree(out.pbData.cast::<c_void>()) };
    copy
}

/// Encrypts `plain` for the signed-in Windows user (DPAPI, user scope): only the same user
/// on the same machine can decrypt it.
pub fn protect(plain: &[u8]) -> Result<Vec<u8>, Win32Error> {
    let input = blob(plain)?;
    let entropy = blob(ENTROPY)?;
    let mut out = CRYPT_INTEGER_BLOB::default();
    // SAFETY: `input` and `entropy` point at live slices for the whole call, the description,
    // reserved and prompt pointers may be null, and `out` is a valid place for the result.
    let ok = unsafe {
        CryptProtectData(
            &input,
            null(),
            &entropy,
            null(),
            null(),
            CRYPTPROTECT_UI_FORBIDDEN,
            &mut out,
        )
    };
    if ok == 0 {
        // SAFETY: reads this thread's last-error value; no pointers.
        return Err(Win32Error(unsafe { GetLastError() }));
    }
    Ok(take_output(out, false))
}

/// Decrypts what [`protect`] made. The caller wipes the result after use.
pub fn unprotect(sealed: &[u8]) -> Result<Vec<u8>, Win32Error> {
    let input = blob(sealed)?;
    let entropy = blob(ENTROPY)?;
    let mut out = CRYPT_INTEGER_BLOB::default();
    // SAFETY: as in `protect`; the description out-pointer is null, so DPAPI allocates none.
    let ok = unsafe {
        CryptUnprotectData(
            &input,
            null_mut(),
            &entropy,
            null(),
            null(),
            CRYPTPROTECT_UI_FORBIDDEN,
            &mut out,
        )
    };
    if ok == 0 {
        // SAFETY: reads this thread's last-error value; no pointers.
        return Err(Win32Error(unsafe { GetLastError() }));
    }
    Ok(take_output(out, true))
}

/// Holds the kiosk's named mutex; dropping it lets another kiosk start.
#[derive(Debug)]
pub struct InstanceGuard(HANDLE);

impl Drop for InstanceGuard {
    fn drop(&mut self) {
        // SAFETY: the handle came from CreateMutexW and is closed exactly once, here.
        unsafe { CloseHandle(self.0) };
    }
}

/// Claims the session's kiosk mutex. `Ok(None)` means another kiosk already runs in this
/// sign-in session.
pub fn claim_instance() -> Result<Option<InstanceGuard>, Win32Error> {
    let name = wide(MUTEX_NAME);
    // SAFETY: `name` is a NUL-terminated UTF-16 string alive for the call; null security
    // attributes are the documented default.
    let handle = unsafe { CreateMutexW(null(), 0, name.as_ptr()) };
    // SAFETY: reads this thread's last-error value, set by CreateMutexW just above.
    let error = unsafe { GetLastError() };
    if handle.is_null() {
        return Err(Win32Error(error));
    }
    let guard = InstanceGuard(handle);
    if error == ERROR_ALREADY_EXISTS {
        return Ok(None);
    }
    Ok(Some(guard))
}

/// Brings the running kiosk's window to the front (restoring it if minimised). Returns
/// whether a window was found; the first kiosk may still be opening its window.
pub fn bring_forward() -> bool {
    let class = wide(WINDOW_CLASS);
    // SAFETY: `class` is a NUL-terminated UTF-16 string alive for the call; a null title
    // matches any title.
    let hwnd: HWND = unsafe { FindWindowW(class.as_ptr(), null()) };
    if hwnd.is_null() {
        return false;
    }
    // SAFETY: `hwnd` is a window handle FindWindowW just returned; these calls take any
    // handle and fail harmlessly if the window has gone since.
    unsafe {
        if IsIconic(hwnd) != 0 {
            ShowWindow(hwnd, SW_RESTORE);
        }
        SetForegroundWindow(hwnd);
    }
    true
}

/// Opens `url` with the default browser (ShellExecuteW "open").
pub fn open_url(url: &str) -> Result<(), Win32Error> {
    let (verb, file) = (wide("open"), wide(url));
    // SAFETY: both strings are NUL-terminated UTF-16 alive for the call; the owner window,
    // parameters and directory may be null.
    let result = unsafe {
        ShellExecuteW(
            null_mut(),
            verb.as_ptr(),
            file.as_ptr(),
            null(),
            null(),
            SW_SHOWNORMAL,
        )
    };
    // ShellExecuteW returns a value above 32 on success, else an error code.
    let code = result as usize;
    if code > 32 {
        Ok(())
    } else {
        Err(Win32Error(code as u32))
    }
}

/// Whether standard handle `id` leads somewhere (a console, a file, a pipe).
fn std_handle_set(id: STD_HANDLE) -> bool {
    // SAFETY: reads the process's standard handle; no pointers.
    let handle = unsafe { GetStdHandle(id) };
    !handle.is_null() && handle != INVALID_HANDLE_VALUE
}

/// Attaches to the console of the process that started this one (cmd, PowerShell), so that
/// `--help`, `--version`, the diagnostics and start-up errors print there. Started from
/// Explorer, a shortcut or Shell Launcher there is no such console and nothing happens.
/// Standard output or error that the caller redirected (a file, a pipe) stays where it is.
/// Returns whether a console was attached.
pub fn attach_parent_console() -> bool {
    let ids = [STD_OUTPUT_HANDLE, STD_ERROR_HANDLE];
    let redirected = ids.map(std_handle_set);
    if redirected.iter().all(|r| *r) {
        return false;
    }
    // SAFETY: takes a process id constant; no pointers.
    if unsafe { AttachConsole(ATTACH_PARENT_PROCESS) } == 0 {
        return false;
    }
    for (id, redirected) in ids.into_iter().zip(redirected) {
        // Some Windows versions set the standard handles on attach; where they stay empty,
        // the console's output buffer is opened for them.
        if redirected || std_handle_set(id) {
            continue;
        }
        let Ok(console) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("CONOUT$")
        else {
            continue;
        };
        // The handle stays open for the life of the process: it is the standard handle now.
        let handle = std::os::windows::io::IntoRawHandle::into_raw_handle(console);
        // SAFETY: `handle` is an open console handle this process owns and never closes.
        unsafe { SetStdHandle(id, handle as HANDLE) };
    }
    true
}

/// `CF_UNICODETEXT`: UTF-16 text ending in a NUL (a standard clipboard format).
const CF_UNICODETEXT: u32 = 13;

/// Opens the clipboard for this thread, trying for about half a second while another
/// program holds it open.
fn open_clipboard() -> bool {
    use windows_sys::Win32::System::DataExchange::OpenClipboard;
    for _ in 0..50 {
        // SAFETY: a null window is allowed ("the open clipboard is associated with the
        // current task"); no pointers are passed.
        if unsafe { OpenClipboard(null_mut()) } != 0 {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}

/// Puts `text` on the clipboard as Unicode text. Returns the clipboard's sequence number
/// after the change, which [`clipboard_clear_if`] compares to know the text is still ours.
/// `Err` when the clipboard stayed busy or refused the memory.
pub fn clipboard_set(text: &str) -> Result<u32, Win32Error> {
    use windows_sys::Win32::Foundation::GlobalFree;
    use windows_sys::Win32::System::DataExchange::{
        CloseClipboard, EmptyClipboard, GetClipboardSequenceNumber, SetClipboardData,
    };
    use windows_sys::Win32::System::Memory::{
        GlobalAlloc, GlobalLock, GlobalUnlock, GMEM_MOVEABLE,
    };
    let mut units = wide(text);
    let bytes = units.len() * 2;
    if !open_clipboard() {
        // SAFETY: reads the calling thread's last-error value; no arguments.
        let code = unsafe { GetLastError() };
        wipe_units(&mut units);
        return Err(Win32Error(code));
    }
    let result = (|| {
        // SAFETY: the clipboard is open on this thread (above); no pointers.
        if unsafe { EmptyClipboard() } == 0 {
            // SAFETY: as above.
            return Err(Win32Error(unsafe { GetLastError() }));
        }
        // SAFETY: plain allocation of `bytes` bytes of movable global memory.
        let memory = unsafe { GlobalAlloc(GMEM_MOVEABLE, bytes) };
        if memory.is_null() {
            // SAFETY: as above.
            return Err(Win32Error(unsafe { GetLastError() }));
        }
        // SAFETY: `memory` is the live allocation just made; locking gives its address.
        let target = unsafe { GlobalLock(memory) }.cast::<u16>();
        if target.is_null() {
            // SAFETY: `memory` is ours (not yet given to the clipboard): freed once here.
            unsafe { GlobalFree(memory) };
            return Err(Win32Error(0));
        }
        // SAFETY: `target` points to at least `bytes` bytes (the allocation's size), which
        // is `units.len()` u16s; the regions do not overlap. Then the lock is released.
        unsafe {
            core::ptr::copy_nonoverlapping(units.as_ptr(), target, units.len());
            GlobalUnlock(memory);
        }
        // SAFETY: the clipboard is open and emptied by us; on success the system owns
        // `memory`, on failure it is still ours and freed once here.
        if unsafe { SetClipboardData(CF_UNICODETEXT, memory) }.is_null() {
            // SAFETY: as above.
            let code = unsafe { GetLastError() };
            // SAFETY: see above: still ours.
            unsafe { GlobalFree(memory) };
            return Err(Win32Error(code));
        }
        Ok(())
    })();
    // SAFETY: the clipboard was opened above by this thread.
    unsafe { CloseClipboard() };
    wipe_units(&mut units);
    // SAFETY: no arguments.
    result.map(|()| unsafe { GetClipboardSequenceNumber() })
}

/// Empties the clipboard if its sequence number is still `sequence` (nobody copied anything
/// since [`clipboard_set`]); our text is overwritten with zeros before the system frees it.
/// Returns whether it was cleared.
pub fn clipboard_clear_if(sequence: u32) -> bool {
    use windows_sys::Win32::System::DataExchange::{
        CloseClipboard, EmptyClipboard, GetClipboardData, GetClipboardSequenceNumber,
    };
    use windows_sys::Win32::System::Memory::{GlobalLock, GlobalSize, GlobalUnlock};
    // SAFETY: no arguments.
    if unsafe { GetClipboardSequenceNumber() } != sequence || !open_clipboard() {
        return false;
    }
    // SAFETY: no arguments; the clipboard is open. Checked again now that it is ours.
    let ours = unsafe { GetClipboardSequenceNumber() } == sequence;
    if ours {
        // SAFETY: the clipboard is open; the handle, if any, is the memory we gave it,
        // valid until EmptyClipboard. Its locked address covers GlobalSize bytes.
        unsafe {
            let memory = GetClipboardData(CF_UNICODETEXT);
            if !memory.is_null() {
                let size = GlobalSize(memory);
                let at = GlobalLock(memory).cast::<u8>();
                if !at.is_null() {
                    wipe(core::slice::from_raw_parts_mut(at, size));
                    GlobalUnlock(memory);
                }
            }
            EmptyClipboard();
        }
    }
    // SAFETY: opened above by this thread.
    unsafe { CloseClipboard() };
    ours
}

/// Zeros a UTF-16 copy of patient text.
fn wipe_units(units: &mut [u16]) {
    for u in units.iter_mut() {
        *u = 0;
    }
    core::hint::black_box(units);
}
