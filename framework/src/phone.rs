//! One phone driven over Appium (appium-client on fantoccini): sessions,
//! bounded waits, and the screens and elements of `fixtures/locators`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use appium_client::capabilities::empty::EmptyCapabilities;
use appium_client::find::{AppiumFind, By};
use appium_client::ClientBuilder;
use fantoccini::error::CmdError;
use serde_json::Value;

use crate::countdown::{CountdownOff, Countdowns};
use crate::locators::{Locator, LocatorError, Locators};
use crate::profile::Platform;
use crate::screens::{ScreenTexts, TextsChanged};
use crate::secret::{redact, Secret};

type Connector = hyper_tls::HttpsConnector<hyper::client::HttpConnector>;

/// One connector for every session of the process: making one loads the
/// system's CA certificates, ~50 ms of CPU, which at many sessions at once
/// stalled every scenario (they share one thread).
fn shared_connector() -> Connector {
    static SHARED: std::sync::OnceLock<Connector> = std::sync::OnceLock::new();
    SHARED.get_or_init(Connector::new).clone()
}

/// How often a wait looks at the phone again.
const POLL: Duration = Duration::from_millis(100);
/// How long closing a session may take before it is ended another way.
const CLOSE_WAIT: Duration = Duration::from_secs(3);

/// What went wrong with a phone. Messages name the phone by its role and
/// are redacted: a server error that echoes a typed PIN is scrubbed.
#[derive(Debug, thiserror::Error)]
pub enum PhoneError {
    /// No Appium server answers at the URL: refused, or silent past the
    /// connect deadline.
    #[error("cannot reach the Appium server at {url} within {waited:?}: {reason}")]
    Unreachable {
        /// The server's URL.
        url: String,
        /// How long the connection was tried.
        waited: Duration,
        /// The client's error, or "no answer".
        reason: String,
    },
    /// A server answered, but made no session for the phone (a wrong udid,
    /// capabilities it cannot serve).
    #[error("the Appium server at {url} did not create a session for {role} ({udid}) with capabilities {capabilities}: {reason}")]
    SessionNotCreated {
        /// The server's URL.
        url: String,
        /// The phone's role.
        role: String,
        /// The phone's udid.
        udid: String,
        /// The capabilities asked for, as JSON, redacted.
        capabilities: String,
        /// Why, as the server (or the client) put it.
        reason: String,
    },
    /// A screen, element or text did not show up before the find deadline.
    #[error("{role}: {what} did not appear within {waited:?}; the screen shows: {shown}")]
    NotFound {
        /// The phone's role.
        role: String,
        /// What was waited for, in words ("the screen 'qr_code'").
        what: String,
        /// The find deadline.
        waited: Duration,
        /// The texts on screen then ([`summarize_source`]).
        shown: String,
    },
    /// A WebDriver command failed.
    #[error("{role}: {what} failed: {reason}")]
    Command {
        /// The phone's role.
        role: String,
        /// The command, in words ("tapping 'next'").
        what: String,
        /// The server's or client's error.
        reason: String,
    },
    /// A step named a screen or element the locator fixture lacks; the
    /// `String` is the phone's role.
    #[error("{role}: {0}", role = .1)]
    Locator(LocatorError, String),
    /// The app's screen shows texts other than the approved ones
    /// ([`crate::screens`]); the `String` names the phone.
    #[error("{phone}: {0}", phone = .1)]
    ScreenTexts(Box<TextsChanged>, String),
    /// A countdown on the app's screen is not what the phone's clock
    /// leaves of it ([`crate::countdown`]); the `String` names the phone.
    #[error("{phone}: {0}", phone = .1)]
    Countdown(CountdownOff, String),
}

/// The kinds of WebDriver request a phone is sent, for counting round
/// trips: on a real phone each is one, and they cost differently (a page
/// source is a hierarchy dump, a tap a few milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestKind {
    /// Creating or ending a session.
    Session,
    /// Finding elements.
    Find,
    /// An element's command: click, type, read its text.
    Element,
    /// The page source.
    PageSource,
    /// A screenshot.
    Screenshot,
    /// A `mobile:` method.
    Mobile,
    /// Anything else (the device log).
    Other,
}

impl RequestKind {
    /// Its name in reports: "find", "page source".
    pub fn name(self) -> &'static str {
        match self {
            RequestKind::Session => "session",
            RequestKind::Find => "find",
            RequestKind::Element => "element",
            RequestKind::PageSource => "page source",
            RequestKind::Screenshot => "screenshot",
            RequestKind::Mobile => "mobile",
            RequestKind::Other => "other",
        }
    }
}

