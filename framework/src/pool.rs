//! The device pool: scenarios lease phones by what they need, and get them
//! back when the lease is dropped, whatever happened in the scenario.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::profile::{Biometric, Form, PhoneProfile, Platform};

/// What one device of a scenario must be; each `None`: any.
///
/// ```
/// use mitid_e2e_framework::pool::DeviceNeed;
/// use mitid_e2e_framework::profile::{Form, Platform};
///
/// let ipad = DeviceNeed { platform: Some(Platform::Ios), form: Some(Form::Tablet), ..DeviceNeed::default() };
/// assert_eq!(ipad.to_string(), "an iOS tablet");
/// assert_eq!(DeviceNeed::default().to_string(), "any device");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceNeed {
    /// Its platform.
    pub platform: Option<Platform>,
    /// Its OS version, exactly as the profile writes it ("11", "17.5").
    pub os_version: Option<String>,
    /// A phone or a tablet.
    pub form: Option<Form>,
    /// The biometric it has enrolled.
    pub biometric: Option<Biometric>,
}

impl DeviceNeed {
    /// Whether `phone` is such a device.
    pub fn fits(&self, phone: &PhoneProfile) -> bool {
        self.platform.is_none_or(|p| phone.platform == p)
            && self.os_version.as_deref().is_none_or(|v| phone.os_version == v)
            && self.form.is_none_or(|f| phone.form == f)
            && self.biometric.is_none_or(|b| phone.biometric() == b)
    }

    /// Whether it asks nothing.
    pub fn is_any(&self) -> bool {
        *self == DeviceNeed::default()
    }
}

impl std::fmt::Display for DeviceNeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_any() {
            return f.write_str("any device");
        }
        let mut words = Vec::new();
        if let Some(p) = self.platform {
            words.push(p.name().to_owned());
        }
        match (&self.os_version, self.platform) {
            (Some(v), Some(_)) => words.push(v.clone()),
            (Some(v), None) => words.push(format!("OS {v}")),
            (None, _) => {}
        }
        words.push(self.form.map_or("device", |f| f.name()).to_owned());
        if let Some(b) = self.biometric {
            words.push(format!("with {}", b.name()));
        }
        let text = words.join(" ");
        let article = if text.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        write!(f, "{article} {text}")
    }
}

/// What a scenario needs: `count` devices on the same rig (so within
/// Bluetooth range): the first is the old phone, the second the new one,
/// any further one another person's; each as its [`DeviceNeed`] says.
///
/// ```
/// use mitid_e2e_framework::pool::{DeviceNeed, Need};
/// use mitid_e2e_framework::profile::Platform;
///
/// let mut need = Need::any(2);
/// need.old.platform = Some(Platform::Ios);
/// need.new.platform = Some(Platform::Android);
/// assert_eq!(need.to_string(), "2 devices on one rig: the old one an iOS device, the new one an Android device");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// How many devices.
    pub count: usize,
    /// What the old phone (the first device) must be.
    pub old: DeviceNeed,
    /// What the new phone (the second device) must be.
    pub new: DeviceNeed,
    /// What every further device must be.
    pub others: DeviceNeed,
}

impl Need {
    /// `count` devices of any kind on one rig.
    pub fn any(count: usize) -> Need {
        Need { count, old: DeviceNeed::default(), new: DeviceNeed::default(), others: DeviceNeed::default() }
    }

    /// What the `i`th device (0: the old phone) must be.
    pub fn device(&self, i: usize) -> &DeviceNeed {
        match i {
            0 => &self.old,
            1 => &self.new,
            _ => &self.others,
        }
    }
}

impl std::fmt::Display for Need {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.count;
        let same = self.old == self.new && (count < 3 || self.new == self.others);
        if same {
            // "2 iOS devices on one rig", "3 devices on one rig"
            let mut kind = self.old.clone();
            let platform = kind.platform.take().map(|p| format!("{} ", p.name())).unwrap_or_default();
            write!(f, "{count} {platform}devices on one rig")?;
            if !kind.is_any() {
                write!(f, ", each {kind}")?;
            }
            return Ok(());
        }
        write!(f, "{count} devices on one rig: the old one {}, the new one {}", self.old, self.new)?;
        if count > 2 && !self.others.is_any() {
            write!(f, ", the others each {}", self.others)?;
        }
        Ok(())
    }
}

