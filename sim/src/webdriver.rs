//! The Appium-compatible W3C WebDriver endpoints.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::app::Phone;
use crate::dom::XmlNode;
use crate::error::{ok, W3cError, W3cResult};
use crate::farm::{CommandFault, FarmState, Session};
use crate::locate;
use crate::server::Shared;
use crate::source::{self, SourceContext};
use crate::ui::{Platform, Screen};
use crate::{screenshot, APP_ID};

/// The W3C key under which element references travel.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Server-side polling interval of the implicit wait.
const IMPLICIT_WAIT_POLL: Duration = Duration::from_millis(25);
/// A hung command answers after this, should the client never give up.
const HANG_LIMIT: Duration = Duration::from_secs(3600);

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/status", get(status))
        .route("/session", post(new_session))
        .route("/appium/sessions", get(list_sessions))
        .route("/session/{sid}", get(get_session).delete(delete_session))
        .route("/session/{sid}/timeouts", get(get_timeouts).post(set_timeouts))
        .route("/session/{sid}/source", get(page_source))
        .route("/session/{sid}/screenshot", get(take_screenshot))
        .route("/session/{sid}/window/rect", get(window_rect))
        .route("/session/{sid}/window/size", get(window_rect))
        .route("/session/{sid}/orientation", get(orientation))
        .route("/session/{sid}/contexts", get(contexts))
        .route("/session/{sid}/context", get(context))
        .route("/session/{sid}/appium/settings", get(get_settings).post(set_settings))
        .route("/session/{sid}/element", post(find_element))
        .route("/session/{sid}/elements", post(find_elements))
        .route("/session/{sid}/element/active", get(active_element))
        .route("/session/{sid}/element/{eid}/element", post(find_element_from))
        .route("/session/{sid}/element/{eid}/elements", post(find_elements_from))
        .route("/session/{sid}/element/{eid}/click", post(click))
        .route("/session/{sid}/element/{eid}/value", post(send_keys))
        .route("/session/{sid}/element/{eid}/clear", post(clear))
        .route("/session/{sid}/element/{eid}/text", get(text))
        .route("/session/{sid}/element/{eid}/name", get(tag_name))
        .route("/session/{sid}/element/{eid}/attribute/{name}", get(attribute))
        .route("/session/{sid}/element/{eid}/displayed", get(displayed))
        .route("/session/{sid}/element/{eid}/enabled", get(enabled))
        .route("/session/{sid}/element/{eid}/selected", get(selected))
        .route("/session/{sid}/element/{eid}/rect", get(rect))
        .route("/session/{sid}/element/{eid}/screenshot", get(take_screenshot_of_element))
        .route("/session/{sid}/execute/sync", post(execute))
        .route("/session/{sid}/actions", post(actions).delete(release_actions))
}

// --- sessions ---------------------------------------------------------------

