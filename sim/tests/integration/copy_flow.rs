//! The documented copy flow (steps 1-26) and every documented refusal,
//! walked over HTTP with a real WebDriver client. Each refusal is also run
//! against the defective build that breaks its rule, to prove the check can
//! fail.

use crate::support::{Phone, TestFarm, NEW_PIN, PHONE_NUMBER, USER_ID};
use serde_json::json;

/// Steps 19-26 on the new phone, once the scan is accepted.
async fn finish_on_new(farm: &TestFarm, new: &Phone, biometric: bool) {
    new.expect_screen("user_id").await;
    new.type_into("user_id_input", USER_ID).await;
    new.tap_text("Next").await;
    new.expect_screen("temporary_pin").await;
    let pin = farm.temporary_pin().await;
    new.type_into("temporary_pin_input", &pin).await;
    new.tap_text("Next").await;
    new.expect_screen("choose_pin").await;
    new.tap_text("Next").await;
    new.type_into("new_pin_input", NEW_PIN).await;
    new.tap_text("Next").await;
    new.type_into("repeat_pin_input", NEW_PIN).await;
    new.tap_text("Next").await;
    new.expect_screen("biometric_choice").await;
    if biometric {
        new.tap_text("Yes").await;
        new.expect_screen("biometric_prompt").await;
        let caps = new.client.session_id().await.unwrap();
        assert!(caps.is_some());
        if new.udid.starts_with("ios") {
            new.mobile("mobile: sendBiometricMatch", json!({ "type": "faceId", "match": true })).await.unwrap();
        } else {
            new.mobile("mobile: fingerprint", json!({ "fingerprintId": 1 })).await.unwrap();
        }
    } else {
        new.tap_text("No").await;
    }
    new.expect_screen("notifications").await;
    new.tap_text("Accept notifications").await;
    new.accept_permissions().await;
    new.expect_screen("activated").await;
    assert_eq!(new.text_of("activated_title").await, "This app is now activated and ready to use");
    new.tap_text("OK").await;
    new.expect_screen("home").await;
}

async fn walk_full_copy(old_udid: &str, new_udid: &str, biometric: bool) {
    let farm = TestFarm::start().await;
    farm.provision(old_udid, 0).await;
    let old = farm.phone(old_udid).await;
    let new = farm.phone(new_udid).await;

    old.start_copy().await;
    old.expect_screen("home").await;
    assert!(old.text_of("home_copy_status").await.contains("Time left: 1:00:00"));
    assert!(TestFarm::received(&farm.push).await.is_empty(), "no push before the hour");
    farm.advance(3600).await;
    let pushes = TestFarm::received(&farm.push).await;
    assert_eq!(pushes.len(), 1, "one push at the hour: {pushes:?}");
    assert_eq!(pushes[0]["device"], old_udid);
    assert!(pushes[0]["body"].as_str().unwrap().contains("The waiting time is over"));
    old.expect_screen("show_qr_intro").await;
    old.show_qr().await;

    new.open_scanner().await;
    new.scan_from(&old).await.unwrap();
    old.expect_screen("continue_on_new").await;
    finish_on_new(&farm, &new, biometric).await;

    let sms = TestFarm::received(&farm.sms).await;
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0]["to"], PHONE_NUMBER);
    old.expect_screen("copy_done").await;
    assert_eq!(old.text_of("copy_done_text").await, "Your MitID app on this phone/tablet is still active.");
    old.tap_text("OK").await;
    assert_eq!(old.text_of("home_status").await, "Your MitID app is active");
    old.close().await;
    new.close().await;
}

#[tokio::test]
async fn android_copy_walks_all_26_steps() {
    walk_full_copy("android-14-a1", "android-14-a2", true).await;
}

#[tokio::test]
async fn ios_copy_walks_all_26_steps_without_biometrics() {
    walk_full_copy("ios-17-b1", "ios-17-b2", false).await;
}

