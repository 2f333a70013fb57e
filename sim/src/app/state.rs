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
    /// The step's name for the log, without its data.
    fn label(&self) -> String {
        match self {
            Step::Qr(_) => "Qr".into(),
            Step::ContinueOnNew(_) => "ContinueOnNew".into(),
            other => format!("{other:?}"),
        }
    }

    pub(super) fn is_secure(&self) -> bool {
        matches!(
            self,
            Step::Pin(_) | Step::TemporaryPin | Step::CreatePin | Step::RepeatPin | Step::Qr(_) | Step::UserId
        )
    }
}
/// How serious a log line is (logcat's D I W; syslog's Debug, Notice,
/// Warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
}

/// One line of a phone's system log.
#[derive(Debug, Clone)]
pub struct LogLine {
    /// Increasing per phone: a reader asks for what came after.
    pub seq: u64,
    /// The phone's virtual time when it was written.
    pub at: Duration,
    pub level: LogLevel,
    pub tag: String,
    pub message: String,
}

/// A phone advertising the proximity beacon: who, where, what. What is on
/// the air is the advert alone: a scanner reads the token from its service
/// UUID ([`Advertisement::mitid_token`](crate::advert::Advertisement::mitid_token)).
#[derive(Debug, Clone)]
pub struct Beacon {
    pub udid: String,
    pub rig: String,
    pub advert: crate::advert::Advertisement,
}

