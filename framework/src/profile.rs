//! Device profiles (`devices/*.toml`): which phones, where their Appium
//! server and test-control API are, how the QR reaches the new phone's
//! camera, how time passes, and the deadlines. Parsing is strict: an unknown
//! or missing field is an error naming the file and the field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::file::{FileError, FileKind};

/// A phone platform, as profiles and capabilities name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Android phones and tablets (`"android"` in a profile).
    Android,
    /// iPhones and iPads (`"ios"` in a profile).
    Ios,
}

impl Platform {
    /// Every platform.
    pub const ALL: [Platform; 2] = [Platform::Android, Platform::Ios];

    /// The name Appium's `platformName` and messages use: "Android", "iOS".
    pub fn name(self) -> &'static str {
        match self {
            Platform::Android => "Android",
            Platform::Ios => "iOS",
        }
    }

    /// The Appium driver a real phone of this platform uses.
    pub fn automation_name(self) -> &'static str {
        match self {
            Platform::Android => "UiAutomator2",
            Platform::Ios => "XCUITest",
        }
    }
}

/// The biometric a phone has enrolled: the help page's "fingerprint/Touch
/// ID/Face ID", each given to the phone by its driver's own command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Biometric {
    /// Android: `mobile: fingerprint`.
    Fingerprint,
    /// iPhone or iPad: `mobile: sendBiometricMatch` with type `touchId`.
    TouchId,
    /// iPhone or iPad: `mobile: sendBiometricMatch` with type `faceId`.
    FaceId,
}

impl Biometric {
    /// Every biometric the help page names, in its order.
    pub const ALL: [Biometric; 3] = [Biometric::Fingerprint, Biometric::TouchId, Biometric::FaceId];

    /// The usual one of a platform: a fingerprint on Android, Face ID on an iPhone.
    pub fn usual(platform: Platform) -> Biometric {
        match platform {
            Platform::Android => Biometric::Fingerprint,
            Platform::Ios => Biometric::FaceId,
        }
    }

    /// How the help page names it: "fingerprint", "Touch ID", "Face ID".
    pub fn name(self) -> &'static str {
        match self {
            Biometric::Fingerprint => "fingerprint",
            Biometric::TouchId => "Touch ID",
            Biometric::FaceId => "Face ID",
        }
    }
}

/// What a device is: the help page says "phone/tablet" throughout, and a
/// copy goes from either to either.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Form {
    /// A phone (`"phone"`, the default).
    #[default]
    Phone,
    /// A tablet: an iPad, an Android tablet (`"tablet"`).
    Tablet,
}

impl Form {
    /// Every form.
    pub const ALL: [Form; 2] = [Form::Phone, Form::Tablet];

    /// "phone" or "tablet".
    pub fn name(self) -> &'static str {
        match self {
            Form::Phone => "phone",
            Form::Tablet => "tablet",
        }
    }
}

/// How the QR code gets from the old phone's screen to the new phone's camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CameraMode {
    /// The farm's `mobile: injectCameraImage` puts the screenshot in the camera.
    Inject,
    /// A physical rig points the new phone's camera at the old phone's
    /// screen: nothing to send; the framework still decodes the QR and
    /// records the payload it expects.
    Rig,
}

/// How an hour of waiting passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    /// The test-control API moves the backend's clock.
    Virtual,
    /// Really wait (nightly `@real-time` runs), with a progress line.
    Real,
}

/// An HTTP endpoint, or `"embedded"` for the virtual farm the runner starts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// `http://` or `https://` URL, or `"embedded"`.
    pub url: String,
}

impl Endpoint {
    /// Whether this is the virtual farm the runner starts itself.
    pub fn is_embedded(&self) -> bool {
        self.url == "embedded"
    }
}

/// The `[camera]` section: how the new phone sees the QR code.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    /// Injected image or physical rig.
    pub mode: CameraMode,
}

/// The `[clock]` section: how the hour-long waits of the copy flow pass.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    /// Moved by the test-control API, or really waited for.
    pub mode: ClockMode,
}

/// Where the SMS and push gateways listen, and what they look for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySettings {
    /// Address the wiremock gateways bind to.
    #[serde(default = "loopback")]
    pub bind: String,
    /// Host the backend is told to post to (a lab backend on another machine
    /// needs the test host's address); defaults to `bind`.
    #[serde(default)]
    pub advertise_host: Option<String>,
    /// Regex whose first group is the temporary PIN in an SMS text.
    #[serde(default = "default_pin_pattern")]
    pub temporary_pin_pattern: String,
}

