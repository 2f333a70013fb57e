//! The farm's whole state behind one lock: phones, backend, virtual clock,
//! radio, sessions, defects and faults.
//!
//! Nothing here awaits while the lock is held; HTTP calls to the gateways
//! are queued in the backend's outbox and sent by the caller afterwards.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use serde::Serialize;

use crate::advert::Advertisement;
use crate::app::{AppContext, Beacon, Phone};
use crate::backend::{Backend, Channel, Identity, Outgoing};
use crate::config::{Defect, FarmConfig, FaultKind, FaultRule, RadioMode};
use crate::rules;
use crate::ui::Screen;

/// A WebDriver session: one client driving one phone.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub udid: String,
    pub capabilities: serde_json::Value,
    pub implicit_wait: Duration,
    /// `POST /appium/settings`: the session's settings, the driver's
    /// defaults with the updates on top.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// The sequence number of the first phone log line this session has
    /// not read yet (`POST /se/log` answers what came since).
    pub log_cursor: u64,
}

/// A fault switched on, with how many times it may still fire.
#[derive(Debug, Clone)]
struct ActiveFault {
    rule: FaultRule,
    remaining: Option<u32>,
}

/// A phone's time as its app and the backend read it: Unix time, the
/// farm's `epoch` plus the phone's virtual clock. Not the clock alone: a
/// real backend's clock never reads zero, and times counted from zero let
/// slips hide that a real clock shows (an instant taken for a length, a
/// deadline kept as a time of day).
pub fn time_at(epoch: u64, clock: Duration) -> Duration {
    Duration::from_secs(epoch) + clock
}

pub struct FarmState {
    pub config: FarmConfig,
    pub phones: Vec<Phone>,
    pub backend: Backend,
    pub defects: BTreeSet<Defect>,
    faults: Vec<ActiveFault>,
    pub latency: Duration,
    pub sessions: HashMap<String, Session>,
    /// `radio = "bluez"`: udid → what the phone's own adapter heard lately,
    /// as the BlueZ radio task last read it (crate::bluez). Unused by the
    /// in-memory radio.
    pub heard_by: HashMap<String, Heard>,
    /// Unix seconds when every phone's clock reads zero (09:00 UTC on the
    /// day the farm started): the phones' date and time.
    pub epoch: u64,
    /// The BlueZ radio's latest problems (an advert it could not register,
    /// discovery that would not start), newest last, for diagnostics.
    pub radio_problems: std::collections::VecDeque<String>,
}

/// What one phone's adapter heard, and on which air ([`FarmConfig::air`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Heard {
    /// The D-Bus address of the BlueZ it listened on; `None`: the system bus.
    pub air: Option<String>,
    /// MitID beacon tokens (lowercase hex).
    pub tokens: HashSet<String>,
}

/// What the fault switches say about one WebDriver command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandFault {
    None,
    SessionDies,
    Hang,
    ServerError,
}

impl FarmState {
    pub fn new(config: FarmConfig) -> FarmState {
        let mut state = FarmState {
            phones: Vec::new(),
            backend: Backend::default(),
            defects: BTreeSet::new(),
            faults: Vec::new(),
            latency: Duration::ZERO,
            sessions: HashMap::new(),
            heard_by: HashMap::new(),
            radio_problems: Default::default(),
            epoch: crate::device::epoch_at_start(),
            config,
        };
        state.reset();
        state
    }

    /// Back to how the farm started: phones fresh, backend empty (the
    /// gateways stay configured), clock at zero, the profile's switches.
    pub fn reset(&mut self) {
        let gateways = std::mem::take(&mut self.backend.gateways);
        self.phones = self.config.phones.iter().cloned().map(Phone::new).collect();
        self.backend = Backend::default();
        self.backend.gateways = gateways;
        self.defects = self.config.defects.iter().copied().collect();
        self.faults = Vec::new();
        for rule in self.config.faults.clone() {
            self.add_fault(rule);
        }
        self.latency = Duration::from_millis(self.config.latency_ms);
        self.sessions.clear();
    }

