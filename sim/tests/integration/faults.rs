//! The farm's fault switches (`POST /sim/faults`, `PUT /sim/latency`), each
//! doing what it says and nothing more: the rest of the farm keeps serving,
//! and `DELETE /sim/faults` puts everything back.

use std::io::Cursor;
use std::time::{Duration, Instant};

use crate::support::{TestFarm, PIN, USER_ID};
use appium_client::find::{AppiumFind, By};
use fantoccini::error::CmdError;
use serde_json::{json, Value};

/// The W3C error code a WebDriver client got, if it got one.
fn w3c_code(err: &CmdError) -> Option<&'static str> {
    match err {
        CmdError::Standard(e) | CmdError::NoSuchElement(e) => Some(e.error()),
        _ => None,
    }
}

/// Decodes a PNG and tells whether every pixel is black (alpha aside).
fn is_all_black(png_bytes: &[u8]) -> bool {
    let mut decoder = png::Decoder::new(Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a screenshot is a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
    let frame = reader.next_frame(&mut pixels).expect("a whole PNG frame");
    assert!(frame.width > 0 && frame.height > 0, "an empty screenshot");
    let channels = match frame.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected colour type {other:?}"),
    };
    let colour = if channels % 2 == 0 { channels - 1 } else { channels };
    pixels[..frame.buffer_size()].chunks(channels).all(|px| px[..colour].iter().all(|&c| c == 0))
}

async fn faults(farm: &TestFarm) -> Vec<Value> {
    farm.control("GET", "/sim/faults", json!({})).await.as_array().cloned().unwrap_or_default()
}

/// Steps 1-4 on an activated old phone: the PIN screen (a secure screen).
async fn to_pin_screen(phone: &crate::support::Phone) {
    phone.tap("menu_button").await;
    phone.tap_text("Activate").await;
    phone.tap_text("Copy your MitID to a new app").await;
    phone.tap_text("Next").await;
    phone.expect_screen("pin_entry").await;
}

#[tokio::test]
async fn hang_never_answers_while_everything_else_does() {
    let farm = TestFarm::start().await;
    let a = farm.raw_session("android-14-a1").await;
    let b = farm.raw_session("ios-17-b1").await;
    farm.control("POST", "/sim/faults", json!({ "fault": "hang", "command": "click" })).await;

    let button = farm.raw_find(&a, "accessibility id", "get_started").await;
    let a_click = format!("/session/{a}/element/{button}/click");
    let click = farm.raw("POST", &a_click, Some("{}"));
    let started = Instant::now();
    let outcome = tokio::time::timeout(Duration::from_secs(1), click).await;
    assert!(outcome.is_err(), "a hung click must not answer: {outcome:?}");
    assert!(started.elapsed() >= Duration::from_secs(1));

    // The farm, the same session's other commands and the other session all
    // carry on while the click hangs.
    farm.assert_serving().await;
    let source = farm.raw("GET", &format!("/session/{a}/source"), None).await;
    assert!(source.expect_ok().as_str().unwrap().contains("activate_welcome"), "the hung click changed nothing");
    let text = farm.raw("GET", &format!("/session/{a}/element/{button}/text"), None).await;
    assert_eq!(text.expect_ok(), "Get started");
    farm.raw("GET", &format!("/session/{b}/source"), None).await.expect_ok();
    farm.raw_find(&b, "accessibility id", "get_started").await;
    let state = farm.control("GET", "/sim/state", json!({})).await;
    assert_eq!(state["sessions"].as_array().unwrap().len(), 2, "{state}");
    // A new session on another phone, too.
    let c = farm.raw_session("android-13-c2").await;
    farm.raw("GET", &format!("/session/{c}/screenshot"), None).await.expect_ok();

    // The switch is for "click" on every phone: B's click hangs as well.
    let b_button = farm.raw_find(&b, "accessibility id", "get_started").await;
    let b_click = format!("/session/{b}/element/{b_button}/click");
    assert!(
        tokio::time::timeout(Duration::from_secs(1), farm.raw("POST", &b_click, Some("{}"))).await.is_err(),
        "B's click hangs too"
    );

    // Narrowed to one phone, the others click again.
    farm.control("DELETE", "/sim/faults", json!({})).await;
    farm.control("POST", "/sim/faults", json!({ "fault": "hang", "command": "click", "udid": "android-14-a1" })).await;
    let click = farm.raw("POST", &a_click, Some("{}"));
    assert!(tokio::time::timeout(Duration::from_secs(1), click).await.is_err(), "A's click still hangs");
    farm.raw("POST", &b_click, Some("{}")).await.expect_ok();
    farm.raw_find(&b, "accessibility id", "method_copy").await;

    // Cleared, A's click answers and the app moves on.
    farm.control("DELETE", "/sim/faults", json!({})).await;
    farm.raw("POST", &a_click, Some("{}")).await.expect_ok();
    farm.raw_find(&a, "accessibility id", "method_copy").await;
}

