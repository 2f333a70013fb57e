//! The app's state on one phone (its [`Step`] in the copy flow, inputs, ticks,
//! permissions) and the moves it makes by itself: launch, terminate, refresh.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crate::backend::{Backend, EnrolmentStage};
use crate::config::{Defect, PhoneSpec};
use crate::rules;
use crate::ui::Platform;

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
    pub(super) fn is_secure(&self) -> bool {
        matches!(
            self,
            Step::Pin(_) | Step::TemporaryPin | Step::CreatePin | Step::RepeatPin | Step::Qr(_) | Step::UserId
        )
    }
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
    pub(super) inputs: HashMap<String, String>,
    pub(super) checked: BTreeSet<String>,
    pub(super) granted: BTreeSet<(Permission, bool)>,
    /// What the camera sees: the payload of the last injected image.
    pub camera: Option<String>,
    /// A message on the current screen (an error, or a biometric miss).
    pub(super) message: Option<String>,
    /// The first PIN entry of step 23, until it is repeated.
    pub(super) pending_pin: Option<String>,
    /// BlueZ radio: since when the scanner has been listening for the
    /// beacon of the QR code in the camera (see [`Phone::scan_pending`]).
    pub(super) listening_since: Option<std::time::Instant>,
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

    pub(super) fn go(&mut self, step: Step) {
        self.step = step;
        self.instance += 1;
        self.inputs.clear();
        self.checked.clear();
        self.message = None;
    }

    pub(super) fn say(&mut self, message: impl Into<String>) {
        self.message = Some(message.into());
        self.instance += 1;
        self.inputs.clear();
    }

    /// Where the app opens: what a person sees after launching it.
    pub(super) fn launch_step(&self, backend: &Backend, now: Duration) -> Step {
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
    pub fn launch(&mut self, cx: &AppContext) {
        if !self.running {
            self.running = true;
            let step = self.resume_step(cx).unwrap_or_else(|| self.launch_step(cx.backend, cx.now));
            self.go(step);
        }
    }

    /// A new app closed in the middle of the copy resumes at the last step
    /// the backend confirmed (an assumption: [`rules::COPY_RESUMES_AFTER_RESTART`]).
    fn resume_step(&self, cx: &AppContext) -> Option<Step> {
        if !rules::COPY_RESUMES_AFTER_RESTART || cx.defects.contains(&Defect::CopyLostOnRestart) {
            return None;
        }
        let enrolment = cx.backend.enrolments.get(&self.spec.udid)?;
        Some(match enrolment.stage {
            EnrolmentStage::Scanned => Step::UserId,
            EnrolmentStage::UserIdConfirmed => Step::TemporaryPin,
            EnrolmentStage::TemporaryPinConfirmed => Step::ChoosePin,
        })
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
            Step::Home | Step::Waiting if self.launch_step(backend, now) == Step::ShowQrIntro => {
                self.go(Step::ShowQrIntro);
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

    pub(super) fn needs_location(&self, defects: &BTreeSet<Defect>) -> bool {
        self.api_level().is_some_and(rules::android_needs_location)
            && !defects.contains(&Defect::NoLocationPromptOnOldAndroid)
    }

    pub(super) fn notification_dialog_exists(&self) -> bool {
        match self.platform() {
            Platform::Ios => true,
            Platform::Android => self.api_level().is_some_and(|api| api >= 33),
        }
    }

    pub(super) fn granted(&self, p: Permission) -> bool {
        self.granted.contains(&(p, true))
    }
}
