//! The farm's BlueZ radio with range as it really is there: two private
//! D-Bus buses, each with a BlueZoo (tests/integration/support/bluezoo.rs), are two
//! places out of range of each other. The room holds the rigs; the rig
//! `elsewhere` has an air of its own ([farm.air]). Needs BlueZoo in
//! .tools/bluez-venv (tests/run installs it) and dbus-daemon.

use std::path::Path;

use crate::support::bluezoo::Bluezoo;
use crate::support::TestFarm;
use mitid_sim::{FarmConfig, RadioMode};
use serde_json::json;

const REFUSED: &str = "To ensure that you are the one scanning the QR code";

/// The room (the three rigs) and `elsewhere`, each a BlueZoo with six
/// adapters, one per phone; and a farm whose every air is named, so it
/// needs no system bus.
async fn farm_in_two_places(name: &str) -> (TestFarm, Bluezoo, Bluezoo) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let room = Bluezoo::start(root, name, 6);
    let elsewhere = Bluezoo::start(root, &format!("{name}-elsewhere"), 6);
    let mut config = FarmConfig { radio: RadioMode::Bluez, ..FarmConfig::default() };
    for (i, p) in config.phones.iter_mut().enumerate() {
        p.bluetooth_adapter = Some(format!("hci{i}"));
    }
    for rig in ["rig-a", "rig-b", "rig-c"] {
        config.air.insert(rig.into(), room.address.clone());
    }
    config.air.insert("elsewhere".into(), elsewhere.address.clone());
    (TestFarm::start_with(config).await, room, elsewhere)
}

/// A new phone that heard the beacon in the room, then is carried
/// elsewhere, is refused at once: what it heard in the room counts no more.
/// Back in the room, its adapter hears the beacon again and the scan passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_carried_to_another_air_hears_nothing_there_and_is_refused() {
    let (farm, _room, elsewhere) = farm_in_two_places("carried").await;
    let (old, new) = farm.qr_shown("android-14-a1", "android-14-a2").await;
    // Long enough for the new phone's adapter to discover the beacon (BlueZoo
    // scans every second).
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let state = farm.control("GET", "/sim/state", json!(null)).await;
    let prefix = state["beacons"][0]["token_prefix"].clone();
    assert_eq!(state["radio"]["android-14-a2"]["heard_token_prefixes"], json!([prefix]), "{state}");
    farm.control("PUT", "/sim/phones/android-14-a2", json!({ "rig": "elsewhere" })).await;
    let state = farm.control("GET", "/sim/state", json!(null)).await;
    let away = &state["radio"]["android-14-a2"];
    assert_eq!((away["rig"].as_str(), away["heard_token_prefixes"].clone()), (Some("elsewhere"), json!([])), "{state}");
    assert_eq!(away["air"].as_str(), Some(elsewhere.address.as_str()), "{state}");
    new.scan_from(&old).await.unwrap();
    assert_eq!(new.screen().await, "qr_scanner");
    assert!(new.text_of("screen_message").await.contains(REFUSED));

    farm.control("PUT", "/sim/phones/android-14-a2", json!({ "rig": "rig-a" })).await;
    new.scan_from(&old).await.unwrap();
    new.expect_screen("user_id").await;
    let state = farm.control("GET", "/sim/state", json!(null)).await;
    assert_eq!(state["radio_problems"], json!([]), "{state}");
    old.close().await;
    new.close().await;
}

/// A QR code in the camera before the scanner opens is scanned when it
/// opens, moments after the beacon went on the air: the scanner listens
/// for the beacon until its adapter hears it, instead of refusing at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_in_the_camera_before_the_scanner_opens_waits_for_the_beacon() {
    let (farm, _room, _elsewhere) = farm_in_two_places("early").await;
    farm.provision("ios-17-b1", 0).await;
    let old = farm.phone("ios-17-b1").await;
    let new = farm.phone("ios-17-b2").await;
    old.start_copy().await;
    farm.advance(3600).await;
    new.to_bluetooth_notice().await;
    old.show_qr().await;
    // Into the camera while the Bluetooth notice is still shown.
    new.scan_from(&old).await.unwrap();
    new.tap("bluetooth_info_next").await;
    new.accept_permissions().await;
    // The scanner opened with the code in view; it decides within seconds.
    let mut screen = new.screen().await;
    for _ in 0..60 {
        if screen != "qr_scanner" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        screen = new.screen().await;
    }
    assert_eq!(screen, "user_id", "the scan was decided without the beacon");
    old.close().await;
    new.close().await;
}

/// On the BlueZ radio a phone can only go where there is an air.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rig_without_an_air_is_refused_by_name() {
    let (farm, _room, _elsewhere) = farm_in_two_places("nowhere").await;
    let (status, body) = farm.control_raw("PUT", "/sim/phones/android-14-a2", json!({ "rig": "the-moon" })).await;
    assert_eq!(status, 400, "{body}");
    let message = body.to_string();
    assert!(
        message.contains("rig 'the-moon' is nowhere on the BlueZ radio")
            && message.contains("elsewhere, rig-a, rig-b, rig-c"),
        "{message}"
    );
}
