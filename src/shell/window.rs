//! The kiosk window: winit events in, softbuffer frames out.
//!
//! Input is mapped to a [`UiAction`] through the very scene that was drawn (hit-test for
//! mouse and touch, focus order for Tab/arrows/Enter), stepped through the app, and the
//! app's commands go to the worker. Worker results come back as user events through the
//! event-loop proxy. Nothing redraws when nothing changed; a spinner on screen is the only
//! thing that schedules frames by itself.
//!
//! The same scene is the accessibility tree (`ui::access`), handed to AccessKit's adapter
//! (UI Automation on Windows; AT-SPI on Linux with feature `atspi`) while a screen reader
//! listens; its requests (press, focus) take the paths a click and the keys take.

use std::num::NonZeroU32;
use std::rc::Rc;
use std::time::{Duration, Instant};

use log::{debug, error, info, trace, warn};
use winit::application::ApplicationHandler;
use winit::dpi::{LogicalSize, PhysicalPosition};
use winit::event::{ElementState, MouseButton, StartCause, TouchPhase, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop, EventLoopProxy};
use winit::keyboard::{Key, ModifiersState, NamedKey};
use winit::window::{Fullscreen, Window, WindowId};

use crate::app::{App, Command, Event, Millis, UiAction};
use crate::card::pcsc::ReaderEvent;
use crate::ui::access::{self, Request};
use crate::ui::canvas::Canvas;
use crate::ui::keys::{self, Keyboard};
use crate::ui::render::{render, Frame};
use crate::ui::screens::{layout, view, Size};
use crate::ui::strings;
use crate::ui::text::Text;
use crate::ui::Scene;

use super::worker::{Backends, Worker};

/// How often a spinner advances.
const ANIMATION_STEP: Duration = Duration::from_millis(100);

/// How the window opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowOptions {
    /// Borderless fullscreen (the kiosk) rather than a 1280×800 window.
    pub fullscreen: bool,
    /// `--kiosk`: fullscreen without decorations, and the window ignores requests to close
    /// it (Alt+F4, the taskbar, the window manager): the way out is the app's アプリを終了
    /// (セキュリティ設定), behind the passcode.
    pub kiosk: bool,
    /// Watch PC/SC readers and report card placement to the app: `Some(preferred reader)`
    /// in production; `None` in the demo, whose virtual reader reports through the worker.
    pub watch_readers: Option<Option<String>>,
}

/// Why the shell could not run.
#[derive(Debug)]
pub enum ShellError {
    /// No display to open a window on (or the windowing library failed to start).
    Display(winit::error::EventLoopError),
    /// The worker thread could not start.
    Worker(std::io::Error),
}

/// What wakes the event loop besides the window: the app's events (worker results, card
/// readers) and the screen reader's requests.
#[derive(Debug)]
pub enum UserEvent {
    /// For the app.
    App(Event),
    /// From the accessibility adapter.
    Access(accesskit_winit::Event),
}

impl From<accesskit_winit::Event> for UserEvent {
    fn from(e: accesskit_winit::Event) -> Self {
        UserEvent::Access(e)
    }
}

/// The connection to the display and its event loop, made before the window opens.
pub struct Display(EventLoop<UserEvent>);

/// Connects to the display (X11: the connection, extensions and keymap; tens of
/// milliseconds), which the kiosk does while it loads its settings. `started` is when the
/// process started, for the log.
pub fn connect(started: Instant) -> Result<Display, ShellError> {
    let event_loop = EventLoop::<UserEvent>::with_user_event()
        .build()
        .map_err(ShellError::Display)?;
    debug!(
        "start-up: display connected {:.1} ms after start",
        ms(started.elapsed())
    );
    Ok(Display(event_loop))
}

