//! How a farm is made: its phones, and the defects and faults it starts with.

use serde::{Deserialize, Serialize};

use crate::rules;
use crate::ui::Platform;

/// One virtual phone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneSpec {
    /// What `appium:udid` names to get a session on this phone.
    pub udid: String,
    pub platform: Platform,
    /// As the OS reports it: "14", "11", "17.5".
    pub os_version: String,
    #[serde(default = "default_model")]
    pub model: String,
    /// Phones on the same rig are within Bluetooth range of each other
    /// (with `radio = "bluez"`: phones whose rigs are on the same air, see
    /// [`FarmConfig::air`]).
    pub rig: String,
    #[serde(default = "default_app_version")]
    pub app_version: String,
    #[serde(default = "yes")]
    pub bluetooth: bool,
    /// A biometric is enrolled: a fingerprint (Android), Touch ID or Face
    /// ID (iOS), as [`PhoneSpec::biometric`] says.
    #[serde(default = "yes")]
    pub biometrics: bool,
    /// Which biometric the phone has; unset: a fingerprint on Android,
    /// Face ID on an iPhone.
    #[serde(default)]
    pub biometric: Option<Biometric>,
    /// A phone or a tablet, as the profile describes it (the farm draws
    /// every screen at one phone's size).
    #[serde(default)]
    pub form: Form,
    /// The BlueZ adapter (`"hci0"`) this phone advertises its beacon on
    /// when the farm's radio is `"bluez"`; required for every phone then,
    /// ignored by the in-memory radio.
    #[serde(default)]
    pub bluetooth_adapter: Option<String>,
}

fn default_model() -> String {
    "Virtual phone".into()
}
fn default_app_version() -> String {
    rules::CURRENT_APP_VERSION.into()
}
fn yes() -> bool {
    true
}

/// A phone or a tablet ("phone/tablet" on the help page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Form {
    #[default]
    Phone,
    Tablet,
}

/// The three biometrics the help page names: "fingerprint/Touch ID/Face ID".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Biometric {
    /// An Android phone's fingerprint sensor (`mobile: fingerprint`).
    Fingerprint,
    /// An iPhone's or iPad's Touch ID (`mobile: sendBiometricMatch` type `touchId`).
    TouchId,
    /// An iPhone's or iPad's Face ID (`mobile: sendBiometricMatch` type `faceId`).
    FaceId,
}

impl Biometric {
    /// How the app and the OS name it.
    pub fn name(self) -> &'static str {
        match self {
            Biometric::Fingerprint => "fingerprint",
            Biometric::TouchId => "Touch ID",
            Biometric::FaceId => "Face ID",
        }
    }
}

impl PhoneSpec {
    /// The biometric enrolled on the phone, if any.
    pub fn biometric(&self) -> Option<Biometric> {
        let usual = match self.platform {
            Platform::Android => Biometric::Fingerprint,
            Platform::Ios => Biometric::FaceId,
        };
        self.biometrics.then(|| self.biometric.unwrap_or(usual))
    }

    /// The Android API level for the OS version, as the permission rules
    /// need it; `None` on iOS or for a version we do not know.
    pub fn android_api_level(&self) -> Option<u32> {
        if self.platform != Platform::Android {
            return None;
        }
        let major: u32 = self.os_version.split('.').next()?.parse().ok()?;
        Some(match major {
            8 => 26,
            9 => 28,
            10 => 29,
            11 => 30,
            12 => 31,
            13 => 33,
            14 => 34,
            15 => 35,
            16 => 36,
            m if m > 16 => 36 + (m - 16),
            _ => return None,
        })
    }
}

