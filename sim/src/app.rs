//! The simulated MitID app on one virtual phone: both roles of the copy
//! flow, every screen in the documentation's own words.
//!
//! The app is a state machine ([`Step`]) driven by what a person does (click,
//! type, biometrics, camera) and by time. Each screen is built fresh from the
//! state by [`Phone::screen`], so what the page source, XPath and screenshot
//! show is always what the app is in.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crate::backend::{Backend, ScanRefusal};
use crate::config::{Defect, PhoneSpec};
use crate::rules;
use crate::ui::{Node, Platform, Role, Screen};

/// Which side of the copy a Bluetooth screen belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The old phone, about to show its QR code (steps 10-12).
    Old,
    /// The new phone, about to scan (steps 17-19).
    New,
}

/// A system permission dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    Bluetooth,
    Location,
    Camera,
    Notifications,
}

impl Permission {
    fn screen_name(self) -> &'static str {
        match self {
            Permission::Bluetooth => "permission_bluetooth",
            Permission::Location => "permission_location",
            Permission::Camera => "permission_camera",
            Permission::Notifications => "permission_notifications",
        }
    }
}

/// What a PIN or biometric confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinPurpose {
    /// Step 5: before the copy starts.
    StartCopy,
    /// Step 9: before the QR code is shown.
    ShowQr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    // The new phone, not yet activated (steps 14-26).
    Welcome,
    Method,
    Prerequisite,
    Scanner,
    UserId,
    TemporaryPin,
    Blocked,
    ChoosePin,
    CreatePin,
    RepeatPin,
    BiometricChoice,
    Notifications,
    Activated,
    // The old phone, activated (steps 1-12).
    Home,
    Menu,
    ActivateMenu,
    CopyInfo,
    UpdateRequired,
    Pin(PinPurpose),
    ConfirmCopy,
    TooManyApps,
    Waiting,
    ShowQrIntro,
    Qr(String),
    QrExpired,
    ContinueOnNew(String),
    CopyDone,
    // Either side.
    BluetoothInfo(Side),
    BluetoothOff(Side),
    PermissionDenied(Side),
    Dialog(Permission, Side),
    /// The system biometric prompt; `None` is step 24's enrolment.
    Biometric(Option<PinPurpose>),
}

impl Step {
    fn is_secure(&self) -> bool {
        matches!(
            self,
            Step::Pin(_) | Step::TemporaryPin | Step::CreatePin | Step::RepeatPin | Step::Qr(_) | Step::UserId
        )
    }
}

/// Why a person's action on an element could not be done.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ActionError {
    #[error("element '{0}' does not accept text")]
    NotAnInput(String),
    #[error("element '{0}' is disabled")]
    Disabled(String),
}

/// A phone advertising the proximity beacon: who, where, what.
#[derive(Debug, Clone)]
pub struct Beacon {
    pub udid: String,
    pub rig: String,
    pub token: String,
}

/// What the app may consult while acting.
pub struct AppContext<'a> {
    pub backend: &'a mut Backend,
    /// This phone's clock.
    pub now: Duration,
    /// Every phone's clock, for checks on another phone's timeline (a QR
    /// code expires by its old phone's clock).
    pub clocks: &'a std::collections::HashMap<String, Duration>,
    pub defects: &'a BTreeSet<Defect>,
    /// Beacons on the air right now (already filtered for Bluetooth on).
    pub beacons: &'a [Beacon],
    /// `radio = "bluez"`: what this phone's own adapter hears; None for the
    /// in-memory radio, whose range model is `beacons` and the rigs.
    pub over_air: Option<&'a OverAir>,
}

/// What a phone's own Bluetooth adapter hears on the BlueZ radio.
#[derive(Debug, Clone, Default)]
pub struct OverAir {
    /// MitID beacon tokens (lowercase hex) the adapter heard lately, on the
    /// air the phone is on now. Range is that air: the BlueZ radio has no
    /// other model of it.
    pub heard: std::collections::HashSet<String>,
}

/// How long a scan on the BlueZ radio listens for its QR code's beacon
/// before it decides without it. BlueZ discovery reports an advert within
/// one scan interval (BlueZoo: 1 s), as a real app listens for a moment.
pub const LISTEN_FOR_BEACON: std::time::Duration = std::time::Duration::from_secs(2);

/// One virtual phone: the device and the MitID app on it.
pub struct Phone {
    pub spec: PhoneSpec,
    /// Farm state the test-control API may change.
    pub bluetooth_on: bool,
    pub app_version: String,
    pub rig: String,
    pub os_version: String,
    /// The MitID app is in the foreground.
    pub running: bool,
    /// Virtual time on this phone. Each phone has its own, so scenarios on
    /// different phones can let hours pass side by side.
    pub clock: Duration,
    pub step: Step,
    /// Bumped at every change of screen: element references from an older
    /// screen are stale.
    pub instance: u64,
    inputs: HashMap<String, String>,
    checked: BTreeSet<String>,
    granted: BTreeSet<(Permission, bool)>,
    /// What the camera sees: the payload of the last injected image.
    pub camera: Option<String>,
    /// A message on the current screen (an error, or a biometric miss).
    message: Option<String>,
    /// The first PIN entry of step 23, until it is repeated.
    pending_pin: Option<String>,
    /// BlueZ radio: since when the scanner has been listening for the
    /// beacon of the QR code in the camera (see [`Phone::scan_pending`]).
    listening_since: Option<std::time::Instant>,
}

