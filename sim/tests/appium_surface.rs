//! What Appium Inspector and Appium clients read from the farm, shaped as
//! Appium 3 and its drivers answer it: CORS as `appium --allow-cors`, the
//! capabilities a session answers with, and the commands of Appium's route
//! table and the drivers' `mobile:` extensions, with the drivers' meaning.
//! (`tests/conformance.rs` compares the same against real Appium 3.)

mod support;

use mitid_sim::FarmConfig;
use serde_json::{json, Value};
use support::TestFarm;

// --- CORS, as `appium --allow-cors` ------------------------------------------------

async fn preflight(farm: &TestFarm, path: &str) -> reqwest::Response {
    farm.http
        .request(reqwest::Method::OPTIONS, format!("{}{path}", farm.farm.url()))
        .header("Origin", "http://127.0.0.1:4723")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .expect("the farm answers")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn with_allow_cors_a_browser_may_drive_the_farm_as_appium_allows_it() {
    let farm = TestFarm::start_with(FarmConfig { allow_cors: true, ..FarmConfig::default() }).await;
    for path in ["/session", "/status", "/session/x/element", "/sim/phones", "/no/such/path"] {
        let answer = preflight(&farm, path).await;
        assert_eq!(answer.status(), 200, "OPTIONS {path}");
        assert_eq!(header(&answer, "access-control-allow-origin"), Some("*"), "OPTIONS {path}");
        assert_eq!(header(&answer, "access-control-allow-methods"), Some("GET, POST, PUT, OPTIONS, DELETE"));
        assert_eq!(
            header(&answer, "access-control-allow-headers"),
            Some("Cache-Control, Pragma, Origin, X-Requested-With, Content-Type, Accept, User-Agent")
        );
    }
    // Every answer carries the headers, errors too.
    for (verb, path) in [("GET", "/status"), ("GET", "/session/nope/source"), ("POST", "/session")] {
        let method = reqwest::Method::from_bytes(verb.as_bytes()).unwrap();
        let answer = farm.http.request(method, format!("{}{path}", farm.farm.url())).send().await.unwrap();
        assert_eq!(header(&answer, "access-control-allow-origin"), Some("*"), "{verb} {path}");
    }
}

#[tokio::test]
async fn without_allow_cors_no_browser_is_let_in_as_in_appium() {
    let farm = TestFarm::start().await;
    let answer = preflight(&farm, "/session").await;
    assert!(answer.status().is_client_error(), "{}", answer.status());
    assert_eq!(header(&answer, "access-control-allow-origin"), None);
    let status = farm.http.get(format!("{}/status", farm.farm.url())).send().await.unwrap();
    assert_eq!(header(&status, "access-control-allow-origin"), None);
}

// --- capabilities, as Appium 3 returns them -----------------------------------------

async fn new_session(farm: &TestFarm, caps: Value) -> Value {
    let answer = farm.raw_json("POST", "/session", json!({ "capabilities": { "alwaysMatch": caps } })).await;
    answer.expect_ok().clone()
}

fn keys(caps: &Value) -> Vec<&str> {
    caps.as_object().expect("capabilities are an object").keys().map(String::as_str).collect()
}

#[tokio::test]
async fn an_android_session_answers_with_uiautomator2s_capabilities_unprefixed() {
    let farm = TestFarm::start().await;
    let session = new_session(
        &farm,
        json!({ "platformName": "Android", "appium:udid": "android-14-a1", "appium:newCommandTimeout": 60,
                "goog:chromeOptions": {} }),
    )
    .await;
    let caps = &session["capabilities"];
    assert!(keys(caps).iter().all(|k| !k.starts_with("appium:")), "Appium strips its prefix: {caps}");
    assert_eq!(caps["platformName"], "Android");
    assert_eq!(caps["automationName"], "UiAutomator2");
    assert_eq!(caps["platformVersion"], "14");
    assert_eq!(caps["udid"], "android-14-a1");
    assert_eq!(caps["deviceName"], "android-14-a1", "UiAutomator2's deviceName is the device's serial");
    assert_eq!(caps["deviceUDID"], "android-14-a1");
    assert_eq!(caps["deviceModel"], "Pixel 8");
    assert_eq!(caps["deviceScreenSize"], "360x760");
    assert_eq!(caps["deviceApiLevel"], 34);
    assert_eq!(caps["appPackage"], "dk.mitid.app");
    assert_eq!(caps["newCommandTimeout"], 60, "a requested capability, unprefixed");
    assert!(caps.get("goog:chromeOptions").is_some(), "other vendors' prefixes stay: {caps}");
    assert_eq!(caps["desired"]["udid"], "android-14-a1", "UiAutomator2 echoes the request as 'desired'");
    for key in ["pixelRatio", "statBarHeight", "viewportRect", "deviceScreenDensity", "deviceManufacturer"] {
        assert!(caps.get(key).is_some(), "{key} missing: {caps}");
    }
    let sid = session["sessionId"].as_str().unwrap();
    // The same capabilities from GET /session/:id, /appium/capabilities and /appium/sessions.
    assert_eq!(farm.raw("GET", &format!("/session/{sid}"), None).await.expect_ok(), caps);
    let appium = farm.raw("GET", &format!("/session/{sid}/appium/capabilities"), None).await;
    assert_eq!(appium.expect_ok(), &json!({ "capabilities": caps }));
    let sessions = farm.raw("GET", "/appium/sessions", None).await;
    assert_eq!(sessions.expect_ok(), &json!([{ "id": sid, "capabilities": caps }]));
}

#[tokio::test]
async fn an_ios_session_answers_with_xcuitests_capabilities_unprefixed() {
    let farm = TestFarm::start().await;
    let session = new_session(&farm, json!({ "platformName": "iOS", "appium:udid": "ios-17-b1" })).await;
    let caps = &session["capabilities"];
    assert!(keys(caps).iter().all(|k| !k.starts_with("appium:")), "{caps}");
    assert_eq!(caps["platformName"], "iOS");
    assert_eq!(caps["automationName"], "XCUITest");
    assert_eq!(caps["platformVersion"], "17.5");
    assert_eq!(caps["udid"], "ios-17-b1");
    assert_eq!(caps["deviceName"], "iPhone 15");
    assert_eq!(caps["bundleId"], "dk.mitid.app");
    assert_eq!(caps["platform"], "MAC", "XCUITest's fixed server capabilities");
    assert_eq!(caps["browserName"], "");
    assert!(caps.get("deviceScreenSize").is_none(), "XCUITest does not add device details: {caps}");
}