/// A broken build of the app or backend, one per documented rule: the suite
/// must turn red against each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Defect {
    /// The 1-hour waiting period is skipped: the QR code can be shown at once.
    WaitSkipped,
    /// "The waiting time is over" is pushed as soon as the copy starts.
    PushSentEarly,
    /// The QR code is accepted however old it is.
    QrNeverExpires,
    /// The new phone does not check the old phone's Bluetooth beacon.
    NoProximityCheck,
    /// Any temporary PIN code is accepted.
    AnyTemporaryPinAccepted,
    /// Wrong temporary PIN codes never block the copy.
    NoTemporaryPinLockout,
    /// Any user ID is accepted.
    WrongUserIdAccepted,
    /// A fourth active app is allowed.
    FourthAppAllowed,
    /// An outdated app can start a copy.
    OutdatedAppCanCopy,
    /// Old Android (API 30 and below) is not asked for location access.
    NoLocationPromptOnOldAndroid,
    /// Bluetooth being off does not stop the copy.
    BluetoothOffIgnored,
    /// Denying the Bluetooth permission does not stop the copy.
    PermissionDenialIgnored,
    /// A PIN code and a different repeat are accepted.
    PinMismatchAccepted,
    /// The old app is deactivated when the copy completes.
    OldAppDeactivated,
    /// A wrong personal PIN code is accepted on the old phone (steps 5 and 9).
    WrongPinAccepted,
    /// The copy starts as soon as its confirmation screen opens, before
    /// "Yes, I want to copy" is checked (step 6).
    CopyStartedWithoutConsent,
    /// Closing the new app during steps 19-25 loses the copy: reopened, it
    /// starts over at 'Activate your MitID'.
    CopyLostOnRestart,
    /// The new phone takes any MitID beacon in range as proof of proximity,
    /// not only the one bound to the QR code it scanned.
    AnyBeaconAccepted,
    /// A QR code replaced by a newer one, or cancelled, is still accepted while its 3 minutes last.
    ReplacedQrAccepted,
    /// "Start copying" starts the copy without "Yes, I want to copy" checked.
    ConsentTickIgnored,
    /// Another registered person's user ID is accepted at step 20.
    AnotherPersonsUserIdAccepted,
    /// My user ID in other letter case is refused (MitID's user IDs are not case-sensitive).
    UserIdCaseSensitive,
    /// Wrong user IDs never block the copy.
    NoUserIdLockout,
    /// A temporary PIN code past its validity is accepted.
    ExpiredTemporaryPinAccepted,
    /// A temporary PIN code sent for an earlier attempt is accepted.
    EarlierTemporaryPinAccepted,
    /// Closing and opening the new app lifts a block: it resumes where the copy was, and the right code is taken.
    BlockLiftedOnRestart,
    /// A personal PIN code of any length is accepted at step 23.
    PinLengthUnchecked,
    /// Step 24's choice is ignored: the new app offers biometric whenever its phone has one.
    BiometricChoiceIgnored,
    /// The three-app limit is checked when the copy starts, not when it completes.
    AppLimitCheckedOnlyAtStart,
    /// Step 25's "Accept notifications" never asks the system: on Android
    /// 13+ and iOS the new app then shows no notification.
    NotificationPromptSkipped,
    /// The QR screen's countdown is a minute off: "Time left: 4:00" for a
    /// code valid 3 minutes. Only the countdown check of the approved
    /// screen texts catches it.
    QrTimeLeftWrong,
    /// One word of a sentence no step names changes: the waiting screen
    /// says "You'll get a notification" for "You'll receive a notification".
    /// Only the approved screen texts catch it.
    WaitingTextChanged,
}

impl Defect {
    pub const ALL: [Defect; 32] = [
        Defect::WaitSkipped,
        Defect::PushSentEarly,
        Defect::QrNeverExpires,
        Defect::NoProximityCheck,
        Defect::AnyTemporaryPinAccepted,
        Defect::NoTemporaryPinLockout,
        Defect::WrongUserIdAccepted,
        Defect::FourthAppAllowed,
        Defect::OutdatedAppCanCopy,
        Defect::NoLocationPromptOnOldAndroid,
        Defect::BluetoothOffIgnored,
        Defect::PermissionDenialIgnored,
        Defect::PinMismatchAccepted,
        Defect::OldAppDeactivated,
        Defect::WrongPinAccepted,
        Defect::CopyStartedWithoutConsent,
        Defect::CopyLostOnRestart,
        Defect::AnyBeaconAccepted,
        Defect::ReplacedQrAccepted,
        Defect::ConsentTickIgnored,
        Defect::AnotherPersonsUserIdAccepted,
        Defect::UserIdCaseSensitive,
        Defect::NoUserIdLockout,
        Defect::ExpiredTemporaryPinAccepted,
        Defect::EarlierTemporaryPinAccepted,
        Defect::BlockLiftedOnRestart,
        Defect::PinLengthUnchecked,
        Defect::BiometricChoiceIgnored,
        Defect::AppLimitCheckedOnlyAtStart,
        Defect::NotificationPromptSkipped,
        Defect::WaitingTextChanged,
        Defect::QrTimeLeftWrong,
    ];

