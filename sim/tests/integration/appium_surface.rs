//! What Appium Inspector and Appium clients read from the farm, shaped as
//! Appium 3 and its drivers answer it: CORS as `appium --allow-cors`, the
//! capabilities a session answers with, and the commands of Appium's route
//! table and the drivers' `mobile:` extensions, with the drivers' meaning.
//! (`tests/integration/conformance.rs` compares the same against real Appium 3.)

use crate::support::TestFarm;
use mitid_sim::FarmConfig;
use serde_json::{json, Value};

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
    assert_eq!(caps["appPackage"], "dk.mitid.app.android");
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

// --- the commands of Appium's route table ---------------------------------------

/// A session's raw helpers: `get`/`post` on its own paths.
struct Raw<'a> {
    farm: &'a TestFarm,
    sid: String,
}

impl Raw<'_> {
    async fn on<'a>(farm: &'a TestFarm, udid: &str) -> Raw<'a> {
        Raw { farm, sid: farm.raw_session(udid).await }
    }
    async fn get(&self, path: &str) -> crate::support::Answer {
        self.farm.raw("GET", &format!("/session/{}{path}", self.sid), None).await
    }
    async fn post(&self, path: &str, body: Value) -> crate::support::Answer {
        self.farm.raw_json("POST", &format!("/session/{}{path}", self.sid), body).await
    }
    async fn mobile(&self, script: &str, args: Value) -> crate::support::Answer {
        // (`mobile:getCurrentPackage`, without a space, is how Inspector sends it.)
        self.post("/execute/sync", json!({ "script": script, "args": [args] })).await
    }
    /// `GET /session/:id`: its capabilities.
    async fn session(&self) -> Value {
        self.farm.raw("GET", &format!("/session/{}", self.sid), None).await.expect_ok().clone()
    }
    async fn tap(&self, id: &str) {
        let element = self.farm.raw_find(&self.sid, "accessibility id", id).await;
        self.post(&format!("/element/{element}/click"), json!({})).await.expect_ok();
    }
    /// The screen's accessibility id (the root element's content-desc/name).
    async fn screen(&self) -> String {
        let source = self.get("/source").await.expect_ok().as_str().unwrap().to_owned();
        let attr = if source.contains("<hierarchy") {
            "content-desc=\""
        } else {
            "XCUIElementTypeOther type=\"XCUIElementTypeOther\" name=\""
        };
        let start = source.find(attr).expect("a screen root") + attr.len();
        source[start..].split('"').next().unwrap().to_owned()
    }
}

#[tokio::test]
async fn every_route_listed_by_appium_commands_is_served() {
    let farm = TestFarm::start().await;
    for udid in ["android-14-a1", "ios-17-b1"] {
        let raw = Raw::on(&farm, udid).await;
        let element = farm.raw_find(&raw.sid, "accessibility id", "get_started").await;
        let commands = raw.get("/appium/commands").await.expect_ok().clone();
        let base = commands["rest"]["base"].as_object().expect("rest.base").clone();
        assert!(base.len() > 40, "{udid}: {} routes", base.len());
        for (path, methods) in base {
            for (method, info) in methods.as_object().unwrap() {
                assert!(info["command"].is_string(), "{path} {method}: {info}");
                if path == "/session/:sessionId" && method == "DELETE" {
                    continue;
                }
                let concrete =
                    path.replace(":sessionId", &raw.sid).replace(":elementId", &element).replace(":name", "text");
                let answer = farm.raw_json(method, &concrete, json!({})).await;
                let error = answer.body["value"]["error"].as_str().unwrap_or_default().to_owned();
                // Listed by both drivers, and "not implemented" in a native context.
                if path == "/session/:sessionId/url" {
                    assert_eq!((answer.status.as_u16(), error.as_str()), (405, "unknown method"), "{udid}: {path}");
                    continue;
                }
                assert!(
                    !matches!(error.as_str(), "unknown command" | "unknown method" | "invalid session id"),
                    "{udid}: {method} {path} is listed but answered {}: {}",
                    answer.status,
                    answer.body
                );
            }
        }
        // And the extensions Appium Inspector reads, with their parameters.
        let extensions = raw.get("/appium/extensions").await.expect_ok().clone();
        let driver = &extensions["rest"]["driver"];
        assert!(driver["mobile: getDeviceTime"]["params"][0]["name"] == "format", "{extensions}");
        let app_param = if udid.starts_with("ios") { "bundleId" } else { "appId" };
        assert_eq!(driver["mobile: queryAppState"]["params"], json!([{ "name": app_param, "required": true }]));
    }
}

