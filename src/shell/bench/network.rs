//! The network part of `bench`: unlock, 目視 checks and 暗証番号 checks through the
//! production HTTPS client, with a latency-injecting proxy ([`super::proxy`]) between the
//! kiosk and the reference center, so that round trips cost what they cost on a real line.
//!
//! Everything but the network is in this process and instant on the network's scale: the
//! reference center on its own threads, the demo card on the virtual reader (the card's
//! time is the `check` part's). The app is stepped and drawn as in the `check` part.
//!
//! For each scenario it counts the requests, the TCP connections, the TLS handshakes (full
//! or resumed, from the wire) over the whole scenario, and on the critical path (from the
//! last action of the person to the result on screen) the requests, the sequential round
//! trips and the time. The first of each is "cold" (the first after the kiosk started),
//! the others warm.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::check::Timed;
use super::proxy::{Proxy, Window};
use crate::app::{App, Boot, Event, MenuItem, UiAction};
use crate::card::virtual_card::{demo_card, VirtualReader};
use crate::center::calls::{Call, CenterClient, Reply, Transport};
use crate::center::client::{ClientConfig, HttpsCenter, HttpsTransport, Trust};
use crate::center::reference::server::{self, ServerTls};
use crate::center::reference::ReferenceCenter;
use crate::center::CenterError;
use crate::shell::demo;
use crate::shell::worker::{Backends, ReaderBackend};
use crate::ui::text::Text;

const TLS_CERT_PEM: &[u8] = include_bytes!("../../../tests/pki/tls/server.cert.pem");
const TLS_KEY_PEM: &[u8] = include_bytes!("../../../tests/pki/tls/server.key.pem");
const TLS_CA_PEM: &[u8] = include_bytes!("../../../tests/pki/tls/ca.cert.pem");

/// The demo card used.
const CARD: &str = "taro";

/// The one-way delay `bench` adds when none is given (50 ms round trip).
pub const DEFAULT_DELAY_MS: u64 = 25;

/// What one scenario cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measure {
    /// Requests over the whole scenario.
    pub requests: u32,
    /// Connections and handshakes over the whole scenario.
    pub whole: Window,
    /// Requests on the critical path.
    pub critical_requests: u32,
    /// Connections, handshakes and round trips on the critical path.
    pub critical: Window,
    /// The critical path's time.
    pub critical_time: Duration,
    /// The whole scenario's time.
    pub whole_time: Duration,
}

/// One scenario, cold and warm.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scenario {
    /// Its name and where its critical path starts and ends.
    pub name: &'static str,
    /// The first after the kiosk started.
    pub cold: Measure,
    /// The others.
    pub warm: Vec<Measure>,
}

/// The network part at one delay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkReport {
    /// The one-way delay.
    pub delay: Duration,
    /// Unlock, 目視, 暗証番号.
    pub scenarios: Vec<Scenario>,
}

/// Counts the requests the kiosk sends and when.
struct Counting {
    inner: HttpsTransport,
    sent: Arc<Mutex<Vec<Instant>>>,
}

impl Transport for Counting {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn exchange(&mut self, call: &Call<'_>) -> Result<Reply, CenterError> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Instant::now());
        self.inner.exchange(call)
    }

    fn keep_warm(&mut self) -> Option<Duration> {
        self.inner.keep_warm()
    }
}

/// Runs the scenarios at `delay` (`runs` warm ones each) on a thread with a deadline.
pub fn run(delay: Duration, runs: usize) -> Result<NetworkReport, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("bench-network".into())
        .spawn(move || {
            let _ = tx.send(scenarios(delay, runs));
        })
        .map_err(|e| format!("no thread for the network part: {e}"))?;
    // Each scenario is a handful of round trips plus handshakes: 30 round trips each is far
    // more than any takes.
    let per_run = Duration::from_secs(2) + delay * 2 * 30;
    let scenarios = u32::try_from(3 * (runs + 1)).unwrap_or(u32::MAX);
    let deadline = Duration::from_secs(30) + per_run * scenarios;
    rx.recv_timeout(deadline)
        .map_err(|_| format!("the network part did not finish within {deadline:?}"))?
}

fn config(url: &str) -> ClientConfig {
    ClientConfig {
        trust: Trust::Pem(TLS_CA_PEM.to_vec()),
        ..ClientConfig::new(url)
    }
}

/// The kiosk being measured, and what watches it.
struct Rig {
    t: Timed,
    proxy: Proxy,
    sent: Arc<Mutex<Vec<Instant>>>,
}

