//! The cucumber World: one scenario's state. A step author needs only
//! [`CopyWorld::here`] (the phone I hold), [`CopyWorld::identity`] and the
//! flow's fields; the rest lives beside it:
//!
//! - [`context`]: what the whole run shares, and opening a session;
//! - [`failure`]: what a failed step is;
//! - [`evidence`]: what a failing step leaves behind;
//! - [`ledger`]: what the World tells the report beside cucumber's events,
//!   with the [`leases`] and [`requests`] it counts;
//! - [`phones`]: leasing, health checks and release of the scenario's phones;
//! - [`sessions`]: every session the run has open, so that none outlives it;
//! - [`stop`]: whether the run has been asked to stop.

pub mod context;
pub mod evidence;
pub mod failure;
pub mod leases;
pub mod ledger;
pub mod phones;
pub mod requests;
pub mod sessions;
pub mod stop;

use std::collections::BTreeMap;
use std::sync::Arc;

use mitid_e2e_framework::control::Provisioning;
use mitid_e2e_framework::gateways::Mark;
use mitid_e2e_framework::identities::Identity;
use mitid_e2e_framework::phone::Phone;
use mitid_e2e_framework::pool::Lease;
use mitid_e2e_framework::secret::Secret;

use crate::documented::{Doc, Proof, Way};

pub use context::{set_context, Console, RunContext};
pub use evidence::{Attachment, ScenarioKey};
pub(crate) use failure::fail;
pub use failure::{StepFailure, StepPanic, StepResult, Verdict};
pub use ledger::{Ledger, PassingStep};

/// Which phone a step means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// The phone the MitID app is copied from.
    Old,
    /// The phone it is copied to.
    New,
    /// A third device near them, another person's (`@third-phone`).
    Third,
}

impl Role {
    /// How a message names it: "the old phone".
    pub fn name(self) -> &'static str {
        match self {
            Role::Old => "the old phone",
            Role::New => "the new phone",
            Role::Third => "the third phone",
        }
    }
}

/// What a phone was sent so far: commands that may change its screen, and
/// requests that look at it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhoneCounts {
    /// Commands that may change its screen.
    pub changes: u64,
    /// Requests that look at its screen ([`Phone::looks`]).
    pub looks: u64,
}

/// One scenario's state, in four groups: which scenario it is, its phones,
/// what the flow has seen and kept from step to step, and what it leaves
/// for the report.
#[derive(cucumber::World)]
#[world(init = Self::create)]
pub struct CopyWorld {
    /// What the whole run shares.
    pub ctx: Arc<RunContext>,
    /// Which scenario this is, and how far it has got.
    pub scenario: ScenarioMeta,
    // --- Its phones.
    pub(crate) lease: Option<Lease>,
    /// The sessions open on this scenario's phones, by role.
    pub phones: BTreeMap<Role, Phone>,
    /// The phone "I" am holding now; steps without "on my X phone" act on it.
    pub current: Role,
    /// What the flow has seen and kept so far.
    pub flow: FlowState,
    /// What the scenario leaves for the report.
    pub evidence: Gathered,
}

/// Which scenario a World is, and how far it has got (set before it starts).
#[derive(Debug, Default)]
pub struct ScenarioMeta {
    /// Where this scenario is.
    pub key: ScenarioKey,
    /// The scenario as messages name it: "'its name' (file:line)".
    pub name: String,
    /// The scenario's tags (without `@`): they pick its phones.
    pub tags: Vec<String>,
    /// How many steps have begun: none when the run is asked to stop means
    /// the scenario never began (not run), else it was interrupted.
    pub steps_begun: usize,
    /// How many steps the scenario has, its Backgrounds' with it: at the
    /// last, every phone another phone's step may have moved on is read.
    pub steps_total: usize,
}

/// What the flow has seen and kept from one step to the next. Secrets in
/// it (the identity, the QR payload, PIN codes) are redacted wherever
/// they are shown, and it has no Debug of its own.
#[derive(Default)]
pub struct FlowState {
    /// This scenario's identity: the fixture's, made unique per scenario so
    /// scenarios can run side by side on one backend.
    pub identity: Option<Identity>,
    /// SMS messages that had arrived before this scenario's copy began.
    pub sms_seen: usize,
    /// The payload decoded from the old phone's QR code.
    pub qr_payload: Option<Secret>,
    /// Where the gateways' logs stood when this scenario got its phones:
    /// they serve the whole run, so the scenario's own messages are the
    /// ones after this mark, to its phone number and its phones.
    pub messages_from: Mark,
    /// A picture (PNG) of the old phone's QR code, taken to be scanned later.
    pub qr_picture: Option<Vec<u8>>,
    /// How many active apps the person has on phones outside the farm.
    pub apps_elsewhere: usize,
    /// A temporary PIN code kept from an earlier attempt of the copy.
    pub earlier_temporary_pin: Option<Secret>,
    /// Another person with MitID, provisioned to try their user ID.
    pub other_person: Option<Identity>,
    /// The old phone's beacon as the host adapter last heard it (its token
    /// is a secret).
    pub beacon: Option<mitid_e2e_framework::bluetooth::Sighting>,
    /// Whether the old phone was asked to show the QR code (step 8): the
    /// PIN code it asks for next is step 9's, not step 5's.
    pub qr_asked: bool,
    /// The phones this scenario switched a farm fault on for: their faults
    /// are switched off when it ends ([`CopyWorld::end_faults`]).
    pub faulted: BTreeMap<String, mitid_e2e_framework::control::ControlApi>,
}