#[tokio::test]
async fn session_dies_and_the_phone_is_free_again() {
    let farm = TestFarm::start().await;
    let phone = farm.phone("android-14-a1").await;
    let sid = phone.client.session_id().await.unwrap().expect("a session id").to_string();
    farm.control("POST", "/sim/faults", json!({ "fault": "session_dies", "udid": "android-14-a1", "times": 1 })).await;

    // What a WebDriver client sees: "invalid session id".
    let err = phone.client.find_by(By::accessibility_id("get_started")).await.expect_err("the session died");
    assert_eq!(w3c_code(&err), Some("invalid session id"), "{err:?}");
    assert!(err.to_string().contains("died"), "{err}");

    // And for good: the session is gone, every command says so (404).
    let answer = farm.raw("GET", &format!("/session/{sid}/source"), None).await;
    answer.expect_error(404, "invalid session id", &[&sid]);
    farm.assert_serving().await;
    let phones = farm.control("GET", "/sim/phones", json!({})).await;
    let a1 = phones.as_array().unwrap().iter().find(|p| p["udid"] == "android-14-a1").unwrap();
    assert_eq!(a1["busy"], false, "the phone is free once its session died: {a1}");
    let status = farm.raw("GET", "/status", None).await;
    assert!(status.expect_ok()["message"].as_str().unwrap().contains("6 free"), "{}", status.body);

    // A new session gets the phone, and the spent switch does not kill it.
    let again = farm.phone("android-14-a1").await;
    again.tap("get_started").await;
    again.expect_screen("activation_method").await;
    again.close().await;

    // Without `times` every command on the phone dies: one per session.
    farm.control("POST", "/sim/faults", json!({ "fault": "session_dies", "udid": "ios-17-b1" })).await;
    for _ in 0..2 {
        let sid = farm.raw_session("ios-17-b1").await;
        farm.raw("GET", &format!("/session/{sid}/source"), None).await.expect_error(
            404,
            "invalid session id",
            &["died", "fault switched on"],
        );
    }
    // Other phones are not affected.
    let other = farm.raw_session("ios-17-b2").await;
    farm.raw("GET", &format!("/session/{other}/source"), None).await.expect_ok();
}

#[tokio::test]
async fn server_error_once_then_normal() {
    let farm = TestFarm::start().await;
    let phone = farm.phone("ios-17-b1").await;
    let sid = phone.client.session_id().await.unwrap().unwrap().to_string();
    farm.control("POST", "/sim/faults", json!({ "fault": "server_error", "times": 1 })).await;

    // Once: HTTP 500 "unknown error".
    let answer = farm.raw("GET", &format!("/session/{sid}/source"), None).await;
    answer.expect_error(500, "unknown error", &["getPageSource", "fault switched on"]);
    // Then normal, for raw HTTP and the client alike, with the session intact.
    farm.raw("GET", &format!("/session/{sid}/source"), None).await.expect_ok();
    phone.tap("get_started").await;
    phone.expect_screen("activation_method").await;
    let spent = faults(&farm).await;
    assert!(spent.is_empty(), "a spent switch is gone from GET /sim/faults: {spent:?}");

    // Narrowed to a command, a client sees it on that command only.
    farm.control("POST", "/sim/faults", json!({ "fault": "server_error", "command": "getScreenshot", "times": 2 }))
        .await;
    for _ in 0..2 {
        let err = phone.client.screenshot().await.expect_err("the screenshot fails");
        assert_eq!(w3c_code(&err), Some("unknown error"), "{err:?}");
        assert!(phone.has("method_copy").await, "other commands work meanwhile");
    }
    assert!(!phone.screenshot().await.is_empty(), "the third screenshot works");
    phone.close().await;
}

