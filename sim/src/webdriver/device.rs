//! Appium's device and session routes beyond W3C: contexts, orientation,
//! the device's time, the keyboard, apps, files, logs, settings, and the
//! lists of commands and extensions Appium Inspector reads. Each answers
//! as UiAutomator2 or XCUITest answers it for the phone's platform, and
//! refuses what a phone refuses.

use std::sync::Arc;

use axum::extract::{Path, State};
use serde_json::{json, Map, Value};

use super::{command, parse_json};
use crate::device::{self, DateTime};
use crate::error::{ok, W3cError, W3cResult};
use crate::farm::FarmState;
use crate::server::Shared;
use crate::ui::Platform;
use crate::{ANDROID_PACKAGE, IOS_BUNDLE_ID};

/// The only context of a native app.
pub(super) const NATIVE_APP: &str = "NATIVE_APP";

fn platform_of(state: &FarmState, udid: &str) -> Result<Platform, W3cError> {
    state.phone(udid).map(|p| p.platform()).ok_or_else(|| W3cError::unknown_error(format!("phone '{udid}' is gone")))
}

// --- location ---------------------------------------------------------------------

/// `GET /location`: UiAutomator2 reads the phone's location (through the
/// Settings app); XCUITest only when WebDriverAgent may use location
/// services "Always", which a lab iPhone is not set to, and says so.
pub(super) async fn location(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getGeoLocation", |state, s| match platform_of(state, &s.udid)? {
        Platform::Android => {
            let (latitude, longitude, altitude) = device::LOCATION;
            Ok(ok(json!({ "latitude": latitude, "longitude": longitude, "altitude": altitude })))
        }
        Platform::Ios => Err(W3cError::unknown_error(
            "Location service must be set to 'Always' in order to retrieve the current geolocation data. Please set it up manually via 'Settings > Privacy > Location Services -> WebDriverAgentRunner-Runner'. Or please use 'mobile:getSimulatedLocation'/'mobile:setSimulatedLocation' commands to simulate locations instead.",
        )),
    })
    .await
}

// --- contexts ---------------------------------------------------------------------

pub(super) async fn contexts(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getContexts", |_, _| Ok(ok(json!([NATIVE_APP])))).await
}

pub(super) async fn current_context(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getCurrentContext", |_, _| Ok(ok(json!(NATIVE_APP)))).await
}

/// `POST /context {"name"}`: the MitID app has no web views, so only
/// NATIVE_APP exists; another name is Appium's NoSuchContextError.
pub(super) async fn set_context(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    let body = parse_json(&body)?;
    let name = match body.get("name") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => return Err(bad_parameters(&["name"], &[], &body)),
        Some(other) => return Err(W3cError::invalid_argument(format!("'name' must be a context name, got {other}"))),
    };
    command(&shared, &sid, "setContext", move |_, _| {
        if name == NATIVE_APP {
            Ok(ok(Value::Null))
        } else {
            Err(W3cError::unknown_error(format!(
                "No such context found: '{name}'. The app has no web views; its only context is {NATIVE_APP}."
            )))
        }
    })
    .await
}

// --- orientation ------------------------------------------------------------------

pub(super) async fn orientation(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getOrientation", |_, _| Ok(ok(json!("PORTRAIT")))).await
}

/// `POST /orientation {"orientation"}`: the MitID app is portrait only
/// (an assumption, in docs/src/virtual-farm.md's table): asked to turn, it stays upright,
/// as UiAutomator2 says when an app refuses to rotate.
pub(super) async fn set_orientation(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    let body = parse_json(&body)?;
    let wanted = match body.get("orientation") {
        None | Some(Value::Null) => return Err(bad_parameters(&["orientation"], &[], &body)),
        Some(Value::String(s)) => s.to_ascii_uppercase(),
        Some(other) => {
            return Err(W3cError::invalid_argument(format!("'orientation' must be PORTRAIT or LANDSCAPE, got {other}")))
        }
    };
    command(&shared, &sid, "setOrientation", move |_, _| match wanted.as_str() {
        "PORTRAIT" => Ok(ok(Value::Null)),
        "LANDSCAPE" => Err(W3cError::unknown_error(
            "Set the orientation, but app refused to rotate: the MitID app is portrait only",
        )),
        other => Err(W3cError::unknown_error(format!("Orientation must be LANDSCAPE or PORTRAIT, not '{other}'"))),
    })
    .await
}

// --- the device's time ------------------------------------------------------------

