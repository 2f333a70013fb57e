//! The Appium-compatible W3C WebDriver endpoints: the route table, and the
//! command wrapper (session lookup, latency and faults, gateway delivery).

mod actions;
mod alert;
mod device;
mod element;
mod mobile;
mod screen;
mod session;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::error::W3cError;
use crate::farm::{CommandFault, FarmState, Session};
use crate::server::Shared;
use crate::ui::Platform;

/// A hung command answers after this, should the client never give up.
const HANG_LIMIT: Duration = Duration::from_secs(3600);

/// One route of the farm: what `GET /appium/commands` lists, with the
/// command name Appium's route table gives it. `routes()` must serve each
/// (a test in sim/tests/integration/appium_surface.rs sends every one).
pub(super) struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub command: &'static str,
    /// Only for sessions on this platform's driver.
    pub platform: Option<Platform>,
}

const fn route(method: &'static str, path: &'static str, command: &'static str) -> Route {
    Route { method, path, command, platform: None }
}

/// The session routes, with Appium's command names (@appium/base-driver's
/// route table, UiAutomator2's for the Android ones).
pub(super) const ROUTES: &[Route] = &[
    route("GET", "/session/:sessionId", "getSession"),
    route("DELETE", "/session/:sessionId", "deleteSession"),
    route("GET", "/session/:sessionId/appium/capabilities", "getAppiumSessionCapabilities"),
    route("GET", "/session/:sessionId/timeouts", "getTimeouts"),
    route("POST", "/session/:sessionId/timeouts", "timeouts"),
    route("GET", "/session/:sessionId/source", "getPageSource"),
    route("GET", "/session/:sessionId/screenshot", "getScreenshot"),
    route("GET", "/session/:sessionId/window/rect", "getWindowRect"),
    route("GET", "/session/:sessionId/window", "getWindowHandle"),
    route("GET", "/session/:sessionId/window/handles", "getWindowHandles"),
    route("GET", "/session/:sessionId/url", "getUrl"),
    route("GET", "/session/:sessionId/location", "getGeoLocation"),
    route("GET", "/session/:sessionId/orientation", "getOrientation"),
    route("POST", "/session/:sessionId/orientation", "setOrientation"),
    route("GET", "/session/:sessionId/appium/device/orientation", "getOrientation"),
    route("POST", "/session/:sessionId/appium/device/orientation", "setOrientation"),
    route("GET", "/session/:sessionId/contexts", "getContexts"),
    route("GET", "/session/:sessionId/appium/contexts", "getContexts"),
    route("GET", "/session/:sessionId/context", "getCurrentContext"),
    route("POST", "/session/:sessionId/context", "setContext"),
    route("GET", "/session/:sessionId/appium/context", "getCurrentContext"),
    route("POST", "/session/:sessionId/appium/context", "setContext"),
    route("GET", "/session/:sessionId/appium/settings", "getSettings"),
    route("POST", "/session/:sessionId/appium/settings", "updateSettings"),
    route("GET", "/session/:sessionId/appium/commands", "listCommands"),
    route("GET", "/session/:sessionId/appium/extensions", "listExtensions"),
    route("GET", "/session/:sessionId/appium/device/system_time", "getDeviceTime"),
    route("POST", "/session/:sessionId/appium/device/system_time", "getDeviceTime"),
    route("GET", "/session/:sessionId/appium/device/is_keyboard_shown", "isKeyboardShown"),
    route("POST", "/session/:sessionId/appium/device/hide_keyboard", "hideKeyboard"),
    route("POST", "/session/:sessionId/appium/device/app_installed", "isAppInstalled"),
    route("POST", "/session/:sessionId/appium/device/app_state", "queryAppState"),
    route("POST", "/session/:sessionId/appium/device/activate_app", "activateApp"),
    route("POST", "/session/:sessionId/appium/device/terminate_app", "terminateApp"),
    route("POST", "/session/:sessionId/appium/device/pull_file", "pullFile"),
    Route {
        method: "POST",
        path: "/session/:sessionId/appium/device/press_keycode",
        command: "pressKeyCode",
        platform: Some(Platform::Android),
    },
    route("GET", "/session/:sessionId/se/log/types", "getLogTypes"),
    route("POST", "/session/:sessionId/se/log", "getLog"),
    Route {
        method: "GET",
        path: "/session/:sessionId/log/types",
        command: "getLogTypes",
        platform: Some(Platform::Android),
    },
    Route { method: "POST", path: "/session/:sessionId/log", command: "getLog", platform: Some(Platform::Android) },
    route("GET", "/session/:sessionId/alert/text", "getAlertText"),
    route("POST", "/session/:sessionId/alert/accept", "postAcceptAlert"),
    route("POST", "/session/:sessionId/alert/dismiss", "postDismissAlert"),
    route("POST", "/session/:sessionId/element", "findElement"),
    route("POST", "/session/:sessionId/elements", "findElements"),
    route("GET", "/session/:sessionId/element/active", "active"),
    route("POST", "/session/:sessionId/element/:elementId/element", "findElementFromElement"),
    route("POST", "/session/:sessionId/element/:elementId/elements", "findElementsFromElement"),
    route("POST", "/session/:sessionId/element/:elementId/click", "click"),
    route("POST", "/session/:sessionId/element/:elementId/value", "setValue"),
    route("POST", "/session/:sessionId/element/:elementId/clear", "clear"),
    route("GET", "/session/:sessionId/element/:elementId/text", "getText"),
    route("GET", "/session/:sessionId/element/:elementId/name", "getName"),
    route("GET", "/session/:sessionId/element/:elementId/attribute/:name", "getAttribute"),
    route("GET", "/session/:sessionId/element/:elementId/displayed", "elementDisplayed"),
    route("GET", "/session/:sessionId/element/:elementId/enabled", "elementEnabled"),
    route("GET", "/session/:sessionId/element/:elementId/selected", "elementSelected"),
    route("GET", "/session/:sessionId/element/:elementId/rect", "getElementRect"),
    route("GET", "/session/:sessionId/element/:elementId/screenshot", "getElementScreenshot"),
    route("POST", "/session/:sessionId/execute/sync", "execute"),
    route("POST", "/session/:sessionId/actions", "performActions"),
    route("DELETE", "/session/:sessionId/actions", "releaseActions"),
];

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/status", get(session::status))
        .route("/session", post(session::new_session))
        .route("/appium/sessions", get(session::list_sessions))
        .route("/session/{sid}", get(session::get_session).delete(session::delete_session))
        .route("/session/{sid}/appium/capabilities", get(session::appium_capabilities))
        .route("/session/{sid}/timeouts", get(session::get_timeouts).post(session::set_timeouts))
        .route("/session/{sid}/source", get(screen::page_source))
        .route("/session/{sid}/screenshot", get(screen::take_screenshot))
        .route("/session/{sid}/window/rect", get(session::window_rect))
        .route("/session/{sid}/window", get(session::window_handle))
        .route("/session/{sid}/window/handles", get(session::window_handles))
        .route("/session/{sid}/url", get(session::url))
        .route("/session/{sid}/location", get(device::location))
        .route("/session/{sid}/orientation", get(device::orientation).post(device::set_orientation))
        .route("/session/{sid}/appium/device/orientation", get(device::orientation).post(device::set_orientation))
        .route("/session/{sid}/contexts", get(device::contexts))
        .route("/session/{sid}/appium/contexts", get(device::contexts))
        .route("/session/{sid}/context", get(device::current_context).post(device::set_context))
        .route("/session/{sid}/appium/context", get(device::current_context).post(device::set_context))
        .route("/session/{sid}/appium/settings", get(device::get_settings).post(device::update_settings))
        .route("/session/{sid}/appium/commands", get(device::list_commands))
        .route("/session/{sid}/appium/extensions", get(device::list_extensions))
        .route("/session/{sid}/appium/device/system_time", get(device::system_time).post(device::system_time_formatted))
        .route("/session/{sid}/appium/device/is_keyboard_shown", get(device::is_keyboard_shown))
        .route("/session/{sid}/appium/device/hide_keyboard", post(device::hide_keyboard_route))
        .route("/session/{sid}/appium/device/app_installed", post(device::app_installed))
        .route("/session/{sid}/appium/device/app_state", post(device::app_state_route))
        .route("/session/{sid}/appium/device/activate_app", post(device::activate_app))
        .route("/session/{sid}/appium/device/terminate_app", post(device::terminate_app))
        .route("/session/{sid}/appium/device/pull_file", post(device::pull_file_route))
        .route("/session/{sid}/appium/device/press_keycode", post(device::press_keycode))
        .route("/session/{sid}/se/log/types", get(device::log_types))
        .route("/session/{sid}/se/log", post(device::log))
        .route("/session/{sid}/log/types", get(device::android_log_types))
        .route("/session/{sid}/log", post(device::android_log))
        .route("/session/{sid}/alert/text", get(alert::get_text))
        .route("/session/{sid}/alert/accept", post(alert::accept))
        .route("/session/{sid}/alert/dismiss", post(alert::dismiss))
        .route("/session/{sid}/element", post(element::find_element))
        .route("/session/{sid}/elements", post(element::find_elements))
        .route("/session/{sid}/element/active", get(element::active_element))
        .route("/session/{sid}/element/{eid}/element", post(element::find_element_from))
        .route("/session/{sid}/element/{eid}/elements", post(element::find_elements_from))
        .route("/session/{sid}/element/{eid}/click", post(element::click))
        .route("/session/{sid}/element/{eid}/value", post(element::send_keys))
        .route("/session/{sid}/element/{eid}/clear", post(element::clear))
        .route("/session/{sid}/element/{eid}/text", get(element::text))
        .route("/session/{sid}/element/{eid}/name", get(element::tag_name))
        .route("/session/{sid}/element/{eid}/attribute/{name}", get(element::attribute))
        .route("/session/{sid}/element/{eid}/displayed", get(element::displayed))
        .route("/session/{sid}/element/{eid}/enabled", get(element::enabled))
        .route("/session/{sid}/element/{eid}/selected", get(element::selected))
        .route("/session/{sid}/element/{eid}/rect", get(element::rect))
        .route("/session/{sid}/element/{eid}/screenshot", get(screen::take_screenshot_of_element))
        .route("/session/{sid}/execute/sync", post(mobile::execute))
        .route("/session/{sid}/actions", post(actions::actions).delete(actions::release_actions))
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
        let own = state.config.phone_latency_ms.get(&session.udid).copied().unwrap_or(0);
        let platform = state.phone(&session.udid).map_or(crate::ui::Platform::Android, |p| p.platform());
        let kind = state.config.latency.cost(platform, crate::latency::CommandKind::of(name));
        (state.latency + kind + Duration::from_millis(own), state.command_fault(&session.udid, name))
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

fn no_session(sid: &str) -> W3cError {
    W3cError::invalid_session_id(format!("no active session with id '{sid}' (it ended, or never existed)"))
}