#[tokio::test]
async fn black_screenshots_on_secure_screens_only() {
    let farm = TestFarm::start().await;
    farm.provision("android-14-a1", 0).await;
    let old = farm.phone("android-14-a1").await;
    let new = farm.phone("android-14-a2").await;

    // Without the switch, the PIN screen shows.
    assert!(!is_all_black(&old.screenshot().await), "the home screen is drawn");
    to_pin_screen(&old).await;
    assert!(!is_all_black(&old.screenshot().await), "without the switch, the PIN screen is drawn");

    farm.control("POST", "/sim/faults", json!({ "fault": "black_screenshots" })).await;
    let pin_shot = old.screenshot().await;
    assert!(is_all_black(&pin_shot), "the PIN screen comes back black");
    // The picture is still a screen-sized PNG.
    let reader = png::Decoder::new(Cursor::new(&pin_shot[..])).read_info().unwrap();
    assert_eq!(reader.info().size(), (360, 760));
    // A screen that is not secure is drawn as usual.
    assert!(!is_all_black(&new.screenshot().await), "the new phone's welcome screen is not secure");

    // The QR screen is secure too: black, and a camera finds no code in it.
    old.type_into("pin_input", PIN).await;
    old.tap("pin_next").await;
    old.tap_text("Yes, I want to copy").await;
    old.tap_text("Start copying").await;
    old.tap_text("OK").await;
    assert!(!is_all_black(&old.screenshot().await), "the home screen during the wait is drawn");
    farm.advance(3600).await;
    old.show_qr().await;
    assert!(is_all_black(&old.screenshot().await), "the QR screen comes back black");
    new.open_scanner().await;
    let err = new.scan_from(&old).await.expect_err("a black picture has no QR code");
    assert_eq!(w3c_code(&err), Some("invalid argument"), "{err:?}");
    assert!(err.to_string().contains("no QR code"), "{err}");

    // Cleared, the QR screen is drawn and scans.
    farm.control("DELETE", "/sim/faults", json!({})).await;
    assert!(!is_all_black(&old.screenshot().await));
    new.scan_from(&old).await.expect("the drawn QR code scans");
    new.expect_screen("user_id").await;
    old.close().await;
    new.close().await;
}

#[tokio::test]
async fn sms_not_sent_leaves_the_gateway_empty() {
    let farm = TestFarm::start().await;
    farm.control("POST", "/sim/faults", json!({ "fault": "sms_not_sent" })).await;
    farm.provision("android-14-a1", 0).await;
    let old = farm.phone("android-14-a1").await;
    let new = farm.phone("android-14-a2").await;
    old.start_copy().await;
    farm.advance(3600).await;
    old.show_qr().await;
    new.open_scanner().await;
    new.scan_from(&old).await.unwrap();
    new.type_into("user_id_input", USER_ID).await;
    new.tap_text("Next").await;

    // The app asks for the temporary PIN; the SMS never went out.
    new.expect_screen("temporary_pin").await;
    assert!(TestFarm::received(&farm.sms).await.is_empty(), "no SMS reached the gateway");
    assert_eq!(TestFarm::received(&farm.push).await.len(), 1, "the push is not affected");
    let state = farm.control("GET", "/sim/state", json!({})).await;
    let undelivered = state["undelivered"].to_string();
    assert!(undelivered.contains("SMS") && undelivered.contains("fault sms_not_sent"), "{state}");

    // Cleared, the next copy's SMS arrives: a third phone, brought into
    // the old phone's rig, scans a fresh QR code.
    farm.control("DELETE", "/sim/faults", json!({})).await;
    old.tap("qr_cancel").await;
    old.expect_screen("show_qr_intro").await;
    old.show_qr().await;
    farm.control("PUT", "/sim/phones/android-13-c2", json!({ "rig": "rig-a" })).await;
    let third = farm.phone("android-13-c2").await;
    third.open_scanner().await;
    third.scan_from(&old).await.unwrap();
    third.type_into("user_id_input", USER_ID).await;
    third.tap_text("Next").await;
    third.expect_screen("temporary_pin").await;
    assert_eq!(TestFarm::received(&farm.sms).await.len(), 1, "with the switch off, the SMS is sent");
    old.close().await;
    new.close().await;
    third.close().await;
}

/// Steps 13-20 on `new` against the QR code `old` shows now: the SMS goes out.
async fn scan_and_confirm(old: &crate::support::Phone, new: &crate::support::Phone) {
    new.open_scanner().await;
    new.scan_from(old).await.unwrap();
    new.type_into("user_id_input", USER_ID).await;
    new.tap_text("Next").await;
    new.expect_screen("temporary_pin").await;
}

