//! The `mobile:` scripts (execute sync): Bluetooth via the Android shell,
//! biometrics, app activation and state, and injected camera images.

use std::sync::Arc;

use axum::extract::{Path, State};
use base64::Engine as _;
use serde_json::{json, Value};

use super::{command, device, parse_json, str_field};
use crate::app::Phone;
use crate::error::{ok, W3cError, W3cResult};
use crate::farm::FarmState;
use crate::server::Shared;
use crate::ui::Platform;
use crate::{ANDROID_PACKAGE, IOS_BUNDLE_ID};

/// One `mobile:` extension method: its name as the driver spells it, the
/// driver command behind it, the platform whose driver has it (`None`:
/// both, under the same name), and its parameters as the driver's
/// execute-method map declares them.
pub(super) struct Script {
    pub name: &'static str,
    pub command: &'static str,
    pub platform: Option<Platform>,
    /// The required parameters on Android and on iOS (the app methods take
    /// `appId` on Android and `bundleId` on iOS).
    required: (&'static [&'static str], &'static [&'static str]),
    pub optional: &'static [&'static str],
}

impl Script {
    pub fn required(&self, platform: Platform) -> &'static [&'static str] {
        match platform {
            Platform::Android => self.required.0,
            Platform::Ios => self.required.1,
        }
    }
}

const fn script(
    name: &'static str,
    command: &'static str,
    platform: Option<Platform>,
    required: (&'static [&'static str], &'static [&'static str]),
    optional: &'static [&'static str],
) -> Script {
    Script { name, command, platform, required, optional }
}

const ANDROID: Option<Platform> = Some(Platform::Android);
const IOS: Option<Platform> = Some(Platform::Ios);
const BOTH: Option<Platform> = None;
const NONE: &[&str] = &[];
const APP: (&[&str], &[&str]) = (&["appId"], &["bundleId"]);

/// The `mobile:` methods the farm serves, with the drivers' names and
/// parameters (appium-uiautomator2-driver / appium-android-driver and
/// appium-xcuitest-driver execute-method maps), plus the farm's own
/// `mobile: injectCameraImage`.
pub(super) const SCRIPTS: &[Script] = &[
    script("mobile: shell", "mobileShell", ANDROID, (&["command"], NONE), &["args", "timeout", "includeStderr"]),
    script("mobile: bluetooth", "mobileBluetooth", ANDROID, (&["action"], NONE), NONE),
    script("mobile: fingerprint", "mobileFingerprint", ANDROID, (&["fingerprintId"], NONE), NONE),
    script("mobile: sendBiometricMatch", "mobileSendBiometricMatch", IOS, (NONE, NONE), &["type", "match"]),
    script("mobile: activateApp", "activateApp", BOTH, APP, NONE),
    script("mobile: terminateApp", "mobileTerminateApp", BOTH, APP, NONE),
    script("mobile: queryAppState", "queryAppState", BOTH, APP, NONE),
    script("mobile: isAppInstalled", "mobileIsAppInstalled", BOTH, APP, NONE),
    script(
        "mobile: pressKey",
        "mobilePressKey",
        ANDROID,
        (&["keycode"], NONE),
        &["metastate", "flags", "isLongPress", "source"],
    ),
    script("mobile: pressButton", "mobilePressButton", IOS, (NONE, &["name"]), &["durationSeconds"]),
    script("mobile: getCurrentPackage", "getCurrentPackage", ANDROID, (NONE, NONE), NONE),
    script("mobile: getCurrentActivity", "getCurrentActivity", ANDROID, (NONE, NONE), NONE),
    script("mobile: activeAppInfo", "mobileGetActiveAppInfo", IOS, (NONE, NONE), NONE),
    script("mobile: getContexts", "mobileGetContexts", BOTH, (NONE, NONE), &["waitForWebviewMs"]),
    script("mobile: getDeviceTime", "mobileGetDeviceTime", BOTH, (NONE, NONE), &["format"]),
    script("mobile: deviceInfo", "mobileGetDeviceInfo", BOTH, (NONE, NONE), NONE),
    script("mobile: isKeyboardShown", "isKeyboardShown", BOTH, (NONE, NONE), NONE),
    script("mobile: hideKeyboard", "hideKeyboard", BOTH, (NONE, NONE), NONE),
    script("mobile: backgroundApp", "mobileBackgroundApp", BOTH, (NONE, NONE), &["seconds"]),
    script("mobile: pullFile", "pullFile", BOTH, (&["remotePath"], &["remotePath"]), NONE),
    script("mobile: alert", "mobileHandleAlert", IOS, (NONE, &["action"]), &["buttonLabel"]),
    script("mobile: injectCameraImage", "injectCameraImage", BOTH, (&["image"], &["image"]), NONE),
];