impl Phone {
    pub fn new(spec: PhoneSpec) -> Phone {
        Phone {
            bluetooth_on: spec.bluetooth,
            app_version: spec.app_version.clone(),
            rig: spec.rig.clone(),
            os_version: spec.os_version.clone(),
            running: false,
            clock: Duration::ZERO,
            step: Step::Welcome,
            instance: 1,
            inputs: HashMap::new(),
            checked: BTreeSet::new(),
            granted: BTreeSet::new(),
            camera: None,
            message: None,
            pending_pin: None,
            listening_since: None,
            spec,
        }
    }

    pub fn platform(&self) -> Platform {
        self.spec.platform
    }

    /// The Android API level for the phone's current OS version.
    pub fn api_level(&self) -> Option<u32> {
        PhoneSpec { os_version: self.os_version.clone(), ..self.spec.clone() }.android_api_level()
    }

    /// Back to a freshly installed app, as set up by the profile.
    pub fn reset(&mut self) {
        let (instance, clock) = (self.instance, self.clock);
        *self = Phone::new(self.spec.clone());
        // Time on a phone never runs backwards, reset or not.
        self.clock = clock;
        self.instance = instance + 1;
    }

    fn go(&mut self, step: Step) {
        self.step = step;
        self.instance += 1;
        self.inputs.clear();
        self.checked.clear();
        self.message = None;
    }

    fn say(&mut self, message: impl Into<String>) {
        self.message = Some(message.into());
        self.instance += 1;
        self.inputs.clear();
    }

    /// Where the app opens: what a person sees after launching it.
    fn launch_step(&self, backend: &Backend, now: Duration) -> Step {
        let udid = &self.spec.udid;
        if backend.identity_of_app(udid).is_none() {
            return Step::Welcome;
        }
        match backend.open_copy_request(udid) {
            Some(r) if Duration::from_secs(r.ready_at_secs) <= now => Step::ShowQrIntro,
            _ => Step::Home,
        }
    }

    /// `mobile: activateApp`, or a tap on the launcher icon.
    pub fn launch(&mut self, backend: &Backend, now: Duration) {
        if !self.running {
            self.running = true;
            let step = self.launch_step(backend, now);
            self.go(step);
        }
    }

    /// `mobile: terminateApp`: the app's data stays, its screen does not.
    pub fn terminate(&mut self) -> bool {
        let was_running = self.running;
        self.running = false;
        self.instance += 1;
        was_running
    }

    /// The app activated on this phone with the given identity (control API).
    pub fn activate(&mut self) {
        self.running = true;
        self.go(Step::Home);
    }

    /// Transitions that come from time passing or from other phones.
    pub fn refresh(&mut self, backend: &Backend, now: Duration, defects: &BTreeSet<Defect>) {
        if !self.running {
            return;
        }
        let udid = self.spec.udid.clone();
        let activated = backend.identity_of_app(&udid).is_some();
        let old_side = matches!(
            self.step,
            Step::Home
                | Step::Menu
                | Step::ActivateMenu
                | Step::CopyInfo
                | Step::Waiting
                | Step::ShowQrIntro
                | Step::Qr(_)
                | Step::QrExpired
                | Step::ContinueOnNew(_)
                | Step::CopyDone
        );
        if old_side && !activated {
            self.go(Step::Welcome);
            return;
        }
        match self.step.clone() {
            Step::Home | Step::Waiting => {
                if self.launch_step(backend, now) == Step::ShowQrIntro {
                    self.go(Step::ShowQrIntro);
                }
            }
            Step::Qr(id) => match backend.qr_sessions.get(&id) {
                Some(s) if s.used_by.is_some() => self.go(Step::ContinueOnNew(id)),
                Some(s) if now > s.expires_at && !defects.contains(&Defect::QrNeverExpires) => self.go(Step::QrExpired),
                Some(_) => {}
                None => self.go(Step::QrExpired),
            },
            Step::ContinueOnNew(id) => {
                let done = backend
                    .qr_sessions
                    .get(&id)
                    .and_then(|s| backend.copy_requests.get(&s.copy_request))
                    .is_some_and(|r| r.completed);
                if done {
                    self.go(Step::CopyDone);
                }
            }
            _ => {}
        }
    }

    /// The beacon token this phone advertises now, if any.
    pub fn advertised_token(&self, backend: &Backend, now: Duration, defects: &BTreeSet<Defect>) -> Option<String> {
        let Step::Qr(id) = &self.step else { return None };
        let session = backend.qr_sessions.get(id)?;
        let live =
            session.used_by.is_none() && (now <= session.expires_at || defects.contains(&Defect::QrNeverExpires));
        (self.running && self.bluetooth_on && live).then(|| session.beacon_token.clone())
    }