async fn status(State(shared): State<Arc<Shared>>) -> W3cResult {
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

async fn new_session(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> W3cResult {
    let body: Value = parse_json(&body)?;
    let candidates = merged_capabilities(&body)?;
    let mut state = shared.lock();
    let mut last_problem = String::from("no capabilities given");
    for caps in candidates {
        match match_phone(&state, &caps) {
            Ok(udid) => {
                let implicit = caps
                    .get("timeouts")
                    .and_then(|t| t.get("implicit"))
                    .and_then(Value::as_u64)
                    .map_or(Duration::ZERO, Duration::from_millis);
                let id = crate::backend::random_hex(16);
                let phone = state.phone(&udid).ok_or_else(|| W3cError::unknown_error("phone vanished"))?;
                let mut returned = caps.clone();
                returned.insert("platformName".into(), json!(phone.platform().name()));
                returned.insert("appium:automationName".into(), json!(phone.platform().automation_name()));
                returned.insert("appium:udid".into(), json!(udid));
                returned.insert("appium:platformVersion".into(), json!(phone.os_version));
                returned.insert("appium:deviceName".into(), json!(phone.spec.model));
                let capabilities = Value::Object(returned);
                state.sessions.insert(
                    id.clone(),
                    Session {
                        id: id.clone(),
                        udid: udid.clone(),
                        capabilities: capabilities.clone(),
                        implicit_wait: implicit,
                    },
                );
                // Like a real driver, a new session brings the app to the foreground.
                state.with_app(&udid, |phone, cx| phone.launch(cx.backend, cx.now));
                tracing::info!(session = %id, %udid, "session created");
                return Ok(ok(json!({ "sessionId": id, "capabilities": capabilities })));
            }
            Err(problem) => last_problem = problem,
        }
    }
    Err(W3cError::session_not_created(last_problem))
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
    for key in ["appium:appPackage", "appium:bundleId"] {
        if let Some(app) = cap_str(caps, key)? {
            if app != APP_ID {
                return Err(format!(
                    "{key} '{app}' is not installed on this farm's phones (the MitID app is '{APP_ID}')"
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

async fn list_sessions(State(shared): State<Arc<Shared>>) -> W3cResult {
    let state = shared.lock();
    let list: Vec<Value> =
        state.sessions.values().map(|s| json!({ "id": s.id, "capabilities": s.capabilities })).collect();
    Ok(ok(Value::Array(list)))
}

async fn get_session(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    let state = shared.lock();
    let session = state.sessions.get(&sid).ok_or_else(|| no_session(&sid))?;
    Ok(ok(session.capabilities.clone()))
}

async fn delete_session(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    let mut state = shared.lock();
    state.sessions.remove(&sid).ok_or_else(|| no_session(&sid))?;
    tracing::info!(session = %sid, "session deleted");
    Ok(ok(Value::Null))
}

fn no_session(sid: &str) -> W3cError {
    W3cError::invalid_session_id(format!("no active session with id '{sid}' (it ended, or never existed)"))
}

// --- the command wrapper -------------------------------------------------------

/// Every session command goes through here: it finds the session, applies
/// the farm's latency and fault switches, runs the command under the lock,
/// and afterwards delivers what the backend owes the gateways.
async fn command<T>(
    shared: &Arc<Shared>,
    sid: &str,
    name: &str,
    f: impl FnOnce(&mut FarmState, &Session) -> Result<T, W3cError>,
) -> Result<T, W3cError> {
    let (latency, fault) = {
        let mut state = shared.lock();
        let session = state.sessions.get(sid).cloned().ok_or_else(|| no_session(sid))?;
        (state.latency, state.command_fault(&session.udid, name))
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault {
        CommandFault::None => {}
        CommandFault::Hang => {
            tracing::warn!(session = %sid, command = name, "fault: the command hangs");
            tokio::time::sleep(HANG_LIMIT).await;
            return Err(W3cError::timeout(format!("'{name}' hung (fault switched on)")));
        }
        CommandFault::SessionDies => {
            shared.lock().sessions.remove(sid);
            return Err(W3cError::invalid_session_id(format!(
                "the session {sid} died during '{name}' (fault switched on): the phone dropped the connection"
            )));
        }
        CommandFault::ServerError => {
            return Err(W3cError::unknown_error(format!("the phone failed to run '{name}' (fault switched on: 5xx)")));
        }
    }
    let result = {
        let mut state = shared.lock();
        let session = state.sessions.get(sid).cloned().ok_or_else(|| no_session(sid))?;
        f(&mut state, &session)
    };
    shared.deliver_outbox().await;
    result
}

fn parse_json(body: &[u8]) -> Result<Value, W3cError> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|e| W3cError::invalid_argument(format!("the request body is not valid JSON: {e}")))
}

fn str_field<'a>(body: &'a Value, key: &str) -> Result<&'a str, W3cError> {
    body.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| W3cError::invalid_argument(format!("the request body needs a string field '{key}'")))
}

// --- timeouts and plain session data ------------------------------------------

async fn get_timeouts(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getTimeouts", |_, s| {
        Ok(ok(json!({ "implicit": s.implicit_wait.as_millis() as u64, "pageLoad": 300000, "script": 30000 })))
    })
    .await
}

async fn set_timeouts(
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

async fn window_rect(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getWindowRect", |_, _| {
        Ok(ok(json!({ "x": 0, "y": 0, "width": crate::ui::SCREEN_WIDTH, "height": crate::ui::SCREEN_HEIGHT })))
    })
    .await
}

async fn orientation(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getOrientation", |_, _| Ok(ok(json!("PORTRAIT")))).await
}

async fn contexts(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getContexts", |_, _| Ok(ok(json!(["NATIVE_APP"])))).await
}

async fn context(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getCurrentContext", |_, _| Ok(ok(json!("NATIVE_APP")))).await
}

async fn get_settings(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getSettings", |_, _| Ok(ok(json!({})))).await
}

async fn set_settings(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "updateSettings", |_, _| Ok(ok(Value::Null))).await
}

