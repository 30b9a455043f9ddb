//! The system clipboard for コピー on 資格確認結果: Windows through the clipboard API
//! (`shell::windows`), X11 through the CLIPBOARD selection on our own connection.
//!
//! The kiosk takes its text off again when asked ([`Clipboard::clear_if_ours`]: the next
//! check starts, or 10 minutes passed), but only while the clipboard still holds it: text
//! someone copied since is never touched.

use crate::app::ClipboardProblem;
use crate::sensitive::SensitiveText;

/// A clipboard the worker can put text on.
pub trait Clipboard: Send {
    /// Puts `text` on the clipboard, replacing what was there.
    fn set(&mut self, text: SensitiveText) -> Result<(), ClipboardProblem>;
    /// Takes our text off the clipboard if the clipboard still holds it.
    fn clear_if_ours(&mut self);
}

/// The system's clipboard, if this session has one (Windows; X11 with `DISPLAY` set).
pub fn system() -> Option<Box<dyn Clipboard>> {
    #[cfg(windows)]
    return Some(Box::new(windows_clipboard::WindowsClipboard::default()));
    #[cfg(all(unix, not(target_os = "macos")))]
    return std::env::var_os("DISPLAY")
        .filter(|d| !d.is_empty())
        .map(|_| Box::new(x11::X11Clipboard::default()) as Box<dyn Clipboard>);
    #[cfg(not(any(windows, all(unix, not(target_os = "macos")))))]
    None
}

#[cfg(windows)]
mod windows_clipboard {
    use super::{Clipboard, ClipboardProblem, SensitiveText};

    /// The Windows clipboard; remembers the sequence number after our change.
    #[derive(Default)]
    pub struct WindowsClipboard {
        ours: Option<u32>,
    }

    impl Clipboard for WindowsClipboard {
        fn set(&mut self, text: SensitiveText) -> Result<(), ClipboardProblem> {
            match crate::shell::windows::clipboard_set(text.expose()) {
                Ok(sequence) => {
                    self.ours = Some(sequence);
                    Ok(())
                }
                Err(e) => {
                    log::warn!("clipboard refused: Win32 error {}", e.0);
                    Err(ClipboardProblem::Busy)
                }
            }
        }

        fn clear_if_ours(&mut self) {
            if let Some(sequence) = self.ours.take() {
                crate::shell::windows::clipboard_clear_if(sequence);
            }
        }
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
pub mod x11 {
    //! X11: the kiosk owns the CLIPBOARD selection with a window of its own on its own
    //! connection; a thread answers other programs' requests (TARGETS, UTF8_STRING,
    //! STRING) until another program takes the selection or we give it up.

    use std::sync::Arc;
    use std::thread::JoinHandle;

    use log::{debug, warn};
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{
        Atom, AtomEnum, ConnectionExt as _, CreateWindowAux, EventMask, PropMode,
        SelectionNotifyEvent, SelectionRequestEvent, Window, WindowClass, SELECTION_NOTIFY_EVENT,
    };
    use x11rb::protocol::Event;
    use x11rb::rust_connection::RustConnection;
    use x11rb::wrapper::ConnectionExt as _;
    use x11rb::CURRENT_TIME;

    use super::{Clipboard, ClipboardProblem, SensitiveText};

    /// The atoms the selection protocol needs.
    #[derive(Clone, Copy)]
    struct Atoms {
        clipboard: Atom,
        targets: Atom,
        utf8: Atom,
    }

    /// One ownership of the selection: the connection, our window and the serving thread.
    struct Owner {
        conn: Arc<RustConnection>,
        window: Window,
        atoms: Atoms,
        thread: Option<JoinHandle<()>>,
    }

    /// The X11 CLIPBOARD selection.
    #[derive(Default)]
    pub struct X11Clipboard {
        /// The display to use (`None`: `DISPLAY`).
        display: Option<String>,
        owner: Option<Owner>,
    }

    impl X11Clipboard {
        /// The clipboard of display `name` (e.g. `":5"`) rather than `DISPLAY`'s.
        pub fn on_display(name: &str) -> Self {
            Self {
                display: Some(name.to_owned()),
                owner: None,
            }
        }

        fn release(&mut self) {
            let Some(mut owner) = self.owner.take() else {
                return;
            };
            let ours = owner
                .conn
                .get_selection_owner(owner.atoms.clipboard)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|r| r.owner == owner.window);
            if ours {
                debug!("clipboard: giving up the selection");
                let _ = owner.conn.set_selection_owner(
                    x11rb::NONE,
                    owner.atoms.clipboard,
                    CURRENT_TIME,
                );
            }
            // Destroying the window ends any ownership and wakes the thread (DestroyNotify).
            let _ = owner.conn.destroy_window(owner.window);
            let _ = owner.conn.flush();
            if let Some(thread) = owner.thread.take() {
                let _ = thread.join();
            }
        }
    }

