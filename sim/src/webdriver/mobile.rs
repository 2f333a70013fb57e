//! The `mobile:` scripts (execute sync): Bluetooth via the Android shell,
//! biometrics, app activation and state, and injected camera images.

use std::sync::Arc;

use axum::extract::{Path, State};
use base64::Engine as _;
use serde_json::{json, Value};

use super::{command, parse_json, str_field};
use crate::app::Phone;
use crate::error::{ok, W3cError, W3cResult};
use crate::farm::FarmState;
use crate::server::Shared;
use crate::ui::Platform;
use crate::APP_ID;

const MOBILE_SCRIPTS: &[&str] = &[
    "mobile: shell (Android)",
    "mobile: fingerprint (Android)",
    "mobile: sendBiometricMatch (iOS)",
    "mobile: activateApp",
    "mobile: terminateApp",
    "mobile: queryAppState",
    "mobile: injectCameraImage",
];

pub(super) async fn execute(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
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
            state.with_app(udid, |phone, cx| phone.biometric(matched, cx));
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
            state.with_app(udid, |phone, cx| phone.biometric(matched, cx));
            Ok(ok(Value::Null))
        }
        ("mobile: activateApp", _) => {
            app_id_ok(args)?;
            state.with_app(udid, |phone, cx| phone.launch(cx));
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
