//! The scenario's phones: leased from the pool by what its tags need, a
//! session opened on first use, checked after a failure, and given back
//! when the scenario ends, whatever happened.

use std::time::Duration;

use mitid_e2e_framework::control::ControlApi;
use mitid_e2e_framework::identities::Identity;
use mitid_e2e_framework::phone::Phone;
use mitid_e2e_framework::pool::Need;
use mitid_e2e_framework::profile::{Form, PhoneProfile, Platform};
use mitid_e2e_framework::secret::{Secret, SecretKind};

use super::{CopyWorld, Role, StepFailure, StepResult};

/// What a scenario's tags (without `@`) ask of its phones: `@android`,
/// `@ios` (every phone's platform), `@android-11` (the old phone on Android
/// 11), `@old-tablet` / `@old-phone` and `@new-tablet` / `@new-phone` (what
/// the old and the new device are), `@third-phone` (a third device on the rig).
pub fn need_of<'a>(tags: impl IntoIterator<Item = &'a str>) -> Need {
    let mut need = Need { platform: None, first_os: None, count: 2, old_form: None, new_form: None };
    for tag in tags {
        match tag {
            "android" => need.platform = Some(Platform::Android),
            "ios" => need.platform = Some(Platform::Ios),
            "old-tablet" => need.old_form = Some(Form::Tablet),
            "old-phone" => need.old_form = Some(Form::Phone),
            "new-tablet" => need.new_form = Some(Form::Tablet),
            "new-phone" => need.new_form = Some(Form::Phone),
            "third-phone" => need.count = 3,
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

impl CopyWorld {
    /// What the scenario's tags ask of the phones ([`need_of`]).
    pub fn need(&self) -> Need {
        need_of(self.tags.iter().map(String::as_str))
    }

    /// Leases the scenario's phones (once) and resets them to a fresh app.
    pub async fn lease(&mut self) -> Result<(), StepFailure> {
        if self.lease.is_some() {
            return Ok(());
        }
        let need = self.need();
        let lease = self.ctx.pool.lease(&need, self.ctx.profile.timeouts.lease(), &self.scenario_name).await?;
        for p in lease.phones() {
            self.control_of(p).reset_phone(&p.udid).await?;
        }
        crate::history::leases::note(self.scenario.0.as_deref(), self.scenario.1, &lease.phones());
        // From here on, what reaches these phones is this scenario's.
        self.messages_from = self.ctx.gateways.mark().await;
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
        self.ctx.clock.pass(by, &self.control()?, &udids, &self.scenario_name, crate::report::progress::say).await?;
        Ok(())
    }

    /// Lets time pass for one of the scenario's phones only: another
    /// person's copy waits its hour while this scenario's phones do not.
    pub async fn pass_time_on(&self, role: Role, by: Duration) -> StepResult {
        let udids = [self.phone_profile(role)?.udid];
        self.ctx.clock.pass(by, &self.control()?, &udids, &self.scenario_name, crate::report::progress::say).await?;
        Ok(())
    }

    /// The profile of the phone leased in `role`.
    pub fn phone_profile(&self, role: Role) -> Result<PhoneProfile, StepFailure> {
        let lease = self.lease.as_ref().ok_or_else(|| StepFailure::error("no phones leased for this scenario"))?;
        let index = match role {
            Role::Old => 0,
            Role::New => 1,
            Role::Third => 2,
        };
        lease
            .phones()
            .get(index)
            .map(|p| (*p).clone())
            .ok_or_else(|| StepFailure::error(format!("the scenario has no {}", role.name())))
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

    /// Closes every session this scenario opened, all at once. Called when a
    /// step runs past its deadline and when the scenario ends, whatever
    /// happened (also after an interrupt).
    pub async fn close_sessions(&mut self) {
        let tasks: Vec<_> = std::mem::take(&mut self.phones)
            .into_iter()
            .map(|(role, mut phone)| {
                let ctx = self.ctx.clone();
                tokio::spawn(async move {
                    let closed = ctx.close_session(&mut phone).await;
                    (role, phone, closed)
                })
            })
            .collect();
        for task in tasks {
            match task.await {
                Ok((role, phone, closed)) => {
                    if let Err(e) = closed {
                        tracing::warn!("{e}");
                    }
                    // Kept, closed: a later step says the session is closed
                    // rather than open a new one.
                    self.phones.insert(role, phone);
                }
                Err(e) => tracing::warn!("closing a session stopped: {e}"),
            }
        }
    }

    /// After a failed scenario: can each of its phones still start a session
    /// and show a screen? One that cannot is quarantined for the rest of the
    /// run, with the reason in the report. Not done once the run is asked
    /// to stop, and given up when it is asked during the check (the check's
    /// session is then ended by the run).
    pub async fn health_check(&mut self) {
        let Some(lease) = &self.lease else { return };
        let phones: Vec<PhoneProfile> = lease.phones().into_iter().cloned().collect();
        let stop = self.ctx.stop.clone();
        for profile in phones {
            if stop.requested().is_some() {
                return;
            }
            let check = async {
                let mut phone = self.ctx.open_session(&profile, "health check").await?;
                let shown = phone.source().await.map(|_| ());
                let closed = self.ctx.close_session(&mut phone).await;
                shown.and(closed).map_err(StepFailure::from)
            };
            let deadline = self.ctx.profile.timeouts.connect() * 2;
            let checked = tokio::select! {
                checked = tokio::time::timeout(deadline, check) => checked,
                _ = stop.wait() => return,
            };
            let reason = match checked {
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