#[tokio::test]
async fn an_sms_fault_for_one_phone_once_drops_that_phones_next_sms_and_no_other() {
    let farm = TestFarm::start().await;
    let rule = json!({ "fault": "sms_not_sent", "times": 1, "udid": "android-13-c2" });
    assert_eq!(farm.control("POST", "/sim/faults", rule.clone()).await, json!([rule]));
    farm.provision("android-14-a1", 0).await;
    let old = farm.phone("android-14-a1").await;
    old.start_copy().await;
    farm.advance(3600).await;
    old.show_qr().await;

    // Another phone's SMS goes out, and the fault is still there, unused.
    let other = farm.phone("android-14-a2").await;
    scan_and_confirm(&old, &other).await;
    assert_eq!(TestFarm::received(&farm.sms).await.len(), 1, "the fault is for another phone");
    assert_eq!(faults(&farm).await, std::slice::from_ref(&rule), "not used up by another phone");

    // The fault's phone: its SMS is dropped, once, and the fault is gone.
    farm.control("PUT", "/sim/phones/android-13-c2", json!({ "rig": "rig-a" })).await;
    let mine = farm.phone("android-13-c2").await;
    old.tap("qr_cancel").await;
    old.show_qr().await;
    scan_and_confirm(&old, &mine).await;
    assert_eq!(TestFarm::received(&farm.sms).await.len(), 1, "the fault's phone got no SMS");
    assert!(faults(&farm).await.is_empty(), "used up: GET /sim/faults no longer lists it");

    // The next SMS goes out again: the fault is not a flag left on for good.
    farm.control("PUT", "/sim/phones/android-11-c1", json!({ "rig": "rig-a" })).await;
    let next = farm.phone("android-11-c1").await;
    old.tap("qr_cancel").await;
    old.show_qr().await;
    scan_and_confirm(&old, &next).await;
    assert_eq!(TestFarm::received(&farm.sms).await.len(), 2, "the next SMS arrives");
    for p in [old, other, mine, next] {
        p.close().await;
    }
}

#[tokio::test]
async fn a_push_fault_once_drops_the_next_push_only() {
    let farm = TestFarm::start().await;
    farm.control("POST", "/sim/faults", json!({ "fault": "push_not_sent", "times": 1, "udid": "android-14-a1" })).await;
    farm.provision("android-14-a1", 0).await;
    let old = farm.phone("android-14-a1").await;
    old.start_copy().await;
    farm.advance(3600).await;
    assert!(TestFarm::received(&farm.push).await.is_empty(), "the hour's push was dropped");
    assert!(faults(&farm).await.is_empty(), "used up");
    old.close().await;
}

#[tokio::test]
async fn a_scope_a_fault_would_not_honour_is_refused() {
    let farm = TestFarm::start().await;
    for (rule, says) in [
        (json!({ "fault": "sms_not_sent", "command": "click" }), "'command' does not apply to sms_not_sent"),
        (json!({ "fault": "beacon_not_sent", "times": 2 }), "'times' does not apply to beacon_not_sent"),
        (
            json!({ "fault": "black_screenshots", "command": "click" }),
            "black_screenshots is about 'getScreenshot' only",
        ),
        // The in-memory radio hears at once: nothing to make late.
        (json!({ "fault": "beacon_heard_late" }), "the in-memory radio hears every beacon at once"),
    ] {
        let (status, answer) = farm.control_raw("POST", "/sim/faults", rule.clone()).await;
        assert_eq!(status, 400, "{rule}: {answer}");
        assert!(answer.to_string().contains(says), "{rule}: {answer}");
    }
    assert!(faults(&farm).await.is_empty());
}

#[tokio::test]
async fn latency_delays_every_command() {
    let farm = TestFarm::start().await;
    let sid = farm.raw_session("android-14-a1").await;
    let answer = farm.control("PUT", "/sim/latency", json!({ "ms": 150 })).await;
    assert_eq!(answer["latency_ms"], 150);
    let latency = Duration::from_millis(150);

    let started = Instant::now();
    farm.raw("GET", &format!("/session/{sid}/source"), None).await.expect_ok();
    let took = started.elapsed();
    assert!(took >= latency, "page source took {took:?}, less than the latency");

    let started = Instant::now();
    let button = farm.raw_find(&sid, "accessibility id", "get_started").await;
    farm.raw("POST", &format!("/session/{sid}/element/{button}/click"), Some("{}")).await.expect_ok();
    let took = started.elapsed();
    assert!(took >= 2 * latency, "find + click took {took:?}, less than twice the latency");

    // Errors are delayed too: the phone is slow, not the answer.
    let started = Instant::now();
    farm.raw_json("POST", &format!("/session/{sid}/element"), json!({ "using": "accessibility id", "value": "nope" }))
        .await
        .expect_error(404, "no such element", &[]);
    assert!(started.elapsed() >= latency);

    // Back to none; only that it answers is checked, not how fast.
    farm.control("PUT", "/sim/latency", json!({ "ms": 0 })).await;
    farm.raw("GET", &format!("/session/{sid}/source"), None).await.expect_ok();
}