fn loopback() -> String {
    "127.0.0.1".into()
}
fn default_pin_pattern() -> String {
    r"temporary PIN code[^0-9]*(\d{4,10})".into()
}

impl Default for GatewaySettings {
    fn default() -> Self {
        GatewaySettings { bind: loopback(), advertise_host: None, temporary_pin_pattern: default_pin_pattern() }
    }
}

/// Deadlines, in seconds. A step that runs past its deadline fails, naming
/// the step and the deadline, and its phones' sessions are closed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// Any step, unless its kind has its own.
    #[serde(default = "default_step")]
    pub step: f64,
    /// Steps that wait for the 1-hour period on a `real` clock.
    #[serde(default = "default_waiting_step")]
    pub waiting_step: f64,
    /// Finding an element or a screen on a phone.
    #[serde(default = "default_find")]
    pub find: f64,
    /// Reaching the Appium server and creating a session.
    #[serde(default = "default_connect")]
    pub connect: f64,
    /// An SMS or push arriving at a gateway.
    #[serde(default = "default_message")]
    pub message: f64,
    /// A scenario waiting for free phones before its first step; apart from
    /// the step deadlines, which start once it has them. Default: ten step
    /// deadlines.
    #[serde(default)]
    pub lease: Option<f64>,
}

fn default_step() -> f64 {
    30.0
}
fn default_waiting_step() -> f64 {
    2.0 * 3600.0
}
fn default_find() -> f64 {
    10.0
}
fn default_connect() -> f64 {
    10.0
}
fn default_message() -> f64 {
    10.0
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            step: default_step(),
            waiting_step: default_waiting_step(),
            find: default_find(),
            connect: default_connect(),
            message: default_message(),
            lease: None,
        }
    }
}

impl Timeouts {
    /// [`Timeouts::step`](field@Timeouts::step) as a duration.
    pub fn step(&self) -> Duration {
        secs(self.step)
    }
    /// [`Timeouts::waiting_step`](field@Timeouts::waiting_step) as a duration.
    pub fn waiting_step(&self) -> Duration {
        secs(self.waiting_step)
    }
    /// [`Timeouts::find`](field@Timeouts::find) as a duration.
    pub fn find(&self) -> Duration {
        secs(self.find)
    }
    /// [`Timeouts::connect`](field@Timeouts::connect) as a duration.
    pub fn connect(&self) -> Duration {
        secs(self.connect)
    }
    /// [`Timeouts::message`](field@Timeouts::message) as a duration.
    pub fn message(&self) -> Duration {
        secs(self.message)
    }
    /// [`Timeouts::lease`](field@Timeouts::lease) as a duration: ten step
    /// deadlines when the profile does not say.
    pub fn lease(&self) -> Duration {
        self.lease.map_or(self.step() * 10, secs)
    }
}

fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(Duration::from_secs(30))
}

/// The MitID app's identity on each platform.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    /// The Android package name (default `dk.mitid.app.android`, the
    /// MitID app's on Google Play).
    #[serde(default = "default_android_package")]
    pub android_package: String,
    /// The iOS bundle identifier (default `dk.mitid.app`: an assumption,
    /// as the App Store listing does not show it; a lab sets its own).
    #[serde(default = "default_ios_bundle_id")]
    pub ios_bundle_id: String,
}

fn default_android_package() -> String {
    "dk.mitid.app.android".into()
}

fn default_ios_bundle_id() -> String {
    "dk.mitid.app".into()
}

impl Default for App {
    fn default() -> Self {
        App { android_package: default_android_package(), ios_bundle_id: default_ios_bundle_id() }
    }
}

impl App {
    /// The app's id on `platform`, as `mobile: activateApp` takes it.
    pub fn id(&self, platform: Platform) -> &str {
        match platform {
            Platform::Android => &self.android_package,
            Platform::Ios => &self.ios_bundle_id,
        }
    }
}