    pub fn phone(&self, udid: &str) -> Option<&Phone> {
        self.phones.iter().find(|p| p.spec.udid == udid)
    }

    pub fn phone_index(&self, udid: &str) -> Option<usize> {
        self.phones.iter().position(|p| p.spec.udid == udid)
    }

    pub fn udids(&self) -> Vec<String> {
        self.phones.iter().map(|p| p.spec.udid.clone()).collect()
    }

    // --- faults ---------------------------------------------------------

    pub fn add_fault(&mut self, rule: FaultRule) {
        self.faults.push(ActiveFault { remaining: rule.times, rule });
    }

    /// Switches faults off: those scoped to `udid` only, or every one.
    pub fn clear_faults(&mut self, udid: Option<&str>) {
        match udid {
            Some(u) => self.faults.retain(|f| f.rule.udid.as_deref() != Some(u)),
            None => self.faults.clear(),
        }
    }

    /// The faults switched on, each with the times it may still fire.
    pub fn fault_rules(&self) -> Vec<FaultRule> {
        self.faults.iter().map(|f| FaultRule { times: f.remaining, ..f.rule.clone() }).collect()
    }

    /// Whether a fault of this kind applies to this phone and command, using
    /// up one of its times if so.
    fn take_fault(&mut self, kind: FaultKind, udid: &str, command: Option<&str>) -> bool {
        let hit = self.faults.iter_mut().find(|f| {
            f.rule.fault == kind
                && f.remaining != Some(0)
                && f.rule.udid.as_deref().is_none_or(|u| u == udid)
                && f.rule.command.as_deref().is_none_or(|c| Some(c) == command)
        });
        match hit {
            Some(f) => {
                if let Some(n) = &mut f.remaining {
                    *n -= 1;
                }
                // A fault used up is gone: GET /sim/faults no longer lists it.
                self.faults.retain(|f| f.remaining != Some(0));
                true
            }
            None => false,
        }
    }

    /// Whether a state fault (one that lasts until cleared) is on for this
    /// phone.
    fn in_fault(&self, kind: FaultKind, udid: &str) -> bool {
        self.faults
            .iter()
            .any(|f| f.rule.fault == kind && f.remaining != Some(0) && f.rule.udid.as_deref().is_none_or(|u| u == udid))
    }

    /// The fault, if any, for a WebDriver command on a phone.
    pub fn command_fault(&mut self, udid: &str, command: &str) -> CommandFault {
        if self.take_fault(FaultKind::Hang, udid, Some(command)) {
            CommandFault::Hang
        } else if self.take_fault(FaultKind::SessionDies, udid, Some(command)) {
            CommandFault::SessionDies
        } else if self.take_fault(FaultKind::ServerError, udid, Some(command)) {
            CommandFault::ServerError
        } else {
            CommandFault::None
        }
    }

    pub fn black_screenshot(&mut self, udid: &str, screen: &Screen) -> bool {
        screen.secure && self.take_fault(FaultKind::BlackScreenshots, udid, Some("getScreenshot"))
    }

    // --- time and radio -------------------------------------------------

    /// Beacons on the air now: the adverts the phones' apps asked for that
    /// their platform sends ([`Advertisement::refused_on`]).
    pub fn beacons(&self) -> Vec<Beacon> {
        self.adverts().into_iter().filter_map(|(b, refused)| refused.is_none().then_some(b)).collect()
    }

    /// Why each advert an app asked for is not on the air: its platform
    /// refuses it (an iPhone sends no service data). For `GET /sim/state`.
    pub fn refused_adverts(&self) -> Vec<String> {
        self.adverts()
            .into_iter()
            .filter_map(|(b, refused)| Some(format!("phone '{}': the beacon is not on the air: {}", b.udid, refused?)))
            .collect()
    }

