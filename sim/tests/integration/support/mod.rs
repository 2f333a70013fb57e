//! What the sim's own tests share: a farm on a free port with wiremock
//! gateways, a control-API client, and phones driven through appium-client,
//! the same WebDriver stack a test of real phones uses.
#![allow(dead_code)]

/// BlueZoo on a private bus: the one helper shared with the runner's
/// integration tests (tests/integration/bluetooth.rs), kept there.
#[path = "../../../../tests/integration/support/bluezoo.rs"]
pub mod bluezoo;

use std::time::Duration;

use appium_client::capabilities::empty::EmptyCapabilities;
use appium_client::capabilities::AppiumCapability;
use appium_client::find::{AppiumFind, By};
use appium_client::ClientBuilder;
use base64::Engine as _;
use fantoccini::error::CmdError;
use mitid_sim::{FarmConfig, RunningFarm};
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const USER_ID: &str = "copy-tester-01";
pub const PHONE_NUMBER: &str = "+4512345678";
pub const PIN: &str = "246810";
pub const NEW_PIN: &str = "135790";
pub const ANDROID_PACKAGE: &str = mitid_sim::ANDROID_PACKAGE;
pub const IOS_BUNDLE_ID: &str = mitid_sim::IOS_BUNDLE_ID;

pub struct TestFarm {
    pub farm: RunningFarm,
    pub http: reqwest::Client,
    pub sms: MockServer,
    pub push: MockServer,
}

impl TestFarm {
    pub async fn start() -> TestFarm {
        TestFarm::start_with(FarmConfig::default()).await
    }

    pub async fn start_with(config: FarmConfig) -> TestFarm {
        let farm = RunningFarm::start(config, 0).await.expect("farm starts");
        let sms = MockServer::start().await;
        let push = MockServer::start().await;
        for server in [&sms, &push] {
            Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(server).await;
        }
        let f = TestFarm { farm, http: reqwest::Client::builder().no_proxy().build().unwrap(), sms, push };
        f.control("PUT", "/sim/gateways", json!({ "sms_url": f.sms.uri(), "push_url": f.push.uri() })).await;
        f
    }

    /// A control-API call that must succeed.
    pub async fn control(&self, verb: &str, path: &str, body: Value) -> Value {
        let (status, value) = self.control_raw(verb, path, body).await;
        assert!(status.is_success(), "{verb} {path} answered {status}: {value}");
        value
    }

    pub async fn control_raw(&self, verb: &str, path: &str, body: Value) -> (reqwest::StatusCode, Value) {
        let url = format!("{}{path}", self.farm.url());
        let req = match verb {
            "GET" => self.http.get(url),
            "PUT" => self.http.put(url).json(&body),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let resp = req.send().await.expect("control API answers");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn provision(&self, old: &str, elsewhere: usize) {
        self.control(
            "POST",
            "/sim/identities",
            json!({ "user_id": USER_ID, "phone_number": PHONE_NUMBER, "pin": PIN, "active_apps_elsewhere": elsewhere, "app_on": [old] }),
        )
        .await;
    }

    pub async fn advance(&self, seconds: u64) {
        self.control("POST", "/sim/clock/advance", json!({ "seconds": seconds })).await;
    }

    pub async fn set_defects(&self, defects: &[&str]) {
        self.control("PUT", "/sim/defects", json!({ "defects": defects })).await;
    }

    pub async fn phone(&self, udid: &str) -> Phone {
        self.phone_with(udid, &[]).await
    }

    /// A session on `udid` with these boolean capabilities set to true
    /// (`appium:autoGrantPermissions`, `appium:autoAcceptAlerts`, …).
    pub async fn phone_with(&self, udid: &str, flags: &[&str]) -> Phone {
        let mut caps = EmptyCapabilities::new();
        for flag in flags {
            caps.set_bool(flag, true);
        }
        caps.set_str("appium:udid", udid);
        caps.set_number("appium:newCommandTimeout", 60.into());
        let client = ClientBuilder::native(caps).connect(&self.farm.url()).await.expect("session starts");
        Phone { client, udid: udid.to_owned() }
    }

    /// Steps 1-18: the identity is provisioned with its app on the old
    /// phone, the old phone shows its QR code after the hour, and the new
    /// phone has its scanner open.
    pub async fn qr_shown(&self, old_udid: &str, new_udid: &str) -> (Phone, Phone) {
        self.provision(old_udid, 0).await;
        let old = self.phone(old_udid).await;
        let new = self.phone(new_udid).await;
        old.start_copy().await;
        self.advance(3600).await;
        old.show_qr().await;
        new.open_scanner().await;
        (old, new)
    }

    /// The bodies POSTed to a gateway so far.
    pub async fn received(server: &MockServer) -> Vec<Value> {
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
            .collect()
    }

    /// The temporary PIN in the last SMS.
    pub async fn temporary_pin(&self) -> String {
        let sms = TestFarm::received(&self.sms).await;
        let text = sms.last().and_then(|m| m["text"].as_str()).expect("an SMS arrived").to_owned();
        text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 8).expect("an 8-digit PIN in the SMS").to_owned()
    }
}

pub struct Phone {
    pub client: appium_client::Client<EmptyCapabilities>,
    pub udid: String,
}

impl Phone {
    pub async fn tap(&self, id: &str) {
        let el = self
            .client
            .find_by(By::accessibility_id(id))
            .await
            .unwrap_or_else(|e| panic!("{}: no '{id}' on screen '{}': {e}", self.udid, "?"));
        el.click().await.unwrap_or_else(|e| panic!("{}: tap '{id}': {e}", self.udid));
    }

