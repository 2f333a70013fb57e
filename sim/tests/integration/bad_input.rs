//! Every bad input a tester (or a confused client) can send gets a W3C error
//! with the right `error` code and HTTP status (WebDriver §6.6) and a message
//! that says what was wrong; nothing panics, and the farm keeps serving.
//!
//! Raw HTTP throughout: a WebDriver client would never send most of this.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use crate::support::TestFarm;
use serde_json::{json, Value};

// --- no panics -----------------------------------------------------------------

/// Panics raised outside the tests' own code (the farm, or a library it
/// calls), caught or not: axum and `decode_qr` would hide them from the
/// client, so the panic hook counts them.
static FARM_PANICS: AtomicUsize = AtomicUsize::new(0);
static FARM_PANIC_NOTES: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn watch_for_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let location = info.location().map(|l| l.file().replace('\\', "/")).unwrap_or_default();
            if !location.contains("tests/") {
                FARM_PANICS.fetch_add(1, Ordering::SeqCst);
                FARM_PANIC_NOTES.lock().unwrap_or_else(|p| p.into_inner()).push(info.to_string());
            }
            default(info);
        }));
    });
}

fn assert_no_farm_panics() {
    assert_eq!(
        FARM_PANICS.load(Ordering::SeqCst),
        0,
        "the farm panicked: {:?}",
        FARM_PANIC_NOTES.lock().unwrap_or_else(|p| p.into_inner())
    );
}

/// A farm with the panic watch on.
async fn farm() -> TestFarm {
    watch_for_panics();
    TestFarm::start().await
}

// --- new session ------------------------------------------------------------------

#[tokio::test]
async fn malformed_json_on_new_session() {
    let farm = farm().await;
    for body in ["{\"capabilities\": {", "{bad", "capabilities=android", "{\"capabilities\": {}}}", "\u{FEFF}{}"] {
        farm.raw("POST", "/session", Some(body)).await.expect_error(400, "invalid argument", &["not valid JSON"]);
        farm.assert_serving().await;
    }
    // Valid JSON, but no capabilities in it.
    for body in ["", "{}", "[]", "\"android\"", "{\"caps\": {}}"] {
        farm.raw("POST", "/session", Some(body)).await.expect_error(400, "invalid argument", &["'capabilities'"]);
        farm.assert_serving().await;
    }
    let sessions = farm.raw("GET", "/appium/sessions", None).await;
    assert_eq!(sessions.expect_ok(), &json!([]), "no session was created by a bad request");
    assert_no_farm_panics();
}

#[tokio::test]
async fn capabilities_that_are_not_an_object() {
    let farm = farm().await;
    for caps in [json!("android"), json!(5), json!(null), json!(["appium:udid", "android-14-a1"]), json!(true)] {
        let answer = farm.raw_json("POST", "/session", json!({ "capabilities": caps })).await;
        answer.expect_error(400, "invalid argument", &["'capabilities'", "JSON object"]);
        farm.assert_serving().await;
    }
    for (body, words) in [
        (json!({ "capabilities": { "alwaysMatch": "android" } }), &["alwaysMatch", "JSON object"][..]),
        (json!({ "capabilities": { "alwaysMatch": [] } }), &["alwaysMatch", "JSON object"][..]),
        (json!({ "capabilities": { "firstMatch": {} } }), &["firstMatch", "JSON array"][..]),
        (json!({ "capabilities": { "firstMatch": ["android"] } }), &["firstMatch", "JSON object"][..]),
        (json!({ "desiredCapabilities": 7 }), &["JSON object"][..]),
    ] {
        farm.raw_json("POST", "/session", body).await.expect_error(400, "invalid argument", words);
        farm.assert_serving().await;
    }
    let sessions = farm.raw("GET", "/appium/sessions", None).await;
    assert_eq!(sessions.expect_ok(), &json!([]), "no session was created by a bad request");
    assert_no_farm_panics();
}

#[tokio::test]
async fn unprefixed_non_standard_capability() {
    let farm = farm().await;
    for (always, first, key) in [
        (json!({ "udid": "android-14-a1" }), json!([{}]), "udid"),
        (json!({ "platformName": "Android" }), json!([{ "deviceName": "Pixel 8" }]), "deviceName"),
        (json!({ "automationName": "UiAutomator2" }), json!([]), "automationName"),
    ] {
        let answer = farm
            .raw_json("POST", "/session", json!({ "capabilities": { "alwaysMatch": always, "firstMatch": first } }))
            .await;
        answer.expect_error(
            400,
            "invalid argument",
            &[&format!("'{key}'"), &format!("appium:{key}"), "vendor-prefixed"],
        );
        farm.assert_serving().await;
    }
    // The same key in alwaysMatch and firstMatch is a W3C invalid argument too.
    let answer = farm
        .raw_json(
            "POST",
            "/session",
            json!({ "capabilities": { "alwaysMatch": { "platformName": "iOS" }, "firstMatch": [{ "platformName": "Android" }] } }),
        )
        .await;
    answer.expect_error(400, "invalid argument", &["platformName", "both alwaysMatch and firstMatch"]);
    farm.assert_serving().await;
    assert_no_farm_panics();
}