    /// Every advert the apps ask for now, with why its platform refuses it.
    fn adverts(&self) -> Vec<(Beacon, Option<String>)> {
        let faulty = |kind: FaultKind, udid: &str| self.in_fault(kind, udid);
        self.phones
            .iter()
            .filter(|p| !faulty(FaultKind::BeaconNotSent, &p.spec.udid))
            .filter_map(|p| {
                let token = p.advertised_token(&self.backend, self.time_of(p), &self.defects)?;
                // Every hex digit flipped: as long as the bound token, never equal.
                let token = if faulty(FaultKind::BeaconUnbound, &p.spec.udid) {
                    token
                        .chars()
                        .map(|c| c.to_digit(16).map_or(c, |d| char::from_digit(15 - d, 16).unwrap_or(c)))
                        .collect()
                } else {
                    token
                };
                let platform = p.platform();
                let advert = if faulty(FaultKind::BeaconServiceData, &p.spec.udid) {
                    Advertisement::service_data_beacon(platform, &token)
                } else {
                    Advertisement::beacon(platform, &token)?
                };
                let refused = advert.refused_on(platform);
                Some((Beacon { udid: p.spec.udid.clone(), rig: p.rig.clone(), advert }, refused))
            })
            .collect()
    }

    /// Brings every phone up to date with the clock and each other.
    pub fn refresh(&mut self) {
        let times = self.times();
        let now_of = |u: &str| times.get(u).copied().unwrap_or_default();
        self.backend.send_due_pushes(&now_of);
        let epoch = self.epoch;
        for phone in &mut self.phones {
            phone.refresh(&self.backend, time_at(epoch, phone.clock), &self.defects);
        }
        self.backend.send_due_pushes(&now_of);
    }

    /// Keeps the last few radio problems; a radio failing every tick must
    /// not grow the farm without bound.
    pub fn note_radio_problem(&mut self, problem: String) {
        const KEPT: usize = 20;
        if self.radio_problems.back() != Some(&problem) {
            self.radio_problems.push_back(problem);
        }
        while self.radio_problems.len() > KEPT {
            self.radio_problems.pop_front();
        }
    }

    /// Every phone's virtual time: how far its clock has been moved on
    /// since the farm started.
    pub fn clocks(&self) -> HashMap<String, Duration> {
        self.phones.iter().map(|p| (p.spec.udid.clone(), p.clock)).collect()
    }

    /// Every phone's time as the app and the backend read it ([`time_at`]).
    fn times(&self) -> HashMap<String, Duration> {
        self.phones.iter().map(|p| (p.spec.udid.clone(), self.time_of(p))).collect()
    }

    /// A phone's time as the app and the backend read it ([`time_at`]).
    fn time_of(&self, phone: &Phone) -> Duration {
        time_at(self.epoch, phone.clock)
    }

    /// Lets time pass on the given phones, or on all of them.
    pub fn advance(&mut self, by: Duration, udids: Option<&[String]>) -> Result<(), String> {
        if let Some(udids) = udids {
            if let Some(unknown) = udids.iter().find(|u| self.phone(u).is_none()) {
                return Err(format!("no phone with udid '{unknown}' (phones: {})", self.udids().join(", ")));
            }
        }
        for phone in &mut self.phones {
            if udids.is_none_or(|u| u.contains(&phone.spec.udid)) {
                phone.clock += by;
            }
        }
        self.refresh();
        Ok(())
    }

    /// Messages for the gateways, to send once the lock is released.
    /// The messages for the gateways, less those an `sms_not_sent` or
    /// `push_not_sent` fault drops: each dropped message uses up one of its
    /// fault's times, on the phone the fault names (or any).
    pub fn take_outbox(&mut self) -> Vec<Outgoing> {
        let outbox = std::mem::take(&mut self.backend.outbox);
        let mut sent = Vec::new();
        for m in outbox {
            let (fault, name) = match m.channel {
                Channel::Sms => (FaultKind::SmsNotSent, "sms_not_sent"),
                Channel::Push => (FaultKind::PushNotSent, "push_not_sent"),
            };
            if self.take_fault(fault, &m.udid, None) {
                self.backend.undelivered.push(format!("{}: not sent (fault {name})", m.what));
            } else {
                sent.push(m);
            }
        }
        sent
    }