/// Why a scenario got no phones.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PoolError {
    /// No rig has such phones, busy or not: waiting would not help.
    #[error("no rig in the device profile has {need}: the scenario can never run here{quarantine}")]
    Impossible {
        /// The [`Need`], in words.
        need: String,
        /// The quarantined phones and why, when there are any, as
        /// " (quarantined: …)": they may be why the need cannot be met.
        quarantine: String,
    },
    /// Such phones exist, but stayed leased to other scenarios.
    #[error("waited {waited:?} (timeouts.lease) for {need} to be free; they stayed busy: {holders}")]
    Timeout {
        /// The [`Need`], in words.
        need: String,
        /// How long the lease waited.
        waited: Duration,
        /// The phones that would fit, and who held each when the wait ended.
        holders: String,
    },
}

/// The phones of a run.
pub struct DevicePool {
    phones: Vec<PhoneProfile>,
    state: Mutex<PoolState>,
    freed: Notify,
}

#[derive(Default)]
struct PoolState {
    /// Leased phones, and who holds each (a scenario's name and place).
    busy: BTreeMap<usize, String>,
    /// Phones taken out of the run, with why.
    quarantined: Vec<(usize, String)>,
    /// The rig to try first next time: leases rotate over the rigs, so a
    /// farm's labs all get work.
    next_rig: usize,
}

/// Phones leased to one scenario; they go back to the pool on drop.
pub struct Lease {
    pool: Arc<DevicePool>,
    indices: Vec<usize>,
}

impl Lease {
    /// The leased phones: the old phone, the new one, then any others.
    pub fn phones(&self) -> Vec<&PhoneProfile> {
        self.indices.iter().map(|&i| &self.pool.phones[i]).collect()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut state = self.pool.state.lock().unwrap_or_else(|p| p.into_inner());
        for i in &self.indices {
            state.busy.remove(i);
        }
        drop(state);
        self.pool.freed.notify_waiters();
    }
}

impl DevicePool {
    /// A pool of these phones, none leased.
    pub fn new(phones: Vec<PhoneProfile>) -> Arc<DevicePool> {
        Arc::new(DevicePool { phones, state: Mutex::new(PoolState::default()), freed: Notify::new() })
    }

    /// Every phone of the run, leased, quarantined or free.
    pub fn phones(&self) -> &[PhoneProfile] {
        &self.phones
    }