/// Turns the phone's Bluetooth on or off, as its system log says.
fn switch_bluetooth(state: &mut FarmState, udid: &str, on: bool) -> Result<(), W3cError> {
    let i = state.phone_index(udid).ok_or_else(|| W3cError::unknown_error("phone is gone"))?;
    state.phones[i].bluetooth_on = on;
    state.phones[i].note(
        crate::app::LogLevel::Info,
        "BluetoothManagerService",
        if on { "Bluetooth enabled" } else { "Bluetooth disabled" },
    );
    state.refresh();
    Ok(())
}

/// `mobile:queryAppState` and `mobile:  queryAppState` are
/// `mobile: queryAppState`, as the drivers rewrite the name.
pub(super) fn normalize(script: &str) -> String {
    let script = script.trim();
    match script.strip_prefix("mobile:") {
        Some(rest) => format!("mobile: {}", rest.trim_start()),
        None => script.to_owned(),
    }
}

pub(super) async fn execute(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    let body = parse_json(&body)?;
    if body.get("script").is_none() || body.get("args").is_none() {
        return Err(super::device::bad_parameters(&["script", "args"], &[], &body));
    }
    let script = normalize(str_field(&body, "script")?);
    // As Appium validates an execute method's arguments: zero or one, and
    // that one a JSON object.
    let args = match body.get("args") {
        Some(Value::Array(a)) if a.len() <= 1 => a.first().cloned().unwrap_or(json!({})),
        other => {
            return Err(W3cError::invalid_argument(format!(
                "Did not get correct format of arguments for execute method. Expected zero or one arguments to \
                 execute script and instead received: {}",
                other.cloned().unwrap_or(Value::Null)
            )))
        }
    };
    if script.starts_with("mobile: ") && !args.is_object() {
        return Err(W3cError::invalid_argument(
            "Did not receive an appropriate execute method parameters object. It needs to be deserializable as a plain JS object",
        ));
    }
    // Decoding the camera image is the slow part: do it outside the lock.
    let camera_payload = if script == "mobile: injectCameraImage" {
        let b64 = args.get("image").and_then(Value::as_str).ok_or_else(|| {
            W3cError::invalid_argument("mobile: injectCameraImage needs {\"image\": \"<base64 PNG>\"}")
        })?;
        let png = base64::engine::general_purpose::STANDARD.decode(b64.trim()).map_err(|e| {
            W3cError::invalid_argument(format!("mobile: injectCameraImage: 'image' is not base64: {e}"))
        })?;
        Some(
            crate::camera::decode_qr(&png)
                .map_err(|e| W3cError::invalid_argument(format!("mobile: injectCameraImage: {e}")))?,
        )
    } else {
        None
    };
    let injected = camera_payload.is_some();
    let answer =
        command(&shared, &sid, "executeScript", |state, s| run_mobile(state, &s.udid, &script, &args, camera_payload))
            .await;
    if injected {
        await_scan_decided(&shared, &sid).await;
    }
    answer
}