/// The phone's date and time, from its virtual clock, in `format`.
pub(super) fn device_time(state: &FarmState, udid: &str, format: Option<&str>) -> Result<Value, W3cError> {
    let phone = state.phone(udid).ok_or_else(|| W3cError::unknown_error(format!("phone '{udid}' is gone")))?;
    let t = DateTime::at(state.epoch, phone.clock);
    let unix = DateTime::unix_millis(state.epoch, phone.clock);
    Ok(json!(t.format(format.unwrap_or(device::DEFAULT_TIME_FORMAT), unix)))
}

fn optional_format(body: &Value) -> Result<Option<String>, W3cError> {
    match body.get("format") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(W3cError::invalid_argument(format!("'format' must be a string, got {other}"))),
    }
}

pub(super) async fn system_time(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getDeviceTime", |state, s| Ok(ok(device_time(state, &s.udid, None)?))).await
}

pub(super) async fn system_time_formatted(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    let format = optional_format(&parse_json(&body)?)?;
    command(&shared, &sid, "getDeviceTime", move |state, s| Ok(ok(device_time(state, &s.udid, format.as_deref())?)))
        .await
}

// --- the keyboard -----------------------------------------------------------------

pub(super) async fn is_keyboard_shown(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "isKeyboardShown", |state, s| {
        Ok(ok(json!(state.phone(&s.udid).is_some_and(|p| p.keyboard_shown()))))
    })
    .await
}

/// Hides the keyboard if it is up. Android answers whether it was (adb's
/// hideKeyboard); XCUITest answers nothing, and fails when there is none.
pub(super) fn hide_keyboard(state: &mut FarmState, udid: &str) -> W3cResult {
    let platform = platform_of(state, udid)?;
    let shown = state.with_app(udid, |phone, _| {
        let shown = phone.keyboard_shown();
        if shown {
            phone.focused = None;
            phone.instance += 1;
        }
        shown
    });
    match (platform, shown) {
        (Platform::Android, shown) => Ok(ok(json!(shown.unwrap_or(false)))),
        (Platform::Ios, Some(true)) => Ok(ok(Value::Null)),
        (Platform::Ios, _) => Err(W3cError::unknown_error("The keyboard cannot be hidden: it is not shown")),
    }
}

pub(super) async fn hide_keyboard_route(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "hideKeyboard", |state, s| hide_keyboard(state, &s.udid)).await
}

// --- apps -------------------------------------------------------------------------

/// `appId` or `bundleId`, as Appium's app routes take either on either
/// platform.
fn app_id(body: &Value) -> Result<String, W3cError> {
    match body.get("appId").or_else(|| body.get("bundleId")) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(W3cError::invalid_argument(format!("the app id must be a string, got {other}"))),
        None => Err(bad_parameters(&["appId"], &[], body)),
    }
}

/// Whether an app is installed on the phone `udid`: the MitID app is (by
/// its id on the phone's platform), nothing else is.
pub(super) fn installed(state: &FarmState, udid: &str, app: &str) -> bool {
    state.phone(udid).is_some_and(|p| app == crate::app_id(p.platform()))
}

/// Appium's app state of `app`: 0 not installed, 1 not running, 3 in the
/// background, 4 in the foreground.
pub(super) fn app_state(state: &FarmState, udid: &str, app: &str) -> Value {
    if !installed(state, udid, app) {
        return json!(0);
    }
    json!(state.phone(udid).map_or(1, |p| p.app_state()))
}

pub(super) fn not_installed(state: &FarmState, udid: &str, app: &str) -> W3cError {
    let mitid = state.phone(udid).map_or(ANDROID_PACKAGE, |p| crate::app_id(p.platform()));
    W3cError::invalid_argument(format!("app '{app}' is not installed (the MitID app is '{mitid}')"))
}

async fn app_command(
    shared: &Arc<Shared>,
    sid: &str,
    name: &str,
    body: axum::body::Bytes,
    run: impl FnOnce(&mut FarmState, &str, &str) -> W3cResult,
) -> W3cResult {
    let app = app_id(&parse_json(&body)?)?;
    command(shared, sid, name, |state, s| run(state, &s.udid, &app)).await
}

pub(super) async fn app_installed(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    app_command(&shared, &sid, "isAppInstalled", body, |state, udid, app| Ok(ok(json!(installed(state, udid, app)))))
        .await
}

pub(super) async fn app_state_route(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    app_command(&shared, &sid, "queryAppState", body, |state, udid, app| Ok(ok(app_state(state, udid, app)))).await
}

