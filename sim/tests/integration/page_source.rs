//! Snapshots of the page source of every screen of the app, on an Android
//! and on an iOS phone, reached over WebDriver the way a test reaches them.
//! A change to any screen's words, ids, classes or layout shows up here.
//!
//! Snapshots are named `<platform>__<screen>`; a screen shown in a second
//! state gets a suffix (`home_copy_pending`). The QR payload is not in the
//! page source, and the virtual clock only moves when told, so no snapshot
//! needs redacting.
//!
//! Update with `INSTA_UPDATE=always cargo test -p mitid-sim --test integration page_source::`
//! and review the changed files in `sim/tests/snapshots/`.

use std::collections::BTreeSet;

use crate::support::{Phone, TestFarm, NEW_PIN, PIN, USER_ID};
use serde_json::json;

/// Every screen the app (and the OS around it) can show.
const ALL_SCREENS: &[&str] = &[
    // The old phone.
    "home",
    "menu",
    "activate_menu",
    "copy_info",
    "pin_entry",
    "copy_confirm",
    "waiting",
    "show_qr_intro",
    "qr_code",
    "qr_expired",
    "continue_on_new",
    "copy_done",
    // The new phone.
    "activate_welcome",
    "activation_method",
    "copy_prerequisite",
    "qr_scanner",
    "user_id",
    "temporary_pin",
    "choose_pin",
    "create_pin",
    "repeat_pin",
    "biometric_choice",
    "notifications",
    "activated",
    // Either side.
    "bluetooth_info",
    // System UI.
    "permission_bluetooth",
    "permission_location",
    "permission_camera",
    "permission_notifications",
    "biometric_prompt",
    "launcher",
    // Refusals and errors.
    "update_required",
    "too_many_apps",
    "bluetooth_off",
    "permission_denied",
    "copy_blocked",
];

/// Screens a platform never shows: iOS does not ask for location to use
/// Bluetooth.
fn not_on(platform: &str) -> &'static [&'static str] {
    match platform {
        "ios" => &["permission_location"],
        _ => &[],
    }
}

struct Walk {
    platform: &'static str,
    seen: BTreeSet<String>,
}

impl Walk {
    fn new(platform: &'static str) -> Walk {
        Walk { platform, seen: BTreeSet::new() }
    }

    /// Asserts the phone shows `screen` and snapshots its page source.
    async fn snap(&mut self, phone: &Phone, screen: &str) {
        self.snap_as(phone, screen, screen).await;
    }

    /// The same, for a screen in a second state, under its own name.
    async fn snap_as(&mut self, phone: &Phone, screen: &str, name: &str) {
        phone.expect_screen(screen).await;
        let source = phone.client.source().await.expect("page source");
        assert!(!source.contains("MITID-COPY"), "the QR payload is not in the page source");
        insta::assert_snapshot!(format!("{}__{name}", self.platform), source);
        self.seen.insert(screen.to_owned());
    }

    fn assert_every_screen(&self) {
        let expected: BTreeSet<String> =
            ALL_SCREENS.iter().filter(|s| !not_on(self.platform).contains(s)).map(|s| s.to_string()).collect();
        let missing: Vec<_> = expected.difference(&self.seen).collect();
        let unknown: Vec<_> = self.seen.difference(&expected).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "{}: missing {missing:?}, unknown {unknown:?}",
            self.platform
        );
    }
}

/// The two phones of one rig: (old, new).
fn phones(platform: &str) -> (&'static str, &'static str) {
    match platform {
        "android" => ("android-14-a1", "android-14-a2"),
        _ => ("ios-17-b1", "ios-17-b2"),
    }
}