    fn needs_location(&self, defects: &BTreeSet<Defect>) -> bool {
        self.api_level().is_some_and(rules::android_needs_location)
            && !defects.contains(&Defect::NoLocationPromptOnOldAndroid)
    }

    fn notification_dialog_exists(&self) -> bool {
        match self.platform() {
            Platform::Ios => true,
            Platform::Android => self.api_level().is_some_and(|api| api >= 33),
        }
    }

    fn granted(&self, p: Permission) -> bool {
        self.granted.contains(&(p, true))
    }

    /// Steps 10-11 and 17-18: Bluetooth on, then each permission in turn.
    fn continue_bluetooth(&mut self, side: Side, cx: &mut AppContext) {
        if !self.bluetooth_on && !cx.defects.contains(&Defect::BluetoothOffIgnored) {
            return self.go(Step::BluetoothOff(side));
        }
        if !self.granted(Permission::Bluetooth) {
            return self.go(Step::Dialog(Permission::Bluetooth, side));
        }
        if self.needs_location(cx.defects) && !self.granted(Permission::Location) {
            return self.go(Step::Dialog(Permission::Location, side));
        }
        match side {
            Side::Old => self.show_qr(cx),
            Side::New if !self.granted(Permission::Camera) => self.go(Step::Dialog(Permission::Camera, Side::New)),
            Side::New => self.open_scanner(cx),
        }
    }

    fn show_qr(&mut self, cx: &mut AppContext) {
        let udid = self.spec.udid.clone();
        let request = cx.backend.open_copy_request(&udid).map(|r| r.id);
        match request.and_then(|id| cx.backend.new_qr_session(id, cx.now)) {
            Some(session) => self.go(Step::Qr(session.id)),
            None => self.go(Step::Home),
        }
    }

    fn open_scanner(&mut self, cx: &mut AppContext) {
        self.go(Step::Scanner);
        self.scan(cx);
    }

    /// Step 19: the app reads whatever the camera sees. On the BlueZ radio,
    /// a QR code whose beacon is on the air but not yet heard by this
    /// phone's adapter keeps the scanner listening, for at most
    /// [`LISTEN_FOR_BEACON`]: the radio task decides it again each time it
    /// has read the adapters ([`Phone::scan_again`]). However the code got
    /// into the camera, injected on the scanner or there before it opened.
    fn scan(&mut self, cx: &mut AppContext) {
        let Some(payload) = self.camera.take() else { return };
        if let Some(air) = cx.over_air {
            let token = cx.backend.qr_session_of(&payload).map(|s| s.beacon_token.to_ascii_lowercase());
            let unheard = token.is_some_and(|t| {
                cx.beacons.iter().any(|b| b.token.eq_ignore_ascii_case(&t)) && !air.heard.contains(&t)
            });
            let since = *self.listening_since.get_or_insert_with(std::time::Instant::now);
            if self.bluetooth_on && unheard && since.elapsed() < LISTEN_FOR_BEACON {
                self.camera = Some(payload);
                return;
            }
        }
        self.listening_since = None;
        let udid = self.spec.udid.clone();
        let rig = self.rig.clone();
        let bluetooth_on = self.bluetooth_on;
        let beacons = cx.beacons;
        let clocks = cx.clocks;
        let now = cx.now;
        let now_of = |u: &str| clocks.get(u).copied().unwrap_or(now);
        let over_air = cx.over_air;
        let heard = |s: &crate::backend::QrSession| {
            bluetooth_on
                && match over_air {
                    // BlueZ: the token as this phone's own adapter heard it.
                    Some(air) => air.heard.contains(&s.beacon_token.to_ascii_lowercase()),
                    None => beacons.iter().any(|b| b.token == s.beacon_token && b.udid == s.old_udid && b.rig == rig),
                }
        };
        match cx.backend.accept_scan(&payload, &udid, now_of, heard, &cx.defects.iter().copied().collect::<Vec<_>>()) {
            Ok(()) => self.go(Step::UserId),
            Err(refusal) => self.say(match refusal {
                ScanRefusal::NotMitId => "This is not a MitID QR code. Scan the QR code shown in the MitID app on your old phone/tablet.",
                ScanRefusal::Expired => "The QR code has expired. Show a new QR code on your old phone/tablet and scan it.",
                ScanRefusal::AlreadyUsed => "This QR code has already been used. Show a new QR code on your old phone/tablet.",
                ScanRefusal::NotInProximity => "To ensure that you are the one scanning the QR code, your new phone/tablet must be close to your old phone/tablet with Bluetooth turned on. Move them closer and try again.",
            }),
        }
    }

    /// BlueZ radio: the scanner is listening for the beacon of the QR code
    /// in the camera; the scan is not decided yet.
    pub fn scan_pending(&self) -> bool {
        self.listening_since.is_some() && self.camera.is_some()
    }

    /// Decides a pending scan again, with what the adapter hears now.
    pub fn scan_again(&mut self, cx: &mut AppContext) {
        if self.running && self.step == Step::Scanner && self.scan_pending() {
            self.scan(cx);
        } else {
            self.listening_since = None;
        }
    }