/// One phone the run may lease.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneProfile {
    /// The phone's id on its Appium server (`appium:udid`); unique in a profile.
    pub udid: String,
    /// Android or iOS.
    pub platform: Platform,
    /// The OS version (`appium:platformVersion`); `@android-11`-style tags
    /// ask for it.
    pub os_version: String,
    /// Phones on one rig are within Bluetooth range of each other.
    pub rig: String,
    /// The phone's model ("Pixel 8"), for people reading the profile and
    /// the runner's phone list; the framework does not use it.
    #[serde(default)]
    pub model: Option<String>,
    /// The test-control API of this phone's lab, when a farm has several
    /// (each behind its own Grid node); `control.url` otherwise.
    #[serde(default)]
    pub control: Option<String>,
    /// Extra capabilities for this phone, merged over the platform's.
    #[serde(default)]
    pub capabilities: BTreeMap<String, toml::Value>,
    /// The Bluetooth address the phone's beacon comes from, when it is fixed
    /// (the virtual farm's BlueZ adapters; the runner fills it in). Real
    /// phones advertise from random private addresses: leave it out, and
    /// the host probe matches the beacon by its service UUID alone.
    #[serde(default)]
    pub bluetooth_address: Option<String>,
    /// The biometric enrolled on the phone (`"fingerprint"`, `"touch_id"`,
    /// `"face_id"`); unset: the platform's usual ([`Biometric::usual`]).
    #[serde(default)]
    pub biometric: Option<Biometric>,
    /// A phone or a tablet (`form = "tablet"`); default a phone.
    #[serde(default)]
    pub form: Form,
}

impl PhoneProfile {
    /// The biometric the steps give this phone.
    pub fn biometric(&self) -> Biometric {
        self.biometric.unwrap_or(Biometric::usual(self.platform))
    }
}

/// The host probe: a Bluetooth adapter on the test host that listens for
/// the old phone's beacon (`[bluetooth]`, optional).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BluetoothSettings {
    /// The host adapter, by name ("hci2") or address ("00:1A:7D:DA:71:13").
    pub adapter: String,
    /// How often the adapter hears a beacon that is on the air, in seconds
    /// (BlueZoo's --scan-interval; a real adapter: well under a second). A
    /// beacon counts as gone after two of these pass without it.
    #[serde(default = "default_scan_interval")]
    pub scan_interval_seconds: f64,
}

fn default_scan_interval() -> f64 {
    1.0
}

impl BluetoothSettings {
    /// [`BluetoothSettings::scan_interval_seconds`] as a duration.
    pub fn scan_interval(&self) -> Duration {
        secs(self.scan_interval_seconds)
    }
}

/// A whole device profile.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The Appium (or Selenium Grid) server.
    pub appium: Endpoint,
    /// The test-control API (clock, provisioning, radio range).
    pub control: Endpoint,
    /// How the QR code reaches the new phone's camera.
    pub camera: Camera,
    /// How the copy flow's hour passes.
    pub clock: Clock,
    /// The fixture identity the run copies (`fixtures/identities.toml`).
    #[serde(default = "default_identity")]
    pub identity: String,
    /// Each scenario provisions its own identity (the fixture's, made
    /// unique), for test backends that create identities on demand, such as
    /// virtual labs behind a Grid: scenarios side by side on one backend then
    /// do not share one. The embedded farm always does; a real backend's
    /// identities are fixed, so the default is off.
    #[serde(default)]
    pub identity_per_scenario: bool,
    /// The SMS and push gateways the framework runs for the backend.
    #[serde(default)]
    pub gateways: GatewaySettings,
    /// How long steps, finds, connections and messages may take.
    #[serde(default)]
    pub timeouts: Timeouts,
    /// The MitID app's package and bundle id.
    #[serde(default)]
    pub app: App,
    /// Capabilities every session of a platform gets.
    #[serde(default)]
    pub capabilities: BTreeMap<Platform, BTreeMap<String, toml::Value>>,
    /// The phones; for the embedded farm the runner fills these in from `[farm]`.
    #[serde(default)]
    pub phones: Vec<PhoneProfile>,
    /// The host Bluetooth probe; absent: Bluetooth steps fail, saying so.
    #[serde(default)]
    pub bluetooth: Option<BluetoothSettings>,
    /// The virtual farm's own section, read only by the runner.
    #[serde(default)]
    pub farm: Option<toml::Value>,
    /// Where runs are recorded (see docs/src/history.md).
    #[serde(default)]
    pub history: HistorySettings,
    /// Where this profile was read from (not a TOML field).
    #[serde(skip)]
    pub path: PathBuf,
}

/// `[history]`: the run history store.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySettings {
    /// `postgres://user@host:port/db` for a store the farm's CI machines
    /// share, or a SQLite file; absent: `<report dir>/history.sqlite`.
    #[serde(default)]
    pub url: Option<String>,
}

fn default_identity() -> String {
    "anna".into()
}

/// Why a profile cannot be used: it cannot be read, or it is invalid (the
/// message names the field). Nothing about a profile can be wrong but the file.
pub type ProfileError = FileError;

/// First `appium:systemPort` (UiAutomator2) handed out: each Android phone
/// gets this plus its place in the profile, so sessions side by side on one
/// Appium server do not collide on the driver's local port.
pub const SYSTEM_PORT_BASE: u64 = 8200;
/// First `appium:wdaLocalPort` (XCUITest) handed out, likewise for iOS phones.
pub const WDA_LOCAL_PORT_BASE: u64 = 8100;