/// How many requests of each kind a phone was sent.
pub type RequestCounts = std::collections::BTreeMap<RequestKind, u64>;

/// One phone in a scenario: "the old phone", "the new phone".
pub struct Phone {
    role: String,
    /// The server and session, to end the session over a fresh connection
    /// when the client's own is stuck behind a command that hangs.
    server: String,
    session_id: Option<String>,
    udid: String,
    platform: Platform,
    app_id: String,
    client: Option<appium_client::Client<EmptyCapabilities>>,
    locators: Arc<Locators>,
    find_timeout: Duration,
    /// The approved texts every screen passed is compared with, and the
    /// language of the app's texts.
    screen_texts: Option<(Arc<ScreenTexts>, String)>,
    /// The countdowns this phone has shown, and when each ends by its clock.
    countdowns: std::sync::Mutex<Countdowns>,
    /// The requests sent to it so far, by kind.
    requests: std::sync::Mutex<RequestCounts>,
    /// Whether something that may change its screen was sent since its
    /// page source was last read (or something else may have changed it:
    /// [`Phone::may_have_changed`]): only then is the source read again.
    changed: std::sync::atomic::AtomicBool,
    /// Whether the app was stopped ([`Phone::terminate_app`]) and not
    /// started again: then no screen of the app shows, and none is read.
    app_stopped: std::sync::atomic::AtomicBool,
    /// How many commands that may change its screen it was sent.
    changes: std::sync::atomic::AtomicU64,
    /// Whether another phone's step may have moved it on through the
    /// backend since its source was last read ([`Phone::may_have_moved_on`]):
    /// then it is read before the next command that may change its screen,
    /// when a step looks at it, and as the scenario ends.
    moved_on: std::sync::atomic::AtomicBool,
    /// Bumped by everything that may change the screen (a command that may,
    /// [`Phone::may_have_changed`], [`Phone::may_have_moved_on`]): a page
    /// source read at the same count still shows the screen.
    generation: std::sync::atomic::AtomicU64,
    /// The last page source read ([`Phone::screen_already_read`]).
    last_read: std::sync::Mutex<Option<LastRead>>,
}

/// A page source, the generation it was read at, and the app screen it
/// shows once asked (parsed once, however many waits it answers).
struct LastRead {
    generation: u64,
    source: String,
    screen: Option<Option<String>>,
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Phone").field("role", &self.role).field("udid", &self.udid).finish_non_exhaustive()
    }
}

/// What a session is opened with.
pub struct SessionRequest<'a> {
    /// The Appium server or Selenium Grid.
    pub url: &'a str,
    /// The phone's role in the scenario, for messages: "the old phone".
    pub role: &'a str,
    /// The phone's udid.
    pub udid: &'a str,
    /// The phone's platform.
    pub platform: Platform,
    /// The MitID app's package or bundle id on that platform.
    pub app_id: &'a str,
    /// The W3C capabilities ([`crate::profile::Profile::capabilities`]).
    pub capabilities: serde_json::Map<String, Value>,
    /// The locators of the phone's platform.
    pub locators: Arc<Locators>,
    /// How long reaching the server and creating the session may take.
    pub connect_timeout: Duration,
    /// How long a wait for a screen, element or text may take.
    pub find_timeout: Duration,
}