    /// The camera now sees an image holding this QR payload.
    pub fn inject_camera(&mut self, payload: String, cx: &mut AppContext) {
        self.camera = Some(payload);
        self.listening_since = None;
        if self.running && self.step == Step::Scanner {
            self.scan(cx);
        }
    }

    /// A tap on the element with this accessibility id.
    pub fn click(&mut self, id: &str, cx: &mut AppContext) {
        if !self.running {
            if id == "launcher_mitid" {
                self.launch(cx.backend, cx.now);
            }
            return;
        }
        let defects: Vec<Defect> = cx.defects.iter().copied().collect();
        let udid = self.spec.udid.clone();
        match (self.step.clone(), id) {
            (Step::Welcome, "get_started") => self.go(Step::Method),
            (Step::Method, "method_copy" | "method_id_document") => {
                // A selection re-renders nothing: earlier element references stay valid.
                self.checked = BTreeSet::from([id.to_owned()]);
            }
            (Step::Method, "method_next") if self.checked.contains("method_copy") => self.go(Step::Prerequisite),
            (Step::Method, "method_next") if self.checked.contains("method_id_document") => {
                self.say("Activation with passport or ID card is not part of this virtual farm.")
            }
            (Step::Prerequisite, "scan_qr_button") if self.checked.contains("qr_shown_checkbox") => {
                self.go(Step::BluetoothInfo(Side::New))
            }
            (Step::UserId, "user_id_next") => {
                let entered = self.inputs.get("user_id_input").cloned().unwrap_or_default();
                match cx.backend.check_user_id(&udid, &entered, cx.now, &defects) {
                    Ok(()) => self.go(Step::TemporaryPin),
                    Err(0) => self.go(Step::Blocked),
                    Err(left) => self.say(format!("The user ID is not correct. {}", attempts_left(left))),
                }
            }
            (Step::TemporaryPin, "temporary_pin_next") => {
                let entered = self.inputs.get("temporary_pin_input").cloned().unwrap_or_default();
                match cx.backend.check_temporary_pin(&udid, &entered, cx.now, &defects) {
                    Ok(()) => self.go(Step::ChoosePin),
                    Err(0) => self.go(Step::Blocked),
                    Err(left) => self.say(format!("The temporary PIN code is not correct. {}", attempts_left(left))),
                }
            }
            (Step::Blocked, "blocked_ok") => self.go(Step::Welcome),
            (Step::ChoosePin, "choose_pin_next") => self.go(Step::CreatePin),
            (Step::CreatePin, "new_pin_next") => {
                let pin = self.inputs.get("new_pin_input").cloned().unwrap_or_default();
                if pin.len() == rules::PIN_LENGTH && pin.chars().all(|c| c.is_ascii_digit()) {
                    self.go(Step::RepeatPin);
                    self.pending_pin = Some(pin);
                } else {
                    self.say(format!("Your PIN code must be {} digits.", rules::PIN_LENGTH));
                }
            }
            (Step::RepeatPin, "repeat_pin_next") => {
                let repeat = self.inputs.get("repeat_pin_input").cloned().unwrap_or_default();
                let first = self.pending_pin.take().unwrap_or_default();
                if repeat != first && !defects.contains(&Defect::PinMismatchAccepted) {
                    self.go(Step::CreatePin);
                    self.say("The PIN codes do not match. Try again.");
                } else if cx.backend.complete_activation(&udid, &first, &defects).is_ok() {
                    self.go(Step::BiometricChoice);
                } else {
                    self.go(Step::TooManyApps);
                }
            }
            (Step::BiometricChoice, "biometric_yes") if self.spec.biometrics => self.go(Step::Biometric(None)),
            (Step::BiometricChoice, "biometric_no") => self.go(Step::Notifications),
            (Step::Notifications, "notifications_accept") => {
                if self.notification_dialog_exists() && !self.granted(Permission::Notifications) {
                    self.go(Step::Dialog(Permission::Notifications, Side::New));
                } else {
                    self.go(Step::Activated);
                }
            }
            (Step::Activated, "activated_ok") => self.go(Step::Home),

            (Step::Home, "menu_button") => self.go(Step::Menu),
            (Step::Menu, "menu_close") => self.go(Step::Home),
            (Step::Menu, "menu_activate") => self.go(Step::ActivateMenu),
            (Step::ActivateMenu, "activate_copy_to_new_app") => {
                if rules::app_version_supported(&self.app_version) || defects.contains(&Defect::OutdatedAppCanCopy) {
                    self.go(Step::CopyInfo);
                } else {
                    self.go(Step::UpdateRequired);
                }
            }
            (Step::ActivateMenu | Step::UpdateRequired | Step::TooManyApps | Step::CopyDone, "back_home") => {
                let step = self.launch_step(cx.backend, cx.now);
                self.go(step)
            }
            (Step::CopyInfo, "copy_info_next") => self.go(Step::Pin(PinPurpose::StartCopy)),
            (Step::Pin(purpose), "pin_next") => {
                let pin = self.inputs.get("pin_input").cloned().unwrap_or_default();
                if cx.backend.check_pin(&udid, &pin) {
                    self.after_pin(purpose);
                } else {
                    self.say("The PIN code is not correct. Try again.");
                }
            }
            (Step::Pin(purpose), "pin_use_biometric") if self.spec.biometrics => {
                self.go(Step::Biometric(Some(purpose)))
            }
            (Step::Biometric(Some(purpose)), "biometric_cancel") => self.go(Step::Pin(purpose)),
            (Step::Biometric(None), "biometric_cancel") => self.go(Step::BiometricChoice),
            (Step::ConfirmCopy, "copy_confirm_start") if self.checked.contains("copy_confirm_checkbox") => {
                let user_id = cx.backend.identity_of_app(&udid).map(|i| i.user_id.clone()).unwrap_or_default();
                let full = cx.backend.active_apps(&user_id) >= rules::MAX_ACTIVE_APPS;
                if full && !defects.contains(&Defect::FourthAppAllowed) {
                    self.go(Step::TooManyApps);
                } else {
                    cx.backend.start_copy(&udid, cx.now, &defects);
                    self.go(Step::Waiting);
                }
            }
            (Step::Waiting, "waiting_ok") => {
                let step = self.launch_step(cx.backend, cx.now);
                self.go(step)
            }
            (Step::ShowQrIntro, "show_qr_button") => self.go(Step::Pin(PinPurpose::ShowQr)),
            (Step::Qr(_), "qr_cancel") | (Step::QrExpired, "qr_cancel") => self.go(Step::Home),
            (Step::QrExpired, "qr_show_new") => self.show_qr(cx),
            (Step::ContinueOnNew(_), "qr_cancel") => self.go(Step::Home),
            (Step::CopyDone, "copy_done_ok") => self.go(Step::Home),

            (Step::BluetoothInfo(side), "bluetooth_info_next") => self.continue_bluetooth(side, cx),
            (Step::BluetoothOff(side), "bluetooth_try_again") => self.continue_bluetooth(side, cx),
            (Step::PermissionDenied(side), "permission_try_again") => {
                self.granted.retain(|(_, allowed)| *allowed);
                self.continue_bluetooth(side, cx)
            }
            (Step::Dialog(permission, side), "permission_allow" | "permission_deny") => {
                let allowed = id == "permission_allow";
                self.granted.insert((permission, allowed));
                match permission {
                    Permission::Notifications => self.go(Step::Activated),
                    Permission::Camera if !allowed => self.go(Step::PermissionDenied(side)),
                    _ if !allowed && !defects.contains(&Defect::PermissionDenialIgnored) => {
                        self.go(Step::PermissionDenied(side))
                    }
                    _ if !allowed => {
                        // The defect: carry on as if the permission were given.
                        self.granted.insert((permission, true));
                        self.continue_bluetooth(side, cx)
                    }
                    _ => self.continue_bluetooth(side, cx),
                }
            }
            (_, id) if self.checkable_ids().contains(&id) => {
                if !self.checked.remove(id) {
                    self.checked.insert(id.to_owned());
                }
            }
            _ => {}
        }
    }