#[tokio::test]
async fn unknown_platform_and_automation_names() {
    let farm = farm().await;
    let session = |caps: Value| json!({ "capabilities": { "alwaysMatch": caps } });
    for platform in ["Windows", "tizen", ""] {
        let answer = farm.raw_json("POST", "/session", session(json!({ "platformName": platform }))).await;
        answer.expect_error(500, "session not created", &["platformName", &format!("'{platform}'"), "Android or iOS"]);
        farm.assert_serving().await;
    }
    for automation in ["Espresso", "Flutter", "Mac2"] {
        let answer = farm.raw_json("POST", "/session", session(json!({ "appium:automationName": automation }))).await;
        answer.expect_error(500, "session not created", &["automationName", automation, "UiAutomator2 or XCUITest"]);
        farm.assert_serving().await;
    }
    // A platform this farm has, with the other platform's driver.
    let answer = farm
        .raw_json(
            "POST",
            "/session",
            session(
                json!({ "platformName": "iOS", "appium:automationName": "UiAutomator2", "appium:udid": "ios-17-b1" }),
            ),
        )
        .await;
    answer.expect_error(500, "session not created", &["ios-17-b1", "XCUITest", "does not match"]);
    // A standard capability of the wrong JSON type is invalid (W3C §7.2).
    let answer = farm.raw_json("POST", "/session", session(json!({ "platformName": 11 }))).await;
    answer.expect_error(400, "invalid argument", &["platformName", "must be a string", "11"]);
    // An Appium one is the farm's to refuse.
    let answer = farm.raw_json("POST", "/session", session(json!({ "appium:udid": ["android-14-a1"] }))).await;
    answer.expect_error(500, "session not created", &["appium:udid", "must be a string"]);
    farm.assert_serving().await;
    assert_no_farm_panics();
}

#[tokio::test]
async fn wrong_app_package_or_bundle_id() {
    let farm = farm().await;
    for (key, app) in [("appium:appPackage", "com.example.banking"), ("appium:bundleId", "com.apple.Preferences")] {
        let answer =
            farm.raw_json("POST", "/session", json!({ "capabilities": { "alwaysMatch": { key: app } } })).await;
        answer.expect_error(500, "session not created", &[key, app, "not installed", "dk.mitid.app"]);
        farm.assert_serving().await;
    }
    // The right package opens a session.
    let answer = farm
        .raw_json(
            "POST",
            "/session",
            json!({ "capabilities": { "alwaysMatch": { "appium:appPackage": "dk.mitid.app.android" } } }),
        )
        .await;
    answer.expect_ok();
    assert_no_farm_panics();
}

#[tokio::test]
async fn unknown_udid_is_named_and_the_phones_listed() {
    let farm = farm().await;
    let answer = farm
        .raw_json("POST", "/session", json!({ "capabilities": { "alwaysMatch": { "appium:udid": "pixel-9-zz" } } }))
        .await;
    let message = answer.expect_error(500, "session not created", &["'pixel-9-zz'", "no phone"]);
    for udid in farm.farm.udids() {
        assert!(message.contains(&udid), "the message lists phone '{udid}': {message}");
    }
    farm.assert_serving().await;
    assert_no_farm_panics();
}

#[tokio::test]
async fn second_session_on_a_busy_phone_names_the_busy_session() {
    let farm = farm().await;
    let first = farm.raw_session("android-14-a1").await;
    let answer = farm
        .raw_json("POST", "/session", json!({ "capabilities": { "alwaysMatch": { "appium:udid": "android-14-a1" } } }))
        .await;
    answer.expect_error(500, "session not created", &["android-14-a1", "busy", &first]);
    farm.assert_serving().await;
    // The first session is unharmed, and once it ends the phone is free.
    farm.raw("GET", &format!("/session/{first}/source"), None).await.expect_ok();
    farm.raw("DELETE", &format!("/session/{first}"), None).await.expect_ok();
    let second = farm.raw_session("android-14-a1").await;
    assert_ne!(first, second);
    assert_no_farm_panics();
}

// --- sessions and routes ------------------------------------------------------------

