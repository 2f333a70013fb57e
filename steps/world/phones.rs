//! The scenario's phones: leased from the pool by what its tags need, a
//! session opened on first use, checked after a failure, and given back
//! when the scenario ends, whatever happened.

use std::time::Duration;

use mitid_e2e_framework::control::ControlApi;
use mitid_e2e_framework::identities::Identity;
use mitid_e2e_framework::phone::Phone;
use mitid_e2e_framework::pool::{DeviceNeed, Need};
use mitid_e2e_framework::profile::{Biometric, Form, PhoneProfile, Platform};
use mitid_e2e_framework::secret::{Secret, SecretKind};

use super::{CopyWorld, Role, StepFailure, StepResult};

/// What a scenario's tags (without `@`) ask of its devices.
///
/// - `@android`, `@ios`: every device of that platform.
/// - `@android-11`, `@ios-17.5`: the old phone on that OS version, every
///   device of that platform.
/// - `@old-…`, `@new-…`: one role, followed by a platform (`android`,
///   `ios`), a platform and version (`android-11`), a form (`phone`,
///   `tablet`) or a biometric (`fingerprint`, `touch-id`, `face-id`):
///   `@old-ios @new-android` copies from an iPhone to an Android phone.
/// - `@third-phone`: a third device on the rig (another person's).
///
/// Tags that ask two things of one device (`@ios @new-android`,
/// `@new-ios @new-fingerprint`) are an error, in words.
pub fn need_of<'a>(tags: impl IntoIterator<Item = &'a str>) -> Result<Need, String> {
    let mut need = Need::any(2);
    for tag in tags {
        if tag == "third-phone" {
            need.count = 3;
        } else if let Some(spec) = tag.strip_prefix("old-") {
            if let Some(ask) = device_spec(spec) {
                ask.apply(&mut need.old, "old", tag)?;
            }
        } else if let Some(spec) = tag.strip_prefix("new-") {
            if let Some(ask) = device_spec(spec) {
                ask.apply(&mut need.new, "new", tag)?;
            }
        } else if let Some(DeviceSpec::Platform(p, version)) = device_spec(tag) {
            for (d, role) in [(&mut need.old, "old"), (&mut need.new, "new"), (&mut need.others, "other")] {
                DeviceSpec::Platform(p, None).apply(d, role, tag)?;
            }
            if let Some(v) = version {
                DeviceSpec::Platform(p, Some(v)).apply(&mut need.old, "old", tag)?;
            }
        }
    }
    for (d, role) in [(&need.old, "old"), (&need.new, "new")] {
        if let (Some(p), Some(b)) = (d.platform, d.biometric) {
            if !biometric_of(p).contains(&b) {
                return Err(format!(
                    "the tags ask for the {role} device to be {} with {}: no such device",
                    p.name(),
                    b.name()
                ));
            }
        }
    }
    Ok(need)
}

/// The biometrics a platform's devices can have.
fn biometric_of(p: Platform) -> &'static [Biometric] {
    match p {
        Platform::Android => &[Biometric::Fingerprint],
        Platform::Ios => &[Biometric::TouchId, Biometric::FaceId],
    }
}

/// One thing a tag asks of a device.
enum DeviceSpec {
    Platform(Platform, Option<String>),
    Form(Form),
    Biometric(Biometric),
}

/// What a tag's device part (`ios`, `android-11`, `tablet`, `touch-id`) asks; `None`: not a device tag.
fn device_spec(spec: &str) -> Option<DeviceSpec> {
    let platform = |name: &str| match name {
        "android" => Some(Platform::Android),
        "ios" => Some(Platform::Ios),
        _ => None,
    };
    Some(match spec {
        "phone" => DeviceSpec::Form(Form::Phone),
        "tablet" => DeviceSpec::Form(Form::Tablet),
        "fingerprint" => DeviceSpec::Biometric(Biometric::Fingerprint),
        "touch-id" => DeviceSpec::Biometric(Biometric::TouchId),
        "face-id" => DeviceSpec::Biometric(Biometric::FaceId),
        _ => match spec.split_once('-') {
            Some((name, version)) => DeviceSpec::Platform(platform(name)?, Some(version.to_owned())),
            None => DeviceSpec::Platform(platform(spec)?, None),
        },
    })
}

impl DeviceSpec {
    /// Asks it of `d`, the `role` device; asking another value of what an
    /// earlier tag asked is a contradiction.
    fn apply(self, d: &mut DeviceNeed, role: &str, tag: &str) -> Result<(), String> {
        fn set<T: PartialEq + Clone>(
            slot: &mut Option<T>,
            v: T,
            what: impl Fn(&T) -> String,
            role: &str,
            tag: &str,
        ) -> Result<(), String> {
            match slot {
                Some(old) if *old != v => Err(format!(
                    "@{tag} asks for the {role} device to be {}, and another tag of the scenario asks for {}",
                    what(&v),
                    what(old)
                )),
                _ => {
                    *slot = Some(v);
                    Ok(())
                }
            }
        }
        match self {
            DeviceSpec::Platform(p, version) => {
                set(&mut d.platform, p, |p| p.name().to_owned(), role, tag)?;
                if let Some(v) = version {
                    set(&mut d.os_version, v, |v| format!("on OS version {v}"), role, tag)?;
                }
                Ok(())
            }
            DeviceSpec::Form(f) => set(&mut d.form, f, |f| format!("a {}", f.name()), role, tag),
            DeviceSpec::Biometric(b) => set(&mut d.biometric, b, |b| format!("with {}", b.name()), role, tag),
        }
    }
}