pub(super) fn activate(state: &mut FarmState, udid: &str, app: &str) -> W3cResult {
    if !installed(state, udid, app) {
        return Err(not_installed(state, udid, app));
    }
    state.with_app(udid, |phone, cx| phone.launch(cx));
    Ok(ok(Value::Null))
}

pub(super) fn terminate(state: &mut FarmState, udid: &str, app: &str) -> W3cResult {
    if !installed(state, udid, app) {
        return Err(not_installed(state, udid, app));
    }
    Ok(ok(json!(state.with_app(udid, |phone, _| phone.terminate()).unwrap_or(false))))
}

pub(super) async fn activate_app(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    app_command(&shared, &sid, "activateApp", body, activate).await
}

pub(super) async fn terminate_app(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    app_command(&shared, &sid, "terminateApp", body, terminate).await
}

// --- files ------------------------------------------------------------------------

/// A phone refuses to hand over a file it does not have; the virtual
/// phones keep none (the MitID app's data is not readable from outside on a
/// real phone either).
pub(super) fn pull_file(state: &FarmState, udid: &str, path: &str) -> W3cResult {
    let platform = platform_of(state, udid)?;
    if path.trim().is_empty() {
        return Err(W3cError::invalid_argument("the path of the file to pull must not be empty"));
    }
    match platform {
        Platform::Android if !path.starts_with('/') => Err(W3cError::invalid_argument(format!(
            "'{path}' is not an absolute path on the device (like /sdcard/Download/file.txt)"
        ))),
        Platform::Android
            if path.contains(&format!("/data/data/{ANDROID_PACKAGE}"))
                || path.contains(&format!("/data/user/0/{ANDROID_PACKAGE}")) =>
        {
            Err(W3cError::unknown_error(format!(
                "Cannot access '{path}': {ANDROID_PACKAGE} is not debuggable, so its data cannot be read with run-as"
            )))
        }
        Platform::Android => Err(W3cError::unknown_error(format!(
            "adb: error: failed to stat remote object '{path}': No such file or directory"
        ))),
        Platform::Ios if path.starts_with('@') => Err(W3cError::unknown_error(format!(
            "The remote path '{path}' does not exist: the app's container holds no such file"
        ))),
        Platform::Ios => Err(W3cError::unknown_error(format!(
            "The remote path '{path}' does not exist: a real iPhone only gives files from an app's container \
             ('@{IOS_BUNDLE_ID}:documents/...') or from the media library"
        ))),
    }
}

pub(super) async fn pull_file_route(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    let body = parse_json(&body)?;
    let path = match body.get("path") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => return Err(bad_parameters(&["path"], &[], &body)),
        Some(other) => return Err(W3cError::invalid_argument(format!("'path' must be a string, got {other}"))),
    };
    command(&shared, &sid, "pullFile", move |state, s| pull_file(state, &s.udid, &path)).await
}

// --- keys -------------------------------------------------------------------------

/// An Android key code pressed: Back, Home and App switch act on the app;
/// every other key is taken and does nothing the MitID app cares about.
pub(super) fn press_key(state: &mut FarmState, udid: &str, keycode: &Value) -> W3cResult {
    const KEYCODE_HOME: i64 = 3;
    const KEYCODE_BACK: i64 = 4;
    const KEYCODE_APP_SWITCH: i64 = 187;
    let code = keycode
        .as_i64()
        .or_else(|| keycode.as_str().and_then(|s| s.trim().parse().ok()))
        .filter(|c| (0..=1000).contains(c))
        .ok_or_else(|| {
            W3cError::invalid_argument(format!("'keycode' must be an Android key code (0-1000), got {keycode}"))
        })?;
    state.with_app(udid, |phone, cx| match code {
        KEYCODE_BACK => phone.back(cx),
        KEYCODE_HOME | KEYCODE_APP_SWITCH => phone.send_to_background(),
        _ => {}
    });
    Ok(ok(Value::Null))
}

/// `POST /appium/device/press_keycode` (UiAutomator2's route; deprecated,
/// `mobile: pressKey` is its successor). iOS has no such route.
pub(super) async fn press_keycode(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    let body = parse_json(&body)?;
    let Some(keycode) = body.get("keycode").cloned() else {
        return Err(bad_parameters(&["keycode"], &["metastate", "flags"], &body));
    };
    command(&shared, &sid, "pressKeyCode", move |state, s| {
        if platform_of(state, &s.udid)? != Platform::Android {
            return Err(W3cError::unknown_command(
                "POST /session/:id/appium/device/press_keycode is a UiAutomator2 command; an iOS session has no key codes (use mobile: pressButton)",
            ));
        }
        press_key(state, &s.udid, &keycode)
    })
    .await
}