// --- the screen -------------------------------------------------------------------

fn source_context(phone: &Phone, screen: &Screen) -> SourceContext<'static> {
    let package = match (phone.platform(), screen.name.as_str()) {
        (Platform::Android, name) if name.starts_with("permission_") && name != "permission_denied" => {
            "com.android.permissioncontroller"
        }
        (Platform::Android, "biometric_prompt") => "com.android.systemui",
        (Platform::Android, "launcher") => "com.google.android.apps.nexuslauncher",
        _ => APP_ID,
    };
    SourceContext {
        platform: phone.platform(),
        package,
        app_name: if screen.name == "launcher" { "Home screen" } else { "MitID" },
    }
}

fn screen_of(state: &mut FarmState, udid: &str) -> Result<(Screen, XmlNode), W3cError> {
    let screen = state.screen(udid).ok_or_else(|| W3cError::unknown_error(format!("phone '{udid}' is gone")))?;
    let phone = state.phone(udid).ok_or_else(|| W3cError::unknown_error(format!("phone '{udid}' is gone")))?;
    let tree = source::tree(&screen, &source_context(phone, &screen));
    Ok((screen, tree))
}

async fn page_source(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getPageSource", |state, s| {
        let (_, tree) = screen_of(state, &s.udid)?;
        Ok(ok(json!(source::to_xml(&tree))))
    })
    .await
}

fn screenshot_png(state: &mut FarmState, udid: &str) -> Result<Vec<u8>, W3cError> {
    let screen = state.screen(udid).ok_or_else(|| W3cError::unknown_error(format!("phone '{udid}' is gone")))?;
    if state.black_screenshot(udid, &screen) {
        return Ok(screenshot::black());
    }
    let phone = state.phone(udid).ok_or_else(|| W3cError::unknown_error(format!("phone '{udid}' is gone")))?;
    let clock = crate::server::wall_clock_text(phone.clock);
    Ok(screenshot::render(
        &screen,
        &screenshot::StatusBar { platform: phone.platform(), clock: &clock, bluetooth_on: phone.bluetooth_on },
    ))
}

async fn take_screenshot(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getScreenshot", |state, s| {
        let png = screenshot_png(state, &s.udid)?;
        Ok(ok(json!(base64::engine::general_purpose::STANDARD.encode(png))))
    })
    .await
}

async fn take_screenshot_of_element(
    State(shared): State<Arc<Shared>>,
    Path((sid, eid)): Path<(String, String)>,
) -> W3cResult {
    // The whole screen: cropping adds nothing a test of this app needs.
    command(&shared, &sid, "getElementScreenshot", |state, s| {
        resolve(state, &s.udid, &eid)?;
        let png = screenshot_png(state, &s.udid)?;
        Ok(ok(json!(base64::engine::general_purpose::STANDARD.encode(png))))
    })
    .await
}