/// What the app may consult while acting.
pub struct AppContext<'a> {
    pub backend: &'a mut Backend,
    /// This phone's time as the backend reads it: Unix time, the farm's
    /// epoch plus the phone's virtual clock.
    pub now: Duration,
    /// Every phone's time, for checks on another phone's timeline (a QR
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
    /// The app is running in the background (Home, Back from its first
    /// screen): it keeps its screen and comes back to it when activated.
    pub background: bool,
    /// The text field that has the focus, by accessibility id: the soft
    /// keyboard is shown while there is one on the screen.
    pub focused: Option<String>,
    /// The phone's system log (logcat, syslog): the app's own lines and the
    /// system's about it, newest last, never a PIN or user ID.
    pub log: std::collections::VecDeque<LogLine>,
    /// The sequence number the next log line gets.
    pub(super) log_seq: u64,
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
    /// How often each permission's prompt was refused since install:
    /// Android 11+ offers "don't ask again" on the second prompt and shows
    /// none after a second refusal.
    pub(super) refusals: std::collections::BTreeMap<Permission, u8>,
    /// XCUITest's `autoAcceptAlerts` (true) or `autoDismissAlerts` (false)
    /// of the session on this phone: WebDriverAgent answers every alert as
    /// it appears.
    pub auto_alerts: Option<bool>,
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
            background: false,
            focused: None,
            log: Default::default(),
            log_seq: 0,
            clock: Duration::ZERO,
            step: Step::Welcome,
            instance: 1,
            inputs: HashMap::new(),
            checked: BTreeSet::new(),
            granted: BTreeSet::new(),
            refusals: Default::default(),
            auto_alerts: None,
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
        let (log, log_seq) = (std::mem::take(&mut self.log), self.log_seq);
        // The driver's alert handling belongs to the session, not the app.
        let auto_alerts = self.auto_alerts;
        *self = Phone::new(self.spec.clone());
        self.auto_alerts = auto_alerts;
        // Time on a phone never runs backwards, reset or not; its log stays.
        self.clock = clock;
        self.instance = instance;
        self.new_views();
        self.log = log;
        self.log_seq = log_seq;
        self.note(LogLevel::Info, "PackageManager", format!("{}: data cleared, as freshly installed", self.app_id()));
    }

    /// A line in the phone's system log. Nothing secret may be written here.
    /// The MitID app's id on this phone's platform, as its log names it.
    fn app_id(&self) -> &'static str {
        crate::app_id(self.platform())
    }

    pub fn note(&mut self, level: LogLevel, tag: &str, message: impl Into<String>) {
        const KEPT: usize = 1000;
        self.log.push_back(LogLine {
            seq: self.log_seq,
            at: self.clock,
            level,
            tag: tag.to_owned(),
            message: message.into(),
        });
        self.log_seq += 1;
        while self.log.len() > KEPT {
            self.log.pop_front();
        }
    }

    /// The screen is drawn anew: element references found before are stale
    /// (the driver's view identity, not the app's behaviour).
    pub(super) fn new_views(&mut self) {
        self.instance = self.instance.wrapping_add(1);
    }

    pub(super) fn go(&mut self, step: Step) {
        if step != self.step {
            self.note(LogLevel::Info, "MitID", format!("screen {}", step.label()));
        }
        self.focused = None;
        self.step = step;
        self.new_views();
        self.inputs.clear();
        self.checked.clear();
        self.message = None;
    }

    pub(super) fn say(&mut self, message: impl Into<String>) {
        let message = message.into();
        self.note(LogLevel::Warn, "MitID", format!("shows: {message}"));
        self.message = Some(message);
        self.new_views();
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

    /// `mobile: activateApp`, or a tap on the launcher icon: a running app
    /// comes back to the foreground where it was; else it starts.
    pub fn launch(&mut self, cx: &AppContext) {
        if self.running {
            return;
        }
        self.running = true;
        if std::mem::take(&mut self.background) {
            self.note(LogLevel::Info, "ActivityManager", format!("{} brought to the foreground", self.app_id()));
            self.new_views();
            return;
        }
        self.note(
            LogLevel::Info,
            "ActivityManager",
            format!("Start proc {0} for top-activity {0}/.MainActivity", self.app_id()),
        );
        let step = self.resume_step(cx).unwrap_or_else(|| self.launch_step(cx.backend, cx.now));
        self.go(step);
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
            // The defect: reopened, the app forgets the block and asks for
            // what it asked for before it.
            EnrolmentStage::Blocked if cx.defects.contains(&Defect::BlockLiftedOnRestart) => {
                if enrolment.temporary_pin.is_some() {
                    Step::TemporaryPin
                } else {
                    Step::UserId
                }
            }
            // A block outlives the app: reopened, it says so again.
            EnrolmentStage::Blocked => Step::Blocked,
        })
    }

    /// `mobile: terminateApp`: the app's data stays, its screen does not.
    pub fn terminate(&mut self) -> bool {
        let was_running = self.running || self.background;
        if was_running {
            self.note(LogLevel::Info, "ActivityManager", format!("Force stopping {}", self.app_id()));
        }
        self.running = false;
        self.background = false;
        self.focused = None;
        self.new_views();
        was_running
    }

    /// Home (or App switch): the app goes on in the background, where a
    /// launch finds it again.
    pub fn send_to_background(&mut self) {
        if self.running {
            self.note(LogLevel::Info, "ActivityManager", format!("{} moved to the background", self.app_id()));
            self.running = false;
            self.background = true;
            self.focused = None;
            self.new_views();
        }
    }

    /// Appium's app states: 1 installed but not running, 3 running in the
    /// background, 4 running in the foreground.
    pub fn app_state(&self) -> u8 {
        if self.running {
            4
        } else if self.background {
            3
        } else {
            1
        }
    }

    /// The soft keyboard is up: a text field on the screen has the focus.
    pub fn keyboard_shown(&self) -> bool {
        self.running && self.focused.is_some()
    }

    /// The app activated on this phone with the given identity (control API).
    pub fn activate(&mut self) {
        self.running = true;
        self.go(Step::Home);
    }

    /// Transitions that come from time passing or from other phones.
    pub fn refresh(&mut self, backend: &Backend, now: Duration, defects: &BTreeSet<Defect>) {
        if !self.running && !self.background {
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
                Some(s) if s.expired(now, defects.contains(&Defect::QrNeverExpires)) => self.go(Step::QrExpired),
                Some(_) => {}
                None => self.go(Step::QrExpired),
            },
            // The new phone's attempt was blocked: start again here.
            Step::ContinueOnNew(id) if backend.qr_sessions.get(&id).is_some_and(|s| s.blocked) => {
                let step = self.launch_step(backend, now);
                self.go(step);
                if self.step == Step::ShowQrIntro {
                    self.say("The copy was blocked on your new phone/tablet. Show a new QR code to start again.");
                }
            }
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
        let live = session.used_by.is_none()
            && !session.replaced
            && !session.expired(now, defects.contains(&Defect::QrNeverExpires));
        (self.running && self.bluetooth_on && live).then(|| session.beacon_token.clone())
    }

    pub(super) fn needs_location(&self, defects: &BTreeSet<Defect>) -> bool {
        self.api_level().is_some_and(rules::android_needs_location)
            && !defects.contains(&Defect::NoLocationPromptOnOldAndroid)
    }

    /// Android 12 (API 31) made Bluetooth scanning a runtime permission
    /// ("Nearby devices"); before, Bluetooth was granted at install and
    /// only location was asked for. iOS always asks.
    pub(super) fn bluetooth_dialog_exists(&self) -> bool {
        match self.platform() {
            Platform::Ios => true,
            Platform::Android => self.api_level().is_none_or(|api| api > rules::LAST_ANDROID_API_NEEDING_LOCATION),
        }
    }

    /// UiAutomator2's `autoGrantPermissions`: every runtime permission the
    /// app declares is granted (`pm grant`), so no prompt ever shows.
    pub fn grant_all_permissions(&mut self) {
        for p in [Permission::Bluetooth, Permission::Location, Permission::Camera, Permission::Notifications] {
            self.granted.remove(&(p, false));
            self.granted.insert((p, true));
        }
        self.note(LogLevel::Info, "PackageManager", format!("{}: all runtime permissions granted", self.app_id()));
    }

    pub(super) fn notification_dialog_exists(&self) -> bool {
        match self.platform() {
            Platform::Ios => true,
            Platform::Android => self.api_level().is_some_and(|api| api >= 33),
        }
    }

    /// A permission refused for good: asking again shows no prompt, only
    /// the Settings app can allow it (or installing the app again). iOS
    /// asks once: after "Don’t Allow" the authorization is `.denied`.
    /// Android 11 (API 30) and later: after two refusals.
    pub(super) fn refused_for_good(&self, p: Permission) -> bool {
        let refusals = self.refusals.get(&p).copied().unwrap_or(0);
        match self.platform() {
            Platform::Ios => refusals >= 1,
            Platform::Android => self.api_level().is_some_and(|api| api >= 30) && refusals >= 2,
        }
    }

    /// Android 11+: the prompt after a refusal offers to refuse for good.
    pub(super) fn offers_dont_ask_again(&self, p: Permission) -> bool {
        self.platform() == Platform::Android
            && self.api_level().is_some_and(|api| api >= 30)
            && self.refusals.get(&p).copied().unwrap_or(0) >= 1
    }

    /// Whether the app on this phone approves with biometric (steps 5 and
    /// 9): the person chose so at step 24 (or the app was provisioned so),
    /// and the phone has one enrolled.
    pub(super) fn approves_with_biometric(&self, backend: &Backend, defects: &BTreeSet<Defect>) -> bool {
        let chosen = backend.identity_of_app(&self.spec.udid).is_some_and(|i| i.biometric.contains(&self.spec.udid));
        self.spec.biometric().is_some() && (chosen || defects.contains(&Defect::BiometricChoiceIgnored))
    }

    pub(super) fn granted(&self, p: Permission) -> bool {
        self.granted.contains(&(p, true))
    }
}