impl Rig {
    fn measure(&self, whole_from: Instant, from: Instant, to: Instant, end: Instant) -> Measure {
        let seen = self.proxy.seen();
        let sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        let count = |a: Instant, b: Instant| {
            u32::try_from(sent.iter().filter(|&&s| s >= a && s <= b).count()).unwrap_or(u32::MAX)
        };
        Measure {
            requests: count(whole_from, end),
            whole: seen.window(whole_from, end),
            critical_requests: count(from, to),
            critical: seen.window(from, to),
            critical_time: to.duration_since(from),
            whole_time: end.duration_since(whole_from),
        }
    }

    /// The passcode typed on パスコード入力, up to 認証選択 (お知らせ closed on the way).
    fn unlock(&mut self) -> Result<Measure, String> {
        self.t.expect_screen("EnterPasscode", "before the unlock")?;
        let whole_from = Instant::now();
        let digits: Vec<u8> = demo::PASSCODE.bytes().map(|d| d - b'0').collect();
        let (last, first) = digits.split_last().ok_or("no passcode")?;
        for d in first {
            self.t.act(UiAction::Digit(*d))?;
        }
        let from = Instant::now();
        self.t.act(UiAction::Digit(*last))?;
        let to = Instant::now();
        if self.t.state() == "Notices" {
            self.t.act(UiAction::Close)?;
        }
        self.t.expect_screen("SelectAuth", "after the passcode")?;
        Ok(self.measure(whole_from, from, to, Instant::now()))
    }

    /// 目視: the card placed → 読み取り完了 (critical path) → 次へ → result → 閉じる.
    fn visual(&mut self) -> Result<Measure, String> {
        let from = Instant::now();
        self.t.feed(Event::CardPresence(true));
        self.t.settle()?;
        self.t
            .expect_screen("ReadCard(Done)", "目視: after the card was placed")?;
        let to = Instant::now();
        self.t.act(UiAction::Next)?;
        self.t.expect_screen("ShowResult", "目視: after 次へ")?;
        let end = Instant::now();
        self.t.act(UiAction::Close)?;
        self.t.feed(Event::CardPresence(false));
        self.t.expect_screen("SelectAuth", "目視: after 閉じる")?;
        Ok(self.measure(from, from, to, end))
    }

    /// 暗証番号: 次へ → OK → the PIN → 次へ (the read starts) → 読み取り完了 (critical path)
    /// → 次へ → result → 閉じる.
    fn pin(&mut self, pin: &str) -> Result<Measure, String> {
        let whole_from = Instant::now();
        self.t.act(UiAction::Next)?;
        self.t.act(UiAction::Ok)?;
        self.t
            .expect_screen("EnterPin(Typing)", "暗証番号: after OK")?;
        for d in pin.bytes() {
            self.t.act(UiAction::Digit(d - b'0'))?;
        }
        let from = Instant::now();
        self.t.act(UiAction::Next)?;
        self.t
            .expect_screen("ReadCard(Done)", "暗証番号: after 次へ")?;
        let to = Instant::now();
        self.t.act(UiAction::Next)?;
        self.t.expect_screen("ShowResult", "暗証番号: after 次へ")?;
        let end = Instant::now();
        self.t.act(UiAction::Close)?;
        self.t
            .expect_screen("SelectAuth", "暗証番号: after 閉じる")?;
        Ok(self.measure(whole_from, from, to, end))
    }

    /// The idle lock: the app's clock moves past `lock_after_minutes` (real time does not,
    /// so the connection stays as warm as a kiosk used a moment ago).
    fn lock(&mut self) -> Result<(), String> {
        self.t.ahead_ms = self.t.ahead_ms.saturating_add(31 * 60_000);
        self.t.feed(Event::Tick);
        self.t.settle()?;
        self.t.expect_screen("EnterPasscode", "after the idle lock")
    }
}