/// What a scenario leaves for the report.
#[derive(Default)]
pub struct Gathered {
    /// Evidence: a failing step's, and the Bluetooth trace.
    pub attachments: Vec<Attachment>,
    /// What the running step has proved of the documentation so far
    /// ([`CopyWorld::proves`]); the report counts it if the step passes.
    pub proved: Vec<Proof>,
}

// Secrets stay out of Debug: cucumber prints the World on failure.
impl std::fmt::Debug for CopyWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyWorld")
            .field("phones", &self.phones.iter().map(|(r, p)| (r.name(), p.udid().to_owned())).collect::<Vec<_>>())
            .field("current", &self.current)
            .field("identity", &self.flow.identity.as_ref().map(|_| "[IDENTITY]"))
            .finish_non_exhaustive()
    }
}

impl CopyWorld {
    async fn create() -> anyhow::Result<CopyWorld> {
        let ctx =
            context::context().ok_or_else(|| anyhow::anyhow!("no run context: the World was made outside a run"))?;
        Ok(CopyWorld {
            ctx,
            scenario: ScenarioMeta::default(),
            lease: None,
            phones: BTreeMap::new(),
            current: Role::Old,
            flow: FlowState::default(),
            evidence: Gathered::default(),
        })
    }

    /// Compares what each of the scenario's phones shows now with its
    /// approved texts, reading each at once with the others, as two real
    /// phones answer side by side.
    ///
    /// A phone is read only if something may have changed it since it was
    /// last read ([`Phone::check_screen`]). A command to one phone can move
    /// another on through the backend (the old phone's 'Your MitID app has
    /// been copied' once the new one is activated): after a step that sent
    /// a phone such a command, each other phone is marked as maybe moved
    /// on, and read when a step looks at it, before the next command that
    /// may change its screen, or as the scenario's last step ends, not
    /// after every step of the other phone: most of those reads would find
    /// the screen it was left on. (What the test-control API does, time
    /// passing, a QR code held up, is read at once: see
    /// [`CopyWorld::control`].)
    ///
    /// `before`: each phone's counts when the step began.
    pub async fn check_screens(&self, before: &BTreeMap<Role, PhoneCounts>) -> StepResult {
        let was = |role: &Role| before.get(role).copied().unwrap_or_default();
        let acted = |role: &Role, p: &Phone| p.changes() > was(role).changes;
        if self.phones.iter().any(|(r, p)| acted(r, p)) {
            for (role, phone) in &self.phones {
                // A phone no step has acted on yet shows the screen its
                // session opened on, which no step reached: nothing to read.
                if !acted(role, phone) && phone.changes() > 0 {
                    phone.may_have_moved_on();
                }
            }
        }
        let last = self.scenario.steps_total > 0 && self.scenario.steps_begun >= self.scenario.steps_total;
        let checks = self.phones.iter().filter(|(_, p)| !p.is_closed()).map(|(role, p)| {
            // A phone the step looked at (a find, a read) is checked as it is now.
            let looked = p.looks() > was(role).looks;
            p.check_screen(last || looked)
        });
        for outcome in each(self.ctx.side_by_side, checks).await {
            outcome?;
        }
        Ok(())
    }

    /// Each of the scenario's phones' counts so far, for
    /// [`CopyWorld::check_screens`] at the step's end.
    pub fn phone_counts(&self) -> BTreeMap<Role, PhoneCounts> {
        self.phones.iter().map(|(r, p)| (*r, PhoneCounts { changes: p.changes(), looks: p.looks() })).collect()
    }

    /// Records that the running step did documented step `doc`, by `way`
    /// where the help page names alternatives: the coverage counts it
    /// once the step passes. A step calls it after it acted on the phone.
    /// What is done on another person's device (`@third-phone`) proves
    /// nothing of my copy.
    pub fn proves(&mut self, doc: Doc, way: Option<Way>) {
        if self.current != Role::Third {
            self.evidence.proved.push(Proof::new(doc, way));
        }
    }

    /// The alternative "phone or tablet" that `role`'s device is.
    pub fn form_of(&self, role: Role) -> Result<Way, StepFailure> {
        Ok(Way::Form(self.phone_profile(role)?.form))
    }

    /// The person this scenario copies the app of.
    pub fn identity(&self) -> Result<&Identity, StepFailure> {
        self.flow.identity.as_ref().ok_or_else(|| StepFailure::error("no identity: the Background did not run"))
    }

    /// Provisions the person on the backend: an activated app on the old
    /// phone, and `elsewhere` more active apps on other phones.
    pub async fn provision(&mut self, elsewhere: usize) -> StepResult {
        self.lease().await?;
        self.flow.apps_elsewhere = elsewhere;
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
}

/// Runs one future per phone: all at once when `side_by_side`, else one
/// after the other in order ([`RunContext::side_by_side`]).
async fn each<F: std::future::Future>(side_by_side: bool, futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    if side_by_side {
        return futures::future::join_all(futures).await;
    }
    let mut outputs = Vec::new();
    for future in futures {
        outputs.push(future.await);
    }
    outputs
}