#[tokio::test]
async fn back_goes_a_screen_back_or_leaves_the_app_and_home_backgrounds_it() {
    let farm = TestFarm::start().await;
    let raw = Raw::on(&farm, "android-14-a1").await;
    assert_eq!(raw.screen().await, "activate_welcome");
    raw.tap("get_started").await;
    assert_eq!(raw.screen().await, "activation_method");
    let back = json!({ "keycode": 4 });
    raw.mobile("mobile: pressKey", back.clone()).await.expect_ok();
    assert_eq!(raw.screen().await, "activate_welcome", "Back goes a screen back");
    assert_eq!(
        raw.mobile("mobile:getCurrentPackage", json!({})).await.expect_ok().clone(),
        "dk.mitid.app.android",
        "mobile:getCurrentPackage without a space, as Inspector sends it"
    );
    raw.mobile("mobile: pressKey", back.clone()).await.expect_ok();
    assert_eq!(raw.screen().await, "launcher", "Back on the first screen leaves the app");
    assert_eq!(
        raw.mobile("mobile:getCurrentPackage", json!({})).await.expect_ok().clone(),
        "com.google.android.apps.nexuslauncher"
    );
    let state = raw.mobile("mobile:queryAppState", json!({ "appId": "dk.mitid.app.android" })).await;
    assert_eq!(state.expect_ok(), &json!(3), "it goes on in the background");
    // Activated again, it is where it was; Home sends it to the background.
    raw.post("/appium/device/activate_app", json!({ "appId": "dk.mitid.app.android" })).await.expect_ok();
    raw.tap("get_started").await;
    raw.post("/appium/device/press_keycode", json!({ "keycode": 3 })).await.expect_ok();
    assert_eq!(raw.screen().await, "launcher", "Home");
    assert_eq!(
        raw.post("/appium/device/app_state", json!({ "appId": "dk.mitid.app.android" })).await.expect_ok(),
        &json!(3)
    );
    raw.mobile("mobile: activateApp", json!({ "appId": "dk.mitid.app.android" })).await.expect_ok();
    assert_eq!(raw.screen().await, "activation_method", "back where it was");
    assert_eq!(
        raw.mobile("mobile: queryAppState", json!({ "appId": "dk.mitid.app.android" })).await.expect_ok(),
        &json!(4)
    );
    // Terminated, it starts afresh.
    raw.post("/appium/device/terminate_app", json!({ "appId": "dk.mitid.app.android" })).await.expect_ok();
    assert_eq!(
        raw.post("/appium/device/app_state", json!({ "appId": "dk.mitid.app.android" })).await.expect_ok(),
        &json!(1)
    );
    assert_eq!(raw.post("/appium/device/app_state", json!({ "appId": "com.example" })).await.expect_ok(), &json!(0));
    raw.mobile("mobile: pressKey", json!({ "keycode": "back" })).await.expect_error(
        400,
        "invalid argument",
        &["keycode"],
    );
    raw.mobile("mobile: pressKey", json!({})).await.expect_error(400, "invalid argument", &["\"keycode\"", "missing"]);

    // backgroundApp: back at once after `seconds`, or left in the background.
    raw.mobile("mobile: activateApp", json!({ "appId": "dk.mitid.app.android" })).await.expect_ok();
    raw.mobile("mobile: backgroundApp", json!({ "seconds": 0 })).await.expect_ok();
    assert_eq!(
        raw.mobile("mobile: queryAppState", json!({ "appId": "dk.mitid.app.android" })).await.expect_ok(),
        &json!(4)
    );
    raw.mobile("mobile: backgroundApp", json!({})).await.expect_ok();
    assert_eq!(
        raw.mobile("mobile: queryAppState", json!({ "appId": "dk.mitid.app.android" })).await.expect_ok(),
        &json!(3)
    );

    // iOS: the home button backgrounds the app; key codes are Android's.
    let ios = Raw::on(&farm, "ios-17-b1").await;
    ios.mobile("mobile: pressButton", json!({ "name": "home" })).await.expect_ok();
    assert_eq!(ios.screen().await, "launcher");
    let info = ios.mobile("mobile:activeAppInfo", json!({})).await.expect_ok().clone();
    assert_eq!(info["bundleId"], "com.apple.springboard");
    assert_eq!(ios.mobile("mobile: queryAppState", json!({ "bundleId": "dk.mitid.app" })).await.expect_ok(), &json!(3));
    ios.mobile("mobile: queryAppState", json!({ "appId": "dk.mitid.app" })).await.expect_error(
        400,
        "invalid argument",
        &["bundleId"],
    );
    ios.mobile("mobile: pressButton", json!({ "name": "power" })).await.expect_error(
        400,
        "invalid argument",
        &["power"],
    );
    ios.mobile("mobile: pressKey", json!({ "keycode": 4 })).await.expect_error(
        500,
        "unsupported operation",
        &["pressKey"],
    );
    ios.post("/appium/device/press_keycode", json!({ "keycode": 4 })).await.expect_error(
        404,
        "unknown command",
        &["iOS"],
    );
    raw.mobile("mobile: pressButton", json!({ "name": "home" })).await.expect_error(
        500,
        "unsupported operation",
        &["pressButton"],
    );
}