    /// Taps the element whose visible text is `text` (the documentation's words).
    pub async fn tap_text(&self, text: &str) {
        let xpath = format!("//*[@text='{text}' or @label='{text}']");
        let el =
            self.client.find_by(By::xpath(&xpath)).await.unwrap_or_else(|e| panic!("{}: no '{text}': {e}", self.udid));
        el.click().await.unwrap();
    }

    pub async fn type_into(&self, id: &str, text: &str) {
        let el = self
            .client
            .find_by(By::accessibility_id(id))
            .await
            .unwrap_or_else(|e| panic!("{}: no field '{id}': {e}", self.udid));
        el.send_keys(text).await.unwrap();
    }

    pub async fn text_of(&self, id: &str) -> String {
        self.client
            .find_by(By::accessibility_id(id))
            .await
            .unwrap_or_else(|e| panic!("{}: no '{id}': {e}", self.udid))
            .text()
            .await
            .unwrap()
    }

    pub async fn has(&self, id: &str) -> bool {
        !self.client.find_all_by(By::accessibility_id(id)).await.unwrap().is_empty()
    }

    pub async fn is_enabled(&self, id: &str) -> bool {
        self.client.find_by(By::accessibility_id(id)).await.unwrap().is_enabled().await.unwrap()
    }

    /// The screen's name: the accessibility id of the root of the page, or
    /// for a system permission prompt `permission_<what it asks for>`.
    pub async fn screen(&self) -> String {
        let source = self.client.source().await.unwrap();
        if let Some(question) = prompt_question(&source) {
            return prompt_name(&question).to_owned();
        }
        let key = if source.contains("<hierarchy") { "content-desc=\"" } else { "name=\"" };
        // The first element with an accessibility id under the wrappers.
        source
            .lines()
            .filter(|l| !l.contains("XCUIElementTypeApplication") && !l.contains("<hierarchy"))
            .find_map(|l| l.split(key).nth(1).map(|r| r.split('"').next().unwrap_or("").to_owned()))
            .unwrap_or_default()
    }

    /// Whether the phone is an Android one (its page source says).
    async fn android(&self) -> bool {
        self.client.source().await.unwrap().contains("<hierarchy")
    }

    /// Taps the button that allows, on the system permission prompt shown:
    /// the permission controller's allow buttons, or the iOS alert's.
    pub async fn allow(&self) {
        let xpath = if self.android().await {
            "//*[contains(@resource-id, ':id/permission_allow_button') or contains(@resource-id, ':id/permission_allow_foreground_only_button')]"
        } else {
            "//XCUIElementTypeAlert//XCUIElementTypeButton[@name='OK' or @name='Allow' or @name='Allow While Using App']"
        };
        self.tap_xpath(xpath, "the allow button").await;
    }