#[tokio::test]
async fn delete_faults_clears_every_switch() {
    let farm = TestFarm::start().await;
    farm.provision("android-14-a1", 0).await;
    let old = farm.phone("android-14-a1").await;
    to_pin_screen(&old).await;
    for rule in [
        json!({ "fault": "black_screenshots" }),
        json!({ "fault": "server_error", "command": "getPageSource" }),
        json!({ "fault": "hang", "command": "click", "udid": "android-14-a1" }),
        json!({ "fault": "session_dies", "command": "getWindowRect" }),
        json!({ "fault": "sms_not_sent" }),
        json!({ "fault": "push_not_sent" }),
        json!({ "fault": "beacon_not_sent" }),
        json!({ "fault": "beacon_unbound" }),
        json!({ "fault": "beacon_service_data" }),
    ] {
        farm.control("POST", "/sim/faults", rule).await;
    }
    assert_eq!(faults(&farm).await.len(), 9);
    assert!(is_all_black(&old.screenshot().await), "switched on");
    let err = old.client.source().await.expect_err("switched on");
    assert_eq!(w3c_code(&err), Some("unknown error"));

    let answer = farm.control("DELETE", "/sim/faults", json!({})).await;
    assert_eq!(answer, json!([]), "DELETE answers the (empty) list");
    assert!(faults(&farm).await.is_empty());

    // Every switch is off: screenshots drawn, source, clicks, window rect,
    // and the push at the end of the hour reaches its gateway.
    assert!(!is_all_black(&old.screenshot().await));
    assert!(old.client.source().await.unwrap().contains("pin_entry"));
    old.type_into("pin_input", PIN).await;
    tokio::time::timeout(Duration::from_secs(5), old.tap("pin_next")).await.expect("the click answers");
    old.expect_screen("copy_confirm").await;
    old.client.get_window_rect().await.expect("the session lives");
    old.tap_text("Yes, I want to copy").await;
    old.tap_text("Start copying").await;
    farm.advance(3600).await;
    assert_eq!(TestFarm::received(&farm.push).await.len(), 1, "the push is sent");
    let state = farm.control("GET", "/sim/state", json!({})).await;
    assert_eq!(state["undelivered"], json!([]), "{state}");
    old.close().await;
}

/// A scenario switches off what it switched on for its phone, and only
/// that: `DELETE /sim/faults?udid=` leaves other phones' faults and the
/// farm-wide ones on.
#[tokio::test]
async fn delete_faults_of_one_phone_leaves_the_others() {
    let farm = TestFarm::start().await;
    for rule in [
        json!({ "fault": "black_screenshots", "udid": "android-14-a1" }),
        json!({ "fault": "hang", "udid": "android-14-a1", "command": "click" }),
        json!({ "fault": "black_screenshots", "udid": "android-14-a2" }),
        json!({ "fault": "sms_not_sent" }),
    ] {
        farm.control("POST", "/sim/faults", rule).await;
    }
    let (status, left) = farm.control_raw("DELETE", "/sim/faults?udid=android-14-a1", json!({})).await;
    assert_eq!(status, 200, "{left}");
    let udids: Vec<Value> = left.as_array().unwrap().iter().map(|f| f["udid"].clone()).collect();
    assert_eq!(udids, [json!("android-14-a2"), Value::Null], "{left}");
    let (status, answer) = farm.control_raw("DELETE", "/sim/faults?udid=no-such-phone", json!({})).await;
    assert_eq!(status, 404, "{answer}");
    let (status, answer) = farm.control_raw("DELETE", "/sim/faults?phone=android-14-a2", json!({})).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.to_string().contains("DELETE /sim/faults takes ?udid=PHONE"), "{answer}");
    assert_eq!(faults(&farm).await.len(), 2, "a refused DELETE switches nothing off");
}