// --- elements -----------------------------------------------------------------------

fn element_ref(instance: u64, index: usize) -> Value {
    let id = format!("{instance}-{index}");
    json!({ ELEMENT_KEY: id, "ELEMENT": id })
}

/// The node an element reference points at, if the screen it was found on
/// is still the one shown.
fn resolve(state: &mut FarmState, udid: &str, eid: &str) -> Result<(Screen, XmlNode, usize), W3cError> {
    let (instance, index) = eid
        .split_once('-')
        .and_then(|(i, n)| Some((i.parse::<u64>().ok()?, n.parse::<usize>().ok()?)))
        .ok_or_else(|| W3cError::no_such_element(format!("'{eid}' is not an element reference of this farm")))?;
    let (screen, tree) = screen_of(state, udid)?;
    let current = state.phone(udid).map(|p| p.instance).unwrap_or_default();
    if instance != current {
        return Err(W3cError::stale_element(format!(
            "element '{eid}' belonged to an earlier screen; the phone now shows '{}'. Find the element again.",
            screen.name
        )));
    }
    if screen.node(index).is_none() {
        return Err(W3cError::no_such_element(format!("element '{eid}' is not on the screen '{}'", screen.name)));
    }
    Ok((screen, tree, index))
}

struct Locator {
    using: String,
    value: String,
}

fn locator(body: &axum::body::Bytes) -> Result<Locator, W3cError> {
    let body = parse_json(body)?;
    Ok(Locator { using: str_field(&body, "using")?.to_owned(), value: str_field(&body, "value")?.to_owned() })
}

/// Finds with the session's implicit wait: polls the screen until a match
/// or the deadline. An empty result is only final at the deadline.
async fn find(shared: &Arc<Shared>, sid: &str, name: &str, from: Option<&str>, loc: Locator, many: bool) -> W3cResult {
    let started = Instant::now();
    loop {
        let attempt = command(shared, sid, name, |state, s| {
            let (instance, tree, context) = match from {
                Some(eid) => {
                    let (_, tree, index) = resolve(state, &s.udid, eid)?;
                    (state.phone(&s.udid).map(|p| p.instance).unwrap_or_default(), tree, Some(index))
                }
                None => {
                    let (_, tree) = screen_of(state, &s.udid)?;
                    (state.phone(&s.udid).map(|p| p.instance).unwrap_or_default(), tree, None)
                }
            };
            let found = locate::find(&tree, &loc.using, &loc.value, context).map_err(|e| match e {
                locate::FindError::UnknownStrategy(_) => W3cError::invalid_argument(e.to_string()),
                _ => W3cError::invalid_selector(e.to_string()),
            })?;
            Ok((found.into_iter().map(|i| element_ref(instance, i)).collect::<Vec<_>>(), s.implicit_wait))
        })
        .await?;
        let (found, wait) = attempt;
        if !found.is_empty() || started.elapsed() >= wait {
            return if many {
                Ok(ok(Value::Array(found)))
            } else {
                found.into_iter().next().map(ok).ok_or_else(|| {
                    W3cError::no_such_element(format!(
                        "no element matches {} '{}' (waited {} ms)",
                        loc.using,
                        loc.value,
                        wait.as_millis()
                    ))
                })
            };
        }
        tokio::time::sleep(IMPLICIT_WAIT_POLL).await;
    }
}

async fn find_element(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    find(&shared, &sid, "findElement", None, locator(&body)?, false).await
}

async fn find_elements(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    find(&shared, &sid, "findElements", None, locator(&body)?, true).await
}

