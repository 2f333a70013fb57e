//! Sessions: `/status`, new session (W3C capabilities matched to a free phone),
//! list and delete, and plain session data (timeouts, window, contexts).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use serde_json::{json, Value};

use super::{command, no_session, parse_json};
use crate::app::Phone;
use crate::error::{ok, W3cError, W3cResult};
use crate::farm::{FarmState, Session};
use crate::server::Shared;
use crate::ui::Platform;
use crate::{app_id, ANDROID_PACKAGE, IOS_BUNDLE_ID};

pub(super) async fn status(State(shared): State<Arc<Shared>>) -> W3cResult {
    let state = shared.lock();
    let free = state.phones.len() - state.sessions.len();
    Ok(ok(json!({
        "ready": free > 0,
        "message": format!("mitid-sim virtual farm: {} phones, {} free", state.phones.len(), free),
        "build": { "version": env!("CARGO_PKG_VERSION"), "name": "mitid-sim" },
    })))
}

/// Capabilities W3C defines without a vendor prefix.
const STANDARD_CAPABILITIES: &[&str] = &[
    "browserName",
    "browserVersion",
    "platformName",
    "acceptInsecureCerts",
    "pageLoadStrategy",
    "proxy",
    "setWindowRect",
    "timeouts",
    "strictFileInteractability",
    "unhandledPromptBehavior",
    "webSocketUrl",
];

/// `appium:` capabilities the farm reads; any other `appium:` one is
/// accepted and ignored, as Appium drivers do.
fn capability_problem(key: &str) -> Option<String> {
    if STANDARD_CAPABILITIES.contains(&key) || key.contains(':') {
        None
    } else {
        Some(format!(
            "capability '{key}' is neither a W3C capability nor vendor-prefixed; Appium capabilities are written 'appium:{key}'"
        ))
    }
}