    fn after_pin(&mut self, purpose: PinPurpose) {
        match purpose {
            PinPurpose::StartCopy => self.go(Step::ConfirmCopy),
            PinPurpose::ShowQr => self.go(Step::BluetoothInfo(Side::Old)),
        }
    }

    fn checkable_ids(&self) -> &'static [&'static str] {
        match self.step {
            Step::ConfirmCopy => &["copy_confirm_checkbox"],
            Step::Prerequisite => &["qr_shown_checkbox"],
            _ => &[],
        }
    }

    /// Text typed into a field (W3C "element send keys"): appended.
    pub fn type_text(&mut self, id: &str, text: &str, screen: &Screen) -> Result<(), ActionError> {
        let node = screen.find_by_id(id).ok_or_else(|| ActionError::NotAnInput(id.to_owned()))?;
        if !node.is_input() {
            return Err(ActionError::NotAnInput(id.to_owned()));
        }
        if !node.enabled {
            return Err(ActionError::Disabled(id.to_owned()));
        }
        self.inputs.entry(id.to_owned()).or_default().push_str(text);
        Ok(())
    }

    pub fn clear(&mut self, id: &str, screen: &Screen) -> Result<(), ActionError> {
        let node = screen.find_by_id(id).ok_or_else(|| ActionError::NotAnInput(id.to_owned()))?;
        if !node.is_input() {
            return Err(ActionError::NotAnInput(id.to_owned()));
        }
        self.inputs.remove(id);
        Ok(())
    }

    /// A biometric given to the prompt (`mobile: fingerprint` /
    /// `mobile: sendBiometricMatch`). Returns false when no prompt is open.
    pub fn biometric(&mut self, matched: bool) -> bool {
        let Step::Biometric(purpose) = self.step.clone() else { return false };
        if !self.running {
            return false;
        }
        if !matched || !self.spec.biometrics {
            self.say("Not recognised. Try again.");
            return true;
        }
        match purpose {
            Some(purpose) => self.after_pin(purpose),
            None => self.go(Step::Notifications),
        }
        true
    }

    /// What the phone shows now.
    pub fn screen(&self, backend: &Backend, now: Duration) -> Screen {
        let mut screen = if self.running { self.app_screen(backend, now) } else { launcher() };
        self.decorate(&mut screen);
        screen.layout();
        screen
    }

    fn app_screen(&self, backend: &Backend, now: Duration) -> Screen {
        let android = self.platform() == Platform::Android;
        let biometric_name = if android { "fingerprint" } else { "Face ID" };
        let mut s = match &self.step {
            Step::Welcome => screen("activate_welcome")
                .title("activate_title", "Activate your MitID")
                .text("activate_text", "Activate your MitID app to log on and approve with MitID.")
                .button("get_started", "Get started"),
            Step::Method => screen("activation_method")
                .title("method_title", "How do you want to activate your MitID app?")
                .radio("method_copy", "Copy from another MitID app")
                .radio("method_id_document", "Activate with passport or ID card")
                .button_if("method_next", "Next", !self.checked.is_empty()),
            Step::Prerequisite => screen("copy_prerequisite")
                .title("prerequisite_title", "Copy from another MitID app")
                .text("prerequisite_text", "Show the QR code in the MitID app on your old phone/tablet before you scan it.")
                .checkbox("qr_shown_checkbox", "QR code is shown on the old app")
                .button_if("scan_qr_button", "Scan QR code", self.checked.contains("qr_shown_checkbox")),
            Step::Scanner => screen("qr_scanner")
                .title("scanner_title", "Scan the QR code")
                .text("scanner_text", "Hold your phone/tablet up to the QR code on your old app.")
                .image("camera_view", "Camera"),
            Step::UserId => screen("user_id")
                .title("user_id_title", "Enter your user ID")
                .text("user_id_text", "Enter your user ID to confirm your identity.")
                .field("user_id_input", "User ID")
                .button("user_id_next", "Next"),
            Step::TemporaryPin => screen("temporary_pin")
                .title("temporary_pin_title", "Enter temporary PIN code")
                .text("temporary_pin_text", "Enter the temporary PIN code you have received via SMS.")
                .secure_field("temporary_pin_input", "Temporary PIN code")
                .button("temporary_pin_next", "Next"),
            Step::Blocked => screen("copy_blocked")
                .title("blocked_title", "The copy has been blocked")
                .text("blocked_text", "You have entered wrong information too many times. Start again from your old phone/tablet.")
                .button("blocked_ok", "OK"),
            Step::ChoosePin => screen("choose_pin")
                .title("choose_pin_title", "Choose your personal PIN code")
                .text("choose_pin_text", &format!("Your PIN code must be {} digits.", rules::PIN_LENGTH))
                .button("choose_pin_next", "Next"),
            Step::CreatePin => screen("create_pin")
                .title("create_pin_title", "Create your PIN code")
                .secure_field("new_pin_input", "PIN code")
                .button("new_pin_next", "Next"),
            Step::RepeatPin => screen("repeat_pin")
                .title("repeat_pin_title", "Repeat your PIN code")
                .secure_field("repeat_pin_input", "PIN code")
                .button("repeat_pin_next", "Next"),
            Step::BiometricChoice => screen("biometric_choice")
                .title("biometric_choice_title", &format!("Do you want to approve with {biometric_name}?"))
                .text(
                    "biometric_choice_text",
                    if self.spec.biometrics {
                        "You can always change this in the menu."
                    } else {
                        "No biometric is set up on this phone/tablet."
                    },
                )
                .button_if("biometric_yes", "Yes", self.spec.biometrics)
                .button("biometric_no", "No"),
            Step::Notifications => screen("notifications")
                .title("notifications_title", "Notifications")
                .text("notifications_text", "MitID notifies you when you have something to approve.")
                .button("notifications_accept", "Accept notifications"),
            Step::Activated => screen("activated")
                .title("activated_title", "This app is now activated and ready to use")
                .button("activated_ok", "OK"),
            Step::Home => {
                let status = match backend.open_copy_request(&self.spec.udid) {
                    Some(r) => format!(
                        "Copying to a new app. Time left: {}",
                        clock_text(Duration::from_secs(r.ready_at_secs).saturating_sub(now))
                    ),
                    None => String::new(),
                };
                let b = screen("home")
                    .button("menu_button", "Menu")
                    .title("home_title", "MitID")
                    .text("home_status", "Your MitID app is active");
                if status.is_empty() { b } else { b.text("home_copy_status", &status) }
            }
            Step::Menu => screen("menu")
                .title("menu_title", "Menu")
                .button("menu_activate", "Activate")
                .button("menu_close", "Close"),
            Step::ActivateMenu => screen("activate_menu")
                .title("activate_menu_title", "Activate")
                .button("activate_copy_to_new_app", "Copy your MitID to a new app")
                .button("back_home", "Back"),
            Step::UpdateRequired => screen("update_required")
                .title("update_title", "Update the MitID app")
                .text(
                    "update_text",
                    "Your MitID app must be updated before you can copy it. Update the MitID app in the App Store or Google Play.",
                )
                .button("back_home", "OK"),
            Step::CopyInfo => screen("copy_info")
                .title("copy_info_title", "Copy your MitID to a new app")
                .text(
                    "copy_info_text",
                    "You can copy your MitID app to another phone or tablet by scanning a QR code from this app. You can have up to three active MitID apps at the same time.",
                )
                .button("copy_info_next", "Next"),
            Step::Pin(_) => {
                let b = screen("pin_entry")
                    .title("pin_title", "Enter your PIN code")
                    .secure_field("pin_input", "PIN code")
                    .button("pin_next", "Next");
                if self.spec.biometrics { b.button("pin_use_biometric", &format!("Use {biometric_name}")) } else { b }
            }
            Step::ConfirmCopy => screen("copy_confirm")
                .title("copy_confirm_title", "Wait 1 hour before you copy")
                .text(
                    "copy_confirm_text",
                    "As a security measure, you need to wait for 1 hour before you can copy your MitID app.",
                )
                .checkbox("copy_confirm_checkbox", "Yes, I want to copy")
                .button_if("copy_confirm_start", "Start copying", self.checked.contains("copy_confirm_checkbox")),
            Step::TooManyApps => screen("too_many_apps")
                .title("too_many_apps_title", "You already have three active MitID apps")
                .text(
                    "too_many_apps_text",
                    "You can have up to three active MitID apps at the same time. Delete one of them before you copy your MitID app.",
                )
                .button("back_home", "OK"),
            Step::Waiting => {
                let left = backend
                    .open_copy_request(&self.spec.udid)
                    .map(|r| Duration::from_secs(r.ready_at_secs).saturating_sub(now))
                    .unwrap_or_default();
                screen("waiting")
                    .title("waiting_title", "The waiting period has started")
                    .text(
                        "waiting_text",
                        "You can close the MitID app while waiting. You'll receive a notification from the app when the waiting time is over.",
                    )
                    .text("waiting_time_left", &format!("Time left: {}", clock_text(left)))
                    .button("waiting_ok", "OK")
            }
            Step::ShowQrIntro => screen("show_qr_intro")
                .title("show_qr_title", "Show QR code and copy MitID to the new app")
                .text("show_qr_text", "The waiting time is over. Show the QR code and scan it with your new phone/tablet.")
                .button("show_qr_button", "Show QR code"),
            Step::Qr(id) => {
                let session = backend.qr_sessions.get(id);
                let left = session.map(|s| s.expires_at.saturating_sub(now)).unwrap_or_default();
                screen("qr_code")
                    .title("qr_title", "Scan the QR code with your new phone/tablet")
                    .qr("qr_code_image", session.map(|s| s.payload()).unwrap_or_default())
                    .text("qr_valid_for", &format!("The QR code is valid for 3 minutes. Time left: {}", clock_text(left)))
                    .button("qr_cancel", "Cancel")
            }
            Step::QrExpired => screen("qr_expired")
                .title("qr_expired_title", "The QR code has expired")
                .text("qr_expired_text", "The QR code is valid for 3 minutes. Show a new QR code to continue.")
                .button("qr_show_new", "Show new QR code")
                .button("qr_cancel", "Cancel"),
            Step::ContinueOnNew(_) => screen("continue_on_new")
                .title("continue_title", "Continue on your new phone/tablet")
                .text("continue_text", "The QR code has been scanned. Follow the instructions on your new phone/tablet.")
                .button("qr_cancel", "Cancel"),
            Step::CopyDone => screen("copy_done")
                .title("copy_done_title", "Your MitID app has been copied")
                .text("copy_done_text", "Your MitID app on this phone/tablet is still active.")
                .button("copy_done_ok", "OK"),
            Step::BluetoothInfo(_) => {
                let title = if self.needs_location(&BTreeSet::new()) {
                    "Bluetooth and location access is required"
                } else {
                    "Bluetooth access is required"
                };
                screen("bluetooth_info")
                    .title("bluetooth_info_title", title)
                    .text(
                        "bluetooth_info_text",
                        "To ensure that you are the one scanning the QR code, MitID requires the use of Bluetooth.",
                    )
                    .button("bluetooth_info_next", "Next")
            }
            Step::BluetoothOff(_) => screen("bluetooth_off")
                .title("bluetooth_off_title", "Turn on Bluetooth")
                .text(
                    "bluetooth_off_text",
                    "Bluetooth is turned off. Make sure that Bluetooth is enabled on both phones/tablets. You can activate Bluetooth in your phone's/tablet's settings.",
                )
                .button("bluetooth_try_again", "Try again"),
            Step::PermissionDenied(_) => screen("permission_denied")
                .title("permission_denied_title", "Access is required")
                .text(
                    "permission_denied_text",
                    "MitID cannot copy your app without access to Bluetooth and the camera. Allow access in your phone's/tablet's settings, then try again.",
                )
                .button("permission_try_again", "Try again"),
            Step::Dialog(permission, _) => self.dialog(*permission),
            Step::Biometric(_) => {
                let (title, text) = if android {
                    ("Use fingerprint", "Touch the fingerprint sensor")
                } else {
                    ("Face ID", "Look at your iPhone to use Face ID")
                };
                screen("biometric_prompt")
                    .title("biometric_prompt_title", title)
                    .text("biometric_prompt_text", text)
                    .button("biometric_cancel", "Cancel")
            }
        };
        if let Some(message) = &self.message {
            s.children.push(Node::new(Role::Text, "screen_message", message.clone()));
        }
        let name = s.id.clone();
        Screen { secure: self.step.is_secure(), name, root: s }
    }

    fn dialog(&self, permission: Permission) -> Node {
        let android = self.platform() == Platform::Android;
        let (title, allow, deny) = match (permission, android) {
            (Permission::Bluetooth, true) => (
                "Allow MitID to find, connect to, and determine the relative position of nearby devices?",
                "Allow",
                "Don't allow",
            ),
            (Permission::Location, true) => {
                ("Allow MitID to access this device's location?", "While using the app", "Don't allow")
            }
            (Permission::Camera, true) => {
                ("Allow MitID to take pictures and record video?", "While using the app", "Don't allow")
            }
            (Permission::Notifications, true) => ("Allow MitID to send you notifications?", "Allow", "Don't allow"),
            (Permission::Bluetooth, false) => ("\"MitID\" Would Like to Use Bluetooth", "OK", "Don't Allow"),
            (Permission::Location, false) => {
                ("Allow \"MitID\" to use your location?", "Allow While Using App", "Don't Allow")
            }
            (Permission::Camera, false) => ("\"MitID\" Would Like to Access the Camera", "OK", "Don't Allow"),
            (Permission::Notifications, false) => {
                ("\"MitID\" Would Like to Send You Notifications", "Allow", "Don't Allow")
            }
        };
        screen(permission.screen_name())
            .title("permission_message", title)
            .button("permission_allow", allow)
            .button("permission_deny", deny)
    }

    /// The id of the input or check state, for page source and screenshots.
    fn value_of(&self, id: &str) -> String {
        self.inputs.get(id).cloned().unwrap_or_default()
    }
}