// --- logs -------------------------------------------------------------------------

pub(super) async fn log_types(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    log_types_of(&shared, &sid, None).await
}

/// The log types; `only_android` names UiAutomator2's own route, which an
/// iOS session does not have.
async fn log_types_of(shared: &Arc<Shared>, sid: &str, only_android: Option<&str>) -> W3cResult {
    command(shared, sid, "getLogTypes", |state, s| {
        let platform = platform_of(state, &s.udid)?;
        refuse_on_ios(platform, only_android)?;
        Ok(ok(json!(device::log_types(platform))))
    })
    .await
}

fn refuse_on_ios(platform: Platform, only_android: Option<&str>) -> Result<(), W3cError> {
    match (platform, only_android) {
        (Platform::Ios, Some(route)) => Err(W3cError::unknown_command(format!(
            "{route} is a UiAutomator2 route; on iOS the device log is at /session/:id/se/log"
        ))),
        _ => Ok(()),
    }
}

/// `POST /se/log {"type"}`: the phone's log lines since this session last
/// asked (logcat on Android, syslog on iOS), as Selenium log entries.
pub(super) async fn log(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    log_of(&shared, &sid, body, None).await
}

async fn log_of(
    shared: &Arc<Shared>,
    sid: &str,
    body: axum::body::Bytes,
    only_android: Option<&'static str>,
) -> W3cResult {
    let body = parse_json(&body)?;
    let kind = match body.get("type") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => return Err(bad_parameters(&["type"], &[], &body)),
        Some(other) => return Err(W3cError::invalid_argument(format!("'type' must be a log type, got {other}"))),
    };
    command(shared, sid, "getLog", move |state, s| {
        let platform = platform_of(state, &s.udid)?;
        refuse_on_ios(platform, only_android)?;
        let served = device::log_type(platform);
        if kind != served {
            let listed = device::log_types(platform);
            if !listed.contains(&kind.as_str()) {
                return Err(W3cError::unknown_error(format!(
                    "Unsupported log type '{kind}'. Supported types: {}",
                    listed.join(", ")
                )));
            }
            // Appium serves its own log only with that insecure feature on.
            if kind == "server" {
                return Err(W3cError::unknown_error(
                    "Potentially insecure feature 'get_server_logs' has not been enabled. If you want to enable this feature and accept the security ramifications, please do so by following the documented instructions at https://appium.io/docs/en/latest/guides/security/",
                ));
            }
            // No crash, no web view, no bug report taken: nothing to give.
            return Ok(ok(json!([])));
        }
        let (epoch, cursor) = (state.epoch, s.log_cursor);
        let phone = state.phone(&s.udid).ok_or_else(|| W3cError::unknown_error("phone is gone"))?;
        let entries: Vec<Value> = phone
            .log
            .iter()
            .filter(|l| l.seq >= cursor)
            .map(|l| device::log_entry(platform, epoch, &phone.spec.model, l))
            .collect();
        let next = phone.log.back().map_or(cursor, |l| l.seq + 1);
        if let Some(session) = state.sessions.get_mut(&s.id) {
            session.log_cursor = next;
        }
        Ok(ok(Value::Array(entries)))
    })
    .await
}

/// UiAutomator2's own `GET /log/types` and `POST /log`: an iOS session has
/// no such routes.
pub(super) async fn android_log_types(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    log_types_of(&shared, &sid, Some("GET /session/:id/log/types")).await
}

pub(super) async fn android_log(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    log_of(&shared, &sid, body, Some("POST /session/:id/log")).await
}

// --- settings ---------------------------------------------------------------------