pub(super) async fn new_session(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> W3cResult {
    let body: Value = parse_json(&body)?;
    let (answer, cost) = create_session(&mut shared.lock(), &body)?;
    // A real driver takes its time to start a session (the farm's cost
    // model), the lock free meanwhile.
    tokio::time::sleep(cost).await;
    Ok(answer)
}

/// Makes the session `body` asks for: its answer, and what it costs.
fn create_session(state: &mut FarmState, body: &Value) -> Result<(axum::response::Response, Duration), W3cError> {
    let candidates = merged_capabilities(body)?;
    let mut last_problem = String::from("no capabilities given");
    for caps in candidates {
        match match_phone(state, &caps) {
            Ok(udid) => {
                let implicit = caps
                    .get("timeouts")
                    .and_then(|t| t.get("implicit"))
                    .and_then(Value::as_u64)
                    .map_or(Duration::ZERO, Duration::from_millis);
                let id = crate::backend::random_hex(16);
                let phone = state.phone(&udid).ok_or_else(|| W3cError::unknown_error("phone vanished"))?;
                let capabilities = session_capabilities(&caps, phone);
                let platform = phone.platform();
                let log_cursor = phone.log.back().map_or(0, |l| l.seq + 1);
                state.sessions.insert(
                    id.clone(),
                    Session {
                        id: id.clone(),
                        udid: udid.clone(),
                        capabilities: capabilities.clone(),
                        implicit_wait: implicit,
                        settings: super::device::default_settings(platform),
                        // A session reads the log from its start, as a
                        // driver's logcat capture starts with the session.
                        log_cursor,
                    },
                );
                let auto_alerts = auto_alert_action(&caps, platform);
                let grant_all = platform == Platform::Android && capability_flag(&caps, "appium:autoGrantPermissions");
                // Like a real driver, a new session brings the app to the
                // foreground; UiAutomator2 grants the permissions first.
                state.with_app(&udid, |phone, cx| {
                    phone.auto_alerts = auto_alerts;
                    if grant_all {
                        phone.grant_all_permissions();
                    }
                    phone.launch(cx);
                    phone.auto_answer(cx);
                });
                tracing::info!(session = %id, %udid, "session created");
                let cost = session_cost(state, platform);
                return Ok((ok(json!({ "sessionId": id, "capabilities": capabilities })), cost));
            }
            Err(problem) => last_problem = problem,
        }
    }
    Err(W3cError::session_not_created(last_problem))
}

/// The capabilities a new session answers with, shaped as Appium 3 returns
/// them from the phone's driver: the requested ones with Appium's `appium:`
/// prefix taken off (other vendors' prefixes stay), then what the driver
/// adds. UiAutomator2 (`startSession` in appium-uiautomator2-driver) adds
/// its server's fixed capabilities, the device's serial as `deviceName`
/// and `deviceUDID`, the app, and the device details (`deviceScreenSize`,
/// `deviceApiLevel`, `pixelRatio`, `statBarHeight`, `viewportRect`, …);
/// XCUITest (`createSession` in appium-xcuitest-driver) puts its fixed
/// server capabilities under the requested ones and sets `udid`. The farm
/// also fills in `platformVersion`, `deviceName` and `udid` where a
/// request left them out, since it picked the phone.
fn session_capabilities(requested: &serde_json::Map<String, Value>, phone: &Phone) -> Value {
    let desired: serde_json::Map<String, Value> =
        requested.iter().map(|(k, v)| (k.strip_prefix("appium:").unwrap_or(k).to_owned(), v.clone())).collect();
    let udid = phone.spec.udid.as_str();
    let mut caps = serde_json::Map::new();
    match phone.platform() {
        Platform::Android => {
            caps.extend(desired.clone());
            let size = format!("{}x{}", crate::ui::SCREEN_WIDTH, crate::ui::SCREEN_HEIGHT);
            let status_bar = crate::screenshot::STATUS_BAR_HEIGHT;
            for (k, v) in [
                ("platform", json!("LINUX")),
                ("webStorageEnabled", json!(false)),
                ("takesScreenshot", json!(true)),
                ("javascriptEnabled", json!(true)),
                ("databaseEnabled", json!(false)),
                ("networkConnectionEnabled", json!(true)),
                ("locationContextEnabled", json!(false)),
                ("warnings", json!({})),
                ("desired", Value::Object(desired.clone())),
                ("deviceName", json!(udid)),
                ("deviceUDID", json!(udid)),
                ("appPackage", json!(ANDROID_PACKAGE)),
                ("appActivity", json!(format!("{ANDROID_PACKAGE}.MainActivity"))),
                ("pixelRatio", json!(1.0)),
                ("statBarHeight", json!(status_bar)),
                (
                    "viewportRect",
                    json!({ "left": 0, "top": status_bar, "width": crate::ui::SCREEN_WIDTH,
                            "height": i64::from(crate::ui::SCREEN_HEIGHT) - status_bar }),
                ),
                ("deviceApiLevel", json!(phone.api_level())),
                ("platformVersion", json!(phone.os_version)),
                ("deviceManufacturer", json!("Google")),
                ("deviceModel", json!(phone.spec.model)),
                ("deviceScreenSize", json!(size)),
                ("deviceScreenDensity", json!(160)),
            ] {
                caps.insert(k.into(), v);
            }
        }
        Platform::Ios => {
            for (k, v) in [
                ("webStorageEnabled", json!(false)),
                ("locationContextEnabled", json!(false)),
                ("browserName", json!("")),
                ("platform", json!("MAC")),
                ("javascriptEnabled", json!(true)),
                ("databaseEnabled", json!(false)),
                ("takesScreenshot", json!(true)),
                ("networkConnectionEnabled", json!(false)),
            ] {
                caps.insert(k.into(), v);
            }
            caps.extend(desired);
            caps.entry("deviceName").or_insert_with(|| json!(phone.spec.model));
            caps.entry("bundleId").or_insert_with(|| json!(IOS_BUNDLE_ID));
            caps.insert("platformVersion".into(), json!(phone.os_version));
        }
    }
    caps.insert("platformName".into(), json!(phone.platform().name()));
    caps.insert("automationName".into(), json!(phone.platform().automation_name()));
    caps.insert("udid".into(), json!(udid));
    Value::Object(caps)
}

/// A boolean capability as the drivers read it: `true` or `"true"`.
fn capability_flag(caps: &serde_json::Map<String, Value>, key: &str) -> bool {
    match caps.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// XCUITest's `autoAcceptAlerts` (accept, `Some(true)`) and
/// `autoDismissAlerts` (dismiss): WebDriverAgent's default alert action.
/// Accepting wins when both are asked for, as the driver checks it first.
fn auto_alert_action(caps: &serde_json::Map<String, Value>, platform: Platform) -> Option<bool> {
    if platform != Platform::Ios {
        return None;
    }
    if capability_flag(caps, "appium:autoAcceptAlerts") {
        Some(true)
    } else if capability_flag(caps, "appium:autoDismissAlerts") {
        Some(false)
    } else {
        None
    }
}

/// W3C §7.2: alwaysMatch merged with each firstMatch; legacy
/// `desiredCapabilities` as a lone alwaysMatch.
fn merged_capabilities(body: &Value) -> Result<Vec<serde_json::Map<String, Value>>, W3cError> {
    let caps = body.get("capabilities");
    if caps.is_some_and(|c| !c.is_object()) {
        return Err(W3cError::invalid_argument(
            "'capabilities' must be a JSON object ({\"capabilities\": {\"alwaysMatch\": {...}, \"firstMatch\": [...]}})",
        ));
    }
    let always = match caps.and_then(|c| c.get("alwaysMatch")).or_else(|| body.get("desiredCapabilities")) {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(W3cError::invalid_argument("capabilities.alwaysMatch must be a JSON object")),
    };
    let first: Vec<serde_json::Map<String, Value>> = match caps.and_then(|c| c.get("firstMatch")) {
        None | Some(Value::Null) => vec![serde_json::Map::new()],
        Some(Value::Array(items)) if items.is_empty() => vec![serde_json::Map::new()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_object().cloned().ok_or_else(|| {
                    W3cError::invalid_argument("each capabilities.firstMatch entry must be a JSON object")
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(W3cError::invalid_argument("capabilities.firstMatch must be a JSON array")),
    };
    if caps.is_none() && body.get("desiredCapabilities").is_none() {
        return Err(W3cError::invalid_argument(
            "the new-session body must have 'capabilities' ({\"capabilities\": {\"alwaysMatch\": {...}}})",
        ));
    }
    let mut out = Vec::new();
    for f in first {
        let mut merged = always.clone();
        for (k, v) in f {
            if merged.contains_key(&k) {
                return Err(W3cError::invalid_argument(format!(
                    "capability '{k}' is in both alwaysMatch and firstMatch"
                )));
            }
            merged.insert(k, v);
        }
        for key in merged.keys() {
            if let Some(problem) = capability_problem(key) {
                return Err(W3cError::invalid_argument(problem));
            }
        }
        // W3C §7.2 "validate capabilities": these are strings or nothing.
        for key in ["platformName", "browserName", "browserVersion"] {
            if let Some(v) = merged.get(key).filter(|v| !v.is_string() && !v.is_null()) {
                return Err(W3cError::invalid_argument(format!("capability '{key}' must be a string, got {v}")));
            }
        }
        out.push(merged);
    }
    Ok(out)
}

fn cap_str<'a>(caps: &'a serde_json::Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match caps.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("capability '{key}' must be a string, got {other}")),
    }
}

/// The phone these capabilities ask for, or why none fits.
fn match_phone(state: &FarmState, caps: &serde_json::Map<String, Value>) -> Result<String, String> {
    let platform = match cap_str(caps, "platformName")?.map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("android") => Some(Platform::Android),
        Some("ios") => Some(Platform::Ios),
        Some(other) => {
            return Err(format!("platformName '{other}' is not served by this farm (expected Android or iOS)"))
        }
    };
    let automation = cap_str(caps, "appium:automationName")?;
    if let Some(a) = automation {
        if !["uiautomator2", "xcuitest"].contains(&a.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "appium:automationName '{a}' is not served by this farm (expected UiAutomator2 or XCUITest)"
            ));
        }
    }
    for (key, platform) in [("appium:appPackage", Platform::Android), ("appium:bundleId", Platform::Ios)] {
        if let Some(app) = cap_str(caps, key)? {
            let mitid = app_id(platform);
            if app != mitid {
                return Err(format!(
                    "{key} '{app}' is not installed on this farm's phones (the MitID app is '{mitid}' on {})",
                    platform.name()
                ));
            }
        }
    }
    let version = cap_str(caps, "appium:platformVersion")?;
    let busy_by = |udid: &str| state.sessions.values().find(|s| s.udid == udid).map(|s| s.id.clone());
    let fits = |p: &Phone| {
        platform.is_none_or(|pl| pl == p.platform())
            && automation.is_none_or(|a| a.eq_ignore_ascii_case(p.platform().automation_name()))
            && version.is_none_or(|v| p.os_version == v || p.os_version.starts_with(&format!("{v}.")))
    };
    if let Some(udid) = cap_str(caps, "appium:udid")? {
        let phone = state.phone(udid).ok_or_else(|| {
            format!("no phone with appium:udid '{udid}' on this farm (phones: {})", state.udids().join(", "))
        })?;
        if !fits(phone) {
            return Err(format!(
                "phone '{udid}' is {} {} ({}), which does not match the requested platformName/automationName/platformVersion",
                phone.platform().name(),
                phone.os_version,
                phone.platform().automation_name()
            ));
        }
        if let Some(session) = busy_by(udid) {
            return Err(format!("phone '{udid}' is busy: session {session} is using it (end that session first)"));
        }
        return Ok(udid.to_owned());
    }
    state
        .phones
        .iter()
        .find(|p| fits(p) && busy_by(&p.spec.udid).is_none())
        .map(|p| p.spec.udid.clone())
        .ok_or_else(|| "no free phone matches the requested capabilities".to_owned())
}