/// The copy flow from end to end, with the detours that show the menu,
/// the biometric prompt, the launcher and the expired QR code.
async fn happy_path(walk: &mut Walk) {
    let (old_udid, new_udid) = phones(walk.platform);
    let farm = TestFarm::start().await;
    farm.provision(old_udid, 0).await;
    let old = farm.phone(old_udid).await;
    let new = farm.phone(new_udid).await;

    // The old phone, steps 1-7.
    walk.snap(&old, "home").await;
    old.tap("menu_button").await;
    walk.snap(&old, "menu").await;
    old.tap("menu_activate").await;
    walk.snap(&old, "activate_menu").await;
    old.tap("activate_copy_to_new_app").await;
    walk.snap(&old, "copy_info").await;
    old.tap("copy_info_next").await;
    walk.snap(&old, "pin_entry").await;
    old.tap("pin_use_biometric").await;
    walk.snap(&old, "biometric_prompt").await;
    old.tap("biometric_cancel").await;
    old.type_into("pin_input", PIN).await;
    old.tap("pin_next").await;
    walk.snap(&old, "copy_confirm").await;
    old.tap("copy_confirm_checkbox").await;
    old.tap("copy_confirm_start").await;
    walk.snap(&old, "waiting").await;
    old.tap("waiting_ok").await;
    walk.snap_as(&old, "home", "home_copy_pending").await;
    old.mobile(
        "mobile: terminateApp",
        if walk.platform == "android" {
            json!({ "appId": crate::support::ANDROID_PACKAGE })
        } else {
            json!({ "bundleId": crate::support::IOS_BUNDLE_ID })
        },
    )
    .await
    .unwrap();
    walk.snap(&old, "launcher").await;
    old.tap("launcher_mitid").await;

    // The hour is up: steps 8-12.
    farm.advance(3600).await;
    walk.snap(&old, "show_qr_intro").await;
    old.tap("show_qr_button").await;
    old.type_into("pin_input", PIN).await;
    old.tap("pin_next").await;
    walk.snap(&old, "bluetooth_info").await;
    old.tap("bluetooth_info_next").await;
    walk.snap(&old, "permission_bluetooth").await;
    old.allow().await;
    walk.snap(&old, "qr_code").await;
    farm.advance(181).await;
    walk.snap(&old, "qr_expired").await;
    old.tap("qr_show_new").await;
    old.expect_screen("qr_code").await;

    // The new phone, steps 13-19.
    walk.snap(&new, "activate_welcome").await;
    new.tap("get_started").await;
    walk.snap(&new, "activation_method").await;
    new.tap("method_copy").await;
    new.tap("method_next").await;
    walk.snap(&new, "copy_prerequisite").await;
    new.tap("qr_shown_checkbox").await;
    new.tap("scan_qr_button").await;
    new.expect_screen("bluetooth_info").await;
    new.tap("bluetooth_info_next").await;
    new.expect_screen("permission_bluetooth").await;
    new.allow().await;
    walk.snap(&new, "permission_camera").await;
    new.allow().await;
    walk.snap(&new, "qr_scanner").await;
    new.scan_from(&old).await.unwrap();
    walk.snap(&old, "continue_on_new").await;

    // Steps 20-26.
    walk.snap(&new, "user_id").await;
    new.type_into("user_id_input", USER_ID).await;
    new.tap("user_id_next").await;
    walk.snap(&new, "temporary_pin").await;
    new.type_into("temporary_pin_input", &farm.temporary_pin().await).await;
    new.tap("temporary_pin_next").await;
    walk.snap(&new, "choose_pin").await;
    new.tap("choose_pin_next").await;
    walk.snap(&new, "create_pin").await;
    new.type_into("new_pin_input", NEW_PIN).await;
    new.tap("new_pin_next").await;
    walk.snap(&new, "repeat_pin").await;
    new.type_into("repeat_pin_input", NEW_PIN).await;
    new.tap("repeat_pin_next").await;
    walk.snap(&new, "biometric_choice").await;
    new.tap("biometric_yes").await;
    new.expect_screen("biometric_prompt").await;
    if walk.platform == "ios" {
        new.mobile("mobile: sendBiometricMatch", json!({ "type": "faceId", "match": true })).await.unwrap();
    } else {
        new.mobile("mobile: fingerprint", json!({ "fingerprintId": 1 })).await.unwrap();
    }
    walk.snap(&new, "notifications").await;
    new.tap("notifications_accept").await;
    walk.snap(&new, "permission_notifications").await;
    new.allow().await;
    walk.snap(&new, "activated").await;
    new.tap("activated_ok").await;
    new.expect_screen("home").await;
    walk.snap(&old, "copy_done").await;

    // An outdated app cannot copy.
    old.tap("copy_done_ok").await;
    farm.control("PUT", &format!("/sim/phones/{old_udid}"), json!({ "app_version": "2.9.0" })).await;
    old.tap("menu_button").await;
    old.tap("menu_activate").await;
    old.tap("activate_copy_to_new_app").await;
    walk.snap(&old, "update_required").await;
    old.close().await;
    new.close().await;
}