    /// The snake_case name used in profiles, the CLI and the control API.
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }

    pub fn from_name(name: &str) -> Option<Defect> {
        Defect::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The feature tag of the rule this defect breaks: the scenarios so
    /// tagged, and only they, must fail against this defective build.
    pub fn rule_tag(self) -> &'static str {
        match self {
            Defect::WaitSkipped => "rule-waiting-period",
            Defect::PushSentEarly => "rule-waiting-notification",
            Defect::QrNeverExpires => "rule-qr-validity",
            Defect::NoProximityCheck => "rule-bluetooth-proximity",
            Defect::AnyTemporaryPinAccepted => "rule-temporary-pin",
            Defect::NoTemporaryPinLockout => "rule-temporary-pin-lockout",
            Defect::WrongUserIdAccepted => "rule-user-id",
            Defect::FourthAppAllowed => "rule-three-apps",
            Defect::OutdatedAppCanCopy => "rule-updated-app",
            Defect::NoLocationPromptOnOldAndroid => "rule-location-on-old-android",
            Defect::BluetoothOffIgnored => "rule-bluetooth-on",
            Defect::PermissionDenialIgnored => "rule-bluetooth-permission",
            Defect::PinMismatchAccepted => "rule-pin-repeat",
            Defect::OldAppDeactivated => "rule-old-app-stays-active",
            Defect::WrongPinAccepted => "rule-personal-pin",
            Defect::CopyStartedWithoutConsent => "rule-copy-consent",
            Defect::CopyLostOnRestart => "rule-copy-survives-restart",
            Defect::AnyBeaconAccepted => "rule-beacon-bound",
            Defect::ReplacedQrAccepted => "rule-qr-replaced",
            Defect::ConsentTickIgnored => "rule-consent-tick",
            Defect::AnotherPersonsUserIdAccepted => "rule-user-id-of-this-person",
            Defect::UserIdCaseSensitive => "rule-user-id-any-case",
            Defect::NoUserIdLockout => "rule-user-id-lockout",
            Defect::ExpiredTemporaryPinAccepted => "rule-temporary-pin-validity",
            Defect::EarlierTemporaryPinAccepted => "rule-temporary-pin-this-attempt",
            Defect::BlockLiftedOnRestart => "rule-block-survives-restart",
            Defect::PinLengthUnchecked => "rule-pin-length",
            Defect::BiometricChoiceIgnored => "rule-biometric-choice",
            Defect::AppLimitCheckedOnlyAtStart => "rule-three-apps-at-completion",
            Defect::NotificationPromptSkipped => "rule-notifications-asked",
            // No rule is broken, and no tag marks the scenarios that pass the
            // screen: the approved texts catch it wherever it shows (see
            // `changed_screen`).
            Defect::WaitingTextChanged | Defect::QrTimeLeftWrong => "screen-texts",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Defect::WaitSkipped => "the 1-hour waiting period is skipped",
            Defect::PushSentEarly => "'the waiting time is over' is pushed as soon as the copy starts",
            Defect::QrNeverExpires => "the QR code never expires",
            Defect::NoProximityCheck => "the new phone does not check Bluetooth proximity",
            Defect::AnyTemporaryPinAccepted => "any temporary PIN code is accepted",
            Defect::NoTemporaryPinLockout => "wrong temporary PIN codes never block the copy",
            Defect::WrongUserIdAccepted => "any user ID is accepted",
            Defect::FourthAppAllowed => "a fourth active app is allowed",
            Defect::OutdatedAppCanCopy => "an outdated app can start a copy",
            Defect::NoLocationPromptOnOldAndroid => "Android API 30 and below is not asked for location",
            Defect::BluetoothOffIgnored => "Bluetooth being off does not stop the copy",
            Defect::PermissionDenialIgnored => "a denied Bluetooth permission does not stop the copy",
            Defect::PinMismatchAccepted => "a PIN code and a different repeat are accepted",
            Defect::OldAppDeactivated => "the old app is deactivated when the copy completes",
            Defect::WrongPinAccepted => "a wrong personal PIN code is accepted on the old phone",
            Defect::CopyStartedWithoutConsent => "the copy starts before 'Yes, I want to copy' is checked",
            Defect::CopyLostOnRestart => "closing the new app during the copy loses it",
            Defect::AnyBeaconAccepted => "any MitID beacon in range is taken, not only the scanned code's",
            Defect::ReplacedQrAccepted => "a QR code replaced by a newer one (or cancelled) is still accepted",
            Defect::ConsentTickIgnored => "'Start copying' starts the copy without 'Yes, I want to copy' checked",
            Defect::AnotherPersonsUserIdAccepted => "another registered person's user ID is accepted",
            Defect::UserIdCaseSensitive => "my user ID in other letter case is refused",
            Defect::NoUserIdLockout => "wrong user IDs never block the copy",
            Defect::ExpiredTemporaryPinAccepted => "a temporary PIN code past its validity is accepted",
            Defect::EarlierTemporaryPinAccepted => "a temporary PIN code sent for an earlier attempt is accepted",
            Defect::BlockLiftedOnRestart => "closing and opening the new app lifts a block",
            Defect::PinLengthUnchecked => "a personal PIN code of any length is accepted",
            Defect::BiometricChoiceIgnored => {
                "step 24's choice is ignored: biometric is offered whenever the phone has it"
            }
            Defect::AppLimitCheckedOnlyAtStart => "the three-app limit is not checked again when the copy completes",
            Defect::NotificationPromptSkipped => {
                "'Accept notifications' goes on without asking the system (Android 13+ and iOS then show none)"
            }
            Defect::WaitingTextChanged => "one word changes on the waiting screen ('You'll get' for 'You'll receive')",
            Defect::QrTimeLeftWrong => "the QR screen's time left is a minute off ('Time left: 4:00')",
        }
    }

    /// The screen whose approved texts catch this defect, for a defect that
    /// changes a text no step names: every scenario that passes the screen,
    /// and only those, must fail against it.
    pub fn changed_screen(self) -> Option<&'static str> {
        match self {
            Defect::WaitingTextChanged => Some("waiting"),
            Defect::QrTimeLeftWrong => Some("qr_code"),
            _ => None,
        }
    }
}