async fn find_element_from(
    State(shared): State<Arc<Shared>>,
    Path((sid, eid)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> W3cResult {
    find(&shared, &sid, "findElementFromElement", Some(&eid), locator(&body)?, false).await
}

async fn find_elements_from(
    State(shared): State<Arc<Shared>>,
    Path((sid, eid)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> W3cResult {
    find(&shared, &sid, "findElementsFromElement", Some(&eid), locator(&body)?, true).await
}

async fn active_element(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getActiveElement", |state, s| {
        let screen = state.screen(&s.udid).ok_or_else(|| W3cError::unknown_error("phone is gone"))?;
        let instance = state.phone(&s.udid).map(|p| p.instance).unwrap_or_default();
        screen
            .nodes()
            .iter()
            .position(|n| n.is_input())
            .map(|i| ok(element_ref(instance, i)))
            .ok_or_else(|| W3cError::no_such_element("no input field has the focus on this screen"))
    })
    .await
}

async fn click(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    command(&shared, &sid, "click", |state, s| {
        let (screen, _, index) = resolve(state, &s.udid, &eid)?;
        let node = screen.node(index).cloned().ok_or_else(|| W3cError::no_such_element(eid.clone()))?;
        // A tap on a disabled control does nothing on a phone; neither here.
        if node.enabled {
            state.with_app(&s.udid, |phone, cx| phone.click(&node.id, cx));
        }
        Ok(ok(Value::Null))
    })
    .await
}

/// W3C "element send keys": `{"text": "..."}` (or the legacy `value` array).
async fn send_keys(
    State(shared): State<Arc<Shared>>,
    Path((sid, eid)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> W3cResult {
    let body = parse_json(&body)?;
    let text = match (body.get("text"), body.get("value")) {
        (Some(Value::String(t)), _) => t.clone(),
        (_, Some(Value::Array(parts))) => parts.iter().filter_map(Value::as_str).collect(),
        _ => return Err(W3cError::invalid_argument("element send keys needs a string field 'text'")),
    };
    command(&shared, &sid, "setValue", |state, s| {
        let (screen, _, index) = resolve(state, &s.udid, &eid)?;
        let id = screen.node(index).map(|n| n.id.clone()).unwrap_or_default();
        let result = state.with_app(&s.udid, |phone, _| phone.type_text(&id, &text, &screen));
        match result {
            Some(Ok(())) => Ok(ok(Value::Null)),
            Some(Err(e)) => Err(W3cError::invalid_element_state(e.to_string())),
            None => Err(W3cError::unknown_error("phone is gone")),
        }
    })
    .await
}

async fn clear(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    command(&shared, &sid, "clear", |state, s| {
        let (screen, _, index) = resolve(state, &s.udid, &eid)?;
        let id = screen.node(index).map(|n| n.id.clone()).unwrap_or_default();
        match state.with_app(&s.udid, |phone, _| phone.clear(&id, &screen)) {
            Some(Ok(())) => Ok(ok(Value::Null)),
            Some(Err(e)) => Err(W3cError::invalid_element_state(e.to_string())),
            None => Err(W3cError::unknown_error("phone is gone")),
        }
    })
    .await
}

/// Reads one property of an element.
async fn element_property(
    shared: &Arc<Shared>,
    sid: &str,
    eid: &str,
    name: &str,
    read: impl FnOnce(&Screen, &XmlNode, usize) -> Value,
) -> W3cResult {
    command(shared, sid, name, |state, s| {
        let (screen, tree, index) = resolve(state, &s.udid, eid)?;
        Ok(ok(read(&screen, &tree, index)))
    })
    .await
}

async fn text(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    element_property(&shared, &sid, &eid, "getText", |screen, _, i| {
        json!(screen.node(i).map(|n| n.visible_text()).unwrap_or_default())
    })
    .await
}

async fn tag_name(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    element_property(&shared, &sid, &eid, "getName", |_, tree, i| {
        json!(locate::node_by_index(tree, i).map(|x| x.tag.clone()).unwrap_or_default())
    })
    .await
}

async fn attribute(
    State(shared): State<Arc<Shared>>,
    Path((sid, eid, name)): Path<(String, String, String)>,
) -> W3cResult {
    element_property(&shared, &sid, &eid, "getAttribute", |_, tree, i| {
        locate::node_by_index(tree, i).and_then(|x| x.attr(&name)).map_or(Value::Null, |v| json!(v))
    })
    .await
}

async fn displayed(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    element_property(&shared, &sid, &eid, "elementDisplayed", |_, _, _| json!(true)).await
}

async fn enabled(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    element_property(&shared, &sid, &eid, "elementEnabled", |screen, _, i| {
        json!(screen.node(i).is_some_and(|n| n.enabled))
    })
    .await
}

async fn selected(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    element_property(&shared, &sid, &eid, "elementSelected", |screen, _, i| {
        json!(screen.node(i).is_some_and(|n| n.checked))
    })
    .await
}

async fn rect(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    element_property(&shared, &sid, &eid, "getElementRect", |screen, _, i| {
        let r = screen.node(i).map(|n| n.rect).unwrap_or_default();
        json!({ "x": r.x, "y": r.y, "width": r.width, "height": r.height })
    })
    .await
}

// --- W3C actions: a tap where a pointer goes down and up ------------------------------

async fn actions(State(shared): State<Arc<Shared>>, Path(sid): Path<String>, body: axum::body::Bytes) -> W3cResult {
    let body = parse_json(&body)?;
    let sequences = body
        .get("actions")
        .and_then(Value::as_array)
        .ok_or_else(|| W3cError::invalid_argument("actions needs an array field 'actions'"))?
        .clone();
    command(&shared, &sid, "performActions", |state, s| {
        for seq in sequences.iter().filter(|s| s.get("type").and_then(Value::as_str) == Some("pointer")) {
            let (mut x, mut y) = (0i64, 0i64);
            for action in seq.get("actions").and_then(Value::as_array).into_iter().flatten() {
                match action.get("type").and_then(Value::as_str) {
                    Some("pointerMove") => {
                        let (mut ox, mut oy) = (0, 0);
                        if let Some(eid) = action.get("origin").and_then(|o| o.get(ELEMENT_KEY)).and_then(Value::as_str)
                        {
                            let (screen, _, i) = resolve(state, &s.udid, eid)?;
                            let r = screen.node(i).map(|n| n.rect).unwrap_or_default();
                            ox = i64::from(r.x + r.width / 2);
                            oy = i64::from(r.y + r.height / 2);
                        }
                        x = ox + action.get("x").and_then(Value::as_f64).unwrap_or(0.0) as i64;
                        y = oy + action.get("y").and_then(Value::as_f64).unwrap_or(0.0) as i64;
                    }
                    Some("pointerUp") => tap_at(state, &s.udid, x, y),
                    _ => {}
                }
            }
        }
        Ok(ok(Value::Null))
    })
    .await
}

/// The deepest enabled control under a point gets the tap.
fn tap_at(state: &mut FarmState, udid: &str, x: i64, y: i64) {
    let Some(screen) = state.screen(udid) else { return };
    let hit = screen
        .nodes()
        .into_iter()
        .filter(|n| n.role != crate::ui::Role::Screen && n.enabled)
        .filter(|n| {
            let r = n.rect;
            x >= i64::from(r.x) && x < i64::from(r.x + r.width) && y >= i64::from(r.y) && y < i64::from(r.y + r.height)
        })
        .last()
        .map(|n| n.id.clone());
    if let Some(id) = hit {
        state.with_app(udid, |phone, cx| phone.click(&id, cx));
    }
}

async fn release_actions(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "releaseActions", |_, _| Ok(ok(Value::Null))).await
}

// --- mobile: scripts ---------------------------------------------------------------------

const MOBILE_SCRIPTS: &[&str] = &[
    "mobile: shell (Android)",
    "mobile: fingerprint (Android)",
    "mobile: sendBiometricMatch (iOS)",
    "mobile: activateApp",
    "mobile: terminateApp",
    "mobile: queryAppState",
    "mobile: injectCameraImage",
];

async fn execute(State(shared): State<Arc<Shared>>, Path(sid): Path<String>, body: axum::body::Bytes) -> W3cResult {
    let body = parse_json(&body)?;
    let script = str_field(&body, "script")?.trim().to_owned();
    let args = match body.get("args") {
        Some(Value::Array(a)) => a.first().cloned().unwrap_or(json!({})),
        None | Some(Value::Null) => json!({}),
        Some(_) => return Err(W3cError::invalid_argument("execute needs 'args' as an array")),
    };
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
    let app_id_ok = |args: &Value| {
        let id = args.get("appId").or_else(|| args.get("bundleId")).and_then(Value::as_str);
        match id {
            Some(APP_ID) => Ok(()),
            Some(other) => {
                Err(W3cError::invalid_argument(format!("app '{other}' is not installed (the MitID app is '{APP_ID}')")))
            }
            None => Err(W3cError::invalid_argument(format!(
                "{script} needs {{\"appId\": \"{APP_ID}\"}} (or bundleId on iOS)"
            ))),
        }
    };
    match (script, platform) {
        ("mobile: shell", Platform::Android) => {
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
            let i = state.phone_index(udid).ok_or_else(|| W3cError::unknown_error("phone is gone"))?;
            state.phones[i].bluetooth_on = on;
            state.refresh();
            Ok(ok(json!("")))
        }
        ("mobile: fingerprint", Platform::Android) => {
            let id = args
                .get("fingerprintId")
                .and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
                .ok_or_else(|| W3cError::invalid_argument("mobile: fingerprint needs {\"fingerprintId\": <1-10>}"))?;
            let matched = id == u64::from(crate::rules::ENROLLED_FINGERPRINT_ID);
            state.with_app(udid, |phone, _| phone.biometric(matched));
            Ok(ok(Value::Null))
        }
        ("mobile: sendBiometricMatch", Platform::Ios) => {
            let kind = args.get("type").and_then(Value::as_str).unwrap_or("touchId");
            if kind != "touchId" && kind != "faceId" {
                return Err(W3cError::invalid_argument(format!(
                    "mobile: sendBiometricMatch type must be touchId or faceId, not '{kind}'"
                )));
            }
            let matched = args.get("match").and_then(Value::as_bool).unwrap_or(true);
            state.with_app(udid, |phone, _| phone.biometric(matched));
            Ok(ok(Value::Null))
        }
        ("mobile: activateApp", _) => {
            app_id_ok(args)?;
            state.with_app(udid, |phone, cx| phone.launch(cx.backend, cx.now));
            Ok(ok(Value::Null))
        }
        ("mobile: terminateApp", _) => {
            app_id_ok(args)?;
            let was_running = state.with_app(udid, |phone, _| phone.terminate()).unwrap_or(false);
            Ok(ok(json!(was_running)))
        }
        ("mobile: queryAppState", _) => {
            app_id_ok(args)?;
            let running = state.phone(udid).is_some_and(|p| p.running);
            // Appium: 1 installed but not running, 4 running in the foreground.
            Ok(ok(json!(if running { 4 } else { 1 })))
        }
        ("mobile: injectCameraImage", _) => {
            let payload =
                camera.ok_or_else(|| W3cError::invalid_argument("mobile: injectCameraImage needs an image"))?;
            state.with_app(udid, |phone, cx| phone.inject_camera(payload, cx));
            Ok(ok(Value::Null))
        }
        (s, _) if s.starts_with("mobile:") => Err(W3cError::unsupported_operation(format!(
            "'{s}' is not a mobile: command of this {} phone; the farm knows: {}",
            platform.name(),
            MOBILE_SCRIPTS.join(", ")
        ))),
        (s, _) => Err(W3cError::unsupported_operation(format!(
            "this is a native app context: scripts other than 'mobile:' commands cannot run (got '{}')",
            s.chars().take(60).collect::<String>()
        ))),
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
