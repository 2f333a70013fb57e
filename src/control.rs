//! The test-control API: what a lab rig or test backend offers a test (the
//! virtual farm serves it under `/sim/`). Used for set-up and time, never to
//! ask what happened: a `Then` looks at the phones and the gateways.

use std::time::Duration;

use serde_json::{json, Value};

use crate::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("the test-control API at {url} cannot be reached: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the test-control API refused {what} ({status}): {message}")]
    Refused { what: String, status: u16, message: String },
}

/// A client of the test-control API.
#[derive(Clone, Debug)]
pub struct ControlApi {
    base: String,
    http: reqwest::Client,
}

/// An identity to provision, with secrets kept secret.
pub struct Provisioning<'a> {
    pub user_id: &'a Secret,
    pub phone_number: &'a Secret,
    pub pin: &'a Secret,
    pub active_apps_elsewhere: usize,
    pub app_on: Vec<String>,
}

impl ControlApi {
    pub fn url(&self) -> &str {
        &self.base
    }

    pub fn new(base: &str) -> ControlApi {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        ControlApi { base: base.trim_end_matches('/').to_owned(), http }
    }

    async fn call(&self, verb: reqwest::Method, path: &str, body: Option<Value>, what: &str) -> Result<Value, ControlError> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(verb, &url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.map_err(|e| ControlError::Unreachable { url: url.clone(), reason: e.to_string() })?;
        let status = resp.status();
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let message = value.get("error").and_then(Value::as_str).map_or_else(|| value.to_string(), str::to_owned);
            return Err(ControlError::Refused { what: what.into(), status: status.as_u16(), message: crate::secret::redact(&message) });
        }
        Ok(value)
    }

    pub async fn status(&self) -> Result<Value, ControlError> {
        self.call(reqwest::Method::GET, "/sim/phones", None, "listing phones").await
    }

    pub async fn set_gateways(&self, sms_url: &str, push_url: &str) -> Result<(), ControlError> {
        let body = json!({ "sms_url": sms_url, "push_url": push_url });
        self.call(reqwest::Method::PUT, "/sim/gateways", Some(body), "setting the gateways").await.map(|_| ())
    }

    pub async fn provision(&self, p: Provisioning<'_>) -> Result<(), ControlError> {
        let body = json!({
            "user_id": p.user_id.expose(),
            "phone_number": p.phone_number.expose(),
            "pin": p.pin.expose(),
            "active_apps_elsewhere": p.active_apps_elsewhere,
            "app_on": p.app_on,
        });
        self.call(reqwest::Method::POST, "/sim/identities", Some(body), "provisioning the identity").await.map(|_| ())
    }

    pub async fn reset_phone(&self, udid: &str) -> Result<(), ControlError> {
        self.call(reqwest::Method::POST, &format!("/sim/phones/{udid}/reset"), Some(json!({})), &format!("resetting {udid}"))
            .await
            .map(|_| ())
    }

    /// Changes a phone: `{"app_version"}`, `{"os_version"}`, `{"bluetooth"}`, `{"rig"}`.
    pub async fn set_phone(&self, udid: &str, change: Value) -> Result<(), ControlError> {
        self.call(reqwest::Method::PUT, &format!("/sim/phones/{udid}"), Some(change), &format!("changing {udid}"))
            .await
            .map(|_| ())
    }

    /// Moves the clock of these phones (all of them when `udids` is empty).
    pub async fn advance_clock(&self, by: Duration, udids: &[String]) -> Result<(), ControlError> {
        let mut body = json!({ "seconds": by.as_secs_f64() });
        if !udids.is_empty() {
            body["udids"] = json!(udids);
        }
        self.call(reqwest::Method::POST, "/sim/clock/advance", Some(body), "advancing the clock").await.map(|_| ())
    }

    pub async fn add_fault(&self, fault: Value) -> Result<(), ControlError> {
        self.call(reqwest::Method::POST, "/sim/faults", Some(fault), "switching on a fault").await.map(|_| ())
    }
}
