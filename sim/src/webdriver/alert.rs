//! Alerts: W3C's `/alert/text`, `/alert/accept` and `/alert/dismiss`, and
//! XCUITest's `mobile: alert`, answered as WebDriverAgent answers them
//! (`FBAlert`): accepting taps an alert's last button, dismissing its
//! first, or the button with the given label.
//!
//! Only iOS shows the permission prompts as alerts. UiAutomator2 knows an
//! alert by the framework's AlertDialog ids (`android:id/button1`, …),
//! which the permission controller's dialog does not use, so on Android
//! there is never an alert: its prompt is answered through its buttons.

use std::sync::Arc;

use axum::extract::{Path, State};
use serde_json::{json, Value};

use super::command;
use crate::error::{ok, W3cError, W3cResult};
use crate::farm::FarmState;
use crate::server::Shared;
use crate::ui::{Node, Role};

/// What WebDriverAgent says when no alert is shown.
const NO_ALERT: &str = "An attempt was made to operate on a modal dialog when one was not open.";

/// The alert over the app now, if any.
fn shown(state: &mut FarmState, udid: &str) -> Result<Node, W3cError> {
    let screen = state.screen(udid).ok_or_else(|| W3cError::unknown_error(format!("phone '{udid}' is gone")))?;
    screen.alert.ok_or_else(|| W3cError::no_such_alert(NO_ALERT))
}

fn buttons(alert: &Node) -> Vec<&Node> {
    alert.walk().into_iter().filter(|n| n.role == Role::Button).collect()
}

/// The alert's static texts, one a line (`FBAlert.text`).
pub(super) fn text(state: &mut FarmState, udid: &str) -> Result<Value, W3cError> {
    let alert = shown(state, udid)?;
    let lines: Vec<&str> = alert
        .walk()
        .into_iter()
        .filter(|n| matches!(n.role, Role::Title | Role::Text))
        .map(|n| n.text.as_str())
        .collect();
    Ok(json!(lines.join("\n")))
}

/// The labels of the alert's buttons (`/wda/alert/buttons`).
pub(super) fn button_labels(state: &mut FarmState, udid: &str) -> Result<Value, W3cError> {
    let alert = shown(state, udid)?;
    Ok(json!(buttons(&alert).iter().map(|b| b.text.as_str()).collect::<Vec<_>>()))
}

/// Taps the button labelled `label`, else the alert's last button to
/// accept or its first to dismiss.
pub(super) fn answer(state: &mut FarmState, udid: &str, accept: bool, label: Option<&str>) -> Result<(), W3cError> {
    let alert = shown(state, udid)?;
    let all = buttons(&alert);
    let button = match label {
        Some(label) => all.iter().find(|b| b.text == label).copied().ok_or_else(|| {
            let labels: Vec<&str> = all.iter().map(|b| b.text.as_str()).collect();
            W3cError::invalid_element_state(format!(
                "Failed to find button with label '{label}' for the alert '{}' (its buttons: {})",
                alert.text,
                labels.join(", ")
            ))
        })?,
        None if accept => all.last().copied().ok_or_else(|| W3cError::unknown_error("the alert has no buttons"))?,
        None => all.first().copied().ok_or_else(|| W3cError::unknown_error("the alert has no buttons"))?,
    };
    let button = button.clone();
    state.with_app(udid, |phone, cx| phone.tap(&button, cx));
    Ok(())
}

/// `buttonLabel` of `mobile: alert` or `name` of `/alert/accept`: a
/// string when given.
fn label_arg<'a>(args: &'a Value, key: &str) -> Result<Option<&'a str>, W3cError> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(W3cError::invalid_argument(format!("'{key}' must be a string, got {other}"))),
    }
}

/// `mobile: alert` with its `action` (accept, dismiss, getButtons) and
/// optional `buttonLabel`.
pub(super) fn mobile_alert(state: &mut FarmState, udid: &str, args: &Value) -> W3cResult {
    let action = args.get("action").and_then(Value::as_str).unwrap_or_default();
    let label = label_arg(args, "buttonLabel")?;
    match action {
        "accept" | "dismiss" => {
            answer(state, udid, action == "accept", label)?;
            Ok(ok(Value::Null))
        }
        "getButtons" => Ok(ok(button_labels(state, udid)?)),
        _ => Err(W3cError::invalid_argument(format!(
            "The 'action' value should be either 'accept', 'dismiss' or 'getButtons'. '{}' is provided instead",
            args.get("action").cloned().unwrap_or(Value::Null)
        ))),
    }
}

pub(super) async fn get_text(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getAlertText", |state, s| Ok(ok(text(state, &s.udid)?))).await
}

async fn accept_or_dismiss(shared: Arc<Shared>, sid: String, body: axum::body::Bytes, accept: bool) -> W3cResult {
    let body = super::parse_json(&body)?;
    let name = if accept { "postAcceptAlert" } else { "postDismissAlert" };
    command(&shared, &sid, name, |state, s| {
        // XCUITest takes the button's label as `name`, beside the W3C body.
        answer(state, &s.udid, accept, label_arg(&body, "name")?)?;
        Ok(ok(Value::Null))
    })
    .await
}

pub(super) async fn accept(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    accept_or_dismiss(shared, sid, body, true).await
}

pub(super) async fn dismiss(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    accept_or_dismiss(shared, sid, body, false).await
}
