//! The cucumber World: one scenario's phones, identity and evidence, and
//! the run-wide context it draws on (profile, gateways, pool, clock).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use mitid_e2e_framework::clock::Clock;
use mitid_e2e_framework::control::{ControlApi, Provisioning};
use mitid_e2e_framework::gateways::Gateways;
use mitid_e2e_framework::identities::Identity;
use mitid_e2e_framework::locators::Locators;
use mitid_e2e_framework::phone::{Phone, SessionRequest};
use mitid_e2e_framework::pool::{DevicePool, Lease, Need};
use mitid_e2e_framework::profile::{PhoneProfile, Platform, Profile};
use mitid_e2e_framework::secret::{Secret, SecretKind};

/// How long gathering a phone's screenshot or page source for a failure
/// may take: a phone that hangs gives no evidence, and must not hold up the run.
const EVIDENCE_WAIT: Duration = Duration::from_secs(2);

/// What a failed step is: a message for the report (already redacted by
/// construction of the values it formats; scrubbed again on the way out).
#[derive(Debug)]
pub struct StepFailure(pub String);

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for StepFailure {
    fn from(e: E) -> Self {
        StepFailure(e.to_string())
    }
}

pub type StepResult = Result<(), StepFailure>;

/// Fails the step with a message.
macro_rules! fail {
    ($($arg:tt)*) => { return Err($crate::world::StepFailure(format!($($arg)*))) };
}
pub(crate) use fail;

/// Evidence attached to a failing step.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub name: String,
    pub mime: &'static str,
    pub data: Vec<u8>,
}

/// Where a scenario is: its feature file (as cucumber names it), line and
/// column; the key under which a passing step's attachments wait for the report.
pub type ScenarioKey = (Option<PathBuf>, usize, usize);

/// Attachments made by a step that then passed: cucumber hands its writer
/// the World only for a failed step, so a passing step's evidence (the
/// Bluetooth trace) waits here until the report records that step.
static PASSING_ATTACHMENTS: std::sync::Mutex<Vec<(ScenarioKey, Attachment)>> = std::sync::Mutex::new(Vec::new());

/// Attaches `a` to the step now running in the scenario at `key`, should it pass.
pub fn attach_to_passing_step(key: &ScenarioKey, a: Attachment) {
    PASSING_ATTACHMENTS.lock().unwrap_or_else(|p| p.into_inner()).push((key.clone(), a));
}

/// The attachments waiting for the scenario at `key`'s step that just passed.
pub fn take_passing_attachments(key: &ScenarioKey) -> Vec<Attachment> {
    let mut all = PASSING_ATTACHMENTS.lock().unwrap_or_else(|p| p.into_inner());
    let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut *all).into_iter().partition(|(k, _)| k == key);
    *all = rest;
    mine.into_iter().map(|(_, a)| a).collect()
}

/// Everything a run shares.
pub struct RunContext {
    pub profile: Profile,
    /// The Appium URL sessions are opened on (the embedded farm's when the
    /// profile says "embedded").
    pub appium_url: String,
    pub control: ControlApi,
    pub clock: Clock,
    pub gateways: Gateways,
    pub pool: Arc<DevicePool>,
    pub locators: BTreeMap<Platform, Arc<Locators>>,
    pub identity: Identity,
    /// How long a scenario may wait for free phones.
    pub lease_deadline: Duration,
    /// Counts scenarios, so each gets its own identity on the backend.
    scenario_seq: std::sync::atomic::AtomicUsize,
}

impl RunContext {
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
            lease_deadline: profile.timeouts.step() * 10,
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
            .ok_or_else(|| StepFailure(format!("no locators for {}", phone.platform.name())))?;
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

    pub fn fixtures_dir() -> PathBuf {
        PathBuf::from("fixtures")
    }
}

/// The run the Worlds belong to. cucumber makes Worlds with no arguments,
/// so the context is set here before the run starts.
static CONTEXT: RwLock<Option<Arc<RunContext>>> = RwLock::new(None);

pub fn set_context(ctx: Option<Arc<RunContext>>) {
    *CONTEXT.write().unwrap_or_else(|p| p.into_inner()) = ctx;
}

fn context() -> Option<Arc<RunContext>> {
    CONTEXT.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Which phone a step means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Old,
    New,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Old => "the old phone",
            Role::New => "the new phone",
        }
    }
}

#[derive(cucumber::World)]
#[world(init = Self::create)]
pub struct CopyWorld {
    pub ctx: Arc<RunContext>,
    lease: Option<Lease>,
    pub phones: BTreeMap<Role, Phone>,
    /// The phone "I" am holding now; steps without "on my X phone" act on it.
    pub current: Role,
    /// This scenario's identity: the fixture's, made unique per scenario so
    /// scenarios can run side by side on one backend.
    pub identity: Option<Identity>,
    /// SMS messages that had arrived before this scenario's copy began.
    pub sms_seen: usize,
    /// The payload decoded from the old phone's QR code.
    pub qr_payload: Option<Secret>,
    /// Push messages that had arrived before this scenario began: the
    /// gateways serve the whole run, so a push check counts only later ones.
    pub pushes_seen: usize,
    /// A picture (PNG) of the old phone's QR code, taken to be scanned later.
    pub qr_picture: Option<Vec<u8>>,
    /// The old phone's beacon as the host adapter last heard it (its token
    /// is a secret).
    pub beacon: Option<mitid_e2e_framework::bluetooth::Sighting>,
    pub attachments: Vec<Attachment>,
    pub tags: Vec<String>,
    /// Where this scenario is (set before it starts).
    pub scenario: ScenarioKey,
}