impl Phone {
    /// Opens a session. Fails within `connect_timeout` naming the URL when
    /// the server cannot be reached.
    pub async fn connect(req: SessionRequest<'_>) -> Result<Phone, PhoneError> {
        let mut caps = EmptyCapabilities::new();
        // Said in the error when no server can serve them (a Grid hub does not).
        let asked = serde_json::Value::Object(req.capabilities.clone()).to_string();
        for (k, v) in req.capabilities {
            caps.insert(k, v);
        }
        let builder = ClientBuilder::new(fantoccini::ClientBuilder::new(shared_connector()), caps);
        let started = Instant::now();
        let client = match tokio::time::timeout(req.connect_timeout, builder.connect(req.url)).await {
            Err(_) => {
                return Err(PhoneError::Unreachable {
                    url: req.url.into(),
                    waited: req.connect_timeout,
                    reason: "no answer".into(),
                })
            }
            Ok(Err(e)) => {
                let reason = redact(&e.to_string());
                let unreachable = matches!(
                    e,
                    fantoccini::error::NewSessionError::Failed(_) | fantoccini::error::NewSessionError::Lost(_)
                ) || reason.contains("onnection refused")
                    || reason.contains("error trying to connect");
                return Err(if unreachable {
                    PhoneError::Unreachable { url: req.url.into(), waited: started.elapsed(), reason }
                } else {
                    PhoneError::SessionNotCreated {
                        url: req.url.into(),
                        role: req.role.into(),
                        udid: req.udid.into(),
                        capabilities: redact(&asked),
                        reason,
                    }
                });
            }
            Ok(Ok(client)) => client,
        };
        tracing::debug!(role = req.role, udid = req.udid, "session opened");
        let session_id = client.session_id().await.ok().flatten();
        Ok(Phone {
            role: req.role.into(),
            server: req.url.trim_end_matches('/').into(),
            session_id,
            udid: req.udid.into(),
            platform: req.platform,
            app_id: req.app_id.into(),
            client: Some(client),
            locators: req.locators,
            find_timeout: req.find_timeout,
            screen_texts: None,
            countdowns: Default::default(),
            requests: std::sync::Mutex::new(RequestCounts::from([(RequestKind::Session, 1)])),
            // The screen a session opens on was reached by no step: the
            // first command that acts on the phone makes it worth a read.
            changed: std::sync::atomic::AtomicBool::new(false),
            app_stopped: std::sync::atomic::AtomicBool::new(false),
            changes: std::sync::atomic::AtomicU64::new(0),
            moved_on: std::sync::atomic::AtomicBool::new(false),
            generation: std::sync::atomic::AtomicU64::new(0),
            last_read: std::sync::Mutex::new(None),
        })
    }

    /// From now on, each screen of the app this phone passes — after a tap
    /// or the app opened — is compared with its approved
    /// texts in `language`; a difference fails that command
    /// ([`PhoneError::ScreenTexts`]).
    pub fn check_screen_texts(&mut self, texts: Arc<ScreenTexts>, language: &str) {
        self.screen_texts = Some((texts, language.to_owned()));
    }