    /// Taps the button that refuses, on the system permission prompt shown.
    pub async fn deny(&self) {
        let xpath = if self.android().await {
            "//*[contains(@resource-id, ':id/permission_deny_button') or contains(@resource-id, ':id/permission_deny_and_dont_ask_again_button')]"
        } else {
            "//XCUIElementTypeAlert//XCUIElementTypeButton[starts-with(@name, 'Don')]"
        };
        self.tap_xpath(xpath, "the deny button").await;
    }

    /// Whether a system permission prompt shows.
    pub async fn prompted(&self) -> bool {
        prompt_question(&self.client.source().await.unwrap()).is_some()
    }

    async fn tap_xpath(&self, xpath: &str, what: &str) {
        let el =
            self.client.find_by(By::xpath(xpath)).await.unwrap_or_else(|e| panic!("{}: no {what}: {e}", self.udid));
        el.click().await.unwrap_or_else(|e| panic!("{}: tap {what}: {e}", self.udid));
    }

    pub async fn expect_screen(&self, name: &str) {
        let shown = self.screen().await;
        assert_eq!(shown, name, "{}: expected screen '{name}', shows '{shown}'", self.udid);
    }

    pub async fn mobile(&self, script: &str, args: Value) -> Result<Value, CmdError> {
        self.client.execute(script, vec![args]).await
    }

    pub async fn screenshot(&self) -> Vec<u8> {
        self.client.screenshot().await.unwrap()
    }

    pub async fn close(self) {
        let client: fantoccini::Client = (*self.client).clone();
        client.close().await.expect("session closes");
    }

    /// Steps 1-7 on the old phone: start the copy and its waiting period.
    pub async fn start_copy(&self) {
        self.tap("menu_button").await;
        self.tap_text("Activate").await;
        self.tap_text("Copy your MitID to a new app").await;
        self.tap_text("Next").await;
        self.type_into("pin_input", PIN).await;
        self.tap("pin_next").await;
        self.tap_text("Yes, I want to copy").await;
        self.tap_text("Start copying").await;
        // A build that skips the wait never shows the waiting screen.
        if self.screen().await == "waiting" {
            self.tap_text("OK").await;
        }
    }

    /// Steps 8-12 on the old phone, after the hour: the QR code is shown.
    pub async fn show_qr(&self) {
        self.tap_text("Show QR code").await;
        self.type_into("pin_input", PIN).await;
        self.tap("pin_next").await;
        self.tap("bluetooth_info_next").await;
        self.accept_permissions().await;
        self.expect_screen("qr_code").await;
    }

    /// Taps "allow" on every system permission dialog in a row.
    pub async fn accept_permissions(&self) {
        for _ in 0..4 {
            if self.prompted().await {
                self.allow().await;
            } else {
                break;
            }
        }
    }

    /// Steps 13-17 on the new phone: up to the notice that Bluetooth is needed.
    pub async fn to_bluetooth_notice(&self) {
        self.tap_text("Get started").await;
        self.tap_text("Copy from another MitID app").await;
        self.tap_text("Next").await;
        self.tap_text("QR code is shown on the old app").await;
        self.tap_text("Scan QR code").await;
        self.expect_screen("bluetooth_info").await;
    }

    /// Steps 13-18 on the new phone: up to the scanner.
    pub async fn open_scanner(&self) {
        self.to_bluetooth_notice().await;
        self.tap("bluetooth_info_next").await;
        self.accept_permissions().await;
        self.expect_screen("qr_scanner").await;
    }

    /// Step 19: the old phone's screenshot goes into the new phone's camera.
    pub async fn scan_from(&self, old: &Phone) -> Result<Value, CmdError> {
        let png = old.screenshot().await;
        let image = base64::engine::general_purpose::STANDARD.encode(png);
        self.mobile("mobile: injectCameraImage", json!({ "image": image })).await
    }
}

pub fn short() -> Duration {
    Duration::from_millis(300)
}

// --- raw W3C over HTTP: for what a WebDriver client would never send -------

/// Raw HTTP to the farm: what `TestFarm::raw` answers.
#[derive(Debug)]
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub body: Value,
}