/// Environment variables that override a profile, for CI secrets and URLs:
/// this one replaces `appium.url`.
pub const ENV_APPIUM_URL: &str = "MITID_APPIUM_URL";
/// Replaces `control.url` (see [`ENV_APPIUM_URL`]).
pub const ENV_CONTROL_URL: &str = "MITID_CONTROL_URL";

impl Profile {
    /// Reads and checks a profile, applying environment overrides.
    ///
    /// ```
    /// let p = mitid_e2e_framework::profile::Profile::load("../devices/virtual.toml".as_ref()).unwrap();
    /// assert!(p.appium.is_embedded());
    /// ```
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = crate::file::read_to_string(FileKind::DEVICE_PROFILE, path)?;
        Profile::parse(&text, path)
    }

    /// Parses and checks a profile's `text`, applying environment
    /// overrides; `path` is where it came from, for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Profile, ProfileError> {
        let invalid = |message: String| FileError::invalid(FileKind::DEVICE_PROFILE, path, message);
        let mut profile: Profile = toml::from_str(text).map_err(|e| invalid(describe_toml_error(&e, text)))?;
        profile.path = path.into();
        if let Ok(url) = std::env::var(ENV_APPIUM_URL) {
            profile.appium.url = url;
        }
        if let Ok(url) = std::env::var(ENV_CONTROL_URL) {
            profile.control.url = url;
        }
        profile.check().map_err(invalid)?;
        Ok(profile)
    }

    fn check(&self) -> Result<(), String> {
        for (field, endpoint) in [("appium.url", &self.appium), ("control.url", &self.control)] {
            let http = endpoint.url.starts_with("http://") || endpoint.url.starts_with("https://");
            if !(endpoint.is_embedded() || http) {
                return Err(format!("{field}: '{}' is neither \"embedded\" nor an http(s) URL", endpoint.url));
            }
        }
        if self.appium.is_embedded() != self.farm.is_some() {
            return Err("appium.url = \"embedded\" needs a [farm] section, and a [farm] section needs appium.url = \"embedded\"".into());
        }
        if !self.appium.is_embedded() && self.phones.is_empty() {
            return Err("phones: list at least one [[phones]] entry".into());
        }
        if let Err(e) = regex::Regex::new(&self.gateways.temporary_pin_pattern) {
            return Err(format!("gateways.temporary_pin_pattern: not a regex: {e}"));
        }
        for (field, v) in [
            ("timeouts.step", self.timeouts.step),
            ("timeouts.waiting_step", self.timeouts.waiting_step),
            ("timeouts.find", self.timeouts.find),
            ("timeouts.connect", self.timeouts.connect),
            ("timeouts.message", self.timeouts.message),
            ("timeouts.lease", self.timeouts.lease.unwrap_or(1.0)),
        ] {
            if !(v.is_finite() && v > 0.0 && v < 86_400.0) {
                return Err(format!("{field}: {v} is not a number of seconds between 0 and a day"));
            }
        }
        if let Some(bt) = &self.bluetooth {
            if bt.adapter.trim().is_empty() {
                return Err("bluetooth.adapter: name the host adapter (\"hci0\") or give its address".into());
            }
            let v = bt.scan_interval_seconds;
            if !(v.is_finite() && v > 0.0 && v <= 60.0) {
                return Err(format!(
                    "bluetooth.scan_interval_seconds: {v} is not a number of seconds between 0 and 60"
                ));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, p) in self.phones.iter().enumerate() {
            if !seen.insert(&p.udid) {
                return Err(format!("phones[{i}].udid: '{}' is listed twice", p.udid));
            }
        }
        Ok(())
    }

    /// The W3C capabilities for a session on `phone`.
    pub fn capabilities(&self, phone: &PhoneProfile) -> serde_json::Map<String, serde_json::Value> {
        let mut caps = serde_json::Map::new();
        caps.insert("platformName".into(), phone.platform.name().into());
        caps.insert("appium:automationName".into(), phone.platform.automation_name().into());
        caps.insert("appium:udid".into(), phone.udid.clone().into());
        caps.insert("appium:platformVersion".into(), phone.os_version.clone().into());
        // Parallel sessions on one Appium server collide on the driver's
        // local ports unless each phone has its own.
        if let Some(index) = self.phones.iter().position(|p| p.udid == phone.udid) {
            let index = index as u64;
            match phone.platform {
                Platform::Android => caps.insert("appium:systemPort".into(), (SYSTEM_PORT_BASE + index).into()),
                Platform::Ios => caps.insert("appium:wdaLocalPort".into(), (WDA_LOCAL_PORT_BASE + index).into()),
            };
        }
        let extra = self.capabilities.get(&phone.platform).into_iter().flatten().chain(phone.capabilities.iter());
        for (k, v) in extra {
            caps.insert(k.clone(), toml_to_json(v));
        }
        caps
    }
}

fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// toml's message already names the field and shows the line; say it once.
fn describe_toml_error(e: &toml::de::Error, text: &str) -> String {
    let line = e.span().map(|s| text.as_bytes()[..s.start.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1);
    match line {
        Some(line) => format!("line {line}: {}", e.message()),
        None => e.message().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        appium = { url = "http://127.0.0.1:4723" }
        control = { url = "http://127.0.0.1:8080" }
        camera = { mode = "rig" }
        clock = { mode = "real" }
        [[phones]]
        udid = "R58M"
        platform = "android"
        os_version = "14"
        rig = "bench-1"
    "#;

    #[test]
    fn a_minimal_lab_profile_parses_with_defaults() {
        let p = Profile::parse(MINIMAL, "lab.toml".as_ref()).unwrap();
        assert_eq!(p.identity, "anna");
        assert_eq!(p.timeouts.step(), Duration::from_secs(30));
        let caps = p.capabilities(&p.phones[0]);
        assert_eq!(caps["appium:automationName"], "UiAutomator2");
        assert_eq!(caps["appium:udid"], "R58M");
        assert_eq!(caps["appium:systemPort"], SYSTEM_PORT_BASE);
    }

    #[test]
    fn an_unknown_field_is_named_with_its_file_and_line() {
        let text = MINIMAL.replace("rig = \"bench-1\"", "rig = \"bench-1\"\ncolour = \"red\"");
        let e = Profile::parse(&text, "devices/lab.toml".as_ref()).unwrap_err().to_string();
        assert!(e.contains("devices/lab.toml"), "{e}");
        assert!(e.contains("colour"), "{e}");
        assert!(e.contains("line 11"), "{e}");
    }

    #[test]
    fn a_missing_field_is_named() {
        let text = MINIMAL.replace("clock = { mode = \"real\" }", "");
        let e = Profile::parse(&text, "p.toml".as_ref()).unwrap_err().to_string();
        assert!(e.contains("clock"), "{e}");
    }

    #[test]
    fn a_bluetooth_section_is_optional_and_strict() {
        let p = Profile::parse(MINIMAL, "p.toml".as_ref()).unwrap();
        assert!(p.bluetooth.is_none());
        let text = format!("{MINIMAL}\n[bluetooth]\nadapter = \"hci2\"\n");
        let p = Profile::parse(&text, "p.toml".as_ref()).unwrap();
        let bt = p.bluetooth.unwrap();
        assert_eq!(bt.adapter, "hci2");
        assert_eq!(bt.scan_interval(), Duration::from_secs(1));
        let e = Profile::parse(&(text.clone() + "colour = 1\n"), "p.toml".as_ref()).unwrap_err().to_string();
        assert!(e.contains("colour"), "{e}");
        let e = Profile::parse(&text.replace("\"hci2\"", "\" \""), "p.toml".as_ref()).unwrap_err().to_string();
        assert!(e.contains("bluetooth.adapter"), "{e}");
    }

    #[test]
    fn errors_say_it_is_a_device_profile_and_where() {
        let e = Profile::load("no/such/lab.toml".as_ref()).unwrap_err().to_string();
        assert!(e.starts_with("cannot read device profile no/such/lab.toml: "), "{e}");
        let e = Profile::parse(&MINIMAL.replace("rig = \"bench-1\"", ""), "lab.toml".as_ref()).unwrap_err().to_string();
        assert!(e.starts_with("device profile lab.toml: ") && e.contains("rig"), "{e}");
    }

    #[test]
    fn a_bad_url_is_named() {
        let text = MINIMAL.replace("http://127.0.0.1:4723", "localhost:4723");
        let e = Profile::parse(&text, "p.toml".as_ref()).unwrap_err().to_string();
        assert!(e.contains("appium.url") && e.contains("localhost:4723"), "{e}");
    }
}

#[cfg(test)]
mod shipped_profiles {
    use super::*;

    #[test]
    fn every_profile_in_devices_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../devices");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                Profile::load(&path).unwrap_or_else(|e| panic!("{e}"));
                seen += 1;
            }
        }
        assert!(seen >= 2, "virtual and lab example profiles");
    }
}
