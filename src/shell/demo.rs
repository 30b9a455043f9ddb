//! The demo build's wiring: a registered app with the demo passcode, the virtual reader with
//! the demo tray's cards, and the reference center in-process.

use ring::rand::{SecureRandom, SystemRandom};

use crate::app::passcode::PasscodeHash;
use crate::app::{App, DemoSetup};
use crate::card::virtual_card::{demo_cards, VirtualReader};
use crate::center::reference::LocalCenter;

use super::worker::{Backends, ReaderBackend};

/// The demo's login passcode, shown on the デモ banner.
pub const PASSCODE: &str = "1234";

/// The demo app: already registered, booting into パスコード入力.
pub fn app() -> App {
    let mut salt = [0u8; 16];
    // A fixed salt would do for a demo; the OS RNG costs nothing and keeps one code path.
    if SystemRandom::new().fill(&mut salt).is_err() {
        log::warn!("no OS randomness; demo passcode salted with zeros");
    }
    let setup = DemoSetup {
        passcode: PASSCODE,
        cards: demo_cards().iter().map(|c| c.holder).collect(),
    };
    App::registered(PasscodeHash::derive(PASSCODE.as_bytes(), salt), Some(setup))
}

/// The demo's backends. `clock` gives the reference center its time (unix seconds). The
/// demo device is registered with the demo account, so a session is open.
pub fn backends(clock: impl FnMut() -> i64 + Send + 'static) -> Backends {
    Backends {
        reader: ReaderBackend::Virtual(VirtualReader::new()),
        center: Box::new(LocalCenter::registered_demo(Box::new(clock))),
        store: None,
    }
}

/// Unix seconds from the system clock.
pub fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