impl Answer {
    /// Asserts a W3C error (WebDriver §6.6): this HTTP status, this `error`
    /// code, a `message` holding each of `words` (case-insensitive) and a
    /// `stacktrace` string. Returns the message.
    pub fn expect_error(&self, status: u16, code: &str, words: &[&str]) -> String {
        let value = &self.body["value"];
        assert_eq!(self.status.as_u16(), status, "HTTP status for '{code}': {}", self.body);
        assert_eq!(value["error"], code, "error code: {}", self.body);
        assert!(value["stacktrace"].is_string(), "a W3C error carries a stacktrace string: {}", self.body);
        let message =
            value["message"].as_str().unwrap_or_else(|| panic!("a W3C error carries a message: {}", self.body));
        for word in words {
            assert!(
                message.to_lowercase().contains(&word.to_lowercase()),
                "the message should mention '{word}': {message}"
            );
        }
        message.to_owned()
    }

    /// Asserts a W3C success and returns its `value`.
    pub fn expect_ok(&self) -> &Value {
        assert!(self.status.is_success(), "expected success, got {}: {}", self.status, self.body);
        assert!(self.body.get("value").is_some(), "a W3C answer has a 'value': {}", self.body);
        &self.body["value"]
    }
}

impl TestFarm {
    /// Sends `body` as is (it need not be JSON) and parses the answer, which
    /// must be JSON whatever went wrong.
    pub async fn raw(&self, verb: &str, path: &str, body: Option<&str>) -> Answer {
        let url = format!("{}{path}", self.farm.url());
        let method = reqwest::Method::from_bytes(verb.as_bytes()).expect("an HTTP method");
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.header("content-type", "application/json; charset=utf-8").body(body.to_owned());
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{verb} {path}: the farm did not answer: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap_or_else(|e| panic!("{verb} {path}: unreadable answer: {e}"));
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{verb} {path} answered {status} with a body that is not JSON ({e}): {text:?}"));
        Answer { status, body }
    }

    /// A JSON body, serialised.
    pub async fn raw_json(&self, verb: &str, path: &str, body: Value) -> Answer {
        self.raw(verb, path, Some(&body.to_string())).await
    }

    /// A session on `udid` over raw HTTP; returns its id.
    pub async fn raw_session(&self, udid: &str) -> String {
        let answer = self
            .raw_json("POST", "/session", json!({ "capabilities": { "alwaysMatch": { "appium:udid": udid } } }))
            .await;
        answer.expect_ok()["sessionId"].as_str().expect("a session id").to_owned()
    }

    /// A raw "find element" that must succeed; returns the element id.
    pub async fn raw_find(&self, sid: &str, using: &str, value: &str) -> String {
        let answer =
            self.raw_json("POST", &format!("/session/{sid}/element"), json!({ "using": using, "value": value })).await;
        answer.expect_ok()["element-6066-11e4-a52e-4f735466cecf"].as_str().expect("an element reference").to_owned()
    }

    /// `GET /status` answers a W3C status: the farm is still serving.
    pub async fn assert_serving(&self) {
        let answer = self.raw("GET", "/status", None).await;
        let value = answer.expect_ok();
        assert!(value["ready"].is_boolean(), "GET /status: {}", answer.body);
        assert!(value["message"].as_str().is_some_and(|m| m.contains("virtual farm")), "GET /status: {}", answer.body);
    }
}

/// The question of the system permission prompt in a page source: the
/// permission controller's message, or the iOS alert's name (its title).
pub fn prompt_question(source: &str) -> Option<String> {
    let attr = |line: &str, key: &str| line.split(key).nth(1).map(|r| r.split('"').next().unwrap_or("").to_owned());
    source.lines().find_map(|l| {
        if l.contains(":id/permission_message\"") {
            attr(l, " text=\"")
        } else if l.contains("<XCUIElementTypeAlert ") {
            attr(l, " name=\"")
        } else {
            None
        }
    })
}

/// The name the tests give a prompt by what it asks for.
pub fn prompt_name(question: &str) -> &'static str {
    let q = question.to_lowercase();
    if q.contains("location") {
        "permission_location"
    } else if q.contains("nearby devices") || q.contains("bluetooth") {
        "permission_bluetooth"
    } else if q.contains("pictures") || q.contains("camera") {
        "permission_camera"
    } else if q.contains("notifications") {
        "permission_notifications"
    } else {
        "permission_unknown"
    }
}
