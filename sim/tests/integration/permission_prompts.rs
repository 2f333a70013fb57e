//! The system permission prompts as each OS shows them: Android's
//! permission controller dialog (its package, resource ids, classes and
//! words per Android version, no content-desc), iOS alerts over the app
//! (answered by their buttons, W3C's alert endpoints or `mobile: alert`),
//! and the drivers' `autoGrantPermissions` and `autoAcceptAlerts` /
//! `autoDismissAlerts`.

use crate::support::{Phone, TestFarm, NEW_PIN, PIN, USER_ID};
use appium_client::find::{AppiumFind, By};
use serde_json::{json, Value};

const CONTROLLER: &str = "com.android.permissioncontroller";

/// Steps 1-10 on `udid`: the next tap ("Next" on 'Bluetooth access is
/// required') asks for the permissions.
async fn to_bluetooth_info(farm: &TestFarm, phone: &Phone) {
    farm.provision(&phone.udid, 0).await;
    phone.start_copy().await;
    farm.advance(3600).await;
    phone.tap_text("Show QR code").await;
    phone.type_into("pin_input", PIN).await;
    phone.tap("pin_next").await;
    phone.expect_screen("bluetooth_info").await;
}

fn by_id(id: &str) -> String {
    format!("{CONTROLLER}:id/{id}")
}

/// The text of the element with this resource id, if it is on the screen.
async fn text_by_id(phone: &Phone, id: &str) -> Option<String> {
    let found = phone.client.find_all_by(By::id(&by_id(id))).await.unwrap();
    match found.first() {
        Some(el) => Some(el.text().await.unwrap()),
        None => None,
    }
}

async fn current_package(phone: &Phone) -> Value {
    phone.mobile("mobile: getCurrentPackage", json!({})).await.unwrap()
}

async fn session_path(phone: &Phone, tail: &str) -> String {
    format!("/session/{}{tail}", phone.client.session_id().await.unwrap().expect("a session"))
}

/// Every element of the page source below the `<hierarchy>` root.
fn android_elements(source: &str) -> Vec<&str> {
    source.lines().map(str::trim).filter(|l| l.starts_with("<android.")).collect()
}

#[tokio::test]
async fn android_12_and_later_ask_for_nearby_devices_in_the_permission_controllers_window() {
    let farm = TestFarm::start().await;
    let old = farm.phone("android-14-a1").await;
    to_bluetooth_info(&farm, &old).await;
    old.tap("bluetooth_info_next").await;

    let source = old.client.source().await.unwrap();
    let elements = android_elements(&source);
    assert!(!elements.is_empty(), "{source}");
    for element in &elements {
        assert!(element.contains(&format!("package=\"{CONTROLLER}\"")), "the controller's window only: {element}");
        assert!(element.contains("content-desc=\"\""), "its views have no content-desc: {element}");
    }
    assert!(!source.contains("bluetooth_info"), "the app's window is not in the page source: {source}");
    assert_eq!(current_package(&old).await, json!(CONTROLLER));
    assert!(old.client.find_all_by(By::id(&by_id("grant_dialog"))).await.unwrap().len() == 1);
    assert_eq!(
        text_by_id(&old, "permission_message").await.as_deref(),
        Some("Allow MitID to find, connect to, and determine the relative position of nearby devices?")
    );
    let allow = old.client.find_by(By::id(&by_id("permission_allow_button"))).await.unwrap();
    assert_eq!(allow.attr("class").await.unwrap().as_deref(), Some("android.widget.Button"));
    assert_eq!(allow.text().await.unwrap(), "Allow");
    assert_eq!(text_by_id(&old, "permission_deny_button").await.as_deref(), Some("Don\u{2019}t allow"));
    assert_eq!(text_by_id(&old, "permission_allow_foreground_only_button").await, None, "not for nearby devices");
    assert!(!old.has("permission_allow").await, "no invented accessibility ids");
    // UiAutomator2 knows no alert here: the dialog is answered by its buttons.
    farm.raw("GET", &session_path(&old, "/alert/text").await, None).await.expect_error(
        404,
        "no such alert",
        &["modal dialog"],
    );

    allow.click().await.unwrap();
    old.expect_screen("qr_code").await;
    assert_eq!(current_package(&old).await, json!("dk.mitid.app.android"));
    old.close().await;
}

#[tokio::test]
async fn android_11_and_later_offer_dont_ask_again_and_then_ask_no_more() {
    let farm = TestFarm::start().await;
    let old = farm.phone("android-14-a1").await;
    to_bluetooth_info(&farm, &old).await;
    old.tap("bluetooth_info_next").await;
    old.deny().await;
    old.expect_screen("permission_denied").await;
    old.tap("permission_try_again").await;
    assert_eq!(text_by_id(&old, "permission_deny_button").await, None);
    assert_eq!(
        text_by_id(&old, "permission_deny_and_dont_ask_again_button").await.as_deref(),
        Some("Don\u{2019}t allow"),
        "asked again, the refusal is for good"
    );
    old.deny().await;
    old.expect_screen("permission_denied").await;
    old.tap("permission_try_again").await;
    old.expect_screen("permission_denied").await;
    old.close().await;
}

