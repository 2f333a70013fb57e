//! What a whole run shares (profile, Appium URL, test-control API, clock,
//! gateways, device pool, locators, identity, its open sessions, whether it
//! was asked to stop), and the one place a session is opened on a phone, for
//! a scenario or a health check, and closed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use mitid_e2e_framework::clock::Clock;
use mitid_e2e_framework::control::ControlApi;
use mitid_e2e_framework::gateways::Gateways;
use mitid_e2e_framework::identities::Identity;
use mitid_e2e_framework::locators::Locators;
use mitid_e2e_framework::phone::{Phone, PhoneError, SessionRequest};
use mitid_e2e_framework::pool::DevicePool;
use mitid_e2e_framework::profile::{PhoneProfile, Platform, Profile};
use mitid_e2e_framework::screens::{ScreenTexts, DEFAULT_LANGUAGE};

use super::sessions::OpenSessions;
use super::stop::Stop;
use super::StepFailure;

/// Everything a run shares.
pub struct RunContext {
    /// The device profile the run uses.
    pub profile: Profile,
    /// The Appium URL sessions are opened on (the embedded farm's when the
    /// profile says "embedded").
    pub appium_url: String,
    /// The test-control API (of the first lab, when phones name their own).
    pub control: ControlApi,
    /// How time passes: the virtual clock, or really waiting.
    pub clock: Clock,
    /// The SMS and push gateways the backend posts to.
    pub gateways: Gateways,
    /// The phones, leased to scenarios.
    pub pool: Arc<DevicePool>,
    /// The locators of each platform.
    pub locators: BTreeMap<Platform, Arc<Locators>>,
    /// The fixture identity the scenarios start from.
    pub identity: Identity,
    /// Counts scenarios, so each gets its own identity on the backend.
    pub(super) scenario_seq: std::sync::atomic::AtomicUsize,
    /// Every session opened and not yet closed.
    pub sessions: Arc<OpenSessions>,
    /// Whether a signal asked the run to stop.
    pub stop: Stop,
    /// The approved screen texts each session's screens are compared with
    /// (`None`: not compared).
    pub screen_texts: Option<Arc<ScreenTexts>>,
    /// Whether a scenario's phones are worked side by side: their sessions
    /// opened, their screens checked and their evidence gathered at once,
    /// as two real phones answer. Off (`MITID_E2E_ONE_PHONE_AT_A_TIME=1`)
    /// only to measure what that saves (`tests/round-trips`).
    pub side_by_side: bool,
    /// What the World tells the report beside cucumber's events.
    pub ledger: Arc<super::Ledger>,
    /// The console while the run goes: what a step prints (a real-time
    /// wait's heartbeat) goes above the runner's live display.
    pub console: Arc<dyn Console>,
}

/// Where a step's own lines go while the run shows its progress: the
/// runner's console puts them above its live display.
pub trait Console: Send + Sync {
    /// Prints a line for the person watching the run.
    fn say(&self, text: &str);
}

/// Lines printed as they come: a context no runner display is attached to.
struct PlainConsole;

impl Console for PlainConsole {
    fn say(&self, text: &str) {
        println!("{text}");
    }
}

impl RunContext {
    /// The context of a run, its device pool made from the profile's phones.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        profile: Profile,
        appium_url: String,
        control: ControlApi,
        clock: Clock,
        gateways: Gateways,
        locators: BTreeMap<Platform, Arc<Locators>>,
        identity: Identity,
    ) -> RunContext {
        let pool = DevicePool::new(profile.phones.clone());
        RunContext {
            profile,
            appium_url,
            control,
            clock,
            gateways,
            pool,
            locators,
            identity,
            scenario_seq: Default::default(),
            sessions: Default::default(),
            stop: Stop::default(),
            screen_texts: None,
            side_by_side: true,
            ledger: Default::default(),
            console: Arc::new(PlainConsole),
        }
    }

    /// Opens a session on a phone of the profile, in a role ("the old phone"),
    /// and records it in [`RunContext::sessions`].
    ///
    /// The session is created on a task of its own: should the step that
    /// asked be cancelled (its deadline, an interrupt) while the server
    /// creates it, the session is still recorded, and the run ends it.
    pub async fn open_session(&self, phone: &PhoneProfile, role: &str) -> Result<Phone, StepFailure> {
        let locators = self
            .locators
            .get(&phone.platform)
            .cloned()
            .ok_or_else(|| StepFailure::error(format!("no locators for {}", phone.platform.name())))?;
        let url = self.appium_url.clone();
        let role = role.to_owned();
        let udid = phone.udid.clone();
        let platform = phone.platform;
        let app_id = self.profile.app.id(platform).to_owned();
        let capabilities = self.profile.capabilities(phone);
        // The app's texts are in the language the phone is started in.
        let language =
            capabilities.get("appium:language").and_then(|l| l.as_str()).unwrap_or(DEFAULT_LANGUAGE).to_owned();
        let screen_texts = self.screen_texts.clone();
        let (connect_timeout, find_timeout) = (self.profile.timeouts.connect(), self.profile.timeouts.find());
        let sessions = self.sessions.clone();
        let opening = sessions.opening();
        let task = tokio::spawn(async move {
            let _opening = opening;
            let mut phone = Phone::connect(SessionRequest {
                url: &url,
                role: &role,
                udid: &udid,
                platform,
                app_id: &app_id,
                capabilities,
                locators,
                connect_timeout,
                find_timeout,
            })
            .await?;
            if let Some(texts) = screen_texts {
                phone.check_screen_texts(texts, &language);
            }
            sessions.opened(&phone);
            Ok::<_, PhoneError>(phone)
        });
        match task.await {
            Ok(opened) => Ok(opened?),
            Err(e) => Err(StepFailure::error(format!("opening a session on {} stopped: {e}", phone.udid))),
        }
    }

    /// Closes a session ([`Phone::close`]) and, once it is closed, forgets it.
    pub async fn close_session(&self, phone: &mut Phone) -> Result<(), PhoneError> {
        phone.close().await?;
        self.sessions.closed(phone);
        Ok(())
    }

    /// Where the identities and locators are.
    pub fn fixtures_dir(root: &std::path::Path) -> PathBuf {
        root.join("fixtures")
    }
}

/// The run the Worlds belong to. cucumber makes Worlds with no arguments
/// (`World::new()`), so the context is set here before the run starts: the
/// runner's one process-wide state. Everything else a run shares (the
/// ledger, the console's progress, the sessions, the scenario names) hangs
/// off this context or the recorder, so two runs in one process (the
/// tests') never see each other's.
static CONTEXT: RwLock<Option<Arc<RunContext>>> = RwLock::new(None);

/// Sets (or, with `None`, clears) the run the next Worlds belong to.
pub fn set_context(ctx: Option<Arc<RunContext>>) {
    *CONTEXT.write().unwrap_or_else(|p| p.into_inner()) = ctx;
}

pub(super) fn context() -> Option<Arc<RunContext>> {
    CONTEXT.read().unwrap_or_else(|p| p.into_inner()).clone()
}
