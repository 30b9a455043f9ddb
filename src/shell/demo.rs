//! The demo build's wiring: the virtual reader with the demo tray's cards, the reference
//! center in-process, and an app that is either already registered (booting into パスコード
//! 入力) or fresh (booting into 利用規約, to walk through 初期登録 with the demo account).

use crate::app::passcode::PasscodeHash;
use crate::app::settings::{Registration, Settings};
use crate::app::{App, Boot, DemoSetup, DemoTrayCard, Options};
use crate::card::virtual_card::{demo_cards, VirtualReader};
use crate::center::reference::{demo_registration, LocalCenter, ReferenceCenter};
use crate::center::{Center, CenterError};
use crate::sensitive::SensitiveText;

use super::worker::{Backends, ReaderBackend};

/// The demo's login passcode, shown on the デモ banner.
pub const PASSCODE: &str = "1234";

fn demo_setup(fresh: bool) -> DemoSetup {
    use crate::center::reference::{
        DEMO_ACTIVATION_CODE, DEMO_INSTITUTION_CODE, DEMO_PASSWORD, DEMO_USER_ID,
    };
    DemoSetup {
        passcode: PASSCODE,
        cards: demo_cards()
            .iter()
            .map(|c| DemoTrayCard {
                holder: c.holder,
                shows: c.shows,
            })
            .collect(),
        account: fresh.then_some([
            DEMO_INSTITUTION_CODE,
            DEMO_USER_ID,
            DEMO_PASSWORD,
            DEMO_ACTIVATION_CODE,
        ]),
    }
}

/// The demo kiosk, already registered with the demo account: the device registers with
/// the in-process reference center now, and the app keeps the credential and refresh token
/// it was given, as after a real 初期登録 and パスコード登録. `clock` gives the center its
/// time (unix seconds).
pub fn setup(clock: impl FnMut() -> i64 + Send + 'static) -> (App, Backends) {
    setup_with(ReferenceCenter::with_demo_records(), clock)
}

/// [`setup`] with a reference center of the caller's (the demo records plus, say, a newer
/// app version, to show バージョン更新). The center must hold the demo account.
pub fn setup_with(
    center: ReferenceCenter,
    clock: impl FnMut() -> i64 + Send + 'static,
) -> (App, Backends) {
    let mut center = LocalCenter::new(center, Box::new(clock));
    let settings = register(&mut center).unwrap_or_else(|e| {
        // Cannot happen with the demo records; if it did, the demo starts at 初期登録.
        log::warn!("demo registration failed: {}", e.log_name());
        Settings {
            terms_accepted: true,
            ..Settings::default()
        }
    });
    let app = App::with_options(
        Boot::Settings(Box::new(settings)),
        options(),
        Some(demo_setup(false)),
    );
    (app, backends(center))
}

/// [`setup`] with the face folder on (`export_dir=` as the kiosk reads it from
/// config.txt): `myna-kakunin demo-export` and its tests.
pub fn setup_exporting(clock: fn() -> i64, export: super::export::ExportConfig) -> (App, Backends) {
    let (app, mut backends) = setup(clock);
    let settings = app.settings().clone();
    let app = App::with_options(
        Boot::Settings(Box::new(settings)),
        Options {
            export: true,
            ..options()
        },
        Some(demo_setup(false)),
    );
    backends.export = Some(super::export::Exporter::new(export).with_clock(clock));
    (app, backends)
}

/// Registers this device with `center` under the demo account and returns what the kiosk
/// keeps after 初期登録 and パスコード登録 (the passcode is [`PASSCODE`]): the credential and
/// refresh token the center issued. `myna-kakunin bench` uses it with the reference center
/// over HTTPS.
pub fn register(center: &mut dyn Center) -> Result<Settings, CenterError> {
    let registration = demo_registration();
    let enrollment = center.register_device(&registration)?;
    Ok(Settings {
        terms_accepted: true,
        registration: Some(Registration {
            institution_code: registration.institution_code.as_str().to_owned(),
            user_id: registration.user_id.as_str().to_owned(),
            device_credential: SensitiveText::from(enrollment.device.expose()),
            refresh_token: Some(SensitiveText::from(
                enrollment.session.refresh_token.expose(),
            )),
        }),
        passcode: Some(PasscodeHash::derive(PASSCODE.as_bytes(), salt())),
        visual_check: true,
        reader: None,
        passcode_failures: 0,
    })
}

/// The demo kiosk on a fresh device: 利用規約, then 初期登録 with the demo account shown on
/// the デモ banner.
pub fn setup_fresh(clock: impl FnMut() -> i64 + Send + 'static) -> (App, Backends) {
    let center = LocalCenter::new(ReferenceCenter::with_demo_records(), Box::new(clock));
    let app = App::with_options(
        Boot::Settings(Box::default()),
        options(),
        Some(demo_setup(true)),
    );
    (app, backends(center))
}

/// The demo's options: the defaults, with the system's randomness for the salts.
fn options() -> Options {
    Options {
        seed: super::config::system_seed(),
        ..Options::default()
    }
}

fn backends(center: LocalCenter) -> Backends {
    Backends {
        reader: ReaderBackend::Virtual(VirtualReader::new()),
        center: Box::new(center),
        store: None,
        export: None,
        clipboard: super::clipboard::system(),
    }
}

fn salt() -> [u8; 16] {
    // A fixed salt would do for a demo; the OS RNG costs nothing and keeps one code path.
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&super::config::system_seed()[..16]);
    salt
}

/// Unix seconds from the system clock.
pub fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