    // --- what a person does ---------------------------------------------

    /// Runs `f` on the phone with everything the app may consult.
    pub fn with_app<T>(&mut self, udid: &str, f: impl FnOnce(&mut Phone, &mut AppContext) -> T) -> Option<T> {
        self.refresh();
        let beacons = self.beacons();
        let times = self.times();
        let index = self.phone_index(udid)?;
        let now = self.time_of(&self.phones[index]);
        let over_air = (self.config.radio == RadioMode::Bluez).then(|| crate::app::OverAir { heard: self.heard(udid) });
        let mut cx = AppContext {
            backend: &mut self.backend,
            now,
            clocks: &times,
            defects: &self.defects,
            beacons: &beacons,
            over_air: over_air.as_ref(),
        };
        let out = f(&mut self.phones[index], &mut cx);
        self.refresh();
        Some(out)
    }

    /// `radio = "bluez"`: the MitID tokens this phone's adapter heard on
    /// the air its rig is on now. What it heard before a move counts no more,
    /// even before the radio task has caught up with the move.
    /// With the `beacon_heard_late` fault it hears nothing until its app has
    /// listened for [`LATE_HEARING`](crate::config::LATE_HEARING).
    pub fn heard(&self, udid: &str) -> HashSet<String> {
        let Some(phone) = self.phone(udid) else { return HashSet::new() };
        if self.in_fault(FaultKind::BeaconHeardLate, udid)
            && phone.listening_for().is_none_or(|t| t < crate::config::LATE_HEARING)
        {
            return HashSet::new();
        }
        match self.heard_by.get(udid) {
            Some(h) if h.air.as_deref() == self.config.air_of(&phone.rig) => h.tokens.clone(),
            _ => HashSet::new(),
        }
    }

    /// Whether this phone's app is still listening for the beacon of a QR
    /// code it scanned (`radio = "bluez"`, see `Phone::scan_pending`).
    pub fn scan_pending(&self, udid: &str) -> bool {
        self.phone(udid).is_some_and(|p| p.scan_pending())
    }

    /// Decides the scans still listening for their beacon: the BlueZ radio
    /// calls this each time it has read what the adapters heard.
    pub fn retry_pending_scans(&mut self) {
        let pending: Vec<String> =
            self.phones.iter().filter(|p| p.scan_pending()).map(|p| p.spec.udid.clone()).collect();
        for udid in pending {
            self.with_app(&udid, |phone, cx| phone.scan_again(cx));
        }
    }

    pub fn screen(&mut self, udid: &str) -> Option<Screen> {
        self.refresh();
        let phone = self.phone(udid)?;
        Some(phone.screen(&self.backend, self.time_of(phone), &self.defects))
    }

    // --- provisioning (test-control API) --------------------------------

