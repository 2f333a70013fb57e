//! The test-control API: what a lab rig or test backend offers a test (the
//! virtual farm serves it under `/sim/`). Used for set-up and time, not to
//! ask what happened: a `Then` looks at the phones, the gateways and the
//! air. The one exception is [`ControlApi::beacon_bound_to_qr`]: which token
//! is bound to which QR code is a fact only the backend holds.

use std::time::Duration;

use serde_json::{json, Value};

use crate::secret::Secret;

/// What went wrong with a test-control call. Messages are redacted.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// No HTTP answer: the API is down, or the URL is wrong.
    #[error("the test-control API at {url} cannot be reached: {reason}")]
    Unreachable {
        /// The URL called.
        url: String,
        /// The HTTP client's error.
        reason: String,
    },
    /// The API answered, but said no.
    #[error("the test-control API refused {what} ({status}): {message}")]
    Refused {
        /// What was asked, in words ("provisioning the identity").
        what: String,
        /// The HTTP status (200 when the answer itself is the refusal).
        status: u16,
        /// The API's `error`, or its whole answer.
        message: String,
    },
    /// The API answered with something this client does not understand.
    #[error("the test-control API at {url} answered {what} with {got}; expected {expected}")]
    Unexpected {
        /// The URL called.
        url: String,
        /// What was asked, in words.
        what: String,
        /// The shape of answer the client understands.
        expected: String,
        /// The answer it got.
        got: String,
    },
}

/// A client of the test-control API.
#[derive(Clone, Debug)]
pub struct ControlApi {
    base: String,
    http: reqwest::Client,
}

/// An identity to provision, with secrets kept secret.
pub struct Provisioning<'a> {
    /// The person's MitID user ID.
    pub user_id: &'a Secret,
    /// Where the temporary PIN is sent.
    pub phone_number: &'a Secret,
    /// The app PIN.
    pub pin: &'a Secret,
    /// How many active apps the person has on phones outside the farm:
    /// MitID limits how many one may have.
    pub active_apps_elsewhere: usize,
    /// The udids of the phones where the person's app is already active: in
    /// a copy, the old phone.
    pub app_on: Vec<String>,
}