/// Something going wrong in the farm itself, as it does with real phones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The session ends in the middle of a command (`invalid session id`).
    SessionDies,
    /// The command never answers.
    Hang,
    /// The command answers HTTP 500 `unknown error`.
    ServerError,
    /// Screenshots of secure screens (PIN, QR) come back black, as with
    /// Android's FLAG_SECURE.
    BlackScreenshots,
    /// The backend never sends the SMS.
    SmsNotSent,
    /// The backend never sends the push notification.
    PushNotSent,
    /// The old phone never advertises its Bluetooth beacon.
    BeaconNotSent,
    /// The old phone advertises a MitID beacon, but not with the token the
    /// backend bound to its QR code.
    BeaconUnbound,
    /// The old phone's app puts its token in service data under a fixed
    /// service UUID (the contract before issue #14) instead of in the
    /// service UUID: an iPhone refuses that advert, and it does not fit an
    /// Android phone's legacy advertisement, so it never reaches the air.
    BeaconServiceData,
    /// `radio = "bluez"`: the phone's adapter hears a beacon only
    /// `LATE_HEARING` (1 s) after its app began listening for it, as a phone
    /// whose Bluetooth scan starts with its QR scanner needs a moment to
    /// discover the advertiser. `udid` is the listening (new) phone.
    BeaconHeardLate,
}