#[tokio::test]
async fn unknown_session_id() {
    let farm = farm().await;
    for (verb, path, body) in [
        ("GET", "/session/deadbeef", None),
        ("GET", "/session/deadbeef/source", None),
        ("DELETE", "/session/deadbeef", None),
        ("POST", "/session/deadbeef/element", Some(r#"{"using": "accessibility id", "value": "get_started"}"#)),
        ("POST", "/session/deadbeef/element/1-1/click", Some("{}")),
        ("POST", "/session/deadbeef/execute/sync", Some(r#"{"script": "mobile: queryAppState", "args": []}"#)),
    ] {
        farm.raw(verb, path, body).await.expect_error(404, "invalid session id", &["'deadbeef'", "no active session"]);
        farm.assert_serving().await;
    }
    // A session that has ended is as unknown as one that never existed.
    let sid = farm.raw_session("ios-17-b1").await;
    farm.raw("DELETE", &format!("/session/{sid}"), None).await.expect_ok();
    farm.raw("GET", &format!("/session/{sid}/source"), None).await.expect_error(404, "invalid session id", &[&sid]);
    farm.assert_serving().await;
    assert_no_farm_panics();
}

#[tokio::test]
async fn malformed_json_on_commands() {
    let farm = farm().await;
    let sid = farm.raw_session("android-14-a1").await;
    let button = farm.raw_find(&sid, "accessibility id", "get_started").await;
    for path in [
        format!("/session/{sid}/element"),
        format!("/session/{sid}/elements"),
        format!("/session/{sid}/element/{button}/element"),
        format!("/session/{sid}/element/{button}/value"),
        format!("/session/{sid}/timeouts"),
        format!("/session/{sid}/execute/sync"),
        format!("/session/{sid}/actions"),
    ] {
        for body in ["{\"using\": \"xpath\", ", "using=xpath&value=//*", "{'using': 'xpath'}"] {
            farm.raw("POST", &path, Some(body)).await.expect_error(400, "invalid argument", &["not valid JSON"]);
            farm.assert_serving().await;
        }
    }
    // Valid JSON with the wrong shape names the field it needs.
    for (path, body, words) in [
        (format!("/session/{sid}/element"), json!({ "value": "get_started" }), &["'using'"][..]),
        (format!("/session/{sid}/element"), json!({ "using": "accessibility id", "value": 7 }), &["'value'"][..]),
        (format!("/session/{sid}/element"), json!(["accessibility id", "get_started"]), &["'using'"][..]),
        (format!("/session/{sid}/timeouts"), json!({ "implicit": -5 }), &["implicit", "whole number"][..]),
        (format!("/session/{sid}/timeouts"), json!({ "implicit": "1s" }), &["implicit", "whole number"][..]),
        (format!("/session/{sid}/execute/sync"), json!({ "args": [] }), &["\"script\"", "required"][..]),
        (
            format!("/session/{sid}/execute/sync"),
            json!({ "script": "mobile: queryAppState", "args": 5 }),
            &["arguments for execute method", "5"][..],
        ),
        (format!("/session/{sid}/element/{button}/value"), json!({ "keys": "x" }), &["'text'"][..]),
        (format!("/session/{sid}/actions"), json!({ "actions": {} }), &["'actions'", "array"][..]),
    ] {
        farm.raw_json("POST", &path, body).await.expect_error(400, "invalid argument", words);
        farm.assert_serving().await;
    }
    // The session survived all of it.
    farm.raw("GET", &format!("/session/{sid}/source"), None).await.expect_ok();
    assert_no_farm_panics();
}

#[tokio::test]
async fn unknown_route_and_unknown_method() {
    let farm = farm().await;
    let sid = farm.raw_session("android-14-a1").await;
    for (verb, path) in [
        ("GET", format!("/session/{sid}/nonsense")),
        ("POST", format!("/session/{sid}/appium/device/shake")),
        ("GET", "/wd/hub/status".to_owned()),
        ("GET", "/".to_owned()),
        ("POST", format!("/session/{sid}/cookie")),
    ] {
        let path_only = path.clone();
        farm.raw(verb, &path, Some("{}")).await.expect_error(
            404,
            "unknown command",
            &[verb, &path_only, "not a command"],
        );
        farm.assert_serving().await;
    }
    // A command that exists, with a method it does not take: W3C "unknown method".
    for (verb, path, allowed) in [
        ("DELETE", "/status".to_owned(), "GET"),
        ("GET", "/session".to_owned(), "POST"),
        ("PUT", format!("/session/{sid}/source"), "GET"),
        ("GET", format!("/session/{sid}/element"), "POST"),
    ] {
        let response =
            farm.http.request(verb.parse().unwrap(), format!("{}{path}", farm.farm.url())).send().await.unwrap();
        let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(allow.contains(allowed), "{verb} {path}: the Allow header names {allowed}: {allow:?}");
        farm.raw(verb, &path, None).await.expect_error(
            405,
            "unknown method",
            &[verb, &path, "not with", "Allow header"],
        );
        farm.assert_serving().await;
    }
    // A session id that is not even UTF-8 gets a W3C error, not plain text.
    farm.raw("GET", "/session/%FF%FE/source", None).await.expect_error(400, "invalid argument", &["UTF-8"]);
    farm.assert_serving().await;
    // A body larger than the farm takes, too.
    let huge = json!({ "script": "mobile: injectCameraImage", "args": [{ "image": "A".repeat(21 * 1024 * 1024) }] });
    farm.raw_json("POST", &format!("/session/{sid}/execute/sync"), huge).await.expect_error(
        400,
        "invalid argument",
        &["too large"],
    );
    farm.assert_serving().await;
    farm.raw("GET", &format!("/session/{sid}/source"), None).await.expect_ok();
    assert_no_farm_panics();
}

// --- finding elements ------------------------------------------------------------------

#[tokio::test]
async fn unknown_locator_strategy() {
    // As UiAutomator2 and XCUITest answer: `invalid selector`, "not
    // supported for this session", and each platform refuses the other's.
    let farm = farm().await;
    let android = farm.raw_session("android-14-a1").await;
    let ios = farm.raw_session("ios-17-b1").await;
    for (sid, using, value, supported) in [
        (&ios, "-android uiautomator", "new UiSelector().text(\"Get started\")", "-ios class chain"),
        (&ios, "css selector", "#get_started", "-ios predicate string"),
        (&ios, "link text", "Get started", "name"),
        (&ios, "", "get_started", "accessibility id"),
        (&android, "-ios predicate string", "name == 'get_started'", "-android uiautomator"),
        (&android, "-ios class chain", "**/XCUIElementTypeButton", "-android uiautomator"),
        (&android, "name", "get_started", "-android uiautomator"),
        (&android, "magic wand", "x", "xpath"),
    ] {
        for command in ["element", "elements"] {
            let answer = farm
                .raw_json("POST", &format!("/session/{sid}/{command}"), json!({ "using": using, "value": value }))
                .await;
            answer.expect_error(
                400,
                "invalid selector",
                &[&format!("'{using}'"), "not supported for this session", "accessibility id", supported],
            );
            farm.assert_serving().await;
        }
    }
    assert_no_farm_panics();
}

#[tokio::test]
async fn every_strategy_of_each_platform_finds_the_welcome_button() {
    let farm = farm().await;
    let android = farm.raw_session("android-14-a1").await;
    let ios = farm.raw_session("ios-17-b1").await;
    for (sid, using, value) in [
        (&android, "accessibility id", "get_started"),
        (&android, "id", "get_started"),
        (&android, "id", "dk.mitid.app.android:id/get_started"),
        (&android, "xpath", "//android.widget.Button[@text='Get started']"),
        (&android, "-android uiautomator", "new UiSelector().text(\"Get started\")"),
        (
            &android,
            "-android uiautomator",
            "new UiSelector().className(\"android.widget.Button\").textContains(\"started\")",
        ),
        (&android, "-android uiautomator", "new UiSelector().resourceId(\"dk.mitid.app.android:id/get_started\")"),
        (&android, "-android uiautomator", "new UiSelector().description(\"get_started\").enabled(true)"),
        (&ios, "accessibility id", "get_started"),
        (&ios, "id", "get_started"),
        (&ios, "name", "get_started"),
        (&ios, "xpath", "//XCUIElementTypeButton[@label='Get started']"),
        (&ios, "-ios predicate string", "label == 'Get started'"),
        (&ios, "-ios predicate string", "type == 'XCUIElementTypeButton' AND label BEGINSWITH[c] 'get'"),
        (&ios, "-ios class chain", "**/XCUIElementTypeButton[`label == \"Get started\"`]"),
        (&ios, "-ios class chain", "**/XCUIElementTypeButton[1]"),
    ] {
        let element = farm.raw_find(sid, using, value).await;
        let name = farm.raw("GET", &format!("/session/{sid}/element/{element}/text"), None).await;
        assert_eq!(name.expect_ok(), &json!("Get started"), "{using} {value}");
    }
    // The text as a text node is found on neither platform.
    for (sid, xpath) in [(&android, "//*[text()='Get started']"), (&ios, "//*[text()='Get started']")] {
        let answer =
            farm.raw_json("POST", &format!("/session/{sid}/elements"), json!({"using": "xpath", "value": xpath})).await;
        assert_eq!(answer.expect_ok(), &json!([]), "{xpath}");
    }
    // A malformed selector of each kind is an invalid selector naming it.
    for (sid, using, value) in [
        (&android, "-android uiautomator", "new UiSelector().text(\"Get started\""),
        (&android, "-android uiautomator", "new UiScrollable(new UiSelector().scrollable(true))"),
        (&ios, "-ios predicate string", "label =="),
        (&ios, "-ios class chain", "**/XCUIElementTypeButton[`label ==`]"),
    ] {
        let answer =
            farm.raw_json("POST", &format!("/session/{sid}/element"), json!({"using": using, "value": value})).await;
        answer.expect_error(400, "invalid selector", &[using, value]);
    }
    assert_no_farm_panics();
}

#[tokio::test]
async fn xpath_that_cannot_be_evaluated() {
    let farm = farm().await;
    let sid = farm.raw_session("android-14-a1").await;
    let root = farm.raw_find(&sid, "accessibility id", "activate_welcome").await;
    for xpath in ["//*[", "foo(", "//a[@b=]", "//*[@text='unterminated]", "///", "//*[position() >]", ")"] {
        for path in [
            format!("/session/{sid}/element"),
            format!("/session/{sid}/elements"),
            format!("/session/{sid}/element/{root}/element"),
        ] {
            let answer = farm.raw_json("POST", &path, json!({ "using": "xpath", "value": xpath })).await;
            answer.expect_error(400, "invalid selector", &["invalid XPath", xpath]);
            farm.assert_serving().await;
        }
    }
    // The session still finds with a good XPath.
    farm.raw_find(&sid, "xpath", "//*[@text='Get started']").await;
    assert_no_farm_panics();
}

#[tokio::test]
async fn no_such_element_waits_the_implicit_timeout() {
    let farm = farm().await;
    let sid = farm.raw_session("android-14-a1").await;
    // Without an implicit wait: at once.
    let answer = farm
        .raw_json(
            "POST",
            &format!("/session/{sid}/element"),
            json!({ "using": "accessibility id", "value": "no_such_button" }),
        )
        .await;
    answer.expect_error(404, "no such element", &["accessibility id", "'no_such_button'"]);
    // "Find elements" finds nothing without an error.
    let answer = farm
        .raw_json(
            "POST",
            &format!("/session/{sid}/elements"),
            json!({ "using": "accessibility id", "value": "no_such_button" }),
        )
        .await;
    assert_eq!(answer.expect_ok(), &json!([]));

    let implicit = Duration::from_millis(400);
    farm.raw_json("POST", &format!("/session/{sid}/timeouts"), json!({ "implicit": implicit.as_millis() as u64 }))
        .await
        .expect_ok();
    for (using, value) in [("accessibility id", "no_such_button"), ("xpath", "//android.widget.Switch"), ("id", "nope")]
    {
        let started = Instant::now();
        let answer =
            farm.raw_json("POST", &format!("/session/{sid}/element"), json!({ "using": using, "value": value })).await;
        let waited = started.elapsed();
        answer.expect_error(404, "no such element", &[using, value, "waited 400 ms"]);
        assert!(
            waited >= implicit,
            "'{using}' '{value}' gave up after {waited:?}, before the implicit wait of {implicit:?}"
        );
        farm.assert_serving().await;
    }
    // An element that exists is found at once, implicit wait or not.
    farm.raw_find(&sid, "accessibility id", "get_started").await;
    assert_no_farm_panics();
}

#[tokio::test]
async fn stale_element_after_the_screen_changes() {
    let farm = farm().await;
    let sid = farm.raw_session("android-14-a1").await;
    let button = farm.raw_find(&sid, "accessibility id", "get_started").await;
    let title = farm.raw_find(&sid, "accessibility id", "activate_title").await;
    farm.raw("POST", &format!("/session/{sid}/element/{button}/click"), Some("{}")).await.expect_ok();
    // The phone now shows the activation method: both references are stale.
    for (verb, path) in [
        ("POST", format!("/session/{sid}/element/{button}/click")),
        ("GET", format!("/session/{sid}/element/{title}/text")),
        ("GET", format!("/session/{sid}/element/{title}/attribute/text")),
        ("GET", format!("/session/{sid}/element/{button}/enabled")),
        ("GET", format!("/session/{sid}/element/{button}/rect")),
        ("POST", format!("/session/{sid}/element/{title}/element")),
    ] {
        let body = if path.ends_with("/element") { Some(r#"{"using": "xpath", "value": ".//*"}"#) } else { Some("{}") };
        let answer = farm.raw(verb, &path, body).await;
        answer.expect_error(
            404,
            "stale element reference",
            &["earlier screen", "activation_method", "find the element again"],
        );
        farm.assert_serving().await;
    }
    // Found again, the element works.
    let next = farm.raw_find(&sid, "accessibility id", "method_next").await;
    farm.raw("GET", &format!("/session/{sid}/element/{next}/text"), None).await.expect_ok();
    // References that were never handed out.
    let instance = next.split('-').next().unwrap();
    for eid in ["not-an-element".to_owned(), format!("{instance}-999"), "%20".to_owned(), "-".to_owned()] {
        let answer = farm.raw("GET", &format!("/session/{sid}/element/{eid}/text"), None).await;
        answer.expect_error(404, "no such element", &[]);
        farm.assert_serving().await;
    }
    assert_no_farm_panics();
}

#[tokio::test]
async fn send_keys_to_something_that_is_not_an_input() {
    let farm = farm().await;
    let sid = farm.raw_session("android-14-a1").await;
    for id in ["get_started", "activate_title", "activate_welcome"] {
        let el = farm.raw_find(&sid, "accessibility id", id).await;
        let answer =
            farm.raw_json("POST", &format!("/session/{sid}/element/{el}/value"), json!({ "text": "246810" })).await;
        answer.expect_error(400, "invalid element state", &[&format!("'{id}'"), "does not accept text"]);
        let answer = farm.raw("POST", &format!("/session/{sid}/element/{el}/clear"), Some("{}")).await;
        answer.expect_error(400, "invalid element state", &[&format!("'{id}'"), "does not accept text"]);
        farm.assert_serving().await;
    }
    assert_no_farm_panics();
}

// --- scripts -----------------------------------------------------------------------

#[tokio::test]
async fn unknown_and_non_mobile_scripts() {
    let farm = farm().await;
    let android = farm.raw_session("android-14-a1").await;
    let ios = farm.raw_session("ios-17-b1").await;
    let run = |sid: &str, script: &str, args: Value| {
        let path = format!("/session/{sid}/execute/sync");
        let body = json!({ "script": script, "args": [args] });
        let farm = &farm;
        async move { farm.raw_json("POST", &path, body).await }
    };
    for sid in [&android, &ios] {
        for script in ["mobile: frobnicate", "mobile:  swipeGesture", "mobile:"] {
            run(sid, script, json!({})).await.expect_error(
                500,
                "unsupported operation",
                &[
                    &script.replace(":  ", ": "),
                    "Unsupported execute method",
                    "mobile: activateApp",
                    "mobile: injectCameraImage",
                ],
            );
            farm.assert_serving().await;
        }
        // As UiAutomator2 and XCUITest in a native context: not implemented.
        for script in ["return document.title", "window.scrollTo(0, 100)", "  "] {
            run(sid, script, json!({})).await.expect_error(405, "unknown method", &["native app", "'mobile:'"]);
            farm.assert_serving().await;
        }
    }
    // Android's shell does not exist on iOS, nor the iOS biometric on Android.
    let shell = json!({ "command": "svc", "args": ["bluetooth", "disable"] });
    run(&ios, "mobile: shell", shell.clone()).await.expect_error(
        500,
        "unsupported operation",
        &["'mobile: shell'", "iOS", "mobile: sendBiometricMatch"],
    );
    run(&android, "mobile: sendBiometricMatch", json!({ "type": "faceId" })).await.expect_error(
        500,
        "unsupported operation",
        &["'mobile: sendBiometricMatch'", "Android"],
    );
    // A shell line the virtual phone does not run, and scripts' own bad arguments.
    run(&android, "mobile: shell", json!({ "command": "rm", "args": ["-rf", "/"] })).await.expect_error(
        500,
        "unsupported operation",
        &["'rm -rf /'", "bluetooth"],
    );
    run(&android, "mobile: shell", json!({ "args": ["x"] })).await.expect_error(
        400,
        "invalid argument",
        &["\"command\""],
    );
    // `mobile: bluetooth` as appium-android-driver answers a wrong action;
    // XCUITest has no such method.
    run(&android, "mobile: bluetooth", json!({ "action": "toggle" })).await.expect_error(
        400,
        "invalid argument",
        &["Supported actions are: enable,disable,unpairAll"],
    );
    run(&ios, "mobile: bluetooth", json!({ "action": "enable" })).await.expect_error(
        500,
        "unsupported operation",
        &["'mobile: bluetooth'", "iOS"],
    );
    run(&android, "mobile: activateApp", json!({ "appId": "com.example" })).await.expect_error(
        400,
        "invalid argument",
        &["'com.example'", "not installed", "dk.mitid.app"],
    );
    run(&android, "mobile: terminateApp", json!({})).await.expect_error(400, "invalid argument", &["appId"]);
    run(&android, "mobile: fingerprint", json!({ "fingerprintId": "thumb" })).await.expect_error(
        400,
        "invalid argument",
        &["fingerprintId"],
    );
    run(&ios, "mobile: sendBiometricMatch", json!({ "type": "irisScan" })).await.expect_error(
        400,
        "invalid argument",
        &["'irisScan'", "touchId or faceId"],
    );
    farm.assert_serving().await;
    // The right script still runs on both.
    run(&android, "mobile: queryAppState", json!({ "appId": "dk.mitid.app.android" })).await.expect_ok();
    run(&ios, "mobile: queryAppState", json!({ "bundleId": "dk.mitid.app" })).await.expect_ok();
    assert_no_farm_panics();
}

#[tokio::test]
async fn inject_camera_image_with_bad_images() {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let farm = farm().await;
    let sid = farm.raw_session("android-14-a2").await;
    let inject = |image: Value| {
        let path = format!("/session/{sid}/execute/sync");
        let body = json!({ "script": "mobile: injectCameraImage", "args": [{ "image": image }] });
        let farm = &farm;
        async move { farm.raw_json("POST", &path, body).await }
    };
    // Not base64 at all.
    for image in ["%%% not base64 %%%", "iVBORw0KGgo=!", "data:image/png;base64,iVBORw0KGgo="] {
        inject(json!(image)).await.expect_error(
            400,
            "invalid argument",
            &["injectCameraImage", "'image'", "not base64"],
        );
        farm.assert_serving().await;
    }
    // A real PNG with no QR code in it: the phone's own welcome screen.
    let screenshot = farm.raw("GET", &format!("/session/{sid}/screenshot"), None).await;
    let png = screenshot.expect_ok().as_str().expect("a base64 PNG").to_owned();
    inject(json!(png)).await.expect_error(400, "invalid argument", &["injectCameraImage", "no QR code"]);
    farm.assert_serving().await;
    // Base64 of bytes that are not a PNG, or only start like one.
    let mut truncated = base64::engine::general_purpose::STANDARD.decode(&png).unwrap();
    truncated.truncate(truncated.len() / 3);
    for bytes in [&b"hello, this is not a picture"[..], b"", b"\x89PNG\r\n\x1a\n", &[0xFF; 512], &truncated] {
        inject(json!(b64(bytes))).await.expect_error(400, "invalid argument", &["injectCameraImage", "not a PNG"]);
        farm.assert_serving().await;
    }
    // A PNG claiming to be enormous.
    let mut huge = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut huge, 100_000, 100_000);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.write_header().expect("header");
    }
    inject(json!(b64(&huge))).await.expect_error(400, "invalid argument", &["injectCameraImage"]);
    farm.assert_serving().await;
    // No image, or not a string.
    for image in [json!(null), json!(42), json!(["iVBORw0KGgo="])] {
        inject(image).await.expect_error(400, "invalid argument", &["injectCameraImage", "\"image\""]);
        farm.assert_serving().await;
    }
    assert_no_farm_panics();
}

// --- the control API ------------------------------------------------------------------

/// Awaits `fut`, or ends the whole test process if it takes over 10 s: a
/// farm that deadlocks on its state lock blocks a runtime thread for good,
/// and with it the runtime's shutdown, so an ordinary failure would hang too.
async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(10), fut).await {
        Ok(v) => v,
        Err(_) => {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "\n{what}: no answer in 10 s; the farm is deadlocked\n");
            std::process::exit(101);
        }
    }
}

// Multi-threaded, so that a farm handler stuck on the lock cannot stop the
// client's timeout from firing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn control_api_refuses_bad_input_with_what_it_takes() {
    let farm = farm().await;
    let udids = farm.farm.udids();
    let lists_phones = |message: &str| {
        for udid in &udids {
            assert!(message.contains(udid.as_str()), "the message lists phone '{udid}': {message}");
        }
    };

    // An unknown field is named, with the fields that exist.
    let (status, body) = farm.control_raw("PUT", "/sim/phones/android-14-a1", json!({ "colour": "red" })).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"].as_str().unwrap();
    for word in ["`colour`", "app_version", "bluetooth", "rig"] {
        assert!(message.contains(word), "{message}");
    }
    farm.assert_serving().await;

    // An unknown defect is named, with the defects that exist.
    let (status, body) =
        farm.control_raw("PUT", "/sim/defects", json!({ "defects": ["wait_skipped", "qr_lasts_forever"] })).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"].as_str().unwrap();
    for word in ["`qr_lasts_forever`", "qr_never_expires", "wait_skipped"] {
        assert!(message.contains(word), "{message}");
    }
    let (_, defects) = farm.control_raw("GET", "/sim/defects", json!({})).await;
    assert!(
        defects.as_array().unwrap().iter().all(|d| d["active"] == false),
        "a refused change changes nothing: {defects}"
    );
    farm.assert_serving().await;

    // An unknown udid is a 404 that lists the phones, wherever it appears.
    for (verb, path, body) in [
        ("PUT", "/sim/phones/pixel-9-zz", json!({ "bluetooth": false })),
        ("PUT", "/sim/phones/pixel-9-zz", json!({})),
        ("POST", "/sim/phones/pixel-9-zz/reset", json!({})),
        ("POST", "/sim/faults", json!({ "fault": "hang", "udid": "pixel-9-zz" })),
    ] {
        let (status, answer) = within(&format!("{verb} {path}"), farm.control_raw(verb, path, body)).await;
        assert_eq!(status, 404, "{verb} {path}: {answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains("'pixel-9-zz'"), "{message}");
        lists_phones(message);
        within("GET /status", farm.assert_serving()).await;
    }
    let (status, answer) = farm
        .control_raw(
            "POST",
            "/sim/identities",
            json!({ "user_id": "u", "phone_number": "+45", "pin": "246810", "app_on": ["pixel-9-zz"] }),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    lists_phones(answer["error"].as_str().unwrap());

    // The clock only goes forward, by a number of seconds.
    for (seconds, words) in [
        (json!(-5), &["-5", "between 0 and a year"][..]),
        (json!(-0.5), &["-0.5", "between 0 and a year"][..]),
        (json!(1e12), &["between 0 and a year"][..]),
        (json!("ten"), &["seconds", "invalid type"][..]),
        (json!(null), &["seconds"][..]),
    ] {
        let (status, answer) = farm.control_raw("POST", "/sim/clock/advance", json!({ "seconds": seconds })).await;
        assert_eq!(status, 400, "{seconds}: {answer}");
        let message = answer["error"].as_str().unwrap();
        for word in words {
            assert!(message.contains(word), "{message}");
        }
        farm.assert_serving().await;
    }
    let (_, clock) = farm.control_raw("GET", "/sim/clock", json!({})).await;
    assert_eq!(clock["now_seconds"], 0.0, "a refused advance leaves the clock alone: {clock}");

    // Other control bodies.
    for (verb, path, body, word) in [
        ("POST", "/sim/faults", json!({ "fault": "meteor_strike" }), "`meteor_strike`"),
        ("POST", "/sim/faults", json!({ "fault": "hang", "times": -1 }), "times"),
        ("PUT", "/sim/latency", json!({ "ms": -150 }), "ms"),
        ("PUT", "/sim/gateways", json!({ "sms_url": "ftp://example.org" }), "'ftp://example.org'"),
        ("POST", "/sim/identities", json!({ "user_id": "u", "phone_number": "+45", "pin": "12" }), "6 digits"),
    ] {
        let (status, answer) = farm.control_raw(verb, path, body).await;
        assert_eq!(status, 400, "{verb} {path}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(word), "{verb} {path}: {answer}");
        farm.assert_serving().await;
    }
    // Not JSON at all.
    let answer = farm.http.put(format!("{}/sim/latency", farm.farm.url())).body("ms=150").send().await.unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("{\"ms\": N}"), "{body}");
    farm.assert_serving().await;
    assert_no_farm_panics();
}

/// Every failure under `/sim/` has one shape: `{"error": "...", "status": N}`,
/// JSON, whatever failed: a handler, or axum before any handler ran.
async fn control_error(farm: &TestFarm, verb: &str, path: &str, body: Option<Vec<u8>>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(verb.as_bytes()).unwrap();
    let mut request = farm.http.request(method, format!("{}{path}", farm.farm.url()));
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let content_type = answer.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(content_type.as_deref(), Some("application/json"), "{verb} {path} answered {status}");
    let body: Value = answer.json().await.unwrap();
    assert!(body["error"].as_str().is_some_and(|m| !m.is_empty()), "{verb} {path}: {body}");
    assert_eq!(body["status"], status, "{verb} {path}: {body}");
    assert_eq!(body.as_object().unwrap().len(), 2, "only error and status: {body}");
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn control_api_answers_every_failure_in_one_json_shape() {
    let farm = farm().await;
    // A method a call does not take (axum's own 405 had an empty body).
    let (status, body) = control_error(&farm, "DELETE", "/sim/phones", None).await;
    assert_eq!(status, 405);
    assert!(body["error"].as_str().unwrap().contains("GET"), "{body}");
    // A body over 2 MB (axum's own 413 was text/plain).
    let big = vec![b' '; 3 * 1024 * 1024];
    let (status, _) = control_error(&farm, "PUT", "/sim/latency", Some(big)).await;
    assert_eq!(status, 413);
    // A call that does not exist.
    for path in ["/sim/nope", "/sim", "/sim/phones/android-14-a1/explode"] {
        let (status, body) = control_error(&farm, "POST", path, Some(b"{}".to_vec())).await;
        assert_eq!(status, 404, "{path}");
        assert!(body["error"].as_str().unwrap().contains("GET /sim/phones"), "the calls are listed: {body}");
    }
    // Bad input and unknown phones, as before, now with their status.
    assert_eq!(control_error(&farm, "PUT", "/sim/latency", Some(b"ms=150".to_vec())).await.0, 400);
    assert_eq!(control_error(&farm, "POST", "/sim/phones/pixel-9-zz/reset", Some(b"{}".to_vec())).await.0, 404);
    farm.assert_serving().await;
    assert_no_farm_panics();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn control_api_numbers_are_bounded() {
    let farm = farm().await;
    for (verb, path, body, words) in [
        ("PUT", "/sim/latency", json!({ "ms": u64::MAX }), &["ms", "between 0 and 60000"][..]),
        ("PUT", "/sim/latency", json!({ "ms": 60_001 }), &["between 0 and 60000"][..]),
        ("POST", "/sim/faults", json!({ "fault": "hang", "times": 0 }), &["times", "between 1 and 10000"][..]),
        ("POST", "/sim/faults", json!({ "fault": "hang", "times": 10_001 }), &["between 1 and 10000"][..]),
        ("POST", "/sim/faults", json!({ "fault": "hang", "times": u64::MAX }), &["times"][..]),
        (
            "POST",
            "/sim/identities",
            json!({ "user_id": "u", "phone_number": "+45", "pin": "246810", "active_apps_elsewhere": u64::MAX }),
            &["active_apps_elsewhere"][..],
        ),
        (
            "POST",
            "/sim/identities",
            json!({ "user_id": "u", "phone_number": "+45", "pin": "246810", "active_apps_elsewhere": 11 }),
            &["active_apps_elsewhere", "between 0 and 10"][..],
        ),
        ("PUT", "/sim/phones/android-14-a1", json!({ "rig": "r".repeat(300) }), &["rig", "256"][..]),
        ("POST", "/sim/clock/advance", json!({ "seconds": f64::MAX }), &["between 0 and a year"][..]),
    ] {
        let (status, answer) = within(&format!("{verb} {path}"), farm.control_raw(verb, path, body)).await;
        assert_eq!(status, 400, "{verb} {path}: {answer}");
        for word in words {
            assert!(answer["error"].as_str().unwrap().contains(word), "{verb} {path}: {answer}");
        }
        within("GET /status", farm.assert_serving()).await;
    }
    // The limits themselves are taken.
    farm.control("PUT", "/sim/latency", json!({ "ms": 60_000 })).await;
    farm.control("PUT", "/sim/latency", json!({ "ms": 0 })).await;
    assert_no_farm_panics();
}

#[tokio::test]
async fn a_fault_used_up_is_gone_from_the_list() {
    let farm = farm().await;
    farm.control("POST", "/sim/faults", json!({ "fault": "server_error", "command": "getPageSource", "times": 2 }))
        .await;
    farm.control("POST", "/sim/faults", json!({ "fault": "black_screenshots" })).await;
    let sid = farm.raw_session("android-14-a1").await;
    let listed = |faults: Value| {
        faults.as_array().unwrap().iter().map(|f| (f["fault"].clone(), f["times"].clone())).collect::<Vec<_>>()
    };
    farm.raw("GET", &format!("/session/{sid}/source"), None).await.expect_error(500, "unknown error", &["fault"]);
    let faults = farm.control("GET", "/sim/faults", json!({})).await;
    assert_eq!(
        listed(faults),
        vec![(json!("server_error"), json!(1)), (json!("black_screenshots"), Value::Null)],
        "one time left"
    );
    farm.raw("GET", &format!("/session/{sid}/source"), None).await.expect_error(500, "unknown error", &["fault"]);
    let faults = farm.control("GET", "/sim/faults", json!({})).await;
    assert_eq!(listed(faults), vec![(json!("black_screenshots"), Value::Null)], "used up, gone");
    farm.raw("GET", &format!("/session/{sid}/source"), None).await.expect_ok();
}