fn scenarios(delay: Duration, runs: usize) -> Result<NetworkReport, String> {
    let tls = ServerTls::from_pem(TLS_CERT_PEM, TLS_KEY_PEM)
        .map_err(|e| format!("the center's TLS: {e:?}"))?;
    let clock: server::Clock = Arc::new(demo::system_clock);
    let listen = "127.0.0.1:0"
        .parse()
        .map_err(|_| "no loopback address".to_owned())?;
    let center = server::spawn_https(listen, tls, ReferenceCenter::with_demo_records(), clock)
        .map_err(|e| format!("the reference center: {e:?}"))?;
    // 初期登録 and パスコード登録 before the kiosk starts, on a connection of their own.
    let settings = {
        let mut direct =
            HttpsCenter::new(&config(&center.url())).map_err(|e| format!("HTTPS client: {e:?}"))?;
        demo::register(&mut direct).map_err(|e| format!("registration: {}", e.log_name()))?
    };
    let proxy = Proxy::start(center.addr(), delay).map_err(|e| format!("the proxy: {e}"))?;
    let sent = Arc::new(Mutex::new(Vec::new()));
    let transport = HttpsTransport::new(&config(&format!("https://{}", proxy.addr())))
        .map_err(|e| format!("HTTPS client: {e:?}"))?;
    let client = CenterClient::with_transport(Counting {
        inner: transport,
        sent: Arc::clone(&sent),
    });
    let card = demo_card(CARD).ok_or("no demo card taro")?;
    let mut reader = VirtualReader::new();
    reader.place(card.insert());
    let backends = Backends {
        reader: ReaderBackend::Virtual(reader),
        center: Box::new(client),
        store: None,
        export: None,
        clipboard: None,
    };
    let t = Timed::new(
        App::new(Boot::Settings(Box::new(settings)), None),
        backends,
        Text::load_in_background(),
    );
    let mut rig = Rig { t, proxy, sent };

    let mut unlock = Scenario {
        name: "unlock: the last passcode digit → 認証選択",
        cold: rig.unlock()?,
        warm: Vec::new(),
    };
    let mut visual = Scenario {
        name: "目視: the card placed → 読み取り完了",
        cold: rig.visual()?,
        warm: Vec::new(),
    };
    for _ in 0..runs {
        visual.warm.push(rig.visual()?);
    }
    // The connection lost between checks (a line or NAT that dropped it): the check opens
    // a new one and resumes the TLS session.
    let mut reopened = Scenario {
        name: "目視 after the line cut the connection (every run): the card placed → 読み取り完了",
        cold: Measure::default(),
        warm: Vec::new(),
    };
    for run in 0..=runs {
        rig.proxy.cut();
        // Let the client's side see the close (the pool checks a connection before reuse).
        std::thread::sleep(Duration::from_millis(20));
        let measure = rig.visual()?;
        if run == 0 {
            reopened.cold = measure;
        } else {
            reopened.warm.push(measure);
        }
    }
    // 暗証番号 mode is switched in セキュリティ設定, behind the passcode.
    rig.t.act(UiAction::OpenMenu)?;
    rig.t.act(UiAction::Menu(MenuItem::Security))?;
    for d in demo::PASSCODE.bytes() {
        rig.t.act(UiAction::Digit(d - b'0'))?;
    }
    rig.t.expect_screen("Security", "セキュリティ設定")?;
    rig.t.act(UiAction::ToggleVisualCheck)?;
    rig.t.act(UiAction::Back)?;
    rig.t.act(UiAction::Back)?;
    rig.t.expect_screen("SelectAuth", "暗証番号 mode")?;
    rig.t.feed(Event::CardPresence(true));
    let mut pin = Scenario {
        name: "暗証番号: 次へ on the PIN pad → 読み取り完了",
        cold: rig.pin(card.pin)?,
        warm: Vec::new(),
    };
    for _ in 0..runs {
        pin.warm.push(rig.pin(card.pin)?);
    }
    for _ in 0..runs {
        rig.lock()?;
        unlock.warm.push(rig.unlock()?);
    }
    drop(rig);
    drop(center);
    Ok(NetworkReport {
        delay,
        scenarios: vec![unlock, visual, reopened, pin],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole network part once, without delay: what it counts from the wire shows the
    /// connection kept, the challenge fetched early and the TLS session resumed.
    #[test]
    fn a_warm_check_is_one_request_on_a_kept_connection() {
        let report = run(Duration::ZERO, 1).expect("the network part runs");
        let [unlock, visual, reopened, pin] = &report.scenarios[..] else {
            panic!("four scenarios: {report:?}");
        };
        // The first connection is the kiosk's only one until the line cuts it.
        assert_eq!(
            (unlock.cold.whole.connections, unlock.cold.whole.full),
            (1, 1)
        );
        // After the last passcode digit: the renewal and the お知らせ (the version was
        // fetched while typing); after an idle lock with the session fresh: the お知らせ.
        assert_eq!(unlock.cold.critical_requests, 2);
        assert_eq!(unlock.warm[0].critical_requests, 1);
        for m in [
            &visual.cold,
            &visual.warm[0],
            &pin.cold,
            &pin.warm[0],
            &unlock.warm[0],
        ] {
            assert_eq!(m.whole.connections, 0, "the kept connection: {m:?}");
        }
        for m in [&visual.warm[0], &pin.warm[0]] {
            assert_eq!(m.critical_requests, 1, "{m:?}");
            assert_eq!(m.critical.round_trips, 1, "{m:?}");
        }
        // 暗証番号: two requests in all, the challenge before 次へ.
        assert_eq!(pin.warm[0].requests, 2);
        // A connection the line cut is opened again with a resumed session.
        for m in [&reopened.cold, &reopened.warm[0]] {
            assert_eq!(
                (m.whole.connections, m.whole.full, m.whole.resumed),
                (1, 0, 1),
                "{m:?}"
            );
        }
    }
}