/// How late a phone with the `beacon_heard_late` fault hears a beacon:
/// within the time a scan listens for one, so a scanner that waits for the
/// beacon still hears it, and one that does not wait refuses the code.
pub const LATE_HEARING: std::time::Duration = std::time::Duration::from_secs(1);
const _: () = assert!(LATE_HEARING.as_millis() < crate::app::LISTEN_FOR_BEACON.as_millis());

/// When a fault applies. Empty filters match everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    pub fault: FaultKind,
    /// Only on this phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udid: Option<String>,
    /// Only for this WebDriver command, by its W3C name (`click`,
    /// `findElement`, `getScreenshot`, `executeScript`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Only this many times; forever when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

impl FaultKind {
    /// Whether it is about WebDriver commands (and so may name one).
    fn is_per_command(self) -> bool {
        matches!(self, FaultKind::SessionDies | FaultKind::Hang | FaultKind::ServerError | FaultKind::BlackScreenshots)
    }

    /// Whether it is a state the farm is in while it is switched on (the
    /// beacon faults), rather than something that happens a number of times.
    fn is_state(self) -> bool {
        matches!(
            self,
            FaultKind::BeaconNotSent
                | FaultKind::BeaconUnbound
                | FaultKind::BeaconServiceData
                | FaultKind::BeaconHeardLate
        )
    }
}

impl FaultRule {
    /// Refuses a scope the fault would not honour: a `command` on a fault
    /// that is not about commands (an SMS, a push, a beacon), and `times` on
    /// a beacon fault, which is a state until cleared, not an event.
    pub fn check(&self) -> Result<(), String> {
        let name =
            serde_json::to_value(self.fault).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        if self.command.is_some() && !self.fault.is_per_command() {
            return Err(format!(
                "'command' does not apply to {name}: it is not about a WebDriver command (leave 'command' out)"
            ));
        }
        if self.fault == FaultKind::BlackScreenshots && self.command.as_deref().is_some_and(|c| c != "getScreenshot") {
            return Err(format!(
                "{name} is about 'getScreenshot' only, not '{}'",
                self.command.as_deref().unwrap_or_default()
            ));
        }
        if self.times.is_some() && self.fault.is_state() {
            return Err(format!(
                "'times' does not apply to {name}: the beacon stays so until DELETE /sim/faults (leave 'times' out)"
            ));
        }
        Ok(())
    }
}

/// How the farm's phones put their Bluetooth beacons on the air.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RadioMode {
    /// Beacons live only in the farm's memory (the default; needs nothing).
    #[default]
    Memory,
    /// Besides that, each advertising phone registers a real LE
    /// advertisement through BlueZ's `LEAdvertisingManager1` on its own
    /// adapter, on the system bus `DBUS_SYSTEM_BUS_ADDRESS` names (BlueZoo in
    /// CI), so a host adapter can scan for it; and every phone's adapter
    /// scans: the new phone's proximity check needs the token heard by its
    /// own adapter. Range is then which BlueZ a phone's rig is on
    /// ([`FarmConfig::air`]), not the rig's name.
    Bluez,
}