    /// Compares the screen shown now with its approved texts (when asked
    /// to: [`Phone::check_screen_texts`]). A system screen, or one the
    /// locator map does not name, is not the app's to approve.
    ///
    /// Read only if something was sent to the phone since its source was
    /// last read, or it [may have changed](Phone::may_have_changed)
    /// otherwise, or (`moved_on_too`) another phone's step [may have moved
    /// it on](Phone::may_have_moved_on): on a real phone a page source is
    /// the dearest round trip.
    pub async fn check_screen(&self, moved_on_too: bool) -> Result<(), PhoneError> {
        if self.screen_texts.is_none() {
            return Ok(());
        }
        // Cleared before the read: what is sent while it is read counts again.
        let changed = self.changed.swap(false, std::sync::atomic::Ordering::Relaxed);
        let moved_on = moved_on_too && self.moved_on.swap(false, std::sync::atomic::Ordering::Relaxed);
        if !(changed || moved_on) || self.app_stopped.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(());
        }
        let source = match self.source().await {
            Ok(source) => source,
            Err(e) => {
                self.may_have_changed();
                return Err(e);
            }
        };
        self.check_source(&source).await
    }

    /// The page source, read for a step's own look at the screen (a
    /// message it waits for). When the approved-text check is owed a read
    /// (something may have changed the screen since it was last read), this
    /// one serves it too: one round trip, not two.
    pub async fn read_screen(&self) -> Result<String, PhoneError> {
        let owed = self.screen_texts.is_some()
            && !self.app_stopped.load(std::sync::atomic::Ordering::Relaxed)
            && (self.changed.swap(false, std::sync::atomic::Ordering::Relaxed)
                | self.moved_on.swap(false, std::sync::atomic::Ordering::Relaxed));
        let source = match self.source().await {
            Ok(source) => source,
            Err(e) => {
                if owed {
                    self.may_have_changed();
                }
                return Err(e);
            }
        };
        if owed {
            self.check_source(&source).await?;
        }
        Ok(source)
    }

    /// The approved-text check of the screen `source` shows.
    async fn check_source(&self, source: &str) -> Result<(), PhoneError> {
        let Some((texts, language)) = &self.screen_texts else { return Ok(()) };
        let shown = crate::screens::shown(source, self.platform, &self.app_id, &self.locators)
            .filter(|s| !texts.is_system(&s.screen));
        tracing::trace!(role = self.role, screen = shown.as_ref().map_or("(the system's)", |s| &s.screen), "read");
        let Some(shown) = shown else {
            self.countdowns().saw(None);
            return Ok(());
        };
        let phone = || format!("{} ({})", self.role, self.udid);
        texts.check(self.platform, language, &shown).map_err(|e| PhoneError::ScreenTexts(Box::new(e), phone()))?;
        // A countdown is read against the phone's own clock: one more
        // round trip, only on a screen that shows one.
        match (texts.countdown(&shown.screen), shown.clocks.first()) {
            (Some(spec), Some(left)) => {
                let now = self.device_millis().await?;
                self.countdowns().check(&shown.screen, spec, *left, now).map_err(|e| PhoneError::Countdown(e, phone()))
            }
            _ => {
                self.countdowns().saw(Some(&shown.screen));
                Ok(())
            }
        }
    }

    /// Says the phone's screen may have changed without a command of its
    /// own: time passed on its clock, or the test-control API changed it
    /// (the new phone scanned its QR code). Its next
    /// [`Phone::check_screen`] reads it again.
    pub fn may_have_changed(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.changed.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Says another phone's step may have moved this one on through the
    /// backend (the old phone's 'Your MitID app has been copied' once the
    /// new one is activated). It is not read at once: a read of a phone
    /// nothing was sent to is a round trip mostly wasted. It is read before
    /// the next command that may change its screen (so the screen it was
    /// moved to is checked before it is left), when a step looks at it, or
    /// as the scenario ends ([`Phone::check_screen`] with `moved_on_too`).
    pub fn may_have_moved_on(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.moved_on.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Before a command that may change the screen: reads the screen
    /// another phone's step may have moved it to, so it is checked before
    /// the command leaves it.
    async fn check_moved_on_first(&self) -> Result<(), PhoneError> {
        if self.moved_on.load(std::sync::atomic::Ordering::Relaxed) {
            self.check_screen(true).await?;
        }
        Ok(())
    }

    /// Counts one request of `kind`; `changes` says it may change the screen.
    fn sent(&self, kind: RequestKind, changes: bool) {
        // `RUST_LOG=mitid_e2e_framework::phone=trace` lists every round trip.
        tracing::trace!(role = self.role, kind = kind.name(), changes, "request");
        *self.requests.lock().unwrap_or_else(|p| p.into_inner()).entry(kind).or_default() += 1;
        if changes {
            self.changes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.may_have_changed();
            // A tap or typing acts on a screen the phone shows: the app's, again.
            if kind == RequestKind::Element {
                self.app_stopped.store(false, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }

    /// How many commands that may change its screen it was sent so far.
    pub fn changes(&self) -> u64 {
        self.changes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many requests that look at its screen (finds, element reads
    /// and actions, page sources, screenshots) were sent to it so far; a
    /// `mobile:` method or a session command does not look at the screen.
    pub fn looks(&self) -> u64 {
        let counts = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        [RequestKind::Find, RequestKind::Element, RequestKind::PageSource, RequestKind::Screenshot]
            .iter()
            .map(|k| counts.get(k).copied().unwrap_or(0))
            .sum()
    }

    /// The requests sent to the phone so far, by kind.
    pub fn requests(&self) -> RequestCounts {
        self.requests.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn countdowns(&self) -> std::sync::MutexGuard<'_, Countdowns> {
        self.countdowns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The phone's clock, in Unix milliseconds (`mobile: getDeviceTime`
    /// with moment's format `x`, as UiAutomator2 and XCUITest take it).
    pub async fn device_millis(&self) -> Result<u128, PhoneError> {
        let v = self.execute_mobile("mobile: getDeviceTime", serde_json::json!({ "format": "x" }), false).await?;
        v.as_str().and_then(|s| s.trim().parse().ok()).ok_or_else(|| PhoneError::Command {
            role: self.role.clone(),
            what: "'mobile: getDeviceTime'".into(),
            reason: format!("expected the time in Unix milliseconds (format 'x'), got {v}"),
        })
    }

    /// The phone's role in the scenario: "the old phone".
    pub fn role(&self) -> &str {
        &self.role
    }

    /// The phone's udid.
    pub fn udid(&self) -> &str {
        &self.udid
    }

    /// The phone's platform.
    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// The MitID app's package or bundle id on this phone.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    fn client(&self) -> Result<&fantoccini::Client, PhoneError> {
        self.client.as_deref().ok_or_else(|| self.command_error("a command", "the session is already closed"))
    }

    fn command_error(&self, what: &str, reason: impl std::fmt::Display) -> PhoneError {
        PhoneError::Command { role: self.role.clone(), what: what.into(), reason: redact(&reason.to_string()) }
    }

    fn element_locator(&self, name: &str) -> Result<Locator, PhoneError> {
        self.locators.element(name).cloned().map_err(|e| PhoneError::Locator(e, self.role.clone()))
    }

    fn screen_locator(&self, name: &str) -> Result<Locator, PhoneError> {
        self.locators.screen(name).cloned().map_err(|e| PhoneError::Locator(e, self.role.clone()))
    }

    async fn find_all(&self, locator: &Locator) -> Result<Vec<fantoccini::elements::Element>, PhoneError> {
        let by = By::custom_kind(&locator.strategy, &locator.value);
        self.sent(RequestKind::Find, false);
        self.client()?.find_all_by(by).await.map_err(|e| self.command_error(&format!("finding {locator}"), e))
    }

    /// Waits for an element, polling until the find deadline.
    async fn wait_for(&self, locator: &Locator, what: &str) -> Result<fantoccini::elements::Element, PhoneError> {
        let deadline = Instant::now() + self.find_timeout;
        loop {
            if let Some(el) = self.find_all(locator).await?.into_iter().next() {
                return Ok(el);
            }
            if Instant::now() >= deadline {
                return Err(PhoneError::NotFound {
                    role: self.role.clone(),
                    what: what.into(),
                    waited: self.find_timeout,
                    shown: self.screen_summary().await,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Whether an element is on screen now (no waiting).
    pub async fn has(&self, name: &str) -> Result<bool, PhoneError> {
        let l = self.element_locator(name)?;
        Ok(!self.find_all(&l).await?.is_empty())
    }

    /// Whether this screen is shown now (no waiting).
    pub async fn is_on(&self, screen: &str) -> Result<bool, PhoneError> {
        let l = self.screen_locator(screen)?;
        if self.screen_already_read().as_deref() == Some(screen) {
            return Ok(true);
        }
        Ok(!self.find_all(&l).await?.is_empty())
    }

    /// Whether an element shows exactly this text now (no waiting).
    pub async fn shows_text(&self, text: &str) -> Result<bool, PhoneError> {
        Ok(!self.find_all(&self.locators.text(text)).await?.is_empty())
    }

    /// Waits until the screen `screen` shows, up to the find deadline.
    pub async fn wait_for_screen(&self, screen: &str) -> Result<(), PhoneError> {
        let l = self.screen_locator(screen)?;
        if self.screen_already_read().as_deref() == Some(screen) {
            return Ok(());
        }
        self.wait_for(&l, &format!("the screen '{screen}'")).await.map(|_| ())
    }

    /// Waits until one of `screens` shows, up to the find deadline, and
    /// answers the first of them that does (in the order given).
    pub async fn wait_for_any_screen<'a>(&self, screens: &[&'a str]) -> Result<&'a str, PhoneError> {
        let locators = screens.iter().map(|s| Ok((*s, self.screen_locator(s)?))).collect::<Result<Vec<_>, _>>()?;
        if let Some(read) = self.screen_already_read() {
            if let Some(name) = screens.iter().find(|s| **s == read) {
                return Ok(name);
            }
        }
        let deadline = Instant::now() + self.find_timeout;
        loop {
            for (name, locator) in &locators {
                if !self.find_all(locator).await?.is_empty() {
                    return Ok(name);
                }
            }
            if Instant::now() >= deadline {
                return Err(PhoneError::NotFound {
                    role: self.role.clone(),
                    what: format!("any of the screens {}", screens.join(", ")),
                    waited: self.find_timeout,
                    shown: self.screen_summary().await,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until an element shows exactly `text`, up to the find deadline.
    pub async fn wait_for_text(&self, text: &str) -> Result<(), PhoneError> {
        self.wait_for(&self.locators.text(text), &format!("the text '{text}'")).await.map(|_| ())
    }

    /// Taps an element by its logical name.
    pub async fn tap(&self, name: &str) -> Result<(), PhoneError> {
        self.check_moved_on_first().await?;
        let l = self.element_locator(name)?;
        let el = self.wait_for(&l, &format!("'{name}'")).await?;
        self.sent(RequestKind::Element, true);
        el.click().await.map_err(|e| self.command_error(&format!("tapping '{name}'"), e))?;
        self.check_screen(true).await
    }

    /// Taps the element showing the documentation's words.
    pub async fn tap_text(&self, text: &str) -> Result<(), PhoneError> {
        self.check_moved_on_first().await?;
        let el = self.wait_for(&self.locators.text(text), &format!("'{text}'")).await?;
        self.sent(RequestKind::Element, true);
        el.click().await.map_err(|e| self.command_error(&format!("tapping '{text}'"), e))?;
        self.check_screen(true).await
    }

    /// Ticks the box or picks the option showing the documentation's words
    /// ("Yes, I want to copy", "Copy from another MitID app"). Its control's
    /// state changes, not the screen's texts (the approved texts hold no
    /// control state), and no other phone is moved by it: the screen is not
    /// read again for it; the command that leaves the screen reads where it
    /// leads, and a tick that left the screen shows in that command's find.
    pub async fn select_text(&self, text: &str) -> Result<(), PhoneError> {
        self.check_moved_on_first().await?;
        let el = self.wait_for(&self.locators.text(text), &format!("'{text}'")).await?;
        self.sent(RequestKind::Element, false);
        el.click().await.map_err(|e| self.command_error(&format!("selecting '{text}'"), e))
    }

    /// Types `text` into the field `name`. Not for secrets: see
    /// [`Phone::type_secret`].
    pub async fn type_text(&self, name: &str, text: &str) -> Result<(), PhoneError> {
        self.check_moved_on_first().await?;
        let l = self.element_locator(name)?;
        let el = self.wait_for(&l, &format!("the field '{name}'")).await?;
        self.sent(RequestKind::Element, true);
        el.send_keys(text).await.map_err(|e| self.command_error(&format!("typing into '{name}'"), e))
    }

    /// Types a secret; neither the value nor an error about it is shown.
    pub async fn type_secret(&self, name: &str, secret: &Secret) -> Result<(), PhoneError> {
        self.check_moved_on_first().await?;
        let l = self.element_locator(name)?;
        let el = self.wait_for(&l, &format!("the field '{name}'")).await?;
        self.sent(RequestKind::Element, true);
        el.send_keys(secret.expose())
            .await
            .map_err(|e| self.command_error(&format!("typing the {secret} into '{name}'"), e))
    }

    /// The text of the element `name`, waiting for it to show.
    pub async fn text_of(&self, name: &str) -> Result<String, PhoneError> {
        let l = self.element_locator(name)?;
        let el = self.wait_for(&l, &format!("'{name}'")).await?;
        self.sent(RequestKind::Element, false);
        el.text().await.map_err(|e| self.command_error(&format!("reading '{name}'"), e))
    }

    /// Whether the element `name` is enabled, waiting for it to show.
    pub async fn is_enabled(&self, name: &str) -> Result<bool, PhoneError> {
        let l = self.element_locator(name)?;
        let el = self.wait_for(&l, &format!("'{name}'")).await?;
        self.sent(RequestKind::Element, false);
        el.is_enabled().await.map_err(|e| self.command_error(&format!("reading '{name}'"), e))
    }

    /// A PNG of the screen.
    pub async fn screenshot(&self) -> Result<Vec<u8>, PhoneError> {
        self.sent(RequestKind::Screenshot, false);
        self.client()?.screenshot().await.map_err(|e| self.command_error("taking a screenshot", e))
    }

    /// The page source: the driver's XML of the screen's elements.
    pub async fn source(&self) -> Result<String, PhoneError> {
        let generation = self.generation.load(std::sync::atomic::Ordering::Relaxed);
        self.sent(RequestKind::PageSource, false);
        let source = self.client()?.source().await.map_err(|e| self.command_error("reading the page source", e))?;
        let read = LastRead { generation, source: source.clone(), screen: None };
        *self.last_read.lock().unwrap_or_else(|p| p.into_inner()) = Some(read);
        Ok(source)
    }

    /// The app screen the last page source shows, if nothing may have
    /// changed the phone since it was read: a wait for that screen needs
    /// no round trip. Only ever a yes: a screen that is not there yet may
    /// come (a system prompt a moment after the app asks), so a no is
    /// asked of the phone.
    fn screen_already_read(&self) -> Option<String> {
        let generation = self.generation.load(std::sync::atomic::Ordering::Relaxed);
        let mut last = self.last_read.lock().unwrap_or_else(|p| p.into_inner());
        let read = last.as_mut().filter(|r| r.generation == generation)?;
        let (platform, app_id, locators) = (self.platform, &self.app_id, &self.locators);
        read.screen
            .get_or_insert_with(|| crate::screens::shown(&read.source, platform, app_id, locators).map(|s| s.screen))
            .clone()
    }

    /// A `mobile:` command, as real drivers name them.
    pub async fn mobile(&self, script: &str, args: Value) -> Result<Value, PhoneError> {
        // Reading the clock changes nothing, nor does switching Bluetooth (a
        // system setting: the app reacts when next used, and that step's
        // command reads it); every other method may.
        if ["mobile: getDeviceTime", "mobile: bluetooth"].contains(&script) {
            self.execute_mobile(script, args, false).await
        } else if script == "mobile: activateApp" {
            // Activating leaves an app in the foreground where it is, and
            // brings one from the background as it is: the read after it
            // sees whatever another phone moved it to. No read before.
            self.execute_mobile(script, args, true).await
        } else {
            self.check_moved_on_first().await?;
            self.execute_mobile(script, args, true).await
        }
    }

    async fn execute_mobile(&self, script: &str, args: Value, changes: bool) -> Result<Value, PhoneError> {
        self.sent(RequestKind::Mobile, changes);
        self.client()?.execute(script, vec![args]).await.map_err(|e| self.command_error(&format!("'{script}'"), e))
    }

    /// Brings the MitID app to the foreground, starting it if need be.
    pub async fn activate_app(&self) -> Result<(), PhoneError> {
        let args = serde_json::json!({ "appId": self.app_id, "bundleId": self.app_id });
        self.mobile("mobile: activateApp", args).await?;
        self.app_stopped.store(false, std::sync::atomic::Ordering::Relaxed);
        self.check_screen(true).await
    }

    /// Stops the MitID app.
    pub async fn terminate_app(&self) -> Result<(), PhoneError> {
        let args = serde_json::json!({ "appId": self.app_id, "bundleId": self.app_id });
        self.mobile("mobile: terminateApp", args).await?;
        // The launcher shows: nothing of the app to read until it is started.
        self.app_stopped.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// The visible texts of the screen, for error messages (redacted).
    pub async fn screen_summary(&self) -> String {
        let Ok(source) = self.source().await else {
            return "(the page source could not be read)".into();
        };
        summarize_source(&source)
    }

    /// Ends the session explicitly: appium-client's Drop does not reliably
    /// do it. Safe to call twice.
    pub async fn close(&mut self) -> Result<(), PhoneError> {
        let Some(client) = self.client.take() else { return Ok(()) };
        self.sent(RequestKind::Session, false);
        let inner: fantoccini::Client = (*client).clone();
        // fantoccini runs one command at a time: behind a hung command, its
        // close never gets its turn. Then the session is ended directly.
        let result = match tokio::time::timeout(CLOSE_WAIT, inner.close()).await {
            Ok(Ok(())) => Ok(()),
            // The session may already be gone (the farm killed it): nothing to close.
            Ok(Err(CmdError::Standard(e))) if e.error() == "invalid session id" => Ok(()),
            Ok(Err(e)) => Err(self.command_error("closing the session", e)),
            Err(_) => self.delete_session_directly().await,
        };
        // The client's Drop would send DELETE again; that is harmless.
        drop(client);
        result
    }

    async fn delete_session_directly(&self) -> Result<(), PhoneError> {
        let Some(id) = &self.session_id else {
            return Err(self.command_error("closing the session", "it hangs, and its id is unknown"));
        };
        delete_session(&self.server, id).await.map_err(|reason| self.command_error("closing the session", reason))
    }

    /// The phone's latest system log lines — logcat on Android, syslog on
    /// iOS — as its Appium driver gives them (`POST /session/:id/se/log`:
    /// the lines since the session last asked), at most `limit`, the newest
    /// last, redacted. For a failing step's evidence.
    pub async fn recent_log(&self, limit: usize) -> Result<Vec<String>, PhoneError> {
        let Some(id) = &self.session_id else {
            return Err(self.command_error("reading the device log", "the session's id is unknown"));
        };
        let kind = match self.platform {
            Platform::Android => "logcat",
            Platform::Ios => "syslog",
        };
        let url = format!("{}/session/{id}/se/log", self.server);
        self.sent(RequestKind::Other, false);
        let http = reqwest::Client::builder().no_proxy().timeout(CLOSE_WAIT).build().unwrap_or_default();
        let answer = http
            .post(&url)
            // A Selenium Grid hub wants the charset said.
            .header(reqwest::header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(serde_json::json!({ "type": kind }).to_string())
            .send()
            .await
            .map_err(|e| self.command_error("reading the device log", format!("POST {url}: {e}")))?;
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(self.command_error("reading the device log", format!("POST {url} answered {status}")));
        }
        let lines: Vec<String> = body["value"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| entry["message"].as_str())
            .map(redact)
            .collect();
        Ok(lines[lines.len().saturating_sub(limit)..].to_vec())
    }

    /// Whether [`Phone::close`] has been called.
    pub fn is_closed(&self) -> bool {
        self.client.is_none()
    }

    /// The session's id, as the server gave it (unknown if the client could
    /// not say).
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// The Appium server (or Grid hub) the session is on, without a trailing `/`.
    pub fn server(&self) -> &str {
        &self.server
    }
}

/// Ends a session by its id with a direct `DELETE {server}/session/{id}` on
/// a fresh connection, waiting at most as long as [`Phone::close`] waits:
/// for a session whose client is stuck behind a hung command, or gone. A
/// session the server no longer knows (404) counts as ended. The error says
/// what the server answered, redacted.
pub async fn delete_session(server: &str, session_id: &str) -> Result<(), String> {
    let url = format!("{}/session/{session_id}", server.trim_end_matches('/'));
    let http = reqwest::Client::builder().no_proxy().timeout(CLOSE_WAIT).build().unwrap_or_default();
    match http.delete(&url).send().await {
        Ok(r) if r.status().is_success() || r.status() == reqwest::StatusCode::NOT_FOUND => Ok(()),
        Ok(r) => Err(redact(&format!("DELETE {url} answered {}", r.status()))),
        Err(e) => Err(redact(&format!("DELETE {url}: {e}"))),
    }
}

/// "'Title' | 'Text' | \[Button\]" from a UiAutomator2 or XCUITest page source.
pub fn summarize_source(source: &str) -> String {
    let mut parts = Vec::new();
    for attr in ["text=\"", "label=\""] {
        for chunk in source.split(attr).skip(1) {
            if let Some(value) = chunk.split('"').next() {
                if !value.is_empty() && !parts.iter().any(|p: &String| p == value) {
                    parts.push(value.replace("&apos;", "'").replace("&quot;", "\"").replace("&amp;", "&"));
                }
            }
        }
    }
    if parts.is_empty() {
        "(no text)".into()
    } else {
        redact(&parts.into_iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(" | "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const APP: &str = "dk.mitid.app";

    /// A W3C server whose phone shows the MitID app's home screen.
    async fn phone_on_home() -> (MockServer, Phone) {
        let server = MockServer::start().await;
        let ok = |value: Value| ResponseTemplate::new(200).set_body_json(serde_json::json!({ "value": value }));
        Mock::given(method("POST"))
            .and(path("/session"))
            .respond_with(ok(serde_json::json!({ "sessionId": "s1", "capabilities": {} })))
            .mount(&server)
            .await;
        let source = format!(
            r#"<hierarchy><android.widget.FrameLayout package="{APP}" content-desc="home"><android.widget.TextView package="{APP}" text="Your MitID app is active"/></android.widget.FrameLayout></hierarchy>"#
        );
        Mock::given(method("GET")).and(path("/session/s1/source")).respond_with(ok(source.into())).mount(&server).await;
        // Appium answers with both keys; appium-client reads the older one.
        let element = serde_json::json!([{ "element-6066-11e4-a52e-4f735466cecf": "e1", "ELEMENT": "e1" }]);
        Mock::given(method("POST")).and(path("/session/s1/elements")).respond_with(ok(element)).mount(&server).await;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/locators");
        let phone = Phone::connect(SessionRequest {
            url: &server.uri(),
            role: "the old phone",
            udid: "p1",
            platform: Platform::Android,
            app_id: APP,
            capabilities: serde_json::Map::new(),
            locators: Arc::new(Locators::load(&dir, Platform::Android).expect("the shipped locators")),
            connect_timeout: Duration::from_secs(5),
            find_timeout: Duration::from_secs(1),
        })
        .await
        .expect("a session on the stub");
        (server, phone)
    }

    async fn finds(server: &MockServer) -> usize {
        let requests = server.received_requests().await.unwrap_or_default();
        requests.iter().filter(|r| r.url.path().starts_with("/session/s1/element")).count()
    }

    #[tokio::test]
    async fn a_wait_for_the_screen_just_read_sends_no_find_until_something_may_have_changed_it() {
        let (server, phone) = phone_on_home().await;
        phone.source().await.expect("the source");
        phone.wait_for_screen("home").await.expect("home, from the read");
        assert!(phone.is_on("home").await.expect("home, from the read"));
        assert_eq!(finds(&server).await, 0, "the read already showed 'home'");

        // Another screen is asked of the phone: a no is never taken from a read.
        assert!(phone.is_on("menu").await.expect("asked"), "the stub finds whatever is asked");
        assert_eq!(finds(&server).await, 1);

        // Time passed, or another phone moved it on: the read is stale.
        phone.may_have_changed();
        phone.wait_for_screen("home").await.expect("home, found");
        assert_eq!(finds(&server).await, 2);
        phone.source().await.expect("the source");
        phone.may_have_moved_on();
        phone.wait_for_screen("home").await.expect("home, found");
        assert_eq!(finds(&server).await, 3);
    }
}