pub(super) async fn list_sessions(State(shared): State<Arc<Shared>>) -> W3cResult {
    let state = shared.lock();
    let list: Vec<Value> =
        state.sessions.values().map(|s| json!({ "id": s.id, "capabilities": s.capabilities })).collect();
    Ok(ok(Value::Array(list)))
}

/// `GET /session/:id`: the session's capabilities; on iOS, as XCUITest's
/// `getSession` answers, merged with WebDriverAgent's own (`device`,
/// `sdkVersion`, `CFBundleIdentifier`) and, unless the session asked
/// `includeDeviceCapsToSessionInfo: false`, the screen's (`pixelRatio`,
/// `statBarHeight`, `viewportRect`). XCUITest has no `deviceScreenSize`:
/// that is UiAutomator2's, in its session answer.
pub(super) async fn get_session(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    let state = shared.lock();
    let session = state.sessions.get(&sid).ok_or_else(|| no_session(&sid))?;
    let mut caps = session.capabilities.clone();
    let phone = state.phone(&session.udid);
    if let (Some(phone), Some(map)) = (phone.filter(|p| p.platform() == Platform::Ios), caps.as_object_mut()) {
        map.insert(
            "device".into(),
            json!(if phone.spec.form == crate::config::Form::Tablet { "ipad" } else { "iphone" }),
        );
        map.insert("sdkVersion".into(), json!(phone.os_version));
        map.insert("CFBundleIdentifier".into(), json!(IOS_BUNDLE_ID));
        if map.get("includeDeviceCapsToSessionInfo") != Some(&json!(false)) {
            let status_bar = crate::screenshot::STATUS_BAR_HEIGHT;
            map.insert("pixelRatio".into(), json!(1.0));
            map.insert("statBarHeight".into(), json!(status_bar));
            map.insert(
                "viewportRect".into(),
                json!({ "left": 0, "top": status_bar, "width": crate::ui::SCREEN_WIDTH,
                        "height": i64::from(crate::ui::SCREEN_HEIGHT) - status_bar }),
            );
        }
    }
    Ok(ok(caps))
}