/// Everything a farm starts with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FarmConfig {
    pub phones: Vec<PhoneSpec>,
    /// `"memory"` (default) or `"bluez"`.
    #[serde(default)]
    pub radio: RadioMode,
    /// `radio = "bluez"`: rig → the D-Bus address of the BlueZ that rig's
    /// phones are on (its *air*). One BlueZ has no range model: every
    /// adapter on it hears every other. So phones are within range exactly
    /// when their rigs share an air, and a phone moved to a rig with an air
    /// of its own (`PUT /sim/phones/{udid} {"rig": ..}`) really hears, and
    /// is heard, no more. Rigs not named here are on the system bus
    /// (`DBUS_SYSTEM_BUS_ADDRESS`), with the host probe. A value `"${NAME}"`
    /// is read from the environment variable NAME when the farm starts.
    #[serde(default)]
    pub air: std::collections::BTreeMap<String, String>,
    /// The system bus's address (`DBUS_SYSTEM_BUS_ADDRESS`) as the farm
    /// started with it: an air at that address is the system bus's air, not
    /// a second one (two connections to one BlueZ would each forget the
    /// devices the other has yet to read).
    #[serde(skip)]
    pub system_bus: Option<String>,
    #[serde(default)]
    pub defects: Vec<Defect>,
    #[serde(default)]
    pub faults: Vec<FaultRule>,
    /// Added to every WebDriver command, to imitate real phones.
    #[serde(default)]
    pub latency_ms: u64,
    /// What each kind of command costs, besides `latency_ms`: a number, a
    /// preset (`"uiautomator2"`, `"xcuitest"`, `"drivers"`) or a table
    /// ([`crate::latency`]).
    #[serde(default)]
    pub latency: crate::latency::Latency,
    /// Added, besides `latency_ms`, to every WebDriver command on the
    /// phone of this udid: a slower phone (the history's `slow` trend).
    #[serde(default)]
    pub phone_latency_ms: std::collections::BTreeMap<String, u64>,
    /// Answer browsers from any origin, as `appium --allow-cors` does: every
    /// answer carries `Access-Control-Allow-Origin: *` and the methods and
    /// headers Appium allows, and a preflight `OPTIONS` is answered 200.
    /// Off by default, as in Appium: a web page could otherwise drive the
    /// farm. Appium Inspector in a browser needs it (see docs/src/virtual-farm.md, Appium Inspector).
    #[serde(default)]
    pub allow_cors: bool,
}

impl Default for FarmConfig {
    /// Three rigs of two phones each: a current and an older Android, iOS.
    fn default() -> Self {
        let phone = |udid: &str, platform, os: &str, model: &str, rig: &str| PhoneSpec {
            udid: udid.into(),
            platform,
            os_version: os.into(),
            model: model.into(),
            rig: rig.into(),
            app_version: default_app_version(),
            bluetooth: true,
            biometrics: true,
            biometric: None,
            form: Form::Phone,
            bluetooth_adapter: None,
        };
        FarmConfig {
            radio: RadioMode::Memory,
            air: Default::default(),
            system_bus: None,
            phones: vec![
                phone("android-14-a1", Platform::Android, "14", "Pixel 8", "rig-a"),
                phone("android-14-a2", Platform::Android, "14", "Pixel 7", "rig-a"),
                phone("ios-17-b1", Platform::Ios, "17.5", "iPhone 15", "rig-b"),
                phone("ios-17-b2", Platform::Ios, "17.5", "iPhone 13", "rig-b"),
                phone("android-11-c1", Platform::Android, "11", "Pixel 4a", "rig-c"),
                phone("android-13-c2", Platform::Android, "13", "Galaxy S22", "rig-c"),
            ],
            defects: Vec::new(),
            faults: Vec::new(),
            latency_ms: 0,
            latency: Default::default(),
            phone_latency_ms: Default::default(),
            allow_cors: false,
        }
    }
}

impl FarmConfig {
    /// The air a rig is on: its D-Bus address, or `None` for the system bus.
    pub fn air_of(&self, rig: &str) -> Option<&str> {
        self.air.get(rig).map(String::as_str).filter(|a| Some(*a) != self.system_bus.as_deref())
    }

    /// The rigs a phone may be moved to: the phones' own, and those with an
    /// air (on the BlueZ radio a phone needs an air to be somewhere).
    pub fn known_rigs(&self) -> std::collections::BTreeSet<&str> {
        self.phones.iter().map(|p| p.rig.as_str()).chain(self.air.keys().map(String::as_str)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defect_names_round_trip() {
        for d in Defect::ALL {
            assert_eq!(Defect::from_name(&d.name()), Some(d), "{d:?}");
        }
        assert_eq!(Defect::WaitSkipped.name(), "wait_skipped");
        assert_eq!(Defect::from_name("nope"), None);
    }

    #[test]
    fn api_levels_follow_android_versions() {
        let mut p = FarmConfig::default().phones[4].clone();
        assert_eq!(p.android_api_level(), Some(30));
        p.os_version = "12".into();
        assert_eq!(p.android_api_level(), Some(31));
        p.platform = Platform::Ios;
        assert_eq!(p.android_api_level(), None);
    }
}