// Secrets stay out of Debug: cucumber prints the World on failure.
impl std::fmt::Debug for CopyWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyWorld")
            .field("phones", &self.phones.iter().map(|(r, p)| (r.name(), p.udid().to_owned())).collect::<Vec<_>>())
            .field("current", &self.current)
            .field("identity", &self.identity.as_ref().map(|_| "[IDENTITY]"))
            .finish_non_exhaustive()
    }
}

impl CopyWorld {
    async fn create() -> anyhow::Result<CopyWorld> {
        let ctx = context().ok_or_else(|| anyhow::anyhow!("no run context: the World was made outside a run"))?;
        let pushes_seen = ctx.gateways.push_messages().await.len();
        Ok(CopyWorld {
            ctx,
            lease: None,
            phones: BTreeMap::new(),
            current: Role::Old,
            identity: None,
            sms_seen: 0,
            qr_payload: None,
            pushes_seen,
            qr_picture: None,
            beacon: None,
            attachments: Vec::new(),
            tags: Vec::new(),
            scenario: (None, 0, 0),
        })
    }

    /// What the scenario's tags ask of the phones: `@android`, `@ios`,
    /// `@android-11` (the old phone on Android 11).
    pub fn need(&self) -> Need {
        let mut need = Need { platform: None, first_os: None, count: 2 };
        for tag in &self.tags {
            match tag.as_str() {
                "android" => need.platform = Some(Platform::Android),
                "ios" => need.platform = Some(Platform::Ios),
                t => {
                    if let Some(v) = t.strip_prefix("android-") {
                        need.platform = Some(Platform::Android);
                        need.first_os = Some(v.to_owned());
                    } else if let Some(v) = t.strip_prefix("ios-") {
                        need.platform = Some(Platform::Ios);
                        need.first_os = Some(v.to_owned());
                    }
                }
            }
        }
        need
    }

    /// Leases the scenario's phones (once) and resets them to a fresh app.
    pub async fn lease(&mut self) -> Result<(), StepFailure> {
        if self.lease.is_some() {
            return Ok(());
        }
        let need = self.need();
        let lease = self.ctx.pool.lease(&need, self.ctx.lease_deadline).await?;
        for p in lease.phones() {
            self.control_of(p).reset_phone(&p.udid).await?;
        }
        self.lease = Some(lease);
        let seq = self.ctx.scenario_seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let base = &self.ctx.identity;
        // A lab backend's identities are real and fixed; only a farm we
        // provision (embedded, or a profile that says so) can hand each
        // scenario its own.
        if !self.ctx.profile.control.is_embedded() && !self.ctx.profile.identity_per_scenario {
            self.identity = Some(base.clone());
            return Ok(());
        }
        self.identity = Some(Identity {
            name: base.name.clone(),
            user_id: Secret::new(SecretKind::UserId, format!("{}-{seq}", base.user_id.expose())),
            phone_number: Secret::new(SecretKind::Token, format!("{}{seq:03}", base.phone_number.expose())),
            pin: base.pin.clone(),
        });
        Ok(())
    }

    fn control_of(&self, phone: &PhoneProfile) -> ControlApi {
        match &phone.control {
            Some(url) => ControlApi::new(url),
            None => self.ctx.control.clone(),
        }
    }

    /// The test-control API of the lab this scenario's phones are in.
    pub fn control(&self) -> Result<ControlApi, StepFailure> {
        Ok(self.control_of(&self.phone_profile(Role::Old)?))
    }

    /// Lets time pass for this scenario's phones.
    pub async fn pass_time(&self, by: Duration) -> StepResult {
        let udids: Vec<String> =
            self.lease.as_ref().map(|l| l.phones().iter().map(|p| p.udid.clone()).collect()).unwrap_or_default();
        self.ctx.clock.pass(by, &self.control()?, &udids).await?;
        Ok(())
    }

    pub fn phone_profile(&self, role: Role) -> Result<PhoneProfile, StepFailure> {
        let lease = self.lease.as_ref().ok_or_else(|| StepFailure("no phones leased for this scenario".into()))?;
        let index = match role {
            Role::Old => 0,
            Role::New => 1,
        };
        lease
            .phones()
            .get(index)
            .map(|p| (*p).clone())
            .ok_or_else(|| StepFailure(format!("the scenario has no {}", role.name())))
    }