    impl Drop for X11Clipboard {
        fn drop(&mut self) {
            self.release();
        }
    }

    impl Clipboard for X11Clipboard {
        fn set(&mut self, text: SensitiveText) -> Result<(), ClipboardProblem> {
            self.release();
            let owner = own(self.display.as_deref(), text).map_err(|e| {
                warn!("clipboard: {e}");
                ClipboardProblem::Unavailable
            })?;
            self.owner = Some(owner);
            Ok(())
        }

        fn clear_if_ours(&mut self) {
            self.release();
        }
    }

    fn intern(conn: &RustConnection, name: &[u8]) -> Result<Atom, String> {
        conn.intern_atom(false, name)
            .map_err(|e| e.to_string())?
            .reply()
            .map(|r| r.atom)
            .map_err(|e| e.to_string())
    }

    /// Connects, takes the selection with a new window and starts serving `text`.
    fn own(display: Option<&str>, text: SensitiveText) -> Result<Owner, String> {
        let (conn, screen) = RustConnection::connect(display).map_err(|e| e.to_string())?;
        let root = conn
            .setup()
            .roots
            .get(screen)
            .map(|s| s.root)
            .ok_or("no screen")?;
        let atoms = Atoms {
            clipboard: intern(&conn, b"CLIPBOARD")?,
            targets: intern(&conn, b"TARGETS")?,
            utf8: intern(&conn, b"UTF8_STRING")?,
        };
        let window = conn.generate_id().map_err(|e| e.to_string())?;
        conn.create_window(
            0,
            window,
            root,
            0,
            0,
            1,
            1,
            0,
            WindowClass::INPUT_ONLY,
            0,
            &CreateWindowAux::new().event_mask(EventMask::STRUCTURE_NOTIFY),
        )
        .map_err(|e| e.to_string())?;
        conn.set_selection_owner(window, atoms.clipboard, CURRENT_TIME)
            .map_err(|e| e.to_string())?;
        let owner = conn
            .get_selection_owner(atoms.clipboard)
            .map_err(|e| e.to_string())?
            .reply()
            .map_err(|e| e.to_string())?
            .owner;
        if owner != window {
            let _ = conn.destroy_window(window);
            return Err("another program kept the selection".into());
        }
        let conn = Arc::new(conn);
        let serving = Arc::clone(&conn);
        let thread = std::thread::Builder::new()
            .name("clipboard".into())
            .spawn(move || serve(&serving, window, atoms, text))
            .map_err(|e| e.to_string())?;
        Ok(Owner {
            conn,
            window,
            atoms,
            thread: Some(thread),
        })
    }

    /// Answers selection requests until the selection or the window is gone; the text is
    /// wiped when this returns.
    fn serve(conn: &RustConnection, window: Window, atoms: Atoms, text: SensitiveText) {
        loop {
            let event = match conn.wait_for_event() {
                Ok(e) => e,
                Err(_) => return,
            };
            match event {
                Event::SelectionRequest(request) => answer(conn, &request, atoms, &text),
                Event::SelectionClear(_) => {
                    debug!("clipboard: another program took the selection");
                    let _ = conn.destroy_window(window);
                    let _ = conn.flush();
                    return;
                }
                Event::DestroyNotify(e) if e.window == window => return,
                _ => {}
            }
        }
    }

    fn answer(
        conn: &RustConnection,
        r: &SelectionRequestEvent,
        atoms: Atoms,
        text: &SensitiveText,
    ) {
        // An old client may ask with property None: reply into the target's name (ICCCM).
        let property = if r.property == x11rb::NONE {
            r.target
        } else {
            r.property
        };
        let string = Atom::from(AtomEnum::STRING);
        let stored = if r.selection != atoms.clipboard {
            false
        } else if r.target == atoms.targets {
            conn.change_property32(
                PropMode::REPLACE,
                r.requestor,
                property,
                AtomEnum::ATOM,
                &[atoms.targets, atoms.utf8, string],
            )
            .is_ok()
        } else if r.target == atoms.utf8 || r.target == string {
            conn.change_property8(
                PropMode::REPLACE,
                r.requestor,
                property,
                r.target,
                text.expose().as_bytes(),
            )
            .is_ok()
        } else {
            false
        };
        let notify = SelectionNotifyEvent {
            response_type: SELECTION_NOTIFY_EVENT,
            sequence: 0,
            time: r.time,
            requestor: r.requestor,
            selection: r.selection,
            target: r.target,
            property: if stored { property } else { x11rb::NONE },
        };
        let _ = conn.send_event(false, r.requestor, EventMask::NO_EVENT, notify);
        let _ = conn.flush();
    }
}