#[tokio::test]
async fn old_android_asks_for_location_too() {
    let farm = TestFarm::start().await;
    farm.provision("android-11-c1", 0).await;
    let old = farm.phone("android-11-c1").await;
    old.start_copy().await;
    farm.advance(3600).await;
    old.tap_text("Show QR code").await;
    old.type_into("pin_input", crate::support::PIN).await;
    old.tap("pin_next").await;
    assert_eq!(old.text_of("bluetooth_info_title").await, "Bluetooth and location access is required");
    // Before Android 12 Bluetooth is granted at install: location is the
    // one prompt.
    old.tap("bluetooth_info_next").await;
    old.expect_screen("permission_location").await;
    old.allow().await;
    old.expect_screen("qr_code").await;
    old.close().await;

    // The defective build skips the location prompt.
    let farm = TestFarm::start().await;
    farm.set_defects(&["no_location_prompt_on_old_android"]).await;
    farm.provision("android-11-c1", 0).await;
    let old = farm.phone("android-11-c1").await;
    old.start_copy().await;
    farm.advance(3600).await;
    old.tap_text("Show QR code").await;
    old.type_into("pin_input", crate::support::PIN).await;
    old.tap("pin_next").await;
    old.tap("bluetooth_info_next").await;
    assert_eq!(old.screen().await, "qr_code", "the defect skips location");
    old.close().await;
}

/// Steps 19-20: the new phone scans the old phone's QR code and enters the
/// user ID; returns the temporary PIN the SMS brought.
async fn scanned_and_identified(farm: &TestFarm, old: &Phone, new: &Phone) -> String {
    new.scan_from(old).await.unwrap();
    new.type_into("user_id_input", USER_ID).await;
    new.tap_text("Next").await;
    farm.temporary_pin().await
}

/// A temporary PIN that is surely not the right one.
fn wrong_pin(right: &str) -> &'static str {
    if right == "99999999" {
        "11111111"
    } else {
        "99999999"
    }
}

/// Runs `check` on a fresh farm without defects and with `defect`: it must
/// hold on the first and not on the second.
macro_rules! refusal {
    ($name:ident, $defect:literal, |$farm:ident| $body:block) => {
        #[tokio::test]
        async fn $name() {
            async fn check($farm: &TestFarm) -> bool $body
            let good = TestFarm::start().await;
            assert!(check(&good).await, "the rule holds on a good build");
            let bad = TestFarm::start().await;
            bad.set_defects(&[$defect]).await;
            assert!(!check(&bad).await, "the check sees the defect '{}'", $defect);
        }
    };
}

refusal!(show_qr_is_not_offered_before_the_hour, "wait_skipped", |farm| {
    farm.provision("android-14-a1", 0).await;
    let old = farm.phone("android-14-a1").await;
    old.start_copy().await;
    farm.advance(59 * 60).await;
    let at_59 = old.screen().await;
    farm.advance(60).await;
    let at_60 = old.screen().await;
    old.close().await;
    at_59 == "home" && at_60 == "show_qr_intro"
});

refusal!(push_is_not_sent_before_the_hour, "push_sent_early", |farm| {
    farm.provision("android-14-a1", 0).await;
    let old = farm.phone("android-14-a1").await;
    old.start_copy().await;
    farm.advance(59 * 60 + 59).await;
    let before = TestFarm::received(&farm.push).await.len();
    farm.advance(1).await;
    let after = TestFarm::received(&farm.push).await.len();
    old.close().await;
    before == 0 && after == 1
});

refusal!(expired_qr_is_refused, "qr_never_expires", |farm| {
    let (old, new) = farm.qr_shown("android-14-a1", "android-14-a2").await;
    let png = old.screenshot().await;
    farm.advance(181).await;
    let image = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, png);
    new.mobile("mobile: injectCameraImage", json!({ "image": image })).await.unwrap();
    let refused = new.screen().await == "qr_scanner" && new.text_of("screen_message").await.contains("expired");
    old.close().await;
    new.close().await;
    refused
});

refusal!(qr_at_2_59_is_accepted_and_old_phone_can_show_a_new_one, "qr_never_expires", |farm| {
    // The good build expires the old phone's QR at 3:00 and offers a new
    // one; the defective one keeps showing the same code.
    let (old, new) = farm.qr_shown("android-14-a1", "android-14-a2").await;
    farm.advance(179).await;
    let still_shown = old.screen().await == "qr_code";
    farm.advance(2).await;
    let expired = old.screen().await == "qr_expired";
    if expired {
        old.tap_text("Show new QR code").await;
    }
    new.scan_from(&old).await.unwrap();
    let accepted = new.screen().await == "user_id";
    old.close().await;
    new.close().await;
    still_shown && expired && accepted
});

refusal!(new_phone_out_of_range_is_refused, "no_proximity_check", |farm| {
    let (old, new) = farm.qr_shown("android-14-a1", "android-14-a2").await;
    farm.control("PUT", "/sim/phones/android-14-a2", json!({ "rig": "another-room" })).await;
    new.scan_from(&old).await.unwrap();
    let refused = new.screen().await == "qr_scanner"
        && new.text_of("screen_message").await.contains("To ensure that you are the one scanning the QR code");
    old.close().await;
    new.close().await;
    refused
});