#[tokio::test]
async fn android_11_asks_only_for_location_with_its_own_buttons() {
    let farm = TestFarm::start().await;
    let old = farm.phone("android-11-c1").await;
    to_bluetooth_info(&farm, &old).await;
    old.tap("bluetooth_info_next").await;

    // Bluetooth was granted at install: no "Nearby devices" before Android 12.
    assert_eq!(
        text_by_id(&old, "permission_message").await.as_deref(),
        Some("Allow MitID to access this device\u{2019}s location?")
    );
    assert_eq!(
        text_by_id(&old, "permission_allow_foreground_only_button").await.as_deref(),
        Some("While using the app")
    );
    assert_eq!(text_by_id(&old, "permission_allow_one_time_button").await.as_deref(), Some("Only this time"));
    assert_eq!(text_by_id(&old, "permission_deny_button").await.as_deref(), Some("Deny"), "Android 11's word");
    assert_eq!(text_by_id(&old, "permission_allow_button").await, None);

    // "Only this time" allows too.
    old.client.find_by(By::id(&by_id("permission_allow_one_time_button"))).await.unwrap().click().await.unwrap();
    old.expect_screen("qr_code").await;
    old.close().await;
}

/// Steps 13-25 on `new`, up to "Accept notifications" pressed.
async fn accept_notifications_on(old_udid: &str, new_udid: &str) -> (TestFarm, Phone, Phone) {
    let farm = TestFarm::start().await;
    let (old, new) = farm.qr_shown(old_udid, new_udid).await;
    new.scan_from(&old).await.unwrap();
    new.type_into("user_id_input", USER_ID).await;
    new.tap_text("Next").await;
    let pin = farm.temporary_pin().await;
    new.type_into("temporary_pin_input", &pin).await;
    new.tap_text("Next").await;
    new.tap_text("Next").await;
    new.type_into("new_pin_input", NEW_PIN).await;
    new.tap_text("Next").await;
    new.type_into("repeat_pin_input", NEW_PIN).await;
    new.tap_text("Next").await;
    new.tap_text("No").await;
    new.tap_text("Accept notifications").await;
    (farm, old, new)
}

#[tokio::test]
async fn android_13_asks_for_notifications_and_android_11_does_not() {
    let (_farm, old, new) = accept_notifications_on("android-11-c1", "android-13-c2").await;
    assert_eq!(text_by_id(&new, "permission_message").await.as_deref(), Some("Allow MitID to send you notifications?"));
    assert_eq!(text_by_id(&new, "permission_allow_button").await.as_deref(), Some("Allow"));
    assert_eq!(text_by_id(&new, "permission_deny_button").await.as_deref(), Some("Don\u{2019}t allow"));
    new.allow().await;
    new.expect_screen("activated").await;
    old.close().await;
    new.close().await;

    let (_farm, old, new) = accept_notifications_on("android-13-c2", "android-11-c1").await;
    new.expect_screen("activated").await;
    old.close().await;
    new.close().await;
}