/// The OS home screen, shown while the app is not running.
fn launcher() -> Screen {
    let mut root = Node::new(Role::Screen, "launcher", "");
    root.children.push(Node::new(Role::Text, "launcher_title", "Home screen"));
    root.children.push(Node::new(Role::Button, "launcher_mitid", "MitID"));
    Screen { name: "launcher".into(), secure: false, root }
}

fn attempts_left(n: u32) -> String {
    if n == 1 {
        "You have 1 attempt left.".into()
    } else {
        format!("You have {n} attempts left.")
    }
}

/// `m:ss` under an hour, `h:mm:ss` from an hour.
pub fn clock_text(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The root of an app screen; its id is the screen's name.
fn screen(id: &str) -> Node {
    Node::new(Role::Screen, id, "")
}

/// Chained construction of a screen's children.
trait Children: Sized {
    fn push(self, node: Node) -> Self;
    fn title(self, id: &str, text: &str) -> Self {
        self.push(Node::new(Role::Title, id, text))
    }
    fn text(self, id: &str, text: &str) -> Self {
        self.push(Node::new(Role::Text, id, text))
    }
    fn button(self, id: &str, text: &str) -> Self {
        self.button_if(id, text, true)
    }
    fn button_if(self, id: &str, text: &str, enabled: bool) -> Self {
        let mut n = Node::new(Role::Button, id, text);
        n.enabled = enabled;
        self.push(n)
    }
    fn image(self, id: &str, text: &str) -> Self {
        self.push(Node::new(Role::Image, id, text))
    }
    fn qr(self, id: &str, payload: String) -> Self {
        let mut n = Node::new(Role::QrCode, id, "QR code");
        n.qr = Some(payload);
        self.push(n)
    }
    fn field(self, id: &str, label: &str) -> Self {
        self.push(Node::new(Role::TextField, id, label))
    }
    fn secure_field(self, id: &str, label: &str) -> Self {
        self.push(Node::new(Role::SecureField, id, label))
    }
    fn checkbox(self, id: &str, text: &str) -> Self {
        self.push(Node::new(Role::Checkbox, id, text))
    }
    fn radio(self, id: &str, text: &str) -> Self {
        self.push(Node::new(Role::Radio, id, text))
    }
}

impl Children for Node {
    fn push(mut self, node: Node) -> Self {
        self.children.push(node);
        self
    }
}

impl Phone {
    /// Fills in typed values and ticks on a built screen.
    fn decorate(&self, screen: &mut Screen) {
        fn visit(phone: &Phone, node: &mut Node) {
            if node.is_input() {
                node.value = phone.value_of(&node.id);
            }
            if matches!(node.role, Role::Checkbox | Role::Radio) {
                node.checked = phone.checked.contains(&node.id);
            }
            for child in &mut node.children {
                visit(phone, child);
            }
        }
        visit(self, &mut screen.root);
    }
}