    /// Takes a phone out of the run: no scenario leases it again, and a
    /// scenario waiting for phones it can now never have is told at once.
    pub fn quarantine(&self, udid: &str, reason: &str) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = self.phones.iter().position(|p| p.udid == udid) {
            if !state.quarantined.iter().any(|(q, _)| *q == i) {
                tracing::warn!(udid, reason, "phone quarantined");
                state.quarantined.push((i, reason.to_owned()));
            }
        }
        drop(state);
        self.freed.notify_waiters();
    }

    /// The quarantined phones' udids and reasons.
    pub fn quarantined(&self) -> Vec<(String, String)> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.quarantined.iter().map(|(i, r)| (self.phones[*i].udid.clone(), r.clone())).collect()
    }

    /// Phones that fit the need, from `available` ones, old phone first,
    /// trying rigs from `first_rig` on. Returns the phones and their rig's place.
    fn pick(&self, need: &Need, first_rig: usize, available: impl Fn(usize) -> bool) -> Option<(Vec<usize>, usize)> {
        let rigs: Vec<&str> = self.phones.iter().map(|p| p.rig.as_str()).collect::<BTreeSet<_>>().into_iter().collect();
        let order = (0..rigs.len()).map(|k| (first_rig + k) % rigs.len().max(1));
        for place in order {
            let rig = rigs[place];
            let on_rig: Vec<usize> =
                (0..self.phones.len()).filter(|&i| self.phones[i].rig == rig && available(i)).collect();
            let mut chosen = Vec::new();
            if self.fill(need, &on_rig, &mut chosen) {
                return Some((chosen, place));
            }
        }
        None
    }

    /// Chooses the rest of `need`'s devices from `on_rig` after `chosen`,
    /// trying each fitting device in turn: a device that fits an earlier
    /// role may be the only one that fits a later one.
    fn fill(&self, need: &Need, on_rig: &[usize], chosen: &mut Vec<usize>) -> bool {
        if chosen.len() == need.count {
            return true;
        }
        let wants = need.device(chosen.len());
        for &i in on_rig {
            if chosen.contains(&i) || !wants.fits(&self.phones[i]) {
                continue;
            }
            chosen.push(i);
            if self.fill(need, on_rig, chosen) {
                return true;
            }
            chosen.pop();
        }
        false
    }

    /// Whether some rig of the pool has phones for `need`, leased,
    /// quarantined or not: a need it has not can never be met in this run.
    pub fn could_serve(&self, need: &Need) -> bool {
        self.pick(need, 0, |_| true).is_some()
    }

    /// Why `need` can never be met now: no rig has such phones that are not
    /// quarantined.
    fn impossible(&self, need: &Need, state: &PoolState) -> Option<PoolError> {
        let healthy = |i: usize| !state.quarantined.iter().any(|(q, _)| *q == i);
        if self.pick(need, 0, healthy).is_some() {
            return None;
        }
        let quarantine = if state.quarantined.is_empty() {
            String::new()
        } else {
            let list: Vec<String> =
                state.quarantined.iter().map(|(i, r)| format!("{} ({r})", self.phones[*i].udid)).collect();
            format!(" (quarantined: {})", list.join("; "))
        };
        Some(PoolError::Impossible { need: need.to_string(), quarantine })
    }

    /// The leased phones that would fit one of `need`'s devices, and who holds each.
    fn holders(&self, need: &Need) -> String {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let held: Vec<String> = state
            .busy
            .iter()
            .filter(|(i, _)| (0..need.count).any(|k| need.device(k).fits(&self.phones[**i])))
            .map(|(i, who)| format!("{} (held by {who})", self.phones[*i].udid))
            .collect();
        if held.is_empty() {
            "none is leased now".into()
        } else {
            held.join(", ")
        }
    }

    /// Leases phones for `holder` (a scenario, as messages name it),
    /// waiting up to `deadline` for busy ones. A need no healthy rig can
    /// meet fails at once, also while waiting, when a quarantine makes it so.
    pub async fn lease(self: &Arc<Self>, need: &Need, deadline: Duration, holder: &str) -> Result<Lease, PoolError> {
        let attempt = async {
            loop {
                let freed = self.freed.notified();
                {
                    let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                    if let Some(never) = self.impossible(need, &state) {
                        return Err(never);
                    }
                    let available =
                        |i: usize| !state.busy.contains_key(&i) && !state.quarantined.iter().any(|(q, _)| *q == i);
                    if let Some((chosen, place)) = self.pick(need, state.next_rig, available) {
                        state.busy.extend(chosen.iter().map(|&i| (i, holder.to_owned())));
                        state.next_rig = place + 1;
                        return Ok(Lease { pool: self.clone(), indices: chosen });
                    }
                }
                freed.await;
            }
        };
        match tokio::time::timeout(deadline, attempt).await {
            Ok(leased) => leased,
            Err(_) => Err(PoolError::Timeout { need: need.to_string(), waited: deadline, holders: self.holders(need) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(udid: &str, platform: Platform, os: &str, rig: &str) -> PhoneProfile {
        PhoneProfile {
            udid: udid.into(),
            platform,
            os_version: os.into(),
            rig: rig.into(),
            model: None,
            control: None,
            capabilities: Default::default(),
            bluetooth_address: None,
            biometric: None,
            form: Default::default(),
        }
    }

    /// `count` devices of `p`.
    fn platform(p: Platform, count: usize) -> Need {
        let mut need = Need::any(count);
        for d in [&mut need.old, &mut need.new, &mut need.others] {
            d.platform = Some(p);
        }
        need
    }

    #[tokio::test]
    async fn an_old_iphone_and_a_new_android_phone_come_from_a_mixed_rig_and_a_choice_that_blocks_a_later_role_is_undone(
    ) {
        let pool = DevicePool::new(vec![
            phone("a11", Platform::Android, "11", "mixed"),
            phone("i1", Platform::Ios, "17", "mixed"),
            phone("a14", Platform::Android, "14", "mixed"),
        ]);
        let mut need = Need::any(2);
        need.old.platform = Some(Platform::Ios);
        need.new.platform = Some(Platform::Android);
        let lease = pool.lease(&need, Duration::from_millis(50), "t").await.unwrap();
        assert_eq!(lease.phones().iter().map(|p| p.udid.as_str()).collect::<Vec<_>>(), ["i1", "a11"]);
        drop(lease);
        // Any Android old phone, an Android 11 new one: the first Android
        // phone that fits the old role is the only Android 11.
        let mut need = Need::any(2);
        need.old.platform = Some(Platform::Android);
        need.new.os_version = Some("11".into());
        let lease = pool.lease(&need, Duration::from_millis(50), "t").await.unwrap();
        assert_eq!(lease.phones().iter().map(|p| p.udid.as_str()).collect::<Vec<_>>(), ["a14", "a11"]);
        assert_eq!(
            need.to_string(),
            "2 devices on one rig: the old one an Android device, the new one an OS 11 device",
            "words for a need"
        );
    }

    #[test]
    fn a_biometric_need_reads_the_profiles_default() {
        let iphone = phone("i1", Platform::Ios, "17", "r");
        let touch_id = DeviceNeed { biometric: Some(Biometric::TouchId), ..DeviceNeed::default() };
        let face_id = DeviceNeed { biometric: Some(Biometric::FaceId), ..DeviceNeed::default() };
        assert!(face_id.fits(&iphone), "an iPhone without a biometric line has Face ID");
        assert!(!touch_id.fits(&iphone));
        assert!(touch_id.fits(&PhoneProfile { biometric: Some(Biometric::TouchId), ..iphone }));
    }

    fn pool() -> Arc<DevicePool> {
        DevicePool::new(vec![
            phone("a1", Platform::Android, "14", "r1"),
            phone("a2", Platform::Android, "11", "r1"),
            phone("i1", Platform::Ios, "17", "r2"),
            phone("i2", Platform::Ios, "17", "r2"),
        ])
    }

    #[tokio::test]
    async fn a_tablet_is_leased_where_the_tags_name_it_and_only_there() {
        let tablet = PhoneProfile { form: Form::Tablet, ..phone("t1", Platform::Android, "14", "r1") };
        let pool = DevicePool::new(vec![
            phone("a1", Platform::Android, "14", "r1"),
            tablet,
            phone("a2", Platform::Android, "14", "r1"),
            phone("b1", Platform::Android, "14", "r2"),
            phone("b2", Platform::Android, "14", "r2"),
        ]);
        let need = |old_form, new_form, count| {
            let mut need = Need::any(count);
            need.old.form = old_form;
            need.new.form = new_form;
            need
        };
        let udids = |lease: &Lease| lease.phones().iter().map(|p| p.udid.clone()).collect::<Vec<_>>();
        let to_tablet = pool.lease(&need(None, Some(Form::Tablet), 2), Duration::from_millis(50), "t").await.unwrap();
        assert_eq!(udids(&to_tablet), ["a1", "t1"]);
        drop(to_tablet);
        let from_tablet =
            pool.lease(&need(Some(Form::Tablet), Some(Form::Phone), 2), Duration::from_millis(50), "t").await.unwrap();
        assert_eq!(udids(&from_tablet), ["t1", "a1"]);
        drop(from_tablet);
        let three = pool.lease(&need(None, None, 3), Duration::from_millis(50), "t").await.unwrap();
        assert_eq!(udids(&three), ["a1", "t1", "a2"], "only r1 has three");
        drop(three);
        let two_phones = need(Some(Form::Phone), Some(Form::Phone), 2);
        let phones = pool.lease(&two_phones, Duration::from_millis(50), "t").await.unwrap();
        assert!(phones.phones().iter().all(|p| p.form == Form::Phone), "{:?}", udids(&phones));
        assert!(!pool.could_serve(&need(Some(Form::Tablet), Some(Form::Tablet), 2)), "one tablet only");
        assert!(need(None, Some(Form::Tablet), 2).to_string().ends_with("the new one a tablet"));
    }

    #[tokio::test]
    async fn leases_are_disjoint_and_come_back_on_drop() {
        let pool = pool();
        let need = platform(Platform::Ios, 2);
        let lease = pool.lease(&need, Duration::from_millis(50), "a test").await.unwrap();
        let udids: Vec<_> = lease.phones().iter().map(|p| p.udid.clone()).collect();
        assert_eq!(udids, ["i1", "i2"]);
        let err = pool.lease(&need, Duration::from_millis(50), "a test").await.err().unwrap();
        assert!(matches!(err, PoolError::Timeout { .. }), "{err}");
        drop(lease);
        assert!(pool.lease(&need, Duration::from_millis(50), "a test").await.is_ok());
    }

    #[tokio::test]
    async fn a_lease_dropped_by_a_panicking_task_is_released() {
        let pool = pool();
        let mut need = platform(Platform::Android, 2);
        need.old.os_version = Some("11".into());
        let p = pool.clone();
        let n = need.clone();
        let task = tokio::spawn(async move {
            let _lease = p.lease(&n, Duration::from_millis(50), "a test").await.unwrap();
            panic!("the scenario panicked");
        });
        assert!(task.await.is_err());
        let lease = pool.lease(&need, Duration::from_millis(50), "a test").await.unwrap();
        assert_eq!(lease.phones()[0].udid, "a2", "the first phone has the asked OS");
    }

    #[tokio::test]
    async fn an_impossible_need_fails_at_once() {
        let need = platform(Platform::Ios, 3);
        let err = pool().lease(&need, Duration::from_secs(60), "a test").await.err().unwrap();
        assert_eq!(err, PoolError::Impossible { need: "3 iOS devices on one rig".into(), quarantine: String::new() });
    }

    #[tokio::test]
    async fn leases_rotate_over_the_rigs() {
        let pool = pool();
        let any = Need::any(2);
        let first = pool.lease(&any, Duration::from_millis(50), "a test").await.unwrap().phones()[0].rig.clone();
        let second = pool.lease(&any, Duration::from_millis(50), "a test").await.unwrap().phones()[0].rig.clone();
        assert_ne!(first, second, "the next lease starts at the next rig");
    }

    #[tokio::test]
    async fn a_quarantined_phone_is_never_leased_again() {
        let pool = pool();
        pool.quarantine("a2", "its session died and it failed the health check");
        let need = platform(Platform::Android, 2);
        let err = pool.lease(&need, Duration::from_millis(50), "a test").await.err().unwrap();
        assert!(err.to_string().contains("quarantined: a2 (its session died"), "{err}");
        assert_eq!(
            pool.quarantined(),
            [("a2".to_owned(), "its session died and it failed the health check".to_owned())]
        );
    }

    #[tokio::test]
    async fn a_waiter_gets_the_phones_when_they_are_freed() {
        let pool = pool();
        let need = platform(Platform::Android, 2);
        let lease = pool.lease(&need, Duration::from_millis(50), "a test").await.unwrap();
        let p = pool.clone();
        let n = need.clone();
        let waiter =
            tokio::spawn(async move { p.lease(&n, Duration::from_secs(5), "a test").await.map(|l| l.phones().len()) });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(lease);
        assert_eq!(waiter.await.unwrap(), Ok(2));
    }

    #[tokio::test]
    async fn a_wait_that_runs_out_names_who_holds_the_phones() {
        let pool = pool();
        let need = platform(Platform::Ios, 2);
        let _held = pool.lease(&need, Duration::from_millis(50), "'copy on iOS' (features/a.feature:9)").await.unwrap();
        let err = pool.lease(&need, Duration::from_millis(50), "a test").await.err().unwrap().to_string();
        assert!(err.contains("(timeouts.lease)"), "{err}");
        assert!(err.contains("i1 (held by 'copy on iOS' (features/a.feature:9))"), "{err}");
    }

    #[tokio::test]
    async fn a_waiter_is_told_at_once_when_a_quarantine_makes_its_need_impossible() {
        let pool = pool();
        let need = platform(Platform::Ios, 2);
        let held = pool.lease(&need, Duration::from_millis(50), "a test").await.unwrap();
        let p = pool.clone();
        let n = need.clone();
        let waiter = tokio::spawn(async move { p.lease(&n, Duration::from_secs(60), "a test").await.err() });
        tokio::time::sleep(Duration::from_millis(20)).await;
        pool.quarantine("i2", "failed its health check");
        let err = tokio::time::timeout(Duration::from_secs(5), waiter).await.expect("told at once").unwrap();
        assert!(matches!(err, Some(PoolError::Impossible { .. })), "{err:?}");
        drop(held);
    }
}