#[tokio::test]
async fn ios_prompts_are_alerts_over_the_app_answered_by_button_alert_endpoint_or_mobile_alert() {
    let farm = TestFarm::start().await;
    let old = farm.phone("ios-17-b1").await;
    let title = "\u{201C}MitID\u{201D} Would Like to Use Bluetooth";
    let no_alert = |answer: crate::support::Answer| {
        answer.expect_error(404, "no such alert", &["modal dialog"]);
    };
    to_bluetooth_info(&farm, &old).await;
    no_alert(farm.raw("GET", &session_path(&old, "/alert/text").await, None).await);
    old.tap("bluetooth_info_next").await;

    let alert = old.client.find_by(By::id(title)).await.expect("the alert, named by its title");
    assert_eq!(alert.tag_name().await.unwrap(), "XCUIElementTypeAlert");
    assert_eq!(old.client.find_all_by(By::xpath("//XCUIElementTypeApplication/*")).await.unwrap().len(), 2);
    assert!(old.has("bluetooth_info_next").await, "the app's screen stays under the alert");
    assert!(old.has("OK").await && old.has("Don\u{2019}t Allow").await, "buttons named by their labels");
    assert!(!old.has("permission_allow").await, "no invented names");
    // The alert is modal: the app's button under it does nothing.
    old.tap("bluetooth_info_next").await;
    assert!(old.prompted().await, "still asked");

    let text = farm.raw("GET", &session_path(&old, "/alert/text").await, None).await;
    let text = text.expect_ok().as_str().unwrap().to_owned();
    assert!(text.starts_with(&format!("{title}\n")) && text.contains("requires the use of Bluetooth"), "{text}");
    let buttons = old.mobile("mobile: alert", json!({ "action": "getButtons" })).await.unwrap();
    assert_eq!(buttons, json!(["Don\u{2019}t Allow", "OK"]));
    let bad = farm
        .raw_json(
            "POST",
            &session_path(&old, "/execute/sync").await,
            json!({ "script": "mobile: alert", "args": [{ "action": "press" }] }),
        )
        .await;
    bad.expect_error(400, "invalid argument", &["'accept', 'dismiss' or 'getButtons'"]);
    let missing = farm
        .raw_json(
            "POST",
            &session_path(&old, "/execute/sync").await,
            json!({ "script": "mobile: alert", "args": [{ "action": "accept", "buttonLabel": "Allow Once" }] }),
        )
        .await;
    missing.expect_error(400, "invalid element state", &["Allow Once", "Don\u{2019}t Allow, OK"]);
    assert!(old.prompted().await, "a failed answer leaves the alert");

    // W3C accept taps the last button.
    farm.raw_json("POST", &session_path(&old, "/alert/accept").await, json!({})).await.expect_ok();
    old.expect_screen("qr_code").await;
    no_alert(farm.raw_json("POST", &session_path(&old, "/alert/dismiss").await, json!({})).await);
    let none = farm
        .raw_json(
            "POST",
            &session_path(&old, "/execute/sync").await,
            json!({ "script": "mobile: alert", "args": [{ "action": "accept" }] }),
        )
        .await;
    no_alert(none);
    old.close().await;

    // Dismiss taps the first button: the copy stops. An iPhone asks an app
    // once, so "Try again" shows no alert: only Settings can allow it now.
    let new = farm.phone("ios-17-b2").await;
    new.to_bluetooth_notice().await;
    new.tap("bluetooth_info_next").await;
    new.mobile("mobile: alert", json!({ "action": "dismiss" })).await.unwrap();
    new.expect_screen("permission_denied").await;
    new.tap("permission_try_again").await;
    new.expect_screen("permission_denied").await;
    no_alert(farm.raw("GET", &session_path(&new, "/alert/text").await, None).await);
    new.close().await;
}

#[tokio::test]
async fn mobile_alert_accepts_by_label_and_is_ios_only() {
    let farm = TestFarm::start().await;
    let new = farm.phone("ios-17-b2").await;
    new.to_bluetooth_notice().await;
    new.tap("bluetooth_info_next").await;
    new.mobile("mobile: alert", json!({ "action": "accept", "buttonLabel": "OK" })).await.unwrap();
    new.expect_screen("permission_camera").await;
    new.mobile("mobile: alert", json!({ "action": "accept", "buttonLabel": "OK" })).await.unwrap();
    new.expect_screen("qr_scanner").await;
    new.close().await;

    let android = farm.phone("android-14-a2").await;
    let err = android.mobile("mobile: alert", json!({ "action": "accept" })).await.unwrap_err().to_string();
    assert!(err.contains("Unsupported execute method 'mobile: alert'"), "{err}");
    android.close().await;
}

#[tokio::test]
async fn auto_accept_and_auto_dismiss_alerts_answer_every_ios_alert_as_it_appears() {
    let farm = TestFarm::start().await;
    let old = farm.phone_with("ios-17-b1", &["appium:autoAcceptAlerts"]).await;
    to_bluetooth_info(&farm, &old).await;
    old.tap("bluetooth_info_next").await;
    old.expect_screen("qr_code").await;
    old.close().await;

    // Only for the session that asked: the next one sees the alerts again.
    let new = farm.phone("ios-17-b2").await;
    new.to_bluetooth_notice().await;
    new.tap("bluetooth_info_next").await;
    new.expect_screen("permission_bluetooth").await;
    new.close().await;

    // An alert already shown is answered as the session starts; then
    // every new one as it comes.
    let new = farm.phone_with("ios-17-b2", &["appium:autoDismissAlerts"]).await;
    new.expect_screen("permission_denied").await;
    new.tap("permission_try_again").await;
    new.expect_screen("permission_denied").await;
    new.close().await;

    // UiAutomator2 has no such capability: Android still asks.
    let android = farm.phone_with("android-14-a2", &["appium:autoAcceptAlerts"]).await;
    android.to_bluetooth_notice().await;
    android.tap("bluetooth_info_next").await;
    android.expect_screen("permission_bluetooth").await;
    android.close().await;
}

#[tokio::test]
async fn auto_grant_permissions_grants_every_android_permission_at_launch() {
    let farm = TestFarm::start().await;
    let new = farm.phone_with("android-14-a2", &["appium:autoGrantPermissions"]).await;
    new.to_bluetooth_notice().await;
    new.tap("bluetooth_info_next").await;
    new.expect_screen("qr_scanner").await;
    new.close().await;

    // XCUITest has no such capability: the iPhone still asks.
    let ios = farm.phone_with("ios-17-b2", &["appium:autoGrantPermissions"]).await;
    ios.to_bluetooth_notice().await;
    ios.tap("bluetooth_info_next").await;
    ios.expect_screen("permission_bluetooth").await;
    ios.close().await;
}