impl ControlApi {
    /// The API's base URL, without a trailing `/`.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// A client of the API at `base` (the URL the `/sim/` paths hang off).
    /// No proxy, and every call is bounded (15 s).
    pub fn new(base: &str) -> ControlApi {
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(15)).build().unwrap_or_default();
        ControlApi { base: base.trim_end_matches('/').to_owned(), http }
    }

    async fn call(
        &self,
        verb: reqwest::Method,
        path: &str,
        body: Option<Value>,
        what: &str,
    ) -> Result<Value, ControlError> {
        self.call_with_query(verb, path, &[], body, what).await
    }

    /// [`Self::call`] with a query, which reqwest encodes (a udid is the
    /// lab's name for a phone: "host:5555", anything).
    async fn call_with_query(
        &self,
        verb: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
        what: &str,
    ) -> Result<Value, ControlError> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(verb, &url).query(query);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp =
            req.send().await.map_err(|e| ControlError::Unreachable { url: url.clone(), reason: e.to_string() })?;
        let status = resp.status();
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let message = value.get("error").and_then(Value::as_str).map_or_else(|| value.to_string(), str::to_owned);
            return Err(ControlError::Refused {
                what: what.into(),
                status: status.as_u16(),
                message: crate::secret::redact(&message),
            });
        }
        Ok(value)
    }

    /// The API's list of phones (`GET /sim/phones`): whether it answers at all.
    pub async fn status(&self) -> Result<Value, ControlError> {
        self.call(reqwest::Method::GET, "/sim/phones", None, "listing phones").await
    }

    /// Tells the backend where to post SMS and push messages: the run's own
    /// gateways.
    pub async fn set_gateways(&self, sms_url: &str, push_url: &str) -> Result<(), ControlError> {
        let body = json!({ "sms_url": sms_url, "push_url": push_url });
        self.call(reqwest::Method::PUT, "/sim/gateways", Some(body), "setting the gateways").await.map(|_| ())
    }

    /// Gives the backend a person with MitID, as [`Provisioning`] describes.
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

    /// Puts a phone back as new: the app as freshly installed, no identity's
    /// app on it, no copy open on it.
    pub async fn reset_phone(&self, udid: &str) -> Result<(), ControlError> {
        self.call(
            reqwest::Method::POST,
            &format!("/sim/phones/{udid}/reset"),
            Some(json!({})),
            &format!("resetting {udid}"),
        )
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

    /// Whether `token`, a beacon heard over the air, is the one the backend
    /// bound to the QR code whose payload is `qr_payload`. The one question a
    /// `Then` asks this API: only the backend knows the binding (the token
    /// cannot be derived from the QR code), as only it can check what a new
    /// phone reports. The observation itself is the probe's, over the air.
    pub async fn beacon_bound_to_qr(&self, qr_payload: &Secret, token: &Secret) -> Result<bool, ControlError> {
        const WHAT: &str = "checking the beacon against the QR code";
        let body = json!({ "qr_payload": qr_payload.expose(), "token": token.expose() });
        let answer = self.call(reqwest::Method::POST, "/sim/beacons/verify", Some(body), WHAT).await?;
        match (answer.get("qr_session").and_then(Value::as_str), answer.get("bound").and_then(Value::as_bool)) {
            (Some("known"), Some(bound)) => Ok(bound),
            (Some("unknown"), _) => Err(ControlError::Refused {
                what: WHAT.into(),
                status: 200,
                message: "the backend knows no QR session for the QR code the old phone showed".into(),
            }),
            _ => Err(ControlError::Unexpected {
                url: format!("{}/sim/beacons/verify", self.base),
                what: WHAT.into(),
                expected: r#"{"qr_session": "known"|"unknown", "bound": true|false}"#.into(),
                got: crate::secret::redact(&answer.to_string()),
            }),
        }
    }

    /// Switches on a fault (`{"fault": "session_dies", "udid": …}`), for
    /// scenarios about how the suite copes with a failing phone or backend.
    pub async fn add_fault(&self, fault: Value) -> Result<(), ControlError> {
        self.call(reqwest::Method::POST, "/sim/faults", Some(fault), "switching on a fault").await.map(|_| ())
    }

    /// Switches off every fault scoped to the phone `udid` (`DELETE
    /// /sim/faults?udid=`): a scenario's faults end with it.
    pub async fn clear_faults_of(&self, udid: &str) -> Result<(), ControlError> {
        let what = format!("switching off the faults of {udid}");
        self.call_with_query(reqwest::Method::DELETE, "/sim/faults", &[("udid", udid)], None, &what).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretKind;
    use wiremock::matchers::{body_json, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    async fn answering(answer: Value) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/sim/beacons/verify"))
            .and(body_json(json!({ "qr_payload": "MITID-COPY:1:a:b", "token": "00ff" })))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .expect(1)
            .mount(&server)
            .await;
        server
    }

    async fn ask(server: &MockServer) -> Result<bool, ControlError> {
        let qr = Secret::new(SecretKind::Token, "MITID-COPY:1:a:b");
        let token = Secret::new(SecretKind::Token, "00ff");
        ControlApi::new(&server.uri()).beacon_bound_to_qr(&qr, &token).await
    }

    #[tokio::test]
    async fn the_backend_says_whether_a_beacon_is_bound_to_the_qr_code() {
        assert!(ask(&answering(json!({ "qr_session": "known", "bound": true })).await).await.unwrap());
        assert!(!ask(&answering(json!({ "qr_session": "known", "bound": false })).await).await.unwrap());
        let e =
            ask(&answering(json!({ "qr_session": "unknown", "bound": false })).await).await.unwrap_err().to_string();
        assert!(e.contains("knows no QR session for the QR code the old phone showed"), "{e}");
    }

    #[tokio::test]
    async fn an_answer_of_another_shape_names_the_url_and_what_was_expected() {
        let server = answering(json!({ "ok": true })).await;
        let e = ask(&server).await.unwrap_err().to_string();
        assert!(e.contains(&format!("{}/sim/beacons/verify", server.uri())), "{e}");
        assert!(e.contains(r#"expected {"qr_session": "known"|"unknown", "bound": true|false}"#), "{e}");
    }

    #[tokio::test]
    async fn a_phones_faults_are_switched_off_by_its_udid_encoded() {
        let server = MockServer::start().await;
        // A lab's udid may hold ':', '&' or a space; each reaches the farm whole.
        Mock::given(method("DELETE"))
            .and(path("/sim/faults"))
            .and(wiremock::matchers::query_param("udid", "10.0.0.7:5555 &x=1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
            .expect(1)
            .mount(&server)
            .await;
        ControlApi::new(&server.uri()).clear_faults_of("10.0.0.7:5555 &x=1").await.unwrap();
    }
}