impl CopyWorld {
    /// What the scenario's tags ask of the phones ([`need_of`]).
    pub fn need(&self) -> Result<Need, StepFailure> {
        need_of(self.scenario.tags.iter().map(String::as_str)).map_err(StepFailure::error)
    }

    /// Leases the scenario's phones (once) and resets them to a fresh app.
    pub async fn lease(&mut self) -> Result<(), StepFailure> {
        if self.lease.is_some() {
            return Ok(());
        }
        let need = self.need()?;
        let lease = self.ctx.pool.lease(&need, self.ctx.profile.timeouts.lease(), &self.scenario.name).await?;
        for p in lease.phones() {
            self.control_of(p).reset_phone(&p.udid).await?;
        }
        self.ctx.ledger.note_lease(self.scenario.key.file.as_deref(), self.scenario.key.line, &lease.phones());
        // From here on, what reaches these phones is this scenario's.
        self.flow.messages_from = self.ctx.gateways.mark().await;
        self.lease = Some(lease);
        let seq = self.ctx.scenario_seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let base = &self.ctx.identity;
        // A lab backend's identities are real and fixed; only a farm we
        // provision (embedded, or a profile that says so) can hand each
        // scenario its own.
        if !self.ctx.profile.control.is_embedded() && !self.ctx.profile.identity_per_scenario {
            self.flow.identity = Some(base.clone());
            return Ok(());
        }
        self.flow.identity = Some(Identity {
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
    ///
    /// What the test-control API does (time passing, a phone moved or
    /// switched) may change any of the scenario's screens: each is read
    /// again at the step's end.
    pub fn control(&self) -> Result<ControlApi, StepFailure> {
        let api = self.control_of(&self.phone_profile(Role::Old)?);
        self.screens_may_have_changed();
        Ok(api)
    }

    /// The test-control API, for what shows on no screen: a question (is
    /// this token bound?), a system switch (Bluetooth on an iPhone's rig).
    pub fn control_unseen(&self) -> Result<ControlApi, StepFailure> {
        Ok(self.control_of(&self.phone_profile(Role::Old)?))
    }

    /// Every phone of the scenario is read again at its next screen check.
    pub fn screens_may_have_changed(&self) {
        for phone in self.phones.values() {
            phone.may_have_changed();
        }
    }

    /// Lets time pass for this scenario's phones.
    pub async fn pass_time(&self, by: Duration) -> StepResult {
        let udids: Vec<String> =
            self.lease.as_ref().map(|l| l.phones().iter().map(|p| p.udid.clone()).collect()).unwrap_or_default();
        let say = |text: &str| self.ctx.console.say(text);
        self.ctx.clock.pass(by, &self.control()?, &udids, &self.scenario.name, &say).await?;
        Ok(())
    }

    /// Lets time pass for one of the scenario's phones only: another
    /// person's copy waits its hour while this scenario's phones do not.
    pub async fn pass_time_on(&self, role: Role, by: Duration) -> StepResult {
        let udids = [self.phone_profile(role)?.udid];
        let say = |text: &str| self.ctx.console.say(text);
        self.ctx.clock.pass(by, &self.control()?, &udids, &self.scenario.name, &say).await?;
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
    ///
    /// The old and the new phone's sessions are opened together, side by
    /// side, when the first of them is needed: on real phones a new session
    /// takes seconds, and nearly every scenario uses both.
    pub async fn phone(&mut self, role: Role) -> Result<&Phone, StepFailure> {
        if !self.phones.contains_key(&role) {
            self.lease().await?;
            let pair = [Role::Old, Role::New];
            let roles: Vec<Role> = if pair.contains(&role) {
                pair.into_iter().filter(|r| !self.phones.contains_key(r)).collect()
            } else {
                vec![role]
            };
            let profiles = roles.iter().map(|r| self.phone_profile(*r)).collect::<Result<Vec<_>, _>>()?;
            let opening = roles.iter().zip(&profiles).map(|(r, p)| self.ctx.open_session(p, r.name()));
            let opened = super::each(self.ctx.side_by_side, opening).await;
            let mut first_error = None;
            for (r, phone) in roles.into_iter().zip(opened) {
                match phone {
                    Ok(phone) => {
                        self.phones.insert(r, phone);
                    }
                    // The phone asked for fails the step; the other's is tried again when asked.
                    Err(e) if r == role => first_error = Some(e),
                    Err(e) => tracing::debug!("opening the {} session beside the {}: {e}", r.name(), role.name()),
                }
            }
            if let Some(e) = first_error {
                return Err(e);
            }
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

    /// Switches on a farm fault (`fault` without its `udid`) for the phone in
    /// `role`; it lasts until the scenario ends ([`CopyWorld::end_faults`]),
    /// so that no later scenario on that phone meets it.
    pub async fn switch_on_fault(&mut self, role: Role, mut fault: serde_json::Value) -> StepResult {
        self.phone(role).await?;
        let profile = self.phone_profile(role)?;
        let api = self.control_of(&profile);
        fault["udid"] = serde_json::Value::from(profile.udid.clone());
        // Noted first: a fault whose answer was lost is switched off too.
        self.flow.faulted.insert(profile.udid, api.clone());
        // A fault changes what the farm does next, not what a screen shows
        // now: no phone needs reading again for it.
        api.add_fault(fault).await?;
        Ok(())
    }

    /// Switches off the faults this scenario switched on, phone by phone
    /// (called as it ends, whatever happened).
    pub async fn end_faults(&mut self) {
        for (udid, api) in std::mem::take(&mut self.flow.faulted) {
            if let Err(e) = api.clear_faults_of(&udid).await {
                tracing::warn!("{e}");
            }
        }
    }

    /// Gives the phones back to the pool (also done on drop).
    pub fn release(&mut self) {
        self.lease = None;
    }
}