    /// The phone in a role, opening its session on first use.
    pub async fn phone(&mut self, role: Role) -> Result<&Phone, StepFailure> {
        if !self.phones.contains_key(&role) {
            self.lease().await?;
            let profile = self.phone_profile(role)?;
            let phone = self.ctx.open_session(&profile, role.name()).await?;
            self.phones.insert(role, phone);
        }
        Ok(&self.phones[&role])
    }

    /// The phone "I" am holding.
    pub async fn here(&mut self) -> Result<&Phone, StepFailure> {
        let role = self.current;
        self.phone(role).await
    }

    pub fn identity(&self) -> Result<&Identity, StepFailure> {
        self.identity.as_ref().ok_or_else(|| StepFailure("no identity: the Background did not run".into()))
    }

    pub async fn provision(&mut self, elsewhere: usize) -> StepResult {
        self.lease().await?;
        let old = self.phone_profile(Role::Old)?.udid;
        let id = self.identity()?.clone();
        self.control()?
            .provision(Provisioning {
                user_id: &id.user_id,
                phone_number: &id.phone_number,
                pin: &id.pin,
                active_apps_elsewhere: elsewhere,
                app_on: vec![old],
            })
            .await?;
        Ok(())
    }

    /// Evidence for a failing step: each open phone's screenshot (or, when
    /// it is black, its page source) and the gateway messages, redacted.
    pub async fn collect_evidence(&mut self) {
        let mut found = Vec::new();
        for (role, phone) in &self.phones {
            if phone.is_closed() {
                continue;
            }
            let name = role.name().trim_start_matches("the ").replace(' ', "-");
            if let Ok(Ok(png)) = tokio::time::timeout(EVIDENCE_WAIT, phone.screenshot()).await {
                let black = mitid_e2e_framework::qr::decode(&png) == Err(mitid_e2e_framework::qr::QrError::Black);
                found.push(Attachment { name: format!("{name} screenshot"), mime: "image/png", data: png });
                if black {
                    found.push(Attachment {
                        name: format!("{name} note"),
                        mime: "text/plain",
                        data:
                            b"The screenshot is black: the screen is protected by FLAG_SECURE. The page source follows."
                                .to_vec(),
                    });
                }
            }
            if let Ok(Ok(source)) = tokio::time::timeout(EVIDENCE_WAIT, phone.source()).await {
                let source = mitid_e2e_framework::secret::redact(&source);
                found.push(Attachment {
                    name: format!("{name} page source"),
                    mime: "application/xml",
                    data: source.into_bytes(),
                });
            }
        }
        let sms = self.ctx.gateways.sms_messages().await;
        let push = self.ctx.gateways.push_messages().await;
        if !sms.is_empty() || !push.is_empty() {
            // A temporary PIN in an SMS is made a secret before it is shown.
            let text: Vec<String> = sms
                .iter()
                .map(|m| format!("SMS {}", self.redact_sms(&m.body)))
                .chain(push.iter().map(|m| format!("push {}", m.body)))
                .collect();
            found.push(Attachment {
                name: "gateway messages".into(),
                mime: "text/plain",
                data: text.join("\n").into_bytes(),
            });
        }
        self.attachments.extend(found);
    }

    fn redact_sms(&self, body: &serde_json::Value) -> String {
        let text = body.to_string();
        if let Ok(re) = regex::Regex::new(&self.ctx.profile.gateways.temporary_pin_pattern) {
            for c in re.captures_iter(&text) {
                if let Some(g) = c.get(1) {
                    Secret::new(SecretKind::TemporaryPin, g.as_str());
                }
            }
        }
        mitid_e2e_framework::secret::redact(&text)
    }

    /// Closes every session this scenario opened. Called when a step runs
    /// past its deadline and when the scenario ends, whatever happened.
    pub async fn close_sessions(&mut self) {
        for phone in self.phones.values_mut() {
            if let Err(e) = phone.close().await {
                tracing::warn!("{e}");
            }
        }
    }

    /// After a failed scenario: can each of its phones still start a session
    /// and show a screen? One that cannot is quarantined for the rest of the
    /// run, with the reason in the report.
    pub async fn health_check(&mut self) {
        let Some(lease) = &self.lease else { return };
        let phones: Vec<PhoneProfile> = lease.phones().into_iter().cloned().collect();
        for profile in phones {
            let check = async {
                let mut phone = self.ctx.open_session(&profile, "health check").await?;
                let shown = phone.source().await.map(|_| ());
                let closed = phone.close().await;
                shown.and(closed).map_err(StepFailure::from)
            };
            let deadline = self.ctx.profile.timeouts.connect() * 2;
            let reason = match tokio::time::timeout(deadline, check).await {
                Ok(Ok(())) => continue,
                Ok(Err(e)) => format!("failed its health check after a failed scenario: {e}"),
                Err(_) => format!("did not answer its health check within {deadline:?}"),
            };
            self.ctx.pool.quarantine(&profile.udid, &mitid_e2e_framework::secret::redact(&reason));
        }
    }

    /// Gives the phones back to the pool (also done on drop).
    pub fn release(&mut self) {
        self.lease = None;
    }
}
