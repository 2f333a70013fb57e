//! The Appium-compatible W3C WebDriver endpoints: the route table, and the
//! command wrapper (session lookup, latency and faults, gateway delivery).

mod actions;
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

/// A hung command answers after this, should the client never give up.
const HANG_LIMIT: Duration = Duration::from_secs(3600);

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
        .route("/session/{sid}/window/size", get(session::window_rect))
        .route("/session/{sid}/orientation", get(session::orientation))
        .route("/session/{sid}/contexts", get(session::contexts))
        .route("/session/{sid}/context", get(session::context))
        .route("/session/{sid}/appium/settings", get(session::get_settings).post(session::set_settings))
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

fn no_session(sid: &str) -> W3cError {
    W3cError::invalid_session_id(format!("no active session with id '{sid}' (it ended, or never existed)"))
}