#[tokio::test]
async fn contexts_orientation_and_the_devices_time_follow_its_virtual_clock() {
    let farm = TestFarm::start().await;
    for udid in ["android-14-a1", "ios-17-b1"] {
        let raw = Raw::on(&farm, udid).await;
        for path in ["/contexts", "/appium/contexts"] {
            assert_eq!(raw.get(path).await.expect_ok(), &json!(["NATIVE_APP"]));
        }
        for path in ["/context", "/appium/context"] {
            assert_eq!(raw.get(path).await.expect_ok(), &json!("NATIVE_APP"));
            raw.post(path, json!({ "name": "NATIVE_APP" })).await.expect_ok();
            raw.post(path, json!({ "name": "WEBVIEW_1" })).await.expect_error(
                500,
                "unknown error",
                &["No such context"],
            );
            raw.post(path, json!({})).await.expect_error(400, "invalid argument", &["\"name\""]);
        }
        for path in ["/orientation", "/appium/device/orientation"] {
            assert_eq!(raw.get(path).await.expect_ok(), &json!("PORTRAIT"));
            raw.post(path, json!({ "orientation": "PORTRAIT" })).await.expect_ok();
            raw.post(path, json!({ "orientation": "LANDSCAPE" })).await.expect_error(
                500,
                "unknown error",
                &["refused to rotate"],
            );
            raw.post(path, json!({ "orientation": "SIDEWAYS" })).await.expect_error(
                500,
                "unknown error",
                &["SIDEWAYS"],
            );
        }
        let before = raw.get("/appium/device/system_time").await.expect_ok().as_str().unwrap().to_owned();
        assert!(before.ends_with("T09:00:00+00:00"), "{before}");
        farm.control("POST", "/sim/clock/advance", json!({ "seconds": 3600, "udids": [udid] })).await;
        let after = raw.post("/appium/device/system_time", json!({ "format": "HH:mm" })).await;
        assert_eq!(after.expect_ok(), &json!("10:00"), "an hour of virtual time later");
        let unix = raw.mobile("mobile: getDeviceTime", json!({ "format": "X" })).await.expect_ok().clone();
        let unix: u64 = unix.as_str().unwrap().parse().unwrap();
        assert_eq!(unix % 86_400, 10 * 3600);
        let info = raw.mobile("mobile: deviceInfo", json!({})).await.expect_ok().clone();
        assert_eq!(info["timeZone"], "UTC", "{info}");
        let contexts = raw.mobile("mobile: getContexts", json!({})).await.expect_ok().clone();
        assert!(contexts.is_array(), "{contexts}");
    }
}