    /// A person with MitID: `active_apps_elsewhere` apps on phones outside
    /// the farm, and an active app on each of `app_on`.
    pub fn provision(&mut self, p: Provision) -> Result<(), String> {
        if p.user_id.trim().is_empty() {
            return Err("user_id must not be empty".into());
        }
        if p.pin.len() != rules::PIN_LENGTH || !p.pin.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("pin must be {} digits", rules::PIN_LENGTH));
        }
        for udid in &p.app_on {
            if self.phone(udid).is_none() {
                return Err(format!("no phone with udid '{udid}' on this farm (known: {})", self.udids().join(", ")));
            }
            if let Some(other) = self.backend.identity_of_app(udid) {
                if other.user_id != p.user_id {
                    return Err(format!("phone '{udid}' already has an app activated for another identity"));
                }
            }
        }
        let kept: Vec<String> = self
            .backend
            .identities
            .get(&p.user_id)
            .map(|i| {
                p.app_on.iter().filter(|u| i.apps.iter().any(|a| a.as_deref() == Some(u.as_str()))).cloned().collect()
            })
            .unwrap_or_default();
        let mut apps: Vec<Option<String>> = vec![None; p.active_apps_elsewhere];
        apps.extend(p.app_on.iter().cloned().map(Some));
        if apps.len() > rules::MAX_ACTIVE_APPS && !self.defects.contains(&Defect::FourthAppAllowed) {
            return Err(format!("an identity can have at most {} active apps", rules::MAX_ACTIVE_APPS));
        }
        // A provisioned app approves with biometric where its phone has one
        // enrolled: as if "yes" had been chosen when it was activated.
        // A kept app keeps its choice, and the person the codes sent.
        let before = self.backend.identities.get(&p.user_id);
        let biometric = p
            .app_on
            .iter()
            .filter(|u| match before {
                Some(i) if kept.contains(u) => i.biometric.contains(*u),
                _ => self.phone(u).is_some_and(|ph| ph.spec.biometrics),
            })
            .cloned()
            .collect();
        let temporary_pins_sent = before.map(|i| i.temporary_pins_sent.clone()).unwrap_or_default();
        let identity = Identity {
            user_id: p.user_id.clone(),
            phone_number: p.phone_number,
            pin: p.pin,
            apps,
            biometric,
            temporary_pins_sent,
        };
        self.backend.identities.insert(p.user_id, identity);
        for udid in &p.app_on {
            // Provisioned again (more apps elsewhere, in the middle of a
            // copy), a phone that already has this person's app keeps it
            // as it is: its screen, its copy.
            if kept.contains(udid) {
                continue;
            }
            if let Some(i) = self.phone_index(udid) {
                self.phones[i].reset();
                self.phones[i].activate();
            }
        }
        Ok(())
    }
}

/// `POST /sim/identities`.
#[derive(Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provision {
    pub user_id: String,
    pub phone_number: String,
    pub pin: String,
    #[serde(default)]
    pub active_apps_elsewhere: usize,
    #[serde(default)]
    pub app_on: Vec<String>,
}

/// A phone as `GET /sim/phones` shows it.
#[derive(Debug, Serialize)]
pub struct PhoneView {
    pub udid: String,
    pub platform: &'static str,
    pub os_version: String,
    pub api_level: Option<u32>,
    pub model: String,
    pub rig: String,
    pub app_version: String,
    pub bluetooth: bool,
    pub app_running: bool,
    pub screen: String,
    pub busy: bool,
}

impl FarmState {
    pub fn phone_views(&mut self) -> Vec<PhoneView> {
        self.refresh();
        let busy: BTreeSet<&str> = self.sessions.values().map(|s| s.udid.as_str()).collect();
        self.phones
            .iter()
            .map(|p| PhoneView {
                udid: p.spec.udid.clone(),
                platform: p.platform().name(),
                os_version: p.os_version.clone(),
                api_level: p.api_level(),
                model: p.spec.model.clone(),
                rig: p.rig.clone(),
                app_version: p.app_version.clone(),
                bluetooth: p.bluetooth_on,
                app_running: p.running,
                screen: p.screen(&self.backend, self.time_of(p), &self.defects).name,
                busy: busy.contains(p.spec.udid.as_str()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radio_problems_are_kept_bounded_and_not_repeated() {
        let mut farm = FarmState::new(FarmConfig::default());
        farm.note_radio_problem("adapter hci9 is gone".into());
        farm.note_radio_problem("adapter hci9 is gone".into());
        assert_eq!(farm.radio_problems.len(), 1, "the same problem every tick is noted once");
        for i in 0..50 {
            farm.note_radio_problem(format!("problem {i}"));
        }
        assert_eq!(farm.radio_problems.len(), 20);
        assert_eq!(farm.radio_problems.back().map(String::as_str), Some("problem 49"));
    }
}
