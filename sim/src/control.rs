//! The test-control API under `/sim/`: what a lab rig or a test backend
//! offers a test, and nothing more. Reading state back is for diagnostics;
//! tests look at the phones and the gateways.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::backend::Gateways;
use crate::config::{Defect, FaultKind, FaultRule, RadioMode};
use crate::farm::{FarmState, Provision};
use crate::server::Shared;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/sim/phones", get(phones))
        .route("/sim/phones/{udid}", put(set_phone))
        .route("/sim/phones/{udid}/reset", post(reset_phone))
        .route("/sim/identities", post(provision))
        .route("/sim/clock", get(clock))
        .route("/sim/clock/advance", post(advance))
        .route("/sim/gateways", get(gateways).put(set_gateways))
        .route("/sim/defects", get(defects).put(set_defects))
        .route("/sim/faults", get(faults).post(add_fault).delete(clear_faults))
        .route("/sim/beacons/verify", post(verify_beacon))
        .route("/sim/latency", put(set_latency))
        .route("/sim/state", get(diagnostics))
        .route("/sim/reset", post(reset))
        .route("/sim", axum::routing::any(no_such_call))
        .route("/sim/", axum::routing::any(no_such_call))
        .route("/sim/{*rest}", axum::routing::any(no_such_call))
        // Camera-sized bodies are the WebDriver side's; a control body is small.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_CONTROL_BODY))
        .layer(axum::middleware::from_fn(control_rejections))
}

/// The largest control body: far above any real one.
pub const MAX_CONTROL_BODY: usize = 2 * 1024 * 1024;
/// The most latency a command may be given: a phone slower than this is a
/// fault (`hang`), not latency.
pub const MAX_LATENCY_MS: u64 = 60_000;
/// The most times a fault may be set to fire.
pub const MAX_FAULT_TIMES: u32 = 10_000;
/// The most apps an identity may be given on phones outside the farm: the
/// rule allows three; a fourth proves the 4th-app rule (defect or not).
pub const MAX_APPS_ELSEWHERE: usize = 10;
/// The longest a control field's text may be (udids, versions, user ids).
pub const MAX_TEXT: usize = 256;

/// A control-API error. Every failure under `/sim/` has this one shape:
/// `{"error": "<what was wrong and what is taken>", "status": <HTTP status>}`.
struct Problem(StatusCode, String);

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1, "status": self.0.as_u16() }))).into_response()
    }
}

/// An unknown call under `/sim/`.
async fn no_such_call(method: axum::http::Method, uri: axum::http::Uri) -> Problem {
    Problem(
        StatusCode::NOT_FOUND,
        format!(
            "{method} {} is not a call of the test-control API; the calls are: GET /sim/phones, PUT /sim/phones/{{udid}}, \
             POST /sim/phones/{{udid}}/reset, POST /sim/identities, GET /sim/clock, POST /sim/clock/advance, \
             GET|PUT /sim/gateways, GET|PUT /sim/defects, GET|POST|DELETE /sim/faults, POST /sim/beacons/verify, \
             PUT /sim/latency, GET /sim/state, POST /sim/reset",
            uri.path()
        ),
    )
}

/// What axum answers by itself before a handler runs (a method a call does
/// not take: 405 with an empty body; a body over the limit: 413 in plain
/// text) gets the control API's one error shape too.
async fn control_rejections(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let (status, allow, text) = match crate::server::plain_rejection(next.run(request).await).await {
        Ok(plain) => plain,
        Err(ours) => return ours,
    };
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("{path} does not take {method}; it takes {}", methods_of(&path).unwrap_or("other methods"))
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the body of {method} {path} is over {} MB: {text}", MAX_CONTROL_BODY / (1024 * 1024))
        }
        _ => format!("{method} {path}: {text}"),
    };
    let mut answer = Problem(status, message).into_response();
    if let Some(allow) = allow {
        answer.headers_mut().insert(axum::http::header::ALLOW, allow);
    }
    answer
}

/// The methods a control call takes (axum adds its Allow header only
/// outside the middleware that shapes the error).
fn methods_of(path: &str) -> Option<&'static str> {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').skip(2).collect();
    Some(match parts.as_slice() {
        ["phones"] | ["clock"] | ["state"] => "GET",
        ["phones", _] | ["latency"] => "PUT",
        ["phones", _, "reset"] | ["identities"] | ["clock", "advance"] | ["beacons", "verify"] | ["reset"] => "POST",
        ["gateways"] | ["defects"] => "GET, PUT",
        ["faults"] => "GET, POST, DELETE",
        _ => return None,
    })
}

/// A text field within [`MAX_TEXT`].
fn bounded_text(field: &str, value: &str) -> Result<(), Problem> {
    if value.chars().count() > MAX_TEXT {
        return Err(Problem(StatusCode::BAD_REQUEST, format!("{field} is longer than {MAX_TEXT} characters")));
    }
    Ok(())
}