/// Opens the window on `display` and runs until it is closed. `started` is when the
/// process started, so the first-frame log line tells start-up time as a person sees it.
pub fn run(
    Display(event_loop): Display,
    app: App,
    text: Text,
    backends: Backends,
    options: WindowOptions,
    started: Instant,
) -> Result<(), ShellError> {
    let proxy = event_loop.create_proxy();
    // The watch lives as long as the window; dropping it stops its thread.
    let _watch = options.watch_readers.clone().and_then(|preferred| {
        let proxy = event_loop.create_proxy();
        let sink = move |event: ReaderEvent| {
            let event = match event {
                ReaderEvent::Card { present } => Event::CardPresence(present),
                ReaderEvent::Readers(names) => Event::Readers(names),
                // No service means no card anyone could read.
                ReaderEvent::Service { running: false } => Event::CardPresence(false),
                ReaderEvent::Service { running: true } => return,
            };
            let _ = proxy.send_event(UserEvent::App(event));
        };
        match crate::card::pcsc::watch(preferred, sink) {
            Ok(w) => Some(w),
            Err(e) => {
                // The kiosk still works: a read tells the person what is wrong.
                error!("cannot watch the card readers: {e:?}");
                None
            }
        }
    });
    let access_proxy = event_loop.create_proxy();
    let worker = Worker::spawn(backends, move |event| {
        proxy.send_event(UserEvent::App(event)).is_ok()
    })
    .map_err(ShellError::Worker)?;
    let mut kiosk = Kiosk {
        app,
        text,
        worker: Some(worker),
        options,
        view: None,
        keyboard: Keyboard::default(),
        cursor: None,
        modifiers: ModifiersState::empty(),
        start: started,
        animating: false,
        first_frame: true,
        quit: false,
        frames: 0,
        proxy: access_proxy,
        access_active: false,
        tree: None,
    };
    let result = event_loop.run_app(&mut kiosk).map_err(ShellError::Display);
    if let Some(worker) = kiosk.worker.take() {
        worker.shutdown();
    }
    result
}

struct View {
    window: Rc<Window>,
    surface: softbuffer::Surface<Rc<Window>, Rc<Window>>,
    /// The accessibility adapter, attached before the window was first shown.
    access: accesskit_winit::Adapter,
}

struct Kiosk {
    app: App,
    text: Text,
    worker: Option<Worker>,
    options: WindowOptions,
    view: Option<View>,
    /// The focus ring and whether the keys are in use.
    keyboard: Keyboard,
    cursor: Option<PhysicalPosition<f64>>,
    modifiers: ModifiersState,
    start: Instant,
    animating: bool,
    first_frame: bool,
    /// The app asked to end (the only way out in kiosk mode).
    quit: bool,
    /// Frames drawn so far.
    frames: u64,
    /// For the accessibility adapter's requests.
    proxy: EventLoopProxy<UserEvent>,
    /// A screen reader asked for the tree (and has not let go): trees are built only then.
    access_active: bool,
    /// The tree last handed to the adapter (never logged: it holds what the screen shows).
    tree: Option<accesskit::TreeUpdate>,
}