/// A fourth app is refused.
async fn too_many_apps(walk: &mut Walk) {
    let (old_udid, _) = phones(walk.platform);
    let farm = TestFarm::start().await;
    farm.provision(old_udid, 2).await;
    let old = farm.phone(old_udid).await;
    old.tap("menu_button").await;
    old.tap("menu_activate").await;
    old.tap("activate_copy_to_new_app").await;
    old.tap("copy_info_next").await;
    old.type_into("pin_input", PIN).await;
    old.tap("pin_next").await;
    old.tap("copy_confirm_checkbox").await;
    old.tap("copy_confirm_start").await;
    walk.snap(&old, "too_many_apps").await;
    old.close().await;
}

/// Bluetooth off, a denied permission, and a new phone blocked by wrong
/// temporary PIN codes.
async fn blocked(walk: &mut Walk) {
    let (old_udid, new_udid) = phones(walk.platform);
    let farm = TestFarm::start().await;
    farm.provision(old_udid, 0).await;
    let old = farm.phone(old_udid).await;
    let new = farm.phone(new_udid).await;
    old.start_copy().await;
    farm.advance(3600).await;
    old.tap("show_qr_button").await;
    old.type_into("pin_input", PIN).await;
    old.tap("pin_next").await;
    farm.control("PUT", &format!("/sim/phones/{old_udid}"), json!({ "bluetooth": false })).await;
    old.tap("bluetooth_info_next").await;
    walk.snap(&old, "bluetooth_off").await;
    farm.control("PUT", &format!("/sim/phones/{old_udid}"), json!({ "bluetooth": true })).await;
    old.tap("bluetooth_try_again").await;
    old.expect_screen("permission_bluetooth").await;
    old.deny().await;
    walk.snap(&old, "permission_denied").await;
    old.tap("permission_try_again").await;
    if walk.platform == "ios" {
        // An iPhone asks once; a phone whose Settings allow it goes on.
        old.expect_screen("permission_denied").await;
        old.close().await;
        farm.control("POST", &format!("/sim/phones/{old_udid}/reset"), json!({})).await;
        farm.provision(old_udid, 0).await;
        let old = farm.phone(old_udid).await;
        old.start_copy().await;
        farm.advance(3600).await;
        return copy_blocked(walk, &farm, old, new).await;
    }
    old.allow().await;
    old.expect_screen("qr_code").await;
    copy_blocked(walk, &farm, old, new).await;
}

/// The old phone shows a QR code; the new phone scans it and enters a wrong
/// temporary PIN code until the copy is blocked.
async fn copy_blocked(walk: &mut Walk, farm: &TestFarm, old: Phone, new: Phone) {
    if !old.has("qr_code").await {
        old.show_qr().await;
    }
    old.expect_screen("qr_code").await;

    new.open_scanner().await;
    new.scan_from(&old).await.unwrap();
    new.type_into("user_id_input", USER_ID).await;
    new.tap("user_id_next").await;
    let right = farm.temporary_pin().await;
    let wrong = if right == "99999999" { "11111111" } else { "99999999" };
    for _ in 0..3 {
        new.type_into("temporary_pin_input", wrong).await;
        new.tap("temporary_pin_next").await;
    }
    walk.snap(&new, "copy_blocked").await;
    old.close().await;
    new.close().await;
}

/// Android 11 (API 30) asks for location before Bluetooth scanning, and
/// only for location: Bluetooth was granted at install.
async fn location(walk: &mut Walk) {
    let farm = TestFarm::start().await;
    farm.provision("android-11-c1", 0).await;
    let old = farm.phone("android-11-c1").await;
    old.start_copy().await;
    farm.advance(3600).await;
    old.tap("show_qr_button").await;
    old.type_into("pin_input", PIN).await;
    old.tap("pin_next").await;
    old.tap("bluetooth_info_next").await;
    walk.snap(&old, "permission_location").await;
    old.close().await;
}

#[tokio::test]
async fn every_android_screen() {
    let mut walk = Walk::new("android");
    happy_path(&mut walk).await;
    too_many_apps(&mut walk).await;
    blocked(&mut walk).await;
    location(&mut walk).await;
    walk.assert_every_screen();
}

#[tokio::test]
async fn every_ios_screen() {
    let mut walk = Walk::new("ios");
    happy_path(&mut walk).await;
    too_many_apps(&mut walk).await;
    blocked(&mut walk).await;
    walk.assert_every_screen();
}