type Answer = Result<Json<Value>, Problem>;

/// Strict JSON for control bodies: an unknown field is an error naming it.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Problem> {
    serde_json::from_slice(bytes).map_err(|e| Problem(StatusCode::BAD_REQUEST, format!("{what}: {e}")))
}

/// Takes the state the caller already holds: locking again from under a
/// held guard would deadlock the whole farm.
fn not_found(udid: &str, state: &FarmState) -> Problem {
    Problem(StatusCode::NOT_FOUND, format!("no phone with udid '{udid}' (phones: {})", state.udids().join(", ")))
}

async fn phones(State(shared): State<Arc<Shared>>) -> Answer {
    Ok(Json(json!(shared.lock().phone_views())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhoneChange {
    app_version: Option<String>,
    os_version: Option<String>,
    bluetooth: Option<bool>,
    rig: Option<String>,
}

async fn set_phone(State(shared): State<Arc<Shared>>, Path(udid): Path<String>, bytes: axum::body::Bytes) -> Answer {
    let change: PhoneChange =
        body(&bytes, "PUT /sim/phones/{udid} takes {app_version?, os_version?, bluetooth?, rig?}")?;
    for (field, value) in
        [("app_version", &change.app_version), ("os_version", &change.os_version), ("rig", &change.rig)]
    {
        if let Some(v) = value {
            bounded_text(field, v)?;
        }
    }
    {
        let mut state = shared.lock();
        let i = state.phone_index(&udid).ok_or_else(|| not_found(&udid, &state))?;
        if let Some(rig) = &change.rig {
            // On the BlueZ radio a rig is somewhere only if it has an air.
            let known = state.config.known_rigs();
            if state.config.radio == crate::config::RadioMode::Bluez && !known.contains(rig.as_str()) {
                let known: Vec<&str> = known.into_iter().collect();
                return Err(Problem(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "rig '{rig}' is nowhere on the BlueZ radio: a phone can move to the farm's rigs or to a rig with an air of its own ([farm.air]); rigs: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        let phone = &mut state.phones[i];
        if let Some(v) = change.os_version {
            let probe = crate::config::PhoneSpec { os_version: v.clone(), ..phone.spec.clone() };
            if phone.platform() == crate::ui::Platform::Android && probe.android_api_level().is_none() {
                return Err(Problem(
                    StatusCode::BAD_REQUEST,
                    format!("os_version '{v}' is not an Android version this farm knows"),
                ));
            }
            phone.os_version = v;
        }
        if let Some(v) = change.app_version {
            phone.app_version = v;
        }
        if let Some(v) = change.bluetooth {
            phone.bluetooth_on = v;
        }
        if let Some(v) = change.rig {
            phone.rig = v;
        }
        state.refresh();
    }
    phones(State(shared)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BeaconCheck {
    qr_payload: String,
    token: String,
}

/// Whether a beacon token heard over the air is the one the backend bound to
/// the QR code a payload names, as the backend checks what a new phone
/// reports. Only the backend knows the binding (the token cannot be derived
/// from the QR code); the answer echoes neither.
async fn verify_beacon(State(shared): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Answer {
    let check: BeaconCheck = body(&bytes, "POST /sim/beacons/verify takes {qr_payload, token}")?;
    let state = shared.lock();
    Ok(Json(match state.backend.qr_session_of(&check.qr_payload) {
        None => json!({ "qr_session": "unknown", "bound": false }),
        Some(s) => json!({ "qr_session": "known", "bound": s.beacon_token.eq_ignore_ascii_case(check.token.trim()) }),
    }))
}

async fn reset_phone(State(shared): State<Arc<Shared>>, Path(udid): Path<String>) -> Answer {
    let mut state = shared.lock();
    let i = state.phone_index(&udid).ok_or_else(|| not_found(&udid, &state))?;
    state.phones[i].reset();
    for identity in state.backend.identities.values_mut() {
        identity.apps.retain(|a| a.as_deref() != Some(udid.as_str()));
        identity.biometric.remove(&udid);
    }
    state.backend.enrolments.remove(&udid);
    // A copy an earlier test left open on this phone would otherwise come
    // back when its hour is up.
    state.backend.copy_requests.retain(|_, r| r.old_udid != udid || r.completed);
    Ok(Json(json!({ "reset": udid })))
}

async fn provision(State(shared): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Answer {
    let p: Provision = body(
        &bytes,
        "POST /sim/identities takes {user_id, phone_number, pin, active_apps_elsewhere?, app_on?: [udid]}",
    )?;
    for (field, value) in [("user_id", &p.user_id), ("phone_number", &p.phone_number), ("pin", &p.pin)] {
        bounded_text(field, value)?;
    }
    if p.active_apps_elsewhere > MAX_APPS_ELSEWHERE {
        return Err(Problem(
            StatusCode::BAD_REQUEST,
            format!(
                "active_apps_elsewhere must be between 0 and {MAX_APPS_ELSEWHERE} (the rule allows {}), got {}",
                crate::rules::MAX_ACTIVE_APPS,
                p.active_apps_elsewhere
            ),
        ));
    }
    let apps = p.app_on.clone();
    shared.lock().provision(p).map_err(|e| Problem(StatusCode::BAD_REQUEST, e))?;
    // The user ID is a secret: the answer does not echo it.
    Ok(Json(json!({ "provisioned": true, "app_on": apps })))
}

async fn clock(State(shared): State<Arc<Shared>>) -> Answer {
    let clocks = shared.lock().clocks();
    let latest = clocks.values().copied().max().unwrap_or_default();
    let phones: serde_json::Map<String, Value> =
        clocks.into_iter().map(|(udid, t)| (udid, json!(t.as_secs_f64()))).collect();
    Ok(Json(
        json!({ "now_seconds": latest.as_secs_f64(), "wall_clock": crate::server::wall_clock_text(latest), "phones": phones }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: f64,
    /// Only these phones' clocks; all phones when absent.
    #[serde(default)]
    udids: Option<Vec<String>>,
}

async fn advance(State(shared): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Answer {
    let a: Advance = body(&bytes, "POST /sim/clock/advance takes {\"seconds\": N, \"udids\"?: [udid]}")?;
    if !a.seconds.is_finite() || a.seconds < 0.0 || a.seconds > 366.0 * 24.0 * 3600.0 {
        return Err(Problem(
            StatusCode::BAD_REQUEST,
            format!("seconds must be between 0 and a year, got {}", a.seconds),
        ));
    }
    shared
        .lock()
        .advance(Duration::from_secs_f64(a.seconds), a.udids.as_deref())
        .map_err(|e| Problem(StatusCode::NOT_FOUND, e))?;
    // Messages that fell due (the push at the end of the hour) reach their
    // gateway before this answers.
    shared.deliver_outbox().await;
    clock(State(shared)).await
}

async fn gateways(State(shared): State<Arc<Shared>>) -> Answer {
    Ok(Json(json!(shared.lock().backend.gateways)))
}

async fn set_gateways(State(shared): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Answer {
    let g: Gateways =
        body(&bytes, "PUT /sim/gateways takes {\"sms_url\": \"http://...\", \"push_url\": \"http://...\"}")?;
    for url in [&g.sms_url, &g.push_url].into_iter().flatten() {
        let ok = reqwest::Url::parse(url).is_ok_and(|u| u.scheme() == "http" || u.scheme() == "https");
        if !ok {
            return Err(Problem(StatusCode::BAD_REQUEST, format!("'{url}' is not an http(s) URL")));
        }
    }
    shared.lock().backend.gateways = g;
    gateways(State(shared)).await
}

async fn defects(State(shared): State<Arc<Shared>>) -> Answer {
    let state = shared.lock();
    let list: Vec<Value> = Defect::ALL
        .iter()
        .map(|d| json!({ "name": d.name(), "description": d.description(), "active": state.defects.contains(d) }))
        .collect();
    Ok(Json(Value::Array(list)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefectSet {
    defects: Vec<Defect>,
}

async fn set_defects(State(shared): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Answer {
    let names: Vec<String> = Defect::ALL.iter().map(|d| d.name()).collect();
    let set: DefectSet =
        body(&bytes, &format!("PUT /sim/defects takes {{\"defects\": [names]}}; names: {}", names.join(", ")))?;
    shared.lock().defects = set.defects.into_iter().collect();
    defects(State(shared)).await
}

async fn faults(State(shared): State<Arc<Shared>>) -> Answer {
    Ok(Json(json!(shared.lock().fault_rules())))
}

async fn add_fault(State(shared): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Answer {
    let rule: FaultRule = body(
        &bytes,
        "POST /sim/faults takes {\"fault\": session_dies|hang|server_error|black_screenshots|sms_not_sent|push_not_sent|beacon_not_sent|beacon_unbound|beacon_service_data|beacon_heard_late, \"udid\"?, \"command\"?, \"times\"?}",
    )?;
    if let Some(times) = rule.times.filter(|t| !(1..=MAX_FAULT_TIMES).contains(t)) {
        return Err(Problem(
            StatusCode::BAD_REQUEST,
            format!("times must be between 1 and {MAX_FAULT_TIMES} (leave it out for always), got {times}"),
        ));
    }
    if let Some(command) = &rule.command {
        bounded_text("command", command)?;
    }
    rule.check().map_err(|e| Problem(StatusCode::BAD_REQUEST, e))?;
    if rule.fault == FaultKind::BeaconHeardLate && shared.lock().config.radio != RadioMode::Bluez {
        return Err(Problem(
            StatusCode::BAD_REQUEST,
            "beacon_heard_late needs radio = \"bluez\" in [farm]: the in-memory radio hears every beacon at once"
                .into(),
        ));
    }
    if let Some(udid) = &rule.udid {
        let state = shared.lock();
        if state.phone(udid).is_none() {
            return Err(not_found(udid, &state));
        }
    }
    shared.lock().add_fault(rule);
    faults(State(shared)).await
}

/// Which faults `DELETE /sim/faults` switches off: `?udid=` those scoped to
/// that phone (what a scenario switched on for its phones), else all.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultScope {
    udid: Option<String>,
}

async fn clear_faults(
    State(shared): State<Arc<Shared>>,
    scope: Result<axum::extract::Query<FaultScope>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let scope = scope.map_err(|e| {
        Problem(StatusCode::BAD_REQUEST, format!("DELETE /sim/faults takes ?udid=PHONE or nothing: {e}"))
    })?;
    {
        let mut state = shared.lock();
        if let Some(udid) = &scope.udid {
            if state.phone(udid).is_none() {
                return Err(not_found(udid, &state));
            }
        }
        state.clear_faults(scope.udid.as_deref());
    }
    faults(State(shared)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Latency {
    ms: u64,
}

async fn set_latency(State(shared): State<Arc<Shared>>, bytes: axum::body::Bytes) -> Answer {
    let l: Latency = body(&bytes, "PUT /sim/latency takes {\"ms\": N}")?;
    if l.ms > MAX_LATENCY_MS {
        return Err(Problem(
            StatusCode::BAD_REQUEST,
            format!("ms must be between 0 and {MAX_LATENCY_MS} (a minute per command), got {}", l.ms),
        ));
    }
    shared.lock().latency = Duration::from_millis(l.ms);
    Ok(Json(json!({ "latency_ms": l.ms })))
}

/// For a person debugging a run: what the farm holds. No secrets: user IDs,
/// PINs and temporary PINs are not shown, beacon tokens only by prefix. On
/// the BlueZ radio, `radio` says per phone which air it is on and which
/// tokens its adapter hears there.
async fn diagnostics(State(shared): State<Arc<Shared>>) -> Answer {
    let mut state = shared.lock();
    state.refresh();
    let beacons: Vec<Value> = state
        .beacons()
        .into_iter()
        .map(|b| {
            // The service UUID holds the token: shown only up to its prefix.
            let token = b.advert.mitid_token().unwrap_or_default();
            let prefix: String = crate::rules::BEACON_UUID_PREFIX.iter().map(|x| format!("{x:02x}")).collect();
            json!({
                "udid": b.udid,
                "rig": b.rig,
                "service_uuid_prefix": prefix,
                "token_prefix": &token[..4.min(token.len())],
                "local_name": b.advert.local_name,
            })
        })
        .collect();
    let refused_adverts = state.refused_adverts();
    let mut requests: Vec<_> = state.backend.copy_requests.values().cloned().collect();
    requests.sort_by_key(|r| r.id);
    // BlueZ radio: where each phone is and what its adapter hears there.
    let radio: Option<std::collections::BTreeMap<String, Value>> = (state.config.radio == crate::config::RadioMode::Bluez).then(|| {
        state
            .phones
            .iter()
            .map(|p| {
                let udid = p.spec.udid.clone();
                let mut heard: Vec<String> = state.heard(&udid).iter().map(|t| t[..4.min(t.len())].to_owned()).collect();
                heard.sort();
                let air = state.config.air_of(&p.rig).unwrap_or("the system bus").to_owned();
                (udid, json!({ "rig": p.rig, "air": air, "heard_token_prefixes": heard, "scan_listening": p.scan_pending() }))
            })
            .collect()
    });
    Ok(Json(json!({
        "clocks": state.clocks().into_iter().map(|(u, t)| (u, t.as_secs_f64())).collect::<std::collections::BTreeMap<_, _>>(),
        "identities": state.backend.identities.len(),
        "copy_requests": requests,
        "beacons": beacons,
        "refused_adverts": refused_adverts,
        "undelivered": state.backend.undelivered,
        "radio_problems": state.radio_problems,
        "radio": radio,
        "sessions": state.sessions.values().map(|s| json!({"id": s.id, "udid": s.udid})).collect::<Vec<_>>(),
    })))
}

async fn reset(State(shared): State<Arc<Shared>>) -> Answer {
    shared.lock().reset();
    Ok(Json(json!({ "reset": true })))
}