refusal!(wrong_user_id_is_refused, "wrong_user_id_accepted", |farm| {
    let (old, new) = farm.qr_shown("ios-17-b1", "ios-17-b2").await;
    new.scan_from(&old).await.unwrap();
    new.type_into("user_id_input", "someone-else").await;
    new.tap_text("Next").await;
    let refused = new.screen().await == "user_id" && new.text_of("screen_message").await.contains("not correct");
    let no_sms = TestFarm::received(&farm.sms).await.is_empty();
    old.close().await;
    new.close().await;
    refused && no_sms
});

refusal!(wrong_temporary_pin_is_refused, "any_temporary_pin_accepted", |farm| {
    let (old, new) = farm.qr_shown("android-14-a1", "android-14-a2").await;
    let right = scanned_and_identified(farm, &old, &new).await;
    new.type_into("temporary_pin_input", wrong_pin(&right)).await;
    new.tap_text("Next").await;
    let refused = new.screen().await == "temporary_pin";
    old.close().await;
    new.close().await;
    refused
});

refusal!(temporary_pin_locks_out_after_three_attempts, "no_temporary_pin_lockout", |farm| {
    let (old, new) = farm.qr_shown("android-14-a1", "android-14-a2").await;
    let right = scanned_and_identified(farm, &old, &new).await;
    for _ in 0..3 {
        new.type_into("temporary_pin_input", wrong_pin(&right)).await;
        new.tap_text("Next").await;
    }
    let blocked = new.screen().await == "copy_blocked";
    old.close().await;
    new.close().await;
    blocked
});

refusal!(pin_and_different_repeat_are_refused, "pin_mismatch_accepted", |farm| {
    let (old, new) = farm.qr_shown("android-14-a1", "android-14-a2").await;
    let pin = scanned_and_identified(farm, &old, &new).await;
    new.type_into("temporary_pin_input", &pin).await;
    new.tap_text("Next").await;
    new.tap_text("Next").await;
    new.type_into("new_pin_input", "111111").await;
    new.tap_text("Next").await;
    new.type_into("repeat_pin_input", "222222").await;
    new.tap_text("Next").await;
    let refused = new.screen().await == "create_pin" && new.text_of("screen_message").await.contains("do not match");
    old.close().await;
    new.close().await;
    refused
});

refusal!(outdated_old_app_cannot_copy, "outdated_app_can_copy", |farm| {
    farm.provision("android-14-a1", 0).await;
    farm.control("PUT", "/sim/phones/android-14-a1", json!({ "app_version": "2.9.0" })).await;
    let old = farm.phone("android-14-a1").await;
    old.tap("menu_button").await;
    old.tap_text("Activate").await;
    old.tap_text("Copy your MitID to a new app").await;
    let refused = old.screen().await == "update_required";
    old.close().await;
    refused
});

refusal!(fourth_active_app_is_refused, "fourth_app_allowed", |farm| {
    farm.provision("android-14-a1", 2).await;
    let old = farm.phone("android-14-a1").await;
    old.tap("menu_button").await;
    old.tap_text("Activate").await;
    old.tap_text("Copy your MitID to a new app").await;
    old.tap_text("Next").await;
    old.type_into("pin_input", crate::support::PIN).await;
    old.tap("pin_next").await;
    old.tap_text("Yes, I want to copy").await;
    old.tap_text("Start copying").await;
    let refused = old.screen().await == "too_many_apps"
        && old.text_of("too_many_apps_text").await.contains("up to three active MitID apps");
    old.close().await;
    refused
});

refusal!(bluetooth_off_blocks_with_the_instruction, "bluetooth_off_ignored", |farm| {
    let farm_ready = farm;
    farm_ready.provision("android-14-a1", 0).await;
    let old = farm_ready.phone("android-14-a1").await;
    old.start_copy().await;
    farm_ready.advance(3600).await;
    old.mobile("mobile: shell", json!({ "command": "svc", "args": ["bluetooth", "disable"] })).await.unwrap();
    old.tap_text("Show QR code").await;
    old.type_into("pin_input", crate::support::PIN).await;
    old.tap("pin_next").await;
    old.tap("bluetooth_info_next").await;
    let blocked = old.screen().await == "bluetooth_off"
        && old
            .text_of("bluetooth_off_text")
            .await
            .contains("Make sure that Bluetooth is enabled on both phones/tablets");
    if blocked {
        // UiAutomator2's own command, as the steps use it.
        old.mobile("mobile: bluetooth", json!({ "action": "enable" })).await.unwrap();
        old.tap_text("Try again").await;
        old.accept_permissions().await;
        assert_eq!(old.screen().await, "qr_code", "turning Bluetooth on lets the copy go on");
    }
    old.close().await;
    blocked
});