/// The settings a session starts with: those of the phone's driver that
/// matter to a test of this app.
pub(super) fn default_settings(platform: Platform) -> Map<String, Value> {
    let pairs = match platform {
        Platform::Android => json!({
            "ignoreUnimportantViews": false,
            "allowInvisibleElements": false,
            "enableNotificationListener": true,
            "actionAcknowledgmentTimeout": 3000,
            "keyInjectionDelay": 0,
            "scrollAcknowledgmentTimeout": 200,
            "waitForIdleTimeout": 10000,
            "waitForSelectorTimeout": 10000,
            "normalizeTagNames": false,
            "shouldUseCompactResponses": true,
            "elementResponseAttributes": "",
            "trackScrollEvents": true,
            "snapshotMaxDepth": 70,
        }),
        Platform::Ios => json!({
            "mjpegServerScreenshotQuality": 25,
            "mjpegServerFramerate": 10,
            "screenshotQuality": 1,
            "elementResponseAttributes": "type,label",
            "shouldUseCompactResponses": true,
            "snapshotMaxDepth": 50,
            "useFirstMatch": false,
            "boundElementsByIndex": false,
            "reduceMotion": false,
            "defaultActiveApplication": "auto",
            "includeNonModalElements": false,
            "nativeWebTap": false,
        }),
    };
    pairs.as_object().cloned().unwrap_or_default()
}

pub(super) async fn get_settings(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getSettings", |_, s| Ok(ok(Value::Object(s.settings.clone())))).await
}

/// `POST /appium/settings {"settings": {...}}`: kept for the session, on
/// top of what it had.
pub(super) async fn update_settings(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    let body = parse_json(&body)?;
    let updates = match body.get("settings") {
        Some(Value::Object(m)) => m.clone(),
        None | Some(Value::Null) => return Err(bad_parameters(&["settings"], &[], &body)),
        Some(other) => {
            return Err(W3cError::invalid_argument(format!(
                "'settings' must be an object of setting names, got {other}"
            )))
        }
    };
    command(&shared, &sid, "updateSettings", move |state, s| {
        if let Some(session) = state.sessions.get_mut(&s.id) {
            session.settings.extend(updates);
        }
        Ok(ok(Value::Null))
    })
    .await
}

// --- what the server offers -------------------------------------------------------

/// `GET /appium/commands`: the REST routes this farm serves, in the shape of
/// Appium's `listCommands` (`rest.base`, `rest.driver`, `rest.plugins`,
/// `bidi`): every route is listed under `base`, with its command name.
pub(super) async fn list_commands(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "listCommands", |state, s| {
        let platform = platform_of(state, &s.udid)?;
        let mut base = Map::new();
        for route in super::ROUTES.iter().filter(|r| r.platform.is_none_or(|p| p == platform)) {
            let entry = base.entry(route.path.to_owned()).or_insert_with(|| json!({}));
            entry[route.method] = json!({ "command": route.command });
        }
        Ok(ok(json!({
            "rest": { "base": base, "driver": {}, "plugins": {} },
            "bidi": { "base": {}, "driver": {}, "plugins": {} },
        })))
    })
    .await
}

/// `GET /appium/extensions`: the `mobile:` methods of the phone's platform,
/// in the shape of Appium's `listExtensions`.
pub(super) async fn list_extensions(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "listExtensions", |state, s| {
        let platform = platform_of(state, &s.udid)?;
        let driver: Map<String, Value> = super::mobile::SCRIPTS
            .iter()
            .filter(|m| m.platform.is_none_or(|p| p == platform))
            .map(|m| {
                let params: Vec<Value> = m
                    .required(platform)
                    .iter()
                    .map(|n| json!({ "name": n, "required": true }))
                    .chain(m.optional.iter().map(|n| json!({ "name": n, "required": false })))
                    .collect();
                let mut info = json!({ "command": m.command });
                if !params.is_empty() {
                    info["params"] = Value::Array(params);
                }
                (m.name.to_owned(), info)
            })
            .collect();
        Ok(ok(json!({ "rest": { "driver": driver, "plugins": {} } })))
    })
    .await
}

// --- helpers ----------------------------------------------------------------------

/// Appium's BadParametersError: `invalid argument`, naming what is missing.
pub(super) fn bad_parameters(required: &[&str], optional: &[&str], given: &Value) -> W3cError {
    let given: Vec<&str> = given.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
    let missing: Vec<&str> = required.iter().copied().filter(|r| !given.contains(r)).collect();
    let mut lines = vec![format!(
        "The following required parameter{} missing: {}",
        if missing.len() == 1 { " is" } else { "s are" },
        json!(missing)
    )];
    if !required.is_empty() {
        lines.push(format!("Known required parameters are: {}", json!(required)));
    }
    if !optional.is_empty() {
        lines.push(format!("Known optional parameters are: {}", json!(optional)));
    }
    lines.push(if given.is_empty() {
        "You have provided none".into()
    } else {
        format!("You have provided: {}", json!(given))
    });
    W3cError::invalid_argument(lines.join("\n"))
}