/// `radio = "bluez"`: an injected QR code may leave the scanner listening
/// for its beacon (`Phone::scan_pending`) until the BlueZ radio has heard
/// it or given up. The injection answers once that is decided, so a client
/// that reads the screen next sees the outcome, as it would on the
/// in-memory radio. Polls outside the lock; bounded by the listening time,
/// after which the scan is decided here (a radio task that stopped must
/// not leave the scanner listening for ever).
async fn await_scan_decided(shared: &Arc<Shared>, sid: &str) {
    let limit = crate::app::LISTEN_FOR_BEACON + crate::bluez::RECONCILE_EVERY * 5;
    let start = std::time::Instant::now();
    loop {
        let pending = {
            let mut state = shared.lock();
            let Some(udid) = state.sessions.get(sid).map(|s| s.udid.clone()) else { return };
            if state.scan_pending(&udid) && start.elapsed() >= limit {
                state.retry_pending_scans();
            }
            state.scan_pending(&udid)
        };
        if !pending || start.elapsed() >= limit {
            shared.deliver_outbox().await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn run_mobile(state: &mut FarmState, udid: &str, script: &str, args: &Value, camera: Option<String>) -> W3cResult {
    let platform = state.phone(udid).map(Phone::platform).ok_or_else(|| W3cError::unknown_error("phone is gone"))?;
    if !script.starts_with("mobile: ") {
        // UiAutomator2 and XCUITest run scripts only in a web context.
        return Err(W3cError::unknown_method(format!(
            "Method is not implemented: this is a native app context, where only 'mobile:' methods run (got '{}')",
            script.chars().take(60).collect::<String>()
        )));
    }
    let Some(method) = SCRIPTS.iter().find(|m| m.name == script && m.platform.is_none_or(|p| p == platform)) else {
        let known: Vec<&str> =
            SCRIPTS.iter().filter(|m| m.platform.is_none_or(|p| p == platform)).map(|m| m.name).collect();
        return Err(W3cError::unsupported_operation(format!(
            "Unsupported execute method '{script}' on this {} phone ({}). Execute methods available: {}",
            platform.name(),
            platform.automation_name(),
            known.join(", ")
        )));
    };
    let required = method.required(platform);
    if required.iter().any(|r| args.get(r).is_none_or(Value::is_null)) {
        return Err(device::bad_parameters(required, method.optional, args));
    }
    let app = || -> Result<String, W3cError> {
        let key = required.first().copied().unwrap_or("appId");
        args.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| W3cError::invalid_argument(format!("{script}: '{key}' must be a string")))
    };
    match script {
        "mobile: shell" => {
            let line = shell_line(args)?;
            let on = match line.as_str() {
                "cmd bluetooth_manager enable" | "svc bluetooth enable" => true,
                "cmd bluetooth_manager disable" | "svc bluetooth disable" => false,
                _ => {
                    return Err(W3cError::unsupported_operation(format!(
                        "the virtual phone's shell only runs 'cmd bluetooth_manager enable|disable' and 'svc bluetooth enable|disable', not '{line}'"
                    )))
                }
            };
            switch_bluetooth(state, udid, on)?;
            Ok(ok(json!("")))
        }
        // appium-android-driver's own command: the Settings app's broadcast
        // below API 30, `cmd bluetooth_manager` from 30 on; no insecure
        // feature, unlike `mobile: shell`.
        "mobile: bluetooth" => match args.get("action").and_then(Value::as_str) {
            Some("enable") => switch_bluetooth(state, udid, true).map(|_| ok(Value::Null)),
            Some("disable") => switch_bluetooth(state, udid, false).map(|_| ok(Value::Null)),
            Some("unpairAll") => Ok(ok(Value::Null)),
            _ => Err(W3cError::invalid_argument(
                "You must provide a valid 'action' argument. Supported actions are: enable,disable,unpairAll",
            )),
        },
        "mobile: fingerprint" => {
            let id = args
                .get("fingerprintId")
                .and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
                .ok_or_else(|| W3cError::invalid_argument("mobile: fingerprint needs {\"fingerprintId\": <1-10>}"))?;
            let matched = id == u64::from(crate::rules::ENROLLED_FINGERPRINT_ID);
            state.with_app(udid, |phone, cx| phone.biometric(crate::config::Biometric::Fingerprint, matched, cx));
            Ok(ok(Value::Null))
        }
        "mobile: sendBiometricMatch" => {
            let kind = args.get("type").and_then(Value::as_str).unwrap_or("touchId");
            if kind != "touchId" && kind != "faceId" {
                return Err(W3cError::invalid_argument(format!(
                    "mobile: sendBiometricMatch type must be touchId or faceId, not '{kind}'"
                )));
            }
            let matched = args.get("match").and_then(Value::as_bool).unwrap_or(true);
            let given =
                if kind == "faceId" { crate::config::Biometric::FaceId } else { crate::config::Biometric::TouchId };
            state.with_app(udid, |phone, cx| phone.biometric(given, matched, cx));
            Ok(ok(Value::Null))
        }
        "mobile: activateApp" => device::activate(state, udid, &app()?),
        "mobile: terminateApp" => device::terminate(state, udid, &app()?),
        "mobile: queryAppState" => Ok(ok(device::app_state(state, udid, &app()?))),
        "mobile: isAppInstalled" => Ok(ok(json!(device::installed(state, udid, &app()?)))),
        "mobile: pressKey" => {
            let keycode = args.get("keycode").cloned().unwrap_or(Value::Null);
            device::press_key(state, udid, &keycode)
        }
        "mobile: pressButton" => {
            let name = args.get("name").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
            match name.as_str() {
                "home" => {
                    state.with_app(udid, |phone, _| phone.send_to_background());
                    Ok(ok(Value::Null))
                }
                "volumeup" | "volumedown" => Ok(ok(Value::Null)),
                _ => Err(W3cError::invalid_argument(format!(
                    "mobile: pressButton: '{}' is not a button of an iPhone; the name must be home, volumeUp or volumeDown",
                    args.get("name").cloned().unwrap_or(Value::Null)
                ))),
            }
        }
        "mobile: getCurrentPackage" => Ok(ok(json!(foreground_package(state, udid)))),
        "mobile: getCurrentActivity" => {
            let package = foreground_package(state, udid);
            Ok(ok(json!(if package == ANDROID_PACKAGE { ".MainActivity" } else { ".Launcher" })))
        }
        "mobile: activeAppInfo" => {
            let running = state.phone(udid).is_some_and(|p| p.running);
            Ok(ok(if running {
                json!({ "pid": 4321, "bundleId": IOS_BUNDLE_ID, "name": "", "processArguments": { "args": [], "env": {} } })
            } else {
                json!({ "pid": 58, "bundleId": "com.apple.springboard", "name": "", "processArguments": { "args": [], "env": {} } })
            }))
        }
        "mobile: getContexts" => Ok(ok(match platform {
            // UiAutomator2 lists the web views it found: the app has none.
            Platform::Android => json!([]),
            Platform::Ios => json!([{ "id": super::device::NATIVE_APP }]),
        })),
        "mobile: getDeviceTime" => {
            let format = match args.get("format") {
                None | Some(Value::Null) => None,
                Some(Value::String(f)) => Some(f.as_str()),
                Some(other) => {
                    return Err(W3cError::invalid_argument(format!(
                        "mobile: getDeviceTime: 'format' must be a string, got {other}"
                    )))
                }
            };
            Ok(ok(device::device_time(state, udid, format)?))
        }
        "mobile: deviceInfo" => Ok(ok(device_info(state, udid))),
        "mobile: isKeyboardShown" => Ok(ok(json!(state.phone(udid).is_some_and(|p| p.keyboard_shown())))),
        "mobile: hideKeyboard" => device::hide_keyboard(state, udid),
        "mobile: backgroundApp" => {
            // As the drivers: to the background, and back after `seconds`
            // unless they are negative or absent. The phone's clock does not
            // move (time passes only by the test-control API), so it is back
            // at once.
            let restore = args.get("seconds").and_then(Value::as_f64).is_some_and(|s| s >= 0.0);
            state.with_app(udid, |phone, cx| {
                phone.send_to_background();
                if restore {
                    phone.launch(cx);
                }
            });
            Ok(ok(Value::Null))
        }
        "mobile: pullFile" => {
            let path = args.get("remotePath").and_then(Value::as_str).unwrap_or_default().to_owned();
            device::pull_file(state, udid, &path)
        }
        "mobile: alert" => super::alert::mobile_alert(state, udid, args),
        "mobile: injectCameraImage" => {
            let payload =
                camera.ok_or_else(|| W3cError::invalid_argument("mobile: injectCameraImage needs an image"))?;
            state.with_app(udid, |phone, cx| phone.inject_camera(payload, cx));
            Ok(ok(Value::Null))
        }
        other => Err(W3cError::unsupported_operation(format!("'{other}' is listed but not served: a farm bug"))),
    }
}

/// The package in the foreground: a system dialog's, the launcher's while
/// the app is not, else the app's (as the page source says it).
fn foreground_package(state: &mut FarmState, udid: &str) -> String {
    let app = state.phone(udid).map_or(ANDROID_PACKAGE, |p| crate::app_id(p.platform()));
    match super::screen::screen_of(state, udid) {
        Ok((_, tree)) => tree.children.first().and_then(|c| c.attr("package")).unwrap_or(app).to_owned(),
        Err(_) => app.to_owned(),
    }
}

/// `mobile: deviceInfo`, as UiAutomator2 and XCUITest answer it.
fn device_info(state: &FarmState, udid: &str) -> Value {
    let Some(phone) = state.phone(udid) else { return Value::Null };
    match phone.platform() {
        Platform::Android => json!({
            "androidId": format!("{:016x}", udid.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))),
            "manufacturer": "Google",
            "model": phone.spec.model,
            "brand": "google",
            "apiVersion": phone.api_level().map(|a| a.to_string()),
            "platformVersion": phone.os_version,
            "carrierName": "",
            "realDisplaySize": format!("{}x{}", crate::ui::SCREEN_WIDTH, crate::ui::SCREEN_HEIGHT),
            "displayDensity": 160,
            "networks": [],
            "locale": "en_DK",
            "timeZone": "UTC",
            "bluetooth": { "state": if phone.bluetooth_on { "ON" } else { "OFF" } },
        }),
        Platform::Ios => json!({
            "currentLocale": "en_DK",
            "timeZone": "UTC",
            "name": phone.spec.model,
            "model": "iPhone",
            "uuid": udid,
            "userInterfaceIdiom": 1,
            "userInterfaceStyle": "light",
            "isSimulator": false,
            "thermalState": 0,
        }),
    }
}

/// `mobile: shell` takes `{"command": "cmd", "args": ["a", "b"]}` (args may
/// also be one string).
fn shell_line(args: &Value) -> Result<String, W3cError> {
    let command = args
        .get("command")
        .and_then(Value::as_str)
        .ok_or_else(|| W3cError::invalid_argument("mobile: shell needs {\"command\": \"...\", \"args\": [...]}"))?;
    let rest = match args.get("args") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    Ok(format!("{command} {rest}").split_whitespace().collect::<Vec<_>>().join(" "))
}