refusal!(denied_bluetooth_permission_blocks, "permission_denial_ignored", |farm| {
    farm.provision("ios-17-b1", 0).await;
    let old = farm.phone("ios-17-b1").await;
    old.start_copy().await;
    farm.advance(3600).await;
    old.tap_text("Show QR code").await;
    old.type_into("pin_input", crate::support::PIN).await;
    old.tap("pin_next").await;
    old.tap("bluetooth_info_next").await;
    old.deny().await;
    let blocked = old.screen().await == "permission_denied";
    old.close().await;
    blocked
});

refusal!(old_app_is_still_active_after_the_copy, "old_app_deactivated", |farm| {
    let (old, new) = farm.qr_shown("android-14-a1", "android-14-a2").await;
    let pin = scanned_and_identified(farm, &old, &new).await;
    new.type_into("temporary_pin_input", &pin).await;
    new.tap_text("Next").await;
    new.tap_text("Next").await;
    new.type_into("new_pin_input", NEW_PIN).await;
    new.tap_text("Next").await;
    new.type_into("repeat_pin_input", NEW_PIN).await;
    new.tap_text("Next").await;
    let still_active = old.screen().await == "copy_done";
    old.close().await;
    new.close().await;
    still_active
});

#[tokio::test]
async fn app_may_be_closed_during_the_wait_and_reopens_at_the_right_screen() {
    let farm = TestFarm::start().await;
    farm.provision("android-14-a1", 0).await;
    let old = farm.phone("android-14-a1").await;
    old.start_copy().await;
    let closed = old.mobile("mobile: terminateApp", json!({ "appId": crate::support::ANDROID_PACKAGE })).await.unwrap();
    assert_eq!(closed, json!(true));
    assert_eq!(
        old.mobile("mobile: queryAppState", json!({ "appId": crate::support::ANDROID_PACKAGE })).await.unwrap(),
        json!(1)
    );
    old.expect_screen("launcher").await;
    farm.advance(30 * 60).await;
    old.mobile("mobile: activateApp", json!({ "appId": crate::support::ANDROID_PACKAGE })).await.unwrap();
    old.expect_screen("home").await;
    assert!(old.text_of("home_copy_status").await.contains("30:00"));
    old.mobile("mobile: terminateApp", json!({ "appId": crate::support::ANDROID_PACKAGE })).await.unwrap();
    farm.advance(30 * 60).await;
    // Open the app from the launcher, as a person would.
    old.tap("launcher_mitid").await;
    old.expect_screen("show_qr_intro").await;
    assert_eq!(
        old.mobile("mobile: queryAppState", json!({ "appId": crate::support::ANDROID_PACKAGE })).await.unwrap(),
        json!(4)
    );
    old.close().await;
}

#[tokio::test]
async fn gateway_faults_leave_the_messages_unsent() {
    let farm = TestFarm::start().await;
    farm.control("POST", "/sim/faults", json!({ "fault": "push_not_sent" })).await;
    farm.provision("android-14-a1", 0).await;
    let old = farm.phone("android-14-a1").await;
    old.start_copy().await;
    farm.advance(3600).await;
    assert!(TestFarm::received(&farm.push).await.is_empty());
    let state = farm.control("GET", "/sim/state", json!({})).await;
    assert!(state["undelivered"].to_string().contains("not sent (fault push_not_sent)"), "{state}");
    old.close().await;
}

#[tokio::test]
async fn beacon_is_on_the_air_only_while_the_qr_is_shown() {
    let farm = TestFarm::start().await;
    let (old, new) = farm.qr_shown("android-14-a1", "android-14-a2").await;
    let state = farm.control("GET", "/sim/state", json!({})).await;
    assert_eq!(state["beacons"].as_array().unwrap().len(), 1, "{state}");
    assert_eq!(state["beacons"][0]["service_uuid_prefix"], "4d494401", "ASCII 'MID' and contract version 1");
    assert_eq!(state["beacons"][0]["local_name"], json!(null), "an Android app cannot name its advert");
    farm.advance(181).await;
    let state = farm.control("GET", "/sim/state", json!({})).await;
    assert!(state["beacons"].as_array().unwrap().is_empty(), "{state}");
    old.close().await;
    new.close().await;
}