#[tokio::test]
async fn the_keyboard_is_up_while_a_text_field_has_the_focus() {
    let farm = TestFarm::start().await;
    farm.provision("android-14-a1", 0).await;
    let raw = Raw::on(&farm, "android-14-a1").await;
    for id in ["menu_button", "menu_activate", "activate_copy_to_new_app", "copy_info_next"] {
        raw.tap(id).await;
    }
    assert_eq!(raw.screen().await, "pin_entry");
    assert_eq!(raw.get("/appium/device/is_keyboard_shown").await.expect_ok(), &json!(false));
    assert_eq!(raw.post("/appium/device/hide_keyboard", json!({})).await.expect_ok(), &json!(false));
    raw.tap("pin_input").await;
    assert_eq!(raw.get("/appium/device/is_keyboard_shown").await.expect_ok(), &json!(true));
    assert_eq!(raw.mobile("mobile: isKeyboardShown", json!({})).await.expect_ok(), &json!(true));
    let source = raw.get("/source").await.expect_ok().as_str().unwrap().to_owned();
    assert!(source.contains("focused=\"true\""), "the focused field says so in the page source");
    // Back closes the keyboard first, and only then goes back.
    raw.mobile("mobile: pressKey", json!({ "keycode": 4 })).await.expect_ok();
    assert_eq!(raw.get("/appium/device/is_keyboard_shown").await.expect_ok(), &json!(false));
    assert_eq!(raw.screen().await, "pin_entry");
    raw.tap("pin_input").await;
    assert_eq!(raw.post("/appium/device/hide_keyboard", json!({})).await.expect_ok(), &json!(true));
    assert_eq!(raw.get("/appium/device/is_keyboard_shown").await.expect_ok(), &json!(false));
    raw.mobile("mobile: pressKey", json!({ "keycode": 4 })).await.expect_ok();
    assert_eq!(raw.screen().await, "copy_info");
}

#[tokio::test]
async fn the_devices_log_carries_the_apps_own_lines_since_the_last_read() {
    let farm = TestFarm::start().await;
    let android = Raw::on(&farm, "android-14-a1").await;
    let android_types = json!(["logcat", "bugreport", "server"]);
    assert_eq!(android.get("/se/log/types").await.expect_ok(), &android_types, "UiAutomator2's list");
    android.tap("get_started").await;
    let first = android.post("/se/log", json!({ "type": "logcat" })).await.expect_ok().as_array().unwrap().clone();
    let messages: Vec<&str> = first.iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert!(messages.iter().any(|m| m.contains("ActivityManager") && m.contains("dk.mitid.app")), "{messages:#?}");
    assert!(messages.iter().any(|m| m.contains("MitID") && m.contains("screen Method")), "{messages:#?}");
    assert!(first.iter().all(|e| e["level"] == "ALL" && e["timestamp"].is_u64()), "{first:#?}");
    let again = android.post("/se/log", json!({ "type": "logcat" })).await.expect_ok().clone();
    assert_eq!(again, json!([]), "only what came since the last read");
    android.post("/se/log", json!({ "type": "syslog" })).await.expect_error(
        500,
        "unknown error",
        &["Unsupported log type", "logcat"],
    );
    assert_eq!(android.get("/log/types").await.expect_ok(), &android_types, "UiAutomator2's own route");
    assert_eq!(android.post("/se/log", json!({ "type": "bugreport" })).await.expect_ok(), &json!([]));
    android.post("/se/log", json!({ "type": "server" })).await.expect_error(
        500,
        "unknown error",
        &["insecure feature 'get_server_logs'"],
    );

    let ios = Raw::on(&farm, "ios-17-b1").await;
    assert_eq!(
        ios.get("/se/log/types").await.expect_ok(),
        &json!(["syslog", "crashlog", "performance", "server", "safariConsole", "safariNetwork"]),
        "XCUITest's list"
    );
    assert_eq!(ios.post("/se/log", json!({ "type": "crashlog" })).await.expect_ok(), &json!([]), "no crash");
    ios.tap("get_started").await;
    let lines = ios.post("/se/log", json!({ "type": "syslog" })).await.expect_ok().clone();
    assert!(lines.to_string().contains("screen Method"), "{lines}");
    ios.get("/log/types").await.expect_error(404, "unknown command", &[]);
}