/// `GET /session/:id/appium/capabilities`: `{"capabilities": ...}`.
pub(super) async fn appium_capabilities(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getAppiumSessionCapabilities", |_, s| Ok(ok(json!({ "capabilities": s.capabilities }))))
        .await
}

pub(super) async fn delete_session(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    let cost = {
        let mut state = shared.lock();
        let session = state.sessions.remove(&sid).ok_or_else(|| no_session(&sid))?;
        // WebDriverAgent answers alerts for its session only.
        let mut platform = Platform::Android;
        if let Some(i) = state.phone_index(&session.udid) {
            state.phones[i].auto_alerts = None;
            platform = state.phones[i].platform();
        }
        tracing::info!(session = %sid, "session deleted");
        state.latency + state.config.latency.cost(platform, crate::latency::CommandKind::Other)
    };
    tokio::time::sleep(cost).await;
    Ok(ok(Value::Null))
}

/// What starting a session costs on a phone of `platform`.
fn session_cost(state: &FarmState, platform: Platform) -> Duration {
    state.latency + state.config.latency.cost(platform, crate::latency::CommandKind::Session)
}

// --- timeouts and plain session data ------------------------------------------

pub(super) async fn get_timeouts(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getTimeouts", |_, s| {
        // As Appium's base driver answers: its new-command timeout, and the
        // implicit wait.
        let command = s.capabilities.get("newCommandTimeout").and_then(Value::as_f64).unwrap_or(60.0);
        Ok(ok(json!({ "command": (command * 1000.0) as u64, "implicit": s.implicit_wait.as_millis() as u64 })))
    })
    .await
}

pub(super) async fn set_timeouts(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    let body = parse_json(&body)?;
    let implicit = match body.get("implicit") {
        None => None,
        Some(v) => Some(
            v.as_u64().ok_or_else(|| W3cError::invalid_argument("timeouts.implicit must be a whole number of ms"))?,
        ),
    };
    command(&shared, &sid, "setTimeouts", |state, s| {
        if let (Some(ms), Some(session)) = (implicit, state.sessions.get_mut(&s.id)) {
            session.implicit_wait = Duration::from_millis(ms);
        }
        Ok(ok(Value::Null))
    })
    .await
}

/// `GET /window`: in a native context both drivers answer the one native
/// window's handle.
pub(super) async fn window_handle(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getWindowHandle", |_, _| Ok(ok(json!(super::device::NATIVE_APP)))).await
}

/// `GET /window/handles`: the native window's, alone.
pub(super) async fn window_handles(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getWindowHandles", |_, _| Ok(ok(json!([super::device::NATIVE_APP])))).await
}

/// `GET /url`: a native app has no URL; both drivers answer that the
/// method is not implemented in this context (405).
pub(super) async fn url(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getUrl", |_, _| {
        Err(W3cError::unknown_method("Method is not implemented: a native app context has no URL (getUrl)"))
    })
    .await
}

pub(super) async fn window_rect(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getWindowRect", |_, _| {
        Ok(ok(json!({ "x": 0, "y": 0, "width": crate::ui::SCREEN_WIDTH, "height": crate::ui::SCREEN_HEIGHT })))
    })
    .await
}
