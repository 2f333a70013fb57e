//! What a whole run shares (profile, Appium URL, test-control API, clock,
//! gateways, device pool, locators, identity), and the one place a session
//! is opened on a phone, for a scenario or a health check.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use mitid_e2e_framework::clock::Clock;
use mitid_e2e_framework::control::ControlApi;
use mitid_e2e_framework::gateways::Gateways;
use mitid_e2e_framework::identities::Identity;
use mitid_e2e_framework::locators::Locators;
use mitid_e2e_framework::phone::{Phone, SessionRequest};
use mitid_e2e_framework::pool::DevicePool;
use mitid_e2e_framework::profile::{PhoneProfile, Platform, Profile};

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
        }
    }

    /// Opens a session on a phone of the profile, in a role ("the old phone").
    pub async fn open_session(&self, phone: &PhoneProfile, role: &str) -> Result<Phone, StepFailure> {
        let locators = self
            .locators
            .get(&phone.platform)
            .cloned()
            .ok_or_else(|| StepFailure::error(format!("no locators for {}", phone.platform.name())))?;
        Ok(Phone::connect(SessionRequest {
            url: &self.appium_url,
            role,
            udid: &phone.udid,
            platform: phone.platform,
            app_id: self.profile.app.id(phone.platform),
            capabilities: self.profile.capabilities(phone),
            locators,
            connect_timeout: self.profile.timeouts.connect(),
            find_timeout: self.profile.timeouts.find(),
        })
        .await?)
    }

    /// Where the identities and locators are.
    pub fn fixtures_dir() -> PathBuf {
        PathBuf::from("fixtures")
    }
}

/// The run the Worlds belong to. cucumber makes Worlds with no arguments,
/// so the context is set here before the run starts.
static CONTEXT: RwLock<Option<Arc<RunContext>>> = RwLock::new(None);

/// Sets (or, with `None`, clears) the run the next Worlds belong to.
pub fn set_context(ctx: Option<Arc<RunContext>>) {
    *CONTEXT.write().unwrap_or_else(|p| p.into_inner()) = ctx;
}

pub(super) fn context() -> Option<Arc<RunContext>> {
    CONTEXT.read().unwrap_or_else(|p| p.into_inner()).clone()
}