#[tokio::test]
async fn location_window_handles_and_url_answer_as_the_drivers_do_in_a_native_context() {
    let farm = TestFarm::start().await;
    let android = Raw::on(&farm, "android-14-a1").await;
    let ios = Raw::on(&farm, "ios-17-b1").await;
    let location = android.get("/location").await.expect_ok().clone();
    assert!(location["latitude"].is_f64() && location["longitude"].is_f64() && location["altitude"].is_number());
    ios.get("/location").await.expect_error(500, "unknown error", &["Location service must be set to 'Always'"]);
    for phone in [&android, &ios] {
        assert_eq!(phone.get("/window").await.expect_ok(), &json!("NATIVE_APP"));
        assert_eq!(phone.get("/window/handles").await.expect_ok(), &json!(["NATIVE_APP"]));
        phone.get("/url").await.expect_error(405, "unknown method", &["not implemented"]);
    }
    // XCUITest's getSession adds WebDriverAgent's capabilities and the
    // screen's; deviceScreenSize is UiAutomator2's alone.
    let session = ios.session().await;
    assert_eq!(session["CFBundleIdentifier"], "dk.mitid.app");
    assert_eq!(session["device"], "iphone");
    assert!(session["pixelRatio"].is_number() && session["statBarHeight"].is_number(), "{session}");
    assert!(session["viewportRect"]["height"].is_number(), "{session}");
    assert!(session.get("deviceScreenSize").is_none(), "{session}");
    assert!(android.session().await["deviceScreenSize"].is_string());
}

#[tokio::test]
async fn settings_keep_their_updates_per_session_and_apps_and_files_answer_as_a_phone() {
    let farm = TestFarm::start().await;
    let a = Raw::on(&farm, "android-14-a1").await;
    let b = Raw::on(&farm, "android-14-a2").await;
    let defaults = a.get("/appium/settings").await.expect_ok().clone();
    assert_eq!(defaults["ignoreUnimportantViews"], false);
    a.post("/appium/settings", json!({ "settings": { "ignoreUnimportantViews": true, "custom": 5 } }))
        .await
        .expect_ok();
    let updated = a.get("/appium/settings").await.expect_ok().clone();
    assert_eq!(updated["ignoreUnimportantViews"], true);
    assert_eq!(updated["custom"], 5);
    assert_eq!(updated["waitForIdleTimeout"], defaults["waitForIdleTimeout"], "the rest stays");
    assert_eq!(b.get("/appium/settings").await.expect_ok(), &defaults, "another session has its own");
    a.post("/appium/settings", json!({ "ignoreUnimportantViews": true })).await.expect_error(
        400,
        "invalid argument",
        &["\"settings\""],
    );

    assert_eq!(
        a.post("/appium/device/app_installed", json!({ "appId": "dk.mitid.app.android" })).await.expect_ok(),
        &json!(true)
    );
    assert_eq!(
        a.post("/appium/device/app_installed", json!({ "bundleId": "com.example" })).await.expect_ok(),
        &json!(false)
    );
    assert_eq!(
        a.mobile("mobile: isAppInstalled", json!({ "appId": "dk.mitid.app.android" })).await.expect_ok(),
        &json!(true)
    );
    a.post("/appium/device/app_installed", json!({})).await.expect_error(400, "invalid argument", &["appId"]);
    a.post("/appium/device/pull_file", json!({ "path": "/sdcard/Download/none.txt" })).await.expect_error(
        500,
        "unknown error",
        &["No such file"],
    );
    a.post("/appium/device/pull_file", json!({ "path": "/data/data/dk.mitid.app.android/files/keys" }))
        .await
        .expect_error(500, "unknown error", &["not debuggable"]);
    a.post("/appium/device/pull_file", json!({ "path": "relative.txt" })).await.expect_error(
        400,
        "invalid argument",
        &["absolute"],
    );
    a.mobile("mobile: pullFile", json!({})).await.expect_error(400, "invalid argument", &["remotePath"]);
}