impl Kiosk {
    fn now(&self) -> Millis {
        Millis(u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// The window's size in logical pixels and its scale factor.
    fn geometry(&self) -> Option<(Size, f32)> {
        let v = self.view.as_ref()?;
        let phys = v.window.inner_size();
        Some(layout(
            phys.width,
            phys.height,
            v.window.scale_factor() as f32,
        ))
    }

    /// Builds the scene that is on screen, for hit-testing and focus.
    fn scene(&self) -> Option<Scene<'_>> {
        let (size, _) = self.geometry()?;
        Some(view(&self.app, size, &self.text))
    }

    /// Steps the app, hands its commands to the worker and schedules a redraw.
    fn step(&mut self, event: Event) {
        let commands = self.app.step(event, self.now());
        // Quitting is the window's business (the app asked for it behind the passcode);
        // the rest is the worker's.
        let (quit, commands): (Vec<_>, Vec<_>) = commands
            .into_iter()
            .partition(|c| matches!(c, Command::Quit));
        if !quit.is_empty() {
            info!("the app asked to quit");
            self.quit = true;
        }
        if let Some(worker) = &self.worker {
            for command in commands {
                if !worker.send(command) {
                    error!("worker stopped; command dropped");
                }
            }
        }
        self.request_redraw();
    }

    fn act(&mut self, action: UiAction) {
        debug!("ui action {}", action.name());
        self.step(Event::Ui(action));
    }

    fn request_redraw(&self) {
        if let Some(v) = &self.view {
            v.window.request_redraw();
        }
    }

    fn press_at(&mut self, pos: PhysicalPosition<f64>) {
        let Some((_, scale)) = self.geometry() else {
            return;
        };
        let (x, y) = (
            (pos.x / f64::from(scale)) as i32,
            (pos.y / f64::from(scale)) as i32,
        );
        // A press on no control still tells the app someone is there (a shown result
        // stays, the idle lock waits).
        let action = self.scene().and_then(|s| s.hit(x, y));
        self.keyboard.touched();
        self.act(action.unwrap_or(UiAction::Touch));
    }

    fn key(&mut self, key: Key, text: Option<&str>) {
        let Some(key) = our_key(&key, text, self.modifiers.shift_key()) else {
            return;
        };
        let Some(scene) = self.scene() else { return };
        let mut keyboard = self.keyboard;
        let action = keyboard.press(key, self.app.state().name(), &scene);
        drop(scene);
        if keyboard != self.keyboard {
            self.keyboard = keyboard;
            self.request_redraw();
        }
        if let Some(action) = action {
            self.act(action);
        }
    }

    /// Hands `tree` to the screen reader when it differs from the last one (or `always`).
    fn publish(&mut self, tree: accesskit::TreeUpdate, always: bool) {
        if !always && self.tree.as_ref() == Some(&tree) {
            return;
        }
        if let Some(v) = self.view.as_mut() {
            let sent = tree.clone();
            v.access.update_if_active(move || sent);
        }
        self.tree = Some(tree);
    }

    /// The tree of the screen as it is now, with the focus ring where it is.
    fn current_tree(&mut self) -> Option<accesskit::TreeUpdate> {
        let (size, scale) = self.geometry()?;
        let scene = view(&self.app, size, &self.text);
        let focus = self.keyboard.ring(self.app.state().name(), &scene);
        Some(access::tree(&scene, focus, scale))
    }

    /// What the accessibility adapter reports: a screen reader wants the tree, asks a
    /// control to act, or has gone.
    fn access_event(&mut self, event: accesskit_winit::WindowEvent) {
        use accesskit_winit::WindowEvent as A;
        match event {
            A::InitialTreeRequested => {
                debug!("a screen reader asked for the accessibility tree");
                self.access_active = true;
                if let Some(tree) = self.current_tree() {
                    self.publish(tree, true);
                }
            }
            A::ActionRequested(request) => self.access_request(request),
            A::AccessibilityDeactivated => {
                debug!("the screen reader let go of the accessibility tree");
                self.access_active = false;
                self.tree = None;
            }
        }
    }

    /// A screen reader's request: Focus moves the ring as the keys do; Click presses the
    /// control as a click does (the ring stays on it, so the reader keeps its place).
    fn access_request(&mut self, request: accesskit::ActionRequest) {
        let Some(scene) = self.scene() else { return };
        let name = self.app.state().name();
        let Some(wanted) = access::request(&scene, request.action, request.target_node) else {
            debug!("accessibility request {:?} not taken", request.action);
            return;
        };
        let mut keyboard = self.keyboard;
        let (index, click) = match wanted {
            Request::Click(i) => (i, true),
            Request::Focus(i) => (i, false),
        };
        let caret = keyboard.focus_widget(name, &scene, index);
        let action = if click {
            scene.widgets[index].action
        } else {
            caret
        };
        drop(scene);
        self.keyboard = keyboard;
        self.request_redraw();
        if let Some(action) = action {
            self.act(action);
        }
    }

    fn redraw(&mut self) {
        let Some((size, scale)) = self.geometry() else {
            return;
        };
        let Some(v) = self.view.as_mut() else { return };
        let phys = v.window.inner_size();
        let (Some(w), Some(h)) = (NonZeroU32::new(phys.width), NonZeroU32::new(phys.height)) else {
            return;
        };
        if let Err(e) = v.surface.resize(w, h) {
            error!("surface resize failed: {e}");
            return;
        }
        let mut buffer = match v.surface.buffer_mut() {
            Ok(b) => b,
            Err(e) => {
                error!("no frame buffer: {e}");
                return;
            }
        };
        let scene = view(&self.app, size, &self.text);
        let frame = Frame {
            scale,
            focus: self.keyboard.ring(self.app.state().name(), &scene),
            anim_ms: u64::try_from(self.start.elapsed().as_millis()).unwrap_or(0),
        };
        self.animating = scene.is_animated();
        let tree = self
            .access_active
            .then(|| access::tree(&scene, frame.focus, scale));
        // The scene borrows the app immutably while the glyph cache needs `&mut`; both are
        // fields, so they split cleanly.
        let drawing = Instant::now();
        if let Some(mut canvas) = Canvas::new(&mut buffer, w.get(), h.get()) {
            render(&scene, &mut canvas, &mut self.text, frame);
        }
        drop(scene);
        let presenting = Instant::now();
        if let Err(e) = buffer.present() {
            error!("present failed: {e}");
        }
        self.frames += 1;
        // `myna-kakunin bench` reads these two lines (start-up, and redraws while idle).
        trace!(
            "frame {} {}x{}: drawn in {:.2} ms, presented in {:.2} ms",
            self.frames,
            w,
            h,
            ms(presenting - drawing),
            ms(presenting.elapsed())
        );
        if self.first_frame {
            self.first_frame = false;
            info!("first frame {:.1} ms after start", ms(self.start.elapsed()));
        }
        // The screen reader hears of a change once it is on screen.
        if let Some(tree) = tree {
            self.publish(tree, false);
        }
    }
}

/// A duration in milliseconds, for the log.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A winit key press as the UI's key; `text` is what the key typed, if anything.
fn our_key(key: &Key, text: Option<&str>, shift: bool) -> Option<keys::Key> {
    Some(match key {
        Key::Named(NamedKey::Tab) => keys::Key::Tab { back: shift },
        Key::Named(NamedKey::ArrowLeft) => keys::Key::Left,
        Key::Named(NamedKey::ArrowRight) => keys::Key::Right,
        Key::Named(NamedKey::ArrowUp) => keys::Key::Up,
        Key::Named(NamedKey::ArrowDown) => keys::Key::Down,
        Key::Named(NamedKey::Enter) => keys::Key::Enter,
        Key::Named(NamedKey::Space) => keys::Key::Space,
        Key::Named(NamedKey::Escape) => keys::Key::Escape,
        Key::Named(NamedKey::Backspace | NamedKey::Delete) => keys::Key::Backspace,
        Key::Named(NamedKey::PageUp) => keys::Key::PageUp,
        Key::Named(NamedKey::PageDown) => keys::Key::PageDown,
        // The typed text knows the layout and Shift; a lone character is all a form takes.
        Key::Character(c) => {
            let s = text.unwrap_or(c.as_str());
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(ch), None) => keys::Key::Char(ch),
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// Whether a request to close the window (Alt+F4, the window manager) ends the app: always,
/// except in kiosk mode, where only the app's own アプリを終了 (behind the passcode) does.
fn close_allowed(options: &WindowOptions) -> bool {
    !options.kiosk
}

impl ApplicationHandler<UserEvent> for Kiosk {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.view.is_some() {
            return;
        }
        // Hidden until the accessibility adapter is attached, as AccessKit requires.
        let mut attrs = Window::default_attributes()
            .with_visible(false)
            .with_title(strings::APP_NAME)
            .with_inner_size(LogicalSize::new(1280.0, 800.0));
        match winit::window::Icon::from_rgba(
            super::icon::ICON_RGBA.to_vec(),
            super::icon::ICON_WIDTH,
            super::icon::ICON_HEIGHT,
        ) {
            Ok(icon) => attrs = attrs.with_window_icon(Some(icon)),
            Err(e) => debug!("window icon rejected: {e}"),
        }
        if self.options.fullscreen || self.options.kiosk {
            attrs = attrs.with_fullscreen(Some(Fullscreen::Borderless(None)));
            // Without a window manager (a bare X11 kiosk session) nobody applies the
            // fullscreen state: open the window over the whole monitor anyway.
            if let Some(monitor) = event_loop.primary_monitor() {
                attrs = attrs
                    .with_inner_size(monitor.size())
                    .with_position(monitor.position());
            }
        }
        if self.options.kiosk {
            attrs = attrs.with_decorations(false);
        }
        #[cfg(windows)]
        {
            // A second launch finds this window by its class (shell::instance).
            use winit::platform::windows::WindowAttributesExtWindows;
            attrs = attrs.with_class_name(super::windows::WINDOW_CLASS);
        }
        let window = match event_loop.create_window(attrs) {
            Ok(w) => Rc::new(w),
            Err(e) => {
                error!("cannot open the window: {e}");
                event_loop.exit();
                return;
            }
        };
        let access = accesskit_winit::Adapter::with_event_loop_proxy(
            event_loop,
            &window,
            self.proxy.clone(),
        );
        window.set_visible(true);
        let surface = softbuffer::Context::new(window.clone())
            .and_then(|ctx| softbuffer::Surface::new(&ctx, window.clone()));
        match surface {
            Ok(surface) => {
                window.request_redraw();
                self.view = Some(View {
                    window,
                    surface,
                    access,
                });
                debug!(
                    "start-up: window open {:.1} ms after start",
                    ms(self.start.elapsed())
                );
            }
            Err(e) => {
                error!("cannot draw into the window: {e}");
                event_loop.exit();
            }
        }
    }

    fn new_events(&mut self, _: &ActiveEventLoop, cause: StartCause) {
        if let StartCause::ResumeTimeReached { .. } = cause {
            if self.app.next_wakeup().is_some_and(|at| at <= self.now()) {
                self.step(Event::Tick);
            }
            self.request_redraw();
        }
    }

    fn user_event(&mut self, _: &ActiveEventLoop, event: UserEvent) {
        match event {
            UserEvent::App(event) => self.step(event),
            UserEvent::Access(event) => self.access_event(event.window_event),
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        if let Some(v) = self.view.as_mut() {
            v.access.process_event(&v.window, &event);
        }
        match event {
            WindowEvent::CloseRequested if close_allowed(&self.options) => event_loop.exit(),
            WindowEvent::CloseRequested => {
                warn!("close request ignored: kiosk mode");
                if let Some(v) = &self.view {
                    // Back to the front and fullscreen, whatever the request did.
                    v.window.set_fullscreen(Some(Fullscreen::Borderless(None)));
                    v.window.focus_window();
                }
            }
            WindowEvent::RedrawRequested => self.redraw(),
            WindowEvent::Resized(_) | WindowEvent::ScaleFactorChanged { .. } => {
                self.request_redraw()
            }
            WindowEvent::ModifiersChanged(m) => self.modifiers = m.state(),
            WindowEvent::CursorMoved { position, .. } => self.cursor = Some(position),
            WindowEvent::MouseInput {
                state: ElementState::Pressed,
                button: MouseButton::Left,
                ..
            } => {
                if let Some(pos) = self.cursor {
                    self.press_at(pos);
                }
            }
            WindowEvent::Touch(touch) if touch.phase == TouchPhase::Started => {
                self.press_at(touch.location);
            }
            WindowEvent::KeyboardInput { event, .. } if event.state == ElementState::Pressed => {
                self.key(event.logical_key.clone(), event.text.as_deref());
            }
            _ => {}
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        if self.quit {
            event_loop.exit();
            return;
        }
        // Wake for the spinner or for the app's next tick, whichever comes first; otherwise
        // sleep until an event arrives (idle CPU 0).
        let animation = self.animating.then(|| Instant::now() + ANIMATION_STEP);
        let tick = self
            .app
            .next_wakeup()
            .map(|at| self.start + Duration::from_millis(at.0));
        match animation.into_iter().chain(tick).min() {
            Some(at) => event_loop.set_control_flow(ControlFlow::WaitUntil(at)),
            None => event_loop.set_control_flow(ControlFlow::Wait),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kiosk_mode_ignores_close_requests() {
        let mut options = WindowOptions {
            fullscreen: true,
            kiosk: false,
            watch_readers: None,
        };
        assert!(close_allowed(&options));
        options.kiosk = true;
        assert!(!close_allowed(&options));
    }
}