/// The backend tells a beacon token bound to the QR code from any other,
/// without echoing it; an old phone advertising an unbound token (the
/// `beacon_unbound` fault) is caught by it, and its QR code is refused.
#[tokio::test]
async fn the_backend_verifies_a_beacon_token_against_its_qr_code() {
    let farm = TestFarm::start().await;
    let (old, new) = farm.qr_shown("android-14-a1", "android-14-a2").await;
    let payload = mitid_sim::decode_qr_png(&old.screenshot().await).expect("the QR code decodes");
    let state = farm.control("GET", "/sim/state", json!(null)).await;
    let prefix = state["beacons"][0]["token_prefix"].as_str().expect("a beacon on the air").to_owned();
    // A token that shares the bound one's first digits is still not it. (The
    // bound token itself is heard over BlueZ in tests/integration/bluetooth.rs.)
    let made_up = format!("{prefix}{}", "0".repeat(20));
    let answer = farm.control("POST", "/sim/beacons/verify", json!({ "qr_payload": payload, "token": made_up })).await;
    assert_eq!(answer, json!({ "qr_session": "known", "bound": false }));
    let answer = farm
        .control("POST", "/sim/beacons/verify", json!({ "qr_payload": "MITID-COPY:1:nope:nope", "token": "00" }))
        .await;
    assert_eq!(answer, json!({ "qr_session": "unknown", "bound": false }));
    let (status, _) = farm.control_raw("POST", "/sim/beacons/verify", json!({ "qr_payload": payload })).await;
    assert_eq!(status, 400, "the token is required");

    farm.control("POST", "/sim/faults", json!({ "fault": "beacon_unbound" })).await;
    let state = farm.control("GET", "/sim/state", json!(null)).await;
    assert_ne!(state["beacons"][0]["token_prefix"].as_str(), Some(prefix.as_str()), "the token on the air changed");
    new.scan_from(&old).await.unwrap();
    assert_eq!(new.screen().await, "qr_scanner", "an unbound beacon is no proof of proximity");
    old.close().await;
    new.close().await;
}

/// Both platforms send the beacon, and an iPhone's holds only what Core
/// Bluetooth lets an app advertise: a local name and the service UUID.
#[tokio::test]
async fn an_iphone_sends_the_beacon_and_the_proximity_check_reads_it() {
    let farm = TestFarm::start().await;
    let (old, new) = farm.qr_shown("ios-17-b1", "ios-17-b2").await;
    let state = farm.control("GET", "/sim/state", json!({})).await;
    assert_eq!(state["beacons"][0]["local_name"], "MitID", "{state}");
    assert_eq!(state["beacons"][0]["service_uuid_prefix"], "4d494401", "{state}");
    assert_eq!(state["refused_adverts"], json!([]), "{state}");
    new.scan_from(&old).await.unwrap();
    new.expect_screen("user_id").await;
    old.close().await;
    new.close().await;
}

/// The beacon of the contract before: a fixed UUID with the token as
/// service data. An iPhone refuses to send it (Core Bluetooth has no
/// service data), an Android phone cannot fit it into a legacy
/// advertisement: on neither is it on the air, and the scan is refused.
#[tokio::test]
async fn a_service_data_beacon_never_reaches_the_air() {
    for (old_udid, new_udid, why) in [
        ("ios-17-b1", "ios-17-b2", "Core Bluetooth advertises only a local name and service UUIDs"),
        ("android-14-a1", "android-14-a2", "a legacy advertisement holds 31"),
    ] {
        let farm = TestFarm::start().await;
        farm.control("POST", "/sim/faults", json!({ "fault": "beacon_service_data" })).await;
        let (old, new) = farm.qr_shown(old_udid, new_udid).await;
        let state = farm.control("GET", "/sim/state", json!({})).await;
        assert_eq!(state["beacons"], json!([]), "{state}");
        let refused = state["refused_adverts"].to_string();
        assert!(refused.contains(old_udid) && refused.contains(why), "{refused}");
        new.scan_from(&old).await.unwrap();
        assert_eq!(new.screen().await, "qr_scanner", "{old_udid}: no beacon, no proximity");
        old.close().await;
        new.close().await;
    }
}

#[tokio::test]
async fn beacon_fault_makes_the_proximity_check_fail() {
    let farm = TestFarm::start().await;
    farm.control("POST", "/sim/faults", json!({ "fault": "beacon_not_sent" })).await;
    let (old, new) = farm.qr_shown("android-14-a1", "android-14-a2").await;
    new.scan_from(&old).await.unwrap();
    assert_eq!(new.screen().await, "qr_scanner");
    old.close().await;
    new.close().await;
}
